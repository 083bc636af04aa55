//! What the server machine reports to the application.

use super::*;

/// What the server machine reports.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A login to decide: answer [`Server::accept_login`] with the maildrop listing, or
    /// [`Server::reject_login`].
    Login {
        /// How the client logs in.
        request: LoginRequest,
        /// The token to answer with.
        decision: Decision,
    },
    /// A SASL exchange needs the application: a password to verify, a secret or SCRAM keys,
    /// an OAuth token, the EXTERNAL identity, or the authorization ([`Question`]). Answer
    /// with [`Server::answer_auth`]; [`Question::answer_from`] answers from a
    /// `sasl_proto::CredentialStore`.
    AuthQuestion {
        /// The question.
        question: Question,
        /// The token to answer with.
        decision: Decision,
    },
    /// RETR (`top: None`) or TOP: answer [`Server::accept_retrieve`] then stream the whole
    /// message with [`Server::write_body`] and [`Server::finish_body`] (the machine cuts TOP
    /// itself), or [`Server::reject_retrieve`].
    Retrieve {
        /// The message.
        number: MessageNumber,
        /// Its unique id.
        uid: String,
        /// Its listed size.
        size: u64,
        /// For TOP: lines of the body wanted.
        top: Option<u32>,
        /// The token to answer with.
        decision: Decision,
    },
    /// QUIT in TRANSACTION: the UPDATE state. Delete these messages, then answer
    /// [`Server::accept_update`] or [`Server::reject_update`].
    Update {
        /// The user of the maildrop.
        user: String,
        /// The messages marked deleted.
        deleted: Vec<(MessageNumber, String)>,
        /// The token to answer with.
        decision: Decision,
    },
    /// The connection was upgraded to TLS.
    TlsEstablished,
    /// Too many failed logins: the machine closes.
    TooManyFailedLogins,
    /// The client closed the connection without QUIT: nothing is deleted. (An autologout
    /// is [`ProtocolError::Timeout`]: nothing is deleted either.)
    Closed,
}
