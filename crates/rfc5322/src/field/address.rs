//! Address lists (RFC 5322 section 3.4 and the obsolete forms of section 4.4): groups,
//! display names (quoted, encoded words, comments), obs-route, obs-local-part, domain
//! literals. Lenient: whatever cannot be read becomes a best-effort mailbox with a defect.

use std::borrow::Cow;

use crate::address::{Address, Group, Mailbox};
use crate::decode::{charset, encoded_word};
use crate::defect::{Defect, DefectKind};
use crate::field::lex::{Lexer, is_ws};

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    /// An atom (dots included), raw bytes, and where it starts in the value.
    Atom(&'a [u8], usize),
    /// A quoted string's content, and where it starts in the value.
    Quoted(Cow<'a, [u8]>, usize),
    /// A comment as written, parentheses included (its text is read when needed).
    Comment(&'a [u8]),
    /// A domain literal with its brackets, and where it starts in the value.
    Literal(Cow<'a, [u8]>, usize),
    /// One of `< > , : ; @`.
    Special(u8),
}

/// Bytes of an atom here: anything but white space and `()<>,:;@"[` (dots included, for
/// dot-atoms and the obsolete forms).
const fn atom_byte(b: u8) -> bool {
    !matches!(
        b,
        b' ' | b'\t'
            | b'\r'
            | b'\n'
            | b'('
            | b')'
            | b'<'
            | b'>'
            | b','
            | b':'
            | b';'
            | b'@'
            | b'"'
            | b'['
    )
}

/// [`atom_byte`] as a table: one load per byte instead of a branch tree.
static ATOM_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut rest: &mut [bool] = &mut t;
    let mut b = 0u8;
    while let [first, tail @ ..] = rest {
        *first = atom_byte(b);
        rest = tail;
        b = b.wrapping_add(1);
    }
    t
};

fn is_atom_byte(b: u8) -> bool {
    ATOM_BYTE.get(usize::from(b)) == Some(&true)
}

fn tokenize<'a>(lx: &mut Lexer<'a>) -> Vec<Tok<'a>> {
    // About one token per five octets of a typical list; grows when needed.
    let mut toks = Vec::with_capacity(lx.s.len() / 5 + 4);
    loop {
        lx.skip_ws();
        let Some(b) = lx.peek() else { break };
        match b {
            b'(' => {
                let start = lx.pos;
                lx.skip_comment();
                toks.push(Tok::Comment(lx.s.get(start..lx.pos).unwrap_or(&[])));
            }
            b'"' => {
                let at = lx.pos + 1;
                toks.push(Tok::Quoted(lx.quoted_cow(), at));
            }
            b'[' => {
                let start = lx.pos;
                lx.pos += 1;
                while let Some(c) = lx.peek() {
                    lx.pos += 1;
                    if c == b'\\' {
                        lx.pos += 1;
                    } else if c == b']' {
                        break;
                    }
                }
                let raw = lx.s.get(start..lx.pos.min(lx.s.len())).unwrap_or(&[]);
                let lit: Cow<'a, [u8]> = if raw.iter().any(|&c| is_ws(c)) {
                    Cow::Owned(raw.iter().copied().filter(|&c| !is_ws(c)).collect())
                } else {
                    Cow::Borrowed(raw)
                };
                toks.push(Tok::Literal(lit, start));
            }
            b'<' | b'>' | b',' | b':' | b';' | b'@' => {
                lx.pos += 1;
                toks.push(Tok::Special(b));
            }
            _ => {
                let start = lx.pos;
                let a = lx.take_while(is_atom_byte);
                if a.is_empty() {
                    lx.pos += 1;
                } else {
                    toks.push(Tok::Atom(a, start));
                }
            }
        }
    }
    toks
}

fn text(b: &[u8]) -> String {
    charset::bytes_to_text(b).into_owned()
}

/// The text of a comment token (nested parentheses kept, quoted pairs resolved, white
/// space runs collapsed); its defects were recorded when it was tokenized.
fn comment_text(raw: &[u8]) -> String {
    Lexer::new(raw, usize::MAX, 0).comment()
}

