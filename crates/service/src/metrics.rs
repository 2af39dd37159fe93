//! Process counters and the Prometheus text exposition of `GET /metrics`. Counters count what
//! this process saw since it started; gauges are read from the database, so every process
//! reports the same values for them.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use verity_store::{Store, StoreResult};

/// Hooks this process turned INVALID.
pub static HOOKS_INVALIDATED: AtomicU64 = AtomicU64::new(0);
/// Connections the listener closed because a client sent its request headers too slowly.
pub static CONNECTIONS_TIMED_OUT: AtomicU64 = AtomicU64::new(0);
/// Times the listener stopped accepting because it held as many connections as it may.
pub static CONNECTION_LIMIT_REACHED: AtomicU64 = AtomicU64::new(0);
/// Requests that ran past the request timeout.
pub static REQUESTS_TIMED_OUT: AtomicU64 = AtomicU64::new(0);

/// A latency histogram with fixed buckets (seconds), updated without locks.
pub struct Histogram {
    bounds: &'static [f64],
    /// One count per bound, then the overflow (+Inf).
    counts: [AtomicU64; 16],
    /// Sum of the observations, in microseconds.
    sum_micros: AtomicU64,
}

impl Histogram {
    pub const fn new(bounds: &'static [f64]) -> Histogram {
        assert!(bounds.len() < 16);
        Histogram {
            bounds,
            counts: [const { AtomicU64::new(0) }; 16],
            sum_micros: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, seconds: f64) {
        let bucket = self
            .bounds
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(self.bounds.len());
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add((seconds * 1e6).max(0.0) as u64, Ordering::Relaxed);
    }

    /// Prometheus' cumulative `_bucket` lines, `_sum` and `_count`, with `labels` (`a="b",...`
    /// or empty) on each.
    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (i, bound) in self.bounds.iter().enumerate() {
            cumulative += self.counts[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}");
        }
        cumulative += self.counts[self.bounds.len()].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let braces = |l: &str| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{{{l}}}")
            }
        };
        let _ = writeln!(
            out,
            "{name}_sum{} {sum}\n{name}_count{} {cumulative}",
            braces(labels),
            braces(labels)
        );
    }
}

/// One route's histograms, by method and status.
type ByMethodAndStatus = BTreeMap<(&'static str, u16), Arc<Histogram>>;

/// Requests answered, by route (the router's pattern, never the raw path: bounded), method and
/// status, each with its latency histogram.
pub struct RequestMetrics {
    routes: RwLock<BTreeMap<String, ByMethodAndStatus>>,
}

const REQUEST_BOUNDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

impl RequestMetrics {
    const fn new() -> RequestMetrics {
        RequestMetrics {
            routes: RwLock::new(BTreeMap::new()),
        }
    }

    pub fn observe(&self, route: &str, method: &'static str, status: u16, seconds: f64) {
        let found = {
            let routes = self.routes.read().unwrap_or_else(|p| p.into_inner());
            routes.get(route).and_then(|r| r.get(&(method, status))).cloned()
        };
        let histogram = found.unwrap_or_else(|| {
            let mut routes = self.routes.write().unwrap_or_else(|p| p.into_inner());
            routes
                .entry(route.to_owned())
                .or_default()
                .entry((method, status))
                .or_insert_with(|| Arc::new(Histogram::new(REQUEST_BOUNDS)))
                .clone()
        });
        histogram.observe(seconds);
    }

    fn render(&self, out: &mut String) {
        let name = "verity_http_request_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Requests answered, by route pattern, method and status, and how long they took.\n# TYPE {name} histogram"
        );
        let routes = self.routes.read().unwrap_or_else(|p| p.into_inner());
        for (route, by_status) in routes.iter() {
            for ((method, status), histogram) in by_status {
                let route = route.replace('\\', "\\\\").replace('"', "\\\"");
                histogram.render(
                    out,
                    name,
                    &format!("route=\"{route}\",method=\"{method}\",status=\"{status}\""),
                );
            }
        }
    }
}

pub static REQUESTS: RequestMetrics = RequestMetrics::new();

