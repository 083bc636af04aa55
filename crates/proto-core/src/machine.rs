//! The trait every client and server machine implements, and the values it hands a driver.

use std::time::Instant;

/// A sans-IO protocol machine: bytes in, bytes out, events, transport actions and timers.
///
/// Every client and server of the workspace (SMTP, POP3, IMAP) implements this trait, so that one
/// driver loop serves them all. The machine never touches a socket, a clock or a thread: the
/// driver owns those, and hands in the instant each input arrived (as quinn-proto's
/// `handle_event` does), so that every timer works from the caller's clock and tests can use
/// synthetic instants. The loop, in the order that never stalls:
///
/// ```text
/// loop {
///     // 1. Events, one at a time. Making one may queue output (the client's EHLO after the
///     //    greeting, STARTTLS after EHLO, a server's reply to the command before) or ask for
///     //    a transport action. Both go first: the output, because the handler may take its
///     //    time (a password to hash) and a reply must not wait behind the next judgement;
///     //    the action, so that nothing the handler queues crosses the old transport.
///     if let Some(event) = m.poll_event() {
///         write all of m.transmit();
///         if let Some(action) = m.poll_transport() { act(action) }
///         handle(event?);                          // answer decisions here
///         continue;
///     }
///     // 2. Timers: a deadline that is not in the future is handled now, never slept on (a
///     //    client may return an instant already past to learn the time).
///     if m.poll_timeout().is_some_and(|d| d <= now) { m.handle_timeout(now); continue }
///     // 3. Bytes out, before any read, until m.poll_timeout(): a write still stuck then means
///     //    the peer is not reading: close.
///     if !m.transmit().is_empty() { let n = socket.write(m.transmit())?; m.advance_transmit(n); continue }
///     // 4. Transport: act only once step 3 has written what came before the action.
///     match m.poll_transport() {
///         Some(TransportAction::StartTls) => { handshake; m.tls_established(info); continue }
///         Some(TransportAction::Compress(_)) => { wrap the stream in DEFLATE; continue }
///         Some(TransportAction::Close) => break,
///         _ => {}
///     }
///     // 5. Bytes in, only now that nothing is left to hand out, write or act on, only while
///     //    the machine wants them (backpressure), and only until its next deadline.
///     if m.wants_input() {
///         match socket.read_until(m.poll_timeout(), m.input_buffer())? {
///             Read(0) => m.receive_eof(Instant::now()),
///             Read(n) => m.commit_input(n, Instant::now()),
///             TimedOut => m.handle_timeout(Instant::now()),
///         }
///     } else {
///         // A decision waits for the application's answer: answer it, then loop.
///     }
/// }
/// ```
///
/// proto-io's `examples/documented_loop.rs` is this loop, written out over a `TcpStream` and
/// run for an SMTP and a POP3 client against their servers. proto-io's drivers run it too,
/// once, in their `DriverCore`: the blocking driver half duplex as written here, the async one
/// also reading while a write waits for the peer, and handing out the events of what it read
/// then, so that a peer that sends a large request while it receives a large response cannot
/// deadlock it.
///
/// Ordering rules a driver must keep:
/// - Drain [`poll_event`](Machine::poll_event) before reading: a client queues its next command
///   (EHLO after the greeting, STARTTLS after EHLO) while its events are drained, and a loop
///   that reads first waits for a reply to a command it never sent, until the idle timer
///   expires.
/// - Write everything [`transmit`](Machine::transmit) holds before acting on a
///   [`TransportAction`]: the bytes before a `StartTls` are the last plaintext ones. A driver
///   may take the action from [`poll_transport`](Machine::poll_transport) while output still
///   waits (as proto-io's does, right after each event), as long as it then reads nothing and
///   hands out no event until the output is written and the action carried out.
/// - After [`TransportAction::StartTls`], feed no byte that was received in plaintext: a byte
///   that arrived after the go-ahead line is an attack (the CVE-2011-0411 class), and the machine
///   reports it as a protocol error before asking for the upgrade. Call
///   [`tls_established`](Machine::tls_established) once the handshake is done.
/// - Parsing happens when events are polled: after feeding bytes, drain
///   [`poll_event`](Machine::poll_event) until it returns `None`, before looking at the timers
///   (input that arrived before a deadline counts from the instant it arrived).
pub trait Machine {
    /// What the machine reports: replies, requests, body chunks, decisions to make.
    type Event;
    /// The fatal error of this protocol: the peer broke the protocol.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Hands the machine bytes received from the peer at `now` (copied into its input buffer).
    ///
    /// Everything given is kept, even past the input limit: a driver that respects
    /// [`wants_input`](Machine::wants_input) never gives more than the limit. Octets alone do
    /// not restart an idle timer; the progress they make when parsed does, from `now`.
    fn receive(&mut self, data: &[u8], now: Instant);

