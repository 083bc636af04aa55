//! Failure cases against the real peers: each gives the caller a typed error and leaves no
//! partial state (no message delivered, the next session works).

// Test helpers outside #[test] functions fail the test the same way.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use std::collections::HashSet;
use std::time::{Duration, Instant};

use interop::{CutProxy, DOTTED_BODY, Peers, assert_no_message, message, unique};
use pop3_proto::{ResponseCode, Status};
use proto_io::fetch::{Collect, FetchError, FetchOptions, fetch_new};
use proto_io::submit::{SubmitError, SubmitOptions, submit};
use proto_io::{Endpoint, TlsMode};
use smtp_proto::MessageDeclaration;
use smtp_proto::UsageError;

const SETTLE: Duration = Duration::from_secs(2);

#[test]
fn smtp_wrong_password_each_mechanism() {
    let peers = Peers::from_env();
    let (alice, bob) = (peers.user("alice"), peers.user("bob"));
    for port in [
        "SMTP_PLAIN",
        "SMTP_LOGIN",
        "SMTP_CRAM_MD5",
        "SMTP_SCRAM_SHA_1",
        "SMTP_SCRAM_SHA_256",
    ] {
        let token = unique("wrong-password");
        let sent = message(&bob.address, &alice.address, &token, DOTTED_BODY);
        let options = SubmitOptions::new(peers.endpoint(port, TlsMode::StartTls)).credentials(
            sasl_proto::Credentials::password(&bob.name, "not-the-password"),
        );
        let started = Instant::now();
        match submit(&options, &bob.address, [&alice.address], &sent[..], None) {
            Err(SubmitError::Refused { stage, reply }) => {
                assert_eq!(stage, "AUTH", "{port}");
                assert_eq!(reply.code().get(), 535, "{port}: {reply}");
                assert_eq!(
                    reply.enhanced().map(|e| e.to_string()).as_deref(),
                    Some("5.7.8"),
                    "{port}: {reply}"
                );
            }
            other => panic!("{port}: wrong password gave {other:?}"),
        }
        // Dovecot answers a failed login within its failure tick (about 0.5 s), no penalty.
        assert!(started.elapsed() < Duration::from_secs(3), "{port}");
        assert_no_message(&alice.maildir, &token, Duration::ZERO);
    }
    // The right password works at once afterwards.
    let token = unique("after-wrong");
    let sent = message(&bob.address, &alice.address, &token, DOTTED_BODY);
    let options = SubmitOptions::new(peers.endpoint("SMTP_PLAIN", TlsMode::StartTls))
        .credentials(bob.credentials());
    submit(&options, &bob.address, [&alice.address], &sent[..], None).expect("right password");
    interop::wait_for_message(&peers, &alice.maildir, &token, Duration::from_secs(20));
}

#[test]
fn pop3_wrong_password() {
    let peers = Peers::from_env();
    let bob = peers.user("bob");
    for method in [
        pop3_proto::LoginMethod::UserPass,
        pop3_proto::LoginMethod::Apop,
        pop3_proto::LoginMethod::Sasl(sasl_proto::Mechanism::Plain),
        pop3_proto::LoginMethod::Sasl(sasl_proto::Mechanism::CramMd5),
    ] {
        let options = FetchOptions::new(
            peers.endpoint("POP3", TlsMode::StartTls),
            sasl_proto::Credentials::password(&bob.name, "not-the-password"),
        )
        .method(method.clone())
        .delete(true);
        let mut sink = Collect::default();
        match fetch_new(&options, &HashSet::new(), &mut sink, None) {
            Err(FetchError::Refused { stage, line }) => {
                assert_eq!(stage, "login", "{method:?}");
                assert_eq!(line.status, Status::Err);
                assert_eq!(
                    line.code,
                    Some(ResponseCode::from_raw("AUTH")),
                    "{method:?}"
                );
            }
            other => panic!("{method:?}: wrong password gave {other:?}"),
        }
        assert!(sink.messages.is_empty());
    }
}

