//! The server machine: AUTHORIZATION, TRANSACTION and UPDATE states (RFC 1939 section 3).
//!
//! The machine answers what needs no judgement (CAPA, STAT, LIST, UIDL, DELE, RSET, NOOP,
//! LAST, STLS, UTF8, LANG) and asks the application, through [`Decision`] tokens, for the rest:
//! a login ([`ServerEvent::Login`]: USER/PASS, APOP, or the identity a SASL exchange
//! established) together with access to the maildrop, the secrets a SASL mechanism needs
//! ([`ServerEvent::SaslQuestion`]), each message to send ([`ServerEvent::Retrieve`], answered
//! by streaming chunks), and the deletions at QUIT ([`ServerEvent::Update`]). Deletions are
//! applied only through that last decision: a dropped connection or an autologout never
//! produces it.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use proto_core::{
    BareLineEnding, Decision, Decisions, DotStuffer, InputBuffer, LineError, LineFramer, Machine,
    OutputBuffer, StuffConfig, Timer, TlsInfo, TransportAction,
};
use sasl_proto::codec::decode_response_with;
use sasl_proto::{
    ChannelBinding, FixedNonce, Mechanism, NonceSource, Secret, ServerStep, StepResponse,
    StoredSecret, TokenVerdict,
};

use crate::codec::{
    check_uid, encode_capability, encode_continuation, encode_list_entry, encode_status_line,
    encode_uidl_entry, parse_command_line,
};
use crate::error::{ProtocolError, UsageError};
use crate::limits::Limits;
use crate::types::{
    Capability, Command, Expire, ListEntry, MessageNumber, ResponseCode, StatusLine, UidlEntry,
};

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
    pub tls_active: bool,
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
    /// The autologout timer (RFC 1939 section 3: at least 10 minutes).
    pub autologout: Duration,
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
            .field("tls_active", &self.tls_active)
            .field("plaintext_auth", &self.plaintext_auth)
            .field("max_failed_logins", &self.max_failed_logins)
            .field("autologout", &self.autologout)
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
            tls_active: false,
            tls_info: None,
            plaintext_auth: false,
            plaintext_mechanisms: Vec::new(),
            max_failed_logins: 3,
            login_delay: None,
            expire: None,
            implementation: None,
            utf8: None,
            languages: Vec::new(),
            autologout: Duration::from_secs(10 * 60),
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

    /// Sets the nonce source for SCRAM and CRAM-MD5.
    #[must_use]
    pub fn with_nonce_source(mut self, source: impl NonceSource + 'static) -> Self {
        self.nonce_source = Some(Box::new(source));
        self
    }

    /// Offers STLS or not.
    #[must_use]
    pub fn with_stls(mut self, on: bool) -> Self {
        self.stls = on;
        self
    }

    /// The connection is protected from the start (implicit TLS).
    #[must_use]
    pub fn with_implicit_tls(mut self, on: bool) -> Self {
        self.tls_active = on;
        self
    }

    /// The connection is protected from the start (implicit TLS, port 995) and `info` is what
    /// its handshake gave, so that SCRAM -PLUS can bind to the channel.
    #[must_use]
    pub fn with_tls_info(mut self, info: TlsInfo) -> Self {
        self.tls_active = true;
        self.tls_info = Some(info);
        self
    }

    /// Allows logins before TLS (trusted local links only).
    #[must_use]
    pub fn with_plaintext_auth(mut self, on: bool) -> Self {
        self.plaintext_auth = on;
        self
    }

    /// Allows these SASL mechanisms before TLS.
    #[must_use]
    pub fn with_plaintext_mechanisms(mut self, mechanisms: Vec<Mechanism>) -> Self {
        self.plaintext_mechanisms = mechanisms;
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

    /// Sets the autologout timer.
    #[must_use]
    pub fn with_autologout(mut self, duration: Duration) -> Self {
        self.autologout = duration;
        self
    }

    /// Sets the limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

/// One message of the maildrop, as the application lists it when a login is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaildropEntry {
    /// Size in octets with CRLF line ends, before stuffing (see [`message_size`]).
    pub size: u64,
    /// The unique id (1 to 70 octets in 0x21-0x7E).
    pub uid: String,
}

impl MaildropEntry {
    /// A message of `size` octets with `uid`.
    pub fn new(size: u64, uid: impl Into<String>) -> Self {
        Self {
            size,
            uid: uid.into(),
        }
    }
}

/// The size POP3 reports for `content`: octets as sent, with every bare LF or bare CR counted
/// as CRLF and a final CRLF added if the content does not end with a line end (what the
/// server sends before the terminating ".", without the stuffing dots).
pub fn message_size(content: &[u8]) -> u64 {
    let mut size = 0u64;
    let mut prev = 0u8;
    for (i, &b) in content.iter().enumerate() {
        match b {
            b'\n' if prev != b'\r' => size += 2,
            b'\n' => size += 1,
            b'\r' if content.get(i + 1) != Some(&b'\n') => size += 2,
            _ => size += 1,
        }
        prev = b;
    }
    if !content.is_empty() && !matches!(content.last(), Some(b'\n' | b'\r')) {
        size += 2;
    }
    size
}

/// How a client asks to log in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginRequest {
    /// USER then PASS: check the password.
    Password {
        /// The user name.
        user: String,
        /// The password.
        password: Secret,
    },
    /// APOP: check the digest with [`LoginRequest::apop_matches`].
    Apop {
        /// The user name.
        user: String,
        /// The digest the client sent.
        digest: String,
        /// The timestamp of this connection's greeting.
        timestamp: String,
    },
    /// A SASL exchange succeeded: the credentials are checked; decide on the maildrop.
    Sasl {
        /// The mechanism.
        mechanism: Mechanism,
        /// The authenticated identity.
        authcid: String,
        /// The authorization identity, if one was requested.
        authzid: Option<String>,
    },
}

impl LoginRequest {
    /// The user whose maildrop is asked for (the authzid of SASL when given).
    pub fn user(&self) -> &str {
        match self {
            Self::Password { user, .. } | Self::Apop { user, .. } => user,
            Self::Sasl {
                authcid, authzid, ..
            } => authzid.as_deref().unwrap_or(authcid),
        }
    }

