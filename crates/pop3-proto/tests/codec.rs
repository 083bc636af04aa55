#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

//! The codec: every command, responses under each context, the MailKit captures (Gmail,
//! Exchange, Comcast, LANG) converted to CRLF, limits at N and N+1, encoder refusals.

use std::borrow::Cow;

use pop3_proto::{
    Parsed, ResponseContext, encode_command, encode_command_with, encode_status_line,
    parse_command, parse_command_line, parse_command_with, parse_response, parse_response_with,
};
use pop3_proto::{Expire, Language};
use pop3_proto::{
    Capability, Command, EncodeError, Limits, ListEntry, MessageNumber, ParseErrorKind, Response,
    ResponseCode, Status, StatusLine, UidlEntry,
};
use sasl_proto::Mechanism;

fn n(v: u32) -> MessageNumber {
    MessageNumber::new(v).unwrap()
}

fn cmd(line: &str) -> Command<'_> {
    parse_command_line(line.as_bytes()).unwrap()
}

#[test]
fn every_command_parses() {
    assert_eq!(cmd("USER mrose"), Command::user("mrose"));
    assert_eq!(cmd("user mrose"), Command::user("mrose"));
    // PASS keeps the rest of the line, internal and trailing spaces included.
    assert_eq!(
        cmd("PASS my secret  pass "),
        Command::pass("my secret  pass ")
    );
    assert_eq!(
        cmd("APOP mrose c4c9334bac560ecc979e58001b3e22fb"),
        Command::apop("mrose", "c4c9334bac560ecc979e58001b3e22fb")
    );
    assert_eq!(cmd("STAT"), Command::Stat);
    assert_eq!(cmd("LIST"), Command::List(None));
    assert_eq!(cmd("LIST 2"), Command::List(Some(n(2))));
    assert_eq!(cmd("RETR 1"), Command::Retr(n(1)));
    assert_eq!(cmd("DELE 1"), Command::Dele(n(1)));
    assert_eq!(cmd("NOOP"), Command::Noop);
    assert_eq!(cmd("RSET"), Command::Rset);
    assert_eq!(cmd("QUIT"), Command::Quit);
    assert_eq!(
        cmd("TOP 1 10"),
        Command::Top {
            msg: n(1),
            lines: 10
        }
    );
    assert_eq!(
        cmd("TOP 1 0"),
        Command::Top {
            msg: n(1),
            lines: 0
        }
    );
    assert_eq!(cmd("UIDL"), Command::Uidl(None));
    assert_eq!(cmd("uidl 7"), Command::Uidl(Some(n(7))));
    assert_eq!(cmd("CAPA"), Command::Capa);
    assert_eq!(cmd("STLS"), Command::Stls);
    assert_eq!(cmd("AUTH"), Command::Auth(None));
    assert_eq!(cmd("AUTH plain"), Command::auth(Mechanism::Plain, None));
    assert_eq!(
        cmd("AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q="),
        Command::auth(Mechanism::Plain, Some("dGVzdAB0ZXN0AHRlc3Q=".into()))
    );
    assert_eq!(
        cmd("AUTH X-ZIMBRA ="),
        Command::auth(Mechanism::Other("X-ZIMBRA".into()), Some("=".into()))
    );
    assert_eq!(cmd("UTF8"), Command::Utf8);
    assert_eq!(cmd("LANG"), Command::Lang(None));
    assert_eq!(cmd("LANG en-boont"), Command::Lang(Some("en-boont".into())));
    assert_eq!(cmd("LAST"), Command::Last);
    // Trailing spaces after a command are tolerated.
    assert_eq!(cmd("STAT "), Command::Stat);
    // UTF-8 user names (RFC 6856 section 2.2).
    assert_eq!(cmd("USER jöran"), Command::user("jöran"));
}