/// The bytes the words of a phrase join to, when they are a span of the input: one atom,
/// one quoted string without quoted pairs or folds, or atoms separated by single spaces.
/// Returns the span's start and its bytes.
fn contiguous<'a>(toks: &[Tok<'a>], s: &'a [u8]) -> Option<(usize, &'a [u8])> {
    let mut words = toks.iter().filter(|t| !matches!(t, Tok::Comment(_)));
    let first = words.next()?;
    let Some(second) = words.next() else {
        return match first {
            Tok::Atom(a, at) | Tok::Quoted(Cow::Borrowed(a), at) => Some((*at, a)),
            _ => None,
        };
    };
    if toks.iter().any(|t| matches!(t, Tok::Comment(_))) {
        return None;
    }
    let Tok::Atom(a, start) = first else {
        return None;
    };
    let mut end = start + a.len();
    for t in std::iter::once(second).chain(words) {
        let Tok::Atom(a, at) = t else {
            return None;
        };
        if *at != end + 1 || s.get(end) != Some(&b' ') {
            return None;
        }
        end = at + a.len();
    }
    Some((*start, s.get(*start..end)?))
}

/// Builds a display name from phrase tokens: words joined by one space, encoded words
/// decoded (also inside quoted strings, as many mailers write them). Borrows the input when
/// the name is a span of it with nothing to decode.
fn phrase<'a>(
    toks: &[Tok<'a>],
    lx: &Lexer<'a>,
    defects: &mut Vec<Defect>,
    offset: usize,
    decode: bool,
) -> Option<Cow<'a, str>> {
    let joined: Vec<u8>;
    let span = contiguous(toks, lx.s);
    let raw: &[u8] = match span {
        Some((_, r)) => r,
        None => {
            let mut raw: Vec<u8> = Vec::with_capacity(64);
            let mut any = false;
            let mut last_special = false;
            for t in toks {
                let w: &[u8] = match t {
                    Tok::Atom(a, _) => a,
                    Tok::Quoted(q, _) => q,
                    Tok::Literal(l, _) => l,
                    Tok::Special(s) => std::slice::from_ref(s),
                    Tok::Comment(_) => continue,
                };
                let special = matches!(t, Tok::Special(_));
                if any && !special && !last_special {
                    raw.push(b' ');
                }
                raw.extend_from_slice(w);
                any = true;
                last_special = special;
            }
            if !any {
                return None;
            }
            joined = raw;
            &joined
        }
    };
    let quoted_only = toks
        .iter()
        .all(|t| matches!(t, Tok::Quoted(..) | Tok::Comment(_)));
    if !decode {
        return Some(Cow::Owned(collapse(&text(raw))));
    }
    if !encoded_word::may_hold_encoded_word(raw) {
        // A lone quoted string is kept exactly (spaces included); other phrases have their
        // white space runs read as one space.
        if quoted_only
            || !raw.iter().any(|&b| b == b'\t' || b == b'\r' || b == b'\n')
                && !raw.windows(2).any(|w| w == b"  ")
        {
            return Some(match span {
                Some((at, r)) => lx.text_of(at, r.len()),
                None => Cow::Owned(text(raw)),
            });
        }
        return Some(Cow::Owned(collapse(&text(raw))));
    }
    Some(Cow::Owned(encoded_word::decode_phrase(
        raw, defects, offset,
    )))
}

fn comments_text<'a>(
    toks: &[Tok<'a>],
    defects: &mut Vec<Defect>,
    offset: usize,
    decode: bool,
) -> Option<Cow<'a, str>> {
    if !toks.iter().any(|t| matches!(t, Tok::Comment(_))) {
        return None;
    }
    let parts: Vec<String> = toks
        .iter()
        .filter_map(|t| match t {
            Tok::Comment(c) => Some(comment_text(c)),
            _ => None,
        })
        .filter(|c| !c.is_empty())
        .collect();
    if parts.is_empty() {
        return None;
    }
    let joined = parts.join(" ");
    if !decode {
        return Some(Cow::Owned(joined));
    }
    Some(Cow::Owned(encoded_word::decode_phrase(
        joined.as_bytes(),
        defects,
        offset,
    )))
}

