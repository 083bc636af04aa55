//! Bare CR and LF in BDAT chunks (RFC 3030), under the same policy as DATA.
//!
//! A chunk is raw octets, so no dot-unstuffer sees them; without this check `\r.\r` inside a
//! BDAT chunk would be stored as it came, and a later reader that takes bare line ends as
//! line ends (a POP3 client, a relay speaking DATA) would see a different message. Chunk
//! boundaries fall anywhere, so a CR at the end of one chunk is judged by the next octet.
//! BODY=BINARYMIME content is exempt: it is not lines at all.

use bytes::{Bytes, BytesMut};
use proto_core::BareLineEnding;

/// What is known across chunks.
#[derive(Debug, Default)]
pub(super) struct BareScan {
    /// The last chunk ended with a CR: a bare one unless the next octet is LF.
    cr_last: bool,
}

impl BareScan {
    /// Applies `policy` to the next chunk: the chunk to pass on (normalised under
    /// `Normalize`), or the first bare line end found under `Reject` ("<CR>" or "<LF>").
    pub(super) fn chunk(
        &mut self,
        chunk: Bytes,
        policy: BareLineEnding,
    ) -> Result<Bytes, &'static str> {
        match policy {
            BareLineEnding::Reject => match self.first_bare(&chunk) {
                Some(what) => Err(what),
                None => Ok(chunk),
            },
            BareLineEnding::Normalize => Ok(self.normalize(&chunk)),
            _ => Ok(chunk),
        }
    }

    /// The end of the message: a CR that ended the last chunk was bare.
    pub(super) fn finish(&mut self, policy: BareLineEnding) -> Option<&'static str> {
        let cr_last = std::mem::take(&mut self.cr_last);
        (cr_last && policy == BareLineEnding::Reject).then_some("<CR>")
    }

    fn first_bare(&mut self, chunk: &[u8]) -> Option<&'static str> {
        let mut after_cr = std::mem::take(&mut self.cr_last);
        for &octet in chunk {
            match (after_cr, octet) {
                (true, b'\n') => after_cr = false,
                (true, _) => return Some("<CR>"),
                (false, b'\n') => return Some("<LF>"),
                (false, b'\r') => after_cr = true,
                (false, _) => {}
            }
        }
        self.cr_last = after_cr;
        None
    }

    /// Bare CR and bare LF become CRLF. A CR ending the chunk is written as CRLF at once, and
    /// an LF opening the next chunk is then dropped.
    fn normalize(&mut self, chunk: &[u8]) -> Bytes {
        let mut rest = chunk;
        if std::mem::take(&mut self.cr_last) {
            rest = rest.strip_prefix(b"\n").unwrap_or(rest);
        }
        let mut out = BytesMut::with_capacity(rest.len() + rest.len() / 16 + 2);
        while let Some(at) = memchr::memchr2(b'\r', b'\n', rest) {
            let (run, end) = rest.split_at(at);
            out.extend_from_slice(run);
            out.extend_from_slice(b"\r\n");
            rest = match end {
                [b'\r', b'\n', tail @ ..] => tail,
                [b'\r'] => {
                    self.cr_last = true;
                    &[]
                }
                [_, tail @ ..] => tail,
                [] => &[],
            };
        }
        out.extend_from_slice(rest);
        out.freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(chunks: &[&[u8]], policy: BareLineEnding) -> Result<Vec<u8>, &'static str> {
        let mut scan = BareScan::default();
        let mut out = Vec::new();
        for chunk in chunks {
            out.extend_from_slice(&scan.chunk(Bytes::copy_from_slice(chunk), policy)?);
        }
        match scan.finish(policy) {
            Some(what) => Err(what),
            None => Ok(out),
        }
    }

    #[test]
    fn reject_finds_bare_ends_across_chunk_boundaries() {
        let reject = BareLineEnding::Reject;
        assert_eq!(
            scan(&[b"a\r\nb\r", b"\nc\r\n"], reject),
            Ok(b"a\r\nb\r\nc\r\n".to_vec())
        );
        assert_eq!(scan(&[b"a\r.\r\n"], reject), Err("<CR>"));
        assert_eq!(scan(&[b"a\r", b"b"], reject), Err("<CR>"));
        assert_eq!(scan(&[b"a\r"], reject), Err("<CR>"));
        assert_eq!(scan(&[b"a\n.\n"], reject), Err("<LF>"));
        assert_eq!(scan(&[b"a\r\n", b"\n"], reject), Err("<LF>"));
    }

    #[test]
    fn normalize_makes_every_line_end_crlf() {
        let normalize = BareLineEnding::Normalize;
        assert_eq!(
            scan(&[b"a\r.\rb\nc\r\n"], normalize),
            Ok(b"a\r\n.\r\nb\r\nc\r\n".to_vec())
        );
        assert_eq!(
            scan(&[b"a\r", b"\nb\r", b"c"], normalize),
            Ok(b"a\r\nb\r\nc".to_vec())
        );
        assert_eq!(
            scan(&[b"\r\r\n\n"], normalize),
            Ok(b"\r\n\r\n\r\n".to_vec())
        );
    }
}
