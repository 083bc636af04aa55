//! The structural pass (RFC 5322 section 2.1, RFC 2046 section 5): the header block of every
//! part as field spans, MIME boundaries found with memmem, the part tree built iteratively
//! into an arena. Nothing here recurses, so a 100,000-deep tree parses, clones, prints and
//! drops in constant stack.

use std::borrow::Cow;
use std::ops::Range;

use bytes::Bytes;

use crate::decode::{base64, charset, encoded_word, qp};
use crate::defect::{Defect, DefectKind};
use crate::error::Error;
use crate::field::content_type::{self, ContentDisposition, ContentType};
use crate::field::misc::{self, TransferEncoding};
use crate::field::{address, date};
use crate::header::{self, Field, FieldSpan};
use crate::limits::Limits;
use crate::{Address, DateTime, Mailbox};

/// The index of a part in [`Message`]'s arena. The root is `PartId(0)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartId(pub usize);

/// How a part's body was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PartKind {
    /// A leaf: the body is content.
    Leaf,
    /// `multipart/*`: the children are the body parts.
    Multipart,
    /// `message/rfc822` or `message/global`: the one child is the enclosed message.
    Message,
    /// A multipart or message part that was not descended into (a limit was reached); the
    /// body is kept as it is and a defect says why.
    Opaque,
}

#[derive(Debug, Clone)]
struct PartData {
    start: usize,
    header_end: usize,
    body_start: usize,
    end: usize,
    fields: Range<usize>,
    parent: Option<usize>,
    children: Range<usize>,
    kind: PartKind,
    depth: usize,
    /// The parsed Content-Type; `None` when absent or invalid (the default applies).
    content_type: Option<ContentType<'static>>,
    /// The default Content-Type is message/rfc822: the part is a child of a
    /// multipart/digest and has no Content-Type field (RFC 2046 section 5.1.5). An invalid
    /// one means text/plain (RFC 2045 section 5.2).
    in_digest: bool,
    preamble: Range<usize>,
    epilogue: Option<Range<usize>>,
    defects: Vec<Defect>,
}

/// A parsed message: the input bytes, the fields of every header block, and the part tree.
#[derive(Debug, Clone)]
pub struct Message {
    data: Bytes,
    parts: Vec<PartData>,
    fields: Vec<FieldSpan>,
    limits: Limits,
}

struct Delims {
    preamble_end: usize,
    epilogue: Option<Range<usize>>,
}

/// A line starting with two dashes, as every delimiter line does.
static LINE_DASHES: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\n--"));

/// Finds the delimiter lines of `--boundary` in `data[start..end]` (RFC 2046 section 5.1.1);
/// the body parts' ranges go to `parts` (cleared first: one vector serves every multipart).
fn split_multipart(
    data: &[u8],
    start: usize,
    end: usize,
    boundary: &[u8],
    parts: &mut Vec<Range<usize>>,
) -> Option<Delims> {
    parts.clear();
    // The dash-boundary `--boundary`, tested in two pieces (no copy of the pattern).
    let is_delimiter =
        |at: &[u8]| at.starts_with(b"--") && at.get(2..).is_some_and(|r| r.starts_with(boundary));
    let hay = data.get(..end)?;
    // The first delimiter candidate at or after `pos`: the pattern at the start of the body
    // or of a line. Lines starting with two dashes are found with one searcher built once
    // (a searcher per boundary costs more than searching a small body).
    let next = |pos: usize| -> Option<usize> {
        if pos == start && is_delimiter(hay.get(start..)?) {
            return Some(start);
        }
        let mut from = pos.max(start + 1) - 1;
        loop {
            let h = from + LINE_DASHES.find(hay.get(from..)?)? + 1;
            if is_delimiter(hay.get(h..)?) {
                return Some(h);
            }
            from = h;
        }
    };
    let mut pos = start;
    let mut preamble_end: Option<usize> = None;
    let mut content_start = start;
    while pos < end {
        let Some(h) = next(pos) else {
            break;
        };
        pos = h + 1;
        let mut q = h + 2 + boundary.len();
        let close = hay.get(q..q + 2) == Some(b"--");
        if close {
            q += 2;
        }
        while matches!(hay.get(q), Some(b' ' | b'\t')) {
            q += 1;
        }
        let line_end = match hay.get(q) {
            None => end,
            Some(b'\n') => q + 1,
            Some(b'\r') if hay.get(q + 1) == Some(&b'\n') => q + 2,
            Some(b'\r') if q + 1 == end => end,
            _ if close => match memchr::memchr(b'\n', hay.get(q..).unwrap_or(&[])) {
                Some(n) => q + n + 1,
                None => end,
            },
            _ => continue,
        };
        // The line break before the dash-boundary belongs to the delimiter.
        let mut ds = h;
        if h > start && hay.get(h - 1) == Some(&b'\n') {
            ds = h - 1;
            if ds > start && hay.get(ds - 1) == Some(&b'\r') {
                ds -= 1;
            }
        }
        match preamble_end {
            None => preamble_end = Some(ds.max(start)),
            Some(_) => parts.push(content_start..ds.max(content_start)),
        }
        content_start = line_end;
        pos = line_end;
        if close {
            return Some(Delims {
                preamble_end: preamble_end.unwrap_or(start),
                epilogue: Some(line_end..end),
            });
        }
    }
    let pe = preamble_end?;
    parts.push(content_start..end.max(content_start));
    Some(Delims {
        preamble_end: pe,
        epilogue: None,
    })
}

