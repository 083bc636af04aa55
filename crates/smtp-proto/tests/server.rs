//! The server machine: RFC examples as transcripts (whole, byte by byte, random splits),
//! command ordering with Postfix's replies, DATA end forms, BDAT, AUTH, STARTTLS, limits.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::Instant;

use common::*;
use proto_core::testing::{Side, Transcript};
use proto_core::{BareLineEnding, Machine, TransportAction};
use smtp_proto::{ServerEvent, Server, ServerConfig};
use smtp_proto::{Limits, ProtocolError};

fn run(text: &str, config: impl Fn() -> ServerConfig) {
    let t = Transcript::parse(text, Side::Server).unwrap();
    if let Err(e) = t.run(8, || ServerScript::new(config())) {
        panic!("{e}");
    }
}

fn foo() -> ServerConfig {
    server_config("foo.com").with_extensions(small_extensions())
}

const EHLO_FOO: &str = "
S: 250-foo.com
S: 250-PIPELINING
S: 250-SIZE 36700160
S: 250-STARTTLS
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-CHUNKING
S: 250 DSN
";

fn with_ehlo(body: &str) -> String {
    format!("S: 220 foo.com ESMTP\nC: EHLO bar.com\n{EHLO_FOO}E: ehlo bar.com\n{body}")
}

/// RFC 5321 Appendix D.1, the client side as in the RFC; replies are ours (Postfix's).
#[test]
fn rfc5321_d1_typical_transaction() {
    run(
        &with_ehlo(
            "
C: MAIL FROM:<Smith@bar.com>
E: mail <Smith@bar.com>
A: accept
S: 250 2.1.0 Ok
C: RCPT TO:<Jones@foo.com>
E: rcpt <Jones@foo.com>
A: accept
S: 250 2.1.5 Ok
C: RCPT TO:<Green@foo.com>
E: rcpt <Green@foo.com>
A: reject 550 No such user here
S: 550 No such user here
C: RCPT TO:<Brown@foo.com>
E: rcpt <Brown@foo.com>
A: accept
S: 250 2.1.5 Ok
C: DATA
S: 354 End data with <CR><LF>.<CR><LF>
C: Blah blah blah...
C: ...etc. etc. etc.
C: .
E: chunk Blah blah blah...\\r\\n..etc. etc. etc.\\r\\n
E: data-end 37
A: accept 250 OK
S: 250 OK
C: QUIT
S: 221 2.0.0 Bye
E: quit
X: close
",
        ),
        foo,
    );
}

/// RFC 5321 Appendix D.2 (aborted transaction) and D.4 (VRFY first).
#[test]
fn rfc5321_d2_aborted_and_d4_vrfy() {
    run(
        &with_ehlo(
            "
C: VRFY Green
S: 252 2.0.0 Send some mail, I'll try my best
C: MAIL FROM:<Smith@bar.com>
E: mail <Smith@bar.com>
A: accept
S: 250 2.1.0 Ok
C: RCPT TO:<Jones@foo.com>
E: rcpt <Jones@foo.com>
A: accept
S: 250 2.1.5 Ok
C: RCPT TO:<Green@foo.com>
E: rcpt <Green@foo.com>
A: reject 550 No such user here
S: 550 No such user here
C: RSET
S: 250 2.0.0 Ok
E: reset
C: QUIT
S: 221 2.0.0 Bye
E: quit
X: close
",
        ),
        foo,
    );
}

/// RFC 2920 section 3.2 example 2: everything pipelined, replies in order.
#[test]
fn rfc2920_pipelined_transaction() {
    run(
        &with_ehlo(
            "
C: MAIL FROM:<mrose@dbc.mtview.ca.us>
C: RCPT TO:<ned@innosoft.com>
C: RCPT TO:<dan@innosoft.com>
C: RCPT TO:<kvc@innosoft.com>
C: DATA
E: mail <mrose@dbc.mtview.ca.us>
A: accept
E: rcpt <ned@innosoft.com>
A: accept
E: rcpt <dan@innosoft.com>
A: reject 550 5.1.1 unknown
E: rcpt <kvc@innosoft.com>
A: accept
S: 250 2.1.0 Ok
S: 250 2.1.5 Ok
S: 550 5.1.1 unknown
S: 250 2.1.5 Ok
S: 354 End data with <CR><LF>.<CR><LF>
C: hello
C: .
C: QUIT
E: chunk hello\\r\\n
E: data-end 7
A: accept
S: 250 2.0.0 Ok: queued
S: 221 2.0.0 Bye
E: quit
X: close
",
        ),
        foo,
    );
}

