//! The verified identity of a REGULAR user (August 2026): what verification validated, never what
//! was only declared, and links to the validated documents. A link is signed (HMAC under a key
//! derived from the master key), names one file of one client, stops working after
//! [`DOCUMENT_URL_TTL`] seconds, and each use is written to the audit log.

use verity_domain::engine::VerifiedDocument;
use verity_domain::hosted::{SLOT_ARTICLES, SLOT_BACK, SLOT_FRONT, SLOT_REGISTRATION_PROOF};
use verity_domain::psc::{Psc, PscStatus};
use verity_domain::session::{Check, SessionFlow};
use verity_domain::user::{KycLevel, Person};
use verity_domain::{Client, ClientId, IdvSession, SessionStatus, UnixTime, User, UserId};
use verity_store::{AuditEntry, BlobOwner, PageRequest, SortDirection};

use crate::files::Opened;
use crate::{ServiceError, Services, new_id, now};

/// How long a document link works.
pub const DOCUMENT_URL_TTL: i64 = 300;

/// A signed link to one validated file: the path and query to append to the public base.
#[derive(Clone, Debug)]
pub struct DocumentLink {
    /// `FRONT`, `BACK`, `REGISTRATION_PROOF`, `ARTICLES_OF_ASSOCIATION`.
    pub side: String,
    pub path: String,
    pub expires_at: UnixTime,
}

#[derive(Clone, Debug)]
pub struct VerifiedDocumentLinks {
    /// What was read off an identity document (`None` for a company document).
    pub read: Option<VerifiedDocument>,
    /// `PASSPORT`, ..., or the company document's type.
    pub document_type: String,
    pub links: Vec<DocumentLink>,
}

/// A person as validated: names and birth date read from their document.
#[derive(Clone, Debug)]
pub struct VerifiedPerson {
    pub psc: Option<Psc>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub birthdate: Option<UnixTime>,
    pub session_id: String,
    pub validated_at: Option<UnixTime>,
    pub documents: Vec<VerifiedDocumentLinks>,
}

#[derive(Clone, Debug)]
pub struct VerifiedIdentity {
    pub user: User,
    /// The validated session the identity comes from (the main session in the PSC flow).
    pub session: IdvSession,
    /// A natural user's own verified identity.
    pub person: Option<VerifiedPerson>,
    pub company_name: Option<String>,
    pub company_number: Option<String>,
    pub company_documents: Vec<VerifiedDocumentLinks>,
    /// The people verified for a legal user: the legal representative of a single session, or
    /// each validated PSC.
    pub pscs: Vec<VerifiedPerson>,
}

fn data(checks: &[Check], kind: &str) -> Option<String> {
    checks
        .iter()
        .flat_map(|c| c.data.iter())
        .find(|d| d.kind == kind)
        .and_then(|d| d.value.clone())
        .filter(|v| !v.is_empty())
}

impl Services {
    fn document_signature(&self, client: &ClientId, blob: &str, expires: UnixTime) -> Result<String, ServiceError> {
        Ok(self
            .files()?
            .sealer
            .fingerprint(&format!("verified-document-url\n{client}\n{blob}\n{expires}")))
    }

    /// Signed links to the files of `session` in `slots`.
    async fn links(
        &self,
        client: &ClientId,
        session: &IdvSession,
        slots: &[&str],
    ) -> Result<Vec<DocumentLink>, ServiceError> {
        let Some(progress) = self.store.progress(&session.id).await? else {
            return Ok(Vec::new());
        };
        let expires_at = now() + DOCUMENT_URL_TTL;
        let mut links = Vec::new();
        for slot in slots {
            if let Some(file) = progress.files.get(*slot) {
                let signature = self.document_signature(client, &file.blob_id, expires_at)?;
                links.push(DocumentLink {
                    side: slot.to_uppercase(),
                    path: format!(
                        "/v2.01/{client}/verified-documents/{}?expires={expires_at}&signature={signature}",
                        file.blob_id
                    ),
                    expires_at,
                });
            }
        }
        Ok(links)
    }

    /// Signed links to each page of a KYC document (Create a KYC Document Consult).
    pub async fn kyc_consult(&self, client: &ClientId, id: &str) -> Result<Vec<DocumentLink>, ServiceError> {
        let doc = self.kyc_document(client, id, None).await?;
        let expires_at = now() + DOCUMENT_URL_TTL;
        doc.pages
            .iter()
            .enumerate()
            .map(|(i, page)| {
                let signature = self.document_signature(client, &page.blob_id, expires_at)?;
                Ok(DocumentLink {
                    side: format!("PAGE_{}", i + 1),
                    path: format!(
                        "/v2.01/{client}/verified-documents/{}?expires={expires_at}&signature={signature}",
                        page.blob_id
                    ),
                    expires_at,
                })
            })
            .collect()
    }

