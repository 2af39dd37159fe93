//! Clients (platforms), their settings and policies, and OAuth access tokens.

use super::*;

#[async_trait]
impl ClientStore for SqlStore {
    async fn insert_client(&self, client: &Client, api_key_hash: &str) -> StoreResult<()> {
        let result = sqlx::query(
            "INSERT INTO clients (id, name, environment, api_key_hash, idv_enabled, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(client.id.as_str())
        .bind(&client.name)
        .bind(client.environment.as_str())
        .bind(api_key_hash)
        .bind(i64::from(client.idv_enabled))
        .bind(client.created_at)
        .execute(&self.pool)
        .await;
        match result {
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(Conflict::ClientId)),
            other => other.map(|_| ()).map_err(Into::into),
        }
    }

    async fn client(&self, id: &ClientId) -> StoreResult<Option<ClientCredentials>> {
        sqlx::query("SELECT * FROM clients WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(client_from_row)
            .transpose()
    }

    async fn clients(&self) -> StoreResult<Vec<Client>> {
        sqlx::query("SELECT * FROM clients ORDER BY created_at, id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| client_from_row(r).map(|c| c.client))
            .collect()
    }

    async fn rotate_api_key(&self, id: &ClientId, api_key_hash: &str) -> StoreResult<bool> {
        let updated = self
            .change_access(&[
                (
                    "UPDATE clients SET api_key_hash = $1 WHERE id = $2",
                    &[Value::from(api_key_hash), Value::from(id.as_str())],
                ),
                (
                    "DELETE FROM access_tokens WHERE client_id = $1",
                    &[Value::from(id.as_str())],
                ),
            ])
            .await?;
        Ok(updated == 1)
    }

    async fn set_idv_enabled(&self, id: &ClientId, enabled: bool) -> StoreResult<bool> {
        let sql = "UPDATE clients SET idv_enabled = $1 WHERE id = $2";
        let binds = [Value::from(i64::from(enabled)), Value::from(id.as_str())];
        Ok(self.change_access(&[(sql, &binds)]).await? == 1)
    }

    async fn set_natural_review(&self, id: &ClientId, enabled: bool) -> StoreResult<bool> {
        let sql = "UPDATE clients SET natural_review = $1 WHERE id = $2";
        let binds = [Value::from(i64::from(enabled)), Value::from(id.as_str())];
        Ok(self.change_access(&[(sql, &binds)]).await? == 1)
    }

    async fn set_webhook_secret(&self, id: &ClientId, secret: Option<&str>) -> StoreResult<bool> {
        let sql = "UPDATE clients SET webhook_secret = $1 WHERE id = $2";
        let binds = [Value::from(secret), Value::from(id.as_str())];
        Ok(self.change_access(&[(sql, &binds)]).await? == 1)
    }

    async fn insert_token(&self, token_hash: &str, client: &ClientId, expires_at: UnixTime) -> StoreResult<()> {
        sqlx::query("INSERT INTO access_tokens (token_hash, client_id, expires_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(client.as_str())
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn client_for_token(&self, token_hash: &str, now: UnixTime) -> StoreResult<Option<Client>> {
        // SQLite: the epoch from its file, checked before the cache is used. PostgreSQL: the
        // token is read with the epoch in one query (strict; `authenticate_call` is what saves
        // the round trip).
        let local = self.signals.local_epoch();
        if let Some(epoch) = local
            && let Some(client) = self.signals.get(epoch, token_hash, now)
        {
            return Ok(Some(client));
        }
        let epoch_column = if self.signals.in_database() {
            ", (SELECT epoch FROM access_epoch WHERE id = 1) AS access_epoch"
        } else {
            ""
        };
        let sql = format!(
            "SELECT c.*, t.expires_at AS token_expires_at{epoch_column} FROM access_tokens t \
             JOIN clients c ON c.id = t.client_id WHERE t.token_hash = $1 AND t.expires_at > $2"
        );
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let client = client_from_row(&row)?.client;
        let epoch = match local {
            Some(e) => Some(e),
            None if self.signals.in_database() => Some(self.signals.with_shared(row.try_get("access_epoch")?)),
            None => None,
        };
        if let Some(epoch) = epoch {
            self.signals
                .put(epoch, token_hash, &client, row.try_get("token_expires_at")?);
        }
        Ok(Some(client))
    }

    async fn count_call(&self, key: &str, now: UnixTime, windows: &[(i64, u64)]) -> StoreResult<Option<SharedCount>> {
        if self.dialect != Dialect::Postgres {
            return Ok(None);
        }
        let seconds: Vec<i64> = windows.iter().map(|w| w.0).collect();
        let take = match self.leases.spend(key, now, &seconds, std::time::Instant::now()) {
            Ok(spent) => return Ok(Some(spent)),
            Err(take) => take,
        };
        let csv = |values: Vec<String>| values.join(",");
        let rows = sqlx::query("SELECT * FROM verity_take_calls($1, $2, $3, $4, $5, $6, $7)")
            .bind(key)
            .bind(now)
            .bind(csv(seconds.iter().map(i64::to_string).collect()))
            .bind(csv(windows.iter().map(|w| w.1.to_string()).collect()))
            .bind(take.want as i64)
            .bind(take.unused as i64)
            .bind(csv(take.unused_started.iter().map(i64::to_string).collect()))
            .fetch_all(&self.pool)
            .await?;
        let (mut counts, mut granted, mut epoch) = (Vec::with_capacity(rows.len()), 0, None);
        for r in &rows {
            granted = r.try_get::<i64, _>("granted")?.max(0) as u64;
            epoch = Some(r.try_get("current_epoch")?);
            counts.push((
                r.try_get::<i64, _>("window_count")?.max(0) as u64,
                r.try_get("window_started")?,
            ));
        }
        let taken_at = std::time::Instant::now();
        Ok(Some(SharedCount {
            access_epoch: epoch,
            ..self.leases.taken(key, &seconds, counts, granted, taken_at)
        }))
    }

    async fn authenticate_call(
        &self,
        token_hash: &str,
        path_client: &str,
        anonymous_key: &str,
        now: UnixTime,
        windows: &[(i64, u64)],
    ) -> StoreResult<(Option<Client>, Option<SharedCount>)> {
        let key_of = |client: &Option<Client>| match client {
            Some(c) => format!("client:{}", c.id),
            None => anonymous_key.to_owned(),
        };
        let ours = |c: Option<Client>| c.filter(|c| c.id.as_str() == path_client);
        if self.signals.in_database() {
            // Take a lease on the first call, so the next ones need no epoch read.
            self.signals.follow();
            if let Some(client) = self.signals.leased(token_hash, now)
                && client.id.as_str() == path_client
            {
                let counted = self.count_call(&key_of(&Some(client.clone())), now, windows).await?;
                return Ok((Some(client), counted));
            }
        }
        // Without a lease: a cached token is confirmed against the epoch read in this request.
        if self.signals.in_database()
            && let Some((client, seen)) = self.signals.provisional(token_hash, now)
            && client.id.as_str() == path_client
        {
            let counted = self.count_call(&key_of(&Some(client.clone())), now, windows).await?;
            // A call spent from this process's lease made no round trip: read the epoch alone.
            let epoch = match counted.as_ref().and_then(|c| c.access_epoch) {
                Some(epoch) => epoch,
                None => sqlx::query("SELECT epoch FROM access_epoch WHERE id = 1")
                    .fetch_one(&self.pool)
                    .await?
                    .try_get("epoch")?,
            };
            if self.signals.confirm(seen, epoch) {
                return Ok((Some(client), counted));
            }
            // Access changed since it was cached: read it again (the call stays counted).
            return Ok((ours(self.client_for_token(token_hash, now).await?), counted));
        }
        let client = ours(self.client_for_token(token_hash, now).await?);
        let counted = self.count_call(&key_of(&client), now, windows).await?;
        Ok((client, counted))
    }

    async fn purge_expired_tokens(&self, now: UnixTime) -> StoreResult<u64> {
        if self.dialect == Dialect::Postgres {
            // Counters of callers gone quiet for a day.
            sqlx::query("DELETE FROM rate_counters WHERE started + seconds < $1")
                .bind(now - 86_400)
                .execute(&self.pool)
                .await?;
        }
        Ok(sqlx::query("DELETE FROM access_tokens WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    async fn set_branding(&self, id: &ClientId, branding: &Branding) -> StoreResult<bool> {
        let json = serde_json::to_string(branding).map_err(|e| corrupt("client branding", e))?;
        let sql = "UPDATE clients SET branding = $1 WHERE id = $2";
        Ok(self
            .change_access(&[(sql, &[Value::from(&json), Value::from(id.as_str())])])
            .await?
            == 1)
    }

    async fn client_policy(&self, client: &ClientId) -> StoreResult<ClientPolicy> {
        let row = sqlx::query(
            "SELECT minimum_age, fraud_routing, retention_files_days, retention_data_days, liveness_required, psc_flow, psc_emails \
             FROM client_policies WHERE client_id = $1",
        )
        .bind(client.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => ClientPolicy {
                minimum_age: r.try_get("minimum_age")?,
                fraud_routing: r.try_get("fraud_routing")?,
                retention_files_days: r.try_get("retention_files_days")?,
                retention_data_days: r.try_get("retention_data_days")?,
                liveness_required: r.try_get::<i64, _>("liveness_required")? != 0,
                psc_flow: r.try_get::<i64, _>("psc_flow")? != 0,
                psc_emails: r.try_get::<i64, _>("psc_emails")? != 0,
            },
            None => ClientPolicy::default(),
        })
    }

    async fn set_client_policy(&self, client: &ClientId, policy: &ClientPolicy) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO client_policies (client_id, minimum_age, fraud_routing, retention_files_days, retention_data_days, \
             liveness_required, psc_flow, psc_emails) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (client_id) DO UPDATE SET \
             minimum_age = excluded.minimum_age, fraud_routing = excluded.fraud_routing, \
             retention_files_days = excluded.retention_files_days, retention_data_days = excluded.retention_data_days, \
             liveness_required = excluded.liveness_required, psc_flow = excluded.psc_flow, psc_emails = excluded.psc_emails",
        )
        .bind(client.as_str())
        .bind(policy.minimum_age)
        .bind(&policy.fraud_routing)
        .bind(policy.retention_files_days)
        .bind(policy.retention_data_days)
        .bind(policy.liveness_required as i64)
        .bind(policy.psc_flow as i64)
        .bind(policy.psc_emails as i64)
        .execute(&mut **tx)
        .await?;
        tx.commit().await
    }

    async fn lock_logins(&self, client: &str, address: &str, until: UnixTime) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO login_locks (client_id, address, locked_until) VALUES ($1, $2, $3) \
             ON CONFLICT (client_id, address) DO UPDATE SET locked_until = excluded.locked_until",
        )
        .bind(client)
        .bind(address)
        .bind(until)
        .execute(&mut **tx)
        .await?;
        tx.commit().await
    }

    async fn login_lock(&self, client: &str, address: &str) -> StoreResult<Option<UnixTime>> {
        let row = sqlx::query("SELECT locked_until FROM login_locks WHERE client_id = $1 AND address = $2")
            .bind(client)
            .bind(address)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get("locked_until")?),
            None => None,
        })
    }

    async fn unlock_logins(&self, client: &str, address: Option<&str>) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let done = match address {
            Some(a) => {
                sqlx::query("DELETE FROM login_locks WHERE client_id = $1 AND address = $2")
                    .bind(client)
                    .bind(a)
                    .execute(&mut **tx)
                    .await?
            }
            None => {
                sqlx::query("DELETE FROM login_locks WHERE client_id = $1")
                    .bind(client)
                    .execute(&mut **tx)
                    .await?
            }
        }
        .rows_affected();
        tx.commit().await?;
        Ok(done)
    }
}

impl SqlStore {
    /// Runs a change of API access (its statements in one transaction) and moves the access
    /// epoch with it: in the same transaction on PostgreSQL, through the shared file once
    /// committed on SQLite. Returns the rows the first statement changed.
    async fn change_access(&self, statements: &[(&'static str, &[Value])]) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let mut changed = None;
        for (sql, binds) in statements {
            let rows = bind_values(sqlx::query(*sql), binds)
                .execute(&mut **tx)
                .await?
                .rows_affected();
            changed.get_or_insert(rows);
        }
        let mut epoch = None;
        if self.signals.in_database() {
            let moved: i64 = sqlx::query("UPDATE access_epoch SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch")
                .fetch_one(&mut **tx)
                .await?
                .try_get("epoch")?;
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(super::access_lease::ACCESS)
                .bind(moved.to_string())
                .execute(&mut **tx)
                .await?;
            epoch = Some(moved);
        }
        tx.commit().await?;
        match epoch {
            Some(epoch) => {
                // Every process serving tokens from memory (this one too) has dropped them first.
                self.signals.advance(epoch);
                self.wait_for_holders(epoch).await?;
            }
            None => self.signals.changed(),
        }
        Ok(changed.unwrap_or(0))
    }
}
