//! The fetch short call against pop3-proto's server machine on 127.0.0.1 through a real STLS:
//! a first run fetches all, a second fetches nothing twice, a third deletes what it fetched.

#![cfg(feature = "pop3")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::HashSet;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

use pop3_proto::Server;
use pop3_proto::{LoginRequest, MaildropEntry, ServerConfig, ServerEvent};
use proto_io::fetch::{Collect, FetchError, FetchOptions, fetch_new};
use proto_io::{Driver, Endpoint, ServerTls, Stream, TlsMode, TlsUpgrade, Trust};
use sasl_proto::Credentials;

type Maildrop = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

fn self_signed() -> ServerTls {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    ServerTls::from_pem(
        cert.cert.pem().as_bytes(),
        cert.key_pair.serialize_pem().as_bytes(),
    )
    .unwrap()
}

/// Serves `connections` sessions of bob's maildrop, one after the other.
fn serve(listener: TcpListener, maildrop: Maildrop, connections: usize) -> thread::JoinHandle<()> {
    let tls = self_signed();
    thread::spawn(move || {
        for _ in 0..connections {
            let (tcp, _) = listener.accept().unwrap();
            let server = Server::new(ServerConfig::new().with_stls(true), Instant::now());
            let mut driver = Driver::new(server, Stream::Plain(tcp))
                .with_tls_upgrade(TlsUpgrade::Server(tls.clone()));
            let listing: Vec<(String, Vec<u8>)> = maildrop.lock().unwrap().clone();
            while let Some(event) = driver.next_event().unwrap() {
                let server = driver.machine();
                match event {
                    ServerEvent::Login { request, decision } => {
                        let ok = matches!(&request, LoginRequest::Password { user, password }
                            if user == "bob" && password.expose() == "secret");
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
                                .reject_login(
                                    decision,
                                    pop3_proto::LoginRefusal::BadCredentials,
                                )
                                .unwrap();
                        }
                    }
                    ServerEvent::Retrieve {
                        number, decision, ..
                    } => {
                        server.accept_retrieve(decision).unwrap();
                        let body = &listing[number.get() as usize - 1].1;
                        for piece in body.chunks(7) {
                            server.write_body(piece).unwrap();
                        }
                        server.finish_body().unwrap();
                    }
                    ServerEvent::Update {
                        deleted, decision, ..
                    } => {
                        let gone: HashSet<String> =
                            deleted.into_iter().map(|(_, uid)| uid).collect();
                        maildrop
                            .lock()
                            .unwrap()
                            .retain(|(uid, _)| !gone.contains(uid));
                        server.accept_update(decision, None).unwrap();
                    }
                    _ => {}
                }
            }
        }
    })
}

fn options(port: u16, password: &str) -> FetchOptions {
    FetchOptions::new(
        Endpoint::new("localhost", port, TlsMode::StartTls).trust(Trust::AcceptInvalidCertificates),
        Credentials::password("bob", password),
    )
    .method(pop3_proto::LoginMethod::UserPass)
}

#[test]
fn fetch_new_then_nothing_twice_then_delete() {
    let maildrop: Maildrop = Arc::new(Mutex::new(vec![
        (
            "u1".into(),
            b"Subject: one\r\n\r\n.dot line\r\nend\r\n".to_vec(),
        ),
        ("u2".into(), b"Subject: two\r\n\r\nbody\r\n".to_vec()),
        ("u3".into(), b"Subject: three\r\n\r\n..\r\n".to_vec()),
    ]));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = serve(listener, maildrop.clone(), 4);

    let mut sink = Collect::default();
    let report = fetch_new(&options(port, "secret"), &HashSet::new(), &mut sink, None).unwrap();
    assert_eq!(report.fetched, vec!["u1", "u2", "u3"]);
    assert_eq!(report.deleted, 0);
    assert_eq!(
        sink.messages[0].1,
        b"Subject: one\r\n\r\n.dot line\r\nend\r\n"
    );
    assert_eq!(sink.messages[2].1, b"Subject: three\r\n\r\n..\r\n");

    let seen: HashSet<String> = report.fetched.iter().cloned().collect();
    let again = fetch_new(
        &options(port, "secret"),
        &seen,
        &mut Collect::default(),
        None,
    )
    .unwrap();
    assert!(again.fetched.is_empty(), "nothing is fetched twice");

    let only_u1: HashSet<String> = ["u1".to_string(), "u9".to_string()].into();
    let mut sink = Collect::default();
    let report = fetch_new(
        &options(port, "secret").delete(true),
        &only_u1,
        &mut sink,
        None,
    )
    .unwrap();
    assert_eq!(report.fetched, vec!["u2", "u3"]);
    assert_eq!(report.deleted, 2);
    assert_eq!(report.gone, vec!["u9"]);
    let left: Vec<String> = maildrop
        .lock()
        .unwrap()
        .iter()
        .map(|(u, _)| u.clone())
        .collect();
    assert_eq!(left, vec!["u1"], "deletions applied at QUIT");

    let error = fetch_new(
        &options(port, "wrong"),
        &HashSet::new(),
        &mut Collect::default(),
        None,
    )
    .unwrap_err();
    assert!(
        matches!(error, FetchError::Refused { stage: "login", .. }),
        "{error:?}"
    );
    server.join().unwrap();
}
