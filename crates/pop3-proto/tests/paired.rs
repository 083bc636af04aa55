#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

//! Client and server machines paired in memory (proto-core's pump with its fake TLS): STLS
//! then every SASL mechanism, APOP, USER/PASS, streamed bodies, TOP, DELE then QUIT against
//! a dropped connection, the leave-on-server helper, and injection on both sides.

use std::collections::HashSet;
use std::time::Instant;

use bytes::Bytes;
use pop3_proto::{Client, ClientConfig, ClientEvent, LoginMethod, new_messages};
use pop3_proto::{
    LoginRefusal, LoginRequest, MaildropEntry, Server, ServerConfig, ServerEvent, message_size,
};
use pop3_proto::{MessageNumber, ProtocolError, UidlEntry};
use proto_core::Machine;
use proto_core::testing::{Link, Sender};
use sasl_proto::{Credentials, FixedNonce, Mechanism, MemoryStore};

struct App {
    store: MemoryStore,
    passwords: Vec<(String, String)>,
    messages: Vec<(Vec<u8>, String, bool)>,
    /// Chunk size used to stream messages.
    chunk: usize,
    updates: usize,
    disconnected: bool,
    refuse_next: Option<LoginRefusal>,
}

impl App {
    fn new() -> Self {
        let mut store = MemoryStore::new();
        store.add_password("tim", "tanstaaftanstaaf");
        store.add_token("vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", "tim");
        Self {
            store,
            passwords: vec![("tim".into(), "tanstaaftanstaaf".into())],
            messages: vec![
                (
                    b"Subject: a\r\n\r\n.starts with a dot\r\nbody\r\n".to_vec(),
                    "u1".into(),
                    false,
                ),
                (
                    b"Subject: b\n\nline 1\nline 2\nline 3\n".to_vec(),
                    "u2".into(),
                    false,
                ),
                (big_message(), "u3".into(), false),
            ],
            chunk: 1000,
            updates: 0,
            disconnected: false,
            refuse_next: None,
        }
    }

    fn live(&self) -> Vec<MaildropEntry> {
        self.messages
            .iter()
            .filter(|m| !m.2)
            .map(|(c, u, _)| MaildropEntry::new(message_size(c), u.clone()))
            .collect()
    }

    fn serve(&mut self, server: &mut Server, event: ServerEvent) {
        match event {
            ServerEvent::Login { request, decision } => {
                if let Some(refusal) = self.refuse_next.take() {
                    return server.reject_login(decision, refusal).unwrap();
                }
                let ok = match &request {
                    LoginRequest::Password { user, password } => self
                        .passwords
                        .iter()
                        .any(|(u, p)| u == user && p == password.expose()),
                    LoginRequest::Apop { user, .. } => self
                        .passwords
                        .iter()
                        .any(|(u, p)| u == user && request.apop_matches(p)),
                    LoginRequest::Sasl { .. } => true,
                    _ => false,
                };
                if ok {
                    server.accept_login(decision, self.live()).unwrap();
                } else {
                    server
                        .reject_login(decision, LoginRefusal::BadCredentials)
                        .unwrap();
                }
            }
            ServerEvent::SaslQuestion { question, decision } => {
                server
                    .answer_sasl_with(decision, &question, &self.store)
                    .unwrap();
            }
            ServerEvent::Retrieve { uid, decision, .. } => {
                let content = self.messages.iter().find(|m| m.1 == uid).unwrap().0.clone();
                server.accept_retrieve(decision).unwrap();
                for chunk in content.chunks(self.chunk) {
                    server.write_body(chunk).unwrap();
                }
                server.finish_body().unwrap();
            }
            ServerEvent::Update {
                deleted, decision, ..
            } => {
                for (_, uid) in deleted {
                    self.messages.iter_mut().find(|m| m.1 == uid).unwrap().2 = true;
                }
                self.updates += 1;
                server.accept_update(decision, None).unwrap();
            }
            ServerEvent::Disconnected => self.disconnected = true,
            _ => {}
        }
    }
}

