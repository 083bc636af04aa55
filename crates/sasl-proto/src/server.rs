//! The server side: a step machine that yields to the application for secrets, tokens and
//! the authorization decision.
//!
//! ```
//! use sasl_proto::{Error, Mechanism, Secret, Server, ServerConfig, ServerStep, StoredSecret};
//!
//! // RFC 4616 section 4, second example: Kurt may not act as Ursel.
//! let mut server = Server::new(Mechanism::Plain, ServerConfig::default()).unwrap();
//! let step = server.start(Some(b"Ursel\0Kurt\0xipj3plmq"));
//! assert_eq!(
//!     step,
//!     ServerStep::NeedSecret {
//!         mechanism: Mechanism::Plain,
//!         authcid: "Kurt".into(),
//!         authzid: Some("Ursel".into()),
//!     }
//! );
//! let step = server.provide_secret(Some(StoredSecret::Password(Secret::new("xipj3plmq"))));
//! assert!(matches!(step, ServerStep::NeedAuthorize { .. }));
//! assert_eq!(server.authorize(false), ServerStep::Failure(Error::NotAuthorized));
//! ```

use std::fmt;

use crate::mechanism::Mechanism;
use crate::nonce::{NO_NONCE_SOURCE, valid_nonce};
use crate::scram::{self, CbindFlag, ScramHash, ScramKeys, encode_b64, saslprep, xor};
use crate::secret::{Secret, SecretBytes, ct_eq};
use crate::{ChannelBinding, Error, Limits, NonceSource};

/// Server configuration.
#[non_exhaustive]
pub struct ServerConfig {
    /// Limits on what the client may send.
    pub limits: Limits,
    /// Where SCRAM server nonces and CRAM-MD5 challenges come from.
    pub nonce: Option<Box<dyn NonceSource>>,
    /// This side's channel-binding data (needed for -PLUS).
    pub channel_binding: Option<ChannelBinding>,
    /// Whether the server advertised a SCRAM -PLUS mechanism on this connection: a client
    /// that then says `y` is the victim of a downgrade (RFC 5802 section 6).
    pub advertised_plus: bool,
    /// The host name in the CRAM-MD5 challenge (RFC 2195 section 2).
    pub hostname: String,
    /// The identity established by the lower layer (a TLS client certificate), for
    /// EXTERNAL. Without it, EXTERNAL asks the application ([`ServerStep::NeedExternal`]).
    pub external_identity: Option<String>,
    /// The server secret from which SCRAM derives the salt and keys of an unknown user, so
    /// that the exchange runs to its final message like a known user's and the salt of a name
    /// is the same on every connection: a user name cannot be probed. With the `getrandom`
    /// feature the default is a random secret drawn once per process; without it, or with
    /// `None`, an unknown user fails at once with [`Error::UnknownUser`]. Keys derived from
    /// a stored password take their salt from it too. Programs whose
    /// processes restart often, or that run several, should set one secret for all of them.
    pub unknown_user_secret: Option<SecretBytes>,
    /// The iteration count an unknown user's SCRAM exchange shows: set it to the count the
    /// stored keys use (default 4096, RFC 7677 section 4's minimum).
    pub unknown_user_iterations: u32,
}

/// The process-wide secret for unknown users' SCRAM salts, drawn once.
#[cfg(feature = "getrandom")]
fn process_secret() -> Option<SecretBytes> {
    static SECRET: std::sync::OnceLock<Option<[u8; 32]>> = std::sync::OnceLock::new();
    SECRET
        .get_or_init(|| {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).ok().map(|()| bytes)
        })
        .map(|bytes| SecretBytes::new(bytes.to_vec()))
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            #[cfg(feature = "getrandom")]
            nonce: Some(Box::new(crate::OsNonce)),
            #[cfg(not(feature = "getrandom"))]
            nonce: None,
            channel_binding: None,
            advertised_plus: false,
            hostname: "localhost".to_owned(),
            external_identity: None,
            #[cfg(feature = "getrandom")]
            unknown_user_secret: process_secret(),
            #[cfg(not(feature = "getrandom"))]
            unknown_user_secret: None,
            unknown_user_iterations: 4096,
        }
    }
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("limits", &self.limits)
            .field("nonce", &self.nonce.as_ref().map(|_| "NonceSource"))
            .field("channel_binding", &self.channel_binding)
            .field("advertised_plus", &self.advertised_plus)
            .field("hostname", &self.hostname)
            .field("external_identity", &self.external_identity)
            .field("unknown_user_secret", &self.unknown_user_secret)
            .field("unknown_user_iterations", &self.unknown_user_iterations)
            .finish()
    }
}

impl ServerConfig {
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

    /// Sets this side's channel-binding data.
    #[must_use]
    pub fn with_channel_binding(mut self, binding: ChannelBinding) -> Self {
        self.channel_binding = Some(binding);
        self
    }