    /// For APOP: whether the digest is MD5(timestamp + secret) (RFC 1939 section 7), compared
    /// case-insensitively. False for the other kinds.
    pub fn apop_matches(&self, secret: &str) -> bool {
        match self {
            Self::Apop {
                digest, timestamp, ..
            } => {
                // RFC 6856 2.2: a UTF-8 secret takes part in the digest after SASLprep.
                let prepared;
                let secret = if secret.is_ascii() {
                    secret
                } else {
                    match sasl_proto::saslprep_string(secret) {
                        Ok(p) => {
                            prepared = p;
                            prepared.as_str()
                        }
                        Err(_) => return false,
                    }
                };
                let expected = sasl_proto::md5::apop_digest(timestamp, secret);
                expected.len() == digest.len()
                    && expected
                        .bytes()
                        .zip(digest.bytes())
                        .fold(0u8, |acc, (a, b)| acc | (a ^ b.to_ascii_lowercase()))
                        == 0
            }
            _ => false,
        }
    }
}

/// Why a login is refused; each gives its response code.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginRefusal {
    /// Wrong credentials: `-ERR [AUTH]`, counted as a failed login.
    BadCredentials,
    /// The maildrop is locked by another session: `-ERR [IN-USE]`.
    InUse,
    /// Logged in too recently: `-ERR [LOGIN-DELAY]`.
    LoginDelay,
    /// A temporary failure: `-ERR [SYS/TEMP]`.
    SysTemp,
    /// A permanent failure: `-ERR [SYS/PERM]`.
    SysPerm,
}

/// What a SASL mechanism needs from the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SaslQuestion {
    /// The stored secret of `authcid`: answer with [`SaslAnswer::Secret`], or, for PLAIN and
    /// LOGIN, check `password` yourself (against a password hash) and answer with
    /// [`SaslAnswer::PasswordVerified`].
    Secret {
        /// The mechanism.
        mechanism: Mechanism,
        /// The authentication identity.
        authcid: String,
        /// The requested authorization identity.
        authzid: Option<String>,
        /// The password the client presented (PLAIN, LOGIN).
        password: Option<Secret>,
    },
    /// Validate an OAuth token: answer with [`SaslAnswer::Token`].
    Token {
        /// The mechanism.
        mechanism: Mechanism,
        /// The user named by the client.
        user: Option<String>,
        /// The token.
        token: Secret,
    },
    /// May `authcid` act as `authzid`: answer with [`SaslAnswer::Authorize`].
    Authorize {
        /// The authenticated identity.
        authcid: String,
        /// The requested authorization identity.
        authzid: Option<String>,
    },
}

/// The application's answer to a [`SaslQuestion`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SaslAnswer {
    /// The secret, or `None` for an unknown user.
    Secret(Option<StoredSecret>),
    /// The application checked the presented password itself.
    PasswordVerified(bool),
    /// The token's verdict.
    Token(TokenVerdict),
    /// Whether the authorization is allowed.
    Authorize(bool),
}

/// What the server machine reports.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A login to decide: answer [`Server::accept_login`] with the maildrop listing, or
    /// [`Server::reject_login`].
    Login {
        /// How the client logs in.
        request: LoginRequest,
        /// The token to answer with.
        decision: Decision,
    },
    /// A SASL mechanism needs the application: answer [`Server::answer_sasl`].
    SaslQuestion {
        /// The question.
        question: SaslQuestion,
        /// The token to answer with.
        decision: Decision,
    },
    /// RETR (`top: None`) or TOP: answer [`Server::accept_retrieve`] then stream the whole
    /// message with [`Server::write_body`] and [`Server::finish_body`] (the machine cuts TOP
    /// itself), or [`Server::reject_retrieve`].
    Retrieve {
        /// The message.
        number: MessageNumber,
        /// Its unique id.
        uid: String,
        /// Its listed size.
        size: u64,
        /// For TOP: lines of the body wanted.
        top: Option<u32>,
        /// The token to answer with.
        decision: Decision,
    },
    /// QUIT in TRANSACTION: the UPDATE state. Delete these messages, then answer
    /// [`Server::accept_update`] or [`Server::reject_update`].
    Update {
        /// The user of the maildrop.
        user: String,
        /// The messages marked deleted.
        deleted: Vec<(MessageNumber, String)>,
        /// The token to answer with.
        decision: Decision,
    },
    /// The connection was upgraded to TLS.
    TlsEstablished,
    /// Too many failed logins: the machine closes.
    TooManyFailedLogins,
    /// The client closed the connection without QUIT: nothing is deleted.
    Disconnected,
    /// The autologout timer expired: nothing is deleted, the machine closes.
    TimedOut,
}

#[derive(Debug)]
enum Pending {
    Login,
    Sasl,
    Retrieve {
        number: MessageNumber,
        top: Option<u32>,
    },
    Update,
}

#[derive(Debug, Clone)]
struct Message {
    size: u64,
    uid: String,
    deleted: bool,
}

#[derive(Debug)]
enum State {
    Authorization {
        user: Option<String>,
    },
    Transaction {
        user: String,
        messages: Vec<Message>,
        last: u32,
    },
    Update,
    Closed,
}

struct SaslExchange {
    server: sasl_proto::Server,
    mechanism: Mechanism,
    /// The success data was sent as a last challenge; an empty response completes it.
    final_sent: Option<(String, Option<String>)>,
}

/// Streams a message body out, cutting it for TOP.
struct BodyOut {
    stuffer: DotStuffer,
    top: Option<TopCut>,
}

/// Passes the header, the blank line and `lines` lines of the body (RFC 1939 section 7).
#[derive(Debug, Clone)]
struct TopCut {
    in_header: bool,
    at_line_start: bool,
    /// A CR at the start of a line whose LF may follow in the next chunk.
    cr_at_start: bool,
    lines_left: u32,
    done: bool,
}

impl TopCut {
    fn new(lines: u32) -> Self {
        Self {
            in_header: true,
            at_line_start: true,
            cr_at_start: false,
            lines_left: lines,
            done: false,
        }
    }

