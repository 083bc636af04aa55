//! RFC 2047 encoded words: `=?charset?B|Q?text?=`, decoded in unstructured text, phrases and
//! (leniently) parameter values. White space between adjacent encoded words is dropped, and
//! adjacent words of one charset are joined before the charset is applied, so a UTF-8
//! sequence split across two words comes out whole (RFC 2047 sections 5 and 6.2).

use std::borrow::Cow;

use crate::decode::{base64, charset, qp};
use crate::defect::{Defect, DefectKind};

/// One encoded word found in text.
struct Word<'a> {
    charset: &'a [u8],
    b: bool,
    text: &'a [u8],
    end: usize,
}

fn parse_word(s: &[u8], start: usize) -> Option<Word<'_>> {
    let rest = s.get(start..)?;
    if !rest.starts_with(b"=?") {
        return None;
    }
    let cs_len = rest.get(2..)?.iter().take(76).position(|&b| b == b'?')?;
    let charset = rest.get(2..2 + cs_len)?;
    if charset.is_empty()
        || charset.iter().any(|&b| {
            b <= b' '
                || b >= 0x7F
                || matches!(
                    b,
                    b'(' | b')'
                        | b'<'
                        | b'>'
                        | b'@'
                        | b','
                        | b';'
                        | b':'
                        | b'"'
                        | b'/'
                        | b'['
                        | b']'
                        | b'='
                        | b'.'
                )
        })
    {
        return None;
    }
    let enc = *rest.get(3 + cs_len)?;
    let b = match enc {
        b'B' | b'b' => true,
        b'Q' | b'q' => false,
        _ => return None,
    };
    if rest.get(4 + cs_len) != Some(&b'?') {
        return None;
    }
    let text_start = 5 + cs_len;
    let tlen = memchr::memchr(b'?', rest.get(text_start..)?)?;
    if rest.get(text_start + tlen + 1) != Some(&b'=') {
        return None;
    }
    let text = rest.get(text_start..text_start + tlen)?;
    Some(Word {
        charset,
        b,
        text,
        end: start + text_start + tlen + 2,
    })
}

fn decode_payload(w: &Word<'_>, out: &mut Vec<u8>) -> bool {
    if w.b {
        let r = base64::decode_into(w.text, out);
        r.bad_chars == 0
    } else {
        // Folding inside a Q word: the line break and the white space after it are not
        // part of the text; other spaces are kept (lenient).
        let cleaned: Vec<u8>;
        let text = if memchr::memchr2(b'\r', b'\n', w.text).is_some() {
            let mut v = Vec::with_capacity(w.text.len());
            let mut after_break = false;
            for &b in w.text {
                match b {
                    b'\r' | b'\n' => after_break = true,
                    b' ' | b'\t' if after_break => {}
                    _ => {
                        after_break = false;
                        v.push(b);
                    }
                }
            }
            cleaned = v;
            &cleaned
        } else {
            w.text
        };
        let r = qp::decode_q_into(text, out);
        r.bad_escapes == 0
    }
}

/// The charset label without an RFC 2231 section 5 language (`US-ASCII*EN`).
fn charset_label(cs: &[u8]) -> String {
    let cs = match memchr::memchr(b'*', cs) {
        Some(i) => cs.get(..i).unwrap_or(cs),
        None => cs,
    };
    String::from_utf8_lossy(cs).into_owned()
}

struct Pending {
    charset: String,
    bytes: Vec<u8>,
}

fn flush(p: &mut Option<Pending>, out: &mut String, defects: &mut Vec<Defect>, offset: usize) {
    if let Some(p) = p.take() {
        let (s, known) = charset::decode_or_fallback(&p.charset, &p.bytes);
        if !known {
            defects.push(Defect::new(DefectKind::UnknownCharset, offset));
        }
        out.push_str(&s);
    }
}

/// How runs of white space are written out.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ws {
    /// Line breaks are removed, other white space kept (unstructured).
    Unfold,
    /// Every run becomes one space (phrases).
    Collapse,
}

