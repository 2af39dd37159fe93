//! Storage for Verity, by capability: [`ClientStore`], [`SessionStore`], [`PscStore`], [`WebhookStore`],
//! [`HostedStore`], [`EngineStore`] and [`BackOfficeStore`], together [`Store`]. [`SqlStore`]
//! implements them for SQLite (the embedded default) and PostgreSQL with one set of portable SQL,
//! branching on the [`Dialect`] only where the two databases really differ (transaction start,
//! migration locking).

pub mod blobs;
mod health;
pub mod keys;
mod mail;
mod migrate;
pub mod s3;
pub mod sealing;
mod sql;
mod verification;
mod webhooks;
mod workspace;

use async_trait::async_trait;
use verity_domain::Branding;
use verity_domain::company::RegistryRecord;
use verity_domain::event::Event;
use verity_domain::hosted::Progress;
use verity_domain::kyc::KycDocument;
use verity_domain::psc::Psc;
use verity_domain::ubo::UboDeclaration;
use verity_domain::{Client, ClientId, IdvSession, SessionId, UnixTime, User, UserId};

pub use blobs::{BlobStore, LocalBlobs};
pub use health::{HealthStore, WorkBacklog};
pub use keys::{KeyStore, KeyringState, RotationPhase, SweepBatch};
pub use mail::{MailJob, MailKind, MailOutcome, MailRecord, MailStore};
pub use s3::{S3Blobs, S3Config};
pub use sealing::{MasterKey, Sealer};
pub use sql::keys::sealed_column_names;
pub use sql::{Dialect, SqlStore, redact_url};
pub use verification::{KycFilter, KycStore, PscStore, UboStore};
pub use webhooks::{
    AttemptRecord, DeliveryJob, DeliverySummary, FinishedAttempt, InvalidHook, InvalidationRule, NextStep, WebhookStore,
};
pub use workspace::{Claim, Note, QueueEntry, QueueFilter, WorkspaceStore};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule or a version check was hit; the payload says which.
    #[error("conflict: {0}")]
    Conflict(Conflict),
    #[error("stored data could not be read back: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From SQLite's native connections (see `sql::native`).
    #[error("database error: {0}")]
    Sqlite(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e.to_string())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// What a write collided with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    /// An updated object's version moved since it was read: read again and retry.
    #[error("the object changed since it was read")]
    Stale,
    #[error("the idempotency key was used")]
    IdempotencyKey,
    #[error("the client id is taken")]
    ClientId,
    #[error("the client has a hook for this event type")]
    HookEventType,
    #[error("the username is taken")]
    Username,
}

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

/// A call counted in shared rate-limit counters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedCount {
    /// Per window, in the order asked: calls counted and when the window started.
    pub windows: Vec<(u64, UnixTime)>,
    pub allowed: bool,
    /// The access epoch, when the call was counted in the database (cached tokens are checked
    /// against it); `None` when it was spent from this process's lease.
    pub access_epoch: Option<i64>,
}

/// A client together with the hash of its API key, for authentication.
#[derive(Clone, Debug)]
pub struct ClientCredentials {
    pub client: Client,
    pub api_key_hash: String,
}

/// A write of one object: new, or an update of the version that was read.
#[derive(Clone, Debug)]
pub enum Write<T> {
    Insert(T),
    Update(T),
}

/// Everything one decision changes, committed in one transaction: objects, the events they
/// caused, a webhook delivery for each event with an active hook, and the idempotent response.
#[derive(Clone, Debug)]
pub struct Changeset {
    pub client: ClientId,
    pub users: Vec<Write<User>>,
    pub sessions: Vec<Write<IdvSession>>,
    pub pscs: Vec<Write<Psc>>,
    /// E-mails the change calls for, queued with it.
    pub mails: Vec<MailJob>,
    pub kyc_documents: Vec<Write<KycDocument>>,
    pub ubo_declarations: Vec<Write<UboDeclaration>>,
    pub events: Vec<Event>,
    pub response: Option<StoredResponse>,
}