    /// The identity document of a validated session: what was read, and links to its pages.
    async fn identity_document(
        &self,
        client: &ClientId,
        session: &IdvSession,
    ) -> Result<Vec<VerifiedDocumentLinks>, ServiceError> {
        let read = self
            .store
            .evidence(&session.id)
            .await?
            .and_then(|json| serde_json::from_str::<verity_domain::engine::EvidenceRecord>(&json).ok())
            .and_then(|e| e.document);
        let links = self.links(client, session, &[SLOT_FRONT, SLOT_BACK]).await?;
        if read.is_none() && links.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![VerifiedDocumentLinks {
            document_type: read
                .as_ref()
                .map(|d| d.document_type.clone())
                .unwrap_or_else(|| "IDENTITY_DOCUMENT".into()),
            read,
            links,
        }])
    }

    async fn verified_person(
        &self,
        client: &ClientId,
        session: &IdvSession,
        prefix: &str,
        psc: Option<Psc>,
    ) -> Result<VerifiedPerson, ServiceError> {
        Ok(VerifiedPerson {
            first_name: data(&session.checks, &format!("{prefix}FIRST_NAME")),
            last_name: data(&session.checks, &format!("{prefix}LAST_NAME")),
            birthdate: data(&session.checks, &format!("{prefix}BIRTHDATE")).and_then(|b| b.parse().ok()),
            session_id: session.id.to_string(),
            validated_at: psc.as_ref().and_then(|p| p.validation_date).or(session.updated_at),
            documents: self.identity_document(client, session).await?,
            psc,
        })
    }

    /// The verified identity of a REGULAR user; any other user is refused, never shown partly.
    pub async fn verified_identity(&self, client: &Client, user_id: &UserId) -> Result<VerifiedIdentity, ServiceError> {
        let user = self
            .store
            .user(&client.id, user_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("user", user_id))?;
        if user.kyc_level != KycLevel::Regular {
            return Err(ServiceError::Invalid(
                "The user's verified identity is available only once the user is KYC REGULAR.".into(),
            ));
        }
        // The latest validated session of the user (PSC sessions are reached through their PSC).
        let page = PageRequest {
            page: 1,
            per_page: 100,
            direction: SortDirection::Desc,
        };
        let session = self
            .store
            .sessions_of_user(&client.id, user_id, page)
            .await?
            .items
            .into_iter()
            .find(|s| s.status == SessionStatus::Validated)
            .ok_or_else(|| {
                ServiceError::Invalid("The user was made REGULAR without a validated session: nothing to show.".into())
            })?;
        let mut identity = VerifiedIdentity {
            person: None,
            company_name: None,
            company_number: None,
            company_documents: Vec::new(),
            pscs: Vec::new(),
            session: session.clone(),
            user: user.clone(),
        };
        match &user.person {
            Person::Natural(_) => {
                identity.person = Some(self.verified_person(&client.id, &session, "", None).await?);
            }
            Person::Legal(_) => {
                identity.company_name = data(&session.checks, "COMPANY_NAME");
                identity.company_number = data(&session.checks, "COMPANY_NUMBER");
                let links = self
                    .links(&client.id, &session, &[SLOT_REGISTRATION_PROOF, SLOT_ARTICLES])
                    .await?;
                identity.company_documents = links
                    .into_iter()
                    .map(|l| VerifiedDocumentLinks {
                        read: None,
                        document_type: l.side.clone(),
                        links: vec![l],
                    })
                    .collect();
                if session.flow == SessionFlow::PscMain {
                    for psc in self.store.pscs_of_session(&client.id, &session.id).await? {
                        if psc.status != PscStatus::Validated {
                            continue;
                        }
                        if let Some(own) = self.store.session(&client.id, &psc.session_id).await? {
                            identity
                                .pscs
                                .push(self.verified_person(&client.id, &own, "", Some(psc)).await?);
                        }
                    }
                } else {
                    identity.pscs.push(
                        self.verified_person(&client.id, &session, "LEGAL_REPRESENTATIVE_", None)
                            .await?,
                    );
                }
            }
        }
        Ok(identity)
    }

    /// Serves a file through a signed link: the signature, its expiry, and that the file still
    /// belongs to a validated session of the client are checked; each use is audited.
    pub async fn open_signed_document(
        &self,
        client: &ClientId,
        blob: &str,
        expires: UnixTime,
        signature: &str,
        address: Option<&str>,
    ) -> Result<(String, Vec<u8>), ServiceError> {
        let expected = self.document_signature(client, blob, expires)?;
        let valid = verity_common::secrets::constant_time_eq(expected.as_bytes(), signature.as_bytes());
        if !valid || expires < now() {
            return Err(ServiceError::Invalid(
                "This document link is not valid or has expired: ask verified-identity for a new one.".into(),
            ));
        }
        let gone = || ServiceError::not_found("document", blob);
        let meta = self.store.blob(blob).await?.ok_or_else(gone)?;
        if &meta.client_id != client {
            return Err(gone());
        }
        // A validated session's file, or a KYC document's page.
        let target = match &meta.owner {
            BlobOwner::Session(id) => match self.store.session(client, id).await? {
                Some(session) if session.status == SessionStatus::Validated => session.id.to_string(),
                _ => return Err(gone()),
            },
            BlobOwner::KycDocument(id) => self.store.kyc_document(client, id).await?.ok_or_else(gone)?.id,
        };
        let bytes = match self.open_file(&meta).await? {
            Opened::File(bytes) => bytes,
            Opened::Gone | Opened::Undecryptable => return Err(gone()),
        };
        self.store
            .append_audit(&AuditEntry {
                id: new_id("aud_"),
                at: now(),
                staff_id: None,
                username: format!("api:{client}"),
                action: "verified_document_opened".into(),
                client_id: Some(client.to_string()),
                target: Some(target.clone()),
                detail: format!("{} of {target}", meta.slot),
                address: address.map(str::to_owned),
            })
            .await?;
        Ok((meta.content_type, bytes))
    }
}
