//! Known-answer tests from the RFC examples, cited by section. Each asserts the exact bytes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sasl_proto::codec::{decode_challenge, decode_response, encode};
use sasl_proto::store::resolve;
use sasl_proto::{
    Client, ClientConfig, ClientStep, Credentials, Error, FixedNonce, Mechanism, MemoryStore,
    ScramHash, ScramKeys, Secret, Server, ServerConfig, ServerStep, StepResponse, StoredSecret,
    TokenVerdict,
};

fn b64(s: &str) -> Vec<u8> {
    STANDARD.decode(s).unwrap()
}

fn response(step: ClientStep) -> Vec<u8> {
    match step {
        ClientStep::Response(r) => r,
        other => panic!("expected a response, got {other:?}"),
    }
}

fn challenge(step: ServerStep) -> Vec<u8> {
    match step {
        ServerStep::Challenge(c) => c,
        other => panic!("expected a challenge, got {other:?}"),
    }
}

// RFC 4616 section 4, first example.
#[test]
fn rfc4616_plain_tim() {
    let mut client = Client::new(
        Mechanism::Plain,
        Credentials::password("tim", "tanstaaftanstaaf"),
        ClientConfig::default(),
    )
    .unwrap();
    let ir = client.initial_response().unwrap().unwrap();
    assert_eq!(ir, b"\0tim\0tanstaaftanstaaf");
    assert_eq!(ir.len(), 21); // the example's {21} literal

    let mut server = Server::new(Mechanism::Plain, ServerConfig::default()).unwrap();
    assert_eq!(
        server.start(Some(&ir)),
        ServerStep::NeedSecret {
            mechanism: Mechanism::Plain,
            authcid: "tim".into(),
            authzid: None,
        }
    );
    let step = server.provide_secret(Some(StoredSecret::Password(Secret::new(
        "tanstaaftanstaaf",
    ))));
    assert_eq!(
        step,
        ServerStep::NeedAuthorize {
            authcid: "tim".into(),
            authzid: None
        }
    );
    assert_eq!(
        server.authorize(true),
        ServerStep::Success {
            authcid: "tim".into(),
            authzid: None,
            additional_data: None
        }
    );
    client.finish(None).unwrap();
}

// RFC 4616 section 4, second example: Kurt asks to act as Ursel and is refused.
#[test]
fn rfc4616_plain_ursel_kurt() {
    let mut client = Client::new(
        Mechanism::Plain,
        Credentials::password("Kurt", "xipj3plmq").with_authzid("Ursel"),
        ClientConfig::default(),
    )
    .unwrap();
    let ir = client.initial_response().unwrap().unwrap();
    assert_eq!(ir, b"Ursel\0Kurt\0xipj3plmq");
    assert_eq!(ir.len(), 20); // {20+}

    let mut store = MemoryStore::new();
    store.add_password("Kurt", "xipj3plmq");
    let mut server = Server::new(Mechanism::Plain, ServerConfig::default()).unwrap();
    let step = server.start(Some(&ir));
    assert_eq!(
        resolve(&mut server, step, &store),
        ServerStep::Failure(Error::NotAuthorized)
    );
}

const CRAM_CHALLENGE_B64: &str = "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+";
const CRAM_RESPONSE_B64: &str = "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw";

// RFC 2195 section 2.
#[test]
fn rfc2195_cram_md5_client() {
    let mut client = Client::new(
        Mechanism::CramMd5,
        Credentials::password("tim", "tanstaaftanstaaf"),
        ClientConfig::default(),
    )
    .unwrap();
    assert_eq!(client.initial_response().unwrap(), None);
    let c = decode_challenge(CRAM_CHALLENGE_B64.as_bytes()).unwrap();
    assert_eq!(c, b"<1896.697170952@postoffice.reston.mci.net>");
    let r = response(client.step(&c).unwrap());
    assert_eq!(r, b"tim b913a602c7eda7a495b4e6e7334d3890");
    assert_eq!(encode(&r), CRAM_RESPONSE_B64.as_bytes());
}

// RFC 2195 section 2, server side: the fixed nonce reproduces the example's challenge.
#[test]
fn rfc2195_cram_md5_server() {
    let config = ServerConfig::default()
        .with_nonce_source(FixedNonce("1896.697170952".into()))
        .with_hostname("postoffice.reston.mci.net");
    let mut server = Server::new(Mechanism::CramMd5, config).unwrap();
    let c = challenge(server.start(None));
    assert_eq!(encode(&c), CRAM_CHALLENGE_B64.as_bytes());
    let StepResponse::Data(r) = decode_response(CRAM_RESPONSE_B64.as_bytes()).unwrap() else {
        panic!("cancel")
    };
    assert_eq!(
        server.step(&r),
        ServerStep::NeedSecret {
            mechanism: Mechanism::CramMd5,
            authcid: "tim".into(),
            authzid: None
        }
    );
    assert!(matches!(
        server.provide_secret(Some(StoredSecret::Password("tanstaaftanstaaf".into()))),
        ServerStep::NeedAuthorize { .. }
    ));
}

