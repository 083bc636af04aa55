//! `MessageBuilder`: writes a whole message (RFC 5322 with MIME, RFC 2045-2049).
//!
//! The builder picks the structure from what it is given:
//!
//! - a text body, an HTML body, or both as `multipart/alternative` (RFC 2046 section 5.1.4);
//! - inline parts beside an HTML body as `multipart/related` (RFC 2387);
//! - attachments and nested messages (`message/rfc822`, RFC 2046 section 5.2.1) around the
//!   body as `multipart/mixed`;
//! - a delivery status notification as `multipart/report; report-type=delivery-status`
//!   (RFC 6522, RFC 3464).
//!
//! Each part gets `7bit`, `quoted-printable` or `base64` by its content
//! ([`choose_transfer_encoding`](crate::encode::choose_transfer_encoding())); header fields are
//! folded and encoded by [`encode`](crate::encode); every value is checked for CR and LF
//! (header injection). Date and Message-ID are generated when absent, from a [`Clock`] and a
//! [`RandomSource`] the caller may replace. MIME boundaries come from the same source and are
//! checked not to occur in the content they delimit. Lines end with CRLF.
//!
//! ```
//! use rfc5322::{Mailbox, DateTime};
//! use rfc5322::builder::{MessageBuilder, Attachment};
//!
//! let mut n = 0u64;
//! let msg = MessageBuilder::new()
//!     .from(Mailbox::new(Some("Alice Martin"), "alice", "example.com"))
//!     .to(Mailbox::new(Some("Bob"), "bob", "example.net"))
//!     .subject("Quarterly report, café edition")
//!     .text("Hello Bob,\nthe report is attached.\n")
//!     .attachment(Attachment::new("application/pdf", b"%PDF-1.4 ...".to_vec()).filename("report.pdf"))
//!     .clock(|| DateTime::new(2024, 3, 1, 9, 30, 0, 60).unwrap())
//!     .random(move || { n += 1; n })
//!     .build()
//!     .unwrap();
//! let text = String::from_utf8(msg).unwrap();
//! assert!(text.starts_with("Date: Fri, 1 Mar 2024 09:30:00 +0100\r\nFrom: Alice Martin <alice@example.com>\r\n"));
//! assert!(text.contains("Content-Type: multipart/mixed; boundary="));
//! assert!(text.contains("Content-Disposition: attachment; filename=report.pdf\r\n"));
//! ```

mod dsn;
mod source;

pub use dsn::{DeliveryStatus, DsnAction, RecipientStatus, ReturnedContent};
pub use source::{Clock, RandomSource, StdRandom, SystemClock};

use crate::encode::fold::{Token, address_list_tokens, mailbox_tokens};
use crate::encode::{
    EncodeError, FieldWriter, TransferEncoding, check_no_line_break, choose_transfer_encoding,
    encode_body, parameter,
};
use crate::{Address, DateTime, Mailbox};

/// Why a message could not be built.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// A value could not be written (CR or LF inside it, a bad name, a line too long, ...).
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// RFC 5322 section 3.6 requires a From field.
    #[error("the message has no From address")]
    MissingFrom,
    /// RFC 5322 section 3.6.2: a From field with several mailboxes needs a Sender.
    #[error("a From field with several mailboxes needs a Sender")]
    SenderRequired,
    /// A field the builder writes itself was given as an extra header.
    #[error("the builder writes the {0} field itself; use its setter")]
    ReservedField(String),
    /// A media type that is not `type/subtype` with RFC 2045 tokens.
    #[error("invalid media type {0:?}")]
    ContentType(String),
    /// A message identifier that is not `left@right` (RFC 5322 section 3.6.4).
    #[error("invalid message identifier {0:?}")]
    MessageId(String),
    /// No boundary absent from the content was found (the random source repeats itself).
    #[error("no MIME boundary absent from the content could be generated")]
    Boundary,
    /// A delivery report cannot be combined with attachments (RFC 6522 section 3 fixes the
    /// parts of a multipart/report).
    #[error("a delivery report cannot carry attachments")]
    ReportWithAttachments,
    /// [`MessageBuilder::build_outgoing`]: no envelope could be taken from the message (no
    /// recipient in To, Cc or Bcc).
    #[error(transparent)]
    Envelope(#[from] crate::envelope::EnvelopeError),
}

