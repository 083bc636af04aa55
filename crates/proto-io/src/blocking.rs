//! The blocking driver: any [`Machine`] over a `std::net::TcpStream`, with TLS, STARTTLS and
//! COMPRESS.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use proto_core::{Machine, TransportAction};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, ServerConnection, StreamOwned};

use crate::deflate::Deflate;
use crate::driver_core::{DriverCore, Step, moved};
use crate::error::DriveError;
use crate::tls::{self, ServerTls};
use crate::trace::Trace;

/// How long a TLS handshake may take.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// A connection as the driver sees it: plain, TLS (either side), or compressed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS, this side the client.
    TlsClient(Box<StreamOwned<ClientConnection, TcpStream>>),
    /// TLS, this side the server.
    TlsServer(Box<StreamOwned<ServerConnection, TcpStream>>),
    /// DEFLATE over any of the above (IMAP COMPRESS, RFC 4978).
    Deflate(Box<Deflate<Stream>>),
}

impl Stream {
    /// The TCP socket underneath.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::TlsClient(s) => &s.sock,
            Stream::TlsServer(s) => &s.sock,
            Stream::Deflate(d) => d.get_ref().tcp(),
        }
    }

    /// True once TLS protects the stream.
    pub fn is_tls(&self) -> bool {
        match self {
            Stream::Plain(_) => false,
            Stream::TlsClient(_) | Stream::TlsServer(_) => true,
            Stream::Deflate(d) => d.get_ref().is_tls(),
        }
    }

    /// Connects as a TLS client over `tcp` now (implicit TLS, or after STARTTLS).
    pub fn tls_client(
        tcp: TcpStream,
        config: Arc<ClientConfig>,
        name: ServerName<'static>,
    ) -> Result<(Stream, proto_core::TlsInfo), io::Error> {
        let conn = ClientConnection::new(config, name.clone()).map_err(io::Error::other)?;
        let mut stream = StreamOwned::new(conn, tcp);
        handshake(&mut stream.conn, &mut stream.sock)
            .map_err(|e| tls::explain_handshake_error(e, &name))?;
        let info = tls::tls_info(
            &stream.conn,
            tls::exporter(&stream.conn),
            tls::peer_end_point(stream.conn.peer_certificates()),
        );
        Ok((Stream::TlsClient(Box::new(stream)), info))
    }

    /// Accepts TLS as the server over `tcp` now (implicit TLS, or after STARTTLS).
    pub fn tls_server(
        tcp: TcpStream,
        server: &ServerTls,
    ) -> Result<(Stream, proto_core::TlsInfo), io::Error> {
        let conn = ServerConnection::new(server.config.clone()).map_err(io::Error::other)?;
        let mut stream = StreamOwned::new(conn, tcp);
        handshake(&mut stream.conn, &mut stream.sock)?;
        let info = tls::tls_info(
            &stream.conn,
            tls::exporter(&stream.conn),
            Some(server.end_point.clone()),
        );
        Ok((Stream::TlsServer(Box::new(stream)), info))
    }

    /// Ends the connection: TLS close_notify if TLS, then shuts the write side.
    pub fn close(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(_) => {}
            Stream::TlsClient(s) => {
                s.conn.send_close_notify();
                s.flush()?;
            }
            Stream::TlsServer(s) => {
                s.conn.send_close_notify();
                s.flush()?;
            }
            Stream::Deflate(d) => d.flush()?,
        }
        match self.tcp().shutdown(Shutdown::Write) {
            Err(e) if e.kind() != io::ErrorKind::NotConnected => Err(e),
            _ => Ok(()),
        }
    }
}

fn handshake<C, D>(conn: &mut C, sock: &mut TcpStream) -> io::Result<()>
where
    C: std::ops::DerefMut<Target = rustls::ConnectionCommon<D>>,
{
    // The driver sets the timeouts again before its next read or write.
    set_timeouts(sock, Some(HANDSHAKE_TIMEOUT))?;
    while conn.is_handshaking() {
        conn.complete_io(sock)?;
    }
    Ok(())
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::TlsClient(s) => s.read(buf),
            Stream::TlsServer(s) => s.read(buf),
            Stream::Deflate(d) => d.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::TlsClient(s) => s.write(buf),
            Stream::TlsServer(s) => s.write(buf),
            Stream::Deflate(d) => d.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::TlsClient(s) => s.flush(),
            Stream::TlsServer(s) => s.flush(),
            Stream::Deflate(d) => d.flush(),
        }
    }
}

/// How a driver answers a machine's `StartTls`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum TlsUpgrade {
    /// As a client, verifying the server as `name`.
    Client {
        /// The client configuration.
        config: Arc<ClientConfig>,
        /// The name the certificate must carry.
        name: ServerName<'static>,
    },
    /// As a server with this certificate.
    Server(ServerTls),
}

