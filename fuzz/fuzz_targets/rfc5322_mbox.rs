//! The mbox reader with every option: messages tile the input in order, and every message
//! that ends with a line break comes back byte for byte after writing it as mboxrd.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use rfc5322::DateTime;
use rfc5322::mbox::{MboxFormat, MboxOptions, MboxReader, write_mboxrd};

fuzz_target!(|data: &[u8]| {
    for format in [MboxFormat::Mboxrd, MboxFormat::Mboxo] {
        for honour in [false, true] {
            let opts = MboxOptions::default()
                .format(format)
                .honour_content_length(honour);
            let mut last_end = 0usize;
            let mut contents = Vec::new();
            for m in MboxReader::with_options(data, opts) {
                assert!(m.marker_offset >= last_end, "messages overlap");
                assert!(m.offset <= m.end && m.end <= data.len());
                assert_eq!(Some(m.raw), data.get(m.offset..m.end));
                assert!(m.from_line.starts_with(b"From "));
                let _ = (m.sender(), m.from_line_date());
                let c = m.content();
                assert!(c.len() <= m.raw.len());
                last_end = m.end;
                contents.push(c.into_owned());
            }
            if format != MboxFormat::Mboxrd || honour {
                continue;
            }
            // Write what was read as mboxrd and read it again.
            let date = DateTime::new(2000, 1, 1, 0, 0, 0, 0).unwrap_or_default();
            let kept: Vec<&Vec<u8>> = contents.iter().filter(|c| c.ends_with(b"\n")).collect();
            let mut file = Vec::new();
            for c in &kept {
                write_mboxrd(&mut file, "fuzz@example.com", &date, c);
            }
            let again: Vec<Vec<u8>> = MboxReader::new(&file)
                .map(|m| m.content().into_owned())
                .collect();
            assert_eq!(again.len(), kept.len(), "message count after rewriting");
            for (a, k) in again.iter().zip(&kept) {
                assert_eq!(a, *k, "message changed by write then read");
            }
        }
    }
});
