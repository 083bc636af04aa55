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
use sasl_proto::{Credentials, Mechanism, Secret, StoredSecret};
use smtp_proto::{ServerEvent, ServerConfig};
use smtp_proto::{ForwardPath, Reply, ReplyCode, Server};

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
                ServerEvent::AuthSecret {
                    authcid, decision, ..
                } => {
                    let secret =
                        (authcid == "alice").then(|| StoredSecret::Password(Secret::new("secret")));
                    server.provide_secret(decision, secret).unwrap();
                }
                ServerEvent::AuthIdentity {
                    authcid,
                    mechanism,
                    decision,
                    ..
                } => {
                    got.user = Some(authcid);
                    got.mechanism = Some(mechanism);
                    server.accept(decision).unwrap();
                }
                ServerEvent::MailFrom { decision, .. } => server.accept(decision).unwrap(),
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
                ServerEvent::BodyChunk(chunk) => got.body.extend_from_slice(&chunk),
                ServerEvent::DataEnd { decision, .. } => server.accept(decision).unwrap(),
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
        &["bob@example.net", "nobody@example.net"],
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
        &["bob@example.net"],
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
        &["bob@example.net"],
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
        &["bob@example.net"],
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
        &["bob@example.net"],
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
        &["bob@example.net"],
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