#[test]
fn bad_commands_say_what_and_where() {
    let err = |line: &str| parse_command_line(line.as_bytes()).unwrap_err();
    assert_eq!(err("XYZZY").kind, ParseErrorKind::UnknownCommand);
    assert_eq!(err("RETR").kind, ParseErrorKind::MissingArgument);
    assert_eq!(err("RETR 0").kind, ParseErrorKind::BadNumber);
    assert_eq!(err("RETR 0").offset, 5);
    assert_eq!(err("RETR x1").kind, ParseErrorKind::BadNumber);
    assert_eq!(err("RETR 4294967296").kind, ParseErrorKind::BadNumber);
    assert_eq!(err("STAT 1").kind, ParseErrorKind::ExtraArgument);
    assert_eq!(err("STAT 1").offset, 5);
    assert_eq!(err("TOP 1 2 3").kind, ParseErrorKind::ExtraArgument);
    assert_eq!(err("TOP 1  2").kind, ParseErrorKind::EmptyArgument);
    assert_eq!(err("PASS").kind, ParseErrorKind::MissingArgument);
    assert_eq!(err("USER a\0b").kind, ParseErrorKind::ControlOctet);
    let e = parse_command_line(b"USER \xff").unwrap_err();
    assert_eq!(
        (e.kind, e.offset, e.found),
        (ParseErrorKind::NotUtf8, 5, vec![0xff])
    );
    assert_eq!(err("AUTH P@IN").kind, ParseErrorKind::BadMechanism);
}

#[test]
fn command_framing_and_the_255_octet_limit() {
    assert_eq!(parse_command(b"STAT\r").unwrap(), Parsed::Incomplete);
    assert_eq!(
        parse_command(b"STAT\r\nQUIT\r\n").unwrap(),
        Parsed::Complete {
            value: Command::Stat,
            consumed: 6
        }
    );
    assert_eq!(
        parse_command(b"STAT\n").unwrap_err().kind,
        ParseErrorKind::BareLf
    );
    // RFC 2449 section 4: 255 octets including CRLF; RFC 5034 section 4: AUTH with its initial
    // response too.
    let ir = "A".repeat(255 - "AUTH PLAIN ".len() - 2);
    let line = format!("AUTH PLAIN {ir}\r\n");
    assert_eq!(line.len(), 255);
    assert!(matches!(
        parse_command(line.as_bytes()).unwrap(),
        Parsed::Complete { consumed: 255, .. }
    ));
    let line = format!("AUTH PLAIN {ir}A\r\n");
    assert_eq!(
        parse_command(line.as_bytes()).unwrap_err().kind,
        ParseErrorKind::TooLong { limit: 255 }
    );
    // Incomplete up to the limit, refused at it.
    assert_eq!(parse_command(&[b'A'; 254]).unwrap(), Parsed::Incomplete);
    assert!(parse_command(&[b'A'; 255]).is_err());
    // A configured limit.
    let limits = Limits::new().with_max_command_line(10);
    assert!(parse_command_with(b"LIST 123\r\n", &limits).is_ok());
    assert!(parse_command_with(b"LIST 1234\r\n", &limits).is_err());
    // Encoding refuses what parsing would refuse.
    let mut out = Vec::new();
    let long = Command::auth(Mechanism::Plain, Some(format!("{ir}A").into()));
    assert_eq!(
        encode_command(&long, &mut out),
        Err(EncodeError::TooLong {
            len: 256,
            limit: 255
        })
    );
    assert!(out.is_empty());
    let ok = Command::auth(Mechanism::Plain, Some(ir.clone().into()));
    encode_command(&ok, &mut out).unwrap();
    assert_eq!(out.len(), 255);
    assert!(
        encode_command_with(&ok, &Limits::new().with_max_command_line(254), &mut Vec::new()).is_err()
    );
}

#[test]
fn encoders_refuse_line_injection() {
    let mut out = Vec::new();
    for bad in ["a\r\nDELE 1", "a\nb", "a\rb", "a\0b"] {
        assert!(matches!(
            encode_command(&Command::pass(bad), &mut out),
            Err(EncodeError::Forbidden { .. })
        ));
        assert!(encode_command(&Command::user(bad), &mut out).is_err());
        assert!(encode_status_line(&StatusLine::ok(bad.as_bytes()), &mut out).is_err());
    }
    assert_eq!(
        encode_command(&Command::user("a b"), &mut out),
        Err(EncodeError::Space("user name"))
    );
    assert_eq!(
        encode_command(&Command::user(""), &mut out),
        Err(EncodeError::Empty("user name"))
    );
    assert!(encode_command(&Command::Lang(Some("en us".into())), &mut out).is_err());
    assert!(encode_status_line(&StatusLine::ok(&b"[fake] code"[..]), &mut out).is_err());
    assert!(out.is_empty());
    // A status line is limited to 512 octets with its CRLF.
    let text = vec![b'x'; 512 - 4 - 2];
    encode_status_line(&StatusLine::ok(text.clone()), &mut out).unwrap();
    assert_eq!(out.len(), 512);
    let mut longer = text;
    longer.push(b'x');
    assert!(encode_status_line(&StatusLine::ok(longer), &mut Vec::new()).is_err());
}

