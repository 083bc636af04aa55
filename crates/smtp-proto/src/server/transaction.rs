//! One mail transaction as the server keeps it: the envelope, the size so far and what
//! will refuse it at the end of its data.

use super::*;

/// The transaction between MAIL FROM and the end of its data.
#[derive(Debug)]
pub(super) struct Transaction {
    pub(super) params: MailParameters<'static>,
    pub(super) rcpts: Vec<ForwardPath<'static>>,
    pub(super) rcpt_attempts: usize,
    pub(super) size: u64,
    pub(super) too_big: bool,
    pub(super) bad_ending: Option<&'static str>,
    pub(super) long_line: bool,
    /// The line length limit over the message data (RFC 5321 4.5.3.1.6).
    pub(super) lines: LineLimit,
    pub(super) bdat_used: bool,
    /// Bare CR and LF across BDAT chunks.
    pub(super) bare: bare::BareScan,
}

impl Transaction {
    pub(super) fn refusal(&self, host: &str) -> Option<Reply<'static>> {
        let (code, e, text) = if self.too_big {
            (552, (5, 3, 4), "Error: message file too big".to_owned())
        } else if let Some(what) = self.bad_ending {
            (
                550,
                (5, 5, 2),
                format!("{host} Error: bare {what} received"),
            )
        } else if self.long_line {
            (554, (5, 6, 0), "Error: message line too long".to_owned())
        } else {
            return None;
        };
        Some(reply(code, e, &text))
    }
}
