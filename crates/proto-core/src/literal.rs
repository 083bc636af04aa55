//! Counted data announced at the end of a line: IMAP's literals (RFC 3501 section 4.3,
//! RFC 9051 section 4.3): `{n}` (synchronising: the sender waits for a continuation),
//! `{n+}` (non-synchronising, RFC 7888) and `~{n}` / `~{n+}` (`literal8`, RFC 3516).
//!
//! [`LineFramer`](crate::LineFramer) switches to counted mode after a line that ends with one
//! of these, once its limit allows the size.

/// A literal announced at the end of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LiteralHead {
    /// The announced size in octets (`u64::MAX` when the digits overflow: over any limit).
    pub size: u64,
    /// False for `{n+}`: the sender does not wait for a continuation request.
    pub sync: bool,
    /// True for `~{n}`: a `literal8`, which may hold NUL.
    pub binary: bool,
    /// Offset in the line of the announcement (`{`, or `~` for a `literal8`).
    pub start: usize,
}

/// The literal announced at the end of `line` (given without its line end), if any.
///
/// Looks only at the line's last octets: `{`, one or more digits, an optional `+`, `}`.
pub fn literal_at_end(line: &[u8]) -> Option<LiteralHead> {
    let body = line.strip_suffix(b"}")?;
    let (body, sync) = match body.strip_suffix(b"+") {
        Some(body) => (body, false),
        None => (body, true),
    };
    let digits = body.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let open = body.len() - digits;
    if open == 0 || body.get(open - 1) != Some(&b'{') {
        return None;
    }
    let size = body.get(open..)?.iter().fold(0u64, |n, &b| {
        n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    });
    let brace = open - 1;
    let binary = brace > 0 && body.get(brace - 1) == Some(&b'~');
    Some(LiteralHead {
        size,
        sync,
        binary,
        start: if binary { brace - 1 } else { brace },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_forms() {
        assert_eq!(
            literal_at_end(b"A1 LOGIN {5}"),
            Some(LiteralHead {
                size: 5,
                sync: true,
                binary: false,
                start: 9
            })
        );
        assert_eq!(
            literal_at_end(b"A1 APPEND x {12+}"),
            Some(LiteralHead {
                size: 12,
                sync: false,
                binary: false,
                start: 12
            })
        );
        let head = literal_at_end(b"A APPEND x ~{0}").unwrap();
        assert!(head.binary && head.sync && head.size == 0 && head.start == 11);
        let head = literal_at_end(b"~{7+}").unwrap();
        assert!(head.binary && !head.sync && head.start == 0);
    }

    #[test]
    fn not_a_literal() {
        for line in [
            &b"A1 NOOP"[..],
            b"{}",
            b"{+}",
            b"5}",
            b"x {5",
            b"{5}x",
            b"{5-}",
            b"{a5}",
        ] {
            assert_eq!(literal_at_end(line), None, "{line:?}");
        }
    }

    #[test]
    fn overflowing_digits_saturate() {
        let head = literal_at_end(b"{99999999999999999999999}").unwrap();
        assert_eq!(head.size, u64::MAX);
    }
}
