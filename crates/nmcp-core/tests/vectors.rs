//! Runs test/vectors/*.json, the vectors shared with the TS twin and the native binding's vitest suite.
//!
//! Every decoder vector is run four ways: its own chunks and the concatenated input re-cut into 1-byte chunks, each
//! with a roomy `out` and with an `out` that holds exactly one record. All four must give the expected sequence of
//! frames (bytes + kind) and errors; only FRAME vs FRAME_ASSEMBLED and the offsets may differ.

use std::path::PathBuf;

use nmcp_core::{
    encode_frames, encode_joined, scan_envelope, Decoder, Envelope, Kind, Span, Status, ValueType,
};
use serde_json::Value;

fn load(name: &str) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../test/vectors")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match serde_json::from_str(&text) {
        Ok(Value::Array(items)) => items,
        other => panic!("{name}: expected an array, got {other:?}"),
    }
}

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length: {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

/// `text` → its UTF-8 bytes, or `<text>Hex` → the decoded bytes.
fn bytes_field(v: &Value, key: &str) -> Option<Vec<u8>> {
    if let Some(s) = v[key].as_str() {
        return Some(s.as_bytes().to_vec());
    }
    v[format!("{key}Hex")].as_str().map(hex)
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Invalid => "invalid",
        Kind::Request => "request",
        Kind::Notification => "notification",
        Kind::Response => "response",
        Kind::Error => "error",
        Kind::Batch => "batch",
        Kind::Other => "other",
        Kind::Unscanned => "unscanned",
    }
}

fn type_name(t: ValueType) -> &'static str {
    match t {
        ValueType::Absent => "absent",
        ValueType::Number => "number",
        ValueType::String => "string",
        ValueType::Null => "null",
        ValueType::Other => "other",
    }
}

fn check_span(name: &str, member: &str, frame: &[u8], span: &Span, expect: &Value) {
    if expect.is_null() {
        assert_eq!(span, &Span::ABSENT, "{name}: {member} should be absent");
        return;
    }
    assert_eq!(
        type_name(span.ty),
        str_field(expect, "type"),
        "{name}: {member} type"
    );
    let text = &frame[span.start as usize..span.end as usize];
    assert_eq!(
        String::from_utf8_lossy(text),
        str_field(expect, "text"),
        "{name}: {member} text"
    );
    let escaped = expect["escaped"].as_bool().unwrap_or(false);
    assert_eq!(span.escaped, escaped, "{name}: {member} escaped");
}

#[test]
fn envelope_vectors() {
    let vectors = load("envelope.json");
    assert!(vectors.len() >= 40);
    for v in &vectors {
        let name = str_field(v, "name");
        let input = bytes_field(v, "input").unwrap_or_else(|| panic!("{name}: no input"));
        let env = scan_envelope(&input);
        assert_eq!(kind_name(env.kind), str_field(v, "kind"), "{name}: kind");
        check_span(name, "id", &input, &env.id, &v["id"]);
        check_span(name, "method", &input, &env.method, &v["method"]);
        if env.kind == Kind::Invalid {
            assert_eq!(env, Envelope::INVALID, "{name}");
            assert_eq!(env.packed(), 0);
        }
        let packed = env.packed();
        assert_eq!(packed & 0xF, env.kind as i32);
        assert_eq!(packed >> 4 & 0xF, env.id.ty as i32);
        assert_eq!(packed >> 12 & 0xF, env.method.ty as i32);
        let mut cols = [9; 5];
        env.write_cols(&mut cols);
        assert_eq!(
            cols,
            [
                packed,
                env.id.start,
                env.id.end,
                env.method.start,
                env.method.end
            ]
        );
    }
}

/// A record reduced to what must not depend on chunking.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rec {
    Frame { bytes: String, kind: &'static str },
    Error { error: &'static str, detail: u32 },
}

fn error_name(status: Status) -> &'static str {
    match status {
        Status::ErrTooLarge => "too_large",
        Status::ErrTooLargeFatal => "too_large_fatal",
        Status::ErrCorruptHeader => "corrupt_header",
        Status::ErrDecoderFailed => "decoder_failed",
        Status::Frame | Status::FrameAssembled => unreachable!(),
    }
}