    /// The prefix of `chunk` to pass on.
    fn cut<'a>(&mut self, chunk: &'a [u8]) -> &'a [u8] {
        if self.done {
            return &[];
        }
        for (i, &b) in chunk.iter().enumerate() {
            if self.in_header {
                let blank = match b {
                    b'\n' => self.at_line_start || self.cr_at_start,
                    _ => false,
                };
                self.cr_at_start = b == b'\r' && self.at_line_start;
                if b == b'\n' {
                    self.at_line_start = true;
                    self.cr_at_start = false;
                    if blank {
                        self.in_header = false;
                        if self.lines_left == 0 {
                            self.done = true;
                            return chunk.get(..=i).unwrap_or(chunk);
                        }
                    }
                } else if b != b'\r' || !self.at_line_start {
                    self.at_line_start = false;
                }
            } else if b == b'\n' {
                self.lines_left = self.lines_left.saturating_sub(1);
                if self.lines_left == 0 {
                    self.done = true;
                    return chunk.get(..=i).unwrap_or(chunk);
                }
            }
        }
        chunk
    }
}

/// The POP3 server machine.
pub struct Server {
    config: ServerConfig,
    input: InputBuffer,
    output: OutputBuffer,
    framer: LineFramer,
    events: VecDeque<Result<ServerEvent, ProtocolError>>,
    decisions: Decisions<Pending>,
    transport: VecDeque<TransportAction>,
    state: State,
    sasl: Option<SaslExchange>,
    body: Option<BodyOut>,
    tls_active: bool,
    awaiting_tls: bool,
    channel_binding: Option<ChannelBinding>,
    utf8: bool,
    language: Option<String>,
    failures: u32,
    pending_user: Option<String>,
    idle: Timer,
    /// A command was read since the timer last started.
    active: bool,
    /// When the latest input arrived, if the driver says ([`Machine::input_arrived`]).
    input_at: Option<Instant>,
    eof: bool,
    fatal: bool,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("state", &self.state)
            .field("tls_active", &self.tls_active)
            .field("failures", &self.failures)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A server that has just accepted a connection at `now`: the greeting is ready to send.
    pub fn new(config: ServerConfig, now: Instant) -> Self {
        let mut idle = Timer::new(config.autologout);
        idle.start(now);
        let mut server = Self {
            input: InputBuffer::new(config.limits.max_input_buffer),
            output: OutputBuffer::new(),
            framer: LineFramer::new(config.limits.max_command_line, BareLineEnding::Reject),
            events: VecDeque::new(),
            decisions: Decisions::new(),
            transport: VecDeque::new(),
            state: State::Authorization { user: None },
            sasl: None,
            body: None,
            tls_active: config.tls_active,
            awaiting_tls: false,
            channel_binding: config.tls_info.as_ref().and_then(|i| {
                ChannelBinding::from_tls(
                    i.tls_exporter.as_deref(),
                    i.tls_server_end_point.as_deref(),
                )
            }),
            utf8: false,
            language: None,
            failures: 0,
            pending_user: None,
            idle,
            active: false,
            input_at: None,
            eof: false,
            fatal: false,
            config,
        };
        let mut text = server.config.greeting.clone().into_bytes();
        if let Some(ts) = &server.config.apop_timestamp {
            text.push(b' ');
            text.extend_from_slice(ts.as_bytes());
        }
        server.reply_ok(&text);
        server
    }

    /// True in the TRANSACTION state.
    pub fn is_transaction(&self) -> bool {
        matches!(self.state, State::Transaction { .. })
    }

    /// True once TLS is active.
    pub fn is_tls(&self) -> bool {
        self.tls_active
    }

    /// True once the session is over.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// Whether UTF8 mode is on (RFC 6856 section 2.1).
    pub fn is_utf8(&self) -> bool {
        self.utf8
    }

