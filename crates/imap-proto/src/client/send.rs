//! The command queue: tags, the order commands may go in, and writing each one, waiting for
//! the server's `+` before a synchronising literal.

use std::collections::VecDeque;

use bytes::Bytes;
use proto_core::CommandId;

use super::gate::Flow;
use super::stream::AppendStream;
use super::{Client, ClientEvent};
use crate::codec::{Encoded, Fragment, LiteralPolicy, encode_command};
use crate::types::{Capability, Command, CommandBody, Data, Tag};

/// What the client does with a command beyond sending it and reporting its completion.
#[derive(Debug)]
pub(super) enum Kind {
    /// Nothing special.
    Plain,
    /// CAPABILITY; `internal` when the client asked on its own (no completion event).
    Capability {
        internal: bool,
    },
    StartTls,
    Login,
    Authenticate(Box<sasl_proto::Client>),
    /// SELECT or EXAMINE, with the view its answer fills.
    Select {
        view: super::SelectedMailbox,
    },
    /// CLOSE or UNSELECT: no mailbox is selected afterwards.
    Deselect,
    Logout,
    Idle,
    Compress,
}

/// Which data responses a command collects for its completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Collect {
    Nothing,
    Fetch,
    Search,
    List,
    Lsub,
    Status,
    Sort,
    Thread,
    Namespace,
    Quota,
    Metadata,
    Id,
    Enabled,
    Capability,
    Select,
}

impl Collect {
    pub(super) fn of(body: &CommandBody) -> Self {
        use CommandBody as B;
        match body {
            B::Fetch { .. } => Self::Fetch,
            B::Store { silent: false, .. } => Self::Fetch,
            B::Search { .. } => Self::Search,
            B::List(_) => Self::List,
            B::Lsub { .. } => Self::Lsub,
            B::Status { .. } => Self::Status,
            B::Sort { .. } => Self::Sort,
            B::Thread { .. } => Self::Thread,
            B::Namespace => Self::Namespace,
            B::GetQuota(_) | B::GetQuotaRoot(_) | B::SetQuota { .. } => Self::Quota,
            B::GetMetadata { .. } => Self::Metadata,
            B::Id(_) => Self::Id,
            B::Enable(_) => Self::Enabled,
            B::Capability => Self::Capability,
            B::Select { .. } | B::Examine { .. } => Self::Select,
            _ => Self::Nothing,
        }
    }

    /// True when `data` answers a command that collects this.
    pub(super) fn takes(self, data: &Data) -> bool {
        matches!(
            (self, data),
            (Self::Fetch, Data::Fetch { .. })
                | (Self::Search, Data::Search { .. } | Data::ESearch(_))
                | (Self::List, Data::List(_) | Data::Status { .. })
                | (Self::Lsub, Data::Lsub(_))
                | (Self::Status, Data::Status { .. })
                | (Self::Sort, Data::Sort { .. } | Data::ESearch(_))
                | (Self::Thread, Data::Thread(_))
                | (Self::Namespace, Data::Namespace(_))
                | (Self::Quota, Data::Quota { .. } | Data::QuotaRoot { .. })
                | (Self::Metadata, Data::Metadata { .. })
                | (Self::Id, Data::Id(_))
                | (Self::Enabled, Data::Enabled(_))
                | (Self::Capability, Data::Capability(_))
                | (
                    Self::Select,
                    Data::Flags(_) | Data::Exists(_) | Data::Recent(_) | Data::List(_)
                )
        )
    }
}

/// A command accepted but not yet on the wire.
#[derive(Debug)]
pub(super) struct Queued {
    pub id: CommandId,
    pub tag: Tag,
    pub name: &'static str,
    pub kind: Kind,
    pub flow: Flow,
    pub collect: Collect,
    pub encoded: Encoded,
}

/// A command on the wire whose tagged response is awaited.
#[derive(Debug)]
pub(super) struct InFlight {
    pub id: CommandId,
    pub tag: Tag,
    pub name: &'static str,
    pub kind: Kind,
    pub flow: Flow,
    pub collect: Collect,
    pub data: Vec<Data>,
    /// Wire octets of `data`.
    pub collected: usize,
    /// Data responses handed on as events past the collection limit.
    pub spilled: usize,
}

impl InFlight {
    pub(super) fn is_logout(&self) -> bool {
        matches!(self.kind, Kind::Logout)
    }
}

/// The rest of the command being written.
#[derive(Debug)]
pub(super) struct Sending {
    pub id: CommandId,
    pub rest: VecDeque<Fragment>,
    /// The server's `+` came for the synchronising literal at the front of `rest`.
    pub go_ahead: bool,
}

impl Client {
    /// The literal announcements this session allows (RFC 7888).
    pub(super) fn literal_policy(&self) -> LiteralPolicy {
        match &self.caps {
            Some(c) if c.has(&Capability::LiteralPlus) => LiteralPolicy::Plus,
            Some(c) if c.has(&Capability::LiteralMinus) => LiteralPolicy::Minus,
            _ => LiteralPolicy::Sync,
        }
    }

