//! Counting events over long ranges from hourly rollups: whole hours that are over come from
//! `event_counts`, the ragged edges (and the hours not rolled up yet) from `events` itself.

use std::sync::atomic::Ordering;

use super::*;
use crate::EventFilter;

const HOUR: i64 = 3600;
/// An hour is rolled up this long after it ends: longer than any write takes to commit, and than
/// the clock difference between processes is expected to be.
pub(crate) const ROLLUP_DELAY: i64 = 600;
/// Hours rolled up per transaction (a first rollup of a large database goes a month at a time).
const HOURS_PER_STEP: i64 = 24 * 31;

fn floor_hour(t: i64) -> i64 {
    t.div_euclid(HOUR) * HOUR
}

impl SqlStore {
    /// How many of `client`'s events match `f`.
    pub(super) async fn count_events(&self, client: &ClientId, f: &EventFilter) -> StoreResult<i64> {
        let until = self.rolled_until.load(Ordering::Relaxed);
        let (lo, hi) = (f.after.unwrap_or(0), f.before.unwrap_or(i64::MAX / 2));
        // Whole hours inside [lo, hi] that are rolled up: [first, last).
        let first = floor_hour(lo + HOUR - 1);
        let last = floor_hour(hi.saturating_add(1)).min(until);
        let mut binds = vec![Value::from(client.as_str())];
        let mut typed = String::new();
        if let Some(t) = &f.event_type {
            binds.push(Value::from(t));
            typed = format!(" AND event_type = ${}", binds.len());
        }
        if let Some(r) = &f.resource {
            binds.push(Value::from(r));
            typed.push_str(&format!(" AND resource_id = ${}", binds.len()));
        }
        let next = |value: i64, binds: &mut Vec<Value>| {
            binds.push(Value::from(value));
            format!("${}", binds.len())
        };
        let sql = if f.resource.is_some() || last - first < 2 * HOUR {
            let (lo, hi) = (next(lo, &mut binds), next(hi, &mut binds));
            format!("SELECT COUNT(*) AS n FROM events WHERE client_id = $1{typed} AND date >= {lo} AND date <= {hi}")
        } else {
            let (lo, first, last, hi) = (
                next(lo, &mut binds),
                next(first, &mut binds),
                next(last, &mut binds),
                next(hi, &mut binds),
            );
            format!(
                "SELECT CAST((SELECT COALESCE(SUM(n), 0) FROM event_counts WHERE client_id = $1{typed} AND hour >= {first} AND hour < {last}) AS BIGINT) \
                 + (SELECT COUNT(*) FROM events WHERE client_id = $1{typed} AND date >= {lo} AND date < {first}) \
                 + (SELECT COUNT(*) FROM events WHERE client_id = $1{typed} AND date >= {last} AND date <= {hi}) AS n"
            )
        };
        Ok(bind_values(sqlx::query(sqlx::AssertSqlSafe(sql)), &binds)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    /// Rolls up every hour that ended more than [`ROLLUP_DELAY`] before `now`; returns how many
    /// hours were added. Safe when several processes do it at once (one wins each step).
    pub(crate) async fn roll_up_event_hours(&self, now: UnixTime) -> StoreResult<i64> {
        let limit = floor_hour(now - ROLLUP_DELAY);
        let mut added = 0;
        loop {
            let until: Option<i64> = sqlx::query("SELECT until FROM event_rollup WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?
                .map(|r| r.try_get("until"))
                .transpose()?;
            let from = match until {
                Some(u) => u,
                None => {
                    let oldest: Option<i64> = sqlx::query("SELECT MIN(date) AS d FROM events")
                        .fetch_one(&self.pool)
                        .await?
                        .try_get("d")?;
                    floor_hour(oldest.unwrap_or(limit).min(limit))
                }
            };
            self.rolled_until.fetch_max(from, Ordering::Relaxed);
            if from >= limit {
                return Ok(added);
            }
            let to = (from + HOURS_PER_STEP * HOUR).min(limit);
            let mut tx = self.begin_write().await?;
            let moved = match until {
                Some(u) => sqlx::query("UPDATE event_rollup SET until = $1 WHERE id = 1 AND until = $2")
                    .bind(to)
                    .bind(u)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected(),
                None => sqlx::query("INSERT INTO event_rollup (id, until) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
                    .bind(to)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected(),
            };
            if moved == 0 {
                // Another process took this step: read where it got to.
                tx.rollback().await?;
                continue;
            }
            // Per client, so each reads its own range of the (client_id, date) index.
            let clients: Vec<String> = sqlx::query("SELECT id FROM clients")
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|r| r.try_get("id"))
                .collect::<Result<_, _>>()?;
            for client in clients {
                sqlx::query(
                    "INSERT INTO event_counts (client_id, hour, event_type, n) \
                     SELECT client_id, (date / 3600) * 3600, event_type, COUNT(*) FROM events \
                     WHERE client_id = $1 AND date >= $2 AND date < $3 GROUP BY client_id, (date / 3600) * 3600, event_type",
                )
                .bind(client)
                .bind(from)
                .bind(to)
                .execute(&mut **tx)
                .await?;
            }
            tx.commit().await?;
            added += (to - from) / HOUR;
            self.rolled_until.fetch_max(to, Ordering::Relaxed);
        }
    }

    /// Forgets the rollups (for `verity fill`, which writes events dated in the past); the next
    /// rollup makes them again.
    pub async fn reset_event_rollups(&self) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM event_counts").execute(&mut **tx).await?;
        sqlx::query("DELETE FROM event_rollup").execute(&mut **tx).await?;
        tx.commit().await?;
        self.rolled_until.store(0, Ordering::Relaxed);
        Ok(())
    }
}
