//! The one idle timer of every machine: it restarts on progress, never on a single octet.
//!
//! A peer that trickles one octet every 100 seconds must not hold a connection for ever, so
//! received octets alone do not restart the timer. What restarts it is progress: a whole
//! command or reply line ([`IdleTimer::progress`]), or a configurable amount of body data
//! ([`IdleTimer::body`], 1 KiB by default). The restart counts from the instant the input that
//! made the progress arrived, which the machine learns with every input call
//! ([`IdleTimer::input`]). A session may also have a total deadline, and a shorter idle limit
//! may apply before login.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use proto_core::{Expiry, IdleRules, IdleTimer};
//!
//! let t0 = Instant::now();
//! let secs = |n| t0 + Duration::from_secs(n);
//! let mut idle = IdleTimer::new(IdleRules::new(Duration::from_secs(300)), t0);
//! // One octet every 100 seconds, never a whole line: closed at 300 s all the same.
//! for n in [100, 200] {
//!     idle.input(secs(n));
//!     assert_eq!(idle.expire(secs(n)), None);
//! }
//! assert_eq!(idle.expire(secs(300)), Some(Expiry::Idle));
//! ```

use std::time::{Duration, Instant};

use crate::Timer;

/// Body octets that count as progress by default.
pub const DEFAULT_BODY_PROGRESS: usize = 1024;

/// The idle rules of a session: how long the peer may make no progress, before and after
/// login, what amount of body data is progress, and an optional total deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdleRules {
    /// How long the peer may make no progress (after login, or all along for a machine
    /// without login).
    pub idle: Duration,
    /// A shorter limit before login; `None` uses [`idle`](Self::idle).
    pub before_login: Option<Duration>,
    /// How many octets of body data restart the timer.
    pub body_progress: usize,
    /// The longest a whole session may last, whatever it does; `None` for no limit.
    pub session: Option<Duration>,
}

impl IdleRules {
    /// An idle limit of `idle`, the same before login, 1 KiB of body data as progress, and no
    /// session deadline.
    pub const fn new(idle: Duration) -> Self {
        Self {
            idle,
            before_login: None,
            body_progress: DEFAULT_BODY_PROGRESS,
            session: None,
        }
    }

    /// Sets the idle limit after login.
    #[must_use]
    pub const fn with_idle(mut self, idle: Duration) -> Self {
        self.idle = idle;
        self
    }

    /// Sets a (shorter) idle limit before login.
    #[must_use]
    pub const fn with_before_login(mut self, limit: Option<Duration>) -> Self {
        self.before_login = limit;
        self
    }

    /// Sets how many body octets count as progress (at least 1).
    #[must_use]
    pub const fn with_body_progress(mut self, octets: usize) -> Self {
        self.body_progress = if octets == 0 { 1 } else { octets };
        self
    }

    /// Sets the total session deadline.
    #[must_use]
    pub const fn with_session(mut self, limit: Option<Duration>) -> Self {
        self.session = limit;
        self
    }
}

/// Which limit expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Expiry {
    /// The peer made no progress for the idle limit.
    Idle,
    /// The session passed its total deadline.
    Session,
}

impl std::fmt::Display for Expiry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Idle => "no progress within the idle limit",
            Self::Session => "the session passed its total deadline",
        })
    }
}

/// An idle timer that restarts on progress, with an optional session deadline.
#[derive(Debug, Clone)]
pub struct IdleTimer {
    rules: IdleRules,
    timer: Timer,
    session: Option<Instant>,
    logged_in: bool,
    last_input: Instant,
    body: usize,
}

impl IdleTimer {
    /// Starts the idle timer and the session deadline at `now`.
    pub fn new(rules: IdleRules, now: Instant) -> Self {
        let rules = rules.with_body_progress(rules.body_progress);
        let mut timer = Timer::new(rules.before_login.unwrap_or(rules.idle));
        timer.start(now);
        Self {
            session: rules.session.and_then(|limit| now.checked_add(limit)),
            rules,
            timer,
            logged_in: false,
            last_input: now,
            body: 0,
        }
    }

