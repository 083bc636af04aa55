//! Line framing: CRLF-terminated lines cut from a `BytesMut` with a length limit.
//!
//! SMTP (RFC 5321 2.3.8), POP3 (RFC 1939 3) and IMAP (RFC 3501 2.2) all send lines ended by
//! CRLF. [`LineFramer`] finds them with memchr, never buffers past its limit (a line that passes
//! it is reported once and skipped up to its end, so the peer can be answered and the session
//! resynchronised), and applies a [`BareLineEnding`] policy to a lone LF or CR.
//!
//! With a literal limit set ([`LineFramer::with_literals`]) it also has a counted mode for
//! IMAP: a line that ends with `{n}`, `{n+}` or `~{n}` switches it to n octets of data, handed
//! on as `Bytes` split off the buffer (never scanned), then back to lines. The announced size
//! is checked against the limit before anything is reserved.

use bytes::{Buf, Bytes, BytesMut};

// The literal announcement grammar lives beside the framer that uses it (a module of this
// one, so that the crate root is left alone while others change it).
#[path = "literal.rs"]
pub mod literal;
pub use literal::{LiteralHead, literal_at_end};

/// What a receiver does with a line end that is not CRLF: a bare LF, or a CR not followed by LF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum BareLineEnding {
    /// Report an error for the line (or data) that holds it. The default of servers: RFC 5321
    /// 2.3.8 forbids bare CR and LF, and accepting them enables SMTP smuggling.
    #[default]
    Reject,
    /// A bare LF ends a line like CRLF; a bare CR is ordinary data. What clients use for replies
    /// and bodies from servers that get line ends wrong.
    Accept,
    /// A bare LF or a bare CR ends a line; in data both become CRLF.
    Normalize,
}

/// A line could not be framed. The framer has skipped (or will skip) the offending line and
/// goes on with the next one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineError {
    /// No line end within the limit (which counts the CRLF).
    #[error("line longer than {limit} octets ({seen} octets seen)")]
    TooLong {
        /// The limit in force, in octets including the line end.
        limit: usize,
        /// How many octets of the line had arrived when it was refused.
        seen: usize,
    },
    /// A line ended by LF alone.
    #[error("line ended by a bare LF at octet {at}")]
    BareLf {
        /// Offset of the LF in the line.
        at: usize,
    },
    /// A CR not followed by LF inside a line.
    #[error("bare CR at octet {at} of a line")]
    BareCr {
        /// Offset of the CR in the line.
        at: usize,
    },
}

/// Cuts lines from the front of a buffer.
#[derive(Debug, Clone)]
pub struct LineFramer {
    max_len: usize,
    endings: BareLineEnding,
    /// Bytes at the front of the buffer already searched without finding a line end.
    scanned: usize,
    /// Skipping the rest of a refused line, up to and including its LF.
    skipping: Option<Skip>,
    /// The largest literal accepted; `None` when the counted mode is off.
    max_literal: Option<u64>,
    /// The literal being counted.
    counted: Option<Counted>,
}

/// A literal in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counted {
    /// Octets still to come.
    remaining: u64,
    /// Drop them instead of handing them on.
    discard: bool,
}

/// What [`LineFramer::poll_frame`] cuts from the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A line without its line end. With `literal`, the line announced a literal within the
    /// limit and the framer now counts its octets (none for a literal of size 0).
    Line {
        /// The line.
        line: Bytes,
        /// The literal it announces.
        literal: Option<LiteralHead>,
    },
    /// A line announcing a literal over the limit. Nothing was reserved and the framer stays
    /// in line mode: the caller refuses the literal, or calls
    /// [`LineFramer::skip_literal`] when the peer sends it anyway (`{n+}`).
    Oversized {
        /// The line.
        line: Bytes,
        /// The announcement.
        literal: LiteralHead,
        /// The limit it passes.
        limit: u64,
    },
    /// Octets of the literal being counted, split off the buffer.
    Literal {
        /// The octets.
        data: Bytes,
        /// Octets of the literal still to come after these.
        remaining: u64,
    },
}

