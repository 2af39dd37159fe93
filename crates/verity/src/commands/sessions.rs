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
        SessionsCommand::Pscs { client, session } => {
            let services = super::existing(settings).await?;
            let client = ClientId::parse(&client).map_err(|e| format!("{client}: {e}"))?;
            let id = SessionId::from_raw(session.clone());
            let main = services
                .session(&client, &id)
                .await
                .map_err(|_| Failure(format!("no session {session} for client {client}")))?;
            let base = settings
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", settings.listen));
            let mut rows = Vec::new();
            for p in services.store.pscs_of_session(&client, &main.id).await? {
                let link = services
                    .store
                    .session(&client, &p.session_id)
                    .await?
                    .map(|s| s.hosted_url(&base))
                    .unwrap_or_default();
                rows.push(serde_json::json!({
                    "Id": p.id.as_str(), "PscType": p.kind.as_str(), "Status": p.status.as_str(),
                    "FirstName": p.identity.first_name, "LastName": p.identity.last_name,
                    "Email": p.identity.email, "SessionId": p.session_id.as_str(), "HostedUrl": link,
                }));
            }
            print_json(&rows);
            Ok(())
        }
        SessionsCommand::AbandonPsc { client, psc } => {
            let services = super::existing(settings).await?;
            let client_id = ClientId::parse(&client).map_err(|e| format!("{client}: {e}"))?;
            let client = services
                .store
                .client(&client_id)
                .await?
                .ok_or_else(|| Failure(format!("no client {client_id}")))?
                .client;
            let abandoned = services
                .abandon_psc(&client, &verity_domain::psc::PscId::from_raw(psc.clone()))
                .await
                .map_err(|e| match e {
                    verity_service::ServiceError::NotFound { .. } => {
                        Failure(format!("no PSC {psc} for client {client_id}"))
                    }
                    other => Failure(other.to_string()),
                })?;
            println!("{} is {}", abandoned.id, abandoned.status.as_str());
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
