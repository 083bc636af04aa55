#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod chars;
pub mod codec;
pub mod error;
#[cfg(feature = "rfc5322")]
pub mod rfc5322;
pub mod types;

pub use error::{EncodeError, Fault, InvalidValue, ParseError, ParseErrorKind};
pub use types::*;
