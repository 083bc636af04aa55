//! TLS configuration with rustls (ring provider): client trust, server certificates, and the
//! channel-binding data handed to machines as [`TlsInfo`].

use std::io;
use std::path::Path;
use std::sync::Arc;

use proto_core::TlsInfo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};
use sha2::{Digest, Sha256};

/// A TLS setup could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsSetupError {
    /// rustls refused the configuration.
    #[error("TLS configuration")]
    Rustls(#[from] rustls::Error),
    /// A PEM file or buffer could not be read.
    #[error("PEM: {0}")]
    Pem(String),
    /// The host name is not valid for TLS.
    #[error("invalid TLS server name {0:?}")]
    ServerName(String),
    /// The operating system's CA certificates could not be loaded ([`Trust::SystemRoots`]).
    #[error("the operating system's CA certificates: {0}")]
    SystemRoots(String),
    /// A certificate is not the DER an X.509 certificate is ([`is_ca_certificate`]).
    #[error("not an X.509 certificate (DER)")]
    NotACertificate,
}

/// The one crypto provider of the workspace: ring's.
///
/// ring builds in about a third of the time of aws-lc-rs and needs no C toolchain, which is
/// why the workspace chose it; it has no post-quantum key exchange, and rustls 0.23.48 marks
/// its `default_provider` deprecated to say so. The choice is deliberate, so the warning is
/// allowed here, once.
#[allow(deprecated)]
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Which server certificates a client trusts.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Trust {
    /// The Mozilla root store compiled in (webpki-roots): the same on every machine.
    WebPkiRoots,
    /// The operating system's CA certificates (rustls-native-certs: `/etc/ssl/certs` and the
    /// like on Unix, the system keychain on macOS, the certificate store on Windows; the
    /// `SSL_CERT_FILE` and `SSL_CERT_DIR` environment variables replace them when set), read
    /// again for each connection. A program that makes many can read them once:
    /// `Trust::RustlsConfig(tls::client_config(&Trust::SystemRoots)?)`.
    SystemRoots,
    /// The CA certificates in a PEM buffer (a private CA, or a self-signed server's own
    /// certificate).
    CaPem(Vec<u8>),
    /// The caller's own rustls configuration, used as it is (its roots, verifier, client
    /// certificate, ALPN): for what the other variants do not cover.
    RustlsConfig(Arc<ClientConfig>),
    /// Any certificate at all: for tests on loopback only.
    AcceptInvalidCertificates,
}

impl Trust {
    /// The CA certificates of a PEM file.
    pub fn ca_file(path: impl AsRef<Path>) -> std::io::Result<Self> {
        std::fs::read(path).map(Trust::CaPem)
    }
}

/// A client configuration trusting `trust`.
pub fn client_config(trust: &Trust) -> Result<Arc<ClientConfig>, TlsSetupError> {
    let builder =
        ClientConfig::builder_with_provider(provider()).with_safe_default_protocol_versions()?;
    let config = match trust {
        Trust::RustlsConfig(config) => return Ok(config.clone()),
        Trust::SystemRoots => builder
            .with_root_certificates(system_roots()?)
            .with_no_client_auth(),
        Trust::WebPkiRoots => {
            let mut roots = RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        Trust::CaPem(pem) => {
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(pem) {
                roots.add(cert.map_err(|e| TlsSetupError::Pem(e.to_string()))?)?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        Trust::AcceptInvalidCertificates => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnything(provider())))
            .with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The operating system's CA certificates. Certificates the store holds but rustls cannot
/// parse are skipped, as are unreadable files when others were read; no certificate at all is
/// an error, so that a machine without a CA store says so rather than trusting nothing.
fn system_roots() -> Result<RootCertStore, TlsSetupError> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(found.certs);
    if roots.is_empty() {
        let why = match found.errors.first() {
            Some(error) => error.to_string(),
            None => "none found (is a CA certificates package installed?)".into(),
        };
        return Err(TlsSetupError::SystemRoots(why));
    }
    Ok(roots)
}

/// A server name for `host` (a DNS name or an IP address).
pub fn server_name(host: &str) -> Result<ServerName<'static>, TlsSetupError> {
    ServerName::try_from(host.to_owned()).map_err(|_| TlsSetupError::ServerName(host.into()))
}

/// A server's certificate chain and key, and the channel binding its certificate gives.
#[derive(Debug, Clone)]
pub struct ServerTls {
    /// The rustls configuration.
    pub config: Arc<ServerConfig>,
    /// `tls-server-end-point` (RFC 5929): SHA-256 of the leaf certificate.
    pub end_point: Vec<u8>,
}

impl ServerTls {
    /// A server configuration from a PEM certificate chain and a PEM private key.
    pub fn from_pem(cert_chain: &[u8], key: &[u8]) -> Result<Self, TlsSetupError> {
        let certs = CertificateDer::pem_slice_iter(cert_chain)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsSetupError::Pem(e.to_string()))?;
        let leaf = certs
            .first()
            .ok_or_else(|| TlsSetupError::Pem("no certificate".into()))?;
        let end_point = Sha256::digest(leaf.as_ref()).to_vec();
        let key =
            PrivateKeyDer::from_pem_slice(key).map_err(|e| TlsSetupError::Pem(e.to_string()))?;
        let config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(certs, key)?;
        Ok(Self {
            config: Arc::new(config),
            end_point,
        })
    }
}