/// RFC 2920: a pipelined group whose every RCPT fails gets 554 for DATA, and the data
/// lines that follow are answered as commands.
#[test]
fn rfc2920_all_recipients_refused() {
    run(
        &with_ehlo(
            "
C: MAIL FROM:<a@b.c>
C: RCPT TO:<x@foo.com>
C: DATA
E: mail <a@b.c>
A: accept
E: rcpt <x@foo.com>
A: reject 550 5.1.1 no
S: 250 2.1.0 Ok
S: 550 5.1.1 no
S: 554 5.5.1 Error: no valid recipients
",
        ),
        foo,
    );
}

/// RFC 3030 section 4.1 and 4.2: BDAT alone and pipelined, with a refused chunk consumed in
/// full.
#[test]
fn rfc3030_bdat() {
    run(
        &with_ehlo(
            "
C: MAIL FROM:<Sam@Random.com>
E: mail <Sam@Random.com>
A: accept
S: 250 2.1.0 Ok
C: RCPT TO:<Susan@Random.com>
E: rcpt <Susan@Random.com>
A: accept
S: 250 2.1.5 Ok
C+ BDAT 18\\r\\nTo: Susan\\r\\n\\r\\nHi.\\r\\n
C+ BDAT 8 LAST\\r\\n\\r\\n.\\r\\nX\\r\\n
S: 250 2.0.0 Ok: 18 octets received
E: chunk To: Susan\\r\\n\\r\\nHi.\\r\\n\\r\\n.\\r\\nX\\r\\n
E: data-end 26
A: accept
S: 250 2.0.0 Ok: queued
C+ BDAT 5 LAST\\r\\nRSET\\n
S: 503 5.5.1 Error: need MAIL command
C: NOOP
S: 250 2.0.0 Ok
",
        ),
        foo,
    );
}

/// RFC 2033 section 4.2: LMTP, one reply per accepted recipient after DATA.
#[test]
fn rfc2033_lmtp() {
    let config = || {
        let mut e = small_extensions();
        e.enhanced_status_codes = false;
        e.eight_bit_mime = false;
        e.chunking = false;
        e.dsn = false;
        server_config("foo.edu")
            .with_lmtp(true)
            .with_extensions(e)
            .with_starttls(false)
    };
    run(
        "
S: 220 foo.edu LMTP
C: LHLO foo.edu
S: 250-foo.edu
S: 250-PIPELINING
S: 250 SIZE 36700160
E: lhlo foo.edu
C: MAIL FROM:<chris@bar.com>
E: mail <chris@bar.com>
A: accept 250 OK
S: 250 OK
C: RCPT TO:<pat@foo.edu>
E: rcpt <pat@foo.edu>
A: accept 250 OK
S: 250 OK
C: RCPT TO:<jones@foo.edu>
E: rcpt <jones@foo.edu>
A: reject 550 No such user here
S: 550 No such user here
C: RCPT TO:<green@foo.edu>
E: rcpt <green@foo.edu>
A: accept 250 OK
S: 250 OK
C: DATA
S: 354 End data with <CR><LF>.<CR><LF>
C: Blah blah blah...
C: ...etc. etc. etc.
C: .
E: chunk Blah blah blah...\\r\\n..etc. etc. etc.\\r\\n
E: data-end <pat@foo.edu> 37
E: data-end <green@foo.edu> 37
A: accept 250 OK
A: reject 452 <green@foo.edu> is temporarily over quota, please try again later
S: 250 OK
S: 452 <green@foo.edu> is temporarily over quota, please try again later
C: EHLO foo.edu
S: 500 5.5.1 Error: command not recognized
C: QUIT
S: 221 2.0.0 Bye
E: quit
X: close
",
        config,
    );
}

