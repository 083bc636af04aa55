//! Checks of exactly what is sent when, and of errors that depend on how input was cut.

use std::time::Duration;

use imap_proto::{ClientConfig, ConnectionState, UsageError};
use proto_core::Machine;

use crate::adapter::{Harness, plain_config};

const PREAUTH: &str = "* PREAUTH [CAPABILITY IMAP4rev1 UIDPLUS] hi\r\n";

fn selected(exists: u32) -> Harness {
    let mut h = Harness::new(plain_config(), PREAUTH);
    h.send("SELECT INBOX").unwrap();
    assert_eq!(h.out(), "A1 SELECT INBOX\r\n");
    h.feed(&format!("* {exists} EXISTS\r\nA1 OK [READ-WRITE] done\r\n"));
    h.events();
    assert_eq!(h.client.state(), ConnectionState::Selected);
    h
}

#[test]
fn a_synchronising_literal_waits_for_the_go_ahead() {
    let mut h = Harness::new(plain_config(), PREAUTH);
    h.send(r"APPEND INBOX {5}\r\nhello").unwrap();
    assert_eq!(h.out(), "A1 APPEND INBOX {5}\r\n");
    h.send("NOOP").unwrap();
    // Nothing may go between an announcement and its literal.
    assert_eq!(h.out(), "");
    h.feed("+ go ahead\r\n");
    assert_eq!(h.events(), Vec::<String>::new());
    assert_eq!(h.out(), "hello\r\nA2 NOOP\r\n");
}

#[test]
fn an_append_refused_before_the_go_ahead_sends_no_data() {
    let mut h = Harness::new(plain_config(), PREAUTH);
    h.send(r"APPEND INBOX {5}\r\nhello").unwrap();
    h.send("NOOP").unwrap();
    assert_eq!(h.out(), "A1 APPEND INBOX {5}\r\n");
    h.feed("A1 NO [TOOBIG] Message too large\r\n");
    assert_eq!(h.events(), ["completed #0 APPEND No Message too large []"]);
    // The literal is dropped; the next command goes.
    assert_eq!(h.out(), "A2 NOOP\r\n");
}

#[test]
fn a_streamed_append_takes_data_after_the_go_ahead_and_may_still_be_refused() {
    let mut h = Harness::new(plain_config().with_body_high_water(4), PREAUTH);
    let id = h
        .client
        .append_stream(imap_proto::Mailbox::inbox(), Vec::new(), None, 10)
        .unwrap();
    assert_eq!(h.out(), "A1 APPEND INBOX {10}\r\n");
    assert!(matches!(
        h.client.write_append(b"x"),
        Err(UsageError::NotNow(_))
    ));
    h.feed("+ Ready for literal data\r\n");
    assert_eq!(h.events(), [format!("writable {id}")]);
    // The high-water mark takes 4 octets now; more after the output drains.
    assert_eq!(h.client.write_append(b"0123456789").unwrap(), 4);
    assert_eq!(h.client.write_append(b"456789").unwrap(), 0);
    assert_eq!(h.out(), "0123");
    assert_eq!(h.events(), [format!("writable {id}")]);
    assert_eq!(h.client.write_append(b"456789").unwrap(), 4);
    assert_eq!(h.out(), "4567");
    assert_eq!(h.events(), [format!("writable {id}")]);
    assert!(matches!(
        h.client.write_append(b"89!"),
        Err(UsageError::BodyTooLong(1))
    ));
    assert_eq!(h.client.write_append(b"89").unwrap(), 2);
    assert_eq!(h.out(), "89\r\n");
    h.feed("A1 NO [OVERQUOTA] Quota exceeded\r\n");
    assert_eq!(h.events(), ["completed #0 APPEND No Quota exceeded []"]);
}

#[test]
fn literal_minus_sends_small_literals_at_once_and_large_ones_synchronised() {
    let mut h = Harness::new(
        plain_config(),
        "* PREAUTH [CAPABILITY IMAP4rev1 LITERAL-] hi\r\n",
    );
    let small = "a".repeat(4096);
    h.send(&format!(r"APPEND INBOX {{4096}}\r\n{small}"))
        .unwrap();
    assert_eq!(h.out(), format!("A1 APPEND INBOX {{4096+}}\r\n{small}\r\n"));
    let large = "b".repeat(4097);
    h.send(&format!(r"APPEND INBOX {{4097}}\r\n{large}"))
        .unwrap();
    assert_eq!(h.out(), "A2 APPEND INBOX {4097}\r\n");
}

