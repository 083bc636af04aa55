//! The example's two functions against the project's mail server on loopback: the message
//! arrives with its attachments, over TLS verified against the server's certificate, and is
//! fetched with SCRAM-SHA-256; a client trusting another CA is refused.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mailserver::config::Listen;
use proto_io::Collector;
use proto_io::rfc5322::Message;

fn loopback() -> Option<SocketAddr> {
    Some(SocketAddr::from(([127, 0, 0, 1], 0)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_built_message_with_attachments_goes_and_comes_back() {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("outside-user-{}-{stamp}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let users = dir.join("users");
    mailserver::users::set_password(&users, "alice", "alice's secret", false).unwrap();
    mailserver::users::set_password(&users, "bob", "bob's secret", false).unwrap();
    let config = mailserver::Config {
        hostname: "mx.example.org".into(),
        domains: vec!["example.org".into()],
        data_dir: dir.clone(),
        listen: Listen {
            smtp: None,
            submission: loopback(),
            submissions: None,
            lmtp: None,
            pop3: loopback(),
            pop3s: None,
        },
        ..mailserver::Config::default()
    };
    let collector = Collector::new();
    let server = mailserver::start(config, Some(Arc::new(collector.clone())))
        .await
        .unwrap();
    // The server's certificate, as a user saves it to trust it.
    let ca_file = dir.join("server-ca.pem");
    std::fs::write(&ca_file, &server.certificate_pem).unwrap();
    let submission = server.addresses.submission.unwrap().port();
    let pop3 = server.addresses.pop3.unwrap().port();

    // Another CA's certificate is not trusted: verification is real.
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let other_ca = dir.join("other-ca.pem");
    std::fs::write(&other_ca, other.cert.pem()).unwrap();
    let refused = tokio::task::spawn_blocking(move || {
        outside_user::send("localhost", submission, &other_ca)
            .map_err(|e| proto_io::error_chain(&*e))
    })
    .await
    .unwrap();
    let error = refused.unwrap_err();
    assert!(error.to_lowercase().contains("certificate"), "{error}");

    let ca = ca_file.clone();
    tokio::task::spawn_blocking(move || outside_user::send("localhost", submission, &ca).unwrap())
        .await
        .unwrap();
    // Delivery into Bob's Maildir happens after the submission is accepted.
    let deadline = Instant::now() + Duration::from_secs(20);
    while server
        .context
        .maildir("bob")
        .unwrap()
        .list()
        .unwrap()
        .is_empty()
    {
        assert!(Instant::now() < deadline, "not delivered within 20 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ca = ca_file.clone();
    let inbox =
        tokio::task::spawn_blocking(move || outside_user::fetch("localhost", pop3, &ca).unwrap())
            .await
            .unwrap();
    let lines: Vec<String> = collector.lines().into_iter().map(|l| l.text).collect();
    server.shutdown().await;

    assert_eq!(inbox.len(), 1);
    let message = Message::parse(inbox[0].clone()).unwrap();
    let root = message.root();
    assert_eq!(root.subject().as_deref(), Some("Quarterly report"));
    assert_eq!(
        root.from()[0].mailboxes()[0].addr_spec(),
        "alice@example.org"
    );
    assert_eq!(
        message.text_body().as_deref(),
        Some("Hi Bob,\r\nthe report and its chart are attached.\r\n")
    );
    let attachments: Vec<(Option<String>, Vec<u8>)> = message
        .attachments()
        .iter()
        .map(|a| (a.filename(), a.decoded_body().into_owned()))
        .collect();
    assert_eq!(
        attachments,
        [
            (Some("report.pdf".into()), b"%PDF-1.4 ...".to_vec()),
            (Some("chart.png".into()), b"\x89PNG\r\n...".to_vec()),
        ]
    );
    // Both sessions ran in TLS (the refused one never finished its handshake), and both
    // logins, Alice's over SMTP and Bob's over POP3, were SCRAM-SHA-256.
    let count = |what: &str| lines.iter().filter(|l| l.starts_with(what)).count();
    assert_eq!(count("[TLS established"), 2, "{lines:?}");
    assert_eq!(count("AUTH SCRAM-SHA-256 "), 2, "{lines:?}");
    assert_eq!(count("+OK bob's maildrop has 1 messages"), 1, "{lines:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The README shows the example as it is here.
#[test]
fn the_readme_shows_this_code() {
    let code = include_str!("../src/lib.rs");
    let readme = include_str!("../../../README.md");
    let start = code.find("// example code begins\n").unwrap() + 23;
    let end = code.find("// example code ends").unwrap();
    let example = &code[start..end];
    assert!(
        readme.contains(example.trim()),
        "the workspace README's example differs from examples/outside-user/src/lib.rs"
    );
}
