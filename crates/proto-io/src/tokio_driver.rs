//! The async driver: any [`Machine`] over a tokio `TcpStream`, with TLS and STARTTLS.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use proto_core::{Machine, TlsInfo, TransportAction};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use crate::blocking::{HANDSHAKE_TIMEOUT, TlsUpgrade};
use crate::driver_core::{DriverCore, Step, moved};
use crate::error::DriveError;
use crate::tls::{self, ServerTls};
use crate::trace::Trace;

/// A tokio connection: plain or TLS (either side).
#[derive(Debug)]
#[non_exhaustive]
pub enum AsyncStream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS, this side the client.
    TlsClient(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    /// TLS, this side the server.
    TlsServer(Box<tokio_rustls::server::TlsStream<TcpStream>>),
    /// DEFLATE over any of the above (IMAP COMPRESS, RFC 4978).
    Deflate(Box<AsyncDeflate>),
}

/// Raw DEFLATE in both directions over an [`AsyncStream`], each write ending with a sync flush.
pub struct AsyncDeflate {
    inner: AsyncStream,
    codec: crate::deflate::Codec,
    /// Compressed octets accepted from the caller and not yet written.
    out: Vec<u8>,
    out_pos: usize,
}

impl std::fmt::Debug for AsyncDeflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncDeflate").finish_non_exhaustive()
    }
}

impl AsyncDeflate {
    /// Starts compressing both directions of `inner` from the next byte on.
    pub fn new(inner: AsyncStream) -> Self {
        Self {
            inner,
            codec: crate::deflate::Codec::new(),
            out: Vec::new(),
            out_pos: 0,
        }
    }

    /// Writes what was compressed earlier; ready once none is left.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(pending) = self.out.get(self.out_pos..).filter(|p| !p.is_empty()) {
            match Pin::new(&mut self.inner).poll_write(cx, pending) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => self.out_pos += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        self.out.clear();
        self.out_pos = 0;
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for AsyncDeflate {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            let produced = this.codec.inflate(buf.initialize_unfilled())?;
            if produced > 0 {
                buf.advance(produced);
                return Poll::Ready(Ok(()));
            }
            let spare = this.codec.input_spare();
            let mut read = ReadBuf::new(spare);
            match Pin::new(&mut this.inner).poll_read(cx, &mut read) {
                Poll::Ready(Ok(())) => {
                    let n = read.filled().len();
                    this.codec.commit(n);
                    if n == 0 {
                        return Poll::Ready(Ok(()));
                    }
                }
                Poll::Ready(Err(e)) => {
                    this.codec.commit(0);
                    return Poll::Ready(Err(e));
                }
                Poll::Pending => {
                    this.codec.commit(0);
                    return Poll::Pending;
                }
            }
        }
    }
}

impl AsyncWrite for AsyncDeflate {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // Take nothing new until what was accepted before has gone out.
        if this.poll_drain(cx)?.is_pending() {
            return Poll::Pending;
        }
        this.out = this.codec.deflate(buf)?;
        this.out_pos = 0;
        // The data is accepted once compressed; what cannot be written now goes with the next
        // write or flush.
        let _ = this.poll_drain(cx)?;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.poll_drain(cx)?.is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.poll_drain(cx)?.is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

impl AsyncStream {
    /// True once TLS protects the stream.
    pub fn is_tls(&self) -> bool {
        match self {
            AsyncStream::Plain(_) => false,
            AsyncStream::Deflate(d) => d.inner.is_tls(),
            _ => true,
        }
    }

