#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod buffer;
pub mod decision;
pub mod dot;
pub mod idle;
pub mod line;
pub mod line_limit;
pub mod machine;
pub mod parse_error;
pub mod parsed;
// The word-at-a-time byte tests the codecs share: public for the workspace's crates, not an
// API of its own.
mod setters;
#[doc(hidden)]
pub mod swar;
pub mod timer;
mod tls_policy;

#[cfg(feature = "testing")]
pub mod testing;

/// The `bytes` crate the machines hand their buffers and chunks in, so that a user needs no
/// second dependency to name them.
pub use bytes;

pub use buffer::{InputBuffer, OutputBuffer};
pub use decision::{Decision, Decisions, UnknownDecision};
pub use dot::{DotError, DotStuffer, DotUnstuffer, StuffConfig, Unstuffed};
pub use idle::{Expiry, IdleRules, IdleTimer};
pub use line::{BareLineEnding, LineError, LineFramer};
pub use line_limit::LineLimit;
pub use machine::{CommandId, CommandIds, Compression, Machine, TlsInfo, TransportAction};
pub use parse_error::{Escaped, InternalFault, ParseError};
pub use parsed::Parsed;
pub use timer::Timer;
pub use tls_policy::TlsPolicy;
