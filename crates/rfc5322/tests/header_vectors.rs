//! mail-parser's header vectors (tests/data/mail-parser/headers), case by case. Cases whose
//! expectation is a mail-parser convention rather than an RFC reading are listed by name with
//! the reason in tests/data/mail-parser/SKIPPED.tsv; the test fails if a listed case passes.

#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::panic,
    clippy::expect_used,
    clippy::type_complexity,
    clippy::only_used_in_recursion
)]

mod common;
use common::*;
use rfc5322::{Address, Message};

fn field_of(header: &str) -> Message {
    let mut raw = b"X-Test:".to_vec();
    raw.extend_from_slice(header.as_bytes());
    if !raw.ends_with(b"\n") {
        raw.push(b'\n');
    }
    raw.extend_from_slice(b"\n");
    Message::parse(raw).unwrap()
}

fn addr_json(a: &rfc5322::Mailbox) -> String {
    let mut s = String::new();
    if !a.route.is_empty() {
        s.push('@');
        s.push_str(&a.route.join(",@"));
        s.push(':');
    }
    s.push_str(&a.addr_spec());
    s
}

fn mb(m: &rfc5322::Mailbox<'_>) -> (Option<String>, Option<String>) {
    let a = addr_json(m);
    (
        m.name.as_deref().map(str::to_owned),
        if a.is_empty() { None } else { Some(a) },
    )
}

fn exp_mb(j: &Json) -> (Option<String>, Option<String>) {
    (
        j.get("name").str().map(str::to_owned),
        j.get("address").str().map(str::to_owned),
    )
}

