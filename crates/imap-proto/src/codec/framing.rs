//! The message framer: cuts whole IMAP messages (lines and their literals) off a `BytesMut`
//! as they arrive, on proto-core's `LineFramer` in counted mode.
//!
//! Literals up to [`Limits::max_inline_literal`] octets are parsed with their message. Larger
//! ones (FETCH bodies, APPEND data) are handed over as `Bytes` chunks split off the input as
//! they arrive, never copied and never scanned, and appear in the message as
//! [`LiteralData::Streamed`]. On the server side a synchronising literal is announced with
//! its tag before its data is read ([`FrameEvent::LiteralRequest`]): the server sends `+`
//! ([`MessageFramer::accept_literal`]) or refuses with a tagged NO/BAD
//! ([`MessageFramer::refuse_literal`]), after which the peer sends no data and the next line
//! is a new command.

use bytes::{Bytes, BytesMut};
use proto_core::line::{Frame, LiteralHead};
use proto_core::{BareLineEnding, LineError, LineFramer};

use super::message::{Continuation, LiteralData, Message};
use crate::chars::is_tag_char;
use crate::error::{Fault, ParseError, ParseErrorKind};
use crate::types::Tag;

/// Which side of the connection reads with this framer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// A server reading commands: synchronising literals wait for its decision.
    Server,
    /// A client reading responses: literals follow their line at once.
    Client,
}

/// The framer's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The longest line, CRLF included. Servers: 8,192 (RFC 7162 section 4 asks for at
    /// least that); clients: 16 MiB (a SEARCH or FETCH reply of a large mailbox).
    pub max_line: usize,
    /// The largest literal announced. Larger ones are refused before anything is reserved.
    pub max_literal: u64,
    /// Literals up to this size are parsed with their message; larger ones stream.
    pub max_inline_literal: u64,
    /// The most octets of lines and inline literals one message may hold.
    pub max_message: usize,
}

impl Limits {
    /// The defaults of a server reading commands.
    pub const SERVER: Self = Self {
        max_line: 8192,
        max_literal: 64 * 1024 * 1024,
        max_inline_literal: 64 * 1024,
        max_message: 1024 * 1024,
    };
    /// The defaults of a client reading responses.
    pub const CLIENT: Self = Self {
        max_line: 16 * 1024 * 1024,
        max_literal: 4 * 1024 * 1024 * 1024,
        max_inline_literal: 64 * 1024,
        max_message: 32 * 1024 * 1024,
    };

    /// The same limits with another line limit.
    #[must_use]
    pub fn with_max_line(mut self, line: usize) -> Self {
        self.max_line = line;
        self
    }

    /// The same limits with another literal limit.
    #[must_use]
    pub fn with_max_literal(mut self, literal: u64) -> Self {
        self.max_literal = literal;
        self
    }

    /// The same limits with another inline size.
    #[must_use]
    pub fn with_max_inline_literal(mut self, inline: u64) -> Self {
        self.max_inline_literal = inline;
        self
    }

    /// The same limits with another message size.
    #[must_use]
    pub fn with_max_message(mut self, message: usize) -> Self {
        self.max_message = message;
        self
    }
}

/// What the framer cuts from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameEvent {
    /// A whole message.
    Message(Message),
    /// (Server) a synchronising literal was announced: nothing more is read until
    /// [`MessageFramer::accept_literal`] or [`MessageFramer::refuse_literal`].
    LiteralRequest {
        /// The tag of the command, when its first line starts with one.
        tag: Option<Tag>,
        /// The announced size.
        size: u64,
        /// A `literal8`.
        binary: bool,
    },
    /// A literal too large to parse inline begins; its octets follow as
    /// [`FrameEvent::LiteralChunk`]s.
    LiteralStart {
        /// The message so far: its lines up to and including the announcement.
        head: Message,
        /// The literal's size.
        size: u64,
        /// A `literal8`.
        binary: bool,
    },
    /// Octets of a streamed literal, split off the input.
    LiteralChunk {
        /// The octets.
        data: Bytes,
        /// How many octets of the literal follow.
        remaining: u64,
    },
    /// A message that could not be framed (line or literal over its limit, bare line end).
    /// It has been skipped, and framing goes on with the next message. The error carries the
    /// tag when the message's first line was read whole (a literal or a message over its
    /// limit); a line too long to keep, or with a bare line end, was dropped unread and comes
    /// without one, whatever the split of the input (a server answers `* BAD`).
    Error(ParseError),
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    head: LiteralHead,
    streamed: bool,
}

