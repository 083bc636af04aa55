//! Body encoders (RFC 2045 sections 6.7 and 6.8) and the transfer-encoding chooser.

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn b64_char(n: u32) -> char {
    B64.get((n & 63) as usize).map_or('A', |&b| char::from(b))
}

/// Upper-case hexadecimal digit of the low four bits of `n`.
fn hex_digit(n: u8) -> char {
    char::from_digit(u32::from(n & 15), 16).map_or('0', |c| c.to_ascii_uppercase())
}

/// Appends `=XX` (RFC 2045 section 6.7 rule 1, RFC 2047 section 4.2).
pub(crate) fn push_hex(b: u8, out: &mut String) {
    out.push('=');
    out.push(hex_digit(b >> 4));
    out.push(hex_digit(b));
}

/// Base64 of `data` without line breaks, padded (RFC 4648 section 4).
pub(crate) fn base64_raw(data: &[u8], out: &mut String) {
    let mut chunks = data.chunks_exact(3);
    for c in &mut chunks {
        if let [a, b, d] = *c {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8) | u32::from(d);
            out.push(b64_char(n >> 18));
            out.push(b64_char(n >> 12));
            out.push(b64_char(n >> 6));
            out.push(b64_char(n));
        }
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.push(b64_char(n >> 18));
            out.push(b64_char(n >> 12));
            out.push_str("==");
        }
        [a, b] => {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8);
            out.push(b64_char(n >> 18));
            out.push(b64_char(n >> 12));
            out.push(b64_char(n >> 6));
            out.push('=');
        }
        _ => {}
    }
}

