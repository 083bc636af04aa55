//! The SMTP envelope of a message (RFC 5321 section 3.3) taken from its header, and a message
//! ready to send: its octets without Bcc, and that envelope.
//!
//! The reverse path is the Sender mailbox, or else the first From mailbox (RFC 5322 section
//! 3.6.2: Sender names who sent it when that is not the author). The recipients are the
//! mailboxes of To, Cc and Bcc, group members included, each once (the domain compared
//! without regard to case, RFC 5321 section 2.4), in the order written. The Bcc field is taken
//! out of what is sent (RFC 5322 section 3.6.3, the first method): its recipients get the
//! message through the envelope alone.

use crate::address::{Address, Mailbox};
use crate::address_parse::{AddressError, parse_list_strict};
use crate::message::Message;

/// Why no envelope could be taken from a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The message could not be parsed at all.
    #[error(transparent)]
    Parse(#[from] crate::Error),
    /// Neither Sender nor From holds a mailbox.
    #[error("the message has neither a Sender nor a From mailbox")]
    NoSender,
    /// To, Cc and Bcc hold no mailbox.
    #[error("the message has no recipient in To, Cc or Bcc")]
    NoRecipient,
    /// An address field is not a valid address list.
    #[error("the {field} field: {error}")]
    Address {
        /// The field's name as written.
        field: String,
        /// What is wrong with it.
        error: AddressError,
    },
}

/// Who a message is from and to, as SMTP's MAIL FROM and RCPT TO carry it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Envelope {
    /// The reverse path; `None` is the null path `<>` (bounces, RFC 5321 section 4.5.5).
    pub from: Option<Mailbox<'static>>,
    /// The recipients, each once.
    pub to: Vec<Mailbox<'static>>,
}

impl Envelope {
    /// An envelope with these paths (display names are kept but never sent); a recipient
    /// given twice is kept once.
    pub fn new<'a>(
        from: Option<Mailbox<'a>>,
        to: impl IntoIterator<Item = Mailbox<'a>>,
    ) -> Envelope {
        let mut envelope = Envelope {
            from: from.map(Mailbox::into_owned),
            to: Vec::new(),
        };
        for mailbox in to {
            envelope.add_recipient(mailbox);
        }
        envelope
    }

    /// Adds a recipient unless it is there already (local part compared exactly, domain
    /// without regard to case: RFC 5321 section 2.4).
    pub fn add_recipient(&mut self, mailbox: Mailbox<'_>) {
        let same = |m: &Mailbox<'_>| {
            m.local_part == mailbox.local_part && m.domain.eq_ignore_ascii_case(&mailbox.domain)
        };
        if !self.to.iter().any(same) {
            self.to.push(mailbox.into_owned());
        }
    }

    /// The envelope of a parsed message: Sender or else the first From mailbox; the
    /// mailboxes of To, Cc and Bcc. Every address field is read strictly (as
    /// [`Address::parse_list`]): a defect there is an error, not a guess to send to.
    pub fn of_message(message: &Message) -> Result<Envelope, EnvelopeError> {
        let first = |list: Vec<Address<'_>>| {
            list.iter()
                .flat_map(Address::mailboxes)
                .next()
                .cloned()
                .map(Mailbox::into_owned)
        };
        let from = match first(addresses(message, "sender")?) {
            Some(sender) => sender,
            None => first(addresses(message, "from")?).ok_or(EnvelopeError::NoSender)?,
        };
        let mut envelope = Envelope::new(Some(from), []);
        for name in ["to", "cc", "bcc"] {
            for address in addresses(message, name)? {
                for mailbox in address.mailboxes() {
                    envelope.add_recipient(mailbox.clone());
                }
            }
        }
        if envelope.to.is_empty() {
            return Err(EnvelopeError::NoRecipient);
        }
        Ok(envelope)
    }
}

/// The addresses of every field named `name`, read strictly.
fn addresses<'m>(message: &'m Message, name: &'m str) -> Result<Vec<Address<'m>>, EnvelopeError> {
    let mut all = Vec::new();
    for field in message.fields_named(name) {
        let list =
            parse_list_strict(field.raw_value()).map_err(|error| EnvelopeError::Address {
                field: field.name().to_owned(),
                error,
            })?;
        all.extend(list);
    }
    Ok(all)
}

/// A message ready to send: its octets without any Bcc field, and its envelope.
///
/// Made from any message with [`Outgoing::new`], or by the builder with
/// [`MessageBuilder::build_outgoing`](crate::MessageBuilder::build_outgoing). The fields are
/// public: a caller who wants another envelope (a bounce address, a recipient list of its
/// own) sets [`Outgoing::envelope`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Who it is from and to.
    pub envelope: Envelope,
    /// The message as it goes on the wire: the input with its Bcc fields taken out.
    pub message: Vec<u8>,
}

