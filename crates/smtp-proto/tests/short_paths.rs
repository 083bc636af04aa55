//! The codec's short paths (a verb alone, STARTTLS, BDAT read from the front of the input;
//! AUTH checked at the octet level) give exactly what the general path gives: the same value
//! and consumed length, or the same error, on inputs built from the pieces they look at.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::borrow::Cow;

use proptest::prelude::*;
use smtp_proto::Command;
use smtp_proto::parse_command_line;
use smtp_proto::*;

/// The general path of `parse_command`, without its short paths: the line up to the first
/// LF, CRLF required, then `parse_command_line`.
fn general(input: &[u8]) -> Result<Parsed<Command<'_>>, ParseError> {
    let Some(lf) = input.iter().position(|&b| b == b'\n') else {
        return Ok(Parsed::Incomplete);
    };
    let Some(line) = input[..lf].strip_suffix(b"\r") else {
        return Err(ParseError::new(ParseErrorKind::BareLineEnding, input, lf));
    };
    parse_command_line(line, &Limits::DEFAULT).map(|value| Parsed::Complete {
        value,
        consumed: lf + 1,
    })
}

const PIECES: &[&str] = &[
    "QUIT",
    "quit",
    "DATA",
    "dAtA",
    "RSET",
    "NOOP",
    "HELP",
    "QUIX",
    "STARTTLS",
    "StartTLS",
    "STARTTL",
    "BDAT",
    "bdat",
    " ",
    "  ",
    "0",
    "1",
    "86016",
    "18446744073709551615",
    "18446744073709551616",
    "123456789012345678901",
    " LAST",
    " last",
    " LASTX",
    " LAS",
    "\r\n",
    "\r",
    "\n",
    "x",
    "\t",
    "\0",
    "é",
];

fn input() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(PIECES), 1..7)
        .prop_map(|pieces| pieces.concat().into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn short_commands_parse_as_the_general_path(input in input()) {
        prop_assert_eq!(parse_command(&input), general(&input), "{:?}", input);
    }
}

#[test]
fn short_commands_on_their_own_and_pipelined() {
    for (input, value, consumed) in [
        (&b"QUIT\r\n"[..], Command::Quit, 6),
        (b"data\r\nMAIL FROM:<>\r\n", Command::Data, 6),
        (b"NOOP\r\n", Command::Noop(None), 6),
        (b"StartTLS\r\nEHLO x\r\n", Command::StartTls, 10),
        (
            b"BDAT 86016 LAST\r\n",
            Command::Bdat {
                size: 86016,
                last: true,
            },
            17,
        ),
        (
            b"bdat 0\r\nxyz",
            Command::Bdat {
                size: 0,
                last: false,
            },
            8,
        ),
    ] {
        assert_eq!(
            parse_command(input),
            Ok(Parsed::Complete { value, consumed }),
            "{input:?}"
        );
    }
    // Malformed or incomplete: the general path's answer.
    assert_eq!(parse_command(b"BDAT 86016 LAST"), Ok(Parsed::Incomplete));
    assert_eq!(
        parse_command(b"BDAT 123456789012345678901\r\n")
            .unwrap_err()
            .kind,
        ParseErrorKind::Syntax
    );
    assert_eq!(
        parse_command(b"QUIT\n").unwrap_err().kind,
        ParseErrorKind::BareLineEnding
    );
}

const MECHANISMS: &[&str] = &["PLAIN", "SCRAM-SHA-256", "X_Y", "", "PL AIN", "PLAIN!", "é"];
const RESPONSES: &[&str] = &[
    "",
    " =",
    " ==",
    " AGFsaWNlQGV4YW1wbGUuY29tAGNvcnJlY3QgaG9yc2UgYmF0dGVyeSBzdGFwbGU=",
    " dGVzdA",
    " a+b/c=",
    " a-b",
    " a b",
    " ",
    " \u{e9}",
];

/// What the grammar says of `AUTH <arg>`: the command, or `None` for an error.
fn auth_model(arg: &str) -> Option<Command<'_>> {
    if arg.is_empty() {
        return None;
    }
    let (mechanism, ir) = match arg.split_once(' ') {
        Some((mechanism, ir)) => (mechanism, Some(ir)),
        None => (arg, None),
    };
    let mechanism_ok = (1..=20).contains(&mechanism.len())
        && mechanism
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let ir_ok = ir.is_none_or(|ir| {
        ir == "="
            || (!ir.is_empty()
                && ir
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')))
    });
    (mechanism_ok && ir_ok).then(|| Command::Auth {
        mechanism: Cow::Borrowed(mechanism),
        initial_response: ir.map(Cow::Borrowed),
    })
}

#[test]
fn auth_lines_follow_the_grammar() {
    for mechanism in MECHANISMS {
        for response in RESPONSES {
            let arg = format!("{mechanism}{response}");
            let line = format!("AUTH {arg}");
            let parsed = parse_command_line(line.as_bytes(), &Limits::DEFAULT);
            match auth_model(&arg) {
                Some(expected) => assert_eq!(parsed, Ok(expected), "{line:?}"),
                None => assert!(parsed.is_err(), "{line:?}: {parsed:?}"),
            }
        }
    }
}
