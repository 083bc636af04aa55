//! Dot-stuffing for SMTP DATA (RFC 5321 4.5.2) and POP3 multi-line responses (RFC 1939 3).
//!
//! The sender puts an extra "." before every line that starts with "." and ends the data with
//! CRLF "." CRLF; the receiver removes that first "." again. Both sides here stream: state is
//! kept across chunk boundaries, so a body never has to be in memory.
//!
//! Only an exact CRLF "." CRLF ends the data (or "." CRLF as the very first line, for empty
//! data). The forms that some servers once took as an end (LF.LF, LF.CRLF, CRLF.LF, CR.CR,
//! CRLF.CR, CR.CRLF, LF.CR, CRLF.CRCRLF) never end it here: treating them differently from the
//! next hop is what "SMTP smuggling" exploits.

use bytes::{Buf, Bytes, BytesMut};

use crate::line::BareLineEnding;

/// Dot-stuffed data broke a rule of its sender's or receiver's configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DotError {
    /// A LF not preceded by CR.
    #[error("bare LF at octet {offset} of the data")]
    BareLf {
        /// Offset in the data as received (or given), counted from its start.
        offset: u64,
    },
    /// A CR not followed by LF.
    #[error("bare CR at octet {offset} of the data")]
    BareCr {
        /// Offset in the data as received (or given), counted from its start.
        offset: u64,
    },
    /// A line longer than the declared limit (counted without its CRLF).
    #[error("line of more than {limit} octets ending at octet {offset}")]
    LineTooLong {
        /// The limit, in octets without the CRLF.
        limit: usize,
        /// Offset in the data where the limit was passed.
        offset: u64,
    },
    /// An octet above 127 in data declared 7-bit.
    #[error("8-bit octet at octet {offset} of data declared 7-bit")]
    EightBit {
        /// Offset of the octet.
        offset: u64,
    },
    /// A NUL octet in data declared free of them.
    #[error("NUL at octet {offset} of the data")]
    Nul {
        /// Offset of the NUL.
        offset: u64,
    },
}

/// What a [`DotStuffer`] checks while it streams, so that a body matches what was declared for it
/// (SMTP's BODY=7BIT or 8BITMIME, RFC 5321 4.5.3.1.6 line length).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StuffConfig {
    /// What to do with a bare CR or LF in the input. `Normalize` (the default) writes CRLF
    /// instead; `Reject` fails; `Accept` passes it through unchanged.
    pub endings: BareLineEnding,
    /// The longest line accepted, in octets without CRLF; `None` for no check.
    pub max_line_len: Option<usize>,
    /// Whether octets above 127 are allowed.
    pub allow_8bit: bool,
    /// Whether NUL octets are allowed.
    pub allow_nul: bool,
    /// Whether to dot-stuff and terminate. Off, the stuffer only normalises line ends and
    /// checks the declaration: what a BDAT body (RFC 3030), which is never stuffed, needs.
    pub stuffing: bool,
}

impl Default for StuffConfig {
    fn default() -> Self {
        Self {
            endings: BareLineEnding::Normalize,
            max_line_len: None,
            allow_8bit: true,
            allow_nul: true,
            stuffing: true,
        }
    }
}

impl StuffConfig {
    /// The default: normalise line ends, no other check.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the bare line end policy.
    pub fn endings(mut self, endings: BareLineEnding) -> Self {
        self.endings = endings;
        self
    }

    /// Sets the longest line accepted, without CRLF (RFC 5321 allows 998).
    pub fn max_line_len(mut self, limit: Option<usize>) -> Self {
        self.max_line_len = limit;
        self
    }

    /// Allows or refuses 8-bit octets.
    pub fn allow_8bit(mut self, allow: bool) -> Self {
        self.allow_8bit = allow;
        self
    }

    /// Allows or refuses NUL octets.
    pub fn allow_nul(mut self, allow: bool) -> Self {
        self.allow_nul = allow;
        self
    }

    /// Turns dot-stuffing and the terminator on (the default) or off (BDAT bodies: line ends
    /// normalised and checks made, nothing added).
    pub fn stuffing(mut self, on: bool) -> Self {
        self.stuffing = on;
        self
    }
}

