#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

//! proptest round trips: encode then parse gives the value back, for commands and for every
//! kind of response; injection attempts are refused by the encoders; arbitrary bytes never
//! panic the parsers.

use std::borrow::Cow;

use pop3_proto::{
    Capabilities, Capability, Command, ListEntry, MessageNumber, Response, ResponseCode,
    StatusLine, UidlEntry,
};
use pop3_proto::{Expire, Language};
use pop3_proto::{
    Parsed, ResponseContext, encode_command, encode_response, parse_command, parse_response,
};
use proptest::prelude::*;
use sasl_proto::Mechanism;

fn msg() -> impl Strategy<Value = MessageNumber> {
    (1u32..=u32::MAX).prop_map(|n| MessageNumber::new(n).unwrap())
}

fn word() -> impl Strategy<Value = String> {
    // Printable ASCII without space, plus some non-ASCII letters (RFC 6856 user names).
    "[!-~äöüé漢]{1,40}"
}

fn mechanism() -> impl Strategy<Value = Mechanism> {
    prop_oneof![
        Just(Mechanism::Plain),
        Just(Mechanism::Login),
        Just(Mechanism::CramMd5),
        Just(Mechanism::XOAuth2),
        Just(Mechanism::OAuthBearer),
        Just(Mechanism::ScramSha1),
        Just(Mechanism::ScramSha256),
        Just(Mechanism::ScramSha256Plus),
        Just(Mechanism::External),
        Just(Mechanism::Anonymous),
        "X-[A-Z0-9_]{1,18}".prop_map(Mechanism::Other),
    ]
}

fn command() -> impl Strategy<Value = Command<'static>> {
    prop_oneof![
        word().prop_map(|w| Command::User(w.into())),
        // PASS: the rest of the line, spaces anywhere.
        "[ -~é]{1,100}".prop_map(Command::pass),
        (word(), "[0-9a-f]{32}").prop_map(|(n, d)| Command::apop(n, d)),
        Just(Command::Stat),
        proptest::option::of(msg()).prop_map(Command::List),
        msg().prop_map(Command::Retr),
        msg().prop_map(Command::Dele),
        Just(Command::Noop),
        Just(Command::Rset),
        Just(Command::Quit),
        (msg(), any::<u32>()).prop_map(|(msg, lines)| Command::Top { msg, lines }),
        proptest::option::of(msg()).prop_map(Command::Uidl),
        Just(Command::Capa),
        Just(Command::Stls),
        Just(Command::Auth(None)),
        (
            mechanism(),
            proptest::option::of("[A-Za-z0-9+/]{0,100}={0,2}|=")
        )
            .prop_filter("non-empty", |(_, ir)| ir.as_deref() != Some(""))
            .prop_map(|(m, ir)| Command::auth(m, ir.map(Cow::Owned))),
        Just(Command::Utf8),
        proptest::option::of("[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8}){0,2}|\\*")
            .prop_map(|t| Command::Lang(t.map(Cow::Owned))),
        Just(Command::Last),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn commands_round_trip(command in command()) {
        let mut wire = Vec::new();
        encode_command(&command, &mut wire).unwrap();
        let parsed = parse_command(&wire).unwrap();
        prop_assert_eq!(parsed, Parsed::Complete { value: command, consumed: wire.len() });
    }

    #[test]
    fn injection_in_arguments_is_refused(prefix in "[a-z]{1,10}", bad in prop_oneof![Just("\r"), Just("\n"), Just("\0"), Just("\r\nDELE 1")], suffix in "[a-z]{0,10}") {
        let arg = format!("{prefix}{bad}{suffix}");
        let mut wire = Vec::new();
        prop_assert!(encode_command(&Command::pass(arg.as_str()), &mut wire).is_err());
        prop_assert!(encode_command(&Command::user(arg.as_str()), &mut wire).is_err());
        prop_assert!(encode_command(&Command::apop(arg.as_str(), "d"), &mut wire).is_err());
        prop_assert!(encode_command(&Command::Lang(Some(arg.as_str().into())), &mut wire).is_err());
        prop_assert!(encode_response(&Response::Status(StatusLine::err(arg.as_bytes())), &mut wire).is_err());
        prop_assert!(wire.is_empty());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        not_internal(&bytes);
    }

    /// Valid commands and responses with one octet changed or inserted, or cut short, reach
    /// the deep paths (listings, response codes, capability arguments) that random octets do
    /// not: no input may meet a bound the parser computed out of range.
    #[test]
    fn no_input_reaches_an_internal_fault(
        command in command(),
        (response, _) in response(),
        at in any::<usize>(),
        byte in any::<u8>(),
        how in 0..3u8,
    ) {
        let mut line = Vec::new();
        encode_command(&command, &mut line).unwrap();
        let mut answer = Vec::new();
        encode_response(&response, &mut answer).unwrap();
        for input in [line, answer] {
            not_internal(&proto_core::testing::altered(input, at, byte, how));
        }
    }

    #[test]
    fn responses_round_trip((response, context) in response()) {
        let mut wire = Vec::new();
        encode_response(&response, &mut wire).unwrap();
        let parsed = parse_response(context, &wire).unwrap();
        prop_assert_eq!(parsed, Parsed::Complete { value: response, consumed: wire.len() });
    }
}