static TEXT_PLAIN: std::sync::LazyLock<ContentType<'static>> =
    std::sync::LazyLock::new(ContentType::default);
static MESSAGE_RFC822: std::sync::LazyLock<ContentType<'static>> =
    std::sync::LazyLock::new(|| ContentType::new("message", "rfc822"));

/// The RFC 2046 default: text/plain; charset=us-ascii, or message/rfc822 in a digest.
fn default_ct(in_digest: bool) -> &'static ContentType<'static> {
    if in_digest {
        &MESSAGE_RFC822
    } else {
        &TEXT_PLAIN
    }
}

fn effective_ct(p: &PartData) -> &ContentType<'static> {
    match &p.content_type {
        Some(c) => c,
        None => default_ct(p.in_digest),
    }
}

/// The first field named `lower` (ASCII case ignored), which is lower-case letters, digits
/// and dashes.
fn find_field(data: &[u8], fields: &[FieldSpan], lower: &str) -> Option<FieldSpan> {
    fields.iter().copied().find(|f| {
        data.get(f.start..f.name_end)
            .is_some_and(|n| header::name_is(n, lower.as_bytes()))
    })
}

impl Message {
    /// Parses a message with the default [`Limits`].
    pub fn parse(data: impl Into<Bytes>) -> Result<Message, Error> {
        Self::parse_with(data, &Limits::default())
    }

    /// Parses a message. Only an input larger than [`Limits::max_input_size`] is an error;
    /// every other deviation is a [`Defect`] on the part where it was found.
    pub fn parse_with(data: impl Into<Bytes>, limits: &Limits) -> Result<Message, Error> {
        let data: Bytes = data.into();
        if data.len() > limits.max_input_size {
            return Err(Error::InputTooLarge {
                size: data.len(),
                limit: limits.max_input_size,
            });
        }
        let mut msg = Message {
            // Room for a typical multipart message without growing.
            parts: Vec::with_capacity(16),
            // About one field per 60 octets of a small message; capped for large ones.
            fields: Vec::with_capacity((data.len() / 60).clamp(8, 256)),
            limits: limits.clone(),
            data,
        };
        msg.build();
        Ok(msg)
    }

    fn new_part(start: usize, end: usize, parent: Option<usize>, depth: usize) -> PartData {
        PartData {
            start,
            header_end: start,
            body_start: start,
            end,
            fields: 0..0,
            parent,
            children: 0..0,
            kind: PartKind::Leaf,
            depth,
            content_type: None,
            in_digest: false,
            preamble: start..start,
            epilogue: None,
            defects: Vec::new(),
        }
    }

