//! The registry adapters against local fakes that speak the registries' real formats: UK Companies
//! House (Public Data API) and France's Recherche d'entreprises.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use verity_domain::company::RegistryRecord;
use verity_service::registry::{
    CompaniesHouse, RechercheEntreprises, Registries, Registry, RegistryError, RegistryLookup,
};

const API_KEY: &str = "3f1e6c2a-5b7d-4e8f-9a0b-1c2d3e4f5a6b";
const TIMEOUT: Duration = Duration::from_millis(300);

/// Requests received, by path.
#[derive(Clone, Default)]
struct Hits(Arc<Mutex<HashMap<String, usize>>>);

impl Hits {
    fn hit(&self, path: &str) {
        *self.0.lock().unwrap().entry(path.to_owned()).or_default() += 1;
    }

    fn count(&self, path: &str) -> usize {
        self.0.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Serves `router` on 127.0.0.1 and returns its base URL.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

fn json(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

// ---------------------------------------------------------------------------------------------
// Companies House fake.

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

async fn companies_house_fake() -> (String, Hits) {
    let hits = Hits::default();
    let router = Router::new()
        .route("/company/{number}", get(gb_handler))
        .route("/company/{number}/officers", get(gb_handler))
        .route("/company/{number}/persons-with-significant-control", get(gb_handler))
        .with_state(hits.clone());
    (serve(router).await, hits)
}

async fn companies_house() -> (CompaniesHouse, Hits) {
    install_crypto();
    let (base, hits) = companies_house_fake().await;
    (CompaniesHouse::with_base_url(base, API_KEY, TIMEOUT).unwrap(), hits)
}

// ---------------------------------------------------------------------------------------------
// Recherche d'entreprises fake.

const FR_FOUND: &str = r#"{
  "results": [
    {
      "siren": "552100554",
      "nom_complet": "ATELIERS DU RHONE (ADR)",
      "nom_raison_sociale": "ATELIERS DU RHONE",
      "sigle": "ADR",
      "nombre_etablissements": 3,
      "nombre_etablissements_ouverts": 2,
      "siege": {
        "activite_principale": "25.62B",
        "adresse": "14 QUAI PERRACHE 69002 LYON",
        "code_postal": "69002",
        "commune": "69382",
        "date_creation": "1955-01-01",
        "est_siege": true,
        "etat_administratif": "A",
        "libelle_commune": "LYON",
        "siret": "55210055400013"
      },
      "activite_principale": "25.62B",
      "categorie_entreprise": "PME",
      "date_creation": "1955-01-01",
      "date_fermeture": null,
      "date_mise_a_jour": "2025-03-14T09:12:44",
      "dirigeants": [
        {
          "nom": "MARCHAND (MARCHAND)",
          "prenoms": "CLAIRE SOPHIE",
          "annee_de_naissance": "1972",
          "date_de_naissance": "1972-09",
          "qualite": "Président de SAS",
          "nationalite": "Française",
          "type_dirigeant": "personne physique"
        },
        {
          "nom": "LEFEBVRE",
          "prenoms": "ANTOINE",
          "annee_de_naissance": "1980",
          "date_de_naissance": "1980-03",
          "qualite": "Directeur Général",
          "nationalite": "Française",
          "type_dirigeant": "personne physique"
        },
        {
          "siren": "775726417",
          "denomination": "CABINET AUDIT RHONE ALPES",
          "qualite": "Commissaire aux comptes titulaire",
          "type_dirigeant": "personne morale"
        }
      ],
      "etat_administratif": "A",
      "nature_juridique": "5710",
      "section_activite_principale": "C",
      "tranche_effectif_salarie": "12",
      "statut_diffusion": "O",
      "matching_etablissements": [],
      "finances": {"2023": {"ca": 4200000, "resultat_net": 180000}},
      "complements": {"est_entrepreneur_individuel": false, "est_ess": false}
    }
  ],
  "total_results": 1,
  "page": 1,
  "per_page": 1,
  "total_pages": 1
}"#;

const FR_CEASED: &str = r#"{
  "results": [
    {
      "siren": "443061841",
      "nom_complet": "MARTIN ELECTRICITE",
      "nom_raison_sociale": null,
      "siege": {"adresse": "3 RUE DES LILAS 33000 BORDEAUX", "etat_administratif": "F", "siret": "44306184100047"},
      "date_fermeture": "2018-12-31",
      "dirigeants": [],
      "etat_administratif": "C",
      "nature_juridique": "1000",
      "matching_etablissements": []
    }
  ],
  "total_results": 1,
  "page": 1,
  "per_page": 1,
  "total_pages": 1
}"#;

/// A full-text match on something else than the SIREN.
const FR_NAMESAKE: &str = r#"{
  "results": [{"siren": "732829320", "nom_complet": "SOCIETE 111111111", "nom_raison_sociale": "SOCIETE 111111111", "etat_administratif": "A", "dirigeants": []}],
  "total_results": 1, "page": 1, "per_page": 1, "total_pages": 1
}"#;

