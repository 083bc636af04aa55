//! The client's configuration: TLS, credentials policy, SASL, pipelining, limits and idle rules.

use super::*;

/// Client configuration. `Default` plus builder-style setters.
#[non_exhaustive]
pub struct ClientConfig {
    /// Send credentials (of any kind) over a connection without TLS. Off by default: only for
    /// trusted local links.
    pub plaintext_auth: bool,
    /// SASL mechanisms allowed without TLS even when `plaintext_auth` is off (an
    /// explicit opt-in per mechanism).
    pub plaintext_mechanisms: Vec<Mechanism>,
    /// The connection is protected from the start (implicit TLS, port 995).
    pub implicit_tls: bool,
    /// What the implicit TLS handshake gave (channel bindings for SCRAM -PLUS); set with
    /// `with_tls_info`.
    pub tls_info: Option<TlsInfo>,
    /// Pipeline commands when the server offers PIPELINING.
    pub pipelining: bool,
    /// Where SCRAM client nonces come from: the operating system's (`sasl_proto::OsNonce`)
    /// by default with the `getrandom` feature (on by default). Without one the client never
    /// picks SCRAM.
    pub nonce_source: Option<Box<dyn NonceSource>>,
    /// Size limits.
    pub limits: Limits,
    /// How long the server may make no progress (a whole response line, or 1 KiB of a
    /// message) while a command waits for its answer: 10 minutes by default; no session
    /// deadline by default.
    pub idle: IdleRules,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("plaintext_auth", &self.plaintext_auth)
            .field("implicit_tls", &self.implicit_tls)
            .field("pipelining", &self.pipelining)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            plaintext_auth: false,
            plaintext_mechanisms: Vec::new(),
            implicit_tls: false,
            tls_info: None,
            pipelining: true,
            #[cfg(feature = "getrandom")]
            nonce_source: Some(Box::new(sasl_proto::OsNonce)),
            #[cfg(not(feature = "getrandom"))]
            nonce_source: None,
            limits: Limits::default(),
            idle: IdleRules::new(Duration::from_secs(600)),
        }
    }
}

impl ClientConfig {
    /// The defaults: no credentials without TLS, pipelining when offered.
    pub fn new() -> Self {
        Self::default()
    }

    config_setters!();

    /// Uses PIPELINING when offered, or never.
    #[must_use]
    pub fn with_pipelining(mut self, on: bool) -> Self {
        self.pipelining = on;
        self
    }
}
