#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod chars;
mod client;
pub mod codec;
pub mod error;
#[cfg(feature = "rfc5322")]
pub mod rfc5322;
pub mod types;

pub use client::*;
pub use codec::Limits;
pub use error::{EncodeError, Fault, InvalidValue, ParseError, ParseErrorKind};
pub use types::*;
