//! Loopback servers for the tests: SMTP on smtp-proto's server machine and POP3 on
//! pop3-proto's, each driven by proto-io's blocking driver in a thread, with STARTTLS/STLS
//! and a self-signed certificate from rcgen.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    dead_code
)]

use std::collections::HashSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

use pop3_proto::{
    LoginRefusal, LoginRequest, MaildropEntry, SaslAnswer, SaslQuestion, ServerConfig as PopConfig,
    ServerEvent,
};
use proto_io::{Driver, ServerTls, Stream, TlsUpgrade};
use sasl_proto::{Secret, StoredSecret};
use smtp_proto::{ServerEvent, ServerConfig};
use smtp_proto::{ForwardPath, ReversePath};

/// A self-signed certificate for "localhost": the TLS setup and the PEM of the certificate.
pub fn self_signed() -> (ServerTls, String) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let pem = cert.cert.pem();
    let tls =
        ServerTls::from_pem(pem.as_bytes(), cert.key_pair.serialize_pem().as_bytes()).unwrap();
    (tls, pem)
}

/// What the SMTP server saw of one message.
#[derive(Debug, Default, Clone)]
pub struct Received {
    pub user: Option<String>,
    pub mail_from: String,
    pub rcpts: Vec<String>,
    pub body: Vec<u8>,
    pub tls: bool,
}

/// An SMTP server on 127.0.0.1 requiring STARTTLS and AUTH as alice/secret; refuses
/// nobody@. Serves connections one after the other, forever.
pub struct SmtpServer {
    pub port: u16,
    pub cert_pem: String,
    pub received: Arc<Mutex<Vec<Received>>>,
}

pub fn smtp_server() -> SmtpServer {
    smtp_server_with(false)
}

/// The same server, with TLS from the first byte when `implicit`.
pub fn smtp_server_with(implicit: bool) -> SmtpServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tls, cert_pem) = self_signed();
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { continue };
            let mut config = ServerConfig::default()
                .with_hostname("mx.example.net".into())
                .with_starttls(!implicit);
            // Implicit TLS: the handshake first, then a machine that starts protected.
            let stream = if implicit {
                let Ok((stream, info)) = Stream::tls_server(tcp, &tls) else {
                    continue;
                };
                config = config.with_tls_info(info);
                stream
            } else {
                Stream::Plain(tcp)
            };
            let server = smtp_proto::Server::new(config, Instant::now());
            let mut driver =
                Driver::new(server, stream).with_tls_upgrade(TlsUpgrade::Server(tls.clone()));
            let mut got = Received::default();
            let mut tls_up = driver.is_tls();
            while let Ok(Some(event)) = driver.next_event() {
                let server = driver.machine();
                match event {
                    ServerEvent::AuthSecret {
                        authcid, decision, ..
                    } => {
                        let secret = (authcid == "alice")
                            .then(|| StoredSecret::Password(Secret::new("secret")));
                        server.provide_secret(decision, secret).unwrap();
                    }
                    ServerEvent::AuthIdentity {
                        authcid, decision, ..
                    } => {
                        got.user = Some(authcid);
                        server.accept(decision).unwrap();
                    }
                    ServerEvent::MailFrom { from, decision, .. } => {
                        got.mail_from = match &from {
                            ReversePath::Mailbox(m) => m.to_string(),
                            _ => String::new(),
                        };
                        server.accept(decision).unwrap();
                    }
                    ServerEvent::RcptTo { to, decision, .. } => {
                        let ForwardPath::Mailbox(m) = &to else {
                            panic!()
                        };
                        if m.local_part() == "nobody" {
                            let reply = smtp_proto::Reply::new(
                                smtp_proto::ReplyCode::MAILBOX_UNAVAILABLE,
                                None,
                                "no such user",
                            )
                            .unwrap();
                            server.reject(decision, reply).unwrap();
                        } else {
                            got.rcpts.push(m.to_string());
                            server.accept(decision).unwrap();
                        }
                    }
                    ServerEvent::BodyChunk(chunk) => got.body.extend_from_slice(&chunk),
                    ServerEvent::DataEnd { decision, .. } => {
                        server.accept(decision).unwrap();
                        got.tls = tls_up;
                        store.lock().unwrap().push(std::mem::take(&mut got));
                    }
                    ServerEvent::TlsEstablished => tls_up = true,
                    _ => {}
                }
            }
        }
    });
    SmtpServer {
        port,
        cert_pem,
        received,
    }
}

