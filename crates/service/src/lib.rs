//! Verity's application services: they load what a decision needs from the store, let the domain
//! decide, and commit the result with its events and webhook deliveries in one transaction. The
//! HTTP layers, the CLI and the background workers all change sessions and users through here.

pub mod access;
pub mod back_office;
pub mod biometrics;
pub mod clients;
pub mod engine;
mod error;
pub mod files;
pub mod health;
pub mod hooks;
pub mod hosted;
pub mod keys;
pub mod kyc;
pub mod lifecycle;
pub mod mail;
pub mod metrics;
pub mod providers;
pub mod pscs;
pub mod redaction;
pub mod registry;
pub mod samples;
pub mod sandbox;
pub mod sessions;
pub mod ubo;
pub mod users;
pub mod verified;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use verity_domain::event::{Event, Happened};
use verity_domain::{ClientId, UnixTime};
use verity_store::{InvalidationRule, Store};

pub use error::{LifecycleError, ServiceError};

#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// How long a session may stay PENDING.
    pub session_ttl: i64,
    /// How long a PSC's own session may stay PENDING (Mangopay: 7 days)...
    pub psc_session_ttl: i64,
    /// ...and once its liveness step started (Mangopay: 1 hour).
    pub psc_liveness_ttl: i64,
    /// How long before a PSC session's end its reminder is sent (at most half its life).
    pub psc_reminder_before: i64,
    /// Whether an SMTP server is configured: without one no e-mail is queued.
    pub mail_enabled: bool,
    /// How long after creation a sandbox session with a `Tag` directive completes.
    pub sandbox_delay: i64,
    /// Delays before each retry of a failed webhook delivery, in seconds.
    pub retry_schedule: Vec<i64>,
    /// Time a webhook receiver has to answer.
    pub webhook_timeout: Duration,
    /// When failed deliveries make a hook INVALID.
    pub invalidation: InvalidationRule,
    /// Let production clients' webhooks reach private and loopback addresses (on-premises use).
    pub allow_private_webhooks: bool,
    /// Whether a face-match provider is configured: without one, production clients' natural
    /// users can only be verified with manual review.
    pub face_match_configured: bool,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            session_ttl: 7 * 86_400,
            psc_session_ttl: verity_domain::psc::PSC_SESSION_LIFETIME,
            psc_liveness_ttl: verity_domain::psc::PSC_LIVENESS_WINDOW,
            psc_reminder_before: 86_400,
            mail_enabled: false,
            sandbox_delay: 3,
            retry_schedule: [600; 6].into_iter().chain([8 * 3600; 9]).collect(),
            webhook_timeout: Duration::from_secs(2),
            invalidation: InvalidationRule {
                failed_events: 100,
                failing_for: 86_400,
            },
            allow_private_webhooks: false,
            face_match_configured: false,
        }
    }
}

/// Tells background workers to stop taking new work: set once, on SIGTERM. A worker finishes
/// what it holds (or hands it back to the queue) and returns.
pub type StopSignal = tokio::sync::watch::Receiver<bool>;

/// Waits until `stop` is set; returns at once if it already is.
pub async fn stopped(stop: &mut StopSignal) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Shared handle on the services.
#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn Store>,
    pub config: Arc<ServiceConfig>,
    /// Woken after each commit that queued webhook deliveries, so the worker starts at once.
    pub outbox: Arc<Notify>,
    /// Woken when a submission queued checks, so the engine starts at once.
    pub checks: Arc<Notify>,
    /// Woken when a commit queued e-mails.
    pub mail: Arc<Notify>,
    /// Documents and selfies, when this process handles them.
    pub files: Option<Arc<files::Files>>,
}

impl Services {
    pub fn new(store: Arc<dyn Store>, config: ServiceConfig) -> Self {
        Services {
            store,
            config: Arc::new(config),
            outbox: Arc::new(Notify::new()),
            checks: Arc::new(Notify::new()),
            mail: Arc::new(Notify::new()),
            files: None,
        }
    }
}

pub use verity_common::clock::{now, now_millis};

/// A prefixed ULID.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", ulid::Ulid::from_parts(now_millis(), rand::random()))
}

/// Gives decided events their identity and date.
pub fn record(client: &ClientId, happened: Vec<Happened>, now: UnixTime) -> Vec<Event> {
    happened
        .into_iter()
        .map(|h| Event {
            id: new_id("evt_"),
            client_id: client.clone(),
            event_type: h.event_type,
            resource_id: h.resource_id,
            date: now,
        })
        .collect()
}
