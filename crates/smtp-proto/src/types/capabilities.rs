//! The capabilities of an EHLO (or LHLO) reply, typed, with LIMITS (RFC 9422); unknown
//! keywords kept.

use sasl_proto::Mechanism;
use sasl_proto::mechanism::MechanismSet;

use crate::codec::is_name;
use crate::error::EncodeError;

use super::reply::first_line;
use super::*;

/// The words of an EHLO line's arguments: runs of octets between SP and "=".
struct Words<'a>(&'a [u8]);

impl<'a> Iterator for Words<'a> {
    type Item = &'a [u8];

    #[inline(always)]
    fn next(&mut self) -> Option<&'a [u8]> {
        let mut rest = self.0;
        while let [b' ' | b'=', tail @ ..] = rest {
            rest = tail;
        }
        if rest.is_empty() {
            self.0 = rest;
            return None;
        }
        let mut end = 0;
        while let Some(b) = rest.get(end)
            && !matches!(b, b' ' | b'=')
        {
            end += 1;
        }
        let (word, tail) = rest.split_at(end);
        self.0 = tail;
        Some(word)
    }
}

/// The first `a` or `b` (both nonzero) from `at`, and which.
fn first_of2(s: &[u8], at: usize, a: u8, b: u8) -> Option<(usize, u8)> {
    use proto_core::swar::{first, splat, word_at, zero_bytes};
    let mut i = at;
    while i < s.len() {
        let w = word_at(s, i);
        // Exact per byte; the zeros past the end are neither (both are nonzero).
        let found = zero_bytes(w ^ splat(a)) | zero_bytes(w ^ splat(b));
        if found != 0 {
            let at = i + first(found);
            return s.get(at).map(|&c| (at, c));
        }
        i += 8;
    }
    None
}

/// A number from `at` and the line end right after it: the number and where the next line
/// starts.
#[inline(always)]
fn number_line(raw: &[u8], at: usize) -> Option<(u64, usize)> {
    let rest = raw.get(at..)?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let n = crate::codec::parse_u64_bytes(rest.get(..digits)?)?;
    let end = match rest.get(digits..)? {
        [b'\r', b'\n', ..] => digits + 2,
        [b'\n', ..] => digits + 1,
        _ => return None,
    };
    Some((n, at + end))
}

/// LIMITS (RFC 9422) values of an EHLO reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerLimits {
    /// MAILMAX: transactions per connection.
    pub mailmax: Option<u32>,
    /// RCPTMAX: recipients per transaction.
    pub rcptmax: Option<u32>,
    /// RCPTDOMAINMAX: recipient domains per transaction.
    pub rcptdomainmax: Option<u32>,
}

/// The capabilities of an EHLO (or LHLO) reply, typed; unknown keywords kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// The domain of the first line.
    pub domain: String,
    /// SIZE (RFC 1870), with its value (0: no fixed maximum).
    pub size: Option<u64>,
    /// PIPELINING (RFC 2920).
    pub pipelining: bool,
    /// 8BITMIME (RFC 6152).
    pub eight_bit_mime: bool,
    /// BINARYMIME (RFC 3030).
    pub binary_mime: bool,
    /// CHUNKING (RFC 3030).
    pub chunking: bool,
    /// DSN (RFC 3461).
    pub dsn: bool,
    /// SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// ENHANCEDSTATUSCODES (RFC 2034).
    pub enhanced_status_codes: bool,
    /// STARTTLS (RFC 3207).
    pub starttls: bool,
    /// AUTH mechanisms (RFC 4954); also from the old `AUTH=` form. A set of known mechanisms
    /// takes no allocation.
    pub auth: MechanismSet,
    /// REQUIRETLS (RFC 8689).
    pub requiretls: bool,
    /// DELIVERBY (RFC 2852), with its minimum by-time (0 when absent).
    pub deliver_by: Option<u64>,
    /// MT-PRIORITY (RFC 6710), with its policy name if any.
    pub mt_priority: Option<String>,
    /// FUTURERELEASE (RFC 4865): max interval and max date-time.
    pub future_release: Option<(u64, String)>,
    /// RRVS (RFC 7293).
    pub rrvs: bool,
    /// ETRN (RFC 1985).
    pub etrn: bool,
    /// LIMITS (RFC 9422).
    pub limits: Option<ServerLimits>,
    /// Any other line, as received.
    pub unknown: Vec<String>,
}