/// Joins the words of a local part or domain; borrows when there is one word that needs no
/// change.
fn join<'a>(ts: &[Tok<'a>], lx: &Lexer<'a>) -> Cow<'a, str> {
    let mut words = ts.iter().filter(|t| !matches!(t, Tok::Comment(_)));
    if let (
        Some(
            Tok::Atom(a, at)
            | Tok::Quoted(Cow::Borrowed(a), at)
            | Tok::Literal(Cow::Borrowed(a), at),
        ),
        None,
    ) = (words.next(), words.next())
    {
        return lx.text_of(*at, a.len());
    }
    let mut s = Vec::new();
    for t in ts {
        match t {
            Tok::Atom(a, _) => s.extend_from_slice(a),
            Tok::Quoted(q, _) => s.extend_from_slice(q),
            Tok::Literal(l, _) => s.extend_from_slice(l),
            Tok::Special(c) => s.push(*c),
            Tok::Comment(_) => {}
        }
    }
    Cow::Owned(text(&s))
}

fn word_count(ts: &[Tok<'_>]) -> usize {
    ts.iter().filter(|t| !matches!(t, Tok::Comment(_))).count()
}

/// Reads an addr-spec from tokens: local part before the last `@`, domain after.
fn addr_spec<'a>(
    toks: &[Tok<'a>],
    lx: &Lexer<'a>,
    mb: &mut Mailbox<'a>,
    defects: &mut Vec<Defect>,
    offset: usize,
) {
    match toks.iter().rposition(|t| matches!(t, Tok::Special(b'@'))) {
        Some(i) => {
            let (l, d) = toks.split_at(i);
            let d = d.get(1..).unwrap_or(&[]);
            mb.local_part = join(l, lx);
            mb.domain = join(d, lx);
            if mb.local_part.is_empty() || mb.domain.is_empty() {
                defects.push(Defect::new(DefectKind::BadAddress, offset));
            }
            if word_count(l) > 1 || word_count(d) > 1 {
                defects.push(Defect::new(DefectKind::ObsoleteSyntax, offset));
            }
        }
        None => {
            mb.local_part = join(toks, lx);
            if !mb.local_part.is_empty() {
                defects.push(Defect::new(DefectKind::BadAddress, offset));
            }
        }
    }
}

/// Parses one mailbox from its tokens.
fn mailbox<'a>(
    toks: &[Tok<'a>],
    lx: &Lexer<'a>,
    defects: &mut Vec<Defect>,
    offset: usize,
    decode: bool,
) -> Option<Mailbox<'a>> {
    if toks.is_empty() {
        return None;
    }
    let mut mb = Mailbox::default();
    if let Some(lt) = toks.iter().position(|t| matches!(t, Tok::Special(b'<'))) {
        let (before, rest) = toks.split_at(lt);
        let rest = rest.get(1..).unwrap_or(&[]);
        let gt = rest
            .iter()
            .position(|t| matches!(t, Tok::Special(b'>')))
            .unwrap_or_else(|| {
                defects.push(Defect::new(DefectKind::BadAddress, offset));
                rest.len()
            });
        let (inside, after) = rest.split_at(gt);
        let after = after.get(1..).unwrap_or(&[]);
        // obs-route: "@a,@b:" before the addr-spec.
        let mut inside = inside;
        if matches!(inside.first(), Some(Tok::Special(b'@')))
            && let Some(colon) = inside.iter().position(|t| matches!(t, Tok::Special(b':')))
        {
            let (route, spec) = inside.split_at(colon);
            for t in route {
                match t {
                    Tok::Atom(a, at) => mb.route.push(lx.text_of(*at, a.len())),
                    Tok::Literal(a, _) => mb.route.push(Cow::Owned(text(a))),
                    _ => {}
                }
            }
            defects.push(Defect::new(DefectKind::ObsoleteSyntax, offset));
            inside = spec.get(1..).unwrap_or(&[]);
        }
        addr_spec(inside, lx, &mut mb, defects, offset);
        mb.name = phrase(before, lx, defects, offset, decode)
            .or_else(|| phrase(after, lx, defects, offset, decode))
            .or_else(|| comments_text(after, defects, offset, decode))
            .or_else(|| comments_text(before, defects, offset, decode));
    } else {
        // A comment alone is no address (RFC 5322 section 3.4): `undisclosed-recipients:;
        // (comment)` and `From: (comment)` hold no mailbox.
        if word_count(toks) == 0 {
            return None;
        }
        addr_spec(toks, lx, &mut mb, defects, offset);
        mb.name = comments_text(toks, defects, offset, decode);
    }
    if mb.local_part.is_empty() && mb.domain.is_empty() && mb.name.is_none() {
        return None;
    }
    Some(mb)
}

