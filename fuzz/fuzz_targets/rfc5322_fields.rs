//! The field parsers and decoders on their own, chosen by the first byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use rfc5322::decode::{base64, charset, encoded_word, qp};
use rfc5322::field::{addr_spec, address, content_type, date, misc};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, v)) = data.split_first() else {
        return;
    };
    let mut d = Vec::new();
    match sel % 14 {
        0 => {
            let _ = address::parse_address_list(v, 16, &mut d, 0);
        }
        1 => {
            if let Some(dt) = date::parse_date(v, 16) {
                assert!(dt.is_valid());
                let again = date::parse_date(dt.to_string().as_bytes(), 16);
                assert_eq!(again.map(|x| x.unix_timestamp()), Some(dt.unix_timestamp()));
            }
        }
        2 => {
            let _ = content_type::parse_content_type(v, 16, &mut d, 0);
        }
        3 => {
            let _ = content_type::parse_content_disposition(v, 16, &mut d, 0);
        }
        4 => {
            let _ = misc::parse_message_ids(v, &mut d, 0);
        }
        5 => {
            let _ = encoded_word::decode_unstructured(v, &mut d, 0);
        }
        6 => {
            let _ = misc::parse_phrase_list(v, &mut d, 0);
        }
        7 => {
            let _ = addr_spec::parse_addr_spec_strict(v);
        }
        8 => {
            let (out, _) = base64::decode(v);
            assert!(out.len() <= v.len());
        }
        9 => {
            let (out, _) = qp::decode(v);
            assert!(out.len() <= v.len());
        }
        10 => {
            let _ = misc::parse_mime_version(v, 16);
            let _ = misc::parse_language_list(v, 16);
            let _ = misc::parse_transfer_encoding(v, 16);
        }
        11 => {
            let (label, text) = v.split_at(v.len().min(12));
            let _ = charset::decode(&String::from_utf8_lossy(label), text);
        }
        12 => {
            let _ = address::parse_address_list_raw(v, 16);
            let _ = address::parse_mailbox(v, 16, &mut d, 0);
        }
        _ => {
            let _ = encoded_word::decode_phrase(v, &mut d, 0);
        }
    }
});
