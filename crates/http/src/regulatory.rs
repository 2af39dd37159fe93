//! Two user endpoints the SDKs call beside verification: Validate the format of User data (the
//! company-number rules Verity knows per country) and View a User Regulatory Status.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use verity_domain::company::{CompanyNumberError, format_rules, normalise_company_number};
use verity_domain::{FieldErrors, UserId};

use crate::AppState;
use crate::auth::{Authed, AuthedClient};
use crate::error::ApiError;
use crate::wire::{JsonBody, json_response};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v2.01/{client_id}/users/data-formats/validation",
            post(validate_format),
        )
        .route("/v2.01/{client_id}/users/{user_id}/regulatory", get(regulatory))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CompanyNumberFormatView {
    pub company_number: String,
    pub country_code: String,
    /// Whether the number has the format (and, where the country has one, the check digit) its
    /// country's register gives numbers.
    pub is_valid: bool,
    /// The country's formats, as regular expressions over the number without separators; empty
    /// for countries whose numbers Verity does not check.
    pub validation_rules: Vec<&'static str>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DataFormatView {
    pub company_number: CompanyNumberFormatView,
}

/// Validate the format of User data: `{"CompanyNumber": {"CompanyNumber", "CountryCode"}}`.
#[utoipa::path(post, path = "/v2.01/{ClientId}/users/data-formats/validation", tag = "Users",
    params(("ClientId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = DataFormatView),
        (status = 400, description = "param_error: a field missing, an unknown country, or a number without the country's format", body = crate::openapi::ErrorBody)))]
pub async fn validate_format(Extension(Authed(_client)): AuthedClient, body: JsonBody) -> Result<Response, ApiError> {
    let mut errors = FieldErrors::new();
    let object = body.0.get("CompanyNumber").and_then(Value::as_object);
    let text = |key: &str| {
        object
            .and_then(|o| o.get(key))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let (number, country) = (text("CompanyNumber"), text("CountryCode"));
    if number.is_none() {
        errors.required("CompanyNumber.CompanyNumber");
    }
    if country.is_none() {
        errors.required("CompanyNumber.CountryCode");
    }
    errors.into_result()?;
    let (number, country) = (
        number.unwrap_or_default(),
        country.unwrap_or_default().to_ascii_uppercase(),
    );
    match normalise_company_number(&country, &number) {
        Ok(canonical) => Ok(json_response(
            StatusCode::OK,
            &DataFormatView {
                company_number: CompanyNumberFormatView {
                    company_number: canonical,
                    country_code: country.clone(),
                    is_valid: true,
                    validation_rules: format_rules(&country).to_vec(),
                },
            },
        )),
        Err(e @ CompanyNumberError::UnsupportedCountry(_)) => {
            Err(ApiError::param("CompanyNumber.CountryCode", e.to_string()))
        }
        Err(e) => Err(ApiError::param("CompanyNumber.CompanyNumber", e.to_string())),
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ScopeBlockedView {
    pub inflows: bool,
    pub outflows: bool,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RegulatoryView {
    pub id: String,
    /// Always `null`: Verity does not invent Mangopay's action codes.
    pub action_code: Option<String>,
    pub scope_blocked: ScopeBlockedView,
}

/// View a User Regulatory Status: from the user's KYC state, a suspected fraud (a KYC document
/// refused as falsified, until an identity proof is validated) blocks both flows.
#[utoipa::path(get, path = "/v2.01/{ClientId}/users/{UserId}/Regulatory", tag = "Users",
    params(("ClientId" = String, Path), ("UserId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = RegulatoryView),
        (status = 404, description = "ressource_not_found: no such user", body = crate::openapi::ErrorBody)))]
pub async fn regulatory(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, user_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let user = UserId::from_raw(user_id);
    let status = state.services.regulatory_status(&client.id, &user).await?;
    Ok(json_response(
        StatusCode::OK,
        &RegulatoryView {
            id: user.to_string(),
            action_code: None,
            scope_blocked: ScopeBlockedView {
                inflows: status.inflows_blocked,
                outflows: status.outflows_blocked,
            },
        },
    ))
}
