//! Date-time (RFC 5322 section 3.3 and the obsolete forms of section 4.3): comments
//! anywhere, optional seconds and day name, two- and three-digit years, obsolete zone names.

use crate::date::DateTime;
use crate::field::lex::{Lexer, is_ws};

fn month(w: &[u8]) -> Option<u8> {
    let w = w.get(..3)?;
    const M: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    M.iter()
        .position(|m| w.eq_ignore_ascii_case(&m[..]))
        .and_then(|i| u8::try_from(i + 1).ok())
}

fn is_day_name(w: &[u8]) -> bool {
    w.len() >= 3
        && w.get(..3).is_some_and(|p| {
            [b"mon", b"tue", b"wed", b"thu", b"fri", b"sat", b"sun"]
                .iter()
                .any(|d| p.eq_ignore_ascii_case(&d[..]))
        })
}

fn num(w: &[u8]) -> Option<u32> {
    if w.is_empty() || w.len() > 9 {
        return None;
    }
    // At most nine digits: no overflow.
    w.iter().try_fold(0u32, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
}

/// Zone: `(offset minutes, unknown)`.
fn zone(w: &[u8]) -> Option<(i16, bool)> {
    if let (Some(&s), Some(d)) = (w.first(), w.get(1..5))
        && (s == b'+' || s == b'-')
        && d.iter().all(u8::is_ascii_digit)
    {
        let n = i16::try_from(num(d)?).ok()?;
        let (h, m) = (n / 100, n % 100);
        if m >= 60 {
            return None;
        }
        let v = h * 60 + m;
        return Some(if s == b'-' { (-v, v == 0) } else { (v, false) });
    }
    // A zone name is the whole token: names RFC 5322 does not define (`EST5EDT`) are
    // unknown zones, not the zone their name starts with.
    let alpha: Vec<u8> = w.iter().map(u8::to_ascii_uppercase).collect();
    let h = match alpha.as_slice() {
        b"UT" | b"GMT" | b"UTC" => return Some((0, false)),
        b"Z" => return Some((0, false)),
        b"EDT" => -4,
        b"EST" | b"CDT" => -5,
        b"CST" | b"MDT" => -6,
        b"MST" | b"PDT" => -7,
        b"PST" => -8,
        // Military zones and anything unknown: -0000 (section 4.3).
        _ => return Some((0, true)),
    };
    Some((h * 60, false))
}

fn parse_tokens(raw: &[u8], max_depth: usize) -> Option<DateTime> {
    let mut lx = Lexer::new(raw, max_depth, 0);
    // At most 16 tokens are looked at: a fixed array, no allocation.
    let mut toks: [&[u8]; 16] = [&[]; 16];
    let mut count = 0usize;
    loop {
        lx.skip_cfws(None);
        if lx.at_end() {
            break;
        }
        if lx.peek() == Some(b',') {
            lx.pos += 1;
            continue;
        }
        let t = lx.take_while(|b| !is_ws(b) && b != b',' && b != b'(');
        if t.is_empty() {
            lx.pos += 1;
        } else if let Some(slot) = toks.get_mut(count) {
            *slot = t;
            count += 1;
        } else {
            break;
        }
    }
    if lx
        .defects
        .iter()
        .any(|d| d.kind == crate::DefectKind::Unterminated)
    {
        return None;
    }
    let toks = toks.get(..count).unwrap_or(&[]);
    let mut it = toks.iter().copied().peekable();
    if it.peek().is_some_and(|t| is_day_name(t)) {
        it.next();
    }
    let first = it.next()?;
    let (day, mon, yt, time) = match num(first) {
        Some(d) => {
            let m = month(it.next()?)?;
            let y = it.next()?;
            (d, m, y, None)
        }
        // The asctime order "Feb 07 10:18:12 2003" (seen in Received fields).
        None => {
            let m = month(first)?;
            let d = num(it.next()?)?;
            let t = it.next()?;
            (d, m, it.next()?, Some(t))
        }
    };
    let y = num(yt)?;
    let year = match yt.len() {
        1 | 2 if y < 50 => 2000 + y,
        1 | 2 => 1900 + y,
        3 => 1900 + y,
        _ => y,
    };
    let time = match time {
        Some(t) => t,
        None => it.next()?,
    };
    let mut hms = time.split(|&b| b == b':');
    let hour = num(hms.next()?)?;
    let minute = num(hms.next()?)?;
    let second = match hms.next() {
        // Fractions of a second (seen in Received fields) are dropped.
        Some(s) => num(s.split(|&b| b == b'.').next().unwrap_or(s))?,
        None => 0,
    };
    let zone = match it.next() {
        Some(z) => zone(z)?,
        None => (0, true),
    };
    date_time([year, u32::from(mon), day, hour, minute, second], zone)
}

/// A valid date-time from year, month, day, hour, minute, second and the zone.
fn date_time(
    [year, month, day, hour, minute, second]: [u32; 6],
    (offset_minutes, offset_unknown): (i16, bool),
) -> Option<DateTime> {
    let dt = DateTime {
        year: u16::try_from(year).ok()?,
        month: u8::try_from(month).ok()?,
        day: u8::try_from(day).ok()?,
        hour: u8::try_from(hour).ok()?,
        minute: u8::try_from(minute).ok()?,
        second: u8::try_from(second).ok()?,
        offset_minutes,
        offset_unknown,
    };
    dt.is_valid().then_some(dt)
}

/// The form RFC 5322 section 3.3 writes, `[Mon, ]2 Jan 2006 15:04:05 -0700`, with white
/// space around it and an optional comment at its end (`(PST)`), read without tokens.
/// `None` (the general reader takes over) for anything else; what it returns is what the
/// general reader returns.
fn canonical(raw: &[u8]) -> Option<DateTime> {
    let start = raw.iter().position(|&b| !is_ws(b))?;
    let mut s = raw.get(start..)?;
    // A trailing comment without nesting or quoted pairs, then white space.
    let end = s.iter().rposition(|&b| !is_ws(b))? + 1;
    s = s.get(..end)?;
    if s.last() == Some(&b')') {
        let open = memchr::memrchr(b'(', s)?;
        let inner = s.get(open + 1..s.len() - 1)?;
        if memchr::memchr3(b'(', b')', b'\\', inner).is_some() {
            return None;
        }
        let before = s.get(..open)?;
        s = before.get(..before.iter().rposition(|&b| !is_ws(b))? + 1)?;
    }
    if s.first().is_some_and(u8::is_ascii_alphabetic) {
        if !is_day_name(s.get(..3)?) || s.get(3) != Some(&b',') {
            return None;
        }
        s = s.get(4..)?;
        s = s.get(s.iter().position(|&b| b != b' ')?..)?;
    }
    // day month year time zone, single spaces.
    let day_len = if s.get(1) == Some(&b' ') { 1 } else { 2 };
    let day = num(s.get(..day_len)?)?;
    let rest = s.get(day_len..)?;
    let [
        b' ',
        m0,
        m1,
        m2,
        b' ',
        y0,
        y1,
        y2,
        y3,
        b' ',
        h0,
        h1,
        b':',
        i0,
        i1,
        b':',
        s0,
        s1,
        b' ',
        sign,
        z0,
        z1,
        z2,
        z3,
    ] = *rest
    else {
        return None;
    };
    let mon = month(&[m0, m1, m2])?;
    let year = num(&[y0, y1, y2, y3])?;
    let hour = num(&[h0, h1])?;
    let minute = num(&[i0, i1])?;
    let second = num(&[s0, s1])?;
    if sign != b'+' && sign != b'-' {
        return None;
    }
    date_time(
        [year, u32::from(mon), day, hour, minute, second],
        zone(&[sign, z0, z1, z2, z3])?,
    )
}

/// Parses a date-time. `None` when it cannot be read. Text before a `;` is skipped when the
/// whole does not parse (the date of a Received field).
pub fn parse_date(raw: &[u8], max_depth: usize) -> Option<DateTime> {
    if let Some(d) = canonical(raw) {
        return Some(d);
    }
    parse_tokens(raw, max_depth).or_else(|| {
        let i = memchr::memrchr(b';', raw)?;
        parse_tokens(raw.get(i + 1..)?, max_depth)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> DateTime {
        parse_date(s.as_bytes(), 32).unwrap()
    }

    /// The canonical-form reader agrees with the general one wherever it answers.
    #[test]
    fn canonical_form_agrees_with_the_general_reader() {
        let mut answered = 0;
        let mut check = |raw: &[u8]| {
            if let Some(d) = canonical(raw) {
                answered += 1;
                assert_eq!(Some(d), parse_tokens(raw, 32), "{raw:?}");
            }
        };
        for raw in [
            &b"Tue, 1 Jul 2003 10:52:37 +0200"[..],
            b" Fri, 21 Nov 1997 09:55:06 -0600 (CST)\r\n",
            b"21 Nov 1997 09:55:06 -0000",
            b"Fri,  21 Nov 1997 09:55:06 +0000",
            b"Fri, 31 Feb 1997 09:55:06 +0000",
            b"Fri, 21 Nov 1997 09:55:06 +0060",
            b"Fri, 21 Nov 1997 24:55:06 +0000",
            b"Fri, 21 Nov 1997 09:55:06 +0000 (a (b) c)",
            b"Fri, 21 Nov 1997 09:55:06 +0000 (unterminated",
            b"Thursday, 21 Nov 1997 09:55:06 +0000",
        ] {
            check(raw);
        }
        let pieces: &[&[u8]] = &[
            b"Fri, ",
            b"21 ",
            b"1 ",
            b"Nov ",
            b"nov ",
            b"1997 ",
            b"09:55:06 ",
            b"+0130",
            b"-0000",
            b" (x)",
            b"(",
            b" ",
            b"9",
        ];
        crate::field::lex::each_string(pieces, 6, &mut check);
        assert!(answered > 20, "{answered}");
    }

    #[test]
    fn rfc5322_appendix_a() {
        let x = d("Fri, 21 Nov 1997 09:55:06 -0600");
        assert_eq!(
            (x.year, x.month, x.day, x.hour, x.minute, x.second),
            (1997, 11, 21, 9, 55, 6)
        );
        assert_eq!(x.offset_minutes, -360);
        let x = d(
            "Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n               -0330 (Newfoundland Time)",
        );
        assert_eq!((x.year, x.second, x.offset_minutes), (1969, 0, -210));
        let x = d("21 Nov 97 09:55:06 GMT");
        assert_eq!(
            (x.year, x.offset_minutes, x.offset_unknown),
            (1997, 0, false)
        );
        let x = d("Fri, 21 Nov 49 09:55:06 EST");
        assert_eq!((x.year, x.offset_minutes), (2049, -300));
        let x = d("Fri, 21 Nov 103 09:55:06 Q");
        assert_eq!(
            (x.year, x.offset_minutes, x.offset_unknown),
            (2003, 0, true)
        );
        let x = d("Fri, 21 Nov 2003 09:55:06 -0000");
        assert!(x.offset_unknown);
        assert!(parse_date(b"13 zzz 2021 09:55:06 +0200", 32).is_none());
        assert!(parse_date(b"31 Feb 2021 09:55:06 +0200", 32).is_none());
    }

    /// A zone name RFC 5322 does not define is an unknown zone, -0000 (section 4.3).
    #[test]
    fn undefined_zone_names_are_unknown() {
        for z in ["EST5EDT", "ESTX", "CET", "PST8PDT", "GMT+1"] {
            let x = d(&format!("Tue, 1 Jul 2003 10:52:37 {z}"));
            assert_eq!((x.offset_minutes, x.offset_unknown), (0, true), "{z}");
        }
        let x = d("Tue, 1 Jul 2003 10:52:37 edt");
        assert_eq!((x.offset_minutes, x.offset_unknown), (-240, false));
    }
}
