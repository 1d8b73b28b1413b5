//! Rough throughput numbers; run with `cargo test --release -p nmcp-core --test perf -- --ignored --nocapture`.

use std::time::Instant;

use nmcp_core::{scan_envelope, Decoder, Kind};

fn message_with_string(len: usize) -> Vec<u8> {
    let mut msg = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"write","arguments":{"data":""#.to_vec();
    msg.extend((0..len).map(|i| b"abcdefghijklmnopqrstuvwxyz0123456789+/"[i % 38]));
    msg.extend_from_slice(br#""}}}"#);
    msg
}

fn rate(bytes: usize, secs: f64) -> String {
    format!("{:.2} GB/s", bytes as f64 / secs / 1e9)
}

#[test]
#[ignore]
fn scan_throughput() {
    for (label, len) in [("1 MiB", 1 << 20), ("16 MiB", 16 << 20)] {
        let msg = message_with_string(len);
        assert_eq!(scan_envelope(&msg).kind, Kind::Request);
        let iters = (256 << 20) / msg.len();
        let t = Instant::now();
        for _ in 0..iters {
            std::hint::black_box(scan_envelope(std::hint::black_box(&msg)));
        }
        println!(
            "scan_envelope, {label} string message: {}",
            rate(msg.len() * iters, t.elapsed().as_secs_f64())
        );
    }
    // A structured message: many small members.
    let mut msg = br#"{"jsonrpc":"2.0","id":1,"result":{"items":["#.to_vec();
    for i in 0..20_000 {
        if i > 0 {
            msg.push(b',');
        }
        msg.extend_from_slice(
            format!(r#"{{"id":{i},"name":"item {i}","tags":["a","b"],"ok":true,"score":1.5e-3}}"#)
                .as_bytes(),
        );
    }
    msg.extend_from_slice(b"]}}");
    assert_eq!(scan_envelope(&msg).kind, Kind::Response);
    let iters = (256 << 20) / msg.len();
    let t = Instant::now();
    for _ in 0..iters {
        std::hint::black_box(scan_envelope(std::hint::black_box(&msg)));
    }
    println!(
        "scan_envelope, {} KiB structured message: {}",
        msg.len() >> 10,
        rate(msg.len() * iters, t.elapsed().as_secs_f64())
    );
}

#[test]
#[ignore]
fn decode_64_mib_message() {
    let mut stream = message_with_string(64 << 20);
    stream.push(b'\n');
    for chunk_size in [1usize, 65536] {
        let mut d = Decoder::new(0, 256 << 20).unwrap();
        let mut out = [0i32; 16];
        let t = Instant::now();
        let mut frames = 0;
        for chunk in stream.chunks(chunk_size) {
            frames += d.push(chunk, 0, &mut out, 0).unwrap();
        }
        assert_eq!(frames, 1);
        println!(
            "NDJSON decode of a 64 MiB message in {chunk_size}-byte chunks: {:.3} s",
            t.elapsed().as_secs_f64()
        );
    }
}
