//! The back office: staff, their sign-ins and sessions, review claims and queue, the audit log, redaction and retention.

use super::*;

#[async_trait]
impl BackOfficeStore for SqlStore {
    async fn insert_staff(&self, staff: &StaffRecord) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO staff (id, username, display_name, role, password_hash, totp_secret, failed_logins, locked_until, disabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&staff.id)
        .bind(&staff.username)
        .bind(&staff.display_name)
        .bind(&staff.role)
        .bind(&staff.password_hash)
        .bind(staff.totp_secret.as_ref().map(|t| self.sealer.seal_text(t, &format!("totp:{}", staff.id))))
        .bind(staff.failed_logins)
        .bind(staff.locked_until)
        .bind(staff.disabled as i64)
        .bind(staff.created_at)
        .execute(&mut **tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => return Err(StoreError::Conflict(Conflict::Username)),
            other => other?,
        };
        tx.commit().await
    }

    async fn staff_by_username(&self, username: &str) -> StoreResult<Option<StaffRecord>> {
        sqlx::query("SELECT * FROM staff WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(|r| self.staff_from_row(r))
            .transpose()
    }

    async fn staff_list(&self) -> StoreResult<Vec<StaffRecord>> {
        sqlx::query("SELECT * FROM staff ORDER BY username")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| self.staff_from_row(r))
            .collect()
    }

    async fn update_staff(&self, staff: &StaffRecord) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE staff SET display_name = $1, role = $2, password_hash = $3, totp_secret = $4, failed_logins = $5, \
             locked_until = $6, disabled = $7 WHERE id = $8",
        )
        .bind(&staff.display_name)
        .bind(&staff.role)
        .bind(&staff.password_hash)
        .bind(
            staff
                .totp_secret
                .as_ref()
                .map(|t| self.sealer.seal_text(t, &format!("totp:{}", staff.id))),
        )
        .bind(staff.failed_logins)
        .bind(staff.locked_until)
        .bind(staff.disabled as i64)
        .bind(&staff.id)
        .execute(&mut **tx)
        .await?;
        tx.commit().await
    }

    async fn reserve_staff_login(
        &self,
        staff_id: &str,
        now: UnixTime,
        max_failures: i64,
        lock_until: UnixTime,
    ) -> StoreResult<Option<UnixTime>> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE staff SET \
             locked_until = CASE WHEN failed_logins + 1 >= $1 THEN $2 ELSE locked_until END, \
             failed_logins = CASE WHEN failed_logins + 1 >= $1 THEN 0 ELSE failed_logins + 1 END \
             WHERE id = $3 AND locked_until <= $4 RETURNING locked_until",
        )
        .bind(max_failures)
        .bind(lock_until)
        .bind(staff_id)
        .bind(now)
        .fetch_optional(&mut **tx)
        .await?;
        tx.commit().await?;
        row.map(|r| r.try_get::<i64, _>("locked_until"))
            .transpose()
            .map_err(Into::into)
    }

    async fn staff_login_succeeded(&self, staff_id: &str) -> StoreResult<()> {
        sqlx::query("UPDATE staff SET failed_logins = 0, locked_until = 0 WHERE id = $1")
            .bind(staff_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn insert_staff_session(&self, session: &StaffSession) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO staff_sessions (token_hash, staff_id, csrf, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&session.token_hash)
        .bind(&session.staff_id)
        .bind(&session.csrf)
        .bind(session.created_at)
        .bind(session.last_seen_at)
        .execute(&mut **tx)
        .await?;
        tx.commit().await
    }

    async fn staff_session(&self, token_hash: &str) -> StoreResult<Option<(StaffSession, StaffRecord)>> {
        let Some(row) = sqlx::query("SELECT * FROM staff_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let session = StaffSession {
            token_hash: row.try_get("token_hash")?,
            staff_id: row.try_get("staff_id")?,
            csrf: row.try_get("csrf")?,
            created_at: row.try_get("created_at")?,
            last_seen_at: row.try_get("last_seen_at")?,
        };
        let staff = sqlx::query("SELECT * FROM staff WHERE id = $1")
            .bind(&session.staff_id)
            .fetch_optional(&self.pool)
            .await?;
        match staff {
            Some(r) => Ok(Some((session, self.staff_from_row(&r)?))),
            None => Ok(None),
        }
    }

    async fn touch_staff_session(&self, token_hash: &str, now: UnixTime) -> StoreResult<()> {
        self.write_one(
            "UPDATE staff_sessions SET last_seen_at = $1 WHERE token_hash = $2",
            &[Value::from(now), Value::from(token_hash)],
        )
        .await
    }

    async fn delete_staff_session(&self, token_hash: &str) -> StoreResult<()> {
        self.write_one(
            "DELETE FROM staff_sessions WHERE token_hash = $1",
            &[Value::from(token_hash)],
        )
        .await
    }

    async fn delete_staff_sessions_of(&self, staff_id: &str) -> StoreResult<()> {
        self.write_one(
            "DELETE FROM staff_sessions WHERE staff_id = $1",
            &[Value::from(staff_id)],
        )
        .await
    }

    async fn claim_review(
        &self,
        session: &SessionId,
        staff_id: &str,
        now: UnixTime,
        until: UnixTime,
    ) -> StoreResult<String> {
        let mut tx = self.begin_write().await?;
        // Take the claim when it is free, expired or already ours (an assignment's longer
        // term is kept); then read who holds it.
        sqlx::query(
            "INSERT INTO review_claims (session_id, staff_id, claimed_at, expires_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (session_id) DO UPDATE SET claimed_at = excluded.claimed_at, \
             expires_at = CASE WHEN review_claims.staff_id = excluded.staff_id AND review_claims.expires_at > excluded.expires_at \
                          THEN review_claims.expires_at ELSE excluded.expires_at END, \
             assigned_by = CASE WHEN review_claims.staff_id = excluded.staff_id THEN review_claims.assigned_by ELSE NULL END, \
             staff_id = excluded.staff_id \
             WHERE review_claims.expires_at <= $3 OR review_claims.staff_id = excluded.staff_id",
        )
        .bind(session.as_str())
        .bind(staff_id)
        .bind(now)
        .bind(until)
        .execute(&mut **tx)
        .await?;
        let holder: String = sqlx::query("SELECT staff_id FROM review_claims WHERE session_id = $1")
            .bind(session.as_str())
            .fetch_one(&mut **tx)
            .await?
            .try_get("staff_id")?;
        tx.commit().await?;
        Ok(holder)
    }

    async fn redact_session_files(&self, session: &SessionId, data: bool, now: UnixTime) -> StoreResult<Vec<String>> {
        let mut tx = self.begin_write().await?;
        let ids: Vec<String> = sqlx::query("SELECT id FROM blobs WHERE session_id = $1")
            .bind(session.as_str())
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("id"))
            .collect::<Result<_, _>>()?;
        sqlx::query("DELETE FROM blobs WHERE session_id = $1")
            .bind(session.as_str())
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM document_fingerprints WHERE session_id = $1")
            .bind(session.as_str())
            .execute(&mut **tx)
            .await?;
        sqlx::query("UPDATE idv_sessions SET files_redacted_at = COALESCE(files_redacted_at, $1) WHERE id = $2")
            .bind(now)
            .bind(session.as_str())
            .execute(&mut **tx)
            .await?;
        if data {
            sqlx::query("UPDATE idv_sessions SET data_redacted_at = COALESCE(data_redacted_at, $1) WHERE id = $2")
                .bind(now)
                .bind(session.as_str())
                .execute(&mut **tx)
                .await?;
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn sessions_past_retention(
        &self,
        now: UnixTime,
        limit: u32,
    ) -> StoreResult<Vec<(ClientId, SessionId, bool)>> {
        // Per client with a policy, oldest decision first, each period through its own partial
        // index (sessions not yet redacted), so the scan reads the due sessions and stops: it
        // stays as fast with a million sessions as with a hundred.
        let policies = sqlx::query(
            "SELECT client_id, retention_files_days, retention_data_days FROM client_policies \
             WHERE retention_files_days IS NOT NULL OR retention_data_days IS NOT NULL ORDER BY client_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut due: Vec<(ClientId, SessionId, bool)> = Vec::new();
        for p in &policies {
            let client: String = p.try_get("client_id")?;
            // Data first: redacting the data takes the files too.
            for (days, column, data) in [
                (
                    p.try_get::<Option<i64>, _>("retention_data_days")?,
                    "data_redacted_at",
                    true,
                ),
                (
                    p.try_get::<Option<i64>, _>("retention_files_days")?,
                    "files_redacted_at",
                    false,
                ),
            ] {
                let Some(days) = days else { continue };
                let room = (limit as usize).saturating_sub(due.len());
                if room == 0 {
                    return Ok(due);
                }
                // Only the column's name is interpolated, from the two above.
                let sql = format!(
                    "SELECT id FROM idv_sessions WHERE client_id = $1 AND {column} IS NULL \
                     AND COALESCE(updated_at, created_at) <= $2 AND status <> 'PENDING' AND status <> 'REVIEW' \
                     ORDER BY COALESCE(updated_at, created_at) LIMIT $3"
                );
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(&client)
                    .bind(now - days * 86_400)
                    .bind(room as i64)
                    .fetch_all(&self.pool)
                    .await?;
                for r in rows {
                    let id = SessionId::from_raw(r.try_get::<String, _>("id")?);
                    if !due.iter().any(|(_, s, _)| *s == id) {
                        due.push((ClientId::from_raw(client.clone()), id, data));
                    }
                }
            }
        }
        Ok(due)
    }

    async fn append_audit(&self, e: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO audit_log (id, at, staff_id, username, action, client_id, target, detail, address) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&e.id)
        .bind(e.at)
        .bind(&e.staff_id)
        .bind(&e.username)
        .bind(&e.action)
        .bind(&e.client_id)
        .bind(&e.target)
        .bind(&e.detail)
        .bind(&e.address)
        .execute(&mut **tx)
        .await?;
        tx.commit().await
    }

    async fn audit_entries(&self, text: Option<&str>, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        let rows = match text.filter(|t| !t.is_empty()) {
            Some(t) => {
                // The text is matched literally: LIKE's wildcards in it are escaped.
                let literal = t.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
                let like = format!("%{literal}%");
                sqlx::query(
                    "SELECT * FROM audit_log WHERE action LIKE $1 ESCAPE '\\' OR username LIKE $1 ESCAPE '\\' \
                     OR client_id LIKE $1 ESCAPE '\\' OR target LIKE $1 ESCAPE '\\' ORDER BY at DESC, id DESC LIMIT $2",
                )
                .bind(like)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query("SELECT * FROM audit_log ORDER BY at DESC, id DESC LIMIT $1")
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(audit_from_row).collect()
    }
}

pub(super) fn audit_from_row(r: &AnyRow) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        staff_id: r.try_get("staff_id")?,
        username: r.try_get("username")?,
        action: r.try_get("action")?,
        client_id: r.try_get("client_id")?,
        target: r.try_get("target")?,
        detail: r.try_get("detail")?,
        address: r.try_get("address")?,
    })
}
