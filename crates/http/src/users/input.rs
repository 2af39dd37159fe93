//! Reading users' requests: the fields the server reads, and the request-body schemas it documents.

use serde::Serialize;
use utoipa::ToSchema;
use verity_domain::Client;
use verity_domain::user::{
    Address, Flavour, LegalPersonType, LegalRepresentativePatch, ScaContext, UserCategory, UserContext, UserPatch,
};

use crate::error::ApiError;
use crate::wire::{Fields, JsonBody};
use crate::{now, random_token};

use super::*;

// ---------------------------------------------------------------------------------------------
// Reading requests

pub(crate) fn read_address(f: &mut Fields) -> Address {
    Address {
        address_line1: f.string("AddressLine1"),
        address_line2: f.string("AddressLine2"),
        city: f.string("City"),
        region: f.string("Region"),
        postal_code: f.string("PostalCode"),
        country: f.string("Country"),
    }
}

/// Reads every writable user field. Legal representatives are read from the SCA nested object
/// and from the legacy flat fields alike, the nested object winning.
pub(super) fn read_patch(body: &JsonBody) -> Result<(UserPatch, Option<ScaContext>), ApiError> {
    let mut f = Fields::new(&body.0);
    let mut p = UserPatch {
        tag: f.string("Tag"),
        email: f.string("Email"),
        terms_accepted: f.boolean("TermsAndConditionsAccepted"),
        category: f.one_of("UserCategory", |s| match s {
            "PAYER" => Some(UserCategory::Payer),
            "OWNER" => Some(UserCategory::Owner),
            "PLATFORM" => Some(UserCategory::Platform),
            _ => None,
        }),
        first_name: f.string("FirstName"),
        last_name: f.string("LastName"),
        birthday: f.int("Birthday"),
        nationality: f.string("Nationality"),
        country_of_residence: f.string("CountryOfResidence"),
        occupation: f.string("Occupation"),
        income_range: f.string("IncomeRange"),
        phone_number: f.string("PhoneNumber"),
        phone_number_country: f.string("PhoneNumberCountry"),
        address: f.object("Address", read_address),
        name: f.string("Name"),
        legal_person_type: f.one_of("LegalPersonType", LegalPersonType::parse),
        company_number: f.string("CompanyNumber"),
        legal_representative: LegalRepresentativePatch {
            first_name: f.string("LegalRepresentativeFirstName"),
            last_name: f.string("LegalRepresentativeLastName"),
            birthday: f.int("LegalRepresentativeBirthday"),
            nationality: f.string("LegalRepresentativeNationality"),
            country_of_residence: f.string("LegalRepresentativeCountryOfResidence"),
            email: f.string("LegalRepresentativeEmail"),
            phone_number: None,
            phone_number_country: None,
        },
        headquarters_address: f.object("HeadquartersAddress", read_address),
        legal_representative_address: f.object("LegalRepresentativeAddress", read_address),
    };
    if let Some(nested) = f.object("LegalRepresentative", |r| LegalRepresentativePatch {
        first_name: r.string("FirstName"),
        last_name: r.string("LastName"),
        birthday: r.int("Birthday"),
        nationality: r.string("Nationality"),
        country_of_residence: r.string("CountryOfResidence"),
        email: r.string("Email"),
        phone_number: r.string("PhoneNumber"),
        phone_number_country: r.string("PhoneNumberCountry"),
    }) {
        let lr = &mut p.legal_representative;
        macro_rules! prefer {
            ($($field:ident),*) => { $( if nested.$field.is_some() { lr.$field = nested.$field.clone(); } )* };
        }
        prefer!(
            first_name,
            last_name,
            birthday,
            nationality,
            country_of_residence,
            email,
            phone_number,
            phone_number_country
        );
    }
    let sca = f.one_of("ScaContext", |s| match s {
        "USER_PRESENT" => Some(ScaContext::UserPresent),
        "USER_NOT_PRESENT" => Some(ScaContext::UserNotPresent),
        _ => None,
    });
    f.errors.into_result()?;
    Ok((p, sca))
}

