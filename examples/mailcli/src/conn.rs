//! From connection flags to a proto-io [`Endpoint`] and SASL credentials.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use proto_io::{Endpoint, TlsMode, Trust};
use sasl_proto::{Credentials, Secret};

use crate::Env;
use crate::cli::{ConnectionArgs, TlsArg};
use crate::error::Error;

/// The protocol a connection is for: it picks the default ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    /// SMTP submission: 587 (STARTTLS), 465 (implicit TLS), 25 (none).
    Submission,
    /// LMTP: no standard port; 24 is common.
    Lmtp,
    /// POP3: 110 (STLS or none), 995 (implicit TLS).
    Pop3,
}

/// The longest password file read.
const MAX_PASSWORD_FILE: u64 = 64 * 1024;

/// The default port of `service` with `tls`.
pub(crate) fn default_port(service: Service, tls: TlsArg) -> u16 {
    match (service, tls) {
        (Service::Submission, TlsArg::Starttls) => 587,
        (Service::Submission, TlsArg::Implicit) => 465,
        (Service::Submission, TlsArg::None) => 25,
        (Service::Lmtp, _) => 24,
        (Service::Pop3, TlsArg::Implicit) => 995,
        (Service::Pop3, _) => 110,
    }
}

/// The endpoint the flags describe.
pub(crate) fn endpoint(args: &ConnectionArgs, service: Service) -> Result<Endpoint, Error> {
    let Some(host) = args.server.as_deref() else {
        return Err(Error::Usage("--server is required".into()));
    };
    let tls = match args.tls {
        TlsArg::Starttls => TlsMode::StartTls,
        TlsArg::Implicit => TlsMode::Implicit,
        TlsArg::None => TlsMode::Plain,
    };
    let trust = match (&args.ca_file, args.insecure) {
        (_, true) => Trust::AcceptInvalidCertificates,
        (Some(path), false) => Trust::ca_file(path).map_err(|source| Error::Input {
            path: path.clone(),
            source,
        })?,
        (None, false) if args.system_roots => Trust::SystemRoots,
        (None, false) => Trust::WebPkiRoots,
    };
    let port = args.port.unwrap_or_else(|| default_port(service, args.tls));
    let mut endpoint = Endpoint::new(host, port, tls).trust(trust);
    endpoint.connect_timeout = Duration::from_secs(args.connect_timeout.max(1));
    Ok(endpoint)
}

/// The credentials the flags describe: `None` without `--user`.
///
/// The password comes from `--password`, else `--password-file`, else `MAILCLI_PASSWORD`.
/// It never appears in an error message.
pub(crate) fn credentials(args: &ConnectionArgs, env: &Env) -> Result<Option<Credentials>, Error> {
    let Some(user) = args.user.as_deref() else {
        if args.password.is_some() || args.password_file.is_some() {
            return Err(Error::Usage("a password was given without --user".into()));
        }
        return Ok(None);
    };
    let password = if let Some(p) = &args.password {
        Secret::new(p.clone())
    } else if let Some(path) = &args.password_file {
        read_password_file(path)?
    } else if let Some(p) = &env.password {
        Secret::new(p.clone())
    } else {
        return Err(Error::Usage(
            "no password: give --password-file, set MAILCLI_PASSWORD, or give --password".into(),
        ));
    };
    Ok(Some(Credentials::password(user, password)))
}

/// The first line of `path`, without its line end.
fn read_password_file(path: &Path) -> Result<Secret, Error> {
    let input = |source| Error::Input {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(input)?;
    let mut text = String::new();
    file.take(MAX_PASSWORD_FILE + 1)
        .read_to_string(&mut text)
        .map_err(input)?;
    if text.len() as u64 > MAX_PASSWORD_FILE {
        return Err(Error::InputTooLarge {
            path: path.to_owned(),
            limit: MAX_PASSWORD_FILE,
        });
    }
    let line = text.lines().next().unwrap_or_default();
    Ok(Secret::new(line))
}

/// A label for the trace and the state file: `user@host:port` (or `host:port`).
pub(crate) fn account_label(endpoint: &Endpoint, user: Option<&str>) -> String {
    match user {
        Some(u) => format!("{u}@{}:{}", endpoint.host, endpoint.port),
        None => format!("{}:{}", endpoint.host, endpoint.port),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn trust(flags: &[&str]) -> Result<Trust, String> {
        let args = ["mailcli", "send", "-s", "mail.example.org"];
        let cli = Cli::try_parse_from(args.iter().chain(flags)).map_err(|e| e.to_string())?;
        let Command::Send(send) = cli.command else {
            panic!("not send");
        };
        endpoint(&send.connection, Service::Submission)
            .map(|e| e.trust)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn tls_flags_choose_the_trust() {
        assert!(matches!(trust(&[]), Ok(Trust::WebPkiRoots)));
        assert!(matches!(trust(&["--system-roots"]), Ok(Trust::SystemRoots)));
        assert!(matches!(
            trust(&["--insecure"]),
            Ok(Trust::AcceptInvalidCertificates)
        ));
        let missing = trust(&["--ca-file", "/nonexistent/ca.pem"]).unwrap_err();
        assert!(
            missing.starts_with("reading /nonexistent/ca.pem: "),
            "{missing}"
        );
        let both = trust(&["--system-roots", "--ca-file", "ca.pem"]).unwrap_err();
        assert!(both.contains("cannot be used with"), "{both}");
    }
}
