//! Client against server in memory, for every mechanism, plus channel binding and downgrade.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{Outcome, nonce, run, store};
use sasl_proto::store::resolve;
use sasl_proto::{
    ChannelBinding, Client, ClientConfig, Credentials, Error, Mechanism, Server, ServerConfig,
    ServerStep,
};

fn cconf() -> ClientConfig {
    ClientConfig::default().with_nonce_source(nonce("clientnonce123"))
}

fn sconf() -> ServerConfig {
    ServerConfig::default().with_nonce_source(nonce("servernonce456"))
}

fn ok(authcid: &str) -> Outcome {
    Outcome::Success {
        authcid: authcid.into(),
        authzid: None,
    }
}

fn pair(
    mech: Mechanism,
    creds: Credentials,
    c: ClientConfig,
    s: ServerConfig,
    use_ir: bool,
    final_as_challenge: bool,
) -> Outcome {
    let mut client = Client::new(mech.clone(), creds, c).unwrap();
    let mut server = Server::new(mech, s).unwrap();
    run(
        &mut client,
        &mut server,
        &store(),
        use_ir,
        final_as_challenge,
    )
}

#[test]
fn every_password_mechanism_with_and_without_initial_response() {
    for mech in [
        Mechanism::Plain,
        Mechanism::Login,
        Mechanism::ScramSha1,
        Mechanism::ScramSha256,
    ] {
        for use_ir in [true, false] {
            for fac in [true, false] {
                let out = pair(
                    mech.clone(),
                    Credentials::password("user", "pencil"),
                    cconf(),
                    sconf(),
                    use_ir,
                    fac,
                );
                assert_eq!(out, ok("user"), "{mech} ir={use_ir} fac={fac}");
            }
        }
    }
}

#[test]
fn cram_md5_and_scram_from_plaintext_store() {
    for mech in [
        Mechanism::CramMd5,
        Mechanism::Plain,
        Mechanism::Login,
        Mechanism::ScramSha1,
        Mechanism::ScramSha256,
    ] {
        let out = pair(
            mech.clone(),
            Credentials::password("tim", "tanstaaftanstaaf"),
            cconf(),
            sconf(),
            true,
            true,
        );
        assert_eq!(out, ok("tim"), "{mech}");
    }
}

#[test]
fn wrong_password_fails_everywhere() {
    for mech in [
        Mechanism::Plain,
        Mechanism::Login,
        Mechanism::CramMd5,
        Mechanism::ScramSha1,
        Mechanism::ScramSha256,
    ] {
        let user = if mech == Mechanism::CramMd5 {
            "tim"
        } else {
            "user"
        };
        let out = pair(
            mech.clone(),
            Credentials::password(user, "wrong"),
            cconf(),
            sconf(),
            true,
            true,
        );
        assert_eq!(
            out,
            Outcome::ServerFailure(Error::AuthenticationFailed),
            "{mech}"
        );
    }
}

#[test]
fn unknown_user_and_wrong_secret_kind() {
    let out = pair(
        Mechanism::ScramSha256,
        Credentials::password("nobody", "x"),
        cconf(),
        sconf(),
        true,
        true,
    );
    assert_eq!(out, Outcome::ServerFailure(Error::UnknownUser));
    // CRAM-MD5 needs the plaintext password; "user" has only SCRAM keys.
    let out = pair(
        Mechanism::CramMd5,
        Credentials::password("user", "pencil"),
        cconf(),
        sconf(),
        true,
        true,
    );
    assert_eq!(out, Outcome::ServerFailure(Error::UnknownUser));
}

#[test]
fn authzid_round_trip_and_refusal() {
    for mech in [Mechanism::Plain, Mechanism::ScramSha256] {
        let out = pair(
            mech.clone(),
            Credentials::password("user", "pencil").with_authzid("user"),
            cconf(),
            sconf(),
            true,
            false,
        );
        assert_eq!(
            out,
            Outcome::Success {
                authcid: "user".into(),
                authzid: Some("user".into())
            },
            "{mech}"
        );
        let out = pair(
            mech.clone(),
            Credentials::password("user", "pencil").with_authzid("admin,=x"),
            cconf(),
            sconf(),
            true,
            false,
        );
        assert_eq!(out, Outcome::ServerFailure(Error::NotAuthorized), "{mech}");
    }
}

#[test]
fn oauth_mechanisms_success_and_error_flow() {
    for mech in [Mechanism::XOAuth2, Mechanism::OAuthBearer] {
        let out = pair(
            mech.clone(),
            Credentials::oauth("user", "tok"),
            cconf(),
            sconf(),
            true,
            true,
        );
        // OAUTHBEARER carries the user as the gs2 authzid (RFC 7628 section 4.1).
        let expected = Outcome::Success {
            authcid: "user".into(),
            authzid: (mech == Mechanism::OAuthBearer).then(|| "user".to_owned()),
        };
        assert_eq!(out, expected, "{mech}");
        let out = pair(
            mech.clone(),
            Credentials::oauth("user", "bad"),
            cconf(),
            sconf(),
            true,
            true,
        );
        assert_eq!(
            out,
            Outcome::ServerFailure(Error::OAuth {
                status: Some("invalid_token".into()),
                json: r#"{"status":"invalid_token"}"#.into()
            }),
            "{mech}"
        );
    }
}

