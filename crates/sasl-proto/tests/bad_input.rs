//! Hostile and broken input: each case gives a typed error, never a panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use sasl_proto::{
    Client, ClientConfig, ClientStep, Credentials, Error, FixedNonce, Mechanism, ScramHash,
    ScramKeys, Secret, Server, ServerConfig, ServerStep, StoredSecret,
};

const CNONCE: &str = "fyko+d2lbbFgONRv9qkxdawL";
const SNONCE: &str = "3rfcNHYJY1ZVvWVs7j";
const CLIENT_FIRST: &str = "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL";
const SERVER_FIRST: &str = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";
const CLIENT_FINAL: &str =
    "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=";
const SERVER_FINAL: &str = "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=";

fn scram_client() -> Client {
    Client::new(
        Mechanism::ScramSha1,
        Credentials::password("user", "pencil"),
        ClientConfig::default().with_nonce_source(FixedNonce(CNONCE.into())),
    )
    .unwrap()
}

/// A client that has sent its first message.
fn client_after_first() -> Client {
    let mut c = scram_client();
    c.initial_response().unwrap();
    c
}

fn client_step_err(challenge: &str) -> Error {
    client_after_first().step(challenge.as_bytes()).unwrap_err()
}

fn keys() -> ScramKeys {
    use base64::Engine as _;
    let salt = base64::engine::general_purpose::STANDARD
        .decode("QSXCR+Q6sek8bf92")
        .unwrap();
    ScramKeys::derive("pencil", &salt, 4096, ScramHash::Sha1).unwrap()
}

/// A server that has sent its server-first message.
fn server_after_first(nonce: &str) -> Server {
    let mut s = Server::new(
        Mechanism::ScramSha1,
        ServerConfig::default().with_nonce_source(FixedNonce(nonce.into())),
    )
    .unwrap();
    assert!(matches!(
        s.start(Some(CLIENT_FIRST.as_bytes())),
        ServerStep::NeedSecret { .. }
    ));
    assert!(matches!(
        s.provide_secret(Some(StoredSecret::Scram(keys()))),
        ServerStep::Challenge(_)
    ));
    s
}

fn scram_server_start(msg: &[u8]) -> ServerStep {
    Server::new(
        Mechanism::ScramSha256,
        ServerConfig::default().with_nonce_source(FixedNonce(SNONCE.into())),
    )
    .unwrap()
    .start(Some(msg))
}

#[test]
fn scram_client_wrong_and_reused_nonces() {
    // The server's nonce does not continue ours.
    assert_eq!(
        client_step_err("r=XXXX+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096"),
        Error::NonceMismatch
    );
    // The server echoes our nonce without its own part.
    assert_eq!(
        client_step_err("r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096"),
        Error::NonceNotExtended
    );
}

