//! The keyring and the rotation sweep in SQL. Every sealed column is listed once here, with the
//! associated data its values are bound to, so the sweep can open and re-seal each one.

use sqlx::AnyConnection;

use super::*;
use crate::MasterKey;
use crate::keys::{KeyStore, KeyringState, RotationPhase, SweepBatch};
use crate::sealing::{sealed_prefix, sealed_under};

/// A column of sealed values: its table, the key columns that name a row (as SQL expressions,
/// all text), and the associated data a value is bound to, from the key's values.
struct SealedColumn {
    name: &'static str,
    table: &'static str,
    column: &'static str,
    keys: &'static [&'static str],
    aad: fn(&[String]) -> String,
}

const SEALED_COLUMNS: &[SealedColumn] = &[
    SealedColumn {
        name: "users.data",
        table: "users",
        column: "data",
        keys: &["id"],
        aad: |k| format!("users:{}", k[0]),
    },
    SealedColumn {
        name: "idv_sessions.checks",
        table: "idv_sessions",
        column: "checks",
        keys: &["id"],
        aad: |k| format!("idv_sessions:{}", k[0]),
    },
    SealedColumn {
        name: "idempotency_keys.body",
        table: "idempotency_keys",
        column: "body",
        keys: &["client_id", "idem_key"],
        aad: |k| super::rows::response_aad(&k[0], &k[1]),
    },
    SealedColumn {
        name: "hosted_progress.data",
        table: "hosted_progress",
        column: "data",
        keys: &["session_id"],
        aad: |k| format!("progress:{}", k[0]),
    },
    SealedColumn {
        name: "session_evidence.data",
        table: "session_evidence",
        column: "data",
        keys: &["session_id"],
        aad: |k| format!("evidence:{}", k[0]),
    },
    SealedColumn {
        name: "blobs.wrapped_key",
        table: "blobs",
        column: "wrapped_key",
        keys: &["id"],
        aad: |k| format!("blob-key:{}", k[0]),
    },
    SealedColumn {
        name: "kyc_pages.wrapped_key",
        table: "kyc_pages",
        column: "wrapped_key",
        keys: &["id"],
        aad: |k| format!("blob-key:{}", k[0]),
    },
    SealedColumn {
        name: "kyc_documents.data",
        table: "kyc_documents",
        column: "data",
        keys: &["id"],
        aad: |k| format!("kyc_documents:{}", k[0]),
    },
    SealedColumn {
        name: "pscs.data",
        table: "pscs",
        column: "data",
        keys: &["id"],
        aad: |k| format!("pscs:{}", k[0]),
    },
    SealedColumn {
        name: "ubo_declarations.data",
        table: "ubo_declarations",
        column: "data",
        keys: &["id"],
        aad: |k| format!("ubo_declarations:{}", k[0]),
    },
    SealedColumn {
        name: "staff.totp_secret",
        table: "staff",
        column: "totp_secret",
        keys: &["id"],
        aad: |k| format!("totp:{}", k[0]),
    },
    SealedColumn {
        name: "session_notes.body",
        table: "session_notes",
        column: "body",
        keys: &["id"],
        aad: |k| format!("note:{}", k[0]),
    },
    SealedColumn {
        name: "keyring.fingerprint_key",
        table: "keyring",
        column: "fingerprint_key",
        keys: &["CAST(id AS TEXT)"],
        aad: |_| "fingerprint-key".to_owned(),
    },
    SealedColumn {
        name: "key_check.probe",
        table: "key_check",
        column: "probe",
        keys: &["CAST(id AS TEXT)"],
        aad: |_| "key-check".to_owned(),
    },
];

/// The names of every sealed column, in the order a sweep takes them.
pub fn sealed_column_names() -> Vec<&'static str> {
    SEALED_COLUMNS.iter().map(|c| c.name).collect()
}

/// The error for a configured master key that does not open this database.
pub(crate) fn wrong_key(sealer: &Sealer, sealed_probe: &str) -> StoreError {
    let under = sealed_under(sealed_probe).map_or_else(String::new, |id| format!(" (it is sealed under the key {id})"));
    StoreError::Corrupt(format!(
        "the master key {} is not one this database was sealed with{under}: check VERITY_MASTER_KEY or the key file; after a rotation, use the new key",
        sealer.configured_key()
    ))
}