/// 256 KiB of 78-octet lines, some starting with a dot.
fn big_message() -> Vec<u8> {
    let mut m = b"Subject: big\r\n\r\n".to_vec();
    let mut i = 0u32;
    while m.len() < 256 * 1024 {
        let line = if i.is_multiple_of(7) {
            format!(".{i:076}\r\n")
        } else {
            format!("{i:077}\r\n")
        };
        m.extend_from_slice(line.as_bytes());
        i += 1;
    }
    m
}

struct Session {
    client: Client,
    server: Server,
    link: Link,
    app: App,
    events: Vec<ClientEvent>,
    errors: Vec<String>,
}

impl Session {
    fn new(client: ClientConfig, server: ServerConfig) -> Self {
        Self {
            client: Client::new(client),
            server: Server::new(server, Instant::now()),
            link: Link::new(),
            app: App::new(),
            events: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Pumps until quiet, answering the server's decisions; returns the client's events.
    fn run(&mut self) -> Vec<ClientEvent> {
        let mut out = Vec::new();
        loop {
            let pumped = self.link.pump(&mut self.client, &mut self.server);
            let mut more = false;
            for event in pumped.client_events {
                match event {
                    Ok(e) => out.push(e),
                    Err(e) => self.errors.push(format!("client: {e}")),
                }
            }
            for event in pumped.server_events {
                more = true;
                match event {
                    Ok(e) => self.app.serve(&mut self.server, e),
                    Err(e) => self.errors.push(format!("server: {e}")),
                }
            }
            if !more {
                break;
            }
        }
        self.events.extend(out.clone());
        out
    }

    fn body(events: &[ClientEvent]) -> Vec<u8> {
        let mut body = Vec::new();
        for e in events {
            if let ClientEvent::BodyChunk { data, .. } = e {
                body.extend_from_slice(data);
            }
        }
        body
    }
}

fn nonce(n: &'static str) -> FixedNonce {
    FixedNonce(n.into())
}

fn logged_in(events: &[ClientEvent]) -> bool {
    events
        .iter()
        .any(|e| matches!(e, ClientEvent::LoggedIn { .. }))
}

/// STLS, CAPA again, then a login with each mechanism (the server offers only that one).
#[test]
fn stls_then_every_sasl_mechanism() {
    let mechanisms = [
        Mechanism::Plain,
        Mechanism::Login,
        Mechanism::CramMd5,
        Mechanism::ScramSha1,
        Mechanism::ScramSha256,
        Mechanism::ScramSha1Plus,
        Mechanism::ScramSha256Plus,
        Mechanism::XOAuth2,
        Mechanism::OAuthBearer,
    ];
    for mechanism in mechanisms {
        let server_config = ServerConfig::new()
            .with_sasl_mechanisms(vec![mechanism.clone()])
            .with_nonce_source(nonce("3rfcNHYJY1ZVvWVs7j"));
        let client_config =
            ClientConfig::new().with_nonce_source(nonce("fyko+d2lbbFgONRv9qkxdawL"));
        let mut s = Session::new(client_config, server_config);
        s.run();
        s.client.send_capa().unwrap();
        let events = s.run();
        assert!(s.client.capabilities().unwrap().stls(), "{mechanism}");
        assert!(
            s.client.capabilities().unwrap().sasl().is_empty(),
            "no SASL before TLS"
        );
        assert!(!events.is_empty());
        s.client.send_stls().unwrap();
        let events = s.run();
        assert!(s.client.is_tls() && s.server.is_tls());
        assert!(
            matches!(events.first(), Some(ClientEvent::TlsEstablished { .. })),
            "{events:?}"
        );
        let caps = s.client.capabilities().unwrap();
        assert_eq!(
            caps.sasl().iter().cloned().collect::<Vec<_>>(),
            vec![mechanism.clone()]
        );
        assert!(!caps.stls());
        let credentials = match mechanism {
            Mechanism::XOAuth2 | Mechanism::OAuthBearer => {
                Credentials::oauth("tim", "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==")
            }
            _ => Credentials::password("tim", "tanstaaftanstaaf"),
        };
        s.client.login(credentials, LoginMethod::Auto).unwrap();
        let events = s.run();
        assert!(logged_in(&events), "{mechanism}: {events:?} {:?}", s.errors);
        assert!(s.errors.is_empty(), "{mechanism}: {:?}", s.errors);
        assert!(s.server.is_transaction());
        let wire = String::from_utf8_lossy(&s.link.sent_by(Sender::Client)).into_owned();
        assert!(wire.contains(&format!("AUTH {mechanism}")), "{wire}");
    }
}

/// Implicit TLS (port 995): both sides start protected with the handshake's channel
/// bindings, so SCRAM-SHA-256-PLUS is offered and bound without STLS.
#[test]
fn implicit_tls_offers_and_binds_scram_plus() {
    let info = proto_core::testing::fake_tls_info();
    let server_config = ServerConfig::new()
        .with_stls(false)
        .with_tls_info(info.clone())
        .with_sasl_mechanisms(vec![Mechanism::ScramSha256Plus])
        .with_nonce_source(nonce("3rfcNHYJY1ZVvWVs7j"));
    let client_config = ClientConfig::new()
        .with_tls_info(info)
        .with_nonce_source(nonce("fyko+d2lbbFgONRv9qkxdawL"));
    let mut s = Session::new(client_config, server_config);
    s.run();
    s.client.send_capa().unwrap();
    s.run();
    assert_eq!(
        s.client
            .capabilities()
            .unwrap()
            .sasl()
            .iter()
            .cloned()
            .collect::<Vec<_>>(),
        vec![Mechanism::ScramSha256Plus]
    );
    s.client
        .login(
            Credentials::password("tim", "tanstaaftanstaaf"),
            LoginMethod::Auto,
        )
        .unwrap();
    let events = s.run();
    assert!(logged_in(&events), "{events:?} {:?}", s.errors);
    let wire = String::from_utf8_lossy(&s.link.sent_by(Sender::Client)).into_owned();
    assert!(wire.contains("AUTH SCRAM-SHA-256-PLUS"), "{wire}");
}

#[test]
fn wrong_password_over_sasl_and_user_pass_then_closed_after_three() {
    let mut s = Session::new(
        ClientConfig::new()
            .with_implicit_tls(true)
            .with_nonce_source(nonce("abcdefghijkl")),
        ServerConfig::new()
            .with_implicit_tls(true)
            .with_nonce_source(nonce("mnopqrstuvwx")),
    );
    s.run();
    s.client.send_capa().unwrap();
    s.run();
    for method in [
        LoginMethod::Sasl(Mechanism::ScramSha256),
        LoginMethod::Sasl(Mechanism::Plain),
        LoginMethod::UserPass,
    ] {
        s.client
            .login(Credentials::password("tim", "wrong"), method.clone())
            .unwrap();
        let events = s.run();
        let failed = events.iter().find_map(|e| match e {
            ClientEvent::LoginFailed { line, .. } => Some(line.clone()),
            _ => None,
        });
        let line = failed.unwrap_or_else(|| panic!("{method:?}: {events:?} {:?}", s.errors));
        assert_eq!(line.code, Some(pop3_proto::ResponseCode::Auth));
    }
    // The third failure closed the connection.
    assert!(s.server.is_closed());
    assert!(s.client.is_closed() || s.link.server_closed());
}

#[test]
fn apop_and_user_pass_in_the_clear_when_allowed() {
    for (method, expect) in [
        (LoginMethod::Apop, "APOP tim "),
        (
            LoginMethod::UserPass,
            "USER tim\r\nPASS tanstaaftanstaaf\r\n",
        ),
    ] {
        let mut s = Session::new(
            ClientConfig::new().with_plaintext_auth(true),
            ServerConfig::new()
                .with_plaintext_auth(true)
                .with_stls(false)
                .with_apop_timestamp("<1896.697170952@dbc.mtview.ca.us>"),
        );
        s.run();
        assert_eq!(
            s.client.timestamp().unwrap().as_str(),
            "<1896.697170952@dbc.mtview.ca.us>"
        );
        s.client
            .login(Credentials::password("tim", "tanstaaftanstaaf"), method)
            .unwrap();
        assert!(logged_in(&s.run()));
        let wire = String::from_utf8_lossy(&s.link.sent_by(Sender::Client)).into_owned();
        assert!(wire.contains(expect), "{wire}");
    }
    // Auto picks APOP over USER/PASS when no SASL is offered.
    let mut s = Session::new(
        ClientConfig::new().with_plaintext_auth(true),
        ServerConfig::new()
            .with_plaintext_auth(true)
            .with_stls(false)
            .with_sasl_mechanisms(vec![])
            .with_apop_timestamp("<x@y>"),
    );
    s.run();
    s.client.send_capa().unwrap();
    s.run();
    s.client
        .login(
            Credentials::password("tim", "tanstaaftanstaaf"),
            LoginMethod::Auto,
        )
        .unwrap();
    assert!(logged_in(&s.run()));
    let wire = String::from_utf8_lossy(&s.link.sent_by(Sender::Client)).into_owned();
    assert!(wire.contains("APOP tim "), "{wire}");
}

fn logged_in_session(pipelining: bool) -> Session {
    let mut s = Session::new(
        ClientConfig::new()
            .with_implicit_tls(true)
            .with_pipelining(pipelining),
        ServerConfig::new().with_implicit_tls(true),
    );
    s.run();
    s.client.send_capa().unwrap();
    s.run();
    s.client
        .login(
            Credentials::password("tim", "tanstaaftanstaaf"),
            LoginMethod::Auto,
        )
        .unwrap();
    assert!(logged_in(&s.run()), "{:?}", s.errors);
    s
}

#[test]
fn bodies_stream_byte_exact_at_every_chunk_size() {
    for chunk in [1, 3, 64, 1000, 1 << 20] {
        let mut s = logged_in_session(true);
        s.app.chunk = chunk;
        for n in 1..=3 {
            let id = s.client.send_retr(MessageNumber::new(n).unwrap()).unwrap();
            let events = s.run();
            let body = Session::body(&events);
            let original = &s.app.messages[n as usize - 1].0;
            // Bare LF line ends come back as CRLF (the server normalises as it stuffs).
            let expected = String::from_utf8_lossy(original)
                .replace("\r\n", "\n")
                .replace('\n', "\r\n");
            assert_eq!(body, expected.as_bytes(), "message {n}, chunk {chunk}");
            assert_eq!(body.len() as u64, message_size(original));
            assert!(events.contains(&ClientEvent::BodyEnd { id }));
        }
    }
}

#[test]
fn top_n_0_sends_the_header_and_the_blank_line_only() {
    let mut s = logged_in_session(false);
    s.client
        .send_top(MessageNumber::new(2).unwrap(), 0)
        .unwrap();
    assert_eq!(Session::body(&s.run()), b"Subject: b\r\n\r\n");
    s.client
        .send_top(MessageNumber::new(2).unwrap(), 2)
        .unwrap();
    assert_eq!(
        Session::body(&s.run()),
        b"Subject: b\r\n\r\nline 1\r\nline 2\r\n"
    );
    s.client
        .send_top(MessageNumber::new(2).unwrap(), 99)
        .unwrap();
    assert_eq!(
        Session::body(&s.run()),
        b"Subject: b\r\n\r\nline 1\r\nline 2\r\nline 3\r\n"
    );
}

#[test]
fn dele_then_quit_applies_deletions() {
    let mut s = logged_in_session(true);
    s.client.send_dele(MessageNumber::new(1).unwrap()).unwrap();
    s.client.send_dele(MessageNumber::new(3).unwrap()).unwrap();
    s.client.send_stat().unwrap();
    let events = s.run();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::Stat { count: 1, .. })),
        "{events:?}"
    );
    s.client.send_quit().unwrap();
    let events = s.run();
    assert!(matches!(events.last(), Some(ClientEvent::Closed { line, .. }) if line.is_ok()));
    assert_eq!(s.app.updates, 1);
    let left: Vec<&str> = s
        .app
        .messages
        .iter()
        .filter(|m| !m.2)
        .map(|m| m.1.as_str())
        .collect();
    assert_eq!(left, vec!["u2"]);
    assert!(s.link.server_closed());
}

