//! Responses: the client's parser (lenient by default) over a framed [`Message`], and the
//! contiguous-input entry point.
//!
//! A response the parser cannot read is an error carrying its offset and octets (and tag,
//! when tagged); a client treats an untagged one as a raw event and goes on. Untagged data
//! with an unknown keyword is not an error: it is kept as [`Data::Other`].

use std::num::NonZeroU32;

use bytes::Bytes;

use super::lexer::{Cursor, PResult, ParseOptions};
use super::message::{LiteralData, Message, single_line, split_message};
use crate::chars::{Upper, is_atom_char, is_tag_char};
use crate::error::{Fault, ParseError};
use crate::types::{
    Atom, Capabilities, Capability, Code, Condition, Continue, Data, ESearch, ESearchItem,
    FetchItem, FlagFetch, FlagPerm, ListItem, MailboxAttr, MetadataEntry, NamespaceDescr,
    Namespaces, QuotaResource, Response, Rfc5530, SectionData, StatusAttr, StatusItem,
    StatusResponse, Tag, TaggedExtValue, Thread,
};
use proto_core::Parsed;

/// Parses one response from the front of contiguous `input`.
pub fn parse_response(input: &Bytes, opts: ParseOptions) -> Result<Parsed<Response>, ParseError> {
    // One line without a literal (most responses): read in place, no message is built.
    if let Some((end, consumed)) = single_line(input, opts.lenient)? {
        if let Some(value) = common_response(input, end) {
            return Ok(Parsed::Complete { value, consumed });
        }
        let mut c = Cursor::over_line(input, &[], end, opts);
        let value = c.response()?;
        return Ok(Parsed::Complete { value, consumed });
    }
    match split_message(input, u64::MAX, opts.lenient)? {
        Parsed::Complete { value, consumed } => Ok(Parsed::Complete {
            value: parse_response_message(&value, opts)?,
            consumed,
        }),
        Parsed::Incomplete => Ok(Parsed::Incomplete),
    }
}

