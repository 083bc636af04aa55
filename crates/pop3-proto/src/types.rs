//! The values of POP3: commands, status lines, response codes, capabilities, listings.
//!
//! Borrowed types (`T<'a>`) point into the parsed input; `into_owned()` gives a `T<'static>`.

use std::borrow::Cow;
use std::fmt;
use std::num::NonZeroU32;

pub use sasl_proto::Mechanism;
use sasl_proto::mechanism::MechanismSet;

/// A message number: 1 or more (RFC 1939 section 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageNumber(NonZeroU32);

impl MessageNumber {
    /// The number, or `None` for 0.
    pub const fn new(n: u32) -> Option<Self> {
        match NonZeroU32::new(n) {
            Some(n) => Some(Self(n)),
            None => None,
        }
    }

    /// The number.
    pub const fn get(self) -> u32 {
        self.0.get()
    }

    /// The zero-based index (number - 1).
    pub const fn index(self) -> usize {
        (self.0.get() - 1) as usize
    }
}

impl fmt::Display for MessageNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A password given to PASS: its `Debug` shows `***`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Password<'a>(pub Cow<'a, str>);

impl Password<'_> {
    /// The password.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// An owned copy.
    pub fn into_owned(self) -> Password<'static> {
        Password(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Debug for Password<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A POP3 command (RFC 1939 sections 4-7 and 9, RFC 2449 section 5, RFC 2595 section 4,
/// RFC 5034 section 4, RFC 6856 sections 2.1 and 3).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command<'a> {
    /// `USER name` (RFC 1939 section 7).
    User(Cow<'a, str>),
    /// `PASS string`: the rest of the line, internal spaces kept (RFC 1939 section 7).
    Pass(Password<'a>),
    /// `APOP name digest` (RFC 1939 section 7).
    Apop {
        /// The mailbox name.
        name: Cow<'a, str>,
        /// The MD5 digest, 32 lower-case hex digits.
        digest: Cow<'a, str>,
    },
    /// `STAT`.
    Stat,
    /// `LIST [msg]`.
    List(Option<MessageNumber>),
    /// `RETR msg`.
    Retr(MessageNumber),
    /// `DELE msg`.
    Dele(MessageNumber),
    /// `NOOP`.
    Noop,
    /// `RSET`.
    Rset,
    /// `QUIT`.
    Quit,
    /// `TOP msg n`.
    Top {
        /// The message.
        msg: MessageNumber,
        /// Lines of the body after the header and the blank line.
        lines: u32,
    },
    /// `UIDL [msg]`.
    Uidl(Option<MessageNumber>),
    /// `CAPA` (RFC 2449 section 5).
    Capa,
    /// `STLS` (RFC 2595 section 4).
    Stls,
    /// `AUTH [mechanism [initial-response]]` (RFC 5034 section 4); `AUTH` alone asks for the
    /// mechanism list (an older convention, RFC 1734).
    Auth(Option<AuthCommand<'a>>),
    /// `UTF8` (RFC 6856 section 2.1).
    Utf8,
    /// `LANG [tag]` (RFC 6856 section 3); no tag asks for the list.
    Lang(Option<Cow<'a, str>>),
    /// `LAST`, obsolete (RFC 1460), parsed and answered.
    Last,
}

/// The arguments of `AUTH mechanism [initial-response]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthCommand<'a> {
    /// The mechanism.
    pub mechanism: Mechanism,
    /// The initial response as sent: base64, or "=" for an empty one. Decode it with
    /// [`sasl_proto::codec::decode_response`].
    pub initial_response: Option<Cow<'a, str>>,
}

impl<'a> Command<'a> {
    /// `USER name`.
    pub fn user(name: impl Into<Cow<'a, str>>) -> Self {
        Self::User(name.into())
    }

    /// `PASS password`.
    pub fn pass(password: impl Into<Cow<'a, str>>) -> Self {
        Self::Pass(Password(password.into()))
    }

    /// `APOP name digest`.
    pub fn apop(name: impl Into<Cow<'a, str>>, digest: impl Into<Cow<'a, str>>) -> Self {
        Self::Apop {
            name: name.into(),
            digest: digest.into(),
        }
    }

    /// `AUTH mechanism [initial-response]` with the initial response already base64-encoded.
    pub fn auth(mechanism: Mechanism, initial_response: Option<Cow<'a, str>>) -> Self {
        Self::Auth(Some(AuthCommand {
            mechanism,
            initial_response,
        }))
    }

    /// The keyword, upper case.
    pub fn keyword(&self) -> &'static str {
        match self {
            Self::User(_) => "USER",
            Self::Pass(_) => "PASS",
            Self::Apop { .. } => "APOP",
            Self::Stat => "STAT",
            Self::List(_) => "LIST",
            Self::Retr(_) => "RETR",
            Self::Dele(_) => "DELE",
            Self::Noop => "NOOP",
            Self::Rset => "RSET",
            Self::Quit => "QUIT",
            Self::Top { .. } => "TOP",
            Self::Uidl(_) => "UIDL",
            Self::Capa => "CAPA",
            Self::Stls => "STLS",
            Self::Auth(_) => "AUTH",
            Self::Utf8 => "UTF8",
            Self::Lang(_) => "LANG",
            Self::Last => "LAST",
        }
    }

    /// An owned copy.
    pub fn into_owned(self) -> Command<'static> {
        match self {
            Self::User(n) => Command::User(Cow::Owned(n.into_owned())),
            Self::Pass(p) => Command::Pass(p.into_owned()),
            Self::Apop { name, digest } => Command::Apop {
                name: Cow::Owned(name.into_owned()),
                digest: Cow::Owned(digest.into_owned()),
            },
            Self::Stat => Command::Stat,
            Self::List(n) => Command::List(n),
            Self::Retr(n) => Command::Retr(n),
            Self::Dele(n) => Command::Dele(n),
            Self::Noop => Command::Noop,
            Self::Rset => Command::Rset,
            Self::Quit => Command::Quit,
            Self::Top { msg, lines } => Command::Top { msg, lines },
            Self::Uidl(n) => Command::Uidl(n),
            Self::Capa => Command::Capa,
            Self::Stls => Command::Stls,
            Self::Auth(a) => Command::Auth(a.map(|a| AuthCommand {
                mechanism: a.mechanism,
                initial_response: a.initial_response.map(|r| Cow::Owned(r.into_owned())),
            })),
            Self::Utf8 => Command::Utf8,
            Self::Lang(t) => Command::Lang(t.map(|t| Cow::Owned(t.into_owned()))),
            Self::Last => Command::Last,
        }
    }
}

/// The status indicator of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// `+OK`.
    Ok,
    /// `-ERR`.
    Err,
}

/// An extended response code (RFC 2449 section 8, RFC 3206, RFC 6856 section 5), compared
/// case-insensitively. Unknown codes are kept as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseCode<'a> {
    /// `IN-USE`: authenticated, but the maildrop is locked (RFC 2449 section 8.1.2).
    InUse,
    /// `LOGIN-DELAY`: logged in too recently (RFC 2449 section 8.1.1).
    LoginDelay,
    /// `SYS/TEMP`: a temporary system error (RFC 3206 section 4).
    SysTemp,
    /// `SYS/PERM`: a permanent system error (RFC 3206 section 4).
    SysPerm,
    /// `AUTH`: a problem with the credentials (RFC 3206 section 5).
    Auth,
    /// `UTF8`: the message needs UTF-8 mode (RFC 6856 section 5).
    Utf8,
    /// Any other code, as sent (between the brackets).
    Other(Cow<'a, str>),
}

impl<'a> ResponseCode<'a> {
    /// Classifies the text between the brackets.
    pub fn from_raw(raw: &'a str) -> Self {
        const KNOWN: [(&str, ResponseCode<'static>); 6] = [
            ("IN-USE", ResponseCode::InUse),
            ("LOGIN-DELAY", ResponseCode::LoginDelay),
            ("SYS/TEMP", ResponseCode::SysTemp),
            ("SYS/PERM", ResponseCode::SysPerm),
            ("AUTH", ResponseCode::Auth),
            ("UTF8", ResponseCode::Utf8),
        ];
        KNOWN
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(raw))
            .map(|(_, code)| code.clone())
            .unwrap_or(Self::Other(Cow::Borrowed(raw)))
    }

    /// The code as sent between the brackets (canonical upper case for known codes).
    pub fn as_str(&self) -> &str {
        match self {
            Self::InUse => "IN-USE",
            Self::LoginDelay => "LOGIN-DELAY",
            Self::SysTemp => "SYS/TEMP",
            Self::SysPerm => "SYS/PERM",
            Self::Auth => "AUTH",
            Self::Utf8 => "UTF8",
            Self::Other(raw) => raw,
        }
    }

    /// The first level of the hierarchy (`SYS` for `SYS/TEMP`), upper case; clients "MUST
    /// ignore unknown hierarchical detail" (RFC 2449 section 8).
    pub fn top_level(&self) -> String {
        let s = self.as_str();
        s.split('/').next().unwrap_or(s).to_ascii_uppercase()
    }

    /// An owned copy.
    pub fn into_owned(self) -> ResponseCode<'static> {
        match self {
            Self::InUse => ResponseCode::InUse,
            Self::LoginDelay => ResponseCode::LoginDelay,
            Self::SysTemp => ResponseCode::SysTemp,
            Self::SysPerm => ResponseCode::SysPerm,
            Self::Auth => ResponseCode::Auth,
            Self::Utf8 => ResponseCode::Utf8,
            Self::Other(raw) => ResponseCode::Other(Cow::Owned(raw.into_owned())),
        }
    }
}

