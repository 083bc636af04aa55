#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// A test-support crate: its helpers fail the calling test with a message, which is what a
// panic in a test is for. Nothing here parses untrusted input for a program.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use proto_io::{Collector, Direction, Endpoint, TlsMode, Trace, TraceSink, Trust};

/// What to do when the peers are not there: the message every test fails with.
pub const INSTRUCTIONS: &str = "\
INTEROP_ENV is not set: the interop tests need the real peers (Dovecot, Postfix, Python, curl)
started by scripts/interop/run. Run, as root:
    scripts/interop/install-peers                     # once (apt, about a minute)
    scripts/interop/run cargo test -p interop -- --test-threads=1
or the whole test command, which does both:  scripts/test
To leave the interop suite out on a machine that cannot run it:  INTEROP=skip scripts/test";

/// The settings `start-peers` wrote to `peers.env`: ports, users, paths.
#[derive(Debug, Clone)]
pub struct Peers {
    vars: BTreeMap<String, String>,
}

/// One of the peers' users.
#[derive(Debug, Clone)]
pub struct User {
    /// The login name (`alice`).
    pub name: String,
    /// The address (`alice@example.org`).
    pub address: String,
    /// The password.
    pub password: String,
    /// Dovecot's Maildir for the user.
    pub maildir: PathBuf,
}

impl User {
    /// SASL credentials for this user.
    pub fn credentials(&self) -> sasl_proto::Credentials {
        sasl_proto::Credentials::password(self.name.clone(), self.password.clone())
    }
}

impl Peers {
    /// Reads `KEY=value` lines (`#` comments and blank lines skipped).
    pub fn parse(text: &str) -> Self {
        let vars = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Self { vars }
    }

