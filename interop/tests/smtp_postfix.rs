//! Our SMTP client (smtp-proto through proto-io) to Postfix: each message is then found in the
//! recipient's Maildir (delivered by Dovecot's LMTP, or dovecot-lda for SMTPUTF8) with every
//! header we wrote and the body intact after CRLF to LF.

// Test helpers outside #[test] functions fail the test the same way.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use std::time::Duration;

use interop::{
    DOTTED_BODY, Peers, assert_stored_intact, message, sent_lines, smtp, tap, unique,
    wait_for_message,
};
use proto_io::submit::{SubmitOptions, submit};
use proto_io::{Collector, Direction, TlsMode};
use smtp_proto::{ClientConfig, MessageDeclaration, TlsPolicy};
use smtp_proto::{MailParameters, RcptParameters};
use smtp_proto::{Notify, Orcpt, Ret};

const DELIVERY: Duration = Duration::from_secs(20);

#[test]
fn plain_smtp_with_data_and_dot_leading_lines() {
    let peers = Peers::from_env();
    let (alice, bob) = (peers.user("alice"), peers.user("bob"));
    let token = unique("plain-data");
    let sent = message(&bob.address, &alice.address, &token, DOTTED_BODY);
    let trace = Collector::new();
    let config = ClientConfig::default()
        .with_tls(TlsPolicy::Never)
        .with_chunking(false);
    let (mut driver, caps) = smtp::ready(
        &peers.endpoint("SMTP", TlsMode::Plain),
        config,
        Some(tap(&trace, "plain")),
    );
    assert!(caps.chunking && caps.pipelining && caps.dsn && caps.smtputf8);
    assert!(!driver.is_tls());
    let out = smtp::transaction(
        &mut driver,
        &bob.address,
        MessageDeclaration::new(),
        MailParameters::new(),
        vec![(alice.address.as_str(), RcptParameters::new())],
        &sent,
    )
    .expect("transaction");
    assert_eq!(out.mail.as_ref().map(|r| r.code().get()), Some(250));
    assert_eq!(out.rcpts.len(), 1);
    assert_eq!(out.rcpts[0].1.code().get(), 250);
    let done = out.done.expect("final reply");
    assert_eq!(done.code().get(), 250, "{done}");
    smtp::quit(&mut driver);
    let lines = sent_lines(&trace);
    assert!(lines.iter().any(|l| l == "DATA"), "{lines:?}");
    assert!(!lines.iter().any(|l| l.starts_with("BDAT")), "{lines:?}");

    let (_, stored) = wait_for_message(&peers, &alice.maildir, &token, DELIVERY);
    assert_stored_intact(&stored, &sent);
    assert!(interop::contains(
        &stored,
        b"\n.A line starting with a dot\n..Two dots\n.\n. \n"
    ));
}

/// STARTTLS on the port that offers only `mechanism`, AUTH with it, one message.
fn starttls_auth_with(port: &str, mechanism: &str) {
    let peers = Peers::from_env();
    let (alice, bob) = (peers.user("alice"), peers.user("bob"));
    let token = unique(&format!("auth-{mechanism}"));
    let sent = message(&bob.address, &alice.address, &token, DOTTED_BODY);
    let trace = Collector::new();
    let options =
        SubmitOptions::new(peers.endpoint(port, TlsMode::StartTls)).credentials(bob.credentials());
    let report = submit(
        &options,
        &bob.address,
        [&alice.address],
        &sent[..],
        Some(tap(&trace, mechanism)),
    )
    .unwrap_or_else(|e| panic!("submit with {mechanism}: {e}\n{}", peers.logs(20)));
    assert_eq!(report.accepted, vec![alice.address.clone()]);
    assert!(report.refused.is_empty());
    assert_eq!(report.reply.as_ref().map(|r| r.code().get()), Some(250));

    let lines = sent_lines(&trace);
    let starttls = lines
        .iter()
        .position(|l| l == "STARTTLS")
        .expect("STARTTLS sent");
    let auth = lines
        .iter()
        .position(|l| l.starts_with(&format!("AUTH {mechanism}")))
        .unwrap_or_else(|| panic!("no AUTH {mechanism} in {lines:?}"));
    assert!(starttls < auth, "AUTH after STARTTLS: {lines:?}");
    let received: Vec<_> = trace
        .lines()
        .into_iter()
        .filter(|l| l.direction == Direction::Received)
        .map(|l| l.text)
        .collect();
    assert!(
        received.iter().any(|l| l.starts_with("235 ")),
        "235 after AUTH: {received:?}"
    );

    let (_, stored) = wait_for_message(&peers, &alice.maildir, &token, DELIVERY);
    assert_stored_intact(&stored, &sent);
    // Postfix records the authenticated sender's TLS session in its Received field.
    assert!(interop::contains(&stored, b"(using TLS"), "TLS noted");
}

