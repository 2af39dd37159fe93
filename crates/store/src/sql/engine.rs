//! The verification engine: check jobs, evidence, fingerprints and the imported company registry.

use super::*;

#[async_trait]
impl EngineStore for SqlStore {
    async fn enqueue_checks(&self, client: &ClientId, session: &SessionId, now_ms: i64) -> StoreResult<()> {
        self.write_one(
            ENQUEUE_CHECKS,
            &[
                Value::from(session.as_str()),
                Value::from(client.as_str()),
                Value::from(now_ms),
            ],
        )
        .await
    }

    async fn claim_check_jobs(&self, now_ms: i64, lease_until_ms: i64, limit: u32) -> StoreResult<Vec<CheckJob>> {
        let lock = match self.dialect {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let sql = format!(
            "UPDATE check_jobs SET locked_until_ms = $1, attempts = attempts + 1 WHERE session_id IN (\
             SELECT session_id FROM check_jobs WHERE state = 'pending' AND run_after_ms <= $2 \
             AND locked_until_ms < $2 ORDER BY run_after_ms LIMIT $3{lock}) RETURNING session_id, client_id, attempts"
        );
        let mut tx = self.begin_write().await?;
        let jobs = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(lease_until_ms)
            .bind(now_ms)
            .bind(i64::from(limit))
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| {
                Ok(CheckJob {
                    session: SessionId::from_raw(r.try_get::<String, _>("session_id")?),
                    client: ClientId::from_raw(r.try_get::<String, _>("client_id")?),
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        tx.commit().await?;
        Ok(jobs)
    }

    async fn finish_check_job(&self, session: &SessionId, outcome: JobOutcome<'_>) -> StoreResult<()> {
        let (state, error, run_after) = match outcome {
            JobOutcome::Done => ("done", None, 0),
            JobOutcome::Retry { error, at_ms } => ("pending", Some(error), at_ms),
            JobOutcome::Failed { error } => ("failed", Some(error), 0),
        };
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE check_jobs SET state = $1, last_error = $2, run_after_ms = $3, locked_until_ms = 0 \
             WHERE session_id = $4",
        )
        .bind(state)
        .bind(error)
        .bind(run_after)
        .bind(session.as_str())
        .execute(&mut **tx)
        .await?;
        tx.commit().await
    }

    async fn save_evidence(
        &self,
        client: &ClientId,
        session: &SessionId,
        evidence: &str,
        now: UnixTime,
    ) -> StoreResult<()> {
        let sealed = self
            .sealer
            .seal_text(evidence, &format!("evidence:{}", session.as_str()));
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO session_evidence (session_id, client_id, data, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (session_id) DO UPDATE SET data = excluded.data, created_at = excluded.created_at",
        )
        .bind(session.as_str())
        .bind(client.as_str())
        .bind(sealed)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        tx.commit().await
    }

    async fn evidence(&self, session: &SessionId) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT data FROM session_evidence WHERE session_id = $1")
            .bind(session.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let sealed: String = r.try_get("data")?;
            self.sealer
                .open_text(&sealed, &format!("evidence:{}", session.as_str()))
                .map_err(|e| corrupt("session evidence", e))
        })
        .transpose()
    }

    async fn record_fingerprints(
        &self,
        client: &ClientId,
        user: &UserId,
        session: &SessionId,
        fingerprints: &[(String, String)],
        now: UnixTime,
    ) -> StoreResult<Vec<FingerprintMatch>> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM document_fingerprints WHERE session_id = $1")
            .bind(session.as_str())
            .execute(&mut **tx)
            .await?;
        let mut matches = Vec::new();
        for (kind, value) in fingerprints {
            let rows = sqlx::query(
                "SELECT DISTINCT user_id, session_id FROM document_fingerprints \
                 WHERE client_id = $1 AND kind = $2 AND value = $3 AND user_id <> $4",
            )
            .bind(client.as_str())
            .bind(kind)
            .bind(value)
            .bind(user.as_str())
            .fetch_all(&mut **tx)
            .await?;
            for r in rows {
                matches.push(FingerprintMatch {
                    user: r.try_get("user_id")?,
                    session: r.try_get("session_id")?,
                    kind: kind.clone(),
                    value: value.clone(),
                });
            }
            sqlx::query(
                "INSERT INTO document_fingerprints (client_id, user_id, session_id, kind, value, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(client.as_str())
            .bind(user.as_str())
            .bind(session.as_str())
            .bind(kind)
            .bind(value)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
        tx.commit().await?;
        Ok(matches)
    }

    async fn fingerprint_values(&self, session: &str, kind: &str) -> StoreResult<Vec<String>> {
        sqlx::query("SELECT value FROM document_fingerprints WHERE session_id = $1 AND kind = $2")
            .bind(session)
            .bind(kind)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok(r.try_get("value")?))
            .collect()
    }

    async fn import_registry(&self, records: &[RegistryRecord], now: UnixTime) -> StoreResult<u64> {
        // One transaction: an import is applied whole or not at all.
        let mut tx = self.begin_write().await?;
        for r in records {
            let data = serde_json::to_string(r).map_err(|e| corrupt("registry record", e))?;
            sqlx::query(
                "INSERT INTO registry_companies (country, number, data, imported_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (country, number) DO UPDATE SET data = excluded.data, imported_at = excluded.imported_at",
            )
            .bind(&r.country)
            .bind(&r.number)
            .bind(data)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
        tx.commit().await?;
        Ok(records.len() as u64)
    }

    async fn registry_record(&self, country: &str, number: &str) -> StoreResult<Option<RegistryRecord>> {
        let row = sqlx::query("SELECT data FROM registry_companies WHERE country = $1 AND number = $2")
            .bind(country)
            .bind(number)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let data: String = r.try_get("data")?;
            serde_json::from_str(&data).map_err(|e| corrupt("registry record", e))
        })
        .transpose()
    }
}
