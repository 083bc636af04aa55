#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

//! Server transcripts: RFC 1939 section 10, RFC 2595, RFC 5034 and RFC 6856 examples, limits,
//! failures, UPDATE versus a dropped connection; each run whole, byte by byte, at random splits.

mod common;

use std::time::Duration;

use common::{Mailbox, ServerScript};
use pop3_proto::{ServerConfig, message_size};
use pop3_proto::Expire;
use proto_core::testing::{Side, Transcript};
use sasl_proto::{FixedNonce, Mechanism};

const TS: &str = "<1896.697170952@dbc.mtview.ca.us>";

/// Message 1: 120 octets with CRLF, a line that needs stuffing.
fn message1() -> Vec<u8> {
    let mut m = b"From: a@example.org\r\nSubject: one\r\n\r\n.dot line\r\n".to_vec();
    m.extend_from_slice(&[b'x'; 70]);
    m.extend_from_slice(b"\r\n");
    assert_eq!(message_size(&m), 120);
    m
}

/// Message 2: 200 octets once its bare LF line ends count as CRLF.
fn message2() -> Vec<u8> {
    let mut m = b"From: b@example.org\nSubject: two\n\nline one\n".to_vec();
    m.extend_from_slice(&[b'y'; 151]);
    m.extend_from_slice(b"\n");
    assert_eq!(message_size(&m), 200);
    m
}

fn mailbox() -> Mailbox {
    Mailbox::new(vec![
        (message1(), "uid-one".into()),
        (message2(), "uid-two".into()),
    ])
}

fn run(config: impl Fn() -> ServerConfig, text: &str) {
    let transcript = Transcript::parse(text, Side::Server).unwrap();
    transcript
        .run(30, || ServerScript::new(config(), mailbox()))
        .unwrap_or_else(|f| panic!("{f}"));
}

fn plaintext() -> ServerConfig {
    ServerConfig::new()
        .with_apop_timestamp(TS)
        .with_plaintext_auth(true)
        .with_stls(false)
}

const BODY1: &str = "S: From: a@example.org
S: Subject: one
S:
S: ..dot line
S: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
S: .";

const BODY2: &str = "S: From: b@example.org
S: Subject: two
S:
S: line one
S: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy
S: .";

/// RFC 1939 section 10, the example session, byte for byte.
#[test]
fn rfc1939_section10_session() {
    let text = format!(
        "S: +OK POP3 server ready {TS}
C: APOP mrose c4c9334bac560ecc979e58001b3e22fb
E: login apop mrose c4c9334bac560ecc979e58001b3e22fb
A: check
S: +OK mrose's maildrop has 2 messages (320 octets)
C: STAT
S: +OK 2 320
C: LIST
S: +OK 2 messages (320 octets)
S: 1 120
S: 2 200
S: .
C: RETR 1
E: retr 1 uid-one 120
A: send
S: +OK 120 octets
{BODY1}
C: DELE 1
S: +OK message 1 deleted
C: RETR 2
E: retr 2 uid-two 200
A: send 5
S: +OK 200 octets
{BODY2}
C: DELE 2
S: +OK message 2 deleted
C: QUIT
E: update mrose [1:uid-one 2:uid-two]
A: update dewey POP3 server signing off (maildrop empty)
S: +OK dewey POP3 server signing off (maildrop empty)
X: close
"
    );
    run(plaintext, &text);
}

/// The same kind of session pipelined: every command in one write.
#[test]
fn rfc1939_session_pipelined() {
    let text = format!(
        "S: +OK POP3 server ready {TS}
C: USER mrose
C: PASS tanstaaf
C: STAT
C: UIDL
C: LIST 2
C: UIDL 1
C: TOP 1 0
C: DELE 1
C: QUIT
S: +OK send PASS
E: login user mrose pass tanstaaf
A: check
S: +OK mrose's maildrop has 2 messages (320 octets)
S: +OK 2 320
S: +OK
S: 1 uid-one
S: 2 uid-two
S: .
S: +OK 2 200
S: +OK 1 uid-one
E: top 1 0 uid-one
A: send 3
S: +OK top of message follows
S: From: a@example.org
S: Subject: one
S:
S: .
S: +OK message 1 deleted
E: update mrose [1:uid-one]
A: update
S: +OK POP3 server signing off
X: close
"
    );
    run(plaintext, &text);
}

