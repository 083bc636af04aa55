//! `--help` works for the program and every subcommand; clap's own consistency checks pass.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use clap::CommandFactory;
use common::run;
use mailcli::{Cli, exit};

#[test]
fn clap_debug_assert() {
    Cli::command().debug_assert();
}

#[test]
fn help_for_every_subcommand() {
    let cases: &[(&[&str], &str)] = &[
        (&["--help"], "Usage: mailcli [OPTIONS] <COMMAND>"),
        (&["help"], "Usage: mailcli [OPTIONS] <COMMAND>"),
        (&["send", "--help"], "Usage: mailcli send [OPTIONS]"),
        (
            &["pop3", "--help"],
            "Usage: mailcli pop3 [OPTIONS] <COMMAND>",
        ),
        (
            &["pop3", "list", "--help"],
            "Usage: mailcli pop3 list [OPTIONS]",
        ),
        (
            &["pop3", "fetch", "--help"],
            "Usage: mailcli pop3 fetch [OPTIONS]",
        ),
        (
            &["help", "pop3", "fetch"],
            "Usage: mailcli pop3 fetch [OPTIONS]",
        ),
    ];
    for (args, usage) in cases {
        let r = run(args);
        assert_eq!(r.code, exit::OK, "{args:?}: {r:?}");
        assert!(r.stdout.contains(usage), "{args:?}: {}", r.stdout);
        assert!(r.stderr.is_empty(), "{args:?}: {r:?}");
    }
    let r = run(&["send", "--help"]);
    for flag in [
        "--from",
        "--to",
        "--attach",
        "--file",
        "--tls",
        "--password-file",
        "--insecure",
        "--ca-file",
        "--system-roots",
    ] {
        assert!(r.stdout.contains(flag), "{flag}");
    }
    let r = run(&["pop3", "fetch", "--help"]);
    for flag in ["--maildir", "--mbox", "--delete", "--state", "--method"] {
        assert!(r.stdout.contains(flag), "{flag}");
    }
}

#[test]
fn version_and_bad_command_lines() {
    let r = run(&["--version"]);
    assert_eq!(r.code, exit::OK);
    assert!(r.stdout.starts_with("mailcli "), "{r:?}");

    let r = run(&["pop3", "fetch", "--maildir", "a", "--mbox", "b"]);
    assert_eq!(r.code, exit::CMDLINE, "{r:?}");
    assert!(r.stderr.contains("cannot be used with"), "{r:?}");

    let r = run(&["send", "--file", "m.eml", "--subject", "x"]);
    assert_eq!(r.code, exit::CMDLINE, "{r:?}");

    let r = run(&["send", "--tls", "sometimes"]);
    assert_eq!(r.code, exit::CMDLINE, "{r:?}");

    let r = run(&[
        "pop3",
        "fetch",
        "-s",
        "localhost",
        "-u",
        "bob",
        "--password",
        "x",
    ]);
    assert_eq!(r.code, exit::USAGE, "{r:?}");
    assert!(
        r.stderr.contains("give --maildir DIR or --mbox FILE"),
        "{r:?}"
    );

    let r = run(&[
        "pop3",
        "list",
        "-s",
        "localhost",
        "-u",
        "bob",
        "--password",
        "x",
        "--method",
        "NOT A MECH",
    ]);
    assert_eq!(r.code, exit::USAGE, "{r:?}");
}

#[test]
fn debug_output_hides_the_password() {
    let cli = <Cli as clap::Parser>::try_parse_from([
        "mailcli",
        "pop3",
        "list",
        "-s",
        "h",
        "-u",
        "bob",
        "--password",
        "hunter2",
    ])
    .unwrap();
    let text = format!("{cli:?}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("***"));
}
