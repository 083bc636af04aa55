//! The line framer gives the same lines and errors for any split of its input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use bytes::BytesMut;
use proptest::prelude::*;
use proto_core::testing::dot::split_at_cuts;
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
        let pieces = frame(max, endings, &split_at_cuts(&input, &cuts));
        let bytewise = frame(max, endings, &input.chunks(1).collect::<Vec<_>>());
        prop_assert_eq!(&whole, &pieces);
        prop_assert_eq!(&whole, &bytewise);
        for line in whole.0.iter().flatten() {
            prop_assert!(line.len() < max);
        }
    }
}

/// Lines of random lengths around `limit`, so that the block path, the exact path and the
/// hand-over between them all meet lines that fit and lines that do not.
fn lines_near(limit: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((0..limit * 2 + 130, any::<u8>()), 0..12).prop_map(|lines| {
        let mut data = Vec::new();
        for (len, fill) in lines {
            data.extend(std::iter::repeat_n(fill | 1, len));
            data.push(b'\n');
        }
        data
    })
}

proptest! {
    #[test]
    fn line_limit_finds_the_first_long_line_for_any_split(
        (limit, data) in (1usize..300).prop_flat_map(|limit| (Just(limit), lines_near(limit))),
        cuts in prop::collection::vec(any::<usize>(), 0..10),
    ) {
        let expected = proto_core::testing::first_long_line(&data, limit);
        let mut checker = proto_core::LineLimit::new(limit);
        let mut found = None;
        let mut offset = 0;
        for chunk in split_at_cuts(&data, &cuts) {
            if let Some(i) = checker.check(chunk) {
                found = found.or(Some(offset + i));
            }
            offset += chunk.len();
        }
        prop_assert_eq!(found, expected);
        let after_lf = data.iter().rposition(|&b| b == b'\n').map_or(data.len(), |lf| data.len() - lf - 1);
        prop_assert_eq!(checker.line_len(), after_lf);
    }
}