/// Why the rest of a line is being skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Skip {
    /// Its error was already reported.
    Reported,
    /// It passed the limit; the error is reported with its full length once it ends.
    TooLong { seen: usize },
}

/// Where the line at the front of the buffer ends.
enum Found {
    /// The line's content is `..content`; the line with its end is `..consumed`.
    Line { content: usize, consumed: usize },
    /// A refused line end; the line through `consumed` is dropped.
    Refused { error: LineError, consumed: usize },
    /// A bare CR was refused; the rest of the line up to its LF is skipped.
    RefusedThenSkip { error: LineError, consumed: usize },
    /// No line end yet; bytes `..scanned` hold none. `cr_last` when the buffer ends with a CR
    /// that may end a line by itself (the `Normalize` policy).
    Incomplete { scanned: usize, cr_last: bool },
}

impl LineFramer {
    /// A framer for lines of at most `max_len` octets, line end included.
    pub fn new(max_len: usize, endings: BareLineEnding) -> Self {
        Self {
            max_len: max_len.max(2),
            endings,
            scanned: 0,
            skipping: None,
            max_literal: None,
            counted: None,
        }
    }

    /// The same framer with the counted mode on: literals of at most `max_literal` octets.
    #[must_use]
    pub fn with_literals(mut self, max_literal: u64) -> Self {
        self.max_literal = Some(max_literal);
        self
    }

    /// The literal limit, `None` when the counted mode is off.
    pub fn max_literal(&self) -> Option<u64> {
        self.max_literal
    }

    /// Changes the literal limit (`None` turns the counted mode off) for the next
    /// announcement.
    pub fn set_max_literal(&mut self, max_literal: Option<u64>) {
        self.max_literal = max_literal;
    }

    /// Octets of the current literal still to come, `None` in line mode.
    pub fn literal_remaining(&self) -> Option<u64> {
        self.counted.map(|c| c.remaining)
    }

    /// Leaves counted mode at once: the literal announced will not come (an IMAP server
    /// refused a synchronising literal).
    pub fn cancel_literal(&mut self) {
        self.counted = None;
    }

    /// Drops the rest of the current literal as it arrives (or, in line mode, the next `size`
    /// octets: an oversized `{n+}` literal the peer sends anyway), without buffering it.
    pub fn skip_literal(&mut self, size: u64) {
        let remaining = self.counted.map_or(size, |c| c.remaining);
        self.counted = (remaining > 0).then_some(Counted {
            remaining,
            discard: true,
        });
    }

    /// The next line or literal data.
    ///
    /// In counted mode, with `whole` the literal's data comes in one piece once all of it is
    /// in `buf` (a small literal parsed with its message); without, it comes in pieces as it
    /// arrives. `None` means more input is needed.
    pub fn poll_frame(
        &mut self,
        buf: &mut BytesMut,
        whole: bool,
    ) -> Option<Result<Frame, LineError>> {
        if let Some(counted) = self.counted {
            return self.poll_literal(buf, counted, whole);
        }
        let line = match self.poll_line(buf)? {
            Ok(line) => line,
            Err(e) => return Some(Err(e)),
        };
        let Some(limit) = self.max_literal else {
            return Some(Ok(Frame::Line {
                line,
                literal: None,
            }));
        };
        Some(Ok(match literal_at_end(&line) {
            Some(head) if head.size > limit => Frame::Oversized {
                line,
                literal: head,
                limit,
            },
            Some(head) => {
                if head.size > 0 {
                    self.counted = Some(Counted {
                        remaining: head.size,
                        discard: false,
                    });
                }
                Frame::Line {
                    line,
                    literal: Some(head),
                }
            }
            None => Frame::Line {
                line,
                literal: None,
            },
        }))
    }