    /// Encodes `body` with the next tag and queues it; returns its id.
    pub(super) fn enqueue(
        &mut self,
        body: CommandBody,
        kind: Kind,
    ) -> Result<CommandId, crate::EncodeError> {
        self.enqueue_at(body, kind, false)
    }

    /// As [`Self::enqueue`], ahead of every queued command when `first`.
    pub(super) fn enqueue_at(
        &mut self,
        body: CommandBody,
        kind: Kind,
        first: bool,
    ) -> Result<CommandId, crate::EncodeError> {
        let tag = self.new_tag();
        let name = body.name();
        let flow = Flow::of(&body);
        let collect = Collect::of(&body);
        let command = Command::new(tag.clone(), body);
        let encoded = encode_command(&command, self.mode, self.literal_policy())?;
        let id = self.ids.next_id();
        let queued = Queued {
            id,
            tag,
            name,
            kind,
            flow,
            collect,
            encoded,
        };
        if first {
            self.held.push_front(queued);
        } else {
            self.held.push_back(queued);
        }
        self.pump();
        Ok(id)
    }

    fn new_tag(&mut self) -> Tag {
        let n = self.next_tag;
        self.next_tag = self.next_tag.wrapping_add(1);
        // The prefix was checked when the client was made: tag characters and digits.
        Tag::from_checked(Bytes::from(format!("{}{n}", self.tag_prefix)))
    }

    /// Sends what may go now: the command being written first, then queued commands as
    /// the pipelining rules allow.
    pub(super) fn pump(&mut self) {
        loop {
            if self.closed || self.upgrading.is_some() {
                return;
            }
            if self.sending.is_some() {
                if !self.write_sending() {
                    return;
                }
                continue;
            }
            let Some(next) = self.held.front() else {
                return;
            };
            if !next.flow.may_follow(self.in_flight.iter().map(|f| f.flow)) {
                return;
            }
            let Some(q) = self.held.pop_front() else {
                return;
            };
            self.in_flight.push(InFlight {
                id: q.id,
                tag: q.tag,
                name: q.name,
                kind: q.kind,
                flow: q.flow,
                collect: q.collect,
                data: Vec::new(),
                collected: 0,
                spilled: 0,
            });
            self.sending = Some(Sending {
                id: q.id,
                rest: q.encoded.fragments.into(),
                go_ahead: false,
            });
        }
    }

    /// Writes the command being sent as far as it may go; true when it is all written.
    fn write_sending(&mut self) -> bool {
        let Some(sending) = self.sending.as_mut() else {
            return true;
        };
        while let Some(fragment) = sending.rest.pop_front() {
            match fragment {
                Fragment::Line(line) => self.output.push(&line),
                Fragment::Literal { data, sync } => {
                    if sync && !sending.go_ahead {
                        sending.rest.push_front(Fragment::Literal { data, sync });
                        return false;
                    }
                    sending.go_ahead = false;
                    self.output.push(&data);
                }
                Fragment::Streamed { size, sync } => {
                    if self.append.is_none() {
                        if sync && !sending.go_ahead {
                            sending.rest.push_front(Fragment::Streamed { size, sync });
                            return false;
                        }
                        sending.go_ahead = false;
                        let id = sending.id;
                        self.append = Some(AppendStream {
                            id,
                            remaining: size,
                        });
                        self.events.push_back(Ok(ClientEvent::BodyWritable { id }));
                    }
                    if self.append.as_ref().is_some_and(|a| a.remaining > 0) {
                        // The caller's data goes here: wait for write_append.
                        sending.rest.push_front(Fragment::Streamed { size, sync });
                        return false;
                    }
                    self.append = None;
                }
            }
        }
        self.sending = None;
        true
    }

    /// The server's `+` for the literal the command being written waits on; false when
    /// nothing waits for one.
    pub(super) fn literal_go_ahead(&mut self) -> bool {
        let Some(sending) = self.sending.as_mut() else {
            return false;
        };
        let waits = match sending.rest.front() {
            Some(Fragment::Literal { sync, .. }) => *sync,
            Some(Fragment::Streamed { sync, .. }) => *sync && self.append.is_none(),
            _ => false,
        };
        if !waits || sending.go_ahead {
            return false;
        }
        sending.go_ahead = true;
        self.pump();
        true
    }

    /// The tagged response of the command being written came before its literal was sent:
    /// the rest of it is dropped (the server refused the literal).
    pub(super) fn drop_sending(&mut self, id: CommandId) {
        if self.sending.as_ref().is_some_and(|s| s.id == id) {
            self.sending = None;
            if self.append.as_ref().is_some_and(|a| a.id == id) {
                self.append = None;
            }
        }
    }
}
