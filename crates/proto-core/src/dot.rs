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
use crate::line_limit::LineLimit;

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
    /// A bound the stuffer computed lies outside the input it was given: a fault of this
    /// crate, never of the data (no input reaches it; the tests would show it).
    #[error("internal fault: a computed bound is out of range at octet {offset} of the data")]
    Internal {
        /// Offset in the data where the bound was wrong.
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

    /// Stuffs `input` onto `out`. On error, `out` may hold part of the output for `input`, none
    /// of it past the offending octet; a caller that must send all of `input` or none of it
    /// truncates `out` back to its length before the call.
    pub fn write(&mut self, input: &[u8], out: &mut BytesMut) -> Result<(), DotError> {
        out.reserve(input.len() + input.len() / 64 + 4);
        self.write_to(input, out)
    }

    /// Stuffs `input` without copying it: `piece` gets the output in order, each piece a slice
    /// of `input` or a short constant (the "." added before a dot line, a line end completed
    /// by the policy). A caller that writes the pieces with vectored I/O sends a body it holds
    /// in memory without building a stuffed copy. On error, some of the pieces before the
    /// offending octet may have been given.
    ///
    /// ```
    /// use proto_core::{DotStuffer, StuffConfig};
    ///
    /// let body = b"Hi\r\n.hidden line\r\nbye";
    /// let mut stuffer = DotStuffer::new(StuffConfig::new());
    /// let mut pieces: Vec<&[u8]> = Vec::new();
    /// stuffer.write_pieces(body, |piece| pieces.push(piece)).unwrap();
    /// stuffer.finish_pieces(|piece| pieces.push(piece)).unwrap();
    /// assert_eq!(pieces.concat(), b"Hi\r\n..hidden line\r\nbye\r\n.\r\n");
    /// // The body's lines are handed on as they are, not copied.
    /// assert_eq!(pieces[0].as_ptr(), body.as_ptr());
    /// ```
    pub fn write_pieces<'a>(
        &mut self,
        input: &'a [u8],
        piece: impl FnMut(&'a [u8]),
    ) -> Result<(), DotError> {
        self.write_to(input, &mut Pieces(piece))
    }

    /// [`finish`](Self::finish) for [`write_pieces`](Self::write_pieces): the end of the data
    /// as pieces.
    pub fn finish_pieces(&mut self, piece: impl FnMut(&'static [u8])) -> Result<(), DotError> {
        self.finish_to(&mut Pieces(piece))
    }

    fn write_to<'a>(&mut self, input: &'a [u8], out: &mut impl Sink<'a>) -> Result<(), DotError> {
        let base = self.offset;
        let result = self.write_inner(input, base, out);
        self.offset = base + input.len() as u64;
        result
    }

    fn write_inner<'a>(
        &mut self,
        input: &'a [u8],
        base: u64,
        out: &mut impl Sink<'a>,
    ) -> Result<(), DotError> {
        self.check_octets(input, base)?;
        let mut pos = 0;
        if self.pending_cr {
            self.pending_cr = false;
            if input.first() == Some(&b'\n') {
                out.data(b"\n");
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
        // Clean CRLF lines need no per-line work, beyond a check of their length when there
        // is a limit.
        let fast = self.config.endings != BareLineEnding::Accept;
        // Blocks are copied as soon as they are checked, unless a line limit may cut the run
        // short after the check.
        let eager = out.copies() && self.config.max_line_len.is_none();
        loop {
            if self.at_line_start {
                if self.config.stuffing && input.get(pos) == Some(&b'.') {
                    out.data(span(input, copied, pos, base)?);
                    out.data(b".");
                    copied = pos;
                }
                if pos < input.len() {
                    self.at_line_start = false;
                }
            }
            // Clean lines are checked and copied a block at a time; where that stops, a dot
            // line or a bare line end is near: one line the slow way.
            let rest = span(input, pos, input.len(), base)?;
            if fast && !rest.is_empty() && rest.first() != Some(&b'\n') {
                let blocks = if eager {
                    out.data(span(input, copied, pos, base)?);
                    let blocks = clean_blocks(rest, |block| out.block(block));
                    copied = pos + blocks;
                    blocks
                } else {
                    clean_blocks(rest, |_| {})
                };
                let n = self.within_line_limit(rest, clean_prefix_after(rest, blocks));
                if n > 0 {
                    pos += n;
                    if input.get(pos - 1) == Some(&b'\n') {
                        self.end_line();
                    }
                    continue;
                }
            }
            let rest = span(input, pos, input.len(), base)?;
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
                        out.data(span(input, copied, at + 1, base)?);
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
                        out.data(span(input, copied, at, base)?);
                        out.data(b"\r\n");
                        copied = at + 1;
                        self.end_line();
                    }
                    BareLineEnding::Accept => self.line_len += 1,
                    BareLineEnding::Reject => {
                        out.data(span(input, copied, at, base)?);
                        return Err(DotError::BareLf {
                            offset: base + at as u64,
                        });
                    }
                }
                pos = at + 1;
            }
        }
        out.data(span(input, copied, pos.max(copied), base)?);
        if pos < input.len() {
            out.data(span(input, pos, input.len(), base)?);
        }
        Ok(())
    }

    /// Ends the data: completes the last line with CRLF if needed and writes "." CRLF. Without
    /// stuffing, only a final bare CR is completed (by policy); nothing is added.
    pub fn finish(&mut self, out: &mut BytesMut) -> Result<(), DotError> {
        self.finish_to(out)
    }

    fn finish_to<'a>(&mut self, out: &mut impl Sink<'a>) -> Result<(), DotError> {
        if self.pending_cr {
            self.pending_cr = false;
            self.bare_cr(self.offset.saturating_sub(1), out)?;
        }
        if !self.config.stuffing {
            return Ok(());
        }
        if !self.at_line_start {
            out.data(b"\r\n");
        }
        out.data(b".\r\n");
        self.at_line_start = true;
        Ok(())
    }

    /// Handles a CR (already written to `out`) that no LF follows.
    fn bare_cr<'a>(&mut self, offset: u64, out: &mut impl Sink<'a>) -> Result<(), DotError> {
        match self.config.endings {
            BareLineEnding::Normalize => {
                out.data(b"\n");
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

    /// The front of the clean run `rest[..n]` whose lines all fit the line limit, and the
    /// line length at its end. Where a line may not fit, the run stops at the start of that
    /// line, and the line-by-line path counts it and reports it.
    fn within_line_limit(&mut self, rest: &[u8], n: usize) -> usize {
        let Some(max) = self.config.max_line_len else {
            return n;
        };
        // `n` is a clean prefix of `rest`; were it longer, nothing is taken here and the
        // line-by-line path does the work (the output is the same, only slower).
        let Some((run, _)) = rest.split_at_checked(n) else {
            return 0;
        };
        // Clean lines end with CRLF, which the limit does not count and the check does.
        let mut check = LineLimit::mid_line(max.saturating_add(2), self.line_len);
        let stop = match check.check(run) {
            // The line in progress at the end has no CR or LF yet.
            None if check.line_len() <= max => {
                self.line_len = check.line_len();
                return n;
            }
            None => n,
            Some(at) => at,
        };
        // As above: an impossible `stop` leaves the run to the line-by-line path.
        run.split_at_checked(stop)
            .and_then(|(before, _)| memchr::memrchr(b'\n', before))
            .map_or(0, |lf| lf + 1)
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
        // `is_ascii` goes a word at a time; the octet is looked for only when there is one.
        if !self.config.allow_8bit
            && !input.is_ascii()
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

/// Where a [`DotStuffer`] puts its output: a buffer it copies into, or the caller's function
/// that takes the pieces without a copy.
trait Sink<'a> {
    /// Whether clean blocks are copied as soon as they are checked ([`Sink::block`]), while
    /// they are still in the nearest cache; a sink that does not copy takes whole spans.
    fn copies(&self) -> bool;
    /// Output: a slice of the input, or a constant.
    fn data(&mut self, piece: &'a [u8]);
    /// A clean block of input, when the sink [`copies`](Sink::copies).
    fn block(&mut self, block: &[u8; BLOCK]);
}

impl<'a> Sink<'a> for BytesMut {
    fn copies(&self) -> bool {
        true
    }

    fn data(&mut self, piece: &'a [u8]) {
        self.extend_from_slice(piece);
    }

    fn block(&mut self, block: &[u8; BLOCK]) {
        self.extend_from_slice(block);
    }
}

/// The sink of [`DotStuffer::write_pieces`].
struct Pieces<F>(F);

impl<'a, F: FnMut(&'a [u8])> Sink<'a> for Pieces<F> {
    fn copies(&self) -> bool {
        false
    }

    fn data(&mut self, piece: &'a [u8]) {
        // Empty spans come from the bookkeeping; the caller is not bothered with them.
        if !piece.is_empty() {
            (self.0)(piece);
        }
    }

    fn block(&mut self, _: &[u8; BLOCK]) {}
}

/// One step of un-stuffing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unstuffed {
    /// Data with dot-stuffing removed: a slice of the input buffer, not a copy.
    Data(Bytes),
    /// The terminating "." line was consumed; the bytes after it belong to the protocol again.
    End,
}

/// One step of [`DotUnstuffer::step`]: what the front of a borrowed buffer holds.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// The first `len` octets are data; then `skip` more octets (a stuffed dot) are dropped.
    /// `len` is 0 when only a dot is dropped.
    Data {
        /// Octets of data at the front of the input.
        len: usize,
        /// Octets after the data that are not data.
        skip: usize,
    },
    /// `octets` (a normalised line end) are data in place of the `skip` octets at the front.
    Insert {
        /// What to hand on.
        octets: &'static [u8],
        /// Octets of input this replaces.
        skip: usize,
    },
    /// The terminator, `len` octets at the front: the data is over.
    End {
        /// Octets of the terminator.
        len: usize,
    },
    /// A bare CR or LF at the front, under [`BareLineEnding::Reject`]. Nothing is consumed:
    /// the next step hands the octet on as data, so a server can drain to the end of the
    /// data and refuse the message.
    Error(DotError),
    /// Nothing can be decided until more input arrives; nothing is consumed.
    NeedMore,
}

