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

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use mail_benches::{body_of_lines, stuffed};
use pop3_proto::{Client, ClientConfig, ClientEvent, LoginMethod};
use pop3_proto::{Parsed, ResponseContext, parse_command, parse_response};
use pop3_proto::{Command, MessageNumber, Response};
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
    let mut client = Client::new(ClientConfig::new().with_implicit_tls(true));
    client.receive(b"+OK ready\r\n");
    while client.poll_event().is_some() {}
    client
        .login(
            pop3_proto::sasl_proto::Credentials::password("u", "p"),
            LoginMethod::UserPass,
        )
        .unwrap();
    client.receive(b"+OK\r\n+OK in\r\n");
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
        client.receive(piece);
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
    client.receive(wire);
    let mut out = Vec::new();
    while let Some(event) = client.poll_event() {
        if let ClientEvent::BodyChunk { data, .. } = event.unwrap() {
            out.extend_from_slice(&data);
        }
    }
    out
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

criterion_group!(benches, pop3);
criterion_main!(benches);
