#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod client;
pub mod codec;
pub mod error;
pub mod limits;
pub mod server;
pub mod types;

pub use client::{Client, ClientConfig, ClientEvent, LoginMethod};
pub use error::{EncodeError, ParseError, ParseErrorKind, ProtocolError, UsageError};
pub use limits::Limits;
pub use server::{Server, ServerConfig, ServerEvent};
pub use types::{
    AuthCommand, Capabilities, Capability, Command, Expire, Language, ListEntry, MessageNumber,
    Password, Response, ResponseCode, Status, StatusLine, Timestamp, UidlEntry,
};
