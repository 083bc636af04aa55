//! The tokens of the IMAP grammar (RFC 3501 section 9, RFC 9051 section 9), read by a
//! [`Cursor`] over a [`Message`]: atoms, numbers, quoted strings, literals (taken from the
//! message, never copied), and the strings built on them.

use std::num::NonZeroU32;

use bytes::Bytes;

use super::message::{Continuation, LiteralData, Message};
use crate::chars::{Upper, is_astring_char, is_atom_char, is_quoted_char, is_tag_char, run};
use crate::error::{Fault, ParseError, ParseErrorKind};
use crate::types::{AString, Atom, IString, Mailbox, Mode, NString, Tag};

/// How deep parentheses may nest (BODYSTRUCTURE, THREAD, SEARCH): deeper input is refused
/// rather than recursed into.
pub const MAX_DEPTH: usize = 64;

/// How a parser reads: the session's mode and whether it accepts what real peers send
/// outside the grammar (lenient: the default of a client's response parser; strict: the
/// default of a server's command parser).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParseOptions {
    /// The session's mode.
    pub mode: Mode,
    /// Accept extra spaces, 8-bit text and the other quirks of real peers.
    pub lenient: bool,
}

impl ParseOptions {
    /// Strict parsing in `mode` (a server reading commands).
    pub fn strict(mode: Mode) -> Self {
        Self {
            mode,
            lenient: false,
        }
    }

    /// Lenient parsing in `mode` (a client reading responses).
    pub fn lenient(mode: Mode) -> Self {
        Self {
            mode,
            lenient: true,
        }
    }
}

pub(crate) type PResult<T> = Result<T, ParseError>;

/// A position in a message.
pub(crate) struct Cursor<'m> {
    /// The first line (for the tag).
    first: &'m Bytes,
    /// The literals and lines after the first line.
    rest: &'m [Continuation],
    /// The current line: octets `..end` of it (a line cut from contiguous input keeps the
    /// input's `Bytes`, so that no reference is taken to read it).
    line: &'m Bytes,
    end: usize,
    /// The current line's octets, `line[..end]`: every read is a slice of it, and `pos`
    /// never passes its end.
    text: &'m [u8],
    pos: usize,
    /// Offset of `line` in the message.
    base: usize,
    /// Index in `msg.rest` of the literal after the current line.
    next: usize,
    /// Where the tag lies in the first line, once read: every later error carries it (the
    /// `Tag` is built only for an error).
    tag: Option<(usize, usize)>,
    pub(crate) opts: ParseOptions,
    depth: usize,
    /// Reading a command: `{n+}` literals are allowed.
    pub(crate) command_side: bool,
}

impl<'m> Cursor<'m> {
    pub(crate) fn new(msg: &'m Message, opts: ParseOptions) -> Self {
        Self::over_line(&msg.first, &msg.rest, msg.first.len(), opts)
    }

    /// A cursor over octets `..end` of `first` and the continuations `rest`.
    pub(crate) fn over_line(
        first: &'m Bytes,
        rest: &'m [Continuation],
        end: usize,
        opts: ParseOptions,
    ) -> Self {
        let (text, _) = first.split_at_checked(end).unwrap_or((first.as_ref(), &[]));
        Self {
            first,
            rest,
            line: first,
            end: text.len(),
            text,
            pos: 0,
            base: 0,
            next: 0,
            tag: None,
            opts,
            depth: 0,
            command_side: false,
        }
    }

    /// The tag read from the first line, if any.
    pub(crate) fn tag_value(&self) -> Option<Tag> {
        let (start, end) = self.tag?;
        Some(Tag::from_checked(self.first.slice(start..end)))
    }

    pub(crate) fn mode(&self) -> Mode {
        self.opts.mode
    }

    pub(crate) fn lenient(&self) -> bool {
        self.opts.lenient
    }

    /// An error at the current position.
    pub(crate) fn err(&self, fault: Fault) -> ParseError {
        self.err_at(fault, self.pos)
    }

