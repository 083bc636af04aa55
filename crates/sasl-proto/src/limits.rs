//! Limits on what a peer may send.

/// Limits applied by the codec and by both sides of every mechanism.
///
/// Every limit is tested at its value (accepted) and one above (refused); the crate README
/// lists them with their RFC and test.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Longest base64 line (challenge or response, without CRLF) the codec accepts: 12288
    /// octets, the SASL line length of RFC 4954 section 4 and RFC 5034 section 4.
    pub max_line_len: usize,
    /// Longest decoded mechanism message a client or server step accepts: 12288 octets.
    pub max_message_len: usize,
    /// Longest authentication identity, authorization identity or password: 255 octets, the
    /// length RFC 4616 section 2 requires every server to accept.
    pub max_field_len: usize,
    /// Highest SCRAM iteration count a client accepts from a server (and a server derives
    /// keys with): 100000. Guards against a server making the client burn CPU.
    pub max_iterations: u32,
    /// Lowest SCRAM iteration count accepted by a client and used when deriving stored keys:
    /// 4096 (RFC 7677 section 3, RFC 5802 section 5.1).
    pub min_iterations: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_line_len: 12288,
            max_message_len: 12288,
            max_field_len: 255,
            max_iterations: 100_000,
            min_iterations: 4096,
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_line_len`].
    #[must_use]
    pub fn with_max_line_len(mut self, n: usize) -> Self {
        self.max_line_len = n;
        self
    }

    /// Sets [`Limits::max_message_len`].
    #[must_use]
    pub fn with_max_message_len(mut self, n: usize) -> Self {
        self.max_message_len = n;
        self
    }

    /// Sets [`Limits::max_field_len`].
    #[must_use]
    pub fn with_max_field_len(mut self, n: usize) -> Self {
        self.max_field_len = n;
        self
    }

    /// Sets [`Limits::max_iterations`].
    #[must_use]
    pub fn with_max_iterations(mut self, n: u32) -> Self {
        self.max_iterations = n;
        self
    }

    /// Sets [`Limits::min_iterations`].
    #[must_use]
    pub fn with_min_iterations(mut self, n: u32) -> Self {
        self.min_iterations = n;
        self
    }
}
