//! Client connection helpers: host, port, TLS mode and trust in one place.

use std::io;
use std::net::{TcpStream, ToSocketAddrs};
#[cfg(feature = "tokio")]
use std::sync::Arc;
use std::time::Duration;

use proto_core::TlsInfo;
#[cfg(feature = "tokio")]
use rustls::pki_types::ServerName;

use crate::blocking::{Stream, TlsUpgrade};
use crate::tls::{self, Trust};

/// How a connection uses TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsMode {
    /// No TLS at all (a trusted local link).
    Plain,
    /// Plain first, upgraded when the protocol says so (STARTTLS, STLS).
    StartTls,
    /// TLS from the first byte (ports 465, 993, 995).
    Implicit,
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Host name or IP address (also the name the certificate must carry).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// TLS mode.
    pub tls: TlsMode,
    /// Which certificates to trust (for TLS): webpki roots by default, or the operating
    /// system's, a CA file, or the caller's own rustls configuration.
    pub trust: Trust,
    /// How long the TCP connect may take.
    pub connect_timeout: Duration,
}

impl Endpoint {
    /// An endpoint with webpki roots and a 30 s connect timeout.
    pub fn new(host: impl Into<String>, port: u16, tls: TlsMode) -> Self {
        Self {
            host: host.into(),
            port,
            tls,
            trust: Trust::WebPkiRoots,
            connect_timeout: Duration::from_secs(30),
        }
    }

    /// Sets which certificates to trust: `Trust::SystemRoots`, `Trust::ca_file(path)?` for a
    /// private CA or a self-signed server, or `Trust::RustlsConfig(config)` to hand over a
    /// whole rustls `ClientConfig` (the short calls `submit` and `fetch_new` use it as given).
    pub fn trust(mut self, trust: Trust) -> Self {
        self.trust = trust;
        self
    }
}

/// A connected stream and what the driver needs for the rest.
#[derive(Debug)]
pub struct Connected {
    /// The stream, already in TLS for [`TlsMode::Implicit`].
    pub stream: Stream,
    /// How to answer a later STARTTLS (for [`TlsMode::StartTls`]).
    pub upgrade: Option<TlsUpgrade>,
    /// For implicit TLS: what the handshake gave, to configure the machine with.
    pub tls_info: Option<TlsInfo>,
}

/// Connects to `endpoint` (blocking).
pub fn connect(endpoint: &Endpoint) -> io::Result<Connected> {
    let mut last = None;
    let mut tcp = None;
    for addr in (endpoint.host.as_str(), endpoint.port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, endpoint.connect_timeout) {
            Ok(stream) => {
                tcp = Some(stream);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let tcp = tcp.ok_or_else(|| last.unwrap_or_else(|| io::ErrorKind::NotFound.into()))?;
    tcp.set_nodelay(true)?;
    let upgrade = || -> io::Result<TlsUpgrade> {
        Ok(TlsUpgrade::Client {
            config: tls::client_config(&endpoint.trust).map_err(io::Error::other)?,
            name: tls::server_name(&endpoint.host).map_err(io::Error::other)?,
        })
    };
    match endpoint.tls {
        TlsMode::Plain => Ok(Connected {
            stream: Stream::Plain(tcp),
            upgrade: None,
            tls_info: None,
        }),
        TlsMode::StartTls => Ok(Connected {
            stream: Stream::Plain(tcp),
            upgrade: Some(upgrade()?),
            tls_info: None,
        }),
        TlsMode::Implicit => {
            let TlsUpgrade::Client { config, name } = upgrade()? else {
                return Err(io::ErrorKind::InvalidInput.into());
            };
            let (stream, info) = Stream::tls_client(tcp, config, name)?;
            Ok(Connected {
                stream,
                upgrade: None,
                tls_info: Some(info),
            })
        }
    }
}

/// Connects to `endpoint` with tokio.
///
/// Cancel-safe: dropping the future drops only the connection being made.
#[cfg(feature = "tokio")]
pub async fn connect_async(
    endpoint: &Endpoint,
) -> io::Result<(crate::AsyncStream, Option<TlsUpgrade>, Option<TlsInfo>)> {
    let connect = tokio::net::TcpStream::connect((endpoint.host.as_str(), endpoint.port));
    let tcp = tokio::time::timeout(endpoint.connect_timeout, connect)
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
    tcp.set_nodelay(true)?;
    // The trust is read only when TLS is used: a plain link needs no CA store.
    let upgrade = || -> io::Result<(Arc<rustls::ClientConfig>, ServerName<'static>)> {
        Ok((
            tls::client_config(&endpoint.trust).map_err(io::Error::other)?,
            tls::server_name(&endpoint.host).map_err(io::Error::other)?,
        ))
    };
    match endpoint.tls {
        TlsMode::Plain => Ok((crate::AsyncStream::Plain(tcp), None, None)),
        TlsMode::StartTls => {
            let (config, name) = upgrade()?;
            Ok((
                crate::AsyncStream::Plain(tcp),
                Some(TlsUpgrade::Client { config, name }),
                None,
            ))
        }
        TlsMode::Implicit => {
            let (config, name) = upgrade()?;
            let (stream, info) = crate::AsyncStream::tls_client(tcp, config, name).await?;
            Ok((stream, None, Some(info)))
        }
    }
}
