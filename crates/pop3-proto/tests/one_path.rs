//! One parse path (issue 15): the codec frames lines exactly as the machines' `LineFramer`
//! does (commands as the server reads them, responses as the client does), and the STAT
//! answer's one-pass reading agrees with the field-by-field one.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use bytes::BytesMut;
use pop3_proto::{ParseErrorKind, Response};
use pop3_proto::{
    Parsed, ResponseContext, parse_command, parse_command_line, parse_response, parse_stat_text,
    parse_status_line,
};
use proptest::prelude::*;
use proto_core::{BareLineEnding, LineFramer};

const PIECES: &[&str] = &[
    "USER",
    "RETR",
    "STAT",
    "+OK",
    "-ERR",
    " ",
    "1",
    "20 1048213",
    "alice@example.com",
    "\r\n",
    "\r",
    "\n",
    "\0",
    "x",
    "\t",
    "é",
];

fn input() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(PIECES), 0..8)
        .prop_map(|pieces| pieces.concat().into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// What the server's framer cuts (255 octets, Reject) is what `parse_command` parses.
    #[test]
    fn commands_are_framed_as_the_server_frames_them(input in input()) {
        let mut buf = BytesMut::from(&input[..]);
        let polled = LineFramer::new(255, BareLineEnding::Reject).poll_line(&mut buf);
        let parsed = parse_command(&input);
        match polled {
            None => prop_assert_eq!(parsed, Ok(Parsed::Incomplete)),
            Some(Err(_)) => prop_assert!(parsed.is_err()),
            Some(Ok(line)) => match parse_command_line(&line) {
                Ok(value) => prop_assert_eq!(
                    parsed,
                    Ok(Parsed::Complete { value, consumed: input.len() - buf.len() })
                ),
                Err(_) => prop_assert!(parsed.is_err()),
            },
        }
    }

    /// What the client's framer cuts (512 octets, Accept) is the status line `parse_response`
    /// reads.
    #[test]
    fn responses_are_framed_as_the_client_frames_them(input in input()) {
        let mut buf = BytesMut::from(&input[..]);
        let polled = LineFramer::new(512, BareLineEnding::Accept).poll_line(&mut buf);
        let parsed = parse_response(ResponseContext::Status, &input);
        match polled {
            None => prop_assert_eq!(parsed, Ok(Parsed::Incomplete)),
            Some(Err(_)) => prop_assert!(parsed.is_err()),
            Some(Ok(line)) => match parse_status_line(&line) {
                Ok(status) => prop_assert_eq!(
                    parsed,
                    Ok(Parsed::Complete {
                        value: Response::Status(status),
                        consumed: input.len() - buf.len(),
                    })
                ),
                Err(_) => prop_assert!(parsed.is_err()),
            },
        }
    }

    /// The STAT answer read in one pass gives what `parse_stat_text` (the client's reading)
    /// gives, and the text after the numbers.
    #[test]
    fn stat_answers_read_as_the_client_reads_them(
        text in "[0-9 a]{0,12}|[0-9]{1,22} [0-9]{1,22}( [a-z ]{0,4})?"
    ) {
        let wire = format!("+OK {text}\r\n");
        match (parse_response(ResponseContext::Stat, wire.as_bytes()), parse_stat_text(text.as_bytes())) {
            (Ok(Parsed::Complete { value: Response::Stat { count, size, line }, .. }), Ok(expected)) => {
                prop_assert_eq!((count, size), expected);
                let rest = text.splitn(3, ' ').nth(2).unwrap_or("");
                prop_assert_eq!(&line.text[..], rest.as_bytes());
            }
            (Err(e), Err(_)) => prop_assert_eq!(e.kind, ParseErrorKind::BadListing),
            (ours, client) => prop_assert!(false, "{:?} against {:?}", ours, client),
        }
    }
}

#[test]
fn stat_answers_at_the_edges() {
    let stat = |text: &str| match parse_response(
        ResponseContext::Stat,
        format!("+OK {text}\r\n").as_bytes(),
    ) {
        Ok(Parsed::Complete {
            value: Response::Stat { count, size, .. },
            ..
        }) => Ok((count, size)),
        Ok(other) => panic!("{other:?}"),
        Err(e) => Err((e.kind, e.offset)),
    };
    assert_eq!(stat("20 1048213"), Ok((20, 1_048_213)));
    assert_eq!(
        stat("4294967295 18446744073709551615"),
        Ok((u32::MAX, u64::MAX))
    );
    assert_eq!(
        stat("4294967296 1"),
        Err((ParseErrorKind::BadListing, 4)),
        "count past u32"
    );
    assert_eq!(
        stat("1 18446744073709551616"),
        Err((ParseErrorKind::BadListing, 6)),
        "size past u64"
    );
    assert_eq!(stat("1 2 octets"), Ok((1, 2)));
    assert_eq!(stat("12"), Err((ParseErrorKind::BadListing, 6)));
    assert_eq!(stat("1  2"), Err((ParseErrorKind::BadListing, 6)));
}
