//! PostgreSQL: the lease that lets a serving process use its cached tokens with no database
//! read, and the wait that makes every change of API access reach every such process before
//! the changing command returns.
//!
//! - A serving process registers in `access_holders` on a connection of its own that also
//!   `LISTEN`s, and renews its row every [`RENEW`]; the database keeps it [`LEASE`] from each
//!   renewal, the process trusts it for [`TRUST`] from the moment it sent the renewal (less, so
//!   a process paused or cut off stops using its entries before the database stops waiting).
//! - A change bumps `access_epoch` and `NOTIFY verity_access` in its transaction. A holder
//!   drops its older entries, then writes the new epoch in its row (the acknowledgement).
//! - Once committed, the change waits until no live holder's row has an older epoch: each has
//!   acknowledged, or its lease ran out. A process that vanished costs a change at most [`LEASE`].
//!
//! Registration reads the epoch `FOR SHARE`, so it cannot interleave with a change: it either
//! sees the change's epoch, or the change (whose update waits for the lock) sees its row.

use std::sync::Weak;
use std::time::{Duration, Instant};

use sqlx::Row;
use sqlx::postgres::{PgListener, PgNotification};

use super::signals::{OUTBOX, Signals};
use super::{SqlStore, StoreResult};

/// The channel that carries "API access changed" (the new epoch as its payload).
pub(crate) const ACCESS: &str = "verity_access";

/// How often a holder renews its lease.
const RENEW: Duration = Duration::from_millis(500);
/// How long the database counts a lease live after a renewal (the `interval` below).
const LEASE: Duration = Duration::from_secs(2);
/// How long a holder trusts its lease after sending a renewal.
const TRUST: Duration = Duration::from_millis(1500);

const REGISTER: &str = "WITH current AS (SELECT epoch FROM access_epoch WHERE id = 1 FOR SHARE) \
     INSERT INTO access_holders (holder, epoch, expires_at) \
     SELECT $1, epoch, clock_timestamp() + interval '2 seconds' FROM current \
     ON CONFLICT (holder) DO UPDATE SET epoch = excluded.epoch, expires_at = excluded.expires_at \
     RETURNING epoch";
const RENEW_LEASE: &str = "UPDATE access_holders SET expires_at = clock_timestamp() + interval '2 seconds' \
     WHERE holder = $1 RETURNING epoch, (SELECT epoch FROM access_epoch WHERE id = 1) AS current";
const ACKNOWLEDGE: &str = "UPDATE access_holders SET epoch = GREATEST(epoch, $2) WHERE holder = $1";
const FORGET_OLD: &str = "DELETE FROM access_holders WHERE expires_at < clock_timestamp() - interval '1 hour'";

