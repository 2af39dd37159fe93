//! Writes as plans: the statements a change makes, built (sealed, serialised) before any
//! connection or lock is held, then run by the backend's executor: sqlx inside a transaction
//! ([`Plan::run`]), or SQLite's native writer ([`super::native`]), which runs a whole group
//! commit's plans on one thread with no hand-off per statement.

use crate::{Conflict, StoreError, StoreResult};

use super::WriteTx;
use super::rows::is_unique_violation;

/// A bound value. NULLs keep their type: PostgreSQL refuses a text NULL in a BIGINT column.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_owned()))
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(Some(v.clone()))
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}

impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Value::Text(v.map(str::to_owned))
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::Text(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}

/// One statement of a plan: SQL with `$1..$n` placeholders and their values, in order.
#[derive(Clone, Debug)]
pub(crate) struct Statement {
    pub(crate) sql: &'static str,
    pub(crate) values: Vec<Value>,
    /// An update guarded by the version read: it must change exactly one row, or the object
    /// moved since ([`Conflict::Stale`]).
    pub(crate) versioned: bool,
    /// What breaking a uniqueness rule means here; `None`: a database error.
    pub(crate) on_unique: Option<Conflict>,
    /// An insert into the webhook outbox: the rows it writes are deliveries to wake a worker for.
    pub(crate) queues_deliveries: bool,
}

/// The statements of one change, run in order inside one transaction.
#[derive(Clone, Debug, Default)]
pub(crate) struct Plan {
    pub(crate) statements: Vec<Statement>,
}

impl Plan {
    /// Adds a statement whose outcome needs no check.
    pub(crate) fn add(&mut self, sql: &'static str, values: Vec<Value>) -> &mut Statement {
        self.statements.push(Statement {
            sql,
            values,
            versioned: false,
            on_unique: None,
            queues_deliveries: false,
        });
        self.statements.last_mut().expect("just pushed")
    }

    /// Adds an insert into the webhook outbox (see [`Statement::queues_deliveries`]).
    pub(crate) fn add_delivery(&mut self, sql: &'static str, values: Vec<Value>) {
        self.add(sql, values).queues_deliveries = true;
    }

    /// Adds an update that must change exactly one row (see [`Statement::versioned`]).
    pub(crate) fn add_versioned(&mut self, sql: &'static str, values: Vec<Value>) {
        self.add(sql, values).versioned = true;
    }

    /// Runs every statement inside `tx` (the caller commits); whether it queued webhook
    /// deliveries.
    pub(crate) async fn run(&self, tx: &mut WriteTx) -> StoreResult<bool> {
        let mut queued = false;
        for s in &self.statements {
            let result = bind_values(sqlx::query(s.sql), &s.values).execute(&mut ***tx).await;
            queued |= s.settle(result.map(|done| done.rows_affected()), is_unique_violation)?;
        }
        Ok(queued)
    }
}

impl Statement {
    /// The statement's outcome under its rules, from the rows it changed or its error (each
    /// executor says whether its driver's error broke a uniqueness rule): whether it queued
    /// webhook deliveries.
    pub(crate) fn settle<E: Into<StoreError>>(
        &self,
        result: Result<u64, E>,
        is_unique_violation: impl Fn(&E) -> bool,
    ) -> StoreResult<bool> {
        match result {
            Ok(changed) if self.versioned && changed != 1 => Err(StoreError::Conflict(Conflict::Stale)),
            Ok(changed) => Ok(self.queues_deliveries && changed > 0),
            Err(e) => match self.on_unique {
                Some(conflict) if is_unique_violation(&e) => Err(StoreError::Conflict(conflict)),
                _ => Err(e.into()),
            },
        }
    }
}

/// Binds `values` to `query`'s `$1..$n`, in order.
pub(crate) fn bind_values<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    values: &'q [Value],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for v in values {
        query = match v {
            Value::Text(t) => query.bind(t.as_deref()),
            Value::Int(i) => query.bind(*i),
        };
    }
    query
}
