#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

//! Client transcripts: RFC 1939 section 10, RFC 2449, RFC 2595, RFC 5034 and RFC 6856
//! examples, and sessions built from the MailKit captures (the server side as captured, with
//! LF turned into CRLF; the client side written here). Each runs whole, byte by byte and at
//! random splits.

mod common;

use common::ClientScript;
use pop3_proto::ClientConfig;
use pop3_proto::{Limits, UsageError};
use proto_core::testing::{Side, Transcript, escape};

fn run(config: impl Fn() -> ClientConfig, text: &str) {
    let transcript = Transcript::parse(text, Side::Client).unwrap();
    transcript
        .run(30, || ClientScript::new(config()))
        .unwrap_or_else(|f| panic!("{f}"));
}

fn plaintext() -> ClientConfig {
    ClientConfig::new().with_plaintext_auth(true)
}

fn tls() -> ClientConfig {
    ClientConfig::new().with_implicit_tls(true)
}

/// RFC 1939 section 10, the client side.
#[test]
fn rfc1939_section10_session() {
    let text = r"S: +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>
E: greeting ok <1896.697170952@dbc.mtview.ca.us>
A: login mrose tanstaaf apop
C: APOP mrose c4c9334bac560ecc979e58001b3e22fb
S: +OK mrose's maildrop has 2 messages (320 octets)
E: logged in #0 mrose's maildrop has 2 messages (320 octets)
A: stat
C: STAT
S: +OK 2 320
E: stat #1 2 320
A: list
C: LIST
S: +OK 2 messages (320 octets)
S: 1 120
S: 2 200
S: .
E: list #2 1:120 2:200
A: retr 1
C: RETR 1
S: +OK 120 octets
S: Subject: one
S:
S: ..dot line
S: .
E: body #3 120 octets
E: chunk Subject: one\r\n\r\n.dot line\r\n
E: body end #3
A: dele 1
C: DELE 1
S: +OK message 1 deleted
E: ok #4 message 1 deleted
A: retr 2
C: RETR 2
S: +OK 200 octets
S: Subject: two
S+ bare LF line\n
S: .end
S: .
E: body #5 200 octets
E: chunk Subject: two\r\nbare LF line\n.end\r\n
E: body end #5
A: dele 2
C: DELE 2
S: +OK message 2 deleted
E: ok #6 message 2 deleted
A: quit
C: QUIT
S: +OK dewey POP3 server signing off (maildrop empty)
E: closed #7 ok dewey POP3 server signing off (maildrop empty)
X: close
";
    run(plaintext, text);
}

/// RFC 2449 section 5, the CAPA example, typed.
#[test]
fn rfc2449_capa_example() {
    let text = "S: +OK ready
E: greeting ok -
A: capa
C: CAPA
S: +OK Capability list follows
S: TOP
S: USER
S: SASL CRAM-MD5 KERBEROS_V4
S: RESP-CODES
S: LOGIN-DELAY 900
S: PIPELINING
S: EXPIRE 60
S: UIDL
S: IMPLEMENTATION Shlemazle-Plotz-v302
S: .
E: capa #0 TOP, USER, SASL CRAM-MD5 KERBEROS_V4, RESP-CODES, LOGIN-DELAY 900, PIPELINING, EXPIRE 60, UIDL, IMPLEMENTATION Shlemazle-Plotz-v302
A: login mrose tanstaaf apop
E: error: the server does not offer APOP (no timestamp in the greeting)
";
    // The last action fails with a usage error, which the runner reports as the action
    // failing: check that separately.
    let failing = Transcript::parse(text, Side::Client).unwrap();
    let failure = failing
        .run_split(
            proto_core::testing::Split::Whole,
            &mut ClientScript::new(plaintext()),
        )
        .unwrap_err();
    assert!(failure.message.contains("APOP"), "{failure}");
    let ok = text.rsplit_once("A: login").unwrap().0;
    run(plaintext, ok);
}

