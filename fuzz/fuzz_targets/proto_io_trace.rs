//! The trace tap on arbitrary traffic in both directions and both roles: no panic, every
//! line bounded, and a password sent with PASS never reaches a line.

#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use proto_io::{Collector, Trace};

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let collector = Collector::new();
    let sink = Arc::new(collector.clone());
    let mut trace = if control & 1 == 0 {
        Trace::new("c", sink)
    } else {
        Trace::server("s", sink)
    };
    // The control byte's bits choose the direction of each piece.
    for (i, piece) in rest.split(|&b| b == 0xff).enumerate() {
        if (usize::from(control) >> (i % 7)) & 2 == 0 {
            trace.sent(piece);
        } else {
            trace.received(piece);
        }
    }
    // A client's PASS line, after whatever came before it ended, is never shown.
    let client = control & 1 == 0;
    if client {
        trace.sent(b"\r\nPASS fuzz-secret-marker\r\n");
    }
    for line in collector.lines() {
        assert!(line.text.len() < 512, "a shown line is bounded");
        if client {
            assert!(!line.text.contains("fuzz-secret-marker"), "{line:?}");
        }
    }
});
