//! Writing responses (the server's side).

use bytes::BufMut;

use super::encode::{Encoder, Fragment, LiteralPolicy};
use crate::error::EncodeError;
use crate::types::fetch::PartPath;
use crate::types::{
    Capabilities, Code, Condition, Data, ESearchItem, FetchItem, ListItem, Mode, NamespaceDescr,
    Response, SectionData, StatusAttr, TaggedExtValue, Thread,
};

/// Writes `response` in `mode` into `out`, line end included. Literals are announced `{n}`
/// and follow at once (a server never waits for a continuation), so a response is one run
/// of octets: the encoders' one output shape is a [`BufMut`] (a `Vec<u8>`, a `BytesMut`).
/// Nothing is written when the response is refused.
///
/// Refused: text with CR, LF or NUL; data that `mode` does not have (RECENT and LSUB under
/// IMAP4rev2); section data that was streamed (the caller writes such data itself); a NUL
/// outside a `literal8`.
pub fn encode_response(
    response: &Response,
    mode: Mode,
    out: &mut impl BufMut,
) -> Result<(), EncodeError> {
    // Built whole first, so that a refusal leaves `out` as it was.
    for fragment in response_fragments(response, mode)? {
        match fragment {
            Fragment::Line(octets) | Fragment::Literal { data: octets, .. } => {
                out.put_slice(&octets);
            }
            // Only a command's streamed APPEND data leaves a place for the caller's octets;
            // a response with streamed section data is refused above.
            Fragment::Streamed { .. } => {}
        }
    }
    Ok(())
}

fn response_fragments(response: &Response, mode: Mode) -> Result<Vec<Fragment>, EncodeError> {
    let mut e = Encoder::new(mode, LiteralPolicy::Response);
    match response {
        Response::Continue(c) => {
            e.raw(b"+ ");
            e.code_and_text(c.code.as_ref(), &c.text)?;
        }
        Response::Status(s) => {
            match &s.tag {
                Some(tag) => e.raw(tag.as_bytes()),
                None => e.raw(b"*"),
            };
            if s.tag.is_some() && matches!(s.condition, Condition::PreAuth | Condition::Bye) {
                return Err(EncodeError::NotInMode("a tagged PREAUTH or BYE"));
            }
            e.sp().raw(s.condition.as_str().as_bytes()).sp();
            e.code_and_text(s.code.as_ref(), &s.text)?;
        }
        Response::Data(d) => {
            e.raw(b"* ");
            e.data(d, mode)?;
        }
    }
    e.finish_checked().map(|encoded| encoded.fragments)
}

/// A raw value kept from a peer may hold literals (`{n}` CRLF and n octets); any other CR,
/// LF or NUL would break the line.
fn raw_value_check(value: &[u8], field: &'static str) -> Result<(), EncodeError> {
    let mut rest = value;
    loop {
        let Some(i) = rest.iter().position(|&b| matches!(b, b'\r' | b'\n' | 0)) else {
            return Ok(());
        };
        let (before, tail) = rest
            .split_at_checked(i)
            .ok_or(EncodeError::Internal("raw value"))?;
        let byte = tail.first().copied().unwrap_or(0);
        let invalid = EncodeError::Invalid { field, byte };
        let head = proto_core::line::literal_at_end(before).ok_or(invalid.clone())?;
        let after_crlf = tail.strip_prefix(b"\r\n").ok_or(invalid.clone())?;
        let size = usize::try_from(head.size).map_err(|_| invalid.clone())?;
        rest = after_crlf.get(size..).ok_or(invalid)?;
    }
}

impl Encoder {
    fn code_and_text(&mut self, code: Option<&Code>, text: &[u8]) -> Result<(), EncodeError> {
        if code.is_none() && text.first() == Some(&b'[') {
            // It would read as a response code.
            return Err(EncodeError::Invalid {
                field: "text",
                byte: b'[',
            });
        }
        if let Some(code) = code {
            self.raw(b"[");
            self.code(code)?;
            self.raw(b"]");
            if !text.is_empty() {
                self.sp();
            }
        }
        self.text(text)?;
        Ok(())
    }

