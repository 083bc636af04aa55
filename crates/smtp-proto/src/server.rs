//! The server machine: a complete sans-IO SMTP, submission or LMTP server.
//!
//! Commands are checked for order as RFC 5321 4.1.4 requires, with the replies Postfix gives.
//! What needs the application's judgement (the connection if asked, HELO/EHLO if asked,
//! MAIL FROM, each RCPT TO, the AUTH identity, the end of data) comes out as an [`ServerEvent`]
//! carrying a [`Decision`]; the application answers with [`Server::accept`] or
//! [`Server::reject`], now or later. Input behind an open decision waits, so replies leave
//! in command order even when the client pipelines (RFC 2920).
//!
//! Bodies come out as [`ServerEvent::Body`] chunks (zero-copy slices of the input). DATA ends only
//! at CRLF "." CRLF; bare LF or CR in DATA is refused by default (like Postfix's
//! `smtpd_forbid_bare_newline`), or normalised by configuration. A message over the size
//! limit, or with a refused line end, is drained to its end and then refused (552, 550).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use proto_core::{
    BareLineEnding, Decision, Decisions, DotUnstuffer, InputBuffer, LineError, LineFramer,
    LineLimit, Machine, OutputBuffer, Timer, TlsInfo, TransportAction, Unstuffed,
};
use sasl_proto::codec::decode_response_with;
use sasl_proto::mechanism::MechanismSet;
use sasl_proto::{
    ChannelBinding, Mechanism, Secret, ServerStep, StepResponse, StoredSecret, TokenVerdict,
};

use crate::codec::parse_command_line;
use crate::error::{ParseErrorKind, ProtocolError, UsageError};
use crate::limits::{Limits, increment};
use crate::types::{
    Body, Capabilities, Command, EnhancedStatusCode, ForwardPath, MailParameters, RcptParameters,
    Reply, ReplyCode, ReversePath,
};

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
    /// The timeout of every phase (RFC 5321 4.5.3.2.7: 5 minutes).
    pub timeout: Duration,
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
            timeout: Duration::from_secs(300),
            sasl: Arc::new(sasl_proto::ServerConfig::default),
        }
    }
}

macro_rules! config_setters {
    ($($(#[$doc:meta])* $name:ident : $field:ident : $ty:ty),* $(,)?) => {
        impl ServerConfig {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $name(mut self, value: $ty) -> Self {
                    self.$field = value;
                    self
                }
            )*
        }
    };
}

config_setters! {
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
    /// Sets the timeout.
    with_timeout: timeout: Duration,
    /// Sets the SASL configuration factory.
    with_sasl: sasl: SaslConfigFactory,
}

/// Which greeting command the client used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelloKind {
    /// HELO.
    Helo,
    /// EHLO.
    Ehlo,
    /// LHLO (RFC 2033).
    Lhlo,
}

/// What the server machine reports.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A client connected (only with [`ServerConfig::decide_connection`]): accept sends the
    /// greeting, reject sends the given reply and closes.
    Connected {
        /// Answer with accept or reject.
        decision: Decision,
    },
    /// HELO, EHLO or LHLO. With [`ServerConfig::decide_hello`] it carries a decision;
    /// otherwise it was answered already.
    Hello {
        /// The command used.
        kind: HelloKind,
        /// The argument.
        domain: String,
        /// Present when the application must answer.
        decision: Option<Decision>,
    },
    /// MAIL FROM: accept gives `250 2.1.0 Ok`.
    MailFrom {
        /// The reverse path.
        from: ReversePath<'static>,
        /// The parameters.
        params: MailParameters<'static>,
        /// Answer with accept or reject.
        decision: Decision,
    },
    /// RCPT TO: accept gives `250 2.1.5 Ok`.
    RcptTo {
        /// The forward path.
        to: ForwardPath<'static>,
        /// The parameters.
        params: RcptParameters<'static>,
        /// Answer with accept or reject.
        decision: Decision,
    },
    /// A piece of the message body (DATA un-stuffed, or BDAT as is).
    BodyChunk(Bytes),
    /// The message is complete: accept gives `250 2.0.0 Ok: queued`. In LMTP mode one per
    /// accepted recipient, in RCPT order.
    DataEnd {
        /// The recipient this answer is for (LMTP), else `None`.
        recipient: Option<ForwardPath<'static>>,
        /// Octets of body received.
        size: u64,
        /// Answer with accept or reject.
        decision: Decision,
    },
    /// The machine refused the message it was receiving (too big, bad line ends); the
    /// application drops what it collected.
    MessageRefused {
        /// The reply sent.
        reply: Reply<'static>,
    },
    /// The SASL exchange needs the stored secret of `authcid`: answer with
    /// [`Server::provide_secret`].
    AuthSecret {
        /// The mechanism.
        mechanism: Mechanism,
        /// The authentication identity.
        authcid: String,
        /// The requested authorization identity.
        authzid: Option<String>,
        /// Answer with `provide_secret`.
        decision: Decision,
    },
    /// The SASL exchange needs a bearer token checked: answer with [`Server::provide_token`].
    AuthToken {
        /// The mechanism.
        mechanism: Mechanism,
        /// The user named by the client.
        user: Option<String>,
        /// The token.
        token: Secret,
        /// Answer with `provide_token`.
        decision: Decision,
    },
    /// The client proved `authcid`: accept gives `235 2.7.0 Authentication successful`.
    AuthIdentity {
        /// The mechanism.
        mechanism: Mechanism,
        /// The authenticated identity.
        authcid: String,
        /// The authorization identity requested.
        authzid: Option<String>,
        /// Answer with accept or reject.
        decision: Decision,
    },
    /// RSET, or a new EHLO, cleared the transaction.
    Reset,
    /// TLS is now active; everything learned before is forgotten.
    TlsEstablished,
    /// The client sent QUIT.
    Quit,
    /// The client closed the connection.
    Closed,
}

