//! Known-answer tests of the codec: every command, paths, parameters, replies.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use smtp_proto::*;
use smtp_proto::{Capabilities, Orcpt, xtext_decode, xtext_encode};
use smtp_proto::{encode_command, encode_reply, parse_command_line, parse_reply_with};

fn cmd(line: &str) -> Command<'_> {
    parse_command_line(line.as_bytes(), &Limits::default()).unwrap()
}

fn cmd_err(line: &str) -> ParseErrorKind {
    parse_command_line(line.as_bytes(), &Limits::default())
        .unwrap_err()
        .kind
}

fn mailbox<'a>(cmd: &'a Command<'a>) -> String {
    match cmd {
        Command::Mail { from, .. } => from.to_string(),
        Command::Rcpt { to, .. } => to.to_string(),
        _ => panic!("{cmd:?}"),
    }
}

#[test]
fn every_verb_case_insensitive() {
    assert_eq!(
        cmd("ehlo client.example"),
        Command::Ehlo("client.example".into())
    );
    assert_eq!(cmd("HeLo x"), Command::Helo("x".into()));
    assert_eq!(cmd("LHLO [192.0.2.1]"), Command::Lhlo("[192.0.2.1]".into()));
    assert_eq!(cmd("data"), Command::Data);
    assert_eq!(cmd("RSET"), Command::Rset);
    assert_eq!(cmd("quit"), Command::Quit);
    assert_eq!(cmd("StartTLS"), Command::StartTls);
    assert_eq!(cmd("NOOP"), Command::Noop(None));
    assert_eq!(cmd("NOOP hi there"), Command::Noop(Some("hi there".into())));
    assert_eq!(cmd("HELP"), Command::Help(None));
    assert_eq!(cmd("HELP MAIL"), Command::Help(Some("MAIL".into())));
    assert_eq!(cmd("VRFY Smith"), Command::Vrfy("Smith".into()));
    assert_eq!(
        cmd("EXPN Example-People"),
        Command::Expn("Example-People".into())
    );
    assert_eq!(
        cmd("ETRN @example.org"),
        Command::Etrn("@example.org".into())
    );
    assert_eq!(
        cmd("BDAT 86 LAST"),
        Command::Bdat {
            size: 86,
            last: true
        }
    );
    assert_eq!(
        cmd("bdat 0 last"),
        Command::Bdat {
            size: 0,
            last: true
        }
    );
    assert_eq!(
        cmd("BDAT 100000"),
        Command::Bdat {
            size: 100000,
            last: false
        }
    );
    assert_eq!(
        cmd("AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ="),
        Command::Auth {
            mechanism: "PLAIN".into(),
            initial_response: Some("dGVzdAB0ZXN0ADEyMzQ=".into())
        }
    );
    assert_eq!(
        cmd("AUTH LOGIN"),
        Command::Auth {
            mechanism: "LOGIN".into(),
            initial_response: None
        }
    );
    assert_eq!(
        cmd("AUTH EXTERNAL ="),
        Command::Auth {
            mechanism: "EXTERNAL".into(),
            initial_response: Some("=".into())
        }
    );
}

