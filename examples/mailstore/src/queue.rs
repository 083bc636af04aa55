//! A durable disk queue for relaying: messages wait here until every recipient is delivered,
//! has failed, or the retry window has passed.
//!
//! Layout under the queue directory:
//!
//! ```text
//! tmp/<id>.msg  tmp/<id>.env   being written (removed on open)
//! msg/<id>                     the message, as given (CRLF from SMTP)
//! env/<id>                     the envelope and per-recipient state (text, rewritten atomically)
//! queue.lock                   flock held by the one process that owns the queue
//! ```
//!
//! An item exists once `env/<id>` does: the message is written, fsynced, renamed into `msg/`
//! and `msg/` fsynced before the envelope is written the same way, so a crash at any point
//! leaves either a whole item or an orphan that [`Queue::open`] removes. Every state change
//! rewrites the envelope file through `tmp/` and a rename, then fsyncs `env/`.
//!
//! Time is passed in (`SystemTime` values) and never read inside, so schedules can be tested
//! with synthetic times.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, IoContext, Result};
use crate::fsutil::{self, SessionLock};
use crate::limits::Limits;

/// Items made by this process, for unique ids.
static ITEMS: AtomicU64 = AtomicU64::new(0);

/// The name of a queue item: ASCII letters, digits, `.`, `-` and `_`, not starting with `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueId(String);

impl QueueId {
    /// Checks a string received from elsewhere (a command line, a log).
    pub fn parse(s: &str) -> Result<QueueId> {
        let ok = !s.is_empty()
            && s.len() <= 200
            && !s.starts_with('.')
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if ok {
            Ok(QueueId(s.to_owned()))
        } else {
            Err(Error::InvalidId(s.to_owned()))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The SMTP envelope of a queued message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The reverse-path without angle brackets; empty for the null reverse-path `<>` (a
    /// notification itself), which never gets a notification back.
    pub from: String,
    /// The forward-paths, without angle brackets.
    pub recipients: Vec<String>,
    /// The `ENVID` parameter (RFC 3461 section 4.4), echoed in a notification.
    pub envid: Option<String>,
}

impl Envelope {
    /// An envelope from `from` to `recipients`.
    pub fn new<S: Into<String>>(from: &str, recipients: impl IntoIterator<Item = S>) -> Self {
        Envelope {
            from: from.to_owned(),
            recipients: recipients.into_iter().map(Into::into).collect(),
            envid: None,
        }
    }

    /// Sets the `ENVID`.
    pub fn envid(mut self, envid: &str) -> Self {
        self.envid = Some(envid.to_owned());
        self
    }
}

/// Where a recipient stands.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipientState {
    /// Not delivered yet; tried again when due.
    Pending,
    /// Delivered (or relayed); nothing more to do.
    Delivered,
    /// Refused permanently (5xx); reported in a notification.
    Failed,
}

impl RecipientState {
    fn as_str(self) -> &'static str {
        match self {
            RecipientState::Pending => "pending",
            RecipientState::Delivered => "delivered",
            RecipientState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(RecipientState::Pending),
            "delivered" => Some(RecipientState::Delivered),
            "failed" => Some(RecipientState::Failed),
            _ => None,
        }
    }
}

/// One recipient of a queued message and its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedRecipient {
    /// The address.
    pub address: String,
    /// Where it stands.
    pub state: RecipientState,
    /// The last error: an SMTP reply (`550 5.1.1 No such user`) or a connection error.
    pub last_error: Option<String>,
    /// When it was last tried.
    pub last_attempt: Option<SystemTime>,
}

/// What a delivery attempt gave for one recipient.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted by the next hop.
    Delivered,
    /// Refused for now (4xx, or no connection): the text is kept and the recipient retried.
    Deferred(String),
    /// Refused for good (5xx): the text is kept and reported.
    Failed(String),
}

/// A queued message: its envelope, per-recipient state and schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueItem {
    /// The item's id.
    pub id: QueueId,
    /// The reverse-path (empty for `<>`).
    pub from: String,
    /// The `ENVID`.
    pub envid: Option<String>,
    /// Every recipient with its state.
    pub recipients: Vec<QueuedRecipient>,
    /// When the message was queued (the retry window starts here).
    pub arrived: SystemTime,
    /// Delivery attempts made.
    pub attempts: u32,
    /// When the next attempt is due.
    pub next_attempt: SystemTime,
    /// The message size in octets, as queued.
    pub size: u64,
}

