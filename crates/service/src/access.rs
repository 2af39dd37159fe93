//! API access: client credentials, OAuth access tokens, and `Idempotency-Key` bookkeeping.

use verity_common::hashing::sha256_hex;
use verity_domain::{Client, ClientId, UnixTime};
use verity_store::{SharedCount, StoredResponse};

use crate::{ServiceError, Services, now};

/// How long an `Idempotency-Key` and its response are kept (Mangopay: 24 hours).
pub const IDEMPOTENCY_KEY_LIFETIME: i64 = 24 * 60 * 60;

/// Compares two equal-length secrets' hashes without an early exit.
fn same_hash(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Services {
    /// Locks token requests for the claimed client id from `address` until `until`.
    pub async fn lock_logins(&self, client: &str, address: &str, until: UnixTime) -> Result<(), ServiceError> {
        Ok(self.store.lock_logins(client, address, until).await?)
    }

    /// When the lock on the claimed client id from `address` ends, if one is set.
    pub async fn login_lock(&self, client: &str, address: &str) -> Result<Option<UnixTime>, ServiceError> {
        Ok(self.store.login_lock(client, address).await?)
    }

    /// Lifts a client's token-request locks (from one address, or all); how many.
    pub async fn unlock_logins(&self, client: &ClientId, address: Option<&str>) -> Result<u64, ServiceError> {
        Ok(self.store.unlock_logins(client.as_str(), address).await?)
    }

    /// The client whose id and API key these are, if they are.
    pub async fn authenticate_client(&self, id: &str, api_key: &str) -> Result<Option<Client>, ServiceError> {
        let Ok(id) = ClientId::parse(id) else {
            return Ok(None);
        };
        Ok(self
            .store
            .client(&id)
            .await?
            .filter(|c| same_hash(&c.api_key_hash, &sha256_hex(api_key)))
            .map(|c| c.client))
    }

    /// A new access token for `client`, valid `ttl` seconds; only its hash is kept.
    pub async fn issue_token(&self, client: &ClientId, ttl: i64) -> Result<String, ServiceError> {
        // 128 bits, shown as 32 hex digits like Mangopay's tokens.
        let token = format!("{:032x}", rand::random::<u128>());
        self.store
            .insert_token(&sha256_hex(&token), client, now() + ttl)
            .await?;
        Ok(token)
    }

    /// One API call with a bearer token: the client it was issued to, if unexpired and the
    /// path's `ClientId` is that client's, and the call counted in the shared counters (`None`
    /// on SQLite: the caller counts in its process), under the client or `anonymous_key`.
    pub async fn authenticate_call(
        &self,
        token: &str,
        path_client: &str,
        anonymous_key: &str,
        at: UnixTime,
        windows: &[(i64, u64)],
    ) -> Result<(Option<Client>, Option<SharedCount>), ServiceError> {
        Ok(self
            .store
            .authenticate_call(&sha256_hex(token), path_client, anonymous_key, at, windows)
            .await?)
    }

    /// Counts one API call in the counters every process shares (PostgreSQL); `None` when each
    /// process counts its own (SQLite).
    pub async fn count_api_call(
        &self,
        key: &str,
        at: UnixTime,
        windows: &[(i64, u64)],
    ) -> Result<Option<SharedCount>, ServiceError> {
        Ok(self.store.count_call(key, at, windows).await?)
    }

    /// The response kept for a key, while the key lives.
    pub async fn stored_response(&self, client: &ClientId, key: &str) -> Result<Option<StoredResponse>, ServiceError> {
        Ok(self
            .store
            .stored_response(client, key)
            .await?
            .filter(|r| r.created_at + IDEMPOTENCY_KEY_LIFETIME > now()))
    }

    /// Whether a key is in use; an expired key not yet purged is freed for reuse.
    pub async fn idempotency_key_in_use(&self, client: &ClientId, key: &str) -> Result<bool, ServiceError> {
        match self.store.stored_response(client, key).await? {
            Some(found) if found.created_at + IDEMPOTENCY_KEY_LIFETIME > now() => Ok(true),
            Some(_) => {
                self.store
                    .purge_stored_responses(now() - IDEMPOTENCY_KEY_LIFETIME)
                    .await?;
                Ok(false)
            }
            None => Ok(false),
        }
    }
}

impl Services {
    /// Forgets expired access tokens and idempotency responses past their lifetime.
    pub async fn purge_expired_access(&self) -> Result<(u64, u64), ServiceError> {
        let at = now();
        let tokens = self.store.purge_expired_tokens(at).await?;
        let responses = self.store.purge_stored_responses(at - IDEMPOTENCY_KEY_LIFETIME).await?;
        Ok((tokens, responses))
    }
}
