//! The blocking driver over real TCP on 127.0.0.1: a STARTTLS upgrade with a real rustls
//! handshake, channel-binding data seen alike on both sides, compression, timeouts, and the
//! trace tap redacting a password.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use proto_core::{
    BareLineEnding, Compression, InputBuffer, LineError, LineFramer, Machine, OutputBuffer, Timer,
    TlsInfo, TransportAction,
};
use proto_io::{
    Collector, Direction, DriveError, Driver, ServerTls, Stream, TlsUpgrade, Trace, Trust,
};

/// What a toy machine reports.
#[derive(Debug, Clone, PartialEq)]
enum Ev {
    Line(String),
    Tls(Option<Vec<u8>>),
    Timeout,
}

type Rule = fn(&str) -> (Vec<&'static str>, Option<TransportAction>);

/// A line machine whose replies come from a rule: enough to exercise a driver.
struct Toy {
    input: InputBuffer,
    output: OutputBuffer,
    framer: LineFramer,
    rule: Rule,
    transport: Option<TransportAction>,
    events: Vec<Ev>,
    idle: Timer,
}

impl Toy {
    fn new(rule: Rule, greeting: Option<&str>, idle: Duration) -> Self {
        let mut output = OutputBuffer::new();
        if let Some(g) = greeting {
            output.push(g.as_bytes());
            output.push(b"\r\n");
        }
        let mut timer = Timer::new(idle);
        timer.start(Instant::now());
        Self {
            input: InputBuffer::new(4096),
            output,
            framer: LineFramer::new(1000, BareLineEnding::Accept),
            rule,
            transport: None,
            events: Vec::new(),
            idle: timer,
        }
    }
    fn say(&mut self, line: &str) {
        self.output.push(line.as_bytes());
        self.output.push(b"\r\n");
    }
}

impl Machine for Toy {
    type Event = Ev;
    type Error = LineError;
    fn receive(&mut self, data: &[u8], _now: Instant) {
        self.input.extend(data);
    }
    fn input_buffer(&mut self) -> &mut [u8] {
        self.input.spare()
    }
    fn commit_input(&mut self, n: usize, _now: Instant) {
        self.input.commit(n);
    }
    fn receive_eof(&mut self, _now: Instant) {}
    fn wants_input(&self) -> bool {
        self.transport.is_none() && self.input.has_room()
    }
    fn transmit(&self) -> &[u8] {
        self.output.pending()
    }
    fn advance_transmit(&mut self, n: usize) {
        self.output.advance(n);
    }
    fn poll_event(&mut self) -> Option<Result<Ev, LineError>> {
        if !self.events.is_empty() {
            return Some(Ok(self.events.remove(0)));
        }
        if self.transport.is_some() {
            return None;
        }
        let line: Bytes = match self.framer.poll_line(self.input.data())? {
            Ok(line) => line,
            Err(e) => return Some(Err(e)),
        };
        let text = String::from_utf8_lossy(&line).into_owned();
        let (replies, transport) = (self.rule)(&text);
        for reply in replies {
            self.say(reply);
        }
        self.transport = transport;
        Some(Ok(Ev::Line(text)))
    }
    fn poll_transport(&mut self) -> Option<TransportAction> {
        self.transport.take()
    }
    fn tls_established(&mut self, info: TlsInfo) {
        self.events.push(Ev::Tls(info.tls_exporter));
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.idle.deadline()
    }
    fn handle_timeout(&mut self, now: Instant) {
        if self.idle.expire(now) {
            self.events.push(Ev::Timeout);
            self.transport = Some(TransportAction::Close);
        }
    }
}

fn server_rule(line: &str) -> (Vec<&'static str>, Option<TransportAction>) {
    match line {
        "STARTTLS" => (vec!["+OK go ahead"], Some(TransportAction::StartTls)),
        "COMPRESS" => (
            vec!["+OK deflate"],
            Some(TransportAction::Compress(Compression::Deflate)),
        ),
        "QUIT" => (vec!["+OK bye"], Some(TransportAction::Close)),
        _ => (vec!["+OK seen"], None),
    }
}

fn client_rule(line: &str) -> (Vec<&'static str>, Option<TransportAction>) {
    match line {
        "+OK go ahead" => (vec![], Some(TransportAction::StartTls)),
        "+OK deflate" => (
            vec![],
            Some(TransportAction::Compress(Compression::Deflate)),
        ),
        _ => (vec![], None),
    }
}

fn self_signed() -> ServerTls {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    ServerTls::from_pem(
        cert.cert.pem().as_bytes(),
        cert.key_pair.serialize_pem().as_bytes(),
    )
    .unwrap()
}

/// Runs the server side of one connection and returns its events.
fn serve(listener: TcpListener, tls: ServerTls, idle: Duration) -> thread::JoinHandle<Vec<Ev>> {
    thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        let machine = Toy::new(server_rule, Some("+OK toy ready"), idle);
        let mut driver =
            Driver::new(machine, Stream::Plain(tcp)).with_tls_upgrade(TlsUpgrade::Server(tls));
        let mut events = Vec::new();
        while let Some(event) = driver.next_event().unwrap() {
            events.push(event);
        }
        events
    })
}

