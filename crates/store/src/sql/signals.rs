//! What other processes sharing the database must learn at once.
//!
//! Verified access tokens are kept in memory, so an API request does not read the token and its
//! client from the database. Every change to API access (a key rotated, a client's settings
//! changed), whichever process makes it, moves an *access epoch*, and a cached entry is used only
//! while the epoch is the one it was cached under:
//!
//! - SQLite: the epoch is 8 bytes in a file beside the database (`verity.db-access`), rewritten
//!   after every change; a lookup reads them (one `pread` from the page cache).
//! - PostgreSQL: the epoch is a one-row table bumped in the changing transaction. A serving
//!   process holds a *lease* ([`super::access_lease`]): while it holds one it uses its entries
//!   with no database read, and every change waits, before it returns, until each process
//!   holding a lease has dropped its entries and said so (or its lease ran out). Without a lease
//!   (lost connection, not yet registered) a token served from memory is confirmed against the
//!   epoch read in the same request, as the rate-limit call returns it or with a read of its own.
//!
//! An entry filled from a read that raced a change is never kept: the epoch is taken before the
//! read (or with it), and an entry is only used under that epoch.
//!
//! On PostgreSQL the lease's connection also wakes this process's webhook worker when another
//! process queues deliveries (`NOTIFY verity_outbox`, sent by the committing transaction).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use verity_domain::{Client, UnixTime};

use super::Dialect;
use crate::{StoreError, StoreResult};

/// The PostgreSQL channel that carries "webhook deliveries queued".
pub(crate) const OUTBOX: &str = "verity_outbox";

/// Tokens kept at most; past it the cache starts again empty (bounded memory).
const MAX_ENTRIES: usize = 100_000;

/// An access epoch: this process's own counter of changes it made, and the shared value (the
/// SQLite file's bytes, or PostgreSQL's `access_epoch`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Epoch(u64, u64);

enum Shared {
    /// An in-memory database: no other process can see it.
    Memory,
    /// SQLite on a file: the bytes of `<database>-access`.
    File(File),
    /// PostgreSQL: read from the database by the caller, or known from the lease.
    Database { url: String },
}

pub(crate) struct Signals {
    shared: Shared,
    counter: AtomicU64,
    entries: Mutex<Entries>,
    listener: OnceLock<tokio::task::JoinHandle<()>>,
    /// Woken when another process queued webhook deliveries (PostgreSQL).
    pub(crate) outbox: Arc<tokio::sync::Notify>,
    /// This process's name among the lease holders (PostgreSQL).
    pub(crate) holder: String,
}

struct Entries {
    epoch: Option<Epoch>,
    tokens: HashMap<String, (Client, UnixTime)>,
    /// PostgreSQL: until when this process holds its lease (entries usable with no read).
    held_until: Option<Instant>,
}

/// The database file of a SQLite URL (`sqlite://PATH?options` or `sqlite:PATH`), unless in memory.
fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:") && !url.contains("mode=memory")).then_some(path)
}

impl Signals {
    pub(crate) fn new(dialect: Dialect, url: &str) -> StoreResult<Signals> {
        let shared = match dialect {
            Dialect::Sqlite => match sqlite_path(url) {
                Some(path) => {
                    let side = format!("{path}-access");
                    let file = OpenOptions::new()
                        .read(true)
                        .write(true)
                        .create(true)
                        .truncate(false)
                        .open(&side)
                        .map_err(|e| StoreError::Corrupt(format!("cannot open {side}: {e}")))?;
                    if file.metadata().map(|m| m.len() < 8).unwrap_or(true) {
                        let _ = file.write_all_at(&0u64.to_le_bytes(), 0);
                    }
                    Shared::File(file)
                }
                None => Shared::Memory,
            },
            Dialect::Postgres => Shared::Database { url: url.to_owned() },
        };
        Ok(Signals {
            shared,
            counter: AtomicU64::new(0),
            entries: Mutex::new(Entries {
                epoch: None,
                tokens: HashMap::new(),
                held_until: None,
            }),
            listener: OnceLock::new(),
            outbox: Arc::new(tokio::sync::Notify::new()),
            holder: format!("{:032x}", rand::random::<u128>()),
        })
    }

    /// The epoch when it needs no database read; `None` on PostgreSQL (the caller reads
    /// `access_epoch` and calls [`Signals::with_shared`]) or when the SQLite file is unreadable
    /// (nothing is cached then).
    pub(crate) fn local_epoch(&self) -> Option<Epoch> {
        let counter = self.counter.load(Ordering::Acquire);
        match &self.shared {
            Shared::Memory => Some(Epoch(counter, 0)),
            Shared::File(file) => {
                let mut bytes = [0u8; 8];
                file.read_exact_at(&mut bytes, 0).ok()?;
                Some(Epoch(counter, u64::from_le_bytes(bytes)))
            }
            Shared::Database { .. } => None,
        }
    }

    /// Whether the epoch is read from the database.
    pub(crate) fn in_database(&self) -> bool {
        matches!(self.shared, Shared::Database { .. })
    }

    /// The epoch with the shared value read from the database (PostgreSQL: that value alone,
    /// which this process's own changes move too).
    pub(crate) fn with_shared(&self, shared: i64) -> Epoch {
        Epoch(0, shared as u64)
    }