    /// A region of the input buffer to read into without a copy; follow with
    /// [`commit_input`](Machine::commit_input). Empty while the buffer is at its limit.
    ///
    /// A region handed out and never committed holds no data: a driver whose read was
    /// cancelled (an async read that lost a race) may ask again.
    fn input_buffer(&mut self) -> &mut [u8];

    /// Says how many bytes of the region [`input_buffer`](Machine::input_buffer) returned were
    /// filled by a read that ended at `now`.
    fn commit_input(&mut self, n: usize, now: Instant);

    /// Tells the machine that the peer closed its side of the connection at `now`.
    fn receive_eof(&mut self, now: Instant);

    /// False while the input buffer is at its limit or decisions are pending: stop reading.
    fn wants_input(&self) -> bool;

    /// The bytes to write to the peer; empty when there is nothing to send.
    fn transmit(&self) -> &[u8];

    /// Drops the first `n` bytes of [`transmit`](Machine::transmit) after they were written.
    fn advance_transmit(&mut self, n: usize);

    /// The next event, parsing buffered input as needed; `None` when there is nothing more now.
    ///
    /// Negative replies of the peer are events with data, not errors. `Some(Err(_))` is fatal:
    /// the machine closes after it.
    fn poll_event(&mut self) -> Option<Result<Self::Event, Self::Error>>;

    /// The next thing the driver must do to the transport, after writing all of
    /// [`transmit`](Machine::transmit).
    fn poll_transport(&mut self) -> Option<TransportAction>;

    /// Tells the machine the TLS handshake it asked for is done.
    ///
    /// Every state learned before TLS (capabilities, the EHLO or CAPA result) is forgotten.
    fn tls_established(&mut self, info: TlsInfo);

    /// When the machine next needs [`handle_timeout`](Machine::handle_timeout), if ever.
    fn poll_timeout(&self) -> Option<Instant>;

    /// Lets the machine act on a timer that has expired at `now`.
    fn handle_timeout(&mut self, now: Instant);
}

/// What a driver must do to the transport on a machine's behalf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportAction {
    /// Start a TLS handshake (STARTTLS, STLS) now; then call
    /// [`Machine::tls_established`].
    StartTls,
    /// Wrap both directions in the given compression from the next byte on (IMAP COMPRESS).
    Compress(Compression),
    /// Close the connection.
    Close,
}

/// A compression a machine can ask the transport for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// Raw DEFLATE (RFC 1951), as IMAP COMPRESS=DEFLATE (RFC 4978) uses.
    Deflate,
}

/// What the driver learned from a finished TLS handshake.
///
/// The channel-binding bytes feed the SASL -PLUS mechanisms.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsInfo {
    /// The `tls-exporter` channel binding (RFC 9266): 32 bytes exported with the label
    /// "EXPORTER-Channel-Binding" and an empty context.
    pub tls_exporter: Option<Vec<u8>>,
    /// The `tls-server-end-point` channel binding (RFC 5929): the hash of the server's
    /// certificate.
    pub tls_server_end_point: Option<Vec<u8>>,
    /// The negotiated protocol version, for logs (for example "TLSv1.3").
    pub protocol_version: Option<String>,
    /// The negotiated ALPN protocol, if any.
    pub alpn: Option<Vec<u8>>,
}

impl TlsInfo {
    /// An empty description: no channel binding known.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the `tls-exporter` channel-binding bytes.
    pub fn with_tls_exporter(mut self, bytes: Vec<u8>) -> Self {
        self.tls_exporter = Some(bytes);
        self
    }

    /// Sets the `tls-server-end-point` channel-binding bytes.
    pub fn with_tls_server_end_point(mut self, bytes: Vec<u8>) -> Self {
        self.tls_server_end_point = Some(bytes);
        self
    }

    /// Sets the negotiated protocol version.
    pub fn with_protocol_version(mut self, version: impl Into<String>) -> Self {
        self.protocol_version = Some(version.into());
        self
    }
}

impl std::fmt::Debug for TlsInfo {
    // Channel-binding bytes are secrets of the session: show only whether they are known.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsInfo")
            .field(
                "tls_exporter",
                &self.tls_exporter.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "tls_server_end_point",
                &self.tls_server_end_point.as_ref().map(|_| "<redacted>"),
            )
            .field("protocol_version", &self.protocol_version)
            .field("alpn", &self.alpn)
            .finish()
    }
}

/// Names one command a client queued, so that its result can be matched to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommandId(u64);

impl CommandId {
    /// The id with the given number.
    pub const fn new(n: u64) -> Self {
        Self(n)
    }

    /// The number of this id.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl std::fmt::Display for CommandId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Hands out [`CommandId`]s in increasing order.
#[derive(Debug, Clone, Default)]
pub struct CommandIds {
    next: u64,
}

impl CommandIds {
    /// Starts at 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next id.
    pub fn next_id(&mut self) -> CommandId {
        let id = CommandId(self.next);
        self.next = self.next.wrapping_add(1);
        id
    }
}
