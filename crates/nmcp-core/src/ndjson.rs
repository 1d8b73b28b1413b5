//! NDJSON decoding (docs/core-api.md §NDJSON rules).
//!
//! Each input byte is visited by `memchr` once to find line ends, and each frame by one envelope scan. A line that
//! spans chunks is appended to `line` (amortised O(1) per byte, never re-concatenated), which never holds more than
//! `max + 1` bytes: at `max + 2` bytes the line is certainly too large (even if a `\r` then a `\n` follow), so it is
//! reported and the rest of it is skipped.

use memchr::memchr;

use crate::envelope::{scan_envelope, Envelope};
use crate::framing::{release, Records, Status};

pub(crate) struct NdjsonDecoder {
    max: usize,
    /// The unterminated line carried over from earlier chunks (raw: a trailing `\r` is still there).
    line: Vec<u8>,
    /// The current line was already reported too large; skip up to and including its `\n`.
    discarding: bool,
    /// The frame reported as FRAME_ASSEMBLED by the last push (empty when none: frames are never empty).
    pub(crate) assembled: Vec<u8>,
    /// Scan each frame's envelope (false: every frame is UNSCANNED; see `Decoder::set_scan`).
    pub(crate) scan: bool,
}

impl NdjsonDecoder {
    pub(crate) fn new(max: usize) -> Self {
        NdjsonDecoder {
            max,
            line: Vec::new(),
            discarding: false,
            assembled: Vec::new(),
            scan: true,
        }
    }

    pub(crate) fn reset(&mut self) {
        release(&mut self.line);
        release(&mut self.assembled);
        self.discarding = false;
    }

    /// Decodes `chunk[start..]`; returns the consumed position. `rec` has room for at least one record.
    pub(crate) fn push(&mut self, chunk: &[u8], start: usize, rec: &mut Records<'_>) -> usize {
        // An assembled frame lives only until the next push (the caller takes it before pushing again).
        release(&mut self.assembled);
        let mut pos = start;
        let rest = chunk.get(pos..).unwrap_or(&[]);

        // 1. Finish the line carried over from earlier chunks. Its record, if any, is the first of this call, and
        //    `rec` always has room for one.
        if self.discarding {
            match memchr(b'\n', rest) {
                Some(off) => {
                    self.discarding = false;
                    pos += off + 1;
                }
                None => return chunk.len(),
            }
        } else if !self.line.is_empty() {
            match memchr(b'\n', rest) {
                Some(off) => {
                    pos += off + 1;
                    self.finish_carried_line(rest.get(..off).unwrap_or(&[]), rec);
                }
                None => {
                    if self.line.len() + rest.len() >= self.max + 2 {
                        release(&mut self.line);
                        self.discarding = true;
                        rec.error(Status::ErrTooLarge, 0);
                    } else {
                        self.line.extend_from_slice(rest);
                    }
                    return chunk.len();
                }
            }
        }

        // 2. Lines that start in this chunk.
        loop {
            let rest = chunk.get(pos..).unwrap_or(&[]);
            let Some(off) = memchr(b'\n', rest) else {
                // Unterminated tail: keep it (at most max + 1 bytes) or report it as certainly too large.
                if rest.len() >= self.max + 2 {
                    if !rec.has_room() {
                        return pos;
                    }
                    rec.error(Status::ErrTooLarge, 0);
                    self.discarding = true;
                } else {
                    self.line.extend_from_slice(rest);
                }
                return chunk.len();
            };
            let line = rest.get(..off).unwrap_or(&[]);
            let frame = line.strip_suffix(b"\r").unwrap_or(line);
            if !frame.is_empty() {
                // Stop before a line whose record does not fit: the caller resumes here with a fresh `out`.
                if !rec.has_room() {
                    return pos;
                }
                if frame.len() > self.max {
                    rec.error(Status::ErrTooLarge, 0);
                } else {
                    rec.frame(
                        Status::Frame,
                        pos,
                        pos + frame.len(),
                        &envelope_of(frame, self.scan),
                    );
                }
            }
            pos += off + 1;
        }
    }

    /// The carried line ends with `tail` (the bytes before the `\n` in this chunk).
    fn finish_carried_line(&mut self, tail: &[u8], rec: &mut Records<'_>) {
        if self.line.len() + tail.len() >= self.max + 2 {
            // Too large whatever the stripping; never buffer it.
            release(&mut self.line);
            rec.error(Status::ErrTooLarge, 0);
            return;
        }
        self.line.extend_from_slice(tail);
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        if self.line.is_empty() {
            return; // the line was just "\r"
        }
        if self.line.len() > self.max {
            release(&mut self.line);
            rec.error(Status::ErrTooLarge, 0);
            return;
        }
        // Hand the line over as the assembled frame; `line` takes the (empty) old buffer, so nothing is copied.
        std::mem::swap(&mut self.line, &mut self.assembled);
        let envelope = envelope_of(&self.assembled, self.scan);
        rec.frame(Status::FrameAssembled, 0, self.assembled.len(), &envelope);
    }
}

/// The frame's envelope, or UNSCANNED when the decoder does not scan.
#[inline]
pub(crate) fn envelope_of(frame: &[u8], scan: bool) -> Envelope {
    if scan {
        scan_envelope(frame)
    } else {
        Envelope::UNSCANNED
    }
}