/// What an open decision is about.
#[derive(Debug)]
enum Pending {
    Connect,
    Hello {
        kind: HelloKind,
        domain: String,
    },
    Mail {
        from: ReversePath<'static>,
        params: MailParameters<'static>,
    },
    Rcpt {
        to: ForwardPath<'static>,
    },
    DataEnd,
    AuthSecret,
    AuthToken,
    AuthIdentity {
        additional: Option<Vec<u8>>,
        via_authorize: bool,
        authcid: String,
    },
}

/// A reply in its place in command order.
#[derive(Debug)]
enum Slot {
    Ready(Vec<u8>),
    Waiting(u64),
}

#[derive(Debug)]
struct Transaction {
    params: MailParameters<'static>,
    rcpts: Vec<ForwardPath<'static>>,
    rcpt_attempts: usize,
    size: u64,
    too_big: bool,
    bad_ending: Option<&'static str>,
    long_line: bool,
    /// The line length limit over the message data (RFC 5321 4.5.3.1.6).
    lines: LineLimit,
    bdat_used: bool,
}

impl Transaction {
    fn refusal(&self, host: &str) -> Option<Reply<'static>> {
        let (code, e, text) = if self.too_big {
            (552, (5, 3, 4), "Error: message file too big".to_owned())
        } else if let Some(what) = self.bad_ending {
            (
                550,
                (5, 5, 2),
                format!("{host} Error: bare {what} received"),
            )
        } else if self.long_line {
            (554, (5, 6, 0), "Error: message line too long".to_owned())
        } else {
            return None;
        };
        Some(reply(code, e, &text))
    }
}

enum Mode {
    Command,
    Data(DotUnstuffer),
    Bdat {
        remaining: u64,
        last: bool,
        refused: Option<Reply<'static>>,
    },
    Auth(Box<sasl_proto::Server>),
    /// Waiting for the empty response to the SCRAM additional data.
    AuthFinal,
    Closed,
}

impl std::fmt::Debug for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Command => f.write_str("Command"),
            Self::Data(_) => f.write_str("Data"),
            Self::Bdat {
                remaining, last, ..
            } => write!(f, "Bdat({remaining}, {last})"),
            Self::Auth(_) => f.write_str("Auth"),
            Self::AuthFinal => f.write_str("AuthFinal"),
            Self::Closed => f.write_str("Closed"),
        }
    }
}

fn reply(code: u16, enhanced: (u8, u16, u16), text: &str) -> Reply<'static> {
    let code = ReplyCode::new(code).unwrap_or(ReplyCode::TRANSACTION_FAILED);
    let enhanced = EnhancedStatusCode::new(enhanced.0, enhanced.1, enhanced.2)
        .filter(|e| e.class() == code.class());
    Reply::new(code, enhanced, text)
        .or_else(|_| Reply::new(code, enhanced, "Error"))
        .unwrap_or_else(|_| Reply::from_parts(code, None, b"554 Error\r\n".to_vec().into()))
}

