//! `verity review`: deciding sessions waiting in REVIEW, and KYC documents and UBO declarations
//! waiting for a reviewer.

use verity_domain::SessionId;
use verity_domain::kyc::KycOutcome;
use verity_domain::ubo::UboOutcome;
use verity_service::Services;
use verity_service::lifecycle::Verdict;

use super::{Failure, client_of};
use crate::cli::ReviewCommand;

pub(super) async fn review(command: ReviewCommand, services: Services) -> Result<(), Failure> {
    let (client, session, verdict) = match command {
        ReviewCommand::Approve { client, session } => (client, session, Verdict::Approve),
        ReviewCommand::Refuse {
            client,
            session,
            reason,
            check,
            comment,
        } => (client, session, Verdict::Refuse { reason, check, comment }),
        ReviewCommand::Documents { client } => return documents(&services, client.as_deref()).await,
        ReviewCommand::Document {
            client,
            document,
            outcome,
            reason,
            message,
        } => {
            let client = client_of(&services, &client).await?;
            let outcome = match (outcome.as_str(), reason) {
                ("validate", _) => KycOutcome::Validate,
                ("refuse", Some(reason)) => KycOutcome::Refuse { reason, message },
                ("refuse", None) => return Err(Failure("--outcome refuse needs --reason".into())),
                _ => return Err(Failure("--outcome must be validate or refuse".into())),
            };
            let d = services
                .decide_kyc_document(&client.id, &document, &outcome)
                .await
                .map_err(|e| Failure(e.to_string()))?;
            println!("KYC document {} is now {}", d.id, d.status.as_str());
            return Ok(());
        }
        ReviewCommand::Declaration {
            client,
            declaration,
            outcome,
            reason,
            message,
        } => {
            let client = client_of(&services, &client).await?;
            let outcome = match (outcome.as_str(), reason) {
                ("validate", _) => UboOutcome::Validate,
                ("refuse", Some(reason)) => UboOutcome::Refuse { reason, message },
                ("incomplete", Some(reason)) => UboOutcome::Incomplete { reason, message },
                ("refuse" | "incomplete", None) => return Err(Failure(format!("--outcome {outcome} needs --reason"))),
                _ => return Err(Failure("--outcome must be validate, refuse or incomplete".into())),
            };
            let d = services
                .decide_ubo_declaration(&client.id, &declaration, &outcome)
                .await
                .map_err(|e| Failure(e.to_string()))?;
            println!("UBO declaration {} is now {}", d.id, d.status.as_str());
            return Ok(());
        }
    };
    let client = client_of(&services, &client).await?;
    let decided = services
        .review(&client.id, &SessionId::from_raw(session), verdict)
        .await
        .map_err(|e| Failure(e.to_string()))?;
    println!("session {} is now {}", decided.id, decided.status.as_str());
    Ok(())
}

/// The KYC documents and UBO declarations waiting for a reviewer, one line each.
async fn documents(services: &Services, client: Option<&str>) -> Result<(), Failure> {
    let client = client.map(verity_domain::ClientId::from_raw);
    let store = &services.store;
    let failure = |e: verity_store::StoreError| Failure(e.to_string());
    for d in store.kyc_review_queue(client.as_ref(), 500).await.map_err(failure)? {
        println!(
            "kyc {} {} client {} user {}",
            d.id,
            d.kind.as_str(),
            d.client_id,
            d.user_id
        );
    }
    for d in store.ubo_review_queue(client.as_ref(), 500).await.map_err(failure)? {
        println!(
            "ubo {} {} UBO(s) client {} user {}",
            d.id,
            d.ubos.iter().filter(|u| u.is_active).count(),
            d.client_id,
            d.user_id
        );
    }
    Ok(())
}
