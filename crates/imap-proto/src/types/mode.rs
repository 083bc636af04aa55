//! The session mode: which IMAP revision is in force and whether UTF8=ACCEPT is enabled. It
//! changes how mailbox names and strings are written and read (RFC 9051 Appendix E).

/// The protocol revision of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Revision {
    /// IMAP4rev1, RFC 3501 (the default until ENABLE IMAP4rev2).
    #[default]
    Rev1,
    /// IMAP4rev2, RFC 9051.
    Rev2,
}

/// What the parsers and encoders need to know of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Mode {
    /// The revision in force.
    pub revision: Revision,
    /// UTF8=ACCEPT was enabled (RFC 9755): strings and mailbox names are UTF-8.
    pub utf8_accept: bool,
}

impl Mode {
    /// IMAP4rev1 without UTF-8: mailbox names in modified UTF-7.
    pub const REV1: Self = Self {
        revision: Revision::Rev1,
        utf8_accept: false,
    };
    /// IMAP4rev2.
    pub const REV2: Self = Self {
        revision: Revision::Rev2,
        utf8_accept: false,
    };

    /// The mode with UTF8=ACCEPT on or off.
    #[must_use]
    pub fn with_utf8_accept(mut self, on: bool) -> Self {
        self.utf8_accept = on;
        self
    }

    /// True under IMAP4rev2.
    pub fn is_rev2(self) -> bool {
        self.revision == Revision::Rev2
    }

    /// True when quoted strings and mailbox names may carry UTF-8 (IMAP4rev2 or
    /// UTF8=ACCEPT); false when mailbox names use modified UTF-7.
    pub fn utf8(self) -> bool {
        self.is_rev2() || self.utf8_accept
    }
}
