//! mailcli's UIDL state file: any text parses to ids or a line-numbered refusal, never a
//! panic; what parses renders back to text that parses to the same ids and other-account
//! lines; the escaping of accounts and ids round-trips.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use mailcli::store::{escape, parse_state, render_state, unescape};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // The account is the first line, so accounts with any characters are tried too.
    let account = text.lines().next().unwrap_or_default();
    assert_eq!(unescape(&escape(account)), account);
    assert!(escape(account).bytes().all(|b| (0x21..=0x7e).contains(&b)));
    if let Ok(parsed) = parse_state(&text, account) {
        let rendered = render_state(account, &parsed.seen, &parsed.others);
        let again = parse_state(&rendered, account).expect("rendered state parses");
        assert_eq!(again, parsed, "render then parse changed the state");
    }
});