#[test]
fn external_and_anonymous() {
    let s = sconf().with_external_identity("CN=user");
    let mut client = Client::new(Mechanism::External, Credentials::external(), cconf()).unwrap();
    let mut server = Server::new(Mechanism::External, s).unwrap();
    let out = run(&mut client, &mut server, &store(), true, true);
    assert_eq!(out, ok("CN=user"));

    // EXTERNAL with an authzid the store does not allow.
    let s = sconf().with_external_identity("CN=user");
    let mut client = Client::new(
        Mechanism::External,
        Credentials::external().with_authzid("root"),
        cconf(),
    )
    .unwrap();
    let mut server = Server::new(Mechanism::External, s).unwrap();
    let out = run(&mut client, &mut server, &store(), false, true);
    assert_eq!(out, Outcome::ServerFailure(Error::NotAuthorized));

    // EXTERNAL without a lower-layer identity.
    let mut client = Client::new(Mechanism::External, Credentials::external(), cconf()).unwrap();
    let mut server = Server::new(Mechanism::External, sconf()).unwrap();
    let out = run(&mut client, &mut server, &store(), true, true);
    assert_eq!(out, Outcome::ServerFailure(Error::NoExternalIdentity));

    for trace in [
        None,
        Some("sirhc".to_owned()),
        Some("a@b.example".to_owned()),
    ] {
        let out = pair(
            Mechanism::Anonymous,
            Credentials::anonymous(trace.clone()),
            cconf(),
            sconf(),
            true,
            true,
        );
        assert_eq!(out, ok("anonymous"), "{trace:?}");
    }
}

fn plus_pair(
    mech: Mechanism,
    client_cb: Option<ChannelBinding>,
    server_cb: Option<ChannelBinding>,
    server_advertised_plus: bool,
) -> Outcome {
    let mut c = cconf().with_server_advertised_plus(server_advertised_plus);
    if let Some(cb) = client_cb {
        c = c.with_channel_binding(cb);
    }
    let mut s = sconf().with_advertised_plus(server_advertised_plus);
    if let Some(cb) = server_cb {
        s = s.with_channel_binding(cb);
    }
    let mut client = Client::new(mech.clone(), Credentials::password("user", "pencil"), c).unwrap();
    let mut server = Server::new(mech, s).unwrap();
    run(&mut client, &mut server, &store(), true, true)
}

fn exporter(b: u8) -> ChannelBinding {
    ChannelBinding::TlsExporter(vec![b; 32])
}

#[test]
fn plus_with_both_binding_types() {
    for mech in [Mechanism::ScramSha1Plus, Mechanism::ScramSha256Plus] {
        assert_eq!(
            plus_pair(mech.clone(), Some(exporter(7)), Some(exporter(7)), true),
            ok("user")
        );
        let ep = ChannelBinding::TlsServerEndPoint(vec![9; 32]);
        assert_eq!(
            plus_pair(mech.clone(), Some(ep.clone()), Some(ep), true),
            ok("user")
        );
    }
}

#[test]
fn plus_with_wrong_binding_data_or_type() {
    assert_eq!(
        plus_pair(
            Mechanism::ScramSha256Plus,
            Some(exporter(7)),
            Some(exporter(8)),
            true
        ),
        Outcome::ServerFailure(Error::ChannelBindingMismatch)
    );
    assert_eq!(
        plus_pair(
            Mechanism::ScramSha256Plus,
            Some(ChannelBinding::TlsServerEndPoint(vec![1; 32])),
            Some(exporter(1)),
            true
        ),
        Outcome::ServerFailure(Error::UnsupportedChannelBindingType(
            "tls-server-end-point".into()
        ))
    );
}

#[test]
fn downgrade_detection() {
    // The client can bind but saw no -PLUS (an attacker removed it): it says "y", and the
    // server, which did advertise -PLUS, fails the exchange.
    let mut c = cconf()
        .with_channel_binding(exporter(1))
        .with_server_advertised_plus(false);
    c.limits = sasl_proto::Limits::default();
    let mut client = Client::new(
        Mechanism::ScramSha256,
        Credentials::password("user", "pencil"),
        c,
    )
    .unwrap();
    let first = client.initial_response().unwrap().unwrap();
    assert!(first.starts_with(b"y,,"));
    let mut server = Server::new(
        Mechanism::ScramSha256,
        sconf()
            .with_channel_binding(exporter(1))
            .with_advertised_plus(true),
    )
    .unwrap();
    assert_eq!(
        server.start(Some(&first)),
        ServerStep::Failure(Error::Downgrade)
    );

    // The same "y" to a server that really has no -PLUS is fine.
    assert_eq!(
        plus_pair(Mechanism::ScramSha256, Some(exporter(1)), None, false),
        ok("user")
    );
    // A client without binding data says "n" even when -PLUS was advertised.
    assert_eq!(
        plus_pair(Mechanism::ScramSha256, None, Some(exporter(1)), true),
        ok("user")
    );
}

