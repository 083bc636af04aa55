//! The mail server in-process on 127.0.0.1: a connection killed in the middle of DATA leaves
//! nothing behind; a queued message survives a restart and is delivered once its next hop is
//! up; a message that cannot be delivered within the retry window comes back as a DSN.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{any_port, config, fast_retry, free_port, mail_count, temp_dir, wait_for};
use mailserver::Running;
use proto_io::submit::{SubmitOptions, submit_async};
use proto_io::{Endpoint, TlsMode, Trust};
use sasl_proto::Credentials;

async fn submit_as_alice(server: &Running, to: &str, body: &str) {
    let port = server.addresses.submission.unwrap().port();
    let options = SubmitOptions::new(
        Endpoint::new("localhost", port, TlsMode::StartTls)
            .trust(Trust::CaPem(server.certificate_pem.clone().into_bytes())),
    )
    .credentials(Credentials::password("alice", "alice-pw"));
    let message = format!("From: alice@example.org\r\nTo: {to}\r\nSubject: test\r\n\r\n{body}\r\n");
    let report = submit_async(
        &options,
        "alice@example.org",
        &[to],
        message.as_bytes(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(report.accepted, vec![to.to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_killed_inside_data_leaves_nothing() {
    let dir = temp_dir("killed");
    mailserver::users::set_password(&dir.join("users"), "bob", "bob-pw", false).unwrap();
    let server = mailserver::start(
        config("example.net", &dir, any_port(), vec![], fast_retry(3600)),
        None,
    )
    .await
    .unwrap();
    let mx = server.addresses.smtp.unwrap();
    tokio::task::spawn_blocking(move || {
        let mut tcp = TcpStream::connect(mx).unwrap();
        let mut reader = BufReader::new(tcp.try_clone().unwrap());
        let mut line = String::new();
        let mut expect = |reader: &mut BufReader<TcpStream>, code: &str| loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            assert!(line.starts_with(code), "expected {code}, got {line:?}");
            if line.as_bytes().get(3) == Some(&b' ') {
                break;
            }
        };
        expect(&mut reader, "220");
        tcp.write_all(b"EHLO killer.example\r\n").unwrap();
        expect(&mut reader, "250");
        tcp.write_all(b"MAIL FROM:<x@example.com>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n")
            .unwrap();
        expect(&mut reader, "250");
        expect(&mut reader, "250");
        expect(&mut reader, "354");
        tcp.write_all(b"Subject: half\r\n\r\nthe first half of a body\r\n")
            .unwrap();
        // Gone before the end of data.
        tcp.shutdown(std::net::Shutdown::Both).unwrap();
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let maildir = dir.join("mail").join("bob");
    for sub in ["new", "cur", "tmp"] {
        let entries: Vec<_> = std::fs::read_dir(maildir.join(sub))
            .map(|d| d.collect())
            .unwrap_or_default();
        assert!(entries.is_empty(), "{sub}/ holds {entries:?}");
    }
    server.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_message_survives_a_restart_and_goes_out_when_the_next_hop_is_up() {
    let org_dir = temp_dir("org");
    let net_dir = temp_dir("net");
    mailserver::users::set_password(&org_dir.join("users"), "alice", "alice-pw", false).unwrap();
    mailserver::users::set_password(&net_dir.join("users"), "bob", "bob-pw", false).unwrap();
    let net_address = free_port();
    let org_config = || {
        config(
            "example.org",
            &org_dir,
            None,
            vec![("example.net", net_address)],
            fast_retry(3600),
        )
    };

    // example.net is down: the message waits in example.org's queue.
    let org = mailserver::start(org_config(), None).await.unwrap();
    submit_as_alice(
        &org,
        "bob@example.net",
        "queued while the next hop was down",
    )
    .await;
    wait_for("a failed attempt", 10, || {
        org.context
            .queue
            .items()
            .map(|items| items.iter().any(|i| i.attempts >= 1))
            .unwrap_or(false)
    })
    .await;
    let item = org.context.queue.items().unwrap().pop().unwrap();
    assert!(
        item.recipients[0].last_error.is_some(),
        "the connection error is kept"
    );
    org.shutdown().await;

    // Restart example.org on the same data, then bring example.net up.
    let org = mailserver::start(org_config(), None).await.unwrap();
    assert_eq!(
        org.context.queue.items().unwrap().len(),
        1,
        "the queue survived the restart"
    );
    let net = mailserver::start(
        config(
            "example.net",
            &net_dir,
            Some(net_address),
            vec![],
            fast_retry(3600),
        ),
        None,
    )
    .await
    .unwrap();
    wait_for("delivery to bob", 20, || mail_count(&net, "bob") == 1).await;
    wait_for("an empty queue", 10, || {
        org.context
            .queue
            .items()
            .map(|i| i.is_empty())
            .unwrap_or(false)
    })
    .await;
    let entry = net
        .context
        .maildir("bob")
        .unwrap()
        .list()
        .unwrap()
        .pop()
        .unwrap();
    let stored = net.context.maildir("bob").unwrap().read(&entry.id).unwrap();
    let text = String::from_utf8_lossy(&stored);
    assert!(text.contains("queued while the next hop was down"));
    assert!(
        text.contains("by mx.example.net with ESMTPS")
            && text.contains("by mx.example.org with ESMTPSA")
    );
    org.shutdown().await;
    net.shutdown().await;
    std::fs::remove_dir_all(&org_dir).unwrap();
    std::fs::remove_dir_all(&net_dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_retry_window_the_sender_gets_a_dsn() {
    let dir = temp_dir("dsn");
    mailserver::users::set_password(&dir.join("users"), "alice", "alice-pw", false).unwrap();
    // A 2 s window to a next hop that never comes up.
    let org = mailserver::start(
        config(
            "example.org",
            &dir,
            None,
            vec![("example.net", free_port())],
            fast_retry(2),
        ),
        None,
    )
    .await
    .unwrap();
    submit_as_alice(&org, "bob@example.net", "this will bounce").await;
    wait_for("the DSN in alice's mailbox", 20, || {
        mail_count(&org, "alice") == 1
    })
    .await;
    assert!(
        org.context.queue.items().unwrap().is_empty(),
        "the item is gone once reported"
    );
    let maildir = org.context.maildir("alice").unwrap();
    let entry = maildir.list().unwrap().pop().unwrap();
    let dsn = maildir.read(&entry.id).unwrap();
    let message = rfc5322::Message::parse(bytes::Bytes::from(dsn.clone())).unwrap();
    let text = String::from_utf8_lossy(&dsn).to_ascii_lowercase();
    assert!(text.contains("multipart/report"), "a multipart/report");
    assert!(text.contains("report-type=delivery-status"));
    assert!(text.contains("final-recipient: rfc822; bob@example.net"));
    assert!(text.contains("action: failed"));
    assert!(
        text.contains("subject: test"),
        "the original header comes back"
    );
    assert!(message.parts().count() >= 3);
    org.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_answers_a_connected_client_with_421() {
    let dir = temp_dir("shutdown");
    let server = mailserver::start(
        config("example.net", &dir, any_port(), vec![], fast_retry(3600)),
        None,
    )
    .await
    .unwrap();
    let mx = server.addresses.smtp.unwrap();
    let (greeted, ready) = std::sync::mpsc::channel();
    let client = tokio::task::spawn_blocking(move || {
        let tcp = TcpStream::connect(mx).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut reader = BufReader::new(tcp);
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(line.starts_with("220 "), "{line:?}");
        greeted.send(()).unwrap();
        line.clear();
        reader.read_line(&mut line).unwrap();
        line
    });
    ready.recv_timeout(Duration::from_secs(10)).unwrap();
    server.shutdown().await;
    let line = client.await.unwrap();
    assert!(line.starts_with("421 4.3.2 "), "{line:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(not(feature = "mx"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mx_lookup_without_the_feature_is_refused_at_start() {
    let dir = temp_dir("no-mx-feature");
    let mut config = config("example.org", &dir, None, vec![], fast_retry(3600));
    config.relay.mx = true;
    let error = mailserver::start(config, None).await.unwrap_err();
    assert!(error.to_string().contains("`mx` feature"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}