#[test]
fn command_errors() {
    assert_eq!(cmd_err("FOO bar"), ParseErrorKind::UnknownCommand);
    assert_eq!(cmd_err("DATA x"), ParseErrorKind::Syntax);
    assert_eq!(cmd_err("EHLO"), ParseErrorKind::Syntax);
    assert_eq!(cmd_err("BDAT"), ParseErrorKind::Syntax);
    assert_eq!(
        cmd_err("BDAT 99999999999999999999999"),
        ParseErrorKind::Syntax
    );
    assert_eq!(cmd_err("BDAT 12 FIRST"), ParseErrorKind::Syntax);
    assert_eq!(cmd_err("MAIL FROM:a@b"), ParseErrorKind::BadPath);
    assert_eq!(cmd_err("MAIL TO:<a@b>"), ParseErrorKind::Syntax);
    assert_eq!(cmd_err("RCPT TO:<>"), ParseErrorKind::BadPath);
    assert_eq!(
        cmd_err("MAIL FROM:<a@b> SIZE=x"),
        ParseErrorKind::BadParameter
    );
    assert_eq!(
        cmd_err("MAIL FROM:<a@b> SIZE=1 SIZE=2"),
        ParseErrorKind::BadParameter
    );
    assert_eq!(
        cmd_err("MAIL FROM:<a@b> BODY=9BIT"),
        ParseErrorKind::BadParameter
    );
    assert_eq!(
        cmd_err("MAIL FROM:<a@b> SMTPUTF8=yes"),
        ParseErrorKind::BadParameter
    );
    assert_eq!(
        cmd_err("RCPT TO:<a@b> NOTIFY=NEVER,SUCCESS"),
        ParseErrorKind::BadParameter
    );
    assert_eq!(cmd_err("AUTH PLAIN a\u{e9}"), ParseErrorKind::Syntax);
    assert_eq!(
        parse_command_line(b"MAIL FROM:<\xff@b>", &Limits::default())
            .unwrap_err()
            .kind,
        ParseErrorKind::NotUtf8
    );
    let e = parse_command_line(b"MAIL FROM:<a@b>\rx", &Limits::default()).unwrap_err();
    assert_eq!((e.kind, e.offset), (ParseErrorKind::BareLineEnding, 15));
    let e = parse_command(b"NOOP\n").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::BareLineEnding);
    assert_eq!(parse_command(b"NOOP\r").unwrap(), Parsed::Incomplete);
    assert_eq!(
        parse_command(b"NOOP\r\nQUIT\r\n").unwrap(),
        Parsed::Complete {
            value: Command::Noop(None),
            consumed: 6
        }
    );
}

