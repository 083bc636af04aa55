//! The reply parser on arbitrary input: no panic; a parsed reply re-encodes with CRLF and
//! parses back equal; the EHLO capability reader never panics.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use smtp_proto::Limits;
use smtp_proto::{Parsed, encode_reply, parse_reply_with};
use smtp_proto::Capabilities;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default().with_max_reply_line(4096);
    if let Ok(Parsed::Complete { value, consumed }) = parse_reply_with(data, &limits) {
        assert!(consumed <= data.len());
        let _ = Capabilities::from_ehlo(&value);
        let _ = value.texts().count();
        let mut out = Vec::new();
        if encode_reply(&value, &mut out).is_ok() {
            match parse_reply_with(&out, &limits) {
                Ok(Parsed::Complete {
                    value: again,
                    consumed,
                }) => {
                    assert_eq!(consumed, out.len());
                    assert_eq!(again, value);
                }
                other => panic!("re-parse: {other:?}"),
            }
        }
    }
});
