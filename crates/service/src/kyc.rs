//! KYC Documents' use cases: create, add a page (cleaned and sealed like the hosted uploads),
//! submit, view and list, decide (the sandbox's Tag outcomes through the sweep, reviewers
//! otherwise), signed links to the pages, and what a downgrade does to them.

use verity_domain::kyc::{self, KycDocument, KycError, KycOutcome, KycStatus};
use verity_domain::{Client, ClientId, Environment, UserId};
use verity_store::{BlobOwner, Changeset, KycFilter, Page, PageRequest, StoreError, StoredResponse, Write};

use crate::{ServiceError, Services, new_id, now, record};

const MAX_ATTEMPTS: usize = 8;

/// A change of a document through its state machine, given the time; its events.
type KycChange<'a> =
    dyn Fn(&mut KycDocument, i64) -> Result<Vec<verity_domain::event::Happened>, KycError> + Send + Sync + 'a;

fn kyc_error(e: KycError) -> ServiceError {
    ServiceError::Invalid(e.to_string())
}

impl Services {
    /// KYC documents waiting for a reviewer, oldest first, of every client.
    pub async fn kyc_review_queue(&self, limit: u32) -> Result<Vec<KycDocument>, ServiceError> {
        Ok(self.store.kyc_review_queue(None, limit).await?)
    }

    /// UBO declarations waiting for a reviewer, oldest first, of every client.
    pub async fn ubo_review_queue(&self, limit: u32) -> Result<Vec<verity_domain::ubo::UboDeclaration>, ServiceError> {
        Ok(self.store.ubo_review_queue(None, limit).await?)
    }

    /// Creates a document for a user; the document, its `KYC_CREATED` event and the idempotent
    /// response commit together.
    pub async fn create_kyc_document(
        &self,
        client: &Client,
        user_id: &UserId,
        kind: Option<&str>,
        tag: Option<&str>,
        response: &(dyn Fn(&KycDocument) -> Option<StoredResponse> + Send + Sync),
    ) -> Result<KycDocument, ServiceError> {
        let user = self
            .store
            .user(&client.id, user_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("user", user_id))?;
        let (kind, tag) = kyc::parse_new(&user, kind, tag)?;
        let now = now();
        let (doc, happened) = KycDocument::create(new_id("kyc_"), &user, kind, tag, now);
        let mut changes = Changeset::new(client.id.clone());
        changes.response = response(&doc);
        changes.events = record(&client.id, happened, now);
        changes.kyc_documents.push(Write::Insert(doc.clone()));
        self.store.commit(&changes).await?;
        Ok(doc)
    }

    /// A document of the client, of `user` when given (the user-scoped paths).
    pub async fn kyc_document(
        &self,
        client: &ClientId,
        id: &str,
        user: Option<&UserId>,
    ) -> Result<KycDocument, ServiceError> {
        match self.store.kyc_document(client, id).await? {
            Some(d) if user.is_none_or(|u| *u == d.user_id) => Ok(d),
            _ => Err(ServiceError::not_found("kyc document", id)),
        }
    }

    pub async fn kyc_documents(
        &self,
        client: &ClientId,
        filter: &KycFilter,
        page: PageRequest,
    ) -> Result<Page<KycDocument>, ServiceError> {
        if let Some(user) = &filter.user
            && self.store.user(client, user).await?.is_none()
        {
            return Err(ServiceError::not_found("user", user));
        }
        Ok(self.store.kyc_documents(client, filter, page).await?)
    }

