//! Frame rewriting for the gateway's forwarding path (docs/core-api.md §Forward): a JSON-RPC frame is copied with its
//! top-level `id` replaced (downstream ids become gateway ids, and back) and, for `tools/call`-style requests, the
//! gateway's `<upstream>__` namespace prefix cut off the front of `params.name` — in the bytes, without parsing the
//! message into a tree.
//!
//! The frame is checked once by the envelope scan (a full syntax check that also yields the id span). Only when a name
//! prefix is to be stripped does a second, partial walk find `params` → `name`: it skips member values by bracket
//! depth, which is exact because the scan has already proved the text valid.

use memchr::memchr2;
use thiserror::Error;

use crate::envelope::{scan_envelope, Kind, ValueType};
use crate::error::CoreError;
use crate::lex::{literal, scan_number, scan_string, skip_ws};

/// Strings still open after this many bytes are searched with `memchr2` (its setup costs more than a short byte loop).
const SHORT_STRING: usize = 32;

/// Why a frame cannot be rewritten in the bytes. The batch form reports [`ForwardError::code`] per frame; every
/// failure is a property of the input, never of the call.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ForwardError {
    /// The frame is not a JSON text whose top-level value is an object.
    #[error("frame is not a JSON object")]
    NotAnObject,
    /// The object has no top-level `id` (a notification): it is forwarded unchanged.
    #[error("frame has no top-level id")]
    NoId,
    /// A prefix is to be stripped but `params` is not an object with a string member `name`.
    #[error("params.name is absent or not a string")]
    NoName,
    /// `params.name` contains a backslash: its bytes are not its value, so the caller takes the slow path.
    #[error("params.name contains escapes")]
    NameEscaped,
    /// `params.name` is shorter than the prefix, or the cut would fall inside a UTF-8 character.
    #[error("params.name is shorter than the prefix or the cut splits a character")]
    NameTooShort,
    /// The new id is not a JSON number or a JSON string literal.
    #[error("new id is not a JSON number or string literal")]
    BadNewId,
}

impl ForwardError {
    /// The per-frame status of the batch form (0 is success).
    pub fn code(self) -> u32 {
        match self {
            ForwardError::NotAnObject => 1,
            ForwardError::NoId => 2,
            ForwardError::NoName => 3,
            ForwardError::NameEscaped => 4,
            ForwardError::NameTooShort => 5,
            ForwardError::BadNewId => 6,
        }
    }
}

/// What to change in a frame: the byte range of the old id (quotes included) and the range of the name prefix to drop
/// (empty when nothing is stripped). The two never overlap: one is a top-level value, the other inside `params`.
#[derive(Debug, Clone, Copy)]
struct Plan {
    id: (usize, usize),
    cut: (usize, usize),
}

impl Plan {
    /// Output length for a new id of `id_len` bytes.
    fn out_len(&self, frame_len: usize, id_len: usize) -> usize {
        frame_len - (self.id.1 - self.id.0) - (self.cut.1 - self.cut.0) + id_len
    }

    /// The output as at most five slices, in order: frame pieces around the edits and the new id.
    fn pieces<'a>(&self, frame: &'a [u8], new_id: &'a [u8]) -> [&'a [u8]; 5] {
        let empty: &[u8] = &[];
        let (a, b) = self.id;
        let (c, d) = self.cut;
        let get = |s: usize, e: usize| frame.get(s..e).unwrap_or(empty);
        if c == d {
            [get(0, a), new_id, get(b, frame.len()), empty, empty]
        } else if a < c {
            [get(0, a), new_id, get(b, c), get(d, frame.len()), empty]
        } else {
            [get(0, c), get(d, a), new_id, get(b, frame.len()), empty]
        }
    }
}

/// Copies `frame` into `out` (cleared first) with the top-level `id` value replaced by `new_id` — the raw bytes of a
/// JSON number (`12345`) or string literal (`"abc"`) — and every other byte unchanged.
pub fn rewrite_id(frame: &[u8], new_id: &[u8], out: &mut Vec<u8>) -> Result<(), ForwardError> {
    rewrite_request(frame, new_id, 0, out)
}

