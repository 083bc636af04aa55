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
    /// An atom (dots included), raw bytes.
    Atom(&'a [u8]),
    /// A quoted string's content.
    Quoted(Cow<'a, [u8]>),
    /// A comment's text.
    Comment(String),
    /// A domain literal with its brackets.
    Literal(Cow<'a, [u8]>),
    /// One of `< > , : ; @`.
    Special(u8),
}

fn is_atom_byte(b: u8) -> bool {
    !is_ws(b) && !b"()<>,:;@\"[".contains(&b)
}

fn tokenize<'a>(lx: &mut Lexer<'a>) -> Vec<Tok<'a>> {
    let mut toks = Vec::new();
    loop {
        lx.skip_ws();
        let Some(b) = lx.peek() else { break };
        match b {
            b'(' => {
                let c = lx.comment();
                toks.push(Tok::Comment(c));
            }
            b'"' => toks.push(Tok::Quoted(lx.quoted_cow())),
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
                toks.push(Tok::Literal(lit));
            }
            b'<' | b'>' | b',' | b':' | b';' | b'@' => {
                lx.pos += 1;
                toks.push(Tok::Special(b));
            }
            _ => {
                let a = lx.take_while(is_atom_byte);
                if a.is_empty() {
                    lx.pos += 1;
                } else {
                    toks.push(Tok::Atom(a));
                }
            }
        }
    }
    toks
}

fn text(b: &[u8]) -> String {
    charset::bytes_to_text(b).into_owned()
}

/// Builds a display name from phrase tokens: words joined by one space, encoded words
/// decoded (also inside quoted strings, as many mailers write them).
fn phrase(toks: &[Tok], defects: &mut Vec<Defect>, offset: usize, decode: bool) -> Option<String> {
    let mut raw: Vec<u8> = Vec::with_capacity(64);
    let mut any = false;
    let mut last_special = false;
    for t in toks {
        let w: &[u8] = match t {
            Tok::Atom(a) => a,
            Tok::Quoted(q) => q,
            Tok::Literal(l) => l,
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
    let quoted_only = toks
        .iter()
        .all(|t| matches!(t, Tok::Quoted(_) | Tok::Comment(_)));
    if !decode {
        return Some(collapse(&text(&raw)));
    }
    if !encoded_word::may_hold_encoded_word(&raw) {
        // A lone quoted string is kept exactly (spaces included); other phrases have their
        // white space runs read as one space.
        if quoted_only
            || !raw.iter().any(|&b| b == b'\t' || b == b'\r' || b == b'\n')
                && !raw.windows(2).any(|w| w == b"  ")
        {
            return Some(text(&raw));
        }
        return Some(collapse(&text(&raw)));
    }
    Some(encoded_word::decode_phrase(&raw, defects, offset))
}

fn comments_text(
    toks: &[Tok],
    defects: &mut Vec<Defect>,
    offset: usize,
    decode: bool,
) -> Option<String> {
    let parts: Vec<String> = toks
        .iter()
        .filter_map(|t| match t {
            Tok::Comment(c) if !c.is_empty() => Some(c.clone()),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        return None;
    }
    let joined = parts.join(" ");
    if !decode {
        return Some(joined);
    }
    Some(encoded_word::decode_phrase(
        joined.as_bytes(),
        defects,
        offset,
    ))
}

/// Reads an addr-spec from tokens: local part before the last `@`, domain after.
fn addr_spec(toks: &[Tok], mb: &mut Mailbox, defects: &mut Vec<Defect>, offset: usize) {
    let words: Vec<&Tok> = toks
        .iter()
        .filter(|t| !matches!(t, Tok::Comment(_)))
        .collect();
    let at = words.iter().rposition(|t| matches!(t, Tok::Special(b'@')));
    let join = |ts: &[&Tok]| -> String {
        let mut s = Vec::new();
        for t in ts {
            match t {
                Tok::Atom(a) => s.extend_from_slice(a),
                Tok::Quoted(q) => s.extend_from_slice(q),
                Tok::Literal(l) => s.extend_from_slice(l),
                Tok::Special(c) => s.push(*c),
                Tok::Comment(_) => {}
            }
        }
        text(&s)
    };
    match at {
        Some(i) => {
            let (l, d) = words.split_at(i);
            let d = d.get(1..).unwrap_or(&[]);
            mb.local_part = join(l);
            mb.domain = join(d);
            if mb.local_part.is_empty() || mb.domain.is_empty() {
                defects.push(Defect::new(DefectKind::BadAddress, offset));
            }
            if l.len() > 1 || d.len() > 1 {
                defects.push(Defect::new(DefectKind::ObsoleteSyntax, offset));
            }
        }
        None => {
            mb.local_part = join(&words);
            if !mb.local_part.is_empty() {
                defects.push(Defect::new(DefectKind::BadAddress, offset));
            }
        }
    }
}

/// Parses one mailbox from its tokens.
fn mailbox(
    toks: &[Tok],
    defects: &mut Vec<Defect>,
    offset: usize,
    decode: bool,
) -> Option<Mailbox> {
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
                    Tok::Atom(a) => mb.route.push(text(a)),
                    Tok::Literal(a) => mb.route.push(text(a)),
                    _ => {}
                }
            }
            defects.push(Defect::new(DefectKind::ObsoleteSyntax, offset));
            inside = spec.get(1..).unwrap_or(&[]);
        }
        addr_spec(inside, &mut mb, defects, offset);
        mb.name = phrase(before, defects, offset, decode)
            .or_else(|| phrase(after, defects, offset, decode))
            .or_else(|| comments_text(after, defects, offset, decode))
            .or_else(|| comments_text(before, defects, offset, decode));
    } else {
        addr_spec(toks, &mut mb, defects, offset);
        mb.name = comments_text(toks, defects, offset, decode);
    }
    if mb.local_part.is_empty() && mb.domain.is_empty() && mb.name.is_none() {
        return None;
    }
    Some(mb)
}