/// RFC 8.1 of RFC 2449 and RFC 3206: response codes on a failed login.
#[test]
fn rfc2449_in_use_and_rfc3206_codes() {
    let text = "S: +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>
E: greeting ok <1896.697170952@dbc.mtview.ca.us>
A: login mrose tanstaaf apop
C: APOP mrose c4c9334bac560ecc979e58001b3e22fb
S: -ERR [IN-USE] Do you have another POP session running?
E: login failed #0 [IN-USE] Do you have another POP session running?
A: login mrose wrong user
C: USER mrose
S: +OK
C: PASS wrong
S: -ERR [AUTH] bad password
E: login failed #1 [AUTH] bad password
A: login mrose tanstaaf user
C: USER mrose
S: -ERR [SYS/TEMP] try later
E: login failed #2 [SYS/TEMP] try later
A: quit
C: QUIT
S: +OK bye
E: closed #3 ok bye
X: close
";
    run(plaintext, text);
}

/// RFC 5034 section 6, first example (with RFC 2595's STLS): CAPA, STLS, CAPA again after
/// TLS (the machine asks by itself), AUTH PLAIN with the initial response.
#[test]
fn rfc5034_first_example() {
    let text = "S: +OK pop.example.com BlurdyBlurp POP3 server ready
E: greeting ok -
A: capa
C: CAPA
S: +OK List of capabilities follows
S: SASL DIGEST-MD5 GSSAPI ANONYMOUS
S: STLS
S: IMPLEMENTATION BlurdyBlurp POP3 server
S: .
E: capa #0 SASL DIGEST-MD5 GSSAPI ANONYMOUS, STLS, IMPLEMENTATION BlurdyBlurp POP3 server
A: stls
C: STLS
S: +OK Begin TLS negotiation now
X: starttls
E: tls, capa #2
C: CAPA
S: +OK List of capabilities follows
S: SASL PLAIN DIGEST-MD5 GSSAPI ANONYMOUS
S: IMPLEMENTATION BlurdyBlurp POP3 server
S: .
E: capa #2 SASL PLAIN DIGEST-MD5 GSSAPI ANONYMOUS, IMPLEMENTATION BlurdyBlurp POP3 server
A: login test test auto test
C: AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=
S: +OK Maildrop locked and ready
E: logged in #3 Maildrop locked and ready
";
    run(ClientConfig::new, text);
}

/// RFC 5034 section 6, second example: no initial response (here because the command line
/// limit is set so low that it would not fit, RFC 5034 section 4), sent after "+ ".
#[test]
fn rfc5034_second_example_initial_response_after_empty_challenge() {
    let text = "S: +OK pop.example.com BlurdyBlurp POP3 server ready
E: greeting ok -
A: capa
C: CAPA
S: +OK List of capabilities follows
S: SASL PLAIN DIGEST-MD5 GSSAPI ANONYMOUS
S: IMPLEMENTATION BlurdyBlurp POP3 server
S: .
E: capa #0 SASL PLAIN DIGEST-MD5 GSSAPI ANONYMOUS, IMPLEMENTATION BlurdyBlurp POP3 server
A: login test test PLAIN test
C: AUTH PLAIN
S+ + \\r\\n
C: dGVzdAB0ZXN0AHRlc3Q=
S: +OK Maildrop locked and ready
E: logged in #1 Maildrop locked and ready
";
    run(
        || tls().with_limits(Limits::new().with_max_command_line(20)),
        text,
    );
}