/// As [`rewrite_id`], and when `strip_name_prefix > 0` also removes the first `strip_name_prefix` bytes of the string
/// value of `params.name` (the gateway's namespace prefix). On error `out` is left empty.
pub fn rewrite_request(
    frame: &[u8],
    new_id: &[u8],
    strip_name_prefix: usize,
    out: &mut Vec<u8>,
) -> Result<(), ForwardError> {
    out.clear();
    let plan = plan(frame, new_id, strip_name_prefix)?;
    out.reserve(plan.out_len(frame.len(), new_id.len()));
    for piece in plan.pieces(frame, new_id) {
        out.extend_from_slice(piece);
    }
    Ok(())
}

/// Rewrites `count` frames in one call (the binding's batch form).
///
/// Frame `i` is `frames[frame_ends[i-1]..frame_ends[i]]`, its new id `ids[id_ends[i-1]..id_ends[i]]` (`ends[-1]` = 0),
/// its prefix length `prefixes[i]` (0: id only). Each output frame is written to `dst` right after the previous one;
/// `out_ends[i]` receives its end and `status[i]` 0 or the [`ForwardError::code`]. A frame that fails is copied
/// unchanged (so a notification in the batch is forwarded as it is). Returns the bytes written.
///
/// Argument errors (`Err`), checked before any frame: `count` larger than any of `frame_ends`, `id_ends`,
/// `prefixes`; ends not non-decreasing or past their buffer; `dst` shorter than `frame_ends[count-1] +
/// id_ends[count-1]` or `out_ends` / `status` shorter than `count` (OutputTooSmall).
#[allow(clippy::too_many_arguments)]
pub fn rewrite_batch(
    frames: &[u8],
    frame_ends: &[u32],
    ids: &[u8],
    id_ends: &[u32],
    prefixes: &[u32],
    count: usize,
    dst: &mut [u8],
    out_ends: &mut [u32],
    status: &mut [u32],
) -> Result<usize, CoreError> {
    let shortest = frame_ends.len().min(id_ends.len()).min(prefixes.len());
    if count > shortest {
        return Err(CoreError::CountOutOfRange {
            count,
            len: shortest,
        });
    }
    let frames_total = check_ends(frame_ends, count, frames.len())?;
    let ids_total = check_ends(id_ends, count, ids.len())?;
    let needed = frames_total + ids_total;
    if dst.len() < needed {
        return Err(CoreError::OutputTooSmall {
            needed,
            got: dst.len(),
        });
    }
    let slots = out_ends.len().min(status.len());
    if slots < count {
        return Err(CoreError::OutputTooSmall {
            needed: count,
            got: slots,
        });
    }

    let (mut f0, mut i0, mut w) = (0usize, 0usize, 0usize);
    for k in 0..count {
        let (f1, i1) = (frame_ends[k] as usize, id_ends[k] as usize);
        let frame = frames.get(f0..f1).unwrap_or(&[]);
        let new_id = ids.get(i0..i1).unwrap_or(&[]);
        (f0, i0) = (f1, i1);
        let code = match plan(frame, new_id, prefixes[k] as usize) {
            Ok(plan) => {
                for piece in plan.pieces(frame, new_id) {
                    w = put(dst, w, piece);
                }
                0
            }
            Err(err) => {
                w = put(dst, w, frame);
                err.code()
            }
        };
        // Outputs never exceed frames + ids (checked above), so `w` fits in u32 like the input ends.
        out_ends[k] = w as u32;
        status[k] = code;
    }
    Ok(w)
}

/// Validates `ends[..count]` (non-decreasing, within `len`) and returns the last end.
fn check_ends(ends: &[u32], count: usize, len: usize) -> Result<usize, CoreError> {
    let mut total = 0usize;
    for (index, &end) in ends.iter().take(count).enumerate() {
        let e = end as usize;
        if e < total || e > len {
            return Err(CoreError::InvalidEnds { index, end, len });
        }
        total = e;
    }
    Ok(total)
}

