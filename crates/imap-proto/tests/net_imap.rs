//! net-imap's response parser fixtures (tests/data/net-imap, BSD-2-Clause, see PROVENANCE):
//! every `:response:` of every case is parsed leniently (the client's default) and written
//! back; the cases net-imap expects to fail are listed with what we do; values are asserted
//! case by case for the cases named below.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;

use bytes::Bytes;
use imap_proto::codec::{ParseOptions, Parsed, encode_response, parse_response};
use imap_proto::{Mode, Response};

/// One fixture case: its response octets and whether net-imap expects a parse failure.
struct Case {
    response: Vec<u8>,
    expect_failure: bool,
}

/// Reads a YAML double-quoted scalar starting at `text` (after the opening quote): escapes,
/// and line folding (a line break is a space, a blank line a newline, `\` at a line's end
/// joins without space). Enough for the fixtures, which write every response this way.
fn double_quoted(text: &str) -> (Vec<u8>, &str) {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, &text[i + 1..]),
            '\\' => {
                let Some((_, e)) = chars.next() else { break };
                match e {
                    'r' => out.push(b'\r'),
                    'n' => out.push(b'\n'),
                    't' => out.push(b'\t'),
                    '0' => out.push(0),
                    '"' => out.push(b'"'),
                    '\\' => out.push(b'\\'),
                    '/' => out.push(b'/'),
                    ' ' => out.push(b' '),
                    'x' | 'u' => {
                        let n = if e == 'x' { 2 } else { 4 };
                        let hex: String = (0..n)
                            .filter_map(|_| chars.next().map(|(_, h)| h))
                            .collect();
                        let v = u32::from_str_radix(&hex, 16).unwrap();
                        if e == 'x' {
                            out.push(v as u8);
                        } else {
                            let mut buf = [0; 4];
                            out.extend_from_slice(
                                char::from_u32(v).unwrap().encode_utf8(&mut buf).as_bytes(),
                            );
                        }
                    }
                    '\n' => {
                        while chars.peek().is_some_and(|(_, c)| *c == ' ') {
                            chars.next();
                        }
                    }
                    other => panic!("escape \\{other}"),
                }
            }
            '\n' => {
                // Folding: trailing spaces before the break were already pushed; trim them.
                while out.last() == Some(&b' ') {
                    out.pop();
                }
                let mut newlines = 0;
                while let Some(&(_, c)) = chars.peek() {
                    if c == ' ' {
                        chars.next();
                    } else if c == '\n' {
                        newlines += 1;
                        chars.next();
                    } else {
                        break;
                    }
                }
                if newlines == 0 {
                    out.push(b' ');
                } else {
                    out.extend(std::iter::repeat_n(b'\n', newlines));
                }
            }
            c => {
                let mut buf = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    panic!("unterminated string");
}

fn cases() -> BTreeMap<String, Case> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/net-imap");
    let mut cases = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
    {
        let text = std::fs::read_to_string(&path).unwrap();
        let file = path.file_stem().unwrap().to_string_lossy().into_owned();
        let mut name = String::new();
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let (line, after) = rest.split_once('\n').unwrap_or((rest, ""));
            if line.starts_with("  ") && !line.starts_with("   ") && line.trim_end().ends_with(':')
            {
                name = format!("{file}/{}", line.trim().trim_end_matches(':'));
            }
            let trimmed = line.trim_start();
            if trimmed.starts_with(":test_type: :assert_parse_failure") {
                if let Some(case) = cases.get_mut(&name) {
                    let case: &mut Case = case;
                    case.expect_failure = true;
                } else {
                    cases.insert(
                        name.clone(),
                        Case {
                            response: Vec::new(),
                            expect_failure: true,
                        },
                    );
                }
            }
            if let Some(value) = trimmed.strip_prefix(":response:") {
                // Skip an anchor (`&name`) before the string.
                let offset =
                    rest.len() - after.len() - line.len() - 1 + (line.len() - trimmed.len());
                let start = &rest[offset.min(rest.len())..];
                let start = &start[":response:".len()..];
                let _ = value;
                let quote = start.find('"').unwrap();
                let (response, after_string) = double_quoted(&start[quote + 1..]);
                let failure = cases.get(&name).is_some_and(|c: &Case| c.expect_failure);
                cases.insert(
                    name.clone(),
                    Case {
                        response,
                        expect_failure: failure,
                    },
                );
                rest = after_string;
                continue;
            }
            rest = after;
        }
    }
    cases
}

