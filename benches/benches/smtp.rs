//! smtp-proto against smtp-proto 0.2.5 (Stalwart's, renamed stalwart-smtp-proto) and lettre's
//! reply parser (`Response::from_str`), same inputs, same work, outputs checked to agree
//! before timing:
//! (a) every command with realistic parameters, one line each, and 50 pipelined commands in
//!     one buffer;
//! (b) a single-line reply and an 11-line EHLO reply (ours: parse plus typed capabilities
//!     against Stalwart's `EhloResponse`; parse plus every line against lettre).
//!
//! The BDAT and AUTH inputs are those of the independent side-by-side run (issue 18).
//!
//! Run: `cargo bench -p mail-benches --bench smtp -- --warm-up-time 1 --measurement-time 3`, and
//! the same with `--profile bench-tuned` (thin LTO, one codegen unit).

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::str::FromStr;

use criterion::{Criterion, Throughput, criterion_group};
use smtp_proto::{Capabilities, Command};
use smtp_proto::{Parsed, parse_command, parse_reply};
use stalwart_smtp_proto::response::parser::ResponseReceiver;
use stalwart_smtp_proto::{EhloResponse, Request};

const COMMANDS: [(&str, &[u8]); 17] = [
    ("EHLO", b"EHLO mail.example.com\r\n"),
    ("HELO", b"HELO mail.example.com\r\n"),
    ("LHLO", b"LHLO mail.example.com\r\n"),
    ("MAIL", b"MAIL FROM:<sender.name@example.com> SIZE=123456 BODY=8BITMIME RET=HDRS ENVID=QQ314159\r\n"),
    ("RCPT", b"RCPT TO:<recipient@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;recipient@example.org\r\n"),
    ("DATA", b"DATA\r\n"),
    ("BDAT", b"BDAT 86016 LAST\r\n"),
    ("RSET", b"RSET\r\n"),
    ("VRFY", b"VRFY postmaster\r\n"),
    ("EXPN", b"EXPN staff-list\r\n"),
    ("HELP", b"HELP MAIL\r\n"),
    ("NOOP", b"NOOP\r\n"),
    ("QUIT", b"QUIT\r\n"),
    ("STARTTLS", b"STARTTLS\r\n"),
    (
        "AUTH",
        b"AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAGNvcnJlY3QgaG9yc2UgYmF0dGVyeSBzdGFwbGU=\r\n",
    ),
    ("ETRN", b"ETRN example.org\r\n"),
    ("MAIL_null", b"MAIL FROM:<>\r\n"),
];

const SINGLE: &[u8] = b"250 2.1.5 Ok\r\n";
const EHLO: &[u8] = b"250-mx.example.com Hello client.example [192.0.2.1]\r\n\
250-PIPELINING\r\n250-SIZE 36700160\r\n250-ETRN\r\n250-AUTH PLAIN LOGIN\r\n\
250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n\
250 STARTTLS\r\n";

fn ours_command(line: &[u8]) -> &'static str {
    match parse_command(line) {
        Ok(Parsed::Complete { value, .. }) => value.verb(),
        other => panic!("ours: {other:?}"),
    }
}

fn stalwart_command(line: &[u8]) -> &'static str {
    Request::parse(&mut line.iter()).unwrap().name()
}

fn pipelined() -> Vec<u8> {
    let mut buf = Vec::new();
    let group: [&[u8]; 5] = [
        b"MAIL FROM:<sender.name@example.com> SIZE=123456 BODY=8BITMIME\r\n",
        b"RCPT TO:<alice@example.org>\r\n",
        b"RCPT TO:<bob@example.org> NOTIFY=FAILURE\r\n",
        b"RCPT TO:<carol@example.net>\r\n",
        b"RSET\r\n",
    ];
    for _ in 0..10 {
        for line in group {
            buf.extend_from_slice(line);
        }
    }
    buf
}