pub(super) fn context(client: &Client, flavour: Flavour, sca_context: Option<ScaContext>) -> UserContext {
    UserContext {
        flavour,
        environment: client.environment,
        now: now(),
        sca_token: random_token(),
        sca_context,
    }
}

// Request bodies, as the server reads them: every field optional (the rules of each endpoint say
// which are required), strings also accepted as numbers, booleans also as `1`/`0`.

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(dead_code)]
pub enum UserCategoryName {
    Payer,
    Owner,
    Platform,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(dead_code)]
pub enum ScaContextName {
    UserPresent,
    UserNotPresent,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(dead_code)]
pub enum LegalPersonTypeName {
    Business,
    Partnership,
    Organization,
    Soletrader,
}

/// Body of the natural user create, update and categorize endpoints.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(examples(json!({
    "FirstName": "Alex", "LastName": "Smith", "Email": "alex.smith@example.com",
    "Birthday": 188352000, "Nationality": "FR", "CountryOfResidence": "FR",
    "TermsAndConditionsAccepted": true, "UserCategory": "OWNER"
})))]
#[allow(dead_code)]
pub struct NaturalUserBody {
    pub tag: Option<String>,
    pub email: Option<String>,
    pub terms_and_conditions_accepted: Option<bool>,
    pub user_category: Option<UserCategoryName>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Unix time.
    pub birthday: Option<i64>,
    pub nationality: Option<String>,
    pub country_of_residence: Option<String>,
    pub occupation: Option<String>,
    pub income_range: Option<String>,
    pub phone_number: Option<String>,
    pub phone_number_country: Option<String>,
    pub address: Option<AddressView>,
    /// SCA endpoints: whether the user is present to enrol (default `USER_PRESENT`).
    pub sca_context: Option<ScaContextName>,
}

/// Nested legal representative of the SCA legal user endpoints.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
pub struct LegalRepresentativeBody {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Unix time.
    pub birthday: Option<i64>,
    pub nationality: Option<String>,
    pub country_of_residence: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub phone_number_country: Option<String>,
}

/// Body of the legal user create, update and categorize endpoints. The legal representative is
/// read from the nested `LegalRepresentative` (SCA) and from the flat `LegalRepresentative...`
/// fields (legacy) alike, the nested object winning.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(examples(json!({
    "Name": "Alex Smith Services", "LegalPersonType": "BUSINESS", "Email": "contact@example.com",
    "CompanyNumber": "123456789",
    "HeadquartersAddress": {"AddressLine1": "1 rue de la Paix", "City": "Paris", "PostalCode": "75002", "Country": "FR"},
    "LegalRepresentative": {
        "FirstName": "Alex", "LastName": "Smith", "Email": "alex.smith@example.com",
        "Birthday": 188352000, "Nationality": "FR", "CountryOfResidence": "FR"
    },
    "TermsAndConditionsAccepted": true, "UserCategory": "OWNER"
})))]
#[allow(dead_code)]
pub struct LegalUserBody {
    pub tag: Option<String>,
    pub email: Option<String>,
    pub terms_and_conditions_accepted: Option<bool>,
    pub user_category: Option<UserCategoryName>,
    pub name: Option<String>,
    pub legal_person_type: Option<LegalPersonTypeName>,
    pub company_number: Option<String>,
    pub headquarters_address: Option<AddressView>,
    pub legal_representative_address: Option<AddressView>,
    pub legal_representative: Option<LegalRepresentativeBody>,
    pub legal_representative_first_name: Option<String>,
    pub legal_representative_last_name: Option<String>,
    /// Unix time.
    pub legal_representative_birthday: Option<i64>,
    pub legal_representative_nationality: Option<String>,
    pub legal_representative_country_of_residence: Option<String>,
    pub legal_representative_email: Option<String>,
    /// SCA endpoints: whether the user is present to enrol (default `USER_PRESENT`).
    pub sca_context: Option<ScaContextName>,
}
