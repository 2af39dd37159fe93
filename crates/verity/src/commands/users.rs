//! `verity users`: acting on users.

use verity_domain::UserId;
use verity_service::Services;

use super::{Failure, client_of};
use crate::cli::UsersCommand;

pub(super) async fn users(command: UsersCommand, services: Services) -> Result<(), Failure> {
    match command {
        UsersCommand::Downgrade { client, user } => {
            let client = client_of(&services, &client).await?;
            let user = services
                .downgrade_user(&client, &UserId::from_raw(user))
                .await
                .map_err(|e| Failure(e.to_string()))?;
            println!("user {} is now KYC {}", user.id, user.kyc_level.as_str());
        }
    }
    Ok(())
}
