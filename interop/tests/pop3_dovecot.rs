//! Our POP3 client (pop3-proto through proto-io) to Dovecot: every login method, the
//! listing commands, RETR exact after line-end normalisation, and DELE with QUIT versus a
//! dropped connection.

// Test helpers outside #[test] functions fail the test the same way.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use std::collections::HashSet;
use std::time::Duration;

use interop::pop3::Session;
use interop::{DOTTED_BODY, Peers, User, crlf_to_lf, wait_for_message};
use pop3_proto::{ClientConfig, ClientEvent, LoginMethod};
use proto_io::TlsMode;
use proto_io::fetch::{Collect, FetchOptions, fetch_new};
use sasl_proto::{Mechanism, OsNonce};

fn deliver(peers: &Peers, user: &User, tag: &str) -> (String, Vec<u8>) {
    interop::deliver_lmtp(peers, user, tag, DOTTED_BODY)
}

fn config() -> ClientConfig {
    ClientConfig::new().with_nonce_source(OsNonce)
}

/// Logs in by `method` over `tls`, finds the marked message and checks RETR is exact.
fn login_and_retr(tls: TlsMode, port: &str, method: LoginMethod) {
    let peers = Peers::from_env();
    let alice = peers.user("alice");
    let (token, sent) = deliver(&peers, &alice, "pop3-login");
    let config = if tls == TlsMode::Plain {
        config().with_plaintext_auth(true)
    } else {
        config()
    };
    let trace = proto_io::Collector::new();
    let mut s = Session::connect(
        &peers.endpoint(port, tls),
        config,
        Some(interop::tap(&trace, "pop3")),
    );
    assert!(s.greeting.is_ok());
    assert_eq!(s.driver.is_tls(), tls != TlsMode::Plain);
    let expected = match &method {
        LoginMethod::UserPass => "USER ".to_owned(),
        LoginMethod::Apop => "APOP ".to_owned(),
        LoginMethod::Sasl(m) => format!("AUTH {m}"),
        _ => "AUTH SCRAM-SHA-256".to_owned(),
    };
    s.must_login(alice.credentials(), method);
    let lines = interop::sent_lines(&trace);
    assert!(
        lines.iter().any(|l| l.starts_with(&expected)),
        "{expected} sent: {lines:?}"
    );
    let (n, _) = s.find(&token).expect("the delivered message is listed");
    let got = s.retr(n);
    // Dovecot adds Return-Path and Delivered-To (and LMTP its Received) on top; everything we
    // sent follows, octet for octet (CRLF on the wire).
    assert!(
        got.ends_with(&sent),
        "RETR differs:\n{}",
        String::from_utf8_lossy(&got)
    );
    s.quit();
}

#[test]
fn user_pass_plain() {
    login_and_retr(TlsMode::Plain, "POP3", LoginMethod::UserPass);
}

#[test]
fn user_pass_after_stls() {
    login_and_retr(TlsMode::StartTls, "POP3", LoginMethod::UserPass);
}

#[test]
fn apop() {
    login_and_retr(TlsMode::StartTls, "POP3", LoginMethod::Apop);
}

#[test]
fn auth_plain() {
    login_and_retr(
        TlsMode::StartTls,
        "POP3",
        LoginMethod::Sasl(Mechanism::Plain),
    );
}

#[test]
fn auth_cram_md5() {
    login_and_retr(
        TlsMode::StartTls,
        "POP3",
        LoginMethod::Sasl(Mechanism::CramMd5),
    );
}

#[test]
fn auth_scram_sha_1() {
    login_and_retr(
        TlsMode::StartTls,
        "POP3",
        LoginMethod::Sasl(Mechanism::ScramSha1),
    );
}

#[test]
fn auth_scram_sha_256() {
    login_and_retr(
        TlsMode::StartTls,
        "POP3",
        LoginMethod::Sasl(Mechanism::ScramSha256),
    );
}

#[test]
fn pop3s_auto_picks_scram_sha_256() {
    login_and_retr(TlsMode::Implicit, "POP3S", LoginMethod::Auto);
}

