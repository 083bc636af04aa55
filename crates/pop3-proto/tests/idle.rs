//! The idle rules of both machines with synthetic instants: progress (a whole command or
//! response line, or 1 KiB of a message) restarts the timer from the instant it arrived;
//! octets alone do not; a shorter limit may apply before login; a session deadline holds.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::{Duration, Instant};

use pop3_proto::MaildropEntry;
use pop3_proto::{
    Client, ClientConfig, ClientEvent, LoginMethod, MessageNumber, ProtocolError, Server,
    ServerConfig, ServerEvent,
};
use proto_core::{Expiry, IdleRules, Machine};
use sasl_proto::Credentials;

fn secs(t0: Instant, n: u64) -> Instant {
    t0 + Duration::from_secs(n)
}

fn server(t0: Instant, idle: IdleRules) -> Server {
    let mut server = Server::new(
        ServerConfig::new().with_implicit_tls(true).with_idle(idle),
        t0,
    );
    drain_server(&mut server);
    server
}

/// Drains the server (accepting every login with one message) and returns what it sent and
/// the last error.
fn drain_server(server: &mut Server) -> (Vec<u8>, Option<ProtocolError>) {
    let mut error = None;
    while let Some(event) = server.poll_event() {
        match event {
            Ok(ServerEvent::Login { decision, .. }) => server
                .accept_login(decision, vec![MaildropEntry::new(10, "a")])
                .unwrap(),
            Ok(_) => {}
            Err(e) => error = Some(e),
        }
    }
    let out = server.transmit().to_vec();
    server.advance_transmit(out.len());
    (out, error)
}

fn to_server(s: &mut Server, bytes: &[u8], at: Instant) -> (Vec<u8>, Option<ProtocolError>) {
    s.receive(bytes, at);
    drain_server(s)
}

fn expire_server(s: &mut Server, at: Instant) -> Option<ProtocolError> {
    s.handle_timeout(at);
    drain_server(s).1
}

#[test]
fn server_closes_a_client_that_trickles_octets() {
    let t0 = Instant::now();
    let mut s = server(t0, IdleRules::new(Duration::from_secs(600)));
    for (i, octet) in b"USER ti".iter().enumerate() {
        let at = secs(t0, 80 * (i as u64 + 1));
        to_server(&mut s, &[*octet], at);
        assert_eq!(expire_server(&mut s, at), None);
    }
    assert_eq!(s.poll_timeout(), Some(secs(t0, 600)));
    s.handle_timeout(secs(t0, 600));
    let (out, error) = drain_server(&mut s);
    assert_eq!(out, b"-ERR autologout; idle for too long\r\n");
    assert_eq!(error, Some(ProtocolError::Timeout(Expiry::Idle)));
}

#[test]
fn server_limit_before_login_then_after() {
    let t0 = Instant::now();
    let rules =
        IdleRules::new(Duration::from_secs(600)).with_before_login(Some(Duration::from_secs(60)));
    let mut s = server(t0, rules);
    assert_eq!(s.poll_timeout(), Some(secs(t0, 60)));
    to_server(&mut s, b"USER tim\r\n", secs(t0, 50));
    assert_eq!(s.poll_timeout(), Some(secs(t0, 110)));
    let (out, _) = to_server(&mut s, b"PASS secret\r\n", secs(t0, 100));
    assert!(out.starts_with(b"+OK"), "{out:?}");
    assert_eq!(
        s.poll_timeout(),
        Some(secs(t0, 700)),
        "the longer limit after login"
    );
    assert_eq!(expire_server(&mut s, secs(t0, 699)), None);
    assert_eq!(
        expire_server(&mut s, secs(t0, 700)),
        Some(ProtocolError::Timeout(Expiry::Idle))
    );
}

#[test]
fn server_session_deadline() {
    let t0 = Instant::now();
    let rules =
        IdleRules::new(Duration::from_secs(600)).with_session(Some(Duration::from_secs(1000)));
    let mut s = server(t0, rules);
    for n in 1..5 {
        to_server(&mut s, b"NOOP\r\n", secs(t0, 200 * n));
    }
    assert_eq!(s.poll_timeout(), Some(secs(t0, 1000)));
    assert_eq!(
        expire_server(&mut s, secs(t0, 1000)),
        Some(ProtocolError::Timeout(Expiry::Session))
    );
}

fn client(t0: Instant) -> Client {
    let config = ClientConfig::new()
        .with_implicit_tls(true)
        .with_idle(IdleRules::new(Duration::from_secs(600)));
    Client::new(config, t0)
}

fn drain_client(c: &mut Client) -> Vec<Result<ClientEvent, ProtocolError>> {
    let mut events = Vec::new();
    while let Some(event) = c.poll_event() {
        events.push(event);
    }
    let n = c.transmit().len();
    c.advance_transmit(n);
    events
}

#[test]
fn client_gives_up_on_a_server_that_trickles_octets() {
    let t0 = Instant::now();
    let mut c = client(t0);
    for (i, octet) in b"+OK rea".iter().enumerate() {
        c.receive(&[*octet], secs(t0, 80 * (i as u64 + 1)));
        assert!(drain_client(&mut c).is_empty());
    }
    assert_eq!(c.poll_timeout(), Some(secs(t0, 600)));
    c.handle_timeout(secs(t0, 600));
    let events = drain_client(&mut c);
    assert!(matches!(
        events.as_slice(),
        [Err(ProtocolError::Timeout(Expiry::Idle))]
    ));
}

#[test]
fn client_waits_for_nothing_untimed_and_times_a_command_from_when_it_learns_the_time() {
    let t0 = Instant::now();
    let mut c = client(t0);
    c.receive(b"+OK ready\r\n", secs(t0, 1));
    drain_client(&mut c);
    assert_eq!(c.poll_timeout(), None, "nothing awaited: no idle limit");
    c.send_capa().unwrap();
    // The command carries no instant: the client asks for the time at once.
    let due = c.poll_timeout().unwrap();
    assert!(due <= secs(t0, 1));
    c.handle_timeout(secs(t0, 5000));
    assert_eq!(c.poll_timeout(), Some(secs(t0, 5600)));
    c.receive(b"+OK\r\nUSER\r\n.\r\n", secs(t0, 5100));
    drain_client(&mut c);
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn client_counts_message_data_as_progress_per_kib() {
    let t0 = Instant::now();
    let mut c = client(t0);
    c.receive(b"+OK ready\r\n", t0);
    drain_client(&mut c);
    c.login(
        Credentials::password("tim", "secret"),
        LoginMethod::UserPass,
    )
    .unwrap();
    drain_client(&mut c);
    c.handle_timeout(t0);
    c.receive(b"+OK\r\n+OK in\r\n", t0);
    assert!(drain_client(&mut c).iter().all(|e| e.is_ok()));
    c.send_retr(MessageNumber::new(1).unwrap()).unwrap();
    c.handle_timeout(secs(t0, 10));
    assert_eq!(c.poll_timeout(), Some(secs(t0, 610)));
    let line = format!("{}\r\n", "a".repeat(48));
    c.receive(
        format!("+OK\r\n{}", line.repeat(10)).as_bytes(),
        secs(t0, 100),
    );
    drain_client(&mut c);
    // The status line is progress; 500 octets of message are not yet.
    assert_eq!(c.poll_timeout(), Some(secs(t0, 700)));
    c.receive(line.repeat(12).as_bytes(), secs(t0, 200));
    drain_client(&mut c);
    assert_eq!(c.poll_timeout(), Some(secs(t0, 800)));
}
