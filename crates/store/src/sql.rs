//! The SQL implementation of [`Store`], shared by SQLite and PostgreSQL through sqlx's `Any`
//! driver. Columns are TEXT and BIGINT only so every statement runs unchanged on both.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row, Transaction};
use verity_domain::session::{Check, SessionStatus};
use verity_domain::{Client, ClientId, Environment, IdvSession, SessionId, UnixTime, User, UserId};

use crate::{
    ClientCredentials, Page, PageRequest, SortDirection, Store, StoreError, StoreResult, StoredResponse,
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
    pub async fn connect(url: &str) -> StoreResult<SqlStore> {
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
        Ok(SqlStore { pool, dialect, write_lock: Arc::new(tokio::sync::Mutex::new(())) })
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
                WriteTx { tx: self.pool.begin_with("BEGIN IMMEDIATE").await?, _slot: Some(slot) }
            }
            Dialect::Postgres => WriteTx { tx: self.pool.begin().await?, _slot: None },
        })
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
            created_at: row.try_get("created_at")?,
        },
        api_key_hash: row.try_get("api_key_hash")?,
    })
}

fn user_from_row(row: &AnyRow) -> StoreResult<User> {
    let data: String = row.try_get("data")?;
    serde_json::from_str(&data).map_err(|e| corrupt("user record", e))
}

fn session_from_row(row: &AnyRow) -> StoreResult<IdvSession> {
    let status: String = row.try_get("status")?;
    let checks: String = row.try_get("checks")?;
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
    })
}

fn response_from_row(row: &AnyRow) -> StoreResult<StoredResponse> {
    Ok(StoredResponse {
        key: row.try_get("idem_key")?,
        created_at: row.try_get("created_at")?,
        status_code: u16::try_from(row.try_get::<i64, _>("status_code")?).map_err(|e| corrupt("status code", e))?,
        content_type: row.try_get("content_type")?,
        body: row.try_get("body")?,
        request_url: row.try_get("request_url")?,
    })
}

fn user_json(user: &User) -> StoreResult<String> {
    serde_json::to_string(user).map_err(|e| corrupt("user record", e))
}

async fn insert_response(
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
    .bind(&r.body)
    .bind(&r.request_url)
    .execute(&mut ***tx)
    .await;
    match result {
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict("idempotency_key")),
        other => other.map(|_| ()).map_err(Into::into),
    }
}

fn order(direction: SortDirection) -> &'static str {
    match direction {
        SortDirection::Asc => "ORDER BY created_at ASC, id ASC",
        SortDirection::Desc => "ORDER BY created_at DESC, id DESC",
    }
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
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict("client_id")),
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
        sqlx::query("DELETE FROM access_tokens WHERE client_id = $1").bind(id.as_str()).execute(&mut **tx).await?;
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
        Ok(sqlx::query("DELETE FROM access_tokens WHERE expires_at <= $1").bind(now).execute(&self.pool).await?.rows_affected())
    }

    async fn insert_user(&self, user: &User, response: Option<&StoredResponse>) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        if let Some(r) = response {
            insert_response(&mut tx, &user.client_id, r).await?;
        }
        sqlx::query(
            "INSERT INTO users (id, client_id, person_type, category, status, kyc_level, created_at, sca_token, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(user.id.as_str())
        .bind(user.client_id.as_str())
        .bind(format!("{:?}", user.person_type()).to_uppercase())
        .bind(user.category.as_str())
        .bind(user.status.as_str())
        .bind(user.kyc_level.as_str())
        .bind(user.created_at)
        .bind(user.pending_sca_token.as_deref())
        .bind(user_json(user)?)
        .execute(&mut **tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn update_user(&self, user: &User, response: Option<&StoredResponse>) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        if let Some(r) = response {
            insert_response(&mut tx, &user.client_id, r).await?;
        }
        sqlx::query(
            "UPDATE users SET category = $1, status = $2, kyc_level = $3, sca_token = $4, data = $5 \
             WHERE id = $6 AND client_id = $7",
        )
        .bind(user.category.as_str())
        .bind(user.status.as_str())
        .bind(user.kyc_level.as_str())
        .bind(user.pending_sca_token.as_deref())
        .bind(user_json(user)?)
        .bind(user.id.as_str())
        .bind(user.client_id.as_str())
        .execute(&mut **tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn user(&self, client: &ClientId, id: &UserId) -> StoreResult<Option<User>> {
        sqlx::query("SELECT data FROM users WHERE client_id = $1 AND id = $2")
            .bind(client.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    async fn user_by_sca_token(&self, token: &str) -> StoreResult<Option<User>> {
        sqlx::query("SELECT data FROM users WHERE sca_token = $1")
            .bind(token)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    async fn users(&self, client: &ClientId, page: PageRequest) -> StoreResult<Page<User>> {
        let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE client_id = $1")
            .bind(client.as_str())
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let sql = format!("SELECT data FROM users WHERE client_id = $1 {} LIMIT $2 OFFSET $3", order(page.direction));
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(client.as_str())
            .bind(i64::from(page.per_page))
            .bind(page.offset())
            .fetch_all(&self.pool)
            .await?;
        Ok(Page { items: rows.iter().map(user_from_row).collect::<StoreResult<_>>()?, total_items: total as u64 })
    }

    async fn insert_session(&self, s: &IdvSession, response: Option<&StoredResponse>) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        if let Some(r) = response {
            insert_response(&mut tx, &s.client_id, r).await?;
        }
        sqlx::query(
            "INSERT INTO idv_sessions (id, client_id, user_id, status, hosted_token, return_url, tag, created_at, updated_at, checks) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
        .bind(serde_json::to_string(&s.checks).map_err(|e| corrupt("session checks", e))?)
        .execute(&mut **tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(&self, client: &ClientId, id: &SessionId) -> StoreResult<Option<IdvSession>> {
        sqlx::query("SELECT * FROM idv_sessions WHERE client_id = $1 AND id = $2")
            .bind(client.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(session_from_row)
            .transpose()
    }

    async fn session_by_token(&self, token: &str) -> StoreResult<Option<IdvSession>> {
        sqlx::query("SELECT * FROM idv_sessions WHERE hosted_token = $1")
            .bind(token)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(session_from_row)
            .transpose()
    }

    async fn sessions_of_user(&self, client: &ClientId, user: &UserId, page: PageRequest) -> StoreResult<Page<IdvSession>> {
        let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM idv_sessions WHERE client_id = $1 AND user_id = $2")
            .bind(client.as_str())
            .bind(user.as_str())
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let sql = format!(
            "SELECT * FROM idv_sessions WHERE client_id = $1 AND user_id = $2 {} LIMIT $3 OFFSET $4",
            order(page.direction)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(client.as_str())
            .bind(user.as_str())
            .bind(i64::from(page.per_page))
            .bind(page.offset())
            .fetch_all(&self.pool)
            .await?;
        Ok(Page { items: rows.iter().map(session_from_row).collect::<StoreResult<_>>()?, total_items: total as u64 })
    }

    async fn stored_response(&self, client: &ClientId, key: &str) -> StoreResult<Option<StoredResponse>> {
        sqlx::query("SELECT * FROM idempotency_keys WHERE client_id = $1 AND idem_key = $2")
            .bind(client.as_str())
            .bind(key)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(response_from_row)
            .transpose()
    }

    async fn insert_stored_response(&self, client: &ClientId, response: &StoredResponse) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        insert_response(&mut tx, client, response).await?;
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
}
