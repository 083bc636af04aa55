//! The whole parser, then every accessor on every part. The message must re-serialise byte
//! for byte. Every part's BODYSTRUCTURE and ENVELOPE, as imap-proto writes them (its
//! `rfc5322` feature), in both IMAP revisions, must be written without error and hold no NUL.
#![no_main]

use imap_proto::codec::encode_response;
use imap_proto::{Data, FetchItem, Mode, Response};
use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use rfc5322::{ImapRevision, Limits, Message};

/// `* 1 FETCH (item)` as imap-proto writes it in `mode`.
fn fetch_line(item: FetchItem, mode: Mode) -> Vec<u8> {
    let response = Response::Data(Data::Fetch {
        seq: std::num::NonZeroU32::MIN,
        items: vec![item],
    });
    let mut wire = Vec::new();
    encode_response(&response, mode, &mut wire).expect("rfc5322's views are writable");
    assert!(!wire.contains(&0), "NUL written");
    wire
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks small limits half of the time, so that every limit is reached.
    let limits = match data.first() {
        Some(b) if b & 1 == 1 => Limits::default()
            .max_depth(usize::from(b >> 4) + 1)
            .max_parts(usize::from(*b) + 2)
            .max_fields(usize::from(b >> 2) + 1)
            .max_header_block(usize::from(*b) * 8 + 16)
            .max_group_depth(usize::from(b >> 5) + 1),
        _ => Limits::default(),
    };
    let Ok(msg) = Message::parse_with(data.to_vec(), &limits) else {
        return;
    };
    assert_eq!(msg.to_vec(), data, "re-serialisation differs");
    let _ = (
        msg.text_body(),
        msg.html_body(),
        msg.attachments().len(),
        msg.defects(),
    );
    for p in msg.parts() {
        let _ = (p.raw_header(), p.raw_body(), p.preamble(), p.epilogue());
        let _ = (
            p.size(),
            p.header_size(),
            p.body_size_crlf(),
            p.body_lines(),
        );
        let _ = (
            p.body_text(),
            p.filename(),
            p.all_defects(),
            p.decode_enclosed_message(),
        );
        let _ = (
            p.envelope(),
            p.body_fields(),
            p.date(),
            p.message_id(),
            p.subject(),
        );
        for mode in [Mode::REV1, Mode::REV2] {
            let structure = imap_proto::rfc5322::body_structure(&p, true, mode);
            fetch_line(FetchItem::BodyStructure(Box::new(structure)), mode);
            let envelope = imap_proto::rfc5322::envelope(&p.envelope());
            fetch_line(FetchItem::Envelope(Box::new(envelope)), mode);
        }
        for f in p.fields() {
            let _ = (
                f.name(),
                f.unfolded(),
                f.text(),
                f.addresses(8),
                f.date(),
                f.mailbox(),
            );
            let _ = (
                f.message_ids(),
                f.phrases(),
                f.content_type(),
                f.content_disposition(),
            );
        }
        assert!(p.range().start <= p.body_range().start && p.body_range().end <= data.len());
    }
    // IMAP sections: slices of the input; a numbered part's section is its body.
    for path in [
        &[][..],
        &[1u32],
        &[2],
        &[1, 1],
        &[1, 2],
        &[2, 1, 1],
        &[1, 1, 1],
    ] {
        let _ = msg.imap_part(path);
        for rev in [ImapRevision::Imap4rev1, ImapRevision::Imap4rev2] {
            let Some(s) = msg.imap_section(path, rev) else {
                continue;
            };
            let whole = s.whole();
            assert!(whole.len() <= data.len());
            if let (false, Some(p)) = (path.is_empty(), s.part()) {
                assert_eq!(&whole[..], p.raw_body());
            }
            if let (Some(h), Some(t)) = (s.header(), s.text()) {
                assert!(h.len() + t.len() <= data.len());
            }
            let _ = (
                s.mime(),
                s.message(),
                s.header_fields(&["subject", "from"]),
                s.header_fields_not(&["subject"]),
            );
        }
    }
});
