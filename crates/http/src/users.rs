//! The users API: natural and legal users through the legacy (`/users/...`) and SCA
//! (`/sca/users/...`) endpoints.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Extension, Router};
use serde::Serialize;
use utoipa::ToSchema;
use verity_domain::user::{
    Address, Flavour, LegalPersonType, LegalRepresentativePatch, Person, PersonType, ScaContext, UserCategory,
    UserContext, UserPatch,
};
use verity_domain::{Client, UnixTime, User, UserId};

use crate::auth::{Authed, AuthedClient};
use crate::error::ApiError;
use crate::idempotency::{IdempotencyKey, stored};
use crate::wire::{Fields, JsonBody, ListQuery, json_response};
use crate::{AppState, now, random_token};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2.01/{client_id}/users", get(list_users))
        .route("/v2.01/{client_id}/users/natural", post(create_natural_legacy))
        .route("/v2.01/{client_id}/users/legal", post(create_legal_legacy))
        .route("/v2.01/{client_id}/users/{user_id}", get(view_legacy))
        .route(
            "/v2.01/{client_id}/users/natural/{user_id}",
            get(view_natural_legacy)
                .put(update_natural_legacy)
                .delete(close_natural),
        )
        .route(
            "/v2.01/{client_id}/users/legal/{user_id}",
            get(view_legal_legacy).put(update_legal_legacy).delete(close_legal),
        )
        .route("/v2.01/{client_id}/sca/users/natural", post(create_natural_sca))
        .route("/v2.01/{client_id}/sca/users/legal", post(create_legal_sca))
        .route("/v2.01/{client_id}/sca/users/{user_id}", get(view_sca))
        .route(
            "/v2.01/{client_id}/sca/users/natural/{user_id}",
            get(view_natural_sca).put(update_natural_sca),
        )
        .route(
            "/v2.01/{client_id}/sca/users/legal/{user_id}",
            get(view_legal_sca).put(update_legal_sca),
        )
        .route(
            "/v2.01/{client_id}/sca/users/natural/{user_id}/category",
            put(categorize_natural),
        )
        .route(
            "/v2.01/{client_id}/sca/users/legal/{user_id}/category",
            put(categorize_legal),
        )
        .route("/v2.01/{client_id}/sca/users/{user_id}/enrollment", post(enroll))
}

// ---------------------------------------------------------------------------------------------
// Reading requests

