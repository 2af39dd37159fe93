//! `verity keys`: master key rotation and its status.

use std::path::{Path, PathBuf};

use verity_service::keys::{HOLDER_LIVE_SECONDS, RotationStep};
use verity_store::MasterKey;

use crate::bootstrap::{master_key_path, read_key_file, sync_folder_of, write_key_file};
use crate::cli::KeysCommand;
use crate::commands::{Failure, existing};
use crate::config::Settings;

pub(crate) async fn keys(command: KeysCommand, settings: &Settings) -> Result<(), Failure> {
    match command {
        KeysCommand::Rotate { new_key_file, batch } => rotate(settings, new_key_file, batch).await,
        KeysCommand::Status => status(settings).await,
    }
}

/// Where the key comes from: a file this command may replace, or the environment.
enum KeySource {
    File(PathBuf),
    Environment,
}

async fn rotate(settings: &Settings, new_key_file: Option<PathBuf>, batch: u32) -> Result<(), Failure> {
    let source = match settings.master_key {
        Some(_) => KeySource::Environment,
        None => KeySource::File(master_key_path(settings)),
    };
    let pending = match (&source, new_key_file) {
        (_, Some(path)) => Some(path),
        (KeySource::File(path), None) => Some(with_suffix(path, ".next")),
        (KeySource::Environment, None) => None,
    };
    let services = existing(settings).await?;
    let state = services.keyring_state().await?;
    let configured = services.sealer_key_ids().0;
    let new_key = match (&state.rotation, &pending) {
        (None, None) => {
            return Err(Failure(
                "the master key comes from VERITY_MASTER_KEY: give --new-key-file FILE for the new key (configure it from there once the rotation ends)".into(),
            ));
        }
        (None, Some(path)) => Some(new_or_pending_key(path)?),
        (Some((to, _)), Some(path)) if path.exists() => {
            let key = read_key_file(path)?;
            if &key.id() != to {
                return Err(Failure(format!(
                    "{} holds the key {}, but the rotation in progress is to {to}: move that file away and run this again",
                    path.display(),
                    key.id()
                )));
            }
            None
        }
        (Some(_), _) => None,
    };
    println!("master key {configured}: rotating");
    let mut report = |step: RotationStep| print_step(&step);
    let to = services.begin_key_rotation(new_key.as_ref(), &mut report).await?;
    let summary = services.reseal_everything(batch, &mut report).await?;
    // The new key takes the key file's place before the database forgets the old one: a crash
    // in between leaves a key file that opens the database.
    if let (KeySource::File(path), Some(next)) = (&source, &pending)
        && configured != to
    {
        if !next.exists() {
            return Err(Failure(format!(
                "the new key {to} is not at {}: put the file the rotation started with back, then run this again",
                next.display()
            )));
        }
        std::fs::rename(next, path)
            .map_err(|e| format!("cannot move {} to {}: {e}", next.display(), path.display()))?;
        sync_folder_of(path).map_err(|e| format!("cannot sync the folder of {}: {e}", path.display()))?;
    }
    services.finish_key_rotation(summary).await?;
    println!(
        "rotated: every value is sealed under the master key {to} ({} re-sealed{})",
        summary.resealed,
        if summary.unreadable > 0 {
            format!("; {} values no key opens were left as they were", summary.unreadable)
        } else {
            String::new()
        }
    );
    if !summary.clean {
        println!(
            "  some values were written under the old key during the last pass: the old key stays in the keyring, sealed under the new one; run `verity keys rotate` again later to re-seal them"
        );
    }
    match (&source, &pending) {
        (KeySource::File(path), _) => println!(
            "  {} now holds the new key; running processes have it already. Processes on other machines read their own copy: replace it before they restart.",
            path.display()
        ),
        (KeySource::Environment, Some(next)) => println!(
            "  set VERITY_MASTER_KEY to the key in {} on every process before it restarts (running processes have it already); the old key no longer opens this database",
            next.display()
        ),
        (KeySource::Environment, None) => println!(
            "  set VERITY_MASTER_KEY to the new key {to} (the file written when this rotation started) on every process before it restarts; the old key no longer opens this database"
        ),
    }
    Ok(())
}

/// The new key: the one a rotation interrupted before publishing it left at `path`, else a new
/// one written there (durably, before anything is sealed under it).
fn new_or_pending_key(path: &Path) -> Result<MasterKey, Failure> {
    if path.exists() {
        return read_key_file(path);
    }
    let key = MasterKey::generate();
    write_key_file(path, &key).map_err(|e| format!("cannot write the new key to {}: {e}", path.display()))?;
    println!("new master key {} written to {}", key.id(), path.display());
    Ok(key)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn print_step(step: &RotationStep) {
    match step {
        RotationStep::Published { key } => println!("new key {key} is in the keyring"),
        RotationStep::Acknowledged { version, processes } => {
            println!("keyring version {version} loaded by every running process ({processes})")
        }
        RotationStep::Switched { key } => println!("new values are sealed under {key}"),
        RotationStep::Resealed { pass, column, total } => println!("pass {pass}: {column}: {total} re-sealed"),
        RotationStep::PassDone {
            pass,
            resealed,
            unreadable,
        } => {
            println!("pass {pass} done: {resealed} re-sealed, {unreadable} unreadable")
        }
    }
}

async fn status(settings: &Settings) -> Result<(), Failure> {
    let services = existing(settings).await?;
    let state = services.keyring_state().await?;
    let (configured, sealing) = services.sealer_key_ids();
    println!("configured master key  {configured}");
    println!("new values sealed under {sealing}");
    match &state.rotation {
        Some((to, phase)) => println!(
            "rotation in progress    to {to} ({}): run `verity keys rotate` to resume",
            phase.as_str()
        ),
        None => println!("rotation in progress    none"),
    }
    let holders = services.key_holders(HOLDER_LIVE_SECONDS).await?;
    println!("running processes       {}", holders.len());
    for (holder, version) in &holders {
        let behind = if *version < state.version { " (behind)" } else { "" };
        println!("  {holder}  keyring version {version}{behind}");
    }
    let counts = services.values_not_sealed_under(&sealing).await?;
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    println!("values under other keys {total}");
    for (column, n) in counts.iter().filter(|(_, n)| *n > 0) {
        println!("  {column}  {n}");
    }
    Ok(())
}
