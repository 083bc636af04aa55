//! The server's configuration: host name, LMTP, limits, extensions offered, TLS, AUTH,
//! the decisions asked for and the idle rules.

use super::*;

/// Builds the sasl-proto configuration of each AUTH exchange (nonce source, limits).
pub type SaslConfigFactory = Arc<dyn Fn() -> sasl_proto::ServerConfig + Send + Sync>;

/// Server configuration. `Default` gives an SMTP server that offers PIPELINING, SIZE,
/// 8BITMIME, CHUNKING, DSN, SMTPUTF8, ENHANCEDSTATUSCODES and STARTTLS, and AUTH only
/// after TLS.
#[derive(Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The host name in the greeting and replies.
    pub hostname: String,
    /// LMTP (RFC 2033): LHLO instead of HELO/EHLO, one reply per recipient after the data.
    pub lmtp: bool,
    /// Size limits.
    pub limits: Limits,
    /// What DATA does with a bare LF or CR: `Reject` (default) or `Normalize`.
    pub bare_line_endings: BareLineEnding,
    /// The extensions offered (the domain, SIZE, STARTTLS and AUTH are filled in by the
    /// machine from the other fields).
    pub extensions: Capabilities,
    /// Offer STARTTLS (when TLS is not active yet).
    pub starttls: bool,
    /// TLS is active from the start (implicit TLS, port 465).
    pub implicit_tls: bool,
    /// What the implicit TLS handshake gave (channel bindings for SCRAM -PLUS); set with
    /// [`ServerConfig::with_tls_info`].
    pub tls_info: Option<TlsInfo>,
    /// SASL mechanisms offered, strongest first.
    pub auth_mechanisms: Vec<Mechanism>,
    /// Offer AUTH before TLS (trusted local links only).
    pub plaintext_auth: bool,
    /// Require AUTH before MAIL (submission, RFC 6409).
    pub require_auth: bool,
    /// Ask the application about each connection before the greeting.
    pub decide_connection: bool,
    /// Ask the application about HELO/EHLO/LHLO.
    pub decide_hello: bool,
    /// How long the client may make no progress (RFC 5321 4.5.3.2.7: 5 minutes for every
    /// phase), before and after AUTH, and the session's total deadline (none by default).
    pub idle: IdleRules,
    /// The sasl-proto configuration of each AUTH exchange.
    pub sasl: SaslConfigFactory,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("hostname", &self.hostname)
            .field("lmtp", &self.lmtp)
            .field("limits", &self.limits)
            .field("extensions", &self.extensions)
            .field("auth_mechanisms", &self.auth_mechanisms)
            .finish_non_exhaustive()
    }
}

impl ServerConfig {
    /// TLS is active from the start (implicit TLS, port 465) and `info` is what its handshake
    /// gave, so that SCRAM -PLUS can be offered and bound to the channel.
    #[must_use]
    pub fn with_tls_info(mut self, info: TlsInfo) -> Self {
        self.implicit_tls = true;
        self.tls_info = Some(info);
        self
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        let extensions = Capabilities {
            pipelining: true,
            eight_bit_mime: true,
            chunking: true,
            binary_mime: true,
            dsn: true,
            smtputf8: true,
            enhanced_status_codes: true,
            ..Capabilities::default()
        };
        Self {
            hostname: "localhost".to_owned(),
            lmtp: false,
            limits: Limits::default(),
            bare_line_endings: BareLineEnding::Reject,
            extensions,
            starttls: true,
            implicit_tls: false,
            tls_info: None,
            auth_mechanisms: vec![Mechanism::ScramSha256, Mechanism::Plain, Mechanism::Login],
            plaintext_auth: false,
            require_auth: false,
            decide_connection: false,
            decide_hello: false,
            idle: IdleRules::new(Duration::from_secs(300)),
            sasl: Arc::new(sasl_proto::ServerConfig::default),
        }
    }
}

proto_core::with_setters! {
    ServerConfig {
        /// Sets the host name.
        with_hostname: hostname: String,
        /// Runs LMTP instead of SMTP.
        with_lmtp: lmtp: bool,
        /// Sets the limits.
        with_limits: limits: Limits,
        /// Sets the bare line end policy of DATA.
        with_bare_line_endings: bare_line_endings: BareLineEnding,
        /// Sets the extensions offered.
        with_extensions: extensions: Capabilities,
        /// Offers STARTTLS or not.
        with_starttls: starttls: bool,
        /// TLS is active from the start.
        with_implicit_tls: implicit_tls: bool,
        /// Sets the SASL mechanisms offered.
        with_auth_mechanisms: auth_mechanisms: Vec<Mechanism>,
        /// Offers AUTH before TLS.
        with_plaintext_auth: plaintext_auth: bool,
        /// Requires AUTH before MAIL.
        with_require_auth: require_auth: bool,
        /// Asks the application about each connection.
        with_decide_connection: decide_connection: bool,
        /// Asks the application about HELO/EHLO/LHLO.
        with_decide_hello: decide_hello: bool,
        /// Sets the idle rules.
        with_idle: idle: IdleRules,
        /// Sets the SASL configuration factory.
        with_sasl: sasl: SaslConfigFactory,
    }
}
