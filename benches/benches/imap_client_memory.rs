//! The heap one IMAP client session holds, for the `imap_client` bench's two answers: a
//! counting global allocator (stats_alloc), sampled after every 16 KiB read and every event
//! the client reports, so the peak is the largest live heap between two of those (what a
//! parse allocates and frees inside one `poll_event` is not seen). The answer's own bytes,
//! built before, are not counted. Prints one line per session.
//!
//! `cargo bench -p mail-benches --bench imap_client_memory`

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "imap_client_session/mod.rs"]
mod sessions;

use std::alloc::System;

use imap_proto::ClientEvent;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

use sessions::{
    BODY_SIZE, FETCH_BODY, FETCH_ENVELOPES, MESSAGES, READ, body_answer, check_listing,
    client_fetching, envelope_listing, feed,
};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Octets allocated and not yet freed, by the counters (a realloc already adds its growth
/// to `bytes_allocated`, or its shrinking to `bytes_deallocated`).
fn live() -> i128 {
    let s = GLOBAL.stats();
    s.bytes_allocated as i128 - s.bytes_deallocated as i128
}

/// Runs one session and prints its peak heap, its heap at the end and its allocations.
fn measure(name: &str, fetch: &str, wire: &[u8], keep: impl Fn(&ClientEvent) -> bool) {
    let base = live();
    let allocations = GLOBAL.stats().allocations;
    let mut client = client_fetching(fetch);
    let mut peak = live() - base;
    // The application keeps what `keep` says (the completion), and drops the rest at once.
    let mut kept = Vec::new();
    let mut events = 0;
    // One read at a time, so that the heap is sampled after each read as well as after
    // each event (a listing's data stay in the client until its one completion).
    for read in wire.chunks(READ) {
        events += feed(&mut client, read, |event| {
            if keep(&event) {
                kept.push(event);
            }
            peak = peak.max(live() - base);
        });
        peak = peak.max(live() - base);
    }
    let allocations = GLOBAL.stats().allocations - allocations;
    let end = live() - base;
    drop(client);
    let kept_alone = live() - base;
    println!(
        "{name}: peak heap {peak} octets ({:.1} KiB), at the end {end} octets, {kept_alone} octets once the client is dropped and what the application kept remains, {allocations} allocations, {events} events, {} octets of input",
        peak as f64 / 1024.0,
        wire.len()
    );
    if let Some(ClientEvent::Completed(c)) = kept.first()
        && fetch == FETCH_ENVELOPES
    {
        check_listing(c, MESSAGES);
    }
    drop(kept);
}

fn main() {
    // Criterion's arguments (`--bench`) are ignored: this is a measurement, not a timing.
    let listing = envelope_listing(MESSAGES);
    measure(
        "imap_client_fetch_envelopes_10000 (completion kept)",
        FETCH_ENVELOPES,
        &listing,
        |e| matches!(e, ClientEvent::Completed(_)),
    );
    let (wire, _) = body_answer(BODY_SIZE);
    measure(
        "imap_client_fetch_body_10MB (chunks dropped as they come)",
        FETCH_BODY,
        &wire,
        |_| false,
    );
}
