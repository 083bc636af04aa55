//! Other clients against our mailserver: Python's smtplib (PLAIN, LOGIN, CRAM-MD5), smtplib.LMTP,
//! poplib (USER/PASS, APOP, STLS), POP3 AUTH over a raw socket (Python 3.11's poplib has no
//! AUTH), and curl's smtp:// and pop3:// with and without TLS. SCRAM against our server is run
//! by our own client. Our server uses the peers' certificate, so every client trusts the test
//! CA; each test starts its own server (fresh Maildirs).

// Test helpers outside #[test] functions fail the test the same way.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::time::Duration;

use interop::{
    DOTTED_BODY, OurServer, Peers, ServerSetup, assert_stored_intact, message, python, run,
    sent_lines, tap, unique, wait_for_message,
};
use pop3_proto::{ClientConfig, LoginMethod};
use proto_io::submit::{SubmitOptions, submit};
use proto_io::{Collector, Endpoint, TlsMode};
use sasl_proto::{Mechanism, OsNonce};

const WAIT: Duration = Duration::from_secs(5);

/// smtplib: connect, optionally STARTTLS, AUTH with the named mechanism, send one message.
const SMTPLIB_SEND: &str = r#"
import smtplib, ssl, sys
host, port, ca, tls, mech, user, pw, frm, to, path = sys.argv[1:11]
msg = open(path, "rb").read()
s = smtplib.SMTP(host, int(port), timeout=20)
s.ehlo("python.example")
if tls == "starttls":
    s.starttls(context=ssl.create_default_context(cafile=ca))
    s.ehlo("python.example")
offered = s.esmtp_features.get("auth", "").upper().split()
assert mech in offered, (mech, offered)
s.user, s.password = user, pw
handler = {"PLAIN": s.auth_plain, "LOGIN": s.auth_login, "CRAM-MD5": s.auth_cram_md5}[mech]
code, text = s.auth(mech, handler, initial_response_ok=(mech != "CRAM-MD5"))
assert code == 235, (code, text)
refused = s.sendmail(frm, [to], msg)
assert refused == {}, refused
s.quit()
print("sent", mech, tls)
"#;

fn write_message(dir: &Path, sent: &[u8]) -> String {
    let path = dir.join(format!("{}.eml", unique("msg")));
    std::fs::write(&path, sent).expect("writing the message");
    path.to_string_lossy().into_owned()
}

fn smtplib_with(mechanism: &str, tls: &str) {
    let peers = Peers::from_env();
    let server = OurServer::start(&peers, &ServerSetup::like_peers(&peers));
    let (alice, bob) = (peers.user("alice"), peers.user("bob"));
    let token = unique(&format!("smtplib-{mechanism}"));
    let sent = message(&bob.address, &alice.address, &token, DOTTED_BODY);
    let file = write_message(&server.data_dir, &sent);
    let port = server.port("submission").to_string();
    let ca = peers.ca_file();
    let out = python(
        SMTPLIB_SEND,
        &[
            peers.host(),
            &port,
            &ca.to_string_lossy(),
            tls,
            mechanism,
            &bob.name,
            &bob.password,
            &bob.address,
            &alice.address,
            &file,
        ],
    );
    assert!(out.contains(&format!("sent {mechanism} {tls}")), "{out}");
    let (_, stored) = wait_for_message(&peers, &server.maildir("alice"), &token, WAIT);
    assert_stored_intact(&stored, &sent);
}

#[test]
fn smtplib_plain_without_tls() {
    smtplib_with("PLAIN", "plain");
}

#[test]
fn smtplib_login_without_tls() {
    smtplib_with("LOGIN", "plain");
}

#[test]
fn smtplib_cram_md5_without_tls() {
    smtplib_with("CRAM-MD5", "plain");
}

#[test]
fn smtplib_plain_after_starttls() {
    smtplib_with("PLAIN", "starttls");
}

#[test]
fn smtplib_login_after_starttls() {
    smtplib_with("LOGIN", "starttls");
}

#[test]
fn smtplib_cram_md5_after_starttls() {
    smtplib_with("CRAM-MD5", "starttls");
}

