//! The Received trace field (RFC 5322 section 3.6.7, RFC 5321 section 4.4 `Stamp`):
//! `from`, `by`, `via`, `with`, `id` and `for` clauses, the address of the sending host from
//! the TCP-info comment, and the date-time after the last `;`.

use crate::date::DateTime;
use crate::field::date::parse_date;
use crate::field::lex::{Lexer, is_ws};

/// A parsed Received field. Clauses that are absent are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Received {
    /// The `from` domain (or address literal without brackets) as the client named itself.
    pub from: Option<String>,
    /// The IP address of the sending host, from the TCP-info comment after `from`.
    pub from_ip: Option<String>,
    /// The reverse-DNS name of the sending host, from the same comment.
    pub from_iprev: Option<String>,
    /// The `by` domain: the receiving host.
    pub by: Option<String>,
    /// The `via` link.
    pub via: Option<String>,
    /// The `with` protocol (`ESMTP`, `ESMTPS`, `LMTP`, ...).
    pub with: Option<String>,
    /// The `id` of the transaction (angle brackets removed).
    pub id: Option<String>,
    /// The `for` recipient (angle brackets removed).
    pub for_: Option<String>,
    /// The date-time after the last `;`.
    pub date: Option<DateTime>,
}

fn strip_brackets(s: &str) -> &str {
    s.trim_start_matches(['<', '['])
        .trim_end_matches(['>', ']'])
}

fn ip_of(s: &str) -> String {
    let s = s.trim_start_matches('(').trim_end_matches([')', ',']);
    // "[192.0.2.1]:25": a bracketed address with a port.
    let s = match s.rsplit_once("]:") {
        Some((a, p)) if p.bytes().all(|b| b.is_ascii_digit()) => a,
        _ => s,
    };
    let s = strip_brackets(s);
    // "192.0.2.1:25": an IPv4 address with a port.
    let s = match s.rsplit_once(':') {
        Some((a, p))
            if a.contains('.') && !a.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) =>
        {
            a
        }
        _ => s,
    };
    let s = s
        .strip_prefix("IPv6:")
        .or_else(|| s.strip_prefix("ipv6:"))
        .unwrap_or(s);
    s.to_owned()
}

fn looks_like_ip(s: &str) -> bool {
    let s = ip_of(s);
    if s.contains(':') {
        return s.parse::<std::net::Ipv6Addr>().is_ok()
            || s.split('%')
                .next()
                .is_some_and(|a| a.parse::<std::net::Ipv6Addr>().is_ok());
    }
    s.parse::<std::net::Ipv4Addr>().is_ok()
}

/// Reads the TCP-info comment `(name [ip])`, `([ip])`, `(name[ip])`, `(ip)` or `(name)`.
fn tcp_info(c: &str, r: &mut Received) {
    let mut name = None;
    for w in c.split([' ', '\t', ',']).filter(|w| !w.is_empty()) {
        // "name[ip]": split at the bracket.
        let (n, ip) = match w.find('[') {
            Some(0) => ("", w),
            Some(i) => (w.get(..i).unwrap_or(""), w.get(i..).unwrap_or("")),
            None => (w, ""),
        };
        if !ip.is_empty() {
            let ip = ip_of(ip);
            if looks_like_ip(&ip) && r.from_ip.is_none() {
                r.from_ip = Some(ip);
            }
        }
        if !n.is_empty() && name.is_none() {
            name = Some(n);
        }
    }
    if let Some(n) = name {
        let n = n.trim_start_matches('<').trim_end_matches('>');
        if n.contains('@') || n.contains('=') || n.ends_with(':') {
            return;
        }
        if looks_like_ip(n) {
            if r.from_ip.is_none() {
                r.from_ip = Some(ip_of(n));
            }
        } else if r.from_iprev.is_none() && n.contains('.') {
            r.from_iprev = Some(n.to_owned());
        }
    }
}

