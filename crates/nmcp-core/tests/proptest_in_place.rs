//! `frame_joined_in_place` must produce exactly what `encode_joined` produces, for the layout the N-API binding uses:
//! the joined text at the end of the output buffer, with one spare byte (where V8 writes its NUL terminator).

use nmcp_core::{encode_joined, frame_joined_in_place};
use proptest::prelude::*;

fn message() -> impl Strategy<Value = Vec<u8>> {
    // Bytes without '\n' (a message never holds one), sometimes empty (refused) or long.
    prop_oneof![
        8 => proptest::collection::vec(any::<u8>().prop_filter("no newline", |b| *b != b'\n'), 1..40),
        1 => Just(Vec::new()),
        1 => proptest::collection::vec(Just(b'x'), 100..300),
    ]
}

proptest! {
    #[test]
    fn in_place_matches_the_copying_encoder(
        messages in proptest::collection::vec(message(), 1..30),
        framing in 0u32..2,
        max in prop_oneof![Just(64u64), Just(1u64 << 20)],
        spare in 0usize..3,
    ) {
        let joined = messages.join(&b'\n');
        let count = messages.len();
        let out_len = if framing == 0 { joined.len() + 1 } else { joined.len() + 3 * count + 1 };

        let mut expected = vec![0u8; out_len];
        let want = encode_joined(framing, max, &joined, &mut expected).unwrap();

        let (mut buf, src) = if framing == 0 {
            (vec![0u8; joined.len() + 1 + spare], 0)
        } else {
            let total = out_len + spare; // spare == 0: the tightest case, src == 3 × count
            (vec![0u8; total], total - joined.len() - 1)
        };
        buf[src..src + joined.len()].copy_from_slice(&joined);
        let got = frame_joined_in_place(framing, max, &mut buf, src, joined.len()).unwrap();
        prop_assert_eq!(got, want);
        if want > 0 {
            prop_assert_eq!(&buf[..want as usize], &expected[..want as usize]);
        }
    }
}
