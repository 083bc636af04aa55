//! Round trips of the core values through the encoder and the lexer, and the lexer's
//! refusals.

use bytes::Bytes;
use proptest::prelude::*;

use super::*;
use crate::codec::encode::{Encoder, LiteralPolicy};
use crate::codec::message::split_message;
use crate::types::{Flag, SequenceSet, UidSet};
use proto_core::Parsed;

fn message(wire: &[u8]) -> Message {
    let input = Bytes::copy_from_slice(wire);
    match split_message(&input, u64::MAX, false) {
        Ok(Parsed::Complete { value, consumed }) => {
            assert_eq!(consumed, wire.len());
            value
        }
        other => panic!("{other:?}"),
    }
}

fn modes() -> impl Strategy<Value = Mode> {
    prop_oneof![
        Just(Mode::REV1),
        Just(Mode::REV2),
        Just(Mode::REV1.with_utf8_accept(true))
    ]
}

fn policies() -> impl Strategy<Value = LiteralPolicy> {
    prop_oneof![
        Just(LiteralPolicy::Sync),
        Just(LiteralPolicy::Plus),
        Just(LiteralPolicy::Minus),
        Just(LiteralPolicy::Response)
    ]
}

/// Octets with no NUL, biased towards the characters that change the wire form.
fn octets() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            4 => b'a'..=b'z',
            1 => prop::sample::select(&b" \"\\(){}%*]+~\r\n&"[..]),
            1 => 1u8..=255,
        ],
        0..40,
    )
}

