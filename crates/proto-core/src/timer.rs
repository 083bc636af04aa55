//! A deadline that machines start, restart and stop with instants the driver hands in.

use std::time::{Duration, Instant};

/// One timer of a machine: a duration, and the instant it expires when running.
///
/// The machine never reads a clock: calls that start the timer take `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timer {
    duration: Duration,
    deadline: Option<Instant>,
}

impl Timer {
    /// A stopped timer that runs for `duration` once started.
    pub fn new(duration: Duration) -> Self {
        Self {
            duration,
            deadline: None,
        }
    }

    /// The duration it runs for.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// Changes the duration for the next start (a running deadline is kept).
    pub fn set_duration(&mut self, duration: Duration) {
        self.duration = duration;
    }

    /// Starts (or restarts) the timer at `now`.
    pub fn start(&mut self, now: Instant) {
        self.deadline = now.checked_add(self.duration);
    }

    /// Stops the timer.
    pub fn stop(&mut self) {
        self.deadline = None;
    }

    /// When it expires, if running.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// True if running and expired at `now`; an expired timer stops.
    pub fn expire(&mut self, now: Instant) -> bool {
        match self.deadline {
            Some(deadline) if now >= deadline => {
                self.deadline = None;
                true
            }
            _ => false,
        }
    }
}

/// The earliest of several optional deadlines, for [`Machine::poll_timeout`](crate::Machine::poll_timeout).
pub fn earliest(deadlines: impl IntoIterator<Item = Option<Instant>>) -> Option<Instant> {
    deadlines.into_iter().flatten().min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_at_the_deadline_not_before() {
        let t0 = Instant::now();
        let mut timer = Timer::new(Duration::from_secs(300));
        assert!(
            !timer.expire(t0 + Duration::from_secs(1000)),
            "stopped timers never expire"
        );
        timer.start(t0);
        assert_eq!(timer.deadline(), Some(t0 + Duration::from_secs(300)));
        assert!(!timer.expire(t0 + Duration::from_secs(299)));
        assert!(timer.expire(t0 + Duration::from_secs(300)));
        assert_eq!(timer.deadline(), None);
        assert_eq!(
            earliest([None, Some(t0 + Duration::from_secs(2)), Some(t0)]),
            Some(t0)
        );
    }
}
