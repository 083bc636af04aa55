//! The client machine against the server replies captured by MailKit (Comcast and others,
//! LF line ends as stored), with the client side written here; plus STARTTLS injection, the
//! stuffer's handling of bogus end-of-data forms, timeouts and 421.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::{Duration, Instant};

use common::client::ClientScript;
use proto_core::testing::{Side, Transcript, escape};
use proto_core::{DotError, Expiry, Machine, TransportAction};
use smtp_proto::{Client, ClientConfig, ClientEvent, MessageDeclaration, Timeouts, TlsPolicy};
use smtp_proto::{ForwardPath, MailParameters, Mailbox, ReversePath};
use smtp_proto::{Limits, ProtocolError, UsageError};

fn vector(name: &str) -> String {
    let path = format!("{}/tests/data/mailkit/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap();
    format!("S+ {}", escape(&bytes))
}

/// Replaces `{name}` with an `S+` line holding the captured reply.
fn expand(text: &str) -> String {
    text.lines()
        .map(
            |l| match l.trim().strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
                Some(name) => vector(name),
                None => l.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("\n")
}

fn run(text: &str, config: impl Fn() -> ClientConfig) {
    let t = Transcript::parse(&expand(text), Side::Client).unwrap();
    if let Err(e) = t.run(8, || ClientScript::new(config())) {
        panic!("{e}");
    }
}

fn cfg() -> ClientConfig {
    ClientConfig::default().with_hostname("client.example".into())
}

#[test]
fn comcast_session_with_starttls_auth_and_data() {
    run(
        "
{comcast-greeting.txt}
E: greeting 220
C: EHLO client.example
{comcast-ehlo.txt}
C: STARTTLS
S: 220 2.0.0 Ready to start TLS
X: starttls
E: tls
C: EHLO client.example
{comcast-ehlo.txt}
E: ready
A: auth user pencil
C: AUTH PLAIN AHVzZXIAcGVuY2ls
{comcast-auth-plain.txt}
E: authenticated PLAIN
A: mail <a@b.c> SIZE=16
C: MAIL FROM:<a@b.c> SIZE=16
{comcast-mail-from.txt}
E: reply MAIL 250
A: rcpt <x@y.z>
C: RCPT TO:<x@y.z>
{comcast-rcpt-to.txt}
E: recipient <x@y.z> 250
A: start-body
C: DATA
{comcast-data.txt}
E: body-writable
E: reply DATA 354
A: body Hello\\n.dot\\nbye
A: finish
C: Hello
C: ..dot
C: bye
C: .
{comcast-data-done.txt}
E: done 250
A: noop
C: NOOP
{comcast-noop.txt}
E: reply NOOP 250
A: quit
C: QUIT
{comcast-quit.txt}
E: closed 221
X: close
",
        cfg,
    );
}

#[test]
fn pipelined_mail_and_rcpt_with_a_refused_recipient() {
    run(
        "
{comcast-greeting.txt}
E: greeting 220
C: EHLO client.example
{comcast-ehlo+pipelining.txt}
E: ready
A: mail <a@b.c>
A: rcpt <x@y.z>
C: MAIL FROM:<a@b.c>
C: RCPT TO:<x@y.z>
{pipelined-mailbox-unavailable.txt}
E: reply MAIL 250
E: recipient <x@y.z> 550
A: rcpt <v@y.z>
C: RCPT TO:<v@y.z>
{comcast-rcpt-to.txt}
E: recipient <v@y.z> 250
A: rset
C: RSET
{comcast-rset.txt}
E: reply RSET 250
A: mail <a@b.c>
A: rcpt <x@y.z>
A: start-body
C: MAIL FROM:<a@b.c>
C: RCPT TO:<x@y.z>
C: DATA
{pipelined-mail-from-rcpt-to.txt}
E: reply MAIL 250
E: recipient <x@y.z> 250
{comcast-data.txt}
E: body-writable
E: reply DATA 354
",
        || cfg().with_tls(TlsPolicy::Never),
    );
}

#[test]
fn helo_fallback_and_not_ready_greeting() {
    run(
        "
{comcast-greeting.txt}
E: greeting 220
C: EHLO client.example
{ehlo-failed.txt}
C: HELO client.example
{helo.txt}
E: ready
A: mail <a@b.c>
C: MAIL FROM:<a@b.c>
",
        || cfg().with_tls(TlsPolicy::Never),
    );
    run(
        "
{greeting-not-ready.txt}
E: greeting 221
E: closed -
X: close
",
        cfg,
    );
}

#[test]
fn capability_checks_before_mail() {
    let mut c = Client::new(cfg().with_tls(TlsPolicy::Never), Instant::now());
    c.receive(b"220 x\r\n", std::time::Instant::now());
    while c.poll_event().is_some() {}
    c.advance_transmit(c.transmit().len());
    c.receive(
        &std::fs::read(format!(
            "{}/tests/data/mailkit/comcast-ehlo.txt",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
        Instant::now(),
    );
    while c.poll_event().is_some() {}
    let from = || ReversePath::Mailbox(Mailbox::parse("a@b.c").unwrap());
    let binary = MessageDeclaration::new().with_binary(true);
    assert_eq!(
        c.mail_from(from(), binary, MailParameters::new())
            .unwrap_err(),
        UsageError::NotOffered("BINARYMIME")
    );
    let utf8 = MessageDeclaration::new().with_utf8(true);
    assert_eq!(
        c.mail_from(from(), utf8, MailParameters::new())
            .unwrap_err(),
        UsageError::NotOffered("SMTPUTF8")
    );
    let big = MessageDeclaration::new().with_size(36700161);
    assert!(matches!(
        c.mail_from(from(), big, MailParameters::new()),
        Err(UsageError::NotOffered(_))
    ));
    let mut dsn = MailParameters::new();
    dsn.ret = Some(smtp_proto::Ret::Hdrs);
    assert_eq!(
        c.mail_from(from(), MessageDeclaration::new(), dsn)
            .unwrap_err(),
        UsageError::NotOffered("DSN")
    );
    // Nothing was sent for the refused requests.
    assert!(c.transmit().is_empty());
    // No credentials over plaintext: PLAIN and LOGIN are all it offers.
    let creds = sasl_proto::Credentials::password("u", "p");
    assert_eq!(
        c.authenticate(creds, sasl_proto::ClientConfig::default())
            .unwrap_err(),
        UsageError::Plaintext
    );
    let ok = MessageDeclaration::new()
        .with_size(36700160)
        .with_eight_bit(true);
    c.mail_from(from(), ok, MailParameters::new()).unwrap();
    assert_eq!(
        c.transmit(),
        b"MAIL FROM:<a@b.c> SIZE=36700160 BODY=8BITMIME\r\n"
    );
    // The stuffer checks the declaration: a NUL was not declared (not binary).
    c.advance_transmit(c.transmit().len());
    c.receive(b"250 ok\r\n", std::time::Instant::now());
    while c.poll_event().is_some() {}
    c.rcpt_to(
        ForwardPath::Mailbox(Mailbox::parse("x@y.z").unwrap()),
        Default::default(),
    )
    .unwrap();
    c.receive(b"250 ok\r\n", std::time::Instant::now());
    while c.poll_event().is_some() {}
    c.start_body().unwrap();
    c.receive(b"354 go\r\n", std::time::Instant::now());
    while c.poll_event().is_some() {}
    assert!(matches!(c.write_body(b"a\0b"), Err(UsageError::Body(_))));
}

#[test]
fn dsn_smtputf8_binarymime_bdat() {
    run(
        "
{comcast-greeting.txt}
E: greeting 220
C: EHLO client.example
{comcast-ehlo+dsn.txt}
E: ready
A: mail <a@b.c> RET=HDRS ENVID=QQ314159
A: rcpt <x@y.z> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x@y.z
C: MAIL FROM:<a@b.c> RET=HDRS ENVID=QQ314159
C: RCPT TO:<x@y.z> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x@y.z
",
        || cfg().with_tls(TlsPolicy::Never),
    );
    run(
        "
{comcast-greeting.txt}
E: greeting 220
C: EHLO client.example
{comcast-ehlo+smtputf8.txt}
E: ready
A: mail <用户@例子.广告>
C: MAIL FROM:<用户@例子.广告> SMTPUTF8
",
        || cfg().with_tls(TlsPolicy::Never),
    );
    run(
        "
{comcast-greeting.txt}
E: greeting 220
C: EHLO client.example
{comcast-ehlo+binarymime.txt}
E: ready
A: mail <a@b.c> BODY=BINARYMIME
C: MAIL FROM:<a@b.c> BODY=BINARYMIME
{comcast-mail-from.txt}
E: reply MAIL 250
A: rcpt <x@y.z>
C: RCPT TO:<x@y.z>
{comcast-rcpt-to.txt}
E: recipient <x@y.z> 250
A: start-body
E: body-writable
A: body \\x00\\r.\\n
C+ BDAT 4\\r\\n\\x00\\r.\\n
S: 250 2.0.0 4 octets
E: reply BDAT 250
A: finish
C: BDAT 0 LAST
{comcast-data-done.txt}
E: done 250
",
        || cfg().with_tls(TlsPolicy::Never),
    );
}

#[test]
fn auth_login_and_failures() {
    run(
        "
{comcast-greeting.txt}
E: greeting 220
C: EHLO client.example
S: 250-x
S: 250 AUTH LOGIN
E: ready
A: auth user pencil
C: AUTH LOGIN
{comcast-auth-login-password.txt}
C: dXNlcg==
{comcast-auth-login-username.txt}
C: cGVuY2ls
{comcast-auth-login.txt}
E: authenticated LOGIN
",
        || cfg().with_tls(TlsPolicy::Never).with_plaintext_auth(true),
    );
    for (file, code) in [("auth-failed.txt", 535), ("auth-too-weak.txt", 534)] {
        run(
            &format!(
                "
{{comcast-greeting.txt}}
E: greeting 220
C: EHLO client.example
{{comcast-ehlo.txt}}
E: ready
A: auth user pencil
C: AUTH PLAIN AHVzZXIAcGVuY2ls
{{{file}}}
E: auth-failed {code}
"
            ),
            || cfg().with_tls(TlsPolicy::Never).with_plaintext_auth(true),
        );
    }
}

#[test]
fn vrfy_expn_and_errors() {
    run(
        "
{comcast-greeting.txt}
E: greeting 220
C: EHLO client.example
{comcast-ehlo.txt}
E: ready
A: vrfy Smith
C: VRFY Smith
{rfc0821-vrfy.txt}
E: reply VRFY 250
A: expn Example-People
C: EXPN Example-People
{rfc0821-expn.txt}
E: reply EXPN 250
A: mail <a@b.c>
C: MAIL FROM:<a@b.c>
{auth-required.txt}
E: reply MAIL 530
A: rset
C: RSET
{bad-command-sequence.txt}
E: reply RSET 503
A: mail <a@b.c>
C: MAIL FROM:<a@b.c>
{comcast-mail-from.txt}
E: reply MAIL 250
A: rcpt <x@y.z>
C: RCPT TO:<x@y.z>
{mailbox-unavailable.txt}
E: recipient <x@y.z> 550
S: 421 4.4.2 closing
E: closed 421
X: close
",
        || cfg().with_tls(TlsPolicy::Never),
    );
}

#[test]
fn lmtp_one_reply_per_recipient() {
    run(
        "
S: 220 foo.edu LMTP server ready
E: greeting 220
C: LHLO client.example
S: 250-foo.edu
S: 250-PIPELINING
S: 250 SIZE
E: ready
A: mail <chris@bar.com>
A: rcpt <pat@foo.edu>
A: rcpt <jones@foo.edu>
A: rcpt <green@foo.edu>
A: start-body
C: MAIL FROM:<chris@bar.com>
C: RCPT TO:<pat@foo.edu>
C: RCPT TO:<jones@foo.edu>
C: RCPT TO:<green@foo.edu>
C: DATA
S: 250 OK
S: 250 OK
S: 550 No such user here
S: 250 OK
S: 354 Start mail input; end with <CRLF>.<CRLF>
E: reply MAIL 250
E: recipient <pat@foo.edu> 250
E: recipient <jones@foo.edu> 550
E: recipient <green@foo.edu> 250
E: body-writable
E: reply DATA 354
A: body Blah blah blah...\\r\\n...etc. etc. etc.\\r\\n
A: finish
C: Blah blah blah...
C: ....etc. etc. etc.
C: .
S: 250 OK
S: 452 <green@foo.edu> is temporarily over quota, please try again later
E: delivery <pat@foo.edu> 250
E: delivery <green@foo.edu> 452
",
        || cfg().with_lmtp(true).with_tls(TlsPolicy::Never),
    );
}

#[test]
fn starttls_injection_is_fatal_on_the_client() {
    let mut c = Client::new(cfg(), Instant::now());
    c.receive(
        b"220 x\r\n250-x\r\n250 STARTTLS\r\n",
        std::time::Instant::now(),
    );
    while c.poll_event().is_some() {}
    assert_eq!(c.transmit(), b"EHLO client.example\r\nSTARTTLS\r\n");
    c.advance_transmit(c.transmit().len());
    // The go-ahead and an injected reply arrive together.
    c.receive(
        b"220 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n",
        std::time::Instant::now(),
    );
    let e = c.poll_event().unwrap().unwrap_err();
    assert_eq!(e, ProtocolError::DataAfterStartTls);
    assert_eq!(c.poll_transport(), Some(TransportAction::Close));
    // Bytes that come after the go-ahead but before the handshake are the same.
    let mut c = Client::new(cfg(), Instant::now());
    c.receive(
        b"220 x\r\n250-x\r\n250 STARTTLS\r\n",
        std::time::Instant::now(),
    );
    while c.poll_event().is_some() {}
    c.receive(b"220 go ahead\r\n", std::time::Instant::now());
    assert!(c.poll_event().is_none());
    c.receive(b"250 injected\r\n", std::time::Instant::now());
    assert_eq!(
        c.poll_event().unwrap().unwrap_err(),
        ProtocolError::DataAfterStartTls
    );
    // A server that does not offer STARTTLS fails the required policy.
    let mut c = Client::new(cfg(), Instant::now());
    c.receive(b"220 x\r\n250 x\r\n", std::time::Instant::now());
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(
        matches!(events.last(), Some(Err(ProtocolError::TlsRequired))),
        "{events:?}"
    );
}

const BOGUS: [&[u8]; 8] = [
    b"\n.\n",
    b"\n.\r\n",
    b"\r\n.\n",
    b"\r.\r",
    b"\r\n.\r",
    b"\r.\r\n",
    b"\n.\r",
    b"\r\n.\r\r\n",
];

/// A client at the body stage of a 7-bit message, over BDAT when `chunking`.
fn body_client(chunking: bool) -> Client {
    let mut c = Client::new(cfg().with_tls(TlsPolicy::Never), Instant::now());
    if chunking {
        c.receive(
            b"220 x\r\n250-x\r\n250 CHUNKING\r\n",
            std::time::Instant::now(),
        );
    } else {
        c.receive(b"220 x\r\n250 x\r\n", std::time::Instant::now());
    }
    while c.poll_event().is_some() {}
    c.mail_from(
        ReversePath::Null,
        MessageDeclaration::new(),
        MailParameters::new(),
    )
    .unwrap();
    c.receive(b"250 ok\r\n", std::time::Instant::now());
    while c.poll_event().is_some() {}
    c.rcpt_to(ForwardPath::Postmaster, Default::default())
        .unwrap();
    c.receive(b"250 ok\r\n", std::time::Instant::now());
    while c.poll_event().is_some() {}
    c.start_body().unwrap();
    if !chunking {
        c.receive(b"354 go\r\n", std::time::Instant::now());
    }
    while c.poll_event().is_some() {}
    c.advance_transmit(c.transmit().len());
    c
}

#[test]
fn stuffer_never_ends_data_on_bogus_forms() {
    for bogus in BOGUS {
        let mut c = body_client(false);
        let mut body = b"x".to_vec();
        body.extend_from_slice(bogus);
        body.extend_from_slice(b"QUIT\r\n");
        c.write_body(&body).unwrap();
        let written = c.transmit().to_vec();
        assert!(
            !written.windows(5).any(|w| w == b"\r\n.\r\n"),
            "{bogus:?}: {}",
            escape(&written)
        );
        c.finish_body().unwrap();
        let all = c.transmit().to_vec();
        let ends = all.windows(5).filter(|w| *w == b"\r\n.\r\n").count();
        assert_eq!(ends, 1, "{}", escape(&all));
        assert!(all.ends_with(b"QUIT\r\n.\r\n"), "{}", escape(&all));
        // Every line end is CRLF.
        assert!(
            !String::from_utf8_lossy(&all)
                .replace("\r\n", "")
                .contains(['\r', '\n'])
        );
    }
}

#[test]
fn body_backpressure() {
    let mut c = Client::new(
        cfg().with_tls(TlsPolicy::Never).with_body_high_water(100),
        Instant::now(),
    );
    c.receive(b"220 x\r\n250 x\r\n", std::time::Instant::now());
    while c.poll_event().is_some() {}
    c.mail_from(
        ReversePath::Null,
        MessageDeclaration::new(),
        MailParameters::new(),
    )
    .unwrap();
    c.receive(b"250 ok\r\n", std::time::Instant::now());
    while c.poll_event().is_some() {}
    c.rcpt_to(ForwardPath::Postmaster, Default::default())
        .unwrap();
    c.receive(b"250 ok\r\n", std::time::Instant::now());
    while c.poll_event().is_some() {}
    c.start_body().unwrap();
    assert_eq!(c.write_body(b"too early").unwrap(), 0);
    c.receive(b"354 go\r\n", std::time::Instant::now());
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event())
        .map(Result::unwrap)
        .collect();
    assert!(matches!(events[0], ClientEvent::BodyWritable));
    c.advance_transmit(c.transmit().len());
    let body = vec![b'a'; 150];
    assert_eq!(c.write_body(&body).unwrap(), 100);
    assert_eq!(c.write_body(&body[100..]).unwrap(), 0);
    c.advance_transmit(60);
    assert!(matches!(
        c.poll_event(),
        Some(Ok(ClientEvent::BodyWritable))
    ));
}

/// Octets alone do not restart the timer: a server that trickles a reply one line (or one
/// octet) at a time never completes it, and the client gives up one period after it started
/// waiting.
#[test]
fn a_trickling_server_times_out() {
    let t0 = Instant::now();
    let at = |s| t0 + Duration::from_secs(s);
    let mut c = Client::new(cfg(), t0);
    c.receive(b"220-mx.example.org ESMTP\r\n", at(100));
    for (i, octet) in b"220-".iter().enumerate() {
        c.receive(&[*octet], at(150 + 50 * i as u64));
    }
    while let Some(event) = c.poll_event() {
        event.unwrap();
    }
    assert_eq!(c.poll_timeout(), Some(at(300)));
    c.handle_timeout(at(299));
    assert!(c.poll_event().is_none());
    c.handle_timeout(at(300));
    assert_eq!(
        c.poll_event().unwrap().unwrap_err(),
        ProtocolError::Timeout(Expiry::Idle)
    );
}

/// A whole reply is progress: the timer restarts from the instant its last octet arrived,
/// with the limit of the next phase (RFC 5321 4.5.3.2).
#[test]
fn a_whole_reply_restarts_the_timer_from_its_arrival() {
    let t0 = Instant::now();
    let at = |s| t0 + Duration::from_secs(s);
    let mut c = Client::new(cfg().with_tls(TlsPolicy::Never), t0);
    c.receive(b"220 mx.example.org ESMTP\r\n", at(200));
    while let Some(event) = c.poll_event() {
        event.unwrap();
    }
    // EHLO went out in answer; its wait counts from the greeting's arrival.
    assert!(c.transmit().starts_with(b"EHLO "));
    assert_eq!(c.poll_timeout(), Some(at(500)));
    c.handle_timeout(at(500));
    assert_eq!(
        c.poll_event().unwrap().unwrap_err(),
        ProtocolError::Timeout(Expiry::Idle)
    );
}

/// A session deadline closes even a busy session.
#[test]
fn the_session_deadline_holds() {
    let t0 = Instant::now();
    let at = |s| t0 + Duration::from_secs(s);
    let timeouts = Timeouts::default().with_session(Some(Duration::from_secs(250)));
    let mut c = Client::new(cfg().with_timeouts(timeouts), t0);
    c.receive(b"220 mx.example.org ESMTP\r\n", at(200));
    while c.poll_event().is_some() {}
    assert_eq!(c.poll_timeout(), Some(at(250)));
    c.handle_timeout(at(250));
    assert_eq!(
        c.poll_event().unwrap().unwrap_err(),
        ProtocolError::Timeout(Expiry::Session)
    );
}

#[test]
fn timeouts_per_phase() {
    let t0 = Instant::now();
    let mut c = Client::new(cfg(), t0);
    assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_secs(300)));
    c.handle_timeout(t0 + Duration::from_secs(300));
    assert_eq!(
        c.poll_event().unwrap().unwrap_err(),
        ProtocolError::Timeout(Expiry::Idle)
    );
    // DATA termination waits 10 minutes once the end was sent.
    let mut c = body_client(false);
    c.write_body(b"x").unwrap();
    c.finish_body().unwrap();
    let now = Instant::now() + Duration::from_secs(301);
    c.handle_timeout(now);
    assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(600)));
    c.handle_timeout(now + Duration::from_secs(600));
    assert_eq!(
        c.poll_event().unwrap().unwrap_err(),
        ProtocolError::Timeout(Expiry::Idle)
    );
}

