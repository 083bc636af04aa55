//! Our IMAP client (imap-proto through proto-io's blocking driver) against Dovecot: login by
//! every mechanism Dovecot offers, SELECT, FETCH (ENVELOPE, BODYSTRUCTURE, a 10 MB BODY[]
//! streamed), SEARCH, STORE, APPEND (inline and streamed), COPY, MOVE, EXPUNGE, IDLE woken by
//! an LMTP delivery, a CONDSTORE/QRESYNC resync and COMPRESS=DEFLATE.

#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use imap_proto::{
    ClientConfig, ClientEvent, Code, Condition, Data, FetchItem, Mailbox, QresyncParams,
    SectionData, SelectParams,
};
use interop::imap::{Session, command};
use interop::{DOTTED_BODY, Peers, User, deliver_lmtp, message, unique};
use proto_io::TlsMode;
use sasl_proto::Mechanism;

/// A session over STARTTLS, logged in as `user` with the strongest mechanism.
fn logged_in(peers: &Peers, user: &User) -> Session {
    let mut s = Session::connect(
        &peers.endpoint("IMAP", TlsMode::StartTls),
        ClientConfig::new(),
        None,
    );
    let c = s.call(|c| c.authenticate(user.credentials(), sasl_proto::ClientConfig::default()));
    assert!(c.is_ok(), "login: {c:?}");
    s
}

/// APPEND `message` to `folder` as one inline literal; the completion.
fn append(s: &mut Session, folder: &str, message: Vec<u8>) -> imap_proto::Completion {
    let literal = imap_proto::Literal::new(message).unwrap();
    s.call(|c| {
        c.send(imap_proto::CommandBody::Append {
            mailbox: Mailbox::new(folder).unwrap(),
            messages: vec![imap_proto::AppendMessage {
                flags: Vec::new(),
                date: None,
                data: imap_proto::AppendData::Inline(literal),
            }],
        })
    })
}