/// Streams a body into dot-stuffed form, ready to follow a DATA command or a POP3 +OK line.
///
/// ```
/// use bytes::BytesMut;
/// use proto_core::{DotStuffer, StuffConfig};
///
/// let mut stuffer = DotStuffer::new(StuffConfig::new());
/// let mut out = BytesMut::new();
/// stuffer.write(b"Hi\n.hidden line\r", &mut out).unwrap();
/// stuffer.write(b"\nbye", &mut out).unwrap();
/// stuffer.finish(&mut out).unwrap();
/// assert_eq!(&out[..], b"Hi\r\n..hidden line\r\nbye\r\n.\r\n");
/// ```
#[derive(Debug, Clone)]
pub struct DotStuffer {
    config: StuffConfig,
    at_line_start: bool,
    /// The last input octet was a CR whose LF may come in the next chunk.
    pending_cr: bool,
    /// Octets of input taken so far.
    offset: u64,
    /// Length of the current line so far, without its line end.
    line_len: usize,
}

impl DotStuffer {
    /// A stuffer at the start of a body.
    pub fn new(config: StuffConfig) -> Self {
        Self {
            config,
            at_line_start: true,
            pending_cr: false,
            offset: 0,
            line_len: 0,
        }
    }

    /// Octets of body taken so far (before stuffing).
    pub fn bytes_in(&self) -> u64 {
        self.offset
    }

    /// Stuffs `input` onto `out`. On error, `out` holds the output up to the offending octet.
    pub fn write(&mut self, input: &[u8], out: &mut BytesMut) -> Result<(), DotError> {
        out.reserve(input.len() + input.len() / 64 + 4);
        let base = self.offset;
        let result = self.write_inner(input, base, out);
        self.offset = base + input.len() as u64;
        result
    }

    fn write_inner(&mut self, input: &[u8], base: u64, out: &mut BytesMut) -> Result<(), DotError> {
        self.check_octets(input, base)?;
        let mut pos = 0;
        if self.pending_cr {
            self.pending_cr = false;
            if input.first() == Some(&b'\n') {
                out.extend_from_slice(b"\n");
                pos = 1;
                self.end_line();
            } else if !input.is_empty() {
                self.bare_cr(base.saturating_sub(1), out)?;
            } else {
                self.pending_cr = true;
                return Ok(());
            }
        }
        // `copied` is where the next span to copy starts.
        let mut copied = pos;
        // Clean CRLF lines need no per-line work unless line lengths are checked.
        let fast =
            self.config.max_line_len.is_none() && self.config.endings != BareLineEnding::Accept;
        loop {
            if self.at_line_start {
                if self.config.stuffing && input.get(pos) == Some(&b'.') {
                    out.extend_from_slice(input.get(copied..pos).unwrap_or_default());
                    out.extend_from_slice(b".");
                    copied = pos;
                }
                if pos < input.len() {
                    self.at_line_start = false;
                }
            }
            // Otherwise a dot line or a bare line end is near: one line the slow way.
            if fast && let Some((n, ends_line)) = clean_span(input.get(pos..).unwrap_or_default()) {
                pos += n;
                if ends_line {
                    self.end_line();
                }
                continue;
            }
            let rest = input.get(pos..).unwrap_or_default();
            let Some(i) = memchr::memchr2(b'\r', b'\n', rest) else {
                self.add_line_len(rest.len(), base + input.len() as u64)?;
                break;
            };
            let at = pos + i;
            self.add_line_len(i, base + at as u64)?;
            let is_cr = input.get(at) == Some(&b'\r');
            if is_cr {
                match input.get(at + 1) {
                    Some(b'\n') => {
                        pos = at + 2;
                        self.end_line();
                    }
                    Some(_) => {
                        out.extend_from_slice(input.get(copied..=at).unwrap_or_default());
                        copied = at + 1;
                        pos = at + 1;
                        self.bare_cr(base + at as u64, out)?;
                    }
                    None => {
                        pos = at + 1;
                        self.pending_cr = true;
                        break;
                    }
                }
            } else {
                // A bare LF.
                match self.config.endings {
                    BareLineEnding::Normalize => {
                        out.extend_from_slice(input.get(copied..at).unwrap_or_default());
                        out.extend_from_slice(b"\r\n");
                        copied = at + 1;
                        self.end_line();
                    }
                    BareLineEnding::Accept => self.line_len += 1,
                    BareLineEnding::Reject => {
                        out.extend_from_slice(input.get(copied..at).unwrap_or_default());
                        return Err(DotError::BareLf {
                            offset: base + at as u64,
                        });
                    }
                }
                pos = at + 1;
            }
        }
        out.extend_from_slice(input.get(copied..pos.max(copied)).unwrap_or_default());
        if pos < input.len() {
            out.extend_from_slice(input.get(pos..).unwrap_or_default());
        }
        Ok(())
    }