#[test]
fn dele_then_dropped_connection_deletes_nothing() {
    let mut s = logged_in_session(true);
    s.client.send_dele(MessageNumber::new(1).unwrap()).unwrap();
    s.run();
    // The connection drops: the server sees the end of input without QUIT.
    s.server.receive_eof();
    let mut seen = Vec::new();
    while let Some(event) = s.server.poll_event() {
        seen.push(event.unwrap());
    }
    for event in seen {
        s.app.serve(&mut s.server, event);
    }
    assert!(s.app.disconnected);
    assert_eq!(s.app.updates, 0);
    assert!(s.app.messages.iter().all(|m| !m.2));
    assert!(s.server.is_closed());
    // RSET also unmarks.
    let mut s = logged_in_session(true);
    s.client.send_dele(MessageNumber::new(1).unwrap()).unwrap();
    s.client.send_rset().unwrap();
    s.client.send_quit().unwrap();
    s.run();
    assert_eq!(s.app.updates, 1);
    assert!(s.app.messages.iter().all(|m| !m.2));
}

#[test]
fn leave_on_server_fetches_only_new_messages() {
    let mut seen: HashSet<String> = ["u1".to_owned(), "gone".to_owned()].into();
    let mut s = logged_in_session(true);
    s.client.send_uidl(None).unwrap();
    let events = s.run();
    let entries: Vec<UidlEntry<'static>> = events
        .iter()
        .find_map(|e| match e {
            ClientEvent::Uidl { entries, .. } => Some(entries.clone()),
            _ => None,
        })
        .unwrap();
    let plan = new_messages(&entries, &seen);
    assert_eq!(
        plan.new,
        vec![
            (MessageNumber::new(2).unwrap(), "u2".to_owned()),
            (MessageNumber::new(3).unwrap(), "u3".to_owned())
        ]
    );
    assert_eq!(plan.gone, vec!["gone".to_owned()]);
    for (n, uid) in &plan.new {
        s.client.send_retr(*n).unwrap();
        seen.insert(uid.clone());
    }
    let events = s.run();
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, ClientEvent::BodyEnd { .. }))
            .count(),
        2
    );
    for uid in plan.gone {
        seen.remove(&uid);
    }
    assert_eq!(seen.len(), 3);
}

