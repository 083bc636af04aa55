//! Failed logins slow down, then lock out, per address and per user (SMTP AUTH, POP3, and
//! IMAP when it comes).
//!
//! After `free_failures` failures within `window_secs`, each further attempt waits
//! 2^(n - free_failures) seconds (at most `max_delay_secs`) before it is answered; after
//! `lockout_after` failures, that address or user is refused for `lockout_secs`. IPv6 addresses
//! are counted per /64 (one host holds a whole /64). A user already logged in from an address
//! is never delayed or locked out there by failures of the user's name elsewhere: an attacker
//! who guesses alice's password from afar cannot lock alice out. Refused recipients (a 5xx to
//! RCPT) count as failures of the address, so probing for names slows down too.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

/// The throttle's settings (`[login_throttle]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThrottleConfig {
    /// Failures within the window before attempts are delayed.
    pub free_failures: u32,
    /// How long a failure counts.
    pub window_secs: u64,
    /// The longest delay before an attempt is answered.
    pub max_delay_secs: u64,
    /// Failures within the window after which the address or user is locked out.
    pub lockout_after: u32,
    /// How long a lockout lasts.
    pub lockout_secs: u64,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            free_failures: 3,
            window_secs: 15 * 60,
            max_delay_secs: 30,
            lockout_after: 10,
            lockout_secs: 15 * 60,
        }
    }
}

/// What to do with an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go on at once.
    Go,
    /// Wait this long, then go on.
    Wait(Duration),
    /// Refuse: the address or the user is locked out.
    Locked,
}

/// Records kept at most, per kind (addresses, users); past this, records without a recent
/// failure are dropped, and if all are recent the oldest goes.
const RECORDS_MAX: usize = 100_000;
/// Addresses a user logged in from, kept per user.
const GOOD_MAX: usize = 16;

/// The failures of one address or user.
#[derive(Debug, Default)]
struct Record {
    /// Failure times within the window, oldest first (at most `lockout_after`).
    failures: VecDeque<Instant>,
    locked_until: Option<Instant>,
}

/// Where an attempt comes from: an IPv4 address, or the /64 of an IPv6 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddressKey(IpAddr);

impl From<IpAddr> for AddressKey {
    fn from(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V6(v6) => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                AddressKey(IpAddr::V6(bits.into()))
            }
            v4 => AddressKey(v4),
        }
    }
}

#[derive(Debug, Default)]
struct State {
    addresses: HashMap<AddressKey, Record>,
    users: HashMap<String, Record>,
    /// Where each user last logged in, and when.
    good: HashMap<String, Vec<(AddressKey, Instant)>>,
}

/// The login throttle of a server.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    config: ThrottleConfig,
    state: Mutex<State>,
}

impl LoginThrottle {
    /// A throttle with `config`.
    pub fn new(config: ThrottleConfig) -> Self {
        Self {
            config,
            state: Mutex::default(),
        }
    }

    /// What to do with an attempt from `ip` (for `user`, when the attempt names one) at `now`.
    pub fn check(&self, ip: IpAddr, user: Option<&str>, now: Instant) -> Verdict {
        let Ok(mut state) = self.state.lock() else {
            return Verdict::Go;
        };
        let key = AddressKey::from(ip);
        let mut verdicts = vec![
            state
                .addresses
                .get_mut(&key)
                .map_or(Verdict::Go, |r| self.verdict(r, now)),
        ];
        if let Some(user) = user
            && !is_good(&state, user, key, now, self.window())
        {
            verdicts.push(
                state
                    .users
                    .get_mut(user)
                    .map_or(Verdict::Go, |r| self.verdict(r, now)),
            );
        }
        verdicts.into_iter().fold(Verdict::Go, worse)
    }

