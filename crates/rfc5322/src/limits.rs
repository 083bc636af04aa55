//! Configurable limits of the parser.

/// Limits applied while parsing. Only [`Limits::max_input_size`] makes parsing fail; passing
/// any other limit leaves a [`crate::Defect`] on the part where it happened and parsing goes on
/// (stored mail always parses).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest input accepted by [`crate::Message::parse_with`] (default 1 GiB). Larger input
    /// is an [`crate::Error::InputTooLarge`].
    pub max_input_size: usize,
    /// Largest header block of one part, blank line included (default 256 KiB). Fields that
    /// start past it are not recorded.
    pub max_header_block: usize,
    /// Most fields recorded per header block (default 4096).
    pub max_fields: usize,
    /// Longest header line before a defect is recorded (default 998, RFC 5322 section 2.1.1).
    pub max_line_length: usize,
    /// Deepest MIME nesting (default 100): a multipart or message part at this depth is not
    /// descended into and becomes opaque.
    pub max_depth: usize,
    /// Most parts in one message, the root included (default 10,000).
    pub max_parts: usize,
    /// Deepest nesting of comments and groups in a structured field (default 32).
    pub max_group_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_size: 1 << 30,
            max_header_block: 256 << 10,
            max_fields: 4096,
            max_line_length: 998,
            max_depth: 100,
            max_parts: 10_000,
            max_group_depth: 32,
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_input_size`].
    pub fn max_input_size(mut self, n: usize) -> Self {
        self.max_input_size = n;
        self
    }
    /// Sets [`Limits::max_header_block`].
    pub fn max_header_block(mut self, n: usize) -> Self {
        self.max_header_block = n;
        self
    }
    /// Sets [`Limits::max_fields`].
    pub fn max_fields(mut self, n: usize) -> Self {
        self.max_fields = n;
        self
    }
    /// Sets [`Limits::max_line_length`].
    pub fn max_line_length(mut self, n: usize) -> Self {
        self.max_line_length = n;
        self
    }
    /// Sets [`Limits::max_depth`].
    pub fn max_depth(mut self, n: usize) -> Self {
        self.max_depth = n;
        self
    }
    /// Sets [`Limits::max_parts`].
    pub fn max_parts(mut self, n: usize) -> Self {
        self.max_parts = n;
        self
    }
    /// Sets [`Limits::max_group_depth`].
    pub fn max_group_depth(mut self, n: usize) -> Self {
        self.max_group_depth = n;
        self
    }
}
