//! The SQL implementation of [`Store`], shared by SQLite and PostgreSQL through sqlx's `Any`
//! driver. Columns are TEXT and BIGINT only so every statement runs unchanged on both.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row, Transaction};
use verity_domain::Branding;
use verity_domain::company::RegistryRecord;
use verity_domain::event::Event;
use verity_domain::hook::Hook;
use verity_domain::hosted::Progress;
use verity_domain::ids::HookId;
use verity_domain::sandbox::Directive;
use verity_domain::session::{Check, SessionStatus};
use verity_domain::{Client, ClientId, Environment, IdvSession, SessionId, UnixTime, User, UserId};

use crate::Conflict;
use crate::sealing::Sealer;
use crate::{
    AttemptRecord, AuditEntry, BlobMeta, Changeset, CheckJob, ClientCredentials, ClientPolicy, DeliveryJob,
    DeliverySummary, EventFilter, FingerprintMatch, InvalidHook, InvalidationRule, JobOutcome, NextStep, Page,
    PageRequest, SortDirection, StaffRecord, StaffSession, Store, StoreError, StoreResult, StoredResponse, Write,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub fn from_url(url: &str) -> Option<Dialect> {
        if url.starts_with("sqlite:") {
            Some(Dialect::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Dialect::Postgres)
        } else {
            None
        }
    }
}

#[derive(Clone)]
pub struct SqlStore {
    pool: AnyPool,
    dialect: Dialect,
    /// SQLite has one writer at a time. Queuing this process's writers here, instead of on
    /// SQLite's busy handler (which sleeps and retries), keeps write latency flat under load;
    /// `busy_timeout` still arbitrates between processes.
    write_lock: Arc<tokio::sync::Mutex<()>>,
    /// Seals personal data before it reaches the database.
    sealer: Sealer,
}

/// A write transaction, holding the process-wide SQLite write slot for its whole life.
pub(crate) struct WriteTx {
    tx: Transaction<'static, sqlx::Any>,
    _slot: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub(crate) async fn commit(self) -> StoreResult<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl std::ops::Deref for WriteTx {
    type Target = Transaction<'static, sqlx::Any>;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore").field("dialect", &self.dialect).finish()
    }
}

/// SQLite settings every connection gets: WAL so readers never block the writer, FULL sync so a
/// commit survives a power cut (a KYC decision or a webhook must never silently roll back).
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA journal_size_limit = 67108864;";

