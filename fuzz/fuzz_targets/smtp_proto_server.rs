//! The server machine started from a scripted prefix (after EHLO, inside DATA, inside BDAT,
//! inside AUTH), then fed arbitrary bytes in arbitrary chunks. Octets from 0xE0 up stand for
//! whole protocol tokens (the alphabet below); decisions are accepted or rejected by a bit of
//! the input. No panic, no unbounded allocation, replies only ever start with a digit.

#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mail_fuzz::chunks;
use proto_core::{BareLineEnding, Machine};
use sasl_proto::{FixedNonce, MemoryStore};
use smtp_proto::Limits;
use smtp_proto::{ServerEvent, Server, ServerConfig};
use smtp_proto::{Reply, ReplyCode};

const ALPHABET: [&[u8]; 24] = [
    b"\r\n",
    b"\r\n.\r\n",
    b"\n.\n",
    b"\r.\r",
    b"EHLO x\r\n",
    b"HELO x\r\n",
    b"LHLO x\r\n",
    b"MAIL FROM:<a@b.c>\r\n",
    b"MAIL FROM:<> SIZE=99 BODY=8BITMIME\r\n",
    b"RCPT TO:<d@e.f>\r\n",
    b"RCPT TO:<d@e.f> NOTIFY=NEVER\r\n",
    b"DATA\r\n",
    b"BDAT 5\r\n",
    b"BDAT 3 LAST\r\n",
    b"BDAT 99999999999999 LAST\r\n",
    b"RSET\r\n",
    b"NOOP\r\n",
    b"QUIT\r\n",
    b"STARTTLS\r\n",
    b"AUTH PLAIN\r\n",
    b"AUTH PLAIN AHRlc3QAMTIzNA==\r\n",
    b"AUTH LOGIN\r\n",
    b"*\r\n",
    b"dGVzdA==\r\n",
];

const PREFIXES: [&[u8]; 4] = [
    b"EHLO client\r\n",
    b"EHLO client\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n",
    b"EHLO client\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nBDAT 40\r\n",
    b"EHLO client\r\nAUTH PLAIN\r\n",
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

fn drain(server: &mut Server, yes: &mut impl Iterator<Item = bool>, store: &MemoryStore) {
    let mut rounds = 0;
    while let Some(event) = server.poll_event() {
        rounds += 1;
        assert!(rounds < 100_000, "event loop does not end");
        let Ok(event) = event else { continue };
        let accept = yes.next().unwrap_or(true);
        let no = Reply::new(ReplyCode::MAILBOX_UNAVAILABLE, None, "no").expect("reply");
        let answer = |server: &mut Server, d| {
            if accept {
                server.accept(d)
            } else {
                server.reject(d, no.clone())
            }
        };
        let _ = match event {
            ServerEvent::Connected { decision }
            | ServerEvent::MailFrom { decision, .. }
            | ServerEvent::RcptTo { decision, .. }
            | ServerEvent::DataEnd { decision, .. }
            | ServerEvent::AuthIdentity { decision, .. } => answer(server, decision),
            ServerEvent::Hello {
                decision: Some(d), ..
            } => answer(server, d),
            ServerEvent::AuthSecret {
                mechanism,
                authcid,
                decision,
                ..
            } => {
                let secret = sasl_proto::CredentialStore::secret(store, &mechanism, &authcid);
                server.provide_secret(decision, secret)
            }
            ServerEvent::AuthToken { decision, .. } => server.provide_token(
                decision,
                sasl_proto::TokenVerdict::Invalid { json: "{}".into() },
            ),
            _ => Ok(()),
        };
        let out = server.transmit().to_vec();
        if let Some(first) = out.first() {
            assert!(first.is_ascii_digit(), "reply starts with {first:#x}");
        }
        server.advance_transmit(out.len());
        while server.poll_transport().is_some() {}
    }
}

fuzz_target!(|data: &[u8]| {
    let [pick, flags, sizes @ .., _] = data else {
        return;
    };
    let sizes = &sizes[..sizes.len().min(8)];
    let body = &data[2 + sizes.len()..];
    let mut store = MemoryStore::new();
    store.add_password("test", "1234");
    let limits = Limits::default()
        .with_max_message_size(if flags & 1 != 0 { 64 } else { 1 << 20 })
        .with_max_recipients(usize::from(flags >> 4) + 1)
        .with_max_errors(usize::from(flags >> 1 & 7) + 1);
    let config = ServerConfig::default()
        .with_hostname("fuzz.example".into())
        .with_limits(limits)
        .with_lmtp(flags & 0x80 != 0 && pick & 4 != 0)
        .with_plaintext_auth(true)
        .with_decide_hello(flags & 0x40 != 0)
        .with_bare_line_endings(if flags & 0x20 != 0 {
            BareLineEnding::Normalize
        } else {
            BareLineEnding::Reject
        })
        .with_sasl(std::sync::Arc::new(|| {
            sasl_proto::ServerConfig::default().with_nonce_source(FixedNonce("n".into()))
        }));
    let now = Instant::now();
    let mut server = Server::new(config, now);
    let mut yes = data.iter().map(|b| b & 1 == 0).cycle();
    let prefix = PREFIXES[usize::from(*pick) % PREFIXES.len()];
    let prefix = if config_is_lmtp(*pick, *flags) {
        lmtp(prefix)
    } else {
        prefix.to_vec()
    };
    server.receive(&prefix);
    drain(&mut server, &mut yes, &store);
    let input = expand(body);
    for (i, chunk) in chunks(&input, sizes).enumerate() {
        server.receive(chunk);
        server.input_arrived(now + Duration::from_secs(i as u64));
        drain(&mut server, &mut yes, &store);
    }
    server.handle_timeout(now + Duration::from_secs(600));
    server.receive_eof();
    drain(&mut server, &mut yes, &store);
});

fn config_is_lmtp(pick: u8, flags: u8) -> bool {
    flags & 0x80 != 0 && pick & 4 != 0
}

fn lmtp(prefix: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(prefix).replace("EHLO", "LHLO");
    text.into_bytes()
}
