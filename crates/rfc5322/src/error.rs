//! The one hard error of the parser.

/// Why a message could not be parsed at all. Everything else is a [`crate::Defect`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is larger than [`crate::Limits::max_input_size`].
    #[error("message of {size} bytes exceeds the limit of {limit} bytes")]
    InputTooLarge {
        /// Size of the input.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
}
