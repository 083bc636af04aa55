//! The setters the client's and the server's configuration share: the fields `implicit_tls`,
//! `tls_info`, `plaintext_auth`, `plaintext_mechanisms`, `nonce_source`, `limits` and `idle`
//! mean the same on both sides, so their setters are written once here and expanded into both
//! `impl` blocks.

/// Expands to `with_implicit_tls`, `with_tls_info`, `with_plaintext_auth`,
/// `with_plaintext_mechanisms`, `with_nonce_source`, `with_limits` and `with_idle` inside the
/// `impl` block of a configuration that has those fields.
macro_rules! config_setters {
    () => {
        /// The connection is protected from the start (implicit TLS).
        #[must_use]
        pub fn with_implicit_tls(mut self, on: bool) -> Self {
            self.implicit_tls = on;
            self
        }

        /// The connection is protected from the start (implicit TLS, port 995) and `info` is
        /// what its handshake gave, so that SCRAM -PLUS can bind to the channel.
        #[must_use]
        pub fn with_tls_info(mut self, info: TlsInfo) -> Self {
            self.implicit_tls = true;
            self.tls_info = Some(info);
            self
        }

        /// Allows credentials (every kind of login) without TLS: for trusted local links only.
        #[must_use]
        pub fn with_plaintext_auth(mut self, on: bool) -> Self {
            self.plaintext_auth = on;
            self
        }

        /// Allows these SASL mechanisms without TLS even when `plaintext_auth` is off.
        #[must_use]
        pub fn with_plaintext_mechanisms(mut self, mechanisms: Vec<Mechanism>) -> Self {
            self.plaintext_mechanisms = mechanisms;
            self
        }

        /// Sets where SCRAM nonces (and a server's CRAM-MD5 challenges) come from.
        #[must_use]
        pub fn with_nonce_source(mut self, source: impl NonceSource + 'static) -> Self {
            self.nonce_source = Some(Box::new(source));
            self
        }

        /// Sets the size limits.
        #[must_use]
        pub fn with_limits(mut self, limits: Limits) -> Self {
            self.limits = limits;
            self
        }

        /// Sets the idle rules: how long the peer may make no progress (the server's
        /// autologout, the client's wait for an answer), a shorter limit before login, a session
        /// deadline.
        #[must_use]
        pub fn with_idle(mut self, idle: IdleRules) -> Self {
            self.idle = idle;
            self
        }
    };
}
