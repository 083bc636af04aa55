//! MIME parameters (RFC 2045 section 5.1) with RFC 2231 continuations and charsets.

use super::EncodeError;

/// The longest parameter segment written on one line (with its `; ` it still fits in 78).
const SEGMENT: usize = 74;

/// RFC 2045 `tspecials`.
fn tspecial(b: u8) -> bool {
    b"()<>@,;:\\\"/[]?=".contains(&b)
}

/// RFC 2045 `token` characters.
fn token_char(b: u8) -> bool {
    (33..=126).contains(&b) && !tspecial(b)
}

/// RFC 2231 section 7 `attribute-char`: token characters except `*`, `'` and `%`.
fn attribute_char(b: u8) -> bool {
    token_char(b) && !matches!(b, b'*' | b'\'' | b'%')
}

fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}

/// Writes a MIME parameter as one or more `name=value` segments, to be joined with `;`.
///
/// - A value of token characters is written as it is; other printable ASCII is quoted.
/// - A value with non-ASCII or control characters, or `=?` (which readers could take for an
///   RFC 2047 word), uses RFC 2231 section 4:
///   `name*=utf-8''percent%20encoded`.
/// - A value too long for one line is split into RFC 2231 section 3 continuations
///   (`name*0=`, `name*1=`, ...; `name*0*=` when encoded), never inside a `%XX` escape or a
///   UTF-8 character.
///
/// The name must be a token without `*`, `'` or `%`. CR and LF in the value are refused.
///
/// ```
/// use rfc5322::encode::parameter;
/// assert_eq!(parameter("charset", "utf-8").unwrap(), ["charset=utf-8"]);
/// assert_eq!(parameter("filename", "my file.txt").unwrap(), ["filename=\"my file.txt\""]);
/// assert_eq!(parameter("filename", "résumé.pdf").unwrap(), ["filename*=utf-8''r%C3%A9sum%C3%A9.pdf"]);
/// let long = parameter("filename", &"x".repeat(200)).unwrap();
/// assert!(long.len() > 2 && long[0].starts_with("filename*0=\""));
/// ```
pub fn parameter(name: &str, value: &str) -> Result<Vec<String>, EncodeError> {
    if name.is_empty() || !name.bytes().all(attribute_char) {
        return Err(EncodeError::ParameterName(name.to_owned()));
    }
    super::check_no_line_break("parameter value", value)?;
    // A value holding `=?` is written in the extended form too: many readers decode RFC 2047
    // words inside quoted parameter values (file names), which would change it.
    let printable = value.bytes().all(|b| (32..=126).contains(&b)) && !value.contains("=?");
    if printable {
        let single = if !value.is_empty() && value.bytes().all(token_char) {
            format!("{name}={value}")
        } else {
            format!("{name}={}", quote(value))
        };
        if single.len() <= SEGMENT {
            return Ok(vec![single]);
        }
        // Plain continuations, each a quoted string.
        let mut out = Vec::new();
        let mut piece = String::new();
        let mut quoted_len = 0;
        for c in value.chars() {
            let extra = if c == '"' || c == '\\' { 2 } else { 1 };
            let head = format!("{name}*{}=", out.len()).len() + 2;
            if head + quoted_len + extra > SEGMENT && !piece.is_empty() {
                out.push(format!("{name}*{}={}", out.len(), quote(&piece)));
                piece.clear();
                quoted_len = 0;
            }
            piece.push(c);
            quoted_len += extra;
        }
        out.push(format!("{name}*{}={}", out.len(), quote(&piece)));
        return Ok(out);
    }
    // Extended values: charset'language'percent-encoded.
    let mut enc_chars: Vec<String> = Vec::new();
    for c in value.chars() {
        let mut buf = [0u8; 4];
        let mut e = String::new();
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            if attribute_char(b) {
                e.push(char::from(b));
            } else {
                e.push_str(&format!("%{b:02X}"));
            }
        }
        enc_chars.push(e);
    }
    let total: usize = enc_chars.iter().map(String::len).sum();
    let single = format!("{name}*=utf-8''");
    if single.len() + total <= SEGMENT {
        return Ok(vec![single + &enc_chars.concat()]);
    }
    let mut out = Vec::new();
    let mut piece = String::new();
    for e in enc_chars {
        let head = if out.is_empty() {
            format!("{name}*0*=utf-8''").len()
        } else {
            format!("{name}*{}*=", out.len()).len()
        };
        if head + piece.len() + e.len() > SEGMENT && !piece.is_empty() {
            out.push(segment(name, out.len(), &piece));
            piece.clear();
        }
        piece.push_str(&e);
    }
    out.push(segment(name, out.len(), &piece));
    Ok(out)
}

fn segment(name: &str, n: usize, piece: &str) -> String {
    if n == 0 {
        format!("{name}*0*=utf-8''{piece}")
    } else {
        format!("{name}*{n}*={piece}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(parameter("", "x").is_err());
        assert!(parameter("a*", "x").is_err());
        assert!(parameter("a b", "x").is_err());
        assert!(parameter("name", "a\nb").is_err());
    }

    #[test]
    fn long_extended_values_continue() {
        let v = "ü".repeat(60);
        let segs = parameter("filename", &v).unwrap();
        assert!(segs.len() > 1);
        assert!(segs[0].starts_with("filename*0*=utf-8''%C3%BC"));
        assert!(segs[1].starts_with("filename*1*=%C3%BC"));
        assert!(segs.iter().all(|s| s.len() <= SEGMENT));
    }

    #[test]
    fn empty_value_is_quoted() {
        assert_eq!(parameter("x", "").unwrap(), ["x=\"\""]);
    }
}
