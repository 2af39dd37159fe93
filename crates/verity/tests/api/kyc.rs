//! KYC Documents end to end on SQLite and PostgreSQL: create with the type rules and their error
//! bodies, pages (hostile uploads: base64, type, size), submit, every sandbox Tag value decided
//! after submission, lists with filters and pagination, consult links that serve the page, and a
//! downgrade making validated documents OUT_OF_DATE; every webhook through a real receiver.

use base64::Engine as _;
use image::ImageEncoder as _;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::hosted::png;
use crate::receiver::Receiver;

const EVENTS: [&str; 6] = [
    "KYC_CREATED",
    "KYC_VALIDATION_ASKED",
    "KYC_SUCCEEDED",
    "KYC_FAILED",
    "KYC_OUTDATED",
    "IDENTITY_VERIFICATION_VALIDATED",
];

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn create(api: &Api, user: &str, kind: &str, tag: Option<&str>) -> Value {
    let mut body = json!({"Type": kind});
    if let Some(tag) = tag {
        body["Tag"] = json!(tag);
    }
    let r = api.post(&format!("/users/{user}/kyc/documents"), body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

async fn add_page(api: &Api, user: &str, doc: &str, bytes: &[u8]) -> Reply {
    api.post(
        &format!("/users/{user}/kyc/documents/{doc}/pages"),
        json!({"File": b64(bytes)}),
    )
    .await
}

async fn submit(api: &Api, user: &str, doc: &str) -> Reply {
    api.put(
        &format!("/users/{user}/kyc/documents/{doc}"),
        json!({"Status": "VALIDATION_ASKED"}),
    )
    .await
}

crate::both_backends!(
    kyc_documents_follow_mangopay,
    env = [("VERITY_SANDBOX_DELAY", "0s")],
    |app| {
        let receiver = Receiver::ok().await;
        let api = app.client().await;
        for event in EVENTS {
            let r = api
                .post("/hooks", json!({"EventType": event, "Url": receiver.url}))
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
        let natural = api.natural_owner().await;
        let r = api.post("/users/legal", legal_owner_body("SOLETRADER")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let sole_trader = r.json()["Id"].as_str().unwrap().to_owned();

        // Create: the object as Mangopay shows it, and its event.
        let doc = create(&api, &natural, "IDENTITY_PROOF", Some("accept")).await;
        let id = doc["Id"].as_str().unwrap().to_owned();
        assert_eq!(
            (
                doc["Type"].as_str(),
                doc["Status"].as_str(),
                doc["UserId"].as_str(),
                doc["Tag"].as_str()
            ),
            (
                Some("IDENTITY_PROOF"),
                Some("CREATED"),
                Some(natural.as_str()),
                Some("accept")
            )
        );
        assert_eq!(doc["Flags"], json!([]));
        assert!(doc["ProcessedDate"].is_null() && doc["RefusedReasonType"].is_null());
        receiver.expect("KYC_CREATED", &id).await;

        // The type rules, each with its param_error.
        for (user, kind) in [
            (&natural, "REGISTRATION_PROOF"),
            (&sole_trader, "ADDRESS_PROOF"),
            (&sole_trader, "ARTICLES_OF_ASSOCIATION"),
        ] {
            let r = api
                .post(&format!("/users/{user}/kyc/documents"), json!({"Type": kind}))
                .await;
            assert_eq!(r.status, 400, "{kind}: {}", r.text);
            assert_eq!(r.json()["Type"], "param_error");
            assert!(r.json()["errors"]["Type"].is_string(), "{}", r.text);
        }
        let missing = api.post(&format!("/users/{natural}/kyc/documents"), json!({})).await;
        assert_eq!(missing.json()["errors"]["Type"], "The Type field is required.");
        assert_eq!(
            api.post("/users/user_m_NOPE/kyc/documents", json!({"Type": "IDENTITY_PROOF"}))
                .await
                .status,
            404
        );
        let registration = create(&api, &sole_trader, "REGISTRATION_PROOF", None).await;

        // Pages are hostile uploads.
        let empty = api
            .post(
                &format!("/users/{natural}/kyc/documents/{id}/pages"),
                json!({"File": ""}),
            )
            .await;
        assert_eq!(
            (empty.status, empty.json()["Type"].as_str()),
            (400, Some("param_error")),
            "{}",
            empty.text
        );
        let garbled = api
            .post(
                &format!("/users/{natural}/kyc/documents/{id}/pages"),
                json!({"File": "not base64 at all!"}),
            )
            .await;
        assert_eq!(garbled.status, 400, "{}", garbled.text);
        let gif = add_page(&api, &natural, &id, b"GIF89a\x01\x00\x01\x00\x00\x00\x00;").await;
        assert_eq!(gif.status, 415, "{}", gif.text);
        let blank = {
            let img = image::RgbImage::from_pixel(400, 300, image::Rgb([200, 200, 200]));
            let mut out = Vec::new();
            image::codecs::png::PngEncoder::new(&mut out)
                .write_image(img.as_raw(), 400, 300, image::ExtendedColorType::Rgb8)
                .unwrap();
            out
        };
        assert_eq!(add_page(&api, &natural, &id, &blank).await.status, 400);
        // Submitting without a page is refused.
        let early = submit(&api, &natural, &id).await;
        assert_eq!(
            (early.status, early.json()["Type"].as_str()),
            (400, Some("invalid_action")),
            "{}",
            early.text
        );
        let page = add_page(&api, &natural, &id, &png(640, 480)).await;
        assert_eq!(page.status, 204, "{}", page.text);
        // Only VALIDATION_ASKED can be asked.
        let wrong = api
            .put(
                &format!("/users/{natural}/kyc/documents/{id}"),
                json!({"Status": "VALIDATED"}),
            )
            .await;
        assert_eq!(wrong.status, 400);
        assert!(wrong.json()["errors"]["Status"].is_string(), "{}", wrong.text);

        // Submitted, then decided by its sandbox Tag.
        let asked = submit(&api, &natural, &id).await;
        assert_eq!(asked.status, 200, "{}", asked.text);
        assert_eq!(asked.json()["Status"], "VALIDATION_ASKED");
        receiver.expect("KYC_VALIDATION_ASKED", &id).await;
        receiver.expect("KYC_SUCCEEDED", &id).await;
        let done = api.get(&format!("/kyc/documents/{id}")).await.json();
        assert_eq!(done["Status"], "VALIDATED");
        assert!(done["ProcessedDate"].as_i64().is_some());
        assert_eq!(
            api.get(&format!("/users/{natural}/kyc/documents/{id}")).await.json()["Id"],
            done["Id"]
        );
        assert_eq!(
            api.get(&format!("/users/{sole_trader}/kyc/documents/{id}"))
                .await
                .status,
            404
        );
        let late = add_page(&api, &natural, &id, &png(640, 480)).await;
        assert_eq!(
            (late.status, late.json()["Type"].as_str()),
            (400, Some("invalid_action")),
            "{}",
            late.text
        );

        // Every documented refusal Tag, with its RefusedReasonType.
        let tags = [
            ("refuse_unreadable", "UNREADABLE"),
            ("refuse_not_accepted", "DOCUMENT_NOT_ACCEPTED"),
            ("refuse_expired", "DOCUMENT_HAS_EXPIRED"),
            ("refuse_incomplete", "DOCUMENT_INCOMPLETE"),
            ("refuse_missing", "DOCUMENT_MISSING"),
            ("refuse_no_user_data_match", "DOCUMENT_DO_NOT_MATCH_USER_DATA"),
            ("refuse_falsified", "DOCUMENT_FALSIFIED"),
            ("refuse_underage", "UNDERAGE_PERSON"),
            ("refuse_specific_case", "SPECIFIC_CASE"),
        ];
        let mut refused = Vec::new();
        for (tag, _) in tags {
            let d = create(&api, &natural, "ADDRESS_PROOF", Some(tag)).await;
            let d = d["Id"].as_str().unwrap().to_owned();
            assert_eq!(add_page(&api, &natural, &d, &png(500, 700)).await.status, 204);
            assert_eq!(submit(&api, &natural, &d).await.status, 200);
            refused.push(d);
        }
        for (d, (tag, reason)) in refused.iter().zip(tags) {
            receiver.expect("KYC_FAILED", d).await;
            let v = api.get(&format!("/kyc/documents/{d}")).await.json();
            assert_eq!(
                (v["Status"].as_str(), v["RefusedReasonType"].as_str()),
                (Some("REFUSED"), Some(reason)),
                "{tag}: {v:#}"
            );
        }
        // A document refused as falsified blocks the user's flows (View a User Regulatory Status).
        let regulatory = api.get(&format!("/users/{natural}/Regulatory")).await;
        assert_eq!(regulatory.status, 200, "{}", regulatory.text);
        assert_eq!(
            regulatory.json(),
            json!({"Id": natural, "ActionCode": null, "ScopeBlocked": {"Inflows": true, "Outflows": true}})
        );
        let clear = api.get(&format!("/users/{sole_trader}/Regulatory")).await.json();
        assert_eq!(clear["ScopeBlocked"], json!({"Inflows": false, "Outflows": false}));
        assert_eq!(api.get("/users/user_m_NOPE/Regulatory").await.status, 404);

        // Five pages at most; a document without a magic Tag waits for a reviewer.
        let many = create(&api, &sole_trader, "SHAREHOLDER_DECLARATION", None).await;
        let many = many["Id"].as_str().unwrap().to_owned();
        for _ in 0..5 {
            assert_eq!(add_page(&api, &sole_trader, &many, &png(300, 400)).await.status, 204);
        }
        let sixth = add_page(&api, &sole_trader, &many, &png(300, 400)).await;
        assert_eq!(sixth.status, 400, "{}", sixth.text);
        assert_eq!(
            submit(&api, &sole_trader, &many).await.json()["Status"],
            "VALIDATION_ASKED"
        );

        // Lists: per user and for the client, filtered and paginated.
        let r = api
            .get(&format!("/users/{natural}/kyc/documents?per_page=4&page=1"))
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("X-Number-Of-Items"), Some("10"));
        assert_eq!(r.json().as_array().unwrap().len(), 4);
        let refusals = api.get("/kyc/documents?Status=REFUSED&per_page=100").await.json();
        assert_eq!(refusals.as_array().unwrap().len(), 9);
        let by_type = api.get("/kyc/documents?Type=REGISTRATION_PROOF").await.json();
        assert_eq!(by_type[0]["Id"], registration["Id"]);
        let bad = api.get("/kyc/documents?Status=MAYBE").await;
        assert_eq!(bad.status, 400);
        assert_eq!(api.get("/users/user_m_NOPE/kyc/documents").await.status, 404);

        // Consult: a signed link per page, serving it.
        let consult = api.post(&format!("/kyc/documents/{many}/consult"), json!({})).await;
        assert_eq!(consult.status, 200, "{}", consult.text);
        let links = consult.json();
        assert_eq!(links.as_array().unwrap().len(), 5);
        let url = links[0]["Url"].as_str().unwrap();
        assert!(links[0]["ExpirationDate"].as_i64().unwrap() > 0);
        let served = app.http.get(url).send().await.unwrap();
        assert_eq!(served.status(), 200);
        assert!(image::load_from_memory(&served.bytes().await.unwrap()).is_ok());

        // A downgrade makes the validated documents OUT_OF_DATE.
        let s = api
            .post(
                &format!("/users/{natural}/identity-verifications"),
                json!({"ReturnUrl": "https://example.com", "Tag": "verity:accept"}),
            )
            .await
            .json();
        receiver
            .expect("IDENTITY_VERIFICATION_VALIDATED", s["Id"].as_str().unwrap())
            .await;
        let r = api
            .post(&format!("/sandbox/users/{natural}/downgrade"), json!({}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        receiver.expect("KYC_OUTDATED", &id).await;
        assert_eq!(
            api.get(&format!("/kyc/documents/{id}")).await.json()["Status"],
            "OUT_OF_DATE"
        );
        // Refused documents are not.
        assert_eq!(
            api.get(&format!("/kyc/documents/{}", refused[0])).await.json()["Status"],
            "REFUSED"
        );
    }
);

crate::both_backends!(company_number_formats_are_validated, |app| {
    let api = app.client().await;
    let check =
        |number: &str, country: &str| json!({"CompanyNumber": {"CompanyNumber": number, "CountryCode": country}});
    let italy = api
        .post("/users/data-formats/validation", check("AB123456", "IT"))
        .await;
    assert_eq!(italy.status, 200, "{}", italy.text);
    let v = italy.json();
    assert_eq!(
        (
            v["CompanyNumber"]["CompanyNumber"].as_str(),
            v["CompanyNumber"]["IsValid"].as_bool()
        ),
        (Some("AB123456"), Some(true))
    );
    assert!(
        v["CompanyNumber"]["ValidationRules"].as_array().unwrap().len() >= 2,
        "{v}"
    );
    let france = api
        .post("/users/data-formats/validation", check("732 829 320", "fr"))
        .await
        .json();
    assert_eq!(france["CompanyNumber"]["CompanyNumber"], "732829320");
    let wrong = api.post("/users/data-formats/validation", check("123", "FR")).await;
    assert_eq!(
        (wrong.status, wrong.json()["Type"].as_str()),
        (400, Some("param_error")),
        "{}",
        wrong.text
    );
    assert!(wrong.json()["errors"]["CompanyNumber.CompanyNumber"].is_string());
    let missing = api
        .post(
            "/users/data-formats/validation",
            json!({"CompanyNumber": {"CompanyNumber": "123"}}),
        )
        .await;
    assert_eq!(missing.status, 400);
    assert!(
        missing.json()["errors"]["CompanyNumber.CountryCode"].is_string(),
        "{}",
        missing.text
    );
    let nowhere = api.post("/users/data-formats/validation", check("123", "ZZ")).await;
    assert!(
        nowhere.json()["errors"]["CompanyNumber.CountryCode"].is_string(),
        "{}",
        nowhere.text
    );
});

crate::both_backends!(
    a_legacy_legal_user_without_category_is_an_owner_only_when_complete,
    |app| {
        let api = app.client().await;
        let mut complete = legal_owner_body("BUSINESS");
        complete.as_object_mut().unwrap().remove("UserCategory");
        let r = api.post("/users/legal", complete.clone()).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["UserCategory"], "OWNER");
        for missing in ["LegalRepresentativeEmail", "CompanyNumber", "HeadquartersAddress"] {
            let mut partial = complete.clone();
            partial.as_object_mut().unwrap().remove(missing);
            let r = api.post("/users/legal", partial).await;
            assert_eq!(r.status, 200, "without {missing}: {}", r.text);
            assert_eq!(r.json()["UserCategory"], "PAYER", "without {missing}");
        }
    }
);

/// A production client's identity proofs are read by the engine at once: the holder's name and
/// age against the user's, the expiry; the verdict reaches the platform by webhook.
async fn identity_proofs_read(backend: Backend) {
    let receiver = Receiver::ok().await;
    let app = TestApp::spawn(backend, &[("VERITY_WEBHOOK_ALLOW_PRIVATE", "true")]).await;
    let (client, key) = create_client(&app.db, &app.env, "Live KYC", &["--environment", "production"]).await;
    let api = Api {
        http: app.http.clone(),
        token: app.token_for(&client, &key).await,
        prefix: app.url(&format!("/v2.01/{client}")),
    };
    for event in ["KYC_SUCCEEDED", "KYC_FAILED"] {
        let r = api
            .post("/hooks", json!({"EventType": event, "Url": receiver.url}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let passport = crate::engine::alex_passport();
    let person = |first: &str, last: &str| {
        json!({"FirstName": first, "LastName": last, "Email": "person@example.org", "Birthday": 188_352_000,
               "Nationality": "GB", "CountryOfResidence": "GB", "TermsAndConditionsAccepted": true, "UserCategory": "OWNER"})
    };
    let mut decided = Vec::new();
    for (first, last) in [("Alex", "Smith"), ("Bob", "Other")] {
        let r = api.post("/users/natural", person(first, last)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let user = r.json()["Id"].as_str().unwrap().to_owned();
        let doc = create(&api, &user, "IDENTITY_PROOF", None).await;
        let doc = doc["Id"].as_str().unwrap().to_owned();
        for (_, bytes) in &passport {
            assert_eq!(add_page(&api, &user, &doc, bytes).await.status, 204);
        }
        assert_eq!(submit(&api, &user, &doc).await.json()["Status"], "VALIDATION_ASKED");
        decided.push(doc);
    }
    receiver.expect("KYC_SUCCEEDED", &decided[0]).await;
    receiver.expect("KYC_FAILED", &decided[1]).await;
    let refused = api.get(&format!("/kyc/documents/{}", decided[1])).await.json();
    assert_eq!(
        refused["RefusedReasonType"], "DOCUMENT_DO_NOT_MATCH_USER_DATA",
        "{refused:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_identity_proofs_are_read_on_sqlite() {
    identity_proofs_read(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_identity_proofs_are_read_on_postgres() {
    identity_proofs_read(Backend::Postgres).await;
}
