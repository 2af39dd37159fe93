//! Persons of significant control: their rows (personal data sealed like a user's) and lookups.

use serde::{Deserialize, Serialize};
use verity_domain::psc::{PscIdentity, PscStatus, PscType};
use verity_domain::session::TypedValue;

use super::*;

/// What is sealed in `pscs.data`: everything personal, and what only the PSC itself needs.
#[derive(Serialize, Deserialize)]
struct Sealed {
    tag: Option<String>,
    identity: PscIdentity,
    kind: PscType,
    ownership: Option<u8>,
    validation_date: Option<UnixTime>,
    verified: Vec<TypedValue>,
}

fn aad(id: &PscId) -> String {
    format!("pscs:{id}")
}

fn seal(sealer: &Sealer, p: &Psc) -> StoreResult<String> {
    let sealed = Sealed {
        tag: p.tag.clone(),
        identity: p.identity.clone(),
        kind: p.kind,
        ownership: p.ownership,
        validation_date: p.validation_date,
        verified: p.verified.clone(),
    };
    seal_json(sealer, &sealed, &aad(&p.id))
}

fn from_row(sealer: &Sealer, row: &AnyRow) -> StoreResult<Psc> {
    let id = PscId::from_raw(row.try_get::<String, _>("id")?);
    let status: String = row.try_get("status")?;
    let sealed: Sealed = open_json(sealer, &row.try_get::<String, _>("data")?, &aad(&id))?;
    Ok(Psc {
        id,
        client_id: ClientId::from_raw(row.try_get::<String, _>("client_id")?),
        user_id: UserId::from_raw(row.try_get::<String, _>("user_id")?),
        main_session_id: SessionId::from_raw(row.try_get::<String, _>("main_session_id")?),
        session_id: SessionId::from_raw(row.try_get::<String, _>("session_id")?),
        tag: sealed.tag,
        identity: sealed.identity,
        kind: sealed.kind,
        ownership: sealed.ownership,
        status: PscStatus::parse(&status).ok_or_else(|| corrupt("psc status", &status))?,
        validation_date: sealed.validation_date,
        verified: sealed.verified,
        created_at: row.try_get("created_at")?,
        last_update: row.try_get("last_update")?,
        version: row.try_get("version")?,
    })
}

/// One PSC write inside a changeset's transaction; an update checks the version it read.
pub(super) fn plan_write(sealer: &Sealer, plan: &mut Plan, w: &Write<Psc>) -> StoreResult<()> {
    match w {
        Write::Insert(p) => {
            plan.add(
                "INSERT INTO pscs (id, client_id, user_id, main_session_id, session_id, status, created_at, last_update, data, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0)",
                vec![
                    p.id.as_str().into(),
                    p.client_id.as_str().into(),
                    p.user_id.as_str().into(),
                    p.main_session_id.as_str().into(),
                    p.session_id.as_str().into(),
                    p.status.as_str().into(),
                    p.created_at.into(),
                    p.last_update.into(),
                    seal(sealer, p)?.into(),
                ],
            );
        }
        Write::Update(p) => plan.add_versioned(
            "UPDATE pscs SET session_id = $1, status = $2, last_update = $3, data = $4, version = version + 1 \
             WHERE id = $5 AND client_id = $6 AND version = $7",
            vec![
                p.session_id.as_str().into(),
                p.status.as_str().into(),
                p.last_update.into(),
                seal(sealer, p)?.into(),
                p.id.as_str().into(),
                p.client_id.as_str().into(),
                p.version.into(),
            ],
        ),
    }
    Ok(())
}

#[async_trait]
impl PscStore for SqlStore {
    async fn psc(&self, client: &ClientId, id: &PscId) -> StoreResult<Option<Psc>> {
        sqlx::query("SELECT * FROM pscs WHERE client_id = $1 AND id = $2")
            .bind(client.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(|r| from_row(&self.sealer, r))
            .transpose()
    }

    async fn pscs_of_session(&self, client: &ClientId, main: &SessionId) -> StoreResult<Vec<Psc>> {
        sqlx::query("SELECT * FROM pscs WHERE client_id = $1 AND main_session_id = $2 ORDER BY created_at, id")
            .bind(client.as_str())
            .bind(main.as_str())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| from_row(&self.sealer, r))
            .collect()
    }

    async fn pscs_of_user(&self, client: &ClientId, user: &UserId, page: PageRequest) -> StoreResult<Page<Psc>> {
        self.page_of(
            "pscs WHERE client_id = $1 AND user_id = $2",
            &[Value::from(client.as_str()), Value::from(user.as_str())],
            "*",
            "created_at",
            page,
            |r| from_row(&self.sealer, r),
        )
        .await
    }
}
