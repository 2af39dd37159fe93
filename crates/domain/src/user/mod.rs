//! Natural and legal users: their data, their categories and the rules for creating, updating and
//! categorising them (Mangopay's user API, legacy and SCA flavours).

mod category;
mod patch;
mod person;
mod rules;
mod validate;

pub use category::{KycLevel, LegalPersonType, PersonType, UserCategory, UserStatus};
pub use patch::{Flavour, LegalRepresentativePatch, ScaContext, UserContext, UserPatch, UserRuleError};
pub use person::{Address, LegalData, LegalRepresentative, NaturalData, Person, User};