struct KeyringRows {
    version: i64,
    sealing_key: Option<String>,
    fingerprint_key: String,
    /// `(id, wrapped_by, sealed)`.
    keys: Vec<(String, String, String)>,
}

async fn read_keyring(conn: &mut AnyConnection) -> StoreResult<Option<KeyringRows>> {
    let Some(row) = sqlx::query("SELECT version, sealing_key, fingerprint_key FROM keyring WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let keys = sqlx::query("SELECT id, wrapped_by, sealed FROM master_keys")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("wrapped_by")?, r.try_get("sealed")?)))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Some(KeyringRows {
        version: row.try_get("version")?,
        sealing_key: row.try_get("sealing_key")?,
        fingerprint_key: row.try_get("fingerprint_key")?,
        keys,
    }))
}

/// Takes the keyring into `sealer`: every key reachable from one it holds (keys already learned
/// are kept: a process that learned the new key keeps it after the old one is retired), the
/// sealing key, the fingerprint key.
fn apply_keyring(sealer: &Sealer, rows: &KeyringRows) -> StoreResult<()> {
    loop {
        let mut learned = false;
        for (id, wrapped_by, sealed) in &rows.keys {
            if !sealer.holds(id) && sealer.holds(wrapped_by) {
                let key = sealer
                    .unwrap_key(id, sealed)
                    .map_err(|e| corrupt(&format!("master key {id} in the keyring"), e))?;
                sealer.learn(key);
                learned = true;
            }
        }
        if !learned {
            break;
        }
    }
    sealer
        .use_fingerprint_key(&rows.fingerprint_key)
        .map_err(|_| wrong_key(sealer, &rows.fingerprint_key))?;
    let sealing = rows.sealing_key.clone().unwrap_or_else(|| sealer.configured_key());
    if !sealer.seal_under(&sealing) {
        return Err(StoreError::Corrupt(format!(
            "this database's values are sealed under the master key {sealing}, which the configured key {} does not reach: use the key the last rotation wrote",
            sealer.configured_key()
        )));
    }
    sealer.set_keyring_version(rows.version);
    Ok(())
}

/// At start-up, inside the migration's transaction: loads the keyring, or creates it (keeping
/// the fingerprint key the data was indexed with).
pub(crate) async fn load_keyring(store: &SqlStore, tx: &mut WriteTx, now: UnixTime) -> StoreResult<()> {
    match read_keyring(&mut tx.tx).await? {
        Some(rows) => apply_keyring(store.sealer(), &rows),
        None => {
            sqlx::query("INSERT INTO keyring (id, version, fingerprint_key, updated_at) VALUES (1, 1, $1, $2)")
                .bind(store.sealer().sealed_fingerprint_key())
                .bind(now)
                .execute(&mut *tx.tx)
                .await?;
            store.sealer().set_keyring_version(1);
            Ok(())
        }
    }
}

fn column(name: &str) -> StoreResult<&'static SealedColumn> {
    SEALED_COLUMNS
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| StoreError::Corrupt(format!("no sealed column {name}")))
}

/// Bumps the keyring's version inside `tx` and returns the new one.
async fn bump_version(tx: &mut WriteTx, now: UnixTime) -> StoreResult<i64> {
    sqlx::query("UPDATE keyring SET version = version + 1, updated_at = $1 WHERE id = 1")
        .bind(now)
        .execute(&mut *tx.tx)
        .await?;
    Ok(sqlx::query("SELECT version FROM keyring WHERE id = 1")
        .fetch_one(&mut *tx.tx)
        .await?
        .try_get("version")?)
}

