//! What an operator's readiness probe and metrics ask of storage.

use async_trait::async_trait;

use crate::StoreResult;

#[async_trait]
pub trait HealthStore: Send + Sync + 'static {
    /// The database's schema version and the latest one this binary knows: a round trip to
    /// the database, so it fails when the database cannot be reached.
    async fn schema_versions(&self) -> StoreResult<(i64, i64)>;
    /// Work waiting for the background workers, across every process.
    async fn work_backlog(&self) -> StoreResult<WorkBacklog>;
}

/// Work waiting for the background workers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkBacklog {
    /// Webhook deliveries not yet delivered (due, waiting for a retry, or paused).
    pub deliveries_pending: u64,
    /// When the oldest of them was queued (Unix seconds).
    pub oldest_delivery_at: Option<i64>,
    /// Sessions whose checks wait for the engine (queued or in progress).
    pub checks_pending: u64,
}
