//! `mailcli send` in-process against an SMTP server on 127.0.0.1 (STARTTLS, AUTH).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{TempDir, run, run_with, smtp_server, smtp_server_with};
use mailcli::{Env, exit};
use rfc5322::Message;

#[test]
fn send_built_from_flags_with_an_attachment() {
    let server = smtp_server();
    let dir = TempDir::new("send-built");
    let pdf = dir.join("report.pdf");
    let pdf_bytes: Vec<u8> = (0u8..=255).cycle().take(3000).collect();
    std::fs::write(&pdf, &pdf_bytes).unwrap();
    let password = dir.join("password");
    std::fs::write(&password, "secret\n").unwrap();
    let port = server.port.to_string();
    let r = run(&[
        "send",
        "--server",
        "localhost",
        "--port",
        &port,
        "--insecure",
        "--user",
        "alice",
        "--password-file",
        password.to_str().unwrap(),
        "--from",
        "Alice Martin <alice@example.org>",
        "--to",
        "Bob <bob@example.net>, nobody@example.net",
        "--cc",
        "carol@example.net",
        "--bcc",
        "dave@example.net",
        "--subject",
        "Quarterly report, café edition",
        "--text",
        "Hello Bob,\nthe report is attached.\n",
        "--header",
        "X-Mailer-Test: yes",
        "--attach",
        pdf.to_str().unwrap(),
    ]);
    assert_eq!(r.code, exit::OK, "{r:?}");
    assert!(
        r.stdout
            .contains("sent to bob@example.net, carol@example.net, dave@example.net"),
        "{r:?}"
    );
    assert!(
        r.stderr.contains("refused: nobody@example.net: 550"),
        "{r:?}"
    );

    let got = server.received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let got = &got[0];
    assert!(got.tls, "STARTTLS happened");
    assert_eq!(got.user.as_deref(), Some("alice"));
    assert_eq!(got.mail_from, "alice@example.org");
    assert_eq!(
        got.rcpts,
        vec!["bob@example.net", "carol@example.net", "dave@example.net"]
    );

    let msg = Message::parse(got.body.clone()).unwrap();
    let root = msg.root();
    let from = root.from();
    assert_eq!(from[0].mailboxes()[0].name.as_deref(), Some("Alice Martin"));
    assert_eq!(from[0].mailboxes()[0].addr_spec(), "alice@example.org");
    let to: Vec<String> = root
        .to()
        .iter()
        .flat_map(|a| a.mailboxes())
        .map(|m| m.addr_spec())
        .collect();
    assert_eq!(to, vec!["bob@example.net", "nobody@example.net"]);
    let cc: Vec<String> = root
        .cc()
        .iter()
        .flat_map(|a| a.mailboxes())
        .map(|m| m.addr_spec())
        .collect();
    assert_eq!(cc, vec!["carol@example.net"]);
    assert!(root.field("bcc").is_none(), "Bcc stays out of the header");
    assert_eq!(
        root.subject().as_deref(),
        Some("Quarterly report, café edition")
    );
    assert!(root.date().is_some());
    assert!(
        root.message_id().unwrap().ends_with("@example.org"),
        "{:?}",
        root.message_id()
    );
    assert_eq!(
        root.field("x-mailer-test")
            .map(|f| f.unfolded().into_owned()),
        Some(b" yes".to_vec())
    );
    assert_eq!(
        msg.text_body().as_deref(),
        Some("Hello Bob,\r\nthe report is attached.\r\n")
    );
    let attachments = msg.attachments();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0].filename().as_deref(), Some("report.pdf"));
    assert_eq!(&attachments[0].decoded_body()[..], &pdf_bytes[..]);
}

