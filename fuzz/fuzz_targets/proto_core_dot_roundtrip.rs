//! Stuff then un-stuff at arbitrary chunkings gives the body back with its line ends
//! normalised; un-stuffing arbitrary wire bytes is split-invariant and never panics; the
//! borrowed APIs (`step`, `write_pieces`) give what the `Bytes` ones give.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use proto_core::dot::Step;
use proto_core::{BareLineEnding, DotError, DotStuffer, DotUnstuffer, StuffConfig, Unstuffed};

#[derive(Debug, Default, PartialEq)]
struct Outcome {
    data: Vec<u8>,
    errors: Vec<DotError>,
    ended: bool,
    rest: Vec<u8>,
}

fn unstuff<'a>(endings: BareLineEnding, chunks: impl Iterator<Item = &'a [u8]>) -> Outcome {
    let mut unstuffer = DotUnstuffer::new(endings);
    let mut buf = BytesMut::new();
    let mut outcome = Outcome::default();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while let Some(step) = unstuffer.poll(&mut buf) {
            match step {
                Ok(Unstuffed::Data(data)) => outcome.data.extend_from_slice(&data),
                Ok(Unstuffed::End) => outcome.ended = true,
                Err(e) => outcome.errors.push(e),
            }
        }
    }
    outcome.rest = buf.to_vec();
    outcome
}

/// [`unstuff`] through the borrowed `step` API over a buffer the caller drains itself.
fn unstuff_steps<'a>(endings: BareLineEnding, chunks: impl Iterator<Item = &'a [u8]>) -> Outcome {
    let mut unstuffer = DotUnstuffer::new(endings);
    let mut buf: Vec<u8> = Vec::new();
    let mut outcome = Outcome::default();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while !unstuffer.is_done() {
            let step = unstuffer.step(&buf);
            match &step {
                Step::Data { len, .. } => outcome
                    .data
                    .extend_from_slice(buf.get(..*len).expect("in the buffer")),
                Step::Insert { octets, .. } => outcome.data.extend_from_slice(octets),
                Step::End { .. } => outcome.ended = true,
                Step::Error(e) => outcome.errors.push(e.clone()),
                Step::NeedMore => break,
                _ => unreachable!("no other steps"),
            }
            buf.drain(..step.consumed());
        }
    }
    outcome.rest = buf;
    outcome
}

fn normalise(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        match b {
            b'\r' if input.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 1;
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            _ => out.push(b),
        }
        i += 1;
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&sizes_len, rest)) = data.split_first() else {
        return;
    };
    let (sizes, body) = rest.split_at(usize::from(sizes_len % 16).min(rest.len()));

    // Round trip.
    let mut stuffer = DotStuffer::new(StuffConfig::new());
    let mut wire = BytesMut::new();
    for chunk in mail_fuzz::chunks(body, sizes) {
        stuffer
            .write(chunk, &mut wire)
            .expect("normalising stuffer never fails");
    }
    stuffer.finish(&mut wire).expect("finish");
    let outcome = unstuff(BareLineEnding::Reject, mail_fuzz::chunks(&wire, sizes));
    assert!(outcome.ended && outcome.errors.is_empty() && outcome.rest.is_empty());
    assert_eq!(outcome.data, normalise(body));

    // With a line limit the stuffer refuses exactly the bodies with a longer line, and
    // otherwise writes what it writes without one.
    let max = usize::from(sizes_len) * 2;
    let mut limited = DotStuffer::new(StuffConfig::new().max_line_len(Some(max)));
    let mut limited_wire = BytesMut::new();
    let refused = mail_fuzz::chunks(body, sizes)
        .try_for_each(|chunk| limited.write(chunk, &mut limited_wire))
        .and_then(|()| limited.finish(&mut limited_wire))
        .err();
    let normalised = normalise(body);
    let longest = normalised
        .split(|&b| b == b'\n')
        .map(|line| line.len().saturating_sub(1))
        .max()
        .unwrap_or(0);
    match refused {
        None => {
            assert!(longest <= max, "a line of {longest} passed the limit {max}");
            assert_eq!(&limited_wire[..], &wire[..], "the limit changed the output");
        }
        Some(DotError::LineTooLong { limit, .. }) => {
            assert_eq!(limit, max);
            assert!(
                longest > max,
                "refused lines of at most {longest} at the limit {max}"
            );
        }
        Some(other) => panic!("unexpected {other}"),
    }

    // The raw bytes as if they came from the wire.
    for endings in [
        BareLineEnding::Reject,
        BareLineEnding::Accept,
        BareLineEnding::Normalize,
    ] {
        let whole = unstuff(endings, std::iter::once(body));
        let pieces = unstuff(endings, mail_fuzz::chunks(body, sizes));
        assert_eq!(whole, pieces, "split changed the outcome");
        let stepped = unstuff_steps(endings, mail_fuzz::chunks(body, sizes));
        assert_eq!(pieces, stepped, "borrowed steps differ from poll");

        // The stuffer's pieces are what it copies, under every policy.
        let config = StuffConfig::new().endings(endings);
        let mut copying = DotStuffer::new(config);
        let mut piecing = DotStuffer::new(config);
        let mut copied = BytesMut::new();
        let mut pieces: Vec<&[u8]> = Vec::new();
        for chunk in mail_fuzz::chunks(body, sizes) {
            let a = copying.write(chunk, &mut copied);
            let b = piecing.write_pieces(chunk, |piece| pieces.push(piece));
            assert_eq!(a, b, "write and write_pieces disagree");
            if a.is_err() {
                break;
            }
        }
        if copying.finish(&mut copied).is_ok() {
            piecing
                .finish_pieces(|piece| pieces.push(piece))
                .expect("finish_pieces");
        }
        assert_eq!(
            &copied[..],
            &pieces.concat()[..],
            "pieces differ from the copy"
        );
    }
});
