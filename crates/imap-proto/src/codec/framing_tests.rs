//! The framer: inline and streamed literals, the server's literal decision, limits at N and
//! N+1, and the same events at any split of the input.

use proptest::prelude::*;

use super::*;

fn tag(t: &str) -> Option<Tag> {
    Some(Tag::new(Bytes::copy_from_slice(t.as_bytes())).unwrap())
}

/// Events for `input` fed at `cuts`, with chunks of one literal merged, accepting every
/// literal request.
fn events(framer: &mut MessageFramer, input: &[u8], cuts: &[usize]) -> Vec<FrameEvent> {
    let mut buf = BytesMut::new();
    let mut out: Vec<FrameEvent> = Vec::new();
    let mut last = 0;
    for &cut in cuts.iter().chain([input.len()].iter()) {
        let cut = cut.clamp(last, input.len());
        buf.extend_from_slice(&input[last..cut]);
        last = cut;
        while let Some(event) = framer.poll(&mut buf) {
            if matches!(event, FrameEvent::LiteralRequest { .. }) {
                framer.accept_literal();
            }
            if let (
                Some(FrameEvent::LiteralChunk { data, remaining }),
                FrameEvent::LiteralChunk {
                    data: more,
                    remaining: r,
                },
            ) = (out.last_mut(), &event)
                && *remaining > 0
            {
                let mut joined = data.to_vec();
                joined.extend_from_slice(more);
                *data = Bytes::from(joined);
                *remaining = *r;
                continue;
            }
            out.push(event);
        }
    }
    out
}

fn msg(first: &'static [u8], rest: Vec<(LiteralData, &'static [u8], usize)>) -> Message {
    Message {
        first: Bytes::from_static(first),
        rest: rest
            .into_iter()
            .map(|(literal, line, offset)| Continuation {
                literal,
                line: Bytes::from_static(line),
                offset,
            })
            .collect(),
    }
}

fn inline(data: &'static [u8]) -> LiteralData {
    LiteralData::Inline(Bytes::from_static(data))
}

#[test]
fn responses_with_inline_and_streamed_literals() {
    let limits = Limits::CLIENT.with_max_inline_literal(4);
    let mut framer = MessageFramer::new(Side::Client, limits);
    let input = b"* 1 FETCH (BODY[] {3}\r\nabc)\r\n* 2 FETCH (BODY[] {6}\r\nabcdef)\r\n* OK x\n";
    let got = events(&mut framer, input, &[]);
    let head = msg(b"* 2 FETCH (BODY[] {6}", vec![]);
    assert_eq!(
        got,
        vec![
            FrameEvent::Message(msg(
                b"* 1 FETCH (BODY[] {3}",
                vec![(inline(b"abc"), b")", 26)]
            )),
            FrameEvent::LiteralStart {
                head,
                size: 6,
                binary: false
            },
            FrameEvent::LiteralChunk {
                data: Bytes::from_static(b"abcdef"),
                remaining: 0
            },
            FrameEvent::Message(msg(
                b"* 2 FETCH (BODY[] {6}",
                vec![(LiteralData::Streamed { size: 6 }, b")", 29)]
            )),
            FrameEvent::Message(msg(b"* OK x", vec![])),
        ]
    );
}

#[test]
fn streamed_chunks_are_split_off_the_input_not_copied() {
    let limits = Limits::CLIENT.with_max_inline_literal(16);
    let mut framer = MessageFramer::new(Side::Client, limits);
    let mut buf = BytesMut::with_capacity(4096);
    buf.extend_from_slice(b"* 1 FETCH (BODY[] {1000}\r\n");
    buf.extend_from_slice(&[b'x'; 600]);
    let base = buf.as_ptr() as usize;
    assert!(matches!(
        framer.poll(&mut buf),
        Some(FrameEvent::LiteralStart { size: 1000, .. })
    ));
    let Some(FrameEvent::LiteralChunk { data, remaining }) = framer.poll(&mut buf) else {
        panic!()
    };
    assert_eq!((data.len(), remaining), (600, 400));
    // The chunk's octets are where they were read, 26 octets into the buffer.
    assert_eq!(data.as_ptr() as usize, base + 26);
    assert_eq!(framer.poll(&mut buf), None);
}

