//! Housekeeping while the server runs: every Maildir's `tmp/` is cleaned of files older than
//! 36 hours (the Maildir rule: a delivery that died there is never finished), at start and
//! then daily.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use mailstore::Maildir;

use crate::Context;

/// The age past which a file in `tmp/` is removed.
pub const TMP_MAX_AGE: Duration = Duration::from_secs(36 * 3600);
/// How often `tmp/` is cleaned after the start.
pub const CLEAN_EVERY: Duration = Duration::from_secs(24 * 3600);

/// Starts the housekeeping task; it ends when the server shuts down.
pub(crate) fn start(ctx: Arc<Context>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut down = ctx.shutting_down.subscribe();
        loop {
            let c = ctx.clone();
            let cleaned = tokio::task::spawn_blocking(move || clean_tmp_dirs(&c)).await;
            if let Ok(n @ 1..) = cleaned {
                tracing::info!("removed {n} stale files from the tmp/ of maildirs");
            }
            tokio::select! {
                () = crate::smtp::shut_down(&mut down) => break,
                () = tokio::time::sleep(CLEAN_EVERY) => {}
            }
        }
    })
}

/// Cleans the `tmp/` of every user's Maildir; returns how many files went.
fn clean_tmp_dirs(ctx: &Context) -> usize {
    let mail = ctx.config.data_dir.join("mail");
    let Ok(entries) = std::fs::read_dir(&mail) else {
        return 0;
    };
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        match Maildir::open_or_create(entry.path()).and_then(|m| m.clean_tmp(now, TMP_MAX_AGE)) {
            Ok(n) => removed += n,
            Err(e) => tracing::warn!("cleaning {}: {e}", entry.path().display()),
        }
    }
    removed
}
