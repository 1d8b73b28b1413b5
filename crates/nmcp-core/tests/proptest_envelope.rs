//! Property tests of the envelope scan against serde_json and an independent recursive reference.

mod common;

use common::reference::{reference, scanned};
use common::{root, Ser, J};
use nmcp_core::{scan_envelope, Kind, ValueType};
use proptest::prelude::*;
use serde_json::Value;

fn type_name(t: ValueType) -> &'static str {
    match t {
        ValueType::Absent => "absent",
        ValueType::Number => "number",
        ValueType::String => "string",
        ValueType::Null => "null",
        ValueType::Other => "other",
    }
}

/// JSON-ish tokens: random sequences of them hit the grammar's corners far more often than random bytes.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "\\",
    "\"id\"",
    "\"method\"",
    "\"result\"",
    "\"error\"",
    "\"\\u0069d\"",
    "1",
    "-",
    "0",
    ".",
    "e",
    "E",
    "+",
    "5",
    "true",
    "false",
    "null",
    "tru",
    " ",
    "\n",
    "\r",
    "\t",
    "\u{1}",
    "\\u",
    "0041",
    "00",
    "é",
    "\\n",
    "\\\"",
    "\"a\"",
    "\"x\":",
    "\"id\":",
    "\"method\":\"m\"",
    "{}",
    "[]",
    "\u{7f}",
    "/",
    "\\/",
];

fn token_text() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(proptest::sample::select(TOKENS), 0..40)
        .prop_map(|ts| ts.concat().into_bytes())
}

/// A valid text, then a few random single-byte edits.
fn mutated() -> impl Strategy<Value = Vec<u8>> {
    (
        root(),
        any::<u64>(),
        proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 0..3),
    )
        .prop_map(|(j, seed, edits)| {
            let (mut text, _) = Ser::new(seed, true).text(&j);
            for (at, byte, op) in edits {
                let at = if text.is_empty() {
                    0
                } else {
                    at % (text.len() + 1)
                };
                match op {
                    0 => text.insert(at, byte),
                    1 if at < text.len() => {
                        text.remove(at);
                    }
                    _ if at < text.len() => text[at] = byte,
                    _ => {}
                }
            }
            text
        })
}

/// serde_json rejects some texts that the grammar (and JSON.parse) accepts: lone surrogate escapes, numbers that
/// overflow f64, and nesting deeper than 128.
fn serde_only_limitation(text: &[u8], err: &serde_json::Error) -> bool {
    let msg = err.to_string();
    msg.contains("out of range")
        || msg.contains("recursion limit")
        || ((msg.contains("surrogate") || msg.contains("hex escape")) && has_surrogate_escape(text))
}

/// Whether the text has a `\uD800`..`\uDFFF` escape (serde_json rejects those that are not a proper pair).
fn has_surrogate_escape(text: &[u8]) -> bool {
    text.windows(4).any(|w| {
        w[0] == b'\\'
            && w[1] == b'u'
            && matches!(w[2], b'd' | b'D')
            && matches!(w[3], b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F')
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// (1) Random JSON trees with random whitespace, escapes, key order and duplicates: kind, id and method agree
    /// with the serialiser's own record of the top-level members and with serde_json's reading of the same text.
    #[test]
    fn random_json_envelope(j in root(), seed in any::<u64>()) {
        let (text, members) = Ser::new(seed, true).text(&j);
        let env = scan_envelope(&text);
        let parsed: Value = serde_json::from_slice(&text).expect("generated text is JSON");

        // Expected from the serialiser: the last member of each name wins.
        let last = |name: &str| members.iter().rev().find(|m| m.name == name).cloned();
        let has = |name: &str| members.iter().any(|m| m.name == name);
        let expected_kind = match &j {
            J::Obj(_) => {
                if has("method") {
                    if has("id") { Kind::Request } else { Kind::Notification }
                } else if has("error") {
                    Kind::Error
                } else if has("result") {
                    Kind::Response
                } else {
                    Kind::Other
                }
            }
            J::Arr(_) => Kind::Batch,
            _ => Kind::Other,
        };
        prop_assert_eq!(env.kind, expected_kind);

        // serde_json agrees on the kind (its map also keeps the last duplicate).
        let serde_kind = match &parsed {
            Value::Object(m) => {
                if m.contains_key("method") {
                    if m.contains_key("id") { Kind::Request } else { Kind::Notification }
                } else if m.contains_key("error") {
                    Kind::Error
                } else if m.contains_key("result") {
                    Kind::Response
                } else {
                    Kind::Other
                }
            }
            Value::Array(_) => Kind::Batch,
            _ => Kind::Other,
        };
        prop_assert_eq!(env.kind, serde_kind);

        for (name, span) in [("id", env.id), ("method", env.method)] {
            match last(name) {
                None => prop_assert_eq!(span.ty, ValueType::Absent),
                Some(m) => {
                    prop_assert_eq!(type_name(span.ty), m.ty);
                    prop_assert_eq!((span.start as usize, span.end as usize), (m.start, m.end));
                    let raw = &text[m.start..m.end];
                    prop_assert_eq!(span.escaped, m.ty == "string" && raw.contains(&b'\\'));
                    // The span turns back into serde_json's value of the member.
                    let from_span: Value = if m.ty == "string" {
                        let mut quoted = b"\"".to_vec();
                        quoted.extend_from_slice(raw);
                        quoted.push(b'"');
                        serde_json::from_slice(&quoted).expect("string span")
                    } else {
                        serde_json::from_slice(raw).expect("value span")
                    };
                    prop_assert_eq!(Some(&from_span), parsed.get(name));
                }
            }
        }
        prop_assert_eq!(scanned(&text), reference(&text));
    }

    /// (2a) Token soup: the scan never panics, matches the reference exactly, and (for valid UTF-8) is INVALID
    /// exactly when serde_json fails, apart from serde_json's own documented limitations.
    #[test]
    fn token_soup_matches_reference_and_serde(text in token_text()) {
        check_against_oracles(&text)?;
    }

    /// (2b) Mutated valid texts.
    #[test]
    fn mutated_text_matches_reference_and_serde(text in mutated()) {
        check_against_oracles(&text)?;
    }

    /// (2c) Arbitrary bytes: never panics and matches the reference.
    #[test]
    fn arbitrary_bytes_match_reference(text in proptest::collection::vec(any::<u8>(), 0..64)) {
        prop_assert_eq!(scanned(&text), reference(&text));
    }
}

fn check_against_oracles(text: &[u8]) -> Result<(), TestCaseError> {
    let ours = scanned(text);
    prop_assert_eq!(&ours, &reference(text));
    if std::str::from_utf8(text).is_ok() {
        match serde_json::from_slice::<Value>(text) {
            Ok(_) => prop_assert!(ours.is_some(), "serde_json accepts, scan says INVALID"),
            Err(e) => prop_assert!(
                ours.is_none() || serde_only_limitation(text, &e),
                "serde_json rejects ({}), scan says valid",
                e
            ),
        }
    }
    Ok(())
}

#[test]
fn serde_json_keeps_the_last_duplicate() {
    // The property above relies on this.
    let v: Value = serde_json::from_str(r#"{"id":1,"id":2}"#).unwrap();
    assert_eq!(v["id"], 2);
}