#[test]
fn scram_server_wrong_and_replayed_nonces() {
    // A client-final replayed from an earlier exchange with another server nonce.
    assert_eq!(
        server_after_first("anotherServerNonce").step(CLIENT_FINAL.as_bytes()),
        ServerStep::Failure(Error::NonceMismatch)
    );
    // A client-final that uses only the client nonce.
    assert_eq!(
        server_after_first(SNONCE)
            .step(b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="),
        ServerStep::Failure(Error::NonceMismatch)
    );
}

#[test]
fn scram_server_nonce_source_must_be_printable() {
    let mut s = Server::new(
        Mechanism::ScramSha1,
        ServerConfig::default().with_nonce_source(FixedNonce("a,b".into())),
    )
    .unwrap();
    s.start(Some(CLIENT_FIRST.as_bytes()));
    assert_eq!(
        s.provide_secret(Some(StoredSecret::Scram(keys()))),
        ServerStep::Failure(Error::InvalidNonce)
    );
    let mut c = Client::new(
        Mechanism::ScramSha1,
        Credentials::password("user", "pencil"),
        ClientConfig::default().with_nonce_source(FixedNonce(String::new())),
    )
    .unwrap();
    assert_eq!(c.initial_response().unwrap_err(), Error::InvalidNonce);
}

#[test]
fn scram_reordered_and_truncated_exchange() {
    // The server-final where the server-first belongs.
    assert_eq!(
        client_step_err(SERVER_FINAL),
        Error::Malformed("missing nonce")
    );
    // Attributes out of order.
    assert_eq!(
        client_step_err("s=QSXCR+Q6sek8bf92,r=fyko+d2lbbFgONRv9qkxdawL3rfc,i=4096"),
        Error::Malformed("missing nonce")
    );
    // Truncated server-first.
    assert_eq!(
        client_step_err("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92"),
        Error::Malformed("missing iteration count")
    );
    // The client-first again where the client-final belongs.
    assert_eq!(
        server_after_first(SNONCE).step(CLIENT_FIRST.as_bytes()),
        ServerStep::Failure(Error::Malformed("missing proof"))
    );
    // Final message without proof / with attributes swapped.
    assert_eq!(
        server_after_first(SNONCE).step(b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j"),
        ServerStep::Failure(Error::Malformed("missing proof"))
    );
    assert_eq!(
        server_after_first(SNONCE).step(
            b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,c=biws,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
        ),
        ServerStep::Failure(Error::Malformed("missing channel binding"))
    );
    // Success reported before the server-final: the server never proved itself.
    let mut c = client_after_first();
    c.step(SERVER_FIRST.as_bytes()).unwrap();
    assert_eq!(c.finish(None).unwrap_err(), Error::ServerSignatureMissing);
    let mut c = client_after_first();
    assert_eq!(c.finish(None).unwrap_err(), Error::ServerSignatureMissing);
    // A message after the end.
    let mut c = client_after_first();
    c.step(SERVER_FIRST.as_bytes()).unwrap();
    assert_eq!(c.step(SERVER_FINAL.as_bytes()).unwrap(), ClientStep::Done);
    assert_eq!(c.step(b"r=x").unwrap_err(), Error::UnexpectedMessage);
}

#[test]
fn scram_wrong_or_missing_server_signature() {
    for (final_msg, err) in [
        (
            "v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            Error::ServerSignatureMismatch,
        ),
        (
            "v=rmF9pqV8S7suAoZWja4dJRkFsKA=",
            Error::ServerSignatureMismatch,
        ),
        (
            "e=invalid-proof",
            Error::ServerError("invalid-proof".into()),
        ),
        ("x=1", Error::Malformed("server-final without v= or e=")),
        ("v=!!!!", Error::Malformed("invalid base64")),
        ("", Error::Malformed("invalid attribute")),
    ] {
        let mut c = client_after_first();
        c.step(SERVER_FIRST.as_bytes()).unwrap();
        assert_eq!(
            c.step(final_msg.as_bytes()).unwrap_err(),
            err,
            "{final_msg}"
        );
        // The same as additional data with success.
        let mut c = client_after_first();
        c.step(SERVER_FIRST.as_bytes()).unwrap();
        assert_eq!(c.finish(Some(final_msg.as_bytes())).unwrap_err(), err);
    }
}

#[test]
fn scram_wrong_channel_binding_and_proof() {
    // c= that does not match the gs2 header ("y,," instead of "n,,").
    assert_eq!(
        server_after_first(SNONCE).step(
            b"c=eSws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
        ),
        ServerStep::Failure(Error::ChannelBindingMismatch)
    );
    // A wrong proof, and one of the wrong length.
    assert_eq!(
        server_after_first(SNONCE).step(
            b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Tt="
        ),
        ServerStep::Failure(Error::Malformed("invalid base64"))
    );
    assert_eq!(
        server_after_first(SNONCE).step(
            b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=AAAAAAAAAAAAAAAAAAAAAAAAAAA="
        ),
        ServerStep::Failure(Error::AuthenticationFailed)
    );
    assert_eq!(
        server_after_first(SNONCE)
            .step(b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=AAAA"),
        ServerStep::Failure(Error::AuthenticationFailed)
    );
}

#[test]
fn scram_malformed_client_first() {
    for (msg, err) in [
        (&b"n,,n=user"[..], Error::Malformed("missing nonce")),
        (
            b"x,,n=user,r=abc",
            Error::Malformed("invalid gs2 channel-binding flag"),
        ),
        (b"n,n=user,r=abc", Error::Malformed("invalid gs2 authzid")),
        (b"n,,r=abc,n=user", Error::Malformed("missing username")),
        (b"n,,m=ext,n=user,r=abc", Error::ExtensionsNotSupported),
        (
            b"n,,n=us=41er,r=abc",
            Error::Malformed("invalid saslname escape"),
        ),
        (b"n,,n=user,r=a\x7fb", Error::Malformed("invalid nonce")),
        (b"n,,n=user,r=", Error::Malformed("missing nonce")),
        (
            b"p=,,n=user,r=abc",
            Error::Malformed("invalid channel-binding name"),
        ),
        (b"", Error::Malformed("missing gs2 header")),
        (b"n,,n=\xff,r=abc", Error::NotUtf8),
        (b"n,,n=\x07bell,r=abc", Error::SaslPrep("user name")),
    ] {
        assert_eq!(
            scram_server_start(msg),
            ServerStep::Failure(err),
            "{}",
            String::from_utf8_lossy(msg)
        );
    }
}

#[test]
fn empty_authzid_versus_missing() {
    // PLAIN: authzid = 1*SAFE, so an empty one is no authzid (RFC 4616 section 2).
    let mut s = Server::new(Mechanism::Plain, ServerConfig::default()).unwrap();
    assert!(matches!(
        s.start(Some(b"\0user\0pw")),
        ServerStep::NeedSecret { authzid: None, .. }
    ));
    // SCRAM: "a=" must carry a saslname (RFC 5802 section 7).
    assert_eq!(
        scram_server_start(b"n,a=,n=user,r=abc"),
        ServerStep::Failure(Error::Malformed("empty authzid in gs2 header"))
    );
    assert!(matches!(
        scram_server_start(b"n,a=bob,n=user,r=abc"),
        ServerStep::NeedSecret { authzid: Some(ref a), .. } if a == "bob"
    ));
    // OAUTHBEARER shares the gs2 header.
    let mut s = Server::new(Mechanism::OAuthBearer, ServerConfig::default()).unwrap();
    assert_eq!(
        s.start(Some(b"n,a=,\x01auth=Bearer x\x01\x01")),
        ServerStep::Failure(Error::Malformed("empty authzid in gs2 header"))
    );
    // EXTERNAL: the empty response is no authzid.
    let mut s = Server::new(
        Mechanism::External,
        ServerConfig::default().with_external_identity("cert"),
    )
    .unwrap();
    assert_eq!(
        s.start(Some(b"")),
        ServerStep::NeedAuthorize {
            authcid: "cert".into(),
            authzid: None
        }
    );
}

#[test]
fn scram_iteration_count() {
    for (i, err) in [
        ("0", Error::Malformed("invalid iteration count")),
        ("04096", Error::Malformed("invalid iteration count")),
        ("-1", Error::Malformed("invalid iteration count")),
        ("", Error::Malformed("missing iteration count")),
        (
            "100001",
            Error::IterationsTooHigh {
                got: 100_001,
                max: 100_000,
            },
        ),
        (
            "99999999999999999999",
            Error::IterationsTooHigh {
                got: u32::MAX,
                max: 100_000,
            },
        ),
        (
            "4095",
            Error::IterationsTooLow {
                got: 4095,
                min: 4096,
            },
        ),
    ] {
        let msg = format!("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i={i}");
        assert_eq!(client_step_err(&msg), err, "i={i}");
    }
}

#[test]
fn non_utf8_everywhere() {
    assert_eq!(
        client_step_err("\u{0}"),
        Error::Malformed("invalid attribute")
    );
    assert_eq!(
        client_after_first().step(b"r=\xff").unwrap_err(),
        Error::NotUtf8
    );
    for mech in [
        Mechanism::Plain,
        Mechanism::OAuthBearer,
        Mechanism::XOAuth2,
        Mechanism::Anonymous,
        Mechanism::ScramSha256,
    ] {
        let mut s = Server::new(
            mech.clone(),
            ServerConfig::default().with_nonce_source(FixedNonce("n".into())),
        )
        .unwrap();
        assert_eq!(
            s.start(Some(b"\xff\0\xfe\0\xfd")),
            ServerStep::Failure(Error::NotUtf8),
            "{mech}"
        );
    }
    let mut c = Client::new(
        Mechanism::OAuthBearer,
        Credentials::oauth("u", "t"),
        ClientConfig::default(),
    )
    .unwrap();
    c.initial_response().unwrap();
    assert_eq!(c.step(b"{\xff}").unwrap_err(), Error::NotUtf8);
}

#[test]
fn plain_malformed() {
    for (msg, err) in [
        (
            &b"user\0pw"[..],
            Error::Malformed("PLAIN needs exactly two NUL separators"),
        ),
        (
            b"a\0b\0c\0d",
            Error::Malformed("PLAIN needs exactly two NUL separators"),
        ),
        (b"\0\0pw", Error::EmptyField("authcid")),
        (b"\0user\0", Error::EmptyField("password")),
        (b"\0\x07\0pw", Error::SaslPrep("user name")),
    ] {
        let mut s = Server::new(Mechanism::Plain, ServerConfig::default()).unwrap();
        assert_eq!(s.start(Some(msg)), ServerStep::Failure(err), "{msg:?}");
    }
}

#[test]
fn cram_and_login_malformed() {
    let cfg = || ServerConfig::default().with_nonce_source(FixedNonce("1.2".into()));
    let mut s = Server::new(Mechanism::CramMd5, cfg()).unwrap();
    assert_eq!(
        s.start(Some(b"tim")),
        ServerStep::Failure(Error::UnexpectedMessage)
    );
    for (msg, err) in [
        (
            &b"tim"[..],
            Error::Malformed("CRAM-MD5 response without digest"),
        ),
        (
            b"tim b913a602",
            Error::Malformed("CRAM-MD5 digest is not 32 hex digits"),
        ),
        (
            b"tim b913a602c7eda7a495b4e6e7334d389g",
            Error::Malformed("CRAM-MD5 digest is not 32 hex digits"),
        ),
        (
            b" b913a602c7eda7a495b4e6e7334d3890",
            Error::EmptyField("authcid"),
        ),
    ] {
        let mut s = Server::new(Mechanism::CramMd5, cfg()).unwrap();
        s.start(None);
        assert_eq!(s.step(msg), ServerStep::Failure(err), "{msg:?}");
    }
    let mut s = Server::new(Mechanism::Login, cfg()).unwrap();
    s.start(None);
    assert_eq!(
        s.step(b"a\0b"),
        ServerStep::Failure(Error::Malformed("NUL in field"))
    );
    let mut s = Server::new(Mechanism::Login, cfg()).unwrap();
    assert_eq!(
        s.start(Some(b"tim")),
        ServerStep::Challenge(b"Password:".to_vec())
    );
    assert_eq!(
        s.step(b""),
        ServerStep::Failure(Error::EmptyField("password"))
    );
    // A CRAM-MD5 client refuses an empty challenge; a LOGIN client a third one.
    let mut c = Client::new(
        Mechanism::CramMd5,
        Credentials::password("tim", "x"),
        ClientConfig::default(),
    )
    .unwrap();
    assert_eq!(
        c.step(b"").unwrap_err(),
        Error::Malformed("empty CRAM-MD5 challenge")
    );
    let mut c = Client::new(
        Mechanism::Login,
        Credentials::password("tim", "x"),
        ClientConfig::default(),
    )
    .unwrap();
    c.step(b"Username:").unwrap();
    c.step(b"Password:").unwrap();
    assert_eq!(c.step(b"Again:").unwrap_err(), Error::UnexpectedMessage);
}

#[test]
fn oauth_malformed() {
    for (mech, msg, err) in [
        (
            Mechanism::OAuthBearer,
            &b"n,,auth=Bearer x\x01\x01"[..],
            Error::Malformed("missing kvsep after gs2 header"),
        ),
        (
            Mechanism::OAuthBearer,
            b"n,,\x01auth=Bearer x\x01",
            Error::Malformed("unterminated kvpair"),
        ),
        (
            Mechanism::OAuthBearer,
            b"n,,\x01auth=Bearer x",
            Error::Malformed("missing final kvsep"),
        ),
        (
            Mechanism::OAuthBearer,
            b"n,,\x01host=h\x01\x01",
            Error::Malformed("missing auth"),
        ),
        (
            Mechanism::OAuthBearer,
            b"n,,\x01auth=Basic x\x01\x01",
            Error::Malformed("auth is not a bearer token"),
        ),
        (
            Mechanism::OAuthBearer,
            b"n,,\x01auth=Bearer x\x01port=0143\x01\x01",
            Error::Malformed("invalid port"),
        ),
        (
            Mechanism::OAuthBearer,
            b"n,,\x01auth=Bearer x\x01port=65536\x01\x01",
            Error::Malformed("invalid port"),
        ),
        (
            Mechanism::OAuthBearer,
            b"n,,\x011a=b\x01auth=Bearer x\x01\x01",
            Error::Malformed("invalid kvpair key"),
        ),
        (
            Mechanism::OAuthBearer,
            b"n,,\x01\x01\x01",
            Error::Malformed("kvpair without ="),
        ),
        (
            Mechanism::OAuthBearer,
            b"p=tls-exporter,,\x01auth=Bearer x\x01\x01",
            Error::ChannelBindingNotSupported,
        ),
        (
            Mechanism::XOAuth2,
            b"auth=Bearer x\x01\x01",
            Error::Malformed("XOAUTH2 without user"),
        ),
        (
            Mechanism::XOAuth2,
            b"user=u\x01auth=Bearer x\x00\x01\x01",
            Error::Malformed("invalid kvpair value"),
        ),
    ] {
        let mut s = Server::new(mech.clone(), ServerConfig::default()).unwrap();
        assert_eq!(
            s.start(Some(msg)),
            ServerStep::Failure(err),
            "{mech} {msg:?}"
        );
    }
}

#[test]
fn anonymous_trace() {
    for (trace, ok) in [
        ("".to_owned(), true),
        ("a".repeat(255), true),
        ("é".repeat(255), true),
        ("a".repeat(256), false),
        ("@example.com".to_owned(), false),
        ("bell\u{7}".to_owned(), false),
    ] {
        let mut s = Server::new(Mechanism::Anonymous, ServerConfig::default()).unwrap();
        let step = s.start(Some(trace.as_bytes()));
        assert_eq!(
            matches!(step, ServerStep::NeedAuthorize { .. }),
            ok,
            "{trace:?}: {step:?}"
        );
    }
    assert!(
        Client::new(
            Mechanism::Anonymous,
            Credentials::anonymous(Some("a".repeat(256))),
            ClientConfig::default()
        )
        .is_err()
    );
}

#[test]
fn usage_errors_leave_the_machine_unchanged() {
    let mut s = Server::new(Mechanism::Plain, ServerConfig::default()).unwrap();
    assert_eq!(
        s.step(b"x"),
        ServerStep::Failure(Error::Usage("step before start"))
    );
    assert!(matches!(
        s.authorize(true),
        ServerStep::Failure(Error::Usage(_))
    ));
    let step = s.start(Some(b"\0tim\0pw"));
    assert!(matches!(step, ServerStep::NeedSecret { .. }));
    assert!(matches!(
        s.authorize(true),
        ServerStep::Failure(Error::Usage(_))
    ));
    assert!(matches!(
        s.provide_token(sasl_proto::TokenVerdict::Valid {
            authcid: "x".into()
        }),
        ServerStep::Failure(Error::Usage(_))
    ));
    assert!(matches!(
        s.start(None),
        ServerStep::Failure(Error::Usage(_))
    ));
    // Still waiting for the secret.
    assert!(matches!(
        s.provide_secret(Some(StoredSecret::Password(Secret::new("pw")))),
        ServerStep::NeedAuthorize { .. }
    ));
    // The client side.
    let mut c = Client::new(
        Mechanism::Plain,
        Credentials::password("u", "p"),
        ClientConfig::default(),
    )
    .unwrap();
    c.initial_response().unwrap();
    assert!(matches!(c.initial_response(), Err(Error::Usage(_))));
}

#[test]
fn client_construction_errors() {
    let cfg = ClientConfig::default;
    assert_eq!(
        Client::new(Mechanism::Plain, Credentials::external(), cfg()).unwrap_err(),
        Error::MissingCredential("user name")
    );
    assert_eq!(
        Client::new(Mechanism::XOAuth2, Credentials::password("u", "p"), cfg()).unwrap_err(),
        Error::MissingCredential("token")
    );
    // Without a nonce source (the `getrandom` feature gives one by default).
    let mut no_nonce = cfg();
    no_nonce.nonce = None;
    assert_eq!(
        Client::new(
            Mechanism::ScramSha256,
            Credentials::password("u", "p"),
            no_nonce
        )
        .unwrap_err(),
        Error::MissingCredential(sasl_proto::NO_NONCE_SOURCE)
    );
    assert_eq!(
        Client::new(
            Mechanism::ScramSha256,
            Credentials::password("u\u{7}", "p"),
            cfg().with_nonce_source(FixedNonce("n".into()))
        )
        .unwrap_err(),
        Error::SaslPrep("user name")
    );
    assert_eq!(
        Client::new(
            Mechanism::parse("X-FOO").unwrap(),
            Credentials::external(),
            cfg()
        )
        .unwrap_err(),
        Error::UnsupportedMechanism("X-FOO".into())
    );
    let mut no_nonce = ServerConfig::default();
    no_nonce.nonce = None;
    assert_eq!(
        Server::new(Mechanism::ScramSha256, no_nonce).unwrap_err(),
        Error::MissingCredential(sasl_proto::NO_NONCE_SOURCE)
    );
}

#[test]
fn saslname_escaping() {
    use sasl_proto::scram::{escape_saslname, unescape_saslname};
    assert_eq!(escape_saslname("a,b=c"), "a=2Cb=3Dc");
    assert_eq!(unescape_saslname("a=2Cb=3Dc").unwrap(), "a,b=c");
    assert!(unescape_saslname("a=2c").is_err());
    assert!(unescape_saslname("a,b").is_err());
    assert!(unescape_saslname("").is_err());
    // The user name goes escaped in n= and comes back unescaped.
    let mut c = Client::new(
        Mechanism::ScramSha256,
        Credentials::password("a,b=c", "p"),
        ClientConfig::default().with_nonce_source(FixedNonce("n".into())),
    )
    .unwrap();
    assert_eq!(
        c.initial_response().unwrap().unwrap(),
        b"n,,n=a=2Cb=3Dc,r=n"
    );
    assert!(matches!(
        scram_server_start(b"n,,n=a=2Cb=3Dc,r=n"),
        ServerStep::NeedSecret { ref authcid, .. } if authcid == "a,b=c"
    ));
}

#[test]
fn secrets_never_in_debug_output() {
    let creds = Credentials::password("user", "hunter2-password").with_authzid("z");
    let dbg = format!("{creds:?}");
    assert!(!dbg.contains("hunter2"), "{dbg}");
    assert!(dbg.contains("Secret(***)"));
    let client = Client::new(Mechanism::Plain, creds, ClientConfig::default()).unwrap();
    assert!(!format!("{client:?}").contains("hunter2"));
    let token = format!("{:?}", Credentials::oauth("u", "ya29.secret-token"));
    assert!(!token.contains("ya29"));

    let keys = ScramKeys::derive("pencil", b"salt", 4096, ScramHash::Sha256).unwrap();
    let dbg = format!("{keys:?}");
    assert!(dbg.contains("SecretBytes(***)"), "{dbg}");
    let raw = format!("{:?}", keys.stored_key.expose());
    assert!(!dbg.contains(&raw), "{dbg}");

    let mut s = Server::new(Mechanism::OAuthBearer, ServerConfig::default()).unwrap();
    let step = s.start(Some(b"n,a=u,\x01auth=Bearer ya29.secret-token\x01\x01"));
    assert!(matches!(step, ServerStep::NeedToken { .. }));
    let dbg = format!("{step:?} {s:?}");
    assert!(!dbg.contains("ya29"), "{dbg}");

    let mut s = Server::new(Mechanism::Plain, ServerConfig::default()).unwrap();
    let step = s.start(Some(b"\0user\0hunter2-password"));
    assert!(!format!("{step:?} {s:?}").contains("hunter2"));
}

#[test]
fn scram_error_values() {
    assert_eq!(
        Error::Downgrade.scram_error_value(),
        Some("server-does-support-channel-binding")
    );
    assert_eq!(
        Error::AuthenticationFailed.scram_error_value(),
        Some("invalid-proof")
    );
    assert_eq!(
        Error::ChannelBindingMismatch.scram_error_value(),
        Some("channel-bindings-dont-match")
    );
    assert_eq!(
        Error::ExtensionsNotSupported.scram_error_value(),
        Some("extensions-not-supported")
    );
    assert_eq!(Error::Usage("x").scram_error_value(), None);
    // A server failure turned into e=... is understood by the client.
    let value = Error::ChannelBindingMismatch.scram_error_value().unwrap();
    let mut c = client_after_first();
    c.step(SERVER_FIRST.as_bytes()).unwrap();
    assert_eq!(
        c.step(format!("e={value}").as_bytes()).unwrap_err(),
        Error::ServerError("channel-bindings-dont-match".into())
    );
}

#[test]
fn plain_password_saslprep() {
    // U+00A0 (no-break space) maps to SPACE under SASLprep: the same password.
    let run = |presented: &str| {
        let mut s = Server::new(Mechanism::Plain, ServerConfig::default()).unwrap();
        s.start(Some(format!("\0user\0{presented}").as_bytes()));
        s.provide_secret(Some(StoredSecret::Password(Secret::new("a b"))))
    };
    assert!(matches!(run("a\u{a0}b"), ServerStep::NeedAuthorize { .. }));
    assert!(matches!(run("a b"), ServerStep::NeedAuthorize { .. }));
    // A prohibited character in the presented password never matches.
    assert_eq!(
        run("a b\u{7}"),
        ServerStep::Failure(Error::AuthenticationFailed)
    );
    // Soft hyphen is mapped to nothing.
    assert!(matches!(run("a \u{ad}b"), ServerStep::NeedAuthorize { .. }));
}