/// Copies `piece` to `dst[w..]` and returns the new write position (the caller has checked the room).
fn put(dst: &mut [u8], w: usize, piece: &[u8]) -> usize {
    let end = w + piece.len();
    if let Some(slot) = dst.get_mut(w..end) {
        slot.copy_from_slice(piece);
    }
    end
}

/// Finds what to rewrite, or why the frame cannot be rewritten.
fn plan(frame: &[u8], new_id: &[u8], prefix: usize) -> Result<Plan, ForwardError> {
    if !is_id_literal(new_id) {
        return Err(ForwardError::BadNewId);
    }
    let env = scan_envelope(frame);
    let root = skip_ws(frame, 0);
    if env.kind == Kind::Invalid || frame.get(root) != Some(&b'{') {
        return Err(ForwardError::NotAnObject);
    }
    if env.id.ty == ValueType::Absent {
        return Err(ForwardError::NoId);
    }
    let (Ok(start), Ok(end)) = (usize::try_from(env.id.start), usize::try_from(env.id.end)) else {
        // Offsets past i32::MAX: outside the contract (the decoder never emits such frames).
        return Err(ForwardError::NotAnObject);
    };
    // A string span excludes the quotes; the replacement covers them.
    let id = if env.id.ty == ValueType::String {
        (start - 1, end + 1)
    } else {
        (start, end)
    };
    let cut = if prefix == 0 {
        (0, 0)
    } else {
        name_cut(frame, root, prefix)?
    };
    Ok(Plan { id, cut })
}

/// The range of the first `prefix` bytes of the string `params.name` in a valid frame whose root object opens at
/// `root`.
fn name_cut(frame: &[u8], root: usize, prefix: usize) -> Result<(usize, usize), ForwardError> {
    let (start, end) = name_body(frame, root)?;
    let body = &frame[start..end];
    // Cutting before a UTF-8 continuation byte would leave half a character.
    if body.len() < prefix || body.get(prefix).is_some_and(|&b| b & 0xC0 == 0x80) {
        return Err(ForwardError::NameTooShort);
    }
    Ok((start, start + prefix))
}

/// The byte range of the string value of `params.name` (quotes excluded) in a valid frame whose root object opens at
/// `root`; NameEscaped when it holds a backslash (its bytes are then not its value).
fn name_body(frame: &[u8], root: usize) -> Result<(usize, usize), ForwardError> {
    // One walk: `params` → `name` is found while skipping the top-level members, so params is read only once.
    let (params, _) =
        member_value(frame, root, b"params", Some(b"name")).ok_or(ForwardError::NotAnObject)?;
    let params = params.ok_or(ForwardError::NoName)?;
    if frame.get(params.value.0) != Some(&b'{') {
        return Err(ForwardError::NoName);
    }
    let (start, end) = params.inner.ok_or(ForwardError::NoName)?;
    if frame.get(start) != Some(&b'"') || end < start + 2 {
        return Err(ForwardError::NoName);
    }
    let body = frame.get(start + 1..end - 1).ok_or(ForwardError::NoName)?;
    if body.contains(&b'\\') {
        return Err(ForwardError::NameEscaped);
    }
    Ok((start + 1, end - 1))
}

/// The byte range of `params.name`'s string value (quotes excluded) in `frame`, checked by the envelope scan first:
/// how the gateway reads the namespace of a `tools/call` or `prompts/get` without parsing the request.
pub fn name_span(frame: &[u8]) -> Result<(usize, usize), ForwardError> {
    let env = scan_envelope(frame);
    let root = skip_ws(frame, 0);
    if env.kind == Kind::Invalid || frame.get(root) != Some(&b'{') {
        return Err(ForwardError::NotAnObject);
    }
    name_body(frame, root)
}

