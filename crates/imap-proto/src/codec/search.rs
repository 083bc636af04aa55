//! SEARCH keys: parsing (with the nesting limit) and writing.

use super::encode::Encoder;
use super::lexer::{Cursor, PResult};
use crate::error::Fault;
use crate::types::{EntryType, SearchKey};

impl Cursor<'_> {
    /// One or more search keys separated by SP, to the end of the message.
    pub(crate) fn search_keys(&mut self) -> PResult<Vec<SearchKey>> {
        let mut keys = vec![self.search_key()?];
        while !self.at_end() {
            if self.lenient() && self.rest().iter().all(|&b| b == b' ') && self.at_line_tail() {
                break;
            }
            self.sp()?;
            keys.push(self.search_key()?);
        }
        Ok(keys)
    }

    /// One search key.
    pub(crate) fn search_key(&mut self) -> PResult<SearchKey> {
        self.enter()?;
        let key = self.search_key_inner();
        self.leave();
        key
    }

    fn search_key_inner(&mut self) -> PResult<SearchKey> {
        use SearchKey as K;
        match self.peek() {
            Some(b'(') => return self.list(false, |c| c.search_key()).map(K::And),
            Some(b'0'..=b'9' | b'*' | b'$') => return self.sequence_set().map(K::SequenceSet),
            _ => {}
        }
        let at = self.pos();
        let upper = self.keyword()?;
        // Read as text once: each `as_str` checks UTF-8 again.
        let name = upper.as_str();
        let key = match name {
            "ALL" => K::All,
            "ANSWERED" => K::Answered,
            "DELETED" => K::Deleted,
            "DRAFT" => K::Draft,
            "FLAGGED" => K::Flagged,
            "NEW" => K::New,
            "OLD" => K::Old,
            "RECENT" => K::Recent,
            "SEEN" => K::Seen,
            "UNANSWERED" => K::Unanswered,
            "UNDELETED" => K::Undeleted,
            "UNDRAFT" => K::Undraft,
            "UNFLAGGED" => K::Unflagged,
            "UNSEEN" => K::Unseen,
            _ => {
                self.sp()?;
                match name {
                    "BCC" => K::Bcc(self.astring()?),
                    "BODY" => K::Body(self.astring()?),
                    "CC" => K::Cc(self.astring()?),
                    "FROM" => K::From(self.astring()?),
                    "SUBJECT" => K::Subject(self.astring()?),
                    "TEXT" => K::Text(self.astring()?),
                    "TO" => K::To(self.astring()?),
                    "HEADER" => {
                        let field = self.astring()?;
                        self.sp()?;
                        K::Header(field, self.astring()?)
                    }
                    "BEFORE" => K::Before(self.date()?),
                    "ON" => K::On(self.date()?),
                    "SINCE" => K::Since(self.date()?),
                    "SENTBEFORE" => K::SentBefore(self.date()?),
                    "SENTON" => K::SentOn(self.date()?),
                    "SENTSINCE" => K::SentSince(self.date()?),
                    "KEYWORD" => K::Keyword(self.atom()?),
                    "UNKEYWORD" => K::Unkeyword(self.atom()?),
                    "LARGER" => K::Larger(self.number64()?),
                    "SMALLER" => K::Smaller(self.number64()?),
                    "UID" => K::Uid(self.uid_set()?),
                    "NOT" => K::Not(Box::new(self.search_key()?)),
                    "OR" => {
                        let a = self.search_key()?;
                        self.sp()?;
                        K::Or(Box::new(a), Box::new(self.search_key()?))
                    }
                    "MODSEQ" => self.modseq_key()?,
                    "EMAILID" => K::EmailId(self.atom()?),
                    "THREADID" => K::ThreadId(self.atom()?),
                    _ => return Err(self.err_at(Fault::Expected("search key"), at)),
                }
            }
        };
        Ok(key)
    }

    /// After `MODSEQ SP`: `[entry-name SP entry-type-req SP] mod-sequence-valzer`.
    fn modseq_key(&mut self) -> PResult<SearchKey> {
        if self.peek().is_some_and(|b| b.is_ascii_digit()) {
            let modseq = self.number64()?;
            return Ok(SearchKey::ModSeq {
                entry: None,
                modseq,
            });
        }
        let name = self.astring()?;
        self.sp()?;
        let at = self.pos();
        let word = self.atom()?;
        let kind = EntryType::from_wire(word.as_bytes())
            .ok_or_else(|| self.err_at(Fault::Expected("entry type"), at))?;
        self.sp()?;
        Ok(SearchKey::ModSeq {
            entry: Some((name, kind)),
            modseq: self.number64()?,
        })
    }
}

