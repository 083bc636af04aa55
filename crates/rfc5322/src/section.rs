//! IMAP section numbers (RFC 3501 and RFC 9051 section 6.4.5): the part a `BODY[...]`
//! section names, and its bytes for the four forms an IMAP server serves (the whole part,
//! `HEADER`, `TEXT`, `MIME`) as slices of the input, plus `HEADER.FIELDS [.NOT]`.
//!
//! Numbering: the parts of a multipart are numbered from 1; a message that is not multipart
//! has one part, 1, its body. A part that encloses a message (message/rfc822, and
//! message/global in IMAP4rev2, RFC 9051 section 7.5.2) is numbered as that message: for a
//! message whose body is a message/rfc822 holding a multipart/digest, `1` is the enclosed
//! message (header and body), `1.1` and `1.2` the digest's parts. A multipart without body
//! parts holds, as Dovecot shows it, one empty text/plain part.

use std::ops::Range;

use bytes::Bytes;

use crate::message::{Message, Part, PartKind};

/// The IMAP revision a section is read for: it decides whether message/global encloses a
/// message (RFC 9051 section 7.5.2) or is a leaf (RFC 3501).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ImapRevision {
    /// IMAP4rev1 (RFC 3501): only message/rfc822 encloses a message.
    #[default]
    Imap4rev1,
    /// IMAP4rev2 (RFC 9051): message/global encloses a message too.
    Imap4rev2,
}

/// Where a section lies in the part tree.
#[derive(Debug, Clone, Copy)]
enum Node<'a> {
    /// The empty section: the whole message.
    Message,
    /// A numbered part: its body is the section, its header the `MIME` header.
    Body(Part<'a>),
    /// The empty text/plain part of a multipart that has no body part.
    EmptyIn(Part<'a>),
}

/// The part an IMAP section number names (see the [module](self) documentation), with its
/// bytes as [`Bytes`] slices of the parsed input (no copies).
#[derive(Debug, Clone, Copy)]
pub struct SectionPart<'a> {
    msg: &'a Message,
    node: Node<'a>,
    revision: ImapRevision,
}

