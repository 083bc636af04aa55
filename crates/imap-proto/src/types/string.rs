//! Tags, atoms and strings (RFC 3501 section 4, RFC 9051 section 4).
//!
//! A string's value is its octets; whether it travels as an atom, a quoted string or a literal
//! is the encoder's choice ([`crate::codec::Encoder`] picks the cheapest form the session
//! allows), so `AString`, `IString` and `NString` compare by content.

use std::fmt;

use bytes::Bytes;

use crate::chars::{is_astring_char, is_atom_char, is_tag_char};
use crate::error::InvalidValue;

fn check(what: &'static str, bytes: &[u8], ok: fn(u8) -> bool) -> Result<(), InvalidValue> {
    if bytes.is_empty() {
        return Err(InvalidValue::new(what, 0));
    }
    match bytes.iter().position(|&b| !ok(b)) {
        Some(at) => Err(InvalidValue::new(what, at)),
        None => Ok(()),
    }
}

fn no_nul(what: &'static str, bytes: &[u8]) -> Result<(), InvalidValue> {
    match memchr::memchr(0, bytes) {
        Some(at) => Err(InvalidValue::new(what, at)),
        None => Ok(()),
    }
}

/// ASCII bytes as `&str` (the types below hold ASCII only).
fn ascii(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// A command tag: one or more ASTRING-CHAR except `+`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(Bytes);

impl Tag {
    /// A tag from its octets.
    pub fn new(tag: impl Into<Bytes>) -> Result<Self, InvalidValue> {
        let tag = tag.into();
        check("tag", &tag, is_tag_char)?;
        Ok(Self(tag))
    }

    pub(crate) fn from_checked(tag: Bytes) -> Self {
        Self(tag)
    }

    /// The tag's octets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The tag as text (it is ASCII).
    pub fn as_str(&self) -> &str {
        ascii(&self.0)
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({:?})", self.as_str())
    }
}

/// An atom: one or more ATOM-CHAR. Atoms name things case-insensitively in most places of
/// the grammar; [`Atom::is`] compares that way, `==` compares octets.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Atom(Bytes);

impl Atom {
    /// An atom from its octets.
    pub fn new(atom: impl Into<Bytes>) -> Result<Self, InvalidValue> {
        let atom = atom.into();
        check("atom", &atom, is_atom_char)?;
        Ok(Self(atom))
    }

    /// An atom from a static string, checked.
    pub fn from_static(atom: &'static str) -> Result<Self, InvalidValue> {
        Self::new(Bytes::from_static(atom.as_bytes()))
    }

    pub(crate) fn from_checked(atom: Bytes) -> Self {
        Self(atom)
    }

    /// The atom's octets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The atom as text (it is ASCII).
    pub fn as_str(&self) -> &str {
        ascii(&self.0)
    }

    /// True when the atom is `name`, ignoring ASCII case.
    pub fn is(&self, name: &str) -> bool {
        self.0.eq_ignore_ascii_case(name.as_bytes())
    }

    /// The backing bytes.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Atom({:?})", self.as_str())
    }
}

/// Writes octets for `Debug`: text when UTF-8, escaped otherwise.
fn debug_octets(f: &mut fmt::Formatter<'_>, name: &str, bytes: &[u8]) -> fmt::Result {
    match std::str::from_utf8(bytes) {
        Ok(text) => write!(f, "{name}({text:?})"),
        Err(_) => {
            write!(f, "{name}(b\"")?;
            proto_core::parse_error::write_escaped(f, bytes)?;
            f.write_str("\")")
        }
    }
}