impl Encoder {
    /// Search keys separated by SP.
    pub(crate) fn search_keys(&mut self, keys: &[SearchKey]) -> &mut Self {
        for (i, key) in keys.iter().enumerate() {
            if i > 0 {
                self.sp();
            }
            self.search_key(key);
        }
        self
    }

    /// One search key.
    pub(crate) fn search_key(&mut self, key: &SearchKey) -> &mut Self {
        use SearchKey as K;
        let word = |e: &mut Self, w: &[u8]| {
            e.raw(w).sp();
        };
        match key {
            K::All => self.raw(b"ALL"),
            K::Answered => self.raw(b"ANSWERED"),
            K::Deleted => self.raw(b"DELETED"),
            K::Draft => self.raw(b"DRAFT"),
            K::Flagged => self.raw(b"FLAGGED"),
            K::New => self.raw(b"NEW"),
            K::Old => self.raw(b"OLD"),
            K::Recent => self.raw(b"RECENT"),
            K::Seen => self.raw(b"SEEN"),
            K::Unanswered => self.raw(b"UNANSWERED"),
            K::Undeleted => self.raw(b"UNDELETED"),
            K::Undraft => self.raw(b"UNDRAFT"),
            K::Unflagged => self.raw(b"UNFLAGGED"),
            K::Unseen => self.raw(b"UNSEEN"),
            K::Bcc(s) => {
                word(self, b"BCC");
                self.astring(s)
            }
            K::Body(s) => {
                word(self, b"BODY");
                self.astring(s)
            }
            K::Cc(s) => {
                word(self, b"CC");
                self.astring(s)
            }
            K::From(s) => {
                word(self, b"FROM");
                self.astring(s)
            }
            K::Subject(s) => {
                word(self, b"SUBJECT");
                self.astring(s)
            }
            K::Text(s) => {
                word(self, b"TEXT");
                self.astring(s)
            }
            K::To(s) => {
                word(self, b"TO");
                self.astring(s)
            }
            K::Header(field, value) => {
                word(self, b"HEADER");
                self.astring(field).sp().astring(value)
            }
            K::Before(d) => {
                word(self, b"BEFORE");
                self.display(d)
            }
            K::On(d) => {
                word(self, b"ON");
                self.display(d)
            }
            K::Since(d) => {
                word(self, b"SINCE");
                self.display(d)
            }
            K::SentBefore(d) => {
                word(self, b"SENTBEFORE");
                self.display(d)
            }
            K::SentOn(d) => {
                word(self, b"SENTON");
                self.display(d)
            }
            K::SentSince(d) => {
                word(self, b"SENTSINCE");
                self.display(d)
            }
            K::Keyword(a) => {
                word(self, b"KEYWORD");
                self.atom(a)
            }
            K::Unkeyword(a) => {
                word(self, b"UNKEYWORD");
                self.atom(a)
            }
            K::Larger(n) => {
                word(self, b"LARGER");
                self.number(*n)
            }
            K::Smaller(n) => {
                word(self, b"SMALLER");
                self.number(*n)
            }
            K::Uid(set) => {
                word(self, b"UID");
                self.display(set)
            }
            K::Not(k) => {
                word(self, b"NOT");
                self.search_key(k)
            }
            K::Or(a, b) => {
                word(self, b"OR");
                self.search_key(a).sp().search_key(b)
            }
            K::SequenceSet(set) => self.display(set),
            K::And(keys) => self.raw(b"(").search_keys(keys).raw(b")"),
            K::ModSeq { entry, modseq } => {
                word(self, b"MODSEQ");
                if let Some((name, kind)) = entry {
                    // `entry-name` is a quoted string (RFC 7162 section 3.4): as a bare word
                    // a name starting with a digit would read as the mod-sequence.
                    self.string_bytes(name.bytes().clone())
                        .sp()
                        .raw(kind.as_str().as_bytes())
                        .sp();
                }
                self.number(*modseq)
            }
            K::EmailId(id) => {
                word(self, b"EMAILID");
                self.atom(id)
            }
            K::ThreadId(id) => {
                word(self, b"THREADID");
                self.atom(id)
            }
        }
    }
}
