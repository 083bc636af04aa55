//! The server's configuration: greeting, APOP, login methods, TLS, limits, idle rules.

use super::*;

/// Server configuration. `Default` plus builder-style setters.
#[non_exhaustive]
pub struct ServerConfig {
    /// Text of the greeting after `+OK`.
    pub greeting: String,
    /// The APOP timestamp (`<unique@host>`, RFC 1939 section 7), placed in the greeting.
    /// `None` disables APOP. Randomness is the caller's: make it unique per connection.
    pub apop_timestamp: Option<String>,
    /// Whether USER and PASS are accepted.
    pub user_pass: bool,
    /// The SASL mechanisms offered, when logins are allowed.
    pub sasl_mechanisms: Vec<Mechanism>,
    /// Where SCRAM server nonces and CRAM-MD5 challenges come from (one draw per AUTH).
    pub nonce_source: Option<Box<dyn NonceSource>>,
    /// Whether STLS is offered (the driver can do TLS).
    pub stls: bool,
    /// The connection is already protected (implicit TLS on port 995).
    pub implicit_tls: bool,
    /// What the implicit TLS handshake gave (channel bindings for SCRAM -PLUS); set with
    /// `with_tls_info`.
    pub tls_info: Option<TlsInfo>,
    /// Allow every kind of login before TLS. Off by default (RFC 2595 section 2.3, RFC 5034
    /// section 4): only for trusted local links.
    pub plaintext_auth: bool,
    /// SASL mechanisms allowed before TLS even when `plaintext_auth` is off (an
    /// explicit opt-in per mechanism, for example EXTERNAL or SCRAM on a local link).
    pub plaintext_mechanisms: Vec<Mechanism>,
    /// Failed logins (rejected credentials, failed SASL exchanges) before the connection is
    /// closed.
    pub max_failed_logins: u32,
    /// The LOGIN-DELAY capability (RFC 2449 section 6.5), in seconds.
    pub login_delay: Option<u32>,
    /// The EXPIRE capability (RFC 2449 section 6.7).
    pub expire: Option<Expire>,
    /// The IMPLEMENTATION capability.
    pub implementation: Option<String>,
    /// Offer UTF8 (RFC 6856 section 2); `Some(true)` adds the USER argument.
    pub utf8: Option<bool>,
    /// Languages for LANG (RFC 6856 section 3): tag and description. Empty: LANG not offered.
    pub languages: Vec<(String, String)>,
    /// The autologout rules: RFC 1939 section 3 wants at least 10 minutes of inactivity
    /// before it (the default), restarted by every command; a shorter limit before login and
    /// a session deadline can be set.
    pub idle: IdleRules,
    /// Size limits.
    pub limits: Limits,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("greeting", &self.greeting)
            .field("apop_timestamp", &self.apop_timestamp)
            .field("user_pass", &self.user_pass)
            .field("sasl_mechanisms", &self.sasl_mechanisms)
            .field("stls", &self.stls)
            .field("implicit_tls", &self.implicit_tls)
            .field("plaintext_auth", &self.plaintext_auth)
            .field("max_failed_logins", &self.max_failed_logins)
            .field("idle", &self.idle)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            greeting: "POP3 server ready".into(),
            apop_timestamp: None,
            user_pass: true,
            sasl_mechanisms: vec![
                Mechanism::ScramSha256,
                Mechanism::ScramSha1,
                Mechanism::Plain,
            ],
            nonce_source: None,
            stls: true,
            implicit_tls: false,
            tls_info: None,
            plaintext_auth: false,
            plaintext_mechanisms: Vec::new(),
            max_failed_logins: 3,
            login_delay: None,
            expire: None,
            implementation: None,
            utf8: None,
            languages: Vec::new(),
            idle: IdleRules::new(Duration::from_secs(10 * 60)),
            limits: Limits::default(),
        }
    }
}

impl ServerConfig {
    /// The defaults: STLS offered, no login before TLS, USER/PASS and SASL (SCRAM-SHA-256,
    /// SCRAM-SHA-1, PLAIN), 3 failed logins, 10 minutes autologout.
    pub fn new() -> Self {
        Self::default()
    }

    config_setters!();

    /// Sets the greeting text.
    #[must_use]
    pub fn with_greeting(mut self, text: impl Into<String>) -> Self {
        self.greeting = text.into();
        self
    }

    /// Enables APOP with this timestamp (brackets included).
    #[must_use]
    pub fn with_apop_timestamp(mut self, timestamp: impl Into<String>) -> Self {
        self.apop_timestamp = Some(timestamp.into());
        self
    }

    /// Enables or disables USER/PASS.
    #[must_use]
    pub fn with_user_pass(mut self, on: bool) -> Self {
        self.user_pass = on;
        self
    }

    /// Sets the SASL mechanisms offered.
    #[must_use]
    pub fn with_sasl_mechanisms(mut self, mechanisms: Vec<Mechanism>) -> Self {
        self.sasl_mechanisms = mechanisms;
        self
    }

    /// Offers STLS or not.
    #[must_use]
    pub fn with_stls(mut self, on: bool) -> Self {
        self.stls = on;
        self
    }

    /// Sets the failed logins allowed before the connection is closed.
    #[must_use]
    pub fn with_max_failed_logins(mut self, n: u32) -> Self {
        self.max_failed_logins = n;
        self
    }

    /// Advertises LOGIN-DELAY.
    #[must_use]
    pub fn with_login_delay(mut self, seconds: u32) -> Self {
        self.login_delay = Some(seconds);
        self
    }

    /// Advertises EXPIRE.
    #[must_use]
    pub fn with_expire(mut self, expire: Expire) -> Self {
        self.expire = Some(expire);
        self
    }

    /// Advertises IMPLEMENTATION.
    #[must_use]
    pub fn with_implementation(mut self, text: impl Into<String>) -> Self {
        self.implementation = Some(text.into());
        self
    }

    /// Offers UTF8, with USER when `user` is true.
    #[must_use]
    pub fn with_utf8(mut self, user: bool) -> Self {
        self.utf8 = Some(user);
        self
    }

    /// Offers LANG with these languages (tag, description); the first is the default.
    #[must_use]
    pub fn with_languages(mut self, languages: Vec<(String, String)>) -> Self {
        self.languages = languages;
        self
    }
}
