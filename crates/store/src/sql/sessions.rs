//! Users and IDV sessions, the changeset commit that writes them with their events and outbox rows, and idempotent responses.

use super::*;
use super::{kyc, mail, pscs, ubo, workspace};
use verity_domain::search::review_codes;

#[async_trait]
impl SessionStore for SqlStore {
    async fn commit(&self, c: &Changeset) -> StoreResult<()> {
        let plan = self.plan_changeset(c)?;
        match &self.group {
            Some(group) => group.commit(c, plan).await,
            None => {
                let mut tx = self.begin_write().await?;
                let queued = plan.run(&mut tx).await?;
                if queued {
                    self.announce_deliveries(&mut tx).await?;
                }
                tx.commit().await?;
                if queued {
                    self.signals.outbox.notify_one();
                }
                Ok(())
            }
        }
    }

    async fn user(&self, client: &ClientId, id: &UserId) -> StoreResult<Option<User>> {
        self.fetch_optional(
            "SELECT id, data, version FROM users WHERE client_id = $1 AND id = $2",
            &[client.as_str().into(), id.as_str().into()],
            |r| user_from_row(&self.sealer, r),
        )
        .await
    }

    async fn user_by_sca_token(&self, token: &str) -> StoreResult<Option<User>> {
        self.fetch_optional(
            "SELECT id, data, version FROM users WHERE sca_token = $1",
            &[token.into()],
            |r| user_from_row(&self.sealer, r),
        )
        .await
    }

    async fn users(&self, client: &ClientId, page: PageRequest) -> StoreResult<Page<User>> {
        self.page_of(
            "users WHERE client_id = $1",
            &[Value::from(client.as_str())],
            "id, data, version",
            "created_at",
            page,
            |r| user_from_row(&self.sealer, r),
        )
        .await
    }

    async fn session(&self, client: &ClientId, id: &SessionId) -> StoreResult<Option<IdvSession>> {
        self.fetch_optional(
            "SELECT * FROM idv_sessions WHERE client_id = $1 AND id = $2",
            &[client.as_str().into(), id.as_str().into()],
            |r| session_from_row(&self.sealer, r),
        )
        .await
    }

