//! What a stateless parser of the workspace answers: a value and how much input it took, or a
//! request for more input. SMTP, POP3 and IMAP codecs share it.

/// The outcome of a parser that may need more input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<T> {
    /// A whole value, and how many octets of the input it took.
    Complete {
        /// The value.
        value: T,
        /// Octets consumed, line ends included.
        consumed: usize,
    },
    /// The input ends before the value does.
    Incomplete,
}

impl<T> Parsed<T> {
    /// The value and the octets it took, if complete.
    pub fn complete(self) -> Option<(T, usize)> {
        match self {
            Self::Complete { value, consumed } => Some((value, consumed)),
            Self::Incomplete => None,
        }
    }
}