fn parse(wire: &[u8]) -> Result<Response, String> {
    let input = Bytes::copy_from_slice(wire);
    match parse_response(&input, ParseOptions::lenient(Mode::REV1)) {
        Ok(Parsed::Complete { value, consumed }) if consumed == wire.len() => Ok(value),
        Ok(Parsed::Complete { consumed, .. }) => {
            Err(format!("consumed {consumed} of {}", wire.len()))
        }
        Ok(Parsed::Incomplete) => Err("incomplete".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// Cases net-imap refuses and we accept, with the reason.
const WE_ACCEPT: &[(&str, &str)] = &[(
    "fetch_responses/test_invalid_fetch_msg_att_unknown_fails",
    "unknown FETCH items are kept raw (FetchItem::Other): no line is ever dropped",
)];

/// Cases net-imap accepts and we refuse, with the reason. A client gets the line as a raw
/// event and goes on.
const WE_REFUSE: &[(&str, &str)] = &[(
    "quirky_behaviors/imap.gmail.com allows invalid atom-specials in flags",
    "a keyword with `[`, `]` and a space (`OIB-Seen-[Google Mail]/Alle Nachrichten`) is not \
     one flag in any reading of the grammar",
)];

/// Cases whose lenient reading a server cannot write back, with the reason.
const NOT_WRITABLE: &[(&str, &str)] = &[(
    "quirky_behaviors/\"Microsoft Exchange issues an invalid resp-text-code\"",
    "the unreadable code falls back to text (as net-imap does), and text that starts with `[` \
     would read as a code: the encoder refuses it",
)];

#[test]
fn every_fixture_response() {
    let cases = cases();
    assert_eq!(cases.len(), 193, "cases");
    let mut failures = Vec::new();
    for (name, case) in &cases {
        if case.response.is_empty() {
            continue;
        }
        let got = parse(&case.response);
        let listed_accept = WE_ACCEPT.iter().any(|(n, _)| n == name);
        let listed_refuse = WE_REFUSE.iter().any(|(n, _)| n == name);
        match (&got, case.expect_failure) {
            (Ok(response), false) if !listed_refuse => {
                // Written back and read again: the same value.
                let mut encoded = Vec::new();
                match encode_response(response, Mode::REV1, &mut encoded) {
                    Ok(()) => {
                        let again = parse(&encoded);
                        if again.as_ref() != Ok(response) {
                            failures.push(format!("{name}: round trip {again:?} != {response:?}"));
                        }
                    }
                    Err(_) if NOT_WRITABLE.iter().any(|(n, _)| n == name) => {}
                    Err(e) => failures.push(format!("{name}: not writable: {e}")),
                }
            }
            (Err(_), true) if !listed_accept => {}
            (Ok(_), true) if listed_accept => {}
            (Err(_), false) if listed_refuse => {}
            _ => failures.push(format!(
                "{name}: {:?} expect_failure={} {}",
                got.as_ref().map(|_| ()),
                case.expect_failure,
                String::from_utf8_lossy(&case.response)
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn case(name: &str) -> Response {
    let cases = cases();
    let case = cases.get(name).unwrap_or_else(|| panic!("no case {name}"));
    parse(&case.response).unwrap()
}

#[test]
fn named_cases_by_value() {
    use imap_proto::{BodyStructure, Data, ESearchItem, FetchItem, StatusAttr, StatusResponse};
    // Microsoft Exchange (net-imap issue 597): an unreadable code falls back to text.
    let Response::Status(StatusResponse {
        tag, code, text, ..
    }) = case("quirky_behaviors/\"Microsoft Exchange issues an invalid resp-text-code\"")
    else {
        panic!()
    };
    assert_eq!(tag.unwrap().as_str(), "RUBY0001");
    assert!(code.is_none());
    assert!(text.starts_with(b"[Error=\"Microsoft.Exchange"));
    assert!(text.ends_with(b"AUTHENTICATE completed."));
    // A message/rfc822 part whose multipart body has no parts (bug 7146 family).
    let Response::Data(Data::Fetch { items, .. }) =
        case("body_structure_responses/test_bodystructure_mixed_boundary")
    else {
        panic!()
    };
    let FetchItem::BodyStructure(body) = &items[1] else {
        panic!()
    };
    let BodyStructure::Multi { parts, .. } = body.as_ref() else {
        panic!()
    };
    assert_eq!(parts.len(), 3);
    // RFC 8474 4.3: MAILBOXID in STATUS.
    let Response::Data(Data::Status { items, .. }) =
        case("rfc8474_objectid_responses/rfc8474_example_4.3_MAILBOXID_attribute_for_STATUS")
    else {
        panic!()
    };
    assert!(
        matches!(&items[0], StatusAttr::MailboxId(id) if id.as_str() == "F2212ea87-6097-4256-9d51-71338625")
    );
    // RFC 9394 PARTIAL is out of scope: kept raw inside ESEARCH.
    let Response::Data(Data::ESearch(es)) =
        case("rfc9394_partial/\"RFC9394 PARTIAL 3.1. example 1\"")
    else {
        panic!()
    };
    assert!(es.uid);
    assert!(
        matches!(&es.items[0], ESearchItem::Other { name, value } if name.as_str() == "PARTIAL" && &value[..] == b"(-1:-100 200:250,252:300)")
    );
    // GreenMail lists `\*` in FLAGS: skipped.
    let Response::Data(Data::Flags(flags)) =
        case("quirky_behaviors/\"greenmail sent \\\"\\\\*\\\" in a FLAGS response\"")
    else {
        panic!()
    };
    assert_eq!(flags.len(), 5);
    // RFC 3501 7.4.2's FETCH example.
    let Response::Data(Data::Fetch { seq, items }) =
        case("fetch_responses/rfc3501_7.4.2_FETCH_response_example")
    else {
        panic!()
    };
    assert_eq!(seq.get(), 23);
    assert!(!items.is_empty());
    // RFC 9208 4.1.4: DELETED-STORAGE.
    let Response::Data(Data::Status { items, .. }) =
        case("rfc9208_quota_responses/rfc9208_4.1.4_example")
    else {
        panic!()
    };
    assert_eq!(
        items[2],
        StatusAttr::Number(imap_proto::StatusItem::DeletedStorage, 8)
    );
}
