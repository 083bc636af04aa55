//! Mailbox files in the mbox family: read mboxrd and mboxo, write mboxrd.
//!
//! An mbox is a sequence of messages, each introduced by a `From ` line (the "From_" line:
//! `From sender asctime-date`). Lines of a message that would look like such a line are
//! escaped with `>`:
//!
//! - **mboxo** escapes `From ` as `>From `; reading removes the `>` from `>From ` lines
//!   (lossy: a line that really began `>From ` comes back as `From `).
//! - **mboxrd** escapes `>*From ` by adding one `>`; reading removes one `>` from every
//!   `>+From ` line, so any message comes back exactly.
//!
//! The line break just before a `From ` line is the separator and belongs to no message (a
//! writer adds an empty line after each message). Some writers (mboxcl) also record the body
//! size in a `Content-Length` field; the reader trusts it only when asked
//! ([`MboxOptions::honour_content_length`]) and only when the size leads exactly to the next
//! `From ` line or the end of the file. Line breaks may be LF or CRLF.
//!
//! ```
//! use rfc5322::mbox::{MboxReader, write_mboxrd};
//! use rfc5322::DateTime;
//!
//! let date = DateTime::new(2024, 5, 6, 7, 8, 9, 0).unwrap();
//! let mut file = Vec::new();
//! write_mboxrd(&mut file, "alice@example.com", &date, b"Subject: one\n\nFrom the start\n");
//! write_mboxrd(&mut file, "bob@example.com", &date, b"Subject: two\n\n>From here\n");
//! assert!(file.starts_with(b"From alice@example.com Mon May  6 07:08:09 2024\nSubject: one\n\n>From the start\n\n"));
//!
//! let messages: Vec<_> = MboxReader::new(&file).collect();
//! assert_eq!(messages.len(), 2);
//! assert_eq!(&*messages[0].content(), b"Subject: one\n\nFrom the start\n");
//! assert_eq!(&*messages[1].content(), b"Subject: two\n\n>From here\n");
//! assert_eq!(messages[1].sender(), b"bob@example.com");
//! ```

use std::borrow::Cow;

use crate::DateTime;

/// How `From ` lines inside messages are escaped.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MboxFormat {
    /// `>*From ` got one more `>`; reading removes one from `>+From `.
    #[default]
    Mboxrd,
    /// `From ` became `>From `; reading turns `>From ` back into `From `.
    Mboxo,
}

/// How to read an mbox.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MboxOptions {
    /// The escaping convention.
    pub format: MboxFormat,
    /// Trust a `Content-Length` field in a message's header when it leads exactly to the next
    /// `From ` line or to the end of the file (off by default).
    pub honour_content_length: bool,
}

impl MboxOptions {
    /// Sets the escaping convention.
    pub fn format(mut self, f: MboxFormat) -> Self {
        self.format = f;
        self
    }

    /// Sets whether `Content-Length` is trusted.
    pub fn honour_content_length(mut self, yes: bool) -> Self {
        self.honour_content_length = yes;
        self
    }
}

/// One message of an mbox, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MboxMessage<'a> {
    /// Offset of the `From ` line in the file.
    pub marker_offset: usize,
    /// The `From ` line without its line break.
    pub from_line: &'a [u8],
    /// Offset of the first byte of the message (after the `From ` line).
    pub offset: usize,
    /// Offset one past the last byte of the message (the separating line break excluded).
    pub end: usize,
    /// The message bytes as stored (still escaped).
    pub raw: &'a [u8],
    /// True when the end was found from the Content-Length field; the content is then taken
    /// as it is, without unescaping (mboxcl2 does not escape).
    pub by_content_length: bool,
    format: MboxFormat,
}

/// True when `line` (from its start) is `>+From ` (`min_gt` or more `>`).
fn is_escaped_from(line: &[u8], min_gt: usize, max_gt: usize) -> bool {
    let gts = line.iter().take_while(|&&b| b == b'>').count();
    gts >= min_gt && gts <= max_gt && line.get(gts..).is_some_and(|r| r.starts_with(b"From "))
}

