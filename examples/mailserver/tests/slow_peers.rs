//! The mail server in-process on 127.0.0.1 with a one-second idle limit: a peer that trickles
//! one octet at a time (never a whole command) is closed with a 421 when the limit passes, on
//! SMTP and on POP3; a peer that pipelines commands and never reads the replies is closed too,
//! once the replies it does not read have waited past the limit.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use common::{any_port, config, fast_retry, temp_dir};

/// The idle limit the server is given.
const IDLE: Duration = Duration::from_millis(1000);

async fn start(name: &str) -> mailserver::Running {
    let dir = temp_dir(name);
    let mut config = config("example.net", &dir, any_port(), vec![], fast_retry(3600));
    config.limits.idle_timeout_ms = Some(IDLE.as_millis() as u64);
    mailserver::start(config, None).await.unwrap()
}

/// Reads the greeting, then sends one octet of `command` every 200 ms without ever ending
/// the line. Returns the lines the server sent after the greeting (until it closed) and how
/// long after connecting it closed.
fn trickle(addr: SocketAddr, command: &'static [u8]) -> (Vec<String>, Duration) {
    // The server's idle timer starts after this instant, so it cannot close before IDLE.
    let started = Instant::now();
    let tcp = TcpStream::connect(addr).unwrap();
    let mut reader = BufReader::new(tcp.try_clone().unwrap());
    let mut greeting = String::new();
    reader.read_line(&mut greeting).unwrap();
    assert!(
        greeting.starts_with("220") || greeting.starts_with("+OK"),
        "{greeting}"
    );
    let mut writer = tcp.try_clone().unwrap();
    let trickler = thread::spawn(move || {
        for octet in command.iter().cycle() {
            if started.elapsed() > Duration::from_secs(15) || writer.write_all(&[*octet]).is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(200));
        }
    });
    tcp.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => lines.push(line.trim_end().to_owned()),
        }
    }
    let closed_after = started.elapsed();
    // The trickler stops on its next failed write; the server is gone.
    drop(reader);
    let _ = tcp.shutdown(std::net::Shutdown::Both);
    trickler.join().unwrap();
    (lines, closed_after)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickling_smtp_peer_is_closed_at_the_idle_limit() {
    let server = start("trickle-smtp").await;
    let mx = server.addresses.smtp.unwrap();
    let (lines, closed_after) = tokio::task::spawn_blocking(move || trickle(mx, b"NOOP"))
        .await
        .unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("421 4.4.2 "), "{lines:?}");
    assert!(closed_after >= IDLE, "{closed_after:?}");
    assert!(closed_after < IDLE * 5, "{closed_after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickling_pop3_peer_is_closed_at_the_idle_limit() {
    let server = start("trickle-pop3").await;
    let pop3 = server.addresses.pop3.unwrap();
    let (lines, closed_after) = tokio::task::spawn_blocking(move || trickle(pop3, b"CAPA"))
        .await
        .unwrap();
    assert!(lines.len() <= 1, "{lines:?}");
    assert!(lines.iter().all(|l| l.starts_with("-ERR")), "{lines:?}");
    assert!(closed_after >= IDLE, "{closed_after:?}");
    assert!(closed_after < IDLE * 5, "{closed_after:?}");
}

/// Sends NOOP after NOOP and never reads. Returns how many it sent and how long the server
/// took to close on it (`None` if it never did within 20 s).
fn pipeline_without_reading(addr: SocketAddr) -> (usize, Option<Duration>) {
    let mut tcp = TcpStream::connect(addr).unwrap();
    // A blocked write wakes up now and then to look at the clock.
    tcp.set_write_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let started = Instant::now();
    let mut sent = 0;
    let batch = b"NOOP\r\n".repeat(100);
    while started.elapsed() < Duration::from_secs(20) {
        match tcp.write(&batch) {
            Ok(n) => sent += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return (sent / 6, Some(started.elapsed())),
        }
    }
    (sent / 6, None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_smtp_peer_that_never_reads_is_closed() {
    let server = start("never-reads").await;
    let mx = server.addresses.smtp.unwrap();
    let (sent, closed_after) = tokio::task::spawn_blocking(move || pipeline_without_reading(mx))
        .await
        .unwrap();
    let closed_after = closed_after.expect("the server closed the connection");
    println!("{sent} NOOPs sent, closed after {closed_after:?}");
    assert!(sent > 1000, "the peer pipelined a lot before: {sent}");
    assert!(closed_after < Duration::from_secs(15), "{closed_after:?}");

    // The server still serves others.
    let mut tcp = TcpStream::connect(mx).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut greeting = [0u8; 3];
    tcp.read_exact(&mut greeting).unwrap();
    assert_eq!(&greeting, b"220");
}