/// Decodes encoded words in `raw`, appending to `out`. `offset` is added to defect offsets.
pub(crate) fn decode_text_into(
    raw: &[u8],
    ws_mode: Ws,
    out: &mut String,
    defects: &mut Vec<Defect>,
    offset: usize,
) {
    let mut pending: Option<Pending> = None;
    let mut last_encoded = false;
    let mut ws: Option<(usize, usize)> = None;
    let mut i = 0;
    let mut lit_start: Option<usize> = None;
    let emit_ws = |ws: &mut Option<(usize, usize)>, out: &mut String| {
        if let Some((a, b)) = ws.take() {
            let run = raw.get(a..b).unwrap_or(&[]);
            if ws_mode == Ws::Collapse {
                out.push(' ');
            } else {
                // Unfolding removes the line breaks only (RFC 5322 section 2.2.3).
                out.extend(
                    run.iter()
                        .filter(|&&c| c != b'\r' && c != b'\n')
                        .map(|&c| char::from(c)),
                );
            }
        }
    };
    let flush_lit = |lit_start: &mut Option<usize>, end: usize, out: &mut String| {
        if let Some(s) = lit_start.take() {
            out.push_str(&charset::bytes_to_text(raw.get(s..end).unwrap_or(&[])));
        }
    };
    while i < raw.len() {
        let c = raw.get(i).copied().unwrap_or(b' ');
        if c == b' ' || c == b'\t' || c == b'\r' || c == b'\n' {
            flush_lit(&mut lit_start, i, out);
            let start = i;
            while matches!(raw.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
                i += 1;
            }
            match ws {
                Some((a, _)) => ws = Some((a, i)),
                None => ws = Some((start, i)),
            }
            continue;
        }
        if c == b'='
            && raw.get(i + 1) == Some(&b'?')
            && let Some(w) = parse_word(raw, i)
        {
            flush_lit(&mut lit_start, i, out);
            if last_encoded {
                ws = None;
            } else {
                flush(&mut pending, out, defects, offset + i);
                emit_ws(&mut ws, out);
            }
            let label = charset_label(w.charset);
            let same = pending
                .as_ref()
                .is_some_and(|p| p.charset.eq_ignore_ascii_case(&label));
            if !same {
                flush(&mut pending, out, defects, offset + i);
                pending = Some(Pending {
                    charset: label,
                    bytes: Vec::new(),
                });
            }
            if let Some(p) = pending.as_mut()
                && !decode_payload(&w, &mut p.bytes)
            {
                defects.push(Defect::new(DefectKind::BadEncodedWord, offset + i));
            }
            last_encoded = true;
            i = w.end;
            continue;
        }
        // A literal byte.
        if lit_start.is_none() {
            flush(&mut pending, out, defects, offset + i);
            emit_ws(&mut ws, out);
            last_encoded = false;
            lit_start = Some(i);
        }
        i += 1;
    }
    flush_lit(&mut lit_start, raw.len(), out);
    flush(&mut pending, out, defects, offset + raw.len());
    emit_ws(&mut ws, out);
}

/// Decodes an unstructured field value (Subject, Comments, ...): unfolded (line breaks
/// removed, white space kept), encoded words decoded (white space between adjacent encoded
/// words dropped), the white space around the value trimmed (white space decoded from an
/// encoded word is content and stays). Borrows `raw` when there is
/// nothing to decode or unfold.
pub fn decode_unstructured<'a>(
    raw: &'a [u8],
    defects: &mut Vec<Defect>,
    offset: usize,
) -> Cow<'a, str> {
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    // One branch-free pass for what the fast path must know: a `=` (maybe an encoded
    // word), a line break.
    let (mut eq, mut breaks) = (0u64, 0u64);
    let (words, rest) = proto_core::swar::words(raw);
    for w in words {
        eq |= proto_core::swar::zero_bytes(w ^ proto_core::swar::splat(b'='));
        breaks |= proto_core::swar::zero_bytes(w ^ proto_core::swar::splat(b'\r'))
            | proto_core::swar::zero_bytes(w ^ proto_core::swar::splat(b'\n'));
    }
    for &b in rest {
        eq |= u64::from(b == b'=');
        breaks |= u64::from(b == b'\r' || b == b'\n');
    }
    let folded = breaks != 0;
    let encoded = eq != 0 && may_hold_encoded_word(raw);
    // The white space around the value is trimmed before decoding: white space that came
    // out of an encoded word (`=?iso-8859-1?q?_?=`) is content (RFC 2047 section 5(1)).
    let first = raw.iter().position(|b| !is_space(b)).unwrap_or(raw.len());
    let last = raw
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(first, |i| i + 1);
    let t = raw.get(first..last).unwrap_or(&[]);
    // Fast path: no encoded word, nothing to decode; unfold only.
    if !encoded {
        return if folded && memchr::memchr2(b'\r', b'\n', t).is_some() {
            // Read as text first (the charset guess sees the bytes as they are), then the
            // line breaks removed.
            Cow::Owned(without_line_breaks(&charset::bytes_to_text(t)))
        } else {
            charset::bytes_to_text(t)
        };
    }
    let mut out = String::with_capacity(t.len());
    decode_text_into(t, Ws::Unfold, &mut out, defects, offset + first);
    Cow::Owned(out)
}

