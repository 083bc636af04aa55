//! Header fields folded at syntax-aware points, and the values that need quoting or encoding.

use super::word::{MAX_WORD, encoded_words};
use super::{EncodeError, FOLD_AT, MAX_LINE, check_no_line_break};

/// Lines that hold an encoded word stay within 76 characters (RFC 2047 section 2).
const EW_LINE: usize = 76;

/// One unbreakable piece of a field value, with the white space before it (where the field may
/// be folded; empty when it must follow the previous piece directly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) sep: String,
    pub(crate) text: String,
    pub(crate) encoded: bool,
}

impl Token {
    pub(crate) fn new(sep: &str, text: impl Into<String>) -> Self {
        Token {
            sep: sep.to_owned(),
            text: text.into(),
            encoded: false,
        }
    }

    fn encoded(sep: &str, text: String) -> Self {
        Token {
            sep: sep.to_owned(),
            text,
            encoded: true,
        }
    }
}

/// Writes one header field, folding it where its syntax allows.
///
/// Pieces are added with the white space that precedes them. When a piece does not fit within
/// 78 characters (76 on a line holding an encoded word), the field is folded before that white
/// space when it is a single space (RFC 5322 section 2.2.3: unfolding removes only the CRLF, so the value is unchanged).
/// A piece is never split, and a line never passes 998 octets: a piece that cannot fit is an
/// error ([`EncodeError::LineTooLong`]). The result ends with CRLF.
///
/// ```
/// use rfc5322::encode::FieldWriter;
/// let mut f = FieldWriter::new("References").unwrap();
/// for i in 0..4 {
///     f.push(" ", &format!("<message-{i}-with-a-long-identifier@example.com>")).unwrap();
/// }
/// let s = f.finish();
/// assert!(s.lines().all(|l| l.len() <= 78));
/// assert_eq!(s.matches("\r\n ").count(), 3);
/// ```
#[derive(Debug, Clone)]
pub struct FieldWriter {
    buf: String,
    line_start: usize,
    line_has_ew: bool,
}

/// RFC 5322 section 2.2 `ftext`: printable US-ASCII except the colon.
pub(crate) fn check_field_name(name: &str) -> Result<(), EncodeError> {
    if name.is_empty() || !name.bytes().all(|b| (33..=126).contains(&b) && b != b':') {
        return Err(EncodeError::FieldName(name.to_owned()));
    }
    Ok(())
}

impl FieldWriter {
    /// Starts a field: checks the name (RFC 5322 section 2.2, printable US-ASCII without a
    /// colon) and writes `name:`.
    pub fn new(name: &str) -> Result<Self, EncodeError> {
        check_field_name(name)?;
        let mut buf = String::with_capacity(name.len() + 80);
        buf.push_str(name);
        buf.push(':');
        Ok(FieldWriter {
            buf,
            line_start: 0,
            line_has_ew: false,
        })
    }

    /// Adds `text` after the white space `sep` (only spaces and tabs; empty when the piece
    /// must follow the previous one). The field is folded only where `sep` is one space: a
    /// tab or a run of white space is kept on the line, as some readers unfold `CRLF WSP` to
    /// a single space.
    pub fn push(&mut self, sep: &str, text: &str) -> Result<(), EncodeError> {
        self.push_piece(sep, text, false)
    }

    pub(crate) fn push_token(&mut self, t: &Token) -> Result<(), EncodeError> {
        self.push_piece(&t.sep, &t.text, t.encoded)
    }

    pub(crate) fn push_tokens(&mut self, ts: &[Token]) -> Result<(), EncodeError> {
        ts.iter().try_for_each(|t| self.push_token(t))
    }

