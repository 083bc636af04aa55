//! Dot-stuffing throughput: our DotUnstuffer and DotStuffer on a 1 MiB body of 78-octet lines,
//! in the same run as a memchr count of LF over the same bytes (the practical limit) and
//! smtp-proto 0.2.5's DATA receiver; the stuffer beside a plain copy of the body, the least any
//! stuffer writing its output pays. Each of ours also through its borrowed API (`step`,
//! `write_pieces`), which hands data on without `Bytes` or a copy. Outputs are checked to agree
//! before timing.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bytes::{Bytes, BytesMut};
use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use mail_benches::{body_of_lines, stuffed};
use proto_core::dot::Step;
use proto_core::{BareLineEnding, DotStuffer, DotUnstuffer, LineLimit, StuffConfig, Unstuffed};
use stalwart_smtp_proto::request::receiver::DataReceiver;

const SIZE: usize = 1 << 20;

/// Un-stuffs the whole of `wire`, counting the octets handed on. The last chunk is returned
/// so that the receive buffer is freed after the timed part, as smtp-proto's reused output
/// is: a driver keeps its input buffer, it does not free 1 MiB per message.
fn ours_unstuff(wire: BytesMut, endings: BareLineEnding) -> (usize, Option<Bytes>) {
    let mut buf = wire;
    let mut unstuffer = DotUnstuffer::new(endings);
    let mut total = 0;
    let mut last = None;
    while let Some(step) = unstuffer.poll(&mut buf) {
        match step.unwrap() {
            Unstuffed::Data(chunk) => {
                total += chunk.len();
                last = Some(chunk);
            }
            Unstuffed::End => break,
        }
    }
    (total, last)
}

/// Un-stuffs the whole of `wire` through the borrowed `step` API, counting the octets of data:
/// what a caller that writes the data on from its own buffer does.
fn ours_unstuff_borrowed(wire: &[u8], endings: BareLineEnding) -> usize {
    let mut input = wire;
    let mut unstuffer = DotUnstuffer::new(endings);
    let mut total = 0;
    loop {
        let step = unstuffer.step(input);
        match step {
            Step::Data { len, .. } => total += len,
            Step::Insert { octets, .. } => total += octets.len(),
            Step::End { .. } => break,
            Step::Error(error) => panic!("{error}"),
            Step::NeedMore => panic!("the terminator is there"),
            _ => unreachable!(),
        }
        input = &input[step.consumed()..];
    }
    total
}

/// What the SMTP server does with DATA: the `Reject` un-stuffer's chunks, each checked against
/// the 1000-octet text line limit (RFC 5321 4.5.3.1.6).
fn ours_server_data(wire: BytesMut) -> (usize, bool, Option<Bytes>) {
    let mut buf = wire;
    let mut unstuffer = DotUnstuffer::new(BareLineEnding::Reject);
    let mut lines = LineLimit::new(1000);
    let (mut total, mut long, mut last) = (0, false, None);
    while let Some(step) = unstuffer.poll(&mut buf) {
        match step.unwrap() {
            Unstuffed::Data(chunk) => {
                total += chunk.len();
                long |= lines.check(&chunk).is_some();
                last = Some(chunk);
            }
            Unstuffed::End => break,
        }
    }
    (total, long, last)
}

fn ours_unstuff_collect(wire: &[u8], endings: BareLineEnding) -> Vec<u8> {
    let mut buf = BytesMut::from(wire);
    let mut unstuffer = DotUnstuffer::new(endings);
    let mut out = Vec::new();
    while let Some(step) = unstuffer.poll(&mut buf) {
        match step.unwrap() {
            Unstuffed::Data(chunk) => out.extend_from_slice(&chunk),
            Unstuffed::End => break,
        }
    }
    out
}

fn stalwart_unstuff(wire: &[u8], out: &mut Vec<u8>) -> bool {
    let mut receiver = DataReceiver::new();
    receiver.ingest(&mut wire.iter(), out)
}

fn ours_stuff(body: &[u8], out: &mut BytesMut) {
    ours_stuff_with(StuffConfig::new(), body, out);
}

/// The stuffer as the SMTP client sets it up for DATA: line ends normalised, no NUL, lines of
/// at most 998 octets, and 8-bit octets refused unless the message was declared 8BITMIME.
fn smtp_client_config(eight_bit: bool) -> StuffConfig {
    StuffConfig::new()
        .allow_8bit(eight_bit)
        .allow_nul(false)
        .max_line_len(Some(998))
}

fn ours_stuff_with(config: StuffConfig, body: &[u8], out: &mut BytesMut) {
    let mut stuffer = DotStuffer::new(config);
    stuffer.write(body, out).unwrap();
    stuffer.finish(out).unwrap();
}

