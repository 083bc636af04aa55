//! The client machine fed arbitrary server replies in arbitrary chunks, started from a
//! scripted prefix (ready after EHLO, inside a transaction, inside DATA, inside AUTH). Octets
//! from 0xE0 up stand for whole reply lines (the alphabet below); other octets of the input
//! drive the client's API. No panic, no unbounded allocation.

#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mail_fuzz::chunks;
use proto_core::Machine;
use sasl_proto::{Credentials, FixedNonce};
use smtp_proto::{Client, ClientConfig, MessageDeclaration, TlsPolicy};
use smtp_proto::{Command, ForwardPath, MailParameters, Mailbox, ReversePath};

const ALPHABET: [&[u8]; 20] = [
    b"\r\n",
    b"\n",
    b"220 ready\r\n",
    b"250 ok\r\n",
    b"250-x\r\n",
    b"250 PIPELINING\r\n",
    b"250-CHUNKING\r\n",
    b"250-AUTH PLAIN SCRAM-SHA-256\r\n",
    b"354 go\r\n",
    b"334 \r\n",
    b"334 cj1jbGllbnQtbm9uY2VzZXJ2ZXIscz1jMkZzZEE9PSxpPTQwOTY=\r\n",
    b"235 ok\r\n",
    b"421 bye\r\n",
    b"450 later\r\n",
    b"550 5.1.1 no\r\n",
    b"221 bye\r\n",
    b"500 what\r\n",
    b"250-SIZE 10\r\n",
    b"250 STARTTLS\r\n",
    b"220 2.0.0 go\r\n",
];

const PREFIXES: [&[u8]; 4] = [
    b"220 x\r\n250-x\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN SCRAM-SHA-256\r\n",
    b"220 x\r\n250-x\r\n250-PIPELINING\r\n250-CHUNKING\r\n250-BINARYMIME\r\n250 DSN\r\n",
    b"220 x\r\n250 x\r\n",
    b"220 x\r\n250-x\r\n250 STARTTLS\r\n",
];

fn expand(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() * 2);
    for &b in data {
        if b >= 0xE0 {
            out.extend_from_slice(ALPHABET[usize::from(b - 0xE0) % ALPHABET.len()]);
        } else {
            out.push(b);
        }
    }
    out
}

fn act(client: &mut Client, op: u8) {
    let mb = |s: &'static str| Mailbox::parse(s).expect("mailbox");
    let _ = match op % 12 {
        0 => client
            .mail_from(
                ReversePath::Mailbox(mb("a@b.c")),
                MessageDeclaration::new(),
                MailParameters::new(),
            )
            .map(|_| ()),
        1 => client
            .mail_from(
                ReversePath::Null,
                MessageDeclaration::new().with_binary(true).with_size(5),
                MailParameters::new(),
            )
            .map(|_| ()),
        2 => client
            .rcpt_to(ForwardPath::Mailbox(mb("d@e.f")), Default::default())
            .map(|_| ()),
        3 => client.start_body().map(|_| ()),
        4 => client.write_body(b"line\n.dot\r\n").map(|_| ()),
        5 => client.finish_body().map(|_| ()),
        6 => client.rset().map(|_| ()),
        7 => client.quit().map(|_| ()),
        8 => client.simple(Command::Noop(None)).map(|_| ()),
        9 => client
            .authenticate(
                Credentials::password("user", "pencil"),
                sasl_proto::ClientConfig::default()
                    .with_nonce_source(FixedNonce("client-nonce".into())),
            )
            .map(|_| ()),
        10 => client.write_body(&[0x80, 0, b'\r']).map(|_| ()),
        _ => Ok(()),
    };
}

fuzz_target!(|data: &[u8]| {
    let [pick, flags, ops @ .., _] = data else {
        return;
    };
    let ops = &ops[..ops.len().min(6)];
    let body = &data[2 + ops.len()..];
    let config = ClientConfig::default()
        .with_tls(if flags & 1 != 0 {
            TlsPolicy::Opportunistic
        } else {
            TlsPolicy::Never
        })
        .with_plaintext_auth(flags & 2 != 0)
        .with_lmtp(flags & 4 != 0)
        .with_chunking(flags & 8 != 0)
        .with_body_high_water(usize::from(*flags) * 16 + 1);
    let now = Instant::now();
    let mut client = Client::new(config, now);
    client.receive(PREFIXES[usize::from(*pick) % PREFIXES.len()]);
    let mut op = ops.iter().copied().cycle();
    let input = expand(body);
    let sizes: Vec<u8> = ops.iter().map(|b| b | 1).collect();
    for (i, chunk) in chunks(&input, &sizes).enumerate() {
        client.receive(chunk);
        client.input_arrived(now + Duration::from_secs(i as u64));
        let mut rounds = 0;
        while let Some(_event) = client.poll_event() {
            rounds += 1;
            assert!(rounds < 100_000);
            if let Some(o) = op.next() {
                act(&mut client, o);
            }
        }
        if let Some(o) = op.next() {
            act(&mut client, o);
        }
        let n = client.transmit().len();
        client.advance_transmit(n);
        while client.poll_transport().is_some() {}
    }
    client.handle_timeout(now + Duration::from_secs(1200));
    client.receive_eof();
    while client.poll_event().is_some() {}
});
