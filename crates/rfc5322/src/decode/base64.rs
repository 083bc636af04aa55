//! Base64 decoding of bodies and encoded words (RFC 2045 section 6.8) in one pass: line
//! breaks and white space are skipped inline, other characters outside the alphabet are
//! skipped and reported.

const INVALID: u8 = 0xFF;
const SPACE: u8 = 0xFE;
const PAD: u8 = 0xFD;

#[allow(clippy::indexing_slicing)] // evaluated at compile time: an error there fails the build
const fn table() -> [u8; 256] {
    let mut t = [INVALID; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t[b' ' as usize] = SPACE;
    t[b'\t' as usize] = SPACE;
    t[b'\r' as usize] = SPACE;
    t[b'\n' as usize] = SPACE;
    t[b'=' as usize] = PAD;
    t
}

static TABLE: [u8; 256] = table();

#[inline(always)]
fn lut(b: u8) -> u8 {
    TABLE.get(usize::from(b)).copied().unwrap_or(INVALID)
}

/// What went wrong while decoding (the output is still produced).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Base64Report {
    /// Characters outside the alphabet (other than white space), skipped.
    pub bad_chars: usize,
    /// Offset of the first such character.
    pub first_bad: Option<usize>,
    /// The data did not end on a four-character boundary or had data after padding.
    pub bad_padding: bool,
}

/// Decodes base64, appending to `out`.
pub fn decode_into(input: &[u8], out: &mut Vec<u8>) -> Base64Report {
    let mut report = Base64Report::default();
    out.reserve(input.len() / 4 * 3 + 3);
    let mut i = 0usize;
    let mut acc: u32 = 0;
    let mut n = 0u32; // sextets in acc
    let mut padded = false;
    while i < input.len() {
        // Fast path: a whole line of complete quanta, validated once at its end.
        if n == 0 && !padded {
            let rest = input.get(i..).unwrap_or(&[]);
            let nl = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
            let mut line = rest.get(..nl).unwrap_or(&[]);
            if let Some(l) = line.strip_suffix(b"\r") {
                line = l;
            }
            if !line.is_empty() && line.len() % 4 == 0 && fast_line(line, out) {
                i += nl + 1;
                continue;
            }
        }
        // Fast path: eight alphabet characters at once while aligned on a quantum.
        if n == 0
            && !padded
            && let Some(chunk) = input
                .get(i..i + 8)
                .and_then(|c| <&[u8; 8]>::try_from(c).ok())
        {
            let [c0, c1, c2, c3, c4, c5, c6, c7] = *chunk;
            let v: [u8; 8] = [
                lut(c0),
                lut(c1),
                lut(c2),
                lut(c3),
                lut(c4),
                lut(c5),
                lut(c6),
                lut(c7),
            ];
            if v.iter().fold(0u8, |a, &b| a | b) < 64 {
                let w = v.iter().fold(0u64, |w, &x| (w << 6) | u64::from(x));
                let [_, _, b2, b3, b4, b5, b6, b7] = w.to_be_bytes();
                out.extend_from_slice(&[b2, b3, b4, b5, b6, b7]);
                i += 8;
                continue;
            }
        }
        let c = input.get(i).copied().unwrap_or(b'=');
        let v = lut(c);
        i += 1;
        match v {
            SPACE => {}
            PAD => {
                padded = true;
            }
            INVALID => {
                report.bad_chars += 1;
                if report.first_bad.is_none() {
                    report.first_bad = Some(i - 1);
                }
            }
            _ => {
                if padded {
                    // Data after padding: a concatenation of encodings. Flush and go on.
                    report.bad_padding = true;
                    padded = false;
                    flush(acc, n, out);
                    acc = 0;
                    n = 0;
                }
                acc = (acc << 6) | u32::from(v);
                n += 1;
                if n == 4 {
                    let [_, b1, b2, b3] = acc.to_be_bytes();
                    out.extend_from_slice(&[b1, b2, b3]);
                    acc = 0;
                    n = 0;
                }
            }
        }
    }
    if n == 1 || (n > 1 && !padded) {
        report.bad_padding = true;
    }
    flush(acc, n, out);
    report
}

