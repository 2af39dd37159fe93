//! `verity registry`: the local company registry used by KYB checks.

use verity_service::Services;

use super::{Failure, print_json};
use crate::cli::RegistryCommand;

pub(super) async fn registry(command: RegistryCommand, services: Services) -> Result<(), Failure> {
    match command {
        RegistryCommand::Import { file } => {
            let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let records = verity_domain::company::parse_registry_csv(&text)
                .map_err(|e| format!("{}: {e}; nothing was imported", file.display()))?;
            let written = services.import_registry(&records).await?;
            println!("imported {written} companies from {}", file.display());
        }
        RegistryCommand::Show { country, number } => {
            let country = country.to_uppercase();
            let number = verity_domain::company::normalise_company_number(&country, &number)?;
            match services.registry_record(&country, &number).await? {
                Some(r) => print_json(&r),
                None => return Err(Failure(format!("no company {country} {number} in the local registry"))),
            }
        }
    }
    Ok(())
}