#[test]
fn in_use_refusal_reaches_the_client_with_its_code() {
    let mut s = Session::new(
        ClientConfig::new().with_implicit_tls(true),
        ServerConfig::new().with_implicit_tls(true),
    );
    s.app.refuse_next = Some(LoginRefusal::InUse);
    s.run();
    s.client
        .login(
            Credentials::password("tim", "tanstaaftanstaaf"),
            LoginMethod::UserPass,
        )
        .unwrap();
    let events = s.run();
    assert!(events.iter().any(|e| matches!(e, ClientEvent::LoginFailed { line, .. } if line.code == Some(pop3_proto::ResponseCode::InUse))));
    // Not counted as a failed login: the next one works.
    s.client
        .login(
            Credentials::password("tim", "tanstaaftanstaaf"),
            LoginMethod::UserPass,
        )
        .unwrap();
    assert!(logged_in(&s.run()));
}

#[test]
fn injection_after_stls_is_fatal_on_both_sides() {
    // A client that pipelines a command after STLS.
    let mut server = Server::new(ServerConfig::new(), Instant::now());
    server.receive(b"STLS\r\nUSER evil\r\n");
    assert_eq!(
        server.poll_event().unwrap().unwrap_err(),
        ProtocolError::DataAfterStartTls
    );
    assert!(server.is_closed());
    assert!(!String::from_utf8_lossy(server.transmit()).contains("Begin TLS"));
    // A server (or a man in the middle) that sends a line after its go-ahead.
    let mut client = Client::new(ClientConfig::new());
    client.receive(b"+OK ready\r\n");
    assert!(matches!(
        client.poll_event(),
        Some(Ok(ClientEvent::Greeting { .. }))
    ));
    client.send_stls().unwrap();
    client.receive(b"+OK go ahead\r\n+OK [injected]\r\n");
    assert_eq!(
        client.poll_event().unwrap().unwrap_err(),
        ProtocolError::DataAfterStartTls
    );
    assert_eq!(
        client.poll_transport(),
        Some(proto_core::TransportAction::Close)
    );
}