/// The SMTP/LMTP server machine.
pub struct Server {
    config: ServerConfig,
    input: InputBuffer,
    output: OutputBuffer,
    framer: LineFramer,
    slots: VecDeque<Slot>,
    decisions: Decisions<Pending>,
    events: VecDeque<Result<ServerEvent, ProtocolError>>,
    transport: VecDeque<TransportAction>,
    mode: Mode,
    greeted: Option<HelloKind>,
    tx: Option<Transaction>,
    tls: bool,
    tls_info: Option<TlsInfo>,
    authenticated: Option<String>,
    auth_mechanism: Option<Mechanism>,
    identity_accepted: bool,
    pending_identity: Option<String>,
    errors: usize,
    timer: Timer,
    activity: bool,
    closed: bool,
    eof: bool,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("mode", &self.mode)
            .field("greeted", &self.greeted)
            .field("tls", &self.tls)
            .field("authenticated", &self.authenticated)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A server for a new connection at `now`: it greets at once, or reports
    /// [`ServerEvent::Connected`] first when configured to.
    pub fn new(config: ServerConfig, now: Instant) -> Self {
        let mut timer = Timer::new(config.timeout);
        timer.start(now);
        let tls = config.implicit_tls;
        let input_limit = (64 * 1024).max(config.limits.max_sasl_line * 2);
        let mut server = Self {
            framer: LineFramer::new(config.limits.max_command_line, BareLineEnding::Reject),
            input: InputBuffer::new(input_limit),
            output: OutputBuffer::new(),
            slots: VecDeque::new(),
            decisions: Decisions::new(),
            events: VecDeque::new(),
            transport: VecDeque::new(),
            mode: Mode::Command,
            greeted: None,
            tx: None,
            tls,
            tls_info: config.tls_info.clone(),
            authenticated: None,
            auth_mechanism: None,
            identity_accepted: false,
            pending_identity: None,
            errors: 0,
            timer,
            activity: false,
            closed: false,
            eof: false,
            config,
        };
        if server.config.decide_connection {
            let decision = server.open(Pending::Connect);
            server.events.push_back(Ok(ServerEvent::Connected { decision }));
        } else {
            server.greet();
        }
        server.update_framer();
        server
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// The authenticated identity, if AUTH succeeded.
    pub fn authenticated(&self) -> Option<&str> {
        self.authenticated.as_deref()
    }

    /// True once TLS is active.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The capabilities an EHLO would get now.
    pub fn capabilities(&self) -> Capabilities {
        let mut caps = self.config.extensions.clone();
        caps.domain = self.config.hostname.clone();
        caps.size = Some(self.config.limits.max_message_size);
        caps.starttls = self.config.starttls && !self.tls;
        caps.auth = if self.auth_offered() && self.authenticated.is_none() {
            self.config.auth_mechanisms.iter().cloned().collect()
        } else {
            MechanismSet::new()
        };
        caps
    }

    fn auth_offered(&self) -> bool {
        !self.config.auth_mechanisms.is_empty() && (self.tls || self.config.plaintext_auth)
    }

    fn greet(&mut self) {
        let kind = if self.config.lmtp { "LMTP" } else { "ESMTP" };
        let text = format!("{} {kind}", self.config.hostname);
        let r = Reply::new(ReplyCode::READY, None, &text)
            .unwrap_or_else(|_| reply(220, (2, 0, 0), "ready"));
        self.push_reply(&r);
    }

    fn open(&mut self, pending: Pending) -> Decision {
        let decision = self.decisions.open(pending);
        self.slots.push_back(Slot::Waiting(decision.id()));
        decision
    }

    fn push_reply(&mut self, r: &Reply<'_>) {
        let mut bytes = Vec::with_capacity(r.raw().len() + 2);
        if crate::codec::encode_reply(r, &mut bytes).is_err() {
            bytes = b"554 5.0.0 Error\r\n".to_vec();
        }
        self.slots.push_back(Slot::Ready(bytes));
        self.flush();
    }

    fn send(&mut self, code: u16, enhanced: (u8, u16, u16), text: &str) {
        let r = reply(code, enhanced, text);
        self.push_reply(&r);
    }

    /// Sends an error reply and counts it; past the limit, 421 and close.
    fn error(&mut self, code: u16, enhanced: (u8, u16, u16), text: &str) {
        self.errors += 1;
        if self.errors > self.config.limits.max_errors {
            let text = format!("{} Error: too many errors", self.config.hostname);
            self.send(421, (4, 7, 0), &text);
            self.close();
            self.events.push_back(Err(ProtocolError::TooManyErrors));
        } else {
            self.send(code, enhanced, text);
        }
    }

    fn close(&mut self) {
        if !self.closed {
            self.closed = true;
            self.mode = Mode::Closed;
            self.timer.stop();
            self.transport.push_back(TransportAction::Close);
        }
    }

    fn flush(&mut self) {
        while let Some(Slot::Ready(_)) = self.slots.front() {
            if let Some(Slot::Ready(bytes)) = self.slots.pop_front() {
                self.output.push(&bytes);
            }
        }
    }

    fn fill(&mut self, id: u64, bytes: Vec<u8>) {
        for slot in &mut self.slots {
            if matches!(slot, Slot::Waiting(w) if *w == id) {
                *slot = Slot::Ready(bytes);
                break;
            }
        }
        self.flush();
    }

    fn fill_reply(&mut self, id: u64, r: &Reply<'_>) {
        let mut bytes = Vec::new();
        if crate::codec::encode_reply(r, &mut bytes).is_err() {
            bytes = b"554 5.0.0 Error\r\n".to_vec();
        }
        self.fill(id, bytes);
    }

    /// The command line limit: RFC 5321 4.5.3.1.4 plus the increments of what is offered.
    fn command_limit(&self) -> usize {
        let e = &self.config.extensions;
        let mut mail = increment::SIZE;
        let mut rcpt = 0;
        if e.binary_mime {
            mail += increment::BINARYMIME;
        }
        if e.smtputf8 {
            mail += increment::SMTPUTF8;
        }
        if self.auth_offered() {
            mail += increment::AUTH;
        }
        if e.dsn {
            mail += increment::DSN_MAIL;
            rcpt += increment::DSN_RCPT;
        }
        if e.deliver_by.is_some() {
            mail += increment::DELIVERBY;
        }
        if e.mt_priority.is_some() {
            mail += increment::MT_PRIORITY;
        }
        if e.future_release.is_some() {
            mail += increment::FUTURERELEASE;
        }
        if e.requiretls {
            mail += increment::REQUIRETLS;
        }
        if e.rrvs {
            rcpt += increment::RRVS;
        }
        self.config.limits.max_command_line + mail.max(rcpt)
    }

    fn update_framer(&mut self) {
        let mut limit = self.command_limit();
        if self.auth_offered() {
            // "AUTH " + mechanism (20) + SP + initial response + CRLF.
            limit = limit.max(self.config.limits.max_sasl_line + 28);
        }
        self.framer.set_max_len(limit);
    }

    /// Ends the session now, as a server that is shutting down does (RFC 5321 3.8): a 421
    /// reply goes out at once, ahead of any reply still waiting for a decision, and the
    /// connection closes. An open transaction is not delivered; the client keeps the message
    /// and tries again later.
    pub fn shutdown(&mut self) {
        if self.closed {
            return;
        }
        let text = format!(
            "{} Service shutting down and closing transmission channel",
            self.config.hostname
        );
        let r = reply(421, (4, 3, 2), &text);
        let mut bytes = Vec::with_capacity(r.raw().len() + 2);
        if crate::codec::encode_reply(&r, &mut bytes).is_err() {
            bytes = b"421 4.3.2 Service shutting down\r\n".to_vec();
        }
        // Replies ready in command order go first; those behind an open decision never will.
        self.flush();
        self.slots.clear();
        self.output.push(&bytes);
        self.close();
    }

    /// Accepts a decision with the default positive reply.
    pub fn accept(&mut self, decision: Decision) -> Result<(), UsageError> {
        self.answer(decision, None)
    }

    /// Accepts a decision with the given positive reply (for example a queue id).
    pub fn accept_with(
        &mut self,
        decision: Decision,
        reply: Reply<'static>,
    ) -> Result<(), UsageError> {
        self.answer(decision, Some(Ok(reply)))
    }

    /// Rejects a decision with the given reply (4xx or 5xx).
    pub fn reject(&mut self, decision: Decision, reply: Reply<'static>) -> Result<(), UsageError> {
        self.answer(decision, Some(Err(reply)))
    }

    /// Answers [`ServerEvent::AuthSecret`]: the stored secret, or `None` for an unknown user.
    pub fn provide_secret(
        &mut self,
        decision: Decision,
        secret: Option<StoredSecret>,
    ) -> Result<(), UsageError> {
        let id = decision.id();
        match self.decisions.close(decision) {
            Ok(Pending::AuthSecret) => {}
            Ok(_) | Err(_) => return Err(UsageError::UnknownDecision(id)),
        }
        let step = match &mut self.mode {
            Mode::Auth(sasl) => sasl.provide_secret(secret),
            _ => return Err(UsageError::NotNow("provide_secret")),
        };
        self.remove_slot(id);
        self.sasl_step(step);
        Ok(())
    }

    /// Answers [`ServerEvent::AuthToken`].
    pub fn provide_token(
        &mut self,
        decision: Decision,
        verdict: TokenVerdict,
    ) -> Result<(), UsageError> {
        let id = decision.id();
        match self.decisions.close(decision) {
            Ok(Pending::AuthToken) => {}
            Ok(_) | Err(_) => return Err(UsageError::UnknownDecision(id)),
        }
        let step = match &mut self.mode {
            Mode::Auth(sasl) => sasl.provide_token(verdict),
            _ => return Err(UsageError::NotNow("provide_token")),
        };
        self.remove_slot(id);
        self.sasl_step(step);
        Ok(())
    }

    fn remove_slot(&mut self, id: u64) {
        self.slots
            .retain(|s| !matches!(s, Slot::Waiting(w) if *w == id));
        self.flush();
    }

    fn answer(
        &mut self,
        decision: Decision,
        answer: Option<Result<Reply<'static>, Reply<'static>>>,
    ) -> Result<(), UsageError> {
        let id = decision.id();
        let pending = self
            .decisions
            .close(decision)
            .map_err(|e| UsageError::UnknownDecision(e.id))?;
        let accepted = !matches!(answer, Some(Err(_)));
        let custom = match answer {
            Some(Ok(r) | Err(r)) => Some(r),
            None => None,
        };
        match pending {
            Pending::Connect => {
                if accepted && custom.is_none() {
                    self.remove_slot(id);
                    self.greet();
                } else {
                    let r = custom.unwrap_or_else(|| reply(554, (5, 7, 1), "Error: access denied"));
                    self.fill_reply(id, &r);
                    if !accepted || !r.code().is_positive() {
                        self.close();
                    }
                }
            }
            Pending::Hello { kind, domain } => {
                if accepted {
                    let r = match custom {
                        Some(r) => r,
                        None => self.hello_reply(kind),
                    };
                    self.fill_reply(id, &r);
                    self.greeted = Some(kind);
                    let _ = domain;
                } else if let Some(r) = custom {
                    self.fill_reply(id, &r);
                }
            }
            Pending::Mail { from, params } => {
                let r = custom.unwrap_or_else(|| reply(250, (2, 1, 0), "Ok"));
                if accepted {
                    let _ = from;
                    self.tx = Some(Transaction {
                        params,
                        rcpts: Vec::new(),
                        rcpt_attempts: 0,
                        size: 0,
                        too_big: false,
                        bad_ending: None,
                        long_line: false,
                        lines: LineLimit::new(self.config.limits.max_text_line),
                        bdat_used: false,
                    });
                }
                self.fill_reply(id, &r);
            }
            Pending::Rcpt { to } => {
                let r = custom.unwrap_or_else(|| reply(250, (2, 1, 5), "Ok"));
                if accepted && let Some(tx) = &mut self.tx {
                    tx.rcpts.push(to);
                }
                self.fill_reply(id, &r);
            }
            Pending::DataEnd => {
                let r = custom.unwrap_or_else(|| reply(250, (2, 0, 0), "Ok: queued"));
                self.fill_reply(id, &r);
            }
            Pending::AuthIdentity {
                additional,
                via_authorize,
                authcid,
            } => {
                if !accepted {
                    let r = custom
                        .unwrap_or_else(|| reply(535, (5, 7, 8), "Error: authentication failed"));
                    self.fill_reply(id, &r);
                    self.mode = Mode::Command;
                } else if via_authorize {
                    self.remove_slot(id);
                    self.identity_accepted = true;
                    let step = match &mut self.mode {
                        Mode::Auth(sasl) => sasl.authorize(true),
                        _ => ServerStep::Failure(sasl_proto::Error::Usage("no exchange")),
                    };
                    self.sasl_step(step);
                } else {
                    self.remove_slot(id);
                    self.auth_success(authcid, additional);
                }
            }
            Pending::AuthSecret | Pending::AuthToken => {
                return Err(UsageError::NotNow("accept or reject of a SASL question"));
            }
        }
        Ok(())
    }

    fn hello_reply(&self, kind: HelloKind) -> Reply<'static> {
        match kind {
            HelloKind::Helo => Reply::new(ReplyCode::OK, None, &self.config.hostname)
                .unwrap_or_else(|_| reply(250, (2, 0, 0), "Ok")),
            HelloKind::Ehlo | HelloKind::Lhlo => self
                .capabilities()
                .to_reply("")
                .unwrap_or_else(|_| reply(250, (2, 0, 0), "Ok")),
        }
    }