#[test]
fn no_auth_before_tls_when_not_allowed() {
    // Dovecot treats loopback as secure, so this is checked against our server.
    let peers = Peers::from_env();
    let mut setup = ServerSetup::like_peers(&peers);
    setup.allow_plaintext_auth = false;
    let server = OurServer::start(&peers, &setup);
    let out = python(
        r#"
import smtplib, ssl, poplib, sys
host, smtp_port, pop_port, ca, user, pw = sys.argv[1:7]
s = smtplib.SMTP(host, int(smtp_port), timeout=20)
s.ehlo("python.example")
print("before", "auth" in s.esmtp_features, "starttls" in s.esmtp_features)
s.starttls(context=ssl.create_default_context(cafile=ca))
s.ehlo("python.example")
print("after", s.esmtp_features.get("auth", "").upper())
s.quit()
p = poplib.POP3(host, int(pop_port), timeout=20)
try:
    p.user(user)
    p.pass_(pw)
    print("pop3 plaintext login accepted")
except poplib.error_proto as e:
    print("pop3 refused", e)
p.quit()
"#,
        &[
            peers.host(),
            &server.port("submission").to_string(),
            &server.port("pop3").to_string(),
            &peers.ca_file().to_string_lossy(),
            "alice",
            &peers.user("alice").password,
        ],
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "before False True", "{out}");
    assert!(lines[1].starts_with("after "), "{out}");
    for mech in ["SCRAM-SHA-256", "PLAIN", "LOGIN"] {
        assert!(lines[1].contains(mech), "{mech} after STARTTLS: {out}");
    }
    assert!(lines[2].starts_with("pop3 refused"), "{out}");
}

#[test]
fn smtplib_lmtp_per_recipient() {
    let peers = Peers::from_env();
    let server = OurServer::start(&peers, &ServerSetup::like_peers(&peers));
    let (alice, bob) = (peers.user("alice"), peers.user("bob"));
    let token = unique("smtplib-lmtp");
    let sent = message(&alice.address, &bob.address, &token, DOTTED_BODY);
    let file = write_message(&server.data_dir, &sent);
    let out = python(
        r#"
import smtplib, sys
host, port, frm, path, *to = sys.argv[1:]
l = smtplib.LMTP(host, int(port), timeout=20)
try:
    refused = l.sendmail(frm, to, open(path, "rb").read())
    print("refused", sorted(refused))
except smtplib.SMTPRecipientsRefused as e:
    print("all refused", e.recipients)
l.quit()
"#,
        &[
            peers.host(),
            &server.port("lmtp").to_string(),
            &alice.address,
            &file,
            &alice.address,
            "nobody@example.org",
            &bob.address,
        ],
    );
    assert_eq!(out.trim(), "refused ['nobody@example.org']", "{out}");
    for user in ["alice", "bob"] {
        let (_, stored) = wait_for_message(&peers, &server.maildir(user), &token, WAIT);
        assert_stored_intact(&stored, &sent);
    }
}

/// Delivers a marked message to alice on our server with our client (MX port).
fn deliver(peers: &Peers, server: &OurServer) -> (String, Vec<u8>) {
    let alice = peers.user("alice");
    let token = unique("to-fetch");
    let sent = message(&alice.address, &alice.address, &token, DOTTED_BODY);
    let endpoint =
        Endpoint::new(peers.host(), server.port("smtp"), TlsMode::StartTls).trust(peers.trust());
    submit(
        &SubmitOptions::new(endpoint),
        &alice.address,
        [&alice.address],
        &sent[..],
        None,
    )
    .expect("delivery to our server");
    wait_for_message(peers, &server.maildir("alice"), &token, WAIT);
    (token, sent)
}

/// poplib: log in by `method`, find the message holding the token, print it back as hex.
const POPLIB_FETCH: &str = r#"
import poplib, ssl, sys
host, port, ca, method, user, pw, token = sys.argv[1:8]
p = poplib.POP3(host, int(port), timeout=20)
if method == "stls":
    p.stls(context=ssl.create_default_context(cafile=ca))
if method == "apop":
    p.apop(user, pw)
else:
    p.user(user)
    p.pass_(pw)
count, size = p.stat()
for n in range(1, count + 1):
    resp, lines, octets = p.retr(n)
    data = b"\r\n".join(lines) + b"\r\n"
    if token.encode() in data:
        print(data.hex())
p.quit()
"#;

