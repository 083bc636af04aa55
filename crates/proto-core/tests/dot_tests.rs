//! Dot-stuffing and un-stuffing: the edges of RFC 5321 4.5.2 and RFC 1939 3, the bogus
//! end-of-data forms, the policies for bare line ends, and round trips at any chunking.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use bytes::BytesMut;
use proptest::prelude::*;
use proto_core::testing::dot::{
    Outcome, longest_normalised_line, normalised, split_at_cuts, unstuff_polled, unstuff_stepped,
};
use proto_core::{BareLineEnding, DotError, DotStuffer, StuffConfig};

fn unstuff(endings: BareLineEnding, input: &[u8]) -> Outcome {
    let whole = unstuff_polled(endings, [input]);
    let bytewise = unstuff_polled(endings, input.chunks(1));
    assert_eq!(
        whole, bytewise,
        "byte-by-byte feeding must give the same outcome"
    );
    whole
}

fn stuff(config: StuffConfig, chunks: &[&[u8]]) -> Result<Vec<u8>, DotError> {
    let mut stuffer = DotStuffer::new(config);
    let mut out = BytesMut::new();
    for chunk in chunks {
        stuffer.write(chunk, &mut out)?;
    }
    stuffer.finish(&mut out)?;
    Ok(out.to_vec())
}

#[test]
fn dot_alone_on_the_first_line_ends_empty_data() {
    let outcome = unstuff(BareLineEnding::Reject, b".\r\nQUIT\r\n");
    assert_eq!(
        outcome,
        Outcome {
            data: vec![],
            errors: vec![],
            ended: true,
            rest: b"QUIT\r\n".to_vec()
        }
    );
}

#[test]
fn a_leading_dot_is_removed_from_lines_with_more_characters() {
    let outcome = unstuff(BareLineEnding::Reject, b"..\r\n.x\r\n...y\r\nz.\r\n.\r\n");
    assert_eq!(outcome.data, b".\r\nx\r\n..y\r\nz.\r\n");
    assert!(outcome.ended && outcome.errors.is_empty() && outcome.rest.is_empty());
}

#[test]
fn bytes_after_the_terminator_stay_in_the_buffer() {
    let outcome = unstuff(BareLineEnding::Reject, b"body\r\n.\r\nMAIL FROM:<a@b>\r\n");
    assert_eq!(outcome.data, b"body\r\n");
    assert_eq!(outcome.rest, b"MAIL FROM:<a@b>\r\n");
}

/// The forms some servers once took as the end of data (SMTP smuggling). None ends it here.
const BOGUS_ENDS: [(&str, &[u8]); 8] = [
    ("LF.LF", b"\n.\n"),
    ("LF.CRLF", b"\n.\r\n"),
    ("CRLF.LF", b"\r\n.\n"),
    ("CR.CR", b"\r.\r"),
    ("CRLF.CR", b"\r\n.\r"),
    ("CR.CRLF", b"\r.\r\n"),
    ("LF.CR", b"\n.\r"),
    ("CRLF.CRCRLF", b"\r\n.\r\r\n"),
];

#[test]
fn bogus_end_forms_never_end_the_data() {
    for (name, form) in BOGUS_ENDS {
        let mut input = b"smuggle".to_vec();
        input.extend_from_slice(form);
        input.extend_from_slice(b"MAIL FROM:<evil@example>\r\n.\r\nNEXT");
        for endings in [
            BareLineEnding::Reject,
            BareLineEnding::Accept,
            BareLineEnding::Normalize,
        ] {
            let outcome = unstuff(endings, &input);
            assert!(
                outcome.ended,
                "{name} {endings:?}: the real terminator ends the data"
            );
            assert_eq!(
                outcome.rest, b"NEXT",
                "{name} {endings:?}: ended at the real terminator only"
            );
            assert!(
                outcome.data.ends_with(b"MAIL FROM:<evil@example>\r\n"),
                "{name} {endings:?}: the smuggled line is data"
            );
            match endings {
                BareLineEnding::Reject => {
                    assert!(!outcome.errors.is_empty(), "{name}: bare line end reported")
                }
                _ => assert!(outcome.errors.is_empty(), "{name} {endings:?}: no error"),
            }
        }
    }
}

