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
        // The log is read below: whatever the environment asks, warnings are in it.
        .env("RUST_LOG", "warn")
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

/// A password checker that blocks until released, counting the checks under way.
#[derive(Default)]
struct Gate {
    state: std::sync::Mutex<(usize, bool)>,
    changed: std::sync::Condvar,
}

impl mailserver::offload::PasswordCheck for Gate {
    fn check(&self, _user: &str, _password: &str) -> bool {
        let mut state = self.state.lock().unwrap();
        state.0 += 1;
        self.changed.notify_all();
        while !state.1 {
            state = self.changed.wait(state).unwrap();
        }
        false
    }
}

/// Opens the gate when dropped, so that a failing test never leaves threads blocked in it.
struct OpenOnDrop(std::sync::Arc<Gate>);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.open();
    }
}

impl Gate {
    fn waiting(&self) -> usize {
        self.state.lock().unwrap().0
    }

    fn open(&self) {
        self.state.lock().unwrap().1 = true;
        self.changed.notify_all();
    }
}

/// Reads an SMTP reply to its last line.
fn smtp_reply(reader: &mut BufReader<TcpStream>) -> String {
    loop {
        let line = read_line(reader);
        if line.as_bytes().get(3) != Some(&b'-') {
            return line;
        }
    }
}

fn send(reader: &mut BufReader<TcpStream>, bytes: &str) {
    reader.get_mut().write_all(bytes.as_bytes()).unwrap();
}