/// Feeds `chunks` to a fresh decoder with an `out` of `capacity` records placed after `record_start` earlier slots.
fn decode(
    framing: u32,
    max: u64,
    chunks: &[Vec<u8>],
    capacity: usize,
    record_start: usize,
) -> Vec<Rec> {
    let mut dec = Decoder::new(framing, max).expect("decoder options");
    let mut out = vec![0i32; 8 * (1 + record_start + capacity)];
    let mut recs = Vec::new();
    for chunk in chunks {
        let mut pos = 0usize;
        loop {
            let n = dec.push(chunk, pos, &mut out, record_start).expect("push");
            assert!(n <= capacity);
            let consumed = out[0] as usize;
            assert!(consumed >= pos && consumed <= chunk.len());
            assert!(n > 0 || consumed == chunk.len(), "no progress");
            for r in 0..n {
                let rec = &out[8 * (1 + record_start + r)..][..8];
                let status = Status::from_code(rec[0]).expect("status code");
                let cols: [i32; 5] = rec[3..8].try_into().unwrap();
                match status {
                    Status::Frame | Status::FrameAssembled => {
                        let bytes = if status == Status::Frame {
                            chunk[rec[1] as usize..rec[2] as usize].to_vec()
                        } else {
                            assert_eq!(r, 0, "FRAME_ASSEMBLED must be the first record of a push");
                            assert_eq!(rec[1], 0);
                            let mut dst = vec![0u8; rec[2] as usize];
                            assert!(
                                dec.take_assembled(&mut dst[1..]).is_err(),
                                "wrong length accepted"
                            );
                            dec.take_assembled(&mut dst).expect("take_assembled");
                            assert!(dec.take_assembled(&mut dst).is_err(), "taken twice");
                            dst
                        };
                        let env = scan_envelope(&bytes);
                        assert_eq!(cols, env.cols(), "record envelope == scan_envelope(frame)");
                        recs.push(Rec::Frame {
                            bytes: to_hex(&bytes),
                            kind: kind_name(env.kind),
                        });
                    }
                    _ => {
                        assert_eq!(&rec[2..8], &[0, 0, -1, -1, -1, -1]);
                        recs.push(Rec::Error {
                            error: error_name(status),
                            detail: rec[1] as u32,
                        });
                    }
                }
            }
            pos = consumed;
            if pos == chunk.len() {
                break;
            }
            assert_eq!(n, capacity, "push stopped early although out was not full");
        }
    }
    recs
}

fn expected(v: &Value) -> Vec<Rec> {
    let name = str_field(v, "name");
    v["expect"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}: expect"))
        .iter()
        .map(|e| {
            if let Some(bytes) = bytes_field(e, "frame") {
                let kind = str_field(e, "kind");
                let kind = [
                    Kind::Invalid,
                    Kind::Request,
                    Kind::Notification,
                    Kind::Response,
                    Kind::Error,
                    Kind::Batch,
                    Kind::Other,
                ]
                .into_iter()
                .map(kind_name)
                .find(|k| *k == kind)
                .unwrap_or_else(|| panic!("{name}: unknown kind {kind}"));
                Rec::Frame {
                    bytes: to_hex(&bytes),
                    kind,
                }
            } else {
                let error = str_field(e, "error");
                let error = [
                    "too_large",
                    "too_large_fatal",
                    "corrupt_header",
                    "decoder_failed",
                ]
                .into_iter()
                .find(|x| *x == error)
                .unwrap_or_else(|| panic!("{name}: unknown error {error}"));
                let detail = e["detail"].as_u64().unwrap_or(0) as u32;
                Rec::Error { error, detail }
            }
        })
        .collect()
}