    /// The rules in force.
    pub fn rules(&self) -> &IdleRules {
        &self.rules
    }

    /// Octets arrived at `now`. This alone restarts nothing; the instant is where the next
    /// progress restarts from.
    pub fn input(&mut self, now: Instant) {
        self.last_input = self.last_input.max(now);
    }

    /// A whole command or reply was read: the timer restarts from the latest input's instant.
    pub fn progress(&mut self) {
        self.body = 0;
        if self.timer.deadline().is_some() {
            self.timer.start(self.last_input);
        }
    }

    /// `octets` of body data were read: every [`IdleRules::body_progress`] octets are progress.
    pub fn body(&mut self, octets: usize) {
        self.body = self.body.saturating_add(octets);
        if self.body >= self.rules.body_progress {
            self.progress();
        }
    }

    /// The peer logged in: the idle limit after login applies from the latest input on.
    pub fn login(&mut self) {
        self.logged_in = true;
        self.timer.set_duration(self.rules.idle);
        self.progress();
    }

    /// True once [`login`](Self::login) was called.
    pub fn is_logged_in(&self) -> bool {
        self.logged_in
    }

    /// Changes the idle limit from the next restart on (a protocol whose limit depends on
    /// the phase, as SMTP's RFC 5321 4.5.3.2 timeouts do).
    pub fn set_idle(&mut self, limit: Duration) {
        self.timer.set_duration(limit);
    }

    /// Restarts the idle timer at `now` whatever was read (a client that starts waiting).
    pub fn restart(&mut self, now: Instant) {
        self.body = 0;
        self.timer.start(now);
    }

    /// Stops the idle limit until [`restart`](Self::restart), keeping the session deadline: a
    /// client that waits for nothing.
    pub fn pause(&mut self) {
        self.timer.stop();
    }

    /// True while the idle limit runs.
    pub fn is_running(&self) -> bool {
        self.timer.deadline().is_some()
    }

    /// The instant of the latest input (or of the start): an instant already past, for a
    /// machine that needs [`Machine::handle_timeout`](crate::Machine::handle_timeout) as soon
    /// as possible to learn the time.
    pub fn last_input(&self) -> Instant {
        self.last_input
    }

    /// Stops both limits: the session is over.
    pub fn stop(&mut self) {
        self.timer.stop();
        self.session = None;
    }

    /// When the next limit expires, if any runs.
    pub fn deadline(&self) -> Option<Instant> {
        crate::timer::earliest([self.timer.deadline(), self.session])
    }

    /// A client's next deadline while it is `waiting` for an answer: an instant already past
    /// when a command went out with the idle limit not running (a send carries no instant,
    /// so the client asks for the time at once), the running limits otherwise.
    pub fn client_deadline(&self, waiting: bool) -> Option<Instant> {
        if waiting && !self.is_running() {
            return Some(self.last_input);
        }
        self.deadline()
    }

    /// A client's timer step at `now`: a command waiting with the idle limit not running
    /// starts it from `now`; then the limit that expired, if any.
    pub fn client_timeout(&mut self, waiting: bool, now: Instant) -> Option<Expiry> {
        if waiting && !self.is_running() {
            self.restart(now);
        }
        self.expire(now)
    }

