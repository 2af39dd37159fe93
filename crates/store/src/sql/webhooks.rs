//! Hooks, events and the webhook outbox: claims, attempts, invalidation and replays.

use super::*;
use std::collections::HashSet;

#[async_trait]
impl WebhookStore for SqlStore {
    async fn insert_hook(&self, h: &Hook) -> StoreResult<()> {
        let result = sqlx::query(
            "INSERT INTO hooks (id, client_id, event_type, url, status, validity, tag, created_at, consecutive_failures) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)",
        )
        .bind(h.id.as_str())
        .bind(h.client_id.as_str())
        .bind(&h.event_type)
        .bind(&h.url)
        .bind(h.status())
        .bind(h.validity())
        .bind(h.tag.as_deref())
        .bind(h.created_at)
        .execute(&self.pool)
        .await;
        match result {
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(Conflict::HookEventType)),
            other => other.map(|_| ()).map_err(Into::into),
        }
    }

    async fn update_hook(&self, h: &Hook) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let revalidated = h.valid
            && sqlx::query("SELECT validity FROM hooks WHERE id = $1 AND client_id = $2")
                .bind(h.id.as_str())
                .bind(h.client_id.as_str())
                .fetch_optional(&mut **tx)
                .await?
                .map(|r| r.try_get::<String, _>("validity"))
                .transpose()?
                .is_some_and(|v| v == "INVALID");
        sqlx::query(
            "UPDATE hooks SET url = $1, status = $2, validity = $3, tag = $4, \
             consecutive_failures = CASE WHEN $3 = 'VALID' AND validity = 'INVALID' THEN 0 ELSE consecutive_failures END, \
             failing_since = CASE WHEN $3 = 'VALID' AND validity = 'INVALID' THEN NULL ELSE failing_since END \
             WHERE id = $5 AND client_id = $6",
        )
        .bind(&h.url)
        .bind(h.status())
        .bind(h.validity())
        .bind(h.tag.as_deref())
        .bind(h.id.as_str())
        .bind(h.client_id.as_str())
        .execute(&mut **tx)
        .await?;
        if revalidated {
            // The deliveries that waited become due at once, claimed oldest event first, and
            // their earlier failures no longer count against the hook.
            sqlx::query(
                "UPDATE webhook_deliveries SET next_attempt_ms = created_at * 1000, counted_failure = 0, locked_until_ms = NULL \
                 WHERE hook_id = $1 AND state = 'pending'",
            )
            .bind(h.id.as_str())
            .execute(&mut **tx)
            .await?;
        }
        tx.commit().await
    }

    async fn hook(&self, client: &ClientId, id: &str) -> StoreResult<Option<Hook>> {
        sqlx::query("SELECT * FROM hooks WHERE client_id = $1 AND id = $2")
            .bind(client.as_str())
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(hook_from_row)
            .transpose()
    }

    async fn hooks(&self, client: &ClientId, page: PageRequest) -> StoreResult<Page<Hook>> {
        self.page_of(
            "hooks WHERE client_id = $1",
            &[Value::from(client.as_str())],
            "*",
            "created_at",
            page,
            hook_from_row,
        )
        .await
    }

    async fn events(&self, client: &ClientId, f: &EventFilter, page: PageRequest) -> StoreResult<Page<Event>> {
        let mut conditions = vec!["client_id = $1".to_owned()];
        let mut binds = vec![Value::from(client.as_str())];
        if let Some(t) = &f.event_type {
            binds.push(Value::from(t));
            conditions.push(format!("event_type = ${}", binds.len()));
        }
        if let Some(r) = &f.resource {
            binds.push(Value::from(r));
            conditions.push(format!("resource_id = ${}", binds.len()));
        }
        if let Some(after) = f.after {
            binds.push(Value::from(after));
            conditions.push(format!("date >= ${}", binds.len()));
        }
        if let Some(before) = f.before {
            binds.push(Value::from(before));
            conditions.push(format!("date <= ${}", binds.len()));
        }
        let from_where = format!("events WHERE {}", conditions.join(" AND "));
        let total = self.count_events(client, f).await?;
        self.page_counted(&from_where, &binds, "*", "date", page, event_from_row, total)
            .await
    }

    async fn roll_up_events(&self, now: UnixTime) -> StoreResult<i64> {
        self.roll_up_event_hours(now).await
    }

    async fn claim_deliveries(
        &self,
        now: UnixTime,
        lease_until: UnixTime,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryJob>> {
        // Most wake-ups find nothing due (every write that records an event wakes the worker,
        // hooks or not): a read says so without taking the write lock, which on SQLite the
        // group commit is waiting for.
        let due = self
            .fetch_optional(
                "SELECT 1 AS due FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_ms <= $1 \
                 AND (locked_until_ms IS NULL OR locked_until_ms < $1) LIMIT 1",
                &[now.into()],
                |_| Ok(()),
            )
            .await?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let lock = match self.dialect {
            Dialect::Postgres => " FOR UPDATE OF d SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        // Deliveries to an INVALID hook are paused: not claimed until it is re-validated.
        let sql = format!(
            "UPDATE webhook_deliveries SET locked_until_ms = $1, attempts = attempts + 1 WHERE id IN (\
             SELECT d.id FROM webhook_deliveries d JOIN hooks h ON h.id = d.hook_id \
             WHERE d.state = 'pending' AND d.next_attempt_ms <= $2 AND h.validity = 'VALID' \
             AND (d.locked_until_ms IS NULL OR d.locked_until_ms < $2) \
             ORDER BY d.next_attempt_ms, d.created_at, d.id LIMIT $3{lock}) RETURNING id"
        );
        let mut tx = self.begin_write().await?;
        let ids: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(lease_until)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("id"))
            .collect::<Result<_, _>>()?;
        tx.commit().await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // One query for the whole batch; only placeholders are interpolated, as many as the next
        // power of two (the last id repeated), so a few statements serve every batch size and
        // stay in the connection's prepared-statement cache.
        let slots = ids.len().next_power_of_two();
        let placeholders: Vec<String> = (1..=slots).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT d.id, d.client_id, d.hook_id, d.attempts, h.url, h.status, h.validity, \
             CASE WHEN h.event_type = 'IDENTITY_VERIFICATION_PSC_FAILED' THEN h.event_type ELSE e.event_type END AS event_type, \
             e.resource_id, e.date, \
             c.webhook_secret, c.environment FROM webhook_deliveries d JOIN hooks h ON h.id = d.hook_id \
             JOIN events e ON e.id = d.event_id JOIN clients c ON c.id = d.client_id WHERE d.id IN ({}) ORDER BY d.next_attempt_ms",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for i in 0..slots {
            query = query.bind(&ids[i.min(ids.len() - 1)]);
        }
        let mut jobs = Vec::with_capacity(ids.len());
        for row in query.fetch_all(&self.pool).await? {
            jobs.push(DeliveryJob {
                id: row.try_get("id")?,
                client_id: ClientId::from_raw(row.try_get::<String, _>("client_id")?),
                hook_id: row.try_get("hook_id")?,
                url: row.try_get("url")?,
                hook_enabled: row.try_get::<String, _>("status")? == "ENABLED",
                hook_valid: row.try_get::<String, _>("validity")? == "VALID",
                event_type: row.try_get("event_type")?,
                resource_id: row.try_get("resource_id")?,
                date: row.try_get("date")?,
                attempt: row.try_get::<i64, _>("attempts")? as u32,
                secret: row.try_get("webhook_secret")?,
                public_only: row.try_get::<String, _>("environment")? == "production",
            });
        }
        Ok(jobs)
    }

    fn outbox_wakeup(&self) -> Arc<tokio::sync::Notify> {
        self.signals.follow();
        self.signals.outbox.clone()
    }

    async fn finish_attempts(&self, finished: &[FinishedAttempt], rule: InvalidationRule) -> StoreResult<Vec<bool>> {
        let mut tx = self.begin_write().await?;
        let mut turned_invalid = Vec::with_capacity(finished.len());
        let mut reset = HashSet::new();
        for f in finished {
            turned_invalid.push(finish_one(&mut tx, self.dialect, f, rule, &mut reset).await?);
        }
        tx.commit().await?;
        Ok(turned_invalid)
    }

    async fn invalid_hooks(&self, client: Option<&ClientId>) -> StoreResult<Vec<InvalidHook>> {
        let rows = sqlx::query(
            "SELECT h.id, h.client_id, h.event_type, h.url, h.consecutive_failures, h.failing_since, \
             (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.hook_id = h.id AND d.state = 'pending') AS paused \
             FROM hooks h WHERE h.validity = 'INVALID' AND ($1 IS NULL OR h.client_id = $1) ORDER BY h.client_id, h.event_type",
        )
        .bind(client.map(|c| c.as_str().to_owned()))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(InvalidHook {
                    hook_id: r.try_get("id")?,
                    client_id: ClientId::from_raw(r.try_get::<String, _>("client_id")?),
                    event_type: r.try_get("event_type")?,
                    url: r.try_get("url")?,
                    failed_events: r.try_get("consecutive_failures")?,
                    failing_since: r.try_get("failing_since")?,
                    paused: r.try_get("paused")?,
                })
            })
            .collect()
    }

    async fn deliveries(
        &self,
        client: Option<&ClientId>,
        state: Option<&str>,
        page: PageRequest,
    ) -> StoreResult<Page<DeliverySummary>> {
        let filter = "($1 IS NULL OR d.client_id = $1) AND ($2 IS NULL OR d.state = $2)";
        let direction = match page.direction {
            SortDirection::Asc => "ASC",
            SortDirection::Desc => "DESC",
        };
        let client = client.map(|c| c.as_str().to_owned());
        let state = state.map(str::to_owned);
        let total: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM webhook_deliveries d WHERE {filter}"
        )))
        .bind(client.clone())
        .bind(state.clone())
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        let sql = format!(
            "SELECT d.id, d.client_id, d.hook_id, d.state, d.attempts, d.next_attempt_ms, d.created_at, e.event_type, e.resource_id \
             FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE {filter} \
             ORDER BY d.created_at {direction}, d.id {direction} LIMIT $3 OFFSET $4"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(client)
            .bind(state)
            .bind(i64::from(page.per_page))
            .bind(page.offset())
            .fetch_all(&self.pool)
            .await?;
        Ok(Page {
            items: rows.iter().map(summary_from_row).collect::<StoreResult<_>>()?,
            total_items: total as u64,
        })
    }

    async fn attempts(&self, delivery_id: &str) -> StoreResult<Vec<AttemptRecord>> {
        let rows = sqlx::query("SELECT * FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt")
            .bind(delivery_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AttemptRecord {
                    delivery_id: r.try_get("delivery_id")?,
                    attempt: r.try_get::<i64, _>("attempt")? as u32,
                    started_at: r.try_get("started_at")?,
                    duration_ms: r.try_get::<i64, _>("duration_ms")? as u64,
                    http_status: r.try_get::<Option<i64>, _>("http_status")?.map(|s| s as u16),
                    error: r.try_get("error")?,
                })
            })
            .collect()
    }

    async fn replay_delivery(&self, delivery_id: &str, now: UnixTime) -> StoreResult<bool> {
        let updated = sqlx::query("UPDATE webhook_deliveries SET state = 'pending', next_attempt_ms = $1, locked_until_ms = NULL WHERE id = $2")
            .bind(now * 1000)
            .bind(delivery_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(updated == 1)
    }
}