/// A status line: `+OK` or `-ERR`, an optional response code, and text.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusLine<'a> {
    /// `+OK` or `-ERR`.
    pub status: Status,
    /// The response code in brackets at the start of the text, if any.
    pub code: Option<ResponseCode<'a>>,
    /// The text after the code (or after the status), as sent: never forced into UTF-8.
    pub text: Cow<'a, [u8]>,
}

impl std::fmt::Debug for StatusLine<'_> {
    // The text as text (escaped where it is not printable ASCII), not as a list of numbers.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusLine")
            .field("status", &self.status)
            .field("code", &self.code)
            .field("text", &proto_core::Escaped(&self.text))
            .finish()
    }
}

impl<'a> StatusLine<'a> {
    /// `+OK text`.
    pub fn ok(text: impl Into<Cow<'a, [u8]>>) -> Self {
        Self {
            status: Status::Ok,
            code: None,
            text: text.into(),
        }
    }

    /// `-ERR text`.
    pub fn err(text: impl Into<Cow<'a, [u8]>>) -> Self {
        Self {
            status: Status::Err,
            code: None,
            text: text.into(),
        }
    }

    /// Adds a response code.
    #[must_use]
    pub fn with_code(mut self, code: ResponseCode<'a>) -> Self {
        self.code = Some(code);
        self
    }

