//! The server machine: AUTHORIZATION, TRANSACTION and UPDATE states (RFC 1939 section 3).
//!
//! The machine answers what needs no judgement (CAPA, STAT, LIST, UIDL, DELE, RSET, NOOP,
//! LAST, STLS, UTF8, LANG) and asks the application, through [`Decision`] tokens, for the rest:
//! a login ([`ServerEvent::Login`]: USER/PASS, APOP, or the identity a SASL exchange
//! established) together with access to the maildrop, what a SASL mechanism needs
//! ([`ServerEvent::AuthQuestion`], through sasl-proto's `ServerExchange`, the bridge SMTP and
//! IMAP use too), each message to send ([`ServerEvent::Retrieve`], answered by streaming
//! chunks), and the deletions at QUIT ([`ServerEvent::Update`]). Deletions are applied only
//! through that last decision: a dropped connection or an autologout never produces it. A
//! token answered through the method of another kind of decision comes back open
//! ([`UsageError::WrongAnswer`]), and the session goes on.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use proto_core::{
    BareLineEnding, Decision, Decisions, DotStuffer, Expiry, IdleRules, IdleTimer, InputBuffer,
    LineError, LineFramer, Machine, OutputBuffer, StuffConfig, TlsInfo, TransportAction,
};
use sasl_proto::{
    Answer, ChannelBinding, ExchangeStep, FixedNonce, Mechanism, NonceSource, Question, Secret,
    ServerExchange,
};

use crate::codec::{
    check_uid, encode_capability, encode_list_entry, encode_status_line, encode_uidl_entry,
    parse_command_line,
};
use crate::error::{ProtocolError, UsageError};
use crate::limits::Limits;
use crate::types::{
    Capability, Command, Expire, ListEntry, MessageNumber, ResponseCode, StatusLine, UidlEntry,
};

mod config;
mod event;
mod login;
mod maildrop;
mod top;

pub use config::*;
pub use event::*;
pub use login::*;
pub use maildrop::*;
use top::TopCut;

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

/// Streams a message body out, cutting it for TOP.
struct BodyOut {
    stuffer: DotStuffer,
    top: Option<TopCut>,
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
    sasl: Option<ServerExchange>,
    body: Option<BodyOut>,
    tls_active: bool,
    awaiting_tls: bool,
    channel_binding: Option<ChannelBinding>,
    utf8: bool,
    language: Option<String>,
    failures: u32,
    pending_user: Option<String>,
    idle: IdleTimer,
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
        let idle = IdleTimer::new(config.idle, now);
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
            tls_active: config.implicit_tls,
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
        self.decisions
            .close_if(decision, |p| matches!(p, Pending::Login))?;
        let user = self.pending_user.take().unwrap_or_default();
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
        self.idle.login();
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
        self.decisions
            .close_if(decision, |p| matches!(p, Pending::Login))?;
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

    /// Answers [`ServerEvent::AuthQuestion`] with the [`Answer`] of the question's kind. A
    /// token of another kind of decision, or an answer of another kind than the question,
    /// changes nothing: the token comes back open in [`UsageError::WrongAnswer`].
    pub fn answer_auth(&mut self, decision: Decision, answer: Answer) -> Result<(), UsageError> {
        let exchange = &self.sasl;
        self.decisions.close_if(decision, |pending| {
            matches!(pending, Pending::Sasl)
                && exchange.as_ref().is_some_and(|e| e.accepts(&answer))
        })?;
        let Some(exchange) = self.sasl.as_mut() else {
            return Err(UsageError::NotNow {
                command: "answer_auth",
                state: "no SASL exchange",
            });
        };
        let step = exchange.answer(answer);
        self.sasl_step(step);
        Ok(())
    }

