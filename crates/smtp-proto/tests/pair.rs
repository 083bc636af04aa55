//! Client and server machines paired in memory (proto-core's pump, fake TLS): whole
//! sessions with STARTTLS, every SASL mechanism, pipelining with a refused recipient, DATA
//! and BDAT, several transactions, LMTP, and STARTTLS injection from either side.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::Arc;
use std::time::Instant;

use common::{server_config, store};
use proto_core::testing::{Link, Sender};
use proto_core::{Machine, TlsInfo, TransportAction};
use sasl_proto::{Credentials, FixedNonce, Mechanism, MemoryStore};
use smtp_proto::ProtocolError;
use smtp_proto::{ClientEvent, Client, ClientConfig, MessageDeclaration, TlsPolicy};
use smtp_proto::{ServerEvent, Server, ServerConfig};
use smtp_proto::{ForwardPath, MailParameters, Mailbox, Reply, ReplyCode, ReversePath};

struct Pair<C: Machine = Client, S: Machine = Server> {
    link: Link,
    client: C,
    server: S,
    store: MemoryStore,
    reject: Vec<String>,
    client_log: Vec<String>,
    server_log: Vec<String>,
    bodies: Vec<Vec<u8>>,
    body: Vec<u8>,
}

fn pair(client: ClientConfig, server: ServerConfig) -> Pair {
    Pair::new(
        Client::new(client, Instant::now()),
        Server::new(server, Instant::now()),
    )
}

trait AsServer {
    fn server(&mut self) -> &mut Server;
}
impl AsServer for Server {
    fn server(&mut self) -> &mut Server {
        self
    }
}

