//! Whole sessions, run whole, byte by byte and at random splits.

use crate::adapter::{plain_config, run};

#[test]
fn login_select_fetch_logout() {
    run(
        r#"
S: * OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE AUTH=PLAIN] Dovecot ready.
E: greeting Ok Dovecot ready.
E: ready IMAP4rev1 LITERAL+ IDLE AUTH=PLAIN
A: login alice secret
C: A1 LOGIN alice secret
S: A1 OK [CAPABILITY IMAP4rev1 IDLE MOVE UIDPLUS] Logged in
E: completed #0 LOGIN Ok Logged in []
E: capabilities IMAP4rev1 IDLE MOVE UIDPLUS
A: send SELECT INBOX
C: A2 SELECT INBOX
S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)
S: * 172 EXISTS
S: * 1 RECENT
S: * OK [UNSEEN 12] Message 12 is first unseen
S: * OK [UIDVALIDITY 3857529045] UIDs valid
S: * OK [UIDNEXT 4392] Predicted next UID
S: * OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited
S: A2 OK [READ-WRITE] SELECT completed
E: status Ok Message 12 is first unseen
E: completed #1 SELECT Ok SELECT completed [Flags,Exists,Recent]
A: send FETCH 12 (FLAGS BODY[HEADER])
C: A3 FETCH 12 (FLAGS BODY[HEADER])
S: * 12 FETCH (FLAGS (\\Seen) BODY[HEADER] {7}
S: hello
S: )
S: * 3 EXPUNGE
S: A3 OK FETCH completed
E: expunged 3
E: completed #2 FETCH Ok FETCH completed [Fetch]
A: logout
C: A4 LOGOUT
S: * BYE logging out
S: A4 OK LOGOUT completed
E: bye logging out
E: completed #3 LOGOUT Ok LOGOUT completed []
EOF
E: closed
X: close
"#,
        plain_config,
    );
}

#[test]
fn starttls_then_authenticate_with_sasl_ir_and_capabilities_asked_again() {
    run(
        r#"
S: * OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready
E: greeting Ok ready
C: A1 STARTTLS
S: A1 OK Begin TLS
X: starttls
E: tls
C: A2 CAPABILITY
S: * CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN LOGINDISABLED
S: A2 OK done
E: ready IMAP4rev1 SASL-IR AUTH=PLAIN LOGINDISABLED
A: refused login alice secret
A: authenticate alice secret
C: A3 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==
S: A3 OK Logged in
C: A4 CAPABILITY
S: * CAPABILITY IMAP4rev1 IDLE
S: A4 OK done
E: completed #2 AUTHENTICATE Ok Logged in []
E: capabilities IMAP4rev1 IDLE
"#,
        imap_proto::ClientConfig::new,
    );
}

#[test]
fn authenticate_without_sasl_ir_answers_the_empty_challenge() {
    run(
        r#"
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready
E: greeting Ok ready
E: ready IMAP4rev1 AUTH=PLAIN
A: authenticate alice secret
C: A1 AUTHENTICATE PLAIN
S: +
C: AGFsaWNlAHNlY3JldA==
S: A1 NO [AUTHENTICATIONFAILED] Authentication failed.
E: completed #0 AUTHENTICATE No Authentication failed. []
A: authenticate alice secret
C: A2 AUTHENTICATE PLAIN
S: + 
C: AGFsaWNlAHNlY3JldA==
S: A2 OK [CAPABILITY IMAP4rev1 MOVE] Logged in
E: completed #1 AUTHENTICATE Ok Logged in []
E: capabilities IMAP4rev1 MOVE
"#,
        plain_config,
    );
}

#[test]
fn idle_is_renewed_before_the_server_forgets_it() {
    run(
        r#"
S: * PREAUTH [CAPABILITY IMAP4rev1 IDLE] welcome
E: greeting PreAuth welcome
E: ready IMAP4rev1 IDLE
A: idle
C: A1 IDLE
S: + idling
E: idling #0
S: * 4 EXISTS
E: exists 4
T: +27m
S: * 5 EXISTS
E: exists 5
T: +28m
C: DONE
S: A1 OK IDLE terminated
C: A2 IDLE
S: + idling
S: * 6 EXISTS
E: exists 6
A: refused send NOOP
A: done
C: DONE
S: A2 OK IDLE terminated
E: completed #0 IDLE Ok IDLE terminated []
A: send NOOP
C: A3 NOOP
S: A3 OK done
E: completed #2 NOOP Ok done []
"#,
        plain_config,
    );
}

#[test]
fn a_large_body_section_streams_in_chunks() {
    run(
        r#"
S: * PREAUTH [CAPABILITY IMAP4rev1] hi
E: greeting PreAuth hi
E: ready IMAP4rev1
A: send SELECT INBOX
C: A1 SELECT INBOX
S: * 2 EXISTS
S: A1 OK [READ-WRITE] done
E: completed #0 SELECT Ok done [Exists]
A: send UID FETCH 1:* (UID BODY.PEEK[])
C: A2 UID FETCH 1:* (UID BODY.PEEK[])
S: * 1 FETCH (UID 7 BODY[] {12}
S+ hello world!
S: )
S: * 2 FETCH (UID 8 BODY[] {3}
S+ abc
S: )
S: A2 OK done
E: body-start #1 1 Streamed { size: 12 }
E: chunk hello world!
E: body-end #1
E: completed #1 UID FETCH Ok done [Fetch,Fetch]
"#,
        || plain_config().with_limits(imap_proto::codec::Limits::CLIENT.with_max_inline_literal(4)),
    );
}

#[test]
fn unsolicited_responses_are_their_own_events() {
    run(
        r#"
S: * PREAUTH [CAPABILITY IMAP4rev1] hi
E: greeting PreAuth hi
E: ready IMAP4rev1
A: send SELECT INBOX
C: A1 SELECT INBOX
S: * 3 EXISTS
S: A1 OK done
E: completed #0 SELECT Ok done [Exists]
A: send NOOP
C: A2 NOOP
S: * 2 FETCH (FLAGS (\\Seen))
S: * 4 EXISTS
S: * OK [ALERT] Maintenance at noon
S: * 1 EXPUNGE
S: * NO disk almost full
S: * XYZZY frobnicated
S: * 1 FETCH (FLAGS (
S: A2 OK NOOP completed
E: fetch 2 [Flags([Flag(Seen)])]
E: exists 4
E: alert Maintenance at noon
E: expunged 1
E: status No disk almost full
E: data Other
E: unparsed * 1 FETCH (FLAGS (
E: completed #1 NOOP Ok NOOP completed []
"#,
        plain_config,
    );
}
