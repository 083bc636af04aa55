#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mailserver::config::{Listen, Route};
use mailserver::{Config, Running};
use proto_io::fetch::{Collect, FetchOptions};
use proto_io::submit::SubmitOptions;
use proto_io::{Collector, Direction, Endpoint, TlsMode, TraceLine, TraceSink, Trust};
use rfc5322::MessageBuilder;
use sasl_proto::Credentials;

/// What the walkthrough found.
#[derive(Debug)]
pub struct Outcome {
    /// The message Alice sent, as built.
    pub sent: Vec<u8>,
    /// Bob's copy, as downloaded.
    pub received: Vec<u8>,
    /// Every traced line, in order.
    pub transcript: Vec<TraceLine>,
    /// Problems with Bob's copy; empty when it is right.
    pub problems: Vec<String>,
}

/// The walkthrough failed before Bob could check his copy.
#[derive(Debug)]
pub struct Failure(pub String);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

fn fail(what: &str) -> impl Fn(String) -> Failure + '_ {
    move |e| Failure(format!("{what}: {e}"))
}

const ALICE_PASSWORD: &str = "alice's secret";
const BOB_PASSWORD: &str = "bob's secret";

fn loopback() -> Option<SocketAddr> {
    Some(SocketAddr::from(([127, 0, 0, 1], 0)))
}

fn server_config(domain: &str, data_dir: &Path, routes: Vec<(&str, Route)>) -> Config {
    let retry = mailserver::config::RetryConfig {
        scan_interval_ms: 50,
        ..Default::default()
    };
    Config {
        hostname: format!("mx.{domain}"),
        domains: vec![domain.to_owned()],
        data_dir: data_dir.to_path_buf(),
        listen: Listen {
            smtp: loopback(),
            submission: loopback(),
            submissions: None,
            lmtp: None,
            pop3: loopback(),
            pop3s: None,
        },
        routes: routes.into_iter().map(|(d, r)| (d.to_owned(), r)).collect(),
        retry,
        ..Config::default()
    }
}

/// Runs the whole path in `work_dir` (which it creates and leaves for inspection).
pub async fn run(work_dir: &Path) -> Result<Outcome, Failure> {
    let collector = Collector::new();
    let sink: Arc<dyn TraceSink> = Arc::new(collector.clone());

    // Bob's server first: Alice's server needs its address for the route to example.net.
    let net_dir = work_dir.join("example.net");
    std::fs::create_dir_all(&net_dir)
        .map_err(|e| fail("creating the data directory")(proto_io::error_chain(&e)))?;
    mailserver::users::set_password(&net_dir.join("users"), "bob", BOB_PASSWORD, false)
        .map_err(|e| fail("setting Bob's password")(proto_io::error_chain(&e)))?;
    let net = mailserver::start(
        server_config("example.net", &net_dir, vec![]),
        Some(sink.clone()),
    )
    .await
    .map_err(|e| fail("starting example.net")(proto_io::error_chain(&e)))?;
    let net_mx = net
        .addresses
        .smtp
        .ok_or_else(|| Failure("example.net has no SMTP port".into()))?;

    let org_dir = work_dir.join("example.org");
    std::fs::create_dir_all(&org_dir)
        .map_err(|e| fail("creating the data directory")(proto_io::error_chain(&e)))?;
    mailserver::users::set_password(&org_dir.join("users"), "alice", ALICE_PASSWORD, false)
        .map_err(|e| fail("setting Alice's password")(proto_io::error_chain(&e)))?;
    // The certificates are self-signed; on loopback the relay accepts any.
    let route = Route {
        address: net_mx.to_string(),
        starttls: true,
        insecure: true,
        ca_file: None,
    };
    let org = mailserver::start(
        server_config("example.org", &org_dir, vec![("example.net", route)]),
        Some(sink.clone()),
    )
    .await
    .map_err(|e| fail("starting example.org")(proto_io::error_chain(&e)))?;

    let result = walk(&org, &net, &collector).await;
    org.shutdown().await;
    net.shutdown().await;
    result
}

