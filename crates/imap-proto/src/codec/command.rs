//! Commands: the server's parser (strict by default) over a framed [`Message`], and the
//! contiguous-input entry point.

use bytes::Bytes;

use super::lexer::{Cursor, PResult, ParseOptions};
use super::message::{LiteralData, Message, single_line, split_message};
use crate::chars::{Upper, is_atom_char, is_tag_char};
use crate::error::{Fault, ParseError, ParseErrorKind};
use crate::types::{
    AppendData, AppendMessage, Command, CommandBody, Depth, FetchItems, FetchModifiers,
    GetMetadataOptions, ListCommand, ListReturn, ListSelect, Literal, Mailbox, MailboxAttr,
    MessageSet, MetadataEntry, Mode, QresyncParams, QuotaLimit, SearchReturn, SelectParams,
    SortCriterion, SortKey, StatusItem, StoreMode, Tag,
};
use proto_core::Parsed;

/// The commands that take arguments (those without are matched by name). Any other name,
/// the commands of out-of-scope extensions (ACL, NOTIFY, CATENATE, URLAUTH, ...) included,
/// is an unknown command: a server answers it BAD.
const WITH_ARGUMENTS: &[&str] = &[
    "AUTHENTICATE",
    "LOGIN",
    "ENABLE",
    "SELECT",
    "EXAMINE",
    "CREATE",
    "DELETE",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "RENAME",
    "LIST",
    "LSUB",
    "STATUS",
    "APPEND",
    "ID",
    "GETQUOTA",
    "GETQUOTAROOT",
    "SETQUOTA",
    "GETMETADATA",
    "SETMETADATA",
    "COMPRESS",
    "SEARCH",
    "FETCH",
    "STORE",
    "COPY",
    "MOVE",
    "SORT",
    "THREAD",
];

/// Parses one command from the front of contiguous `input` (lines and literals).
pub fn parse_command(input: &Bytes, opts: ParseOptions) -> Result<Parsed<Command>, ParseError> {
    // One line without a literal (most commands): read in place, no message is built.
    if let Some((end, consumed)) = single_line(input, opts.lenient)? {
        if let Some(value) = common_command(input, end, opts.mode) {
            return Ok(Parsed::Complete { value, consumed });
        }
        let c = Cursor::over_line(input, &[], end, opts);
        return Ok(Parsed::Complete {
            value: command(c, input)?,
            consumed,
        });
    }
    match split_message(input, u64::MAX, opts.lenient)? {
        Parsed::Complete { value, consumed } => Ok(Parsed::Complete {
            value: parse_command_message(&value, opts)?,
            consumed,
        }),
        Parsed::Incomplete => Ok(Parsed::Incomplete),
    }
}

/// The commonest commands in their canonical form, read straight from octets `..end` of
/// `input` (a whole line without its line end) without a cursor: `tag SP` a command without
/// arguments that exists in every mode (NOOP, IDLE, CAPABILITY, LOGOUT, CLOSE, UNSELECT,
/// EXPUNGE, NAMESPACE, STARTTLS), or SELECT or EXAMINE of a mailbox written as an atom,
/// without parameters. Anything else (lower case, extra spaces, quoted names, parameters)
/// is `None` and goes to the general parser, which reads these lines to the same values in
/// every mode, strict or lenient
/// (`codec::command::tests::the_fast_path_reads_what_the_parser_reads`).
fn common_command(input: &Bytes, end: usize, mode: Mode) -> Option<Command> {
    use CommandBody as B;
    let line = input.get(..end)?;
    let tag_len = line.iter().take_while(|&&b| is_tag_char(b)).count();
    if tag_len == 0 {
        return None;
    }
    let rest = line.get(tag_len..)?.strip_prefix(b" ")?;
    let body = match rest {
        b"NOOP" => B::Noop,
        b"IDLE" => B::Idle,
        b"CAPABILITY" => B::Capability,
        b"LOGOUT" => B::Logout,
        b"CLOSE" => B::Close,
        b"UNSELECT" => B::Unselect,
        b"EXPUNGE" => B::Expunge,
        b"NAMESPACE" => B::Namespace,
        b"STARTTLS" => B::StartTls,
        _ => {
            let (select, name) = match (
                rest.strip_prefix(b"SELECT "),
                rest.strip_prefix(b"EXAMINE "),
            ) {
                (Some(name), _) => (true, name),
                (None, Some(name)) => (false, name),
                (None, None) => return None,
            };
            if name.is_empty() || !name.iter().all(|&b| is_atom_char(b)) {
                return None;
            }
            let mailbox = if name.eq_ignore_ascii_case(b"INBOX") {
                Mailbox::inbox()
            } else {
                Mailbox::from_wire(input.slice(end - name.len()..end), mode)
            };
            let params = SelectParams::default();
            if select {
                B::Select { mailbox, params }
            } else {
                B::Examine { mailbox, params }
            }
        }
    };
    Some(Command {
        tag: Tag::from_checked(input.slice(..tag_len)),
        body,
    })
}