fn resp(context: ResponseContext, text: &str) -> Response<'static> {
    match parse_response(context, text.as_bytes()).unwrap() {
        Parsed::Complete { value, consumed } => {
            assert_eq!(consumed, text.len(), "{text:?}");
            value.into_owned()
        }
        Parsed::Incomplete => panic!("incomplete: {text:?}"),
    }
}

#[test]
fn status_lines_and_response_codes() {
    let line = |s: &str| {
        pop3_proto::parse_status_line(s.as_bytes())
            .unwrap()
            .into_owned()
    };
    assert_eq!(line("+OK"), StatusLine::ok(&b""[..]));
    assert_eq!(line("-ERR"), StatusLine::err(&b""[..]));
    assert_eq!(line("+ok fine"), StatusLine::ok(&b"fine"[..]));
    assert_eq!(
        line("-ERR [IN-USE] Do you have another POP session running?"),
        StatusLine::err(&b"Do you have another POP session running?"[..])
            .with_code(ResponseCode::InUse)
    );
    for (raw, code) in [
        ("login-delay", ResponseCode::LoginDelay),
        ("SYS/TEMP", ResponseCode::SysTemp),
        ("sys/perm", ResponseCode::SysPerm),
        ("AUTH", ResponseCode::Auth),
        ("UTF8", ResponseCode::Utf8),
        ("SYS/TEMP/DISK", ResponseCode::Other("SYS/TEMP/DISK".into())),
        ("X-VENDOR", ResponseCode::Other("X-VENDOR".into())),
    ] {
        let parsed = line(&format!("-ERR [{raw}] text"));
        assert_eq!(parsed.code, Some(code), "{raw}");
        assert_eq!(&parsed.text[..], b"text");
    }
    assert_eq!(
        ResponseCode::Other("sys/temp/disk".into()).top_level(),
        "SYS"
    );
    // Not a well-formed code: kept as text.
    assert_eq!(
        line("-ERR [broken text").text,
        Cow::Borrowed(&b"[broken text"[..])
    );
    assert_eq!(line("-ERR [] x").code, None);
    // Text is bytes, not forced into UTF-8.
    assert_eq!(&line("+OK \u{e9}").text[..], "\u{e9}".as_bytes());
    let raw = pop3_proto::parse_status_line(b"+OK \xff\xfe").unwrap();
    assert_eq!(&raw.text[..], b"\xff\xfe");
    assert!(pop3_proto::parse_status_line(b"OK").is_err());
    assert!(pop3_proto::parse_status_line(b"+OKAY").is_err());
}

#[test]
fn greetings_keep_the_apop_timestamp() {
    let Response::Greeting { line, timestamp } = resp(
        ResponseContext::Greeting,
        "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n",
    ) else {
        panic!()
    };
    assert!(line.is_ok());
    assert_eq!(
        timestamp.unwrap().as_str(),
        "<1896.697170952@dbc.mtview.ca.us>"
    );
    let Response::Greeting { timestamp, .. } =
        resp(ResponseContext::Greeting, "+OK no stamp < here >\r\n")
    else {
        panic!()
    };
    assert_eq!(timestamp, None);
    let Response::Greeting { line, .. } = resp(ResponseContext::Greeting, "-ERR\r\n") else {
        panic!()
    };
    assert_eq!(line.status, Status::Err);
}