#[test]
fn chunks_are_views_of_the_input_not_copies() {
    // A body chunk event holds bytes of the receive buffer (Bytes), and large bodies arrive in
    // few, large chunks.
    let mut s = logged_in_session(false);
    s.app.chunk = 1 << 20;
    s.client.send_retr(MessageNumber::new(3).unwrap()).unwrap();
    let events = s.run();
    let chunks: Vec<&Bytes> = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::BodyChunk { data, .. } => Some(data),
            _ => None,
        })
        .collect();
    let total: usize = chunks.iter().map(|c| c.len()).sum();
    assert!(total > 256 * 1024);
    assert!(
        chunks.len() < total / 512,
        "{} chunks for {total} octets",
        chunks.len()
    );
}

#[test]
fn utf8_credentials_need_utf8_user() {
    let mut s = Session::new(
        ClientConfig::new().with_implicit_tls(true),
        ServerConfig::new().with_implicit_tls(true),
    );
    s.run();
    s.client.send_capa().unwrap();
    s.run();
    assert_eq!(
        s.client
            .login(Credentials::password("jöran", "pw"), LoginMethod::UserPass),
        Err(pop3_proto::UsageError::NotOffered(
            "UTF8 USER (UTF-8 user names and passwords)"
        ))
    );
    let mut s = Session::new(
        ClientConfig::new().with_implicit_tls(true),
        ServerConfig::new().with_implicit_tls(true).with_utf8(true),
    );
    s.app.passwords.push(("jöran".into(), "pässword".into()));
    s.run();
    s.client.send_capa().unwrap();
    s.run();
    s.client
        .login(
            Credentials::password("jöran", "pässword"),
            LoginMethod::UserPass,
        )
        .unwrap();
    assert!(logged_in(&s.run()));
}