#[test]
fn top_counts_body_lines_and_rset_unmarks() {
    let text = format!(
        "S: +OK POP3 server ready {TS}
C: USER mrose
S: +OK send PASS
C: PASS tanstaaf
E: login user mrose pass tanstaaf
A: check
S: +OK mrose's maildrop has 2 messages (320 octets)
C: TOP 2 1
E: top 2 1 uid-two
A: send 1
S: +OK top of message follows
S: From: b@example.org
S: Subject: two
S:
S: line one
S: .
C: TOP 1 10
E: top 1 10 uid-one
A: send 4
S: +OK top of message follows
{BODY1}
C: RETR 1
E: retr 1 uid-one 120
A: send 1000
S: +OK 120 octets
{BODY1}
C: DELE 1
S: +OK message 1 deleted
C: DELE 1
S: -ERR message 1 already deleted
C: RETR 1
S: -ERR no such message
C: LIST
S: +OK 1 messages (200 octets)
S: 2 200
S: .
C: LAST
S: +OK 1
C: RSET
S: +OK maildrop has 2 messages (320 octets)
C: LAST
S: +OK 0
C: STAT
S: +OK 2 320
C: LIST 3
S: -ERR no such message
C: NOOP
S: +OK
C: RETR 2
E: retr 2 uid-two 200
A: unavailable needs UTF8 mode
S: -ERR [UTF8] needs UTF8 mode
C: QUIT
E: update mrose []
A: update
S: +OK POP3 server signing off
X: close
"
    );
    run(plaintext, &text);
}

#[test]
fn dropped_connection_deletes_nothing() {
    let text = format!(
        "S: +OK POP3 server ready {TS}
C: USER mrose
S: +OK send PASS
C: PASS tanstaaf
E: login user mrose pass tanstaaf
A: check
S: +OK mrose's maildrop has 2 messages (320 octets)
C: DELE 1
S: +OK message 1 deleted
EOF
E: disconnected
X: close
"
    );
    run(plaintext, &text);
}

#[test]
fn failed_logins_are_counted_then_the_connection_closes() {
    let text = format!(
        "S: +OK POP3 server ready {TS}
C: PASS nouser
S: -ERR USER first
C: USER mrose
S: +OK send PASS
C: PASS wrong
E: login user mrose pass wrong
A: check
S: -ERR [AUTH] Authentication failed
C: APOP mrose 00000000000000000000000000000000
E: login apop mrose 00000000000000000000000000000000
A: check
S: -ERR [AUTH] Authentication failed
C: USER mrose
S: +OK send PASS
C: PASS still wrong
E: login user mrose pass still wrong
A: check
S: -ERR [AUTH] Authentication failed; too many failures, closing
E: too many failed logins
X: close
"
    );
    run(plaintext, &text);
}

#[test]
fn in_use_login_delay_and_sys_codes() {
    let text = format!(
        "S: +OK POP3 server ready {TS}
C: USER mrose
S: +OK send PASS
C: PASS tanstaaf
E: login user mrose pass tanstaaf
A: refuse in-use
S: -ERR [IN-USE] Do you have another POP session running?
C: APOP mrose c4c9334bac560ecc979e58001b3e22fb
E: login apop mrose c4c9334bac560ecc979e58001b3e22fb
A: refuse delay
S: -ERR [LOGIN-DELAY] Logged in too recently
C: USER mrose
S: +OK send PASS
C: PASS tanstaaf
E: login user mrose pass tanstaaf
A: refuse temp
S: -ERR [SYS/TEMP] Try again later
C: USER mrose
S: +OK send PASS
C: PASS tanstaaf
E: login user mrose pass tanstaaf
A: refuse perm
S: -ERR [SYS/PERM] Maildrop unavailable
C: QUIT
S: +OK POP3 server signing off
X: close
"
    );
    run(plaintext, &text);
}

fn tls_config() -> ServerConfig {
    ServerConfig::new()
        .with_sasl_mechanisms(vec![Mechanism::ScramSha256, Mechanism::Plain])
        .with_implementation("pop3-proto")
        .with_login_delay(900)
        .with_expire(Expire::Days(60))
        .with_nonce_source(FixedNonce("server-nonce".into()))
}

