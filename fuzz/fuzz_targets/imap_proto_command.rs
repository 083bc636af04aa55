//! The IMAP command parser on arbitrary bytes, the first octet choosing the mode (IMAP4rev1,
//! IMAP4rev2, UTF8=ACCEPT) and the leniency: no panic, and every command that parses and
//! encodes (under each literal policy) parses back to the same value.

#![no_main]

use bytes::Bytes;
use imap_proto::codec::{LiteralPolicy, ParseOptions, Parsed, encode_command, parse_command};
use imap_proto::{Fault, Mode};
use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;

fuzz_target!(|data: &[u8]| {
    let [pick, rest @ ..] = data else {
        return;
    };
    let mode = [Mode::REV1, Mode::REV2, Mode::REV1.with_utf8_accept(true)][usize::from(pick % 3)];
    let opts = ParseOptions {
        mode,
        lenient: pick & 4 != 0,
    };
    let input = Bytes::copy_from_slice(rest);
    let Ok(Parsed::Complete { value, consumed }) = parse_command(&input, opts) else {
        return;
    };
    assert!(consumed <= rest.len());
    for policy in [
        LiteralPolicy::Sync,
        LiteralPolicy::Plus,
        LiteralPolicy::Minus,
    ] {
        let Ok(encoded) = encode_command(&value, mode, policy) else {
            continue;
        };
        let wire = Bytes::from(encoded.to_vec());
        match parse_command(&wire, ParseOptions::strict(mode)) {
            Ok(Parsed::Complete { value: again, .. }) => {
                assert_eq!(again, value, "round trip of {wire:?}")
            }
            // Lenient input may hold what the mode refuses (STATUS RECENT under IMAP4rev2):
            // the strict parser says so.
            Err(e) if opts.lenient && e.kind.fault == Fault::NotInMode => {}
            other => panic!("re-encoded command {wire:?} did not parse: {other:?}"),
        }
    }
});