    fn capabilities(&mut self, caps: &Capabilities) -> Result<(), EncodeError> {
        if caps.0.is_empty() {
            return Err(EncodeError::Empty("capabilities"));
        }
        for (i, c) in caps.0.iter().enumerate() {
            if i > 0 {
                self.sp();
            }
            self.raw(c.to_wire().as_bytes());
        }
        Ok(())
    }

    fn code(&mut self, code: &Code) -> Result<(), EncodeError> {
        let word = |e: &mut Self, w: &[u8]| {
            e.raw(w).sp();
        };
        match code {
            Code::Alert => self.raw(b"ALERT"),
            Code::Parse => self.raw(b"PARSE"),
            Code::ReadOnly => self.raw(b"READ-ONLY"),
            Code::ReadWrite => self.raw(b"READ-WRITE"),
            Code::TryCreate => self.raw(b"TRYCREATE"),
            Code::Closed => self.raw(b"CLOSED"),
            Code::HasChildren => self.raw(b"HASCHILDREN"),
            Code::NotSaved => self.raw(b"NOTSAVED"),
            Code::UnknownCte => self.raw(b"UNKNOWN-CTE"),
            Code::UidNotSticky => self.raw(b"UIDNOTSTICKY"),
            Code::NoModSeq => self.raw(b"NOMODSEQ"),
            Code::CompressionActive => self.raw(b"COMPRESSIONACTIVE"),
            Code::UseAttr => self.raw(b"USEATTR"),
            Code::Rfc5530(c) => self.raw(c.as_str().as_bytes()),
            Code::BadCharset(list) => {
                self.raw(b"BADCHARSET");
                if !list.is_empty() {
                    self.raw(b" ").list(list.iter(), |enc, c| {
                        enc.astring(c);
                    });
                }
                self
            }
            Code::Capability(caps) => {
                word(self, b"CAPABILITY");
                self.capabilities(caps)?;
                self
            }
            Code::PermanentFlags(flags) => {
                word(self, b"PERMANENTFLAGS");
                self.list(flags.iter(), |enc, f| {
                    enc.display(f);
                })
            }
            Code::UidNext(n) => {
                word(self, b"UIDNEXT");
                self.number(n.get())
            }
            Code::UidValidity(n) => {
                word(self, b"UIDVALIDITY");
                self.number(n.get())
            }
            Code::Unseen(n) => {
                if self.mode().is_rev2() {
                    return Err(EncodeError::NotInMode("UNSEEN"));
                }
                word(self, b"UNSEEN");
                self.number(n.get())
            }
            Code::AppendUid { uidvalidity, uids } => {
                word(self, b"APPENDUID");
                self.number(uidvalidity.get()).sp().display(uids)
            }
            Code::CopyUid {
                uidvalidity,
                source,
                destination,
            } => {
                word(self, b"COPYUID");
                self.number(uidvalidity.get())
                    .sp()
                    .display(source)
                    .sp()
                    .display(destination)
            }
            Code::HighestModSeq(n) => {
                word(self, b"HIGHESTMODSEQ");
                self.number(*n)
            }
            Code::Modified(set) => {
                word(self, b"MODIFIED");
                self.display(set)
            }
            Code::MailboxId(id) => {
                word(self, b"MAILBOXID");
                self.raw(b"(").atom(id).raw(b")")
            }
            Code::MetadataLongEntries(n) => self.raw(b"METADATA LONGENTRIES ").number(*n),
            Code::MetadataMaxSize(n) => self.raw(b"METADATA MAXSIZE ").number(*n),
            Code::MetadataTooMany => self.raw(b"METADATA TOOMANY"),
            Code::MetadataNoPrivate => self.raw(b"METADATA NOPRIVATE"),
            Code::Other { name, value } => {
                self.atom(name);
                if let Some(v) = value {
                    if let Some(&byte) = v.iter().find(|&&b| matches!(b, b']' | b'\r' | b'\n' | 0))
                    {
                        return Err(EncodeError::Invalid {
                            field: "response code",
                            byte,
                        });
                    }
                    self.sp().raw(v);
                }
                self
            }
        };
        Ok(())
    }