#[test]
fn a_sequence_number_command_waits_behind_a_uid_command() {
    let mut h = selected(3);
    h.send("UID FETCH 1:* FLAGS").unwrap();
    h.send("FETCH 1 FLAGS").unwrap();
    assert_eq!(h.out(), "A2 UID FETCH 1:* FLAGS\r\n");
    h.feed("* 2 EXPUNGE\r\nA2 OK done\r\n");
    assert_eq!(
        h.events(),
        ["expunged 2", "completed #1 UID FETCH Ok done []"]
    );
    assert_eq!(h.out(), "A3 FETCH 1 FLAGS\r\n");
    // FETCH + STORE + SEARCH may run together (RFC 9051 section 5.5).
    h.send(r"STORE 1 +FLAGS.SILENT (\\Seen)").unwrap();
    h.send("SEARCH UNSEEN").unwrap();
    assert_eq!(
        h.out(),
        "A4 STORE 1 +FLAGS.SILENT (\\Seen)\r\nA5 SEARCH UNSEEN\r\n"
    );
}

#[test]
fn expunge_during_a_pipelined_fetch_renumbers_the_view() {
    let mut h = selected(3);
    h.send("UID FETCH 1:* UID").unwrap();
    h.send("UID FETCH 1:* FLAGS").unwrap();
    assert_eq!(
        h.out(),
        "A2 UID FETCH 1:* UID\r\nA3 UID FETCH 1:* FLAGS\r\n"
    );
    h.feed(
        "* 1 FETCH (UID 10)\r\n* 2 FETCH (UID 20)\r\n* 3 FETCH (UID 30)\r\n\
         * 2 EXPUNGE\r\n* 1 FETCH (UID 10 FLAGS ())\r\n* 2 FETCH (UID 30 FLAGS ())\r\n\
         A2 OK done\r\nA3 OK done\r\n",
    );
    let events = h.events();
    assert_eq!(events[0], "expunged 2");
    let view = h.client.selected().unwrap();
    assert_eq!(view.exists(), 2);
    assert_eq!(view.uid(1).map(|u| u.get()), Some(10));
    assert_eq!(view.uid(2).map(|u| u.get()), Some(30));
    assert_eq!(view.uid(3), None);
    // Both FETCH responses went to the first FETCH in flight that collects them.
    assert_eq!(
        events[1],
        "completed #1 UID FETCH Ok done [Fetch,Fetch,Fetch,Fetch,Fetch]"
    );
}

#[test]
fn the_select_answer_fills_the_view() {
    let mut h = Harness::new(plain_config(), PREAUTH);
    h.send("EXAMINE INBOX").unwrap();
    h.feed(
        "* FLAGS (\\Seen \\Deleted)\r\n* 172 EXISTS\r\n* 1 RECENT\r\n\
         * OK [UIDVALIDITY 3857529045] UIDs valid\r\n* OK [UIDNEXT 4392] next\r\n\
         * OK [HIGHESTMODSEQ 715194045007] mod\r\n\
         * OK [PERMANENTFLAGS ()] none\r\nA1 OK [READ-ONLY] EXAMINE completed\r\n",
    );
    h.events();
    let view = h.client.selected().unwrap();
    assert!(view.is_read_only());
    assert_eq!(view.exists(), 172);
    assert_eq!(view.recent(), Some(1));
    assert_eq!(view.uid_validity().map(|n| n.get()), Some(3_857_529_045));
    assert_eq!(view.uid_next().map(|n| n.get()), Some(4392));
    assert_eq!(view.highest_modseq(), Some(715_194_045_007));
    assert_eq!(view.flags().len(), 2);
    assert!(view.permanent_flags().is_empty());
    // A failed SELECT leaves no mailbox selected (RFC 9051 section 6.3.2).
    h.send("SELECT Nope").unwrap();
    h.feed("A2 NO no such mailbox\r\n");
    h.events();
    assert!(h.client.selected().is_none());
    assert_eq!(h.client.state(), ConnectionState::Authenticated);
}

#[test]
fn commands_the_state_or_capabilities_forbid_are_refused_with_nothing_sent() {
    let mut h = Harness::new(plain_config(), PREAUTH);
    assert!(matches!(
        h.send("FETCH 1 FLAGS"),
        Err(UsageError::WrongState { .. })
    ));
    assert!(matches!(
        h.send("IDLE"),
        Err(UsageError::NotOffered("IDLE"))
    ));
    assert!(matches!(
        h.send("NAMESPACE"),
        Err(UsageError::NotOffered(_))
    ));
    assert!(matches!(h.send("STARTTLS"), Err(UsageError::NotNow(_))));
    assert!(matches!(
        h.client.login("a", "b"),
        Err(UsageError::WrongState { .. })
    ));
    assert_eq!(h.out(), "");
    assert_eq!(h.client.state(), ConnectionState::Authenticated);
    assert_eq!(h.client.pending(), 0);
}