    /// True for `+OK`.
    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }

    /// The text, with invalid UTF-8 replaced.
    pub fn text_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.text)
    }

    /// An owned copy.
    pub fn into_owned(self) -> StatusLine<'static> {
        StatusLine {
            status: self.status,
            code: self.code.map(ResponseCode::into_owned),
            text: Cow::Owned(self.text.into_owned()),
        }
    }
}

/// The APOP timestamp of a greeting, brackets included: `<1896.697170952@dbc.mtview.ca.us>`
/// (RFC 1939 section 7).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timestamp<'a>(pub Cow<'a, str>);

impl Timestamp<'_> {
    /// The timestamp with its brackets, as the APOP digest uses it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An owned copy.
    pub fn into_owned(self) -> Timestamp<'static> {
        Timestamp(Cow::Owned(self.0.into_owned()))
    }
}

/// One line of a LIST answer: a message and its size in octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListEntry {
    /// The message.
    pub number: MessageNumber,
    /// Its size in octets (counted with CRLF line ends, without stuffing).
    pub size: u64,
}

/// One line of a UIDL answer: a message and its unique id (RFC 1939 section 7: 1 to 70
/// octets in 0x21-0x7E).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UidlEntry<'a> {
    /// The message.
    pub number: MessageNumber,
    /// Its unique id.
    pub uid: Cow<'a, str>,
}

impl UidlEntry<'_> {
    /// An owned copy.
    pub fn into_owned(self) -> UidlEntry<'static> {
        UidlEntry {
            number: self.number,
            uid: Cow::Owned(self.uid.into_owned()),
        }
    }
}

/// One line of a LANG listing: a language tag and an optional description (RFC 6856
/// section 3.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Language<'a> {
    /// The tag (RFC 5646).
    pub tag: Cow<'a, str>,
    /// The description in the language itself, UTF-8 (invalid octets replaced).
    pub description: Option<Cow<'a, str>>,
}

impl Language<'_> {
    /// An owned copy.
    pub fn into_owned(self) -> Language<'static> {
        Language {
            tag: Cow::Owned(self.tag.into_owned()),
            description: self.description.map(|d| Cow::Owned(d.into_owned())),
        }
    }
}

/// The EXPIRE value (RFC 2449 section 6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expire {
    /// Messages are kept at least this many days (0: deleted once retrieved).
    Days(u32),
    /// Messages are never deleted by the server.
    Never,
}

