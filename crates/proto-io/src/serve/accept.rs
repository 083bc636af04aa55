//! Where `serve` takes its connections from, and how it waits after an accept error.
//!
//! An accept error is most often about the whole process, not one connection: out of file
//! descriptors (EMFILE, ENFILE), out of memory (ENOBUFS, ENOMEM). Returning on such an error
//! would leave the port dead while the process runs; retrying at once would spin. So `serve`
//! waits, longer after each error in a row, and tries again.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// A source of connections: a [`TcpListener`], or in tests one that fails on purpose.
pub trait Accept: Send {
    /// The next connection and its peer's address.
    fn accept(&mut self) -> impl Future<Output = io::Result<(TcpStream, SocketAddr)>> + Send;
}

impl Accept for TcpListener {
    async fn accept(&mut self) -> io::Result<(TcpStream, SocketAddr)> {
        TcpListener::accept(self).await
    }
}

/// The first wait after an accept error.
pub const BACKOFF_FIRST: Duration = Duration::from_millis(50);
/// The longest wait between two attempts.
pub const BACKOFF_MAX: Duration = Duration::from_secs(1);

/// The wait after accept errors in a row: doubling from [`BACKOFF_FIRST`] up to
/// [`BACKOFF_MAX`], and back to the start after a success.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(BACKOFF_FIRST, BACKOFF_MAX)
    }
}

impl Backoff {
    /// Waits from `first`, doubling up to `max`.
    pub fn new(first: Duration, max: Duration) -> Self {
        Self {
            first,
            max,
            next: first,
        }
    }

    /// The wait after one more error in a row.
    pub fn failed(&mut self) -> Duration {
        let wait = self.next;
        self.next = self.next.saturating_mul(2).min(self.max);
        wait
    }

    /// An accept succeeded: the next error waits the shortest time again.
    pub fn succeeded(&mut self) {
        self.next = self.first;
    }
}

/// Errors about one connection that failed before accept returned it: try the next at once.
pub(super) fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_maximum_and_resets() {
        let mut backoff = Backoff::default();
        let waits: Vec<u64> = (0..7)
            .map(|_| backoff.failed().as_millis() as u64)
            .collect();
        assert_eq!(waits, [50, 100, 200, 400, 800, 1000, 1000]);
        backoff.succeeded();
        assert_eq!(backoff.failed(), Duration::from_millis(50));
    }

    #[test]
    fn only_per_connection_errors_skip_the_wait() {
        assert!(is_per_connection(&io::ErrorKind::ConnectionAborted.into()));
        // EMFILE: the process is out of descriptors.
        assert!(!is_per_connection(&io::Error::from_raw_os_error(24)));
    }
}