    fn reset_transaction(&mut self) {
        self.tx = None;
    }

    fn handle_line(&mut self, line: &[u8]) -> Option<ServerEvent> {
        let limits = self.config.limits;
        let command = match parse_command_line(line, &limits) {
            Ok(c) => c,
            Err(e) => {
                let (code, en, text) = match e.kind {
                    ParseErrorKind::UnknownCommand => {
                        (502, (5, 5, 2), "Error: command not recognized")
                    }
                    ParseErrorKind::BadPath => {
                        if line
                            .get(..4)
                            .is_some_and(|v| v.eq_ignore_ascii_case(b"RCPT"))
                        {
                            (501, (5, 1, 3), "Bad recipient address syntax")
                        } else {
                            (501, (5, 1, 7), "Bad sender address syntax")
                        }
                    }
                    ParseErrorKind::TooLong => (501, (5, 1, 0), "Error: address too long"),
                    ParseErrorKind::BadParameter => (501, (5, 5, 4), "Error: bad parameter syntax"),
                    ParseErrorKind::NotUtf8 => (500, (5, 5, 2), "Error: bad UTF-8 syntax"),
                    _ => (501, (5, 5, 4), "Syntax error in parameters or arguments"),
                };
                self.error(code, en, text);
                return None;
            }
        };
        let is_auth = matches!(command, Command::Auth { .. });
        if !is_auth && line.len() + 2 > self.command_limit() {
            self.error(500, (5, 5, 0), "Error: line too long");
            return None;
        }
        self.command(command)
    }

