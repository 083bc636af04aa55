//! The input and output buffers a machine owns.
//!
//! Machines embed these so that every protocol gets the same backpressure and zero-copy read
//! behaviour: [`InputBuffer`] backs [`Machine::receive`], [`Machine::input_buffer`] and
//! [`Machine::commit_input`]; [`OutputBuffer`] backs [`Machine::transmit`] and
//! [`Machine::advance_transmit`].
//!
//! [`Machine::receive`]: crate::Machine::receive
//! [`Machine::input_buffer`]: crate::Machine::input_buffer
//! [`Machine::commit_input`]: crate::Machine::commit_input
//! [`Machine::transmit`]: crate::Machine::transmit
//! [`Machine::advance_transmit`]: crate::Machine::advance_transmit

use bytes::{Buf, BytesMut};

/// How much [`InputBuffer::spare`] offers for one read at most.
pub const READ_SIZE: usize = 16 * 1024;

/// Received bytes not yet parsed, with a soft limit that drives backpressure.
#[derive(Debug)]
pub struct InputBuffer {
    buf: BytesMut,
    limit: usize,
    /// Length of the committed data while a region handed out by `spare` is outstanding.
    committed: Option<usize>,
}

impl InputBuffer {
    /// A buffer that asks for no more input once it holds `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            buf: BytesMut::new(),
            limit: limit.max(1),
            committed: None,
        }
    }

    /// The limit given to [`new`](Self::new).
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Appends received bytes (all of them, even past the limit).
    pub fn extend(&mut self, data: &[u8]) {
        self.drop_uncommitted();
        self.buf.extend_from_slice(data);
    }

    /// A zeroed region to read into, at most [`READ_SIZE`] bytes and never past the limit.
    pub fn spare(&mut self) -> &mut [u8] {
        self.drop_uncommitted();
        let start = self.buf.len();
        let room = self.limit.saturating_sub(start).min(READ_SIZE);
        self.buf.resize(start + room, 0);
        self.committed = Some(start);
        // The buffer now holds `start + room` octets: the region is its last `room`. (An
        // empty region read into would look like the peer closing.)
        let (_, region) = self.buf.split_at_mut(start);
        region
    }

    /// Keeps the first `n` bytes of the region [`spare`](Self::spare) returned.
    pub fn commit(&mut self, n: usize) {
        if let Some(start) = self.committed.take() {
            let end = start.saturating_add(n).min(self.buf.len());
            self.buf.truncate(end);
        }
    }

    /// True while the buffer holds less than its limit.
    pub fn has_room(&self) -> bool {
        self.committed.unwrap_or(self.buf.len()) < self.limit
    }

    /// The received bytes, for a parser to consume from the front.
    pub fn data(&mut self) -> &mut BytesMut {
        self.drop_uncommitted();
        &mut self.buf
    }

    /// Number of received bytes held.
    pub fn len(&self) -> usize {
        self.committed.unwrap_or(self.buf.len())
    }

    /// True when no received byte is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // A region handed out but never committed holds zeros, not data.
    fn drop_uncommitted(&mut self) {
        if let Some(start) = self.committed.take() {
            self.buf.truncate(start);
        }
    }
}

/// Bytes waiting to be written to the peer.
#[derive(Debug, Default)]
pub struct OutputBuffer {
    buf: BytesMut,
}

impl OutputBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes not yet written.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// Drops the first `n` bytes (or all, if fewer are held).
    pub fn advance(&mut self, n: usize) {
        self.buf.advance(n.min(self.buf.len()));
    }

    /// Appends bytes to send.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The buffer itself, for encoders that write into a `BytesMut`.
    pub fn writer(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Number of bytes waiting.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing waits to be written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

/// Expands, inside a machine's `impl Machine for ...` block, to the four methods that only
/// move bytes and that every machine of the workspace writes the same way:
/// [`input_buffer`](crate::Machine::input_buffer), [`commit_input`](crate::Machine::commit_input),
/// [`receive_eof`](crate::Machine::receive_eof) and [`transmit`](crate::Machine::transmit).
///
/// The machine must have the fields `input: InputBuffer`, `output: OutputBuffer`,
/// `idle: IdleTimer` and `eof: bool`; what differs between machines (`receive`'s checks, what
/// `advance_transmit` wakes, when input is wanted) stays written out in each.
#[macro_export]
macro_rules! machine_buffers {
    () => {
        fn input_buffer(&mut self) -> &mut [u8] {
            self.input.spare()
        }

        fn commit_input(&mut self, n: usize, now: ::std::time::Instant) {
            self.idle.input(now);
            self.input.commit(n);
        }

        fn receive_eof(&mut self, _now: ::std::time::Instant) {
            // Input already received is still read (poll_event) before the end is acted on.
            self.eof = true;
        }

        fn transmit(&self) -> &[u8] {
            self.output.pending()
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spare_then_commit_keeps_only_what_was_read() {
        let mut input = InputBuffer::new(10);
        input.extend(b"ab");
        let spare = input.spare();
        assert_eq!(spare.len(), 8);
        spare[..3].copy_from_slice(b"cde");
        input.commit(3);
        assert_eq!(&input.data()[..], b"abcde");
    }

    #[test]
    fn uncommitted_region_is_not_data() {
        let mut input = InputBuffer::new(10);
        input.extend(b"ab");
        let _ = input.spare();
        assert_eq!(input.len(), 2);
        assert_eq!(&input.data()[..], b"ab");
    }

    #[test]
    fn limit_stops_reading_but_never_drops_data() {
        let mut input = InputBuffer::new(4);
        input.extend(b"abc");
        assert!(input.has_room());
        input.spare()[0] = b'd';
        input.commit(1);
        assert!(!input.has_room());
        assert!(input.spare().is_empty());
        input.extend(b"overflow");
        assert_eq!(&input.data()[..], b"abcdoverflow");
    }

    #[test]
    fn output_advance_is_partial() {
        let mut out = OutputBuffer::new();
        out.push(b"hello");
        out.advance(2);
        assert_eq!(out.pending(), b"llo");
        out.advance(10);
        assert!(out.is_empty());
    }
}