fn read_address(f: &mut Fields) -> Address {
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
fn read_patch(body: &JsonBody) -> Result<(UserPatch, Option<ScaContext>), ApiError> {
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

fn context(client: &Client, flavour: Flavour, sca_context: Option<ScaContext>) -> UserContext {
    UserContext {
        flavour,
        environment: client.environment,
        now: now(),
        sca_token: random_token(),
        sca_context,
    }
}

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
    fn of(a: &Option<Address>) -> Self {
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
#[allow(dead_code)]
pub enum UserScaView {
    Natural(NaturalUserView),
    Legal(LegalUserScaView),
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

// ---------------------------------------------------------------------------------------------
// Handlers

type Idem = Option<Extension<IdempotencyKey>>;

async fn create(
    state: AppState,
    client: Client,
    idem: Idem,
    person_type: PersonType,
    flavour: Flavour,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let (patch, sca) = read_patch(&body)?;
    let ctx = context(&client, flavour, sca);
    let user = state
        .services
        .create_user(&client.id, person_type, &patch, &ctx, &|u| {
            stored(&idem, StatusCode::OK, &render(&state, u, flavour))
        })
        .await?;
    Ok(json_response(StatusCode::OK, &render(&state, &user, flavour)))
}

macro_rules! create_handler {
    ($name:ident, $person:expr, $flavour:expr, $path:literal, $body:ty, $view:ty, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "Users",
            params(("ClientId" = String, Path)),
            request_body(content = $body),
            security(("bearer" = [])),
            responses(
                (status = 200, body = $view),
                (status = 400, description = "param_error or invalid_action", body = crate::openapi::ErrorBody),
                (status = 403, description = "user_hasnt_accepted_terms_and_conditions or sca_proxy_missing", body = crate::openapi::ErrorBody),
                (status = 409, description = "idempotent_creation_conflict", body = crate::openapi::ErrorBody),
            ))]
        pub async fn $name(State(state): State<AppState>, Extension(Authed(client)): AuthedClient, idem: Idem, body: JsonBody) -> Result<Response, ApiError> {
            create(state, client, idem, $person, $flavour, body).await
        }
    };
}

create_handler!(
    create_natural_legacy,
    PersonType::Natural,
    Flavour::Legacy,
    "/v2.01/{ClientId}/users/natural",
    NaturalUserBody,
    NaturalUserView,
    "Create a natural user (legacy endpoint)."
);
create_handler!(
    create_legal_legacy,
    PersonType::Legal,
    Flavour::Legacy,
    "/v2.01/{ClientId}/users/legal",
    LegalUserBody,
    LegalUserLegacyView,
    "Create a legal user (legacy endpoint)."
);
create_handler!(
    create_natural_sca,
    PersonType::Natural,
    Flavour::Sca,
    "/v2.01/{ClientId}/sca/users/natural",
    NaturalUserBody,
    NaturalUserView,
    "Create a natural user (SCA endpoint)."
);
create_handler!(
    create_legal_sca,
    PersonType::Legal,
    Flavour::Sca,
    "/v2.01/{ClientId}/sca/users/legal",
    LegalUserBody,
    LegalUserScaView,
    "Create a legal user (SCA endpoint)."
);

/// Loads a user of this client, optionally of one person type (the typed view paths).
async fn load(state: &AppState, client: &Client, id: &str, person: Option<PersonType>) -> Result<User, ApiError> {
    let resource = match person {
        None => "User",
        Some(PersonType::Natural) => "UserNatural",
        Some(PersonType::Legal) => "UserLegal",
    };
    let not_found = || ApiError::NotFound {
        resource,
        id: id.to_owned(),
    };
    let user = match state.services.user(&client.id, &UserId::from_raw(id)).await {
        Err(verity_service::ServiceError::NotFound { .. }) => return Err(not_found()),
        other => other?,
    };
    if person.is_some_and(|p| p != user.person_type()) {
        return Err(not_found());
    }
    Ok(user)
}

macro_rules! view_handler {
    ($name:ident, $person:expr, $flavour:expr, $path:literal, $view:ty, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(get, path = $path, tag = "Users",
                            params(("ClientId" = String, Path), ("UserId" = String, Path)),
                            security(("bearer" = [])),
                            responses(
                                (status = 200, description = "The user", body = $view),
                                (status = 404, description = "ressource_not_found", body = crate::openapi::ErrorBody),
                            ))]
        pub async fn $name(
            State(state): State<AppState>,
            Extension(Authed(client)): AuthedClient,
            Path((_, user_id)): Path<(String, String)>,
        ) -> Result<Response, ApiError> {
            let user = load(&state, &client, &user_id, $person).await?;
            Ok(json_response(StatusCode::OK, &render(&state, &user, $flavour)))
        }
    };
}

view_handler!(
    view_legacy,
    None,
    Flavour::Legacy,
    "/v2.01/{ClientId}/users/{UserId}",
    UserLegacyView,
    "View a user (legacy shape)."
);
view_handler!(
    view_natural_legacy,
    Some(PersonType::Natural),
    Flavour::Legacy,
    "/v2.01/{ClientId}/users/natural/{UserId}",
    NaturalUserView,
    "View a natural user (legacy shape)."
);
view_handler!(
    view_legal_legacy,
    Some(PersonType::Legal),
    Flavour::Legacy,
    "/v2.01/{ClientId}/users/legal/{UserId}",
    LegalUserLegacyView,
    "View a legal user (legacy shape)."
);
view_handler!(
    view_sca,
    None,
    Flavour::Sca,
    "/v2.01/{ClientId}/sca/users/{UserId}",
    UserScaView,
    "View a user (SCA shape)."
);
view_handler!(
    view_natural_sca,
    Some(PersonType::Natural),
    Flavour::Sca,
    "/v2.01/{ClientId}/sca/users/natural/{UserId}",
    NaturalUserView,
    "View a natural user (SCA shape)."
);
view_handler!(
    view_legal_sca,
    Some(PersonType::Legal),
    Flavour::Sca,
    "/v2.01/{ClientId}/sca/users/legal/{UserId}",
    LegalUserScaView,
    "View a legal user (SCA shape)."
);

/// What a change request does to a loaded user.
#[derive(Clone, Copy)]
enum Change {
    Update,
    Categorize,
}

async fn change(
    state: AppState,
    client: Client,
    user_id: String,
    person: PersonType,
    flavour: Flavour,
    change: Change,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let (patch, sca) = read_patch(&body)?;
    let user = load(&state, &client, &user_id, Some(person)).await?;
    let ctx = context(&client, flavour, sca);
    let user = state
        .services
        .change_user(
            &client,
            &user.id,
            &|u| match change {
                Change::Update => u.update(&patch, &ctx),
                Change::Categorize => u.categorize(&patch, &ctx),
            },
            &|_| None,
        )
        .await?;
    Ok(json_response(StatusCode::OK, &render(&state, &user, flavour)))
}

macro_rules! change_handler {
    ($name:ident, $person:expr, $flavour:expr, $change:expr, $path:literal, $body:ty, $view:ty, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(put, path = $path, tag = "Users",
                    params(("ClientId" = String, Path), ("UserId" = String, Path)),
                    request_body(content = $body),
                    security(("bearer" = [])),
                    responses(
                        (status = 200, body = $view),
                        (status = 400, description = "param_error (including an empty body) or invalid_action", body = crate::openapi::ErrorBody),
                        (status = 403, description = "user_hasnt_accepted_terms_and_conditions or sca_proxy_missing", body = crate::openapi::ErrorBody),
                        (status = 404, description = "ressource_not_found", body = crate::openapi::ErrorBody),
                    ))]
        pub async fn $name(
            State(state): State<AppState>,
            Extension(Authed(client)): AuthedClient,
            Path((_, user_id)): Path<(String, String)>,
            body: JsonBody,
        ) -> Result<Response, ApiError> {
            change(state, client, user_id, $person, $flavour, $change, body).await
        }
    };
}

