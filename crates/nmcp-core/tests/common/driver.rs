//! Drives a decoder over a stream cut into chunks and reduces its records to what must not depend on chunking.

use nmcp_core::{scan_envelope, Decoder, Envelope, Status};

/// A record reduced to what must not depend on chunking: the frame bytes and envelope, or the error and detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rec {
    Frame(Vec<u8>, [i32; 5]),
    Error(i32, u32),
}

/// Decodes `stream` cut into chunks of the sizes in `cuts` (cycled; a 0 makes an empty chunk; an empty `cuts` means one
/// chunk) with an `out` of `capacity` records starting at slot `1 + record_start`.
pub fn decode(
    framing: u32,
    max: u64,
    stream: &[u8],
    cuts: &[usize],
    capacity: usize,
    record_start: usize,
) -> Vec<Rec> {
    decode_with(framing, max, stream, cuts, capacity, record_start, true)
}

/// `decode` with the envelope scan on or off (`Decoder::set_scan`): off, every frame's columns must be UNSCANNED's.
pub fn decode_with(
    framing: u32,
    max: u64,
    stream: &[u8],
    cuts: &[usize],
    capacity: usize,
    record_start: usize,
    scan: bool,
) -> Vec<Rec> {
    let envelope = |bytes: &[u8]| {
        if scan {
            scan_envelope(bytes)
        } else {
            Envelope::UNSCANNED
        }
    };
    let mut chunks = Vec::new();
    if cuts.is_empty() {
        chunks.push(stream);
    } else {
        let mut rest = stream;
        let mut k = 0;
        while !rest.is_empty() {
            let n = cuts[k % cuts.len()].min(rest.len());
            let (a, b) = rest.split_at(n);
            chunks.push(a);
            rest = b;
            k += 1;
            if k > 4 * stream.len() + cuts.len() {
                // Only zero-size cuts left: finish in one chunk.
                chunks.push(rest);
                break;
            }
        }
    }
    let mut dec = Decoder::new(framing, max).expect("decoder");
    dec.set_scan(scan);
    assert_eq!(dec.scan(), scan);
    let mut out = vec![0i32; 8 * (1 + record_start + capacity)];
    let mut recs = Vec::new();
    for chunk in chunks {
        let mut pos = 0;
        loop {
            let n = dec.push(chunk, pos, &mut out, record_start).expect("push");
            let consumed = out[0] as usize;
            assert!(consumed >= pos && consumed <= chunk.len());
            for r in 0..n {
                let rec: [i32; 8] = out[8 * (1 + record_start + r)..][..8].try_into().unwrap();
                let cols: [i32; 5] = rec[3..].try_into().unwrap();
                match Status::from_code(rec[0]).expect("status") {
                    Status::Frame => {
                        let bytes = chunk[rec[1] as usize..rec[2] as usize].to_vec();
                        assert_eq!(envelope(&bytes).cols(), cols);
                        recs.push(Rec::Frame(bytes, cols));
                    }
                    Status::FrameAssembled => {
                        assert_eq!(r, 0);
                        let mut dst = vec![0u8; rec[2] as usize];
                        dec.take_assembled(&mut dst).expect("take");
                        assert_eq!(envelope(&dst).cols(), cols);
                        recs.push(Rec::Frame(dst, cols));
                    }
                    _ => {
                        assert_eq!(rec[2..], [0, 0, -1, -1, -1, -1]);
                        recs.push(Rec::Error(rec[0], rec[1] as u32));
                    }
                }
            }
            if consumed == chunk.len() {
                break;
            }
            assert_eq!(n, capacity, "stopped early with room left");
            pos = consumed;
        }
    }
    recs
}