/// The text with its CR and LF characters removed.
fn without_line_breaks(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut rest = t;
    while let Some(i) = memchr::memchr2(b'\r', b'\n', rest.as_bytes()) {
        out.push_str(rest.get(..i).unwrap_or(""));
        rest = rest.get(i + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Decodes a phrase (display name): every run of white space is one space.
pub fn decode_phrase(raw: &[u8], defects: &mut Vec<Defect>, offset: usize) -> String {
    let mut out = String::with_capacity(raw.len());
    decode_text_into(raw, Ws::Collapse, &mut out, defects, offset);
    let end = out.trim_end_matches(' ').len();
    out.truncate(end);
    let lead = out.len() - out.trim_start_matches(' ').len();
    if lead > 0 {
        out.drain(..lead);
    }
    out
}

/// True when the bytes may hold an encoded word.
pub(crate) fn may_hold_encoded_word(raw: &[u8]) -> bool {
    // A memchr loop: no searcher to build for these short values.
    memchr::memchr_iter(b'=', raw).any(|i| raw.get(i + 1) == Some(&b'?'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> String {
        decode_unstructured(s.as_bytes(), &mut Vec::new(), 0).into_owned()
    }

    #[test]
    fn rfc2047_section8_examples() {
        assert_eq!(u("(=?ISO-8859-1?Q?a?=)"), "(a)");
        assert_eq!(u("=?ISO-8859-1?Q?a?= b"), "a b");
        assert_eq!(u("=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?="), "ab");
        assert_eq!(u("=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?="), "ab");
        assert_eq!(u("=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?="), "ab");
        assert_eq!(u("=?ISO-8859-1?Q?a_b?="), "a b");
        assert_eq!(u("=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?="), "a b");
    }

    /// White space decoded from an encoded word is content; the white space around the
    /// value is not (RFC 5322 section 3.2.5, RFC 2047 section 5(1)).
    #[test]
    fn encoded_white_space_is_kept() {
        assert_eq!(u("=?iso-8859-1?q?_?="), " ");
        assert_eq!(u(" =?iso-8859-1?q?_?=\r\n"), " ");
        assert_eq!(u("  =?iso-8859-1?q?_a_?=  "), " a ");
        assert_eq!(u("=?utf-8?b?IA==?= x"), "  x");
        assert_eq!(u("\t =?utf-8?q?a?= b \t"), "a b");
    }

    #[test]
    fn split_utf8_sequence_is_joined() {
        // "é" is C3 A9, split over two words.
        assert_eq!(u("=?UTF-8?Q?caf=C3?= =?UTF-8?Q?=A9?="), "café");
        assert_eq!(u("=?utf-8?B?w6k=?="), "é");
    }

    #[test]
    fn bad_words_kept() {
        let mut d = Vec::new();
        assert_eq!(
            decode_unstructured(b"=?x-unknown?Q?abc?=", &mut d, 0),
            "abc"
        );
        assert_eq!(d[0].kind, DefectKind::UnknownCharset);
        assert_eq!(
            u("let's = try =?iso-8859-1? to break"),
            "let's = try =?iso-8859-1? to break"
        );
    }
}