#[test]
fn send_a_file_with_the_envelope_from_its_header() {
    let server = smtp_server();
    let dir = TempDir::new("send-file");
    let file = dir.join("message.eml");
    // LF line ends on disk, as an editor writes them; a Bcc field that must not leave.
    let text = "From: Alice <alice@example.org>\nTo: bob@example.net\nBcc: dave@example.net,\n carol@example.net\nSubject: from a file\n\n.a line with a dot\nFrom here\n";
    std::fs::write(&file, text).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &server.cert_pem).unwrap();
    let port = server.port.to_string();
    // The password from the environment; the certificate checked against a CA file.
    let env = Env::default().with_password("secret");
    let r = run_with(
        &env,
        &[
            "send",
            "-s",
            "localhost",
            "-p",
            &port,
            "--ca-file",
            ca.to_str().unwrap(),
            "-u",
            "alice",
            "--file",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, exit::OK, "{r:?}");
    let got = server.received.lock().unwrap().clone();
    let got = &got[0];
    assert_eq!(got.mail_from, "alice@example.org");
    assert_eq!(
        got.rcpts,
        vec!["bob@example.net", "dave@example.net", "carol@example.net"]
    );
    assert_eq!(
        String::from_utf8(got.body.clone()).unwrap(),
        "From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: from a file\r\n\r\n.a line with a dot\r\nFrom here\r\n"
    );
}

#[test]
fn send_a_file_to_the_recipients_given() {
    let server = smtp_server();
    let dir = TempDir::new("send-file-to");
    let file = dir.join("message.eml");
    std::fs::write(
        &file,
        "From: x@example.org\r\nTo: y@example.org\r\n\r\nhi\r\n",
    )
    .unwrap();
    let port = server.port.to_string();
    let r = run(&[
        "send",
        "-s",
        "localhost",
        "-p",
        &port,
        "--insecure",
        "-u",
        "alice",
        "--password",
        "secret",
        "--file",
        file.to_str().unwrap(),
        "--envelope-from",
        "",
        "--to",
        "bob@example.net",
    ]);
    assert_eq!(r.code, exit::OK, "{r:?}");
    let got = server.received.lock().unwrap().clone();
    assert_eq!(got[0].mail_from, "", "the null reverse-path");
    assert_eq!(got[0].rcpts, vec!["bob@example.net"]);
    assert_eq!(
        got[0].body,
        b"From: x@example.org\r\nTo: y@example.org\r\n\r\nhi\r\n"
    );
}

#[test]
fn wrong_password_is_a_clear_error_with_exit_code_77() {
    let server = smtp_server();
    let port = server.port.to_string();
    let r = run(&[
        "--trace",
        "send",
        "-s",
        "localhost",
        "-p",
        &port,
        "--insecure",
        "-u",
        "alice",
        "--password",
        "hunter2-wrong",
        "--from",
        "alice@example.org",
        "--to",
        "bob@example.net",
        "--text",
        "hi",
    ]);
    assert_eq!(r.code, exit::NOPERM, "{r:?}");
    assert_eq!(exit::NOPERM, 77);
    assert!(
        r.stderr
            .contains("mailcli: authentication failed: the server said \"535"),
        "{r:?}"
    );
    // The trace shows the session, never the password (in clear or base64).
    assert!(r.stderr.contains(">> STARTTLS"), "{}", r.stderr);
    assert!(!r.stderr.contains("hunter2"));
    assert!(!r.stderr.contains("aHVudGVyM"));
    assert!(server.received.lock().unwrap().is_empty());
}

#[test]
fn unreachable_server_and_bad_input_have_their_own_codes() {
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    drop(listener);
    let r = run(&[
        "send",
        "-s",
        "127.0.0.1",
        "-p",
        &port,
        "--from",
        "a@example.org",
        "--to",
        "b@example.org",
    ]);
    assert_eq!(r.code, exit::UNAVAILABLE, "{r:?}");
    assert!(r.stderr.starts_with("mailcli: send: connect: "), "{r:?}");

    let r = run(&[
        "send",
        "--print",
        "--from",
        "not an address",
        "--to",
        "b@example.org",
    ]);
    assert_eq!(r.code, exit::USAGE, "{r:?}");
    assert!(r.stderr.contains("--from: invalid address"), "{r:?}");

    let r = run(&[
        "send",
        "--print",
        "--from",
        "a@example.org",
        "--to",
        "b@@example.org",
    ]);
    assert_eq!(r.code, exit::USAGE, "{r:?}");

    let r = run(&[
        "send",
        "--print",
        "--from",
        "a@example.org",
        "--attach",
        "/no/such/file",
    ]);
    assert_eq!(r.code, exit::NOINPUT, "{r:?}");

    let r = run(&["send", "--from", "a@example.org", "--to", "b@example.org"]);
    assert_eq!(r.code, exit::USAGE, "{r:?}");
    assert!(r.stderr.contains("--server is required"), "{r:?}");

    let r = run(&[
        "send",
        "--print",
        "--from",
        "a@example.org",
        "--header",
        "Subject: twice",
    ]);
    assert_eq!(r.code, exit::DATAERR, "{r:?}");

    let r = run(&[
        "send",
        "-s",
        "localhost",
        "--user",
        "alice",
        "--from",
        "a@example.org",
        "--to",
        "b@example.org",
    ]);
    assert_eq!(r.code, exit::USAGE, "{r:?}");
    assert!(r.stderr.contains("no password"), "{r:?}");
}

