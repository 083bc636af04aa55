//! ENVELOPE and BODY/BODYSTRUCTURE: parsing (lenient where servers stray, nesting limited)
//! and writing.

use super::encode::Encoder;
use super::lexer::{Cursor, PResult};
use crate::error::Fault;
use crate::types::{
    Address, BodyExtension, BodyFields, BodyParams, BodyStructure, Disposition, Envelope,
    ExtensionTail, IString, MultiExtension, NString, SingleExtension, SpecificFields,
};

impl Cursor<'_> {
    /// A string, or (lenient) NIL read as the empty string: servers send NIL for a media
    /// type or an encoding they do not know.
    fn string_or_nil(&mut self) -> PResult<IString> {
        if self.lenient() && self.eat_nil() {
            return Ok(IString::from_checked(bytes::Bytes::new()));
        }
        self.string()
    }

    /// A size; lenient: `-1` (sent by some servers for unknown sizes) reads as 0.
    fn size(&mut self) -> PResult<u32> {
        if self.lenient() && self.peek() == Some(b'-') {
            self.eat(b'-');
            self.number64()?;
            return Ok(0);
        }
        self.number()
    }

    /// Between two items of a list without separators (`1*body`, `1*address`): lenient
    /// accepts spaces.
    fn lenient_spaces(&mut self) {
        if self.lenient() {
            while self.eat(b' ') {}
        }
    }

    pub(crate) fn envelope(&mut self) -> PResult<Envelope> {
        self.expect(b'(', "(")?;
        self.enter()?;
        let date = self.nstring()?;
        self.sp()?;
        let subject = self.nstring()?;
        let mut lists: [Vec<Address>; 6] = Default::default();
        for list in lists.iter_mut() {
            self.sp()?;
            *list = self.addresses()?;
        }
        self.sp()?;
        let in_reply_to = self.nstring()?;
        self.sp()?;
        let message_id = self.nstring()?;
        self.lenient_spaces();
        self.expect(b')', ")")?;
        self.leave();
        let [from, sender, reply_to, to, cc, bcc] = lists;
        Ok(Envelope {
            date,
            subject,
            from,
            sender,
            reply_to,
            to,
            cc,
            bcc,
            in_reply_to,
            message_id,
        })
    }

    fn addresses(&mut self) -> PResult<Vec<Address>> {
        if self.eat_nil() {
            return Ok(Vec::new());
        }
        self.expect(b'(', "(")?;
        self.enter()?;
        let mut list = Vec::new();
        loop {
            self.lenient_spaces();
            if self.eat(b')') {
                break;
            }
            self.expect(b'(', "address")?;
            let name = self.nstring()?;
            self.sp()?;
            let adl = self.nstring()?;
            self.sp()?;
            let mailbox = self.nstring()?;
            self.sp()?;
            let host = self.nstring()?;
            self.expect(b')', ")")?;
            list.push(Address {
                name,
                adl,
                mailbox,
                host,
            });
        }
        self.leave();
        if list.is_empty() && !self.lenient() {
            return Err(self.expected("address"));
        }
        Ok(list)
    }

    /// `body`: with `extensions` false (FETCH BODY) extension data is refused strictly and
    /// kept leniently.
    pub(crate) fn body_structure(&mut self) -> PResult<BodyStructure> {
        self.expect(b'(', "(")?;
        self.enter()?;
        let body = if self.peek() == Some(b'(') {
            self.multipart()?
        } else {
            self.single_part()?
        };
        self.lenient_spaces();
        self.expect(b')', ")")?;
        self.leave();
        Ok(body)
    }

    fn multipart(&mut self) -> PResult<BodyStructure> {
        let mut parts = Vec::new();
        while self.peek() == Some(b'(') {
            parts.push(self.body_structure()?);
            self.lenient_spaces();
        }
        if !self.lenient() {
            // The strict grammar has no space between parts; the lenient loop ate the one
            // before the subtype, so only the strict path needs it here.
            self.sp()?;
        }
        let subtype = self.string_or_nil()?;
        Ok(BodyStructure::Multi {
            parts,
            subtype,
            extension: self.multi_extension()?,
        })
    }

    fn partless_multipart(&mut self, subtype: IString) -> PResult<BodyStructure> {
        Ok(BodyStructure::Multi {
            parts: Vec::new(),
            subtype,
            extension: self.multi_extension()?,
        })
    }

    /// `[SP body-ext-mpart]`.
    fn multi_extension(&mut self) -> PResult<Option<MultiExtension>> {
        if !self.more() {
            return Ok(None);
        }
        self.sp()?;
        let params = self.body_params()?;
        Ok(Some(MultiExtension {
            params,
            tail: self.extension_tail()?,
        }))
    }

    fn single_part(&mut self) -> PResult<BodyStructure> {
        let media_type = self.string_or_nil()?;
        // Lenient: a multipart whose parts the server left out, `("MIXED")` or
        // `("MIXED" ("BOUNDARY" "x") NIL NIL)` (net-imap bugs 7146 and 7153).
        if self.lenient() && (self.peek() == Some(b')') || self.peek_at(1) == Some(b'(')) {
            return self.partless_multipart(media_type);
        }
        self.sp()?;
        let subtype = self.string_or_nil()?;
        self.sp()?;
        let fields = self.body_fields()?;
        let kind = media_type.as_bytes();
        let sub = subtype.as_bytes();
        let specific = if kind.eq_ignore_ascii_case(b"TEXT") {
            self.sp()?;
            SpecificFields::Text {
                lines: self.size()?,
            }
        } else if kind.eq_ignore_ascii_case(b"MESSAGE")
            && (sub.eq_ignore_ascii_case(b"RFC822") || sub.eq_ignore_ascii_case(b"GLOBAL"))
            && self.peek() == Some(b' ')
            && self.peek_at(1) == Some(b'(')
        {
            self.sp()?;
            let envelope = Box::new(self.envelope()?);
            self.sp()?;
            let body = Box::new(self.body_structure()?);
            self.sp()?;
            SpecificFields::Message {
                envelope,
                body,
                lines: self.size()?,
            }
        } else {
            SpecificFields::Basic
        };
        let extension = if self.more() {
            self.sp()?;
            let md5 = self.nstring()?;
            Some(SingleExtension {
                md5,
                tail: self.extension_tail()?,
            })
        } else {
            None
        };
        Ok(BodyStructure::Single {
            media_type,
            subtype,
            fields,
            specific,
            extension,
        })
    }

    fn body_fields(&mut self) -> PResult<BodyFields> {
        let params = self.body_params()?;
        self.sp()?;
        let id = self.nstring()?;
        self.sp()?;
        let description = self.nstring()?;
        self.sp()?;
        let encoding = self.string_or_nil()?;
        self.sp()?;
        let octets = self.size()?;
        Ok(BodyFields {
            params,
            id,
            description,
            encoding,
            octets,
        })
    }

    fn body_params(&mut self) -> PResult<BodyParams> {
        if self.eat_nil() {
            return Ok(Vec::new());
        }
        self.list(self.lenient(), |c| {
            let name = c.string()?;
            c.sp()?;
            Ok((name, c.string_or_nil()?))
        })
    }

    /// `[SP dsp [SP lang [SP loc *(SP ext)]]]`.
    fn extension_tail(&mut self) -> PResult<ExtensionTail> {
        let mut tail = ExtensionTail::default();
        if !self.more() {
            return Ok(tail);
        }
        self.sp()?;
        tail.disposition = Some(if self.eat_nil() {
            None
        } else {
            self.expect(b'(', "(")?;
            let kind = self.string()?;
            self.sp()?;
            let params = self.body_params()?;
            self.expect(b')', ")")?;
            Some(Disposition { kind, params })
        });
        if !self.more() {
            return Ok(tail);
        }
        self.sp()?;
        tail.language = Some(if self.eat_nil() {
            Vec::new()
        } else if self.peek() == Some(b'(') {
            self.list(false, |c| c.string())?
        } else {
            vec![self.string()?]
        });
        if !self.more() {
            return Ok(tail);
        }
        self.sp()?;
        tail.location = Some(self.nstring()?);
        while self.more() {
            self.sp()?;
            tail.extensions.push(self.body_extension()?);
        }
        Ok(tail)
    }

    /// True when another SP-separated item follows before `)`.
    fn more(&self) -> bool {
        self.peek() == Some(b' ') && self.peek_at(1).is_some_and(|b| b != b')' && b != b' ')
    }

    fn body_extension(&mut self) -> PResult<BodyExtension> {
        match self.peek() {
            Some(b'(') => self
                .list(false, |c| c.body_extension())
                .map(BodyExtension::List),
            Some(b'0'..=b'9') => {
                let at = self.pos();
                let n = self.number64()?;
                u32::try_from(n)
                    .map(BodyExtension::Number)
                    .map_err(|_| self.err_at(Fault::NumberRange, at))
            }
            _ => self.nstring().map(BodyExtension::String),
        }
    }
}