impl<C, S> Pair<C, S>
where
    C: Machine<Event = ClientEvent, Error = ProtocolError>,
    S: Machine<Event = ServerEvent, Error = ProtocolError> + AsServer,
{
    fn new(client: C, server: S) -> Self {
        Self {
            link: Link::new(),
            client,
            server,
            store: store(),
            reject: Vec::new(),
            client_log: Vec::new(),
            server_log: Vec::new(),
            bodies: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Pumps until quiet, answering every server decision (rejecting listed recipients).
    fn run(&mut self) {
        loop {
            let pumped = self.link.pump(&mut self.client, &mut self.server);
            let quiet = pumped.client_events.is_empty() && pumped.server_events.is_empty();
            for e in pumped.client_events {
                self.client_log.push(match e {
                    Ok(ClientEvent::Greeting(r)) => format!("greeting {}", r.code()),
                    Ok(ClientEvent::Ready(_)) => "ready".into(),
                    Ok(ClientEvent::TlsEstablished) => "tls".into(),
                    Ok(ClientEvent::Reply { verb, reply, .. }) => {
                        format!("{verb} {}", reply.code())
                    }
                    Ok(ClientEvent::Recipient {
                        recipient, reply, ..
                    }) => format!("rcpt {recipient} {}", reply.code()),
                    Ok(ClientEvent::BodyWritable) => "writable".into(),
                    Ok(ClientEvent::MessageDone { reply, .. }) => {
                        format!("done {}", reply.code())
                    }
                    Ok(ClientEvent::LmtpDelivery {
                        recipient, reply, ..
                    }) => format!("delivery {recipient} {}", reply.code()),
                    Ok(ClientEvent::Authenticated { mechanism, .. }) => {
                        format!("authenticated {}", mechanism.as_str())
                    }
                    Ok(ClientEvent::AuthFailed { reply, .. }) => format!("auth-failed {reply}"),
                    Ok(ClientEvent::Closed(r)) => {
                        format!("closed {}", r.map_or(0, |r| r.code().get()))
                    }
                    Ok(other) => format!("{other:?}"),
                    Err(e) => format!("error {e}"),
                });
            }
            for e in pumped.server_events {
                let server = self.server.server();
                let line = match e {
                    Ok(ServerEvent::MailFrom { from, decision, .. }) => {
                        server.accept(decision).unwrap();
                        format!("mail {from}")
                    }
                    Ok(ServerEvent::RcptTo { to, decision, .. }) => {
                        if self.reject.contains(&to.to_string()) {
                            let r = Reply::new(
                                ReplyCode::MAILBOX_UNAVAILABLE,
                                smtp_proto::EnhancedStatusCode::new(5, 1, 1),
                                "no such user",
                            )
                            .unwrap();
                            server.reject(decision, r).unwrap();
                        } else {
                            server.accept(decision).unwrap();
                        }
                        format!("rcpt {to}")
                    }
                    Ok(ServerEvent::BodyChunk(chunk)) => {
                        self.body.extend_from_slice(&chunk);
                        continue;
                    }
                    Ok(ServerEvent::DataEnd {
                        decision,
                        recipient,
                        ..
                    }) => {
                        server.accept(decision).unwrap();
                        if recipient.is_none() || self.bodies.is_empty() || !self.body.is_empty() {
                            self.bodies.push(std::mem::take(&mut self.body));
                        }
                        "data-end".into()
                    }
                    Ok(ServerEvent::AuthSecret {
                        mechanism,
                        authcid,
                        decision,
                        ..
                    }) => {
                        let secret =
                            sasl_proto::CredentialStore::secret(&self.store, &mechanism, &authcid);
                        server.provide_secret(decision, secret).unwrap();
                        continue;
                    }
                    Ok(ServerEvent::AuthToken {
                        mechanism,
                        user,
                        token,
                        decision,
                    }) => {
                        let v = sasl_proto::CredentialStore::validate_token(
                            &self.store,
                            &mechanism,
                            user.as_deref(),
                            &token,
                        );
                        server.provide_token(decision, v).unwrap();
                        continue;
                    }
                    Ok(ServerEvent::AuthIdentity {
                        authcid, decision, ..
                    }) => {
                        server.accept(decision).unwrap();
                        format!("auth {authcid}")
                    }
                    Ok(ServerEvent::Hello { kind, .. }) => format!("{kind:?}"),
                    Ok(other) => format!("{other:?}"),
                    Err(e) => format!("error {e}"),
                };
                self.server_log.push(line);
            }
            if quiet {
                return;
            }
        }
    }
}

fn mailbox(s: &str) -> Mailbox<'_> {
    Mailbox::parse(s).unwrap()
}

fn client_cfg() -> ClientConfig {
    ClientConfig::default().with_hostname("client.example".into())
}

/// Sends one message; the caller checks the logs.
fn send(p: &mut Pair, from: &str, to: &[&str], body: &[u8], info: MessageDeclaration) {
    p.client
        .mail_from(
            ReversePath::Mailbox(mailbox(from)),
            info,
            MailParameters::new(),
        )
        .unwrap();
    for rcpt in to {
        p.client
            .rcpt_to(ForwardPath::Mailbox(mailbox(rcpt)), Default::default())
            .unwrap();
    }
    p.client.start_body().unwrap();
    p.run();
    let mut rest = body;
    while !rest.is_empty() {
        let n = p.client.write_body(rest).unwrap();
        rest = &rest[n..];
        p.run();
    }
    p.client.finish_body().unwrap();
    p.run();
}

#[test]
fn pipelined_session_over_starttls_with_a_refused_recipient() {
    let mut p = pair(
        client_cfg().with_chunking(false),
        server_config("mx.example"),
    );
    p.reject.push("<bad@example.org>".into());
    p.run();
    assert_eq!(p.client_log, vec!["greeting 220", "tls", "ready"]);
    assert!(p.client.is_tls() && p.server.is_tls());
    p.client
        .authenticate(
            Credentials::password("test", "1234"),
            sasl_proto::ClientConfig::default().with_nonce_source(FixedNonce("cn".into())),
        )
        .unwrap();
    p.run();
    assert_eq!(p.client_log.last().unwrap(), "authenticated SCRAM-SHA-256");
    assert_eq!(p.server.authenticated(), Some("test"));
    let before = p.link.wire.len();
    p.client_log.clear();
    let body = b"Subject: hi\r\n\r\n.leading dot\r\nbye\r\n";
    send(
        &mut p,
        "a@example.com",
        &["x@example.org", "bad@example.org", "y@example.org"],
        body,
        MessageDeclaration::new(),
    );
    assert_eq!(
        p.client_log,
        vec![
            "MAIL 250",
            "rcpt <x@example.org> 250",
            "rcpt <bad@example.org> 550",
            "rcpt <y@example.org> 250",
            "writable",
            "DATA 354",
            "done 250",
        ]
    );
    assert_eq!(p.bodies, vec![body.to_vec()]);
    // MAIL, the three RCPTs and DATA left in one write (RFC 2920).
    let first = &p.link.wire[before];
    assert_eq!(first.0, Sender::Client);
    assert!(first.1.starts_with(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<x@example.org>\r\nRCPT TO:<bad@example.org>\r\nRCPT TO:<y@example.org>\r\nDATA\r\n"));
    // A second transaction on the same connection, then QUIT.
    p.client_log.clear();
    send(
        &mut p,
        "a@example.com",
        &["z@example.org"],
        b"second\r\n",
        MessageDeclaration::new(),
    );
    assert_eq!(p.client_log.last().unwrap(), "done 250");
    assert_eq!(p.bodies[1], b"second\r\n");
    p.client.quit().unwrap();
    p.run();
    assert_eq!(p.client_log.last().unwrap(), "closed 221");
    assert!(p.link.client_closed() && p.link.server_closed());
}

#[test]
fn bdat_binary_session() {
    let mut p = pair(client_cfg(), server_config("mx.example"));
    p.run();
    let body: Vec<u8> = (0..=255u8).cycle().take(200_000).collect();
    send(
        &mut p,
        "a@example.com",
        &["x@example.org"],
        &body,
        MessageDeclaration::new().with_binary(true).with_size(200_000),
    );
    assert_eq!(
        p.client_log.last().unwrap(),
        "done 250",
        "{:?}",
        p.client_log
    );
    assert_eq!(p.bodies.len(), 1);
    assert_eq!(p.bodies[0], body);
    let client_bytes = p.link.sent_by(Sender::Client);
    let needle = b"MAIL FROM:<a@example.com> SIZE=200000 BODY=BINARYMIME\r\n";
    assert!(client_bytes.windows(needle.len()).any(|w| w == needle));
    assert!(client_bytes.ends_with(b"BDAT 0 LAST\r\n"));
}

#[test]
fn every_sasl_mechanism() {
    let cases: Vec<(Mechanism, Credentials, &str)> = vec![
        (
            Mechanism::Plain,
            Credentials::password("user", "pencil"),
            "user",
        ),
        (
            Mechanism::Login,
            Credentials::password("user", "pencil"),
            "user",
        ),
        (
            Mechanism::CramMd5,
            Credentials::password("user", "pencil"),
            "user",
        ),
        (
            Mechanism::ScramSha1,
            Credentials::password("user", "pencil"),
            "user",
        ),
        (
            Mechanism::ScramSha256,
            Credentials::password("user", "pencil"),
            "user",
        ),
        (
            Mechanism::ScramSha1Plus,
            Credentials::password("user", "pencil"),
            "user",
        ),
        (
            Mechanism::ScramSha256Plus,
            Credentials::password("user", "pencil"),
            "user",
        ),
        (
            Mechanism::XOAuth2,
            Credentials::oauth("user", "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="),
            "user",
        ),
        (
            Mechanism::OAuthBearer,
            Credentials::oauth("user", "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==")
                .with_host_port("mx.example", 587),
            "user",
        ),
        (Mechanism::External, Credentials::external(), "cert-user"),
        (
            Mechanism::Anonymous,
            Credentials::anonymous(Some("trace".into())),
            "",
        ),
    ];
    for (mechanism, credentials, identity) in cases {
        let config = server_config("mx.example")
            .with_auth_mechanisms(vec![mechanism.clone()])
            .with_sasl(Arc::new(|| {
                sasl_proto::ServerConfig::default()
                    .with_nonce_source(FixedNonce("server-nonce".into()))
                    .with_external_identity("cert-user")
            }));
        let mut p = pair(client_cfg(), config);
        p.run();
        p.client
            .authenticate(
                credentials,
                sasl_proto::ClientConfig::default()
                    .with_nonce_source(FixedNonce("client-nonce".into())),
            )
            .unwrap();
        p.run();
        assert_eq!(
            p.client_log.last().unwrap(),
            &format!("authenticated {}", mechanism.as_str()),
            "{mechanism:?}: {:?} / {:?}",
            p.client_log,
            p.server_log
        );
        assert!(
            p.server_log.iter().any(|l| l.starts_with("auth ")),
            "{mechanism:?}: {:?}",
            p.server_log
        );
        if !identity.is_empty() {
            assert_eq!(p.server.authenticated(), Some(identity), "{mechanism:?}");
        }
        // A wrong password fails where there is one.
        if matches!(
            mechanism,
            Mechanism::Plain | Mechanism::Login | Mechanism::CramMd5 | Mechanism::ScramSha256
        ) {
            let config = server_config("mx.example").with_auth_mechanisms(vec![mechanism.clone()]);
            let mut p = pair(client_cfg(), config);
            p.run();
            p.client
                .authenticate(
                    Credentials::password("user", "wrong"),
                    sasl_proto::ClientConfig::default().with_nonce_source(FixedNonce("cn".into())),
                )
                .unwrap();
            p.run();
            assert!(
                p.client_log.last().unwrap().starts_with("auth-failed 535"),
                "{mechanism:?}: {:?}",
                p.client_log
            );
            assert_eq!(p.server.authenticated(), None);
        }
    }
}

#[test]
fn lmtp_session() {
    let mut p = pair(
        client_cfg()
            .with_lmtp(true)
            .with_tls(TlsPolicy::Never)
            .with_chunking(false),
        server_config("lmtp.example")
            .with_lmtp(true)
            .with_starttls(false),
    );
    p.reject.push("<b@example.org>".into());
    p.run();
    send(
        &mut p,
        "a@example.com",
        &["a@example.org", "b@example.org", "c@example.org"],
        b"hi\r\n",
        MessageDeclaration::new(),
    );
    let deliveries: Vec<_> = p
        .client_log
        .iter()
        .filter(|l| l.starts_with("delivery"))
        .cloned()
        .collect();
    assert_eq!(
        deliveries,
        vec![
            "delivery <a@example.org> 250",
            "delivery <c@example.org> 250"
        ]
    );
}

/// A man in the middle: appends `injection` to what `inner` sends, right after `pattern`.
struct Mitm<M> {
    inner: M,
    pattern: &'static [u8],
    injection: &'static [u8],
    out: Vec<u8>,
    done: bool,
}

impl<M: Machine> Mitm<M> {
    fn pull(&mut self) {
        let t = self.inner.transmit().to_vec();
        self.inner.advance_transmit(t.len());
        self.out.extend_from_slice(&t);
        if !self.done
            && let Some(i) = self
                .out
                .windows(self.pattern.len())
                .position(|w| w == self.pattern)
        {
            let at = i + self.pattern.len();
            self.out.splice(at..at, self.injection.iter().copied());
            self.done = true;
        }
    }
}

impl<M: Machine> Machine for Mitm<M> {
    type Event = M::Event;
    type Error = M::Error;
    fn receive(&mut self, data: &[u8]) {
        self.inner.receive(data);
    }
    fn input_buffer(&mut self) -> &mut [u8] {
        self.inner.input_buffer()
    }
    fn commit_input(&mut self, n: usize) {
        self.inner.commit_input(n);
    }
    fn receive_eof(&mut self) {
        self.inner.receive_eof();
    }
    fn wants_input(&self) -> bool {
        self.inner.wants_input()
    }
    fn transmit(&self) -> &[u8] {
        &self.out
    }
    fn advance_transmit(&mut self, n: usize) {
        self.out.drain(..n.min(self.out.len()));
    }
    fn poll_event(&mut self) -> Option<Result<M::Event, M::Error>> {
        self.pull();
        let e = self.inner.poll_event();
        self.pull();
        e
    }
    fn poll_transport(&mut self) -> Option<TransportAction> {
        self.pull();
        if !self.out.is_empty() {
            return None;
        }
        self.inner.poll_transport()
    }
    fn tls_established(&mut self, info: TlsInfo) {
        self.inner.tls_established(info);
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.inner.poll_timeout()
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.inner.handle_timeout(now);
    }

    fn input_arrived(&mut self, now: Instant) {
        self.inner.input_arrived(now);
    }
}

impl AsServer for Mitm<Server> {
    fn server(&mut self) -> &mut Server {
        &mut self.inner
    }
}

fn run_mitm<C, S>(p: &mut Pair<C, S>)
where
    C: Machine<Event = ClientEvent, Error = ProtocolError>,
    S: Machine<Event = ServerEvent, Error = ProtocolError> + AsServer,
{
    for _ in 0..10 {
        p.run();
    }
}

#[test]
fn starttls_injection_from_the_server_side_is_caught_by_the_client() {
    let server = Mitm {
        inner: Server::new(server_config("mx.example"), Instant::now()),
        pattern: b"220 2.0.0 Ready to start TLS\r\n",
        injection: b"250-mx.example\r\n250 AUTH PLAIN\r\n",
        out: Vec::new(),
        done: false,
    };
    let mut p = Pair::new(Client::new(client_cfg(), Instant::now()), server);
    run_mitm(&mut p);
    assert!(
        p.client_log
            .iter()
            .any(|l| l == &format!("error {}", ProtocolError::DataAfterStartTls)),
        "{:?}",
        p.client_log
    );
    assert!(!p.client.is_tls());
    assert!(!p.client_log.contains(&"ready".to_owned()));
}

#[test]
fn starttls_injection_from_the_client_side_is_caught_by_the_server() {
    let client = Mitm {
        inner: Client::new(client_cfg(), Instant::now()),
        pattern: b"STARTTLS\r\n",
        injection: b"MAIL FROM:<evil@example.net>\r\n",
        out: Vec::new(),
        done: false,
    };
    let mut p = Pair::new(
        client,
        Server::new(server_config("mx.example"), Instant::now()),
    );
    run_mitm(&mut p);
    assert!(
        p.server_log
            .iter()
            .any(|l| l == &format!("error {}", ProtocolError::DataAfterStartTls)),
        "{:?}",
        p.server_log
    );
    assert!(!p.server_log.iter().any(|l| l.starts_with("mail")));
    assert!(!p.server.is_tls());
}
