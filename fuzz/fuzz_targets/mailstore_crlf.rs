//! Maildir line-end conversion: CRLF to LF and back, chunk by chunk. Any split gives the
//! same bytes and sizes as one piece; the `W=` size equals the length read back; text whose
//! every CR starts a CRLF survives the round trip unchanged.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use mailstore::crlf::{ToCrlf, ToLf, to_crlf, to_lf};

fuzz_target!(|data: &[u8]| {
    let Some((&sizes_len, rest)) = data.split_first() else {
        return;
    };
    let (sizes, body) = rest.split_at(usize::from(sizes_len % 16).min(rest.len()));

    // CRLF to LF in pieces equals one piece.
    let whole = to_lf(body);
    let mut conv = ToLf::new();
    let mut pieces = Vec::new();
    for chunk in mail_fuzz::chunks(body, sizes) {
        conv.push(chunk, &mut pieces);
    }
    conv.finish(&mut pieces);
    assert_eq!(pieces, whole, "split changed the LF form");
    assert_eq!(conv.size(), whole.len() as u64);

    // Reading back: W= is exactly what comes out, in pieces or not.
    let back = to_crlf(&whole);
    assert_eq!(
        conv.vsize(),
        back.len() as u64,
        "W= disagrees with the CRLF form"
    );
    let mut rc = ToCrlf::new();
    let mut back_pieces = Vec::new();
    let mut counted = 0u64;
    let mut counter = ToCrlf::new();
    for chunk in mail_fuzz::chunks(&whole, sizes) {
        rc.push(chunk, &mut back_pieces);
        counted += counter.count(chunk);
    }
    assert_eq!(back_pieces, back);
    assert_eq!(counted, back.len() as u64);

    // Every LF in the output has its CR; text without bare CR round-trips.
    assert!(back.windows(2).all(|w| w[1] != b'\n' || w[0] == b'\r'));
    assert!(back.first() != Some(&b'\n'));
    let bare_cr = back.windows(2).any(|w| w[0] == b'\r' && w[1] != b'\n') || back.ends_with(b"\r");
    if !bare_cr {
        assert_eq!(to_crlf(&to_lf(&back)), back, "CRLF text changed");
    }
});
