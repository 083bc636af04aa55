//! The POP3 response parser under each command context (picked by the first byte) on
//! arbitrary bytes: no panic, and every response that parses and encodes parses back to the
//! same value (panics on a mismatch).

#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use pop3_proto::MessageNumber;
use pop3_proto::{Parsed, ResponseContext, encode_response, parse_response};

fuzz_target!(|data: &[u8]| {
    let [pick, rest @ ..] = data else {
        return;
    };
    let one = MessageNumber::new(1);
    let contexts = [
        ResponseContext::Greeting,
        ResponseContext::Status,
        ResponseContext::Stat,
        ResponseContext::List(None),
        ResponseContext::List(one),
        ResponseContext::Uidl(None),
        ResponseContext::Uidl(one),
        ResponseContext::Capa,
        ResponseContext::LangList,
        ResponseContext::AuthList,
        ResponseContext::Body,
        ResponseContext::Auth,
    ];
    let context = contexts[usize::from(*pick) % contexts.len()];
    if let Ok(Parsed::Complete { value, consumed }) = parse_response(context, rest) {
        assert!(consumed <= rest.len());
        let mut wire = Vec::new();
        if encode_response(&value, &mut wire).is_ok() {
            match parse_response(context, &wire) {
                Ok(Parsed::Complete { value: again, .. }) => {
                    assert_eq!(again, value, "round trip of {wire:?}");
                }
                other => panic!("re-encoded response {wire:?} did not parse: {other:?}"),
            }
        }
    }
});