#[test]
fn the_server_hears_of_a_synchronising_literal_before_its_data() {
    let mut framer = MessageFramer::new(Side::Server, Limits::SERVER);
    let mut buf = BytesMut::from(&b"A1 LOGIN {4}\r\n"[..]);
    assert_eq!(
        framer.poll(&mut buf),
        Some(FrameEvent::LiteralRequest {
            tag: tag("A1"),
            size: 4,
            binary: false
        })
    );
    assert!(framer.is_paused());
    buf.extend_from_slice(b"fred {6}\r\n");
    // Paused: nothing is read until the server decides.
    assert_eq!(framer.poll(&mut buf), None);
    framer.accept_literal();
    assert_eq!(
        framer.poll(&mut buf),
        Some(FrameEvent::LiteralRequest {
            tag: tag("A1"),
            size: 6,
            binary: false
        })
    );
    framer.accept_literal();
    buf.extend_from_slice(b"secret\r\n");
    assert_eq!(
        framer.poll(&mut buf),
        Some(FrameEvent::Message(msg(
            b"A1 LOGIN {4}",
            vec![(inline(b"fred"), b" {6}", 18), (inline(b"secret"), b"", 30)]
        )))
    );
}

#[test]
fn a_refused_literal_is_not_read_as_commands() {
    let mut framer = MessageFramer::new(Side::Server, Limits::SERVER);
    let mut buf = BytesMut::from(&b"A1 APPEND INBOX {99}\r\nA2 NOOP\r\n"[..]);
    assert!(matches!(
        framer.poll(&mut buf),
        Some(FrameEvent::LiteralRequest { size: 99, .. })
    ));
    framer.refuse_literal();
    assert_eq!(
        framer.poll(&mut buf),
        Some(FrameEvent::Message(msg(b"A2 NOOP", vec![])))
    );
}

#[test]
fn non_synchronising_literals_do_not_wait() {
    let mut framer = MessageFramer::new(Side::Server, Limits::SERVER);
    let input = b"A1 LOGIN {4+}\r\nfred {6+}\r\nsecret\r\n";
    assert_eq!(
        events(&mut framer, input, &[]),
        vec![FrameEvent::Message(msg(
            b"A1 LOGIN {4+}",
            vec![
                (inline(b"fred"), b" {6+}", 19),
                (inline(b"secret"), b"", 32)
            ]
        ))]
    );
}

#[test]
fn literal_limit_at_n_and_n_plus_1() {
    let limits = Limits::SERVER.with_max_literal(100);
    // A synchronising literal over the limit: refused with its tag; the client sends nothing.
    let mut framer = MessageFramer::new(Side::Server, limits);
    let got = events(&mut framer, b"A1 APPEND x {101}\r\nA2 NOOP\r\n", &[]);
    let FrameEvent::Error(e) = &got[0] else {
        panic!("{got:?}")
    };
    assert_eq!(
        e.kind.fault,
        Fault::LiteralTooLarge {
            size: 101,
            limit: 100
        }
    );
    assert_eq!(e.kind.tag, tag("A1"));
    assert_eq!(e.offset, 12);
    assert_eq!(got[1], FrameEvent::Message(msg(b"A2 NOOP", vec![])));
    // At the limit: accepted.
    let mut framer = MessageFramer::new(Side::Server, limits);
    let mut input = b"A1 APPEND x {100}\r\n".to_vec();
    input.extend_from_slice(&[b'm'; 100]);
    input.extend_from_slice(b"\r\n");
    let got = events(&mut framer, &input, &[]);
    assert!(
        matches!(&got[..], [FrameEvent::LiteralRequest { size: 100, .. }, FrameEvent::Message(m)] if m.rest.len() == 1),
        "{got:?}"
    );
    // A non-synchronising literal over the limit is skipped unread, with the rest of its
    // message.
    let mut framer = MessageFramer::new(Side::Server, limits);
    let mut input = b"A1 APPEND x {101+}\r\n".to_vec();
    input.extend_from_slice(&[b'\n'; 101]);
    input.extend_from_slice(b" more {2+}\r\nab\r\nA2 NOOP\r\n");
    let got = events(&mut framer, &input, &[7, 50]);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(matches!(&got[0], FrameEvent::Error(e) if e.kind.tag == tag("A1")));
    assert_eq!(got[1], FrameEvent::Message(msg(b"A2 NOOP", vec![])));
}

