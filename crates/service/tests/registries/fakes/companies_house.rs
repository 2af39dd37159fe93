//! The UK Companies House fake (Public Data API): profiles, officers and PSC registers.

use std::collections::HashMap;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use verity_service::registry::CompaniesHouse;

use super::{API_KEY, Hits, TIMEOUT, install_crypto, json, serve};

const GB_PROFILE: &str = r#"{
  "accounts": {
    "accounting_reference_date": {"day": "28", "month": "02"},
    "last_accounts": {"made_up_to": "2024-02-29", "period_end_on": "2024-02-29", "period_start_on": "2023-03-01", "type": "micro-entity"},
    "next_accounts": {"due_on": "2025-11-30", "overdue": false, "period_end_on": "2025-02-28", "period_start_on": "2024-03-01"},
    "next_due": "2025-11-30",
    "next_made_up_to": "2025-02-28",
    "overdue": false
  },
  "can_file": true,
  "company_name": "NORTHWIND DIGITAL LTD",
  "company_number": "09446231",
  "company_status": "active",
  "confirmation_statement": {"last_made_up_to": "2024-02-17", "next_due": "2025-03-03", "next_made_up_to": "2025-02-17", "overdue": false},
  "date_of_creation": "2015-02-18",
  "etag": "0b4c5e6f1d2a3b4c5d6e7f8091a2b3c4d5e6f708",
  "has_charges": false,
  "has_insolvency_history": false,
  "jurisdiction": "england-wales",
  "links": {
    "persons_with_significant_control": "/company/09446231/persons-with-significant-control",
    "self": "/company/09446231",
    "filing_history": "/company/09446231/filing-history",
    "officers": "/company/09446231/officers"
  },
  "registered_office_address": {"address_line_1": "71-75 Shelton Street", "country": "United Kingdom", "locality": "London", "postal_code": "WC2H 9JQ", "region": "Covent Garden"},
  "registered_office_is_in_dispute": false,
  "sic_codes": ["62012", "62020"],
  "type": "ltd",
  "undeliverable_registered_office_address": false,
  "has_super_secure_pscs": false
}"#;

const GB_OFFICERS: &str = r#"{
  "active_count": 2,
  "etag": "7a1f0d9c3b2e4f5a6b7c8d9e0f1a2b3c4d5e6f70",
  "inactive_count": 0,
  "items": [
    {
      "address": {"address_line_1": "Shelton Street", "country": "England", "locality": "London", "postal_code": "WC2H 9JQ", "premises": "71-75"},
      "appointed_on": "2015-02-18",
      "country_of_residence": "England",
      "date_of_birth": {"month": 6, "year": 1981},
      "links": {"self": "/company/09446231/appointments/Xq1", "officer": {"appointments": "/officers/Xq1/appointments"}},
      "name": "HARGREAVES, Eleanor Mary",
      "nationality": "British",
      "occupation": "Software Engineer",
      "officer_role": "director"
    },
    {
      "address": {"address_line_1": "Shelton Street", "country": "England", "locality": "London", "postal_code": "WC2H 9JQ", "premises": "71-75"},
      "appointed_on": "2016-05-01",
      "country_of_residence": "England",
      "date_of_birth": {"month": 11, "year": 1975},
      "links": {"self": "/company/09446231/appointments/Yr2", "officer": {"appointments": "/officers/Yr2/appointments"}},
      "name": "OKONKWO, Chinedu",
      "nationality": "Nigerian",
      "occupation": "Director",
      "officer_role": "director",
      "resigned_on": "2019-03-31"
    },
    {
      "address": {"address_line_1": "Shelton Street", "country": "England", "locality": "London", "postal_code": "WC2H 9JQ", "premises": "71-75"},
      "appointed_on": "2015-02-18",
      "links": {"self": "/company/09446231/appointments/Zs3", "officer": {"appointments": "/officers/Zs3/appointments"}},
      "name": "PATEL, Sanjay",
      "officer_role": "secretary"
    },
    {
      "address": {"address_line_1": "Old Street", "locality": "London", "postal_code": "EC1V 9HX", "premises": "1"},
      "appointed_on": "2020-01-10",
      "links": {"self": "/company/09446231/appointments/Wt4", "officer": {"appointments": "/officers/Wt4/appointments"}},
      "name": "BRIGHTLINE DIRECTORS LIMITED",
      "officer_role": "corporate-director",
      "identification": {"identification_type": "uk-limited-company", "registration_number": "04012345"}
    }
  ],
  "items_per_page": 35,
  "kind": "officer-list",
  "links": {"self": "/company/09446231/officers"},
  "resigned_count": 1,
  "start_index": 0,
  "total_results": 4
}"#;

