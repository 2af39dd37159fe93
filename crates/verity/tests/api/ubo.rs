//! UBO declarations end to end on SQLite and PostgreSQL: who may declare, UBOs added, changed,
//! dropped and limited to four, submission, the sandbox's magic first names (validated, refused,
//! incomplete then completed), and in production the imported registry deciding; every webhook
//! through a real receiver.

use serde_json::{Value, json};

use crate::engine::cli;
use crate::helpers::*;
use crate::receiver::Receiver;

const EVENTS: [&str; 5] = [
    "UBO_DECLARATION_CREATED",
    "UBO_DECLARATION_VALIDATION_ASKED",
    "UBO_DECLARATION_VALIDATED",
    "UBO_DECLARATION_REFUSED",
    "UBO_DECLARATION_INCOMPLETE",
];

fn ubo(first: &str, last: &str) -> Value {
    json!({
        "FirstName": first, "LastName": last,
        "Address": {"AddressLine1": "1 rue de la Paix", "City": "Paris", "PostalCode": "75002", "Country": "FR"},
        "Nationality": "FR", "Birthday": 188_301_600,
        "Birthplace": {"City": "Paris", "Country": "FR"}
    })
}

async fn hooks(api: &Api, receiver: &Receiver) {
    for event in EVENTS {
        let r = api
            .post("/hooks", json!({"EventType": event, "Url": receiver.url}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
}

async fn business(api: &Api) -> String {
    let r = api.post("/users/legal", legal_owner_body("BUSINESS")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["Id"].as_str().unwrap().to_owned()
}

/// A declaration with `ubos`, submitted; returns its id.
async fn declare(api: &Api, user: &str, ubos: &[Value]) -> String {
    let d = api.post(&format!("/users/{user}/kyc/ubodeclarations"), json!({})).await;
    assert_eq!(d.status, 200, "{}", d.text);
    let id = d.json()["Id"].as_str().unwrap().to_owned();
    for u in ubos {
        let r = api
            .post(&format!("/users/{user}/kyc/ubodeclarations/{id}/ubos"), u.clone())
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = api
        .put(
            &format!("/users/{user}/kyc/ubodeclarations/{id}"),
            json!({"Status": "VALIDATION_ASKED"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    id
}

crate::both_backends!(
    ubo_declarations_follow_mangopay,
    env = [("VERITY_SANDBOX_DELAY", "0s")],
    |app| {
        let receiver = Receiver::ok().await;
        let api = app.client().await;
        hooks(&api, &receiver).await;

        // Only Business and Partnership users declare UBOs.
        let natural = api.natural_owner().await;
        let r = api
            .post(&format!("/users/{natural}/kyc/ubodeclarations"), json!({}))
            .await;
        assert_eq!(
            (r.status, r.json()["Type"].as_str()),
            (400, Some("invalid_action")),
            "{}",
            r.text
        );
        assert_eq!(
            api.post("/users/user_m_NOPE/kyc/ubodeclarations", json!({}))
                .await
                .status,
            404
        );

        let user = business(&api).await;
        let d = api
            .post(&format!("/users/{user}/kyc/ubodeclarations"), json!({}))
            .await
            .json();
        let id = d["Id"].as_str().unwrap().to_owned();
        assert_eq!(
            (d["Status"].as_str(), d["Ubos"].as_array().map(Vec::len)),
            (Some("CREATED"), Some(0))
        );
        assert!(d["Reason"].is_null());
        receiver.expect("UBO_DECLARATION_CREATED", &id).await;
        let ubos = format!("/users/{user}/kyc/ubodeclarations/{id}/ubos");

        // UBOs: every field checked, four at most, changed, dropped for good.
        let bad = api.post(&ubos, json!({"FirstName": "X"})).await;
        assert_eq!(
            (bad.status, bad.json()["Type"].as_str()),
            (400, Some("param_error")),
            "{}",
            bad.text
        );
        for field in ["LastName", "Birthday", "Address", "Birthplace"] {
            assert!(bad.json()["errors"][field].is_string(), "{field}: {}", bad.text);
        }
        let first = api.post(&ubos, ubo("IncompleteUBO", "Doe")).await;
        assert_eq!(first.status, 200, "{}", first.text);
        let first = first.json();
        assert_eq!(
            (
                first["FirstName"].as_str(),
                first["Birthplace"]["City"].as_str(),
                first["IsActive"].as_bool()
            ),
            (Some("IncompleteUBO"), Some("Paris"), Some(true))
        );
        let ubo_id = first["Id"].as_str().unwrap().to_owned();
        for n in 0..3 {
            assert_eq!(api.post(&ubos, ubo("Jane", &format!("Roe{n}"))).await.status, 200);
        }
        let fifth = api.post(&ubos, ubo("One", "Toomany")).await;
        assert_eq!(
            (fifth.status, fifth.json()["Type"].as_str()),
            (400, Some("invalid_action")),
            "{}",
            fifth.text
        );
        let listed = api.get(&format!("/users/{user}/kyc/ubodeclarations/{id}")).await.json();
        let dropped = listed["Ubos"][3]["Id"].as_str().unwrap().to_owned();
        let r = api.put(&format!("{ubos}/{dropped}"), json!({"IsActive": false})).await;
        assert_eq!(
            (r.status, r.json()["IsActive"].as_bool()),
            (200, Some(false)),
            "{}",
            r.text
        );
        let back = api.put(&format!("{ubos}/{dropped}"), json!({"IsActive": true})).await;
        assert_eq!(back.status, 400, "{}", back.text);
        let renamed = api
            .put(&format!("{ubos}/{ubo_id}"), json!({"LastName": "Doe-Martin"}))
            .await;
        assert_eq!(renamed.json()["LastName"], "Doe-Martin");
        assert_eq!(
            api.get(&format!("{ubos}/{ubo_id}")).await.json()["LastName"],
            "Doe-Martin"
        );
        assert_eq!(api.get(&format!("{ubos}/ubo_NOPE")).await.status, 404);

        // Submitted: the first UBO's magic name makes it INCOMPLETE.
        let wrong = api
            .put(
                &format!("/users/{user}/kyc/ubodeclarations/{id}"),
                json!({"Status": "VALIDATED"}),
            )
            .await;
        assert_eq!(wrong.status, 400);
        let asked = api
            .put(
                &format!("/users/{user}/kyc/ubodeclarations/{id}"),
                json!({"Status": "VALIDATION_ASKED"}),
            )
            .await;
        assert_eq!(asked.json()["Status"], "VALIDATION_ASKED", "{}", asked.text);
        receiver.expect("UBO_DECLARATION_VALIDATION_ASKED", &id).await;
        let late = api.post(&ubos, ubo("Late", "Comer")).await;
        assert_eq!(late.status, 400);
        receiver.expect("UBO_DECLARATION_INCOMPLETE", &id).await;
        let v = api.get(&format!("/kyc/ubodeclarations/{id}")).await.json();
        assert_eq!(
            (v["Status"].as_str(), v["Reason"].as_str()),
            (Some("INCOMPLETE"), Some("MISSING_UBO")),
            "{v:#}"
        );
        // Completed and submitted again: validated.
        api.put(&format!("{ubos}/{ubo_id}"), json!({"FirstName": "AcceptUBO"}))
            .await;
        let again = api
            .put(
                &format!("/users/{user}/kyc/ubodeclarations/{id}"),
                json!({"Status": "VALIDATION_ASKED"}),
            )
            .await;
        assert_eq!(again.status, 200, "{}", again.text);
        receiver.expect("UBO_DECLARATION_VALIDATED", &id).await;
        assert_eq!(
            api.get(&format!("/kyc/ubodeclarations/{id}")).await.json()["Status"],
            "VALIDATED"
        );

        // Refused, under both spellings.
        for name in ["RefusedUBO", "RefuseUBO"] {
            let refused = declare(&api, &user, &[ubo(name, "Doe")]).await;
            receiver.expect("UBO_DECLARATION_REFUSED", &refused).await;
            let v = api.get(&format!("/kyc/ubodeclarations/{refused}")).await.json();
            assert_eq!(v["Status"], "REFUSED", "{v:#}");
            assert!(v["Reason"].is_string());
        }
        let r = api.get(&format!("/users/{user}/kyc/ubodeclarations?per_page=2")).await;
        assert_eq!(r.header("X-Number-Of-Items"), Some("3"));
        assert_eq!(r.json().as_array().unwrap().len(), 2);
        assert_eq!(
            api.get(&format!("/users/{natural}/kyc/ubodeclarations/{id}"))
                .await
                .status,
            404
        );
    }
);

/// In production the imported registry decides where it lists the company's owners.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_declarations_are_checked_against_the_registry() {
    let receiver = Receiver::ok().await;
    let app = TestApp::spawn(Backend::Sqlite, &[("VERITY_WEBHOOK_ALLOW_PRIVATE", "true")]).await;
    let (id, key) = create_client(&app.db, &app.env, "Live UBO platform", &["--environment", "production"]).await;
    let api = Api {
        http: app.http.clone(),
        token: app.token_for(&id, &key).await,
        prefix: app.url(&format!("/v2.01/{id}")),
    };
    hooks(&api, &receiver).await;
    let file = app.db.data_dir.path().join("registry.csv");
    std::fs::write(
        &file,
        "country,number,name,status,officers,owners\nFR,732829320,Alex Smith Services,active,Alex Smith,Jane Doe;Paul Martin\n",
    )
    .unwrap();
    let (ok, out, err) = cli(&app, &["registry", "import", file.to_str().unwrap()]).await;
    assert!(ok, "{out}{err}");
    let mut body = legal_owner_body("BUSINESS");
    body["CompanyNumber"] = json!("732829320");
    let r = api.post("/users/legal", body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let user = r.json()["Id"].as_str().unwrap().to_owned();

    // Paul Martin is not declared: incomplete, and the message names him.
    let partial = declare(&api, &user, &[ubo("Jane", "Doe")]).await;
    receiver.expect("UBO_DECLARATION_INCOMPLETE", &partial).await;
    let v = api.get(&format!("/kyc/ubodeclarations/{partial}")).await.json();
    assert!(v["Message"].as_str().unwrap().contains("Paul Martin"), "{v:#}");
    // Everyone declared: validated at once.
    let whole = declare(&api, &user, &[ubo("Jane", "Doe"), ubo("Paul", "Martin")]).await;
    receiver.expect("UBO_DECLARATION_VALIDATED", &whole).await;
    // Someone the registry does not list: for a reviewer.
    let unknown = declare(
        &api,
        &user,
        &[ubo("Jane", "Doe"), ubo("Paul", "Martin"), ubo("Zoe", "Unlisted")],
    )
    .await;
    assert_eq!(
        api.get(&format!("/kyc/ubodeclarations/{unknown}")).await.json()["Status"],
        "VALIDATION_ASKED"
    );
}
