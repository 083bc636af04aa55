//! IMAP: responses parsed by imap-proto (ours), imap-proto 0.17 (djc, renamed
//! `djc_imap_proto`) and imap-codec 2.0.0-alpha.10; commands parsed by ours and imap-codec.
//! Each row checks first that every parser reads the whole input and finds what ours finds
//! (a peer that fails a row is reported and left out of it). The literal rows start from a
//! filled `BytesMut` for ours: the framer splits the literal off, it is not copied.
//!
//! Every timed closure returns `()` after `std::hint::black_box` of its value: criterion 0.5's
//! own `black_box` (without its `real_blackbox` feature) copies each returned value with a
//! volatile read, which for a 152-octet `Parsed<Response>` cost more than parsing
//! `* 23 EXISTS`, and charged each side by the size of its value rather than its work.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use imap_codec::decode::Decoder;
use imap_codec::{CommandCodec, ResponseCodec};
use imap_proto::codec::{
    FrameEvent, Limits, MessageFramer, ParseOptions, Parsed, Side, parse_command, parse_response,
    parse_response_message,
};
use imap_proto::{Command, Mode, Response};

const CAPABILITY: &str = "* CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY STATUS=SIZE SAVEDATE\r\n";
const EXISTS: &str = "* 23 EXISTS\r\n";
const TAGGED_OK: &str = "A142 OK [READ-WRITE] SELECT completed\r\n";
const FETCH_UID_FLAGS: &str = "* 12 FETCH (UID 4827313 FLAGS (\\Seen \\Answered $Forwarded))\r\n";
const RFC3501_FETCH: &str = "* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" \"cac.washington.edu\")) ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \"<B27397-0100000@cac.washington.edu>\") BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n";
const BODYSTRUCTURE: &str = "* 3 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 1234 40 NIL NIL NIL NIL)((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 500 10 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 900 20 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"b2\") NIL NIL NIL)(\"application\" \"pdf\" (\"name\" \"a.pdf\") \"<id@x>\" \"Report\" \"base64\" 52000 NIL (\"attachment\" (\"filename\" \"a.pdf\")) NIL NIL) \"mixed\" (\"boundary\" \"b1\") NIL NIL NIL))\r\n";

const SELECT: &str = "A142 SELECT INBOX\r\n";
const UID_SEARCH: &str = "A283 UID SEARCH UNDELETED SINCE 1-Feb-1994 NOT FROM \"Smith\" OR SUBJECT \"report\" BODY budget\r\n";

fn uid_fetch_long_set() -> String {
    let mut set = String::new();
    for i in 0..200u32 {
        if i > 0 {
            set.push(',');
        }
        set.push_str(&format!("{}:{}", 1000 + i * 10, 1004 + i * 10));
    }
    format!("A999 UID FETCH {set} (FLAGS BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT)])\r\n")
}

fn append_line() -> Vec<u8> {
    let mut out =
        b"A003 APPEND saved-messages (\\Seen) \"17-Jul-1996 02:44:25 -0700\" {310+}\r\n".to_vec();
    let body = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nFrom: Fred Foobar <foobar@Blurdybloop.example>\r\nSubject: afternoon meeting\r\nTo: mooch@owatagu.siam.edu.example\r\nMessage-Id: <B27397-0100000@Blurdybloop.example>\r\nMIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\nHello Joe, do you think we can meet at 3:30 tomorrow?\r\n\r\n";
    let mut body = body.as_bytes().to_vec();
    body.resize(310, b'x');
    out.extend_from_slice(&body);
    out.extend_from_slice(b"\r\n");
    out
}

fn fetch_body(size: usize) -> Vec<u8> {
    let mut out = format!("* 1 FETCH (UID 7 BODY[] {{{size}}}\r\n").into_bytes();
    let line = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tem\r\n";
    let mut body = Vec::with_capacity(size + line.len());
    while body.len() < size {
        body.extend_from_slice(line);
    }
    body.truncate(size);
    out.extend_from_slice(&body);
    out.extend_from_slice(b")\r\n");
    out
}

