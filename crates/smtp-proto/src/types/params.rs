//! The parameters of MAIL FROM and RCPT TO: BODY=, RET=, NOTIFY=, ORCPT= with xtext, BY=,
//! and the rest of each extension (RFC 6152, 3030, 3461, 2852, 6531).

use std::borrow::Cow;

/// BODY= (RFC 6152, RFC 3030).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Body {
    /// 7BIT.
    SevenBit,
    /// 8BITMIME.
    EightBitMime,
    /// BINARYMIME (needs BDAT).
    BinaryMime,
}

impl Body {
    /// The keyword value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SevenBit => "7BIT",
            Self::EightBitMime => "8BITMIME",
            Self::BinaryMime => "BINARYMIME",
        }
    }
}

/// RET= (RFC 3461 4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ret {
    /// FULL: return the whole message.
    Full,
    /// HDRS: return the headers only.
    Hdrs,
}

/// NOTIFY= (RFC 3461 4.1). All three false is NEVER.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Notify {
    /// SUCCESS.
    pub success: bool,
    /// FAILURE.
    pub failure: bool,
    /// DELAY.
    pub delay: bool,
}

impl Notify {
    /// NOTIFY=NEVER.
    pub const NEVER: Self = Self {
        success: false,
        failure: false,
        delay: false,
    };

    /// True for NEVER.
    pub fn is_never(self) -> bool {
        self == Self::NEVER
    }
}

/// ORCPT= (RFC 3461 4.2): an address type and the original address in xtext.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Orcpt<'a> {
    /// The address type, usually `rfc822` (or `utf-8`, RFC 6533).
    pub addr_type: Cow<'a, str>,
    /// The address, xtext-encoded as on the wire.
    pub xtext: Cow<'a, str>,
}

impl Orcpt<'_> {
    /// `rfc822;` and the address, xtext-encoded.
    pub fn rfc822(address: &str) -> Orcpt<'static> {
        Orcpt {
            addr_type: Cow::Borrowed("rfc822"),
            xtext: Cow::Owned(xtext_encode(address.as_bytes())),
        }
    }

    /// The address, xtext-decoded.
    pub fn address(&self) -> Option<Vec<u8>> {
        xtext_decode(&self.xtext)
    }

    /// An owned copy.
    pub fn into_owned(self) -> Orcpt<'static> {
        Orcpt {
            addr_type: Cow::Owned(self.addr_type.into_owned()),
            xtext: Cow::Owned(self.xtext.into_owned()),
        }
    }
}

/// Encodes octets as xtext (RFC 3461 4): `+XX` for "+", "=", controls, space and 8-bit.
pub fn xtext_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len());
    for &b in data {
        if (33..=126).contains(&b) && b != b'+' && b != b'=' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("+{b:02X}"));
        }
    }
    out
}

/// Decodes xtext; `None` when it is not valid xtext.
pub fn xtext_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'+' {
            let hi = hex_upper(*bytes.get(i + 1)?)?;
            let lo = hex_upper(*bytes.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else if (33..=126).contains(&b) && b != b'=' {
            out.push(b);
            i += 1;
        } else {
            return None;
        }
    }
    Some(out)
}

/// True for valid xtext (RFC 3461 4); allocates nothing (the codec's borrowed path uses it).
pub(crate) fn is_xtext(text: &str) -> bool {
    let bytes = text.as_bytes();
    // One branch-free pass for the common case, a value without "+" hex escapes.
    let (plain, plus) = bytes.iter().fold((true, false), |(plain, plus), &b| {
        let xchar = b.wrapping_sub(33) < 94 && b != b'=';
        (plain & xchar, plus | (b == b'+'))
    });
    if !plus {
        return plain;
    }
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'+' {
            let ok = bytes.get(i + 1).and_then(|&h| hex_upper(h)).is_some()
                && bytes.get(i + 2).and_then(|&h| hex_upper(h)).is_some();
            if !ok {
                return false;
            }
            i += 3;
        } else if (33..=126).contains(&b) && b != b'=' {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

fn hex_upper(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// BY= (RFC 2852): deliver within `seconds` or notify/return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeliverBy {
    /// The by-time in seconds (may be negative with mode N).
    pub seconds: i64,
    /// True for mode R (return the message), false for N (notify).
    pub return_on_failure: bool,
    /// The T (trace) modifier.
    pub trace: bool,
}

/// The parameters of MAIL FROM. Unknown parameters are kept raw in [`Self::extra`].
#[derive(Debug, Clone, Default, Eq)]
#[non_exhaustive]
pub struct MailParameters<'a> {
    /// SIZE= (RFC 1870).
    pub size: Option<u64>,
    /// BODY= (RFC 6152, RFC 3030).
    pub body: Option<Body>,
    /// SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// RET= (RFC 3461).
    pub ret: Option<Ret>,
    /// ENVID= in xtext (RFC 3461).
    pub envid: Option<Cow<'a, str>>,
    /// AUTH= in xtext, or `<>` (RFC 4954 5).
    pub auth: Option<Cow<'a, str>>,
    /// REQUIRETLS (RFC 8689).
    pub requiretls: bool,
    /// MT-PRIORITY= from -9 to 9 (RFC 6710).
    pub mt_priority: Option<i8>,
    /// BY= (RFC 2852).
    pub by: Option<DeliverBy>,
    /// HOLDFOR= seconds (RFC 4865).
    pub hold_for: Option<u64>,
    /// HOLDUNTIL= date-time as written (RFC 4865).
    pub hold_until: Option<Cow<'a, str>>,
    /// Parameters this crate does not know, space-separated as received. Keywords known to
    /// this type are ignored inside it; [`Self::unknown`] lists the rest.
    pub extra: Cow<'a, str>,
}

pub(crate) const MAIL_KEYWORDS: &[&str] = &[
    "SIZE",
    "BODY",
    "SMTPUTF8",
    "RET",
    "ENVID",
    "AUTH",
    "REQUIRETLS",
    "MT-PRIORITY",
    "BY",
    "HOLDFOR",
    "HOLDUNTIL",
];
pub(crate) const RCPT_KEYWORDS: &[&str] = &["NOTIFY", "ORCPT", "RRVS"];

fn unknown_params<'s>(
    extra: &'s str,
    known: &'static [&'static str],
) -> impl Iterator<Item = (&'s str, Option<&'s str>)> + 's {
    extra
        .split(' ')
        .filter(|t| !t.is_empty())
        .filter_map(move |token| {
            let (keyword, value) = match token.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (token, None),
            };
            if known.iter().any(|k| k.eq_ignore_ascii_case(keyword)) {
                None
            } else {
                Some((keyword, value))
            }
        })
}

