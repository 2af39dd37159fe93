//! SQLite's native writer: one thread holding one connection of its own (rusqlite, on the same
//! SQLite library sqlx links), which commits each group-commit batch in one transaction.
//!
//! Through sqlx every statement is a round trip between the async task and the connection's
//! worker thread (two context switches); here a batch of planned changesets runs start to
//! finish on one thread (about 60 us of the writer per create here, most of it the WAL write
//! and fsync the batch shares). The thread takes the process's SQLite write slot like every
//! other writer, and `busy_timeout` still arbitrates with other processes. [`Readers`] serve
//! the API's point reads the same way.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use rusqlite::{Connection, ErrorCode, OpenFlags};
use tokio::sync::{Mutex, mpsc};

use super::SQLITE_PRAGMAS;
use super::group_commit::{Queued, batch_failure, fill_batch};
use super::plan::{Plan, Statement, Value};
use crate::{StoreError, StoreResult};

/// Opens the writer's connection and starts its thread.
pub(crate) fn start_writer(
    path: PathBuf,
    write_lock: Arc<Mutex<()>>,
    mut receiver: mpsc::Receiver<Queued>,
    outbox: Arc<tokio::sync::Notify>,
) -> StoreResult<()> {
    let conn = open(&path)?;
    std::thread::Builder::new()
        .name("verity-sqlite-writer".into())
        .spawn(move || {
            while let Some(first) = receiver.blocking_recv() {
                let batch = fill_batch(first, &mut receiver);
                let (outcomes, queued) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let _slot = write_lock.blocking_lock();
                    write_batch(&conn, &batch)
                }))
                .unwrap_or_else(|_| {
                    // A bug must cost this batch, not every later write: nothing of it is kept.
                    let _ = conn.execute_batch("ROLLBACK");
                    tracing::error!(changesets = batch.len(), "the SQLite writer failed a batch (panic)");
                    let failed = batch
                        .iter()
                        .map(|_| Err(StoreError::Sqlite("the SQLite writer failed this batch".into())))
                        .collect();
                    (failed, false)
                });
                if queued {
                    outbox.notify_one();
                }
                for (q, outcome) in batch.into_iter().zip(outcomes) {
                    let _ = q.done.send(outcome);
                }
            }
        })
        .map_err(|e| StoreError::Corrupt(format!("cannot start the SQLite writer thread: {e}")))?;
    Ok(())
}

/// A connection to the database file with the settings every Verity connection has.
pub(crate) fn open(path: &std::path::Path) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.execute_batch(SQLITE_PRAGMAS)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Each changeset's outcome once the batch's transaction is committed (or failed): first all
/// in one go; when one fails, again with each in a savepoint of its own. Also whether the
/// committed batch queued webhook deliveries.
fn write_batch(conn: &Connection, batch: &[Queued]) -> (Vec<StoreResult<()>>, bool) {
    let failed = |e: &StoreError| (batch.iter().map(|_| Err(batch_failure(e))).collect(), false);
    if let Err(e) = begin(conn) {
        return failed(&e);
    }
    let (mut outcomes, mut queued) = (Vec::with_capacity(batch.len()), false);
    for q in batch {
        match run(conn, &q.plan) {
            Ok(delivers) => {
                queued |= delivers;
                outcomes.push(Ok(()));
            }
            Err(e) if batch.len() == 1 => {
                let _ = conn.execute_batch("ROLLBACK");
                return (vec![Err(e)], false);
            }
            Err(_) => break,
        }
    }
    if outcomes.len() < batch.len() {
        let _ = conn.execute_batch("ROLLBACK");
        if let Err(e) = begin(conn) {
            return failed(&e);
        }
        queued = false;
        outcomes = batch
            .iter()
            .map(|q| {
                let outcome = run_in_savepoint(conn, &q.plan);
                queued |= matches!(outcome, Ok(true));
                outcome.map(|_| ())
            })
            .collect();
    }
    match conn.execute_batch("COMMIT") {
        Ok(()) => (outcomes, queued),
        Err(e) => {
            let e = StoreError::from(e);
            // A failed COMMIT may leave the transaction open; nothing of it may survive.
            let _ = conn.execute_batch("ROLLBACK");
            let outcomes = outcomes
                .into_iter()
                .map(|o| o.and_then(|()| Err(batch_failure(&e))))
                .collect();
            (outcomes, false)
        }
    }
}

/// The write lock up front, as every Verity writer takes it (see `SqlStore::begin_write`).
fn begin(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    Ok(())
}

