//! Every size limit of the crate, with the RFC defaults.

/// Size limits, each configurable. Lengths of lines count the CRLF.
///
/// | Limit | Default | Source |
/// |---|---|---|
/// | `command_line` | 255 | RFC 2449 section 4 (an AUTH line with its initial response too, RFC 5034 section 4) |
/// | `response_line` | 512 | RFC 2449 section 4 (first line, capability lines) |
/// | `sasl_line` | 12288 + 2 | RFC 5034 section 4 ("arbitrary length"); sasl-proto's 12288 line limit |
/// | `listing_entries` | 1,000,000 | ours: LIST, UIDL, CAPA and LANG listings a client collects |
/// | `input_buffer` | 64 KiB | ours: buffered input before backpressure |
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Longest command line, CRLF included.
    pub command_line: usize,
    /// Longest response line (status lines and the lines of LIST, UIDL, CAPA, LANG), CRLF
    /// included. Message body lines have no limit: they stream.
    pub response_line: usize,
    /// Longest SASL line ("+ " challenge or client response), CRLF included.
    pub sasl_line: usize,
    /// Most entries a client collects from one multi-line listing.
    pub listing_entries: usize,
    /// Input the machines buffer before they stop asking for more.
    pub input_buffer: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            command_line: 255,
            response_line: 512,
            sasl_line: 12288 + 2,
            listing_entries: 1_000_000,
            input_buffer: 64 * 1024,
        }
    }
}

impl Limits {
    /// The RFC defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the longest command line (CRLF included).
    #[must_use]
    pub fn with_max_command_line(mut self, n: usize) -> Self {
        self.command_line = n;
        self
    }

    /// Sets the longest response line (CRLF included).
    #[must_use]
    pub fn with_max_response_line(mut self, n: usize) -> Self {
        self.response_line = n;
        self
    }

    /// Sets the longest SASL line (CRLF included).
    #[must_use]
    pub fn with_max_sasl_line(mut self, n: usize) -> Self {
        self.sasl_line = n;
        self
    }

    /// Sets the most entries of one listing.
    #[must_use]
    pub fn with_max_listing_entries(mut self, n: usize) -> Self {
        self.listing_entries = n;
        self
    }

    /// Sets the input buffer size.
    #[must_use]
    pub fn with_max_input_buffer(mut self, n: usize) -> Self {
        self.input_buffer = n;
        self
    }

    /// The SASL line limit as sasl-proto counts it (base64 text without CRLF).
    pub(crate) fn sasl_limits(&self) -> sasl_proto::Limits {
        sasl_proto::Limits::default().with_max_line_len(self.sasl_line.saturating_sub(2))
    }
}
