//! Stuff then un-stuff at arbitrary chunkings gives the body back with its line ends
//! normalised; un-stuffing arbitrary wire bytes is split-invariant and never panics.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use proto_core::{BareLineEnding, DotError, DotStuffer, DotUnstuffer, StuffConfig, Unstuffed};

#[derive(Debug, PartialEq)]
struct Outcome {
    data: Vec<u8>,
    errors: Vec<DotError>,
    ended: bool,
    rest: Vec<u8>,
}

fn unstuff<'a>(endings: BareLineEnding, chunks: impl Iterator<Item = &'a [u8]>) -> Outcome {
    let mut unstuffer = DotUnstuffer::new(endings);
    let mut buf = BytesMut::new();
    let mut outcome = Outcome {
        data: Vec::new(),
        errors: Vec::new(),
        ended: false,
        rest: Vec::new(),
    };
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

    // The raw bytes as if they came from the wire.
    for endings in [
        BareLineEnding::Reject,
        BareLineEnding::Accept,
        BareLineEnding::Normalize,
    ] {
        let whole = unstuff(endings, std::iter::once(body));
        let pieces = unstuff(endings, mail_fuzz::chunks(body, sizes));
        assert_eq!(whole, pieces, "split changed the outcome");
    }
});