fn run_in_savepoint(conn: &Connection, plan: &Plan) -> StoreResult<bool> {
    conn.execute_batch("SAVEPOINT changeset")?;
    let outcome = run(conn, plan);
    if outcome.is_err() {
        conn.execute_batch("ROLLBACK TO SAVEPOINT changeset")?;
    }
    conn.execute_batch("RELEASE SAVEPOINT changeset")?;
    outcome
}

/// Runs a plan's statements in order on `conn`; whether it queued webhook deliveries.
pub(crate) fn run(conn: &Connection, plan: &Plan) -> StoreResult<bool> {
    let mut queued = false;
    for s in &plan.statements {
        queued |= s.settle(execute(conn, s).map(|n| n as u64), is_unique_violation)?;
    }
    Ok(queued)
}

/// Executes one statement; its `$n` placeholders are SQLite named parameters, bound by number.
fn execute(conn: &Connection, s: &Statement) -> rusqlite::Result<usize> {
    let mut stmt = conn.prepare_cached(s.sql)?;
    bind(&mut stmt, &s.values)?;
    stmt.raw_execute()
}

/// Binds `values` to `$1..$n` wherever each appears.
pub(crate) fn bind(stmt: &mut rusqlite::CachedStatement<'_>, values: &[Value]) -> rusqlite::Result<()> {
    for index in 1..=stmt.parameter_count() {
        let number = stmt
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| (1..=values.len()).contains(n))
            .ok_or(rusqlite::Error::InvalidParameterCount(index, values.len()))?;
        match &values[number - 1] {
            Value::Text(Some(t)) => stmt.raw_bind_parameter(index, t.as_str())?,
            Value::Int(Some(i)) => stmt.raw_bind_parameter(index, i)?,
            Value::Text(None) | Value::Int(None) => stmt.raw_bind_parameter(index, rusqlite::types::Null)?,
        }
    }
    Ok(())
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.code == ErrorCode::ConstraintViolation
            && matches!(f.extended_code, rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY))
}

/// Connections kept for point reads at most; a burst beyond opens more and closes them after.
const READERS: usize = 8;

/// Native connections for the API's point reads (a session, a user, a stored response by key).
///
/// A read runs on the calling async worker thread itself: a lookup by key is a few
/// microseconds of B-tree walk in pages SQLite or the OS already caches, less than the two
/// thread hand-offs sqlx's driver would cost, and WAL readers never wait for the writer.
/// Scans and anything that may take long stay on sqlx.
pub(crate) struct Readers {
    path: PathBuf,
    idle: std::sync::Mutex<Vec<Connection>>,
    /// Each statement's column names, in order: a column is found by an exact comparison in
    /// this list instead of rusqlite's, which asks SQLite for every name at every lookup.
    columns: std::sync::Mutex<HashMap<&'static str, Arc<[String]>>>,
}

impl Readers {
    pub(crate) fn new(path: PathBuf) -> Readers {
        Readers {
            path,
            idle: std::sync::Mutex::new(Vec::new()),
            columns: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The one row `sql` finds with `values` bound (or none), mapped by `map`.
    pub(crate) fn fetch_optional<T>(
        &self,
        sql: &'static str,
        values: &[Value],
        map: impl Fn(&dyn super::rows::Columns) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        let taken = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match taken {
            Some(conn) => conn,
            None => open(&self.path)?,
        };
        let found = (|| -> StoreResult<Option<T>> {
            let mut stmt = conn.prepare_cached(sql)?;
            let names = self.column_names(sql, &stmt);
            bind(&mut stmt, values)?;
            let mut rows = stmt.raw_query();
            match rows.next()? {
                Some(row) => map(&NamedRow { row, names: &names }).map(Some),
                None => Ok(None),
            }
        })();
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < READERS {
            idle.push(conn);
        }
        found
    }

    fn column_names(&self, sql: &'static str, stmt: &rusqlite::Statement<'_>) -> Arc<[String]> {
        let mut columns = self.columns.lock().unwrap_or_else(|p| p.into_inner());
        columns
            .entry(sql)
            .or_insert_with(|| stmt.column_names().into_iter().map(str::to_owned).collect())
            .clone()
    }
}

/// A native row whose columns are found by name in its statement's list.
pub(crate) struct NamedRow<'a> {
    row: &'a rusqlite::Row<'a>,
    names: &'a [String],
}

impl NamedRow<'_> {
    fn get<T: rusqlite::types::FromSql>(&self, name: &str) -> StoreResult<T> {
        let index = self
            .names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| StoreError::Database(sqlx::Error::ColumnNotFound(name.to_owned())))?;
        Ok(self.row.get(index)?)
    }
}

