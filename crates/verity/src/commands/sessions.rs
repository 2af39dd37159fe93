//! `verity sessions`: engine evidence, redaction and retention.

use verity_domain::{ClientId, SessionId};

use super::{Failure, print_json};
use crate::bootstrap::blob_store;
use crate::cli::SessionsCommand;
use crate::config::Settings;

pub(super) async fn sessions(command: SessionsCommand, settings: &Settings) -> Result<(), Failure> {
    match command {
        SessionsCommand::Redact {
            client,
            session,
            files_only,
        } => {
            let blobs = blob_store(settings)?;
            let services = super::existing(settings).await?;
            let client = ClientId::parse(&client).map_err(|e| format!("{client}: {e}"))?;
            let id = SessionId::from_raw(session.clone());
            if let Err(verity_service::ServiceError::NotFound { .. }) = services.session(&client, &id).await {
                return Err(Failure(format!("no session {session} for client {client}")));
            }
            let scope = if files_only {
                verity_service::redaction::Scope::Files
            } else {
                verity_service::redaction::Scope::All
            };
            let done = services.redact(blobs.as_ref(), &client, &id, scope).await?;
            println!("{session} redacted ({} files deleted)", done.files);
            Ok(())
        }
        SessionsCommand::PurgeExpiredData => {
            let blobs = blob_store(settings)?;
            let services = super::existing(settings).await?;
            let n = services.purge_past_retention(blobs.as_ref()).await?;
            println!("{n} sessions redacted");
            Ok(())
        }
        SessionsCommand::Evidence { session } => {
            let services = super::existing(settings).await?;
            match services.evidence(&SessionId::from_raw(session.clone())).await? {
                Some(evidence) => {
                    print_json(&evidence);
                    Ok(())
                }
                None => Err(Failure(format!("no engine evidence for session {session}"))),
            }
        }
    }
}
