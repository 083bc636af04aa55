//! IMAP views of a part (RFC 3501 section 7.4.2, RFC 9051 section 7.5.2): the ENVELOPE
//! fields and the BODYSTRUCTURE fields, plus a writer of the BODYSTRUCTURE syntax that walks
//! the tree without recursion.

use crate::address::Address;
use crate::decode::charset;
use crate::field::address::parse_address_list_raw;
use crate::header::unfold;
use crate::message::{Part, PartKind};

/// One address of an ENVELOPE: `(name adl mailbox host)`. A group starts with
/// `host: None, mailbox: Some(group name)` and ends with every member `None`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct EnvelopeAddress {
    /// The display name, encoded words left as they are.
    pub name: Option<String>,
    /// The obsolete source route (`@a,@b`).
    pub adl: Option<String>,
    /// The local part, or the group name at a group start.
    pub mailbox: Option<String>,
    /// The domain; `None` at group markers.
    pub host: Option<String>,
}

/// The ENVELOPE of a message header.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Envelope {
    /// Date, as written (unfolded, trimmed).
    pub date: Option<String>,
    /// Subject, as written (encoded words left as they are).
    pub subject: Option<String>,
    /// From.
    pub from: Vec<EnvelopeAddress>,
    /// Sender (From when absent or empty).
    pub sender: Vec<EnvelopeAddress>,
    /// Reply-To (From when absent or empty).
    pub reply_to: Vec<EnvelopeAddress>,
    /// To.
    pub to: Vec<EnvelopeAddress>,
    /// Cc.
    pub cc: Vec<EnvelopeAddress>,
    /// Bcc.
    pub bcc: Vec<EnvelopeAddress>,
    /// In-Reply-To, as written.
    pub in_reply_to: Option<String>,
    /// Message-ID, as written.
    pub message_id: Option<String>,
}

/// The BODYSTRUCTURE fields of one part (children are reached through [`Part::children`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct BodyFields {
    /// Media type, lower case.
    pub media_type: String,
    /// Subtype, lower case.
    pub subtype: String,
    /// Parameters (name, value), as decoded.
    pub params: Vec<(String, String)>,
    /// Content-ID.
    pub id: Option<String>,
    /// Content-Description.
    pub description: Option<String>,
    /// Content-Transfer-Encoding (upper case as servers send it; `7BIT` when absent).
    pub encoding: String,
    /// Body size in octets, CRLF-normalised.
    pub size: usize,
    /// Body lines, for text/* and message/rfc822.
    pub lines: Option<usize>,
    /// Content-MD5.
    pub md5: Option<String>,
    /// Content-Disposition: kind and parameters.
    pub disposition: Option<(String, Vec<(String, String)>)>,
    /// Content-Language tags.
    pub language: Vec<String>,
    /// Content-Location.
    pub location: Option<String>,
}

fn raw_text(p: &Part<'_>, name: &str) -> Option<String> {
    let f = p.field(name)?;
    let v = unfold(f.raw_value());
    let s = charset::bytes_to_text(&v).trim().to_owned();
    Some(s)
}

fn env_addrs(p: &Part<'_>, name: &str) -> Vec<EnvelopeAddress> {
    let Some(f) = p.field(name) else {
        return Vec::new();
    };
    let unfolded = unfold(f.raw_value());
    let list = parse_address_list_raw(&unfolded, p.message().limits().max_group_depth);
    let mut out = Vec::new();
    let one = |m: &crate::Mailbox<'_>| EnvelopeAddress {
        name: m.name.as_deref().map(str::to_owned),
        adl: (!m.route.is_empty()).then(|| {
            m.route
                .iter()
                .map(|r| format!("@{r}"))
                .collect::<Vec<_>>()
                .join(",")
        }),
        mailbox: Some(m.local_part.clone().into_owned()),
        host: Some(m.domain.clone().into_owned()),
    };
    for a in &list {
        match a {
            Address::Mailbox(m) => out.push(one(m)),
            Address::Group(g) => {
                out.push(EnvelopeAddress {
                    mailbox: Some(g.name.clone().into_owned()),
                    ..Default::default()
                });
                out.extend(g.members.iter().map(one));
                out.push(EnvelopeAddress::default());
            }
        }
    }
    out
}