impl Changeset {
    pub fn new(client: ClientId) -> Self {
        Changeset {
            client,
            users: Vec::new(),
            sessions: Vec::new(),
            pscs: Vec::new(),
            mails: Vec::new(),
            kyc_documents: Vec::new(),
            ubo_declarations: Vec::new(),
            events: Vec::new(),
            response: None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub event_type: Option<String>,
    /// Events about one resource (a session or a user).
    pub resource: Option<String>,
    pub before: Option<UnixTime>,
    pub after: Option<UnixTime>,
}

/// An uploaded file's record; the bytes are in the blob store, sealed under `wrapped_key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobMeta {
    pub id: String,
    pub client_id: ClientId,
    /// What the file belongs to.
    pub owner: BlobOwner,
    pub slot: String,
    pub content_type: String,
    pub size: u64,
    pub wrapped_key: String,
    pub created_at: UnixTime,
}

/// What a stored file belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlobOwner {
    /// An upload to a hosted session, or a file the engine derived from one.
    Session(SessionId),
    /// A page of a KYC document.
    KycDocument(String),
}

/// Clients (platforms), their settings and policies, and OAuth access tokens.
#[async_trait]
pub trait ClientStore: Send + Sync + 'static {
    async fn insert_client(&self, client: &Client, api_key_hash: &str) -> StoreResult<()>;
    async fn client(&self, id: &ClientId) -> StoreResult<Option<ClientCredentials>>;
    async fn clients(&self) -> StoreResult<Vec<Client>>;
    /// Replaces the API key hash and revokes every access token issued with the old key.
    async fn rotate_api_key(&self, id: &ClientId, api_key_hash: &str) -> StoreResult<bool>;
    async fn set_idv_enabled(&self, id: &ClientId, enabled: bool) -> StoreResult<bool>;
    async fn set_natural_review(&self, id: &ClientId, enabled: bool) -> StoreResult<bool>;
    /// Sets or clears the secret that signs this client's webhooks.
    async fn set_webhook_secret(&self, id: &ClientId, secret: Option<&str>) -> StoreResult<bool>;
    async fn insert_token(&self, token_hash: &str, client: &ClientId, expires_at: UnixTime) -> StoreResult<()>;
    /// The client an unexpired token was issued to.
    async fn client_for_token(&self, token_hash: &str, now: UnixTime) -> StoreResult<Option<Client>>;
    async fn purge_expired_tokens(&self, now: UnixTime) -> StoreResult<u64>;
    /// Counts one API call of `key` at `now` against `windows` (`(seconds, limit)`), in counters
    /// every process shares, all windows or none (a refused call is not counted): each window's
    /// `(count, started)` and whether the call is allowed. `None` when this database keeps no
    /// shared counters (SQLite: each process counts its own).
    async fn count_call(&self, key: &str, now: UnixTime, windows: &[(i64, u64)]) -> StoreResult<Option<SharedCount>>;
    /// One API call: the client of `token_hash` if it is `path_client`'s, and the call counted
    /// (under the client, or under `anonymous_key` when the token is not the path's client's) as
    /// [`ClientStore::count_call`] does. On PostgreSQL a cached token costs no round trip of its
    /// own: the counter call returns the access epoch it is checked against.
    async fn authenticate_call(
        &self,
        token_hash: &str,
        path_client: &str,
        anonymous_key: &str,
        now: UnixTime,
        windows: &[(i64, u64)],
    ) -> StoreResult<(Option<Client>, Option<SharedCount>)>;
    async fn set_branding(&self, id: &ClientId, branding: &Branding) -> StoreResult<bool>;
    async fn client_policy(&self, client: &ClientId) -> StoreResult<ClientPolicy>;
    async fn set_client_policy(&self, client: &ClientId, policy: &ClientPolicy) -> StoreResult<()>;
    /// Locks token requests for the client id claimed from `address` until `until`.
    async fn lock_logins(&self, client: &str, address: &str, until: UnixTime) -> StoreResult<()>;
    /// When the lock on the client id and address ends, if there is one.
    async fn login_lock(&self, client: &str, address: &str) -> StoreResult<Option<UnixTime>>;
    /// Lifts the client's locks (from one address, or all); how many were lifted.
    async fn unlock_logins(&self, client: &str, address: Option<&str>) -> StoreResult<u64>;
}

