//! A limit on line length over a stream of data, checked a block at a time.
//!
//! Message data has a longest line: 1000 octets with the CRLF in SMTP (RFC 5321 4.5.3.1.6),
//! which a server checks as data arrives and a client as it sends. The data comes in chunks that
//! split lines anywhere, and most lines are short: [`LineLimit`] carries the current line's
//! length from chunk to chunk and, while no line can be near the limit, looks at 64 octets at a
//! time only to ask whether they hold an LF. A search for every LF would cost a call per line.

/// Octets a block of the fast path covers.
const BLOCK: usize = 64;

/// Checks that no line of a stream is longer than a limit, counting its LF.
///
/// ```
/// use proto_core::LineLimit;
///
/// let mut limit = LineLimit::new(8);
/// // "hello\r\n" is 7 octets; "and more" has 8 without its line end, which arrives later.
/// assert_eq!(limit.check(b"hello\r\nand more"), None);
/// assert_eq!(limit.line_len(), 8);
/// // The CR makes that line 9 octets: too long, at offset 0 of this chunk.
/// assert_eq!(limit.check(b"\r\nok\r\n"), Some(0));
/// assert_eq!(limit.line_len(), 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineLimit {
    limit: usize,
    /// Octets of the current line so far: those after the last LF.
    line: usize,
}

impl LineLimit {
    /// A check for lines of at most `limit` octets, LF included, at the start of a line.
    pub fn new(limit: usize) -> Self {
        Self { limit, line: 0 }
    }

    /// A check that starts `line_len` octets into a line: for a caller that counted the line
    /// so far itself.
    pub fn mid_line(limit: usize, line_len: usize) -> Self {
        Self {
            limit,
            line: line_len,
        }
    }

    /// The limit, in octets including the LF.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Octets of the current line taken so far: those after the last LF.
    pub fn line_len(&self) -> usize {
        self.line
    }

    /// Starts over at the start of a line.
    pub fn reset(&mut self) {
        self.line = 0;
    }

    /// Takes `data`, the next octets of the stream, and returns the offset in it of the first
    /// octet that makes a line longer than the limit: the octet after the limit's last one,
    /// whether or not an LF has come yet. `None` when every line so far fits. Either way the
    /// whole of `data` is taken: the next call goes on after it. A line already past the limit
    /// when `data` starts is reported again, at offset 0.
    pub fn check(&mut self, data: &[u8]) -> Option<usize> {
        let found = self.first_too_long(data);
        // The exact length of the line in progress, from the last LF. It is at most the limit
        // octets back unless a line passed the limit, so this is short in the usual case.
        self.line = match memchr::memrchr(b'\n', data) {
            Some(lf) => data.len() - lf - 1,
            None => self.line.saturating_add(data.len()),
        };
        found
    }

    fn first_too_long(&self, data: &[u8]) -> Option<usize> {
        // `bound` is at least the length of the line in progress at `pos`. It is exact at the
        // start, after the exact path and after blocks without an LF that follow; after a block
        // with an LF it is an upper bound: at most 63 octets of the line come after that LF.
        let mut bound = self.line;
        let mut bound_is_exact = true;
        let mut pos = 0;
        let (blocks, tail) = data.as_chunks::<BLOCK>();
        for block in blocks {
            if bound.saturating_add(BLOCK) <= self.limit {
                // No line in this block can pass the limit.
                let lfs = block.iter().fold(0u8, |acc, &b| acc | u8::from(b == b'\n'));
                if lfs != 0 {
                    bound = BLOCK - 1;
                    bound_is_exact = false;
                } else {
                    bound += BLOCK;
                }
            } else {
                // A line may pass the limit in this block: go over it exactly.
                let Some(line) = self.line_at(data, pos, bound, bound_is_exact) else {
                    return Some(pos);
                };
                let (found, line) = exact(block, line, self.limit);
                if let Some(i) = found {
                    return Some(pos + i);
                }
                bound = line;
                bound_is_exact = true;
            }
            pos += BLOCK;
        }
        if bound.saturating_add(tail.len()) <= self.limit {
            // The tail cannot pass the limit either.
            return None;
        }
        let Some(line) = self.line_at(data, pos, bound, bound_is_exact) else {
            return Some(pos);
        };
        exact(tail, line, self.limit).0.map(|i| pos + i)
    }