fn round_trip<T: PartialEq + std::fmt::Debug>(
    mode: Mode,
    policy: LiteralPolicy,
    write: impl FnOnce(&mut Encoder),
    read: impl FnOnce(&mut Cursor<'_>) -> PResult<T>,
) -> T {
    let mut e = Encoder::new(mode, policy);
    e.raw(b"A1 X ");
    write(&mut e);
    let wire = e.finish().to_vec();
    let msg = message(&wire);
    let mut c = Cursor::new(&msg, ParseOptions::strict(mode));
    c.command_side = true;
    c.tag().unwrap();
    c.sp().unwrap();
    c.atom().unwrap();
    c.sp().unwrap();
    let value = read(&mut c).unwrap_or_else(|e| panic!("{e} in {wire:?}"));
    c.finish().unwrap();
    value
}

proptest! {
    #[test]
    fn astring_round_trip(bytes in octets(), mode in modes(), policy in policies()) {
        let value = AString::new(bytes).unwrap();
        let back = round_trip(mode, policy, |e| { e.astring(&value); }, |c| c.astring());
        prop_assert_eq!(back, value);
    }

    #[test]
    fn nstring_round_trip(bytes in prop::option::of(octets()), mode in modes(), policy in policies()) {
        let value = bytes.map(|b| IString::new(b).unwrap());
        let back = round_trip(mode, policy, |e| { e.nstring(value.as_ref()); }, |c| c.nstring());
        prop_assert_eq!(back, value);
    }

    #[test]
    fn mailbox_round_trip(name in "\\PC{0,12}", mode in modes()) {
        let value = Mailbox::new(&name).unwrap();
        let back = round_trip(mode, LiteralPolicy::Plus, |e| { e.mailbox(&value); }, |c| c.mailbox());
        prop_assert_eq!(back.name(), Some(if value.is_inbox() { "INBOX" } else { name.as_str() }));
        prop_assert_eq!(back, value);
    }

    #[test]
    fn sequence_sets_round_trip(ranges in prop::collection::vec((0u32..5, 1u32..=u32::MAX, 1u32..=u32::MAX), 1..8)) {
        let wire: Vec<String> = ranges
            .iter()
            .map(|&(kind, a, b)| match kind {
                0 => format!("{a}"),
                1 => format!("{a}:*"),
                2 => "*".to_string(),
                _ => format!("{a}:{b}"),
            })
            .collect();
        let wire = wire.join(",");
        let set = SequenceSet::parse(wire.as_bytes()).unwrap();
        prop_assert_eq!(set.to_string(), wire.clone());
        let uids = UidSet::parse(wire.as_bytes()).unwrap();
        prop_assert_eq!(uids.to_string(), wire);
    }

    #[test]
    fn flags_round_trip(name in "[A-Za-z$][A-Za-z0-9$_.-]{0,10}", system in any::<bool>()) {
        let wire = if system { format!("\\{name}") } else { name };
        let flag = Flag::from_wire(Bytes::from(wire.clone())).unwrap();
        prop_assert_eq!(flag.to_string().to_ascii_lowercase(), wire.to_ascii_lowercase());
    }
}

#[test]
fn the_cheapest_form_is_chosen() {
    let form = |mode: Mode, bytes: &[u8]| {
        let mut e = Encoder::new(mode, LiteralPolicy::Sync);
        e.astring(&AString::new(Bytes::copy_from_slice(bytes)).unwrap());
        e.finish().to_vec()
    };
    assert_eq!(form(Mode::REV1, b"fred"), b"fred\r\n");
    assert_eq!(form(Mode::REV1, b"a]"), b"a]\r\n");
    assert_eq!(form(Mode::REV1, b""), b"\"\"\r\n");
    assert_eq!(form(Mode::REV1, b"a b\"c"), b"\"a b\\\"c\"\r\n");
    assert_eq!(
        form(Mode::REV1, "\u{e9}".as_bytes()),
        b"{2}\r\n\xc3\xa9\r\n"
    );
    assert_eq!(form(Mode::REV2, "\u{e9}".as_bytes()), b"\"\xc3\xa9\"\r\n");
    assert_eq!(form(Mode::REV2, b"\xe9"), b"{1}\r\n\xe9\r\n");
    assert_eq!(form(Mode::REV1, b"a\r\nb"), b"{4}\r\na\r\nb\r\n");
}

#[test]
fn literal_policies() {
    let encode = |policy, len: usize| {
        let mut e = Encoder::new(Mode::REV1, policy);
        e.raw(b"A1 APPEND x ");
        e.literal(&crate::types::Literal::new(vec![b'x'; len]).unwrap());
        e.finish()
    };
    let sync = encode(LiteralPolicy::Sync, 3);
    assert!(sync.waits());
    assert_eq!(sync.to_vec(), b"A1 APPEND x {3}\r\nxxx\r\n");
    assert_eq!(
        encode(LiteralPolicy::Plus, 3).to_vec(),
        b"A1 APPEND x {3+}\r\nxxx\r\n"
    );
    assert!(!encode(LiteralPolicy::Minus, 4096).waits());
    assert!(encode(LiteralPolicy::Minus, 4097).waits());
    assert!(!encode(LiteralPolicy::Response, 5000).waits());
    let binary = crate::types::Literal::binary(&b"\0"[..]);
    let mut e = Encoder::new(Mode::REV1, LiteralPolicy::Response);
    e.literal(&binary);
    assert_eq!(e.finish().to_vec(), b"~{1}\r\n\0\r\n");
}

fn cursor_err(
    wire: &[u8],
    opts: ParseOptions,
    read: impl FnOnce(&mut Cursor<'_>) -> PResult<()>,
) -> ParseError {
    let msg = message(wire);
    let mut c = Cursor::new(&msg, opts);
    let e = c.tag().and_then(|_| c.sp()).and_then(|_| read(&mut c));
    e.unwrap_err()
}

#[test]
fn lexer_refusals_carry_offset_and_tag() {
    let strict = ParseOptions::strict(Mode::REV1);
    let e = cursor_err(b"A7 \"a\0b\"\r\n", strict, |c| c.astring().map(drop));
    assert_eq!(e.kind.fault, Fault::Nul);
    assert_eq!(e.kind.tag.as_ref().map(Tag::as_str), Some("A7"));
    assert_eq!(e.offset, 5);
    let e = cursor_err(b"A7 \"caf\xc3\xa9\"\r\n", strict, |c| c.astring().map(drop));
    assert_eq!(e.kind.fault, Fault::Expected("7-bit text"));
    let e = cursor_err(b"A7 {3}\r\na\0b\r\n", strict, |c| c.astring().map(drop));
    assert_eq!(e.kind.fault, Fault::Nul);
    let e = cursor_err(b"A7 4294967296\r\n", strict, |c| c.number().map(drop));
    assert_eq!((e.kind.fault, e.offset), (Fault::NumberRange, 3));
    let e = cursor_err(b"A7 0\r\n", strict, |c| c.nz_number().map(drop));
    assert_eq!(e.kind.fault, Fault::Zero);
    let e = cursor_err(b"A7 {3+}\r\nabc\r\n", strict, |c| c.astring().map(drop));
    assert_eq!(e.kind.fault, Fault::Expected("synchronising literal"));
    // Lenient: 8-bit quoted text and non-synchronising literals in responses.
    let lenient = ParseOptions::lenient(Mode::REV1);
    let msg = message(b"* \"caf\xe9\" {3+}\r\nabc\r\n");
    let mut c = Cursor::new(&msg, lenient);
    assert_eq!(&c.take1(|b| b == b'*', "*").unwrap()[..], b"*");
    c.sp().unwrap();
    assert_eq!(c.astring().unwrap().as_bytes(), b"caf\xe9");
    c.sp().unwrap();
    assert_eq!(c.astring().unwrap().as_bytes(), b"abc");
    c.finish().unwrap();
}

#[test]
fn nesting_is_limited_to_64() {
    fn nest(c: &mut Cursor<'_>) -> PResult<usize> {
        if c.peek() == Some(b'(') {
            let inner = c.list(true, nest)?;
            Ok(1 + inner.into_iter().max().unwrap_or(0))
        } else {
            c.atom().map(|_| 0)
        }
    }
    for (depth, ok) in [(MAX_DEPTH, true), (MAX_DEPTH + 1, false)] {
        let wire = format!("A1 {}x{}\r\n", "(".repeat(depth), ")".repeat(depth));
        let msg = message(wire.as_bytes());
        let mut c = Cursor::new(&msg, ParseOptions::strict(Mode::REV1));
        c.tag().unwrap();
        c.sp().unwrap();
        let got = nest(&mut c);
        assert_eq!(got.is_ok(), ok, "depth {depth}");
        if let Ok(d) = got {
            assert_eq!(d, depth);
        } else {
            assert_eq!(got.unwrap_err().kind.fault, Fault::TooDeep(MAX_DEPTH));
        }
    }
}

/// The bounds the cursor and the encoder compute (audited from `unwrap_or_default`): each
/// value read or written exactly, at the edges where an off-by-one would show.
#[test]
fn token_bounds_are_exact() {
    let strict = ParseOptions::strict(Mode::REV1);
    // Quoted strings: plain (one slice), an escape after a plain prefix, an escape first and
    // last, empty; each followed by more octets that must not be taken.
    let msg = message(b"A1 \"abc\" \"ab\\\"c\" \"\\\\x\\\"\" \"\" 9223372036854775807 7\r\n");
    let mut c = Cursor::new(&msg, strict);
    assert_eq!(c.tag().unwrap().as_str(), "A1");
    for want in [&b"abc"[..], b"ab\"c", b"\\x\"", b""] {
        c.sp().unwrap();
        assert_eq!(c.quoted().unwrap(), want);
    }
    c.sp().unwrap();
    assert_eq!(c.number64().unwrap(), i64::MAX as u64);
    c.sp().unwrap();
    assert_eq!(c.word(|b| b.is_ascii_digit(), "digit").unwrap(), b"7");
    c.finish().unwrap();
    assert_eq!(c.rest(), b"");
    let e = cursor_err(b"A1 9223372036854775808\r\n", strict, |c| {
        c.number64().map(drop)
    });
    assert_eq!((e.kind.fault, e.offset), (Fault::NumberRange, 3));
    // Numbers written: one digit, ten, the largest of 32 and 64 bits.
    for n in [0u64, 7, 10, 4_294_967_295, u64::MAX] {
        let mut e = Encoder::new(Mode::REV1, LiteralPolicy::Sync);
        e.number(n);
        assert_eq!(e.finish().to_vec(), format!("{n}\r\n").into_bytes());
    }
}

/// No NUL ever reaches the wire inside a literal (only a `literal8` may carry one): a
/// mailbox name kept raw with a NUL is refused by the encoder, in a command and in a
/// response, and nothing is written for it.
#[test]
fn a_nul_never_reaches_a_literal() {
    use crate::codec::{encode_command, encode_response};
    use crate::error::EncodeError;
    use crate::types::{Command, CommandBody, Data, ListItem, Response};
    let name = Mailbox::from_wire(Bytes::from_static(b"a\0b"), Mode::REV1);
    for policy in [LiteralPolicy::Sync, LiteralPolicy::Plus] {
        let mut e = Encoder::new(Mode::REV1, policy);
        e.raw(b"A1 SELECT ").mailbox(&name);
        assert_eq!(e.finish_checked(), Err(EncodeError::Nul("string")));
        let mut e = Encoder::new(Mode::REV2, policy);
        e.raw(b"A1 SELECT ").mailbox(&name);
        let written = e.finish().to_vec();
        assert_eq!(written, b"A1 SELECT \r\n");
    }
    let Command { tag, body } = match crate::codec::parse_command(
        &Bytes::from_static(b"A1 SELECT x\r\n"),
        ParseOptions::strict(Mode::REV1),
    ) {
        Ok(Parsed::Complete { value, .. }) => value,
        other => panic!("{other:?}"),
    };
    let CommandBody::Select { params, .. } = body else {
        panic!()
    };
    let select = Command {
        tag,
        body: CommandBody::Select {
            mailbox: name.clone(),
            params,
        },
    };
    for policy in [
        LiteralPolicy::Sync,
        LiteralPolicy::Plus,
        LiteralPolicy::Minus,
    ] {
        assert_eq!(
            encode_command(&select, Mode::REV1, policy),
            Err(EncodeError::Nul("string"))
        );
    }
    let list = Response::Data(Data::List(ListItem {
        attributes: Vec::new(),
        delimiter: Some(b'/'),
        mailbox: name,
        extended: Vec::new(),
    }));
    let mut out = b"kept".to_vec();
    assert_eq!(
        encode_response(&list, Mode::REV1, &mut out),
        Err(EncodeError::Nul("string"))
    );
    // Nothing was written.
    assert_eq!(out, b"kept");
    // A literal8 carries it.
    let mut e = Encoder::new(Mode::REV1, LiteralPolicy::Response);
    e.literal(&crate::types::Literal::binary(&b"a\0b"[..]));
    assert_eq!(e.finish_checked().unwrap().to_vec(), b"~{3}\r\na\0b\r\n");
}
