//! Commands: every SMTP and LMTP command (RFC 5321 4.1.1 and the extensions).

use std::borrow::Cow;

use super::*;

/// An SMTP or LMTP command (RFC 5321 4.1.1 and the extensions).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command<'a> {
    /// EHLO domain-or-literal.
    Ehlo(Cow<'a, str>),
    /// HELO domain.
    Helo(Cow<'a, str>),
    /// LHLO domain (RFC 2033).
    Lhlo(Cow<'a, str>),
    /// `MAIL FROM:<path> parameters`.
    Mail {
        /// The reverse path.
        from: ReversePath<'a>,
        /// The parameters.
        params: MailParameters<'a>,
    },
    /// `RCPT TO:<path> parameters`.
    Rcpt {
        /// The forward path.
        to: ForwardPath<'a>,
        /// The parameters.
        params: RcptParameters<'a>,
    },
    /// DATA.
    Data,
    /// `BDAT size [LAST]` (RFC 3030).
    Bdat {
        /// Octets of the chunk that follows the line.
        size: u64,
        /// LAST: the final chunk.
        last: bool,
    },
    /// RSET.
    Rset,
    /// VRFY string.
    Vrfy(Cow<'a, str>),
    /// EXPN string.
    Expn(Cow<'a, str>),
    /// `HELP [string]`.
    Help(Option<Cow<'a, str>>),
    /// `NOOP [string]`.
    Noop(Option<Cow<'a, str>>),
    /// QUIT.
    Quit,
    /// STARTTLS (RFC 3207).
    StartTls,
    /// `AUTH mechanism [initial-response]` (RFC 4954).
    Auth {
        /// The mechanism name as written.
        mechanism: Cow<'a, str>,
        /// The initial response, base64 or `=`, as written.
        initial_response: Option<Cow<'a, str>>,
    },
    /// ETRN node (RFC 1985).
    Etrn(Cow<'a, str>),
}

fn own(c: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(c.into_owned())
}

impl<'a> Command<'a> {
    /// `EHLO domain`.
    pub fn ehlo(domain: impl Into<Cow<'a, str>>) -> Self {
        Self::Ehlo(domain.into())
    }

    /// `MAIL FROM:<mailbox>` without parameters; `""` gives the null path.
    pub fn mail_from(address: &'a str) -> Result<Self, crate::ParseError> {
        let from = if address.is_empty() {
            ReversePath::Null
        } else {
            ReversePath::Mailbox(Mailbox::parse(address)?)
        };
        Ok(Self::Mail {
            from,
            params: MailParameters::default(),
        })
    }

    /// `RCPT TO:<mailbox>` without parameters.
    pub fn rcpt_to(address: &'a str) -> Result<Self, crate::ParseError> {
        Ok(Self::Rcpt {
            to: ForwardPath::Mailbox(Mailbox::parse(address)?),
            params: RcptParameters::default(),
        })
    }

    /// The verb, upper case.
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Ehlo(_) => "EHLO",
            Self::Helo(_) => "HELO",
            Self::Lhlo(_) => "LHLO",
            Self::Mail { .. } => "MAIL",
            Self::Rcpt { .. } => "RCPT",
            Self::Data => "DATA",
            Self::Bdat { .. } => "BDAT",
            Self::Rset => "RSET",
            Self::Vrfy(_) => "VRFY",
            Self::Expn(_) => "EXPN",
            Self::Help(_) => "HELP",
            Self::Noop(_) => "NOOP",
            Self::Quit => "QUIT",
            Self::StartTls => "STARTTLS",
            Self::Auth { .. } => "AUTH",
            Self::Etrn(_) => "ETRN",
        }
    }

    /// An owned copy.
    pub fn into_owned(self) -> Command<'static> {
        match self {
            Self::Ehlo(d) => Command::Ehlo(own(d)),
            Self::Helo(d) => Command::Helo(own(d)),
            Self::Lhlo(d) => Command::Lhlo(own(d)),
            Self::Mail { from, params } => Command::Mail {
                from: from.into_owned(),
                params: params.into_owned(),
            },
            Self::Rcpt { to, params } => Command::Rcpt {
                to: to.into_owned(),
                params: params.into_owned(),
            },
            Self::Data => Command::Data,
            Self::Bdat { size, last } => Command::Bdat { size, last },
            Self::Rset => Command::Rset,
            Self::Vrfy(s) => Command::Vrfy(own(s)),
            Self::Expn(s) => Command::Expn(own(s)),
            Self::Help(s) => Command::Help(s.map(own)),
            Self::Noop(s) => Command::Noop(s.map(own)),
            Self::Quit => Command::Quit,
            Self::StartTls => Command::StartTls,
            Self::Auth {
                mechanism,
                initial_response,
            } => Command::Auth {
                mechanism: own(mechanism),
                initial_response: initial_response.map(own),
            },
            Self::Etrn(s) => Command::Etrn(own(s)),
        }
    }
}
