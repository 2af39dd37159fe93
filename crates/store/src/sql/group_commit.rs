//! Group commit: concurrent changesets share one transaction, so many API writes pay for one
//! durable commit (one fsync on SQLite, one WAL flush on PostgreSQL) instead of one each.
//!
//! Writers queue their changeset and wait; a committer takes everything queued (up to
//! [`MAX_BATCH`]), applies each inside a savepoint of one transaction and commits it. A changeset
//! that fails (a stale version, an `Idempotency-Key` already used) is rolled back to its
//! savepoint and gets its own error; the others still commit. Nobody is answered before the
//! commit returns, so an acknowledged write is durable; a failed commit fails the whole batch.
//!
//! A changeset is planned (sealed, serialised) by its writer before it queues, so the
//! committers only run statements: sqlx tasks on PostgreSQL, SQLite's native writer thread
//! ([`super::native`]) on a SQLite file.

use std::sync::Arc;

use tokio::sync::{Mutex, mpsc, oneshot};

use super::plan::Plan;
use super::*;

/// Changesets committed together at most; bounds a transaction's size and a batch's latency.
const MAX_BATCH: usize = 256;

/// Writers waiting at most; beyond it `commit` waits for room (back-pressure, bounded memory).
const QUEUE: usize = 4096;

pub(crate) struct Queued {
    pub(crate) plan: Plan,
    /// The client and `Idempotency-Key` the changeset stores a response under, if any.
    idempotency_key: Option<(String, String)>,
    pub(crate) done: oneshot::Sender<StoreResult<()>>,
}

/// The queue in front of the committers.
#[derive(Clone)]
pub(crate) struct GroupCommit {
    queue: mpsc::Sender<Queued>,
}

impl GroupCommit {
    /// Starts SQLite's native writer on the database file at `path`; it stops when every
    /// sender is dropped. `outbox` is woken when a batch queued webhook deliveries.
    pub(crate) fn start_native(
        path: std::path::PathBuf,
        write_lock: Arc<Mutex<()>>,
        outbox: Arc<tokio::sync::Notify>,
    ) -> StoreResult<GroupCommit> {
        let (queue, receiver) = mpsc::channel(QUEUE);
        super::native::start_writer(path, write_lock, receiver, outbox)?;
        Ok(GroupCommit { queue })
    }

    /// Starts `committers` tasks writing through `store` (PostgreSQL: several, so round trips
    /// overlap). They stop when every sender is dropped.
    pub(crate) fn start(store: SqlStore, committers: usize) -> GroupCommit {
        let (queue, receiver) = mpsc::channel(QUEUE);
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..committers.max(1) {
            let (store, receiver) = (store.clone(), receiver.clone());
            tokio::spawn(async move {
                while let Some(batch) = next_batch(&receiver).await {
                    store.commit_batch(batch).await;
                }
            });
        }
        GroupCommit { queue }
    }

    /// Commits `changes` with whatever else is waiting; returns once it is durable.
    pub(crate) async fn commit(&self, changes: &Changeset, plan: Plan) -> StoreResult<()> {
        let (done, answer) = oneshot::channel();
        let queued = Queued {
            plan,
            idempotency_key: changes
                .response
                .as_ref()
                .map(|r| (changes.client.as_str().to_owned(), r.key.clone())),
            done,
        };
        if self.queue.send(queued).await.is_err() {
            return Err(stopped());
        }
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }
}

pub(crate) fn stopped() -> StoreError {
    StoreError::Database(sqlx::Error::PoolClosed)
}

/// Everything queued, up to [`MAX_BATCH`]; `None` once the queue is closed and empty.
async fn next_batch(receiver: &Mutex<mpsc::Receiver<Queued>>) -> Option<Vec<Queued>> {
    let mut receiver = receiver.lock().await;
    let first = receiver.recv().await?;
    Some(fill_batch(first, &mut receiver))
}

/// `first` and whatever else is queued already, up to [`MAX_BATCH`].
pub(crate) fn fill_batch(first: Queued, receiver: &mut mpsc::Receiver<Queued>) -> Vec<Queued> {
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match receiver.try_recv() {
            Ok(next) => batch.push(next),
            Err(_) => break,
        }
    }
    batch
}

/// Times a changeset that lost a deadlock is written again.
const MAX_RETRIES: usize = 3;

/// PostgreSQL chose this transaction to break a deadlock (40P01) or a serialization conflict
/// (40001): writing it again succeeds or meets the other's committed result.
fn lost_a_deadlock(e: &StoreError) -> bool {
    matches!(e, StoreError::Database(sqlx::Error::Database(d)) if matches!(d.code().as_deref(), Some("40P01" | "40001")))
}

/// The same failure for every writer of a batch (sqlx errors cannot be cloned).
pub(crate) fn batch_failure(e: &StoreError) -> StoreError {
    match e {
        StoreError::Database(sqlx::Error::PoolTimedOut) => StoreError::Database(sqlx::Error::PoolTimedOut),
        StoreError::Database(sqlx::Error::PoolClosed) => stopped(),
        other => StoreError::Database(sqlx::Error::Protocol(format!("the group commit failed: {other}"))),
    }
}

