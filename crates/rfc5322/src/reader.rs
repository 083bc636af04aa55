//! Reader conveniences: the text and HTML bodies a mail client shows, the attachments, and
//! format=flowed (RFC 3676) un-flowing.

use crate::message::{Message, Part, PartKind};

/// Where a leaf sits for the reader: inline text, or an attachment.
fn is_attachment(p: &Part<'_>) -> bool {
    if p.content_disposition().is_some_and(|d| d.is_attachment()) {
        return true;
    }
    let ct = p.content_type();
    !(ct.media_type == "text" && (ct.subtype == "plain" || ct.subtype == "html"))
}

/// Leaves of the message shown as body text of one subtype, in document order. Inside a
/// `multipart/alternative` only the preferred alternative counts: the last child holding
/// the wanted subtype (RFC 2046 section 5.1.4 orders them from plain to rich); enclosed
/// messages are attachments and are not entered.
fn body_parts<'a>(msg: &'a Message, subtype: &str) -> Vec<Part<'a>> {
    let mut out = Vec::new();
    let mut stack = vec![msg.root()];
    while let Some(p) = stack.pop() {
        match p.kind() {
            PartKind::Multipart => {
                let kids: Vec<Part<'a>> = p.children().collect();
                if p.content_type().subtype == "alternative" {
                    // The last child that is (or holds) the wanted subtype.
                    let pick = kids.iter().rev().find(|k| holds(k, subtype)).copied();
                    stack.extend(pick);
                } else {
                    stack.extend(kids.into_iter().rev());
                }
            }
            PartKind::Leaf => {
                let ct = p.content_type();
                if ct.media_type == "text" && ct.subtype == subtype && !is_attachment(&p) {
                    out.push(p);
                }
            }
            _ => {}
        }
    }
    out
}

fn holds(p: &Part<'_>, subtype: &str) -> bool {
    let mut stack = vec![*p];
    while let Some(q) = stack.pop() {
        match q.kind() {
            PartKind::Multipart => stack.extend(q.children()),
            PartKind::Leaf => {
                let ct = q.content_type();
                if ct.media_type == "text" && ct.subtype == subtype && !is_attachment(&q) {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// The text of a part as a reader shows it: decoded, charset applied, and un-flowed when it
/// is `format=flowed`.
pub fn display_text(p: &Part<'_>) -> String {
    let text = p.body_text();
    let ct = p.content_type();
    if ct
        .param("format")
        .is_some_and(|f| f.eq_ignore_ascii_case("flowed"))
    {
        let delsp = ct
            .param("delsp")
            .is_some_and(|d| d.eq_ignore_ascii_case("yes"));
        unflow(&text, delsp)
    } else {
        text.into_owned()
    }
}

impl Message {
    /// The text/plain parts a reader shows, in order.
    pub fn text_parts(&self) -> Vec<Part<'_>> {
        body_parts(self, "plain")
    }

    /// The text/html parts a reader shows, in order.
    pub fn html_parts(&self) -> Vec<Part<'_>> {
        body_parts(self, "html")
    }

    /// The plain-text body: every shown text/plain part, decoded and un-flowed, joined.
    pub fn text_body(&self) -> Option<String> {
        let parts = self.text_parts();
        if parts.is_empty() {
            return None;
        }
        Some(
            parts
                .iter()
                .map(display_text)
                .collect::<Vec<_>>()
                .join("\n"),
        )
    }

    /// The HTML body: every shown text/html part, decoded, joined.
    pub fn html_body(&self) -> Option<String> {
        let parts = self.html_parts();
        if parts.is_empty() {
            return None;
        }
        Some(
            parts
                .iter()
                .map(|p| p.body_text())
                .collect::<Vec<_>>()
                .join("\n"),
        )
    }

    /// The attachments, in document order: leaves that are not shown as body text, and
    /// enclosed messages (as one part each). [`Part::filename`] gives their decoded names.
    pub fn attachments(&self) -> Vec<Part<'_>> {
        // Indexed by part id: linear whatever the number of parts.
        let mut shown = vec![false; self.part_count()];
        for p in self.text_parts().iter().chain(self.html_parts().iter()) {
            if let Some(s) = shown.get_mut(p.id().0) {
                *s = true;
            }
        }
        let is_shown = |id: usize| shown.get(id).copied().unwrap_or(false);
        let mut out = Vec::new();
        let mut stack: Vec<Part<'_>> = self.root().children().rev().collect();
        if self.root().kind() == PartKind::Leaf && !is_shown(0) {
            stack.push(self.root());
        }
        while let Some(p) = stack.pop() {
            match p.kind() {
                PartKind::Multipart => stack.extend(p.children().rev()),
                _ if p.id().0 == 0 && p.kind() == PartKind::Message => {}
                _ => {
                    if !is_shown(p.id().0) {
                        // A text alternative not chosen is no attachment.
                        let in_alt = p
                            .parent()
                            .is_some_and(|q| q.content_type().is("multipart", "alternative"));
                        if !in_alt || is_attachment(&p) {
                            out.push(p);
                        }
                    }
                }
            }
        }
        out
    }
}

/// Un-flows format=flowed text (RFC 3676 section 4): a line ending in a space continues on
/// the next line of the same quote depth; space-stuffing is removed; with `delsp` the
/// trailing space of a flowed line is deleted; the signature separator `-- ` is never
/// flowed.
pub fn unflow(text: &str, delsp: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut para: Option<(usize, String)> = None;
    let lines: Vec<&str> = text.split('\n').collect();
    let n = lines.len();
    for (i, raw) in lines.into_iter().enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if i + 1 == n && line.is_empty() {
            break;
        }
        let depth = line.bytes().take_while(|&b| b == b'>').count();
        let mut content = line.get(depth..).unwrap_or("");
        if let Some(c) = content.strip_prefix(' ') {
            content = c; // space-stuffing (4.4) or the space after the quote marks
        }
        let flowed = content.ends_with(' ') && content != "-- ";
        // A paragraph of a different depth ends the current one.
        if para.as_ref().is_some_and(|(d, _)| *d != depth)
            && let Some((d, t)) = para.take()
        {
            push_line(&mut out, d, &t);
        }
        let piece = if flowed && delsp {
            content.get(..content.len() - 1).unwrap_or(content)
        } else {
            content
        };
        match para.as_mut() {
            Some((_, t)) => t.push_str(piece),
            None => para = Some((depth, piece.to_owned())),
        }
        if !flowed && let Some((d, t)) = para.take() {
            push_line(&mut out, d, &t);
        }
    }
    if let Some((d, t)) = para.take() {
        push_line(&mut out, d, &t);
    }
    out
}

fn push_line(out: &mut String, depth: usize, text: &str) {
    for _ in 0..depth {
        out.push('>');
    }
    if depth > 0 && !text.is_empty() {
        out.push(' ');
    }
    out.push_str(text);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3676_unflow() {
        assert_eq!(
            unflow("This is a \r\nflowed para.\r\nFixed line\r\n", false),
            "This is a flowed para.\nFixed line\n"
        );
        assert_eq!(unflow("word \r\nnext\r\n", true), "wordnext\n");
        assert_eq!(unflow(" From stuffed\r\n", false), "From stuffed\n");
        assert_eq!(
            unflow("> quoted \r\n> more\r\nplain\r\n", false),
            "> quoted more\nplain\n"
        );
        assert_eq!(unflow("-- \r\nsig\r\n", false), "-- \nsig\n");
    }
}

/// The fields of a `message/delivery-status` body (RFC 3464 section 2.1): the per-message
/// block and one block per recipient, each as (name, unfolded value) in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeliveryStatus {
    /// Reporting-MTA, Arrival-Date, ...
    pub per_message: Vec<(String, String)>,
    /// Final-Recipient, Action, Status, Diagnostic-Code, ... for each recipient.
    pub per_recipient: Vec<Vec<(String, String)>>,
}

