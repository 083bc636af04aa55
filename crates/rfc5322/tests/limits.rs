//! Every limit at N (accepted) and N+1 (refused or defect), and the 100,000-deep tree.

#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::panic,
    clippy::expect_used,
    clippy::type_complexity,
    clippy::only_used_in_recursion
)]

use rfc5322::{DefectKind, Error, Limits, Message, PartKind};

fn has(msg: &Message, k: DefectKind) -> bool {
    msg.defects().iter().any(|(_, d)| d.kind == k)
}

#[test]
fn input_size() {
    let raw = b"Subject: a\r\n\r\nbody".to_vec();
    let n = raw.len();
    assert!(Message::parse_with(raw.clone(), &Limits::default().max_input_size(n)).is_ok());
    assert_eq!(
        Message::parse_with(raw, &Limits::default().max_input_size(n - 1)).unwrap_err(),
        Error::InputTooLarge {
            size: n,
            limit: n - 1
        }
    );
}

#[test]
fn header_block_size() {
    let raw = b"Subject: a\r\nTo: b@c\r\n\r\nbody".to_vec();
    let n = raw.len() - 4; // header block with its blank line
    let ok = Message::parse_with(raw.clone(), &Limits::default().max_header_block(n)).unwrap();
    assert!(!has(&ok, DefectKind::HeaderBlockTooLarge));
    assert_eq!(ok.fields().count(), 2);
    let bad = Message::parse_with(raw, &Limits::default().max_header_block(n - 1)).unwrap();
    assert!(has(&bad, DefectKind::HeaderBlockTooLarge));
    assert_eq!(bad.root().raw_body(), b"body");
}

#[test]
fn field_count() {
    let raw = b"A: 1\r\nB: 2\r\nC: 3\r\n\r\n".to_vec();
    let ok = Message::parse_with(raw.clone(), &Limits::default().max_fields(3)).unwrap();
    assert_eq!(ok.fields().count(), 3);
    assert!(!has(&ok, DefectKind::TooManyFields));
    let bad = Message::parse_with(raw.clone(), &Limits::default().max_fields(2)).unwrap();
    assert_eq!(bad.fields().count(), 2);
    assert!(has(&bad, DefectKind::TooManyFields));
    assert_eq!(bad.to_vec(), raw);
}

#[test]
fn line_length() {
    let raw = b"Subject: 0123456789\r\n\r\n".to_vec();
    let n = "Subject: 0123456789".len();
    let ok = Message::parse_with(raw.clone(), &Limits::default().max_line_length(n)).unwrap();
    assert!(!has(&ok, DefectKind::LineTooLong));
    let bad = Message::parse_with(raw, &Limits::default().max_line_length(n - 1)).unwrap();
    assert!(has(&bad, DefectKind::LineTooLong));
    assert_eq!(bad.root().subject().as_deref(), Some("0123456789"));
}

/// A message whose deepest part is at depth `depth` (nested multiparts).
fn nested(depth: usize) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..depth {
        s.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
        ));
    }
    s.push_str("Content-Type: text/plain\r\n\r\nleaf\r\n");
    for i in (0..depth).rev() {
        s.push_str(&format!("--b{i}--\r\n"));
    }
    s.into_bytes()
}

#[test]
fn depth() {
    let raw = nested(5);
    let ok = Message::parse_with(raw.clone(), &Limits::default().max_depth(5)).unwrap();
    assert_eq!(ok.part_count(), 6);
    assert!(!has(&ok, DefectKind::DepthLimit));
    assert_eq!(ok.parts().last().unwrap().body_text(), "leaf");
    let bad = Message::parse_with(raw.clone(), &Limits::default().max_depth(4)).unwrap();
    assert_eq!(bad.part_count(), 5);
    assert!(has(&bad, DefectKind::DepthLimit));
    assert_eq!(bad.parts().last().unwrap().kind(), PartKind::Opaque);
    assert_eq!(bad.to_vec(), raw);
}