impl Step {
    /// Octets of input this step consumes: the caller removes them from the front of its
    /// buffer before the next step.
    pub fn consumed(&self) -> usize {
        match *self {
            Step::Data { len, skip } => len + skip,
            Step::Insert { skip, .. } => skip,
            Step::End { len } => len,
            Step::Error(_) | Step::NeedMore => 0,
        }
    }
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
    /// the data has ended. Built on [`step`](Self::step): each data chunk is split off `buf`
    /// without a copy.
    pub fn poll(&mut self, buf: &mut BytesMut) -> Option<Result<Unstuffed, DotError>> {
        loop {
            let step = self.step(buf);
            let data = match step {
                Step::Data { len: 0, skip } => {
                    buf.advance(skip);
                    continue;
                }
                Step::Data { len, skip } => {
                    let data = buf.split_to(len).freeze();
                    buf.advance(skip);
                    data
                }
                Step::Insert { octets, skip } => {
                    buf.advance(skip);
                    Bytes::from_static(octets)
                }
                Step::End { len } => {
                    buf.advance(len);
                    return Some(Ok(Unstuffed::End));
                }
                Step::Error(error) => return Some(Err(error)),
                Step::NeedMore => return None,
            };
            return Some(Ok(Unstuffed::Data(data)));
        }
    }

