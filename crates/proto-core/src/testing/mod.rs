//! Test support shared by the protocol crates (feature `testing`).
//!
//! - [`Transcript`]: `C:`/`S:` lines plus expected events, actions, transport steps and time,
//!   run against a machine whole, byte by byte and at random splits
//!   ([`Transcript::run`]); events must match after adjacent body chunks are merged.
//! - [`pump`] and [`Link`]: a client and a server machine paired in memory, with a fake TLS
//!   upgrade.
//! - [`escape`] / [`unescape`]: the byte notation both use.

mod escape;
mod pump;
mod transcript;

pub use escape::{escape, unescape};
pub use pump::{Link, Pumped, Sender, fake_tls_info, pump};
pub use transcript::{Described, RunFailure, Scripted, Side, Split, Transcript, TranscriptError};