#[test]
fn login_is_refused_on_cleartext_and_under_logindisabled() {
    let mut h = Harness::new(
        ClientConfig::new().with_tls(proto_core::TlsPolicy::Never),
        "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n",
    );
    assert_eq!(h.client.login("a", "b"), Err(UsageError::Plaintext));
    assert!(matches!(
        h.client.authenticate(
            sasl_proto::Credentials::password("a", "b"),
            sasl_proto::ClientConfig::default()
        ),
        Err(UsageError::Plaintext)
    ));
    let mut h = Harness::new(
        plain_config(),
        "* OK [CAPABILITY IMAP4rev1 LOGINDISABLED] hi\r\n",
    );
    assert_eq!(h.client.login("a", "b"), Err(UsageError::LoginDisabled));
    assert_eq!(h.out(), "");
}

#[test]
fn a_response_injected_after_the_starttls_go_ahead_is_fatal() {
    let mut h = Harness::new(
        ClientConfig::new(),
        "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n",
    );
    assert_eq!(h.out(), "A1 STARTTLS\r\n");
    h.feed("A1 OK Begin TLS\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n");
    assert_eq!(
        h.events(),
        ["error: data received after STARTTLS before the TLS handshake"]
    );
    // The upgrade is called off: the driver closes instead of shaking hands.
    assert_eq!(h.transport(), ["Close"]);
}

#[test]
fn tls_is_required_unless_configured_otherwise() {
    // No STARTTLS offered.
    let mut h = Harness::new(ClientConfig::new(), "* OK [CAPABILITY IMAP4rev1] hi\r\n");
    assert!(h.client.is_closed());
    let _ = h.transport();
    // PREAUTH on cleartext: STARTTLS is no longer possible.
    let now = std::time::Instant::now();
    let mut c = imap_proto::Client::new(ClientConfig::new(), now);
    c.receive(b"* PREAUTH hi\r\n", now);
    let mut errors = Vec::new();
    while let Some(e) = c.poll_event() {
        if let Err(e) = e {
            errors.push(e);
        }
    }
    assert_eq!(errors, [imap_proto::ProtocolError::TlsRequired]);
    // Opportunistic goes on in cleartext.
    let mut h = Harness::new(
        ClientConfig::new().with_tls(proto_core::TlsPolicy::Opportunistic),
        "* OK [CAPABILITY IMAP4rev1] hi\r\n",
    );
    assert!(!h.client.is_closed());
    assert_eq!(h.send("NOOP").map(|_| h.out()).unwrap(), "A1 NOOP\r\n");
}

#[test]
fn a_tagged_response_for_no_command_is_fatal() {
    let mut h = Harness::new(plain_config(), PREAUTH);
    h.feed("Z9 OK what\r\n");
    assert_eq!(h.events(), ["error: tagged response for unknown tag Z9"]);
}

#[test]
fn a_silent_server_times_out() {
    let mut h = Harness::new(plain_config(), PREAUTH);
    h.send("NOOP").unwrap();
    h.out();
    // The command went out while nothing was awaited: the client asks for the time.
    let asked = h.client.poll_timeout().unwrap();
    assert!(asked <= h.now);
    h.client.handle_timeout(h.now);
    let deadline = h.client.poll_timeout().unwrap();
    assert_eq!(deadline, h.now + Duration::from_secs(300));
    h.client.handle_timeout(deadline - Duration::from_millis(1));
    assert!(h.events().is_empty());
    h.client.handle_timeout(deadline);
    assert_eq!(
        h.events(),
        ["error: timed out: no progress within the idle limit"]
    );
}

#[test]
fn enabling_imap4rev2_changes_the_mode() {
    let mut h = Harness::new(
        plain_config(),
        "* PREAUTH [CAPABILITY IMAP4rev1 IMAP4rev2 ENABLE] hi\r\n",
    );
    h.send("ENABLE IMAP4rev2").unwrap();
    assert_eq!(h.out(), "A1 ENABLE IMAP4rev2\r\n");
    h.feed("* ENABLED IMAP4rev2\r\nA1 OK enabled\r\n");
    assert_eq!(h.events(), ["completed #0 ENABLE Ok enabled [Enabled]"]);
    assert!(h.client.mode().is_rev2());
    // LSUB is gone in IMAP4rev2.
    assert!(matches!(
        h.client.send(imap_proto::CommandBody::Lsub {
            reference: imap_proto::Mailbox::new("").unwrap(),
            pattern: imap_proto::Mailbox::new("*").unwrap(),
        }),
        Err(UsageError::Encode(_))
    ));
}