    /// Connects as a TLS client over `tcp` now (implicit TLS, or after STARTTLS).
    ///
    /// Not cancel-safe: the future owns `tcp`, and dropping it drops the connection. The
    /// driver's STARTTLS keeps this future until it is done (see [`AsyncDriver`]).
    pub async fn tls_client(
        tcp: TcpStream,
        config: Arc<rustls::ClientConfig>,
        name: rustls::pki_types::ServerName<'static>,
    ) -> io::Result<(AsyncStream, TlsInfo)> {
        let connect = TlsConnector::from(config).connect(name.clone(), tcp);
        let stream = tokio::time::timeout(HANDSHAKE_TIMEOUT, connect)
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))?
            .map_err(|e| tls::explain_handshake_error(e, &name))?;
        let conn = stream.get_ref().1;
        let info = tls::tls_info(
            conn,
            tls::exporter(conn),
            tls::peer_end_point(conn.peer_certificates()),
        );
        Ok((AsyncStream::TlsClient(Box::new(stream)), info))
    }

    /// Accepts TLS as the server over `tcp` now (implicit TLS, or after STARTTLS).
    ///
    /// Not cancel-safe: the future owns `tcp`, and dropping it drops the connection. The
    /// driver's STARTTLS keeps this future until it is done (see [`AsyncDriver`]).
    pub async fn tls_server(
        tcp: TcpStream,
        server: &ServerTls,
    ) -> io::Result<(AsyncStream, TlsInfo)> {
        let accept = TlsAcceptor::from(server.config.clone()).accept(tcp);
        let stream = tokio::time::timeout(HANDSHAKE_TIMEOUT, accept)
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
        let conn = stream.get_ref().1;
        let info = tls::tls_info(conn, tls::exporter(conn), Some(server.end_point.clone()));
        Ok((AsyncStream::TlsServer(Box::new(stream)), info))
    }
}

