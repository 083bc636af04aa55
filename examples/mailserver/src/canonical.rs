//! Messages as a POP3 client will see them: a POP3 server sends every line ended by CRLF,
//! so a bare CR goes out as CRLF and a last line without an end gets one. Deliveries are
//! written in that form, so that the size POP3 reports for a message (its CRLF size, from the
//! Maildir name) is the number of octets RETR sends.

/// The state of a message being made canonical, chunk by chunk.
#[derive(Debug, Default)]
pub struct Canonical {
    /// The last octet seen was a CR (whose LF may open the next chunk).
    cr_last: bool,
    /// The last octet seen was an LF (or nothing was seen).
    at_line_start: bool,
    /// Anything was seen.
    started: bool,
}

impl Canonical {
    /// The chunk with each bare CR made CRLF, appended to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        for &octet in chunk {
            if self.cr_last && octet != b'\n' {
                out.push(b'\n');
            }
            out.push(octet);
            self.cr_last = octet == b'\r';
            self.at_line_start = octet == b'\n';
            self.started = true;
        }
    }

    /// What ends the message: the LF of a CR left last, or a CRLF for a last line without
    /// an end.
    pub fn finish(&mut self) -> &'static [u8] {
        let tail: &'static [u8] = match (self.started, self.cr_last, self.at_line_start) {
            (false, _, _) | (true, false, true) => b"",
            (true, true, _) => b"\n",
            (true, false, false) => b"\r\n",
        };
        self.cr_last = false;
        self.at_line_start = true;
        tail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(chunks: &[&[u8]]) -> Vec<u8> {
        let mut c = Canonical::default();
        let mut out = Vec::new();
        for chunk in chunks {
            c.push(chunk, &mut out);
        }
        out.extend_from_slice(c.finish());
        out
    }

    #[test]
    fn bare_crs_and_the_last_line_end_are_made_crlf() {
        assert_eq!(canonical(&[b"a\r\nb\r\n"]), b"a\r\nb\r\n");
        assert_eq!(canonical(&[b"a\rb\r", b"\nc"]), b"a\r\nb\r\nc\r\n");
        assert_eq!(canonical(&[b"a\r"]), b"a\r\n");
        assert_eq!(canonical(&[b"lf\n"]), b"lf\n");
        assert_eq!(canonical(&[]), b"");
    }
}
