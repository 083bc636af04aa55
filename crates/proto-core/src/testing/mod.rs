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

/// `input` altered once, at `at` taken modulo its length: with `how` 0 the octet there becomes
/// `byte`, with 1 `byte` is inserted before it, with 2 (or more) the input is cut there. Valid
/// input altered so reaches the deep paths of a parser that random octets seldom do.
pub fn altered(mut input: Vec<u8>, at: usize, byte: u8, how: u8) -> Vec<u8> {
    let at = at.checked_rem(input.len()).unwrap_or(0);
    match how {
        0 => {
            if let Some(octet) = input.get_mut(at) {
                *octet = byte;
            }
        }
        1 => input.insert(at, byte),
        _ => input.truncate(at),
    }
    input
}

/// Takes what `machine` has to send and gives it as text (lossily, for assertions on the
/// wire form): a test's view of one turn of the machine's output.
pub fn take_output(machine: &mut impl crate::Machine) -> String {
    let bytes = machine.transmit().to_vec();
    machine.advance_transmit(bytes.len());
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod alter_tests {
    use super::altered;

    #[test]
    fn altered_changes_inserts_or_cuts_at_the_offset() {
        assert_eq!(altered(b"QUIT".to_vec(), 5, b'x', 0), b"QxIT");
        assert_eq!(altered(b"QUIT".to_vec(), 1, b'x', 1), b"QxUIT");
        assert_eq!(altered(b"QUIT".to_vec(), 2, b'x', 2), b"QU");
        assert_eq!(altered(Vec::new(), 3, b'x', 1), b"x");
    }
}