fn poplib_with(method: &str) {
    let peers = Peers::from_env();
    let server = OurServer::start(&peers, &ServerSetup::like_peers(&peers));
    let (token, sent) = deliver(&peers, &server);
    let alice = peers.user("alice");
    let out = python(
        POPLIB_FETCH,
        &[
            peers.host(),
            &server.port("pop3").to_string(),
            &peers.ca_file().to_string_lossy(),
            method,
            &alice.name,
            &alice.password,
            &token,
        ],
    );
    let hex = out.trim();
    assert!(!hex.is_empty() && !hex.contains('\n'), "one message: {out}");
    let got: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    assert!(
        got.ends_with(&sent),
        "poplib got:\n{}",
        String::from_utf8_lossy(&got)
    );
}

#[test]
fn poplib_user_pass() {
    poplib_with("user");
}

#[test]
fn poplib_apop() {
    poplib_with("apop");
}

#[test]
fn poplib_stls_then_user_pass() {
    poplib_with("stls");
}

#[test]
fn pop3_auth_over_a_raw_socket() {
    let peers = Peers::from_env();
    let server = OurServer::start(&peers, &ServerSetup::like_peers(&peers));
    let alice = peers.user("alice");
    let out = python(
        r#"
import socket, base64, hmac, hashlib, sys
host, port, user, pw = sys.argv[1:5]
def session(mech):
    s = socket.create_connection((host, int(port)), timeout=20)
    f = s.makefile("rb")
    def line():
        return f.readline().decode().rstrip("\r\n")
    def send(text):
        s.sendall(text.encode() + b"\r\n")
    assert line().startswith("+OK")
    if mech == "PLAIN":
        send("AUTH PLAIN " + base64.b64encode(b"\0" + user.encode() + b"\0" + pw.encode()).decode())
    elif mech == "PLAIN-CONT":
        send("AUTH PLAIN")
        assert line().startswith("+"), "continuation"
        send(base64.b64encode(b"\0" + user.encode() + b"\0" + pw.encode()).decode())
    elif mech == "CRAM-MD5":
        send("AUTH CRAM-MD5")
        challenge = base64.b64decode(line()[2:])
        digest = hmac.new(pw.encode(), challenge, hashlib.md5).hexdigest()
        send(base64.b64encode((user + " " + digest).encode()).decode())
    elif mech == "WRONG":
        send("AUTH PLAIN " + base64.b64encode(b"\0" + user.encode() + b"\0wrong").decode())
    answer = line()
    send("QUIT")
    line()
    s.close()
    return answer
for mech in ["PLAIN", "PLAIN-CONT", "CRAM-MD5", "WRONG"]:
    print(mech, session(mech).split(" ")[0])
"#,
        &[
            peers.host(),
            &server.port("pop3").to_string(),
            &alice.name,
            &alice.password,
        ],
    );
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        vec!["PLAIN +OK", "PLAIN-CONT +OK", "CRAM-MD5 +OK", "WRONG -ERR"],
        "{out}"
    );
}

