//! A small scanner for structured field values (RFC 5322 section 3.2): CFWS with nested
//! comments (depth-limited), quoted strings, atoms. Line breaks count as white space, which
//! is what unfolding gives for structured fields.

use crate::defect::{Defect, DefectKind};

pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

pub(crate) struct Lexer<'a> {
    pub s: &'a [u8],
    /// `s` as text when [`Lexer::with_text`] found it valid UTF-8 (validated once; its
    /// pieces cut at ASCII delimiters are then text too).
    pub text: Option<&'a str>,
    pub pos: usize,
    pub max_depth: usize,
    pub offset: usize,
    pub defects: Vec<Defect>,
}

impl<'a> Lexer<'a> {
    pub fn new(s: &'a [u8], max_depth: usize, offset: usize) -> Self {
        Lexer {
            s,
            text: None,
            pos: 0,
            max_depth,
            offset,
            defects: Vec::new(),
        }
    }

    /// [`Lexer::new`], with the input validated as UTF-8 once for [`Lexer::text_of`].
    pub fn with_text(s: &'a [u8], max_depth: usize, offset: usize) -> Self {
        Lexer {
            text: std::str::from_utf8(s).ok(),
            ..Lexer::new(s, max_depth, offset)
        }
    }

    /// The bytes `s[start..start + len]` read as text (UTF-8 first, then windows-1252, as
    /// [`crate::decode::charset::bytes_to_text`]), borrowed when they are UTF-8.
    pub fn text_of(&self, start: usize, len: usize) -> std::borrow::Cow<'a, str> {
        let end = start.saturating_add(len);
        match self.text.and_then(|t| t.get(start..end)) {
            Some(t) => std::borrow::Cow::Borrowed(t),
            None => crate::decode::charset::bytes_to_text(self.s.get(start..end).unwrap_or(&[])),
        }
    }

    pub fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    /// Records a defect (at most 256 per value, repeats of the last one dropped): hostile
    /// input cannot make this quadratic or unbounded.
    pub fn defect(&mut self, kind: DefectKind) {
        let d = Defect::new(kind, self.offset + self.pos);
        if self.defects.len() < 256 && self.defects.last() != Some(&d) {
            self.defects.push(d);
        }
    }

    pub fn skip_ws(&mut self) {
        while self.peek().is_some_and(is_ws) {
            self.pos += 1;
        }
    }

    /// Skips white space and comments; the comment texts are pushed to `comments`.
    pub fn skip_cfws(&mut self, mut comments: Option<&mut Vec<String>>) {
        loop {
            self.skip_ws();
            if self.peek() == Some(b'(') {
                match comments.as_deref_mut() {
                    Some(v) => v.push(self.comment()),
                    None => self.skip_comment(),
                }
            } else {
                break;
            }
        }
    }

    /// Reads a comment starting at `(`; returns its text (nested parentheses kept, quoted
    /// pairs resolved, white space runs collapsed).
    pub fn comment(&mut self) -> String {
        let mut out: Vec<u8> = Vec::new();
        self.walk_comment(Some(&mut out));
        finish_text(&out)
    }

    /// Passes over a comment starting at `(` (the defects of [`Lexer::comment`] recorded,
    /// no text built).
    pub fn skip_comment(&mut self) {
        self.walk_comment(None);
    }

    fn walk_comment(&mut self, mut out: Option<&mut Vec<u8>>) {
        let mut depth = 0usize;
        let mut too_deep = false;
        let mut put = |b: u8| {
            if let Some(o) = out.as_deref_mut() {
                o.push(b);
            }
        };
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'(' => {
                    depth += 1;
                    if depth > self.max_depth && !too_deep {
                        too_deep = true;
                        self.defect(DefectKind::GroupDepthLimit);
                    }
                    if depth > 1 {
                        put(b);
                    }
                }
                b')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return;
                    }
                    put(b);
                }
                b'\\' => {
                    if let Some(n) = self.peek() {
                        self.pos += 1;
                        put(n);
                    }
                }
                b'\r' | b'\n' => {}
                _ => put(b),
            }
        }
        self.defect(DefectKind::Unterminated);
    }

    /// Reads a quoted string starting at `"`; returns its content (quoted pairs resolved,
    /// line breaks of folding removed).
    pub fn quoted(&mut self) -> Vec<u8> {
        self.pos += 1;
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'"' => return out,
                b'\\' => {
                    if let Some(n) = self.peek() {
                        self.pos += 1;
                        out.push(n);
                    }
                }
                b'\r' | b'\n' => {}
                _ => out.push(b),
            }
        }
        self.defect(DefectKind::Unterminated);
        out
    }

    /// [`Lexer::quoted`], borrowing when the content has no quoted pair or line break.
    pub fn quoted_cow(&mut self) -> std::borrow::Cow<'a, [u8]> {
        let start = self.pos + 1;
        let mut i = start;
        while let Some(&b) = self.s.get(i) {
            match b {
                b'"' => {
                    self.pos = i + 1;
                    return std::borrow::Cow::Borrowed(self.s.get(start..i).unwrap_or(&[]));
                }
                b'\\' | b'\r' | b'\n' => break,
                _ => i += 1,
            }
        }
        std::borrow::Cow::Owned(self.quoted())
    }

    /// Reads bytes while `f` holds.
    pub fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.pos += 1;
        }
        self.s.get(start..self.pos).unwrap_or(&[])
    }
}

fn finish_text(b: &[u8]) -> String {
    let s = crate::decode::charset::bytes_to_text(b);
    let mut out = String::with_capacity(s.len());
    let mut ws = false;
    for c in s.chars() {
        if c == ' ' || c == '\t' {
            ws = true;
        } else {
            if ws && !out.is_empty() {
                out.push(' ');
            }
            ws = false;
            out.push(c);
        }
    }
    out
}

/// Calls `f` with every concatenation of one to `max_len` of the `pieces` (test inputs that
/// cover the interesting bytes in every order).
#[cfg(test)]
pub(crate) fn each_string(pieces: &[&[u8]], max_len: u32, mut f: impl FnMut(&[u8])) {
    let Some(&first) = pieces.first() else {
        return;
    };
    let mut buf = Vec::new();
    for len in 1..=max_len {
        // An odometer of `len` wheels, each walking the pieces: when a wheel runs out it
        // starts over and the next one moves on; when the last runs out, every string of
        // this length was given.
        let mut wheels: Vec<(std::slice::Iter<'_, &[u8]>, &[u8])> = (0..len)
            .map(|_| {
                let mut it = pieces.iter();
                it.next();
                (it, first)
            })
            .collect();
        'strings: loop {
            buf.clear();
            for (_, piece) in &wheels {
                buf.extend_from_slice(piece);
            }
            f(&buf);
            for (it, piece) in &mut wheels {
                if let Some(&next) = it.next() {
                    *piece = next;
                    continue 'strings;
                }
                *it = pieces.iter();
                it.next();
                *piece = first;
            }
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_string_gives_every_concatenation_once() {
        let mut seen = Vec::new();
        super::each_string(&[b"a", b"bc"], 2, |s| seen.push(s.to_vec()));
        let want: [&[u8]; 6] = [b"a", b"bc", b"aa", b"bca", b"abc", b"bcbc"];
        assert_eq!(seen, want);
        let mut count = 0;
        super::each_string(&[b"x", b"y", b"z"], 3, |_| count += 1);
        assert_eq!(count, 3 + 9 + 27);
        super::each_string(&[], 3, |_| panic!("no pieces, no strings"));
    }
}
