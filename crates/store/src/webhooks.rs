//! Hooks, events and the webhook outbox: what the delivery worker claims and records.

use async_trait::async_trait;
use verity_domain::event::Event;
use verity_domain::hook::Hook;
use verity_domain::{ClientId, UnixTime};

use crate::{EventFilter, Page, PageRequest, StoreResult};

/// An attempt made, to be recorded with what follows from it.
#[derive(Clone, Debug)]
pub struct FinishedAttempt {
    pub job: DeliveryJob,
    pub record: AttemptRecord,
    pub next: NextStep,
}

/// A webhook delivery claimed by a worker for one attempt.
#[derive(Clone, Debug)]
pub struct DeliveryJob {
    pub id: String,
    pub client_id: ClientId,
    pub hook_id: String,
    pub url: String,
    /// The platform has the hook `ENABLED`.
    pub hook_enabled: bool,
    /// The hook is `VALID`; deliveries to an `INVALID` hook wait until it is re-validated.
    pub hook_valid: bool,
    pub event_type: String,
    pub resource_id: String,
    pub date: UnixTime,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The client's Standard Webhooks secret, when signing is on.
    pub secret: Option<String>,
    /// Production clients may only reach public addresses.
    pub public_only: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRecord {
    pub delivery_id: String,
    pub attempt: u32,
    pub started_at: UnixTime,
    pub duration_ms: u64,
    pub http_status: Option<u16>,
    pub error: Option<String>,
}

/// What happens to a delivery after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextStep {
    Delivered,
    /// Retry at this Unix time in milliseconds.
    RetryAt(i64),
    /// The retry schedule is exhausted.
    GiveUp,
    /// The platform disabled the hook: nothing more is sent.
    Cancel,
    /// The hook turned INVALID meanwhile: the delivery waits, unattempted, for re-validation.
    Pause,
}

/// When failures make a hook INVALID: both a run of failed events and a time (Verity's rule;
/// Mangopay counts failures alone, which drops events after a short outage under load).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidationRule {
    /// Consecutive events whose delivery failed.
    pub failed_events: u32,
    /// Seconds since the first of those failures.
    pub failing_for: i64,
}

/// A hook that turned INVALID, for the operators' attention.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidHook {
    pub hook_id: String,
    pub client_id: ClientId,
    pub event_type: String,
    pub url: String,
    pub failed_events: i64,
    pub failing_since: Option<UnixTime>,
    /// Deliveries waiting for the hook to be re-validated.
    pub paused: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliverySummary {
    pub id: String,
    pub client_id: ClientId,
    pub hook_id: String,
    pub event_type: String,
    pub resource_id: String,
    pub state: String,
    pub attempts: u32,
    pub next_attempt_at: UnixTime,
    pub created_at: UnixTime,
}

/// Hooks, events and the webhook outbox.
#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
    /// Fails with `Conflict::HookEventType` when the client has a hook for that type.
    async fn insert_hook(&self, hook: &Hook) -> StoreResult<()>;
    /// Saves URL, status, validity and tag; re-validating resets the failure count and resumes
    /// the deliveries that waited, oldest event first.
    async fn update_hook(&self, hook: &Hook) -> StoreResult<()>;
    async fn hook(&self, client: &ClientId, id: &str) -> StoreResult<Option<Hook>>;
    async fn hooks(&self, client: &ClientId, page: PageRequest) -> StoreResult<Page<Hook>>;
    async fn events(&self, client: &ClientId, filter: &EventFilter, page: PageRequest) -> StoreResult<Page<Event>>;
    /// Adds the hours of events that are over to the hourly counts the events' totals read;
    /// returns how many hours were added.
    async fn roll_up_events(&self, now: UnixTime) -> StoreResult<i64>;
    /// Claims deliveries due at `now_ms` until `lease_until_ms` (Unix milliseconds), counting the
    /// attempt.
    async fn claim_deliveries(&self, now_ms: i64, lease_until_ms: i64, limit: u32) -> StoreResult<Vec<DeliveryJob>>;
    /// Records finished attempts and their consequences in one transaction. A delivery's first
    /// failure counts one failed event for its hook, and any success ends the run; when the run
    /// meets `rule` the hook becomes INVALID, and the result is true for the attempt that made it
    /// so (one per attempt, in order).
    async fn finish_attempts(&self, finished: &[FinishedAttempt], rule: InvalidationRule) -> StoreResult<Vec<bool>>;
    /// Woken when another process queued deliveries (PostgreSQL; on SQLite the worker's poll
    /// finds them). Call from within the runtime: the first call starts listening.
    fn outbox_wakeup(&self) -> std::sync::Arc<tokio::sync::Notify>;
    /// INVALID hooks of every client (or of one), with how many deliveries wait for them.
    async fn invalid_hooks(&self, client: Option<&ClientId>) -> StoreResult<Vec<InvalidHook>>;
    async fn deliveries(
        &self,
        client: Option<&ClientId>,
        state: Option<&str>,
        page: PageRequest,
    ) -> StoreResult<Page<DeliverySummary>>;
    async fn attempts(&self, delivery_id: &str) -> StoreResult<Vec<AttemptRecord>>;
    /// Queues a delivery again for an immediate attempt; false when it does not exist.
    async fn replay_delivery(&self, delivery_id: &str, now: UnixTime) -> StoreResult<bool>;
}
