//! Writing commands (the client's side).

use super::encode::{Encoded, Encoder, LiteralPolicy};
use crate::error::EncodeError;
use crate::types::fetch::PartPath;
use crate::types::{
    AppendData, Command, CommandBody, Depth, FetchAttribute, FetchItems, Flag, ListReturn,
    MessageSet, Mode, Partial, Section, SectionText, StoreMode,
};

/// Writes `command` in `mode`, its literals announced by `policy`.
///
/// The output is an [`Encoded`], not one run of octets as [`encode_response`] writes: a
/// synchronising literal (`{n}`, and under LITERAL- one over 4096 octets) cuts the command
/// into pieces, and the client sends the piece after it only once the server has answered
/// `+` ([`Fragment::Literal`] with `sync`). Nothing of a refused command is returned.
///
/// [`encode_response`]: super::encode_response
/// [`Fragment::Literal`]: super::Fragment::Literal
///
/// Refused: a command that `mode` does not have (LSUB and CHECK under IMAP4rev2), a list the
/// grammar wants non-empty given empty. The data of a streamed APPEND message is not here:
/// its place is a [`Fragment::Streamed`](super::encode::Fragment::Streamed), where the caller
/// writes the octets itself after the announcement.
pub fn encode_command(
    command: &Command,
    mode: Mode,
    policy: LiteralPolicy,
) -> Result<Encoded, EncodeError> {
    use CommandBody as B;
    let body = &command.body;
    if mode.is_rev2() && body.rev1_only() {
        return Err(EncodeError::NotInMode(body.name()));
    }
    let mut e = Encoder::new(mode, policy);
    e.raw(command.tag.as_bytes()).sp();
    e.raw(body.name().as_bytes());
    match body {
        B::Capability
        | B::Noop
        | B::Logout
        | B::StartTls
        | B::Namespace
        | B::Idle
        | B::Check
        | B::Close
        | B::Unselect
        | B::Expunge => {}
        B::Authenticate { mechanism, initial } => {
            e.sp().atom(mechanism);
            if let Some(initial) = initial {
                e.sp().raw(initial);
            }
        }
        B::Login { username, password } => {
            e.sp().astring(username).sp().astring(password);
        }
        B::Enable(caps) => {
            non_empty(caps, "ENABLE")?;
            for cap in caps {
                e.sp().atom(cap);
            }
        }
        B::Select { mailbox, params } | B::Examine { mailbox, params } => {
            e.sp().mailbox(mailbox);
            if !params.is_empty() {
                e.raw(b" (");
                if params.condstore {
                    e.raw(b"CONDSTORE");
                }
                if let Some(q) = &params.qresync {
                    if params.condstore {
                        e.sp();
                    }
                    e.raw(b"QRESYNC (")
                        .number(q.uidvalidity)
                        .sp()
                        .number(q.modseq);
                    if let Some(known) = &q.known_uids {
                        e.sp().display(known);
                    }
                    if let Some((seqs, uids)) = &q.seq_match {
                        e.raw(b" (").display(seqs).sp().display(uids).raw(b")");
                    }
                    e.raw(b")");
                }
                e.raw(b")");
            }
        }
        B::Create {
            mailbox,
            special_use,
        } => {
            e.sp().mailbox(mailbox);
            if !special_use.is_empty() {
                e.raw(b" (USE ")
                    .list(special_use.iter(), |enc, attr| {
                        enc.display(attr);
                    })
                    .raw(b")");
            }
        }
        B::Delete(m) | B::Subscribe(m) | B::Unsubscribe(m) | B::GetQuotaRoot(m) => {
            e.sp().mailbox(m);
        }
        B::Rename { from, to } => {
            e.sp().mailbox(from).sp().mailbox(to);
        }
        B::List(list) => {
            non_empty(&list.patterns, "LIST pattern")?;
            e.sp();
            if !list.selection.is_empty() {
                e.list(list.selection.iter(), |enc, s| {
                    enc.raw(s.as_str().as_bytes());
                })
                .raw(b" ");
            }
            e.mailbox(&list.reference).sp();
            if let [one] = list.patterns.as_slice() {
                e.list_mailbox(one);
            } else {
                e.list(list.patterns.iter(), |enc, p| {
                    enc.list_mailbox(p);
                });
            }
            if !list.returns.is_empty() {
                e.raw(b" RETURN (");
                for (i, r) in list.returns.iter().enumerate() {
                    if i > 0 {
                        e.sp();
                    }
                    match r {
                        ListReturn::Subscribed => e.raw(b"SUBSCRIBED"),
                        ListReturn::Children => e.raw(b"CHILDREN"),
                        ListReturn::SpecialUse => e.raw(b"SPECIAL-USE"),
                        ListReturn::Status(items) => {
                            non_empty(items, "STATUS items")?;
                            e.raw(b"STATUS ").status_items(items)
                        }
                        ListReturn::Other(atom) => e.atom(atom),
                    };
                }
                e.raw(b")");
            }
        }
        B::Lsub { reference, pattern } => {
            e.sp().mailbox(reference).sp().list_mailbox(pattern);
        }
        B::Status { mailbox, items } => {
            non_empty(items, "STATUS items")?;
            e.sp().mailbox(mailbox).sp().status_items(items);
        }
        B::Append { mailbox, messages } => {
            non_empty(messages, "APPEND messages")?;
            e.sp().mailbox(mailbox);
            for m in messages {
                e.sp();
                if !m.flags.is_empty() {
                    e.flag_list(&m.flags).sp();
                }
                if let Some(date) = &m.date {
                    e.raw(b"\"").display(date).raw(b"\" ");
                }
                match &m.data {
                    AppendData::Inline(literal) => e.literal(literal),
                    AppendData::Streamed { size, binary } => e.streamed_literal(*size, *binary),
                };
            }
        }
        B::Id(params) => {
            e.sp().id_params(params);
        }
        B::GetQuota(root) => {
            e.sp().astring(root);
        }
        B::SetQuota { root, limits } => {
            e.sp().astring(root).raw(b" (");
            for (i, l) in limits.iter().enumerate() {
                if i > 0 {
                    e.sp();
                }
                e.atom(&l.resource).sp().number(l.limit);
            }
            e.raw(b")");
        }
        B::GetMetadata {
            options,
            mailbox,
            entries,
        } => {
            non_empty(entries, "metadata entries")?;
            e.sp();
            if options.max_size.is_some() || options.depth.is_some() {
                e.raw(b"(");
                if let Some(n) = options.max_size {
                    e.raw(b"MAXSIZE ").number(n);
                    if options.depth.is_some() {
                        e.sp();
                    }
                }
                if let Some(d) = options.depth {
                    e.raw(match d {
                        Depth::Zero => b"DEPTH 0".as_slice(),
                        Depth::One => b"DEPTH 1",
                        Depth::Infinity => b"DEPTH infinity",
                    });
                }
                e.raw(b") ");
            }
            e.mailbox(mailbox).sp();
            if let [one] = entries.as_slice() {
                e.astring(one);
            } else {
                e.list(entries.iter(), |enc, entry| {
                    enc.astring(entry);
                });
            }
        }
        B::SetMetadata { mailbox, entries } => {
            non_empty(entries, "metadata entries")?;
            e.sp().mailbox(mailbox).sp().metadata_entries(entries);
        }
        B::Compress(mechanism) => {
            e.sp().atom(mechanism);
        }
        B::UidExpunge(set) => {
            e.sp().display(set);
        }
        B::Search {
            returns,
            charset,
            criteria,
            ..
        } => {
            non_empty(criteria, "search keys")?;
            if let Some(returns) = returns {
                e.raw(b" RETURN ").list(returns.iter(), |enc, r| {
                    enc.raw(r.as_str().as_bytes());
                });
            }
            if let Some(charset) = charset {
                if mode.utf8_accept {
                    return Err(EncodeError::NotInMode("CHARSET after UTF8=ACCEPT"));
                }
                e.raw(b" CHARSET ").astring(charset);
            }
            e.sp().search_keys(criteria);
        }
        B::Fetch {
            set,
            items,
            modifiers,
        } => {
            e.sp().message_set(set).sp();
            match items {
                FetchItems::All => e.raw(b"ALL"),
                FetchItems::Fast => e.raw(b"FAST"),
                FetchItems::Full => e.raw(b"FULL"),
                FetchItems::Attributes { list, single } => {
                    non_empty(list, "FETCH attributes")?;
                    if let ([one], true) = (list.as_slice(), single) {
                        e.fetch_attribute(one)
                    } else {
                        e.list(list.iter(), |enc, a| {
                            enc.fetch_attribute(a);
                        })
                    }
                }
            };
            if !modifiers.is_empty() {
                e.raw(b" (");
                if let Some(n) = modifiers.changed_since {
                    e.raw(b"CHANGEDSINCE ").number(n);
                    if modifiers.vanished {
                        e.sp();
                    }
                }
                if modifiers.vanished {
                    e.raw(b"VANISHED");
                }
                e.raw(b")");
            }
        }
        B::Store {
            set,
            unchanged_since,
            mode: store,
            silent,
            flags,
        } => {
            e.sp().message_set(set).sp();
            if let Some(n) = unchanged_since {
                e.raw(b"(UNCHANGEDSINCE ").number(*n).raw(b") ");
            }
            e.raw(match store {
                StoreMode::Replace => b"FLAGS".as_slice(),
                StoreMode::Add => b"+FLAGS",
                StoreMode::Remove => b"-FLAGS",
            });
            if *silent {
                e.raw(b".SILENT");
            }
            e.sp().flag_list(flags);
        }
        B::Copy { set, mailbox } | B::Move { set, mailbox } => {
            e.sp().message_set(set).sp().mailbox(mailbox);
        }
        B::Sort {
            criteria,
            charset,
            search,
            ..
        } => {
            non_empty(criteria, "sort criteria")?;
            non_empty(search, "search keys")?;
            e.raw(b" (");
            for (i, c) in criteria.iter().enumerate() {
                if i > 0 {
                    e.sp();
                }
                if c.reverse {
                    e.raw(b"REVERSE ");
                }
                e.raw(c.key.as_str().as_bytes());
            }
            e.raw(b") ").astring(charset).sp().search_keys(search);
        }
        B::Thread {
            algorithm,
            charset,
            search,
            ..
        } => {
            non_empty(search, "search keys")?;
            e.sp()
                .atom(algorithm)
                .sp()
                .astring(charset)
                .sp()
                .search_keys(search);
        }
    }
    e.finish_checked()
}

