//! The stored user: natural and legal person data, addresses and the `User` record itself.

use serde::{Deserialize, Serialize};

use super::{KycLevel, LegalPersonType, PersonType, UserCategory, UserStatus};
use crate::{ClientId, UnixTime, UserId};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

impl Address {
    pub(super) fn is_blank(&self) -> bool {
        [
            &self.address_line1,
            &self.address_line2,
            &self.city,
            &self.region,
            &self.postal_code,
            &self.country,
        ]
        .iter()
        .all(|f| f.as_deref().is_none_or(str::is_empty))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NaturalData {
    pub first_name: String,
    pub last_name: String,
    pub birthday: Option<UnixTime>,
    pub nationality: Option<String>,
    pub country_of_residence: Option<String>,
    pub occupation: Option<String>,
    pub income_range: Option<String>,
    pub email: String,
    pub phone_number: Option<String>,
    pub phone_number_country: Option<String>,
    pub address: Option<Address>,
    pub proof_of_identity: Option<String>,
    pub proof_of_address: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalRepresentative {
    pub first_name: String,
    pub last_name: String,
    pub birthday: Option<UnixTime>,
    pub nationality: Option<String>,
    pub country_of_residence: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub phone_number_country: Option<String>,
    pub proof_of_identity: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalData {
    pub name: String,
    pub legal_person_type: LegalPersonType,
    pub email: String,
    pub company_number: Option<String>,
    pub legal_representative: LegalRepresentative,
    pub headquarters_address: Option<Address>,
    pub legal_representative_address: Option<Address>,
    pub proof_of_registration: Option<String>,
    pub shareholder_declaration: Option<String>,
    pub statute: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
// Both variants are hundreds of bytes and a Person lives once per User: boxing one only adds an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Person {
    Natural(NaturalData),
    Legal(LegalData),
}

/// A user as stored. Wire shapes (SCA and legacy) are rendered from this by the HTTP layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub client_id: ClientId,
    pub tag: Option<String>,
    pub created_at: UnixTime,
    pub person: Person,
    pub kyc_level: KycLevel,
    pub category: UserCategory,
    pub status: UserStatus,
    pub terms_accepted: bool,
    pub terms_accepted_at: Option<UnixTime>,
    /// Set while an SCA enrolment is pending: the secret of the enrolment link the user must
    /// follow (rendered as `PendingUserAction.RedirectUrl`).
    pub pending_sca_token: Option<String>,
    /// Optimistic-concurrency version, checked and bumped by every write.
    #[serde(default)]
    pub version: i64,
}

impl User {
    /// How people name the user: a person's first and last names, or a company's name.
    pub fn display_name(&self) -> String {
        match &self.person {
            Person::Natural(n) => format!("{} {}", n.first_name, n.last_name),
            Person::Legal(l) => l.name.clone(),
        }
    }

    pub fn person_type(&self) -> PersonType {
        match self.person {
            Person::Natural(_) => PersonType::Natural,
            Person::Legal(_) => PersonType::Legal,
        }
    }

    pub fn legal_person_type(&self) -> Option<LegalPersonType> {
        match &self.person {
            Person::Legal(l) => Some(l.legal_person_type),
            Person::Natural(_) => None,
        }
    }

    /// The e-mail address that SCA (and the sandbox `accept` rule) looks at.
    pub(super) fn sca_email(&self) -> &str {
        match &self.person {
            Person::Natural(n) => &n.email,
            Person::Legal(l) => l.legal_representative.email.as_deref().unwrap_or(""),
        }
    }

    /// SCA enrolment is only asked of natural users and sole traders.
    pub(super) fn sca_applies(&self) -> bool {
        matches!(self.legal_person_type(), None | Some(LegalPersonType::Soletrader))
    }
}
