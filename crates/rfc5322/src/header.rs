//! Header fields as spans of the input (RFC 5322 sections 2.2 and 3.6, obsolete syntax of
//! section 4.5): the structural scan and the [`Field`] accessor.

use std::borrow::Cow;
use std::ops::Range;

use crate::defect::{Defect, DefectKind};
use crate::limits::Limits;
use proto_core::swar;

/// Where a field lies in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FieldSpan {
    /// First byte of the name.
    pub start: usize,
    /// End of the name (the colon or the white space before it).
    pub name_end: usize,
    /// First byte after the colon.
    pub value_start: usize,
    /// End of the value, before the line break that ends the field.
    pub value_end: usize,
    /// End of the field, after its line break.
    pub end: usize,
}

/// The result of scanning one header block.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeaderScan {
    /// Where the header block ends (the start of the blank line, or of the first line that is
    /// no header line).
    pub header_end: usize,
    /// Where the body starts (after the blank line).
    pub body_start: usize,
}

/// The first LF in `hay`. Header lines are short: eight bytes at a time over the first 64,
/// which beats setting up `memchr` for them; `memchr` past that.
fn find_lf(hay: &[u8]) -> Option<usize> {
    let head = hay.get(..64).unwrap_or(hay);
    let (words, _) = swar::words(head);
    let mut at = 0;
    for w in words {
        let m = swar::zero_bytes(w ^ swar::splat(b'\n'));
        if m != 0 {
            return Some(at + swar::first(m));
        }
        at += 8;
    }
    let rest = hay.get(at..)?;
    memchr::memchr(b'\n', rest).map(|i| at + i)
}

/// True when a header block holds a byte past ASCII, a NUL, or a bare CR (more CRs than the
/// `crlf_lines` CRLF line ends). One branch-free pass, eight bytes at a time.
fn unusual_bytes(block: &[u8], crlf_lines: usize) -> bool {
    let (mut high, mut nul, mut crs) = (0u64, 0u64, 0usize);
    // The CRs are counted per byte lane (one per CR) over runs of at most 255 words, and the
    // lanes summed after each run: baseline x86-64 has no popcount instruction, and a
    // software one per word cost more than the rest of the pass.
    // Runs of 255 words (a multiple of eight bytes): only the last has bytes left over.
    for run in block.chunks(8 * 255) {
        let (words, rest) = swar::words(run);
        let mut lanes = 0u64;
        for w in words {
            high |= w;
            nul |= swar::zero_bytes(w);
            lanes += swar::zero_bytes(w ^ swar::splat(b'\r')) >> 7;
        }
        crs += lane_sum(lanes);
        for &b in rest {
            high |= u64::from(b);
            nul |= u64::from(b == 0);
            crs += usize::from(b == b'\r');
        }
    }
    high & swar::HIGH != 0 || nul != 0 || crs != crlf_lines
}

/// True when the field name `name` (printable ASCII, as the scan gives) is `lower` ignoring
/// ASCII case, where `lower` is lower-case letters, digits and dashes: eight bytes at a time,
/// with bit 0x20 set on both sides. That bit turns an upper-case letter into its lower case
/// and leaves the other bytes of `lower` as they are; the only other bytes it would map onto
/// them are controls, which no field name holds.
pub(crate) fn name_is(name: &[u8], lower: &[u8]) -> bool {
    const CASE: u64 = swar::splat(0x20);
    name.len() == lower.len()
        && (0..name.len())
            .step_by(8)
            .all(|at| swar::word_at(name, at) | CASE == swar::word_at(lower, at) | CASE)
}

/// The sum of the eight byte lanes of `x`.
fn lane_sum(x: u64) -> usize {
    x.to_le_bytes().iter().map(|&b| usize::from(b)).sum()
}

/// Splits `data[start..end]` into lines: returns (content end, next line start).
fn line_at(data: &[u8], pos: usize, end: usize) -> (usize, usize) {
    let hay = data.get(pos..end).unwrap_or(&[]);
    match find_lf(hay) {
        Some(i) => {
            let nl = pos + i;
            let content_end = if nl > pos && data.get(nl - 1) == Some(&b'\r') {
                nl - 1
            } else {
                nl
            };
            (content_end, nl + 1)
        }
        None => (end, end),
    }
}