impl QueueItem {
    /// The recipients still to deliver.
    pub fn pending(&self) -> impl Iterator<Item = &QueuedRecipient> {
        self.recipients
            .iter()
            .filter(|r| r.state == RecipientState::Pending)
    }

    /// The recipients refused for good.
    pub fn failed(&self) -> impl Iterator<Item = &QueuedRecipient> {
        self.recipients
            .iter()
            .filter(|r| r.state == RecipientState::Failed)
    }

    /// The end of the retry window.
    pub fn expires_at(&self, retry: &Retry) -> SystemTime {
        self.arrived
            .checked_add(retry.give_up_after)
            .unwrap_or(self.arrived)
    }

    fn has_pending(&self) -> bool {
        self.pending().next().is_some()
    }

    /// Whether the caller owes the sender a notification: pending recipients past the retry
    /// window, or none pending and some failed.
    pub fn needs_dsn(&self, retry: &Retry, now: SystemTime) -> bool {
        if self.has_pending() {
            now >= self.expires_at(retry)
        } else {
            self.failed().next().is_some()
        }
    }
}

/// The retry schedule: exponential backoff, capped, within a give-up window.
///
/// Attempt `n` (counting from 1) that fails is followed by a wait of
/// `first_delay * factor^(n-1)`, at most `max_delay`. Recipients still pending
/// `give_up_after` past arrival are given up (RFC 5321 section 4.5.4.1 suggests retrying for
/// at least 4-5 days, with at least 30 minutes between attempts to one destination).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    /// Wait after the first failed attempt. Default 5 minutes.
    pub first_delay: Duration,
    /// Growth of the wait per attempt. Default 2.
    pub factor: u32,
    /// Longest wait. Default 4 hours.
    pub max_delay: Duration,
    /// Retry window, from arrival. Default 5 days.
    pub give_up_after: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            first_delay: Duration::from_secs(5 * 60),
            factor: 2,
            max_delay: Duration::from_secs(4 * 3600),
            give_up_after: Duration::from_secs(5 * 24 * 3600),
        }
    }
}

impl Retry {
    /// The defaults.
    pub fn new() -> Self {
        Retry::default()
    }

    /// Sets [`first_delay`](Self::first_delay).
    pub fn first_delay(mut self, d: Duration) -> Self {
        self.first_delay = d;
        self
    }

    /// Sets [`factor`](Self::factor).
    pub fn factor(mut self, f: u32) -> Self {
        self.factor = f;
        self
    }

    /// Sets [`max_delay`](Self::max_delay).
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }

    /// Sets [`give_up_after`](Self::give_up_after).
    pub fn give_up_after(mut self, d: Duration) -> Self {
        self.give_up_after = d;
        self
    }

    /// The wait after failed attempt number `attempt` (1 for the first).
    pub fn delay(&self, attempt: u32) -> Duration {
        let mut d = self.first_delay;
        for _ in 1..attempt {
            if d >= self.max_delay {
                break;
            }
            d = d.saturating_mul(self.factor);
        }
        d.min(self.max_delay)
    }
}

/// The queue directory, owned by one process at a time.
#[derive(Debug)]
pub struct Queue {
    root: PathBuf,
    limits: Limits,
    retry: Retry,
    _lock: SessionLock,
}

impl Queue {
    /// Opens (creating when missing) the queue at `path`, takes its lock ([`Error::InUse`]
    /// when another process holds it), and removes what a crash left half written.
    pub fn open(path: impl AsRef<Path>) -> Result<Queue> {
        let root = path.as_ref().to_owned();
        for sub in ["tmp", "msg", "env"] {
            fsutil::ensure_dir(&root.join(sub))?;
        }
        let lock = SessionLock::try_acquire(&root.join("queue.lock"))?;
        let queue = Queue {
            root,
            limits: Limits::default(),
            retry: Retry::default(),
            _lock: lock,
        };
        queue.recover()?;
        Ok(queue)
    }

    /// Replaces the limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Replaces the retry schedule.
    pub fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// The retry schedule in force.
    pub fn retry(&self) -> &Retry {
        &self.retry
    }