impl SqlStore {
    /// Writes a batch; changesets that lost a deadlock to another committer's batch (two
    /// batches inserting the same keys in crossed order) are written again, up to three times.
    async fn commit_batch(&self, mut batch: Vec<Queued>) {
        // Every batch writes its `Idempotency-Key`s in the same order, so two batches holding
        // the same keys wait for each other instead of deadlocking.
        batch.sort_by(|a, b| a.idempotency_key.cmp(&b.idempotency_key));
        let mut pending = batch;
        for round in 0..=MAX_RETRIES {
            let outcomes = self.write_batch(&pending).await;
            let mut again = Vec::new();
            for (q, outcome) in pending.into_iter().zip(outcomes) {
                match outcome {
                    Err(e) if round < MAX_RETRIES && lost_a_deadlock(&e) => again.push(q),
                    outcome => {
                        let _ = q.done.send(outcome);
                    }
                }
            }
            if again.is_empty() {
                return;
            }
            pending = again;
        }
    }

    /// Each changeset's outcome once the batch's transaction is committed (or failed). A batch
    /// that queued webhook deliveries wakes this process's worker once committed, and on
    /// PostgreSQL every other process's (a batch that queued none wakes nobody).
    async fn write_batch(&self, batch: &[Queued]) -> Vec<StoreResult<()>> {
        let failed = |e: &StoreError| batch.iter().map(|_| Err(batch_failure(e))).collect();
        let mut tx = match self.begin_write().await {
            Ok(tx) => tx,
            Err(e) => return failed(&e),
        };
        // Optimistically without savepoints (two round trips less per changeset): when one
        // fails, the batch starts again with each changeset in a savepoint of its own (one
        // changeset alone needs none: its failure is the batch's). On PostgreSQL changesets of
        // one shape are written together, a statement for all of them ([`super::unnest`]).
        let (mut outcomes, mut queued) = (Vec::with_capacity(batch.len()), false);
        let attempt = if batch.len() == 1 {
            batch[0].plan.run(&mut tx).await
        } else if self.dialect == Dialect::Postgres {
            let plans: Vec<&Plan> = batch.iter().map(|q| &q.plan).collect();
            super::unnest::run_grouped(&mut tx, &plans).await
        } else {
            run_in_turn(&mut tx, batch).await
        };
        match attempt {
            Ok(delivers) => {
                queued = delivers;
                outcomes.extend(batch.iter().map(|_| Ok(())));
            }
            Err(e) if batch.len() == 1 => return vec![Err(e)],
            Err(_) => {}
        }
        if outcomes.len() < batch.len() {
            let _ = tx.rollback().await;
            tx = match self.begin_write().await {
                Ok(tx) => tx,
                Err(e) => return failed(&e),
            };
            outcomes.clear();
            queued = false;
            for q in batch {
                let outcome = apply_in_savepoint(&mut tx, &q.plan).await;
                queued |= matches!(outcome, Ok(true));
                outcomes.push(outcome.map(|_| ()));
            }
        }
        if queued {
            // (A failure here aborts the transaction: the commit below then reports it.)
            let _ = self.announce_deliveries(&mut tx).await;
        }
        match tx.commit().await {
            Ok(()) => {
                if queued {
                    self.signals.outbox.notify_one();
                }
                outcomes
            }
            // A changeset's own error tells more than the commit's.
            Err(e) => outcomes
                .into_iter()
                .map(|o| o.and_then(|()| Err(batch_failure(&e))))
                .collect(),
        }
    }
}

impl SqlStore {
    /// Inside a transaction that queued webhook deliveries: on PostgreSQL, wakes the other
    /// processes' workers when it commits (once per transaction, as a notifying commit holds
    /// PostgreSQL's notification queue lock). This process's worker is woken once committed.
    pub(crate) async fn announce_deliveries(&self, tx: &mut WriteTx) -> StoreResult<()> {
        if self.dialect == Dialect::Postgres {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(super::signals::OUTBOX)
                .execute(&mut ***tx)
                .await?;
        }
        Ok(())
    }
}

/// Each plan of `batch` in turn; whether any queued webhook deliveries.
async fn run_in_turn(tx: &mut WriteTx, batch: &[Queued]) -> StoreResult<bool> {
    let mut queued = false;
    for q in batch {
        queued |= q.plan.run(tx).await?;
    }
    Ok(queued)
}

async fn apply_in_savepoint(tx: &mut WriteTx, plan: &Plan) -> StoreResult<bool> {
    sqlx::query("SAVEPOINT changeset").execute(&mut ***tx).await?;
    match plan.run(tx).await {
        Ok(queued) => {
            sqlx::query("RELEASE SAVEPOINT changeset").execute(&mut ***tx).await?;
            Ok(queued)
        }
        Err(e) => {
            sqlx::query("ROLLBACK TO SAVEPOINT changeset")
                .execute(&mut ***tx)
                .await?;
            sqlx::query("RELEASE SAVEPOINT changeset").execute(&mut ***tx).await?;
            Err(e)
        }
    }
}