    fn poll_literal(
        &mut self,
        buf: &mut BytesMut,
        counted: Counted,
        whole: bool,
    ) -> Option<Result<Frame, LineError>> {
        let available = u64::try_from(buf.len()).unwrap_or(u64::MAX);
        let take = available.min(counted.remaining);
        let remaining = counted.remaining - take;
        let n = usize::try_from(take).unwrap_or(buf.len());
        if counted.discard {
            buf.advance(n);
            self.counted = (remaining > 0).then_some(Counted {
                remaining,
                discard: true,
            });
            return if remaining > 0 {
                None
            } else {
                self.poll_frame(buf, whole)
            };
        }
        if take == 0 || (whole && remaining > 0) {
            return None;
        }
        self.counted = (remaining > 0).then_some(Counted {
            remaining,
            discard: false,
        });
        Some(Ok(Frame::Literal {
            data: buf.split_to(n).freeze(),
            remaining,
        }))
    }

    /// The limit in octets, line end included.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Changes the limit, for example when an SMTP extension raises the command line length.
    pub fn set_max_len(&mut self, max_len: usize) {
        self.max_len = max_len.max(2);
    }

    /// The policy for bare line ends.
    pub fn endings(&self) -> BareLineEnding {
        self.endings
    }

    /// Forgets any partial scan: call after taking bytes from the buffer yourself (an IMAP
    /// literal, a BDAT chunk).
    pub fn reset(&mut self) {
        self.scanned = 0;
        self.skipping = None;
        self.counted = None;
    }

    /// True while the rest of a line that passed the limit is being dropped. Its
    /// [`LineError::TooLong`] comes once its line end arrives; a client that would rather fail
    /// at once can check this after [`poll_line`](Self::poll_line) returned `None`.
    pub fn is_skipping_long_line(&self) -> bool {
        matches!(self.skipping, Some(Skip::TooLong { .. }))
    }

    /// The next complete line without its line end, or an error for a refused line.
    ///
    /// `None` means more input is needed; bytes of an incomplete line stay in `buf`.
    pub fn poll_line(&mut self, buf: &mut BytesMut) -> Option<Result<Bytes, LineError>> {
        if let Some(skip) = self.skipping {
            match self.skip_line(buf, skip) {
                Some(Skip::TooLong { seen }) => {
                    return Some(Err(LineError::TooLong {
                        limit: self.max_len,
                        seen,
                    }));
                }
                Some(Skip::Reported) => {}
                None => return None,
            }
        }
        match self.find(buf) {
            Found::Line { content, consumed } => {
                self.scanned = 0;
                let line = buf.split_to(content).freeze();
                buf.advance(consumed.saturating_sub(content));
                Some(Ok(line))
            }
            Found::Refused { error, consumed } => {
                self.scanned = 0;
                buf.advance(consumed);
                Some(Err(error))
            }
            Found::RefusedThenSkip { error, consumed } => {
                self.scanned = 0;
                buf.advance(consumed);
                self.skipping = Some(Skip::Reported);
                self.skip_line(buf, Skip::Reported);
                Some(Err(error))
            }
            Found::Incomplete { scanned, cr_last } => {
                self.scanned = scanned;
                // At exactly the limit, a final CR may still end the line by itself.
                let may_fit = cr_last && buf.len() == self.max_len;
                if buf.len() >= self.max_len && !may_fit {
                    // Too long: drop it as it arrives, and report it with its length at its end,
                    // so that the error is the same however the input was split.
                    self.scanned = 0;
                    self.skipping = Some(Skip::TooLong { seen: 0 });
                    self.poll_line(buf)
                } else {
                    None
                }
            }
        }
    }

    /// The line at the front of `input`, found as [`poll_line`](Self::poll_line) finds it but
    /// without taking it: `(content_end, consumed)`, an error for a refused line end or for a
    /// line that cannot end within the limit (`seen` is then `input.len()`), or `None` while
    /// more input is needed. For the stateless codecs, so that they frame a slice exactly as
    /// the machines frame their buffers. Any partial scan of `poll_line` is not used.
    #[inline]
    pub fn find_line(&self, input: &[u8]) -> Option<Result<(usize, usize), LineError>> {
        let fresh = Self {
            scanned: 0,
            ..self.clone()
        };
        match fresh.find(input) {
            Found::Line { content, consumed } => Some(Ok((content, consumed))),
            Found::Refused { error, .. } | Found::RefusedThenSkip { error, .. } => Some(Err(error)),
            Found::Incomplete { cr_last, .. } => {
                let may_fit = cr_last && input.len() == self.max_len;
                (input.len() >= self.max_len && !may_fit).then_some(Err(LineError::TooLong {
                    limit: self.max_len,
                    seen: input.len(),
                }))
            }
        }
    }