    fn list_item(&mut self, item: &ListItem) -> Result<&mut Self, EncodeError> {
        self.list(item.attributes.iter(), |enc, a| {
            enc.display(a);
        })
        .raw(b" ");
        match item.delimiter {
            None => self.raw(b"NIL"),
            Some(b'"') => self.raw(b"\"\\\"\""),
            Some(b'\\') => self.raw(b"\"\\\\\""),
            Some(d) => self.raw(&[b'"', d, b'"']),
        };
        self.sp().mailbox(&item.mailbox);
        if !item.extended.is_empty() {
            self.raw(b" (");
            for (i, (name, values)) in item.extended.iter().enumerate() {
                if i > 0 {
                    self.sp();
                }
                // Written quoted, as RFC 5258's examples do (the grammar allows any astring).
                let name = crate::types::IString::from_checked(name.bytes().clone());
                self.string(&name).sp();
                match values {
                    TaggedExtValue::Strings(strings) => {
                        self.raw(b"(");
                        for (j, v) in strings.iter().enumerate() {
                            if j > 0 {
                                self.sp();
                            }
                            self.string(v);
                        }
                        self.raw(b")");
                    }
                    TaggedExtValue::Raw(raw) => {
                        raw_value_check(raw, "LIST data")?;
                        self.raw(raw);
                    }
                }
            }
            self.raw(b")");
        }
        Ok(self)
    }

    fn section_data(&mut self, data: &SectionData) -> Result<&mut Self, EncodeError> {
        Ok(match data {
            SectionData::Nil => self.raw(b"NIL"),
            SectionData::Inline(bytes) => {
                if memchr::memchr(0, bytes).is_some() {
                    self.literal(&crate::types::Literal::binary(bytes.clone()))
                } else {
                    self.literal(
                        &crate::types::Literal::new(bytes.clone())
                            .map_err(|_| EncodeError::Nul("section data"))?,
                    )
                }
            }
            SectionData::Streamed { .. } => return Err(EncodeError::NotInMode("streamed data")),
        })
    }

    fn fetch_item(&mut self, item: &FetchItem) -> Result<(), EncodeError> {
        match item {
            FetchItem::Flags(flags) => {
                self.raw(b"FLAGS ").list(flags.iter(), |enc, f| {
                    enc.display(f);
                });
            }
            FetchItem::Uid(n) => {
                self.raw(b"UID ").number(n.get());
            }
            FetchItem::InternalDate(d) => {
                self.raw(b"INTERNALDATE \"").display(d).raw(b"\"");
            }
            FetchItem::Rfc822Size(n) => {
                self.raw(b"RFC822.SIZE ").number(*n);
            }
            FetchItem::Envelope(env) => {
                self.raw(b"ENVELOPE ").envelope(env);
            }
            FetchItem::Body(b) => {
                self.raw(b"BODY ").body_structure(b);
            }
            FetchItem::BodyStructure(b) => {
                self.raw(b"BODYSTRUCTURE ").body_structure(b);
            }
            FetchItem::BodySection {
                section,
                origin,
                data,
            } => {
                self.raw(b"BODY").section(section);
                if let Some(o) = origin {
                    self.raw(b"<").number(*o).raw(b">");
                }
                self.sp().section_data(data)?;
            }
            FetchItem::Binary { part, origin, data } => {
                self.raw(b"BINARY[").display(&PartPath(part)).raw(b"]");
                if let Some(o) = origin {
                    self.raw(b"<").number(*o).raw(b">");
                }
                self.sp().section_data(data)?;
            }
            FetchItem::BinarySize { part, size } => {
                self.raw(b"BINARY.SIZE[")
                    .display(&PartPath(part))
                    .raw(b"] ")
                    .number(*size);
            }
            FetchItem::Rfc822(d) => {
                self.raw(b"RFC822 ").section_data(d)?;
            }
            FetchItem::Rfc822Header(d) => {
                self.raw(b"RFC822.HEADER ").section_data(d)?;
            }
            FetchItem::Rfc822Text(d) => {
                self.raw(b"RFC822.TEXT ").section_data(d)?;
            }
            FetchItem::ModSeq(n) => {
                self.raw(b"MODSEQ (").number(*n).raw(b")");
            }
            FetchItem::EmailId(id) => {
                self.raw(b"EMAILID (").atom(id).raw(b")");
            }
            FetchItem::ThreadId(id) => {
                match id {
                    Some(id) => self.raw(b"THREADID (").atom(id).raw(b")"),
                    None => self.raw(b"THREADID NIL"),
                };
            }
            FetchItem::Other { name, value } => {
                raw_value_check(value, "FETCH item")?;
                self.raw(name).sp().raw(value);
            }
        }
        Ok(())
    }

