//! The POP3 client machine fed server bytes built from a protocol alphabet, with commands
//! issued between the pieces. The first byte picks a scripted prefix (nothing, greeting,
//! greeting and CAPA, logged in, inside a RETR body); each following byte is either an
//! alphabet token (high bit clear), a raw octet (high bit set, low 7 bits), or, for tokens
//! past the alphabet, a client call. No panic, no unbounded allocation.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use pop3_proto::MessageNumber;
use pop3_proto::{Client, ClientConfig, LoginMethod};
use proto_core::Machine;
use sasl_proto::{Credentials, FixedNonce, Mechanism};

const ALPHABET: &[&[u8]] = &[
    b"+OK",
    b"-ERR",
    b" ",
    b"\r\n",
    b"\n",
    b"\r",
    b".",
    b"..",
    b"\r\n.\r\n",
    b"+ ",
    b"+",
    b"1 ",
    b"2 100",
    b"7 1800662",
    b"[IN-USE]",
    b"[SYS/TEMP]",
    b"[AUTH]",
    b"[",
    b"]",
    b"<1896.697170952@dbc.mtview.ca.us>",
    b"TOP",
    b"USER",
    b"UIDL",
    b"STLS",
    b"PIPELINING",
    b"SASL PLAIN SCRAM-SHA-256 CRAM-MD5 LOGIN",
    b"LOGIN-DELAY 300 USER",
    b"EXPIRE NEVER",
    b"IMPLEMENTATION x",
    b"UTF8 USER",
    b"LANG",
    b"en English",
    b"cj1ueW5vbmNl",
    b"dj1wcm9vZg==",
    b"PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+",
    b"abc-uid",
    b"4294967296",
    b"0",
];

fn call(client: &mut Client, which: u8) {
    let one = MessageNumber::new(1).unwrap();
    let _ = match which % 16 {
        0 => client.send_capa(),
        1 => client.send_stls(),
        2 => client.login(Credentials::password("u", "p"), LoginMethod::Auto),
        3 => client.login(Credentials::password("u", "p"), LoginMethod::UserPass),
        4 => client.login(Credentials::password("u", "p"), LoginMethod::Apop),
        5 => client.login(
            Credentials::password("u", "p"),
            LoginMethod::Sasl(Mechanism::ScramSha256),
        ),
        6 => client.send_stat(),
        7 => client.send_list(None),
        8 => client.send_uidl(None),
        9 => client.send_retr(one),
        10 => client.send_top(one, 0),
        11 => client.send_dele(one),
        12 => client.send_list(Some(one)),
        13 => client.send_lang(None),
        14 => client.send_quit(),
        _ => client.send_noop(),
    };
}

fn drain(client: &mut Client) {
    while let Some(event) = client.poll_event() {
        if event.is_err() {
            break;
        }
    }
    let n = client.transmit().len();
    client.advance_transmit(n);
    while let Some(action) = client.poll_transport() {
        if action == proto_core::TransportAction::StartTls {
            client.tls_established(proto_core::TlsInfo::new().with_tls_exporter(vec![1; 32]));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let [prefix, rest @ ..] = data else {
        return;
    };
    let mut client = Client::new(
        ClientConfig::new()
            .with_implicit_tls(prefix & 8 != 0)
            .with_plaintext_auth(true)
            .with_nonce_source(FixedNonce("fyko+d2lbbFgONRv9qkxdawL".into())),
    );
    let script: &[&[u8]] = match prefix % 5 {
        0 => &[],
        1 => &[b"+OK ready <a@b>\r\n"],
        2 => &[
            b"+OK ready\r\n",
            b"+OK\r\nTOP\r\nUSER\r\nUIDL\r\nPIPELINING\r\nSASL PLAIN\r\n.\r\n",
        ],
        3 => &[b"+OK ready\r\n", b"+OK\r\n", b"+OK in\r\n"],
        _ => &[
            b"+OK ready\r\n",
            b"+OK\r\n",
            b"+OK in\r\n",
            b"+OK body\r\nline\r\n",
        ],
    };
    for (i, piece) in script.iter().enumerate() {
        client.receive(piece);
        drain(&mut client);
        match (prefix % 5, i) {
            (2, 0) => call(&mut client, 0),
            (3 | 4, 0) => call(&mut client, 3),
            (4, 2) => call(&mut client, 9),
            _ => {}
        }
        drain(&mut client);
    }
    for &b in rest {
        if b & 0x80 != 0 {
            client.receive(&[b & 0x7f]);
        } else if let Some(token) = ALPHABET.get(usize::from(b)) {
            client.receive(token);
        } else {
            call(&mut client, b);
        }
        drain(&mut client);
    }
    client.receive_eof();
    drain(&mut client);
});
