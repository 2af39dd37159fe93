//! Master key rotation, as storage sees it: the database's keyring (the other master keys a
//! process may need, each sealed under another), which processes hold which keyring version, and
//! the sweep that re-seals every sealed column under the new key, resumably.

use async_trait::async_trait;
use verity_domain::UnixTime;

use crate::{MasterKey, StoreResult};

/// Where a rotation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RotationPhase {
    /// The new key is in the keyring (sealed under the old); values are still sealed under the old.
    Published,
    /// New values are sealed under the new key (the old one is in the keyring sealed under it);
    /// the sweep re-seals the rest.
    Switched,
}

impl RotationPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            RotationPhase::Published => "published",
            RotationPhase::Switched => "switched",
        }
    }

    pub fn parse(text: &str) -> Option<RotationPhase> {
        match text {
            "published" => Some(RotationPhase::Published),
            "switched" => Some(RotationPhase::Switched),
            _ => None,
        }
    }
}

/// The database keyring's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyringState {
    pub version: i64,
    /// The key new values are sealed under (`None`: each process's configured key).
    pub sealing_key: Option<String>,
    /// The key a rotation in progress moves to, and how far it has got.
    pub rotation: Option<(String, RotationPhase)>,
}

/// One batch of a sweep over one sealed column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepBatch {
    /// Values re-sealed under the sealing key in this batch.
    pub resealed: u64,
    /// Values no key opens (already corrupt): left as they are.
    pub unreadable: u64,
    /// Whether this pass over the column is complete.
    pub done: bool,
}

#[async_trait]
pub trait KeyStore: Send + Sync + 'static {
    /// This process's configured master key's id, and the id of the key it seals under.
    fn key_ids(&self) -> (String, String);
    /// Loads the database keyring into this process's sealer (new keys, the sealing key);
    /// returns its version.
    async fn refresh_keyring(&self) -> StoreResult<i64>;
    /// Records that the process `holder` has loaded keyring `version`.
    async fn record_key_holder(&self, holder: &str, version: i64, now: UnixTime) -> StoreResult<()>;
    /// Processes heard from since `since`, with the keyring version each has loaded.
    async fn key_holders(&self, since: UnixTime) -> StoreResult<Vec<(String, i64)>>;
    async fn keyring_state(&self) -> StoreResult<KeyringState>;
    /// Starts a rotation to `key`: it joins the keyring sealed under the configured key. Resuming
    /// with the same key is a no-op; another rotation in progress is a conflict.
    async fn publish_key(&self, key: &MasterKey, now: UnixTime) -> StoreResult<i64>;
    /// New values are sealed under the rotation's key from now on; the configured (old) key joins
    /// the keyring sealed under it.
    async fn switch_sealing_key(&self, now: UnixTime) -> StoreResult<i64>;
    /// Re-seals the next `limit` values of `column` not sealed under the sealing key. `pass`
    /// starts the column over when it differs from the stored progress.
    async fn reseal_batch(&self, column: &str, pass: i64, limit: u32) -> StoreResult<SweepBatch>;
    /// Ends the rotation: no key is left sealed under a retired one; `keep_retired` keeps the old
    /// key sealed under the new one (values no sweep could reach still need it).
    async fn finish_rotation(&self, keep_retired: bool, now: UnixTime) -> StoreResult<i64>;
    /// For each sealed column, how many values are not sealed under `key`.
    async fn values_not_sealed_under(&self, key: &str) -> StoreResult<Vec<(&'static str, u64)>>;
}
