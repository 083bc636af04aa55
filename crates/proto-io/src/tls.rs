//! TLS configuration with rustls (ring provider): client trust, server certificates, and the
//! channel-binding data handed to machines as [`TlsInfo`].

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
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    /// A PEM file or buffer could not be read.
    #[error("PEM: {0}")]
    Pem(String),
    /// The host name is not valid for TLS.
    #[error("invalid TLS server name {0:?}")]
    ServerName(String),
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
    /// The Mozilla root store (webpki-roots).
    WebPkiRoots,
    /// The CA certificates in a PEM buffer.
    CaPem(Vec<u8>),
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
