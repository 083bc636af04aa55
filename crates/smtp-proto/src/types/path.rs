//! Paths: domains, mailboxes and the arguments of MAIL FROM and RCPT TO (RFC 5321 4.1.2).

use std::borrow::Cow;
use std::fmt;

/// A domain or an address literal (`[192.0.2.1]`, `[IPv6:...]`), as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Domain<'a>(pub(crate) Cow<'a, str>);

impl<'a> Domain<'a> {
    /// The domain as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for an address literal.
    pub fn is_literal(&self) -> bool {
        self.0.starts_with('[')
    }

    /// An owned copy.
    pub fn into_owned(self) -> Domain<'static> {
        Domain(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Display for Domain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A mailbox `local@domain` (RFC 5321 4.1.2). The local part is kept as written: a
/// dot-string or a quoted string with its quotes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox<'a> {
    pub(crate) local: Cow<'a, str>,
    pub(crate) domain: Domain<'a>,
}

impl<'a> Mailbox<'a> {
    /// Parses `local@domain` with the default limits.
    pub fn parse(text: &'a str) -> Result<Self, crate::ParseError> {
        crate::codec::parse_mailbox(text, &crate::Limits::default())
    }

    /// The local part as written (quotes included).
    pub fn local_part(&self) -> &str {
        &self.local
    }

    /// The domain.
    pub fn domain(&self) -> &Domain<'a> {
        &self.domain
    }

    /// True when every octet is ASCII (else the address needs SMTPUTF8, RFC 6531).
    pub fn is_ascii(&self) -> bool {
        self.local.is_ascii() && self.domain.0.is_ascii()
    }

    /// An owned copy.
    pub fn into_owned(self) -> Mailbox<'static> {
        Mailbox {
            local: Cow::Owned(self.local.into_owned()),
            domain: self.domain.into_owned(),
        }
    }
}

impl fmt::Display for Mailbox<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

/// The argument of MAIL FROM: the null path `<>` (bounces) or a mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReversePath<'a> {
    /// `<>`.
    Null,
    /// `<local@domain>` (a source route before it is dropped).
    Mailbox(Mailbox<'a>),
}

impl ReversePath<'_> {
    /// An owned copy.
    pub fn into_owned(self) -> ReversePath<'static> {
        match self {
            Self::Null => ReversePath::Null,
            Self::Mailbox(m) => ReversePath::Mailbox(m.into_owned()),
        }
    }
}

impl fmt::Display for ReversePath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("<>"),
            Self::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

/// The argument of RCPT TO: `<Postmaster>` or a mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ForwardPath<'a> {
    /// `<Postmaster>` without a domain (RFC 5321 4.1.1.3).
    Postmaster,
    /// `<local@domain>`.
    Mailbox(Mailbox<'a>),
}

impl ForwardPath<'_> {
    /// An owned copy.
    pub fn into_owned(self) -> ForwardPath<'static> {
        match self {
            Self::Postmaster => ForwardPath::Postmaster,
            Self::Mailbox(m) => ForwardPath::Mailbox(m.into_owned()),
        }
    }
}

impl fmt::Display for ForwardPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Postmaster => f.write_str("<Postmaster>"),
            Self::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}
