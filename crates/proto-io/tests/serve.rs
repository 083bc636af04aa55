//! The accept loop: implicit TLS with the blocking connect helper, connection caps with a
//! polite refusal, and shutdown.

#![cfg(feature = "tokio")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{BufRead, BufReader, Write};
use std::time::Duration;

use proto_io::serve::{Accepted, Refusal, ServeConfig, serve};
use proto_io::{Endpoint, ServerTls, TlsMode, Trust, connect};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

fn self_signed() -> ServerTls {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    ServerTls::from_pem(
        cert.cert.pem().as_bytes(),
        cert.key_pair.serialize_pem().as_bytes(),
    )
    .unwrap()
}

/// Greets, or refuses, then echoes one line and ends.
async fn greeter(accepted: Accepted) {
    let mut stream = tokio::io::BufReader::new(accepted.stream);
    let greeting = match accepted.refusal {
        None if accepted.tls_info.is_some() => "220 hello over TLS\r\n",
        None => "220 hello\r\n",
        Some(Refusal::TooManyFromAddress) => "421 too many connections from your address\r\n",
        Some(_) => "421 too busy\r\n",
    };
    stream
        .get_mut()
        .write_all(greeting.as_bytes())
        .await
        .unwrap();
    stream.get_mut().flush().await.unwrap();
    if accepted.refusal.is_some() {
        return;
    }
    let mut line = String::new();
    let _ = stream.read_line(&mut line).await;
    let _ = stream.get_mut().write_all(line.as_bytes()).await;
    let _ = stream.get_mut().flush().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn implicit_tls_and_per_address_cap() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = ServeConfig {
        tls: Some(self_signed()),
        implicit_tls: true,
        max_connections: 10,
        max_per_ip: 1,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, config, greeter, async {
        let _ = stopped.await;
    }));

    let result = tokio::task::spawn_blocking(move || {
        let endpoint = Endpoint::new("localhost", port, TlsMode::Implicit)
            .trust(Trust::AcceptInvalidCertificates);
        let first = connect(&endpoint).unwrap();
        assert!(first.tls_info.as_ref().unwrap().tls_exporter.is_some());
        let mut first = BufReader::new(first.stream);
        let mut line = String::new();
        first.read_line(&mut line).unwrap();
        assert_eq!(line, "220 hello over TLS\r\n");

        // The first connection is still open: a second one from 127.0.0.1 is refused politely.
        let second = connect(&endpoint).unwrap();
        let mut second = BufReader::new(second.stream);
        let mut refusal = String::new();
        second.read_line(&mut refusal).unwrap();
        assert_eq!(refusal, "421 too many connections from your address\r\n");

        first.get_mut().write_all(b"ping\r\n").unwrap();
        first.get_mut().flush().unwrap();
        let mut echo = String::new();
        first.read_line(&mut echo).unwrap();
        assert_eq!(echo, "ping\r\n");
    })
    .await;
    result.unwrap();
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_listener_offers_starttls_upgrade() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = ServeConfig {
        tls: Some(self_signed()),
        ..ServeConfig::default()
    };
    let (seen, mut saw) = tokio::sync::mpsc::unbounded_channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(
        listener,
        config,
        move |accepted: Accepted| {
            let seen = seen.clone();
            async move {
                let _ = seen.send((accepted.upgrade.is_some(), accepted.tls_info.is_some()));
            }
        },
        async {
            let _ = stopped.await;
        },
    ));
    let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
    assert_eq!(saw.recv().await, Some((true, false)));
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
