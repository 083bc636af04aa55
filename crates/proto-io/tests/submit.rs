//! The submit short call against smtp-proto's server machine on 127.0.0.1, through a real
//! STARTTLS and AUTH, with one refused recipient; blocking and async.

#![cfg(feature = "smtp")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::net::TcpListener;
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use proto_io::submit::{SubmitError, SubmitOptions, submit};
use proto_io::{Collector, Driver, Endpoint, ServerTls, Stream, TlsMode, TlsUpgrade, Trace, Trust};
use sasl_proto::{Answer, Credentials, Mechanism, Question, Secret, StoredSecret};
use smtp_proto::{ForwardPath, Reply, ReplyCode, ReversePath, Server};
use smtp_proto::{ServerConfig, ServerEvent};

fn self_signed() -> ServerTls {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    ServerTls::from_pem(
        cert.cert.pem().as_bytes(),
        cert.key_pair.serialize_pem().as_bytes(),
    )
    .unwrap()
}

/// What the server saw: the envelope and the body of each message.
#[derive(Debug, Default)]
struct Received {
    user: Option<String>,
    mechanism: Option<Mechanism>,
    rcpts: Vec<String>,
    body: Vec<u8>,
    tls: bool,
    /// Each MAIL FROM's path (empty for `<>`).
    senders: Vec<String>,
    /// Each accepted message, whole.
    messages: Vec<Vec<u8>>,
    /// How many RSET commands came.
    resets: usize,
    /// The message being received.
    current: Vec<u8>,
}

/// Serves one connection: STARTTLS, AUTH for alice/secret, refuses nobody@.
fn serve_once(listener: TcpListener) -> thread::JoinHandle<Received> {
    serve_with(listener, ServerConfig::default())
}

fn serve_with(listener: TcpListener, config: ServerConfig) -> thread::JoinHandle<Received> {
    serve(listener, config, false)
}

/// Serves one connection with `config`, in TLS from the first byte when `implicit`.
fn serve(
    listener: TcpListener,
    config: ServerConfig,
    implicit: bool,
) -> thread::JoinHandle<Received> {
    thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        let mut config = config.with_hostname("mx.example.net".into());
        let stream = if implicit {
            let (stream, info) = Stream::tls_server(tcp, &self_signed()).unwrap();
            config = config.with_tls_info(info);
            stream
        } else {
            Stream::Plain(tcp)
        };
        let server = Server::new(config, Instant::now());
        let mut driver =
            Driver::new(server, stream).with_tls_upgrade(TlsUpgrade::Server(self_signed()));
        let mut got = Received::default();
        while let Some(event) = driver.next_event().unwrap() {
            let server = driver.machine();
            match event {
                ServerEvent::AuthQuestion { question, decision } => {
                    let answer = match question {
                        Question::VerifyPassword { authcid, .. }
                        | Question::Secret { authcid, .. } => Answer::Secret(
                            (authcid == "alice")
                                .then(|| StoredSecret::Password(Secret::new("secret"))),
                        ),
                        Question::Authorize {
                            authcid, mechanism, ..
                        } => {
                            got.user = Some(authcid);
                            got.mechanism = Some(mechanism);
                            Answer::Authorize(true)
                        }
                        other => panic!("{other:?}"),
                    };
                    server.answer_auth(decision, answer).unwrap();
                }
                ServerEvent::MailFrom { from, decision, .. } => {
                    got.senders.push(match from {
                        ReversePath::Mailbox(m) => m.to_string(),
                        _ => String::new(),
                    });
                    server.accept(decision).unwrap()
                }
                ServerEvent::Reset => got.resets += 1,
                ServerEvent::RcptTo { to, decision, .. } => {
                    let ForwardPath::Mailbox(m) = &to else {
                        panic!()
                    };
                    if m.local_part() == "nobody" {
                        let reply =
                            Reply::new(ReplyCode::MAILBOX_UNAVAILABLE, None, "no such user")
                                .unwrap();
                        server.reject(decision, reply).unwrap();
                    } else {
                        got.rcpts.push(m.to_string());
                        server.accept(decision).unwrap();
                    }
                }
                ServerEvent::BodyChunk(chunk) => {
                    got.body.extend_from_slice(&chunk);
                    got.current.extend_from_slice(&chunk);
                }
                ServerEvent::DataEnd { decision, .. } => {
                    got.messages.push(std::mem::take(&mut got.current));
                    server.accept(decision).unwrap()
                }
                ServerEvent::TlsEstablished => got.tls = true,
                _ => {}
            }
        }
        got
    })
}

