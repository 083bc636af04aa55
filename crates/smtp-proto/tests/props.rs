//! proptest round trips: encode then parse gives the value back, for every command and for
//! replies; arbitrary input never panics the parsers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::borrow::Cow;

use proptest::prelude::*;
use smtp_proto::*;
use smtp_proto::{Capabilities, Orcpt, xtext_encode};
use smtp_proto::{encode_command, encode_reply, parse_command_line, parse_reply_with};

fn label() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", "[a-zé]{1,6}",]
}

fn domain() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(label(), 1..4).prop_map(|v| v.join(".")),
        1 => (0u8..=255, 0u8..=255, 0u8..=255, 0u8..=255).prop_map(|(a, b, c, d)| format!("[{a}.{b}.{c}.{d}]")),
        1 => any::<[u16; 8]>().prop_map(|s| format!("[IPv6:{}]", std::net::Ipv6Addr::from(s))),
    ]
}

fn local() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec("[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,8}", 1..3).prop_map(|v| v.join(".")),
        1 => r#"[ a-z<>@,;:\[\]."\\]{0,10}"#.prop_map(|s| {
            let mut q = String::from("\"");
            for c in s.chars() {
                if c == '"' || c == '\\' { q.push('\\'); }
                q.push(c);
            }
            q.push('"');
            q
        }),
        1 => "[a-z用户]{1,5}",
    ]
}

fn mailbox_text() -> impl Strategy<Value = String> {
    (local(), domain()).prop_map(|(l, d)| format!("{l}@{d}"))
}

fn xtext() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<u8>(), 1..12).prop_map(|b| xtext_encode(&b))
}

fn mail_params() -> impl Strategy<Value = MailParameters<'static>> {
    (
        (
            prop::option::of(any::<u64>()),
            prop::option::of(prop_oneof![
                Just(Body::SevenBit),
                Just(Body::EightBitMime),
                Just(Body::BinaryMime)
            ]),
            any::<bool>(),
            prop::option::of(prop_oneof![Just(Ret::Full), Just(Ret::Hdrs)]),
            prop::option::of(xtext()),
            prop::option::of(prop_oneof![Just("<>".to_owned()), xtext()]),
        ),
        (
            any::<bool>(),
            prop::option::of(-9i8..=9),
            prop::option::of((1i64..999_999_999, any::<bool>(), any::<bool>())),
            prop::option::of(0u64..999_999_999),
            prop::option::of("[0-9T:Z.-]{1,25}"),
            prop::collection::vec(("X-[A-Z0-9]{1,6}", prop::option::of("[!-<>-~]{1,8}")), 0..3),
        ),
    )
        .prop_map(
            |(
                (size, body, smtputf8, ret, envid, auth),
                (requiretls, mt, by, hold_for, hold_until, extra),
            )| {
                let mut p = MailParameters::new();
                p.size = size;
                p.body = body;
                p.smtputf8 = smtputf8;
                p.ret = ret;
                p.envid = envid.map(Cow::Owned);
                p.auth = auth.map(Cow::Owned);
                p.requiretls = requiretls;
                p.mt_priority = mt;
                p.by = by.map(|(seconds, r, trace)| DeliverBy {
                    seconds,
                    return_on_failure: r,
                    trace,
                });
                p.hold_for = hold_for;
                p.hold_until = hold_until.map(Cow::Owned);
                let extra: Vec<String> = extra
                    .into_iter()
                    .map(|(k, v)| match v {
                        Some(v) => format!("{k}={v}"),
                        None => k,
                    })
                    .collect();
                p.extra = Cow::Owned(extra.join(" "));
                p
            },
        )
}

fn rcpt_params() -> impl Strategy<Value = RcptParameters<'static>> {
    (
        prop::option::of((any::<bool>(), any::<bool>(), any::<bool>())),
        prop::option::of(mailbox_text()),
        prop::option::of("[0-9T:Z-]{1,20}(;[CR])?"),
    )
        .prop_map(|(notify, orcpt, rrvs)| {
            let mut p = RcptParameters::new();
            p.notify = notify.map(|(success, failure, delay)| Notify {
                success,
                failure,
                delay,
            });
            p.orcpt = orcpt.map(|a| Orcpt::rfc822(&a));
            p.rrvs = rrvs.map(Cow::Owned);
            p
        })
}