#[test]
fn relay_refused_with_and_without_auth() {
    let peers = Peers::from_env();
    let bob = peers.user("bob");
    let outside = "someone@example.net";
    for (label, options) in [
        (
            "no AUTH",
            SubmitOptions::new(peers.endpoint("SMTP", TlsMode::Plain)),
        ),
        (
            "AUTH",
            SubmitOptions::new(peers.endpoint("SMTP", TlsMode::StartTls))
                .credentials(bob.credentials()),
        ),
    ] {
        let token = unique("relay");
        let sent = message(&bob.address, outside, &token, DOTTED_BODY);
        match submit(&options, &bob.address, [outside], &sent[..], None) {
            Err(SubmitError::NoRecipient(refused)) => {
                assert_eq!(refused.len(), 1, "{label}");
                assert_eq!(refused[0].0, outside);
                let reply = &refused[0].1;
                assert_eq!(reply.code().get(), 554, "{label}: {reply}");
                assert_eq!(
                    reply.enhanced().map(|e| e.to_string()).as_deref(),
                    Some("5.7.1")
                );
                assert!(reply.text().contains("Relay access denied"), "{reply}");
            }
            other => panic!("{label}: relay gave {other:?}"),
        }
        // Nothing queued for the outside: Postfix logged no queue id for it.
        std::thread::sleep(Duration::from_millis(300));
        let log = std::fs::read_to_string(peers.get("INTEROP_POSTFIX_LOG")).unwrap();
        assert!(
            !log.lines()
                .any(|l| l.contains(&format!("<{token}@")) && l.contains("message-id")),
            "{label}: a message was accepted"
        );
    }
}

#[test]
fn declared_size_over_the_limit_is_refused_before_sending() {
    let peers = Peers::from_env();
    let (alice, bob) = (peers.user("alice"), peers.user("bob"));
    let token = unique("too-large-declared");
    let sent = message(&bob.address, &alice.address, &token, DOTTED_BODY);
    // Postfix offers SIZE 10240000: a declared size above it cannot be sent.
    let options = SubmitOptions::new(peers.endpoint("SMTP", TlsMode::Plain))
        .info(MessageDeclaration::new().with_size(10_240_001));
    match submit(&options, &bob.address, [&alice.address], &sent[..], None) {
        Err(SubmitError::Usage(UsageError::NotOffered(what))) => {
            assert!(what.contains("SIZE"), "{what}")
        }
        other => panic!("declared too large gave {other:?}"),
    }
    assert_no_message(&alice.maildir, &token, SETTLE);
}

fn too_large_undeclared(port: &str) {
    let peers = Peers::from_env();
    let (alice, bob) = (peers.user("alice"), peers.user("bob"));
    let token = unique("too-large");
    let line = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n";
    let body = line.repeat(10_300_000 / line.len() + 1);
    let sent = message(&bob.address, &alice.address, &token, &body);
    assert!(sent.len() > 10_240_000);
    let options = SubmitOptions::new(peers.endpoint(port, TlsMode::Plain));
    match submit(&options, &bob.address, [&alice.address], &sent[..], None) {
        // Postfix refuses the BDAT chunk that passes the limit: that reply is the cause.
        Err(SubmitError::Refused { stage, reply }) => {
            assert_eq!(stage, "BDAT", "{reply}");
            assert_eq!(reply.code().get(), 552, "{reply}");
            assert_eq!(
                reply.enhanced().map(|e| e.to_string()).as_deref(),
                Some("5.3.4"),
                "{reply}"
            );
        }
        other => panic!("too large gave {other:?}"),
    }
    assert_no_message(&alice.maildir, &token, SETTLE);
}

#[test]
fn undeclared_message_over_size_refused_after_bdat() {
    too_large_undeclared("SMTP");
}

