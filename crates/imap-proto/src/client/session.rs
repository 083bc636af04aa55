//! Setting the session up: the greeting, STARTTLS as the policy asks, and the capabilities,
//! forgotten after TLS and after login and asked again when the server did not send them.

use proto_core::{TlsInfo, TlsPolicy, TransportAction};

use super::send::Kind;
use super::{Client, ClientEvent, Completion, ConnectionState, Phase, ProtocolError};
use crate::types::{Capability, Code, CommandBody, Condition, Response};

impl Client {
    pub(super) fn on_greeting(&mut self, response: Response) {
        let Response::Status(s) = response else {
            self.fail(ProtocolError::BadGreeting);
            return;
        };
        if s.tag.is_some() {
            self.fail(ProtocolError::BadGreeting);
            return;
        }
        match s.condition {
            Condition::Ok => {}
            Condition::PreAuth => self.state = ConnectionState::Authenticated,
            Condition::Bye => {
                self.state = ConnectionState::Logout;
                self.push(ClientEvent::Bye(s));
                return;
            }
            _ => {
                self.fail(ProtocolError::BadGreeting);
                return;
            }
        }
        if let Some(Code::Capability(caps)) = &s.code {
            self.caps = Some(caps.clone());
        }
        self.phase = Phase::Setup;
        self.push(ClientEvent::Greeting(s));
        self.setup();
    }

    /// Takes the next step towards a ready session: capabilities, then STARTTLS when the
    /// policy wants it, then [`ClientEvent::Ready`].
    pub(super) fn setup(&mut self) {
        if self.phase != Phase::Setup {
            return;
        }
        let wants_tls = !self.tls && self.config.tls != TlsPolicy::Never;
        if wants_tls && self.state != ConnectionState::NotAuthenticated {
            // PREAUTH on cleartext: STARTTLS is no longer possible (RFC 9051 section 6.2.1).
            if self.config.tls == TlsPolicy::Required {
                self.fail(ProtocolError::TlsRequired);
                return;
            }
        } else if wants_tls {
            let Some(caps) = &self.caps else {
                self.ask_capabilities();
                return;
            };
            if caps.has(&Capability::StartTls) {
                self.internal(CommandBody::StartTls, Kind::StartTls);
                return;
            }
            if self.config.tls == TlsPolicy::Required {
                self.fail(ProtocolError::TlsRequired);
                return;
            }
        }
        match self.caps.clone() {
            Some(caps) => {
                self.phase = Phase::Ready;
                self.push(ClientEvent::Ready(caps));
            }
            None => self.ask_capabilities(),
        }
    }

    /// Asks for the capabilities, ahead of any command the application queued.
    fn ask_capabilities(&mut self) {
        self.internal(CommandBody::Capability, Kind::Capability { internal: true });
    }

    /// Queues a command the client makes on its own, ahead of the application's.
    fn internal(&mut self, body: CommandBody, kind: Kind) {
        if let Err(e) = self.enqueue_at(body, kind, true) {
            self.fail(ProtocolError::Encode(e));
        }
    }

    pub(super) fn on_capability_done(&mut self, completion: Completion, internal: bool) {
        // The CAPABILITY data already set `self.caps` as it came (responses.rs).
        if !internal {
            self.push(ClientEvent::Completed(completion));
            return;
        }
        if self.phase == Phase::Setup {
            // A server that answered without a list offers nothing beyond the base protocol.
            self.caps.get_or_insert_with(Default::default);
            self.setup();
            return;
        }
        // Asked again after login: hand on the login's completion, then what was learned.
        if let Some(held) = self.held_completion.take() {
            self.push(ClientEvent::Completed(held));
        }
        if let Some(caps) = self.caps.clone() {
            self.push(ClientEvent::Capabilities(caps));
        }
    }

    pub(super) fn on_starttls_done(&mut self, completion: Completion) {
        if completion.status != Condition::Ok {
            if self.config.tls == TlsPolicy::Required {
                self.fail(ProtocolError::TlsRequired);
            } else {
                self.phase = Phase::Ready;
                let caps = self.caps.clone().unwrap_or_default();
                self.push(ClientEvent::Ready(caps));
            }
            return;
        }
        // Nothing may be read until the handshake is done: a byte after this OK that is
        // already buffered is injected plaintext (checked after this message).
        self.upgrading = Some(super::Upgrade::StartTls);
        self.transport.push_back(TransportAction::StartTls);
    }

    pub(super) fn on_tls(&mut self, info: TlsInfo) {
        // RFC 9051 section 6.2.1: forget the capabilities and ask again.
        self.tls = true;
        self.tls_info = Some(info);
        self.caps = None;
        self.framer =
            crate::codec::MessageFramer::new(crate::codec::Side::Client, self.config.limits);
        self.push(ClientEvent::TlsEstablished);
        self.setup();
        self.pump();
    }

    /// After LOGIN or AUTHENTICATE: the state, and the capabilities learned again unless
    /// the tagged OK carried them (RFC 9051 section 6.2.2).
    pub(super) fn login_succeeded(&mut self, completion: Completion) {
        self.state = ConnectionState::Authenticated;
        self.idle.login();
        if matches!(completion.code, Some(Code::Capability(_))) {
            self.push(ClientEvent::Completed(completion));
            if let Some(caps) = self.caps.clone() {
                self.push(ClientEvent::Capabilities(caps));
            }
            return;
        }
        self.caps = None;
        self.held_completion = Some(completion);
        self.ask_capabilities();
    }
}
