//! The line framer on arbitrary input: no panic, no line past the limit, and the same lines
//! and errors whether the input comes whole or in arbitrary pieces. The line limit over the
//! same pieces finds the first long line where an octet-by-octet count finds it.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use proto_core::{BareLineEnding, LineError, LineFramer, LineLimit};

type Lines = Vec<Result<Vec<u8>, LineError>>;

fn frame<'a>(max: usize, endings: BareLineEnding, chunks: impl Iterator<Item = &'a [u8]>) -> Lines {
    let mut framer = LineFramer::new(max, endings);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while let Some(line) = framer.poll_line(&mut buf) {
            if let Ok(line) = &line {
                assert!(line.len() < max, "a line past the limit came out");
            }
            out.push(line.map(|l| l.to_vec()));
        }
        assert!(buf.len() <= max + chunk.len(), "buffered past the limit");
    }
    out
}

fn check_limit<'a>(limit: usize, chunks: impl Iterator<Item = &'a [u8]>) -> Option<usize> {
    let mut checker = LineLimit::new(limit);
    let mut offset = 0;
    let mut found = None;
    for chunk in chunks {
        if let Some(i) = checker.check(chunk) {
            found = found.or(Some(offset + i));
        }
        offset += chunk.len();
    }
    found
}

fuzz_target!(|data: &[u8]| {
    let Some((&config, rest)) = data.split_first() else {
        return;
    };
    let Some((&sizes_len, rest)) = rest.split_first() else {
        return;
    };
    let (sizes, input) = rest.split_at(usize::from(sizes_len % 16).min(rest.len()));
    let max = usize::from(config >> 2).max(2);
    let endings = match config & 3 {
        0 => BareLineEnding::Reject,
        1 => BareLineEnding::Accept,
        _ => BareLineEnding::Normalize,
    };
    let whole = frame(max, endings, std::iter::once(input));
    let pieces = frame(max, endings, mail_fuzz::chunks(input, sizes));
    assert_eq!(whole, pieces, "split changed the lines");
    // Limits around the 64-octet blocks of the fast path too.
    let limit = usize::from(config) + usize::from(sizes_len & 1) * 64;
    assert_eq!(
        check_limit(limit, mail_fuzz::chunks(input, sizes)),
        proto_core::testing::first_long_line(input, limit),
        "the line limit disagrees"
    );
});
