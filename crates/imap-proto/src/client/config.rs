//! The client's configuration: TLS, credentials on cleartext, tags, limits and timers.

use std::time::Duration;

use proto_core::{IdleRules, TlsInfo, TlsPolicy};

use crate::codec::Limits;

/// How long a client waits for the server's next response by default.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// When an IDLE is renewed by default: the server may log out a client idle for 30 minutes
/// (RFC 9051 section 5.4; RFC 2177 asks clients to re-issue IDLE at least every 29).
pub const IDLE_REFRESH: Duration = Duration::from_secs(28 * 60);

/// The configuration of a [`Client`](crate::Client).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// When to upgrade a cleartext connection with STARTTLS (default: required).
    pub tls: TlsPolicy,
    /// The connection started with a TLS handshake (port 993).
    pub implicit_tls: bool,
    /// What the implicit TLS handshake gave, for SCRAM's -PLUS mechanisms.
    pub tls_info: Option<TlsInfo>,
    /// Allow LOGIN and password mechanisms without TLS (loopback tests only).
    pub plaintext_auth: bool,
    /// The letters in front of each tag's number (`A` gives `A1`, `A2`, ...).
    pub tag_prefix: String,
    /// The response framer's limits: line, literal, inline literal and message sizes.
    pub limits: Limits,
    /// Read responses with the quirks of real servers accepted (default on).
    pub lenient: bool,
    /// The wait for a response: the idle limit, and an optional session deadline.
    pub idle: IdleRules,
    /// When a running IDLE is renewed (DONE, then IDLE again).
    pub idle_refresh: Duration,
    /// Streamed APPEND data waiting to be written past this many octets makes
    /// [`Client::write_append`](crate::Client::write_append) accept nothing more until a
    /// [`ClientEvent::BodyWritable`](crate::ClientEvent::BodyWritable).
    pub body_high_water: usize,
    /// The most octets of data responses (as they came on the wire) one command keeps for its
    /// completion. Past it, the rest of the command's data is handed on as events as it
    /// arrives ([`ClientEvent::Fetch`](crate::ClientEvent::Fetch) and
    /// [`ClientEvent::Data`](crate::ClientEvent::Data) carrying the command's id), and the
    /// completion counts them in [`Completion::spilled`](crate::Completion::spilled). 0
    /// hands every data response on as it comes: a listing of a large mailbox never has to
    /// be in memory. Without a limit a server could make the client hold any amount.
    pub max_collected: usize,
    /// The most sequence numbers whose UID the selected mailbox's view keeps (4 octets
    /// each): a server's `* 4000000000 FETCH (UID 1)` must not make the client allocate
    /// gigabytes.
    pub max_uid_map: usize,
}

impl ClientConfig {
    /// The defaults: STARTTLS required, lenient parsing, 5 minutes' response timeout.
    pub fn new() -> Self {
        Self::default()
    }

    /// The connection is already TLS: `info` is what the handshake gave.
    #[must_use]
    pub fn with_tls_info(mut self, info: TlsInfo) -> Self {
        self.implicit_tls = true;
        self.tls_info = Some(info);
        self
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            tls: TlsPolicy::Required,
            implicit_tls: false,
            tls_info: None,
            plaintext_auth: false,
            tag_prefix: "A".to_owned(),
            limits: Limits::CLIENT,
            lenient: true,
            idle: IdleRules::new(RESPONSE_TIMEOUT),
            idle_refresh: IDLE_REFRESH,
            body_high_water: 64 * 1024,
            max_uid_map: 16 * 1024 * 1024,
            max_collected: 32 * 1024 * 1024,
        }
    }
}

proto_core::with_setters! {
    ClientConfig {
        /// Sets [`tls`](ClientConfig::tls).
        with_tls: tls: TlsPolicy,
        /// Sets [`implicit_tls`](ClientConfig::implicit_tls).
        with_implicit_tls: implicit_tls: bool,
        /// Sets [`plaintext_auth`](ClientConfig::plaintext_auth).
        with_plaintext_auth: plaintext_auth: bool,
        /// Sets [`tag_prefix`](ClientConfig::tag_prefix).
        with_tag_prefix: tag_prefix: String,
        /// Sets [`limits`](ClientConfig::limits).
        with_limits: limits: Limits,
        /// Sets [`lenient`](ClientConfig::lenient).
        with_lenient: lenient: bool,
        /// Sets [`idle`](ClientConfig::idle).
        with_idle: idle: IdleRules,
        /// Sets [`idle_refresh`](ClientConfig::idle_refresh).
        with_idle_refresh: idle_refresh: Duration,
        /// Sets [`body_high_water`](ClientConfig::body_high_water).
        with_body_high_water: body_high_water: usize,
        /// Sets [`max_collected`](ClientConfig::max_collected).
        with_max_collected: max_collected: usize,
        /// Sets [`max_uid_map`](ClientConfig::max_uid_map).
        with_max_uid_map: max_uid_map: usize,
    }
}
