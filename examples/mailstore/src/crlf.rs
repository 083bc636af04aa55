//! Line-end conversion between the wire (CRLF) and a maildir file (LF), chunk by chunk.
//!
//! On the way in, every CRLF becomes LF; a bare CR or a bare LF is kept as it is. On the way
//! out, every LF that does not follow a CR becomes CRLF (as Dovecot's CRLF input stream does),
//! so a file written by [`ToLf`] reads back as the CRLF text it was given, and a file that
//! another program wrote with CRLF reads back unchanged.

use memchr::memchr;

/// Streaming CRLF to LF conversion with the two sizes a maildir name needs.
#[derive(Debug, Clone, Default)]
pub struct ToLf {
    /// A CR ended the previous chunk; it is written (or dropped) with the next byte.
    pending_cr: bool,
    /// The last byte written out.
    last: Option<u8>,
    /// Bytes written (the `S=` size).
    size: u64,
    /// The size the written bytes have when read back with CRLF (the `W=` size).
    vsize: u64,
}

impl ToLf {
    /// A converter at the start of a message.
    pub fn new() -> Self {
        ToLf::default()
    }

    fn emit(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        let mut prev = self.last;
        let mut added_crs = 0u64;
        let mut rest = bytes;
        while let Some(i) = memchr(b'\n', rest) {
            let before = if i == 0 {
                prev
            } else {
                rest.get(i - 1).copied()
            };
            if before != Some(b'\r') {
                added_crs += 1;
            }
            prev = Some(b'\n');
            rest = rest.get(i + 1..).unwrap_or_default();
        }
        out.extend_from_slice(bytes);
        self.last = bytes.last().copied();
        let n = bytes.len() as u64;
        self.size += n;
        self.vsize += n + added_crs;
    }

    /// Converts one chunk, appending the result to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        let mut rest = chunk;
        if self.pending_cr {
            match rest.split_first() {
                None => return,
                Some((b'\n', tail)) => {
                    self.pending_cr = false;
                    self.emit(b"\n", out);
                    rest = tail;
                }
                Some(_) => {
                    self.pending_cr = false;
                    self.emit(b"\r", out);
                }
            }
        }
        loop {
            match memchr(b'\r', rest) {
                None => {
                    self.emit(rest, out);
                    return;
                }
                Some(i) => {
                    let (head, tail) = rest.split_at(i);
                    self.emit(head, out);
                    // tail starts with the CR.
                    let after = tail.get(1..).unwrap_or_default();
                    match after.split_first() {
                        None => {
                            self.pending_cr = true;
                            return;
                        }
                        Some((b'\n', more)) => {
                            self.emit(b"\n", out);
                            rest = more;
                        }
                        Some(_) => {
                            self.emit(b"\r", out);
                            rest = after;
                        }
                    }
                }
            }
        }
    }

    /// Ends the message: a CR left at the very end is written as it is.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.pending_cr {
            self.pending_cr = false;
            self.emit(b"\r", out);
        }
    }

    /// Bytes written so far (the `S=` size).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The CRLF size of what was written so far (the `W=` size). A CR still pending counts
    /// once [`finish`](Self::finish) writes it.
    pub fn vsize(&self) -> u64 {
        self.vsize
    }

    /// The CRLF size once finished, counting a pending CR.
    pub fn vsize_if_finished(&self) -> u64 {
        self.vsize + u64::from(self.pending_cr)
    }
}

/// Streaming LF to CRLF conversion: a CR is added before every LF that does not follow one.
#[derive(Debug, Clone, Default)]
pub struct ToCrlf {
    prev_cr: bool,
}

impl ToCrlf {
    /// A converter at the start of a message.
    pub fn new() -> Self {
        ToCrlf::default()
    }

    /// Converts one chunk, appending the result to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        let mut rest = chunk;
        while let Some(i) = memchr(b'\n', rest) {
            let (head, tail) = rest.split_at(i);
            out.extend_from_slice(head);
            let before_cr = match head.last() {
                Some(&b) => b == b'\r',
                None => self.prev_cr,
            };
            if !before_cr {
                out.push(b'\r');
            }
            out.push(b'\n');
            self.prev_cr = false;
            rest = tail.get(1..).unwrap_or_default();
        }
        out.extend_from_slice(rest);
        if let Some(&b) = rest.last() {
            self.prev_cr = b == b'\r';
        }
    }

    /// The CRLF size of a chunk given the converter's state, advancing the state.
    pub fn count(&mut self, chunk: &[u8]) -> u64 {
        let mut n = chunk.len() as u64;
        let mut rest = chunk;
        while let Some(i) = memchr(b'\n', rest) {
            let before_cr = match i.checked_sub(1) {
                Some(j) => rest.get(j) == Some(&b'\r'),
                None => self.prev_cr,
            };
            if !before_cr {
                n += 1;
            }
            self.prev_cr = false;
            rest = rest.get(i + 1..).unwrap_or_default();
        }
        if let Some(&b) = rest.last() {
            self.prev_cr = b == b'\r';
        }
        n
    }
}

/// Converts a whole buffer to CRLF.
pub fn to_crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 32);
    ToCrlf::new().push(data, &mut out);
    out
}

/// Converts a whole buffer to LF (CRLF becomes LF).
pub fn to_lf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut c = ToLf::new();
    c.push(data, &mut out);
    c.finish(&mut out);
    out
}
