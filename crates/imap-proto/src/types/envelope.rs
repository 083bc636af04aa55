//! ENVELOPE (RFC 3501 section 7.4.2, RFC 9051 section 7.5.2).

use super::string::NString;

/// An address of an envelope. A group is marked by an address with a NIL host (its start,
/// with the group name in `mailbox`) and one with NIL mailbox and host (its end).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    /// The display name.
    pub name: NString,
    /// The source route (obsolete).
    pub adl: NString,
    /// The local part, or a group's name.
    pub mailbox: NString,
    /// The domain.
    pub host: NString,
}

/// An envelope.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Envelope {
    /// `Date:`.
    pub date: NString,
    /// `Subject:`.
    pub subject: NString,
    /// `From:`.
    pub from: Vec<Address>,
    /// `Sender:`.
    pub sender: Vec<Address>,
    /// `Reply-To:`.
    pub reply_to: Vec<Address>,
    /// `To:`.
    pub to: Vec<Address>,
    /// `Cc:`.
    pub cc: Vec<Address>,
    /// `Bcc:`.
    pub bcc: Vec<Address>,
    /// `In-Reply-To:`.
    pub in_reply_to: NString,
    /// `Message-ID:`.
    pub message_id: NString,
}