/// The flag keywords of [`Capabilities`] (upper case) and their fields, listed once: `flag`
/// finds a keyword in any case, `flag_line` a line that is one exactly.
macro_rules! flags {
    ($($name:literal => $field:ident),* $(,)?) => {
        /// The flag a keyword sets, if it is one of them.
        #[inline(always)]
        fn flag(&mut self, keyword: &[u8]) -> Option<&mut bool> {
            // By length and first letter first: one comparison per keyword, not a chain.
            let first = keyword.first()?.to_ascii_uppercase();
            $(
                if keyword.len() == $name.len() && first == $name[0] && is_name(keyword, $name) {
                    return Some(&mut self.$field);
                }
            )*
            None
        }

        /// Sets the flag of a line whose text is a flag keyword in upper case and its line
        /// end, as servers send them; answers the length of both. The next line's start is
        /// then a constant past this one's once the branch is taken, not the end of a search
        /// through its octets.
        #[inline(always)]
        fn flag_line(&mut self, text: &[u8]) -> Option<usize> {
            let first = *text.first()?;
            let (flag, n) = 'found: {
                $(
                    if first == $name[0] && text.starts_with($name) {
                        break 'found (&mut self.$field, $name.len());
                    }
                )*
                return None;
            };
            let end = match text.get(n..) {
                Some([b'\r', b'\n', ..]) => n + 2,
                Some([b'\n', ..]) => n + 1,
                _ => return None,
            };
            *flag = true;
            Some(end)
        }
    };
}

impl Capabilities {
    /// Reads the capabilities of a positive EHLO or LHLO reply.
    pub fn from_ehlo(reply: &Reply<'_>) -> Self {
        let mut caps = Self::default();
        let raw = reply.raw();
        // Each step gives where the next line starts, `None` only were a bound it computed
        // out of range (a fault of this crate, which the property test against a reading
        // through `Reply::lines` would show): the lines after it are then not read.
        let mut next = caps.read_domain(raw);
        while let Some(pos) = next.filter(|&pos| pos < raw.len()) {
            next = caps.read_line(raw, pos);
        }
        caps
    }

    /// The domain of the first line (up to its first SP); where the next line starts.
    fn read_domain(&mut self, raw: &[u8]) -> Option<usize> {
        let (domain, next) = match raw.get(3) {
            // Every line of a reply starts with three digits: a separator after them means
            // text from octet 4. One scan for the SP after the domain or the LF.
            Some(b' ' | b'-') => match first_of2(raw, 4, b' ', b'\n') {
                Some((at, b' ')) => {
                    let next = proto_core::swar::find_byte(b'\n', raw.get(at..)?)
                        .map_or(raw.len(), |lf| at + lf + 1);
                    (raw.get(4..at)?, next)
                }
                Some((at, _)) => {
                    let text = raw.get(4..at)?;
                    (text.strip_suffix(b"\r").unwrap_or(text), at + 1)
                }
                None => (raw.get(4..)?, raw.len()),
            },
            _ => {
                let (text, after) = first_line(raw);
                let domain = text.split(|&b| b == b' ').next().unwrap_or(text);
                (domain, raw.len() - after.len())
            }
        };
        // Checked in its own (aligned) allocation: UTF-8 is checked a word at a time there.
        self.domain = String::from_utf8(domain.to_vec())
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Some(next)
    }