/// How a part is shown (RFC 2183).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// `attachment`: shown only when the reader asks.
    Attachment,
    /// `inline`: shown with the body (referenced by Content-ID from an HTML body when there is
    /// one).
    Inline,
}

/// A file or a message attached to a message, or a part shown inline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    media_type: String,
    params: Vec<(String, String)>,
    filename: Option<String>,
    disposition: Disposition,
    content_id: Option<String>,
    description: Option<String>,
    data: Vec<u8>,
}

impl Attachment {
    /// An attachment of media type `type/subtype` holding `data` (written base64 unless it is
    /// short-lined US-ASCII with CRLF line ends only).
    pub fn new(media_type: &str, data: impl Into<Vec<u8>>) -> Self {
        Attachment {
            media_type: media_type.to_owned(),
            params: Vec::new(),
            filename: None,
            disposition: Disposition::Attachment,
            content_id: None,
            description: None,
            data: data.into(),
        }
    }

    /// A nested message (`message/rfc822`); its line ends are made CRLF.
    pub fn message(data: impl Into<Vec<u8>>) -> Self {
        Attachment::new("message/rfc822", data)
    }

    /// The file name (Content-Disposition `filename`, RFC 2231 when not ASCII).
    pub fn filename(mut self, name: &str) -> Self {
        self.filename = Some(name.to_owned());
        self
    }

    /// Makes this an inline part with a Content-ID (`<` `>` added when missing), for an HTML
    /// body to reference as `cid:`.
    pub fn inline(mut self, content_id: &str) -> Self {
        self.disposition = Disposition::Inline;
        self.content_id = Some(content_id.to_owned());
        self
    }

    /// Sets the disposition without a Content-ID.
    pub fn disposition(mut self, d: Disposition) -> Self {
        self.disposition = d;
        self
    }

    /// Sets Content-Description.
    pub fn description(mut self, text: &str) -> Self {
        self.description = Some(text.to_owned());
        self
    }

    /// Adds a Content-Type parameter (`charset`, `name`, ...).
    pub fn param(mut self, name: &str, value: &str) -> Self {
        self.params.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// An extra header field.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Extra {
    /// Unstructured text: encoded words where needed.
    Text(String, String),
    /// Written as given, folded at its white space.
    Raw(String, String),
}

/// Builds a message; see the [module documentation](self).
pub struct MessageBuilder {
    from: Vec<Mailbox<'static>>,
    sender: Option<Mailbox<'static>>,
    reply_to: Vec<Address<'static>>,
    to: Vec<Address<'static>>,
    cc: Vec<Address<'static>>,
    bcc: Vec<Address<'static>>,
    write_bcc: bool,
    subject: Option<String>,
    date: Option<DateTime>,
    message_id: Option<String>,
    in_reply_to: Vec<String>,
    references: Vec<String>,
    extra: Vec<Extra>,
    text: Option<String>,
    html: Option<String>,
    attachments: Vec<Attachment>,
    report: Option<(DeliveryStatus, ReturnedContent)>,
    message_id_domain: Option<String>,
    clock: Box<dyn Clock + Send>,
    random: Box<dyn RandomSource + Send>,
    boundaries: u64,
}

impl Default for MessageBuilder {
    fn default() -> Self {
        MessageBuilder::new()
    }
}

impl std::fmt::Debug for MessageBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageBuilder")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("attachments", &self.attachments.len())
            .finish_non_exhaustive()
    }
}

/// Fields only the builder writes (given as extra headers they are refused).
const RESERVED: &[&str] = &[
    "date",
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "bcc",
    "message-id",
    "in-reply-to",
    "references",
    "subject",
    "mime-version",
];

