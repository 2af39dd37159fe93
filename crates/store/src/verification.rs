//! The capabilities of the verification objects beside sessions: PSCs, KYC documents and UBO
//! declarations (all written through [`crate::SessionStore::commit`]'s changesets).

use async_trait::async_trait;
use verity_domain::kyc::{KycDocument, KycStatus, KycType};
use verity_domain::psc::{Psc, PscId};
use verity_domain::ubo::UboDeclaration;
use verity_domain::{ClientId, SessionId, UnixTime, UserId};

use crate::{Page, PageRequest, StoreResult};

/// Persons of significant control (written through [`crate::SessionStore::commit`]'s changesets).
#[async_trait]
pub trait PscStore: Send + Sync + 'static {
    async fn psc(&self, client: &ClientId, id: &PscId) -> StoreResult<Option<Psc>>;
    /// The PSCs one main session declared, in declaration order.
    async fn pscs_of_session(&self, client: &ClientId, main: &SessionId) -> StoreResult<Vec<Psc>>;
    /// Every PSC declared for a user across its sessions, oldest first.
    async fn pscs_of_user(&self, client: &ClientId, user: &UserId, page: PageRequest) -> StoreResult<Page<Psc>>;
}

/// What a list of KYC documents is narrowed to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KycFilter {
    pub user: Option<UserId>,
    pub status: Option<KycStatus>,
    pub kind: Option<KycType>,
    pub after: Option<UnixTime>,
    pub before: Option<UnixTime>,
}

/// KYC Documents (written through [`crate::SessionStore::commit`]'s changesets).
#[async_trait]
pub trait KycStore: Send + Sync + 'static {
    async fn kyc_document(&self, client: &ClientId, id: &str) -> StoreResult<Option<KycDocument>>;
    async fn kyc_documents(
        &self,
        client: &ClientId,
        filter: &KycFilter,
        page: PageRequest,
    ) -> StoreResult<Page<KycDocument>>;
    /// Sandbox documents whose scripted outcome is due.
    async fn due_kyc_documents(&self, now: UnixTime, limit: u32) -> StoreResult<Vec<(ClientId, String)>>;
    /// A user's documents a downgrade makes out of date.
    async fn kyc_documents_to_outdate(&self, client: &ClientId, user: &UserId) -> StoreResult<Vec<KycDocument>>;
    /// Documents waiting for a reviewer (submitted, not scripted), oldest first.
    async fn kyc_review_queue(&self, client: Option<&ClientId>, limit: u32) -> StoreResult<Vec<KycDocument>>;
}

/// UBO declarations (written through [`crate::SessionStore::commit`]'s changesets).
#[async_trait]
pub trait UboStore: Send + Sync + 'static {
    async fn ubo_declaration(&self, client: &ClientId, id: &str) -> StoreResult<Option<UboDeclaration>>;
    async fn ubo_declarations(
        &self,
        client: &ClientId,
        user: &UserId,
        page: PageRequest,
    ) -> StoreResult<Page<UboDeclaration>>;
    /// Sandbox declarations whose scripted outcome is due.
    async fn due_ubo_declarations(&self, now: UnixTime, limit: u32) -> StoreResult<Vec<(ClientId, String)>>;
    /// Declarations waiting for a reviewer (submitted, not scripted), oldest first.
    async fn ubo_review_queue(&self, client: Option<&ClientId>, limit: u32) -> StoreResult<Vec<UboDeclaration>>;
}
