//! The lexical layer of the envelope scan: whitespace, literals, numbers, strings (the hot path), member-name
//! decoding and the container stack. Everything here works on `buf[i..]` and returns the position after the token,
//! or `None` when the bytes are not valid JSON.

use memchr::memchr2;

/// A top-level member name the envelope cares about.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Name {
    Id,
    Method,
    Result,
    Error,
    Other,
}

/// The container stack, one bit per level (1 = object, 0 = array). The first 256 levels live inline so that the
/// common shallow message never allocates; deeper levels spill into a `Vec`.
pub(crate) struct Stack {
    inline: [u64; 4],
    spill: Vec<u64>,
    pub(crate) depth: usize,
}

const INLINE_LEVELS: usize = 256;

impl Stack {
    pub(crate) fn new() -> Self {
        Stack {
            inline: [0; 4],
            spill: Vec::new(),
            depth: 0,
        }
    }

    pub(crate) fn push(&mut self, is_object: bool) {
        let (word, bit) = (self.depth / 64, self.depth % 64);
        let slot = if self.depth < INLINE_LEVELS {
            self.inline.get_mut(word)
        } else {
            let idx = word - INLINE_LEVELS / 64;
            if self.spill.len() <= idx {
                self.spill.push(0);
            }
            self.spill.get_mut(idx)
        };
        if let Some(w) = slot {
            if is_object {
                *w |= 1 << bit;
            } else {
                *w &= !(1 << bit);
            }
        }
        self.depth += 1;
    }

    pub(crate) fn pop(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// `None` at top level, else whether the innermost open container is an object.
    pub(crate) fn top_is_object(&self) -> Option<bool> {
        let level = self.depth.checked_sub(1)?;
        let (word, bit) = (level / 64, level % 64);
        let w = if level < INLINE_LEVELS {
            self.inline.get(word)
        } else {
            self.spill.get(word - INLINE_LEVELS / 64)
        };
        w.map(|w| w >> bit & 1 == 1)
    }
}

/// Which envelope name a (syntactically valid) key body is, after decoding its escapes.
pub(crate) fn classify_key(raw: &[u8], escaped: bool) -> Name {
    if !escaped {
        return name_of(raw);
    }
    // The longest interesting name is "method" (6 bytes); anything longer decoded is uninteresting.
    let mut decoded = [0u8; 6];
    let mut n = 0;
    let mut k = 0;
    while let Some(&b) = raw.get(k) {
        let c = if b == b'\\' {
            let Some(&e) = raw.get(k + 1) else {
                return Name::Other;
            };
            k += 2;
            match e {
                b'u' => {
                    let Some(unit) = raw.get(k..k + 4).and_then(hex4) else {
                        return Name::Other;
                    };
                    k += 4;
                    // A non-ASCII code unit can never be part of "id", "method", "result" or "error".
                    match u8::try_from(unit) {
                        Ok(c) if c < 0x80 => c,
                        _ => return Name::Other,
                    }
                }
                b'b' => 0x08,
                b'f' => 0x0C,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                other => other, // '"', '\\', '/'
            }
        } else {
            k += 1;
            b
        };
        let Some(slot) = decoded.get_mut(n) else {
            return Name::Other;
        };
        *slot = c;
        n += 1;
    }
    name_of(decoded.get(..n).unwrap_or(&[]))
}

fn name_of(key: &[u8]) -> Name {
    match key {
        b"id" => Name::Id,
        b"method" => Name::Method,
        b"result" => Name::Result,
        b"error" => Name::Error,
        _ => Name::Other,
    }
}

/// The value of four hex digits.
fn hex4(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &d| {
        let v = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            b'A'..=b'F' => d - b'A' + 10,
            _ => return None,
        };
        Some(acc << 4 | u32::from(v))
    })
}

pub(crate) fn skip_ws(buf: &[u8], mut i: usize) -> usize {
    while let Some(&b) = buf.get(i) {
        if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            break;
        }
        i += 1;
    }
    i
}

pub(crate) fn literal(buf: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    let end = i + word.len();
    (buf.get(i..end)? == word).then_some(end)
}

