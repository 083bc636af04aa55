//! Defects: deviations from the RFCs found while parsing, recorded instead of failing.

/// What kind of deviation was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DefectKind {
    /// A multipart body ended without its close-delimiter (RFC 2046 section 5.1.1).
    MissingClosingBoundary,
    /// A multipart body holds no delimiter line at all.
    NoBoundaryFound,
    /// A multipart Content-Type has no boundary parameter; the part is read as a leaf.
    MissingBoundaryParameter,
    /// A header line holds neither a field nor a continuation; the body is taken to start
    /// there (no blank line separated them).
    MissingHeaderBodySeparator,
    /// A header line that is no field (no colon, or a name with bytes outside printable
    /// ASCII) where the header goes on after it, often a fold that lost its white space: the
    /// line and its continuation lines were skipped, as Dovecot does. They stay in the
    /// header block's bytes but are no [`crate::Field`].
    BrokenFolding,
    /// The first header line is a continuation line; it was ignored.
    FirstLineContinuation,
    /// A CR not followed by LF in a header block.
    BareCr,
    /// A NUL byte in a header block.
    Nul,
    /// 8-bit bytes in a header field that are not UTF-8 (RFC 6532 does not apply).
    EightBitHeader,
    /// A header line longer than [`crate::Limits::max_line_length`].
    LineTooLong,
    /// The header block is larger than [`crate::Limits::max_header_block`].
    HeaderBlockTooLarge,
    /// More fields than [`crate::Limits::max_fields`].
    TooManyFields,
    /// Nesting deeper than [`crate::Limits::max_depth`]: the part was left opaque.
    DepthLimit,
    /// More parts than [`crate::Limits::max_parts`]: the part was left opaque.
    PartLimit,
    /// Comments or groups nested deeper than [`crate::Limits::max_group_depth`].
    GroupDepthLimit,
    /// An RFC 2047 encoded word that could not be decoded; it was kept as text.
    BadEncodedWord,
    /// A charset that is not known; the text was read as UTF-8 with replacement characters.
    UnknownCharset,
    /// A date-time that could not be parsed.
    UnparsableDate,
    /// An address that could not really be parsed.
    BadAddress,
    /// Obsolete syntax that RFC 5322 section 4 allows to read but not to write.
    ObsoleteSyntax,
    /// A Content-Type or Content-Disposition that could not be parsed; defaults were used.
    BadContentType,
    /// A MIME parameter that could not be parsed, or an RFC 2231 section that is missing.
    BadParameter,
    /// A message id that is not `<left@right>`.
    BadMessageId,
    /// A character outside the base64 alphabet in a base64 body; it was skipped.
    Base64BadCharacter,
    /// Base64 data whose length is not a multiple of four, or with misplaced padding.
    Base64BadPadding,
    /// A `=` in quoted-printable text not followed by two hex digits or a line end; kept.
    QuotedPrintableBadEscape,
    /// An unknown Content-Transfer-Encoding; the body was left as it is.
    UnknownTransferEncoding,
    /// A comment or quoted string not closed before the end of the field.
    Unterminated,
}

/// One deviation and where it was found (a byte offset into the input as given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Defect {
    /// What was found.
    pub kind: DefectKind,
    /// Byte offset into the message input (or into the value, for values parsed on their own).
    pub offset: usize,
}

impl Defect {
    /// A defect at an offset.
    pub fn new(kind: DefectKind, offset: usize) -> Self {
        Defect { kind, offset }
    }
}