    fn namespace(&mut self, ns: &Option<Vec<NamespaceDescr>>) -> &mut Self {
        let Some(list) = ns else {
            return self.raw(b"NIL");
        };
        self.raw(b"(");
        for d in list {
            self.raw(b"(").string(&d.prefix).sp();
            match d.delimiter {
                None => self.raw(b"NIL"),
                Some(b'"') => self.raw(b"\"\\\"\""),
                Some(b'\\') => self.raw(b"\"\\\\\""),
                Some(c) => self.raw(&[b'"', c, b'"']),
            };
            for (name, values) in &d.extensions {
                self.sp().string(name).raw(b" (");
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        self.sp();
                    }
                    self.string(v);
                }
                self.raw(b")");
            }
            self.raw(b")");
        }
        self.raw(b")")
    }

    fn thread(&mut self, t: &Thread) -> &mut Self {
        self.raw(b"(");
        match t {
            Thread::Branches(list) => {
                for b in list {
                    self.thread(b);
                }
            }
            Thread::Chain { messages, children } => {
                for (i, m) in messages.iter().enumerate() {
                    if i > 0 {
                        self.sp();
                    }
                    self.number(*m);
                }
                if !children.is_empty() {
                    self.sp();
                    for c in children {
                        self.thread(c);
                    }
                }
            }
        }
        self.raw(b")")
    }

    fn numbers(&mut self, numbers: &[u32], modseq: Option<u64>) -> &mut Self {
        for n in numbers {
            self.sp().number(*n);
        }
        if let Some(m) = modseq {
            self.raw(b" (MODSEQ ").number(m).raw(b")");
        }
        self
    }

    fn data(&mut self, data: &Data, mode: Mode) -> Result<(), EncodeError> {
        match data {
            Data::Capability(caps) => {
                self.raw(b"CAPABILITY ");
                self.capabilities(caps)?;
            }
            Data::List(item) => {
                self.raw(b"LIST ").list_item(item)?;
            }
            Data::Lsub(item) => {
                if mode.is_rev2() {
                    return Err(EncodeError::NotInMode("LSUB"));
                }
                self.raw(b"LSUB ").list_item(item)?;
            }
            Data::Status { mailbox, items } => {
                self.raw(b"STATUS ").mailbox(mailbox).raw(b" (");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.sp();
                    }
                    match item {
                        StatusAttr::Number(item, n) => {
                            self.raw(item.as_str().as_bytes()).sp().number(*n)
                        }
                        StatusAttr::MailboxId(id) => self.raw(b"MAILBOXID (").atom(id).raw(b")"),
                        StatusAttr::AppendLimit(None) => self.raw(b"APPENDLIMIT NIL"),
                        StatusAttr::AppendLimit(Some(n)) => self.raw(b"APPENDLIMIT ").number(*n),
                        StatusAttr::Other { name, value } => {
                            raw_value_check(value, "STATUS item")?;
                            self.atom(name).sp().raw(value)
                        }
                    };
                }
                self.raw(b")");
            }
            Data::Search { numbers, modseq } => {
                self.raw(b"SEARCH").numbers(numbers, *modseq);
            }
            Data::Sort { numbers, modseq } => {
                self.raw(b"SORT").numbers(numbers, *modseq);
            }
            Data::ESearch(es) => {
                self.raw(b"ESEARCH");
                if let Some(tag) = &es.tag {
                    let tag = crate::types::IString::from_checked(bytes::Bytes::copy_from_slice(
                        tag.as_bytes(),
                    ));
                    self.raw(b" (TAG ").string(&tag).raw(b")");
                }
                if es.uid {
                    self.raw(b" UID");
                }
                for item in &es.items {
                    self.sp();
                    match item {
                        ESearchItem::Min(n) => self.raw(b"MIN ").number(*n),
                        ESearchItem::Max(n) => self.raw(b"MAX ").number(*n),
                        ESearchItem::Count(n) => self.raw(b"COUNT ").number(*n),
                        ESearchItem::All(set) => self.raw(b"ALL ").display(set),
                        ESearchItem::ModSeq(n) => self.raw(b"MODSEQ ").number(*n),
                        ESearchItem::Other { name, value } => {
                            raw_value_check(value, "ESEARCH item")?;
                            self.atom(name).sp().raw(value)
                        }
                    };
                }
            }
            Data::Flags(flags) => {
                self.raw(b"FLAGS ").flag_list(flags);
            }
            Data::Exists(n) => {
                self.number(*n).raw(b" EXISTS");
            }
            Data::Recent(n) => {
                if mode.is_rev2() {
                    return Err(EncodeError::NotInMode("RECENT"));
                }
                self.number(*n).raw(b" RECENT");
            }
            Data::Expunge(n) => {
                self.number(n.get()).raw(b" EXPUNGE");
            }
            Data::Fetch { seq, items } => {
                self.number(seq.get()).raw(b" FETCH (");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.sp();
                    }
                    self.fetch_item(item)?;
                }
                self.raw(b")");
            }
            Data::Vanished { earlier, uids } => {
                self.raw(b"VANISHED ");
                if *earlier {
                    self.raw(b"(EARLIER) ");
                }
                self.display(uids);
            }
            Data::Enabled(caps) => {
                self.raw(b"ENABLED");
                for c in caps {
                    self.sp().atom(c);
                }
            }
            Data::Id(params) => {
                self.raw(b"ID ").id_params(params);
            }
            Data::Namespace(ns) => {
                self.raw(b"NAMESPACE ")
                    .namespace(&ns.personal)
                    .sp()
                    .namespace(&ns.other)
                    .sp()
                    .namespace(&ns.shared);
            }
            Data::Quota { root, resources } => {
                self.raw(b"QUOTA ").astring(root).raw(b" (");
                for (i, r) in resources.iter().enumerate() {
                    if i > 0 {
                        self.sp();
                    }
                    self.atom(&r.resource)
                        .sp()
                        .number(r.usage)
                        .sp()
                        .number(r.limit);
                }
                self.raw(b")");
            }
            Data::QuotaRoot { mailbox, roots } => {
                self.raw(b"QUOTAROOT ").mailbox(mailbox);
                for r in roots {
                    self.sp().astring(r);
                }
            }
            Data::Metadata { mailbox, entries } => {
                if entries.is_empty() {
                    return Err(EncodeError::Empty("metadata entries"));
                }
                self.raw(b"METADATA ")
                    .mailbox(mailbox)
                    .sp()
                    .metadata_entries(entries);
            }
            Data::MetadataChanged { mailbox, names } => {
                if names.is_empty() {
                    return Err(EncodeError::Empty("metadata entries"));
                }
                self.raw(b"METADATA ").mailbox(mailbox);
                for n in names {
                    self.sp().astring(n);
                }
            }
            Data::Thread(threads) => {
                self.raw(b"THREAD");
                if !threads.is_empty() {
                    self.sp();
                    for t in threads {
                        self.thread(t);
                    }
                }
            }
            Data::Other { name, rest } => {
                if let Some(&byte) = rest.iter().find(|&&b| matches!(b, b'\r' | b'\n' | 0)) {
                    return Err(EncodeError::Invalid {
                        field: "response",
                        byte,
                    });
                }
                self.raw(name);
                if !rest.is_empty() {
                    self.sp().raw(rest);
                }
            }
        }
        Ok(())
    }
}
