//! The error type of every operation.

use std::io;
use std::path::PathBuf;

/// Why a store or queue operation failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file system call failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done (`"create"`, `"fsync"`, `"rename"`, ...).
        op: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: io::Error,
    },
    /// The message is larger than [`Limits::max_message_size`](crate::Limits::max_message_size).
    #[error("message larger than {limit} octets")]
    MessageTooLarge {
        /// The limit that was passed.
        limit: u64,
    },
    /// A file the store reads (uidlist, queue envelope) is larger than its limit.
    #[error("{path}: larger than {limit} octets")]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// The limit that was passed.
        limit: u64,
    },
    /// Another session holds the maildrop or queue lock.
    #[error("{0}: in use by another session")]
    InUse(PathBuf),
    /// A lock file (`dovecot-uidlist.lock`) stayed in place longer than the wait allowed.
    #[error("{0}: still locked after waiting")]
    LockTimeout(PathBuf),
    /// No message or queue item has this id.
    #[error("no such message or item: {0}")]
    NotFound(String),
    /// The id cannot name a message or queue item (empty, hidden, or holding `/`, `:` or a
    /// control character).
    #[error("invalid id: {0:?}")]
    InvalidId(String),
    /// A file the store wrote is not in the expected format.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An envelope value is not acceptable (a line break in an address, no recipients, ...).
    #[error("invalid envelope: {0}")]
    InvalidEnvelope(&'static str),
    /// More recipients than [`Limits::max_recipients`](crate::Limits::max_recipients).
    #[error("more than {limit} recipients")]
    TooManyRecipients {
        /// The limit that was passed.
        limit: usize,
    },
    /// A recipient named in an update is not in the item.
    #[error("no recipient {0:?} in this item")]
    UnknownRecipient(String),
    /// The item's sender is the null reverse-path (`<>`): no notification may be sent to it
    /// (RFC 5321 section 4.5.5).
    #[error("null reverse-path: no delivery status notification is sent")]
    NullSender,
    /// The item has no recipient to report on.
    #[error("nothing to report")]
    NothingToReport,
    /// The notification could not be built.
    #[error(transparent)]
    Build(#[from] rfc5322::builder::BuildError),
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Adds the operation and path to an `io::Error`.
pub(crate) trait IoContext<T> {
    fn ctx(self, op: &'static str, path: impl Into<PathBuf>) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn ctx(self, op: &'static str, path: impl Into<PathBuf>) -> Result<T> {
        self.map_err(|source| Error::Io {
            op,
            path: path.into(),
            source,
        })
    }
}