/// Submission options for alice with `password`, trusting the test's self-signed certificate.
fn alice(port: u16, mode: TlsMode, password: &str) -> SubmitOptions {
    SubmitOptions::new(
        Endpoint::new("localhost", port, mode).trust(Trust::AcceptInvalidCertificates),
    )
    .credentials(Credentials::password("alice", password))
}

const MESSAGE: &[u8] = b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: hi\r\n\r\n.a line with a dot\r\n..two dots\r\n.\r\nlast line\r\n";

#[test]
fn submit_with_starttls_auth_and_a_refused_recipient() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = serve_once(listener);
    let options = SubmitOptions::new(
        Endpoint::new("localhost", port, TlsMode::StartTls).trust(Trust::AcceptInvalidCertificates),
    )
    .hostname("client.example.org")
    .credentials(Credentials::password("alice", "secret"));
    let collector = Collector::new();
    let trace = Trace::new("alice", Arc::new(collector.clone()));
    let report = submit(
        &options,
        "alice@example.org",
        ["bob@example.net", "nobody@example.net"],
        MESSAGE,
        Some(trace),
    )
    .unwrap();
    assert_eq!(report.accepted, vec!["bob@example.net"]);
    assert_eq!(report.refused.len(), 1);
    assert_eq!(report.refused[0].0, "nobody@example.net");
    assert_eq!(report.refused[0].1.code(), ReplyCode::MAILBOX_UNAVAILABLE);
    assert!(report.reply.unwrap().code().is_positive());

    let got = server.join().unwrap();
    assert!(got.tls, "STARTTLS happened");
    assert_eq!(got.user.as_deref(), Some("alice"));
    assert_eq!(got.rcpts, vec!["bob@example.net"]);
    // Lines starting with dots (one alone on its line) arrive as they were written.
    assert_eq!(got.body, MESSAGE);
    let lines = collector.lines();
    assert!(
        lines
            .iter()
            .any(|l| l.text.starts_with("AUTH ") && l.text.ends_with("***") || l.text == "***")
    );
    assert!(
        !lines.iter().any(|l| l.text.contains("c2VjcmV0")),
        "no credential in the trace"
    );
}

/// Implicit TLS (port 465): both machines start protected and know the channel bindings, so
/// SCRAM-SHA-256-PLUS is offered, chosen and bound.
#[test]
fn implicit_tls_binds_scram_plus_to_the_channel() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = ServerConfig::default()
        .with_auth_mechanisms(vec![Mechanism::ScramSha256Plus, Mechanism::ScramSha256]);
    let server = serve(listener, config, true);
    let options = alice(port, TlsMode::Implicit, "secret");
    let report = submit(
        &options,
        "alice@example.org",
        ["bob@example.net"],
        MESSAGE,
        None,
    )
    .unwrap();
    assert_eq!(report.accepted, vec!["bob@example.net"]);
    let got = server.join().unwrap();
    assert_eq!(got.mechanism, Some(Mechanism::ScramSha256Plus));
    assert_eq!(got.user.as_deref(), Some("alice"));
    assert_eq!(got.body, MESSAGE);
}

#[test]
fn without_chunking_the_body_goes_through_data() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut extensions = ServerConfig::default().extensions;
    extensions.chunking = false;
    extensions.binary_mime = false;
    let server = serve_with(
        listener,
        ServerConfig::default().with_extensions(extensions),
    );
    let options = alice(port, TlsMode::StartTls, "secret");
    let report = submit(
        &options,
        "alice@example.org",
        ["bob@example.net"],
        MESSAGE,
        None,
    )
    .unwrap();
    assert_eq!(report.accepted, vec!["bob@example.net"]);
    assert_eq!(
        server.join().unwrap().body,
        MESSAGE,
        "dot-stuffed on the wire, whole on arrival"
    );
}

