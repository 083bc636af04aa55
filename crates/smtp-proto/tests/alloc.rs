//! The borrowed parse path allocates nothing: every command (with realistic parameters) and
//! replies, single and multi-line, counted with a counting global allocator.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::alloc::System;

use smtp_proto::{Parsed, parse_command, parse_reply};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const COMMANDS: [&[u8]; 18] = [
    b"EHLO mail.example.com\r\n",
    b"HELO mail.example.com\r\n",
    b"LHLO mail.example.com\r\n",
    b"MAIL FROM:<sender.name@example.com> SIZE=123456 BODY=8BITMIME RET=HDRS ENVID=QQ314159 AUTH=<> SMTPUTF8 X-OTHER=1\r\n",
    b"RCPT TO:<@relay.example:recipient@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;recipient@example.org\r\n",
    b"RCPT TO:<\"quoted local\"@[IPv6:2001:db8::1]>\r\n",
    b"DATA\r\n",
    b"BDAT 65536 LAST\r\n",
    b"RSET\r\n",
    b"VRFY postmaster\r\n",
    b"EXPN staff-list\r\n",
    b"HELP MAIL\r\n",
    b"NOOP\r\n",
    b"QUIT\r\n",
    b"STARTTLS\r\n",
    b"AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\r\n",
    b"ETRN example.org\r\n",
    b"MAIL FROM:<>\r\n",
];

const REPLIES: [&[u8]; 4] = [
    b"250 2.1.5 Ok\r\n",
    b"250\r\n",
    b"250-mx.example.com Hello\r\n250-PIPELINING\r\n250-SIZE 36700160\r\n250-ETRN\r\n250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n250 STARTTLS\r\n",
    b"550-5.1.1 first\n550 5.1.1 second\n",
];

#[test]
fn borrowed_parse_path_allocates_nothing() {
    // Warm up anything lazily initialised.
    for line in COMMANDS {
        let _ = parse_command(line);
    }
    let region = Region::new(GLOBAL);
    let mut verbs = 0usize;
    let mut lines = 0usize;
    for _ in 0..100 {
        for line in COMMANDS {
            match parse_command(line) {
                Ok(Parsed::Complete { value, consumed }) => {
                    assert_eq!(consumed, line.len());
                    verbs += value.verb().len();
                }
                _ => unreachable!(),
            }
        }
        for reply in REPLIES {
            match parse_reply(reply) {
                Ok(Parsed::Complete { value, .. }) => {
                    lines += value.lines().count() + value.texts().count();
                    lines += usize::from(value.enhanced().is_some());
                }
                _ => unreachable!(),
            }
        }
    }
    let stats = region.change();
    assert!(verbs > 0 && lines > 0);
    assert_eq!(stats.allocations, 0, "{stats:?}");
    assert_eq!(stats.reallocations, 0, "{stats:?}");
}
