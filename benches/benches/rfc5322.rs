//! rfc5322 against mail-parser 0.11.9 and mailparse 0.18, same inputs, same work, outputs
//! checked to agree before timing:
//! (a) header-heavy mail: the small messages of the test vectors (CRLF form);
//! (b) body-heavy mail: a generated 4 MiB message with three base64 attachments.
//! Groups: the structural pass; every header field typed (plus every body decoded, the work
//! mail-parser always does); every body decoded; base64 of CRLF-wrapped data.
//!
//! Run: `cargo bench -p mail-benches --bench rfc5322 -- --warm-up-time 1 --measurement-time 3`

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bytes::Bytes;
use criterion::{Criterion, Throughput, black_box, criterion_group};
use rfc5322::{Message, PartKind};

macro_rules! vectors {
    ($($p:literal),* $(,)?) => {
        [$(include_bytes!(concat!("../../crates/rfc5322/tests/data/", $p)).as_slice()),*]
    };
}

const SMALL: [&[u8]; 24] = vectors![
    "mail-parser/eml/rfc/000.eml",
    "mail-parser/eml/rfc/001.eml",
    "mail-parser/eml/rfc/002.eml",
    "mail-parser/eml/rfc/003.eml",
    "mail-parser/eml/rfc/004.eml",
    "mail-parser/eml/rfc/005.eml",
    "mail-parser/eml/rfc/006.eml",
    "mail-parser/eml/rfc/007.eml",
    "mail-parser/eml/rfc/008.eml",
    "mail-parser/eml/rfc/009.eml",
    "mail-parser/eml/thirdparty/012.eml",
    "mimekit/messages/body.1.txt",
    "mimekit/messages/body.5.txt",
    "mimekit/messages/delivery-status.txt",
    "mimekit/messages/disposition-notification.txt",
    "mimekit/messages/epilogue.txt",
    "mimekit/messages/feedback-report.txt",
    "mimekit/messages/japanese.txt",
    "mimekit/messages/multipart-digest.txt",
    "mimekit/messages/multipart-related-mhtml.txt",
    "mimekit/messages/rfc2060.txt",
    "mimekit/messages/simple-embedded-message.eml",
    "mimekit/messages/simple-multipart.eml",
    "mimekit/messages/issue358.txt",
];

fn to_crlf(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len() + b.len() / 20);
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' && (i == 0 || b[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(c);
    }
    out
}

fn b64_wrapped(data: &[u8]) -> Vec<u8> {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(data.len() * 4 / 3 + data.len() / 38 + 8);
    let mut col = 0;
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        let q = [
            A[(n >> 18) as usize & 63],
            A[(n >> 12) as usize & 63],
            A[(n >> 6) as usize & 63],
            A[n as usize & 63],
        ];
        let keep = c.len() + 1;
        out.extend_from_slice(&q[..keep]);
        out.extend(std::iter::repeat_n(b'=', 4 - keep));
        col += 4;
        if col == 76 {
            out.extend_from_slice(b"\r\n");
            col = 0;
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as u8
        })
        .collect()
}

/// A 4 MiB message: text and HTML alternatives and three 1 MiB base64 attachments.
fn body_heavy() -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut m = b"From: A <a@example.com>\r\nTo: B <b@example.com>\r\nSubject: big\r\n\
Date: Tue, 1 Jul 2003 10:52:37 +0200\r\nMessage-ID: <big@example.com>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"=_outer_boundary\"\r\n\r\n--=_outer_boundary\r\n\
Content-Type: multipart/alternative; boundary=\"=_alt\"\r\n\r\n--=_alt\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        .to_vec();
    for _ in 0..40 {
        m.extend_from_slice(b"Caf=C3=A9 au lait, s'il vous pla=C3=AEt. The quick brown fox jumps =\r\nover the lazy dog.\r\n");
    }
    m.extend_from_slice(b"--=_alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n");
    for _ in 0..40 {
        m.extend_from_slice(
            b"<p>The quick brown fox jumps over the lazy dog, again and again.</p>\r\n",
        );
    }
    m.extend_from_slice(b"--=_alt--\r\n");
    let mut atts = Vec::new();
    for i in 0..3u64 {
        let data = noise(1 << 20, i + 1);
        m.extend_from_slice(
            format!("--=_outer_boundary\r\nContent-Type: application/octet-stream; name=\"f{i}.bin\"\r\nContent-Disposition: attachment; filename=\"f{i}.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
                .as_bytes(),
        );
        m.extend_from_slice(&b64_wrapped(&data));
        atts.push(data);
    }
    m.extend_from_slice(b"--=_outer_boundary--\r\n");
    (m, atts)
}