#[test]
fn bare_line_ends_are_normalised_on_the_bdat_path_too() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = serve_once(listener);
    let options = alice(port, TlsMode::StartTls, "secret");
    let lf_only = b"Subject: lf\n\n.dot\nlast line ends with a bare CR\r";
    submit(
        &options,
        "alice@example.org",
        ["bob@example.net"],
        &lf_only[..],
        None,
    )
    .unwrap();
    assert_eq!(
        server.join().unwrap().body,
        b"Subject: lf\r\n\r\n.dot\r\nlast line ends with a bare CR\r\n"
    );
}

#[test]
fn a_refused_bdat_chunk_is_the_reported_cause() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut limits = smtp_proto::Limits::default();
    limits.max_message_size = 64;
    let _server = serve_with(listener, ServerConfig::default().with_limits(limits));
    let options = alice(port, TlsMode::StartTls, "secret");
    let big = [MESSAGE, &[b'x'; 200][..], b"\r\n"].concat();
    match submit(
        &options,
        "alice@example.org",
        ["bob@example.net"],
        big.as_slice(),
        None,
    ) {
        Err(SubmitError::Refused { stage, reply }) => {
            assert!(matches!(stage, "BDAT" | "end of data"), "{stage}");
            assert_eq!(reply.code().get(), 552);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn wrong_password_is_a_typed_refusal() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _server = serve_once(listener);
    let options = alice(port, TlsMode::StartTls, "wrong");
    let error = submit(
        &options,
        "alice@example.org",
        ["bob@example.net"],
        MESSAGE,
        None,
    )
    .unwrap_err();
    match error {
        SubmitError::Refused {
            stage: "AUTH",
            reply,
        } => assert_eq!(reply.code().get(), 535),
        other => panic!("unexpected {other:?}"),
    }
}

#[cfg(feature = "tokio")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_async_delivers_too() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = serve_once(listener);
    let options = alice(port, TlsMode::StartTls, "secret");
    let report = proto_io::submit::submit_async(&options, "", &["bob@example.net"], MESSAGE, None)
        .await
        .unwrap();
    assert_eq!(report.accepted, vec!["bob@example.net"]);
    let got = tokio::task::spawn_blocking(move || server.join().unwrap())
        .await
        .unwrap();
    assert!(got.body.starts_with(b"From: alice@example.org\r\n"));
}