/// Why a client refused the server's certificate, said as what to do about it; rustls's own
/// error is the [`source`](std::error::Error::source), and the text does not repeat it, so a
/// printer of the error chain shows each line once.
///
/// The client handshakes of [`connect()`](crate::connect()), the drivers' STARTTLS and the
/// short calls give it inside their `io::Error` (find it with `get_ref` and `downcast_ref`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerCertificateError {
    /// No trusted CA signed the certificate (rustls: `UnknownIssuer`, or `BadSignature` when a
    /// trusted CA has the issuer's name but not its key, as a CA made again has).
    #[error(
        "the server's certificate is not trusted: give its CA with Endpoint::trust or --ca-file"
    )]
    NotTrusted(#[source] rustls::Error),
    /// The certificate does not carry the name connected to.
    #[error("the server's certificate is not valid for {expected}{}: connect by a name it carries, or give the server a certificate whose subjectAltName holds {expected}", presented_names(.presented))]
    WrongName {
        /// The name connected to (the endpoint's host).
        expected: String,
        /// The names the certificate carries, when rustls said.
        presented: Vec<String>,
        /// rustls's error.
        #[source]
        source: rustls::Error,
    },
    /// The certificate is a CA's (basicConstraints CA:TRUE), which no rustls client accepts
    /// as a server's own (webpki: `CaUsedAsEndEntity`).
    #[error(
        "the server's certificate is a CA certificate (CA:TRUE), which TLS clients refuse as a server's own: give the server a certificate with CA:FALSE, signed by that CA"
    )]
    CaAsServerCertificate(#[source] rustls::Error),
    /// The certificate has expired or is not valid yet.
    #[error(
        "the server's certificate has expired or is not valid yet: renew it, or check this machine's clock"
    )]
    Expired(#[source] rustls::Error),
}

fn presented_names(presented: &[String]) -> String {
    if presented.is_empty() {
        String::new()
    } else {
        format!(" (it is for {})", presented.join(", "))
    }
}

/// A name as webpki reports it (`DnsName("mail.example.org")`, `IpAddress(192.0.2.1)`) as the
/// name alone, control characters escaped: it comes from the peer's certificate.
fn readable_name(reported: &str) -> String {
    let name = reported
        .strip_prefix("DnsName(\"")
        .and_then(|n| n.strip_suffix("\")"))
        .or_else(|| {
            reported
                .strip_prefix("IpAddress(")
                .and_then(|n| n.strip_suffix(')'))
        })
        .unwrap_or(reported);
    name.chars()
        .map(|c| match c.is_control() {
            true => c.escape_default().to_string(),
            false => c.to_string(),
        })
        .collect()
}