/// Printable ASCII but the colon (RFC 5322 section 2.2, ftext).
fn is_field_name_byte(b: u8) -> bool {
    (33..=126).contains(&b) && b != b':'
}

/// How many bytes at the start of `line` can be a field name, eight at a time.
fn name_length(line: &[u8]) -> usize {
    let (words, rest) = swar::words(line);
    let mut at = 0;
    for w in words {
        let bad = swar::bytes_below(w, 33)
            | (w & swar::HIGH)
            | swar::zero_bytes(w ^ swar::splat(0x7F))
            | swar::zero_bytes(w ^ swar::splat(b':'));
        if bad != 0 {
            return at + swar::first(bad);
        }
        at += 8;
    }
    at + rest
        .iter()
        .position(|&b| !is_field_name_byte(b))
        .unwrap_or(rest.len())
}

/// When `line` starts a field: the length of its name (printable ASCII without colon,
/// RFC 5322 section 2.2) and the offset of the colon (white space between the two is
/// tolerated, obs-optional of section 4.5).
fn field_name(line: &[u8]) -> Option<(usize, usize)> {
    let name_len = name_length(line);
    if name_len == 0 {
        return None;
    }
    let rest = line.get(name_len..)?;
    let colon = name_len + rest.iter().position(|&b| b != b' ' && b != b'\t')?;
    (line.get(colon) == Some(&b':')).then_some((name_len, colon))
}