    /// The exact length of the line in progress just before `data[pos]`, given the bound the
    /// caller holds. The search back stops at the last LF, which the bound puts at most about
    /// a limit away, and it happens once per line that comes near the limit.
    ///
    /// `None` only if `pos` were past the end of `data`, which the callers' walk over whole
    /// blocks rules out; they then report a long line at `pos` rather than pass over it.
    fn line_at(
        &self,
        data: &[u8],
        pos: usize,
        bound: usize,
        bound_is_exact: bool,
    ) -> Option<usize> {
        if bound_is_exact {
            return Some(bound);
        }
        let (before, _) = data.split_at_checked(pos)?;
        Some(match memchr::memrchr(b'\n', before) {
            Some(lf) => pos - lf - 1,
            None => self.line.saturating_add(pos),
        })
    }
}

/// Goes over `data` line by line from a line of `line` octets: the offset of the first octet
/// past the limit, if any, and the length of the line in progress at the end.
fn exact(data: &[u8], mut line: usize, limit: usize) -> (Option<usize>, usize) {
    let mut start = 0;
    for lf in memchr::memchr_iter(b'\n', data) {
        // The line's octets here, its LF included.
        if line.saturating_add(lf + 1 - start) > limit {
            return (Some(start + limit.saturating_sub(line)), 0);
        }
        line = 0;
        start = lf + 1;
    }
    let tail = data.len() - start;
    if line.saturating_add(tail) > limit {
        return (Some(start + limit.saturating_sub(line)), 0);
    }
    (None, line + tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing::first_long_line;

    #[test]
    fn a_line_of_exactly_the_limit_fits_and_one_more_octet_does_not() {
        for limit in [1, 2, 10, 63, 64, 65, 127, 128, 1000] {
            let mut fits = vec![b'a'; limit - 1];
            fits.push(b'\n');
            assert_eq!(LineLimit::new(limit).check(&fits), None, "limit {limit}");
            let mut long = vec![b'a'; limit];
            long.push(b'\n');
            assert_eq!(
                LineLimit::new(limit).check(&long),
                Some(limit),
                "limit {limit}"
            );
        }
    }

    #[test]
    fn a_line_without_its_lf_is_too_long_once_it_passes_the_limit() {
        let mut limit = LineLimit::new(100);
        assert_eq!(limit.check(&[b'x'; 100]), None);
        assert_eq!(limit.line_len(), 100);
        assert_eq!(limit.check(b"x"), Some(0));
        assert_eq!(limit.line_len(), 101);
    }

    #[test]
    fn the_line_in_progress_carries_over_chunks() {
        let mut limit = LineLimit::new(1000);
        let line = [b'a'; 999];
        // 999 octets in chunks of 7, then the LF: exactly 1000.
        for chunk in line.chunks(7) {
            assert_eq!(limit.check(chunk), None);
        }
        assert_eq!(limit.check(b"\n"), None);
        assert_eq!(limit.line_len(), 0);
        for chunk in line.chunks(300) {
            assert_eq!(limit.check(chunk), None);
        }
        // The 1000th octet fits; its LF, the 1001st, does not.
        assert_eq!(limit.check(b"a\n"), Some(1));
    }

    #[test]
    fn a_line_past_the_limit_is_reported_again_and_its_length_saturates() {
        let mut limit = LineLimit::mid_line(10, usize::MAX - 5);
        assert_eq!(limit.check(&[b'x'; 100]), Some(0));
        assert_eq!(limit.line_len(), usize::MAX);
        assert_eq!(limit.check(b"x\nshort\n"), Some(0));
        assert_eq!(limit.line_len(), 0);
        assert_eq!(limit.check(b"fits\n"), None);
    }

    #[test]
    fn only_the_first_long_line_is_reported_and_counting_goes_on() {
        let mut data = vec![b'a'; 200];
        data.extend_from_slice(b"\nshort\n");
        data.extend(std::iter::repeat_n(b'b', 300));
        let mut limit = LineLimit::new(100);
        assert_eq!(limit.check(&data), Some(100));
        assert_eq!(limit.line_len(), 300);
        limit.reset();
        assert_eq!(limit.line_len(), 0);
    }

    #[test]
    fn agrees_with_the_octet_by_octet_count_on_generated_lines() {
        // Lines of many lengths, so that blocks with and without LF, and lines near the limit,
        // meet each path.
        let mut data = Vec::new();
        for n in 0..400usize {
            let len = (n * 37) % 300;
            data.extend(std::iter::repeat_n(b'x', len));
            data.push(b'\n');
        }
        for limit in [1, 50, 64, 100, 200, 250, 299, 300, 301, 1000] {
            assert_eq!(
                LineLimit::new(limit).check(&data),
                first_long_line(&data, limit),
                "limit {limit}"
            );
        }
    }
}