    /// The peers of this test run: `INTEROP_ENV` must name a `peers.env`. Fails the test with
    /// [`INSTRUCTIONS`] otherwise.
    pub fn from_env() -> Self {
        let Some(path) = std::env::var_os("INTEROP_ENV") else {
            panic!("{INSTRUCTIONS}");
        };
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "INTEROP_ENV={}: {e}; are the peers running?\n{INSTRUCTIONS}",
                Path::new(&path).display()
            )
        });
        Self::parse(&text)
    }

    /// A value; fails the test when absent.
    pub fn get(&self, key: &str) -> &str {
        self.vars
            .get(key)
            .unwrap_or_else(|| panic!("{key} missing from peers.env"))
    }

    /// A port (`SMTP` for `INTEROP_SMTP_PORT`).
    pub fn port(&self, name: &str) -> u16 {
        let key = format!("INTEROP_{name}_PORT");
        self.get(&key)
            .parse()
            .unwrap_or_else(|_| panic!("{key} is not a port"))
    }

    /// The address every peer listens on.
    pub fn host(&self) -> &str {
        self.get("INTEROP_HOST")
    }

    /// The peers' directory.
    pub fn dir(&self) -> PathBuf {
        PathBuf::from(self.get("INTEROP_DIR"))
    }

    /// The test CA's PEM file.
    pub fn ca_file(&self) -> PathBuf {
        PathBuf::from(self.get("INTEROP_CA_FILE"))
    }

    /// Trust in the test CA only.
    pub fn trust(&self) -> Trust {
        Trust::ca_file(self.ca_file()).expect("reading the test CA")
    }

    /// An endpoint on the peers' host at the named port, trusting the test CA.
    pub fn endpoint(&self, port: &str, tls: TlsMode) -> Endpoint {
        Endpoint::new(self.host(), self.port(port), tls).trust(self.trust())
    }

    /// `alice`, `bob` or `postmaster`.
    pub fn user(&self, name: &str) -> User {
        let u = name.to_ascii_uppercase();
        User {
            name: self.get(&format!("INTEROP_{u}_USER")).to_owned(),
            address: self.get(&format!("INTEROP_{u}_ADDRESS")).to_owned(),
            password: self.get(&format!("INTEROP_{u}_PASS")).to_owned(),
            maildir: PathBuf::from(self.get(&format!("INTEROP_{u}_MAILDIR"))),
        }
    }

    /// The last `n` lines of the peers' logs, for a failure message.
    pub fn logs(&self, n: usize) -> String {
        let mut out = String::new();
        for key in [
            "INTEROP_POSTFIX_LOG",
            "INTEROP_DOVECOT_LOG",
            "INTEROP_DOVECOT_LDA_LOG",
        ] {
            let Some(path) = self.vars.get(key) else {
                continue;
            };
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let from = lines.len().saturating_sub(n);
            out.push_str(&format!("--- {path} (last {n} lines)\n"));
            for line in lines.iter().skip(from) {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }
}

/// A token no other message of any run carries: for Message-IDs and Subjects, so that tests
/// sharing a mailbox look for their own message and never count.
pub fn unique(tag: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{tag}-{}-{nanos:x}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A body with lines that start with dots (one only a dot), which SMTP and POP3 must stuff
/// and un-stuff: what every delivery test sends.
pub const DOTTED_BODY: &str = "First line.\r\n.A line starting with a dot\r\n..Two dots\r\n.\r\n. \r\nLast line (the one above is a dot and a space).\r\n";

/// A complete message (CRLF line ends) marked with `token` in its Message-ID and Subject.
pub fn message(from: &str, to: &str, token: &str, body: &str) -> Vec<u8> {
    format!(
        "From: <{from}>\r\nTo: <{to}>\r\nSubject: interop {token}\r\n\
         Date: Thu, 26 Nov 2026 08:00:00 +0000\r\nMessage-ID: <{token}@interop.example>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}"
    )
    .into_bytes()
}

/// Delivers a message marked with a new token to `user` through Dovecot's LMTP and waits
/// until it is stored; returns the token and the message as sent.
pub fn deliver_lmtp(peers: &Peers, user: &User, tag: &str, body: &str) -> (String, Vec<u8>) {
    let token = unique(tag);
    let sent = message(&user.address, &user.address, &token, body);
    let options =
        proto_io::submit::SubmitOptions::new(peers.endpoint("LMTP", TlsMode::Plain)).lmtp(true);
    proto_io::submit::submit(&options, &user.address, [&user.address], &sent[..], None)
        .expect("LMTP delivery");
    wait_for_message(peers, &user.maildir, &token, Duration::from_secs(5));
    (token, sent)
}

/// CRLF to LF, as Dovecot stores mail.
pub fn crlf_to_lf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut bytes = data.iter().peekable();
    while let Some(&b) = bytes.next() {
        if b == b'\r' && bytes.peek() == Some(&&b'\n') {
            continue;
        }
        out.push(b);
    }
    out
}

/// The messages (path and content) in a Maildir's `new/` and `cur/` that contain `needle`.
pub fn maildir_matches(maildir: &Path, needle: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(maildir.join(sub)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if let Ok(data) = std::fs::read(&path)
                && contains(&data, needle.as_bytes())
            {
                out.push((path, data));
            }
        }
    }
    out
}