/// The message a part encloses, when the revision reads it as enclosing one.
fn enclosed(p: Part<'_>, revision: ImapRevision) -> Option<Part<'_>> {
    let encloses = p.kind() == PartKind::Message
        && (p.content_type().subtype == "rfc822" || revision == ImapRevision::Imap4rev2);
    if encloses { p.children().next() } else { None }
}

/// Part `n` (from 1) among the parts of `m`, read as a message (a multipart's body parts,
/// or the message's body alone).
fn numbered(m: Part<'_>, n: u32) -> Option<Node<'_>> {
    if m.kind() == PartKind::Multipart {
        return numbered_child(m, n);
    }
    (n == 1).then_some(Node::Body(m))
}

/// Body part `n` (from 1) of the multipart `p`.
fn numbered_child(p: Part<'_>, n: u32) -> Option<Node<'_>> {
    let i = usize::try_from(n).ok()?.checked_sub(1)?;
    if p.children().len() == 0 {
        return (i == 0).then_some(Node::EmptyIn(p));
    }
    p.children().nth(i).map(Node::Body)
}

impl Message {
    /// The part named by an IMAP section number (`[]` is the whole message, `[1, 2]` is
    /// part 1.2), read for that IMAP revision; `None` when there is no such part. See the
    /// [`section`](crate::section) module for the numbering.
    pub fn imap_section(&self, path: &[u32], revision: ImapRevision) -> Option<SectionPart<'_>> {
        let mut node = Node::Message;
        for &n in path {
            node = match node {
                Node::Message => numbered(self.root(), n)?,
                Node::Body(p) => match enclosed(p, revision) {
                    Some(m) => numbered(m, n)?,
                    None if p.kind() == PartKind::Multipart => numbered_child(p, n)?,
                    None => return None,
                },
                Node::EmptyIn(_) => return None,
            };
        }
        Some(SectionPart {
            msg: self,
            node,
            revision,
        })
    }
}

impl<'a> SectionPart<'a> {
    fn slice(&self, r: Range<usize>) -> Bytes {
        let data = self.msg.raw();
        let end = r.end.min(data.len());
        data.slice(r.start.min(end)..end)
    }

    /// The part: the root for the empty section, else the part whose body is the section
    /// and whose header is its `MIME` header. `None` for the empty text/plain part of a
    /// multipart without body parts.
    pub fn part(&self) -> Option<Part<'a>> {
        match self.node {
            Node::Message => Some(self.msg.root()),
            Node::Body(p) => Some(p),
            Node::EmptyIn(_) => None,
        }
    }

    /// The message whose header and body `HEADER` and `TEXT` return: the message itself for
    /// the empty section, the enclosed message of a message/rfc822 part (message/global in
    /// IMAP4rev2); `None` for other parts.
    pub fn message(&self) -> Option<Part<'a>> {
        match self.node {
            Node::Message => Some(self.msg.root()),
            Node::Body(p) => enclosed(p, self.revision),
            Node::EmptyIn(_) => None,
        }
    }

    /// `BODY[section]`: the whole message for the empty section, else the part's content
    /// without its MIME header (for a message/rfc822 part, the enclosed message).
    pub fn whole(&self) -> Bytes {
        match self.node {
            Node::Message => self.msg.raw().clone(),
            Node::Body(p) => self.slice(p.body_range()),
            Node::EmptyIn(p) => self.slice(p.range().end..p.range().end),
        }
    }

    /// `BODY[section.HEADER]`: the header of [`SectionPart::message`], blank line included;
    /// `None` when the section is no message.
    pub fn header(&self) -> Option<Bytes> {
        self.message().map(|m| self.slice(m.header_range()))
    }

    /// `BODY[section.TEXT]`: the body of [`SectionPart::message`]; `None` when the section
    /// is no message.
    pub fn text(&self) -> Option<Bytes> {
        self.message().map(|m| self.slice(m.body_range()))
    }

    /// `BODY[section.MIME]`: the part's MIME header, blank line included (empty for the
    /// empty text/plain part of a multipart without body parts); `None` for the empty
    /// section, which has none (RFC 3501 section 6.4.5).
    pub fn mime(&self) -> Option<Bytes> {
        match self.node {
            Node::Message => None,
            Node::Body(p) => Some(self.slice(p.header_range())),
            Node::EmptyIn(p) => Some(self.slice(p.range().end..p.range().end)),
        }
    }

    /// `BODY[section.HEADER.FIELDS (names)]`: the fields of [`SectionPart::message`]'s
    /// header with one of these names (ASCII case ignored), as stored and in order, then
    /// the blank line (CRLF when the header has none). `None` when the section is no
    /// message.
    pub fn header_fields(&self, names: &[&str]) -> Option<Vec<u8>> {
        self.select_fields(names, true)
    }

    /// `BODY[section.HEADER.FIELDS.NOT (names)]`: as [`SectionPart::header_fields`], with
    /// the fields whose name is not one of these.
    pub fn header_fields_not(&self, names: &[&str]) -> Option<Vec<u8>> {
        self.select_fields(names, false)
    }

    fn select_fields(&self, names: &[&str], wanted: bool) -> Option<Vec<u8>> {
        let m = self.message()?;
        let mut out = Vec::new();
        for f in m.fields() {
            if names.iter().any(|n| f.is(n)) == wanted {
                out.extend_from_slice(f.raw());
            }
        }
        // The blank line that ends the header, in the header's line-end form.
        let header = m.raw_header();
        if header.ends_with(b"\n") && !header.ends_with(b"\r\n") {
            out.push(b'\n');
        } else {
            out.extend_from_slice(b"\r\n");
        }
        Some(out)
    }
}
