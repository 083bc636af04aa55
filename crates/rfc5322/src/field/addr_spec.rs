//! A strict reader of one addr-spec (RFC 5322 section 3.4.1, obsolete forms of section 4.4):
//! for validating an address a user typed, where the lenient list parser would guess.
//! Obsolete syntax is accepted with an [`DefectKind::ObsoleteSyntax`] defect; anything
//! outside the grammar is an [`AddrSpecError`].

use crate::address::Mailbox;
use crate::defect::{Defect, DefectKind};

/// Why an addr-spec was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddrSpecErrorKind {
    /// Nothing before the `@`.
    NoLocalPart,
    /// No `@` or nothing after it.
    NoDomain,
    /// Two dots in a row.
    ConsecutiveDots,
    /// A dot at the start of the local part or domain.
    DotStart,
    /// A dot at the end of the local part or domain.
    DotEnd,
    /// A character that cannot start or continue an atom here.
    ExpectingAtext,
    /// A character not allowed in a comment.
    ExpectingCtext,
    /// A character not allowed in a quoted string.
    ExpectingQtext,
    /// A character not allowed in a domain literal.
    ExpectingDtext,
    /// A quoted pair of a character outside US-ASCII.
    ExpectingQpair,
    /// A comment not closed.
    UnclosedComment,
    /// A quoted string not closed.
    UnclosedQuotedString,
    /// A domain literal not closed.
    UnclosedDomainLiteral,
    /// A CR not followed by LF.
    CrNoLf,
    /// A CRLF not followed by white space (folding must continue the line).
    FwsCrlfEnd,
    /// Two CRLF in a row.
    FwsCrlfX2,
    /// A backslash at the very end.
    BackslashEnd,
    /// An atom right after a comment or white space without a dot.
    AtextAfterCfws,
    /// An atom right after a quoted string without a dot.
    AtextAfterQuotedString,
    /// Text after a domain literal.
    AtextAfterDomainLiteral,
    /// A domain label starting with `-`.
    DomainHyphenStart,
    /// A domain label ending with `-`.
    DomainHyphenEnd,
}

/// An addr-spec that does not follow the grammar, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("invalid addr-spec: {kind:?} at offset {offset}")]
pub struct AddrSpecError {
    /// What was wrong.
    pub kind: AddrSpecErrorKind,
    /// Byte offset in the input.
    pub offset: usize,
}

type R<T> = Result<T, AddrSpecError>;
use AddrSpecErrorKind as K;

fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b) || b >= 0x80
}

fn is_obs_no_ws_ctl(b: u8) -> bool {
    matches!(b, 1..=8 | 11 | 12 | 14..=31 | 127)
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
    deprecated: Option<usize>,
}