/// Normalises a message identifier: strips `<` `>`, checks `left@right` without white space,
/// angle brackets or controls (RFC 5322 section 3.6.4, `msg-id`).
fn msg_id(id: &str) -> Result<String, BuildError> {
    check_no_line_break("message identifier", id)?;
    let bare = id
        .trim()
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(id.trim());
    let ok = match bare.split_once('@') {
        Some((l, r)) => {
            !l.is_empty()
                && !r.is_empty()
                && !r.contains('@')
                && bare
                    .chars()
                    .all(|c| !c.is_whitespace() && !c.is_control() && !"<>\"\\".contains(c))
        }
        None => false,
    };
    if ok {
        Ok(bare.to_owned())
    } else {
        Err(BuildError::MessageId(id.to_owned()))
    }
}

/// RFC 2045 token characters.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| (33..=126).contains(&b) && !b"()<>@,;:\\\"/[]?=".contains(&b))
}

fn check_media_type(t: &str) -> Result<(&str, &str), BuildError> {
    match t.split_once('/') {
        Some((a, b)) if is_token(a) && is_token(b) => Ok((a, b)),
        _ => Err(BuildError::ContentType(t.to_owned())),
    }
}

/// A part before serialisation.
enum Node {
    Leaf {
        headers: String,
        body: Vec<u8>,
    },
    Multi {
        subtype: &'static str,
        params: Vec<(String, String)>,
        children: Vec<Node>,
    },
}

/// Writes `name: value; p1=v1; p2=v2` folded after the semicolons.
fn field_with_params(
    name: &str,
    value: &str,
    params: &[(String, String)],
) -> Result<String, EncodeError> {
    let mut toks = vec![Token::new(" ", value)];
    for (n, v) in params {
        for seg in parameter(n, v)? {
            if let Some(last) = toks.last_mut() {
                last.text.push(';');
            }
            toks.push(Token::new(" ", seg));
        }
    }
    let mut f = FieldWriter::new(name)?;
    f.push_tokens(&toks)?;
    Ok(f.finish())
}

fn text_leaf(text: &str, subtype: &str) -> Result<Node, BuildError> {
    let data = crate::encode::body::crlf(text.as_bytes());
    let te = choose_transfer_encoding(&data, true);
    let charset = if text.is_ascii() { "us-ascii" } else { "utf-8" };
    let mut headers = field_with_params(
        "Content-Type",
        &format!("text/{subtype}"),
        &[("charset".to_owned(), charset.to_owned())],
    )?;
    headers.push_str(&format!("Content-Transfer-Encoding: {}\r\n", te.as_str()));
    Ok(Node::Leaf {
        headers,
        body: encode_body(&te, &data, true),
    })
}

fn attachment_leaf(a: &Attachment) -> Result<Node, BuildError> {
    let (top, sub) = check_media_type(&a.media_type)?;
    let is_message = top.eq_ignore_ascii_case("message")
        && (sub.eq_ignore_ascii_case("rfc822") || sub.eq_ignore_ascii_case("global"));
    let (te, body) = if is_message {
        // RFC 2046 section 5.2.1: no encoding but 7bit, 8bit or binary.
        let data = crate::encode::body::crlf(&a.data);
        let te = match choose_transfer_encoding(&data, false) {
            TransferEncoding::SevenBit => TransferEncoding::SevenBit,
            _ if !data.contains(&0)
                && data
                    .split(|&b| b == b'\n')
                    .all(|l| l.len() <= crate::encode::MAX_LINE) =>
            {
                TransferEncoding::EightBit
            }
            _ => TransferEncoding::Binary,
        };
        (te, data)
    } else {
        let te = choose_transfer_encoding(&a.data, false);
        let body = encode_body(&te, &a.data, false);
        (te, body)
    };
    let mut headers = field_with_params("Content-Type", &a.media_type, &a.params)?;
    headers.push_str(&format!("Content-Transfer-Encoding: {}\r\n", te.as_str()));
    let disp = match a.disposition {
        Disposition::Attachment => "attachment",
        Disposition::Inline => "inline",
    };
    let dparams: Vec<(String, String)> = a
        .filename
        .iter()
        .map(|f| ("filename".to_owned(), f.clone()))
        .collect();
    headers.push_str(&field_with_params("Content-Disposition", disp, &dparams)?);
    if let Some(cid) = &a.content_id {
        let id = msg_id(cid)?;
        headers.push_str(&id_field("Content-ID", &[id])?);
    }
    if let Some(d) = &a.description {
        headers.push_str(&crate::encode::unstructured("Content-Description", d)?);
    }
    Ok(Node::Leaf { headers, body })
}

