//! The idle rules of the server with synthetic instants: progress (a whole command line, or
//! 1 KiB of message data) restarts the timer from the instant it arrived; octets alone do not;
//! a session deadline holds whatever the progress; an open decision is not the client's idling.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::{Duration, Instant};

use proto_core::{Expiry, IdleRules, Machine};
use smtp_proto::ProtocolError;
use smtp_proto::{Server, ServerConfig, ServerEvent};

fn secs(t0: Instant, n: u64) -> Instant {
    t0 + Duration::from_secs(n)
}

fn server(t0: Instant, idle: IdleRules) -> Server {
    let config = ServerConfig::default()
        .with_hostname("mx.example".into())
        .with_starttls(false)
        .with_idle(idle);
    let mut server = Server::new(config, t0);
    drain(&mut server, true);
    server
}

/// Drains events (accepting every decision when `accept`), and returns what was sent and the
/// last error.
fn drain(server: &mut Server, accept: bool) -> (Vec<u8>, Option<ProtocolError>) {
    let mut error = None;
    while let Some(event) = server.poll_event() {
        match event {
            Ok(
                ServerEvent::MailFrom { decision, .. }
                | ServerEvent::RcptTo { decision, .. }
                | ServerEvent::DataEnd { decision, .. },
            ) if accept => server.accept(decision).unwrap(),
            Ok(_) => {}
            Err(e) => error = Some(e),
        }
    }
    let out = server.transmit().to_vec();
    server.advance_transmit(out.len());
    (out, error)
}

fn feed(server: &mut Server, bytes: &[u8], at: Instant) -> (Vec<u8>, Option<ProtocolError>) {
    server.receive(bytes, at);
    drain(server, true)
}

fn expire(server: &mut Server, at: Instant) -> (Vec<u8>, Option<ProtocolError>) {
    server.handle_timeout(at);
    drain(server, true)
}

#[test]
fn a_client_that_trickles_octets_is_closed_at_the_idle_limit() {
    let t0 = Instant::now();
    let mut s = server(t0, IdleRules::new(Duration::from_secs(300)));
    // One octet every 100 seconds: "NOO" never becomes a command.
    for (i, octet) in b"NOO".iter().enumerate() {
        let at = secs(t0, 100 * (i as u64 + 1) - 1);
        feed(&mut s, &[*octet], at);
        assert_eq!(expire(&mut s, at).1, None);
    }
    assert_eq!(s.poll_timeout(), Some(secs(t0, 300)));
    let (out, error) = expire(&mut s, secs(t0, 300));
    assert!(out.starts_with(b"421 4.4.2 "), "{out:?}");
    assert_eq!(error, Some(ProtocolError::Timeout(Expiry::Idle)));
}

#[test]
fn a_whole_command_restarts_the_timer_from_its_arrival() {
    let t0 = Instant::now();
    let mut s = server(t0, IdleRules::new(Duration::from_secs(300)));
    let (out, _) = feed(&mut s, b"NOOP\r\n", secs(t0, 250));
    assert!(out.starts_with(b"250 "));
    assert_eq!(s.poll_timeout(), Some(secs(t0, 550)));
    assert_eq!(expire(&mut s, secs(t0, 549)).1, None);
    assert_eq!(
        expire(&mut s, secs(t0, 550)).1,
        Some(ProtocolError::Timeout(Expiry::Idle))
    );
}

#[test]
fn message_data_is_progress_per_kib() {
    let t0 = Instant::now();
    let mut s = server(t0, IdleRules::new(Duration::from_secs(300)));
    let (out, _) = feed(
        &mut s,
        b"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@mx.example>\r\nDATA\r\n",
        secs(t0, 10),
    );
    assert!(
        out.ends_with(b"354 End data with <CR><LF>.<CR><LF>\r\n"),
        "{out:?}"
    );
    assert_eq!(s.poll_timeout(), Some(secs(t0, 310)));
    // Ten 50-octet lines are not yet progress.
    let lines = format!("{}\r\n", "a".repeat(48)).repeat(10);
    feed(&mut s, lines.as_bytes(), secs(t0, 100));
    assert_eq!(s.poll_timeout(), Some(secs(t0, 310)));
    // Twelve more pass 1 KiB: the timer counts from their arrival.
    let lines = format!("{}\r\n", "a".repeat(48)).repeat(12);
    feed(&mut s, lines.as_bytes(), secs(t0, 200));
    assert_eq!(s.poll_timeout(), Some(secs(t0, 500)));
    let (out, _) = feed(&mut s, b".\r\n", secs(t0, 450));
    assert!(out.starts_with(b"250 "), "{out:?}");
    assert_eq!(s.poll_timeout(), Some(secs(t0, 750)));
}

#[test]
fn a_trickled_message_is_closed_at_the_idle_limit() {
    let t0 = Instant::now();
    let mut s = server(t0, IdleRules::new(Duration::from_secs(300)));
    feed(
        &mut s,
        b"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@mx.example>\r\nDATA\r\n",
        t0,
    );
    // Ten octets a minute is not progress.
    for minute in 1..5 {
        let at = secs(t0, 60 * minute);
        feed(&mut s, b"0123456789", at);
        assert_eq!(expire(&mut s, at).1, None);
    }
    assert_eq!(
        expire(&mut s, secs(t0, 300)).1,
        Some(ProtocolError::Timeout(Expiry::Idle))
    );
}

#[test]
fn the_session_deadline_holds_whatever_the_progress() {
    let t0 = Instant::now();
    let rules =
        IdleRules::new(Duration::from_secs(300)).with_session(Some(Duration::from_secs(1000)));
    let mut s = server(t0, rules);
    for n in 1..5 {
        let at = secs(t0, 200 * n);
        let (out, _) = feed(&mut s, b"NOOP\r\n", at);
        assert!(out.starts_with(b"250 "));
    }
    assert_eq!(s.poll_timeout(), Some(secs(t0, 1000)));
    let (out, error) = expire(&mut s, secs(t0, 1000));
    assert!(out.starts_with(b"421 "));
    assert_eq!(error, Some(ProtocolError::Timeout(Expiry::Session)));
}

#[test]
fn the_limit_before_login_applies_until_auth() {
    let t0 = Instant::now();
    let rules =
        IdleRules::new(Duration::from_secs(300)).with_before_login(Some(Duration::from_secs(60)));
    let mut s = server(t0, rules);
    assert_eq!(s.poll_timeout(), Some(secs(t0, 60)));
    feed(&mut s, b"EHLO c\r\n", secs(t0, 30));
    assert_eq!(s.poll_timeout(), Some(secs(t0, 90)));
    assert_eq!(
        expire(&mut s, secs(t0, 90)).1,
        Some(ProtocolError::Timeout(Expiry::Idle))
    );
}

#[test]
fn an_open_decision_is_not_the_clients_idling() {
    let t0 = Instant::now();
    let mut s = server(t0, IdleRules::new(Duration::from_secs(300)));
    feed(&mut s, b"EHLO c\r\n", secs(t0, 5));
    s.receive(b"MAIL FROM:<a@b.example>\r\n", secs(t0, 10));
    let decision = match s.poll_event() {
        Some(Ok(ServerEvent::MailFrom { decision, .. })) => decision,
        other => panic!("{other:?}"),
    };
    // The application thinks for longer than the idle limit: the client is not closed.
    assert_eq!(expire(&mut s, secs(t0, 310)).1, None);
    assert_eq!(s.poll_timeout(), Some(secs(t0, 610)));
    s.accept(decision).unwrap();
    let (out, _) = drain(&mut s, true);
    assert!(out.starts_with(b"250 "), "{out:?}");
}
