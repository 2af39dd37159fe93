//! Rows to domain objects and back: decoding, sealing, and small statement helpers shared by
//! the capability modules.

use super::*;

pub(super) fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

pub(super) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// A row of either driver (sqlx's, or SQLite's native reader's [`super::native::NamedRow`]),
/// read by column name, so one decoder serves both.
pub(super) trait Columns {
    fn text(&self, name: &str) -> StoreResult<String>;
    fn opt_text(&self, name: &str) -> StoreResult<Option<String>>;
    fn int(&self, name: &str) -> StoreResult<i64>;
    fn opt_int(&self, name: &str) -> StoreResult<Option<i64>>;
}

impl Columns for AnyRow {
    fn text(&self, name: &str) -> StoreResult<String> {
        Ok(self.try_get(name)?)
    }
    fn opt_text(&self, name: &str) -> StoreResult<Option<String>> {
        Ok(self.try_get(name)?)
    }
    fn int(&self, name: &str) -> StoreResult<i64> {
        Ok(self.try_get(name)?)
    }
    fn opt_int(&self, name: &str) -> StoreResult<Option<i64>> {
        Ok(self.try_get(name)?)
    }
}

pub(super) fn client_from_row(row: &AnyRow) -> StoreResult<ClientCredentials> {
    let environment: String = row.try_get("environment")?;
    Ok(ClientCredentials {
        client: Client {
            id: ClientId::from_raw(row.try_get::<String, _>("id")?),
            name: row.try_get("name")?,
            environment: Environment::parse(&environment).ok_or_else(|| corrupt("client environment", &environment))?,
            idv_enabled: row.try_get::<i64, _>("idv_enabled")? != 0,
            natural_review: row.try_get::<i64, _>("natural_review")? != 0,
            created_at: row.try_get("created_at")?,
            branding: match row.try_get::<Option<String>, _>("branding")? {
                Some(b) => serde_json::from_str(&b).map_err(|e| corrupt("client branding", e))?,
                None => Branding::default(),
            },
        },
        api_key_hash: row.try_get("api_key_hash")?,
    })
}

pub(super) fn user_from_row(sealer: &Sealer, row: &dyn Columns) -> StoreResult<User> {
    user_from_columns(sealer, row, "id", "data", "version")
}

/// A user from a row whose user columns carry other names (a join).
pub(super) fn user_from_columns(
    sealer: &Sealer,
    row: &dyn Columns,
    id: &str,
    data: &str,
    version: &str,
) -> StoreResult<User> {
    let id = row.text(id)?;
    let data = sealer
        .open_text(&row.text(data)?, &format!("users:{id}"))
        .map_err(|e| corrupt("user record", e))?;
    let mut user: User = serde_json::from_str(&data).map_err(|e| corrupt("user record", e))?;
    user.version = row.int(version)?;
    Ok(user)
}

pub(super) fn session_from_row(sealer: &Sealer, row: &dyn Columns) -> StoreResult<IdvSession> {
    let status = row.text("status")?;
    let id = row.text("id")?;
    let checks = sealer
        .open_text(&row.text("checks")?, &format!("idv_sessions:{id}"))
        .map_err(|e| corrupt("session checks", e))?;
    Ok(IdvSession {
        id: SessionId::from_raw(id),
        client_id: ClientId::from_raw(row.text("client_id")?),
        user_id: UserId::from_raw(row.text("user_id")?),
        tag: row.opt_text("tag")?,
        return_url: row.text("return_url")?,
        hosted_token: row.text("hosted_token")?,
        status: SessionStatus::parse(&status).ok_or_else(|| corrupt("session status", &status))?,
        created_at: row.int("created_at")?,
        updated_at: row.opt_int("updated_at")?,
        checks: serde_json::from_str::<Vec<Check>>(&checks).map_err(|e| corrupt("session checks", e))?,
        expires_at: row.int("expires_at")?,
        scripted: scripted_from_row::<Directive>(row)?,
        flow: {
            let flow = row.text("flow")?;
            SessionFlow::from_columns(&flow, row.opt_text("psc_id")?).ok_or_else(|| corrupt("session flow", &flow))?
        },
        language: row.opt_text("language")?.and_then(|l| SessionLanguage::parse(&l)),
        version: row.int("version")?,
    })
}

