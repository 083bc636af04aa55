//! The client machine: greeting, EHLO with HELO fallback, STARTTLS, AUTH through
//! sasl-proto, transactions with PIPELINING (RFC 2920), DATA or BDAT (RFC 3030), DSN, LMTP.
//!
//! The machine greets by itself: it waits for the 220, sends EHLO (HELO if EHLO is refused),
//! upgrades with STARTTLS when the policy says so, and reports [`ClientEvent::Ready`] with the
//! server's [`Capabilities`]. Then the caller drives transactions:
//!
//! 1. [`Client::mail_from`] with a [`MessageDeclaration`] declaring what the message needs; the
//!    client picks BODY=, SIZE= and SMTPUTF8, or fails with [`UsageError::NotOffered`].
//! 2. [`Client::rcpt_to`] for each recipient; each reply comes as [`ClientEvent::Recipient`].
//! 3. [`Client::start_body`], then [`Client::write_body`] (it takes what the output buffer
//!    has room for: backpressure, [`ClientEvent::BodyWritable`] when there is room again), then
//!    [`Client::finish_body`] (or [`Client::finish_body_with`] the last octets, which BDAT
//!    sends as its LAST chunk). DATA is dot-stuffed and checked against the declaration;
//!    BDAT is used when the server offers CHUNKING.
//! 4. [`ClientEvent::MessageDone`] (SMTP) or one [`ClientEvent::LmtpDelivery`] per accepted recipient.
//!
//! With PIPELINING, commands go out in groups that end at the commands RFC 2920 3.1 names
//! (EHLO, DATA, VRFY, EXPN, NOOP, QUIT, and AUTH and STARTTLS); every reply is read even
//! after a failure. Without it, one command at a time.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use proto_core::{
    BareLineEnding, CommandId, CommandIds, DotStuffer, IdleRules, IdleTimer, InputBuffer, Machine,
    OutputBuffer, StuffConfig, TlsInfo, TransportAction,
};
use sasl_proto::{ChannelBinding, ClientStep, Credentials, Mechanism};

use crate::codec::{Parsed, encode_command_line, parse_reply_with};
use crate::error::{EncodeError, ProtocolError, UsageError};
use crate::limits::Limits;
use crate::types::{
    Body, Capabilities, Command, ForwardPath, MailParameters, RcptParameters, Reply, ReplyCode,
    ReversePath,
};

mod config;
mod event;

