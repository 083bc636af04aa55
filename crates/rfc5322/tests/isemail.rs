//! isemail's address cases (tests/data/isemail/tests.xml), case by case: VALID, RFC5321,
//! DNSWARN and CFWS accepted without a defect, RFC5322 accepted (obs-dtext with a defect), DEPREC accepted with an
//! ObsoleteSyntax defect, ERR refused with the matching error kind.

#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::panic,
    clippy::expect_used
)]

mod common;
use rfc5322::DefectKind;
use rfc5322::field::addr_spec::{AddrSpecErrorKind as K, parse_addr_spec_strict};

fn unescape(s: &str) -> Vec<u8> {
    // XML entities, and U+2400+n standing for the control character n.
    let s = s
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'");
    let mut out = String::new();
    let mut rest = s.as_str();
    while let Some(i) = rest.find("&#x") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').unwrap() + i;
        let n = u32::from_str_radix(&rest[i + 3..end], 16).unwrap();
        let c = if (0x2400..0x2420).contains(&n) {
            n - 0x2400
        } else {
            n
        };
        out.push(char::from_u32(c).unwrap());
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out.replace("&amp;", "&").into_bytes()
}

fn tag<'a>(body: &'a str, t: &str) -> Option<&'a str> {
    if body.contains(&format!("<{t}/>")) {
        return Some("");
    }
    let a = body.find(&format!("<{t}>"))? + t.len() + 2;
    let b = body[a..].find(&format!("</{t}>"))? + a;
    Some(&body[a..b])
}

fn error_kind(diag: &str) -> K {
    match diag {
        "ISEMAIL_ERR_NODOMAIN" => K::NoDomain,
        "ISEMAIL_ERR_NOLOCALPART" => K::NoLocalPart,
        "ISEMAIL_ERR_DOT_START" => K::DotStart,
        "ISEMAIL_ERR_DOT_END" => K::DotEnd,
        "ISEMAIL_ERR_CONSECUTIVEDOTS" => K::ConsecutiveDots,
        "ISEMAIL_ERR_EXPECTING_ATEXT" => K::ExpectingAtext,
        "ISEMAIL_ERR_EXPECTING_CTEXT" => K::ExpectingCtext,
        "ISEMAIL_ERR_EXPECTING_QTEXT" => K::ExpectingQtext,
        "ISEMAIL_ERR_EXPECTING_DTEXT" => K::ExpectingDtext,
        "ISEMAIL_ERR_EXPECTING_QPAIR" => K::ExpectingQpair,
        "ISEMAIL_ERR_UNCLOSEDCOMMENT" => K::UnclosedComment,
        "ISEMAIL_ERR_UNCLOSEDQUOTEDSTR" => K::UnclosedQuotedString,
        "ISEMAIL_ERR_UNCLOSEDDOMLIT" => K::UnclosedDomainLiteral,
        "ISEMAIL_ERR_CR_NO_LF" => K::CrNoLf,
        "ISEMAIL_ERR_FWS_CRLF_END" => K::FwsCrlfEnd,
        "ISEMAIL_ERR_FWS_CRLF_X2" => K::FwsCrlfX2,
        "ISEMAIL_ERR_BACKSLASHEND" => K::BackslashEnd,
        "ISEMAIL_ERR_ATEXT_AFTER_CFWS" => K::AtextAfterCfws,
        "ISEMAIL_ERR_ATEXT_AFTER_QS" => K::AtextAfterQuotedString,
        "ISEMAIL_ERR_ATEXT_AFTER_DOMLIT" => K::AtextAfterDomainLiteral,
        "ISEMAIL_ERR_DOMAINHYPHENSTART" => K::DomainHyphenStart,
        "ISEMAIL_ERR_DOMAINHYPHENEND" => K::DomainHyphenEnd,
        other => panic!("unmapped diagnosis {other}"),
    }
}

#[test]
fn isemail_cases() {
    let xml = String::from_utf8(common::data("isemail/tests.xml")).unwrap();
    let skips = common::skips("isemail/SKIPPED.tsv");
    let mut failures = Vec::new();
    let mut counted = std::collections::BTreeMap::<String, usize>::new();
    for chunk in xml.split("<test id=\"").skip(1) {
        let id = &chunk[..chunk.find('"').unwrap()];
        let name = format!("test#{id}");
        let addr = unescape(tag(chunk, "address").unwrap_or(""));
        let cat = tag(chunk, "category").unwrap();
        let diag = tag(chunk, "diagnosis").unwrap();
        let got = parse_addr_spec_strict(&addr);
        let ok = match cat {
            "ISEMAIL_ERR" => matches!(&got, Err(e) if e.kind == error_kind(diag)),
            "ISEMAIL_DEPREC" => {
                matches!(&got, Ok((_, d)) if d.iter().any(|d| d.kind == DefectKind::ObsoleteSyntax))
            }
            // Valid under RFC 5322 but not RFC 5321: accepted; obs-dtext keeps its defect.
            "ISEMAIL_RFC5322" => got.is_ok(),
            _ => matches!(&got, Ok((_, d)) if d.is_empty()),
        };
        *counted.entry(cat.to_string()).or_default() += 1;
        match (ok, skips.contains_key(&name)) {
            (true, false) => {}
            (false, false) => failures.push(format!(
                "{name} {:?} {cat} {diag}: got {got:?}",
                String::from_utf8_lossy(&addr)
            )),
            (true, true) => failures.push(format!("{name} is listed as skipped but passes")),
            (false, true) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(counted.values().sum::<usize>(), 164);
}

#[test]
fn values() {
    let (m, d) = parse_addr_spec_strict(b"\"john doe\"@example.com").unwrap();
    assert_eq!((&*m.local_part, &*m.domain), ("john doe", "example.com"));
    assert!(d.is_empty());
    let (m, d) = parse_addr_spec_strict(b"john . doe @ example . com").unwrap();
    assert_eq!(m.addr_spec(), "john.doe@example.com");
    assert_eq!(d[0].kind, DefectKind::ObsoleteSyntax);
    let (m, _) = parse_addr_spec_strict(b"a@[192.0.2.1]").unwrap();
    assert_eq!(m.domain, "[192.0.2.1]");
}