impl<'a> MboxMessage<'a> {
    /// The `From ` line after `From ` split at the first white space after the sender:
    /// (sender, the rest after that white space). Both empty when the line does not start
    /// with `From ` (the reader only makes lines that do).
    fn sender_and_rest(&self) -> (&'a [u8], &'a [u8]) {
        let Some(rest) = self.from_line.strip_prefix(b"From ") else {
            return (&[], &[]);
        };
        let rest = rest.strip_prefix(b" ").unwrap_or(rest);
        let mut words = rest.splitn(2, |&b| b == b' ' || b == b'\t');
        match (words.next(), words.next()) {
            (Some(sender), Some(after)) => (sender, after),
            (Some(sender), None) => (sender, &[]),
            _ => (&[], &[]),
        }
    }

    /// The sender of the `From ` line (its first word), empty when absent.
    pub fn sender(&self) -> &'a [u8] {
        self.sender_and_rest().0
    }

    /// The text after the sender on the `From ` line (usually an asctime date).
    pub fn from_line_date(&self) -> &'a [u8] {
        self.sender_and_rest().1.trim_ascii()
    }

    /// The message with the `From ` escaping undone (borrowed when nothing was escaped).
    pub fn content(&self) -> Cow<'a, [u8]> {
        if self.by_content_length || memchr::memmem::find(self.raw, b">From ").is_none() {
            return Cow::Borrowed(self.raw);
        }
        let max_gt = match self.format {
            MboxFormat::Mboxrd => usize::MAX,
            MboxFormat::Mboxo => 1,
        };
        let mut out = Vec::with_capacity(self.raw.len());
        for line in self.raw.split_inclusive(|&b| b == b'\n') {
            // An escaped line loses its first `>`.
            match line.strip_prefix(b">") {
                Some(unescaped) if is_escaped_from(line, 1, max_gt) => {
                    out.extend_from_slice(unescaped);
                }
                _ => out.extend_from_slice(line),
            }
        }
        Cow::Owned(out)
    }
}

/// An iterator over the messages of an mbox held in memory. Bytes before the first `From `
/// line are skipped.
#[derive(Debug, Clone)]
pub struct MboxReader<'a> {
    data: &'a [u8],
    pos: Option<usize>,
    opts: MboxOptions,
}

/// The offset of the next line that starts with `From ` at or after `from` (which must be at
/// a line start or just after a line break).
fn next_marker(data: &[u8], from: usize) -> Option<usize> {
    if from == 0 && data.starts_with(b"From ") {
        return Some(0);
    }
    let start = from.saturating_sub(1);
    let hay = data.get(start..)?;
    memchr::memmem::find(hay, b"\nFrom ").map(|i| start + i + 1)
}

/// The end of the header block starting at `offset`: the offset just after the empty line.
fn header_end(data: &[u8], offset: usize) -> Option<usize> {
    let mut pos = offset;
    loop {
        let rest = data.get(pos..)?;
        if rest.starts_with(b"\n") {
            return Some(pos + 1);
        }
        if rest.starts_with(b"\r\n") {
            return Some(pos + 2);
        }
        pos += memchr::memchr(b'\n', rest)? + 1;
    }
}

/// The value of the first `Content-Length` field of a header block, if it is a number.
fn content_length(header: &[u8]) -> Option<usize> {
    for line in header.split(|&b| b == b'\n') {
        let mut halves = line.splitn(2, |&b| b == b':');
        let (Some(name), Some(value)) = (halves.next(), halves.next()) else {
            continue;
        };
        if name.trim_ascii().eq_ignore_ascii_case(b"content-length") {
            let v = value.trim_ascii();
            if v.is_empty() || !v.iter().all(u8::is_ascii_digit) || v.len() > 18 {
                return None;
            }
            return std::str::from_utf8(v).ok()?.parse().ok();
        }
    }
    None
}