fn command() -> impl Strategy<Value = Command<'static>> {
    let text = "[!-~][ -~]{0,20}[!-~]|[!-~]";
    prop_oneof![
        "[!-~]{1,30}".prop_map(|d| Command::Ehlo(d.into())),
        "[!-~]{1,30}".prop_map(|d| Command::Helo(d.into())),
        "[!-~]{1,30}".prop_map(|d| Command::Lhlo(d.into())),
        (prop::option::of(mailbox_text()), mail_params()).prop_map(|(m, params)| {
            let from = match m {
                None => ReversePath::Null,
                Some(m) => ReversePath::Mailbox(Mailbox::parse(&m).unwrap().into_owned()),
            };
            Command::Mail { from, params }
        }),
        (prop::option::of(mailbox_text()), rcpt_params()).prop_map(|(m, params)| {
            let to = match m {
                None => ForwardPath::Postmaster,
                Some(m) => ForwardPath::Mailbox(Mailbox::parse(&m).unwrap().into_owned()),
            };
            Command::Rcpt { to, params }
        }),
        Just(Command::Data),
        (any::<u64>(), any::<bool>()).prop_map(|(size, last)| Command::Bdat { size, last }),
        Just(Command::Rset),
        text.prop_map(|s| Command::Vrfy(s.into())),
        text.prop_map(|s| Command::Expn(s.into())),
        prop::option::of(text).prop_map(|s| Command::Help(s.map(Into::into))),
        prop::option::of(text).prop_map(|s| Command::Noop(s.map(Into::into))),
        Just(Command::Quit),
        Just(Command::StartTls),
        (
            "[A-Z0-9_-]{1,20}",
            prop::option::of(prop_oneof![
                Just("=".to_owned()),
                "[A-Za-z0-9+/]{4,40}={0,2}"
            ])
        )
            .prop_map(|(m, ir)| Command::Auth {
                mechanism: m.into(),
                initial_response: ir.map(Into::into)
            }),
        "[!-~]{1,20}".prop_map(|s| Command::Etrn(s.into())),
    ]
}