    fn build(&mut self) {
        let data = self.data.clone();
        let data: &[u8] = &data;
        let limits = self.limits.clone();
        self.parts.push(Self::new_part(0, data.len(), None, 0));
        let mut stack = Vec::with_capacity(16);
        let mut ranges: Vec<Range<usize>> = Vec::new();
        stack.push(0usize);
        while let Some(id) = stack.pop() {
            let Some(p) = self.parts.get(id) else {
                continue;
            };
            let (start, end, depth, parent) = (p.start, p.end, p.depth, p.parent);
            let mut defects = Vec::new();
            let f0 = self.fields.len();
            let scan = header::scan_header(
                data,
                start,
                end,
                id == 0,
                &limits,
                &mut self.fields,
                &mut defects,
            );
            let f1 = self.fields.len();
            let my_fields = self.fields.get(f0..f1).unwrap_or(&[]);
            // Content-Type, with the RFC 2046 defaults (message/rfc822 inside a digest).
            let in_digest = parent
                .and_then(|pp| self.parts.get(pp))
                // Parsed types are lower case.
                .is_some_and(|pp| {
                    let ct = effective_ct(pp);
                    ct.media_type == "multipart" && ct.subtype == "digest"
                });
            let mut parsed: Option<ContentType<'_>> = None;
            let mut in_digest = in_digest;
            if let Some(f) = find_field(data, my_fields, "content-type") {
                let raw = data.get(f.value_start..f.value_end).unwrap_or(&[]);
                parsed = content_type::parse_content_type(
                    raw,
                    limits.max_group_depth,
                    &mut defects,
                    f.value_start,
                );
                // An invalid Content-Type (`inline`, `text/`, `text/plain/format`) is
                // text/plain; charset=us-ascii, also in a digest (RFC 2045 section 5.2). The
                // parser recorded the defect; the field keeps the raw value.
                in_digest &= parsed.is_some();
            }
            let ct: &ContentType<'_> = match &parsed {
                Some(c) => c,
                None => default_ct(in_digest),
            };
            let mut kind = PartKind::Leaf;
            let mut children = 0..0;
            let mut preamble = scan.body_start..scan.body_start;
            let mut epilogue = None;
            let descend = ct.is_multipart() || ct.is_message();
            let cte_encoded = ct.is_message()
                && find_field(data, my_fields, "content-transfer-encoding").is_some_and(|f| {
                    matches!(
                        misc::parse_transfer_encoding(
                            data.get(f.value_start..f.value_end).unwrap_or(&[]),
                            limits.max_group_depth
                        ),
                        TransferEncoding::Base64 | TransferEncoding::QuotedPrintable
                    )
                });
            if descend && !cte_encoded {
                if depth >= limits.max_depth {
                    kind = PartKind::Opaque;
                    defects.push(Defect::new(DefectKind::DepthLimit, scan.body_start));
                } else if ct.is_message() {
                    if self.parts.len() + 1 > limits.max_parts {
                        kind = PartKind::Opaque;
                        defects.push(Defect::new(DefectKind::PartLimit, scan.body_start));
                    } else {
                        kind = PartKind::Message;
                        let c = self.parts.len();
                        self.parts
                            .push(Self::new_part(scan.body_start, end, Some(id), depth + 1));
                        children = c..c + 1;
                        stack.push(c);
                    }
                } else {
                    match ct.boundary().filter(|b| !b.is_empty()) {
                        None => {
                            defects.push(Defect::new(
                                DefectKind::MissingBoundaryParameter,
                                scan.body_start,
                            ));
                        }
                        Some(b) => {
                            match split_multipart(
                                data,
                                scan.body_start,
                                end,
                                b.as_bytes(),
                                &mut ranges,
                            ) {
                                None => {
                                    kind = PartKind::Multipart;
                                    preamble = scan.body_start..end;
                                    defects.push(Defect::new(
                                        DefectKind::NoBoundaryFound,
                                        scan.body_start,
                                    ));
                                }
                                Some(_) if self.parts.len() + ranges.len() > limits.max_parts => {
                                    kind = PartKind::Opaque;
                                    defects
                                        .push(Defect::new(DefectKind::PartLimit, scan.body_start));
                                }
                                Some(d) => {
                                    kind = PartKind::Multipart;
                                    preamble = scan.body_start..d.preamble_end;
                                    if d.epilogue.is_none() {
                                        defects.push(Defect::new(
                                            DefectKind::MissingClosingBoundary,
                                            end,
                                        ));
                                    }
                                    epilogue = d.epilogue;
                                    let c = self.parts.len();
                                    for r in &ranges {
                                        self.parts.push(Self::new_part(
                                            r.start,
                                            r.end,
                                            Some(id),
                                            depth + 1,
                                        ));
                                    }
                                    children = c..self.parts.len();
                                    // Pushed in reverse so that they are processed in order.
                                    stack.extend(children.clone().rev());
                                }
                            }
                        }
                    }
                }
            }
            if let Some(p) = self.parts.get_mut(id) {
                p.header_end = scan.header_end;
                p.body_start = scan.body_start;
                p.fields = f0..f1;
                p.kind = kind;
                p.children = children;
                p.content_type = parsed.map(ContentType::into_static);
                p.in_digest = in_digest;
                p.preamble = preamble;
                p.epilogue = epilogue;
                p.defects = defects;
            }
        }
    }

    /// The input as given.
    pub fn raw(&self) -> &Bytes {
        &self.data
    }

    /// The limits the message was parsed with.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The root part (the message itself).
    pub fn root(&self) -> Part<'_> {
        Part { msg: self, id: 0 }
    }

    /// A part by id.
    pub fn part(&self, id: PartId) -> Option<Part<'_>> {
        (id.0 < self.parts.len()).then_some(Part {
            msg: self,
            id: id.0,
        })
    }

    /// Every part, in arena order (a parent before its children).
    pub fn parts(&self) -> impl Iterator<Item = Part<'_>> + '_ {
        (0..self.parts.len()).map(move |id| Part { msg: self, id })
    }

    /// Every part in document order (depth first, as the parts appear in the input).
    pub fn parts_in_order(&self) -> Vec<Part<'_>> {
        let mut out = Vec::with_capacity(self.parts.len());
        // A walk of the tree without a stack: a part's children are consecutive in the
        // arena, so after a part comes its first child, else its next sibling, else the next
        // sibling of the nearest ancestor that has one.
        let mut at = Some(0usize);
        while let Some(id) = at {
            let Some(p) = self.parts.get(id) else {
                break;
            };
            out.push(Part { msg: self, id });
            at = if p.children.is_empty() {
                self.next_in_order(id)
            } else {
                Some(p.children.start)
            };
        }
        out
    }

    /// The part after the subtree of `id` in document order: its next sibling, else its
    /// parent's, and so on up; `None` after the last.
    fn next_in_order(&self, mut id: usize) -> Option<usize> {
        // A parent comes before its children in the arena: the climb ends at the root.
        loop {
            let parent_id = self.parts.get(id)?.parent?;
            let parent = self.parts.get(parent_id)?;
            if id + 1 < parent.children.end {
                return Some(id + 1);
            }
            id = parent_id;
        }
    }

    /// Number of parts, the root included.
    pub fn part_count(&self) -> usize {
        self.parts.len()
    }

    /// The root header's fields in order.
    pub fn fields(&self) -> impl Iterator<Item = Field<'_>> + '_ {
        self.root().fields()
    }

    /// The first root field of that name (ASCII case ignored).
    pub fn field(&self, name: &str) -> Option<Field<'_>> {
        self.root().field(name)
    }

    /// Every root field of that name, in order.
    pub fn fields_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = Field<'a>> + 'a {
        self.root().fields_named(name)
    }

    /// Every defect of every part, with the part it belongs to.
    pub fn defects(&self) -> Vec<(PartId, Defect)> {
        self.parts
            .iter()
            .enumerate()
            .flat_map(|(i, p)| p.defects.iter().map(move |d| (PartId(i), *d)))
            .collect()
    }

    /// Re-serialises the message from its spans (fields, delimiter lines, bodies): for an
    /// unchanged message this is the input, byte for byte.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let data: &[u8] = &self.data;
        let mut cursor = 0usize;
        let emit = |out: &mut Vec<u8>, cursor: &mut usize, to: usize| {
            if to > *cursor {
                out.extend_from_slice(data.get(*cursor..to).unwrap_or(&[]));
                *cursor = to;
            }
        };
        // Explicit stack of (part, next child index).
        let mut stack: Vec<(usize, usize)> = vec![(0, 0)];
        while let Some((id, next)) = stack.pop() {
            let Some(p) = self.parts.get(id) else {
                continue;
            };
            if next == 0 {
                emit(out, &mut cursor, p.start);
                for f in self.fields.get(p.fields.clone()).unwrap_or(&[]) {
                    emit(out, &mut cursor, f.start);
                    emit(out, &mut cursor, f.end);
                }
                emit(out, &mut cursor, p.body_start);
            }
            let child = p.children.start + next;
            if child < p.children.end {
                if let Some(c) = self.parts.get(child) {
                    emit(out, &mut cursor, c.start);
                }
                stack.push((id, next + 1));
                stack.push((child, 0));
            } else {
                emit(out, &mut cursor, p.end);
            }
        }
        emit(out, &mut cursor, data.len());
    }

    /// [`Message::write_to`] into a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.data.len());
        self.write_to(&mut v);
        v
    }

    /// The part named by an IMAP section number: [`Message::imap_section`] in IMAP4rev2
    /// mode, then [`SectionPart::part`](crate::SectionPart::part). `[]` is the root; for
    /// other numbers, the part's body is the section and its header the MIME header.
    pub fn imap_part(&self, path: &[u32]) -> Option<Part<'_>> {
        self.imap_section(path, crate::ImapRevision::Imap4rev2)?
            .part()
    }
}

