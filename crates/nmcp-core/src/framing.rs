//! Framing codes, record status codes and the record writer shared by both decoders (docs/core-api.md §Decoder).

use crate::envelope::Envelope;
use crate::error::CoreError;

/// The largest allowed `maxMessageSize`: 256 MiB.
pub const MAX_MESSAGE_SIZE_LIMIT: u64 = 268_435_456;
/// The default `maxMessageSize`: 16 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: u64 = 16_777_216;
/// Number of `i32` per record (and in the header slot) of a decoder's `out` array.
pub const RECORD_STRIDE: usize = 8;

/// How messages are delimited on the wire.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Framing {
    /// One message per line, `\n` terminated (the MCP stdio framing).
    Ndjson = 0,
    /// 4-byte big-endian unsigned length, then that many payload bytes.
    LengthPrefixed = 1,
}

impl Framing {
    /// Bytes of framing added around each payload when encoding: the `\n`, or the 4-byte header.
    pub fn overhead(self) -> usize {
        match self {
            Framing::Ndjson => 1,
            Framing::LengthPrefixed => 4,
        }
    }
}

impl TryFrom<u32> for Framing {
    type Error = CoreError;

    fn try_from(value: u32) -> Result<Self, CoreError> {
        match value {
            0 => Ok(Framing::Ndjson),
            1 => Ok(Framing::LengthPrefixed),
            _ => Err(CoreError::InvalidFraming { value }),
        }
    }
}

/// Checks a `maxMessageSize` option (`1..=256 MiB`) and returns it as a `usize`.
pub fn validate_max_message_size(value: u64) -> Result<usize, CoreError> {
    let invalid = CoreError::InvalidMaxMessageSize {
        value,
        max: MAX_MESSAGE_SIZE_LIMIT,
    };
    if !(1..=MAX_MESSAGE_SIZE_LIMIT).contains(&value) {
        return Err(invalid);
    }
    usize::try_from(value).map_err(|_| invalid)
}

/// Record status codes (column 0).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// A complete frame, bytes `chunk[start..end]`.
    Frame = 0,
    /// A complete frame that began in an earlier chunk; fetch it with `take_assembled` (length in column 2).
    FrameAssembled = 1,
    /// NDJSON: a line longer than `maxMessageSize` was discarded. Recoverable.
    ErrTooLarge = 2,
    /// Length-prefixed: a header declares more than `maxMessageSize` (detail = declared length). Fatal.
    ErrTooLargeFatal = 3,
    /// Length-prefixed: a header declares 0 bytes. Fatal.
    ErrCorruptHeader = 4,
    /// `push` on a failed decoder.
    ErrDecoderFailed = 5,
}

impl Status {
    /// The status of a code, if it is one.
    pub fn from_code(code: i32) -> Option<Status> {
        Some(match code {
            0 => Status::Frame,
            1 => Status::FrameAssembled,
            2 => Status::ErrTooLarge,
            3 => Status::ErrTooLargeFatal,
            4 => Status::ErrCorruptHeader,
            5 => Status::ErrDecoderFailed,
            _ => return None,
        })
    }
}

/// Writes records into the caller's `out` array, slot by slot, never past its end.
pub(crate) struct Records<'a> {
    out: &'a mut [i32],
    /// Index in `out` of the next record's first column.
    next: usize,
    written: usize,
}

impl<'a> Records<'a> {
    /// Fails unless `out` has room for the header slot and at least one record at `1 + out_record_start`.
    pub(crate) fn new(out: &'a mut [i32], out_record_start: usize) -> Result<Self, CoreError> {
        let next = out_record_start
            .checked_add(1)
            .and_then(|slot| slot.checked_mul(RECORD_STRIDE))
            .unwrap_or(usize::MAX);
        let needed = next.saturating_add(RECORD_STRIDE);
        if out.len() < needed {
            return Err(CoreError::OutputTooSmall {
                needed,
                got: out.len(),
            });
        }
        Ok(Records {
            out,
            next,
            written: 0,
        })
    }

    pub(crate) fn has_room(&self) -> bool {
        self.out.len() - self.next >= RECORD_STRIDE
    }

    pub(crate) fn written(&self) -> usize {
        self.written
    }

    /// Writes `out[0]`, the consumed position.
    pub(crate) fn set_consumed(&mut self, position: usize) {
        if let Some(slot) = self.out.first_mut() {
            *slot = to_i32(position);
        }
    }

    fn put(&mut self, record: [i32; RECORD_STRIDE]) {
        // Callers check `has_room` first (a full `out` makes them stop at a record boundary), so this never drops a
        // record; the `if let` only keeps an impossible overflow from panicking.
        if let Some(slot) = self.out.get_mut(self.next..self.next + RECORD_STRIDE) {
            slot.copy_from_slice(&record);
            self.next += RECORD_STRIDE;
            self.written += 1;
        }
    }

    /// A frame: `chunk[start..end]` for FRAME, or `0..len` for FRAME_ASSEMBLED.
    pub(crate) fn frame(&mut self, status: Status, start: usize, end: usize, envelope: &Envelope) {
        let [packed, id_start, id_end, method_start, method_end] = envelope.cols();
        self.put([
            status as i32,
            to_i32(start),
            to_i32(end),
            packed,
            id_start,
            id_end,
            method_start,
            method_end,
        ]);
    }

    /// An error record; `detail` is stored as u32 bits.
    pub(crate) fn error(&mut self, status: Status, detail: u32) {
        self.put([status as i32, detail as i32, 0, 0, -1, -1, -1, -1]);
    }
}

/// Offsets are bounded by the chunk length (checked to be <= i32::MAX by `Decoder::push`) or by maxMessageSize.
fn to_i32(value: usize) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// Buffers that once held a huge frame give their memory back instead of pinning up to 256 MiB per decoder.
const RETAINED_CAPACITY: usize = 1 << 20;

/// Empties `buf`, releasing its allocation when it has grown past [`RETAINED_CAPACITY`].
pub(crate) fn release(buf: &mut Vec<u8>) {
    if buf.capacity() > RETAINED_CAPACITY {
        *buf = Vec::new();
    } else {
        buf.clear();
    }
}
