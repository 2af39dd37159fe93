//! The 2026 PSC flow end to end, on SQLite and PostgreSQL: a production client with the flow
//! activated, a company declared with its legal representative and owners through the hosted
//! pages, the main session decided by the engine against an imported registry, then each Person
//! of Significant Control verified in a session of their own (document, built-in face match),
//! the user REGULAR only after the last one; a PSC refused then retried with corrected details;
//! PSC sessions expiring by both timers; an operator's abandon; a refused main session opening
//! no PSC session. Every webhook is received by a real receiver.

use std::time::Duration;

use serde_json::{Value, json};
use verity_corpus::{Date, Flaw, Kind};

use super::*;
use crate::helpers::*;
use crate::hosted::{Hosted, png};
use crate::receiver::Receiver;

pub const PENDING_PSC_ACTION: &str = "IDENTITY_VERIFICATION_PENDING_PSC_ACTION";
pub const PSC_PENDING: &str = "IDENTITY_VERIFICATION_PSC_PENDING";
pub const PSC_VALIDATED: &str = "IDENTITY_VERIFICATION_PSC_VALIDATED";
/// The platform's hook for rejected PSCs is registered under Mangopay's other spelling, so the
/// rejections arrive under that name (`IDENTITY_VERIFICATION_PSC_REJECTED` otherwise).
pub const PSC_REJECTED: &str = "IDENTITY_VERIFICATION_PSC_FAILED";
pub const PSC_ABANDONED: &str = "IDENTITY_VERIFICATION_PSC_ABANDONED";
pub const EXPIRED: &str = "IDENTITY_VERIFICATION_EXPIRED";
pub const REGULAR: &str = "USER_KYC_REGULAR";

/// The company in the operator's imported registry, with its director and owners.
const REGISTRY: &str = "country,number,name,status,officers,owners\n\
FR,732829320,ACME SAS,active,Alex Smith,Alex Smith;Marie Dubois;Paul Durand\n";

pub struct Declared<'a> {
    first: &'a str,
    last: &'a str,
    birth: &'a str,
    share: &'a str,
    email: &'a str,
}

pub const MARIE: Declared<'static> = Declared {
    first: "Marie",
    last: "Dubois",
    birth: "1980-01-02",
    share: "25",
    email: "marie@example.org",
};

pub const PAUL: Declared<'static> = Declared {
    first: "Paul",
    last: "Durand",
    birth: "1969-07-14",
    share: "25",
    email: "paul@example.org",
};