/// Counts line feeds and bare line feeds (LF not preceded by CR) of a span.
fn line_stats(b: &[u8]) -> (usize, usize) {
    let mut lines = 0;
    let mut bare = 0;
    for i in memchr::memchr_iter(b'\n', b) {
        lines += 1;
        if i == 0 || b.get(i - 1) != Some(&b'\r') {
            bare += 1;
        }
    }
    (lines, bare)
}

/// A part of a message: a view into the arena.
#[derive(Clone, Copy)]
pub struct Part<'a> {
    msg: &'a Message,
    id: usize,
}

impl std::fmt::Debug for Part<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Part")
            .field("id", &self.id)
            .field("kind", &self.kind())
            .field("content_type", &self.content_type())
            .field("range", &self.range())
            .finish()
    }
}

impl<'a> Part<'a> {
    fn d(&self) -> &'a PartData {
        // The id is always in range: parts are only made by Message.
        static EMPTY: std::sync::OnceLock<PartData> = std::sync::OnceLock::new();
        self.msg
            .parts
            .get(self.id)
            .unwrap_or_else(|| EMPTY.get_or_init(|| Message::new_part(0, 0, None, 0)))
    }

    fn bytes(&self, r: Range<usize>) -> &'a [u8] {
        self.msg.data.get(r).unwrap_or(&[])
    }

    /// This part's id.
    pub fn id(&self) -> PartId {
        PartId(self.id)
    }

    /// The message this part belongs to.
    pub fn message(&self) -> &'a Message {
        self.msg
    }

    /// How the body was read.
    pub fn kind(&self) -> PartKind {
        self.d().kind
    }

    /// Nesting depth (the root is 0).
    pub fn depth(&self) -> usize {
        self.d().depth
    }

    /// The parent part.
    pub fn parent(&self) -> Option<Part<'a>> {
        self.d().parent.map(|id| Part { msg: self.msg, id })
    }

    /// The children: body parts of a multipart, or the enclosed message of a message part.
    pub fn children(
        &self,
    ) -> impl DoubleEndedIterator<Item = Part<'a>> + ExactSizeIterator + use<'a> {
        let msg = self.msg;
        self.d().children.clone().map(move |id| Part { msg, id })
    }

    /// The defects found in this part by the structural pass.
    pub fn defects(&self) -> &'a [Defect] {
        &self.d().defects
    }

    /// The fields of this part's header, in order.
    pub fn fields(&self) -> impl Iterator<Item = Field<'a>> + use<'a> {
        let data: &'a [u8] = &self.msg.data;
        self.msg
            .fields
            .get(self.d().fields.clone())
            .unwrap_or(&[])
            .iter()
            .map(move |&span| Field { data, span })
    }

    /// The first field of that name (ASCII case ignored).
    pub fn field(&self, name: &str) -> Option<Field<'a>> {
        self.fields().find(|f| f.is(name))
    }

    /// Every field of that name, in order.
    pub fn fields_named<'n>(&self, name: &'n str) -> impl Iterator<Item = Field<'a>> + use<'a, 'n> {
        self.fields().filter(move |f| f.is(name))
    }

    /// Byte range of the whole part (header and body) in the input.
    pub fn range(&self) -> Range<usize> {
        self.d().start..self.d().end
    }

    /// Byte range of the header block, the blank line included (IMAP `HEADER` / `MIME`).
    pub fn header_range(&self) -> Range<usize> {
        self.d().start..self.d().body_start
    }

    /// Byte range of the body (IMAP `TEXT` for a message, the part content otherwise).
    pub fn body_range(&self) -> Range<usize> {
        self.d().body_start..self.d().end
    }

    /// The whole part as stored.
    pub fn raw(&self) -> &'a [u8] {
        self.bytes(self.range())
    }

    /// The header block as stored, blank line included.
    pub fn raw_header(&self) -> &'a [u8] {
        self.bytes(self.header_range())
    }

    /// The body as stored (still transfer-encoded).
    pub fn raw_body(&self) -> &'a [u8] {
        self.bytes(self.body_range())
    }

    /// The preamble of a multipart (before the first delimiter).
    pub fn preamble(&self) -> &'a [u8] {
        self.bytes(self.d().preamble.clone())
    }

    /// The epilogue of a multipart (after the close delimiter); `None` when the close
    /// delimiter is missing.
    pub fn epilogue(&self) -> Option<&'a [u8]> {
        self.d().epilogue.clone().map(|r| self.bytes(r))
    }

    /// Size of the body in octets as stored.
    pub fn body_size(&self) -> usize {
        self.raw_body().len()
    }

    /// Size of the body in octets with every bare LF counted as CRLF (IMAP, POP3).
    pub fn body_size_crlf(&self) -> usize {
        let b = self.raw_body();
        b.len() + line_stats(b).1
    }

    /// Lines of the body (IMAP BODYSTRUCTURE `body-fld-lines`): line feeds, plus one when
    /// the body does not end with a line break.
    pub fn body_lines(&self) -> usize {
        let b = self.raw_body();
        let (n, _) = line_stats(b);
        if b.is_empty() || b.last() == Some(&b'\n') {
            n
        } else {
            n + 1
        }
    }

    /// Size of the header block as stored, and with LF counted as CRLF.
    pub fn header_size(&self) -> (usize, usize) {
        let h = self.raw_header();
        (h.len(), h.len() + line_stats(h).1)
    }

    /// Size of the whole part as stored, and with LF counted as CRLF.
    pub fn size(&self) -> (usize, usize) {
        let h = self.raw();
        (h.len(), h.len() + line_stats(h).1)
    }

    /// The effective Content-Type (the RFC 2046 default when absent or unparsable).
    pub fn content_type(&self) -> &'a ContentType<'static> {
        effective_ct(self.d())
    }

    /// True when the part has a valid Content-Type field. An invalid one (RFC 2045 section
    /// 5.2: the part is text/plain) stays reachable as `field("content-type")`.
    pub fn has_content_type(&self) -> bool {
        self.d().content_type.is_some()
    }

    /// The Content-Transfer-Encoding (7bit when absent).
    pub fn transfer_encoding(&self) -> TransferEncoding {
        self.fields()
            .find(|f| header::name_is(f.name_bytes(), b"content-transfer-encoding"))
            .map(|f| misc::parse_transfer_encoding(f.raw_value(), self.msg.limits.max_group_depth))
            .unwrap_or_default()
    }

    /// The Content-Disposition.
    pub fn content_disposition(&self) -> Option<ContentDisposition<'a>> {
        let f = self.field("content-disposition")?;
        content_type::parse_content_disposition(
            f.raw_value(),
            self.msg.limits.max_group_depth,
            &mut Vec::new(),
            f.value_range().start,
        )
    }

    /// The body with its transfer encoding undone, and the defects found doing so.
    pub fn decoded_body_with_defects(&self) -> (Cow<'a, [u8]>, Vec<Defect>) {
        let raw = self.raw_body();
        let at = self.d().body_start;
        let mut defects = Vec::new();
        let out = match self.transfer_encoding() {
            TransferEncoding::Base64 => {
                let (v, r) = base64::decode(raw);
                if let Some(i) = r.first_bad {
                    defects.push(Defect::new(DefectKind::Base64BadCharacter, at + i));
                }
                if r.bad_padding {
                    defects.push(Defect::new(DefectKind::Base64BadPadding, at));
                }
                Cow::Owned(v)
            }
            TransferEncoding::QuotedPrintable => {
                let (v, r) = qp::decode(raw);
                if let Some(i) = r.first_bad {
                    defects.push(Defect::new(DefectKind::QuotedPrintableBadEscape, at + i));
                }
                Cow::Owned(v)
            }
            TransferEncoding::Other(_) => {
                defects.push(Defect::new(DefectKind::UnknownTransferEncoding, at));
                Cow::Borrowed(raw)
            }
            _ => Cow::Borrowed(raw),
        };
        (out, defects)
    }

    /// The body with its transfer encoding undone.
    pub fn decoded_body(&self) -> Cow<'a, [u8]> {
        self.decoded_body_with_defects().0
    }

    /// The body as text: transfer encoding undone, then the charset parameter applied
    /// (UTF-8, then windows-1252, when it is absent or unknown). Borrows the input when
    /// nothing had to be decoded.
    pub fn body_text(&self) -> Cow<'a, str> {
        let cs = self.content_type().charset().unwrap_or("us-ascii");
        match self.decoded_body() {
            Cow::Borrowed(b) => charset::decode_or_fallback(cs, b).0,
            Cow::Owned(v) => Cow::Owned(charset::decode_vec_or_fallback(cs, v)),
        }
    }

    /// A `message/rfc822` or `message/global` body that is base64 or quoted-printable
    /// encoded (RFC 2046 forbids it, some mailers do it) cannot be a span of the input: this
    /// decodes it and parses it as a message of its own. `None` for other parts.
    pub fn decode_enclosed_message(&self) -> Option<Message> {
        if !self.content_type().is_message() || self.kind() == PartKind::Message {
            return None;
        }
        let body = self.decoded_body().into_owned();
        let limits = self
            .msg
            .limits
            .clone()
            .max_depth(self.msg.limits.max_depth.saturating_sub(self.depth() + 1));
        Message::parse_with(body, &limits).ok()
    }

    /// The file name: Content-Disposition `filename`, else Content-Type `name` (RFC 2231
    /// and RFC 2047 forms decoded).
    pub fn filename(&self) -> Option<String> {
        self.content_disposition()
            .and_then(|d| d.filename().map(str::to_owned))
            .or_else(|| self.content_type().param("name").map(str::to_owned))
    }

    /// The first field of that name as unstructured text (RFC 2047 decoded).
    pub fn text(&self, name: &str) -> Option<Cow<'a, str>> {
        self.field(name).map(|f| f.text())
    }

    /// Subject, decoded.
    pub fn subject(&self) -> Option<Cow<'a, str>> {
        self.text("subject")
    }

    /// The addresses of the first field of that name.
    pub fn addresses(&self, name: &str) -> Vec<Address<'a>> {
        self.field(name)
            .map(|f| f.addresses(self.msg.limits.max_group_depth))
            .unwrap_or_default()
    }

    /// From.
    pub fn from(&self) -> Vec<Address<'a>> {
        self.addresses("from")
    }

    /// To.
    pub fn to(&self) -> Vec<Address<'a>> {
        self.addresses("to")
    }

    /// Cc.
    pub fn cc(&self) -> Vec<Address<'a>> {
        self.addresses("cc")
    }

    /// Date.
    pub fn date(&self) -> Option<DateTime> {
        self.field("date").and_then(|f| f.date())
    }

    /// Content-ID, without angle brackets (RFC 2045 section 7).
    pub fn content_id(&self) -> Option<Cow<'a, str>> {
        self.field("content-id")
            .and_then(|f| f.message_ids().into_iter().next())
    }

    /// Content-Description, decoded (RFC 2045 section 8).
    pub fn content_description(&self) -> Option<Cow<'a, str>> {
        self.text("content-description")
    }

    /// Content-Language tags (RFC 3282).
    pub fn content_language(&self) -> Vec<String> {
        self.field("content-language")
            .map(|f| misc::parse_language_list(f.raw_value(), self.msg.limits.max_group_depth))
            .unwrap_or_default()
    }

    /// Content-Location (RFC 2557), unfolded with its white space removed (section 4.4.2
    /// allows a URI to be folded anywhere).
    pub fn content_location(&self) -> Option<String> {
        self.field("content-location")
            .map(|f| f.text().chars().filter(|c| !c.is_whitespace()).collect())
    }

    /// MIME-Version as (major, minor) (RFC 2045 section 4).
    pub fn mime_version(&self) -> Option<(u32, u32)> {
        self.field("mime-version")
            .and_then(|f| misc::parse_mime_version(f.raw_value(), self.msg.limits.max_group_depth))
    }

    /// Message-ID, without angle brackets.
    pub fn message_id(&self) -> Option<Cow<'a, str>> {
        self.field("message-id")
            .and_then(|f| f.message_ids().into_iter().next())
    }

    /// Every defect of this part, those of its typed fields included (From, To, Cc, Bcc,
    /// Reply-To, Sender, Date, Message-ID, Subject, Content-Disposition) and those of body
    /// decoding for a leaf.
    pub fn all_defects(&self) -> Vec<Defect> {
        let mut d = self.defects().to_vec();
        let depth = self.msg.limits.max_group_depth;
        for f in self.fields() {
            let off = f.value_range().start;
            let n = f.name().to_ascii_lowercase();
            match n.as_str() {
                "from" | "to" | "cc" | "bcc" | "reply-to" | "sender" | "resent-from"
                | "resent-to" | "resent-cc" | "resent-bcc" | "resent-sender" => {
                    address::parse_address_list(f.raw_value(), depth, &mut d, off);
                }
                "date" | "resent-date" if date::parse_date(f.raw_value(), depth).is_none() => {
                    d.push(Defect::new(DefectKind::UnparsableDate, off));
                }
                "message-id" | "in-reply-to" | "references" | "content-id" => {
                    misc::parse_message_ids(f.raw_value(), &mut d, off);
                }
                "subject" | "comments" | "content-description" => {
                    encoded_word::decode_unstructured(f.raw_value(), &mut d, off);
                }
                "content-disposition" => {
                    content_type::parse_content_disposition(f.raw_value(), depth, &mut d, off);
                }
                _ => {}
            }
        }
        if self.kind() == PartKind::Leaf {
            d.extend(self.decoded_body_with_defects().1);
        }
        d
    }
}

