//! The envelope scan: a complete JSON syntax check plus the JSON-RPC envelope of the top-level value
//! (docs/core-api.md §Envelope scan).
//!
//! The scan builds no tree. It walks the bytes once with an explicit container stack (one bit per level, so nesting
//! depth is limited only by memory and a hostile `[[[[…` cannot overflow the call stack), and it remembers only what
//! the JSON-RPC layer needs: which of `id` / `method` / `result` / `error` the top-level object has, and the byte spans
//! of the `id` and `method` values.
//!
//! Strings dominate large MCP messages (base64 blobs, file contents), so string bodies are skipped with `memchr2` for
//! `"` / `\` and the skipped run is then checked for control bytes with a loop the compiler vectorises.

use crate::lex::{classify_key, literal, scan_number, scan_string, skip_ws, Name, Stack};

/// The JSON-RPC shape of a frame (bits 0–3 of the packed envelope).
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Not a JSON text per the grammar.
    Invalid = 0,
    /// Top-level object with `method` and `id`.
    Request = 1,
    /// Top-level object with `method` and no `id`.
    Notification = 2,
    /// Top-level object without `method`, with `result`, without `error`.
    Response = 3,
    /// Top-level object without `method`, with `error`.
    Error = 4,
    /// Top-level array.
    Batch = 5,
    /// Any other valid JSON: a scalar, or an object with none of `method`, `result`, `error`.
    Other = 6,
    /// Not looked at: the decoder runs without the envelope scan (`Decoder::set_scan(false)`), so nothing is known
    /// about the frame's content, not even that it is JSON.
    Unscanned = 7,
}

/// The type of an `id` / `method` member's value (4 bits each in the packed envelope).
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// No such member (or the kind is INVALID, BATCH, or OTHER-scalar).
    Absent = 0,
    /// A number.
    Number = 1,
    /// A string.
    String = 2,
    /// `null`.
    Null = 3,
    /// `true`, `false`, an object or an array.
    Other = 4,
}

/// Where a member's value lies in the frame: for strings the bytes between the quotes (escapes left as they are), for
/// everything else the whole value token. Offsets are relative to the frame start; both are -1 when `ty` is ABSENT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    /// The value's type.
    pub ty: ValueType,
    /// For strings: the span contains a backslash (JS must unescape it). Always false otherwise.
    pub escaped: bool,
    /// First byte of the span, or -1.
    pub start: i32,
    /// One past the last byte of the span, or -1.
    pub end: i32,
}

impl Span {
    /// The span of a member that is not there.
    pub const ABSENT: Span = Span {
        ty: ValueType::Absent,
        escaped: false,
        start: -1,
        end: -1,
    };
}

/// The result of [`scan_envelope`]: the kind plus the `id` and `method` spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Envelope {
    /// The JSON-RPC shape.
    pub kind: Kind,
    /// The top-level `id` member.
    pub id: Span,
    /// The top-level `method` member.
    pub method: Span,
}

impl Envelope {
    /// What every invalid frame scans to: kind INVALID and both spans ABSENT (packed value 0).
    pub const INVALID: Envelope = Envelope {
        kind: Kind::Invalid,
        id: Span::ABSENT,
        method: Span::ABSENT,
    };

    /// What every frame of a decoder that does not scan gets: kind UNSCANNED and both spans ABSENT.
    pub const UNSCANNED: Envelope = Envelope {
        kind: Kind::Unscanned,
        id: Span::ABSENT,
        method: Span::ABSENT,
    };

    /// Column 3 of a record: `kind | idType << 4 | idEscaped << 8 | methodType << 12 | methodEscaped << 16`.
    pub fn packed(&self) -> i32 {
        i32::from(self.kind as u8)
            | i32::from(self.id.ty as u8) << 4
            | i32::from(self.id.escaped) << 8
            | i32::from(self.method.ty as u8) << 12
            | i32::from(self.method.escaped) << 16
    }

    /// Columns 3..7 of a record: packed envelope, idStart, idEnd, methodStart, methodEnd.
    pub fn cols(&self) -> [i32; 5] {
        [
            self.packed(),
            self.id.start,
            self.id.end,
            self.method.start,
            self.method.end,
        ]
    }

    /// Writes [`Envelope::cols`] into `out[0..5]`; a shorter `out` receives only the columns that fit.
    pub fn write_cols(&self, out: &mut [i32]) {
        for (slot, value) in out.iter_mut().zip(self.cols()) {
            *slot = value;
        }
    }
}

/// Scans one frame: a complete JSON syntax check (RFC 8259, except that bytes >= 0x80 inside strings are not checked
/// for UTF-8 validity) and the JSON-RPC envelope of the top-level value.
///
/// Frames longer than `i32::MAX` bytes are outside the contract (the decoder never emits them): their kind is still
/// exact, but a span whose offsets do not fit in an `i32` is reported with `start == end == -1`.
pub fn scan_envelope(frame: &[u8]) -> Envelope {
    scan(frame).unwrap_or(Envelope::INVALID)
}

/// A member value seen in the top-level object, in `usize` offsets.
#[derive(Clone, Copy)]
struct RawSpan {
    ty: ValueType,
    escaped: bool,
    start: usize,
    end: usize,
}

impl RawSpan {
    fn to_span(self) -> Span {
        match (i32::try_from(self.start), i32::try_from(self.end)) {
            (Ok(start), Ok(end)) => Span {
                ty: self.ty,
                escaped: self.escaped,
                start,
                end,
            },
            _ => Span {
                ty: self.ty,
                escaped: self.escaped,
                start: -1,
                end: -1,
            },
        }
    }
}