    /// The next step over the front of `input`, borrowed: what is data and how many octets to
    /// consume. The caller removes [`Step::consumed`] octets from the front of its buffer
    /// before the next call (and hands the same bytes again if it consumed none). This is
    /// [`poll`](Self::poll) without `Bytes`: no reference count is touched, so a caller that
    /// writes the data on (to a file, a hash, another socket) pays only for the scan.
    ///
    /// ```
    /// use proto_core::{BareLineEnding, DotUnstuffer, dot::Step};
    ///
    /// let mut input: &[u8] = b"..dot\r\nline\r\n.\r\nQUIT\r\n";
    /// let mut unstuffer = DotUnstuffer::new(BareLineEnding::Reject);
    /// let mut body = Vec::new();
    /// loop {
    ///     let step = unstuffer.step(input);
    ///     match step {
    ///         Step::Data { len, .. } => body.extend_from_slice(&input[..len]),
    ///         Step::Insert { octets, .. } => body.extend_from_slice(octets),
    ///         Step::End { .. } => {}
    ///         Step::Error(error) => panic!("{error}"),
    ///         Step::NeedMore => panic!("the terminator is there"),
    ///         _ => {}
    ///     }
    ///     input = &input[step.consumed()..];
    ///     if unstuffer.is_done() {
    ///         break;
    ///     }
    /// }
    /// assert_eq!(body, b".dot\r\nline\r\n");
    /// assert_eq!(input, b"QUIT\r\n");
    /// ```
    pub fn step(&mut self, input: &[u8]) -> Step {
        if self.done {
            return Step::NeedMore;
        }
        if let Some((skip, octets)) = self.pending.take() {
            return self.consume(Step::Insert { octets, skip });
        }
        let step = match self.scan(input) {
            Scan::Data { n, line_start } => {
                self.at_line_start = line_start;
                // A stuffed dot right after the chunk goes with it: one step per dot line.
                let dot_follows = line_start
                    && input.get(n) == Some(&b'.')
                    && matches!(dot_line(input, n), Some(DotLine::Stuffed));
                if dot_follows {
                    self.at_line_start = false;
                }
                Step::Data {
                    len: n,
                    skip: usize::from(dot_follows),
                }
            }
            Scan::DropDot => {
                self.at_line_start = false;
                Step::Data { len: 0, skip: 1 }
            }
            Scan::End => {
                self.done = true;
                Step::End { len: 3 }
            }
            Scan::Normalized { n, skip, extra } => {
                // Only a real CRLF starts a line: a normalised one never ends the data.
                self.at_line_start = false;
                if n > 0 {
                    self.pending = Some((skip, extra));
                    Step::Data { len: n, skip: 0 }
                } else {
                    Step::Insert {
                        octets: extra,
                        skip,
                    }
                }
            }
            Scan::Bare { at, error } => {
                if at > 0 {
                    self.at_line_start = false;
                    Step::Data { len: at, skip: 0 }
                } else {
                    self.reported_at = Some(self.offset);
                    Step::Error(error)
                }
            }
            Scan::NeedMore => Step::NeedMore,
        };
        self.consume(step)
    }

