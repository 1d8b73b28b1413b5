//! Property tests of the decoders (chunking- and capacity-independence against a model of the spec) and of the
//! encoders (round trips).

mod common;

use common::driver::{decode, decode_with, Rec};
use common::{root, Ser};
use nmcp_core::{encode_frames, encode_joined, scan_envelope, Envelope, Status};
use proptest::prelude::*;

const TOO_LARGE: i32 = Status::ErrTooLarge as i32;
const FATAL: i32 = Status::ErrTooLargeFatal as i32;
const CORRUPT: i32 = Status::ErrCorruptHeader as i32;
const FAILED: i32 = Status::ErrDecoderFailed as i32;

/// One NDJSON line body (no `\n`): a JSON message, junk around `max` in length, or nothing.
fn line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => (root(), any::<u64>()).prop_map(|(j, seed)| Ser::new(seed, false).text(&j).0),
        2 => proptest::collection::vec(prop_oneof![Just(b'\r'), Just(b'x'), Just(b'{'), Just(b'}'), any::<u8>()], 0..48)
            .prop_map(|mut v| { v.retain(|&b| b != b'\n'); v }),
        1 => Just(Vec::new()),
        1 => Just(b"\r".to_vec()),
    ]
}

/// An NDJSON stream: lines ended by `\n` or `\r\n`, and maybe an unterminated tail.
fn ndjson_stream() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec((line(), any::<bool>()), 0..12),
        proptest::option::of(line()),
    )
        .prop_map(|(lines, tail)| {
            let mut s = Vec::new();
            for (l, crlf) in lines {
                s.extend_from_slice(&l);
                s.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
            }
            if let Some(t) = tail {
                s.extend_from_slice(&t);
            }
            s
        })
}

/// The NDJSON rules of docs/core-api.md, applied to the whole stream at once.
fn ndjson_model(stream: &[u8], max: usize) -> Vec<Rec> {
    let mut recs = Vec::new();
    let mut parts: Vec<&[u8]> = stream.split(|&b| b == b'\n').collect();
    let tail = parts.pop().unwrap_or(&[]);
    for line in parts {
        let frame = line.strip_suffix(b"\r").unwrap_or(line);
        if frame.is_empty() {
            continue;
        }
        if frame.len() > max {
            recs.push(Rec::Error(TOO_LARGE, 0));
        } else {
            recs.push(Rec::Frame(frame.to_vec(), scan_envelope(frame).cols()));
        }
    }
    if tail.len() >= max + 2 {
        recs.push(Rec::Error(TOO_LARGE, 0));
    }
    recs
}

/// A length-prefixed stream of valid frames, maybe ended by a zero or oversize header and more bytes.
fn lp_stream(max: usize) -> impl Strategy<Value = (Vec<u8>, Vec<Rec>)> {
    let payload = prop_oneof![
        (root(), any::<u64>()).prop_map(|(j, seed)| Ser::new(seed, true).text(&j).0),
        proptest::collection::vec(any::<u8>(), 1..40),
    ];
    (
        proptest::collection::vec(payload, 0..8),
        proptest::option::of((
            prop_oneof![Just(0u32), (max as u32 + 1)..=u32::MAX],
            proptest::collection::vec(any::<u8>(), 0..8),
        )),
    )
        .prop_map(move |(payloads, fatal)| {
            let mut s = Vec::new();
            let mut recs = Vec::new();
            for p in payloads
                .into_iter()
                .filter(|p| !p.is_empty() && p.len() <= max)
            {
                s.extend_from_slice(&(p.len() as u32).to_be_bytes());
                s.extend_from_slice(&p);
                recs.push(Rec::Frame(p.clone(), scan_envelope(&p).cols()));
            }
            if let Some((n, junk)) = fatal {
                s.extend_from_slice(&n.to_be_bytes());
                s.extend_from_slice(&junk);
                recs.push(if n == 0 {
                    Rec::Error(CORRUPT, 0)
                } else {
                    Rec::Error(FATAL, n)
                });
            }
            (s, recs)
        })
}