    /// Records whether a -PLUS mechanism was advertised.
    #[must_use]
    pub fn with_advertised_plus(mut self, advertised: bool) -> Self {
        self.advertised_plus = advertised;
        self
    }

    /// Sets the CRAM-MD5 host name.
    #[must_use]
    pub fn with_hostname(mut self, hostname: impl Into<String>) -> Self {
        self.hostname = hostname.into();
        self
    }

    /// Sets the EXTERNAL identity.
    #[must_use]
    pub fn with_external_identity(mut self, identity: impl Into<String>) -> Self {
        self.external_identity = Some(identity.into());
        self
    }

    /// Sets the secret for unknown users' SCRAM salts (see
    /// [`ServerConfig::unknown_user_secret`]).
    #[must_use]
    pub fn with_unknown_user_secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.unknown_user_secret = Some(SecretBytes::new(secret));
        self
    }

    /// Sets the iteration count an unknown user's SCRAM exchange shows.
    #[must_use]
    pub fn with_unknown_user_iterations(mut self, iterations: u32) -> Self {
        self.unknown_user_iterations = iterations;
        self
    }
}

/// The application's answer to [`ServerStep::NeedSecret`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoredSecret {
    /// The password (any mechanism but SCRAM needs it for CRAM-MD5; SCRAM then derives
    /// keys with a fresh salt).
    Password(Secret),
    /// SCRAM stored keys (SCRAM of the same hash; PLAIN and LOGIN verify against them).
    Scram(ScramKeys),
}

/// The application's answer to [`ServerStep::NeedToken`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenVerdict {
    /// The token is valid and identifies this authentication identity.
    Valid {
        /// The identity the token belongs to.
        authcid: String,
    },
    /// The token is refused; `json` is the error sent to the client (RFC 7628 section
    /// 3.2.2), such as `{"status":"invalid_token"}`.
    Invalid {
        /// The JSON error.
        json: String,
    },
}

/// What the server does next.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerStep {
    /// Send this challenge (base64 encode it with [`crate::codec::encode_continuation`]:
    /// an empty challenge is `334 ` or `+ `) and pass the client's decoded answer to
    /// [`Server::step`].
    Challenge(Vec<u8>),
    /// Look up the user; answer with [`Server::provide_secret`].
    NeedSecret {
        /// The mechanism.
        mechanism: Mechanism,
        /// The authentication identity (SASLprep applied).
        authcid: String,
        /// The requested authorization identity.
        authzid: Option<String>,
    },
    /// EXTERNAL without [`ServerConfig::external_identity`]: give the identity the lower
    /// layer (a TLS client certificate) established, with [`Server::provide_external`].
    NeedExternal {
        /// The authorization identity the client asked for.
        authzid: Option<String>,
    },
    /// Validate an OAuth token; answer with [`Server::provide_token`].
    NeedToken {
        /// The mechanism.
        mechanism: Mechanism,
        /// The user named by the client (OAUTHBEARER's authzid, XOAUTH2's `user=`).
        user: Option<String>,
        /// The bearer token.
        token: Secret,
        /// OAUTHBEARER's `host=`.
        host: Option<String>,
        /// OAUTHBEARER's `port=`.
        port: Option<u16>,
    },
    /// Decide whether `authcid` may act as `authzid` (or log in at all when `authzid` is
    /// `None`); answer with [`Server::authorize`].
    NeedAuthorize {
        /// The authenticated identity.
        authcid: String,
        /// The requested authorization identity.
        authzid: Option<String>,
    },
    /// Authentication succeeded.
    Success {
        /// The authenticated identity.
        authcid: String,
        /// The authorization identity, when one was requested.
        authzid: Option<String>,
        /// Additional data with success (SCRAM's `v=`). A protocol that cannot carry it
        /// with its success reply (SMTP, POP3, IMAP) sends it as a last challenge, expects an
        /// empty response (anything else, or `*`, fails the exchange) and then reports
        /// success; the machine is already done and takes no further message (RFC 4422
        /// section 3.6).
        additional_data: Option<Vec<u8>>,
    },
    /// Authentication failed. [`Error::Usage`] leaves the machine unchanged; every other
    /// error is final.
    Failure(Error),
}

#[derive(Clone, Debug)]
enum Pending {
    Password {
        authcid: String,
        authzid: Option<String>,
        password: Secret,
    },
    Cram {
        authcid: String,
        challenge: String,
        digest: String,
    },
    Scram {
        gs2_raw: String,
        flag: CbindFlag,
        bare: String,
        client_nonce: String,
        authcid: String,
        authzid: Option<String>,
    },
}

