//! LIST-EXTENDED (RFC 5258) with SPECIAL-USE (RFC 6154) and LIST-STATUS (RFC 5819):
//! selection and return options, and mailbox attributes.

use bytes::Bytes;

use super::super::status::StatusItem;
use super::super::string::Atom;

/// A LIST selection option.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListSelect {
    /// `SUBSCRIBED`.
    Subscribed,
    /// `REMOTE`.
    Remote,
    /// `RECURSIVEMATCH`.
    RecursiveMatch,
    /// `SPECIAL-USE` (RFC 6154).
    SpecialUse,
    /// Another option, kept.
    Other(Atom),
}

impl ListSelect {
    /// The option named by `atom`.
    pub fn from_atom(atom: Atom) -> Self {
        match atom.as_str().to_ascii_uppercase().as_str() {
            "SUBSCRIBED" => Self::Subscribed,
            "REMOTE" => Self::Remote,
            "RECURSIVEMATCH" => Self::RecursiveMatch,
            "SPECIAL-USE" => Self::SpecialUse,
            _ => Self::Other(atom),
        }
    }

    /// The wire name.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Subscribed => "SUBSCRIBED",
            Self::Remote => "REMOTE",
            Self::RecursiveMatch => "RECURSIVEMATCH",
            Self::SpecialUse => "SPECIAL-USE",
            Self::Other(atom) => atom.as_str(),
        }
    }
}

/// A LIST return option.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListReturn {
    /// `SUBSCRIBED`.
    Subscribed,
    /// `CHILDREN`.
    Children,
    /// `SPECIAL-USE`.
    SpecialUse,
    /// `STATUS (items)` (RFC 5819).
    Status(Vec<StatusItem>),
    /// Another option, kept.
    Other(Atom),
}

/// A mailbox attribute of a LIST reply (or of CREATE's USE list): `\Noselect`,
/// `\HasChildren`, the special uses of RFC 6154 (`\Drafts`, `\Sent`, ...), or another
/// `\`-atom, kept as its name without the backslash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MailboxAttr(Atom);

impl MailboxAttr {
    /// The attribute named `name` (without the backslash).
    pub fn new(name: &str) -> Result<Self, crate::InvalidValue> {
        Atom::new(Bytes::copy_from_slice(name.as_bytes())).map(Self)
    }

    pub(crate) fn from_atom(atom: Atom) -> Self {
        Self(atom)
    }

    /// The name without the backslash.
    pub fn name(&self) -> &str {
        self.0.as_str()
    }

    /// True when this is `\name`, ignoring case.
    pub fn is(&self, name: &str) -> bool {
        self.0.is(name)
    }
}

impl std::fmt::Display for MailboxAttr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\\{}", self.0)
    }
}
