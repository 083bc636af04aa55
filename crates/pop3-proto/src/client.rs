//! The client machine: greeting, CAPA, STLS, login (USER/PASS, APOP, SASL), the
//! TRANSACTION commands with bodies streamed as chunks, QUIT, and PIPELINING when offered.
//!
//! Commands are queued with `send_*` calls that answer a [`CommandId`] at once, or a
//! [`UsageError`] with the machine unchanged when the command is illegal now or not offered.
//! Each result event carries the id of its command. Without PIPELINING the machine sends one
//! command at a time; with it, everything but STLS and the login steps goes out at once
//! (RFC 2449 section 6.6).

use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use proto_core::{
    BareLineEnding, CommandId, CommandIds, DotUnstuffer, IdleRules, IdleTimer, InputBuffer,
    LineError, LineFramer, Machine, OutputBuffer, TlsInfo, TransportAction, Unstuffed,
};
use sasl_proto::{ChannelBinding, ClientStep, Credentials, Mechanism, NonceSource};

use crate::codec::{
    encode_command_with, find_timestamp, parse_capability, parse_continuation, parse_language,
    parse_list_entry, parse_stat_text, parse_status_line, parse_uidl_entry, unstuff_line,
};
use crate::error::{ParseError, ProtocolError, UsageError};
use crate::limits::Limits;
use crate::types::{
    Capabilities, Capability, Command, Language, ListEntry, MessageNumber, StatusLine, Timestamp,
    UidlEntry,
};

mod config;
mod event;
mod uidl;

pub use config::*;
pub use event::*;
pub use uidl::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Greeting,
    Authorization,
    Transaction,
    Closed,
}