#[test]
fn limits_on_replies() {
    for (len, ok) in [(512usize, true), (513, false)] {
        let mut c = Client::new(cfg(), Instant::now());
        let line = format!("220 {}\r\n", "x".repeat(len - 6));
        c.receive(line.as_bytes(), std::time::Instant::now());
        let e = c.poll_event().unwrap();
        assert_eq!(e.is_ok(), ok, "{len}");
    }
    let mut c = Client::new(
        cfg().with_limits(Limits::default().with_max_reply_lines(3)),
        Instant::now(),
    );
    c.receive(
        b"220-a\r\n220-b\r\n220-c\r\n220 d\r\n",
        std::time::Instant::now(),
    );
    assert!(c.poll_event().unwrap().is_err());
}

#[test]
fn bdat_backpressure_counts_queued_chunks() {
    // Without PIPELINING each BDAT waits for the previous reply: queued chunks count.
    let mut c = Client::new(
        cfg().with_tls(TlsPolicy::Never).with_body_high_water(100),
        Instant::now(),
    );
    c.receive(
        b"220 x\r\n250-x\r\n250 CHUNKING\r\n",
        std::time::Instant::now(),
    );
    while c.poll_event().is_some() {}
    c.mail_from(
        ReversePath::Null,
        MessageDeclaration::new(),
        MailParameters::new(),
    )
    .unwrap();
    c.receive(b"250 ok\r\n", std::time::Instant::now());
    while c.poll_event().is_some() {}
    c.rcpt_to(ForwardPath::Postmaster, Default::default())
        .unwrap();
    c.receive(b"250 ok\r\n", std::time::Instant::now());
    while c.poll_event().is_some() {}
    c.start_body().unwrap();
    while c.poll_event().is_some() {}
    c.advance_transmit(c.transmit().len());
    assert_eq!(c.write_body(&[b'a'; 60]).unwrap(), 60);
    // The first chunk is in the output; the second waits in the queue.
    assert_eq!(c.write_body(&[b'b'; 60]).unwrap(), 31);
    assert_eq!(c.write_body(&[b'c'; 60]).unwrap(), 0);
    c.advance_transmit(c.transmit().len());
    c.receive(b"250 ok\r\n", std::time::Instant::now());
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event())
        .map(Result::unwrap)
        .collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::BodyWritable)),
        "{events:?}"
    );
}

