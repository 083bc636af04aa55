//! Modified UTF-7, the mailbox name encoding of RFC 3501 section 5.1.3 (IMAP4rev1 without
//! UTF8=ACCEPT): printable ASCII stands for itself (`&` as `&-`), anything else is UTF-16
//! in a base64 variant (`,` for `/`, no padding) between `&` and `-`.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

fn is_direct(c: char) -> bool {
    matches!(c, ' '..='~')
}

fn sextet(b: u8) -> Option<u32> {
    Some(u32::from(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b',' => 63,
        _ => return None,
    }))
}

fn push_sextet(out: &mut String, value: u32) {
    let i = usize::try_from(value & 63).unwrap_or(0);
    out.push(char::from(ALPHABET.get(i).copied().unwrap_or(b'A')));
}

/// Encodes a Unicode mailbox name in modified UTF-7.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut units: Vec<u16> = Vec::new();
    for c in name.chars() {
        if is_direct(c) {
            flush(&mut out, &mut units);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            units.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut out, &mut units);
    out
}

/// Writes a run of UTF-16 units as `&...-`.
fn flush(out: &mut String, units: &mut Vec<u16>) {
    if units.is_empty() {
        return;
    }
    out.push('&');
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &u in units.iter() {
        acc = (acc << 16) | u32::from(u);
        bits += 16;
        while bits >= 6 {
            bits -= 6;
            push_sextet(out, acc >> bits);
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        push_sextet(out, acc << (6 - bits));
    }
    out.push('-');
    units.clear();
}

/// Decodes a modified UTF-7 name. `None` unless the input is the one canonical encoding of
/// its name (no needless shifts, no encoded printable ASCII, no unpaired surrogates, zero pad
/// bits), so that decoding and encoding again always give back the same octets.
pub fn decode(wire: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(wire.len());
    let mut i = 0;
    while let Some(&b) = wire.get(i) {
        match b {
            b'&' => {
                let rest = wire.get(i + 1..)?;
                let end = memchr::memchr(b'-', rest)?;
                let run = rest.get(..end)?;
                if run.is_empty() {
                    out.push('&');
                } else {
                    decode_run(run, &mut out)?;
                }
                i += end + 2;
            }
            0x20..=0x7e => {
                out.push(char::from(b));
                i += 1;
            }
            _ => return None,
        }
    }
    (encode(&out).as_bytes() == wire).then_some(out)
}

fn decode_run(run: &[u8], out: &mut String) -> Option<()> {
    let mut units = Vec::with_capacity(run.len() * 6 / 16);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in run {
        acc = (acc << 6) | sextet(b)?;
        bits += 6;
        if bits >= 16 {
            bits -= 16;
            units.push(u16::try_from((acc >> bits) & 0xffff).ok()?);
            acc &= (1 << bits) - 1;
        }
    }
    if bits >= 6 || acc != 0 {
        return None;
    }
    for c in char::decode_utf16(units) {
        let c = c.ok()?;
        if is_direct(c) {
            return None;
        }
        out.push(c);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3501_example() {
        // RFC 3501 section 5.1.3: "~peter/mail/台北/日本語".
        let name = "~peter/mail/\u{53f0}\u{5317}/\u{65e5}\u{672c}\u{8a9e}";
        let wire = "~peter/mail/&U,BTFw-/&ZeVnLIqe-";
        assert_eq!(encode(name), wire);
        assert_eq!(decode(wire.as_bytes()).as_deref(), Some(name));
    }

    #[test]
    fn ampersand_and_astral_planes() {
        assert_eq!(encode("a&b"), "a&-b");
        assert_eq!(decode(b"a&-b").as_deref(), Some("a&b"));
        let astral = "\u{1F600}";
        let wire = encode(astral);
        assert_eq!(wire, "&2D3eAA-");
        assert_eq!(decode(wire.as_bytes()).as_deref(), Some(astral));
    }

    #[test]
    fn refuses_non_canonical_and_broken_forms() {
        // Encoded printable ASCII ("A" as U+0041).
        assert_eq!(decode(b"&AEE-"), None);
        // Two adjacent runs that should be one.
        assert_eq!(decode(b"&U,A-&U,A-"), None);
        // Unterminated, bad alphabet ("/" is plain base64's), non-zero pad bits.
        assert_eq!(decode(b"&U,BTFw"), None);
        assert_eq!(decode(b"&U/BTFw-"), None);
        assert_eq!(decode(b"&U,BTFx-"), None);
        // A lone high surrogate, 8-bit octets.
        assert_eq!(decode(b"&2D0-"), None);
        assert_eq!(decode("台北".as_bytes()), None);
    }
}