/// Waits (up to `timeout`) for exactly one message holding `needle` in `maildir` and returns
/// it; fails the test, with the peers' logs, when none arrives or several do.
pub fn wait_for_message(
    peers: &Peers,
    maildir: &Path,
    needle: &str,
    timeout: Duration,
) -> (PathBuf, Vec<u8>) {
    let deadline = Instant::now() + timeout;
    loop {
        let mut found = maildir_matches(maildir, needle);
        if found.len() > 1 {
            panic!(
                "{} messages hold {needle} in {}",
                found.len(),
                maildir.display()
            );
        }
        if let Some(hit) = found.pop() {
            return hit;
        }
        if Instant::now() >= deadline {
            panic!(
                "no message holding {needle} reached {} within {timeout:?}\n{}",
                maildir.display(),
                peers.logs(25)
            );
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Checks that no message holding `needle` is in `maildir` after waiting `settle` (time for a
/// delivery that should not happen to happen).
pub fn assert_no_message(maildir: &Path, needle: &str, settle: Duration) {
    thread::sleep(settle);
    let found = maildir_matches(maildir, needle);
    assert!(
        found.is_empty(),
        "a message holding {needle} is in {}: {:?}",
        maildir.display(),
        found.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
}

/// Asserts that `stored` (a Maildir file, LF line ends, with the headers the servers added on
/// top) ends with `sent` after CRLF to LF: every header we wrote and the body, octet for octet.
pub fn assert_stored_intact(stored: &[u8], sent: &[u8]) {
    let expected = crlf_to_lf(sent);
    assert!(
        stored.ends_with(&expected),
        "the stored message does not end with the message sent.\n--- stored:\n{}\n--- sent (LF):\n{}",
        String::from_utf8_lossy(stored),
        String::from_utf8_lossy(&expected)
    );
}

/// The part of a message after its header (after the first empty line), LF or CRLF.
pub fn body_of(message: &[u8]) -> &[u8] {
    for (sep, len) in [(&b"\r\n\r\n"[..], 4), (&b"\n\n"[..], 2)] {
        if let Some(i) = find(message, sep) {
            return message.get(i + len..).unwrap_or_default();
        }
    }
    &[]
}

/// True if `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A trace tap collecting into `collector`.
pub fn tap(collector: &Collector, label: &str) -> Trace {
    let sink: Arc<dyn TraceSink> = Arc::new(collector.clone());
    Trace::new(label.to_owned(), sink)
}

/// The lines this side sent, as the trace shows them (credentials redacted).
pub fn sent_lines(collector: &Collector) -> Vec<String> {
    collector
        .lines()
        .into_iter()
        .filter(|l| l.direction == Direction::Sent)
        .map(|l| l.text)
        .collect()
}

/// Runs a command, failing the test with its output when it cannot start.
pub fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e} (run scripts/interop/install-peers)"))
}

/// Runs `python3 -c script args...` and returns its output; fails the test unless it exits
/// with 0, showing stdout and stderr.
pub fn python(script: &str, args: &[&str]) -> String {
    let mut all = vec!["-c", script];
    all.extend_from_slice(args);
    let out = run("python3", &all);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "python3 failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Makes `path` and everything under it owned by the system user `name` (Dovecot's `vmail`),
/// so that Dovecot can read and change what our server (running as root here) wrote.
pub fn chown_tree(path: &Path, name: &str) {
    let passwd = std::fs::read_to_string("/etc/passwd").expect("/etc/passwd");
    let (uid, gid) = passwd
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            let id = |i: usize| f.get(i).and_then(|v| v.parse::<u32>().ok());
            (f.first() == Some(&name)).then(|| (id(2).unwrap(), id(3).unwrap()))
        })
        .unwrap_or_else(|| panic!("no system user {name}"));
    fn walk(path: &Path, uid: u32, gid: u32) {
        std::os::unix::fs::lchown(path, Some(uid), Some(gid))
            .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
        if path.is_dir()
            && !path.is_symlink()
            && let Ok(entries) = std::fs::read_dir(path)
        {
            for entry in entries.flatten() {
                walk(&entry.path(), uid, gid);
            }
        }
    }
    walk(path, uid, gid);
}

/// A fresh empty directory under the system temp directory.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique(&format!("interop-{tag}")));
    std::fs::create_dir_all(&dir).expect("creating a temp dir");
    dir
}

/// A TCP relay on 127.0.0.1 to `target` for one connection that cuts both directions once the
/// client has sent `cut_after` octets: a server that drops the connection mid-transaction, as
/// the client sees it. Join the handle for the number of octets forwarded each way.
pub struct CutProxy {
    /// Where clients connect.
    pub port: u16,
    handle: thread::JoinHandle<(u64, u64)>,
}

impl CutProxy {
    /// Listens on an ephemeral port; relays the first connection to `target`.
    pub fn start(target: (String, u16), cut_after: u64) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let handle = thread::spawn(move || {
            let (client, _) = listener.accept().expect("proxy accept");
            let server = TcpStream::connect((target.0.as_str(), target.1)).expect("proxy connect");
            let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let down = thread::spawn(move || pump(s2, c2, u64::MAX));
            let up = pump(
                client.try_clone().unwrap(),
                server.try_clone().unwrap(),
                cut_after,
            );
            // Cut both directions, both sockets.
            let _ = client.shutdown(Shutdown::Both);
            let _ = server.shutdown(Shutdown::Both);
            let down = down.join().unwrap_or_default();
            (up, down)
        });
        Self { port, handle }
    }

    /// Waits for the relay to end: (octets client to server, server to client).
    pub fn join(self) -> (u64, u64) {
        self.handle.join().expect("proxy thread")
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, limit: u64) -> u64 {
    let mut buf = [0u8; 4096];
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => return total,
            Ok(n) => n,
        };
        let room = usize::try_from(limit - total).unwrap_or(usize::MAX).min(n);
        if to.write_all(buf.get(..room).unwrap_or_default()).is_err() {
            return total;
        }
        total += room as u64;
        if total >= limit {
            return total;
        }
    }
}