const GB_PSCS: &str = r#"{
  "active_count": 3,
  "ceased_count": 1,
  "etag": "1e2d3c4b5a69788796a5b4c3d2e1f0a1b2c3d4e5",
  "items": [
    {
      "address": {"address_line_1": "Shelton Street", "country": "England", "locality": "London", "postal_code": "WC2H 9JQ", "premises": "71-75"},
      "country_of_residence": "England",
      "date_of_birth": {"month": 6, "year": 1981},
      "etag": "a1",
      "kind": "individual-person-with-significant-control",
      "links": {"self": "/company/09446231/persons-with-significant-control/individual/Aa1"},
      "name": "Mrs Eleanor Mary Hargreaves",
      "name_elements": {"forename": "Eleanor", "middle_name": "Mary", "surname": "Hargreaves", "title": "Mrs"},
      "nationality": "British",
      "natures_of_control": ["ownership-of-shares-50-to-75-percent", "voting-rights-50-to-75-percent", "right-to-appoint-and-remove-directors"],
      "notified_on": "2016-04-06"
    },
    {
      "address": {"address_line_1": "Shelton Street", "country": "England", "locality": "London", "postal_code": "WC2H 9JQ", "premises": "71-75"},
      "ceased_on": "2019-03-31",
      "country_of_residence": "England",
      "date_of_birth": {"month": 11, "year": 1975},
      "etag": "b2",
      "kind": "individual-person-with-significant-control",
      "links": {"self": "/company/09446231/persons-with-significant-control/individual/Bb2"},
      "name": "Mr Chinedu Okonkwo",
      "name_elements": {"forename": "Chinedu", "surname": "Okonkwo", "title": "Mr"},
      "nationality": "Nigerian",
      "natures_of_control": ["ownership-of-shares-25-to-50-percent"],
      "notified_on": "2016-04-06"
    },
    {
      "address": {"address_line_1": "Shelton Street", "country": "England", "locality": "London", "postal_code": "WC2H 9JQ", "premises": "71-75"},
      "country_of_residence": "Wales",
      "date_of_birth": {"month": 2, "year": 1969},
      "etag": "c3",
      "kind": "individual-person-with-significant-control",
      "links": {"self": "/company/09446231/persons-with-significant-control/individual/Cc3"},
      "name": "Dr Gareth Rhys Jones",
      "nationality": "British",
      "natures_of_control": ["ownership-of-shares-25-to-50-percent"],
      "notified_on": "2019-04-01"
    },
    {
      "address": {"address_line_1": "Old Street", "locality": "London", "postal_code": "EC1V 9HX", "premises": "1"},
      "etag": "d4",
      "identification": {"country_registered": "England", "legal_authority": "Companies Act 2006", "legal_form": "Private Limited Company", "place_registered": "Companies House", "registration_number": "11223344"},
      "kind": "corporate-entity-person-with-significant-control",
      "links": {"self": "/company/09446231/persons-with-significant-control/corporate-entity/Dd4"},
      "name": "Northwind Holdings Limited",
      "natures_of_control": ["ownership-of-shares-25-to-50-percent"],
      "notified_on": "2020-01-10"
    }
  ],
  "items_per_page": 25,
  "links": {"self": "/company/09446231/persons-with-significant-control"},
  "start_index": 0,
  "total_results": 4
}"#;

