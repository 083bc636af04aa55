//! The IMAP client machine: commands in, tagged completions, unsolicited responses and
//! streamed bodies out, on proto-core's [`Machine`] contract.
//!
//! The modules follow the concepts: [`gate`] says which command may go now, `send` keeps the
//! queue and writes commands (waiting for `+` before a synchronising literal), `responses`
//! dispatches what the server says, `session` runs the greeting, STARTTLS and the
//! capabilities, `auth` LOGIN and AUTHENTICATE, `idle` IDLE and its refresh, `stream` the
//! streamed FETCH bodies and APPEND data, and [`mailbox`] keeps the selected mailbox's view.

mod auth;
mod commands;
mod config;
mod error;
mod event;
mod gate;
mod idle;
mod mailbox;
mod responses;
mod send;
mod session;
mod stream;

use std::collections::VecDeque;
use std::time::Instant;

use proto_core::{
    CommandIds, IdleTimer, InputBuffer, Machine, OutputBuffer, TlsInfo, TransportAction,
};

use crate::codec::{FrameEvent, MessageFramer, ParseOptions, Side};
use crate::types::{Capabilities, Mode};

pub use config::{ClientConfig, IDLE_REFRESH, RESPONSE_TIMEOUT};
pub use error::{ProtocolError, UsageError};
pub use event::{ClientEvent, Completion};
pub use gate::ConnectionState;
pub use mailbox::SelectedMailbox;

use send::{InFlight, Queued, Sending};
use stream::{AppendStream, BodyStream};

/// A change of the transport the server accepted and the driver has yet to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Upgrade {
    StartTls,
    Compress,
}

impl Upgrade {
    /// The error for bytes that arrived before the change.
    fn injected(self) -> ProtocolError {
        match self {
            Self::StartTls => ProtocolError::DataAfterStartTls,
            Self::Compress => ProtocolError::DataAfterCompress,
        }
    }
}

/// Where the session is in setting itself up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the greeting.
    Greeting,
    /// Asking for capabilities, or upgrading to TLS, before the session is ready.
    Setup,
    /// Commands may go.
    Ready,
}

/// An IMAP client (RFC 3501, RFC 9051): a sans-IO state machine.
///
/// Queue commands with the methods of this type (each returns the [`CommandId`] its
/// [`ClientEvent::Completed`] will carry), and drive it as [`Machine`] says.
///
/// [`CommandId`]: proto_core::CommandId
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    input: InputBuffer,
    output: OutputBuffer,
    framer: MessageFramer,
    transport: VecDeque<TransportAction>,
    events: VecDeque<Result<ClientEvent, ProtocolError>>,
    idle: IdleTimer,
    ids: CommandIds,
    tag_prefix: String,
    next_tag: u64,
    phase: Phase,
    state: ConnectionState,
    caps: Option<Capabilities>,
    mode: Mode,
    tls: bool,
    tls_info: Option<TlsInfo>,
    /// STARTTLS or COMPRESS was accepted: nothing may be read until the transport changed.
    upgrading: Option<Upgrade>,
    /// Commands queued but not yet allowed on the wire.
    held: VecDeque<Queued>,
    /// The command being written, when it waits for `+` or for streamed data.
    sending: Option<Sending>,
    /// Commands sent whose tagged response is awaited.
    in_flight: Vec<InFlight>,
    selected: Option<SelectedMailbox>,
    idling: Option<idle::Idling>,
    append: Option<AppendStream>,
    body: Option<BodyStream>,
    /// A login's completion, held until the capabilities after login are known.
    held_completion: Option<Completion>,
    eof: bool,
    closed: bool,
}

impl Client {
    /// A client for a connection opened at `now`. With implicit TLS (or
    /// [`ClientConfig::with_tls_info`]) the connection counts as protected from the start.
    pub fn new(config: ClientConfig, now: Instant) -> Self {
        let limit = config.limits.max_line.max(64 * 1024);
        Self {
            input: InputBuffer::new(limit),
            output: OutputBuffer::new(),
            framer: MessageFramer::new(Side::Client, config.limits),
            transport: VecDeque::new(),
            events: VecDeque::new(),
            idle: IdleTimer::new(config.idle, now),
            ids: CommandIds::new(),
            tag_prefix: tag_prefix(&config.tag_prefix),
            next_tag: 1,
            phase: Phase::Greeting,
            state: ConnectionState::NotAuthenticated,
            caps: None,
            mode: Mode::REV1,
            tls: config.implicit_tls,
            tls_info: config.tls_info.clone(),
            upgrading: None,
            held: VecDeque::new(),
            sending: None,
            in_flight: Vec::new(),
            selected: None,
            idling: None,
            append: None,
            body: None,
            held_completion: None,
            eof: false,
            closed: false,
            config,
        }
    }

