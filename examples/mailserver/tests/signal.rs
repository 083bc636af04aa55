//! The mailserver program as an administrator runs it: its log on a pipe has no colour codes
//! and names the certificate file to trust, and SIGTERM stops it as cleanly as Ctrl-C: the
//! transaction under way is refused with 421, a message queued before stays queued, and the
//! program says so and exits 0.

#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine;
use common::{free_port, temp_dir};

const BINARY: &str = env!("CARGO_BIN_EXE_mailserver");

/// The program with `config`, its log lines coming through the channel.
fn spawn(config: &Path) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(BINARY)
        .arg("--config")
        .arg(config)
        .env_remove("RUST_LOG")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines, log) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { return };
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    (child, log)
}

/// Log lines until one contains `what` (all of them, that one last).
fn wait_for_line(log: &mpsc::Receiver<String>, what: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match log.recv_timeout(left) {
            Ok(line) => {
                let found = line.contains(what);
                seen.push(line);
                if found {
                    return seen;
                }
            }
            Err(_) => panic!("no log line with {what:?}; saw {seen:#?}"),
        }
    }
}

/// The address after `name: Some(` in the "serving" line's Debug of the addresses.
fn address(line: &str, name: &str) -> SocketAddr {
    let start = line.find(&format!("{name}: Some(")).unwrap() + name.len() + ": Some(".len();
    let end = start + line[start..].find(')').unwrap();
    line[start..end].parse().unwrap()
}

/// An SMTP client one line at a time.
struct Smtp {
    reader: BufReader<TcpStream>,
}

impl Smtp {
    fn connect(address: SocketAddr) -> Self {
        let tcp = TcpStream::connect(address).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut smtp = Self {
            reader: BufReader::new(tcp),
        };
        assert!(smtp.reply().starts_with("220"));
        smtp
    }

    /// The next reply, all its lines.
    fn reply(&mut self) -> String {
        let mut reply = String::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).unwrap();
            reply.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return reply;
            }
        }
    }

    fn send(&mut self, data: &str) {
        self.reader.get_mut().write_all(data.as_bytes()).unwrap();
    }

    fn command(&mut self, line: &str, expect: &str) {
        self.send(&format!("{line}\r\n"));
        let reply = self.reply();
        assert!(reply.starts_with(expect), "{line}: {reply:?}");
    }
}

#[test]
fn sigterm_refuses_the_transaction_under_way_keeps_the_queue_and_exits_0() {
    let dir = temp_dir("sigterm");
    let data = dir.join("data");
    let config = dir.join("mailserver.toml");
    // Mail for example.net goes to a port nobody listens on: it waits in the queue.
    std::fs::write(
        &config,
        format!(
            r#"hostname = "mx.example.org"
domains = ["example.org"]
data_dir = "{}"
allow_plaintext_auth = true
[listen]
smtp = "127.0.0.1:0"
submission = "127.0.0.1:0"
lmtp = "127.0.0.1:0"
pop3 = "127.0.0.1:0"
[routes."example.net"]
address = "{}"
"#,
            data.display(),
            free_port()
        ),
    )
    .unwrap();
    let mut passwd = Command::new(BINARY)
        .arg("--config")
        .arg(&config)
        .args(["passwd", "alice"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    passwd
        .stdin
        .take()
        .unwrap()
        .write_all(b"alice-pw\n")
        .unwrap();
    assert!(passwd.wait().unwrap().success());

    let (mut server, log) = spawn(&config);
    let started = wait_for_line(&log, "serving");
    let certificate = data.join("self-signed.pem");
    assert!(
        started
            .iter()
            .any(|l| l.contains(&certificate.display().to_string())),
        "the certificate's path is logged: {started:#?}"
    );
    assert!(
        started.iter().all(|l| !l.contains('\x1b')),
        "no colour codes on a pipe: {started:#?}"
    );
    let submission = address(started.last().unwrap(), "submission");

    let mut smtp = Smtp::connect(submission);
    smtp.command("EHLO client.example.org", "250");
    let plain = base64::engine::general_purpose::STANDARD.encode("\0alice\0alice-pw");
    smtp.command(&format!("AUTH PLAIN {plain}"), "235");
    smtp.command("MAIL FROM:<alice@example.org>", "250");
    smtp.command("RCPT TO:<bob@example.net>", "250");
    smtp.command("DATA", "354");
    smtp.command(
        "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: queued\r\n\r\nkept\r\n.",
        "250",
    );
    // A second message is under way when the signal comes.
    smtp.command("MAIL FROM:<alice@example.org>", "250");
    smtp.command("RCPT TO:<bob@example.net>", "250");
    smtp.command("DATA", "354");
    smtp.send("Subject: cut\r\n\r\nhalf of it");

    let kill = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let reply = smtp.reply();
    assert!(reply.starts_with("421 "), "{reply:?}");

    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let mut rest = Vec::new();
    while let Ok(line) = log.recv_timeout(Duration::from_secs(5)) {
        rest.push(line);
    }
    let shutting_down = rest.iter().position(|l| l.contains("shutting down"));
    let stopped = rest.iter().position(|l| l.contains("stopped"));
    assert!(
        rest.iter()
            .any(|l| l.contains("shutting down") && l.contains("SIGTERM")),
        "{rest:#?}"
    );
    assert!(shutting_down < stopped, "{rest:#?}");

    // The queue's lock is free, and it holds the first message whole, for bob, and not the
    // one cut short.
    let queue = mailstore::Queue::open(data.join("queue")).unwrap();
    let items = queue.items().unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    let pending: Vec<_> = items[0].pending().map(|r| r.address.clone()).collect();
    assert_eq!(pending, ["bob@example.net"]);
    let mut message = String::new();
    queue
        .open_message(&items[0].id)
        .unwrap()
        .read_to_string(&mut message)
        .unwrap();
    assert!(
        message.ends_with("Subject: queued\r\n\r\nkept\r\n"),
        "{message:?}"
    );
    drop(queue);
    std::fs::remove_dir_all(&dir).unwrap();
}
