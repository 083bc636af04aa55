//! Test support shared by the protocol crates (feature `testing`).
//!
//! - [`Transcript`]: `C:`/`S:` lines plus expected events, actions, transport steps and time,
//!   run against a machine whole, byte by byte and at random splits
//!   ([`Transcript::run`]); events must match after adjacent body chunks are merged.
//! - [`pump`] and [`Link`]: a client and a server machine paired in memory, with a fake TLS
//!   upgrade.
//! - [`escape`] / [`unescape`]: the byte notation both use.
//! - [`first_long_line`]: the octet-by-octet answer [`LineLimit`](crate::LineLimit) must give.
//! - [`dot`]: the un-stuffer run through either API, and the references its tests and fuzz
//!   targets compare with.

pub mod dot;
mod escape;
mod pump;
mod transcript;

pub use escape::{escape, unescape};
pub use pump::{Link, Pumped, Sender, fake_tls_info, pump};
pub use transcript::{Described, RunFailure, Scripted, Side, Split, Transcript, TranscriptError};

/// The offset of the first octet that makes a line of `data` longer than `limit` octets, LF
/// included, counted one octet at a time: the reference that tests and fuzz targets hold
/// [`LineLimit`](crate::LineLimit) to.
pub fn first_long_line(data: &[u8], limit: usize) -> Option<usize> {
    let mut line = 0;
    for (i, &b) in data.iter().enumerate() {
        line += 1;
        if line > limit {
            return Some(i);
        }
        if b == b'\n' {
            line = 0;
        }
    }
    None
}
