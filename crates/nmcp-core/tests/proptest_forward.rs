//! Property tests of the in-bytes frame rewriting (`forward`): the output parses (serde_json) to the input with only
//! the id (and the stripped name) changed, and no input — random trees, escaped keys and names, token soup — panics.

mod common;

use common::{root, tree, Ser, J};
use nmcp_core::{rewrite_batch, rewrite_request, ForwardError};
use proptest::prelude::*;
use serde_json::Value;

/// A new id as raw JSON and as a value.
fn new_id() -> impl Strategy<Value = (String, Value)> {
    prop_oneof![
        any::<u32>().prop_map(|n| (n.to_string(), Value::from(n))),
        "[a-z0-9]{0,6}".prop_map(|s| (format!("\"{s}\""), Value::from(s))),
        Just(("\"a\\\"b\\u00e9\"".to_string(), Value::from("a\"bé"))),
    ]
}

/// A JSON-RPC request with a namespaced tool name, its members in random order, plus unrelated members.
fn request() -> impl Strategy<Value = (J, usize)> {
    let extra = ("[a-z]{1,8}", tree()).prop_filter("not an envelope key", |(k, _)| {
        !matches!(k.as_str(), "id" | "params" | "method" | "jsonrpc")
    });
    (
        prop_oneof![
            "(0|[1-9][0-9]{0,5})".prop_map(J::Num),
            "[ -~é]{0,6}".prop_map(J::Str)
        ],
        "[a-z]{1,6}__",
        "[ -~é😀]{0,12}",
        proptest::collection::vec(("[a-z]{1,6}", tree()), 0..4),
        proptest::collection::vec(extra, 0..3),
        any::<u64>(),
    )
        .prop_map(|(id, prefix, rest, args, extras, seed)| {
            let params = J::Obj(vec![
                ("name".to_string(), J::Str(format!("{prefix}{rest}"))),
                ("arguments".to_string(), J::Obj(args)),
            ]);
            let mut members = vec![
                ("jsonrpc".to_string(), J::Str("2.0".to_string())),
                ("id".to_string(), id),
                ("method".to_string(), J::Str("tools/call".to_string())),
                ("params".to_string(), params),
            ];
            members.extend(extras);
            // A seeded rotation is enough to put id before or after params.
            let len = members.len();
            members.rotate_left((seed % len as u64) as usize);
            (J::Obj(members), prefix.len())
        })
}

/// The value the rewritten frame must parse to, when the rewrite succeeded.
fn expected(original: &Value, id: &Value, prefix: usize) -> Value {
    let mut want = original.clone();
    want["id"] = id.clone();
    if prefix > 0 {
        let name = want["params"]["name"].as_str().expect("a string name");
        want["params"]["name"] = Value::from(&name[prefix..]);
    }
    want
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn requests_keep_everything_but_id_and_name((j, prefix) in request(), (raw_id, id) in new_id(), seed in any::<u64>()) {
        let (frame, _) = Ser::new(seed, true).text(&j);
        let original: Value = serde_json::from_slice(&frame).unwrap();
        let mut out = Vec::new();

        rewrite_request(&frame, raw_id.as_bytes(), 0, &mut out).unwrap();
        prop_assert_eq!(serde_json::from_slice::<Value>(&out).unwrap(), expected(&original, &id, 0));

        match rewrite_request(&frame, raw_id.as_bytes(), prefix, &mut out) {
            Ok(()) => {
                let got: Value = serde_json::from_slice(&out).unwrap();
                prop_assert_eq!(got, expected(&original, &id, prefix));
                prop_assert_eq!(out.len(), frame.len() + raw_id.len() - prefix - old_id_len(&frame, &original));
            }
            // The serialiser writes some characters as escapes: then the name's bytes are not its value.
            Err(e) => prop_assert_eq!(e, ForwardError::NameEscaped),
        }
    }

    #[test]
    fn any_tree_rewrites_exactly_or_reports(j in root(), (raw_id, id) in new_id(), prefix in 0usize..4, seed in any::<u64>()) {
        let (frame, _) = Ser::new(seed, true).text(&j);
        let original: Value = serde_json::from_slice(&frame).unwrap();
        let mut out = Vec::new();
        if rewrite_request(&frame, raw_id.as_bytes(), prefix, &mut out).is_ok() {
            let got: Value = serde_json::from_slice(&out).unwrap();
            prop_assert_eq!(got, expected(&original, &id, prefix));
        }
    }

    #[test]
    fn odd_bytes_never_panic(
        frame in proptest::collection::vec(prop_oneof![
            Just(b'{'), Just(b'}'), Just(b'['), Just(b']'), Just(b'"'), Just(b'\\'), Just(b':'), Just(b','),
            Just(b'i'), Just(b'd'), Just(b'1'), any::<u8>()
        ], 0..40),
        raw_id in proptest::collection::vec(any::<u8>(), 0..6),
        prefix in 0u32..4,
    ) {
        let mut out = Vec::new();
        let _ = rewrite_request(&frame, &raw_id, prefix as usize, &mut out);
        let mut framed = br#"{"id":1,"params":{"name":"#.to_vec();
        framed.extend_from_slice(&frame);
        framed.extend_from_slice(b"}}");
        let _ = rewrite_request(&framed, b"2", prefix as usize, &mut out);
        // The batch form on the same bytes: never panics, and never writes past what it reports.
        let mut dst = vec![0u8; frame.len() + raw_id.len()];
        let (mut ends, mut status) = ([0u32; 1], [0u32; 1]);
        let n = rewrite_batch(&frame, &[frame.len() as u32], &raw_id, &[raw_id.len() as u32], &[prefix], 1,
            &mut dst, &mut ends, &mut status).unwrap();
        prop_assert_eq!(n, ends[0] as usize);
        if status[0] != 0 {
            prop_assert_eq!(&dst[..n], &frame[..]);
        }
    }
}

/// The byte length of the original id as written (quotes included), found by serialising nothing: the output length
/// property only needs it for ids the generator wrote without escapes, so re-find it in the frame.
fn old_id_len(frame: &[u8], original: &Value) -> usize {
    let env = nmcp_core::scan_envelope(frame);
    let span = (env.id.end - env.id.start) as usize;
    if original["id"].is_string() {
        span + 2
    } else {
        span
    }
}