/// Cuts IMAP messages from a buffer.
#[derive(Debug)]
pub struct MessageFramer {
    lines: LineFramer,
    side: Side,
    limits: Limits,
    /// The message being assembled.
    partial: Option<Message>,
    /// Octets of lines and inline literals in `partial`.
    held: usize,
    /// Wire offset in the message of the next line.
    offset: usize,
    /// The literal being read.
    literal: Option<Pending>,
    /// The literal just read, to go with the next line.
    after: Option<LiteralData>,
    /// A synchronising literal awaits the server's decision.
    paused: bool,
    /// A streamed literal was accepted: announce it before its data.
    announce: bool,
    /// Dropping the rest of a refused message.
    discarding: bool,
}

impl MessageFramer {
    /// A framer for `side` with `limits`. A server refuses bare line ends; a client takes a
    /// bare LF as a line end.
    pub fn new(side: Side, limits: Limits) -> Self {
        let endings = match side {
            Side::Server => BareLineEnding::Reject,
            Side::Client => BareLineEnding::Accept,
        };
        Self {
            lines: LineFramer::new(limits.max_line, endings).with_literals(limits.max_literal),
            side,
            limits,
            partial: None,
            held: 0,
            offset: 0,
            literal: None,
            after: None,
            paused: false,
            announce: false,
            discarding: false,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// True while a synchronising literal waits for [`Self::accept_literal`] or
    /// [`Self::refuse_literal`].
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// The server sent `+`: the literal's data comes next.
    pub fn accept_literal(&mut self) {
        if self.paused {
            self.paused = false;
            self.announce = self.literal.is_some_and(|p| p.streamed);
        }
    }

    /// The server refused the literal (tagged NO or BAD): the peer sends no data, the
    /// message is dropped, and the next line is a new command.
    pub fn refuse_literal(&mut self) {
        if self.paused {
            self.paused = false;
            self.lines.cancel_literal();
            self.reset();
        }
    }

    fn reset(&mut self) {
        self.partial = None;
        self.held = 0;
        self.offset = 0;
        self.literal = None;
        self.after = None;
        self.announce = false;
    }

    fn tag(&self) -> Option<Tag> {
        match &self.partial {
            Some(m) => leading_tag(&m.first),
            None => None,
        }
    }

    fn error(&mut self, fault: Fault, line: &[u8], at: usize) -> FrameEvent {
        let kind = ParseErrorKind {
            fault,
            tag: self.tag(),
        };
        let error = ParseError::new(kind, line, at).shifted(self.offset);
        self.reset();
        FrameEvent::Error(error)
    }

    /// The next event, or `None` when more input is needed (or a literal awaits a decision).
    pub fn poll(&mut self, buf: &mut BytesMut) -> Option<FrameEvent> {
        loop {
            if self.paused {
                return None;
            }
            if self.announce {
                self.announce = false;
                if let (Some(head), Some(p)) = (self.partial.clone(), self.literal) {
                    return Some(FrameEvent::LiteralStart {
                        head,
                        size: p.head.size,
                        binary: p.head.binary,
                    });
                }
            }
            if let Some(p) = self.literal {
                match self.lines.poll_frame(buf, !p.streamed)? {
                    Ok(Frame::Literal { data, remaining }) => {
                        if remaining == 0 {
                            self.literal = None;
                            self.offset = self
                                .offset
                                .saturating_add(usize::try_from(p.head.size).unwrap_or(usize::MAX));
                        }
                        if p.streamed {
                            if remaining == 0 {
                                self.after = Some(LiteralData::Streamed { size: p.head.size });
                            }
                            return Some(FrameEvent::LiteralChunk { data, remaining });
                        }
                        self.held = self.held.saturating_add(data.len());
                        self.after = Some(LiteralData::Inline(data));
                        if self.held > self.limits.max_message {
                            // The rest of the message is dropped as it comes.
                            self.discarding = true;
                            let fault = Fault::MessageTooLarge(self.limits.max_message);
                            return Some(self.error(fault, b"", 0));
                        }
                        continue;
                    }
                    // The framer only leaves counted mode through the calls above.
                    _ => {
                        self.literal = None;
                        continue;
                    }
                }
            }
            let frame = self.lines.poll_frame(buf, true)?;
            if let Some(event) = self.on_frame(frame) {
                return Some(event);
            }
        }
    }

    fn on_frame(&mut self, frame: Result<Frame, LineError>) -> Option<FrameEvent> {
        let (line, head) = match frame {
            Err(e) => {
                self.discarding = false;
                let fault = match e {
                    LineError::TooLong { limit, .. } => Fault::LineTooLong(limit),
                    _ => Fault::BareLineEnding,
                };
                return Some(self.error(fault, b"", 0));
            }
            Ok(Frame::Literal { .. }) => return None,
            Ok(Frame::Oversized {
                line,
                literal,
                limit,
            }) => {
                let peer_sends = self.side == Side::Client || !literal.sync;
                if peer_sends {
                    self.lines.skip_literal(literal.size);
                }
                if self.discarding {
                    self.discarding = peer_sends;
                    return None;
                }
                self.discarding = peer_sends;
                self.note_first(&line);
                let fault = Fault::LiteralTooLarge {
                    size: literal.size,
                    limit,
                };
                return Some(self.error(fault, &line, literal.start));
            }
            Ok(Frame::Line { line, literal }) => (line, literal),
        };
        if self.discarding {
            match head {
                None => self.discarding = false,
                Some(h) if self.side == Side::Client || !h.sync => self.lines.skip_literal(h.size),
                Some(_) => {
                    // The peer waits for a `+` that never comes: the message ends here.
                    self.lines.cancel_literal();
                    self.discarding = false;
                }
            }
            return None;
        }
        self.held = self.held.saturating_add(line.len());
        if self.held > self.limits.max_message {
            if let Some(h) = head {
                if self.side == Side::Server && h.sync {
                    self.lines.cancel_literal();
                } else if h.size > 0 {
                    self.discarding = true;
                    self.lines.skip_literal(h.size);
                }
            }
            self.note_first(&line);
            let fault = Fault::MessageTooLarge(self.limits.max_message);
            return Some(self.error(fault, &line, 0));
        }
        self.push_line(line);
        let Some(head) = head else {
            self.offset = 0;
            self.held = 0;
            return self.partial.take().map(FrameEvent::Message);
        };
        if head.size == 0 {
            self.after = Some(LiteralData::Inline(Bytes::new()));
        } else {
            self.literal = Some(Pending {
                head,
                streamed: head.size > self.limits.max_inline_literal,
            });
        }
        let streamed = head.size > self.limits.max_inline_literal;
        if self.side == Side::Server && head.sync {
            self.paused = true;
            return Some(FrameEvent::LiteralRequest {
                tag: self.tag(),
                size: head.size,
                binary: head.binary,
            });
        }
        if streamed {
            return Some(FrameEvent::LiteralStart {
                head: self.partial.clone()?,
                size: head.size,
                binary: head.binary,
            });
        }
        None
    }

    /// Adds a line to the message being assembled, and moves the offset past it.
    fn push_line(&mut self, line: Bytes) {
        let len = line.len();
        match self.partial.as_mut() {
            None => self.partial = Some(Message::line(line)),
            Some(m) => {
                let literal = self
                    .after
                    .take()
                    .unwrap_or(LiteralData::Inline(Bytes::new()));
                m.rest.push(Continuation {
                    literal,
                    line,
                    offset: self.offset,
                });
            }
        }
        self.offset = self.offset.saturating_add(len + 2);
    }

    /// Makes `line` the message's first line if none was read, so that an error about it
    /// carries its tag.
    fn note_first(&mut self, line: &Bytes) {
        if self.partial.is_none() {
            self.partial = Some(Message::line(line.clone()));
        }
    }
}

/// The tag at the front of a message's first line (tag octets followed by SP), if any.
fn leading_tag(line: &Bytes) -> Option<Tag> {
    let n = line.iter().position(|&b| !is_tag_char(b))?;
    if n == 0 || line.get(n) != Some(&b' ') {
        return None;
    }
    Some(Tag::from_checked(line.slice(..n)))
}

#[cfg(test)]
#[path = "framing_tests.rs"]
mod tests;