#[test]
fn a_data_body_far_over_the_high_water_mark_streams_through_the_blocking_driver() {
    // The body is taken in pieces as writing makes room (BodyWritable events raised while
    // writing): the half-duplex driver must hand them out before it ever reads, or the
    // session stalls until the server's timeout.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut extensions = ServerConfig::default().extensions;
    extensions.chunking = false;
    extensions.binary_mime = false;
    let server = serve_with(
        listener,
        ServerConfig::default().with_extensions(extensions),
    );
    let mut message = b"From: alice@example.org\r\nSubject: big\r\n\r\n".to_vec();
    for n in 0..3000 {
        message.extend_from_slice(format!("{n:06} {}\r\n", ".".repeat(92)).as_bytes());
    }
    let started = std::time::Instant::now();
    let report = submit(
        &alice(port, TlsMode::StartTls, "secret"),
        "alice@example.org",
        ["bob@example.net"],
        &message[..],
        None,
    )
    .unwrap();
    assert_eq!(report.accepted, vec!["bob@example.net"]);
    assert_eq!(server.join().unwrap().body, message);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

/// A message built with rfc5322 goes to the recipients of its header: MAIL FROM from Sender,
/// RCPT TO from To (a group), Cc and Bcc, each once; the octets sent hold no Bcc field; the
/// body's end goes as the LAST chunk, with no empty `BDAT 0 LAST`.
#[test]
fn submit_message_takes_the_envelope_from_the_header_and_leaves_bcc_out() {
    use proto_io::submit::submit_message;
    use rfc5322::{Address, Mailbox, MessageBuilder};

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = serve_once(listener);
    let outgoing = MessageBuilder::new()
        .from(Mailbox::parse("Alice <alice@example.org>").unwrap())
        .sender(Mailbox::parse("list-bounces@example.org").unwrap())
        .to(Address::parse("Team: bob@example.net, \"C, D\" <carol@example.net>;").unwrap())
        .cc(Mailbox::parse("Bob <bob@EXAMPLE.net>").unwrap())
        .bcc(Mailbox::parse("secret@example.com").unwrap())
        .subject("hi")
        .text("Hello\n")
        .build_outgoing()
        .unwrap();
    let collector = Collector::new();
    let trace = Trace::new("alice", Arc::new(collector.clone()));
    let report = submit_message(
        &alice(port, TlsMode::StartTls, "secret"),
        &outgoing,
        Some(trace),
    )
    .unwrap();
    assert_eq!(
        report.accepted,
        ["bob@example.net", "carol@example.net", "secret@example.com"]
    );
    let got = server.join().unwrap();
    assert_eq!(got.senders, ["list-bounces@example.org"]);
    assert_eq!(
        got.rcpts,
        ["bob@example.net", "carol@example.net", "secret@example.com"]
    );
    assert_eq!(got.messages.len(), 1);
    assert_eq!(got.messages[0], outgoing.message);
    let sent = String::from_utf8(got.body).unwrap();
    assert!(sent.contains("\r\nTo: Team: bob@example.net"), "{sent}");
    assert!(!sent.to_ascii_lowercase().contains("\nbcc:"), "{sent}");
    assert!(!sent.contains("secret@example.com"), "{sent}");
    let lines: Vec<String> = collector.lines().into_iter().map(|l| l.text).collect();
    let bdat: Vec<&String> = lines.iter().filter(|l| l.starts_with("BDAT")).collect();
    assert_eq!(bdat.len(), 1, "{lines:?}");
    assert!(
        bdat[0].starts_with(&format!("BDAT {} LAST", outgoing.message.len())),
        "{lines:?}"
    );
}

/// An explicit envelope replaces the header's.
#[test]
fn submit_message_with_an_explicit_envelope() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = serve_once(listener);
    let mut outgoing = proto_io::submit::Outgoing::new(MESSAGE).unwrap();
    outgoing.envelope = proto_io::submit::Envelope::new(
        None,
        [rfc5322::Mailbox::from_addr_spec("carol@example.net")],
    );
    let report = proto_io::submit::submit_message(
        &alice(port, TlsMode::StartTls, "secret"),
        &outgoing,
        None,
    )
    .unwrap();
    assert_eq!(report.accepted, ["carol@example.net"]);
    let got = server.join().unwrap();
    assert_eq!(got.senders, [""]);
    assert_eq!(got.rcpts, ["carol@example.net"]);
    assert_eq!(got.body, MESSAGE);
}

/// Recipient lists are any iterable of string-like items; each is parsed before anything
/// connects (the port here is closed: an address error comes first).
#[test]
fn recipient_lists_take_any_iterable_of_strings() {
    let options = SubmitOptions::new(Endpoint::new("127.0.0.1", 9, TlsMode::Plain));
    let owned: Vec<String> = vec!["ok@example.org".into(), "bad one".into()];
    let slice: &[&str] = &["ok@example.org", "bad two"];
    let address = |r: Result<_, SubmitError>| match r {
        Err(SubmitError::Address(a)) => a,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        address(submit(&options, "", owned, MESSAGE, None)),
        "bad one"
    );
    assert_eq!(
        address(submit(&options, "", slice, MESSAGE, None)),
        "bad two"
    );
    assert_eq!(
        address(submit(&options, "", ["bad three"], MESSAGE, None)),
        "bad three"
    );
    let borrowed = vec![String::from("bad four")];
    assert_eq!(
        address(submit(&options, "", &borrowed, MESSAGE, None)),
        "bad four"
    );
    assert_eq!(
        address(submit(
            &options,
            "",
            borrowed.iter().map(|s| s.to_uppercase()),
            MESSAGE,
            None
        )),
        "BAD FOUR"
    );
    assert_eq!(
        address(submit(
            &options,
            "bad from",
            ["a@example.org"],
            MESSAGE,
            None
        )),
        "bad from"
    );
}