#[test]
fn starttls_auth_plain() {
    starttls_auth_with("SMTP_PLAIN", "PLAIN");
}

#[test]
fn starttls_auth_login() {
    starttls_auth_with("SMTP_LOGIN", "LOGIN");
}

#[test]
fn starttls_auth_cram_md5() {
    starttls_auth_with("SMTP_CRAM_MD5", "CRAM-MD5");
}

#[test]
fn starttls_auth_scram_sha_1() {
    starttls_auth_with("SMTP_SCRAM_SHA_1", "SCRAM-SHA-1");
}

#[test]
fn starttls_auth_scram_sha_256() {
    starttls_auth_with("SMTP_SCRAM_SHA_256", "SCRAM-SHA-256");
}

#[test]
fn starttls_on_the_main_port_picks_scram_sha_256() {
    // Postfix on 11025 offers every mechanism: the strongest is chosen.
    starttls_auth_with("SMTP", "SCRAM-SHA-256");
}

#[test]
fn submit_short_call_over_implicit_tls_with_auth() {
    let peers = Peers::from_env();
    let (alice, bob) = (peers.user("alice"), peers.user("bob"));
    let token = unique("submissions-short");
    let sent = message(&bob.address, &alice.address, &token, DOTTED_BODY);
    let options = SubmitOptions::new(peers.endpoint("SUBMISSIONS", TlsMode::Implicit))
        .credentials(bob.credentials());
    let report = submit(&options, &bob.address, [&alice.address], &sent[..], None)
        .unwrap_or_else(|e| panic!("submit: {e}\n{}", peers.logs(20)));
    assert_eq!(report.accepted, vec![alice.address.clone()]);
    let (_, stored) = wait_for_message(&peers, &alice.maildir, &token, DELIVERY);
    assert_stored_intact(&stored, &sent);
}

#[test]
fn submissions_implicit_tls_with_auth() {
    let peers = Peers::from_env();
    let (alice, bob) = (peers.user("alice"), peers.user("bob"));
    let token = unique("submissions");
    let sent = message(&bob.address, &alice.address, &token, DOTTED_BODY);
    let trace = Collector::new();
    let (mut driver, caps) = smtp::ready(
        &peers.endpoint("SUBMISSIONS", TlsMode::Implicit),
        ClientConfig::default().with_tls(TlsPolicy::Never),
        Some(tap(&trace, "submissions")),
    );
    assert!(driver.is_tls());
    assert!(!caps.auth.is_empty(), "AUTH offered after implicit TLS");
    match smtp::auth(&mut driver, bob.credentials()) {
        smtp_proto::ClientEvent::Authenticated { mechanism, .. } => {
            assert_eq!(mechanism.as_str(), "SCRAM-SHA-256")
        }
        other => panic!("AUTH: {other:?}"),
    }
    let out = smtp::transaction(
        &mut driver,
        &bob.address,
        MessageDeclaration::new(),
        MailParameters::new(),
        vec![(alice.address.as_str(), RcptParameters::new())],
        &sent,
    )
    .expect("transaction");
    assert_eq!(out.done.as_ref().map(|r| r.code().get()), Some(250));
    smtp::quit(&mut driver);
    let lines = sent_lines(&trace);
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("EHLO ")).count(),
        1,
        "one EHLO, after the greeting: {lines:?}"
    );
    let (_, stored) = wait_for_message(&peers, &alice.maildir, &token, DELIVERY);
    assert_stored_intact(&stored, &sent);
}