    /// Adds a cleaned page: sealed and stored first, then recorded on the document (only while
    /// it is `CREATED`, at most five).
    pub async fn add_kyc_page(
        &self,
        client: &Client,
        user: &UserId,
        id: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), ServiceError> {
        let doc = self.kyc_document(&client.id, id, Some(user)).await?;
        // Refused before anything is stored.
        if doc.status != KycStatus::Created {
            return Err(kyc_error(KycError::NotCreated(doc.status)));
        }
        if doc.pages.len() >= kyc::MAX_PAGES {
            return Err(kyc_error(KycError::TooManyPages));
        }
        let slot = format!("kyc_page_{}", doc.pages.len() + 1);
        let file = self
            .store_file(
                &client.id,
                BlobOwner::KycDocument(doc.id.clone()),
                &slot,
                bytes,
                content_type,
                false,
            )
            .await?;
        for _ in 0..MAX_ATTEMPTS {
            let mut doc = self.kyc_document(&client.id, id, Some(user)).await?;
            doc.add_page(file.clone()).map_err(kyc_error)?;
            let mut changes = Changeset::new(client.id.clone());
            changes.kyc_documents.push(Write::Update(doc));
            match self.store.commit(&changes).await {
                Ok(()) => return Ok(()),
                Err(StoreError::Conflict(verity_store::Conflict::Stale)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Busy)
    }

    /// Submits a document (`Status: VALIDATION_ASKED`, the only change the API allows).
    pub async fn submit_kyc_document(
        &self,
        client: &Client,
        user: &UserId,
        id: &str,
        status: Option<&str>,
    ) -> Result<KycDocument, ServiceError> {
        match status {
            Some("VALIDATION_ASKED") => {}
            Some(other) => {
                return Err(ServiceError::param(
                    "Status",
                    format!("The value {other} is not valid for Status: only VALIDATION_ASKED can be asked."),
                ));
            }
            None => return Err(ServiceError::param("Status", "The Status field is required.")),
        }
        let delay = (client.environment == Environment::Sandbox).then_some(self.config.sandbox_delay);
        let doc = self
            .change_kyc_document(&client.id, id, Some(user), &|doc, now| doc.submit(delay, now))
            .await?;
        // A production identity proof is read at once, off the request; what the reader cannot
        // settle (or a process stopped meanwhile) is left to a reviewer.
        if client.environment == Environment::Production && doc.kind == verity_domain::kyc::KycType::IdentityProof {
            let services = self.clone();
            let (client_id, doc_id) = (client.id.clone(), doc.id.clone());
            tokio::spawn(async move {
                if let Err(e) = services.read_identity_proof(&client_id, &doc_id).await {
                    tracing::warn!(document = %doc_id, error = %e, "identity proof not read; it waits for a reviewer");
                }
            });
        }
        Ok(doc)
    }

    /// Reads a submitted identity proof's pages and decides it where their machine-readable zone
    /// settles it (valid check digits; expiry, name against the user, age).
    pub async fn read_identity_proof(&self, client: &ClientId, id: &str) -> Result<(), ServiceError> {
        let doc = self.kyc_document(client, id, None).await?;
        let Some(user) = self.store.user(client, &doc.user_id).await? else {
            return Ok(());
        };
        let mut zone = None;
        for page in &doc.pages {
            let Some(meta) = self.store.blob(&page.blob_id).await? else {
                continue;
            };
            let crate::files::Opened::File(bytes) = self.open_file(&meta).await? else {
                continue;
            };
            let read = tokio::task::spawn_blocking(move || {
                let image = verity_reader::decode_image(&bytes).ok()?;
                let reading = verity_reader::read_gray(&verity_reader::Gray::from_image(&image));
                reading.mrz.map(|m| m.fields).filter(|m| m.valid())
            })
            .await
            .ok()
            .flatten();
            if read.is_some() {
                zone = read;
                break;
            }
        }
        let minimum_age = self.store.client_policy(client).await?.minimum_age;
        let Some(outcome) = kyc::identity_proof_outcome(&user, zone.as_ref(), minimum_age, now()) else {
            return Ok(());
        };
        match self.decide_kyc_document(client, id, &outcome).await {
            // Decided by a reviewer meanwhile.
            Ok(_) | Err(ServiceError::Invalid(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// A reviewer's (or the sandbox script's) decision on a submitted document.
    pub async fn decide_kyc_document(
        &self,
        client: &ClientId,
        id: &str,
        outcome: &KycOutcome,
    ) -> Result<KycDocument, ServiceError> {
        if let KycOutcome::Refuse { reason, message } = outcome {
            let known = kyc::REFUSED_REASONS.contains(&reason.as_str()) || reason == "UNREADABLE";
            if !known {
                return Err(ServiceError::Invalid(format!("Unknown refusal reason type {reason}.")));
            }
            if message
                .as_ref()
                .is_some_and(|m| m.chars().count() > kyc::REASON_MESSAGE_MAX)
            {
                return Err(ServiceError::Invalid(format!(
                    "The refusal message is longer than {} characters.",
                    kyc::REASON_MESSAGE_MAX
                )));
            }
        }
        self.change_kyc_document(client, id, None, &|doc, now| doc.decide(outcome, now))
            .await
    }

    /// Reads, changes through the document's state machine, commits with the events; again when
    /// someone else changed it meanwhile.
    async fn change_kyc_document(
        &self,
        client: &ClientId,
        id: &str,
        user: Option<&UserId>,
        change: &KycChange<'_>,
    ) -> Result<KycDocument, ServiceError> {
        for _ in 0..MAX_ATTEMPTS {
            let mut doc = self.kyc_document(client, id, user).await?;
            let now = now();
            let happened = change(&mut doc, now).map_err(kyc_error)?;
            let mut changes = Changeset::new(client.clone());
            changes.events = record(client, happened, now);
            changes.kyc_documents.push(Write::Update(doc.clone()));
            match self.store.commit(&changes).await {
                Ok(()) => {
                    doc.version += 1;
                    return Ok(doc);
                }
                Err(StoreError::Conflict(verity_store::Conflict::Stale)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Busy)
    }

    /// Applies the sandbox outcomes that are due; a document decided meanwhile is skipped.
    pub async fn sweep_due_kyc_documents(&self) -> Result<usize, ServiceError> {
        let mut done = 0;
        for (client, id) in self.store.due_kyc_documents(now(), 200).await? {
            let Some(doc) = self.store.kyc_document(&client, &id).await? else {
                continue;
            };
            let Some((outcome, _)) = doc.scripted else {
                continue;
            };
            match self.decide_kyc_document(&client, &id, &outcome).await {
                Ok(_) => done += 1,
                Err(ServiceError::Invalid(_)) | Err(ServiceError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }
}

/// What `GET .../users/{UserId}/Regulatory` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegulatoryStatus {
    pub inflows_blocked: bool,
    pub outflows_blocked: bool,
}

impl Services {
    /// A user's blocked scopes, from its KYC state: Verity moves no money, so the only block it
    /// knows is a suspected fraud, a KYC document refused as falsified, which blocks both flows
    /// until a valid document is validated.
    pub async fn regulatory_status(&self, client: &ClientId, user: &UserId) -> Result<RegulatoryStatus, ServiceError> {
        if self.store.user(client, user).await?.is_none() {
            return Err(ServiceError::not_found("user", user));
        }
        let filter = KycFilter {
            user: Some(user.clone()),
            ..Default::default()
        };
        let page = PageRequest {
            page: 1,
            per_page: 100,
            direction: verity_store::SortDirection::Desc,
        };
        let docs = self.store.kyc_documents(client, &filter, page).await?.items;
        // Newest first: a falsified refusal counts until a later identity proof is validated.
        let mut blocked = false;
        for d in &docs {
            if d.status == KycStatus::Validated && d.kind == verity_domain::kyc::KycType::IdentityProof {
                break;
            }
            if d.status == KycStatus::Refused && d.refused_reason_type.as_deref() == Some("DOCUMENT_FALSIFIED") {
                blocked = true;
                break;
            }
        }
        Ok(RegulatoryStatus {
            inflows_blocked: blocked,
            outflows_blocked: blocked,
        })
    }
}
