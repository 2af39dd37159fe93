//! Shared rate-limit counters spent in blocks (PostgreSQL).
//!
//! Counting every API call in the shared counters took one round trip per call, and the calls of
//! one caller queued on its counter rows' locks one by one: about 4,400 calls/s at most here,
//! with PostgreSQL's CPU all spent on it. Instead a process takes a *lease* of several calls of a
//! caller at once (`verity_take_calls`) and spends it in memory. A lease is sized to about a tenth
//! of a second of that caller's calls in this process, so a caller making one call now and then
//! still makes one round trip per call, and a lease lives at most a second: what it did not spend
//! is given back with the next take. The database grants at most a sixteenth of what a window has
//! left (at least one), so near a limit every call is counted there one at a time: no more calls
//! pass than the limit allows, whichever processes make them, and the calls a lease holds unused
//! for a while are the only ones another process may be refused for early.
//!
//! The counts a call reports (`X-RateLimit`) are the shared count when the lease was taken plus
//! the calls spent from it here: exact with one process, and behind the other processes' calls of
//! the last second at most with several.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use verity_domain::UnixTime;

use crate::SharedCount;

/// A lease is spent within this, or what is left of it is given back.
const LEASE_LIFE: Duration = Duration::from_secs(1);
/// A lease holds about this much of a caller's calls at its recent rate.
const LEASE_SPAN: f64 = 0.1;
/// Calls one lease holds at most.
const MAX_LEASE: u64 = 1024;
/// Callers whose leases are kept at most (bounded memory; a dropped lease's calls stay counted).
const MAX_CALLERS: usize = 10_000;

/// Calls of one caller taken from the shared counters.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Lease {
    /// The windows' lengths it was taken for.
    seconds: Vec<i64>,
    /// Per window: its count once the lease was granted, and when it started.
    windows: Vec<(u64, UnixTime)>,
    granted: u64,
    used: u64,
    taken: Instant,
}

/// What to ask of the shared counters for a caller whose lease is spent or stale.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Take {
    pub want: u64,
    /// Calls of the previous lease not spent, and the starts of the windows it was taken in.
    pub unused: u64,
    pub unused_started: Vec<UnixTime>,
}

#[derive(Default)]
pub(crate) struct Leases {
    by_caller: Mutex<HashMap<String, Lease>>,
}

impl Leases {
    /// Spends one call of `key`'s lease: the usage to report, or what to take from the shared
    /// counters when the lease is spent, stale, or was taken for other windows.
    pub(crate) fn spend(&self, key: &str, now: UnixTime, seconds: &[i64], at: Instant) -> Result<SharedCount, Take> {
        let mut leases = self.by_caller.lock().unwrap_or_else(|p| p.into_inner());
        let Some(lease) = leases.get_mut(key) else {
            return Err(Take {
                want: 1,
                unused: 0,
                unused_started: Vec::new(),
            });
        };
        let same_windows = lease.seconds == seconds;
        let live = same_windows
            && at.duration_since(lease.taken) < LEASE_LIFE
            && lease
                .windows
                .iter()
                .zip(seconds)
                .all(|((_, started), s)| now < started + s);
        if live && lease.used < lease.granted {
            lease.used += 1;
            return Ok(lease.usage());
        }
        // About LEASE_SPAN of this caller's calls at the rate the last lease was spent.
        let elapsed = at.duration_since(lease.taken).as_secs_f64().max(0.001);
        let want = ((lease.used as f64 / elapsed) * LEASE_SPAN)
            .ceil()
            .clamp(1.0, MAX_LEASE as f64) as u64;
        let unused = if same_windows { lease.granted - lease.used } else { 0 };
        // Given back by this take only: a concurrent call finds nothing left to give back.
        lease.granted = lease.used;
        Err(Take {
            want,
            unused,
            unused_started: if unused > 0 {
                lease.windows.iter().map(|(_, started)| *started).collect()
            } else {
                Vec::new()
            },
        })
    }