impl Part<'_> {
    /// The ENVELOPE of this part's header (the message itself, or an enclosed message's
    /// root).
    pub fn envelope(&self) -> Envelope {
        let from = env_addrs(self, "from");
        let mut sender = env_addrs(self, "sender");
        if sender.is_empty() {
            sender = from.clone();
        }
        let mut reply_to = env_addrs(self, "reply-to");
        if reply_to.is_empty() {
            reply_to = from.clone();
        }
        Envelope {
            date: raw_text(self, "date"),
            subject: raw_text(self, "subject"),
            from,
            sender,
            reply_to,
            to: env_addrs(self, "to"),
            cc: env_addrs(self, "cc"),
            bcc: env_addrs(self, "bcc"),
            in_reply_to: raw_text(self, "in-reply-to"),
            message_id: raw_text(self, "message-id"),
        }
    }

    /// The BODYSTRUCTURE fields of this part.
    pub fn body_fields(&self) -> BodyFields {
        let ct = self.content_type();
        let text_like = ct.media_type == "text" || ct.is_message();
        let params = if !self.has_content_type() && ct.media_type == "text" {
            vec![("charset".to_owned(), "us-ascii".to_owned())]
        } else {
            ct.params
                .iter()
                .map(|p| (p.name.to_string(), p.value.to_string()))
                .collect()
        };
        BodyFields {
            media_type: ct.media_type.to_string(),
            subtype: ct.subtype.to_string(),
            params,
            id: raw_text(self, "content-id"),
            description: raw_text(self, "content-description"),
            encoding: self.transfer_encoding().as_str().to_ascii_uppercase(),
            size: self.body_size_crlf(),
            lines: text_like.then(|| self.body_lines()),
            md5: raw_text(self, "content-md5"),
            disposition: self.content_disposition().map(|d| {
                (
                    d.kind.to_string(),
                    d.params
                        .iter()
                        .map(|p| (p.name.to_string(), p.value.to_string()))
                        .collect(),
                )
            }),
            language: self
                .field("content-language")
                .map(|f| {
                    crate::field::misc::parse_language_list(
                        f.raw_value(),
                        self.message().limits().max_group_depth,
                    )
                })
                .unwrap_or_default(),
            location: raw_text(self, "content-location"),
        }
    }

    /// Writes this part's BODYSTRUCTURE (`extended`) or BODY (not extended) in IMAP syntax
    /// (RFC 3501 section 9 `body`), walking the tree iteratively.
    pub fn write_imap_bodystructure(&self, extended: bool, out: &mut Vec<u8>) {
        enum Step<'a> {
            Open(Part<'a>),
            MultiTail(Part<'a>),
            MessageTail(Part<'a>),
        }
        let mut stack = vec![Step::Open(*self)];
        while let Some(step) = stack.pop() {
            match step {
                Step::MultiTail(p) => {
                    let f = p.body_fields();
                    out.push(b' ');
                    nstring(out, Some(&f.subtype.to_ascii_uppercase()));
                    if extended {
                        out.push(b' ');
                        params(out, &f.params);
                        ext_tail(out, &f);
                    }
                    out.push(b')');
                }
                Step::MessageTail(p) => {
                    let f = p.body_fields();
                    out.push(b' ');
                    out.extend_from_slice(f.lines.unwrap_or(0).to_string().as_bytes());
                    if extended {
                        out.push(b' ');
                        nstring(out, f.md5.as_deref());
                        ext_tail(out, &f);
                    }
                    out.push(b')');
                }
                Step::Open(p) => match p.kind() {
                    PartKind::Multipart if p.children().len() > 0 => {
                        out.push(b'(');
                        stack.push(Step::MultiTail(p));
                        for c in p.children().rev() {
                            stack.push(Step::Open(c));
                        }
                    }
                    PartKind::Message => {
                        let f = p.body_fields();
                        out.push(b'(');
                        basic(out, &f);
                        out.push(b' ');
                        let inner = p.children().next();
                        if let Some(inner) = inner {
                            write_envelope(out, &inner.envelope());
                            out.push(b' ');
                            stack.push(Step::MessageTail(p));
                            // The enclosed message's body: its root part (multipart or
                            // leaf), whose own fields are the message's content fields.
                            stack.push(Step::Open(inner));
                        } else {
                            out.extend_from_slice(b"NIL NIL 0)");
                        }
                    }
                    PartKind::Multipart => {
                        // No body part found: a multipart holding one empty text/plain
                        // part, as Dovecot shows it (section 1 is that part).
                        out.extend_from_slice(
                            b"((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0",
                        );
                        if extended {
                            out.extend_from_slice(b" NIL NIL NIL NIL");
                        }
                        out.push(b')');
                        stack.push(Step::MultiTail(p));
                    }
                    _ => {
                        let f = p.body_fields();
                        out.push(b'(');
                        basic(out, &f);
                        if let Some(l) = f.lines.filter(|_| f.media_type == "text") {
                            out.push(b' ');
                            out.extend_from_slice(l.to_string().as_bytes());
                        } else if f.lines.is_some() {
                            // message/* other than rfc822 read as a leaf: lines too.
                            out.extend_from_slice(b" NIL NIL 0");
                        }
                        if extended {
                            out.push(b' ');
                            nstring(out, f.md5.as_deref());
                            ext_tail(out, &f);
                        }
                        out.push(b')');
                    }
                },
            }
        }
    }
}

fn basic(out: &mut Vec<u8>, f: &BodyFields) {
    nstring(out, Some(&f.media_type.to_ascii_uppercase()));
    out.push(b' ');
    nstring(out, Some(&f.subtype.to_ascii_uppercase()));
    out.push(b' ');
    params(out, &f.params);
    out.push(b' ');
    nstring(out, f.id.as_deref());
    out.push(b' ');
    nstring(out, f.description.as_deref());
    out.push(b' ');
    nstring(out, Some(&f.encoding));
    out.push(b' ');
    out.extend_from_slice(f.size.to_string().as_bytes());
}

fn ext_tail(out: &mut Vec<u8>, f: &BodyFields) {
    out.push(b' ');
    match &f.disposition {
        Some((k, p)) => {
            out.push(b'(');
            nstring(out, Some(&k.to_ascii_uppercase()));
            out.push(b' ');
            params(out, p);
            out.push(b')');
        }
        None => out.extend_from_slice(b"NIL"),
    }
    out.push(b' ');
    match f.language.as_slice() {
        [] => out.extend_from_slice(b"NIL"),
        [one] => nstring(out, Some(one)),
        many => {
            out.push(b'(');
            for (i, l) in many.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                nstring(out, Some(l));
            }
            out.push(b')');
        }
    }
    out.push(b' ');
    nstring(out, f.location.as_deref());
}