/// Moves the rotation from where `expected` says it is to `next` (`None`: no rotation), with a
/// conditional update: of two commands racing, one moves it and the other gets false
/// (PostgreSQL re-checks the condition once the winner's row lock is released).
async fn move_rotation(
    tx: &mut WriteTx,
    expected: Option<(&str, RotationPhase)>,
    next: Option<(&str, RotationPhase)>,
) -> StoreResult<bool> {
    let parts = |at: Option<(&str, RotationPhase)>| at.map(|(key, phase)| (key.to_owned(), phase.as_str()));
    let (expected, next) = (parts(expected), parts(next));
    let moved = sqlx::query(
        "UPDATE keyring SET rotating_to = $1, rotation_phase = $2 \
         WHERE id = 1 AND COALESCE(rotating_to, '') = $3 AND COALESCE(rotation_phase, '') = $4",
    )
    .bind(next.as_ref().map(|n| n.0.clone()))
    .bind(next.as_ref().map(|n| n.1.to_owned()))
    .bind(expected.as_ref().map_or(String::new(), |e| e.0.clone()))
    .bind(expected.as_ref().map_or("", |e| e.1))
    .execute(&mut *tx.tx)
    .await?
    .rows_affected();
    Ok(moved == 1)
}

/// Keeps the held key `id` in the keyring, sealed under the held key `under`.
async fn keep_wrapped(sealer: &Sealer, tx: &mut WriteTx, id: &str, under: &str, now: UnixTime) -> StoreResult<()> {
    let sealed = sealer
        .wrap_key(id, under)
        .ok_or_else(|| refused(format!("the key {id} or {under} is not held by this process")))?;
    sqlx::query(
        "INSERT INTO master_keys (id, wrapped_by, sealed, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id, wrapped_by) DO UPDATE SET sealed = excluded.sealed",
    )
    .bind(id)
    .bind(under)
    .bind(sealed)
    .bind(now)
    .execute(&mut *tx.tx)
    .await?;
    Ok(())
}

/// A rotation step this database's state does not allow (reported to the operator as is).
fn refused(message: String) -> StoreError {
    StoreError::Corrupt(message)
}

impl SqlStore {
    /// Another command moved the rotation first: nothing to write; where it stands now.
    async fn lost_the_race(&self, tx: WriteTx) -> StoreResult<i64> {
        tx.rollback().await?;
        Ok(self.keyring_state().await?.version)
    }
}

#[async_trait]
impl KeyStore for SqlStore {
    fn key_ids(&self) -> (String, String) {
        (self.sealer.configured_key(), self.sealer.sealing_key())
    }

