//! The IMAP client machine consuming two answers held in memory, fed in 16 KiB reads as a
//! driver's socket reads would: `FETCH 1:* (FLAGS UID RFC822.SIZE ENVELOPE)` for 10,000
//! messages with varied envelopes, and a 10 MB `BODY[]` streamed (the default inline limit,
//! 64 KiB, so the body arrives as chunks). Each row checks its outcome before it is timed:
//! 10,000 FETCH data in the completion, the body's octets equal to the literal's.
//!
//! With `MAIL_BENCH_ROW` (`fetch_envelopes`, `parse_response`, `fetch_body`) and
//! `MAIL_BENCH_ITERS` set, the binary runs that row's routine so many times for callgrind
//! (`benches/scripts/instructions bench imap_client N ROW`); a count includes the set-up of
//! the client (greeting, SELECT) and the freeing of what a session kept.
//!
//! The memory a session holds is measured by the `imap_client_memory` bench, which counts
//! allocations (a counting allocator here would slow what is timed).

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "imap_client_session/mod.rs"]
mod sessions;

use std::hint::black_box;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use imap_proto::codec::{ParseOptions, Parsed, parse_response};
use imap_proto::{Client, ClientEvent, Completion, Mode, Response};

use sessions::{
    BODY_SIZE, FETCH_BODY, FETCH_ENVELOPES, MESSAGES, body_answer, check_listing, client_fetching,
    envelope_listing, feed,
};

/// The timed part of the listing row: the answer read by a client that sent the FETCH.
/// The client and the completion are returned, so that freeing them is not timed.
fn consume_listing(mut client: Client, wire: &[u8]) -> (Client, Option<Completion>) {
    let mut completion = None;
    feed(&mut client, wire, |event| {
        if let ClientEvent::Completed(c) = event {
            completion = Some(c);
        }
    });
    (client, completion)
}

/// The codec alone on the same answer: each response parsed from one shared buffer, with
/// no framing, no reads and no client.
fn parse_only(wire: &Bytes) -> Vec<Response> {
    let mut values = Vec::with_capacity(MESSAGES as usize + 1);
    let mut at = 0;
    while at < wire.len() {
        match parse_response(&wire.slice(at..), ParseOptions::lenient(Mode::REV1)) {
            Ok(Parsed::Complete { value, consumed }) => {
                at += consumed;
                values.push(value);
            }
            other => panic!("at {at}: {other:?}"),
        }
    }
    values
}

/// The timed part of the body row: the streamed body's octets counted as they come.
fn consume_body(mut client: Client, wire: &[u8]) -> Client {
    let mut octets = 0usize;
    feed(&mut client, wire, |event| {
        if let ClientEvent::BodyChunk { data, .. } = event {
            octets += black_box(data).len();
        }
    });
    assert_eq!(octets, BODY_SIZE);
    client
}

fn fetch_envelopes(c: &mut Criterion) {
    let wire = envelope_listing(MESSAGES);
    let mut client = client_fetching(FETCH_ENVELOPES);
    let mut completion = None;
    let events = feed(&mut client, &wire, |event| {
        if let ClientEvent::Completed(c) = event {
            completion = Some(c);
        }
    });
    check_listing(completion.as_ref().unwrap(), MESSAGES);
    let shared = Bytes::from(wire.clone());
    assert_eq!(parse_only(&shared).len(), MESSAGES as usize + 1);
    eprintln!(
        "imap_client_fetch_envelopes: {} octets, {MESSAGES} FETCH responses, {events} events per session",
        wire.len(),
    );
    let mut group = c.benchmark_group("imap_client_fetch_envelopes_10000");
    // Two views of the same routine: FETCH responses per second, and octets per second.
    for (id, throughput) in [
        ("responses", Throughput::Elements(u64::from(MESSAGES))),
        ("octets", Throughput::Bytes(wire.len() as u64)),
    ] {
        group.throughput(throughput);
        group.bench_function(id, |b| {
            b.iter_batched(
                || client_fetching(FETCH_ENVELOPES),
                |client| consume_listing(client, black_box(&wire)),
                BatchSize::LargeInput,
            )
        });
    }
    // For scale, in octets per second like the row before.
    group.bench_function("parse_response only", |b| {
        b.iter_batched(
            || (),
            |()| parse_only(black_box(&shared)),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn fetch_body(c: &mut Criterion) {
    let (wire, message) = body_answer(BODY_SIZE);
    let mut client = client_fetching(FETCH_BODY);
    let mut received = Vec::with_capacity(message.len());
    let mut ended = false;
    let events = feed(&mut client, &wire, |event| match event {
        ClientEvent::BodyChunk { data, .. } => received.extend_from_slice(&data),
        ClientEvent::BodyEnd { .. } => ended = true,
        _ => {}
    });
    assert!(ended, "no end of the body");
    assert!(
        received == message,
        "the streamed octets differ from the literal"
    );
    eprintln!(
        "imap_client_fetch_body: {} octets on the wire, {events} events per session",
        wire.len()
    );
    let mut group = c.benchmark_group("imap_client_fetch_body_10MB");
    group.throughput(Throughput::Bytes(message.len() as u64));
    group.bench_function("streamed", |b| {
        b.iter_batched(
            || client_fetching(FETCH_BODY),
            |client| consume_body(client, black_box(&wire)),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, fetch_envelopes, fetch_body);

fn main() {
    if let Some((row, iters)) = mail_benches::count_request() {
        match row.as_str() {
            "fetch_envelopes" => {
                let wire = envelope_listing(MESSAGES);
                mail_benches::repeat(iters, || {
                    consume_listing(client_fetching(FETCH_ENVELOPES), black_box(&wire))
                });
            }
            "parse_response" => {
                let wire = Bytes::from(envelope_listing(MESSAGES));
                mail_benches::repeat(iters, || parse_only(black_box(&wire)));
            }
            "fetch_body" => {
                let (wire, _) = body_answer(BODY_SIZE);
                mail_benches::repeat(iters, || {
                    consume_body(client_fetching(FETCH_BODY), black_box(&wire))
                });
            }
            other => panic!("no row {other}"),
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
