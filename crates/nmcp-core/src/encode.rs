//! Frame encoding (docs/core-api.md §Encoder): many payloads framed into one caller-provided buffer per call.

use memchr::{memchr, memchr_iter};

use crate::error::CoreError;
use crate::framing::{validate_max_message_size, Framing};

/// Frames `count` contiguous payloads into `dst` and returns the number of bytes written.
///
/// Payload `i` is `payloads[ends[i-1]..ends[i]]` (`ends[-1]` = 0). NDJSON writes payload + `\n`, length-prefixed a
/// 4-byte big-endian length + payload. `dst` must hold `ends[count-1] + count × (1 | 4)` bytes, else
/// `Err(OutputTooSmall)`. A payload that is empty, larger than `max_message_size` or (NDJSON) contains `\n` is refused:
/// the result is `Ok(-(i + 1))` for the first such payload `i` and `dst` content is unspecified.
///
/// Argument errors (`Err`) are checked before any payload: invalid framing or max, `count > ends.len()`, `ends` not
/// non-decreasing or past `payloads.len()`, then the size of `dst`.
pub fn encode_frames(
    framing: u32,
    max_message_size: u64,
    payloads: &[u8],
    ends: &[u32],
    count: usize,
    dst: &mut [u8],
) -> Result<i64, CoreError> {
    let framing = Framing::try_from(framing)?;
    let max = validate_max_message_size(max_message_size)?;
    let ends = ends.get(..count).ok_or(CoreError::CountOutOfRange {
        count,
        len: ends.len(),
    })?;
    let mut total = 0usize;
    for (index, &end) in ends.iter().enumerate() {
        let e = end as usize;
        if e < total || e > payloads.len() {
            return Err(CoreError::InvalidEnds {
                index,
                end,
                len: payloads.len(),
            });
        }
        total = e;
    }
    let needed = count
        .checked_mul(framing.overhead())
        .and_then(|n| n.checked_add(total))
        .unwrap_or(usize::MAX);
    if dst.len() < needed {
        return Err(CoreError::OutputTooSmall {
            needed,
            got: dst.len(),
        });
    }

    let mut start = 0usize;
    let mut w = 0usize;
    for (index, &end) in ends.iter().enumerate() {
        let end = end as usize;
        let payload = payloads.get(start..end).unwrap_or(&[]);
        start = end;
        if payload.is_empty()
            || payload.len() > max
            || (framing == Framing::Ndjson && memchr(b'\n', payload).is_some())
        {
            return Ok(refused(index));
        }
        w = write_frame(framing, payload, dst, w);
    }
    Ok(w as i64)
}

/// Frames the `\n`-separated messages of `joined` (UTF-8 bytes) into `dst` and returns the number of bytes written.
///
/// `dst` must hold `joined.len() + 1` bytes for NDJSON, `joined.len() - (count - 1) + 4 × count` for length-prefixed
/// (`count` = number of `\n` + 1), else `Err(OutputTooSmall)`. A message that is empty (as in `""` or `"a\n\nb"`) or
/// larger than `max_message_size` is refused: `Ok(-(i + 1))` for the first such message `i`.
pub fn encode_joined(
    framing: u32,
    max_message_size: u64,
    joined: &[u8],
    dst: &mut [u8],
) -> Result<i64, CoreError> {
    let framing = Framing::try_from(framing)?;
    let max = validate_max_message_size(max_message_size)?;
    let needed = match framing {
        // Every separator becomes a terminator, plus one for the last message.
        Framing::Ndjson => joined.len().saturating_add(1),
        // Every separator is replaced by a header, plus one header for the first message.
        Framing::LengthPrefixed => {
            let count = memchr_iter(b'\n', joined).count() + 1;
            joined.len().saturating_add(3 * count + 1)
        }
    };
    if dst.len() < needed {
        return Err(CoreError::OutputTooSmall {
            needed,
            got: dst.len(),
        });
    }

    let mut start = 0usize;
    let mut w = 0usize;
    let ends = memchr_iter(b'\n', joined).chain(std::iter::once(joined.len()));
    for (index, end) in ends.enumerate() {
        let message = joined.get(start..end).unwrap_or(&[]);
        start = end + 1;
        if message.is_empty() || message.len() > max {
            return Ok(refused(index));
        }
        if framing == Framing::LengthPrefixed {
            w = write_frame(framing, message, dst, w);
        }
    }
    if framing == Framing::Ndjson {
        // No message contains '\n' (they were split on it), so the framed output is `joined` plus a final '\n'.
        if let Some(body) = dst.get_mut(..joined.len()) {
            body.copy_from_slice(joined);
        }
        if let Some(last) = dst.get_mut(joined.len()) {
            *last = b'\n';
        }
        w = needed;
    }
    Ok(w as i64)
}

