//! The server machine: a complete sans-IO SMTP, submission or LMTP server.
//!
//! Commands are checked for order as RFC 5321 4.1.4 requires, with the replies Postfix gives.
//! What needs the application's judgement (the connection if asked, HELO/EHLO if asked,
//! MAIL FROM, each RCPT TO, the AUTH questions, the end of data) comes out as an [`ServerEvent`]
//! carrying a [`Decision`]; the application answers with [`Server::accept`] or
//! [`Server::reject`] (AUTH questions with [`Server::answer_auth`]), now or later. A token
//! answered through the method of another kind of decision comes back open
//! ([`UsageError::WrongAnswer`]), so the session goes on. Input behind an open decision
//! waits, so replies leave in command order even when the client pipelines (RFC 2920).
//!
//! Bodies come out as [`ServerEvent::BodyChunk`]s (zero-copy slices of the input). DATA ends only
//! at CRLF "." CRLF; bare LF or CR in DATA is refused by default (like Postfix's
//! `smtpd_forbid_bare_newline`), or normalised by configuration. A message over the size
//! limit, or with a refused line end, is drained to its end and then refused (552, 550).

mod bare;
mod config;
mod event;
mod transaction;

pub use config::*;
pub use event::*;
use transaction::Transaction;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use proto_core::{
    BareLineEnding, Decision, Decisions, DotUnstuffer, Expiry, IdleRules, IdleTimer, InputBuffer,
    LineError, LineFramer, LineLimit, Machine, OutputBuffer, TlsInfo, TransportAction, Unstuffed,
};
use sasl_proto::mechanism::MechanismSet;
use sasl_proto::{Answer, ChannelBinding, ExchangeStep, Mechanism, Question, ServerExchange};

use crate::codec::parse_command_line;
use crate::error::{ParseErrorKind, ProtocolError, UsageError};
use crate::limits::{Limits, increment};
use crate::types::{
    Body, Capabilities, Command, EnhancedStatusCode, ForwardPath, MailParameters, RcptParameters,
    Reply, ReplyCode, ReversePath,
};

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
    Auth,
}

/// A reply in its place in command order.
#[derive(Debug)]
enum Slot {
    Ready(Vec<u8>),
    Waiting(u64),
}

enum Mode {
    Command,
    Data(DotUnstuffer),
    Bdat {
        remaining: u64,
        last: bool,
        refused: Option<Reply<'static>>,
    },
    Auth(Box<ServerExchange>),
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
    errors: usize,
    idle: IdleTimer,
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
        let idle = IdleTimer::new(config.idle, now);
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
            errors: 0,
            idle,
            closed: false,
            eof: false,
            config,
        };
        if server.config.decide_connection {
            let decision = server.open(Pending::Connect);
            server
                .events
                .push_back(Ok(ServerEvent::Connected { decision }));
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
        if !self.count_error() {
            self.send(code, enhanced, text);
        }
    }

    /// Counts an error; past the limit, sends 421, closes and returns true.
    fn count_error(&mut self) -> bool {
        self.errors += 1;
        if self.errors <= self.config.limits.max_errors {
            return false;
        }
        let text = format!("{} Error: too many errors", self.config.hostname);
        self.send(421, (4, 7, 0), &text);
        self.close();
        self.events.push_back(Err(ProtocolError::TooManyErrors));
        true
    }

    fn close(&mut self) {
        if !self.closed {
            self.closed = true;
            self.mode = Mode::Closed;
            self.idle.stop();
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

    /// Answers [`ServerEvent::AuthQuestion`] with the [`Answer`] of the question's kind. A token of
    /// another kind of decision, or an answer of another kind than the question, changes
    /// nothing: the token comes back open in [`UsageError::WrongAnswer`].
    pub fn answer_auth(&mut self, decision: Decision, answer: Answer) -> Result<(), UsageError> {
        let id = decision.id();
        let mode = &self.mode;
        self.decisions
            .close_if(decision, |pending| match (pending, mode) {
                (Pending::Auth, Mode::Auth(exchange)) => exchange.accepts(&answer),
                _ => false,
            })?;
        let step = match &mut self.mode {
            Mode::Auth(exchange) => exchange.answer(answer),
            _ => return Err(UsageError::NotNow("answer_auth without an AUTH exchange")),
        };
        self.remove_slot(id);
        self.auth_step(step);
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
            .close_if(decision, |pending| !matches!(pending, Pending::Auth))?;
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
                        bare: bare::BareScan::default(),
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
                // An unknown user is an error like any other: probing names ends the session.
                if r.code().is_permanent() {
                    self.count_error();
                }
            }
            Pending::DataEnd => {
                let r = custom.unwrap_or_else(|| reply(250, (2, 0, 0), "Ok: queued"));
                self.fill_reply(id, &r);
            }
            // Refused by close_if above: AUTH questions are answered with answer_auth.
            Pending::Auth => {}
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
        let mut config = (self.config.sasl)();
        if let Some(binding) = self.tls_info.as_ref().and_then(|i| {
            ChannelBinding::from_tls(i.tls_exporter.as_deref(), i.tls_server_end_point.as_deref())
        }) {
            config = config.with_channel_binding(binding);
        }
        config = config.with_advertised_plus(
            self.config.auth_mechanisms.iter().any(Mechanism::is_plus) && self.tls,
        );
        let limits = config
            .limits
            .clone()
            .with_max_line_len(self.config.limits.max_sasl_line);
        config = config.with_limits(limits);
        let mut exchange = match ServerExchange::new(mech, config, "334 ") {
            Ok(exchange) => exchange,
            Err(_) => {
                self.error(504, (5, 5, 4), "Unrecognized authentication type");
                return None;
            }
        };
        let step = exchange.start(initial.map(str::as_bytes));
        self.mode = Mode::Auth(Box::new(exchange));
        self.auth_step(step);
        None
    }

    fn auth_step(&mut self, step: ExchangeStep) {
        match step {
            ExchangeStep::Send(line) => {
                self.slots.push_back(Slot::Ready(line));
                self.flush();
            }
            ExchangeStep::Ask(question) => {
                let decision = self.open(Pending::Auth);
                self.events
                    .push_back(Ok(ServerEvent::AuthQuestion { question, decision }));
            }
            ExchangeStep::Success { authcid, .. } => {
                self.authenticated = Some(authcid);
                self.idle.login();
                self.mode = Mode::Command;
                self.send(235, (2, 7, 0), "Authentication successful");
                self.update_framer();
            }
            ExchangeStep::Failure(sasl_proto::Error::Cancelled) => {
                self.mode = Mode::Command;
                self.error(501, (5, 7, 0), "Authentication aborted");
            }
            ExchangeStep::Failure(sasl_proto::Error::Base64(_)) => {
                self.mode = Mode::Command;
                self.error(501, (5, 5, 2), "Cannot decode response");
            }
            _ => {
                self.mode = Mode::Command;
                self.error(535, (5, 7, 8), "Error: authentication failed");
            }
        }
    }
}