/// The UID of the one message whose Subject holds `token` in the selected mailbox.
fn uid_of(s: &mut Session, token: &str) -> u32 {
    let c = s.ok(command(&format!("UID SEARCH SUBJECT \"{token}\"")));
    let numbers: Vec<u32> = c
        .data
        .iter()
        .flat_map(|d| match d {
            Data::Search { numbers, .. } => numbers.clone(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(numbers.len(), 1, "one message holds {token}: {numbers:?}");
    numbers[0]
}

fn fetch_items(c: &imap_proto::Completion) -> Vec<FetchItem> {
    c.data
        .iter()
        .flat_map(|d| match d {
            Data::Fetch { items, .. } => items.clone(),
            _ => Vec::new(),
        })
        .collect()
}

#[test]
fn login_by_every_mechanism_dovecot_offers() {
    let peers = Peers::from_env();
    let alice = peers.user("alice");
    for mechanism in [
        Mechanism::Plain,
        Mechanism::Login,
        Mechanism::CramMd5,
        Mechanism::ScramSha1,
        Mechanism::ScramSha256,
    ] {
        for tls in [TlsMode::StartTls, TlsMode::Implicit] {
            let port = if tls == TlsMode::Implicit {
                "IMAPS"
            } else {
                "IMAP"
            };
            let mut s = Session::connect(&peers.endpoint(port, tls), ClientConfig::new(), None);
            assert!(s.driver.is_tls());
            let c = s.call(|c| {
                c.authenticate_with(
                    Some(mechanism.clone()),
                    alice.credentials(),
                    sasl_proto::ClientConfig::default(),
                )
            });
            assert!(c.is_ok(), "{mechanism:?} over {tls:?}: {c:?}");
            assert!(s.driver.machine().capabilities().is_some());
            s.call(|c| c.logout());
        }
    }
    // The LOGIN command, and the default choice: SCRAM-SHA-256.
    let mut s = Session::connect(
        &peers.endpoint("IMAP", TlsMode::StartTls),
        ClientConfig::new(),
        None,
    );
    let c = s.call(|c| c.login(&alice.name, &alice.password));
    assert!(c.is_ok(), "LOGIN: {c:?}");
    let trace = proto_io::Collector::new();
    let mut s = Session::connect(
        &peers.endpoint("IMAP", TlsMode::StartTls),
        ClientConfig::new(),
        Some(interop::tap(&trace, "imap")),
    );
    let c = s.call(|c| c.authenticate(alice.credentials(), sasl_proto::ClientConfig::default()));
    assert!(c.is_ok());
    let lines = interop::sent_lines(&trace);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("AUTHENTICATE SCRAM-SHA-256")),
        "{lines:?}"
    );
    // A wrong password is a NO, and the session goes on.
    let mut s = Session::connect(
        &peers.endpoint("IMAP", TlsMode::StartTls),
        ClientConfig::new(),
        None,
    );
    let c = s.call(|c| {
        c.authenticate(
            sasl_proto::Credentials::password(&alice.name, "wrong"),
            sasl_proto::ClientConfig::default(),
        )
    });
    assert_eq!(c.status, Condition::No);
    s.ok(command("NOOP"));
}

#[test]
fn select_fetch_search_store_copy_move_expunge() {
    let peers = Peers::from_env();
    let alice = peers.user("alice");
    let (token, sent) = deliver_lmtp(&peers, &alice, "imap-fetch", DOTTED_BODY);
    let mut s = logged_in(&peers, &alice);
    s.ok(command("SELECT INBOX"));
    let view = s.driver.machine().selected().unwrap();
    assert!(view.exists() >= 1 && view.uid_validity().is_some());
    let uid = uid_of(&mut s, &token);

    let c = s.ok(command(&format!(
        "UID FETCH {uid} (UID FLAGS ENVELOPE BODYSTRUCTURE BODY.PEEK[])"
    )));
    let items = fetch_items(&c);
    let envelope = items.iter().find_map(|i| match i {
        FetchItem::Envelope(e) => Some(e.clone()),
        _ => None,
    });
    let subject = envelope.unwrap().subject.unwrap();
    assert_eq!(subject.as_bytes(), format!("interop {token}").as_bytes());
    assert!(
        items
            .iter()
            .any(|i| matches!(i, FetchItem::BodyStructure(_)))
    );
    let body = items
        .iter()
        .find_map(|i| match i {
            FetchItem::BodySection {
                data: SectionData::Inline(b),
                ..
            } => Some(b.clone()),
            _ => None,
        })
        .unwrap();
    // Dovecot adds its own header fields on top; what we sent follows, octet for octet.
    assert!(body.ends_with(&sent), "BODY[] differs");

    s.ok(command(&format!("UID STORE {uid} +FLAGS (\\Flagged)")));
    let c = s.ok(command(&format!("UID FETCH {uid} FLAGS")));
    assert!(format!("{:?}", fetch_items(&c)).contains("Flagged"));

    let folder = unique("folder");
    s.ok(command(&format!("CREATE {folder}")));
    let c = s.ok(command(&format!("UID COPY {uid} {folder}")));
    assert!(matches!(c.code, Some(Code::CopyUid { .. })), "{c:?}");
    let c = s.ok(command(&format!("UID MOVE {uid} {folder}")));
    // MOVE reports the expunge of the moved message in INBOX.
    assert!(s.seen.iter().any(|e| matches!(e, ClientEvent::Expunged(_))) || c.code.is_some());
    let c = s.ok(command(&format!("UID SEARCH SUBJECT \"{token}\"")));
    assert!(matches!(&c.data[..], [Data::Search { numbers, .. }] if numbers.is_empty()));

    s.ok(command(&format!("SELECT {folder}")));
    assert_eq!(s.driver.machine().selected().unwrap().exists(), 2);
    s.ok(command("STORE 1 +FLAGS.SILENT (\\Deleted)"));
    s.seen.clear();
    s.ok(command("EXPUNGE"));
    assert!(
        s.seen
            .iter()
            .any(|e| matches!(e, ClientEvent::Expunged(n) if n.get() == 1))
    );
    assert_eq!(s.driver.machine().selected().unwrap().exists(), 1);
    // Dovecot ends a session whose selected mailbox is deleted: unselect first.
    s.ok(command("UNSELECT"));
    s.ok(command(&format!("DELETE {folder}")));
    s.call(|c| c.logout());
}

#[test]
fn append_inline_and_streamed_then_a_10_mb_body_streams_back() {
    let peers = Peers::from_env();
    let bob = peers.user("bob");
    let mut s = logged_in(&peers, &bob);
    let folder = unique("append");
    s.ok(command(&format!("CREATE {folder}")));
    let small = message(&bob.address, &bob.address, &unique("small"), DOTTED_BODY);
    let c = append(&mut s, &folder, small.clone());
    assert!(c.is_ok(), "{c:?}");
    assert!(matches!(c.code, Some(Code::AppendUid { .. })));

    // 10 MB in 64 KiB writes, as BodyWritable allows.
    let mut big = message(&bob.address, &bob.address, &unique("big"), "");
    let line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab\r\n";
    while big.len() < 10 * 1024 * 1024 {
        big.extend_from_slice(line.as_bytes());
    }
    let id = s
        .driver
        .machine()
        .append_stream(
            Mailbox::new(&folder).unwrap(),
            Vec::new(),
            None,
            big.len() as u64,
        )
        .unwrap();
    let mut written = 0;
    let completion = loop {
        match s.next_event() {
            ClientEvent::BodyWritable { id: got } if got == id => {
                while written < big.len() {
                    let end = (written + 64 * 1024).min(big.len());
                    let n = s.driver.machine().write_append(&big[written..end]).unwrap();
                    if n == 0 {
                        break;
                    }
                    written += n;
                }
            }
            ClientEvent::Completed(c) if c.id == id => break c,
            _ => {}
        }
    };
    assert_eq!(written, big.len());
    assert!(completion.is_ok(), "{completion:?}");

    s.ok(command(&format!("EXAMINE {folder}")));
    assert_eq!(s.driver.machine().selected().unwrap().exists(), 2);
    let c = s.ok(command("FETCH 1 BODY.PEEK[]"));
    assert!(format!("{:?}", fetch_items(&c)).len() > small.len());

    // The large body arrives as chunks; no event holds it whole.
    let id = s
        .driver
        .machine()
        .send(command("FETCH 2 BODY.PEEK[]"))
        .unwrap();
    let (mut got, mut largest, mut started) = (Vec::new(), 0, false);
    let c = loop {
        match s.next_event() {
            ClientEvent::FetchBodyStart {
                id: Some(got_id), ..
            } if got_id == id => started = true,
            ClientEvent::BodyChunk { data, .. } => {
                largest = largest.max(data.len());
                got.extend_from_slice(&data);
            }
            ClientEvent::Completed(c) if c.id == id => break c,
            _ => {}
        }
    };
    assert!(c.is_ok() && started);
    assert_eq!(got.len(), big.len());
    assert!(got == big, "the 10 MB body came back changed");
    assert!(largest <= 1024 * 1024, "a chunk of {largest} octets");
    s.ok(command("CLOSE"));
    s.ok(command(&format!("DELETE {folder}")));
}

#[test]
fn idle_is_woken_by_an_lmtp_delivery() {
    let peers = Peers::from_env();
    let alice = peers.user("alice");
    let mut s = logged_in(&peers, &alice);
    s.ok(command("SELECT INBOX"));
    let before = s.driver.machine().selected().unwrap().exists();
    let id = s.driver.machine().idle().unwrap();
    while !matches!(s.next_event(), ClientEvent::Idling { id: got } if got == id) {}
    let (token, _) = deliver_lmtp(&peers, &alice, "imap-idle", "woken\r\n");
    let exists = loop {
        if let ClientEvent::Exists(n) = s.next_event() {
            break n;
        }
    };
    assert!(exists > before);
    s.driver.machine().idle_done().unwrap();
    let c = s.wait(id);
    assert!(c.is_ok());
    uid_of(&mut s, &token);
}

#[test]
fn condstore_and_qresync_resync_a_mailbox() {
    let peers = Peers::from_env();
    let alice = peers.user("alice");
    let folder = unique("qresync");
    let mut s = logged_in(&peers, &alice);
    s.ok(command("ENABLE QRESYNC"));
    s.ok(command(&format!("CREATE {folder}")));
    for i in 0..3 {
        let m = message(
            &alice.address,
            &alice.address,
            &unique(&format!("q{i}")),
            "x\r\n",
        );
        assert!(append(&mut s, &folder, m).is_ok());
    }
    s.ok(command(&format!("SELECT {folder} (CONDSTORE)")));
    let view = s.driver.machine().selected().unwrap().clone();
    let validity = view.uid_validity().unwrap().get();
    let modseq = view.highest_modseq().unwrap();
    s.ok(command("UNSELECT"));

    // Another session changes a flag and expunges a message.
    let mut other = logged_in(&peers, &alice);
    other.ok(command(&format!("SELECT {folder}")));
    other.ok(command("STORE 1 +FLAGS.SILENT (\\Seen)"));
    other.ok(command("STORE 2 +FLAGS.SILENT (\\Deleted)"));
    other.ok(command("EXPUNGE"));
    other.call(|c| c.logout());

    s.seen.clear();
    let c = s.call(|c| {
        c.select(
            Mailbox::new(&folder).unwrap(),
            SelectParams {
                condstore: false,
                qresync: Some(QresyncParams {
                    uidvalidity: validity,
                    modseq,
                    known_uids: None,
                    seq_match: None,
                }),
            },
        )
    });
    assert!(c.is_ok(), "{c:?}");
    let vanished = s
        .seen
        .iter()
        .any(|e| matches!(e, ClientEvent::Vanished { earlier: true, .. }));
    assert!(
        vanished,
        "VANISHED (EARLIER) after the expunge: {:?}",
        s.seen
    );
    let changed = format!("{:?} {:?}", s.seen, c.data);
    assert!(
        changed.contains("Seen"),
        "the flag change is reported: {changed}"
    );
    let view = s.driver.machine().selected().unwrap();
    assert_eq!(view.exists(), 2);
    assert!(view.highest_modseq().unwrap() > modseq);
    s.ok(command("UNSELECT"));
    s.ok(command(&format!("DELETE {folder}")));
}

#[test]
fn compress_deflate_wraps_the_session() {
    let peers = Peers::from_env();
    let alice = peers.user("alice");
    let mut s = logged_in(&peers, &alice);
    let caps = s.driver.machine().capabilities().cloned().unwrap();
    assert!(caps.has(&imap_proto::Capability::Compress(
        imap_proto::Atom::new("DEFLATE").unwrap()
    )));
    s.ok(command("COMPRESS DEFLATE"));
    let c = s.ok(command("LIST \"\" \"*\""));
    assert!(!c.data.is_empty());
    s.ok(command("SELECT INBOX"));
    s.ok(command("UID FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE)"));
    s.call(|c| c.logout());
}