/// The commonest responses in their canonical form, read straight from octets `..end` of
/// `input` (a whole line without its line end) without a cursor: `* n EXISTS`,
/// `* n EXPUNGE`, `* n RECENT`, and a tagged `OK`, `NO` or `BAD` whose code, if any, takes
/// no argument, with printable 7-bit text. Anything else (lower case, extra spaces, 8-bit
/// text, a code with arguments, a number out of range) is `None` and goes to the general
/// parser, which reads these lines to the same values in every mode, strict or lenient
/// (`codec::response::tests::the_fast_path_reads_what_the_parser_reads`).
fn common_response(input: &Bytes, end: usize) -> Option<Response> {
    let line = input.get(..end)?;
    if let Some(rest) = line.strip_prefix(b"* ") {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let (number, keyword) = rest.split_at_checked(digits)?;
        let n = small_number(number)?;
        return match keyword {
            b" EXISTS" => Some(Response::Data(Data::Exists(n))),
            b" RECENT" => Some(Response::Data(Data::Recent(n))),
            b" EXPUNGE" => NonZeroU32::new(n).map(|n| Response::Data(Data::Expunge(n))),
            _ => None,
        };
    }
    let tag_len = line.iter().take_while(|&&b| is_tag_char(b)).count();
    let (_, rest) = line.split_at_checked(tag_len)?;
    let (condition, rest) = if let Some(rest) = rest.strip_prefix(b" OK") {
        (Condition::Ok, rest)
    } else if let Some(rest) = rest.strip_prefix(b" NO") {
        (Condition::No, rest)
    } else if let Some(rest) = rest.strip_prefix(b" BAD") {
        (Condition::Bad, rest)
    } else {
        return None;
    };
    if tag_len == 0 || rest.first() != Some(&b' ') {
        return None;
    }
    // Where the text starts, after `SP` or `SP "[" code "]" [SP]`.
    let (code, text_at) = match rest.get(1) {
        Some(b'[') => {
            let name_len = rest
                .get(2..)?
                .iter()
                .take_while(|&&b| b.is_ascii_uppercase() || b == b'-')
                .count();
            let name = rest.get(2..2 + name_len)?;
            let code = no_argument_code(name)?;
            let after = rest.get(2 + name_len..)?;
            match after {
                [b']'] => (Some(code), end),
                [b']', b' ', ..] => (Some(code), end - after.len() + 2),
                _ => return None,
            }
        }
        _ => (None, end - rest.len() + 1),
    };
    let text = input.get(text_at..end)?;
    if !text.iter().all(|&b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    Some(Response::Status(StatusResponse {
        tag: Some(Tag::from_checked(input.slice(..tag_len))),
        condition,
        code,
        text: input.slice(text_at..end),
    }))
}

/// A `number` of at most 9 digits (no overflow to check), read as the general parser does.
fn small_number(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    Some(
        digits
            .iter()
            .fold(0, |n, &d| n * 10 + u32::from(d.wrapping_sub(b'0'))),
    )
}

/// A response code that takes no argument, by its upper-case name.
fn no_argument_code(upper: &[u8]) -> Option<Code> {
    Some(match upper {
        b"ALERT" => Code::Alert,
        b"PARSE" => Code::Parse,
        b"READ-ONLY" => Code::ReadOnly,
        b"READ-WRITE" => Code::ReadWrite,
        b"TRYCREATE" => Code::TryCreate,
        b"CLOSED" => Code::Closed,
        b"HASCHILDREN" => Code::HasChildren,
        b"NOTSAVED" => Code::NotSaved,
        b"UNKNOWN-CTE" => Code::UnknownCte,
        b"UIDNOTSTICKY" => Code::UidNotSticky,
        b"NOMODSEQ" => Code::NoModSeq,
        b"COMPRESSIONACTIVE" => Code::CompressionActive,
        b"USEATTR" => Code::UseAttr,
        _ => return Rfc5530::from_wire(upper).map(Code::Rfc5530),
    })
}

/// Parses a framed response.
pub fn parse_response_message(msg: &Message, opts: ParseOptions) -> Result<Response, ParseError> {
    if msg.rest.is_empty()
        && let Some(value) = common_response(&msg.first, msg.first.len())
    {
        return Ok(value);
    }
    Cursor::new(msg, opts).response()
}

impl Cursor<'_> {
    fn response(&mut self) -> PResult<Response> {
        let c = self;
        let opts = c.opts;
        let response = match c.peek() {
            Some(b'+') => {
                c.eat(b'+');
                // "+" alone: servers send it for an empty continuation.
                if !c.at_end() || !opts.lenient {
                    c.expect(b' ', "SP")?;
                }
                let (code, text) = c.resp_text()?;
                Response::Continue(Continue { code, text })
            }
            Some(b'*') => {
                c.eat(b'*');
                c.sp()?;
                c.untagged()?
            }
            _ => {
                let tag = c.tag()?;
                c.sp()?;
                let at = c.pos();
                let condition = match c.condition() {
                    Some(cond @ (Condition::Ok | Condition::No | Condition::Bad)) => cond,
                    _ => return Err(c.err_at(Fault::Expected("OK, NO or BAD"), at)),
                };
                let (code, text) = c.status_rest()?;
                Response::Status(StatusResponse {
                    tag: Some(tag),
                    condition,
                    code,
                    text,
                })
            }
        };
        c.finish()?;
        Ok(response)
    }

    fn condition(&mut self) -> Option<Condition> {
        [
            Condition::Ok,
            Condition::No,
            Condition::Bad,
            Condition::PreAuth,
            Condition::Bye,
        ]
        .into_iter()
        .find(|c| self.eat_word(c.as_str().as_bytes()))
    }

    /// After the condition: `SP resp-text` (lenient: nothing at all).
    fn status_rest(&mut self) -> PResult<(Option<Code>, Bytes)> {
        if self.lenient() && self.at_end() {
            return Ok((None, Bytes::new()));
        }
        // One SP: further spaces belong to the text.
        self.expect(b' ', "SP")?;
        self.resp_text()
    }

    /// `resp-text`: `["[" code "]" SP] text`. Lenient: a code with no text or no space, and
    /// any octet but CR, LF and NUL in the text.
    fn resp_text(&mut self) -> PResult<(Option<Code>, Bytes)> {
        let start = self.pos();
        let code = if self.eat(b'[') {
            let code = match self.code().and_then(|c| self.expect(b']', "]").map(|()| c)) {
                Ok(code) => code,
                // Lenient: a bracket that opens no readable code is text.
                Err(_) if self.lenient() => {
                    self.restore(start);
                    return Ok((None, self.take_line()));
                }
                Err(e) => return Err(e),
            };
            if self.peek() == Some(b' ') {
                self.eat(b' ');
            } else if !self.lenient() && !self.at_end() {
                return Err(self.expected("SP"));
            }
            Some(code)
        } else {
            None
        };
        let at = self.pos();
        let text = self.take_line();
        if let Some(i) = text
            .iter()
            .position(|&b| b == 0 || b == b'\r' || b == b'\n')
        {
            return Err(self.err_at(Fault::Expected("text"), at + i));
        }
        if !self.lenient()
            && !self.mode().utf8()
            && let Some(i) = text.iter().position(|&b| b >= 0x80)
        {
            return Err(self.err_at(Fault::Expected("7-bit text"), at + i));
        }
        Ok((code, text))
    }

    fn code(&mut self) -> PResult<Code> {
        let start = self.pos();
        match self.typed_code() {
            Ok(code) if self.peek() == Some(b']') => Ok(code),
            Ok(_) | Err(_) if self.lenient() => {
                self.restore(start);
                self.raw_code()
            }
            Ok(_) => Err(self.expected("]")),
            Err(e) => Err(e),
        }
    }

    /// A code kept with its raw text.
    fn raw_code(&mut self) -> PResult<Code> {
        let name = Atom::from_checked(self.take1(is_atom_char, "response code")?);
        let value = if self.eat(b' ') {
            Some(self.take_until(b']'))
        } else {
            None
        };
        Ok(Code::Other { name, value })
    }

    fn typed_code(&mut self) -> PResult<Code> {
        let start = self.pos();
        let name = self.keyword()?;
        let no_arg = no_argument_code(name.as_bytes());
        if let Some(code) = no_arg {
            return Ok(code);
        }
        if name.as_bytes() == b"BADCHARSET" {
            let mut charsets = Vec::new();
            if self.eat(b' ') {
                charsets = self.list(false, |c| c.astring())?;
            }
            return Ok(Code::BadCharset(charsets));
        }
        if name.as_bytes() == b"CAPABILITY" {
            self.sp()?;
            return self.capabilities().map(Code::Capability);
        }
        const WITH_ARGUMENT: &[&[u8]] = &[
            b"PERMANENTFLAGS",
            b"UIDNEXT",
            b"UIDVALIDITY",
            b"UNSEEN",
            b"APPENDUID",
            b"COPYUID",
            b"HIGHESTMODSEQ",
            b"MODIFIED",
            b"MAILBOXID",
            b"METADATA",
        ];
        if !WITH_ARGUMENT.contains(&name.as_bytes()) {
            self.restore(start);
            return self.raw_code();
        }
        self.sp()?;
        Ok(match name.as_bytes() {
            b"PERMANENTFLAGS" => Code::PermanentFlags(self.list(true, |c| {
                let at = c.pos();
                let word = c.flag_word(true)?;
                FlagPerm::from_wire(word).map_err(|_| c.err_at(Fault::Expected("flag"), at))
            })?),
            b"UIDNEXT" => Code::UidNext(self.nz_number()?),
            b"UIDVALIDITY" => Code::UidValidity(self.nz_number()?),
            b"UNSEEN" => Code::Unseen(self.nz_number()?),
            b"APPENDUID" => {
                let uidvalidity = self.nz_number()?;
                self.sp()?;
                Code::AppendUid {
                    uidvalidity,
                    uids: self.uid_set()?,
                }
            }
            b"COPYUID" => {
                let uidvalidity = self.nz_number()?;
                self.sp()?;
                let source = self.uid_set()?;
                self.sp()?;
                Code::CopyUid {
                    uidvalidity,
                    source,
                    destination: self.uid_set()?,
                }
            }
            b"HIGHESTMODSEQ" => Code::HighestModSeq(self.number64()?),
            b"MODIFIED" => Code::Modified(self.sequence_set()?),
            b"MAILBOXID" => {
                self.expect(b'(', "(")?;
                let id = self.atom()?;
                self.expect(b')', ")")?;
                Code::MailboxId(id)
            }
            b"METADATA" => {
                if self.eat_word(b"LONGENTRIES") {
                    self.sp()?;
                    Code::MetadataLongEntries(self.number()?)
                } else if self.eat_word(b"MAXSIZE") {
                    self.sp()?;
                    Code::MetadataMaxSize(self.number()?)
                } else if self.eat_word(b"TOOMANY") {
                    Code::MetadataTooMany
                } else if self.eat_word(b"NOPRIVATE") {
                    Code::MetadataNoPrivate
                } else {
                    return Err(self.expected("METADATA code"));
                }
            }
            _ => return Err(self.err_at(Fault::Expected("response code"), start)),
        })
    }

    /// Capability atoms separated by SP (lenient: extra spaces).
    fn capabilities(&mut self) -> PResult<Capabilities> {
        let line = self.line_bytes();
        let mut caps = Vec::with_capacity(16);
        caps.push(Capability::from_word(
            &line,
            self.word(is_atom_char, "capability")?,
        ));
        while self.peek() == Some(b' ') {
            let mark = self.pos();
            self.sp()?;
            match self.peek() {
                Some(b) if is_atom_char(b) => {
                    caps.push(Capability::from_word(
                        &line,
                        self.word(is_atom_char, "capability")?,
                    ));
                }
                _ if self.lenient() => {
                    if self.peek() != Some(b']') && !self.at_end() {
                        return Err(self.expected("capability"));
                    }
                }
                _ => {
                    self.restore(mark);
                    return Err(self.expected("capability"));
                }
            }
        }
        Ok(Capabilities(caps))
    }

    fn untagged(&mut self) -> PResult<Response> {
        if self.peek().is_some_and(|b| b.is_ascii_digit()) {
            return self.numbered().map(Response::Data);
        }
        if let Some(condition) = self.condition() {
            let (code, text) = self.status_rest()?;
            return Ok(Response::Status(StatusResponse {
                tag: None,
                condition,
                code,
                text,
            }));
        }
        let name = self.word(is_atom_char, "response")?;
        let upper = Upper::new(name);
        let data = match upper.as_bytes() {
            b"CAPABILITY" => {
                self.sp()?;
                Data::Capability(self.capabilities()?)
            }
            b"LIST" | b"LSUB" => {
                self.sp()?;
                let item = self.list_item()?;
                if upper.as_bytes() == b"LSUB" {
                    Data::Lsub(item)
                } else {
                    Data::List(item)
                }
            }
            b"STATUS" => {
                self.sp()?;
                let mailbox = self.mailbox()?;
                self.sp()?;
                let items = self.list(true, |c| c.status_attr())?;
                Data::Status { mailbox, items }
            }
            b"SEARCH" | b"SORT" => {
                let (numbers, modseq) = self.numbers_and_modseq()?;
                if upper.as_bytes() == b"SEARCH" {
                    Data::Search { numbers, modseq }
                } else {
                    Data::Sort { numbers, modseq }
                }
            }
            b"ESEARCH" => Data::ESearch(self.esearch()?),
            b"FLAGS" => {
                self.sp()?;
                if self.lenient() {
                    // GreenMail lists `\*` in FLAGS, where it means nothing: it is skipped.
                    let flags = self.list(true, |c| {
                        let at = c.pos();
                        let word = c.flag_word(true)?;
                        match FlagPerm::from_wire(word) {
                            Ok(FlagPerm::Flag(f)) => Ok(Some(f)),
                            Ok(FlagPerm::Any) => Ok(None),
                            Err(_) => Err(c.err_at(Fault::Expected("flag"), at)),
                        }
                    })?;
                    Data::Flags(flags.into_iter().flatten().collect())
                } else {
                    Data::Flags(self.flag_list()?)
                }
            }
            b"VANISHED" => {
                self.sp()?;
                let earlier = self.eat_prefix(b"(EARLIER)");
                if earlier {
                    self.sp()?;
                }
                Data::Vanished {
                    earlier,
                    uids: self.uid_set()?,
                }
            }
            b"ENABLED" => {
                let mut caps = Vec::new();
                while self.peek() == Some(b' ') {
                    self.sp()?;
                    if self.at_end() {
                        break;
                    }
                    caps.push(self.atom()?);
                }
                Data::Enabled(caps)
            }
            b"ID" => {
                self.sp()?;
                if self.eat_nil() {
                    Data::Id(None)
                } else {
                    Data::Id(Some(self.list(true, |c| {
                        let k = c.string()?;
                        c.sp()?;
                        Ok((k, c.nstring()?))
                    })?))
                }
            }
            b"NAMESPACE" => {
                self.sp()?;
                let personal = self.namespace()?;
                self.sp()?;
                let other = self.namespace()?;
                self.sp()?;
                let shared = self.namespace()?;
                Data::Namespace(Namespaces {
                    personal,
                    other,
                    shared,
                })
            }
            b"QUOTA" => {
                self.sp()?;
                let root = self.astring()?;
                self.sp()?;
                let resources = self.list(true, |c| {
                    let resource = c.atom()?;
                    c.sp()?;
                    let usage = c.number64()?;
                    c.sp()?;
                    Ok(QuotaResource {
                        resource,
                        usage,
                        limit: c.number64()?,
                    })
                })?;
                Data::Quota { root, resources }
            }
            b"QUOTAROOT" => {
                self.sp()?;
                let mailbox = self.mailbox()?;
                let mut roots = Vec::new();
                while self.peek() == Some(b' ') {
                    self.sp()?;
                    if self.at_end() {
                        break;
                    }
                    roots.push(self.astring()?);
                }
                Data::QuotaRoot { mailbox, roots }
            }
            b"METADATA" => {
                self.sp()?;
                let mailbox = self.mailbox()?;
                self.sp()?;
                if self.peek() == Some(b'(') {
                    let entries = self.list(false, |c| {
                        let name = c.astring()?;
                        c.sp()?;
                        let value = c.section_data()?;
                        Ok(MetadataEntry {
                            name,
                            value: match value {
                                SectionData::Nil => None,
                                SectionData::Inline(v) => Some(v),
                                SectionData::Streamed { .. } => {
                                    return Err(c.err(Fault::Streamed));
                                }
                            },
                        })
                    })?;
                    Data::Metadata { mailbox, entries }
                } else {
                    let mut names = vec![self.astring()?];
                    while self.peek() == Some(b' ') {
                        self.sp()?;
                        names.push(self.astring()?);
                    }
                    Data::MetadataChanged { mailbox, names }
                }
            }
            b"THREAD" => {
                let mut threads = Vec::new();
                if self.eat(b' ') {
                    loop {
                        // Lenient: spaces between the threads (as RFC 5256's examples print).
                        if self.lenient() {
                            while self.eat(b' ') {}
                        }
                        if self.peek() != Some(b'(') {
                            break;
                        }
                        threads.push(self.thread()?);
                    }
                }
                Data::Thread(threads)
            }
            _ => {
                let name = self.line_bytes().slice_ref(name);
                if self.eat(b' ') {
                    Data::Other {
                        name,
                        rest: self.take_line(),
                    }
                } else {
                    Data::Other {
                        name,
                        rest: Bytes::new(),
                    }
                }
            }
        };
        Ok(Response::Data(data))
    }

    /// `n EXISTS`, `n RECENT`, `n EXPUNGE`, `n FETCH (...)`, or unknown numbered data.
    fn numbered(&mut self) -> PResult<Data> {
        let start = self.pos();
        let n = self.number()?;
        self.sp()?;
        let name = Upper::new(self.word(is_atom_char, "keyword")?);
        let nz = |c: &Self| NonZeroU32::new(n).ok_or_else(|| c.err_at(Fault::Zero, start));
        Ok(match name.as_bytes() {
            b"EXISTS" => Data::Exists(n),
            b"RECENT" => Data::Recent(n),
            b"EXPUNGE" => Data::Expunge(nz(self)?),
            b"FETCH" => {
                let seq = nz(self)?;
                self.sp()?;
                Data::Fetch {
                    seq,
                    items: self.list(self.lenient(), |c| c.fetch_item())?,
                }
            }
            _ => {
                self.restore(start);
                let name = self.take(|b| b.is_ascii_digit());
                self.eat(b' ');
                Data::Other {
                    name,
                    rest: self.take_line(),
                }
            }
        })
    }

    /// `*(SP nz-number) [SP "(" "MODSEQ" SP n ")"]`; lenient: a trailing space.
    fn numbers_and_modseq(&mut self) -> PResult<(Vec<u32>, Option<u64>)> {
        let mut numbers = Vec::new();
        let mut modseq = None;
        while self.eat(b' ') {
            match self.peek() {
                Some(b'0'..=b'9') => numbers.push(self.number()?),
                Some(b'(') => {
                    self.eat(b'(');
                    if !self.eat_word(b"MODSEQ") {
                        return Err(self.expected("MODSEQ"));
                    }
                    self.sp()?;
                    modseq = Some(self.number64()?);
                    self.expect(b')', ")")?;
                    break;
                }
                Some(b' ') | None if self.lenient() => {}
                _ => return Err(self.expected("number")),
            }
        }
        Ok((numbers, modseq))
    }

    fn esearch(&mut self) -> PResult<ESearch> {
        let mut tag = None;
        let mut uid = false;
        if self.peek() == Some(b' ') && self.peek_at(1) == Some(b'(') {
            self.sp()?;
            self.expect(b'(', "(")?;
            if !self.eat_word(b"TAG") {
                return Err(self.expected("TAG"));
            }
            self.sp()?;
            let at = self.pos();
            let t = self.string()?;
            tag = Some(
                Tag::new(t.into_bytes()).map_err(|_| self.err_at(Fault::Expected("tag"), at))?,
            );
            self.expect(b')', ")")?;
        }
        let mut items = Vec::new();
        while self.peek() == Some(b' ') {
            self.sp()?;
            if self.at_end() && self.lenient() {
                break;
            }
            let at = self.pos();
            let name = self.keyword()?;
            if name.as_bytes() == b"UID" && items.is_empty() && !uid {
                uid = true;
                continue;
            }
            self.sp()?;
            items.push(match name.as_bytes() {
                b"MIN" => ESearchItem::Min(self.number()?),
                b"MAX" => ESearchItem::Max(self.number()?),
                b"COUNT" => ESearchItem::Count(self.number()?),
                b"ALL" => ESearchItem::All(self.sequence_set()?),
                b"MODSEQ" => ESearchItem::ModSeq(self.number64()?),
                _ if self.lenient() => {
                    self.restore(at);
                    let name = self.atom()?;
                    self.sp()?;
                    ESearchItem::Other {
                        name,
                        value: self.raw_value()?,
                    }
                }
                _ => return Err(self.err_at(Fault::Expected("ESEARCH item"), at)),
            });
        }
        Ok(ESearch { tag, uid, items })
    }

    /// One STATUS item and its value; unknown items are kept raw.
    fn status_attr(&mut self) -> PResult<StatusAttr> {
        let at = self.pos();
        let name = self.atom()?;
        self.sp()?;
        if name.is("MAILBOXID") {
            self.expect(b'(', "(")?;
            let id = self.atom()?;
            self.expect(b')', ")")?;
            return Ok(StatusAttr::MailboxId(id));
        }
        match StatusItem::from_wire(name.as_bytes()) {
            Some(StatusItem::AppendLimit) => Ok(StatusAttr::AppendLimit(if self.eat_nil() {
                None
            } else {
                Some(self.number64()?)
            })),
            Some(item) => {
                if item.rev1_only() && self.mode().is_rev2() && !self.lenient() {
                    return Err(self.err_at(Fault::NotInMode, at));
                }
                Ok(StatusAttr::Number(item, self.number64()?))
            }
            None => Ok(StatusAttr::Other {
                name,
                value: self.raw_value()?,
            }),
        }
    }

    fn list_item(&mut self) -> PResult<ListItem> {
        let attributes = self.list(true, |c| {
            c.expect(b'\\', "\\")?;
            c.atom().map(MailboxAttr::from_atom)
        })?;
        self.sp()?;
        let delimiter = self.delimiter()?;
        self.sp()?;
        let mailbox = self.mailbox()?;
        let mut extended = Vec::new();
        if self.peek() == Some(b' ') && self.peek_at(1) == Some(b'(') {
            self.sp()?;
            extended = self.list(true, |c| {
                let name = c.astring()?;
                c.sp()?;
                Ok((name, c.tagged_ext_value()?))
            })?;
        }
        Ok(ListItem {
            attributes,
            delimiter,
            mailbox,
            extended,
        })
    }

    /// `tagged-ext-val`: strings when it is a string or a list of them, else raw.
    fn tagged_ext_value(&mut self) -> PResult<TaggedExtValue> {
        let start = self.pos();
        match self.peek() {
            Some(b'"' | b'{') => return Ok(TaggedExtValue::Strings(vec![self.string()?])),
            Some(b'(') => {
                if let Ok(strings) = self.list(true, |c| c.string()) {
                    return Ok(TaggedExtValue::Strings(strings));
                }
                self.restore(start);
            }
            _ => {}
        }
        self.raw_value().map(TaggedExtValue::Raw)
    }

    /// `DQUOTE QUOTED-CHAR DQUOTE / nil`.
    fn delimiter(&mut self) -> PResult<Option<u8>> {
        if self.eat_nil() {
            return Ok(None);
        }
        let at = self.pos();
        let q = self.quoted()?;
        match q.as_ref() {
            [b] => Ok(Some(*b)),
            _ => Err(self.err_at(Fault::Expected("one-character delimiter"), at)),
        }
    }

    fn namespace(&mut self) -> PResult<Option<Vec<NamespaceDescr>>> {
        if self.eat_nil() {
            return Ok(None);
        }
        self.expect(b'(', "(")?;
        self.enter()?;
        let mut list = Vec::new();
        while self.peek() == Some(b'(') {
            self.eat(b'(');
            let prefix = self.string()?;
            self.sp()?;
            let delimiter = self.delimiter()?;
            let mut extensions = Vec::new();
            while self.peek() == Some(b' ') {
                self.sp()?;
                let name = self.string()?;
                self.sp()?;
                extensions.push((name, self.list(false, |c| c.string())?));
            }
            self.expect(b')', ")")?;
            list.push(NamespaceDescr {
                prefix,
                delimiter,
                extensions,
            });
            if self.lenient() {
                while self.eat(b' ') {}
            }
        }
        self.expect(b')', ")")?;
        self.leave();
        Ok(Some(list))
    }

    fn thread(&mut self) -> PResult<Thread> {
        self.expect(b'(', "(")?;
        self.enter()?;
        let thread = if self.peek() == Some(b'(') {
            let mut branches = Vec::new();
            while self.peek() == Some(b'(') {
                branches.push(self.thread()?);
            }
            Thread::Branches(branches)
        } else {
            let mut messages = vec![self.nz_number()?.get()];
            let mut children = Vec::new();
            while self.eat(b' ') {
                if self.peek() == Some(b'(') {
                    while self.peek() == Some(b'(') {
                        children.push(self.thread()?);
                    }
                    break;
                }
                messages.push(self.nz_number()?.get());
            }
            Thread::Chain { messages, children }
        };
        self.expect(b')', ")")?;
        self.leave();
        Ok(thread)
    }

    /// `nstring` or `literal8` as section data; streamed literals keep their size. NUL is
    /// accepted (bodies carry what the message holds).
    pub(crate) fn section_data(&mut self) -> PResult<SectionData> {
        match self.peek() {
            Some(b'"') => self.quoted().map(SectionData::Inline),
            Some(b'{' | b'~') => match self.literal()?.0 {
                LiteralData::Inline(data) => Ok(SectionData::Inline(data)),
                LiteralData::Streamed { size } => Ok(SectionData::Streamed { size }),
            },
            _ if self.eat_nil() => Ok(SectionData::Nil),
            _ => Err(self.expected("nstring")),
        }
    }

    /// `<origin>` of a reply.
    fn origin(&mut self) -> PResult<Option<u32>> {
        if !self.eat(b'<') {
            return Ok(None);
        }
        let origin = self.number()?;
        self.expect(b'>', ">")?;
        Ok(Some(origin))
    }

    fn fetch_item(&mut self) -> PResult<FetchItem> {
        let at = self.pos();
        let name_bytes = self.fetch_name()?;
        let name = Upper::new(name_bytes);
        // Lenient: `RFC822[]` (sent by a server net-imap met) is RFC822.
        if self.lenient() && name.as_bytes().starts_with(b"RFC822") && self.eat_prefix(b"[]") {
            self.sp()?;
            return Ok(match name.as_bytes() {
                b"RFC822.HEADER" => FetchItem::Rfc822Header(self.section_data()?),
                b"RFC822.TEXT" => FetchItem::Rfc822Text(self.section_data()?),
                _ => FetchItem::Rfc822(self.section_data()?),
            });
        }
        if self.peek() == Some(b'[') {
            return Ok(match name.as_bytes() {
                b"BODY" => {
                    let section = self.section()?;
                    let origin = self.origin()?;
                    self.sp()?;
                    FetchItem::BodySection {
                        section,
                        origin,
                        data: self.section_data()?,
                    }
                }
                b"BINARY" => {
                    let part = self.section_binary()?;
                    let origin = self.origin()?;
                    self.sp()?;
                    FetchItem::Binary {
                        part,
                        origin,
                        data: self.section_data()?,
                    }
                }
                b"BINARY.SIZE" => {
                    let part = self.section_binary()?;
                    self.sp()?;
                    FetchItem::BinarySize {
                        part,
                        size: self.number()?,
                    }
                }
                _ => return Err(self.err_at(Fault::Expected("FETCH item"), at)),
            });
        }
        if name_bytes.is_empty() {
            return Err(self.expected("FETCH item"));
        }
        self.sp()?;
        Ok(match name.as_bytes() {
            b"FLAGS" => FetchItem::Flags(self.list(true, |c| {
                let at = c.pos();
                let word = c.flag_word(false)?;
                FlagFetch::from_wire(word).map_err(|_| c.err_at(Fault::Expected("flag"), at))
            })?),
            b"UID" => FetchItem::Uid(self.nz_number()?),
            b"INTERNALDATE" => FetchItem::InternalDate(self.date_time()?),
            b"RFC822.SIZE" => FetchItem::Rfc822Size(self.number64()?),
            b"ENVELOPE" => FetchItem::Envelope(Box::new(self.envelope()?)),
            b"BODY" => FetchItem::Body(Box::new(self.body_structure()?)),
            b"BODYSTRUCTURE" => FetchItem::BodyStructure(Box::new(self.body_structure()?)),
            b"RFC822" => FetchItem::Rfc822(self.section_data()?),
            b"RFC822.HEADER" => FetchItem::Rfc822Header(self.section_data()?),
            b"RFC822.TEXT" => FetchItem::Rfc822Text(self.section_data()?),
            b"MODSEQ" => {
                self.expect(b'(', "(")?;
                let n = self.number64()?;
                self.expect(b')', ")")?;
                FetchItem::ModSeq(n)
            }
            b"EMAILID" => {
                self.expect(b'(', "(")?;
                let id = self.atom()?;
                self.expect(b')', ")")?;
                FetchItem::EmailId(id)
            }
            b"THREADID" => {
                if self.eat_nil() {
                    FetchItem::ThreadId(None)
                } else {
                    self.expect(b'(', "(")?;
                    let id = self.atom()?;
                    self.expect(b')', ")")?;
                    FetchItem::ThreadId(Some(id))
                }
            }
            _ => FetchItem::Other {
                name: self.line_bytes().slice_ref(name_bytes),
                value: self.raw_value()?,
            },
        })
    }

    /// One value of an unknown item, kept as its wire octets: a word, a quoted string, a
    /// literal (announcement, CRLF and data) or a parenthesised group of these.
    fn raw_value(&mut self) -> PResult<Bytes> {
        let start = self.pos();
        let line = self.line_bytes();
        let mut out = Vec::new();
        let crossed = self.skip_value(&mut out)?;
        if crossed {
            Ok(Bytes::from(out))
        } else {
            // Still on the same line: a slice, no copy.
            Ok(line.slice(start..self.pos()))
        }
    }

    /// Appends the wire octets of one value to `out`; true when it crossed a literal.
    fn skip_value(&mut self, out: &mut Vec<u8>) -> PResult<bool> {
        let start = self.pos();
        match self.peek() {
            Some(b'(') => {
                self.enter()?;
                self.eat(b'(');
                out.push(b'(');
                let mut crossed = false;
                loop {
                    match self.peek() {
                        Some(b')') => {
                            self.eat(b')');
                            out.push(b')');
                            break;
                        }
                        Some(b' ') => {
                            self.eat(b' ');
                            out.push(b' ');
                        }
                        None => return Err(self.expected(")")),
                        _ => crossed |= self.skip_value(out)?,
                    }
                }
                self.leave();
                Ok(crossed)
            }
            Some(b'"') => {
                self.quoted()?;
                out.extend_from_slice(self.since(start)?);
                Ok(false)
            }
            Some(b'{') | Some(b'~') if matches!(self.peek_at(1), Some(b'{' | b'0'..=b'9')) => {
                let announcement = self.line_bytes().slice(start..self.line_end());
                match self.literal()?.0 {
                    LiteralData::Inline(data) => {
                        out.extend_from_slice(&announcement);
                        out.extend_from_slice(b"\r\n");
                        out.extend_from_slice(&data);
                        Ok(true)
                    }
                    LiteralData::Streamed { .. } => Err(self.err(Fault::Streamed)),
                }
            }
            // A word: anything up to SP or a parenthesis (sequence sets, `*`, `]`).
            _ => {
                let word =
                    self.take1(|b| b > b' ' && b != b'(' && b != b')' && b != 0x7f, "value")?;
                out.extend_from_slice(&word);
                Ok(false)
            }
        }
    }
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