/// Parses a framed command.
pub fn parse_command_message(msg: &Message, opts: ParseOptions) -> Result<Command, ParseError> {
    if msg.rest.is_empty()
        && let Some(value) = common_command(&msg.first, msg.first.len(), opts.mode)
    {
        return Ok(value);
    }
    command(Cursor::new(msg, opts), &msg.first)
}

/// Reads a command; `first` is its first line (for an error about the mode).
fn command(mut c: Cursor<'_>, first: &Bytes) -> Result<Command, ParseError> {
    let opts = c.opts;
    c.command_side = true;
    let tag = c.tag()?;
    c.sp()?;
    let at = c.pos();
    let body = c.command_body()?;
    if opts.mode.is_rev2() && body.rev1_only() && !opts.lenient {
        let kind = ParseErrorKind {
            fault: Fault::NotInMode,
            tag: Some(tag),
        };
        return Err(ParseError::new(kind, first, at));
    }
    c.finish()?;
    Ok(Command { tag, body })
}

impl Cursor<'_> {
    fn command_body(&mut self) -> PResult<CommandBody> {
        use CommandBody as B;
        let at = self.pos();
        let upper = self.keyword()?;
        // Read as text once: each `as_str` checks UTF-8 again.
        let name = upper.as_str();
        if name == "UID" {
            self.sp()?;
            return self.uid_command();
        }
        let no_args = match name {
            "CAPABILITY" => Some(B::Capability),
            "NOOP" => Some(B::Noop),
            "LOGOUT" => Some(B::Logout),
            "STARTTLS" => Some(B::StartTls),
            "NAMESPACE" => Some(B::Namespace),
            "IDLE" => Some(B::Idle),
            "CHECK" => Some(B::Check),
            "CLOSE" => Some(B::Close),
            "UNSELECT" => Some(B::Unselect),
            "EXPUNGE" => Some(B::Expunge),
            _ => None,
        };
        if let Some(body) = no_args {
            return Ok(body);
        }
        // Every other command takes arguments after SP; an unknown name is reported as such
        // whatever follows it.
        if !self.eat(b' ') {
            let fault = if WITH_ARGUMENTS.contains(&name) {
                Fault::Expected("SP")
            } else {
                Fault::UnknownCommand
            };
            return Err(self.err_at(
                fault,
                if fault == Fault::UnknownCommand {
                    at
                } else {
                    self.pos()
                },
            ));
        }
        if self.lenient() {
            while self.eat(b' ') {}
        }
        Ok(match name {
            "AUTHENTICATE" => {
                let mechanism = self.atom()?;
                let initial = if self.at_end() {
                    None
                } else {
                    self.sp()?;
                    Some(self.take1(
                        |b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='),
                        "initial response",
                    )?)
                };
                B::Authenticate { mechanism, initial }
            }
            "LOGIN" => {
                let username = self.astring()?;
                self.sp()?;
                B::Login {
                    username,
                    password: self.astring()?,
                }
            }
            "ENABLE" => {
                let mut caps = vec![self.atom()?];
                while !self.at_end() {
                    self.sp()?;
                    caps.push(self.atom()?);
                }
                B::Enable(caps)
            }
            "SELECT" | "EXAMINE" => {
                let mailbox = self.mailbox()?;
                let params = self.select_params()?;
                if name == "SELECT" {
                    B::Select { mailbox, params }
                } else {
                    B::Examine { mailbox, params }
                }
            }
            "CREATE" => {
                let mailbox = self.mailbox()?;
                let mut special_use = Vec::new();
                if self.peek() == Some(b' ') {
                    self.sp()?;
                    self.expect(b'(', "(")?;
                    if !self.eat_word(b"USE") {
                        return Err(self.expected("USE"));
                    }
                    self.sp()?;
                    special_use = self.list(false, |c| c.mailbox_attr())?;
                    self.expect(b')', ")")?;
                }
                B::Create {
                    mailbox,
                    special_use,
                }
            }
            "DELETE" => B::Delete(self.mailbox()?),
            "SUBSCRIBE" => B::Subscribe(self.mailbox()?),
            "UNSUBSCRIBE" => B::Unsubscribe(self.mailbox()?),
            "RENAME" => {
                let from = self.mailbox()?;
                self.sp()?;
                B::Rename {
                    from,
                    to: self.mailbox()?,
                }
            }
            "LIST" => B::List(self.list_command()?),
            "LSUB" => {
                let reference = self.mailbox()?;
                self.sp()?;
                B::Lsub {
                    reference,
                    pattern: self.list_mailbox()?,
                }
            }
            "STATUS" => {
                let mailbox = self.mailbox()?;
                self.sp()?;
                B::Status {
                    mailbox,
                    items: self.list(false, |c| c.status_item())?,
                }
            }
            "APPEND" => {
                let mailbox = self.mailbox()?;
                let mut messages = Vec::new();
                while !self.at_end() || messages.is_empty() {
                    self.sp()?;
                    messages.push(self.append_message()?);
                }
                B::Append { mailbox, messages }
            }
            "ID" => B::Id(self.id_params()?),
            "GETQUOTA" => B::GetQuota(self.astring()?),
            "GETQUOTAROOT" => B::GetQuotaRoot(self.mailbox()?),
            "SETQUOTA" => {
                let root = self.astring()?;
                self.sp()?;
                let limits = self.list(true, |c| {
                    let resource = c.atom()?;
                    c.sp()?;
                    Ok(QuotaLimit {
                        resource,
                        limit: c.number64()?,
                    })
                })?;
                B::SetQuota { root, limits }
            }
            "GETMETADATA" => {
                let options = if self.peek() == Some(b'(') {
                    let o = self.metadata_options()?;
                    self.sp()?;
                    o
                } else {
                    GetMetadataOptions::default()
                };
                let mailbox = self.mailbox()?;
                self.sp()?;
                let entries = if self.peek() == Some(b'(') {
                    self.list(false, |c| c.astring())?
                } else {
                    vec![self.astring()?]
                };
                B::GetMetadata {
                    options,
                    mailbox,
                    entries,
                }
            }
            "SETMETADATA" => {
                let mailbox = self.mailbox()?;
                self.sp()?;
                let entries = self.list(false, |c| {
                    let name = c.astring()?;
                    c.sp()?;
                    let value = if c.eat_nil() {
                        None
                    } else {
                        Some(c.metadata_value()?)
                    };
                    Ok(MetadataEntry { name, value })
                })?;
                B::SetMetadata { mailbox, entries }
            }
            "COMPRESS" => B::Compress(self.atom()?),
            "SEARCH" => self.search_command(false)?,
            "FETCH" => {
                let set = MessageSet::Seq(self.sequence_set()?);
                self.fetch_command(set)?
            }
            "STORE" => {
                let set = MessageSet::Seq(self.sequence_set()?);
                self.store_command(set)?
            }
            "COPY" | "MOVE" => {
                let set = MessageSet::Seq(self.sequence_set()?);
                self.copy_or_move(name == "COPY", set)?
            }
            "SORT" => self.sort_command(false)?,
            "THREAD" => self.thread_command(false)?,
            _ => return Err(self.err_at(Fault::UnknownCommand, at)),
        })
    }

    fn uid_command(&mut self) -> PResult<CommandBody> {
        use CommandBody as B;
        let at = self.pos();
        let upper = self.keyword()?;
        // Read as text once: each `as_str` checks UTF-8 again.
        let name = upper.as_str();
        self.sp()?;
        Ok(match name {
            "FETCH" => {
                let set = MessageSet::Uid(self.uid_set()?);
                self.fetch_command(set)?
            }
            "STORE" => {
                let set = MessageSet::Uid(self.uid_set()?);
                self.store_command(set)?
            }
            "COPY" | "MOVE" => {
                let set = MessageSet::Uid(self.uid_set()?);
                self.copy_or_move(name == "COPY", set)?
            }
            "EXPUNGE" => B::UidExpunge(self.uid_set()?),
            "SEARCH" => self.search_command(true)?,
            "SORT" => self.sort_command(true)?,
            "THREAD" => self.thread_command(true)?,
            _ => return Err(self.err_at(Fault::UnknownCommand, at)),
        })
    }

    /// After the set: `SP mailbox`.
    fn copy_or_move(&mut self, copy: bool, set: MessageSet) -> PResult<CommandBody> {
        self.sp()?;
        let mailbox = self.mailbox()?;
        Ok(if copy {
            CommandBody::Copy { set, mailbox }
        } else {
            CommandBody::Move { set, mailbox }
        })
    }

    fn mailbox_attr(&mut self) -> PResult<MailboxAttr> {
        self.expect(b'\\', "\\")?;
        self.atom().map(MailboxAttr::from_atom)
    }

    /// `list-mailbox`: list-chars (wildcards included) or a string.
    fn list_mailbox(&mut self) -> PResult<Mailbox> {
        match self.peek() {
            Some(b'"' | b'{') => self.mailbox(),
            _ => {
                let name = self.take1(crate::chars::is_list_char, "list-mailbox")?;
                Ok(Mailbox::from_wire(name, self.mode()))
            }
        }
    }

    fn list_command(&mut self) -> PResult<ListCommand> {
        let selection = if self.peek() == Some(b'(') {
            let s = self.list(true, |c| c.atom().map(ListSelect::from_atom))?;
            self.sp()?;
            s
        } else {
            Vec::new()
        };
        let reference = self.mailbox()?;
        self.sp()?;
        let patterns = if self.peek() == Some(b'(') {
            self.list(false, |c| c.list_mailbox())?
        } else {
            vec![self.list_mailbox()?]
        };
        let mut returns = Vec::new();
        if !self.at_end() {
            self.sp()?;
            if !self.eat_word(b"RETURN") {
                return Err(self.expected("RETURN"));
            }
            self.sp()?;
            returns = self.list(true, |c| c.list_return())?;
        }
        Ok(ListCommand {
            selection,
            reference,
            patterns,
            returns,
        })
    }

    fn list_return(&mut self) -> PResult<ListReturn> {
        let atom = self.atom()?;
        Ok(match Upper::new(atom.as_bytes()).as_str() {
            "SUBSCRIBED" => ListReturn::Subscribed,
            "CHILDREN" => ListReturn::Children,
            "SPECIAL-USE" => ListReturn::SpecialUse,
            "STATUS" => {
                self.sp()?;
                ListReturn::Status(self.list(false, |c| c.status_item())?)
            }
            _ => ListReturn::Other(atom),
        })
    }

    pub(crate) fn status_item(&mut self) -> PResult<StatusItem> {
        let at = self.pos();
        let word = self.atom()?;
        let item = StatusItem::from_wire(word.as_bytes())
            .ok_or_else(|| self.err_at(Fault::Expected("status item"), at))?;
        if item.rev1_only() && self.mode().is_rev2() && !self.lenient() {
            return Err(self.err_at(Fault::NotInMode, at));
        }
        Ok(item)
    }

    fn select_params(&mut self) -> PResult<SelectParams> {
        let mut params = SelectParams::default();
        if self.at_end() {
            return Ok(params);
        }
        self.sp()?;
        self.list(false, |c| {
            let at = c.pos();
            if c.eat_word(b"CONDSTORE") {
                params.condstore = true;
            } else if c.eat_word(b"QRESYNC") {
                c.sp()?;
                params.qresync = Some(c.qresync_params()?);
            } else {
                return Err(c.err_at(Fault::Expected("CONDSTORE or QRESYNC"), at));
            }
            Ok(())
        })?;
        Ok(params)
    }

    fn qresync_params(&mut self) -> PResult<QresyncParams> {
        self.expect(b'(', "(")?;
        let uidvalidity = self.nz_number()?.get();
        self.sp()?;
        let modseq = self.number64()?;
        let mut known_uids = None;
        let mut seq_match = None;
        if self.eat(b' ') {
            if self.peek() != Some(b'(') {
                known_uids = Some(self.uid_set()?);
            }
            if self.peek() == Some(b'(') || self.eat(b' ') {
                self.expect(b'(', "(")?;
                let seqs = self.sequence_set()?;
                self.sp()?;
                let uids = self.uid_set()?;
                self.expect(b')', ")")?;
                seq_match = Some((seqs, uids));
            }
        }
        self.expect(b')', ")")?;
        Ok(QresyncParams {
            uidvalidity,
            modseq,
            known_uids,
            seq_match,
        })
    }

    fn append_message(&mut self) -> PResult<AppendMessage> {
        let mut flags = Vec::new();
        if self.peek() == Some(b'(') {
            flags = self.flag_list()?;
            self.sp()?;
        }
        let mut date = None;
        if self.peek() == Some(b'"') {
            date = Some(self.date_time()?);
            self.sp()?;
        }
        let at = self.pos();
        let (data, binary) = self.literal()?;
        let data = match data {
            LiteralData::Inline(bytes) if binary => AppendData::Inline(Literal::binary(bytes)),
            LiteralData::Inline(bytes) => {
                AppendData::Inline(Literal::new(bytes).map_err(|_| self.err_at(Fault::Nul, at))?)
            }
            LiteralData::Streamed { size } => AppendData::Streamed { size, binary },
        };
        Ok(AppendMessage { flags, date, data })
    }

    fn id_params(&mut self) -> PResult<crate::types::extensions::rfc2971::IdParams> {
        if self.eat_nil() {
            return Ok(None);
        }
        let mut pairs = Vec::new();
        self.list(true, |c| {
            let field = c.string()?;
            c.sp()?;
            pairs.push((field, c.nstring()?));
            Ok(())
        })?;
        Ok(Some(pairs))
    }

    fn metadata_options(&mut self) -> PResult<GetMetadataOptions> {
        let mut options = GetMetadataOptions::default();
        self.list(false, |c| {
            let at = c.pos();
            if c.eat_word(b"MAXSIZE") {
                c.sp()?;
                options.max_size = Some(c.number()?);
            } else if c.eat_word(b"DEPTH") {
                c.sp()?;
                options.depth = Some(if c.eat_word(b"0") {
                    Depth::Zero
                } else if c.eat_word(b"1") {
                    Depth::One
                } else if c.eat_word(b"infinity") {
                    Depth::Infinity
                } else {
                    return Err(c.expected("depth"));
                });
            } else {
                return Err(c.err_at(Fault::Expected("MAXSIZE or DEPTH"), at));
            }
            Ok(())
        })?;
        Ok(options)
    }

    /// A metadata value: a string, or a `literal8` (which may hold NUL).
    fn metadata_value(&mut self) -> PResult<Bytes> {
        if self.peek() == Some(b'~') {
            let at = self.pos();
            return match self.literal()? {
                (LiteralData::Inline(data), _) => Ok(data),
                (LiteralData::Streamed { .. }, _) => Err(self.err_at(Fault::Streamed, at)),
            };
        }
        self.string().map(|s| s.into_bytes())
    }

    fn search_command(&mut self, uid: bool) -> PResult<CommandBody> {
        let mut returns = None;
        if self.eat_word(b"RETURN") {
            self.sp()?;
            returns = Some(self.list(true, |c| {
                let at = c.pos();
                let word = c.atom()?;
                SearchReturn::from_wire(word.as_bytes())
                    .ok_or_else(|| c.err_at(Fault::Expected("search return option"), at))
            })?);
            self.sp()?;
        }
        let charset = self.charset()?;
        Ok(CommandBody::Search {
            uid,
            returns,
            charset,
            criteria: self.search_keys()?,
        })
    }

    /// `CHARSET astring SP`, when given. Refused after UTF8=ACCEPT (RFC 9755 section 3).
    fn charset(&mut self) -> PResult<Option<crate::types::AString>> {
        let at = self.pos();
        if !self.eat_word(b"CHARSET") {
            return Ok(None);
        }
        if self.mode().utf8_accept && !self.lenient() {
            return Err(self.err_at(Fault::NotInMode, at));
        }
        self.sp()?;
        let charset = self.astring()?;
        self.sp()?;
        Ok(Some(charset))
    }

    fn fetch_command(&mut self, set: MessageSet) -> PResult<CommandBody> {
        self.sp()?;
        let items = if self.eat_word(b"ALL") {
            FetchItems::All
        } else if self.eat_word(b"FAST") {
            FetchItems::Fast
        } else if self.eat_word(b"FULL") {
            FetchItems::Full
        } else if self.peek() == Some(b'(') {
            FetchItems::Attributes {
                list: self.list(false, |c| c.fetch_attribute())?,
                single: false,
            }
        } else {
            FetchItems::Attributes {
                list: vec![self.fetch_attribute()?],
                single: true,
            }
        };
        let mut modifiers = FetchModifiers::default();
        if !self.at_end() {
            self.sp()?;
            self.list(false, |c| {
                let at = c.pos();
                if c.eat_word(b"CHANGEDSINCE") {
                    c.sp()?;
                    modifiers.changed_since = Some(c.number64()?);
                } else if c.eat_word(b"VANISHED") {
                    modifiers.vanished = true;
                } else {
                    return Err(c.err_at(Fault::Expected("fetch modifier"), at));
                }
                Ok(())
            })?;
        }
        Ok(CommandBody::Fetch {
            set,
            items,
            modifiers,
        })
    }

    fn store_command(&mut self, set: MessageSet) -> PResult<CommandBody> {
        self.sp()?;
        let mut unchanged_since = None;
        if self.peek() == Some(b'(') {
            self.expect(b'(', "(")?;
            if !self.eat_word(b"UNCHANGEDSINCE") {
                return Err(self.expected("UNCHANGEDSINCE"));
            }
            self.sp()?;
            unchanged_since = Some(self.number64()?);
            self.expect(b')', ")")?;
            self.sp()?;
        }
        let mode = if self.eat(b'+') {
            StoreMode::Add
        } else if self.eat(b'-') {
            StoreMode::Remove
        } else {
            StoreMode::Replace
        };
        if !self.eat_prefix(b"FLAGS") {
            return Err(self.expected("FLAGS"));
        }
        let silent = self.eat_prefix(b".SILENT");
        self.sp()?;
        let flags = if self.peek() == Some(b'(') {
            self.flag_list()?
        } else {
            let mut flags = vec![self.flag()?];
            while !self.at_end() {
                self.sp()?;
                flags.push(self.flag()?);
            }
            flags
        };
        Ok(CommandBody::Store {
            set,
            unchanged_since,
            mode,
            silent,
            flags,
        })
    }

    fn sort_command(&mut self, uid: bool) -> PResult<CommandBody> {
        let criteria = self.list(false, |c| {
            let reverse = c.eat_word(b"REVERSE");
            if reverse {
                c.sp()?;
            }
            let at = c.pos();
            let word = c.atom()?;
            let key = SortKey::from_wire(word.as_bytes())
                .ok_or_else(|| c.err_at(Fault::Expected("sort key"), at))?;
            Ok(SortCriterion { reverse, key })
        })?;
        self.sp()?;
        let charset = self.astring()?;
        self.sp()?;
        Ok(CommandBody::Sort {
            uid,
            criteria,
            charset,
            search: self.search_keys()?,
        })
    }

    fn thread_command(&mut self, uid: bool) -> PResult<CommandBody> {
        let algorithm = self.atom()?;
        self.sp()?;
        let charset = self.astring()?;
        self.sp()?;
        Ok(CommandBody::Thread {
            uid,
            algorithm,
            charset,
            search: self.search_keys()?,
        })
    }
}

/// Parses the line a client sends to end IDLE: `DONE` (any case).
pub fn is_idle_done(line: &[u8]) -> bool {
    line.eq_ignore_ascii_case(b"DONE")
}

#[cfg(test)]
#[path = "command_tests.rs"]
pub(crate) mod tests;
