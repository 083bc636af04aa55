//! Full duplex on 127.0.0.1: a peer that sends a large request while we send a large response
//! (the IMAP case: an APPEND literal against a long FETCH) does not deadlock the async driver;
//! the half-duplex blocking driver, in the same place, is saved only by its write deadline.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::io::{Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use common::{Ev, Lines, numbered, small_buffer_client, small_buffer_listener};
use proto_io::{AsyncDriver, AsyncStream, DriveError, Driver, Stream};

/// Lines each way: 2 MB, far more than the small socket buffers hold.
const LINES: usize = 20_000;

/// The peer: writes its whole request before reading anything, then reads to the end.
fn half_duplex_peer(mut tcp: std::net::TcpStream) -> thread::JoinHandle<(bool, Vec<u8>)> {
    thread::spawn(move || {
        let request: String = (0..LINES).map(numbered).collect();
        let wrote_all = tcp.write_all(request.as_bytes()).is_ok();
        let mut response = Vec::new();
        let _ = tcp.read_to_end(&mut response);
        (wrote_all, response)
    })
}

fn expected() -> Vec<u8> {
    (0..LINES).map(numbered).collect::<String>().into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_request_against_a_large_response_does_not_deadlock() {
    let (listener, addr) = small_buffer_listener();
    let peer = tokio::task::spawn_blocking(move || small_buffer_client(addr));
    let (tcp, _) = listener.accept().await.unwrap();
    let peer = half_duplex_peer(peer.await.unwrap());

    let machine = Lines::new().streaming(LINES).closing_after(LINES);
    let mut driver = AsyncDriver::new(machine, AsyncStream::Plain(tcp))
        .with_write_timeout(Some(Duration::from_secs(20)));
    let started = Instant::now();
    let mut lines = Vec::new();
    let run = async {
        while let Some(event) = driver.next_event().await.unwrap() {
            let Ev::Line(line) = event else {
                panic!("{event:?}")
            };
            lines.push(line);
        }
    };
    tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("no deadlock");
    let (wrote_all, response) = tokio::task::spawn_blocking(move || peer.join().unwrap())
        .await
        .unwrap();
    assert!(wrote_all, "the peer's whole request was taken");
    assert_eq!(lines.len(), LINES);
    for (n, line) in lines.iter().enumerate() {
        assert_eq!(
            [&line[..], b"\r\n"].concat(),
            numbered(n).as_bytes(),
            "line {n}"
        );
    }
    assert_eq!(response.len(), expected().len());
    assert!(
        response == expected(),
        "the whole response arrived in order"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn the_blocking_driver_is_half_duplex_and_its_write_deadline_ends_the_stall() {
    let (listener, addr) = common::small_buffer_std_listener();
    let peer = half_duplex_peer(small_buffer_client(addr));
    let (tcp, _) = listener.accept().unwrap();
    let machine = Lines::new().streaming(LINES).closing_after(LINES);
    let mut driver = Driver::new(machine, Stream::Plain(tcp))
        .with_write_timeout(Some(Duration::from_millis(500)));
    let started = Instant::now();
    let result = loop {
        match driver.next_event() {
            Ok(Some(_)) => continue,
            other => break other,
        }
    };
    assert!(
        matches!(result, Err(DriveError::WriteTimedOut)),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(driver.is_closed());
    let (wrote_all, response) = peer.join().unwrap();
    assert!(!wrote_all, "the peer's request could not all go");
    assert!(response.len() < expected().len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_async_drivers_stream_both_ways_at_once() {
    // Both sides stream 2 MB while reading the other's 2 MB: each reads while its writes wait.
    let (listener, addr) = small_buffer_listener();
    let client = tokio::spawn(async move {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(common::SMALL_BUFFER).unwrap();
        socket.set_send_buffer_size(common::SMALL_BUFFER).unwrap();
        let tcp = socket.connect(addr).await.unwrap();
        let machine = Lines::new().streaming(LINES).closing_after(LINES);
        run_lines(AsyncDriver::new(machine, AsyncStream::Plain(tcp))).await
    });
    let (tcp, _) = listener.accept().await.unwrap();
    let machine = Lines::new().streaming(LINES).closing_after(LINES);
    let server = run_lines(AsyncDriver::new(machine, AsyncStream::Plain(tcp)));
    let (server_lines, client_lines) = tokio::time::timeout(Duration::from_secs(30), async {
        let server_lines = server.await;
        (server_lines, client.await.unwrap())
    })
    .await
    .expect("no deadlock");
    for lines in [server_lines, client_lines] {
        assert_eq!(lines.len(), LINES);
        let got: Vec<u8> = lines
            .iter()
            .flat_map(|l| [&l[..], b"\r\n"].concat())
            .collect();
        assert!(got == expected(), "every line once, in order");
    }
}

async fn run_lines(mut driver: AsyncDriver<Lines>) -> Vec<bytes::Bytes> {
    let mut lines = Vec::new();
    while let Some(event) = driver.next_event().await.unwrap() {
        let Ev::Line(line) = event else {
            panic!("{event:?}")
        };
        lines.push(line);
    }
    lines
}
