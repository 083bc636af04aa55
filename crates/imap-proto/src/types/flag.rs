//! Message flags and keywords (RFC 3501 section 2.3.2, RFC 9051 section 2.3.2).

use std::fmt;

use bytes::Bytes;

use super::string::{Atom, is_atom};
use crate::error::InvalidValue;

/// A flag a client can set: a system flag, a keyword, or a `\`-extension flag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Flag {
    /// `\Answered`.
    Answered,
    /// `\Flagged`.
    Flagged,
    /// `\Deleted`.
    Deleted,
    /// `\Seen`.
    Seen,
    /// `\Draft`.
    Draft,
    /// A keyword such as `$Forwarded` or `Junk`.
    Keyword(Atom),
    /// A flag extension: `\` followed by this atom (not one of the system flags above).
    Extension(Atom),
}

impl Flag {
    /// A keyword flag.
    pub fn keyword(name: &str) -> Result<Self, InvalidValue> {
        Atom::new(Bytes::copy_from_slice(name.as_bytes())).map(Self::Keyword)
    }

    /// The flag named by `wire` (`\Seen`, `$Junk`, ...), system names in any case.
    pub fn from_wire(wire: Bytes) -> Result<Self, InvalidValue> {
        match wire.strip_prefix(b"\\") {
            Some(name) => {
                let system = match name.to_ascii_lowercase().as_slice() {
                    b"answered" => Some(Self::Answered),
                    b"flagged" => Some(Self::Flagged),
                    b"deleted" => Some(Self::Deleted),
                    b"seen" => Some(Self::Seen),
                    b"draft" => Some(Self::Draft),
                    _ => None,
                };
                match system {
                    Some(flag) => Ok(flag),
                    None if is_atom(name) => {
                        Ok(Self::Extension(Atom::from_checked(wire.slice(1..))))
                    }
                    None => Err(InvalidValue::new("flag", 1)),
                }
            }
            None => Atom::new(wire).map(Self::Keyword),
        }
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Answered => f.write_str("\\Answered"),
            Self::Flagged => f.write_str("\\Flagged"),
            Self::Deleted => f.write_str("\\Deleted"),
            Self::Seen => f.write_str("\\Seen"),
            Self::Draft => f.write_str("\\Draft"),
            Self::Keyword(atom) => write!(f, "{atom}"),
            Self::Extension(atom) => write!(f, "\\{atom}"),
        }
    }
}

/// A flag as FETCH reports it: any [`Flag`], or `\Recent` (IMAP4rev1 only).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FlagFetch {
    /// A flag.
    Flag(Flag),
    /// `\Recent`.
    Recent,
}

impl FlagFetch {
    /// The flag named by `wire`.
    pub fn from_wire(wire: Bytes) -> Result<Self, InvalidValue> {
        if wire.eq_ignore_ascii_case(b"\\Recent") {
            Ok(Self::Recent)
        } else {
            Flag::from_wire(wire).map(Self::Flag)
        }
    }
}

impl fmt::Display for FlagFetch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag(flag) => flag.fmt(f),
            Self::Recent => f.write_str("\\Recent"),
        }
    }
}

/// A flag of PERMANENTFLAGS: any [`Flag`], or `\*` (new keywords can be created).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FlagPerm {
    /// A flag.
    Flag(Flag),
    /// `\*`.
    Any,
}

impl FlagPerm {
    /// The flag named by `wire`.
    pub fn from_wire(wire: Bytes) -> Result<Self, InvalidValue> {
        if &wire[..] == b"\\*" {
            Ok(Self::Any)
        } else {
            Flag::from_wire(wire).map(Self::Flag)
        }
    }
}

impl fmt::Display for FlagPerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag(flag) => flag.fmt(f),
            Self::Any => f.write_str("\\*"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(s: &'static str) -> Result<Flag, InvalidValue> {
        Flag::from_wire(Bytes::from_static(s.as_bytes()))
    }

    #[test]
    fn system_flags_keywords_and_extensions() {
        assert_eq!(flag("\\SEEN"), Ok(Flag::Seen));
        assert_eq!(flag("$Forwarded").unwrap().to_string(), "$Forwarded");
        assert_eq!(flag("\\Junk").unwrap().to_string(), "\\Junk");
        assert!(matches!(flag("\\Junk"), Ok(Flag::Extension(_))));
        assert!(flag("\\").is_err());
        assert!(flag("a b").is_err());
        assert_eq!(
            FlagFetch::from_wire(Bytes::from_static(b"\\recent")),
            Ok(FlagFetch::Recent)
        );
        assert_eq!(
            FlagPerm::from_wire(Bytes::from_static(b"\\*")),
            Ok(FlagPerm::Any)
        );
    }
}
