//! Natural users' documents decided by the engine: valid, expired, tampered, mismatched, unreadable.

use serde_json::Value;
use verity_corpus::{Date, Flaw, Identity, Kind};

use super::*;
use crate::helpers::*;
use crate::hosted::png;

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

    // Name, person, document (kind, identity, flaw, declared type and country), expected checks.
    type Case<'a> = (
        &'a str,
        Person<'a>,
        Kind,
        Identity,
        Flaw,
        (&'a str, &'a str),
        &'a [(&'a str, &'a str, &'a str)],
    );
    let cases: [Case<'_>; 5] = [
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