#[test]
fn bare_line_ends_in_data_by_policy() {
    let input = b"a\nb\rc\r\n.\r\n";
    let reject = unstuff(BareLineEnding::Reject, input);
    // Reported, then passed on as data so that a server can drain to the end and refuse.
    assert_eq!(
        reject.errors,
        vec![
            DotError::BareLf { offset: 1 },
            DotError::BareCr { offset: 3 }
        ]
    );
    assert_eq!(reject.data, b"a\nb\rc\r\n");
    assert!(reject.ended);
    let accept = unstuff(BareLineEnding::Accept, input);
    assert_eq!(accept.data, b"a\nb\rc\r\n");
    assert!(accept.errors.is_empty() && accept.ended);
    let normalize = unstuff(BareLineEnding::Normalize, input);
    assert_eq!(normalize.data, b"a\r\nb\r\nc\r\n");
    assert!(normalize.errors.is_empty() && normalize.ended);
}

#[test]
fn unfinished_data_waits() {
    for input in [&b""[..], b".", b".\r", b"x\r\n.", b"x\r\n.\r", b"x\r"] {
        let outcome = unstuff(BareLineEnding::Reject, input);
        assert!(!outcome.ended, "{input:?} is not the end yet");
    }
    // The held back octets are not lost: the data so far plus what waits is the input.
    let outcome = unstuff(BareLineEnding::Reject, b"x\r\n.\r");
    assert_eq!(outcome.data, b"x\r\n");
    assert_eq!(outcome.rest, b".\r");
}

#[test]
fn stuffer_normalises_stuffs_and_terminates() {
    let out = stuff(StuffConfig::new(), &[b".a\n..b\r", b"\nc\rd"]).unwrap();
    assert_eq!(out, b"..a\r\n...b\r\nc\r\nd\r\n.\r\n");
    assert_eq!(stuff(StuffConfig::new(), &[]).unwrap(), b".\r\n");
    assert_eq!(
        stuff(StuffConfig::new(), &[b"x\r\n"]).unwrap(),
        b"x\r\n.\r\n"
    );
    assert_eq!(
        stuff(StuffConfig::new(), &[b"x\r", b""]).unwrap(),
        b"x\r\n.\r\n"
    );
    assert_eq!(stuff(StuffConfig::new(), &[b"."]).unwrap(), b"..\r\n.\r\n");
}

#[test]
fn stuffer_refuses_bare_line_ends_when_told() {
    let reject = StuffConfig::new().endings(BareLineEnding::Reject);
    assert_eq!(
        stuff(reject, &[b"ab\ncd"]),
        Err(DotError::BareLf { offset: 2 })
    );
    assert_eq!(
        stuff(reject, &[b"ab\rcd"]),
        Err(DotError::BareCr { offset: 2 })
    );
    assert_eq!(
        stuff(reject, &[b"ab\r", b"cd"]),
        Err(DotError::BareCr { offset: 2 })
    );
    let accept = StuffConfig::new().endings(BareLineEnding::Accept);
    assert_eq!(stuff(accept, &[b"a\nb\rc"]).unwrap(), b"a\nb\rc\r\n.\r\n");
}

#[test]
fn stuffer_line_limit_at_edge() {
    let config = StuffConfig::new().max_line_len(Some(998));
    let ok = vec![b'a'; 998];
    assert!(stuff(config, &[&ok, b"\r\n", &ok]).is_ok());
    let long = vec![b'a'; 999];
    assert_eq!(
        stuff(config, &[&long]),
        Err(DotError::LineTooLong {
            limit: 998,
            offset: 999
        })
    );
    // Split across chunks, the line is still counted whole.
    assert!(matches!(
        stuff(config, &[&ok[..500], &long[..499]]),
        Err(DotError::LineTooLong { .. })
    ));
}

#[test]
fn stuffer_checks_eight_bit_and_nul_declarations() {
    let seven_bit = StuffConfig::new().allow_8bit(false);
    assert_eq!(
        stuff(seven_bit, &[b"ab", "é".as_bytes()]),
        Err(DotError::EightBit { offset: 2 })
    );
    assert!(stuff(StuffConfig::new(), &["é".as_bytes()]).is_ok());
    let no_nul = StuffConfig::new().allow_nul(false);
    assert_eq!(stuff(no_nul, &[b"a\0"]), Err(DotError::Nul { offset: 1 }));
}