    /// Drops bytes up to and including the next LF. Returns how the skip ended, or `None`
    /// (with the buffer emptied) while the line goes on.
    fn skip_line(&mut self, buf: &mut BytesMut, skip: Skip) -> Option<Skip> {
        match memchr::memchr(b'\n', buf) {
            Some(lf) => {
                buf.advance(lf + 1);
                self.skipping = None;
                self.scanned = 0;
                Some(match skip {
                    Skip::TooLong { seen } => Skip::TooLong {
                        seen: seen + lf + 1,
                    },
                    Skip::Reported => Skip::Reported,
                })
            }
            None => {
                let dropped = buf.len();
                buf.clear();
                self.skipping = Some(match skip {
                    Skip::TooLong { seen } => Skip::TooLong {
                        seen: seen + dropped,
                    },
                    Skip::Reported => Skip::Reported,
                });
                None
            }
        }
    }

    #[inline]
    fn find(&self, buf: &[u8]) -> Found {
        // A line end is valid only if its last octet lies within the limit.
        let window = buf.get(..self.max_len.min(buf.len())).unwrap_or(buf);
        // What is left to search: after the octets scanned before, none when they cover the
        // whole window.
        let rest = window
            .split_at_checked(self.scanned)
            .map_or(&[][..], |(_, rest)| rest);
        let start = window.len() - rest.len();
        match self.endings {
            BareLineEnding::Accept => match crate::swar::find_byte(b'\n', rest) {
                Some(i) => {
                    let lf = start + i;
                    let content = if lf > 0 && buf.get(lf - 1) == Some(&b'\r') {
                        lf - 1
                    } else {
                        lf
                    };
                    Found::Line {
                        content,
                        consumed: lf + 1,
                    }
                }
                None => Found::Incomplete {
                    scanned: window.len(),
                    cr_last: false,
                },
            },
            BareLineEnding::Reject | BareLineEnding::Normalize => {
                self.find_strict(buf, window, start, rest)
            }
        }
    }

    #[inline]
    fn find_strict(&self, buf: &[u8], window: &[u8], start: usize, rest: &[u8]) -> Found {
        let Some(i) = find_cr_or_lf(rest) else {
            return Found::Incomplete {
                scanned: window.len(),
                cr_last: false,
            };
        };
        let at = start + i;
        let normalize = self.endings == BareLineEnding::Normalize;
        if buf.get(at) == Some(&b'\n') {
            return if normalize {
                Found::Line {
                    content: at,
                    consumed: at + 1,
                }
            } else {
                Found::Refused {
                    error: LineError::BareLf { at },
                    consumed: at + 1,
                }
            };
        }
        // A CR: look at the octet after it.
        match buf.get(at + 1) {
            // CRLF within the limit (the LF must be inside the window too).
            Some(b'\n') if at + 1 < window.len() => Found::Line {
                content: at,
                consumed: at + 2,
            },
            // CRLF whose LF lies past the limit: too long, once the caller sees the length.
            Some(b'\n') => Found::Incomplete {
                scanned: at,
                cr_last: false,
            },
            Some(_) if normalize => Found::Line {
                content: at,
                consumed: at + 1,
            },
            // A bare CR at the last octet the limit allows: no line end can fit, so the line is
            // too long whatever follows (and reported as such at any split of the input).
            Some(_) if at + 1 >= window.len() => Found::Incomplete {
                scanned: at,
                cr_last: false,
            },
            Some(_) => Found::RefusedThenSkip {
                error: LineError::BareCr { at },
                consumed: at + 1,
            },
            // Unknown yet whether an LF follows: look at this CR again next time.
            None => Found::Incomplete {
                scanned: at,
                cr_last: normalize,
            },
        }
    }
}

