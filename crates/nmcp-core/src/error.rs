//! The one error type of the crate.
//!
//! Errors are for misuse by the caller (bad options, arrays too small, positions out of range). Problems in the
//! *input bytes* are never errors: they are reported in-band as records (`ERR_TOO_LARGE`, …) or as a refused payload
//! index, because a malformed peer must not be able to make the runtime throw.

use thiserror::Error;

/// Everything that can go wrong when calling the core API with arguments outside its contract.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CoreError {
    /// `maxMessageSize` is outside `1..=max`.
    #[error("maxMessageSize must be an integer in 1..={max}, got {value}")]
    InvalidMaxMessageSize {
        /// The rejected value.
        value: u64,
        /// The largest allowed value (256 MiB).
        max: u64,
    },

    /// The framing code is neither 0 (NDJSON) nor 1 (length-prefixed).
    #[error("framing must be 0 (NDJSON) or 1 (length-prefixed), got {value}")]
    InvalidFraming {
        /// The rejected code.
        value: u32,
    },

    /// An output array cannot hold what must be written into it.
    #[error("output too small: {needed} elements needed, got {got}")]
    OutputTooSmall {
        /// The number of elements (bytes or i32) needed.
        needed: usize,
        /// The number available.
        got: usize,
    },

    /// `start` lies past the end of the chunk.
    #[error("start {start} is past the end of the chunk ({len} bytes)")]
    StartOutOfRange {
        /// The rejected start position.
        start: usize,
        /// The chunk length.
        len: usize,
    },

    /// The chunk is too long for its offsets to fit in an `i32` record column.
    #[error("chunk of {len} bytes is too large (at most {max} bytes per push)")]
    ChunkTooLarge {
        /// The chunk length.
        len: usize,
        /// The largest accepted chunk length.
        max: usize,
    },

    /// `take_assembled` was called but the last `push` assembled no frame (or it was already taken).
    #[error("no assembled frame to take")]
    NoAssembledFrame,

    /// `take_assembled` got a destination whose length differs from the assembled frame's.
    #[error("assembled frame is {expected} bytes, destination holds {got}")]
    AssembledLengthMismatch {
        /// The assembled frame's length.
        expected: usize,
        /// The destination's length.
        got: usize,
    },

    /// `count` exceeds the number of entries in `ends`.
    #[error("count {count} exceeds the {len} entries of ends")]
    CountOutOfRange {
        /// The requested payload count.
        count: usize,
        /// `ends.len()`.
        len: usize,
    },

    /// `ends[index]` is smaller than the previous end or larger than the payload buffer.
    #[error("ends[{index}] = {end} is out of order or past the payload buffer ({len} bytes)")]
    InvalidEnds {
        /// The first offending index.
        index: usize,
        /// Its value.
        end: u32,
        /// The payload buffer length.
        len: usize,
    },

    /// A route option is outside its range (the old configuration stays).
    #[error("{key} must be an integer in {min}..={max}, got {value}")]
    InvalidOption {
        /// The option's name as users spell it (`cacheTtlMs`, …).
        key: &'static str,
        /// The rejected value.
        value: u64,
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },
}
