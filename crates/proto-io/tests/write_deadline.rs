//! Every write has a deadline, on 127.0.0.1: a peer that pipelines commands and never reads
//! their replies is closed once the machine's idle deadline (or, for a machine without one,
//! the driver's write timeout) passes with the write stuck, by both drivers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::io::Write;
use std::thread;
use std::time::{Duration, Instant};

use common::{Lines, small_buffer_client, small_buffer_listener, small_buffer_std_listener};
use proto_io::{AsyncDriver, AsyncStream, DriveError, Driver, Stream};

/// A reply much longer than the command, as a server's often is.
const REPLY: &str = "250 2.0.0 this reply is long so that the peer's window fills up quickly \
                     with what it never reads, which is the point of the test";

/// The peer: sends NOOP after NOOP and never reads; returns how much it sent and whether the
/// server closed on it.
fn pipelining_peer(mut tcp: std::net::TcpStream) -> thread::JoinHandle<(usize, bool)> {
    thread::spawn(move || {
        let started = Instant::now();
        let mut sent = 0;
        while started.elapsed() < Duration::from_secs(20) {
            match tcp.write(b"NOOP\r\n") {
                Ok(n) => sent += n,
                // The server closed: the writes stop here.
                Err(_) => return (sent, true),
            }
        }
        (sent, false)
    })
}

/// Runs a driver until it stops, with what it returned last.
fn run_blocking(mut driver: Driver<Lines>) -> Result<(), DriveError<proto_core::LineError>> {
    loop {
        if driver.next_event()?.is_none() {
            return Ok(());
        }
    }
}

#[test]
fn blocking_closes_a_peer_that_never_reads_at_the_machines_deadline() {
    let (listener, addr) = small_buffer_std_listener();
    let peer = pipelining_peer(small_buffer_client(addr));
    let (tcp, _) = listener.accept().unwrap();
    let machine = Lines::new()
        .replying(REPLY)
        .idle(Duration::from_millis(400));
    // No write timeout of the driver's own: the machine's idle deadline alone.
    let driver = Driver::new(machine, Stream::Plain(tcp)).with_write_timeout(None);
    let started = Instant::now();
    let result = run_blocking(driver);
    assert!(
        matches!(result, Err(DriveError::WriteTimedOut)),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    let (sent, closed) = peer.join().unwrap();
    assert!(closed, "the peer saw the connection close");
    assert!(sent > 0);
}

#[test]
fn blocking_closes_a_peer_that_never_reads_at_its_write_timeout() {
    let (listener, addr) = small_buffer_std_listener();
    let peer = pipelining_peer(small_buffer_client(addr));
    let (tcp, _) = listener.accept().unwrap();
    // A machine without any deadline: the driver's write timeout applies.
    let machine = Lines::new().replying(REPLY);
    let driver = Driver::new(machine, Stream::Plain(tcp))
        .with_write_timeout(Some(Duration::from_millis(400)));
    let started = Instant::now();
    let result = run_blocking(driver);
    assert!(
        matches!(result, Err(DriveError::WriteTimedOut)),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(peer.join().unwrap().1, "the peer saw the connection close");
}

async fn run_async(
    mut driver: AsyncDriver<Lines>,
) -> (Result<(), DriveError<proto_core::LineError>>, usize) {
    let mut lines = 0;
    loop {
        match driver.next_event().await {
            Ok(Some(_)) => lines += 1,
            Ok(None) => return (Ok(()), lines),
            Err(e) => return (Err(e), lines),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_closes_a_peer_that_never_reads_at_the_machines_deadline() {
    let (listener, addr) = small_buffer_listener();
    let client = tokio::task::spawn_blocking(move || small_buffer_client(addr));
    let (tcp, _) = listener.accept().await.unwrap();
    let peer = pipelining_peer(client.await.unwrap());
    let machine = Lines::new()
        .replying(REPLY)
        .idle(Duration::from_millis(400));
    let driver = AsyncDriver::new(machine, AsyncStream::Plain(tcp)).with_write_timeout(None);
    let started = Instant::now();
    // Full duplex: it reads the peer's commands while its replies wait, until the output
    // backlog is full; then no more progress is made and the idle deadline passes.
    let (result, lines) = tokio::time::timeout(Duration::from_secs(15), run_async(driver))
        .await
        .expect("the driver stops by itself");
    assert!(
        matches!(result, Err(DriveError::WriteTimedOut)),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    // The output the driver held stayed bounded: the replies to the commands it read fit in
    // the backlog plus what the socket buffers took.
    let held = lines * (REPLY.len() + 2);
    assert!(
        held < proto_io::driver_core::MAX_OUTPUT_BACKLOG + 4 * 1024 * 1024,
        "{lines} lines read"
    );
    let (_, closed) = tokio::task::spawn_blocking(move || peer.join().unwrap())
        .await
        .unwrap();
    assert!(closed, "the peer saw the connection close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_closes_a_peer_that_never_reads_at_its_write_timeout() {
    let (listener, addr) = small_buffer_listener();
    let client = tokio::task::spawn_blocking(move || small_buffer_client(addr));
    let (tcp, _) = listener.accept().await.unwrap();
    let peer = pipelining_peer(client.await.unwrap());
    let driver = AsyncDriver::new(Lines::new().replying(REPLY), AsyncStream::Plain(tcp))
        .with_write_timeout(Some(Duration::from_millis(400)));
    let (result, _) = tokio::time::timeout(Duration::from_secs(15), run_async(driver))
        .await
        .expect("the driver stops by itself");
    assert!(
        matches!(result, Err(DriveError::WriteTimedOut)),
        "{result:?}"
    );
    let (_, closed) = tokio::task::spawn_blocking(move || peer.join().unwrap())
        .await
        .unwrap();
    assert!(closed, "the peer saw the connection close");
}

#[tokio::test]
async fn a_dropped_next_event_loses_nothing() {
    // next_event raced against a short timer again and again (as a select! in a server
    // does), while the lines trickle in cut at odd places: every line still arrives once,
    // in order.
    const COUNT: usize = 100;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sender = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        let (mut tcp, _) = listener.accept().await.unwrap();
        let all: String = (0..COUNT).map(common::numbered).collect();
        for piece in all.as_bytes().chunks(37) {
            tcp.write_all(piece).await.unwrap();
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut driver = AsyncDriver::new(Lines::new(), AsyncStream::Plain(tcp));
    let mut lines = Vec::new();
    let mut cancelled = 0;
    loop {
        tokio::select! {
            next = driver.next_event() => match next.unwrap() {
                Some(common::Ev::Line(line)) => lines.push(line),
                Some(other) => panic!("{other:?}"),
                None => break,
            },
            () = tokio::time::sleep(Duration::from_micros(300)) => cancelled += 1,
        }
    }
    sender.await.unwrap();
    assert_eq!(lines.len(), COUNT);
    for (n, line) in lines.iter().enumerate() {
        assert_eq!(
            [&line[..], b"\r\n"].concat(),
            common::numbered(n).as_bytes()
        );
    }
    assert!(cancelled > 0, "some calls were dropped mid-way");
}
