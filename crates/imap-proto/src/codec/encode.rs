//! Writing messages: an [`Encoder`] builds one command or response, choosing for each string
//! the cheapest wire form the session allows (atom, quoted string, literal), and cuts the
//! output where a synchronising literal makes the sender wait for a continuation request.

use bytes::{BufMut, Bytes, BytesMut};

use crate::chars::{is_astring_char, is_list_char, is_quoted_char};
use crate::error::EncodeError;
use crate::types::{AString, Atom, IString, Literal, Mailbox, Mode};

/// How the literals of a message are announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LiteralPolicy {
    /// A client without LITERAL+/-: every literal is `{n}` and waits for `+`.
    #[default]
    Sync,
    /// LITERAL+ (RFC 7888): every literal is `{n+}`.
    Plus,
    /// LITERAL- (RFC 7888, implied by IMAP4rev2): `{n+}` up to 4096 octets, `{n}` above.
    Minus,
    /// A server writing responses: `{n}` without waiting.
    Response,
}

/// The largest non-synchronising literal under LITERAL- (RFC 7888 section 4).
pub const LITERAL_MINUS_MAX: usize = 4096;

/// A piece of an encoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fragment {
    /// Octets to send (a line up to and including a literal's announcement and CRLF, or the
    /// message's last line with its CRLF).
    Line(Bytes),
    /// A literal's octets; with `sync`, sent only after the peer's continuation request.
    Literal {
        /// The octets.
        data: Bytes,
        /// Wait for `+` before sending.
        sync: bool,
    },
    /// Where the sender writes a literal's octets itself, as they become available (a
    /// streamed APPEND): the announcement is in the line before; `size` octets go here.
    Streamed {
        /// The announced size.
        size: u64,
        /// Wait for `+` before sending.
        sync: bool,
    },
}

/// An encoded message: its fragments in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Encoded {
    /// The fragments.
    pub fragments: Vec<Fragment>,
}

impl Encoded {
    /// All octets in order, as they appear on the wire (waits left out).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for f in &self.fragments {
            match f {
                Fragment::Line(b) | Fragment::Literal { data: b, .. } => out.extend_from_slice(b),
                Fragment::Streamed { .. } => {}
            }
        }
        out
    }

    /// True when the message holds a synchronising literal.
    pub fn waits(&self) -> bool {
        self.fragments.iter().any(|f| {
            matches!(
                f,
                Fragment::Literal { sync: true, .. } | Fragment::Streamed { sync: true, .. }
            )
        })
    }
}

/// Writes one message.
#[derive(Debug)]
pub struct Encoder {
    mode: Mode,
    policy: LiteralPolicy,
    buf: BytesMut,
    fragments: Vec<Fragment>,
    /// The first value refused while writing (a NUL outside a `literal8`), reported by
    /// [`Encoder::finish_checked`].
    refused: Option<EncodeError>,
}

impl Encoder {
    /// An encoder for a message in `mode` with literals announced by `policy`.
    pub fn new(mode: Mode, policy: LiteralPolicy) -> Self {
        Self {
            mode,
            policy,
            buf: BytesMut::with_capacity(64),
            fragments: Vec::new(),
            refused: None,
        }
    }