pub(super) fn hook_from_row(row: &AnyRow) -> StoreResult<Hook> {
    Ok(Hook {
        id: HookId::from_raw(row.try_get::<String, _>("id")?),
        client_id: ClientId::from_raw(row.try_get::<String, _>("client_id")?),
        event_type: row.try_get("event_type")?,
        url: row.try_get("url")?,
        enabled: row.try_get::<String, _>("status")? == "ENABLED",
        valid: row.try_get::<String, _>("validity")? == "VALID",
        tag: row.try_get("tag")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) fn event_from_row(row: &AnyRow) -> StoreResult<Event> {
    let kind: String = row.try_get("event_type")?;
    Ok(Event {
        id: row.try_get("id")?,
        client_id: ClientId::from_raw(row.try_get::<String, _>("client_id")?),
        // Stored types are always ones Verity emitted; an unknown one is shown as stored.
        event_type: verity_domain::event::HOOK_EVENT_TYPES
            .iter()
            .copied()
            .find(|t| *t == kind)
            .unwrap_or("UNKNOWN"),
        resource_id: row.try_get("resource_id")?,
        date: row.try_get("date")?,
    })
}

pub(super) fn summary_from_row(row: &AnyRow) -> StoreResult<DeliverySummary> {
    Ok(DeliverySummary {
        id: row.try_get("id")?,
        client_id: ClientId::from_raw(row.try_get::<String, _>("client_id")?),
        hook_id: row.try_get("hook_id")?,
        event_type: row.try_get("event_type")?,
        resource_id: row.try_get("resource_id")?,
        state: row.try_get("state")?,
        attempts: row.try_get::<i64, _>("attempts")? as u32,
        next_attempt_at: row.try_get::<i64, _>("next_attempt_ms")? / 1000,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) fn session_checks_json(sealer: &Sealer, s: &IdvSession) -> StoreResult<String> {
    let json = serde_json::to_string(&s.checks).map_err(|e| corrupt("session checks", e))?;
    Ok(sealer.seal_text(&json, &format!("idv_sessions:{}", s.id)))
}

/// A scripted sandbox outcome's columns (`scripted_outcome`, `scripted_at`).
pub(super) fn scripted_columns<T: serde::Serialize>(
    scripted: Option<&(T, i64)>,
) -> StoreResult<(Option<String>, Option<i64>)> {
    match scripted {
        Some((outcome, at)) => Ok((
            Some(serde_json::to_string(outcome).map_err(|e| corrupt("scripted outcome", e))?),
            Some(*at),
        )),
        None => Ok((None, None)),
    }
}

/// A scripted sandbox outcome read back from its columns.
pub(super) fn scripted_from_row<T: serde::de::DeserializeOwned>(row: &dyn Columns) -> StoreResult<Option<(T, i64)>> {
    match (row.opt_text("scripted_outcome")?, row.opt_int("scripted_at")?) {
        (Some(outcome), Some(at)) => Ok(Some((
            serde_json::from_str::<T>(&outcome).map_err(|e| corrupt("scripted outcome", e))?,
            at,
        ))),
        _ => Ok(None),
    }
}

/// A record's personal part as sealed JSON, bound to its table and id.
pub(super) fn seal_json(sealer: &Sealer, value: &impl serde::Serialize, aad: &str) -> StoreResult<String> {
    let json = serde_json::to_string(value).map_err(|e| corrupt(aad, e))?;
    Ok(sealer.seal_text(&json, aad))
}

/// [`seal_json`]'s record opened.
pub(super) fn open_json<T: serde::de::DeserializeOwned>(sealer: &Sealer, sealed: &str, aad: &str) -> StoreResult<T> {
    let json = sealer.open_text(sealed, aad).map_err(|e| corrupt(aad, e))?;
    serde_json::from_str(&json).map_err(|e| corrupt(aad, e))
}

pub(super) fn person_type_column(user: &User) -> &'static str {
    match user.person_type() {
        verity_domain::user::PersonType::Natural => "NATURAL",
        verity_domain::user::PersonType::Legal => "LEGAL",
    }
}

/// Stored responses may hold a user's data: their bodies are sealed like the user records.
pub(super) fn response_aad(client: &str, key: &str) -> String {
    format!("idempotency_keys:{client}:{key}")
}

pub(super) fn response_from_row(sealer: &Sealer, row: &dyn Columns) -> StoreResult<StoredResponse> {
    let client = row.text("client_id")?;
    let key = row.text("idem_key")?;
    let body = sealer
        .open_text(&row.text("body")?, &response_aad(&client, &key))
        .map_err(|e| corrupt("stored response", e))?;
    Ok(StoredResponse {
        key,
        created_at: row.int("created_at")?,
        status_code: u16::try_from(row.int("status_code")?).map_err(|e| corrupt("status code", e))?,
        content_type: row.text("content_type")?,
        body,
        request_url: row.text("request_url")?,
    })
}

pub(super) fn user_json(sealer: &Sealer, user: &User) -> StoreResult<String> {
    let json = serde_json::to_string(user).map_err(|e| corrupt("user record", e))?;
    Ok(sealer.seal_text(&json, &format!("users:{}", user.id)))
}

/// Stores an `Idempotency-Key`'s response; a key already stored is [`Conflict::IdempotencyKey`].
pub(super) fn plan_response(sealer: &Sealer, plan: &mut Plan, client: &ClientId, r: &StoredResponse) {
    plan.add(
        "INSERT INTO idempotency_keys (client_id, idem_key, created_at, status_code, content_type, body, request_url) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            client.as_str().into(),
            (&r.key).into(),
            r.created_at.into(),
            i64::from(r.status_code).into(),
            (&r.content_type).into(),
            sealer.seal_text(&r.body, &response_aad(client.as_str(), &r.key)).into(),
            (&r.request_url).into(),
        ],
    )
    .on_unique = Some(Conflict::IdempotencyKey);
}
