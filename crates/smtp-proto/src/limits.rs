//! Size limits, with the defaults of RFC 5321 section 4.5.3.1 and its extensions.

/// Every size limit of the codec and the machines. `Default` gives the RFC values; the
/// `with_*` setters change one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Local part of a mailbox, octets (RFC 5321 4.5.3.1.1: 64).
    pub max_local_part: usize,
    /// Domain, octets (RFC 5321 4.5.3.1.2: 255).
    pub max_domain: usize,
    /// Reverse or forward path including the angle brackets (RFC 5321 4.5.3.1.3: 256).
    pub max_path: usize,
    /// Command line including CRLF, before the increments of the offered extensions
    /// (RFC 5321 4.5.3.1.4: 512).
    pub max_command_line: usize,
    /// Reply line including CRLF (RFC 5321 4.5.3.1.5: 512).
    pub max_reply_line: usize,
    /// Lines of one multi-line reply (not in the RFC; bounds memory).
    pub max_reply_lines: usize,
    /// Text line of DATA including CRLF (RFC 5321 4.5.3.1.6: 1000).
    pub max_text_line: usize,
    /// Recipients per message (RFC 5321 4.5.3.1.8: at least 100 must be accepted).
    pub max_recipients: usize,
    /// Message size in octets, as received (RFC 1870; 552 after draining).
    pub max_message_size: u64,
    /// Error replies before the server disconnects (Postfix `smtpd_hard_error_limit`: 20).
    pub max_errors: usize,
    /// SASL line: AUTH with initial response, responses and 334 challenges (RFC 4954 4:
    /// 12288).
    pub max_sasl_line: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl Limits {
    /// The defaults, as a constant.
    pub const DEFAULT: Self = Self {
        max_local_part: 64,
        max_domain: 255,
        max_path: 256,
        max_command_line: 512,
        max_reply_line: 512,
        max_reply_lines: 100,
        max_text_line: 1000,
        max_recipients: 100,
        max_message_size: 35 * 1024 * 1024,
        max_errors: 20,
        max_sasl_line: 12288,
    };
}

macro_rules! setter {
    ($(#[$doc:meta] $name:ident : $field:ident : $ty:ty),* $(,)?) => {
        impl Limits {
            $(
                #[$doc]
                #[must_use]
                pub fn $name(mut self, value: $ty) -> Self {
                    self.$field = value;
                    self
                }
            )*
        }
    };
}

setter! {
    /// Sets [`Limits::max_local_part`].
    with_max_local_part: max_local_part: usize,
    /// Sets [`Limits::max_domain`].
    with_max_domain: max_domain: usize,
    /// Sets [`Limits::max_path`].
    with_max_path: max_path: usize,
    /// Sets [`Limits::max_command_line`].
    with_max_command_line: max_command_line: usize,
    /// Sets [`Limits::max_reply_line`].
    with_max_reply_line: max_reply_line: usize,
    /// Sets [`Limits::max_reply_lines`].
    with_max_reply_lines: max_reply_lines: usize,
    /// Sets [`Limits::max_text_line`].
    with_max_text_line: max_text_line: usize,
    /// Sets [`Limits::max_recipients`].
    with_max_recipients: max_recipients: usize,
    /// Sets [`Limits::max_message_size`].
    with_max_message_size: max_message_size: u64,
    /// Sets [`Limits::max_errors`].
    with_max_errors: max_errors: usize,
    /// Sets [`Limits::max_sasl_line`].
    with_max_sasl_line: max_sasl_line: usize,
}

/// Command line increments (octets) of the extensions, RFC by RFC.
pub mod increment {
    /// SIZE, RFC 1870 section 4 (5).
    pub const SIZE: usize = 26;
    /// BODY=BINARYMIME, RFC 3030 section 3 (8).
    pub const BINARYMIME: usize = 16;
    /// SMTPUTF8, RFC 6531 section 3.1 (5).
    pub const SMTPUTF8: usize = 10;
    /// AUTH= on MAIL, RFC 4954 section 3.
    pub const AUTH: usize = 500;
    /// DSN on MAIL (ENVID 100, RET 8, separators), RFC 3461 section 5.4.
    pub const DSN_MAIL: usize = 110;
    /// DSN on RCPT (NOTIFY and ORCPT: 1036 in all), RFC 3461 section 5.4.
    pub const DSN_RCPT: usize = 524;
    /// BY, RFC 2852 section 4 (5).
    pub const DELIVERBY: usize = 17;
    /// MT-PRIORITY, RFC 6710 section 3 (6).
    pub const MT_PRIORITY: usize = 15;
    /// HOLDFOR / HOLDUNTIL, RFC 4865 section 3 (5).
    pub const FUTURERELEASE: usize = 34;
    /// REQUIRETLS, RFC 8689 section 4 (5).
    pub const REQUIRETLS: usize = 11;
    /// RRVS on RCPT, RFC 7293 section 3.
    pub const RRVS: usize = 33;
}
