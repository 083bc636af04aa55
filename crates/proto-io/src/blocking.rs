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
        let conn = ClientConnection::new(config, name).map_err(io::Error::other)?;
        let mut stream = StreamOwned::new(conn, tcp);
        handshake(&mut stream.conn, &mut stream.sock)?;
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
    let previous = sock.read_timeout()?;
    sock.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
    while conn.is_handshaking() {
        conn.complete_io(sock)?;
    }
    sock.set_read_timeout(previous)?;
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
/// [`next_event`](Driver::next_event) does the I/O the machine asks for (writes, reads while
/// it wants input, TLS upgrades, compression, timers) until the machine has an event.
#[derive(Debug)]
pub struct Driver<M: Machine> {
    machine: M,
    stream: Option<Stream>,
    upgrade: Option<TlsUpgrade>,
    trace: Option<Trace>,
    closed: bool,
    eof: bool,
}

impl<M: Machine> Driver<M> {
    /// A driver for `machine` over `stream`.
    pub fn new(machine: M, stream: Stream) -> Self {
        Self {
            machine,
            stream: Some(stream),
            upgrade: None,
            trace: None,
            closed: false,
            eof: false,
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

    /// The machine, to send commands or answer decisions.
    pub fn machine(&mut self) -> &mut M {
        &mut self.machine
    }

    /// True once TLS protects the connection.
    pub fn is_tls(&self) -> bool {
        self.stream.as_ref().is_some_and(Stream::is_tls)
    }

    /// True once the connection was closed by either side.
    pub fn is_closed(&self) -> bool {
        self.closed || self.eof
    }

    /// Gives back the machine and the stream.
    pub fn into_parts(self) -> (M, Option<Stream>) {
        (self.machine, self.stream)
    }

    /// Does I/O until the machine has an event; `Ok(None)` once the connection is closed and
    /// every event was taken.
    pub fn next_event(&mut self) -> Result<Option<M::Event>, DriveError<M::Error>> {
        loop {
            if let Some(event) = self.machine.poll_event() {
                // What the machine decided while making this event (a reply, a TLS upgrade,
                // compression) happens before the caller can queue anything after it.
                self.settle()?;
                return event.map(Some).map_err(DriveError::Protocol);
            }
            if self.settle()? {
                continue;
            }
            if self.closed || self.eof {
                return Ok(None);
            }
            if !self.machine.wants_input() {
                return Err(DriveError::Stalled);
            }
            self.read()?;
        }
    }

    /// Writes what the machine holds and acts on its transport requests; true if it acted.
    fn settle(&mut self) -> Result<bool, DriveError<M::Error>> {
        let mut acted = false;
        loop {
            // Writing can make room the machine reports as an event (a body it takes
            // again): look at events before blocking in a read.
            acted |= self.write_pending()?;
            match self.machine.poll_transport() {
                Some(action) => {
                    self.act(action)?;
                    acted = true;
                }
                None => return Ok(acted),
            }
        }
    }

    /// Writes everything the machine holds.
    pub fn flush(&mut self) -> Result<(), DriveError<M::Error>> {
        self.write_pending().map(|_| ())
    }

    /// Writes everything the machine holds; true if anything was written.
    fn write_pending(&mut self) -> Result<bool, DriveError<M::Error>> {
        let Some(stream) = self.stream.as_mut() else {
            return Ok(false);
        };
        let mut wrote = false;
        while !self.machine.transmit().is_empty() {
            let pending = self.machine.transmit();
            let n = match stream.write(pending) {
                Ok(0) => return Err(DriveError::Io(io::ErrorKind::WriteZero.into())),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(DriveError::Io(e)),
            };
            if let Some(trace) = self.trace.as_mut() {
                trace.sent(pending.get(..n).unwrap_or_default());
            }
            self.machine.advance_transmit(n);
            wrote = true;
        }
        if wrote {
            stream.flush().map_err(DriveError::Io)?;
        }
        Ok(wrote)
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
                    // The peer may already be gone; closing is best effort.
                    let _ = stream.close();
                }
                self.closed = true;
                self.note("closed");
                Ok(())
            }
            _ => Ok(()),
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
        self.machine.tls_established(info);
        self.note(format!("TLS established ({version})"));
        Ok(())
    }

    fn read(&mut self) -> Result<(), DriveError<M::Error>> {
        let stream = self.stream.as_mut().ok_or(DriveError::Closed)?;
        let now = Instant::now();
        let timeout = match self.machine.poll_timeout() {
            Some(deadline) if deadline <= now => {
                self.machine.handle_timeout(now);
                return Ok(());
            }
            Some(deadline) => Some(deadline - now),
            None => None,
        };
        stream
            .tcp()
            .set_read_timeout(timeout)
            .map_err(DriveError::Io)?;
        let buf = self.machine.input_buffer();
        if buf.is_empty() {
            return Err(DriveError::Stalled);
        }
        match stream.read(buf) {
            Ok(0) => {
                self.machine.commit_input(0, Instant::now());
                self.machine.receive_eof(Instant::now());
                self.eof = true;
                self.note("peer closed the connection");
            }
            Ok(n) => {
                if let Some(trace) = self.trace.as_mut() {
                    trace.received(buf.get(..n).unwrap_or_default());
                }
                self.machine.commit_input(n, Instant::now());
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                self.machine.commit_input(0, Instant::now());
                self.machine.handle_timeout(Instant::now());
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                self.machine.commit_input(0, Instant::now())
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
                ) =>
            {
                // A peer that drops the connection without TLS close_notify: an end all the same.
                self.machine.commit_input(0, Instant::now());
                self.machine.receive_eof(Instant::now());
                self.eof = true;
                self.note(format!("connection ended: {e}"));
            }
            Err(e) => {
                self.machine.commit_input(0, Instant::now());
                return Err(DriveError::Io(e));
            }
        }
        Ok(())
    }

    fn note(&mut self, text: impl Into<String>) {
        if let Some(trace) = self.trace.as_mut() {
            trace.note(text);
        }
    }
}
