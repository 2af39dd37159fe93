//! The verification engine end to end: generated specimen documents are photographed, uploaded
//! through the hosted flow of a production client, and the engine's decision arrives by webhook;
//! the session then carries the checks, reasons, data and status the rules give. A fake
//! face-match provider speaks Verity's provider contract; a fake Companies House speaks its API.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use serde_json::{Value, json};
use verity_corpus::{Date, Flaw, Identity, Kind, Level, Painter, Rng, Specimen};

use crate::helpers::*;
use crate::hosted::{Hosted, png};
use crate::receiver::Receiver;

pub const TODAY: Date = Date {
    year: 2026,
    month: 11,
    day: 25,
};
const DECIDED: [&str; 3] = [
    "IDENTITY_VERIFICATION_VALIDATED",
    "IDENTITY_VERIFICATION_FAILED",
    "IDENTITY_VERIFICATION_INCONCLUSIVE",
];

/// A face-match provider on loopback answering `pass`, `fail`, or HTTP 503 (`down`).
pub struct FaceProvider {
    pub url: String,
    mode: Arc<Mutex<&'static str>>,
    requests: Arc<Mutex<Vec<Value>>>,
}

impl FaceProvider {
    pub async fn start() -> FaceProvider {
        let mode = Arc::new(Mutex::new("pass"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (m, r) = (mode.clone(), requests.clone());
        let app = Router::new().route(
            "/face-match",
            post(move |body: axum::Json<Value>| {
                let (m, r) = (m.clone(), r.clone());
                async move {
                    r.lock().unwrap().push(body.0);
                    match *m.lock().unwrap() {
                        "down" => (axum::http::StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({}))),
                        outcome => (
                            axum::http::StatusCode::OK,
                            axum::Json(
                                json!({"outcome": outcome, "score": if outcome == "pass" { 0.97 } else { 0.12 }}),
                            ),
                        ),
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/face-match", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FaceProvider { url, mode, requests }
    }

    fn set(&self, mode: &'static str) {
        *self.mode.lock().unwrap() = mode;
    }
}

/// A production client with hooks on every decision, pointing at `receiver`.
pub async fn live_client(app: &TestApp, receiver: &Receiver) -> (Api, String) {
    let (id, key) = create_client(&app.db, &app.env, "Live platform", &["--environment", "production"]).await;
    let api = Api {
        http: app.http.clone(),
        token: app.token_for(&id, &key).await,
        prefix: app.url(&format!("/v2.01/{id}")),
    };
    for event in DECIDED {
        let r = api
            .post("/hooks", json!({"EventType": event, "Url": receiver.url}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    (api, id)
}

/// A server with a fake face-match provider and private webhooks allowed, and a production
/// client whose hooks on every decision point at a receiver.
pub struct Live {
    pub app: TestApp,
    pub api: Api,
    pub client: String,
    pub receiver: Receiver,
    pub face: FaceProvider,
}

pub async fn live_platform(backend: Backend, env: &[(&str, &str)]) -> Live {
    let receiver = Receiver::ok().await;
    let face = FaceProvider::start().await;
    let mut all = vec![
        ("VERITY_PROVIDER_FACE_MATCH_URL", face.url.as_str()),
        ("VERITY_WEBHOOK_ALLOW_PRIVATE", "true"),
    ];
    all.extend_from_slice(env);
    let app = TestApp::spawn(backend, &all).await;
    let (api, client) = live_client(&app, &receiver).await;
    Live {
        app,
        api,
        client,
        receiver,
        face,
    }
}

/// Runs the `verity` CLI on the app's database.
pub async fn cli(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let out = verity()
        .args(args)
        .env("VERITY_DATABASE_URL", &app.db.url)
        .env("VERITY_DATA_DIR", app.db.data_dir.path())
        .envs(app.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn identity(seed: u64, surname: &str, given: &str, birth: Date, state: &str) -> Identity {
    let mut rng = Rng::new(seed);
    let mut id = Identity::random(&mut rng, TODAY);
    id.surname = surname.into();
    id.given_names = given.into();
    id.birth = birth;
    id.nationality = state.into();
    id.issuing_state = state.into();
    id
}

/// The photos a person would take of this document: the MRZ side, and a card's front.
pub fn photos(kind: Kind, identity: Identity, flaw: Flaw, seed: u64) -> Vec<(&'static str, Vec<u8>)> {
    let painter = Painter::new();
    let portrait = verity_corpus::portrait();
    let mut rng = Rng::new(seed);
    let mut identity = identity;
    if flaw == Flaw::Expired {
        identity.expiry = Date {
            year: TODAY.year - 1,
            ..identity.expiry
        };
    }
    let specimen = Specimen::with_identity(&painter, &mut rng, kind, identity, flaw, Some(&portrait));
    let (mrz_side, _) = specimen.photograph(Level::Light, seed);
    match &specimen.pages.front {
        Some(front) => {
            let shot = verity_corpus::Shot::draw(Level::Light, &mut Rng::new(seed + 7));
            let front = verity_corpus::photo::photograph(front, verity_corpus::render::PX_PER_MM, &shot, &mut rng);
            vec![("front", front), ("back", mrz_side)]
        }
        None => vec![("front", mrz_side)],
    }
}

pub struct Person<'a> {
    pub first: &'a str,
    pub last: &'a str,
    pub birth: &'a str,
}

/// Creates a natural user, walks the hosted flow with `pages` and a selfie, submits, and
/// returns the session id.
async fn submit_natural(
    app: &TestApp,
    api: &Api,
    person: &Person<'_>,
    document: (&str, &str),
    pages: &[(&'static str, Vec<u8>)],
    selfie_seed: u64,
) -> String {
    let birthday = verity_domain::hosted::parse_date(person.birth).unwrap();
    let r = api
        .post(
            "/users/natural",
            json!({"FirstName": person.first, "LastName": person.last, "Email": "person@example.org", "Birthday": birthday,
                   "Nationality": "FR", "CountryOfResidence": "FR", "TermsAndConditionsAccepted": true, "UserCategory": "OWNER"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let user = r.json()["Id"].as_str().unwrap().to_owned();
    let hosted = Hosted::open(app, api, &user).await;
    let session = api.get(&format!("/users/{user}/identity-verifications")).await.json()[0]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let csrf = hosted.csrf().await;
    assert_eq!(
        hosted
            .post("welcome", &[("csrf", &csrf), ("action", "continue")])
            .await
            .0,
        303
    );
    let personal = [
        ("csrf", csrf.as_str()),
        ("first_name", person.first),
        ("last_name", person.last),
        ("birth_date", person.birth),
        ("nationality", "FR"),
    ];
    assert_eq!(hosted.post("personal", &personal).await.0, 303);
    let choice = [("csrf", csrf.as_str()), ("kind", document.0), ("country", document.1)];
    assert_eq!(hosted.post("document", &choice).await.0, 303);
    for (slot, bytes) in pages {
        let (status, body) = hosted.upload(slot, slot, bytes.clone(), "photo.jpg").await;
        assert_eq!(status, 303, "{slot}: {body}");
    }
    let (status, body) = hosted
        .upload("selfie", "selfie", verity_corpus::selfie(selfie_seed), "selfie.jpg")
        .await;
    assert_eq!(status, 303, "selfie: {body}");
    let (status, location) = hosted.post("review", &[("csrf", &csrf), ("action", "submit")]).await;
    assert_eq!((status, location.as_str()), (303, "https://example.com/back"));
    session
}

/// Waits for the engine's decision webhook, then returns the session as the API shows it.
pub async fn decision(api: &Api, receiver: &Receiver, session: &str) -> Value {
    receiver
        .wait_for(1, Duration::from_secs(120), |r| {
            r.resource() == session && DECIDED.contains(&r.event())
        })
        .await;
    api.get(&format!("/identity-verifications/{session}")).await.json()
}

/// `[(Type, CheckStatus, first reason Type)]` of a session body.
fn checks(session: &Value) -> Vec<(String, String, String)> {
    session["Checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["Type"].as_str().unwrap().to_owned(),
                c["CheckStatus"].as_str().unwrap().to_owned(),
                c["Reasons"][0]["Type"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn expect_checks(session: &Value, status: &str, expected: &[(&str, &str, &str)]) {
    let got = checks(session);
    let want: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(
        (session["Status"].as_str().unwrap(), &got),
        (status, &want),
        "{session:#}"
    );
}

const IDV: &str = "IDENTITY_DOCUMENT_VERIFICATION";
const NAME: &str = "IDV_NAME_MATCH_CHECK";
const AGE: &str = "IDV_AGE_CHECK";

async fn natural_outcomes(backend: Backend) {
    let Live {
        app,
        api,
        client: _,
        receiver,
        face,
    } = live_platform(backend, &[("VERITY_PROVIDER_RETRIES", "0")]).await;
    let marie = Person {
        first: "Marie",
        last: "Dubois",
        birth: "1985-03-12",
    };
    let born = Date {
        year: 1985,
        month: 3,
        day: 12,
    };

    // A valid passport: validated, the data taken from the document, the user REGULAR.
    let pages = photos(
        Kind::Passport,
        identity(1, "DUBOIS", "MARIE", born, "FRA"),
        Flaw::None,
        1,
    );
    let s = submit_natural(&app, &api, &marie, ("PASSPORT", "FR"), &pages, 1).await;
    let v = decision(&api, &receiver, &s).await;
    expect_checks(
        &v,
        "VALIDATED",
        &[(IDV, "VALIDATED", ""), (NAME, "VALIDATED", ""), (AGE, "VALIDATED", "")],
    );
    let data: Vec<(&str, &str)> = v["Checks"][0]["Data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["Type"].as_str().unwrap(), d["Value"].as_str().unwrap()))
        .collect();
    let birthday = verity_domain::hosted::parse_date("1985-03-12").unwrap().to_string();
    assert_eq!(
        data,
        [
            ("FIRST_NAME", "MARIE"),
            ("LAST_NAME", "DUBOIS"),
            ("BIRTHDATE", birthday.as_str())
        ]
    );
    let user = api
        .get(&format!("/users/{}", v["UserId"].as_str().unwrap()))
        .await
        .json();
    assert_eq!(user["KYCLevel"], "REGULAR");
    let sent = face.requests.lock().unwrap().last().cloned().unwrap();
    let roles: Vec<&str> = sent["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        (sent["check"].as_str(), roles),
        (Some("face_match"), vec!["selfie", "document_front"])
    );
    // The evidence explains it to an operator, and never reaches the API.
    let (ok, evidence, err) = cli(&app, &["sessions", "evidence", &s]).await;
    assert!(ok, "{err}");
    let evidence: Value = serde_json::from_str(&evidence).unwrap();
    let rules: Vec<&str> = evidence["checks"][0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rule"].as_str().unwrap())
        .collect();
    for rule in [
        "mrz_readable",
        "document_type_accepted",
        "check_digits",
        "field_consistency",
        "not_expired",
        "document_face_present",
        "selfie_face_present",
        "face_match",
        "fraud_signals",
    ] {
        assert!(rules.contains(&rule), "{rule} missing from {rules:?}");
    }
    assert!(
        !v.to_string().contains("check_digits"),
        "evidence leaked into the API: {v}"
    );

    // A valid identity card, both sides.
    let anna = Person {
        first: "Anna-Lena",
        last: "Müller",
        birth: "1990-07-01",
    };
    let pages = photos(
        Kind::IdCard,
        identity(
            2,
            "MÜLLER",
            "ANNA LENA",
            Date {
                year: 1990,
                month: 7,
                day: 1,
            },
            "DEU",
        ),
        Flaw::None,
        2,
    );
    let s = submit_natural(&app, &api, &anna, ("IDENTITY_CARD", "DE"), &pages, 2).await;
    expect_checks(
        &decision(&api, &receiver, &s).await,
        "VALIDATED",
        &[(IDV, "VALIDATED", ""), (NAME, "VALIDATED", ""), (AGE, "VALIDATED", "")],
    );

    let cases: [(&str, Person, Kind, Identity, Flaw, (&str, &str), &[(&str, &str, &str)]); 5] = [
        (
            "expired",
            Person {
                first: "Jean",
                last: "Martin",
                birth: "1970-01-20",
            },
            Kind::Passport,
            identity(
                3,
                "MARTIN",
                "JEAN",
                Date {
                    year: 1970,
                    month: 1,
                    day: 20,
                },
                "FRA",
            ),
            Flaw::Expired,
            ("PASSPORT", "FR"),
            &[(IDV, "REFUSED", "DOCUMENT_HAS_EXPIRED")],
        ),
        (
            "tampered check digit",
            Person {
                first: "Luca",
                last: "Rossi",
                birth: "1988-11-02",
            },
            Kind::Passport,
            identity(
                4,
                "ROSSI",
                "LUCA",
                Date {
                    year: 1988,
                    month: 11,
                    day: 2,
                },
                "ITA",
            ),
            Flaw::TamperedBirthDate,
            ("PASSPORT", "IT"),
            &[(IDV, "REFUSED", "DOCUMENT_FALSIFIED")],
        ),
        (
            "name mismatch",
            Person {
                first: "Sophie",
                last: "Bernard",
                birth: "1992-04-18",
            },
            Kind::Passport,
            identity(
                5,
                "LEFEVRE",
                "SOPHIE",
                Date {
                    year: 1992,
                    month: 4,
                    day: 18,
                },
                "FRA",
            ),
            Flaw::None,
            ("PASSPORT", "FR"),
            &[
                (IDV, "VALIDATED", ""),
                (NAME, "REFUSED", "DOCUMENT_NOT_ACCEPTED"),
                (AGE, "VALIDATED", ""),
            ],
        ),
        (
            "under 18",
            Person {
                first: "Noah",
                last: "Jansen",
                birth: "2010-06-30",
            },
            Kind::Passport,
            identity(
                6,
                "JANSEN",
                "NOAH",
                Date {
                    year: 2010,
                    month: 6,
                    day: 30,
                },
                "NLD",
            ),
            Flaw::None,
            ("PASSPORT", "NL"),
            &[
                (IDV, "VALIDATED", ""),
                (NAME, "VALIDATED", ""),
                (AGE, "REFUSED", "DOCUMENT_NOT_ACCEPTED"),
            ],
        ),
        (
            "unsupported document (a visa)",
            Person {
                first: "Pablo",
                last: "Garcia",
                birth: "1980-09-09",
            },
            Kind::Visa,
            identity(
                7,
                "GARCIA",
                "PABLO",
                Date {
                    year: 1980,
                    month: 9,
                    day: 9,
                },
                "ESP",
            ),
            Flaw::None,
            ("PASSPORT", "ES"),
            &[(IDV, "REFUSED", "DOCUMENT_NOT_ACCEPTED")],
        ),
    ];
    for (n, (name, person, kind, id, flaw, doc, expected)) in cases.into_iter().enumerate() {
        let pages = photos(kind, id, flaw, 10 + n as u64);
        let s = submit_natural(&app, &api, &person, doc, &pages, 10 + n as u64).await;
        let v = decision(&api, &receiver, &s).await;
        eprintln!("case {name}");
        expect_checks(&v, "REFUSED", expected);
    }

    // Unreadable: a photo with no document on it.
    let pages = vec![("front", png(900, 600))];
    let person = Person {
        first: "Eva",
        last: "Novak",
        birth: "1979-02-02",
    };
    let s = submit_natural(&app, &api, &person, ("PASSPORT", "CZ"), &pages, 20).await;
    expect_checks(
        &decision(&api, &receiver, &s).await,
        "REFUSED",
        &[(IDV, "REFUSED", "DOCUMENT_UNREADABLE")],
    );

    // The provider says the faces differ.
    face.set("fail");
    let person = Person {
        first: "Piotr",
        last: "Nowak",
        birth: "1983-05-05",
    };
    let pages = photos(
        Kind::Passport,
        identity(
            21,
            "NOWAK",
            "PIOTR",
            Date {
                year: 1983,
                month: 5,
                day: 5,
            },
            "POL",
        ),
        Flaw::None,
        21,
    );
    let s = submit_natural(&app, &api, &person, ("PASSPORT", "PL"), &pages, 21).await;
    expect_checks(
        &decision(&api, &receiver, &s).await,
        "REFUSED",
        &[(IDV, "REFUSED", "FACE_MATCH_FAIL")],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn natural_documents_are_decided_by_the_engine_sqlite() {
    natural_outcomes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn natural_documents_are_decided_by_the_engine_postgres() {
    if postgres_admin_url().is_none() {
        return;
    }
    natural_outcomes(Backend::Postgres).await;
}

/// Uploads the identity document and selfie, then submits.
async fn finish_flow(
    hosted: &Hosted,
    csrf: &str,
    document: (&str, &str),
    pages: &[(&'static str, Vec<u8>)],
    selfie_seed: u64,
) {
    let choice = [("csrf", csrf), ("kind", document.0), ("country", document.1)];
    assert_eq!(hosted.post("document", &choice).await.0, 303);
    for (slot, bytes) in pages {
        let (status, body) = hosted.upload(slot, slot, bytes.clone(), "photo.jpg").await;
        assert_eq!(status, 303, "{slot}: {body}");
    }
    let (status, body) = hosted
        .upload("selfie", "selfie", verity_corpus::selfie(selfie_seed), "selfie.jpg")
        .await;
    assert_eq!(status, 303, "selfie: {body}");
    let (status, location) = hosted.post("review", &[("csrf", csrf), ("action", "submit")]).await;
    assert_eq!((status, location.as_str()), (303, "https://example.com/back"));
}

pub struct Company<'a> {
    pub kind: &'a str,
    pub country: &'a str,
    pub number: &'a str,
    pub name: &'a str,
}

/// Creates a legal user represented by `rep`, walks the legal flow (company, owners, company
/// documents, representative, identity document, selfie), submits, and returns the session id.
pub async fn submit_legal(
    app: &TestApp,
    api: &Api,
    company: &Company<'_>,
    rep: &Person<'_>,
    owners: &[(&str, &str)],
    document: (&str, &str),
    pages: &[(&'static str, Vec<u8>)],
    selfie_seed: u64,
) -> String {
    let birthday = verity_domain::hosted::parse_date(rep.birth).unwrap();
    let r = api
        .post(
            "/users/legal",
            json!({
                "Name": company.name, "LegalPersonType": company.kind, "Email": "office@example.org", "CompanyNumber": company.number,
                "HeadquartersAddress": {"AddressLine1": "1 High Street", "City": "London", "PostalCode": "EC1A 1AA", "Country": company.country},
                "LegalRepresentativeFirstName": rep.first, "LegalRepresentativeLastName": rep.last,
                "LegalRepresentativeEmail": "rep@example.org", "LegalRepresentativeBirthday": birthday,
                "LegalRepresentativeNationality": "FR", "LegalRepresentativeCountryOfResidence": "FR",
                "TermsAndConditionsAccepted": true, "UserCategory": "OWNER"
            }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let user = r.json()["Id"].as_str().unwrap().to_owned();
    let hosted = Hosted::open(app, api, &user).await;
    let session = api.get(&format!("/users/{user}/identity-verifications")).await.json()[0]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let csrf = hosted.csrf().await;
    assert_eq!(
        hosted
            .post("welcome", &[("csrf", &csrf), ("action", "continue")])
            .await
            .0,
        303
    );
    let business = [
        ("csrf", csrf.as_str()),
        ("country", company.country),
        ("registration_number", company.number),
        ("name", company.name),
        ("address_line1", "1 High Street"),
        ("city", "London"),
        ("postal_code", "EC1A 1AA"),
    ];
    assert_eq!(hosted.post("business", &business).await.0, 303);
    if company.kind == "BUSINESS" {
        for (first, last) in owners {
            let owner = [
                ("csrf", csrf.as_str()),
                ("action", "save"),
                ("owner_id", ""),
                ("first_name", first),
                ("last_name", last),
                ("birth_date", "1985-03-12"),
                ("nationality", "FR"),
                ("share", "100"),
            ];
            assert_eq!(hosted.post("owners", &owner).await.0, 303);
        }
        assert_eq!(
            hosted.post("owners", &[("csrf", &csrf), ("action", "confirm")]).await.0,
            303
        );
    }
    let slots: &[&str] = if company.kind == "SOLETRADER" {
        &["registration_proof"]
    } else {
        &["registration_proof", "articles_of_association"]
    };
    for slot in slots {
        let (status, body) = hosted
            .upload("company-documents", slot, png(600, 800), "registration.png")
            .await;
        assert_eq!(status, 303, "{slot}: {body}");
    }
    let personal = [
        ("csrf", csrf.as_str()),
        ("first_name", rep.first),
        ("last_name", rep.last),
        ("birth_date", rep.birth),
        ("nationality", "FR"),
    ];
    assert_eq!(hosted.post("personal", &personal).await.0, 303);
    finish_flow(&hosted, &csrf, document, pages, selfie_seed).await;
    session
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_face_match_provider_natural_users_need_manual_review() {
    let receiver = Receiver::ok().await;
    let app = TestApp::spawn(Backend::Sqlite, &[("VERITY_WEBHOOK_ALLOW_PRIVATE", "true")]).await;
    let (api, id) = live_client(&app, &receiver).await;
    let user = api.natural_owner().await;
    let refused = api
        .post(
            &format!("/users/{user}/identity-verifications"),
            json!({"ReturnUrl": "https://example.com/back"}),
        )
        .await;
    assert_error(
        &refused,
        400,
        "Live checks are not available for natural users of this platform: no face-match provider is configured and manual review of natural users is off.",
        "invalid_action",
        Value::Null,
    );
    let (ok, _, err) = cli(&app, &["clients", "set-natural-review", &id, "--enabled", "true"]).await;
    assert!(ok, "{err}");
    let alex = Person {
        first: "Alex",
        last: "Smith",
        birth: "1975-12-21",
    };
    let pages = photos(
        Kind::Passport,
        identity(
            40,
            "SMITH",
            "ALEX",
            Date {
                year: 1975,
                month: 12,
                day: 21,
            },
            "GBR",
        ),
        Flaw::None,
        40,
    );
    let s = submit_natural(&app, &api, &alex, ("PASSPORT", "GB"), &pages, 40).await;
    let v = decision(&api, &receiver, &s).await;
    // Nothing pretends the faces were compared: the identity check waits for a reviewer.
    expect_checks(
        &v,
        "REVIEW",
        &[(IDV, "REVIEW", ""), (NAME, "VALIDATED", ""), (AGE, "VALIDATED", "")],
    );
    let (ok, _, err) = cli(&app, &["review", "approve", "--client", &id, &s]).await;
    assert!(ok, "{err}");
    assert_eq!(
        api.get(&format!("/identity-verifications/{s}")).await.json()["Status"],
        "VALIDATED"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fraud_signals_follow_the_client_policy() {
    let Live {
        app,
        api,
        client: id,
        receiver,
        face: _,
    } = live_platform(Backend::Sqlite, &[]).await;
    let marie = Person {
        first: "Marie",
        last: "Dubois",
        birth: "1985-03-12",
    };
    let pages = photos(
        Kind::Passport,
        identity(
            50,
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
        50,
    );
    let first = submit_natural(&app, &api, &marie, ("PASSPORT", "FR"), &pages, 50).await;
    expect_checks(
        &decision(&api, &receiver, &first).await,
        "VALIDATED",
        &[(IDV, "VALIDATED", ""), (NAME, "VALIDATED", ""), (AGE, "VALIDATED", "")],
    );
    // Another user sends the very same passport photo: refused by this client's policy.
    let (ok, _, err) = cli(&app, &["clients", "set-policy", &id, "--fraud", "refuse"]).await;
    assert!(ok, "{err}");
    let second = submit_natural(&app, &api, &marie, ("PASSPORT", "FR"), &pages, 51).await;
    expect_checks(
        &decision(&api, &receiver, &second).await,
        "REFUSED",
        &[(IDV, "REFUSED", "DOCUMENT_FALSIFIED")],
    );
    let (ok, evidence, err) = cli(&app, &["sessions", "evidence", &second]).await;
    assert!(ok, "{err}");
    let evidence: Value = serde_json::from_str(&evidence).unwrap();
    let signals = &evidence["inputs"]["signals"];
    assert_eq!(
        signals["document_number_used_by"].as_array().unwrap().len(),
        1,
        "{signals}"
    );
    assert_eq!(signals["image_seen_in"], json!([first]), "{signals}");
    // With manual review allowed and the policy at review, the next one goes to a reviewer.
    let (ok, _, err) = cli(
        &app,
        &["clients", "set-policy", &id, "--fraud", "review", "--minimum-age", "21"],
    )
    .await;
    assert!(ok, "{err}");
    let (ok, _, err) = cli(&app, &["clients", "set-natural-review", &id, "--enabled", "true"]).await;
    assert!(ok, "{err}");
    let third = submit_natural(&app, &api, &marie, ("PASSPORT", "FR"), &pages, 52).await;
    expect_checks(
        &decision(&api, &receiver, &third).await,
        "REVIEW",
        &[(IDV, "REVIEW", ""), (NAME, "VALIDATED", ""), (AGE, "VALIDATED", "")],
    );
    // The client's minimum age applies: 20 is under 21.
    let young = Person {
        first: "Lea",
        last: "Peeters",
        birth: "2006-01-15",
    };
    let pages = photos(
        Kind::Passport,
        identity(
            53,
            "PEETERS",
            "LEA",
            Date {
                year: 2006,
                month: 1,
                day: 15,
            },
            "BEL",
        ),
        Flaw::None,
        53,
    );
    let s = submit_natural(&app, &api, &young, ("PASSPORT", "BE"), &pages, 53).await;
    expect_checks(
        &decision(&api, &receiver, &s).await,
        "REFUSED",
        &[
            (IDV, "VALIDATED", ""),
            (NAME, "VALIDATED", ""),
            (AGE, "REFUSED", "DOCUMENT_NOT_ACCEPTED"),
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_survive_a_restart_and_wait_out_a_provider_outage() {
    let Live {
        app,
        api,
        client: id,
        receiver,
        face,
    } = live_platform(Backend::Sqlite, &[("VERITY_PROVIDER_RETRIES", "0")]).await;
    face.set("down");
    let marie = Person {
        first: "Marie",
        last: "Dubois",
        birth: "1985-03-12",
    };
    let pages = photos(
        Kind::Passport,
        identity(
            60,
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
        60,
    );
    let s = submit_natural(&app, &api, &marie, ("PASSPORT", "FR"), &pages, 60).await;
    // The provider was asked and failed: the session waits, PENDING, for another run.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while face.requests.lock().unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the provider was never called");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        api.get(&format!("/identity-verifications/{s}")).await.json()["Status"],
        "PENDING"
    );
    // The server stops; the provider comes back; a new server process finishes the job.
    let (db, env, client_id, api_key) = app.stop().await;
    face.set("pass");
    let app = TestApp::start(db, env, client_id, api_key).await;
    let api = Api {
        http: app.http.clone(),
        token: api.token.clone(),
        prefix: app.url(&format!("/v2.01/{id}")),
    };
    let v = decision(&api, &receiver, &s).await;
    expect_checks(
        &v,
        "VALIDATED",
        &[(IDV, "VALIDATED", ""), (NAME, "VALIDATED", ""), (AGE, "VALIDATED", "")],
    );
    let (ok, evidence, err) = cli(&app, &["sessions", "evidence", &s]).await;
    assert!(ok, "{err}");
    assert!(evidence.contains("\"face_match\""), "{evidence}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_document_prints_what_the_engine_reads() {
    let dir = tempfile::tempdir().unwrap();
    let painter = Painter::new();
    let specimen = Specimen::generate(&painter, 70, Kind::IdCard, TODAY, Flaw::TamperedBirthDate, None);
    let (jpeg, _) = specimen.photograph(Level::Light, 70);
    let card = dir.path().join("card.jpg");
    std::fs::write(&card, jpeg).unwrap();
    let junk = dir.path().join("junk.jpg");
    std::fs::write(&junk, b"not an image").unwrap();
    let out = verity()
        .args(["inspect-document", card.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["mrz"]["lines"], json!(specimen.mrz));
    assert_eq!(v["mrz"]["format"], "Td1");
    let failed: Vec<&str> = v["mrz"]["check_digits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["birth_date", "composite"], "{v:#}");
    assert!(v["timings_ms"]["total"].as_f64().unwrap() > 0.0);
    let out = verity()
        .args(["inspect-document", junk.to_str().unwrap(), card.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines[0]["error"].as_str().unwrap().contains("not an image"),
        "{lines:?}"
    );
    assert!(lines[1]["mrz"].is_object());
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 of 2 files could not be read"));
}

/// `submit_natural` for other test modules.
pub async fn submit_natural_pub(
    app: &TestApp,
    api: &Api,
    person: &Person<'_>,
    document: (&str, &str),
    pages: &[(&'static str, Vec<u8>)],
    selfie_seed: u64,
) -> String {
    submit_natural(app, api, person, document, pages, selfie_seed).await
}