/// Decodes a line of complete quanta; false (and nothing written) when it holds anything
/// but alphabet characters.
/// The sextet of a character already shifted to its place in a quantum; characters outside
/// the alphabet carry bit 24 (seen once per line instead of once per character).
#[allow(clippy::indexing_slicing)] // evaluated at compile time
const fn shifted(shift: u32) -> [u32; 256] {
    let t = table();
    let mut out = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        out[i] = if t[i] < 64 {
            (t[i] as u32) << shift
        } else {
            1 << 24
        };
        i += 1;
    }
    out
}

static S0: [u32; 256] = shifted(18);
static S1: [u32; 256] = shifted(12);
static S2: [u32; 256] = shifted(6);
static S3: [u32; 256] = shifted(0);

#[inline(always)]
fn sh(t: &[u32; 256], b: u8) -> u32 {
    t.get(usize::from(b)).copied().unwrap_or(1 << 24)
}

/// Decodes a line of complete quanta; false (and nothing written) when it holds anything
/// but alphabet characters. Each piece of up to 32 quanta goes through a stack buffer, so
/// the output vector is touched once per piece.
#[inline]
fn fast_line(line: &[u8], out: &mut Vec<u8>) -> bool {
    let start = out.len();
    let mut buf = [0u8; 96];
    for piece in line.chunks(128) {
        let mut bad = 0u32;
        let (quads, _) = piece.as_chunks::<4>();
        let (outs, _) = buf.as_chunks_mut::<3>();
        let n = quads.len() * 3;
        for (&[a, b, c, e], o) in quads.iter().zip(outs.iter_mut()) {
            let w = sh(&S0, a) | sh(&S1, b) | sh(&S2, c) | sh(&S3, e);
            bad |= w;
            *o = [(w >> 16) as u8, (w >> 8) as u8, w as u8];
        }
        if bad >> 24 != 0 {
            out.truncate(start);
            return false;
        }
        out.extend_from_slice(buf.get(..n).unwrap_or(&[]));
    }
    true
}

fn flush(acc: u32, n: u32, out: &mut Vec<u8>) {
    match n {
        2 => out.push(((acc >> 4) & 0xFF) as u8),
        3 => {
            let v = acc >> 2;
            out.extend_from_slice(&[((v >> 8) & 0xFF) as u8, (v & 0xFF) as u8]);
        }
        _ => {}
    }
}

/// Decodes base64 into a new vector.
pub fn decode(input: &[u8]) -> (Vec<u8>, Base64Report) {
    let mut out = Vec::new();
    let r = decode_into(input, &mut out);
    (out, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        // RFC 4648 section 10.
        for (e, d) in [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("Zm9vYmE=", "fooba"),
            ("Zm9vYmFy", "foobar"),
        ] {
            let (out, r) = decode(e.as_bytes());
            assert_eq!(out, d.as_bytes(), "{e}");
            assert_eq!(r, Base64Report::default(), "{e}");
        }
    }

    #[test]
    fn line_breaks_and_bad_chars() {
        let (out, r) = decode(b"Zm9v\r\nYmFy\r\nYmF6\n");
        assert_eq!(out, b"foobarbaz");
        assert_eq!(r.bad_chars, 0);
        let (out, r) = decode(b"Zm9v*YmFy");
        assert_eq!(out, b"foobar");
        assert_eq!(r.bad_chars, 1);
        assert_eq!(r.first_bad, Some(4));
        let (out, r) = decode(b"Zm9vY");
        assert_eq!(out, b"foo");
        assert!(r.bad_padding);
        let (out, r) = decode(b"Zg==Zg==");
        assert_eq!(out, b"ff");
        assert!(r.bad_padding);
    }
}