    fn command(&mut self, command: Command<'_>) -> Option<ServerEvent> {
        match command {
            Command::Ehlo(d) => self.hello(HelloKind::Ehlo, &d),
            Command::Helo(d) => self.hello(HelloKind::Helo, &d),
            Command::Lhlo(d) => self.hello(HelloKind::Lhlo, &d),
            Command::Mail { from, params } => self.mail(from, params),
            Command::Rcpt { to, params } => self.rcpt(to, params),
            Command::Data => self.data(),
            Command::Bdat { size, last } => self.bdat(size, last),
            Command::Rset => {
                self.reset_transaction();
                self.send(250, (2, 0, 0), "Ok");
                Some(ServerEvent::Reset)
            }
            Command::Noop(_) => {
                self.send(250, (2, 0, 0), "Ok");
                None
            }
            Command::Help(_) => {
                self.send(214, (2, 0, 0), "See RFC 5321");
                None
            }
            Command::Vrfy(_) => {
                self.send(252, (2, 0, 0), "Send some mail, I'll try my best");
                None
            }
            Command::Expn(_) | Command::Etrn(_) => {
                self.error(502, (5, 5, 1), "Error: command not implemented");
                None
            }
            Command::Quit => {
                self.send(221, (2, 0, 0), "Bye");
                self.close();
                Some(ServerEvent::Quit)
            }
            Command::StartTls => self.starttls(),
            Command::Auth {
                mechanism,
                initial_response,
            } => self.auth(&mechanism, initial_response.as_deref()),
        }
    }

    fn hello(&mut self, kind: HelloKind, domain: &str) -> Option<ServerEvent> {
        let allowed = match kind {
            HelloKind::Lhlo => self.config.lmtp,
            HelloKind::Helo | HelloKind::Ehlo => !self.config.lmtp,
        };
        if !allowed {
            self.error(500, (5, 5, 1), "Error: command not recognized");
            return None;
        }
        let had_tx = self.tx.is_some();
        self.reset_transaction();
        let domain = domain.to_owned();
        if self.config.decide_hello {
            let decision = self.open(Pending::Hello {
                kind,
                domain: domain.clone(),
            });
            return Some(ServerEvent::Hello {
                kind,
                domain,
                decision: Some(decision),
            });
        }
        let r = self.hello_reply(kind);
        self.push_reply(&r);
        self.greeted = Some(kind);
        if had_tx {
            self.events.push_back(Ok(ServerEvent::Reset));
        }
        Some(ServerEvent::Hello {
            kind,
            domain,
            decision: None,
        })
    }

    fn mail(&mut self, from: ReversePath<'_>, params: MailParameters<'_>) -> Option<ServerEvent> {
        if self.greeted.is_none() {
            self.error(503, (5, 5, 1), "Error: send HELO/EHLO first");
            return None;
        }
        if self.tx.is_some() {
            self.error(503, (5, 5, 1), "Error: nested MAIL command");
            return None;
        }
        if self.config.require_auth && self.authenticated.is_none() {
            self.error(530, (5, 7, 0), "Error: authentication required");
            return None;
        }
        let e = &self.config.extensions;
        let esmtp = self.greeted != Some(HelloKind::Helo);
        let unsupported = if !params.is_empty() && !esmtp {
            Some("parameters after HELO")
        } else if params.body == Some(Body::EightBitMime) && !e.eight_bit_mime {
            Some("BODY=8BITMIME")
        } else if params.body == Some(Body::BinaryMime) && !(e.binary_mime && e.chunking) {
            Some("BODY=BINARYMIME")
        } else if params.smtputf8 && !e.smtputf8 {
            Some("SMTPUTF8")
        } else if (params.ret.is_some() || params.envid.is_some()) && !e.dsn {
            Some("RET/ENVID")
        } else if params.requiretls && !(e.requiretls && self.tls) {
            Some("REQUIRETLS")
        } else if params.mt_priority.is_some() && e.mt_priority.is_none() {
            Some("MT-PRIORITY")
        } else if params.by.is_some() && e.deliver_by.is_none() {
            Some("BY")
        } else if (params.hold_for.is_some() || params.hold_until.is_some())
            && e.future_release.is_none()
        {
            Some("HOLDFOR/HOLDUNTIL")
        } else if params.unknown().next().is_some() {
            Some("unknown parameter")
        } else {
            None
        };
        if let Some(what) = unsupported {
            self.error(555, (5, 5, 4), &format!("Unsupported option: {what}"));
            return None;
        }
        if let ReversePath::Mailbox(m) = &from
            && !m.is_ascii()
            && !params.smtputf8
        {
            self.error(553, (5, 6, 7), "Error: non-ASCII address without SMTPUTF8");
            return None;
        }
        if params
            .size
            .is_some_and(|s| s > self.config.limits.max_message_size)
        {
            self.error(552, (5, 3, 4), "Message size exceeds fixed limit");
            return None;
        }
        let from = from.into_owned();
        let params = params.into_owned();
        let decision = self.open(Pending::Mail {
            from: from.clone(),
            params: params.clone(),
        });
        Some(ServerEvent::MailFrom {
            from,
            params,
            decision,
        })
    }