/// Our mailserver, started in-process on 127.0.0.1 with ephemeral ports and the peers'
/// certificate (so clients trust the same test CA), on its own tokio runtime.
pub struct OurServer {
    /// What runs (addresses, context).
    pub running: Option<mailserver::Running>,
    /// Its data directory.
    pub data_dir: PathBuf,
    runtime: tokio::runtime::Runtime,
}

/// How to start [`OurServer`].
#[derive(Debug, Clone)]
pub struct ServerSetup {
    /// Users and passwords (the plaintext-equivalent secret kept: CRAM-MD5 and APOP work).
    pub users: Vec<(String, String)>,
    /// Allow logins without TLS.
    pub allow_plaintext_auth: bool,
    /// Make `data_dir/mail` this directory (Dovecot's `DIR/mail`: a shared store).
    pub shared_mail: Option<PathBuf>,
    /// The largest message accepted.
    pub max_message_size: Option<u64>,
}

impl ServerSetup {
    /// alice and bob with the peers' passwords, plaintext logins allowed on loopback.
    pub fn like_peers(peers: &Peers) -> Self {
        let users = ["alice", "bob"]
            .iter()
            .map(|n| {
                let u = peers.user(n);
                (u.name, u.password)
            })
            .collect();
        Self {
            users,
            allow_plaintext_auth: true,
            shared_mail: None,
            max_message_size: None,
        }
    }
}

impl OurServer {
    /// Starts the server.
    pub fn start(peers: &Peers, setup: &ServerSetup) -> Self {
        let data_dir = temp_dir("mailserver");
        for (name, password) in &setup.users {
            mailserver::users::set_password(&data_dir.join("users"), name, password, true)
                .expect("setting a password");
        }
        if let Some(shared) = &setup.shared_mail {
            std::os::unix::fs::symlink(shared, data_dir.join("mail")).expect("linking the store");
        }
        let loopback = Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
        let mut config = mailserver::Config {
            hostname: "mx.example.org".into(),
            domains: vec!["example.org".into()],
            data_dir: data_dir.clone(),
            listen: mailserver::config::Listen {
                smtp: loopback,
                submission: loopback,
                submissions: loopback,
                lmtp: loopback,
                pop3: loopback,
                pop3s: loopback,
            },
            tls: mailserver::config::Tls {
                cert: Some(PathBuf::from(peers.get("INTEROP_CERT_FILE"))),
                key: Some(PathBuf::from(peers.get("INTEROP_KEY_FILE"))),
            },
            allow_plaintext_auth: setup.allow_plaintext_auth,
            ..mailserver::Config::default()
        };
        if let Some(max) = setup.max_message_size {
            config.limits.max_message_size = max;
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let running = runtime
            .block_on(mailserver::start(config, None))
            .expect("starting our mailserver");
        Self {
            running: Some(running),
            data_dir,
            runtime,
        }
    }

    /// The listeners' addresses.
    pub fn addresses(&self) -> &mailserver::Addresses {
        &self.running.as_ref().expect("running").addresses
    }

    /// The port of a listener (`smtp`, `submission`, `submissions`, `lmtp`, `pop3`, `pop3s`).
    pub fn port(&self, which: &str) -> u16 {
        let a = self.addresses();
        let addr = match which {
            "smtp" => a.smtp,
            "submission" => a.submission,
            "submissions" => a.submissions,
            "lmtp" => a.lmtp,
            "pop3" => a.pop3,
            "pop3s" => a.pop3s,
            other => panic!("no listener {other}"),
        };
        addr.expect("listener bound").port()
    }

    /// The Maildir of `user` as our server keeps it.
    pub fn maildir(&self, user: &str) -> PathBuf {
        self.data_dir.join("mail").join(user)
    }
}

impl Drop for OurServer {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            self.runtime.block_on(running.shutdown());
        }
        if self.data_dir.join("mail").is_symlink() {
            let _ = std::fs::remove_file(self.data_dir.join("mail"));
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_to_lf_keeps_bare_cr_and_lf() {
        assert_eq!(crlf_to_lf(b"a\r\nb\rc\nd\r\n\r\n"), b"a\nb\rc\nd\n\n");
    }

    #[test]
    fn peers_env_parses() {
        let p = Peers::parse("# c\nINTEROP_HOST=127.0.0.1\nINTEROP_SMTP_PORT=11025\n\n");
        assert_eq!(p.host(), "127.0.0.1");
        assert_eq!(p.port("SMTP"), 11025);
    }

    #[test]
    fn body_after_the_header() {
        assert_eq!(body_of(b"A: b\r\n\r\nbody\r\n"), b"body\r\n");
        assert_eq!(body_of(b"A: b\n\nbody\n"), b"body\n");
    }

    #[test]
    fn unique_tokens_differ() {
        assert_ne!(unique("x"), unique("x"));
    }
}

pub mod imap;

/// Driving our SMTP client by hand, for what the `submit` short call does not expose (DATA
/// instead of BDAT, DSN parameters, the capabilities seen).
pub mod smtp {
    use proto_io::{Driver, Endpoint, Trace, connect};
    use smtp_proto::Capabilities;
    use smtp_proto::{
        Client, ForwardPath, MailParameters, Mailbox, RcptParameters, Reply, ReversePath,
    };
    use smtp_proto::{ClientConfig, ClientEvent, MessageDeclaration};