// ---- The same work, three ways ----

// Our parser takes `Bytes` (parts and fields are spans of it): the inputs are `Bytes` made
// once, and each iteration clones the handle (no copy of the message).
fn ours_structure(raw: &Bytes) -> usize {
    let msg = Message::parse(raw.clone()).unwrap();
    msg.parts().filter(|p| p.kind() == PartKind::Leaf).count() + msg.fields().count()
}

fn mailparse_structure(raw: &[u8]) -> usize {
    let m = mailparse::parse_mail(raw).unwrap();
    let mut leaves = 0;
    let mut stack = vec![&m];
    while let Some(p) = stack.pop() {
        if p.subparts.is_empty() {
            leaves += 1;
        }
        stack.extend(p.subparts.iter());
    }
    leaves + m.headers.len()
}

fn ours_full(raw: &Bytes) -> usize {
    let msg = Message::parse(raw.clone()).unwrap();
    let mut n = 0;
    for p in msg.parts() {
        for f in p.fields() {
            let mut lower = [0u8; 40];
            let name = f.name_bytes();
            let name = match lower.get_mut(..name.len()) {
                Some(l) => {
                    l.copy_from_slice(name);
                    l.make_ascii_lowercase();
                    std::str::from_utf8(l).unwrap_or("")
                }
                None => "",
            };
            n += match name {
                "from" | "to" | "cc" | "bcc" | "reply-to" | "sender" | "resent-from"
                | "resent-to" | "resent-cc" | "resent-bcc" | "resent-sender" => {
                    f.addresses(32).len()
                }
                "date" | "resent-date" => usize::from(f.date().is_some()),
                "message-id" | "in-reply-to" | "references" | "content-id"
                | "resent-message-id" => f.message_ids().len(),
                // Typed once by the structural pass: the cached value.
                "content-type" => p.content_type().params.len(),
                "content-disposition" => f.content_disposition().map_or(0, |c| c.params.len()),
                "keywords" => f.phrases().len(),
                _ => f.text().len(),
            };
        }
        if p.kind() == PartKind::Leaf {
            n += if p.content_type().media_type == "text" {
                p.body_text().len()
            } else {
                p.decoded_body().len()
            };
        }
    }
    n
}

/// mail-parser set up to type every field as we do: MIME fields, dates, addresses, message
/// ids, Keywords as a list, every other field as unstructured text (RFC 2047 decoded).
fn full_parser() -> mail_parser::MessageParser {
    use mail_parser::HeaderName;
    mail_parser::MessageParser::new()
        .with_mime_headers()
        .with_date_headers()
        .with_address_headers()
        .with_message_ids()
        .header_comma_separated(HeaderName::Keywords)
        .default_header_text()
}

fn mail_parser_full(p: &mail_parser::MessageParser, raw: &[u8]) -> usize {
    let m = p.parse(raw).unwrap();
    m.parts.len() + m.parts.iter().map(|p| p.headers.len()).sum::<usize>()
}