impl Server {
    fn auth_line(&mut self, line: &[u8]) {
        let step = match &mut self.mode {
            Mode::Auth(exchange) => exchange.line(line),
            _ => return,
        };
        self.auth_step(step);
    }

    /// One step of parsing: an event, `Some(None)` to go on, `None` for more input.
    fn step(&mut self) -> Option<Option<Result<ServerEvent, ProtocolError>>> {
        match &mut self.mode {
            Mode::Closed => None,
            Mode::Command | Mode::Auth(_) => {
                let auth = !matches!(self.mode, Mode::Command);
                match self.framer.poll_line(self.input.data())? {
                    Ok(line) => {
                        // A whole command line is progress (RFC 5321 4.5.3.2.7).
                        self.idle.progress();
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
                        self.idle.body(chunk.len());
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
                        self.idle.progress();
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
                    let mut chunk = data.split_to(n).freeze();
                    *remaining -= n as u64;
                    self.idle.body(n);
                    // Octets of a message in lines: the bare line end policy of DATA.
                    let policy = self.config.bare_line_endings;
                    if let Some(tx) = self
                        .tx
                        .as_mut()
                        .filter(|t| t.params.body != Some(Body::BinaryMime))
                    {
                        match tx.bare.chunk(chunk, policy) {
                            Ok(checked) => chunk = checked,
                            Err(what) => {
                                tx.bad_ending.get_or_insert(what);
                                return Some(None);
                            }
                        }
                    }
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
                    let policy = self.config.bare_line_endings;
                    if let Some(tx) = self.tx.as_mut()
                        && let Some(what) = tx.bare.finish(policy)
                    {
                        tx.bad_ending.get_or_insert(what);
                    }
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

    proto_core::machine_buffers!();

    fn receive(&mut self, data: &[u8], now: Instant) {
        self.idle.input(now);
        if !self.closed {
            self.input.extend(data);
        }
    }

    fn wants_input(&self) -> bool {
        !self.closed
            && self.input.has_room()
            && self.decisions.is_empty()
            && self.transport.is_empty()
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
        self.idle.deadline()
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        if let Some(expiry) = self.idle.expire(now) {
            if expiry == Expiry::Idle && !self.decisions.is_empty() {
                // The application, not the client, is deliberating: wait for it.
                self.idle.restart(now);
                return;
            }
            let text = format!("{} Error: timeout exceeded", self.config.hostname);
            self.send(421, (4, 4, 2), &text);
            self.close();
            self.events.push_back(Err(ProtocolError::Timeout(expiry)));
        }
    }
}
