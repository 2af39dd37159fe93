//! Rows to domain objects and back: decoding, sealing, and small statement helpers shared by
//! the capability modules.

use super::*;

pub(super) fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

pub(super) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
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

pub(super) fn user_from_row(sealer: &Sealer, row: &AnyRow) -> StoreResult<User> {
    user_from_columns(sealer, row, "id", "data", "version")
}

/// A user from a row whose user columns carry other names (a join).
pub(super) fn user_from_columns(
    sealer: &Sealer,
    row: &AnyRow,
    id: &str,
    data: &str,
    version: &str,
) -> StoreResult<User> {
    let id: String = row.try_get(id)?;
    let data = sealer
        .open_text(&row.try_get::<String, _>(data)?, &format!("users:{id}"))
        .map_err(|e| corrupt("user record", e))?;
    let mut user: User = serde_json::from_str(&data).map_err(|e| corrupt("user record", e))?;
    user.version = row.try_get(version)?;
    Ok(user)
}

pub(super) fn session_from_row(sealer: &Sealer, row: &AnyRow) -> StoreResult<IdvSession> {
    let status: String = row.try_get("status")?;
    let id: String = row.try_get("id")?;
    let checks = sealer
        .open_text(&row.try_get::<String, _>("checks")?, &format!("idv_sessions:{id}"))
        .map_err(|e| corrupt("session checks", e))?;
    Ok(IdvSession {
        id: SessionId::from_raw(row.try_get::<String, _>("id")?),
        client_id: ClientId::from_raw(row.try_get::<String, _>("client_id")?),
        user_id: UserId::from_raw(row.try_get::<String, _>("user_id")?),
        tag: row.try_get("tag")?,
        return_url: row.try_get("return_url")?,
        hosted_token: row.try_get("hosted_token")?,
        status: SessionStatus::parse(&status).ok_or_else(|| corrupt("session status", &status))?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        checks: serde_json::from_str::<Vec<Check>>(&checks).map_err(|e| corrupt("session checks", e))?,
        expires_at: row.try_get("expires_at")?,
        scripted: scripted_from_row::<Directive>(row)?,
        flow: {
            let flow: String = row.try_get("flow")?;
            SessionFlow::from_columns(&flow, row.try_get("psc_id")?).ok_or_else(|| corrupt("session flow", &flow))?
        },
        language: row
            .try_get::<Option<String>, _>("language")?
            .and_then(|l| SessionLanguage::parse(&l)),
        version: row.try_get("version")?,
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
pub(super) fn scripted_from_row<T: serde::de::DeserializeOwned>(row: &AnyRow) -> StoreResult<Option<(T, i64)>> {
    match (
        row.try_get::<Option<String>, _>("scripted_outcome")?,
        row.try_get::<Option<i64>, _>("scripted_at")?,
    ) {
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

/// Fails the transaction (it rolls back when dropped) when an update matched no row: the
/// version read is no longer current.
pub(super) fn expect_one(result: sqlx::any::AnyQueryResult) -> StoreResult<()> {
    if result.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(Conflict::Stale))
    }
}

/// Stored responses may hold a user's data: their bodies are sealed like the user records.
pub(super) fn response_aad(client: &str, key: &str) -> String {
    format!("idempotency_keys:{client}:{key}")
}

pub(super) fn response_from_row(sealer: &Sealer, row: &AnyRow) -> StoreResult<StoredResponse> {
    let client: String = row.try_get("client_id")?;
    let key: String = row.try_get("idem_key")?;
    let body = sealer
        .open_text(&row.try_get::<String, _>("body")?, &response_aad(&client, &key))
        .map_err(|e| corrupt("stored response", e))?;
    Ok(StoredResponse {
        key: row.try_get("idem_key")?,
        created_at: row.try_get("created_at")?,
        status_code: u16::try_from(row.try_get::<i64, _>("status_code")?).map_err(|e| corrupt("status code", e))?,
        content_type: row.try_get("content_type")?,
        body,
        request_url: row.try_get("request_url")?,
    })
}

pub(super) fn user_json(sealer: &Sealer, user: &User) -> StoreResult<String> {
    let json = serde_json::to_string(user).map_err(|e| corrupt("user record", e))?;
    Ok(sealer.seal_text(&json, &format!("users:{}", user.id)))
}

pub(super) async fn insert_response(
    sealer: &Sealer,
    tx: &mut WriteTx,
    client: &ClientId,
    r: &StoredResponse,
) -> StoreResult<()> {
    let result = sqlx::query(
        "INSERT INTO idempotency_keys (client_id, idem_key, created_at, status_code, content_type, body, request_url) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(client.as_str())
    .bind(&r.key)
    .bind(r.created_at)
    .bind(i64::from(r.status_code))
    .bind(&r.content_type)
    .bind(sealer.seal_text(&r.body, &response_aad(client.as_str(), &r.key)))
    .bind(&r.request_url)
    .execute(&mut ***tx)
    .await;
    match result {
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(Conflict::IdempotencyKey)),
        other => other.map(|_| ()).map_err(Into::into),
    }
}
