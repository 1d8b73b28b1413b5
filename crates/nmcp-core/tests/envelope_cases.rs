//! Hand-written cases of the envelope scan beyond the shared vectors: span offsets, the packed column, million-level
//! nesting, and strings around the scanner's internal run/window sizes.

use nmcp_core::{scan_envelope, Kind, ValueType};

/// The string scanner's window size (crate-internal); lengths around it exercise the window seams.
const W: usize = 16 * 1024;

fn kind(s: &str) -> Kind {
    scan_envelope(s.as_bytes()).kind
}

#[test]
fn kinds() {
    assert_eq!(
        kind(r#"{"jsonrpc":"2.0","id":1,"method":"x"}"#),
        Kind::Request
    );
    assert_eq!(kind(r#"{"method":"x"}"#), Kind::Notification);
    assert_eq!(kind(r#"{"id":1,"result":{}}"#), Kind::Response);
    assert_eq!(kind(r#"{"id":1,"result":{},"error":1}"#), Kind::Error);
    assert_eq!(kind("[]"), Kind::Batch);
    assert_eq!(kind(" 1 "), Kind::Other);
    assert_eq!(kind("{}"), Kind::Other);
    assert_eq!(kind(""), Kind::Invalid);
    assert_eq!(kind("01"), Kind::Invalid);
    assert_eq!(kind("{\"a\":1,}"), Kind::Invalid);
    assert_eq!(kind("[1,]"), Kind::Invalid);
    assert_eq!(kind("\"\\u12g4\""), Kind::Invalid);
}

#[test]
fn spans() {
    let f = br#"{ "id" : "a\"b" , "method":[1,{"id":2}] }"#;
    let e = scan_envelope(f);
    assert_eq!(e.kind, Kind::Request);
    assert_eq!(e.id.ty, ValueType::String);
    assert!(e.id.escaped);
    assert_eq!(&f[e.id.start as usize..e.id.end as usize], br#"a\"b"#);
    assert_eq!(e.method.ty, ValueType::Other);
    assert_eq!(
        &f[e.method.start as usize..e.method.end as usize],
        br#"[1,{"id":2}]"#
    );
    assert_eq!(e.packed(), 1 | 2 << 4 | 1 << 8 | 4 << 12);
}

#[test]
fn escaped_keys_and_duplicates() {
    let e = scan_envelope(br#"{"\u0069d":1,"id":-2.5e3,"me\u0074hod":"m","method":null}"#);
    assert_eq!(e.kind, Kind::Request);
    assert_eq!((e.id.ty, e.id.start, e.id.end), (ValueType::Number, 18, 24));
    assert_eq!(e.method.ty, ValueType::Null);
    assert_eq!(kind(r#"{"\u00e9rror":1,"i\u0064":1}"#), Kind::Other);
}

#[test]
fn deep_nesting_does_not_recurse() {
    let depth = 1_000_000;
    let mut s = "[".repeat(depth);
    s.push_str(&"]".repeat(depth));
    assert_eq!(kind(&s), Kind::Batch);
    let mut s = "{\"a\":".repeat(depth);
    s.push('1');
    s.push_str(&"}".repeat(depth));
    assert_eq!(kind(&s), Kind::Other);
    s.push('}');
    assert_eq!(kind(&s), Kind::Invalid);
}

#[test]
fn long_strings() {
    for len in [0, 1, 15, 16, 17, 63, 64, 65, W - 1, W, W + 1, 3 * W + 7] {
        let mut s = vec![b'"'];
        s.extend(std::iter::repeat(b'x').take(len));
        s.push(b'"');
        assert_eq!(scan_envelope(&s).kind, Kind::Other, "len {len}");
        for pos in [1, len / 2 + 1, len] {
            if pos == 0 || pos > len {
                continue;
            }
            let mut bad = s.clone();
            bad[pos] = 0x1F;
            assert_eq!(
                scan_envelope(&bad).kind,
                Kind::Invalid,
                "len {len} pos {pos}"
            );
        }
    }
}