fn ours_pipelined(buf: &[u8]) -> usize {
    let mut rest = buf;
    let mut n = 0;
    while !rest.is_empty() {
        match parse_command(rest) {
            Ok(Parsed::Complete { value, consumed }) => {
                black_box(&value);
                rest = &rest[consumed..];
                n += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    n
}

fn stalwart_pipelined(buf: &[u8]) -> usize {
    let mut iter = buf.iter();
    let mut n = 0;
    while iter.len() > 0 {
        let r = Request::parse(&mut iter).unwrap();
        black_box(&r);
        n += 1;
    }
    n
}

fn ours_reply(buf: &[u8]) -> (u16, usize) {
    match parse_reply(buf) {
        Ok(Parsed::Complete { value, .. }) => {
            (value.code().get(), value.lines().map(<[u8]>::len).sum())
        }
        other => panic!("{other:?}"),
    }
}

fn ours_ehlo_caps(buf: &[u8]) -> Capabilities {
    match parse_reply(buf) {
        Ok(Parsed::Complete { value, .. }) => Capabilities::from_ehlo(&value),
        other => panic!("{other:?}"),
    }
}

fn stalwart_reply(buf: &[u8]) -> u16 {
    ResponseReceiver::default()
        .parse(&mut buf.iter())
        .unwrap()
        .code
}

fn lettre_reply(text: &str) -> (u16, usize) {
    let r = lettre::transport::smtp::response::Response::from_str(text).unwrap();
    let code: u16 = r.code().to_string().parse().unwrap();
    (code, r.message().map(str::len).sum())
}

fn smtp(c: &mut Criterion) {
    // The outputs agree before anything is timed.
    for (name, line) in COMMANDS {
        let verb = if name == "MAIL_null" { "MAIL" } else { name };
        assert_eq!(ours_command(line), verb);
        assert_eq!(stalwart_command(line), verb);
    }
    // The arguments of the issue-18 rows agree too, not only the verbs.
    let auth = COMMANDS.iter().find(|(n, _)| *n == "AUTH").unwrap().1;
    match (
        parse_command(auth),
        Request::parse(&mut auth.iter()).unwrap(),
    ) {
        (
            Ok(Parsed::Complete {
                value:
                    Command::Auth {
                        mechanism,
                        initial_response: Some(ir),
                    },
                ..
            }),
            Request::Auth {
                mechanism: theirs,
                initial_response,
            },
        ) => {
            assert_eq!(
                (&*mechanism, theirs),
                ("PLAIN", stalwart_smtp_proto::AUTH_PLAIN)
            );
            assert_eq!(*ir, *initial_response);
        }
        other => panic!("AUTH: {other:?}"),
    }
    let bdat = COMMANDS.iter().find(|(n, _)| *n == "BDAT").unwrap().1;
    match (
        parse_command(bdat),
        Request::parse(&mut bdat.iter()).unwrap(),
    ) {
        (
            Ok(Parsed::Complete {
                value: Command::Bdat { size, last },
                ..
            }),
            Request::Bdat {
                chunk_size,
                is_last,
            },
        ) => assert_eq!((size, last), (chunk_size as u64, is_last)),
        other => panic!("BDAT: {other:?}"),
    }
    let buf = pipelined();
    assert_eq!(ours_pipelined(&buf), 50);
    assert_eq!(stalwart_pipelined(&buf), 50);
    let ehlo_text = std::str::from_utf8(EHLO).unwrap();
    let single_text = std::str::from_utf8(SINGLE).unwrap();
    assert_eq!(ours_reply(SINGLE).0, stalwart_reply(SINGLE));
    assert_eq!(ours_reply(SINGLE).0, lettre_reply(single_text).0);
    // lettre keeps the text after "250-"/"250 ", like our lines().
    assert_eq!(ours_reply(EHLO), lettre_reply(ehlo_text));
    let caps = ours_ehlo_caps(EHLO);
    let theirs = EhloResponse::parse(&mut EHLO.iter()).unwrap();
    assert_eq!(caps.size, Some(36700160));
    assert_eq!(theirs.size, 36700160);
    assert!(caps.pipelining && caps.chunking && caps.starttls && caps.dsn && caps.smtputf8);
    assert_eq!(caps.auth.len(), 2);
    assert_eq!(theirs.hostname, "mx.example.com");
    assert_eq!(caps.domain, "mx.example.com");

    let mut group = c.benchmark_group("smtp_command");
    for rep in 1..=mail_benches::reps() {
        for (name, line) in COMMANDS {
            group.throughput(Throughput::Bytes(line.len() as u64));
            group.bench_function(mail_benches::rep_name(name, "ours", rep), |b| {
                b.iter(|| ours_command(black_box(line)))
            });
            group.bench_function(mail_benches::rep_name(name, "smtp-proto_0.2.5", rep), |b| {
                b.iter(|| stalwart_command(black_box(line)))
            });
        }
    }
    group.throughput(Throughput::Bytes(buf.len() as u64));
    group.bench_function("pipelined50/ours", |b| {
        b.iter(|| ours_pipelined(black_box(&buf)))
    });
    group.bench_function("pipelined50/smtp-proto_0.2.5", |b| {
        b.iter(|| stalwart_pipelined(black_box(&buf)))
    });
    group.finish();

    let mut group = c.benchmark_group("smtp_reply");
    group.bench_function("single/ours", |b| b.iter(|| ours_reply(black_box(SINGLE))));
    group.bench_function("single/smtp-proto_0.2.5", |b| {
        b.iter(|| stalwart_reply(black_box(SINGLE)))
    });
    group.bench_function("single/lettre", |b| {
        b.iter(|| lettre_reply(black_box(single_text)))
    });
    group.bench_function("ehlo11/ours", |b| b.iter(|| ours_reply(black_box(EHLO))));
    group.bench_function("ehlo11/lettre", |b| {
        b.iter(|| lettre_reply(black_box(ehlo_text)))
    });
    group.bench_function("ehlo11_capabilities/ours", |b| {
        b.iter(|| ours_ehlo_caps(black_box(EHLO)))
    });
    group.bench_function("ehlo11_capabilities/smtp-proto_0.2.5", |b| {
        b.iter(|| EhloResponse::parse(&mut black_box(EHLO).iter()).unwrap())
    });
    group.finish();
}

criterion_group!(benches, smtp);

/// `MAIL_BENCH_ROW=<command>/ours` or `<command>/smtp-proto_0.2.5` with `MAIL_BENCH_ITERS`:
/// the row's parse run that many times, for callgrind (see `mail_benches::count_request`).
/// Ours also has the rows `pipelined50/ours`, `single/ours`, `ehlo11/ours` and
/// `ehlo11_capabilities/ours`.
fn main() {
    if let Some((row, iters)) = mail_benches::count_request() {
        match row.as_str() {
            "pipelined50/ours" => {
                let buf = pipelined();
                return mail_benches::repeat(iters, || ours_pipelined(black_box(&buf)));
            }
            "single/ours" => return mail_benches::repeat(iters, || ours_reply(black_box(SINGLE))),
            "ehlo11/ours" => return mail_benches::repeat(iters, || ours_reply(black_box(EHLO))),
            "ehlo11_capabilities/ours" => {
                return mail_benches::repeat(iters, || ours_ehlo_caps(black_box(EHLO)));
            }
            _ => {}
        }
        let (name, side) = row.split_once('/').expect("<command>/<side>");
        let line = COMMANDS
            .iter()
            .find(|(n, _)| *n == name)
            .expect("a command row")
            .1;
        match side {
            "ours" => mail_benches::repeat(iters, || ours_command(black_box(line))),
            _ => mail_benches::repeat(iters, || stalwart_command(black_box(line))),
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