/// Scans the header block starting at `start`, appending the fields to `fields`.
pub(crate) fn scan_header(
    data: &[u8],
    start: usize,
    end: usize,
    is_root: bool,
    limits: &Limits,
    fields: &mut Vec<FieldSpan>,
    defects: &mut Vec<Defect>,
) -> HeaderScan {
    let first_field = fields.len();
    let mut pos = start;
    // A UTF-8 byte order mark in front of a message (some Windows tools write one): skipped.
    if is_root
        && data
            .get(start..)
            .is_some_and(|d| d.starts_with(b"\xEF\xBB\xBF"))
    {
        pos += 3;
    }
    let mut current: Option<FieldSpan> = None;
    // The last line was a header line that is no field: its continuation lines are skipped.
    let mut skipping = false;
    let mut long_line_seen = false;
    let mut too_many = false;
    let mut too_large = false;
    let mut count = 0usize;
    let block_limit_end = start.saturating_add(limits.max_header_block);
    let push = |f: FieldSpan,
                fields: &mut Vec<FieldSpan>,
                defects: &mut Vec<Defect>,
                count: &mut usize,
                too_many: &mut bool,
                too_large: &mut bool| {
        if f.end > block_limit_end {
            if !*too_large {
                *too_large = true;
                defects.push(Defect::new(DefectKind::HeaderBlockTooLarge, f.start));
            }
        } else if *count >= limits.max_fields {
            if !*too_many {
                *too_many = true;
                defects.push(Defect::new(DefectKind::TooManyFields, f.start));
            }
        } else {
            *count += 1;
            fields.push(f);
        }
    };
    // Lines ending in CRLF, counted to tell whether the block holds a bare CR.
    let mut crlf_lines = 0usize;
    let scan = loop {
        if pos >= end {
            break HeaderScan {
                header_end: end,
                body_start: end,
            };
        }
        let (content_end, next) = line_at(data, pos, end);
        if content_end - pos > limits.max_line_length && !long_line_seen {
            long_line_seen = true;
            defects.push(Defect::new(DefectKind::LineTooLong, pos));
        }
        if content_end == pos && next > pos {
            // The blank line.
            break HeaderScan {
                header_end: pos,
                body_start: next,
            };
        }
        let crlf = usize::from(next > content_end + 1);
        let line = data.get(pos..content_end).unwrap_or(&[]);
        let first = line.first().copied().unwrap_or(b' ');
        if first == b' ' || first == b'\t' {
            crlf_lines += crlf;
            match current.as_mut() {
                Some(f) => {
                    f.value_end = content_end;
                    f.end = next;
                }
                // The continuation of a line that was skipped goes with it.
                None if skipping => {}
                None => defects.push(Defect::new(DefectKind::FirstLineContinuation, pos)),
            }
            pos = next;
            continue;
        }
        if let Some((name_len, colon)) = field_name(line) {
            crlf_lines += crlf;
            if let Some(f) = current.take() {
                push(
                    f,
                    fields,
                    defects,
                    &mut count,
                    &mut too_many,
                    &mut too_large,
                );
            }
            skipping = false;
            current = Some(FieldSpan {
                start: pos,
                name_end: pos + name_len,
                value_start: pos + colon + 1,
                value_end: content_end,
                end: next,
            });
            pos = next;
            continue;
        }
        if is_root && pos == start && line.starts_with(b"From ") {
            // An mbox "From " line in front of the message: skipped.
            crlf_lines += crlf;
            pos = next;
            continue;
        }
        // A line that is no field (no colon, a name with bytes outside printable ASCII):
        // when the header goes on after it (a field, a continuation, or the blank line after
        // a field), it is skipped with a defect, continuation lines included, as Dovecot
        // does; gluing it onto the field before would change that field's value. Otherwise
        // the body starts here without a blank line.
        let (next_end, after_next) = line_at(data, next, end);
        let next_line = data.get(next..next_end).unwrap_or(&[]);
        let header_goes_on = match next_line.first() {
            Some(b' ' | b'\t') => true,
            Some(_) => field_name(next_line).is_some(),
            None => after_next > next && (current.is_some() || count > 0),
        };
        if header_goes_on {
            crlf_lines += crlf;
            defects.push(Defect::new(DefectKind::BrokenFolding, pos));
            if let Some(f) = current.take() {
                push(
                    f,
                    fields,
                    defects,
                    &mut count,
                    &mut too_many,
                    &mut too_large,
                );
            }
            skipping = true;
            pos = next;
            continue;
        }
        defects.push(Defect::new(DefectKind::MissingHeaderBodySeparator, pos));
        break HeaderScan {
            header_end: pos,
            body_start: pos,
        };
    };
    if let Some(f) = current.take() {
        push(
            f,
            fields,
            defects,
            &mut count,
            &mut too_many,
            &mut too_large,
        );
    }
    if scan.body_start - start > limits.max_header_block && !too_large {
        defects.push(Defect::new(DefectKind::HeaderBlockTooLarge, start));
    }
    // Byte-level checks of the recorded fields: NUL, bare CR, 8-bit without UTF-8.
    let block = data.get(start..scan.header_end).unwrap_or(&[]);
    let suspicious = unusual_bytes(block, crlf_lines);
    if suspicious {
        for f in fields.get(first_field..).unwrap_or(&[]) {
            let raw = data.get(f.start..f.end).unwrap_or(&[]);
            if let Some(i) = memchr::memchr(0, raw) {
                defects.push(Defect::new(DefectKind::Nul, f.start + i));
            }
            for i in memchr::memchr_iter(b'\r', raw) {
                if raw.get(i + 1) != Some(&b'\n') {
                    defects.push(Defect::new(DefectKind::BareCr, f.start + i));
                    break;
                }
            }
            if !raw.is_ascii()
                && let Err(e) = std::str::from_utf8(raw)
            {
                defects.push(Defect::new(
                    DefectKind::EightBitHeader,
                    f.start + e.valid_up_to(),
                ));
            }
        }
    }
    scan
}

/// Removes the line breaks of folding (CRLF or LF followed by white space), RFC 5322
/// section 2.2.3. Borrows when nothing is folded.
pub fn unfold(value: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr2(b'\r', b'\n', value).is_none() {
        return Cow::Borrowed(value);
    }
    let mut out = Vec::with_capacity(value.len());
    for &b in value {
        if b != b'\r' && b != b'\n' {
            out.push(b);
        }
    }
    Cow::Owned(out)
}

