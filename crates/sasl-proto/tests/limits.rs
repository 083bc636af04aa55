//! Every limit at its value (accepted) and one above (refused). The README's limits table
//! names these tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use sasl_proto::codec::{CodecError, decode_challenge_with, decode_response_with};
use sasl_proto::mechanism::MechanismError;
use sasl_proto::{
    Client, ClientConfig, ClientStep, Credentials, Error, FixedNonce, Limits, Mechanism, ScramHash,
    ScramKeys, Server, ServerConfig, ServerStep, StepResponse,
};

#[test]
fn limit_max_line_len() {
    let limits = Limits::default();
    assert_eq!(limits.max_line_len, 12288);
    let at = vec![b'A'; 12288];
    assert!(matches!(
        decode_response_with(&at, &limits),
        Ok(StepResponse::Data(d)) if d.len() == 9216
    ));
    assert_eq!(decode_challenge_with(&at, &limits).unwrap().len(), 9216);
    let over = vec![b'A'; 12289];
    assert_eq!(
        decode_response_with(&over, &limits),
        Err(CodecError::TooLong {
            len: 12289,
            max: 12288
        })
    );
    assert!(matches!(
        decode_challenge_with(&over, &limits),
        Err(CodecError::TooLong { .. })
    ));
    // Configurable.
    let small = Limits::default().with_max_line_len(8);
    assert!(decode_response_with(b"QUJDREVG", &small).is_ok());
    assert!(decode_response_with(b"QUJDREVGRw==", &small).is_err());
}

#[test]
fn limit_max_message_len_server() {
    let limits = Limits::default();
    assert_eq!(limits.max_message_len, 12288);
    let email = |n: usize| {
        let mut m = b"a@".to_vec();
        m.resize(n, b'b');
        m
    };
    let mut s = Server::new(Mechanism::Anonymous, ServerConfig::default()).unwrap();
    assert!(matches!(
        s.start(Some(&email(12288))),
        ServerStep::NeedAuthorize { .. }
    ));
    let mut s = Server::new(Mechanism::Anonymous, ServerConfig::default()).unwrap();
    assert_eq!(
        s.start(Some(&email(12289))),
        ServerStep::Failure(Error::TooLong {
            len: 12289,
            max: 12288
        })
    );
    // On a later step too.
    let mut s = Server::new(Mechanism::Anonymous, ServerConfig::default()).unwrap();
    s.start(None);
    assert!(matches!(
        s.step(&email(12289)),
        ServerStep::Failure(Error::TooLong { .. })
    ));
    // Configurable.
    let cfg = ServerConfig::default().with_limits(Limits::default().with_max_message_len(10));
    let mut s = Server::new(Mechanism::Anonymous, cfg).unwrap();
    assert!(matches!(
        s.start(Some(&email(10))),
        ServerStep::NeedAuthorize { .. }
    ));
    let cfg = ServerConfig::default().with_limits(Limits::default().with_max_message_len(10));
    let mut s = Server::new(Mechanism::Anonymous, cfg).unwrap();
    assert!(matches!(
        s.start(Some(&email(11))),
        ServerStep::Failure(Error::TooLong { .. })
    ));
}

#[test]
fn limit_max_message_len_client() {
    let json = |n: usize| {
        let mut j = br#"{"status":"invalid_token","x":""#.to_vec();
        j.resize(n - 2, b'x');
        j.extend_from_slice(b"\"}");
        j
    };
    let client = || {
        let mut c = Client::new(
            Mechanism::OAuthBearer,
            Credentials::oauth("u", "t"),
            ClientConfig::default(),
        )
        .unwrap();
        c.initial_response().unwrap();
        c
    };
    assert_eq!(
        client().step(&json(12288)).unwrap(),
        ClientStep::Response(vec![1])
    );
    assert_eq!(
        client().step(&json(12289)).unwrap_err(),
        Error::TooLong {
            len: 12289,
            max: 12288
        }
    );
}

