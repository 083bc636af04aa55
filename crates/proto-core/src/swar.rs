//! Byte tests eight at a time in a `u64` (SIMD within a register), for the short spans of
//! protocol lines and header fields, where setting up `memchr` costs more than the search:
//! branch-free over each word, one branch per word. Shared by the codecs of the workspace.

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
/// The high bit of every byte.
pub const HIGH: u64 = !LOW7;

/// `b` in every byte.
#[inline(always)]
pub const fn splat(b: u8) -> u64 {
    ONES * b as u64
}

/// The high bit of each byte of `x` that is zero (exact: no carry crosses bytes).
#[inline(always)]
pub fn zero_bytes(x: u64) -> u64 {
    !(((x & LOW7).wrapping_add(LOW7)) | x) & HIGH
}

/// The high bit of each byte of `x` that is below `n` (exact; `n` at most 128, bytes past
/// ASCII never count as below).
#[inline(always)]
pub fn bytes_below(x: u64, n: u8) -> u64 {
    !((x & LOW7).wrapping_add(splat(128u8.saturating_sub(n))) | x) & HIGH
}

/// The eight-byte words of `s` (little-endian) and the bytes left over.
#[inline(always)]
pub fn words(s: &[u8]) -> (impl Iterator<Item = u64> + '_, &[u8]) {
    let chunks = s.chunks_exact(8);
    let rest = chunks.remainder();
    let words = chunks.map(|c| u64::from_le_bytes(<[u8; 8]>::try_from(c).unwrap_or([0; 8])));
    (words, rest)
}

/// The eight octets of `s` from `at` (little-endian), zero past its end: one load where eight
/// octets are left, else the last eight shifted down, so a short tail costs no octet loop.
#[inline(always)]
pub fn word_at(s: &[u8], at: usize) -> u64 {
    if let Some(word) = s.get(at..).and_then(|r| r.first_chunk::<8>()) {
        return u64::from_le_bytes(*word);
    }
    let len = s.len();
    if at >= len {
        return 0;
    }
    match s.last_chunk::<8>() {
        // 1 to 7 octets past `at`: the last word holds them at its top.
        Some(last) => u64::from_le_bytes(*last) >> (8 * (at + 8 - len)),
        None => s
            .iter()
            .skip(at)
            .enumerate()
            .fold(0, |w, (i, &b)| w | u64::from(b) << (8 * i)),
    }
}

/// The index of the lowest byte flagged (high bit set) in a mask.
#[inline(always)]
pub fn first(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// The first `needle` in `haystack`. Protocol lines are short, and memchr's setup costs more
/// than scanning a few words: the first 128 octets are looked at eight at a time (the last
/// partial word as one overlapping word, not octet by octet), the rest (if any) with memchr.
#[inline(always)]
pub fn find_byte(needle: u8, haystack: &[u8]) -> Option<usize> {
    const SHORT: usize = 128;
    let (head, tail) = haystack.split_at(haystack.len().min(SHORT));
    let mut chunks = head.chunks_exact(8);
    let mut at = 0;
    for chunk in chunks.by_ref() {
        if let Some(i) = find_in_word(needle, chunk) {
            return Some(at + i);
        }
        at += 8;
    }
    let remainder = chunks.remainder();
    if !remainder.is_empty() {
        // The last eight octets again: those before the remainder hold no needle, so the
        // lowest one flagged is the first.
        let start = head.len().wrapping_sub(8);
        match head.get(start..) {
            Some(last) => {
                if let Some(i) = find_in_word(needle, last) {
                    return Some(start + i);
                }
            }
            None => {
                if let Some(i) = remainder.iter().position(|&b| b == needle) {
                    return Some(i);
                }
            }
        }
    }
    if tail.is_empty() {
        return None;
    }
    memchr::memchr(needle, tail).map(|i| head.len() + i)
}

/// The first `needle` in eight octets.
#[inline(always)]
fn find_in_word(needle: u8, chunk: &[u8]) -> Option<usize> {
    let word = <[u8; 8]>::try_from(chunk).unwrap_or([0; 8]);
    let x = u64::from_le_bytes(word) ^ splat(needle);
    // The classic "has a zero byte" test: cheaper than `zero_bytes`, and exact for the
    // lowest flagged byte, the only one read.
    let found = x.wrapping_sub(ONES) & !x & HIGH;
    if found != 0 { Some(first(found)) } else { None }
}

/// `haystack` cut around its first `needle`: the octets before it and those after it, or
/// `None` when there is none. The cut is where [`find_byte`] found the needle in the same
/// slice, so its bounds hold by construction and callers need no index of their own.
#[inline(always)]
pub fn split_once_byte(needle: u8, haystack: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = find_byte(needle, haystack)?;
    let (before, from) = haystack.split_at_checked(at)?;
    Some((before, from.get(1..)?))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn masks_are_exact() {
        for b in 0..=255u8 {
            let x = u64::from_le_bytes([b, 0x01, b, 0x80, 0xFF, b, 0x00, 0x7F]);
            for (i, &v) in x.to_le_bytes().iter().enumerate() {
                let bit = |m: u64| m >> (i * 8 + 7) & 1 == 1;
                assert_eq!(bit(zero_bytes(x)), v == 0);
                assert_eq!(bit(bytes_below(x, 33)), v < 33);
                assert_eq!(bit(zero_bytes(x ^ splat(b':'))), v == b':');
            }
        }
    }

    proptest! {
        #[test]
        fn find_byte_agrees_with_a_plain_search(
            haystack in prop::collection::vec(prop_oneof![Just(b'\n'), Just(b' '), any::<u8>()], 0..200),
            needle in prop_oneof![Just(b'\n'), Just(b' '), any::<u8>()],
        ) {
            prop_assert_eq!(
                find_byte(needle, &haystack),
                haystack.iter().position(|&b| b == needle)
            );
        }
    }

    #[test]
    fn split_once_byte_cuts_around_the_first_needle() {
        assert_eq!(
            split_once_byte(b'\n', b"250 a\r\n250 b\n"),
            Some((&b"250 a\r"[..], &b"250 b\n"[..]))
        );
        assert_eq!(split_once_byte(b'\n', b"\n"), Some((&b""[..], &b""[..])));
        assert_eq!(split_once_byte(b'\n', b"no line end"), None);
        let long = [b'x'; 300];
        let mut hay = long.to_vec();
        hay.extend_from_slice(b" tail");
        assert_eq!(split_once_byte(b' ', &hay), Some((&long[..], &b"tail"[..])));
    }

    #[test]
    fn word_at_zero_past_the_end() {
        for len in 0..20usize {
            let s: Vec<u8> = (1..=len as u8).collect();
            for at in 0..len + 10 {
                let mut want = [0u8; 8];
                for (i, w) in want.iter_mut().enumerate() {
                    *w = s.get(at + i).copied().unwrap_or(0);
                }
                assert_eq!(word_at(&s, at), u64::from_le_bytes(want), "{len} {at}");
            }
        }
    }

    #[test]
    fn find_byte_at_every_offset() {
        for len in 0..100 {
            for at in 0..len {
                let mut haystack = vec![b'a'; len];
                haystack[at] = b'\n';
                // Bytes just below and above the needle must not hide it or be taken for it.
                if at > 0 {
                    haystack[at - 1] = 0x0b;
                }
                if at + 1 < len {
                    haystack[at + 1] = 0x09;
                }
                assert_eq!(find_byte(b'\n', &haystack), Some(at), "{len} {at}");
            }
            assert_eq!(find_byte(b'\n', &vec![b'a'; len]), None);
        }
    }
}
