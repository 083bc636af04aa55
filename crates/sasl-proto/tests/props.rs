//! Property tests: codec round trips, random credentials through every mechanism, and random
//! corruption of each message of an exchange.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{Outcome, run, run_with};
use proptest::prelude::*;
use sasl_proto::codec::{decode_challenge, decode_response, encode, encode_continuation};
use sasl_proto::scram::{escape_saslname, unescape_saslname};
use sasl_proto::{
    ChannelBinding, Client, ClientConfig, Credentials, FixedNonce, Limits, Mechanism, MemoryStore,
    Server, ServerConfig, StepResponse,
};

/// Few iterations keep SCRAM cheap in debug builds; the limit is lowered to match.
const ITERATIONS: u32 = 16;

fn limits() -> Limits {
    Limits::default().with_min_iterations(1)
}

struct Setup {
    client: Client,
    server: Server,
    store: MemoryStore,
}

fn setup(mech: &Mechanism, user: &str, password: &str, nonces: (&str, &str)) -> Setup {
    let mut store = MemoryStore::new();
    store
        .add_scram(user, password, b"pepper", ITERATIONS, &limits())
        .unwrap();
    if *mech == Mechanism::CramMd5 {
        store.add_password(user, password);
    }
    // Bearer tokens are printable ASCII: derive one from the password.
    let token = sasl_proto::md5::md5_hex(password.as_bytes());
    store.add_token(&token, user);
    let cb = ChannelBinding::TlsExporter(vec![42; 32]);
    let creds = match mech {
        Mechanism::XOAuth2 | Mechanism::OAuthBearer => Credentials::oauth(user, token),
        Mechanism::External => Credentials::external(),
        Mechanism::Anonymous => Credentials::anonymous(Some(user.to_owned())),
        _ => Credentials::password(user, password),
    };
    let client = Client::new(
        mech.clone(),
        creds,
        ClientConfig::default()
            .with_limits(limits())
            .with_nonce_source(FixedNonce(nonces.0.to_owned()))
            .with_channel_binding(cb.clone())
            .with_server_advertised_plus(true),
    )
    .unwrap();
    let server = Server::new(
        mech.clone(),
        ServerConfig::default()
            .with_limits(limits())
            .with_nonce_source(FixedNonce(nonces.1.to_owned()))
            .with_channel_binding(cb)
            .with_advertised_plus(true)
            .with_external_identity(user),
    )
    .unwrap();
    Setup {
        client,
        server,
        store,
    }
}

fn expected_authcid(mech: &Mechanism, user: &str) -> String {
    if *mech == Mechanism::Anonymous {
        "anonymous".to_owned()
    } else {
        user.to_owned()
    }
}

fn expected_authzid(mech: &Mechanism, user: &str) -> Option<String> {
    (*mech == Mechanism::OAuthBearer).then(|| user.to_owned())
}

/// User names: letters (including non-ASCII), digits and a few specials, including the
/// `,` and `=` that SCRAM escapes; no `@` so ANONYMOUS takes them as tokens.
fn user() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9._,=äöüßéЖ中-]{1,40}"
}

fn password() -> impl Strategy<Value = String> {
    // Printable ASCII without space (bearer tokens have no space), plus some non-ASCII.
    "[!-~éü€]{1,64}"
}

fn nonce() -> impl Strategy<Value = String> {
    "[!-+\\--~]{1,32}"
}

#[derive(Clone, Debug)]
enum Corruption {
    Xor(usize, u8),
    Truncate(usize),
    Insert(usize, u8),
    Append(u8),
}

fn corruption() -> impl Strategy<Value = Corruption> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, b)| Corruption::Xor(i, b)),
        any::<usize>().prop_map(Corruption::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Corruption::Insert(i, b)),
        any::<u8>().prop_map(Corruption::Append),
    ]
}