    /// The queue directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    fn env_path(&self, id: &QueueId) -> PathBuf {
        self.root.join("env").join(id.as_str())
    }

    fn msg_path(&self, id: &QueueId) -> PathBuf {
        self.root.join("msg").join(id.as_str())
    }

    /// Removes `tmp/` leftovers and messages without an envelope.
    fn recover(&self) -> Result<()> {
        let tmp = self.root.join("tmp");
        for entry in fs::read_dir(&tmp).ctx("read directory", &tmp)? {
            let entry = entry.ctx("read directory", &tmp)?;
            let _ = fs::remove_file(entry.path());
        }
        let msg = self.root.join("msg");
        let env = self.root.join("env");
        let mut removed = false;
        for entry in fs::read_dir(&msg).ctx("read directory", &msg)? {
            let entry = entry.ctx("read directory", &msg)?;
            if !env.join(entry.file_name()).exists() {
                let _ = fs::remove_file(entry.path());
                removed = true;
            }
        }
        if removed {
            fsutil::fsync_dir(&msg)?;
        }
        Ok(())
    }

    fn check_envelope(&self, envelope: &Envelope) -> Result<Vec<String>> {
        let bad = |s: &str| s.chars().any(char::is_control);
        if bad(&envelope.from) || envelope.envid.as_deref().is_some_and(bad) {
            return Err(Error::InvalidEnvelope(
                "control character in sender or ENVID",
            ));
        }
        if envelope.recipients.is_empty() {
            return Err(Error::InvalidEnvelope("no recipients"));
        }
        let mut rcpts: Vec<String> = Vec::with_capacity(envelope.recipients.len());
        for r in &envelope.recipients {
            if r.is_empty() || bad(r) {
                return Err(Error::InvalidEnvelope(
                    "empty recipient or control character in one",
                ));
            }
            if !rcpts.contains(r) {
                rcpts.push(r.clone());
            }
        }
        if rcpts.len() > self.limits.max_recipients {
            return Err(Error::TooManyRecipients {
                limit: self.limits.max_recipients,
            });
        }
        Ok(rcpts)
    }

    /// Starts queueing a message that arrives in chunks (stored as given).
    pub fn begin(&self, envelope: &Envelope, now: SystemTime) -> Result<QueueWriter<'_>> {
        let recipients = self.check_envelope(envelope)?;
        let d = now.duration_since(UNIX_EPOCH).unwrap_or_default();
        loop {
            let n = ITEMS.fetch_add(1, Ordering::Relaxed);
            let id = QueueId(format!(
                "{}.{:06}.P{}Q{}",
                d.as_secs(),
                d.subsec_micros(),
                std::process::id(),
                n
            ));
            if self.env_path(&id).exists() {
                continue;
            }
            let tmp_path = self.root.join("tmp").join(format!("{id}.msg"));
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp_path)
            {
                Ok(file) => {
                    let item = QueueItem {
                        id,
                        from: envelope.from.clone(),
                        envid: envelope.envid.clone(),
                        recipients: recipients
                            .into_iter()
                            .map(|address| QueuedRecipient {
                                address,
                                state: RecipientState::Pending,
                                last_error: None,
                                last_attempt: None,
                            })
                            .collect(),
                        arrived: now,
                        attempts: 0,
                        next_attempt: now,
                        size: 0,
                    };
                    return Ok(QueueWriter {
                        queue: self,
                        file: Some(BufWriter::with_capacity(64 * 1024, file)),
                        tmp_path,
                        item,
                        done: false,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e).ctx("create", &tmp_path),
            }
        }
    }

    /// Queues a message given as chunks; returns once the item is durable.
    pub fn enqueue<I>(&self, envelope: &Envelope, chunks: I, now: SystemTime) -> Result<QueueId>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        let mut w = self.begin(envelope, now)?;
        for c in chunks {
            w.write_chunk(c.as_ref())?;
        }
        w.commit()
    }

    /// One item.
    pub fn get(&self, id: &QueueId) -> Result<QueueItem> {
        let path = self.env_path(id);
        let data = fsutil::read_limited(&path, self.limits.max_envelope_size)?
            .ok_or_else(|| Error::NotFound(id.to_string()))?;
        decode_envelope(id, &data).map_err(|reason| Error::Corrupt { path, reason })
    }

    /// Every item, oldest first.
    pub fn items(&self) -> Result<Vec<QueueItem>> {
        let dir = self.root.join("env");
        let mut out = Vec::new();
        for entry in fs::read_dir(&dir).ctx("read directory", &dir)? {
            let entry = entry.ctx("read directory", &dir)?;
            let Some(id) = entry
                .file_name()
                .to_str()
                .and_then(|s| QueueId::parse(s).ok())
            else {
                continue;
            };
            match self.get(&id) {
                Ok(item) => out.push(item),
                // Completed by someone between readdir and open.
                Err(Error::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        out.sort_by(|a, b| a.arrived.cmp(&b.arrived).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Items to try now: recipients pending, the next attempt due, the window not passed.
    pub fn due(&self, now: SystemTime) -> Result<Vec<QueueItem>> {
        Ok(self
            .items()?
            .into_iter()
            .filter(|i| i.has_pending() && i.next_attempt <= now && now < i.expires_at(&self.retry))
            .collect())
    }

    /// Items for which a notification is owed ([`QueueItem::needs_dsn`]): send it (see
    /// [`build_dsn`](Self::build_dsn)), then [`complete`](Self::complete) the item. Items from
    /// the null reverse-path are included too: complete them without a notification.
    pub fn expired(&self, now: SystemTime) -> Result<Vec<QueueItem>> {
        Ok(self
            .items()?
            .into_iter()
            .filter(|i| i.needs_dsn(&self.retry, now))
            .collect())
    }

    /// The queued message, at most [`max_message_size`](Limits::max_message_size) octets.
    pub fn message(&self, id: &QueueId) -> Result<Vec<u8>> {
        let path = self.msg_path(id);
        fsutil::read_limited(&path, self.limits.max_message_size)
            .map_err(|e| match e {
                Error::FileTooLarge { limit, .. } => Error::MessageTooLarge { limit },
                e => e,
            })?
            .ok_or_else(|| Error::NotFound(id.to_string()))
    }

    /// The queued message as a file to stream from.
    pub fn open_message(&self, id: &QueueId) -> Result<File> {
        let path = self.msg_path(id);
        File::open(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::NotFound(id.to_string())
            } else {
                Error::Io {
                    op: "open",
                    path,
                    source: e,
                }
            }
        })
    }

    fn store(&self, item: &QueueItem) -> Result<()> {
        let tmp = self.root.join("tmp").join(format!("{}.env", item.id));
        let _ = fs::remove_file(&tmp);
        fsutil::replace_file(&tmp, &self.env_path(&item.id), &encode_envelope(item))
    }

    /// Records the outcome of an attempt for some recipients. The attempt count grows by one
    /// and the next attempt is scheduled by the backoff. When nothing is left pending and
    /// nothing failed, the item is removed. Returns the item as it now stands.
    pub fn update(
        &self,
        id: &QueueId,
        outcomes: &[(&str, Outcome)],
        now: SystemTime,
    ) -> Result<QueueItem> {
        let mut item = self.get(id)?;
        for (address, outcome) in outcomes {
            let r = item
                .recipients
                .iter_mut()
                .find(|r| r.address == *address)
                .ok_or_else(|| Error::UnknownRecipient((*address).to_owned()))?;
            if r.state != RecipientState::Pending {
                continue;
            }
            r.last_attempt = Some(now);
            match outcome {
                Outcome::Delivered => {
                    r.state = RecipientState::Delivered;
                    r.last_error = None;
                }
                Outcome::Deferred(e) => r.last_error = Some(clean(e)),
                Outcome::Failed(e) => {
                    r.state = RecipientState::Failed;
                    r.last_error = Some(clean(e));
                }
            }
        }
        item.attempts = item.attempts.saturating_add(1);
        let wait = self.retry.delay(item.attempts);
        item.next_attempt = now.checked_add(wait).unwrap_or(now);
        if !item.has_pending() && item.failed().next().is_none() {
            self.complete(id)?;
        } else {
            self.store(&item)?;
        }
        Ok(item)
    }

    /// Records a failed attempt for every pending recipient (no connection, a 4xx before
    /// any recipient, ...) and schedules the next one.
    pub fn defer(&self, id: &QueueId, error: &str, now: SystemTime) -> Result<QueueItem> {
        let item = self.get(id)?;
        let outcomes: Vec<(&str, Outcome)> = item
            .pending()
            .map(|r| (r.address.as_str(), Outcome::Deferred(error.to_owned())))
            .collect();
        self.update(id, &outcomes, now)
    }

    /// Removes an item (all delivered, or its notification sent).
    pub fn complete(&self, id: &QueueId) -> Result<()> {
        let env = self.env_path(id);
        match fs::remove_file(&env) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotFound(id.to_string()));
            }
            Err(e) => return Err(e).ctx("remove", &env),
        }
        fsutil::fsync_dir(fsutil::parent(&env))?;
        let msg = self.msg_path(id);
        match fs::remove_file(&msg) {
            Ok(()) => fsutil::fsync_dir(fsutil::parent(&msg)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).ctx("remove", &msg),
        }
    }

    /// Builds the delivery status notification for an item that needs one (see
    /// [`crate::dsn`]): the header of the queued message is returned with it.
    pub fn build_dsn(
        &self,
        item: &QueueItem,
        reporting_mta: &str,
        now: SystemTime,
    ) -> Result<Vec<u8>> {
        let headers = match self.open_message(&item.id) {
            Ok(f) => crate::dsn::header_block(f, self.limits.max_message_size)
                .ctx("read", self.msg_path(&item.id))?,
            Err(Error::NotFound(_)) => Vec::new(),
            Err(e) => return Err(e),
        };
        crate::dsn::build(item, &self.retry, reporting_mta, &headers, now)
    }
}

