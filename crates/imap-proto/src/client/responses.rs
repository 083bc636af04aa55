//! What the server says: data responses to the command that asked or to unsolicited events,
//! untagged status to the mailbox view or events, tagged status to completions, and `+` to
//! the command that waits for it.

use super::send::{Collect, Kind};
use super::{Client, ClientEvent, Completion, ConnectionState, Phase, ProtocolError};
use crate::codec::{Message, parse_response_message};
use crate::types::{Code, Condition, Continue, Data, FetchItem, Response, StatusResponse};

impl Client {
    pub(super) fn on_message(&mut self, message: Message) {
        let response = match parse_response_message(&message, self.parse_options()) {
            Ok(r) => r,
            Err(error) => {
                // A response that cannot be read ends the session only when it completes a
                // command (the completion would be lost) or is the greeting; an untagged one,
                // or a stray line such as Exchange's bare `[COPYUID 55 31 6]` (MailKit issue
                // 115), is an event and the session goes on.
                let completes = error
                    .kind
                    .tag
                    .as_ref()
                    .is_some_and(|t| self.in_flight.iter().any(|f| &f.tag == t));
                if !completes && self.phase != Phase::Greeting {
                    self.push(ClientEvent::Unparsed {
                        line: message.first,
                        error,
                    });
                } else {
                    self.fail(ProtocolError::Response(error));
                }
                return;
            }
        };
        if self.phase == Phase::Greeting {
            self.on_greeting(response);
            return;
        }
        match response {
            Response::Data(data) => {
                let size = usize::try_from(message.wire_len()).unwrap_or(usize::MAX);
                self.on_data(data, size);
            }
            Response::Status(s) if s.tag.is_some() => self.on_tagged(s),
            Response::Status(s) => self.on_untagged_status(s),
            Response::Continue(c) => self.on_continue(c),
        }
    }

    /// A data response of `size` octets on the wire.
    fn on_data(&mut self, data: Data, size: usize) {
        match &data {
            Data::Capability(caps) => {
                self.caps = Some(caps.clone());
            }
            Data::Exists(n) => {
                if let Some(view) = self.view_mut() {
                    view.set_exists(*n);
                }
            }
            Data::Recent(n) => {
                if let Some(view) = self.view_mut() {
                    view.set_recent(*n);
                }
            }
            Data::Flags(flags) => {
                if let Some(view) = self.view_mut() {
                    view.set_flags(flags.clone());
                }
            }
            Data::Expunge(seq) => {
                if let Some(view) = self.selected.as_mut() {
                    view.expunge(*seq);
                }
                self.push(ClientEvent::Expunged(*seq));
                return;
            }
            Data::Vanished { earlier, uids } => {
                if !earlier && let Some(view) = self.selected.as_mut() {
                    view.vanish(uids);
                }
                self.push(ClientEvent::Vanished {
                    earlier: *earlier,
                    uids: uids.clone(),
                });
                return;
            }
            Data::Fetch { seq, items } => {
                if let Some(view) = self.view_mut() {
                    for item in items {
                        match item {
                            FetchItem::Uid(uid) => view.learn_uid(seq.get(), *uid),
                            FetchItem::ModSeq(m) => view.learn_modseq(*m),
                            _ => {}
                        }
                    }
                }
            }
            Data::Enabled(names) => {
                for name in names {
                    if name.is("IMAP4rev2") {
                        self.mode.revision = crate::types::Revision::Rev2;
                    } else if name.is("UTF8=ACCEPT") {
                        self.mode.utf8_accept = true;
                    }
                }
            }
            _ => {}
        }
        let limit = self.config.max_collected;
        let mut answers = None;
        if let Some(f) = self.taker(&data).and_then(|i| self.in_flight.get_mut(i)) {
            // The client's own commands (the capabilities it asks for) always keep theirs.
            let internal = matches!(f.kind, Kind::Capability { internal: true });
            if internal || f.collected.saturating_add(size) <= limit {
                f.collected = f.collected.saturating_add(size);
                f.data.push(data);
                return;
            }
            f.spilled += 1;
            answers = Some(f.id);
        }
        let event = match data {
            Data::Fetch { seq, items } => ClientEvent::Fetch {
                id: answers,
                seq,
                items,
            },
            data if answers.is_some() => ClientEvent::Data { id: answers, data },
            Data::Capability(caps) => ClientEvent::Capabilities(caps),
            Data::Exists(n) => ClientEvent::Exists(n),
            Data::Recent(n) => ClientEvent::Recent(n),
            data => ClientEvent::Data { id: None, data },
        };
        self.push(event);
    }