/// RFC 2595 section 4: a byte after the STLS go-ahead is an injection; and STLS is refused
/// once TLS is active.
#[test]
fn rfc2595_stls_injection_and_refusal() {
    let text = "S: +OK ready
E: greeting ok -
A: stls
C: STLS
S: +OK Begin TLS negotiation
S: +OK injected
E: error: data received after STLS before the TLS handshake
X: close
";
    let transcript = Transcript::parse(text, Side::Client).unwrap();
    transcript
        .run_split(
            proto_core::testing::Split::Whole,
            &mut ClientScript::new(ClientConfig::new()),
        )
        .unwrap_or_else(|f| panic!("{f}"));

    let mut script = ClientScript::new(tls());
    assert_eq!(
        script.client.send_stls(),
        Err(UsageError::NotNow {
            command: "STLS",
            state: "TLS is active"
        })
    );
    // No credentials over plaintext by default.
    let mut plain = ClientScript::new(ClientConfig::new());
    assert_eq!(
        plain.client.login(
            sasl_proto::Credentials::password("a", "b"),
            pop3_proto::LoginMethod::Auto
        ),
        Err(UsageError::PlaintextCredentials)
    );
}

/// RFC 6856 section 3.3, the LANG examples, with the UTF8 command.
#[test]
fn rfc6856_lang_examples() {
    let text = "S: +OK POP3 server ready
E: greeting ok -
A: login karen password user
C: USER karen
S: +OK Hello, karen
C: PASS password
S: +OK karen's maildrop contains 2 messages (320 octets)
E: logged in #0 karen's maildrop contains 2 messages (320 octets)
A: lang MUL
C: LANG MUL
S: -ERR invalid language MUL
E: err #1 LANG invalid language MUL
A: lang
C: LANG
S: +OK Language listing follows:
S: en English
S: en-boont English Boontling dialect
S: de Deutsch
S: it Italiano
S: es Espanol
S: sv Svenska
S: .
E: languages #2 en en-boont de it es sv
A: lang
C: LANG
S: -ERR Server is unable to list languages
E: err #3 LANG Server is unable to list languages
A: lang es
C: LANG es
S: +OK es Idioma cambiado
E: ok #4 es Idioma cambiado
A: lang uga
C: LANG uga
S: -ERR es Idioma <<UGA>> no es conocido
E: err #5 LANG es Idioma <<UGA>> no es conocido
A: lang sv
C: LANG sv
S: +OK sv Kommandot \"LANG\" lyckades
E: ok #6 sv Kommandot \"LANG\" lyckades
A: lang *
C: LANG *
S: +OK es Idioma cambiado
E: ok #7 es Idioma cambiado
";
    run(tls, text);
}

#[test]
fn pipelining_when_offered_sends_at_once() {
    let text = "S: +OK ready
E: greeting ok -
A: capa
C: CAPA
S: +OK
S: PIPELINING
S: UIDL
S: USER
S: .
E: capa #0 PIPELINING, UIDL, USER
A: login u p user
C: USER u
S: +OK
C: PASS p
S: +OK in
E: logged in #1 in
A: uidl
A: dele 1
A: dele 2
A: noop
C: UIDL
C: DELE 1
C: DELE 2
C: NOOP
S: +OK
S: 1 a
S: 2 b
S: .
S: +OK
S: -ERR no such message
S: +OK
E: uidl #2 1:a 2:b
E: ok #3
E: err #4 DELE no such message
E: ok #5
A: quit
C: QUIT
S: -ERR [SYS/TEMP] some deleted messages not removed
E: closed #6 err [SYS/TEMP] some deleted messages not removed
X: close
";
    run(tls, text);
}

#[test]
fn without_pipelining_one_command_at_a_time() {
    let text = "S: +OK ready
E: greeting ok -
A: login u p user
C: USER u
S: +OK
C: PASS p
S: +OK in
E: logged in #0 in
A: dele 1
A: dele 2
C: DELE 1
S: +OK
E: ok #1
C: DELE 2
S: +OK
E: ok #2
A: top 1 0
C: TOP 1 0
S: +OK
S: Subject: x
S:
S: .
E: body #3
E: chunk Subject: x\\r\\n\\r\\n
E: body end #3
";
    run(tls, text);
}