#[test]
fn every_context_reads_its_answer() {
    assert_eq!(
        resp(ResponseContext::Stat, "+OK 2 320\r\n"),
        Response::Stat {
            line: StatusLine::ok(&b""[..]),
            count: 2,
            size: 320
        }
    );
    assert_eq!(
        resp(ResponseContext::List(Some(n(2))), "+OK 2 200\r\n"),
        Response::ListOne {
            line: StatusLine::ok(&b""[..]),
            entry: ListEntry {
                number: n(2),
                size: 200
            }
        }
    );
    assert_eq!(
        resp(
            ResponseContext::List(None),
            "+OK 2 messages (320 octets)\r\n1 120\r\n2 200 extra info\r\n.\r\n"
        ),
        Response::List {
            line: StatusLine::ok(&b"2 messages (320 octets)"[..]),
            entries: vec![
                ListEntry {
                    number: n(1),
                    size: 120
                },
                ListEntry {
                    number: n(2),
                    size: 200
                }
            ]
        }
    );
    assert_eq!(
        resp(
            ResponseContext::Uidl(None),
            "+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n"
        ),
        Response::Uidl {
            line: StatusLine::ok(&b""[..]),
            entries: vec![
                UidlEntry {
                    number: n(1),
                    uid: "whqtswO00WBw418f9t5JxYwZ".into()
                },
                UidlEntry {
                    number: n(2),
                    uid: "QhdPYR:00WBw1Ph7x7".into()
                }
            ]
        }
    );
    assert_eq!(
        resp(
            ResponseContext::Uidl(Some(n(2))),
            "+OK 2 QhdPYR:00WBw1Ph7x7\r\n"
        ),
        Response::UidlOne {
            line: StatusLine::ok(&b""[..]),
            entry: UidlEntry {
                number: n(2),
                uid: "QhdPYR:00WBw1Ph7x7".into()
            }
        }
    );
    assert_eq!(
        resp(ResponseContext::Body, "+OK 120 octets\r\n"),
        Response::BodyFollows(StatusLine::ok(&b"120 octets"[..]))
    );
    assert_eq!(
        resp(ResponseContext::Auth, "+ \r\n"),
        Response::Continuation(Cow::Borrowed(b""))
    );
    assert_eq!(
        resp(ResponseContext::Auth, "+\r\n"),
        Response::Continuation(Cow::Borrowed(b""))
    );
    assert_eq!(
        resp(
            ResponseContext::Auth,
            "+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+\r\n"
        ),
        Response::Continuation(Cow::Borrowed(
            b"PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+"
        ))
    );
    assert_eq!(
        resp(
            ResponseContext::AuthList,
            "+OK\r\nPLAIN\r\nCRAM-MD5\r\n.\r\n"
        ),
        Response::Mechanisms {
            line: StatusLine::ok(&b""[..]),
            mechanisms: vec![Mechanism::Plain, Mechanism::CramMd5]
        }
    );
    // -ERR is a status in every context.
    for context in [
        ResponseContext::Stat,
        ResponseContext::List(None),
        ResponseContext::Capa,
        ResponseContext::Body,
    ] {
        assert_eq!(
            resp(context, "-ERR no\r\n"),
            Response::Status(StatusLine::err(&b"no"[..]))
        );
    }
    // A listing is incomplete until its "." line; stuffed lines lose their dot.
    assert_eq!(
        parse_response(ResponseContext::Capa, b"+OK\r\nTOP\r\n").unwrap(),
        Parsed::Incomplete
    );
    assert_eq!(
        resp(ResponseContext::Capa, "+OK\r\n..X-DOT\r\n.\r\n"),
        Response::Capa {
            line: StatusLine::ok(&b""[..]),
            capabilities: pop3_proto::Capabilities(vec![Capability::Unknown(".X-DOT".into())])
        }
    );
    // Wrong message number in a single-message answer.
    let e = parse_response(ResponseContext::List(Some(n(1))), b"+OK 99 1024\r\n").unwrap_err();
    assert_eq!(
        e.kind,
        ParseErrorKind::WrongMessageNumber {
            expected: 1,
            found: 99
        }
    );
}

