//! The readiness probe's question to the database, and SQLite's online snapshot for backups.

use super::*;
use crate::{HealthStore, WorkBacklog};

impl SqlStore {
    /// Writes a consistent copy of an SQLite database to `path` while it stays in use
    /// (`VACUUM INTO`: one read transaction, so the copy is one moment of the database). Not
    /// for PostgreSQL, whose own tools (`pg_dump`) do this.
    pub async fn snapshot_into(&self, path: &std::path::Path) -> StoreResult<()> {
        if self.dialect != Dialect::Sqlite {
            return Err(StoreError::Corrupt(
                "snapshots are for SQLite; use pg_dump for PostgreSQL".into(),
            ));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(path.to_string_lossy().into_owned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

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

    async fn work_backlog(&self) -> StoreResult<WorkBacklog> {
        // Both read through their (state, ...) indexes: the pending rows only.
        let deliveries = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM webhook_deliveries WHERE state = 'pending'",
        )
        .fetch_one(&self.pool)
        .await?;
        let checks = sqlx::query("SELECT COUNT(*) AS n FROM check_jobs WHERE state = 'pending'")
            .fetch_one(&self.pool)
            .await?;
        Ok(WorkBacklog {
            deliveries_pending: deliveries.try_get::<i64, _>("n")?.max(0) as u64,
            oldest_delivery_at: deliveries.try_get("oldest")?,
            checks_pending: checks.try_get::<i64, _>("n")?.max(0) as u64,
        })
    }
}