#[test]
fn stat_list_uidl_top_zero_agree() {
    let peers = Peers::from_env();
    let bob = peers.user("bob");
    let (token, sent) = deliver(&peers, &bob, "pop3-listing");
    let mut s = Session::connect(&peers.endpoint("POP3", TlsMode::StartTls), config(), None);
    s.must_login(bob.credentials(), LoginMethod::UserPass);
    let stat = s.driver.machine().send_stat().unwrap();
    let ClientEvent::Stat { count, size, .. } = s.wait(stat) else {
        panic!("STAT")
    };
    let list = s.driver.machine().send_list(None).unwrap();
    let ClientEvent::List { entries, .. } = s.wait(list) else {
        panic!("LIST")
    };
    assert_eq!(entries.len() as u32, count);
    assert_eq!(entries.iter().map(|e| e.size).sum::<u64>(), size);
    let uidl = s.uidl();
    assert_eq!(uidl.len() as u32, count);
    let uids: HashSet<&String> = uidl.iter().map(|(_, u)| u).collect();
    assert_eq!(uids.len(), uidl.len(), "unique ids are unique");

    let (n, uid) = s.find(&token).expect("listed");
    // TOP n 0: the header and the empty line, no body line.
    let head = s.top(n, 0);
    assert!(
        head.ends_with(b"\r\n\r\n"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    let header_sent = &sent[..sent.len() - DOTTED_BODY.len()];
    assert!(head.ends_with(header_sent));
    assert!(!interop::contains(&head, b"First line."));
    // LIST n's size is the RETR size with CRLF line ends (RFC 1939 section 5).
    let one = s.driver.machine().send_list(Some(n)).unwrap();
    let ClientEvent::List { entries, .. } = s.wait(one) else {
        panic!("LIST n")
    };
    let whole = s.retr(n);
    assert_eq!(entries[0].size, whole.len() as u64);
    // The Maildir file is the same message with LF line ends.
    let (_, stored) = wait_for_message(&peers, &bob.maildir, &token, Duration::from_secs(1));
    assert_eq!(crlf_to_lf(&whole), stored);
    // UIDL n agrees with the full listing.
    let u = s.driver.machine().send_uidl(Some(n)).unwrap();
    let ClientEvent::Uidl { entries, .. } = s.wait(u) else {
        panic!("UIDL n")
    };
    assert_eq!(entries[0].uid, uid.as_str());
    s.quit();
}

#[test]
fn dele_then_dropped_connection_keeps_then_dele_quit_deletes() {
    let peers = Peers::from_env();
    let bob = peers.user("bob");
    let (token, _) = deliver(&peers, &bob, "pop3-dele");
    let endpoint = peers.endpoint("POP3", TlsMode::StartTls);

    // DELE, then the connection drops without QUIT: nothing is deleted (RFC 1939 section 6).
    let mut s = Session::connect(&endpoint, config(), None);
    s.must_login(bob.credentials(), LoginMethod::UserPass);
    let (n, uid) = s.find(&token).expect("listed");
    s.dele(n);
    let (_, stream) = s.driver.into_parts();
    drop(stream);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(interop::maildir_matches(&bob.maildir, &token).len(), 1);

    let mut s = Session::connect(&endpoint, config(), None);
    s.must_login(bob.credentials(), LoginMethod::UserPass);
    let (n2, uid2) = s
        .find(&token)
        .expect("still there after the dropped connection");
    assert_eq!(uid2, uid);
    // DELE, then QUIT: gone.
    s.dele(n2);
    s.quit();
    assert!(interop::maildir_matches(&bob.maildir, &token).is_empty());
    let mut s = Session::connect(&endpoint, config(), None);
    s.must_login(bob.credentials(), LoginMethod::UserPass);
    assert!(s.uidl().iter().all(|(_, u)| u != &uid), "deleted");
    s.quit();
}

#[test]
fn fetch_new_short_call_leaves_then_deletes() {
    let peers = Peers::from_env();
    let bob = peers.user("bob");
    let (token, sent) = deliver(&peers, &bob, "pop3-fetch");
    let options = FetchOptions::new(peers.endpoint("POP3", TlsMode::StartTls), bob.credentials());
    let mut sink = Collect::default();
    let report = fetch_new(&options, &HashSet::new(), &mut sink, None).expect("fetch");
    let mine: Vec<_> = sink
        .messages
        .iter()
        .filter(|(_, m)| interop::contains(m, token.as_bytes()))
        .collect();
    assert_eq!(mine.len(), 1);
    assert!(mine[0].1.ends_with(&sent));
    assert_eq!(report.deleted, 0);
    // Second run with the ids seen: nothing fetched twice.
    let seen: HashSet<String> = report.fetched.iter().cloned().collect();
    let mut again = Collect::default();
    let report2 = fetch_new(&options, &seen, &mut again, None).expect("fetch again");
    assert!(
        !again
            .messages
            .iter()
            .any(|(_, m)| interop::contains(m, token.as_bytes()))
    );
    assert!(report2.fetched.iter().all(|u| !seen.contains(u)));
}
