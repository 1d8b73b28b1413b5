//! Length-prefixed decoding (docs/core-api.md §Length-prefixed rules): a 4-byte big-endian length, then the payload.
//!
//! A header may be split across chunks (its bytes wait in `header`); a payload that spans chunks is appended to
//! `payload`, growing with the bytes that actually arrive (a hostile header declaring 256 MiB does not reserve 256 MiB).
//! A zero or oversize length fails the decoder: the stream is desynchronised and nothing after it can be trusted.

use crate::framing::{release, Records, Status};
use crate::ndjson::envelope_of;

const HEADER: usize = 4;

pub(crate) struct LengthPrefixedDecoder {
    max: usize,
    /// Header bytes received so far (only while a header is split across chunks).
    header: [u8; HEADER],
    header_len: usize,
    /// Declared length of the payload being carried over, 0 when none.
    need: usize,
    /// Payload bytes carried over from earlier chunks.
    payload: Vec<u8>,
    failed: bool,
    /// The frame reported as FRAME_ASSEMBLED by the last push (empty when none).
    pub(crate) assembled: Vec<u8>,
    /// Scan each frame's envelope (false: every frame is UNSCANNED; see `Decoder::set_scan`).
    pub(crate) scan: bool,
}

/// What a complete header says.
enum Header {
    Payload(usize),
    Fatal(Status, u32),
}

impl LengthPrefixedDecoder {
    pub(crate) fn new(max: usize) -> Self {
        LengthPrefixedDecoder {
            max,
            header: [0; HEADER],
            header_len: 0,
            need: 0,
            payload: Vec::new(),
            failed: false,
            assembled: Vec::new(),
            scan: true,
        }
    }

    pub(crate) fn reset(&mut self) {
        self.header_len = 0;
        self.need = 0;
        release(&mut self.payload);
        release(&mut self.assembled);
        self.failed = false;
    }

    fn check(&self, header: [u8; HEADER]) -> Header {
        let n = u32::from_be_bytes(header);
        if n == 0 {
            Header::Fatal(Status::ErrCorruptHeader, 0)
        } else if usize::try_from(n).map_or(true, |n| n > self.max) {
            Header::Fatal(Status::ErrTooLargeFatal, n)
        } else {
            Header::Payload(n as usize)
        }
    }

    /// Decodes `chunk[start..]`; returns the consumed position. `rec` has room for at least one record.
    pub(crate) fn push(&mut self, chunk: &[u8], start: usize, rec: &mut Records<'_>) -> usize {
        if self.failed {
            rec.error(Status::ErrDecoderFailed, 0);
            return chunk.len();
        }
        release(&mut self.assembled);
        let mut pos = start;

        // 1. Finish what earlier chunks left: a split header, or a payload. Its record, if any, is the first.
        if self.header_len > 0 {
            let rest = chunk.get(pos..).unwrap_or(&[]);
            let take = (HEADER - self.header_len).min(rest.len());
            if let (Some(dst), Some(src)) = (
                self.header.get_mut(self.header_len..self.header_len + take),
                rest.get(..take),
            ) {
                dst.copy_from_slice(src);
            }
            self.header_len += take;
            pos += take;
            if self.header_len < HEADER {
                return chunk.len();
            }
            self.header_len = 0;
            match self.check(self.header) {
                Header::Fatal(status, detail) => return self.fail(status, detail, chunk, rec),
                Header::Payload(n) => {
                    let rest = chunk.get(pos..).unwrap_or(&[]);
                    match rest.get(..n) {
                        // The whole payload is in this chunk: an ordinary frame, no copy.
                        Some(frame) => {
                            rec.frame(Status::Frame, pos, pos + n, &envelope_of(frame, self.scan));
                            pos += n;
                        }
                        None => {
                            self.payload.extend_from_slice(rest);
                            self.need = n;
                            return chunk.len();
                        }
                    }
                }
            }
        } else if self.need > 0 {
            let rest = chunk.get(pos..).unwrap_or(&[]);
            let want = self.need - self.payload.len();
            match rest.get(..want) {
                Some(tail) => {
                    self.payload.extend_from_slice(tail);
                    pos += want;
                    self.need = 0;
                    // Hand the payload over as the assembled frame without copying it.
                    std::mem::swap(&mut self.payload, &mut self.assembled);
                    let envelope = envelope_of(&self.assembled, self.scan);
                    rec.frame(Status::FrameAssembled, 0, self.assembled.len(), &envelope);
                }
                None => {
                    self.payload.extend_from_slice(rest);
                    return chunk.len();
                }
            }
        }

        // 2. Frames whose header starts in this chunk.
        loop {
            let rest = chunk.get(pos..).unwrap_or(&[]);
            let Some(header) = rest.get(..HEADER) else {
                // 0..=3 header bytes: keep them for the next chunk.
                if let Some(dst) = self.header.get_mut(..rest.len()) {
                    dst.copy_from_slice(rest);
                }
                self.header_len = rest.len();
                return chunk.len();
            };
            let mut bytes = [0; HEADER];
            bytes.copy_from_slice(header);
            let n = match self.check(bytes) {
                Header::Fatal(status, detail) => {
                    if !rec.has_room() {
                        return pos;
                    }
                    return self.fail(status, detail, chunk, rec);
                }
                Header::Payload(n) => n,
            };
            let body = rest.get(HEADER..).unwrap_or(&[]);
            match body.get(..n) {
                Some(frame) => {
                    // Stop before a frame whose record does not fit: the caller resumes here with a fresh `out`.
                    if !rec.has_room() {
                        return pos;
                    }
                    let start = pos + HEADER;
                    rec.frame(
                        Status::Frame,
                        start,
                        start + n,
                        &envelope_of(frame, self.scan),
                    );
                    pos = start + n;
                }
                None => {
                    self.payload.extend_from_slice(body);
                    self.need = n;
                    return chunk.len();
                }
            }
        }
    }

    /// Reports a fatal header and fails the decoder; nothing after the header is decoded (the whole input counts as
    /// consumed, so the caller does not push the rest of this chunk again).
    fn fail(&mut self, status: Status, detail: u32, chunk: &[u8], rec: &mut Records<'_>) -> usize {
        rec.error(status, detail);
        self.failed = true;
        release(&mut self.payload);
        chunk.len()
    }
}
