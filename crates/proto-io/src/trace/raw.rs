//! Octets a line announced, which are no lines: an SMTP BDAT chunk (RFC 3030) or an IMAP
//! literal (RFC 9051 4.3: `{N}`, `{N+}`, and `~{N}` for binary). The tap counts them and shows
//! one summary, so a literal's content (a password, a message) never reaches the log and is
//! never taken for commands.

/// A run of announced octets in one direction.
#[derive(Debug)]
pub(super) struct Raw {
    /// Octets still to come.
    pub(super) left: usize,
    /// Octets counted so far.
    octets: usize,
    /// What to call it in the summary.
    what: &'static str,
    /// A synchronizing IMAP literal from the client: the server may refuse it (a tagged
    /// reply instead of "+"), and then it never comes.
    pub(super) awaiting_go_ahead: bool,
}

impl Raw {
    /// `size` octets of a BDAT chunk.
    pub(super) fn bdat(size: usize) -> Self {
        Self {
            left: size,
            octets: 0,
            what: "BDAT chunk",
            awaiting_go_ahead: false,
        }
    }

    /// The literal announced at the end of an IMAP line, if there is one.
    pub(super) fn literal(line: &[u8], from_client: bool) -> Option<Self> {
        let inside = line.strip_suffix(b"}")?;
        let open = inside.iter().rposition(|&b| b == b'{')?;
        let (_, spec) = inside.split_at(open);
        let spec = spec.get(1..)?;
        let (digits, non_sync) = match spec.strip_suffix(b"+") {
            Some(digits) => (digits, true),
            None => (spec, false),
        };
        if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let size = std::str::from_utf8(digits).ok()?.parse().ok()?;
        Some(Self {
            left: size,
            octets: 0,
            what: "literal",
            awaiting_go_ahead: from_client && !non_sync,
        })
    }

    /// Counts `n` octets; the summary once the run is complete.
    pub(super) fn count(&mut self, n: usize) -> Option<String> {
        self.left -= n.min(self.left);
        self.octets += n;
        (self.left == 0).then(|| format!("[{}: {} octets]", self.what, self.octets))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_found_at_the_end_of_a_line_only() {
        let size = |line: &[u8]| Raw::literal(line, true).map(|r| (r.left, r.awaiting_go_ahead));
        assert_eq!(size(b"a1 LOGIN {3}"), Some((3, true)));
        assert_eq!(size(b"a1 APPEND INBOX {310+}"), Some((310, false)));
        assert_eq!(size(b"a1 APPEND INBOX ~{5}"), Some((5, true)));
        assert_eq!(size(b"a1 LOGIN {3} x"), None);
        assert_eq!(size(b"a1 NOOP {}"), None);
        assert_eq!(size(b"a1 NOOP {x}"), None);
        assert_eq!(size(b"a1 NOOP {99999999999999999999}"), None);
        assert_eq!(
            Raw::literal(b"* 1 FETCH (BODY[] {42}", false).map(|r| r.awaiting_go_ahead),
            Some(false)
        );
    }
}
