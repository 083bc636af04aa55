//! Drivers and references for testing dot-stuffing: the un-stuffer run over chunks through
//! either API into one [`Outcome`], the body a stuffer must produce, and cuts of an input.

use bytes::BytesMut;

use crate::dot::Step;
use crate::{BareLineEnding, DotError, DotUnstuffer, Unstuffed};

/// What un-stuffing produced: the data, the errors in order, whether it ended, and the octets
/// after the terminator.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The data handed on, dot-stuffing removed.
    pub data: Vec<u8>,
    /// Every error reported, in order.
    pub errors: Vec<DotError>,
    /// Whether the terminating line was consumed.
    pub ended: bool,
    /// What was left in the buffer.
    pub rest: Vec<u8>,
}

/// Un-stuffs `chunks` through [`DotUnstuffer::poll`], fed one after the other into one buffer.
///
/// # Panics
///
/// If `poll` hands on an empty chunk of data.
pub fn unstuff_polled<'a>(
    endings: BareLineEnding,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Outcome {
    let mut unstuffer = DotUnstuffer::new(endings);
    let mut buf = BytesMut::new();
    let mut outcome = Outcome::default();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while let Some(step) = unstuffer.poll(&mut buf) {
            match step {
                Ok(Unstuffed::Data(data)) => {
                    assert!(!data.is_empty(), "no empty chunks");
                    outcome.data.extend_from_slice(&data);
                }
                Ok(Unstuffed::End) => outcome.ended = true,
                Err(e) => outcome.errors.push(e),
            }
        }
    }
    outcome.rest = buf.to_vec();
    outcome
}

/// [`unstuff_polled`] through the borrowed [`DotUnstuffer::step`], over a plain `Vec` the
/// caller drains.
pub fn unstuff_stepped<'a>(
    endings: BareLineEnding,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Outcome {
    let mut unstuffer = DotUnstuffer::new(endings);
    let mut buf: Vec<u8> = Vec::new();
    let mut outcome = Outcome::default();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while !unstuffer.is_done() {
            let step = unstuffer.step(&buf);
            match &step {
                Step::Data { len, .. } => match buf.get(..*len) {
                    Some(data) => outcome.data.extend_from_slice(data),
                    // The un-stuffer handed on more than it was given: recorded, so that the
                    // test comparing outcomes fails, instead of cutting the data short.
                    None => {
                        outcome.errors.push(DotError::Internal {
                            offset: unstuffer.bytes_consumed(),
                        });
                        break;
                    }
                },
                Step::Insert { octets, .. } => outcome.data.extend_from_slice(octets),
                Step::End { .. } => outcome.ended = true,
                Step::Error(e) => outcome.errors.push(e.clone()),
                Step::NeedMore => break,
            }
            buf.drain(..step.consumed().min(buf.len()));
        }
    }
    outcome.rest = buf;
    outcome
}

/// `input` with every bare CR and bare LF made CRLF, and CRLF added at the end of a non-empty
/// result that lacks it: the body a normalising stuffer sends, before stuffing.
pub fn normalised(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut octets = input.iter().peekable();
    while let Some(&b) = octets.next() {
        match b {
            b'\r' if octets.peek() == Some(&&b'\n') => {
                octets.next();
                out.extend_from_slice(b"\r\n");
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            _ => out.push(b),
        }
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The longest line of `input` once [`normalised`], without its CRLF: what a stuffer's line
/// limit is held to.
pub fn longest_normalised_line(input: &[u8]) -> usize {
    normalised(input)
        .split(|&b| b == b'\n')
        .map(|line| line.len().saturating_sub(1))
        .max()
        .unwrap_or(0)
}

/// `data` cut at each of `cuts` (taken modulo its length plus one, in any order): the pieces
/// a property test feeds one after the other.
pub fn split_at_cuts<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
    points.sort_unstable();
    let mut chunks = Vec::new();
    let mut rest = data;
    let mut last = 0;
    for p in points.into_iter().chain([data.len()]) {
        // The points are sorted and at most the length, so each piece lies in what is left;
        // were one not to, the rest goes whole: the pieces always add up to `data`.
        let (chunk, after) = rest.split_at_checked(p - last).unwrap_or((rest, &[]));
        chunks.push(chunk);
        rest = after;
        last = p;
    }
    chunks
}
