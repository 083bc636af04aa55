//! POP3: command parsing and LIST response parsing beside pop3-codec 0.3 (renamed
//! `pop3_codec`), and a 1 MiB RETR body of 78-octet lines un-stuffed by the client machine
//! (chunk events) beside a memchr scan of the same bytes. Outputs are checked to agree before
//! timing.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use mail_benches::{body_of_lines, stuffed};
use pop3_proto::{Client, ClientConfig, ClientEvent, LoginMethod};
use pop3_proto::{Command, MessageNumber, Response};
use pop3_proto::{Parsed, ResponseContext, parse_command, parse_response};
use proto_core::Machine;

const SIZE: usize = 1 << 20;

const COMMANDS: &[&str] = &[
    "USER mrose",
    "PASS tanstaaf with spaces",
    "APOP mrose c4c9334bac560ecc979e58001b3e22fb",
    "STAT",
    "LIST",
    "LIST 17",
    "RETR 17",
    "DELE 17",
    "TOP 17 10",
    "UIDL 17",
    "NOOP",
    "RSET",
    "CAPA",
    "STLS",
    "QUIT",
];

/// The commands, 100 times each, CRLF-ended.
fn command_stream() -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..100 {
        for c in COMMANDS {
            out.extend_from_slice(c.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

/// A digest of a parsed command: its keyword and its message number (0 for none).
fn ours_commands(input: &[u8]) -> Vec<(&'static str, u32)> {
    let mut rest = input;
    let mut out = Vec::with_capacity(COMMANDS.len() * 100);
    while let Ok(Parsed::Complete { value, consumed }) = parse_command(rest) {
        let n = match &value {
            Command::List(Some(n))
            | Command::Uidl(Some(n))
            | Command::Retr(n)
            | Command::Dele(n) => n.get(),
            Command::Top { msg, .. } => msg.get(),
            _ => 0,
        };
        out.push((value.keyword(), n));
        rest = &rest[consumed..];
    }
    out
}

fn ours_count(input: &[u8]) -> usize {
    let mut rest = input;
    let mut count = 0;
    while let Ok(Parsed::Complete { value, consumed }) = parse_command(rest) {
        std::hint::black_box(&value);
        count += 1;
        rest = &rest[consumed..];
    }
    count
}

fn theirs_commands(input: &[u8]) -> Vec<(&'static str, u32)> {
    use pop3_codec::types::Command as C;
    let mut rest = input;
    let mut out = Vec::with_capacity(COMMANDS.len() * 100);
    while let Ok((rem, value)) = pop3_codec::parse::command(rest) {
        let digest = match value {
            C::User(_) => ("USER", 0),
            C::Pass(_) => ("PASS", 0),
            C::Apop { .. } => ("APOP", 0),
            C::Stat => ("STAT", 0),
            C::ListAll => ("LIST", 0),
            C::List { msg } => ("LIST", msg),
            C::Retr { msg } => ("RETR", msg),
            C::Dele { msg } => ("DELE", msg),
            C::Top { msg, .. } => ("TOP", msg),
            C::Uidl { msg } => ("UIDL", msg),
            C::Noop => ("NOOP", 0),
            C::Rset => ("RSET", 0),
            C::Capa => ("CAPA", 0),
            C::Stls => ("STLS", 0),
            C::Quit => ("QUIT", 0),
            _ => ("?", 0),
        };
        out.push(digest);
        rest = rem;
    }
    out
}

fn theirs_count(input: &[u8]) -> usize {
    let mut rest = input;
    let mut count = 0;
    while let Ok((rem, value)) = pop3_codec::parse::command(rest) {
        std::hint::black_box(&value);
        count += 1;
        rest = rem;
    }
    count
}

/// A LIST answer of 2000 entries.
fn list_response() -> Vec<u8> {
    let mut out = b"+OK 2000 messages (4000000 octets)\r\n".to_vec();
    for i in 1..=2000u32 {
        out.extend_from_slice(format!("{i} {}\r\n", 1000 + i * 7).as_bytes());
    }
    out.extend_from_slice(b".\r\n");
    out
}

fn ours_list(input: &[u8]) -> u64 {
    match parse_response(ResponseContext::List(None), input) {
        Ok(Parsed::Complete {
            value: Response::List { entries, .. },
            ..
        }) => entries.iter().map(|e| e.size).sum(),
        other => panic!("{other:?}"),
    }
}

fn theirs_list(input: &[u8]) -> u64 {
    use pop3_codec::types::Response as R;
    match pop3_codec::parse::response_list_all(input) {
        Ok((_, R::Ok(multi))) => multi.body.iter().map(|l| u64::from(l.message_size)).sum(),
        Ok(_) => panic!("not +OK"),
        Err(e) => panic!("{e:?}"),
    }
}

/// A client logged in with RETR 1 sent, ready for the answer.
fn retr_client() -> Client {
    let mut client = Client::new(
        ClientConfig::new().with_implicit_tls(true),
        std::time::Instant::now(),
    );
    client.receive(b"+OK ready\r\n", std::time::Instant::now());
    while client.poll_event().is_some() {}
    client
        .login(
            pop3_proto::sasl_proto::Credentials::password("u", "p"),
            LoginMethod::UserPass,
        )
        .unwrap();
    client.receive(b"+OK\r\n+OK in\r\n", std::time::Instant::now());
    while client.poll_event().is_some() {}
    client.send_retr(MessageNumber::new(1).unwrap()).unwrap();
    let n = client.transmit().len();
    client.advance_transmit(n);
    client
}

/// Feeds the RETR answer in reads of `read` octets (as a driver would), polling between;
/// returns the body octets seen in chunk events.
fn ours_retr(mut client: Client, wire: &[u8], read: usize) -> usize {
    let mut total = 0;
    let mut ended = false;
    for piece in wire.chunks(read) {
        client.receive(piece, std::time::Instant::now());
        while let Some(event) = client.poll_event() {
            match event.unwrap() {
                ClientEvent::BodyChunk { data, .. } => total += data.len(),
                ClientEvent::BodyEnd { .. } => ended = true,
                _ => {}
            }
        }
    }
    assert!(ended);
    total
}

fn ours_retr_collect(wire: &[u8]) -> Vec<u8> {
    let mut client = retr_client();
    client.receive(wire, std::time::Instant::now());
    let mut out = Vec::new();
    while let Some(event) = client.poll_event() {
        if let ClientEvent::BodyChunk { data, .. } = event.unwrap() {
            out.extend_from_slice(&data);
        }
    }
    out
}

/// The single commands of issue 18's side-by-side run, and its 10-command session.
const ONE_COMMANDS: [(&str, &[u8]); 2] = [
    ("USER", b"USER alice@example.com\r\n"),
    ("RETR", b"RETR 1\r\n"),
];
const SESSION: &[u8] = b"CAPA\r\nUSER alice@example.com\r\nPASS correct horse battery staple\r\n\
STAT\r\nLIST\r\nUIDL\r\nRETR 1\r\nDELE 1\r\nNOOP\r\nQUIT\r\n";
/// The answer to STAT of the same run.
const STAT_ANSWER: &[u8] = b"+OK 20 1048213\r\n";

/// Our digest of one command (the work the peer does too: keyword, number, argument text).
fn ours_one(line: &[u8]) -> (&'static str, u32, usize) {
    match parse_command(line) {
        Ok(Parsed::Complete { value, .. }) => digest_ours(&value),
        other => panic!("{other:?}"),
    }
}

fn digest_ours(value: &Command<'_>) -> (&'static str, u32, usize) {
    let (n, text) = match value {
        Command::Retr(n) | Command::Dele(n) => (n.get(), 0),
        Command::User(name) => (0, name.len()),
        Command::Pass(p) => (0, p.0.len()),
        _ => (0, 0),
    };
    (value.keyword(), n, text)
}

fn theirs_one(line: &[u8]) -> (&'static str, u32, usize) {
    match pop3_codec::parse::command(line) {
        Ok((_, value)) => digest_theirs(&value),
        Err(e) => panic!("{e:?}"),
    }
}

fn digest_theirs(value: &pop3_codec::types::Command) -> (&'static str, u32, usize) {
    use pop3_codec::types::Command as C;
    match value {
        C::User(name) => ("USER", 0, name.len()),
        C::Pass(p) => ("PASS", 0, p.len()),
        C::Stat => ("STAT", 0, 0),
        C::ListAll => ("LIST", 0, 0),
        C::UidlAll => ("UIDL", 0, 0),
        C::Retr { msg } => ("RETR", *msg, 0),
        C::Dele { msg } => ("DELE", *msg, 0),
        C::Noop => ("NOOP", 0, 0),
        C::Capa => ("CAPA", 0, 0),
        C::Quit => ("QUIT", 0, 0),
        _ => ("?", 0, 0),
    }
}

/// The session's commands parsed one after another: the digests of each.
fn ours_session(input: &[u8]) -> [(&'static str, u32, usize); 10] {
    let mut out = [("", 0, 0); 10];
    let mut rest = input;
    for slot in &mut out {
        match parse_command(rest) {
            Ok(Parsed::Complete { value, consumed }) => {
                *slot = digest_ours(&value);
                rest = &rest[consumed..];
            }
            other => panic!("{other:?}"),
        }
    }
    out
}

fn theirs_session(input: &[u8]) -> [(&'static str, u32, usize); 10] {
    let mut out = [("", 0, 0); 10];
    let mut rest = input;
    for slot in &mut out {
        match pop3_codec::parse::command(rest) {
            Ok((rem, value)) => {
                *slot = digest_theirs(&value);
                rest = rem;
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    out
}

fn ours_stat(input: &[u8]) -> (u32, u64) {
    match parse_response(ResponseContext::Stat, input) {
        Ok(Parsed::Complete {
            value: Response::Stat { count, size, .. },
            ..
        }) => (count, size),
        other => panic!("{other:?}"),
    }
}

fn theirs_stat(input: &[u8]) -> (u32, u64) {
    use pop3_codec::types::Response as R;
    match pop3_codec::parse::response_stat(input) {
        Ok((_, R::Ok(d))) => (d.message_count, u64::from(d.maildrop_size)),
        other => panic!("{other:?}"),
    }
}

/// Issue 18's rows: each input parsed by ours and by pop3-codec, outputs checked equal first.
fn issue18_rows(c: &mut Criterion) {
    for (name, line) in ONE_COMMANDS {
        assert_eq!(
            ours_one(line),
            theirs_one(line),
            "{name}: both parsers agree"
        );
    }
    let ours = ours_session(SESSION);
    assert_eq!(ours, theirs_session(SESSION), "session: both parsers agree");
    assert_eq!(ours[6], ("RETR", 1, 0));
    assert_eq!(ours_stat(STAT_ANSWER), (20, 1048213));
    assert_eq!(ours_stat(STAT_ANSWER), theirs_stat(STAT_ANSWER));
    let name = mail_benches::rep_name;
    for rep in 1..=mail_benches::reps() {
        let mut group = c.benchmark_group("pop3_command");
        for (row, line) in ONE_COMMANDS {
            group.bench_function(name(row, "ours", rep), |b| {
                b.iter(|| ours_one(std::hint::black_box(line)))
            });
            group.bench_function(name(row, "pop3-codec_0.3", rep), |b| {
                b.iter(|| theirs_one(std::hint::black_box(line)))
            });
        }
        group.bench_function(name("session10", "ours", rep), |b| {
            b.iter(|| ours_session(std::hint::black_box(SESSION)))
        });
        group.bench_function(name("session10", "pop3-codec_0.3", rep), |b| {
            b.iter(|| theirs_session(std::hint::black_box(SESSION)))
        });
        group.finish();
        let mut group = c.benchmark_group("pop3_response");
        group.bench_function(name("STAT", "ours", rep), |b| {
            b.iter(|| ours_stat(std::hint::black_box(STAT_ANSWER)))
        });
        group.bench_function(name("STAT", "pop3-codec_0.3", rep), |b| {
            b.iter(|| theirs_stat(std::hint::black_box(STAT_ANSWER)))
        });
        group.finish();
    }
}

fn pop3(c: &mut Criterion) {
    let commands = command_stream();
    let ours = ours_commands(&commands);
    assert_eq!(ours.len(), COMMANDS.len() * 100);
    assert_eq!(ours, theirs_commands(&commands), "both parsers agree");

    let mut group = c.benchmark_group("pop3_command_parse");
    group.throughput(Throughput::Bytes(commands.len() as u64));
    group.bench_function("ours_parse_command", |b| {
        b.iter(|| ours_count(std::hint::black_box(&commands)))
    });
    group.bench_function("pop3-codec_0.3_command", |b| {
        b.iter(|| theirs_count(std::hint::black_box(&commands)))
    });
    group.finish();

    let list = list_response();
    assert_eq!(ours_list(&list), theirs_list(&list), "both parsers agree");
    let mut group = c.benchmark_group("pop3_list_response_2000");
    group.throughput(Throughput::Bytes(list.len() as u64));
    group.bench_function("ours_parse_response", |b| {
        b.iter(|| ours_list(std::hint::black_box(&list)))
    });
    group.bench_function("pop3-codec_0.3_response_list_all", |b| {
        b.iter(|| theirs_list(std::hint::black_box(&list)))
    });
    group.finish();

    let body = body_of_lines(SIZE, 78);
    let mut wire = b"+OK 1048576 octets\r\n".to_vec();
    wire.extend_from_slice(&stuffed(&body));
    assert_eq!(
        ours_retr_collect(&wire),
        body,
        "the client's body is the message"
    );

    let mut group = c.benchmark_group("pop3_retr_1MiB");
    group.throughput(Throughput::Bytes(wire.len() as u64));
    group.bench_function("memchr_count_lf", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', std::hint::black_box(&wire)).count())
    });
    for (name, read) in [
        ("ours_client_reads_16KiB", 16 * 1024),
        ("ours_client_one_read", wire.len()),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                retr_client,
                |client| ours_retr(client, &wire, read),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, issue18_rows, pop3);

/// `MAIL_BENCH_ROW=<row>/ours` or `<row>/pop3-codec_0.3` (rows USER, RETR, session10, STAT,
/// list2000) with `MAIL_BENCH_ITERS`: the row run that many times, for callgrind (see
/// `mail_benches::count_request`).
fn main() {
    use std::hint::black_box;
    if let Some((row, iters)) = mail_benches::count_request() {
        let (name, side) = row.split_once('/').expect("<row>/<side>");
        let ours = side == "ours";
        match name {
            "session10" if ours => mail_benches::repeat(iters, || ours_session(black_box(SESSION))),
            "session10" => mail_benches::repeat(iters, || theirs_session(black_box(SESSION))),
            "STAT" if ours => mail_benches::repeat(iters, || ours_stat(black_box(STAT_ANSWER))),
            "STAT" => mail_benches::repeat(iters, || theirs_stat(black_box(STAT_ANSWER))),
            "list2000" if ours => {
                let list = list_response();
                mail_benches::repeat(iters, || ours_list(black_box(&list)));
            }
            "list2000" => {
                let list = list_response();
                mail_benches::repeat(iters, || theirs_list(black_box(&list)));
            }
            _ => {
                let line = ONE_COMMANDS
                    .iter()
                    .find(|(n, _)| *n == name)
                    .expect("a row")
                    .1;
                if ours {
                    mail_benches::repeat(iters, || ours_one(black_box(line)));
                } else {
                    mail_benches::repeat(iters, || theirs_one(black_box(line)));
                }
            }
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