    /// Keeps a lease just taken, of which one call is spent by the caller that took it, and
    /// returns that call's usage. `windows` are the counts and starts the database returned.
    /// A lease taken meanwhile by a concurrent call of the same caller is kept too: its calls
    /// are added, so none is lost.
    pub(crate) fn taken(
        &self,
        key: &str,
        seconds: &[i64],
        windows: Vec<(u64, UnixTime)>,
        granted: u64,
        at: Instant,
    ) -> SharedCount {
        let mut lease = Lease {
            seconds: seconds.to_vec(),
            windows,
            granted,
            used: granted.min(1),
            taken: at,
        };
        let usage = SharedCount {
            allowed: granted > 0,
            ..lease.usage()
        };
        let mut leases = self.by_caller.lock().unwrap_or_else(|p| p.into_inner());
        if granted == 0 {
            leases.remove(key);
            return usage;
        }
        if let Some(other) = leases.get(key)
            && other.seconds == lease.seconds
            && other.used < other.granted
            && other.windows.iter().zip(&lease.windows).all(|(a, b)| a.1 == b.1)
        {
            // Both grants are counted in the database: the later count covers both.
            for (mine, theirs) in lease.windows.iter_mut().zip(&other.windows) {
                mine.0 = mine.0.max(theirs.0);
            }
            lease.granted += other.granted;
            lease.used += other.used;
            lease.taken = lease.taken.min(other.taken);
        }
        if leases.len() >= MAX_CALLERS && !leases.contains_key(key) {
            leases.retain(|_, l| at.duration_since(l.taken) < LEASE_LIFE);
            if leases.len() >= MAX_CALLERS {
                leases.clear();
            }
        }
        leases.insert(key.to_owned(), lease);
        usage
    }
}

impl Lease {
    /// The usage after the calls spent so far: the count when granted, less what is unspent.
    fn usage(&self) -> SharedCount {
        let unspent = self.granted - self.used;
        SharedCount {
            windows: self
                .windows
                .iter()
                .map(|(count, started)| (count.saturating_sub(unspent), *started))
                .collect(),
            allowed: true,
            access_epoch: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECONDS: [i64; 2] = [60, 3600];

    #[test]
    fn a_first_call_takes_one_and_a_lease_is_spent_in_memory() {
        let leases = Leases::default();
        let t0 = Instant::now();
        let take = leases.spend("k", 1000, &SECONDS, t0).unwrap_err();
        assert_eq!((take.want, take.unused), (1, 0));
        // Granted 5 with the window counts at 15 and 40 after the grant.
        let first = leases.taken("k", &SECONDS, vec![(15, 1000), (40, 900)], 5, t0);
        assert_eq!(first.windows, vec![(11, 1000), (36, 900)]);
        assert!(first.allowed);
        for expected in 12..=15 {
            let usage = leases.spend("k", 1000, &SECONDS, t0).unwrap();
            assert_eq!(usage.windows[0].0, expected);
        }
        // Spent: the next call asks the database, for more at the rate just seen.
        let take = leases
            .spend("k", 1000, &SECONDS, t0 + Duration::from_millis(10))
            .unwrap_err();
        assert_eq!(take.unused, 0);
        assert_eq!(take.want, 50, "5 calls in 10 ms: a tenth of a second is 50");
    }

    #[test]
    fn a_stale_lease_gives_back_what_it_did_not_spend() {
        let leases = Leases::default();
        let t0 = Instant::now();
        leases.taken("k", &SECONDS, vec![(10, 1000), (10, 1000)], 10, t0);
        let take = leases.spend("k", 1000, &SECONDS, t0 + LEASE_LIFE).unwrap_err();
        assert_eq!(take.unused, 9);
        assert_eq!(take.unused_started, vec![1000, 1000]);
        let concurrent = leases.spend("k", 1000, &SECONDS, t0 + LEASE_LIFE).unwrap_err();
        assert_eq!(concurrent.unused, 0, "given back once, by the first take");
        // A window that is over ends the lease too.
        leases.taken("k", &SECONDS, vec![(10, 1000), (10, 1000)], 10, t0);
        assert!(leases.spend("k", 1060, &SECONDS, t0).is_err());
        // So do other windows (a changed configuration): nothing is given back to the old ones.
        leases.taken("k", &SECONDS, vec![(10, 1000), (10, 1000)], 10, t0);
        let take = leases.spend("k", 1000, &[60], t0).unwrap_err();
        assert_eq!(take.unused, 0);
    }

    #[test]
    fn a_refusal_drops_the_lease_and_concurrent_grants_add_up() {
        let leases = Leases::default();
        let t0 = Instant::now();
        let refused = leases.taken("k", &SECONDS, vec![(10, 1000), (10, 1000)], 0, t0);
        assert!(!refused.allowed);
        assert_eq!(refused.windows[0].0, 10);
        assert!(leases.spend("k", 1000, &SECONDS, t0).is_err());
        // Two calls took 4 each at once; the second answer (count 20) covers the first's too.
        leases.taken("k", &SECONDS, vec![(16, 1000), (16, 1000)], 4, t0);
        leases.taken("k", &SECONDS, vec![(20, 1000), (20, 1000)], 4, t0);
        let spent: Vec<u64> = (0..6)
            .map(|_| leases.spend("k", 1000, &SECONDS, t0).unwrap().windows[0].0)
            .collect();
        assert_eq!(spent, vec![15, 16, 17, 18, 19, 20]);
        assert!(leases.spend("k", 1000, &SECONDS, t0).is_err());
    }
}
