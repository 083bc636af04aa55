//! The server under attack from loopback: the caps hold for every protocol, the listeners
//! outlive running out of file descriptors, logins slow down, nobody sends as another user.
//! Every test uses 127.0.0.1 only, a bounded number of connections and stops by itself.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{any_port, config, fast_retry, free_port, temp_dir};

/// Reads one line with a deadline.
fn read_line(reader: &mut BufReader<TcpStream>) -> String {
    reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    line
}

fn connect(address: SocketAddr) -> BufReader<TcpStream> {
    BufReader::new(TcpStream::connect(address).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pop3_connections_past_the_per_address_cap_are_refused() {
    let dir = temp_dir("pop3-cap");
    let mut config = config("example.net", &dir, any_port(), vec![], fast_retry(3600));
    config.limits.max_per_ip = 3;
    let server = mailserver::start(config, None).await.unwrap();
    let pop3 = server.addresses.pop3.unwrap();
    let smtp = server.addresses.smtp.unwrap();
    let (pop3_lines, smtp_line) = tokio::task::spawn_blocking(move || {
        let mut held = Vec::new();
        let mut lines = Vec::new();
        for _ in 0..6 {
            let mut client = connect(pop3);
            lines.push(read_line(&mut client));
            held.push(client);
        }
        // Another listener, another count: SMTP refuses its own fourth connection with 421.
        for _ in 0..3 {
            let mut client = connect(smtp);
            assert!(read_line(&mut client).starts_with("220 "));
            held.push(client);
        }
        let mut fourth = connect(smtp);
        (lines, read_line(&mut fourth))
    })
    .await
    .unwrap();
    assert!(
        pop3_lines[..3].iter().all(|l| l.starts_with("+OK")),
        "{pop3_lines:?}"
    );
    assert!(
        pop3_lines[3..]
            .iter()
            .all(|l| l.starts_with("-ERR [SYS/TEMP] ")),
        "{pop3_lines:?}"
    );
    assert!(smtp_line.starts_with("421 4.7.0 "), "{smtp_line:?}");
    server.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Kills the child process (the server under test) when the test ends, passed or not.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Connects and reads the greeting, retrying until `seconds` have passed.
fn greeting_within(address: SocketAddr, seconds: u64) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        if let Ok(tcp) = TcpStream::connect(address) {
            tcp.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
            let mut line = String::new();
            if BufReader::new(tcp).read_line(&mut line).is_ok() && !line.is_empty() {
                return Some(line);
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

#[test]
fn the_listener_outlives_running_out_of_file_descriptors() {
    let dir = temp_dir("emfile");
    let smtp = free_port();
    let port = |a: SocketAddr| a.to_string();
    let toml = format!(
        "hostname = \"mx.example.net\"\ndomains = [\"example.net\"]\ndata_dir = \"{}\"\n\
         [listen]\nsmtp = \"{}\"\nsubmission = \"{}\"\nlmtp = \"{}\"\npop3 = \"{}\"\n\
         [limits]\nmax_connections = 1000\nmax_per_ip = 1000\n",
        dir.display(),
        port(smtp),
        port(free_port()),
        port(free_port()),
        port(free_port()),
    );
    let config_file = dir.join("mailserver.toml");
    std::fs::write(&config_file, toml).unwrap();
    let child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 64; exec \"$0\" --config \"$1\"")
        .arg(env!("CARGO_BIN_EXE_mailserver"))
        .arg(&config_file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    let first = greeting_within(smtp, 30);
    assert!(
        first.as_deref().is_some_and(|l| l.starts_with("220 ")),
        "{first:?}"
    );

    // Exhaust: 100 connections held open, more than 64 descriptors allow. The kernel queues
    // those the server cannot accept.
    let mut held: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(smtp).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    // Release, and connect again: a greeting comes.
    held.clear();
    let again = greeting_within(smtp, 15);
    let mut stderr = child.0.stderr.take().unwrap();
    drop(child);
    let mut log = String::new();
    let _ = stderr.read_to_string(&mut log);
    assert!(
        again.as_deref().is_some_and(|l| l.starts_with("220 ")),
        "{again:?}; server log:\n{log}"
    );
    assert!(
        log.contains("accept failed"),
        "the descriptors ran out: {log}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::io::stdout().flush();
}
