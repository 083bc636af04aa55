//! Raw DEFLATE (RFC 1951) in both directions over a stream, as IMAP COMPRESS=DEFLATE (RFC 4978)
//! requires: every write ends with a sync flush so the peer can read what was sent at once.

use std::io::{self, Read, Write};

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};

/// How much compressed input is read from the stream at a time.
const READ_CHUNK: usize = 16 * 1024;

/// The compression state of one connection, shared by the blocking [`Deflate`] stream and
/// the async driver's stream: both directions' zlib state and the compressed input not yet
/// inflated.
pub(crate) struct Codec {
    compress: Compress,
    decompress: Decompress,
    input: Vec<u8>,
    input_pos: usize,
    /// Octets of the read region handed out by `input_spare`, not yet committed.
    spare_from: Option<usize>,
}

impl Codec {
    pub(crate) fn new() -> Self {
        Self {
            compress: Compress::new(Compression::default(), false),
            decompress: Decompress::new(false),
            input: Vec::new(),
            input_pos: 0,
            spare_from: None,
        }
    }

    /// Inflates into `buf` what the compressed input holds; `Ok(0)` when more input is needed.
    /// Output that did not fit last time comes out even with no new input.
    pub(crate) fn inflate(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            // zlib consumes no more than it is given: a position past the input is its fault.
            let pending = self
                .input
                .get(self.input_pos..)
                .ok_or_else(|| io::Error::other("inflate consumed more than its input"))?;
            let (in_before, out_before) = (self.decompress.total_in(), self.decompress.total_out());
            self.decompress
                .decompress(pending, buf, FlushDecompress::Sync)
                .map_err(to_io)?;
            let consumed = usize::try_from(self.decompress.total_in() - in_before).unwrap_or(0);
            let produced = usize::try_from(self.decompress.total_out() - out_before).unwrap_or(0);
            self.input_pos += consumed;
            if produced > 0 || consumed == 0 {
                return Ok(produced);
            }
        }
    }

    /// A region to read compressed input into; follow with [`commit`](Self::commit).
    pub(crate) fn input_spare(&mut self) -> &mut [u8] {
        self.input.drain(..self.input_pos.min(self.input.len()));
        self.input_pos = 0;
        let start = self.spare_from.unwrap_or(self.input.len());
        self.input.truncate(start);
        self.input.resize(start + READ_CHUNK, 0);
        self.spare_from = Some(start);
        // The last READ_CHUNK octets, just added; were they missing, an empty region stops
        // the driver (`DriveError::Stalled`) rather than reading into nothing unnoticed.
        self.input
            .last_chunk_mut::<READ_CHUNK>()
            .map_or(&mut [][..], |spare| spare.as_mut_slice())
    }

    /// Keeps `n` octets of the region [`input_spare`](Self::input_spare) gave.
    pub(crate) fn commit(&mut self, n: usize) {
        if let Some(start) = self.spare_from.take() {
            self.input.truncate(start + n);
        }
    }

    /// Deflates `data` with a sync flush, so the peer can inflate all of it at once.
    pub(crate) fn deflate(&mut self, data: &[u8]) -> io::Result<Vec<u8>> {
        let start_in = self.compress.total_in();
        let mut out = Vec::with_capacity(data.len() / 2 + 64);
        loop {
            let consumed = usize::try_from(self.compress.total_in() - start_in).unwrap_or(0);
            let rest = data
                .get(consumed..)
                .ok_or_else(|| io::Error::other("deflate consumed more than its input"))?;
            out.reserve(rest.len() + 64);
            self.compress
                .compress_vec(rest, &mut out, FlushCompress::Sync)
                .map_err(to_io)?;
            let all_in =
                usize::try_from(self.compress.total_in() - start_in).unwrap_or(0) == data.len();
            // A sync flush is complete when the output did not fill the room it had.
            if all_in && out.len() < out.capacity() {
                return Ok(out);
            }
        }
    }
}

/// A stream whose traffic is compressed.
pub struct Deflate<S> {
    inner: S,
    codec: Codec,
}

impl<S> std::fmt::Debug for Deflate<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflate").finish_non_exhaustive()
    }
}

impl<S> Deflate<S> {
    /// Starts compressing both directions of `inner` from the next byte on.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            codec: Codec::new(),
        }
    }

    /// The stream underneath.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

pub(crate) fn to_io(e: impl std::error::Error + Send + Sync + 'static) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

impl<S: Read> Read for Deflate<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let produced = self.codec.inflate(buf)?;
            if produced > 0 {
                return Ok(produced);
            }
            let result = self.inner.read(self.codec.input_spare());
            let n = match result {
                Ok(n) => n,
                Err(e) => {
                    self.codec.commit(0);
                    return Err(e);
                }
            };
            self.codec.commit(n);
            if n == 0 {
                return Ok(0);
            }
        }
    }
}

impl<S: Write> Write for Deflate<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let out = self.codec.deflate(buf)?;
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pipe: what is written can be read back.
    #[derive(Default)]
    struct Pipe(std::collections::VecDeque<u8>);

    impl Read for Pipe {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.0.len());
            for (slot, byte) in buf.iter_mut().zip(self.0.drain(..n)) {
                *slot = byte;
            }
            Ok(n)
        }
    }

    impl Write for Pipe {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.extend(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn each_write_is_readable_at_once_and_compressed() {
        let mut sender = Deflate::new(Pipe::default());
        let line = b"a1 FETCH 1:* (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)\r\n".repeat(50);
        sender.write_all(&line).unwrap();
        let wire: Vec<u8> = sender.inner.0.iter().copied().collect();
        assert!(
            wire.len() < line.len() / 5,
            "compressed: {} of {}",
            wire.len(),
            line.len()
        );

        let mut receiver = Deflate::new(Pipe(wire.into_iter().collect()));
        let mut got = Vec::new();
        let mut buf = [0u8; 100];
        while got.len() < line.len() {
            let n = receiver.read(&mut buf).unwrap();
            assert!(n > 0, "sync flush makes everything readable");
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, line);
    }

    #[test]
    fn corrupt_input_is_an_error() {
        let mut receiver = Deflate::new(Pipe(vec![0xff; 64].into_iter().collect()));
        let mut buf = [0u8; 16];
        assert!(receiver.read(&mut buf).is_err());
    }
}