/// Runs a machine over a blocking stream.
///
/// [`next_event`](Driver::next_event) carries out the steps of the one driver loop
/// ([`DriverCore`]): it hands out events, writes what the machine holds, acts on its transport
/// requests (TLS upgrades, compression, close) and reads while the machine wants input, until
/// the machine has an event.
///
/// This driver is half duplex: while it writes it does not read. A peer that also writes
/// without reading (a large request against a large response) stalls both until the write
/// deadline closes the connection; the [`AsyncDriver`](crate::AsyncDriver) reads while it
/// writes. Every write has a deadline: the machine's next deadline and the write timeout
/// ([`with_write_timeout`](Driver::with_write_timeout)), counted from the write's last
/// progress; a peer that takes nothing until then is closed with
/// [`DriveError::WriteTimedOut`].
#[derive(Debug)]
pub struct Driver<M: Machine> {
    core: DriverCore<M>,
    stream: Option<Stream>,
    upgrade: Option<TlsUpgrade>,
    trace: Option<Trace>,
}

impl<M: Machine> Driver<M> {
    /// A driver for `machine` over `stream`.
    pub fn new(machine: M, stream: Stream) -> Self {
        Self {
            core: DriverCore::new(machine),
            stream: Some(stream),
            upgrade: None,
            trace: None,
        }
    }

    /// Says how to answer `StartTls`; without it, `StartTls` is an error.
    pub fn with_tls_upgrade(mut self, upgrade: TlsUpgrade) -> Self {
        self.upgrade = Some(upgrade);
        self
    }

    /// Taps what crosses the socket.
    pub fn with_trace(mut self, trace: Trace) -> Self {
        self.trace = Some(trace);
        self
    }