fn next_line<M: Machine<Event = Ev>>(driver: &mut Driver<M>) -> Ev
where
    M::Error: std::error::Error,
{
    driver
        .next_event()
        .unwrap()
        .expect("an event before the end")
}

#[test]
fn starttls_compress_and_quit_over_real_tcp() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = serve(listener, self_signed(), Duration::from_secs(30));

    let collector = Collector::new();
    let tcp = TcpStream::connect(addr).unwrap();
    let upgrade = TlsUpgrade::Client {
        config: proto_io::tls::client_config(&Trust::AcceptInvalidCertificates).unwrap(),
        name: proto_io::tls::server_name("localhost").unwrap(),
    };
    let machine = Toy::new(client_rule, None, Duration::from_secs(30));
    let mut client = Driver::new(machine, Stream::Plain(tcp))
        .with_tls_upgrade(upgrade)
        .with_trace(Trace::new("client", Arc::new(collector.clone())));

    assert_eq!(next_line(&mut client), Ev::Line("+OK toy ready".into()));
    client.machine().say("PASS hunter2");
    assert_eq!(next_line(&mut client), Ev::Line("+OK seen".into()));
    client.machine().say("STARTTLS");
    assert_eq!(next_line(&mut client), Ev::Line("+OK go ahead".into()));
    let Ev::Tls(Some(client_binding)) = next_line(&mut client) else {
        panic!("TLS event with an exporter")
    };
    assert!(client.is_tls());
    client.machine().say("in TLS");
    assert_eq!(next_line(&mut client), Ev::Line("+OK seen".into()));
    client.machine().say("COMPRESS");
    assert_eq!(next_line(&mut client), Ev::Line("+OK deflate".into()));
    let long = "x".repeat(900);
    client.machine().say(&long);
    assert_eq!(next_line(&mut client), Ev::Line("+OK seen".into()));
    client.machine().say("QUIT");
    assert_eq!(next_line(&mut client), Ev::Line("+OK bye".into()));
    assert_eq!(client.next_event().unwrap(), None, "the server closed");

    let server_events = server.join().unwrap();
    let server_binding = server_events
        .iter()
        .find_map(|e| match e {
            Ev::Tls(b) => b.clone(),
            _ => None,
        })
        .expect("server saw TLS");
    assert_eq!(
        server_binding, client_binding,
        "tls-exporter is the same on both sides"
    );
    assert_eq!(client_binding.len(), 32);
    assert!(
        server_events.contains(&Ev::Line(long.clone())),
        "the long line crossed DEFLATE"
    );
    assert!(server_events.contains(&Ev::Line("PASS hunter2".into())));

    let trace = collector.lines();
    let sent: Vec<&str> = trace
        .iter()
        .filter(|l| l.direction == Direction::Sent)
        .map(|l| l.text.as_str())
        .collect();
    assert!(sent.contains(&"PASS ***"), "{sent:?}");
    assert!(
        !trace.iter().any(|l| l.text.contains("hunter2")),
        "the password never reaches the trace"
    );
    assert!(trace.iter().any(|l| l.text.starts_with("[TLS established")));
}

#[test]
fn an_idle_peer_meets_the_machines_timer() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = serve(listener, self_signed(), Duration::from_millis(300));
    let tcp = TcpStream::connect(addr).unwrap();
    let mut client = Driver::new(
        Toy::new(client_rule, None, Duration::from_secs(30)),
        Stream::Plain(tcp),
    );
    assert_eq!(next_line(&mut client), Ev::Line("+OK toy ready".into()));
    let started = Instant::now();
    // The client says nothing; the server's idle timer closes the connection.
    assert_eq!(client.next_event().unwrap(), None);
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert_eq!(server.join().unwrap(), vec![Ev::Timeout]);
}