#[test]
fn response_line_limit_512_accepted_513_refused() {
    let text = "x".repeat(512 - 4 - 2);
    let line = format!("+OK {text}\r\n");
    assert_eq!(line.len(), 512);
    assert!(matches!(
        parse_response(ResponseContext::Status, line.as_bytes()).unwrap(),
        Parsed::Complete { .. }
    ));
    let line = format!("+OK {text}x\r\n");
    assert_eq!(
        parse_response(ResponseContext::Status, line.as_bytes())
            .unwrap_err()
            .kind,
        ParseErrorKind::TooLong { limit: 512 }
    );
    // The same for a capability line inside the listing.
    let cap = format!("X-{}", "c".repeat(512 - 2 - 2));
    let ok = format!("+OK\r\n{cap}\r\n.\r\n");
    assert!(parse_response(ResponseContext::Capa, ok.as_bytes()).is_ok());
    let long = format!("+OK\r\n{cap}c\r\n.\r\n");
    assert!(parse_response(ResponseContext::Capa, long.as_bytes()).is_err());
    // SASL lines during AUTH follow the SASL limit (12288 + CRLF).
    let b64 = "A".repeat(12288);
    let ok = format!("+ {}\r\n", &b64[..12288 - 2]);
    assert!(parse_response(ResponseContext::Auth, ok.as_bytes()).is_ok());
    let long = format!("+ {b64}\r\n");
    assert!(parse_response(ResponseContext::Auth, long.as_bytes()).is_err());
    // Listing entries.
    let limits = Limits::new().with_max_listing_entries(2);
    assert!(
        parse_response_with(
            ResponseContext::List(None),
            b"+OK\r\n1 1\r\n2 2\r\n.\r\n",
            &limits
        )
        .is_ok()
    );
    assert!(
        parse_response_with(
            ResponseContext::List(None),
            b"+OK\r\n1 1\r\n2 2\r\n3 3\r\n.\r\n",
            &limits
        )
        .is_err()
    );
}

// ------------------------------------------------------------------------------------------
// MailKit captures (server side of real sessions), LF converted to CRLF.