/// RFC 2595 section 4 and RFC 5034 section 6 (first example): no login of any kind before
/// STLS; CAPA says so, and tells the new truth after TLS and after login.
#[test]
fn rfc2595_stls_then_capa_tells_the_truth() {
    let text = "S: +OK POP3 server ready
C: CAPA
S: +OK Capability list follows
S: TOP
S: UIDL
S: RESP-CODES
S: AUTH-RESP-CODE
S: PIPELINING
S: STLS
S: LOGIN-DELAY 900
S: EXPIRE 60
S: IMPLEMENTATION pop3-proto
S: .
C: USER mrose
S: -ERR [AUTH] Login not allowed before STLS
C: AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=
S: -ERR [AUTH] Login not allowed before STLS
C: APOP mrose c4c9334bac560ecc979e58001b3e22fb
S: -ERR APOP not supported
C: STLS
S: +OK Begin TLS negotiation
X: starttls
E: tls
C: STLS
S: -ERR Command not permitted when TLS active
C: CAPA
S: +OK Capability list follows
S: TOP
S: UIDL
S: RESP-CODES
S: AUTH-RESP-CODE
S: PIPELINING
S: USER
S: SASL SCRAM-SHA-256 PLAIN
S: LOGIN-DELAY 900
S: EXPIRE 60
S: IMPLEMENTATION pop3-proto
S: .
C: AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=
E: sasl secret PLAIN test
A: sasl
E: sasl authorize test test
A: sasl
E: login sasl PLAIN test as test
A: check
S: +OK test's maildrop has 2 messages (320 octets)
C: CAPA
S: +OK Capability list follows
S: TOP
S: UIDL
S: RESP-CODES
S: AUTH-RESP-CODE
S: PIPELINING
S: LOGIN-DELAY 900
S: EXPIRE 60
S: IMPLEMENTATION pop3-proto
S: .
C: AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=
S: -ERR not allowed in the TRANSACTION state
C: QUIT
E: update test []
A: update
S: +OK POP3 server signing off
X: close
";
    run(tls_config, text);
}

/// Commands pipelined behind STLS are an injection attempt: fatal.
#[test]
fn stls_injection_is_fatal() {
    let text = "S: +OK POP3 server ready
C: STLS
C: USER mrose
E: error: data received after STLS before the TLS handshake
X: close
";
    // Only whole: split input can legitimately deliver STLS alone first.
    let transcript = Transcript::parse(text, Side::Server).unwrap();
    transcript
        .run_split(
            proto_core::testing::Split::Whole,
            &mut ServerScript::new(tls_config(), mailbox()),
        )
        .unwrap_or_else(|f| panic!("{f}"));
}

/// RFC 5034 section 6, second example: AUTH PLAIN without an initial response after TLS.
#[test]
fn rfc5034_auth_plain_without_initial_response() {
    let text = "S: +OK POP3 server ready
C: AUTH PLAIN
S+ + \\r\\n
C: dGVzdAB0ZXN0AHRlc3Q=
E: sasl secret PLAIN test
A: sasl
E: sasl authorize test test
A: sasl
E: login sasl PLAIN test as test
A: check
S: +OK test's maildrop has 2 messages (320 octets)
";
    run(|| tls_config().with_implicit_tls(true), text);
}

#[test]
fn auth_cancel_bad_base64_and_unknown_mechanism() {
    let text = "S: +OK POP3 server ready
C: AUTH
S: +OK mechanisms follow
S: SCRAM-SHA-256
S: PLAIN
S: .
C: AUTH CRAM-MD5
S: -ERR unsupported mechanism
C: AUTH PLAIN
S+ + \\r\\n
C: *
S: -ERR AUTH cancelled
C: AUTH PLAIN
S+ + \\r\\n
C: not base64!
S: -ERR [AUTH] invalid base64
C: AUTH PLAIN dGVzdAB0ZXN0AHdyb25n
E: sasl secret PLAIN test
A: sasl
S: -ERR [AUTH] Authentication failed
";
    run(|| tls_config().with_implicit_tls(true), text);
}

/// SCRAM-SHA-256 with RFC 7677 section 3's nonces and salt: the server's final message goes
/// as a last challenge, answered by an empty line (RFC 5034 section 4, RFC 4422 section 3.6).
#[test]
fn scram_sha_256_final_message_as_challenge() {
    let b64 =
        |d: &str| String::from_utf8(sasl_proto::codec::encode_continuation(d.as_bytes())).unwrap();
    let client_first = b64("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    let server_first = b64(
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    );
    let client_final = b64(
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    );
    let server_final = b64("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    let config = || {
        tls_config()
            .with_implicit_tls(true)
            .with_nonce_source(FixedNonce("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0".into()))
    };
    let text = format!(
        "S: +OK POP3 server ready
C: AUTH SCRAM-SHA-256 {client_first}
E: sasl secret SCRAM-SHA-256 user
A: sasl
S: + {server_first}
C: {client_final}
E: sasl authorize user -
A: sasl
S: + {server_final}
C:
E: login sasl SCRAM-SHA-256 user
A: check
S: +OK user's maildrop has 2 messages (320 octets)
"
    );
    run(config, &text);
}

