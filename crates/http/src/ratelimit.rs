//! API rate limits: several windows per caller (15 min, 30 min, 1 h, 24 h by default), reported
//! on every response with one header line per window (the only format every SDK parses) and
//! enforced with the `rate_limit` 429. On PostgreSQL the API's counters are shared by every
//! process (one round trip per call, see `verity_count_call`), so three processes allow what
//! one does; on SQLite, and for the hosted pages' upload limit, they live in this process's
//! memory.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::{HeaderMap, HeaderValue};
use verity_domain::UnixTime;

/// One window: its length and how many calls it allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Window {
    pub seconds: i64,
    pub limit: u64,
}

/// Mangopay's published limits.
pub const DEFAULT_WINDOWS: [Window; 4] = [
    Window {
        seconds: 15 * 60,
        limit: 2_300,
    },
    Window {
        seconds: 30 * 60,
        limit: 4_500,
    },
    Window {
        seconds: 60 * 60,
        limit: 8_800,
    },
    Window {
        seconds: 24 * 60 * 60,
        limit: 105_600,
    },
];

#[derive(Clone, Copy, Debug)]
struct Counter {
    started: UnixTime,
    count: u64,
}

/// What one call left of each window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Usage {
    /// Per window: calls made, calls remaining, reset time.
    pub windows: Vec<(u64, u64, UnixTime)>,
    pub allowed: bool,
}

impl Usage {
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        for (made, remaining, reset) in &self.windows {
            headers.append("x-ratelimit", HeaderValue::from(*made));
            headers.append("x-ratelimit-remaining", HeaderValue::from(*remaining));
            headers.append("x-ratelimit-reset", HeaderValue::from(*reset));
        }
    }
}

pub struct RateLimiter {
    windows: Vec<Window>,
    counters: Mutex<HashMap<String, Vec<Counter>>>,
}

/// Above this many tracked callers, idle ones are forgotten.
const MAX_TRACKED: usize = 10_000;

impl RateLimiter {
    pub fn new(windows: Vec<Window>) -> Self {
        RateLimiter {
            windows,
            counters: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one call by `key` at `now` in the counters all processes share when the database
    /// keeps them, in this process's otherwise (or when the database cannot be reached: the
    /// request will say so itself).
    pub async fn hit_shared(&self, services: &verity_service::Services, key: &str, now: UnixTime) -> Usage {
        match services.count_api_call(key, now, &self.spec()).await {
            Ok(counted) => self.usage(counted, key, now),
            Err(e) => {
                tracing::warn!(error = %e, "shared rate-limit counters unavailable; counting in this process");
                self.hit(key, now)
            }
        }
    }

    /// The windows as `(seconds, limit)`, for the shared counters.
    pub fn spec(&self) -> Vec<(i64, u64)> {
        self.windows.iter().map(|w| (w.seconds, w.limit)).collect()
    }

    /// The usage a call counted in the shared counters reports, or, when they are not kept
    /// (`None`), the call counted here under `key`.
    pub fn usage(&self, counted: Option<verity_store::SharedCount>, key: &str, now: UnixTime) -> Usage {
        let Some(counted) = counted else {
            return self.hit(key, now);
        };
        Usage {
            windows: counted
                .windows
                .iter()
                .zip(&self.windows)
                .map(|((count, started), w)| (*count, w.limit.saturating_sub(*count), started + w.seconds))
                .collect(),
            allowed: counted.allowed,
        }
    }

    /// Counts one call by `key` at `now`. A refused call is not counted, so a caller who backs
    /// off regains access when the window resets.
    pub fn hit(&self, key: &str, now: UnixTime) -> Usage {
        let mut counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        if counters.len() >= MAX_TRACKED && !counters.contains_key(key) {
            let longest = self.windows.iter().map(|w| w.seconds).max().unwrap_or(0);
            counters.retain(|_, cs| cs.iter().any(|c| c.started + longest > now));
        }
        let entry = counters.entry(key.to_owned()).or_insert_with(|| {
            self.windows
                .iter()
                .map(|_| Counter { started: now, count: 0 })
                .collect()
        });
        for (c, w) in entry.iter_mut().zip(&self.windows) {
            if now >= c.started + w.seconds {
                *c = Counter { started: now, count: 0 };
            }
        }
        let allowed = entry.iter().zip(&self.windows).all(|(c, w)| c.count < w.limit);
        if allowed {
            for c in entry.iter_mut() {
                c.count += 1;
            }
        }
        let windows = entry
            .iter()
            .zip(&self.windows)
            .map(|(c, w)| (c.count, w.limit.saturating_sub(c.count), c.started + w.seconds))
            .collect();
        Usage { windows, allowed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_the_smallest_remaining_window_and_resets() {
        let l = RateLimiter::new(vec![
            Window { seconds: 10, limit: 2 },
            Window { seconds: 100, limit: 3 },
        ]);
        assert!(l.hit("a", 0).allowed);
        assert!(l.hit("a", 1).allowed);
        let third = l.hit("a", 2);
        assert!(!third.allowed);
        assert_eq!(third.windows, vec![(2, 0, 10), (2, 1, 100)]);
        assert!(l.hit("b", 2).allowed, "callers are counted separately");
        assert!(l.hit("a", 10).allowed, "first window reset");
        assert!(!l.hit("a", 11).allowed, "second window exhausted");
    }

    #[test]
    fn one_header_line_per_window() {
        let l = RateLimiter::new(DEFAULT_WINDOWS.to_vec());
        let mut h = HeaderMap::new();
        l.hit("k", 1000).write_headers(&mut h);
        assert_eq!(h.get_all("x-ratelimit").iter().count(), 4);
        assert_eq!(
            h.get_all("x-ratelimit-remaining")
                .iter()
                .map(|v| v.to_str().unwrap())
                .collect::<Vec<_>>(),
            ["2299", "4499", "8799", "105599"]
        );
    }
}
