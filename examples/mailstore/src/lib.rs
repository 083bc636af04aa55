#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod crlf;
pub mod dsn;
pub mod error;
pub mod flags;
mod fsutil;
pub mod limits;
pub mod maildir;
pub mod name;
pub mod queue;
pub mod uidlist;

pub use error::{Error, Result};
pub use flags::{Flag, Flags};
pub use fsutil::SessionLock;
pub use limits::Limits;
pub use maildir::{Delivery, Maildir, MessageEntry, MessageReader, StoredMessage};
pub use queue::{
    Envelope, Outcome, Queue, QueueId, QueueItem, QueueWriter, QueuedRecipient, RecipientState,
    Retry,
};
pub use uidlist::Uidlist;
