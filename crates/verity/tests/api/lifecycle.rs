//! The session state machine end to end: every transition, every forbidden one, races, expiry,
//! downgrade, review, sandbox controls.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::receiver::Receiver;

pub const EVENTS: &[&str] = &[
    "IDENTITY_VERIFICATION_PENDING",
    "IDENTITY_VERIFICATION_VALIDATED",
    "IDENTITY_VERIFICATION_FAILED",
    "IDENTITY_VERIFICATION_INCONCLUSIVE",
    "IDENTITY_VERIFICATION_EXPIRED",
    "IDENTITY_VERIFICATION_OUTDATED",
    "USER_KYC_REGULAR",
    "USER_KYC_LIGHT",
];

pub const ADMIN_TOKEN: &str = "admin-token-for-tests-0123456789";

/// Subscribes `url` to every IDV and user KYC event.
pub async fn hook_all(api: &Api, url: &str) {
    for event in EVENTS {
        let r = api
            .post("/hooks", json!({"EventType": event, "Url": url, "Tag": "tests"}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
}

pub async fn sandbox_app(extra: &[(&str, &str)]) -> TestApp {
    let mut env = vec![
        ("VERITY_SANDBOX_DELAY", "0s"),
        ("VERITY_ADMIN_TOKEN", ADMIN_TOKEN),
        ("VERITY_WEBHOOK_RETRY_SCHEDULE", "1s,1s"),
    ];
    env.extend_from_slice(extra);
    TestApp::spawn(Backend::Sqlite, &env).await
}

async fn force(api: &Api, session: &str, body: Value) -> Reply {
    api.post(&format!("/sandbox/identity-verifications/{session}/outcome"), body)
        .await
}

async fn status_of(api: &Api, session: &str) -> String {
    api.get(&format!("/identity-verifications/{session}")).await.json()["Status"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn id(v: &Value) -> String {
    v["Id"].as_str().unwrap().to_owned()
}

async fn admin(app: &TestApp, path: &str, body: Value) -> Reply {
    let r = app
        .http
        .post(app.url(path))
        .bearer_auth(ADMIN_TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    Reply {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        text: r.text().await.unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_allowed_transition_with_its_webhooks() {
    let app = sandbox_app(&[]).await;
    let api = app.client().await;
    let rx = Receiver::ok().await;
    hook_all(&api, &rx.url).await;
    let natural = api.natural_owner().await;
    let legal = id(&api.post("/users/legal", legal_owner_body("BUSINESS")).await.json());

    // PENDING on creation.
    let s = id(&api.session(&natural).await);
    rx.expect("IDENTITY_VERIFICATION_PENDING", &s).await;
    // PENDING -> VALIDATED, with the user raised to REGULAR.
    let v = force(&api, &s, json!({"Status": "VALIDATED"})).await;
    assert_eq!(v.status, 200, "{}", v.text);
    assert_eq!(v.json()["Status"], "VALIDATED");
    rx.expect("IDENTITY_VERIFICATION_VALIDATED", &s).await;
    rx.expect("USER_KYC_REGULAR", &natural).await;
    let user = api.get(&format!("/users/{natural}")).await.json();
    assert_eq!(user["KYCLevel"], "REGULAR");
    assert_eq!(
        (user["FirstName"].as_str(), user["LastName"].as_str()),
        (Some("ALEX"), Some("SMITH")),
        "verified data overwrites the user"
    );
    // VALIDATED -> OUT_OF_DATE by an operator's downgrade.
    let d = api
        .post(&format!("/sandbox/users/{natural}/downgrade"), json!({}))
        .await;
    assert_eq!(d.status, 200, "{}", d.text);
    assert_eq!(d.json()["KYCLevel"], "LIGHT");
    assert_eq!(status_of(&api, &s).await, "OUT_OF_DATE");
    rx.expect("IDENTITY_VERIFICATION_OUTDATED", &s).await;
    rx.expect("USER_KYC_LIGHT", &natural).await;

    // PENDING -> REFUSED.
    let s = id(&api.session(&natural).await);
    let r = force(
        &api,
        &s,
        json!({"Status": "REFUSED", "RefusedReasonType": "DOCUMENT_HAS_EXPIRED"}),
    )
    .await
    .json();
    assert_eq!(
        r["Checks"][0]["Reasons"],
        json!([{"Type": "DOCUMENT_HAS_EXPIRED", "Value": "Document IDV has been refused by the provider"}])
    );
    rx.expect("IDENTITY_VERIFICATION_FAILED", &s).await;
    // PENDING -> EXPIRED.
    let s = id(&api.session(&natural).await);
    assert_eq!(
        api.post(&format!("/sandbox/identity-verifications/{s}/expire"), json!({}))
            .await
            .json()["Status"],
        "EXPIRED"
    );
    rx.expect("IDENTITY_VERIFICATION_EXPIRED", &s).await;

    // PENDING -> REVIEW (legal), REVIEW -> VALIDATED by a reviewer: checks are kept as they were.
    let s = id(&api.session(&legal).await);
    let review = force(&api, &s, json!({"Status": "REVIEW"})).await.json();
    assert_eq!(review["Status"], "REVIEW");
    rx.expect("IDENTITY_VERIFICATION_INCONCLUSIVE", &s).await;
    let approved = admin(
        &app,
        &format!("/admin/v1/clients/{}/identity-verifications/{s}/approve", app.client_id),
        json!({}),
    )
    .await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(approved.json()["Status"], "VALIDATED");
    assert_eq!(
        approved.json()["Checks"],
        review["Checks"],
        "a manual validation does not rewrite the checks"
    );
    rx.expect("IDENTITY_VERIFICATION_VALIDATED", &s).await;
    let company = api.get(&format!("/users/{legal}")).await.json();
    assert_eq!(company["Name"], "ALEX SMITH SERVICES", "COMPANY_NAME overwrites Name");
    assert_eq!(company["KYCLevel"], "REGULAR");

    // REVIEW -> REFUSED by a reviewer through the CLI: the comment is the reason's Value.
    let legal2 = id(&api.post("/users/legal", legal_owner_body("SOLETRADER")).await.json());
    let s = id(&api.session(&legal2).await);
    force(&api, &s, json!({"Status": "REVIEW"})).await;
    let out = verity()
        .args([
            "review",
            "refuse",
            "--client",
            &app.client_id,
            &s,
            "--reason",
            "BUSINESS_NAME_MATCH_FAILED",
            "--comment",
            "Registered name differs from the ID",
        ])
        .env("VERITY_DATABASE_URL", &app.db.url)
        .env("VERITY_DATA_DIR", app.db.data_dir.path())
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let refused = api.get(&format!("/identity-verifications/{s}")).await.json();
    assert_eq!(refused["Status"], "REFUSED");
    let check = refused["Checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["Type"] == "BUSINESS_NAME_MATCH")
        .unwrap()
        .clone();
    assert_eq!(check["CheckStatus"], "REFUSED");
    assert_eq!(
        check["Reasons"],
        json!([{"Type": "BUSINESS_NAME_MATCH_FAILED", "Value": "Registered name differs from the ID"}])
    );
    // The running server delivers what the CLI's commit queued.
    rx.expect("IDENTITY_VERIFICATION_FAILED", &s).await;

    // Events API: every event is recorded.
    let events = api.get("/events?per_page=100").await.json();
    let count = |t: &str| {
        events
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["EventType"] == t)
            .count()
    };
    assert_eq!(count("IDENTITY_VERIFICATION_PENDING"), 5);
    assert_eq!(count("IDENTITY_VERIFICATION_VALIDATED"), 2);
    assert_eq!(count("IDENTITY_VERIFICATION_FAILED"), 2);
    assert_eq!(count("USER_KYC_LIGHT"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_transitions_are_refused_and_change_nothing() {
    let app = sandbox_app(&[]).await;
    let api = app.client().await;
    let natural = api.natural_owner().await;
    let expect_refusal = |r: Reply, message: &str| {
        assert_error(&r, 400, message, "invalid_action", Value::Null);
    };
    // REFUSED is final.
    let s = id(&api.session(&natural).await);
    force(
        &api,
        &s,
        json!({"Status": "REFUSED", "RefusedReasonType": "DOCUMENT_UNREADABLE"}),
    )
    .await;
    let before = api.get(&format!("/identity-verifications/{s}")).await.json();
    expect_refusal(
        force(&api, &s, json!({"Status": "VALIDATED"})).await,
        "The session is REFUSED and cannot become VALIDATED.",
    );
    expect_refusal(
        api.post(&format!("/sandbox/identity-verifications/{s}/expire"), json!({}))
            .await,
        "The session is REFUSED and cannot become EXPIRED.",
    );
    assert_eq!(api.get(&format!("/identity-verifications/{s}")).await.json(), before);
    // EXPIRED is final.
    let s = id(&api.session(&natural).await);
    api.post(&format!("/sandbox/identity-verifications/{s}/expire"), json!({}))
        .await;
    expect_refusal(
        force(&api, &s, json!({"Status": "VALIDATED"})).await,
        "The session is EXPIRED and cannot become VALIDATED.",
    );
    // VALIDATED only goes OUT_OF_DATE.
    let s = id(&api.session(&natural).await);
    force(&api, &s, json!({"Status": "VALIDATED"})).await;
    expect_refusal(
        force(
            &api,
            &s,
            json!({"Status": "REFUSED", "RefusedReasonType": "DOCUMENT_FALSIFIED"}),
        )
        .await,
        "The session is VALIDATED and cannot become REFUSED.",
    );
    expect_refusal(
        force(&api, &s, json!({"Status": "REVIEW"})).await,
        "The session is VALIDATED and cannot become REVIEW.",
    );
    // Natural users never go to REVIEW.
    let s = id(&api.session(&natural).await);
    expect_refusal(
        force(&api, &s, json!({"Status": "REVIEW"})).await,
        "Sessions of natural users are never sent to review.",
    );
    assert_eq!(status_of(&api, &s).await, "PENDING");
    // REVIEW cannot expire, and only a reviewer can decide it... or the sandbox helper.
    let legal = id(&api.post("/users/legal", legal_owner_body("ORGANIZATION")).await.json());
    let s = id(&api.session(&legal).await);
    force(&api, &s, json!({"Status": "REVIEW"})).await;
    expect_refusal(
        api.post(&format!("/sandbox/identity-verifications/{s}/expire"), json!({}))
            .await,
        "The session is REVIEW and cannot become EXPIRED.",
    );
    // A reviewer cannot approve what is not in REVIEW.
    let pending = id(&api.session(&legal).await);
    let r = admin(
        &app,
        &format!(
            "/admin/v1/clients/{}/identity-verifications/{pending}/approve",
            app.client_id
        ),
        json!({}),
    )
    .await;
    expect_refusal(r, "The session is PENDING, not in REVIEW.");
    // Downgrading a LIGHT user is refused.
    let light = api.natural_owner().await;
    expect_refusal(
        api.post(&format!("/sandbox/users/{light}/downgrade"), json!({})).await,
        "The user is not KYC REGULAR: there is nothing to downgrade.",
    );
}

crate::both_backends!(
    racing_transitions_have_one_winner_one_event_one_webhook,
    env = [("VERITY_ADMIN_TOKEN", ADMIN_TOKEN)],
    |app| {
        let api = app.client().await;
        let rx = Receiver::ok().await;
        hook_all(&api, &rx.url).await;
        let user = api.natural_owner().await;
        let s = id(&api.session(&user).await);
        let mut tasks = Vec::new();
        for i in 0..16 {
            let (api, s) = (api.clone(), s.clone());
            let body = if i % 2 == 0 {
                json!({"Status": "VALIDATED"})
            } else {
                json!({"Status": "REFUSED", "RefusedReasonType": "DOCUMENT_FALSIFIED"})
            };
            tasks.push(tokio::spawn(async move { force(&api, &s, body).await }));
        }
        let mut winners = Vec::new();
        for t in tasks {
            let r = t.await.unwrap();
            match r.status {
                200 => winners.push(r.json()["Status"].as_str().unwrap().to_owned()),
                400 => assert_eq!(r.json()["Type"], "invalid_action", "{}", r.text),
                other => panic!("unexpected {other}: {}", r.text),
            }
        }
        assert_eq!(winners.len(), 1, "exactly one winner: {winners:?}");
        let final_status = status_of(&api, &s).await;
        assert_eq!(final_status, winners[0]);
        let expected = if final_status == "VALIDATED" {
            "IDENTITY_VERIFICATION_VALIDATED"
        } else {
            "IDENTITY_VERIFICATION_FAILED"
        };
        let events = api.get("/events?per_page=100").await.json();
        let decided: Vec<&Value> = events
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["ResourceId"] == s.as_str() && e["EventType"] != "IDENTITY_VERIFICATION_PENDING")
            .collect();
        assert_eq!(decided.len(), 1, "one event: {decided:?}");
        assert_eq!(decided[0]["EventType"], expected);
        rx.expect(expected, &s).await;
        let deliveries = app
            .http
            .get(app.url("/admin/v1/webhook-deliveries?per_page=100"))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        let deliveries: Value = deliveries.json().await.unwrap();
        let for_session = deliveries
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["ResourceId"] == s.as_str() && d["EventType"] != "IDENTITY_VERIFICATION_PENDING")
            .count();
        assert_eq!(for_session, 1, "one webhook delivery queued");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_directives_complete_sessions_by_themselves() {
    let app = sandbox_app(&[]).await;
    let api = app.client().await;
    let rx = Receiver::ok().await;
    hook_all(&api, &rx.url).await;
    let user = api.natural_owner().await;
    let tagged = |tag: &str| json!({"ReturnUrl": "https://example.com", "Tag": tag});
    let path = format!("/users/{user}/identity-verifications");
    let accept = id(&api.post(&path, tagged("order 42 verity:accept")).await.json());
    let refuse = id(&api
        .post(&path, tagged("verity:refuse=DOCUMENT_NOT_ACCEPTED@IDV_AGE_CHECK"))
        .await
        .json());
    rx.expect("IDENTITY_VERIFICATION_VALIDATED", &accept).await;
    rx.expect("IDENTITY_VERIFICATION_FAILED", &refuse).await;
    let refused = api.get(&format!("/identity-verifications/{refuse}")).await.json();
    let kinds: Vec<&str> = refused["Checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "IDENTITY_DOCUMENT_VERIFICATION",
            "IDV_NAME_MATCH_CHECK",
            "IDV_AGE_CHECK"
        ]
    );
    assert_eq!(refused["Checks"][2]["CheckStatus"], "REFUSED");
    assert_eq!(refused["Checks"][2]["Reasons"][0]["Type"], "DOCUMENT_NOT_ACCEPTED");
    // Directives are checked when the session is created.
    let bad = api.post(&path, tagged("verity:review")).await;
    assert_error(
        &bad,
        400,
        PARAM,
        "param_error",
        json!({"Tag": "Sessions of natural users are never sent to review."}),
    );
    let unknown = api.post(&path, tagged("verity:maybe")).await;
    assert!(
        unknown.json()["errors"]["Tag"]
            .as_str()
            .unwrap()
            .starts_with("Unknown Verity directive")
    );
    // A scripted session survives a restart and still completes.
    let slow = TestApp::spawn(Backend::Sqlite, &[("VERITY_SANDBOX_DELAY", "2s")]).await;
    let slow_api = slow.client().await;
    let u = slow_api.natural_owner().await;
    let s = id(&slow_api
        .post(&format!("/users/{u}/identity-verifications"), tagged("verity:accept"))
        .await
        .json());
    let (db, env, client_id, api_key) = slow.stop().await;
    let restarted = TestApp::start(db, env, client_id, api_key).await;
    let api2 = restarted.client().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while status_of(&api2, &s).await == "PENDING" {
        assert!(
            std::time::Instant::now() < deadline,
            "scripted outcome not applied after restart"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status_of(&api2, &s).await, "VALIDATED");
}

crate::both_backends!(
    pending_sessions_expire_exactly_once_with_two_processes,
    env = [("VERITY_SESSION_TTL", "1s")],
    |app| {
        let second = app.another().await;
        let api = app.client().await;
        let rx = Receiver::ok().await;
        hook_all(&api, &rx.url).await;
        let user = api.natural_owner().await;
        let mut sessions = Vec::new();
        for _ in 0..5 {
            sessions.push(id(&api.session(&user).await));
        }
        for s in &sessions {
            rx.expect("IDENTITY_VERIFICATION_EXPIRED", s).await;
            assert_eq!(status_of(&api, s).await, "EXPIRED");
        }
        // Both processes swept; each session expired once, with one event.
        let events = api
            .get("/events?EventType=IDENTITY_VERIFICATION_EXPIRED&per_page=100")
            .await
            .json();
        assert_eq!(events.as_array().unwrap().len(), 5, "{events}");
        // The hosted page still opens and says so.
        let created = api
            .get(&format!("/identity-verifications/{}", sessions[0]))
            .await
            .json();
        let page = app
            .http
            .get(created["HostedUrl"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("This link has expired."), "{page}");
        drop(second);
    }
);

crate::both_backends!(changing_verified_fields_downgrades_the_user, |app| {
    let api = app.client().await;
    let user = api.natural_owner().await;
    let s = id(&api.session(&user).await);
    let r = force(&api, &s, json!({"Status": "VALIDATED"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Occupation is not verified: no downgrade.
    let u = api
        .put(&format!("/users/natural/{user}"), json!({"Occupation": "baker"}))
        .await
        .json();
    assert_eq!(u["KYCLevel"], "REGULAR");
    // A new first name is: LIGHT again, the validated session OUT_OF_DATE.
    let u = api
        .put(&format!("/users/natural/{user}"), json!({"FirstName": "Alexandra"}))
        .await
        .json();
    assert_eq!(u["KYCLevel"], "LIGHT");
    assert_eq!(status_of(&api, &s).await, "OUT_OF_DATE");
    let events = api.get("/events?per_page=100").await.json();
    let types: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["EventType"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"IDENTITY_VERIFICATION_OUTDATED") && types.contains(&"USER_KYC_LIGHT"),
        "{types:?}"
    );
    // Legal users: changing the legal person type downgrades too.
    let legal = id(&api.post("/users/legal", legal_owner_body("BUSINESS")).await.json());
    let s = id(&api.session(&legal).await);
    force(&api, &s, json!({"Status": "VALIDATED"})).await;
    let u = api
        .put(
            &format!("/users/legal/{legal}"),
            json!({"LegalPersonType": "ORGANIZATION"}),
        )
        .await
        .json();
    assert_eq!(u["KYCLevel"], "LIGHT");
    assert_eq!(status_of(&api, &s).await, "OUT_OF_DATE");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_clients_get_no_sandbox_controls() {
    let app = sandbox_app(&[]).await;
    let (id, key) = create_client(&app.db, &app.env, "Live platform", &["--environment", "production"]).await;
    // Without a face-match provider, natural users need the client's opt-in to manual review.
    let opted_in = verity()
        .args(["clients", "set-natural-review", &id, "--enabled", "true"])
        .env("VERITY_DATABASE_URL", &app.db.url)
        .env("VERITY_DATA_DIR", app.db.data_dir.path())
        .output()
        .await
        .unwrap();
    assert!(opted_in.status.success());
    let token = app.token_for(&id, &key).await;
    let api = Api {
        http: app.http.clone(),
        token,
        prefix: app.url(&format!("/v2.01/{id}")),
    };
    let user = api.natural_owner().await;
    let forbidden = |r: &Reply| {
        assert_error(
            r,
            403,
            "This endpoint is not available for your account",
            "forbidden_ressource",
            Value::Null,
        )
    };
    let tagged = api
        .post(
            &format!("/users/{user}/identity-verifications"),
            json!({"ReturnUrl": "https://example.com", "Tag": "verity:accept"}),
        )
        .await;
    forbidden(&tagged);
    let s = id_of(&api.session(&user).await);
    forbidden(&force(&api, &s, json!({"Status": "VALIDATED"})).await);
    forbidden(
        &api.post(&format!("/sandbox/identity-verifications/{s}/expire"), json!({}))
            .await,
    );
    forbidden(&api.post(&format!("/sandbox/users/{user}/downgrade"), json!({})).await);
    assert_eq!(status_of(&api, &s).await, "PENDING");
    // Production hooks must target public addresses.
    let hook = api
        .post(
            "/hooks",
            json!({"EventType": "IDENTITY_VERIFICATION_VALIDATED", "Url": "http://127.0.0.1:9/hook"}),
        )
        .await;
    assert_error(
        &hook,
        400,
        PARAM,
        "param_error",
        json!({"Url": "The Url must point to a public address."}),
    );
}

fn id_of(v: &Value) -> String {
    id(v)
}