    /// PostgreSQL: the client of a token, with no database read, while this process holds its
    /// lease (every change waits for it to drop its entries, see [`super::access_lease`]).
    pub(crate) fn leased(&self, token_hash: &str, now: UnixTime) -> Option<Client> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.epoch?;
        if entries.held_until.is_none_or(|until| Instant::now() >= until) {
            return None;
        }
        match entries.tokens.get(token_hash) {
            Some((client, expires_at)) if *expires_at > now => Some(client.clone()),
            _ => None,
        }
    }

    /// PostgreSQL: the lease is held until `until`, and the database's epoch is at least `shared`.
    pub(crate) fn hold(&self, shared: i64, until: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        advance(&mut entries, shared);
        entries.held_until = Some(until);
    }

    /// PostgreSQL: a change moved the epoch to `shared`; entries cached under an older one are
    /// dropped (before the change is acknowledged).
    pub(crate) fn advance(&self, shared: i64) {
        advance(&mut self.entries.lock().unwrap_or_else(|p| p.into_inner()), shared);
    }

    /// PostgreSQL: the lease is lost (its connection broke): nothing is used unconfirmed.
    pub(crate) fn release(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.held_until = None;
        entries.tokens.clear();
        entries.epoch = None;
    }

    /// PostgreSQL: the client of a token cached under the last epoch seen, and that epoch, to
    /// be confirmed with [`Signals::confirm`] against the epoch read in the same request.
    pub(crate) fn provisional(&self, token_hash: &str, now: UnixTime) -> Option<(Client, Epoch)> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let epoch = entries.epoch?;
        match entries.tokens.get(token_hash) {
            Some((client, expires_at)) if *expires_at > now => Some((client.clone(), epoch)),
            _ => None,
        }
    }

    /// Whether `seen` (the epoch a provisional entry was cached under) is still the database's
    /// `shared` epoch; when not, every entry is dropped.
    pub(crate) fn confirm(&self, seen: Epoch, shared: i64) -> bool {
        if self.with_shared(shared) == seen {
            return true;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.tokens.clear();
        entries.epoch = None;
        false
    }

    /// The client of a token cached under `epoch` and not expired.
    pub(crate) fn get(&self, epoch: Epoch, token_hash: &str, now: UnixTime) -> Option<Client> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.epoch != Some(epoch) {
            entries.tokens.clear();
            entries.epoch = Some(epoch);
            return None;
        }
        match entries.tokens.get(token_hash) {
            Some((client, expires_at)) if *expires_at > now => Some(client.clone()),
            _ => None,
        }
    }

    /// Keeps a token read from the database under `read_at`, the epoch taken before the read.
    pub(crate) fn put(&self, read_at: Epoch, token_hash: &str, client: &Client, expires_at: UnixTime) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.epoch != Some(read_at) {
            // PostgreSQL's epoch only grows: a read under a newer one replaces the entries.
            // Otherwise a different epoch was seen meanwhile (this read may be stale).
            let newer =
                matches!(self.shared, Shared::Database { .. }) && entries.epoch.is_some_and(|e| read_at.1 > e.1);
            if entries.epoch.is_some() && !newer {
                return;
            }
            entries.tokens.clear();
            entries.epoch = Some(read_at);
        }
        if entries.tokens.len() >= MAX_ENTRIES {
            entries.tokens.clear();
        }
        entries
            .tokens
            .insert(token_hash.to_owned(), (client.clone(), expires_at));
    }

    /// Drops this process's entries and, on SQLite, tells the other processes (PostgreSQL's
    /// learn it from `access_epoch`, bumped by the change's transaction). Called once the change
    /// is committed.
    pub(crate) fn changed(&self) {
        self.counter.fetch_add(1, Ordering::AcqRel);
        {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            entries.tokens.clear();
            entries.epoch = None;
        }
        if let Shared::File(file) = &self.shared
            && let Err(e) = file.write_all_at(&rand::random::<u64>().to_le_bytes(), 0)
        {
            // Other processes would keep stale entries: say so loudly.
            tracing::error!(error = %e, "could not signal an API access change to other processes");
        }
    }

    /// Starts holding a lease and following the other processes' notifications (PostgreSQL),
    /// once.
    pub(crate) fn follow(self: &Arc<Self>) {
        if let Shared::Database { url } = &self.shared {
            self.listener
                .get_or_init(|| tokio::spawn(super::access_lease::listen(Arc::downgrade(self), url.clone())));
        }
    }

    pub(crate) fn stop(&self) {
        if let Some(task) = self.listener.get() {
            task.abort();
        }
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Entries cached under an epoch older than `shared` are dropped (PostgreSQL's epoch only grows).
fn advance(entries: &mut Entries, shared: i64) {
    if entries.epoch.is_some_and(|e| e.1 >= shared as u64) {
        return;
    }
    entries.tokens.clear();
    entries.epoch = Some(Epoch(0, shared as u64));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(sqlite_path("sqlite://data/verity.db?mode=rwc"), Some("data/verity.db"));
        assert_eq!(sqlite_path("sqlite:///tmp/v.db"), Some("/tmp/v.db"));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("sqlite://x.db?mode=memory"), None);
    }
}