/// One capability of a CAPA answer (RFC 2449 section 6, RFC 2595, RFC 3206 section 6,
/// RFC 5034 section 3, RFC 6856). Tags are case-insensitive; unknown lines are kept whole.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Capability<'a> {
    /// `TOP`.
    Top,
    /// `USER`: USER and PASS are allowed.
    User,
    /// `SASL mechanisms...`.
    Sasl(Vec<Mechanism>),
    /// `RESP-CODES`.
    RespCodes,
    /// `AUTH-RESP-CODE`.
    AuthRespCode,
    /// `LOGIN-DELAY n [USER]`.
    LoginDelay {
        /// Minimum seconds between logins.
        seconds: u32,
        /// `USER`: the value may differ after login.
        per_user: bool,
    },
    /// `PIPELINING`.
    Pipelining,
    /// `EXPIRE n|NEVER [USER]`.
    Expire {
        /// The retention.
        expire: Expire,
        /// `USER`: the value may differ after login.
        per_user: bool,
    },
    /// `UIDL`.
    Uidl,
    /// `IMPLEMENTATION text`.
    Implementation(Cow<'a, str>),
    /// `STLS`.
    Stls,
    /// `UTF8 [USER]`.
    Utf8 {
        /// `USER`: UTF-8 user names and passwords are accepted.
        user: bool,
    },
    /// `LANG`.
    Lang,
    /// Anything else: the whole line.
    Unknown(Cow<'a, str>),
}

impl Capability<'_> {
    /// An owned copy.
    pub fn into_owned(self) -> Capability<'static> {
        match self {
            Self::Top => Capability::Top,
            Self::User => Capability::User,
            Self::Sasl(m) => Capability::Sasl(m),
            Self::RespCodes => Capability::RespCodes,
            Self::AuthRespCode => Capability::AuthRespCode,
            Self::LoginDelay { seconds, per_user } => Capability::LoginDelay { seconds, per_user },
            Self::Pipelining => Capability::Pipelining,
            Self::Expire { expire, per_user } => Capability::Expire { expire, per_user },
            Self::Uidl => Capability::Uidl,
            Self::Implementation(t) => Capability::Implementation(Cow::Owned(t.into_owned())),
            Self::Stls => Capability::Stls,
            Self::Utf8 { user } => Capability::Utf8 { user },
            Self::Lang => Capability::Lang,
            Self::Unknown(t) => Capability::Unknown(Cow::Owned(t.into_owned())),
        }
    }
}

/// A CAPA answer: the capabilities in the order sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Capabilities<'a>(pub Vec<Capability<'a>>);

