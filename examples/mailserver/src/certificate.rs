//! The server's certificate: the configured one, or a self-signed one made once and kept in the
//! data directory, so that clients can be told to trust it and it stays the same across
//! restarts.

use std::io::Write;
use std::path::{Path, PathBuf};

use proto_io::ServerTls;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::{Config, StartError};

/// The self-signed certificate's file in the data directory (the one clients trust).
pub const SELF_SIGNED_CERT: &str = "self-signed.pem";
/// Its private key's file in the data directory (mode 0600).
pub const SELF_SIGNED_KEY: &str = "self-signed.key";

/// The certificate the server presents.
#[derive(Debug)]
pub struct ServerCertificate {
    /// The rustls configuration and the channel binding.
    pub tls: ServerTls,
    /// The certificate chain (PEM).
    pub pem: String,
    /// The file it came from.
    pub path: PathBuf,
    /// True when it is the server's own self-signed certificate (made now or before).
    pub self_signed: bool,
    /// What a client will make of it that the administrator should know (a CA certificate).
    pub warnings: Vec<String>,
}

/// Loads the configured certificate, or the self-signed one of the data directory (making it
/// on the first start, or again when the host name changed).
pub fn load(config: &Config) -> Result<ServerCertificate, StartError> {
    match (&config.tls.cert, &config.tls.key) {
        (Some(cert), Some(key)) => configured(cert, key),
        (None, None) => self_signed(config),
        _ => Err(StartError::Config(
            "[tls] needs both cert and key (or neither, for a self-signed certificate)".into(),
        )),
    }
}

fn io_error(what: String) -> impl FnOnce(std::io::Error) -> StartError {
    move |source| StartError::Io { what, source }
}

fn configured(cert: &Path, key: &Path) -> Result<ServerCertificate, StartError> {
    let cert_pem = std::fs::read(cert).map_err(io_error(format!("reading {}", cert.display())))?;
    let key_pem = std::fs::read(key).map_err(io_error(format!("reading {}", key.display())))?;
    let tls =
        ServerTls::from_pem(&cert_pem, &key_pem).map_err(|e| StartError::Tls(e.to_string()))?;
    Ok(ServerCertificate {
        tls,
        warnings: warnings(&cert_pem, cert),
        pem: String::from_utf8_lossy(&cert_pem).into_owned(),
        path: cert.to_owned(),
        self_signed: false,
    })
}

/// What clients will refuse in the certificate chain `cert_pem` (from `path`), as warnings.
///
/// A certificate with basicConstraints CA:TRUE as the server's own is refused by every rustls
/// client (`CaUsedAsEndEntity`), however it is trusted; other TLS stacks differ, so it is a
/// warning rather than a refusal to start.
pub fn warnings(cert_pem: &[u8], path: &Path) -> Vec<String> {
    let leaf = CertificateDer::pem_slice_iter(cert_pem).next();
    match leaf.map(|cert| cert.map(|der| proto_io::tls::is_ca_certificate(&der))) {
        Some(Ok(Ok(false))) => Vec::new(),
        Some(Ok(Ok(true))) => vec![format!(
            "{}: the certificate is a CA certificate (basicConstraints CA:TRUE): rustls clients \
             refuse it as a server's own (CaUsedAsEndEntity); give the server a certificate \
             with CA:FALSE signed by that CA (see the README's openssl recipe)",
            path.display()
        )],
        _ => vec![format!(
            "{}: the first certificate could not be read as X.509",
            path.display()
        )],
    }
}

/// The line before the PEM block of a self-signed certificate: the names it was made for, so
/// that a start with another host name makes a new one. PEM readers skip text outside the
/// block (RFC 7468 section 5.2).
fn header(names: &[String]) -> String {
    format!(
        "mailserver self-signed certificate for {}\n",
        names.join(", ")
    )
}