/// Parses an address list (From, To, Cc, Bcc, Reply-To, ...). Empty elements (`a@b, , c@d`,
/// RFC 5322 section 4.4) are skipped. The strings borrow from `raw` where they can.
pub fn parse_address_list<'a>(
    raw: &'a [u8],
    max_depth: usize,
    defects: &mut Vec<Defect>,
    offset: usize,
) -> Vec<Address<'a>> {
    match simple_list(raw) {
        Some(list) => list,
        None => parse_list(raw, max_depth, true, defects, offset),
    }
}

/// The common forms of a list, read without tokens: `local@domain`, `Name <local@domain>`
/// (atoms separated by single spaces) and `"Name" <local@domain>`, separated by commas.
/// `None` (the general parser takes over) for anything else or anything that would be a
/// defect: comments, quoted pairs, groups, routes, literals, encoded words, folded names,
/// white space inside the angle brackets. What it returns is what the general parser
/// returns.
fn simple_list(raw: &[u8]) -> Option<Vec<Address<'_>>> {
    if memchr::memchr3(b'(', b'\\', b':', raw).is_some()
        || memchr::memchr2(b';', b'[', raw).is_some()
    {
        return None;
    }
    let text = std::str::from_utf8(raw).ok()?;
    let at = |i: usize| raw.get(i).copied();
    let atom_end = |mut i: usize| {
        while at(i).is_some_and(is_atom_byte) {
            i += 1;
        }
        i
    };
    let skip_ws = |mut i: usize| {
        while at(i).is_some_and(is_ws) {
            i += 1;
        }
        i
    };
    // `local@domain>` from `i`: the two spans and the position after `>` (or after the
    // domain when `close` is false).
    let spec = |i: usize, close: bool| -> Option<(&str, &str, usize)> {
        let l = atom_end(i);
        if l == i || at(l) != Some(b'@') {
            return None;
        }
        let d = atom_end(l + 1);
        if d == l + 1 {
            return None;
        }
        let end = if close {
            (at(d) == Some(b'>')).then_some(d + 1)?
        } else {
            d
        };
        Some((text.get(i..l)?, text.get(l + 1..d)?, end))
    };
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        pos = skip_ws(pos);
        let Some(b) = at(pos) else {
            return Some(out);
        };
        if b == b',' {
            pos += 1;
            continue;
        }
        let (name, local, domain, end) = if b == b'<' {
            let (l, d, end) = spec(pos + 1, true)?;
            (None, l, d, end)
        } else if b == b'"' {
            let start = pos + 1;
            let len = memchr::memchr3(b'"', b'\r', b'\n', raw.get(start..)?)?;
            if at(start + len) != Some(b'"') {
                return None;
            }
            let name = text.get(start..start + len)?;
            pos = skip_ws(start + len + 1);
            if at(pos) != Some(b'<') || encoded_word::may_hold_encoded_word(name.as_bytes()) {
                return None;
            }
            let (l, d, end) = spec(pos + 1, true)?;
            (Some(name), l, d, end)
        } else if let Some((l, d, end)) = spec(pos, false) {
            (None, l, d, end)
        } else {
            // Atoms separated by single spaces, then `<`.
            let start = pos;
            let mut end = atom_end(pos);
            while at(end) == Some(b' ') && at(end + 1).is_some_and(is_atom_byte) {
                end = atom_end(end + 1);
            }
            let name = text.get(start..end)?;
            pos = skip_ws(end);
            if end == start
                || at(pos) != Some(b'<')
                || encoded_word::may_hold_encoded_word(name.as_bytes())
            {
                return None;
            }
            let (l, d, end) = spec(pos + 1, true)?;
            (Some(name), l, d, end)
        };
        pos = skip_ws(end);
        if !matches!(at(pos), None | Some(b',')) {
            return None;
        }
        out.push(Address::Mailbox(Mailbox {
            name: name.map(Cow::Borrowed),
            route: Vec::new(),
            local_part: Cow::Borrowed(local),
            domain: Cow::Borrowed(domain),
        }));
    }
}