    /// What a transaction gave.
    #[derive(Debug, Default)]
    pub struct Outcome {
        /// The reply to MAIL.
        pub mail: Option<Reply<'static>>,
        /// Each recipient with its RCPT reply.
        pub rcpts: Vec<(String, Reply<'static>)>,
        /// The reply to DATA (when not positive) or the final reply after the data.
        pub done: Option<Reply<'static>>,
        /// LMTP: one reply per accepted recipient.
        pub lmtp: Vec<(String, Reply<'static>)>,
    }

    /// Connects and waits for the client to be ready (greeting, EHLO, STARTTLS when the
    /// endpoint asks for it); returns the driver and the capabilities.
    pub fn ready(
        endpoint: &Endpoint,
        config: ClientConfig,
        trace: Option<Trace>,
    ) -> (Driver<Client>, Capabilities) {
        ready_with_watchdog(endpoint, config, trace, None)
    }

    /// [`ready`], and after `watchdog` the socket is shut down from outside: a session
    /// that stalls then fails at once instead of waiting for the server's timeout.
    pub fn ready_with_watchdog(
        endpoint: &Endpoint,
        config: ClientConfig,
        trace: Option<Trace>,
        watchdog: Option<std::time::Duration>,
    ) -> (Driver<Client>, Capabilities) {
        let connected = connect(endpoint).expect("connecting");
        if let Some(after) = watchdog {
            let socket = connected.stream.tcp().try_clone().expect("socket clone");
            std::thread::spawn(move || {
                std::thread::sleep(after);
                let _ = socket.shutdown(std::net::Shutdown::Both);
            });
        }
        let implicit = connected.tls_info.is_some();
        // With implicit TLS the machine is told by its config only: calling tls_established
        // before the greeting makes smtp-proto's client send EHLO before the greeting and
        // read the greeting as the EHLO reply (see tests/smtp_postfix.rs, the ignored test).
        let client = Client::new(
            config.with_implicit_tls(implicit),
            std::time::Instant::now(),
        );
        let mut driver = Driver::new(client, connected.stream);
        if let Some(upgrade) = connected.upgrade {
            driver = driver.with_tls_upgrade(upgrade);
        }
        if let Some(trace) = trace {
            driver = driver.with_trace(trace);
        }
        loop {
            match driver.next_event().expect("driving to EHLO") {
                Some(ClientEvent::Ready(caps)) => return (driver, caps),
                Some(ClientEvent::Greeting(r)) if !r.code().is_positive() => panic!("greeting {r}"),
                Some(ClientEvent::Closed(r)) => panic!("closed before EHLO: {r:?}"),
                None => panic!("connection ended before EHLO"),
                Some(_) => {}
            }
        }
    }

    /// Authenticates with the strongest mechanism offered; the reply's event.
    pub fn auth(driver: &mut Driver<Client>, credentials: sasl_proto::Credentials) -> ClientEvent {
        driver
            .machine()
            .authenticate(credentials, sasl_proto::ClientConfig::default())
            .expect("AUTH can be sent");
        loop {
            match driver.next_event().expect("driving AUTH") {
                Some(e @ (ClientEvent::Authenticated { .. } | ClientEvent::AuthFailed { .. })) => {
                    return e;
                }
                Some(ClientEvent::Closed(r)) => panic!("closed during AUTH: {r:?}"),
                None => panic!("connection ended during AUTH"),
                Some(_) => {}
            }
        }
    }

    /// One transaction: MAIL with `mail_params`, RCPT for each recipient with its
    /// parameters, the body (DATA or BDAT as the client's config says), until the final
    /// reply. A refused MAIL or DATA ends it early; a driver error is returned as text.
    pub fn transaction(
        driver: &mut Driver<Client>,
        from: &str,
        info: MessageDeclaration,
        mail_params: MailParameters<'_>,
        rcpts: Vec<(&str, RcptParameters<'_>)>,
        body: &[u8],
    ) -> Result<Outcome, String> {
        transaction_with(driver, from, info, mail_params, rcpts, body, true)
    }

    /// The next event. With `flush_first`, writes what the machine holds and takes an event
    /// it raised while doing so before blocking in a read: works around proto-io's blocking
    /// `Driver::next_event`, which blocks reading when flushing made the client raise
    /// `BodyWritable` (a DATA body over the client's high-water mark never finishes; see
    /// the ignored test `blocking_driver_streams_a_data_body_over_64_kib`).
    fn next(driver: &mut Driver<Client>, flush_first: bool) -> Result<Option<ClientEvent>, String> {
        if flush_first {
            driver.flush().map_err(|e| format!("driver: {e}"))?;
            if let Some(event) = proto_core::Machine::poll_event(driver.machine()) {
                return event.map(Some).map_err(|e| format!("client: {e}"));
            }
        }
        driver.next_event().map_err(|e| format!("driver: {e}"))
    }

    /// [`transaction`], choosing whether to work around the driver's stall (false: the
    /// driver as it is).
    pub fn transaction_with(
        driver: &mut Driver<Client>,
        from: &str,
        info: MessageDeclaration,
        mail_params: MailParameters<'_>,
        rcpts: Vec<(&str, RcptParameters<'_>)>,
        body: &[u8],
        flush_first: bool,
    ) -> Result<Outcome, String> {
        let reverse = if from.is_empty() {
            ReversePath::Null
        } else {
            ReversePath::Mailbox(Mailbox::parse(from).map_err(|e| e.to_string())?)
        };
        let client = driver.machine();
        client
            .mail_from(reverse, info, mail_params)
            .map_err(|e| format!("MAIL: {e}"))?;
        let n = rcpts.len();
        for (to, params) in rcpts {
            let mailbox = Mailbox::parse(to).map_err(|e| e.to_string())?;
            client
                .rcpt_to(ForwardPath::Mailbox(mailbox), params)
                .map_err(|e| format!("RCPT: {e}"))?;
        }
        client.start_body().map_err(|e| format!("DATA: {e}"))?;
        let mut out = Outcome::default();
        let mut written = 0usize;
        let mut finished = false;
        loop {
            let event = next(driver, flush_first)?;
            match event {
                None => return Err("the connection ended".into()),
                Some(ClientEvent::Closed(r)) => return Err(format!("closed: {r:?}")),
                Some(ClientEvent::Reply {
                    verb: "MAIL",
                    reply,
                    ..
                }) => {
                    let positive = reply.code().is_positive();
                    out.mail = Some(reply);
                    if !positive {
                        return Ok(out);
                    }
                }
                Some(ClientEvent::Reply {
                    verb: "DATA",
                    reply,
                    ..
                }) if !reply.code().is_intermediate() => {
                    out.done = Some(reply);
                    return Ok(out);
                }
                Some(ClientEvent::Recipient {
                    recipient, reply, ..
                }) => out.rcpts.push((path_text(&recipient), reply)),
                Some(ClientEvent::BodyWritable) if !finished => {
                    let client = driver.machine();
                    while written < body.len() {
                        let taken = client
                            .write_body(body.get(written..).unwrap_or_default())
                            .map_err(|e| format!("body: {e}"))?;
                        if taken == 0 {
                            break;
                        }
                        written += taken;
                    }
                    if written == body.len() {
                        client.finish_body().map_err(|e| format!("finish: {e}"))?;
                        finished = true;
                    }
                }
                Some(ClientEvent::MessageDone { reply, .. }) => {
                    out.done = Some(reply);
                    return Ok(out);
                }
                Some(ClientEvent::LmtpDelivery {
                    recipient, reply, ..
                }) => {
                    out.lmtp.push((path_text(&recipient), reply));
                    let accepted = out
                        .rcpts
                        .iter()
                        .filter(|(_, r)| r.code().is_positive())
                        .count();
                    if out.lmtp.len() >= accepted.min(n) {
                        return Ok(out);
                    }
                }
                Some(_) => {}
            }
        }
    }

    /// The address of a forward path, without angle brackets.
    fn path_text(path: &ForwardPath<'_>) -> String {
        match path {
            ForwardPath::Postmaster => "Postmaster".into(),
            ForwardPath::Mailbox(m) => m.to_string(),
        }
    }

    /// QUIT and wait for the end.
    pub fn quit(driver: &mut Driver<Client>) {
        driver.machine().quit().expect("QUIT");
        while let Ok(Some(event)) = driver.next_event() {
            if matches!(event, ClientEvent::Closed(_)) {
                break;
            }
        }
    }
}

/// Driving our POP3 client by hand: each command and its answer.
pub mod pop3 {
    use pop3_proto::{Client, ProtocolError};
    use pop3_proto::{ClientConfig, ClientEvent, LoginMethod};
    use pop3_proto::{MessageNumber, StatusLine};
    use proto_core::CommandId;
    use proto_io::{DriveError, Driver, Endpoint, TlsMode, Trace, connect};

    /// A POP3 session with the greeting read and CAPA answered (after STLS when the
    /// endpoint asks for it).
    pub struct Session {
        /// The driver.
        pub driver: Driver<Client>,
        /// The greeting.
        pub greeting: StatusLine<'static>,
    }

    /// The id a client event answers.
    pub fn event_id(event: &ClientEvent) -> Option<CommandId> {
        match event {
            ClientEvent::Capabilities { id, .. }
            | ClientEvent::LoggedIn { id, .. }
            | ClientEvent::LoginFailed { id, .. }
            | ClientEvent::Stat { id, .. }
            | ClientEvent::List { id, .. }
            | ClientEvent::Uidl { id, .. }
            | ClientEvent::Languages { id, .. }
            | ClientEvent::BodyStart { id, .. }
            | ClientEvent::Ok { id, .. }
            | ClientEvent::Err { id, .. }
            | ClientEvent::Closed { id, .. } => Some(*id),
            _ => None,
        }
    }

    impl Session {
        /// Connects; `config` gets `tls_active` for implicit TLS.
        pub fn connect(endpoint: &Endpoint, config: ClientConfig, trace: Option<Trace>) -> Self {
            let connected = connect(endpoint).expect("connecting");
            let config = config.with_implicit_tls(connected.tls_info.is_some());
            let mut driver = Driver::new(
                Client::new(config, std::time::Instant::now()),
                connected.stream,
            );
            if let Some(upgrade) = connected.upgrade {
                driver = driver.with_tls_upgrade(upgrade);
            }
            if let Some(trace) = trace {
                driver = driver.with_trace(trace);
            }
            let greeting = loop {
                match driver.next_event().expect("greeting") {
                    Some(ClientEvent::Greeting { line, .. }) => break line,
                    Some(_) => {}
                    None => panic!("closed before the greeting"),
                }
            };
            let mut session = Self { driver, greeting };
            let capa = session.driver.machine().send_capa().expect("CAPA");
            session.wait(capa);
            if endpoint.tls == TlsMode::StartTls {
                let stls = session.driver.machine().send_stls().expect("STLS");
                let capa = loop {
                    match session.driver.next_event().expect("STLS") {
                        Some(ClientEvent::TlsEstablished { capa }) => break capa,
                        Some(ClientEvent::Err { id, line, .. }) if id == stls => {
                            panic!("STLS refused: {}", line.text_lossy())
                        }
                        Some(_) => {}
                        None => panic!("closed during STLS"),
                    }
                };
                session.wait(capa);
                assert!(session.driver.is_tls(), "TLS after STLS");
            }
            session
        }

        /// The next event answering `id`, or the driver's error.
        pub fn try_wait(
            &mut self,
            id: CommandId,
        ) -> Result<ClientEvent, DriveError<ProtocolError>> {
            loop {
                match self.driver.next_event()? {
                    Some(event) if event_id(&event) == Some(id) => return Ok(event),
                    Some(_) => {}
                    None => return Err(DriveError::Closed),
                }
            }
        }

        /// The next event answering `id`.
        pub fn wait(&mut self, id: CommandId) -> ClientEvent {
            self.try_wait(id).expect("waiting for an answer")
        }

        /// Logs in; the answer (LoggedIn or LoginFailed).
        pub fn login(
            &mut self,
            credentials: sasl_proto::Credentials,
            method: LoginMethod,
        ) -> ClientEvent {
            let id = self
                .driver
                .machine()
                .login(credentials, method)
                .expect("login can be sent");
            self.wait(id)
        }

        /// Logs in and fails the test unless it succeeded.
        pub fn must_login(&mut self, credentials: sasl_proto::Credentials, method: LoginMethod) {
            match self.login(credentials, method.clone()) {
                ClientEvent::LoggedIn { .. } => {}
                other => panic!("login with {method:?} failed: {other:?}"),
            }
        }

        /// The body of RETR or TOP (`id`), un-stuffed, CRLF line ends.
        pub fn body(&mut self, id: CommandId) -> Result<Vec<u8>, StatusLine<'static>> {
            match self.wait(id) {
                ClientEvent::BodyStart { .. } => {}
                ClientEvent::Err { line, .. } => return Err(line),
                other => panic!("unexpected answer {other:?}"),
            }
            let mut body = Vec::new();
            loop {
                match self.driver.next_event().expect("body") {
                    Some(ClientEvent::BodyChunk { id: got, data }) if got == id => {
                        body.extend_from_slice(&data)
                    }
                    Some(ClientEvent::BodyEnd { id: got }) if got == id => return Ok(body),
                    Some(_) => {}
                    None => panic!("closed inside a body"),
                }
            }
        }

        /// RETR n.
        pub fn retr(&mut self, n: MessageNumber) -> Vec<u8> {
            let id = self.driver.machine().send_retr(n).expect("RETR");
            self.body(id)
                .unwrap_or_else(|l| panic!("RETR refused: {}", l.text_lossy()))
        }

        /// TOP n lines.
        pub fn top(&mut self, n: MessageNumber, lines: u32) -> Vec<u8> {
            let id = self.driver.machine().send_top(n, lines).expect("TOP");
            self.body(id)
                .unwrap_or_else(|l| panic!("TOP refused: {}", l.text_lossy()))
        }

        /// UIDL: number and unique id of every message.
        pub fn uidl(&mut self) -> Vec<(MessageNumber, String)> {
            let id = self.driver.machine().send_uidl(None).expect("UIDL");
            match self.wait(id) {
                ClientEvent::Uidl { entries, .. } => entries
                    .into_iter()
                    .map(|e| (e.number, e.uid.into_owned()))
                    .collect(),
                other => panic!("UIDL: {other:?}"),
            }
        }

        /// The message whose header holds `token` (found with TOP n 0): number and uid.
        pub fn find(&mut self, token: &str) -> Option<(MessageNumber, String)> {
            for (n, uid) in self.uidl() {
                let head = self.top(n, 0);
                if crate::contains(&head, token.as_bytes()) {
                    return Some((n, uid));
                }
            }
            None
        }

        /// DELE n, which must be answered +OK.
        pub fn dele(&mut self, n: MessageNumber) {
            let id = self.driver.machine().send_dele(n).expect("DELE");
            match self.wait(id) {
                ClientEvent::Ok { .. } => {}
                other => panic!("DELE: {other:?}"),
            }
        }

        /// QUIT, which must be answered +OK.
        pub fn quit(mut self) {
            let id = self.driver.machine().send_quit().expect("QUIT");
            match self.wait(id) {
                ClientEvent::Closed { line, .. } => {
                    assert!(line.is_ok(), "QUIT: {}", line.text_lossy())
                }
                other => panic!("QUIT: {other:?}"),
            }
        }
    }
}
