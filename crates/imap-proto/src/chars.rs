//! Character classes of the IMAP grammar (RFC 3501 section 9, RFC 9051 section 9), as one
//! lookup table so that every class test is a load and a mask.

const ATOM: u8 = 1;
const ASTRING: u8 = 2;
const TAG: u8 = 4;
const QUOTED: u8 = 8;
const LIST: u8 = 16;

/// The class bits of each octet.
static TABLE: [u8; 256] = build();

// Indexes below 256 by the loop bounds; a const fn cannot use `get_mut`.
#[allow(clippy::indexing_slicing)]
const fn build() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b = 0x21usize;
    while b < 0x7f {
        let c = b as u8;
        // atom-specials: "(" ")" "{" SP CTL list-wildcards quoted-specials resp-specials
        let special = matches!(c, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']');
        let mut bits = 0;
        if !special {
            bits |= ATOM | ASTRING | LIST;
        }
        if c == b']' {
            bits |= ASTRING | LIST;
        }
        if c == b'%' || c == b'*' {
            bits |= LIST;
        }
        if bits & ASTRING != 0 && c != b'+' {
            bits |= TAG;
        }
        t[b] = bits;
        b += 1;
    }
    // QUOTED-CHAR: any TEXT-CHAR (CHAR except CR and LF); the specials are escaped.
    let mut b = 1usize;
    while b < 0x80 {
        if b != 0x0d && b != 0x0a {
            t[b] |= QUOTED;
        }
        b += 1;
    }
    t
}

#[inline]
fn has(b: u8, class: u8) -> bool {
    TABLE
        .get(usize::from(b))
        .is_some_and(|bits| bits & class != 0)
}

/// ATOM-CHAR.
#[inline]
pub(crate) fn is_atom_char(b: u8) -> bool {
    has(b, ATOM)
}

/// ASTRING-CHAR: ATOM-CHAR or `]`.
#[inline]
pub(crate) fn is_astring_char(b: u8) -> bool {
    has(b, ASTRING)
}

/// A tag octet: ASTRING-CHAR except `+`.
#[inline]
pub(crate) fn is_tag_char(b: u8) -> bool {
    has(b, TAG)
}

/// A 7-bit octet a quoted string may hold (escaped when `"` or `\`).
#[inline]
pub(crate) fn is_quoted_char(b: u8) -> bool {
    has(b, QUOTED)
}

/// list-char: ATOM-CHAR, list-wildcards or resp-specials.
#[inline]
pub(crate) fn is_list_char(b: u8) -> bool {
    has(b, LIST)
}

/// The length of the run of octets of a class at the front of `bytes`.
#[inline]
pub(crate) fn run(bytes: &[u8], class: impl Fn(u8) -> bool) -> usize {
    bytes.iter().position(|&b| !class(b)).unwrap_or(bytes.len())
}

/// A keyword in upper case, on the stack: matching commands, responses, items and codes
/// without allocating. Words longer than any keyword read as a NUL, which matches none.
pub(crate) struct Upper {
    buf: [u8; 32],
    len: usize,
}

impl Upper {
    pub(crate) fn new(word: &[u8]) -> Self {
        let mut buf = [0u8; 32];
        let len = match buf.get_mut(..word.len()) {
            Some(dst) => {
                for (d, s) in dst.iter_mut().zip(word) {
                    *d = s.to_ascii_uppercase();
                }
                word.len()
            }
            None => 1,
        };
        Self { buf, len }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        // `len` is at most the buffer's 32 octets (set in `new`); the bound says so.
        let (word, _) = self.buf.split_at(self.len.min(self.buf.len()));
        word
    }

    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or("\0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_the_grammar() {
        for b in [
            b'(', b')', b'{', b' ', b'%', b'*', b'"', b'\\', b']', 0, 0x7f, 0x80,
        ] {
            assert!(!is_atom_char(b), "{b:#x}");
        }
        assert!(is_astring_char(b']') && !is_atom_char(b']'));
        assert!(is_atom_char(b'+') && !is_tag_char(b'+'));
        assert!(is_list_char(b'%') && is_list_char(b'*') && !is_list_char(b'('));
        assert!(is_quoted_char(b'"') && !is_quoted_char(b'\r') && !is_quoted_char(0));
        assert!(!is_quoted_char(0xc3));
        assert_eq!(run(b"abc def", is_atom_char), 3);
        assert_eq!(Upper::new(b"uid").as_str(), "UID");
        assert_eq!(Upper::new(&[b'a'; 33]).as_bytes(), b"\0");
    }
}
