//! The maildir: delivery, listing, reading, flags, deletion and the session lock.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::crlf::{ToCrlf, ToLf};
use crate::error::{Error, IoContext, Result};
use crate::flags::Flags;
use crate::fsutil::{self, DotLock, SessionLock};
use crate::limits::Limits;
use crate::name::{self, MaildirName};
use crate::uidlist::Uidlist;

/// The name of the uidlist file (Dovecot's).
pub const UIDLIST_FILE: &str = "dovecot-uidlist";
/// The name of the file the session lock is taken on.
pub const SESSION_LOCK_FILE: &str = "mailstore-session.lock";

/// Deliveries made by this process, for the `Q<n>` part of unique names.
static DELIVERIES: AtomicU64 = AtomicU64::new(0);

/// A message just stored in `new/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// The base name (unique, kept when flags change).
    pub id: String,
    /// Where the file is.
    pub path: PathBuf,
    /// The size on disk, LF line ends (`S=`).
    pub size_lf: u64,
    /// The size with CRLF line ends (`W=`).
    pub size_crlf: u64,
}

/// A message found by [`Maildir::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageEntry {
    /// The base name: unique and stable; this crate's POP3 UIDL.
    pub id: String,
    /// The UID from `dovecot-uidlist` (stable while UIDVALIDITY holds).
    pub uid: u32,
    /// The size with CRLF line ends (`W=`, or counted when the name lacks it).
    pub size_crlf: u64,
    /// The size on disk (`S=`, or the file's length when the name lacks it).
    pub size_lf: u64,
    /// The flags after `:2,`.
    pub flags: Flags,
    /// Where the file is (in `new/` or `cur/`).
    pub path: PathBuf,
    /// Whether the file is in `new/` (not yet seen by any mail client).
    pub recent: bool,
}

/// A maildir on disk: `tmp/`, `new/` and `cur/` under one directory.
///
/// All methods take `&self`: deliveries from several threads or sessions can run at once
/// (each writes its own uniquely named file).
#[derive(Debug)]
pub struct Maildir {
    root: PathBuf,
    limits: Limits,
    host: String,
    /// Base name to the last path seen, to find a message without a directory scan.
    paths: Mutex<HashMap<String, PathBuf>>,
}

fn now_parts() -> (u64, u32) {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_secs(), d.subsec_micros())
}

impl Maildir {
    /// Opens the maildir at `path`, creating it and its `tmp/`, `new/` and `cur/` when
    /// missing.
    pub fn open_or_create(path: impl AsRef<Path>) -> Result<Maildir> {
        let root = path.as_ref().to_owned();
        for sub in ["tmp", "new", "cur"] {
            fsutil::ensure_dir(&root.join(sub))?;
        }
        Ok(Maildir {
            root,
            limits: Limits::default(),
            host: name::escape_host(&fsutil::hostname()),
            paths: Mutex::new(HashMap::new()),
        })
    }

    /// Replaces the limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Replaces the host name used in new file names (default: this machine's).
    pub fn with_hostname(mut self, host: &str) -> Self {
        self.host = name::escape_host(host);
        self
    }