    pub(crate) fn err_at(&self, fault: Fault, pos: usize) -> ParseError {
        let kind = ParseErrorKind {
            fault,
            tag: self.tag_value(),
        };
        ParseError::new(kind, self.text, pos).shifted(self.base)
    }

    pub(crate) fn expected(&self, what: &'static str) -> ParseError {
        self.err(Fault::Expected(what))
    }

    #[inline]
    pub(crate) fn rest(&self) -> &'m [u8] {
        // Every move of `pos` is bounded by the octets it reads (or clamped by `restore`);
        // a wrong one fails every test in debug builds, and reads as the end of the line
        // (an error at that position, never octets past the line) in release builds.
        debug_assert!(self.pos <= self.text.len(), "cursor past its line");
        self.text
            .split_at_checked(self.pos)
            .map_or(&[], |(_, rest)| rest)
    }

    /// The octets read since `start` on the current line.
    pub(crate) fn since(&self, start: usize) -> PResult<&'m [u8]> {
        self.text
            .get(start..self.pos)
            .ok_or_else(|| self.err_at(Fault::Internal("cursor span"), start))
    }

    #[inline]
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Goes back to `pos` on the current line (a lenient parser retrying another reading).
    pub(crate) fn restore(&mut self, pos: usize) {
        self.pos = pos.min(self.end);
    }

    /// Where the current line ends.
    pub(crate) fn line_end(&self) -> usize {
        self.end
    }

    /// The current line.
    pub(crate) fn line_bytes(&self) -> Bytes {
        self.line.clone()
    }

    /// The rest of the current line.
    pub(crate) fn take_line(&mut self) -> Bytes {
        let start = self.pos.min(self.end);
        self.pos = self.end;
        self.line.slice(start..self.end)
    }

    /// The octets up to (not including) `end` on the current line, or the rest of it.
    pub(crate) fn take_until(&mut self, end: u8) -> Bytes {
        let n = memchr::memchr(end, self.rest()).unwrap_or(self.rest().len());
        self.take_n(n)
    }

    #[inline]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.rest().first().copied()
    }

    #[inline]
    pub(crate) fn peek_at(&self, i: usize) -> Option<u8> {
        self.rest().get(i).copied()
    }

    #[inline]
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.pos += 1;
        }
        hit
    }

    #[inline]
    pub(crate) fn expect(&mut self, b: u8, what: &'static str) -> PResult<()> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    /// Eats `word` (ASCII, any case) when it is next, whatever follows.
    pub(crate) fn eat_prefix(&mut self, word: &[u8]) -> bool {
        let hit = self
            .rest()
            .get(..word.len())
            .is_some_and(|r| r.eq_ignore_ascii_case(word));
        if hit {
            self.pos += word.len();
        }
        hit
    }

    /// Eats `word` (any case) when it is next and not followed by another ATOM-CHAR.
    pub(crate) fn eat_word(&mut self, word: &[u8]) -> bool {
        let rest = self.rest();
        let hit = rest
            .get(..word.len())
            .is_some_and(|r| r.eq_ignore_ascii_case(word))
            && !rest.get(word.len()).is_some_and(|&b| is_atom_char(b));
        if hit {
            self.pos += word.len();
        }
        hit
    }

    /// One SP (lenient: one or more).
    #[inline]
    pub(crate) fn sp(&mut self) -> PResult<()> {
        let rest = self.rest();
        let n = match rest.first() {
            Some(b' ') if self.opts.lenient => rest.iter().take_while(|&&b| b == b' ').count(),
            Some(b' ') => 1,
            _ => return Err(self.expected("SP")),
        };
        self.pos += n;
        Ok(())
    }

    /// True when the cursor is on the message's last line.
    pub(crate) fn at_line_tail(&self) -> bool {
        self.next >= self.rest.len()
    }

    /// True when nothing of the message is left.
    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.end && self.next >= self.rest.len()
    }

    /// Requires the end of the message (lenient: after trailing spaces).
    pub(crate) fn finish(&mut self) -> PResult<()> {
        if self.opts.lenient {
            while self.eat(b' ') {}
        }
        if self.at_end() {
            Ok(())
        } else {
            Err(self.err(Fault::Trailing))
        }
    }

    /// The octets of a run of `class` (possibly empty), as a slice of the message.
    // Generic over `class`, so that each class test is inlined, not a call per octet.
    pub(crate) fn take(&mut self, class: impl Fn(u8) -> bool) -> Bytes {
        let n = run(self.rest(), class);
        let start = self.pos;
        self.pos += n;
        self.line.slice(start..self.pos)
    }

    /// The next `n` octets of the line.
    pub(crate) fn take_n(&mut self, n: usize) -> Bytes {
        let start = self.pos.min(self.end);
        self.pos = (start + n).min(self.end);
        self.line.slice(start..self.pos)
    }

    /// A non-empty run of `class`, borrowed (no reference count taken): for keywords that
    /// are matched, not kept.
    // Generic over `class`, so that each class test is inlined, not a call per octet.
    pub(crate) fn word(
        &mut self,
        class: impl Fn(u8) -> bool,
        what: &'static str,
    ) -> PResult<&'m [u8]> {
        let rest = self.rest();
        let n = run(rest, class);
        if n == 0 {
            return Err(self.expected(what));
        }
        let (word, _) = rest
            .split_at_checked(n)
            .ok_or_else(|| self.err(Fault::Internal("word")))?;
        self.pos += n;
        Ok(word)
    }

    /// A keyword (an atom) in upper case.
    pub(crate) fn keyword(&mut self) -> PResult<Upper> {
        self.word(is_atom_char, "atom").map(Upper::new)
    }

    /// A non-empty run of `class`.
    // Generic over `class`, so that each class test is inlined, not a call per octet.
    pub(crate) fn take1(
        &mut self,
        class: impl Fn(u8) -> bool,
        what: &'static str,
    ) -> PResult<Bytes> {
        let word = self.take(class);
        if word.is_empty() {
            Err(self.expected(what))
        } else {
            Ok(word)
        }
    }

    pub(crate) fn atom(&mut self) -> PResult<Atom> {
        self.take1(is_atom_char, "atom").map(Atom::from_checked)
    }

    pub(crate) fn tag(&mut self) -> PResult<Tag> {
        let start = self.pos;
        let tag = Tag::from_checked(self.take1(is_tag_char, "tag")?);
        self.tag = Some((start, self.pos));
        Ok(tag)
    }

    /// `number64`: digits, at most 2^63 - 1.
    pub(crate) fn number64(&mut self) -> PResult<u64> {
        let start = self.pos;
        let mut n: u64 = 0;
        let mut digits = 0;
        for &b in self.rest().iter().take_while(|b| b.is_ascii_digit()) {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(b - b'0')))
                .filter(|&n| n <= i64::MAX as u64)
                .ok_or_else(|| self.err_at(Fault::NumberRange, start))?;
            digits += 1;
        }
        if digits == 0 {
            return Err(self.expected("number"));
        }
        self.pos += digits;
        Ok(n)
    }

    /// `number`: 32 bits.
    pub(crate) fn number(&mut self) -> PResult<u32> {
        let start = self.pos;
        let n = self.number64()?;
        u32::try_from(n).map_err(|_| self.err_at(Fault::NumberRange, start))
    }

    /// `nz-number`.
    pub(crate) fn nz_number(&mut self) -> PResult<NonZeroU32> {
        let start = self.pos;
        let n = self.number()?;
        NonZeroU32::new(n).ok_or_else(|| self.err_at(Fault::Zero, start))
    }

    /// Enters a parenthesised level, refusing more than [`MAX_DEPTH`].
    pub(crate) fn enter(&mut self) -> PResult<()> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err(Fault::TooDeep(MAX_DEPTH)));
        }
        self.depth += 1;
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// `quoted`: the value without quotes or escapes. 8-bit octets are UTF-8 allowed by the
    /// mode (IMAP4rev2, UTF8=ACCEPT), or anything when lenient.
    pub(crate) fn quoted(&mut self) -> PResult<Bytes> {
        self.expect(b'"', "quoted string")?;
        let start = self.pos;
        // The common case, 7-bit octets without escapes up to the closing quote, is a slice
        // of the line; anything else is read octet by octet below.
        let rest = self.rest();
        let plain = rest
            .iter()
            .take_while(|&&b| b != b'"' && b != b'\\' && is_quoted_char(b))
            .count();
        if rest.get(plain) == Some(&b'"') {
            self.pos = start + plain + 1;
            return Ok(self.line.slice(start..start + plain));
        }
        let mut owned: Option<Vec<u8>> = None;
        let mut eight_bit = false;
        loop {
            let Some(b) = self.peek() else {
                return Err(self.expected("closing quote"));
            };
            match b {
                b'"' => break,
                b'\\' => {
                    let Some(next) = self.peek_at(1) else {
                        return Err(self.expected("closing quote"));
                    };
                    if !(next == b'"' || next == b'\\' || self.opts.lenient && next >= 0x20) {
                        return Err(self.err_at(Fault::Expected("quoted-specials"), self.pos + 1));
                    }
                    if owned.is_none() {
                        owned = Some(self.since(start)?.to_vec());
                    }
                    if let Some(buf) = owned.as_mut() {
                        buf.push(next);
                    }
                    self.pos += 2;
                    continue;
                }
                0 => return Err(self.err(Fault::Nul)),
                b'\r' | b'\n' => return Err(self.expected("closing quote")),
                _ if !is_quoted_char(b) => {
                    if !(self.opts.lenient || self.opts.mode.utf8()) {
                        return Err(self.expected("7-bit text"));
                    }
                    eight_bit = true;
                }
                _ => {}
            }
            if let Some(buf) = owned.as_mut() {
                buf.push(b);
            }
            self.pos += 1;
        }
        let value = match owned {
            Some(buf) => Bytes::from(buf),
            None => self.line.slice(start..self.pos),
        };
        if eight_bit && !self.opts.lenient && std::str::from_utf8(&value).is_err() {
            return Err(self.err_at(Fault::NotUtf8, start));
        }
        self.pos += 1;
        Ok(value)
    }

    /// A literal announcement at the end of the line, and the literal's data; the cursor
    /// moves to the start of the line after it. Returns the data and whether it was a
    /// `literal8`.
    pub(crate) fn literal(&mut self) -> PResult<(LiteralData, bool)> {
        let start = self.pos;
        let binary = self.eat(b'~');
        self.expect(b'{', "literal")?;
        let size = self.number64()?;
        if self.eat(b'+') && !self.opts.lenient && !self.is_command_side() {
            return Err(self.err_at(Fault::Expected("synchronising literal"), self.pos - 1));
        }
        self.expect(b'}', "}")?;
        if self.pos != self.end {
            return Err(self.expected("CRLF after literal"));
        }
        let Some(cont) = self.rest.get(self.next) else {
            return Err(self.err_at(Fault::Expected("literal data"), start));
        };
        if cont.literal.len() != size {
            return Err(self.err_at(Fault::Expected("literal of the announced size"), start));
        }
        self.line = &cont.line;
        self.text = &cont.line;
        self.end = cont.line.len();
        self.base = cont.offset;
        self.pos = 0;
        self.next += 1;
        Ok((cont.literal.clone(), binary))
    }

    /// Non-synchronising literals travel from client to server only: set by the command
    /// parser through its options (a response parser runs lenient or refuses them).
    fn is_command_side(&self) -> bool {
        self.command_side
    }

    /// `string` octets: quoted or literal (inline; NUL refused outside a `literal8`).
    pub(crate) fn string_bytes(&mut self) -> PResult<Bytes> {
        match self.peek() {
            Some(b'"') => self.quoted(),
            Some(b'{' | b'~') => {
                let at = self.pos;
                let (data, binary) = self.literal()?;
                let LiteralData::Inline(data) = data else {
                    return Err(self.err_at(Fault::Streamed, at));
                };
                if binary && !self.opts.lenient {
                    return Err(self.err_at(Fault::Expected("literal, not literal8"), at));
                }
                Ok(data)
            }
            _ => Err(self.expected("string")),
        }
    }

    pub(crate) fn string(&mut self) -> PResult<IString> {
        if self.peek() == Some(b'"') {
            // A quoted string cannot hold NUL: `quoted` refuses it.
            return self.quoted().map(IString::from_checked);
        }
        let at = (self.base, self.pos);
        let data = self.string_bytes()?;
        no_nul(&data, self, at)?;
        Ok(IString::from_checked(data))
    }

    pub(crate) fn astring(&mut self) -> PResult<AString> {
        match (self.peek(), self.peek_at(1)) {
            (Some(b'"' | b'{'), _) | (Some(b'~'), Some(b'{')) => self.string().map(AString::from),
            _ => self
                .take1(is_astring_char, "astring")
                .map(AString::from_checked),
        }
    }

    /// True when `NIL` comes next (any case).
    pub(crate) fn eat_nil(&mut self) -> bool {
        self.eat_word(b"NIL")
    }

    pub(crate) fn nstring(&mut self) -> PResult<NString> {
        if self.eat_nil() {
            Ok(None)
        } else {
            self.string().map(Some)
        }
    }

    pub(crate) fn mailbox(&mut self) -> PResult<Mailbox> {
        // INBOX as an atom, the commonest name, is read without a slice of the input.
        let rest = self.rest();
        if rest
            .get(..5)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"INBOX"))
            && !rest.get(5).is_some_and(|&b| is_astring_char(b))
        {
            self.pos += 5;
            return Ok(Mailbox::inbox());
        }
        let name = self.astring()?;
        Ok(Mailbox::from_wire(name.into_bytes(), self.opts.mode))
    }

    /// A parenthesised list of one or more (or, with `empty`, zero or more) items separated
    /// by SP.
    pub(crate) fn list<T>(
        &mut self,
        empty: bool,
        item: impl FnMut(&mut Self) -> PResult<T>,
    ) -> PResult<Vec<T>> {
        self.expect(b'(', "(")?;
        self.enter()?;
        // The level is left on success and on error alike (a lenient reader may go back and
        // read the same octets another way).
        let items = self.list_items(empty, item);
        self.leave();
        items
    }

    fn list_items<T>(
        &mut self,
        empty: bool,
        mut item: impl FnMut(&mut Self) -> PResult<T>,
    ) -> PResult<Vec<T>> {
        let mut items = Vec::new();
        if self.opts.lenient {
            while self.eat(b' ') {}
        }
        if !self.eat(b')') {
            loop {
                items.push(item(self)?);
                if self.opts.lenient {
                    while self.eat(b' ') {}
                    if self.eat(b')') {
                        break;
                    }
                    continue;
                }
                if self.eat(b')') {
                    break;
                }
                self.sp()?;
            }
        } else if !empty {
            return Err(self.err_at(Fault::Expected("list item"), self.pos - 1));
        }
        Ok(items)
    }
}

/// NUL is refused in a string (error at the string's start).
fn no_nul(data: &[u8], cursor: &Cursor<'_>, at: (usize, usize)) -> PResult<()> {
    if memchr::memchr(0, data).is_some() {
        let kind = ParseErrorKind {
            fault: Fault::Nul,
            tag: cursor.tag_value(),
        };
        let mut e = ParseError::new(kind, &[], 0);
        e.offset = at.0 + at.1;
        return Err(e);
    }
    Ok(())
}

#[cfg(test)]
#[path = "lexer_tests.rs"]
mod tests;
