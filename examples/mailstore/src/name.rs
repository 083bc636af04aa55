//! Maildir file names as Dovecot writes and reads them.
//!
//! ```text
//! <secs>.M<usecs>P<pid>Q<n>.<host>,S=<size>,W=<vsize>:2,<flags>
//! ```
//!
//! The part before `:` is the *base name*: unique, and kept when flags change. `S=` is the
//! file's size on disk (LF line ends) and `W=` the size with CRLF line ends (what POP3 and
//! IMAP report); both let a reader skip a `stat` and a scan. The part after `:2,` is the flag
//! letters in ASCII order. Files in `new/` carry no `:2,` part.

use crate::flags::Flags;

/// A maildir file name taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaildirName {
    /// The base name: everything before the first `:`.
    pub base: String,
    /// `S=`: the size on disk, when the name carries it.
    pub size: Option<u64>,
    /// `W=`: the size with CRLF line ends, when the name carries it.
    pub vsize: Option<u64>,
    /// The flags after `:2,` (empty without an info part or with an info other than `2,`).
    pub flags: Flags,
}

impl MaildirName {
    /// Takes a file name apart. Returns `None` for names that are not messages: empty, hidden
    /// (`.` first), or holding `/` or NUL.
    pub fn parse(file_name: &str) -> Option<MaildirName> {
        let (base, info) = match file_name.split_once(':') {
            Some((b, i)) => (b, Some(i)),
            None => (file_name, None),
        };
        if !valid_id(base) {
            return None;
        }
        let flags = match info.and_then(|i| i.strip_prefix("2,")) {
            Some(letters) => Flags::parse(letters),
            None => Flags::empty(),
        };
        let mut size = None;
        let mut vsize = None;
        for field in base.split(',').skip(1) {
            if let Some(v) = field.strip_prefix("S=") {
                size = parse_decimal(v);
            } else if let Some(v) = field.strip_prefix("W=") {
                vsize = parse_decimal(v);
            }
        }
        Some(MaildirName {
            base: base.to_owned(),
            size,
            vsize,
            flags,
        })
    }

    /// The file name for `cur/`: `<base>:2,<flags>`.
    pub fn cur_name(&self) -> String {
        format!("{}:2,{}", self.base, self.flags.letters())
    }
}

/// A decimal number of at most 20 digits, without sign or spaces.
fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Whether `id` can be a base name: not empty, not hidden, no `/`, `:` or NUL, and no other
/// control character. Ids that pass cannot name a path outside the maildir.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && !id
            .bytes()
            .any(|b| b == b'/' || b == b':' || b.is_ascii_control())
}

/// Escapes a host name the way Dovecot does for the third part of a maildir name (`/` as
/// `\057`, `:` as `\072`), and also `,`, `\`, space and control characters, so the name
/// parses back.
pub fn escape_host(host: &str) -> String {
    let mut out = String::with_capacity(host.len());
    for c in host.chars() {
        match c {
            '/' | ':' | ',' | '\\' | ' ' => out.push_str(&format!("\\{:03o}", u32::from(c))),
            c if c.is_control() => out.push_str(&format!("\\{:03o}", u32::from(c) & 0o377)),
            c => out.push(c),
        }
    }
    if out.is_empty() {
        out.push_str("localhost");
    }
    out
}

/// A unique base name without sizes: `<secs>.M<usecs>P<pid>Q<n>.<host>`.
pub fn unique_base(secs: u64, usecs: u32, pid: u32, n: u64, escaped_host: &str) -> String {
    format!("{secs}.M{usecs}P{pid}Q{n}.{escaped_host}")
}

/// The base name with its sizes: `<unique>,S=<size>,W=<vsize>`.
pub fn with_sizes(unique: &str, size: u64, vsize: u64) -> String {
    format!("{unique},S={size},W={vsize}")
}