/// A body that breaks its declaration is refused at the offending octet, over DATA and over
/// BDAT alike, and nothing of the refused write is sent.
#[test]
fn body_declaration_errors_send_nothing_of_the_refused_write() {
    let mut long_line = vec![b'a'; 999];
    long_line.extend_from_slice(b"\r\n");
    // The stuffer has written the lines before the long one when it finds it.
    let mut dot_then_long = b"x\r\n.y\r\n".to_vec();
    dot_then_long.extend_from_slice(&long_line);
    let cases: [(&[u8], DotError); 4] = [
        ("caf\u{e9}\r\n".as_bytes(), DotError::EightBit { offset: 9 }),
        (b"a\0b\r\n", DotError::Nul { offset: 7 }),
        (
            &long_line,
            DotError::LineTooLong {
                limit: 998,
                offset: 1005,
            },
        ),
        (
            &dot_then_long,
            DotError::LineTooLong {
                limit: 998,
                offset: 1012,
            },
        ),
    ];
    for chunking in [false, true] {
        for (body, error) in &cases {
            if chunking && matches!(error, DotError::LineTooLong { .. }) {
                // BDAT has no line length limit (RFC 3030 2).
                continue;
            }
            let mut c = body_client(chunking);
            assert_eq!(c.write_body(b"line\r\n").unwrap(), 6);
            let sent = c.transmit().to_vec();
            assert_eq!(
                c.write_body(body),
                Err(UsageError::Body(error.clone())),
                "chunking {chunking}"
            );
            assert_eq!(c.transmit(), &sent[..], "chunking {chunking}");
        }
    }
}