impl<'a> Field<'a> {
    /// The value as unstructured text: unfolded, RFC 2047 encoded words decoded, 8-bit
    /// bytes read as UTF-8 (RFC 6532) or windows-1252, trimmed. Borrows the input when
    /// there was nothing to decode or unfold.
    pub fn text(&self) -> Cow<'a, str> {
        encoded_word::decode_unstructured(self.raw_value(), &mut Vec::new(), self.span.value_start)
    }

    /// The value as an address list.
    pub fn addresses(&self, max_depth: usize) -> Vec<Address<'a>> {
        address::parse_address_list(
            self.raw_value(),
            max_depth,
            &mut Vec::new(),
            self.span.value_start,
        )
    }

    /// The value as an address list, with the defects found.
    pub fn addresses_with_defects(&self, max_depth: usize) -> (Vec<Address<'a>>, Vec<Defect>) {
        let mut d = Vec::new();
        let a =
            address::parse_address_list(self.raw_value(), max_depth, &mut d, self.span.value_start);
        (a, d)
    }

    /// The value as one mailbox (Sender).
    pub fn mailbox(&self) -> Option<Mailbox<'a>> {
        address::parse_mailbox(self.raw_value(), 32, &mut Vec::new(), self.span.value_start)
    }

    /// The value as a date-time.
    pub fn date(&self) -> Option<DateTime> {
        date::parse_date(self.raw_value(), 32)
    }

    /// The value as a list of message ids (Message-ID, In-Reply-To, References).
    pub fn message_ids(&self) -> Vec<Cow<'a, str>> {
        misc::parse_message_ids(self.raw_value(), &mut Vec::new(), self.span.value_start)
    }

    /// The value as a Received trace field.
    pub fn received(&self) -> crate::field::received::Received {
        crate::field::received::parse_received(self.raw_value(), 32)
    }

    /// The value as a comma-separated list of phrases (Keywords).
    pub fn phrases(&self) -> Vec<Cow<'a, str>> {
        misc::parse_phrase_list(self.raw_value(), &mut Vec::new(), self.span.value_start)
    }

    /// The value as a Content-Type.
    pub fn content_type(&self) -> Option<ContentType<'a>> {
        content_type::parse_content_type(
            self.raw_value(),
            32,
            &mut Vec::new(),
            self.span.value_start,
        )
    }

    /// The value as a Content-Disposition.
    pub fn content_disposition(&self) -> Option<ContentDisposition<'a>> {
        content_type::parse_content_disposition(
            self.raw_value(),
            32,
            &mut Vec::new(),
            self.span.value_start,
        )
    }
}
