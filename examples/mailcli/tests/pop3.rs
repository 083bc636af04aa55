//! `mailcli pop3 list` and `pop3 fetch` in-process against a POP3 server on 127.0.0.1
//! (STLS, USER/PASS and SASL PLAIN).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{Pop3Server, TempDir, pop3_server, pop3_server_with, run};
use mailcli::exit;
use rfc5322::mbox::MboxReader;

const M1: &[u8] = b"Return-Path: <alice@example.org>\r\nFrom: alice@example.org\r\nSubject: one\r\n\r\n.dot line\r\nFrom here\r\nend\r\n";
const M2: &[u8] = b"From: carol@example.org\r\nSubject: two\r\n\r\nbody two\r\n";
const M3: &[u8] = b"Subject: three\r\n\r\n..\r\n";

fn server() -> Pop3Server {
    pop3_server(&[("u1", M1), ("u2", M2), ("u3", M3)])
}

/// The common flags: loopback with STLS and a self-signed certificate, bob/secret.
fn args<'a>(port: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "pop3",
        rest[0],
        "-s",
        "localhost",
        "-p",
        port,
        "--insecure",
        "-u",
        "bob",
        "--password",
        "secret",
        "--method",
        "user",
    ];
    v.extend_from_slice(&rest[1..]);
    v
}

/// The messages of a Maildir, read back with CRLF line ends, in name order.
fn delivery_key(id: &str) -> (u64, u64, u64) {
    let number = |s: &str| s.parse::<u64>().unwrap_or(u64::MAX);
    let (secs, rest) = id.split_once(".M").unwrap_or((id, ""));
    let (usecs, rest) = rest.split_once('P').unwrap_or((rest, ""));
    let n = rest.split_once('Q').map_or("", |(_, q)| q);
    let n = n.split('.').next().unwrap_or("");
    (number(secs), number(usecs), number(n))
}

fn maildir_messages(dir: &std::path::Path) -> Vec<Vec<u8>> {
    let maildir = mailstore::Maildir::open_or_create(dir).unwrap();
    let mut entries = maildir.list().unwrap();
    // Delivery order: by the numbers of `<secs>.M<usecs>P<pid>Q<n>.<host>` (the usecs are not
    // zero-padded, so the names do not sort as text).
    entries.sort_by_key(|e| delivery_key(&e.id));
    entries
        .iter()
        .map(|e| maildir.read(&e.id).unwrap())
        .collect()
}

#[test]
fn list_shows_numbers_sizes_and_unique_ids() {
    let s = server();
    let port = s.port.to_string();
    let r = run(&args(&port, &["list"]));
    assert_eq!(r.code, exit::OK, "{r:?}");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{r:?}");
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        vec!["1", &M1.len().to_string(), "u1"]
    );
    assert_eq!(
        lines[2].split_whitespace().collect::<Vec<_>>(),
        vec!["3", &M3.len().to_string(), "u3"]
    );
    assert_eq!(
        lines[3],
        format!("3 messages, {} octets", M1.len() + M2.len() + M3.len())
    );
    assert!(s.retrieved.lock().unwrap().is_empty());
}

#[test]
fn list_with_the_strongest_method_offered() {
    // auto: the server offers SASL PLAIN and USER/PASS after STLS.
    let s = server();
    let port = s.port.to_string();
    let r = run(&[
        "--trace",
        "pop3",
        "list",
        "-s",
        "localhost",
        "-p",
        &port,
        "--insecure",
        "-u",
        "bob",
        "--password",
        "secret",
    ]);
    assert_eq!(r.code, exit::OK, "{r:?}");
    assert!(r.stderr.contains(">> AUTH PLAIN"), "{}", r.stderr);
    assert!(!r.stderr.contains("secret"));
    assert!(
        !r.stderr.contains("AGJvYgBzZWNyZXQ"),
        "no base64 credentials"
    );
}

