//! Users' wire shapes, legacy and SCA, natural and legal, and how a user is rendered in each.

use serde::Serialize;
use utoipa::ToSchema;
use verity_domain::user::{Address, Flavour, Person, PersonType};
use verity_domain::{UnixTime, User};

use crate::AppState;

// ---------------------------------------------------------------------------------------------
// Wire shapes

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AddressView {
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

impl AddressView {
    pub(crate) fn of(a: &Option<Address>) -> Self {
        let a = a.clone().unwrap_or_default();
        AddressView {
            address_line1: a.address_line1,
            address_line2: a.address_line2,
            city: a.city,
            region: a.region,
            postal_code: a.postal_code,
            country: a.country,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PendingUserActionView {
    pub redirect_url: String,
}

/// Fields every user shape ends with.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct UserCommon {
    /// SCA shapes only (absent from legacy shapes, which is how SDKs tell them apart):
    /// `null`, or the enrolment link while `UserStatus` is `PENDING_USER_ACTION`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<PendingUserActionView>)]
    pub pending_user_action: Option<Option<PendingUserActionView>>,
    pub id: String,
    pub tag: Option<String>,
    pub creation_date: UnixTime,
    pub person_type: &'static str,
    pub email: String,
    #[serde(rename = "KYCLevel")]
    pub kyc_level: &'static str,
    pub terms_and_conditions_accepted: bool,
    pub terms_and_conditions_accepted_date: Option<UnixTime>,
    pub user_category: &'static str,
    pub user_status: &'static str,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct NaturalUserView {
    pub first_name: String,
    pub last_name: String,
    pub birthday: Option<UnixTime>,
    pub nationality: Option<String>,
    pub country_of_residence: Option<String>,
    pub occupation: Option<String>,
    pub income_range: Option<String>,
    pub proof_of_identity: Option<String>,
    pub proof_of_address: Option<String>,
    pub capacity: &'static str,
    pub phone_number: Option<String>,
    pub phone_number_country: Option<String>,
    pub address: AddressView,
    #[serde(flatten)]
    pub common: UserCommon,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct LegalRepresentativeView {
    pub first_name: String,
    pub last_name: String,
    pub proof_of_identity: Option<String>,
    pub birthday: Option<UnixTime>,
    pub nationality: Option<String>,
    pub country_of_residence: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub phone_number_country: Option<String>,
}

/// Legal user, SCA shape (nested legal representative).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct LegalUserScaView {
    pub name: String,
    pub legal_person_type: &'static str,
    pub legal_representative: LegalRepresentativeView,
    pub proof_of_registration: Option<String>,
    pub shareholder_declaration: Option<String>,
    pub statute: Option<String>,
    pub company_number: Option<String>,
    pub headquarters_address: AddressView,
    pub legal_representative_address: AddressView,
    #[serde(flatten)]
    pub common: UserCommon,
}

/// Legal user, legacy shape (flat legal representative fields).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct LegalUserLegacyView {
    pub name: String,
    pub legal_person_type: &'static str,
    pub headquarters_address: AddressView,
    pub legal_representative_first_name: String,
    pub legal_representative_last_name: String,
    pub legal_representative_address: AddressView,
    pub legal_representative_email: Option<String>,
    pub legal_representative_birthday: Option<UnixTime>,
    pub legal_representative_nationality: Option<String>,
    pub legal_representative_country_of_residence: Option<String>,
    pub legal_representative_proof_of_identity: Option<String>,
    pub proof_of_registration: Option<String>,
    pub shareholder_declaration: Option<String>,
    pub statute: Option<String>,
    pub company_number: Option<String>,
    #[serde(flatten)]
    pub common: UserCommon,
}

/// A user of either person type, legacy shape: what `GET /users/{UserId}` and the lists return.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum UserLegacyView {
    Natural(NaturalUserView),
    Legal(LegalUserLegacyView),
}

/// A user of either person type, SCA shape: what `GET /sca/users/{UserId}` returns.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
// Only a schema for the OpenAPI document (responses are rendered by `render`): never built, so
// its size does not matter.
#[allow(dead_code, clippy::large_enum_variant)]
pub enum UserScaView {
    Natural(NaturalUserView),
    Legal(LegalUserScaView),
}

fn common(state: &AppState, u: &User, email: &str, flavour: Flavour) -> UserCommon {
    UserCommon {
        pending_user_action: (flavour == Flavour::Sca).then(|| {
            u.pending_sca_token.as_ref().map(|t| PendingUserActionView {
                redirect_url: format!("{}/sca/{t}", state.public_url()),
            })
        }),
        id: u.id.to_string(),
        tag: u.tag.clone(),
        creation_date: u.created_at,
        person_type: match u.person_type() {
            PersonType::Natural => "NATURAL",
            PersonType::Legal => "LEGAL",
        },
        email: email.to_owned(),
        kyc_level: u.kyc_level.as_str(),
        terms_and_conditions_accepted: u.terms_accepted,
        terms_and_conditions_accepted_date: u.terms_accepted_at,
        user_category: u.category.as_str(),
        user_status: u.status.as_str(),
    }
}

/// Renders a user in the shape of the endpoint family it is read through.
pub fn render(state: &AppState, u: &User, flavour: Flavour) -> serde_json::Value {
    let value = match &u.person {
        Person::Natural(n) => serde_json::to_value(NaturalUserView {
            first_name: n.first_name.clone(),
            last_name: n.last_name.clone(),
            birthday: n.birthday,
            nationality: n.nationality.clone(),
            country_of_residence: n.country_of_residence.clone(),
            occupation: n.occupation.clone(),
            income_range: n.income_range.clone(),
            proof_of_identity: n.proof_of_identity.clone(),
            proof_of_address: n.proof_of_address.clone(),
            capacity: "NORMAL",
            phone_number: n.phone_number.clone(),
            phone_number_country: n.phone_number_country.clone(),
            address: AddressView::of(&n.address),
            common: common(state, u, &n.email, flavour),
        }),
        Person::Legal(l) => {
            let r = &l.legal_representative;
            match flavour {
                Flavour::Sca => serde_json::to_value(LegalUserScaView {
                    name: l.name.clone(),
                    legal_person_type: l.legal_person_type.as_str(),
                    legal_representative: LegalRepresentativeView {
                        first_name: r.first_name.clone(),
                        last_name: r.last_name.clone(),
                        proof_of_identity: r.proof_of_identity.clone(),
                        birthday: r.birthday,
                        nationality: r.nationality.clone(),
                        country_of_residence: r.country_of_residence.clone(),
                        email: r.email.clone(),
                        phone_number: r.phone_number.clone(),
                        phone_number_country: r.phone_number_country.clone(),
                    },
                    proof_of_registration: l.proof_of_registration.clone(),
                    shareholder_declaration: l.shareholder_declaration.clone(),
                    statute: l.statute.clone(),
                    company_number: l.company_number.clone(),
                    headquarters_address: AddressView::of(&l.headquarters_address),
                    legal_representative_address: AddressView::of(&l.legal_representative_address),
                    common: common(state, u, &l.email, flavour),
                }),
                Flavour::Legacy => serde_json::to_value(LegalUserLegacyView {
                    name: l.name.clone(),
                    legal_person_type: l.legal_person_type.as_str(),
                    headquarters_address: AddressView::of(&l.headquarters_address),
                    legal_representative_first_name: r.first_name.clone(),
                    legal_representative_last_name: r.last_name.clone(),
                    legal_representative_address: AddressView::of(&l.legal_representative_address),
                    legal_representative_email: r.email.clone(),
                    legal_representative_birthday: r.birthday,
                    legal_representative_nationality: r.nationality.clone(),
                    legal_representative_country_of_residence: r.country_of_residence.clone(),
                    legal_representative_proof_of_identity: r.proof_of_identity.clone(),
                    proof_of_registration: l.proof_of_registration.clone(),
                    shareholder_declaration: l.shareholder_declaration.clone(),
                    statute: l.statute.clone(),
                    company_number: l.company_number.clone(),
                    common: common(state, u, &l.email, flavour),
                }),
            }
        }
    };
    value.unwrap_or(serde_json::Value::Null)
}