/// Parses `input` as a command and as a response in every context: never a panic, and no
/// error is an internal fault.
fn not_internal(input: &[u8]) {
    let errors = std::iter::once(parse_command(input).err()).chain(
        contexts()
            .into_iter()
            .map(|c| parse_response(c, input).err()),
    );
    for e in errors.flatten() {
        assert_ne!(e.kind, pop3_proto::ParseErrorKind::Internal, "{e}");
    }
}

fn contexts() -> Vec<ResponseContext> {
    let one = MessageNumber::new(1);
    vec![
        ResponseContext::Greeting,
        ResponseContext::Status,
        ResponseContext::Stat,
        ResponseContext::List(None),
        ResponseContext::List(one),
        ResponseContext::Uidl(None),
        ResponseContext::Uidl(one),
        ResponseContext::Capa,
        ResponseContext::LangList,
        ResponseContext::AuthList,
        ResponseContext::Body,
        ResponseContext::Auth,
    ]
}

fn code() -> impl Strategy<Value = ResponseCode<'static>> {
    prop_oneof![
        Just(ResponseCode::InUse),
        Just(ResponseCode::LoginDelay),
        Just(ResponseCode::SysTemp),
        Just(ResponseCode::SysPerm),
        Just(ResponseCode::Auth),
        Just(ResponseCode::Utf8),
        "[!-.0-\\\\^-~]{1,10}(/[!-.0-\\\\^-~]{1,10}){0,2}"
            .prop_filter("not a known code", |raw| {
                matches!(ResponseCode::from_raw(raw), ResponseCode::Other(_))
            })
            .prop_map(|raw| ResponseCode::Other(raw.into())),
    ]
}

fn text() -> impl Strategy<Value = Vec<u8>> {
    // Any octets but CR, LF and NUL, including 8-bit ones.
    proptest::collection::vec(
        any::<u8>().prop_filter("no CR LF NUL", |b| !matches!(b, b'\r' | b'\n' | 0)),
        0..100,
    )
}

fn status_line(ok: bool) -> impl Strategy<Value = StatusLine<'static>> {
    (proptest::option::of(code()), text())
        .prop_filter("a text starting with [ needs a code", |(code, text)| {
            code.is_some() || text.first() != Some(&b'[')
        })
        .prop_map(move |(code, text)| {
            let line = if ok {
                StatusLine::ok(text)
            } else {
                StatusLine::err(text)
            };
            match code {
                Some(code) => line.with_code(code),
                None => line,
            }
        })
}

fn ok_line() -> impl Strategy<Value = StatusLine<'static>> {
    status_line(true)
}