    /// The capabilities announced in the current state (what CAPA sends).
    pub fn capabilities(&self) -> Vec<Capability<'static>> {
        let mut caps = vec![
            Capability::Top,
            Capability::Uidl,
            Capability::RespCodes,
            Capability::AuthRespCode,
            Capability::Pipelining,
        ];
        if matches!(self.state, State::Authorization { .. }) {
            if self.login_allowed() && self.config.user_pass {
                caps.push(Capability::User);
            }
            let mechanisms = self.mechanisms_now();
            if !mechanisms.is_empty() {
                caps.push(Capability::Sasl(mechanisms));
            }
            if self.stls_allowed() {
                caps.push(Capability::Stls);
            }
        }
        if let Some(seconds) = self.config.login_delay {
            caps.push(Capability::LoginDelay {
                seconds,
                per_user: false,
            });
        }
        if let Some(expire) = self.config.expire {
            caps.push(Capability::Expire {
                expire,
                per_user: false,
            });
        }
        if let Some(user) = self.config.utf8 {
            caps.push(Capability::Utf8 { user });
        }
        if !self.config.languages.is_empty() {
            caps.push(Capability::Lang);
        }
        if let Some(text) = &self.config.implementation {
            caps.push(Capability::Implementation(text.clone().into()));
        }
        caps
    }

    /// The configured mechanisms this connection can run now: SCRAM and CRAM-MD5 need a nonce
    /// source, the -PLUS variants channel-binding data from TLS.
    pub fn offered_mechanisms(&self) -> Vec<Mechanism> {
        self.config
            .sasl_mechanisms
            .iter()
            .filter(|m| {
                let needs_nonce = matches!(
                    m,
                    Mechanism::CramMd5
                        | Mechanism::ScramSha1
                        | Mechanism::ScramSha256
                        | Mechanism::ScramSha1Plus
                        | Mechanism::ScramSha256Plus
                );
                (!needs_nonce || self.config.nonce_source.is_some())
                    && (!m.is_plus() || self.channel_binding.is_some())
                    && m.is_known()
            })
            .cloned()
            .collect()
    }

    /// The mechanisms AUTH accepts now: all offered ones once logins are allowed, before TLS
    /// only those opted in with `plaintext_mechanisms`.
    fn mechanisms_now(&self) -> Vec<Mechanism> {
        let all = self.login_allowed();
        self.offered_mechanisms()
            .into_iter()
            .filter(|m| all || self.config.plaintext_mechanisms.contains(m))
            .collect()
    }

    fn login_allowed(&self) -> bool {
        self.tls_active || self.config.plaintext_auth
    }

    fn stls_allowed(&self) -> bool {
        self.config.stls && !self.tls_active && !self.utf8
    }

    // ----- answers -----

    /// Accepts a login: the maildrop is open with these messages (numbered from 1 in order).
    pub fn accept_login(
        &mut self,
        decision: Decision,
        maildrop: Vec<MaildropEntry>,
    ) -> Result<(), UsageError> {
        let user = match self.decisions.close(decision)? {
            Pending::Login => self.pending_user.take().unwrap_or_default(),
            other => return self.wrong_answer(other),
        };
        if let Some(bad) = maildrop.iter().find_map(|m| check_uid(&m.uid).err()) {
            // The session goes on; the client learns of a server fault.
            self.reply(
                StatusLine::err(&b"maildrop listing is invalid"[..])
                    .with_code(ResponseCode::SysPerm),
            );
            return Err(bad.into());
        }
        let size: u64 = maildrop
            .iter()
            .map(|m| m.size)
            .fold(0u64, u64::saturating_add);
        let count = maildrop.len();
        self.state = State::Transaction {
            user: user.clone(),
            messages: maildrop
                .into_iter()
                .map(|m| Message {
                    size: m.size,
                    uid: m.uid,
                    deleted: false,
                })
                .collect(),
            last: 0,
        };
        self.reply_ok(format!("{user}'s maildrop has {count} messages ({size} octets)").as_bytes());
        Ok(())
    }

    /// Refuses a login with the response code of `refusal`.
    pub fn reject_login(
        &mut self,
        decision: Decision,
        refusal: LoginRefusal,
    ) -> Result<(), UsageError> {
        match self.decisions.close(decision)? {
            Pending::Login => {}
            other => return self.wrong_answer(other),
        }
        self.pending_user = None;
        let (code, text, counts): (ResponseCode<'static>, &[u8], bool) = match refusal {
            LoginRefusal::BadCredentials => (ResponseCode::Auth, b"Authentication failed", true),
            LoginRefusal::InUse => (
                ResponseCode::InUse,
                b"Do you have another POP session running?",
                false,
            ),
            LoginRefusal::LoginDelay => {
                (ResponseCode::LoginDelay, b"Logged in too recently", false)
            }
            LoginRefusal::SysTemp => (ResponseCode::SysTemp, b"Try again later", false),
            LoginRefusal::SysPerm => (ResponseCode::SysPerm, b"Maildrop unavailable", false),
        };
        self.login_failed(code, text, counts);
        Ok(())
    }

    /// Answers a SASL question.
    pub fn answer_sasl(
        &mut self,
        decision: Decision,
        answer: SaslAnswer,
    ) -> Result<(), UsageError> {
        match self.decisions.close(decision)? {
            Pending::Sasl => {}
            other => return self.wrong_answer(other),
        }
        let Some(exchange) = self.sasl.as_mut() else {
            return Err(UsageError::WrongAnswer);
        };
        let step = match answer {
            SaslAnswer::Secret(secret) => exchange.server.provide_secret(secret),
            SaslAnswer::PasswordVerified(ok) => exchange.server.password_verified(ok),
            SaslAnswer::Token(verdict) => exchange.server.provide_token(verdict),
            SaslAnswer::Authorize(allowed) => exchange.server.authorize(allowed),
        };
        self.sasl_step(step);
        Ok(())
    }

    /// Answers every SASL question of `decision` from a credential store.
    pub fn answer_sasl_with<S: sasl_proto::CredentialStore + ?Sized>(
        &mut self,
        decision: Decision,
        question: &SaslQuestion,
        store: &S,
    ) -> Result<(), UsageError> {
        let answer = match question {
            SaslQuestion::Secret {
                mechanism,
                authcid,
                password,
                ..
            } => match password
                .as_ref()
                .and_then(|p| store.check_password(authcid, p))
            {
                Some(ok) => SaslAnswer::PasswordVerified(ok),
                None => SaslAnswer::Secret(store.secret(mechanism, authcid)),
            },
            SaslQuestion::Token {
                mechanism,
                user,
                token,
            } => SaslAnswer::Token(store.validate_token(mechanism, user.as_deref(), token)),
            SaslQuestion::Authorize { authcid, authzid } => {
                SaslAnswer::Authorize(store.authorize(authcid, authzid.as_deref()))
            }
        };
        self.answer_sasl(decision, answer)
    }

    /// Accepts a RETR or TOP: `+OK` is sent; stream the whole message with
    /// [`write_body`](Self::write_body) and end with [`finish_body`](Self::finish_body).
    pub fn accept_retrieve(&mut self, decision: Decision) -> Result<(), UsageError> {
        let (number, top) = match self.decisions.close(decision)? {
            Pending::Retrieve { number, top } => (number, top),
            other => return self.wrong_answer(other),
        };
        let size = match &mut self.state {
            State::Transaction { messages, last, .. } => {
                // LAST (RFC 1460) counts messages retrieved whole.
                if top.is_none() {
                    *last = (*last).max(number.get());
                }
                messages.get(number.index()).map_or(0, |m| m.size)
            }
            _ => 0,
        };
        match top {
            None => self.reply_ok(format!("{size} octets").as_bytes()),
            Some(_) => self.reply_ok(b"top of message follows"),
        }
        self.body = Some(BodyOut {
            stuffer: DotStuffer::new(StuffConfig::new()),
            top: top.map(TopCut::new),
        });
        Ok(())
    }

    /// Refuses a RETR or TOP with this status line (for example `-ERR [UTF8]`, RFC 6856
    /// section 5, or `-ERR [SYS/TEMP]`).
    pub fn reject_retrieve(
        &mut self,
        decision: Decision,
        line: StatusLine<'_>,
    ) -> Result<(), UsageError> {
        match self.decisions.close(decision)? {
            Pending::Retrieve { .. } => {}
            other => return self.wrong_answer(other),
        }
        let line = StatusLine {
            status: crate::types::Status::Err,
            ..line
        };
        let mut buf = BytesMut::new();
        let result = encode_status_line(&line, &mut buf);
        if result.is_err() {
            self.reply_err(b"message unavailable");
        } else {
            self.output.push(&buf);
        }
        result.map_err(UsageError::from)
    }

    /// Sends a chunk of the message accepted last, stuffing it (bare LF and CR become
    /// CRLF). For TOP, the machine drops what follows the lines asked for.
    pub fn write_body(&mut self, chunk: &[u8]) -> Result<(), UsageError> {
        let Some(body) = self.body.as_mut() else {
            return Err(UsageError::NoBody);
        };
        let chunk = match body.top.as_mut() {
            Some(cut) => cut.cut(chunk),
            None => chunk,
        };
        // Normalize never fails and no line length is checked.
        let _ = body.stuffer.write(chunk, self.output.writer());
        Ok(())
    }

    /// Ends the message: the terminating "." line is sent.
    pub fn finish_body(&mut self) -> Result<(), UsageError> {
        let Some(mut body) = self.body.take() else {
            return Err(UsageError::NoBody);
        };
        let _ = body.stuffer.finish(self.output.writer());
        Ok(())
    }

    /// The deletions are done: `+OK` with `text` (or a default), and the connection closes.
    pub fn accept_update(
        &mut self,
        decision: Decision,
        text: Option<&str>,
    ) -> Result<(), UsageError> {
        match self.decisions.close(decision)? {
            Pending::Update => {}
            other => return self.wrong_answer(other),
        }
        let text = text.unwrap_or("POP3 server signing off");
        self.reply_ok(text.as_bytes());
        self.close();
        Ok(())
    }

    /// Some deletions failed (RFC 1939 section 6): `-ERR [SYS/TEMP]`, and the connection
    /// closes.
    pub fn reject_update(&mut self, decision: Decision) -> Result<(), UsageError> {
        match self.decisions.close(decision)? {
            Pending::Update => {}
            other => return self.wrong_answer(other),
        }
        self.reply(
            StatusLine::err(&b"some deleted messages not removed"[..])
                .with_code(ResponseCode::SysTemp),
        );
        self.close();
        Ok(())
    }

    /// A token answered with the method of another kind of decision: the token is spent,
    /// so the session cannot go on; it closes.
    fn wrong_answer(&mut self, pending: Pending) -> Result<(), UsageError> {
        let _ = pending;
        self.reply_err(b"internal error");
        self.fatal = true;
        self.close();
        Err(UsageError::WrongAnswer)
    }

    // ----- output helpers -----

    fn reply(&mut self, line: StatusLine<'_>) {
        let mut buf = BytesMut::new();
        if encode_status_line(&line, &mut buf).is_err() {
            buf.clear();
            let fallback = StatusLine {
                text: (&b""[..]).into(),
                ..line
            };
            let _ = encode_status_line(&fallback, &mut buf);
        }
        self.output.push(&buf);
    }

    fn reply_ok(&mut self, text: &[u8]) {
        self.reply(StatusLine::ok(text));
    }

    fn reply_err(&mut self, text: &[u8]) {
        self.reply(StatusLine::err(text));
    }

    fn close(&mut self) {
        if !matches!(self.state, State::Closed) {
            self.state = State::Closed;
            self.transport.push_back(TransportAction::Close);
            self.idle.stop();
        }
    }

    fn login_failed(&mut self, code: ResponseCode<'static>, text: &[u8], counts: bool) {
        if counts {
            self.failures = self.failures.saturating_add(1);
        }
        if counts && self.failures >= self.config.max_failed_logins {
            let mut t = text.to_vec();
            t.extend_from_slice(b"; too many failures, closing");
            self.reply(StatusLine::err(t).with_code(code));
            self.events.push_back(Ok(ServerEvent::TooManyFailedLogins));
            self.close();
        } else {
            self.reply(StatusLine::err(text).with_code(code));
        }
    }

    fn open_login(&mut self, request: LoginRequest) {
        self.pending_user = Some(request.user().to_owned());
        let decision = self.decisions.open(Pending::Login);
        self.events
            .push_back(Ok(ServerEvent::Login { request, decision }));
    }

    // ----- input -----

    fn next_line(&mut self) -> Option<Result<bytes::Bytes, LineError>> {
        self.framer.poll_line(self.input.data())
    }

    /// Parses input until an event is ready or more input is needed.
    fn process(&mut self) {
        while self.events.is_empty()
            && self.decisions.is_empty()
            && self.body.is_none()
            && !self.awaiting_tls
            && !matches!(self.state, State::Closed | State::Update)
        {
            let limit = if self.sasl.is_some() {
                self.config.limits.max_sasl_line
            } else {
                self.config.limits.max_command_line
            };
            if self.framer.max_len() != limit {
                self.framer.set_max_len(limit);
            }
            match self.next_line() {
                Some(Ok(line)) => {
                    // RFC 1939 section 3: a command restarts the autologout timer, from when
                    // the octets that completed it arrived.
                    match self.input_at {
                        Some(at) if self.idle.deadline().is_some() => self.idle.start(at),
                        _ => self.active = true,
                    }
                    if self.sasl.is_some() {
                        self.sasl_line(&line);
                    } else {
                        self.command_line(&line);
                    }
                }
                Some(Err(LineError::TooLong { .. })) => {
                    if self.sasl.take().is_some() {
                        self.login_failed(ResponseCode::Auth, b"SASL response too long", true);
                    } else {
                        self.reply_err(b"line too long");
                    }
                }
                Some(Err(_)) => {
                    self.sasl = None;
                    self.reply_err(b"line ends must be CRLF");
                }
                None => {
                    if self.eof {
                        self.events.push_back(Ok(ServerEvent::Disconnected));
                        self.close();
                    }
                    return;
                }
            }
        }
    }

    fn command_line(&mut self, line: &[u8]) {
        let command = match parse_command_line(line) {
            Ok(command) => command,
            Err(error) => {
                let text = format!("{}", error.kind);
                self.reply_err(text.as_bytes());
                return;
            }
        };
        match &self.state {
            State::Authorization { .. } => self.authorization(command),
            State::Transaction { .. } => self.transaction(command),
            State::Update | State::Closed => {}
        }
    }

    fn authorization(&mut self, command: Command<'_>) {
        match command {
            Command::Capa => self.send_capa(),
            Command::Quit => {
                self.reply_ok(b"POP3 server signing off");
                self.close();
            }
            Command::Stls => {
                if !self.stls_allowed() {
                    self.reply_err(b"Command not permitted when TLS active");
                } else if !self.input.is_empty() {
                    self.fatal = true;
                    self.events.push_back(Err(ProtocolError::DataAfterStartTls));
                    self.close();
                } else {
                    self.reply_ok(b"Begin TLS negotiation");
                    self.awaiting_tls = true;
                    self.transport.push_back(TransportAction::StartTls);
                }
            }
            Command::User(name) => {
                if !self.config.user_pass {
                    self.reply_err(b"USER not supported");
                } else if !self.login_allowed() {
                    self.plaintext_refused();
                } else {
                    match self.prepare_credential(&name) {
                        Some(name) => {
                            self.state = State::Authorization { user: Some(name) };
                            self.reply_ok(b"send PASS");
                        }
                        None => self.utf8_credential_refused(),
                    }
                }
            }
            Command::Pass(password) => {
                let user = match &mut self.state {
                    State::Authorization { user } => user.take(),
                    _ => None,
                };
                match (user, self.prepare_credential(password.expose())) {
                    (Some(user), Some(password)) => self.open_login(LoginRequest::Password {
                        user,
                        password: Secret::new(password),
                    }),
                    (Some(_), None) => self.utf8_credential_refused(),
                    (None, _) => self.reply_err(b"USER first"),
                }
            }
            Command::Apop { name, digest } => match self.config.apop_timestamp.clone() {
                None => self.reply_err(b"APOP not supported"),
                Some(_) if !self.login_allowed() => self.plaintext_refused(),
                Some(timestamp) => match self.prepare_credential(&name) {
                    Some(user) => self.open_login(LoginRequest::Apop {
                        user,
                        digest: digest.into_owned(),
                        timestamp,
                    }),
                    None => self.utf8_credential_refused(),
                },
            },
            Command::Auth(None) => {
                let mut buf = BytesMut::new();
                let _ = encode_status_line(&StatusLine::ok(&b"mechanisms follow"[..]), &mut buf);
                for m in &self.mechanisms_now() {
                    buf.extend_from_slice(m.as_str().as_bytes());
                    buf.extend_from_slice(b"\r\n");
                }
                buf.extend_from_slice(b".\r\n");
                self.output.push(&buf);
            }
            Command::Auth(Some(auth)) => self.start_auth(auth),
            Command::Utf8 => {
                if self.config.utf8.is_some() {
                    self.utf8 = true;
                    self.reply_ok(b"UTF8 enabled");
                } else {
                    self.reply_err(b"UTF8 not supported");
                }
            }
            Command::Lang(tag) => self.lang(tag.as_deref()),
            _ => self.reply_err(b"not allowed in the AUTHORIZATION state"),
        }
    }

    /// A USER, PASS or APOP credential as the application sees it (RFC 6856 section 2.2):
    /// ASCII as sent; UTF-8 only when the server offers `UTF8 USER`, and then after SASLprep
    /// (a string SASLprep refuses is refused). `None` means refuse.
    fn prepare_credential(&self, value: &str) -> Option<String> {
        if value.is_ascii() {
            return Some(value.to_owned());
        }
        if self.config.utf8 != Some(true) {
            return None;
        }
        sasl_proto::saslprep_string(value).ok()
    }

    fn utf8_credential_refused(&mut self) {
        self.reply(
            StatusLine::err(&b"UTF-8 user name or password not accepted"[..])
                .with_code(ResponseCode::Auth),
        );
    }

    fn plaintext_refused(&mut self) {
        self.reply(
            StatusLine::err(&b"Login not allowed before STLS"[..]).with_code(ResponseCode::Auth),
        );
    }

    fn lang(&mut self, tag: Option<&str>) {
        if self.config.languages.is_empty() {
            return self.reply_err(b"LANG not supported");
        }
        match tag {
            None => {
                let mut buf = BytesMut::new();
                let _ = encode_status_line(
                    &StatusLine::ok(&b"Language listing follows:"[..]),
                    &mut buf,
                );
                for (t, d) in &self.config.languages {
                    let _ = crate::codec::encode_language(
                        &crate::types::Language {
                            tag: t.as_str().into(),
                            description: Some(d.as_str().into()),
                        },
                        &mut buf,
                    );
                }
                buf.extend_from_slice(b".\r\n");
                self.output.push(&buf);
            }
            Some(tag) => {
                let found = if tag == "*" {
                    self.config.languages.first().map(|(t, _)| t.clone())
                } else {
                    self.config
                        .languages
                        .iter()
                        .find(|(t, _)| {
                            t.eq_ignore_ascii_case(tag)
                                || t.get(..tag.len()).is_some_and(|p| {
                                    p.eq_ignore_ascii_case(tag)
                                        && t.as_bytes().get(tag.len()) == Some(&b'-')
                                })
                        })
                        .map(|(t, _)| t.clone())
                };
                match found {
                    Some(t) => {
                        self.reply_ok(format!("{t} Language changed").as_bytes());
                        self.language = Some(t);
                    }
                    None => self.reply_err(format!("invalid language {tag}").as_bytes()),
                }
            }
        }
    }

    /// The language chosen with LANG, if any.
    pub fn language(&self) -> Option<&str> {
        self.language.as_deref()
    }

    fn send_capa(&mut self) {
        let mut buf = BytesMut::new();
        let _ = encode_status_line(&StatusLine::ok(&b"Capability list follows"[..]), &mut buf);
        for cap in self.capabilities() {
            let _ = encode_capability(&cap, &mut buf);
        }
        buf.extend_from_slice(b".\r\n");
        self.output.push(&buf);
    }

    fn start_auth(&mut self, auth: crate::types::AuthCommand<'_>) {
        if !self.mechanisms_now().contains(&auth.mechanism) {
            if !self.login_allowed() {
                return self.plaintext_refused();
            }
            return self.reply_err(b"unsupported mechanism");
        }
        let mut sasl_config = sasl_proto::ServerConfig::default()
            .with_limits(self.config.limits.sasl_limits())
            .with_advertised_plus(self.offered_mechanisms().iter().any(Mechanism::is_plus));
        if let Some(source) = self.config.nonce_source.as_mut() {
            sasl_config = sasl_config.with_nonce_source(FixedNonce(source.nonce()));
        }
        if let Some(binding) = self.channel_binding.clone() {
            sasl_config = sasl_config.with_channel_binding(binding);
        }
        let mut server = match sasl_proto::Server::new(auth.mechanism.clone(), sasl_config) {
            Ok(server) => server,
            Err(_) => return self.reply_err(b"mechanism unavailable"),
        };
        let initial = match auth.initial_response.as_deref() {
            None => None,
            Some(ir) => {
                match decode_response_with(ir.as_bytes(), &self.config.limits.sasl_limits()) {
                    Ok(StepResponse::Data(data)) => Some(data),
                    Ok(StepResponse::Cancel) => return self.reply_err(b"AUTH cancelled"),
                    Err(_) => {
                        return self.login_failed(ResponseCode::Auth, b"invalid base64", true);
                    }
                }
            }
        };
        let step = server.start(initial.as_deref());
        self.sasl = Some(SaslExchange {
            server,
            mechanism: auth.mechanism,
            final_sent: None,
        });
        self.sasl_step(step);
    }

    fn sasl_line(&mut self, line: &[u8]) {
        let Some(exchange) = self.sasl.as_mut() else {
            return;
        };
        if let Some((authcid, authzid)) = exchange.final_sent.take() {
            let mechanism = exchange.mechanism.clone();
            self.sasl = None;
            if line.is_empty() || line == b"=" {
                self.open_login(LoginRequest::Sasl {
                    mechanism,
                    authcid,
                    authzid,
                });
            } else if line == b"*" {
                self.reply_err(b"AUTH cancelled");
            } else {
                self.login_failed(ResponseCode::Auth, b"Authentication failed", true);
            }
            return;
        }
        match decode_response_with(line, &self.config.limits.sasl_limits()) {
            Ok(StepResponse::Cancel) => {
                self.sasl = None;
                self.reply_err(b"AUTH cancelled");
            }
            Ok(StepResponse::Data(data)) => {
                let step = exchange.server.step(&data);
                self.sasl_step(step);
            }
            Err(_) => {
                self.sasl = None;
                self.login_failed(ResponseCode::Auth, b"invalid base64", true);
            }
        }
    }

    fn sasl_step(&mut self, step: ServerStep) {
        let Some(exchange) = self.sasl.as_mut() else {
            return;
        };
        match step {
            ServerStep::Challenge(challenge) => {
                encode_continuation(&challenge, self.output.writer());
            }
            ServerStep::NeedSecret {
                mechanism,
                authcid,
                authzid,
            } => {
                let password = exchange.server.presented_password().cloned();
                self.ask_sasl(SaslQuestion::Secret {
                    mechanism,
                    authcid,
                    authzid,
                    password,
                });
            }
            ServerStep::NeedToken {
                mechanism,
                user,
                token,
                ..
            } => self.ask_sasl(SaslQuestion::Token {
                mechanism,
                user,
                token,
            }),
            ServerStep::NeedAuthorize { authcid, authzid } => {
                self.ask_sasl(SaslQuestion::Authorize { authcid, authzid });
            }
            ServerStep::Success {
                authcid,
                authzid,
                additional_data,
            } => match additional_data {
                // POP3 has no success with data (RFC 5034 section 4): send it as a last
                // challenge and wait for the empty response.
                Some(data) => {
                    exchange.final_sent = Some((authcid, authzid));
                    encode_continuation(&data, self.output.writer());
                }
                None => {
                    let mechanism = exchange.mechanism.clone();
                    self.sasl = None;
                    self.open_login(LoginRequest::Sasl {
                        mechanism,
                        authcid,
                        authzid,
                    });
                }
            },
            ServerStep::Failure(_) => {
                self.sasl = None;
                self.login_failed(ResponseCode::Auth, b"Authentication failed", true);
            }
            _ => {
                self.sasl = None;
                self.login_failed(ResponseCode::Auth, b"Authentication failed", true);
            }
        }
    }

    fn ask_sasl(&mut self, question: SaslQuestion) {
        let decision = self.decisions.open(Pending::Sasl);
        self.events
            .push_back(Ok(ServerEvent::SaslQuestion { question, decision }));
    }

    fn transaction(&mut self, command: Command<'_>) {
        let State::Transaction {
            user,
            messages,
            last,
        } = &mut self.state
        else {
            return;
        };
        let live = |m: &&Message| !m.deleted;
        let find = |messages: &[Message], n: MessageNumber| {
            messages.get(n.index()).filter(|m| !m.deleted).cloned()
        };
        let mut out = BytesMut::new();
        match command {
            Command::Stat => {
                let count = messages.iter().filter(live).count();
                let size: u64 = messages
                    .iter()
                    .filter(live)
                    .map(|m| m.size)
                    .fold(0u64, u64::saturating_add);
                let _ = encode_status_line(
                    &StatusLine::ok(format!("{count} {size}").into_bytes()),
                    &mut out,
                );
            }
            Command::List(None) => {
                let count = messages.iter().filter(live).count();
                let size: u64 = messages
                    .iter()
                    .filter(live)
                    .map(|m| m.size)
                    .fold(0u64, u64::saturating_add);
                let _ = encode_status_line(
                    &StatusLine::ok(format!("{count} messages ({size} octets)").into_bytes()),
                    &mut out,
                );
                for (i, m) in messages.iter().enumerate() {
                    if let (false, Some(number)) = (
                        m.deleted,
                        u32::try_from(i + 1).ok().and_then(MessageNumber::new),
                    ) {
                        encode_list_entry(
                            &ListEntry {
                                number,
                                size: m.size,
                            },
                            &mut out,
                        );
                    }
                }
                out.extend_from_slice(b".\r\n");
            }
            Command::List(Some(n)) => match find(messages, n) {
                Some(m) => {
                    let _ = encode_status_line(
                        &StatusLine::ok(format!("{n} {}", m.size).into_bytes()),
                        &mut out,
                    );
                }
                None => no_such_message(&mut out),
            },
            Command::Uidl(None) => {
                let _ = encode_status_line(&StatusLine::ok(&b""[..]), &mut out);
                for (i, m) in messages.iter().enumerate() {
                    if let (false, Some(number)) = (
                        m.deleted,
                        u32::try_from(i + 1).ok().and_then(MessageNumber::new),
                    ) {
                        let _ = encode_uidl_entry(
                            &UidlEntry {
                                number,
                                uid: m.uid.as_str().into(),
                            },
                            &mut out,
                        );
                    }
                }
                out.extend_from_slice(b".\r\n");
            }
            Command::Uidl(Some(n)) => match find(messages, n) {
                Some(m) => {
                    let _ = encode_status_line(
                        &StatusLine::ok(format!("{n} {}", m.uid).into_bytes()),
                        &mut out,
                    );
                }
                None => no_such_message(&mut out),
            },
            Command::Retr(n) | Command::Top { msg: n, .. } => {
                let top = match command {
                    Command::Top { lines, .. } => Some(lines),
                    _ => None,
                };
                match find(messages, n) {
                    Some(m) => {
                        let decision = self.decisions.open(Pending::Retrieve { number: n, top });
                        self.events.push_back(Ok(ServerEvent::Retrieve {
                            number: n,
                            uid: m.uid,
                            size: m.size,
                            top,
                            decision,
                        }));
                    }
                    None => no_such_message(&mut out),
                }
            }
            Command::Dele(n) => match messages.get_mut(n.index()) {
                Some(m) if !m.deleted => {
                    m.deleted = true;
                    let _ = encode_status_line(
                        &StatusLine::ok(format!("message {n} deleted").into_bytes()),
                        &mut out,
                    );
                }
                Some(_) => {
                    let _ = encode_status_line(
                        &StatusLine::err(format!("message {n} already deleted").into_bytes()),
                        &mut out,
                    );
                }
                None => no_such_message(&mut out),
            },
            Command::Rset => {
                for m in messages.iter_mut() {
                    m.deleted = false;
                }
                *last = 0;
                let count = messages.len();
                let size: u64 = messages
                    .iter()
                    .map(|m| m.size)
                    .fold(0u64, u64::saturating_add);
                let _ = encode_status_line(
                    &StatusLine::ok(
                        format!("maildrop has {count} messages ({size} octets)").into_bytes(),
                    ),
                    &mut out,
                );
            }
            Command::Noop => {
                let _ = encode_status_line(&StatusLine::ok(&b""[..]), &mut out);
            }
            Command::Last => {
                let _ =
                    encode_status_line(&StatusLine::ok(last.to_string().into_bytes()), &mut out);
            }
            Command::Quit => {
                let deleted = messages
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| m.deleted)
                    .filter_map(|(i, m)| {
                        u32::try_from(i + 1)
                            .ok()
                            .and_then(MessageNumber::new)
                            .map(|n| (n, m.uid.clone()))
                    })
                    .collect();
                let user = user.clone();
                self.state = State::Update;
                let decision = self.decisions.open(Pending::Update);
                self.events.push_back(Ok(ServerEvent::Update {
                    user,
                    deleted,
                    decision,
                }));
            }
            Command::Capa => return self.send_capa(),
            Command::Lang(tag) => return self.lang(tag.as_deref()),
            _ => {
                let _ = encode_status_line(
                    &StatusLine::err(&b"not allowed in the TRANSACTION state"[..]),
                    &mut out,
                );
            }
        }
        self.output.push(&out);
    }
}