/// Users and IDV sessions, the changeset commit that writes them with their events and outbox rows, and idempotent responses.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Commits a changeset atomically. Fails with `Conflict::Stale`, changing nothing, when an
    /// updated object's version moved since it was read, and `Conflict::IdempotencyKey` when
    /// the response's key was used.
    async fn commit(&self, changes: &Changeset) -> StoreResult<()>;
    async fn user(&self, client: &ClientId, id: &UserId) -> StoreResult<Option<User>>;
    async fn user_by_sca_token(&self, token: &str) -> StoreResult<Option<User>>;
    async fn users(&self, client: &ClientId, page: PageRequest) -> StoreResult<Page<User>>;
    async fn session(&self, client: &ClientId, id: &SessionId) -> StoreResult<Option<IdvSession>>;
    async fn session_by_token(&self, token: &str) -> StoreResult<Option<IdvSession>>;
    async fn sessions_of_user(
        &self,
        client: &ClientId,
        user: &UserId,
        page: PageRequest,
    ) -> StoreResult<Page<IdvSession>>;
    async fn validated_sessions(&self, client: &ClientId, user: &UserId) -> StoreResult<Vec<IdvSession>>;
    /// PENDING sessions whose expiry or scripted outcome is due.
    async fn due_sessions(&self, now: UnixTime, limit: u32) -> StoreResult<Vec<(ClientId, SessionId)>>;
    async fn stored_response(&self, client: &ClientId, key: &str) -> StoreResult<Option<StoredResponse>>;
    /// Records a response on its own (for requests that created nothing, such as a refused one).
    async fn insert_stored_response(&self, client: &ClientId, response: &StoredResponse) -> StoreResult<()>;
    async fn purge_stored_responses(&self, created_before: UnixTime) -> StoreResult<u64>;
}

/// The hosted flow: saved progress, submission and uploaded files' records.
#[async_trait]
pub trait HostedStore: Send + Sync + 'static {
    async fn progress(&self, session: &SessionId) -> StoreResult<Option<Progress>>;
    async fn save_progress(&self, session: &SessionId, progress: &Progress, now: UnixTime) -> StoreResult<()>;
    /// Records that the user submitted the hosted flow: the session no longer expires. With
    /// `checks`, the session's check job is queued in the same transaction.
    async fn mark_submitted(
        &self,
        session: &SessionId,
        progress: &Progress,
        now: UnixTime,
        checks: Option<(&ClientId, i64)>,
    ) -> StoreResult<()>;
    async fn insert_blob(&self, blob: &BlobMeta) -> StoreResult<()>;
    async fn blob(&self, id: &str) -> StoreResult<Option<BlobMeta>>;
}