macro_rules! string_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Bytes);

        impl $name {
            /// The value from its octets: anything but NUL (which no IMAP string can carry
            /// outside a `literal8`).
            pub fn new(value: impl Into<Bytes>) -> Result<Self, InvalidValue> {
                let value = value.into();
                no_nul($what, &value)?;
                Ok(Self(value))
            }

            pub(crate) fn from_checked(value: Bytes) -> Self {
                Self(value)
            }

            /// The octets.
            pub fn as_bytes(&self) -> &[u8] {
                &self.0
            }

            /// The octets as text, when they are UTF-8.
            pub fn as_str(&self) -> Option<&str> {
                std::str::from_utf8(&self.0).ok()
            }

            /// The backing bytes.
            pub fn into_bytes(self) -> Bytes {
                self.0
            }

            /// The backing bytes, shared.
            pub fn bytes(&self) -> &Bytes {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                debug_octets(f, stringify!($name), &self.0)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = InvalidValue;
            fn try_from(value: &str) -> Result<Self, InvalidValue> {
                Self::new(Bytes::copy_from_slice(value.as_bytes()))
            }
        }
    };
}

string_type!(
    /// `astring`: an atom-like word, a quoted string or a literal; the value is the octets.
    AString,
    "astring"
);
string_type!(
    /// `string`: a quoted string or a literal (never an atom on the wire).
    IString,
    "string"
);

impl From<IString> for AString {
    fn from(value: IString) -> Self {
        Self(value.0)
    }
}

impl From<Atom> for AString {
    fn from(value: Atom) -> Self {
        Self(value.0)
    }
}

impl AString {
    /// True when the value can travel as a bare atom (1*ASTRING-CHAR).
    pub fn is_atom_form(&self) -> bool {
        !self.0.is_empty() && self.0.iter().all(|&b| is_astring_char(b))
    }
}

/// `nstring`: a string or NIL.
pub type NString = Option<IString>;

/// A literal: octets that always travel as `{n}` (or `~{n}`, a `literal8` of RFC 3516, which
/// may hold NUL and needs BINARY). APPEND's message is one.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Literal {
    data: Bytes,
    binary: bool,
}

impl Literal {
    /// A literal: any octet but NUL.
    pub fn new(data: impl Into<Bytes>) -> Result<Self, InvalidValue> {
        let data = data.into();
        no_nul("literal", &data)?;
        Ok(Self {
            data,
            binary: false,
        })
    }

    /// A `literal8` (`~{n}`): any octets, NUL included.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Self {
            data: data.into(),
            binary: true,
        }
    }

    /// The octets.
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// True for a `literal8`.
    pub fn is_binary(&self) -> bool {
        self.binary
    }
}

impl fmt::Debug for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.binary { "Literal8" } else { "Literal" };
        if self.data.len() > 64 {
            write!(f, "{name}({} octets)", self.data.len())
        } else {
            debug_octets(f, name, &self.data)
        }
    }
}

/// True when every octet is an ATOM-CHAR and there is at least one.
pub(crate) fn is_atom(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|&b| is_atom_char(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_refuse_plus_space_and_empty() {
        assert_eq!(Tag::new("A001").unwrap().as_str(), "A001");
        assert_eq!(Tag::new("a]b").unwrap().as_str(), "a]b");
        assert_eq!(Tag::new("A+1"), Err(InvalidValue::new("tag", 1)));
        assert_eq!(Tag::new("A 1"), Err(InvalidValue::new("tag", 1)));
        assert_eq!(Tag::new(""), Err(InvalidValue::new("tag", 0)));
        assert_eq!(Tag::new("*"), Err(InvalidValue::new("tag", 0)));
    }

    #[test]
    fn atoms_and_strings() {
        assert!(Atom::new("FLAGS").unwrap().is("flags"));
        assert!(Atom::new("a]").is_err());
        assert!(AString::new("a]").unwrap().is_atom_form());
        assert!(!AString::new("a b").unwrap().is_atom_form());
        assert!(!AString::new("").unwrap().is_atom_form());
        assert_eq!(
            IString::new(&b"a\0b"[..]),
            Err(InvalidValue::new("string", 1))
        );
        assert!(Literal::new(&b"\0"[..]).is_err());
        assert!(Literal::binary(&b"\0"[..]).is_binary());
        assert_eq!(
            format!("{:?}", AString::new("x").unwrap()),
            "AString(\"x\")"
        );
        assert_eq!(
            format!("{:?}", IString::new(&b"\xff"[..]).unwrap()),
            "IString(b\"\\xff\")"
        );
    }
}
