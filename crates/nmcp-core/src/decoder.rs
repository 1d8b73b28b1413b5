//! The stateful decoder: one per connection, fed chunk by chunk, writing integer records into the caller's `out`
//! array (docs/core-api.md §Decoder).

use crate::error::CoreError;
use crate::framing::{release, validate_max_message_size, Framing, Records};
use crate::length_prefixed::LengthPrefixedDecoder;
use crate::ndjson::NdjsonDecoder;

/// Chunk offsets go into `i32` record columns, so one `push` takes at most this many bytes.
pub const MAX_CHUNK_LEN: usize = i32::MAX as usize;

/// A frame decoder for one byte stream, NDJSON or length-prefixed.
pub struct Decoder {
    inner: Inner,
    max_message_size: usize,
}

enum Inner {
    Ndjson(NdjsonDecoder),
    LengthPrefixed(LengthPrefixedDecoder),
}

impl Decoder {
    /// Creates a decoder; fails when `framing` is not 0 / 1 or `max_message_size` is outside `1..=268435456`.
    pub fn new(framing: u32, max_message_size: u64) -> Result<Decoder, CoreError> {
        let framing = Framing::try_from(framing)?;
        let max = validate_max_message_size(max_message_size)?;
        let inner = match framing {
            Framing::Ndjson => Inner::Ndjson(NdjsonDecoder::new(max)),
            Framing::LengthPrefixed => Inner::LengthPrefixed(LengthPrefixedDecoder::new(max)),
        };
        Ok(Decoder {
            inner,
            max_message_size: max,
        })
    }

    /// The framing this decoder reads.
    pub fn framing(&self) -> Framing {
        match self.inner {
            Inner::Ndjson(_) => Framing::Ndjson,
            Inner::LengthPrefixed(_) => Framing::LengthPrefixed,
        }
    }

    /// Whether frames get their envelope scanned (true, the default). Off, every frame's record says kind UNSCANNED
    /// with no spans, and framing is all the decoder does: for a consumer that parses each frame anyway and needs
    /// neither the envelope nor the syntax check (it costs ~1 ns per byte). Applies from the next frame reported.
    pub fn set_scan(&mut self, scan: bool) {
        match &mut self.inner {
            Inner::Ndjson(d) => d.scan = scan,
            Inner::LengthPrefixed(d) => d.scan = scan,
        }
    }

    /// See [`Decoder::set_scan`].
    pub fn scan(&self) -> bool {
        match &self.inner {
            Inner::Ndjson(d) => d.scan,
            Inner::LengthPrefixed(d) => d.scan,
        }
    }

    /// The largest frame this decoder accepts.
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// Decodes `chunk[start..]` and returns the number of records written.
    ///
    /// `out` is viewed as slots of 8 × i32: slot 0 is a header whose `out[0]` receives the absolute position in
    /// `chunk` up to which input was consumed; record `r` goes to slot `1 + out_record_start + r`. When `out` fills
    /// up, decoding stops before the first record that does not fit and `out[0] < chunk.len()`: push again from
    /// `out[0]` (after taking an assembled frame, if one was reported). Fails when `out` has no room for even one
    /// record, when `start > chunk.len()`, or when the chunk is longer than [`MAX_CHUNK_LEN`].
    pub fn push(
        &mut self,
        chunk: &[u8],
        start: usize,
        out: &mut [i32],
        out_record_start: usize,
    ) -> Result<usize, CoreError> {
        if chunk.len() > MAX_CHUNK_LEN {
            return Err(CoreError::ChunkTooLarge {
                len: chunk.len(),
                max: MAX_CHUNK_LEN,
            });
        }
        if start > chunk.len() {
            return Err(CoreError::StartOutOfRange {
                start,
                len: chunk.len(),
            });
        }
        let mut rec = Records::new(out, out_record_start)?;
        // An assembled frame is only valid until the next push: forget one that was not taken, so a push that yields
        // none (or fails the stream) can never hand out a stale frame.
        self.assembled_buf_mut().clear();
        let consumed = match &mut self.inner {
            Inner::Ndjson(d) => d.push(chunk, start, &mut rec),
            Inner::LengthPrefixed(d) => d.push(chunk, start, &mut rec),
        };
        rec.set_consumed(consumed);
        Ok(rec.written())
    }