fn lenient() -> Limits {
    Limits::default()
        .with_max_path(10_000)
        .with_max_local_part(10_000)
        .with_max_domain(10_000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn command_round_trip(c in command()) {
        let mut out = Vec::new();
        encode_command(&c, &mut out).unwrap();
        prop_assert!(out.ends_with(b"\r\n"));
        let back = parse_command_line(&out[..out.len() - 2], &lenient()).unwrap();
        prop_assert_eq!(back, c);
    }

    #[test]
    fn injected_line_ends_are_refused(c in command(), at in any::<prop::sample::Index>(), bad in prop_oneof![Just('\r'), Just('\n'), Just('\0')]) {
        let mut tampered = c.clone();
        let insert = |s: &mut Cow<'static, str>| {
            let mut owned = s.to_string();
            let mut i = at.index(owned.len() + 1);
            while !owned.is_char_boundary(i) { i -= 1; }
            owned.insert(i, bad);
            *s = Cow::Owned(owned);
        };
        match &mut tampered {
            Command::Ehlo(s) | Command::Helo(s) | Command::Lhlo(s) | Command::Vrfy(s)
            | Command::Expn(s) | Command::Etrn(s) => insert(s),
            Command::Noop(Some(s)) | Command::Help(Some(s)) => insert(s),
            Command::Auth { mechanism, .. } => insert(mechanism),
            Command::Mail { params, .. } => insert(&mut params.extra),
            _ => return Ok(()),
        }
        let mut out = Vec::new();
        prop_assert!(encode_command(&tampered, &mut out).is_err());
        prop_assert!(out.is_empty());
    }

    #[test]
    fn reply_round_trip(
        code in 200u16..=599,
        enhanced in prop::option::of((0u16..=999, 0u16..=999)),
        lines in prop::collection::vec("[ -~é]{0,40}", 1..6),
    ) {
        let code = ReplyCode::new(code).unwrap();
        let enhanced = if code.class() == 3 { None } else {
            enhanced.and_then(|(s, d)| EnhancedStatusCode::new(code.class(), s, d))
        };
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let Ok(reply) = Reply::multiline(code, enhanced, &refs) else {
            // Only a first line that looks like an enhanced code is refused.
            prop_assert!(enhanced.is_none());
            return Ok(());
        };
        let mut out = Vec::new();
        encode_reply(&reply, &mut out).unwrap();
        let Parsed::Complete { value, consumed } = parse_reply_with(&out, &Limits::default().with_max_reply_line(10_000)).unwrap() else { panic!() };
        prop_assert_eq!(consumed, out.len());
        prop_assert_eq!(&value, &reply);
        let texts: Vec<Vec<u8>> = value.texts().map(<[u8]>::to_vec).collect();
        let expected: Vec<Vec<u8>> = lines.iter().map(|l| l.as_bytes().to_vec()).collect();
        if enhanced.is_some() { prop_assert_eq!(texts, expected); }
    }

    #[test]
    fn capabilities_round_trip(
        size in prop::option::of(any::<u64>()),
        flags in any::<[bool; 10]>(),
        by in prop::option::of(any::<u64>()),
    ) {
        let mut caps = Capabilities::default();
        caps.domain = "mx.example".into();
        caps.size = size;
        caps.pipelining = flags[0]; caps.eight_bit_mime = flags[1]; caps.binary_mime = flags[2];
        caps.chunking = flags[3]; caps.dsn = flags[4]; caps.smtputf8 = flags[5];
        caps.enhanced_status_codes = flags[6]; caps.starttls = flags[7]; caps.requiretls = flags[8];
        caps.rrvs = flags[9];
        caps.deliver_by = by;
        if flags[0] { caps.auth = [sasl_proto::Mechanism::Plain, sasl_proto::Mechanism::ScramSha256].into_iter().collect(); }
        let reply = caps.to_reply("hi").unwrap();
        let mut out = Vec::new();
        encode_reply(&reply, &mut out).unwrap();
        let Parsed::Complete { value, .. } = parse_reply(&out).unwrap() else { panic!() };
        prop_assert_eq!(Capabilities::from_ehlo(&value), caps);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_command(&data);
        let _ = parse_reply(&data);
        let _ = parse_command_line(&data, &Limits::default());
        not_internal(&data);
    }

    /// Valid commands and EHLO replies with one octet changed or inserted, or cut short, reach
    /// the deep paths (parameters, paths, capability arguments) that random octets do not: no
    /// input may meet a bound the parser computed out of range.
    #[test]
    fn no_input_reaches_an_internal_fault(
        c in command(),
        caps in any::<u16>(),
        at in any::<usize>(),
        byte in any::<u8>(),
        how in 0..3u8,
    ) {
        let mut line = Vec::new();
        encode_command(&c, &mut line).unwrap();
        let mut ehlo = b"250-mx.example.com hi\r\n250-SIZE 1000\r\n250-AUTH PLAIN\r\n".to_vec();
        ehlo.extend_from_slice(if caps % 2 == 0 { &b"250-LIMITS RCPTMAX=5\r\n"[..] } else { &b"250-MT-PRIORITY=MIXER\r\n"[..] });
        ehlo.extend_from_slice(b"250 8BITMIME\r\n");
        for input in [line, ehlo] {
            not_internal(&proto_core::testing::altered(input, at, byte, how));
        }
    }
}

/// Parses `input` every way the codec can and checks that no error is an internal fault.
fn not_internal(input: &[u8]) {
    let kinds = [
        parse_command(input).err(),
        parse_reply(input).err(),
        parse_command_line(input, &Limits::default()).err(),
    ];
    for e in kinds.into_iter().flatten() {
        assert_ne!(e.kind, ParseErrorKind::Internal, "{e}");
    }
    if let Ok(Parsed::Complete { value, .. }) = parse_reply(input) {
        let _ = Capabilities::from_ehlo(&value);
    }
}