impl Encoder {
    fn nstr(&mut self, s: &NString) -> &mut Self {
        self.nstring(s.as_ref())
    }

    /// An envelope.
    pub(crate) fn envelope(&mut self, env: &Envelope) -> &mut Self {
        self.raw(b"(").nstr(&env.date).sp().nstr(&env.subject);
        for list in [
            &env.from,
            &env.sender,
            &env.reply_to,
            &env.to,
            &env.cc,
            &env.bcc,
        ] {
            self.sp();
            if list.is_empty() {
                self.raw(b"NIL");
                continue;
            }
            self.raw(b"(");
            for a in list {
                self.raw(b"(")
                    .nstr(&a.name)
                    .sp()
                    .nstr(&a.adl)
                    .sp()
                    .nstr(&a.mailbox)
                    .sp()
                    .nstr(&a.host)
                    .raw(b")");
            }
            self.raw(b")");
        }
        self.sp()
            .nstr(&env.in_reply_to)
            .sp()
            .nstr(&env.message_id)
            .raw(b")")
    }

    fn params(&mut self, params: &BodyParams) -> &mut Self {
        if params.is_empty() {
            return self.raw(b"NIL");
        }
        self.raw(b"(");
        for (i, (k, v)) in params.iter().enumerate() {
            if i > 0 {
                self.sp();
            }
            self.string(k).sp().string(v);
        }
        self.raw(b")")
    }