#[test]
fn broken_servers_are_protocol_errors() {
    for (answer, error) in [
        ("+OK 7", "error: STAT answer: invalid listing line"),
        (
            "+OK seven 1800662",
            "error: STAT answer: invalid listing line",
        ),
        ("HELLO", "error: status line: invalid status indicator"),
    ] {
        let text = format!(
            "S: +OK ready
E: greeting ok -
A: login u p user
C: USER u
S: +OK
C: PASS p
S: +OK in
E: logged in #0 in
A: stat
C: STAT
S: {answer}
"
        );
        let transcript = Transcript::parse(&text, Side::Client).unwrap();
        let failure = transcript
            .run_split(
                proto_core::testing::Split::Whole,
                &mut ClientScript::new(tls()),
            )
            .unwrap_err();
        assert!(failure.message.contains(error), "{answer}: {failure}");
    }
    // A response line over 512 octets, and the connection closing mid-body.
    let long = "x".repeat(600);
    let text = format!(
        "S: +OK {long}
E: error: response: line longer than 512 octets (513 octets seen)
X: close
"
    );
    run(tls, &text);
    let text = "S: +OK ready
E: greeting ok -
A: login u p user
C: USER u
S: +OK
C: PASS p
S: +OK in
E: logged in #0 in
A: retr 1
C: RETR 1
S: +OK
S: partial
EOF
E: body #1
E: chunk partial\\r\\n
E: error: connection closed in a message body
X: close
";
    run(tls, text);
}

// ------------------------------------------------------------------------------------------
// Sessions from the MailKit captures