impl DeliveryStatus {
    /// The value of a per-message field (name compared ignoring ASCII case).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.per_message
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one block of header-like fields; returns the fields and where the block ended.
fn status_block(body: &[u8]) -> Vec<(String, String)> {
    match Message::parse(body.to_vec()) {
        Ok(m) => m
            .fields()
            .map(|f| (f.name().to_owned(), f.text().into_owned()))
            .collect(),
        Err(_) => Vec::new(),
    }
}

impl Part<'_> {
    /// The delivery status fields when this part is `message/delivery-status` (also
    /// `message/global-delivery-status`, RFC 6533); blank lines separate the blocks, extra
    /// blank lines are tolerated.
    pub fn delivery_status(&self) -> Option<DeliveryStatus> {
        let ct = self.content_type();
        if ct.media_type != "message"
            || !(ct.subtype == "delivery-status" || ct.subtype == "global-delivery-status")
        {
            return None;
        }
        let body = self.decoded_body();
        let mut blocks: Vec<Vec<(String, String)>> = Vec::new();
        let mut start = 0usize;
        let mut i = 0usize;
        let b: &[u8] = &body;
        // Split at blank lines (CRLF CRLF or LF LF, white space only lines included).
        while i <= b.len() {
            let line_end =
                memchr::memchr(b'\n', b.get(i..).unwrap_or(&[])).map_or(b.len(), |n| i + n);
            let line = b.get(i..line_end).unwrap_or(&[]);
            let blank = line.iter().all(|&c| c == b' ' || c == b'\t' || c == b'\r');
            if blank || line_end == b.len() {
                let end = if blank { i } else { b.len() };
                let block = b.get(start..end).unwrap_or(&[]);
                if block.iter().any(|&c| !c.is_ascii_whitespace()) {
                    let fields = status_block(block);
                    if !fields.is_empty() {
                        blocks.push(fields);
                    }
                }
                start = line_end + 1;
            }
            i = line_end + 1;
        }
        let mut it = blocks.into_iter();
        Some(DeliveryStatus {
            per_message: it.next().unwrap_or_default(),
            per_recipient: it.collect(),
        })
    }
}