pub use config::*;
pub use event::*;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Ehlo,
    Helo,
    StartTls,
    Auth,
    Mail,
    Rcpt(ForwardPath<'static>),
    Data,
    DataEnd,
    Bdat { last: bool },
    Quit,
    Other(&'static str),
}

impl Kind {
    /// Commands that end a pipelined group (RFC 2920 3.1; AUTH and STARTTLS need their
    /// reply first too).
    fn ends_group(&self) -> bool {
        matches!(
            self,
            Self::Ehlo
                | Self::Helo
                | Self::StartTls
                | Self::Auth
                | Self::Data
                | Self::Quit
                | Self::DataEnd
        ) || matches!(self, Self::Other(v) if matches!(*v, "VRFY" | "EXPN" | "NOOP" | "ETRN" | "HELP"))
    }

    fn timeout(&self, t: &Timeouts) -> Duration {
        match self {
            Self::Mail => t.mail,
            Self::Rcpt(_) => t.rcpt,
            Self::Data => t.data_init,
            Self::DataEnd | Self::Bdat { last: true } => t.data_termination,
            Self::Bdat { last: false } => t.data_block,
            _ => t.other,
        }
    }
}

#[derive(Debug)]
struct Outgoing {
    id: CommandId,
    kind: Kind,
    bytes: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Greeting,
    Hello,
    StartTls,
    Ready,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyState {
    /// No body started.
    None,
    /// DATA sent, waiting for 354.
    AwaitingGoAhead,
    /// Writing a dot-stuffed body.
    Data,
    /// Writing BDAT chunks.
    Bdat,
    /// The end was sent.
    Done,
}

struct Transaction {
    info: MessageDeclaration,
    accepted: Vec<ForwardPath<'static>>,
    body: BodyState,
    stuffer: Option<DotStuffer>,
    written: u64,
    rejected: bool,
}

struct AuthExchange {
    id: CommandId,
    sasl: sasl_proto::Client,
}

/// The SMTP/LMTP client machine.
pub struct Client {
    config: ClientConfig,
    input: InputBuffer,
    output: OutputBuffer,
    ids: CommandIds,
    queue: VecDeque<Outgoing>,
    inflight: VecDeque<(CommandId, Kind)>,
    events: VecDeque<Result<ClientEvent, ProtocolError>>,
    transport: VecDeque<TransportAction>,
    phase: Phase,
    caps: Option<Capabilities>,
    tls: bool,
    tls_info: Option<TlsInfo>,
    tx: Option<Transaction>,
    auth: Option<AuthExchange>,
    authenticated: bool,
    idle: IdleTimer,
    want_writable: bool,
    closed: bool,
    eof: bool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("phase", &self.phase)
            .field("tls", &self.tls)
            .field("inflight", &self.inflight)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for a new connection at `now`, waiting for the greeting.
    pub fn new(config: ClientConfig, now: Instant) -> Self {
        let idle = IdleTimer::new(
            IdleRules::new(config.timeouts.greeting).with_session(config.timeouts.session),
            now,
        );
        let input_limit = (64 * 1024).max(config.limits.max_sasl_line * 2);
        Self {
            tls: config.implicit_tls,
            input: InputBuffer::new(input_limit),
            output: OutputBuffer::new(),
            ids: CommandIds::new(),
            queue: VecDeque::new(),
            inflight: VecDeque::new(),
            events: VecDeque::new(),
            transport: VecDeque::new(),
            phase: Phase::Greeting,
            caps: None,
            tls_info: config.tls_info.clone(),
            tx: None,
            auth: None,
            authenticated: false,
            idle,
            want_writable: false,
            closed: false,
            eof: false,
            config,
        }
    }

    /// The capabilities of the last EHLO (`None` before it, and after TLS until the next).
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.caps.as_ref()
    }

    /// True once TLS is active.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// True once AUTH succeeded.
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    fn pipelining(&self) -> bool {
        self.config.pipelining && self.caps.as_ref().is_some_and(|c| c.pipelining)
    }

    fn ready(&self, what: &'static str) -> Result<(), UsageError> {
        if self.closed {
            return Err(UsageError::Closed);
        }
        if self.phase != Phase::Ready || self.auth.is_some() {
            return Err(UsageError::NotNow(what));
        }
        Ok(())
    }

    fn encode(command: &Command<'_>) -> Result<Vec<u8>, UsageError> {
        Ok(Self::encode_own(command)?)
    }

    /// A command the client sends by itself (EHLO, HELO, STARTTLS).
    fn encode_own(command: &Command<'_>) -> Result<Vec<u8>, EncodeError> {
        encode_command_line(command)
    }

    fn enqueue(&mut self, kind: Kind, bytes: Vec<u8>) -> CommandId {
        let id = self.ids.next_id();
        self.queue.push_back(Outgoing { id, kind, bytes });
        self.pump_queue();
        id
    }

    /// Moves queued commands to the output as pipelining allows.
    fn pump_queue(&mut self) {
        let pipelining = self.pipelining();
        loop {
            if let Some((_, last)) = self.inflight.back()
                && (!pipelining || last.ends_group())
            {
                return;
            }
            let Some(next) = self.queue.pop_front() else {
                return;
            };
            self.output.push(&next.bytes);
            self.inflight.push_back((next.id, next.kind));
        }
    }

    fn hello_command(&self) -> Command<'static> {
        let name = self.config.hostname.clone().into();
        if self.config.lmtp {
            Command::Lhlo(name)
        } else {
            Command::Ehlo(name)
        }
    }

    fn send_hello(&mut self) {
        self.phase = Phase::Hello;
        match Self::encode_own(&self.hello_command()) {
            Ok(bytes) => {
                self.enqueue(Kind::Ehlo, bytes);
            }
            Err(e) => self.fail(ProtocolError::Encode(e)),
        }
    }

    fn fail(&mut self, error: ProtocolError) {
        self.events.push_back(Err(error));
        self.close();
    }

    fn close(&mut self) {
        if !self.closed {
            self.closed = true;
            self.phase = Phase::Closed;
            self.idle.stop();
            self.queue.clear();
            self.transport.push_back(TransportAction::Close);
        }
    }

    /// Starts a transaction: MAIL FROM with the parameters the declaration and the
    /// capabilities call for, plus `extra` (DSN's RET/ENVID, AUTH=, MT-PRIORITY...).
    pub fn mail_from(
        &mut self,
        from: ReversePath<'_>,
        info: MessageDeclaration,
        extra: MailParameters<'_>,
    ) -> Result<CommandId, UsageError> {
        self.ready("MAIL")?;
        if self.tx.is_some() {
            return Err(UsageError::NotNow("MAIL inside a transaction"));
        }
        let caps = self.caps.clone().unwrap_or_default();
        let mut params = extra.into_owned();
        let utf8 = info.utf8 || matches!(&from, ReversePath::Mailbox(m) if !m.is_ascii());
        if info.binary {
            if !(caps.binary_mime && caps.chunking && self.config.chunking) {
                return Err(UsageError::NotOffered("BINARYMIME"));
            }
            params.body = Some(Body::BinaryMime);
        } else if info.eight_bit {
            if !caps.eight_bit_mime {
                return Err(UsageError::NotOffered("8BITMIME"));
            }
            params.body = Some(Body::EightBitMime);
        }
        if utf8 {
            if !caps.smtputf8 {
                return Err(UsageError::NotOffered("SMTPUTF8"));
            }
            params.smtputf8 = true;
        }
        if let (Some(size), Some(max)) = (info.size, caps.size) {
            if max > 0 && size > max {
                return Err(UsageError::NotOffered("SIZE large enough for the message"));
            }
            params.size = Some(size);
        }
        if (params.ret.is_some() || params.envid.is_some()) && !caps.dsn {
            return Err(UsageError::NotOffered("DSN"));
        }
        if params.requiretls && !(caps.requiretls && self.tls) {
            return Err(UsageError::NotOffered("REQUIRETLS"));
        }
        let bytes = Self::encode(&Command::Mail {
            from: from.into_owned(),
            params,
        })?;
        self.tx = Some(Transaction {
            info,
            accepted: Vec::new(),
            body: BodyState::None,
            stuffer: None,
            written: 0,
            rejected: false,
        });
        Ok(self.enqueue(Kind::Mail, bytes))
    }

    /// RCPT TO, with DSN's NOTIFY/ORCPT in `params` when offered.
    pub fn rcpt_to(
        &mut self,
        to: ForwardPath<'_>,
        params: RcptParameters<'_>,
    ) -> Result<CommandId, UsageError> {
        self.ready("RCPT")?;
        let Some(tx) = &self.tx else {
            return Err(UsageError::NotNow("RCPT before MAIL"));
        };
        if tx.body != BodyState::None {
            return Err(UsageError::NotNow("RCPT after the body started"));
        }
        let caps = self.caps.clone().unwrap_or_default();
        if (params.notify.is_some() || params.orcpt.is_some()) && !caps.dsn {
            return Err(UsageError::NotOffered("DSN"));
        }
        if matches!(&to, ForwardPath::Mailbox(m) if !m.is_ascii()) && !caps.smtputf8 {
            return Err(UsageError::NotOffered("SMTPUTF8"));
        }
        let to = to.into_owned();
        let bytes = Self::encode(&Command::Rcpt {
            to: to.clone(),
            params: params.into_owned(),
        })?;
        Ok(self.enqueue(Kind::Rcpt(to), bytes))
    }

    /// Starts the body: BDAT when CHUNKING is offered (and allowed), else DATA. With DATA,
    /// wait for [`ClientEvent::BodyWritable`] before writing.
    pub fn start_body(&mut self) -> Result<Option<CommandId>, UsageError> {
        self.ready("DATA")?;
        let caps = self.caps.clone().unwrap_or_default();
        let chunking = caps.chunking && self.config.chunking;
        let pipelining = self.pipelining();
        let Some(tx) = &mut self.tx else {
            return Err(UsageError::NotNow("DATA before MAIL"));
        };
        if tx.body != BodyState::None {
            return Err(UsageError::NotNow("a second body"));
        }
        if tx.rejected {
            return Err(UsageError::NotNow("the server refused MAIL FROM"));
        }
        // Without pipelining every RCPT reply is known: refuse a body nobody gets.
        let rcpts_pending = self
            .inflight
            .iter()
            .any(|(_, k)| matches!(k, Kind::Rcpt(_) | Kind::Mail))
            || self
                .queue
                .iter()
                .any(|o| matches!(o.kind, Kind::Rcpt(_) | Kind::Mail));
        if !pipelining && !rcpts_pending && tx.accepted.is_empty() {
            return Err(UsageError::NotNow("no recipient was accepted"));
        }
        if chunking {
            tx.body = BodyState::Bdat;
            // BDAT is never dot-stuffed, but a message that is not binary still has its line
            // ends made CRLF (DESIGN: a client sending a body normalises it) and is checked
            // against its declaration.
            if !tx.info.binary {
                tx.stuffer = Some(DotStuffer::new(
                    StuffConfig::new()
                        .stuffing(false)
                        .endings(BareLineEnding::Normalize)
                        .allow_8bit(tx.info.eight_bit)
                        .allow_nul(false),
                ));
            }
            self.want_writable = false;
            self.events.push_back(Ok(ClientEvent::BodyWritable));
            return Ok(None);
        }
        let info = tx.info;
        tx.stuffer = Some(DotStuffer::new(
            StuffConfig::new()
                .endings(BareLineEnding::Normalize)
                .allow_8bit(info.eight_bit || info.binary)
                .allow_nul(false)
                .max_line_len(Some(self.config.limits.max_text_line.saturating_sub(2))),
        ));
        tx.body = BodyState::AwaitingGoAhead;
        let bytes = Self::encode(&Command::Data)?;
        Ok(Some(self.enqueue(Kind::Data, bytes)))
    }

    /// Writes body octets; returns how many were taken (0 while the output buffer is above
    /// its high-water mark or the 354 has not come: wait for [`ClientEvent::BodyWritable`]).
    ///
    /// DATA bodies are dot-stuffed, line ends normalised to CRLF, and checked against the
    /// declaration (8-bit octets, NUL, line length); BDAT bodies go as they are.
    pub fn write_body(&mut self, data: &[u8]) -> Result<usize, UsageError> {
        if self.closed {
            return Err(UsageError::Closed);
        }
        let room = self
            .config
            .body_high_water
            .saturating_sub(self.pending_out());
        let Some(tx) = &mut self.tx else {
            return Err(UsageError::NotNow("body without a transaction"));
        };
        // At most `room` octets: all of `data` when it is shorter.
        let piece = data.get(..room).unwrap_or(data);
        let take = piece.len();
        if take == 0 && !data.is_empty() {
            self.want_writable = true;
            return Ok(0);
        }
        if let Some(size) = tx.info.size
            && tx.written + take as u64 > size
        {
            return Err(UsageError::BodyTooLong(size));
        }
        match tx.body {
            BodyState::Data => {
                let Some(stuffer) = tx.stuffer.as_mut() else {
                    return Err(UsageError::NotNow("body"));
                };
                // Stuffed straight into the output; on an error what this call wrote goes.
                let out = self.output.writer();
                let before = out.len();
                if let Err(error) = stuffer.write(piece, out) {
                    out.truncate(before);
                    return Err(UsageError::Body(error));
                }
            }
            BodyState::Bdat => {
                if piece.is_empty() {
                    return Ok(0);
                }
                let mut normalised = bytes::BytesMut::new();
                let chunk: &[u8] = match tx.stuffer.as_mut() {
                    Some(stuffer) => {
                        stuffer
                            .write(piece, &mut normalised)
                            .map_err(UsageError::Body)?;
                        &normalised
                    }
                    None => piece,
                };
                tx.written += take as u64;
                if chunk.is_empty() {
                    // Only a CR whose LF may come next: it goes with the next chunk.
                    return Ok(take);
                }
                let mut bytes = Self::encode(&Command::Bdat {
                    size: chunk.len() as u64,
                    last: false,
                })?;
                bytes.extend_from_slice(chunk);
                if take < data.len() {
                    self.want_writable = true;
                }
                self.enqueue(Kind::Bdat { last: false }, bytes);
                return Ok(take);
            }
            BodyState::AwaitingGoAhead => {
                self.want_writable = true;
                return Ok(0);
            }
            BodyState::None | BodyState::Done => return Err(UsageError::NotNow("body")),
        }
        tx.written += take as u64;
        if take < data.len() {
            self.want_writable = true;
        }
        Ok(take)
    }

    /// Ends the body: "." after DATA, or BDAT 0 LAST. A caller that holds the end of the
    /// message says so with [`Client::finish_body_with`] instead, which saves the empty
    /// chunk.
    pub fn finish_body(&mut self) -> Result<CommandId, UsageError> {
        self.finish_body_with(&[])
    }

    /// Ends the body with `last`, its final octets (all taken, whatever the output holds):
    /// after DATA they are written as [`Client::write_body`] writes, then "."; with BDAT
    /// they go as the `BDAT <n> LAST` chunk, so the end of a message whose end is known
    /// costs no extra `BDAT 0 LAST` command and reply (RFC 3030 section 2).
    pub fn finish_body_with(&mut self, last: &[u8]) -> Result<CommandId, UsageError> {
        if self.closed {
            return Err(UsageError::Closed);
        }
        let Some(tx) = &mut self.tx else {
            return Err(UsageError::NotNow("finish without a body"));
        };
        let written = tx.written + last.len() as u64;
        if let Some(size) = tx.info.size
            && written > size
        {
            // The declared size must be exact for SIZE= to mean something.
            return Err(UsageError::BodyTooLong(size));
        }
        match tx.body {
            BodyState::Data => {
                let mut out = bytes::BytesMut::new();
                if let Some(stuffer) = tx.stuffer.as_mut() {
                    stuffer.write(last, &mut out).map_err(UsageError::Body)?;
                    stuffer.finish(&mut out).map_err(UsageError::Body)?;
                }
                tx.written = written;
                tx.body = BodyState::Done;
                let id = self.ids.next_id();
                self.output.push(&out);
                self.inflight.push_back((id, Kind::DataEnd));
                Ok(id)
            }
            BodyState::Bdat => {
                // Line ends made CRLF as in write_body; a final bare CR becomes CRLF.
                let mut chunk = bytes::BytesMut::new();
                match tx.stuffer.as_mut() {
                    Some(stuffer) => {
                        stuffer.write(last, &mut chunk).map_err(UsageError::Body)?;
                        stuffer.finish(&mut chunk).map_err(UsageError::Body)?;
                    }
                    None => chunk.extend_from_slice(last),
                }
                tx.written = written;
                tx.body = BodyState::Done;
                let mut bytes = Self::encode(&Command::Bdat {
                    size: chunk.len() as u64,
                    last: true,
                })?;
                bytes.extend_from_slice(&chunk);
                Ok(self.enqueue(Kind::Bdat { last: true }, bytes))
            }
            _ => Err(UsageError::NotNow("finish before the body")),
        }
    }

    /// RSET: ends the transaction.
    pub fn rset(&mut self) -> Result<CommandId, UsageError> {
        self.ready("RSET")?;
        if matches!(&self.tx, Some(tx) if matches!(tx.body, BodyState::Data | BodyState::AwaitingGoAhead))
        {
            return Err(UsageError::NotNow("RSET inside DATA"));
        }
        self.tx = None;
        let bytes = Self::encode(&Command::Rset)?;
        Ok(self.enqueue(Kind::Other("RSET"), bytes))
    }

    /// Sends a command that needs no state: NOOP, VRFY, EXPN, HELP, ETRN.
    pub fn simple(&mut self, command: Command<'_>) -> Result<CommandId, UsageError> {
        self.ready("command")?;
        let verb = command.verb();
        if !matches!(verb, "NOOP" | "VRFY" | "EXPN" | "HELP" | "ETRN") {
            return Err(UsageError::NotNow("this command through simple()"));
        }
        let bytes = Self::encode(&command)?;
        Ok(self.enqueue(Kind::Other(verb), bytes))
    }

    /// QUIT.
    pub fn quit(&mut self) -> Result<CommandId, UsageError> {
        if self.closed {
            return Err(UsageError::Closed);
        }
        let bytes = Self::encode(&Command::Quit)?;
        Ok(self.enqueue(Kind::Quit, bytes))
    }

    /// AUTH with the strongest mechanism both sides support. Credentials never cross an
    /// unprotected link unless [`ClientConfig::plaintext_auth`] says so.
    pub fn authenticate(
        &mut self,
        credentials: Credentials,
        sasl: sasl_proto::ClientConfig,
    ) -> Result<CommandId, UsageError> {
        self.ready("AUTH")?;
        if self.tx.is_some() || !self.inflight.is_empty() {
            return Err(UsageError::NotNow("AUTH inside a transaction"));
        }
        if self.authenticated {
            return Err(UsageError::NotNow("AUTH twice"));
        }
        let caps = self.caps.clone().unwrap_or_default();
        if caps.auth.is_empty() {
            return Err(UsageError::NotOffered("AUTH"));
        }
        let binding = self.tls_info.as_ref().and_then(|i| {
            ChannelBinding::from_tls(i.tls_exporter.as_deref(), i.tls_server_end_point.as_deref())
        });
        // The strongest mechanism both sides can run (never SCRAM without a nonce source,
        // never a password on an unprotected link): sasl-proto's choice, as every client's.
        let link = sasl_proto::Link::new(self.tls || self.config.plaintext_auth)
            .with_channel_binding(binding);
        let offered: Vec<Mechanism> = caps.auth.iter().cloned().collect();
        let mut client = sasl_proto::Client::negotiate(&offered, credentials, sasl, link).map_err(
            |e| match e {
                sasl_proto::NegotiateError::Plaintext => UsageError::Plaintext,
                sasl_proto::NegotiateError::Sasl(e) => UsageError::Sasl(e),
                _ => UsageError::NoMechanism,
            },
        )?;
        let mechanism = client.mechanism().clone();
        let ir = client.initial_response().map_err(UsageError::Sasl)?;
        let initial_response = ir.map(|r| {
            if r.is_empty() {
                "=".to_owned()
            } else {
                String::from_utf8_lossy(&sasl_proto::codec::encode_continuation(&r)).into_owned()
            }
        });
        let command = Command::Auth {
            mechanism: mechanism.as_str().to_owned().into(),
            initial_response: initial_response.map(Into::into),
        };
        let bytes = Self::encode(&command)?;
        if bytes.len() > self.config.limits.max_sasl_line + 2 {
            return Err(UsageError::Encode(crate::EncodeError::TooLong {
                len: bytes.len(),
                limit: self.config.limits.max_sasl_line + 2,
            }));
        }
        let id = self.enqueue(Kind::Auth, bytes);
        self.auth = Some(AuthExchange { id, sasl: client });
        Ok(id)
    }

    fn handle_reply(&mut self, reply: Reply<'static>) {
        let code = reply.code();
        // An unsolicited 421, or a 421 to any command: the server is closing (RFC 5321 3.8).
        if code == ReplyCode::SERVICE_NOT_AVAILABLE {
            self.events.push_back(Ok(ClientEvent::Closed(Some(reply))));
            self.inflight.clear();
            self.close();
            return;
        }
        if self.phase == Phase::Greeting {
            self.idle.set_idle(self.config.timeouts.other);
            let code = code.get();
            self.events.push_back(Ok(ClientEvent::Greeting(reply)));
            match code {
                220 => self.send_hello(),
                // RFC 5321 3.1: after a 554 greeting the client sends QUIT.
                554 => {
                    let _ = self.quit();
                }
                _ => {
                    self.events.push_back(Ok(ClientEvent::Closed(None)));
                    self.close();
                }
            }
            return;
        }
        // A 334 belongs to the AUTH exchange in progress.
        if code == ReplyCode::AUTH_CONTINUE
            && matches!(self.inflight.front(), Some((_, Kind::Auth)))
        {
            self.auth_challenge(&reply);
            return;
        }
        let Some((id, kind)) = self.inflight.pop_front() else {
            self.fail(ProtocolError::UnexpectedReply(code.get()));
            return;
        };
        self.on_reply(id, kind, reply);
        self.pump_queue();
        self.check_writable();
    }

    fn on_reply(&mut self, id: CommandId, kind: Kind, reply: Reply<'static>) {
        let positive = reply.code().is_positive();
        match kind {
            Kind::Ehlo => {
                if positive {
                    self.hello_done(Capabilities::from_ehlo(&reply));
                } else if !self.config.lmtp && matches!(reply.code().get(), 500..=504 | 550) {
                    // RFC 5321 3.2: fall back to HELO.
                    match Self::encode_own(&Command::Helo(self.config.hostname.clone().into())) {
                        Ok(bytes) => {
                            self.enqueue(Kind::Helo, bytes);
                        }
                        Err(e) => self.fail(ProtocolError::Encode(e)),
                    }
                } else {
                    self.events.push_back(Ok(ClientEvent::Reply {
                        id,
                        verb: "EHLO",
                        reply,
                    }));
                    let _ = self.quit();
                }
            }
            Kind::Helo => {
                if positive {
                    let caps = Capabilities {
                        domain: reply
                            .lines()
                            .next()
                            .map(|l| String::from_utf8_lossy(l).into_owned())
                            .unwrap_or_default(),
                        ..Capabilities::default()
                    };
                    self.hello_done(caps);
                } else {
                    self.events.push_back(Ok(ClientEvent::Reply {
                        id,
                        verb: "HELO",
                        reply,
                    }));
                    let _ = self.quit();
                }
            }
            Kind::StartTls => {
                if reply.code() == ReplyCode::READY {
                    if !self.input.is_empty() {
                        self.fail(ProtocolError::DataAfterStartTls);
                        return;
                    }
                    self.phase = Phase::StartTls;
                    self.transport.push_back(TransportAction::StartTls);
                } else if self.config.tls == TlsPolicy::Required {
                    self.fail(ProtocolError::TlsRequired);
                } else {
                    self.phase = Phase::Ready;
                    if let Some(caps) = self.caps.clone() {
                        self.events.push_back(Ok(ClientEvent::Ready(caps)));
                    }
                }
            }
            Kind::Auth => {
                let Some(exchange) = self.auth.take() else {
                    return;
                };
                if reply.code() == ReplyCode::AUTH_OK {
                    let mut sasl = exchange.sasl;
                    if let Err(e) = sasl.finish(None) {
                        self.fail(ProtocolError::Sasl(e));
                        return;
                    }
                    self.authenticated = true;
                    let mechanism = sasl.mechanism().clone();
                    self.events.push_back(Ok(ClientEvent::Authenticated {
                        id: exchange.id,
                        mechanism,
                    }));
                } else {
                    self.events.push_back(Ok(ClientEvent::AuthFailed {
                        id: exchange.id,
                        reply,
                    }));
                }
            }
            Kind::Mail => {
                if !positive && let Some(tx) = &mut self.tx {
                    tx.rejected = true;
                }
                self.events.push_back(Ok(ClientEvent::Reply {
                    id,
                    verb: "MAIL",
                    reply,
                }));
            }
            Kind::Rcpt(recipient) => {
                if positive && let Some(tx) = &mut self.tx {
                    tx.accepted.push(recipient.clone());
                }
                self.events.push_back(Ok(ClientEvent::Recipient {
                    id,
                    recipient,
                    reply,
                }));
            }
            Kind::Data => {
                let Some(tx) = &mut self.tx else { return };
                if reply.code() == ReplyCode::START_DATA {
                    if tx.accepted.is_empty() {
                        // Go-ahead with no recipient: end the empty data at once.
                        self.output.push(b".\r\n");
                        let end = self.ids.next_id();
                        tx.body = BodyState::Done;
                        self.inflight.push_back((end, Kind::DataEnd));
                    } else {
                        tx.body = BodyState::Data;
                        self.want_writable = false;
                        self.events.push_back(Ok(ClientEvent::BodyWritable));
                    }
                    self.events.push_back(Ok(ClientEvent::Reply {
                        id,
                        verb: "DATA",
                        reply,
                    }));
                } else {
                    self.tx = None;
                    self.events.push_back(Ok(ClientEvent::Reply {
                        id,
                        verb: "DATA",
                        reply,
                    }));
                }
            }
            Kind::DataEnd | Kind::Bdat { last: true } => self.message_reply(id, reply),
            Kind::Bdat { last: false } => {
                if !positive && let Some(tx) = &mut self.tx {
                    tx.rejected = true;
                }
                self.events.push_back(Ok(ClientEvent::Reply {
                    id,
                    verb: "BDAT",
                    reply,
                }));
            }
            Kind::Quit => {
                self.events.push_back(Ok(ClientEvent::Closed(Some(reply))));
                self.close();
            }
            Kind::Other(verb) => self
                .events
                .push_back(Ok(ClientEvent::Reply { id, verb, reply })),
        }
    }

    fn message_reply(&mut self, id: CommandId, reply: Reply<'static>) {
        if self.config.lmtp {
            // RFC 2033 4.2: one reply per accepted recipient, in RCPT order.
            let Some(tx) = &mut self.tx else { return };
            if tx.accepted.is_empty() {
                self.tx = None;
                self.events
                    .push_back(Ok(ClientEvent::MessageDone { id, reply }));
                return;
            }
            let recipient = tx.accepted.remove(0);
            let more = !tx.accepted.is_empty();
            if more {
                // Wait for the next recipient's reply.
                self.inflight.push_front((id, Kind::DataEnd));
            } else {
                self.tx = None;
            }
            self.events.push_back(Ok(ClientEvent::LmtpDelivery {
                id,
                recipient,
                reply,
            }));
            return;
        }
        self.tx = None;
        self.events
            .push_back(Ok(ClientEvent::MessageDone { id, reply }));
    }

    fn hello_done(&mut self, caps: Capabilities) {
        self.caps = Some(caps.clone());
        let tls_wanted = !self.tls
            && match self.config.tls {
                TlsPolicy::Required => true,
                TlsPolicy::Opportunistic => caps.starttls,
                _ => false,
            };
        if tls_wanted {
            if !caps.starttls {
                self.fail(ProtocolError::TlsRequired);
                return;
            }
            self.phase = Phase::StartTls;
            match Self::encode_own(&Command::StartTls) {
                Ok(bytes) => {
                    self.enqueue(Kind::StartTls, bytes);
                }
                Err(e) => self.fail(ProtocolError::Encode(e)),
            }
            return;
        }
        self.phase = Phase::Ready;
        self.events.push_back(Ok(ClientEvent::Ready(caps)));
    }

    fn auth_challenge(&mut self, reply: &Reply<'_>) {
        let text = reply.lines().next().unwrap_or_default();
        let limits =
            sasl_proto::Limits::default().with_max_line_len(self.config.limits.max_sasl_line);
        let challenge = match sasl_proto::codec::decode_challenge_with(text, &limits) {
            Ok(c) => c,
            Err(_) => {
                // RFC 4954 4: a challenge that cannot be decoded is answered with "*".
                self.output.push(b"*\r\n");
                return;
            }
        };
        let Some(exchange) = &mut self.auth else {
            return;
        };
        match exchange.sasl.step(&challenge) {
            Ok(ClientStep::Response(r)) => {
                let mut line = sasl_proto::codec::encode_continuation(&r);
                line.extend_from_slice(b"\r\n");
                self.output.push(&line);
            }
            Ok(ClientStep::Done) => self.output.push(b"\r\n"),
            Ok(_) => self.output.push(b"*\r\n"),
            Err(_) => self.output.push(b"*\r\n"),
        }
    }

    /// True while a reply is awaited: the greeting, or a command in flight.
    fn waiting(&self) -> bool {
        self.phase == Phase::Greeting || !self.inflight.is_empty()
    }

    /// The idle limit of the wait for the oldest command in flight (RFC 5321 4.5.3.2).
    fn phase_timeout(&self) -> Duration {
        match self.inflight.front() {
            Some((_, kind)) => kind.timeout(&self.config.timeouts),
            None => self.config.timeouts.other,
        }
    }

    /// Body octets waiting: in the output buffer and in commands not sent yet.
    fn pending_out(&self) -> usize {
        self.output.len() + self.queue.iter().map(|o| o.bytes.len()).sum::<usize>()
    }

    fn check_writable(&mut self) {
        if self.want_writable && self.pending_out() < self.config.body_high_water / 2 {
            self.want_writable = false;
            self.events.push_back(Ok(ClientEvent::BodyWritable));
        }
    }

    fn max_reply_line(&self) -> usize {
        if self.auth.is_some() {
            self.config
                .limits
                .max_reply_line
                .max(self.config.limits.max_sasl_line + 6)
        } else {
            self.config.limits.max_reply_line
        }
    }
}

