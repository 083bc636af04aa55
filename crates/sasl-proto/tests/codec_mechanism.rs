//! The step codec and mechanism names.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use sasl_proto::codec::{
    CodecError, decode_challenge, decode_response, encode, encode_continuation,
};
use sasl_proto::mechanism::{MechanismError, choose};
use sasl_proto::{Credentials, Mechanism, StepResponse};

#[test]
fn codec_empty_cancel_and_data() {
    assert_eq!(decode_response(b"="), Ok(StepResponse::Data(vec![])));
    assert_eq!(decode_response(b""), Ok(StepResponse::Data(vec![])));
    assert_eq!(decode_response(b"*"), Ok(StepResponse::Cancel));
    assert_eq!(decode_challenge(b""), Ok(vec![]));
    assert_eq!(decode_challenge(b"="), Ok(vec![]));
    assert_eq!(
        decode_response(b"Zm9v"),
        Ok(StepResponse::Data(b"foo".to_vec()))
    );
    assert_eq!(
        decode_response(b"Zm8="),
        Ok(StepResponse::Data(b"fo".to_vec()))
    );
    assert_eq!(
        decode_response(b"Zg=="),
        Ok(StepResponse::Data(b"f".to_vec()))
    );
    assert_eq!(encode(b""), b"=");
    assert_eq!(encode_continuation(b""), b"");
    assert_eq!(encode(b"foo"), b"Zm9v");
}

#[test]
fn codec_strict_alphabet() {
    // RFC 4954 section 4: "=AAA" and "AAA=BBB" are not allowed.
    assert_eq!(
        decode_response(b"=AAA"),
        Err(CodecError::InvalidPadding { offset: 0 })
    );
    assert_eq!(
        decode_response(b"AAA=BBBB"),
        Err(CodecError::InvalidPadding { offset: 3 })
    );
    assert_eq!(
        decode_response(b"Q==="),
        Err(CodecError::InvalidPadding { offset: 1 })
    );
    assert_eq!(
        decode_response(b"Zm9"),
        Err(CodecError::InvalidPadding { offset: 3 })
    );
    assert_eq!(
        decode_response(b"Zm9v Zm9v"),
        Err(CodecError::InvalidCharacter {
            offset: 4,
            byte: b' '
        })
    );
    assert_eq!(
        decode_response(b"Zm9v\r\n"),
        Err(CodecError::InvalidCharacter {
            offset: 4,
            byte: b'\r'
        })
    );
    assert_eq!(
        decode_response(b"Zm9v-_"),
        Err(CodecError::InvalidCharacter {
            offset: 4,
            byte: b'-'
        })
    );
    assert_eq!(
        decode_response(b"**"),
        Err(CodecError::InvalidCharacter {
            offset: 0,
            byte: b'*'
        })
    );
    // Non-zero trailing bits.
    assert_eq!(decode_response(b"Zh=="), Err(CodecError::NonCanonical));
    assert_eq!(
        decode_challenge(b"Zm9w="),
        Err(CodecError::InvalidPadding { offset: 5 })
    );
}

#[test]
fn mechanism_parse() {
    assert_eq!(
        Mechanism::parse("scram-sha-256"),
        Ok(Mechanism::ScramSha256)
    );
    assert_eq!(
        Mechanism::parse("Scram-Sha-1-Plus"),
        Ok(Mechanism::ScramSha1Plus)
    );
    assert_eq!(Mechanism::parse("xoauth2"), Ok(Mechanism::XOAuth2));
    assert_eq!("CRAM-MD5".parse(), Ok(Mechanism::CramMd5));
    assert_eq!(
        Mechanism::parse("x-foo_1"),
        Ok(Mechanism::Other("X-FOO_1".into()))
    );
    assert_eq!(Mechanism::parse(""), Err(MechanismError::Empty));
    assert_eq!(
        Mechanism::parse("SCRAM SHA"),
        Err(MechanismError::InvalidCharacter)
    );
    assert_eq!(
        Mechanism::parse("PLAIN\r\n"),
        Err(MechanismError::InvalidCharacter)
    );
    assert_eq!(Mechanism::ScramSha256Plus.to_string(), "SCRAM-SHA-256-PLUS");
    assert_eq!(
        Mechanism::parse_list("PLAIN login  bad! CRAM-MD5"),
        vec![Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5]
    );
    for m in [
        Mechanism::Plain,
        Mechanism::Login,
        Mechanism::CramMd5,
        Mechanism::XOAuth2,
        Mechanism::OAuthBearer,
        Mechanism::ScramSha1,
        Mechanism::ScramSha1Plus,
        Mechanism::ScramSha256,
        Mechanism::ScramSha256Plus,
        Mechanism::External,
        Mechanism::Anonymous,
    ] {
        assert_eq!(Mechanism::parse(m.as_str()), Ok(m.clone()));
        assert_eq!(Mechanism::parse(&m.as_str().to_lowercase()), Ok(m));
    }
}