#[derive(Clone, Debug)]
enum State {
    Start,
    AwaitFirst,
    LoginAwaitUser,
    LoginAwaitPassword {
        user: String,
    },
    CramAwait {
        challenge: String,
    },
    WantSecret(Pending),
    WantToken {
        user: Option<String>,
        authzid: Option<String>,
    },
    WantExternal {
        authzid: Option<String>,
    },
    OAuthAwaitDummy {
        error: Error,
    },
    ScramAwaitFinal {
        gs2_raw: String,
        flag: CbindFlag,
        auth_prefix: String,
        nonce: String,
        keys: ScramKeys,
        authcid: String,
        authzid: Option<String>,
        /// The keys are made up for an unknown user: the exchange fails at the final message.
        unknown: bool,
    },
    WantAuthorize {
        authcid: String,
        authzid: Option<String>,
        additional: Option<Vec<u8>>,
    },
    Done,
    Failed,
}

impl State {
    fn name(&self) -> &'static str {
        match self {
            Self::Start => "Start",
            Self::AwaitFirst => "AwaitFirst",
            Self::LoginAwaitUser => "LoginAwaitUser",
            Self::LoginAwaitPassword { .. } => "LoginAwaitPassword",
            Self::CramAwait { .. } => "CramAwait",
            Self::WantSecret(_) => "WantSecret",
            Self::WantToken { .. } => "WantToken",
            Self::WantExternal { .. } => "WantExternal",
            Self::OAuthAwaitDummy { .. } => "OAuthAwaitDummy",
            Self::ScramAwaitFinal { .. } => "ScramAwaitFinal",
            Self::WantAuthorize { .. } => "WantAuthorize",
            Self::Done => "Done",
            Self::Failed => "Failed",
        }
    }
}

/// A SASL server step machine for one exchange.
pub struct Server {
    mechanism: Mechanism,
    config: ServerConfig,
    state: State,
    trace: Option<String>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("mechanism", &self.mechanism)
            .field("state", &self.state.name())
            .finish_non_exhaustive()
    }
}

/// A usage error: the caller's mistake changes nothing.
fn usage(what: &'static str) -> ServerStep {
    ServerStep::Failure(Error::Usage(what))
}

fn utf8(bytes: &[u8]) -> Result<&str, Error> {
    std::str::from_utf8(bytes).map_err(|_| Error::NotUtf8)
}

impl Server {
    /// Builds a server for `mechanism`. Fails for an unknown mechanism, for -PLUS without
    /// channel-binding data, and for SCRAM or CRAM-MD5 without a nonce source.
    pub fn new(mechanism: Mechanism, config: ServerConfig) -> Result<Self, Error> {
        match &mechanism {
            Mechanism::Other(name) => return Err(Error::UnsupportedMechanism(name.clone())),
            m if m.is_plus() && config.channel_binding.is_none() => {
                return Err(Error::ChannelBindingUnavailable);
            }
            Mechanism::CramMd5
            | Mechanism::ScramSha1
            | Mechanism::ScramSha256
            | Mechanism::ScramSha1Plus
            | Mechanism::ScramSha256Plus
                if config.nonce.is_none() =>
            {
                return Err(Error::MissingCredential(NO_NONCE_SOURCE));
            }
            _ => {}
        }
        Ok(Self {
            mechanism,
            config,
            state: State::Start,
            trace: None,
        })
    }

    /// The mechanism.
    pub fn mechanism(&self) -> &Mechanism {
        &self.mechanism
    }

    /// The ANONYMOUS trace information the client sent (RFC 4505 section 2).
    pub fn trace(&self) -> Option<&str> {
        self.trace.as_deref()
    }

    /// Starts the exchange, with the client's initial response if the protocol carried one
    /// (already base64-decoded; `=` is `Some(b"")`).
    ///
    /// A client-first mechanism without initial response gets an empty challenge. An
    /// initial response to CRAM-MD5 fails (RFC 4954 section 4); LOGIN takes it as the
    /// user name.
    pub fn start(&mut self, initial_response: Option<&[u8]>) -> ServerStep {
        if !matches!(self.state, State::Start) {
            return ServerStep::Failure(Error::Usage("start called twice"));
        }
        if let Some(ir) = initial_response
            && let Some(fail) = self.check_len(ir)
        {
            return fail;
        }
        let step = match (&self.mechanism, initial_response) {
            (Mechanism::CramMd5, Some(_)) => Err(Error::UnexpectedMessage),
            (Mechanism::CramMd5, None) => self.cram_challenge(),
            (Mechanism::Login, None) => {
                self.state = State::LoginAwaitUser;
                Ok(ServerStep::Challenge(b"Username:".to_vec()))
            }
            (Mechanism::Login, Some(user)) => self.login_user(user),
            (_, Some(ir)) => self.first(ir),
            (_, None) => {
                self.state = State::AwaitFirst;
                Ok(ServerStep::Challenge(Vec::new()))
            }
        };
        self.settle(step)
    }

    fn check_len(&mut self, msg: &[u8]) -> Option<ServerStep> {
        let max = self.config.limits.max_message_len;
        (msg.len() > max).then(|| {
            self.state = State::Failed;
            ServerStep::Failure(Error::TooLong {
                len: msg.len(),
                max,
            })
        })
    }

