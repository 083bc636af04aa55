//! The client side: one step machine per exchange.
//!
//! ```
//! use sasl_proto::{Client, ClientConfig, ClientStep, Credentials, Mechanism};
//!
//! // RFC 2195 section 2: CRAM-MD5 is server-first, so there is no initial response.
//! let mut client = Client::new(
//!     Mechanism::CramMd5,
//!     Credentials::password("tim", "tanstaaftanstaaf"),
//!     ClientConfig::default(),
//! )
//! .unwrap();
//! assert_eq!(client.initial_response().unwrap(), None);
//! let step = client.step(b"<1896.697170952@postoffice.reston.mci.net>").unwrap();
//! assert_eq!(step, ClientStep::Response(b"tim b913a602c7eda7a495b4e6e7334d3890".to_vec()));
//! client.finish(None).unwrap();
//! ```

use std::fmt;

use crate::mechanism::Mechanism;
use crate::nonce::{NO_NONCE_SOURCE, valid_nonce};
use crate::scram::{
    self, CbindFlag, Gs2Header, ScramHash, ServerFinal, auth_message, encode_b64, escape_saslname,
    saslprep, xor,
};
use crate::secret::{Secret, ct_eq};
use crate::{ChannelBinding, Error, Limits, NonceSource};

/// What a client authenticates with. Build it with a constructor, then add an authorization
/// identity with [`Credentials::with_authzid`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Credentials {
    /// The authentication identity (user name).
    pub authcid: Option<String>,
    /// The authorization identity to act as, when different from `authcid`.
    pub authzid: Option<String>,
    /// The password (PLAIN, LOGIN, CRAM-MD5, SCRAM).
    pub password: Option<Secret>,
    /// The OAuth 2.0 bearer token (XOAUTH2, OAUTHBEARER).
    pub token: Option<Secret>,
    /// The ANONYMOUS trace information (RFC 4505 section 2).
    pub trace: Option<String>,
    /// The host the client connected to, sent by OAUTHBEARER (`host=`).
    pub host: Option<String>,
    /// The port the client connected to, sent by OAUTHBEARER (`port=`).
    pub port: Option<u16>,
    /// Whether EXTERNAL may be used (the lower layer, such as a TLS client certificate,
    /// carries the identity).
    pub external: bool,
}

impl Credentials {
    /// A user name and password.
    pub fn password(user: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self {
            authcid: Some(user.into()),
            password: Some(password.into()),
            ..Self::default()
        }
    }

    /// A user name and OAuth 2.0 bearer token.
    pub fn oauth(user: impl Into<String>, token: impl Into<Secret>) -> Self {
        Self {
            authcid: Some(user.into()),
            token: Some(token.into()),
            ..Self::default()
        }
    }

    /// EXTERNAL: the identity comes from the lower layer.
    pub fn external() -> Self {
        Self {
            external: true,
            ..Self::default()
        }
    }

    /// ANONYMOUS with optional trace information.
    pub fn anonymous(trace: Option<String>) -> Self {
        Self {
            trace,
            ..Self::default()
        }
    }

    /// Sets the authorization identity.
    #[must_use]
    pub fn with_authzid(mut self, authzid: impl Into<String>) -> Self {
        self.authzid = Some(authzid.into());
        self
    }

    /// Sets the host and port that OAUTHBEARER reports.
    #[must_use]
    pub fn with_host_port(mut self, host: impl Into<String>, port: u16) -> Self {
        self.host = Some(host.into());
        self.port = Some(port);
        self
    }

    /// The mechanisms these credentials can run, for [`crate::mechanism::choose`]; the
    /// -PLUS variants only when `channel_binding` data is available.
    pub fn mechanisms(&self, channel_binding: bool) -> Vec<Mechanism> {
        let mut out = Vec::new();
        if self.authcid.is_some() && self.password.is_some() {
            out.extend([
                Mechanism::Plain,
                Mechanism::Login,
                Mechanism::CramMd5,
                Mechanism::ScramSha1,
                Mechanism::ScramSha256,
            ]);
            if channel_binding {
                out.extend([Mechanism::ScramSha1Plus, Mechanism::ScramSha256Plus]);
            }
        }
        if self.authcid.is_some() && self.token.is_some() {
            out.extend([Mechanism::XOAuth2, Mechanism::OAuthBearer]);
        }
        if self.external {
            out.push(Mechanism::External);
        }
        if self.authcid.is_none() && self.password.is_none() && self.token.is_none() {
            out.push(Mechanism::Anonymous);
        }
        out
    }
}