    /// Ends the data: completes the last line with CRLF if needed and writes "." CRLF. Without
    /// stuffing, only a final bare CR is completed (by policy); nothing is added.
    pub fn finish(&mut self, out: &mut BytesMut) -> Result<(), DotError> {
        if self.pending_cr {
            self.pending_cr = false;
            self.bare_cr(self.offset.saturating_sub(1), out)?;
        }
        if !self.config.stuffing {
            return Ok(());
        }
        if !self.at_line_start {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
        self.at_line_start = true;
        Ok(())
    }

    /// Handles a CR (already written to `out`) that no LF follows.
    fn bare_cr(&mut self, offset: u64, out: &mut BytesMut) -> Result<(), DotError> {
        match self.config.endings {
            BareLineEnding::Normalize => {
                out.extend_from_slice(b"\n");
                self.end_line();
                Ok(())
            }
            BareLineEnding::Accept => {
                self.line_len += 1;
                Ok(())
            }
            BareLineEnding::Reject => Err(DotError::BareCr { offset }),
        }
    }

    fn end_line(&mut self) {
        self.at_line_start = true;
        self.line_len = 0;
    }

    fn add_line_len(&mut self, n: usize, offset: u64) -> Result<(), DotError> {
        self.line_len = self.line_len.saturating_add(n);
        match self.config.max_line_len {
            Some(limit) if self.line_len > limit => Err(DotError::LineTooLong { limit, offset }),
            _ => Ok(()),
        }
    }

    fn check_octets(&self, input: &[u8], base: u64) -> Result<(), DotError> {
        if !self.config.allow_8bit
            && let Some(i) = input.iter().position(|&b| b >= 0x80)
        {
            return Err(DotError::EightBit {
                offset: base + i as u64,
            });
        }
        if !self.config.allow_nul
            && let Some(i) = memchr::memchr(0, input)
        {
            return Err(DotError::Nul {
                offset: base + i as u64,
            });
        }
        Ok(())
    }
}

/// One step of un-stuffing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unstuffed {
    /// Data with dot-stuffing removed: a slice of the input buffer, not a copy.
    Data(Bytes),
    /// The terminating "." line was consumed; the bytes after it belong to the protocol again.
    End,
}

/// Removes dot-stuffing from received data, handing it on as zero-copy chunks.
///
/// ```
/// use bytes::BytesMut;
/// use proto_core::{BareLineEnding, DotUnstuffer, Unstuffed};
///
/// let mut input = BytesMut::from(&b"..dot\r\nline\r\n.\r\nQUIT\r\n"[..]);
/// let mut unstuffer = DotUnstuffer::new(BareLineEnding::Reject);
/// let mut body = Vec::new();
/// while let Some(step) = unstuffer.poll(&mut input) {
///     match step.unwrap() {
///         Unstuffed::Data(chunk) => body.extend_from_slice(&chunk),
///         Unstuffed::End => break,
///     }
/// }
/// assert_eq!(body, b".dot\r\nline\r\n");
/// assert_eq!(&input[..], b"QUIT\r\n");
/// ```
#[derive(Debug, Clone)]
pub struct DotUnstuffer {
    endings: BareLineEnding,
    at_line_start: bool,
    done: bool,
    /// Octets of stuffed input consumed so far.
    offset: u64,
    /// A bare line end was reported; its octet is passed on as data next.
    reported_at: Option<u64>,
    /// A normalised line end to hand on next: octets to skip, then the replacement.
    pending: Option<(usize, &'static [u8])>,
}

/// What the scan of the buffer found.
enum Scan {
    /// Hand on `..n` as data; the line start state afterwards.
    Data { n: usize, line_start: bool },
    /// Drop the dot at the front of the buffer.
    DropDot,
    /// The terminator is at the front of the buffer.
    End,
    /// Hand on `..n`, then `extra` (a normalised line end), skipping `skip` octets.
    Normalized {
        n: usize,
        skip: usize,
        extra: &'static [u8],
    },
    /// A bare line end at `at`: hand on `..at` first, then report.
    Bare { at: usize, error: DotError },
    /// Nothing can be handed on until more input arrives.
    NeedMore,
}

impl DotUnstuffer {
    /// An un-stuffer at the start of the data, with the policy for bare CR and LF:
    /// `Reject` reports each as an error (and then passes it on as data, so a server can drain
    /// to the end and refuse the message), `Accept` passes them on, `Normalize` turns them into
    /// CRLF. Only CRLF "." CRLF ends the data under every policy.
    pub fn new(endings: BareLineEnding) -> Self {
        Self {
            endings,
            at_line_start: true,
            done: false,
            offset: 0,
            reported_at: None,
            pending: None,
        }
    }

