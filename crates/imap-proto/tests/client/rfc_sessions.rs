//! The sample sessions of RFC 3501 section 8 and RFC 9051 section 8 (tests/data/rfc), run
//! whole, byte by byte and at random splits. The server's lines are the RFCs'; the tags are
//! the client's own, and the commands are written as the client writes them (upper case).

use crate::adapter::{plain_config, run};

#[test]
fn rfc3501_section_8() {
    run(
        r#"
S: * OK IMAP4rev1 Service Ready
E: greeting Ok IMAP4rev1 Service Ready
# The greeting names no capabilities: the client asks before anything else.
C: a001 CAPABILITY
S: * CAPABILITY IMAP4rev1
S: a001 OK done
E: ready IMAP4rev1
A: login mrc secret
C: a002 LOGIN mrc secret
S: a002 OK LOGIN completed
C: a003 CAPABILITY
S: * CAPABILITY IMAP4rev1
S: a003 OK done
E: completed #1 LOGIN Ok LOGIN completed []
E: capabilities IMAP4rev1
A: send select inbox
C: a004 SELECT INBOX
S: * 18 EXISTS
S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)
S: * 2 RECENT
S: * OK [UNSEEN 17] Message 17 is the first unseen message
S: * OK [UIDVALIDITY 3857529045] UIDs valid
S: a004 OK [READ-WRITE] SELECT completed
E: status Ok Message 17 is the first unseen message
E: completed #3 SELECT Ok SELECT completed [Exists,Flags,Recent]
A: send fetch 12 full
C: a005 FETCH 12 FULL
S: * 12 FETCH (FLAGS (\\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 4286 ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL "<B27397-0100000@cac.washington.edu>") BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))
S: a005 OK FETCH completed
E: completed #4 FETCH Ok FETCH completed [Fetch]
A: send fetch 12 body[header]
C: a006 FETCH 12 BODY[HEADER]
S: * 12 FETCH (BODY[HEADER] {342}
S: Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)
S: From: Terry Gray <gray@cac.washington.edu>
S: Subject: IMAP4rev1 WG mtg summary and minutes
S: To: imap@cac.washington.edu
S: cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>
S: Message-Id: <B27397-0100000@cac.washington.edu>
S: MIME-Version: 1.0
S: Content-Type: TEXT/PLAIN; CHARSET=US-ASCII
S:
S: )
S: a006 OK FETCH completed
E: completed #5 FETCH Ok FETCH completed [Fetch]
A: send store 12 +flags \\deleted
C: a007 STORE 12 +FLAGS (\\Deleted)
S: * 12 FETCH (FLAGS (\\Seen \\Deleted))
S: a007 OK +FLAGS completed
E: completed #6 STORE Ok +FLAGS completed [Fetch]
A: logout
C: a008 LOGOUT
S: * BYE IMAP4rev1 server terminating connection
S: a008 OK LOGOUT completed
E: bye IMAP4rev1 server terminating connection
E: completed #7 LOGOUT Ok LOGOUT completed []
EOF
E: closed
X: close
"#,
        || plain_config().with_tag_prefix("a00".to_owned()),
    );
}

#[test]
fn rfc9051_section_8() {
    // The RFC's session starts with STARTTLS; here the connection is taken as protected
    // without a handshake (no channel binding), so that SCRAM's messages are the RFC's own
    // (RFC 7677's test vector: user "user", password "pencil").
    run(
        r#"
S: * OK [CAPABILITY STARTTLS AUTH=SCRAM-SHA-256 LOGINDISABLED IMAP4rev2] IMAP4rev2 Service Ready
E: greeting Ok IMAP4rev2 Service Ready
E: ready STARTTLS AUTH=SCRAM-SHA-256 LOGINDISABLED IMAP4rev2
A: refused login user pencil
A: authenticate-nonce user pencil rOprNGfwEbeRWgbNEkqO
# IMAP4rev2 includes SASL-IR: the first message goes with the command, as the RFC shows it
# (its line break is editorial).
C: a001 AUTHENTICATE SCRAM-SHA-256 biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=
S: + cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY=
C: Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYkazAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ==
S: + dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==
C:
S: a001 OK SCRAM-SHA-256 authentication successful
C: a002 CAPABILITY
S: * CAPABILITY IMAP4rev2 ENABLE
S: a002 OK done
E: completed #0 AUTHENTICATE Ok SCRAM-SHA-256 authentication successful []
E: capabilities IMAP4rev2 ENABLE
A: send ENABLE IMAP4rev2
C: a003 ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: a003 OK Some capabilities enabled
E: completed #2 ENABLE Ok Some capabilities enabled [Enabled]
A: send select inbox
C: a004 SELECT INBOX
S: * 18 EXISTS
S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)
S: * OK [UIDVALIDITY 3857529045] UIDs valid
S: * LIST () "/" INBOX ("OLDNAME" ("inbox"))
S: a004 OK [READ-WRITE] SELECT completed
E: completed #3 SELECT Ok SELECT completed [Exists,Flags,List]
A: send fetch 12 full
C: a005 FETCH 12 FULL
S: * 12 FETCH (FLAGS (\\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 4286 ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev2 WG mtg summary and minutes" (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL "<B27397-0100000@cac.washington.ed>") BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))
S: a005 OK FETCH completed
E: completed #4 FETCH Ok FETCH completed [Fetch]
A: logout
C: a006 LOGOUT
S: * BYE IMAP4rev2 server terminating connection
S: a006 OK LOGOUT completed
E: bye IMAP4rev2 server terminating connection
E: completed #5 LOGOUT Ok LOGOUT completed []
EOF
E: closed
X: close
"#,
        || plain_config().with_tag_prefix("a00".to_owned()),
    );
}