/// [`name_span`] of `count` frames in one call (frame `i` = `frames[frame_ends[i-1]..frame_ends[i]]`): writes the
/// span of frame `i`, relative to the frame's start, into `out[2i]`, `out[2i+1]`, or `-code` and 0 when it has none
/// ([`ForwardError::code`]: 1 not an object, 3 no name, 4 escaped).
pub fn name_spans(
    frames: &[u8],
    frame_ends: &[u32],
    count: usize,
    out: &mut [i32],
) -> Result<(), CoreError> {
    if count > frame_ends.len() {
        return Err(CoreError::CountOutOfRange {
            count,
            len: frame_ends.len(),
        });
    }
    check_ends(frame_ends, count, frames.len())?;
    if out.len() < 2 * count {
        return Err(CoreError::OutputTooSmall {
            needed: 2 * count,
            got: out.len(),
        });
    }
    let mut f0 = 0usize;
    for k in 0..count {
        let f1 = frame_ends[k] as usize;
        let frame = frames.get(f0..f1).unwrap_or(&[]);
        f0 = f1;
        match name_span(frame) {
            // Frames fit in i32 offsets (the decoder's records are i32 too).
            Ok((s, e)) => {
                out[2 * k] = i32::try_from(s).unwrap_or(i32::MAX);
                out[2 * k + 1] = i32::try_from(e).unwrap_or(i32::MAX);
            }
            Err(err) => {
                out[2 * k] = -(err.code() as i32);
                out[2 * k + 1] = 0;
            }
        }
    }
    Ok(())
}

/// A member found by [`member_value`]: its value span (whole token, quotes included) and, when asked for, the value
/// span of a member of that value (if it is an object that has it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) value: (usize, usize),
    pub(crate) inner: Option<(usize, usize)>,
}

/// Walks the object opening at `buf[open]` and returns the member `key` — the last one when the key repeats, as
/// `JSON.parse` keeps the last — with the position after the closing brace. With `inner`, an object value of `key` is
/// walked for its member `inner` in the same pass instead of being skipped (and read again later). `None` when the
/// bytes are not a valid object (cannot happen after the envelope scan, but no input may panic).
///
/// Keys written with escapes are decoded before comparing, so `"n\u0061me"` is `name`.
pub(crate) fn member_value(
    buf: &[u8],
    open: usize,
    key: &[u8],
    inner: Option<&[u8]>,
) -> Option<(Option<Found>, usize)> {
    if buf.get(open) != Some(&b'{') {
        return None;
    }
    let mut found = None;
    let mut i = skip_ws(buf, open + 1);
    if buf.get(i) == Some(&b'}') {
        return Some((None, i + 1));
    }
    loop {
        if buf.get(i) != Some(&b'"') {
            return None;
        }
        let (close, escaped) = string_end(buf, i + 1)?;
        let matches = key_equals(buf.get(i + 1..close)?, escaped, key);
        let colon = skip_ws(buf, close + 1);
        if buf.get(colon) != Some(&b':') {
            return None;
        }
        let start = skip_ws(buf, colon + 1);
        let end = match inner {
            Some(inner_key) if matches && buf.get(start) == Some(&b'{') => {
                let (member, end) = member_value(buf, start, inner_key, None)?;
                found = Some(Found {
                    value: (start, end),
                    inner: member.map(|m| m.value),
                });
                end
            }
            _ => {
                let end = skip_value(buf, start)?;
                if matches {
                    found = Some(Found {
                        value: (start, end),
                        inner: None,
                    });
                }
                end
            }
        };
        i = skip_ws(buf, end);
        match buf.get(i)? {
            b',' => i = skip_ws(buf, i + 1),
            b'}' => return Some((found, i + 1)),
            _ => return None,
        }
    }
}

/// The end of the JSON value starting at `buf[i]`. Containers are skipped by counting brackets outside strings,
/// which is exact only for text the envelope scan has accepted.
fn skip_value(buf: &[u8], i: usize) -> Option<usize> {
    match *buf.get(i)? {
        b'"' => Some(string_end(buf, i + 1)?.0 + 1),
        b't' => literal(buf, i, b"true"),
        b'f' => literal(buf, i, b"false"),
        b'n' => literal(buf, i, b"null"),
        b'{' | b'[' => {
            let mut depth = 1usize;
            let mut j = i + 1;
            loop {
                match *buf.get(j)? {
                    b'"' => j = string_end(buf, j + 1)?.0 + 1,
                    b'{' | b'[' => {
                        depth += 1;
                        j += 1;
                    }
                    b'}' | b']' => {
                        depth -= 1;
                        j += 1;
                        if depth == 0 {
                            return Some(j);
                        }
                    }
                    _ => j += 1,
                }
            }
        }
        _ => scan_number(buf, i),
    }
}

