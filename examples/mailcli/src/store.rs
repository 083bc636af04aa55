//! Where fetched mail goes: a Maildir ([`mailstore::Maildir`]) or an mbox
//! ([`rfc5322::mbox::write_mboxrd`]), and the state file of unique ids already fetched.
//!
//! The state file is written atomically (a temporary file, fsync, rename, fsync of the
//! directory) after each message is stored, so an interrupted run fetches nothing twice
//! either. A lock file beside it (`<state>.lock`, an exclusive `flock`) keeps two runs from
//! fetching into the same target at once.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use indicatif::ProgressBar;
use mailstore::{Delivery, Maildir};
use proto_io::fetch::FetchSink;
use rfc5322::{DateTime, Message};

use crate::Limits;
use crate::error::Error;

/// The first line of a state file.
const STATE_HEADER: &str = "# mailcli UIDL state v1: <account> TAB <unique id>, %XX-escaped";

/// Where fetched mail goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A Maildir.
    Maildir(PathBuf),
    /// An mbox file (mboxrd).
    Mbox(PathBuf),
}

impl Target {
    /// The default state file: `<maildir>/.mailcli-uidl` or `<mbox>.uidl`.
    pub fn default_state_path(&self) -> PathBuf {
        match self {
            Target::Maildir(dir) => dir.join(".mailcli-uidl"),
            Target::Mbox(file) => {
                let mut name = file.as_os_str().to_owned();
                name.push(".uidl");
                PathBuf::from(name)
            }
        }
    }
}

/// The unique ids already fetched for one account, kept in a state file shared with other
/// accounts (each line names its account).
#[derive(Debug)]
pub struct UidlState {
    path: PathBuf,
    account: String,
    seen: BTreeSet<String>,
    /// Lines of other accounts, kept as they were.
    others: Vec<String>,
    /// Held for the whole run.
    _lock: Option<File>,
}

impl UidlState {
    /// Reads the state of `account` from `path` (empty when the file does not exist).
    /// With `lock`, takes the exclusive lock beside it first ([`Error::InUse`] when another
    /// run holds it).
    pub fn load(path: &Path, account: &str, limits: &Limits, lock: bool) -> Result<Self, Error> {
        let store =
            |what: &str, e: io::Error| Error::Store(format!("{what} {}: {e}", path.display()));
        let lock = if lock {
            let mut lock_name = path.as_os_str().to_owned();
            lock_name.push(".lock");
            let lock_path = PathBuf::from(lock_name);
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)
                .map_err(|e| store("open lock", e))?;
            match file.try_lock() {
                Ok(()) => Some(file),
                Err(fs::TryLockError::WouldBlock) => return Err(Error::InUse(lock_path)),
                Err(fs::TryLockError::Error(e)) => return Err(store("lock", e)),
            }
        } else {
            None
        };
        let mut state = UidlState {
            path: path.to_owned(),
            account: account.to_owned(),
            seen: BTreeSet::new(),
            others: Vec::new(),
            _lock: lock,
        };
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(state),
            Err(e) => return Err(store("open", e)),
        };
        let mut text = String::new();
        file.take(limits.max_state_size.saturating_add(1))
            .read_to_string(&mut text)
            .map_err(|e| store("read", e))?;
        if text.len() as u64 > limits.max_state_size {
            return Err(Error::Store(format!(
                "{}: larger than {} octets (see Limits::max_state_size)",
                path.display(),
                limits.max_state_size
            )));
        }
        let parsed = parse_state(&text, account).map_err(|e| {
            Error::Store(format!(
                "{}: not a mailcli state file ({e})",
                path.display()
            ))
        })?;
        state.seen = parsed.seen;
        state.others = parsed.others;
        Ok(state)
    }

    /// The ids already fetched for this account.
    pub fn seen(&self) -> &BTreeSet<String> {
        &self.seen
    }

    /// Records `uid` as fetched and writes the file.
    pub fn insert(&mut self, uid: &str) -> io::Result<()> {
        if self.seen.insert(uid.to_owned()) {
            self.save()?;
        }
        Ok(())
    }

    /// Forgets ids no longer on the server and writes the file when any was known.
    pub fn forget(&mut self, gone: &[String]) -> io::Result<()> {
        let before = self.seen.len();
        for uid in gone {
            self.seen.remove(uid);
        }
        if self.seen.len() != before {
            self.save()?;
        }
        Ok(())
    }

    /// Writes the file atomically: a temporary file, fsync, rename, fsync of the directory.
    fn save(&self) -> io::Result<()> {
        let text = render_state(&self.account, &self.seen, &self.others);
        let mut tmp_name = self.path.as_os_str().to_owned();
        tmp_name.push(format!(".tmp{}", std::process::id()));
        let tmp = PathBuf::from(tmp_name);
        let written = (|| {
            let mut file = File::create(&tmp)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            fs::rename(&tmp, &self.path)?;
            sync_parent(&self.path)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written
    }
}

/// What a state file holds for one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedState {
    /// The unique ids fetched for the account.
    pub seen: BTreeSet<String>,
    /// The lines of other accounts, kept as they were.
    pub others: Vec<String>,
}