    async fn refresh_keyring(&self) -> StoreResult<i64> {
        // Every second in every process: one small read unless the keyring changed.
        let version: Option<i64> = sqlx::query("SELECT version FROM keyring WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get("version"))
            .transpose()?;
        if let Some(version) = version.filter(|v| *v == self.sealer.keyring_version()) {
            return Ok(version);
        }
        let mut conn = self.pool.acquire().await?;
        let rows = read_keyring(&mut conn)
            .await?
            .ok_or_else(|| StoreError::Corrupt("the keyring is missing: run `verity migrate`".into()))?;
        if rows.version != self.sealer.keyring_version() {
            apply_keyring(&self.sealer, &rows)?;
        }
        Ok(rows.version)
    }

    async fn record_key_holder(&self, holder: &str, version: i64, now: UnixTime) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO key_holders (holder, keyring_version, seen_at) VALUES ($1, $2, $3) \
             ON CONFLICT (holder) DO UPDATE SET keyring_version = excluded.keyring_version, seen_at = excluded.seen_at",
        )
        .bind(holder)
        .bind(version)
        .bind(now)
        .execute(&mut *tx.tx)
        .await?;
        // Processes gone for a day are forgotten.
        sqlx::query("DELETE FROM key_holders WHERE seen_at < $1")
            .bind(now - 86_400)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await
    }

    async fn key_holders(&self, since: UnixTime) -> StoreResult<Vec<(String, i64)>> {
        sqlx::query("SELECT holder, keyring_version FROM key_holders WHERE seen_at >= $1 ORDER BY holder")
            .bind(since)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("holder")?, r.try_get("keyring_version")?)))
            .collect()
    }

    async fn keyring_state(&self) -> StoreResult<KeyringState> {
        let row = sqlx::query("SELECT version, sealing_key, rotating_to, rotation_phase FROM keyring WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        let rotating_to: Option<String> = row.try_get("rotating_to")?;
        let phase: Option<String> = row.try_get("rotation_phase")?;
        Ok(KeyringState {
            version: row.try_get("version")?,
            sealing_key: row.try_get("sealing_key")?,
            rotation: rotating_to.zip(phase.as_deref().and_then(RotationPhase::parse)),
        })
    }

    async fn publish_key(&self, key: &MasterKey, now: UnixTime) -> StoreResult<i64> {
        let id = key.id();
        let configured = self.sealer.configured_key();
        if id == configured {
            return Err(refused("the new master key is the configured one".into()));
        }
        let mut tx = self.begin_write().await?;
        let claimed = move_rotation(&mut tx, None, Some((&id, RotationPhase::Published))).await?;
        if !claimed {
            tx.rollback().await?;
            let state = self.keyring_state().await?;
            return match state.rotation {
                Some((to, _)) if to == id => Ok(state.version),
                Some((to, _)) => Err(refused(format!(
                    "a rotation to the key {to} is in progress: finish it first"
                ))),
                None => Err(refused("the keyring changed meanwhile: run the command again".into())),
            };
        }
        self.sealer.learn(key.clone());
        keep_wrapped(&self.sealer, &mut tx, &id, &configured, now).await?;
        sqlx::query("DELETE FROM key_rotation_progress")
            .execute(&mut *tx.tx)
            .await?;
        let version = bump_version(&mut tx, now).await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn switch_sealing_key(&self, now: UnixTime) -> StoreResult<i64> {
        let state = self.keyring_state().await?;
        let Some((to, phase)) = state.rotation else {
            return Err(refused("no rotation is in progress".into()));
        };
        if phase == RotationPhase::Switched {
            return Ok(state.version);
        }
        let mut tx = self.begin_write().await?;
        let published = Some((to.as_str(), RotationPhase::Published));
        if !move_rotation(&mut tx, published, Some((&to, RotationPhase::Switched))).await? {
            return self.lost_the_race(tx).await;
        }
        // The configured key (and the one sealing until now), sealed under the new one: values
        // still sealed under them stay readable by processes configured with the new key.
        let old_keys: Vec<String> = std::iter::once(self.sealer.configured_key())
            .chain(state.sealing_key.clone())
            .filter(|k| *k != to)
            .collect();
        for old in old_keys {
            keep_wrapped(&self.sealer, &mut tx, &old, &to, now).await?;
        }
        sqlx::query("UPDATE keyring SET sealing_key = $1 WHERE id = 1")
            .bind(&to)
            .execute(&mut *tx.tx)
            .await?;
        let version = bump_version(&mut tx, now).await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn reseal_batch(&self, name: &str, pass: i64, limit: u32) -> StoreResult<SweepBatch> {
        let col = column(name)?;
        let sealing = self.sealer.sealing_key();
        let progress = sqlx::query("SELECT pass, after_key, done FROM key_rotation_progress WHERE sealed_column = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        let mut after: Option<Vec<String>> = None;
        if let Some(row) = progress.filter(|r| r.try_get::<i64, _>("pass").ok() == Some(pass)) {
            if row.try_get::<i64, _>("done")? != 0 {
                return Ok(SweepBatch {
                    done: true,
                    ..SweepBatch::default()
                });
            }
            let stored: String = row.try_get("after_key")?;
            after = serde_json::from_str(&stored).map_err(|e| corrupt("rotation progress", e))?;
        }
        let n = col.keys.len();
        let prefix = sealed_prefix(&sealing);
        let selected: Vec<String> = col
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k} AS k{i}"))
            .collect();
        let mut conditions = vec![format!(
            "{c} IS NOT NULL AND substr({c}, 1, {len}) <> $1",
            c = col.column,
            len = prefix.len()
        )];
        if after.is_some() {
            // `(k0, k1) > ($2, $3)`: the rows after the last one done, in key order.
            let params: Vec<String> = (2..=n + 1).map(|i| format!("${i}")).collect();
            conditions.push(format!("({}) > ({})", col.keys.join(", "), params.join(", ")));
        }
        let sql = format!(
            "SELECT {}, {c} AS v FROM {t} WHERE {} ORDER BY {} LIMIT {limit}",
            selected.join(", "),
            conditions.join(" AND "),
            col.keys.join(", "),
            c = col.column,
            t = col.table
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(prefix);
        for k in after.iter().flatten() {
            query = query.bind(k.clone());
        }
        let rows = query.fetch_all(&self.pool).await?;
        let mut batch = SweepBatch {
            done: rows.len() < limit as usize,
            ..SweepBatch::default()
        };
        let mut writes = Vec::new();
        let mut last: Option<Vec<String>> = after;
        for row in &rows {
            let key: Vec<String> = (0..n)
                .map(|i| row.try_get(format!("k{i}").as_str()))
                .collect::<Result<_, _>>()?;
            let stored: String = row.try_get("v")?;
            let aad = (col.aad)(&key);
            match self.sealer.open_text(&stored, &aad) {
                Ok(plain) => writes.push((key.clone(), stored, self.sealer.seal_text(&plain, &aad))),
                Err(e) => {
                    tracing::warn!(column = name, error = %e, "a sealed value no key opens was left as it is");
                    batch.unreadable += 1;
                }
            }
            last = Some(key);
        }
        let mut tx = self.begin_write().await?;
        let matches = col
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k} = ${}", i + 3))
            .collect::<Vec<_>>();
        let update = format!(
            "UPDATE {t} SET {c} = $1 WHERE {c} = $2 AND {}",
            matches.join(" AND "),
            t = col.table,
            c = col.column
        );
        for (key, old, new) in writes {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(update.clone())).bind(new).bind(old);
            for k in key {
                q = q.bind(k);
            }
            // A value changed meanwhile was written under the sealing key already: nothing to do.
            batch.resealed += q.execute(&mut *tx.tx).await?.rows_affected();
        }
        let after_key = serde_json::to_string(&last).map_err(|e| corrupt("rotation progress", e))?;
        sqlx::query(
            "INSERT INTO key_rotation_progress (sealed_column, pass, after_key, resealed, done) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (sealed_column) DO UPDATE SET pass = excluded.pass, after_key = excluded.after_key, \
             resealed = CASE WHEN key_rotation_progress.pass = excluded.pass THEN key_rotation_progress.resealed + excluded.resealed ELSE excluded.resealed END, \
             done = excluded.done",
        )
        .bind(name)
        .bind(pass)
        .bind(after_key)
        .bind(batch.resealed as i64)
        .bind(batch.done as i64)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await?;
        Ok(batch)
    }

    async fn finish_rotation(&self, keep_retired: bool, now: UnixTime) -> StoreResult<i64> {
        let state = self.keyring_state().await?;
        let Some((to, RotationPhase::Switched)) = state.rotation else {
            return Err(refused("the rotation has not switched to its new key yet".into()));
        };
        let mut tx = self.begin_write().await?;
        if !move_rotation(&mut tx, Some((&to, RotationPhase::Switched)), None).await? {
            return self.lost_the_race(tx).await;
        }
        // Nothing sealed under a retired key may open the new one.
        sqlx::query("DELETE FROM master_keys WHERE wrapped_by <> $1")
            .bind(&to)
            .execute(&mut *tx.tx)
            .await?;
        if !keep_retired {
            sqlx::query("DELETE FROM master_keys").execute(&mut *tx.tx).await?;
        }
        sqlx::query("DELETE FROM key_rotation_progress")
            .execute(&mut *tx.tx)
            .await?;
        let version = bump_version(&mut tx, now).await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn values_not_sealed_under(&self, key: &str) -> StoreResult<Vec<(&'static str, u64)>> {
        let prefix = sealed_prefix(key);
        let mut counts = Vec::new();
        for col in SEALED_COLUMNS {
            let sql = format!(
                "SELECT COUNT(*) AS n FROM {t} WHERE {c} IS NOT NULL AND substr({c}, 1, {len}) <> $1",
                t = col.table,
                c = col.column,
                len = prefix.len()
            );
            let n: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&prefix)
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;
            counts.push((col.name, n as u64));
        }
        Ok(counts)
    }
}