fn no_such_message(out: &mut BytesMut) {
    let _ = encode_status_line(&StatusLine::err(&b"no such message"[..]), out);
}

impl Machine for Server {
    type Event = ServerEvent;
    type Error = ProtocolError;

    fn receive(&mut self, data: &[u8]) {
        if !self.fatal && !self.is_closed() {
            self.input.extend(data);
        }
    }

    fn input_buffer(&mut self) -> &mut [u8] {
        self.input.spare()
    }

    fn commit_input(&mut self, n: usize) {
        self.input.commit(n);
    }

    fn receive_eof(&mut self) {
        self.eof = true;
    }

    fn wants_input(&self) -> bool {
        !self.fatal
            && !self.eof
            && !self.is_closed()
            && self.input.has_room()
            && self.decisions.is_empty()
            && self.body.is_none()
            && !self.awaiting_tls
    }

    fn transmit(&self) -> &[u8] {
        self.output.pending()
    }

    fn advance_transmit(&mut self, n: usize) {
        self.output.advance(n);
    }

    fn poll_event(&mut self) -> Option<Result<ServerEvent, ProtocolError>> {
        if self.events.is_empty() && !self.fatal {
            self.process();
        }
        self.events.pop_front()
    }

    fn poll_transport(&mut self) -> Option<TransportAction> {
        self.transport.pop_front()
    }

