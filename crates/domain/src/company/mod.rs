//! Companies for KYB: registration numbers as each country's registry writes them (format and check
//! digit), company names as people and registries spell them, and registry extracts imported as CSV.
//! Pure: nothing here reads a registry, it only checks and normalises what was typed or imported.

mod name;
mod number;
mod registry;

pub use name::{company_names_match, normalise_company_name};
pub use number::{CompanyNumberError, example as number_example, format_rules, has_rules, normalise_company_number};
pub use registry::{CsvError, RegistryRecord, parse_registry_csv};