impl P<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn err<T>(&self, kind: AddrSpecErrorKind) -> R<T> {
        Err(AddrSpecError {
            kind,
            offset: self.i,
        })
    }

    fn deprecate(&mut self) {
        if self.deprecated.is_none() {
            self.deprecated = Some(self.i);
        }
    }

    /// FWS (with obs-FWS): returns whether anything was consumed.
    fn fws(&mut self) -> R<bool> {
        let mut any = false;
        let mut folds = 0;
        let mut after_crlf = false;
        loop {
            match self.peek() {
                Some(b' ' | b'\t') => {
                    self.i += 1;
                    after_crlf = false;
                }
                Some(b'\r') => {
                    if self.s.get(self.i + 1) != Some(&b'\n') {
                        return self.err(K::CrNoLf);
                    }
                    if after_crlf {
                        return self.err(K::FwsCrlfX2);
                    }
                    self.i += 2;
                    folds += 1;
                    after_crlf = true;
                    match self.peek() {
                        Some(b' ' | b'\t' | b'\r') => {}
                        _ => return self.err(K::FwsCrlfEnd),
                    }
                }
                _ => break,
            }
            any = true;
        }
        if folds > 1 {
            self.deprecate();
        }
        Ok(any)
    }

    fn quoted_pair(&mut self) -> R<()> {
        self.i += 1;
        match self.peek() {
            None => self.err(K::BackslashEnd),
            Some(b) if (33..=126).contains(&b) || b == b' ' || b == b'\t' => {
                self.i += 1;
                Ok(())
            }
            Some(b) if b < 0x80 => {
                self.deprecate();
                self.i += 1;
                Ok(())
            }
            Some(_) => self.err(K::ExpectingQpair),
        }
    }

    fn comment(&mut self) -> R<()> {
        let mut depth = 0usize;
        loop {
            match self.peek() {
                None => return self.err(K::UnclosedComment),
                Some(b'(') => {
                    depth += 1;
                    self.i += 1;
                }
                Some(b')') => {
                    self.i += 1;
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Ok(());
                    }
                }
                Some(b'\\') => self.quoted_pair()?,
                Some(b' ' | b'\t' | b'\r') => {
                    self.fws()?;
                }
                Some(b) if is_obs_no_ws_ctl(b) => {
                    self.deprecate();
                    self.i += 1;
                }
                Some(b) if b == 0 || b == b'\n' => return self.err(K::ExpectingCtext),
                Some(_) => self.i += 1,
            }
        }
    }

    /// CFWS: returns whether anything was consumed.
    fn cfws(&mut self) -> R<bool> {
        let mut any = false;
        loop {
            if self.fws()? {
                any = true;
            }
            if self.peek() == Some(b'(') {
                self.comment()?;
                any = true;
            } else {
                return Ok(any);
            }
        }
    }

    fn quoted(&mut self, out: &mut Vec<u8>) -> R<()> {
        self.i += 1;
        loop {
            match self.peek() {
                None => return self.err(K::UnclosedQuotedString),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.quoted_pair()?;
                    if let Some(&c) = self.s.get(self.i - 1) {
                        out.push(c);
                    }
                }
                Some(b' ' | b'\t' | b'\r') => {
                    let s = self.i;
                    self.fws()?;
                    out.extend(
                        self.s
                            .get(s..self.i)
                            .unwrap_or(&[])
                            .iter()
                            .filter(|&&c| c != b'\r' && c != b'\n'),
                    );
                }
                Some(b) if is_obs_no_ws_ctl(b) => {
                    self.deprecate();
                    out.push(b);
                    self.i += 1;
                }
                Some(b) if b == 0 || b == b'\n' => return self.err(K::ExpectingQtext),
                Some(b) => {
                    out.push(b);
                    self.i += 1;
                }
            }
        }
    }

    fn atom(&mut self) -> &[u8] {
        let s = self.i;
        while self.peek().is_some_and(is_atext) {
            self.i += 1;
        }
        self.s.get(s..self.i).unwrap_or(&[])
    }
}

