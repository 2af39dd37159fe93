//! What an operator's readiness probe asks of storage.

use async_trait::async_trait;

use crate::StoreResult;

#[async_trait]
pub trait HealthStore: Send + Sync + 'static {
    /// The database's schema version and the latest one this binary knows: a round trip to
    /// the database, so it fails when the database cannot be reached.
    async fn schema_versions(&self) -> StoreResult<(i64, i64)>;
}
