//! The reviewer's workspace: the review queue with its filters and search, claims and
//! assignments, internal notes, and a session's timeline of staff actions.

use async_trait::async_trait;
use verity_domain::search::SearchQuery;
use verity_domain::{ClientId, IdvSession, SessionId, UnixTime, User};

use crate::{AuditEntry, StoreResult};

/// Which sessions the queue lists. Every filter is optional but the status.
#[derive(Clone, Debug, Default)]
pub struct QueueFilter {
    /// `REVIEW` for the review queue; any status for a search.
    pub status: Option<String>,
    pub client: Option<ClientId>,
    /// `sandbox` or `production`.
    pub environment: Option<String>,
    /// `NATURAL`, `SOLETRADER`, `BUSINESS` or `ORGANIZATION`.
    pub user_type: Option<String>,
    /// Codes the session's checks must all carry: a check kind with its status
    /// (`IDENTITY_DOCUMENT_VERIFICATION:REVIEW`) or a reason code (`DOCUMENT_FALSIFIED`).
    pub codes: Vec<String>,
    /// Waiting since (the session's last change) at or after this time.
    pub since: Option<UnixTime>,
    /// Waiting since before this time.
    pub before: Option<UnixTime>,
    /// Only sessions this staff member holds a live claim on.
    pub claimed_by: Option<String>,
    /// Only sessions a search found.
    pub search: Option<SearchQuery>,
}

/// A live claim on a session: who holds it and until when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub staff_id: String,
    pub display_name: String,
    pub until: UnixTime,
    /// The lead who assigned the session, when it was assigned rather than taken.
    pub assigned_by: Option<String>,
}

/// A row of the queue.
#[derive(Clone, Debug)]
pub struct QueueEntry {
    pub session: IdvSession,
    pub user: User,
    pub environment: String,
    pub user_type: String,
    pub claim: Option<Claim>,
}

/// An internal note on a session: staff only, never sent to the platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub id: String,
    pub session_id: SessionId,
    pub client_id: ClientId,
    pub staff_id: String,
    pub username: String,
    pub body: String,
    pub at: UnixTime,
}

#[async_trait]
pub trait WorkspaceStore: Send + Sync + 'static {
    /// One page of the queue, oldest waiting first, and how many sessions match in all.
    async fn queue(
        &self,
        filter: &QueueFilter,
        now: UnixTime,
        offset: u64,
        limit: u32,
    ) -> StoreResult<(Vec<QueueEntry>, u64)>;
    /// The live claim on a session, if any.
    async fn claim_of(&self, session: &SessionId, now: UnixTime) -> StoreResult<Option<Claim>>;
    /// Gives a session to a reviewer until `until`, whoever held it.
    async fn assign_review(
        &self,
        session: &SessionId,
        staff_id: &str,
        assigned_by: &str,
        now: UnixTime,
        until: UnixTime,
    ) -> StoreResult<()>;
    /// Drops the claim `staff_id` holds on a session (nothing when someone else holds it).
    async fn release_review(&self, session: &SessionId, staff_id: &str) -> StoreResult<()>;
    /// The oldest session in REVIEW that `staff_id` may take now (unclaimed, or claimed by
    /// them), other than `except`.
    async fn next_in_queue(
        &self,
        staff_id: &str,
        now: UnixTime,
        except: Option<&SessionId>,
    ) -> StoreResult<Option<(ClientId, SessionId)>>;
    /// The note's body is sealed at rest.
    async fn insert_note(&self, note: &Note) -> StoreResult<()>;
    /// A session's notes, oldest first.
    async fn notes(&self, session: &SessionId) -> StoreResult<Vec<Note>>;
    /// The audit entries about a session, oldest first.
    async fn audit_of(&self, target: &str, limit: u32) -> StoreResult<Vec<AuditEntry>>;
    /// How many sessions wait in REVIEW, and since when the oldest has waited.
    async fn review_backlog(&self) -> StoreResult<(u64, Option<UnixTime>)>;
    /// Indexes up to `limit` users written before search existed; how many were indexed.
    async fn index_pending_users(&self, limit: u32) -> StoreResult<u64>;
}