fn ours(input: &[u8]) -> Response {
    match parse_response(
        &Bytes::copy_from_slice(input),
        ParseOptions::lenient(Mode::REV1),
    ) {
        Ok(Parsed::Complete { value, consumed }) if consumed == input.len() => value,
        other => panic!("ours: {other:?}"),
    }
}

fn ours_command(input: &[u8]) -> Command {
    match parse_command(
        &Bytes::copy_from_slice(input),
        ParseOptions::strict(Mode::REV1),
    ) {
        Ok(Parsed::Complete { value, consumed }) if consumed == input.len() => value,
        other => panic!("ours: {other:?}"),
    }
}

const OURS: &str = "imap-proto (ours)";
const DJC: &str = "imap-proto 0.17 (djc)";
const CODEC: &str = "imap-codec 2.0.0-alpha.10";

/// The criterion name of one side in repetition `rep` (`MAIL_BENCH_REPS`, see
/// `mail_benches::reps`): the side alone, or `side/rep` when rows are repeated.
fn side(name: &str, rep: usize) -> String {
    if mail_benches::reps() == 1 {
        name.to_owned()
    } else {
        format!("{name}/{rep}")
    }
}

/// True when djc's imap-proto reads the whole input and its value mentions `needle`.
fn djc_agrees(input: &[u8], needle: &str) -> bool {
    match djc_imap_proto::Response::parse(input) {
        Ok((rest, value)) => rest.is_empty() && format!("{value:?}").contains(needle),
        Err(_) => false,
    }
}

/// True when imap-codec reads the whole input and its value mentions `needle`.
fn codec_agrees(input: &[u8], needle: &str) -> bool {
    match ResponseCodec::default().decode(input) {
        Ok((rest, value)) => rest.is_empty() && format!("{value:?}").contains(needle),
        Err(_) => false,
    }
}

fn codec_command_agrees(input: &[u8], needle: &str) -> bool {
    match CommandCodec::default().decode(input) {
        Ok((rest, value)) => rest.is_empty() && format!("{value:?}").contains(needle),
        Err(_) => false,
    }
}

/// One response row: ours, and each peer that reads the input and agrees.
fn response_row(
    c: &mut Criterion,
    name: &str,
    input: &[u8],
    needle: &str,
    check: impl Fn(&Response) -> bool,
) {
    assert!(check(&ours(input)), "{name}: ours");
    let mut group = c.benchmark_group(format!("imap_{name}"));
    group.throughput(Throughput::Bytes(input.len() as u64));
    let bytes = Bytes::copy_from_slice(input);
    let djc = djc_agrees(input, needle);
    if !djc {
        eprintln!("imap_{name}: imap-proto 0.17 fails this input; left out");
    }
    let codec = codec_agrees(input, needle);
    if !codec {
        eprintln!("imap_{name}: imap-codec fails this input; left out");
    }
    for rep in 1..=mail_benches::reps() {
        group.bench_function(side(OURS, rep), |b| {
            b.iter(|| {
                black_box(
                    parse_response(black_box(&bytes), ParseOptions::lenient(Mode::REV1)).unwrap(),
                );
            })
        });
        if djc {
            group.bench_function(side(DJC, rep), |b| {
                b.iter(|| {
                    black_box(djc_imap_proto::Response::parse(black_box(input)).unwrap());
                })
            });
        }
        if codec {
            group.bench_function(side(CODEC, rep), |b| {
                b.iter(|| {
                    black_box(ResponseCodec::default().decode(black_box(input)).unwrap());
                })
            });
        }
    }
    group.finish();
}

fn command_row(c: &mut Criterion, name: &str, input: &[u8], needle: &str) {
    let _ = ours_command(input);
    let mut group = c.benchmark_group(format!("imap_command_{name}"));
    group.throughput(Throughput::Bytes(input.len() as u64));
    let bytes = Bytes::copy_from_slice(input);
    let codec = codec_command_agrees(input, needle);
    if !codec {
        eprintln!("imap_command_{name}: imap-codec fails this input; left out");
    }
    for rep in 1..=mail_benches::reps() {
        group.bench_function(side(OURS, rep), |b| {
            b.iter(|| {
                black_box(
                    parse_command(black_box(&bytes), ParseOptions::strict(Mode::REV1)).unwrap(),
                );
            })
        });
        if codec {
            group.bench_function(side(CODEC, rep), |b| {
                b.iter(|| {
                    black_box(CommandCodec::default().decode(black_box(input)).unwrap());
                })
            });
        }
    }
    group.finish();
}