/// The closing quote of the string whose body starts at `buf[i]`, and whether the body has a backslash. Unlike
/// `lex::scan_string` it does not validate (escapes, control bytes): the envelope scan has done that, and the walk
/// after it runs over the same bytes a second time, so it should cost as little as possible.
fn string_end(buf: &[u8], mut i: usize) -> Option<(usize, bool)> {
    let mut escaped = false;
    let short = buf.len().min(i + SHORT_STRING);
    while i < short {
        match *buf.get(i)? {
            b'"' => return Some((i, escaped)),
            b'\\' => {
                escaped = true;
                i += 2;
            }
            _ => i += 1,
        }
    }
    loop {
        let j = i + memchr2(b'"', b'\\', buf.get(i..)?)?;
        if *buf.get(j)? == b'"' {
            return Some((j, escaped));
        }
        escaped = true;
        i = j + 2;
    }
}

/// Whether the raw key body `raw` (escapes as written) decodes to the ASCII name `want`.
fn key_equals(raw: &[u8], escaped: bool, want: &[u8]) -> bool {
    if !escaped {
        return raw == want;
    }
    let mut k = 0;
    let mut n = 0;
    while let Some(&b) = raw.get(k) {
        let c = if b == b'\\' {
            let Some(&e) = raw.get(k + 1) else {
                return false;
            };
            k += 2;
            match e {
                b'u' => {
                    let Some(unit) = raw.get(k..k + 4).and_then(hex4) else {
                        return false;
                    };
                    k += 4;
                    // `want` is ASCII: a non-ASCII code unit never matches.
                    match u8::try_from(unit) {
                        Ok(c) if c < 0x80 => c,
                        _ => return false,
                    }
                }
                b'b' => 0x08,
                b'f' => 0x0C,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                other => other,
            }
        } else {
            k += 1;
            b
        };
        if want.get(n) != Some(&c) {
            return false;
        }
        n += 1;
    }
    n == want.len()
}

fn hex4(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &d| {
        let v = char::from(d).to_digit(16)?;
        Some(acc << 4 | v)
    })
}

