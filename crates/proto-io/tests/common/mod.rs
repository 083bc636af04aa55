//! A line machine for the driver tests: it answers each line it reads with a fixed reply,
//! streams a number of numbered lines of its own (refilling its output as it drains, as a
//! server sending a large response does), closes once it has read what it expects and sent
//! everything, and has an optional idle timer.

#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use proto_core::{
    BareLineEnding, IdleRules, IdleTimer, InputBuffer, LineError, LineFramer, Machine,
    OutputBuffer, TlsInfo, TransportAction,
};

/// What the line machine reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Ev {
    /// A line read (without its end).
    Line(Bytes),
    /// The idle timer expired; the machine closes.
    TimedOut,
}

/// Output refilled below this much while streaming.
const REFILL_BELOW: usize = 16 * 1024;

/// The numbered line `n` a streaming side sends: 100 octets with its CRLF.
pub fn numbered(n: usize) -> String {
    format!("{n:08} {}\r\n", "x".repeat(89))
}

/// The line machine.
pub struct Lines {
    input: InputBuffer,
    output: OutputBuffer,
    framer: LineFramer,
    reply: Option<&'static str>,
    /// Numbered lines still to stream, and the next number.
    to_stream: usize,
    next: usize,
    /// Close once this many lines were read (and everything was sent).
    close_after: Option<usize>,
    read: usize,
    idle: Option<IdleTimer>,
    events: Vec<Ev>,
    transport: Option<TransportAction>,
    closing: bool,
    eof: bool,
}

impl Lines {
    /// A machine that answers nothing, streams nothing and never closes by itself.
    pub fn new() -> Self {
        Self {
            input: InputBuffer::new(64 * 1024),
            output: OutputBuffer::new(),
            framer: LineFramer::new(1000, BareLineEnding::Accept),
            reply: None,
            to_stream: 0,
            next: 0,
            close_after: None,
            read: 0,
            idle: None,
            events: Vec::new(),
            transport: None,
            closing: false,
            eof: false,
        }
    }

    /// Answers each line read with `reply` (CRLF added).
    pub fn replying(mut self, reply: &'static str) -> Self {
        self.reply = Some(reply);
        self
    }

    /// Streams `lines` numbered lines from the start.
    pub fn streaming(mut self, lines: usize) -> Self {
        self.to_stream = lines;
        self.refill();
        self
    }

    /// Closes once `lines` lines were read and everything was sent.
    pub fn closing_after(mut self, lines: usize) -> Self {
        self.close_after = Some(lines);
        self
    }

    /// Closes after `idle` without a whole line read (progress restarts it).
    pub fn idle(mut self, idle: Duration) -> Self {
        self.idle = Some(IdleTimer::new(IdleRules::new(idle), Instant::now()));
        self
    }

    /// Queues a line to send.
    pub fn say(&mut self, line: &str) {
        self.output.push(line.as_bytes());
        self.output.push(b"\r\n");
    }

    fn refill(&mut self) {
        while self.to_stream > 0 && self.output.len() < REFILL_BELOW {
            self.output.push(numbered(self.next).as_bytes());
            self.next += 1;
            self.to_stream -= 1;
        }
    }

    fn maybe_close(&mut self) {
        let done_reading = self.close_after.is_some_and(|n| self.read >= n) || self.eof;
        if !self.closing && done_reading && self.to_stream == 0 && self.close_after.is_some() {
            self.closing = true;
            self.transport = Some(TransportAction::Close);
        }
    }
}

impl Default for Lines {
    fn default() -> Self {
        Self::new()
    }
}

impl Machine for Lines {
    type Event = Ev;
    type Error = LineError;
    fn receive(&mut self, data: &[u8], now: Instant) {
        if let Some(idle) = self.idle.as_mut() {
            idle.input(now);
        }
        self.input.extend(data);
    }
    fn input_buffer(&mut self) -> &mut [u8] {
        self.input.spare()
    }
    fn commit_input(&mut self, n: usize, now: Instant) {
        if let Some(idle) = self.idle.as_mut() {
            idle.input(now);
        }
        self.input.commit(n);
    }
    fn receive_eof(&mut self, _now: Instant) {
        self.eof = true;
    }
    fn wants_input(&self) -> bool {
        !self.closing && !self.eof && self.input.has_room()
    }
    fn transmit(&self) -> &[u8] {
        self.output.pending()
    }
    fn advance_transmit(&mut self, n: usize) {
        self.output.advance(n);
        self.refill();
    }
    fn poll_event(&mut self) -> Option<Result<Ev, LineError>> {
        if !self.events.is_empty() {
            return Some(Ok(self.events.remove(0)));
        }
        if self.closing {
            return None;
        }
        let line = match self.framer.poll_line(self.input.data()) {
            Some(Ok(line)) => line,
            Some(Err(e)) => return Some(Err(e)),
            None => {
                self.maybe_close();
                return None;
            }
        };
        self.read += 1;
        if let Some(idle) = self.idle.as_mut() {
            idle.progress();
        }
        if let Some(reply) = self.reply {
            self.say(reply);
        }
        self.maybe_close();
        Some(Ok(Ev::Line(line)))
    }
    fn poll_transport(&mut self) -> Option<TransportAction> {
        self.transport.take()
    }
    fn tls_established(&mut self, _info: TlsInfo) {}
    fn poll_timeout(&self) -> Option<Instant> {
        self.idle.as_ref().and_then(IdleTimer::deadline)
    }
    fn handle_timeout(&mut self, now: Instant) {
        if let Some(idle) = self.idle.as_mut()
            && idle.expire(now).is_some()
        {
            self.events.push(Ev::TimedOut);
            self.closing = true;
            self.transport = Some(TransportAction::Close);
        }
    }
}

/// A listener on 127.0.0.1 whose connections have small socket buffers, so that a few
/// hundred kilobytes fill them.
pub fn small_buffer_listener() -> (tokio::net::TcpListener, SocketAddr) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(SMALL_BUFFER).unwrap();
    socket.set_send_buffer_size(SMALL_BUFFER).unwrap();
    socket.bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
    let listener = socket.listen(4).unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// Runs `f` in a runtime of its own, for the sockets below (tokio's can be sized before
/// connecting; std's cannot).
fn in_runtime<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A blocking client socket with small buffers, connected to `addr`.
pub fn small_buffer_client(addr: SocketAddr) -> std::net::TcpStream {
    in_runtime(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(SMALL_BUFFER).unwrap();
        socket.set_send_buffer_size(SMALL_BUFFER).unwrap();
        let stream = socket.connect(addr).await.unwrap().into_std().unwrap();
        stream.set_nonblocking(false).unwrap();
        stream
    })
}

/// A blocking listener whose connections have small socket buffers.
pub fn small_buffer_std_listener() -> (std::net::TcpListener, SocketAddr) {
    in_runtime(async {
        let (listener, addr) = small_buffer_listener();
        let listener = listener.into_std().unwrap();
        listener.set_nonblocking(false).unwrap();
        (listener, addr)
    })
}

/// The socket buffer size asked for (the kernel may double it).
pub const SMALL_BUFFER: u32 = 16 * 1024;
