//! `verity review`: deciding sessions waiting in REVIEW.

use verity_domain::SessionId;
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
    };
    let client = client_of(&services, &client).await?;
    let decided = services
        .review(&client.id, &SessionId::from_raw(session), verdict)
        .await
        .map_err(|e| Failure(e.to_string()))?;
    println!("session {} is now {}", decided.id, decided.status.as_str());
    Ok(())
}