    fn push_piece(&mut self, sep: &str, text: &str, encoded: bool) -> Result<(), EncodeError> {
        check_no_line_break("header field value", text)?;
        check_no_line_break("header field value", sep)?;
        if !sep.bytes().all(|b| b == b' ' || b == b'\t') {
            return Err(EncodeError::Invalid {
                what: "folding white space",
                value: sep.to_owned(),
            });
        }
        let cur = self.buf.len() - self.line_start;
        let add = sep.len() + text.len();
        // Folding happens only before a single space: some readers unfold `CRLF WSP` to one
        // space, which would change a tab or a run of spaces.
        if sep == " " {
            let limit = if encoded || self.line_has_ew {
                EW_LINE
            } else {
                FOLD_AT
            };
            let fresh_limit = if encoded { EW_LINE } else { FOLD_AT };
            // Fold when the piece does not fit here but would on a line of its own, or when
            // it would pass the hard limit here.
            if cur + add > limit && (add <= fresh_limit || cur + add > MAX_LINE) {
                self.buf.push_str("\r\n");
                self.line_start = self.buf.len();
                self.line_has_ew = false;
            }
        }
        let cur = self.buf.len() - self.line_start;
        if cur + add > MAX_LINE {
            return Err(EncodeError::LineTooLong { len: cur + add });
        }
        self.buf.push_str(sep);
        self.buf.push_str(text);
        self.line_has_ew |= encoded;
        Ok(())
    }

    /// The field with its final CRLF.
    pub fn finish(mut self) -> String {
        self.buf.push_str("\r\n");
        self.buf
    }
}

/// True for a character that may stand in an unstructured value as it is: printable ASCII.
fn plain_char(c: char) -> bool {
    c.is_ascii_graphic()
}

/// Whether a word of unstructured text must be written as encoded words: it holds a byte that
/// is not printable ASCII, looks like an encoded word (so that it is not decoded on reading),
/// or is too long to fit on a folded line.
fn needs_encoding(word: &str) -> bool {
    !word.chars().all(plain_char) || word.contains("=?") || word.len() > FOLD_AT - 1
}

/// Splits text into (white space before, word) pairs; a final run of white space comes as a
/// pair with an empty word.
fn split_words(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let ws_end = rest.find(|c| c != ' ' && c != '\t').unwrap_or(rest.len());
        let (ws, tail) = rest.split_at(ws_end);
        let word_end = tail.find([' ', '\t']).unwrap_or(tail.len());
        let (word, tail) = tail.split_at(word_end);
        out.push((ws, word));
        rest = tail;
    }
    out
}

