//! What can go wrong while driving a machine.

use std::io;

/// A driver stopped. `Protocol` carries the machine's own fatal error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriveError<E: std::error::Error + 'static> {
    /// The peer broke the protocol (the machine's error).
    #[error(transparent)]
    Protocol(E),
    /// A socket error.
    #[error("I/O")]
    Io(#[source] io::Error),
    /// The TLS handshake failed.
    #[error("TLS handshake")]
    Tls(#[source] io::Error),
    /// The machine asked for TLS but the driver has no configuration for it.
    #[error("the machine asked for TLS, but no TLS configuration was given")]
    NoTlsConfigured,
    /// The machine asked for TLS on a connection that already has it.
    #[error("the machine asked for TLS on a TLS connection")]
    AlreadyTls,
    /// The machine wants no input and has nothing to do: a decision is waiting for an answer.
    #[error("the machine waits for the application (an unanswered decision?)")]
    Stalled,
    /// A write made no progress before its deadline (the machine's, or the driver's write
    /// timeout): the peer is not reading. The connection was closed.
    #[error("the peer took nothing of what was written before the deadline")]
    WriteTimedOut,
    /// The connection is gone.
    #[error("the connection is closed")]
    Closed,
    /// The machine asked for something this driver does not do.
    #[error("not supported here: {0}")]
    Unsupported(&'static str),
}

/// An error and its causes on one line, each after a colon: what a program prints for a
/// user. The errors of this workspace keep a cause as their `source()` and out of their own
/// text; a cause whose text the line already holds (an error from elsewhere that repeats its
/// source) is not printed twice.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(source) = next {
        let line = source.to_string();
        if !line.is_empty() && !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        next = source.source();
    }
    text
}