fn run(file: &str, check: impl Fn(&Message, &Json) -> Result<(), String>) {
    let skips = skips("mail-parser/SKIPPED.tsv");
    let cases =
        parse_json(&String::from_utf8(data(&format!("mail-parser/headers/{file}.json"))).unwrap());
    let mut failures = Vec::new();
    let mut passed = 0;
    for (i, case) in cases.arr().iter().enumerate() {
        let name = format!("{file}#{i}");
        let h = case.get("header").str().unwrap();
        let msg = field_of(h);
        let r = check(&msg, case.get("expected"));
        match (r, skips.contains_key(&name)) {
            (Ok(()), false) => passed += 1,
            (Err(e), false) => failures.push(format!("{name}: {h:?}: {e}")),
            (Ok(()), true) => failures.push(format!("{name} is listed as skipped but passes")),
            (Err(_), true) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(passed > 0);
}

#[test]
fn address() {
    run("address", |m, exp| {
        let got = m.field("x-test").unwrap().addresses(32);
        let any_group = got.iter().any(|a| matches!(a, Address::Group(_)));
        if let Some(list) = exp.get("List").arr().first().map(|_| exp.get("List").arr()) {
            if any_group {
                return Err(format!("got groups {got:?}"));
            }
            let g: Vec<_> = got.iter().map(|a| mb(&a.mailboxes()[0])).collect();
            let e: Vec<_> = list.iter().map(exp_mb).collect();
            return if g == e {
                Ok(())
            } else {
                Err(format!("got {g:?} want {e:?}"))
            };
        }
        // Group form: runs of plain mailboxes are a group without a name.
        let mut g: Vec<(Option<String>, Vec<(Option<String>, Option<String>)>)> = Vec::new();
        for a in &got {
            match a {
                Address::Mailbox(m) => match g.last_mut() {
                    Some((None, v)) => v.push(mb(m)),
                    _ => g.push((None, vec![mb(m)])),
                },
                Address::Group(gr) => g.push((
                    Some(gr.name.to_string()),
                    gr.members.iter().map(mb).collect(),
                )),
                _ => unreachable!(),
            }
        }
        let e: Vec<_> = exp
            .get("Group")
            .arr()
            .iter()
            .map(|x| {
                (
                    x.get("name").str().map(str::to_owned),
                    x.get("addresses")
                        .arr()
                        .iter()
                        .map(exp_mb)
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        if g == e {
            Ok(())
        } else {
            Err(format!("got {g:?} want {e:?}"))
        }
    });
}

#[test]
fn date() {
    run("date", |m, exp| {
        let got = m.field("x-test").unwrap().date();
        match (got, exp.is_null()) {
            (None, true) => Ok(()),
            (Some(d), true) => Err(format!("got {d:?}, want none")),
            (None, false) => Err("got none".into()),
            (Some(d), false) => {
                let n = |k: &str| exp.get(k).num().unwrap() as i64;
                let sign = if exp.get("tz_before_gmt") == &Json::Bool(true) {
                    -1
                } else {
                    1
                };
                let want = (
                    n("year"),
                    n("month"),
                    n("day"),
                    n("hour"),
                    n("minute"),
                    n("second"),
                    sign * (n("tz_hour") * 60 + n("tz_minute")),
                );
                let g = (
                    d.year as i64,
                    d.month as i64,
                    d.day as i64,
                    d.hour as i64,
                    d.minute as i64,
                    d.second as i64,
                    d.offset_minutes as i64,
                );
                if g == want {
                    Ok(())
                } else {
                    Err(format!("got {g:?} want {want:?}"))
                }
            }
        }
    });
}

#[test]
fn content_type() {
    run("content_type", |m, exp| {
        let got = m.field("x-test").unwrap().content_type();
        match (got, exp.is_null()) {
            (None, true) => Ok(()),
            (Some(c), true) => Err(format!("got {c:?}, want none")),
            (None, false) => Err("got none".into()),
            (Some(c), false) => {
                let want_t = exp.get("c_type").str().unwrap().to_string();
                let want_s = exp.get("c_subtype").str().unwrap_or("").to_string();
                let mut want_p: Vec<(String, String)> = Vec::new();
                for p in exp.get("attributes").arr() {
                    let a = p.arr();
                    let k = a[0].str().unwrap().to_string();
                    if let Some(base) = k.strip_suffix("-language") {
                        // mail-parser lists the RFC 2231 language as its own attribute.
                        want_p.push((format!("{base}#lang"), a[1].str().unwrap().to_string()));
                    } else {
                        want_p.push((k, a[1].str().unwrap().to_string()));
                    }
                }
                let mut got_p = Vec::new();
                for p in &c.params {
                    if let Some(l) = &p.language {
                        got_p.push((format!("{}#lang", p.name), l.to_string()));
                    }
                    got_p.push((p.name.to_string(), p.value.to_string()));
                }
                want_p.sort();
                got_p.sort();
                let g = (c.media_type.to_string(), c.subtype.to_string(), got_p);
                let w = (want_t, want_s, want_p);
                if g == w {
                    Ok(())
                } else {
                    Err(format!("got {g:?} want {w:?}"))
                }
            }
        }
    });
}

#[test]
fn id() {
    run("id", |m, exp| {
        let got = m.field("x-test").unwrap().message_ids();
        let want: Vec<String> = exp
            .arr()
            .iter()
            .map(|s| s.str().unwrap().to_string())
            .collect();
        if got == want {
            Ok(())
        } else {
            Err(format!("got {got:?} want {want:?}"))
        }
    });
}

#[test]
fn list() {
    run("list", |m, exp| {
        let got = m.field("x-test").unwrap().phrases();
        let want: Vec<String> = exp
            .arr()
            .iter()
            .map(|s| s.str().unwrap().to_string())
            .collect();
        if got == want {
            Ok(())
        } else {
            Err(format!("got {got:?} want {want:?}"))
        }
    });
}

#[test]
fn unstructured() {
    run("unstructured", |m, exp| {
        let got = m.field("x-test").unwrap().text();
        let want = exp.str().unwrap();
        if got == want {
            Ok(())
        } else {
            Err(format!("got {got:?} want {want:?}"))
        }
    });
}

#[test]
fn received() {
    run("received", |m, exp| {
        let r = m.field("x-test").unwrap().received();
        let s = |j: &Json| j.str().map(str::to_owned);
        let host = |j: &Json| s(j.get("Name")).or_else(|| s(j.get("IpAddr")));
        let want = (
            host(exp.get("from")),
            s(exp.get("from_ip")),
            s(exp.get("from_iprev")),
            host(exp.get("by")),
            s(exp.get("via")),
            s(exp.get("with")).map(|w| w.to_ascii_uppercase()),
            s(exp.get("id")),
            s(exp.get("for_")),
        );
        let got = (
            r.from.clone(),
            r.from_ip.clone(),
            r.from_iprev.clone(),
            r.by.clone(),
            r.via.clone(),
            r.with.clone().map(|w| w.to_ascii_uppercase()),
            r.id.clone(),
            r.for_.clone(),
        );
        let d = exp.get("date");
        let date_ok = match (r.date, d.is_null()) {
            (None, true) => true,
            (Some(x), false) => {
                let n = |k: &str| d.get(k).num().unwrap() as i64;
                let sign = if d.get("tz_before_gmt") == &Json::Bool(true) {
                    -1
                } else {
                    1
                };
                (
                    x.year as i64,
                    x.month as i64,
                    x.day as i64,
                    x.hour as i64,
                    x.minute as i64,
                    x.offset_minutes as i64,
                ) == (
                    n("year"),
                    n("month"),
                    n("day"),
                    n("hour"),
                    n("minute"),
                    sign * (n("tz_hour") * 60 + n("tz_minute")),
                )
            }
            _ => false,
        };
        if got == want && date_ok {
            Ok(())
        } else {
            Err(format!("got {got:?} {:?} want {want:?}", r.date))
        }
    });
}
