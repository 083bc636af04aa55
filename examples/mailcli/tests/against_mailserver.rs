//! The command line against the workspace's own mail server, in-process on 127.0.0.1: send
//! through submission (STARTTLS, AUTH), then fetch over POP3 (STLS) into a Maildir, twice.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::net::SocketAddr;

use common::run;
use mailcli::exit;

#[test]
fn send_then_fetch_through_mailserver() {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "mailcli-vs-mailserver-{}-{stamp}",
        std::process::id()
    ));
    let data = dir.join("server");
    std::fs::create_dir_all(&data).unwrap();
    mailserver::users::set_password(&data.join("users"), "alice", "alice-pw", false).unwrap();
    mailserver::users::set_password(&data.join("users"), "bob", "bob-pw", false).unwrap();
    let any = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
    let config = mailserver::Config {
        hostname: "mx.example.org".into(),
        domains: vec!["example.org".into()],
        data_dir: data.clone(),
        listen: mailserver::config::Listen {
            smtp: any,
            submission: any,
            submissions: None,
            lmtp: None,
            pop3: any,
            pop3s: None,
        },
        ..mailserver::Config::default()
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(mailserver::start(config, None)).unwrap();
    // The README's way: the self-signed certificate the server keeps in its data directory.
    let ca = data.join("self-signed.pem");
    assert_eq!(server.certificate_path, ca);
    let ca = ca.to_str().unwrap();
    let submission = server.addresses.submission.unwrap().port().to_string();
    let pop3 = server.addresses.pop3.unwrap().port().to_string();

    let sent = run(&[
        "send",
        "-s",
        "localhost",
        "-p",
        &submission,
        "--ca-file",
        ca,
        "-u",
        "alice",
        "--password",
        "alice-pw",
        "--from",
        "Alice <alice@example.org>",
        "--to",
        "bob@example.org",
        "--subject",
        "through our own server",
        "--text",
        "Hello Bob,\n.\na dot line above.\n",
    ]);
    assert_eq!(sent.code, exit::OK, "{sent:?}");

    let maildir = dir.join("bob-inbox");
    let m = maildir.to_str().unwrap();
    let fetch = |extra: &[&str]| {
        let mut args = vec![
            "pop3",
            "fetch",
            "-s",
            "localhost",
            "-p",
            &pop3,
            "--ca-file",
            ca,
            "-u",
            "bob",
            "--password",
            "bob-pw",
            "--maildir",
            m,
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let first = fetch(&[]);
    assert_eq!(first.code, exit::OK, "{first:?}");
    assert!(first.stdout.contains("fetched 1 new message"), "{first:?}");
    let inbox = mailstore::Maildir::open_or_create(&maildir).unwrap();
    let entry = inbox.list().unwrap().pop().unwrap();
    let text = String::from_utf8(inbox.read(&entry.id).unwrap()).unwrap();
    assert!(
        text.starts_with("Received: from "),
        "the server's trace field is on top"
    );
    assert!(text.contains("Subject: through our own server"));
    assert!(
        text.contains("Hello Bob,\r\n.\r\na dot line above.\r\n"),
        "{text}"
    );

    let second = fetch(&["--delete"]);
    assert_eq!(second.code, exit::OK, "{second:?}");
    assert!(
        second.stdout.contains("fetched 0 new messages"),
        "{second:?}"
    );

    let list = |extra: &[&str]| {
        let mut args = vec!["pop3", "list", "-s", "localhost", "-p", &pop3, "-u", "bob"];
        args.extend_from_slice(extra);
        run(&args)
    };
    let wrong = list(&["--ca-file", ca, "--password", "nope"]);
    assert_eq!(wrong.code, exit::NOPERM, "{wrong:?}");

    // Without --ca-file the certificate is refused, with the remedy and rustls's cause, each
    // once, on one line.
    let untrusted = list(&["--password", "bob-pw"]);
    assert_eq!(untrusted.code, exit::PROTOCOL, "{untrusted:?}");
    let advice =
        "the server's certificate is not trusted: give its CA with Endpoint::trust or --ca-file";
    assert_eq!(untrusted.stderr.matches(advice).count(), 1, "{untrusted:?}");
    assert_eq!(
        untrusted
            .stderr
            .matches("invalid peer certificate: UnknownIssuer")
            .count(),
        1,
        "{untrusted:?}"
    );
    assert_eq!(
        untrusted.stderr,
        format!(
            "mailcli: pop3: TLS handshake: {advice}: invalid peer certificate: UnknownIssuer\n"
        ),
        "the line the README shows"
    );

    runtime.block_on(server.shutdown());
    std::fs::remove_dir_all(&dir).unwrap();
}