    /// Counts a failed attempt from `ip`, for `user` when the attempt named one.
    pub fn failed(&self, ip: IpAddr, user: Option<&str>, now: Instant) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let key = AddressKey::from(ip);
        let window = self.window();
        bound(&mut state.addresses, now, window);
        self.count(state.addresses.entry(key).or_default(), now);
        if let Some(user) = user
            && !is_good(&state, user, key, now, window)
        {
            bound(&mut state.users, now, window);
            self.count(state.users.entry(user.to_owned()).or_default(), now);
        }
    }

    /// A login of `user` from `ip` succeeded: the address's failures are forgotten, and
    /// failures of the user's name elsewhere no longer hold the user back here.
    pub fn succeeded(&self, ip: IpAddr, user: &str, now: Instant) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let key = AddressKey::from(ip);
        state.addresses.remove(&key);
        if state.good.len() >= RECORDS_MAX && !state.good.contains_key(user) {
            state.good.clear();
        }
        let good = state.good.entry(user.to_owned()).or_default();
        good.retain(|(k, _)| *k != key);
        if good.len() >= GOOD_MAX {
            good.remove(0);
        }
        good.push((key, now));
    }

    fn window(&self) -> Duration {
        Duration::from_secs(self.config.window_secs)
    }

    fn forget_old(&self, record: &mut Record, now: Instant) {
        let window = self.window();
        while record
            .failures
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > window)
        {
            record.failures.pop_front();
        }
        if record.locked_until.is_some_and(|until| until <= now) {
            record.locked_until = None;
            record.failures.clear();
        }
    }

    fn verdict(&self, record: &mut Record, now: Instant) -> Verdict {
        self.forget_old(record, now);
        if record.locked_until.is_some() {
            return Verdict::Locked;
        }
        let n = record.failures.len() as u32;
        match n.checked_sub(self.config.free_failures) {
            None => Verdict::Go,
            Some(over) => {
                let secs = 1u64
                    .checked_shl(over)
                    .unwrap_or(u64::MAX)
                    .min(self.config.max_delay_secs);
                Verdict::Wait(Duration::from_secs(secs))
            }
        }
    }

    fn count(&self, record: &mut Record, now: Instant) {
        self.forget_old(record, now);
        record.failures.push_back(now);
        if record.failures.len() >= self.config.lockout_after.max(1) as usize {
            record.locked_until = Some(now + Duration::from_secs(self.config.lockout_secs));
            // The lockout says it all; the times are no longer needed.
            record.failures.truncate(self.config.lockout_after as usize);
        }
    }
}

fn is_good(state: &State, user: &str, key: AddressKey, now: Instant, window: Duration) -> bool {
    // Logged in here within a day (or a window, when that is longer).
    let keep = window.max(Duration::from_secs(24 * 3600));
    state.good.get(user).is_some_and(|good| {
        good.iter()
            .any(|(k, at)| *k == key && now.saturating_duration_since(*at) <= keep)
    })
}

/// Keeps a map of records under [`RECORDS_MAX`] before one more is added.
fn bound<K: Eq + std::hash::Hash + Clone>(
    map: &mut HashMap<K, Record>,
    now: Instant,
    window: Duration,
) {
    if map.len() < RECORDS_MAX {
        return;
    }
    map.retain(|_, r| {
        r.locked_until.is_some_and(|until| until > now)
            || r.failures
                .back()
                .is_some_and(|t| now.saturating_duration_since(*t) <= window)
    });
    if map.len() >= RECORDS_MAX {
        let oldest = map
            .iter()
            .min_by_key(|(_, r)| r.failures.back().copied())
            .map(|(k, _)| k.clone());
        if let Some(oldest) = oldest {
            map.remove(&oldest);
        }
    }
}