/// A counter per reason (a fixed set of names chosen by the code).
pub struct Reasons(Mutex<BTreeMap<&'static str, u64>>);

impl Reasons {
    const fn new() -> Reasons {
        Reasons(Mutex::new(BTreeMap::new()))
    }

    pub fn add(&self, reason: &'static str) {
        *self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(reason)
            .or_default() += 1;
    }

    fn render(&self, out: &mut String, name: &str, label: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for (reason, n) in self.0.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(out, "{name}{{{label}=\"{reason}\"}} {n}");
        }
    }
}

/// Uploads refused before storage, by reason (too large, not an image, unreadable, blank,
/// active PDF...).
pub static UPLOADS_REFUSED: Reasons = Reasons::new();
/// Lockouts after repeated failed sign-ins: `api` (token requests of a client from an
/// address) and `console` (a staff account).
pub static LOCKOUTS: Reasons = Reasons::new();

/// How long the engine took to decide a session's checks, from its stored images to the
/// committed result (one job at a time per process).
pub static ENGINE_JOB_SECONDS: Histogram = Histogram::new(&[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0]);

/// The exposition text.
pub async fn render(store: &dyn Store) -> StoreResult<String> {
    let invalid = store.invalid_hooks(None).await?;
    let paused: i64 = invalid.iter().map(|h| h.paused).sum();
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
    };
    metric(
        "verity_webhook_hooks_invalid",
        "gauge",
        "Hooks in INVALID state; their deliveries wait for re-validation.",
        invalid.len() as u64,
    );
    metric(
        "verity_webhook_deliveries_paused",
        "gauge",
        "Webhook deliveries waiting for an INVALID hook to be re-validated.",
        paused as u64,
    );
    let (waiting, oldest) = store.review_backlog().await?;
    metric(
        "verity_review_queue_sessions",
        "gauge",
        "Sessions waiting in REVIEW for a reviewer.",
        waiting,
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    metric(
        "verity_review_oldest_waiting_seconds",
        "gauge",
        "How long the oldest session in REVIEW has waited (0 when none waits).",
        oldest.map_or(0, |since| (now - since).max(0) as u64),
    );
    let counter = |c: &AtomicU64| c.load(Ordering::Relaxed);
    metric(
        "verity_webhook_hooks_invalidated_total",
        "counter",
        "Hooks this process turned INVALID.",
        counter(&HOOKS_INVALIDATED),
    );
    metric(
        "verity_http_header_timeouts_total",
        "counter",
        "Connections closed because the request headers did not arrive in time.",
        counter(&CONNECTIONS_TIMED_OUT),
    );
    metric(
        "verity_http_connection_limit_reached_total",
        "counter",
        "Times the listener held its maximum number of connections and stopped accepting.",
        counter(&CONNECTION_LIMIT_REACHED),
    );
    metric(
        "verity_http_request_timeouts_total",
        "counter",
        "Requests answered 503 because they ran past the request timeout.",
        counter(&REQUESTS_TIMED_OUT),
    );
    let backlog = store.work_backlog().await?;
    metric(
        "verity_webhook_deliveries_pending",
        "gauge",
        "Webhook deliveries not yet delivered: due, waiting for a retry, or paused.",
        backlog.deliveries_pending,
    );
    metric(
        "verity_webhook_oldest_pending_seconds",
        "gauge",
        "How long the oldest undelivered webhook has waited (0 when none waits).",
        backlog.oldest_delivery_at.map_or(0, |at| (now - at).max(0) as u64),
    );
    metric(
        "verity_engine_jobs_pending",
        "gauge",
        "Sessions whose checks wait for the engine (queued or in progress).",
        backlog.checks_pending,
    );
    let name = "verity_engine_job_seconds";
    let _ = writeln!(
        out,
        "# HELP {name} Time the engine took per check job, from stored images to the committed decision.\n# TYPE {name} histogram"
    );
    ENGINE_JOB_SECONDS.render(&mut out, name, "");
    UPLOADS_REFUSED.render(
        &mut out,
        "verity_uploads_refused_total",
        "reason",
        "Uploads refused before storage, by reason.",
    );
    LOCKOUTS.render(
        &mut out,
        "verity_login_lockouts_total",
        "kind",
        "Lockouts after repeated failed sign-ins: api (a client's token requests from an address), console (a staff account).",
    );
    REQUESTS.render(&mut out);
    Ok(out)
}
