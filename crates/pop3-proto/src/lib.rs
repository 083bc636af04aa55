#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod client;
pub mod codec;
pub mod error;
pub mod limits;
pub mod server;
pub mod types;

/// The SASL crate the machines use (for [`sasl_proto::Credentials`] and mechanisms).
pub use sasl_proto;

pub use client::{Client, ClientConfig, ClientEvent, LoginMethod};
pub use error::{EncodeError, ParseError, ParseErrorKind, ProtocolError, UsageError};
pub use limits::Limits;
pub use server::{Server, ServerConfig, ServerEvent};
pub use types::{
    AuthCommand, Capabilities, Capability, Command, Expire, Language, ListEntry, MessageNumber,
    Password, Response, ResponseCode, Status, StatusLine, Timestamp, UidlEntry,
};