/// `-(index + 1)`: the refusal code of payload `index`.
fn refused(index: usize) -> i64 {
    -(index as i64) - 1
}

/// Writes one framed payload at `dst[w..]` and returns the new write position. `dst` was checked to hold every frame.
fn write_frame(framing: Framing, payload: &[u8], dst: &mut [u8], w: usize) -> usize {
    let body_at = match framing {
        Framing::Ndjson => w,
        Framing::LengthPrefixed => {
            // payload.len() <= max <= 256 MiB, so it fits in a u32.
            let header = (payload.len() as u32).to_be_bytes();
            if let Some(slot) = dst.get_mut(w..w + 4) {
                slot.copy_from_slice(&header);
            }
            w + 4
        }
    };
    let end = body_at + payload.len();
    if let Some(slot) = dst.get_mut(body_at..end) {
        slot.copy_from_slice(payload);
    }
    if framing == Framing::Ndjson {
        if let Some(slot) = dst.get_mut(end) {
            *slot = b'\n';
        }
        end + 1
    } else {
        end
    }
}

/// Frames, in place, `\n`-joined messages that already sit in `buf[src..src + len]`; the framed output starts at
/// `buf[0]`. Returns bytes written, or `Ok(-(i + 1))` for the first message `i` that is empty or larger than the max.
///
/// This is `encode_joined` without the copy in: the N-API binding transcodes the JS string straight into `buf` (at
/// `src`) and frames it where it lies, so the message bytes are written once by V8 and moved once here.
///
/// NDJSON needs `src == 0` and `buf.len() > len`. Length-prefixed needs the output (`len + 3 × count + 1`) to fit and
/// `src >= 3 × count` (which holds when the text sits at the end of an output-sized buffer with one spare byte): the
/// write position then never passes the start of the next unread message, so one forward pass with `copy_within`
/// (memmove) is enough.
pub fn frame_joined_in_place(
    framing: u32,
    max_message_size: u64,
    buf: &mut [u8],
    src: usize,
    len: usize,
) -> Result<i64, CoreError> {
    let framing = Framing::try_from(framing)?;
    let max = validate_max_message_size(max_message_size)?;
    let end =
        src.checked_add(len)
            .filter(|&e| e <= buf.len())
            .ok_or(CoreError::OutputTooSmall {
                needed: src.saturating_add(len),
                got: buf.len(),
            })?;
    let text = buf.get(src..end).unwrap_or(&[]);
    let count = memchr_iter(b'\n', text).count() + 1;
    // Validate every message before moving anything.
    let mut start = 0usize;
    for (index, stop) in memchr_iter(b'\n', text)
        .chain(std::iter::once(len))
        .enumerate()
    {
        let size = stop - start;
        if size == 0 || size > max {
            return Ok(refused(index));
        }
        start = stop + 1;
    }
    match framing {
        Framing::Ndjson => {
            if src != 0 || buf.len() <= len {
                return Err(CoreError::OutputTooSmall {
                    needed: src.saturating_add(len) + 1,
                    got: buf.len(),
                });
            }
            if let Some(last) = buf.get_mut(len) {
                *last = b'\n';
            }
            Ok((len + 1) as i64)
        }
        Framing::LengthPrefixed => {
            let needed = len + 3 * count + 1;
            if buf.len() < needed || src < 3 * count {
                return Err(CoreError::OutputTooSmall {
                    needed: needed.max(src),
                    got: buf.len(),
                });
            }
            let mut read = src;
            let mut w = 0usize;
            for i in 0..count {
                let stop = if i + 1 == count {
                    end
                } else {
                    read + buf
                        .get(read..end)
                        .and_then(|rest| memchr(b'\n', rest))
                        .unwrap_or(end - read)
                };
                let size = stop - read;
                // Move first, then write the header: the header may overlap the first bytes of this message's source
                // (only for the last message, when src == 3 × count), never those of a later one.
                buf.copy_within(read..stop, w + 4);
                if let Some(head) = buf.get_mut(w..w + 4) {
                    head.copy_from_slice(&(size as u32).to_be_bytes());
                }
                w += 4 + size;
                read = stop + 1;
            }
            Ok(w as i64)
        }
    }
}
