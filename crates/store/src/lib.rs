//! Storage for Verity. [`Store`] is the one interface the rest of the server sees; [`SqlStore`]
//! implements it for SQLite (the embedded default) and PostgreSQL with one set of portable SQL,
//! branching on the [`Dialect`] only where the two databases really differ (transaction start,
//! migration locking).

mod migrate;
mod sql;

use async_trait::async_trait;
use verity_domain::{Client, ClientId, IdvSession, SessionId, UnixTime, User, UserId};

pub use sql::{redact_url, Dialect, SqlStore};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was hit; the payload names what collided (`"idempotency_key"`, ...).
    #[error("conflict on {0}")]
    Conflict(&'static str),
    #[error("stored data could not be read back: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A response kept for an `Idempotency-Key`, returned by `GET /responses/{Key}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredResponse {
    pub key: String,
    pub created_at: UnixTime,
    pub status_code: u16,
    pub content_type: String,
    pub body: String,
    pub request_url: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortDirection {
    Asc,
    Desc,
}

/// One page of a list, 1-based, already validated by the HTTP layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
    /// Lists are sorted by creation date; ties are broken by id so pages never overlap.
    pub direction: SortDirection,
}

impl PageRequest {
    pub fn offset(&self) -> i64 {
        i64::from(self.page.saturating_sub(1)) * i64::from(self.per_page)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total_items: u64,
}

/// A client together with the hash of its API key, for authentication.
#[derive(Clone, Debug)]
pub struct ClientCredentials {
    pub client: Client,
    pub api_key_hash: String,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    // Clients.
    async fn insert_client(&self, client: &Client, api_key_hash: &str) -> StoreResult<()>;
    async fn client(&self, id: &ClientId) -> StoreResult<Option<ClientCredentials>>;
    async fn clients(&self) -> StoreResult<Vec<Client>>;
    /// Replaces the API key hash and revokes every access token issued with the old key.
    async fn rotate_api_key(&self, id: &ClientId, api_key_hash: &str) -> StoreResult<bool>;
    async fn set_idv_enabled(&self, id: &ClientId, enabled: bool) -> StoreResult<bool>;

    // OAuth access tokens, stored as hashes.
    async fn insert_token(&self, token_hash: &str, client: &ClientId, expires_at: UnixTime) -> StoreResult<()>;
    /// The client an unexpired token was issued to.
    async fn client_for_token(&self, token_hash: &str, now: UnixTime) -> StoreResult<Option<Client>>;
    async fn purge_expired_tokens(&self, now: UnixTime) -> StoreResult<u64>;

    // Users. A stored response, when given, commits in the same transaction as the write.
    async fn insert_user(&self, user: &User, response: Option<&StoredResponse>) -> StoreResult<()>;
    async fn update_user(&self, user: &User, response: Option<&StoredResponse>) -> StoreResult<()>;
    async fn user(&self, client: &ClientId, id: &UserId) -> StoreResult<Option<User>>;
    async fn user_by_sca_token(&self, token: &str) -> StoreResult<Option<User>>;
    async fn users(&self, client: &ClientId, page: PageRequest) -> StoreResult<Page<User>>;

    // IDV sessions.
    async fn insert_session(&self, session: &IdvSession, response: Option<&StoredResponse>) -> StoreResult<()>;
    async fn session(&self, client: &ClientId, id: &SessionId) -> StoreResult<Option<IdvSession>>;
    async fn session_by_token(&self, token: &str) -> StoreResult<Option<IdvSession>>;
    async fn sessions_of_user(&self, client: &ClientId, user: &UserId, page: PageRequest) -> StoreResult<Page<IdvSession>>;

    // Idempotency keys.
    async fn stored_response(&self, client: &ClientId, key: &str) -> StoreResult<Option<StoredResponse>>;
    /// Records a response on its own (for requests that created nothing, such as a refused one).
    async fn insert_stored_response(&self, client: &ClientId, response: &StoredResponse) -> StoreResult<()>;
    async fn purge_stored_responses(&self, created_before: UnixTime) -> StoreResult<u64>;
}