impl<'a> MboxReader<'a> {
    /// Reads mboxrd, ignoring Content-Length.
    pub fn new(data: &'a [u8]) -> Self {
        MboxReader::with_options(data, MboxOptions::default())
    }

    /// Reads with the given options.
    pub fn with_options(data: &'a [u8], opts: MboxOptions) -> Self {
        MboxReader {
            data,
            pos: next_marker(data, 0),
            opts,
        }
    }

    /// The end found from Content-Length: `(end, next marker)` when the size leads to the next
    /// `From ` line (after one line break) or to the end of the file.
    fn by_length(&self, offset: usize) -> Option<(usize, Option<usize>)> {
        let hend = header_end(self.data, offset)?;
        let n = content_length(self.data.get(offset..hend)?)?;
        let end = hend.checked_add(n)?;
        let rest = self.data.get(end..)?;
        if rest.is_empty() {
            return Some((end, None));
        }
        for sep in [&b"\n"[..], b"\r\n"] {
            if rest
                .strip_prefix(sep)
                .is_some_and(|r| r.starts_with(b"From "))
            {
                return Some((end, Some(end + sep.len())));
            }
        }
        None
    }
}

impl<'a> Iterator for MboxReader<'a> {
    type Item = MboxMessage<'a>;

    fn next(&mut self) -> Option<MboxMessage<'a>> {
        let marker = self.pos?;
        let data = self.data;
        let line_end = memchr::memchr(b'\n', data.get(marker..)?).map(|i| marker + i);
        let (from_line, offset) = match line_end {
            Some(nl) => (data.get(marker..nl)?, nl + 1),
            None => (data.get(marker..)?, data.len()),
        };
        let from_line = from_line.strip_suffix(b"\r").unwrap_or(from_line);
        let mut by_content_length = false;
        let (end, next) = match self
            .opts
            .honour_content_length
            .then(|| self.by_length(offset))
            .flatten()
        {
            Some(found) => {
                by_content_length = true;
                found
            }
            None => match next_marker(data, offset) {
                Some(next) => {
                    // The line break before the next From line is the separator.
                    let mut end = next.saturating_sub(1).max(offset);
                    if end > offset && data.get(end - 1) == Some(&b'\r') {
                        end -= 1;
                    }
                    (end, Some(next))
                }
                None => {
                    let mut end = data.len();
                    // `offset` is at most the length: the end of the From line.
                    let body = data.get(offset..)?;
                    if body.ends_with(b"\r\n\r\n") {
                        end -= 2;
                    } else if body.ends_with(b"\n\n") {
                        end -= 1;
                    }
                    (end, None)
                }
            },
        };
        self.pos = next;
        // Every branch above ends the message at or after its start and within the data; a
        // wrong bound ends the reading (the tests count the messages) instead of giving an
        // empty one.
        let raw = data.get(offset..end)?;
        Some(MboxMessage {
            marker_offset: marker,
            from_line,
            offset,
            end,
            raw,
            by_content_length,
            format: self.opts.format,
        })
    }
}

/// The asctime form of the `From ` line: `Mon May  6 07:08:09 2024`.
fn asctime(d: &DateTime) -> String {
    let s = d.to_string(); // "Mon, 6 May 2024 07:08:09 +0000"
    let mut it = s.split(' ');
    let wd = it.next().unwrap_or("Mon,").trim_end_matches(',');
    let day = it.next().unwrap_or("1");
    let mon = it.next().unwrap_or("Jan");
    let year = it.next().unwrap_or("1970");
    let time = it.next().unwrap_or("00:00:00");
    format!("{wd} {mon} {day:>2} {time} {year}")
}

