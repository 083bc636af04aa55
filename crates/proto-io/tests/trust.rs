//! Which server certificates a client trusts, and what it says when it refuses one: a private
//! CA given as a file, the operating system's roots, the caller's own rustls configuration,
//! and the errors for an unknown issuer, a wrong name and a CA certificate used as a server's.
//! Real handshakes on 127.0.0.1, blocking and async.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::error::Error as _;
use std::io;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread;

use proto_io::tls::{self, ServerCertificateError, client_config, server_name};
use proto_io::{Endpoint, ServerTls, Stream, TlsMode, Trust, connect};
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::RootCertStore;

/// A private CA as the README's openssl recipe makes one: CA:TRUE, keyCertSign and cRLSign.
struct Ca {
    cert: Certificate,
    key: KeyPair,
}

impl Ca {
    fn new() -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "Test Mail CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).unwrap();
        Self { cert, key }
    }

    fn pem(&self) -> String {
        self.cert.pem()
    }

    /// A server certificate for `names` signed by this CA: CA:FALSE and a subjectAltName.
    fn leaf(&self, names: &[&str]) -> ServerTls {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.is_ca = IsCa::ExplicitNoCa;
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        ServerTls::from_pem(cert.pem().as_bytes(), key.serialize_pem().as_bytes()).unwrap()
    }

    /// The CA's own certificate and key as a server's: what rustls clients refuse.
    fn as_server(&self) -> ServerTls {
        ServerTls::from_pem(self.pem().as_bytes(), self.key.serialize_pem().as_bytes()).unwrap()
    }
}

/// Accepts `count` connections and runs the server side of a TLS handshake on each.
fn tls_server(server: ServerTls, count: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for _ in 0..count {
            let Ok((tcp, _)) = listener.accept() else {
                return;
            };
            // A refused handshake is the client's doing: the server just goes on.
            let _ = Stream::tls_server(tcp, &server);
        }
    });
    port
}

/// Connects with implicit TLS to 127.0.0.1 by `host` (which the certificate must carry).
fn connect_as(host: &str, port: u16, trust: Trust) -> io::Result<proto_io::Connected> {
    // "localhost" may resolve to ::1 first, where nobody listens: that fails at once.
    connect(&Endpoint::new(host, port, TlsMode::Implicit).trust(trust))
}

/// The explained refusal inside an `io::Error`, or a panic saying what came instead.
fn refusal(error: &io::Error) -> &ServerCertificateError {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ServerCertificateError>())
        .unwrap_or_else(|| panic!("not an explained certificate refusal: {error:?}"))
}

