//! The operator's commands: the dispatcher and the helpers they share.

pub(crate) mod clients;
mod inspect;
mod registry;
mod review;
mod sessions;
mod staff;
mod users;
mod webhooks;

use verity_domain::{Client, ClientId};

use crate::bootstrap::{open_store, services};
use crate::cli::Command;
use crate::config::Settings;

/// An operator-facing failure: printed as `error: ...`, exit status 1.
pub(crate) struct Failure(pub(crate) String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

/// Runs one command.
pub(crate) async fn run(command: Command, settings: Settings) -> Result<(), Failure> {
    match command {
        Command::Serve => crate::serve::serve(settings).await,
        Command::Migrate => {
            open_store(&settings).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Clients(c) => clients::clients(c, services(&settings, open_store(&settings).await?)).await,
        Command::Review(c) => review::review(c, services(&settings, open_store(&settings).await?)).await,
        Command::Users(c) => users::users(c, services(&settings, open_store(&settings).await?)).await,
        Command::Webhooks(c) => webhooks::webhooks(c, services(&settings, open_store(&settings).await?)).await,
        Command::InspectDocument { files } => inspect::inspect_documents(&files),
        Command::CompareFaces { document, selfies } => inspect::compare_faces(&document, &selfies),
        Command::Registry(c) => registry::registry(c, services(&settings, open_store(&settings).await?)).await,
        Command::Staff(c) => staff::staff(c, services(&settings, open_store(&settings).await?)).await,
        Command::Sessions(c) => sessions::sessions(c, &settings).await,
    }
}

/// Prints a value as pretty JSON.
fn print_json(value: &impl serde::Serialize) {
    println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}

/// The client a raw ClientId names, or a failure if it is malformed or unknown.
async fn client_of(services: &verity_service::Services, raw: &str) -> Result<Client, Failure> {
    let id = ClientId::parse(raw).map_err(|e| format!("{raw}: {e}"))?;
    Ok(services.platform(&id).await?)
}