/// A mechanism opted in for plaintext works before TLS on both sides; nothing else does.
#[test]
fn per_mechanism_plaintext_opt_in() {
    let mut s = Session::new(
        ClientConfig::new()
            .with_nonce_source(nonce("fyko+d2lbbFgONRv9qkxdawL"))
            .with_plaintext_mechanisms(vec![Mechanism::ScramSha256]),
        ServerConfig::new()
            .with_nonce_source(nonce("3rfcNHYJY1ZVvWVs7j"))
            .with_plaintext_mechanisms(vec![Mechanism::ScramSha256]),
    );
    s.run();
    s.client.send_capa().unwrap();
    s.run();
    let caps = s.client.capabilities().unwrap().clone();
    assert_eq!(
        caps.sasl().iter().cloned().collect::<Vec<_>>(),
        vec![Mechanism::ScramSha256]
    );
    assert!(!caps.user());
    assert_eq!(
        s.client.login(
            Credentials::password("tim", "tanstaaftanstaaf"),
            LoginMethod::UserPass
        ),
        Err(pop3_proto::UsageError::PlaintextCredentials)
    );
    assert_eq!(
        s.client.login(
            Credentials::password("tim", "tanstaaftanstaaf"),
            LoginMethod::Sasl(Mechanism::Plain)
        ),
        Err(pop3_proto::UsageError::PlaintextCredentials)
    );
    s.client
        .login(
            Credentials::password("tim", "tanstaaftanstaaf"),
            LoginMethod::Auto,
        )
        .unwrap();
    assert!(logged_in(&s.run()), "{:?}", s.errors);
    assert!(!s.client.is_tls());
}