/// Client configuration: limits, randomness and channel binding.
#[non_exhaustive]
pub struct ClientConfig {
    /// Limits on what the server may send.
    pub limits: Limits,
    /// Where SCRAM nonces come from.
    pub nonce: Option<Box<dyn NonceSource>>,
    /// Channel-binding data from the TLS layer.
    pub channel_binding: Option<ChannelBinding>,
    /// Whether the server advertised a -PLUS mechanism. A client that can bind but saw no
    /// -PLUS sends `y` in a non-PLUS SCRAM exchange, so that a server that did advertise
    /// -PLUS detects the downgrade (RFC 5802 section 6). A client without binding data sends
    /// `n`; so does one that has binding data and saw -PLUS but was told to run the non-PLUS
    /// mechanism anyway ([`crate::mechanism::choose`] picks -PLUS in that case).
    pub server_advertised_plus: bool,
}

// Derivable only without the `getrandom` feature.
#[allow(clippy::derivable_impls)]
impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            #[cfg(feature = "getrandom")]
            nonce: Some(Box::new(crate::OsNonce)),
            #[cfg(not(feature = "getrandom"))]
            nonce: None,
            channel_binding: None,
            server_advertised_plus: false,
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("limits", &self.limits)
            .field("nonce", &self.nonce.as_ref().map(|_| "NonceSource"))
            .field("channel_binding", &self.channel_binding)
            .field("server_advertised_plus", &self.server_advertised_plus)
            .finish()
    }
}

impl ClientConfig {
    /// Sets the limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the nonce source.
    #[must_use]
    pub fn with_nonce_source(mut self, source: impl NonceSource + 'static) -> Self {
        self.nonce = Some(Box::new(source));
        self
    }

    /// Sets the channel-binding data.
    #[must_use]
    pub fn with_channel_binding(mut self, binding: ChannelBinding) -> Self {
        self.channel_binding = Some(binding);
        self
    }

    /// Records whether the server advertised a -PLUS mechanism.
    #[must_use]
    pub fn with_server_advertised_plus(mut self, advertised: bool) -> Self {
        self.server_advertised_plus = advertised;
        self
    }
}

/// What the client does next.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientStep {
    /// Send this response (possibly empty) and wait for the server.
    Response(Vec<u8>),
    /// The mechanism is complete on the client's side and the server has been verified
    /// where the mechanism allows it (SCRAM's `v=`). Nothing more is to be said; a protocol
    /// that must answer the challenge that carried this (SMTP `334`, IMAP `+`) answers with
    /// an empty response.
    Done,
}

/// An OAuth error that the server sent as a challenge (RFC 7628 section 3.2.2).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OAuthError {
    /// The JSON text as received.
    pub json: String,
    /// The `status` member.
    pub status: Option<String>,
    /// The `scope` member.
    pub scope: Option<String>,
    /// The `openid-configuration` member.
    pub openid_configuration: Option<String>,
}

impl OAuthError {
    fn parse(json: String) -> Self {
        Self {
            status: json_string_member(&json, "status"),
            scope: json_string_member(&json, "scope"),
            openid_configuration: json_string_member(&json, "openid-configuration"),
            json,
        }
    }
}