/// bob's maildrop: (uid, message with CRLF line ends).
pub type Maildrop = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A POP3 server on 127.0.0.1 with STLS, USER/PASS and SASL PLAIN for bob/secret, serving
/// `maildrop`; deletions at QUIT are applied to it. Serves connections one after the other,
/// forever; counts the RETR commands it answered.
pub struct Pop3Server {
    pub port: u16,
    pub maildrop: Maildrop,
    pub retrieved: Arc<Mutex<Vec<String>>>,
}

pub fn pop3_server(messages: &[(&str, &[u8])]) -> Pop3Server {
    pop3_server_with(messages, false)
}

/// The same server, with TLS from the first byte when `implicit`.
pub fn pop3_server_with(messages: &[(&str, &[u8])], implicit: bool) -> Pop3Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tls, _) = self_signed();
    let maildrop: Maildrop = Arc::new(Mutex::new(
        messages
            .iter()
            .map(|(u, m)| (u.to_string(), m.to_vec()))
            .collect(),
    ));
    let retrieved = Arc::new(Mutex::new(Vec::new()));
    let (drop2, retr2) = (maildrop.clone(), retrieved.clone());
    thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { continue };
            let mut config = PopConfig::new().with_stls(!implicit);
            // Implicit TLS: the handshake first, then a machine that starts protected.
            let stream = if implicit {
                let Ok((stream, info)) = Stream::tls_server(tcp, &tls) else {
                    continue;
                };
                config = config.with_tls_info(info);
                stream
            } else {
                Stream::Plain(tcp)
            };
            let server = pop3_proto::Server::new(config, Instant::now());
            let mut driver =
                Driver::new(server, stream).with_tls_upgrade(TlsUpgrade::Server(tls.clone()));
            let listing: Vec<(String, Vec<u8>)> = drop2.lock().unwrap().clone();
            loop {
                let event = match driver.next_event() {
                    Ok(Some(event)) => event,
                    Ok(None) => break,
                    Err(e) => {
                        eprintln!("pop3 server: {e}");
                        break;
                    }
                };
                let server = driver.machine();
                match event {
                    ServerEvent::SaslQuestion {
                        question:
                            SaslQuestion::Secret {
                                authcid, password, ..
                            },
                        decision,
                    } => {
                        let ok = authcid == "bob"
                            && password.as_ref().is_some_and(|p| p.expose() == "secret");
                        server
                            .answer_sasl(decision, SaslAnswer::PasswordVerified(ok))
                            .unwrap();
                    }
                    ServerEvent::SaslQuestion {
                        question: SaslQuestion::Authorize { authcid, authzid },
                        decision,
                    } => {
                        let ok = authzid.is_none_or(|z| z == authcid);
                        server
                            .answer_sasl(decision, SaslAnswer::Authorize(ok))
                            .unwrap();
                    }
                    ServerEvent::Login { request, decision } => {
                        let ok = match &request {
                            LoginRequest::Password { user, password } => {
                                user == "bob" && password.expose() == "secret"
                            }
                            LoginRequest::Sasl { authcid, .. } => authcid == "bob",
                            _ => false,
                        };
                        if ok {
                            let infos = listing
                                .iter()
                                .map(|(uid, body)| {
                                    MaildropEntry::new(
                                        pop3_proto::message_size(body),
                                        uid.clone(),
                                    )
                                })
                                .collect();
                            server.accept_login(decision, infos).unwrap();
                        } else {
                            server
                                .reject_login(decision, LoginRefusal::BadCredentials)
                                .unwrap();
                        }
                    }
                    ServerEvent::Retrieve {
                        number,
                        uid,
                        decision,
                        ..
                    } => {
                        server.accept_retrieve(decision).unwrap();
                        let body = &listing[number.get() as usize - 1].1;
                        for piece in body.chunks(7) {
                            server.write_body(piece).unwrap();
                        }
                        server.finish_body().unwrap();
                        retr2.lock().unwrap().push(uid);
                    }
                    ServerEvent::Update {
                        deleted, decision, ..
                    } => {
                        let gone: HashSet<String> =
                            deleted.into_iter().map(|(_, uid)| uid).collect();
                        drop2.lock().unwrap().retain(|(uid, _)| !gone.contains(uid));
                        server.accept_update(decision, None).unwrap();
                    }
                    _ => {}
                }
            }
        }
    });
    Pop3Server {
        port,
        maildrop,
        retrieved,
    }
}

/// A directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "mailcli-test-{}-{}-{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What one in-process run gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the program in-process with `args` (without the program name).
pub fn run_with(env: &mailcli::Env, args: &[&str]) -> Run {
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let code = mailcli::run(
        std::iter::once("mailcli").chain(args.iter().copied()),
        env,
        &mut stdout,
        &mut stderr,
    );
    Run {
        code,
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

pub fn run(args: &[&str]) -> Run {
    run_with(&mailcli::Env::default(), args)
}
