//! `rewriteFrames`: the gateway's forwarding primitive (nmcp-core `forward`, docs/core-api.md §Forward) for JS. One
//! call rewrites a whole batch of frames — new ids and stripped name prefixes — into one JS-owned buffer, with the
//! output ends and per-frame statuses in JS-owned Uint32Arrays.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use nmcp_core::rewrite_batch;

use crate::{out_slice, to_napi};

/// Whether two byte ranges share memory (JS may pass views of one ArrayBuffer as input and output).
fn overlaps(a: &[u8], b: &[u8]) -> bool {
    let (a0, b0) = (a.as_ptr() as usize, b.as_ptr() as usize);
    !a.is_empty() && !b.is_empty() && a0 < b0 + b.len() && b0 < a0 + a.len()
}

/// Rewrites frames `0..count` (frame `i` = `frames[frameEnds[i-1]..frameEnds[i]]`) with new id `i` (raw JSON in
/// `ids[idEnds[i-1]..idEnds[i]]`) and `prefixes[i]` bytes cut off `params.name` (0: id only) into `dst`, back to back;
/// writes each output frame's end into `outEnds` and its status into `status` (0 ok, else the frame is copied
/// unchanged). Returns the bytes written.
#[napi(catch_unwind)]
#[allow(clippy::too_many_arguments)]
pub fn rewrite_frames(
    frames: &[u8],
    frame_ends: &[u32],
    ids: &[u8],
    id_ends: &[u32],
    prefixes: &[u32],
    count: u32,
    mut dst: Uint8ArraySlice,
    mut out_ends: Uint32ArraySlice,
    mut status: Uint32ArraySlice,
) -> Result<u32> {
    let dst = out_slice(&mut dst);
    if overlaps(dst, frames) || overlaps(dst, ids) {
        return Err(Error::new(
            Status::InvalidArg,
            "dst must not share memory with frames or ids",
        ));
    }
    let written = rewrite_batch(
        frames,
        frame_ends,
        ids,
        id_ends,
        prefixes,
        count as usize,
        dst,
        out_slice(&mut out_ends),
        out_slice(&mut status),
    )
    .map_err(to_napi)?;
    // `written` is at most the sum of two ends arrays of u32 offsets into JS buffers (< 2^32 each in practice:
    // typed arrays up to 4 GiB); refuse rather than truncate.
    u32::try_from(written).map_err(|_| Error::new(Status::InvalidArg, "output exceeds 4 GiB"))
}

/// Finds `params.name` in frames `0..count` (frame `i` = `frames[frameEnds[i-1]..frameEnds[i]]`) without parsing
/// them: writes the span of its string value (quotes excluded, relative to the frame's start) into `out[2i]`,
/// `out[2i+1]`, or `-status` and 0 (1 not an object, 3 no string name, 4 a name with escapes). One crossing per batch.
#[napi(catch_unwind)]
pub fn name_spans(
    frames: &[u8],
    frame_ends: &[u32],
    count: u32,
    mut out: Int32ArraySlice,
) -> Result<()> {
    nmcp_core::name_spans(frames, frame_ends, count as usize, out_slice(&mut out)).map_err(to_napi)
}