impl Machine for Client {
    type Event = ClientEvent;
    type Error = ProtocolError;

    proto_core::machine_buffers!();

    fn receive(&mut self, data: &[u8], now: Instant) {
        if self.closed {
            return;
        }
        self.idle.input(now);
        if self.phase == Phase::StartTls && !self.transport.is_empty() {
            // The upgrade is asked for but not done: a byte now is plaintext injection.
            self.fail(ProtocolError::DataAfterStartTls);
            return;
        }
        self.input.extend(data);
    }

    fn wants_input(&self) -> bool {
        !self.closed && self.input.has_room() && self.transport.is_empty()
    }

    fn advance_transmit(&mut self, n: usize) {
        self.output.advance(n);
        self.check_writable();
    }

    fn poll_event(&mut self) -> Option<Result<ClientEvent, ProtocolError>> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Some(event);
            }
            if self.closed || !self.transport.is_empty() {
                return None;
            }
            let limits = self
                .config
                .limits
                .with_max_reply_line(self.max_reply_line());
            let parsed = parse_reply_with(self.input.data(), &limits);
            match parsed {
                Ok(Parsed::Complete { value, consumed }) => {
                    let reply = value.into_owned();
                    bytes::Buf::advance(self.input.data(), consumed);
                    self.handle_reply(reply);
                    // A whole reply is progress; the next wait has its own phase's limit, and
                    // a client that waits for nothing has no idle limit.
                    if self.waiting() {
                        self.idle.set_idle(self.phase_timeout());
                        self.idle.progress();
                    } else {
                        self.idle.pause();
                    }
                }
                Ok(Parsed::Incomplete) => {
                    if self.eof {
                        if self.inflight.is_empty()
                            && self.queue.is_empty()
                            && self.phase != Phase::Greeting
                        {
                            self.events.push_back(Ok(ClientEvent::Closed(None)));
                            self.close();
                        } else {
                            self.fail(ProtocolError::Closed("in the middle of a reply"));
                        }
                        continue;
                    }
                    return None;
                }
                Err(e) => {
                    self.fail(ProtocolError::Reply(e));
                }
            }
        }
    }

    fn poll_transport(&mut self) -> Option<TransportAction> {
        self.transport.pop_front()
    }

    fn tls_established(&mut self, info: TlsInfo) {
        // RFC 3207 4.2: forget the capabilities and ask again.
        self.tls = true;
        self.tls_info = Some(info);
        self.caps = None;
        self.events.push_back(Ok(ClientEvent::TlsEstablished));
        // Implicit TLS is reported before the greeting: EHLO waits for the 220 as usual.
        if !self.closed && self.phase != Phase::Greeting {
            self.send_hello();
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.idle.client_deadline(!self.closed && self.waiting())
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        let waiting = self.waiting();
        if waiting && !self.idle.is_running() {
            // The wait that starts now has its phase's limit (RFC 5321 4.5.3.2).
            self.idle.set_idle(self.phase_timeout());
        }
        if let Some(expiry) = self.idle.client_timeout(waiting, now) {
            self.fail(ProtocolError::Timeout(expiry));
        }
    }
}
