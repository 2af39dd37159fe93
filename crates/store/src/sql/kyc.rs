//! KYC Documents: rows (the decision's text and the pages' references sealed), lists and the
//! sandbox's due outcomes.

use serde::{Deserialize, Serialize};
use verity_domain::hosted::FileRef;
use verity_domain::kyc::KycOutcome;

use super::*;

/// What is sealed in `kyc_documents.data`.
#[derive(Serialize, Deserialize)]
struct Sealed {
    tag: Option<String>,
    refused_reason_type: Option<String>,
    refused_reason_message: Option<String>,
    flags: Vec<String>,
    pages: Vec<FileRef>,
}

fn aad(id: &str) -> String {
    format!("kyc_documents:{id}")
}

fn seal(sealer: &Sealer, d: &KycDocument) -> StoreResult<String> {
    seal_json(
        sealer,
        &Sealed {
            tag: d.tag.clone(),
            refused_reason_type: d.refused_reason_type.clone(),
            refused_reason_message: d.refused_reason_message.clone(),
            flags: d.flags.clone(),
            pages: d.pages.clone(),
        },
        &aad(&d.id),
    )
}

fn from_row(sealer: &Sealer, row: &AnyRow) -> StoreResult<KycDocument> {
    let id: String = row.try_get("id")?;
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    let sealed: Sealed = open_json(sealer, &row.try_get::<String, _>("data")?, &aad(&id))?;
    Ok(KycDocument {
        client_id: ClientId::from_raw(row.try_get::<String, _>("client_id")?),
        user_id: UserId::from_raw(row.try_get::<String, _>("user_id")?),
        kind: KycType::parse(&kind).ok_or_else(|| corrupt("kyc type", &kind))?,
        status: KycStatus::parse(&status).ok_or_else(|| corrupt("kyc status", &status))?,
        tag: sealed.tag,
        created_at: row.try_get("created_at")?,
        processed_at: row.try_get("processed_at")?,
        refused_reason_type: sealed.refused_reason_type,
        refused_reason_message: sealed.refused_reason_message,
        flags: sealed.flags,
        pages: sealed.pages,
        scripted: scripted_from_row::<KycOutcome>(row)?,
        version: row.try_get("version")?,
        id,
    })
}

/// One document write inside a changeset's transaction; an update checks the version it read.
pub(super) fn plan_write(sealer: &Sealer, plan: &mut Plan, w: &Write<KycDocument>) -> StoreResult<()> {
    match w {
        Write::Insert(d) => {
            let (outcome, at) = scripted_columns(d.scripted.as_ref())?;
            plan.add(
                "INSERT INTO kyc_documents (id, client_id, user_id, kind, status, created_at, processed_at, data, \
                 scripted_outcome, scripted_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0)",
                vec![
                    (&d.id).into(),
                    d.client_id.as_str().into(),
                    d.user_id.as_str().into(),
                    d.kind.as_str().into(),
                    d.status.as_str().into(),
                    d.created_at.into(),
                    d.processed_at.into(),
                    seal(sealer, d)?.into(),
                    outcome.into(),
                    at.into(),
                ],
            );
        }
        Write::Update(d) => {
            let (outcome, at) = scripted_columns(d.scripted.as_ref())?;
            plan.add_versioned(
                "UPDATE kyc_documents SET status = $1, processed_at = $2, data = $3, scripted_outcome = $4, \
                 scripted_at = $5, version = version + 1 WHERE id = $6 AND client_id = $7 AND version = $8",
                vec![
                    d.status.as_str().into(),
                    d.processed_at.into(),
                    seal(sealer, d)?.into(),
                    outcome.into(),
                    at.into(),
                    (&d.id).into(),
                    d.client_id.as_str().into(),
                    d.version.into(),
                ],
            );
        }
    }
    Ok(())
}

#[async_trait]
impl KycStore for SqlStore {
    async fn kyc_document(&self, client: &ClientId, id: &str) -> StoreResult<Option<KycDocument>> {
        sqlx::query("SELECT * FROM kyc_documents WHERE client_id = $1 AND id = $2")
            .bind(client.as_str())
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(|r| from_row(&self.sealer, r))
            .transpose()
    }

    async fn kyc_documents(
        &self,
        client: &ClientId,
        f: &KycFilter,
        page: PageRequest,
    ) -> StoreResult<Page<KycDocument>> {
        let mut conditions = vec!["client_id = $1".to_owned()];
        let mut binds: Vec<Value> = vec![Value::from(client.as_str())];
        if let Some(u) = &f.user {
            binds.push(Value::from(u.as_str()));
            conditions.push(format!("user_id = ${}", binds.len()));
        }
        if let Some(s) = f.status {
            binds.push(Value::from(s.as_str()));
            conditions.push(format!("status = ${}", binds.len()));
        }
        if let Some(k) = f.kind {
            binds.push(Value::from(k.as_str()));
            conditions.push(format!("kind = ${}", binds.len()));
        }
        if let Some(a) = f.after {
            binds.push(Value::from(a));
            conditions.push(format!("created_at >= ${}", binds.len()));
        }
        if let Some(b) = f.before {
            binds.push(Value::from(b));
            conditions.push(format!("created_at <= ${}", binds.len()));
        }
        self.page_of(
            &format!("kyc_documents WHERE {}", conditions.join(" AND ")),
            &binds,
            "*",
            "created_at",
            page,
            |r| from_row(&self.sealer, r),
        )
        .await
    }

    async fn due_kyc_documents(&self, now: UnixTime, limit: u32) -> StoreResult<Vec<(ClientId, String)>> {
        let rows = sqlx::query(
            "SELECT client_id, id FROM kyc_documents WHERE status = 'VALIDATION_ASKED' AND scripted_at <= $1 \
             ORDER BY scripted_at LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    ClientId::from_raw(r.try_get::<String, _>("client_id")?),
                    r.try_get::<String, _>("id")?,
                ))
            })
            .collect()
    }

    async fn kyc_documents_to_outdate(&self, client: &ClientId, user: &UserId) -> StoreResult<Vec<KycDocument>> {
        sqlx::query(
            "SELECT * FROM kyc_documents WHERE client_id = $1 AND user_id = $2 \
             AND (status = 'VALIDATED' OR (status = 'VALIDATION_ASKED' AND kind = 'IDENTITY_PROOF')) ORDER BY created_at, id",
        )
        .bind(client.as_str())
        .bind(user.as_str())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| from_row(&self.sealer, r))
        .collect()
    }

    async fn kyc_review_queue(&self, client: Option<&ClientId>, limit: u32) -> StoreResult<Vec<KycDocument>> {
        sqlx::query(
            "SELECT * FROM kyc_documents WHERE status = 'VALIDATION_ASKED' AND scripted_at IS NULL \
             AND ($1 IS NULL OR client_id = $1) ORDER BY created_at, id LIMIT $2",
        )
        .bind(client.map(|c| c.as_str().to_owned()))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| from_row(&self.sealer, r))
        .collect()
    }
}
