#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

//! Every limit of [`Limits`] tested in the machines at N (accepted) and N+1 (refused).

use std::time::Instant;

use pop3_proto::{Client, ClientConfig, ClientEvent, LoginMethod};
use pop3_proto::{Server, ServerConfig, ServerEvent};
use pop3_proto::{Limits, ProtocolError};
use proto_core::Machine;
use sasl_proto::Credentials;

fn drain_server(server: &mut Server) -> (String, Vec<ServerEvent>) {
    let mut events = Vec::new();
    while let Some(e) = server.poll_event() {
        events.push(e.unwrap());
    }
    let out = String::from_utf8_lossy(server.transmit()).into_owned();
    let n = server.transmit().len();
    server.advance_transmit(n);
    (out, events)
}

fn drain_client(client: &mut Client) -> Vec<Result<ClientEvent, ProtocolError>> {
    let mut events = Vec::new();
    while let Some(e) = client.poll_event() {
        events.push(e);
    }
    events
}

#[test]
fn limit_command_line() {
    for limit in [255, 40] {
        let config = || {
            ServerConfig::new()
                .with_implicit_tls(true)
                .with_limits(Limits::new().with_max_command_line(limit))
        };
        let mut server = Server::new(config(), Instant::now());
        drain_server(&mut server);
        let name = "u".repeat(limit - "USER ".len() - 2);
        server.receive(format!("USER {name}\r\n").as_bytes());
        assert_eq!(drain_server(&mut server).0, "+OK send PASS\r\n");
        server.receive(format!("USER {name}u\r\n").as_bytes());
        assert_eq!(drain_server(&mut server).0, "-ERR line too long\r\n");
    }
}

#[test]
fn limit_sasl_line_on_the_server() {
    // 100 octets of base64 (a multiple of 4) plus CRLF.
    let limit = 102;
    let config = || {
        ServerConfig::new()
            .with_implicit_tls(true)
            .with_limits(Limits::new().with_max_sasl_line(limit))
    };
    // N: a response line of exactly the limit (CRLF included) is read and decoded.
    let mut server = Server::new(config(), Instant::now());
    drain_server(&mut server);
    server.receive(b"AUTH PLAIN\r\n");
    assert_eq!(drain_server(&mut server).0, "+ \r\n");
    let b64 = "A".repeat(limit - 2);
    server.receive(format!("{b64}\r\n").as_bytes());
    let (out, events) = drain_server(&mut server);
    // Base64 of zeros decodes; PLAIN refuses the message, but the line was accepted.
    assert!(
        out.starts_with("-ERR [AUTH] Authentication failed"),
        "{out}"
    );
    assert!(events.is_empty());
    // N+1: too long.
    let mut server = Server::new(config(), Instant::now());
    drain_server(&mut server);
    server.receive(b"AUTH PLAIN\r\n");
    drain_server(&mut server);
    server.receive(format!("{b64}A\r\n").as_bytes());
    assert_eq!(
        drain_server(&mut server).0,
        "-ERR [AUTH] SASL response too long\r\n"
    );
}

fn greeted(limits: Limits) -> Client {
    let mut client = Client::new(
        ClientConfig::new()
            .with_implicit_tls(true)
            .with_limits(limits),
    );
    client.receive(b"+OK hi\r\n");
    assert!(matches!(
        drain_client(&mut client)[0],
        Ok(ClientEvent::Greeting { .. })
    ));
    client
}

#[test]
fn limit_response_line_on_the_client() {
    for limit in [512, 64] {
        let mut client = greeted(Limits::new().with_max_response_line(limit));
        client.send_capa().unwrap();
        let cap = "X".repeat(limit - 2);
        client.receive(format!("+OK\r\n{cap}\r\n.\r\n").as_bytes());
        let events = drain_client(&mut client);
        assert!(
            matches!(events[0], Ok(ClientEvent::Capabilities { .. })),
            "{events:?}"
        );
        client.send_capa().unwrap();
        client.receive(format!("+OK\r\n{cap}X\r\n.\r\n").as_bytes());
        let events = drain_client(&mut client);
        assert!(
            matches!(events[0], Err(ProtocolError::LineTooLong { limit: l, .. }) if l == limit),
            "{events:?}"
        );
    }
}

#[test]
fn limit_sasl_line_on_the_client() {
    let limit = 64;
    let run = |challenge_len: usize| {
        let mut client = greeted(Limits::new().with_max_sasl_line(limit).with_max_response_line(32));
        client
            .login(
                Credentials::password("u", "p"),
                LoginMethod::Sasl(sasl_proto::Mechanism::Login),
            )
            .unwrap();
        let challenge = "A".repeat(challenge_len);
        client.receive(format!("+ {challenge}\r\n").as_bytes());
        drain_client(&mut client)
    };
    // "+ " plus the base64 plus CRLF at the limit: read (LOGIN answers with the user name).
    assert!(run(limit - 4).iter().all(Result::is_ok));
    let events = run(limit - 3);
    assert!(
        matches!(events[0], Err(ProtocolError::LineTooLong { .. })),
        "{events:?}"
    );
}

#[test]
fn limit_listing_entries() {
    let limit = 3;
    let mut client = greeted(Limits::new().with_max_listing_entries(limit));
    client
        .login(Credentials::password("u", "p"), LoginMethod::UserPass)
        .unwrap();
    client.receive(b"+OK\r\n+OK in\r\n");
    drain_client(&mut client);
    client.send_list(None).unwrap();
    client.receive(b"+OK\r\n1 1\r\n2 2\r\n3 3\r\n.\r\n");
    let events = drain_client(&mut client);
    assert!(matches!(&events[0], Ok(ClientEvent::List { entries, .. }) if entries.len() == 3));
    client.send_list(None).unwrap();
    client.receive(b"+OK\r\n1 1\r\n2 2\r\n3 3\r\n4 4\r\n.\r\n");
    let events = drain_client(&mut client);
    assert_eq!(events[0], Err(ProtocolError::TooManyEntries { limit }));
}

#[test]
fn limit_input_buffer_drives_backpressure() {
    let limit = 1024;
    let mut server = Server::new(
        ServerConfig::new().with_limits(Limits::new().with_max_input_buffer(limit)),
        Instant::now(),
    );
    assert!(server.wants_input());
    let region = server.input_buffer();
    assert_eq!(region.len(), limit);
    // Fill it to N - 1: still room; N: none.
    region[..limit - 1].fill(b'x');
    server.commit_input(limit - 1);
    assert!(server.wants_input());
    let region = server.input_buffer();
    assert_eq!(region.len(), 1);
    region[0] = b'x';
    server.commit_input(1);
    assert!(!server.wants_input());
    let mut client =
        Client::new(ClientConfig::new().with_limits(Limits::new().with_max_input_buffer(limit)));
    assert_eq!(client.input_buffer().len(), limit);
}
