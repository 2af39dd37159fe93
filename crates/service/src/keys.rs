//! Master key rotation: publish the new key, wait until every running process holds it, seal new
//! values under it, re-seal every stored value, then retire the old key. Each step is recorded in
//! the database, so an interrupted rotation resumes where it stopped; until it finishes, a process
//! configured with either key opens everything.

use std::time::{Duration, Instant};

use verity_store::{MasterKey, RotationPhase};

use crate::{ServiceError, Services, now};

type ServiceResult<T> = Result<T, ServiceError>;

/// A process not heard from for this long is taken to have stopped.
pub const HOLDER_LIVE_SECONDS: i64 = 15;
/// How often a running process loads the keyring (and says so every few loads).
pub const KEYRING_REFRESH: Duration = Duration::from_secs(1);
/// How long a rotation waits for running processes to load a keyring change.
const HOLDERS_TIMEOUT: Duration = Duration::from_secs(60);
/// Sweeps after the first: each re-seals what processes wrote under the old key meanwhile.
const MAX_PASSES: i64 = 3;

/// What a rotation reports as it goes, for the operator's terminal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RotationStep {
    /// The new key is in the keyring.
    Published { key: String },
    /// Every running process has loaded keyring `version` (`processes` of them).
    Acknowledged { version: i64, processes: usize },
    /// New values are sealed under the new key.
    Switched { key: String },
    /// A batch of `column` was re-sealed; `total` so far in this pass.
    Resealed {
        pass: i64,
        column: &'static str,
        total: u64,
    },
    /// A pass over every column ended.
    PassDone { pass: i64, resealed: u64, unreadable: u64 },
}

/// How a rotation's sweep ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SweepSummary {
    pub resealed: u64,
    /// Values no key opens (already corrupt before the rotation).
    pub unreadable: u64,
    /// Whether the last pass found nothing left under another key: the old key can go.
    pub clean: bool,
}

impl Services {
    /// Loads the keyring and tells the others this process has; for the server's background
    /// loop. `said` is the version last recorded (recorded again every few seconds regardless).
    pub async fn keep_keyring_fresh(&self, holder: &str, said: Option<(i64, i64)>) -> ServiceResult<(i64, i64)> {
        let version = self.store.refresh_keyring().await?;
        let at = now();
        match said {
            Some((v, when)) if v == version && at - when < HOLDER_LIVE_SECONDS / 3 => Ok((v, when)),
            _ => {
                self.store.record_key_holder(holder, version, at).await?;
                Ok((version, at))
            }
        }
    }

    /// The first half of a rotation to `new` (or of the one in progress when `new` is `None`):
    /// publishes the key, waits for every process, switches sealing to it, waits again. Returns
    /// the new key's id.
    pub async fn begin_key_rotation(
        &self,
        new: Option<&MasterKey>,
        report: &mut (dyn FnMut(RotationStep) + Send),
    ) -> ServiceResult<String> {
        let mut state = self.store.keyring_state().await?;
        if state.rotation.is_none() {
            let key = new.ok_or_else(|| ServiceError::Invalid("no rotation is in progress".into()))?;
            self.store.publish_key(key, now()).await?;
            state = self.store.keyring_state().await?;
        }
        let Some((to, phase)) = state.rotation.clone() else {
            return Err(ServiceError::Invalid(
                "the rotation disappeared: another operator finished it".into(),
            ));
        };
        if let Some(key) = new.filter(|k| k.id() != to) {
            return Err(ServiceError::Invalid(format!(
                "a rotation to the key {to} is in progress; resume it (without a new key) before starting another (to {})",
                key.id()
            )));
        }
        report(RotationStep::Published { key: to.clone() });
        self.store.refresh_keyring().await?;
        self.wait_for_holders(state.version, report).await?;
        if phase == RotationPhase::Published {
            let version = self.store.switch_sealing_key(now()).await?;
            self.store.refresh_keyring().await?;
            self.wait_for_holders(version, report).await?;
        }
        report(RotationStep::Switched { key: to.clone() });
        Ok(to)
    }

    /// Re-seals every value not sealed under the new key, column by column in batches, then
    /// again until a pass finds nothing (values written meanwhile by a process that had not yet
    /// switched); resumes an interrupted pass where it stopped.
    pub async fn reseal_everything(
        &self,
        batch: u32,
        report: &mut (dyn FnMut(RotationStep) + Send),
    ) -> ServiceResult<SweepSummary> {
        let mut summary = SweepSummary {
            resealed: 0,
            unreadable: 0,
            clean: false,
        };
        for pass in 1..=MAX_PASSES {
            let (mut resealed, mut unreadable) = (0, 0);
            for column in verity_store::sealed_column_names() {
                let mut total = 0;
                loop {
                    let done = self.store.reseal_batch(column, pass, batch).await?;
                    total += done.resealed;
                    unreadable += done.unreadable;
                    if done.resealed > 0 {
                        report(RotationStep::Resealed { pass, column, total });
                    }
                    if done.done {
                        break;
                    }
                }
                resealed += total;
            }
            report(RotationStep::PassDone {
                pass,
                resealed,
                unreadable,
            });
            summary.resealed += resealed;
            summary.unreadable = unreadable;
            // A pass that re-sealed nothing proves nothing is left under another key (but what no
            // key opens).
            if resealed == 0 {
                summary.clean = true;
                break;
            }
        }
        Ok(summary)
    }

    /// Ends the rotation: the old key no longer opens anything here (kept sealed under the new
    /// key only when the sweep was not clean).
    pub async fn finish_key_rotation(&self, summary: SweepSummary) -> ServiceResult<i64> {
        Ok(self.store.finish_rotation(!summary.clean, now()).await?)
    }

    /// Waits until every live process has loaded keyring `version`.
    async fn wait_for_holders(&self, version: i64, report: &mut (dyn FnMut(RotationStep) + Send)) -> ServiceResult<()> {
        let started = Instant::now();
        loop {
            let holders = self.store.key_holders(now() - HOLDER_LIVE_SECONDS).await?;
            let behind: Vec<&String> = holders.iter().filter(|(_, v)| *v < version).map(|(h, _)| h).collect();
            if behind.is_empty() {
                report(RotationStep::Acknowledged {
                    version,
                    processes: holders.len(),
                });
                return Ok(());
            }
            if started.elapsed() > HOLDERS_TIMEOUT {
                return Err(ServiceError::Invalid(format!(
                    "{} running process(es) have not loaded the new keyring within {} s ({}): are they stuck? Run the command again once they are back or stopped",
                    behind.len(),
                    HOLDERS_TIMEOUT.as_secs(),
                    behind.iter().map(|h| h.as_str()).collect::<Vec<_>>().join(", ")
                )));
            }
            // Processes load the keyring every second; there is no event to wait on across processes.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Services {
    pub async fn keyring_state(&self) -> Result<verity_store::KeyringState, ServiceError> {
        Ok(self.store.keyring_state().await?)
    }

    /// The ids of this process's configured key and of the key it seals under.
    pub fn sealer_key_ids(&self) -> (String, String) {
        self.store.key_ids()
    }

    /// Processes heard from in the last `seconds`, with their keyring versions.
    pub async fn key_holders(&self, seconds: i64) -> Result<Vec<(String, i64)>, ServiceError> {
        Ok(self.store.key_holders(now() - seconds).await?)
    }

    /// For each sealed column, how many values are not sealed under `key`.
    pub async fn values_not_sealed_under(&self, key: &str) -> Result<Vec<(&'static str, u64)>, ServiceError> {
        Ok(self.store.values_not_sealed_under(key).await?)
    }
}
