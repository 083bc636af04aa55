//! Mailbox names (RFC 3501 section 5.1, RFC 9051 section 5.1): INBOX in any case is INBOX;
//! other names are Unicode, written in modified UTF-7 under IMAP4rev1 and as UTF-8 under
//! IMAP4rev2 or UTF8=ACCEPT.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;

use super::mode::Mode;
use super::utf7;
use crate::error::InvalidValue;

/// A mailbox name.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Mailbox(Repr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    Inbox,
    /// A Unicode name (valid UTF-8, never INBOX in any case).
    Unicode(Bytes),
    /// Octets from the wire that are neither the canonical modified UTF-7 of a name (under
    /// IMAP4rev1) nor UTF-8: kept and written back as they came.
    Raw(Bytes),
}

fn is_plain(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .all(|&b| (0x20..0x7f).contains(&b) && b != b'&')
}

impl Mailbox {
    /// INBOX.
    pub fn inbox() -> Self {
        Self(Repr::Inbox)
    }

    /// A mailbox from its Unicode name; `inbox` in any case is INBOX. NUL is refused.
    pub fn new(name: &str) -> Result<Self, InvalidValue> {
        if let Some(at) = memchr::memchr(0, name.as_bytes()) {
            return Err(InvalidValue::new("mailbox", at));
        }
        Ok(Self::unicode(Bytes::copy_from_slice(name.as_bytes())))
    }

    fn unicode(name: Bytes) -> Self {
        if name.eq_ignore_ascii_case(b"INBOX") {
            Self(Repr::Inbox)
        } else {
            Self(Repr::Unicode(name))
        }
    }

    /// The mailbox whose wire form (the astring's octets, NUL-free) is `wire`, read in
    /// `mode`. Names that are not valid in the mode are kept raw.
    pub fn from_wire(wire: Bytes, mode: Mode) -> Self {
        if wire.eq_ignore_ascii_case(b"INBOX") {
            return Self(Repr::Inbox);
        }
        if mode.utf8() || is_plain(&wire) {
            return match std::str::from_utf8(&wire) {
                Ok(_) => Self(Repr::Unicode(wire)),
                Err(_) => Self(Repr::Raw(wire)),
            };
        }
        match utf7::decode(&wire) {
            Some(name) => Self::unicode(Bytes::from(name)),
            None => Self(Repr::Raw(wire)),
        }
    }

    /// The octets to write for this mailbox in `mode`.
    pub fn to_wire(&self, mode: Mode) -> Cow<'_, [u8]> {
        match &self.0 {
            Repr::Inbox => Cow::Borrowed(b"INBOX"),
            Repr::Raw(raw) => Cow::Borrowed(raw),
            Repr::Unicode(name) if mode.utf8() || is_plain(name) => Cow::Borrowed(name),
            Repr::Unicode(name) => {
                Cow::Owned(utf7::encode(std::str::from_utf8(name).unwrap_or_default()).into())
            }
        }
    }

    /// True for INBOX.
    pub fn is_inbox(&self) -> bool {
        matches!(self.0, Repr::Inbox)
    }

    /// The Unicode name (`INBOX` for INBOX), or `None` for a name kept raw.
    pub fn name(&self) -> Option<&str> {
        match &self.0 {
            Repr::Inbox => Some("INBOX"),
            Repr::Unicode(name) => std::str::from_utf8(name).ok(),
            Repr::Raw(_) => None,
        }
    }

    /// The octets of a name kept raw because they were not valid in the session's mode.
    pub fn raw(&self) -> Option<&[u8]> {
        match &self.0 {
            Repr::Raw(raw) => Some(raw),
            _ => None,
        }
    }
}

impl fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Inbox => f.write_str("Mailbox(INBOX)"),
            Repr::Unicode(_) => write!(f, "Mailbox({:?})", self.name().unwrap_or_default()),
            Repr::Raw(raw) => {
                f.write_str("Mailbox(raw b\"")?;
                proto_core::parse_error::write_escaped(f, raw)?;
                f.write_str("\")")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inbox_is_case_insensitive() {
        assert!(Mailbox::new("inBox").unwrap().is_inbox());
        assert!(Mailbox::from_wire(Bytes::from_static(b"INBOX"), Mode::REV1).is_inbox());
        assert!(!Mailbox::new("INBOX.Sent").unwrap().is_inbox());
        assert_eq!(Mailbox::new("iNbOx").unwrap(), Mailbox::inbox());
    }

    #[test]
    fn utf7_in_rev1_and_utf8_in_rev2() {
        let m = Mailbox::new("Entw\u{fc}rfe").unwrap();
        assert_eq!(&*m.to_wire(Mode::REV1), b"Entw&APw-rfe");
        assert_eq!(&*m.to_wire(Mode::REV2), "Entw\u{fc}rfe".as_bytes());
        assert_eq!(
            &*m.to_wire(Mode::REV1.with_utf8_accept(true)),
            "Entw\u{fc}rfe".as_bytes()
        );
        assert_eq!(
            Mailbox::from_wire(Bytes::from_static(b"Entw&APw-rfe"), Mode::REV1),
            m
        );
        // Under UTF-8 modes "&" is itself.
        let amp = Mailbox::from_wire(Bytes::from_static(b"Entw&APw-rfe"), Mode::REV2);
        assert_eq!(amp.name(), Some("Entw&APw-rfe"));
    }

    #[test]
    fn invalid_names_are_kept_raw() {
        let raw = Mailbox::from_wire(Bytes::from_static(b"a&AEE-"), Mode::REV1);
        assert_eq!(raw.raw(), Some(&b"a&AEE-"[..]));
        assert_eq!(raw.name(), None);
        assert_eq!(&*raw.to_wire(Mode::REV1), b"a&AEE-");
        let latin1 = Mailbox::from_wire(Bytes::from_static(b"\xe9t\xe9"), Mode::REV2);
        assert_eq!(latin1.raw(), Some(&b"\xe9t\xe9"[..]));
        assert!(Mailbox::new("a\0").is_err());
    }
}