#[test]
fn parts() {
    let raw = b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\na\r\n--x\r\n\r\nb\r\n--x--\r\n".to_vec();
    let ok = Message::parse_with(raw.clone(), &Limits::default().max_parts(3)).unwrap();
    assert_eq!(ok.part_count(), 3);
    assert!(!has(&ok, DefectKind::PartLimit));
    let bad = Message::parse_with(raw.clone(), &Limits::default().max_parts(2)).unwrap();
    assert_eq!(bad.part_count(), 1);
    assert_eq!(bad.root().kind(), PartKind::Opaque);
    assert!(has(&bad, DefectKind::PartLimit));
    assert_eq!(bad.to_vec(), raw);
}

#[test]
fn group_depth() {
    let ok = b"From: a@b (x(y(z)))\r\n\r\n".to_vec();
    let m = Message::parse_with(ok, &Limits::default().max_group_depth(3)).unwrap();
    assert!(
        !m.root()
            .all_defects()
            .iter()
            .any(|d| d.kind == DefectKind::GroupDepthLimit)
    );
    let bad = b"From: a@b (x(y(z(w))))\r\n\r\n".to_vec();
    let m = Message::parse_with(bad, &Limits::default().max_group_depth(3)).unwrap();
    let d = m.root().all_defects();
    assert!(
        d.iter().any(|d| d.kind == DefectKind::GroupDepthLimit),
        "{d:?}"
    );
    assert_eq!(m.root().from()[0].mailboxes()[0].addr_spec(), "a@b");
}

#[test]
fn hundred_thousand_deep_tree_does_not_recurse() {
    // message/rfc822 nested 100,000 times: parse, clone, print, walk and drop.
    let depth = 100_000;
    let mut raw = Vec::with_capacity(depth * 30);
    for _ in 0..depth {
        raw.extend_from_slice(b"Content-Type: message/rfc822\r\n\r\n");
    }
    raw.extend_from_slice(b"Subject: bottom\r\n\r\nend");
    let limits = Limits::default().max_depth(depth).max_parts(depth + 1);
    let msg = Message::parse_with(raw.clone(), &limits).unwrap();
    assert_eq!(msg.part_count(), depth + 1);
    assert!(msg.defects().is_empty());
    let last = msg.parts().last().unwrap();
    assert_eq!(last.depth(), depth);
    assert_eq!(last.subject().as_deref(), Some("bottom"));
    let copy = msg.clone();
    assert!(format!("{copy:?}").len() > depth);
    assert_eq!(copy.to_vec(), raw);
    assert_eq!(msg.parts_in_order().len(), depth + 1);
    drop(copy);
    // The default depth limit stops at 100 with a defect.
    let msg = Message::parse(raw).unwrap();
    assert_eq!(msg.part_count(), 101);
    assert!(has(&msg, DefectKind::DepthLimit));
}

#[test]
fn many_parameters_and_parts_stay_linear() {
    // 40,000 distinct RFC 2231 names and 40,000 plain ones in one field: must not be
    // quadratic (this finishes in well under a second even in a debug build).
    let mut ct = String::from("Content-Type: text/plain");
    for i in 0..40_000 {
        ct.push_str(&format!(";\r\n a{i}*0*=utf-8''x; b{i}=y"));
    }
    ct.push_str("\r\n\r\nbody");
    let started = std::time::Instant::now();
    let limits = Limits::default()
        .max_header_block(4 << 20)
        .max_line_length(1 << 20);
    let msg = Message::parse_with(ct.into_bytes(), &limits).unwrap();
    assert_eq!(msg.root().content_type().params.len(), 80_000);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    // 9,999 text parts: attachments() and text_body() stay linear.
    let mut m = String::from("Content-Type: multipart/mixed; boundary=b\r\n\r\n");
    for _ in 0..9_999 {
        m.push_str("--b\r\n\r\nx\r\n");
    }
    m.push_str("--b--\r\n");
    let started = std::time::Instant::now();
    let msg = Message::parse(m.into_bytes()).unwrap();
    assert_eq!(msg.part_count(), 10_000);
    assert_eq!(msg.attachments().len(), 0);
    assert_eq!(msg.text_parts().len(), 9_999);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}
