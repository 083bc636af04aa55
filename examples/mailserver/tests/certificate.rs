//! The server's certificate as a client meets it: the self-signed one is kept across restarts
//! and trusted as a CA file by submit and fetch_new; a caller's own rustls configuration is
//! the one used; the README's openssl recipe (and the same shape made with rcgen) gives a CA
//! and a server certificate that rustls accepts; a CA certificate as the server's own is
//! warned of at start and refused by clients with the remedy.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{any_port, config, fast_retry, temp_dir};
use mailserver::{Config, Running};
use proto_io::fetch::{Collect, FetchOptions, fetch_new_async};
use proto_io::submit::{SubmitError, SubmitOptions, submit_async};
use proto_io::{Endpoint, TlsMode, Trust};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use sasl_proto::Credentials;

/// A server for example.org in `dir` with alice and bob, its submission also on implicit TLS.
async fn start(dir: &Path, tls: Option<(PathBuf, PathBuf)>) -> Running {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    for user in ["alice", "bob"] {
        mailserver::users::set_password(&data.join("users"), user, &format!("{user}-pw"), false)
            .unwrap();
    }
    let mut config: Config = config("example.org", &data, any_port(), vec![], fast_retry(3600));
    config.listen.submissions = any_port();
    if let Some((cert, key)) = tls {
        config.tls.cert = Some(cert);
        config.tls.key = Some(key);
    }
    mailserver::start(config, None).await.unwrap()
}

/// Submits a short message from alice to bob through `endpoint`.
async fn send(endpoint: Endpoint) -> Result<(), SubmitError> {
    let options =
        SubmitOptions::new(endpoint).credentials(Credentials::password("alice", "alice-pw"));
    let message = b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: trust\r\n\r\nhi\r\n";
    let report = submit_async(
        &options,
        "alice@example.org",
        &["bob@example.org"],
        &message[..],
        None,
    )
    .await?;
    assert_eq!(report.accepted, ["bob@example.org"]);
    Ok(())
}

/// Submission over implicit TLS to `localhost`.
fn submissions(server: &Running, trust: Trust) -> Endpoint {
    let port = server.addresses.submissions.unwrap().port();
    Endpoint::new("localhost", port, TlsMode::Implicit).trust(trust)
}

/// Fetches bob's new mail over POP3 with STLS to `localhost`, trusting `trust`; how many.
async fn fetch(server: &Running, trust: Trust) -> usize {
    let pop3 = server.addresses.pop3.unwrap().port();
    let options = FetchOptions::new(
        Endpoint::new("localhost", pop3, TlsMode::StartTls).trust(trust),
        Credentials::password("bob", "bob-pw"),
    );
    let mut inbox = Collect::default();
    let report = fetch_new_async(&options, &HashSet::new(), &mut inbox, None)
        .await
        .unwrap();
    report.fetched.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kept_self_signed_certificate_is_trusted_as_a_ca_file_across_restarts() {
    let dir = temp_dir("kept-certificate");
    let server = start(&dir, None).await;
    let path = dir
        .join("data")
        .join(mailserver::certificate::SELF_SIGNED_CERT);
    assert_eq!(server.certificate_path, path);
    assert!(server.certificate_warnings.is_empty());
    let first = server.certificate_pem.clone();

    let port = server.addresses.submission.unwrap().port();
    let starttls = Endpoint::new("localhost", port, TlsMode::StartTls);
    let refused = send(starttls.clone()).await.unwrap_err();
    // STARTTLS: the driver's TLS error, with the advice.
    let text = proto_io::error_chain(&refused);
    assert!(
        text.contains(
            "the server's certificate is not trusted: give its CA with Endpoint::trust or --ca-file"
        ),
        "{text}"
    );
    send(starttls.trust(Trust::ca_file(&path).unwrap()))
        .await
        .unwrap();
    assert_eq!(fetch(&server, Trust::ca_file(&path).unwrap()).await, 1);
    server.shutdown().await;

    let again = start(&dir, None).await;
    assert_eq!(
        again.certificate_pem, first,
        "the same certificate after a restart"
    );
    send(submissions(&again, Trust::ca_file(&path).unwrap()))
        .await
        .unwrap();
    again.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callers_rustls_config_is_the_one_submit_and_fetch_new_use() {
    let dir = temp_dir("rustls-config");
    let server = start(&dir, None).await;
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(&server.certificate_path).unwrap();
    for cert in rustls_pki_types::pem::PemObject::pem_slice_iter(&pem) {
        let cert: rustls_pki_types::CertificateDer<'_> = cert.unwrap();
        roots.add(cert).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(proto_io::tls::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let trust = Trust::RustlsConfig(Arc::new(config));
    assert!(
        send(submissions(&server, Trust::WebPkiRoots))
            .await
            .is_err()
    );
    send(submissions(&server, trust.clone())).await.unwrap();
    assert_eq!(fetch(&server, trust).await, 1);
    server.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Starts a server with `cert` and `key` of `dir`, and checks: no warning, and a client that
/// trusts `ca` submits over implicit TLS; then with the CA's own pair as the server's: one
/// warning at start, and the client's refusal names the remedy.
async fn check_ca_and_leaf(dir: &Path) {
    let files = |cert: &str, key: &str| Some((dir.join(cert), dir.join(key)));
    let ca = || Trust::ca_file(dir.join("ca.pem")).unwrap();

    let server = start(&dir.join("leaf"), files("server.pem", "server.key")).await;
    assert_eq!(server.certificate_path, dir.join("server.pem"));
    assert!(
        server.certificate_warnings.is_empty(),
        "{:?}",
        server.certificate_warnings
    );
    send(submissions(&server, ca())).await.unwrap();
    server.shutdown().await;

    let server = start(&dir.join("ca-as-leaf"), files("ca.pem", "ca.key")).await;
    assert_eq!(server.certificate_warnings.len(), 1);
    assert!(
        server.certificate_warnings[0].contains("CA:TRUE"),
        "{:?}",
        server.certificate_warnings
    );
    let refused = send(submissions(&server, ca())).await.unwrap_err();
    let text = proto_io::error_chain(&refused);
    assert!(
        text.contains("the server's certificate is a CA certificate (CA:TRUE)"),
        "{text}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readmes_openssl_recipe_makes_a_certificate_rustls_accepts() {
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        eprintln!("openssl is not installed: the rcgen twin of this test still runs");
        return;
    }
    let readme = include_str!("../README.md");
    let start = readme
        .find("```sh\n# A CA: its key signs server certificates")
        .expect("the recipe in the README");
    let recipe = &readme[start + "```sh\n".len()..];
    let recipe = &recipe[..recipe.find("```").unwrap()];
    let dir = temp_dir("openssl-recipe");
    let made = std::process::Command::new("sh")
        .args(["-e", "-c", recipe])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    check_ca_and_leaf(&dir).await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recipes_shape_made_with_rcgen_is_accepted() {
    let dir = temp_dir("rcgen-recipe");
    let ca_key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "Example Mail CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = params.self_signed(&ca_key).unwrap();

    let key = KeyPair::generate().unwrap();
    let names = vec!["mail.example.org".to_string(), "localhost".to_string()];
    let mut params = CertificateParams::new(names).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "mail.example.org");
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = params.signed_by(&key, &ca, &ca_key).unwrap();

    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("ca.key"), ca_key.serialize_pem()).unwrap();
    std::fs::write(dir.join("server.pem"), leaf.pem()).unwrap();
    std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();
    check_ca_and_leaf(&dir).await;
    std::fs::remove_dir_all(&dir).unwrap();
}
