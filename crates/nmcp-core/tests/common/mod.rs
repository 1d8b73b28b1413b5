//! Shared helpers of the property tests: a JSON tree generator with a randomising serialiser, an independent
//! recursive reference for the envelope scan, and a decoder driver.
#![allow(dead_code)]

pub mod driver;
pub mod reference;

use proptest::prelude::*;

/// A JSON value whose objects keep member order and duplicates (unlike serde_json's map).
#[derive(Debug, Clone)]
pub enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

fn text() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        6 => proptest::char::range(' ', '~'),
        1 => any::<char>(),
        1 => Just('"'),
        1 => Just('\\'),
        1 => Just('\n'),
        1 => Just('\u{1}'),
        1 => Just('é'),
        1 => Just('😀'),
    ];
    proptest::collection::vec(ch, 0..8).prop_map(|cs| cs.into_iter().collect())
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just("id".to_string()),
        3 => Just("method".to_string()),
        2 => Just("result".to_string()),
        2 => Just("error".to_string()),
        1 => Just("jsonrpc".to_string()),
        1 => Just("ID".to_string()),
        1 => Just("idd".to_string()),
        2 => text(),
    ]
}

fn leaf() -> impl Strategy<Value = J> {
    prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        "-?(0|[1-9][0-9]{0,5})(\\.[0-9]{1,4})?([eE][+-]?[0-9]{1,2})?".prop_map(J::Num),
        text().prop_map(J::Str),
    ]
}

pub fn tree() -> impl Strategy<Value = J> {
    leaf().prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(J::Arr),
            proptest::collection::vec((key(), inner), 0..6).prop_map(J::Obj),
        ]
    })
}

/// Mostly objects at the root (the interesting case), sometimes anything.
pub fn root() -> impl Strategy<Value = J> {
    prop_oneof![
        4 => proptest::collection::vec((key(), tree()), 0..8).prop_map(J::Obj),
        1 => tree(),
    ]
}

/// A top-level member as serialised: its logical name and its value's span and type name.
#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub ty: &'static str,
    pub start: usize,
    pub end: usize,
}

/// Serialises a tree with random whitespace and random (valid) escapes, driven by a seed.
pub struct Ser {
    pub out: Vec<u8>,
    rng: u64,
    newlines: bool,
    pub members: Vec<Member>,
}

impl Ser {
    pub fn new(seed: u64, newlines: bool) -> Self {
        Ser {
            out: Vec::new(),
            rng: seed | 1,
            newlines,
            members: Vec::new(),
        }
    }

    fn next(&mut self) -> u64 {
        // xorshift64
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    fn ws(&mut self) {
        if self.next() % 3 != 0 {
            return;
        }
        let n = self.next() % 4;
        for _ in 0..n {
            let choices: &[u8] = if self.newlines { b" \t\r\n" } else { b" \t\r" };
            let c = choices[(self.next() % choices.len() as u64) as usize];
            self.out.push(c);
        }
    }

    fn unit(&mut self, u: u16) {
        let s = if self.next() % 2 == 0 {
            format!("\\u{u:04x}")
        } else {
            format!("\\u{u:04X}")
        };
        self.out.extend_from_slice(s.as_bytes());
    }

    fn string(&mut self, s: &str) {
        self.out.push(b'"');
        for ch in s.chars() {
            let must = ch == '"' || ch == '\\' || (ch as u32) < 0x20;
            if must || self.next() % 6 == 0 {
                let short = match ch {
                    '"' => Some("\\\""),
                    '\\' => Some("\\\\"),
                    '/' => Some("\\/"),
                    '\u{8}' => Some("\\b"),
                    '\u{c}' => Some("\\f"),
                    '\n' => Some("\\n"),
                    '\r' => Some("\\r"),
                    '\t' => Some("\\t"),
                    _ => None,
                };
                match short {
                    Some(e) if self.next() % 2 == 0 => self.out.extend_from_slice(e.as_bytes()),
                    _ => {
                        let mut units = [0u16; 2];
                        for &u in ch.encode_utf16(&mut units).iter() {
                            self.unit(u);
                        }
                    }
                }
            } else {
                let mut buf = [0u8; 4];
                self.out
                    .extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
        }
        self.out.push(b'"');
    }

    pub fn value(&mut self, j: &J, depth: usize) {
        match j {
            J::Null => self.out.extend_from_slice(b"null"),
            J::Bool(b) => self
                .out
                .extend_from_slice(if *b { b"true" } else { b"false" }),
            J::Num(n) => self.out.extend_from_slice(n.as_bytes()),
            J::Str(s) => self.string(s),
            J::Arr(items) => {
                self.out.push(b'[');
                for (k, item) in items.iter().enumerate() {
                    self.ws();
                    if k > 0 {
                        self.out.push(b',');
                        self.ws();
                    }
                    self.value(item, depth + 1);
                }
                self.ws();
                self.out.push(b']');
            }
            J::Obj(members) => {
                self.out.push(b'{');
                for (k, (name, value)) in members.iter().enumerate() {
                    self.ws();
                    if k > 0 {
                        self.out.push(b',');
                        self.ws();
                    }
                    self.string(name);
                    self.ws();
                    self.out.push(b':');
                    self.ws();
                    let start = self.out.len();
                    self.value(value, depth + 1);
                    if depth == 0 {
                        let (ty, start, end) = match value {
                            J::Str(_) => ("string", start + 1, self.out.len() - 1),
                            J::Num(_) => ("number", start, self.out.len()),
                            J::Null => ("null", start, self.out.len()),
                            _ => ("other", start, self.out.len()),
                        };
                        self.members.push(Member {
                            name: name.clone(),
                            ty,
                            start,
                            end,
                        });
                    }
                }
                self.ws();
                self.out.push(b'}');
            }
        }
    }

    /// The whole text: ws value ws.
    pub fn text(mut self, j: &J) -> (Vec<u8>, Vec<Member>) {
        self.ws();
        let base = self.out.len();
        self.value(j, 0);
        for m in &mut self.members {
            debug_assert!(m.start >= base);
        }
        self.ws();
        (self.out, self.members)
    }
}