    /// The frame reported as FRAME_ASSEMBLED by the last `push`, if it has not been taken yet.
    pub fn assembled(&self) -> Option<&[u8]> {
        let buf = self.assembled_buf();
        (!buf.is_empty()).then_some(buf.as_slice())
    }

    /// Copies the assembled frame of the last `push` into `dst`, whose length must equal the frame's, then forgets it.
    pub fn take_assembled(&mut self, dst: &mut [u8]) -> Result<(), CoreError> {
        let buf = self.assembled_buf_mut();
        if buf.is_empty() {
            return Err(CoreError::NoAssembledFrame);
        }
        if dst.len() != buf.len() {
            return Err(CoreError::AssembledLengthMismatch {
                expected: buf.len(),
                got: dst.len(),
            });
        }
        dst.copy_from_slice(buf);
        release(buf);
        Ok(())
    }

    /// Back to the initial state: drops partial data and the assembled frame, and clears a failure.
    pub fn reset(&mut self) {
        match &mut self.inner {
            Inner::Ndjson(d) => d.reset(),
            Inner::LengthPrefixed(d) => d.reset(),
        }
    }

    fn assembled_buf(&self) -> &Vec<u8> {
        match &self.inner {
            Inner::Ndjson(d) => &d.assembled,
            Inner::LengthPrefixed(d) => &d.assembled,
        }
    }

