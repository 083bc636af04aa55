//! Helpers shared by the integration tests (each test crate uses a part of them).

#![allow(dead_code, clippy::unwrap_used)]

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mailserver::config::{Listen, RetryConfig, Route};
use mailserver::{Config, Running};

/// A fresh directory under the system's temporary directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "mailserver-test-{name}-{}-{stamp}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Retries after a second, gives up after `give_up_after_secs`, looks at the queue often.
pub fn fast_retry(give_up_after_secs: u64) -> RetryConfig {
    RetryConfig {
        first_delay_secs: 1,
        max_delay_secs: 1,
        give_up_after_secs,
        scan_interval_ms: 50,
    }
}

/// Polls `done` until it holds, failing the test after `seconds`.
pub async fn wait_for(what: &str, seconds: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Messages in `user`'s Maildir.
pub fn mail_count(running: &Running, user: &str) -> usize {
    running
        .context
        .maildir(user)
        .and_then(|m| m.list())
        .map(|l| l.len())
        .unwrap_or(0)
}

/// Any free port on 127.0.0.1, chosen when the listener binds.
pub fn any_port() -> Option<SocketAddr> {
    Some(SocketAddr::from(([127, 0, 0, 1], 0)))
}

/// A port nobody listens on (bound, then released).
pub fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A server for `domain` on 127.0.0.1 with its SMTP listener at `smtp`, STARTTLS routes
/// (any certificate) to `routes`, and `retry`.
pub fn config(
    domain: &str,
    dir: &Path,
    smtp: Option<SocketAddr>,
    routes: Vec<(&str, SocketAddr)>,
    retry: RetryConfig,
) -> Config {
    Config {
        hostname: format!("mx.{domain}"),
        domains: vec![domain.into()],
        data_dir: dir.to_path_buf(),
        listen: Listen {
            smtp,
            submission: any_port(),
            submissions: None,
            lmtp: any_port(),
            pop3: any_port(),
            pop3s: None,
        },
        routes: routes
            .into_iter()
            .map(|(d, a)| {
                let route = Route {
                    address: a.to_string(),
                    starttls: true,
                    insecure: true,
                    ca_file: None,
                };
                (d.to_owned(), route)
            })
            .collect(),
        retry,
        ..Config::default()
    }
}