/// A session as alice with a server that offers CHUNKING or not.
fn session_with_chunking(
    chunking: bool,
) -> (thread::JoinHandle<Received>, proto_io::submit::Session) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut extensions = ServerConfig::default().extensions;
    extensions.chunking = chunking;
    extensions.binary_mime = chunking;
    let server = serve_with(
        listener,
        ServerConfig::default().with_extensions(extensions),
    );
    let options = alice(port, TlsMode::StartTls, "secret");
    let session = proto_io::submit::Session::connect(&options, None).unwrap();
    (server, session)
}

/// Three messages over one connection (the test server accepts one): the second has no
/// recipient the server takes, so RSET follows it and the third goes through. Over BDAT and
/// over DATA.
#[test]
fn a_session_sends_several_messages_with_rset_after_a_failure() {
    for chunking in [true, false] {
        let (server, mut session) = session_with_chunking(chunking);
        let first = b"Subject: one\r\n\r\nfirst\r\n";
        let third = b"Subject: three\r\n\r\nthird\r\n";
        let report = session
            .submit("alice@example.org", ["bob@example.net"], &first[..])
            .unwrap();
        assert_eq!(report.accepted, ["bob@example.net"]);
        match session.submit("alice@example.org", ["nobody@example.net"], &b"x\r\n"[..]) {
            Err(SubmitError::NoRecipient(refused)) => {
                assert_eq!(refused[0].0, "nobody@example.net")
            }
            other => panic!("chunking {chunking}: {other:?}"),
        }
        let outgoing = rfc5322::Outgoing::new(
            [
                &b"From: alice@example.org\r\nTo: carol@example.net\r\n"[..],
                third,
            ]
            .concat(),
        )
        .unwrap();
        let report = session.submit_message(&outgoing).unwrap();
        assert_eq!(report.accepted, ["carol@example.net"]);
        session.quit().unwrap();
        let got = server.join().unwrap();
        assert_eq!(got.resets, 1, "chunking {chunking}");
        assert_eq!(got.rcpts, ["bob@example.net", "carol@example.net"]);
        assert_eq!(got.messages.len(), 2, "chunking {chunking}");
        assert_eq!(got.messages[0], first);
        assert_eq!(got.messages[1], outgoing.message);
    }
}

/// An address the client cannot write fails before anything is sent: the session goes on
/// without a RSET.
#[test]
fn a_session_goes_on_after_an_address_error_without_a_reset() {
    use proto_io::submit::Session;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = serve_once(listener);
    let mut session = Session::connect(&alice(port, TlsMode::StartTls, "secret"), None).unwrap();
    // An address the client refuses to write: nothing is sent, the session is untouched.
    assert!(matches!(
        session.submit("alice@example.org", ["not an address"], MESSAGE),
        Err(SubmitError::Address(_))
    ));
    let report = session
        .submit("alice@example.org", ["bob@example.net"], MESSAGE)
        .unwrap();
    assert_eq!(report.accepted, ["bob@example.net"]);
    session.quit().unwrap();
    let got = server.join().unwrap();
    assert_eq!(got.messages, [MESSAGE.to_vec()]);
    assert_eq!(got.resets, 0);
}

#[cfg(feature = "tokio")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_session_sends_two_messages_over_one_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = serve_once(listener);
    let options = alice(port, TlsMode::StartTls, "secret");
    let mut session = proto_io::submit::AsyncSession::connect(&options, None)
        .await
        .unwrap();
    for to in ["bob@example.net", "carol@example.net"] {
        let report = session
            .submit("alice@example.org", [to], MESSAGE)
            .await
            .unwrap();
        assert_eq!(report.accepted, [to]);
    }
    session.quit().await.unwrap();
    let got = tokio::task::spawn_blocking(move || server.join().unwrap())
        .await
        .unwrap();
    assert_eq!(got.messages, [MESSAGE.to_vec(), MESSAGE.to_vec()]);
}

/// A message whose reading fails after its first octets.
struct Broken(bool);

