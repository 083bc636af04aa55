//! BODY and BODYSTRUCTURE (RFC 3501 section 7.4.2, RFC 9051 section 7.5.2), with the
//! extension data.

use super::envelope::Envelope;
use super::string::{IString, NString};

/// `body-fld-param`: attribute/value pairs (NIL is an empty list).
pub type BodyParams = Vec<(IString, IString)>;

/// The fields every single part has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyFields {
    /// The parameters (`charset`, ...).
    pub params: BodyParams,
    /// `Content-ID`.
    pub id: NString,
    /// `Content-Description`.
    pub description: NString,
    /// `Content-Transfer-Encoding`.
    pub encoding: IString,
    /// The size in octets.
    pub octets: u32,
}

/// `body-fld-dsp`: a disposition and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disposition {
    /// `inline`, `attachment`, ...
    pub kind: IString,
    /// Its parameters.
    pub params: BodyParams,
}

/// `body-extension`: the open-ended extension data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyExtension {
    /// A string or NIL.
    String(NString),
    /// A number.
    Number(u32),
    /// A parenthesised list.
    List(Vec<BodyExtension>),
}

/// The extension data after the disposition (BODYSTRUCTURE only). Each field is present
/// only when the ones before it are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExtensionTail {
    /// `body-fld-dsp`; `None` when absent, `Some(None)` for NIL.
    pub disposition: Option<Option<Disposition>>,
    /// `body-fld-lang`: NIL (`Some(vec![])`) or one or more languages.
    pub language: Option<Vec<IString>>,
    /// `body-fld-loc`.
    pub location: Option<NString>,
    /// Further extensions.
    pub extensions: Vec<BodyExtension>,
}

/// What is special to a single part's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecificFields {
    /// Any type but the two below.
    Basic,
    /// `TEXT/*`: the size in lines.
    Text {
        /// Lines.
        lines: u32,
    },
    /// `MESSAGE/RFC822` (and `MESSAGE/GLOBAL`): the inner message.
    Message {
        /// Its envelope.
        envelope: Box<Envelope>,
        /// Its body.
        body: Box<BodyStructure>,
        /// Its size in lines.
        lines: u32,
    },
}

/// A body: one part, or a multipart with its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyStructure {
    /// One part.
    Single {
        /// Media type.
        media_type: IString,
        /// Media subtype.
        subtype: IString,
        /// The common fields.
        fields: BodyFields,
        /// What is special to the type.
        specific: SpecificFields,
        /// Extension data (BODYSTRUCTURE): `md5` first, then the tail.
        extension: Option<SingleExtension>,
    },
    /// A multipart.
    Multi {
        /// The parts, at least one.
        parts: Vec<BodyStructure>,
        /// The subtype (`mixed`, `alternative`, ...).
        subtype: IString,
        /// Extension data (BODYSTRUCTURE): parameters first, then the tail.
        extension: Option<MultiExtension>,
    },
}

/// A single part's extension data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleExtension {
    /// `body-fld-md5`.
    pub md5: NString,
    /// The rest.
    pub tail: ExtensionTail,
}

/// A multipart's extension data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiExtension {
    /// `body-fld-param`.
    pub params: BodyParams,
    /// The rest.
    pub tail: ExtensionTail,
}
