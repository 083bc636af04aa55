//! The IMAP message framer on arbitrary input, as server or client (first octet): no panic,
//! nothing buffered past the limits, and the same events (streamed chunks merged) whether the
//! input comes whole or in pieces whose sizes the second octet picks. Literal requests are
//! accepted or refused by a bit of the first octet.

#![no_main]

use bytes::{Bytes, BytesMut};
use imap_proto::codec::{FrameEvent, Limits, MessageFramer, Side};
use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;

fn events(side: Side, limits: Limits, accept: bool, input: &[u8], step: usize) -> Vec<FrameEvent> {
    let mut framer = MessageFramer::new(side, limits);
    let mut buf = BytesMut::new();
    let mut out: Vec<FrameEvent> = Vec::new();
    for piece in input.chunks(step.max(1)) {
        buf.extend_from_slice(piece);
        while let Some(event) = framer.poll(&mut buf) {
            if matches!(event, FrameEvent::LiteralRequest { .. }) {
                if accept {
                    framer.accept_literal();
                } else {
                    framer.refuse_literal();
                }
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
        // A line in progress is held up to its limit, an inline literal up to its size.
        let bound = limits.max_line + limits.max_inline_literal as usize + piece.len();
        assert!(buf.len() <= bound, "buffered {} octets", buf.len());
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let [mode, step, input @ ..] = data else {
        return;
    };
    let side = if mode & 1 == 0 {
        Side::Server
    } else {
        Side::Client
    };
    let accept = mode & 2 == 0;
    let limits = Limits::SERVER
        .with_max_line(usize::from(mode >> 4) * 16 + 8)
        .with_max_literal(u64::from(mode >> 2 & 3) * 40)
        .with_max_inline_literal(16)
        .with_max_message(200);
    let whole = events(side, limits, accept, input, input.len());
    let split = events(side, limits, accept, input, usize::from(*step % 17) + 1);
    assert_eq!(whole, split, "events depend on the split");
});
