//! The accept loop: implicit TLS with the blocking connect helper, connection caps with a
//! polite refusal written by `serve` itself, accept errors survived, and shutdown.

#![cfg(feature = "tokio")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use proto_io::serve::{Accept, Accepted, POP3_REFUSAL, ServeConfig, serve};
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

/// Stops the accept loop and checks that it ends within `seconds`, without an error.
async fn stop_within(
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    seconds: u64,
) {
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(seconds), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

/// Greets, then echoes one line and ends.
async fn greeter(accepted: Accepted) {
    let mut stream = tokio::io::BufReader::new(accepted.stream);
    let greeting = match accepted.tls_info {
        Some(_) => "220 hello over TLS\r\n",
        None => "220 hello\r\n",
    };
    stream
        .get_mut()
        .write_all(greeting.as_bytes())
        .await
        .unwrap();
    stream.get_mut().flush().await.unwrap();
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
        refusal_line: "421 4.7.0 too many connections from your address".into(),
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

        // The first connection is still open: a second one from 127.0.0.1 is refused politely,
        // in plain text: no TLS handshake is spent on a refused connection.
        let mut second = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        second
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut refusal = String::new();
        second.read_to_string(&mut refusal).unwrap();
        assert_eq!(
            refusal,
            "421 4.7.0 too many connections from your address\r\n"
        );

        first.get_mut().write_all(b"ping\r\n").unwrap();
        first.get_mut().flush().unwrap();
        let mut echo = String::new();
        first.read_line(&mut echo).unwrap();
        assert_eq!(echo, "ping\r\n");
    })
    .await;
    result.unwrap();
    stop_within(stop, server, 5).await;
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
    stop_within(stop, server, 5).await;
}

/// A listener that fails with EMFILE ("too many open files") a number of times first.
struct FailingListener {
    inner: tokio::net::TcpListener,
    failures_left: usize,
    failed: Arc<AtomicUsize>,
}

impl Accept for FailingListener {
    async fn accept(&mut self) -> std::io::Result<(tokio::net::TcpStream, SocketAddr)> {
        if self.failures_left > 0 {
            self.failures_left -= 1;
            self.failed.fetch_add(1, Ordering::SeqCst);
            return Err(std::io::Error::from_raw_os_error(24));
        }
        self.inner.accept().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_errors_are_retried_after_a_backoff() {
    let inner = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = inner.local_addr().unwrap();
    let failed = Arc::new(AtomicUsize::new(0));
    let listener = FailingListener {
        inner,
        failures_left: 4,
        failed: failed.clone(),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let server = tokio::spawn(serve(listener, ServeConfig::default(), greeter, async {
        let _ = stopped.await;
    }));
    let greeting = tokio::task::spawn_blocking(move || {
        let mut client = BufReader::new(std::net::TcpStream::connect(addr).unwrap());
        client
            .get_ref()
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut line = String::new();
        client.read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    assert_eq!(greeting, "220 hello\r\n");
    assert_eq!(failed.load(Ordering::SeqCst), 4);
    // 50 + 100 + 200 + 400 ms of waiting between the attempts.
    assert!(started.elapsed() >= Duration::from_millis(750));
    assert!(!server.is_finished(), "the loop must outlive accept errors");
    stop_within(stop, server, 5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_the_loop_while_it_backs_off() {
    let inner = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let listener = FailingListener {
        inner,
        failures_left: usize::MAX,
        failed: Arc::new(AtomicUsize::new(0)),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, ServeConfig::default(), greeter, async {
        let _ = stopped.await;
    }));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!server.is_finished());
    stop_within(stop, server, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_get_the_protocol_refusal_not_the_handler() {
    // The cap per address, then the cap in all: three served, the rest refused.
    for (max_connections, max_per_ip) in [(100, 3), (3, 100)] {
        let config = ServeConfig {
            max_connections,
            max_per_ip,
            refusal_line: POP3_REFUSAL.into(),
            ..ServeConfig::default()
        };
        let (lines, handled) = ten_held_connections(config).await;
        assert_eq!(lines[..3], ["220 hello\r\n"; 3]);
        let refusal = format!("{POP3_REFUSAL}\r\n");
        assert!(lines[3..].iter().all(|l| *l == refusal), "{lines:?}");
        assert_eq!(handled, 3, "refused connections never reach the handler");
    }
}

/// Opens ten connections to a `greeter` served with `config`, holding each open, and returns
/// the first line each got and how many reached the handler.
async fn ten_held_connections(config: ServeConfig) -> (Vec<String>, usize) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handled = Arc::new(AtomicUsize::new(0));
    let counter = handled.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(
        listener,
        config,
        move |accepted: Accepted| {
            counter.fetch_add(1, Ordering::SeqCst);
            greeter(accepted)
        },
        async {
            let _ = stopped.await;
        },
    ));
    let lines = tokio::task::spawn_blocking(move || {
        let mut held = Vec::new();
        let mut lines = Vec::new();
        for _ in 0..10 {
            let mut client = BufReader::new(std::net::TcpStream::connect(addr).unwrap());
            client
                .get_ref()
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut line = String::new();
            client.read_line(&mut line).unwrap();
            lines.push(line);
            held.push(client);
        }
        lines
    })
    .await
    .unwrap();
    stop_within(stop, server, 5).await;
    (lines, handled.load(Ordering::SeqCst))
}