const FR_EMPTY: &str = r#"{"results":[],"total_results":0,"page":1,"per_page":1,"total_pages":0}"#;

async fn fr_handler(State(hits): State<Hits>, Query(query): Query<HashMap<String, String>>) -> Response {
    let q = query.get("q").cloned().unwrap_or_default();
    hits.hit(&q);
    if query.get("page").map(String::as_str) != Some("1") || query.get("per_page").map(String::as_str) != Some("1") {
        return json(StatusCode::BAD_REQUEST, r#"{"erreur":"page and per_page expected"}"#);
    }
    match q.as_str() {
        "552100554" => json(StatusCode::OK, FR_FOUND),
        "443061841" => json(StatusCode::OK, FR_CEASED),
        "111111111" => json(StatusCode::OK, FR_NAMESAKE),
        "429429429" => json(
            StatusCode::TOO_MANY_REQUESTS,
            r#"{"erreur":"Vous avez effectué trop de requêtes"}"#,
        ),
        "123123123" => json(StatusCode::OK, r#"{"results": [{"nom_complet": 12}]}"#),
        _ => json(StatusCode::OK, FR_EMPTY),
    }
}

async fn recherche_entreprises() -> (RechercheEntreprises, Hits) {
    install_crypto();
    let hits = Hits::default();
    let router = Router::new().route("/search", get(fr_handler)).with_state(hits.clone());
    let base = serve(router).await;
    (RechercheEntreprises::with_base_url(base, TIMEOUT).unwrap(), hits)
}

// ---------------------------------------------------------------------------------------------
// Companies House.

#[tokio::test]
async fn gb_active_company_with_current_directors_and_individual_owners() {
    let (ch, hits) = companies_house().await;
    let record = ch.lookup("GB", "9446231").await.unwrap().unwrap();
    assert_eq!(
        record,
        RegistryRecord {
            country: "GB".into(),
            number: "09446231".into(),
            name: "NORTHWIND DIGITAL LTD".into(),
            active: true,
            // The resigned director, the secretary and the corporate director are left out.
            officers: vec!["Eleanor Mary HARGREAVES".into()],
            // The ceased PSC and the corporate PSC are left out; without name elements the name
            // is taken as written.
            owners: vec!["Eleanor Mary Hargreaves".into(), "Dr Gareth Rhys Jones".into()],
        }
    );
    assert_eq!(hits.count("/company/09446231"), 1);
    assert_eq!(hits.count("/company/09446231/officers"), 1);
    assert_eq!(hits.count("/company/09446231/persons-with-significant-control"), 1);
}

#[tokio::test]
async fn gb_dissolved_company_without_psc_register() {
    let (ch, _) = companies_house().await;
    let record = ch.lookup("uk", "06817425").await.unwrap().unwrap();
    assert_eq!(record.name, "HARBOUR LANE TRADING LIMITED");
    assert!(!record.active);
    assert_eq!(record.officers, vec!["Thomas MORGAN".to_owned()]);
    assert!(record.owners.is_empty());
}

#[tokio::test]
async fn gb_unknown_company_is_none() {
    let (ch, hits) = companies_house().await;
    assert_eq!(ch.lookup("GB", "01234567").await.unwrap(), None);
    // Not asked for officers of a company that does not exist.
    assert_eq!(hits.count("/company/01234567/officers"), 0);
    // A number our rules do not know is asked as typed...
    assert_eq!(ch.lookup("GB", "xy 123456").await.unwrap(), None);
    assert_eq!(hits.count("/company/XY123456"), 1);
    // ...unless it cannot be a company number at all.
    assert_eq!(ch.lookup("GB", "../1").await.unwrap(), None);
    assert_eq!(ch.lookup("GB", " ").await.unwrap(), None);
    assert_eq!(hits.count("/company"), 0);
}

/// A refused API key (401) is `Unavailable`: the registry could not be asked, which says nothing
/// about the company. It is not retried, and the key is not in the message.
#[tokio::test]
async fn gb_requires_basic_auth_with_the_key() {
    install_crypto();
    let (base, hits) = companies_house_fake().await;
    let wrong = CompaniesHouse::with_base_url(base, "wrong-key-123", TIMEOUT).unwrap();
    let err = wrong.lookup("GB", "09446231").await.unwrap_err();
    assert!(matches!(err, RegistryError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("401"), "{err}");
    assert!(!err.to_string().contains("wrong-key-123"), "{err}");
    assert!(!format!("{wrong:?}").contains("wrong-key-123"));
    assert_eq!(hits.count("/company/09446231"), 1);
}

#[tokio::test]
async fn gb_server_error_is_unavailable_after_one_retry() {
    let (ch, hits) = companies_house().await;
    let started = Instant::now();
    let err = ch.lookup("GB", "50050050").await.unwrap_err();
    assert!(matches!(err, RegistryError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("500"), "{err}");
    assert_eq!(hits.count("/company/50050050"), 2);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn gb_hanging_registry_is_unavailable_after_the_timeout() {
    let (ch, hits) = companies_house().await;
    let started = Instant::now();
    let err = ch.lookup("GB", "77777777").await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(err, RegistryError::Unavailable(_)), "{err:?}");
    // Two attempts of 300 ms and the 200 ms pause between them.
    assert!(elapsed >= Duration::from_millis(800), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(2000), "{elapsed:?}");
    assert_eq!(hits.count("/company/77777777"), 2);
}

#[tokio::test]
async fn gb_unreadable_answer_is_bad_response() {
    let (ch, hits) = companies_house().await;
    let err = ch.lookup("GB", "12121212").await.unwrap_err();
    assert!(matches!(err, RegistryError::BadResponse(_)), "{err:?}");
    assert_eq!(hits.count("/company/12121212"), 1);
}

#[tokio::test]
async fn unreachable_registry_is_unavailable() {
    install_crypto();
    // A port that was just free: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let ch = CompaniesHouse::with_base_url(format!("http://{addr}"), API_KEY, TIMEOUT).unwrap();
    let err = ch.lookup("GB", "09446231").await.unwrap_err();
    assert!(matches!(err, RegistryError::Unavailable(_)), "{err:?}");
    assert!(!err.to_string().contains(API_KEY));
}

// ---------------------------------------------------------------------------------------------
// Recherche d'entreprises.

#[tokio::test]
async fn fr_company_with_dirigeants() {
    let (fr, hits) = recherche_entreprises().await;
    let record = fr.lookup("FR", "552 100 554").await.unwrap().unwrap();
    assert_eq!(
        record,
        RegistryRecord {
            country: "FR".into(),
            number: "552100554".into(),
            name: "ATELIERS DU RHONE".into(),
            active: true,
            // The auditor (a personne morale) is left out; "MARCHAND (MARCHAND)" repeats the name.
            officers: vec!["CLAIRE SOPHIE MARCHAND".into(), "ANTOINE LEFEBVRE".into()],
            owners: vec![],
        }
    );
    // A SIRET looks its SIREN up.
    let by_siret = fr.lookup("FR", "552 100 554 00013").await.unwrap().unwrap();
    assert_eq!(by_siret, record);
    assert_eq!(hits.count("552100554"), 2);
}

#[tokio::test]
async fn fr_ceased_sole_trader() {
    let (fr, _) = recherche_entreprises().await;
    let record = fr.lookup("FR", "443061841").await.unwrap().unwrap();
    assert_eq!(record.name, "MARTIN ELECTRICITE");
    assert!(!record.active);
    assert!(record.officers.is_empty() && record.owners.is_empty());
}

#[tokio::test]
async fn fr_unknown_siren_or_namesake_is_none() {
    let (fr, hits) = recherche_entreprises().await;
    assert_eq!(fr.lookup("FR", "732829320").await.unwrap(), None);
    assert_eq!(fr.lookup("FR", "111111111").await.unwrap(), None);
    // Not a SIREN at all: not searched, a text search would only find namesakes.
    assert_eq!(fr.lookup("FR", "ACME").await.unwrap(), None);
    assert_eq!(hits.count("ACME"), 0);
}

#[tokio::test]
async fn fr_rate_limited_is_unavailable_after_one_retry() {
    let (fr, hits) = recherche_entreprises().await;
    let err = fr.lookup("FR", "429429429").await.unwrap_err();
    assert!(matches!(err, RegistryError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("429"), "{err}");
    assert_eq!(hits.count("429429429"), 2);
}

#[tokio::test]
async fn fr_unexpected_format_is_bad_response() {
    let (fr, _) = recherche_entreprises().await;
    let err = fr.lookup("FR", "123123123").await.unwrap_err();
    assert!(matches!(err, RegistryError::BadResponse(_)), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Choosing a registry.

/// A registry that covers one country and knows every company there by the same name.
struct Stub(&'static str, &'static str);

#[async_trait]
impl Registry for Stub {
    fn name(&self) -> &'static str {
        self.0
    }

    fn covers(&self, country: &str) -> bool {
        country.eq_ignore_ascii_case(self.1)
    }

    async fn lookup(&self, country: &str, number: &str) -> Result<Option<RegistryRecord>, RegistryError> {
        Ok(Some(RegistryRecord {
            country: country.to_uppercase(),
            number: number.to_owned(),
            name: self.0.to_owned(),
            active: true,
            officers: vec![],
            owners: vec![],
        }))
    }
}

#[tokio::test]
async fn registries_pick_the_first_that_covers_the_country() {
    let (ch, _) = companies_house().await;
    let (fr, _) = recherche_entreprises().await;
    let registries = Registries::new(vec![
        Arc::new(ch),
        Arc::new(fr),
        Arc::new(Stub("fallback-fr", "FR")),
        Arc::new(Stub("kbo", "BE")),
    ]);

    assert_eq!(registries.find("GB").unwrap().name(), "companies-house");
    assert_eq!(registries.find("uk").unwrap().name(), "companies-house");
    assert_eq!(registries.find("fr").unwrap().name(), "recherche-entreprises");
    assert_eq!(registries.find("BE").unwrap().name(), "kbo");
    assert!(registries.find("DE").is_none());
    assert!(registries.covers("be") && !registries.covers("DE"));

    let RegistryLookup { registry, result } = registries.lookup("FR", "552100554").await.unwrap();
    assert_eq!(registry, "recherche-entreprises");
    assert_eq!(result.unwrap().unwrap().name, "ATELIERS DU RHONE");

    let RegistryLookup { registry, result } = registries.lookup("GB", "09446231").await.unwrap();
    assert_eq!(registry, "companies-house");
    assert_eq!(result.unwrap().unwrap().name, "NORTHWIND DIGITAL LTD");

    let be = registries.lookup("BE", "0403170701").await.unwrap();
    assert_eq!(be.registry, "kbo");
    assert_eq!(be.result.unwrap().unwrap().number, "0403170701");

    assert!(registries.lookup("DE", "HRB 12345").await.is_none());
    assert!(Registries::default().lookup("FR", "552100554").await.is_none());
}