    /// True once the terminating line was consumed.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Octets of stuffed input consumed so far, terminator included.
    pub fn bytes_consumed(&self) -> u64 {
        self.offset
    }

    /// The next step, consuming from the front of `buf`; `None` when more input is needed or
    /// the data has ended.
    pub fn poll(&mut self, buf: &mut BytesMut) -> Option<Result<Unstuffed, DotError>> {
        loop {
            if self.done {
                return None;
            }
            if let Some((skip, extra)) = self.pending.take() {
                self.skip(buf, skip);
                return Some(Ok(Unstuffed::Data(Bytes::from_static(extra))));
            }
            match self.scan(buf) {
                Scan::Data { n, line_start } => {
                    self.at_line_start = line_start;
                    return Some(Ok(Unstuffed::Data(self.take(buf, n))));
                }
                Scan::DropDot => {
                    self.at_line_start = false;
                    self.skip(buf, 1);
                }
                Scan::End => {
                    self.skip(buf, 3);
                    self.done = true;
                    return Some(Ok(Unstuffed::End));
                }
                Scan::Normalized { n, skip, extra } => {
                    // Only a real CRLF starts a line: a normalised one never ends the data.
                    self.at_line_start = false;
                    if n > 0 {
                        self.pending = Some((skip, extra));
                        return Some(Ok(Unstuffed::Data(self.take(buf, n))));
                    }
                    self.skip(buf, skip);
                    return Some(Ok(Unstuffed::Data(Bytes::from_static(extra))));
                }
                Scan::Bare { at, error } => {
                    if at > 0 {
                        self.at_line_start = false;
                        return Some(Ok(Unstuffed::Data(self.take(buf, at))));
                    }
                    self.reported_at = Some(self.offset);
                    return Some(Err(error));
                }
                Scan::NeedMore => return None,
            }
        }
    }

    fn take(&mut self, buf: &mut BytesMut, n: usize) -> Bytes {
        self.offset += n as u64;
        buf.split_to(n).freeze()
    }

    fn skip(&mut self, buf: &mut BytesMut, n: usize) {
        self.offset += n as u64;
        buf.advance(n);
    }

    fn scan(&self, buf: &[u8]) -> Scan {
        if let Some(scan) = self.fast_scan(buf) {
            return scan;
        }
        if self.endings == BareLineEnding::Normalize {
            return self.slow_scan(buf);
        }
        // Only the few lines around what stopped the fast path go line by line: any prefix of
        // the buffer is a valid input (as if the rest had not arrived yet), so look at a small
        // window, and widen it only while nothing can be decided.
        let mut window = SLOW_WINDOW;
        loop {
            let end = window.min(buf.len());
            let scan = self.slow_scan(buf.get(..end).unwrap_or(buf));
            if !matches!(scan, Scan::NeedMore) || end == buf.len() {
                return scan;
            }
            window = window.saturating_mul(4);
        }
    }

    /// The common case in one pass: clean CRLF lines that start with no dot, checked a block
    /// at a time by [`clean_prefix`]. `None` sends the front of the buffer to the exact,
    /// line-by-line [`slow_scan`](Self::slow_scan): a dot at a line start, a bare line end,
    /// or the `Normalize` policy.
    fn fast_scan(&self, buf: &[u8]) -> Option<Scan> {
        if self.endings == BareLineEnding::Normalize || self.reported_at == Some(self.offset) {
            return None;
        }
        let first = *buf.first()?;
        if first == b'\n' || (self.at_line_start && first == b'.') {
            return None;
        }
        let n = match self.endings {
            BareLineEnding::Accept => accept_prefix(buf),
            _ => clean_prefix(buf),
        };
        let span = buf.get(..n).filter(|span| !span.is_empty())?;
        Some(Scan::Data {
            n,
            line_start: span.ends_with(b"\r\n"),
        })
    }