/// A client past EHLO whose server offers `auth`, over implicit TLS with `info`.
fn offered(auth: &str, info: proto_core::TlsInfo) -> Client {
    let mut c = Client::new(cfg().with_tls_info(info), Instant::now());
    c.receive(b"220 x\r\n", std::time::Instant::now());
    while c.poll_event().is_some() {}
    c.advance_transmit(c.transmit().len());
    c.receive(
        format!("250-x\r\n250 AUTH {auth}\r\n").as_bytes(),
        std::time::Instant::now(),
    );
    while c.poll_event().is_some() {}
    c
}

/// The strongest mechanism offered means SCRAM-SHA-256 (-PLUS with channel binding) with the
/// default configuration, which has the operating system's nonce source; without a nonce
/// source SCRAM is never picked.
#[test]
fn the_default_client_picks_scram_and_one_without_nonces_never_does() {
    let auth = "PLAIN LOGIN SCRAM-SHA-256 SCRAM-SHA-256-PLUS";
    let creds = || sasl_proto::Credentials::password("user", "pencil");
    let sent = |c: &Client| String::from_utf8_lossy(c.transmit()).into_owned();

    let mut c = offered(auth, proto_core::TlsInfo::new());
    c.authenticate(creds(), sasl_proto::ClientConfig::default())
        .unwrap();
    assert!(sent(&c).starts_with("AUTH SCRAM-SHA-256 "), "{}", sent(&c));

    let binding = proto_core::TlsInfo::new().with_tls_exporter(vec![7; 32]);
    let mut c = offered(auth, binding);
    c.authenticate(creds(), sasl_proto::ClientConfig::default())
        .unwrap();
    assert!(
        sent(&c).starts_with("AUTH SCRAM-SHA-256-PLUS "),
        "{}",
        sent(&c)
    );

    let mut no_nonce = sasl_proto::ClientConfig::default();
    no_nonce.nonce = None;
    let mut c = offered(auth, proto_core::TlsInfo::new());
    c.authenticate(creds(), no_nonce).unwrap();
    assert!(sent(&c).starts_with("AUTH PLAIN "), "{}", sent(&c));

    let mut no_nonce = sasl_proto::ClientConfig::default();
    no_nonce.nonce = None;
    let mut c = offered("SCRAM-SHA-256", proto_core::TlsInfo::new());
    assert_eq!(
        c.authenticate(creds(), no_nonce).unwrap_err(),
        UsageError::NoMechanism
    );
}

