//! The clock and the random source the builder uses for Date, Message-ID and boundaries.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::DateTime;

/// Where the builder gets the time for a Date field it generates.
///
/// Any `FnMut() -> DateTime` is a clock, so tests can pass a closure returning a fixed value.
pub trait Clock {
    /// The current date and time, with the offset the Date field should show.
    fn now(&mut self) -> DateTime;
}

impl<F: FnMut() -> DateTime> Clock for F {
    fn now(&mut self) -> DateTime {
        self()
    }
}

/// The system clock, in UTC (`+0000`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&mut self) -> DateTime {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        DateTime::from_unix_timestamp(secs, 0)
    }
}

/// Where the builder gets the random bits of Message-IDs and MIME boundaries.
///
/// These need to be unique, not secret. Any `FnMut() -> u64` is a source, so tests can pass a
/// counter.
pub trait RandomSource {
    /// The next 64 random bits.
    fn next_u64(&mut self) -> u64;
}

impl<F: FnMut() -> u64> RandomSource for F {
    fn next_u64(&mut self) -> u64 {
        self()
    }
}

/// A std-only source: a counter hashed with SipHash under the random keys of
/// [`RandomState`], mixed with the time it was created. Unique per process run; not meant
/// for secrets.
#[derive(Debug, Clone)]
pub struct StdRandom {
    state: RandomState,
    counter: u64,
}

impl Default for StdRandom {
    fn default() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        StdRandom {
            state: RandomState::new(),
            counter: (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32),
        }
    }
}

impl RandomSource for StdRandom {
    fn next_u64(&mut self) -> u64 {
        self.counter = self.counter.wrapping_add(1);
        let mut h = self.state.build_hasher();
        h.write_u64(self.counter);
        h.finish()
    }
}
