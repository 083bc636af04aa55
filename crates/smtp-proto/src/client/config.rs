//! The client's configuration: TLS policy, RFC 5321 timeouts, AUTH, LMTP, limits, and what a message declares before MAIL FROM.

use super::*;

/// When the client upgrades with STARTTLS: proto-core's, shared by every client (`Required`
/// fails with [`ProtocolError::TlsRequired`] when the server does not offer it).
pub use proto_core::TlsPolicy;

/// The timeouts of RFC 5321 4.5.3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Initial 220 message: 5 minutes.
    pub greeting: Duration,
    /// MAIL: 5 minutes.
    pub mail: Duration,
    /// RCPT: 5 minutes.
    pub rcpt: Duration,
    /// DATA initiation: 2 minutes.
    pub data_init: Duration,
    /// Data block: 3 minutes.
    pub data_block: Duration,
    /// DATA termination: 10 minutes.
    pub data_termination: Duration,
    /// Other commands: 5 minutes.
    pub other: Duration,
    /// The longest the whole session may last: none by default.
    pub session: Option<Duration>,
}

impl Timeouts {
    /// Sets the longest the whole session may last.
    #[must_use]
    pub fn with_session(mut self, limit: Option<Duration>) -> Self {
        self.session = limit;
        self
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        let min = |m: u64| Duration::from_secs(60 * m);
        Self {
            greeting: min(5),
            mail: min(5),
            rcpt: min(5),
            data_init: min(2),
            data_block: min(3),
            data_termination: min(10),
            other: min(5),
            session: None,
        }
    }
}

/// Client configuration.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The name sent with EHLO/HELO/LHLO.
    pub hostname: String,
    /// LMTP (RFC 2033): LHLO, and one reply per accepted recipient after the data.
    pub lmtp: bool,
    /// Size limits on what the server sends.
    pub limits: Limits,
    /// The STARTTLS policy (default: required).
    pub tls: TlsPolicy,
    /// TLS is active from the start (implicit TLS).
    pub implicit_tls: bool,
    /// What the implicit TLS handshake gave (channel bindings for SCRAM -PLUS); set with
    /// [`ClientConfig::with_tls_info`].
    pub tls_info: Option<TlsInfo>,
    /// Allow plaintext-equivalent SASL mechanisms over an unprotected link.
    pub plaintext_auth: bool,
    /// Use PIPELINING when offered.
    pub pipelining: bool,
    /// Use BDAT when CHUNKING is offered.
    pub chunking: bool,
    /// The output buffer size above which [`Client::write_body`] takes nothing more.
    pub body_high_water: usize,
    /// The timeouts.
    pub timeouts: Timeouts,
}

impl ClientConfig {
    /// TLS is active from the start (implicit TLS, port 465) and `info` is what its handshake
    /// gave, so that AUTH can bind SCRAM -PLUS to the channel.
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
            hostname: "localhost".to_owned(),
            lmtp: false,
            limits: Limits::default(),
            tls: TlsPolicy::Required,
            implicit_tls: false,
            tls_info: None,
            plaintext_auth: false,
            pipelining: true,
            chunking: true,
            body_high_water: 64 * 1024,
            timeouts: Timeouts::default(),
        }
    }
}

proto_core::with_setters! {
    ClientConfig {
        /// Sets the EHLO name.
        with_hostname: hostname: String,
        /// Runs LMTP.
        with_lmtp: lmtp: bool,
        /// Sets the limits.
        with_limits: limits: Limits,
        /// Sets the STARTTLS policy.
        with_tls: tls: TlsPolicy,
        /// TLS is active from the start.
        with_implicit_tls: implicit_tls: bool,
        /// Allows plaintext-equivalent SASL over an unprotected link.
        with_plaintext_auth: plaintext_auth: bool,
        /// Uses PIPELINING when offered.
        with_pipelining: pipelining: bool,
        /// Uses BDAT when CHUNKING is offered.
        with_chunking: chunking: bool,
        /// Sets the body high-water mark.
        with_body_high_water: body_high_water: usize,
        /// Sets the timeouts.
        with_timeouts: timeouts: Timeouts,
    }
}

/// What a message needs, declared before MAIL FROM.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageDeclaration {
    /// Its size in octets, if known (sent as SIZE= when offered, checked while streaming).
    pub size: Option<u64>,
    /// It has octets above 127 (needs 8BITMIME).
    pub eight_bit: bool,
    /// It is binary: NUL, bare CR/LF or long lines (needs BINARYMIME and CHUNKING).
    pub binary: bool,
    /// Its headers or addresses hold UTF-8 (needs SMTPUTF8).
    pub utf8: bool,
}

impl MessageDeclaration {
    /// A 7-bit message of unknown size.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the size.
    #[must_use]
    pub fn with_size(mut self, size: u64) -> Self {
        self.size = Some(size);
        self
    }

    /// Declares 8-bit content.
    #[must_use]
    pub fn with_eight_bit(mut self, yes: bool) -> Self {
        self.eight_bit = yes;
        self
    }

    /// Declares binary content.
    #[must_use]
    pub fn with_binary(mut self, yes: bool) -> Self {
        self.binary = yes;
        self
    }

    /// Declares UTF-8 headers or addresses.
    #[must_use]
    pub fn with_utf8(mut self, yes: bool) -> Self {
        self.utf8 = yes;
        self
    }
}