fn cuts() -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(
        prop_oneof![Just(0usize), Just(1), 1usize..8, 1usize..64],
        0..12,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// (3a) NDJSON: any chunking and any `out` capacity give the model's records.
    #[test]
    fn ndjson_is_chunking_independent(
        stream in ndjson_stream(),
        max in 1usize..48,
        cuts in cuts(),
        capacity in 1usize..4,
        record_start in 0usize..3,
    ) {
        let want = ndjson_model(&stream, max);
        prop_assert_eq!(&decode(0, max as u64, &stream, &[], 64, 0), &want);
        prop_assert_eq!(&decode(0, max as u64, &stream, &cuts, capacity, record_start), &want);
    }

    /// (3b) Length-prefixed: the same, up to a fatal header; after it only ERR_DECODER_FAILED records follow (one per
    /// push, so their number depends on the chunking).
    #[test]
    fn length_prefixed_is_chunking_independent(
        (max, (stream, want)) in (1usize..64).prop_flat_map(|max| (Just(max), lp_stream(max))),
        cuts in cuts(),
        capacity in 1usize..4,
        record_start in 0usize..3,
    ) {
        for got in [
            decode(1, max as u64, &stream, &[], 64, 0),
            decode(1, max as u64, &stream, &cuts, capacity, record_start),
        ] {
            prop_assert!(got.len() >= want.len());
            prop_assert_eq!(&got[..want.len()], &want[..]);
            prop_assert!(got[want.len()..].iter().all(|r| *r == Rec::Error(FAILED, 0)));
        }
    }

    /// (3c) Without the envelope scan (`set_scan(false)`) a decoder reports the same frames and errors, at the same
    /// places, each frame UNSCANNED — for both framings and any chunking.
    #[test]
    fn scanning_off_changes_only_the_envelope(
        framing in 0u32..2,
        stream in prop_oneof![ndjson_stream(), (1usize..64).prop_flat_map(lp_stream).prop_map(|(s, _)| s)],
        max in 1usize..64,
        cuts in cuts(),
        capacity in 1usize..4,
    ) {
        let unscanned = Envelope::UNSCANNED.cols();
        let want: Vec<Rec> = decode(framing, max as u64, &stream, &cuts, capacity, 0)
            .into_iter()
            .map(|r| match r {
                Rec::Frame(bytes, _) => Rec::Frame(bytes, unscanned),
                e => e,
            })
            .collect();
        prop_assert_eq!(decode_with(framing, max as u64, &stream, &cuts, capacity, 0, false), want);
    }

    /// (4) Encoding then decoding gives the payloads back; encode_joined agrees with encode_frames; the first refused
    /// payload is reported.
    #[test]
    fn encode_decode_round_trip(
        framing in 0u32..2,
        max in 1usize..64,
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..8),
        cuts in cuts(),
    ) {
        let ndjson = framing == 0;
        // A payload is refused when empty, too large, or (NDJSON) containing '\n'.
        let refused = |p: &Vec<u8>| p.is_empty() || p.len() > max || (ndjson && p.contains(&b'\n'));
        let first_refused = payloads.iter().position(refused);
        let mut ends = Vec::new();
        let mut total = 0u32;
        for p in &payloads {
            total += p.len() as u32;
            ends.push(total);
        }
        let flat = payloads.concat();
        let overhead = if ndjson { 1 } else { 4 };
        let mut dst = vec![0u8; flat.len() + overhead * payloads.len()];
        let written = encode_frames(framing, max as u64, &flat, &ends, ends.len(), &mut dst).expect("encode");
        if let Some(i) = first_refused {
            prop_assert_eq!(written, -(i as i64) - 1);
        } else {
            prop_assert_eq!(written as usize, dst.len());
            // NDJSON strips one trailing '\r' on decode, so such a payload comes back without it.
            let want: Vec<Vec<u8>> = payloads
                .iter()
                .map(|p| if ndjson { p.strip_suffix(b"\r").unwrap_or(p).to_vec() } else { p.clone() })
                .filter(|p| !p.is_empty())
                .collect();
            let got: Vec<Vec<u8>> = decode(framing, max as u64, &dst, &cuts, 2, 0)
                .into_iter()
                .map(|r| match r {
                    Rec::Frame(bytes, _) => bytes,
                    Rec::Error(s, _) => panic!("error record {s}"),
                })
                .collect();
            prop_assert_eq!(got, want);
        }

        if !payloads.is_empty() && payloads.iter().all(|p| !p.contains(&b'\n')) {
            let joined = payloads.join(&b'\n');
            let n = payloads.len();
            let needed = if ndjson { joined.len() + 1 } else { joined.len() - (n - 1) + 4 * n };
            let mut dst2 = vec![0u8; needed];
            let written2 = encode_joined(framing, max as u64, &joined, &mut dst2).expect("encode_joined");
            prop_assert_eq!(written2, written);
            if written >= 0 {
                prop_assert_eq!(dst2, dst);
            }
        }
    }
}