/// RFC 4954 section 4 example, PLAIN with an initial response after STARTTLS, and the same
/// without initial response (334 with an empty challenge).
#[test]
fn rfc4954_auth_plain_after_starttls() {
    run(
        &with_ehlo(
            "
C: AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=
S: 503 5.5.1 Error: authentication not enabled
C: STARTTLS
S: 220 2.0.0 Ready to start TLS
X: starttls
E: tls
C: MAIL FROM:<a@b.c>
S: 503 5.5.1 Error: send HELO/EHLO first
C: EHLO client.example.com
S: 250-foo.com
S: 250-PIPELINING
S: 250-SIZE 36700160
S: 250-AUTH SCRAM-SHA-256 PLAIN LOGIN
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-CHUNKING
S: 250 DSN
E: ehlo client.example.com
C: AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=
E: auth-secret test
E: auth-identity test as test
A: accept
S: 235 2.7.0 Authentication successful
C: AUTH PLAIN
S: 503 5.5.1 Error: already authenticated
",
        ),
        foo,
    );
    run(
        &with_ehlo(
            "
C: STARTTLS
S: 220 2.0.0 Ready to start TLS
X: starttls
E: tls
C: EHLO client.example.com
S: 250-foo.com
S: 250-PIPELINING
S: 250-SIZE 36700160
S: 250-AUTH SCRAM-SHA-256 PLAIN LOGIN
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-CHUNKING
S: 250 DSN
E: ehlo client.example.com
C: AUTH PLAIN
S: 334 
C: AHRlc3QAd3Jvbmc=
E: auth-secret test
S: 535 5.7.8 Error: authentication failed
C: AUTH LOGIN
S: 334 VXNlcm5hbWU6
C: *
S: 501 5.7.0 Authentication aborted
C: AUTH LOGIN dGVzdA==
S: 334 UGFzc3dvcmQ6
C: MTIzNA==
E: auth-secret test
E: auth-identity test
A: reject 535 5.7.8 not today
S: 535 5.7.8 not today
C: MAIL FROM:<a@b.c>
E: mail <a@b.c>
A: accept
S: 250 2.1.0 Ok
C: AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=
S: 503 5.5.1 Error: MAIL transaction in progress
C: AUTH CRAM-MD5
S: 503 5.5.1 Error: MAIL transaction in progress
",
        ),
        foo,
    );
}

/// RFC 3461 section 6.2 example: DSN parameters on MAIL and RCPT.
#[test]
fn rfc3461_dsn_parameters() {
    run(
        &with_ehlo(
            "
C: MAIL FROM:<Alice@Blivet.COM> RET=HDRS ENVID=QQ314159
E: mail <Alice@Blivet.COM> RET=HDRS ENVID=QQ314159
A: accept
C: RCPT TO:<Bob@Blivet.COM> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob@Blivet.COM
E: rcpt <Bob@Blivet.COM> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob@Blivet.COM
A: accept
C: RCPT TO:<Fred@Bombs.AF.MIL> NOTIFY=NEVER
E: rcpt <Fred@Bombs.AF.MIL> NOTIFY=NEVER
A: accept
C: RCPT TO:<George@Tax-ME.GOV> NOTIFY=FAILURE ORCPT=rfc822;George@Tax-ME.GOV
E: rcpt <George@Tax-ME.GOV> NOTIFY=FAILURE ORCPT=rfc822;George@Tax-ME.GOV
A: accept
S: 250 2.1.0 Ok
S: 250 2.1.5 Ok
S: 250 2.1.5 Ok
S: 250 2.1.5 Ok
C: RCPT TO:<x@y.z> X-UNKNOWN=1
S: 555 5.5.4 Unsupported option: unknown parameter
C: MAIL FROM:<a@b.c> SMTPUTF8
S: 503 5.5.1 Error: nested MAIL command
",
        ),
        foo,
    );
}