#[test]
fn fetch_into_a_maildir_then_a_second_run_fetches_nothing() {
    let s = server();
    let port = s.port.to_string();
    let dir = TempDir::new("fetch-maildir");
    let maildir = dir.join("Maildir");
    let m = maildir.to_str().unwrap();

    let r = run(&args(&port, &["fetch", "--maildir", m]));
    assert_eq!(r.code, exit::OK, "{r:?}");
    assert!(r.stdout.contains("fetched 3 new messages"), "{r:?}");
    assert_eq!(maildir_messages(&maildir), vec![M1, M2, M3]);
    let state = std::fs::read_to_string(maildir.join(".mailcli-uidl")).unwrap();
    assert!(state.contains("bob@localhost:"), "{state}");
    assert_eq!(state.lines().filter(|l| !l.starts_with('#')).count(), 3);

    let r = run(&args(&port, &["fetch", "--maildir", m]));
    assert_eq!(r.code, exit::OK, "{r:?}");
    assert!(r.stdout.contains("fetched 0 new messages"), "{r:?}");
    assert_eq!(maildir_messages(&maildir).len(), 3, "nothing fetched twice");
    assert_eq!(s.retrieved.lock().unwrap().len(), 3, "no second RETR");
    assert_eq!(s.maildrop.lock().unwrap().len(), 3, "left on the server");

    // A new message arrives: only it is fetched.
    s.maildrop
        .lock()
        .unwrap()
        .push(("u4".into(), b"Subject: four\r\n\r\n4\r\n".to_vec()));
    let r = run(&args(&port, &["fetch", "--maildir", m]));
    assert!(r.stdout.contains("fetched 1 new messages"), "{r:?}");
    assert_eq!(*s.retrieved.lock().unwrap(), vec!["u1", "u2", "u3", "u4"]);

    // list marks what is already here.
    let r = run(&args(&port, &["list", "--maildir", m]));
    assert_eq!(r.code, exit::OK, "{r:?}");
    assert!(r.stdout.lines().all(|l| !l.ends_with(" new")), "{r:?}");
    assert_eq!(r.stdout.matches("fetched").count(), 4, "{r:?}");
}

#[test]
fn fetch_with_delete_removes_from_the_server() {
    let s = server();
    let port = s.port.to_string();
    let dir = TempDir::new("fetch-delete");
    let maildir = dir.join("Maildir");
    let m = maildir.to_str().unwrap();
    let r = run(&args(&port, &["fetch", "--maildir", m, "--delete"]));
    assert_eq!(r.code, exit::OK, "{r:?}");
    assert!(
        r.stdout.contains("fetched 3 new messages") && r.stdout.contains("3 deleted"),
        "{r:?}"
    );
    assert!(s.maildrop.lock().unwrap().is_empty(), "deleted at QUIT");
    assert_eq!(maildir_messages(&maildir), vec![M1, M2, M3]);
    // The next run finds the ids gone and forgets them.
    let r = run(&args(&port, &["fetch", "--maildir", m]));
    assert_eq!(r.code, exit::OK, "{r:?}");
    let state = std::fs::read_to_string(maildir.join(".mailcli-uidl")).unwrap();
    assert_eq!(state.lines().filter(|l| !l.starts_with('#')).count(), 0);
}

#[test]
fn fetch_into_an_mbox() {
    let s = server();
    let port = s.port.to_string();
    let dir = TempDir::new("fetch-mbox");
    let mbox = dir.join("inbox.mbox");
    let m = mbox.to_str().unwrap();
    let r = run(&args(&port, &["fetch", "--mbox", m]));
    assert_eq!(r.code, exit::OK, "{r:?}");
    let r = run(&args(&port, &["fetch", "--mbox", m]));
    assert!(r.stdout.contains("fetched 0 new messages"), "{r:?}");
    assert!(dir.join("inbox.mbox.uidl").exists());

    let data = std::fs::read(&mbox).unwrap();
    let text = String::from_utf8(data.clone()).unwrap();
    assert!(text.starts_with("From alice@example.org "), "{text}");
    assert!(text.contains("\n>From here\n"), "mboxrd escaping: {text}");
    assert!(!text.contains('\r'), "LF line ends in the mbox");
    let contents: Vec<Vec<u8>> = MboxReader::new(&data)
        .map(|m| mailstore::crlf::to_crlf(&m.content()))
        .collect();
    assert_eq!(contents, vec![M1.to_vec(), M2.to_vec(), M3.to_vec()]);
    let senders: Vec<Vec<u8>> = MboxReader::new(&data)
        .map(|m| m.sender().to_vec())
        .collect();
    assert_eq!(
        senders,
        vec![
            b"alice@example.org".to_vec(),
            b"carol@example.org".to_vec(),
            b"MAILER-DAEMON".to_vec()
        ]
    );
}