    /// A body structure (with its extension data when it has some).
    pub(crate) fn body_structure(&mut self, body: &BodyStructure) -> &mut Self {
        self.raw(b"(");
        match body {
            BodyStructure::Multi {
                parts,
                subtype,
                extension,
            } => {
                for p in parts {
                    self.body_structure(p);
                }
                // A multipart without parts (kept from a broken server) has no SP before its
                // subtype.
                if !parts.is_empty() {
                    self.sp();
                }
                self.string(subtype);
                if let Some(ext) = extension {
                    self.sp().params(&ext.params).tail(&ext.tail);
                }
            }
            BodyStructure::Single {
                media_type,
                subtype,
                fields,
                specific,
                extension,
            } => {
                self.string(media_type).sp().string(subtype).sp();
                self.params(&fields.params)
                    .sp()
                    .nstr(&fields.id)
                    .sp()
                    .nstr(&fields.description)
                    .sp()
                    .string(&fields.encoding)
                    .sp()
                    .number(fields.octets);
                match specific {
                    SpecificFields::Basic => {}
                    SpecificFields::Text { lines } => {
                        self.sp().number(*lines);
                    }
                    SpecificFields::Message {
                        envelope,
                        body,
                        lines,
                    } => {
                        self.sp().envelope(envelope).sp();
                        self.body_structure(body).sp().number(*lines);
                    }
                }
                if let Some(ext) = extension {
                    self.sp().nstr(&ext.md5).tail(&ext.tail);
                }
            }
        }
        self.raw(b")")
    }

    fn tail(&mut self, tail: &ExtensionTail) -> &mut Self {
        let Some(dsp) = &tail.disposition else {
            return self;
        };
        self.sp();
        match dsp {
            None => self.raw(b"NIL"),
            Some(d) => self
                .raw(b"(")
                .string(&d.kind)
                .sp()
                .params(&d.params)
                .raw(b")"),
        };
        let Some(lang) = &tail.language else {
            return self;
        };
        self.sp();
        match lang.as_slice() {
            [] => self.raw(b"NIL"),
            [one] => self.string(one),
            many => self.list(many.iter(), |enc, l| {
                enc.string(l);
            }),
        };
        let Some(loc) = &tail.location else {
            return self;
        };
        self.sp().nstr(loc);
        for ext in &tail.extensions {
            self.sp().body_extension(ext);
        }
        self
    }

    fn body_extension(&mut self, ext: &BodyExtension) -> &mut Self {
        match ext {
            BodyExtension::String(s) => self.nstr(s),
            BodyExtension::Number(n) => self.number(*n),
            BodyExtension::List(items) => self.list(items.iter(), |enc, e| {
                enc.body_extension(e);
            }),
        }
    }
}
