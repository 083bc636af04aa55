//! Server helpers: an accept loop with connection caps, one tokio task per connection, TLS
//! (implicit or for a later STARTTLS) from a certificate and key.
//!
//! The loop ends only at shutdown: an accept error is logged and retried after a growing wait
//! ([`Backoff`]). The caps are enforced here for every protocol: a connection past one gets
//! the protocol's refusal line ([`ServeConfig::refusal_line`]) and is closed, without ever
//! reaching the handler.

mod accept;
mod refuse;

pub use accept::{Accept, BACKOFF_FIRST, BACKOFF_MAX, Backoff};
pub use refuse::{IMAP_REFUSAL, POP3_REFUSAL, REFUSAL_DEADLINE, REFUSALS_IN_FLIGHT, SMTP_REFUSAL};

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use crate::blocking::TlsUpgrade;
use crate::tls::ServerTls;
use crate::tokio_driver::AsyncStream;
use proto_core::TlsInfo;

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
    /// What a connection past a cap is told before it is closed, without CRLF: the
    /// protocol's "try later" ([`SMTP_REFUSAL`], [`POP3_REFUSAL`], [`IMAP_REFUSAL`]).
    pub refusal_line: String,
}

impl Default for ServeConfig {
    /// No TLS, 256 connections, 16 per address, refused with SMTP's 421.
    fn default() -> Self {
        Self {
            tls: None,
            implicit_tls: false,
            max_connections: 256,
            max_per_ip: 16,
            refusal_line: SMTP_REFUSAL.into(),
        }
    }
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
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
/// Connections past a cap get [`ServeConfig::refusal_line`] and are closed; the handler never
/// sees them. Accept errors are logged and retried after a [`Backoff`]. Returns once the
/// shutdown future completes; tasks already running go on until they end.
pub async fn serve<L, H, F>(
    mut listener: L,
    config: ServeConfig,
    handler: H,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()>
where
    L: Accept,
    H: Fn(Accepted) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let handler = Arc::new(handler);
    let counts = Arc::new(Mutex::new(Counts::default()));
    let refuser = refuse::Refuser::new(&config.refusal_line);
    let mut backoff = Backoff::default();
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            () = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(pair) => {
                    backoff.succeeded();
                    pair
                }
                // A connection that failed before accept completed is no reason to wait.
                Err(e) if accept::is_per_connection(&e) => continue,
                Err(e) => {
                    let wait = backoff.failed();
                    tracing::warn!("accept failed, trying again in {wait:?}: {e}");
                    tokio::select! {
                        () = &mut shutdown => return Ok(()),
                        () = tokio::time::sleep(wait) => continue,
                    }
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        if let Some(refusal) = admit(&counts, peer.ip(), &config) {
            tracing::info!(%peer, "connection refused: {refusal:?}");
            refuser.refuse(tcp);
            continue;
        }
        let slot = Slot {
            counts: counts.clone(),
            ip: peer.ip(),
        };
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
