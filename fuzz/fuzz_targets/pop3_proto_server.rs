//! The POP3 server machine fed client bytes built from a protocol alphabet, with the
//! application answering every decision (logins accepted or refused by a byte of the input,
//! messages streamed, updates applied). The first byte picks a scripted prefix (nothing,
//! logged in, after STLS, inside a SASL exchange) and options; each following byte is an
//! alphabet token (high bit clear) or a raw octet (high bit set, low 7 bits). No panic, no
//! unbounded allocation, and the UPDATE decision never comes without a QUIT.

#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use pop3_proto::{LoginRefusal, MaildropEntry, Server, ServerConfig, ServerEvent};
use proto_core::Machine;
use sasl_proto::{FixedNonce, MemoryStore};

const ALPHABET: &[&[u8]] = &[
    b"USER ",
    b"PASS ",
    b"APOP ",
    b"STAT",
    b"LIST",
    b"RETR",
    b"DELE",
    b"NOOP",
    b"RSET",
    b"QUIT",
    b"TOP",
    b"UIDL",
    b"CAPA",
    b"STLS",
    b"AUTH",
    b"UTF8",
    b"LANG",
    b"LAST",
    b" ",
    b"\r\n",
    b"\n",
    b"\r",
    b"1",
    b"2",
    b"0",
    b" 1",
    b" 2 0",
    b"4294967296",
    b"PLAIN",
    b"SCRAM-SHA-256",
    b"CRAM-MD5",
    b"LOGIN",
    b"dGVzdAB0ZXN0AHRlc3Q=",
    b"AHRpbQB0YW5zdGFhZnRhbnN0YWFm",
    b"=",
    b"*",
    b"mrose",
    b"c4c9334bac560ecc979e58001b3e22fb",
    b"tanstaaftanstaaf",
    b"en",
    b"*",
];

const MESSAGE: &[u8] = b"Subject: x\r\n\r\n.dot\r\nline\nlast";

fuzz_target!(|data: &[u8]| {
    let [prefix, rest @ ..] = data else {
        return;
    };
    let now = Instant::now();
    let mut config = ServerConfig::new()
        .with_apop_timestamp("<1896.697170952@dbc.mtview.ca.us>")
        .with_plaintext_auth(prefix & 4 != 0)
        .with_utf8(true)
        .with_languages(vec![("en".into(), "English".into())])
        .with_nonce_source(FixedNonce("3rfcNHYJY1ZVvWVs7j".into()));
    if prefix & 8 != 0 {
        config = config.with_implicit_tls(true);
    }
    let mut server = Server::new(config, now);
    let mut store = MemoryStore::new();
    store.add_password("tim", "tanstaaftanstaaf");
    store.add_password("test", "test");
    let mut quits = 0usize;
    let mut refuse = prefix & 16 != 0;

    let script: &[&[u8]] = match prefix % 4 {
        0 => &[],
        1 => &[b"USER tim\r\n", b"PASS tanstaaftanstaaf\r\n"],
        2 => &[b"STLS\r\n"],
        _ => &[b"AUTH PLAIN\r\n"],
    };
    let feed = |server: &mut Server, bytes: &[u8], quits: &mut usize, refuse: &mut bool| {
        if bytes.windows(4).any(|w| w.eq_ignore_ascii_case(b"QUIT")) {
            *quits += 1;
        }
        server.receive(bytes);
        loop {
            let mut progress = false;
            while let Some(event) = server.poll_event() {
                progress = true;
                let Ok(event) = event else { break };
                match event {
                    ServerEvent::Login { decision, .. } => {
                        if *refuse {
                            *refuse = false;
                            let _ = server.reject_login(decision, LoginRefusal::InUse);
                        } else {
                            let _ = server.accept_login(
                                decision,
                                vec![MaildropEntry::new(40, "a"), MaildropEntry::new(12, "b")],
                            );
                        }
                    }
                    ServerEvent::SaslQuestion { question, decision } => {
                        let _ = server.answer_sasl_with(decision, &question, &store);
                    }
                    ServerEvent::Retrieve { decision, .. } => {
                        let _ = server.accept_retrieve(decision);
                        for chunk in MESSAGE.chunks(5) {
                            let _ = server.write_body(chunk);
                        }
                        let _ = server.finish_body();
                    }
                    ServerEvent::Update { decision, .. } => {
                        assert!(*quits > 0, "UPDATE without QUIT");
                        let _ = server.accept_update(decision, None);
                    }
                    _ => {}
                }
            }
            let n = server.transmit().len();
            if n > 0 {
                progress = true;
                server.advance_transmit(n);
            }
            while let Some(action) = server.poll_transport() {
                progress = true;
                if action == proto_core::TransportAction::StartTls {
                    server
                        .tls_established(proto_core::TlsInfo::new().with_tls_exporter(vec![1; 32]));
                }
            }
            if !progress {
                break;
            }
        }
    };
    for piece in script {
        feed(&mut server, piece, &mut quits, &mut refuse);
    }
    for &b in rest {
        if b & 0x80 != 0 {
            feed(&mut server, &[b & 0x7f], &mut quits, &mut refuse);
        } else if let Some(token) = ALPHABET.get(usize::from(b)) {
            feed(&mut server, token, &mut quits, &mut refuse);
        } else {
            let at = now + Duration::from_secs(u64::from(b) * 60);
            server.input_arrived(at);
            server.handle_timeout(at);
            feed(&mut server, b"", &mut quits, &mut refuse);
        }
    }
    server.receive_eof();
    feed(&mut server, b"", &mut quits, &mut refuse);
});