impl<'a> MailParameters<'a> {
    /// No parameter.
    pub fn new() -> Self {
        Self::default()
    }

    /// The unknown parameters: keyword and optional value.
    pub fn unknown(&self) -> impl Iterator<Item = (&str, Option<&str>)> + '_ {
        unknown_params(&self.extra, MAIL_KEYWORDS)
    }

    /// True when no parameter is set.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// An owned copy.
    pub fn into_owned(self) -> MailParameters<'static> {
        MailParameters {
            size: self.size,
            body: self.body,
            smtputf8: self.smtputf8,
            ret: self.ret,
            envid: self.envid.map(|c| Cow::Owned(c.into_owned())),
            auth: self.auth.map(|c| Cow::Owned(c.into_owned())),
            requiretls: self.requiretls,
            mt_priority: self.mt_priority,
            by: self.by,
            hold_for: self.hold_for,
            hold_until: self.hold_until.map(|c| Cow::Owned(c.into_owned())),
            extra: Cow::Owned(self.extra.into_owned()),
        }
    }
}

impl PartialEq for MailParameters<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.size == other.size
            && self.body == other.body
            && self.smtputf8 == other.smtputf8
            && self.ret == other.ret
            && self.envid == other.envid
            && self.auth == other.auth
            && self.requiretls == other.requiretls
            && self.mt_priority == other.mt_priority
            && self.by == other.by
            && self.hold_for == other.hold_for
            && self.hold_until == other.hold_until
            && self.unknown().eq(other.unknown())
    }
}

/// The parameters of RCPT TO. Unknown parameters are kept raw in [`Self::extra`].
#[derive(Debug, Clone, Default, Eq)]
#[non_exhaustive]
pub struct RcptParameters<'a> {
    /// NOTIFY= (RFC 3461).
    pub notify: Option<Notify>,
    /// ORCPT= (RFC 3461).
    pub orcpt: Option<Orcpt<'a>>,
    /// RRVS= date-time and optional `;C` or `;R`, as written (RFC 7293).
    pub rrvs: Option<Cow<'a, str>>,
    /// Parameters this crate does not know, as received (see [`MailParameters::extra`]).
    pub extra: Cow<'a, str>,
}

impl<'a> RcptParameters<'a> {
    /// No parameter.
    pub fn new() -> Self {
        Self::default()
    }

    /// The unknown parameters: keyword and optional value.
    pub fn unknown(&self) -> impl Iterator<Item = (&str, Option<&str>)> + '_ {
        unknown_params(&self.extra, RCPT_KEYWORDS)
    }

    /// True when no parameter is set.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// An owned copy.
    pub fn into_owned(self) -> RcptParameters<'static> {
        RcptParameters {
            notify: self.notify,
            orcpt: self.orcpt.map(Orcpt::into_owned),
            rrvs: self.rrvs.map(|c| Cow::Owned(c.into_owned())),
            extra: Cow::Owned(self.extra.into_owned()),
        }
    }
}

impl PartialEq for RcptParameters<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.notify == other.notify
            && self.orcpt == other.orcpt
            && self.rrvs == other.rrvs
            && self.unknown().eq(other.unknown())
    }
}