#[test]
fn starttls_without_configuration_is_an_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        let mut driver = Driver::new(
            Toy::new(server_rule, Some("+OK"), Duration::from_secs(5)),
            Stream::Plain(tcp),
        );
        loop {
            match driver.next_event() {
                Ok(Some(_)) => continue,
                other => return other.map(|_| ()),
            }
        }
    });
    let mut tcp = TcpStream::connect(addr).unwrap();
    std::io::Write::write_all(&mut tcp, b"STARTTLS\r\n").unwrap();
    let result = handle.join().unwrap();
    assert!(
        matches!(result, Err(DriveError::NoTlsConfigured)),
        "{result:?}"
    );
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn async_driver_upgrades_and_talks_to_the_blocking_one() {
    use proto_io::{AsyncDriver, AsyncStream};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = serve(listener, self_signed(), Duration::from_secs(30));

    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let upgrade = TlsUpgrade::Client {
        config: proto_io::tls::client_config(&Trust::AcceptInvalidCertificates).unwrap(),
        name: proto_io::tls::server_name("localhost").unwrap(),
    };
    let machine = Toy::new(client_rule, None, Duration::from_secs(30));
    let mut client = AsyncDriver::new(machine, AsyncStream::Plain(tcp)).with_tls_upgrade(upgrade);
    assert_eq!(
        client_next(&mut client).await,
        Ev::Line("+OK toy ready".into())
    );
    client.machine().say("STARTTLS");
    assert_eq!(
        client_next(&mut client).await,
        Ev::Line("+OK go ahead".into())
    );
    let Ev::Tls(Some(binding)) = client_next(&mut client).await else {
        panic!("TLS event")
    };
    assert!(client.is_tls());
    client.machine().say("COMPRESS");
    assert_eq!(
        client_next(&mut client).await,
        Ev::Line("+OK deflate".into())
    );
    let long = "y".repeat(900);
    client.machine().say(&long);
    assert_eq!(client_next(&mut client).await, Ev::Line("+OK seen".into()));
    assert!(client.is_tls(), "still TLS under the compression");
    client.machine().say("QUIT");
    assert_eq!(client_next(&mut client).await, Ev::Line("+OK bye".into()));
    assert_eq!(client.next_event().await.unwrap(), None);
    let server_events = server.join().unwrap();
    assert!(
        server_events.contains(&Ev::Line(long)),
        "the long line crossed DEFLATE"
    );
    assert!(
        server_events.contains(&Ev::Tls(Some(binding))),
        "same exporter on both sides"
    );
}

#[cfg(feature = "tokio")]
async fn client_next(client: &mut proto_io::AsyncDriver<Toy>) -> Ev {
    client
        .next_event()
        .await
        .unwrap()
        .expect("an event before the end")
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn a_starttls_handshake_survives_dropped_calls() {
    use std::io::{BufRead, BufReader, Write};

    use proto_io::{AsyncDriver, AsyncStream};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let tls = self_signed();
    // A server that waits before its side of the handshake, so that the client's calls are
    // dropped in the middle of it.
    let server = thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        tcp.write_all(b"+OK toy ready\r\n").unwrap();
        let mut line = String::new();
        BufReader::new(tcp.try_clone().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, "STARTTLS\r\n");
        tcp.write_all(b"+OK go ahead\r\n").unwrap();
        thread::sleep(Duration::from_millis(300));
        let (stream, _) = Stream::tls_server(tcp, &tls).unwrap();
        let machine = Toy::new(server_rule, None, Duration::from_secs(30));
        let mut driver = Driver::new(machine, stream);
        let mut events = Vec::new();
        while let Some(event) = driver.next_event().unwrap() {
            events.push(event);
        }
        events
    });

    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let upgrade = TlsUpgrade::Client {
        config: proto_io::tls::client_config(&Trust::AcceptInvalidCertificates).unwrap(),
        name: proto_io::tls::server_name("localhost").unwrap(),
    };
    let machine = Toy::new(client_rule, None, Duration::from_secs(30));
    let mut client = AsyncDriver::new(machine, AsyncStream::Plain(tcp)).with_tls_upgrade(upgrade);
    assert_eq!(
        client_next(&mut client).await,
        Ev::Line("+OK toy ready".into())
    );
    client.machine().say("STARTTLS");
    let mut dropped = 0;
    let mut events = Vec::new();
    while events.len() < 2 {
        tokio::select! {
            next = client.next_event() => events.push(next.unwrap().expect("an event")),
            () = tokio::time::sleep(Duration::from_millis(20)) => dropped += 1,
        }
    }
    assert!(
        dropped >= 5,
        "calls were dropped during the handshake: {dropped}"
    );
    assert_eq!(events[0], Ev::Line("+OK go ahead".into()));
    assert!(matches!(&events[1], Ev::Tls(Some(binding)) if binding.len() == 32));
    assert!(client.is_tls());
    client.machine().say("in TLS");
    assert_eq!(client_next(&mut client).await, Ev::Line("+OK seen".into()));
    client.machine().say("QUIT");
    assert_eq!(client_next(&mut client).await, Ev::Line("+OK bye".into()));
    assert_eq!(client.next_event().await.unwrap(), None);
    let server_events = tokio::task::spawn_blocking(move || server.join().unwrap())
        .await
        .unwrap();
    assert_eq!(
        server_events,
        [Ev::Line("in TLS".into()), Ev::Line("QUIT".into())]
    );
}