/// Whether `id` is exactly one JSON number or one JSON string literal (no whitespace around it).
fn is_id_literal(id: &[u8]) -> bool {
    match id.first() {
        Some(b'"') => scan_string(id, 1).is_some_and(|(close, _)| close + 1 == id.len()),
        Some(b'-' | b'0'..=b'9') => scan_number(id, 0) == Some(id.len()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_span_finds_the_namespace_without_parsing() {
        let f = br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"arguments":{"name":"x"},"name":"up__echo"}}"#;
        let (s, e) = name_span(f).unwrap();
        assert_eq!(&f[s..e], b"up__echo");
        assert_eq!(
            name_span(br#"{"id":1,"params":{"name":"a\u0062"}}"#),
            Err(ForwardError::NameEscaped)
        );
        assert_eq!(
            name_span(br#"{"id":1,"params":{"uri":"x"}}"#),
            Err(ForwardError::NoName)
        );
        assert_eq!(
            name_span(br#"{"id":1,"params":{"name":3}}"#),
            Err(ForwardError::NoName)
        );
        assert_eq!(name_span(b"[1]"), Err(ForwardError::NotAnObject));
        let frames = [&f[..], b"{}", br#"{"params":{"name":""}}"#].concat();
        let ends = [f.len() as u32, f.len() as u32 + 2, frames.len() as u32];
        let mut out = [0i32; 6];
        name_spans(&frames, &ends, 3, &mut out).unwrap();
        assert_eq!(out, [s as i32, e as i32, -3, 0, 19, 19]);
        assert!(name_spans(&frames, &ends, 3, &mut [0i32; 5]).is_err());
    }

    fn rw(frame: &str, id: &str, prefix: usize) -> Result<String, ForwardError> {
        let mut out = Vec::new();
        rewrite_request(frame.as_bytes(), id.as_bytes(), prefix, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn replaces_number_and_string_ids() {
        assert_eq!(
            rw(r#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#, "12345", 0).unwrap(),
            r#"{"jsonrpc":"2.0","id":12345,"method":"ping"}"#
        );
        assert_eq!(
            rw(r#"{"id":"a\"b","result":{}}"#, "3", 0).unwrap(),
            r#"{"id":3,"result":{}}"#
        );
        assert_eq!(
            rw(r#" { "id" : 1.5e3 , "error":{} } "#, r#""x""#, 0).unwrap(),
            r#" { "id" : "x" , "error":{} } "#
        );
        assert_eq!(
            rw(r#"{"id":null,"error":{}}"#, "9", 0).unwrap(),
            r#"{"id":9,"error":{}}"#
        );
        // The last duplicate is the id JSON.parse sees.
        assert_eq!(
            rw(r#"{"id":1,"id":2,"method":"m"}"#, "5", 0).unwrap(),
            r#"{"id":1,"id":5,"method":"m"}"#
        );
    }

    #[test]
    fn strips_the_name_prefix_on_either_side_of_the_id() {
        assert_eq!(
            rw(
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"fs__read","arguments":{"p":"}\"{"}}}"#,
                "77",
                4
            )
            .unwrap(),
            r#"{"jsonrpc":"2.0","id":77,"method":"tools/call","params":{"name":"read","arguments":{"p":"}\"{"}}}"#
        );
        assert_eq!(
            rw(
                r#"{"params":{"arguments":{"name":"x"},"name":"up__t"},"method":"tools/call","id":"q"}"#,
                "1",
                4
            )
            .unwrap(),
            r#"{"params":{"arguments":{"name":"x"},"name":"t"},"method":"tools/call","id":1}"#
        );
        // Escaped keys are decoded; the name may become empty.
        assert_eq!(
            rw(r#"{"id":1,"p\u0061rams":{"n\u0061me":"ab"}}"#, "2", 2).unwrap(),
            r#"{"id":2,"p\u0061rams":{"n\u0061me":""}}"#
        );
    }

    #[test]
    fn reports_what_it_cannot_rewrite() {
        use ForwardError::*;
        assert_eq!(rw(r#"{"method":"x"}"#, "1", 0), Err(NoId));
        assert_eq!(rw(r#"[{"id":1}]"#, "1", 0), Err(NotAnObject));
        assert_eq!(rw(r#"{"id":1,}"#, "1", 0), Err(NotAnObject));
        assert_eq!(rw("", "1", 0), Err(NotAnObject));
        assert_eq!(rw(r#"{"id":1}"#, "01", 0), Err(BadNewId));
        assert_eq!(rw(r#"{"id":1}"#, " 1", 0), Err(BadNewId));
        assert_eq!(rw(r#"{"id":1}"#, r#""a"b""#, 0), Err(BadNewId));
        assert_eq!(rw(r#"{"id":1}"#, "null", 0), Err(BadNewId));
        assert_eq!(rw(r#"{"id":1}"#, "", 0), Err(BadNewId));
        assert_eq!(rw(r#"{"id":1}"#, "1", 2), Err(NoName));
        assert_eq!(rw(r#"{"id":1,"params":[]}"#, "1", 2), Err(NoName));
        assert_eq!(rw(r#"{"id":1,"params":{"name":3}}"#, "1", 2), Err(NoName));
        assert_eq!(
            rw(r#"{"id":1,"params":{"nam":"abc"}}"#, "1", 2),
            Err(NoName)
        );
        assert_eq!(
            rw(r#"{"id":1,"params":{"name":"a\u0062c"}}"#, "1", 2),
            Err(NameEscaped)
        );
        // The last duplicate of params (or name) is the one that counts.
        let dup = [
            r#"{"id":1,"params":{"name":"ns__a"},"params":{"x":1}}"#,
            r#"{"id":1,"params":{"name":"ns__a"},"params":5}"#,
            r#"{"id":1,"params":{"name":"ns__a","name":null}}"#,
        ];
        for frame in dup {
            assert_eq!(rw(frame, "1", 2), Err(NoName), "{frame}");
        }
        assert_eq!(
            rw(r#"{"id":1,"params":{"name":"a"}}"#, "1", 2),
            Err(NameTooShort)
        );
        assert_eq!(
            rw("{\"id\":1,\"params\":{\"name\":\"a\u{e9}\"}}", "1", 2),
            Err(NameTooShort)
        );
    }

    #[test]
    fn batch_writes_contiguously_and_copies_failures() {
        let frames = [
            r#"{"id":1,"method":"tools/call","params":{"name":"a__x"}}"#,
            r#"{"method":"notifications/progress"}"#,
            r#"{"id":"abc","result":{}}"#,
        ];
        let ids = ["1000", "1001", r#""d7""#];
        let (mut fb, mut fe, mut ib, mut ie) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (f, id) in frames.iter().zip(ids) {
            fb.extend_from_slice(f.as_bytes());
            fe.push(fb.len() as u32);
            ib.extend_from_slice(id.as_bytes());
            ie.push(ib.len() as u32);
        }
        let prefixes = [3, 0, 0];
        let mut dst = vec![0u8; fb.len() + ib.len()];
        let (mut ends, mut status) = ([0u32; 3], [9u32; 3]);
        let n = rewrite_batch(
            &fb,
            &fe,
            &ib,
            &ie,
            &prefixes,
            3,
            &mut dst,
            &mut ends,
            &mut status,
        )
        .unwrap();
        let want = concat!(
            r#"{"id":1000,"method":"tools/call","params":{"name":"x"}}"#,
            r#"{"method":"notifications/progress"}"#,
            r#"{"id":"d7","result":{}}"#
        );
        assert_eq!(std::str::from_utf8(&dst[..n]).unwrap(), want);
        assert_eq!(status, [0, 2, 0]);
        assert_eq!(ends[2] as usize, n);

        let mut small = vec![0u8; fb.len() + ib.len() - 1];
        assert!(matches!(
            rewrite_batch(
                &fb,
                &fe,
                &ib,
                &ie,
                &prefixes,
                3,
                &mut small,
                &mut ends,
                &mut status
            ),
            Err(CoreError::OutputTooSmall { .. })
        ));
        assert!(matches!(
            rewrite_batch(
                &fb,
                &fe,
                &ib,
                &ie,
                &prefixes[..2],
                3,
                &mut dst,
                &mut ends,
                &mut status
            ),
            Err(CoreError::CountOutOfRange { .. })
        ));
        let bad_ends = [5u32, 3, fb.len() as u32];
        assert!(matches!(
            rewrite_batch(
                &fb,
                &bad_ends,
                &ib,
                &ie,
                &prefixes,
                3,
                &mut dst,
                &mut ends,
                &mut status
            ),
            Err(CoreError::InvalidEnds { index: 1, .. })
        ));
    }

    #[test]
    fn member_value_skips_nested_values() {
        let text = br#"{"a":[1,{"name":"no"}],"s":"\"}]","name":"yes","n":-1e5,"t":true}"#;
        let value = |key: &[u8]| member_value(text, 0, key, None).unwrap().0.map(|f| f.value);
        let (s, e) = value(b"name").unwrap();
        assert_eq!(&text[s..e], br#""yes""#);
        let (s, e) = value(b"t").unwrap();
        assert_eq!(&text[s..e], b"true");
        assert_eq!(value(b"zz"), None);
        assert_eq!(member_value(text, 0, b"a", None).unwrap().1, text.len());
        assert_eq!(member_value(b"{}", 0, b"a", None), Some((None, 2)));
        assert_eq!(member_value(b"{\"a\":", 0, b"a", None), None);
        // The inner member is found in the same walk; a later duplicate of the outer key replaces it.
        let text = br#"{"p":{"x":1,"q":"v"},"p":{"q":[2]}}"#;
        let found = member_value(text, 0, b"p", Some(b"q")).unwrap().0.unwrap();
        let (s, e) = found.inner.unwrap();
        assert_eq!(&text[s..e], b"[2]");
    }
}
