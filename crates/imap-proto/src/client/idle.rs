//! IDLE (RFC 2177, RFC 9051 section 6.3.13): start, unsolicited responses while idling,
//! DONE, and a refresh through the timer before the server's inactivity limit.

use std::time::Instant;

use proto_core::CommandId;

use super::send::Kind;
use super::{Client, ClientEvent, Completion, UsageError};
use crate::types::{CommandBody, Condition};

/// A running IDLE, as the application sees it: one id from `idle` to the completion, however
/// often the client renewed it.
#[derive(Debug)]
pub(super) struct Idling {
    /// The id the application was given.
    pub id: CommandId,
    /// The server's `+` came: the server is idling.
    pub running: bool,
    /// When the client renews the IDLE.
    pub refresh_at: Option<Instant>,
    /// DONE was sent to renew, not to end.
    pub refreshing: bool,
    /// The application asked for DONE before the server's `+` came.
    pub done_asked: bool,
}

impl Client {
    /// Starts IDLE: [`ClientEvent::Idling`] when the server accepts, then unsolicited
    /// responses as they come, until [`Client::idle_done`]. The client renews the IDLE
    /// after [`ClientConfig::idle_refresh`](super::ClientConfig::idle_refresh) on its own.
    pub fn idle(&mut self) -> Result<CommandId, UsageError> {
        let id = self.send(CommandBody::Idle)?;
        self.idling = Some(Idling {
            id,
            running: false,
            refresh_at: None,
            refreshing: false,
            done_asked: false,
        });
        Ok(id)
    }

    /// Ends IDLE (sends DONE); the IDLE's [`ClientEvent::Completed`] follows.
    pub fn idle_done(&mut self) -> Result<(), UsageError> {
        let Some(idling) = self.idling.as_mut() else {
            return Err(UsageError::NotNow("DONE without IDLE"));
        };
        if idling.refreshing || idling.done_asked {
            // A DONE is already on its way; the renewal is called off.
            idling.refreshing = false;
            idling.done_asked = true;
            return Ok(());
        }
        if idling.running {
            idling.running = false;
            idling.refresh_at = None;
            self.output.push(b"DONE\r\n");
        } else {
            idling.done_asked = true;
        }
        Ok(())
    }

    /// The server's `+` to IDLE; false when no IDLE waits for one.
    pub(super) fn idle_started(&mut self) -> bool {
        let sent = self.in_flight.iter().any(|f| matches!(f.kind, Kind::Idle));
        let Some(idling) = self.idling.as_mut() else {
            return false;
        };
        if !sent || idling.running {
            return false;
        }
        if idling.done_asked {
            self.output.push(b"DONE\r\n");
            return true;
        }
        idling.running = true;
        idling.refresh_at = self.idle.last_input().checked_add(self.config.idle_refresh);
        let (id, renewed) = (idling.id, idling.refreshing);
        idling.refreshing = false;
        // No response is awaited while the server idles.
        self.idle.pause();
        if !renewed {
            self.push(ClientEvent::Idling { id });
        }
        true
    }

    /// The tagged response to an IDLE: renew it, or hand the completion on.
    pub(super) fn on_idle_done(&mut self, mut completion: Completion) {
        let Some(idling) = self.idling.take() else {
            self.push(ClientEvent::Completed(completion));
            return;
        };
        if idling.refreshing && completion.status == Condition::Ok {
            self.idling = Some(Idling {
                refreshing: true,
                ..idling
            });
            if let Err(e) = self.enqueue_at(CommandBody::Idle, Kind::Idle, true) {
                self.fail(super::ProtocolError::Encode(e));
                return;
            }
            return;
        }
        completion.id = idling.id;
        self.push(ClientEvent::Completed(completion));
    }

    /// Renews a running IDLE whose time has come: DONE now, IDLE again after its OK.
    pub(super) fn refresh_idle(&mut self, now: Instant) {
        let Some(idling) = self.idling.as_mut() else {
            return;
        };
        if !idling.running || idling.refresh_at.is_none_or(|at| at > now) {
            return;
        }
        idling.running = false;
        idling.refresh_at = None;
        idling.refreshing = true;
        self.output.push(b"DONE\r\n");
        // The OK to DONE is awaited from now.
        self.idle.restart(now);
    }
}