/// A body whose end is known goes with its end: over BDAT as one `BDAT <n> LAST` chunk (no
/// extra `BDAT 0 LAST`), with its line ends made CRLF; over DATA stuffed, then ".".
#[test]
fn finish_body_with_sends_the_last_octets_with_the_end() {
    let mut c = body_client(true);
    c.write_body(b"Subject: x\r\n\r\n").unwrap();
    assert_eq!(c.transmit(), b"BDAT 14\r\nSubject: x\r\n\r\n");
    c.advance_transmit(c.transmit().len());
    c.receive(b"250 ok\r\n", Instant::now());
    while c.poll_event().is_some() {}
    c.finish_body_with(b"last\nline\r").unwrap();
    assert_eq!(c.transmit(), b"BDAT 12 LAST\r\nlast\r\nline\r\n");
    c.advance_transmit(c.transmit().len());
    c.receive(b"250 2.0.0 queued\r\n", Instant::now());
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event())
        .map(Result::unwrap)
        .collect();
    assert!(
        events.iter().any(
            |e| matches!(e, ClientEvent::MessageDone { reply, .. } if reply.code().get() == 250)
        ),
        "{events:?}"
    );
    assert!(c.transmit().is_empty());

    // The whole message at once: one command.
    let mut c = body_client(true);
    c.finish_body_with(b"Subject: x\r\n\r\nbody\r\n").unwrap();
    assert_eq!(c.transmit(), b"BDAT 20 LAST\r\nSubject: x\r\n\r\nbody\r\n");

    let mut c = body_client(false);
    c.finish_body_with(b"x\r\n.y\r\n").unwrap();
    assert_eq!(c.transmit(), b"x\r\n..y\r\n.\r\n");
    assert!(matches!(
        c.finish_body_with(b"more"),
        Err(UsageError::NotNow(_))
    ));

    // The declaration still holds: a NUL is refused and nothing is sent.
    let mut c = body_client(true);
    assert!(matches!(
        c.finish_body_with(b"a\0b"),
        Err(UsageError::Body(_))
    ));
    assert!(c.transmit().is_empty());
}

/// A declared size is checked against what the last octets add.
#[test]
fn finish_body_with_checks_the_declared_size() {
    let mut c = Client::new(cfg().with_tls(TlsPolicy::Never), Instant::now());
    c.receive(
        b"220 x\r\n250-x\r\n250-SIZE 1000\r\n250 CHUNKING\r\n",
        Instant::now(),
    );
    while c.poll_event().is_some() {}
    let info = MessageDeclaration::new().with_size(4);
    c.mail_from(ReversePath::Null, info, MailParameters::new())
        .unwrap();
    c.rcpt_to(ForwardPath::Postmaster, Default::default())
        .unwrap();
    c.receive(b"250 ok\r\n250 ok\r\n", Instant::now());
    while c.poll_event().is_some() {}
    c.start_body().unwrap();
    c.write_body(b"ab").unwrap();
    assert!(matches!(
        c.finish_body_with(b"cde"),
        Err(UsageError::BodyTooLong(4))
    ));
    c.finish_body_with(b"cd").unwrap();
}