/// A production client with the PSC flow, hooks on every decision and PSC event, and the registry.
pub async fn psc_platform(backend: Backend, env: &[(&str, &str)]) -> (TestApp, Api, Receiver, String) {
    let receiver = Receiver::ok().await;
    let mut all = vec![("VERITY_WEBHOOK_ALLOW_PRIVATE", "true")];
    all.extend_from_slice(env);
    let app = TestApp::spawn(backend, &all).await;
    let (api, client) = live_client(&app, &receiver).await;
    for event in [
        PENDING_PSC_ACTION,
        PSC_PENDING,
        PSC_VALIDATED,
        PSC_REJECTED,
        PSC_ABANDONED,
        EXPIRED,
        REGULAR,
    ] {
        let r = api
            .post("/hooks", json!({"EventType": event, "Url": receiver.url}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let (ok, out, err) = cli(&app, &["clients", "set-policy", &client, "--psc-flow", "on"]).await;
    assert!(ok && out.contains("PSC flow on"), "{out}{err}");
    let file = app.db.data_dir.path().join("registry.csv");
    std::fs::write(&file, REGISTRY).unwrap();
    let (ok, out, err) = cli(&app, &["registry", "import", file.to_str().unwrap()]).await;
    assert!(ok, "{out}{err}");
    (app, api, receiver, client)
}

/// Creates the company (represented by Alex Smith, who owns 50%), declares `owners` through the
/// hosted pages, submits, and returns the user and main session ids.
pub async fn declare_company(app: &TestApp, api: &Api, owners: &[&Declared<'_>]) -> (String, String) {
    declare_company_in(app, api, owners, None).await
}

/// [`declare_company`], the session created with a `SessionLanguage`.
pub async fn declare_company_in(
    app: &TestApp,
    api: &Api,
    owners: &[&Declared<'_>],
    language: Option<&str>,
) -> (String, String) {
    let r = api
        .post(
            "/users/legal",
            json!({
                "Name": "ACME SAS", "LegalPersonType": "BUSINESS", "Email": "office@example.org", "CompanyNumber": "732829320",
                "HeadquartersAddress": {"AddressLine1": "1 rue de la Paix", "City": "Paris", "PostalCode": "75002", "Country": "FR"},
                "LegalRepresentativeFirstName": "Alex", "LegalRepresentativeLastName": "Smith",
                "LegalRepresentativeEmail": "alex@example.org", "LegalRepresentativeBirthday": 188_352_000,
                "LegalRepresentativeNationality": "GB", "LegalRepresentativeCountryOfResidence": "FR",
                "TermsAndConditionsAccepted": true, "UserCategory": "OWNER"
            }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let user = r.json()["Id"].as_str().unwrap().to_owned();
    let mut body = json!({"ReturnUrl": "https://example.com/back"});
    if let Some(language) = language {
        body["SessionLanguage"] = json!(language);
    }
    let r = api.post(&format!("/users/{user}/identity-verifications"), body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let created = r.json();
    let session = created["Id"].as_str().unwrap().to_owned();
    let hosted = Hosted::from_link(app, created["HostedUrl"].as_str().unwrap());
    let csrf = hosted.csrf().await;
    let ok = |r: (u16, String)| assert_eq!(r.0, 303, "{}", r.1);
    ok(hosted.post("welcome", &[("csrf", &csrf), ("action", "continue")]).await);
    ok(hosted
        .post(
            "business",
            &[
                ("csrf", &csrf),
                ("country", "FR"),
                ("registration_number", "732 829 320"),
                ("name", "ACME SAS"),
                ("address_line1", "1 rue de la Paix"),
                ("city", "Paris"),
                ("postal_code", "75002"),
            ],
        )
        .await);
    let alex = Declared {
        first: "Alex",
        last: "Smith",
        birth: "1975-12-21",
        share: "50",
        email: "",
    };
    for o in std::iter::once(&alex).chain(owners.iter().copied()) {
        let owner = [
            ("csrf", csrf.as_str()),
            ("action", "save"),
            ("owner_id", ""),
            ("first_name", o.first),
            ("last_name", o.last),
            ("birth_date", o.birth),
            ("nationality", "FR"),
            ("residence", "FR"),
            ("control", "OWNERSHIP"),
            ("share", o.share),
            (
                "email",
                if o.email.is_empty() {
                    "alex@example.org"
                } else {
                    o.email
                },
            ),
        ];
        ok(hosted.post("owners", &owner).await);
    }
    ok(hosted.post("owners", &[("csrf", &csrf), ("action", "confirm")]).await);
    for slot in ["registration_proof", "articles_of_association"] {
        ok(hosted
            .upload("company-documents", slot, png(600, 800), "registration.png")
            .await);
    }
    // The legal representative's own e-mail is asked for: without it the step is refused.
    let mut personal = vec![
        ("csrf", csrf.as_str()),
        ("first_name", "Alex"),
        ("last_name", "Smith"),
        ("birth_date", "1975-12-21"),
        ("nationality", "GB"),
        ("email", ""),
    ];
    let (status, page) = hosted.post("personal", &personal).await;
    assert_eq!(status, 400, "an empty e-mail is refused: {page}");
    assert!(page.contains("email-error"), "{page}");
    personal[5].1 = "alex@example.org";
    ok(hosted.post("personal", &personal).await);
    // No identity document or selfie in the main session: the review step comes next.
    let (status, location) = hosted.post("review", &[("csrf", &csrf), ("action", "submit")]).await;
    assert_eq!((status, location.as_str()), (303, "https://example.com/back"));
    (user, session)
}

/// Walks a PSC's own session as a natural user's: confirms the details, photographs `pages`,
/// takes a selfie, submits.
pub async fn verify_psc(
    app: &TestApp,
    link: &str,
    person: &Person<'_>,
    document: (&str, &str),
    pages: &[(&'static str, Vec<u8>)],
    selfie: u64,
) {
    let hosted = Hosted::from_link(app, link);
    let csrf = hosted.csrf().await;
    let ok = |r: (u16, String)| assert_eq!(r.0, 303, "{}", r.1);
    ok(hosted.post("welcome", &[("csrf", &csrf), ("action", "continue")]).await);
    ok(hosted
        .post(
            "personal",
            &[
                ("csrf", &csrf),
                ("first_name", person.first),
                ("last_name", person.last),
                ("birth_date", person.birth),
                ("nationality", "FR"),
            ],
        )
        .await);
    ok(hosted
        .post(
            "document",
            &[("csrf", &csrf), ("kind", document.0), ("country", document.1)],
        )
        .await);
    for (slot, bytes) in pages {
        ok(hosted.upload(slot, slot, bytes.clone(), "photo.jpg").await);
    }
    ok(hosted
        .upload("selfie", "selfie", verity_corpus::selfie(selfie), "selfie.jpg")
        .await);
    let (status, location) = hosted.post("review", &[("csrf", &csrf), ("action", "submit")]).await;
    assert_eq!((status, location.as_str()), (303, "https://example.com/back"));
}

pub fn marie_passport() -> Vec<(&'static str, Vec<u8>)> {
    photos(
        Kind::Passport,
        identity(
            41,
            "DUBOIS",
            "MARIE",
            Date {
                year: 1980,
                month: 1,
                day: 2,
            },
            "FRA",
        ),
        Flaw::None,
        41,
    )
}

/// Webhooks of `event` about `resource` received so far.
pub fn received(receiver: &Receiver, event: &str, resource: &str) -> usize {
    receiver
        .all()
        .iter()
        .filter(|r| r.event() == event && r.resource() == resource)
        .count()
}

pub async fn kyc_level(api: &Api, user: &str) -> String {
    api.get(&format!("/users/{user}")).await.json()["KYCLevel"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub fn pscs(session: &Value) -> Vec<Value> {
    session["PSCs"].as_array().unwrap().clone()
}

async fn two_pscs_validated_after_a_retry(backend: Backend) {
    let (app, api, receiver, _) = psc_platform(backend, &[]).await;
    let (user, main) = declare_company(&app, &api, &[&MARIE]).await;

    // The main session: the company and the declaration, decided by the engine.
    let v = decision(&api, &receiver, &main).await;
    expect_checks(
        &v,
        "VALIDATED",
        &[
            ("BUSINESS_VERIFICATION", "VALIDATED", ""),
            ("PSC_ROLE_CHECK", "VALIDATED", ""),
            ("PSC_CONSISTENCY_CHECK", "VALIDATED", ""),
        ],
    );
    receiver.expect(PENDING_PSC_ACTION, &main).await;
    receiver
        .wait_for(2, Duration::from_secs(20), |r| {
            r.event() == PSC_PENDING && r.resource() == main
        })
        .await;
    assert_eq!(kyc_level(&api, &user).await, "LIGHT", "REGULAR waits for the PSCs");
    let declared = pscs(&v);
    assert_eq!(declared.len(), 2, "{v:#}");
    let (alex, marie) = (&declared[0], &declared[1]);
    assert_eq!(
        (
            alex["PscType"].as_str(),
            alex["FirstName"].as_str(),
            alex["Email"].as_str(),
            alex["Status"].as_str()
        ),
        (
            Some("LEGAL_REPRESENTATIVE"),
            Some("Alex"),
            Some("alex@example.org"),
            Some("PENDING_VALIDATION")
        )
    );
    // Declared once though also an owner, with the share.
    assert_eq!(alex["Data"], json!([{"Type": "OWNERSHIP_PERCENTAGE", "Value": "50"}]));
    assert_eq!(
        (
            marie["PscType"].as_str(),
            marie["LastName"].as_str(),
            marie["DateOfBirth"].as_i64()
        ),
        (Some("UBO"), Some("Dubois"), Some(315_619_200))
    );
    assert_eq!(alex["MainSessionId"].as_str(), Some(main.as_str()));
    let alex_link = alex["HostedUrl"].as_str().unwrap().to_owned();
    let marie_link = marie["HostedUrl"].as_str().unwrap().to_owned();
    assert_ne!(alex_link, marie_link);
    // The person's own pages say who declared them.
    let welcome = app.http.get(&alex_link).send().await.unwrap().text().await.unwrap();
    assert!(
        welcome.contains("is verifying ACME SAS, which declared you"),
        "{welcome}"
    );
    // A PSC's own session is not one of the user's sessions.
    let listed = api.get(&format!("/users/{user}/identity-verifications")).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");

    // No verified identity before the user is REGULAR: never partial, never declared data.
    let early = api.get(&format!("/users/{user}/verified-identity")).await;
    assert_eq!(early.status, 400, "{}", early.text);
    assert_eq!(early.json()["Type"], "invalid_action");

    // Alex proves who he is: validated, and the user is still not REGULAR.
    verify_psc(&app, &alex_link, &ALEX, ("PASSPORT", "GB"), &alex_passport(), 3).await;
    receiver.expect(PSC_VALIDATED, &main).await;
    assert_eq!(kyc_level(&api, &user).await, "LIGHT");

    // Marie's session is done with someone else's passport: her PSC is rejected.
    let marie_person = Person {
        first: "Marie",
        last: "Dubois",
        birth: "1980-01-02",
    };
    verify_psc(
        &app,
        &marie_link,
        &marie_person,
        ("PASSPORT", "GB"),
        &alex_passport(),
        4,
    )
    .await;
    receiver.expect(PSC_REJECTED, &main).await;
    let v = api.get(&format!("/identity-verifications/{main}")).await.json();
    assert_eq!(pscs(&v)[1]["Status"], "REJECTED", "{v:#}");
    assert_eq!(pscs(&v)[0]["Status"], "VALIDATED");

    // The platform retries with a corrected e-mail: a new link, pending again.
    let marie_id = pscs(&v)[1]["Id"].as_str().unwrap().to_owned();
    let retry = format!("/identity-verifications/{main}/pscs/{marie_id}/retry");
    let bad = api.put(&retry, json!({"Email": "not an address"})).await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert!(bad.json()["errors"]["Email"].is_string(), "{}", bad.text);
    let unknown = api
        .put(
            &format!("/identity-verifications/{main}/pscs/psc_x_NOPE/retry"),
            json!({}),
        )
        .await;
    assert_eq!(unknown.status, 404, "{}", unknown.text);
    let r = api.put(&retry, json!({"Email": "marie.dubois@example.org"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let retried = r.json();
    assert_eq!(retried["Status"], "PENDING_VALIDATION");
    assert_eq!(retried["Email"], "marie.dubois@example.org");
    let new_link = retried["HostedUrl"].as_str().unwrap().to_owned();
    assert_ne!(new_link, marie_link, "a rejected PSC gets a new link");
    receiver
        .wait_for(3, Duration::from_secs(20), |r| {
            r.event() == PSC_PENDING && r.resource() == main
        })
        .await;
    // Retrying while pending keeps the link.
    let again = api.put(&retry, json!({})).await.json();
    assert_eq!(again["HostedUrl"].as_str(), Some(new_link.as_str()));

    // Marie with her own passport: validated, and the user becomes REGULAR with her.
    verify_psc(&app, &new_link, &marie_person, ("PASSPORT", "FR"), &marie_passport(), 4).await;
    receiver.expect(REGULAR, &user).await;
    // Committed together, delivered in either order.
    receiver
        .wait_for(2, Duration::from_secs(20), |r| {
            r.event() == PSC_VALIDATED && r.resource() == main
        })
        .await;
    assert_eq!(kyc_level(&api, &user).await, "REGULAR");
    let v = api.get(&format!("/identity-verifications/{main}")).await.json();
    let marie = &pscs(&v)[1];
    assert_eq!(marie["Status"], "VALIDATED");
    assert!(marie["ValidationDate"].as_i64().is_some());
    assert!(
        marie["Data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["Type"] == "LAST_NAME" && d["Value"] == "DUBOIS"),
        "{marie:#}"
    );

    verified_identity(&app, &api, &user, &main).await;

    // Every PSC of the user, a page at a time.
    let r = api.get(&format!("/users/{user}/pscs?per_page=1&page=2")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("X-Number-Of-Items"), Some("2"));
    assert_eq!(r.json()[0]["Id"].as_str(), Some(marie_id.as_str()));
    let missing = api.get("/users/user_m_NOPE/pscs").await;
    assert_eq!(missing.status, 404, "{}", missing.text);

    // An incoherent declaration (shares above 100%) is refused and opens no PSC session.
    let too_many = Declared { share: "60", ..MARIE };
    let (_, refused) = declare_company(&app, &api, &[&too_many]).await;
    let v = decision(&api, &receiver, &refused).await;
    assert_eq!(v["Status"], "REFUSED", "{v:#}");
    let consistency = v["Checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["Type"] == "PSC_CONSISTENCY_CHECK")
        .unwrap();
    assert_eq!(consistency["CheckStatus"], "REFUSED");
    assert_eq!(consistency["Reasons"][0]["Type"], "DOCUMENT_NOT_ACCEPTED");
    assert!(pscs(&v).is_empty());
    assert_eq!(received(&receiver, PSC_PENDING, &refused), 0);
    assert_eq!(received(&receiver, PENDING_PSC_ACTION, &refused), 0);
}

/// The verified identity of the REGULAR business: the company and both PSCs as their documents
/// say, with signed links that serve the documents, stop working when tampered with or expired,
/// and leave an audit entry per use.
async fn verified_identity(app: &TestApp, api: &Api, user: &str, main: &str) {
    let r = api.get(&format!("/users/{user}/verified-identity")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let v = r.json();
    assert_eq!(
        (
            v["UserType"].as_str(),
            v["IdentityVerificationId"].as_str(),
            v["CompanyName"].as_str()
        ),
        (Some("LEGAL_BUSINESS"), Some(main), Some("ACME SAS")),
        "{v:#}"
    );
    let kinds: Vec<&str> = v["Documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["Type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["REGISTRATION_PROOF", "ARTICLES_OF_ASSOCIATION"], "{v:#}");
    let people = v["Pscs"].as_array().unwrap();
    assert_eq!(people.len(), 2, "{v:#}");
    let marie = people.iter().find(|p| p["PscType"] == "UBO").unwrap();
    assert_eq!(
        (
            marie["FirstName"].as_str(),
            marie["LastName"].as_str(),
            marie["Birthdate"].as_i64()
        ),
        (Some("MARIE"), Some("DUBOIS"), Some(315_619_200)),
        "names and birth date as read from her passport: {marie:#}"
    );
    assert_eq!(marie["OwnershipPercentage"], 25);
    let passport = &marie["Documents"][0];
    assert_eq!(passport["Type"], "PASSPORT");
    assert_eq!(passport["IssuingCountry"], "FR");
    assert_eq!(
        passport["NumberLastDigits"].as_str().map(str::len),
        Some(4),
        "{passport:#}"
    );
    let front = passport["DocumentUrls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["Side"] == "FRONT")
        .unwrap()["Url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(front.starts_with(&app.base), "{front}");

    // The link serves the document, without a bearer token.
    let got = app.http.get(&front).send().await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["cache-control"], "no-store");
    let bytes = got.bytes().await.unwrap();
    assert!(image::load_from_memory(&bytes).is_ok(), "the decrypted image");
    // Tampered with, or past its expiry: refused.
    let tampered = front.replace("signature=", "signature=0");
    assert_eq!(app.http.get(&tampered).send().await.unwrap().status(), 403);
    let (base, query) = front.split_once('?').unwrap();
    let signature = query.split("signature=").nth(1).unwrap();
    let stale = format!("{base}?expires=1000&signature={signature}");
    assert_eq!(app.http.get(&stale).send().await.unwrap().status(), 403);
    let other_client = front.replacen(
        &format!("/v2.01/{}/", api.prefix.rsplit('/').next().unwrap()),
        "/v2.01/someone-else/",
        1,
    );
    assert_eq!(app.http.get(&other_client).send().await.unwrap().status(), 403);
    // Each use is audited.
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.db.url)
        .await
        .unwrap();
    let uses: Vec<String> =
        sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'verified_document_opened'")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(uses.len(), 1, "{uses:?}");
    assert!(uses[0].starts_with("front of idnver_"), "{uses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psc_flow_on_sqlite() {
    two_pscs_validated_after_a_retry(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psc_flow_on_postgres() {
    two_pscs_validated_after_a_retry(Backend::Postgres).await;
}