#[test]
fn plus_server_refuses_unbound_client_first() {
    let mut server = Server::new(
        Mechanism::ScramSha256Plus,
        sconf().with_channel_binding(exporter(1)),
    )
    .unwrap();
    assert_eq!(
        server.start(Some(b"n,,n=user,r=abc")),
        ServerStep::Failure(Error::ChannelBindingRequired)
    );
    let mut server = Server::new(Mechanism::ScramSha256, sconf()).unwrap();
    assert_eq!(
        server.start(Some(b"p=tls-exporter,,n=user,r=abc")),
        ServerStep::Failure(Error::ChannelBindingNotSupported)
    );
}

#[test]
fn plus_needs_binding_data_on_both_sides() {
    assert_eq!(
        Client::new(
            Mechanism::ScramSha256Plus,
            Credentials::password("u", "p"),
            cconf()
        )
        .unwrap_err(),
        Error::ChannelBindingUnavailable
    );
    assert_eq!(
        Server::new(Mechanism::ScramSha1Plus, sconf()).unwrap_err(),
        Error::ChannelBindingUnavailable
    );
}

#[test]
fn resolve_is_idempotent_on_final_steps() {
    let mut server = Server::new(Mechanism::Plain, sconf()).unwrap();
    let step = server.start(Some(b"\0user\0pencil"));
    let step = resolve(&mut server, step, &store());
    assert_eq!(
        step,
        ServerStep::Success {
            authcid: "user".into(),
            authzid: None,
            additional_data: None
        }
    );
    assert_eq!(
        server.step(b"x"),
        ServerStep::Failure(Error::UnexpectedMessage)
    );
}

#[cfg(feature = "getrandom")]
#[test]
fn os_nonce_source_runs_scram() {
    let mut client = Client::new(
        Mechanism::ScramSha256,
        Credentials::password("user", "pencil"),
        ClientConfig::default(),
    )
    .unwrap();
    let mut server = Server::new(Mechanism::ScramSha256, ServerConfig::default()).unwrap();
    assert_eq!(
        run(&mut client, &mut server, &store(), true, true),
        ok("user")
    );
    let mut n = sasl_proto::OsNonce;
    use sasl_proto::NonceSource as _;
    let (a, b) = (n.nonce(), n.nonce());
    assert_eq!(a.len(), 32);
    assert_ne!(a, b);
}

/// A store that keeps only its own password check (standing in for a password hash).
struct HashedStore;

impl sasl_proto::CredentialStore for HashedStore {
    fn secret(&self, _: &Mechanism, _: &str) -> Option<sasl_proto::StoredSecret> {
        None
    }

    fn check_password(&self, authcid: &str, password: &sasl_proto::Secret) -> Option<bool> {
        Some(
            authcid == "user"
                && sasl_proto::md5::md5_hex(password.expose().as_bytes())
                    == sasl_proto::md5::md5_hex(b"pencil"),
        )
    }
}

#[test]
fn application_checks_the_password_itself() {
    for (mech, password, expected) in [
        (Mechanism::Plain, "pencil", ok("user")),
        (Mechanism::Login, "pencil", ok("user")),
        (
            Mechanism::Plain,
            "wrong",
            Outcome::ServerFailure(Error::AuthenticationFailed),
        ),
        (
            Mechanism::Login,
            "wrong",
            Outcome::ServerFailure(Error::AuthenticationFailed),
        ),
    ] {
        let mut client = Client::new(
            mech.clone(),
            Credentials::password("user", password),
            cconf(),
        )
        .unwrap();
        let mut server = Server::new(mech.clone(), sconf()).unwrap();
        assert_eq!(
            run(&mut client, &mut server, &HashedStore, true, true),
            expected,
            "{mech}"
        );
    }
    // By hand: the presented password is there only while the secret is wanted.
    let mut server = Server::new(Mechanism::Plain, sconf()).unwrap();
    assert!(server.presented_password().is_none());
    server.start(Some(b"\0user\0pencil"));
    assert_eq!(
        server.presented_password().map(|p| p.expose()),
        Some("pencil")
    );
    assert!(matches!(
        server.password_verified(true),
        ServerStep::NeedAuthorize { .. }
    ));
    assert!(server.presented_password().is_none());
    assert!(matches!(
        server.password_verified(true),
        ServerStep::Failure(Error::Usage(_))
    ));
}

/// The binding a TLS handshake gives: tls-exporter when known, else tls-server-end-point.
#[test]
fn channel_binding_from_tls_prefers_the_exporter() {
    assert_eq!(
        ChannelBinding::from_tls(Some(b"exp"), Some(b"cert")),
        Some(ChannelBinding::TlsExporter(b"exp".to_vec()))
    );
    assert_eq!(
        ChannelBinding::from_tls(None, Some(b"cert")),
        Some(ChannelBinding::TlsServerEndPoint(b"cert".to_vec()))
    );
    assert_eq!(ChannelBinding::from_tls(None, None), None);
}