/// Turns a failed client handshake's error into one that says what to do, when rustls refused
/// the certificate; any other error is given back as it was.
pub(crate) fn explain_handshake_error(error: io::Error, name: &ServerName<'_>) -> io::Error {
    use rustls::CertificateError as C;
    let Some(rustls::Error::InvalidCertificate(cert)) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return error;
    };
    let source = rustls::Error::InvalidCertificate(cert.clone());
    let explained = match cert {
        C::UnknownIssuer | C::BadSignature => ServerCertificateError::NotTrusted(source),
        C::NotValidForNameContext { presented, .. } => ServerCertificateError::WrongName {
            expected: name.to_str().into_owned(),
            presented: presented.iter().map(|n| readable_name(n)).collect(),
            source,
        },
        C::NotValidForName => ServerCertificateError::WrongName {
            expected: name.to_str().into_owned(),
            presented: Vec::new(),
            source,
        },
        C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. } => {
            ServerCertificateError::Expired(source)
        }
        C::Other(other)
            if matches!(
                other.0.downcast_ref::<webpki::Error>(),
                Some(webpki::Error::CaUsedAsEndEntity)
            ) =>
        {
            ServerCertificateError::CaAsServerCertificate(source)
        }
        _ => return error,
    };
    io::Error::new(error.kind(), explained)
}

/// Whether a DER certificate says it is a CA's (basicConstraints with cA TRUE, RFC 5280
/// section 4.2.1.9). rustls clients refuse such a certificate as a server's own
/// (`CaUsedAsEndEntity`), so a server can warn at start. A certificate without the extension,
/// or with cA absent or FALSE, is not a CA's.
pub fn is_ca_certificate(cert: &[u8]) -> Result<bool, TlsSetupError> {
    der::basic_constraints_ca(cert).ok_or(TlsSetupError::NotACertificate)
}

/// Just enough DER (X.690) to find one extension of a certificate; every read is bounded, so
/// hostile input gives `None`, never a panic.
mod der {
    const SEQUENCE: u8 = 0x30;
    const BOOLEAN: u8 = 0x01;
    const OCTET_STRING: u8 = 0x04;
    const OID: u8 = 0x06;
    /// `[3] EXPLICIT`, the extensions of a TBSCertificate.
    const EXTENSIONS: u8 = 0xa3;
    /// id-ce-basicConstraints, 2.5.29.19.
    const BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];

    /// Splits one TLV off `input`: its tag, its contents, and what follows.
    fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            // Long form: 1 to 4 length octets are plenty for a certificate.
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 {
                return None;
            }
            let (bytes, rest) = rest.split_at_checked(n)?;
            let len = bytes
                .iter()
                .fold(0usize, |len, &b| (len << 8) | usize::from(b));
            (len, rest)
        };
        let (contents, rest) = rest.split_at_checked(len)?;
        Some((tag, contents, rest))
    }

    /// The contents of a TLV that must have tag `want`.
    fn expect(input: &[u8], want: u8) -> Option<(&[u8], &[u8])> {
        let (tag, contents, rest) = tlv(input)?;
        (tag == want).then_some((contents, rest))
    }

    /// cA of the basicConstraints extension; false without the extension.
    pub(super) fn basic_constraints_ca(cert: &[u8]) -> Option<bool> {
        let (certificate, _) = expect(cert, SEQUENCE)?;
        let (mut tbs, _) = expect(certificate, SEQUENCE)?;
        // version, serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo,
        // then the optional [1] and [2] unique ids and [3] extensions: walk to [3].
        let extensions = loop {
            if tbs.is_empty() {
                return Some(false);
            }
            let (tag, contents, rest) = tlv(tbs)?;
            if tag == EXTENSIONS {
                break contents;
            }
            tbs = rest;
        };
        let (mut list, _) = expect(extensions, SEQUENCE)?;
        while !list.is_empty() {
            let (extension, rest) = expect(list, SEQUENCE)?;
            list = rest;
            let (oid, mut fields) = expect(extension, OID)?;
            if oid != BASIC_CONSTRAINTS {
                continue;
            }
            // critical BOOLEAN DEFAULT FALSE, then extnValue.
            if let Some((BOOLEAN, _, rest)) = tlv(fields) {
                fields = rest;
            }
            let (value, _) = expect(fields, OCTET_STRING)?;
            let (constraints, _) = expect(value, SEQUENCE)?;
            // cA BOOLEAN DEFAULT FALSE, then pathLenConstraint.
            return Some(match tlv(constraints) {
                Some((BOOLEAN, flag, _)) => flag.iter().any(|&b| b != 0),
                _ => false,
            });
        }
        Some(false)
    }
}