    /// Accepts a RETR or TOP: `+OK` is sent; stream the whole message with
    /// [`write_body`](Self::write_body) and end with [`finish_body`](Self::finish_body).
    pub fn accept_retrieve(&mut self, decision: Decision) -> Result<(), UsageError> {
        let Pending::Retrieve { number, top } = self
            .decisions
            .close_if(decision, |p| matches!(p, Pending::Retrieve { .. }))?
        else {
            // close_if closes only a Retrieve decision.
            return Ok(());
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
        self.decisions
            .close_if(decision, |p| matches!(p, Pending::Retrieve { .. }))?;
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
        self.decisions
            .close_if(decision, |p| matches!(p, Pending::Update))?;
        let text = text.unwrap_or("POP3 server signing off");
        self.reply_ok(text.as_bytes());
        self.close();
        Ok(())
    }

    /// Some deletions failed (RFC 1939 section 6): `-ERR [SYS/TEMP]`, and the connection
    /// closes.
    pub fn reject_update(&mut self, decision: Decision) -> Result<(), UsageError> {
        self.decisions
            .close_if(decision, |p| matches!(p, Pending::Update))?;
        self.reply(
            StatusLine::err(&b"some deleted messages not removed"[..])
                .with_code(ResponseCode::SysTemp),
        );
        self.close();
        Ok(())
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
                    self.idle.progress();
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
                        self.events.push_back(Ok(ServerEvent::Closed));
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
        let mut exchange = match ServerExchange::new(auth.mechanism, sasl_config, "+ ") {
            Ok(exchange) => exchange,
            Err(_) => return self.reply_err(b"mechanism unavailable"),
        };
        let step = exchange.start(auth.initial_response.as_deref().map(str::as_bytes));
        self.sasl = Some(exchange);
        self.sasl_step(step);
    }

    fn sasl_line(&mut self, line: &[u8]) {
        let Some(exchange) = self.sasl.as_mut() else {
            return;
        };
        let step = exchange.line(line);
        self.sasl_step(step);
    }

    fn sasl_step(&mut self, step: ExchangeStep) {
        match step {
            ExchangeStep::Send(line) => self.output.push(&line),
            ExchangeStep::Ask(question) => self.ask_sasl(question),
            ExchangeStep::Success { authcid, authzid } => {
                let mechanism = self
                    .sasl
                    .take()
                    .map_or(Mechanism::Plain, |e| e.mechanism().clone());
                self.open_login(LoginRequest::Sasl {
                    mechanism,
                    authcid,
                    authzid,
                });
            }
            ExchangeStep::Failure(sasl_proto::Error::Cancelled) => {
                self.sasl = None;
                self.reply_err(b"AUTH cancelled");
            }
            ExchangeStep::Failure(sasl_proto::Error::Base64(_)) => {
                self.sasl = None;
                self.login_failed(ResponseCode::Auth, b"invalid base64", true);
            }
            _ => {
                self.sasl = None;
                self.login_failed(ResponseCode::Auth, b"Authentication failed", true);
            }
        }
    }

    fn ask_sasl(&mut self, question: Question) {
        let decision = self.decisions.open(Pending::Sasl);
        self.events
            .push_back(Ok(ServerEvent::AuthQuestion { question, decision }));
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
                for (number, m) in numbered(messages) {
                    encode_list_entry(
                        &ListEntry {
                            number,
                            size: m.size,
                        },
                        &mut out,
                    );
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
                for (number, m) in numbered(messages) {
                    let _ = encode_uidl_entry(
                        &UidlEntry {
                            number,
                            uid: m.uid.as_str().into(),
                        },
                        &mut out,
                    );
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

    proto_core::machine_buffers!();

    fn receive(&mut self, data: &[u8], now: Instant) {
        self.idle.input(now);
        if !self.fatal && !self.is_closed() {
            self.input.extend(data);
        }
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

    fn handle_timeout(&mut self, now: Instant) {
        let Some(expiry) = self.idle.expire(now) else {
            return;
        };
        if expiry == Expiry::Idle && (!self.decisions.is_empty() || self.body.is_some()) {
            // The application is deciding or sending a message: the client is not idle.
            self.idle.restart(now);
            return;
        }
        self.reply(StatusLine::err(&b"autologout; idle for too long"[..]));
        self.events.push_back(Err(ProtocolError::Timeout(expiry)));
        self.close();
    }
}

/// The messages not marked deleted, with their numbers (LIST and UIDL without an argument).
fn numbered(messages: &[Message]) -> impl Iterator<Item = (MessageNumber, &Message)> {
    messages.iter().enumerate().filter_map(|(i, m)| {
        let number = u32::try_from(i + 1).ok().and_then(MessageNumber::new)?;
        (!m.deleted).then_some((number, m))
    })
}