/// The blocking file work of a POP3 login (the maildrop's lock and listing) runs off the async
/// workers: with more logins held inside the store than the runtime has workers, another
/// connection is still served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_store_work_never_stalls_other_connections() {
    let dir = temp_dir("store-blocking");
    for i in 0..3 {
        mailserver::users::set_password(&dir.join("users"), &format!("u{i}"), "pw", false).unwrap();
    }
    let mut config = config("example.net", &dir, any_port(), vec![], fast_retry(3600));
    config.allow_plaintext_auth = true;
    let gate = std::sync::Arc::new(Gate::default());
    let held = gate.clone();
    let hooks = mailserver::Hooks {
        maildrop_open: Some(std::sync::Arc::new(move |_user: &str| {
            mailserver::offload::PasswordCheck::check(&*held, "", "");
        })),
        ..Default::default()
    };
    let server = mailserver::start_with(config, None, hooks).await.unwrap();
    let pop3 = server.addresses.pop3.unwrap();
    let smtp = server.addresses.smtp.unwrap();
    let check = gate.clone();
    let (noop, logins) = tokio::task::spawn_blocking(move || {
        let _open = OpenOnDrop(check.clone());
        // Three logins, one more than the runtime's workers, each held inside the store.
        let mut logins: Vec<_> = (0..3)
            .map(|i| {
                let mut client = connect(pop3);
                assert!(read_line(&mut client).starts_with("+OK"));
                send(&mut client, &format!("USER u{i}\r\nPASS pw\r\n"));
                assert!(read_line(&mut client).starts_with("+OK"));
                client
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(20);
        while check.waiting() < 3 {
            assert!(
                Instant::now() < deadline,
                "the logins never reached the store"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut other = connect(smtp);
        assert!(read_line(&mut other).starts_with("220 "));
        send(&mut other, "NOOP\r\n");
        let noop = read_line(&mut other);
        check.open();
        let logins: Vec<String> = logins.iter_mut().map(read_line).collect();
        (noop, logins)
    })
    .await
    .unwrap();
    assert!(noop.starts_with("250 "), "{noop:?}");
    assert!(logins.iter().all(|l| l.starts_with("+OK")), "{logins:?}");
    server.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashing_never_stalls_other_connections() {
    let dir = temp_dir("hashing");
    let mut config = config("example.net", &dir, any_port(), vec![], fast_retry(3600));
    config.allow_plaintext_auth = true;
    config.limits.hash_workers = 8;
    let gate = std::sync::Arc::new(Gate::default());
    let hooks = mailserver::Hooks {
        password_check: Some(gate.clone()),
        ..Default::default()
    };
    let server = mailserver::start_with(config, None, hooks).await.unwrap();
    let pop3 = server.addresses.pop3.unwrap();
    let smtp = server.addresses.smtp.unwrap();
    let check = gate.clone();
    let (noop, logins) = tokio::task::spawn_blocking(move || {
        let _open = OpenOnDrop(check.clone());
        // Eight logins hold every hashing permit, each blocked inside the checker.
        let mut logins: Vec<_> = (0..8)
            .map(|i| {
                let mut client = connect(pop3);
                assert!(read_line(&mut client).starts_with("+OK"));
                send(&mut client, &format!("USER u{i}\r\nPASS guess\r\n"));
                assert!(read_line(&mut client).starts_with("+OK"));
                client
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(10);
        while check.waiting() < 8 {
            assert!(Instant::now() < deadline, "the checks never started");
            std::thread::sleep(Duration::from_millis(20));
        }
        // A ninth connection is served meanwhile.
        let mut ninth = connect(smtp);
        assert!(read_line(&mut ninth).starts_with("220 "));
        send(&mut ninth, "NOOP\r\n");
        let noop = read_line(&mut ninth);
        check.open();
        let logins: Vec<String> = logins.iter_mut().map(read_line).collect();
        (noop, logins)
    })
    .await
    .unwrap();
    assert!(noop.starts_with("250 "), "{noop:?}");
    assert!(logins.iter().all(|l| l.starts_with("-ERR")), "{logins:?}");
    server.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// base64 of "\0user\0password", for AUTH PLAIN.
fn plain(user: &str, password: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_sends_only_as_their_own_addresses() {
    let dir = temp_dir("sender");
    mailserver::users::set_password(&dir.join("users"), "alice", "alice-pw", false).unwrap();
    mailserver::users::set_password(&dir.join("users"), "bob", "bob-pw", false).unwrap();
    let mut config = config("example.org", &dir, None, vec![], fast_retry(3600));
    config.allow_plaintext_auth = true;
    config.from_header = mailserver::sender::FromHeaderPolicy::Refuse;
    let server = mailserver::start(config, None).await.unwrap();
    let submission = server.addresses.submission.unwrap();
    let replies = tokio::task::spawn_blocking(move || {
        let mut c = connect(submission);
        let mut replies = vec![smtp_reply(&mut c)];
        let mut say = |c: &mut BufReader<TcpStream>, line: &str| {
            send(c, &format!("{line}\r\n"));
            replies.push(smtp_reply(c));
        };
        say(&mut c, "EHLO client.example");
        say(
            &mut c,
            &format!("AUTH PLAIN {}", plain("alice", "alice-pw")),
        );
        say(&mut c, "MAIL FROM:<bob@example.org>");
        say(&mut c, "MAIL FROM:<alice@example.net>");
        say(&mut c, "MAIL FROM:<ALICE@example.org>");
        say(&mut c, "RCPT TO:<bob@example.org>");
        say(&mut c, "DATA");
        say(&mut c, "From: The CEO <ceo@bank.example>\r\n\r\nPay.\r\n.");
        say(&mut c, "MAIL FROM:<>");
        say(&mut c, "RCPT TO:<bob@example.org>");
        say(&mut c, "DATA");
        say(&mut c, "From: Alice <alice@example.org>\r\n\r\nHi.\r\n.");
        replies
    })
    .await
    .unwrap();
    let codes: Vec<&str> = replies.iter().map(|r| &r[..3]).collect();
    assert_eq!(
        codes,
        [
            "220", "250", "235", "553", "553", "250", "250", "354", "550", "250", "250", "354",
            "250"
        ],
        "{replies:?}"
    );
    // The queue id names no file and no process.
    let id = replies[12].trim_end().rsplit(' ').next().unwrap();
    assert_eq!(id.len(), 12, "{}", replies[12]);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    assert!(!replies[12].contains(&format!("P{}", std::process::id())));
    assert_eq!(common::mail_count(&server, "bob"), 1, "only the honest one");
    server.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probing_recipients_ends_the_session_and_slows_down() {
    let dir = temp_dir("probe");
    mailserver::users::set_password(&dir.join("users"), "bob", "bob-pw", false).unwrap();
    let mut config = config("example.net", &dir, any_port(), vec![], fast_retry(3600));
    // 18 free failures, then one second per attempt: slow enough to measure, fast to test.
    config.login_throttle.free_failures = 18;
    config.login_throttle.max_delay_secs = 1;
    config.login_throttle.lockout_after = 1000;
    let server = mailserver::start(config, None).await.unwrap();
    let mx = server.addresses.smtp.unwrap();
    let (replies, elapsed, closed) = tokio::task::spawn_blocking(move || {
        let mut c = connect(mx);
        smtp_reply(&mut c);
        send(
            &mut c,
            "EHLO prober.example\r\nMAIL FROM:<x@prober.example>\r\n",
        );
        smtp_reply(&mut c);
        smtp_reply(&mut c);
        let started = Instant::now();
        let probe: String = (0..30)
            .map(|i| format!("RCPT TO:<u{i}@example.net>\r\n"))
            .collect();
        send(&mut c, &probe);
        let mut replies = Vec::new();
        loop {
            let mut line = String::new();
            c.get_ref()
                .set_read_timeout(Some(Duration::from_secs(60)))
                .unwrap();
            if c.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            replies.push(line);
        }
        let closed = c.get_mut().write_all(b"NOOP\r\n").and_then(|()| {
            let mut rest = String::new();
            c.read_line(&mut rest).map(|n| n == 0)
        });
        (replies, started.elapsed(), closed.unwrap_or(true))
    })
    .await
    .unwrap();
    let refused = replies.iter().filter(|r| r.starts_with("550 ")).count();
    assert_eq!(
        refused, 21,
        "max_errors (20) refusals, then the end: {replies:?}"
    );
    assert!(replies.last().unwrap().starts_with("421 "), "{replies:?}");
    assert!(closed, "the session is over");
    // After the 18th failure each answer waited a second: the 19th, 20th and 21st.
    assert!(elapsed >= Duration::from_secs(3), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    server.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_files_in_tmp_are_removed_at_start() {
    let dir = temp_dir("tmpclean");
    let tmp = dir.join("mail").join("bob").join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let stale = tmp.join("1700000000.M1P1.host");
    let fresh = tmp.join("1700000001.M2P1.host");
    std::fs::write(&stale, b"half a message").unwrap();
    std::fs::write(&fresh, b"being written").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(37 * 3600))
        .unwrap();
    let server = mailserver::start(
        config("example.net", &dir, any_port(), vec![], fast_retry(3600)),
        None,
    )
    .await
    .unwrap();
    common::wait_for("the stale file to go", 10, || !stale.exists()).await;
    assert!(fresh.exists(), "a file younger than 36 hours stays");
    server.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pop3_sizes_equal_the_octets_retr_sends() {
    let dir = temp_dir("sizes");
    mailserver::users::set_password(&dir.join("users"), "bob", "bob-pw", false).unwrap();
    let mut config = config("example.net", &dir, any_port(), vec![], fast_retry(3600));
    config.allow_plaintext_auth = true;
    let server = mailserver::start(config, None).await.unwrap();
    // Through SMTP: DATA, and BDAT without a last line end; a bare CR is refused.
    let mx = server.addresses.smtp.unwrap();
    let codes = tokio::task::spawn_blocking(move || {
        let mut c = connect(mx);
        smtp_reply(&mut c);
        let mut codes = Vec::new();
        let mut say = |c: &mut BufReader<TcpStream>, text: &str, replies: usize| {
            send(c, text);
            for _ in 0..replies {
                codes.push(smtp_reply(c)[..3].to_owned());
            }
        };
        say(&mut c, "EHLO x\r\n", 1);
        let envelope = "MAIL FROM:<a@x.example>\r\nRCPT TO:<bob@example.net>\r\n";
        say(&mut c, &format!("{envelope}DATA\r\n"), 3);
        say(&mut c, "Subject: a\r\n\r\nplain\r\n..dot\r\n.\r\n", 1);
        let no_end = "Subject: b\r\n\r\nno final line end";
        say(
            &mut c,
            &format!("{envelope}BDAT {} LAST\r\n{no_end}", no_end.len()),
            3,
        );
        let bare_cr = "Subject: c\r\n\r\nbare\rcr\r\n";
        say(
            &mut c,
            &format!("{envelope}BDAT {} LAST\r\n{bare_cr}", bare_cr.len()),
            3,
        );
        codes
    })
    .await
    .unwrap();
    assert_eq!(
        codes,
        [
            "250", "250", "250", "354", "250", "250", "250", "250", "250", "250", "550"
        ]
    );
    let pop3 = server.addresses.pop3.unwrap();
    let (sizes, retrieved) = tokio::task::spawn_blocking(move || {
        let mut c = connect(pop3);
        read_line(&mut c);
        send(&mut c, "USER bob\r\nPASS bob-pw\r\nLIST\r\n");
        read_line(&mut c);
        assert!(read_line(&mut c).starts_with("+OK"));
        read_line(&mut c);
        let mut sizes = Vec::new();
        loop {
            let line = read_line(&mut c);
            if line == ".\r\n" {
                break;
            }
            sizes.push(
                line.split(' ')
                    .nth(1)
                    .unwrap()
                    .trim()
                    .parse::<usize>()
                    .unwrap(),
            );
        }
        let mut retrieved = Vec::new();
        for n in 1..=sizes.len() {
            send(&mut c, &format!("RETR {n}\r\n"));
            assert!(read_line(&mut c).starts_with("+OK"));
            let mut octets = Vec::new();
            loop {
                let mut line = Vec::new();
                c.read_until(b'\n', &mut line).unwrap();
                if line == b".\r\n" {
                    break;
                }
                // Unstuffed, as the client takes it.
                octets.extend_from_slice(line.strip_prefix(b".").unwrap_or(&line));
            }
            retrieved.push(octets.len());
        }
        (sizes, retrieved)
    })
    .await
    .unwrap();
    assert_eq!(sizes.len(), 2);
    assert_eq!(sizes, retrieved);
    server.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A server with the user bob, plaintext logins and a lockout after three failures.
async fn bob_locked_out_after_three(name: &str) -> (mailserver::Running, std::path::PathBuf) {
    let dir = temp_dir(name);
    mailserver::users::set_password(&dir.join("users"), "bob", "bob-pw", false).unwrap();
    let mut config = config("example.net", &dir, any_port(), vec![], fast_retry(3600));
    config.allow_plaintext_auth = true;
    config.login_throttle.lockout_after = 3;
    (mailserver::start(config, None).await.unwrap(), dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_pop3_logins_lock_the_address_out() {
    let (server, dir) = bob_locked_out_after_three("lockout").await;
    let pop3 = server.addresses.pop3.unwrap();
    let answers = tokio::task::spawn_blocking(move || {
        let mut answers = Vec::new();
        // A connection per attempt: pop3-proto itself closes after three failures.
        for password in ["guess1", "guess2", "guess3", "bob-pw"] {
            let mut c = connect(pop3);
            read_line(&mut c);
            send(&mut c, &format!("USER bob\r\nPASS {password}\r\n"));
            read_line(&mut c);
            answers.push(read_line(&mut c));
        }
        answers
    })
    .await
    .unwrap();
    assert!(
        answers[..3].iter().all(|a| a.starts_with("-ERR [AUTH]")),
        "{answers:?}"
    );
    // Locked out: even the right password is refused, with the code that says wait.
    assert!(answers[3].starts_with("-ERR [LOGIN-DELAY]"), "{answers:?}");
    server.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_smtp_auth_locks_the_address_out_and_success_clears_it() {
    let dir = temp_dir("auth-lockout");
    mailserver::users::set_password(&dir.join("users"), "alice", "alice-pw", false).unwrap();
    let mut config = config("example.org", &dir, None, vec![], fast_retry(3600));
    config.allow_plaintext_auth = true;
    config.login_throttle.free_failures = 10;
    config.login_throttle.lockout_after = 3;
    let server = mailserver::start(config, None).await.unwrap();
    let submission = server.addresses.submission.unwrap();
    let codes = tokio::task::spawn_blocking(move || {
        let mut c = connect(submission);
        smtp_reply(&mut c);
        send(&mut c, "EHLO client.example\r\n");
        smtp_reply(&mut c);
        let mut codes = Vec::new();
        for password in [
            "guess1", "alice-pw", "guess2", "guess3", "guess4", "alice-pw",
        ] {
            send(
                &mut c,
                &format!("AUTH PLAIN {}\r\n", plain("alice", password)),
            );
            codes.push(smtp_reply(&mut c)[..3].to_owned());
            if codes.last().is_some_and(|c| c == "235") {
                // Logged in: a new session for the next attempt.
                c = connect(submission);
                smtp_reply(&mut c);
                send(&mut c, "EHLO client.example\r\n");
                smtp_reply(&mut c);
            }
        }
        codes
    })
    .await
    .unwrap();
    // A failure, then a success that clears the address's count; three more failures lock
    // the address out, and then even the right password is refused there.
    assert_eq!(
        codes,
        ["535", "235", "535", "535", "535", "535"],
        "{codes:?}"
    );
    server.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_pop3_sasl_logins_count_too() {
    let (server, dir) = bob_locked_out_after_three("sasl-lockout").await;
    let pop3 = server.addresses.pop3.unwrap();
    let answers = tokio::task::spawn_blocking(move || {
        let mut answers = Vec::new();
        for password in ["bob-pw", "guess1", "guess2", "guess3", "bob-pw"] {
            let mut c = connect(pop3);
            read_line(&mut c);
            send(
                &mut c,
                &format!("AUTH PLAIN {}\r\n", plain("bob", password)),
            );
            answers.push(read_line(&mut c)[..3].to_owned());
        }
        answers
    })
    .await
    .unwrap();
    // Three failed exchanges lock the address: the right password no longer opens it.
    assert_eq!(answers, ["+OK", "-ER", "-ER", "-ER", "-ER"]);
    server.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_abuse_settings_read_from_toml_with_their_defaults() {
    let config = mailserver::Config::from_toml(
        r#"
        from_header = "refuse"
        [limits]
        hash_workers = 4
        [login_throttle]
        free_failures = 5
        lockout_secs = 60
        "#,
    )
    .unwrap();
    assert_eq!(
        config.from_header,
        mailserver::sender::FromHeaderPolicy::Refuse
    );
    assert_eq!(config.limits.hash_workers, 4);
    let t = &config.login_throttle;
    assert_eq!(
        (
            t.free_failures,
            t.window_secs,
            t.max_delay_secs,
            t.lockout_after,
            t.lockout_secs
        ),
        (5, 900, 30, 10, 60)
    );
    let defaults = mailserver::Config::default();
    assert_eq!(
        defaults.from_header,
        mailserver::sender::FromHeaderPolicy::Warn
    );
    assert_eq!(defaults.limits.hash_workers, 0, "one per core");
    assert!(mailserver::Config::from_toml("from_header = \"sometimes\"").is_err());
    assert!(mailserver::Config::from_toml("[login_throttle]\nnope = 1").is_err());
}