/// A state file line that is neither a comment nor `account TAB id`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} is not \"<account> TAB <unique id>\"")]
pub struct BadStateLine {
    /// The line number, from 1.
    pub line: usize,
}

/// Reads the ids of `account` from the text of a state file.
pub fn parse_state(text: &str, account: &str) -> Result<ParsedState, BadStateLine> {
    let account = escape(account);
    let mut parsed = ParsedState::default();
    for (n, line) in text.lines().enumerate() {
        // CRs before a line end are line-end noise (CR LF, or a last line ending in CRs):
        // all of them go, so that rendering the line again gives the same line.
        let line = line.trim_end_matches('\r');
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        match line.split_once('\t') {
            Some((a, uid)) if a == account => {
                parsed.seen.insert(unescape(uid));
            }
            Some(_) => parsed.others.push(line.to_owned()),
            None => return Err(BadStateLine { line: n + 1 }),
        }
    }
    Ok(parsed)
}

/// Writes the text of a state file: the header line, the lines of other accounts, then one
/// line per id of `account`. Account and ids are `%XX`-escaped, so any string round-trips.
pub fn render_state(account: &str, seen: &BTreeSet<String>, others: &[String]) -> String {
    let account = escape(account);
    let mut text = String::with_capacity(64 + seen.len() * 40);
    text.push_str(STATE_HEADER);
    text.push('\n');
    for line in others {
        text.push_str(line);
        text.push('\n');
    }
    for uid in seen {
        text.push_str(&account);
        text.push('\t');
        text.push_str(&escape(uid));
        text.push('\n');
    }
    text
}

/// Fsyncs the directory holding `path` (so that a rename survives a crash).
fn sync_parent(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

/// `%XX` for `%`, `#` and every octet outside 0x21-0x7E, so a line holds no tab or line
/// break and never starts like a comment.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b == b'%' || b == b'#' || !(0x21..=0x7e).contains(&b) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(char::from(b));
        }
    }
    out
}

/// Undoes [`escape`] (a `%` not followed by two hex digits stays as it is).
pub fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Counts what a sink stored, for the summary and the progress bar.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// Messages stored.
    pub messages: u64,
    /// Octets received (CRLF line ends, as POP3 sends them).
    pub octets: u64,
}

/// The progress of a fetch: a spinner with the count and the octets.
fn show(progress: &ProgressBar, stored: &Stored, current: u64) {
    progress.set_position(stored.octets + current);
    progress.set_message(format!("{} messages", stored.messages));
}

/// Stores fetched messages in a Maildir, recording each id once the message is durable.
pub struct MaildirSink<'a> {
    maildir: Maildir,
    state: &'a mut UidlState,
    progress: &'a ProgressBar,
    current: Option<Delivery>,
    current_octets: u64,
    /// What was stored.
    pub stored: Stored,
}

impl std::fmt::Debug for MaildirSink<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MaildirSink")
            .field("maildir", &self.maildir)
            .field("stored", &self.stored)
            .finish_non_exhaustive()
    }
}

impl<'a> MaildirSink<'a> {
    /// Opens (or creates) the Maildir at `path`.
    pub fn open(
        path: &Path,
        limits: &Limits,
        state: &'a mut UidlState,
        progress: &'a ProgressBar,
    ) -> Result<Self, Error> {
        let maildir = Maildir::open_or_create(path)
            .map_err(|e| Error::Store(e.to_string()))?
            .with_limits(mailstore::Limits::default().max_message_size(limits.max_message_size));
        Ok(Self {
            maildir,
            state,
            progress,
            current: None,
            current_octets: 0,
            stored: Stored::default(),
        })
    }
}