    /// The server's capabilities, when known (they are forgotten after STARTTLS and login
    /// until learned again).
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.caps.as_ref()
    }

    /// The connection's state.
    pub fn state(&self) -> ConnectionState {
        self.state
    }

    /// The session's mode: IMAP4rev2 once ENABLEd, UTF8=ACCEPT once ENABLEd.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The selected mailbox's view, while one is selected.
    pub fn selected(&self) -> Option<&SelectedMailbox> {
        self.selected.as_ref()
    }

    /// True once the connection is protected by TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// True once the session is over.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Commands queued or in flight.
    pub fn pending(&self) -> usize {
        self.held.len() + self.in_flight.len()
    }

    fn parse_options(&self) -> ParseOptions {
        ParseOptions {
            mode: self.mode,
            lenient: self.config.lenient,
        }
    }

    fn push(&mut self, event: ClientEvent) {
        self.events.push_back(Ok(event));
    }

    /// Ends the session with a fatal error.
    fn fail(&mut self, error: ProtocolError) {
        if self.closed {
            return;
        }
        self.events.push_back(Err(error));
        self.close();
    }

    fn close(&mut self) {
        self.closed = true;
        self.state = ConnectionState::Logout;
        self.idle.stop();
        self.held.clear();
        self.sending = None;
        self.in_flight.clear();
        // A STARTTLS or COMPRESS asked for and not yet taken is called off.
        self.transport.clear();
        self.transport.push_back(TransportAction::Close);
    }

    /// True while a response is awaited and the idle limit applies (not while IDLE runs).
    fn waiting(&self) -> bool {
        !self.closed
            && (self.phase == Phase::Greeting
                || (!self.in_flight.is_empty() && !self.idling.as_ref().is_some_and(|i| i.running)))
    }

    /// Reads and handles framed input until an event is queued or more input is needed.
    fn process(&mut self) {
        while self.events.is_empty() && !self.closed && self.upgrading.is_none() {
            let Some(frame) = self.framer.poll(self.input.data()) else {
                if self.eof {
                    self.on_eof();
                }
                return;
            };
            match frame {
                FrameEvent::Message(message) => {
                    self.on_message(message);
                    if self.waiting() {
                        self.idle.progress();
                    } else {
                        self.idle.pause();
                    }
                }
                FrameEvent::LiteralStart { head, size, .. } => self.on_body_start(&head, size),
                FrameEvent::LiteralChunk { data, remaining } => self.on_body_chunk(data, remaining),
                FrameEvent::Error(e) => self.fail(ProtocolError::Framing(e)),
                // Only a server's framer asks about literals.
                FrameEvent::LiteralRequest { .. } => {}
            }
        }
        if let Some(upgrade) = self.upgrading
            && !self.input.is_empty()
        {
            self.fail(upgrade.injected());
        }
    }

    fn on_eof(&mut self) {
        if self.state == ConnectionState::Logout && self.in_flight.iter().all(|f| f.is_logout()) {
            self.push(ClientEvent::Closed);
            self.close();
        } else {
            self.fail(ProtocolError::Closed("before LOGOUT completed"));
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
        if let Some(upgrade) = self.upgrading {
            // The upgrade is asked for but not done: a byte now is plaintext injection.
            self.fail(upgrade.injected());
            return;
        }
        self.input.extend(data);
    }

    fn wants_input(&self) -> bool {
        !self.closed && !self.eof && self.upgrading.is_none() && self.input.has_room()
    }

    fn advance_transmit(&mut self, n: usize) {
        self.output.advance(n);
        self.check_writable();
    }

    fn poll_event(&mut self) -> Option<Result<ClientEvent, ProtocolError>> {
        if self.events.is_empty() {
            self.process();
        }
        self.events.pop_front()
    }

    fn poll_transport(&mut self) -> Option<TransportAction> {
        let action = self.transport.pop_front();
        if let Some(TransportAction::Compress(_)) = action {
            // The driver wraps the streams now: what is written from here is compressed.
            self.upgrading = None;
            self.pump();
        }
        action
    }

    fn tls_established(&mut self, info: TlsInfo) {
        if self.upgrading != Some(Upgrade::StartTls) {
            return;
        }
        self.upgrading = None;
        self.on_tls(info);
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        let refresh = self.idling.as_ref().and_then(|i| i.refresh_at);
        proto_core::timer::earliest([self.idle.client_deadline(self.waiting()), refresh])
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        self.refresh_idle(now);
        if let Some(expiry) = self.idle.client_timeout(self.waiting(), now) {
            self.fail(ProtocolError::Timeout(expiry));
        }
    }
}

/// The configured tag prefix when every octet is a tag character, `A` otherwise.
fn tag_prefix(prefix: &str) -> String {
    if prefix.bytes().all(crate::chars::is_tag_char) {
        prefix.to_owned()
    } else {
        "A".to_owned()
    }
}
