//! The command parser on arbitrary input: no panic, and every parsed command re-encodes
//! and parses back to the same value.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use smtp_proto::Limits;
use smtp_proto::{Parsed, encode_command, parse_command, parse_command_line};

fuzz_target!(|data: &[u8]| {
    if let Ok(Parsed::Complete { value, consumed }) = parse_command(data) {
        assert!(consumed <= data.len());
        let mut out = Vec::new();
        encode_command(&value, &mut out).expect("a parsed command encodes");
        let line = out.strip_suffix(b"\r\n").expect("CRLF");
        let lenient = Limits::default()
            .with_max_local_part(usize::MAX)
            .with_max_domain(usize::MAX)
            .with_max_path(usize::MAX);
        let again = parse_command_line(line, &lenient).expect("re-parse");
        assert_eq!(again, value);
        let owned = value.clone().into_owned();
        assert_eq!(owned, value);
    }
    let _ = parse_command_line(data, &Limits::default());
});
