//! The line bridge (`ServerExchange`): client lines in, wire lines and questions out, for every
//! kind of question; wrong-kind answers; cancel and bad base64; SCRAM's last challenge; and an
//! unknown SCRAM user that looks like a known one until the final message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{nonce, store};
use sasl_proto::codec::{decode_challenge, encode, encode_continuation};
use sasl_proto::{
    Answer, Client, ClientConfig, ClientStep, Credentials, Error, ExchangeStep, Limits, Mechanism,
    MemoryStore, Question, QuestionKind, ServerConfig, ServerExchange, StoredSecret, TokenVerdict,
};

const SECRET: &[u8] = b"server secret for unknown users";

fn sconf() -> ServerConfig {
    ServerConfig::default()
        .with_nonce_source(nonce("servernonce456"))
        .with_unknown_user_secret(SECRET)
}

fn cconf() -> ClientConfig {
    ClientConfig::default().with_nonce_source(nonce("clientnonce123"))
}

/// The base64 of a `Send` line with `prefix`, decoded.
fn challenge(step: &ExchangeStep, prefix: &str) -> Vec<u8> {
    let ExchangeStep::Send(line) = step else {
        panic!("expected a line, got {step:?}");
    };
    let text = line.strip_prefix(prefix.as_bytes()).expect("prefix");
    let text = text.strip_suffix(b"\r\n").expect("CRLF");
    decode_challenge(text).unwrap()
}

/// Runs `client` against an exchange, answering every question from `store`, the way a
/// protocol server would: initial response on the command, responses as lines.
fn run(
    mech: Mechanism,
    creds: Credentials,
    store: &MemoryStore,
    config: ServerConfig,
    prefix: &'static str,
) -> (ExchangeStep, Vec<QuestionKind>) {
    let mut client = Client::new(mech.clone(), creds, cconf()).unwrap();
    let mut exchange = ServerExchange::new(mech, config, prefix).unwrap();
    let ir = client.initial_response().unwrap().map(|ir| encode(&ir));
    let mut asked = Vec::new();
    let mut step = exchange.start(ir.as_deref());
    loop {
        step = match step {
            ExchangeStep::Ask(question) => {
                asked.push(question.kind());
                exchange.answer(question.answer_from(store))
            }
            ExchangeStep::Send(_) => {
                let data = challenge(&step, prefix);
                let reply = match client.step(&data) {
                    Ok(ClientStep::Response(r)) => encode_continuation(&r),
                    // SCRAM's v= as a last challenge: verified, then the empty line.
                    Ok(ClientStep::Done) => Vec::new(),
                    other => panic!("client: {other:?}"),
                };
                exchange.line(&reply)
            }
            end => return (end, asked),
        };
    }
}

fn success(authcid: &str) -> ExchangeStep {
    ExchangeStep::Success {
        authcid: authcid.into(),
        authzid: None,
    }
}

#[test]
fn every_store_mechanism_through_the_bridge_with_both_prefixes() {
    let mut store = store();
    store.add_token("tok-123", "user");
    store.add_password("user", "pencil");
    let password = || Credentials::password("user", "pencil");
    let cases = [
        (
            Mechanism::Plain,
            password(),
            vec![QuestionKind::VerifyPassword],
        ),
        (
            Mechanism::Login,
            password(),
            vec![QuestionKind::VerifyPassword],
        ),
        (Mechanism::CramMd5, password(), vec![QuestionKind::Secret]),
        (Mechanism::ScramSha1, password(), vec![QuestionKind::Secret]),
        (
            Mechanism::ScramSha256,
            password(),
            vec![QuestionKind::Secret],
        ),
        (
            Mechanism::XOAuth2,
            Credentials::oauth("user", "tok-123"),
            vec![QuestionKind::Token],
        ),
        (
            Mechanism::OAuthBearer,
            Credentials::oauth("user", "tok-123"),
            vec![QuestionKind::Token],
        ),
    ];
    for prefix in ["334 ", "+ "] {
        for (mech, creds, mut kinds) in cases.clone() {
            kinds.push(QuestionKind::Authorize);
            let (end, asked) = run(mech.clone(), creds, &store, sconf(), prefix);
            // OAUTHBEARER's gs2 header names the user as the authzid.
            let authzid = (mech == Mechanism::OAuthBearer).then(|| "user".to_owned());
            let expected = ExchangeStep::Success {
                authcid: "user".into(),
                authzid,
            };
            assert_eq!(end, expected, "{mech} {prefix:?}");
            assert_eq!(asked, kinds, "{mech}");
        }
    }
}