#[test]
fn submit_short_call_with_data_when_chunking_is_not_offered() {
    let peers = Peers::from_env();
    let (alice, bob) = (peers.user("alice"), peers.user("bob"));
    let token = unique("submit-data");
    let sent = message(&bob.address, &alice.address, &token, DOTTED_BODY);
    let trace = Collector::new();
    let options = SubmitOptions::new(peers.endpoint("SMTP_NOCHUNKING", TlsMode::Plain));
    let report = submit(
        &options,
        &bob.address,
        [&alice.address],
        &sent[..],
        Some(tap(&trace, "submit-data")),
    )
    .unwrap_or_else(|e| panic!("submit: {e}\n{}", peers.logs(20)));
    assert_eq!(report.accepted, vec![alice.address.clone()]);
    assert_eq!(report.reply.as_ref().map(|r| r.code().get()), Some(250));
    assert!(sent_lines(&trace).iter().any(|l| l == "DATA"));
    let (_, stored) = wait_for_message(&peers, &alice.maildir, &token, DELIVERY);
    assert_stored_intact(&stored, &sent);
}

#[test]
fn pipelined_transaction_with_one_refused_recipient() {
    let peers = Peers::from_env();
    let (alice, bob) = (peers.user("alice"), peers.user("bob"));
    let nobody = format!("nobody-{}@{}", unique("x"), peers.get("INTEROP_DOMAIN"));
    let token = unique("pipelined");
    let sent = message(&bob.address, &alice.address, &token, DOTTED_BODY);
    let trace = Collector::new();
    let options = SubmitOptions::new(peers.endpoint("SMTP", TlsMode::Plain));
    let report = submit(
        &options,
        &bob.address,
        [&alice.address, &nobody, &bob.address],
        &sent[..],
        Some(tap(&trace, "pipelined")),
    )
    .unwrap_or_else(|e| panic!("submit: {e}\n{}", peers.logs(20)));
    assert_eq!(
        report.accepted,
        vec![alice.address.clone(), bob.address.clone()]
    );
    assert_eq!(report.refused.len(), 1);
    let (who, reply) = &report.refused[0];
    assert_eq!(who, &nobody);
    assert_eq!(reply.code().get(), 550, "{reply}");
    assert_eq!(
        reply.enhanced().map(|e| e.to_string()),
        Some("5.1.1".into())
    );
    assert_eq!(report.reply.as_ref().map(|r| r.code().get()), Some(250));

    // Pipelined: MAIL and the three RCPTs left before the first reply came back.
    let lines = trace.lines();
    let mail = lines
        .iter()
        .position(|l| l.direction == Direction::Sent && l.text.starts_with("MAIL FROM:"))
        .expect("MAIL sent");
    let first_reply = mail
        + lines[mail..]
            .iter()
            .position(|l| l.direction == Direction::Received)
            .expect("a reply");
    let rcpts_before = lines[mail..first_reply]
        .iter()
        .filter(|l| l.direction == Direction::Sent && l.text.starts_with("RCPT TO:"))
        .count();
    assert_eq!(rcpts_before, 3, "pipelined RCPTs: {lines:?}");

    for user in [&alice, &bob] {
        let (_, stored) = wait_for_message(&peers, &user.maildir, &token, DELIVERY);
        assert_stored_intact(&stored, &sent);
    }
}

#[test]
fn bdat_chunking_of_a_large_message() {
    let peers = Peers::from_env();
    let (alice, bob) = (peers.user("alice"), peers.user("bob"));
    let token = unique("bdat");
    // About 300 KiB: several BDAT chunks of the client's 64 KiB buffer.
    let mut body = String::new();
    for i in 0..4000 {
        body.push_str(&format!(
            "{}line {i:05} of a long message sent with BDAT, never dot-stuffed\r\n",
            if i % 7 == 0 { "." } else { "" }
        ));
    }
    let sent = message(&bob.address, &alice.address, &token, &body);
    let trace = Collector::new();
    let options = SubmitOptions::new(peers.endpoint("SMTP", TlsMode::Plain));
    let report = submit(
        &options,
        &bob.address,
        [&alice.address],
        &sent[..],
        Some(tap(&trace, "bdat")),
    )
    .unwrap_or_else(|e| panic!("submit: {e}\n{}", peers.logs(20)));
    assert_eq!(report.accepted, vec![alice.address.clone()]);
    let done = report.reply.expect("final reply");
    assert_eq!(done.code().get(), 250, "{done}");
    let lines = sent_lines(&trace);
    assert!(
        lines.iter().any(|l| l.starts_with("BDAT ")),
        "BDAT used: {lines:?}"
    );
    assert!(!lines.iter().any(|l| l == "DATA"), "no DATA: {lines:?}");
    let (_, stored) = wait_for_message(&peers, &alice.maildir, &token, DELIVERY);
    assert_stored_intact(&stored, &sent);
}