impl AsyncRead for AsyncStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            AsyncStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            AsyncStream::TlsClient(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            AsyncStream::TlsServer(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            AsyncStream::Deflate(d) => Pin::new(d.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for AsyncStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            AsyncStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            AsyncStream::TlsClient(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            AsyncStream::TlsServer(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            AsyncStream::Deflate(d) => Pin::new(d.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            AsyncStream::Plain(s) => Pin::new(s).poll_flush(cx),
            AsyncStream::TlsClient(s) => Pin::new(s.as_mut()).poll_flush(cx),
            AsyncStream::TlsServer(s) => Pin::new(s.as_mut()).poll_flush(cx),
            AsyncStream::Deflate(d) => Pin::new(d.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            AsyncStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            AsyncStream::TlsClient(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            AsyncStream::TlsServer(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            AsyncStream::Deflate(d) => Pin::new(d.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A TLS handshake under way, kept in the driver so that dropping a call loses nothing.
type Handshake = Pin<Box<dyn Future<Output = io::Result<(AsyncStream, TlsInfo)>> + Send + Sync>>;

/// Runs a machine over a tokio stream; the async twin of [`crate::Driver`], on the same driver
/// loop ([`DriverCore`]).
///
/// This driver is full duplex: while a write waits for the peer to read, it reads what the
/// peer sends (as long as the machine wants input and less than
/// [`MAX_OUTPUT_BACKLOG`](crate::driver_core::MAX_OUTPUT_BACKLOG) of output waits), and hands
/// out the events it makes. A peer that sends a large request while we send a large response
/// does not deadlock it. Every write has a deadline: the machine's next deadline and the write
/// timeout ([`with_write_timeout`](AsyncDriver::with_write_timeout)), counted from the
/// write's last progress; a peer that takes nothing until then is closed with
/// [`DriveError::WriteTimedOut`].
///
/// [`next_event`](AsyncDriver::next_event) and [`flush`](AsyncDriver::flush) are cancel-safe:
/// a call dropped at any await (in a `select!`, or under a timeout) loses no byte read or
/// written, no event, and no TLS handshake under way; the next call goes on from there.
pub struct AsyncDriver<M: Machine> {
    core: DriverCore<M>,
    stream: Option<AsyncStream>,
    /// A STARTTLS handshake under way: the next call finishes it.
    handshake: Option<Handshake>,
    upgrade: Option<TlsUpgrade>,
    trace: Option<Trace>,
}

impl<M: Machine + std::fmt::Debug> std::fmt::Debug for AsyncDriver<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncDriver")
            .field("core", &self.core)
            .field("stream", &self.stream)
            .field("handshaking", &self.handshake.is_some())
            .finish_non_exhaustive()
    }
}

impl<M: Machine> AsyncDriver<M> {
    /// A driver for `machine` over `stream`.
    pub fn new(machine: M, stream: AsyncStream) -> Self {
        Self {
            core: DriverCore::new(machine),
            stream: Some(stream),
            handshake: None,
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
        self.stream.as_ref().is_some_and(AsyncStream::is_tls)
    }

    /// True once the connection was closed by either side.
    pub fn is_closed(&self) -> bool {
        self.core.is_closed()
    }

    /// Gives back the machine.
    pub fn into_machine(self) -> M {
        self.core.into_machine()
    }

    /// Does I/O until the machine has an event; `Ok(None)` once the connection is closed and
    /// every event was taken.
    ///
    /// Cancel-safe: dropping the future loses nothing (see [`AsyncDriver`]). An event may
    /// come out while output queued before it is still being written, but never before a
    /// transport action it asked for was carried out.
    pub async fn next_event(&mut self) -> Result<Option<M::Event>, DriveError<M::Error>> {
        loop {
            self.finish_handshake().await?;
            let step = self.core.poll(Instant::now());
            if matches!(step, Err(DriveError::WriteTimedOut)) {
                self.abort();
            }
            match step? {
                Step::Event(event) => return Ok(Some(event)),
                Step::Done => return Ok(None),
                Step::Write { deadline, read } => self.io(deadline, true, read).await?,
                Step::Read { deadline } => self.io(deadline, false, true).await?,
                Step::Act(action) => self.act(action).await?,
            }
        }
    }

    /// Writes and flushes everything the machine holds, under the write deadline. Reads
    /// nothing. Cancel-safe: what was written is accounted for; the rest stays queued.
    pub async fn flush(&mut self) -> Result<(), DriveError<M::Error>> {
        self.finish_handshake().await?;
        while self.core.is_writing() && !self.core.is_closed() {
            let deadline = self.core.write_deadline(Instant::now());
            if deadline.is_err() {
                self.abort();
            }
            self.io(deadline?, true, false).await?;
        }
        Ok(())
    }

    /// Writes (or flushes) and reads, as allowed, until one of them makes progress or
    /// `deadline` passes.
    async fn io(
        &mut self,
        deadline: Option<Instant>,
        write: bool,
        read: bool,
    ) -> Result<(), DriveError<M::Error>> {
        let stream = self.stream.as_mut().ok_or(DriveError::Closed)?;
        let (core, trace) = (&mut self.core, &mut self.trace);
        // Each byte is accounted for in the poll that moves it, so dropping this future at
        // its await loses nothing.
        let progress = std::future::poll_fn(|cx| poll_io(stream, core, trace, write, read, cx));
        let result = match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline.into(), progress)
                .await
                .unwrap_or(Err(Stop::TimedOut)),
            None => progress.await,
        };
        let now = Instant::now();
        let result = match result {
            Ok(()) => Ok(()),
            Err(Stop::TimedOut) => self.core.timed_out(now),
            Err(Stop::Stalled) => Err(DriveError::Stalled),
            Err(Stop::Ended(e)) => {
                self.note(format!("connection ended: {e}"));
                self.core.read_failed(e, now)
            }
            Err(Stop::Read(e)) => self.core.read_failed(e, now),
            Err(Stop::Write(e)) => self.core.write_failed(e, now),
        };
        if matches!(result, Err(DriveError::WriteTimedOut)) {
            self.abort();
        }
        result
    }

    async fn act(&mut self, action: TransportAction) -> Result<(), DriveError<M::Error>> {
        match action {
            TransportAction::StartTls => self.start_tls().await,
            TransportAction::Compress(_) => {
                let stream = self.stream.take().ok_or(DriveError::Closed)?;
                self.stream = Some(AsyncStream::Deflate(Box::new(AsyncDeflate::new(stream))));
                self.note("compression on (DEFLATE)");
                Ok(())
            }
            TransportAction::Close => {
                // The core counts the connection closed already: a call dropped during the
                // shutdown leaves a next call nothing to do but hand out what is left.
                self.note("closed");
                if let Some(stream) = self.stream.as_mut() {
                    // The peer may already be gone or not reading; closing is best effort,
                    // and bounded.
                    let _ = tokio::time::timeout(CLOSE_TIMEOUT, stream.shutdown()).await;
                }
                Ok(())
            }
            _ => Err(DriveError::Unsupported(
                "a transport action this driver does not know",
            )),
        }
    }

    /// Starts the handshake the machine asked for; it lives in the driver until done.
    async fn start_tls(&mut self) -> Result<(), DriveError<M::Error>> {
        let upgrade = self.upgrade.clone().ok_or(DriveError::NoTlsConfigured)?;
        let tcp = match self.stream.take() {
            Some(AsyncStream::Plain(tcp)) => tcp,
            other => {
                self.stream = other;
                return Err(DriveError::AlreadyTls);
            }
        };
        self.handshake = Some(match upgrade {
            TlsUpgrade::Client { config, name } => {
                Box::pin(AsyncStream::tls_client(tcp, config, name))
            }
            TlsUpgrade::Server(server) => {
                Box::pin(async move { AsyncStream::tls_server(tcp, &server).await })
            }
        });
        self.finish_handshake().await
    }

    /// Finishes a handshake under way, if any, and tells the machine.
    async fn finish_handshake(&mut self) -> Result<(), DriveError<M::Error>> {
        let Some(handshake) = self.handshake.as_mut() else {
            return Ok(());
        };
        let result = handshake.await;
        self.handshake = None;
        let (stream, info) = result.map_err(DriveError::Tls)?;
        let version = info.protocol_version.clone().unwrap_or_default();
        self.stream = Some(stream);
        self.core.tls_established(info);
        self.note(format!("TLS established ({version})"));
        Ok(())
    }

    /// Drops a connection whose peer stopped reading: nothing more can be said to it.
    fn abort(&mut self) {
        self.stream = None;
        self.handshake = None;
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

/// Why [`poll_io`] stopped without progress.
enum Stop {
    TimedOut,
    Stalled,
    /// The peer dropped the connection (reset, or TLS without close_notify).
    Ended(io::Error),
    Read(io::Error),
    Write(io::Error),
}

/// One poll of a full-duplex step: the write side (the machine's output, or a flush once it is
/// all written) and the read side (into the machine's input buffer), each as allowed. Ready
/// once either made progress; what moved is given to the core in this same poll.
fn poll_io<M: Machine>(
    stream: &mut AsyncStream,
    core: &mut DriverCore<M>,
    trace: &mut Option<Trace>,
    write: bool,
    read: bool,
    cx: &mut Context<'_>,
) -> Poll<Result<(), Stop>> {
    if write {
        let pending = core.machine_ref().transmit();
        if pending.is_empty() {
            match Pin::new(&mut *stream).poll_flush(cx) {
                Poll::Ready(Ok(())) => {
                    core.flushed();
                    return Poll::Ready(Ok(()));
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(Stop::Write(e))),
                Poll::Pending => {}
            }
        } else {
            match Pin::new(&mut *stream).poll_write(cx, pending) {
                Poll::Ready(Ok(n)) => {
                    let sent = match moved(pending, n) {
                        Ok(sent) => sent,
                        Err(e) => return Poll::Ready(Err(Stop::Write(e))),
                    };
                    if let Some(trace) = trace.as_mut() {
                        trace.sent(sent);
                    }
                    return Poll::Ready(core.wrote(n, Instant::now()).map_err(|e| match e {
                        DriveError::Io(e) => Stop::Write(e),
                        _ => Stop::Write(io::ErrorKind::WriteZero.into()),
                    }));
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(Stop::Write(e))),
                Poll::Pending => {}
            }
        }
    }
    if read {
        let buf = core.machine().input_buffer();
        if buf.is_empty() {
            // The machine's buffer is full: only a write can make progress now.
            return if write {
                Poll::Pending
            } else {
                Poll::Ready(Err(Stop::Stalled))
            };
        }
        let mut filled = ReadBuf::new(buf);
        match Pin::new(&mut *stream).poll_read(cx, &mut filled) {
            Poll::Ready(Ok(())) => {
                let n = filled.filled().len();
                if let Some(trace) = trace.as_mut() {
                    trace.received(filled.filled());
                    if n == 0 {
                        trace.note("peer closed the connection");
                    }
                }
                core.received(n, Instant::now());
                return Poll::Ready(Ok(()));
            }
            Poll::Ready(Err(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
                ) =>
            {
                return Poll::Ready(Err(Stop::Ended(e)));
            }
            Poll::Ready(Err(e)) => return Poll::Ready(Err(Stop::Read(e))),
            Poll::Pending => {}
        }
    }
    Poll::Pending
}