fn curl(args: &[&str]) -> (bool, String, String) {
    let out = run("curl", args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn curl_smtp(url_scheme: &str, port_name: &str, tls_flags: &[&str]) {
    let peers = Peers::from_env();
    let server = OurServer::start(&peers, &ServerSetup::like_peers(&peers));
    let (alice, bob) = (peers.user("alice"), peers.user("bob"));
    let token = unique("curl-smtp");
    let sent = message(&bob.address, &alice.address, &token, DOTTED_BODY);
    let file = write_message(&server.data_dir, &sent);
    let url = format!(
        "{url_scheme}://{}:{}/client.example",
        peers.host(),
        server.port(port_name)
    );
    let userpass = format!("{}:{}", bob.name, bob.password);
    let ca = peers.ca_file().to_string_lossy().into_owned();
    let mut args = vec![
        "--silent",
        "--show-error",
        "--max-time",
        "20",
        "--url",
        &url,
        "--mail-from",
        &bob.address,
        "--mail-rcpt",
        &alice.address,
        "--upload-file",
        &file,
        "--user",
        &userpass,
        "--cacert",
        &ca,
    ];
    args.extend_from_slice(tls_flags);
    let (ok, stdout, stderr) = curl(&args);
    assert!(ok, "curl {url}: {stdout}{stderr}");
    let (_, stored) = wait_for_message(&peers, &server.maildir("alice"), &token, WAIT);
    assert_stored_intact(&stored, &sent);
}

#[test]
fn curl_smtp_without_tls() {
    curl_smtp("smtp", "submission", &[]);
}

#[test]
fn curl_smtp_starttls() {
    curl_smtp("smtp", "submission", &["--ssl-reqd"]);
}

#[test]
fn curl_smtps_implicit_tls() {
    curl_smtp("smtps", "submissions", &[]);
}

fn curl_pop3(url_scheme: &str, port_name: &str, tls_flags: &[&str]) {
    let peers = Peers::from_env();
    let server = OurServer::start(&peers, &ServerSetup::like_peers(&peers));
    let (token, sent) = deliver(&peers, &server);
    let alice = peers.user("alice");
    let userpass = format!("{}:{}", alice.name, alice.password);
    let ca = peers.ca_file().to_string_lossy().into_owned();
    // The listing first (one message: this server is fresh), then RETR 1.
    let base = format!("{url_scheme}://{}:{}", peers.host(), server.port(port_name));
    let mut args = vec![
        "--silent",
        "--show-error",
        "--max-time",
        "20",
        "--user",
        &userpass,
        "--cacert",
        &ca,
    ];
    args.extend_from_slice(tls_flags);
    let list_url = format!("{base}/");
    let mut list_args = args.clone();
    list_args.extend_from_slice(&["--url", &list_url]);
    let (ok, listing, stderr) = curl(&list_args);
    assert!(ok, "curl {list_url}: {stderr}");
    let first = listing.lines().next().unwrap_or_default();
    assert!(first.starts_with("1 "), "LIST: {listing}");
    let retr_url = format!("{base}/1");
    let mut retr_args = args.clone();
    retr_args.extend_from_slice(&["--url", &retr_url]);
    let out = run("curl", &retr_args);
    assert!(
        out.status.success(),
        "curl {retr_url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(interop::contains(&out.stdout, token.as_bytes()));
    assert!(
        out.stdout.ends_with(&sent),
        "curl RETR:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn curl_pop3_without_tls() {
    curl_pop3("pop3", "pop3", &[]);
}

#[test]
fn curl_pop3_stls() {
    curl_pop3("pop3", "pop3", &["--ssl-reqd"]);
}

#[test]
fn curl_pop3s_implicit_tls() {
    curl_pop3("pop3s", "pop3s", &[]);
}

#[test]
fn our_client_scram_against_our_server() {
    let peers = Peers::from_env();
    let server = OurServer::start(&peers, &ServerSetup::like_peers(&peers));
    let (alice, bob) = (peers.user("alice"), peers.user("bob"));
    // SMTP submission: STARTTLS, then the strongest mechanism: SCRAM-SHA-256-PLUS when the
    // server offers channel binding, else SCRAM-SHA-256.
    let token = unique("our-scram");
    let sent = message(&bob.address, &alice.address, &token, DOTTED_BODY);
    let trace = Collector::new();
    let endpoint = Endpoint::new(peers.host(), server.port("submission"), TlsMode::StartTls)
        .trust(peers.trust());
    submit(
        &SubmitOptions::new(endpoint).credentials(bob.credentials()),
        &bob.address,
        [&alice.address],
        &sent[..],
        Some(tap(&trace, "scram")),
    )
    .expect("submission with SCRAM");
    let lines = sent_lines(&trace);
    assert!(
        lines.iter().any(|l| l.starts_with("AUTH SCRAM-SHA-256")),
        "{lines:?}"
    );
    let (_, stored) = wait_for_message(&peers, &server.maildir("alice"), &token, WAIT);
    assert_stored_intact(&stored, &sent);

    // POP3: each SCRAM mechanism explicitly, after STLS.
    for mechanism in [Mechanism::ScramSha1, Mechanism::ScramSha256] {
        let endpoint = Endpoint::new(peers.host(), server.port("pop3"), TlsMode::StartTls)
            .trust(peers.trust());
        let mut s = interop::pop3::Session::connect(
            &endpoint,
            ClientConfig::new().with_nonce_source(OsNonce),
            None,
        );
        s.must_login(alice.credentials(), LoginMethod::Sasl(mechanism));
        let (n, _) = s.find(&token).expect("listed");
        assert!(s.retr(n).ends_with(&sent));
        s.quit();
    }
}
