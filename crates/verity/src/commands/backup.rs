//! `verity backup` and `verity restore`: the database and the documents, copied while Verity
//! runs, and put back into an empty data folder.
//!
//! Order matters: the database is copied first (one consistent moment), the blob folder after.
//! Blobs are written before the records that point to them and never changed, so every blob the
//! copied database names is in the folder then, unless a redaction deleted it in between (which
//! erased it on purpose). The master key is never copied: a backup holding its own key would open
//! for whoever holds the backup.

use std::path::Path;

use crate::bootstrap::{Opening, open_store};
use crate::commands::Failure;
use crate::config::Settings;

const DATABASE_FILE: &str = "verity.db";
const BLOBS: &str = "blobs";

fn copy_folder(from: &Path, to: &Path) -> std::io::Result<u64> {
    std::fs::create_dir_all(to)?;
    let mut copied = 0;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        // Half-written uploads (`.partial`) are not blobs yet.
        if entry.file_type()?.is_file() && !name.to_string_lossy().ends_with(".partial") {
            std::fs::copy(entry.path(), to.join(&name))?;
            copied += 1;
        }
    }
    Ok(copied)
}

pub(super) async fn backup(settings: &Settings, to: &Path) -> Result<(), Failure> {
    if to.exists() {
        return Err(Failure(format!(
            "{} already exists: a backup goes into a new folder, it never overwrites one",
            to.display()
        )));
    }
    let store = open_store(settings, Opening::Existing).await?;
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    if store.dialect() == verity_store::Dialect::Sqlite {
        store
            .snapshot_into(&to.join(DATABASE_FILE))
            .await
            .map_err(|e| format!("cannot copy the database: {e}"))?;
        println!("database: {}", to.join(DATABASE_FILE).display());
    } else {
        println!(
            "database: PostgreSQL is backed up with its own tools: pg_dump --format=custom --file={} '{}'",
            to.join("verity.pgdump").display(),
            verity_store::redact_url(&settings.database_url)
        );
    }
    if settings.s3.is_some() {
        println!("documents: they live in the S3 bucket; back it up with the bucket's versioning or replication");
    } else {
        let from = settings.data_dir.join(BLOBS);
        let copied = if from.exists() {
            copy_folder(&from, &to.join(BLOBS)).map_err(|e| format!("cannot copy the documents: {e}"))?
        } else {
            0
        };
        println!("documents: {copied} files in {}", to.join(BLOBS).display());
    }
    println!("the master key is not in the backup: keep a copy of it apart, a restore needs it");
    Ok(())
}

pub(super) async fn restore(settings: &Settings, from: &Path) -> Result<(), Failure> {
    let database = from.join(DATABASE_FILE);
    let postgres = verity_store::Dialect::from_url(&settings.database_url) == Some(verity_store::Dialect::Postgres);
    if !postgres && !database.is_file() {
        return Err(Failure(format!(
            "{} holds no {DATABASE_FILE}: restore takes a folder written by `verity backup`",
            from.display()
        )));
    }
    if !postgres && settings.database_url_configured {
        return Err(Failure(
            "restore puts an SQLite backup into the data folder; unset VERITY_DATABASE_URL".into(),
        ));
    }
    let target = settings.data_dir.join(DATABASE_FILE);
    let blobs = settings.data_dir.join(BLOBS);
    let has_blobs = blobs.exists()
        && std::fs::read_dir(&blobs)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true);
    if (!postgres && target.exists()) || has_blobs {
        return Err(Failure(format!(
            "{} already holds Verity data: restore only into an empty data folder",
            settings.data_dir.display()
        )));
    }
    if postgres {
        // The database comes back with PostgreSQL's own tool first; this checks it opens with
        // the key, then brings the documents back.
        open_store(settings, Opening::Existing).await.map_err(|e| {
            format!(
                "{} (restore the database first: pg_restore --no-owner --dbname=URL {}/verity.pgdump)",
                e.0,
                from.display()
            )
        })?;
    }
    std::fs::create_dir_all(&settings.data_dir)
        .map_err(|e| format!("cannot create {}: {e}", settings.data_dir.display()))?;
    if !postgres {
        std::fs::copy(&database, &target).map_err(|e| format!("cannot copy the database: {e}"))?;
    }
    let copied = if from.join(BLOBS).exists() {
        copy_folder(&from.join(BLOBS), &blobs).map_err(|e| format!("cannot copy the documents: {e}"))?
    } else {
        0
    };
    // Opening checks the master key against the restored database (and migrates it when the
    // backup came from an older version).
    open_store(settings, Opening::Existing).await?;
    let what = if postgres { "" } else { "the database and " };
    println!("restored {what}{copied} documents into {}", settings.data_dir.display());
    Ok(())
}