/// Ours on a literal row: the framer cuts one message from a filled buffer (the literal is
/// split off, not copied), the parser reads it. Not inlined, so that callgrind can count it
/// alone (`--toggle-collect=imap::ours_literal`), without the buffer's fill.
#[inline(never)]
fn ours_literal(buf: &mut BytesMut) -> Response {
    let limits = Limits::CLIENT.with_max_inline_literal(2 << 20);
    let mut framer = MessageFramer::new(Side::Client, limits);
    match framer.poll(buf) {
        Some(FrameEvent::Message(m)) => {
            parse_response_message(&m, ParseOptions::lenient(Mode::REV1)).unwrap()
        }
        other => panic!("{other:?}"),
    }
}

/// FETCH BODY[] with a literal of `size` octets. Ours: the framer cuts the message from a
/// filled `BytesMut` (the literal is split off, not copied), then the parser reads it.
fn literal_row(c: &mut Criterion, name: &str, size: usize) {
    let input = fetch_body(size);
    let frame = ours_literal;
    let value = frame(&mut BytesMut::from(&input[..]));
    let Response::Data(imap_proto::Data::Fetch { items, .. }) = &value else {
        panic!()
    };
    assert!(
        matches!(&items[1], imap_proto::FetchItem::BodySection { data: imap_proto::SectionData::Inline(d), .. } if d.len() == size)
    );
    let mut group = c.benchmark_group(format!("imap_{name}"));
    group.throughput(Throughput::Bytes(input.len() as u64));
    let djc = djc_agrees(&input, "BodySection");
    if !djc {
        eprintln!("imap_{name}: imap-proto 0.17 fails this input; left out");
    }
    let codec = codec_agrees(&input, "BodyExt") || codec_agrees(&input, "Uid");
    if !codec {
        eprintln!("imap_{name}: imap-codec fails this input; left out");
    }
    for rep in 1..=mail_benches::reps() {
        // A buffer filled just before each parse, as a read leaves it (a batch of 1 MiB
        // buffers filled ahead would time cache and TLB misses on cold memory instead).
        group.bench_function(side(OURS, rep), |b| {
            b.iter_batched_ref(
                || BytesMut::from(&input[..]),
                |buf| {
                    black_box(frame(buf));
                },
                BatchSize::PerIteration,
            )
        });
        if djc {
            group.bench_function(side(DJC, rep), |b| {
                b.iter(|| {
                    black_box(djc_imap_proto::Response::parse(black_box(&input)).unwrap());
                })
            });
        }
        if codec {
            group.bench_function(side(CODEC, rep), |b| {
                b.iter(|| {
                    black_box(ResponseCodec::default().decode(black_box(&input)).unwrap());
                })
            });
        }
    }
    group.finish();
}

fn responses(c: &mut Criterion) {
    use imap_proto::Data;
    response_row(
        c,
        "capability_36",
        CAPABILITY.as_bytes(),
        "SAVEDATE",
        |r| matches!(r, Response::Data(Data::Capability(caps)) if caps.0.len() == 36),
    );
    response_row(c, "exists", EXISTS.as_bytes(), "23", |r| {
        matches!(r, Response::Data(Data::Exists(23)))
    });
    response_row(
        c,
        "tagged_ok_code",
        TAGGED_OK.as_bytes(),
        "ReadWrite",
        |r| matches!(r, Response::Status(s) if s.code == Some(imap_proto::Code::ReadWrite)),
    );
    response_row(
        c,
        "fetch_uid_flags",
        FETCH_UID_FLAGS.as_bytes(),
        "4827313",
        |r| matches!(r, Response::Data(Data::Fetch { items, .. }) if items.len() == 2),
    );
    response_row(
        c,
        "rfc3501_fetch",
        RFC3501_FETCH.as_bytes(),
        "KLENSIN",
        |r| matches!(r, Response::Data(Data::Fetch { items, .. }) if items.len() == 5),
    );
    response_row(
        c,
        "bodystructure_multipart",
        BODYSTRUCTURE.as_bytes(),
        "alternative",
        |r| matches!(r, Response::Data(Data::Fetch { items, .. }) if items.len() == 1),
    );
    literal_row(c, "fetch_body_4KiB", 4 << 10);
    literal_row(c, "fetch_body_1MiB", 1 << 20);
}