#[test]
fn wrong_password_is_a_clear_error_with_exit_code_77() {
    let s = server();
    let port = s.port.to_string();
    let dir = TempDir::new("fetch-wrong");
    let m = dir.join("Maildir");
    let r = run(&[
        "pop3",
        "fetch",
        "-s",
        "localhost",
        "-p",
        &port,
        "--insecure",
        "-u",
        "bob",
        "--password",
        "wrong",
        "--method",
        "user",
        "--maildir",
        m.to_str().unwrap(),
    ]);
    assert_eq!(r.code, exit::NOPERM, "{r:?}");
    assert!(
        r.stderr
            .starts_with("mailcli: authentication failed: the server said \"-ERR"),
        "{r:?}"
    );
    assert!(!r.stderr.contains("wrong"));
    assert!(s.retrieved.lock().unwrap().is_empty());
}

#[test]
fn an_interrupted_run_fetches_nothing_twice() {
    // The second message is over the limit: the fetch stops there, after the first was
    // stored and recorded. A later run with a larger limit fetches only the rest.
    let s = pop3_server(&[("u1", M3), ("u2", M1), ("u3", M2)]);
    let port = s.port.to_string();
    let dir = TempDir::new("fetch-interrupted");
    let maildir = dir.join("Maildir");
    let m = maildir.to_str().unwrap();
    let small = M2.len().to_string();
    let r = run(&args(
        &port,
        &[
            "fetch",
            "--maildir",
            m,
            "--max-message-size",
            &small,
            "--delete",
        ],
    ));
    assert_eq!(r.code, exit::CANTCREAT, "{r:?}");
    assert!(r.stderr.contains("larger than"), "{r:?}");
    assert!(r.stderr.contains("1 messages were stored"), "{r:?}");
    assert_eq!(maildir_messages(&maildir), vec![M3]);
    // Nothing was deleted: the session did not reach QUIT.
    assert_eq!(s.maildrop.lock().unwrap().len(), 3);

    let r = run(&args(&port, &["fetch", "--maildir", m]));
    assert_eq!(r.code, exit::OK, "{r:?}");
    assert!(r.stdout.contains("fetched 2 new messages"), "{r:?}");
    assert_eq!(maildir_messages(&maildir), vec![M3, M1, M2]);
    let retrieved = s.retrieved.lock().unwrap().clone();
    assert_eq!(
        retrieved.iter().filter(|u| *u == "u1").count(),
        1,
        "{retrieved:?}"
    );
    assert_eq!(
        retrieved.iter().filter(|u| *u == "u3").count(),
        1,
        "{retrieved:?}"
    );
}

#[test]
fn max_message_size_at_n_and_n_plus_one() {
    for target in ["--maildir", "--mbox"] {
        let s = pop3_server(&[("u1", M1)]);
        let port = s.port.to_string();
        let dir = TempDir::new("fetch-limit");
        let place = dir.join("target");
        let p = place.to_str().unwrap();
        let n = M1.len().to_string();
        let below = (M1.len() - 1).to_string();
        let r = run(&args(
            &port,
            &["fetch", target, p, "--max-message-size", &below],
        ));
        assert_eq!(r.code, exit::CANTCREAT, "{target}: {r:?}");
        let r = run(&args(
            &port,
            &["fetch", target, p, "--max-message-size", &n],
        ));
        assert_eq!(r.code, exit::OK, "{target}: {r:?}");
        assert!(r.stdout.contains("fetched 1 new messages"), "{r:?}");
    }
}

#[test]
fn a_second_fetch_into_the_same_target_waits_its_turn() {
    let dir = TempDir::new("state-lock");
    let state = dir.join("state");
    let limits = mailcli::Limits::default();
    let held = mailcli::store::UidlState::load(&state, "a@h:1", &limits, true).unwrap();
    let again = mailcli::store::UidlState::load(&state, "a@h:1", &limits, true);
    assert!(matches!(again, Err(mailcli::Error::InUse(_))), "{again:?}");
    assert_eq!(again.unwrap_err().exit_code(), exit::TEMPFAIL);
    drop(held);
    assert!(mailcli::store::UidlState::load(&state, "a@h:1", &limits, true).is_ok());
}

#[test]
fn the_state_file_keeps_accounts_apart_and_has_a_size_limit() {
    let dir = TempDir::new("state-file");
    let path = dir.join("state");
    let limits = mailcli::Limits::default();
    {
        let mut a = mailcli::store::UidlState::load(&path, "a@h:1", &limits, false).unwrap();
        a.insert("x1").unwrap();
        a.insert("odd id\twith tab").unwrap();
    }
    {
        let mut b = mailcli::store::UidlState::load(&path, "b@h:1", &limits, false).unwrap();
        assert!(b.seen().is_empty());
        b.insert("x1").unwrap();
    }
    let a = mailcli::store::UidlState::load(&path, "a@h:1", &limits, false).unwrap();
    assert_eq!(
        a.seen().iter().cloned().collect::<Vec<_>>(),
        vec!["odd id\twith tab".to_string(), "x1".to_string()]
    );
    let size = std::fs::metadata(&path).unwrap().len();
    let at_n = limits.clone().max_state_size(size);
    assert!(mailcli::store::UidlState::load(&path, "a@h:1", &at_n, false).is_ok());
    let below = limits.max_state_size(size - 1);
    let e = mailcli::store::UidlState::load(&path, "a@h:1", &below, false).unwrap_err();
    assert_eq!(e.exit_code(), exit::CANTCREAT, "{e}");
}