fn id_field(name: &str, ids: &[String]) -> Result<String, EncodeError> {
    let mut f = FieldWriter::new(name)?;
    for id in ids {
        f.push(" ", &format!("<{id}>"))?;
    }
    Ok(f.finish())
}

fn address_field(name: &str, list: &[Address<'_>]) -> Result<String, EncodeError> {
    let mut f = FieldWriter::new(name)?;
    f.push_tokens(&address_list_tokens(list)?)?;
    Ok(f.finish())
}

impl MessageBuilder {
    /// An empty builder with the system clock and [`StdRandom`].
    pub fn new() -> Self {
        MessageBuilder {
            from: Vec::new(),
            sender: None,
            reply_to: Vec::new(),
            to: Vec::new(),
            cc: Vec::new(),
            bcc: Vec::new(),
            write_bcc: false,
            subject: None,
            date: None,
            message_id: None,
            in_reply_to: Vec::new(),
            references: Vec::new(),
            extra: Vec::new(),
            text: None,
            html: None,
            attachments: Vec::new(),
            report: None,
            message_id_domain: None,
            clock: Box::new(SystemClock),
            random: Box::new(StdRandom::default()),
            boundaries: 0,
        }
    }

    /// Adds a From mailbox (RFC 5322 section 3.6.2); several need a [`sender`](Self::sender).
    pub fn from(mut self, m: Mailbox<'_>) -> Self {
        self.from.push(m.into_owned());
        self
    }

    /// Sets the Sender mailbox.
    pub fn sender(mut self, m: Mailbox<'_>) -> Self {
        self.sender = Some(m.into_owned());
        self
    }

    /// Adds a Reply-To address.
    pub fn reply_to<'a>(mut self, a: impl Into<Address<'a>>) -> Self {
        self.reply_to.push(a.into().into_owned());
        self
    }

    /// Adds a To address (a mailbox or a group).
    pub fn to<'a>(mut self, a: impl Into<Address<'a>>) -> Self {
        self.to.push(a.into().into_owned());
        self
    }

    /// Adds a Cc address.
    pub fn cc<'a>(mut self, a: impl Into<Address<'a>>) -> Self {
        self.cc.push(a.into().into_owned());
        self
    }

    /// Adds a Bcc address. Bcc is not written unless [`write_bcc`](Self::write_bcc) is set
    /// (RFC 5322 section 3.6.3, first method); it stays in [`recipients`](Self::recipients).
    pub fn bcc<'a>(mut self, a: impl Into<Address<'a>>) -> Self {
        self.bcc.push(a.into().into_owned());
        self
    }

    /// Writes the Bcc field into the message too.
    pub fn write_bcc(mut self, yes: bool) -> Self {
        self.write_bcc = yes;
        self
    }

    /// Every envelope recipient: the mailboxes of To, Cc and Bcc.
    pub fn recipients(&self) -> Vec<&Mailbox<'static>> {
        self.to
            .iter()
            .chain(&self.cc)
            .chain(&self.bcc)
            .flat_map(Address::mailboxes)
            .collect()
    }

    /// Sets the Subject (unstructured; encoded words where needed).
    pub fn subject(mut self, s: &str) -> Self {
        self.subject = Some(s.to_owned());
        self
    }

    /// Sets the Date; without it the [clock](Self::clock) gives one.
    pub fn date(mut self, d: DateTime) -> Self {
        self.date = Some(d);
        self
    }

    /// Sets the Message-ID (`left@right`, with or without `<` `>`); without it one is
    /// generated from the random source.
    pub fn message_id(mut self, id: &str) -> Self {
        self.message_id = Some(id.to_owned());
        self
    }

    /// The domain of generated Message-IDs (default: the domain of the first From mailbox).
    pub fn message_id_domain(mut self, domain: &str) -> Self {
        self.message_id_domain = Some(domain.to_owned());
        self
    }

    /// Adds an In-Reply-To identifier.
    pub fn in_reply_to(mut self, id: &str) -> Self {
        self.in_reply_to.push(id.to_owned());
        self
    }

    /// Adds a References identifier.
    pub fn references(mut self, id: &str) -> Self {
        self.references.push(id.to_owned());
        self
    }

    /// Adds any other field with an unstructured value (encoded words where needed). Fields
    /// the builder writes itself (From, Subject, Content-Type, ...) are refused at build time.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.extra
            .push(Extra::Text(name.to_owned(), value.to_owned()));
        self
    }

    /// Adds a field whose value is written exactly as given (folded at its white space only);
    /// for structured fields the caller has formatted. CR and LF are still refused.
    pub fn raw_header(mut self, name: &str, value: &str) -> Self {
        self.extra
            .push(Extra::Raw(name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the plain-text body.
    pub fn text(mut self, body: &str) -> Self {
        self.text = Some(body.to_owned());
        self
    }

    /// Sets the HTML body (with a text body: `multipart/alternative`).
    pub fn html(mut self, body: &str) -> Self {
        self.html = Some(body.to_owned());
        self
    }

    /// Adds an attachment, an inline part or a nested message.
    pub fn attachment(mut self, a: Attachment) -> Self {
        self.attachments.push(a);
        self
    }

    /// Makes the message a delivery status notification: `multipart/report` with the text
    /// body as its human-readable part, the `message/delivery-status` part, and the returned
    /// content (RFC 6522 section 3, RFC 3464).
    pub fn delivery_report(mut self, status: DeliveryStatus, returned: ReturnedContent) -> Self {
        self.report = Some((status, returned));
        self
    }

    /// Replaces the clock used for a missing Date.
    pub fn clock(mut self, c: impl Clock + Send + 'static) -> Self {
        self.clock = Box::new(c);
        self
    }

    /// Replaces the random source used for Message-ID and boundaries.
    pub fn random(mut self, r: impl RandomSource + Send + 'static) -> Self {
        self.random = Box::new(r);
        self
    }

    fn random_hex(&mut self) -> String {
        format!(
            "{:016x}{:016x}",
            self.random.next_u64(),
            self.random.next_u64()
        )
    }

    /// Builds the message to send it: the octets without Bcc, and the envelope (MAIL FROM
    /// from Sender or else From, RCPT TO from To, Cc and Bcc, each once), as
    /// [`Outgoing::new`](crate::Outgoing::new) takes them from any message.
    ///
    /// ```
    /// use rfc5322::{Mailbox, MessageBuilder};
    /// let out = MessageBuilder::new()
    ///     .from(Mailbox::parse("Alice <alice@example.org>").unwrap())
    ///     .to(Mailbox::parse("bob@example.net").unwrap())
    ///     .bcc(Mailbox::parse("carol@example.com").unwrap())
    ///     .text("hi")
    ///     .build_outgoing()
    ///     .unwrap();
    /// let to: Vec<String> = out.envelope.to.iter().map(|m| m.addr_spec()).collect();
    /// assert_eq!(to, ["bob@example.net", "carol@example.com"]);
    /// assert!(!String::from_utf8(out.message).unwrap().contains("carol"));
    /// ```
    pub fn build_outgoing(self) -> Result<crate::Outgoing, BuildError> {
        // One piece of logic for the envelope: the message is written with its Bcc field,
        // and read back as any message to send is.
        let message = self.write_bcc(true).build()?;
        Ok(crate::Outgoing::new(message)?)
    }

    /// Builds the message: header fields, then the MIME body, with CRLF line ends.
    pub fn build(mut self) -> Result<Vec<u8>, BuildError> {
        if self.from.is_empty() {
            return Err(BuildError::MissingFrom);
        }
        if self.from.len() > 1 && self.sender.is_none() {
            return Err(BuildError::SenderRequired);
        }
        if self.report.is_some() && !self.attachments.is_empty() {
            return Err(BuildError::ReportWithAttachments);
        }
        let mut head = String::new();
        let date = match self.date {
            Some(d) => d,
            None => self.clock.now(),
        };
        let mut f = FieldWriter::new("Date")?;
        f.push(" ", &date.to_string())?;
        head.push_str(&f.finish());
        let from: Vec<Address<'_>> = self.from.iter().cloned().map(Address::from).collect();
        head.push_str(&address_field("From", &from)?);
        if let Some(s) = &self.sender {
            let mut f = FieldWriter::new("Sender")?;
            f.push_tokens(&mailbox_tokens(s, " ")?)?;
            head.push_str(&f.finish());
        }
        for (name, list) in [
            ("Reply-To", &self.reply_to),
            ("To", &self.to),
            ("Cc", &self.cc),
        ] {
            if !list.is_empty() {
                head.push_str(&address_field(name, list)?);
            }
        }
        if self.write_bcc && !self.bcc.is_empty() {
            head.push_str(&address_field("Bcc", &self.bcc)?);
        }
        let id = match self.message_id.take() {
            Some(id) => msg_id(&id)?,
            None => {
                let domain = self
                    .message_id_domain
                    .clone()
                    .or_else(|| self.from.first().map(|m| m.domain.clone().into_owned()))
                    .filter(|d| !d.is_empty())
                    .unwrap_or_else(|| "localhost".to_owned());
                let stamp = date.unix_timestamp();
                let r = self.random_hex();
                msg_id(&format!("{stamp:x}.{r}@{domain}"))?
            }
        };
        head.push_str(&id_field("Message-ID", &[id])?);
        for (name, ids) in [
            ("In-Reply-To", &self.in_reply_to),
            ("References", &self.references),
        ] {
            if !ids.is_empty() {
                let ids = ids
                    .iter()
                    .map(|i| msg_id(i))
                    .collect::<Result<Vec<_>, _>>()?;
                head.push_str(&id_field(name, &ids)?);
            }
        }
        if let Some(s) = &self.subject {
            head.push_str(&crate::encode::unstructured("Subject", s)?);
        }
        for e in &self.extra {
            let (name, value, raw) = match e {
                Extra::Text(n, v) => (n, v, false),
                Extra::Raw(n, v) => (n, v, true),
            };
            let lower = name.to_ascii_lowercase();
            if RESERVED.contains(&lower.as_str()) || lower.starts_with("content-") {
                return Err(BuildError::ReservedField(name.clone()));
            }
            if raw {
                check_no_line_break("header field value", value)?;
                let mut f = FieldWriter::new(name)?;
                for w in value.split(' ').filter(|w| !w.is_empty()) {
                    f.push(" ", w)?;
                }
                head.push_str(&f.finish());
            } else {
                head.push_str(&crate::encode::unstructured(name, value)?);
            }
        }
        head.push_str("MIME-Version: 1.0\r\n");

        let tree = self.tree()?;
        let mut out = head.into_bytes();
        self.write_node(tree, &mut out)?;
        Ok(out)
    }

    /// The part tree for the bodies, attachments and report.
    fn tree(&mut self) -> Result<Node, BuildError> {
        let attachments = std::mem::take(&mut self.attachments);
        let (inline, attached): (Vec<Attachment>, Vec<Attachment>) = attachments
            .into_iter()
            .partition(|a| a.disposition == Disposition::Inline && self.html.is_some());
        let html = match &self.html {
            Some(h) => {
                let leaf = text_leaf(h, "html")?;
                Some(if inline.is_empty() {
                    leaf
                } else {
                    let mut children = vec![leaf];
                    for a in &inline {
                        children.push(attachment_leaf(a)?);
                    }
                    Node::Multi {
                        subtype: "related",
                        params: vec![("type".to_owned(), "text/html".to_owned())],
                        children,
                    }
                })
            }
            None => None,
        };
        let text = self
            .text
            .as_deref()
            .map(|t| text_leaf(t, "plain"))
            .transpose()?;
        let body = match (text, html) {
            (Some(t), Some(h)) => Some(Node::Multi {
                subtype: "alternative",
                params: Vec::new(),
                children: vec![t, h],
            }),
            (t, h) => t.or(h),
        };
        if let Some((status, returned)) = self.report.take() {
            let human = match body {
                Some(b) => b,
                None => text_leaf(
                    "This is an automatically generated Delivery Status Notification.\n",
                    "plain",
                )?,
            };
            let mut children = vec![human];
            children.push(Node::Leaf {
                headers:
                    "Content-Type: message/delivery-status\r\nContent-Transfer-Encoding: 7bit\r\n"
                        .to_owned(),
                body: dsn::delivery_status_body(&status)?,
            });
            match returned {
                ReturnedContent::Message(m) => {
                    children.push(attachment_leaf(&Attachment::message(m))?);
                }
                ReturnedContent::Headers(h) => {
                    let data = crate::encode::body::crlf(&h);
                    let te = choose_transfer_encoding(&data, true);
                    children.push(Node::Leaf {
                        headers: format!(
                            "Content-Type: text/rfc822-headers\r\nContent-Transfer-Encoding: {}\r\n",
                            te.as_str()
                        ),
                        body: encode_body(&te, &data, true),
                    });
                }
                ReturnedContent::None => {}
            }
            return Ok(Node::Multi {
                subtype: "report",
                params: vec![("report-type".to_owned(), "delivery-status".to_owned())],
                children,
            });
        }
        if attached.is_empty() {
            return match body {
                Some(b) => Ok(b),
                None => text_leaf("", "plain"),
            };
        }
        let mut children = Vec::new();
        children.extend(body);
        for a in &attached {
            children.push(attachment_leaf(a)?);
        }
        Ok(Node::Multi {
            subtype: "mixed",
            params: Vec::new(),
            children,
        })
    }

    /// Writes a part: its content header fields, an empty line, its body.
    fn write_node(&mut self, node: Node, out: &mut Vec<u8>) -> Result<(), BuildError> {
        match node {
            Node::Leaf { headers, body } => {
                out.extend_from_slice(headers.as_bytes());
                out.extend_from_slice(b"\r\n");
                out.extend_from_slice(&body);
            }
            Node::Multi {
                subtype,
                mut params,
                children,
            } => {
                let mut parts = Vec::with_capacity(children.len());
                for c in children {
                    let mut buf = Vec::new();
                    self.write_node(c, &mut buf)?;
                    parts.push(buf);
                }
                let boundary = self.boundary(&parts)?;
                params.insert(0, ("boundary".to_owned(), boundary.clone()));
                out.extend_from_slice(
                    field_with_params("Content-Type", &format!("multipart/{subtype}"), &params)?
                        .as_bytes(),
                );
                out.extend_from_slice(b"\r\n");
                for p in &parts {
                    out.extend_from_slice(b"--");
                    out.extend_from_slice(boundary.as_bytes());
                    out.extend_from_slice(b"\r\n");
                    out.extend_from_slice(p);
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b"--");
                out.extend_from_slice(boundary.as_bytes());
                out.extend_from_slice(b"--\r\n");
            }
        }
        Ok(())
    }

    /// A boundary (RFC 2046 section 5.1.1) whose delimiter occurs in none of the parts.
    fn boundary(&mut self, parts: &[Vec<u8>]) -> Result<String, BuildError> {
        for _ in 0..16 {
            // The counter keeps nested boundaries apart even if the random source repeats.
            self.boundaries += 1;
            let b = format!("=_{}_{}", self.random_hex(), self.boundaries);
            let delim = format!("--{b}");
            let finder = memchr::memmem::Finder::new(delim.as_bytes());
            if parts.iter().all(|p| finder.find(p).is_none()) {
                return Ok(b);
            }
        }
        Err(BuildError::Boundary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed() -> MessageBuilder {
        let mut n = 0u64;
        MessageBuilder::new()
            .clock(|| DateTime::new(2024, 1, 2, 3, 4, 5, 0).unwrap())
            .random(move || {
                n += 1;
                n
            })
    }

    #[test]
    fn minimal_message() {
        let m = fixed()
            .from(Mailbox::new(None, "a", "example.com"))
            .to(Mailbox::new(None, "b", "example.com"))
            .subject("hi")
            .text("body\n")
            .build()
            .unwrap();
        assert_eq!(
            String::from_utf8(m).unwrap(),
            "Date: Tue, 2 Jan 2024 03:04:05 +0000\r\n\
             From: a@example.com\r\n\
             To: b@example.com\r\n\
             Message-ID: <65937d25.00000000000000010000000000000002@example.com>\r\n\
             Subject: hi\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=us-ascii\r\n\
             Content-Transfer-Encoding: 7bit\r\n\
             \r\n\
             body\r\n"
        );
    }

    #[test]
    fn refusals() {
        let base = || fixed().from(Mailbox::new(None, "a", "example.com"));
        assert!(matches!(
            base().subject("x\r\nBcc: v@example.com").build(),
            Err(BuildError::Encode(EncodeError::LineBreak { .. }))
        ));
        assert!(matches!(
            base().header("X-A", "1\n2").build(),
            Err(BuildError::Encode(EncodeError::LineBreak { .. }))
        ));
        assert!(matches!(
            base().header("Content-Type", "text/html").build(),
            Err(BuildError::ReservedField(_))
        ));
        assert!(matches!(
            base().message_id("nope").build(),
            Err(BuildError::MessageId(_))
        ));
        assert!(matches!(fixed().build(), Err(BuildError::MissingFrom)));
        assert!(matches!(
            base().from(Mailbox::new(None, "c", "example.com")).build(),
            Err(BuildError::SenderRequired)
        ));
        assert!(matches!(
            base()
                .attachment(Attachment::new("bad type", vec![1]))
                .build(),
            Err(BuildError::ContentType(_))
        ));
        let evil = Mailbox::new(Some("x\r\nBcc: v@example.com"), "a", "example.com");
        assert!(base().to(evil).build().is_err());
    }

    #[test]
    fn boundary_avoids_content() {
        // A constant random source: nested parts still get distinct boundaries (the
        // alternative part _1), and the outer candidate _2 is in the attachment, so the next
        // one (_3) is taken.
        let taken = "=_00000000000000070000000000000007_2";
        let m = MessageBuilder::new()
            .from(Mailbox::new(None, "a", "example.com"))
            .random(|| 7)
            .attachment(Attachment::new(
                "text/plain",
                format!("--{taken}\r\n").into_bytes(),
            ))
            .text("x")
            .html("<p>x</p>")
            .build()
            .unwrap();
        let s = String::from_utf8(m).unwrap();
        assert!(!s.contains(&format!("boundary=\"{taken}\"")));
        assert!(s.contains("boundary=\"=_00000000000000070000000000000007_3\""));
        assert!(s.contains("boundary=\"=_00000000000000070000000000000007_1\""));
        let msg = crate::Message::parse(s.into_bytes()).unwrap();
        assert_eq!(msg.part_count(), 5);
    }
}