    /// Reads the line starting at `pos`; where the next one starts.
    #[inline(always)]
    fn read_line(&mut self, raw: &[u8], pos: usize) -> Option<usize> {
        use proto_core::swar::{bytes_below, first, splat, word_at, zero_bytes};
        let text_at = pos + 4;
        if matches!(raw.get(pos + 3), Some(b' ' | b'-')) {
            if let Some(len) = self.flag_line(raw.get(text_at..)?) {
                return Some(text_at + len);
            }
            // The keyword ends at the first octet below "!" or "=": looked for in up to three
            // words (the longest keyword and its CR fit), without finding the LF first.
            let mut stop = None;
            for i in 0..3 {
                let w = word_at(raw, text_at + 8 * i);
                let stops = bytes_below(w, 0x21) | zero_bytes(w ^ splat(b'='));
                if stops != 0 {
                    stop = Some(text_at + 8 * i + first(stops));
                    break;
                }
            }
            if let Some(at) = stop {
                let keyword = raw.get(text_at..at)?;
                match (raw.get(at), raw.get(at + 1)) {
                    // A keyword alone on its line, most lines.
                    (Some(b'\n'), _) => {
                        self.add_keyword(keyword);
                        return Some(at + 1);
                    }
                    (Some(b'\r'), Some(b'\n')) => {
                        self.add_keyword(keyword);
                        return Some(at + 2);
                    }
                    // The keyword is known to end here: its arguments read in the same
                    // pass where their form is the usual one, else the line end looked for.
                    (Some(b' ' | b'='), _) => {
                        if let Some(next) = self.read_args(raw, keyword, at + 1) {
                            return Some(next);
                        }
                        let (line, after) =
                            proto_core::swar::split_once_byte(b'\n', raw.get(text_at..)?)
                                .unwrap_or((raw.get(text_at..)?, &[]));
                        self.add_args(line.strip_suffix(b"\r").unwrap_or(line), keyword.len());
                        return Some(raw.len() - after.len());
                    }
                    _ => {}
                }
            }
        }
        let rest = raw.get(pos..)?;
        let (line, after) = first_line(rest);
        // An empty line (none in a parsed or built reply) is skipped, as `lines` does.
        if rest.first() != Some(&b'\n') {
            self.add_line(line);
        }
        Some(raw.len() - after.len())
    }

    flags! {
        b"PIPELINING" => pipelining,
        b"8BITMIME" => eight_bit_mime,
        b"BINARYMIME" => binary_mime,
        b"CHUNKING" => chunking,
        b"DSN" => dsn,
        b"SMTPUTF8" => smtputf8,
        b"ENHANCEDSTATUSCODES" => enhanced_status_codes,
        b"STARTTLS" => starttls,
        b"REQUIRETLS" => requiretls,
        b"RRVS" => rrvs,
        b"ETRN" => etrn,
    }

    /// The arguments from `at` of the usual SIZE, DELIVERBY and AUTH lines (one number, or
    /// mechanisms, then the line end), read without finding the line end first; where the
    /// next line starts, or `None` for any other line (read then by `add_args`).
    #[inline(always)]
    fn read_args(&mut self, raw: &[u8], keyword: &[u8], mut at: usize) -> Option<usize> {
        let first = keyword.first()?.to_ascii_uppercase();
        match (keyword.len(), first) {
            (4, b'S') if is_name(keyword, b"SIZE") => {
                let (n, next) = number_line(raw, at)?;
                self.size = Some(n);
                Some(next)
            }
            (9, b'D') if is_name(keyword, b"DELIVERBY") => {
                let (n, next) = number_line(raw, at)?;
                self.deliver_by = Some(n);
                Some(next)
            }
            // Mechanisms inserted before an unusual octet is met are the first of those
            // `add_args` then inserts again, in the same order: the set is the same.
            (4, b'A') if is_name(keyword, b"AUTH") => loop {
                let start = at;
                while let Some(&b) = raw.get(at)
                    && b > b' '
                    && b != b'='
                {
                    at += 1;
                }
                // A word is taken once its end is known to be one `add_args` sees too.
                let next = match raw.get(at..)? {
                    [b' ' | b'=', ..] => None,
                    [b'\r', b'\n', ..] => Some(at + 2),
                    [b'\n', ..] => Some(at + 1),
                    _ => return None,
                };
                if let Some(m) = raw
                    .get(start..at)
                    .and_then(|word| Mechanism::parse_bytes(word).ok())
                {
                    self.auth.insert(m);
                }
                match next {
                    Some(next) => return Some(next),
                    None => at += 1,
                }
            },
            _ => None,
        }
    }

    /// A line that is a keyword alone.
    #[inline(always)]
    fn add_keyword(&mut self, keyword: &[u8]) {
        match self.flag(keyword) {
            Some(flag) => *flag = true,
            None => self.add_args(keyword, keyword.len()),
        }
    }

    fn add_line(&mut self, line: &[u8]) {
        // Most lines are a flag keyword alone: the whole line is tried first.
        if let Some(flag) = self.flag(line) {
            *flag = true;
            return;
        }
        let kw_end = line
            .iter()
            .position(|&b| b == b' ' || b == b'=')
            .unwrap_or(line.len());
        self.add_args(line, kw_end);
    }