/// Stuffs `body` into pieces without a copy, gathered as a driver gathers them for vectored I/O.
fn ours_stuff_pieces<'a>(body: &'a [u8], pieces: &mut Vec<&'a [u8]>) {
    let mut stuffer = DotStuffer::new(StuffConfig::new());
    stuffer
        .write_pieces(body, |piece| pieces.push(piece))
        .unwrap();
    stuffer.finish_pieces(|piece| pieces.push(piece)).unwrap();
}

fn dot(c: &mut Criterion) {
    let body = body_of_lines(SIZE, 78);
    let wire = stuffed(&body);

    // The outputs agree before anything is timed.
    assert_eq!(
        ours_unstuff_collect(&wire, BareLineEnding::Reject),
        body,
        "our un-stuffing"
    );
    assert_eq!(
        ours_unstuff_collect(&wire, BareLineEnding::Accept),
        body,
        "our un-stuffing"
    );
    assert_eq!(
        ours_unstuff_borrowed(&wire, BareLineEnding::Reject),
        body.len(),
        "our borrowed un-stuffing"
    );
    let mut theirs = Vec::new();
    assert!(
        stalwart_unstuff(&wire, &mut theirs),
        "smtp-proto found the end"
    );
    assert_eq!(theirs, body, "smtp-proto's un-stuffing");
    let mut out = BytesMut::new();
    ours_stuff(&body, &mut out);
    assert_eq!(&out[..], &wire[..], "our stuffing");
    for eight_bit in [false, true] {
        out.clear();
        ours_stuff_with(smtp_client_config(eight_bit), &body, &mut out);
        assert_eq!(
            &out[..],
            &wire[..],
            "our stuffing as the SMTP client sets it up"
        );
    }
    let (total, long, _) = ours_server_data(BytesMut::from(&wire[..]));
    assert_eq!(
        (total, long),
        (body.len(), false),
        "the SMTP server's data path"
    );
    let mut pieces = Vec::new();
    ours_stuff_pieces(&body, &mut pieces);
    assert_eq!(pieces.concat(), wire, "our stuffing into pieces");

    let mut group = c.benchmark_group("dot_unstuff_1MiB");
    group.throughput(Throughput::Bytes(wire.len() as u64));
    group.bench_function("memchr_count_lf", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', std::hint::black_box(&wire)).count())
    });
    // Reject: the server default (bare CR and LF checked). Accept: what clients use for RETR.
    // Issue 18's row (Reject against smtp-proto, and Accept, the same without the check) is
    // repeated in turn when `MAIL_BENCH_REPS` asks for it.
    for rep in 1..=mail_benches::reps() {
        for (name, endings) in [
            ("ours_DotUnstuffer_reject", BareLineEnding::Reject),
            ("ours_DotUnstuffer_accept", BareLineEnding::Accept),
        ] {
            group.bench_function(mail_benches::rep_name("issue18", name, rep), |b| {
                b.iter_batched(
                    || BytesMut::from(&wire[..]),
                    |buf| ours_unstuff(buf, endings),
                    BatchSize::PerIteration,
                )
            });
        }
        group.bench_function(
            mail_benches::rep_name("issue18", "smtp-proto_0.2.5_DataReceiver", rep),
            |b| {
                let mut out = Vec::with_capacity(wire.len());
                b.iter(|| {
                    out.clear();
                    stalwart_unstuff(std::hint::black_box(&wire), &mut out)
                })
            },
        );
    }
    for (name, endings) in [
        ("ours_DotUnstuffer_reject", BareLineEnding::Reject),
        ("ours_DotUnstuffer_accept", BareLineEnding::Accept),
    ] {
        // The wire bytes are copied into a fresh receive buffer just before each run, untimed:
        // what a driver's read does, so the bytes are as warm in the cache as the `wire` that
        // smtp-proto's receiver and the memchr count read in place. (Building a batch of
        // buffers first, as `LargeInput` does, would time cold memory against warm.)
        group.bench_function(name, |b| {
            b.iter_batched(
                || BytesMut::from(&wire[..]),
                |buf| ours_unstuff(buf, endings),
                BatchSize::PerIteration,
            )
        });
    }
    // The borrowed steps over the same fresh buffer: no chunk handed out as `Bytes`.
    group.bench_function("ours_DotUnstuffer_reject_borrowed", |b| {
        b.iter_batched(
            || BytesMut::from(&wire[..]),
            // The buffer is returned so that it is freed after the timed part, as above.
            |buf| (ours_unstuff_borrowed(&buf, BareLineEnding::Reject), buf),
            BatchSize::PerIteration,
        )
    });
    // The SMTP server's whole data path: the chunks above, each checked for long lines.
    group.bench_function("ours_smtp_server_data_reject_line_limit", |b| {
        b.iter_batched(
            || BytesMut::from(&wire[..]),
            ours_server_data,
            BatchSize::PerIteration,
        )
    });
    group.bench_function("smtp-proto_0.2.5_DataReceiver", |b| {
        let mut out = Vec::with_capacity(wire.len());
        b.iter(|| {
            out.clear();
            stalwart_unstuff(std::hint::black_box(&wire), &mut out)
        })
    });
    group.finish();

    let mut group = c.benchmark_group("dot_stuff_1MiB");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("memchr_count_lf", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', std::hint::black_box(&body)).count())
    });
    // What any stuffer that writes its output pays at least: copying the body once.
    group.bench_function("memcpy_body", |b| {
        let mut out = BytesMut::with_capacity(wire.len() + 1024);
        b.iter(|| {
            out.clear();
            out.extend_from_slice(std::hint::black_box(&body));
            out.len()
        })
    });
    // Without the copy: the body's lines handed on in place, the added dots as constants.
    group.bench_function("ours_DotStuffer_pieces", |b| {
        let mut pieces = Vec::with_capacity(1024);
        b.iter(|| {
            pieces.clear();
            ours_stuff_pieces(std::hint::black_box(&body), &mut pieces);
            pieces.len()
        })
    });
    group.bench_function("ours_DotStuffer", |b| {
        let mut out = BytesMut::with_capacity(wire.len() + 1024);
        b.iter(|| {
            out.clear();
            ours_stuff(std::hint::black_box(&body), &mut out);
            out.len()
        })
    });
    for (name, eight_bit) in [
        ("ours_DotStuffer_smtp_client_7bit", false),
        ("ours_DotStuffer_smtp_client_8bitmime", true),
    ] {
        group.bench_function(name, |b| {
            let mut out = BytesMut::with_capacity(wire.len() + 1024);
            let config = smtp_client_config(eight_bit);
            b.iter(|| {
                out.clear();
                ours_stuff_with(config, std::hint::black_box(&body), &mut out);
                out.len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, dot);

/// `MAIL_BENCH_ROW=` `ours_DotUnstuffer_reject`, `ours_DotUnstuffer_accept`,
/// `ours_DotUnstuffer_reject_borrowed`, `ours_DotStuffer`, `ours_DotStuffer_smtp_client_7bit`,
/// `ours_DotStuffer_pieces` or `smtp-proto_0.2.5_DataReceiver`, with
/// `MAIL_BENCH_ITERS`: that un-stuffing of the 1 MiB run that many times, for callgrind (see
/// `mail_benches::count_request`). Ours copy the wire into a fresh buffer each time, as in the
/// criterion rows: a 1 MiB copy counted in, which a count at n = 0 does not cancel.
fn main() {
    if let Some((row, iters)) = mail_benches::count_request() {
        let wire = stuffed(&body_of_lines(SIZE, 78));
        match row.as_str() {
            "ours_DotUnstuffer_reject" => mail_benches::repeat(iters, || {
                ours_unstuff(BytesMut::from(&wire[..]), BareLineEnding::Reject).0
            }),
            "ours_DotUnstuffer_accept" => mail_benches::repeat(iters, || {
                ours_unstuff(BytesMut::from(&wire[..]), BareLineEnding::Accept).0
            }),
            "ours_DotUnstuffer_reject_borrowed" => mail_benches::repeat(iters, || {
                ours_unstuff_borrowed(std::hint::black_box(&wire), BareLineEnding::Reject)
            }),
            "ours_DotStuffer" | "ours_DotStuffer_smtp_client_7bit" => {
                let body = body_of_lines(SIZE, 78);
                let config = if row == "ours_DotStuffer" {
                    StuffConfig::new()
                } else {
                    smtp_client_config(false)
                };
                let mut out = BytesMut::with_capacity(wire.len() + 1024);
                mail_benches::repeat(iters, || {
                    out.clear();
                    ours_stuff_with(config, std::hint::black_box(&body), &mut out);
                    out.len()
                });
            }
            "ours_DotStuffer_pieces" => {
                let body = body_of_lines(SIZE, 78);
                let mut pieces = Vec::with_capacity(1024);
                mail_benches::repeat(iters, || {
                    pieces.clear();
                    ours_stuff_pieces(std::hint::black_box(&body), &mut pieces);
                    pieces.len()
                });
            }
            _ => {
                let mut out = Vec::with_capacity(wire.len());
                mail_benches::repeat(iters, || {
                    out.clear();
                    stalwart_unstuff(std::hint::black_box(&wire), &mut out)
                });
            }
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
