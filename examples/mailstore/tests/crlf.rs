//! Line-end conversion without the file system: split invariance and size accounting.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use mailstore::crlf::{ToCrlf, ToLf, to_crlf, to_lf};
use proptest::prelude::*;

#[test]
fn known_answers() {
    assert_eq!(to_lf(b"a\r\nb\r\n"), b"a\nb\n");
    assert_eq!(to_lf(b"a\rb\n\r"), b"a\rb\n\r");
    assert_eq!(to_crlf(b"a\nb\r\nc\rd\n"), b"a\r\nb\r\nc\rd\r\n");
    assert_eq!(to_crlf(b"\n\n"), b"\r\n\r\n");
    let mut c = ToLf::new();
    let mut out = Vec::new();
    c.push(b"x\r", &mut out);
    assert_eq!(
        (out.as_slice(), c.size(), c.vsize_if_finished()),
        (&b"x"[..], 1, 2)
    );
    c.push(b"\ny", &mut out);
    assert_eq!((out.as_slice(), c.size(), c.vsize()), (&b"x\ny"[..], 3, 4));
    let mut r = ToCrlf::new();
    assert_eq!(r.count(b"a\r"), 2);
    assert_eq!(r.count(b"\n"), 1, "the CR came in the previous chunk");
    assert_eq!(r.count(b"\n"), 2);
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'x'), any::<u8>()],
        0..200,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn split_invariant_and_sizes(data in bytes(), cut in 0usize..200, cut2 in 0usize..200) {
        let a = cut.min(data.len());
        let b = cut2.min(data.len()).max(a);
        let mut c = ToLf::new();
        let mut out = Vec::new();
        for piece in [&data[..a], &data[a..b], &data[b..]] {
            c.push(piece, &mut out);
        }
        c.finish(&mut out);
        prop_assert_eq!(&out, &to_lf(&data));
        prop_assert_eq!(c.size(), out.len() as u64);
        let back = to_crlf(&out);
        prop_assert_eq!(c.vsize(), back.len() as u64);
        let mut r = ToCrlf::new();
        let mut pieces = Vec::new();
        let x = a.min(out.len());
        r.push(&out[..x], &mut pieces);
        r.push(&out[x..], &mut pieces);
        prop_assert_eq!(pieces, back);
    }

    /// CRLF text (every CR starts a CRLF) survives LF storage unchanged.
    #[test]
    fn crlf_text_round_trips(lines in proptest::collection::vec("[^\r\n]{0,20}", 0..10)) {
        let text: Vec<u8> = lines.iter().flat_map(|l| format!("{l}\r\n").into_bytes()).collect();
        prop_assert_eq!(to_crlf(&to_lf(&text)), text);
    }
}
