//! Users and IDV sessions, the changeset commit that writes them with their events and outbox rows, and idempotent responses.

use super::*;
use super::{kyc, mail, pscs, ubo, workspace};
use verity_domain::search::review_codes;

#[async_trait]
impl SessionStore for SqlStore {
    async fn commit(&self, c: &Changeset) -> StoreResult<()> {
        match &self.group {
            Some(group) => group.commit(c).await,
            None => {
                let mut tx = self.begin_write().await?;
                self.apply_changeset(&mut tx, c).await?;
                tx.commit().await
            }
        }
    }

    async fn user(&self, client: &ClientId, id: &UserId) -> StoreResult<Option<User>> {
        sqlx::query("SELECT id, data, version FROM users WHERE client_id = $1 AND id = $2")
            .bind(client.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(|r| user_from_row(&self.sealer, r))
            .transpose()
    }

    async fn user_by_sca_token(&self, token: &str) -> StoreResult<Option<User>> {
        sqlx::query("SELECT id, data, version FROM users WHERE sca_token = $1")
            .bind(token)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(|r| user_from_row(&self.sealer, r))
            .transpose()
    }

    async fn users(&self, client: &ClientId, page: PageRequest) -> StoreResult<Page<User>> {
        self.page_of(
            "users WHERE client_id = $1",
            &[Bind::Text(client.as_str())],
            "id, data, version",
            "created_at",
            page,
            |r| user_from_row(&self.sealer, r),
        )
        .await
    }

    async fn session(&self, client: &ClientId, id: &SessionId) -> StoreResult<Option<IdvSession>> {
        sqlx::query("SELECT * FROM idv_sessions WHERE client_id = $1 AND id = $2")
            .bind(client.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(|r| session_from_row(&self.sealer, r))
            .transpose()
    }

    async fn session_by_token(&self, token: &str) -> StoreResult<Option<IdvSession>> {
        sqlx::query("SELECT * FROM idv_sessions WHERE hosted_token = $1")
            .bind(token)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(|r| session_from_row(&self.sealer, r))
            .transpose()
    }

    async fn sessions_of_user(
        &self,
        client: &ClientId,
        user: &UserId,
        page: PageRequest,
    ) -> StoreResult<Page<IdvSession>> {
        self.page_of(
            // A PSC's own sessions are reached through the PSC, not listed as the user's.
            "idv_sessions WHERE client_id = $1 AND user_id = $2 AND flow <> 'PSC'",
            &[Bind::Text(client.as_str()), Bind::Text(user.as_str())],
            "*",
            "created_at",
            page,
            |r| session_from_row(&self.sealer, r),
        )
        .await
    }

    async fn stored_response(&self, client: &ClientId, key: &str) -> StoreResult<Option<StoredResponse>> {
        sqlx::query("SELECT * FROM idempotency_keys WHERE client_id = $1 AND idem_key = $2")
            .bind(client.as_str())
            .bind(key)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(|r| response_from_row(&self.sealer, r))
            .transpose()
    }

    async fn insert_stored_response(&self, client: &ClientId, response: &StoredResponse) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        insert_response(&self.sealer, &mut tx, client, response).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn purge_stored_responses(&self, created_before: UnixTime) -> StoreResult<u64> {
        Ok(sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(created_before)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    async fn validated_sessions(&self, client: &ClientId, user: &UserId) -> StoreResult<Vec<IdvSession>> {
        sqlx::query("SELECT * FROM idv_sessions WHERE client_id = $1 AND user_id = $2 AND status = 'VALIDATED' ORDER BY created_at, id")
            .bind(client.as_str())
            .bind(user.as_str())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| session_from_row(&self.sealer, r))
            .collect()
    }

    async fn due_sessions(&self, now: UnixTime, limit: u32) -> StoreResult<Vec<(ClientId, SessionId)>> {
        let rows = sqlx::query(
            "SELECT client_id, id FROM idv_sessions WHERE status = 'PENDING' AND (expires_at <= $1 OR scripted_at <= $1) \
             ORDER BY created_at LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    ClientId::from_raw(r.try_get::<String, _>("client_id")?),
                    SessionId::from_raw(r.try_get::<String, _>("id")?),
                ))
            })
            .collect()
    }
}