fn skip_digits(buf: &[u8], mut i: usize) -> usize {
    while buf.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

/// `[ "-" ] ( "0" / %x31-39 *DIGIT ) [ "." 1*DIGIT ] [ ( "e" / "E" ) [ "+" / "-" ] 1*DIGIT ]`; returns the end.
/// What follows the number (e.g. the `1` of `01`) is left to the caller, which accepts only ws , ] } or the end.
pub(crate) fn scan_number(buf: &[u8], mut i: usize) -> Option<usize> {
    if buf.get(i) == Some(&b'-') {
        i += 1;
    }
    match buf.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = skip_digits(buf, i + 1),
        _ => return None,
    }
    if buf.get(i) == Some(&b'.') {
        let end = skip_digits(buf, i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    if matches!(buf.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(buf.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let end = skip_digits(buf, i);
        if end == i {
            return None;
        }
        i = end;
    }
    Some(i)
}

/// Scans a string body starting at `buf[i]` (just after the opening quote). Returns the index of the closing quote and
/// whether the body contains a backslash.
pub(crate) fn scan_string(buf: &[u8], mut i: usize) -> Option<(usize, bool)> {
    let mut escaped = false;
    loop {
        let j = find_quote_or_backslash(buf, i)?;
        if *buf.get(j)? == b'"' {
            return Some((j, escaped));
        }
        escaped = true;
        i = match *buf.get(j + 1)? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => j + 2,
            b'u' => {
                hex4(buf.get(j + 2..j + 6)?)?;
                j + 6
            }
            _ => return None,
        };
    }
}

/// The bytes that end a run of plain string content: `"`, `\` and the control bytes (one lookup instead of three
/// comparisons per byte).
static STRING_STOP: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Runs of string content up to this long are scanned 8 bytes at a time (SWAR); a run with no stop byte after it is
/// handed to `memchr2`, which wins on long clean runs (multi-GB/s) but costs too much to set up for the short runs
/// between escapes in real text (a `\n` or `\"` every few dozen bytes).
const SWAR_RUN: usize = 256;
/// Long runs are handled in windows of this size so that the control-byte check re-reads bytes that `memchr2` has
/// just pulled into L1, instead of a whole multi-megabyte string a second time from memory.
const WINDOW: usize = 16 * 1024;

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `w` that is `"`, `\` or < 0x20. Bytes above the lowest flagged one may be flagged
/// spuriously (borrows propagate upwards), so only the lowest flag is used.
#[inline(always)]
fn stop_mask(w: u64) -> u64 {
    let q = w ^ (LO * u64::from(b'"'));
    let b = w ^ (LO * u64::from(b'\\'));
    let zero_q = q.wrapping_sub(LO) & !q;
    let zero_b = b.wrapping_sub(LO) & !b;
    let below_space = w.wrapping_sub(LO * 0x20) & !w;
    (zero_q | zero_b | below_space) & HI
}

/// The index of the next `"` or `\` at or after `i`, or `None` when there is none or a byte < 0x20 comes first
/// (a raw control byte makes the string, hence the text, invalid).
fn find_quote_or_backslash(buf: &[u8], i: usize) -> Option<usize> {
    let rest = buf.get(i..)?;
    let head = rest.get(..SWAR_RUN).unwrap_or(rest);
    let mut words = head.chunks_exact(8);
    let mut k = 0;
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let mask = stop_mask(u64::from_le_bytes(bytes));
        if mask != 0 {
            let at = k + (mask.trailing_zeros() / 8) as usize;
            return stop_at(rest, at, i);
        }
        k += 8;
    }
    for (off, &b) in words.remainder().iter().enumerate() {
        if STRING_STOP[usize::from(b)] {
            return stop_at(rest, k + off, i);
        }
    }
    k = head.len();
    while let Some(tail) = rest.get(k..).filter(|t| !t.is_empty()) {
        let window = tail.get(..WINDOW).unwrap_or(tail);
        match memchr2(b'"', b'\\', window) {
            Some(off) => {
                return if has_control(window.get(..off)?) {
                    None
                } else {
                    Some(i + k + off)
                };
            }
            None => {
                if has_control(window) {
                    return None;
                }
                k += window.len();
            }
        }
    }
    None
}

/// Turns the offset of a stop byte in `rest` into the answer of `find_quote_or_backslash`.
#[inline(always)]
fn stop_at(rest: &[u8], at: usize, i: usize) -> Option<usize> {
    if *rest.get(at)? < 0x20 {
        None
    } else {
        Some(i + at)
    }
}

/// Whether any byte is < 0x20. Written as a branch-free min-reduction over blocks so that LLVM turns it into SIMD
/// (`pminub`); only the block result is tested.
fn has_control(run: &[u8]) -> bool {
    const BLOCK: usize = 64;
    let mut blocks = run.chunks_exact(BLOCK);
    for block in &mut blocks {
        if block.iter().fold(0xFF, |m, &b| m.min(b)) < 0x20 {
            return true;
        }
    }
    blocks.remainder().iter().any(|&b| b < 0x20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swar_finds_the_first_stop_byte_at_every_position() {
        // Every stop byte (quote, backslash, each control byte) at every offset of runs around the SWAR and window
        // sizes, after every kind of filler, including bytes >= 0x80 that must not be mistaken for control bytes.
        for &fill in &[b'a', 0x7f, 0x80, 0xff, 0x20, b'!', b'#', b'[', b']'] {
            for len in [1usize, 7, 8, 9, 15, 16, 17, 63, 64, 255, 256, 257, 300] {
                for &stop in &[b'"', b'\\', 0x00, 0x1f, b'\n'] {
                    let at = len - 1;
                    let mut buf = vec![fill; len + 3];
                    buf[at] = stop;
                    let got = find_quote_or_backslash(&buf, 0);
                    let want = if stop < 0x20 { None } else { Some(at) };
                    assert_eq!(got, want, "fill {fill:#x} len {len} stop {stop:#x}");
                }
            }
        }
    }

    #[test]
    fn control_bytes_are_found_at_every_block_position() {
        for len in 0..200 {
            let clean = vec![b'a'; len];
            assert!(!has_control(&clean));
            for pos in 0..len {
                let mut dirty = clean.clone();
                dirty[pos] = 0x1F;
                assert!(has_control(&dirty), "len {len} pos {pos}");
            }
        }
        assert!(!has_control(&[0x20, 0x7F, 0x80, 0xFF]));
    }

    #[test]
    fn key_names_are_decoded() {
        assert!(classify_key(br"\u0069d", true) == Name::Id);
        assert!(classify_key(br"\u006d\u0065thod", true) == Name::Method);
        assert!(classify_key(br"\u00e9rror", true) == Name::Other);
        assert!(classify_key(br"method\u0000", true) == Name::Other);
        assert!(classify_key(br"i\/d", true) == Name::Other);
        assert!(classify_key(b"result", false) == Name::Result);
        assert!(classify_key(b"error", false) == Name::Error);
    }

    #[test]
    fn stack_spills_past_the_inline_levels() {
        let mut stack = Stack::new();
        assert_eq!(stack.top_is_object(), None);
        for level in 0..1000 {
            stack.push(level % 3 == 0);
        }
        for level in (0..1000).rev() {
            assert_eq!(stack.top_is_object(), Some(level % 3 == 0));
            stack.pop();
        }
        assert_eq!(stack.top_is_object(), None);
    }
}