    /// Counts what `step` consumes; the caller removes it from its buffer.
    fn consume(&mut self, step: Step) -> Step {
        self.offset += step.consumed() as u64;
        step
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
        if self.at_line_start && first == b'.' {
            return match dot_line(buf, 0)? {
                DotLine::End => Some(Scan::End),
                DotLine::Stuffed => Some(Scan::DropDot),
            };
        }
        if first == b'\n' {
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
                    Some(b'.') => match dot_line(buf, pos) {
                        None => return data_or_more(pos, true),
                        Some(DotLine::End) if pos == 0 => return Scan::End,
                        Some(DotLine::Stuffed) if pos == 0 => return Scan::DropDot,
                        Some(_) => {
                            return Scan::Data {
                                n: pos,
                                line_start: true,
                            };
                        }
                    },
                    Some(_) => {}
                }
            }
            // `pos` only moves to just after a line end found in `buf`, so never past its end;
            // were it, the buffer is handed on whole as data rather than searched as empty.
            let Some(rest) = buf.get(pos..) else {
                return data_or_more(buf.len(), false);
            };
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

/// A line that starts with a dot.
enum DotLine {
    /// "." CRLF: the end of the data.
    End,
    /// Any other: the first dot was added by stuffing.
    Stuffed,
}

/// What the line starting with the dot at `pos` is; `None` until enough of it has arrived.
fn dot_line(buf: &[u8], pos: usize) -> Option<DotLine> {
    match (buf.get(pos + 1), buf.get(pos + 2)) {
        (None, _) | (Some(b'\r'), None) => None,
        (Some(b'\r'), Some(b'\n')) => Some(DotLine::End),
        _ => Some(DotLine::Stuffed),
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

/// `input[from..to]` for bounds the stuffer computed, or [`DotError::Internal`]: a wrong bound
/// fails the write instead of dropping octets of the message.
#[inline(always)]
fn span(input: &[u8], from: usize, to: usize, base: u64) -> Result<&[u8], DotError> {
    input.get(from..to).ok_or(DotError::Internal {
        offset: base.saturating_add(from as u64),
    })
}

/// Octets a block of [`clean_blocks`] covers.
const BLOCK: usize = 64;

/// The length of the front of `buf` that needs no per-line work: no LF in it is followed by a
/// dot, every CR is followed by LF and every LF preceded by CR. It ends just after the LF
/// before a dot line, just before a bare CR or LF, or at the end of `buf`, and never between
/// a CR and its LF. The caller makes sure `buf` does not start with LF.
fn clean_prefix(buf: &[u8]) -> usize {
    clean_prefix_after(buf, clean_blocks(buf, |_| {}))
}

/// [`clean_prefix`] once [`clean_blocks`] has passed over `blocks` octets: where the block it
/// stopped at breaks the rule, or how much of the last, partial block is clean.
fn clean_prefix_after(buf: &[u8], blocks: usize) -> usize {
    // `blocks` octets were passed over in whole blocks of `buf`; were it more, nothing counts
    // as clean and the line-by-line paths take the buffer (slower, the same output).
    let Some((_, rest)) = buf.split_at_checked(blocks) else {
        return 0;
    };
    let stop = match (
        rest.get(..BLOCK),
        rest.get(1..=BLOCK),
        rest.get(2..BLOCK + 2),
    ) {
        (Some(x), Some(y), Some(z)) => first_flag(x, y, z).map_or(BLOCK, |i| stop_at(rest, i)),
        _ => clean_octets(rest),
    };
    // A clean block's last CR was checked against the LF after it, so this never steps back
    // into the blocks (their copy in the stuffer stays valid).
    let mut n = blocks + stop;
    if n > 0 && buf.get(n - 1) == Some(&b'\r') {
        n -= 1;
    }
    debug_assert!(n >= blocks, "stepped back into checked blocks");
    n
}

/// The rule [`clean_blocks`] checks, for octet `i` given the octets at `i`, `i + 1` and
/// `i + 2`: a CR at `i` must be matched by an LF at `i + 1` and the other way round, and an LF
/// at `i + 1` must not be followed by a dot. Nonzero where the rule is broken.
#[inline(always)]
fn flag(x: u8, y: u8, z: u8) -> u8 {
    let cr = u8::from(x == b'\r');
    let lf = u8::from(y == b'\n');
    let dot = u8::from(z == b'.');
    (cr ^ lf) | (lf & dot)
}

/// The whole blocks at the front of `buf` that [`clean_prefix`] can pass over.
///
/// Written as a branch-free fold over fixed blocks so the compiler vectorises it: one pass over
/// the data instead of a search per line. Octet `i` of a block is checked by [`flag`] with the
/// octets `i`, `i + 1` and `i + 2`: three comparisons and four bit operations per octet (SSE2
/// on baseline x86-64 does 16 at a time). An LF at the very start of `buf` is not looked at,
/// hence the caller's guarantee.
///
/// `on_clean` gets each clean block as soon as it is checked: the stuffer copies it while it is
/// still in the nearest cache, so the check and the copy cost little more than the check.
fn clean_blocks(buf: &[u8], mut on_clean: impl FnMut(&[u8; BLOCK])) -> usize {
    let (Some(x), Some(y), Some(z)) = (
        buf.get(..buf.len().saturating_sub(2)),
        buf.get(1..),
        buf.get(2..),
    ) else {
        return 0;
    };
    // Fixed-size blocks, so the compiler knows each fold's length and unrolls it.
    let blocks = x
        .as_chunks::<BLOCK>()
        .0
        .iter()
        .zip(y.as_chunks::<BLOCK>().0)
        .zip(z.as_chunks::<BLOCK>().0);
    let mut n = 0;
    for ((x, y), z) in blocks {
        let flags = x
            .iter()
            .zip(y)
            .zip(z)
            .fold(0u8, |acc, ((&x, &y), &z)| acc | flag(x, y, z));
        if flags != 0 {
            break;
        }
        on_clean(x);
        n += BLOCK;
    }
    n
}

/// The first octet of a block that [`flag`] marks, found without a branch per octet: the
/// flags are computed into an array (vectorised like [`clean_blocks`]), packed eight at a time
/// into a bit mask, and the lowest bit set is the answer. This runs once per dot line, so it
/// matters almost as much as the blocks themselves; a search with an early exit would cost a
/// mispredicted branch each time.
fn first_flag(x: &[u8], y: &[u8], z: &[u8]) -> Option<usize> {
    let mut flags = [0u8; BLOCK];
    for (f, ((&x, &y), &z)) in flags.iter_mut().zip(x.iter().zip(y).zip(z)) {
        *f = flag(x, y, z);
    }
    let mask = flags
        .chunks_exact(8)
        .zip((0..).step_by(8))
        .fold(0u64, |mask, (word, at)| {
            let word = word.try_into().map_or(0, u64::from_le_bytes);
            mask | (pack_bits(word) << at)
        });
    (mask != 0).then(|| mask.trailing_zeros() as usize)
}

/// Packs eight octets that are each 0 or 1 into the low eight bits, octet `i` into bit `i`.
/// The multiplication moves octet `i`'s bit to bit `56 + i`, and no two partial products meet
/// in the top octet, so nothing carries into it.
fn pack_bits(word: u64) -> u64 {
    word.wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// Where [`clean_prefix`] stops for a flag at `i`: at a bare CR (`i`), at a bare LF (`i + 1`),
/// or after the CRLF before a dot line (`i + 2`).
fn stop_at(buf: &[u8], i: usize) -> usize {
    match (buf.get(i) == Some(&b'\r'), buf.get(i + 1) == Some(&b'\n')) {
        (true, false) => i,
        (false, true) => i + 1,
        _ => i + 2,
    }
}

/// [`clean_prefix`]'s rule octet by octet, for the last, partial block of the buffer.
fn clean_octets(buf: &[u8]) -> usize {
    for (i, pair) in buf.windows(2).enumerate() {
        let &[x, y] = pair else { break };
        if flag(x, y, buf.get(i + 2).copied().unwrap_or(0)) != 0 {
            return stop_at(buf, i);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_bits_packs_every_pattern() {
        for bits in 0u64..256 {
            let word = (0..8).fold(0u64, |w, i| w | (((bits >> i) & 1) << (8 * i)));
            assert_eq!(pack_bits(word), bits, "pattern {bits:08b}");
        }
    }

    #[test]
    fn first_flag_finds_each_position() {
        for at in 0..BLOCK {
            let mut buf = [b'a'; BLOCK + 2];
            buf[at] = b'\r';
            let found = first_flag(&buf[..BLOCK], &buf[1..=BLOCK], &buf[2..]);
            assert_eq!(found, Some(at), "bare CR at {at}");
        }
        let clean = [b'a'; BLOCK + 2];
        assert_eq!(
            first_flag(&clean[..BLOCK], &clean[1..=BLOCK], &clean[2..]),
            None
        );
    }
}