    fn slow_scan(&self, buf: &[u8]) -> Scan {
        let mut pos = 0;
        let mut line_start = self.at_line_start;
        loop {
            if line_start {
                match buf.get(pos) {
                    None => return data_or_more(pos, true),
                    Some(b'.') => match (buf.get(pos + 1), buf.get(pos + 2)) {
                        (None, _) | (Some(b'\r'), None) => return data_or_more(pos, true),
                        (Some(b'\r'), Some(b'\n')) if pos == 0 => return Scan::End,
                        _ if pos == 0 => return Scan::DropDot,
                        _ => {
                            return Scan::Data {
                                n: pos,
                                line_start: true,
                            };
                        }
                    },
                    Some(_) => {}
                }
            }
            let rest = buf.get(pos..).unwrap_or_default();
            let hit = match self.endings {
                BareLineEnding::Accept => memchr::memchr(b'\n', rest),
                BareLineEnding::Reject | BareLineEnding::Normalize => {
                    memchr::memchr2(b'\r', b'\n', rest)
                }
            };
            let Some(i) = hit else {
                // Hold back a trailing CR: its LF may start the terminator.
                let n = if buf.last() == Some(&b'\r') {
                    buf.len() - 1
                } else {
                    buf.len()
                };
                return data_or_more(n, false);
            };
            let at = pos + i;
            match self.line_end(buf, at) {
                LineEnd::Crlf(next) => {
                    pos = next;
                    line_start = true;
                }
                LineEnd::Data(next) => {
                    pos = next;
                    line_start = false;
                }
                LineEnd::Unknown => return data_or_more(at, line_start && at == pos),
                LineEnd::Bare(error) => {
                    return if self.endings == BareLineEnding::Normalize {
                        normalized(at, buf)
                    } else {
                        Scan::Bare { at, error }
                    };
                }
            }
        }
    }

