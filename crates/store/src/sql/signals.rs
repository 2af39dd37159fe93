//! What other processes sharing the database must learn at once.
//!
//! Verified access tokens are kept in memory, so an API request does not read the database to
//! know its client. A change to API access (a key rotated, a client's settings changed) made by any
//! process drops every process's entries before that change's command returns or, on
//! PostgreSQL, as soon as the notification arrives:
//!
//! - SQLite: 8 bytes in a file beside the database (`verity.db-access`) are rewritten after
//!   every such change; every lookup reads them (one `pread` from the page cache) and an entry is
//!   only used while they are what they were when it was cached.
//! - PostgreSQL: the change sends `NOTIFY verity_access`; a listener connection of each process
//!   bumps its epoch on arrival. While that connection is down, nothing is cached.
//!
//! An entry filled from a read that raced a change is never kept: the epoch is taken before the
//! read and checked again before the entry goes in.
//!
//! On PostgreSQL the same listener wakes this process's webhook worker when another process
//! queues deliveries (`NOTIFY verity_outbox`, sent by the committing transaction).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use verity_domain::{Client, UnixTime};

use super::Dialect;
use crate::{StoreError, StoreResult};

/// The PostgreSQL channel that carries "API access changed".
const ACCESS: &str = "verity_access";
/// The PostgreSQL channel that carries "webhook deliveries queued".
pub(crate) const OUTBOX: &str = "verity_outbox";

/// Tokens kept at most; past it the cache starts again empty (bounded memory).
const MAX_ENTRIES: usize = 100_000;

/// What an entry's validity is checked against: this process's own counter (changes made here,
/// notifications received) and the shared file's bytes on SQLite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Epoch(u64, u64);

enum Signal {
    /// An in-memory database: no other process can see it.
    Local,
    /// SQLite on a file: the bytes of `<database>-access`.
    File(File),
    /// PostgreSQL: `live` while the listener is connected.
    Notify { url: String, live: AtomicBool },
}

pub(crate) struct Signals {
    signal: Signal,
    counter: AtomicU64,
    entries: Mutex<Entries>,
    listener: OnceLock<tokio::task::JoinHandle<()>>,
    /// Woken when another process queued webhook deliveries (PostgreSQL).
    pub(crate) outbox: Arc<tokio::sync::Notify>,
}

struct Entries {
    epoch: Option<Epoch>,
    tokens: HashMap<String, (Client, UnixTime)>,
}

/// The database file of a SQLite URL (`sqlite://PATH?options` or `sqlite:PATH`), unless in memory.
fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:") && !url.contains("mode=memory")).then_some(path)
}

impl Signals {
    pub(crate) fn new(dialect: Dialect, url: &str) -> StoreResult<Signals> {
        let signal = match dialect {
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
                    Signal::File(file)
                }
                None => Signal::Local,
            },
            Dialect::Postgres => Signal::Notify {
                url: url.to_owned(),
                live: AtomicBool::new(false),
            },
        };
        Ok(Signals {
            signal,
            counter: AtomicU64::new(0),
            entries: Mutex::new(Entries {
                epoch: None,
                tokens: HashMap::new(),
            }),
            listener: OnceLock::new(),
            outbox: Arc::new(tokio::sync::Notify::new()),
        })
    }

    /// The current epoch; `None` when nothing may be cached (the listener is not connected).
    pub(crate) fn epoch(self: &Arc<Self>) -> Option<Epoch> {
        let counter = self.counter.load(Ordering::Acquire);
        match &self.signal {
            Signal::Local => Some(Epoch(counter, 0)),
            Signal::File(file) => {
                let mut bytes = [0u8; 8];
                file.read_exact_at(&mut bytes, 0).ok()?;
                Some(Epoch(counter, u64::from_le_bytes(bytes)))
            }
            Signal::Notify { live, .. } => {
                self.follow();
                live.load(Ordering::Acquire).then_some(Epoch(counter, 0))
            }
        }
    }

    /// Starts following the other processes' notifications (PostgreSQL), once.
    pub(crate) fn follow(self: &Arc<Self>) {
        if let Signal::Notify { url, .. } = &self.signal {
            self.listener
                .get_or_init(|| tokio::spawn(listen(Arc::downgrade(self), url.clone())));
        }
    }

    /// The client of a cached, unexpired token.
    pub(crate) fn get(self: &Arc<Self>, token_hash: &str, now: UnixTime) -> Option<Client> {
        let epoch = self.epoch()?;
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

    /// Keeps a token read from the database while the epoch is still `read_at`, the epoch taken
    /// before the read.
    pub(crate) fn put(self: &Arc<Self>, read_at: Epoch, token_hash: &str, client: &Client, expires_at: UnixTime) {
        if self.epoch() != Some(read_at) {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.epoch != Some(read_at) {
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

    /// Drops this process's entries, and tells the other processes on SQLite (PostgreSQL's are
    /// told by the caller's `NOTIFY`). Called after the change is committed.
    pub(crate) fn changed(&self) {
        self.counter.fetch_add(1, Ordering::AcqRel);
        if let Signal::File(file) = &self.signal
            && let Err(e) = file.write_all_at(&rand::random::<u64>().to_le_bytes(), 0)
        {
            // Other processes would keep stale entries: say so loudly.
            tracing::error!(error = %e, "could not signal an API access change to other processes");
        }
    }

    /// Whether changes must also be announced with `NOTIFY`.
    pub(crate) fn notifies(&self) -> bool {
        matches!(self.signal, Signal::Notify { .. })
    }

    pub(crate) fn stop(&self) {
        if let Some(task) = self.listener.get() {
            task.abort();
        }
        if let Signal::Notify { live, .. } = &self.signal {
            live.store(false, Ordering::Release);
        }
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Follows `verity_access` and `verity_outbox` on a connection of its own; reconnects after a
/// second when it is lost, and drops the cache and wakes the webhook worker on every
/// (re)connection, since notifications may have been missed.
async fn listen(cache: Weak<Signals>, url: String) {
    loop {
        if let Ok(mut listener) = sqlx::postgres::PgListener::connect(&url).await
            && listener.listen_all([ACCESS, OUTBOX]).await.is_ok()
        {
            let Some(c) = cache.upgrade() else { return };
            c.counter.fetch_add(1, Ordering::AcqRel);
            c.outbox.notify_one();
            if let Signal::Notify { live, .. } = &c.signal {
                live.store(true, Ordering::Release);
            }
            drop(c);
            while let Ok(Some(notification)) = listener.try_recv().await {
                let Some(c) = cache.upgrade() else { return };
                if notification.channel() == OUTBOX {
                    c.outbox.notify_one();
                } else {
                    c.counter.fetch_add(1, Ordering::AcqRel);
                }
            }
        }
        let Some(c) = cache.upgrade() else { return };
        if let Signal::Notify { live, .. } = &c.signal
            && live.swap(false, Ordering::AcqRel)
        {
            tracing::warn!(
                "lost the connection that follows API access changes; tokens are not cached until it is back"
            );
        }
        c.counter.fetch_add(1, Ordering::AcqRel);
        drop(c);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
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
