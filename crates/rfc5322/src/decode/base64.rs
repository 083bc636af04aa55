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
///
/// The output is sized once for the largest possible result and written through a cursor;
/// whole lines of complete quanta are decoded in one loop and checked once per line,
/// anything else (padding, white space inside a line, bad characters) goes through the
/// byte-at-a-time state machine.
pub fn decode_into(input: &[u8], out: &mut Vec<u8>) -> Base64Report {
    let mut report = Base64Report::default();
    let base = out.len();
    out.resize(base + input.len() / 4 * 3 + 3, 0);
    let mut w = base;
    let mut i = 0usize;
    let mut acc: u32 = 0;
    let mut n = 0u32; // sextets in acc
    let mut padded = false;
    while i < input.len() {
        if n == 0 && !padded {
            let rest = input.get(i..).unwrap_or(&[]);
            let nl = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
            let mut line = rest.get(..nl).unwrap_or(&[]);
            if let Some(l) = line.strip_suffix(b"\r") {
                line = l;
            }
            if !line.is_empty() && line.len() % 4 == 0 && fast_line(line, out, &mut w) {
                i += nl + 1;
                continue;
            }
        }
        let c = input.get(i).copied().unwrap_or(b'=');
        let v = lut(c);
        i += 1;
        match v {
            SPACE => {}
            PAD => padded = true,
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
                    flush(acc, n, out, &mut w);
                    acc = 0;
                    n = 0;
                }
                acc = (acc << 6) | u32::from(v);
                n += 1;
                if n == 4 {
                    let [_, b1, b2, b3] = acc.to_be_bytes();
                    put(out, &mut w, &[b1, b2, b3]);
                    acc = 0;
                    n = 0;
                }
            }
        }
    }
    if n == 1 || (n > 1 && !padded) {
        report.bad_padding = true;
    }
    flush(acc, n, out, &mut w);
    out.truncate(w);
    report
}

/// Writes at the cursor (the output was sized for the largest result; pushes otherwise).
#[inline(always)]
fn put(out: &mut Vec<u8>, w: &mut usize, b: &[u8]) {
    match out.get_mut(*w..*w + b.len()) {
        Some(d) => d.copy_from_slice(b),
        None => {
            out.truncate(*w);
            out.extend_from_slice(b);
        }
    }
    *w += b.len();
}

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

/// Decodes a line of complete quanta at the cursor; false (cursor unchanged) when it holds
/// anything but alphabet characters.
#[inline]
fn fast_line(line: &[u8], out: &mut [u8], w: &mut usize) -> bool {
    let (quads, _) = line.as_chunks::<4>();
    let Some(dst) = out.get_mut(*w..*w + quads.len() * 3) else {
        return false;
    };
    let (outs, _) = dst.as_chunks_mut::<3>();
    let mut bad = 0u32;
    for (&[a, b, c, e], o) in quads.iter().zip(outs.iter_mut()) {
        let v = sh(&S0, a) | sh(&S1, b) | sh(&S2, c) | sh(&S3, e);
        bad |= v;
        *o = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
    }
    if bad >> 24 != 0 {
        return false;
    }
    *w += quads.len() * 3;
    true
}

fn flush(acc: u32, n: u32, out: &mut Vec<u8>, w: &mut usize) {
    match n {
        2 => put(out, w, &[((acc >> 4) & 0xFF) as u8]),
        3 => {
            let v = acc >> 2;
            put(out, w, &[((v >> 8) & 0xFF) as u8, (v & 0xFF) as u8]);
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
