//! What the client machine reports to the application.

use super::*;

/// What the client machine reports.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The server's greeting.
    Greeting(Reply<'static>),
    /// EHLO (or HELO) succeeded, after STARTTLS when it was used: commands may be sent.
    Ready(Capabilities),
    /// TLS is active; capabilities learned before it are forgotten.
    TlsEstablished,
    /// The reply to a command that has no more specific event (MAIL, RSET, NOOP, VRFY...).
    Reply {
        /// The command.
        id: CommandId,
        /// Its verb.
        verb: &'static str,
        /// The reply.
        reply: Reply<'static>,
    },
    /// The reply to one RCPT TO.
    Recipient {
        /// The command.
        id: CommandId,
        /// The recipient.
        recipient: ForwardPath<'static>,
        /// The reply.
        reply: Reply<'static>,
    },
    /// [`Client::write_body`] takes data now (after 354, or when the output drained).
    BodyWritable,
    /// The final reply to a message (after "." or BDAT LAST).
    MessageDone {
        /// The command that ended the data.
        id: CommandId,
        /// The reply.
        reply: Reply<'static>,
    },
    /// LMTP: the reply for one accepted recipient after the data.
    LmtpDelivery {
        /// The command that ended the data.
        id: CommandId,
        /// The recipient.
        recipient: ForwardPath<'static>,
        /// The reply.
        reply: Reply<'static>,
    },
    /// AUTH succeeded (235).
    Authenticated {
        /// The AUTH command.
        id: CommandId,
        /// The mechanism used.
        mechanism: Mechanism,
    },
    /// AUTH failed with this reply.
    AuthFailed {
        /// The AUTH command.
        id: CommandId,
        /// The reply.
        reply: Reply<'static>,
    },
    /// The session ended: the reply to QUIT, or an unsolicited 421.
    Closed(Option<Reply<'static>>),
}