impl FetchSink for MaildirSink<'_> {
    fn begin(&mut self, _uid: &str) -> io::Result<()> {
        self.current = Some(self.maildir.delivery().map_err(io::Error::other)?);
        self.current_octets = 0;
        Ok(())
    }

    fn chunk(&mut self, data: &[u8]) -> io::Result<()> {
        let Some(delivery) = self.current.as_mut() else {
            return Err(io::Error::other("a chunk outside a message"));
        };
        delivery.write_chunk(data).map_err(io::Error::other)?;
        self.current_octets += data.len() as u64;
        show(self.progress, &self.stored, self.current_octets);
        Ok(())
    }

    fn end(&mut self, uid: &str) -> io::Result<()> {
        let Some(delivery) = self.current.take() else {
            return Err(io::Error::other("the end of no message"));
        };
        delivery.commit().map_err(io::Error::other)?;
        self.state.insert(uid)?;
        self.stored.messages += 1;
        self.stored.octets += std::mem::take(&mut self.current_octets);
        show(self.progress, &self.stored, 0);
        Ok(())
    }
}

/// Appends fetched messages to an mbox (mboxrd, LF line ends), recording each id once the
/// file is synced.
pub struct MboxSink<'a> {
    path: PathBuf,
    file: File,
    limit: u64,
    buf: Vec<u8>,
    state: &'a mut UidlState,
    progress: &'a ProgressBar,
    /// What was stored.
    pub stored: Stored,
}

impl std::fmt::Debug for MboxSink<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MboxSink")
            .field("path", &self.path)
            .field("stored", &self.stored)
            .finish_non_exhaustive()
    }
}

impl<'a> MboxSink<'a> {
    /// Opens (or creates) the mbox at `path` for appending.
    pub fn open(
        path: &Path,
        limits: &Limits,
        state: &'a mut UidlState,
        progress: &'a ProgressBar,
    ) -> Result<Self, Error> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::Store(format!("open {}: {e}", path.display())))?;
        Ok(Self {
            path: path.to_owned(),
            file,
            limit: limits.max_message_size,
            buf: Vec::new(),
            state,
            progress,
            stored: Stored::default(),
        })
    }

    /// Appends one whole entry; on failure the file is cut back to where it was.
    fn append(&mut self, entry: &[u8]) -> io::Result<()> {
        let before = self.file.seek(SeekFrom::End(0))?;
        let written = self
            .file
            .write_all(entry)
            .and_then(|()| self.file.sync_data());
        if written.is_err() {
            let _ = self.file.set_len(before);
        }
        written
    }
}

impl FetchSink for MboxSink<'_> {
    fn begin(&mut self, _uid: &str) -> io::Result<()> {
        self.buf.clear();
        Ok(())
    }

    fn chunk(&mut self, data: &[u8]) -> io::Result<()> {
        if (self.buf.len() + data.len()) as u64 > self.limit {
            self.buf = Vec::new();
            return Err(io::Error::other(format!(
                "a message is larger than {} octets (see --max-message-size)",
                self.limit
            )));
        }
        self.buf.extend_from_slice(data);
        show(self.progress, &self.stored, self.buf.len() as u64);
        Ok(())
    }

    fn end(&mut self, uid: &str) -> io::Result<()> {
        let message = std::mem::take(&mut self.buf);
        let sender = envelope_sender(&message);
        let lf = mailstore::crlf::to_lf(&message);
        let mut entry = Vec::with_capacity(lf.len() + 100);
        rfc5322::mbox::write_mboxrd(&mut entry, &sender, &now(), &lf);
        self.append(&entry)?;
        self.state.insert(uid)?;
        self.stored.messages += 1;
        self.stored.octets += message.len() as u64;
        show(self.progress, &self.stored, 0);
        Ok(())
    }
}

/// The sender for the mbox `From ` line: Return-Path, else the first From mailbox.
fn envelope_sender(message: &[u8]) -> String {
    let header_end = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(message.len(), |i| i + 4);
    let Ok(parsed) = Message::parse(message.get(..header_end).unwrap_or_default().to_vec()) else {
        return String::new();
    };
    let root = parsed.root();
    if let Some(path) = root.field("return-path") {
        let text = String::from_utf8_lossy(&path.unfolded()).into_owned();
        let text = text.trim().trim_start_matches('<').trim_end_matches('>');
        if !text.is_empty() && !text.contains(char::is_whitespace) {
            return text.to_owned();
        }
    }
    root.from()
        .iter()
        .flat_map(|a| a.mailboxes())
        .map(|m| m.addr_spec())
        .next()
        .unwrap_or_default()
}

fn now() -> DateTime {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    DateTime::from_unix_timestamp(secs, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_round_trips() {
        for s in ["plain", "a b\tc\nd", "100%", "caf\u{e9}", ""] {
            assert_eq!(unescape(&escape(s)), s);
            assert!(!escape(s).contains(['\t', '\n', ' ']));
        }
    }
}
