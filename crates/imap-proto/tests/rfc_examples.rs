#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

//! The `C:` and `S:` lines of the RFCs' examples (tests/data/rfc, IETF texts copied
//! unmodified): every client line goes through the strict command parser, every server line
//! through the lenient response parser, in the RFC's mode, and each is written back and parsed
//! again. Example lines that are not IMAP as printed (SASL data, literal contents, wrapped
//! lines with `...`) are listed with the reason in `NOT_IMAP`.

use bytes::Bytes;
use imap_proto::Mode;
use imap_proto::codec::{
    LiteralPolicy, ParseOptions, Parsed, encode_command, encode_response, parse_command,
    parse_response,
};

/// One example line: the side, its text (wrapped lines joined by one space), and the RFC
/// line where it starts.
struct Example {
    client: bool,
    text: String,
    line: usize,
}

fn is_page_break(line: &str) -> bool {
    line.contains('\u{c}')
        || line.ends_with(']') && line.contains("[Page ")
        || line.starts_with("RFC ")
}

fn examples(text: &str) -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    let mut column: Option<usize> = None;
    let mut in_literal = false;
    for (i, line) in text.lines().enumerate() {
        if is_page_break(line) {
            continue;
        }
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let side = trimmed
            .strip_prefix("C:")
            .map(|r| (true, r))
            .or_else(|| trimmed.strip_prefix("S:").map(|r| (false, r)));
        match side {
            Some((client, rest)) if rest.starts_with(' ') || rest.is_empty() => {
                let body = rest.trim_start();
                let starts_response = body.starts_with("* ") || body.starts_with('+');
                if in_literal
                    && !(starts_response || client != out.last().is_some_and(|e| e.client))
                {
                    // Literal contents printed line by line: not IMAP lines.
                    if let Some(last) = out.last_mut() {
                        last.text.push_str("\r\n");
                        last.text.push_str(body);
                    }
                    continue;
                }
                in_literal = false;
                column = Some(indent);
                out.push(Example {
                    client,
                    text: body.to_string(),
                    line: i + 1,
                });
            }
            _ if !trimmed.is_empty() && column.is_some_and(|c| indent > c) => {
                // A wrapped line: joined by one space, except after an opening parenthesis.
                if let Some(last) = out.last_mut() {
                    if !last.text.ends_with('(') {
                        last.text.push(' ');
                    }
                    last.text.push_str(trimmed);
                }
            }
            _ => column = None,
        }
        if out
            .last()
            .is_some_and(|e| e.text.ends_with('}') && e.text.contains('{'))
        {
            in_literal = true;
        }
    }
    out
}

/// Whether the example parses, and the reason when it does not.
fn check(example: &Example, mode: Mode) -> Result<(), String> {
    let wire = format!("{}\r\n", example.text);
    let input = Bytes::from(wire.clone());
    if example.client && imap_proto::codec::is_idle_done(example.text.as_bytes()) {
        return Ok(());
    }
    if example.client {
        match parse_command(&input, ParseOptions::strict(mode)) {
            Ok(Parsed::Complete { value, .. }) => {
                let encoded =
                    encode_command(&value, mode, LiteralPolicy::Plus).map_err(|e| e.to_string())?;
                match parse_command(&Bytes::from(encoded.to_vec()), ParseOptions::strict(mode)) {
                    Ok(Parsed::Complete { value: again, .. }) if again == value => Ok(()),
                    other => Err(format!("round trip: {other:?}")),
                }
            }
            other => Err(format!("{other:?}")),
        }
    } else {
        match parse_response(&input, ParseOptions::lenient(mode)) {
            Ok(Parsed::Complete { value, .. }) => {
                let mut encoded = Vec::new();
                encode_response(&value, mode, &mut encoded).map_err(|e| e.to_string())?;
                match parse_response(&Bytes::from(encoded), ParseOptions::lenient(mode)) {
                    Ok(Parsed::Complete { value: again, .. }) if again == value => Ok(()),
                    other => Err(format!("round trip: {other:?}")),
                }
            }
            other => Err(format!("{other:?}")),
        }
    }
}