impl Capabilities<'_> {
    /// True if `capability` is listed (compared whole).
    pub fn has(&self, capability: &Capability<'_>) -> bool {
        self.0.iter().any(|c| c == capability)
    }

    /// `TOP` is listed.
    pub fn top(&self) -> bool {
        self.has(&Capability::Top)
    }

    /// `USER` is listed.
    pub fn user(&self) -> bool {
        self.has(&Capability::User)
    }

    /// `UIDL` is listed.
    pub fn uidl(&self) -> bool {
        self.has(&Capability::Uidl)
    }

    /// `STLS` is listed.
    pub fn stls(&self) -> bool {
        self.has(&Capability::Stls)
    }

    /// `PIPELINING` is listed.
    pub fn pipelining(&self) -> bool {
        self.has(&Capability::Pipelining)
    }

    /// `RESP-CODES` is listed.
    pub fn resp_codes(&self) -> bool {
        self.has(&Capability::RespCodes)
    }

    /// `LANG` is listed.
    pub fn lang(&self) -> bool {
        self.has(&Capability::Lang)
    }

    /// `UTF8`, with whether `USER` follows it.
    pub fn utf8(&self) -> Option<bool> {
        self.0.iter().find_map(|c| match c {
            Capability::Utf8 { user } => Some(*user),
            _ => None,
        })
    }

    /// The SASL mechanisms listed (all `SASL` lines together), each once, in the order listed.
    pub fn sasl(&self) -> MechanismSet {
        self.0
            .iter()
            .filter_map(|c| match c {
                Capability::Sasl(m) => Some(m.iter().cloned()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// The LOGIN-DELAY value.
    pub fn login_delay(&self) -> Option<(u32, bool)> {
        self.0.iter().find_map(|c| match c {
            Capability::LoginDelay { seconds, per_user } => Some((*seconds, *per_user)),
            _ => None,
        })
    }

    /// The EXPIRE value.
    pub fn expire(&self) -> Option<(Expire, bool)> {
        self.0.iter().find_map(|c| match c {
            Capability::Expire { expire, per_user } => Some((*expire, *per_user)),
            _ => None,
        })
    }

    /// The IMPLEMENTATION text.
    pub fn implementation(&self) -> Option<&str> {
        self.0.iter().find_map(|c| match c {
            Capability::Implementation(t) => Some(&**t),
            _ => None,
        })
    }

    /// An owned copy.
    pub fn into_owned(self) -> Capabilities<'static> {
        Capabilities(self.0.into_iter().map(Capability::into_owned).collect())
    }
}

/// A whole response, as [`crate::codec::parse_response`] reads it for one command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Response<'a> {
    /// The greeting, with its APOP timestamp if any.
    Greeting {
        /// The line.
        line: StatusLine<'a>,
        /// The APOP timestamp.
        timestamp: Option<Timestamp<'a>>,
    },
    /// A status line alone: any `-ERR`, and `+OK` to single-line commands.
    Status(StatusLine<'a>),
    /// `+OK nn mm` to STAT.
    Stat {
        /// The line; its text is what follows the numbers.
        line: StatusLine<'a>,
        /// Messages in the maildrop.
        count: u32,
        /// Their size in octets.
        size: u64,
    },
    /// `+OK n size` to `LIST n`.
    ListOne {
        /// The line.
        line: StatusLine<'a>,
        /// The entry.
        entry: ListEntry,
    },
    /// A LIST listing.
    List {
        /// The first line.
        line: StatusLine<'a>,
        /// The entries.
        entries: Vec<ListEntry>,
    },
    /// `+OK n uid` to `UIDL n`.
    UidlOne {
        /// The line.
        line: StatusLine<'a>,
        /// The entry.
        entry: UidlEntry<'a>,
    },
    /// A UIDL listing.
    Uidl {
        /// The first line.
        line: StatusLine<'a>,
        /// The entries.
        entries: Vec<UidlEntry<'a>>,
    },
    /// A CAPA listing.
    Capa {
        /// The first line.
        line: StatusLine<'a>,
        /// The capabilities.
        capabilities: Capabilities<'a>,
    },
    /// A LANG listing.
    Languages {
        /// The first line.
        line: StatusLine<'a>,
        /// The languages.
        languages: Vec<Language<'a>>,
    },
    /// A mechanism listing (the answer to `AUTH` without arguments).
    Mechanisms {
        /// The first line.
        line: StatusLine<'a>,
        /// The mechanisms (unparseable names dropped).
        mechanisms: Vec<Mechanism>,
    },
    /// `+OK` to RETR or TOP: the dot-stuffed body follows `consumed` (un-stuff it with
    /// [`proto_core::DotUnstuffer`]).
    BodyFollows(StatusLine<'a>),
    /// A SASL challenge line `+ base64` during AUTH (the base64 text, possibly empty).
    Continuation(Cow<'a, [u8]>),
}

impl Response<'_> {
    /// An owned copy.
    pub fn into_owned(self) -> Response<'static> {
        match self {
            Self::Greeting { line, timestamp } => Response::Greeting {
                line: line.into_owned(),
                timestamp: timestamp.map(Timestamp::into_owned),
            },
            Self::Status(line) => Response::Status(line.into_owned()),
            Self::Stat { line, count, size } => Response::Stat {
                line: line.into_owned(),
                count,
                size,
            },
            Self::ListOne { line, entry } => Response::ListOne {
                line: line.into_owned(),
                entry,
            },
            Self::List { line, entries } => Response::List {
                line: line.into_owned(),
                entries,
            },
            Self::UidlOne { line, entry } => Response::UidlOne {
                line: line.into_owned(),
                entry: entry.into_owned(),
            },
            Self::Uidl { line, entries } => Response::Uidl {
                line: line.into_owned(),
                entries: entries.into_iter().map(UidlEntry::into_owned).collect(),
            },
            Self::Capa { line, capabilities } => Response::Capa {
                line: line.into_owned(),
                capabilities: capabilities.into_owned(),
            },
            Self::Languages { line, languages } => Response::Languages {
                line: line.into_owned(),
                languages: languages.into_iter().map(Language::into_owned).collect(),
            },
            Self::Mechanisms { line, mechanisms } => Response::Mechanisms {
                line: line.into_owned(),
                mechanisms,
            },
            Self::BodyFollows(line) => Response::BodyFollows(line.into_owned()),
            Self::Continuation(data) => Response::Continuation(Cow::Owned(data.into_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_text_as_text() {
        let line = StatusLine::err(&b"no such message \xff\r"[..]).with_code(ResponseCode::SysTemp);
        assert_eq!(
            format!("{line:?}"),
            r#"StatusLine { status: Err, code: Some(SysTemp), text: "no such message \xff\r" }"#
        );
    }
}