fn apply(c: &Corruption, msg: &mut Vec<u8>) {
    match *c {
        Corruption::Xor(i, b) if !msg.is_empty() => {
            let i = i % msg.len();
            msg[i] ^= b;
        }
        Corruption::Xor(..) => msg.push(b'x'),
        Corruption::Truncate(i) if !msg.is_empty() => msg.truncate(i % msg.len()),
        Corruption::Truncate(_) => msg.push(0),
        Corruption::Insert(i, b) => {
            let i = i % (msg.len() + 1);
            msg.insert(i, b);
        }
        Corruption::Append(b) => msg.push(b),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn codec_round_trip(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let wire = encode(&data);
        prop_assert!(!wire.is_empty());
        prop_assert_eq!(decode_response(&wire), Ok(StepResponse::Data(data.clone())));
        prop_assert_eq!(decode_challenge(&wire), Ok(data.clone()));
        prop_assert_eq!(decode_challenge(&encode_continuation(&data)), Ok(data));
    }

    #[test]
    fn codec_never_panics(line in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = decode_response(&line);
        let _ = decode_challenge(&line);
    }

    #[test]
    fn saslname_round_trip(name in "[^\u{0}]{1,40}") {
        prop_assert_eq!(unescape_saslname(&escape_saslname(&name)), Ok(name));
    }

    #[test]
    fn random_credentials_every_mechanism(
        user in user(),
        password in password(),
        cn in nonce(),
        sn in nonce(),
        use_ir in any::<bool>(),
        fac in any::<bool>(),
    ) {
        for mech in &Mechanism::KNOWN {
            let mut s = setup(mech, &user, &password, (&cn, &sn));
            let out = run(&mut s.client, &mut s.server, &s.store, use_ir, fac);
            prop_assert_eq!(
                out,
                Outcome::Success {
                    authcid: expected_authcid(mech, &user),
                    authzid: expected_authzid(mech, &user),
                },
                "{}", mech
            );
        }
    }

    #[test]
    fn random_corruption_of_each_message(
        user in user(),
        password in password(),
        target in 0usize..6,
        corruption in corruption(),
        fac in any::<bool>(),
    ) {
        for mech in &Mechanism::KNOWN {
            let mut s = setup(mech, &user, &password, ("cnonce", "snonce"));
            let mut changed = false;
            let out = run_with(&mut s.client, &mut s.server, &s.store, true, fac, &mut |n, msg| {
                if n == target {
                    let before = msg.clone();
                    apply(&corruption, msg);
                    changed = *msg != before;
                }
            });
            if !changed {
                continue;
            }
            match (&out, mech) {
                // SCRAM and CRAM-MD5 protect every message: any change fails.
                (Outcome::Success { .. }, Mechanism::ScramSha1 | Mechanism::ScramSha256
                    | Mechanism::ScramSha1Plus | Mechanism::ScramSha256Plus
                    | Mechanism::CramMd5) => {
                    prop_assert!(false, "{} succeeded after corrupting message {}: {:?}", mech, target, corruption);
                }
                // Elsewhere a change may be harmless (LOGIN's prompts, the case of
                // "Bearer", an EXTERNAL authzid that names the user itself), but never
                // yields another identity.
                (Outcome::Success { authcid, authzid }, _) => {
                    prop_assert_eq!(authcid, &expected_authcid(mech, &user));
                    let itself = authzid.as_ref() == Some(authcid);
                    prop_assert!(
                        *authzid == expected_authzid(mech, &user) || itself,
                        "{} authzid {:?}", mech, authzid
                    );
                }
                _ => {}
            }
        }
    }

    #[test]
    fn arbitrary_messages_never_panic(
        msgs in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..96), 1..4),
    ) {
        for mech in &Mechanism::KNOWN {
            let mut s = setup(mech, "user", "pencil", ("c", "s"));
            let mut it = msgs.iter();
            let mut step = s.server.start(it.next().map(Vec::as_slice));
            for m in it {
                let _ = sasl_proto::store::resolve(&mut s.server, step, &s.store);
                step = s.server.step(m);
            }
            let _ = sasl_proto::store::resolve(&mut s.server, step, &s.store);
            let _ = s.client.initial_response();
            for m in &msgs {
                let _ = s.client.step(m);
            }
            let _ = s.client.finish(msgs.first().map(Vec::as_slice));
        }
    }
}
