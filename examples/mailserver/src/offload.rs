//! Work that must not run on the async workers: password hashing, and blocking file calls
//! (the fsync of each delivery, the wait for a maildrop's lock). A worker that runs them
//! stops serving every other connection it carries; a few slow hashes would stall them all.

use std::sync::Arc;

use sasl_proto::Secret;
use tokio::sync::Semaphore;

use crate::users::Users;

/// Checks a user's password: the users file's argon2 hash, or in tests a checker that can
/// be made to block.
pub trait PasswordCheck: Send + Sync {
    /// True if `password` is `user`'s.
    fn check(&self, user: &str, password: &str) -> bool;
}

impl PasswordCheck for Users {
    fn check(&self, user: &str, password: &str) -> bool {
        self.verify(user, password)
    }
}

/// Password hashing on blocking threads, at most one per permit (by default one per core),
/// so that a burst of logins queues instead of taking every thread.
pub struct HashPool {
    permits: Arc<Semaphore>,
    check: Arc<dyn PasswordCheck>,
}

impl std::fmt::Debug for HashPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashPool")
            .field("available", &self.permits.available_permits())
            .finish_non_exhaustive()
    }
}

impl HashPool {
    /// A pool of `workers` permits (0: one per core) checking with `check`.
    pub fn new(workers: usize, check: Arc<dyn PasswordCheck>) -> Self {
        let workers = match workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        Self {
            permits: Arc::new(Semaphore::new(workers)),
            check,
        }
    }

    /// Checks `user`'s password on a blocking thread once a permit is free.
    pub async fn verify(&self, user: &str, password: &Secret) -> bool {
        let check = self.check.clone();
        let user = user.to_owned();
        let password = password.clone();
        self.run(move || check.check(&user, password.expose()))
            .await
            .unwrap_or(false)
    }

    /// Runs hashing work `f` on a blocking thread once a permit is free; `None` if it could
    /// not run (the runtime is shutting down) or panicked.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let _permit = self.permits.acquire().await.ok()?;
        tokio::task::spawn_blocking(f).await.ok()
    }

    /// Runs hashing work `f` that borrows (a machine answering a SASL step) once a permit is
    /// free, with this worker's other tasks handed to another thread meanwhile.
    pub async fn run_here<T>(&self, f: impl FnOnce() -> T) -> T {
        let _permit = self.permits.acquire().await;
        blocking(f)
    }
}

/// Runs blocking `f` on this thread, handing this worker's other tasks to another thread
/// meanwhile (on a multi-threaded runtime; a single-threaded one has no other thread, and
/// `f` simply runs).
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}