/// Long clean lines with now and then a dot line or a bare line end: what takes the block-wide
/// fast paths, and what makes them stop.
fn long_lines() -> impl Strategy<Value = Vec<u8>> {
    let line = (
        prop_oneof![
            6 => Just(&b""[..]),
            2 => Just(&b"."[..]),
            1 => Just(&b"\r"[..]),
            1 => Just(&b"\n"[..]),
        ],
        0usize..200,
        prop_oneof![8 => Just(&b"\r\n"[..]), 1 => Just(&b"\n"[..]), 1 => Just(&b"\r"[..])],
    );
    prop::collection::vec(line, 0..40).prop_map(|lines| {
        let mut body = Vec::new();
        for (start, len, end) in lines {
            body.extend_from_slice(start);
            body.extend((0..len).map(|i| b'a' + (i % 26) as u8));
            body.extend_from_slice(end);
        }
        body
    })
}

fn any_endings() -> impl Strategy<Value = BareLineEnding> {
    prop_oneof![
        Just(BareLineEnding::Reject),
        Just(BareLineEnding::Accept),
        Just(BareLineEnding::Normalize),
    ]
}

fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    // Lines, dots, CR and LF are what matter; weight them.
    prop::collection::vec(
        prop_oneof![
            4 => Just(b'.'),
            3 => Just(b'\r'),
            3 => Just(b'\n'),
            6 => any::<u8>(),
        ],
        0..300,
    )
}