fn run_decoder_vectors(file: &str, framing: u32) -> usize {
    let vectors = load(file);
    for v in &vectors {
        let name = str_field(v, "name");
        let max = v["maxMessageSize"].as_u64().expect("maxMessageSize");
        let chunks: Vec<Vec<u8>> = if let Some(c) = v["chunks"].as_array() {
            c.iter()
                .map(|s| s.as_str().expect("chunk").as_bytes().to_vec())
                .collect()
        } else {
            v["chunksHex"]
                .as_array()
                .expect("chunks")
                .iter()
                .map(|s| hex(s.as_str().expect("chunk")))
                .collect()
        };
        let one_byte: Vec<Vec<u8>> = chunks.concat().into_iter().map(|b| vec![b]).collect();
        let want = expected(v);
        for (label, chunks) in [("chunks", &chunks), ("1-byte chunks", &one_byte)] {
            for (capacity, record_start) in [(64, 0), (1, 0), (1, 3)] {
                let got = decode(framing, max, chunks, capacity, record_start);
                assert_eq!(
                    got, want,
                    "{file} / {name}: {label}, out for {capacity} record(s) from slot {record_start}"
                );
            }
        }
    }
    vectors.len()
}

#[test]
fn ndjson_vectors() {
    assert!(run_decoder_vectors("ndjson.json", 0) >= 20);
}

#[test]
fn length_prefixed_vectors() {
    assert!(run_decoder_vectors("length-prefixed.json", 1) >= 12);
}

#[test]
fn encode_vectors() {
    let vectors = load("encode.json");
    assert!(vectors.len() >= 10);
    for v in &vectors {
        let name = str_field(v, "name");
        let framing = match str_field(v, "framing") {
            "ndjson" => 0u32,
            "length-prefixed" => 1,
            other => panic!("{name}: framing {other}"),
        };
        let max = v["maxMessageSize"].as_u64().expect("maxMessageSize");
        let payloads: Vec<&str> = v["payloads"]
            .as_array()
            .expect("payloads")
            .iter()
            .map(|p| p.as_str().expect("payload"))
            .collect();
        let want: Result<Vec<u8>, i64> = match v["expectError"].as_u64() {
            Some(i) => Err(-(i as i64) - 1),
            None => Ok(hex(str_field(v, "expectHex"))),
        };
        let overhead = if framing == 0 { 1 } else { 4 };

        let joined_bytes = payloads.concat().into_bytes();
        let mut ends = Vec::new();
        let mut end = 0u32;
        for p in &payloads {
            end += p.len() as u32;
            ends.push(end);
        }
        let needed = joined_bytes.len() + overhead * payloads.len();
        let mut dst = vec![0u8; needed];
        let got =
            encode_frames(framing, max, &joined_bytes, &ends, ends.len(), &mut dst).expect(name);
        check_encoded(name, "encode_frames", got, &dst, &want);
        if needed > 0 {
            let mut small = vec![0u8; needed - 1];
            assert!(
                encode_frames(framing, max, &joined_bytes, &ends, ends.len(), &mut small).is_err()
            );
        }

        // encode_joined sees the same messages when none contains '\n' (and there is at least one: "" is one empty
        // message, not zero messages).
        if !payloads.is_empty() && payloads.iter().all(|p| !p.contains('\n')) {
            let joined = payloads.join("\n");
            let n = payloads.len();
            let needed = if framing == 0 {
                joined.len() + 1
            } else {
                joined.len() - (n - 1) + 4 * n
            };
            let mut dst = vec![0u8; needed];
            let got = encode_joined(framing, max, joined.as_bytes(), &mut dst).expect(name);
            check_encoded(name, "encode_joined", got, &dst, &want);
            let mut small = vec![0u8; needed - 1];
            assert!(encode_joined(framing, max, joined.as_bytes(), &mut small).is_err());
        }
    }
}

fn check_encoded(name: &str, what: &str, got: i64, dst: &[u8], want: &Result<Vec<u8>, i64>) {
    match want {
        Ok(bytes) => {
            assert_eq!(got, bytes.len() as i64, "{name}: {what} length");
            assert_eq!(
                to_hex(&dst[..bytes.len()]),
                to_hex(bytes),
                "{name}: {what} bytes"
            );
        }
        Err(code) => assert_eq!(got, *code, "{name}: {what} refusal"),
    }
}