change_handler!(
    update_natural_legacy,
    PersonType::Natural,
    Flavour::Legacy,
    Change::Update,
    "/v2.01/{ClientId}/users/natural/{UserId}",
    NaturalUserBody,
    NaturalUserView,
    "Update a natural user (legacy endpoint)."
);
change_handler!(
    update_legal_legacy,
    PersonType::Legal,
    Flavour::Legacy,
    Change::Update,
    "/v2.01/{ClientId}/users/legal/{UserId}",
    LegalUserBody,
    LegalUserLegacyView,
    "Update a legal user (legacy endpoint)."
);
change_handler!(
    update_natural_sca,
    PersonType::Natural,
    Flavour::Sca,
    Change::Update,
    "/v2.01/{ClientId}/sca/users/natural/{UserId}",
    NaturalUserBody,
    NaturalUserView,
    "Update a natural user (SCA endpoint)."
);
change_handler!(
    update_legal_sca,
    PersonType::Legal,
    Flavour::Sca,
    Change::Update,
    "/v2.01/{ClientId}/sca/users/legal/{UserId}",
    LegalUserBody,
    LegalUserScaView,
    "Update a legal user (SCA endpoint)."
);
change_handler!(
    categorize_natural,
    PersonType::Natural,
    Flavour::Sca,
    Change::Categorize,
    "/v2.01/{ClientId}/sca/users/natural/{UserId}/category",
    NaturalUserBody,
    NaturalUserView,
    "Categorize a natural user from PAYER to OWNER."
);
change_handler!(
    categorize_legal,
    PersonType::Legal,
    Flavour::Sca,
    Change::Categorize,
    "/v2.01/{ClientId}/sca/users/legal/{UserId}/category",
    LegalUserBody,
    LegalUserScaView,
    "Categorize a legal user from PAYER to OWNER."
);

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct EnrollmentView {
    pub pending_user_action: PendingUserActionView,
}

