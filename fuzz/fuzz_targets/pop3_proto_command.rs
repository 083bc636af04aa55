//! The POP3 command parser on arbitrary bytes: no panic, and every command that parses and
//! encodes parses back to the same value (panics on a mismatch).

#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use pop3_proto::{Parsed, encode_command, parse_command};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Parsed::Complete { value, consumed }) = parse_command(rest) {
        let mut wire = Vec::new();
        if encode_command(&value, &mut wire).is_ok() {
            match parse_command(&wire) {
                Ok(Parsed::Complete {
                    value: again,
                    consumed: n,
                }) => {
                    assert_eq!(again, value, "round trip of {wire:?}");
                    assert_eq!(n, wire.len());
                }
                other => panic!("re-encoded command {wire:?} did not parse: {other:?}"),
            }
        }
        rest = rest.get(consumed.max(1)..).unwrap_or_default();
    }
});