fn capability() -> impl Strategy<Value = Capability<'static>> {
    prop_oneof![
        Just(Capability::Top),
        Just(Capability::User),
        Just(Capability::Uidl),
        Just(Capability::Stls),
        Just(Capability::Lang),
        Just(Capability::Pipelining),
        Just(Capability::RespCodes),
        Just(Capability::AuthRespCode),
        any::<bool>().prop_map(|user| Capability::Utf8 { user }),
        proptest::collection::vec(mechanism(), 0..5).prop_map(Capability::Sasl),
        (any::<u32>(), any::<bool>())
            .prop_map(|(seconds, per_user)| Capability::LoginDelay { seconds, per_user }),
        (
            prop_oneof![any::<u32>().prop_map(Expire::Days), Just(Expire::Never)],
            any::<bool>()
        )
            .prop_map(|(expire, per_user)| Capability::Expire { expire, per_user }),
        "[ -~é]{1,60}".prop_map(|t| Capability::Implementation(t.into())),
        "X-[A-Z0-9]{1,8}( [a-z0-9]{1,5}){0,3}".prop_map(|t| Capability::Unknown(t.into())),
    ]
}

fn uidl_entry() -> impl Strategy<Value = UidlEntry<'static>> {
    (msg(), "[!-~]{1,70}").prop_map(|(number, uid)| UidlEntry {
        number,
        uid: uid.into(),
    })
}

fn list_entry() -> impl Strategy<Value = ListEntry> {
    (msg(), any::<u64>()).prop_map(|(number, size)| ListEntry { number, size })
}

fn response() -> impl Strategy<Value = (Response<'static>, ResponseContext)> {
    prop_oneof![
        prop_oneof![status_line(true), status_line(false)]
            .prop_map(|line| (Response::Status(line), ResponseContext::Status)),
        status_line(false).prop_map(|line| (Response::Status(line), ResponseContext::Capa)),
        (ok_line(), any::<u32>(), any::<u64>())
            .prop_filter("no code, text not starting with [", |(l, _, _)| l
                .code
                .is_none())
            .prop_map(|(line, count, size)| (
                Response::Stat { line, count, size },
                ResponseContext::Stat
            )),
        (ok_line(), list_entry())
            .prop_filter("no code", |(l, _)| l.code.is_none())
            .prop_map(|(line, entry)| {
                let number = entry.number;
                (
                    Response::ListOne { line, entry },
                    ResponseContext::List(Some(number)),
                )
            }),
        uidl_entry().prop_map(|entry| {
            let number = entry.number;
            (
                Response::UidlOne {
                    line: StatusLine::ok(Vec::new()),
                    entry,
                },
                ResponseContext::Uidl(Some(number)),
            )
        }),
        (ok_line(), proptest::collection::vec(list_entry(), 0..20)).prop_map(|(line, entries)| (
            Response::List { line, entries },
            ResponseContext::List(None)
        )),
        (ok_line(), proptest::collection::vec(uidl_entry(), 0..20)).prop_map(|(line, entries)| (
            Response::Uidl { line, entries },
            ResponseContext::Uidl(None)
        )),
        (ok_line(), proptest::collection::vec(capability(), 0..20)).prop_map(|(line, caps)| (
            Response::Capa {
                line,
                capabilities: Capabilities(caps)
            },
            ResponseContext::Capa
        )),
        (
            ok_line(),
            proptest::collection::vec(
                (
                    "[a-z]{1,3}(-[a-z0-9]{1,8})?|\\.[a-z]{1,3}",
                    proptest::option::of("[ -~é漢]{0,40}")
                )
                    .prop_map(|(tag, description)| Language {
                        tag: tag.into(),
                        description: description.map(Cow::Owned)
                    }),
                0..10
            )
        )
            .prop_map(|(line, languages)| (
                Response::Languages { line, languages },
                ResponseContext::LangList
            )),
        (ok_line(), proptest::collection::vec(mechanism(), 0..8)).prop_map(|(line, mechanisms)| (
            Response::Mechanisms { line, mechanisms },
            ResponseContext::AuthList
        )),
        ok_line().prop_map(|line| (Response::BodyFollows(line), ResponseContext::Body)),
        "([A-Za-z0-9+/]{4}){0,30}".prop_map(|b| (
            Response::Continuation(Cow::Owned(b.into_bytes())),
            ResponseContext::Auth
        )),
    ]
}