    fn rcpt(&mut self, to: ForwardPath<'_>, params: RcptParameters<'_>) -> Option<ServerEvent> {
        let smtputf8 = match &self.tx {
            None => {
                self.error(503, (5, 5, 1), "Error: need MAIL command");
                return None;
            }
            Some(tx) => tx.params.smtputf8,
        };
        let e = &self.config.extensions;
        let unsupported = if (params.notify.is_some() || params.orcpt.is_some()) && !e.dsn {
            Some("NOTIFY/ORCPT")
        } else if params.rrvs.is_some() && !e.rrvs {
            Some("RRVS")
        } else if params.unknown().next().is_some() {
            Some("unknown parameter")
        } else {
            None
        };
        if let Some(what) = unsupported {
            self.error(555, (5, 5, 4), &format!("Unsupported option: {what}"));
            return None;
        }
        if let ForwardPath::Mailbox(m) = &to
            && !m.is_ascii()
            && !smtputf8
        {
            self.error(553, (5, 6, 7), "Error: non-ASCII address without SMTPUTF8");
            return None;
        }
        let max = self.config.limits.max_recipients;
        if let Some(tx) = &mut self.tx {
            tx.rcpt_attempts += 1;
            if tx.rcpts.len() >= max {
                self.send(452, (4, 5, 3), "Error: too many recipients");
                return None;
            }
        }
        let to = to.into_owned();
        let decision = self.open(Pending::Rcpt { to: to.clone() });
        Some(ServerEvent::RcptTo {
            to,
            params: params.into_owned(),
            decision,
        })
    }

    fn data(&mut self) -> Option<ServerEvent> {
        let Some(tx) = &self.tx else {
            self.error(503, (5, 5, 1), "Error: need MAIL command");
            return None;
        };
        if tx.bdat_used {
            self.error(503, (5, 5, 1), "Error: DATA after BDAT");
            return None;
        }
        if tx.params.body == Some(Body::BinaryMime) {
            self.error(503, (5, 5, 1), "Error: BODY=BINARYMIME requires BDAT");
            return None;
        }
        if tx.rcpts.is_empty() {
            if tx.rcpt_attempts > 0 {
                self.error(554, (5, 5, 1), "Error: no valid recipients");
            } else {
                self.error(503, (5, 5, 1), "Error: need RCPT command");
            }
            return None;
        }
        self.send(354, (0, 0, 0), "End data with <CR><LF>.<CR><LF>");
        self.mode = Mode::Data(DotUnstuffer::new(self.config.bare_line_endings));
        None
    }

    fn bdat(&mut self, size: u64, last: bool) -> Option<ServerEvent> {
        let refused = if !self.config.extensions.chunking {
            Some(reply(502, (5, 5, 1), "Error: command not implemented"))
        } else {
            match &self.tx {
                None => Some(reply(503, (5, 5, 1), "Error: need MAIL command")),
                Some(tx) if tx.rcpts.is_empty() => Some(if tx.rcpt_attempts > 0 {
                    reply(554, (5, 5, 1), "Error: no valid recipients")
                } else {
                    reply(503, (5, 5, 1), "Error: need RCPT command")
                }),
                Some(_) => None,
            }
        };
        if refused.is_some() {
            self.errors += 1;
        }
        let max = self.config.limits.max_message_size;
        if refused.is_none()
            && let Some(tx) = &mut self.tx
        {
            tx.bdat_used = true;
            tx.size = tx.size.saturating_add(size);
            if tx.size > max {
                tx.too_big = true;
            }
        }
        self.mode = Mode::Bdat {
            remaining: size,
            last,
            refused,
        };
        None
    }

    fn starttls(&mut self) -> Option<ServerEvent> {
        if self.tls || !self.config.starttls {
            self.error(502, (5, 5, 1), "Error: command not implemented");
            return None;
        }
        if !self.input.is_empty() {
            // Bytes pipelined after STARTTLS would be taken as if sent over TLS.
            self.close();
            self.events.push_back(Err(ProtocolError::DataAfterStartTls));
            return None;
        }
        self.send(220, (2, 0, 0), "Ready to start TLS");
        self.transport.push_back(TransportAction::StartTls);
        None
    }

    fn auth(&mut self, mechanism: &str, initial: Option<&str>) -> Option<ServerEvent> {
        if !self.auth_offered() {
            self.error(503, (5, 5, 1), "Error: authentication not enabled");
            return None;
        }
        if self.greeted.is_none() || self.greeted == Some(HelloKind::Helo) {
            self.error(503, (5, 5, 1), "Error: send EHLO first");
            return None;
        }
        if self.authenticated.is_some() {
            self.error(503, (5, 5, 1), "Error: already authenticated");
            return None;
        }
        if self.tx.is_some() {
            self.error(503, (5, 5, 1), "Error: MAIL transaction in progress");
            return None;
        }
        let mech = Mechanism::parse(mechanism)
            .ok()
            .filter(|m| self.config.auth_mechanisms.contains(m));
        let Some(mech) = mech else {
            self.error(504, (5, 5, 4), "Unrecognized authentication type");
            return None;
        };
        let sasl_limits = sasl_proto::Limits::default();
        let ir = match initial {
            None => None,
            Some(text) => match decode_response_with(text.as_bytes(), &sasl_limits) {
                Ok(StepResponse::Data(d)) => Some(d),
                Ok(StepResponse::Cancel) => {
                    self.error(501, (5, 7, 0), "Authentication aborted");
                    return None;
                }
                Err(_) => {
                    self.error(501, (5, 5, 2), "Cannot decode response");
                    return None;
                }
            },
        };
        let mut config = (self.config.sasl)();
        if let Some(binding) = self.tls_info.as_ref().and_then(|i| {
            ChannelBinding::from_tls(i.tls_exporter.as_deref(), i.tls_server_end_point.as_deref())
        }) {
            config = config.with_channel_binding(binding);
        }
        config = config.with_advertised_plus(
            self.config.auth_mechanisms.iter().any(Mechanism::is_plus) && self.tls,
        );
        let mut sasl = match sasl_proto::Server::new(mech.clone(), config) {
            Ok(s) => s,
            Err(_) => {
                self.error(504, (5, 5, 4), "Unrecognized authentication type");
                return None;
            }
        };
        let step = sasl.start(ir.as_deref());
        self.auth_mechanism = Some(mech);
        self.mode = Mode::Auth(Box::new(sasl));
        self.sasl_step(step);
        None
    }