/// Finds the string member `key` of a flat JSON object (enough for the three members of an
/// OAuth error; nested values are not searched).
pub(crate) fn json_string_member(json: &str, key: &str) -> Option<String> {
    let needle = format!("\"{key}\"");
    let mut search = json;
    while let Some(pos) = search.find(&needle) {
        let after = search.get(pos + needle.len()..)?;
        let after = after.trim_start();
        if let Some(value) = after.strip_prefix(':') {
            let value = value.trim_start().strip_prefix('"')?;
            let mut out = String::new();
            let mut chars = value.chars();
            while let Some(c) = chars.next() {
                match c {
                    '"' => return Some(out),
                    '\\' => match chars.next()? {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'u' => {
                            let hex: String = chars.by_ref().take(4).collect();
                            let code = u32::from_str_radix(&hex, 16).ok()?;
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        other => out.push(other),
                    },
                    c => out.push(c),
                }
            }
            return None;
        }
        search = after;
    }
    None
}

#[derive(Clone, Debug)]
enum State {
    Initial,
    /// A single-message mechanism sent its message.
    Sent,
    LoginUserSent,
    LoginPasswordSent,
    CramSent,
    OAuthSent,
    OAuthFailed(OAuthError),
    ScramFirstSent {
        gs2: String,
        bare: String,
        nonce: String,
    },
    ScramFinalSent {
        server_signature: Vec<u8>,
    },
    Verified,
    Failed,
}

/// A SASL client step machine for one exchange.
pub struct Client {
    mechanism: Mechanism,
    creds: Credentials,
    config: ClientConfig,
    state: State,
    initial_used: bool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("mechanism", &self.mechanism)
            .field("authcid", &self.creds.authcid)
            .field("authzid", &self.creds.authzid)
            .field("state", &self.state_name())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Builds a client for `mechanism`. Fails when the credentials or the configuration lack
    /// what the mechanism needs (a password, a token, a nonce source, channel-binding data
    /// for -PLUS), when SASLprep refuses the name or password, or for an unknown mechanism.
    pub fn new(
        mechanism: Mechanism,
        credentials: Credentials,
        config: ClientConfig,
    ) -> Result<Self, Error> {
        let need_user = || {
            credentials
                .authcid
                .as_ref()
                .ok_or(Error::MissingCredential("user name"))
        };
        match &mechanism {
            Mechanism::Plain | Mechanism::Login | Mechanism::CramMd5 => {
                need_user()?;
                credentials
                    .password
                    .as_ref()
                    .ok_or(Error::MissingCredential("password"))?;
            }
            Mechanism::ScramSha1
            | Mechanism::ScramSha256
            | Mechanism::ScramSha1Plus
            | Mechanism::ScramSha256Plus => {
                let user = need_user()?;
                let password = credentials
                    .password
                    .as_ref()
                    .ok_or(Error::MissingCredential("password"))?;
                if config.nonce.is_none() {
                    return Err(Error::MissingCredential(NO_NONCE_SOURCE));
                }
                if mechanism.is_plus() && config.channel_binding.is_none() {
                    return Err(Error::ChannelBindingUnavailable);
                }
                if saslprep(user, "user name")?.is_empty() {
                    return Err(Error::EmptyField("user name"));
                }
                saslprep(password.expose(), "password")?;
            }
            Mechanism::XOAuth2 | Mechanism::OAuthBearer => {
                let user = need_user()?;
                let token = credentials
                    .token
                    .as_ref()
                    .ok_or(Error::MissingCredential("token"))?;
                // A bearer token is printable ASCII (RFC 6750 section 2.1, b64token); a
                // control character would break the %x01-separated message.
                if token.is_empty() || !token.expose().bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(Error::Malformed("token is not printable ASCII"));
                }
                if user.chars().any(char::is_control) {
                    return Err(Error::Malformed("control character in user name"));
                }
            }
            Mechanism::External | Mechanism::Anonymous => {}
            Mechanism::Other(name) => return Err(Error::UnsupportedMechanism(name.clone())),
        }
        for field in [&credentials.authcid, &credentials.authzid] {
            if let Some(v) = field
                && (v.contains('\0') || v.len() > config.limits.max_field_len)
            {
                return Err(if v.contains('\0') {
                    Error::Malformed("NUL in identity")
                } else {
                    Error::FieldTooLong {
                        field: "identity",
                        len: v.len(),
                        max: config.limits.max_field_len,
                    }
                });
            }
        }
        if let Some(trace) = &credentials.trace
            && trace.chars().count() > 255
        {
            return Err(Error::FieldTooLong {
                field: "trace",
                len: trace.chars().count(),
                max: 255,
            });
        }
        Ok(Self {
            mechanism,
            creds: credentials,
            config,
            state: State::Initial,
            initial_used: false,
        })
    }

    /// The mechanism.
    pub fn mechanism(&self) -> &Mechanism {
        &self.mechanism
    }

    /// The OAuth error the server sent, once an XOAUTH2 or OAUTHBEARER exchange failed.
    pub fn oauth_error(&self) -> Option<&OAuthError> {
        match &self.state {
            State::OAuthFailed(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the exchange is complete on the client side (the server was verified where
    /// the mechanism allows it).
    pub fn is_complete(&self) -> bool {
        matches!(self.state, State::Verified)
    }

    fn state_name(&self) -> &'static str {
        match self.state {
            State::Initial => "Initial",
            State::Sent => "Sent",
            State::LoginUserSent => "LoginUserSent",
            State::LoginPasswordSent => "LoginPasswordSent",
            State::CramSent => "CramSent",
            State::OAuthSent => "OAuthSent",
            State::OAuthFailed(_) => "OAuthFailed",
            State::ScramFirstSent { .. } => "ScramFirstSent",
            State::ScramFinalSent { .. } => "ScramFinalSent",
            State::Verified => "Verified",
            State::Failed => "Failed",
        }
    }

    /// The initial response, for protocols that carry one (SMTP `AUTH mech ir`, POP3
    /// `AUTH mech ir`, IMAP with SASL-IR). `None` for server-first mechanisms (CRAM-MD5,
    /// LOGIN). Encode an empty response with [`crate::codec::encode`] (`=`).
    ///
    /// When the protocol has no initial response, skip this call: the first
    /// [`Client::step`] (with the server's empty challenge) gives the same message.
    pub fn initial_response(&mut self) -> Result<Option<Vec<u8>>, Error> {
        if self.initial_used || !matches!(self.state, State::Initial) {
            return Err(Error::Usage("initial_response after the exchange started"));
        }
        self.initial_used = true;
        if !self.mechanism.is_client_first() {
            return Ok(None);
        }
        self.first_message().map(Some)
    }

    fn first_message(&mut self) -> Result<Vec<u8>, Error> {
        let authzid = self.creds.authzid.clone().unwrap_or_default();
        let user = self.creds.authcid.clone().unwrap_or_default();
        let out = match &self.mechanism {
            Mechanism::Plain => {
                let pass = self.creds.password.as_ref().map(Secret::expose);
                let mut m = Vec::new();
                m.extend_from_slice(authzid.as_bytes());
                m.push(0);
                m.extend_from_slice(user.as_bytes());
                m.push(0);
                m.extend_from_slice(pass.unwrap_or_default().as_bytes());
                self.state = State::Sent;
                m
            }
            Mechanism::External => {
                self.state = State::Sent;
                authzid.into_bytes()
            }
            Mechanism::Anonymous => {
                self.state = State::Sent;
                self.creds.trace.clone().unwrap_or_default().into_bytes()
            }
            Mechanism::XOAuth2 => {
                let token = self.creds.token.as_ref().map(Secret::expose);
                self.state = State::OAuthSent;
                format!(
                    "user={user}\x01auth=Bearer {}\x01\x01",
                    token.unwrap_or_default()
                )
                .into_bytes()
            }
            Mechanism::OAuthBearer => {
                let token = self.creds.token.as_ref().map(Secret::expose);
                // The user goes in the gs2 authzid (RFC 7628 section 4.1).
                let gs2 = match self.creds.authzid.as_ref().or(self.creds.authcid.as_ref()) {
                    Some(a) => format!("n,a={},", escape_saslname(a)),
                    None => "n,,".to_owned(),
                };
                let mut m = format!("{gs2}\x01");
                if let Some(host) = &self.creds.host {
                    m.push_str(&format!("host={host}\x01"));
                }
                if let Some(port) = self.creds.port {
                    m.push_str(&format!("port={port}\x01"));
                }
                m.push_str(&format!(
                    "auth=Bearer {}\x01\x01",
                    token.unwrap_or_default()
                ));
                self.state = State::OAuthSent;
                m.into_bytes()
            }
            Mechanism::ScramSha1
            | Mechanism::ScramSha256
            | Mechanism::ScramSha1Plus
            | Mechanism::ScramSha256Plus => return self.scram_first(),
            Mechanism::Login | Mechanism::CramMd5 | Mechanism::Other(_) => {
                return Err(Error::UnexpectedMessage);
            }
        };
        Ok(out)
    }

    fn scram_first(&mut self) -> Result<Vec<u8>, Error> {
        let user = saslprep(
            self.creds.authcid.as_deref().unwrap_or_default(),
            "user name",
        )?;
        let flag = match (&self.config.channel_binding, self.mechanism.is_plus()) {
            (Some(cb), true) => CbindFlag::Bound(cb.name().to_owned()),
            (None, true) => return Err(Error::ChannelBindingUnavailable),
            // Able to bind, but the server showed no -PLUS: say so (RFC 5802 section 6).
            (Some(_), false) if !self.config.server_advertised_plus => CbindFlag::ClientOnly,
            _ => CbindFlag::No,
        };
        let gs2 = Gs2Header {
            flag,
            authzid: self.creds.authzid.clone(),
        }
        .to_wire();
        let nonce = self
            .config
            .nonce
            .as_mut()
            .map(|n| n.nonce())
            .ok_or(Error::MissingCredential(NO_NONCE_SOURCE))?;
        if !valid_nonce(&nonce) {
            return Err(Error::InvalidNonce);
        }
        let bare = format!("n={},r={nonce}", escape_saslname(&user));
        let msg = format!("{gs2}{bare}");
        self.state = State::ScramFirstSent { gs2, bare, nonce };
        Ok(msg.into_bytes())
    }

    fn hash(&self) -> ScramHash {
        match self.mechanism {
            Mechanism::ScramSha1 | Mechanism::ScramSha1Plus => ScramHash::Sha1,
            _ => ScramHash::Sha256,
        }
    }

    /// Answers a decoded server challenge.
    ///
    /// Errors are final: the caller cancels the exchange (`*`) or drops the connection.
    pub fn step(&mut self, challenge: &[u8]) -> Result<ClientStep, Error> {
        if challenge.len() > self.config.limits.max_message_len {
            self.state = State::Failed;
            return Err(Error::TooLong {
                len: challenge.len(),
                max: self.config.limits.max_message_len,
            });
        }
        let result = self.step_inner(challenge);
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    fn step_inner(&mut self, challenge: &[u8]) -> Result<ClientStep, Error> {
        match std::mem::replace(&mut self.state, State::Failed) {
            State::Initial => {
                self.initial_used = true;
                match self.mechanism {
                    Mechanism::Login => {
                        self.state = State::LoginUserSent;
                        Ok(ClientStep::Response(
                            self.creds.authcid.clone().unwrap_or_default().into_bytes(),
                        ))
                    }
                    Mechanism::CramMd5 => {
                        if challenge.is_empty() {
                            return Err(Error::Malformed("empty CRAM-MD5 challenge"));
                        }
                        let pass = self.creds.password.as_ref().map(Secret::expose);
                        let digest = crate::md5::hmac_md5_hex(
                            pass.unwrap_or_default().as_bytes(),
                            challenge,
                        );
                        let user = self.creds.authcid.as_deref().unwrap_or_default();
                        self.state = State::CramSent;
                        Ok(ClientStep::Response(
                            format!("{user} {digest}").into_bytes(),
                        ))
                    }
                    _ => self.first_message().map(ClientStep::Response),
                }
            }
            State::LoginUserSent => {
                self.state = State::LoginPasswordSent;
                let pass = self.creds.password.as_ref().map(Secret::expose);
                Ok(ClientStep::Response(
                    pass.unwrap_or_default().as_bytes().to_vec(),
                ))
            }
            State::OAuthSent => {
                let json = String::from_utf8(challenge.to_vec()).map_err(|_| Error::NotUtf8)?;
                self.state = State::OAuthFailed(OAuthError::parse(json));
                // RFC 7628 section 3.2.3: a single %x01 ends the exchange; XOAUTH2 expects
                // an empty response.
                Ok(ClientStep::Response(match self.mechanism {
                    Mechanism::OAuthBearer => vec![0x01],
                    _ => Vec::new(),
                }))
            }
            State::ScramFirstSent { gs2, bare, nonce } => {
                self.scram_final(challenge, &gs2, &bare, &nonce)
            }
            State::ScramFinalSent { server_signature } => {
                self.verify_server_final(challenge, &server_signature)?;
                self.state = State::Verified;
                Ok(ClientStep::Done)
            }
            State::Sent
            | State::LoginPasswordSent
            | State::CramSent
            | State::OAuthFailed(_)
            | State::Verified
            | State::Failed => Err(Error::UnexpectedMessage),
        }
    }

    fn scram_final(
        &mut self,
        challenge: &[u8],
        gs2: &str,
        bare: &str,
        client_nonce: &str,
    ) -> Result<ClientStep, Error> {
        let server_first = std::str::from_utf8(challenge).map_err(|_| Error::NotUtf8)?;
        let sf = scram::parse_server_first(server_first)?;
        let Some(server_part) = sf.nonce.strip_prefix(client_nonce) else {
            return Err(Error::NonceMismatch);
        };
        if server_part.is_empty() {
            return Err(Error::NonceNotExtended);
        }
        let limits = &self.config.limits;
        if sf.iterations > limits.max_iterations {
            return Err(Error::IterationsTooHigh {
                got: sf.iterations,
                max: limits.max_iterations,
            });
        }
        if sf.iterations < limits.min_iterations {
            return Err(Error::IterationsTooLow {
                got: sf.iterations,
                min: limits.min_iterations,
            });
        }
        let hash = self.hash();
        let password = saslprep(
            self.creds
                .password
                .as_ref()
                .map(Secret::expose)
                .unwrap_or_default(),
            "password",
        )?;
        let mut cbind_input = gs2.as_bytes().to_vec();
        if self.mechanism.is_plus()
            && let Some(cb) = &self.config.channel_binding
        {
            cbind_input.extend_from_slice(cb.data());
        }
        let without_proof = format!("c={},r={}", encode_b64(&cbind_input), sf.nonce);
        let auth = auth_message(bare, server_first, &without_proof);
        let salted = hash.hi(password.as_bytes(), &sf.salt, sf.iterations);
        let client_key = hash.hmac(&salted, b"Client Key");
        let stored_key = hash.h(&client_key);
        let client_signature = hash.hmac(&stored_key, auth.as_bytes());
        let proof = xor(&client_key, &client_signature);
        let server_key = hash.hmac(&salted, b"Server Key");
        let server_signature = hash.hmac(&server_key, auth.as_bytes());
        self.state = State::ScramFinalSent { server_signature };
        Ok(ClientStep::Response(
            format!("{without_proof},p={}", encode_b64(&proof)).into_bytes(),
        ))
    }

    fn verify_server_final(&self, msg: &[u8], expected: &[u8]) -> Result<(), Error> {
        let text = std::str::from_utf8(msg).map_err(|_| Error::NotUtf8)?;
        match scram::parse_server_final(text)? {
            ServerFinal::Error(e) => Err(Error::ServerError(e)),
            ServerFinal::Verifier(v) if ct_eq(&v, expected) => Ok(()),
            ServerFinal::Verifier(_) => Err(Error::ServerSignatureMismatch),
        }
    }

    /// Called when the server reports success, with the additional data it sent along
    /// (RFC 4422 section 3.6), if any.
    ///
    /// For SCRAM this is where a server that never proved it knows the password is caught:
    /// success without a verified `v=` is [`Error::ServerSignatureMissing`].
    pub fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), Error> {
        let state = std::mem::replace(&mut self.state, State::Failed);
        let result = match (state, additional_data) {
            (State::ScramFinalSent { server_signature }, Some(data)) => {
                self.verify_server_final(data, &server_signature)
            }
            (State::ScramFinalSent { .. } | State::ScramFirstSent { .. }, None) => {
                Err(Error::ServerSignatureMissing)
            }
            (State::Verified, None) => Ok(()),
            (State::OAuthFailed(e), _) => Err(Error::OAuth {
                status: e.status,
                json: e.json,
            }),
            (State::Initial | State::Failed, _) => Err(Error::UnexpectedMessage),
            (_, Some(_)) => Err(Error::Malformed("unexpected additional data")),
            (_, None) => Ok(()),
        };
        self.state = if result.is_ok() {
            State::Verified
        } else {
            State::Failed
        };
        result
    }
}