    async fn session_by_token(&self, token: &str) -> StoreResult<Option<IdvSession>> {
        self.fetch_optional(
            "SELECT * FROM idv_sessions WHERE hosted_token = $1",
            &[token.into()],
            |r| session_from_row(&self.sealer, r),
        )
        .await
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
            &[Value::from(client.as_str()), Value::from(user.as_str())],
            "*",
            "created_at",
            page,
            |r| session_from_row(&self.sealer, r),
        )
        .await
    }

    async fn stored_response(&self, client: &ClientId, key: &str) -> StoreResult<Option<StoredResponse>> {
        self.fetch_optional(
            "SELECT * FROM idempotency_keys WHERE client_id = $1 AND idem_key = $2",
            &[client.as_str().into(), key.into()],
            |r| response_from_row(&self.sealer, r),
        )
        .await
    }

    async fn insert_stored_response(&self, client: &ClientId, response: &StoredResponse) -> StoreResult<()> {
        let mut plan = Plan::default();
        plan_response(&self.sealer, &mut plan, client, response);
        let mut tx = self.begin_write().await?;
        plan.run(&mut tx).await?;
        tx.commit().await
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
    /// Everything one changeset writes, as a plan: its stored response, users (with their
    /// search terms), sessions, PSCs, mails, KYC documents, UBO declarations, and each event
    /// with its outbox rows (so an event and its webhooks commit together or not at all).
    pub(crate) fn plan_changeset(&self, c: &Changeset) -> StoreResult<Plan> {
        let mut plan = Plan::default();
        if let Some(r) = &c.response {
            plan_response(&self.sealer, &mut plan, &c.client, r);
        }
        for w in &c.users {
            match w {
                Write::Insert(u) => {
                    plan.add(
                        "INSERT INTO users (id, client_id, person_type, category, status, kyc_level, created_at, sca_token, data, version) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0)",
                        vec![
                            u.id.as_str().into(),
                            u.client_id.as_str().into(),
                            person_type_column(u).into(),
                            u.category.as_str().into(),
                            u.status.as_str().into(),
                            u.kyc_level.as_str().into(),
                            u.created_at.into(),
                            u.pending_sca_token.as_deref().into(),
                            user_json(&self.sealer, u)?.into(),
                        ],
                    );
                    workspace::plan_user_index(&self.sealer, &mut plan, u);
                }
                Write::Update(u) => {
                    plan.add_versioned(
                        "UPDATE users SET category = $1, status = $2, kyc_level = $3, sca_token = $4, data = $5, version = version + 1 \
                         WHERE id = $6 AND client_id = $7 AND version = $8",
                        vec![
                            u.category.as_str().into(),
                            u.status.as_str().into(),
                            u.kyc_level.as_str().into(),
                            u.pending_sca_token.as_deref().into(),
                            user_json(&self.sealer, u)?.into(),
                            u.id.as_str().into(),
                            u.client_id.as_str().into(),
                            u.version.into(),
                        ],
                    );
                    workspace::plan_user_index(&self.sealer, &mut plan, u);
                }
            }
        }
        for w in &c.sessions {
            match w {
                Write::Insert(s) => {
                    let (scripted, scripted_at) = scripted_columns(s.scripted.as_ref())?;
                    let (flow, psc_id) = s.flow.to_columns();
                    plan.add(
                        "INSERT INTO idv_sessions (id, client_id, user_id, status, hosted_token, return_url, tag, created_at, updated_at, checks, \
                         expires_at, scripted_outcome, scripted_at, flow, psc_id, language, review_codes, version) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 0)",
                        vec![
                            s.id.as_str().into(),
                            s.client_id.as_str().into(),
                            s.user_id.as_str().into(),
                            s.status.as_str().into(),
                            (&s.hosted_token).into(),
                            (&s.return_url).into(),
                            s.tag.as_deref().into(),
                            s.created_at.into(),
                            s.updated_at.into(),
                            session_checks_json(&self.sealer, s)?.into(),
                            s.expires_at.into(),
                            scripted.into(),
                            scripted_at.into(),
                            flow.into(),
                            psc_id.into(),
                            s.language.map(|l| l.as_str()).into(),
                            review_codes(s).into(),
                        ],
                    );
                }
                Write::Update(s) => {
                    let (scripted, scripted_at) = scripted_columns(s.scripted.as_ref())?;
                    plan.add_versioned(
                        "UPDATE idv_sessions SET status = $1, updated_at = $2, checks = $3, scripted_outcome = $4, scripted_at = $5, \
                         expires_at = $9, review_codes = $10, version = version + 1 WHERE id = $6 AND client_id = $7 AND version = $8",
                        vec![
                            s.status.as_str().into(),
                            s.updated_at.into(),
                            session_checks_json(&self.sealer, s)?.into(),
                            scripted.into(),
                            scripted_at.into(),
                            s.id.as_str().into(),
                            s.client_id.as_str().into(),
                            s.version.into(),
                            s.expires_at.into(),
                            review_codes(s).into(),
                        ],
                    );
                }
            }
        }
        for w in &c.pscs {
            pscs::plan_write(&self.sealer, &mut plan, w)?;
        }
        for m in &c.mails {
            mail::plan_queue(&mut plan, m);
        }
        for w in &c.kyc_documents {
            kyc::plan_write(&self.sealer, &mut plan, w)?;
        }
        for w in &c.ubo_declarations {
            ubo::plan_write(&self.sealer, &mut plan, w)?;
        }
        for e in &c.events {
            plan.add(
                "INSERT INTO events (id, client_id, event_type, resource_id, date) VALUES ($1, $2, $3, $4, $5)",
                vec![
                    (&e.id).into(),
                    e.client_id.as_str().into(),
                    e.event_type.into(),
                    (&e.resource_id).into(),
                    e.date.into(),
                ],
            );
            // The outbox row, in the same transaction as its event: at most one hook per type.
            // An INVALID hook gets its rows too: they wait for re-validation, never dropped.
            let delivery_id = format!("whdlv_{}", e.id.trim_start_matches("evt_"));
            plan.add_delivery(
                "INSERT INTO webhook_deliveries (id, client_id, event_id, hook_id, state, attempts, next_attempt_ms, created_at) \
                 SELECT $1, client_id, $2, id, 'pending', 0, $3, $6 FROM hooks \
                 WHERE client_id = $4 AND status = 'ENABLED' AND (event_type = $5 \
                 OR (event_type = 'IDENTITY_VERIFICATION_PSC_FAILED' AND $5 = 'IDENTITY_VERIFICATION_PSC_REJECTED'))",
                vec![
                    delivery_id.into(),
                    (&e.id).into(),
                    (e.date * 1000).into(),
                    e.client_id.as_str().into(),
                    e.event_type.into(),
                    e.date.into(),
                ],
            );
        }
        Ok(plan)
    }
}