#[test]
fn command_lines_of_8192_octets_and_not_8193() {
    for (len, ok) in [(8192, true), (8193, false)] {
        let mut framer = MessageFramer::new(Side::Server, Limits::SERVER);
        let mut input = b"A1 UID FETCH 1".to_vec();
        while input.len() < len - 2 {
            input.extend_from_slice(b",1");
        }
        input.truncate(len - 2);
        input.extend_from_slice(b"\r\nA2 NOOP\r\n");
        let got = events(&mut framer, &input, &[4000]);
        assert_eq!(got.len(), 2);
        match &got[0] {
            FrameEvent::Message(m) => assert!(ok && m.first.len() == len - 2),
            FrameEvent::Error(e) => {
                assert!(!ok);
                assert_eq!(e.kind.fault, Fault::LineTooLong(8192));
                assert_eq!(e.kind.tag, None);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(got[1], FrameEvent::Message(msg(b"A2 NOOP", vec![])));
    }
}

#[test]
fn response_lines_of_16_mib_and_not_one_more() {
    const N: usize = 16 * 1024 * 1024;
    for (len, ok) in [(N, true), (N + 1, false)] {
        let mut framer = MessageFramer::new(Side::Client, Limits::CLIENT);
        let mut input = Vec::with_capacity(len + 16);
        input.extend_from_slice(b"* SEARCH");
        let mut n = 0u32;
        while input.len() + 12 < len {
            n += 1;
            input.extend_from_slice(format!(" {n}").as_bytes());
        }
        while input.len() < len - 2 {
            input.push(b' ');
        }
        input.extend_from_slice(b"\r\n");
        assert!(n > 1_000_000);
        let got = events(&mut framer, &input, &[N / 2]);
        assert_eq!(got.len(), 1);
        assert_eq!(matches!(got[0], FrameEvent::Message(_)), ok);
    }
}

/// Found by the fuzzer: a line too long to keep (or with a bare line end) is dropped
/// unread, and its error carries no tag at any split of the input.
#[test]
fn the_error_of_a_dropped_line_does_not_depend_on_the_split() {
    let limits = Limits::SERVER.with_max_line(8);
    for (input, tag_expected) in [
        (&b"secretCTSYNC x\r\n"[..], None),
        (&b"A1 LOGIN x y\r\n"[..], None),
        (&b"abc\r\0 LI\rD MOD\n\n"[..], None),
    ] {
        for step in 1..input.len() {
            let cuts: Vec<usize> = (step..input.len()).step_by(step).collect();
            let got = events(&mut MessageFramer::new(Side::Server, limits), input, &cuts);
            let FrameEvent::Error(e) = &got[0] else {
                panic!("{got:?}")
            };
            assert_eq!(e.kind.tag, tag_expected, "step {step}");
        }
    }
}

#[test]
fn message_limit_counts_lines_and_inline_literals() {
    let limits = Limits::SERVER.with_max_message(19);
    for (data, ok) in [(&b"123456"[..], true), (b"1234567", false)] {
        let mut framer = MessageFramer::new(Side::Server, limits);
        // 13 octets of line, then the literal: 19 in all is accepted, 20 is not.
        let mut input = format!("A1 LOGIN {{{}+}}\r\n", data.len()).into_bytes();
        input.extend_from_slice(data);
        input.extend_from_slice(b"\r\nA2 NOOP\r\n");
        let got = events(&mut framer, &input, &[]);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(matches!(got[0], FrameEvent::Message(_)), ok, "{got:?}");
        assert_eq!(got[1], FrameEvent::Message(msg(b"A2 NOOP", vec![])));
    }
}

#[test]
fn bare_line_ends_by_side() {
    let mut server = MessageFramer::new(Side::Server, Limits::SERVER);
    let got = events(&mut server, b"A1 NOOP\nA2 NOOP\r\n", &[]);
    assert!(matches!(&got[0], FrameEvent::Error(e) if e.kind.fault == Fault::BareLineEnding));
    assert_eq!(got[1], FrameEvent::Message(msg(b"A2 NOOP", vec![])));
    let mut client = MessageFramer::new(Side::Client, Limits::CLIENT);
    let got = events(&mut client, b"* OK a\n* OK b\r\n", &[]);
    assert_eq!(got.len(), 2);
}

proptest! {
    #[test]
    fn any_split_gives_the_same_events(
        parts in prop::collection::vec((0usize..40, any::<bool>(), any::<bool>()), 0..5),
        cuts in prop::collection::vec(0usize..400, 0..10),
        server in any::<bool>(),
    ) {
        let mut input = Vec::new();
        input.extend_from_slice(b"A1 X");
        for (i, (size, plus, close)) in parts.iter().enumerate() {
            let plus = if *plus { "+" } else { "" };
            input.extend_from_slice(format!(" {{{size}{plus}}}\r\n").as_bytes());
            input.extend((0..*size).map(|j| (j * 31 + i) as u8));
            if *close {
                input.extend_from_slice(b" y\r\nA2 X");
            }
        }
        input.extend_from_slice(b"\r\nA3 NOOP\r\n");
        let side = if server { Side::Server } else { Side::Client };
        let limits = Limits::SERVER.with_max_inline_literal(16).with_max_literal(30);
        let mut cuts = cuts;
        cuts.sort_unstable();
        let whole = events(&mut MessageFramer::new(side, limits), &input, &[]);
        let split = events(&mut MessageFramer::new(side, limits), &input, &cuts);
        prop_assert_eq!(&whole, &split);
        let bytes: Vec<usize> = (1..input.len()).collect();
        let byte_by_byte = events(&mut MessageFramer::new(side, limits), &input, &bytes);
        prop_assert_eq!(whole, byte_by_byte);
    }
}
