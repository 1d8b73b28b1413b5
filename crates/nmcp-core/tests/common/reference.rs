//! An independent reference for the envelope scan: a plain recursive-descent reading of the grammar in
//! docs/core-api.md, written without looking at the crate's iterative scanner. Member names are decoded to UTF-16 code
//! units, as JSON.parse compares them.

use nmcp_core::scan_envelope;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefSpan {
    pub ty: u8,
    pub escaped: bool,
    pub start: i32,
    pub end: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefEnv {
    pub kind: u8,
    pub id: Option<RefSpan>,
    pub method: Option<RefSpan>,
}

struct P<'a> {
    b: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }
    /// Returns the decoded UTF-16 units (raw bytes >= 0x80 count as one non-ASCII unit each) and the escaped flag.
    fn string(&mut self) -> Option<(Vec<u16>, bool)> {
        self.eat(b'"')?;
        let mut units = Vec::new();
        let mut escaped = false;
        loop {
            let c = self.peek()?;
            self.i += 1;
            match c {
                b'"' => return Some((units, escaped)),
                b'\\' => {
                    escaped = true;
                    let e = self.peek()?;
                    self.i += 1;
                    let u = match e {
                        b'"' => 0x22,
                        b'\\' => 0x5C,
                        b'/' => 0x2F,
                        b'b' => 8,
                        b'f' => 12,
                        b'n' => 10,
                        b'r' => 13,
                        b't' => 9,
                        b'u' => {
                            let h = self.b.get(self.i..self.i + 4)?;
                            let s = std::str::from_utf8(h).ok()?;
                            if !s.bytes().all(|d| d.is_ascii_hexdigit()) {
                                return None;
                            }
                            self.i += 4;
                            u16::from_str_radix(s, 16).ok()?
                        }
                        _ => return None,
                    };
                    units.push(u);
                }
                0..=0x1F => return None,
                _ => units.push(u16::from(c)),
            }
        }
    }
    fn digits(&mut self) -> usize {
        let s = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - s
    }
    fn number(&mut self) -> Option<()> {
        let _ = self.eat(b'-');
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.eat(b'.').is_some() && self.digits() == 0 {
            return None;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }
    fn lit(&mut self, w: &[u8]) -> Option<()> {
        (self.b.get(self.i..self.i + w.len())? == w).then(|| self.i += w.len())
    }
    /// Parses one value; returns its type code (1 number, 2 string, 3 null, 4 other) and string escaped flag.
    fn value(&mut self) -> Option<(u8, bool)> {
        match self.peek()? {
            b'"' => self.string().map(|(_, e)| (2, e)),
            b'n' => self.lit(b"null").map(|_| (3, false)),
            b't' => self.lit(b"true").map(|_| (4, false)),
            b'f' => self.lit(b"false").map(|_| (4, false)),
            b'-' | b'0'..=b'9' => self.number().map(|_| (1, false)),
            b'[' => {
                self.i += 1;
                self.ws();
                if self.eat(b']').is_some() {
                    return Some((4, false));
                }
                loop {
                    self.ws();
                    self.value()?;
                    self.ws();
                    if self.eat(b',').is_none() {
                        self.eat(b']')?;
                        return Some((4, false));
                    }
                }
            }
            b'{' => {
                self.object(|_, _, _| {})?;
                Some((4, false))
            }
            _ => None,
        }
    }
    /// Parses an object, calling `member(name, value_start, (ty, escaped))` after each member's value.
    fn object(&mut self, mut member: impl FnMut(&[u16], usize, (u8, bool, usize))) -> Option<()> {
        self.eat(b'{')?;
        self.ws();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            self.ws();
            let (name, _) = self.string()?;
            self.ws();
            self.eat(b':')?;
            self.ws();
            let start = self.i;
            let (ty, esc) = self.value()?;
            member(&name, start, (ty, esc, self.i));
            self.ws();
            if self.eat(b',').is_none() {
                return self.eat(b'}');
            }
        }
    }
}

fn units(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

pub fn reference(b: &[u8]) -> Option<RefEnv> {
    let mut p = P { b, i: 0 };
    p.ws();
    let first = p.peek()?;
    let mut env = RefEnv {
        kind: 6,
        id: None,
        method: None,
    };
    if first == b'{' {
        let (mut has_result, mut has_error) = (false, false);
        let (mut id, mut method) = (None, None);
        p.object(|name, start, (ty, escaped, end)| {
            let span = if ty == 2 {
                RefSpan {
                    ty,
                    escaped,
                    start: start as i32 + 1,
                    end: end as i32 - 1,
                }
            } else {
                RefSpan {
                    ty,
                    escaped: false,
                    start: start as i32,
                    end: end as i32,
                }
            };
            if name == units("id") {
                id = Some(span);
            } else if name == units("method") {
                method = Some(span);
            } else if name == units("result") {
                has_result = true;
            } else if name == units("error") {
                has_error = true;
            }
        })?;
        env.kind = if method.is_some() {
            if id.is_some() {
                1
            } else {
                2
            }
        } else if has_error {
            4
        } else if has_result {
            3
        } else {
            6
        };
        env.id = id;
        env.method = method;
    } else {
        p.value()?;
        if first == b'[' {
            env.kind = 5;
        }
    }
    p.ws();
    (p.i == b.len()).then_some(env)
}

/// The crate's scan in the reference's shape.
pub fn scanned(b: &[u8]) -> Option<RefEnv> {
    let e = scan_envelope(b);
    if e.kind as u8 == 0 {
        return None;
    }
    let span = |s: nmcp_core::Span| {
        (s.ty as u8 != 0).then_some(RefSpan {
            ty: s.ty as u8,
            escaped: s.escaped,
            start: s.start,
            end: s.end,
        })
    };
    Some(RefEnv {
        kind: e.kind as u8,
        id: span(e.id),
        method: span(e.method),
    })
}