fn mailparse_full(raw: &[u8]) -> usize {
    let m = mailparse::parse_mail(raw).unwrap();
    let mut n = 0;
    let mut stack = vec![&m];
    while let Some(p) = stack.pop() {
        for h in &p.headers {
            let k = h.get_key_ref().to_ascii_lowercase();
            n += match k.as_str() {
                "from" | "to" | "cc" | "bcc" | "reply-to" | "sender" => {
                    mailparse::addrparse_header(h).map_or(0, |l| l.len())
                }
                "date" => usize::from(mailparse::dateparse(&h.get_value()).is_ok()),
                _ => h.get_value().len(),
            };
        }
        if p.subparts.is_empty() {
            n += if p.ctype.mimetype.starts_with("text/") {
                p.get_body().map_or(0, |b| b.len())
            } else {
                p.get_body_raw().map_or(0, |b| b.len())
            };
        }
        stack.extend(p.subparts.iter());
    }
    n
}

fn ours_bodies(raw: &Bytes) -> Vec<Vec<u8>> {
    let msg = Message::parse(raw.clone()).unwrap();
    msg.parts_in_order()
        .into_iter()
        .filter(|p| p.kind() == PartKind::Leaf)
        .map(|p| {
            if p.content_type().media_type == "text" {
                p.body_text().into_owned().into_bytes()
            } else {
                p.decoded_body().into_owned()
            }
        })
        .collect()
}

fn mail_parser_bodies(raw: &[u8]) -> Vec<Vec<u8>> {
    let m = mail_parser::MessageParser::new()
        .with_mime_headers()
        .parse(raw)
        .unwrap();
    m.parts
        .iter()
        .filter_map(|p| match &p.body {
            mail_parser::PartType::Text(t) | mail_parser::PartType::Html(t) => {
                Some(t.as_bytes().to_vec())
            }
            mail_parser::PartType::Binary(b) | mail_parser::PartType::InlineBinary(b) => {
                Some(b.to_vec())
            }
            _ => None,
        })
        .collect()
}

fn mailparse_bodies(raw: &[u8]) -> Vec<Vec<u8>> {
    let m = mailparse::parse_mail(raw).unwrap();
    let mut out = Vec::new();
    let mut stack = vec![&m];
    while let Some(p) = stack.pop() {
        if p.subparts.is_empty() {
            out.push(if p.ctype.mimetype.starts_with("text/") {
                p.get_body().unwrap().into_bytes()
            } else {
                p.get_body_raw().unwrap()
            });
        }
        stack.extend(p.subparts.iter().rev());
    }
    out
}