/// Parses an address list without decoding RFC 2047 encoded words in names (the IMAP
/// ENVELOPE keeps them as they are, RFC 3501 section 7.4.2).
pub fn parse_address_list_raw(raw: &[u8], max_depth: usize) -> Vec<Address<'_>> {
    parse_list(raw, max_depth, false, &mut Vec::new(), 0)
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn parse_list<'a>(
    raw: &'a [u8],
    max_depth: usize,
    decode: bool,
    defects: &mut Vec<Defect>,
    offset: usize,
) -> Vec<Address<'a>> {
    let mut lx = Lexer::with_text(raw, max_depth, offset);
    let toks = tokenize(&mut lx);
    defects.append(&mut lx.defects);
    let lx = &lx;
    let mut out = Vec::new();
    let mut group: Option<Group<'a>> = None;
    // The tokens of the current element are toks[start..i].
    let mut start = 0;
    let mut in_angle = false;
    let flush = |cur: &[Tok<'a>],
                 group: &mut Option<Group<'a>>,
                 out: &mut Vec<Address<'a>>,
                 defects: &mut Vec<Defect>| {
        if let Some(mb) = mailbox(cur, lx, defects, offset, decode) {
            match group.as_mut() {
                Some(g) => g.members.push(mb),
                None => out.push(Address::Mailbox(mb)),
            }
        }
    };
    for (i, t) in toks.iter().enumerate() {
        let cur = toks.get(start..i).unwrap_or(&[]);
        match t {
            Tok::Special(b'<') => in_angle = true,
            Tok::Special(b'>') => in_angle = false,
            Tok::Special(b',') if !in_angle => {
                flush(cur, &mut group, &mut out, defects);
                start = i + 1;
            }
            Tok::Special(b':') if !in_angle => {
                if group.is_some() {
                    // Groups do not nest (RFC 5322 section 3.4).
                    defects.push(Defect::new(DefectKind::BadAddress, offset));
                } else {
                    let name = phrase(cur, lx, defects, offset, decode)
                        .or_else(|| comments_text(cur, defects, offset, decode))
                        .unwrap_or_default();
                    start = i + 1;
                    group = Some(Group {
                        name,
                        members: Vec::new(),
                    });
                }
            }
            Tok::Special(b';') if !in_angle => {
                flush(cur, &mut group, &mut out, defects);
                start = i + 1;
                if let Some(g) = group.take() {
                    out.push(Address::Group(g));
                }
            }
            _ => {}
        }
    }
    flush(
        toks.get(start..).unwrap_or(&[]),
        &mut group,
        &mut out,
        defects,
    );
    if let Some(g) = group.take() {
        defects.push(Defect::new(DefectKind::BadAddress, offset));
        out.push(Address::Group(g));
    }
    out
}