#[test]
fn undeclared_message_over_size_refused_after_data() {
    use interop::smtp;
    use smtp_proto::{ClientConfig, TlsPolicy};
    let peers = Peers::from_env();
    let (alice, bob) = (peers.user("alice"), peers.user("bob"));
    let token = unique("too-large-data");
    let line = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n";
    let body = line.repeat(10_300_000 / line.len() + 1);
    let sent = message(&bob.address, &alice.address, &token, &body);
    let config = ClientConfig::default()
        .with_tls(TlsPolicy::Never)
        .with_chunking(false);
    let (mut driver, caps) = smtp::ready(
        &peers.endpoint("SMTP_NOCHUNKING", TlsMode::Plain),
        config,
        None,
    );
    assert!(!caps.chunking);
    let out = smtp::transaction(
        &mut driver,
        &bob.address,
        MessageDeclaration::new(),
        smtp_proto::MailParameters::new(),
        vec![(alice.address.as_str(), smtp_proto::RcptParameters::new())],
        &sent,
    )
    .expect("the session survives the refusal");
    let reply = out.done.expect("a reply after the data");
    assert_eq!(reply.code().get(), 552, "{reply}");
    assert_eq!(
        reply.enhanced().map(|e| e.to_string()).as_deref(),
        Some("5.3.4"),
        "{reply}"
    );
    // The transaction ended cleanly: the session goes on.
    driver
        .machine()
        .simple(smtp_proto::Command::Noop(None))
        .expect("NOOP after the refusal");
    loop {
        match driver.next_event().expect("NOOP reply") {
            Some(smtp_proto::ClientEvent::Reply {
                verb: "NOOP",
                reply,
                ..
            }) => {
                assert_eq!(reply.code().get(), 250);
                break;
            }
            Some(_) => {}
            None => panic!("closed after the refusal"),
        }
    }
    smtp::quit(&mut driver);
    assert_no_message(&alice.maildir, &token, SETTLE);
}

#[test]
fn server_dropping_the_connection_mid_transaction() {
    let peers = Peers::from_env();
    let (alice, bob) = (peers.user("alice"), peers.user("bob"));
    let token = unique("cut");
    let body = "a line of a message whose connection is cut\r\n".repeat(200);
    let sent = message(&bob.address, &alice.address, &token, &body);
    // EHLO, MAIL, RCPT and the first part of the data go through; then both sides are cut.
    let proxy = CutProxy::start((peers.host().to_owned(), peers.port("SMTP")), 400);
    let endpoint = Endpoint::new(peers.host(), proxy.port, TlsMode::Plain);
    let options = SubmitOptions::new(endpoint);
    let started = Instant::now();
    let result = submit(&options, &bob.address, [&alice.address], &sent[..], None);
    assert!(started.elapsed() < Duration::from_secs(10), "no hang");
    match result {
        Err(SubmitError::Closed(_) | SubmitError::Drive(_)) => {}
        other => panic!("a cut connection gave {other:?}"),
    }
    let (up, _) = proxy.join();
    assert_eq!(up, 400);
    assert_no_message(&alice.maildir, &token, SETTLE);
    // Postfix saw the connection lost mid-transaction.
    let log = std::fs::read_to_string(peers.get("INTEROP_POSTFIX_LOG")).unwrap();
    assert!(
        log.contains("lost connection after BDAT") || log.contains("lost connection after DATA"),
        "{}",
        peers.logs(10)
    );
}

#[test]
fn pop3_connection_cut_mid_login_deletes_nothing() {
    let peers = Peers::from_env();
    let bob = peers.user("bob");
    let token = unique("pop3-cut");
    let sent = message(&bob.address, &bob.address, &token, DOTTED_BODY);
    let lmtp = SubmitOptions::new(peers.endpoint("LMTP", TlsMode::Plain)).lmtp(true);
    submit(&lmtp, &bob.address, [&bob.address], &sent[..], None).unwrap();
    interop::wait_for_message(&peers, &bob.maildir, &token, Duration::from_secs(5));
    // The connection is cut after CAPA, USER and PASS went out, in the middle of the session.
    let proxy = CutProxy::start((peers.host().to_owned(), peers.port("POP3")), 40);
    let endpoint = Endpoint::new(peers.host(), proxy.port, TlsMode::Plain);
    let options = FetchOptions::new(endpoint, bob.credentials())
        .allow_plaintext(true)
        .method(pop3_proto::LoginMethod::UserPass)
        .delete(true);
    let mut sink = Collect::default();
    match fetch_new(&options, &HashSet::new(), &mut sink, None) {
        Err(FetchError::Closed | FetchError::Drive(_)) => {}
        other => panic!("a cut connection gave {other:?}"),
    }
    proxy.join();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(interop::maildir_matches(&bob.maildir, &token).len(), 1);
}