#[test]
fn login_lines_carry_the_prefix_and_crlf() {
    let mut exchange = ServerExchange::new(Mechanism::Login, sconf(), "+ ").unwrap();
    assert_eq!(
        exchange.start(None),
        ExchangeStep::Send(b"+ VXNlcm5hbWU6\r\n".to_vec())
    );
    assert_eq!(
        exchange.line(b"dXNlcg=="),
        ExchangeStep::Send(b"+ UGFzc3dvcmQ6\r\n".to_vec())
    );
    let step = exchange.line(b"cGVuY2ls");
    assert_eq!(
        step,
        ExchangeStep::Ask(Question::VerifyPassword {
            mechanism: Mechanism::Login,
            authcid: "user".into(),
            authzid: None,
            password: "pencil".into(),
        })
    );
    assert_eq!(
        exchange.answer(Answer::PasswordVerified(false)),
        ExchangeStep::Failure(Error::AuthenticationFailed)
    );
    assert!(exchange.is_finished());
}

#[test]
fn scram_v_goes_as_a_last_challenge_and_needs_an_empty_line() {
    for (last, expected) in [
        (&b""[..], success("user")),
        (&b"="[..], success("user")),
        (&b"*"[..], ExchangeStep::Failure(Error::Cancelled)),
        (
            &b"dg=="[..],
            ExchangeStep::Failure(Error::UnexpectedMessage),
        ),
    ] {
        let mut client = Client::new(
            Mechanism::ScramSha256,
            Credentials::password("user", "pencil"),
            cconf(),
        )
        .unwrap();
        let mut exchange = ServerExchange::new(Mechanism::ScramSha256, sconf(), "334 ").unwrap();
        let ir = encode(&client.initial_response().unwrap().unwrap());
        let ExchangeStep::Ask(q) = exchange.start(Some(&ir)) else {
            panic!()
        };
        let first = exchange.answer(q.answer_from(&store()));
        let ClientStep::Response(fin) = client.step(&challenge(&first, "334 ")).unwrap() else {
            panic!()
        };
        let ExchangeStep::Ask(q) = exchange.line(&encode_continuation(&fin)) else {
            panic!()
        };
        assert_eq!(q.kind(), QuestionKind::Authorize);
        let v = exchange.answer(Answer::Authorize(true));
        let data = challenge(&v, "334 ");
        assert!(data.starts_with(b"v="), "{data:?}");
        assert_eq!(client.step(&data).unwrap(), ClientStep::Done);
        assert_eq!(exchange.line(last), expected, "{last:?}");
        assert!(exchange.is_finished());
    }
}

#[test]
fn external_asks_for_the_tls_identity_unless_configured() {
    let mut exchange = ServerExchange::new(Mechanism::External, sconf(), "+ ").unwrap();
    assert_eq!(
        exchange.start(Some(b"=")),
        ExchangeStep::Ask(Question::External { authzid: None })
    );
    let step = exchange.answer(Answer::External(Some("cert-user".into())));
    assert_eq!(
        step,
        ExchangeStep::Ask(Question::Authorize {
            mechanism: Mechanism::External,
            authcid: "cert-user".into(),
            authzid: None,
        })
    );
    assert_eq!(
        exchange.answer(Answer::Authorize(true)),
        success("cert-user")
    );

    // No identity from the lower layer: refused.
    let mut exchange = ServerExchange::new(Mechanism::External, sconf(), "+ ").unwrap();
    let _ = exchange.start(Some(b"YWRtaW4="));
    assert_eq!(
        exchange.answer(Answer::External(None)),
        ExchangeStep::Failure(Error::NoExternalIdentity)
    );

    // Configured: straight to the authorization question.
    let config = sconf().with_external_identity("configured");
    let mut exchange = ServerExchange::new(Mechanism::External, config, "+ ").unwrap();
    assert!(matches!(
        exchange.start(Some(b"=")),
        ExchangeStep::Ask(Question::Authorize { ref authcid, .. }) if authcid == "configured"
    ));
}

