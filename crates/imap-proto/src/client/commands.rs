//! Queueing commands: one entry, [`Client::send`], refusing at once what the state or the
//! capabilities forbid, with the state unchanged.

use proto_core::CommandId;

use super::gate::{check_capability, check_state};
use super::send::Kind;
use super::{Client, ConnectionState, Phase, SelectedMailbox, UsageError};
use crate::types::{Capabilities, CommandBody, Mailbox, SelectParams};

impl Client {
    /// Queues `body`; its [`ClientEvent::Completed`](super::ClientEvent::Completed) carries
    /// the returned id and the data that answered it.
    ///
    /// Refused at once, with nothing sent: a command the connection state does not allow
    /// (FETCH with no mailbox selected), one whose capability the server did not announce
    /// (MOVE without MOVE), one the session's mode does not have (LSUB under IMAP4rev2),
    /// anything but DONE during IDLE, and the commands that have their own method or that
    /// the client runs itself: LOGIN ([`Client::login`]), AUTHENTICATE
    /// ([`Client::authenticate`]), IDLE ([`Client::idle`]) and STARTTLS (as
    /// [`ClientConfig::tls`](super::ClientConfig::tls) says).
    ///
    /// Commands go on the wire as RFC 9051 section 5.5 allows: several at once where their
    /// results cannot be confused, one at a time where they could.
    pub fn send(&mut self, body: CommandBody) -> Result<CommandId, UsageError> {
        let kind = match &body {
            CommandBody::Login { .. } => return Err(UsageError::NotNow("LOGIN (use login)")),
            CommandBody::Authenticate { .. } => {
                return Err(UsageError::NotNow("AUTHENTICATE (use authenticate)"));
            }
            CommandBody::StartTls => {
                return Err(UsageError::NotNow("STARTTLS (the client runs it itself)"));
            }
            CommandBody::Idle if self.idling.is_some() => {
                return Err(UsageError::NotNow("IDLE during IDLE"));
            }
            CommandBody::Idle => Kind::Idle,
            CommandBody::Select { mailbox, .. } => Kind::Select {
                view: SelectedMailbox::new(mailbox.clone(), false, self.config.max_uid_map),
            },
            CommandBody::Examine { mailbox, .. } => Kind::Select {
                view: SelectedMailbox::new(mailbox.clone(), true, self.config.max_uid_map),
            },
            CommandBody::Close | CommandBody::Unselect => Kind::Deselect,
            CommandBody::Logout => Kind::Logout,
            CommandBody::Capability => Kind::Capability { internal: false },
            CommandBody::Compress(_) => Kind::Compress,
            _ => Kind::Plain,
        };
        self.submit(body, kind)
    }

    /// SELECT `mailbox` (with CONDSTORE or QRESYNC parameters, when given); the view is at
    /// [`Client::selected`] once it completes.
    pub fn select(
        &mut self,
        mailbox: Mailbox,
        params: SelectParams,
    ) -> Result<CommandId, UsageError> {
        self.send(CommandBody::Select { mailbox, params })
    }

    /// LOGOUT: the server's BYE and the completion follow, then [`ClientEvent::Closed`]
    /// when the server closes.
    ///
    /// [`ClientEvent::Closed`]: super::ClientEvent::Closed
    pub fn logout(&mut self) -> Result<CommandId, UsageError> {
        self.send(CommandBody::Logout)
    }

    /// The checks every command passes, then the queue.
    pub(super) fn submit(
        &mut self,
        body: CommandBody,
        kind: Kind,
    ) -> Result<CommandId, UsageError> {
        let caps = self.ready_caps(body.name())?;
        let state = self.expected_state();
        check_state(&body, state).map_err(|_| UsageError::WrongState {
            command: body.name(),
            state,
        })?;
        check_capability(&body, &caps).map_err(UsageError::NotOffered)?;
        Ok(self.enqueue(body, kind)?)
    }

    /// The state the connection will be in once the commands queued and in flight succeed:
    /// a command may be queued behind the LOGIN or SELECT it needs (pipelined), and fails
    /// with the server's NO or BAD if that one does.
    fn expected_state(&self) -> ConnectionState {
        let kinds = self
            .in_flight
            .iter()
            .map(|f| &f.kind)
            .chain(self.held.iter().map(|q| &q.kind));
        kinds.fold(self.state, |state, kind| match kind {
            Kind::Login | Kind::Authenticate(_) => ConnectionState::Authenticated,
            Kind::Select { .. } => ConnectionState::Selected,
            Kind::Deselect => ConnectionState::Authenticated,
            Kind::Logout => ConnectionState::Logout,
            _ => state,
        })
    }

    /// The capabilities, once the session is ready and not idling.
    pub(super) fn ready_caps(&self, command: &'static str) -> Result<Capabilities, UsageError> {
        if self.closed {
            return Err(UsageError::Closed);
        }
        if self.phase != Phase::Ready {
            return Err(UsageError::NotNow("a command before the session is ready"));
        }
        if self.idling.is_some() && command != "DONE" {
            return Err(UsageError::NotNow(
                "a command during IDLE (send DONE first)",
            ));
        }
        Ok(self.caps.clone().unwrap_or_default())
    }
}