fn vector(path: &str) -> String {
    let raw = std::fs::read(format!(
        "{}/tests/data/mailkit/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    String::from_utf8(raw).unwrap()
}

/// The capture as `S:` lines.
fn server(path: &str) -> String {
    vector(path)
        .lines()
        .map(|l| format!("S: {}\n", escape(l.as_bytes())))
        .collect()
}

/// The un-stuffed body of a RETR/TOP capture, as an `E: chunk` line.
fn chunk(path: &str) -> String {
    let text = vector(path);
    let mut body = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for line in &lines[1..lines.len() - 1] {
        body.extend_from_slice(line.strip_prefix('.').unwrap_or(line).as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    format!("E: chunk {}\n", escape(&body))
}

#[test]
fn gmail_session() {
    let text = format!(
        "{greeting}E: greeting ok -
A: capa
C: CAPA
{capa1}E: capa #0 USER, RESP-CODES, EXPIRE 0, LOGIN-DELAY 300, TOP, UIDL, X-GOOGLE-RICO, SASL PLAIN XOAUTH2
A: login username password
C: AUTH PLAIN AHVzZXJuYW1lAHBhc3N3b3Jk
{auth}E: logged in #1 Welcome.
A: capa
C: CAPA
{capa2}E: capa #2 USER, RESP-CODES, PIPELINING, EXPIRE 0, LOGIN-DELAY 300, TOP, UIDL, X-GOOGLE-RICO
A: stat
C: STAT
{stat}E: stat #3 3 221409
A: list
A: uidl
A: list 2
A: uidl 3
C: LIST
C: UIDL
C: LIST 2
C: UIDL 3
{list}{uidl}{list2}{uidl3}E: list #4 1:1024 2:1025 3:1026
E: uidl #5 1:101 2:102 3:103
E: list #6 2:1025
E: uidl #7 3:103
A: retr 1
A: top 1 0
C: RETR 1
C: TOP 1 0
{retr1}{top}E: body #8 message follows
{retr1_body}E: body end #8
E: body #9 message follows
{top_body}E: body end #9
A: dele 1
A: dele 2
A: dele 3
C: DELE 1
C: DELE 2
C: DELE 3
{dele123}E: ok #10
E: ok #11
E: ok #12
A: rset
C: RSET
{rset}E: ok #13
A: noop
C: NOOP
{noop}E: ok #14
A: quit
C: QUIT
{quit}E: closed #15 ok Farewell.
X: close
",
        greeting = server("gmail/greeting.txt"),
        capa1 = server("gmail/capa1.txt"),
        auth = server("gmail/auth.txt"),
        capa2 = server("gmail/capa2.txt"),
        stat = server("gmail/stat.txt"),
        list = server("gmail/list.txt"),
        uidl = server("gmail/uidl.txt"),
        list2 = server("gmail/list2.txt"),
        uidl3 = server("gmail/uidl3.txt"),
        retr1 = server("gmail/retr1.txt"),
        retr1_body = chunk("gmail/retr1.txt"),
        top = server("gmail/top.txt"),
        top_body = chunk("gmail/top.txt"),
        dele123 = server("gmail/dele123.txt"),
        rset = server("gmail/rset.txt"),
        noop = server("gmail/noop.txt"),
        quit = server("gmail/quit.txt"),
    );
    let transcript = Transcript::parse(&text, Side::Client).unwrap();
    // The bodies are large: whole, byte by byte, and a few random splits.
    for split in [
        proto_core::testing::Split::Whole,
        proto_core::testing::Split::Bytewise,
        proto_core::testing::Split::Random(1),
        proto_core::testing::Split::Random(2),
    ] {
        transcript
            .run_split(split, &mut ClientScript::new(tls()))
            .unwrap_or_else(|f| panic!("{f}"));
    }
}

#[test]
fn exchange_session_auth_login_with_bare_plus() {
    let text = format!(
        "{greeting}E: greeting ok -
A: capa
C: CAPA
{capa}E: capa #0 TOP, UIDL, SASL NTLM GSSAPI PLAIN LOGIN, USER
A: login username password LOGIN
C: AUTH LOGIN
{plus}C: dXNlcm5hbWU=
{plus}C: cGFzc3dvcmQ=
{auth}E: logged in #1 User successfully logged on.
A: stat
C: STAT
{stat}E: stat #2 7 1800662
A: uidl
C: UIDL
{uidl}E: uidl #3 1:6499 2:6500 3:6501 4:6502 5:6503 6:6504 7:6505
A: retr 1
C: RETR 1
{retr1}E: body #4 message follows
{retr1_body}E: body end #4
A: quit
C: QUIT
{quit}E: closed #5 ok Good-bye.
X: close
",
        greeting = server("exchange/greeting.txt"),
        capa = server("exchange/capa.txt"),
        plus = server("exchange/plus.txt"),
        auth = server("exchange/auth.txt"),
        stat = server("exchange/stat.txt"),
        uidl = server("exchange/uidl.txt"),
        retr1 = server("exchange/retr1.txt"),
        retr1_body = chunk("exchange/retr1.txt"),
        quit = server("exchange/quit.txt"),
    );
    let transcript = Transcript::parse(&text, Side::Client).unwrap();
    for split in [
        proto_core::testing::Split::Whole,
        proto_core::testing::Split::Bytewise,
        proto_core::testing::Split::Random(3),
    ] {
        transcript
            .run_split(split, &mut ClientScript::new(tls()))
            .unwrap_or_else(|f| panic!("{f}"));
    }
}

#[test]
fn comcast_session_with_stls() {
    let text = format!(
        "{greeting}E: greeting ok -
A: capa
C: CAPA
{capa1}E: capa #0 TOP, USER, UIDL, STLS, EXPIRE 31 USER
A: stls
C: STLS
{ok}X: starttls
E: tls, capa #2
C: CAPA
{capa2}E: capa #2 TOP, USER, UIDL, STLS, SASL PLAIN X-ZIMBRA, EXPIRE NEVER, XOIP, IMPLEMENTATION ZimbraInc
A: login username password
C: AUTH PLAIN AHVzZXJuYW1lAHBhc3N3b3Jk
{ok}E: logged in #3
A: stat
C: STAT
{stat}E: stat #4 7 1800662
A: list
C: LIST
{list}E: list #5 1:1024 2:2048 3:3072 4:4096 5:5120 6:6144 7:7168
A: list 1
C: LIST 1
{list1}E: list #6 1:1024
A: retr 1
C: RETR 1
{retr1}E: body #7 message follows
{retr1_body}E: body end #7
A: stat
C: STAT
{err}E: err #8 STAT
A: quit
C: QUIT
{quit}E: closed #9 ok POP3 server closing connection
X: close
",
        greeting = server("comcast/greeting.txt"),
        capa1 = server("comcast/capa1.txt"),
        ok = server("comcast/ok.txt"),
        capa2 = server("comcast/capa2.txt"),
        stat = server("comcast/stat.txt"),
        list = server("comcast/list.txt"),
        list1 = server("comcast/list1.txt"),
        retr1 = server("comcast/retr1.txt"),
        retr1_body = chunk("comcast/retr1.txt"),
        err = server("comcast/err.txt"),
        quit = server("comcast/quit.txt"),
    );
    let transcript = Transcript::parse(&text, Side::Client).unwrap();
    for split in [
        proto_core::testing::Split::Whole,
        proto_core::testing::Split::Bytewise,
        proto_core::testing::Split::Random(4),
    ] {
        transcript
            .run_split(split, &mut ClientScript::new(ClientConfig::new()))
            .unwrap_or_else(|f| panic!("{f}"));
    }
}

#[test]
fn lang_session_with_apop_chosen_over_plain() {
    let digest = sasl_proto::md5::apop_digest("<apop-token@example.com>", "password");
    let text = format!(
        "{greeting}E: greeting ok <apop-token@example.com>
A: capa
C: CAPA
{capa1}E: capa #0 USER, RESP-CODES, EXPIRE 0, LOGIN-DELAY 300, TOP, UIDL, UTF8 USER, LANG, SASL PLAIN XOAUTH2
A: utf8
C: UTF8
{utf8}E: ok #1
A: lang
C: LANG
{getlang}E: languages #2 en en-boont de it es sv
A: lang en
C: LANG en
{setlang}E: ok #3
A: login username password
C: APOP username {digest}
{auth}E: logged in #4 Welcome.
A: stat
C: STAT
{stat}E: stat #5 3 221409
A: quit
C: QUIT
{quit}E: closed #6 ok Farewell.
X: close
",
        greeting = server("lang/greeting.txt"),
        capa1 = server("lang/capa1.txt"),
        utf8 = server("lang/utf8.txt"),
        getlang = server("lang/getlang.txt"),
        setlang = server("lang/setlang.txt"),
        auth = server("lang/auth.txt"),
        stat = server("lang/stat.txt"),
        quit = server("lang/quit.txt"),
    );
    run(tls, &text);
}

#[test]
fn response_timeout_once_started() {
    let make = || {
        let mut script =
            ClientScript::new(tls().with_response_timeout(std::time::Duration::from_secs(60)));
        script.client.start_timer(std::time::Instant::now());
        script
    };
    // Idle with nothing in flight: no timeout. A silent server while STAT waits: timeout one
    // period after the last input.
    let text = "S: +OK ready
E: greeting ok -
T: +5m
A: login u p user
C: USER u
S: +OK
C: PASS p
S: +OK in
E: logged in #0 in
A: stat
C: STAT
T: +59s
T: +1s
E: error: timed out
X: close
";
    let transcript = Transcript::parse(text, Side::Client).unwrap();
    transcript.run(10, make).unwrap_or_else(|f| panic!("{f}"));
}

/// RFC 6856 section 2: a client that issued UTF8 must not issue STLS afterwards.
#[test]
fn no_stls_after_utf8() {
    use proto_core::Machine;
    let mut client = pop3_proto::Client::new(ClientConfig::new());
    client.receive(b"+OK ready\r\n");
    while client.poll_event().is_some() {}
    client.send_capa().unwrap();
    client.receive(b"+OK\r\nSTLS\r\nUTF8\r\nUSER\r\n.\r\n");
    while client.poll_event().is_some() {}
    let before = client.transmit().len();
    client.send_utf8().unwrap();
    assert!(matches!(
        client.send_stls(),
        Err(UsageError::NotNow {
            command: "STLS",
            ..
        })
    ));
    // Nothing was queued for the refused STLS.
    assert!(!String::from_utf8_lossy(&client.transmit()[before..]).contains("STLS"));
}