/// What an in-flight command waits for.
#[derive(Debug)]
enum Expect {
    Capa,
    Stls,
    User,
    Pass,
    Apop,
    Auth,
    Stat,
    List(Option<MessageNumber>),
    Uidl(Option<MessageNumber>),
    LangList,
    Body,
    Simple(&'static str),
    Quit,
}

#[derive(Debug)]
struct InFlight {
    id: CommandId,
    expect: Expect,
}

#[derive(Debug)]
struct Queued {
    id: CommandId,
    line: Vec<u8>,
    expect: Expect,
    /// Never pipelined: sent only when nothing is in flight, and nothing goes after it until
    /// it is answered.
    barrier: bool,
}

enum Listing {
    List(Vec<ListEntry>),
    Uidl(Vec<UidlEntry<'static>>),
    Capa(Vec<Capability<'static>>),
    Lang(Vec<Language<'static>>),
}

impl Listing {
    fn len(&self) -> usize {
        match self {
            Self::List(v) => v.len(),
            Self::Uidl(v) => v.len(),
            Self::Capa(v) => v.len(),
            Self::Lang(v) => v.len(),
        }
    }
}

struct Login {
    password: Option<String>,
    sasl: Option<sasl_proto::Client>,
    /// An initial response too long for the AUTH line, sent after the empty challenge.
    deferred: Option<Vec<u8>>,
}

/// The POP3 client machine.
pub struct Client {
    /// UTF8 was sent: no STLS may follow (RFC 6856 section 2).
    utf8_sent: bool,
    config: ClientConfig,
    input: InputBuffer,
    output: OutputBuffer,
    framer: LineFramer,
    ids: CommandIds,
    events: VecDeque<Result<ClientEvent, ProtocolError>>,
    transport: VecDeque<TransportAction>,
    phase: Phase,
    queue: VecDeque<Queued>,
    in_flight: VecDeque<InFlight>,
    /// The listing being read, with the id of the command it answers.
    listing: Option<(CommandId, Listing)>,
    /// The message being read, with the id of the RETR or TOP it answers.
    body: Option<(CommandId, DotUnstuffer)>,
    login: Option<Login>,
    capabilities: Option<Capabilities<'static>>,
    timestamp: Option<Timestamp<'static>>,
    tls_active: bool,
    awaiting_tls: bool,
    channel_binding: Option<ChannelBinding>,
    eof: bool,
    idle: IdleTimer,
    fatal: bool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("phase", &self.phase)
            .field("tls_active", &self.tls_active)
            .field("in_flight", &self.in_flight)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client that has just connected at `now` and waits for the greeting.
    pub fn new(config: ClientConfig, now: Instant) -> Self {
        Self {
            utf8_sent: false,
            input: InputBuffer::new(config.limits.max_input_buffer),
            output: OutputBuffer::new(),
            framer: LineFramer::new(config.limits.max_response_line, BareLineEnding::Accept),
            ids: CommandIds::new(),
            events: VecDeque::new(),
            transport: VecDeque::new(),
            phase: Phase::Greeting,
            queue: VecDeque::new(),
            in_flight: VecDeque::new(),
            listing: None,
            body: None,
            login: None,
            capabilities: None,
            timestamp: None,
            tls_active: config.implicit_tls,
            awaiting_tls: false,
            channel_binding: config.tls_info.as_ref().and_then(|i| {
                ChannelBinding::from_tls(
                    i.tls_exporter.as_deref(),
                    i.tls_server_end_point.as_deref(),
                )
            }),
            eof: false,
            idle: IdleTimer::new(config.idle, now),
            fatal: false,
            config,
        }
    }

    /// The capabilities of the last CAPA answer (forgotten when TLS starts).
    pub fn capabilities(&self) -> Option<&Capabilities<'static>> {
        self.capabilities.as_ref()
    }

    /// The APOP timestamp of the greeting.
    pub fn timestamp(&self) -> Option<&Timestamp<'static>> {
        self.timestamp.as_ref()
    }

    /// True once TLS is active.
    pub fn is_tls(&self) -> bool {
        self.tls_active
    }

    /// True in the TRANSACTION state.
    pub fn is_logged_in(&self) -> bool {
        self.phase == Phase::Transaction
    }

    /// True once the session is over.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Commands sent and not yet answered, plus those queued.
    pub fn pending(&self) -> usize {
        self.in_flight.len() + self.queue.len()
    }

    // ----- commands -----

    fn authorization_only(&self, command: &'static str) -> Result<(), UsageError> {
        match self.phase {
            Phase::Greeting | Phase::Authorization if self.login.is_none() => Ok(()),
            Phase::Closed => Err(UsageError::Closed),
            _ => Err(UsageError::NotNow {
                command,
                state: "after login",
            }),
        }
    }

    fn transaction_only(&self, command: &'static str) -> Result<(), UsageError> {
        match self.phase {
            Phase::Transaction => Ok(()),
            Phase::Closed => Err(UsageError::Closed),
            _ if self.login.is_some() => Ok(()),
            _ => Err(UsageError::NotNow {
                command,
                state: "before login",
            }),
        }
    }

    fn offered(
        &self,
        test: impl Fn(&Capabilities<'static>) -> bool,
        what: &'static str,
    ) -> Result<(), UsageError> {
        match &self.capabilities {
            Some(caps) if !test(caps) => Err(UsageError::NotOffered(what)),
            _ => Ok(()),
        }
    }

    fn queue(
        &mut self,
        command: &Command<'_>,
        expect: Expect,
        barrier: bool,
    ) -> Result<CommandId, UsageError> {
        let mut line = Vec::new();
        encode_command_with(command, &self.config.limits, &mut line)?;
        let id = self.ids.next_id();
        self.queue.push_back(Queued {
            id,
            line,
            expect,
            barrier,
        });
        self.flush();
        Ok(id)
    }

    /// Sends what the queue allows now.
    fn flush(&mut self) {
        if self.phase == Phase::Greeting || self.awaiting_tls || self.fatal {
            return;
        }
        let pipelining = self.config.pipelining
            && self
                .capabilities
                .as_ref()
                .is_some_and(Capabilities::pipelining);
        while let Some(next) = self.queue.front() {
            let blocked = match self.in_flight.back() {
                None => false,
                Some(last) => {
                    !pipelining
                        || next.barrier
                        || matches!(
                            last.expect,
                            Expect::Stls
                                | Expect::Auth
                                | Expect::User
                                | Expect::Pass
                                | Expect::Apop
                                | Expect::Quit
                        )
                }
            };
            if blocked {
                return;
            }
            let Some(next) = self.queue.pop_front() else {
                return;
            };
            self.output.push(&next.line);
            self.in_flight.push_back(InFlight {
                id: next.id,
                expect: next.expect,
            });
        }
    }

    /// CAPA (RFC 2449 section 5).
    pub fn send_capa(&mut self) -> Result<CommandId, UsageError> {
        if self.phase == Phase::Closed {
            return Err(UsageError::Closed);
        }
        self.queue(&Command::Capa, Expect::Capa, false)
    }

    /// STLS (RFC 2595 section 4): on `+OK` the machine asks for
    /// [`TransportAction::StartTls`]; a byte received after the `+OK` is fatal.
    pub fn send_stls(&mut self) -> Result<CommandId, UsageError> {
        self.authorization_only("STLS")?;
        if self.tls_active {
            return Err(UsageError::NotNow {
                command: "STLS",
                state: "TLS is active",
            });
        }
        // RFC 6856 section 2: no STLS after UTF8.
        if self.utf8_sent {
            return Err(UsageError::NotNow {
                command: "STLS",
                state: "UTF8 was issued",
            });
        }
        self.offered(Capabilities::stls, "STLS")?;
        self.queue(&Command::Stls, Expect::Stls, true)
    }

    /// Logs in with `credentials` by `method`. Refused without TLS unless plaintext
    /// credentials are allowed. Answered by [`ClientEvent::LoggedIn`] or
    /// [`ClientEvent::LoginFailed`].
    pub fn login(
        &mut self,
        credentials: Credentials,
        method: LoginMethod,
    ) -> Result<CommandId, UsageError> {
        self.authorization_only("login")?;
        let secure = self.tls_active || self.config.plaintext_auth;
        let method = match method {
            LoginMethod::Auto if secure => self.choose_method(&credentials, None)?,
            LoginMethod::Auto => {
                let allowed = self.config.plaintext_mechanisms.clone();
                self.choose_method(&credentials, Some(&allowed))
                    .map_err(|_| UsageError::PlaintextCredentials)?
            }
            other => other,
        };
        let opted_in =
            matches!(&method, LoginMethod::Sasl(m) if self.config.plaintext_mechanisms.contains(m));
        if !secure && !opted_in {
            return Err(UsageError::PlaintextCredentials);
        }
        let user = credentials.authcid.clone().unwrap_or_default();
        let password = credentials.password.as_ref().map(|p| p.expose().to_owned());
        // RFC 6856 section 2.2: UTF-8 in USER, PASS or APOP only if CAPA said "UTF8 USER".
        let non_ascii = !user.is_ascii() || password.as_deref().is_some_and(|p| !p.is_ascii());
        if non_ascii
            && matches!(method, LoginMethod::UserPass | LoginMethod::Apop)
            && self.capabilities.as_ref().and_then(Capabilities::utf8) != Some(true)
        {
            return Err(UsageError::NotOffered(
                "UTF8 USER (UTF-8 user names and passwords)",
            ));
        }
        let id = self.ids.next_id();
        match method {
            LoginMethod::UserPass => {
                self.offered(Capabilities::user, "USER")?;
                let password = password.ok_or(UsageError::NoLoginMethod)?;
                let mut line = Vec::new();
                encode_command_with(
                    &Command::user(user.as_str()),
                    &self.config.limits,
                    &mut line,
                )?;
                encode_command_with(
                    &Command::pass(password.as_str()),
                    &self.config.limits,
                    &mut Vec::new(),
                )?;
                self.queue.push_back(Queued {
                    id,
                    line,
                    expect: Expect::User,
                    barrier: true,
                });
                self.login = Some(Login {
                    password: Some(password),
                    sasl: None,
                    deferred: None,
                });
            }
            LoginMethod::Apop => {
                let timestamp = self.timestamp.as_ref().ok_or(UsageError::NotOffered(
                    "APOP (no timestamp in the greeting)",
                ))?;
                let password = password.ok_or(UsageError::NoLoginMethod)?;
                // RFC 6856 2.2: a UTF-8 password takes part in the digest after SASLprep.
                let password = if password.is_ascii() {
                    password
                } else {
                    sasl_proto::saslprep_string(&password).map_err(UsageError::Sasl)?
                };
                let digest = sasl_proto::md5::apop_digest(timestamp.as_str(), &password);
                let mut line = Vec::new();
                encode_command_with(
                    &Command::apop(user.as_str(), digest.as_str()),
                    &self.config.limits,
                    &mut line,
                )?;
                self.queue.push_back(Queued {
                    id,
                    line,
                    expect: Expect::Apop,
                    barrier: true,
                });
                self.login = Some(Login {
                    password: None,
                    sasl: None,
                    deferred: None,
                });
            }
            LoginMethod::Sasl(mechanism) => {
                let offered_plus = self
                    .capabilities
                    .as_ref()
                    .is_some_and(|c| c.sasl().iter().any(Mechanism::is_plus));
                let mut sasl_config = sasl_proto::ClientConfig::default()
                    .with_limits(self.config.limits.sasl_limits())
                    .with_server_advertised_plus(offered_plus);
                match self.config.nonce_source.as_mut() {
                    Some(source) => {
                        sasl_config =
                            sasl_config.with_nonce_source(sasl_proto::FixedNonce(source.nonce()));
                    }
                    // None means none, as in choose_method: SCRAM fails, naming the remedy.
                    None => sasl_config.nonce = None,
                }
                if let Some(binding) = self.channel_binding.clone() {
                    sasl_config = sasl_config.with_channel_binding(binding);
                }
                let mut client =
                    sasl_proto::Client::new(mechanism.clone(), credentials, sasl_config)
                        .map_err(UsageError::Sasl)?;
                let initial = client.initial_response().map_err(UsageError::Sasl)?;
                let mut line = Vec::new();
                let mut deferred = None;
                if let Some(ir) = initial {
                    let text =
                        String::from_utf8(sasl_proto::codec::encode(&ir)).unwrap_or_default();
                    let with_ir = Command::auth(mechanism.clone(), Some(text.into()));
                    // RFC 5034 section 4: an AUTH line over 255 octets goes without its initial
                    // response, which follows the empty challenge.
                    if encode_command_with(&with_ir, &self.config.limits, &mut line).is_err() {
                        line.clear();
                        deferred = Some(ir);
                    }
                }
                if line.is_empty() {
                    encode_command_with(
                        &Command::auth(mechanism, None),
                        &self.config.limits,
                        &mut line,
                    )?;
                }
                self.queue.push_back(Queued {
                    id,
                    line,
                    expect: Expect::Auth,
                    barrier: true,
                });
                self.login = Some(Login {
                    password: None,
                    sasl: Some(client),
                    deferred,
                });
            }
            LoginMethod::Auto => return Err(UsageError::NoLoginMethod),
        }
        self.flush();
        Ok(id)
    }

    /// The strongest method; with `only`, just those SASL mechanisms.
    fn choose_method(
        &self,
        credentials: &Credentials,
        only: Option<&[Mechanism]>,
    ) -> Result<LoginMethod, UsageError> {
        let offered: Vec<Mechanism> = self
            .capabilities
            .as_ref()
            .map(Capabilities::sasl)
            .unwrap_or_default()
            .iter()
            .filter(|m| only.is_none_or(|only| only.contains(m)))
            .cloned()
            .collect();
        let has_nonce = self.config.nonce_source.is_some();
        let supported: Vec<Mechanism> = credentials
            .mechanisms(self.channel_binding.is_some())
            .into_iter()
            .filter(|m| has_nonce || !m.is_scram())
            .collect();
        let plaintext_ok = true; // checked by login(): TLS is active or plaintext is allowed
        let best = sasl_proto::mechanism::choose(&offered, &supported, plaintext_ok);
        if let Some(m) = &best
            && m.strength() >= Mechanism::CramMd5.strength()
        {
            return Ok(LoginMethod::Sasl(m.clone()));
        }
        if only.is_none()
            && self.timestamp.is_some()
            && credentials.password.is_some()
            && credentials.authcid.is_some()
        {
            return Ok(LoginMethod::Apop);
        }
        if let Some(m) = best {
            return Ok(LoginMethod::Sasl(m));
        }
        let user_ok = only.is_none() && self.capabilities.as_ref().is_none_or(Capabilities::user);
        if user_ok && credentials.password.is_some() && credentials.authcid.is_some() {
            return Ok(LoginMethod::UserPass);
        }
        Err(UsageError::NoLoginMethod)
    }

    /// STAT.
    pub fn send_stat(&mut self) -> Result<CommandId, UsageError> {
        self.transaction_only("STAT")?;
        self.queue(&Command::Stat, Expect::Stat, false)
    }

    /// LIST, or `LIST n`.
    pub fn send_list(&mut self, msg: Option<MessageNumber>) -> Result<CommandId, UsageError> {
        self.transaction_only("LIST")?;
        self.queue(&Command::List(msg), Expect::List(msg), false)
    }

    /// UIDL, or `UIDL n` (refused if CAPA did not list UIDL).
    pub fn send_uidl(&mut self, msg: Option<MessageNumber>) -> Result<CommandId, UsageError> {
        self.transaction_only("UIDL")?;
        self.offered(Capabilities::uidl, "UIDL")?;
        self.queue(&Command::Uidl(msg), Expect::Uidl(msg), false)
    }

    /// RETR: the body arrives as [`ClientEvent::BodyChunk`]s.
    pub fn send_retr(&mut self, msg: MessageNumber) -> Result<CommandId, UsageError> {
        self.transaction_only("RETR")?;
        self.queue(&Command::Retr(msg), Expect::Body, false)
    }

    /// `TOP msg lines` (refused if CAPA did not list TOP).
    pub fn send_top(&mut self, msg: MessageNumber, lines: u32) -> Result<CommandId, UsageError> {
        self.transaction_only("TOP")?;
        self.offered(Capabilities::top, "TOP")?;
        self.queue(&Command::Top { msg, lines }, Expect::Body, false)
    }

    /// DELE.
    pub fn send_dele(&mut self, msg: MessageNumber) -> Result<CommandId, UsageError> {
        self.transaction_only("DELE")?;
        self.queue(&Command::Dele(msg), Expect::Simple("DELE"), false)
    }

    /// RSET.
    pub fn send_rset(&mut self) -> Result<CommandId, UsageError> {
        self.transaction_only("RSET")?;
        self.queue(&Command::Rset, Expect::Simple("RSET"), false)
    }

    /// NOOP.
    pub fn send_noop(&mut self) -> Result<CommandId, UsageError> {
        self.transaction_only("NOOP")?;
        self.queue(&Command::Noop, Expect::Simple("NOOP"), false)
    }

    /// UTF8 (RFC 6856 section 2.1), in AUTHORIZATION.
    pub fn send_utf8(&mut self) -> Result<CommandId, UsageError> {
        self.authorization_only("UTF8")?;
        self.offered(|c| c.utf8().is_some(), "UTF8")?;
        let id = self.queue(&Command::Utf8, Expect::Simple("UTF8"), false)?;
        self.utf8_sent = true;
        Ok(id)
    }

    /// LANG (RFC 6856 section 3): `None` asks for the listing.
    pub fn send_lang(&mut self, tag: Option<&str>) -> Result<CommandId, UsageError> {
        if self.phase == Phase::Closed {
            return Err(UsageError::Closed);
        }
        self.offered(Capabilities::lang, "LANG")?;
        match tag {
            None => self.queue(&Command::Lang(None), Expect::LangList, false),
            Some(tag) => self.queue(
                &Command::Lang(Some(tag.into())),
                Expect::Simple("LANG"),
                false,
            ),
        }
    }

    /// QUIT: in TRANSACTION the server deletes the marked messages (UPDATE state).
    pub fn send_quit(&mut self) -> Result<CommandId, UsageError> {
        if self.phase == Phase::Closed {
            return Err(UsageError::Closed);
        }
        self.queue(&Command::Quit, Expect::Quit, true)
    }

    // ----- input -----

    fn fail(&mut self, error: ProtocolError) {
        self.fatal = true;
        self.events.push_back(Err(error));
        self.close();
    }

    fn close(&mut self) {
        if self.phase != Phase::Closed {
            self.phase = Phase::Closed;
            self.transport.push_back(TransportAction::Close);
        }
    }

    fn parse_error(&mut self, context: &'static str, error: ParseError) {
        self.fail(ProtocolError::Parse { context, error });
    }

    /// True while a response is awaited: the greeting, or a command in flight.
    fn waiting(&self) -> bool {
        self.phase == Phase::Greeting || !self.in_flight.is_empty()
    }

    /// A whole response line or the end of a body: the idle limit restarts from the input
    /// that made it, or pauses when nothing more is awaited.
    fn progress(&mut self) {
        if self.waiting() {
            self.idle.progress();
        } else {
            self.idle.pause();
        }
    }

    fn process(&mut self) {
        while self.events.is_empty()
            && !self.fatal
            && self.phase != Phase::Closed
            && !self.awaiting_tls
        {
            if self.body.is_some() {
                if !self.poll_body() {
                    return;
                }
                continue;
            }
            let limit = match self.in_flight.front().map(|f| &f.expect) {
                Some(Expect::Auth) => self
                    .config
                    .limits
                    .max_sasl_line
                    .max(self.config.limits.max_response_line),
                _ => self.config.limits.max_response_line,
            };
            if self.framer.max_len() != limit {
                self.framer.set_max_len(limit);
            }
            match self.framer.poll_line(self.input.data()) {
                Some(Ok(line)) => {
                    self.line(&line);
                    self.progress();
                }
                Some(Err(LineError::TooLong { limit, .. })) => {
                    self.fail(ProtocolError::LineTooLong {
                        context: "response",
                        limit,
                        seen: limit.saturating_add(1),
                    })
                }
                Some(Err(_)) => self.fail(ProtocolError::BareLineEnding {
                    context: "response",
                }),
                None => {
                    if self.framer.is_skipping_long_line() {
                        self.fail(ProtocolError::LineTooLong {
                            context: "response",
                            limit,
                            seen: limit.saturating_add(1),
                        });
                    } else if self.eof {
                        let during = if self.in_flight.is_empty() {
                            "by the server"
                        } else {
                            "before a response ended"
                        };
                        self.fail(ProtocolError::Closed(during));
                    }
                    return;
                }
            }
        }
    }

    /// Moves body data to events; false when more input is needed.
    fn poll_body(&mut self) -> bool {
        let Some((id, unstuffer)) = self.body.as_mut() else {
            return false;
        };
        let id = *id;
        let step = unstuffer.poll(self.input.data());
        self.body_step(id, step)
    }

    /// Acts on one step of the body; false when more input is needed.
    fn body_step(
        &mut self,
        id: CommandId,
        step: Option<Result<Unstuffed, proto_core::DotError>>,
    ) -> bool {
        match step {
            Some(Ok(Unstuffed::Data(data))) => {
                self.idle.body(data.len());
                self.events
                    .push_back(Ok(ClientEvent::BodyChunk { id, data }));
                true
            }
            Some(Ok(Unstuffed::End)) => {
                self.body = None;
                self.framer.reset();
                self.in_flight.pop_front();
                self.progress();
                self.events.push_back(Ok(ClientEvent::BodyEnd { id }));
                self.flush();
                true
            }
            // Accept passes bare line ends on; no error can come.
            Some(Err(_)) => true,
            None => {
                if self.eof {
                    self.fail(ProtocolError::Closed("in a message body"));
                }
                false
            }
        }
    }

    fn line(&mut self, line: &[u8]) {
        if self.phase == Phase::Greeting {
            return self.greeting(line);
        }
        if self.listing.is_some() {
            return self.listing_line(line);
        }
        let Some(head) = self.in_flight.front() else {
            return self.fail(ProtocolError::Unexpected {
                what: "response without a command",
            });
        };
        let id = head.id;
        if matches!(head.expect, Expect::Auth)
            && let Some(data) = parse_continuation(line)
        {
            return self.challenge(data);
        }
        let status = match parse_status_line(line) {
            Ok(status) => status,
            Err(e) => return self.parse_error("status line", e),
        };
        let text_at = line.len() - status.text.len();
        let text = match ParseError::cut(line, text_at..) {
            Ok(text) => text,
            Err(e) => return self.parse_error("status line", e),
        };
        let status_owned = status.clone().into_owned();
        if !status.is_ok() {
            let Some(head) = self.in_flight.pop_front() else {
                return;
            };
            let event = match head.expect {
                Expect::User | Expect::Pass | Expect::Apop | Expect::Auth => {
                    self.login = None;
                    ClientEvent::LoginFailed {
                        id,
                        line: status_owned,
                    }
                }
                Expect::Quit => {
                    self.events.push_back(Ok(ClientEvent::Closed {
                        id,
                        line: status_owned,
                    }));
                    self.close();
                    return;
                }
                ref other => ClientEvent::Err {
                    id,
                    command: keyword(other),
                    line: status_owned,
                },
            };
            self.events.push_back(Ok(event));
            self.flush();
            return;
        }
        let Some(head) = self.in_flight.pop_front() else {
            return;
        };
        match head.expect {
            Expect::Capa => {
                self.in_flight.push_front(head);
                self.listing = Some((id, Listing::Capa(Vec::new())));
            }
            Expect::List(None) => {
                self.in_flight.push_front(head);
                self.listing = Some((id, Listing::List(Vec::new())));
            }
            Expect::Uidl(None) => {
                self.in_flight.push_front(head);
                self.listing = Some((id, Listing::Uidl(Vec::new())));
            }
            Expect::LangList => {
                self.in_flight.push_front(head);
                self.listing = Some((id, Listing::Lang(Vec::new())));
            }
            Expect::Body => {
                self.in_flight.push_front(head);
                self.body = Some((id, DotUnstuffer::new(BareLineEnding::Accept)));
                self.events.push_back(Ok(ClientEvent::BodyStart {
                    id,
                    line: status_owned,
                }));
            }
            Expect::Stat => match parse_stat_text(text) {
                Ok((count, size)) => {
                    self.events
                        .push_back(Ok(ClientEvent::Stat { id, count, size }))
                }
                Err(e) => self.parse_error("STAT answer", e.shifted(text_at)),
            },
            Expect::List(Some(n)) => match parse_list_entry(text) {
                Ok(entry) if entry.number == n => {
                    self.events.push_back(Ok(ClientEvent::List {
                        id,
                        entries: vec![entry],
                    }));
                }
                Ok(_) => self.fail(ProtocolError::Unexpected {
                    what: "LIST answer about another message",
                }),
                Err(e) => self.parse_error("LIST answer", e.shifted(text_at)),
            },
            Expect::Uidl(Some(n)) => match parse_uidl_entry(text) {
                Ok(entry) if entry.number == n => {
                    self.events.push_back(Ok(ClientEvent::Uidl {
                        id,
                        entries: vec![entry.into_owned()],
                    }));
                }
                Ok(_) => self.fail(ProtocolError::Unexpected {
                    what: "UIDL answer about another message",
                }),
                Err(e) => self.parse_error("UIDL answer", e.shifted(text_at)),
            },
            Expect::Stls => {
                // Anything already received after the go-ahead is an injection.
                if !self.input.is_empty() {
                    return self.fail(ProtocolError::DataAfterStartTls);
                }
                self.awaiting_tls = true;
                self.transport.push_back(TransportAction::StartTls);
            }
            Expect::User => {
                let password = self.login.as_mut().and_then(|l| l.password.take());
                let mut line = Vec::new();
                if let Some(p) = password
                    && encode_command_with(
                        &Command::pass(p.as_str()),
                        &self.config.limits,
                        &mut line,
                    )
                    .is_ok()
                {
                    self.output.push(&line);
                    self.in_flight.push_front(InFlight {
                        id,
                        expect: Expect::Pass,
                    });
                } else {
                    self.login = None;
                    self.events.push_back(Ok(ClientEvent::LoginFailed {
                        id,
                        line: status_owned,
                    }));
                }
            }
            Expect::Pass | Expect::Apop | Expect::Auth => {
                if let Some(mut login) = self.login.take()
                    && let Some(sasl) = login.sasl.as_mut()
                    && !sasl.is_complete()
                    && let Err(e) = sasl.finish(None)
                {
                    return self.fail(ProtocolError::Sasl(e));
                }
                self.phase = Phase::Transaction;
                self.events.push_back(Ok(ClientEvent::LoggedIn {
                    id,
                    line: status_owned,
                }));
            }
            Expect::Simple(_) => self.events.push_back(Ok(ClientEvent::Ok {
                id,
                line: status_owned,
            })),
            Expect::Quit => {
                self.events.push_back(Ok(ClientEvent::Closed {
                    id,
                    line: status_owned,
                }));
                self.close();
                return;
            }
        }
        self.flush();
    }

    fn greeting(&mut self, line: &[u8]) {
        match parse_status_line(line) {
            Ok(status) => {
                let timestamp = if status.is_ok() {
                    // "+OK" is three octets; a line too short for it has no timestamp.
                    line.get(3..)
                        .and_then(find_timestamp)
                        .map(Timestamp::into_owned)
                } else {
                    None
                };
                self.timestamp.clone_from(&timestamp);
                let ok = status.is_ok();
                self.events.push_back(Ok(ClientEvent::Greeting {
                    line: status.into_owned(),
                    timestamp,
                }));
                if ok {
                    self.phase = Phase::Authorization;
                    self.flush();
                } else {
                    self.close();
                }
            }
            Err(e) => self.parse_error("greeting", e),
        }
    }

    fn listing_line(&mut self, line: &[u8]) {
        let Some(line) = unstuff_line(line) else {
            let Some((id, listing)) = self.listing.take() else {
                return;
            };
            self.in_flight.pop_front();
            let event = match listing {
                Listing::List(entries) => ClientEvent::List { id, entries },
                Listing::Uidl(entries) => ClientEvent::Uidl { id, entries },
                Listing::Lang(languages) => ClientEvent::Languages { id, languages },
                Listing::Capa(caps) => {
                    let capabilities = Capabilities(caps);
                    self.capabilities = Some(capabilities.clone());
                    ClientEvent::Capabilities { id, capabilities }
                }
            };
            self.events.push_back(Ok(event));
            self.flush();
            return;
        };
        let limit = self.config.limits.max_listing_entries;
        let Some((_, listing)) = self.listing.as_mut() else {
            return;
        };
        if listing.len() >= limit {
            return self.fail(ProtocolError::TooManyEntries { limit });
        }
        let result = match listing {
            Listing::List(v) => parse_list_entry(line).map(|e| v.push(e)),
            Listing::Uidl(v) => parse_uidl_entry(line).map(|e| v.push(e.into_owned())),
            Listing::Capa(v) => parse_capability(line).map(|c| v.push(c.into_owned())),
            Listing::Lang(v) => parse_language(line).map(|l| v.push(l.into_owned())),
        };
        if let Err(e) = result {
            self.parse_error("listing line", e);
        }
    }

    fn challenge(&mut self, data: &[u8]) {
        let Some(login) = self.login.as_mut() else {
            return self.fail(ProtocolError::Unexpected {
                what: "SASL challenge",
            });
        };
        let mut response = None;
        if let Some(ir) = login.deferred.take() {
            response = Some(sasl_proto::codec::encode_continuation(&ir));
        } else if let Some(sasl) = login.sasl.as_mut() {
            match sasl_proto::codec::decode_challenge_with(data, &self.config.limits.sasl_limits())
            {
                Ok(challenge) => match sasl.step(&challenge) {
                    Ok(ClientStep::Response(r)) => {
                        response = Some(sasl_proto::codec::encode_continuation(&r));
                    }
                    Ok(_) => response = Some(Vec::new()),
                    Err(e) => return self.fail(ProtocolError::Sasl(e)),
                },
                // RFC 5034 section 4: a challenge that does not decode is cancelled.
                Err(_) => response = Some(b"*".to_vec()),
            }
        }
        match response {
            Some(mut line) => {
                line.extend_from_slice(b"\r\n");
                self.output.push(&line);
            }
            None => self.fail(ProtocolError::Unexpected {
                what: "SASL challenge",
            }),
        }
    }
}

fn keyword(expect: &Expect) -> &'static str {
    match expect {
        Expect::Capa => "CAPA",
        Expect::Stls => "STLS",
        Expect::User => "USER",
        Expect::Pass => "PASS",
        Expect::Apop => "APOP",
        Expect::Auth => "AUTH",
        Expect::Stat => "STAT",
        Expect::List(_) => "LIST",
        Expect::Uidl(_) => "UIDL",
        Expect::LangList => "LANG",
        Expect::Body => "RETR",
        Expect::Simple(k) => k,
        Expect::Quit => "QUIT",
    }
}

impl Machine for Client {
    type Event = ClientEvent;
    type Error = ProtocolError;

