//! Documents and selfies: sealed under a key of their own (itself sealed under the master key),
//! stored in the blob store before the record that points to them, opened only for reviewers.

use std::sync::Arc;

use verity_domain::ClientId;
use verity_domain::hosted::FileRef;
use verity_store::{BlobMeta, BlobOwner, BlobStore, Sealer};

use crate::{ServiceError, Services, new_id, now};

/// Where files go and the sealer that protects them.
#[derive(Clone)]
pub struct Files {
    pub blobs: Arc<dyn BlobStore>,
    pub sealer: Sealer,
}

/// What opening a stored file gives.
#[derive(Debug)]
pub enum Opened {
    File(Vec<u8>),
    /// Redacted or purged.
    Gone,
    /// The blob does not open under its key: damaged, or sealed under another master key.
    Undecryptable,
}

impl Services {
    /// These services with a file store: uploads and reviewers' views need one.
    pub fn with_files(mut self, blobs: Arc<dyn BlobStore>, sealer: Sealer) -> Self {
        self.files = Some(Arc::new(Files { blobs, sealer }));
        self
    }

    /// The file store; a process built without one (most CLI commands) cannot touch files.
    pub fn files(&self) -> Result<&Files, ServiceError> {
        self.files
            .as_deref()
            .ok_or_else(|| ServiceError::Invalid("no file store is configured in this process".into()))
    }

    /// Seals and stores a cleaned file of a session or a KYC document; the blob is durable before
    /// its record.
    pub async fn store_file(
        &self,
        client: &ClientId,
        owner: BlobOwner,
        slot: &str,
        bytes: Vec<u8>,
        content_type: &str,
        sample: bool,
    ) -> Result<FileRef, ServiceError> {
        let files = self.files()?;
        let id = new_id("blob_");
        let size = bytes.len() as u64;
        let (wrapped_key, sealed) = files.sealer.seal_blob(&bytes, &id);
        files
            .blobs
            .put(&id, sealed)
            .await
            .map_err(|e| ServiceError::Invalid(format!("blob write failed: {e}")))?;
        let meta = BlobMeta {
            id: id.clone(),
            client_id: client.clone(),
            owner,
            slot: slot.to_owned(),
            content_type: content_type.to_owned(),
            size,
            wrapped_key,
            created_at: now(),
        };
        self.store.insert_blob(&meta).await?;
        Ok(FileRef {
            blob_id: id,
            content_type: content_type.to_owned(),
            size,
            sample,
        })
    }

    /// A stored file, decrypted.
    pub async fn open_file(&self, meta: &BlobMeta) -> Result<Opened, ServiceError> {
        let files = self.files()?;
        let Some(sealed) = files
            .blobs
            .get(&meta.id)
            .await
            .map_err(|e| ServiceError::Invalid(format!("blob read failed: {e}")))?
        else {
            return Ok(Opened::Gone);
        };
        Ok(match files.sealer.open_blob(&sealed, &meta.wrapped_key, &meta.id) {
            Ok(bytes) => Opened::File(bytes),
            Err(_) => Opened::Undecryptable,
        })
    }
}

mod pdf_mark;
mod watermark;

pub use pdf_mark::watermark_pdf;
pub use watermark::watermark;