/// The verification engine: check jobs, evidence, fingerprints and the imported company registry.
#[async_trait]
pub trait EngineStore: Send + Sync + 'static {
    /// Queues a submitted session's checks (idempotent).
    async fn enqueue_checks(&self, client: &ClientId, session: &SessionId, now_ms: i64) -> StoreResult<()>;
    /// Claims due check jobs until `lease_until_ms`, counting the attempt.
    async fn claim_check_jobs(&self, now_ms: i64, lease_until_ms: i64, limit: u32) -> StoreResult<Vec<CheckJob>>;
    /// Ends a job: done, or back in the queue at `retry_at_ms` with the error kept for operators.
    async fn finish_check_job(&self, session: &SessionId, outcome: JobOutcome<'_>) -> StoreResult<()>;
    /// Saves a session's evidence (sealed), replacing earlier evidence.
    async fn save_evidence(
        &self,
        client: &ClientId,
        session: &SessionId,
        evidence: &str,
        now: UnixTime,
    ) -> StoreResult<()>;
    async fn evidence(&self, session: &SessionId) -> StoreResult<Option<String>>;
    /// Replaces a session's fingerprints and returns other users' sessions sharing any of them.
    async fn record_fingerprints(
        &self,
        client: &ClientId,
        user: &UserId,
        session: &SessionId,
        fingerprints: &[(String, String)],
        now: UnixTime,
    ) -> StoreResult<Vec<FingerprintMatch>>;
    /// The values of one kind of fingerprint recorded for a session.
    async fn fingerprint_values(&self, session: &str, kind: &str) -> StoreResult<Vec<String>>;
    /// Adds or replaces registry records; returns how many were written.
    async fn import_registry(&self, records: &[RegistryRecord], now: UnixTime) -> StoreResult<u64>;
    async fn registry_record(&self, country: &str, number: &str) -> StoreResult<Option<RegistryRecord>>;
}

/// The back office: staff, sign-ins, console sessions, review claims and queue, the audit log, redaction and retention.
#[async_trait]
pub trait BackOfficeStore: Send + Sync + 'static {
    /// Fails with `Conflict::Username` when the username is taken.
    async fn insert_staff(&self, staff: &StaffRecord) -> StoreResult<()>;
    async fn staff_by_username(&self, username: &str) -> StoreResult<Option<StaffRecord>>;
    async fn staff_list(&self) -> StoreResult<Vec<StaffRecord>>;
    /// Saves password hash, TOTP secret, failures, lock and disabled flag.
    async fn update_staff(&self, staff: &StaffRecord) -> StoreResult<()>;
    /// Takes one sign-in attempt, counted as failed until [`Store::staff_login_succeeded`], in one
    /// atomic update: parallel attempts cannot all be checked before their failures are
    /// recorded. The attempt that reaches `max_failures` locks the account until `lock_until`.
    /// `None` when the account is locked (nothing is counted); otherwise when the account is now
    /// locked until (0 or a past time: not locked).
    async fn reserve_staff_login(
        &self,
        staff_id: &str,
        now: UnixTime,
        max_failures: i64,
        lock_until: UnixTime,
    ) -> StoreResult<Option<UnixTime>>;
    /// A sign-in succeeded: failures are forgotten and any lock is lifted.
    async fn staff_login_succeeded(&self, staff_id: &str) -> StoreResult<()>;
    async fn insert_staff_session(&self, session: &StaffSession) -> StoreResult<()>;
    /// The session and its staff member; touching it records activity.
    async fn staff_session(&self, token_hash: &str) -> StoreResult<Option<(StaffSession, StaffRecord)>>;
    async fn touch_staff_session(&self, token_hash: &str, now: UnixTime) -> StoreResult<()>;
    async fn delete_staff_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Ends every session of a staff member (disabled, password reset).
    async fn delete_staff_sessions_of(&self, staff_id: &str) -> StoreResult<()>;
    /// Claims a session for review until `until` unless someone else holds a live claim (one
    /// of one's own is extended, an assignment's longer term kept); returns the staff id
    /// holding the claim.
    async fn claim_review(
        &self,
        session: &SessionId,
        staff_id: &str,
        now: UnixTime,
        until: UnixTime,
    ) -> StoreResult<String>;
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// Forgets a session's files (their records and fingerprints) and returns the blob ids to
    /// delete; with `data`, marks its data redacted too. Idempotent.
    async fn redact_session_files(&self, session: &SessionId, data: bool, now: UnixTime) -> StoreResult<Vec<String>>;
    /// Decided sessions whose files, or data, passed their client's retention period:
    /// `(client, session, data too)`.
    async fn sessions_past_retention(&self, now: UnixTime, limit: u32)
    -> StoreResult<Vec<(ClientId, SessionId, bool)>>;
    /// Newest first; `text` matches the action, username, client or target.
    async fn audit_entries(&self, text: Option<&str>, limit: u32) -> StoreResult<Vec<AuditEntry>>;
}