/// Parses an address list (From, To, Cc, Bcc, Reply-To, ...). Empty elements (`a@b, , c@d`,
/// RFC 5322 section 4.4) are skipped.
pub fn parse_address_list(
    raw: &[u8],
    max_depth: usize,
    defects: &mut Vec<Defect>,
    offset: usize,
) -> Vec<Address> {
    parse_list(raw, max_depth, true, defects, offset)
}

/// Parses an address list without decoding RFC 2047 encoded words in names (the IMAP
/// ENVELOPE keeps them as they are, RFC 3501 section 7.4.2).
pub fn parse_address_list_raw(raw: &[u8], max_depth: usize) -> Vec<Address> {
    parse_list(raw, max_depth, false, &mut Vec::new(), 0)
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn parse_list(
    raw: &[u8],
    max_depth: usize,
    decode: bool,
    defects: &mut Vec<Defect>,
    offset: usize,
) -> Vec<Address> {
    let mut lx = Lexer::new(raw, max_depth, offset);
    let toks = tokenize(&mut lx);
    defects.append(&mut lx.defects);
    let mut out = Vec::new();
    let mut group: Option<Group> = None;
    let mut cur: Vec<Tok> = Vec::new();
    let mut in_angle = false;
    let flush = |cur: &mut Vec<Tok>,
                 group: &mut Option<Group>,
                 out: &mut Vec<Address>,
                 defects: &mut Vec<Defect>| {
        if let Some(mb) = mailbox(cur, defects, offset, decode) {
            match group.as_mut() {
                Some(g) => g.members.push(mb),
                None => out.push(Address::Mailbox(mb)),
            }
        }
        cur.clear();
    };
    for t in toks {
        match t {
            Tok::Special(b'<') => {
                in_angle = true;
                cur.push(t);
            }
            Tok::Special(b'>') => {
                in_angle = false;
                cur.push(t);
            }
            Tok::Special(b',') if !in_angle => flush(&mut cur, &mut group, &mut out, defects),
            Tok::Special(b':') if !in_angle => {
                if group.is_some() {
                    // Groups do not nest (RFC 5322 section 3.4).
                    defects.push(Defect::new(DefectKind::BadAddress, offset));
                    cur.push(t);
                } else {
                    let name = phrase(&cur, defects, offset, decode)
                        .or_else(|| comments_text(&cur, defects, offset, decode))
                        .unwrap_or_default();
                    cur.clear();
                    group = Some(Group {
                        name,
                        members: Vec::new(),
                    });
                }
            }
            Tok::Special(b';') if !in_angle => {
                flush(&mut cur, &mut group, &mut out, defects);
                if let Some(g) = group.take() {
                    out.push(Address::Group(g));
                }
            }
            _ => cur.push(t),
        }
    }
    flush(&mut cur, &mut group, &mut out, defects);
    if let Some(g) = group.take() {
        defects.push(Defect::new(DefectKind::BadAddress, offset));
        out.push(Address::Group(g));
    }
    out
}

/// Parses a single addr-spec or mailbox (`Sender`, `Resent-Sender`, an isemail case).
pub fn parse_mailbox(
    raw: &[u8],
    max_depth: usize,
    defects: &mut Vec<Defect>,
    offset: usize,
) -> Option<Mailbox> {
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

    fn list(s: &str) -> Vec<Address> {
        parse_address_list(s.as_bytes(), 32, &mut Vec::new(), 0)
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
