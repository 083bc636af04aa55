//! What the server machine reports to the application.

use super::*;

/// Which greeting command the client used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelloKind {
    /// HELO.
    Helo,
    /// EHLO.
    Ehlo,
    /// LHLO (RFC 2033).
    Lhlo,
}

/// What the server machine reports.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A client connected (only with [`ServerConfig::decide_connection`]): accept sends the
    /// greeting, reject sends the given reply and closes.
    Connected {
        /// Answer with accept or reject.
        decision: Decision,
    },
    /// HELO, EHLO or LHLO. With [`ServerConfig::decide_hello`] it carries a decision;
    /// otherwise it was answered already.
    Hello {
        /// The command used.
        kind: HelloKind,
        /// The argument.
        domain: String,
        /// Present when the application must answer.
        decision: Option<Decision>,
    },
    /// MAIL FROM: accept gives `250 2.1.0 Ok`.
    MailFrom {
        /// The reverse path.
        from: ReversePath<'static>,
        /// The parameters.
        params: MailParameters<'static>,
        /// Answer with accept or reject.
        decision: Decision,
    },
    /// RCPT TO: accept gives `250 2.1.5 Ok`.
    RcptTo {
        /// The forward path.
        to: ForwardPath<'static>,
        /// The parameters.
        params: RcptParameters<'static>,
        /// Answer with accept or reject.
        decision: Decision,
    },
    /// A piece of the message body (DATA un-stuffed, or BDAT as is).
    BodyChunk(Bytes),
    /// The message is complete: accept gives `250 2.0.0 Ok: queued`. In LMTP mode one per
    /// accepted recipient, in RCPT order.
    DataEnd {
        /// The recipient this answer is for (LMTP), else `None`.
        recipient: Option<ForwardPath<'static>>,
        /// Octets of body received.
        size: u64,
        /// Answer with accept or reject.
        decision: Decision,
    },
    /// The machine refused the message it was receiving (too big, bad line ends); the
    /// application drops what it collected.
    MessageRefused {
        /// The reply sent.
        reply: Reply<'static>,
    },
    /// The AUTH exchange needs the application: a password to verify, a secret or SCRAM
    /// keys, an OAuth token, the TLS identity for EXTERNAL, or whether the proven identity
    /// may log in ([`Question`]). Answer with [`Server::answer_auth`];
    /// [`Question::answer_from`] answers from a `sasl_proto::CredentialStore`. After the
    /// last question, success gives `235 2.7.0 Authentication successful`.
    AuthQuestion {
        /// The question.
        question: Question,
        /// Answer with `answer_auth`.
        decision: Decision,
    },
    /// RSET, or a new EHLO, cleared the transaction.
    Reset,
    /// TLS is now active; everything learned before is forgotten.
    TlsEstablished,
    /// The client sent QUIT.
    Quit,
    /// The client closed the connection.
    Closed,
}