    proto_core::machine_buffers!();

    fn receive(&mut self, data: &[u8], now: Instant) {
        if !self.fatal && self.phase != Phase::Closed {
            self.idle.input(now);
            self.input.extend(data);
        }
    }

    fn wants_input(&self) -> bool {
        !self.fatal
            && !self.eof
            && self.phase != Phase::Closed
            && !self.awaiting_tls
            && self.input.has_room()
    }

    fn advance_transmit(&mut self, n: usize) {
        self.output.advance(n);
    }

    fn poll_event(&mut self) -> Option<Result<ClientEvent, ProtocolError>> {
        if self.events.is_empty() {
            // The hot path of a body: hand each chunk on without queueing it.
            if !self.fatal
                && let Some((id, unstuffer)) = self.body.as_mut()
            {
                let id = *id;
                match unstuffer.poll(self.input.data()) {
                    Some(Ok(Unstuffed::Data(data))) => {
                        self.idle.body(data.len());
                        return Some(Ok(ClientEvent::BodyChunk { id, data }));
                    }
                    other => {
                        if !self.body_step(id, other) {
                            return self.events.pop_front();
                        }
                    }
                }
            }
            self.process();
        }
        self.events.pop_front()
    }

    fn poll_transport(&mut self) -> Option<TransportAction> {
        self.transport.pop_front()
    }

    fn tls_established(&mut self, info: TlsInfo) {
        if !self.awaiting_tls {
            return;
        }
        self.awaiting_tls = false;
        self.tls_active = true;
        self.in_flight.pop_front();
        self.channel_binding = ChannelBinding::from_tls(
            info.tls_exporter.as_deref(),
            info.tls_server_end_point.as_deref(),
        );
        // Forget what was learned before TLS and ask again (RFC 2595 section 4).
        self.capabilities = None;
        self.framer.reset();
        let mut line = Vec::new();
        let _ = encode_command_with(&Command::Capa, &self.config.limits, &mut line);
        let id = self.ids.next_id();
        self.queue.push_front(Queued {
            id,
            line,
            expect: Expect::Capa,
            barrier: true,
        });
        self.events
            .push_back(Ok(ClientEvent::TlsEstablished { capa: id }));
        self.flush();
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.phase == Phase::Closed {
            return None;
        }
        self.idle.client_deadline(!self.fatal && self.waiting())
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.phase == Phase::Closed {
            return;
        }
        if let Some(expiry) = self.idle.client_timeout(!self.fatal && self.waiting(), now) {
            self.fail(ProtocolError::Timeout(expiry));
        }
    }
}