const GB_DISSOLVED_PROFILE: &str = r#"{
  "company_name": "HARBOUR LANE TRADING LIMITED",
  "company_number": "06817425",
  "company_status": "dissolved",
  "date_of_cessation": "2021-08-03",
  "date_of_creation": "2009-02-16",
  "etag": "5f4e3d2c1b0a99887766554433221100ffeeddcc",
  "has_charges": false,
  "has_insolvency_history": false,
  "jurisdiction": "england-wales",
  "links": {"self": "/company/06817425", "officers": "/company/06817425/officers", "filing_history": "/company/06817425/filing-history"},
  "registered_office_address": {"address_line_1": "12 Harbour Lane", "locality": "Bristol", "postal_code": "BS1 4RN"},
  "sic_codes": ["47910"],
  "type": "ltd",
  "can_file": false
}"#;

const GB_DISSOLVED_OFFICERS: &str = r#"{
  "active_count": 1,
  "items": [
    {
      "appointed_on": "2009-02-16",
      "name": "MORGAN, Thomas",
      "officer_role": "director",
      "address": {"address_line_1": "12 Harbour Lane", "locality": "Bristol", "postal_code": "BS1 4RN"},
      "links": {"officer": {"appointments": "/officers/Mm1/appointments"}}
    }
  ],
  "items_per_page": 35,
  "kind": "officer-list",
  "links": {"self": "/company/06817425/officers"},
  "resigned_count": 0,
  "start_index": 0,
  "total_results": 1
}"#;

const GB_NOT_FOUND: &str = r#"{"errors":[{"type":"ch:service","error":"company-profile-not-found"}]}"#;
const GB_UNAUTHORISED: &str = r#"{"error":"Invalid Authorization","type":"ch:service"}"#;

/// Companies in the GB fake: 09446231 (active), 06817425 (dissolved, no PSC register), 50050050
/// (always 500), 77777777 (never answers), 12121212 (answers HTML). Anything else is 404.
async fn gb_handler(
    State(hits): State<Hits>,
    Path(number): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    hits.hit(uri.path());
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{API_KEY}:"))
    );
    if headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return json(StatusCode::UNAUTHORIZED, GB_UNAUTHORISED);
    }
    let number = number.as_str();
    let list = ["officers", "persons-with-significant-control"]
        .into_iter()
        .find(|list| uri.path().ends_with(&format!("/{list}")))
        .unwrap_or("");
    if !list.is_empty() && query.get("items_per_page").map(String::as_str) != Some("100") {
        return json(
            StatusCode::BAD_REQUEST,
            r#"{"errors":[{"error":"expected items_per_page"}]}"#,
        );
    }
    match (number, list) {
        ("09446231", "") => json(StatusCode::OK, GB_PROFILE),
        ("09446231", "officers") => json(StatusCode::OK, GB_OFFICERS),
        ("09446231", "persons-with-significant-control") => json(StatusCode::OK, GB_PSCS),
        ("06817425", "") => json(StatusCode::OK, GB_DISSOLVED_PROFILE),
        ("06817425", "officers") => json(StatusCode::OK, GB_DISSOLVED_OFFICERS),
        ("50050050", _) => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"error":"Internal Server Error"}"#,
        ),
        ("77777777", _) => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            json(StatusCode::OK, GB_PROFILE)
        }
        ("12121212", "") => (StatusCode::OK, "<html><body>Service maintenance</body></html>").into_response(),
        _ => json(StatusCode::NOT_FOUND, GB_NOT_FOUND),
    }
}

pub(crate) async fn companies_house_fake() -> (String, Hits) {
    let hits = Hits::default();
    let router = Router::new()
        .route("/company/{number}", get(gb_handler))
        .route("/company/{number}/officers", get(gb_handler))
        .route("/company/{number}/persons-with-significant-control", get(gb_handler))
        .with_state(hits.clone());
    (serve(router).await, hits)
}

pub(crate) async fn companies_house() -> (CompaniesHouse, Hits) {
    install_crypto();
    let (base, hits) = companies_house_fake().await;
    (CompaniesHouse::with_base_url(base, API_KEY, TIMEOUT).unwrap(), hits)
}