/// Records one attempt and its consequence inside `tx`; `true` when it turned the hook INVALID.
async fn finish_one(
    tx: &mut WriteTx,
    dialect: Dialect,
    finished: &FinishedAttempt,
    rule: InvalidationRule,
    reset: &mut HashSet<String>,
) -> StoreResult<bool> {
    let (job, a, next) = (&finished.job, &finished.record, finished.next);
    if next == NextStep::Pause {
        // Not attempted: the claim is handed back as if it never happened.
        sqlx::query(
                "UPDATE webhook_deliveries SET attempts = attempts - 1, locked_until_ms = NULL WHERE id = $1 AND attempts = $2",
            )
            .bind(&job.id)
            .bind(i64::from(job.attempt))
            .execute(&mut ***tx)
            .await?;
        return Ok(false);
    }
    // Only the worker holding the latest claim decides the delivery's fate ($1..$4); the
    // attempt's record is $5..$10 (on SQLite, its own statement's $1..$6).
    const DECIDE: &str = "UPDATE webhook_deliveries SET state = $1, next_attempt_ms = $2, locked_until_ms = NULL \
         WHERE id = $3 AND attempts = $4";
    const RECORD: &str = "INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, http_status, error) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
    // PostgreSQL: both in one round trip.
    const RECORD_AND_DECIDE: &str = "WITH recorded AS (INSERT INTO webhook_attempts \
         (delivery_id, attempt, started_at, duration_ms, http_status, error) VALUES ($5, $6, $7, $8, $9, $10) \
         ON CONFLICT DO NOTHING) UPDATE webhook_deliveries SET state = $1, next_attempt_ms = $2, locked_until_ms = NULL \
         WHERE id = $3 AND attempts = $4";
    let (state, next_at) = match next {
        NextStep::RetryAt(at_ms) => ("pending", at_ms),
        NextStep::Delivered => ("delivered", a.started_at * 1000),
        NextStep::GiveUp => ("failed", a.started_at * 1000),
        NextStep::Cancel | NextStep::Pause => ("cancelled", a.started_at * 1000),
    };
    let values = [
        Value::from(state),
        Value::from(next_at),
        Value::from(job.id.as_str()),
        Value::from(i64::from(job.attempt)),
        Value::from(a.delivery_id.as_str()),
        Value::from(i64::from(a.attempt)),
        Value::from(a.started_at),
        Value::from(a.duration_ms as i64),
        Value::Int(a.http_status.map(i64::from)),
        Value::Text(a.error.clone()),
    ];
    let decided = match dialect {
        Dialect::Postgres => {
            bind_values(sqlx::query(RECORD_AND_DECIDE), &values)
                .execute(&mut ***tx)
                .await?
        }
        Dialect::Sqlite => {
            bind_values(sqlx::query(RECORD), &values[4..])
                .execute(&mut ***tx)
                .await?;
            bind_values(sqlx::query(DECIDE), &values[..4])
                .execute(&mut ***tx)
                .await?
        }
    };
    let current = decided.rows_affected() == 1;
    let mut turned_invalid = false;
    if current && next == NextStep::Delivered {
        // `reset`: hooks whose failures this transaction cleared already, none counted since.
        // Most deliveries succeed to a hook with nothing to clear: no write, and one statement
        // per hook and batch rather than per delivery.
        if !reset.contains(&job.hook_id) {
            sqlx::query(
                "UPDATE hooks SET consecutive_failures = 0, failing_since = NULL WHERE id = $1 \
                 AND (consecutive_failures <> 0 OR failing_since IS NOT NULL)",
            )
            .bind(&job.hook_id)
            .execute(&mut ***tx)
            .await?;
            reset.insert(job.hook_id.clone());
        }
    } else if current && matches!(next, NextStep::RetryAt(_) | NextStep::GiveUp) {
        reset.remove(&job.hook_id);
        // One event counts once, however many times its delivery is retried.
        let first_failure =
            sqlx::query("UPDATE webhook_deliveries SET counted_failure = 1 WHERE id = $1 AND counted_failure = 0")
                .bind(&job.id)
                .execute(&mut ***tx)
                .await?
                .rows_affected();
        sqlx::query(
            "UPDATE hooks SET consecutive_failures = consecutive_failures + $1, \
                 failing_since = COALESCE(failing_since, $2) WHERE id = $3",
        )
        .bind(first_failure as i64)
        .bind(a.started_at)
        .bind(&job.hook_id)
        .execute(&mut ***tx)
        .await?;
        turned_invalid = sqlx::query(
            "UPDATE hooks SET validity = 'INVALID' WHERE id = $1 AND validity = 'VALID' \
                 AND consecutive_failures >= $2 AND failing_since <= $3",
        )
        .bind(&job.hook_id)
        .bind(i64::from(rule.failed_events))
        .bind(a.started_at - rule.failing_for)
        .execute(&mut ***tx)
        .await?
        .rows_affected()
            == 1;
    }
    Ok(turned_invalid)
}
