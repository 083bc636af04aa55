//! Stuff then un-stuff at arbitrary chunkings gives the body back with its line ends
//! normalised; un-stuffing arbitrary wire bytes is split-invariant and never panics; the
//! borrowed APIs (`step`, `write_pieces`) give what the `Bytes` ones give.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use proto_core::testing::dot::{
    longest_normalised_line, normalised, unstuff_polled, unstuff_stepped,
};
use proto_core::{BareLineEnding, DotError, DotStuffer, StuffConfig};

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
    let outcome = unstuff_polled(BareLineEnding::Reject, mail_fuzz::chunks(&wire, sizes));
    assert!(outcome.ended && outcome.errors.is_empty() && outcome.rest.is_empty());
    assert_eq!(outcome.data, normalised(body));

    // With a line limit the stuffer refuses exactly the bodies with a longer line, and
    // otherwise writes what it writes without one.
    let max = usize::from(sizes_len) * 2;
    let mut limited = DotStuffer::new(StuffConfig::new().max_line_len(Some(max)));
    let mut limited_wire = BytesMut::new();
    let refused = mail_fuzz::chunks(body, sizes)
        .try_for_each(|chunk| limited.write(chunk, &mut limited_wire))
        .and_then(|()| limited.finish(&mut limited_wire))
        .err();
    let longest = longest_normalised_line(body);
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
        let whole = unstuff_polled(endings, std::iter::once(body));
        let pieces = unstuff_polled(endings, mail_fuzz::chunks(body, sizes));
        assert_eq!(whole, pieces, "split changed the outcome");
        let stepped = unstuff_stepped(endings, mail_fuzz::chunks(body, sizes));
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