impl Outgoing {
    /// Takes the envelope from the message's header ([`Envelope::of_message`]) and the Bcc
    /// fields out of its octets; everything else is sent as it is.
    ///
    /// ```
    /// use rfc5322::envelope::Outgoing;
    /// let raw = b"From: Alice <alice@example.org>\r\nTo: Team: bob@example.net;\r\n\
    /// Bcc: carol@example.com\r\nSubject: hi\r\n\r\nHello\r\n";
    /// let outgoing = Outgoing::new(&raw[..]).unwrap();
    /// assert_eq!(outgoing.envelope.from.unwrap().addr_spec(), "alice@example.org");
    /// let to: Vec<String> = outgoing.envelope.to.iter().map(|m| m.addr_spec()).collect();
    /// assert_eq!(to, ["bob@example.net", "carol@example.com"]);
    /// assert_eq!(outgoing.message, b"From: Alice <alice@example.org>\r\nTo: Team: bob@example.net;\r\n\
    /// Subject: hi\r\n\r\nHello\r\n");
    /// ```
    pub fn new(message: impl Into<Vec<u8>>) -> Result<Outgoing, EnvelopeError> {
        let raw: Vec<u8> = message.into();
        let parsed = Message::parse(raw)?;
        let envelope = Envelope::of_message(&parsed)?;
        let data = parsed.raw();
        let mut message = Vec::with_capacity(data.len());
        let mut at = 0;
        for bcc in parsed.fields_named("bcc") {
            let range = bcc.range();
            message.extend_from_slice(data.get(at..range.start).unwrap_or_default());
            at = range.end;
        }
        message.extend_from_slice(data.get(at..).unwrap_or_default());
        Ok(Outgoing { envelope, message })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(list: &[Mailbox<'_>]) -> Vec<String> {
        list.iter().map(Mailbox::addr_spec).collect()
    }

    #[test]
    fn sender_wins_over_from() {
        let raw = b"From: a@example.org, b@example.org\r\nSender: s@example.org\r\nTo: t@example.net\r\n\r\nx";
        let out = Outgoing::new(&raw[..]).unwrap();
        assert_eq!(out.envelope.from.unwrap().addr_spec(), "s@example.org");
        let raw = b"From: A <a@example.org>\r\nTo: t@example.net\r\n\r\nx";
        let out = Outgoing::new(&raw[..]).unwrap();
        assert_eq!(out.envelope.from.unwrap().addr_spec(), "a@example.org");
    }

    #[test]
    fn recipients_from_to_cc_bcc_groups_once_each() {
        let raw = b"From: a@example.org\r\n\
To: Team: b@example.net, \"C\" <c@example.net>;, B <b@EXAMPLE.net>\r\n\
Cc: undisclosed-recipients:;, d@example.com\r\n\
bcc: e@example.com,\r\n c@example.net\r\n\
BCC: f@example.com\r\n\
Subject: s\r\n\r\nbody with Bcc: inside\r\n";
        let out = Outgoing::new(&raw[..]).unwrap();
        assert_eq!(
            addrs(&out.envelope.to),
            [
                "b@example.net",
                "c@example.net",
                "d@example.com",
                "e@example.com",
                "f@example.com"
            ]
        );
        assert_eq!(
            out.message,
            b"From: a@example.org\r\n\
To: Team: b@example.net, \"C\" <c@example.net>;, B <b@EXAMPLE.net>\r\n\
Cc: undisclosed-recipients:;, d@example.com\r\n\
Subject: s\r\n\r\nbody with Bcc: inside\r\n"
        );
    }

    #[test]
    fn refusals() {
        assert_eq!(
            Outgoing::new(&b"To: t@example.net\r\n\r\nx"[..]),
            Err(EnvelopeError::NoSender)
        );
        assert_eq!(
            Outgoing::new(&b"From: a@example.org\r\nTo: x:;\r\n\r\nx"[..]),
            Err(EnvelopeError::NoRecipient)
        );
        match Outgoing::new(&b"From: a@example.org\r\nCc: Bob <bob@example.net\r\n\r\nx"[..]) {
            Err(EnvelopeError::Address { field, .. }) => assert_eq!(field, "Cc"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_explicit_envelope_keeps_each_recipient_once() {
        let e = Envelope::new(
            None,
            [
                Mailbox::from_addr_spec("x@example.org"),
                Mailbox::from_addr_spec("x@Example.ORG"),
                Mailbox::from_addr_spec("X@example.org"),
            ],
        );
        assert_eq!(e.from, None);
        assert_eq!(addrs(&e.to), ["x@example.org", "X@example.org"]);
    }
}