#[test]
fn paths() {
    assert_eq!(mailbox(&cmd("MAIL FROM:<>")), "<>");
    assert_eq!(
        mailbox(&cmd("mail from:<Smith@bar.com>")),
        "<Smith@bar.com>"
    );
    // A space after the colon is tolerated.
    assert_eq!(mailbox(&cmd("MAIL FROM: <a@b>")), "<a@b>");
    // Source routes are accepted and dropped (RFC 5321 4.1.2, C).
    assert_eq!(
        mailbox(&cmd("RCPT TO:<@hosta.int,@jkl.org:userc@d.bar.org>")),
        "<userc@d.bar.org>"
    );
    assert_eq!(mailbox(&cmd("RCPT TO:<postmaster>")), "<Postmaster>");
    assert_eq!(
        mailbox(&cmd("RCPT TO:<Postmaster@x.org>")),
        "<Postmaster@x.org>"
    );
    assert_eq!(
        mailbox(&cmd(r#"RCPT TO:<"john \"q\" doe"@x.org>"#)),
        r#"<"john \"q\" doe"@x.org>"#
    );
    assert_eq!(
        mailbox(&cmd(r#"RCPT TO:<"a>b"@x.org>"#)),
        r#"<"a>b"@x.org>"#
    );
    assert_eq!(mailbox(&cmd("RCPT TO:<a@[192.0.2.1]>")), "<a@[192.0.2.1]>");
    assert_eq!(
        mailbox(&cmd("RCPT TO:<a@[IPv6:2001:db8::1]>")),
        "<a@[IPv6:2001:db8::1]>"
    );
    assert_eq!(
        mailbox(&cmd("RCPT TO:<a@[x-tag:stuff]>")),
        "<a@[x-tag:stuff]>"
    );
    assert_eq!(
        mailbox(&cmd("RCPT TO:<用户@例子.广告>")),
        "<用户@例子.广告>"
    );
    for bad in [
        "RCPT TO:<a@[192.0.2.256]>",
        "RCPT TO:<a@[IPv6:zz]>",
        "RCPT TO:<a..b@c>",
        "RCPT TO:<.a@c>",
        "RCPT TO:<a@-c>",
        "RCPT TO:<a@c->",
        "RCPT TO:<a@c..d>",
        "RCPT TO:<a b@c>",
        "RCPT TO:<a@b",
        "RCPT TO:<@a:>",
        "RCPT TO:<a>",
    ] {
        let kind = cmd_err(bad);
        assert!(matches!(kind, ParseErrorKind::BadPath), "{bad}: {kind:?}");
    }
}

#[test]
fn path_limits_at_n_and_n_plus_1() {
    let limits = Limits::default();
    let local = "a".repeat(64);
    let line = format!("RCPT TO:<{local}@x.org>");
    assert!(parse_command_line(line.as_bytes(), &limits).is_ok());
    let line = format!("RCPT TO:<a{local}@x.org>");
    assert_eq!(
        parse_command_line(line.as_bytes(), &limits)
            .unwrap_err()
            .kind,
        ParseErrorKind::TooLong
    );
    let domain = format!("{}.org", "d".repeat(251)); // 255
    let line = format!("RCPT TO:<a@{domain}>");
    assert!(parse_command_line(line.as_bytes(), &limits.with_max_path(1000)).is_ok());
    let line = format!("RCPT TO:<a@d{domain}>");
    assert_eq!(
        parse_command_line(line.as_bytes(), &limits.with_max_path(1000))
            .unwrap_err()
            .kind,
        ParseErrorKind::TooLong
    );
    // Path: 256 with the brackets.
    let path_254 = format!("{}@{}.org", "l".repeat(60), "d".repeat(189));
    assert_eq!(path_254.len(), 254);
    let line = format!("RCPT TO:<{path_254}>");
    assert!(parse_command_line(line.as_bytes(), &limits).is_ok());
    let line = format!("RCPT TO:<l{path_254}>");
    assert_eq!(
        parse_command_line(line.as_bytes(), &limits)
            .unwrap_err()
            .kind,
        ParseErrorKind::TooLong
    );
}

#[test]
fn mail_parameters() {
    let c = cmd(
        "MAIL FROM:<a@b> size=1000 BODY=8bitmime SMTPUTF8 RET=HDRS ENVID=QQ314159 AUTH=<> REQUIRETLS MT-PRIORITY=-3 BY=120;RT HOLDFOR=60 HOLDUNTIL=2026-01-01T00:00:00Z X-FOO=bar XBAZ",
    );
    let Command::Mail { params, .. } = c else {
        panic!()
    };
    assert_eq!(params.size, Some(1000));
    assert_eq!(params.body, Some(Body::EightBitMime));
    assert!(params.smtputf8);
    assert_eq!(params.ret, Some(Ret::Hdrs));
    assert_eq!(params.envid.as_deref(), Some("QQ314159"));
    assert_eq!(params.auth.as_deref(), Some("<>"));
    assert!(params.requiretls);
    assert_eq!(params.mt_priority, Some(-3));
    assert_eq!(
        params.by,
        Some(DeliverBy {
            seconds: 120,
            return_on_failure: true,
            trace: true
        })
    );
    assert_eq!(params.hold_for, Some(60));
    assert_eq!(params.hold_until.as_deref(), Some("2026-01-01T00:00:00Z"));
    let unknown: Vec<_> = params.unknown().collect();
    assert_eq!(unknown, vec![("X-FOO", Some("bar")), ("XBAZ", None)]);
}

#[test]
fn rcpt_parameters_rfc3461_examples() {
    let c = cmd("RCPT TO:<Bob@Blivet.COM> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob@Blivet.COM");
    let Command::Rcpt { params, .. } = c else {
        panic!()
    };
    assert_eq!(
        params.notify,
        Some(Notify {
            success: true,
            failure: true,
            delay: false
        })
    );
    let orcpt = params.orcpt.unwrap();
    assert_eq!(orcpt.addr_type, "rfc822");
    assert_eq!(orcpt.address().unwrap(), b"Bob@Blivet.COM");
    let c = cmd("RCPT TO:<a@b> NOTIFY=NEVER RRVS=2014-04-03T23:01:00Z;C");
    let Command::Rcpt { params, .. } = c else {
        panic!()
    };
    assert!(params.notify.unwrap().is_never());
    assert_eq!(params.rrvs.as_deref(), Some("2014-04-03T23:01:00Z;C"));
    assert_eq!(xtext_encode(b"a+b=c d"), "a+2Bb+3Dc+20d");
    assert_eq!(xtext_decode("a+2Bb+3Dc+20d").unwrap(), b"a+b=c d");
    assert_eq!(xtext_decode("a+2b"), None);
    assert_eq!(Orcpt::rfc822("x=y@z").xtext, "x+3Dy@z");
}

#[test]
fn encoder_refuses_injection() {
    let mut out = Vec::new();
    for c in [
        Command::Ehlo("a\r\nRCPT TO:<x@y>".into()),
        Command::Noop(Some("a\nb".into())),
        Command::Vrfy("a\0".into()),
        Command::Auth {
            mechanism: "PLAIN".into(),
            initial_response: Some("AA\r\n".into()),
        },
    ] {
        assert!(
            matches!(
                encode_command(&c, &mut out),
                Err(EncodeError::ForbiddenOctet(_))
            ),
            "{c:?}"
        );
        assert!(out.is_empty());
    }
    assert!(matches!(
        encode_command(&Command::Ehlo("a b".into()), &mut out),
        Err(EncodeError::Invalid(_))
    ));
    assert!(Reply::new(ReplyCode::OK, None, "a\r\n250 b").is_err());
    encode_command(&Command::mail_from("a@b").unwrap(), &mut out).unwrap();
    assert_eq!(out, b"MAIL FROM:<a@b>\r\n");
}

#[test]
fn replies() {
    let limits = Limits::default();
    fn parse(s: &[u8]) -> (Reply<'_>, usize) {
        match parse_reply_with(s, &Limits::default()).unwrap() {
            Parsed::Complete { value, consumed } => (value, consumed),
            Parsed::Incomplete => panic!("incomplete"),
        }
    }
    let (r, n) = parse(b"250 2.1.0 Ok\r\nrest");
    assert_eq!(n, 14);
    assert_eq!(r.code(), ReplyCode::OK);
    assert_eq!(r.enhanced(), EnhancedStatusCode::new(2, 1, 0));
    assert_eq!(r.text(), "Ok");
    let (r, _) = parse(b"250\r\n");
    assert_eq!(r.lines().collect::<Vec<_>>(), vec![b"" as &[u8]]);
    let (r, _) = parse(b"334 \r\n");
    assert_eq!(r.code(), ReplyCode::AUTH_CONTINUE);
    let (r, _) = parse(b"334\r\n");
    assert_eq!(r.text(), "");
    // LF alone tolerated; every line kept.
    let (r, n) = parse(b"250-a\n250-\n250 c\n");
    assert_eq!(n, 17);
    assert_eq!(
        r.lines().collect::<Vec<_>>(),
        vec![b"a" as &[u8], b"", b"c"]
    );
    // Enhanced code of another class is not taken.
    let (r, _) = parse(b"550 2.1.0 odd\r\n");
    assert_eq!(r.enhanced(), None);
    // Postfix style: enhanced code on every line, stripped by texts().
    let (r, _) = parse(b"550-5.1.1 first\r\n550 5.1.1 second\r\n");
    assert_eq!(
        r.texts().collect::<Vec<_>>(),
        vec![b"first" as &[u8], b"second"]
    );
    assert_eq!(
        parse_reply_with(b"250-a\r\n250 b", &limits).unwrap(),
        Parsed::Incomplete
    );
    let e = parse_reply_with(b"250-a\r\n251 b\r\n", &limits).unwrap_err();
    assert_eq!((e.kind, e.offset), (ParseErrorKind::InconsistentCodes, 7));
    for bad in [
        &b"25 x\r\n"[..],
        b"2500\r\n",
        b"abc ok\r\n",
        b"650 no\r\n",
        b"250x\r\n",
    ] {
        assert!(parse_reply_with(bad, &limits).is_err(), "{bad:?}");
    }
}

#[test]
fn reply_limits_at_n_and_n_plus_1() {
    let limits = Limits::default();
    let line = format!("250 {}\r\n", "x".repeat(506));
    assert_eq!(line.len(), 512);
    assert!(matches!(
        parse_reply_with(line.as_bytes(), &limits),
        Ok(Parsed::Complete { .. })
    ));
    let line = format!("250 {}\r\n", "x".repeat(507));
    assert_eq!(
        parse_reply_with(line.as_bytes(), &limits).unwrap_err().kind,
        ParseErrorKind::TooLong
    );
    let lines = |n: usize| {
        let mut s = String::new();
        for _ in 1..n {
            s.push_str("250-x\r\n");
        }
        s.push_str("250 x\r\n");
        s
    };
    assert!(matches!(
        parse_reply_with(lines(100).as_bytes(), &limits),
        Ok(Parsed::Complete { .. })
    ));
    assert_eq!(
        parse_reply_with(lines(101).as_bytes(), &limits)
            .unwrap_err()
            .kind,
        ParseErrorKind::TooManyLines
    );
}

#[test]
fn reply_encoding() {
    let r = Reply::multiline(
        ReplyCode::OK,
        EnhancedStatusCode::new(2, 0, 0),
        &["a", "", "b"],
    )
    .unwrap();
    assert_eq!(r.raw(), b"250-2.0.0 a\r\n250-2.0.0\r\n250 2.0.0 b\r\n");
    let r = Reply::new(ReplyCode::AUTH_CONTINUE, None, "").unwrap();
    assert_eq!(r.raw(), b"334\r\n");
    let mut out = Vec::new();
    let (parsed, _) = match parse_reply(b"250-x\n250 y\n").unwrap() {
        Parsed::Complete { value, consumed } => (value, consumed),
        Parsed::Incomplete => panic!(),
    };
    encode_reply(&parsed, &mut out).unwrap();
    assert_eq!(out, b"250-x\r\n250 y\r\n");
    assert!(Reply::new(ReplyCode::OK, None, "2.0.0 looks enhanced").is_err());
    assert!(Reply::new(ReplyCode::OK, EnhancedStatusCode::new(5, 0, 0), "x").is_err());
}

#[test]
fn ehlo_capabilities() {
    let wire = b"250-mx.example.org hello\r\n250-PIPELINING\r\n250-SIZE 36700160\r\n250-8BITMIME\r\n250-BINARYMIME\r\n250-CHUNKING\r\n250-DSN\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN SCRAM-SHA-256\r\n250-AUTH=LOGIN PLAIN\r\n250-REQUIRETLS\r\n250-DELIVERBY 240\r\n250-MT-PRIORITY STANAG4406\r\n250-FUTURERELEASE 604800 2026-12-31T00:00:00Z\r\n250-RRVS\r\n250-etrn\r\n250-LIMITS MAILMAX=10 RCPTMAX=50\r\n250 X-EXPS GSSAPI\r\n";
    let Parsed::Complete { value, .. } = parse_reply(wire).unwrap() else {
        panic!()
    };
    let caps = Capabilities::from_ehlo(&value);
    assert_eq!(caps.domain, "mx.example.org");
    assert_eq!(caps.size, Some(36700160));
    assert!(caps.pipelining && caps.eight_bit_mime && caps.binary_mime && caps.chunking);
    assert!(caps.dsn && caps.smtputf8 && caps.enhanced_status_codes && caps.starttls);
    assert!(caps.requiretls && caps.rrvs && caps.etrn);
    assert_eq!(
        caps.auth,
        [
            sasl_proto::Mechanism::Plain,
            sasl_proto::Mechanism::Login,
            sasl_proto::Mechanism::ScramSha256
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(caps.deliver_by, Some(240));
    assert_eq!(caps.mt_priority.as_deref(), Some("STANAG4406"));
    assert_eq!(
        caps.future_release,
        Some((604800, "2026-12-31T00:00:00Z".to_owned()))
    );
    let limits = caps.limits.clone().unwrap();
    assert_eq!(
        (limits.mailmax, limits.rcptmax, limits.rcptdomainmax),
        (Some(10), Some(50), None)
    );
    assert_eq!(caps.unknown, vec!["X-EXPS GSSAPI".to_owned()]);
    // Round trip through the encoder.
    let reply = caps.to_reply("").unwrap();
    assert_eq!(Capabilities::from_ehlo(&reply), caps);
}

#[test]
fn encoders_write_into_any_buf_mut_and_nothing_on_error() {
    let mut out = bytes::BytesMut::from(&b"before "[..]);
    // Refused by the octet check, and by the read-back check (a space in a HELO name).
    for c in [Command::Vrfy("a\0".into()), Command::Ehlo("a b".into())] {
        assert!(encode_command(&c, &mut out).is_err(), "{c:?}");
        assert_eq!(&out[..], b"before ", "{c:?}");
    }
    encode_command(&Command::Quit, &mut out).unwrap();
    assert_eq!(&out[..], b"before QUIT\r\n");

    // A parsed reply whose second line holds a NUL: refused whole, not cut after line one.
    let (reply, _) = match parse_reply(b"250-first\r\n250 a\0b\r\n").unwrap() {
        Parsed::Complete { value, consumed } => (value, consumed),
        Parsed::Incomplete => panic!(),
    };
    assert_eq!(
        encode_reply(&reply, &mut out),
        Err(EncodeError::ForbiddenOctet("reply text"))
    );
    assert_eq!(&out[..], b"before QUIT\r\n");
    let reply = Reply::new(ReplyCode::AUTH_CONTINUE, None, "").unwrap();
    encode_reply(&reply, &mut out).unwrap();
    assert_eq!(&out[..], b"before QUIT\r\n334\r\n");
}