/// RFC 5321 4.1.4 ordering, with Postfix's replies.
#[test]
fn command_ordering() {
    run(
        "
S: 220 foo.com ESMTP
C: MAIL FROM:<a@b.c>
S: 503 5.5.1 Error: send HELO/EHLO first
C: HELO bar.com
S: 250 foo.com
E: helo bar.com
C: MAIL FROM:<a@b.c> SIZE=10
S: 555 5.5.4 Unsupported option: parameters after HELO
C: RCPT TO:<x@y.z>
S: 503 5.5.1 Error: need MAIL command
C: DATA
S: 503 5.5.1 Error: need MAIL command
C: MAIL FROM:<>
E: mail <>
A: accept
S: 250 2.1.0 Ok
C: MAIL FROM:<a@b.c>
S: 503 5.5.1 Error: nested MAIL command
C: DATA
S: 503 5.5.1 Error: need RCPT command
C: EHLO bar.com
S: 250-foo.com
S: 250-PIPELINING
S: 250-SIZE 36700160
S: 250-STARTTLS
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-CHUNKING
S: 250 DSN
E: ehlo bar.com
E: reset
C: RCPT TO:<x@y.z>
S: 503 5.5.1 Error: need MAIL command
C: MAIL FROM:<a@b.c> BODY=BINARYMIME
S: 555 5.5.4 Unsupported option: BODY=BINARYMIME
C: MAIL FROM:<用户@例子.广告>
S: 553 5.6.7 Error: non-ASCII address without SMTPUTF8
C: FOO
S: 502 5.5.2 Error: command not recognized
C: MAIL FROM:<a@@b>
S: 501 5.1.7 Bad sender address syntax
C: NOOP
S: 250 2.0.0 Ok
C: HELP
S: 214 2.0.0 See RFC 5321
C: EXPN list
S: 502 5.5.1 Error: command not implemented
C: STARTTLS now
S: 501 5.5.4 Syntax error in parameters or arguments
",
        foo,
    );
}

/// A timeout (RFC 5321 4.5.3.2.7) ends the session with 421; input restarts it from the
/// instant it arrived.
#[test]
fn timeout_closes_with_421() {
    run(
        "
S: 220 foo.com ESMTP
T: +299s
C: NOOP
S: 250 2.0.0 Ok
T: +2s
T: +297s
T: +1s
S: 421 4.4.2 foo.com Error: timeout exceeded
E: error: timeout in phase command
X: close
",
        foo,
    );
}

/// Optional decisions: the connection and HELO.
#[test]
fn connection_and_hello_decisions() {
    run(
        "
E: connect
A: reject 554 5.7.1 go away
S: 554 5.7.1 go away
X: close
",
        || foo().with_decide_connection(true),
    );
    run(
        "
E: connect
A: accept
S: 220 foo.com ESMTP
C: HELO spammer
E: helo spammer
A: reject 550 5.7.1 no
S: 550 5.7.1 no
C: MAIL FROM:<a@b.c>
S: 503 5.5.1 Error: send HELO/EHLO first
",
        || foo().with_decide_connection(true).with_decide_hello(true),
    );
}

fn feed(server: &mut Server, bytes: &[u8]) -> (Vec<String>, Vec<u8>) {
    server.receive(bytes);
    drain(server)
}

/// Drains events (accepting every decision), and returns them with what the server sent.
fn drain(server: &mut Server) -> (Vec<String>, Vec<u8>) {
    let mut events = Vec::new();
    loop {
        let Some(event) = server.poll_event() else {
            break;
        };
        match event {
            Ok(ServerEvent::BodyChunk(chunk)) => {
                events.push(format!("body {}", String::from_utf8_lossy(&chunk)))
            }
            Ok(ServerEvent::MailFrom { decision, .. }) => {
                events.push("mail".to_owned());
                server.accept(decision).unwrap();
            }
            Ok(ServerEvent::RcptTo { decision, .. }) => {
                events.push("rcpt".to_owned());
                server.accept(decision).unwrap();
            }
            Ok(ServerEvent::DataEnd { decision, size, .. }) => {
                events.push(format!("end {size}"));
                server.accept(decision).unwrap();
            }
            Ok(ServerEvent::MessageRefused { reply }) => events.push(format!("refused {}", reply.code())),
            Ok(other) => events.push(format!("{other:?}")),
            Err(e) => events.push(format!("error {e}")),
        }
    }
    let out = server.transmit().to_vec();
    server.advance_transmit(out.len());
    (events, out)
}