/// Tokens for unstructured text (RFC 5322 section 3.2.5) such as a Subject.
///
/// Words of printable ASCII stay as they are, with the white space between them (where the
/// field folds). Runs of words that need encoding (non-ASCII, control characters, `=?`, words
/// too long for a line) become encoded words covering the run and the white space inside it,
/// so that reading gives back the same text (RFC 2047 section 6.2).
pub(crate) fn unstructured_tokens(value: &str) -> Result<Vec<Token>, EncodeError> {
    check_no_line_break("unstructured value", value)?;
    let words = split_words(value);
    let mut enc: Vec<bool> = words
        .iter()
        .map(|&(_, w)| !w.is_empty() && needs_encoding(w))
        .collect();
    // White space between a plain word and an encoded word is kept by the letter of RFC 2047
    // but often normalised to one space by readers: where it is anything but one space, the
    // plain word joins the encoded run so that the white space travels inside the encoding.
    loop {
        let mut changed = false;
        for i in 0..words.len() {
            let here = enc.get(i).copied().unwrap_or(false);
            let next_enc = enc.get(i + 1).copied().unwrap_or(false);
            let Some(&(ws_next, w_next)) = words.get(i + 1) else {
                break;
            };
            if w_next.is_empty() || ws_next == " " || here == next_enc {
                continue;
            }
            if let Some(e) = enc.get_mut(if here { i + 1 } else { i }) {
                *e = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&(ws, word)) = words.get(i) {
        if !enc.get(i).copied().unwrap_or(false) {
            out.push(Token::new(ws, word));
            i += 1;
            continue;
        }
        // A run of words to encode: extend while the next word is encoded too.
        let mut run = String::from(word);
        let mut j = i + 1;
        while let Some(&(ws2, w2)) = words.get(j) {
            if !enc.get(j).copied().unwrap_or(false) {
                break;
            }
            run.push_str(ws2);
            run.push_str(w2);
            j += 1;
        }
        for (k, ew) in encoded_words(&run).into_iter().enumerate() {
            out.push(Token::encoded(if k == 0 { ws } else { " " }, ew));
        }
        i = j;
    }
    Ok(out)
}

/// Writes a whole unstructured field (`Subject`, `Comments`, any field without structure),
/// folded, with encoded words where needed, ending with CRLF.
///
/// Leading and trailing white space of the value is not kept (readers drop it).
///
/// ```
/// let f = rfc5322::encode::unstructured("Subject", "Re: Réunion planning").unwrap();
/// assert_eq!(f, "Subject: Re: =?utf-8?q?R=C3=A9union?= planning\r\n");
/// assert!(rfc5322::encode::unstructured("Subject", "hi\r\nBcc: x@y").is_err());
/// ```
pub fn unstructured(name: &str, value: &str) -> Result<String, EncodeError> {
    let mut f = FieldWriter::new(name)?;
    let mut toks = unstructured_tokens(value.trim_matches([' ', '\t']))?;
    if let Some(first) = toks.first_mut() {
        first.sep = " ".to_owned();
    }
    f.push_tokens(&toks)?;
    Ok(f.finish())
}

/// RFC 5322 section 3.2.3 `atext`; non-ASCII characters count as atext (RFC 6532 section 3.2).
pub(crate) fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

fn is_dot_atom(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|a| !a.is_empty() && a.chars().all(is_atext))
}

/// A quoted string (RFC 5322 section 3.2.4) holding `s`, with `"` and `\` escaped.
fn quoted(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}

/// Tokens for a display name (a `phrase`, RFC 5322 section 3.2.5); the first token has `sep`.
///
/// - Words of `atext` separated by single spaces are written as they are.
/// - A name with specials (`"(),.:;<>@[\]`), or irregular spacing, becomes a quoted string
///   (breakable at its inner spaces).
/// - A name with non-ASCII or control characters, or `=?`, or too long a word, becomes encoded
///   words covering the whole name (RFC 2047 section 5 (3)).
pub(crate) fn phrase_tokens(name: &str, sep: &str) -> Result<Vec<Token>, EncodeError> {
    check_no_line_break("display name", name)?;
    let needs_ew = !name.chars().all(|c| c == ' ' || c.is_ascii_graphic())
        || name.contains("=?")
        || name.split(' ').any(|w| w.len() > MAX_WORD);
    if needs_ew {
        return Ok(encoded_words(name)
            .into_iter()
            .enumerate()
            .map(|(k, w)| Token::encoded(if k == 0 { sep } else { " " }, w))
            .collect());
    }
    let atoms = !name.is_empty()
        && name
            .split(' ')
            .all(|w| !w.is_empty() && w.chars().all(is_atext));
    if atoms {
        return Ok(name
            .split(' ')
            .enumerate()
            .map(|(k, w)| Token::new(if k == 0 { sep } else { " " }, w))
            .collect());
    }
    // A quoted string, breakable at single inner spaces between non-space characters.
    let q = quoted(name);
    let mut out = Vec::new();
    let mut piece = String::new();
    let mut chars = q.char_indices().peekable();
    let mut prev = '"';
    while let Some((_, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        if c == ' '
            && prev != ' '
            && next.is_some_and(|n| n != ' ' && n != '"')
            && !piece.is_empty()
        {
            out.push(Token::new(
                if out.is_empty() { sep } else { " " },
                piece.clone(),
            ));
            piece.clear();
        } else {
            piece.push(c);
        }
        prev = c;
    }
    out.push(Token::new(if out.is_empty() { sep } else { " " }, piece));
    Ok(out)
}

/// A display name as written in a header: atoms, a quoted string, or encoded words.
///
/// ```
/// use rfc5322::encode::display_name;
/// assert_eq!(display_name("John Smith").unwrap(), "John Smith");
/// assert_eq!(display_name("Smith, John").unwrap(), "\"Smith, John\"");
/// assert_eq!(display_name("a \"b\"").unwrap(), r#""a \"b\"""#);
/// assert_eq!(display_name("André Dupont-Lefèvre").unwrap(), "=?utf-8?q?Andr=C3=A9_Dupont-Lef=C3=A8vre?=");
/// ```
pub fn display_name(name: &str) -> Result<String, EncodeError> {
    Ok(phrase_tokens(name, "")?
        .into_iter()
        .map(|t| t.sep + &t.text)
        .collect())
}

/// An `addr-spec` (RFC 5322 section 3.4.1): the local part as a dot-atom or a quoted string,
/// the domain as a dot-atom or a domain literal. Non-ASCII characters are written as UTF-8
/// (RFC 6532 section 3.2). An empty domain gives the local part alone.
///
/// ```
/// use rfc5322::encode::addr_spec;
/// assert_eq!(addr_spec("john.smith", "example.com").unwrap(), "john.smith@example.com");
/// assert_eq!(addr_spec("john smith", "example.com").unwrap(), "\"john smith\"@example.com");
/// assert_eq!(addr_spec("x", "[192.0.2.1]").unwrap(), "x@[192.0.2.1]");
/// assert!(addr_spec("x", "exa mple.com").is_err());
/// ```
pub fn addr_spec(local_part: &str, domain: &str) -> Result<String, EncodeError> {
    check_no_line_break("local part", local_part)?;
    check_no_line_break("domain", domain)?;
    let local = if is_dot_atom(local_part) {
        local_part.to_owned()
    } else if local_part
        .chars()
        .all(|c| c == ' ' || c == '\t' || !c.is_ascii_control())
    {
        quoted(local_part)
    } else {
        return Err(EncodeError::Address(format!(
            "control character in local part {local_part:?}"
        )));
    };
    if domain.is_empty() {
        return Ok(local);
    }
    let domain_ok = if let Some(inner) = domain.strip_prefix('[').and_then(|d| d.strip_suffix(']'))
    {
        // RFC 5322 section 3.4.1 `dtext`: printable ASCII except `[`, `]` and `\`.
        inner
            .bytes()
            .all(|b| (33..=126).contains(&b) && !matches!(b, b'[' | b']' | b'\\'))
    } else {
        is_dot_atom(domain)
    };
    if !domain_ok {
        return Err(EncodeError::Address(format!("invalid domain {domain:?}")));
    }
    Ok(format!("{local}@{domain}"))
}

/// Tokens for a mailbox (`name <addr>` or a bare `addr`), the first with `sep`.
pub(crate) fn mailbox_tokens(m: &crate::Mailbox, sep: &str) -> Result<Vec<Token>, EncodeError> {
    let addr = addr_spec(&m.local_part, &m.domain)?;
    // A phrase's leading and trailing white space means nothing (RFC 5322 section 3.2.5).
    let name = m.name.as_deref().map(|n| n.trim_matches([' ', '\t']));
    match name.filter(|n| !n.is_empty()) {
        Some(name) => {
            let mut t = phrase_tokens(name, sep)?;
            t.push(Token::new(" ", format!("<{addr}>")));
            Ok(t)
        }
        None if m.domain.is_empty() => Err(EncodeError::Address(format!(
            "mailbox {:?} has no domain",
            m.local_part
        ))),
        None => Ok(vec![Token::new(sep, addr)]),
    }
}

/// Tokens for an address list (RFC 5322 section 3.4, `address-list`): commas after each
/// address but the last, breaks after the commas and inside display names.
/// Joins the tokens of one mailbox into one piece when it fits on a line of its own, so that
/// an address list folds after its commas rather than inside display names.
fn keep_together(tokens: Vec<Token>) -> Vec<Token> {
    let mut it = tokens.iter();
    let Some(first) = it.next() else {
        return tokens;
    };
    let len = first.text.len() + it.map(|t| t.sep.len() + t.text.len()).sum::<usize>();
    if tokens.len() < 2 || len > EW_LINE - 2 {
        return tokens;
    }
    let mut joined = Token::new(&first.sep, first.text.clone());
    for t in tokens.iter().skip(1) {
        joined.text.push_str(&t.sep);
        joined.text.push_str(&t.text);
    }
    joined.encoded = tokens.iter().any(|t| t.encoded);
    vec![joined]
}

pub(crate) fn address_list_tokens(list: &[crate::Address]) -> Result<Vec<Token>, EncodeError> {
    let mut out: Vec<Token> = Vec::new();
    for (i, a) in list.iter().enumerate() {
        if i > 0
            && let Some(last) = out.last_mut()
        {
            last.text.push(',');
        }
        match a {
            crate::Address::Mailbox(m) => out.extend(keep_together(mailbox_tokens(m, " ")?)),
            crate::Address::Group(g) => {
                let mut t = phrase_tokens(&g.name, " ")?;
                if t.is_empty() {
                    return Err(EncodeError::Address("group without a name".to_owned()));
                }
                if let Some(last) = t.last_mut() {
                    last.text.push(':');
                }
                out.extend(t);
                for (k, m) in g.members.iter().enumerate() {
                    if k > 0
                        && let Some(last) = out.last_mut()
                    {
                        last.text.push(',');
                    }
                    out.extend(keep_together(mailbox_tokens(m, " ")?));
                }
                if let Some(last) = out.last_mut() {
                    last.text.push(';');
                }
            }
            #[allow(unreachable_patterns)]
            _ => return Err(EncodeError::Address("unsupported address kind".to_owned())),
        }
    }
    Ok(out)
}

/// A mailbox as written in a header (`name <local@domain>` or `local@domain`), on one line.
///
/// ```
/// use rfc5322::{encode::mailbox, Mailbox};
/// let m = Mailbox::new(Some("Doe, Jane"), "jane", "example.com");
/// assert_eq!(mailbox(&m).unwrap(), "\"Doe, Jane\" <jane@example.com>");
/// ```
pub fn mailbox(m: &crate::Mailbox) -> Result<String, EncodeError> {
    Ok(mailbox_tokens(m, "")?
        .into_iter()
        .map(|t| t.sep + &t.text)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_before_white_space() {
        let v = "word ".repeat(40);
        let f = unstructured("Subject", &v).unwrap();
        for l in f.trim_end().split("\r\n") {
            assert!(l.len() <= 78);
        }
        assert_eq!(f.replace("\r\n", ""), format!("Subject: {}", v.trim_end()));
    }

    #[test]
    fn lines_with_encoded_words_stay_within_76() {
        let v = "naïve ".repeat(30);
        let f = unstructured("Subject", &v).unwrap();
        for l in f.trim_end().split("\r\n") {
            assert!(l.len() <= 76, "{l}");
        }
    }

    #[test]
    fn overlong_piece_is_refused() {
        let mut f = FieldWriter::new("Message-ID").unwrap();
        assert!(matches!(
            f.push(" ", &format!("<{}@x>", "a".repeat(1000))),
            Err(EncodeError::LineTooLong { .. })
        ));
    }

    #[test]
    fn bad_names() {
        assert!(FieldWriter::new("").is_err());
        assert!(FieldWriter::new("X:Y").is_err());
        assert!(FieldWriter::new("X Y").is_err());
    }
}
