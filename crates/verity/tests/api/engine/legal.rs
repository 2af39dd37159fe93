//! Legal users checked against registries: a fake Companies House and an imported registry.

use axum::Router;
use serde_json::json;
use verity_corpus::{Date, Flaw, Kind};

use super::*;
use crate::helpers::*;

/// A fake Companies House: the company profile, officers and PSC endpoints, in the API's format,
/// behind HTTP Basic authentication with the API key.
async fn companies_house(key: &'static str) -> String {
    let authorised = move |headers: &axum::http::HeaderMap| {
        use base64::Engine as _;
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
        );
        headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str())
    };
    let profile = move |axum::extract::Path(number): axum::extract::Path<String>, headers: axum::http::HeaderMap| async move {
        if !authorised(&headers) {
            return (
                axum::http::StatusCode::UNAUTHORIZED,
                axum::Json(json!({"error": "Invalid Authorization"})),
            );
        }
        match number.as_str() {
            "09446231" => (
                axum::http::StatusCode::OK,
                axum::Json(
                    json!({"company_name": "ACME WIDGETS LTD", "company_number": "09446231", "company_status": "active",
                    "type": "ltd", "date_of_creation": "2015-02-18",
                    "registered_office_address": {"address_line_1": "1 High Street", "locality": "London", "postal_code": "EC1A 1AA"}}),
                ),
            ),
            _ => (
                axum::http::StatusCode::NOT_FOUND,
                axum::Json(json!({"errors": [{"error": "company-profile-not-found", "type": "ch:service"}]})),
            ),
        }
    };
    let officers = move |headers: axum::http::HeaderMap| async move {
        if !authorised(&headers) {
            return (axum::http::StatusCode::UNAUTHORIZED, axum::Json(json!({})));
        }
        (
            axum::http::StatusCode::OK,
            axum::Json(json!({"items": [
                {"name": "DUBOIS, Marie", "officer_role": "director", "appointed_on": "2015-02-18"},
                {"name": "SMITH, John", "officer_role": "director", "appointed_on": "2015-02-18", "resigned_on": "2019-01-01"}
            ], "active_count": 1, "resigned_count": 1, "total_results": 2, "items_per_page": 35, "kind": "officer-list"})),
        )
    };
    let pscs = move |headers: axum::http::HeaderMap| async move {
        if !authorised(&headers) {
            return (axum::http::StatusCode::UNAUTHORIZED, axum::Json(json!({})));
        }
        (
            axum::http::StatusCode::OK,
            axum::Json(json!({"items": [
                {"name": "Ms Marie Dubois", "name_elements": {"title": "Ms", "forename": "Marie", "surname": "Dubois"},
                 "kind": "individual-person-with-significant-control", "natures_of_control": ["ownership-of-shares-75-to-100-percent"]}
            ], "active_count": 1, "ceased_count": 0, "total_results": 1})),
        )
    };
    let app = Router::new()
        .route("/company/{number}", axum::routing::get(profile))
        .route("/company/{number}/officers", axum::routing::get(officers))
        .route(
            "/company/{number}/persons-with-significant-control",
            axum::routing::get(pscs),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

const KYB: &str = "BUSINESS_VERIFICATION";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legal_users_are_checked_against_registries() {
    let ch = companies_house("ch-test-key").await;
    let Live {
        app,
        api,
        client: _,
        receiver,
        face: _,
    } = live_platform(
        Backend::Sqlite,
        &[
            ("VERITY_COMPANIES_HOUSE_URL", ch.as_str()),
            ("VERITY_COMPANIES_HOUSE_API_KEY", "ch-test-key"),
        ],
    )
    .await;
    let marie = Person {
        first: "Marie",
        last: "Dubois",
        birth: "1985-03-12",
    };
    let passport = |seed| {
        photos(
            Kind::Passport,
            identity(
                seed,
                "DUBOIS",
                "MARIE",
                Date {
                    year: 1985,
                    month: 3,
                    day: 12,
                },
                "FRA",
            ),
            Flaw::None,
            seed,
        )
    };

    // A UK company found in Companies House, its director doing the check, owners coherent.
    let acme = Company {
        kind: "BUSINESS",
        country: "GB",
        number: "9446231",
        name: "Acme Widgets Limited",
    };
    let s = submit_legal(
        &app,
        &api,
        &acme,
        &marie,
        &[("Marie", "Dubois")],
        ("PASSPORT", "FR"),
        &passport(30),
        30,
    )
    .await;
    let v = decision(&api, &receiver, &s).await;
    expect_checks(
        &v,
        "VALIDATED",
        &[
            (KYB, "VALIDATED", ""),
            (IDV, "VALIDATED", ""),
            ("BUSINESS_INSIGHTS_MATCH", "VALIDATED", ""),
            (NAME, "VALIDATED", ""),
            (AGE, "VALIDATED", ""),
        ],
    );
    assert_eq!(
        v["Checks"][0]["Data"],
        json!([{"Type": "COMPANY_NAME", "Value": "ACME WIDGETS LTD"}, {"Type": "COMPANY_NUMBER", "Value": "09446231"}])
    );
    let user = api
        .get(&format!("/users/{}", v["UserId"].as_str().unwrap()))
        .await
        .json();
    assert_eq!(
        (
            user["KYCLevel"].as_str(),
            user["Name"].as_str(),
            user["CompanyNumber"].as_str()
        ),
        (Some("REGULAR"), Some("ACME WIDGETS LTD"), Some("09446231"))
    );

    // A company the registry does not know goes to a reviewer.
    let unknown = Company {
        kind: "BUSINESS",
        country: "GB",
        number: "12345678",
        name: "Nowhere Trading Ltd",
    };
    let s = submit_legal(
        &app,
        &api,
        &unknown,
        &marie,
        &[("Marie", "Dubois")],
        ("PASSPORT", "FR"),
        &passport(31),
        31,
    )
    .await;
    let v = decision(&api, &receiver, &s).await;
    expect_checks(
        &v,
        "REVIEW",
        &[
            (KYB, "REVIEW", ""),
            (IDV, "VALIDATED", ""),
            (NAME, "VALIDATED", ""),
            (AGE, "VALIDATED", ""),
        ],
    );

    // A French sole trader from the operator's imported registry: the holder's name is the trade name.
    let csv = "country,number,name,status,officers,owners\nFR,732 829 320,Jean Martin,active,Jean Martin,\nFR,443061841,\"Dupont, Martin & Fils\",closed,,\n";
    let file = app.db.data_dir.path().join("registry.csv");
    std::fs::write(&file, csv).unwrap();
    let (ok, out, err) = cli(&app, &["registry", "import", file.to_str().unwrap()]).await;
    assert!(ok && out.contains("imported 2 companies"), "{out}{err}");
    let jean = Person {
        first: "Jean",
        last: "Martin",
        birth: "1970-01-20",
    };
    let jean_passport = photos(
        Kind::Passport,
        identity(
            32,
            "MARTIN",
            "JEAN",
            Date {
                year: 1970,
                month: 1,
                day: 20,
            },
            "FRA",
        ),
        Flaw::None,
        32,
    );
    let sole = Company {
        kind: "SOLETRADER",
        country: "FR",
        number: "732829320",
        name: "Jean Martin",
    };
    let s = submit_legal(&app, &api, &sole, &jean, &[], ("PASSPORT", "FR"), &jean_passport, 32).await;
    expect_checks(
        &decision(&api, &receiver, &s).await,
        "VALIDATED",
        &[
            (KYB, "VALIDATED", ""),
            (IDV, "VALIDATED", ""),
            (NAME, "VALIDATED", ""),
            (AGE, "VALIDATED", ""),
            ("BUSINESS_NAME_MATCH", "VALIDATED", ""),
        ],
    );

    // A closed company is refused; a number whose check digit is wrong too.
    let closed = Company {
        kind: "ORGANIZATION",
        country: "FR",
        number: "443061841",
        name: "Dupont Martin et Fils",
    };
    let s = submit_legal(
        &app,
        &api,
        &closed,
        &jean,
        &[],
        ("PASSPORT", "FR"),
        &photos(
            Kind::Passport,
            identity(
                33,
                "MARTIN",
                "JEAN",
                Date {
                    year: 1970,
                    month: 1,
                    day: 20,
                },
                "FRA",
            ),
            Flaw::None,
            33,
        ),
        33,
    )
    .await;
    let v = decision(&api, &receiver, &s).await;
    assert_eq!(
        (v["Status"].as_str(), checks(&v)[0].clone()),
        (
            Some("REFUSED"),
            (KYB.to_owned(), "REFUSED".to_owned(), "DOCUMENT_NOT_ACCEPTED".to_owned())
        ),
        "{v:#}"
    );
    let typo = Company {
        kind: "ORGANIZATION",
        country: "FR",
        number: "732829321",
        name: "Jean Martin",
    };
    let s = submit_legal(
        &app,
        &api,
        &typo,
        &jean,
        &[],
        ("PASSPORT", "FR"),
        &photos(
            Kind::Passport,
            identity(
                34,
                "MARTIN",
                "JEAN",
                Date {
                    year: 1970,
                    month: 1,
                    day: 20,
                },
                "FRA",
            ),
            Flaw::None,
            34,
        ),
        34,
    )
    .await;
    let v = decision(&api, &receiver, &s).await;
    assert_eq!(
        (v["Status"].as_str(), checks(&v)[0].clone()),
        (
            Some("REFUSED"),
            (KYB.to_owned(), "REFUSED".to_owned(), "DOCUMENT_NOT_ACCEPTED".to_owned())
        ),
        "{v:#}"
    );
    // A bad import changes nothing and says which line is wrong.
    std::fs::write(
        &file,
        "country,number,name,status,officers,owners\nFR,123,Bad,active,,\n",
    )
    .unwrap();
    let (ok, _, err) = cli(&app, &["registry", "import", file.to_str().unwrap()]).await;
    assert!(
        !ok && err.contains("line 2") && err.contains("nothing was imported"),
        "{err}"
    );
}