impl SqlStore {
    /// Connects to `url` (`sqlite://PATH` or `postgres://...`). Does not migrate.
    pub async fn connect(url: &str, sealer: Sealer) -> StoreResult<SqlStore> {
        sqlx::any::install_default_drivers();
        let dialect = Dialect::from_url(url)
            .ok_or_else(|| StoreError::Corrupt(format!("unsupported database URL scheme in {}", redact_url(url))))?;
        let url = match dialect {
            // Create the file on first start.
            Dialect::Sqlite if !url.contains("mode=") && !url.contains(":memory:") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = match dialect {
            Dialect::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(if url.contains(":memory:") { 1 } else { 8 })
                    .acquire_timeout(Duration::from_secs(15))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            sqlx::raw_sql(SQLITE_PRAGMAS).execute(conn).await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Dialect::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(15))
                    .connect_with(options)
                    .await?
            }
        };
        Ok(SqlStore {
            pool,
            dialect,
            write_lock: Arc::new(tokio::sync::Mutex::new(())),
            sealer,
        })
    }

    pub fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Applies pending migrations; safe when several processes start at once.
    pub async fn migrate(&self) -> StoreResult<Vec<String>> {
        crate::migrate::run(self).await
    }

    /// A write transaction. SQLite takes the write lock up front (`BEGIN IMMEDIATE`) so two
    /// writers queue on `busy_timeout` instead of failing when a read lock is upgraded.
    pub(crate) async fn begin_write(&self) -> StoreResult<WriteTx> {
        Ok(match self.dialect {
            Dialect::Sqlite => {
                let slot = self.write_lock.clone().lock_owned().await;
                WriteTx {
                    tx: self.pool.begin_with("BEGIN IMMEDIATE").await?,
                    _slot: Some(slot),
                }
            }
            Dialect::Postgres => WriteTx {
                tx: self.pool.begin().await?,
                _slot: None,
            },
        })
    }

    fn staff_from_row(&self, r: &AnyRow) -> StoreResult<StaffRecord> {
        let id: String = r.try_get("id")?;
        let totp: Option<String> = r.try_get("totp_secret")?;
        Ok(StaffRecord {
            totp_secret: totp
                .map(|t| self.sealer.open_text(&t, &format!("totp:{id}")))
                .transpose()
                .map_err(|e| corrupt("staff TOTP secret", e))?,
            id,
            username: r.try_get("username")?,
            display_name: r.try_get("display_name")?,
            role: r.try_get("role")?,
            password_hash: r.try_get("password_hash")?,
            failed_logins: r.try_get("failed_logins")?,
            locked_until: r.try_get("locked_until")?,
            disabled: r.try_get::<i64, _>("disabled")? != 0,
            created_at: r.try_get("created_at")?,
        })
    }

    /// Runs one statement in a write transaction of its own.
    async fn write_one(&self, sql: &'static str, binds: &[Bind<'_>]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let mut query = sqlx::query(sql);
        for bind in binds {
            query = match bind {
                Bind::Text(t) => query.bind(t.to_string()),
                Bind::Int(i) => query.bind(*i),
            };
        }
        query.execute(&mut **tx).await?;
        tx.commit().await
    }

    /// One page of rows of `from_where` (a table and a filter on `$1..$n`, bound to `binds`),
    /// sorted on `sort_column` then id, with the total count. Only placeholders are
    /// interpolated into the SQL; every value is bound.
    async fn page_of<T>(
        &self,
        from_where: &str,
        binds: &[Bind<'_>],
        columns: &str,
        sort_column: &str,
        page: PageRequest,
        map: impl Fn(&AnyRow) -> StoreResult<T>,
    ) -> StoreResult<Page<T>> {
        let direction = match page.direction {
            SortDirection::Asc => "ASC",
            SortDirection::Desc => "DESC",
        };
        let (limit, offset) = (binds.len() + 1, binds.len() + 2);
        let mut count = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) AS n FROM {from_where}")));
        let mut list = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {columns} FROM {from_where} ORDER BY {sort_column} {direction}, id {direction} LIMIT ${limit} OFFSET ${offset}"
        )));
        for bind in binds {
            match bind {
                Bind::Text(t) => {
                    count = count.bind(t.to_string());
                    list = list.bind(t.to_string());
                }
                Bind::Int(i) => {
                    count = count.bind(*i);
                    list = list.bind(*i);
                }
            }
        }
        let total: i64 = count.fetch_one(&self.pool).await?.try_get("n")?;
        let rows = list
            .bind(i64::from(page.per_page))
            .bind(page.offset())
            .fetch_all(&self.pool)
            .await?;
        Ok(Page {
            items: rows.iter().map(map).collect::<StoreResult<_>>()?,
            total_items: total as u64,
        })
    }

    /// Inserts or replaces a session's sealed progress inside `tx`.
    async fn write_progress(
        &self,
        tx: &mut WriteTx,
        session: &SessionId,
        progress: &Progress,
        now: UnixTime,
    ) -> StoreResult<()> {
        let json = serde_json::to_string(progress).map_err(|e| corrupt("hosted progress", e))?;
        let sealed = self.sealer.seal_text(&json, &format!("progress:{session}"));
        let updated = sqlx::query("UPDATE hosted_progress SET data = $1, updated_at = $2 WHERE session_id = $3")
            .bind(&sealed)
            .bind(now)
            .bind(session.as_str())
            .execute(&mut ***tx)
            .await?
            .rows_affected();
        if updated == 0 {
            sqlx::query("INSERT INTO hosted_progress (session_id, data, updated_at) VALUES ($1, $2, $3)")
                .bind(session.as_str())
                .bind(&sealed)
                .bind(now)
                .execute(&mut ***tx)
                .await?;
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Hides the password of a database URL for messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn client_from_row(row: &AnyRow) -> StoreResult<ClientCredentials> {
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

fn user_from_row(sealer: &Sealer, row: &AnyRow) -> StoreResult<User> {
    let id: String = row.try_get("id")?;
    let data = sealer
        .open_text(&row.try_get::<String, _>("data")?, &format!("users:{id}"))
        .map_err(|e| corrupt("user record", e))?;
    let mut user: User = serde_json::from_str(&data).map_err(|e| corrupt("user record", e))?;
    user.version = row.try_get("version")?;
    Ok(user)
}

fn session_from_row(sealer: &Sealer, row: &AnyRow) -> StoreResult<IdvSession> {
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
        scripted: match (
            row.try_get::<Option<String>, _>("scripted_outcome")?,
            row.try_get::<Option<i64>, _>("scripted_at")?,
        ) {
            (Some(d), Some(at)) => Some((
                serde_json::from_str::<Directive>(&d).map_err(|e| corrupt("scripted outcome", e))?,
                at,
            )),
            _ => None,
        },
        version: row.try_get("version")?,
    })
}

fn hook_from_row(row: &AnyRow) -> StoreResult<Hook> {
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

fn event_from_row(row: &AnyRow) -> StoreResult<Event> {
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

fn summary_from_row(row: &AnyRow) -> StoreResult<DeliverySummary> {
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

fn session_checks_json(sealer: &Sealer, s: &IdvSession) -> StoreResult<String> {
    let json = serde_json::to_string(&s.checks).map_err(|e| corrupt("session checks", e))?;
    Ok(sealer.seal_text(&json, &format!("idv_sessions:{}", s.id)))
}

fn scripted_json(s: &IdvSession) -> StoreResult<(Option<String>, Option<i64>)> {
    match &s.scripted {
        Some((d, at)) => Ok((
            Some(serde_json::to_string(d).map_err(|e| corrupt("scripted outcome", e))?),
            Some(*at),
        )),
        None => Ok((None, None)),
    }
}

fn person_type_column(user: &User) -> &'static str {
    match user.person_type() {
        verity_domain::user::PersonType::Natural => "NATURAL",
        verity_domain::user::PersonType::Legal => "LEGAL",
    }
}

/// Fails the transaction (it rolls back when dropped) when an update matched no row: the
/// version read is no longer current.
fn expect_one(result: sqlx::any::AnyQueryResult) -> StoreResult<()> {
    if result.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(Conflict::Stale))
    }
}

/// Stored responses may hold a user's data: their bodies are sealed like the user records.
fn response_aad(client: &str, key: &str) -> String {
    format!("idempotency_keys:{client}:{key}")
}

fn response_from_row(sealer: &Sealer, row: &AnyRow) -> StoreResult<StoredResponse> {
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

fn user_json(sealer: &Sealer, user: &User) -> StoreResult<String> {
    let json = serde_json::to_string(user).map_err(|e| corrupt("user record", e))?;
    Ok(sealer.seal_text(&json, &format!("users:{}", user.id)))
}

async fn insert_response(sealer: &Sealer, tx: &mut WriteTx, client: &ClientId, r: &StoredResponse) -> StoreResult<()> {
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

/// A value bound to a list query's filter.
/// Queues a session's check job; a job already queued stays as it is.
const ENQUEUE_CHECKS: &str = "INSERT INTO check_jobs (session_id, client_id, state, attempts, run_after_ms, locked_until_ms) \
     VALUES ($1, $2, 'pending', 0, $3, 0) ON CONFLICT (session_id) DO NOTHING";

enum Bind<'a> {
    Text(&'a str),
    Int(i64),
}

#[async_trait]
impl Store for SqlStore {
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
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query("UPDATE clients SET api_key_hash = $1 WHERE id = $2")
            .bind(api_key_hash)
            .bind(id.as_str())
            .execute(&mut **tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM access_tokens WHERE client_id = $1")
            .bind(id.as_str())
            .execute(&mut **tx)
            .await?;
        tx.commit().await?;
        Ok(updated == 1)
    }

    async fn set_idv_enabled(&self, id: &ClientId, enabled: bool) -> StoreResult<bool> {
        let updated = sqlx::query("UPDATE clients SET idv_enabled = $1 WHERE id = $2")
            .bind(i64::from(enabled))
            .bind(id.as_str())
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(updated == 1)
    }

    async fn set_natural_review(&self, id: &ClientId, enabled: bool) -> StoreResult<bool> {
        let updated = sqlx::query("UPDATE clients SET natural_review = $1 WHERE id = $2")
            .bind(i64::from(enabled))
            .bind(id.as_str())
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(updated == 1)
    }

    async fn set_webhook_secret(&self, id: &ClientId, secret: Option<&str>) -> StoreResult<bool> {
        let updated = sqlx::query("UPDATE clients SET webhook_secret = $1 WHERE id = $2")
            .bind(secret)
            .bind(id.as_str())
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(updated == 1)
    }

    async fn commit(&self, c: &Changeset) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        if let Some(r) = &c.response {
            insert_response(&self.sealer, &mut tx, &c.client, r).await?;
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
                    .execute(&mut **tx)
                    .await?;
                }
                Write::Update(u) => expect_one(
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
                    .execute(&mut **tx)
                    .await?,
                )?,
            }
        }
        for w in &c.sessions {
            match w {
                Write::Insert(s) => {
                    let (scripted, scripted_at) = scripted_json(s)?;
                    sqlx::query(
                        "INSERT INTO idv_sessions (id, client_id, user_id, status, hosted_token, return_url, tag, created_at, updated_at, checks, \
                         expires_at, scripted_outcome, scripted_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0)",
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
                    .execute(&mut **tx)
                    .await?;
                }
                Write::Update(s) => {
                    let (scripted, scripted_at) = scripted_json(s)?;
                    expect_one(
                        sqlx::query(
                            "UPDATE idv_sessions SET status = $1, updated_at = $2, checks = $3, scripted_outcome = $4, scripted_at = $5, \
                             version = version + 1 WHERE id = $6 AND client_id = $7 AND version = $8",
                        )
                        .bind(s.status.as_str())
                        .bind(s.updated_at)
                        .bind(session_checks_json(&self.sealer, s)?)
                        .bind(scripted)
                        .bind(scripted_at)
                        .bind(s.id.as_str())
                        .bind(s.client_id.as_str())
                        .bind(s.version)
                        .execute(&mut **tx)
                        .await?,
                    )?;
                }
            }
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
            .execute(&mut **tx)
            .await?;
            // The outbox row, in the same transaction as its event: at most one hook per type.
            // An INVALID hook gets its rows too: they wait for re-validation, never dropped.
            let delivery_id = format!("whdlv_{}", e.id.trim_start_matches("evt_"));
            sqlx::query(
                "INSERT INTO webhook_deliveries (id, client_id, event_id, hook_id, state, attempts, next_attempt_ms, created_at) \
                 SELECT $1, client_id, $2, id, 'pending', 0, $3, $6 FROM hooks \
                 WHERE client_id = $4 AND event_type = $5 AND status = 'ENABLED'",
            )
            .bind(delivery_id)
            .bind(&e.id)
            .bind(e.date * 1000)
            .bind(e.client_id.as_str())
            .bind(e.event_type)
            .bind(e.date)
            .execute(&mut **tx)
            .await?;
        }
        tx.commit().await
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
        sqlx::query(
            "SELECT c.* FROM access_tokens t JOIN clients c ON c.id = t.client_id WHERE t.token_hash = $1 AND t.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(|r| client_from_row(r).map(|c| c.client))
        .transpose()
    }

    async fn purge_expired_tokens(&self, now: UnixTime) -> StoreResult<u64> {
        Ok(sqlx::query("DELETE FROM access_tokens WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected())
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
            "idv_sessions WHERE client_id = $1 AND user_id = $2",
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

    async fn insert_hook(&self, h: &Hook) -> StoreResult<()> {
        let result = sqlx::query(
            "INSERT INTO hooks (id, client_id, event_type, url, status, validity, tag, created_at, consecutive_failures) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)",
        )
        .bind(h.id.as_str())
        .bind(h.client_id.as_str())
        .bind(&h.event_type)
        .bind(&h.url)
        .bind(h.status())
        .bind(h.validity())
        .bind(h.tag.as_deref())
        .bind(h.created_at)
        .execute(&self.pool)
        .await;
        match result {
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(Conflict::HookEventType)),
            other => other.map(|_| ()).map_err(Into::into),
        }
    }

    async fn update_hook(&self, h: &Hook) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let revalidated = h.valid
            && sqlx::query("SELECT validity FROM hooks WHERE id = $1 AND client_id = $2")
                .bind(h.id.as_str())
                .bind(h.client_id.as_str())
                .fetch_optional(&mut **tx)
                .await?
                .map(|r| r.try_get::<String, _>("validity"))
                .transpose()?
                .is_some_and(|v| v == "INVALID");
        sqlx::query(
            "UPDATE hooks SET url = $1, status = $2, validity = $3, tag = $4, \
             consecutive_failures = CASE WHEN $3 = 'VALID' AND validity = 'INVALID' THEN 0 ELSE consecutive_failures END, \
             failing_since = CASE WHEN $3 = 'VALID' AND validity = 'INVALID' THEN NULL ELSE failing_since END \
             WHERE id = $5 AND client_id = $6",
        )
        .bind(&h.url)
        .bind(h.status())
        .bind(h.validity())
        .bind(h.tag.as_deref())
        .bind(h.id.as_str())
        .bind(h.client_id.as_str())
        .execute(&mut **tx)
        .await?;
        if revalidated {
            // The deliveries that waited become due at once, claimed oldest event first, and
            // their earlier failures no longer count against the hook.
            sqlx::query(
                "UPDATE webhook_deliveries SET next_attempt_ms = created_at * 1000, counted_failure = 0, locked_until_ms = NULL \
                 WHERE hook_id = $1 AND state = 'pending'",
            )
            .bind(h.id.as_str())
            .execute(&mut **tx)
            .await?;
        }
        tx.commit().await
    }

    async fn hook(&self, client: &ClientId, id: &str) -> StoreResult<Option<Hook>> {
        sqlx::query("SELECT * FROM hooks WHERE client_id = $1 AND id = $2")
            .bind(client.as_str())
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(hook_from_row)
            .transpose()
    }

    async fn hooks(&self, client: &ClientId, page: PageRequest) -> StoreResult<Page<Hook>> {
        self.page_of(
            "hooks WHERE client_id = $1",
            &[Bind::Text(client.as_str())],
            "*",
            "created_at",
            page,
            hook_from_row,
        )
        .await
    }

    async fn events(&self, client: &ClientId, f: &EventFilter, page: PageRequest) -> StoreResult<Page<Event>> {
        let mut conditions = vec!["client_id = $1".to_owned()];
        let mut binds = vec![Bind::Text(client.as_str())];
        if let Some(t) = &f.event_type {
            binds.push(Bind::Text(t));
            conditions.push(format!("event_type = ${}", binds.len()));
        }
        if let Some(r) = &f.resource {
            binds.push(Bind::Text(r));
            conditions.push(format!("resource_id = ${}", binds.len()));
        }
        if let Some(after) = f.after {
            binds.push(Bind::Int(after));
            conditions.push(format!("date >= ${}", binds.len()));
        }
        if let Some(before) = f.before {
            binds.push(Bind::Int(before));
            conditions.push(format!("date <= ${}", binds.len()));
        }
        let from_where = format!("events WHERE {}", conditions.join(" AND "));
        self.page_of(&from_where, &binds, "*", "date", page, event_from_row)
            .await
    }

    async fn claim_deliveries(
        &self,
        now: UnixTime,
        lease_until: UnixTime,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryJob>> {
        let lock = match self.dialect {
            Dialect::Postgres => " FOR UPDATE OF d SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        // Deliveries to an INVALID hook are paused: not claimed until it is re-validated.
        let sql = format!(
            "UPDATE webhook_deliveries SET locked_until_ms = $1, attempts = attempts + 1 WHERE id IN (\
             SELECT d.id FROM webhook_deliveries d JOIN hooks h ON h.id = d.hook_id \
             WHERE d.state = 'pending' AND d.next_attempt_ms <= $2 AND h.validity = 'VALID' \
             AND (d.locked_until_ms IS NULL OR d.locked_until_ms < $2) \
             ORDER BY d.next_attempt_ms, d.created_at, d.id LIMIT $3{lock}) RETURNING id"
        );
        let mut tx = self.begin_write().await?;
        let ids: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(lease_until)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("id"))
            .collect::<Result<_, _>>()?;
        tx.commit().await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // One query for the whole batch; only placeholders are interpolated.
        let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT d.id, d.client_id, d.hook_id, d.attempts, h.url, h.status, h.validity, e.event_type, e.resource_id, e.date, \
             c.webhook_secret, c.environment FROM webhook_deliveries d JOIN hooks h ON h.id = d.hook_id \
             JOIN events e ON e.id = d.event_id JOIN clients c ON c.id = d.client_id WHERE d.id IN ({}) ORDER BY d.next_attempt_ms",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in &ids {
            query = query.bind(id);
        }
        let mut jobs = Vec::with_capacity(ids.len());
        for row in query.fetch_all(&self.pool).await? {
            jobs.push(DeliveryJob {
                id: row.try_get("id")?,
                client_id: ClientId::from_raw(row.try_get::<String, _>("client_id")?),
                hook_id: row.try_get("hook_id")?,
                url: row.try_get("url")?,
                hook_enabled: row.try_get::<String, _>("status")? == "ENABLED",
                hook_valid: row.try_get::<String, _>("validity")? == "VALID",
                event_type: row.try_get("event_type")?,
                resource_id: row.try_get("resource_id")?,
                date: row.try_get("date")?,
                attempt: row.try_get::<i64, _>("attempts")? as u32,
                secret: row.try_get("webhook_secret")?,
                public_only: row.try_get::<String, _>("environment")? == "production",
            });
        }
        Ok(jobs)
    }

    async fn finish_attempt(
        &self,
        job: &DeliveryJob,
        a: &AttemptRecord,
        next: NextStep,
        rule: InvalidationRule,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        if next == NextStep::Pause {
            // Not attempted: the claim is handed back as if it never happened.
            sqlx::query(
                "UPDATE webhook_deliveries SET attempts = attempts - 1, locked_until_ms = NULL WHERE id = $1 AND attempts = $2",
            )
            .bind(&job.id)
            .bind(i64::from(job.attempt))
            .execute(&mut **tx)
            .await?;
            tx.commit().await?;
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, http_status, error) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(&a.delivery_id)
        .bind(i64::from(a.attempt))
        .bind(a.started_at)
        .bind(a.duration_ms as i64)
        .bind(a.http_status.map(i64::from))
        .bind(a.error.as_deref())
        .execute(&mut **tx)
        .await?;
        let (state, next_at) = match next {
            NextStep::RetryAt(at_ms) => ("pending", at_ms),
            NextStep::Delivered => ("delivered", a.started_at * 1000),
            NextStep::GiveUp => ("failed", a.started_at * 1000),
            NextStep::Cancel | NextStep::Pause => ("cancelled", a.started_at * 1000),
        };
        // Only the worker holding the latest claim decides the delivery's fate.
        let current = sqlx::query(
            "UPDATE webhook_deliveries SET state = $1, next_attempt_ms = $2, locked_until_ms = NULL WHERE id = $3 AND attempts = $4",
        )
        .bind(state)
        .bind(next_at)
        .bind(&job.id)
        .bind(i64::from(job.attempt))
        .execute(&mut **tx)
        .await?
        .rows_affected()
            == 1;
        let mut turned_invalid = false;
        if current && next == NextStep::Delivered {
            sqlx::query("UPDATE hooks SET consecutive_failures = 0, failing_since = NULL WHERE id = $1")
                .bind(&job.hook_id)
                .execute(&mut **tx)
                .await?;
        } else if current && matches!(next, NextStep::RetryAt(_) | NextStep::GiveUp) {
            // One event counts once, however many times its delivery is retried.
            let first_failure =
                sqlx::query("UPDATE webhook_deliveries SET counted_failure = 1 WHERE id = $1 AND counted_failure = 0")
                    .bind(&job.id)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected();
            sqlx::query(
                "UPDATE hooks SET consecutive_failures = consecutive_failures + $1, \
                 failing_since = COALESCE(failing_since, $2) WHERE id = $3",
            )
            .bind(first_failure as i64)
            .bind(a.started_at)
            .bind(&job.hook_id)
            .execute(&mut **tx)
            .await?;
            turned_invalid = sqlx::query(
                "UPDATE hooks SET validity = 'INVALID' WHERE id = $1 AND validity = 'VALID' \
                 AND consecutive_failures >= $2 AND failing_since <= $3",
            )
            .bind(&job.hook_id)
            .bind(i64::from(rule.failed_events))
            .bind(a.started_at - rule.failing_for)
            .execute(&mut **tx)
            .await?
            .rows_affected()
                == 1;
        }
        tx.commit().await?;
        Ok(turned_invalid)
    }

    async fn invalid_hooks(&self, client: Option<&ClientId>) -> StoreResult<Vec<InvalidHook>> {
        let rows = sqlx::query(
            "SELECT h.id, h.client_id, h.event_type, h.url, h.consecutive_failures, h.failing_since, \
             (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.hook_id = h.id AND d.state = 'pending') AS paused \
             FROM hooks h WHERE h.validity = 'INVALID' AND ($1 IS NULL OR h.client_id = $1) ORDER BY h.client_id, h.event_type",
        )
        .bind(client.map(|c| c.as_str().to_owned()))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(InvalidHook {
                    hook_id: r.try_get("id")?,
                    client_id: ClientId::from_raw(r.try_get::<String, _>("client_id")?),
                    event_type: r.try_get("event_type")?,
                    url: r.try_get("url")?,
                    failed_events: r.try_get("consecutive_failures")?,
                    failing_since: r.try_get("failing_since")?,
                    paused: r.try_get("paused")?,
                })
            })
            .collect()
    }

    async fn deliveries(
        &self,
        client: Option<&ClientId>,
        state: Option<&str>,
        page: PageRequest,
    ) -> StoreResult<Page<DeliverySummary>> {
        let filter = "($1 IS NULL OR d.client_id = $1) AND ($2 IS NULL OR d.state = $2)";
        let direction = match page.direction {
            SortDirection::Asc => "ASC",
            SortDirection::Desc => "DESC",
        };
        let client = client.map(|c| c.as_str().to_owned());
        let state = state.map(str::to_owned);
        let total: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM webhook_deliveries d WHERE {filter}"
        )))
        .bind(client.clone())
        .bind(state.clone())
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        let sql = format!(
            "SELECT d.id, d.client_id, d.hook_id, d.state, d.attempts, d.next_attempt_ms, d.created_at, e.event_type, e.resource_id \
             FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE {filter} \
             ORDER BY d.created_at {direction}, d.id {direction} LIMIT $3 OFFSET $4"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(client)
            .bind(state)
            .bind(i64::from(page.per_page))
            .bind(page.offset())
            .fetch_all(&self.pool)
            .await?;
        Ok(Page {
            items: rows.iter().map(summary_from_row).collect::<StoreResult<_>>()?,
            total_items: total as u64,
        })
    }

    async fn attempts(&self, delivery_id: &str) -> StoreResult<Vec<AttemptRecord>> {
        let rows = sqlx::query("SELECT * FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt")
            .bind(delivery_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AttemptRecord {
                    delivery_id: r.try_get("delivery_id")?,
                    attempt: r.try_get::<i64, _>("attempt")? as u32,
                    started_at: r.try_get("started_at")?,
                    duration_ms: r.try_get::<i64, _>("duration_ms")? as u64,
                    http_status: r.try_get::<Option<i64>, _>("http_status")?.map(|s| s as u16),
                    error: r.try_get("error")?,
                })
            })
            .collect()
    }

    async fn replay_delivery(&self, delivery_id: &str, now: UnixTime) -> StoreResult<bool> {
        let updated = sqlx::query("UPDATE webhook_deliveries SET state = 'pending', next_attempt_ms = $1, locked_until_ms = NULL WHERE id = $2")
            .bind(now * 1000)
            .bind(delivery_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(updated == 1)
    }
    async fn set_branding(&self, id: &ClientId, branding: &Branding) -> StoreResult<bool> {
        let json = serde_json::to_string(branding).map_err(|e| corrupt("client branding", e))?;
        let updated = sqlx::query("UPDATE clients SET branding = $1 WHERE id = $2")
            .bind(json)
            .bind(id.as_str())
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(updated == 1)
    }

    async fn progress(&self, session: &SessionId) -> StoreResult<Option<Progress>> {
        let row = sqlx::query("SELECT data FROM hosted_progress WHERE session_id = $1")
            .bind(session.as_str())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            None => Ok(None),
            Some(r) => {
                let text = self
                    .sealer
                    .open_text(&r.try_get::<String, _>("data")?, &format!("progress:{session}"))
                    .map_err(|e| corrupt("hosted progress", e))?;
                Ok(Some(
                    serde_json::from_str(&text).map_err(|e| corrupt("hosted progress", e))?,
                ))
            }
        }
    }

    async fn save_progress(&self, session: &SessionId, progress: &Progress, now: UnixTime) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        self.write_progress(&mut tx, session, progress, now).await?;
        tx.commit().await
    }

    async fn mark_submitted(
        &self,
        session: &SessionId,
        progress: &Progress,
        now: UnixTime,
        checks: Option<(&ClientId, i64)>,
    ) -> StoreResult<()> {
        // Progress and expiry change together: a submitted session must never expire, and an
        // expired one must never count as submitted.
        let mut tx = self.begin_write().await?;
        let still_pending = sqlx::query("UPDATE idv_sessions SET expires_at = $1 WHERE id = $2 AND status = 'PENDING'")
            .bind(i64::MAX)
            .bind(session.as_str())
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if still_pending != 1 {
            return Err(StoreError::Conflict(Conflict::Stale));
        }
        self.write_progress(&mut tx, session, progress, now).await?;
        if let Some((client, run_after_ms)) = checks {
            sqlx::query(ENQUEUE_CHECKS)
                .bind(session.as_str())
                .bind(client.as_str())
                .bind(run_after_ms)
                .execute(&mut **tx)
                .await?;
        }
        tx.commit().await
    }

    async fn insert_blob(&self, b: &BlobMeta) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO blobs (id, client_id, session_id, slot, content_type, size, wrapped_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&b.id)
        .bind(b.client_id.as_str())
        .bind(b.session_id.as_str())
        .bind(&b.slot)
        .bind(&b.content_type)
        .bind(b.size as i64)
        .bind(&b.wrapped_key)
        .bind(b.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn blob(&self, id: &str) -> StoreResult<Option<BlobMeta>> {
        let row = sqlx::query("SELECT * FROM blobs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(BlobMeta {
                id: r.try_get("id")?,
                client_id: ClientId::from_raw(r.try_get::<String, _>("client_id")?),
                session_id: SessionId::from_raw(r.try_get::<String, _>("session_id")?),
                slot: r.try_get("slot")?,
                content_type: r.try_get("content_type")?,
                size: r.try_get::<i64, _>("size")? as u64,
                wrapped_key: r.try_get("wrapped_key")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .transpose()
    }

    async fn enqueue_checks(&self, client: &ClientId, session: &SessionId, now_ms: i64) -> StoreResult<()> {
        self.write_one(
            ENQUEUE_CHECKS,
            &[
                Bind::Text(session.as_str()),
                Bind::Text(client.as_str()),
                Bind::Int(now_ms),
            ],
        )
        .await
    }

    async fn claim_check_jobs(&self, now_ms: i64, lease_until_ms: i64, limit: u32) -> StoreResult<Vec<CheckJob>> {
        let lock = match self.dialect {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let sql = format!(
            "UPDATE check_jobs SET locked_until_ms = $1, attempts = attempts + 1 WHERE session_id IN (\
             SELECT session_id FROM check_jobs WHERE state = 'pending' AND run_after_ms <= $2 \
             AND locked_until_ms < $2 ORDER BY run_after_ms LIMIT $3{lock}) RETURNING session_id, client_id, attempts"
        );
        let mut tx = self.begin_write().await?;
        let jobs = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(lease_until_ms)
            .bind(now_ms)
            .bind(i64::from(limit))
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| {
                Ok(CheckJob {
                    session: SessionId::from_raw(r.try_get::<String, _>("session_id")?),
                    client: ClientId::from_raw(r.try_get::<String, _>("client_id")?),
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        tx.commit().await?;
        Ok(jobs)
    }

    async fn finish_check_job(&self, session: &SessionId, outcome: JobOutcome<'_>) -> StoreResult<()> {
        let (state, error, run_after) = match outcome {
            JobOutcome::Done => ("done", None, 0),
            JobOutcome::Retry { error, at_ms } => ("pending", Some(error), at_ms),
            JobOutcome::Failed { error } => ("failed", Some(error), 0),
        };
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE check_jobs SET state = $1, last_error = $2, run_after_ms = $3, locked_until_ms = 0 \
             WHERE session_id = $4",
        )
        .bind(state)
        .bind(error)
        .bind(run_after)
        .bind(session.as_str())
        .execute(&mut **tx)
        .await?;
        tx.commit().await
    }

    async fn save_evidence(
        &self,
        client: &ClientId,
        session: &SessionId,
        evidence: &str,
        now: UnixTime,
    ) -> StoreResult<()> {
        let sealed = self
            .sealer
            .seal_text(evidence, &format!("evidence:{}", session.as_str()));
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO session_evidence (session_id, client_id, data, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (session_id) DO UPDATE SET data = excluded.data, created_at = excluded.created_at",
        )
        .bind(session.as_str())
        .bind(client.as_str())
        .bind(sealed)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        tx.commit().await
    }

    async fn evidence(&self, session: &SessionId) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT data FROM session_evidence WHERE session_id = $1")
            .bind(session.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let sealed: String = r.try_get("data")?;
            self.sealer
                .open_text(&sealed, &format!("evidence:{}", session.as_str()))
                .map_err(|e| corrupt("session evidence", e))
        })
        .transpose()
    }

    async fn record_fingerprints(
        &self,
        client: &ClientId,
        user: &UserId,
        session: &SessionId,
        fingerprints: &[(String, String)],
        now: UnixTime,
    ) -> StoreResult<Vec<FingerprintMatch>> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM document_fingerprints WHERE session_id = $1")
            .bind(session.as_str())
            .execute(&mut **tx)
            .await?;
        let mut matches = Vec::new();
        for (kind, value) in fingerprints {
            let rows = sqlx::query(
                "SELECT DISTINCT user_id, session_id FROM document_fingerprints \
                 WHERE client_id = $1 AND kind = $2 AND value = $3 AND user_id <> $4",
            )
            .bind(client.as_str())
            .bind(kind)
            .bind(value)
            .bind(user.as_str())
            .fetch_all(&mut **tx)
            .await?;
            for r in rows {
                matches.push(FingerprintMatch {
                    user: r.try_get("user_id")?,
                    session: r.try_get("session_id")?,
                    kind: kind.clone(),
                    value: value.clone(),
                });
            }
            sqlx::query(
                "INSERT INTO document_fingerprints (client_id, user_id, session_id, kind, value, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(client.as_str())
            .bind(user.as_str())
            .bind(session.as_str())
            .bind(kind)
            .bind(value)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
        tx.commit().await?;
        Ok(matches)
    }

    async fn fingerprint_values(&self, session: &str, kind: &str) -> StoreResult<Vec<String>> {
        sqlx::query("SELECT value FROM document_fingerprints WHERE session_id = $1 AND kind = $2")
            .bind(session)
            .bind(kind)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok(r.try_get("value")?))
            .collect()
    }

    async fn import_registry(&self, records: &[RegistryRecord], now: UnixTime) -> StoreResult<u64> {
        // One transaction: an import is applied whole or not at all.
        let mut tx = self.begin_write().await?;
        for r in records {
            let data = serde_json::to_string(r).map_err(|e| corrupt("registry record", e))?;
            sqlx::query(
                "INSERT INTO registry_companies (country, number, data, imported_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (country, number) DO UPDATE SET data = excluded.data, imported_at = excluded.imported_at",
            )
            .bind(&r.country)
            .bind(&r.number)
            .bind(data)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
        tx.commit().await?;
        Ok(records.len() as u64)
    }

    async fn registry_record(&self, country: &str, number: &str) -> StoreResult<Option<RegistryRecord>> {
        let row = sqlx::query("SELECT data FROM registry_companies WHERE country = $1 AND number = $2")
            .bind(country)
            .bind(number)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let data: String = r.try_get("data")?;
            serde_json::from_str(&data).map_err(|e| corrupt("registry record", e))
        })
        .transpose()
    }

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
            &[Bind::Int(now), Bind::Text(token_hash)],
        )
        .await
    }

    async fn delete_staff_session(&self, token_hash: &str) -> StoreResult<()> {
        self.write_one(
            "DELETE FROM staff_sessions WHERE token_hash = $1",
            &[Bind::Text(token_hash)],
        )
        .await
    }

    async fn delete_staff_sessions_of(&self, staff_id: &str) -> StoreResult<()> {
        self.write_one(
            "DELETE FROM staff_sessions WHERE staff_id = $1",
            &[Bind::Text(staff_id)],
        )
        .await
    }

    async fn claim_review(
        &self,
        session: &SessionId,
        staff_id: &str,
        now: UnixTime,
        fresh_after: UnixTime,
    ) -> StoreResult<String> {
        let mut tx = self.begin_write().await?;
        // Take the claim when it is free, stale or already ours; then read who holds it.
        sqlx::query(
            "INSERT INTO review_claims (session_id, staff_id, claimed_at) VALUES ($1, $2, $3) \
             ON CONFLICT (session_id) DO UPDATE SET staff_id = excluded.staff_id, claimed_at = excluded.claimed_at \
             WHERE review_claims.claimed_at < $4 OR review_claims.staff_id = excluded.staff_id",
        )
        .bind(session.as_str())
        .bind(staff_id)
        .bind(now)
        .bind(fresh_after)
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

    async fn review_queue(&self, client: Option<&ClientId>, limit: u32) -> StoreResult<Vec<IdvSession>> {
        let rows = match client {
            Some(c) => {
                sqlx::query(
                    "SELECT * FROM idv_sessions WHERE status = 'REVIEW' AND client_id = $1 \
                     ORDER BY COALESCE(updated_at, created_at), id LIMIT $2",
                )
                .bind(c.as_str())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query("SELECT * FROM idv_sessions WHERE status = 'REVIEW' ORDER BY COALESCE(updated_at, created_at), id LIMIT $1")
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(|r| session_from_row(&self.sealer, r)).collect()
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
        let rows = sqlx::query(
            "SELECT s.client_id, s.id, \
                    (p.retention_data_days IS NOT NULL AND s.data_redacted_at IS NULL \
                     AND COALESCE(s.updated_at, s.created_at) <= $1 - p.retention_data_days * 86400) AS data_due \
             FROM idv_sessions s JOIN client_policies p ON p.client_id = s.client_id \
             WHERE s.status <> 'PENDING' AND s.status <> 'REVIEW' AND ( \
               (p.retention_files_days IS NOT NULL AND s.files_redacted_at IS NULL \
                AND COALESCE(s.updated_at, s.created_at) <= $1 - p.retention_files_days * 86400) \
               OR (p.retention_data_days IS NOT NULL AND s.data_redacted_at IS NULL \
                AND COALESCE(s.updated_at, s.created_at) <= $1 - p.retention_data_days * 86400)) \
             ORDER BY COALESCE(s.updated_at, s.created_at) LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let due: bool = match r.try_get::<bool, _>("data_due") {
                    Ok(b) => b,
                    Err(_) => r.try_get::<i64, _>("data_due")? != 0,
                };
                Ok((
                    ClientId::from_raw(r.try_get::<String, _>("client_id")?),
                    SessionId::from_raw(r.try_get::<String, _>("id")?),
                    due,
                ))
            })
            .collect()
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
        rows.iter()
            .map(|r| {
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
            })
            .collect()
    }

    async fn client_policy(&self, client: &ClientId) -> StoreResult<ClientPolicy> {
        let row = sqlx::query(
            "SELECT minimum_age, fraud_routing, retention_files_days, retention_data_days FROM client_policies WHERE client_id = $1",
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
            },
            None => ClientPolicy::default(),
        })
    }

    async fn set_client_policy(&self, client: &ClientId, policy: &ClientPolicy) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO client_policies (client_id, minimum_age, fraud_routing, retention_files_days, retention_data_days) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (client_id) DO UPDATE SET minimum_age = excluded.minimum_age, \
             fraud_routing = excluded.fraud_routing, retention_files_days = excluded.retention_files_days, \
             retention_data_days = excluded.retention_data_days",
        )
        .bind(client.as_str())
        .bind(policy.minimum_age)
        .bind(&policy.fraud_routing)
        .bind(policy.retention_files_days)
        .bind(policy.retention_data_days)
        .execute(&mut **tx)
        .await?;
        tx.commit().await
    }
}
