//! Encode then parse: commands and replies built from fuzzed fields either are refused by
//! the encoder or parse back to the same value; CR, LF and NUL never reach the wire inside an
//! argument.

#![no_main]

use std::borrow::Cow;

use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use smtp_proto::Limits;
use smtp_proto::{
    Parsed, encode_command, encode_reply, parse_command_line, parse_reply_with,
};
use smtp_proto::{
    Command, EnhancedStatusCode, ForwardPath, MailParameters, Mailbox, RcptParameters, Reply,
    ReplyCode, ReversePath,
};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fuzz_target!(|data: &[u8]| {
    let [pick, n, rest @ ..] = data else { return };
    let split = usize::from(*n).min(rest.len());
    let (a, b) = rest.split_at(split);
    let (a, b) = (text(a), text(b));
    let lenient = Limits::default()
        .with_max_local_part(usize::MAX)
        .with_max_domain(usize::MAX)
        .with_max_path(usize::MAX);
    let command = match pick % 12 {
        0 => Some(Command::Ehlo(Cow::Owned(a.clone()))),
        1 => Some(Command::Vrfy(Cow::Owned(a.clone()))),
        2 => Some(Command::Noop(Some(Cow::Owned(a.clone())))),
        3 => Some(Command::Auth {
            mechanism: Cow::Owned(a.clone()),
            initial_response: Some(Cow::Owned(b.clone())),
        }),
        4 => Mailbox::parse(&a).ok().map(|m| {
            let mut params = MailParameters::new();
            params.extra = Cow::Owned(b.clone());
            Command::Mail {
                from: ReversePath::Mailbox(m.into_owned()),
                params,
            }
        }),
        5 => Mailbox::parse(&a).ok().map(|m| {
            let mut params = RcptParameters::new();
            params.rrvs = Some(Cow::Owned(b.clone()));
            Command::Rcpt {
                to: ForwardPath::Mailbox(m.into_owned()),
                params,
            }
        }),
        6 => {
            let mut params = MailParameters::new();
            params.envid = Some(Cow::Owned(a.clone()));
            params.auth = Some(Cow::Owned(b.clone()));
            Some(Command::Mail {
                from: ReversePath::Null,
                params,
            })
        }
        7 => Some(Command::Etrn(Cow::Owned(a.clone()))),
        8 => Some(Command::Bdat {
            size: a.len() as u64 * 7919,
            last: b.is_empty(),
        }),
        _ => None,
    };
    if let Some(command) = command {
        let mut out = Vec::new();
        if encode_command(&command, &mut out).is_ok() {
            let line = out.strip_suffix(b"\r\n").expect("CRLF");
            assert!(!line.iter().any(|&c| c == b'\r' || c == b'\n' || c == 0));
            assert_eq!(
                parse_command_line(line, &lenient).expect("parse back"),
                command
            );
        } else {
            assert!(out.is_empty());
        }
    }
    // Replies.
    let code = ReplyCode::new(200 + u16::from(*pick) % 400).expect("code");
    let enhanced = EnhancedStatusCode::new(code.class(), u16::from(*n), u16::from(*pick));
    let lines: Vec<&str> = a.split('|').collect();
    if let Ok(reply) = Reply::multiline(code, enhanced, &lines) {
        let mut out = Vec::new();
        encode_reply(&reply, &mut out).expect("a built reply encodes");
        let limits = Limits::default()
            .with_max_reply_line(usize::MAX)
            .with_max_reply_lines(usize::MAX);
        match parse_reply_with(&out, &limits) {
            Ok(Parsed::Complete { value, .. }) => assert_eq!(value, reply),
            other => panic!("reply did not parse back: {other:?}"),
        }
    }
});