fn vector(path: &str) -> Vec<u8> {
    let raw = std::fs::read(format!(
        "{}/tests/data/mailkit/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 16);
    for &b in &raw {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

fn parse_vector(context: ResponseContext, path: &str) -> Response<'static> {
    let bytes = vector(path);
    match parse_response(context, &bytes).unwrap_or_else(|e| panic!("{path}: {e}")) {
        Parsed::Complete { value, consumed } => {
            if !matches!(value, Response::BodyFollows(_)) {
                assert_eq!(consumed, bytes.len(), "{path}");
            }
            value.into_owned()
        }
        Parsed::Incomplete => panic!("{path}: incomplete"),
    }
}

#[test]
fn mailkit_greetings() {
    for (path, ok, ts) in [
        ("gmail/greeting.txt", true, None),
        ("exchange/greeting.txt", true, None),
        ("comcast/greeting.txt", true, None),
        ("common/ok-greeting.txt", true, None),
        ("common/err-greeting.txt", false, None),
        ("lang/greeting.txt", true, Some("<apop-token@example.com>")),
    ] {
        let Response::Greeting { line, timestamp } = parse_vector(ResponseContext::Greeting, path)
        else {
            panic!("{path}")
        };
        assert_eq!(line.is_ok(), ok, "{path}");
        assert_eq!(timestamp.as_ref().map(|t| t.as_str()), ts, "{path}");
    }
}

#[test]
fn mailkit_capabilities() {
    let caps = |path| match parse_vector(ResponseContext::Capa, path) {
        Response::Capa { capabilities, .. } => capabilities,
        other => panic!("{path}: {other:?}"),
    };
    let gmail = caps("gmail/capa1.txt");
    assert_eq!(
        gmail.0,
        vec![
            Capability::User,
            Capability::RespCodes,
            Capability::Expire {
                expire: Expire::Days(0),
                per_user: false
            },
            Capability::LoginDelay {
                seconds: 300,
                per_user: false
            },
            Capability::Top,
            Capability::Uidl,
            Capability::Unknown("X-GOOGLE-RICO".into()),
            Capability::Sasl(vec![Mechanism::Plain, Mechanism::XOAuth2]),
        ]
    );
    assert!(caps("gmail/capa2.txt").pipelining());
    assert!(caps("gmail/capa2.txt").sasl().is_empty());
    let exchange = caps("exchange/capa.txt");
    assert_eq!(
        exchange.sasl().iter().cloned().collect::<Vec<_>>(),
        vec![
            Mechanism::Other("NTLM".into()),
            Mechanism::Other("GSSAPI".into()),
            Mechanism::Plain,
            Mechanism::Login
        ]
    );
    let comcast1 = caps("comcast/capa1.txt");
    assert!(comcast1.stls() && comcast1.top() && comcast1.user() && comcast1.uidl());
    assert_eq!(comcast1.expire(), Some((Expire::Days(31), true)));
    let comcast2 = caps("comcast/capa2.txt");
    assert_eq!(comcast2.expire(), Some((Expire::Never, false)));
    assert_eq!(comcast2.implementation(), Some("ZimbraInc"));
    assert!(comcast2.has(&Capability::Unknown("XOIP".into())));
    assert_eq!(
        comcast2.sasl().iter().cloned().collect::<Vec<_>>(),
        vec![Mechanism::Plain, Mechanism::Other("X-ZIMBRA".into())]
    );
    let lang = caps("lang/capa1.txt");
    assert_eq!(lang.utf8(), Some(true));
    assert!(lang.lang());
    assert_eq!(caps("lang/capa2.txt").utf8(), None);
}

#[test]
fn mailkit_listings_and_single_lines() {
    let Response::List { entries, .. } =
        parse_vector(ResponseContext::List(None), "comcast/list.txt")
    else {
        panic!()
    };
    assert_eq!(entries.len(), 7);
    assert_eq!(
        entries[6],
        ListEntry {
            number: n(7),
            size: 7168
        }
    );
    let Response::List { entries, .. } =
        parse_vector(ResponseContext::List(None), "gmail/list.txt")
    else {
        panic!()
    };
    assert_eq!(
        entries.iter().map(|e| e.size).collect::<Vec<_>>(),
        vec![1024, 1025, 1026]
    );
    for (i, path) in ["gmail/list1.txt", "gmail/list2.txt", "gmail/list3.txt"]
        .into_iter()
        .enumerate()
    {
        let number = n(u32::try_from(i).unwrap() + 1);
        let Response::ListOne { entry, .. } =
            parse_vector(ResponseContext::List(Some(number)), path)
        else {
            panic!()
        };
        assert_eq!(
            entry,
            ListEntry {
                number,
                size: 1024 + u64::try_from(i).unwrap()
            }
        );
    }
    let Response::Uidl { entries, .. } =
        parse_vector(ResponseContext::Uidl(None), "exchange/uidl.txt")
    else {
        panic!()
    };
    assert_eq!(entries.len(), 7);
    assert_eq!(entries[0].uid, "6499");
    let Response::Uidl { entries, .. } =
        parse_vector(ResponseContext::Uidl(None), "gmail/uidl.txt")
    else {
        panic!()
    };
    assert_eq!(
        entries[2],
        UidlEntry {
            number: n(3),
            uid: "103".into()
        }
    );
    let Response::UidlOne { entry, .. } =
        parse_vector(ResponseContext::Uidl(Some(n(3))), "gmail/uidl3.txt")
    else {
        panic!()
    };
    assert_eq!(entry.uid, "103");
    for (path, count, size) in [
        ("gmail/stat.txt", 3, 221_409),
        ("exchange/stat.txt", 7, 1_800_662),
        ("comcast/stat.txt", 7, 1_800_662),
        ("lang/stat.txt", 3, 221_409),
    ] {
        let Response::Stat {
            count: c, size: s, ..
        } = parse_vector(ResponseContext::Stat, path)
        else {
            panic!("{path}")
        };
        assert_eq!((c, s), (count, size), "{path}");
    }
    let Response::Languages { languages, .. } =
        parse_vector(ResponseContext::LangList, "lang/getlang.txt")
    else {
        panic!()
    };
    assert_eq!(languages.len(), 6);
    assert_eq!(
        languages[1],
        Language {
            tag: "en-boont".into(),
            description: Some("English Boontling dialect".into())
        }
    );
    for path in [
        "gmail/dele.txt",
        "gmail/noop.txt",
        "gmail/rset.txt",
        "gmail/quit.txt",
        "exchange/quit.txt",
        "comcast/quit.txt",
        "comcast/ok.txt",
        "lang/setlang.txt",
        "lang/utf8.txt",
        "gmail/auth.txt",
        "exchange/auth.txt",
        "lang/auth.txt",
    ] {
        let Response::Status(line) = parse_vector(ResponseContext::Status, path) else {
            panic!("{path}")
        };
        assert!(line.is_ok(), "{path}");
    }
    let Response::Status(line) = parse_vector(ResponseContext::Status, "comcast/err.txt") else {
        panic!()
    };
    assert_eq!(line.status, Status::Err);
    // "+ " and a bare "+" continuation (Exchange sends the latter).
    assert_eq!(
        parse_vector(ResponseContext::Auth, "gmail/plus.txt"),
        Response::Continuation(Cow::Borrowed(b""))
    );
    assert_eq!(
        parse_vector(ResponseContext::Auth, "exchange/plus.txt"),
        Response::Continuation(Cow::Borrowed(b""))
    );
    // Three pipelined DELE answers, one after the other.
    let bytes = vector("gmail/dele123.txt");
    let mut rest = &bytes[..];
    for _ in 0..3 {
        let (value, consumed) = parse_response(ResponseContext::Status, rest)
            .unwrap()
            .complete()
            .unwrap();
        assert!(matches!(value, Response::Status(ref l) if l.is_ok()));
        rest = &rest[consumed..];
    }
    assert!(rest.is_empty());
}

/// The `-error` captures are answers a client must refuse. `uidl-error2.txt` and
/// `list-error2.txt` skip a message number, which is legal (deleted messages are not listed,
/// RFC 1939 section 5), so they parse.
#[test]
fn mailkit_error_captures_are_refused() {
    for (context, path) in [
        (ResponseContext::Stat, "comcast/stat-error1.txt"),
        (ResponseContext::Stat, "comcast/stat-error2.txt"),
        (ResponseContext::Stat, "comcast/stat-error3.txt"),
        (ResponseContext::List(None), "comcast/list-error1.txt"),
        (ResponseContext::List(None), "comcast/list-error3.txt"),
        (
            ResponseContext::List(Some(n(1))),
            "comcast/list1-error1.txt",
        ),
        (
            ResponseContext::List(Some(n(1))),
            "comcast/list1-error2.txt",
        ),
        (
            ResponseContext::List(Some(n(1))),
            "comcast/list1-error3.txt",
        ),
        (ResponseContext::Uidl(None), "gmail/uidl-error1.txt"),
        (ResponseContext::Uidl(Some(n(1))), "gmail/uidl1-error1.txt"),
        (ResponseContext::Uidl(Some(n(1))), "gmail/uidl1-error2.txt"),
    ] {
        assert!(parse_response(context, &vector(path)).is_err(), "{path}");
    }
    assert!(
        parse_response(
            ResponseContext::Uidl(None),
            &vector("gmail/uidl-error2.txt")
        )
        .is_ok()
    );
    assert!(
        parse_response(
            ResponseContext::List(None),
            &vector("comcast/list-error2.txt")
        )
        .is_ok()
    );
}

#[test]
fn mailkit_bodies_unstuff_to_the_message() {
    use bytes::BytesMut;
    use proto_core::{BareLineEnding, DotUnstuffer, Unstuffed};
    for path in [
        "gmail/retr1.txt",
        "exchange/retr1.txt",
        "comcast/retr1.txt",
        "gmail/top.txt",
        "gmail/retr1-parse-error.txt",
    ] {
        let bytes = vector(path);
        let (value, consumed) = parse_response(ResponseContext::Body, &bytes)
            .unwrap()
            .complete()
            .unwrap();
        assert!(matches!(value, Response::BodyFollows(_)), "{path}");
        let mut buf = BytesMut::from(&bytes[consumed..]);
        let mut unstuffer = DotUnstuffer::new(BareLineEnding::Accept);
        let mut body = Vec::new();
        let mut ended = false;
        while let Some(step) = unstuffer.poll(&mut buf) {
            match step.unwrap() {
                Unstuffed::Data(d) => body.extend_from_slice(&d),
                Unstuffed::End => {
                    ended = true;
                    break;
                }
            }
        }
        assert!(ended, "{path}");
        assert!(buf.is_empty(), "{path}");
        // The body is the capture between the first line and the ".", dots removed.
        let inner = &bytes[consumed..bytes.len() - 3];
        let expected: Vec<u8> = inner
            .split_inclusive(|&b| b == b'\n')
            .flat_map(|l| l.strip_prefix(b".").unwrap_or(l).iter().copied())
            .collect();
        assert_eq!(body, expected, "{path}");
    }
    // retr123: three bodies pipelined.
    let bytes = vector("gmail/retr123.txt");
    let mut buf = BytesMut::from(&bytes[..]);
    for _ in 0..3 {
        let (_, consumed) = parse_response(ResponseContext::Body, &buf)
            .unwrap()
            .complete()
            .unwrap();
        let _ = buf.split_to(consumed);
        let mut unstuffer = DotUnstuffer::new(BareLineEnding::Accept);
        let mut ended = false;
        while let Some(step) = unstuffer.poll(&mut buf) {
            if step.unwrap() == Unstuffed::End {
                ended = true;
                break;
            }
        }
        assert!(ended);
    }
    assert!(buf.is_empty());
}