    fn sasl_step(&mut self, step: ServerStep) {
        let mechanism = self.auth_mechanism.clone().unwrap_or(Mechanism::Plain);
        match step {
            ServerStep::Challenge(c) => {
                let mut line = b"334 ".to_vec();
                line.extend_from_slice(&sasl_proto::codec::encode_continuation(&c));
                line.extend_from_slice(b"\r\n");
                self.slots.push_back(Slot::Ready(line));
                self.flush();
            }
            ServerStep::NeedSecret {
                authcid, authzid, ..
            } => {
                let decision = self.open(Pending::AuthSecret);
                self.events.push_back(Ok(ServerEvent::AuthSecret {
                    mechanism,
                    authcid,
                    authzid,
                    decision,
                }));
            }
            ServerStep::NeedToken { user, token, .. } => {
                let decision = self.open(Pending::AuthToken);
                self.events.push_back(Ok(ServerEvent::AuthToken {
                    mechanism,
                    user,
                    token,
                    decision,
                }));
            }
            ServerStep::NeedAuthorize { authcid, authzid } => {
                let decision = self.open(Pending::AuthIdentity {
                    additional: None,
                    via_authorize: true,
                    authcid: authcid.clone(),
                });
                self.events.push_back(Ok(ServerEvent::AuthIdentity {
                    mechanism,
                    authcid,
                    authzid,
                    decision,
                }));
            }
            ServerStep::Success {
                authcid,
                authzid,
                additional_data,
            } => {
                if self.identity_accepted {
                    self.auth_success(authcid, additional_data);
                } else {
                    let decision = self.open(Pending::AuthIdentity {
                        additional: additional_data,
                        via_authorize: false,
                        authcid: authcid.clone(),
                    });
                    self.events.push_back(Ok(ServerEvent::AuthIdentity {
                        mechanism,
                        authcid,
                        authzid,
                        decision,
                    }));
                }
            }
            ServerStep::Failure(_) => {
                self.mode = Mode::Command;
                self.error(535, (5, 7, 8), "Error: authentication failed");
            }
            _ => {
                self.mode = Mode::Command;
                self.error(535, (5, 7, 8), "Error: authentication failed");
            }
        }
    }
}

impl Server {
    fn auth_success(&mut self, authcid: String, additional: Option<Vec<u8>>) {
        self.identity_accepted = false;
        match additional {
            Some(data) => {
                // RFC 4954 4: additional data with success goes in a last 334, answered
                // by an empty line.
                let mut line = b"334 ".to_vec();
                line.extend_from_slice(&sasl_proto::codec::encode_continuation(&data));
                line.extend_from_slice(b"\r\n");
                self.slots.push_back(Slot::Ready(line));
                self.flush();
                self.pending_identity = Some(authcid);
                self.mode = Mode::AuthFinal;
            }
            None => {
                self.authenticated = Some(authcid);
                self.mode = Mode::Command;
                self.send(235, (2, 7, 0), "Authentication successful");
                self.update_framer();
            }
        }
    }

    fn auth_line(&mut self, line: &[u8]) {
        if line == b"*" {
            self.mode = Mode::Command;
            self.pending_identity = None;
            self.error(501, (5, 7, 0), "Authentication aborted");
            return;
        }
        if matches!(self.mode, Mode::AuthFinal) {
            if line.is_empty() || line == b"=" {
                let authcid = self.pending_identity.take().unwrap_or_default();
                self.auth_success(authcid, None);
            } else {
                self.mode = Mode::Command;
                self.error(535, (5, 7, 8), "Error: authentication failed");
            }
            return;
        }
        let limits =
            sasl_proto::Limits::default().with_max_line_len(self.config.limits.max_sasl_line);
        let data = match decode_response_with(line, &limits) {
            Ok(StepResponse::Data(d)) => d,
            Ok(StepResponse::Cancel) => {
                self.mode = Mode::Command;
                self.error(501, (5, 7, 0), "Authentication aborted");
                return;
            }
            Err(_) => {
                self.mode = Mode::Command;
                self.error(501, (5, 5, 2), "Cannot decode response");
                return;
            }
        };
        let step = match &mut self.mode {
            Mode::Auth(sasl) => sasl.step(&data),
            _ => return,
        };
        self.sasl_step(step);
    }

