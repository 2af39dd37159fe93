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
use verity_domain::kyc::{KycDocument, KycStatus, KycType};
use verity_domain::psc::{Psc, PscId};
use verity_domain::sandbox::Directive;
use verity_domain::session::{Check, SessionFlow, SessionLanguage, SessionStatus};
use verity_domain::{Client, ClientId, Environment, IdvSession, SessionId, UnixTime, User, UserId};

mod access_lease;
mod back_office;
mod clients;
mod engine;
mod event_counts;
mod group_commit;
mod health;
mod hosted;
pub(crate) mod keys;
mod kyc;
mod mail;
mod native;
mod plan;
mod pscs;
mod quota;
mod rows;
mod sessions;
mod signals;
mod ubo;
mod unnest;
mod webhooks;
mod workspace;

use plan::{Plan, Value, bind_values};
use rows::*;

use crate::Conflict;
use crate::prelude::*;
use crate::sealing::Sealer;
use crate::{
    AttemptRecord, AuditEntry, BlobMeta, BlobOwner, Changeset, CheckJob, ClientCredentials, ClientPolicy, DeliveryJob,
    DeliverySummary, EventFilter, FingerprintMatch, FinishedAttempt, InvalidHook, InvalidationRule, JobOutcome,
    KycFilter, MailJob, MailKind, MailOutcome, MailRecord, NextStep, Page, PageRequest, SharedCount, SortDirection,
    StaffRecord, StaffSession, StoreError, StoreResult, StoredResponse, Write,
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
    /// Where changesets queue to be committed together; `None` inside the committers themselves.
    group: Option<group_commit::GroupCommit>,
    /// SQLite on a file: native connections for point reads.
    readers: Option<Arc<native::Readers>>,
    /// Verified access tokens, dropped as soon as any process changes API access.
    signals: Arc<signals::Signals>,
    /// Shared rate-limit calls this process took in blocks (PostgreSQL).
    leases: Arc<quota::Leases>,
    /// Every hour of events before this is rolled up (as far as this process knows: a stale
    /// value only means counting more events one by one).
    rolled_until: Arc<std::sync::atomic::AtomicI64>,
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

    pub(crate) async fn rollback(self) -> StoreResult<()> {
        self.tx.rollback().await?;
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

/// A pooled connection idle for this long is checked with a ping before it is used again.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// Checks a connection idle for a while (the database may have restarted meanwhile); one used
/// within the last second is taken as it is. sqlx's own check pings before every use: a second
/// round trip for every query, which on PostgreSQL was half of a view's round trips.
async fn ping_if_idle(
    conn: &mut sqlx::AnyConnection,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> Result<bool, sqlx::Error> {
    if meta.idle_for >= PING_AFTER_IDLE {
        sqlx::Connection::ping(conn).await?;
    }
    Ok(true)
}

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
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| Box::pin(ping_if_idle(conn, meta)))
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
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| Box::pin(ping_if_idle(conn, meta)))
                    .connect_with(options)
                    .await?
            }
        };
        let signals = Arc::new(signals::Signals::new(dialect, &url)?);
        let mut store = SqlStore {
            pool,
            dialect,
            write_lock: Arc::new(tokio::sync::Mutex::new(())),
            sealer,
            group: None,
            readers: None,
            signals,
            leases: Arc::default(),
            rolled_until: Arc::default(),
        };
        store.group = Some(match dialect {
            // An in-memory database is seen by the pool's one connection alone.
            Dialect::Sqlite if url.contains(":memory:") => group_commit::GroupCommit::start(store.clone(), 1),
            Dialect::Sqlite => {
                let file = sqlx::sqlite::SqliteConnectOptions::from_str(&url)?
                    .get_filename()
                    .to_owned();
                store.readers = Some(Arc::new(native::Readers::new(file.clone())));
                group_commit::GroupCommit::start_native(file, store.write_lock.clone(), store.signals.outbox.clone())?
            }
            // Two committers: one batch's round trips overlap the other's commit, and batches
            // stay large enough to group (session creates/s here with 1, 2, 3, 4 and 8:
            // 6,144-6,278, 5,685-6,065, 4,917-5,883, 4,935-5,314, 4,571-4,610); one alone
            // would serialise the statement-by-statement batches of mixed writes.
            Dialect::Postgres => group_commit::GroupCommit::start(store.clone(), 2),
        });
        Ok(store)
    }

    pub fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The schema version the database is at, `None` when it holds no Verity schema.
    pub async fn schema_version(&self) -> StoreResult<Option<i64>> {
        match sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
            .fetch_one(&self.pool)
            .await
        {
            Ok(row) => Ok(Some(row.try_get("v")?)),
            // No such table: nothing of Verity's was ever written here.
            Err(sqlx::Error::Database(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
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

    /// The one row `sql` finds (or none), mapped by `map`: through SQLite's native readers when
    /// this store has them, through the pool otherwise. For lookups by key only.
    async fn fetch_optional<T>(
        &self,
        sql: &'static str,
        values: &[plan::Value],
        map: impl Fn(&dyn Columns) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        if let Some(readers) = &self.readers {
            return readers.fetch_optional(sql, values, map);
        }
        plan::bind_values(sqlx::query(sql), values)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(|r| map(r))
            .transpose()
    }

    /// Runs one statement in a write transaction of its own.
    async fn write_one(&self, sql: &'static str, binds: &[Value]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        bind_values(sqlx::query(sql), binds).execute(&mut **tx).await?;
        tx.commit().await
    }

    /// One page of rows of `from_where` (a table and a filter on `$1..$n`, bound to `binds`),
    /// sorted on `sort_column` then id, with the total count. Only placeholders are
    /// interpolated into the SQL; every value is bound.
    async fn page_of<T>(
        &self,
        from_where: &str,
        binds: &[Value],
        columns: &str,
        sort_column: &str,
        page: PageRequest,
        map: impl Fn(&AnyRow) -> StoreResult<T>,
    ) -> StoreResult<Page<T>> {
        let count = bind_values(
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) AS n FROM {from_where}"))),
            binds,
        );
        let total: i64 = count.fetch_one(&self.pool).await?.try_get("n")?;
        self.page_counted(from_where, binds, columns, sort_column, page, map, total)
            .await
    }

    /// One page of rows, the total being counted already.
    #[allow(clippy::too_many_arguments)]
    async fn page_counted<T>(
        &self,
        from_where: &str,
        binds: &[Value],
        columns: &str,
        sort_column: &str,
        page: PageRequest,
        map: impl Fn(&AnyRow) -> StoreResult<T>,
        total: i64,
    ) -> StoreResult<Page<T>> {
        let direction = match page.direction {
            SortDirection::Asc => "ASC",
            SortDirection::Desc => "DESC",
        };
        let (limit, offset) = (binds.len() + 1, binds.len() + 2);
        let list = bind_values(
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {columns} FROM {from_where} ORDER BY {sort_column} {direction}, id {direction} LIMIT ${limit} OFFSET ${offset}"
            ))),
            binds,
        );
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
        self.signals.stop();
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

/// Queues a session's check job; a job already queued stays as it is.
const ENQUEUE_CHECKS: &str = "INSERT INTO check_jobs (session_id, client_id, state, attempts, run_after_ms, locked_until_ms) \
     VALUES ($1, $2, 'pending', 0, $3, 0) ON CONFLICT (session_id) DO NOTHING";