    /// The maildir's directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    fn remember(&self, id: &str, path: &Path) {
        let mut paths = self.paths.lock().unwrap_or_else(|e| e.into_inner());
        paths.insert(id.to_owned(), path.to_owned());
    }

    fn forget(&self, id: &str) {
        let mut paths = self.paths.lock().unwrap_or_else(|e| e.into_inner());
        paths.remove(id);
    }

    /// Starts a streaming delivery: a file in `tmp/` that chunks are written to.
    pub fn delivery(&self) -> Result<Delivery> {
        let tmp_dir = self.root.join("tmp");
        loop {
            let (secs, usecs) = now_parts();
            let n = DELIVERIES.fetch_add(1, Ordering::Relaxed);
            let unique = name::unique_base(secs, usecs, std::process::id(), n, &self.host);
            let tmp_path = tmp_dir.join(&unique);
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp_path)
            {
                Ok(file) => {
                    return Ok(Delivery {
                        file: Some(BufWriter::with_capacity(64 * 1024, file)),
                        tmp_path,
                        new_dir: self.root.join("new"),
                        unique,
                        conv: ToLf::new(),
                        buf: Vec::new(),
                        limit: self.limits.max_message_size,
                        done: false,
                    });
                }
                // Another process with our pid (a reused pid on a shared file system):
                // take the next number.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e).ctx("create", &tmp_path),
            }
        }
    }

    /// Stores a whole message (CRLF or LF line ends) and returns it once it is durable.
    pub fn deliver(&self, message: &[u8]) -> Result<StoredMessage> {
        let mut d = self.delivery()?;
        d.write_chunk(message)?;
        d.commit()
    }

    /// Stores a message read to its end from `reader`.
    pub fn deliver_from(&self, mut reader: impl Read) -> Result<StoredMessage> {
        let mut d = self.delivery()?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).ctx("read message from", &self.root),
            };
            d.write_chunk(buf.get(..n).unwrap_or_default())?;
        }
        d.commit()
    }

    /// Every file in `new/` and `cur/`, one per base name (a file met in both, because it
    /// moved during the scan, counts once, in `cur/`).
    fn scan(&self) -> Result<Vec<(MaildirName, PathBuf, bool)>> {
        let mut found: HashMap<String, (MaildirName, PathBuf, bool)> = HashMap::new();
        for (sub, recent) in [("new", true), ("cur", false)] {
            let dir = self.root.join(sub);
            let entries = fs::read_dir(&dir).ctx("read directory", &dir)?;
            for entry in entries {
                let entry = entry.ctx("read directory", &dir)?;
                let Ok(file_name) = entry.file_name().into_string() else {
                    continue;
                };
                let Some(parsed) = MaildirName::parse(&file_name) else {
                    continue;
                };
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    continue;
                }
                found.insert(parsed.base.clone(), (parsed, entry.path(), recent));
            }
        }
        let mut list: Vec<_> = found.into_values().collect();
        list.sort_by(|a, b| a.0.base.cmp(&b.0.base));
        Ok(list)
    }

    /// Reads the uidlist, or a fresh one when it is missing or unreadable (as Dovecot does,
    /// with a new UIDVALIDITY).
    fn read_uidlist(&self) -> Result<(Uidlist, bool)> {
        let path = self.root.join(UIDLIST_FILE);
        match fsutil::read_limited(&path, self.limits.max_uidlist_size)? {
            Some(data) => match Uidlist::parse(&data) {
                Ok(list) => Ok((list, true)),
                Err(_) => Ok((fresh_uidlist(), false)),
            },
            None => Ok((fresh_uidlist(), false)),
        }
    }

    /// Lists every message in `new/` and `cur/`, in UID order. Messages without a UID get
    /// one in `dovecot-uidlist` (taken under Dovecot's `dovecot-uidlist.lock`).
    pub fn list(&self) -> Result<Vec<MessageEntry>> {
        let mut files = self.scan()?;
        let (mut uids, existed) = self.read_uidlist()?;
        let all_known = {
            let known: HashSet<&str> = uids.records.iter().map(|r| r.base()).collect();
            files
                .iter()
                .all(|(n, _, _)| known.contains(n.base.as_str()))
        };
        if !all_known || !existed {
            let uidlist_path = self.root.join(UIDLIST_FILE);
            let lock = DotLock::acquire(
                self.root.join(format!("{UIDLIST_FILE}.lock")),
                self.limits.uidlist_lock_wait,
                self.limits.uidlist_lock_stale,
            )?;
            // Under the lock: what is on disk now, and the list as the last writer left it.
            files = self.scan()?;
            uids = self.read_uidlist()?.0;
            let present: HashSet<&str> = files.iter().map(|(n, _, _)| n.base.as_str()).collect();
            uids.records.retain(|r| present.contains(r.base()));
            let known: HashSet<String> = uids.records.iter().map(|r| r.base().to_owned()).collect();
            for (n, path, _) in &files {
                if !known.contains(&n.base) {
                    let file_name = path
                        .file_name()
                        .and_then(|f| f.to_str())
                        .unwrap_or(n.base.as_str());
                    if uids.assign(file_name).is_none() {
                        return Err(Error::Corrupt {
                            path: uidlist_path,
                            reason: "UID space used up".to_owned(),
                        });
                    }
                }
            }
            lock.commit(&uidlist_path, &uids.to_bytes())?;
        }
        let uid_of: HashMap<&str, u32> = uids.records.iter().map(|r| (r.base(), r.uid)).collect();
        let mut out = Vec::with_capacity(files.len());
        for (n, path, recent) in files {
            let Some(&uid) = uid_of.get(n.base.as_str()) else {
                continue;
            };
            let size_lf = match n.size {
                Some(s) => s,
                None => match fs::metadata(&path) {
                    Ok(m) => m.len(),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e).ctx("stat", &path),
                },
            };
            let size_crlf = match n.vsize {
                Some(s) => s,
                None => match crlf_size_of(&path) {
                    Ok(s) => s,
                    Err(Error::Io { source, .. })
                        if source.kind() == std::io::ErrorKind::NotFound =>
                    {
                        continue;
                    }
                    Err(e) => return Err(e),
                },
            };
            self.remember(&n.base, &path);
            out.push(MessageEntry {
                id: n.base,
                uid,
                size_crlf,
                size_lf,
                flags: n.flags,
                path,
                recent,
            });
        }
        out.sort_by_key(|e| e.uid);
        Ok(out)
    }

    /// The current path of a message, from the cache or by a scan.
    fn locate(&self, id: &str) -> Result<PathBuf> {
        if !name::valid_id(id) {
            return Err(Error::InvalidId(id.to_owned()));
        }
        let cached = {
            let paths = self.paths.lock().unwrap_or_else(|e| e.into_inner());
            paths.get(id).cloned()
        };
        if let Some(p) = cached
            && p.exists()
        {
            return Ok(p);
        }
        for (n, path, _) in self.scan()? {
            if n.base == id {
                self.remember(id, &path);
                return Ok(path);
            }
        }
        self.forget(id);
        Err(Error::NotFound(id.to_owned()))
    }

    fn open_file(&self, id: &str) -> Result<(File, PathBuf)> {
        // A flag change by another program can rename the file between locate and open:
        // look again once.
        for _ in 0..2 {
            let path = self.locate(id)?;
            match File::open(&path) {
                Ok(f) => return Ok((f, path)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => self.forget(id),
                Err(e) => return Err(e).ctx("open", &path),
            }
        }
        Err(Error::NotFound(id.to_owned()))
    }

    /// The message as stored (LF line ends), at most
    /// [`max_message_size`](Limits::max_message_size) octets.
    pub fn read_raw(&self, id: &str) -> Result<Vec<u8>> {
        let (file, path) = self.open_file(id)?;
        let limit = self.limits.max_message_size;
        let mut data = Vec::new();
        file.take(limit.saturating_add(1))
            .read_to_end(&mut data)
            .ctx("read", &path)?;
        if data.len() as u64 > limit {
            return Err(Error::MessageTooLarge { limit });
        }
        Ok(data)
    }

    /// The message with CRLF line ends (as POP3 and IMAP send it).
    pub fn read(&self, id: &str) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        for chunk in self.open_message(id)? {
            out.extend_from_slice(&chunk?);
            if out.len() as u64 > self.limits.max_message_size {
                return Err(Error::MessageTooLarge {
                    limit: self.limits.max_message_size,
                });
            }
        }
        Ok(out)
    }

    /// A reader giving the message with CRLF line ends, chunk by chunk.
    pub fn open_message(&self, id: &str) -> Result<MessageReader> {
        let (file, path) = self.open_file(id)?;
        Ok(MessageReader {
            file,
            path,
            conv: ToCrlf::new(),
            buf: vec![0u8; 64 * 1024],
            done: false,
        })
    }

    /// Replaces the flags of a message; the file moves to `cur/` as `<id>:2,<flags>`.
    /// Returns the new path.
    pub fn set_flags(&self, id: &str, flags: Flags) -> Result<PathBuf> {
        let cur = self.root.join("cur");
        for _ in 0..2 {
            let from = self.locate(id)?;
            let to = cur.join(format!("{id}:2,{}", flags.letters()));
            if from == to {
                return Ok(to);
            }
            match fs::rename(&from, &to) {
                Ok(()) => {
                    fsutil::fsync_dir(&cur)?;
                    let from_dir = fsutil::parent(&from);
                    if from_dir != cur {
                        fsutil::fsync_dir(from_dir)?;
                    }
                    self.remember(id, &to);
                    return Ok(to);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => self.forget(id),
                Err(e) => return Err(e).ctx("rename", &from),
            }
        }
        Err(Error::NotFound(id.to_owned()))
    }

    /// Deletes messages. Ids already gone (deleted by another session) are skipped. Returns
    /// how many files this call removed.
    pub fn delete<S: AsRef<str>>(&self, ids: &[S]) -> Result<usize> {
        let mut removed = 0;
        let mut dirs: Vec<PathBuf> = Vec::new();
        for id in ids {
            let id = id.as_ref();
            let path = match self.locate(id) {
                Ok(p) => p,
                Err(Error::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            match fs::remove_file(&path) {
                Ok(()) => {
                    removed += 1;
                    let dir = fsutil::parent(&path).to_owned();
                    if !dirs.contains(&dir) {
                        dirs.push(dir);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).ctx("remove", &path),
            }
            self.forget(id);
        }
        for d in dirs {
            fsutil::fsync_dir(&d)?;
        }
        Ok(removed)
    }

    /// Removes files in `tmp/` last modified more than `older_than` before `now`: deliveries
    /// a crash interrupted (Dovecot does the same after 36 hours). Returns how many.
    pub fn clean_tmp(&self, now: SystemTime, older_than: std::time::Duration) -> Result<usize> {
        let dir = self.root.join("tmp");
        let mut removed = 0;
        for entry in fs::read_dir(&dir).ctx("read directory", &dir)? {
            let entry = entry.ctx("read directory", &dir)?;
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            let old = meta
                .modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .is_some_and(|age| age > older_than);
            if meta.is_file() && old && fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Takes the session lock without waiting: a POP3 server holds it for a session so that
    /// the maildrop stays consistent; a second session gets [`Error::InUse`]. Released when
    /// the guard drops, or by the kernel when the process dies.
    pub fn lock(&self) -> Result<SessionLock> {
        SessionLock::try_acquire(&self.root.join(SESSION_LOCK_FILE))
    }
}

fn fresh_uidlist() -> Uidlist {
    let (secs, usecs) = now_parts();
    let validity = u32::try_from(secs).unwrap_or(u32::MAX);
    Uidlist::new(validity, Some(guid(secs, usecs)))
}

/// A mailbox GUID: 128 bits from the time, the pid and the std hasher's random keys.
fn guid(secs: u64, usecs: u32) -> String {
    use std::hash::{BuildHasher, Hasher};
    let state = std::collections::hash_map::RandomState::new();
    let mut parts = [0u64; 2];
    for (i, p) in parts.iter_mut().enumerate() {
        let mut h = state.build_hasher();
        h.write_u64(secs);
        h.write_u32(usecs);
        h.write_u32(std::process::id());
        h.write_usize(i);
        *p = h.finish();
    }
    format!("{:016x}{:016x}", parts[0], parts[1])
}

/// The CRLF size of a file, counted.
fn crlf_size_of(path: &Path) -> Result<u64> {
    let mut file = File::open(path).ctx("open", path)?;
    let mut conv = ToCrlf::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).ctx("read", path),
        };
        total += conv.count(buf.get(..n).unwrap_or_default());
    }
}

/// A delivery in progress: chunks go through CRLF-to-LF conversion into a file in `tmp/`.
///
/// [`commit`](Self::commit) makes it durable and visible in `new/`; [`abort`](Self::abort)
/// or dropping it removes the file from `tmp/` and leaves nothing in `new/`.
#[derive(Debug)]
pub struct Delivery {
    file: Option<BufWriter<File>>,
    tmp_path: PathBuf,
    new_dir: PathBuf,
    unique: String,
    conv: ToLf,
    buf: Vec<u8>,
    limit: u64,
    done: bool,
}

impl Delivery {
    /// Adds a chunk of the message (any split; CRLF or LF line ends). Past
    /// [`max_message_size`](Limits::max_message_size) the delivery is abandoned (its file
    /// removed) and [`Error::MessageTooLarge`] returned; every later call fails the same way.
    pub fn write_chunk(&mut self, chunk: &[u8]) -> Result<()> {
        self.buf.clear();
        self.conv.push(chunk, &mut self.buf);
        if self.conv.vsize_if_finished() > self.limit {
            self.discard();
            return Err(Error::MessageTooLarge { limit: self.limit });
        }
        let Some(file) = self.file.as_mut() else {
            return Err(Error::MessageTooLarge { limit: self.limit });
        };
        if let Err(e) = file.write_all(&self.buf) {
            self.discard();
            return Err(e).ctx("write", &self.tmp_path);
        }
        Ok(())
    }

    /// The CRLF size written so far.
    pub fn size_crlf(&self) -> u64 {
        self.conv.vsize_if_finished()
    }

    /// Finishes the message: flush and fsync the file, move it to `new/` under its final
    /// name with `,S=` and `,W=`, fsync `new/`. When this returns `Ok` the message is stored.
    pub fn commit(mut self) -> Result<StoredMessage> {
        let Some(mut file) = self.file.take() else {
            return Err(Error::MessageTooLarge { limit: self.limit });
        };
        self.buf.clear();
        self.conv.finish(&mut self.buf);
        let synced = file
            .write_all(&self.buf)
            .and_then(|()| file.flush())
            .and_then(|()| file.get_ref().sync_all());
        drop(file);
        synced.ctx("write and fsync", &self.tmp_path)?;
        let id = name::with_sizes(&self.unique, self.conv.size(), self.conv.vsize());
        let path = self.new_dir.join(&id);
        // link() refuses to replace an existing file, rename() would not.
        match fs::hard_link(&self.tmp_path, &path) {
            Ok(()) => {
                // The message is in new/ now: a tmp/ name left behind (Dovecot removes those
                // after 36 hours) must not turn a stored message into a failure reply.
                let _ = fs::remove_file(&self.tmp_path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(e).ctx("link", &path);
            }
            Err(_) => {
                fs::rename(&self.tmp_path, &path).ctx("rename", &path)?;
            }
        }
        self.done = true;
        fsutil::fsync_dir(&self.new_dir)?;
        Ok(StoredMessage {
            id,
            path,
            size_lf: self.conv.size(),
            size_crlf: self.conv.vsize(),
        })
    }

    /// Abandons the delivery and removes its file from `tmp/`.
    pub fn abort(mut self) -> Result<()> {
        self.file = None;
        self.done = true;
        match fs::remove_file(&self.tmp_path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).ctx("remove", &self.tmp_path),
        }
    }

    fn discard(&mut self) {
        self.file = None;
        if !self.done {
            self.done = true;
            let _ = fs::remove_file(&self.tmp_path);
        }
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        self.discard();
    }
}

/// A message read with CRLF line ends, in chunks of up to about 64 KiB.
#[derive(Debug)]
pub struct MessageReader {
    file: File,
    path: PathBuf,
    conv: ToCrlf,
    buf: Vec<u8>,
    done: bool,
}

impl MessageReader {
    /// The next chunk, or `None` at the end.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<u8>>> {
        if self.done {
            return Ok(None);
        }
        loop {
            match self.file.read(&mut self.buf) {
                Ok(0) => {
                    self.done = true;
                    return Ok(None);
                }
                Ok(n) => {
                    let mut out = Vec::with_capacity(n + n / 16);
                    self.conv
                        .push(self.buf.get(..n).unwrap_or_default(), &mut out);
                    return Ok(Some(out));
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.done = true;
                    return Err(e).ctx("read", &self.path);
                }
            }
        }
    }
}

impl Iterator for MessageReader {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_chunk().transpose()
    }
}