/// Removes line breaks and other control characters from an error text kept in an envelope.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A message being queued. [`commit`](Self::commit) makes it an item; dropping it or
/// [`abort`](Self::abort) leaves nothing behind.
#[derive(Debug)]
pub struct QueueWriter<'q> {
    queue: &'q Queue,
    file: Option<BufWriter<File>>,
    tmp_path: PathBuf,
    item: QueueItem,
    done: bool,
}

impl QueueWriter<'_> {
    /// Adds a chunk. Past [`max_message_size`](Limits::max_message_size) the message is
    /// abandoned and [`Error::MessageTooLarge`] returned.
    pub fn write_chunk(&mut self, chunk: &[u8]) -> Result<()> {
        let limit = self.queue.limits.max_message_size;
        let size = self.item.size.saturating_add(chunk.len() as u64);
        if size > limit {
            self.discard();
            return Err(Error::MessageTooLarge { limit });
        }
        let Some(file) = self.file.as_mut() else {
            return Err(Error::MessageTooLarge { limit });
        };
        if let Err(e) = file.write_all(chunk) {
            self.discard();
            return Err(e).ctx("write", &self.tmp_path);
        }
        self.item.size = size;
        Ok(())
    }

    /// Makes the item durable: message fsynced and moved to `msg/`, envelope written, both
    /// directories fsynced.
    pub fn commit(mut self) -> Result<QueueId> {
        let limit = self.queue.limits.max_message_size;
        let Some(mut file) = self.file.take() else {
            return Err(Error::MessageTooLarge { limit });
        };
        let synced = file.flush().and_then(|()| file.get_ref().sync_all());
        drop(file);
        synced.ctx("write and fsync", &self.tmp_path)?;
        let msg = self.queue.msg_path(&self.item.id);
        fs::rename(&self.tmp_path, &msg).ctx("rename", &msg)?;
        self.done = true;
        let stored =
            fsutil::fsync_dir(fsutil::parent(&msg)).and_then(|()| self.queue.store(&self.item));
        if let Err(e) = stored {
            let _ = fs::remove_file(&msg);
            return Err(e);
        }
        Ok(self.item.id.clone())
    }

    /// Abandons the message.
    pub fn abort(mut self) {
        self.discard();
    }

    fn discard(&mut self) {
        self.file = None;
        if !self.done {
            self.done = true;
            let _ = fs::remove_file(&self.tmp_path);
        }
    }
}

