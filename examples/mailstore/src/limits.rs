//! Limits and timings, each configurable.

use std::time::Duration;

/// Sizes and waits the store and the queue hold to. Every limit is inclusive: a value equal
/// to the limit is accepted, one more is refused.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest message, in octets with CRLF line ends (what SMTP `SIZE` counts). Default
    /// 64 MiB.
    pub max_message_size: u64,
    /// Largest `dovecot-uidlist` read. Default 64 MiB.
    pub max_uidlist_size: u64,
    /// Largest queue envelope file read. Default 1 MiB.
    pub max_envelope_size: u64,
    /// Most recipients in one queue item. Default 1000.
    pub max_recipients: usize,
    /// How long to wait for another process's `dovecot-uidlist.lock`. Default 10 s.
    pub uidlist_lock_wait: Duration,
    /// Age after which a `dovecot-uidlist.lock` is taken as left by a dead process and
    /// removed (Dovecot uses two minutes). Default 120 s.
    pub uidlist_lock_stale: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_size: 64 << 20,
            max_uidlist_size: 64 << 20,
            max_envelope_size: 1 << 20,
            max_recipients: 1000,
            uidlist_lock_wait: Duration::from_secs(10),
            uidlist_lock_stale: Duration::from_secs(120),
        }
    }
}

impl Limits {
    /// The defaults.
    pub fn new() -> Self {
        Limits::default()
    }

    /// Sets [`max_message_size`](Self::max_message_size).
    pub fn max_message_size(mut self, n: u64) -> Self {
        self.max_message_size = n;
        self
    }

    /// Sets [`max_uidlist_size`](Self::max_uidlist_size).
    pub fn max_uidlist_size(mut self, n: u64) -> Self {
        self.max_uidlist_size = n;
        self
    }

    /// Sets [`max_envelope_size`](Self::max_envelope_size).
    pub fn max_envelope_size(mut self, n: u64) -> Self {
        self.max_envelope_size = n;
        self
    }

    /// Sets [`max_recipients`](Self::max_recipients).
    pub fn max_recipients(mut self, n: usize) -> Self {
        self.max_recipients = n;
        self
    }

    /// Sets [`uidlist_lock_wait`](Self::uidlist_lock_wait).
    pub fn uidlist_lock_wait(mut self, d: Duration) -> Self {
        self.uidlist_lock_wait = d;
        self
    }

    /// Sets [`uidlist_lock_stale`](Self::uidlist_lock_stale).
    pub fn uidlist_lock_stale(mut self, d: Duration) -> Self {
        self.uidlist_lock_stale = d;
        self
    }
}