#[test]
fn smtputf8_address_and_header() {
    let peers = Peers::from_env();
    let alice = peers.user("alice");
    let utf8_domain = peers.get("INTEROP_UTF8_DOMAIN");
    let to = format!("{}@{utf8_domain}", alice.name);
    let from = format!("jörg.müller@{}", peers.get("INTEROP_DOMAIN"));
    let token = unique("smtputf8");
    let sent = message(
        &from,
        &to,
        &token,
        "Grüße aus Köln: ☃ and 日本語.\r\n.Dot line with ü\r\n",
    );
    let trace = Collector::new();
    let options = SubmitOptions::new(peers.endpoint("SMTP", TlsMode::Plain)).info(
        MessageDeclaration::new()
            .with_utf8(true)
            .with_eight_bit(true),
    );
    let report = submit(&options, &from, [&to], &sent[..], Some(tap(&trace, "utf8")))
        .unwrap_or_else(|e| panic!("submit: {e}\n{}", peers.logs(20)));
    assert_eq!(report.accepted, vec![to.clone()]);
    assert_eq!(report.reply.as_ref().map(|r| r.code().get()), Some(250));
    let lines = sent_lines(&trace);
    let mail = lines
        .iter()
        .find(|l| l.starts_with("MAIL FROM:"))
        .expect("MAIL sent");
    assert!(mail.contains("SMTPUTF8"), "{mail}");
    assert!(mail.contains("BODY=8BITMIME"), "{mail}");
    assert!(mail.contains("jörg.müller@"), "{mail}");
    let (_, stored) = wait_for_message(&peers, &alice.maildir, &token, DELIVERY);
    assert_stored_intact(&stored, &sent);
}

#[test]
fn dsn_parameters_and_the_success_report() {
    let peers = Peers::from_env();
    let (alice, bob) = (peers.user("alice"), peers.user("bob"));
    let token = unique("dsn");
    let envid = format!("{token}.envid");
    let sent = message(&bob.address, &alice.address, &token, DOTTED_BODY);
    let trace = Collector::new();
    let config = ClientConfig::default().with_tls(TlsPolicy::Never);
    let (mut driver, caps) = smtp::ready(
        &peers.endpoint("SMTP", TlsMode::Plain),
        config,
        Some(tap(&trace, "dsn")),
    );
    assert!(caps.dsn);
    let mut mail = MailParameters::new();
    mail.ret = Some(Ret::Hdrs);
    mail.envid = Some(envid.clone().into());
    let mut rcpt = RcptParameters::new();
    rcpt.notify = Some(Notify {
        success: true,
        failure: true,
        delay: false,
    });
    rcpt.orcpt = Some(Orcpt::rfc822(&alice.address));
    let out = smtp::transaction(
        &mut driver,
        &bob.address,
        MessageDeclaration::new(),
        mail,
        vec![(alice.address.as_str(), rcpt)],
        &sent,
    )
    .expect("transaction");
    assert_eq!(out.mail.as_ref().map(|r| r.code().get()), Some(250));
    assert_eq!(out.rcpts[0].1.code().get(), 250);
    assert_eq!(out.done.as_ref().map(|r| r.code().get()), Some(250));
    smtp::quit(&mut driver);
    let lines = sent_lines(&trace);
    let mail_line = lines.iter().find(|l| l.starts_with("MAIL FROM:")).unwrap();
    assert!(mail_line.contains("RET=HDRS"), "{mail_line}");
    assert!(mail_line.contains(&format!("ENVID={envid}")), "{mail_line}");
    let rcpt_line = lines.iter().find(|l| l.starts_with("RCPT TO:")).unwrap();
    assert!(rcpt_line.contains("NOTIFY=SUCCESS,FAILURE"), "{rcpt_line}");
    assert!(
        rcpt_line.contains(&format!("ORCPT=rfc822;{}", alice.address)),
        "{rcpt_line}"
    );

    let (_, stored) = wait_for_message(&peers, &alice.maildir, &token, DELIVERY);
    assert_stored_intact(&stored, &sent);
    // The success report to bob names the envelope id and the original recipient.
    let (_, report) = wait_for_message(
        &peers,
        &bob.maildir,
        &format!("Original-Envelope-Id: {envid}"),
        DELIVERY,
    );
    let text = String::from_utf8_lossy(&report);
    assert!(text.contains("multipart/report"), "{text}");
    assert!(text.contains("report-type=delivery-status"), "{text}");
    assert!(
        text.contains(&format!("Original-Recipient: rfc822;{}", alice.address)),
        "{text}"
    );
    assert!(text.contains("Action: relayed"), "{text}");
    // RET=HDRS: the report returns the headers, not the body.
    assert!(text.contains(&format!("Message-ID: <{token}@")), "{text}");
    assert!(
        !text.contains("..Two dots"),
        "RET=HDRS returns no body: {text}"
    );
}

