//! The readiness probe's question to the database.

use super::*;
use crate::HealthStore;

#[async_trait]
impl HealthStore for SqlStore {
    async fn schema_versions(&self) -> StoreResult<(i64, i64)> {
        let applied: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
            .persistent(false)
            .fetch_one(&self.pool)
            .await?
            .try_get("v")?;
        Ok((applied, crate::migrate::latest_version()))
    }
}