/// Enroll a user in SCA: returns the link the user must follow.
#[utoipa::path(post, path = "/v2.01/{ClientId}/sca/users/{UserId}/enrollment", tag = "Users",
    params(("ClientId" = String, Path), ("UserId" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = EnrollmentView),
        (status = 400, description = "not_allowed_for_user_category_payer", body = crate::openapi::ErrorBody),
        (status = 404, description = "ressource_not_found", body = crate::openapi::ErrorBody),
    ))]
pub async fn enroll(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    idem: Idem,
    Path((_, user_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let user = load(&state, &client, &user_id, None).await?;
    let ctx = context(&client, Flavour::Sca, None);
    let view = |u: &User| EnrollmentView {
        pending_user_action: PendingUserActionView {
            redirect_url: format!(
                "{}/sca/{}",
                state.public_url(),
                u.pending_sca_token.as_deref().unwrap_or_default()
            ),
        },
    };
    let user = state
        .services
        .change_user(&client, &user.id, &|u| u.enroll(&ctx), &|u| {
            stored(&idem, StatusCode::OK, &view(u))
        })
        .await?;
    Ok(json_response(StatusCode::OK, &view(&user)))
}

async fn close(state: AppState, client: Client, user_id: String, person: PersonType) -> Result<Response, ApiError> {
    let user = load(&state, &client, &user_id, Some(person)).await?;
    state
        .services
        .change_user(&client, &user.id, &|u| u.close(), &|_| None)
        .await
        .map_err(|e| match e {
            verity_service::LifecycleError::Rule(_) => ApiError::InvalidAction("User already closed".into()),
            other => other.into(),
        })?;
    Ok(axum::response::IntoResponse::into_response(StatusCode::NO_CONTENT))
}

/// Close a natural user.
#[utoipa::path(delete, path = "/v2.01/{ClientId}/users/natural/{UserId}", tag = "Users",
    params(("ClientId" = String, Path), ("UserId" = String, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Closed"), (status = 400, description = "invalid_action: already closed", body = crate::openapi::ErrorBody), (status = 404, body = crate::openapi::ErrorBody)))]
pub async fn close_natural(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, user_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    close(state, client, user_id, PersonType::Natural).await
}

/// Close a legal user.
#[utoipa::path(delete, path = "/v2.01/{ClientId}/users/legal/{UserId}", tag = "Users",
    params(("ClientId" = String, Path), ("UserId" = String, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Closed"), (status = 400, description = "invalid_action: already closed", body = crate::openapi::ErrorBody), (status = 404, body = crate::openapi::ErrorBody)))]
pub async fn close_legal(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, user_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    close(state, client, user_id, PersonType::Legal).await
}

/// List users, oldest first unless `Sort=CreationDate:DESC`.
#[utoipa::path(get, path = "/v2.01/{ClientId}/users", tag = "Users",
    params(("ClientId" = String, Path), crate::openapi::Pagination), security(("bearer" = [])),
    responses((status = 200, description = "Users (legacy shape), with X-Number-Of-Pages, X-Number-Of-Items and Link headers", body = Vec<UserLegacyView>),
              (status = 400, description = "param_error: bad pagination", body = crate::openapi::ErrorBody)))]
pub async fn list_users(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let list = ListQuery::parse(query.as_deref())?;
    let page = state.services.users(&client.id, list.page).await?;
    let items: Vec<_> = page.items.iter().map(|u| render(&state, u, Flavour::Legacy)).collect();
    let mut response = json_response(StatusCode::OK, &items);
    let base = format!("{}/v2.01/{}/users", state.public_url(), client.id);
    response.headers_mut().extend(list.headers(page.total_items, &base));
    Ok(response)
}