/// What the scan has learnt about the top-level object.
#[derive(Default)]
struct Members {
    id: Option<RawSpan>,
    method: Option<RawSpan>,
    has_result: bool,
    has_error: bool,
}

/// The member value currently being parsed (only for `id` / `method` of the top-level object).
struct Pending {
    name: Name,
    ty: ValueType,
    escaped: bool,
    start: usize,
}

/// The scan proper; `None` means the frame is not a JSON text.
fn scan(buf: &[u8]) -> Option<Envelope> {
    let mut stack = Stack::new();
    let mut members = Members::default();
    let mut i = skip_ws(buf, 0);
    let root = *buf.get(i)?;
    let root_is_object = root == b'{';
    // The name of the top-level member whose value comes next, and what is known of that value so far.
    let mut name = Name::Other;
    let mut pending: Option<Pending> = None;

    'value: loop {
        // A value starts at buf[i] (whitespace already skipped). It is a member value of the top-level object exactly
        // when depth is 1 and the root is an object.
        let in_root_member = root_is_object && stack.depth == 1;
        let b = *buf.get(i)?;
        let ty = match b {
            b'"' => ValueType::String,
            b'n' => ValueType::Null,
            b'-' | b'0'..=b'9' => ValueType::Number,
            _ => ValueType::Other,
        };
        if in_root_member && matches!(name, Name::Id | Name::Method) {
            pending = Some(Pending {
                name,
                ty,
                escaped: false,
                start: if b == b'"' { i + 1 } else { i },
            });
        }
        match b {
            b'{' | b'[' => {
                let is_object = b == b'{';
                i = skip_ws(buf, i + 1);
                let next = *buf.get(i)?;
                if next == if is_object { b'}' } else { b']' } {
                    i += 1; // empty container: a complete value
                } else {
                    stack.push(is_object);
                    if is_object {
                        i = member_key(
                            buf,
                            i,
                            stack.depth == 1 && root_is_object,
                            &mut name,
                            &mut members,
                        )?;
                    }
                    continue 'value;
                }
            }
            b'"' => {
                let (close, escaped) = scan_string(buf, i + 1)?;
                // Only the member value itself, not a string nested inside it, sets the flag.
                if in_root_member {
                    if let Some(p) = pending.as_mut() {
                        p.escaped = escaped;
                    }
                }
                i = close + 1;
            }
            b't' => i = literal(buf, i, b"true")?,
            b'f' => i = literal(buf, i, b"false")?,
            b'n' => i = literal(buf, i, b"null")?,
            b'-' | b'0'..=b'9' => i = scan_number(buf, i)?,
            _ => return None,
        }

        // A value ended just before buf[i]. Close containers until the next value starts or the text ends.
        loop {
            if stack.depth == 1 && root_is_object {
                if let Some(p) = pending.take() {
                    // A string span stops before its closing quote.
                    let end = if p.ty == ValueType::String { i - 1 } else { i };
                    let span = RawSpan {
                        ty: p.ty,
                        escaped: p.escaped,
                        start: p.start,
                        end,
                    };
                    // Assigning (not keeping the first) makes the last duplicate win, as in JSON.parse.
                    if p.name == Name::Id {
                        members.id = Some(span);
                    } else {
                        members.method = Some(span);
                    }
                }
            }
            i = skip_ws(buf, i);
            match stack.top_is_object() {
                None => {
                    return if i == buf.len() {
                        Some(envelope(root, root_is_object, &members))
                    } else {
                        None
                    };
                }
                Some(is_object) => {
                    let b = *buf.get(i)?;
                    if b == b',' {
                        i = skip_ws(buf, i + 1);
                        if is_object {
                            let classify = stack.depth == 1 && root_is_object;
                            i = member_key(buf, i, classify, &mut name, &mut members)?;
                        }
                        continue 'value;
                    }
                    if b != if is_object { b'}' } else { b']' } {
                        return None;
                    }
                    stack.pop();
                    i += 1;
                }
            }
        }
    }
}

/// Builds the envelope of a valid text from its first byte and the top-level members.
fn envelope(root: u8, root_is_object: bool, m: &Members) -> Envelope {
    if !root_is_object {
        let kind = if root == b'[' {
            Kind::Batch
        } else {
            Kind::Other
        };
        return Envelope {
            kind,
            ..Envelope::INVALID
        };
    }
    let kind = if m.method.is_some() {
        if m.id.is_some() {
            Kind::Request
        } else {
            Kind::Notification
        }
    } else if m.has_error {
        Kind::Error
    } else if m.has_result {
        Kind::Response
    } else {
        Kind::Other
    };
    Envelope {
        kind,
        id: m.id.map_or(Span::ABSENT, RawSpan::to_span),
        method: m.method.map_or(Span::ABSENT, RawSpan::to_span),
    }
}

/// Parses `"key" ws ":" ws` at `buf[i]`; returns the position of the member's value. When `classify`, the key is a
/// top-level member name: `name` receives it and `members` records `result` / `error`.
fn member_key(
    buf: &[u8],
    i: usize,
    classify: bool,
    name: &mut Name,
    members: &mut Members,
) -> Option<usize> {
    if buf.get(i) != Some(&b'"') {
        return None;
    }
    let (close, escaped) = scan_string(buf, i + 1)?;
    if classify {
        *name = classify_key(buf.get(i + 1..close)?, escaped);
        match *name {
            Name::Result => members.has_result = true,
            Name::Error => members.has_error = true,
            _ => {}
        }
    }
    let colon = skip_ws(buf, close + 1);
    if buf.get(colon) != Some(&b':') {
        return None;
    }
    Some(skip_ws(buf, colon + 1))
}