/// Appends one message in mboxrd form: the `From sender date` line (the sender's white space
/// and controls replaced by `_`, `MAILER-DAEMON` when empty), the message with every
/// `>*From ` line given one more `>`, a line break if the message does not end with one, and
/// the empty separator line. Line breaks of the message are kept as they are.
pub fn write_mboxrd(out: &mut Vec<u8>, sender: &str, date: &DateTime, message: &[u8]) {
    let sender: String = if sender.is_empty() {
        "MAILER-DAEMON".to_owned()
    } else {
        sender
            .chars()
            .map(|c| {
                if c.is_whitespace() || c.is_control() {
                    '_'
                } else {
                    c
                }
            })
            .collect()
    };
    out.extend_from_slice(b"From ");
    out.extend_from_slice(sender.as_bytes());
    out.push(b' ');
    out.extend_from_slice(asctime(date).as_bytes());
    out.push(b'\n');
    for line in message.split_inclusive(|&b| b == b'\n') {
        if is_escaped_from(line, 0, usize::MAX) {
            out.push(b'>');
        }
        out.extend_from_slice(line);
    }
    if !message.ends_with(b"\n") {
        out.push(b'\n');
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_before_first_marker_is_skipped() {
        let data = b"junk\nFrom a x\nA: b\n\nbody\n";
        let m: Vec<_> = MboxReader::new(data).collect();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].marker_offset, 5);
        assert_eq!(m[0].raw, b"A: b\n\nbody\n");
        assert!(MboxReader::new(b"no marker\n").next().is_none());
        assert!(MboxReader::new(b"").next().is_none());
    }

    #[test]
    fn crlf_separators() {
        let data = b"From a\r\nX: 1\r\n\r\nbody\r\n\r\nFrom b\r\nX: 2\r\n\r\nb2\r\n";
        let m: Vec<_> = MboxReader::new(data).collect();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].raw, b"X: 1\r\n\r\nbody\r\n");
        assert_eq!(m[0].from_line, b"From a");
        assert_eq!(m[1].raw, b"X: 2\r\n\r\nb2\r\n");
    }

    #[test]
    fn mboxo_unescapes_one_level_only() {
        let data = b"From a\nX: 1\n\n>From one\n>>From two\n";
        let o = MboxReader::with_options(data, MboxOptions::default().format(MboxFormat::Mboxo))
            .next()
            .unwrap();
        assert_eq!(&*o.content(), b"X: 1\n\nFrom one\n>>From two\n");
        let rd = MboxReader::new(data).next().unwrap();
        assert_eq!(&*rd.content(), b"X: 1\n\nFrom one\n>From two\n");
    }

    #[test]
    fn content_length_is_used_only_when_asked_and_consistent() {
        let data = b"From a\nContent-Length: 17\n\nline\nFrom inside\n\nFrom b\nX: 1\n\nz\n";
        let plain: Vec<_> = MboxReader::new(data).collect();
        assert_eq!(plain.len(), 3);
        let opts = MboxOptions::default().honour_content_length(true);
        let cl: Vec<_> = MboxReader::with_options(data, opts).collect();
        assert_eq!(cl.len(), 2);
        assert_eq!(cl[0].raw, b"Content-Length: 17\n\nline\nFrom inside\n");
        assert!(cl[0].by_content_length);
        assert_eq!(cl[1].raw, b"X: 1\n\nz\n");
        // A wrong length falls back to scanning.
        let bad = b"From a\nContent-Length: 3\n\nline\n\nFrom b\n\nz\n";
        let m: Vec<_> = MboxReader::with_options(bad, opts).collect();
        assert_eq!(m.len(), 2);
        assert!(!m[0].by_content_length);
        assert_eq!(m[0].raw, b"Content-Length: 3\n\nline\n");
        // Absurd lengths do not overflow.
        let huge = b"From a\nContent-Length: 999999999999999999\n\nx\n";
        assert_eq!(MboxReader::with_options(huge, opts).count(), 1);
    }

    #[test]
    fn asctime_form() {
        let d = DateTime::new(2024, 12, 25, 23, 0, 1, 0).unwrap();
        assert_eq!(asctime(&d), "Wed Dec 25 23:00:01 2024");
    }
}