#[test]
fn print_writes_the_built_message() {
    let r = run(&[
        "send",
        "--print",
        "--from",
        "a@example.org",
        "--to",
        "b@example.org",
        "--subject",
        "hello",
        "--text",
        "body",
    ]);
    assert_eq!(r.code, exit::OK, "{r:?}");
    let msg = Message::parse(r.stdout.clone().into_bytes()).unwrap();
    assert_eq!(msg.root().subject().as_deref(), Some("hello"));
    assert_eq!(msg.text_body().as_deref(), Some("body"));
}

#[test]
fn max_message_size_for_a_file_at_n_and_n_plus_one() {
    let dir = TempDir::new("send-limit");
    let file = dir.join("m.eml");
    let message = b"From: a@example.org\r\n\r\nbody\r\n";
    std::fs::write(&file, message).unwrap();
    let n = message.len().to_string();
    let n1 = (message.len() - 1).to_string();
    let f = file.to_str().unwrap();
    let r = run(&["send", "--print", "--file", f, "--max-message-size", &n]);
    assert_eq!(r.code, exit::OK, "{r:?}");
    assert_eq!(r.stdout.as_bytes(), message);
    let r = run(&["send", "--print", "--file", f, "--max-message-size", &n1]);
    assert_eq!(r.code, exit::NOINPUT, "{r:?}");
    assert!(r.stderr.contains("larger than"), "{r:?}");
}

#[test]
fn media_types_are_guessed_from_extensions() {
    use std::path::Path;
    assert_eq!(
        mailcli::send::media_type(Path::new("a.PDF")),
        "application/pdf"
    );
    assert_eq!(mailcli::send::media_type(Path::new("x/y.png")), "image/png");
    assert_eq!(
        mailcli::send::media_type(Path::new("m.eml")),
        "message/rfc822"
    );
    assert_eq!(
        mailcli::send::media_type(Path::new("noext")),
        "application/octet-stream"
    );
}

#[test]
fn send_over_implicit_tls() {
    let server = smtp_server_with(true);
    let port = server.port.to_string();
    let r = run(&[
        "--trace",
        "send",
        "-s",
        "localhost",
        "-p",
        &port,
        "--tls",
        "implicit",
        "--insecure",
        "-u",
        "alice",
        "--password",
        "secret",
        "-f",
        "alice@example.org",
        "-t",
        "bob@example.net",
        "--subject",
        "over TLS",
        "--text",
        "hi",
    ]);
    assert_eq!(r.code, exit::OK, "{r:?}");
    let got = server.received.lock().unwrap().clone();
    assert!(got[0].tls);
    assert_eq!(got[0].user.as_deref(), Some("alice"));
    let msg = Message::parse(got[0].body.clone()).unwrap();
    assert_eq!(msg.root().subject().as_deref(), Some("over TLS"));
}

#[test]
fn no_credentials_without_tls_unless_allowed() {
    let server = smtp_server();
    let port = server.port.to_string();
    let r = run(&[
        "send",
        "-s",
        "localhost",
        "-p",
        &port,
        "--tls",
        "none",
        "-u",
        "alice",
        "--password",
        "secret",
        "-f",
        "alice@example.org",
        "-t",
        "bob@example.net",
        "--text",
        "hi",
    ]);
    assert_eq!(r.code, exit::USAGE, "{r:?}");
    assert!(r.stderr.starts_with("mailcli: send: "), "{r:?}");
    assert!(server.received.lock().unwrap().is_empty());
}