fn self_signed(config: &Config) -> Result<ServerCertificate, StartError> {
    let names = vec![config.hostname.clone(), "localhost".to_string()];
    let cert_path = config.data_dir.join(SELF_SIGNED_CERT);
    let key_path = config.data_dir.join(SELF_SIGNED_KEY);
    let header = header(&names);
    let kept = match (
        std::fs::read_to_string(&cert_path),
        std::fs::read(&key_path),
    ) {
        (Ok(cert), Ok(key)) if cert.starts_with(&header) => Some((cert, key)),
        (Ok(_), Ok(_)) => {
            tracing::info!(
                certificate = %cert_path.display(),
                "the host name changed: making a new self-signed certificate"
            );
            None
        }
        _ => None,
    };
    let (cert_pem, key_pem) = match kept {
        Some(pair) => pair,
        None => {
            let generated = rcgen::generate_simple_self_signed(names)
                .map_err(|e| StartError::Tls(e.to_string()))?;
            let cert_pem = format!("{header}{}", generated.cert.pem());
            let key_pem = generated.key_pair.serialize_pem().into_bytes();
            // The key first: a certificate on disk always has its key beside it.
            write_file(&key_path, &key_pem, 0o600)?;
            write_file(&cert_path, cert_pem.as_bytes(), 0o644)?;
            (cert_pem, key_pem)
        }
    };
    let tls = ServerTls::from_pem(cert_pem.as_bytes(), &key_pem).map_err(|e| {
        StartError::Tls(format!(
            "{} or {}: {e} (remove both to make new ones)",
            cert_path.display(),
            key_path.display()
        ))
    })?;
    Ok(ServerCertificate {
        tls,
        pem: cert_pem,
        path: cert_path,
        self_signed: true,
        warnings: Vec::new(),
    })
}

/// Writes `data` to `path` whole or not at all: a temporary file with `mode` from its
/// creation (a key is never readable by others, not even for a moment), fsynced, renamed.
fn write_file(path: &Path, data: &[u8], mode: u32) -> Result<(), StartError> {
    let what = || format!("writing {}", path.display());
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    // A temporary file left by a crash may have other permissions: start afresh.
    let _ = std::fs::remove_file(&temporary);
    let mut file = options.open(&temporary).map_err(io_error(what()))?;
    file.write_all(data).map_err(io_error(what()))?;
    file.sync_all().map_err(io_error(what()))?;
    std::fs::rename(&temporary, path).map_err(io_error(what()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "mailserver-certificate-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn config(dir: &Path, hostname: &str) -> Config {
        Config {
            hostname: hostname.into(),
            data_dir: dir.to_owned(),
            ..Config::default()
        }
    }

    #[test]
    fn the_self_signed_certificate_is_kept_and_made_again_for_a_new_host_name() {
        let dir = temp_dir("kept");
        let first = load(&config(&dir, "mx.example.org")).unwrap();
        assert!(first.self_signed);
        assert_eq!(first.path, dir.join(SELF_SIGNED_CERT));
        assert_eq!(std::fs::read_to_string(&first.path).unwrap(), first.pem);
        assert!(first.pem.starts_with(
            "mailserver self-signed certificate for mx.example.org, localhost\n-----BEGIN"
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |name| {
                std::fs::metadata(dir.join(name))
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777
            };
            assert_eq!(mode(SELF_SIGNED_KEY), 0o600);
        }
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        assert_eq!(
            files,
            [SELF_SIGNED_KEY, SELF_SIGNED_CERT],
            "no temporary file left"
        );
        let second = load(&config(&dir, "mx.example.org")).unwrap();
        assert_eq!(
            second.pem, first.pem,
            "the same certificate after a restart"
        );
        assert_eq!(second.tls.end_point, first.tls.end_point);

        let renamed = load(&config(&dir, "mail.example.org")).unwrap();
        assert_ne!(renamed.pem, first.pem);
        assert!(renamed.pem.contains("for mail.example.org, localhost"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_damaged_kept_certificate_stops_the_start_with_the_remedy() {
        let dir = temp_dir("damaged");
        load(&config(&dir, "localhost")).unwrap();
        std::fs::write(dir.join(SELF_SIGNED_KEY), "not a key").unwrap();
        let error = load(&config(&dir, "localhost")).unwrap_err().to_string();
        assert!(error.contains("remove both to make new ones"), "{error}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_certificate_without_its_key_is_a_configuration_error() {
        let mut config = config(Path::new("unused"), "localhost");
        config.tls.cert = Some("cert.pem".into());
        assert!(matches!(load(&config), Err(StartError::Config(_))));
    }

    fn pem_with(is_ca: IsCa) -> String {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["mx.example.org".to_string()]).unwrap();
        params.is_ca = is_ca;
        params.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn a_ca_certificate_as_the_servers_own_is_warned_of() {
        let path = Path::new("/etc/mail/cert.pem");
        let ca = pem_with(IsCa::Ca(BasicConstraints::Unconstrained));
        let warnings = warnings(ca.as_bytes(), path);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].starts_with("/etc/mail/cert.pem: the certificate is a CA certificate"),
            "{warnings:?}"
        );
        assert!(warnings[0].contains("CaUsedAsEndEntity"));
        assert!(super::warnings(pem_with(IsCa::ExplicitNoCa).as_bytes(), path).is_empty());
        assert!(super::warnings(pem_with(IsCa::NoCa).as_bytes(), path).is_empty());
        assert_eq!(super::warnings(b"no PEM here", path).len(), 1);
    }
}