/// Holds the lease and follows `verity_access` and `verity_outbox` on a connection of its own;
/// when it is lost the lease is released at once, and taken again after a second. The webhook
/// worker is woken on every (re)connection, as notifications may have been missed meanwhile.
pub(crate) async fn listen(signals: Weak<Signals>, url: String) {
    loop {
        if let Ok(mut listener) = PgListener::connect(&url).await
            && listener.listen_all([OUTBOX, ACCESS]).await.is_ok()
        {
            let _ = hold(&signals, &mut listener).await;
            match signals.upgrade() {
                Some(s) => s.release(),
                None => return,
            }
        }
        if signals.upgrade().is_none() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Registers, then renews and acknowledges until the connection fails (or the store is gone).
/// If the database refuses the lease (its table missing, say), the process goes on without one
/// (each request then reads the epoch) and tries again at every renewal; notifications still
/// wake the webhook worker.
async fn hold(signals: &Weak<Signals>, listener: &mut PgListener) -> Result<(), sqlx::Error> {
    let Some(s) = signals.upgrade() else { return Ok(()) };
    let holder = s.holder.clone();
    s.outbox.notify_one();
    drop(s);
    let mut held = register(signals, listener, &holder, true).await?;
    let mut renew = tokio::time::interval_at((Instant::now() + RENEW).into(), RENEW);
    loop {
        tokio::select! {
            notification = listener.try_recv() => {
                let Some(notification) = notification? else { return Ok(()) };
                let Some(s) = signals.upgrade() else { return Ok(()) };
                if let Some(epoch) = access_change(&notification) {
                    s.advance(epoch);
                    drop(s);
                    if held {
                        acknowledge(listener, &holder, epoch).await?;
                    }
                } else {
                    s.outbox.notify_one();
                }
            }
            _ = renew.tick() => {
                if !held {
                    held = register(signals, listener, &holder, false).await?;
                    continue;
                }
                let sent = Instant::now();
                let row = sqlx::query(RENEW_LEASE).bind(&holder).fetch_optional(&mut *listener).await?;
                // Our row was removed (an operator's cleanup): register again.
                let Some(row) = row else {
                    held = register(signals, listener, &holder, false).await?;
                    continue;
                };
                let (acknowledged, current): (i64, i64) = (row.try_get("epoch")?, row.try_get("current")?);
                let Some(s) = signals.upgrade() else { return Ok(()) };
                s.hold(current, sent + TRUST);
                drop(s);
                // A change this connection was not told of (cannot happen while it lives; cheap
                // to make sure): dropped above, acknowledged as for a notification.
                if current > acknowledged {
                    acknowledge(listener, &holder, current).await?;
                }
            }
        }
    }
}

/// Takes the lease; `Ok(false)` when the database refuses it (said once per connection, when
/// `first`), an error when the connection failed.
async fn register(
    signals: &Weak<Signals>,
    listener: &mut PgListener,
    holder: &str,
    first: bool,
) -> Result<bool, sqlx::Error> {
    let sent = Instant::now();
    let registered = async {
        sqlx::query(FORGET_OLD).execute(&mut *listener).await?;
        sqlx::query(REGISTER)
            .bind(holder)
            .fetch_one(&mut *listener)
            .await?
            .try_get::<i64, _>("epoch")
    };
    match registered.await {
        Ok(epoch) => {
            if let Some(s) = signals.upgrade() {
                s.hold(epoch, sent + TRUST);
            }
            Ok(true)
        }
        Err(sqlx::Error::Database(e)) => {
            if first {
                tracing::warn!(error = %e, "cannot hold a lease on cached API tokens: every request reads the access epoch");
            }
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

fn access_change(notification: &PgNotification) -> Option<i64> {
    (notification.channel() == ACCESS)
        .then(|| notification.payload().parse().ok())
        .flatten()
}

async fn acknowledge(listener: &mut PgListener, holder: &str, epoch: i64) -> Result<(), sqlx::Error> {
    sqlx::query(ACKNOWLEDGE)
        .bind(holder)
        .bind(epoch)
        .execute(&mut *listener)
        .await?;
    Ok(())
}

impl SqlStore {
    /// Once a change that moved the epoch to `epoch` is committed: waits until every process
    /// holding a lease has dropped what it cached before (or its lease ran out, at most
    /// [`LEASE`]). If the holders cannot be read, waits as long as a lease lives.
    pub(crate) async fn wait_for_holders(&self, epoch: i64) -> StoreResult<()> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            let behind = sqlx::query(
                "SELECT COUNT(*) AS n FROM access_holders WHERE epoch < $1 AND expires_at > clock_timestamp()",
            )
            .bind(epoch)
            .fetch_one(&self.pool)
            .await
            .and_then(|row| row.try_get::<i64, _>("n"));
            match behind {
                Ok(0) => return Ok(()),
                Ok(_) if started.elapsed() < LEASE + RENEW => {}
                Ok(n) => {
                    tracing::warn!(
                        holders = n,
                        "processes did not acknowledge an API access change in time"
                    );
                    return Ok(());
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the lease holders: waiting for their leases to run out");
                    tokio::time::sleep(LEASE.saturating_sub(started.elapsed())).await;
                    return Ok(());
                }
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }
}