/// Reads one addr-spec strictly. Returns the mailbox (local part unquoted) and an
/// [`DefectKind::ObsoleteSyntax`] defect when obsolete syntax was used (CFWS around dots
/// or next to `@`, a quoted string mixed with atoms, obs-FWS, obs-qtext, obs-ctext,
/// obs-qp, obs-dtext).
pub fn parse_addr_spec_strict(s: &[u8]) -> Result<(Mailbox<'static>, Vec<Defect>), AddrSpecError> {
    let mut p = P {
        s,
        i: 0,
        deprecated: None,
    };
    let mut local = Vec::new();
    p.cfws()?;
    match p.peek() {
        Some(b'@') => return p.err(K::NoLocalPart),
        Some(b'.') => return p.err(K::DotStart),
        _ => {}
    }
    let mut words = 0;
    let mut quoted_any = false;
    loop {
        let quoted = match p.peek() {
            Some(b'"') => {
                p.quoted(&mut local)?;
                quoted_any = true;
                true
            }
            Some(b) if is_atext(b) => {
                let a = p.atom().to_vec();
                local.extend_from_slice(&a);
                false
            }
            None => return p.err(K::NoDomain),
            Some(b'.') => return p.err(K::ConsecutiveDots),
            Some(b'@') => return p.err(K::DotEnd),
            Some(_) => return p.err(K::ExpectingAtext),
        };
        words += 1;
        let after = p.cfws()?;
        match p.peek() {
            Some(b'.') => {
                if after {
                    p.deprecate();
                }
                p.i += 1;
                local.push(b'.');
                if p.cfws()? {
                    p.deprecate();
                }
            }
            Some(b'@') => {
                if after {
                    p.deprecate();
                }
                break;
            }
            None => return p.err(K::NoDomain),
            Some(b) if is_atext(b) && quoted && !after => return p.err(K::AtextAfterQuotedString),
            Some(b) if is_atext(b) && after => return p.err(K::AtextAfterCfws),
            Some(_) => return p.err(K::ExpectingAtext),
        }
    }
    if quoted_any && words > 1 {
        p.deprecate();
    }
    // The domain.
    p.i += 1;
    if p.cfws()? {
        p.deprecate();
    }
    let mut domain = Vec::new();
    match p.peek() {
        None => return p.err(K::NoDomain),
        Some(b'.') => return p.err(K::DotStart),
        Some(b'[') => {
            domain.push(b'[');
            p.i += 1;
            loop {
                match p.peek() {
                    None => return p.err(K::UnclosedDomainLiteral),
                    Some(b']') => {
                        p.i += 1;
                        domain.push(b']');
                        break;
                    }
                    Some(b'\\') => {
                        p.deprecate();
                        p.quoted_pair()?;
                        if let Some(&c) = p.s.get(p.i - 1) {
                            domain.push(c);
                        }
                    }
                    Some(b' ' | b'\t' | b'\r') => {
                        p.fws()?;
                    }
                    Some(b) if is_obs_no_ws_ctl(b) => {
                        p.deprecate();
                        p.i += 1;
                    }
                    Some(b) if (33..=90).contains(&b) || (94..=126).contains(&b) => {
                        domain.push(b);
                        p.i += 1;
                    }
                    Some(_) => return p.err(K::ExpectingDtext),
                }
            }
            p.cfws()?;
            match p.peek() {
                None => {}
                Some(b) if is_atext(b) => return p.err(K::AtextAfterDomainLiteral),
                Some(_) => return p.err(K::ExpectingAtext),
            }
        }
        Some(b) if is_atext(b) => loop {
            let label_start = p.i;
            let label = p.atom().to_vec();
            if label.first() == Some(&b'-') {
                p.i = label_start;
                return p.err(K::DomainHyphenStart);
            }
            if label.last() == Some(&b'-') {
                return p.err(K::DomainHyphenEnd);
            }
            domain.extend_from_slice(&label);
            let after = p.cfws()?;
            match p.peek() {
                None => break,
                Some(b'.') => {
                    if after {
                        p.deprecate();
                    }
                    p.i += 1;
                    domain.push(b'.');
                    if p.cfws()? {
                        p.deprecate();
                    }
                    match p.peek() {
                        None => return p.err(K::DotEnd),
                        Some(b'.') => return p.err(K::ConsecutiveDots),
                        Some(b) if is_atext(b) => {}
                        Some(_) => return p.err(K::ExpectingAtext),
                    }
                }
                Some(b) if is_atext(b) && after => return p.err(K::AtextAfterCfws),
                Some(_) => return p.err(K::ExpectingAtext),
            }
        },
        Some(_) => return p.err(K::ExpectingAtext),
    }
    let mut defects = Vec::new();
    if let Some(at) = p.deprecated {
        defects.push(Defect::new(DefectKind::ObsoleteSyntax, at));
    }
    let text =
        |v: &[u8]| std::borrow::Cow::Owned(crate::decode::charset::bytes_to_text(v).into_owned());
    Ok((
        Mailbox {
            name: None,
            route: Vec::new(),
            local_part: text(&local),
            domain: text(&domain),
        },
        defects,
    ))
}
