//! A small migration runner: numbered SQL files embedded in the binary, applied in order, each in
//! its own transaction, recorded in `schema_migrations`. Written by hand (rather than sqlx's
//! migrator) so one list serves both databases through the `Any` driver, with a per-dialect file
//! only where the SQL has to differ.

use sqlx::Row;

use crate::StoreResult;
use crate::sql::{Dialect, SqlStore};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sqlite: include_str!("../migrations/0001_initial.sql"),
        postgres: include_str!("../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "lifecycle",
        sqlite: include_str!("../migrations/0002_lifecycle.sql"),
        postgres: include_str!("../migrations/0002_lifecycle.sql"),
    },
    Migration {
        version: 3,
        name: "hosted",
        sqlite: include_str!("../migrations/0003_hosted.sql"),
        postgres: include_str!("../migrations/0003_hosted.sql"),
    },
    Migration {
        version: 4,
        name: "engine",
        sqlite: include_str!("../migrations/0004_engine.sql"),
        postgres: include_str!("../migrations/0004_engine.sql"),
    },
    Migration {
        version: 5,
        name: "console",
        // The audit log's append-only trigger is written per dialect.
        sqlite: concat!(
            include_str!("../migrations/0005_console.sql"),
            include_str!("../migrations/0005_console_sqlite.sql")
        ),
        postgres: concat!(
            include_str!("../migrations/0005_console.sql"),
            include_str!("../migrations/0005_console_postgres.sql")
        ),
    },
    Migration {
        version: 6,
        name: "hardening",
        sqlite: include_str!("../migrations/0006_hardening.sql"),
        postgres: include_str!("../migrations/0006_hardening.sql"),
    },
    Migration {
        version: 7,
        name: "liveness",
        sqlite: include_str!("../migrations/0007_liveness.sql"),
        postgres: include_str!("../migrations/0007_liveness.sql"),
    },
    Migration {
        version: 8,
        name: "login_locks",
        sqlite: include_str!("../migrations/0008_login_locks.sql"),
        postgres: include_str!("../migrations/0008_login_locks.sql"),
    },
    Migration {
        version: 9,
        name: "psc",
        sqlite: include_str!("../migrations/0009_psc.sql"),
        postgres: include_str!("../migrations/0009_psc.sql"),
    },
    Migration {
        version: 10,
        name: "mail",
        sqlite: include_str!("../migrations/0010_mail.sql"),
        postgres: include_str!("../migrations/0010_mail.sql"),
    },
    Migration {
        version: 11,
        name: "kyc",
        sqlite: include_str!("../migrations/0011_kyc.sql"),
        postgres: include_str!("../migrations/0011_kyc.sql"),
    },
    Migration {
        version: 12,
        name: "ubo",
        sqlite: include_str!("../migrations/0012_ubo.sql"),
        postgres: include_str!("../migrations/0012_ubo.sql"),
    },
    Migration {
        version: 13,
        name: "workspace",
        sqlite: include_str!("../migrations/0013_workspace.sql"),
        postgres: include_str!("../migrations/0013_workspace.sql"),
    },
    Migration {
        version: 14,
        name: "scale",
        // Shared rate-limit counters exist on PostgreSQL only: SQLite is one machine's.
        sqlite: include_str!("../migrations/0014_scale.sql"),
        postgres: concat!(
            include_str!("../migrations/0014_scale.sql"),
            include_str!("../migrations/0014_scale_postgres.sql")
        ),
    },
    Migration {
        version: 15,
        name: "keys",
        sqlite: include_str!("../migrations/0015_keys.sql"),
        postgres: include_str!("../migrations/0015_keys.sql"),
    },
    Migration {
        version: 16,
        name: "event_counts",
        sqlite: include_str!("../migrations/0016_event_counts.sql"),
        postgres: include_str!("../migrations/0016_event_counts.sql"),
    },
    Migration {
        version: 17,
        name: "count_call",
        // The shared counters exist on PostgreSQL only.
        sqlite: "SELECT 1;",
        postgres: include_str!("../migrations/0017_count_call_postgres.sql"),
    },
    Migration {
        version: 18,
        name: "call_leases",
        // The shared counters exist on PostgreSQL only.
        sqlite: "SELECT 1;",
        postgres: include_str!("../migrations/0018_call_leases_postgres.sql"),
    },
    Migration {
        version: 19,
        name: "access_holders",
        // Processes sharing one PostgreSQL; a SQLite file's share its side file instead.
        sqlite: "SELECT 1;",
        postgres: include_str!("../migrations/0019_access_holders_postgres.sql"),
    },
];

/// Latest schema version this binary knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

pub(crate) async fn run(store: &SqlStore) -> StoreResult<Vec<String>> {
    let mut applied = Vec::new();
    let mut tx = store.begin_write().await?;
    if store.dialect() == Dialect::Postgres {
        // Serialises concurrent starts of several processes on one database.
        sqlx::query("SELECT pg_advisory_xact_lock(7306589247)")
            .execute(&mut **tx)
            .await?;
    }
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut **tx)
    .await?;
    let current: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
        .fetch_one(&mut **tx)
        .await?
        .try_get("v")?;
    if current > latest_version() {
        return Err(crate::StoreError::Corrupt(format!(
            "the database schema is at version {current}, newer than this binary's {}; upgrade Verity",
            latest_version()
        )));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        let sql = match store.dialect() {
            Dialect::Sqlite => m.sqlite,
            Dialect::Postgres => m.postgres,
        };
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut **tx).await?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(m.version)
            .bind(m.name)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        applied.push(format!("{:04}_{}", m.version, m.name));
    }
    // The keyring first (it may hold the key the probe is sealed under), then the probe: the
    // master key must be one the data was sealed with.
    crate::sql::keys::load_keyring(store, &mut tx, now).await?;
    let probe = sqlx::query("SELECT probe FROM key_check WHERE id = 1")
        .fetch_optional(&mut **tx)
        .await?;
    match probe {
        Some(row) => {
            let sealed: String = row.try_get("probe")?;
            if store.sealer().open_text(&sealed, "key-check").is_err() {
                return Err(crate::sql::keys::wrong_key(store.sealer(), &sealed));
            }
        }
        None => {
            sqlx::query("INSERT INTO key_check (id, probe) VALUES (1, $1)")
                .bind(store.sealer().seal_text("verity", "key-check"))
                .execute(&mut **tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(applied)
}
