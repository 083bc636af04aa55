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
