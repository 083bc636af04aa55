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