/// What a finished handshake tells a machine: the `tls-exporter` binding (RFC 9266), the
/// `tls-server-end-point` binding (RFC 5929, SHA-256 of the server's certificate), the version.
pub fn tls_info(
    conn: &rustls::CommonState,
    exporter: Option<Vec<u8>>,
    end_point: Option<Vec<u8>>,
) -> TlsInfo {
    let mut info = TlsInfo::new();
    if let Some(bytes) = exporter {
        info = info.with_tls_exporter(bytes);
    }
    if let Some(bytes) = end_point {
        info = info.with_tls_server_end_point(bytes);
    }
    if let Some(version) = conn.protocol_version() {
        info = info.with_protocol_version(format!("{version:?}"));
    }
    info
}

/// The RFC 9266 exporter value of a connection, when the protocol allows one.
pub fn exporter(conn: &rustls::ConnectionCommon<impl Sized>) -> Option<Vec<u8>> {
    conn.export_keying_material(vec![0u8; 32], b"EXPORTER-Channel-Binding", None)
        .ok()
}

/// SHA-256 of the peer's leaf certificate, for a client's `tls-server-end-point`.
pub fn peer_end_point(certs: Option<&[CertificateDer<'_>]>) -> Option<Vec<u8>> {
    certs?
        .first()
        .map(|leaf| Sha256::digest(leaf.as_ref()).to_vec())
}

/// Accepts every certificate: only with [`Trust::AcceptInvalidCertificates`], for tests.
#[derive(Debug)]
struct AcceptAnything(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};

    fn certificate(is_ca: IsCa) -> Vec<u8> {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["mail.example.org".to_string()]).unwrap();
        params.is_ca = is_ca;
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn basic_constraints_ca_is_found() {
        let ca = certificate(IsCa::Ca(BasicConstraints::Unconstrained));
        assert!(is_ca_certificate(&ca).unwrap());
        let constrained = certificate(IsCa::Ca(BasicConstraints::Constrained(0)));
        assert!(is_ca_certificate(&constrained).unwrap());
        assert!(!is_ca_certificate(&certificate(IsCa::ExplicitNoCa)).unwrap());
        // rcgen writes no basicConstraints at all for NoCa: not a CA either.
        assert!(!is_ca_certificate(&certificate(IsCa::NoCa)).unwrap());
    }

    #[test]
    fn hostile_certificates_never_panic() {
        let ca = certificate(IsCa::Ca(BasicConstraints::Unconstrained));
        assert!(is_ca_certificate(b"").is_err());
        assert!(is_ca_certificate(b"-----BEGIN CERTIFICATE-----").is_err());
        // Every cut of a real certificate: an error (the outer length no longer fits), never
        // a panic, and never a CA found where the extension was cut away.
        for cut in 0..ca.len() {
            assert!(is_ca_certificate(&ca[..cut]).is_err(), "cut at {cut}");
        }
        // Every octet flipped: some answer or an error, never a panic.
        for at in 0..ca.len() {
            let mut bent = ca.clone();
            bent[at] ^= 0xff;
            let _ = is_ca_certificate(&bent);
        }
        // Lengths longer than four octets, and past the end.
        assert!(is_ca_certificate(&[0x30, 0x85, 1, 0, 0, 0, 0]).is_err());
        assert!(is_ca_certificate(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(is_ca_certificate(&[0x30, 0x80]).is_err());
    }

    #[test]
    fn reported_names_read_as_names() {
        assert_eq!(
            readable_name("DnsName(\"mail.example.org\")"),
            "mail.example.org"
        );
        assert_eq!(readable_name("IpAddress(192.0.2.1)"), "192.0.2.1");
        assert_eq!(readable_name("DnsName(\"a\nb\")"), "a\\nb");
        assert_eq!(readable_name("DirectoryName"), "DirectoryName");
    }
}