    /// One step of parsing: an event, `Some(None)` to go on, `None` for more input.
    fn step(&mut self) -> Option<Option<Result<ServerEvent, ProtocolError>>> {
        match &mut self.mode {
            Mode::Closed => None,
            Mode::Command | Mode::Auth(_) | Mode::AuthFinal => {
                let auth = !matches!(self.mode, Mode::Command);
                match self.framer.poll_line(self.input.data())? {
                    Ok(line) => {
                        if auth {
                            self.auth_line(&line);
                            Some(None)
                        } else {
                            Some(self.handle_line(&line).map(Ok))
                        }
                    }
                    Err(LineError::TooLong { .. }) => {
                        if auth {
                            self.mode = Mode::Command;
                        }
                        self.error(500, (5, 5, 0), "Error: line too long");
                        Some(None)
                    }
                    Err(_) => {
                        if auth {
                            self.mode = Mode::Command;
                        }
                        self.error(500, (5, 5, 2), "Error: bare <CR> or <LF> received");
                        Some(None)
                    }
                }
            }
            Mode::Data(unstuffer) => {
                let polled = unstuffer.poll(self.input.data())?;
                let max_size = self.config.limits.max_message_size;
                match polled {
                    Ok(Unstuffed::Data(chunk)) => {
                        let tx = self.tx.as_mut()?;
                        tx.size = tx.size.saturating_add(chunk.len() as u64);
                        if tx.size > max_size {
                            tx.too_big = true;
                        }
                        if tx.lines.check(&chunk).is_some() {
                            tx.long_line = true;
                        }
                        if tx.refusal("").is_some() {
                            Some(None)
                        } else {
                            Some(Some(Ok(ServerEvent::BodyChunk(chunk))))
                        }
                    }
                    Ok(Unstuffed::End) => {
                        self.framer.reset();
                        self.mode = Mode::Command;
                        Some(self.end_of_data())
                    }
                    Err(e) => {
                        if let Some(tx) = self.tx.as_mut() {
                            tx.bad_ending = Some(match e {
                                proto_core::DotError::BareCr { .. } => "<CR>",
                                _ => "<LF>",
                            });
                        }
                        Some(None)
                    }
                }
            }
            Mode::Bdat {
                remaining,
                last,
                refused,
            } => {
                let data = self.input.data();
                if *remaining > 0 {
                    if data.is_empty() {
                        return None;
                    }
                    let n = usize::try_from(*remaining)
                        .unwrap_or(usize::MAX)
                        .min(data.len());
                    let chunk = data.split_to(n).freeze();
                    *remaining -= n as u64;
                    let pass = refused.is_none()
                        && self.tx.as_ref().is_some_and(|t| t.refusal("").is_none());
                    return Some(pass.then_some(Ok(ServerEvent::BodyChunk(chunk))));
                }
                let last = *last;
                let refused = refused.take();
                self.framer.reset();
                self.mode = Mode::Command;
                if let Some(r) = refused {
                    self.push_reply(&r);
                    return Some(None);
                }
                if last {
                    Some(self.end_of_data())
                } else {
                    let size = self.tx.as_ref().map_or(0, |t| t.size);
                    self.send(250, (2, 0, 0), &format!("Ok: {size} octets received"));
                    Some(None)
                }
            }
        }
    }

    fn end_of_data(&mut self) -> Option<Result<ServerEvent, ProtocolError>> {
        let tx = self.tx.take()?;
        let size = tx.size;
        if let Some(r) = tx.refusal(&self.config.hostname) {
            let count = if self.config.lmtp { tx.rcpts.len() } else { 1 };
            for _ in 0..count {
                self.push_reply(&r);
            }
            return Some(Ok(ServerEvent::MessageRefused { reply: r }));
        }
        if self.config.lmtp {
            let mut first = None;
            for rcpt in tx.rcpts {
                let decision = self.open(Pending::DataEnd);
                let event = ServerEvent::DataEnd {
                    recipient: Some(rcpt),
                    size,
                    decision,
                };
                if first.is_none() {
                    first = Some(event);
                } else {
                    self.events.push_back(Ok(event));
                }
            }
            return first.map(Ok);
        }
        let decision = self.open(Pending::DataEnd);
        Some(Ok(ServerEvent::DataEnd {
            recipient: None,
            size,
            decision,
        }))
    }
}

impl Machine for Server {
    type Event = ServerEvent;
    type Error = ProtocolError;

    fn receive(&mut self, data: &[u8]) {
        if !data.is_empty() {
            self.activity = true;
        }
        if !self.closed {
            self.input.extend(data);
        }
    }

    fn input_buffer(&mut self) -> &mut [u8] {
        self.input.spare()
    }

    fn commit_input(&mut self, n: usize) {
        if n > 0 {
            self.activity = true;
        }
        self.input.commit(n);
    }

    fn receive_eof(&mut self) {
        // Commands already received are handled first (poll_event).
        self.eof = true;
    }

    fn wants_input(&self) -> bool {
        !self.closed
            && self.input.has_room()
            && self.decisions.is_empty()
            && self.transport.is_empty()
    }

    fn transmit(&self) -> &[u8] {
        self.output.pending()
    }

    fn advance_transmit(&mut self, n: usize) {
        self.output.advance(n);
    }

    fn poll_event(&mut self) -> Option<Result<ServerEvent, ProtocolError>> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Some(event);
            }
            if !self.decisions.is_empty() || !self.transport.is_empty() || self.closed {
                return None;
            }
            match self.step() {
                None => {
                    if self.eof {
                        self.close();
                        return Some(Ok(ServerEvent::Closed));
                    }
                    return None;
                }
                Some(Some(event)) => return Some(event),
                Some(None) => {}
            }
        }
    }

    fn poll_transport(&mut self) -> Option<TransportAction> {
        // A Close waits until the replies before it are out of the slots.
        if self.transport.front() == Some(&TransportAction::Close) && !self.slots.is_empty() {
            return None;
        }
        self.transport.pop_front()
    }

    fn tls_established(&mut self, info: TlsInfo) {
        // RFC 3207 4.2: forget everything learned before TLS.
        self.tls = true;
        self.tls_info = Some(info);
        self.greeted = None;
        self.tx = None;
        self.authenticated = None;
        self.mode = Mode::Command;
        self.framer.reset();
        self.update_framer();
        self.events.push_back(Ok(ServerEvent::TlsEstablished));
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.timer.deadline()
    }

    fn input_arrived(&mut self, now: Instant) {
        if std::mem::take(&mut self.activity) && self.timer.deadline().is_some() {
            self.timer.start(now);
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        if self.timer.expire(now) {
            if std::mem::take(&mut self.activity) {
                // Input arrived since the timer started: the phase goes on from now.
                self.timer.start(now);
                return;
            }
            let text = format!("{} Error: timeout exceeded", self.config.hostname);
            self.send(421, (4, 4, 2), &text);
            self.close();
            self.events
                .push_back(Err(ProtocolError::Timeout("command")));
        }
    }
}
