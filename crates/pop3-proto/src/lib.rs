#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

// Before the modules whose `impl` blocks expand it.
#[macro_use]
mod config_setters;

mod client;
mod codec;
mod error;
mod limits;
mod server;
mod types;

/// The SASL crate the machines use (for [`sasl_proto::Credentials`] and mechanisms).
pub use sasl_proto;

// The crate root is the one public path (proto-core's naming table); the modules are private.
pub use client::*;
pub use codec::*;
pub use error::*;
pub use limits::*;
pub use server::*;
pub use types::*;
