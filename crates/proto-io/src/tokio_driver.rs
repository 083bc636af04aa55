//! The async driver: any [`Machine`] over a tokio `TcpStream`, with TLS and STARTTLS.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use proto_core::{Machine, TlsInfo, TransportAction};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use crate::blocking::{HANDSHAKE_TIMEOUT, TlsUpgrade};
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
        while self.out_pos < self.out.len() {
            let pending = self.out.get(self.out_pos..).unwrap_or_default();
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
    pub async fn tls_client(
        tcp: TcpStream,
        config: Arc<rustls::ClientConfig>,
        name: rustls::pki_types::ServerName<'static>,
    ) -> io::Result<(AsyncStream, TlsInfo)> {
        let connect = TlsConnector::from(config).connect(name, tcp);
        let stream = tokio::time::timeout(HANDSHAKE_TIMEOUT, connect)
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
        let conn = stream.get_ref().1;
        let info = tls::tls_info(
            conn,
            tls::exporter(conn),
            tls::peer_end_point(conn.peer_certificates()),
        );
        Ok((AsyncStream::TlsClient(Box::new(stream)), info))
    }

    /// Accepts TLS as the server over `tcp` now (implicit TLS, or after STARTTLS).
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

/// Runs a machine over a tokio stream; the async twin of [`crate::Driver`].
///
#[derive(Debug)]
pub struct AsyncDriver<M: Machine> {
    machine: M,
    stream: Option<AsyncStream>,
    upgrade: Option<TlsUpgrade>,
    trace: Option<Trace>,
    closed: bool,
    eof: bool,
}

impl<M: Machine> AsyncDriver<M> {
    /// A driver for `machine` over `stream`.
    pub fn new(machine: M, stream: AsyncStream) -> Self {
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
        self.stream.as_ref().is_some_and(AsyncStream::is_tls)
    }

    /// Gives back the machine.
    pub fn into_machine(self) -> M {
        self.machine
    }

    /// Does I/O until the machine has an event; `Ok(None)` once the connection is closed and
    /// every event was taken.
    pub async fn next_event(&mut self) -> Result<Option<M::Event>, DriveError<M::Error>> {
        loop {
            if let Some(event) = self.machine.poll_event() {
                self.settle().await?;
                return event.map(Some).map_err(DriveError::Protocol);
            }
            if self.settle().await? {
                continue;
            }
            if self.closed || self.eof {
                return Ok(None);
            }
            if !self.machine.wants_input() {
                return Err(DriveError::Stalled);
            }
            self.read().await?;
        }
    }

    async fn settle(&mut self) -> Result<bool, DriveError<M::Error>> {
        let mut acted = false;
        loop {
            // Writing can make room the machine reports as an event (a body it takes
            // again): look at events before blocking in a read.
            acted |= self.write_pending().await?;
            match self.machine.poll_transport() {
                Some(action) => {
                    self.act(action).await?;
                    acted = true;
                }
                None => return Ok(acted),
            }
        }
    }

    /// Writes everything the machine holds.
    pub async fn flush(&mut self) -> Result<(), DriveError<M::Error>> {
        self.write_pending().await.map(|_| ())
    }

    /// Writes everything the machine holds; true if anything was written.
    async fn write_pending(&mut self) -> Result<bool, DriveError<M::Error>> {
        let Some(stream) = self.stream.as_mut() else {
            return Ok(false);
        };
        let mut wrote = false;
        while !self.machine.transmit().is_empty() {
            let pending = self.machine.transmit();
            let n = stream.write(pending).await.map_err(DriveError::Io)?;
            if n == 0 {
                return Err(DriveError::Io(io::ErrorKind::WriteZero.into()));
            }
            if let Some(trace) = self.trace.as_mut() {
                trace.sent(pending.get(..n).unwrap_or_default());
            }
            self.machine.advance_transmit(n);
            wrote = true;
        }
        if wrote {
            stream.flush().await.map_err(DriveError::Io)?;
        }
        Ok(wrote)
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
                if let Some(stream) = self.stream.as_mut() {
                    // The peer may already be gone; closing is best effort.
                    let _ = stream.shutdown().await;
                }
                self.closed = true;
                self.note("closed");
                Ok(())
            }
            _ => Ok(()),
        }
    }

    async fn start_tls(&mut self) -> Result<(), DriveError<M::Error>> {
        let upgrade = self.upgrade.clone().ok_or(DriveError::NoTlsConfigured)?;
        let tcp = match self.stream.take() {
            Some(AsyncStream::Plain(tcp)) => tcp,
            other => {
                self.stream = other;
                return Err(DriveError::AlreadyTls);
            }
        };
        let (stream, info) = match upgrade {
            TlsUpgrade::Client { config, name } => AsyncStream::tls_client(tcp, config, name).await,
            TlsUpgrade::Server(server) => AsyncStream::tls_server(tcp, &server).await,
        }
        .map_err(DriveError::Tls)?;
        let version = info.protocol_version.clone().unwrap_or_default();
        self.stream = Some(stream);
        self.machine.tls_established(info);
        self.note(format!("TLS established ({version})"));
        Ok(())
    }

    async fn read(&mut self) -> Result<(), DriveError<M::Error>> {
        let stream = self.stream.as_mut().ok_or(DriveError::Closed)?;
        let deadline = self.machine.poll_timeout();
        if let Some(deadline) = deadline
            && deadline <= Instant::now()
        {
            self.machine.handle_timeout(Instant::now());
            return Ok(());
        }
        let buf = self.machine.input_buffer();
        if buf.is_empty() {
            return Err(DriveError::Stalled);
        }
        let result = match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline.into(), stream.read(buf))
                .await
                .ok(),
            None => Some(stream.read(buf).await),
        };
        match result {
            None => {
                self.machine.commit_input(0, Instant::now());
                self.machine.handle_timeout(Instant::now());
            }
            Some(Ok(0)) => {
                self.machine.commit_input(0, Instant::now());
                self.machine.receive_eof(Instant::now());
                self.eof = true;
                self.note("peer closed the connection");
            }
            Some(Ok(n)) => {
                if let Some(trace) = self.trace.as_mut() {
                    trace.received(buf.get(..n).unwrap_or_default());
                }
                self.machine.commit_input(n, Instant::now());
            }
            Some(Err(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
                ) =>
            {
                self.machine.commit_input(0, Instant::now());
                self.machine.receive_eof(Instant::now());
                self.eof = true;
                self.note(format!("connection ended: {e}"));
            }
            Some(Err(e)) => {
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
