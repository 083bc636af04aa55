//! SORT and THREAD (RFC 5256; DISPLAYFROM/DISPLAYTO of RFC 5957).

/// A sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SortKey {
    /// `ARRIVAL`.
    Arrival,
    /// `CC`.
    Cc,
    /// `DATE`.
    Date,
    /// `FROM`.
    From,
    /// `SIZE`.
    Size,
    /// `SUBJECT`.
    Subject,
    /// `TO`.
    To,
    /// `DISPLAYFROM` (RFC 5957).
    DisplayFrom,
    /// `DISPLAYTO` (RFC 5957).
    DisplayTo,
}

impl SortKey {
    const ALL: [Self; 9] = [
        Self::Arrival,
        Self::Cc,
        Self::Date,
        Self::From,
        Self::Size,
        Self::Subject,
        Self::To,
        Self::DisplayFrom,
        Self::DisplayTo,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Arrival => "ARRIVAL",
            Self::Cc => "CC",
            Self::Date => "DATE",
            Self::From => "FROM",
            Self::Size => "SIZE",
            Self::Subject => "SUBJECT",
            Self::To => "TO",
            Self::DisplayFrom => "DISPLAYFROM",
            Self::DisplayTo => "DISPLAYTO",
        }
    }

    pub(crate) fn from_wire(word: &[u8]) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().as_bytes().eq_ignore_ascii_case(word))
    }
}

/// `sort-criterion`: a key, maybe reversed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SortCriterion {
    /// `REVERSE`.
    pub reverse: bool,
    /// The key.
    pub key: SortKey,
}

/// A THREAD result: a message, followed by its children (one child continues the chain;
/// several are branches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Thread {
    /// A chain: messages in order, then optional branches.
    Chain {
        /// Message numbers (or UIDs), each the parent of the next.
        messages: Vec<u32>,
        /// Sub-threads under the last message.
        children: Vec<Thread>,
    },
    /// A parent missing from the result: only branches (`((3)(5))`).
    Branches(Vec<Thread>),
}
