//! The e-mail outbox: jobs queued with the change that calls for them, leased by the mail worker.

use super::*;

pub(super) fn plan_queue(plan: &mut Plan, m: &MailJob) {
    plan.add(
        "INSERT INTO mail_outbox (id, client_id, psc_id, session_id, kind, due_at, state, attempts, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7)",
        vec![
            (&m.id).into(),
            m.client.as_str().into(),
            m.psc.as_str().into(),
            m.session.as_str().into(),
            m.kind.as_str().into(),
            m.due_at.into(),
            m.created_at.into(),
        ],
    );
}

fn job_from_row(r: &AnyRow) -> StoreResult<MailJob> {
    let kind: String = r.try_get("kind")?;
    Ok(MailJob {
        id: r.try_get("id")?,
        client: ClientId::from_raw(r.try_get::<String, _>("client_id")?),
        psc: PscId::from_raw(r.try_get::<String, _>("psc_id")?),
        session: SessionId::from_raw(r.try_get::<String, _>("session_id")?),
        kind: MailKind::parse(&kind).ok_or_else(|| corrupt("mail kind", &kind))?,
        due_at: r.try_get("due_at")?,
        attempts: r.try_get("attempts")?,
        created_at: r.try_get("created_at")?,
    })
}

#[async_trait]
impl MailStore for SqlStore {
    async fn claim_mails(&self, now: UnixTime, lease_until: UnixTime, limit: u32) -> StoreResult<Vec<MailJob>> {
        let lock = match self.dialect {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let sql = format!(
            "UPDATE mail_outbox SET locked_until = $1, attempts = attempts + 1 WHERE id IN (\
             SELECT id FROM mail_outbox WHERE state = 'pending' AND due_at <= $2 AND locked_until < $2 \
             ORDER BY due_at LIMIT $3{lock}) \
             RETURNING id, client_id, psc_id, session_id, kind, due_at, attempts, created_at"
        );
        let mut tx = self.begin_write().await?;
        let jobs = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(lease_until)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(job_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        tx.commit().await?;
        Ok(jobs)
    }

    async fn finish_mail(&self, id: &str, outcome: MailOutcome<'_>) -> StoreResult<()> {
        let (state, error, due, sent) = match outcome {
            MailOutcome::Sent { at } => ("sent", None, None, Some(at)),
            MailOutcome::Skipped { why } => ("skipped", Some(why), None, None),
            MailOutcome::Retry { error, at } => ("pending", Some(error), Some(at), None),
            MailOutcome::Failed { error } => ("failed", Some(error), None, None),
        };
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE mail_outbox SET state = $1, last_error = $2, due_at = COALESCE($3, due_at), sent_at = $4, \
             locked_until = 0 WHERE id = $5",
        )
        .bind(state)
        .bind(error)
        .bind(due)
        .bind(sent)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        tx.commit().await
    }

    async fn mails_of_psc(&self, client: &ClientId, psc: &PscId) -> StoreResult<Vec<MailRecord>> {
        sqlx::query("SELECT * FROM mail_outbox WHERE client_id = $1 AND psc_id = $2 ORDER BY created_at, due_at, id")
            .bind(client.as_str())
            .bind(psc.as_str())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(MailRecord {
                    job: job_from_row(r)?,
                    state: r.try_get("state")?,
                    last_error: r.try_get("last_error")?,
                    sent_at: r.try_get("sent_at")?,
                })
            })
            .collect()
    }
}
