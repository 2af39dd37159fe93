//! `verity sessions`: engine evidence, redaction and retention.

use verity_domain::{ClientId, SessionId};
use verity_store::EngineStore;

use super::{Failure, print_json};
use crate::bootstrap::{blob_store, open_store, services};
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
            let services = services(settings, open_store(settings).await?);
            let client = ClientId::parse(&client).map_err(|e| format!("{client}: {e}"))?;
            let id = SessionId::from_raw(session.clone());
            if services.store.session(&client, &id).await?.is_none() {
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
            let services = services(settings, open_store(settings).await?);
            let n = services.purge_past_retention(blobs.as_ref()).await?;
            println!("{n} sessions redacted");
            Ok(())
        }
        SessionsCommand::Evidence { session } => {
            let store = open_store(settings).await?;
            let id = SessionId::from_raw(session.clone());
            match store.evidence(&id).await? {
                Some(evidence) => {
                    let value: serde_json::Value = serde_json::from_str(&evidence)?;
                    print_json(&value);
                    Ok(())
                }
                None => Err(Failure(format!("no engine evidence for session {session}"))),
            }
        }
    }
}
