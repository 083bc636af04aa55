//! The line framer gives the same lines and errors for any split of its input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use bytes::BytesMut;
use proptest::prelude::*;
use proto_core::{BareLineEnding, LineError, LineFramer};

fn frame(
    max: usize,
    endings: BareLineEnding,
    chunks: &[&[u8]],
) -> (Vec<Result<Vec<u8>, LineError>>, Vec<u8>) {
    let mut framer = LineFramer::new(max, endings);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while let Some(line) = framer.poll_line(&mut buf) {
            out.push(line.map(|l| l.to_vec()));
        }
        assert!(
            buf.len() <= max.max(2) + chunk.len(),
            "never buffers a line past the limit: {buf:?} {} chunk {}",
            out.len(),
            chunk.len()
        );
    }
    (out, buf.to_vec())
}

fn split<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
    points.sort_unstable();
    let mut chunks = Vec::new();
    let mut last = 0;
    for p in points.into_iter().chain([data.len()]) {
        chunks.push(&data[last..p]);
        last = p;
    }
    chunks
}

proptest! {
    #[test]
    fn any_split_gives_the_same_lines(
        input in prop::collection::vec(prop_oneof![3 => Just(b'\r'), 3 => Just(b'\n'), 8 => any::<u8>()], 0..200),
        cuts in prop::collection::vec(any::<usize>(), 0..10),
        max in 2usize..40,
        endings in prop_oneof![
            Just(BareLineEnding::Reject),
            Just(BareLineEnding::Accept),
            Just(BareLineEnding::Normalize),
        ],
    ) {
        let whole = frame(max, endings, &[&input]);
        let pieces = frame(max, endings, &split(&input, &cuts));
        let bytewise = frame(max, endings, &input.chunks(1).collect::<Vec<_>>());
        prop_assert_eq!(&whole, &pieces);
        prop_assert_eq!(&whole, &bytewise);
        for line in whole.0.iter().flatten() {
            prop_assert!(line.len() < max);
        }
    }
}