impl Drop for QueueWriter<'_> {
    fn drop(&mut self) {
        self.discard();
    }
}

// --- The envelope file -------------------------------------------------------------------

/// `=` then the value with bytes outside `!`..`~` and `%` written as `%XX`.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    out.push('=');
    for b in s.bytes() {
        if (0x21..=0x7e).contains(&b) && b != b'%' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn esc_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "-".to_owned(), esc)
}

fn unesc(s: &str) -> std::result::Result<String, String> {
    let body = s
        .strip_prefix('=')
        .ok_or_else(|| format!("bad value {s:?}"))?;
    let mut bytes = Vec::with_capacity(body.len());
    let mut it = body.bytes();
    while let Some(b) = it.next() {
        if b == b'%' {
            let hex = [it.next(), it.next()];
            let [Some(h), Some(l)] = hex else {
                return Err("truncated escape".to_owned());
            };
            let v = std::str::from_utf8(&[h, l])
                .ok()
                .and_then(|x| u8::from_str_radix(x, 16).ok())
                .ok_or_else(|| "bad escape".to_owned())?;
            bytes.push(v);
        } else {
            bytes.push(b);
        }
    }
    String::from_utf8(bytes).map_err(|_| "value not UTF-8".to_owned())
}

fn unesc_opt(s: &str) -> std::result::Result<Option<String>, String> {
    if s == "-" {
        Ok(None)
    } else {
        unesc(s).map(Some)
    }
}