impl super::rows::Columns for NamedRow<'_> {
    fn text(&self, name: &str) -> StoreResult<String> {
        self.get(name)
    }
    fn opt_text(&self, name: &str) -> StoreResult<Option<String>> {
        self.get(name)
    }
    fn int(&self, name: &str) -> StoreResult<i64> {
        self.get(name)
    }
    fn opt_int(&self, name: &str) -> StoreResult<Option<i64>> {
        self.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Conflict;

    fn table() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (id TEXT PRIMARY KEY, a TEXT, n BIGINT, version BIGINT)")
            .unwrap();
        conn
    }

    fn insert(plan: &mut Plan, id: &str, a: Option<&str>, n: Option<i64>) {
        plan.add(
            "INSERT INTO t (id, a, n, version) VALUES ($1, $2, $3, 0)",
            vec![id.into(), a.into(), n.into()],
        )
        .on_unique = Some(Conflict::IdempotencyKey);
    }

    #[test]
    fn a_plan_says_whether_it_queued_deliveries() {
        let conn = table();
        conn.execute_batch("CREATE TABLE outbox (id TEXT)").unwrap();
        let delivery = |plan: &mut Plan, from: &str| {
            plan.add_delivery(
                "INSERT INTO outbox (id) SELECT id FROM t WHERE a = $1",
                vec![from.into()],
            )
        };
        let mut plan = Plan::default();
        insert(&mut plan, "x", Some("hooked"), None);
        assert!(!run(&conn, &plan).unwrap(), "an insert elsewhere queues nothing");
        let mut none = Plan::default();
        delivery(&mut none, "nobody");
        assert!(!run(&conn, &none).unwrap(), "an outbox insert that wrote no row");
        let mut one = Plan::default();
        delivery(&mut one, "hooked");
        assert!(run(&conn, &one).unwrap());
    }

    #[test]
    fn placeholders_bind_by_number_wherever_they_appear() {
        let conn = table();
        let mut plan = Plan::default();
        insert(&mut plan, "x", None, None);
        // `$3` first and `$1` twice: a positional binder would put values in the wrong places.
        plan.add(
            "UPDATE t SET n = $3, a = $2 || $1 WHERE id = $1",
            vec!["x".into(), "a-".into(), 42_i64.into()],
        );
        run(&conn, &plan).unwrap();
        let (a, n): (String, i64) = conn
            .query_row("SELECT a, n FROM t WHERE id = 'x'", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!((a.as_str(), n), ("a-x", 42));
    }

    #[test]
    fn typed_nulls_are_stored_as_null() {
        let conn = table();
        let mut plan = Plan::default();
        insert(&mut plan, "x", None, None);
        run(&conn, &plan).unwrap();
        let nulls: i64 = conn
            .query_row("SELECT COUNT(*) FROM t WHERE a IS NULL AND n IS NULL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(nulls, 1);
    }

    #[test]
    fn a_broken_uniqueness_rule_is_the_statements_conflict() {
        let conn = table();
        let mut plan = Plan::default();
        insert(&mut plan, "x", Some("first"), None);
        run(&conn, &plan).unwrap();
        let again = run(&conn, &plan).unwrap_err();
        assert!(
            matches!(again, StoreError::Conflict(Conflict::IdempotencyKey)),
            "{again:?}"
        );
    }

    #[test]
    fn a_versioned_update_that_matches_no_row_is_stale() {
        let conn = table();
        let mut plan = Plan::default();
        insert(&mut plan, "x", None, None);
        run(&conn, &plan).unwrap();
        let mut update = Plan::default();
        update.add_versioned(
            "UPDATE t SET version = version + 1 WHERE id = $1 AND version = $2",
            vec!["x".into(), 7_i64.into()],
        );
        let stale = run(&conn, &update).unwrap_err();
        assert!(matches!(stale, StoreError::Conflict(Conflict::Stale)), "{stale:?}");
    }

    #[test]
    fn a_placeholder_without_a_value_is_an_error_not_a_null() {
        let conn = table();
        let mut plan = Plan::default();
        plan.add("INSERT INTO t (id, a) VALUES ($1, $2)", vec!["x".into()]);
        assert!(run(&conn, &plan).is_err());
        let rows: i64 = conn.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 0);
    }
}
