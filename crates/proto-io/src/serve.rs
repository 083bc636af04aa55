//! Server helpers: an accept loop with connection caps, one tokio task per connection, TLS
//! (implicit or for a later STARTTLS) from a certificate and key.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use proto_core::TlsInfo;
use tokio::net::TcpListener;

use crate::blocking::TlsUpgrade;
use crate::tls::ServerTls;
use crate::tokio_driver::AsyncStream;

/// How a listener treats its connections.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The certificate: for implicit TLS, or offered for STARTTLS.
    pub tls: Option<ServerTls>,
    /// TLS from the first byte (465, 993, 995) instead of on request.
    pub implicit_tls: bool,
    /// Connections served at once, in all.
    pub max_connections: usize,
    /// Connections served at once from one IP address.
    pub max_per_ip: usize,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            tls: None,
            implicit_tls: false,
            max_connections: 256,
            max_per_ip: 16,
        }
    }
}

/// Why a connection was not admitted; the handler should answer with the protocol's
/// "try later" (SMTP 421, POP3 -ERR [SYS/TEMP]) and close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The listener serves `max_connections` already.
    TooManyConnections,
    /// This address has `max_per_ip` connections already.
    TooManyFromAddress,
}

/// One accepted connection, handed to the handler.
#[derive(Debug)]
pub struct Accepted {
    /// The stream (already in TLS when implicit).
    pub stream: AsyncStream,
    /// The peer's address.
    pub peer: SocketAddr,
    /// How to answer STARTTLS, when a certificate is configured and TLS is not implicit.
    pub upgrade: Option<TlsUpgrade>,
    /// What the implicit TLS handshake gave.
    pub tls_info: Option<TlsInfo>,
    /// Set when the connection must be refused politely.
    pub refusal: Option<Refusal>,
}

/// Releases a connection's place when its task ends.
#[derive(Debug)]
struct Slot {
    counts: Arc<Mutex<Counts>>,
    ip: IpAddr,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut counts) = self.counts.lock() {
            counts.total = counts.total.saturating_sub(1);
            if let Some(n) = counts.per_ip.get_mut(&self.ip) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    counts.per_ip.remove(&self.ip);
                }
            }
        }
    }
}

/// Accepts connections until `shutdown` completes, running `handler` in a task for each.
///
/// Connections past a cap are still handed to the handler, with [`Accepted::refusal`] set, so
/// the protocol can say why before closing. Returns once the shutdown future completes; tasks
/// already running go on until they end.
pub async fn serve<H, F>(
    listener: TcpListener,
    config: ServeConfig,
    handler: H,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()>
where
    H: Fn(Accepted) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let handler = Arc::new(handler);
    let counts = Arc::new(Mutex::new(Counts::default()));
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            () = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                // A connection that failed before accept completed is no reason to stop.
                Err(e) if is_transient(&e) => continue,
                Err(e) => return Err(e),
            },
        };
        let _ = tcp.set_nodelay(true);
        let refusal = admit(&counts, peer.ip(), &config);
        let slot = refusal.is_none().then(|| Slot {
            counts: counts.clone(),
            ip: peer.ip(),
        });
        let handler = handler.clone();
        let config = config.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let accepted = match (&config.tls, config.implicit_tls) {
                (Some(tls), true) => match AsyncStream::tls_server(tcp, tls).await {
                    Ok((stream, info)) => Accepted {
                        stream,
                        peer,
                        upgrade: None,
                        tls_info: Some(info),
                        refusal,
                    },
                    Err(e) => {
                        tracing::debug!(%peer, "TLS handshake failed: {e}");
                        return;
                    }
                },
                (tls, _) => Accepted {
                    stream: AsyncStream::Plain(tcp),
                    peer,
                    upgrade: tls.clone().map(TlsUpgrade::Server),
                    tls_info: None,
                    refusal,
                },
            };
            handler(accepted).await;
        });
    }
}

fn admit(counts: &Mutex<Counts>, ip: IpAddr, config: &ServeConfig) -> Option<Refusal> {
    let Ok(mut counts) = counts.lock() else {
        return Some(Refusal::TooManyConnections);
    };
    if counts.total >= config.max_connections {
        return Some(Refusal::TooManyConnections);
    }
    let from_ip = counts.per_ip.get(&ip).copied().unwrap_or(0);
    if from_ip >= config.max_per_ip {
        return Some(Refusal::TooManyFromAddress);
    }
    counts.total += 1;
    *counts.per_ip.entry(ip).or_insert(0) += 1;
    None
}

fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}