fn time_str(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    format!("{}.{:09}", d.as_secs(), d.subsec_nanos())
}

fn parse_time(s: &str) -> std::result::Result<SystemTime, String> {
    let (secs, nanos) = s.split_once('.').ok_or_else(|| format!("bad time {s:?}"))?;
    let secs: u64 = secs.parse().map_err(|_| format!("bad time {s:?}"))?;
    let nanos: u32 = nanos.parse().map_err(|_| format!("bad time {s:?}"))?;
    if nanos >= 1_000_000_000 {
        return Err(format!("bad time {s:?}"));
    }
    UNIX_EPOCH
        .checked_add(Duration::new(secs, nanos))
        .ok_or_else(|| format!("time out of range {s:?}"))
}

const MAGIC: &str = "mailstore-queue 1";

/// Writes an item's envelope file.
fn encode_envelope(item: &QueueItem) -> Vec<u8> {
    let mut out = String::new();
    out.push_str(MAGIC);
    out.push('\n');
    out.push_str(&format!("from {}\n", esc(&item.from)));
    out.push_str(&format!("envid {}\n", esc_opt(item.envid.as_deref())));
    out.push_str(&format!("arrived {}\n", time_str(item.arrived)));
    out.push_str(&format!("attempts {}\n", item.attempts));
    out.push_str(&format!("next {}\n", time_str(item.next_attempt)));
    out.push_str(&format!("size {}\n", item.size));
    for r in &item.recipients {
        out.push_str(&format!(
            "rcpt {} {} {} {}\n",
            r.state.as_str(),
            r.last_attempt.map_or_else(|| "-".to_owned(), time_str),
            esc(&r.address),
            esc_opt(r.last_error.as_deref()),
        ));
    }
    out.into_bytes()
}

/// Reads an envelope file back. Public for fuzzing; the error is a description.
pub fn decode_envelope(id: &QueueId, data: &[u8]) -> std::result::Result<QueueItem, String> {
    let text = std::str::from_utf8(data).map_err(|_| "not UTF-8".to_owned())?;
    let mut lines = text.lines();
    if lines.next() != Some(MAGIC) {
        return Err("not a mailstore queue envelope".to_owned());
    }
    let mut from = None;
    let mut envid = None;
    let mut arrived = None;
    let mut attempts = None;
    let mut next = None;
    let mut size = None;
    let mut recipients = Vec::new();
    for line in lines {
        let mut f = line.split(' ');
        let key = f.next().unwrap_or_default();
        let mut field = || f.next().ok_or_else(|| format!("short line {key:?}"));
        match key {
            "from" => from = Some(unesc(field()?)?),
            "envid" => envid = unesc_opt(field()?)?,
            "arrived" => arrived = Some(parse_time(field()?)?),
            "attempts" => attempts = Some(field()?.parse().map_err(|_| "bad attempts")?),
            "next" => next = Some(parse_time(field()?)?),
            "size" => size = Some(field()?.parse().map_err(|_| "bad size")?),
            "rcpt" => {
                let state =
                    RecipientState::parse(field()?).ok_or_else(|| "bad state".to_owned())?;
                let last = field()?;
                let last_attempt = if last == "-" {
                    None
                } else {
                    Some(parse_time(last)?)
                };
                let address = unesc(field()?)?;
                let last_error = unesc_opt(field()?)?;
                recipients.push(QueuedRecipient {
                    address,
                    state,
                    last_error,
                    last_attempt,
                });
            }
            "" => {}
            other => return Err(format!("unknown field {other:?}")),
        }
    }
    let missing = |what: &str| format!("missing {what}");
    if recipients.is_empty() {
        return Err(missing("recipients"));
    }
    Ok(QueueItem {
        id: id.clone(),
        from: from.ok_or_else(|| missing("from"))?,
        envid,
        recipients,
        arrived: arrived.ok_or_else(|| missing("arrived"))?,
        attempts: attempts.ok_or_else(|| missing("attempts"))?,
        next_attempt: next.ok_or_else(|| missing("next"))?,
        size: size.ok_or_else(|| missing("size"))?,
    })
}