#[test]
fn limit_max_field_len() {
    assert_eq!(Limits::default().max_field_len, 255);
    let plain = |user: usize, pass: usize, authz: usize| {
        let mut m = "z".repeat(authz).into_bytes();
        m.push(0);
        m.extend("u".repeat(user).bytes());
        m.push(0);
        m.extend("p".repeat(pass).bytes());
        let mut s = Server::new(Mechanism::Plain, ServerConfig::default()).unwrap();
        s.start(Some(&m))
    };
    assert!(matches!(
        plain(255, 255, 255),
        ServerStep::NeedSecret { .. }
    ));
    for (u, p, z, field) in [
        (256, 1, 0, "authcid"),
        (1, 256, 0, "password"),
        (1, 1, 256, "authzid"),
    ] {
        assert_eq!(
            plain(u, p, z),
            ServerStep::Failure(Error::FieldTooLong {
                field,
                len: 256,
                max: 255
            })
        );
    }
    // The client refuses to send an identity over the limit.
    assert!(
        Client::new(
            Mechanism::Plain,
            Credentials::password("u".repeat(255), "p"),
            ClientConfig::default()
        )
        .is_ok()
    );
    assert!(matches!(
        Client::new(
            Mechanism::Plain,
            Credentials::password("u".repeat(256), "p"),
            ClientConfig::default()
        ),
        Err(Error::FieldTooLong { .. })
    ));
    // SCRAM user names.
    let scram = |n: usize| {
        let msg = format!("n,,n={},r=abc", "u".repeat(n));
        Server::new(
            Mechanism::ScramSha256,
            ServerConfig::default().with_nonce_source(FixedNonce("s".into())),
        )
        .unwrap()
        .start(Some(msg.as_bytes()))
    };
    assert!(matches!(scram(255), ServerStep::NeedSecret { .. }));
    assert!(matches!(
        scram(256),
        ServerStep::Failure(Error::FieldTooLong { .. })
    ));
}

fn client_iterations(i: u32, limits: Limits) -> Result<ClientStep, Error> {
    let mut c = Client::new(
        Mechanism::ScramSha1,
        Credentials::password("user", "pencil"),
        ClientConfig::default()
            .with_nonce_source(FixedNonce("abc".into()))
            .with_limits(limits),
    )
    .unwrap();
    c.initial_response().unwrap();
    c.step(format!("r=abcdef,s=QSXCR+Q6sek8bf92,i={i}").as_bytes())
}

#[test]
fn limit_max_iterations() {
    assert_eq!(Limits::default().max_iterations, 100_000);
    assert!(client_iterations(100_000, Limits::default()).is_ok());
    assert_eq!(
        client_iterations(100_001, Limits::default()).unwrap_err(),
        Error::IterationsTooHigh {
            got: 100_001,
            max: 100_000
        }
    );
    let small = Limits::default().with_max_iterations(5000);
    assert!(client_iterations(5000, small.clone()).is_ok());
    assert!(client_iterations(5001, small).is_err());
    // Key derivation honours the same ceiling.
    assert!(ScramKeys::derive("p", b"salt", 100_000, ScramHash::Sha1).is_ok());
    assert_eq!(
        ScramKeys::derive("p", b"salt", 100_001, ScramHash::Sha1).unwrap_err(),
        Error::IterationsTooHigh {
            got: 100_001,
            max: 100_000
        }
    );
}

#[test]
fn limit_min_iterations() {
    assert_eq!(Limits::default().min_iterations, 4096);
    assert!(client_iterations(4096, Limits::default()).is_ok());
    assert_eq!(
        client_iterations(4095, Limits::default()).unwrap_err(),
        Error::IterationsTooLow {
            got: 4095,
            min: 4096
        }
    );
    assert!(ScramKeys::derive("p", b"salt", 4096, ScramHash::Sha256).is_ok());
    assert_eq!(
        ScramKeys::derive("p", b"salt", 4095, ScramHash::Sha256).unwrap_err(),
        Error::IterationsTooLow {
            got: 4095,
            min: 4096
        }
    );
    let low = Limits::default().with_min_iterations(1);
    assert!(client_iterations(1, low.clone()).is_ok());
    assert!(ScramKeys::derive_with("p", b"salt", 1, ScramHash::Sha1, &low).is_ok());
}

#[test]
fn limit_anonymous_trace_255_characters() {
    let run = |t: String| {
        Server::new(Mechanism::Anonymous, ServerConfig::default())
            .unwrap()
            .start(Some(t.as_bytes()))
    };
    assert!(matches!(
        run("€".repeat(255)),
        ServerStep::NeedAuthorize { .. }
    ));
    assert!(matches!(
        run("€".repeat(256)),
        ServerStep::Failure(Error::FieldTooLong { .. })
    ));
}

#[test]
fn limit_mechanism_name_20_characters() {
    assert!(Mechanism::parse(&"A".repeat(20)).is_ok());
    assert_eq!(
        Mechanism::parse(&"A".repeat(21)),
        Err(MechanismError::TooLong)
    );
}
