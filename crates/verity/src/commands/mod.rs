//! The operator's commands: the dispatcher and the helpers they share.

mod backup;
pub(crate) mod clients;
mod fill;
mod inspect;
mod keys;
mod registry;
mod review;
mod sessions;
mod staff;
mod users;
mod webhooks;

use verity_domain::{Client, ClientId};

use crate::bootstrap::{Opening, open_store, services};
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
pub(crate) async fn run(command: Command, mut settings: Settings) -> Result<(), Failure> {
    match command {
        Command::Serve { listen } => {
            if let Some(listen) = listen {
                settings.listen = crate::config::listen_address("--listen", &listen)?;
            }
            crate::serve::serve(settings).await
        }
        Command::Migrate => {
            open_store(&settings, Opening::CreateIfMissing).await?;
            println!(
                "database {} is up to date",
                verity_store::redact_url(&settings.database_url)
            );
            Ok(())
        }
        Command::Backup { to } => backup::backup(&settings, &to).await,
        Command::Restore { from } => backup::restore(&settings, &from).await,
        Command::Keys(c) => keys::keys(c, &settings).await,
        Command::Clients(c) => clients::clients(c, existing(&settings).await?).await,
        Command::Review(c) => review::review(c, existing(&settings).await?).await,
        Command::Users(c) => users::users(c, existing(&settings).await?).await,
        Command::Webhooks(c) => webhooks::webhooks(c, existing(&settings).await?).await,
        Command::InspectDocument { files } => inspect::inspect_documents(&files),
        Command::CompareFaces { document, selfies } => inspect::compare_faces(&document, &selfies),
        Command::SampleDocuments {
            out,
            first_name,
            last_name,
            birth_date,
            state,
        } => inspect::sample_documents(&out, &first_name, &last_name, &birth_date, &state),
        Command::Registry(c) => registry::registry(c, existing(&settings).await?).await,
        Command::Staff(c) => staff::staff(c, existing(&settings).await?).await,
        Command::Sessions(c) => sessions::sessions(c, &settings).await,
        Command::Fill {
            sessions,
            review,
            users,
            client,
            batch,
            yes_fill_this_database,
        } => {
            let args = fill::FillArgs {
                sessions,
                review,
                users,
                client,
                batch,
                yes: yes_fill_this_database,
            };
            fill::fill(args, &settings).await
        }
        Command::Probe { n, samples } => fill::probe(n, &samples, &settings).await,
    }
}

/// The services over the database the settings name, which must exist; says which it is (on
/// standard error, so that printed JSON stays clean).
pub(crate) async fn existing(settings: &Settings) -> Result<verity_service::Services, Failure> {
    let store = open_store(settings, Opening::Existing).await?;
    eprintln!("database: {}", verity_store::redact_url(&settings.database_url));
    Ok(services(settings, store))
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