    fn assembled_buf_mut(&mut self) -> &mut Vec<u8> {
        match &mut self.inner {
            Inner::Ndjson(d) => &mut d.assembled,
            Inner::LengthPrefixed(d) => &mut d.assembled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::{Status, MAX_MESSAGE_SIZE_LIMIT};

    fn ndjson(max: u64) -> Decoder {
        Decoder::new(0, max).unwrap()
    }

    #[test]
    fn options_are_validated() {
        assert_eq!(
            Decoder::new(2, 10).err(),
            Some(CoreError::InvalidFraming { value: 2 })
        );
        for bad in [0, MAX_MESSAGE_SIZE_LIMIT + 1, u64::MAX] {
            assert!(matches!(
                Decoder::new(0, bad),
                Err(CoreError::InvalidMaxMessageSize { value, .. }) if value == bad
            ));
        }
        assert_eq!(
            Decoder::new(1, 1).unwrap().framing(),
            Framing::LengthPrefixed
        );
        assert_eq!(
            Decoder::new(0, MAX_MESSAGE_SIZE_LIMIT)
                .unwrap()
                .max_message_size(),
            268_435_456
        );
    }

    #[test]
    fn push_arguments_are_validated() {
        let mut d = ndjson(100);
        let mut out = [0i32; 15];
        assert_eq!(
            d.push(b"1\n", 0, &mut out, 0),
            Err(CoreError::OutputTooSmall {
                needed: 16,
                got: 15
            })
        );
        let mut out = [0i32; 16];
        assert!(d.push(b"1\n", 0, &mut out, 1).is_err());
        assert!(d.push(b"1\n", 0, &mut out, usize::MAX).is_err());
        assert_eq!(
            d.push(b"1\n", 3, &mut out, 0),
            Err(CoreError::StartOutOfRange { start: 3, len: 2 })
        );
        assert_eq!(d.push(b"1\n", 2, &mut out, 0), Ok(0));
        assert_eq!(out[0], 2);
    }

    #[test]
    fn stops_before_a_record_that_does_not_fit() {
        let mut d = ndjson(100);
        let mut out = [7i32; 24];
        let chunk = b"[1]\n\n[22]\r\n[333]\n";
        assert_eq!(d.push(chunk, 0, &mut out, 1), Ok(1));
        // The empty line needs no record, so it is consumed too: the stop is right before "[22]".
        assert_eq!(out[0], 5);
        assert_eq!(
            &out[1..8],
            &[7; 7],
            "the rest of the header slot is not touched"
        );
        assert_eq!(&out[16..19], &[Status::Frame as i32, 0, 3]);
        assert_eq!(d.push(chunk, 5, &mut out, 1), Ok(1));
        assert_eq!(out[0], 11);
        assert_eq!(&out[16..19], &[0, 5, 9]);
        assert_eq!(d.push(chunk, 11, &mut out, 1), Ok(1));
        assert_eq!(out[0], chunk.len() as i32);
        assert_eq!(&out[16..19], &[0, 11, 16]);
    }

    #[test]
    fn assembled_frames_are_taken_once() {
        let mut d = ndjson(100);
        let mut out = [0i32; 16];
        let mut dst = [0u8; 3];
        assert_eq!(d.take_assembled(&mut dst), Err(CoreError::NoAssembledFrame));
        assert_eq!(d.push(b"[1", 0, &mut out, 0), Ok(0));
        assert_eq!(d.push(b"]\n", 0, &mut out, 0), Ok(1));
        assert_eq!(&out[8..11], &[Status::FrameAssembled as i32, 0, 3]);
        assert_eq!(d.assembled(), Some(&b"[1]"[..]));
        assert_eq!(
            d.take_assembled(&mut [0u8; 2]),
            Err(CoreError::AssembledLengthMismatch {
                expected: 3,
                got: 2
            })
        );
        d.take_assembled(&mut dst).unwrap();
        assert_eq!(&dst, b"[1]");
        assert_eq!(d.take_assembled(&mut dst), Err(CoreError::NoAssembledFrame));
        // A frame not taken before the next push is dropped.
        assert_eq!(d.push(b"[2", 0, &mut out, 0), Ok(0));
        assert_eq!(d.push(b"]\n", 0, &mut out, 0), Ok(1));
        assert_eq!(d.push(b"", 0, &mut out, 0), Ok(0));
        assert_eq!(d.assembled(), None);
    }

    #[test]
    fn reset_clears_partial_data_and_failure() {
        let mut d = ndjson(100);
        let mut out = [0i32; 16];
        d.push(b"garbage", 0, &mut out, 0).unwrap();
        d.reset();
        assert_eq!(d.push(b"1\n", 0, &mut out, 0), Ok(1));
        assert_eq!(&out[8..11], &[Status::Frame as i32, 0, 1]);

        let mut d = Decoder::new(1, 100).unwrap();
        assert_eq!(d.push(&[0, 0, 0, 0], 0, &mut out, 0), Ok(1));
        assert_eq!(out[8], Status::ErrCorruptHeader as i32);
        assert_eq!(d.push(&[0, 0, 0, 1, b'1'], 0, &mut out, 0), Ok(1));
        assert_eq!(out[8], Status::ErrDecoderFailed as i32);
        assert_eq!(out[0], 5);
        d.reset();
        assert_eq!(d.push(&[0, 0, 0, 1, b'1'], 0, &mut out, 0), Ok(1));
        assert_eq!(&out[8..11], &[Status::Frame as i32, 4, 5]);
    }

    /// Linear however chunked: a 2 MiB message fed one byte per push (the ignored perf test does 64 MiB in release).
    #[test]
    fn one_byte_chunks_of_a_large_message() {
        let mut msg = br#"{"jsonrpc":"2.0","id":1,"result":{"blob":""#.to_vec();
        msg.extend(std::iter::repeat(b'x').take(2 << 20));
        msg.extend_from_slice(br#""}}"#);
        for framing in [0u32, 1] {
            let mut d = Decoder::new(framing, 4 << 20).unwrap();
            let mut stream = Vec::new();
            if framing == 1 {
                stream.extend_from_slice(&(msg.len() as u32).to_be_bytes());
            }
            stream.extend_from_slice(&msg);
            if framing == 0 {
                stream.push(b'\n');
            }
            let mut out = [0i32; 16];
            let mut frames = 0;
            for b in &stream {
                if d.push(std::slice::from_ref(b), 0, &mut out, 0).unwrap() == 1 {
                    assert_eq!(out[8], Status::FrameAssembled as i32);
                    assert_eq!(out[8] & 0xF, 1);
                    assert_eq!(out[11] & 0xF, 3, "a response");
                    assert_eq!(d.assembled(), Some(&msg[..]));
                    frames += 1;
                }
            }
            assert_eq!(frames, 1);
        }
    }
}
