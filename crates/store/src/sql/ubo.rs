//! UBO declarations: rows (the UBOs and the decision sealed), lists and the sandbox's due outcomes.

use serde::{Deserialize, Serialize};
use verity_domain::ubo::{Ubo, UboDeclaration, UboOutcome, UboStatus};

use super::*;

#[derive(Serialize, Deserialize)]
struct Sealed {
    #[serde(default)]
    processed_at: Option<UnixTime>,
    reason: Option<String>,
    message: Option<String>,
    ubos: Vec<Ubo>,
}

fn aad(id: &str) -> String {
    format!("ubo_declarations:{id}")
}

fn seal(sealer: &Sealer, d: &UboDeclaration) -> StoreResult<String> {
    seal_json(
        sealer,
        &Sealed {
            processed_at: d.processed_at,
            reason: d.reason.clone(),
            message: d.message.clone(),
            ubos: d.ubos.clone(),
        },
        &aad(&d.id),
    )
}

fn from_row(sealer: &Sealer, row: &AnyRow) -> StoreResult<UboDeclaration> {
    let id: String = row.try_get("id")?;
    let status: String = row.try_get("status")?;
    let sealed: Sealed = open_json(sealer, &row.try_get::<String, _>("data")?, &aad(&id))?;
    Ok(UboDeclaration {
        client_id: ClientId::from_raw(row.try_get::<String, _>("client_id")?),
        user_id: UserId::from_raw(row.try_get::<String, _>("user_id")?),
        status: UboStatus::parse(&status).ok_or_else(|| corrupt("ubo status", &status))?,
        reason: sealed.reason,
        message: sealed.message,
        ubos: sealed.ubos,
        created_at: row.try_get("created_at")?,
        processed_at: sealed.processed_at,
        scripted: scripted_from_row::<UboOutcome>(row)?,
        version: row.try_get("version")?,
        id,
    })
}

/// One declaration write inside a changeset's transaction; an update checks the version it read.
pub(super) fn plan_write(sealer: &Sealer, plan: &mut Plan, w: &Write<UboDeclaration>) -> StoreResult<()> {
    match w {
        Write::Insert(d) => {
            let (outcome, at) = scripted_columns(d.scripted.as_ref())?;
            plan.add(
                "INSERT INTO ubo_declarations (id, client_id, user_id, status, created_at, data, scripted_outcome, \
                 scripted_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)",
                vec![
                    (&d.id).into(),
                    d.client_id.as_str().into(),
                    d.user_id.as_str().into(),
                    d.status.as_str().into(),
                    d.created_at.into(),
                    seal(sealer, d)?.into(),
                    outcome.into(),
                    at.into(),
                ],
            );
        }
        Write::Update(d) => {
            let (outcome, at) = scripted_columns(d.scripted.as_ref())?;
            plan.add_versioned(
                "UPDATE ubo_declarations SET status = $1, data = $2, scripted_outcome = $3, scripted_at = $4, \
                 version = version + 1 WHERE id = $5 AND client_id = $6 AND version = $7",
                vec![
                    d.status.as_str().into(),
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
impl UboStore for SqlStore {
    async fn ubo_declaration(&self, client: &ClientId, id: &str) -> StoreResult<Option<UboDeclaration>> {
        sqlx::query("SELECT * FROM ubo_declarations WHERE client_id = $1 AND id = $2")
            .bind(client.as_str())
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(|r| from_row(&self.sealer, r))
            .transpose()
    }

    async fn ubo_declarations(
        &self,
        client: &ClientId,
        user: &UserId,
        page: PageRequest,
    ) -> StoreResult<Page<UboDeclaration>> {
        self.page_of(
            "ubo_declarations WHERE client_id = $1 AND user_id = $2",
            &[Value::from(client.as_str()), Value::from(user.as_str())],
            "*",
            "created_at",
            page,
            |r| from_row(&self.sealer, r),
        )
        .await
    }

    async fn due_ubo_declarations(&self, now: UnixTime, limit: u32) -> StoreResult<Vec<(ClientId, String)>> {
        let rows = sqlx::query(
            "SELECT client_id, id FROM ubo_declarations WHERE status = 'VALIDATION_ASKED' AND scripted_at <= $1 \
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

    async fn ubo_review_queue(&self, client: Option<&ClientId>, limit: u32) -> StoreResult<Vec<UboDeclaration>> {
        sqlx::query(
            "SELECT * FROM ubo_declarations WHERE status = 'VALIDATION_ASKED' AND scripted_at IS NULL \
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
