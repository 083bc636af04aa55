//! The base64 step codec on arbitrary lines: no panic, nothing past the line limit decoded,
//! and every accepted line re-encodes to itself (the alphabet is strict and canonical).

#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use sasl_proto::StepResponse;
use sasl_proto::codec::{decode_challenge, decode_response, encode, encode_continuation};

fuzz_target!(|data: &[u8]| {
    match decode_response(data) {
        Ok(StepResponse::Data(d)) => {
            let again = if data == b"=" {
                encode(&d)
            } else {
                encode_continuation(&d)
            };
            assert_eq!(again, data, "decode then encode changed the line");
        }
        Ok(StepResponse::Cancel) => assert_eq!(data, b"*"),
        Err(_) => {}
    }
    if let Ok(d) = decode_challenge(data) {
        assert!(d.len() <= data.len());
    }
    // Encode then decode gives the data back, within the line limit.
    let wire = encode(data);
    if wire.len() <= 12288 {
        assert_eq!(
            decode_response(&wire),
            Ok(StepResponse::Data(data.to_vec()))
        );
    } else {
        assert!(decode_response(&wire).is_err());
    }
});
