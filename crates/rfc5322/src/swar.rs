//! Byte tests eight at a time in a `u64` (SIMD within a register), for the short spans of
//! header parsing where setting up `memchr` costs more than the search: branch-free over
//! each word, one branch per word.

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
/// The high bit of every byte.
pub(crate) const HIGH: u64 = !LOW7;

/// `b` in every byte.
pub(crate) const fn splat(b: u8) -> u64 {
    ONES * b as u64
}

/// The high bit of each byte of `x` that is zero (exact: no carry crosses bytes).
pub(crate) fn zero_bytes(x: u64) -> u64 {
    !(((x & LOW7).wrapping_add(LOW7)) | x) & HIGH
}

/// The high bit of each byte of `x` that is below `n` (exact; `n` at most 128, bytes past
/// ASCII never count as below).
pub(crate) fn bytes_below(x: u64, n: u8) -> u64 {
    !((x & LOW7).wrapping_add(splat(128 - n)) | x) & HIGH
}

/// The eight-byte words of `s` (little-endian) and the bytes left over.
pub(crate) fn words(s: &[u8]) -> (impl Iterator<Item = u64> + '_, &[u8]) {
    let chunks = s.chunks_exact(8);
    let rest = chunks.remainder();
    let words = chunks.map(|c| u64::from_le_bytes(<[u8; 8]>::try_from(c).unwrap_or([0; 8])));
    (words, rest)
}

/// The index of the lowest byte flagged (high bit set) in a mask.
pub(crate) fn first(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

#[cfg(test)]
mod tests {
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
}