struct ScramExample {
    mechanism: Mechanism,
    hash: ScramHash,
    client_nonce: &'static str,
    server_nonce: &'static str,
    salt: &'static str,
    client_first: &'static str,
    server_first: &'static str,
    client_final: &'static str,
    server_final: &'static str,
}

// RFC 5802 section 5.
const RFC5802: ScramExample = ScramExample {
    mechanism: Mechanism::ScramSha1,
    hash: ScramHash::Sha1,
    client_nonce: "fyko+d2lbbFgONRv9qkxdawL",
    server_nonce: "3rfcNHYJY1ZVvWVs7j",
    salt: "QSXCR+Q6sek8bf92",
    client_first: "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
    server_first: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
    client_final: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
    server_final: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
};

// RFC 7677 section 3.
const RFC7677: ScramExample = ScramExample {
    mechanism: Mechanism::ScramSha256,
    hash: ScramHash::Sha256,
    client_nonce: "rOprNGfwEbeRWgbNEkqO",
    server_nonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    salt: "W22ZaJ0SNY7soEsUEjb6gQ==",
    client_first: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
    server_first: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    client_final: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    server_final: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

fn scram_client(ex: &ScramExample) {
    let config = ClientConfig::default().with_nonce_source(FixedNonce(ex.client_nonce.into()));
    let mut client = Client::new(
        ex.mechanism.clone(),
        Credentials::password("user", "pencil"),
        config,
    )
    .unwrap();
    let first = client.initial_response().unwrap().unwrap();
    assert_eq!(std::str::from_utf8(&first).unwrap(), ex.client_first);
    let fin = response(client.step(ex.server_first.as_bytes()).unwrap());
    assert_eq!(std::str::from_utf8(&fin).unwrap(), ex.client_final);
    assert!(!client.is_complete());
    assert_eq!(
        client.step(ex.server_final.as_bytes()).unwrap(),
        ClientStep::Done
    );
    assert!(client.is_complete());
    client.finish(None).unwrap();
}

fn scram_server(ex: &ScramExample) {
    let config = ServerConfig::default().with_nonce_source(FixedNonce(ex.server_nonce.into()));
    let mut server = Server::new(ex.mechanism.clone(), config).unwrap();
    assert_eq!(
        server.start(Some(ex.client_first.as_bytes())),
        ServerStep::NeedSecret {
            mechanism: ex.mechanism.clone(),
            authcid: "user".into(),
            authzid: None
        }
    );
    let keys = ScramKeys::derive("pencil", &b64(ex.salt), 4096, ex.hash).unwrap();
    let sf = challenge(server.provide_secret(Some(StoredSecret::Scram(keys))));
    assert_eq!(std::str::from_utf8(&sf).unwrap(), ex.server_first);
    assert_eq!(
        server.step(ex.client_final.as_bytes()),
        ServerStep::NeedAuthorize {
            authcid: "user".into(),
            authzid: None
        }
    );
    assert_eq!(
        server.authorize(true),
        ServerStep::Success {
            authcid: "user".into(),
            authzid: None,
            additional_data: Some(ex.server_final.as_bytes().to_vec())
        }
    );
}

#[test]
fn rfc5802_scram_sha1_client() {
    scram_client(&RFC5802);
}

#[test]
fn rfc5802_scram_sha1_server() {
    scram_server(&RFC5802);
}

#[test]
fn rfc7677_scram_sha256_client() {
    scram_client(&RFC7677);
}

#[test]
fn rfc7677_scram_sha256_server() {
    scram_server(&RFC7677);
}

// The server-final delivered as additional data with success (RFC 4422 section 3.6).
#[test]
fn rfc7677_server_final_as_additional_data() {
    let ex = &RFC7677;
    let config = ClientConfig::default().with_nonce_source(FixedNonce(ex.client_nonce.into()));
    let mut client = Client::new(
        ex.mechanism.clone(),
        Credentials::password("user", "pencil"),
        config,
    )
    .unwrap();
    client.initial_response().unwrap();
    client.step(ex.server_first.as_bytes()).unwrap();
    client.finish(Some(ex.server_final.as_bytes())).unwrap();
}

const OAUTH_TOKEN: &str = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==";

// RFC 7628 section 4.1 (IMAP, port 143) and the SMTP variant (port 587).
#[test]
fn rfc7628_oauthbearer_success() {
    for (port, expected) in [
        (
            143,
            "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB",
        ),
        (
            587,
            "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9NTg3AWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB",
        ),
    ] {
        let creds = Credentials::oauth("user@example.com", OAUTH_TOKEN)
            .with_host_port("server.example.com", port);
        let mut client =
            Client::new(Mechanism::OAuthBearer, creds, ClientConfig::default()).unwrap();
        let ir = client.initial_response().unwrap().unwrap();
        assert_eq!(encode(&ir), expected.as_bytes());

        let mut server = Server::new(Mechanism::OAuthBearer, ServerConfig::default()).unwrap();
        assert_eq!(
            server.start(Some(&ir)),
            ServerStep::NeedToken {
                mechanism: Mechanism::OAuthBearer,
                user: Some("user@example.com".into()),
                token: Secret::new(OAUTH_TOKEN),
                host: Some("server.example.com".into()),
                port: Some(port),
            }
        );
        assert_eq!(
            server.provide_token(TokenVerdict::Valid {
                authcid: "user@example.com".into()
            }),
            ServerStep::NeedAuthorize {
                authcid: "user@example.com".into(),
                authzid: Some("user@example.com".into())
            }
        );
        client.finish(None).unwrap();
    }
}

const RFC7628_ERROR_B64: &str = "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=";

// RFC 7628 section 4.3: the empty auth query, the JSON error challenge and the dummy "AQ==".
#[test]
fn rfc7628_failed_exchange() {
    let ir =
        b64("bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9AQE=");
    assert_eq!(
        ir,
        b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=\x01\x01"
    );
    let json = String::from_utf8(b64(RFC7628_ERROR_B64)).unwrap();

    let mut server = Server::new(Mechanism::OAuthBearer, ServerConfig::default()).unwrap();
    let ServerStep::NeedToken { token, .. } = server.start(Some(&ir)) else {
        panic!("expected NeedToken")
    };
    assert!(token.is_empty());
    let c = challenge(server.provide_token(TokenVerdict::Invalid { json: json.clone() }));
    assert_eq!(encode(&c), RFC7628_ERROR_B64.as_bytes());

    let creds =
        Credentials::oauth("user@example.com", "expired").with_host_port("server.example.com", 143);
    let mut client = Client::new(Mechanism::OAuthBearer, creds, ClientConfig::default()).unwrap();
    client.initial_response().unwrap();
    let dummy = response(client.step(&c).unwrap());
    assert_eq!(encode(&dummy), b"AQ==");
    let err = client.oauth_error().unwrap();
    assert_eq!(err.status.as_deref(), Some("invalid_token"));
    assert_eq!(err.scope.as_deref(), Some("example_scope"));
    assert_eq!(
        err.openid_configuration.as_deref(),
        Some("https://example.com/.well-known/openid-configuration")
    );
    assert_eq!(
        server.step(&dummy),
        ServerStep::Failure(Error::OAuth {
            status: Some("invalid_token".into()),
            json
        })
    );
    assert!(matches!(client.finish(None), Err(Error::OAuth { .. })));
}

// RFC 7628 section 4.4: its initial response has "n,user=...," where the gs2 header allows
// only "a=" (a known erratum), so a strict server refuses it; the error JSON still parses.
#[test]
fn rfc7628_smtp_failed_negotiation() {
    let ir = b64(
        "bix1c2VyPXNvbWV1c2VyQGV4YW1wbGUuY29tLAFhdXRoPUJlYXJlciB2RjlkZnQ0cW1UYzJOdmIzUmxja0JoZEhSaGRtbHpkR0V1WTI5dENnPT0BAQ==",
    );
    assert!(ir.starts_with(b"n,user=someuser@example.com,\x01auth=Bearer "));
    let mut server = Server::new(Mechanism::OAuthBearer, ServerConfig::default()).unwrap();
    assert_eq!(
        server.start(Some(&ir)),
        ServerStep::Failure(Error::Malformed("invalid gs2 authzid"))
    );

    let c = b64(
        "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NoZW1lcyI6ImJlYXJlciBtYWMiLCJzY29wZSI6Imh0dHBzOi8vbWFpbC5leGFtcGxlLmNvbS8ifQ==",
    );
    let mut client = Client::new(
        Mechanism::OAuthBearer,
        Credentials::oauth("someuser@example.com", "t"),
        ClientConfig::default(),
    )
    .unwrap();
    client.initial_response().unwrap();
    assert_eq!(response(client.step(&c).unwrap()), b"\x01");
    assert_eq!(
        client.oauth_error().unwrap().scope.as_deref(),
        Some("https://mail.example.com/")
    );
}

// RFC 4505 section 4: trace "sirhc" after an empty challenge.
#[test]
fn rfc4505_anonymous() {
    let mut client = Client::new(
        Mechanism::Anonymous,
        Credentials::anonymous(Some("sirhc".into())),
        ClientConfig::default(),
    )
    .unwrap();
    let mut server = Server::new(Mechanism::Anonymous, ServerConfig::default()).unwrap();
    assert_eq!(challenge(server.start(None)), b"");
    let r = response(client.step(b"").unwrap());
    assert_eq!(encode(&r), b"c2lyaGM=");
    assert_eq!(
        server.step(&r),
        ServerStep::NeedAuthorize {
            authcid: "anonymous".into(),
            authzid: None
        }
    );
    assert_eq!(server.trace(), Some("sirhc"));
}

// RFC 1939 section 7: the APOP digest.
#[test]
fn rfc1939_apop() {
    assert_eq!(
        sasl_proto::md5::apop_digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf"),
        "c4c9334bac560ecc979e58001b3e22fb"
    );
}
