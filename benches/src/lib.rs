//! Inputs shared by the benchmarks, generated deterministically so every run times the same
//! bytes.

// Benchmark support, not library code: panics here only stop a benchmark run.
#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

/// A body of `size` octets (about) made of CRLF lines of `line_len` octets including the CRLF.
/// One line in 40 starts with a dot, so stuffing has work to do.
pub fn body_of_lines(size: usize, line_len: usize) -> Vec<u8> {
    let text_len = line_len.saturating_sub(2).max(1);
    let alphabet = b"abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789,;";
    let mut body = Vec::with_capacity(size + line_len);
    let mut line = 0usize;
    while body.len() < size {
        for i in 0..text_len {
            let byte = if i == 0 && line % 40 == 7 {
                b'.'
            } else {
                alphabet[(line * 7 + i * 13) % alphabet.len()]
            };
            body.push(byte);
        }
        body.extend_from_slice(b"\r\n");
        line += 1;
    }
    body
}

/// The body dot-stuffed and terminated, as it crosses the wire after DATA or a POP3 +OK.
pub fn stuffed(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + body.len() / 32 + 3);
    let mut at_line_start = true;
    for &b in body {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_line_start = b == b'\n';
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// The instruction-count mode of the bench binaries, for `valgrind --tool=callgrind`: with
/// `MAIL_BENCH_ROW=<row>` and `MAIL_BENCH_ITERS=<n>` set, a bench binary runs that row's
/// function `n` times and exits, without criterion. The cost of one iteration is the
/// difference between the totals of two runs (say n = 100,000 and n = 0) divided by the
/// difference in n: what the process does around the row cancels.
pub fn count_request() -> Option<(String, u64)> {
    let row = std::env::var("MAIL_BENCH_ROW").ok()?;
    let iters = std::env::var("MAIL_BENCH_ITERS").ok()?.parse().ok()?;
    Some((row, iters))
}

/// Runs `f` `iters` times, each result through `black_box`.
pub fn repeat<T>(iters: u64, mut f: impl FnMut() -> T) {
    for _ in 0..iters {
        std::hint::black_box(f());
    }
}

/// How many times each row is registered in one criterion run, ours and the peer's in turn
/// (`MAIL_BENCH_REPS`, 1 to 20, default 1): with 5, a run times ours, the peer, ours, the peer
/// ... five times over, so a burst of load on the shared machine falls on one repetition of
/// one side instead of on every sample of it, and the ratio is taken per repetition.
pub fn reps() -> usize {
    std::env::var("MAIL_BENCH_REPS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
        .clamp(1, 20)
}

/// The criterion name of one side of a row in repetition `rep` (1-based): `row/side`, with
/// `/rep` added when rows are repeated.
pub fn rep_name(row: &str, side: &str, rep: usize) -> String {
    if reps() == 1 {
        format!("{row}/{side}")
    } else {
        format!("{row}/{side}/{rep}")
    }
}
