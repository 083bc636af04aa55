#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod client;
pub mod codec;
pub mod error;
pub mod limits;
pub mod server;
pub mod types;

pub use client::Client;
pub use codec::{Parsed, parse_command, parse_reply};
pub use error::{EncodeError, ParseError, ParseErrorKind, ProtocolError, UsageError};
pub use limits::Limits;
pub use server::Server;
pub use types::{
    Body, Capabilities, Command, DeliverBy, Domain, EnhancedStatusCode, ForwardPath,
    MailParameters, Mailbox, Notify, Orcpt, RcptParameters, Reply, ReplyCode, Ret, ReversePath,
};