#[test]
fn compress_is_signalled_right_after_the_ok_and_nothing_is_written_before_it() {
    let mut h = Harness::new(
        plain_config(),
        "* PREAUTH [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] hi\r\n",
    );
    h.send("COMPRESS DEFLATE").unwrap();
    h.send("NOOP").unwrap();
    assert_eq!(h.out(), "A1 COMPRESS DEFLATE\r\n");
    assert!(h.transport().is_empty());
    h.feed("A1 OK DEFLATE active\r\n");
    assert_eq!(h.events(), ["completed #0 COMPRESS Ok DEFLATE active []"]);
    // The NOOP waits until the driver has taken the action: it must go compressed.
    assert_eq!(h.out(), "");
    assert_eq!(h.transport(), ["Compress(Deflate)"]);
    assert_eq!(h.out(), "A2 NOOP\r\n");
}

#[test]
fn a_hostile_exists_allocates_nothing() {
    let mut h = selected(1);
    h.feed("* 4294967295 EXISTS\r\n* 4294967295 FETCH (UID 4294967295)\r\n");
    h.events();
    let view = h.client.selected().unwrap();
    assert_eq!(view.exists(), u32::MAX);
    assert_eq!(view.uid(u32::MAX), None);
}

#[test]
fn multiappend_waits_for_a_go_ahead_per_literal() {
    let mut h = Harness::new(
        plain_config(),
        "* PREAUTH [CAPABILITY IMAP4rev1 MULTIAPPEND] hi\r\n",
    );
    h.send(r"APPEND INBOX {3}\r\none {3}\r\ntwo").unwrap();
    assert_eq!(h.out(), "A1 APPEND INBOX {3}\r\n");
    h.feed("+ go\r\n");
    assert!(h.events().is_empty());
    assert_eq!(h.out(), "one {3}\r\n");
    h.feed("+ go\r\n");
    assert!(h.events().is_empty());
    assert_eq!(h.out(), "two\r\n");
    h.feed("A1 OK [APPENDUID 7 1:2] done\r\n");
    assert_eq!(h.events(), ["completed #0 APPEND Ok done []"]);
    // Without MULTIAPPEND, two messages are refused before anything is sent.
    let mut h = Harness::new(plain_config(), PREAUTH);
    assert!(matches!(
        h.send(r"APPEND INBOX {3}\r\none {3}\r\ntwo"),
        Err(UsageError::NotOffered("MULTIAPPEND"))
    ));
    assert_eq!(h.out(), "");
}

#[test]
fn a_stray_line_is_an_event_but_an_unreadable_completion_is_fatal() {
    let mut h = Harness::new(plain_config(), PREAUTH);
    h.send("NOOP").unwrap();
    h.out();
    h.feed("[COPYUID 55 31 6]\r\n* 3 EXISTS\r\n");
    assert_eq!(h.events(), ["unparsed [COPYUID 55 31 6]", "exists 3"]);
    h.feed("A1 MAYBE done\r\n");
    let events = h.events();
    assert_eq!(events.len(), 1);
    assert!(events[0].starts_with("error: bad response"), "{events:?}");
    assert!(h.client.is_closed());
}

#[test]
fn a_command_keeps_at_most_max_collected_octets_and_hands_the_rest_on() {
    let mut h = Harness::new(plain_config().with_max_collected(100), PREAUTH);
    h.send("SELECT INBOX").unwrap();
    h.feed("* 500 EXISTS\r\nA1 OK done\r\n");
    h.events();
    let id = h.send("FETCH 1:* FLAGS").unwrap();
    // 24 octets each: four are kept (96), the fifth would pass 100.
    let mut answer = String::new();
    for n in 1..=200 {
        answer.push_str(&format!("* {n:03} FETCH (FLAGS ())\r\n"));
    }
    h.feed(&answer);
    let events = h.events();
    assert_eq!(events.len(), 196);
    assert!(
        events[0].starts_with(&format!("fetch {id} 5 ")),
        "{}",
        events[0]
    );
    h.feed("A2 OK done\r\n");
    assert_eq!(
        h.events(),
        ["completed #1 FETCH Ok done [Fetch,Fetch,Fetch,Fetch] +196 spilled"]
    );
    // 0: every data response is an event as it comes.
    let mut h = Harness::new(plain_config().with_max_collected(0), PREAUTH);
    h.send("LIST \"\" \"*\"").unwrap();
    h.feed("* LIST () \"/\" INBOX\r\nA1 OK done\r\n");
    assert_eq!(
        h.events(),
        ["data #0 List", "completed #0 LIST Ok done [] +1 spilled"]
    );
}

#[test]
fn a_capability_answer_without_a_list_means_the_base_protocol() {
    let mut h = Harness::new(plain_config(), "* OK hi\r\n");
    assert_eq!(h.out(), "A1 CAPABILITY\r\n");
    h.feed("A1 OK done\r\n");
    assert_eq!(h.events(), ["ready "]);
    assert_eq!(h.send("NOOP").map(|_| h.out()).unwrap(), "A2 NOOP\r\n");
}