    fn tls_established(&mut self, info: TlsInfo) {
        self.awaiting_tls = false;
        self.tls_active = true;
        self.channel_binding = ChannelBinding::from_tls(
            info.tls_exporter.as_deref(),
            info.tls_server_end_point.as_deref(),
        );
        // Forget everything learned before TLS (RFC 2595 section 4).
        self.state = State::Authorization { user: None };
        self.framer.reset();
        self.input.data().clear();
        self.events.push_back(Ok(ServerEvent::TlsEstablished));
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.idle.deadline()
    }

    fn input_arrived(&mut self, now: Instant) {
        self.input_at = Some(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.idle.expire(now) {
            if std::mem::take(&mut self.active) || !self.decisions.is_empty() || self.body.is_some()
            {
                // Activity since the timer started: run it again from now.
                self.idle.start(now);
                return;
            }
            self.reply(StatusLine::err(&b"autologout; idle for too long"[..]));
            self.events.push_back(Ok(ServerEvent::TimedOut));
            self.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apop_digest_of_a_utf8_secret_uses_its_saslprep_form() {
        let timestamp = "<1896.697170952@dbc.mtview.ca.us>".to_owned();
        let request = |digest: String| LoginRequest::Apop {
            user: "finn".into(),
            digest,
            timestamp: timestamp.clone(),
        };
        // The stored secret "\u{fb01}" (a ligature) takes part as "fi".
        let prepared = sasl_proto::md5::apop_digest(&timestamp, "fi");
        assert!(request(prepared.clone()).apop_matches("\u{fb01}"));
        assert!(request(prepared.to_uppercase()).apop_matches("\u{fb01}"));
        let raw = sasl_proto::md5::apop_digest(&timestamp, "\u{fb01}");
        assert!(!request(raw).apop_matches("\u{fb01}"));
        // A secret SASLprep refuses never matches.
        let refused = sasl_proto::md5::apop_digest(&timestamp, "a\u{e000}");
        assert!(!request(refused).apop_matches("a\u{e000}"));
    }
}
