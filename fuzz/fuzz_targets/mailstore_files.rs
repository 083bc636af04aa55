//! What mailstore reads from disk, from other programs or a crash: maildir file names,
//! `dovecot-uidlist` and queue envelope files. No panic; names and flags and uidlists
//! written back parse to the same values.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use mailstore::name::{MaildirName, valid_id};
use mailstore::queue::decode_envelope;
use mailstore::{Flags, QueueId, Uidlist};

fuzz_target!(|data: &[u8]| {
    // Maildir names.
    if let Ok(s) = std::str::from_utf8(data) {
        if let Some(n) = MaildirName::parse(s) {
            assert!(valid_id(&n.base));
            let again = MaildirName::parse(&n.cur_name()).expect("cur name parses");
            assert_eq!(again, n);
        }
        let f = Flags::parse(s);
        assert_eq!(Flags::parse(&f.letters()), f);
    }

    // dovecot-uidlist.
    if let Ok(list) = Uidlist::parse(data) {
        let again = Uidlist::parse(&list.to_bytes()).expect("written uidlist parses");
        let mut records = list.records.clone();
        records.sort_by_key(|r| r.uid);
        assert_eq!(again.records, records);
        assert_eq!(again.uid_validity, list.uid_validity);
        assert_eq!(again.next_uid, list.next_uid);
        assert_eq!(again.guid, list.guid);
        assert_eq!(again.header_extra, list.header_extra);
        assert_eq!(again.skipped_lines, 0);
    }

    // Queue envelopes.
    if let Ok(id) = QueueId::parse("1.2.P3Q4") {
        let _ = decode_envelope(&id, data);
    }
});