#[test]
fn autologout_after_idle_but_not_while_active() {
    let text = "S: +OK POP3 server ready
T: +9m
C: NOOP
S: -ERR not allowed in the AUTHORIZATION state
T: +2m
T: +7m
T: +59s
T: +1s
S: -ERR autologout; idle for too long
E: timed out
X: close
";
    run(
        || tls_config().with_autologout(Duration::from_secs(600)),
        text,
    );
}

#[test]
fn command_line_limit_255_accepted_256_refused() {
    // "USER " + name + CRLF: 255 octets in all, then 256.
    let name_ok = "a".repeat(255 - 5 - 2);
    let name_long = "a".repeat(256 - 5 - 2);
    let text = format!(
        "S: +OK POP3 server ready {TS}
C: USER {name_ok}
S: +OK send PASS
C: USER {name_long}
S: -ERR line too long
C: QUIT
S: +OK POP3 server signing off
X: close
"
    );
    run(plaintext, &text);
}

#[test]
fn utf8_and_lang_rfc6856() {
    let config = || {
        ServerConfig::new()
            .with_stls(true)
            .with_utf8(true)
            .with_languages(vec![
                ("en".into(), "English".into()),
                ("en-boont".into(), "English Boontling dialect".into()),
                ("de".into(), "Deutsch".into()),
                ("it".into(), "Italiano".into()),
                ("es".into(), "Espanol".into()),
                ("sv".into(), "Svenska".into()),
            ])
    };
    let text = "S: +OK POP3 server ready
C: LANG MUL
S: -ERR invalid language MUL
C: LANG
S: +OK Language listing follows:
S: en English
S: en-boont English Boontling dialect
S: de Deutsch
S: it Italiano
S: es Espanol
S: sv Svenska
S: .
C: LANG es
S: +OK es Language changed
C: LANG *
S: +OK en Language changed
C: UTF8
S: +OK UTF8 enabled
C: STLS
S: -ERR Command not permitted when TLS active
C: CAPA
S: +OK Capability list follows
S: TOP
S: UIDL
S: RESP-CODES
S: AUTH-RESP-CODE
S: PIPELINING
S: UTF8 USER
S: LANG
S: .
";
    run(config, text);
}

#[test]
fn bad_commands_get_err_and_the_session_goes_on() {
    let text = format!(
        "S: +OK POP3 server ready {TS}
C: XYZZY
S: -ERR unknown command
C: RETR 1
S: -ERR not allowed in the AUTHORIZATION state
C: USER
S: -ERR missing argument
C: USER mrose
S: +OK send PASS
C: PASS tanstaaf
E: login user mrose pass tanstaaf
A: check
S: +OK mrose's maildrop has 2 messages (320 octets)
C: RETR 0
S: -ERR invalid number
C: TOP 1
S: -ERR missing argument
C: LIST 1 2
S: -ERR unexpected argument
C+ NOOP\\n
S: -ERR line ends must be CRLF
C: USER x
S: -ERR not allowed in the TRANSACTION state
"
    );
    run(plaintext, &text);
}

/// RFC 6856 section 2.2: with `UTF8 USER` offered, UTF-8 user names and passwords reach the
/// application after SASLprep (here the ligature U+FB01 becomes "fi"); a string SASLprep
/// prohibits (a private-use character) is refused.
#[test]
fn rfc6856_utf8_credentials_are_saslprepped() {
    let utf8 = || plaintext().with_utf8(true);
    run(
        utf8,
        "S: +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>
C: USER \u{fb01}nn
S: +OK send PASS
C: PASS caf\u{e9}
E: login user finn pass caf\u{e9}",
    );
    run(
        utf8,
        "S: +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>
C: USER a\u{e000}b
S: -ERR [AUTH] UTF-8 user name or password not accepted",
    );
}

/// Without `UTF8 USER`, a client must not send UTF-8 credentials (RFC 6856 section 2.2); the
/// server refuses them rather than guess their normalisation.
#[test]
fn rfc6856_utf8_credentials_need_utf8_user() {
    run(
        plaintext,
        "S: +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>
C: USER j\u{f6}rg
S: -ERR [AUTH] UTF-8 user name or password not accepted
C: APOP j\u{f6}rg c4c9334bac560ecc979e58001b3e22fb
S: -ERR [AUTH] UTF-8 user name or password not accepted",
    );
}