/// Brings an exchange to a question of `kind`.
fn at_question(kind: QuestionKind) -> ServerExchange {
    let (mech, ir): (Mechanism, &[u8]) = match kind {
        QuestionKind::VerifyPassword => (Mechanism::Plain, b"\0user\0pencil"),
        QuestionKind::Secret => (Mechanism::ScramSha256, b"n,,n=user,r=clientnonce123"),
        QuestionKind::Token => (Mechanism::XOAuth2, b"user=user\x01auth=Bearer tok\x01\x01"),
        QuestionKind::External => (Mechanism::External, b""),
        QuestionKind::Authorize => (Mechanism::Anonymous, b"trace"),
        other => panic!("{other:?}"),
    };
    let mut exchange = ServerExchange::new(mech, sconf(), "334 ").unwrap();
    let step = exchange.start(Some(&encode(ir)));
    let ExchangeStep::Ask(q) = step else {
        panic!("{step:?}")
    };
    assert_eq!(q.kind(), kind);
    exchange
}

#[test]
fn an_answer_of_the_wrong_kind_is_refused_and_changes_nothing() {
    let answers = [
        Answer::PasswordVerified(true),
        Answer::Secret(Some(StoredSecret::Password("pencil".into()))),
        Answer::Token(TokenVerdict::Valid {
            authcid: "user".into(),
        }),
        Answer::External(Some("user".into())),
        Answer::Authorize(true),
    ];
    for kind in QuestionKind::ALL {
        for wrong in answers.iter().filter(|a| !kind.fits(a)) {
            let mut exchange = at_question(kind);
            assert!(!exchange.accepts(wrong));
            let step = exchange.answer(wrong.clone());
            assert!(
                matches!(step, ExchangeStep::Failure(Error::Usage(_))),
                "{kind:?} {wrong:?}: {step:?}"
            );
            assert_eq!(exchange.question_kind(), Some(kind), "{wrong:?}");
            assert!(!exchange.is_finished());
            // A line is not what it waits for either.
            assert!(matches!(
                exchange.line(b""),
                ExchangeStep::Failure(Error::Usage(_))
            ));
            // The right answer still works.
            let right = answers.iter().find(|a| kind.fits(a)).unwrap();
            let step = exchange.answer(right.clone());
            assert!(
                !matches!(step, ExchangeStep::Failure(_)),
                "{kind:?} after {wrong:?}: {step:?}"
            );
        }
    }
}

#[test]
fn cancel_bad_base64_and_long_lines_end_the_exchange() {
    let mut exchange = ServerExchange::new(Mechanism::Plain, sconf(), "334 ").unwrap();
    assert_eq!(
        exchange.start(Some(b"*")),
        ExchangeStep::Failure(Error::Cancelled)
    );
    assert!(exchange.is_finished());

    let mut exchange = ServerExchange::new(Mechanism::Plain, sconf(), "334 ").unwrap();
    assert_eq!(
        exchange.start(None),
        ExchangeStep::Send(b"334 \r\n".to_vec())
    );
    assert_eq!(exchange.line(b"*"), ExchangeStep::Failure(Error::Cancelled));

    let mut exchange = ServerExchange::new(Mechanism::Plain, sconf(), "334 ").unwrap();
    let _ = exchange.start(None);
    assert!(matches!(
        exchange.line(b"a b"),
        ExchangeStep::Failure(Error::Base64(_))
    ));

    let limits = Limits::default().with_max_line_len(8);
    let config = sconf().with_limits(limits);
    let mut exchange = ServerExchange::new(Mechanism::Plain, config, "334 ").unwrap();
    let _ = exchange.start(None);
    assert!(matches!(
        exchange.line(b"AAAAAAAAAAAA"),
        ExchangeStep::Failure(Error::Base64(_))
    ));
    assert!(matches!(
        exchange.line(b""),
        ExchangeStep::Failure(Error::Usage(_))
    ));
}

/// The SCRAM server-first message for `user`, on a fresh exchange.
fn server_first(user: &str, store: &MemoryStore, config: ServerConfig) -> String {
    let mut exchange = ServerExchange::new(Mechanism::ScramSha256, config, "334 ").unwrap();
    let ir = encode(format!("n,,n={user},r=clientnonce123").as_bytes());
    let ExchangeStep::Ask(q) = exchange.start(Some(&ir)) else {
        panic!()
    };
    let step = exchange.answer(q.answer_from(store));
    String::from_utf8(challenge(&step, "334 ")).unwrap()
}

