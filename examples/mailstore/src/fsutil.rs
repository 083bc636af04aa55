//! File system helpers: directory fsync, bounded reads, atomic replacement, locks.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{Error, IoContext, Result};

/// Makes a directory's entries (a rename or an unlink in it) durable.
pub(crate) fn fsync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .ctx("fsync directory", dir)
}

/// Creates a directory (and its parents) if missing.
pub(crate) fn ensure_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).ctx("create directory", dir)
}

/// Reads a whole file of at most `limit` octets; `Ok(None)` when it does not exist.
pub(crate) fn read_limited(path: &Path, limit: u64) -> Result<Option<Vec<u8>>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).ctx("open", path),
    };
    let mut data = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut data)
        .ctx("read", path)?;
    if data.len() as u64 > limit {
        return Err(Error::FileTooLarge {
            path: path.to_owned(),
            limit,
        });
    }
    Ok(Some(data))
}

/// Replaces `path` with `data` durably: write `tmp`, fsync, rename over `path`, fsync the
/// directory. `tmp` must be in the same directory and must not exist.
pub(crate) fn replace_file(tmp: &Path, path: &Path, data: &[u8]) -> Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(tmp)
        .ctx("create", tmp)?;
    let written = f.write_all(data).and_then(|()| f.sync_all());
    if let Err(e) = written {
        let _ = fs::remove_file(tmp);
        return Err(e).ctx("write", tmp);
    }
    drop(f);
    if let Err(e) = fs::rename(tmp, path) {
        let _ = fs::remove_file(tmp);
        return Err(e).ctx("rename", path);
    }
    fsync_dir(parent(path))
}

/// The directory holding `path` (`.` for a bare name).
pub(crate) fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// This machine's host name, for unique file names.
pub(crate) fn hostname() -> String {
    for p in ["/proc/sys/kernel/hostname", "/etc/hostname"] {
        if let Ok(s) = fs::read_to_string(p) {
            let s = s.trim();
            if !s.is_empty() {
                return s.to_owned();
            }
        }
    }
    "localhost".to_owned()
}

/// An exclusive advisory lock (`flock`) on a file, held until dropped. The kernel releases it
/// when the process dies, so a crash leaves no stale lock.
#[derive(Debug)]
pub struct SessionLock {
    file: File,
    path: PathBuf,
}

impl SessionLock {
    /// Takes the lock on `path` (created if missing) without waiting: [`Error::InUse`] when
    /// another session (in this process or another) holds it.
    pub(crate) fn try_acquire(path: &Path) -> Result<SessionLock> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .ctx("open lock", path)?;
        match file.try_lock() {
            Ok(()) => Ok(SessionLock {
                file,
                path: path.to_owned(),
            }),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::InUse(path.to_owned())),
            Err(std::fs::TryLockError::Error(e)) => Err(e).ctx("lock", path),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SessionLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// A Dovecot-style dot lock: `<file>.lock` created with `O_EXCL`. The holder writes the new
/// content into the lock file and renames it over the locked file, or removes it.
#[derive(Debug)]
pub(crate) struct DotLock {
    pub(crate) path: PathBuf,
    pub(crate) file: Option<File>,
}

impl DotLock {
    /// Creates the lock file, waiting up to `wait` for another holder; a lock file older than
    /// `stale` is removed first.
    pub(crate) fn acquire(path: PathBuf, wait: Duration, stale: Duration) -> Result<DotLock> {
        let start = std::time::Instant::now();
        loop {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    return Ok(DotLock {
                        path,
                        file: Some(file),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let age = fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| SystemTime::now().duration_since(t).ok());
                    if age.is_some_and(|a| a > stale) {
                        let _ = fs::remove_file(&path);
                        continue;
                    }
                    if start.elapsed() >= wait {
                        return Err(Error::LockTimeout(path));
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(e).ctx("create lock", &path),
            }
        }
    }

    /// Writes `data` into the lock file, fsyncs it and renames it over `target`, which
    /// releases the lock.
    pub(crate) fn commit(mut self, target: &Path, data: &[u8]) -> Result<()> {
        let Some(mut file) = self.file.take() else {
            return Err(Error::Corrupt {
                path: self.path.clone(),
                reason: "lock already released".to_owned(),
            });
        };
        file.write_all(data)
            .and_then(|()| file.sync_all())
            .ctx("write", &self.path)?;
        drop(file);
        fs::rename(&self.path, target).ctx("rename", target)?;
        // The rename moved the lock file away: nothing left to remove.
        self.path = PathBuf::new();
        fsync_dir(parent(target))
    }
}

impl Drop for DotLock {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.path);
        }
    }
}