    /// Sets how long a write may make no progress before the connection is closed
    /// ([`DEFAULT_WRITE_TIMEOUT`](crate::driver_core::DEFAULT_WRITE_TIMEOUT) by default;
    /// `None` leaves only the machine's deadline).
    pub fn with_write_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.core.set_write_timeout(timeout);
        self
    }

    /// The machine, to send commands or answer decisions.
    pub fn machine(&mut self) -> &mut M {
        self.core.machine()
    }

    /// True once TLS protects the connection.
    pub fn is_tls(&self) -> bool {
        self.stream.as_ref().is_some_and(Stream::is_tls)
    }

    /// True once the connection was closed by either side.
    pub fn is_closed(&self) -> bool {
        self.core.is_closed()
    }

    /// Gives back the machine and the stream (none after a write timeout closed it).
    pub fn into_parts(self) -> (M, Option<Stream>) {
        (self.core.into_machine(), self.stream)
    }

    /// Does I/O until the machine has an event; `Ok(None)` once the connection is closed and
    /// every event was taken.
    ///
    /// An event may come out before the output its making queued was written (the next call
    /// writes it, before any read), but never before a transport action it asked for was
    /// carried out.
    pub fn next_event(&mut self) -> Result<Option<M::Event>, DriveError<M::Error>> {
        loop {
            let step = self.core.poll(Instant::now());
            if matches!(step, Err(DriveError::WriteTimedOut)) {
                self.abort();
            }
            match step? {
                Step::Event(event) => return Ok(Some(event)),
                Step::Done => return Ok(None),
                // Half duplex: a write does not read while it waits.
                Step::Write { deadline, .. } => self.write(deadline)?,
                Step::Read { deadline } => self.read(deadline)?,
                Step::Act(action) => self.act(action)?,
            }
        }
    }

    /// Writes and flushes everything the machine holds, under the write deadline.
    pub fn flush(&mut self) -> Result<(), DriveError<M::Error>> {
        while self.core.is_writing() && !self.core.is_closed() {
            let deadline = self.core.write_deadline(Instant::now());
            if deadline.is_err() {
                self.abort();
            }
            self.write(deadline?)?;
        }
        Ok(())
    }

    /// Writes once what the machine holds, or flushes the stream once everything was written.
    fn write(&mut self, deadline: Option<Instant>) -> Result<(), DriveError<M::Error>> {
        let result = self.try_write(deadline);
        if matches!(result, Err(DriveError::WriteTimedOut)) {
            self.abort();
        }
        result
    }

    fn try_write(&mut self, deadline: Option<Instant>) -> Result<(), DriveError<M::Error>> {
        let stream = self.stream.as_mut().ok_or(DriveError::Closed)?;
        let now = Instant::now();
        let Some(timeout) = remaining(deadline, now) else {
            return self.core.timed_out(now);
        };
        set_timeouts(stream.tcp(), timeout).map_err(DriveError::Io)?;
        let pending = self.core.machine_ref().transmit();
        if pending.is_empty() {
            return match stream.flush() {
                Ok(()) => {
                    self.core.flushed();
                    Ok(())
                }
                Err(e) => self.core.write_failed(e, Instant::now()),
            };
        }
        match stream.write(pending) {
            Ok(n) => {
                let sent = moved(pending, n).map_err(DriveError::Io)?;
                if let Some(trace) = self.trace.as_mut() {
                    trace.sent(sent);
                }
                self.core.wrote(n, Instant::now())
            }
            Err(e) => self.core.write_failed(e, Instant::now()),
        }
    }

    fn act(&mut self, action: TransportAction) -> Result<(), DriveError<M::Error>> {
        match action {
            TransportAction::StartTls => self.start_tls(),
            TransportAction::Compress(_) => {
                let stream = self.stream.take().ok_or(DriveError::Closed)?;
                self.stream = Some(Stream::Deflate(Box::new(Deflate::new(stream))));
                self.note("compression on (DEFLATE)");
                Ok(())
            }
            TransportAction::Close => {
                if let Some(stream) = self.stream.as_mut() {
                    // The peer may already be gone or not reading; closing is best effort,
                    // and bounded.
                    let _ = set_timeouts(stream.tcp(), Some(CLOSE_TIMEOUT));
                    let _ = stream.close();
                }
                self.note("closed");
                Ok(())
            }
            _ => Err(DriveError::Unsupported(
                "a transport action this driver does not know",
            )),
        }
    }

    fn start_tls(&mut self) -> Result<(), DriveError<M::Error>> {
        let upgrade = self.upgrade.clone().ok_or(DriveError::NoTlsConfigured)?;
        let tcp = match self.stream.take() {
            Some(Stream::Plain(tcp)) => tcp,
            other => {
                self.stream = other;
                return Err(DriveError::AlreadyTls);
            }
        };
        let (stream, info) = match upgrade {
            TlsUpgrade::Client { config, name } => Stream::tls_client(tcp, config, name),
            TlsUpgrade::Server(server) => Stream::tls_server(tcp, &server),
        }
        .map_err(DriveError::Tls)?;
        let version = info.protocol_version.clone().unwrap_or_default();
        self.stream = Some(stream);
        self.core.tls_established(info);
        self.note(format!("TLS established ({version})"));
        Ok(())
    }

    fn read(&mut self, deadline: Option<Instant>) -> Result<(), DriveError<M::Error>> {
        let stream = self.stream.as_mut().ok_or(DriveError::Closed)?;
        let now = Instant::now();
        let Some(timeout) = remaining(deadline, now) else {
            return self.core.timed_out(now);
        };
        set_timeouts(stream.tcp(), timeout).map_err(DriveError::Io)?;
        let buf = self.core.machine().input_buffer();
        if buf.is_empty() {
            return Err(DriveError::Stalled);
        }
        match stream.read(buf) {
            Ok(n) => {
                let read = moved(buf, n).map_err(DriveError::Io)?;
                if let Some(trace) = self.trace.as_mut() {
                    trace.received(read);
                }
                self.core.received(n, Instant::now());
                if n == 0 {
                    self.note("peer closed the connection");
                }
                Ok(())
            }
            Err(e) => {
                let ended = matches!(
                    e.kind(),
                    io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
                );
                let note = format!("connection ended: {e}");
                let result = self.core.read_failed(e, Instant::now());
                if ended {
                    self.note(note);
                }
                result
            }
        }
    }

    /// Drops a connection whose peer stopped reading: nothing more can be said to it.
    fn abort(&mut self) {
        if let Some(stream) = self.stream.take() {
            let _ = stream.tcp().shutdown(Shutdown::Both);
        }
        self.note("closed: the peer is not reading");
    }

    fn note(&mut self, text: impl Into<String>) {
        if let Some(trace) = self.trace.as_mut() {
            trace.note(text);
        }
    }
}

/// How long a graceful close (TLS close_notify, shutdown) may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The time left until `deadline`: `Some(None)` for no deadline, `None` once it has passed.
fn remaining(deadline: Option<Instant>, now: Instant) -> Option<Option<Duration>> {
    match deadline {
        None => Some(None),
        Some(deadline) if deadline > now => Some(Some(deadline - now)),
        Some(_) => None,
    }
}

/// Sets both socket timeouts: a TLS read may write, and a TLS write may read.
fn set_timeouts(tcp: &TcpStream, timeout: Option<Duration>) -> io::Result<()> {
    tcp.set_read_timeout(timeout)?;
    tcp.set_write_timeout(timeout)
}
