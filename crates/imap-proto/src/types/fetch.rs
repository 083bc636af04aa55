//! FETCH attributes (RFC 3501 section 6.4.5, RFC 9051 section 6.4.5; BINARY of RFC 3516,
//! MODSEQ of RFC 7162, EMAILID and THREADID of RFC 8474) and body sections.

use std::fmt;
use std::num::NonZeroU32;

use super::string::AString;

/// The text part of a section specifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionText {
    /// `HEADER`.
    Header,
    /// `HEADER.FIELDS (names)`.
    HeaderFields(Vec<AString>),
    /// `HEADER.FIELDS.NOT (names)`.
    HeaderFieldsNot(Vec<AString>),
    /// `TEXT`.
    Text,
    /// `MIME` (only after a part number).
    Mime,
}

/// `section`: the inside of `[...]`: a part path (`1.2`) and an optional text specifier.
/// Empty for the whole message (`BODY[]`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Section {
    /// The part numbers.
    pub part: Vec<NonZeroU32>,
    /// The text specifier.
    pub text: Option<SectionText>,
}

impl Section {
    /// The whole message: `[]`.
    pub fn full() -> Self {
        Self::default()
    }

    /// True for `[]`.
    pub fn is_full(&self) -> bool {
        self.part.is_empty() && self.text.is_none()
    }
}

/// `<origin.length>` of a FETCH command (a reply gives only `<origin>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partial {
    /// The first octet.
    pub origin: u32,
    /// How many octets.
    pub length: NonZeroU32,
}

/// One FETCH attribute a client asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchAttribute {
    /// `ENVELOPE`.
    Envelope,
    /// `FLAGS`.
    Flags,
    /// `INTERNALDATE`.
    InternalDate,
    /// `RFC822` (IMAP4rev1; deprecated in IMAP4rev2).
    Rfc822,
    /// `RFC822.HEADER`.
    Rfc822Header,
    /// `RFC822.SIZE`.
    Rfc822Size,
    /// `RFC822.TEXT`.
    Rfc822Text,
    /// `BODY` (the structure without extension data).
    Body,
    /// `BODYSTRUCTURE`.
    BodyStructure,
    /// `UID`.
    Uid,
    /// `BODY[section]<partial>` or `BODY.PEEK[...]`.
    BodySection {
        /// The section.
        section: Section,
        /// The octet range.
        partial: Option<Partial>,
        /// `.PEEK`: do not set `\Seen`.
        peek: bool,
    },
    /// `BINARY[part]<partial>` or `BINARY.PEEK[...]` (RFC 3516).
    Binary {
        /// The part numbers.
        part: Vec<NonZeroU32>,
        /// The octet range.
        partial: Option<Partial>,
        /// `.PEEK`.
        peek: bool,
    },
    /// `BINARY.SIZE[part]`.
    BinarySize(Vec<NonZeroU32>),
    /// `MODSEQ` (RFC 7162).
    ModSeq,
    /// `EMAILID` (RFC 8474).
    EmailId,
    /// `THREADID` (RFC 8474).
    ThreadId,
}

/// What a FETCH command asks for: a macro or a list of attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchItems {
    /// `ALL`: FLAGS INTERNALDATE RFC822.SIZE ENVELOPE.
    All,
    /// `FAST`: FLAGS INTERNALDATE RFC822.SIZE.
    Fast,
    /// `FULL`: ALL and BODY.
    Full,
    /// One attribute or a parenthesised list (`single` writes one without parentheses).
    Attributes {
        /// The attributes, at least one.
        list: Vec<FetchAttribute>,
        /// Written without parentheses (one attribute).
        single: bool,
    },
}

/// Writes a part path: `1.2.3`.
pub(crate) struct PartPath<'a>(pub &'a [NonZeroU32]);

impl fmt::Display for PartPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, n) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

/// A body section's data in a FETCH reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionData {
    /// NIL.
    Nil,
    /// The octets (a quoted string or a literal parsed with the reply).
    Inline(bytes::Bytes),
    /// A large literal handed over in chunks by the framer: only its size is here.
    Streamed {
        /// The size.
        size: u64,
    },
}

/// One item of a FETCH reply (`msg-att`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchItem {
    /// `FLAGS (...)`.
    Flags(Vec<super::flag::FlagFetch>),
    /// `UID n`.
    Uid(NonZeroU32),
    /// `INTERNALDATE "..."`.
    InternalDate(super::datetime::DateTime),
    /// `RFC822.SIZE n`.
    Rfc822Size(u64),
    /// `ENVELOPE (...)`.
    Envelope(Box<super::envelope::Envelope>),
    /// `BODY (...)`: the structure without extension data.
    Body(Box<super::body::BodyStructure>),
    /// `BODYSTRUCTURE (...)`.
    BodyStructure(Box<super::body::BodyStructure>),
    /// `BODY[section]<origin> data`.
    BodySection {
        /// The section.
        section: Section,
        /// The first octet, for a partial fetch.
        origin: Option<u32>,
        /// The data.
        data: SectionData,
    },
    /// `BINARY[part]<origin> data` (RFC 3516).
    Binary {
        /// The part.
        part: Vec<NonZeroU32>,
        /// The first octet.
        origin: Option<u32>,
        /// The data (a `literal8` may hold NUL).
        data: SectionData,
    },
    /// `BINARY.SIZE[part] n`.
    BinarySize {
        /// The part.
        part: Vec<NonZeroU32>,
        /// The decoded size.
        size: u32,
    },
    /// `RFC822 data` (IMAP4rev1).
    Rfc822(SectionData),
    /// `RFC822.HEADER data`.
    Rfc822Header(SectionData),
    /// `RFC822.TEXT data`.
    Rfc822Text(SectionData),
    /// `MODSEQ (n)` (RFC 7162).
    ModSeq(u64),
    /// `EMAILID (id)` (RFC 8474).
    EmailId(super::string::Atom),
    /// `THREADID (id)` or `THREADID NIL`.
    ThreadId(Option<super::string::Atom>),
    /// An item this crate does not know: its name and its value's raw octets.
    Other {
        /// The name as sent.
        name: bytes::Bytes,
        /// The value as sent (within its line).
        value: bytes::Bytes,
    },
}