fn worse(a: Verdict, b: Verdict) -> Verdict {
    match (a, b) {
        (Verdict::Locked, _) | (_, Verdict::Locked) => Verdict::Locked,
        (Verdict::Wait(x), Verdict::Wait(y)) => Verdict::Wait(x.max(y)),
        (Verdict::Wait(x), Verdict::Go) | (Verdict::Go, Verdict::Wait(x)) => Verdict::Wait(x),
        (Verdict::Go, Verdict::Go) => Verdict::Go,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn failures_slow_down_then_lock_out_then_expire() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        let a = ip("192.0.2.7");
        let mut verdicts = Vec::new();
        for i in 0..10 {
            let now = t0 + secs(i);
            verdicts.push(throttle.check(a, None, now));
            throttle.failed(a, None, now);
        }
        use Verdict::{Go, Wait};
        assert_eq!(
            verdicts,
            [
                Go,
                Go,
                Go,
                Wait(secs(1)),
                Wait(secs(2)),
                Wait(secs(4)),
                Wait(secs(8)),
                Wait(secs(16)),
                Wait(secs(30)),
                Wait(secs(30)),
            ]
        );
        // Ten failures: locked for 15 minutes, then free again.
        assert_eq!(throttle.check(a, None, t0 + secs(10)), Verdict::Locked);
        assert_eq!(throttle.check(a, None, t0 + secs(9 + 899)), Verdict::Locked);
        assert_eq!(throttle.check(a, None, t0 + secs(9 + 901)), Verdict::Go);
        // Another address was never touched.
        assert_eq!(throttle.check(ip("192.0.2.8"), None, t0), Verdict::Go);
    }

    #[test]
    fn failures_older_than_the_window_are_forgotten() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        let a = ip("192.0.2.7");
        for i in 0..4 {
            throttle.failed(a, None, t0 + secs(i));
        }
        assert_eq!(
            throttle.check(a, None, t0 + secs(10)),
            Verdict::Wait(secs(2))
        );
        assert_eq!(throttle.check(a, None, t0 + secs(902)), Verdict::Go);
    }

    #[test]
    fn ipv6_counts_per_64_and_users_are_counted_too() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        // Ten failures for alice from ten addresses of one /64.
        for i in 0..10u64 {
            let a = ip(&format!("2001:db8:1:2::{i:x}"));
            throttle.failed(a, Some("alice"), t0 + secs(i));
        }
        let later = t0 + secs(20);
        assert_eq!(
            throttle.check(ip("2001:db8:1:2:ffff::1"), None, later),
            Verdict::Locked
        );
        assert_eq!(
            throttle.check(ip("2001:db8:1:3::1"), None, later),
            Verdict::Go
        );
        // The user is locked out from anywhere new...
        assert_eq!(
            throttle.check(ip("198.51.100.1"), Some("alice"), later),
            Verdict::Locked
        );
        assert_eq!(
            throttle.check(ip("198.51.100.1"), Some("bob"), later),
            Verdict::Go
        );
        // ...and IPv4-mapped addresses are IPv4 addresses.
        throttle.failed(ip("::ffff:192.0.2.1"), None, later);
        assert_eq!(
            throttle.addresses_counted(),
            2,
            "the /64 and 192.0.2.1, one record each"
        );
    }

    #[test]
    fn a_user_logged_in_elsewhere_is_never_locked_out_by_it() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        let home = ip("192.0.2.10");
        let attacker = ip("203.0.113.66");
        throttle.succeeded(home, "alice", t0);
        for i in 0..20 {
            throttle.failed(attacker, Some("alice"), t0 + secs(i));
        }
        let later = t0 + secs(30);
        assert_eq!(
            throttle.check(attacker, Some("alice"), later),
            Verdict::Locked
        );
        assert_eq!(throttle.check(home, Some("alice"), later), Verdict::Go);
        // Failures from home do not count against the user either, only against home.
        throttle.failed(home, Some("alice"), later);
        assert_eq!(throttle.check(home, Some("alice"), later), Verdict::Go);
    }

    impl LoginThrottle {
        fn addresses_counted(&self) -> usize {
            self.state.lock().unwrap().addresses.len()
        }
    }
}