/// `r=`, the salt's length and `i=` of a server-first message.
fn shape(first: &str) -> (String, usize, String) {
    let parts: Vec<&str> = first.split(',').collect();
    assert_eq!(parts.len(), 3, "{first}");
    let salt = decode_challenge(parts[1].strip_prefix("s=").unwrap().as_bytes()).unwrap();
    (parts[0].to_owned(), salt.len(), parts[2].to_owned())
}

#[test]
fn an_unknown_scram_user_looks_like_a_known_one_until_the_end() {
    let mut store = MemoryStore::new();
    store
        .add_scram("known", "pencil", &[7u8; 16], 4096, &Limits::default())
        .unwrap();
    let known = server_first("known", &store, sconf());
    let unknown = server_first("nobody", &store, sconf());
    let (nonce_k, salt_k, iter_k) = shape(&known);
    let (nonce_u, salt_u, iter_u) = shape(&unknown);
    assert_eq!(nonce_k, nonce_u);
    assert_eq!(salt_k, salt_u);
    assert_eq!(iter_k, "i=4096");
    assert_eq!(iter_u, iter_k);
    // Stable for a name across connections, different between names and secrets.
    assert_eq!(server_first("nobody", &store, sconf()), unknown);
    assert_ne!(server_first("nobody2", &store, sconf()), unknown);
    let other = sconf().with_unknown_user_secret(b"another secret".to_vec());
    assert_ne!(server_first("nobody", &store, other), unknown);
    // The shown count follows the configuration.
    let config = sconf().with_unknown_user_iterations(10000);
    assert!(server_first("nobody", &store, config).ends_with(",i=10000"));

    // The exchange runs to the final message, then fails.
    let mut client = Client::new(
        Mechanism::ScramSha256,
        Credentials::password("nobody", "pencil"),
        cconf(),
    )
    .unwrap();
    let mut exchange = ServerExchange::new(Mechanism::ScramSha256, sconf(), "334 ").unwrap();
    let ir = encode(&client.initial_response().unwrap().unwrap());
    let ExchangeStep::Ask(q) = exchange.start(Some(&ir)) else {
        panic!()
    };
    assert_eq!(q.answer_from(&store), Answer::Secret(None));
    let first = exchange.answer(Answer::Secret(None));
    let ClientStep::Response(fin) = client.step(&challenge(&first, "334 ")).unwrap() else {
        panic!()
    };
    assert_eq!(
        exchange.line(&encode_continuation(&fin)),
        ExchangeStep::Failure(Error::UnknownUser)
    );
}

/// A store that keeps plaintext passwords: the keys derived per exchange use the same salt
/// as an unknown user would get, so the two look alike, and the exchange still succeeds.
#[test]
fn a_password_user_and_an_unknown_one_look_alike_too() {
    let mut store = MemoryStore::new();
    store.add_password("known", "pencil");
    let known = server_first("known", &store, sconf());
    assert_eq!(
        shape(&known),
        shape(&server_first("nobody", &store, sconf()))
    );
    assert_eq!(server_first("known", &store, sconf()), known);
    let (end, _) = run(
        Mechanism::ScramSha256,
        Credentials::password("known", "pencil"),
        &store,
        sconf(),
        "+ ",
    );
    assert_eq!(end, success("known"));
}

#[test]
fn without_a_server_secret_an_unknown_scram_user_fails_at_once() {
    let mut config = sconf();
    config.unknown_user_secret = None;
    let mut exchange = ServerExchange::new(Mechanism::ScramSha256, config, "334 ").unwrap();
    let ir = encode(b"n,,n=nobody,r=clientnonce123");
    let ExchangeStep::Ask(_) = exchange.start(Some(&ir)) else {
        panic!()
    };
    assert_eq!(
        exchange.answer(Answer::Secret(None)),
        ExchangeStep::Failure(Error::UnknownUser)
    );
}

/// With the `getrandom` feature the default secret is drawn once per process: two default
/// configurations show an unknown user the same salt.
#[cfg(feature = "getrandom")]
#[test]
fn the_default_server_secret_is_one_per_process() {
    let store = MemoryStore::new();
    let config = || ServerConfig::default().with_nonce_source(nonce("servernonce456"));
    assert!(config().unknown_user_secret.is_some());
    let first = server_first("nobody", &store, config());
    assert_eq!(server_first("nobody", &store, config()), first);
    assert_ne!(server_first("nobody", &store, sconf()), first);
}
