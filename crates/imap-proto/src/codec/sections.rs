//! Pieces shared by the command and response parsers: sequence sets, flag lists, dates,
//! body sections and FETCH attribute names.

use std::num::NonZeroU32;

use bytes::Bytes;

use super::lexer::{Cursor, PResult};
use crate::chars::{Upper, is_atom_char, run};
use crate::error::Fault;
use crate::types::{
    Date, DateTime, FetchAttribute, Flag, Partial, Section, SectionText, SequenceSet, UidSet,
};

/// Octets of a `sequence-set` (digits, `:`, `,`, `*`, `$`).
fn set_octets(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b':' | b',' | b'*' | b'$')
}

impl<'m> Cursor<'m> {
    pub(crate) fn sequence_set(&mut self) -> PResult<SequenceSet> {
        let at = self.pos();
        // Borrowed: the set is read from the octets, not kept.
        let wire = self.word(set_octets, "sequence set")?;
        SequenceSet::parse(wire).map_err(|_| self.err_at(Fault::Expected("sequence set"), at))
    }

    pub(crate) fn uid_set(&mut self) -> PResult<UidSet> {
        let at = self.pos();
        let wire = self.word(set_octets, "UID set")?;
        UidSet::parse(wire).map_err(|_| self.err_at(Fault::Expected("UID set"), at))
    }

    /// A flag: `\` atom or atom (`\*` only when `star`).
    pub(crate) fn flag_word(&mut self, star: bool) -> PResult<Bytes> {
        let (backslash, rest) = match self.rest().strip_prefix(b"\\") {
            Some(rest) => (1, rest),
            None => (0, self.rest()),
        };
        let mut n = run(rest, is_atom_char);
        if n == 0 && backslash == 1 && star && rest.first() == Some(&b'*') {
            n = 1;
        }
        if n == 0 {
            return Err(self.expected("flag"));
        }
        Ok(self.take_n(backslash + n))
    }

    pub(crate) fn flag(&mut self) -> PResult<Flag> {
        let at = self.pos();
        let word = self.flag_word(false)?;
        Flag::from_wire(word).map_err(|_| self.err_at(Fault::Expected("flag"), at))
    }

    /// `flag-list`: `(` flags `)`, possibly empty.
    pub(crate) fn flag_list(&mut self) -> PResult<Vec<Flag>> {
        self.list(true, |c| c.flag())
    }

    /// `date`: `d-Mon-yyyy`, bare or quoted.
    pub(crate) fn date(&mut self) -> PResult<Date> {
        let at = self.pos();
        let text = if self.peek() == Some(b'"') {
            self.quoted()?
        } else {
            self.take(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        Date::parse(&text).ok_or_else(|| self.err_at(Fault::Expected("date"), at))
    }

    /// `date-time`: quoted.
    pub(crate) fn date_time(&mut self) -> PResult<DateTime> {
        let at = self.pos();
        let text = self.quoted()?;
        DateTime::parse(&text).ok_or_else(|| self.err_at(Fault::Expected("date-time"), at))
    }

    /// `section-part`: `1.2.3` (stops before a `.` not followed by a digit).
    fn part(&mut self) -> PResult<Vec<NonZeroU32>> {
        let mut part = Vec::new();
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            part.push(self.nz_number()?);
            if !(self.peek() == Some(b'.') && self.peek_at(1).is_some_and(|b| b.is_ascii_digit())) {
                break;
            }
            self.eat(b'.');
        }
        Ok(part)
    }

    /// `[section-spec]`, brackets included.
    pub(crate) fn section(&mut self) -> PResult<Section> {
        self.expect(b'[', "[")?;
        let part = self.part()?;
        if !part.is_empty() && !self.eat(b'.') {
            self.expect(b']', "]")?;
            return Ok(Section { part, text: None });
        }
        let text = if self.peek() == Some(b']') && part.is_empty() {
            None
        } else if self.eat_prefix(b"HEADER.FIELDS.NOT") {
            self.sp()?;
            Some(SectionText::HeaderFieldsNot(
                self.list(false, |c| c.astring())?,
            ))
        } else if self.eat_prefix(b"HEADER.FIELDS") {
            self.sp()?;
            Some(SectionText::HeaderFields(
                self.list(false, |c| c.astring())?,
            ))
        } else if self.eat_prefix(b"HEADER") {
            Some(SectionText::Header)
        } else if self.eat_prefix(b"TEXT") {
            Some(SectionText::Text)
        } else if !part.is_empty() && self.eat_prefix(b"MIME") {
            Some(SectionText::Mime)
        } else {
            return Err(self.expected("section text"));
        };
        self.expect(b']', "]")?;
        Ok(Section { part, text })
    }

    /// `[section-binary]`: a part path only.
    pub(crate) fn section_binary(&mut self) -> PResult<Vec<NonZeroU32>> {
        self.expect(b'[', "[")?;
        let part = self.part()?;
        self.expect(b']', "]")?;
        Ok(part)
    }

    /// `<origin.length>`, when next.
    pub(crate) fn partial(&mut self) -> PResult<Option<Partial>> {
        if !self.eat(b'<') {
            return Ok(None);
        }
        let origin = self.number()?;
        self.expect(b'.', ".")?;
        let length = self.nz_number()?;
        self.expect(b'>', ">")?;
        Ok(Some(Partial { origin, length }))
    }

    /// The name of a FETCH attribute or item: atom octets up to `[` (possibly none).
    pub(crate) fn fetch_name(&mut self) -> PResult<&'m [u8]> {
        if self.peek().is_some_and(|b| is_atom_char(b) && b != b'[') {
            self.word(|b| is_atom_char(b) && b != b'[', "FETCH item")
        } else {
            Ok(&[])
        }
    }

    /// One FETCH attribute of a command.
    pub(crate) fn fetch_attribute(&mut self) -> PResult<FetchAttribute> {
        let at = self.pos();
        let name = Upper::new(self.fetch_name()?);
        let bracket = self.peek() == Some(b'[');
        Ok(match (name.as_bytes(), bracket) {
            (b"ENVELOPE", false) => FetchAttribute::Envelope,
            (b"FLAGS", false) => FetchAttribute::Flags,
            (b"INTERNALDATE", false) => FetchAttribute::InternalDate,
            (b"RFC822", false) => FetchAttribute::Rfc822,
            (b"RFC822.HEADER", false) => FetchAttribute::Rfc822Header,
            (b"RFC822.SIZE", false) => FetchAttribute::Rfc822Size,
            (b"RFC822.TEXT", false) => FetchAttribute::Rfc822Text,
            (b"BODY", false) => FetchAttribute::Body,
            (b"BODYSTRUCTURE", false) => FetchAttribute::BodyStructure,
            (b"UID", false) => FetchAttribute::Uid,
            (b"MODSEQ", false) => FetchAttribute::ModSeq,
            (b"EMAILID", false) => FetchAttribute::EmailId,
            (b"THREADID", false) => FetchAttribute::ThreadId,
            (b"BODY" | b"BODY.PEEK", true) => FetchAttribute::BodySection {
                peek: name.as_bytes().len() > 4,
                section: self.section()?,
                partial: self.partial()?,
            },
            (b"BINARY" | b"BINARY.PEEK", true) => FetchAttribute::Binary {
                peek: name.as_bytes().len() > 6,
                part: self.section_binary()?,
                partial: self.partial()?,
            },
            (b"BINARY.SIZE", true) => FetchAttribute::BinarySize(self.section_binary()?),
            _ => return Err(self.err_at(Fault::Expected("FETCH attribute"), at)),
        })
    }
}
