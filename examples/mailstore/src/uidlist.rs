//! Dovecot's `dovecot-uidlist`: the stable IMAP UID of each maildir message.
//!
//! Version 3, as Dovecot writes it (see Dovecot's maildir documentation, "dovecot-uidlist"):
//!
//! ```text
//! 3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1
//! 25006 :1276528487.M364837P9451.kurkku,S=1355,W=1394:2,
//! 25017 W2481 :1276533073.M242911P3632.kurkku:2,F
//! ```
//!
//! The header holds the version, then `V` (UIDVALIDITY), `N` (next UID) and `G` (mailbox
//! GUID). Each record is a UID, optional extension fields (`W` vsize, `S` size, `G` GUID,
//! ...) and, after a colon, the file name; the record matches a file by base name (the part
//! before `:2,`), so a flag change does not need a rewrite. Version 1 (`1 <uidvalidity>
//! <nextuid>`, records `<uid> <filename>`) is read too. Unknown header and extension fields
//! are kept when the list is rewritten.

/// One record: a UID and the file it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UidRecord {
    /// The UID (never 0).
    pub uid: u32,
    /// Extension fields as written (`W2481`, `GABCD...`).
    pub extensions: Vec<String>,
    /// The file name as recorded (possibly with an old `:2,` part).
    pub file_name: String,
}

impl UidRecord {
    /// The base name: the file name before its first `:`.
    pub fn base(&self) -> &str {
        self.file_name
            .split_once(':')
            .map_or(self.file_name.as_str(), |(b, _)| b)
    }
}

/// Why a uidlist could not be read.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UidlistError {
    /// Not UTF-8.
    #[error("not UTF-8")]
    NotUtf8,
    /// The first line is missing or is not a version 1 or 3 header.
    #[error("bad header: {0:?}")]
    BadHeader(String),
}

/// A parsed `dovecot-uidlist`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uidlist {
    /// UIDVALIDITY (never 0).
    pub uid_validity: u32,
    /// The UID the next new message gets.
    pub next_uid: u32,
    /// The mailbox GUID (`G`), 32 hex digits, when present.
    pub guid: Option<String>,
    /// Other header fields, kept as written.
    pub header_extra: Vec<String>,
    /// The records, in file order.
    pub records: Vec<UidRecord>,
    /// Record lines that could not be read (skipped; they are dropped on rewrite).
    pub skipped_lines: usize,
}

fn parse_u32(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl Uidlist {
    /// An empty list with this UIDVALIDITY (0 becomes 1) and GUID.
    pub fn new(uid_validity: u32, guid: Option<String>) -> Uidlist {
        Uidlist {
            uid_validity: uid_validity.max(1),
            next_uid: 1,
            guid,
            header_extra: Vec::new(),
            records: Vec::new(),
            skipped_lines: 0,
        }
    }

    /// Reads a uidlist. A bad header is an error; a bad record line is skipped and counted.
    pub fn parse(data: &[u8]) -> Result<Uidlist, UidlistError> {
        let text = std::str::from_utf8(data).map_err(|_| UidlistError::NotUtf8)?;
        let mut lines = text.split('\n');
        let header = lines.next().unwrap_or_default();
        let mut fields = header.split(' ').filter(|f| !f.is_empty());
        let bad = || UidlistError::BadHeader(header.chars().take(200).collect());
        let version = fields.next().and_then(parse_u32).ok_or_else(bad)?;
        let mut list = Uidlist::new(1, None);
        match version {
            1 => {
                list.uid_validity = fields.next().and_then(parse_u32).ok_or_else(bad)?;
                list.next_uid = fields.next().and_then(parse_u32).ok_or_else(bad)?;
            }
            3 => {
                let mut v = None;
                let mut n = None;
                for f in fields {
                    if let Some(x) = f.strip_prefix('V') {
                        v = parse_u32(x);
                    } else if let Some(x) = f.strip_prefix('N') {
                        n = parse_u32(x);
                    } else if let Some(x) = f.strip_prefix('G') {
                        list.guid = Some(x.to_owned());
                    } else {
                        list.header_extra.push(f.to_owned());
                    }
                }
                list.uid_validity = v.ok_or_else(bad)?;
                list.next_uid = n.ok_or_else(bad)?;
            }
            _ => return Err(bad()),
        }
        if list.uid_validity == 0 {
            return Err(bad());
        }
        for line in lines {
            if line.is_empty() {
                continue;
            }
            match Self::parse_record(line, version) {
                Some(r) => list.records.push(r),
                None => list.skipped_lines += 1,
            }
        }
        if let Some(max) = list.records.iter().map(|r| r.uid).max() {
            list.next_uid = list.next_uid.max(max.saturating_add(1));
        }
        Ok(list)
    }

    fn parse_record(line: &str, version: u32) -> Option<UidRecord> {
        let (uid, rest) = line.split_once(' ')?;
        let uid = parse_u32(uid).filter(|&u| u != 0)?;
        let (extensions, file_name) = if version == 1 {
            (Vec::new(), rest)
        } else {
            let (ext, name) = rest.split_once(':')?;
            (
                ext.split(' ')
                    .filter(|e| !e.is_empty())
                    .map(str::to_owned)
                    .collect(),
                name,
            )
        };
        if file_name.is_empty() || file_name.contains('/') {
            return None;
        }
        Some(UidRecord {
            uid,
            extensions,
            file_name: file_name.to_owned(),
        })
    }

    /// The UID recorded for a base name.
    pub fn uid_of(&self, base: &str) -> Option<u32> {
        self.records
            .iter()
            .find(|r| r.base() == base)
            .map(|r| r.uid)
    }

    /// Gives `base` the next UID and returns it, or `None` when the UID space is used up.
    pub fn assign(&mut self, file_name: &str) -> Option<u32> {
        let uid = self.next_uid;
        if uid == 0 || uid == u32::MAX {
            return None;
        }
        self.next_uid = uid + 1;
        self.records.push(UidRecord {
            uid,
            extensions: Vec::new(),
            file_name: file_name.to_owned(),
        });
        Some(uid)
    }

    /// Writes the list in version 3 format, records in UID order.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("3 V{} N{}", self.uid_validity, self.next_uid);
        if let Some(g) = &self.guid {
            out.push_str(" G");
            out.push_str(g);
        }
        for e in &self.header_extra {
            out.push(' ');
            out.push_str(e);
        }
        out.push('\n');
        let mut records: Vec<&UidRecord> = self.records.iter().collect();
        records.sort_by_key(|r| r.uid);
        for r in records {
            out.push_str(&r.uid.to_string());
            for e in &r.extensions {
                out.push(' ');
                out.push_str(e);
            }
            out.push_str(" :");
            out.push_str(&r.file_name);
            out.push('\n');
        }
        out.into_bytes()
    }
}
