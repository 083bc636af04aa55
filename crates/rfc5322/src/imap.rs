//! IMAP views of a part (RFC 3501 section 7.4.2, RFC 9051 section 7.5.2): the ENVELOPE
//! fields and the BODYSTRUCTURE fields, as values. IMAP on the wire is written by
//! imap-proto (its `rfc5322` feature); this crate never depends on it.

use crate::address::Address;
use crate::decode::charset;
use crate::field::address::parse_address_list_raw;
use crate::header::unfold;
use crate::message::Part;

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
}