proptest! {
    #[test]
    fn unstuff_of_stuff_is_the_normalised_body(
        body in prop_oneof![body_bytes(), long_lines()],
        in_cuts in prop::collection::vec(any::<usize>(), 0..8),
        out_cuts in prop::collection::vec(any::<usize>(), 0..8),
        trailing in prop::collection::vec(any::<u8>(), 0..10),
    ) {
        let stuffed = stuff(StuffConfig::new(), &split_at_cuts(&body, &in_cuts)).unwrap();
        let mut wire = stuffed.clone();
        wire.extend_from_slice(&trailing);
        let outcome = unstuff_polled(BareLineEnding::Reject, split_at_cuts(&wire, &out_cuts));
        prop_assert!(outcome.errors.is_empty());
        prop_assert!(outcome.ended);
        prop_assert_eq!(outcome.data, normalised(&body));
        prop_assert_eq!(outcome.rest, trailing);
    }

    #[test]
    fn unstuffer_is_split_invariant_on_any_input(
        input in body_bytes(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
        endings in any_endings(),
    ) {
        let whole = unstuff_polled(endings, [&input[..]]);
        let pieces = unstuff_polled(endings, split_at_cuts(&input, &cuts));
        prop_assert_eq!(whole, pieces);
    }

    #[test]
    fn borrowed_steps_give_what_poll_gives(
        input in prop_oneof![body_bytes(), long_lines()],
        cuts in prop::collection::vec(any::<usize>(), 0..8),
        endings in any_endings(),
    ) {
        let polled = unstuff_polled(endings, split_at_cuts(&input, &cuts));
        let stepped = unstuff_stepped(endings, split_at_cuts(&input, &cuts));
        prop_assert_eq!(polled, stepped);
    }

    #[test]
    fn pieces_are_what_write_copies(
        body in prop_oneof![body_bytes(), long_lines()],
        cuts in prop::collection::vec(any::<usize>(), 0..8),
        endings in any_endings(),
        stuffing in any::<bool>(),
    ) {
        let config = StuffConfig::new().endings(endings).stuffing(stuffing);
        let copied = stuff(config, &split_at_cuts(&body, &cuts));
        let mut stuffer = DotStuffer::new(config);
        let mut pieces: Vec<&[u8]> = Vec::new();
        let pieced = split_at_cuts(&body, &cuts)
            .into_iter()
            .try_for_each(|chunk| stuffer.write_pieces(chunk, |piece| pieces.push(piece)))
            .and_then(|()| stuffer.finish_pieces(|piece| pieces.push(piece)))
            .map(|()| pieces.concat());
        prop_assert_eq!(copied, pieced);
    }

    #[test]
    fn line_limit_refuses_exactly_the_bodies_with_a_long_line(
        body in prop_oneof![body_bytes(), long_lines()],
        cuts in prop::collection::vec(any::<usize>(), 0..8),
        max in 0usize..250,
    ) {
        let config = StuffConfig::new().max_line_len(Some(max));
        let limited = stuff(config, &split_at_cuts(&body, &cuts));
        if longest_normalised_line(&body) <= max {
            prop_assert_eq!(limited, stuff(StuffConfig::new(), &[&body]));
        } else {
            let is_too_long = matches!(limited, Err(DotError::LineTooLong { limit, offset })
                if limit == max && offset <= body.len() as u64);
            prop_assert!(is_too_long, "{:?}", limited);
        }
    }

    #[test]
    fn stuffer_is_split_invariant(body in body_bytes(), cuts in prop::collection::vec(any::<usize>(), 0..8)) {
        let whole = stuff(StuffConfig::new(), &[&body]).unwrap();
        let pieces = stuff(StuffConfig::new(), &split_at_cuts(&body, &cuts)).unwrap();
        prop_assert_eq!(whole, pieces);
    }
}

/// The fast path works on 64-octet blocks: a dot line, a bare CR or a bare LF on either side of
/// a block boundary must be found exactly as the line-by-line path finds it.
#[test]
fn specials_at_block_boundaries_are_found() {
    let line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n";
    let mut body = Vec::new();
    while body.len() < 600 {
        body.extend_from_slice(line);
    }
    for at in 50..200 {
        // A bare LF or CR at `at` (replacing an ordinary octet), in Reject mode.
        if body[at] == b'\r' || body[at] == b'\n' || body.get(at + 1) == Some(&b'\n') {
            continue;
        }
        let offset = at as u64;
        for (octet, error) in [
            (b'\n', DotError::BareLf { offset }),
            (b'\r', DotError::BareCr { offset }),
        ] {
            let mut wire = body.clone();
            wire[at] = octet;
            wire.extend_from_slice(b".\r\n");
            let outcome = unstuff(BareLineEnding::Reject, &wire);
            assert_eq!(outcome.errors, vec![error], "bare {octet} at {at}");
            assert_eq!(outcome.data, &wire[..wire.len() - 3]);
            assert!(outcome.ended);
        }

        // A dot-stuffed line starting at `at`.
        let mut wire = body[..at].to_vec();
        if !wire.ends_with(b"\r\n") {
            wire.extend_from_slice(b"\r\n");
        }
        let line_start = wire.len();
        wire.extend_from_slice(b"..x\r\n");
        wire.extend_from_slice(&body[at..]);
        if !wire.ends_with(b"\r\n") {
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(b".\r\n");
        for endings in [BareLineEnding::Reject, BareLineEnding::Accept] {
            let outcome = unstuff(endings, &wire);
            let mut expected = wire[..line_start].to_vec();
            expected.extend_from_slice(&wire[line_start + 1..wire.len() - 3]);
            assert_eq!(
                outcome.data, expected,
                "dot line at {line_start} {endings:?}"
            );
            assert!(outcome.ended && outcome.errors.is_empty());
        }
        // And stuffing it back gives the wire form.
        assert_eq!(
            stuff(
                StuffConfig::new(),
                &[&wire[..line_start], &expected_body(&wire, line_start)]
            )
            .unwrap(),
            wire
        );
    }
}

fn expected_body(wire: &[u8], line_start: usize) -> Vec<u8> {
    wire[line_start + 1..wire.len() - 3].to_vec()
}

#[test]
fn without_stuffing_only_line_ends_are_normalised() {
    let config = StuffConfig::new().stuffing(false);
    assert_eq!(
        stuff(config, &[b".a\n..b\r", b"\nc\rd"]).unwrap(),
        b".a\r\n..b\r\nc\r\nd"
    );
    assert_eq!(stuff(config, &[b"x\r"]).unwrap(), b"x\r\n");
    assert_eq!(stuff(config, &[]).unwrap(), b"");
    let strict = config.allow_8bit(false);
    assert_eq!(
        stuff(strict, &["é".as_bytes()]),
        Err(DotError::EightBit { offset: 0 })
    );
}