/// Base64 body encoding (RFC 2045 section 6.8): lines of 76 characters, each ended by CRLF
/// (the last one too, unless `data` is empty).
///
/// ```
/// assert_eq!(rfc5322::encode::base64(b"hello"), b"aGVsbG8=\r\n");
/// let long = rfc5322::encode::base64(&[0u8; 100]);
/// assert_eq!(long.split(|&b| b == b'\n').next().unwrap().len(), 77); // 76 + CR
/// ```
pub fn base64(data: &[u8]) -> Vec<u8> {
    // 57 input bytes make one 76-character line.
    let lines = data.len().div_ceil(57);
    let mut out = String::with_capacity(lines * 78);
    for line in data.chunks(57) {
        base64_raw(line, &mut out);
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// Quoted-printable body encoding of text (RFC 2045 section 6.7).
///
/// Line breaks of the input (CRLF, or a bare LF) become CRLF; a bare CR is encoded. Bytes other
/// than printable ASCII, and `=`, are written `=XX`; a space or tab that ends a line is encoded
/// (rule 3); lines are broken with soft line breaks (`=` CRLF) so that none passes 76
/// characters (rule 5); an escape is never split. A line starting with `From ` gets its `F`
/// encoded so that no mbox writer needs to alter it (RFC 2049 section 3, item 8).
///
/// ```
/// let qp = rfc5322::encode::quoted_printable("café = 1 \nFrom here".as_bytes());
/// assert_eq!(qp, b"caf=C3=A9 =3D 1=20\r\n=46rom here");
/// ```
pub fn quoted_printable(data: &[u8]) -> Vec<u8> {
    let mut out = String::with_capacity(data.len() + data.len() / 8);
    // The lines between line feeds (one more than there are line feeds): each but the last
    // ended in a line break (CRLF or a bare LF), written as CRLF. A CR with no LF after it is
    // data, also at the very end.
    let mut lines = data.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let had_break = lines.peek().is_some();
        let line = match line.strip_suffix(b"\r") {
            Some(content) if had_break => content,
            _ => line,
        };
        qp_line(line, &mut out);
        if had_break {
            out.push_str("\r\n");
        }
    }
    out.into_bytes()
}

/// Encodes one line (without its line break).
fn qp_line(line: &[u8], out: &mut String) {
    let mut col = 0usize;
    let n = line.len();
    for (i, &b) in line.iter().enumerate() {
        let last = i + 1 == n;
        let literal = match b {
            b'\t' | b' ' => !last,
            b'=' => false,
            b'F' if i == 0 && line.starts_with(b"From ") => false,
            33..=126 => true,
            _ => false,
        };
        let width = if literal { 1 } else { 3 };
        // Room on this output line: 76, less one for a soft break unless this is the end.
        let room = if last { 76 } else { 75 };
        if col + width > room {
            out.push_str("=\r\n");
            col = 0;
        }
        if literal {
            out.push(char::from(b));
        } else {
            push_hex(b, out);
        }
        col += width;
    }
}

pub use crate::field::misc::TransferEncoding;

/// Encodes `data` for a transfer encoding: quoted-printable and base64 as above; for the
/// identity encodings (`7bit`, `8bit`, `binary`, and unknown ones) text (`is_text`) has its
/// line breaks made CRLF and other content is copied as it is.
///
/// ```
/// use rfc5322::encode::{encode_body, TransferEncoding};
/// assert_eq!(encode_body(&TransferEncoding::SevenBit, b"a\nb", true), b"a\r\nb");
/// assert_eq!(encode_body(&TransferEncoding::Base64, b"a\nb", true), b"YQpi\r\n");
/// ```
pub fn encode_body(te: &TransferEncoding, data: &[u8], is_text: bool) -> Vec<u8> {
    match te {
        TransferEncoding::QuotedPrintable => quoted_printable(data),
        TransferEncoding::Base64 => base64(data),
        _ if is_text => crlf(data),
        _ => data.to_vec(),
    }
}

/// `data` with every bare LF made CRLF (a CR already before an LF is kept, a bare CR too).
pub(crate) fn crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 32);
    let mut prev = 0u8;
    for &b in data {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

/// What [`choose_transfer_encoding`] found in a body.
#[derive(Debug, Clone, Copy, Default)]
struct Stats {
    eight_bit: usize,
    nul: bool,
    bare_cr: bool,
    bare_lf: bool,
    longest_line: usize,
    qp_len: usize,
}

fn stats(data: &[u8]) -> Stats {
    let mut s = Stats::default();
    let mut line = 0usize;
    let mut iter = data.iter().peekable();
    let mut prev = 0u8;
    while let Some(&b) = iter.next() {
        match b {
            b'\r' if iter.peek() == Some(&&b'\n') => {}
            b'\r' => {
                s.bare_cr = true;
                line += 1;
                s.qp_len += 3;
            }
            b'\n' => {
                if prev != b'\r' {
                    s.bare_lf = true;
                }
                s.longest_line = s.longest_line.max(line);
                s.qp_len += 2 + line / 75 * 3;
                line = 0;
            }
            _ => {
                line += 1;
                if b == 0 {
                    s.nul = true;
                }
                if b >= 0x80 {
                    s.eight_bit += 1;
                }
                s.qp_len += if (33..=126).contains(&b) && b != b'=' || b == b' ' || b == b'\t' {
                    1
                } else {
                    3
                };
            }
        }
        prev = b;
    }
    s.longest_line = s.longest_line.max(line);
    s.qp_len += line / 75 * 3;
    s
}

/// Picks the Content-Transfer-Encoding for a body (RFC 2045 section 6, RFC 2049 section 3).
///
/// Text (`is_text`; its line breaks are written as CRLF) is sent `7bit` when it is US-ASCII
/// without NUL or bare CR and no line passes 998 octets; otherwise quoted-printable when that is
/// no longer than base64 (text that is mostly ASCII), base64 when not or when it holds NUL.
/// Other content is `7bit` only when it is such ASCII with CRLF line ends only (so that
/// nothing in transit can change it), base64 otherwise.
///
/// ```
/// use rfc5322::encode::{choose_transfer_encoding, TransferEncoding};
/// assert_eq!(choose_transfer_encoding(b"hello\n", true), TransferEncoding::SevenBit);
/// assert_eq!(choose_transfer_encoding("Le café est fermé aujourd'hui.\n".as_bytes(), true), TransferEncoding::QuotedPrintable);
/// assert_eq!(choose_transfer_encoding("日本語のテキスト".as_bytes(), true), TransferEncoding::Base64);
/// assert_eq!(choose_transfer_encoding(b"GIF89a\0\x01", false), TransferEncoding::Base64);
/// ```
pub fn choose_transfer_encoding(data: &[u8], is_text: bool) -> TransferEncoding {
    let s = stats(data);
    let plain = s.eight_bit == 0 && !s.nul && !s.bare_cr && s.longest_line <= super::MAX_LINE;
    if is_text {
        if plain {
            return TransferEncoding::SevenBit;
        }
        let b64_len = data.len().div_ceil(3) * 4 + data.len().div_ceil(57) * 2;
        if !s.nul && s.qp_len <= b64_len {
            TransferEncoding::QuotedPrintable
        } else {
            TransferEncoding::Base64
        }
    } else if plain && !s.bare_lf {
        TransferEncoding::SevenBit
    } else {
        TransferEncoding::Base64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_vectors() {
        // RFC 4648 section 10.
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            let mut s = String::new();
            base64_raw(i.as_bytes(), &mut s);
            assert_eq!(s, o);
        }
    }

    #[test]
    fn qp_soft_breaks_keep_lines_short() {
        let text = "é".repeat(100) + "\n" + &"a".repeat(200) + " \n";
        let qp = String::from_utf8(quoted_printable(text.as_bytes())).unwrap();
        for l in qp.split("\r\n") {
            assert!(l.len() <= 76, "{l}");
        }
        assert!(qp.ends_with("a=20\r\n"));
        assert!(!qp.contains("=\r\nC3") || qp.contains("=C3"));
    }

    /// Line breaks at the edges: CRLF and a bare LF end a line, a CR without LF after it is
    /// data wherever it is (the last line included).
    #[test]
    fn qp_line_break_edges() {
        let qp = |d: &[u8]| String::from_utf8(quoted_printable(d)).unwrap();
        assert_eq!(qp(b""), "");
        assert_eq!(qp(b"\r"), "=0D");
        assert_eq!(qp(b"a\r"), "a=0D");
        assert_eq!(qp(b"\n"), "\r\n");
        assert_eq!(qp(b"\r\n"), "\r\n");
        assert_eq!(qp(b"a\r\rb\nc\r\n\r"), "a=0D=0Db\r\nc\r\n=0D");
        assert_eq!(qp(b"a\n\nb"), "a\r\n\r\nb");
    }

    #[test]
    fn chooser() {
        assert_eq!(
            choose_transfer_encoding(&[b'a'; 999], true),
            TransferEncoding::QuotedPrintable
        );
        assert_eq!(
            choose_transfer_encoding(&[b'a'; 998], true),
            TransferEncoding::SevenBit
        );
        assert_eq!(
            choose_transfer_encoding(b"a\rb", true),
            TransferEncoding::QuotedPrintable
        );
        assert_eq!(
            choose_transfer_encoding(b"a\nb", false),
            TransferEncoding::Base64
        );
        assert_eq!(
            choose_transfer_encoding(b"a\r\nb", false),
            TransferEncoding::SevenBit
        );
        assert_eq!(
            choose_transfer_encoding(b"a\0b", true),
            TransferEncoding::Base64
        );
    }
}