    /// The mailbox view being built by a SELECT in flight, or the selected one.
    fn view_mut(&mut self) -> Option<&mut super::SelectedMailbox> {
        let selecting = self.in_flight.iter_mut().find_map(|f| match &mut f.kind {
            Kind::Select { view, .. } => Some(view),
            _ => None,
        });
        match selecting {
            Some(view) => Some(view),
            None => self.selected.as_mut(),
        }
    }

    /// The command in flight that collects `data`: an ESEARCH names its command's tag;
    /// otherwise the oldest command that asked for data of this kind.
    fn taker(&self, data: &Data) -> Option<usize> {
        if let Data::ESearch(e) = data
            && let Some(tag) = &e.tag
        {
            return self.in_flight.iter().position(|f| &f.tag == tag);
        }
        self.in_flight.iter().position(|f| f.collect.takes(data))
    }

    fn on_untagged_status(&mut self, s: StatusResponse) {
        if s.condition == Condition::Bye {
            self.state = ConnectionState::Logout;
            self.push(ClientEvent::Bye(s));
            return;
        }
        if let Some(code) = &s.code {
            match code {
                Code::Alert => {
                    self.push(ClientEvent::Alert(s.text.clone()));
                    return;
                }
                Code::Capability(caps) => self.caps = Some(caps.clone()),
                _ => {
                    let selecting = self
                        .in_flight
                        .iter()
                        .any(|f| matches!(f.kind, Kind::Select { .. }));
                    if let Some(view) = self.view_mut()
                        && view.apply_code(code)
                        && selecting
                    {
                        // Part of SELECT's answer: the view holds it.
                        return;
                    }
                }
            }
        }
        self.push(ClientEvent::Status(s));
    }

    fn on_tagged(&mut self, s: StatusResponse) {
        let Some(tag) = &s.tag else {
            return;
        };
        let Some(index) = self.in_flight.iter().position(|f| &f.tag == tag) else {
            self.fail(ProtocolError::UnknownTag(tag.clone()));
            return;
        };
        let flight = self.in_flight.remove(index);
        // A tagged answer before the `+` refuses the literal: the rest is not sent.
        self.drop_sending(flight.id);
        let ok = s.condition == Condition::Ok;
        if let Some(Code::Capability(caps)) = &s.code {
            self.caps = Some(caps.clone());
        }
        let completion = Completion {
            id: flight.id,
            command: flight.name,
            status: s.condition,
            code: s.code,
            text: s.text,
            data: flight.data,
            spilled: flight.spilled,
        };
        match flight.kind {
            Kind::Plain => self.push(ClientEvent::Completed(completion)),
            Kind::Capability { internal } => self.on_capability_done(completion, internal),
            Kind::StartTls => self.on_starttls_done(completion),
            Kind::Login | Kind::Authenticate(_) => self.on_login_done(completion, flight.kind),
            Kind::Select { mut view } => {
                if let Some(code) = &completion.code {
                    view.apply_code(code);
                }
                self.selected = ok.then_some(view);
                self.state = if ok {
                    ConnectionState::Selected
                } else {
                    ConnectionState::Authenticated
                };
                self.push(ClientEvent::Completed(completion));
            }
            Kind::Deselect => {
                if ok {
                    self.selected = None;
                    self.state = ConnectionState::Authenticated;
                }
                self.push(ClientEvent::Completed(completion));
            }
            Kind::Logout => {
                self.state = ConnectionState::Logout;
                self.push(ClientEvent::Completed(completion));
            }
            Kind::Idle => self.on_idle_done(completion),
            Kind::Compress => {
                if ok {
                    self.upgrading = Some(super::Upgrade::Compress);
                    self.transport
                        .push_back(proto_core::TransportAction::Compress(
                            proto_core::Compression::Deflate,
                        ));
                }
                self.push(ClientEvent::Completed(completion));
            }
        }
        self.pump();
    }

    fn on_continue(&mut self, c: Continue) {
        if self.literal_go_ahead() {
            return;
        }
        if self.sasl_step(&c) {
            return;
        }
        if self.idle_started() {
            return;
        }
        self.fail(ProtocolError::UnexpectedContinuation);
    }

    /// The FETCH command in flight that streamed body sections belong to.
    pub(super) fn collects_fetch(&self) -> Option<proto_core::CommandId> {
        self.in_flight
            .iter()
            .find(|f| f.collect == Collect::Fetch)
            .map(|f| f.id)
    }
}