impl std::io::Read for Broken {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if std::mem::replace(&mut self.0, true) {
            return Err(std::io::Error::other("disk gone"));
        }
        let part = b"Subject: cut\r\n\r\nthe first half";
        buf[..part.len()].copy_from_slice(part);
        Ok(part.len())
    }
}

/// A body refused at its end (over the server's size limit) is followed by RSET and the next
/// message goes through.
#[test]
fn a_session_goes_on_after_a_refused_body() {
    use proto_io::submit::Session;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut limits = smtp_proto::Limits::default();
    limits.max_message_size = 200;
    let server = serve_with(listener, ServerConfig::default().with_limits(limits));
    let mut session = Session::connect(&alice(port, TlsMode::StartTls, "secret"), None).unwrap();
    let big = [MESSAGE, &[b'x'; 300][..], b"\r\n"].concat();
    match session.submit("alice@example.org", ["bob@example.net"], big.as_slice()) {
        Err(SubmitError::Refused { reply, .. }) => assert_eq!(reply.code().get(), 552),
        other => panic!("unexpected {other:?}"),
    }
    let report = session
        .submit("alice@example.org", ["bob@example.net"], MESSAGE)
        .unwrap();
    assert!(report.reply.unwrap().code().is_positive());
    session.quit().unwrap();
    let got = server.join().unwrap();
    assert_eq!(got.resets, 1);
    assert_eq!(got.messages.last().unwrap(), MESSAGE);
}

/// A message that cannot be read: over BDAT the transaction is reset and the session goes on
/// (nothing was delivered); over DATA the body cannot be abandoned, so the connection is
/// closed without its end (nothing delivered either) and the session refuses further use.
#[test]
fn an_unreadable_message_resets_bdat_and_closes_data() {
    for chunking in [true, false] {
        let (server, mut session) = session_with_chunking(chunking);
        match session.submit("alice@example.org", ["bob@example.net"], Broken(false)) {
            Err(SubmitError::Body(e)) => assert_eq!(e.to_string(), "disk gone"),
            other => panic!("chunking {chunking}: {other:?}"),
        }
        let next = session.submit("alice@example.org", ["bob@example.net"], MESSAGE);
        if chunking {
            assert!(next.unwrap().reply.unwrap().code().is_positive());
            session.quit().unwrap();
        } else {
            assert!(matches!(next, Err(SubmitError::Closed(None))), "{next:?}");
            assert!(matches!(session.quit(), Err(SubmitError::Closed(None))));
        }
        let got = server.join().unwrap();
        if chunking {
            assert_eq!(got.resets, 1);
            assert_eq!(got.messages, [MESSAGE.to_vec()]);
        } else {
            assert!(got.messages.is_empty(), "chunking {chunking}");
        }
    }
}

/// 8-bit octets in a message ask for 8BITMIME, and in its header for SMTPUTF8 too.
#[test]
fn submit_message_declares_what_the_message_needs() {
    for (raw, utf8) in [
        (
            &b"From: a@example.org\r\nTo: b@example.net\r\n\r\ncaf\xc3\xa9\r\n"[..],
            false,
        ),
        (
            &b"From: a@example.org\r\nTo: b@example.net\r\nSubject: caf\xc3\xa9\r\n\r\nx\r\n"[..],
            true,
        ),
    ] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = serve_once(listener);
        let collector = Collector::new();
        let trace = Trace::new("alice", Arc::new(collector.clone()));
        let outgoing = rfc5322::Outgoing::new(raw).unwrap();
        proto_io::submit::submit_message(
            &alice(port, TlsMode::StartTls, "secret"),
            &outgoing,
            Some(trace),
        )
        .unwrap();
        assert_eq!(server.join().unwrap().messages, [raw.to_vec()]);
        let mail = collector
            .lines()
            .into_iter()
            .find(|l| l.text.starts_with("MAIL FROM"))
            .unwrap();
        assert!(mail.text.contains("BODY=8BITMIME"), "{}", mail.text);
        assert_eq!(mail.text.contains("SMTPUTF8"), utf8, "{}", mail.text);
    }
}