async fn walk(org: &Running, net: &Running, collector: &Collector) -> Result<Outcome, Failure> {
    // 1. Alice writes a message.
    let sent = MessageBuilder::new()
        .from(rfc5322::Mailbox::new(Some("Alice"), "alice", "example.org"))
        .to(rfc5322::Mailbox::new(Some("Bob"), "bob", "example.net"))
        .subject("How email works")
        .text("Hi Bob,\r\n\r\nthis message went from my client to my server, from my server to yours,\r\nand from your server to you.\r\n.\r\nA line with only a dot, above, survives dot-stuffing.\r\n\r\nAlice\r\n")
        .build()
        .map_err(|e| fail("building the message")(proto_io::error_chain(&e)))?;

    // 2. Her client submits it to her server: STARTTLS, then AUTH, then the transaction.
    let submission = org
        .addresses
        .submission
        .ok_or_else(|| Failure("no submission port".into()))?;
    let trust_org = Trust::CaPem(org.certificate_pem.clone().into_bytes());
    let options = SubmitOptions::new(
        Endpoint::new("localhost", submission.port(), TlsMode::StartTls).trust(trust_org),
    )
    .hostname("alice-laptop.example.org")
    .credentials(Credentials::password("alice", ALICE_PASSWORD));
    let trace = proto_io::Trace::new(
        "Alice's client -> mx.example.org (submission)",
        Arc::new(collector.clone()),
    );
    let report = proto_io::submit::submit_async(
        &options,
        "alice@example.org",
        &["bob@example.net"],
        sent.as_slice(),
        Some(trace),
    )
    .await
    .map_err(|e| fail("submitting")(proto_io::error_chain(&e)))?;
    if report.accepted != ["bob@example.net"] {
        return Err(Failure(format!(
            "the submission server refused Bob: {:?}",
            report.refused
        )));
    }

    // 3. Her server relays it to example.net's server; wait until it is in Bob's Maildir.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let delivered = net
            .context
            .maildir("bob")
            .and_then(|m| m.list())
            .map(|l| !l.is_empty())
            .unwrap_or(false);
        if delivered {
            break;
        }
        if Instant::now() > deadline {
            return Err(Failure(
                "the message did not reach example.net within 20 s".into(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // 4. Bob downloads it with POP3 after STLS, and deletes it from the server.
    let pop3 = net
        .addresses
        .pop3
        .ok_or_else(|| Failure("no POP3 port".into()))?;
    let trust_net = Trust::CaPem(net.certificate_pem.clone().into_bytes());
    let options = FetchOptions::new(
        Endpoint::new("localhost", pop3.port(), TlsMode::StartTls).trust(trust_net),
        Credentials::password("bob", BOB_PASSWORD),
    )
    .delete(true);
    let mut inbox = Collect::default();
    let trace = proto_io::Trace::new(
        "Bob's client -> mx.example.net (POP3)",
        Arc::new(collector.clone()),
    );
    let fetched =
        proto_io::fetch::fetch_new_async(&options, &HashSet::new(), &mut inbox, Some(trace))
            .await
            .map_err(|e| fail("downloading")(proto_io::error_chain(&e)))?;
    let received = inbox
        .messages
        .into_iter()
        .next()
        .map(|(_, body)| body)
        .ok_or_else(|| Failure("Bob's mailbox was empty".into()))?;
    let left = net
        .context
        .maildir("bob")
        .and_then(|m| m.list())
        .map(|l| l.len())
        .unwrap_or(usize::MAX);

    let mut problems = check(&sent, &received);
    if fetched.deleted != 1 || left != 0 {
        problems.push(format!(
            "the message was not deleted from the server ({left} left)"
        ));
    }
    Ok(Outcome {
        sent,
        received,
        transcript: collector.lines(),
        problems,
    })
}

/// Compares Bob's copy with what Alice sent: her header fields and body unchanged, after the
/// trace fields the servers prepended (RFC 5321 4.4).
pub fn check(sent: &[u8], received: &[u8]) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(start) = find(received, sent) else {
        problems.push("Bob's copy does not hold Alice's message unchanged".into());
        return problems;
    };
    let trace_fields = received.get(..start).unwrap_or_default();
    let text = String::from_utf8_lossy(trace_fields);
    let received_fields = text.matches("Received: ").count();
    if received_fields != 2 {
        problems.push(format!(
            "expected 2 Received fields (one per server), found {received_fields}"
        ));
    }
    if !text.contains("by mx.example.org with ESMTPSA") {
        problems.push("no Received field from Alice's server (ESMTPSA)".into());
    }
    if !text.contains("by mx.example.net with ESMTPS") {
        problems.push("no Received field from Bob's server (ESMTPS)".into());
    }
    if received.len() != start + sent.len() {
        problems.push("Bob's copy has bytes after Alice's message".into());
    }
    problems
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len().max(1))
        .position(|w| w == needle)
}

/// The narrated transcript, for people: each hop as its client saw it (the relay is the
/// client of the second hop). The servers' own taps are left out: they show the same lines.
pub fn narrate(outcome: &Outcome) -> String {
    let mut out = String::new();
    let mut label = None;
    let hops = outcome
        .transcript
        .iter()
        .filter(|line| !line.label.contains(" from "));
    for line in hops {
        if label.as_ref() != Some(&line.label) {
            out.push_str(&format!("\n== {}\n", line.label));
            label = Some(line.label.clone());
        }
        let arrow = match line.direction {
            Direction::Sent => "  >> ",
            Direction::Received => "  << ",
        };
        for (i, text) in line.text.lines().enumerate() {
            out.push_str(if i == 0 { arrow } else { "     " });
            out.push_str(text);
            out.push('\n');
        }
    }
    out
}

/// A fresh work directory under the system's temporary directory.
pub fn work_dir() -> PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("how-email-works-{}-{stamp}", std::process::id()))
}