/// Every line an error-chain printer shows: the error's text, then each source's.
fn chain_lines(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut lines = vec![error.to_string()];
    let mut next = error.source();
    while let Some(source) = next {
        lines.push(source.to_string());
        next = source.source();
    }
    lines
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("proto-io-trust-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_ca_file_trusts_a_server_certificate_signed_by_that_ca() {
    let ca = Ca::new();
    let dir = temp_dir("ca-file");
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let port = tls_server(ca.leaf(&["localhost"]), 1);
    let connected = connect_as("localhost", port, Trust::ca_file(&ca_file).unwrap()).unwrap();
    assert!(connected.stream.is_tls());
    assert!(
        connected.tls_info.is_some(),
        "implicit TLS hands back the handshake's bindings"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn default_trust_refuses_a_private_ca_and_says_what_to_do() {
    let ca = Ca::new();
    let port = tls_server(ca.leaf(&["localhost"]), 1);
    let error = connect_as("localhost", port, Trust::WebPkiRoots).unwrap_err();
    assert!(matches!(
        refusal(&error),
        ServerCertificateError::NotTrusted(_)
    ));
    assert_eq!(
        chain_lines(&error),
        [
            "the server's certificate is not trusted: give its CA with Endpoint::trust or --ca-file",
            "invalid peer certificate: UnknownIssuer",
        ],
        "the advice, then rustls's error as its source, each once"
    );
    let source = error.source().unwrap().downcast_ref::<rustls::Error>();
    assert_eq!(
        source,
        Some(&rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer
        ))
    );
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn the_async_handshake_explains_a_refusal_the_same_way() {
    let ca = Ca::new();
    let port = tls_server(ca.leaf(&["localhost"]), 2);
    let endpoint = Endpoint::new("localhost", port, TlsMode::Implicit);
    let error = proto_io::connect::connect_async(&endpoint)
        .await
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(
        refusal(&error),
        ServerCertificateError::NotTrusted(_)
    ));
    assert_eq!(chain_lines(&error).len(), 2);

    let trusted = endpoint.trust(Trust::CaPem(ca.pem().into_bytes()));
    let (stream, _, info) = proto_io::connect::connect_async(&trusted).await.unwrap();
    assert!(stream.is_tls() && info.is_some());
}

#[test]
fn a_name_mismatch_says_which_name_was_expected() {
    let ca = Ca::new();
    let port = tls_server(ca.leaf(&["mail.example.org"]), 1);
    let error = connect_as("localhost", port, Trust::CaPem(ca.pem().into_bytes())).unwrap_err();
    let ServerCertificateError::WrongName {
        expected,
        presented,
        ..
    } = refusal(&error)
    else {
        panic!("not a name mismatch: {error}");
    };
    assert_eq!(expected, "localhost");
    assert_eq!(presented, &["mail.example.org"]);
    let text = error.to_string();
    assert!(
        text.starts_with(
            "the server's certificate is not valid for localhost (it is for mail.example.org): "
        ),
        "{text}"
    );
    let lines = chain_lines(&error);
    assert_eq!(lines.len(), 2);
    assert!(!lines[0].contains(&lines[1]), "{lines:?}");
}

#[test]
fn a_ca_certificate_as_the_servers_own_is_refused_with_the_remedy() {
    let ca = Ca::new();
    let port = tls_server(ca.as_server(), 1);
    // Trusted as the anchor, and still refused: webpki checks the CA flag of the server's own
    // certificate before its issuer and its names.
    let error = connect_as("localhost", port, Trust::CaPem(ca.pem().into_bytes())).unwrap_err();
    assert!(
        matches!(
            refusal(&error),
            ServerCertificateError::CaAsServerCertificate(_)
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("CA:FALSE"), "{error}");
}

#[test]
fn a_callers_rustls_config_is_the_one_used() {
    let ca = Ca::new();
    let mut roots = RootCertStore::empty();
    roots.add(ca.cert.der().clone()).unwrap();
    // An ALPN protocol only this configuration offers: the server echoes it, which shows
    // that the handshake ran with it.
    let mut config = rustls::ClientConfig::builder_with_provider(tls::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"x-trust-test".to_vec()];
    let config = Arc::new(config);
    let trust = Trust::RustlsConfig(config.clone());
    assert!(
        Arc::ptr_eq(&client_config(&trust).unwrap(), &config),
        "handed over as it is"
    );

    let mut server = ca.leaf(&["localhost"]);
    let mut server_config = (*server.config).clone();
    server_config.alpn_protocols = vec![b"x-trust-test".to_vec()];
    server.config = Arc::new(server_config);
    let port = tls_server(server, 2);
    let refused = connect_as("localhost", port, Trust::WebPkiRoots).unwrap_err();
    assert!(matches!(
        refusal(&refused),
        ServerCertificateError::NotTrusted(_)
    ));
    let connected = connect_as("localhost", port, trust).unwrap();
    let Stream::TlsClient(stream) = &connected.stream else {
        panic!("not a TLS client stream");
    };
    assert_eq!(stream.conn.alpn_protocol(), Some(&b"x-trust-test"[..]));
}

/// The variable that makes the child run of `system_roots_are_the_ones_of_ssl_cert_file` act.
const CHILD: &str = "PROTO_IO_TRUST_CHILD_DIR";

#[test]
fn system_roots_are_the_ones_of_ssl_cert_file() {
    // rustls-native-certs reads SSL_CERT_FILE instead of the system store when it is set. A
    // test cannot set a variable in its own process (it is unsafe), so it runs this test
    // binary again, with the variable, for the child half below.
    let ca = Ca::new();
    let dir = temp_dir("system-roots");
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.is_ca = IsCa::ExplicitNoCa;
    let leaf = params.signed_by(&key, &ca.cert, &ca.key).unwrap();
    std::fs::write(dir.join("leaf.pem"), leaf.pem()).unwrap();
    std::fs::write(dir.join("leaf.key"), key.serialize_pem()).unwrap();

    let run = |ca_file: &str| {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "system_roots_child", "--nocapture"])
            .env(CHILD, &dir)
            .env("SSL_CERT_FILE", ca_file)
            .env_remove("SSL_CERT_DIR")
            .output()
            .unwrap()
    };
    let trusted = run(dir.join("ca.pem").to_str().unwrap());
    let stdout = String::from_utf8_lossy(&trusted.stdout);
    let stderr = String::from_utf8_lossy(&trusted.stderr);
    assert!(trusted.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("connected with the system roots"),
        "{stdout}"
    );

    // The child with `store` as the "system" store fails with `why`.
    let refused = |store: &str, contents: &str, why: &str| {
        std::fs::write(dir.join(store), contents).unwrap();
        let output = run(dir.join(store).to_str().unwrap());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{stderr}");
        assert!(stderr.contains(&format!("refused: {why}")), "{stderr}");
    };
    // Another CA is refused, as untrusted: a CA of the same name (made again) whose key did
    // not sign the certificate.
    let other = Ca::new().pem();
    refused(
        "other.pem",
        &other,
        "the server's certificate is not trusted",
    );
    // A store without a certificate is an error that says so, not an empty trust.
    refused("empty.pem", "", "the operating system's CA certificates: ");
    std::fs::remove_dir_all(dir).unwrap();
}

/// The child half: only acts when run by the test above.
#[test]
fn system_roots_child() {
    let Some(dir) = std::env::var_os(CHILD).map(PathBuf::from) else {
        return;
    };
    let server = ServerTls::from_pem(
        &std::fs::read(dir.join("leaf.pem")).unwrap(),
        &std::fs::read(dir.join("leaf.key")).unwrap(),
    )
    .unwrap();
    let port = tls_server(server, 1);
    match connect_as("localhost", port, Trust::SystemRoots) {
        Ok(_) => println!("connected with the system roots"),
        Err(e) => panic!("refused: {e}"),
    }
}

#[test]
fn server_names_and_invalid_ones() {
    assert!(server_name("mail.example.org").is_ok());
    assert!(server_name("127.0.0.1").is_ok());
    assert!(server_name("not a name").is_err());
}