    fn settle(&mut self, step: Result<ServerStep, Error>) -> ServerStep {
        match step {
            Ok(s) => s,
            Err(e) => {
                self.state = State::Failed;
                ServerStep::Failure(e)
            }
        }
    }

    /// Passes the client's (decoded) answer to the last challenge.
    pub fn step(&mut self, client_message: &[u8]) -> ServerStep {
        if let Some(fail) = self.check_len(client_message) {
            return fail;
        }
        let step = match std::mem::replace(&mut self.state, State::Failed) {
            State::Start => {
                self.state = State::Start;
                return ServerStep::Failure(Error::Usage("step before start"));
            }
            State::AwaitFirst => self.first(client_message),
            State::LoginAwaitUser => self.login_user(client_message),
            State::LoginAwaitPassword { user } => self.login_password(user, client_message),
            State::CramAwait { challenge } => self.cram_response(challenge, client_message),
            State::ScramAwaitFinal {
                gs2_raw,
                flag,
                auth_prefix,
                nonce,
                keys,
                authcid,
                authzid,
                unknown,
            } => self.scram_final(
                client_message,
                &gs2_raw,
                &flag,
                &auth_prefix,
                &nonce,
                &keys,
                authcid,
                authzid,
                unknown,
            ),
            State::OAuthAwaitDummy { error } => Err(error),
            State::WantSecret(_)
            | State::WantToken { .. }
            | State::WantExternal { .. }
            | State::WantAuthorize { .. }
            | State::Done
            | State::Failed => Err(Error::UnexpectedMessage),
        };
        self.settle(step)
    }

    fn field<'a>(&self, value: &'a [u8], what: &'static str) -> Result<&'a str, Error> {
        let s = utf8(value)?;
        if s.is_empty() {
            return Err(Error::EmptyField(what));
        }
        if s.len() > self.config.limits.max_field_len {
            return Err(Error::FieldTooLong {
                field: what,
                len: s.len(),
                max: self.config.limits.max_field_len,
            });
        }
        if s.contains('\0') {
            return Err(Error::Malformed("NUL in field"));
        }
        Ok(s)
    }

    fn first(&mut self, msg: &[u8]) -> Result<ServerStep, Error> {
        match self.mechanism {
            Mechanism::Plain => self.plain(msg),
            Mechanism::External => {
                let authzid = if msg.is_empty() {
                    None
                } else {
                    Some(self.field(msg, "authzid")?.to_owned())
                };
                match self.config.external_identity.clone() {
                    Some(authcid) => Ok(self.want_authorize(authcid, authzid, None)),
                    None => {
                        self.state = State::WantExternal {
                            authzid: authzid.clone(),
                        };
                        Ok(ServerStep::NeedExternal { authzid })
                    }
                }
            }
            Mechanism::Anonymous => {
                let trace = utf8(msg)?;
                check_trace(trace)?;
                self.trace = Some(trace.to_owned());
                Ok(self.want_authorize("anonymous".to_owned(), None, None))
            }
            Mechanism::XOAuth2 | Mechanism::OAuthBearer => self.oauth(msg),
            Mechanism::ScramSha1
            | Mechanism::ScramSha256
            | Mechanism::ScramSha1Plus
            | Mechanism::ScramSha256Plus => self.scram_first(msg),
            Mechanism::Login | Mechanism::CramMd5 | Mechanism::Other(_) => {
                Err(Error::UnexpectedMessage)
            }
        }
    }

    fn want_authorize(
        &mut self,
        authcid: String,
        authzid: Option<String>,
        additional: Option<Vec<u8>>,
    ) -> ServerStep {
        self.state = State::WantAuthorize {
            authcid: authcid.clone(),
            authzid: authzid.clone(),
            additional,
        };
        ServerStep::NeedAuthorize { authcid, authzid }
    }

    fn want_password(
        &mut self,
        authcid: &str,
        authzid: Option<String>,
        password: &str,
    ) -> Result<ServerStep, Error> {
        let authcid = saslprep(authcid, "user name")?;
        if authcid.is_empty() {
            return Err(Error::EmptyField("authcid"));
        }
        self.state = State::WantSecret(Pending::Password {
            authcid: authcid.clone(),
            authzid: authzid.clone(),
            password: Secret::new(password),
        });
        Ok(ServerStep::NeedSecret {
            mechanism: self.mechanism.clone(),
            authcid,
            authzid,
        })
    }