fn non_empty<T>(list: &[T], what: &'static str) -> Result<(), EncodeError> {
    if list.is_empty() {
        Err(EncodeError::Empty(what))
    } else {
        Ok(())
    }
}

impl Encoder {
    fn message_set(&mut self, set: &MessageSet) -> &mut Self {
        match set {
            MessageSet::Seq(s) => self.display(s),
            MessageSet::Uid(s) => self.display(s),
        }
    }

    /// `flag-list`.
    pub(crate) fn flag_list(&mut self, flags: &[Flag]) -> &mut Self {
        self.list(flags.iter(), |enc, f| {
            enc.display(f);
        })
    }

    fn status_items(&mut self, items: &[crate::types::StatusItem]) -> &mut Self {
        self.list(items.iter(), |enc, item| {
            enc.raw(item.as_str().as_bytes());
        })
    }

    /// `[section]`.
    pub(crate) fn section(&mut self, section: &Section) -> &mut Self {
        self.raw(b"[").display(&PartPath(&section.part));
        if let Some(text) = &section.text {
            if !section.part.is_empty() {
                self.raw(b".");
            }
            let fields = |e: &mut Self, names: &[crate::types::AString]| {
                e.raw(b" ").list(names.iter(), |enc, n| {
                    enc.astring(n);
                });
            };
            match text {
                SectionText::Header => {
                    self.raw(b"HEADER");
                }
                SectionText::HeaderFields(names) => {
                    self.raw(b"HEADER.FIELDS");
                    fields(self, names);
                }
                SectionText::HeaderFieldsNot(names) => {
                    self.raw(b"HEADER.FIELDS.NOT");
                    fields(self, names);
                }
                SectionText::Text => {
                    self.raw(b"TEXT");
                }
                SectionText::Mime => {
                    self.raw(b"MIME");
                }
            }
        }
        self.raw(b"]")
    }

