#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod address;
mod address_parse;
pub mod date;
pub mod decode;
pub mod defect;
pub mod envelope;
pub mod error;
pub mod field;
pub mod header;
pub mod imap;
pub mod limits;
pub mod message;
pub mod reader;
pub mod section;

pub use address::{Address, Group, Mailbox};
pub use address_parse::AddressError;
pub use date::DateTime;
pub use defect::{Defect, DefectKind};
pub use envelope::{Envelope, EnvelopeError, Outgoing};
pub use error::Error;
pub use field::content_type::{ContentDisposition, ContentType, Param};
pub use field::misc::TransferEncoding;
pub use header::Field;
pub use limits::Limits;
pub use message::{Message, Part, PartId, PartKind};
pub use section::{ImapRevision, SectionPart};
pub mod builder;
pub mod encode;

pub use builder::MessageBuilder;
pub mod mbox;
