#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

//! imaptest's scripts (tests/data/imaptest, MIT, see PROVENANCE): the command and reply lines
//! of every script whose `capabilities:` this crate implements. Commands go through the
//! server's strict parser, replies through the client's lenient one, and each is written back
//! and parsed again. Lines with imaptest's match-anything variables (`$`, `$name` in a value's
//! place) or multi-line `{{{ }}}` values are not IMAP and are skipped; `$mailbox` and
//! `${mailbox}` become a mailbox name.

use bytes::Bytes;
use imap_proto::Mode;
use imap_proto::codec::{
    LiteralPolicy, ParseOptions, Parsed, encode_command, encode_response, parse_command,
    parse_response,
};

/// Capabilities of out-of-scope extensions: scripts that need one are skipped.
const OUT_OF_SCOPE: &[&str] = &[
    "CATENATE",
    "CONTEXT=SEARCH",
    "CONTEXT=SORT",
    "ESORT",
    "NOTIFY",
    "URLAUTH",
    "URLAUTH=BINARY",
];

fn substitute(line: &str) -> String {
    let mut s = line
        .replace("${mailbox}", "testbox")
        .replace("$mailbox", "testbox");
    // `$uid1`, `$2`, `$modseq_seq3`: numbers the server chose.
    let mut from = 0;
    while let Some(i) = s[from..].find('$').map(|i| i + from) {
        let name: String = s[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let numeric = name.starts_with("uid")
            || name.starts_with("modseq")
            || name.chars().next().is_some_and(|c| c.is_ascii_digit());
        if numeric {
            s.replace_range(i..i + 1 + name.len(), "1");
        }
        from = i + 1;
    }
    s
}

/// True when a `$` variable is left that stands for a value (not SEARCHRES's lone `$` in a
/// command).
fn has_variable(line: &str, command: bool) -> bool {
    let b = line.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        c == b'$'
            && match b.get(i + 1) {
                Some(n) if n.is_ascii_alphanumeric() || *n == b'!' || *n == b'{' => true,
                _ => !command,
            }
    })
}

#[derive(Default)]
struct Tally {
    commands: usize,
    responses: usize,
    failures: Vec<String>,
}

fn command(line: &str, tally: &mut Tally, script: &str) {
    let mut tried = Vec::new();
    for wire in [format!("a {line}\r\n"), format!("{line}\r\n")] {
        let input = Bytes::from(wire.clone());
        match parse_command(&input, ParseOptions::strict(Mode::REV1)) {
            Ok(Parsed::Complete { value, .. }) => {
                tally.commands += 1;
                let encoded = encode_command(&value, Mode::REV1, LiteralPolicy::Plus).unwrap();
                let again = parse_command(
                    &Bytes::from(encoded.to_vec()),
                    ParseOptions::strict(Mode::REV1),
                );
                match again {
                    Ok(Parsed::Complete { value: v, .. }) if v == value => {}
                    other => tally
                        .failures
                        .push(format!("{script}: command round trip {line}: {other:?}")),
                }
                return;
            }
            other => tried.push(format!("{other:?}")),
        }
    }
    tally
        .failures
        .push(format!("{script}: command {line}: {}", tried.join(" / ")));
}

fn response(line: &str, tally: &mut Tally, script: &str) {
    let input = Bytes::from(format!("{line}\r\n"));
    match parse_response(&input, ParseOptions::lenient(Mode::REV1)) {
        Ok(Parsed::Complete { value, .. }) => {
            tally.responses += 1;
            let mut encoded = Vec::new();
            encode_response(&value, Mode::REV1, &mut encoded).unwrap();
            let again = parse_response(&Bytes::from(encoded), ParseOptions::lenient(Mode::REV1));
            match again {
                Ok(Parsed::Complete { value: v, .. }) if v == value => {}
                other => tally
                    .failures
                    .push(format!("{script}: response round trip {line}: {other:?}")),
            }
        }
        other => tally
            .failures
            .push(format!("{script}: response {line}: {other:?}")),
    }
}

/// Script lines no reading accepts, with the reason.
const KNOWN: &[(&str, &str)] = &[];

#[test]
fn every_script_in_scope() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/imaptest");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.contains('.') && n != "LICENSE" && n != "PROVENANCE")
        .collect();
    names.sort();
    let mut tally = Tally::default();
    let mut scripts = 0;
    for name in &names {
        let text =
            String::from_utf8_lossy(&std::fs::read(format!("{dir}/{name}")).unwrap()).into_owned();
        let (header, body) = text.split_once("\n\n").unwrap_or(("", &text));
        let caps: Vec<String> = header
            .lines()
            .filter_map(|l| l.strip_prefix("capabilities:"))
            .flat_map(|c| c.split_whitespace().map(str::to_ascii_uppercase))
            .collect();
        if caps.iter().any(|c| OUT_OF_SCOPE.contains(&c.as_str())) {
            continue;
        }
        let connections = header
            .lines()
            .any(|l| l.starts_with("connections:") && !l.ends_with(" 1"));
        scripts += 1;
        let mut in_block = false;
        for raw in body.lines() {
            // A `{{{ ... }}}` value spans lines (and `}}} {{{` closes one and opens another):
            // the lines that hold one are skipped.
            if in_block {
                if let Some(i) = raw.rfind("}}}") {
                    in_block = raw[i..].contains("{{{");
                }
                continue;
            }
            if raw.contains("{{{") {
                in_block = !raw[raw.rfind("{{{").unwrap_or(0)..].contains("}}}");
                continue;
            }
            let mut line = raw.trim_end();
            if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            if connections
                && let Some((n, rest)) = line.split_once(' ')
                && n.chars().all(|c| c.is_ascii_digit())
            {
                line = rest;
            }
            let is_response = line.starts_with("* ");
            let line = substitute(line);
            if has_variable(&line, !is_response)
                || KNOWN.iter().any(|(n, l)| *n == name && *l == line)
            {
                continue;
            }
            if is_response {
                response(&line, &mut tally, name);
                continue;
            }
            let mut words = line.splitn(3, ' ');
            let first = words.next().unwrap_or("").to_ascii_lowercase();
            let second = words.next().unwrap_or("").to_ascii_lowercase();
            if ["ok", "no", "bad", "\"\""].contains(&first.as_str()) {
                let rest = line.split_once(' ').map_or("", |(_, r)| r);
                // `append` with no message is imaptest's own form (it appends from the mbox).
                let imaptest_append =
                    rest.to_ascii_lowercase().starts_with("append") && !rest.contains('{');
                if !rest.is_empty() && !rest.starts_with('[') && !imaptest_append {
                    command(rest, &mut tally, name);
                }
            } else if ["ok", "no", "bad"].contains(&second.as_str()) {
                // `tag ok [prefix]`: a reply prefix, not a whole response.
            } else if first != "append" || line.contains('{') {
                command(&line, &mut tally, name);
            }
        }
    }
    assert!(
        tally.failures.is_empty(),
        "{} failures ({} commands, {} responses):\n{}",
        tally.failures.len(),
        tally.commands,
        tally.responses,
        tally.failures.join("\n")
    );
    eprintln!(
        "{scripts} scripts, {} commands, {} responses",
        tally.commands, tally.responses
    );
    assert!(scripts > 40, "{scripts} scripts");
    assert!(
        tally.commands > 300 && tally.responses > 300,
        "{} commands, {} responses",
        tally.commands,
        tally.responses
    );
}