/// The first CR or LF in `s`. Lines are short, and memchr's setup costs more than scanning a
/// few words (as in [`crate::swar::find_byte`]): the first 128 octets eight at a time, the
/// rest with memchr2.
#[inline]
fn find_cr_or_lf(s: &[u8]) -> Option<usize> {
    use crate::swar::{first, splat, words, zero_bytes};
    let (head, tail) = s.split_at(s.len().min(128));
    let (head_words, rest) = words(head);
    for (n, word) in head_words.enumerate() {
        let found = zero_bytes(word ^ splat(b'\r')) | zero_bytes(word ^ splat(b'\n'));
        if found != 0 {
            return Some(n * 8 + first(found));
        }
    }
    let rest_at = head.len() - rest.len();
    match rest.iter().position(|&b| b == b'\r' || b == b'\n') {
        Some(i) => Some(rest_at + i),
        None => memchr::memchr2(b'\r', b'\n', tail).map(|i| head.len() + i),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(framer: &mut LineFramer, input: &[u8]) -> Vec<Result<Vec<u8>, LineError>> {
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(line) = framer.poll_line(&mut buf) {
            out.push(line.map(|b| b.to_vec()));
        }
        out
    }

    #[test]
    fn crlf_lines_and_a_partial_one() {
        let mut framer = LineFramer::new(100, BareLineEnding::Reject);
        let mut buf = BytesMut::from(&b"one\r\n\r\ntwo\r"[..]);
        assert_eq!(
            framer.poll_line(&mut buf),
            Some(Ok(Bytes::from_static(b"one")))
        );
        assert_eq!(framer.poll_line(&mut buf), Some(Ok(Bytes::new())));
        assert_eq!(framer.poll_line(&mut buf), None);
        buf.extend_from_slice(b"\nthree");
        assert_eq!(
            framer.poll_line(&mut buf),
            Some(Ok(Bytes::from_static(b"two")))
        );
        assert_eq!(framer.poll_line(&mut buf), None);
        assert_eq!(&buf[..], b"three");
    }

    #[test]
    fn limit_is_inclusive_of_crlf() {
        // A 10-octet limit admits 8 octets of content plus CRLF, and refuses 9.
        let mut framer = LineFramer::new(10, BareLineEnding::Reject);
        assert_eq!(
            lines(&mut framer, b"12345678\r\n"),
            vec![Ok(b"12345678".to_vec())]
        );
        assert_eq!(
            lines(&mut framer, b"123456789\r\nnext\r\n"),
            vec![
                Err(LineError::TooLong {
                    limit: 10,
                    seen: 11
                }),
                Ok(b"next".to_vec())
            ]
        );
        // Accept mode: 9 octets plus a bare LF is 10 and fits.
        let mut framer = LineFramer::new(10, BareLineEnding::Accept);
        assert_eq!(
            lines(&mut framer, b"123456789\n"),
            vec![Ok(b"123456789".to_vec())]
        );
        assert_eq!(
            lines(&mut framer, b"1234567890\n"),
            vec![Err(LineError::TooLong {
                limit: 10,
                seen: 11
            })]
        );
    }

    #[test]
    fn a_long_line_is_skipped_without_buffering_it() {
        let mut framer = LineFramer::new(8, BareLineEnding::Reject);
        let mut buf = BytesMut::from(&b"0123456789"[..]);
        assert_eq!(framer.poll_line(&mut buf), None);
        assert!(buf.is_empty(), "refused bytes are dropped, not kept");
        assert!(framer.is_skipping_long_line());
        buf.extend_from_slice(b"more of the same long line");
        assert_eq!(framer.poll_line(&mut buf), None);
        assert!(buf.is_empty());
        buf.extend_from_slice(b"tail\r\nNOOP\r\n");
        // Reported once, with the whole length, when the line ends.
        assert_eq!(
            framer.poll_line(&mut buf),
            Some(Err(LineError::TooLong { limit: 8, seen: 42 }))
        );
        assert_eq!(
            framer.poll_line(&mut buf),
            Some(Ok(Bytes::from_static(b"NOOP")))
        );
        assert!(!framer.is_skipping_long_line());
    }

    #[test]
    fn crlf_straddling_the_limit_is_too_long() {
        let mut framer = LineFramer::new(5, BareLineEnding::Reject);
        assert_eq!(
            lines(&mut framer, b"abcd\r\nok\r\n"),
            vec![
                Err(LineError::TooLong { limit: 5, seen: 6 }),
                Ok(b"ok".to_vec())
            ]
        );
        // Exactly at the limit, arriving byte by byte: the CR is held, then the LF completes it.
        let mut buf = BytesMut::new();
        for &b in b"abc\r" {
            buf.extend_from_slice(&[b]);
            assert_eq!(framer.poll_line(&mut buf), None);
        }
        buf.extend_from_slice(b"\n");
        assert_eq!(
            framer.poll_line(&mut buf),
            Some(Ok(Bytes::from_static(b"abc")))
        );
    }

    #[test]
    fn bare_line_ends_by_policy() {
        let input = b"a\nb\rc\r\nd\r\n";
        let mut reject = LineFramer::new(100, BareLineEnding::Reject);
        assert_eq!(
            lines(&mut reject, input),
            vec![
                Err(LineError::BareLf { at: 1 }),
                Err(LineError::BareCr { at: 1 }),
                Ok(b"d".to_vec())
            ]
        );
        let mut accept = LineFramer::new(100, BareLineEnding::Accept);
        assert_eq!(
            lines(&mut accept, input),
            vec![Ok(b"a".to_vec()), Ok(b"b\rc".to_vec()), Ok(b"d".to_vec())]
        );
        let mut normalize = LineFramer::new(100, BareLineEnding::Normalize);
        assert_eq!(
            lines(&mut normalize, input),
            vec![
                Ok(b"a".to_vec()),
                Ok(b"b".to_vec()),
                Ok(b"c".to_vec()),
                Ok(b"d".to_vec())
            ]
        );
    }

    #[test]
    fn set_max_len_applies_to_the_next_line() {
        let mut framer = LineFramer::new(6, BareLineEnding::Reject);
        framer.set_max_len(12);
        assert_eq!(framer.max_len(), 12);
        assert_eq!(
            lines(&mut framer, b"0123456789\r\n"),
            vec![Ok(b"0123456789".to_vec())]
        );
    }

    /// Frames of `input` fed in pieces of `step` octets, literal data merged per literal.
    fn frames(framer: &mut LineFramer, input: &[u8], step: usize, whole: bool) -> Vec<Frame> {
        let mut buf = BytesMut::new();
        let mut out: Vec<Frame> = Vec::new();
        for piece in input.chunks(step.max(1)) {
            buf.extend_from_slice(piece);
            while let Some(frame) = framer.poll_frame(&mut buf, whole) {
                let frame = frame.unwrap();
                if let (
                    Some(Frame::Literal { data, remaining }),
                    Frame::Literal {
                        data: more,
                        remaining: r,
                    },
                ) = (out.last_mut(), &frame)
                    && *remaining > 0
                {
                    let mut joined = data.to_vec();
                    joined.extend_from_slice(more);
                    *data = Bytes::from(joined);
                    *remaining = *r;
                    continue;
                }
                out.push(frame);
            }
        }
        out
    }

    fn line(text: &'static [u8], literal: Option<LiteralHead>) -> Frame {
        Frame::Line {
            line: Bytes::from_static(text),
            literal,
        }
    }

    fn head(size: u64, sync: bool, binary: bool, start: usize) -> Option<LiteralHead> {
        Some(LiteralHead {
            size,
            sync,
            binary,
            start,
        })
    }

    fn data(text: &'static [u8]) -> Frame {
        Frame::Literal {
            data: Bytes::from_static(text),
            remaining: 0,
        }
    }

    #[test]
    fn counted_mode_at_the_limit_and_one_over() {
        let input = b"A1 LOGIN {10}\r\n0123456789 {11}\r\nA2 NOOP\r\n";
        let expected = vec![
            line(b"A1 LOGIN {10}", head(10, true, false, 9)),
            data(b"0123456789"),
            Frame::Oversized {
                line: Bytes::from_static(b" {11}"),
                literal: LiteralHead {
                    size: 11,
                    sync: true,
                    binary: false,
                    start: 1,
                },
                limit: 10,
            },
            line(b"A2 NOOP", None),
        ];
        for step in 1..input.len() {
            for whole in [false, true] {
                let mut framer = LineFramer::new(100, BareLineEnding::Reject).with_literals(10);
                assert_eq!(
                    frames(&mut framer, input, step, whole),
                    expected,
                    "step {step}"
                );
            }
        }
    }

    #[test]
    fn literal_data_is_never_scanned_for_line_ends() {
        let mut framer = LineFramer::new(100, BareLineEnding::Reject).with_literals(100);
        let input = b"* 1 FETCH (BODY[] ~{6+}\r\na\rb\n\0c)\r\n";
        assert_eq!(
            frames(&mut framer, input, 3, false),
            vec![
                line(b"* 1 FETCH (BODY[] ~{6+}", head(6, false, true, 18)),
                data(b"a\rb\n\0c"),
                line(b")", None),
            ]
        );
    }

    #[test]
    fn without_whole_data_comes_as_it_arrives() {
        let mut framer = LineFramer::new(100, BareLineEnding::Reject).with_literals(1 << 20);
        let mut buf = BytesMut::from(&b"x {8}\r\nabc"[..]);
        assert!(matches!(
            framer.poll_frame(&mut buf, false),
            Some(Ok(Frame::Line { .. }))
        ));
        assert_eq!(
            framer.poll_frame(&mut buf, false),
            Some(Ok(Frame::Literal {
                data: Bytes::from_static(b"abc"),
                remaining: 5
            }))
        );
        assert_eq!(framer.poll_frame(&mut buf, false), None);
        assert_eq!(framer.literal_remaining(), Some(5));
        buf.extend_from_slice(b"defgh)\r\n");
        assert_eq!(
            framer.poll_frame(&mut buf, true),
            Some(Ok(Frame::Literal {
                data: Bytes::from_static(b"defgh"),
                remaining: 0
            }))
        );
        assert_eq!(
            framer.poll_frame(&mut buf, false),
            Some(Ok(line(b")", None)))
        );
    }

    #[test]
    fn cancel_and_skip() {
        let mut framer = LineFramer::new(100, BareLineEnding::Reject).with_literals(4);
        // A refused synchronising literal: the peer sends no data, the next line follows.
        let mut buf = BytesMut::from(&b"A1 LOGIN {3}\r\nA2 NOOP\r\n"[..]);
        assert!(matches!(
            framer.poll_frame(&mut buf, true),
            Some(Ok(Frame::Line { .. }))
        ));
        framer.cancel_literal();
        assert_eq!(
            framer.poll_frame(&mut buf, true),
            Some(Ok(line(b"A2 NOOP", None)))
        );
        // An oversized non-synchronising literal sent anyway is dropped unread.
        let mut buf = BytesMut::from(&b"A3 APPEND x {9+}\r\n12345"[..]);
        assert!(matches!(
            framer.poll_frame(&mut buf, true),
            Some(Ok(Frame::Oversized { .. }))
        ));
        framer.skip_literal(9);
        assert_eq!(framer.poll_frame(&mut buf, true), None);
        assert!(buf.is_empty());
        buf.extend_from_slice(b"6789\r\nA4 NOOP\r\n");
        assert_eq!(framer.poll_frame(&mut buf, true), Some(Ok(line(b"", None))));
        assert_eq!(
            framer.poll_frame(&mut buf, true),
            Some(Ok(line(b"A4 NOOP", None)))
        );
        // A literal of size 0 leaves the framer in line mode.
        let mut buf = BytesMut::from(&b"x {0}\r\ny\r\n"[..]);
        assert_eq!(
            framer.poll_frame(&mut buf, true),
            Some(Ok(line(b"x {0}", head(0, true, false, 2))))
        );
        assert_eq!(framer.literal_remaining(), None);
        assert_eq!(
            framer.poll_frame(&mut buf, true),
            Some(Ok(line(b"y", None)))
        );
    }

    #[test]
    fn counted_mode_is_off_by_default() {
        let mut framer = LineFramer::new(100, BareLineEnding::Reject);
        let mut buf = BytesMut::from(&b"x {3}\r\nabc\r\n"[..]);
        assert_eq!(
            framer.poll_frame(&mut buf, true),
            Some(Ok(line(b"x {3}", None)))
        );
        assert_eq!(
            framer.poll_frame(&mut buf, true),
            Some(Ok(line(b"abc", None)))
        );
    }

    #[test]
    fn find_line_frames_a_slice_as_poll_line_does() {
        let reject = LineFramer::new(10, BareLineEnding::Reject);
        assert_eq!(reject.find_line(b"QUIT\r\nNOOP"), Some(Ok((4, 6))));
        assert_eq!(reject.find_line(b"QUIT\r"), None);
        assert_eq!(
            reject.find_line(b"QU\nIT"),
            Some(Err(LineError::BareLf { at: 2 }))
        );
        assert_eq!(
            reject.find_line(b"Q\rUIT\r\n"),
            Some(Err(LineError::BareCr { at: 1 }))
        );
        assert_eq!(
            reject.find_line(b"0123456789"),
            Some(Err(LineError::TooLong {
                limit: 10,
                seen: 10
            }))
        );
        let accept = LineFramer::new(10, BareLineEnding::Accept);
        assert_eq!(accept.find_line(b"+OK\nx"), Some(Ok((3, 4))));
        assert_eq!(accept.find_line(b"+OK\r\n"), Some(Ok((3, 5))));
    }

    proptest::proptest! {
        #[test]
        fn any_split_gives_the_same_frames(
            sizes in proptest::collection::vec(0usize..=30, 0..6),
            cuts in proptest::collection::vec(0usize..200, 0..8),
        ) {
            let mut input = Vec::new();
            for (i, size) in sizes.iter().enumerate() {
                input.extend_from_slice(format!("L{i} {{{size}}}\r\n").as_bytes());
                input.extend((0..*size).map(|j| (j * 7 + i) as u8));
            }
            input.extend_from_slice(b"end\r\n");
            let mut framer = LineFramer::new(64, BareLineEnding::Reject).with_literals(30);
            let whole = frames(&mut framer, &input, input.len(), false);
            let mut cuts = cuts;
            cuts.sort_unstable();
            let mut framer = LineFramer::new(64, BareLineEnding::Reject).with_literals(30);
            let mut buf = BytesMut::new();
            let mut split = Vec::new();
            let mut last = 0;
            for cut in cuts.into_iter().chain([input.len()]) {
                let cut = cut.min(input.len()).max(last);
                buf.extend_from_slice(&input[last..cut]);
                last = cut;
                while let Some(frame) = framer.poll_frame(&mut buf, true) {
                    split.push(frame.unwrap());
                }
            }
            proptest::prop_assert_eq!(whole, split);
        }

        #[test]
        fn cr_or_lf_search_agrees_with_memchr2(
            s in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b'\r', b'\n', 0x8d, 0x8a, 0]),
                0..300,
            ),
            clean_prefix in 0usize..200,
        ) {
            // Mostly clean lines, as on the wire: the octet found is often far in.
            let mut line = vec![b'x'; clean_prefix];
            line.extend_from_slice(&s);
            proptest::prop_assert_eq!(find_cr_or_lf(&line), memchr::memchr2(b'\r', b'\n', &line));
        }
    }
}
