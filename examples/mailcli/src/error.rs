//! What can go wrong, and the exit code each failure gives (the `sysexits.h` values).

use std::io;
use std::path::PathBuf;

use proto_io::fetch::FetchError;
use proto_io::submit::SubmitError;

/// Exit codes, from BSD `sysexits.h`, so that scripts can tell failures apart.
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// The command line could not be parsed (clap's own code).
    pub const CMDLINE: i32 = 2;
    /// The command was used wrongly (a missing value, a bad address, a bad header field).
    pub const USAGE: i32 = 64;
    /// The message could not be built.
    pub const DATAERR: i32 = 65;
    /// An input file could not be read.
    pub const NOINPUT: i32 = 66;
    /// The server could not be reached, or refused for good.
    pub const UNAVAILABLE: i32 = 69;
    /// The Maildir, mbox or state file could not be written.
    pub const CANTCREAT: i32 = 73;
    /// Writing the output failed.
    pub const IOERR: i32 = 74;
    /// A temporary failure: try again later (a 4xx reply, `[IN-USE]`, `[SYS/TEMP]`, a
    /// fetch already running into the same target).
    pub const TEMPFAIL: i32 = 75;
    /// The server broke the protocol, TLS failed, or the connection ended early.
    pub const PROTOCOL: i32 = 76;
    /// The server refused the credentials.
    pub const NOPERM: i32 = 77;
}

/// Why a command failed. Each variant maps to an exit code ([`Error::exit_code`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The command was used wrongly.
    #[error("{0}")]
    Usage(String),
    /// An input file could not be read.
    #[error("reading {path}: {source}")]
    Input {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// An input file is larger than its limit.
    #[error("{path}: larger than {limit} octets (see --max-message-size)")]
    InputTooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: u64,
    },
    /// The message could not be built.
    #[error("building the message")]
    Build(#[from] rfc5322::builder::BuildError),
    /// The server refused the credentials.
    #[error("authentication failed: the server said {0:?}")]
    AuthFailed(String),
    /// Sending failed.
    #[error("send")]
    Submit(#[source] SubmitError),
    /// Fetching failed.
    #[error("pop3")]
    Fetch(#[source] FetchError),
    /// Storing fetched mail or the state failed.
    #[error("storing mail: {0}")]
    Store(String),
    /// Another fetch into the same target is running.
    #[error("{0}: another mailcli fetch into this target is running")]
    InUse(PathBuf),
    /// Writing the output failed.
    #[error("writing the output")]
    Output(#[source] io::Error),
}

impl Error {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => exit::USAGE,
            Error::Input { .. } | Error::InputTooLarge { .. } => exit::NOINPUT,
            Error::Build(_) => exit::DATAERR,
            Error::AuthFailed(_) => exit::NOPERM,
            Error::Submit(e) => submit_code(e),
            Error::Fetch(e) => fetch_code(e),
            Error::Store(_) => exit::CANTCREAT,
            Error::InUse(_) => exit::TEMPFAIL,
            Error::Output(_) => exit::IOERR,
        }
    }
}

fn submit_code(e: &SubmitError) -> i32 {
    match e {
        SubmitError::Connect(_) => exit::UNAVAILABLE,
        SubmitError::Address(_) | SubmitError::Usage(_) => exit::USAGE,
        SubmitError::Refused { reply, .. } => reply_code(reply.code().get()),
        SubmitError::NoRecipient(refused) => {
            if refused.iter().all(|(_, r)| r.code().get() / 100 == 4) && !refused.is_empty() {
                exit::TEMPFAIL
            } else {
                exit::UNAVAILABLE
            }
        }
        SubmitError::Body(_) => exit::NOINPUT,
        SubmitError::Closed(Some(reply)) => reply_code(reply.code().get()),
        _ => exit::PROTOCOL,
    }
}

fn reply_code(code: u16) -> i32 {
    if code / 100 == 4 {
        exit::TEMPFAIL
    } else {
        exit::UNAVAILABLE
    }
}

fn fetch_code(e: &FetchError) -> i32 {
    use pop3_proto::ResponseCode;
    match e {
        FetchError::Connect(_) => exit::UNAVAILABLE,
        FetchError::Usage(_) => exit::USAGE,
        FetchError::Refused { line, .. } => match line.code {
            Some(ResponseCode::InUse | ResponseCode::LoginDelay | ResponseCode::SysTemp) => {
                exit::TEMPFAIL
            }
            Some(ResponseCode::Auth) => exit::NOPERM,
            _ => exit::UNAVAILABLE,
        },
        FetchError::Sink(_) => exit::CANTCREAT,
        _ => exit::PROTOCOL,
    }
}

/// An error and its causes on one line, as `mailcli: <why>` prints them.
pub use proto_io::error_chain as chain_text;

/// Turns a submission failure into an [`Error`], singling out refused credentials.
pub(crate) fn from_submit(e: SubmitError) -> Error {
    match e {
        SubmitError::Refused {
            stage: "AUTH",
            reply,
        } => Error::AuthFailed(format!("{} {}", reply.code().get(), reply.text())),
        other => Error::Submit(other),
    }
}

/// Turns a fetch failure into an [`Error`], singling out refused credentials (but not a
/// locked maildrop or a login delay, which are temporary).
pub(crate) fn from_fetch(e: FetchError) -> Error {
    use pop3_proto::ResponseCode;
    match e {
        FetchError::Refused {
            stage: "login",
            line,
        } if !matches!(
            line.code,
            Some(ResponseCode::InUse | ResponseCode::LoginDelay | ResponseCode::SysTemp)
        ) =>
        {
            Error::AuthFailed(format!("-ERR {}", line.text_lossy()))
        }
        FetchError::Sink(e) => Error::Store(e.to_string()),
        other => Error::Fetch(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error with a text and a source.
    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1
                .as_deref()
                .map(|l| l as &(dyn std::error::Error + 'static))
        }
    }

    #[test]
    fn each_cause_is_printed_once() {
        // The usual shape: each level repeats its source's text, and the last cause is kept
        // only as a source.
        let chain = Layer(
            "send: TLS handshake: the server's certificate is not trusted",
            Some(Box::new(Layer(
                "TLS handshake: the server's certificate is not trusted",
                Some(Box::new(Layer(
                    "the server's certificate is not trusted",
                    Some(Box::new(Layer(
                        "invalid peer certificate: UnknownIssuer",
                        None,
                    ))),
                ))),
            ))),
        );
        assert_eq!(
            chain_text(&chain),
            "send: TLS handshake: the server's certificate is not trusted: invalid peer \
             certificate: UnknownIssuer"
        );
        let alone = Layer("reading m.eml: no such file", None);
        assert_eq!(chain_text(&alone), "reading m.eml: no such file");
    }
}