fn params(out: &mut Vec<u8>, p: &[(String, String)]) {
    if p.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for (i, (k, v)) in p.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        nstring(out, Some(&k.to_ascii_uppercase()));
        out.push(b' ');
        nstring(out, Some(v));
    }
    out.push(b')');
}

/// An IMAP nstring: NIL, a quoted string, or a literal when quoting cannot hold it.
pub fn nstring(out: &mut Vec<u8>, s: Option<&str>) {
    let Some(s) = s else {
        out.extend_from_slice(b"NIL");
        return;
    };
    if s.bytes()
        .any(|b| b == b'\r' || b == b'\n' || b == 0 || b >= 0x80)
    {
        out.extend_from_slice(format!("{{{}}}\r\n", s.len()).as_bytes());
        out.extend_from_slice(s.as_bytes());
        return;
    }
    out.push(b'"');
    for b in s.bytes() {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

fn addr_list(out: &mut Vec<u8>, l: &[EnvelopeAddress]) {
    if l.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for a in l {
        out.push(b'(');
        nstring(out, a.name.as_deref());
        out.push(b' ');
        nstring(out, a.adl.as_deref());
        out.push(b' ');
        nstring(out, a.mailbox.as_deref());
        out.push(b' ');
        nstring(out, a.host.as_deref());
        out.push(b')');
    }
    out.push(b')');
}

/// Writes an ENVELOPE in IMAP syntax.
pub fn write_envelope(out: &mut Vec<u8>, e: &Envelope) {
    out.push(b'(');
    nstring(out, e.date.as_deref());
    out.push(b' ');
    nstring(out, e.subject.as_deref());
    for l in [&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc] {
        out.push(b' ');
        addr_list(out, l);
    }
    out.push(b' ');
    nstring(out, e.in_reply_to.as_deref());
    out.push(b' ');
    nstring(out, e.message_id.as_deref());
    out.push(b')');
}
