//! The setters the client's and the server's configuration share: the same four fields
//! (`implicit_tls`, `tls_info`, `plaintext_auth`, `plaintext_mechanisms`) mean the same on both
//! sides, so their setters are written once here and expanded into both `impl` blocks.

/// Expands to `with_implicit_tls`, `with_tls_info`, `with_plaintext_auth` and
/// `with_plaintext_mechanisms` inside the `impl` block of a configuration that has those four
/// fields.
macro_rules! tls_setters {
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
    };
}