    /// Which limit has expired at `now`, if any. An expired idle limit stops until
    /// [`restart`](Self::restart) (a client with nothing to wait for re-arms it); an expired
    /// session stops everything.
    pub fn expire(&mut self, now: Instant) -> Option<Expiry> {
        if self.session.is_some_and(|deadline| now >= deadline) {
            self.stop();
            return Some(Expiry::Session);
        }
        self.timer.expire(now).then_some(Expiry::Idle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t0: Instant, secs: u64) -> Instant {
        t0 + Duration::from_secs(secs)
    }

    #[test]
    fn a_trickle_of_octets_does_not_restart_it() {
        let t0 = Instant::now();
        let mut idle = IdleTimer::new(IdleRules::new(Duration::from_secs(300)), t0);
        for n in (100..300).step_by(100) {
            idle.input(at(t0, n));
            assert_eq!(idle.expire(at(t0, n)), None);
        }
        assert_eq!(idle.deadline(), Some(at(t0, 300)));
        assert_eq!(idle.expire(at(t0, 299)), None);
        assert_eq!(idle.expire(at(t0, 300)), Some(Expiry::Idle));
        assert_eq!(idle.deadline(), None, "an expired timer stops");
        idle.restart(at(t0, 300));
        assert_eq!(idle.deadline(), Some(at(t0, 600)), "until restarted");
    }

    #[test]
    fn progress_restarts_from_the_instant_the_input_arrived() {
        let t0 = Instant::now();
        let mut idle = IdleTimer::new(IdleRules::new(Duration::from_secs(300)), t0);
        idle.input(at(t0, 250));
        // The line is parsed later (when events are polled); the restart counts from 250.
        idle.progress();
        assert_eq!(idle.deadline(), Some(at(t0, 550)));
        assert_eq!(idle.expire(at(t0, 549)), None);
        assert_eq!(idle.expire(at(t0, 550)), Some(Expiry::Idle));
    }

    #[test]
    fn body_data_is_progress_per_threshold() {
        let t0 = Instant::now();
        let rules = IdleRules::new(Duration::from_secs(180)).with_body_progress(1024);
        let mut idle = IdleTimer::new(rules, t0);
        idle.input(at(t0, 100));
        idle.body(1023);
        assert_eq!(
            idle.deadline(),
            Some(at(t0, 180)),
            "1023 octets are not progress"
        );
        idle.body(1);
        assert_eq!(idle.deadline(), Some(at(t0, 280)), "the 1024th octet is");
        idle.input(at(t0, 200));
        idle.body(1023);
        assert_eq!(idle.deadline(), Some(at(t0, 280)), "the count starts again");
    }

    #[test]
    fn a_shorter_limit_before_login() {
        let t0 = Instant::now();
        let rules = IdleRules::new(Duration::from_secs(600))
            .with_before_login(Some(Duration::from_secs(60)));
        let mut idle = IdleTimer::new(rules, t0);
        assert_eq!(idle.deadline(), Some(at(t0, 60)));
        idle.input(at(t0, 30));
        idle.progress();
        assert_eq!(idle.deadline(), Some(at(t0, 90)));
        idle.input(at(t0, 40));
        idle.login();
        assert!(idle.is_logged_in());
        assert_eq!(idle.deadline(), Some(at(t0, 640)));
    }

    #[test]
    fn the_session_deadline_holds_whatever_the_progress() {
        let t0 = Instant::now();
        let rules =
            IdleRules::new(Duration::from_secs(300)).with_session(Some(Duration::from_secs(1000)));
        let mut idle = IdleTimer::new(rules, t0);
        for n in (200..1000).step_by(200) {
            idle.input(at(t0, n));
            idle.progress();
            assert_eq!(idle.expire(at(t0, n)), None);
        }
        assert_eq!(idle.deadline(), Some(at(t0, 1000)));
        assert_eq!(idle.expire(at(t0, 1000)), Some(Expiry::Session));
        assert_eq!(idle.deadline(), None);
    }

    #[test]
    fn restart_and_phase_limits() {
        let t0 = Instant::now();
        let mut idle = IdleTimer::new(IdleRules::new(Duration::from_secs(300)), t0);
        idle.set_idle(Duration::from_secs(120));
        assert_eq!(
            idle.deadline(),
            Some(at(t0, 300)),
            "a running deadline is kept"
        );
        idle.restart(at(t0, 10));
        assert_eq!(idle.deadline(), Some(at(t0, 130)));
        idle.stop();
        assert_eq!(idle.expire(at(t0, 10_000)), None);
    }
}