fn run(rfc: &str, mode: Mode, not_imap: &[(usize, &str)]) -> (usize, Vec<String>) {
    let path = format!("{}/tests/data/rfc/{rfc}.txt", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let mut passed = 0;
    let mut failures = Vec::new();
    for example in examples(&text) {
        let listed = not_imap.iter().any(|(line, _)| *line == example.line);
        match (check(&example, mode), listed) {
            (Ok(()), false) => passed += 1,
            (Err(_), true) => {}
            (Ok(()), true) => failures.push(format!(
                "{rfc}:{} listed but parses: {}",
                example.line, example.text
            )),
            (Err(e), false) => failures.push(format!(
                "{rfc}:{} {}: {}\n    {e}",
                example.line,
                if example.client { "C" } else { "S" },
                example.text
            )),
        }
    }
    (passed, failures)
}

const RFC3501_NOT_IMAP: &[(usize, &str)] = &[
    (
        1634,
        "SASL exchange data (base64, or an empty response), not a command",
    ),
    (
        1651,
        "SASL exchange data (base64, or an empty response), not a command",
    ),
    (
        1654,
        "SASL exchange data (base64, or an empty response), not a command",
    ),
    (
        2591,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (
        2592,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (
        2593,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (
        2594,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (
        2595,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (
        2596,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (
        2597,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (
        2598,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (
        2599,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (
        2600,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (3208, "elided with `...` in the RFC"),
    (3209, "elided with `...` in the RFC"),
    (3210, "elided with `...` in the RFC"),
    (
        3449,
        "an unknown command: the RFC shows it refused with BAD",
    ),
    (3705, "elided with `...` in the RFC"),
    (
        4406,
        "announces a literal whose octets the RFC prints as the next lines",
    ),
    (
        4408,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (
        4410,
        "announces a literal whose octets the RFC prints as the next lines",
    ),
];
const RFC9051_NOT_IMAP: &[(usize, &str)] = &[
    (
        1526,
        "SASL exchange data (base64, or an empty response), not a command",
    ),
    (
        1543,
        "SASL exchange data (base64, or an empty response), not a command",
    ),
    (
        1546,
        "SASL exchange data (base64, or an empty response), not a command",
    ),
    (
        1576,
        "SASL exchange data (base64, or an empty response), not a command",
    ),
    (
        3484,
        "announces a literal whose octets the RFC prints as the next lines",
    ),
    (
        3486,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (
        3487,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (
        3488,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (
        3489,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (
        3490,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (
        3491,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (
        3492,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (
        3493,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (
        3494,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (
        3495,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (3607, "elided with `...` in the RFC"),
    (3621, "elided with `...` in the RFC"),
    (
        4005,
        "announces a literal whose octets the RFC prints as the next lines",
    ),
    (
        4007,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (4166, "elided with `...` in the RFC"),
    (4167, "elided with `...` in the RFC"),
    (4168, "elided with `...` in the RFC"),
    (4179, "elided with `...` in the RFC"),
    (4180, "elided with `...` in the RFC"),
    (4181, "elided with `...` in the RFC"),
    (4466, "elided with `...` in the RFC"),
    (4467, "elided with `...` in the RFC"),
    (4468, "elided with `...` in the RFC"),
    (
        4866,
        "an unknown command: the RFC shows it refused with BAD",
    ),
    (5327, "elided with `...` in the RFC"),
    (5329, "elided with `...` in the RFC"),
    (
        6193,
        "announces a literal whose octets the RFC prints as the next lines",
    ),
    (
        6195,
        "announces a literal whose octets the RFC prints as the next lines",
    ),
    (
        6197,
        "the octets of a literal, printed by the RFC line by line",
    ),
    (
        6199,
        "announces a literal whose octets the RFC prints as the next lines",
    ),
    (
        6216,
        "SASL exchange data (base64, or an empty response), not a command",
    ),
    (
        6221,
        "SASL exchange data (base64, or an empty response), not a command",
    ),
];

#[test]
fn unknown_commands_of_the_examples_are_refused_as_unknown() {
    for (mode, wire) in [
        (Mode::REV1, "A442 XPIG-LATIN\r\n"),
        (Mode::REV2, "A442 XPIG-LATIN\r\n"),
    ] {
        let e = parse_command(&Bytes::from(wire), ParseOptions::strict(mode)).unwrap_err();
        assert_eq!(e.kind.fault, imap_proto::Fault::UnknownCommand);
        assert_eq!(e.kind.tag.unwrap().as_str(), "A442");
    }
}

#[test]
fn rfc3501_examples() {
    let (passed, failures) = run("rfc3501", Mode::REV1, RFC3501_NOT_IMAP);
    assert!(
        failures.is_empty(),
        "{} passed, {} failures:\n{}",
        passed,
        failures.len(),
        failures.join("\n")
    );
    eprintln!("RFC 3501: {passed} example lines");
}

#[test]
fn rfc9051_examples() {
    let (passed, failures) = run("rfc9051", Mode::REV2, RFC9051_NOT_IMAP);
    assert!(
        failures.is_empty(),
        "{} passed, {} failures:\n{}",
        passed,
        failures.len(),
        failures.join("\n")
    );
    eprintln!("RFC 9051: {passed} example lines");
}

/// The extension RFCs' examples, read in IMAP4rev1 (the mode they were written for).
const EXTENSIONS: &[(&str, &[(usize, &str)])] = &[
    (
        "rfc2177",
        &[
            (133, "elided with `...` in the RFC"),
            (147, "elided with `...` in the RFC"),
        ],
    ),
    ("rfc2342", &[]),
    ("rfc2971", &[]),
    (
        "rfc3502",
        &[
            (
                177,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                178,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                179,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                180,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                181,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                182,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                183,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                184,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                185,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                186,
                "announces a literal whose octets the RFC prints as the next lines",
            ),
            (
                188,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                189,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                190,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                191,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                192,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                193,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                194,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                195,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                196,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                197,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                199,
                "announces a literal whose octets the RFC prints as the next lines",
            ),
            (
                201,
                "announces a literal whose octets the RFC prints as the next lines",
            ),
            (
                203,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                204,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (205, "elided with `...` in the RFC"),
            (
                206,
                "announces a literal whose octets the RFC prints as the next lines",
            ),
        ],
    ),
    ("rfc3691", &[]),
    (
        "rfc4315",
        &[
            (
                232,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                233,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                234,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                235,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                236,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                237,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                238,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                239,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                240,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                241,
                "the octets of a literal, printed by the RFC line by line",
            ),
        ],
    ),
    ("rfc4731", &[]),
    (
        "rfc4959",
        &[
            (
                155,
                "prose in the example line (a note about the space after `+`)",
            ),
            (
                159,
                "SASL exchange data (base64, or an empty response), not a command",
            ),
            (
                191,
                "prose in the example line (a note about the space after `+`)",
            ),
            (
                195,
                "SASL exchange data (base64, or an empty response), not a command",
            ),
        ],
    ),
    ("rfc4978", &[]),
    ("rfc5161", &[]),
    (
        "rfc5182",
        &[
            (205, "elided with `...` in the RFC"),
            (206, "elided with `...` in the RFC"),
            (207, "elided with `...` in the RFC"),
            (217, "elided with `...` in the RFC"),
            (218, "elided with `...` in the RFC"),
            (219, "elided with `...` in the RFC"),
        ],
    ),
    ("rfc5256", &[]),
    ("rfc5258", &[]),
    (
        "rfc5464",
        &[
            (
                494,
                "options after the mailbox: the example contradicts RFC 5464's own ABNF (options come first)",
            ),
            (
                536,
                "options after the mailbox: the example contradicts RFC 5464's own ABNF (options come first)",
            ),
            (
                606,
                "announces a literal whose octets the RFC prints as the next lines",
            ),
            (
                698,
                "several entries without parentheses: the example contradicts RFC 5464's ABNF",
            ),
            (
                708,
                "several entries without parentheses: the example contradicts RFC 5464's ABNF",
            ),
        ],
    ),
    (
        "rfc5819",
        &[(150, "no space before the reference name: a typo in the RFC")],
    ),
    ("rfc6154", &[]),
    ("rfc6851", &[(196, "prose, not a response")]),
    (
        "rfc7162",
        &[
            (694, "elided with `...` in the RFC"),
            (
                1226,
                "SORT RETURN is ESORT (RFC 5267), out of scope: a server answers BAD",
            ),
            (1493, "wrapped without indentation, so read as two lines"),
            (1633, "elided with `...` in the RFC"),
            (1637, "elided with `...` in the RFC"),
            (1642, "elided with `...` in the RFC"),
            (
                1649,
                "wrapped after a comma, which leaves a space inside the set",
            ),
            (1665, "elided with `...` in the RFC"),
            (1670, "elided with `...` in the RFC"),
            (2432, "elided with `...` in the RFC"),
        ],
    ),
    ("rfc7888", &[]),
    ("rfc7889", &[]),
    ("rfc8438", &[]),
    (
        "rfc8474",
        &[
            (
                401,
                "announces a literal whose octets the RFC prints as the next lines",
            ),
            (
                408,
                "announces a literal whose octets the RFC prints as the next lines",
            ),
            (
                416,
                "announces a literal whose octets the RFC prints as the next lines",
            ),
        ],
    ),
    (
        "rfc9208",
        &[
            (268, "elided with `...` in the RFC"),
            (301, "elided with `...` in the RFC"),
            (352, "elided with `...` in the RFC"),
            (407, "elided with `...` in the RFC"),
            (
                480,
                "announces a literal whose octets the RFC prints as the next lines",
            ),
            (
                482,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                483,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                484,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                485,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                486,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                487,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                488,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                489,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                490,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                491,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                511,
                "announces a literal whose octets the RFC prints as the next lines",
            ),
            (
                513,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                514,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                515,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                516,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                517,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                518,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                519,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                520,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                521,
                "the octets of a literal, printed by the RFC line by line",
            ),
            (
                522,
                "the octets of a literal, printed by the RFC line by line",
            ),
        ],
    ),
];

#[test]
fn extension_rfc_examples() {
    let mut all = Vec::new();
    let mut total = 0;
    for (rfc, not_imap) in EXTENSIONS {
        let (passed, failures) = run(rfc, Mode::REV1, not_imap);
        total += passed;
        all.extend(failures);
    }
    assert!(
        all.is_empty(),
        "{total} passed, {} failures:\n{}",
        all.len(),
        all.join("\n")
    );
    eprintln!("extension RFCs: {total} example lines");
}