/// One header field: a view of its bytes in the message.
#[derive(Clone, Copy)]
pub struct Field<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) span: FieldSpan,
}

impl std::fmt::Debug for Field<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Field")
            .field("name", &self.name())
            .field("value", &String::from_utf8_lossy(self.raw_value()))
            .field("offset", &self.span.start)
            .finish()
    }
}

impl<'a> Field<'a> {
    /// The field name as written (printable ASCII, so always a `str`).
    pub fn name(&self) -> &'a str {
        std::str::from_utf8(self.name_bytes()).unwrap_or("")
    }

    /// The field name bytes.
    pub fn name_bytes(&self) -> &'a [u8] {
        self.data
            .get(self.span.start..self.span.name_end)
            .unwrap_or(&[])
    }

    /// True when the name matches, ignoring ASCII case.
    pub fn is(&self, name: &str) -> bool {
        self.name_bytes().eq_ignore_ascii_case(name.as_bytes())
    }

    /// The value as stored: everything after the colon up to the final line break, folding
    /// included.
    pub fn raw_value(&self) -> &'a [u8] {
        self.data
            .get(self.span.value_start..self.span.value_end)
            .unwrap_or(&[])
    }

    /// The whole field as stored, its final line break included.
    pub fn raw(&self) -> &'a [u8] {
        self.data.get(self.span.start..self.span.end).unwrap_or(&[])
    }

    /// Byte range of the whole field in the input.
    pub fn range(&self) -> Range<usize> {
        self.span.start..self.span.end
    }

    /// Byte range of the raw value in the input.
    pub fn value_range(&self) -> Range<usize> {
        self.span.value_start..self.span.value_end
    }

    /// True when the value spans several lines.
    pub fn is_folded(&self) -> bool {
        memchr::memchr(b'\n', self.raw_value()).is_some()
    }

    /// The value unfolded (line breaks removed, white space kept), RFC 5322 section 2.2.3.
    pub fn unfolded(&self) -> Cow<'a, [u8]> {
        unfold(self.raw_value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `name_is` says what `eq_ignore_ascii_case` says for every field name one printable
    /// byte away from the names the crate looks up.
    #[test]
    fn name_is_matches_eq_ignore_ascii_case() {
        for target in [
            &b"content-type"[..],
            b"content-transfer-encoding",
            b"x",
            b"received-spf2",
        ] {
            assert!(name_is(target, target));
            assert!(name_is(&target.to_ascii_uppercase(), target));
            assert!(!name_is(target.get(1..).unwrap(), target));
            for at in 0..target.len() {
                for b in 33..=126u8 {
                    if b == b':' {
                        continue;
                    }
                    let mut name = target.to_vec();
                    name[at] = b;
                    assert_eq!(
                        name_is(&name, target),
                        name.eq_ignore_ascii_case(target),
                        "{:?}",
                        String::from_utf8_lossy(&name)
                    );
                }
            }
        }
    }

    /// The CR count is exact over blocks longer than one lane flush (255 words), with CRs
    /// in the words and in the tail.
    #[test]
    fn unusual_bytes_counts_every_cr() {
        for len in [0usize, 7, 8, 9, 2039, 2040, 2041, 4100, 9001] {
            let block: Vec<u8> = (0..len)
                .map(|i| if i % 3 == 1 { b'\r' } else { b'a' })
                .collect();
            let crs = block.iter().filter(|&&b| b == b'\r').count();
            assert!(!unusual_bytes(&block, crs), "{len}");
            assert!(unusual_bytes(&block, crs + 1), "{len}");
            if crs > 0 {
                assert!(unusual_bytes(&block, crs - 1), "{len}");
            }
        }
        // Every byte a CR: each lane counts to 255 and is flushed before it overflows.
        let all = vec![b'\r'; 8 * 600 + 5];
        assert!(!unusual_bytes(&all, all.len()));
        assert!(unusual_bytes(&all, all.len() - 1));
        assert!(unusual_bytes(b"abc\x00defghij", 0));
        assert!(unusual_bytes("abcdefgh\u{e9}".as_bytes(), 0));
    }
}
