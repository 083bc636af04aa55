//! Quoted-printable decoding (RFC 2045 section 6.7), lenient on input: a bad `=` is kept as
//! it is and reported, lower-case hex is accepted, white space before a line end is dropped.

/// What went wrong while decoding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QpReport {
    /// `=` signs not followed by two hex digits or a line end (kept literally).
    pub bad_escapes: usize,
    /// Offset of the first one.
    pub first_bad: Option<usize>,
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// Decodes a quoted-printable body, appending to `out`. Line breaks are kept as they are.
pub fn decode_into(input: &[u8], out: &mut Vec<u8>) -> QpReport {
    decode_impl(input, out, false)
}

/// Decodes the Q encoding of RFC 2047 section 4.2 (`_` is a space).
pub fn decode_q_into(input: &[u8], out: &mut Vec<u8>) -> QpReport {
    decode_impl(input, out, true)
}

fn trim_trailing_ws(out: &mut Vec<u8>, floor: usize) {
    while out.len() > floor && matches!(out.last(), Some(b' ' | b'\t')) {
        out.pop();
    }
}

fn decode_impl(input: &[u8], out: &mut Vec<u8>, q: bool) -> QpReport {
    let mut r = QpReport::default();
    out.reserve(input.len());
    let mut i = 0;
    let mut line_floor = out.len();
    while i < input.len() {
        let rest = input.get(i..).unwrap_or(&[]);
        let next = if q {
            memchr::memchr3(b'=', b'_', b'\n', rest)
        } else {
            memchr::memchr2(b'=', b'\n', rest)
        };
        let Some(off) = next else {
            out.extend_from_slice(rest);
            break;
        };
        out.extend_from_slice(rest.get(..off).unwrap_or(&[]));
        i += off;
        match input.get(i).copied() {
            Some(b'_') => {
                out.push(b' ');
                i += 1;
            }
            Some(b'\n') => {
                // Transport padding before a line end is dropped (RFC 2045 6.7 rule 3).
                let had_cr = out.last() == Some(&b'\r');
                if had_cr {
                    out.pop();
                }
                trim_trailing_ws(out, line_floor);
                if had_cr {
                    out.push(b'\r');
                }
                out.push(b'\n');
                i += 1;
                line_floor = out.len();
            }
            _ => {
                // '='
                let a = input.get(i + 1).copied();
                let b = input.get(i + 2).copied();
                if let (Some(h), Some(l)) = (a.and_then(hex), b.and_then(hex)) {
                    out.push(h << 4 | l);
                    // An encoded space is data, not transport padding.
                    line_floor = out.len();
                    i += 3;
                    continue;
                }
                // Soft line break: "=" [WSP] (CRLF | LF | end).
                let mut j = i + 1;
                while matches!(input.get(j), Some(b' ' | b'\t')) {
                    j += 1;
                }
                match input.get(j) {
                    None => {
                        i = j;
                    }
                    Some(b'\n') => {
                        i = j + 1;
                        line_floor = out.len();
                    }
                    Some(b'\r') if input.get(j + 1) == Some(&b'\n') => {
                        i = j + 2;
                        line_floor = out.len();
                    }
                    _ => {
                        r.bad_escapes += 1;
                        if r.first_bad.is_none() {
                            r.first_bad = Some(i);
                        }
                        out.push(b'=');
                        i += 1;
                    }
                }
            }
        }
    }
    r
}

/// Decodes quoted-printable into a new vector.
pub fn decode(input: &[u8]) -> (Vec<u8>, QpReport) {
    let mut out = Vec::new();
    let r = decode_into(input, &mut out);
    (out, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2045_rules() {
        assert_eq!(decode(b"caf=C3=A9").0, "café".as_bytes());
        assert_eq!(decode(b"soft=\r\nbreak").0, b"softbreak");
        assert_eq!(decode(b"soft=  \nbreak=").0, b"softbreak");
        assert_eq!(decode(b"pad   \r\nnext\t\n").0, b"pad\r\nnext\n");
        assert_eq!(decode(b"lower=e9").0, b"lower\xe9");
        assert_eq!(decode(b"kept=20\r\nx \t=20 \n").0, b"kept \r\nx \t \n");
        let (out, r) = decode(b"a=ZZb=");
        assert_eq!(out, b"a=ZZb");
        assert_eq!(r.bad_escapes, 1);
        assert_eq!(r.first_bad, Some(1));
        let mut out = Vec::new();
        decode_q_into(b"a_b=5F", &mut out);
        assert_eq!(out, b"a b_");
    }
}