#[test]
fn mechanism_strength_order() {
    let order = [
        Mechanism::Other("X".into()),
        Mechanism::Anonymous,
        Mechanism::Login,
        Mechanism::Plain,
        Mechanism::XOAuth2,
        Mechanism::OAuthBearer,
        Mechanism::CramMd5,
        Mechanism::ScramSha1,
        Mechanism::ScramSha256,
        Mechanism::ScramSha1Plus,
        Mechanism::ScramSha256Plus,
        Mechanism::External,
    ];
    for pair in order.windows(2) {
        assert!(pair[0].strength() < pair[1].strength(), "{pair:?}");
    }
    assert!(Mechanism::Plain.is_plaintext_equivalent());
    assert!(Mechanism::OAuthBearer.is_plaintext_equivalent());
    assert!(!Mechanism::ScramSha1.is_plaintext_equivalent());
    assert!(!Mechanism::CramMd5.is_plaintext_equivalent());
}

#[test]
fn choose_strongest_common_mechanism() {
    let offered = Mechanism::parse_list(
        "PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 SCRAM-SHA-256-PLUS X-NEW",
    );
    let creds = Credentials::password("u", "p");
    assert_eq!(
        choose(&offered, &creds.mechanisms(false), true),
        Some(Mechanism::ScramSha256)
    );
    assert_eq!(
        choose(&offered, &creds.mechanisms(true), false),
        Some(Mechanism::ScramSha256Plus)
    );
    // Only plaintext-equivalent mechanisms in common: refused unless allowed.
    let offered = Mechanism::parse_list("PLAIN LOGIN");
    assert_eq!(choose(&offered, &creds.mechanisms(false), false), None);
    assert_eq!(
        choose(&offered, &creds.mechanisms(false), true),
        Some(Mechanism::Plain)
    );
    // Tokens.
    let offered = Mechanism::parse_list("XOAUTH2 OAUTHBEARER PLAIN");
    let tok = Credentials::oauth("u", "t");
    assert_eq!(
        choose(&offered, &tok.mechanisms(false), true),
        Some(Mechanism::OAuthBearer)
    );
    assert_eq!(choose(&offered, &tok.mechanisms(false), false), None);
    // EXTERNAL only with credentials that allow it; unknown names never.
    let offered = Mechanism::parse_list("EXTERNAL X-NEW ANONYMOUS");
    assert_eq!(
        choose(&offered, &Credentials::external().mechanisms(false), false),
        Some(Mechanism::External)
    );
    assert_eq!(
        choose(
            &offered,
            &Credentials::anonymous(None).mechanisms(false),
            false
        ),
        Some(Mechanism::Anonymous)
    );
    assert_eq!(choose(&offered, &creds.mechanisms(true), true), None);
}

#[test]
fn stored_keys_load_back_and_verify() {
    use sasl_proto::{ScramHash, ScramKeys};
    let keys = ScramKeys::derive("pencil", b"salt-salt", 4096, ScramHash::Sha256).unwrap();
    let loaded = ScramKeys::from_stored(
        ScramHash::Sha256,
        keys.salt.clone(),
        keys.iterations,
        keys.stored_key.expose().to_vec(),
        keys.server_key.expose().to_vec(),
    )
    .unwrap();
    assert!(loaded.verify_password("pencil"));
    assert!(!loaded.verify_password("pen"));
    assert!(
        ScramKeys::from_stored(ScramHash::Sha256, vec![], 4096, vec![0; 32], vec![0; 32]).is_err()
    );
    assert!(
        ScramKeys::from_stored(ScramHash::Sha256, vec![1], 4096, vec![0; 20], vec![0; 32]).is_err()
    );
    assert!(
        ScramKeys::from_stored(ScramHash::Sha1, vec![1], 4096, vec![0; 20], vec![0; 20]).is_ok()
    );
}