    /// The session mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Writes fixed syntax (keywords, punctuation) as it is.
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(bytes);
        self
    }

    /// One SP.
    pub fn sp(&mut self) -> &mut Self {
        self.raw(b" ")
    }

    /// A number.
    pub fn number(&mut self, n: impl Into<u64>) -> &mut Self {
        // Least significant digit first, then written in reverse: u64::MAX has 20 digits.
        let mut n = n.into();
        let mut digits = [0u8; 20];
        let mut len = 0;
        for slot in &mut digits {
            *slot = b'0' + (n % 10) as u8;
            n /= 10;
            len += 1;
            if n == 0 {
                break;
            }
        }
        self.buf.extend(digits.iter().take(len).rev());
        self
    }

    /// Writes something that implements `Display` with its wire form (sets, flags).
    pub fn display(&mut self, value: &impl std::fmt::Display) -> &mut Self {
        use std::fmt::Write;
        let mut w = FmtWriter(&mut self.buf);
        let _ = write!(w, "{value}");
        self
    }

    /// An atom.
    pub fn atom(&mut self, atom: &Atom) -> &mut Self {
        self.raw(atom.as_bytes())
    }

    /// `astring`: a bare word when every octet is an ASTRING-CHAR, else as [`Self::string`].
    pub fn astring(&mut self, value: &AString) -> &mut Self {
        self.astring_bytes(value.bytes().clone())
    }

    fn astring_bytes(&mut self, value: Bytes) -> &mut Self {
        if !value.is_empty() && value.iter().all(|&b| is_astring_char(b)) {
            self.raw(&value)
        } else {
            self.string_bytes(value)
        }
    }

    /// `string`: quoted when the octets allow it, else a literal.
    pub fn string(&mut self, value: &IString) -> &mut Self {
        self.string_bytes(value.bytes().clone())
    }

    /// `nstring`.
    pub fn nstring(&mut self, value: Option<&IString>) -> &mut Self {
        match value {
            Some(value) => self.string(value),
            None => self.raw(b"NIL"),
        }
    }

    /// Octets of a string, as a quoted string or a literal. The string types hold no NUL,
    /// but a mailbox name kept raw ([`Mailbox::from_wire`]) may: no `string` can carry one
    /// (RFC 3501 section 4.3; only a `literal8` may), so it is refused, not written.
    pub(crate) fn string_bytes(&mut self, value: Bytes) -> &mut Self {
        if memchr::memchr(0, &value).is_some() {
            self.refused.get_or_insert(EncodeError::Nul("string"));
            return self;
        }
        if self.quotable(&value) {
            self.buf.reserve(value.len() + 2);
            self.buf.put_u8(b'"');
            for &b in value.iter() {
                if b == b'"' || b == b'\\' {
                    self.buf.put_u8(b'\\');
                }
                self.buf.put_u8(b);
            }
            self.buf.put_u8(b'"');
            self
        } else {
            self.literal_bytes(value, false)
        }
    }

    fn quotable(&self, value: &[u8]) -> bool {
        // Long values go as literals: a quoted string must fit the peer's line limit.
        if value.len() > 1024 {
            return false;
        }
        if value.iter().all(|&b| is_quoted_char(b)) {
            return true;
        }
        self.mode.utf8()
            && std::str::from_utf8(value).is_ok()
            && !value.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0)
    }

    /// A literal (`~{n}` for a `literal8`).
    pub fn literal(&mut self, literal: &Literal) -> &mut Self {
        self.literal_bytes(literal.data().clone(), literal.is_binary())
    }

    fn literal_bytes(&mut self, data: Bytes, binary: bool) -> &mut Self {
        let size = u64::try_from(data.len()).unwrap_or(u64::MAX);
        let sync = self.announce(size, binary);
        self.fragments.push(Fragment::Literal { data, sync });
        self
    }

    /// A literal of `size` octets whose data the sender writes itself
    /// ([`Fragment::Streamed`]).
    pub(crate) fn streamed_literal(&mut self, size: u64, binary: bool) -> &mut Self {
        let sync = self.announce(size, binary);
        self.fragments.push(Fragment::Streamed { size, sync });
        self
    }

    /// Writes a literal's announcement and ends the line there; true when the literal is
    /// synchronising.
    fn announce(&mut self, size: u64, binary: bool) -> bool {
        let sync = match self.policy {
            LiteralPolicy::Sync => true,
            LiteralPolicy::Plus | LiteralPolicy::Response => false,
            LiteralPolicy::Minus => size > LITERAL_MINUS_MAX as u64,
        };
        if binary {
            self.buf.put_u8(b'~');
        }
        self.buf.put_u8(b'{');
        self.number(size);
        let plus = !sync && self.policy != LiteralPolicy::Response;
        self.raw(if plus { b"+}\r\n" } else { b"}\r\n" });
        let line = self.buf.split().freeze();
        self.fragments.push(Fragment::Line(line));
        sync
    }

    /// A mailbox name in the session's mode.
    pub fn mailbox(&mut self, mailbox: &Mailbox) -> &mut Self {
        let wire = Bytes::copy_from_slice(&mailbox.to_wire(self.mode));
        self.astring_bytes(wire)
    }

    /// `list-mailbox`: bare when every octet is a list-char (wildcards included).
    pub fn list_mailbox(&mut self, pattern: &Mailbox) -> &mut Self {
        let wire = Bytes::copy_from_slice(&pattern.to_wire(self.mode));
        if !wire.is_empty() && wire.iter().all(|&b| is_list_char(b)) {
            self.raw(&wire)
        } else {
            self.string_bytes(wire)
        }
    }

    /// A metadata value: a string, or a `literal8` when it holds NUL.
    pub(crate) fn metadata_value(&mut self, value: Bytes) -> &mut Self {
        if memchr::memchr(0, &value).is_some() {
            self.literal_bytes(value, true)
        } else {
            self.string_bytes(value)
        }
    }

    /// A parenthesised list, `(a b c)`, each item written by `write`.
    pub(crate) fn list<T>(
        &mut self,
        items: impl IntoIterator<Item = T>,
        mut write: impl FnMut(&mut Self, T),
    ) -> &mut Self {
        self.raw(b"(");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.sp();
            }
            write(self, item);
        }
        self.raw(b")")
    }

    /// Metadata entries and their values (RFC 5464): `(name value ...)`, NIL for a value
    /// to remove; the same list in SETMETADATA and in the METADATA response.
    pub(crate) fn metadata_entries(
        &mut self,
        entries: &[crate::types::MetadataEntry],
    ) -> &mut Self {
        self.list(entries, |enc, entry| {
            enc.astring(&entry.name).sp();
            match &entry.value {
                None => enc.raw(b"NIL"),
                Some(v) => enc.metadata_value(v.clone()),
            };
        })
    }

    /// The ID parameter list (RFC 2971): `NIL` or `(field value ...)`.
    pub(crate) fn id_params(
        &mut self,
        params: &crate::types::extensions::rfc2971::IdParams,
    ) -> &mut Self {
        let Some(pairs) = params else {
            return self.raw(b"NIL");
        };
        self.raw(b"(");
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                self.sp();
            }
            self.string(k).sp().nstring(v.as_ref());
        }
        self.raw(b")")
    }

    /// Free text (`text` of a response): refused when it holds CR, LF or NUL, or 8-bit
    /// octets that are not UTF-8 allowed by the mode.
    pub fn text(&mut self, text: &[u8]) -> Result<&mut Self, EncodeError> {
        if let Some(&byte) = text.iter().find(|&&b| b == b'\r' || b == b'\n' || b == 0) {
            return Err(EncodeError::Invalid {
                field: "text",
                byte,
            });
        }
        Ok(self.raw(text))
    }

    /// True when the line written so far ends like a literal announcement (`{5}`): a
    /// message may not end so, or the reader would wait for a literal.
    pub(crate) fn ends_like_literal(&self) -> bool {
        proto_core::line::literal_at_end(&self.buf).is_some()
    }

    /// Ends the message with CRLF, refusing a value refused while writing (a NUL outside a
    /// `literal8`) and a last line that would read as announcing a literal (raw text kept
    /// from a peer that ends in `{5}`).
    pub fn finish_checked(mut self) -> Result<Encoded, EncodeError> {
        if let Some(refused) = self.refused.take() {
            return Err(refused);
        }
        if self.ends_like_literal() {
            return Err(EncodeError::Invalid {
                field: "line end (it would announce a literal)",
                byte: b'}',
            });
        }
        Ok(self.finish())
    }

    /// Ends the message with CRLF. A value refused while writing is left out: use
    /// [`Encoder::finish_checked`] to learn of it.
    pub fn finish(mut self) -> Encoded {
        self.raw(b"\r\n");
        let line = self.buf.split().freeze();
        self.fragments.push(Fragment::Line(line));
        Encoded {
            fragments: self.fragments,
        }
    }
}

struct FmtWriter<'a>(&'a mut BytesMut);

impl std::fmt::Write for FmtWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}