    /// A line whose keyword ends at `kw_end` (its first SP or "=", or its end).
    fn add_args(&mut self, line: &[u8], kw_end: usize) {
        // `kw_end` is a position in `line` or its length (see the callers).
        let Some((keyword, args)) = line.split_at_checked(kw_end) else {
            return;
        };
        if keyword.is_empty() {
            return;
        }
        let mut words = Words(args);
        // Numbers are read from the octets; text is made a string only where kept.
        let number = |w: Option<&[u8]>| w.and_then(crate::codec::parse_u64_bytes).unwrap_or(0);
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        if let Some(flag) = self.flag(keyword) {
            *flag = true;
            return;
        }
        // `is_name` compares the length first: no call per keyword tried.
        if is_name(keyword, b"SIZE") {
            self.size = Some(number(words.next()));
        } else if is_name(keyword, b"AUTH") {
            for m in words.filter_map(|word| Mechanism::parse_bytes(word).ok()) {
                self.auth.insert(m);
            }
        } else if is_name(keyword, b"DELIVERBY") {
            self.deliver_by = Some(number(words.next()));
        } else if is_name(keyword, b"MT-PRIORITY") {
            let mut value = args;
            while let [b' ' | b'=', rest @ ..] = value {
                value = rest;
            }
            self.mt_priority = Some(text(value));
        } else if is_name(keyword, b"FUTURERELEASE") {
            let interval = number(words.next());
            let until = text(words.next().unwrap_or_default());
            self.future_release = Some((interval, until));
        } else if is_name(keyword, b"LIMITS") {
            let mut limits = ServerLimits::default();
            for token in args.split(|&b| b == b' ').filter(|t| !t.is_empty()) {
                let Some((k, v)) = proto_core::swar::split_once_byte(b'=', token) else {
                    continue;
                };
                let v = std::str::from_utf8(v).ok().and_then(|v| v.parse().ok());
                if k.eq_ignore_ascii_case(b"MAILMAX") {
                    limits.mailmax = v;
                } else if k.eq_ignore_ascii_case(b"RCPTMAX") {
                    limits.rcptmax = v;
                } else if k.eq_ignore_ascii_case(b"RCPTDOMAINMAX") {
                    limits.rcptdomainmax = v;
                }
            }
            self.limits = Some(limits);
        } else {
            self.unknown.push(text(line));
        }
    }