/// A DATA body of 200 KiB through the blocking driver as it is.
#[test]
fn blocking_driver_streams_a_data_body_over_64_kib() {
    let peers = Peers::from_env();
    let (alice, bob) = (peers.user("alice"), peers.user("bob"));
    let token = unique("data-200k");
    let body = "a line of a 200 KiB message sent with DATA through the blocking driver\r\n"
        .repeat(200 * 1024 / 72);
    let sent = message(&bob.address, &alice.address, &token, &body);
    let config = ClientConfig::default()
        .with_tls(TlsPolicy::Never)
        .with_chunking(false);
    // A stall fails after 20 s (the socket is shut down), not after Postfix's 300 s.
    let (mut driver, _) = smtp::ready_with_watchdog(
        &peers.endpoint("SMTP_NOCHUNKING", TlsMode::Plain),
        config,
        None,
        Some(Duration::from_secs(20)),
    );
    let out = smtp::transaction_with(
        &mut driver,
        &bob.address,
        MessageDeclaration::new(),
        MailParameters::new(),
        vec![(alice.address.as_str(), RcptParameters::new())],
        &sent,
        false,
    )
    .expect("transaction");
    assert_eq!(out.done.as_ref().map(|r| r.code().get()), Some(250));
    let (_, stored) = wait_for_message(&peers, &alice.maildir, &token, DELIVERY);
    assert_stored_intact(&stored, &sent);
}

/// The client machine told of implicit TLS the way the machine contract says (tls_established
/// once the handshake is done, which is before the greeting), so that SCRAM -PLUS could get
/// its channel binding.
#[test]
fn client_told_of_implicit_tls_before_the_greeting() {
    let peers = Peers::from_env();
    let connected =
        proto_io::connect(&peers.endpoint("SUBMISSIONS", TlsMode::Implicit)).expect("connecting");
    let info = connected.tls_info.expect("implicit TLS");
    let mut client = smtp_proto::Client::new(
        ClientConfig::default()
            .with_tls(TlsPolicy::Never)
            .with_implicit_tls(true),
        std::time::Instant::now(),
    );
    proto_core::Machine::tls_established(&mut client, info);
    let trace = Collector::new();
    let mut driver =
        proto_io::Driver::new(client, connected.stream).with_trace(tap(&trace, "implicit"));
    let caps = loop {
        match driver.next_event().expect("driving to EHLO") {
            Some(smtp_proto::ClientEvent::Ready(caps)) => break caps,
            Some(_) => {}
            None => panic!("closed before EHLO"),
        }
    };
    assert!(!caps.auth.is_empty(), "AUTH offered: {caps:?}");
    let lines = trace.lines();
    let greeting = lines
        .iter()
        .position(|l| l.direction == Direction::Received && l.text.starts_with("220 "))
        .expect("greeting");
    let ehlos: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.direction == Direction::Sent && l.text.starts_with("EHLO "))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(ehlos.len(), 1, "{lines:?}");
    assert!(ehlos[0] > greeting, "EHLO after the greeting: {lines:?}");
}
