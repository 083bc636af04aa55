//! The IMAP response parser on arbitrary bytes, the first octet choosing the mode and the
//! leniency: no panic, and every response that parses and encodes parses back to the same
//! value with the same parser.

#![no_main]

use bytes::Bytes;
use imap_proto::Mode;
use imap_proto::codec::{ParseOptions, Parsed, encode_response, parse_response};
use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;

fuzz_target!(|data: &[u8]| {
    let [pick, rest @ ..] = data else {
        return;
    };
    let mode = [Mode::REV1, Mode::REV2, Mode::REV1.with_utf8_accept(true)][usize::from(pick % 3)];
    let opts = ParseOptions {
        mode,
        lenient: pick & 4 == 0,
    };
    let input = Bytes::copy_from_slice(rest);
    let Ok(Parsed::Complete { value, consumed }) = parse_response(&input, opts) else {
        return;
    };
    assert!(consumed <= rest.len());
    let mut out = b"kept".to_vec();
    if encode_response(&value, mode, &mut out).is_err() {
        // A refusal writes nothing.
        assert_eq!(out, b"kept");
        return;
    }
    let wire = Bytes::from(out.split_off(4));
    match parse_response(&wire, opts) {
        Ok(Parsed::Complete { value: again, .. }) => {
            assert_eq!(again, value, "round trip of {wire:?}")
        }
        other => panic!("re-encoded response {wire:?} did not parse: {other:?}"),
    }
});