/// All of storage: what the server is given. Code that needs one capability can take that
/// trait alone; `use verity_store::prelude::*` brings every capability's methods into scope.
pub trait Store:
    ClientStore
    + SessionStore
    + PscStore
    + MailStore
    + KycStore
    + UboStore
    + WebhookStore
    + HostedStore
    + EngineStore
    + BackOfficeStore
    + WorkspaceStore
    + HealthStore
    + KeyStore
{
}

impl<T> Store for T where
    T: ClientStore
        + SessionStore
        + PscStore
        + MailStore
        + KycStore
        + UboStore
        + WebhookStore
        + HostedStore
        + EngineStore
        + BackOfficeStore
        + WorkspaceStore
        + HealthStore
        + KeyStore
{
}

/// The storage traits, for `use verity_store::prelude::*`.
pub mod prelude {
    pub use crate::{
        BackOfficeStore, ClientStore, EngineStore, HealthStore, HostedStore, KeyStore, KycStore, MailStore, PscStore,
        SessionStore, Store, UboStore, WebhookStore, WorkspaceStore,
    };
}

/// A claimed check job.
#[derive(Clone, Debug)]
pub struct CheckJob {
    pub client: ClientId,
    pub session: SessionId,
    pub attempts: i64,
}

pub enum JobOutcome<'a> {
    Done,
    Retry { error: &'a str, at_ms: i64 },
    Failed { error: &'a str },
}

/// Another user's session that shares a fingerprint with the one being checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FingerprintMatch {
    pub user: String,
    pub session: String,
    pub kind: String,
    pub value: String,
}

/// A client's engine settings (Verity extension).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientPolicy {
    pub minimum_age: i64,
    /// `review` or `refuse`.
    pub fraud_routing: String,
    /// Days after a decision that documents and selfies are kept; `None`: kept.
    pub retention_files_days: Option<i64>,
    /// Days after a decision that the session's personal data is kept; `None`: kept.
    pub retention_data_days: Option<i64>,
    /// Whether natural users' selfies must pass the active liveness check.
    pub liveness_required: bool,
    /// Whether Business and Organization users go through the PSC flow (each person of
    /// significant control verified in a session of their own).
    pub psc_flow: bool,
    /// Whether Verity e-mails each PSC their link (else the platform sends it itself).
    pub psc_emails: bool,
}

impl Default for ClientPolicy {
    fn default() -> Self {
        ClientPolicy {
            minimum_age: 18,
            fraud_routing: "review".into(),
            retention_files_days: None,
            retention_data_days: None,
            liveness_required: false,
            psc_flow: false,
            psc_emails: true,
        }
    }
}

/// A staff member of the back office.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffRecord {
    pub id: String,
    pub username: String,
    pub display_name: String,
    /// `reviewer`, `lead`, `operator` or `auditor`.
    pub role: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Base32 TOTP secret (sealed at rest), when the second factor is on.
    pub totp_secret: Option<String>,
    pub failed_logins: i64,
    pub locked_until: UnixTime,
    pub disabled: bool,
    pub created_at: UnixTime,
}

/// A signed-in console session, known by the hash of its cookie.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffSession {
    pub token_hash: String,
    pub staff_id: String,
    pub csrf: String,
    pub created_at: UnixTime,
    pub last_seen_at: UnixTime,
}

/// One line of the append-only audit log.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub id: String,
    pub at: UnixTime,
    pub staff_id: Option<String>,
    pub username: String,
    pub action: String,
    pub client_id: Option<String>,
    pub target: Option<String>,
    pub detail: String,
    pub address: Option<String>,
}