fn bench(c: &mut Criterion) {
    let small: Vec<Vec<u8>> = SMALL.iter().map(|m| to_crlf(m)).collect();
    let small_bytes: usize = small.iter().map(Vec::len).sum();
    let (big, atts) = body_heavy();
    let small_b: Vec<Bytes> = small.iter().map(|m| Bytes::from(m.clone())).collect();
    let big_b = Bytes::from(big.clone());

    // Agreement before timing.
    let ob = ours_bodies(&big_b);
    assert_eq!(ob.len(), 5);
    assert_eq!(&ob[2..], &atts[..]);
    let mb = mail_parser_bodies(&big);
    assert_eq!(&mb[mb.len() - 3..], &atts[..]);
    let pb = mailparse_bodies(&big);
    assert_eq!(pb.len(), 5);
    assert_eq!(&pb[2..], &atts[..]);
    // Our text (QP decoded, CRLF kept) equals mailparse's.
    assert_eq!(ob[0], pb[0]);
    for (i, m) in small.iter().enumerate() {
        let ours = Message::parse(m.clone()).unwrap();
        let theirs = mailparse::parse_mail(m).unwrap();
        // mailparse reads an mbox "From " line and a fold that lost its white space as
        // header fields of their own; we skip the first and join the second to its field.
        let from_line = usize::from(m.starts_with(b"From "));
        let broken = ours
            .root()
            .defects()
            .iter()
            .filter(|d| d.kind == rfc5322::DefectKind::BrokenFolding)
            .count();
        assert_eq!(
            ours.fields().count() + from_line + broken,
            theirs.headers.len(),
            "message {i}"
        );
    }

    let mut g = c.benchmark_group("structure");
    g.throughput(Throughput::Bytes(small_bytes as u64));
    g.bench_function("header-heavy/rfc5322", |b| {
        b.iter(|| {
            small_b
                .iter()
                .map(|m| ours_structure(black_box(m)))
                .sum::<usize>()
        })
    });
    g.bench_function("header-heavy/mailparse", |b| {
        b.iter(|| {
            small
                .iter()
                .map(|m| mailparse_structure(black_box(m)))
                .sum::<usize>()
        })
    });
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.bench_function("body-heavy/rfc5322", |b| {
        b.iter(|| ours_structure(black_box(&big_b)))
    });
    g.bench_function("body-heavy/mailparse", |b| {
        b.iter(|| mailparse_structure(black_box(&big)))
    });
    g.finish();

    let mp = full_parser();
    let mut g = c.benchmark_group("typed-headers-and-bodies");
    g.throughput(Throughput::Bytes(small_bytes as u64));
    g.bench_function("header-heavy/rfc5322", |b| {
        b.iter(|| {
            small_b
                .iter()
                .map(|m| ours_full(black_box(m)))
                .sum::<usize>()
        })
    });
    g.bench_function("header-heavy/mail-parser", |b| {
        b.iter(|| {
            small
                .iter()
                .map(|m| mail_parser_full(&mp, black_box(m)))
                .sum::<usize>()
        })
    });
    g.bench_function("header-heavy/mailparse", |b| {
        b.iter(|| {
            small
                .iter()
                .map(|m| mailparse_full(black_box(m)))
                .sum::<usize>()
        })
    });
    g.finish();

    // Issue 18's two rows: mail-parser's own 11 sample messages (the first 11 of SMALL),
    // every header field typed (goal 0.67 of mail-parser's time) and every body decoded (goal
    // 0.50). Measured and recorded only: the work on rfc5322 is elsewhere.
    let samples = &small[..11];
    let samples_b = &small_b[..11];
    for (i, (m, mb)) in samples.iter().zip(samples_b).enumerate() {
        let ours = ours_bodies(mb);
        let theirs = mail_parser_bodies(m);
        let found = theirs.iter().filter(|t| ours.contains(t)).count();
        // Every body mail-parser gives is one of ours, but the two "base64" parts of the
        // first message whose text is not base64: mail-parser keeps the text, we decode it.
        // (mail-parser also leaves out some parts we decode: it does less work there.)
        let unreadable = if i == 0 { 2 } else { 0 };
        assert_eq!(
            found + unreadable,
            theirs.len(),
            "sample {i}: mail-parser's bodies"
        );
    }
    let sample_bytes: usize = samples.iter().map(Vec::len).sum();
    let mut g = c.benchmark_group("mail-parser-samples");
    g.throughput(Throughput::Bytes(sample_bytes as u64));
    for rep in 1..=mail_benches::reps() {
        let name = |row, side| mail_benches::rep_name(row, side, rep);
        g.bench_function(name("typed-headers", "rfc5322"), |b| {
            b.iter(|| {
                samples_b
                    .iter()
                    .map(|m| ours_full(black_box(m)))
                    .sum::<usize>()
            })
        });
        g.bench_function(name("typed-headers", "mail-parser"), |b| {
            b.iter(|| {
                samples
                    .iter()
                    .map(|m| mail_parser_full(&mp, black_box(m)))
                    .sum::<usize>()
            })
        });
        g.bench_function(name("decode", "rfc5322"), |b| {
            b.iter(|| {
                samples_b
                    .iter()
                    .map(|m| ours_bodies(black_box(m)).len())
                    .sum::<usize>()
            })
        });
        g.bench_function(name("decode", "mail-parser"), |b| {
            b.iter(|| {
                samples
                    .iter()
                    .map(|m| mail_parser_bodies(black_box(m)).len())
                    .sum::<usize>()
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("decode-bodies");
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.bench_function("body-heavy/rfc5322", |b| {
        b.iter(|| ours_bodies(black_box(&big_b)))
    });
    g.bench_function("body-heavy/mail-parser", |b| {
        b.iter(|| mail_parser_bodies(black_box(&big)))
    });
    g.bench_function("body-heavy/mailparse", |b| {
        b.iter(|| mailparse_bodies(black_box(&big)))
    });
    g.finish();

    let wrapped = b64_wrapped(&noise(4 << 20, 9));
    assert_eq!(
        rfc5322::decode::base64::decode(&wrapped).0,
        noise(4 << 20, 9)
    );
    let mut g = c.benchmark_group("base64-crlf-wrapped");
    g.throughput(Throughput::Bytes(wrapped.len() as u64));
    g.bench_function("rfc5322", |b| {
        b.iter(|| rfc5322::decode::base64::decode(black_box(&wrapped)).0.len())
    });
    // A reference of the machine's state in the same run: one memchr pass counting LF over
    // the same bytes (the practical limit of any pass that looks at every byte).
    g.bench_function("reference/memchr-count-lf", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', black_box(&wrapped)).count())
    });
    // The base64 crate on the same data without line breaks (it does not skip them): a
    // reference for a tuned scalar decoder on this machine in this run.
    let unwrapped: Vec<u8> = wrapped
        .iter()
        .copied()
        .filter(|&b| b != b'\r' && b != b'\n')
        .collect();
    {
        use base64::Engine as _;
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(&unwrapped)
                .unwrap(),
            noise(4 << 20, 9)
        );
    }
    g.bench_function("reference/base64-crate-unwrapped", |b| {
        use base64::Engine as _;
        b.iter(|| {
            base64::engine::general_purpose::STANDARD
                .decode(black_box(&unwrapped))
                .unwrap()
                .len()
        })
    });
    // The same decode into a buffer kept across iterations: the decoder without the page
    // faults of a fresh multi-megabyte allocation.
    let mut buf = Vec::with_capacity(wrapped.len());
    g.bench_function("rfc5322/reused-buffer", |b| {
        b.iter(|| {
            buf.clear();
            rfc5322::decode::base64::decode_into(black_box(&wrapped), &mut buf);
            buf.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);

/// `MAIL_BENCH_ROW=` `typed-headers/rfc5322`, `typed-headers/mail-parser`, `decode/rfc5322` or
/// `decode/mail-parser` with `MAIL_BENCH_ITERS`: that row of the `mail-parser-samples` group
/// run that many times, for callgrind (see `mail_benches::count_request`).
fn main() {
    if let Some((row, iters)) = mail_benches::count_request() {
        let samples: Vec<Vec<u8>> = SMALL[..11].iter().map(|m| to_crlf(m)).collect();
        let samples_b: Vec<Bytes> = samples.iter().map(|m| Bytes::from(m.clone())).collect();
        let mp = full_parser();
        let sum = |f: &dyn Fn(usize) -> usize| (0..11).map(f).sum::<usize>();
        match row.as_str() {
            "typed-headers/rfc5322" => {
                mail_benches::repeat(iters, || sum(&|i| ours_full(black_box(&samples_b[i]))))
            }
            "typed-headers/mail-parser" => mail_benches::repeat(iters, || {
                sum(&|i| mail_parser_full(&mp, black_box(&samples[i])))
            }),
            "decode/rfc5322" => mail_benches::repeat(iters, || {
                sum(&|i| ours_bodies(black_box(&samples_b[i])).len())
            }),
            _ => mail_benches::repeat(iters, || {
                sum(&|i| mail_parser_bodies(black_box(&samples[i])).len())
            }),
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