    /// The keyword lines of an EHLO reply for these capabilities (without the domain line).
    pub fn ehlo_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.pipelining {
            lines.push("PIPELINING".to_owned());
        }
        if let Some(size) = self.size {
            lines.push(if size == 0 {
                "SIZE".to_owned()
            } else {
                format!("SIZE {size}")
            });
        }
        if self.starttls {
            lines.push("STARTTLS".to_owned());
        }
        if !self.auth.is_empty() {
            let names: Vec<&str> = self.auth.iter().map(Mechanism::as_str).collect();
            lines.push(format!("AUTH {}", names.join(" ")));
        }
        let flags = [
            (self.enhanced_status_codes, "ENHANCEDSTATUSCODES"),
            (self.eight_bit_mime, "8BITMIME"),
            (self.binary_mime, "BINARYMIME"),
            (self.chunking, "CHUNKING"),
            (self.dsn, "DSN"),
            (self.smtputf8, "SMTPUTF8"),
            (self.requiretls, "REQUIRETLS"),
            (self.rrvs, "RRVS"),
            (self.etrn, "ETRN"),
        ];
        for (on, name) in flags {
            if on {
                lines.push(name.to_owned());
            }
        }
        if let Some(by) = self.deliver_by {
            lines.push(if by == 0 {
                "DELIVERBY".to_owned()
            } else {
                format!("DELIVERBY {by}")
            });
        }
        if let Some(profile) = &self.mt_priority {
            lines.push(if profile.is_empty() {
                "MT-PRIORITY".to_owned()
            } else {
                format!("MT-PRIORITY {profile}")
            });
        }
        if let Some((interval, until)) = &self.future_release {
            lines.push(format!("FUTURERELEASE {interval} {until}"));
        }
        if let Some(l) = &self.limits {
            let mut line = "LIMITS".to_owned();
            for (name, v) in [
                ("MAILMAX", l.mailmax),
                ("RCPTMAX", l.rcptmax),
                ("RCPTDOMAINMAX", l.rcptdomainmax),
            ] {
                if let Some(v) = v {
                    line.push_str(&format!(" {name}={v}"));
                }
            }
            lines.push(line);
        }
        lines.extend(self.unknown.iter().cloned());
        lines
    }

    /// The whole positive EHLO reply: the domain line, then [`Self::ehlo_lines`].
    pub fn to_reply(&self, greeting: &str) -> Result<Reply<'static>, EncodeError> {
        let first = if greeting.is_empty() {
            self.domain.clone()
        } else {
            format!("{} {greeting}", self.domain)
        };
        let lines = self.ehlo_lines();
        let mut all: Vec<&str> = vec![first.as_str()];
        all.extend(lines.iter().map(String::as_str));
        Reply::multiline(ReplyCode::OK, None, &all)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::codec::{Parsed, parse_reply};

    /// The capabilities read line by line through [`Reply::lines`], as `from_ehlo` did
    /// before it walked the wire form once.
    fn by_lines(reply: &Reply<'_>) -> Capabilities {
        let mut caps = Capabilities::default();
        let mut lines = reply.lines();
        if let Some(first) = lines.next() {
            let domain = first.split(|&b| b == b' ').next().unwrap_or(first);
            caps.domain = String::from_utf8_lossy(domain).into();
        }
        for line in lines {
            caps.add_line(line);
        }
        caps
    }

    fn text_octet() -> impl Strategy<Value = u8> {
        prop_oneof![
            4 => prop::sample::select(b"ABCDEFGHIJKLMNOPRSTUVWXYZ0123456789-.".to_vec()),
            1 => prop::sample::select(b" =\r\t\x0b\x00\x7f\x80\xc3\xa9abc".to_vec()),
        ]
    }

    fn keyword() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            prop::sample::select(vec![
                &b"PIPELINING"[..],
                b"8BITMIME",
                b"BINARYMIME",
                b"CHUNKING",
                b"DSN",
                b"SMTPUTF8",
                b"ENHANCEDSTATUSCODES",
                b"STARTTLS",
                b"REQUIRETLS",
                b"RRVS",
                b"ETRN",
                b"SIZE",
                b"AUTH",
                b"DELIVERBY",
                b"MT-PRIORITY",
                b"FUTURERELEASE",
                b"LIMITS",
                b"pipelining",
                b"Size",
                b"auth",
            ])
            .prop_map(<[u8]>::to_vec),
            prop::collection::vec(text_octet(), 0..24),
        ]
    }

    fn line() -> impl Strategy<Value = Vec<u8>> {
        (
            keyword(),
            prop::option::of((
                prop::sample::select(vec![&b" "[..], b"=", b"  ", b"\t"]),
                prop_oneof![
                    prop::collection::vec(text_octet(), 0..30),
                    "[0-9]{0,22}( [0-9x]{1,3})?".prop_map(String::into_bytes),
                    "((PLAIN|login|SCRAM-SHA-256|X|A\t|-|=) ?){1,4}".prop_map(String::into_bytes),
                ],
            )),
        )
            .prop_map(|(mut k, args)| {
                if let Some((sep, a)) = args {
                    k.extend_from_slice(sep);
                    k.extend_from_slice(&a);
                }
                k
            })
    }

    proptest! {
        #[test]
        fn from_ehlo_agrees_with_the_lines(
            first in prop::collection::vec(text_octet(), 0..40),
            lines in prop::collection::vec((line(), any::<bool>()), 0..12),
            bare_first in any::<bool>(),
            bare_last in any::<bool>(),
        ) {
            let mut raw = Vec::new();
            let count = lines.len() + 1;
            for (i, (text, lf_only)) in std::iter::once((first, false)).chain(lines).enumerate() {
                let last = i + 1 == count;
                raw.extend_from_slice(b"250");
                if !(last && bare_last || i == 0 && bare_first && last) {
                    raw.push(if last { b' ' } else { b'-' });
                    raw.extend_from_slice(&text);
                }
                raw.extend_from_slice(if lf_only { b"\n" } else { b"\r\n" });
            }
            let Ok(Parsed::Complete { value, .. }) = parse_reply(&raw) else {
                return Ok(());
            };
            prop_assert_eq!(Capabilities::from_ehlo(&value), by_lines(&value));
        }
    }
}