    fn partial(&mut self, partial: Option<&Partial>) -> &mut Self {
        if let Some(p) = partial {
            self.raw(b"<")
                .number(p.origin)
                .raw(b".")
                .number(p.length.get())
                .raw(b">");
        }
        self
    }

    fn fetch_attribute(&mut self, a: &FetchAttribute) -> &mut Self {
        use FetchAttribute as A;
        match a {
            A::Envelope => self.raw(b"ENVELOPE"),
            A::Flags => self.raw(b"FLAGS"),
            A::InternalDate => self.raw(b"INTERNALDATE"),
            A::Rfc822 => self.raw(b"RFC822"),
            A::Rfc822Header => self.raw(b"RFC822.HEADER"),
            A::Rfc822Size => self.raw(b"RFC822.SIZE"),
            A::Rfc822Text => self.raw(b"RFC822.TEXT"),
            A::Body => self.raw(b"BODY"),
            A::BodyStructure => self.raw(b"BODYSTRUCTURE"),
            A::Uid => self.raw(b"UID"),
            A::ModSeq => self.raw(b"MODSEQ"),
            A::EmailId => self.raw(b"EMAILID"),
            A::ThreadId => self.raw(b"THREADID"),
            A::BodySection {
                section,
                partial,
                peek,
            } => self
                .raw(if *peek { b"BODY.PEEK" } else { b"BODY" })
                .section(section)
                .partial(partial.as_ref()),
            A::Binary {
                part,
                partial,
                peek,
            } => self
                .raw(if *peek { b"BINARY.PEEK[" } else { b"BINARY[" })
                .display(&PartPath(part))
                .raw(b"]")
                .partial(partial.as_ref()),
            A::BinarySize(part) => self.raw(b"BINARY.SIZE[").display(&PartPath(part)).raw(b"]"),
        }
    }
}