/// Parses a single addr-spec or mailbox (`Sender`, `Resent-Sender`, an isemail case).
pub fn parse_mailbox<'a>(
    raw: &'a [u8],
    max_depth: usize,
    defects: &mut Vec<Defect>,
    offset: usize,
) -> Option<Mailbox<'a>> {
    let list = parse_address_list(raw, max_depth, defects, offset);
    if list.len() > 1 {
        defects.push(Defect::new(DefectKind::BadAddress, offset));
    }
    match list.into_iter().next()? {
        Address::Mailbox(m) => Some(m),
        Address::Group(g) => {
            defects.push(Defect::new(DefectKind::BadAddress, offset));
            g.members.into_iter().next()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(s: &str) -> Vec<Address<'_>> {
        parse_address_list(s.as_bytes(), 32, &mut Vec::new(), 0)
    }

    /// The common-form reader agrees with the general parser wherever it answers, and the
    /// general parser finds no defect there.
    #[test]
    fn simple_forms_agree_with_the_general_parser() {
        let mut answered = 0;
        let mut check = |raw: &[u8]| {
            if let Some(l) = simple_list(raw) {
                answered += 1;
                let mut d = Vec::new();
                assert_eq!(l, parse_list(raw, 32, true, &mut d, 0), "{raw:?}");
                assert!(d.is_empty(), "{raw:?} {d:?}");
            }
        };
        for raw in [
            &b"a@b"[..],
            b"Joe Q. Public <john.q.public@example.com>, \"Mary  Smith\" <m@x.test>,, <c@d>",
            b"A  B <a@b>",
            b"\"=?utf-8?q?x?=\" <a@b>",
            b"=?utf-8?q?x?= <a@b>",
            b"a@b c@d",
            b"<a@b> x",
            b"\"a\r\n b\" <a@b>",
            b"a.b@c.d ,e@f",
            b"\xc3\xa9 <a@b>",
            b"\xe9 <a@b>",
        ] {
            check(raw);
        }
        let pieces: &[&[u8]] = &[
            b"a",
            b"@",
            b"<",
            b">",
            b",",
            b" ",
            b"\"",
            b"\r\n ",
            b".",
            b"=?",
            b":",
            b"\t",
            b"\xc3\xa9",
        ];
        crate::field::lex::each_string(pieces, 6, &mut check);
        assert!(answered > 10_000, "{answered}");
    }

    /// A comment that belongs to no mailbox is no address (RFC 5322 section 3.4: a group
    /// ends in `";" [CFWS]`).
    #[test]
    fn a_lone_comment_is_no_mailbox() {
        let empty_group = |name: &'static str| {
            vec![Address::Group(Group {
                name: name.into(),
                members: vec![],
            })]
        };
        assert_eq!(
            list("undisclosed-recipients:; (comment)"),
            empty_group("undisclosed-recipients")
        );
        assert_eq!(
            list("unlisted-recipients:; (no To-header on input)"),
            empty_group("unlisted-recipients")
        );
        assert_eq!(list("(comment)"), vec![]);
        assert_eq!(list(" (a) , (b (c)) "), vec![]);
        assert_eq!(
            parse_address_list_raw(b"undisclosed-recipients:; (comment)", 32),
            empty_group("undisclosed-recipients")
        );
        // Kept: a comment after an address names it when there is no display name.
        assert_eq!(
            list("a@b (Name)"),
            vec![Address::Mailbox(Mailbox::new(Some("Name"), "a", "b"))]
        );
        assert_eq!(
            list("a@b, (lost)"),
            vec![Address::Mailbox(Mailbox::new(None, "a", "b"))]
        );
    }

    #[test]
    fn appendix_a_forms() {
        let l = list("\"Joe Q. Public\" <john.q.public@example.com>");
        assert_eq!(
            l,
            vec![Address::Mailbox(Mailbox::new(
                Some("Joe Q. Public"),
                "john.q.public",
                "example.com"
            ))]
        );
        let l = list("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;");
        let Address::Group(g) = &l[0] else { panic!() };
        assert_eq!(g.name, "A Group");
        assert_eq!(g.members.len(), 3);
        assert_eq!(g.members[1].addr_spec(), "joe@where.test");
        let l = list("Undisclosed recipients:;");
        assert_eq!(
            l,
            vec![Address::Group(Group {
                name: "Undisclosed recipients".into(),
                members: vec![]
            })]
        );
        let l = list("Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example");
        assert_eq!(l[0].mailboxes()[0].route, vec!["node.test".to_string()]);
        assert_eq!(l[1].mailboxes()[0].addr_spec(), "jdoe@test.example");
        let l = list("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>");
        assert_eq!(l[0].mailboxes()[0].addr_spec(), "pete@silly.test");
        assert_eq!(l[0].mailboxes()[0].name.as_deref(), Some("Pete"));
        let l = list("jdoe@[192.168.0.1]");
        assert_eq!(l[0].mailboxes()[0].domain, "[192.168.0.1]");
    }
}