    /// PLAIN: `[authzid] NUL authcid NUL passwd` (RFC 4616 section 2).
    fn plain(&mut self, msg: &[u8]) -> Result<ServerStep, Error> {
        let mut parts = msg.split(|&b| b == 0);
        let (Some(authzid), Some(authcid), Some(passwd), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::Malformed("PLAIN needs exactly two NUL separators"));
        };
        // An empty authzid is the same as none (RFC 4616 section 2: authzid = 1*SAFE).
        let authzid = if authzid.is_empty() {
            None
        } else {
            Some(self.field(authzid, "authzid")?.to_owned())
        };
        let authcid = self.field(authcid, "authcid")?;
        let passwd = self.field(passwd, "password")?;
        self.want_password(authcid, authzid, passwd)
    }

    fn login_user(&mut self, msg: &[u8]) -> Result<ServerStep, Error> {
        let user = self.field(msg, "authcid")?.to_owned();
        self.state = State::LoginAwaitPassword { user };
        Ok(ServerStep::Challenge(b"Password:".to_vec()))
    }

    fn login_password(&mut self, user: String, msg: &[u8]) -> Result<ServerStep, Error> {
        let password = self.field(msg, "password")?;
        self.want_password(&user, None, password)
    }

    fn fresh_nonce(&mut self) -> Result<String, Error> {
        let nonce = self
            .config
            .nonce
            .as_mut()
            .map(|n| n.nonce())
            .ok_or(Error::MissingCredential(NO_NONCE_SOURCE))?;
        if valid_nonce(&nonce) {
            Ok(nonce)
        } else {
            Err(Error::InvalidNonce)
        }
    }

    /// The CRAM-MD5 challenge: `<nonce@hostname>`, an RFC 822 msg-id (RFC 2195 section 2).
    fn cram_challenge(&mut self) -> Result<ServerStep, Error> {
        let nonce = self.fresh_nonce()?;
        let challenge = format!("<{nonce}@{}>", self.config.hostname);
        self.state = State::CramAwait {
            challenge: challenge.clone(),
        };
        Ok(ServerStep::Challenge(challenge.into_bytes()))
    }

    fn cram_response(&mut self, challenge: String, msg: &[u8]) -> Result<ServerStep, Error> {
        let text = utf8(msg)?;
        let (user, digest) = text
            .rsplit_once(' ')
            .ok_or(Error::Malformed("CRAM-MD5 response without digest"))?;
        if digest.len() != 32 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Malformed("CRAM-MD5 digest is not 32 hex digits"));
        }
        let user = self.field(user.as_bytes(), "authcid")?;
        let authcid = saslprep(user, "user name")?;
        self.state = State::WantSecret(Pending::Cram {
            authcid: authcid.clone(),
            challenge,
            digest: digest.to_ascii_lowercase(),
        });
        Ok(ServerStep::NeedSecret {
            mechanism: Mechanism::CramMd5,
            authcid,
            authzid: None,
        })
    }

    fn oauth(&mut self, msg: &[u8]) -> Result<ServerStep, Error> {
        let text = utf8(msg)?;
        let (user, authzid, pairs) = if self.mechanism == Mechanism::OAuthBearer {
            let (gs2, _, rest) = scram::parse_gs2_header(text)?;
            if matches!(gs2.flag, CbindFlag::Bound(_)) {
                return Err(Error::ChannelBindingNotSupported);
            }
            let rest = rest
                .strip_prefix('\x01')
                .ok_or(Error::Malformed("missing kvsep after gs2 header"))?;
            (gs2.authzid.clone(), gs2.authzid, parse_kvpairs(rest)?)
        } else {
            let pairs = parse_kvpairs(text)?;
            let user = pairs
                .iter()
                .find(|(k, _)| *k == "user")
                .map(|(_, v)| (*v).to_owned())
                .ok_or(Error::Malformed("XOAUTH2 without user"))?;
            (Some(user), None, pairs)
        };
        if let Some(u) = &user {
            self.field(u.as_bytes(), "user")?;
        }
        let get = |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        let auth = get("auth").ok_or(Error::Malformed("missing auth"))?;
        // An empty auth value is how a client asks for the error with the needed scope
        // (RFC 7628 section 4.3): it reaches the application as an empty token.
        let token = if auth.is_empty() {
            ""
        } else {
            let (scheme, token) = auth
                .split_once(' ')
                .ok_or(Error::Malformed("auth without scheme"))?;
            if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
                return Err(Error::Malformed("auth is not a bearer token"));
            }
            token
        };
        let host = get("host").map(str::to_owned);
        let port = match get("port") {
            Some(p) if !p.starts_with('0') && p.bytes().all(|b| b.is_ascii_digit()) => Some(
                p.parse::<u16>()
                    .map_err(|_| Error::Malformed("invalid port"))?,
            ),
            Some(_) => return Err(Error::Malformed("invalid port")),
            None => None,
        };
        let token = Secret::new(token);
        self.state = State::WantToken {
            user: user.clone(),
            authzid,
        };
        Ok(ServerStep::NeedToken {
            mechanism: self.mechanism.clone(),
            user,
            token,
            host,
            port,
        })
    }

    fn scram_hash(&self) -> ScramHash {
        match self.mechanism {
            Mechanism::ScramSha1 | Mechanism::ScramSha1Plus => ScramHash::Sha1,
            _ => ScramHash::Sha256,
        }
    }

    fn scram_first(&mut self, msg: &[u8]) -> Result<ServerStep, Error> {
        let text = utf8(msg)?;
        let cf = scram::parse_client_first(text)?;
        match (&cf.gs2.flag, self.mechanism.is_plus()) {
            (CbindFlag::Bound(name), true) => {
                let ours = self
                    .config
                    .channel_binding
                    .as_ref()
                    .ok_or(Error::ChannelBindingUnavailable)?;
                if name != ours.name() {
                    return Err(Error::UnsupportedChannelBindingType(name.clone()));
                }
            }
            (_, true) => return Err(Error::ChannelBindingRequired),
            (CbindFlag::Bound(_), false) => return Err(Error::ChannelBindingNotSupported),
            (CbindFlag::ClientOnly, false) if self.config.advertised_plus => {
                return Err(Error::Downgrade);
            }
            _ => {}
        }
        let user = self.field(cf.username.as_bytes(), "authcid")?;
        let authcid = saslprep(user, "user name")?;
        if authcid.is_empty() {
            return Err(Error::EmptyField("authcid"));
        }
        if let Some(a) = &cf.gs2.authzid {
            self.field(a.as_bytes(), "authzid")?;
        }
        let authzid = cf.gs2.authzid.clone();
        self.state = State::WantSecret(Pending::Scram {
            gs2_raw: cf.gs2_raw.to_owned(),
            flag: cf.gs2.flag.clone(),
            bare: cf.bare.to_owned(),
            client_nonce: cf.nonce.to_owned(),
            authcid: authcid.clone(),
            authzid: authzid.clone(),
        });
        Ok(ServerStep::NeedSecret {
            mechanism: self.mechanism.clone(),
            authcid,
            authzid,
        })
    }

    /// The password the client presented, while a PLAIN or LOGIN exchange waits at
    /// [`ServerStep::NeedSecret`]: for an application that keeps password hashes (argon2,
    /// bcrypt) and checks them itself, then answers with [`Server::password_verified`].
    pub fn presented_password(&self) -> Option<&Secret> {
        match &self.state {
            State::WantSecret(Pending::Password { password, .. }) => Some(password),
            _ => None,
        }
    }

    /// Answers [`ServerStep::NeedSecret`] of PLAIN or LOGIN with the application's own
    /// verdict on [`Server::presented_password`].
    pub fn password_verified(&mut self, ok: bool) -> ServerStep {
        if !matches!(self.state, State::WantSecret(Pending::Password { .. })) {
            return usage("password_verified without a presented password");
        }
        let State::WantSecret(Pending::Password {
            authcid, authzid, ..
        }) = std::mem::replace(&mut self.state, State::Failed)
        else {
            return usage("password_verified without a presented password");
        };
        if ok {
            self.want_authorize(authcid, authzid, None)
        } else {
            ServerStep::Failure(Error::AuthenticationFailed)
        }
    }

    /// Answers [`ServerStep::NeedSecret`]: `None` when the user is unknown. SCRAM then goes
    /// on with keys made up from [`ServerConfig::unknown_user_secret`] and fails at the final
    /// message, so that the client cannot tell an unknown user from a wrong password.
    pub fn provide_secret(&mut self, secret: Option<StoredSecret>) -> ServerStep {
        if !matches!(self.state, State::WantSecret(_)) {
            return usage("provide_secret without NeedSecret");
        }
        let State::WantSecret(pending) = std::mem::replace(&mut self.state, State::Failed) else {
            return usage("provide_secret without NeedSecret");
        };
        let step = match secret {
            Some(secret) => self.use_secret(pending, secret, false),
            None => match (&pending, self.unknown_user_keys(&pending)) {
                (Pending::Scram { .. }, Some(keys)) => {
                    self.use_secret(pending, StoredSecret::Scram(keys), true)
                }
                _ => Err(Error::UnknownUser),
            },
        };
        self.settle(step)
    }

    /// HMAC(unknown_user_secret, label NUL name) under the mechanism's hash; `None` without
    /// a secret.
    fn derived(&self, label: &str, authcid: &str) -> Option<Vec<u8>> {
        let secret = self.config.unknown_user_secret.as_ref()?;
        let mut input = label.as_bytes().to_vec();
        input.push(0);
        input.extend_from_slice(authcid.as_bytes());
        Some(self.scram_hash().hmac(secret.expose(), &input))
    }

    /// The salt the server makes up for `authcid`: stable for a name, 16 octets like the
    /// salts `ScramKeys::derive` callers usually store.
    fn derived_salt(&self, authcid: &str) -> Option<Vec<u8>> {
        let mut salt = self.derived("salt", authcid)?;
        salt.truncate(16);
        Some(salt)
    }

    /// SCRAM keys for an unknown user: the salt is HMAC(secret, name), so it is stable for a
    /// name, and the keys are HMACs too, so no proof ever matches them. Costs the server no
    /// PBKDF2, like a known user's stored keys; the client pays the same iteration count.
    fn unknown_user_keys(&self, pending: &Pending) -> Option<ScramKeys> {
        let Pending::Scram { authcid, .. } = pending else {
            return None;
        };
        ScramKeys::from_stored(
            self.scram_hash(),
            self.derived_salt(authcid)?,
            self.config.unknown_user_iterations,
            self.derived("stored key", authcid)?,
            self.derived("server key", authcid)?,
        )
        .ok()
    }

    /// Answers [`ServerStep::NeedExternal`] with the identity the lower layer established,
    /// or `None` when it established none.
    pub fn provide_external(&mut self, identity: Option<String>) -> ServerStep {
        if !matches!(self.state, State::WantExternal { .. }) {
            return usage("provide_external without NeedExternal");
        }
        let State::WantExternal { authzid } = std::mem::replace(&mut self.state, State::Failed)
        else {
            return usage("provide_external without NeedExternal");
        };
        match identity {
            Some(authcid) if !authcid.is_empty() => self.want_authorize(authcid, authzid, None),
            _ => ServerStep::Failure(Error::NoExternalIdentity),
        }
    }

    fn use_secret(
        &mut self,
        pending: Pending,
        secret: StoredSecret,
        unknown: bool,
    ) -> Result<ServerStep, Error> {
        match (pending, secret) {
            (
                Pending::Password {
                    authcid,
                    authzid,
                    password,
                },
                stored,
            ) => {
                let ok = match &stored {
                    StoredSecret::Password(p) => {
                        // RFC 4616 sections 2 and 3: both strings prepared with SASLprep; a presented
                        // password that SASLprep refuses never matches, a stored one that it
                        // refuses is compared as stored.
                        let stored = saslprep(p.expose(), "password")
                            .unwrap_or_else(|_| p.expose().to_owned());
                        saslprep(password.expose(), "password")
                            .is_ok_and(|given| ct_eq(given.as_bytes(), stored.as_bytes()))
                    }
                    StoredSecret::Scram(keys) => keys.verify_password(password.expose()),
                };
                if ok {
                    Ok(self.want_authorize(authcid, authzid, None))
                } else {
                    Err(Error::AuthenticationFailed)
                }
            }
            (
                Pending::Cram {
                    authcid,
                    challenge,
                    digest,
                },
                StoredSecret::Password(p),
            ) => {
                let expected =
                    crate::md5::hmac_md5_hex(p.expose().as_bytes(), challenge.as_bytes());
                if ct_eq(expected.as_bytes(), digest.as_bytes()) {
                    Ok(self.want_authorize(authcid, None, None))
                } else {
                    Err(Error::AuthenticationFailed)
                }
            }
            (Pending::Cram { .. }, StoredSecret::Scram(_)) => Err(Error::WrongSecretKind),
            (
                Pending::Scram {
                    gs2_raw,
                    flag,
                    bare,
                    client_nonce,
                    authcid,
                    authzid,
                },
                stored,
            ) => {
                let hash = self.scram_hash();
                let keys = match stored {
                    StoredSecret::Scram(keys) if keys.hash == hash => keys,
                    StoredSecret::Scram(_) => return Err(Error::WrongSecretKind),
                    StoredSecret::Password(p) => {
                        // The same salt as an unknown user of that name would get, so that
                        // the two look alike; a fresh one without a server secret.
                        let salt = match self.derived_salt(&authcid) {
                            Some(salt) => salt,
                            None => self.fresh_nonce()?.into_bytes(),
                        };
                        let iterations = self.config.limits.min_iterations.max(1);
                        let prepared = saslprep(p.expose(), "password")?;
                        ScramKeys::from_salted(
                            hash,
                            salt.clone(),
                            iterations,
                            &hash.hi(prepared.as_bytes(), &salt, iterations),
                        )
                    }
                };
                let server_nonce = self.fresh_nonce()?;
                let nonce = format!("{client_nonce}{server_nonce}");
                let server_first = format!(
                    "r={nonce},s={},i={}",
                    encode_b64(&keys.salt),
                    keys.iterations
                );
                self.state = State::ScramAwaitFinal {
                    gs2_raw,
                    flag,
                    auth_prefix: format!("{bare},{server_first}"),
                    nonce,
                    keys,
                    authcid,
                    authzid,
                    unknown,
                };
                Ok(ServerStep::Challenge(server_first.into_bytes()))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn scram_final(
        &mut self,
        msg: &[u8],
        gs2_raw: &str,
        flag: &CbindFlag,
        auth_prefix: &str,
        nonce: &str,
        keys: &ScramKeys,
        authcid: String,
        authzid: Option<String>,
        unknown: bool,
    ) -> Result<ServerStep, Error> {
        let text = utf8(msg)?;
        let cf = scram::parse_client_final(text)?;
        let mut expected_cbind = gs2_raw.as_bytes().to_vec();
        if matches!(flag, CbindFlag::Bound(_))
            && let Some(cb) = &self.config.channel_binding
        {
            expected_cbind.extend_from_slice(cb.data());
        }
        if !ct_eq(&cf.cbind_input, &expected_cbind) {
            return Err(Error::ChannelBindingMismatch);
        }
        if cf.nonce != nonce {
            return Err(Error::NonceMismatch);
        }
        if unknown {
            return Err(Error::UnknownUser);
        }
        let hash = keys.hash;
        if cf.proof.len() != hash.output_len() {
            return Err(Error::AuthenticationFailed);
        }
        // AuthMessage = bare "," server-first "," client-final-without-proof.
        let auth = format!("{auth_prefix},{}", cf.without_proof);
        let client_signature = hash.hmac(keys.stored_key.expose(), auth.as_bytes());
        let client_key = xor(&cf.proof, &client_signature);
        if !ct_eq(&hash.h(&client_key), keys.stored_key.expose()) {
            return Err(Error::AuthenticationFailed);
        }
        let server_signature = hash.hmac(keys.server_key.expose(), auth.as_bytes());
        let additional = format!("v={}", encode_b64(&server_signature)).into_bytes();
        Ok(self.want_authorize(authcid, authzid, Some(additional)))
    }

    /// Answers [`ServerStep::NeedToken`]. An invalid token sends the JSON error as a
    /// challenge; the client's dummy answer then ends in [`Error::OAuth`] (RFC 7628
    /// section 3.2.3).
    pub fn provide_token(&mut self, verdict: TokenVerdict) -> ServerStep {
        if !matches!(self.state, State::WantToken { .. }) {
            return usage("provide_token without NeedToken");
        }
        let State::WantToken { user, authzid } = std::mem::replace(&mut self.state, State::Failed)
        else {
            return usage("provide_token without NeedToken");
        };
        match verdict {
            TokenVerdict::Valid { authcid } => {
                let authzid = if self.mechanism == Mechanism::XOAuth2 {
                    user.filter(|u| *u != authcid)
                } else {
                    authzid
                };
                self.want_authorize(authcid, authzid, None)
            }
            TokenVerdict::Invalid { json } => {
                let error = Error::OAuth {
                    status: crate::client::json_string_member(&json, "status"),
                    json: json.clone(),
                };
                self.state = State::OAuthAwaitDummy { error };
                ServerStep::Challenge(json.into_bytes())
            }
        }
    }

    /// Answers [`ServerStep::NeedAuthorize`].
    pub fn authorize(&mut self, allowed: bool) -> ServerStep {
        if !matches!(self.state, State::WantAuthorize { .. }) {
            return usage("authorize without NeedAuthorize");
        }
        let State::WantAuthorize {
            authcid,
            authzid,
            additional,
        } = std::mem::replace(&mut self.state, State::Failed)
        else {
            return usage("authorize without NeedAuthorize");
        };
        if allowed {
            self.state = State::Done;
            ServerStep::Success {
                authcid,
                authzid,
                additional_data: additional,
            }
        } else {
            ServerStep::Failure(Error::NotAuthorized)
        }
    }
}

/// `*kvpair kvsep` of RFC 7628 section 3.1 (the leading kvsep already removed): pairs
/// `key=value` each ended by %x01, then one more %x01. Values may also hold non-ASCII
/// UTF-8 (an internationalised XOAUTH2 `user=`), beyond RFC 7628's VCHAR.
fn parse_kvpairs(rest: &str) -> Result<Vec<(&str, &str)>, Error> {
    let body = rest
        .strip_suffix('\x01')
        .ok_or(Error::Malformed("missing final kvsep"))?;
    if !body.is_empty() && !body.ends_with('\x01') {
        return Err(Error::Malformed("unterminated kvpair"));
    }
    let mut out = Vec::new();
    for pair in body.split_terminator('\x01') {
        let (key, value) = pair
            .split_once('=')
            .ok_or(Error::Malformed("kvpair without ="))?;
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(Error::Malformed("invalid kvpair key"));
        }
        if !value
            .bytes()
            .all(|b| (0x20..=0x7e).contains(&b) || b >= 0x80 || matches!(b, b'\t' | b'\r' | b'\n'))
        {
            return Err(Error::Malformed("invalid kvpair value"));
        }
        out.push((key, value));
    }
    Ok(out)
}

/// ANONYMOUS trace (RFC 4505 section 3): an addr-spec, or up to 255 characters without `@`;
/// control characters are refused.
fn check_trace(trace: &str) -> Result<(), Error> {
    if trace.chars().any(char::is_control) {
        return Err(Error::Malformed("control character in trace"));
    }
    if let Some((local, domain)) = trace.rsplit_once('@') {
        if local.is_empty() || domain.is_empty() {
            return Err(Error::Malformed("invalid trace email"));
        }
    } else if trace.chars().count() > 255 {
        return Err(Error::FieldTooLong {
            field: "trace",
            len: trace.chars().count(),
            max: 255,
        });
    }
    Ok(())
}
