//! The hosted flows a natural or legal user walks, from creation to submission.

use serde_json::json;

use crate::helpers::*;
use crate::hosted::{Hosted, png};

pub struct Person<'a> {
    pub first: &'a str,
    pub last: &'a str,
    pub birth: &'a str,
}

/// Creates a natural user, walks the hosted flow with `pages` and a selfie, submits, and
/// returns the session id.
pub(super) async fn submit_natural(
    app: &TestApp,
    api: &Api,
    person: &Person<'_>,
    document: (&str, &str),
    pages: &[(&'static str, Vec<u8>)],
    selfie_seed: u64,
) -> String {
    submit_natural_with_selfie(app, api, person, document, pages, verity_corpus::selfie(selfie_seed)).await
}

/// [`submit_natural`] with a given selfie (JPEG bytes).
pub async fn submit_natural_with_selfie(
    app: &TestApp,
    api: &Api,
    person: &Person<'_>,
    document: (&str, &str),
    pages: &[(&'static str, Vec<u8>)],
    selfie: Vec<u8>,
) -> String {
    let flow = natural_flow_to_selfie(app, api, person, document, pages).await;
    let (status, body) = flow.hosted.upload("selfie", "selfie", selfie, "selfie.jpg").await;
    assert_eq!(status, 303, "selfie: {body}");
    flow.submit().await;
    flow.session
}

/// A natural user's hosted flow, walked up to the selfie step.
pub(super) struct NaturalFlow {
    pub hosted: Hosted,
    pub csrf: String,
    pub session: String,
}

impl NaturalFlow {
    /// Submits from the review step.
    pub async fn submit(&self) {
        let (status, location) = self
            .hosted
            .post("review", &[("csrf", &self.csrf), ("action", "submit")])
            .await;
        assert_eq!((status, location.as_str()), (303, "https://example.com/back"));
    }
}

/// Creates a natural user and walks the hosted flow with `pages`, up to the selfie.
pub(super) async fn natural_flow_to_selfie(
    app: &TestApp,
    api: &Api,
    person: &Person<'_>,
    document: (&str, &str),
    pages: &[(&'static str, Vec<u8>)],
) -> NaturalFlow {
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
    NaturalFlow { hosted, csrf, session }
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
// A test scenario's independent inputs (company, representative, owners, document, selfie).
#[allow(clippy::too_many_arguments)]
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
        // The articles as a PDF, the registration proof as a photo: both kinds reviewers see.
        let (bytes, name) = if *slot == "articles_of_association" {
            (crate::hosted::pdf("Articles of association"), "articles.pdf")
        } else {
            (png(600, 800), "registration.png")
        };
        let (status, body) = hosted.upload("company-documents", slot, bytes, name).await;
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