fn ready(config: ServerConfig) -> Server {
    let mut s = Server::new(config, Instant::now());
    let _ = feed(
        &mut s,
        b"EHLO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\n",
    );
    s
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

/// Each bogus end of data never ends DATA: what follows it is body, not commands.
#[test]
fn bogus_end_of_data_never_ends_data() {
    for bogus in BOGUS {
        for endings in [BareLineEnding::Reject, BareLineEnding::Normalize] {
            let mut s = ready(foo().with_bare_line_endings(endings));
            let mut input = b"DATA\r\nx".to_vec();
            input.extend_from_slice(bogus);
            input.extend_from_slice(b"MAIL FROM:<evil@x.y>\r\nRCPT TO:<v@x.y>\r\n");
            let (events, _) = feed(&mut s, &input);
            assert!(
                events.iter().all(|e| e.starts_with("body ")),
                "{bogus:?}: {events:?}"
            );
            let mut body: String = events.iter().map(|e| &e[5..]).collect();
            let (events, out) = feed(&mut s, b".\r\n");
            let out = String::from_utf8_lossy(&out).into_owned();
            match endings {
                BareLineEnding::Reject => {
                    assert_eq!(events.last().unwrap(), "refused 550", "{bogus:?}");
                    assert!(
                        out.starts_with("550 5.5.2 localhost Error: bare")
                            || out.starts_with("550 5.5.2 foo.com Error: bare"),
                        "{out}"
                    );
                }
                _ => {
                    assert!(events.last().unwrap().starts_with("end "), "{events:?}");
                    body.extend(events.iter().filter_map(|e| e.strip_prefix("body ")));
                    assert!(body.contains("MAIL FROM:<evil@x.y>\r\n"), "{body:?}");
                    // Normalised: no bare CR or LF is left.
                    assert!(!body.replace("\r\n", "").contains(['\r', '\n']), "{body:?}");
                }
            }
        }
    }
}

#[test]
fn starttls_injection_is_fatal() {
    let mut s = Server::new(foo(), Instant::now());
    let _ = feed(&mut s, b"EHLO x\r\n");
    let (events, out) = feed(&mut s, b"STARTTLS\r\nMAIL FROM:<evil@x.y>\r\n");
    assert_eq!(
        events,
        vec![format!("error {}", ProtocolError::DataAfterStartTls)]
    );
    assert!(out.is_empty(), "no 220 go-ahead: {}", show(&out));
    assert_eq!(s.poll_transport(), Some(TransportAction::Close));
    // James's vector: the injection in the same line group.
    let mut s = Server::new(foo(), Instant::now());
    let (events, _) = feed(
        &mut s,
        b"ehlo yopmail.com\r\nstarttls\r\nmail from:<matthieu@yopmail.com>\r\n",
    );
    assert!(
        events.iter().any(|e| e.contains("after STARTTLS")),
        "{events:?}"
    );
}

#[test]
fn bdat_size_is_never_reserved() {
    let mut s = ready(foo());
    let (events, out) = feed(&mut s, b"BDAT 999999999999 LAST\r\nabc");
    assert!(out.is_empty(), "{}", show(&out));
    assert!(events.is_empty(), "{events:?}");
    assert!(s.transmit().is_empty());
}

// Limits at N (accepted) and N+1 (refused).

#[test]
fn limit_command_line() {
    let mut config = foo().with_extensions(smtp_proto::Capabilities::default());
    config.limits = Limits::default().with_max_command_line(20);
    // SIZE is always offered: 20 + 26.
    let mut s = Server::new(config, Instant::now());
    let n = format!("NOOP {}\r\n", "x".repeat(46 - 7));
    assert_eq!(n.len(), 46);
    let (_, out) = feed(&mut s, n.as_bytes());
    assert!(out.ends_with(b"250 2.0.0 Ok\r\n"), "{}", show(&out));
    let n1 = format!("NOOP {}\r\n", "x".repeat(46 - 6));
    let (_, out) = feed(&mut s, n1.as_bytes());
    assert_eq!(out, b"500 5.5.0 Error: line too long\r\n");
}

#[test]
fn limit_recipients() {
    let mut config = foo();
    config.limits = Limits::default().with_max_recipients(2);
    let mut s = Server::new(config, Instant::now());
    let (events, out) = feed(
        &mut s,
        b"EHLO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<1@e.f>\r\nRCPT TO:<2@e.f>\r\nRCPT TO:<3@e.f>\r\n",
    );
    assert_eq!(events.iter().filter(|e| *e == "rcpt").count(), 2);
    assert!(
        out.ends_with(b"250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n452 4.5.3 Error: too many recipients\r\n"),
        "{}",
        show(&out)
    );
}

#[test]
fn limit_message_size_after_draining() {
    for (size, refused) in [(10u64, false), (9, true)] {
        let mut config = foo();
        config.limits = Limits::default().with_max_message_size(size);
        let mut s = ready(config);
        let (events, out) = feed(&mut s, b"DATA\r\n12345678\r\n.\r\nNOOP\r\n");
        if refused {
            assert_eq!(events, vec!["refused 552"]);
            assert!(
                out.ends_with(b"552 5.3.4 Error: message file too big\r\n250 2.0.0 Ok\r\n"),
                "{}",
                show(&out)
            );
        } else {
            assert_eq!(events, vec!["body 12345678\r\n", "end 10"]);
        }
        // SIZE= above the limit is refused at MAIL.
        let mut config = foo();
        config.limits = Limits::default().with_max_message_size(10);
        let mut s = Server::new(config, Instant::now());
        let (_, out) = feed(
            &mut s,
            format!(
                "EHLO x\r\nMAIL FROM:<a@b.c> SIZE={}\r\n",
                if refused { 11 } else { 10 }
            )
            .as_bytes(),
        );
        assert_eq!(
            out.ends_with(b"552 5.3.4 Message size exceeds fixed limit\r\n"),
            refused,
            "{}",
            show(&out)
        );
    }
}

#[test]
fn limit_text_line() {
    for (len, refused) in [(1000usize, false), (1001, true)] {
        let mut s = ready(foo());
        let mut data = b"DATA\r\n".to_vec();
        data.extend(std::iter::repeat_n(b'a', len - 2));
        data.extend_from_slice(b"\r\n.\r\n");
        let (events, _) = feed(&mut s, &data);
        assert_eq!(
            events.iter().any(|e| e.starts_with("refused 554")),
            refused,
            "{len}: {events:?}"
        );
    }
}

#[test]
fn limit_errors_before_disconnect() {
    let mut config = foo();
    config.limits = Limits::default().with_max_errors(3);
    let mut s = Server::new(config, Instant::now());
    let (_, out) = feed(&mut s, b"FOO\r\nFOO\r\nFOO\r\n");
    assert_eq!(
        out.split(|&b| b == b'\n')
            .filter(|l| l.starts_with(b"502"))
            .count(),
        3
    );
    assert_eq!(s.poll_transport(), None);
    let (events, out) = feed(&mut s, b"FOO\r\n");
    assert_eq!(out, b"421 4.7.0 foo.com Error: too many errors\r\n");
    assert_eq!(
        events,
        vec![format!("error {}", ProtocolError::TooManyErrors)]
    );
    assert_eq!(s.poll_transport(), Some(TransportAction::Close));
}

#[test]
fn limit_auth_line() {
    for (len, ok) in [(12288usize, true), (12289, false)] {
        let mut config = foo().with_plaintext_auth(true);
        config.limits = Limits::default();
        let mut s = Server::new(config, Instant::now());
        let _ = feed(&mut s, b"EHLO x\r\nAUTH PLAIN\r\n");
        // A response line of `len` octets of valid base64.
        let mut line = "QUFB".repeat(len / 4);
        line.push_str(&"A".repeat(len % 4));
        let (_, out) = feed(&mut s, format!("{line}\r\n").as_bytes());
        let out = String::from_utf8_lossy(&out).into_owned();
        if ok {
            assert!(out.starts_with("535"), "{len}: {out}");
        } else {
            assert!(
                out.starts_with("501") || out.starts_with("500"),
                "{len}: {out}"
            );
        }
    }
}