fn commands(c: &mut Criterion) {
    command_row(c, "select", SELECT.as_bytes(), "Select");
    command_row(
        c,
        "uid_fetch_long_set",
        uid_fetch_long_set().as_bytes(),
        "2994",
    );
    command_row(c, "uid_search", UID_SEARCH.as_bytes(), "Smith");
    command_row(c, "append", &append_line(), "saved-messages");
}

criterion_group!(benches, responses, commands);

/// The input of a response row by its criterion name (without `imap_`).
fn response_input(name: &str) -> Option<Vec<u8>> {
    Some(match name {
        "capability_36" => CAPABILITY.as_bytes().to_vec(),
        "exists" => EXISTS.as_bytes().to_vec(),
        "tagged_ok_code" => TAGGED_OK.as_bytes().to_vec(),
        "fetch_uid_flags" => FETCH_UID_FLAGS.as_bytes().to_vec(),
        "rfc3501_fetch" => RFC3501_FETCH.as_bytes().to_vec(),
        "bodystructure_multipart" => BODYSTRUCTURE.as_bytes().to_vec(),
        "fetch_body_4KiB" => fetch_body(4 << 10),
        "fetch_body_1MiB" => fetch_body(1 << 20),
        _ => return None,
    })
}

fn command_input(name: &str) -> Vec<u8> {
    match name {
        "select" => SELECT.as_bytes().to_vec(),
        "uid_fetch_long_set" => uid_fetch_long_set().into_bytes(),
        "uid_search" => UID_SEARCH.as_bytes().to_vec(),
        "append" => append_line(),
        other => panic!("no row {other}"),
    }
}

/// `MAIL_BENCH_ROW=<row>/<side>` with `MAIL_BENCH_ITERS`: the row's parse run that many
/// times, for callgrind (see `mail_benches::count_request`). Rows are the criterion group
/// names without `imap_` (`exists`, `command_select`, `fetch_body_1MiB`, ...); sides are
/// `ours`, `djc` and `codec`. Ours on a literal row fills a `BytesMut` each time: count it
/// with `--toggle-collect=imap::ours_literal` to leave the fill out.
fn main() {
    if let Some((row, iters)) = mail_benches::count_request() {
        let (name, side) = row.split_once('/').expect("<row>/<side>");
        if let Some(input) = response_input(name) {
            let bytes = Bytes::copy_from_slice(&input);
            let literal = name.starts_with("fetch_body_");
            match side {
                "ours" if literal => {
                    mail_benches::repeat(iters, || ours_literal(&mut BytesMut::from(&input[..])))
                }
                "ours" => mail_benches::repeat(iters, || {
                    parse_response(black_box(&bytes), ParseOptions::lenient(Mode::REV1)).unwrap()
                }),
                "djc" => mail_benches::repeat(iters, || {
                    djc_imap_proto::Response::parse(black_box(&input)).unwrap()
                }),
                _ => mail_benches::repeat(iters, || {
                    ResponseCodec::default().decode(black_box(&input)).unwrap()
                }),
            }
        } else {
            let command = name.strip_prefix("command_").expect("a row name");
            let input = command_input(command);
            let bytes = Bytes::copy_from_slice(&input);
            match side {
                "ours" => mail_benches::repeat(iters, || {
                    parse_command(black_box(&bytes), ParseOptions::strict(Mode::REV1)).unwrap()
                }),
                _ => mail_benches::repeat(iters, || {
                    CommandCodec::default().decode(black_box(&input)).unwrap()
                }),
            }
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