fn keyword(w: &str) -> Option<&'static str> {
    match w.to_ascii_lowercase().as_str() {
        "from" => Some("from"),
        "by" => Some("by"),
        "via" => Some("via"),
        "with" => Some("with"),
        "id" => Some("id"),
        "for" => Some("for"),
        _ => None,
    }
}

/// Parses a Received field value.
pub fn parse_received(raw: &[u8], max_depth: usize) -> Received {
    let mut r = Received::default();
    let (clauses, date) = match memchr::memrchr(b';', raw) {
        Some(i) => (raw.get(..i).unwrap_or(&[]), raw.get(i + 1..)),
        None => (raw, None),
    };
    r.date = date.and_then(|d| parse_date(d, max_depth));
    let mut lx = Lexer::new(clauses, max_depth, 0);
    let mut expect: Option<&'static str> = None;
    let mut after_from = false;
    loop {
        let mut comments = Vec::new();
        lx.skip_cfws(Some(&mut comments));
        if expect == Some("from") && !comments.is_empty() {
            for c in &comments {
                tcp_info(c, &mut r);
            }
        }
        if after_from {
            for c in &comments {
                tcp_info(c, &mut r);
            }
        }
        if lx.at_end() {
            break;
        }
        let w = lx.take_while(|b| !is_ws(b) && b != b'(' && b != b';');
        if w.is_empty() {
            lx.pos += 1;
            continue;
        }
        let w = String::from_utf8_lossy(w).into_owned();
        // A bracketed address right after the from domain: the sending host's address.
        if after_from && w.starts_with('[') {
            let ip = ip_of(&w);
            if looks_like_ip(&ip) && r.from_ip.is_none() {
                r.from_ip = Some(ip);
            }
            continue;
        }
        if let Some(k) = expect.take() {
            // A clause keyword where a value was expected: the value is missing.
            if let Some(k2) = keyword(&w) {
                expect = Some(k2);
                after_from = false;
                continue;
            }
            let v = strip_brackets(w.trim_end_matches([',', ';'])).to_owned();
            match k {
                "from" if looks_like_ip(&w) => {
                    r.from = Some(ip_of(&w));
                    after_from = true;
                }
                "from" => {
                    r.from = Some(v);
                    after_from = true;
                }
                "by" => r.by = Some(v),
                "via" => r.via = Some(v),
                // "ESMTP/TLS/cipher": the protocol is the first item.
                "with" => r.with = Some(v.split('/').next().unwrap_or("").to_owned()),
                "id" => r.id = Some(v),
                _ => r.for_ = Some(v),
            }
            continue;
        }
        after_from = false;
        expect = match keyword(&w) {
            Some("from") if r.from.is_none() => Some("from"),
            Some("by") if r.by.is_none() => Some("by"),
            Some("via") if r.via.is_none() => Some("via"),
            Some("with") if r.with.is_none() => Some("with"),
            Some("id") if r.id.is_none() => Some("id"),
            Some("for") if r.for_.is_none() => Some("for"),
            _ => None,
        };
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5322_appendix_a4() {
        let r = parse_received(
            b"from x.y.test\r\n   by example.net\r\n   via TCP\r\n   with ESMTP\r\n   id ABC12345\r\n   for <mary@example.net>;  21 Nov 1997 10:05:43 -0600",
            32,
        );
        assert_eq!(r.from.as_deref(), Some("x.y.test"));
        assert_eq!(r.by.as_deref(), Some("example.net"));
        assert_eq!(r.via.as_deref(), Some("TCP"));
        assert_eq!(r.with.as_deref(), Some("ESMTP"));
        assert_eq!(r.id.as_deref(), Some("ABC12345"));
        assert_eq!(r.for_.as_deref(), Some("mary@example.net"));
        assert_eq!(r.date.unwrap().offset_minutes, -360);
        let r = parse_received(b"from a.example (b.example [192.0.2.1]) by c.example with ESMTPS; Tue, 1 Jul 2003 10:52:37 +0200", 32);
        assert_eq!(r.from_ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(r.from_iprev.as_deref(), Some("b.example"));
    }
}