    /// Classifies the CR or LF at `at`.
    fn line_end(&self, buf: &[u8], at: usize) -> LineEnd {
        let offset = self.offset + at as u64;
        // The octet reported last time goes on as data now.
        let reported = self.reported_at == Some(offset);
        match buf.get(at) {
            Some(b'\n') => {
                let after_cr = at > 0 && buf.get(at - 1) == Some(&b'\r');
                if after_cr {
                    LineEnd::Crlf(at + 1)
                } else if self.endings == BareLineEnding::Accept || reported {
                    LineEnd::Data(at + 1)
                } else {
                    LineEnd::Bare(DotError::BareLf { offset })
                }
            }
            _ => match buf.get(at + 1) {
                Some(b'\n') => LineEnd::Crlf(at + 2),
                None => LineEnd::Unknown,
                Some(_) if reported => LineEnd::Data(at + 1),
                Some(_) => LineEnd::Bare(DotError::BareCr { offset }),
            },
        }
    }
}

enum LineEnd {
    /// A CRLF; the next line starts at the index.
    Crlf(usize),
    /// Ordinary data; scanning goes on at the index.
    Data(usize),
    /// A CR at the end of the buffer.
    Unknown,
    /// A bare CR or LF.
    Bare(DotError),
}

/// How many octets the line-by-line path looks at before the fast path takes over again.
const SLOW_WINDOW: usize = 256;

/// Octets a block of [`clean_blocks`] covers.
const BLOCK: usize = 64;

/// The length of the front of `buf` that needs no per-line work: no LF in it is followed by a
/// dot, every CR is followed by LF and every LF preceded by CR. It ends just after the LF
/// before a dot line, just before a bare CR or LF, or at the end of `buf`, and never between
/// a CR and its LF. The caller makes sure `buf` does not start with LF.
fn clean_prefix(buf: &[u8]) -> usize {
    let blocks = clean_blocks(buf);
    let rest = buf.get(blocks..).unwrap_or_default();
    let mut n = blocks + clean_octets(rest.get(..rest.len().min(BLOCK + 2)).unwrap_or(rest));
    if n > 0 && buf.get(n - 1) == Some(&b'\r') {
        n -= 1;
    }
    n
}

/// The whole blocks at the front of `buf` that [`clean_prefix`] can pass over.
///
/// Written as a branch-free fold over fixed blocks so the compiler vectorises it: one pass over
/// the data instead of a search per line. Octet `i` of a block checks the octets `i`, `i + 1`
/// and `i + 2`: a CR at `i` must be matched by an LF at `i + 1` and the other way round, and an
/// LF at `i + 1` must not be followed by a dot. Three comparisons and four bit operations per
/// octet (SSE2 on baseline x86-64 does 16 at a time). An LF at the very start of `buf` is not
/// looked at, hence the caller's guarantee.
fn clean_blocks(buf: &[u8]) -> usize {
    let (Some(x), Some(y), Some(z)) = (
        buf.get(..buf.len().saturating_sub(2)),
        buf.get(1..),
        buf.get(2..),
    ) else {
        return 0;
    };
    let blocks = x
        .chunks_exact(BLOCK)
        .zip(y.chunks_exact(BLOCK))
        .zip(z.chunks_exact(BLOCK));
    let mut n = 0;
    for ((x, y), z) in blocks {
        let flags = x.iter().zip(y).zip(z).fold(0u8, |acc, ((&x, &y), &z)| {
            let cr = u8::from(x == b'\r');
            let lf = u8::from(y == b'\n');
            let dot = u8::from(z == b'.');
            acc | (cr ^ lf) | (lf & dot)
        });
        if flags != 0 {
            break;
        }
        n += BLOCK;
    }
    n
}

/// [`clean_prefix`]'s rule octet by octet, for the block where [`clean_blocks`] stopped.
fn clean_octets(buf: &[u8]) -> usize {
    for (i, pair) in buf.windows(2).enumerate() {
        let (cr, lf) = (pair.first() == Some(&b'\r'), pair.get(1) == Some(&b'\n'));
        match (cr, lf) {
            // A bare CR at `i`.
            (true, false) => return i,
            // A bare LF at `i + 1`.
            (false, true) => return i + 1,
            // A CRLF before a dot line.
            (true, true) if buf.get(i + 2) == Some(&b'.') => return i + 2,
            _ => {}
        }
    }
    buf.len()
}

/// Finds an LF followed by a dot: the only place un-stuffing acts when bare line ends are data.
static DOT_LINE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\n."));

/// Under `Accept`, bare CR and LF are data and only a CRLF starts a line: the front of `buf`
/// up to the next CRLF "." (a trailing CR is held back, as its LF may start the terminator).
/// memmem skips the ordinary lines without looking at each.
fn accept_prefix(buf: &[u8]) -> usize {
    let mut from = 0;
    loop {
        let Some(i) = buf.get(from..).and_then(|rest| DOT_LINE.find(rest)) else {
            return if buf.last() == Some(&b'\r') {
                buf.len() - 1
            } else {
                buf.len()
            };
        };
        let lf = from + i;
        if lf > 0 && buf.get(lf - 1) == Some(&b'\r') {
            return lf + 1;
        }
        from = lf + 1;
    }
}

/// The front of `rest` the stuffer can copy as it is (see [`clean_prefix`]), and whether it
/// ends a line; `None` when there is none.
fn clean_span(rest: &[u8]) -> Option<(usize, bool)> {
    if rest.first() == Some(&b'\n') {
        return None;
    }
    let n = clean_prefix(rest);
    let span = rest.get(..n).filter(|span| !span.is_empty())?;
    Some((n, span.last() == Some(&b'\n')))
}

fn data_or_more(n: usize, line_start: bool) -> Scan {
    if n == 0 {
        Scan::NeedMore
    } else {
        Scan::Data { n, line_start }
    }
}

fn normalized(at: usize, buf: &[u8]) -> Scan {
    if buf.get(at) == Some(&b'\n') {
        // Bare LF: hand on what precedes it, then CRLF in its place.
        Scan::Normalized {
            n: at,
            skip: 1,
            extra: b"\r\n",
        }
    } else {
        // Bare CR: hand on what precedes it and the CR, then the missing LF.
        Scan::Normalized {
            n: at + 1,
            skip: 0,
            extra: b"\n",
        }
    }
}