#[test]
fn fetch_over_implicit_tls() {
    let s = pop3_server_with(&[("u1", M1), ("u2", M2)], true);
    let port = s.port.to_string();
    let dir = TempDir::new("fetch-implicit");
    let maildir = dir.join("Maildir");
    let r = run(&[
        "pop3",
        "fetch",
        "-s",
        "localhost",
        "-p",
        &port,
        "--tls",
        "implicit",
        "--insecure",
        "-u",
        "bob",
        "--password",
        "secret",
        "--maildir",
        maildir.to_str().unwrap(),
    ]);
    assert_eq!(r.code, exit::OK, "{r:?}");
    assert_eq!(maildir_messages(&maildir), vec![M1, M2]);
}

#[test]
fn list_uses_the_state_file_given() {
    let s = server();
    let port = s.port.to_string();
    let dir = TempDir::new("list-state");
    let mbox = dir.join("inbox");
    let state = dir.join("elsewhere.state");
    let (m, st) = (mbox.to_str().unwrap(), state.to_str().unwrap());
    let r = run(&args(&port, &["fetch", "--mbox", m, "--state", st]));
    assert_eq!(r.code, exit::OK, "{r:?}");
    assert!(state.exists() && !dir.join("inbox.uidl").exists());
    s.maildrop
        .lock()
        .unwrap()
        .push(("u4".into(), b"Subject: four\r\n\r\n4\r\n".to_vec()));
    let r = run(&args(&port, &["list", "--mbox", m, "--state", st]));
    assert_eq!(r.code, exit::OK, "{r:?}");
    assert_eq!(r.stdout.matches("fetched").count(), 3, "{r:?}");
    assert!(
        r.stdout.lines().nth(3).unwrap().ends_with("u4  new"),
        "{r:?}"
    );
}

#[test]
fn fetch_with_the_progress_bar_enabled() {
    // Standard error is no terminal here, so indicatif draws nothing; the code path runs.
    let s = server();
    let port = s.port.to_string();
    let dir = TempDir::new("fetch-progress");
    let maildir = dir.join("Maildir");
    let env = mailcli::Env::default().with_progress(true);
    let r = common::run_with(
        &env,
        &args(&port, &["fetch", "--maildir", maildir.to_str().unwrap()]),
    );
    assert_eq!(r.code, exit::OK, "{r:?}");
    assert_eq!(maildir_messages(&maildir).len(), 3);
}

#[test]
fn no_credentials_without_tls_unless_allowed() {
    let s = server();
    let port = s.port.to_string();
    let dir = TempDir::new("fetch-plain");
    let m = dir.join("Maildir");
    let r = run(&[
        "pop3",
        "fetch",
        "-s",
        "localhost",
        "-p",
        &port,
        "--tls",
        "none",
        "-u",
        "bob",
        "--password",
        "secret",
        "--method",
        "user",
        "--maildir",
        m.to_str().unwrap(),
    ]);
    assert_eq!(r.code, exit::USAGE, "{r:?}");
    assert!(r.stderr.starts_with("mailcli: pop3: "), "{r:?}");
    assert!(s.retrieved.lock().unwrap().is_empty());
}

#[test]
fn the_program_reads_the_password_from_mailcli_password() {
    // The real binary, so that main() and Env::from_process() run too.
    let s = server();
    let port = s.port.to_string();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailcli"))
        .args([
            "pop3",
            "list",
            "-s",
            "localhost",
            "-p",
            &port,
            "--insecure",
            "-u",
            "bob",
        ])
        .env("MAILCLI_PASSWORD", "secret")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.ends_with(&format!(
        "3 messages, {} octets\n",
        M1.len() + M2.len() + M3.len()
    )));

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailcli"))
        .args([
            "pop3",
            "list",
            "-s",
            "localhost",
            "-p",
            &port,
            "--insecure",
            "-u",
            "bob",
        ])
        .env("MAILCLI_PASSWORD", "wrong")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(exit::NOPERM), "{out:?}");
}