impl SqlStore {
    /// Writes everything of one changeset inside `tx` (the caller commits).
    pub(crate) async fn apply_changeset(&self, tx: &mut WriteTx, c: &Changeset) -> StoreResult<()> {
        if let Some(r) = &c.response {
            insert_response(&self.sealer, tx, &c.client, r).await?;
        }
        for w in &c.users {
            match w {
                Write::Insert(u) => {
                    sqlx::query(
                        "INSERT INTO users (id, client_id, person_type, category, status, kyc_level, created_at, sca_token, data, version) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0)",
                    )
                    .bind(u.id.as_str())
                    .bind(u.client_id.as_str())
                    .bind(person_type_column(u))
                    .bind(u.category.as_str())
                    .bind(u.status.as_str())
                    .bind(u.kyc_level.as_str())
                    .bind(u.created_at)
                    .bind(u.pending_sca_token.as_deref())
                    .bind(user_json(&self.sealer, u)?)
                    .execute(&mut ***tx)
                    .await?;
                    workspace::index_user(&self.sealer, tx, u).await?;
                }
                Write::Update(u) => {
                    expect_one(
                    sqlx::query(
                        "UPDATE users SET category = $1, status = $2, kyc_level = $3, sca_token = $4, data = $5, version = version + 1 \
                         WHERE id = $6 AND client_id = $7 AND version = $8",
                    )
                    .bind(u.category.as_str())
                    .bind(u.status.as_str())
                    .bind(u.kyc_level.as_str())
                    .bind(u.pending_sca_token.as_deref())
                    .bind(user_json(&self.sealer, u)?)
                    .bind(u.id.as_str())
                    .bind(u.client_id.as_str())
                    .bind(u.version)
                    .execute(&mut ***tx)
                    .await?,
                    )?;
                    workspace::index_user(&self.sealer, tx, u).await?;
                }
            }
        }
        for w in &c.sessions {
            match w {
                Write::Insert(s) => {
                    let (scripted, scripted_at) = scripted_columns(s.scripted.as_ref())?;
                    let (flow, psc_id) = s.flow.to_columns();
                    sqlx::query(
                        "INSERT INTO idv_sessions (id, client_id, user_id, status, hosted_token, return_url, tag, created_at, updated_at, checks, \
                         expires_at, scripted_outcome, scripted_at, flow, psc_id, language, review_codes, version) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 0)",
                    )
                    .bind(s.id.as_str())
                    .bind(s.client_id.as_str())
                    .bind(s.user_id.as_str())
                    .bind(s.status.as_str())
                    .bind(&s.hosted_token)
                    .bind(&s.return_url)
                    .bind(s.tag.as_deref())
                    .bind(s.created_at)
                    .bind(s.updated_at)
                    .bind(session_checks_json(&self.sealer, s)?)
                    .bind(s.expires_at)
                    .bind(scripted)
                    .bind(scripted_at)
                    .bind(flow)
                    .bind(psc_id)
                    .bind(s.language.map(|l| l.as_str()))
                    .bind(review_codes(s))
                    .execute(&mut ***tx)
                    .await?;
                }
                Write::Update(s) => {
                    let (scripted, scripted_at) = scripted_columns(s.scripted.as_ref())?;
                    expect_one(
                        sqlx::query(
                            "UPDATE idv_sessions SET status = $1, updated_at = $2, checks = $3, scripted_outcome = $4, scripted_at = $5, \
                             expires_at = $9, review_codes = $10, version = version + 1 WHERE id = $6 AND client_id = $7 AND version = $8",
                        )
                        .bind(s.status.as_str())
                        .bind(s.updated_at)
                        .bind(session_checks_json(&self.sealer, s)?)
                        .bind(scripted)
                        .bind(scripted_at)
                        .bind(s.id.as_str())
                        .bind(s.client_id.as_str())
                        .bind(s.version)
                        .bind(s.expires_at)
                        .bind(review_codes(s))
                        .execute(&mut ***tx)
                        .await?,
                    )?;
                }
            }
        }
        for w in &c.pscs {
            pscs::write(&self.sealer, tx, w).await?;
        }
        for m in &c.mails {
            mail::queue(tx, m).await?;
        }
        for w in &c.kyc_documents {
            kyc::write(&self.sealer, tx, w).await?;
        }
        for w in &c.ubo_declarations {
            ubo::write(&self.sealer, tx, w).await?;
        }
        for e in &c.events {
            sqlx::query(
                "INSERT INTO events (id, client_id, event_type, resource_id, date) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&e.id)
            .bind(e.client_id.as_str())
            .bind(e.event_type)
            .bind(&e.resource_id)
            .bind(e.date)
            .execute(&mut ***tx)
            .await?;
            // The outbox row, in the same transaction as its event: at most one hook per type.
            // An INVALID hook gets its rows too: they wait for re-validation, never dropped.
            let delivery_id = format!("whdlv_{}", e.id.trim_start_matches("evt_"));
            sqlx::query(
                "INSERT INTO webhook_deliveries (id, client_id, event_id, hook_id, state, attempts, next_attempt_ms, created_at) \
                 SELECT $1, client_id, $2, id, 'pending', 0, $3, $6 FROM hooks \
                 WHERE client_id = $4 AND status = 'ENABLED' AND (event_type = $5 \
                 OR (event_type = 'IDENTITY_VERIFICATION_PSC_FAILED' AND $5 = 'IDENTITY_VERIFICATION_PSC_REJECTED'))",
            )
            .bind(delivery_id)
            .bind(&e.id)
            .bind(e.date * 1000)
            .bind(e.client_id.as_str())
            .bind(e.event_type)
            .bind(e.date)
            .execute(&mut ***tx)
            .await?;
        }
        Ok(())
    }
}
