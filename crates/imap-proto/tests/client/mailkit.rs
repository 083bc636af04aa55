//! MailKit's captured server answers (tests/data/mailkit, MIT, see PROVENANCE), vendor by
//! vendor, fed to the client machine after the vendor's own greeting: every answer with one
//! tagged line (250 of them, from six vendors) completes our command with its status, with no
//! fatal error, and gives the same events whole, byte by byte and at random splits.

use std::path::{Path, PathBuf};
use std::time::Instant;

use imap_proto::{Client, ClientEvent, Condition};
use proto_core::Machine;

use crate::adapter::{body_of, describe, plain_config};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/mailkit");

/// The file with CRLF line ends (MailKit stores LF).
fn crlf(path: &Path) -> Vec<u8> {
    let raw = std::fs::read(path).unwrap();
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 20);
    for &b in &raw {
        if b == b'\n' && out.last() != Some(&b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

fn with_tag(wire: &[u8], tag: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(wire.len());
    let mut i = 0;
    while i < wire.len() {
        if wire[i..].starts_with(b"A########") {
            out.extend_from_slice(tag.as_bytes());
            i += 9;
        } else {
            out.push(wire[i]);
            i += 1;
        }
    }
    out
}

/// Our command for an answer file, by MailKit's name for it.
fn command_for(name: &str) -> &'static str {
    if name.starts_with("fetch") || name.starts_with("get") || name.starts_with("headers") {
        "UID FETCH 1:* (UID FLAGS)"
    } else if name.contains("search") {
        "UID SEARCH ALL"
    } else if name.starts_with("list") || name.starts_with("xlist") {
        "LIST \"\" \"*\""
    } else if name.starts_with("status") {
        "STATUS INBOX (MESSAGES)"
    } else {
        "NOOP"
    }
}

/// Feeds `wire` cut at `cuts` (sizes cycled), draining events after each piece.
fn feed(client: &mut Client, wire: &[u8], sizes: &[usize], now: Instant) -> Vec<String> {
    let mut events = Vec::new();
    let mut rest = wire;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].min(rest.len());
        i += 1;
        client.receive(&rest[..n], now);
        rest = &rest[n..];
        while let Some(e) = client.poll_event() {
            events.push(match e {
                Ok(ClientEvent::BodyChunk { data, .. }) => format!("chunk {}", data.len()),
                Ok(e) => describe(e),
                Err(e) => format!("error: {e}"),
            });
        }
    }
    // Adjacent chunks depend on the cut: compare their total.
    let mut merged: Vec<String> = Vec::new();
    for e in events {
        if let (Some(last), Some(n)) = (merged.last_mut(), e.strip_prefix("chunk "))
            && let Some(m) = last.strip_prefix("chunk ")
        {
            let total: usize = m.parse::<usize>().unwrap() + n.parse::<usize>().unwrap();
            *last = format!("chunk {total}");
            continue;
        }
        merged.push(e);
    }
    merged
}

/// Runs one answer file after the vendor's greeting; the events of the answer.
fn run_answer(greeting: &[u8], capability: &[u8], file: &Path, sizes: &[usize]) -> Vec<String> {
    let now = Instant::now();
    let mut c = Client::new(
        plain_config().with_limits(imap_proto::codec::Limits::CLIENT.with_max_inline_literal(1024)),
        now,
    );
    let mut events = feed(&mut c, greeting, &[usize::MAX], now);
    let mut tag = 1;
    if c.capabilities().is_none() {
        // The client asks for the capabilities itself.
        events.extend(feed(
            &mut c,
            &with_tag(capability, "A1"),
            &[usize::MAX],
            now,
        ));
        tag += 1;
    }
    assert!(
        events.iter().any(|e| e.starts_with("ready")),
        "{}: not ready: {events:?}",
        file.display()
    );
    // Logged in and a mailbox selected, with answers of our own.
    c.login("user", "pass").unwrap();
    feed(
        &mut c,
        format!("A{tag} OK [CAPABILITY IMAP4rev1] in\r\n").as_bytes(),
        &[usize::MAX],
        now,
    );
    tag += 1;
    c.send(body_of("SELECT INBOX", c.mode()).unwrap()).unwrap();
    feed(
        &mut c,
        format!("* 3 EXISTS\r\nA{tag} OK [READ-WRITE] ok\r\n").as_bytes(),
        &[usize::MAX],
        now,
    );
    tag += 1;
    let c_out = c.transmit().len();
    c.advance_transmit(c_out);

    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    c.send(body_of(command_for(&name), c.mode()).unwrap())
        .unwrap();
    let wire = with_tag(&crlf(file), &format!("A{tag}"));
    feed(&mut c, &wire, sizes, now)
}

fn answers() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for vendor in std::fs::read_dir(DIR).unwrap() {
        let vendor = vendor.unwrap().path();
        if !vendor.is_dir() {
            continue;
        }
        let v = vendor.file_name().unwrap().to_string_lossy().into_owned();
        for f in std::fs::read_dir(&vendor).unwrap() {
            out.push((v.clone(), f.unwrap().path()));
        }
    }
    out.sort();
    out
}

#[test]
fn every_single_answer_completes_our_command_whatever_the_cut() {
    let mut run = std::collections::BTreeMap::<String, usize>::new();
    for (vendor, file) in answers() {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let dir = Path::new(DIR).join(&vendor);
        let greeting_file = dir.join("greeting.txt");
        if name.starts_with("greeting") || !greeting_file.exists() {
            continue;
        }
        let wire = crlf(&file);
        let text = String::from_utf8_lossy(&wire);
        let tagged = text.lines().filter(|l| l.starts_with("A########")).count();
        // Lines starting with `+` inside literals are message text, not continuation
        // requests; the files of several commands (more than one tagged line) are left out.
        if tagged != 1 {
            continue;
        }
        let status = text
            .lines()
            .find(|l| l.starts_with("A########"))
            .and_then(|l| l.split(' ').nth(1))
            .unwrap()
            .to_owned();
        let greeting = crlf(&greeting_file);
        let capability = {
            let f = dir.join("capability.txt");
            if f.exists() {
                crlf(&f)
            } else {
                b"* CAPABILITY IMAP4rev1\r\nA######## OK done\r\n".to_vec()
            }
        };
        let whole = run_answer(&greeting, &capability, &file, &[usize::MAX]);
        let expected = match status.as_str() {
            "OK" => Condition::Ok,
            "NO" => Condition::No,
            _ => Condition::Bad,
        };
        let completed = whole
            .iter()
            .find(|e| e.starts_with("completed"))
            .unwrap_or_else(|| panic!("{vendor}/{name}: no completion: {whole:?}"));
        assert!(
            completed.contains(&format!(" {expected:?} ")),
            "{vendor}/{name}: {completed}"
        );
        assert!(
            !whole.iter().any(|e| e.starts_with("error")),
            "{vendor}/{name}: {whole:?}"
        );
        for sizes in [&[1][..], &[7, 1, 300, 2], &[4096, 13]] {
            let split = run_answer(&greeting, &capability, &file, sizes);
            assert_eq!(split, whole, "{vendor}/{name} cut {sizes:?}");
        }
        *run.entry(vendor).or_default() += 1;
    }
    // Every vendor with a greeting contributed, Gmail and Dovecot most.
    eprintln!("answers run per vendor: {run:?}");
    assert!(run.get("gmail").copied().unwrap_or(0) >= 100, "{run:?}");
    assert!(run.get("dovecot").copied().unwrap_or(0) >= 40, "{run:?}");
    assert!(run.len() >= 5, "{run:?}");
}
