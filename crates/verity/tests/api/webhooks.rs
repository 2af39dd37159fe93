//! Webhook delivery against a real receiver on loopback: timing, retries, invalidation, crash
//! recovery, signatures; and the hooks and events APIs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::helpers::*;
use crate::lifecycle::{ADMIN_TOKEN, hook_all, sandbox_app};
use crate::receiver::{Answer, Receiver};

async fn admin_get(app: &TestApp, path: &str) -> Value {
    app.http
        .get(app.url(path))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn id(v: &Value) -> String {
    v["Id"].as_str().unwrap().to_owned()
}

crate::both_backends!(hooks_api_follows_mangopay, |app| {
    let api = app.client().await;
    let created = api.post("/hooks", json!({"EventType": "IDENTITY_VERIFICATION_VALIDATED", "Url": "https://platform.example/hooks", "Tag": "t"})).await;
    assert_eq!(created.status, 200, "{}", created.text);
    let hook = created.json();
    let keys: Vec<&str> = hook.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["Url", "Status", "Validity", "EventType", "Id", "Tag", "CreationDate"]
    );
    assert_eq!(
        (hook["Status"].as_str(), hook["Validity"].as_str()),
        (Some("ENABLED"), Some("VALID"))
    );
    assert!(hook["Id"].as_str().unwrap().starts_with("hook_m_"));
    assert_error(
        &api.post(
            "/hooks",
            json!({"EventType": "IDENTITY_VERIFICATION_VALIDATED", "Url": "https://other.example/"}),
        )
        .await,
        400,
        PARAM,
        "param_error",
        json!({"EventType": "A hook has already been registered for this EventType"}),
    );
    assert_error(
        &api.post(
            "/hooks",
            json!({"EventType": "NOT_AN_EVENT", "Url": "https://x.example/"}),
        )
        .await,
        400,
        PARAM,
        "param_error",
        json!({"EventType": "The value NOT_AN_EVENT is not valid for EventType."}),
    );
    // The documented alias is a hook type of its own name (it gets PSC_REJECTED events under it).
    let alias = api
        .post(
            "/hooks",
            json!({"EventType": "IDENTITY_VERIFICATION_PSC_FAILED", "Url": "https://x.example/"}),
        )
        .await
        .json();
    assert_eq!(alias["EventType"], "IDENTITY_VERIFICATION_PSC_FAILED");
    let hid = id(&hook);
    let updated = api
        .put(
            &format!("/hooks/{hid}"),
            json!({"Status": "DISABLED", "Url": "https://platform.example/v2"}),
        )
        .await
        .json();
    assert_eq!(
        (updated["Status"].as_str(), updated["Url"].as_str()),
        (Some("DISABLED"), Some("https://platform.example/v2"))
    );
    assert_eq!(api.get(&format!("/hooks/{hid}")).await.json()["Status"], "DISABLED");
    let list = api.get("/hooks?per_page=1").await;
    assert_eq!(list.header("x-number-of-items"), Some("2"));
    assert_eq!(api.get("/hooks/hook_m_nope").await.status, 404);
});

crate::both_backends!(events_api_filters_and_refuses_old_dates, |app| {
    let api = app.client().await;
    let user = api.natural_owner().await;
    let s1 = id(&api.session(&user).await);
    let s2 = id(&api.session(&user).await);
    let all = api
        .get("/events?EventType=IDENTITY_VERIFICATION_PENDING&Sort=Date:DESC")
        .await;
    assert_eq!(all.header("x-number-of-items"), Some("2"));
    let items = all.json();
    let ids: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["ResourceId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [s2.as_str(), s1.as_str()]);
    assert_eq!(
        items[0].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["ResourceId", "EventType", "Date"]
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let future = api.get(&format!("/events?AfterDate={}", now + 3600)).await.json();
    assert_eq!(future, json!([]));
    let old = now - 46 * 86_400;
    assert_error(
        &api.get(&format!("/events?AfterDate={old}&BeforeDate={old}")).await,
        400,
        PARAM,
        "param_error",
        json!({"AfterDate": "Events older than 45 days can not be searched", "BeforeDate": "Events older than 45 days can not be searched"}),
    );
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivered_at_once_with_the_documented_request() {
    let app = sandbox_app(&[]).await;
    let api = app.client().await;
    let rx = Receiver::ok().await;
    hook_all(&api, &rx.url).await;
    let user = api.natural_owner().await;
    let before = std::time::Instant::now();
    let s = id(&api.session(&user).await);
    let got = rx.expect("IDENTITY_VERIFICATION_PENDING", &s).await;
    assert!(
        got.at.duration_since(before) < Duration::from_secs(2),
        "delivered within 2 s"
    );
    let date: i64 = got.params["Date"].parse().unwrap();
    assert_eq!(
        date,
        api.get(&format!("/identity-verifications/{s}")).await.json()["CreationDate"]
            .as_i64()
            .unwrap()
    );
    assert_eq!(
        got.params.len(),
        3,
        "EventType, RessourceId and Date only: {:?}",
        got.params
    );
    assert!(
        got.headers.get("webhook-signature").is_none(),
        "unsigned unless a secret is set"
    );
    let deliveries = admin_get(
        &app,
        &format!("/admin/v1/webhook-deliveries?ClientId={}", app.client_id),
    )
    .await;
    let delivered = deliveries
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ResourceId"] == s.as_str())
        .unwrap()
        .clone();
    // The attempt is recorded just after the receiver answers.
    let attempts_path = format!(
        "/admin/v1/webhook-deliveries/{}/attempts",
        delivered["Id"].as_str().unwrap()
    );
    let mut attempts = admin_get(&app, &attempts_path).await;
    for _ in 0..50 {
        if !attempts.as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        attempts = admin_get(&app, &attempts_path).await;
    }
    assert_eq!(attempts[0]["StatusCode"], 200);
    assert_eq!(attempts[0]["Attempt"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_retried_on_the_configured_schedule_and_can_be_replayed() {
    let app = sandbox_app(&[("VERITY_WEBHOOK_RETRY_SCHEDULE", "1s,2s")]).await;
    let api = app.client().await;
    // Fails twice, then succeeds.
    let rx = Receiver::start(Arc::new(|n| Answer::Status(if n < 2 { 500 } else { 200 }))).await;
    api.post(
        "/hooks",
        json!({"EventType": "IDENTITY_VERIFICATION_PENDING", "Url": rx.url}),
    )
    .await;
    let user = api.natural_owner().await;
    let s = id(&api.session(&user).await);
    let got = rx.wait_for(3, Duration::from_secs(20), |r| r.resource() == s).await;
    let gap1 = got[1].at.duration_since(got[0].at);
    let gap2 = got[2].at.duration_since(got[1].at);
    assert!(
        gap1 >= Duration::from_millis(900) && gap1 < Duration::from_secs(3),
        "first retry after ~1 s: {gap1:?}"
    );
    assert!(
        gap2 >= Duration::from_millis(1900) && gap2 < Duration::from_secs(4),
        "second retry after ~2 s: {gap2:?}"
    );
    let deliveries = admin_get(&app, "/admin/v1/webhook-deliveries").await;
    let d = deliveries
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ResourceId"] == s.as_str())
        .unwrap()
        .clone();
    let did = d["Id"].as_str().unwrap().to_owned();
    let mut attempts = Value::Null;
    for _ in 0..50 {
        attempts = admin_get(&app, &format!("/admin/v1/webhook-deliveries/{did}/attempts")).await;
        if attempts.as_array().unwrap().len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let codes: Vec<i64> = attempts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["StatusCode"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [500, 500, 200]);
    // Replay by the operator (CLI) sends it once more.
    let out = verity()
        .args(["webhooks", "replay", &did])
        .env("VERITY_DATABASE_URL", &app.db.url)
        .env("VERITY_DATA_DIR", app.db.data_dir.path())
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    rx.wait_for(4, Duration::from_secs(10), |r| r.resource() == s).await;
}

/// A receiver that answers 503 while `down` is set, 200 otherwise.
async fn switchable_receiver() -> (Receiver, Arc<AtomicBool>) {
    let down = Arc::new(AtomicBool::new(true));
    let d = down.clone();
    let rx = Receiver::start(Arc::new(move |_| {
        Answer::Status(if d.load(Ordering::SeqCst) { 503 } else { 200 })
    }))
    .await;
    (rx, down)
}

/// A client, a receiver that is down, a hook of `IDENTITY_VERIFICATION_PENDING` to it, and a user.
async fn down_receiver_hooked(app: &TestApp) -> (Api, Receiver, Arc<AtomicBool>, String, String) {
    let api = app.client().await;
    let (rx, down) = switchable_receiver().await;
    let hook = api
        .post(
            "/hooks",
            json!({"EventType": "IDENTITY_VERIFICATION_PENDING", "Url": rx.url}),
        )
        .await
        .json();
    let user = api.natural_owner().await;
    (api, rx, down, id(&hook), user)
}

async fn validity(api: &Api, hook: &str) -> String {
    api.get(&format!("/hooks/{hook}")).await.json()["Validity"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_outage_under_load_never_invalidates_a_hook() {
    // Three failed events would be enough, but the hook must also have failed for a day.
    let app = sandbox_app(&[
        ("VERITY_WEBHOOK_RETRY_SCHEDULE", "1s,1s,1s,1s,1s,1s,1s,1s,1s,1s"),
        ("VERITY_WEBHOOK_INVALID_AFTER", "3"),
    ])
    .await;
    let (api, rx, down, hid, user) = down_receiver_hooked(&app).await;
    let mut sessions = Vec::new();
    for _ in 0..6 {
        sessions.push(id(&api.session(&user).await));
    }
    // Every event failed at least once: six failed events in a row.
    for s in &sessions {
        rx.wait_for(1, Duration::from_secs(20), |r| r.resource() == s.as_str())
            .await;
    }
    assert_eq!(validity(&api, &hid).await, "VALID");
    let back_at = std::time::Instant::now();
    down.store(false, Ordering::SeqCst);
    // Nothing was dropped: each event arrives once the receiver is back.
    for s in &sessions {
        rx.wait_for(1, Duration::from_secs(20), |r| {
            r.resource() == s.as_str() && r.at > back_at
        })
        .await;
    }
    assert_eq!(validity(&api, &hid).await, "VALID");
}

// Both backends: PostgreSQL records an attempt and decides its delivery in one statement.
crate::both_backends!(
    an_invalid_hook_pauses_its_deliveries_until_revalidated,
    env = [
        ("VERITY_SANDBOX_DELAY", "0s"),
        ("VERITY_ADMIN_TOKEN", ADMIN_TOKEN),
        (
            "VERITY_WEBHOOK_RETRY_SCHEDULE",
            "1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s"
        ),
        ("VERITY_WEBHOOK_INVALID_AFTER", "2"),
        ("VERITY_WEBHOOK_INVALID_AFTER_FAILING_FOR", "1s"),
    ],
    |app| {
        let (api, rx, down, hid, user) = down_receiver_hooked(&app).await;
        let first = id(&api.session(&user).await);
        let second = id(&api.session(&user).await);
        let mut state = String::new();
        for _ in 0..200 {
            state = validity(&api, &hid).await;
            if state == "INVALID" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(state, "INVALID", "two failed events over more than a second");
        // An event while the hook is INVALID is kept, not sent.
        let third = id(&api.session(&user).await);
        let metrics = crate::metrics::metrics(&app).await;
        assert!(metrics.contains("verity_webhook_hooks_invalid 1\n"), "{metrics}");
        assert!(metrics.contains("verity_webhook_deliveries_paused 3\n"), "{metrics}");
        let deliveries = admin_get(&app, "/admin/v1/webhook-deliveries").await;
        let waiting = deliveries
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["ResourceId"] == third.as_str())
            .expect("a delivery is queued for the event")
            .clone();
        assert_eq!(
            (waiting["State"].as_str(), waiting["Attempts"].as_i64()),
            (Some("pending"), Some(0))
        );
        assert!(rx.all().iter().all(|r| r.resource() != third));
        // Re-validated, the three events are delivered.
        down.store(false, Ordering::SeqCst);
        let revalidated_at = std::time::Instant::now();
        let r = api
            .put(&format!("/hooks/{hid}"), json!({"Validity": "VALID"}))
            .await
            .json();
        assert_eq!(r["Validity"], "VALID");
        for s in [&first, &second, &third] {
            let got = rx
                .wait_for(1, Duration::from_secs(20), |r| {
                    r.resource() == s.as_str() && r.at > revalidated_at
                })
                .await;
            assert_eq!(got[0].event(), "IDENTITY_VERIFICATION_PENDING");
        }
    }
);

/// A hook whose receiver holds its first request until `release` is notified (answering the
/// others at once), and a session whose PENDING webhook is now held in flight.
async fn delivery_held_in_flight(app: &TestApp) -> (Receiver, Arc<Notify>, String) {
    let api = app.client().await;
    let release = Arc::new(Notify::new());
    let r2 = release.clone();
    let rx = Receiver::start(Arc::new(move |n| {
        if n == 0 {
            Answer::HoldUntil(r2.clone())
        } else {
            Answer::Status(200)
        }
    }))
    .await;
    api.post(
        "/hooks",
        json!({"EventType": "IDENTITY_VERIFICATION_PENDING", "Url": rx.url}),
    )
    .await;
    let user = api.natural_owner().await;
    let s = id(&api.session(&user).await);
    rx.wait_for(1, Duration::from_secs(10), |r| r.resource() == s).await;
    (rx, release, s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_when_the_server_is_killed_mid_delivery() {
    let app = sandbox_app(&[("VERITY_WEBHOOK_TIMEOUT", "1s")]).await;
    let (rx, release, s) = delivery_held_in_flight(&app).await;
    // SIGKILL while the delivery is in flight: no chance to record anything.
    let (db, env, client_id, api_key) = app.stop().await;
    release.notify_one();
    let restarted = TestApp::start(db, env, client_id, api_key).await;
    let got = rx.wait_for(2, Duration::from_secs(20), |r| r.resource() == s).await;
    assert_eq!(got[1].event(), "IDENTITY_VERIFICATION_PENDING");
    drop(restarted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_delivery_in_flight_finish_once() {
    let app = sandbox_app(&[("VERITY_WEBHOOK_TIMEOUT", "10s")]).await;
    let (rx, release, s) = delivery_held_in_flight(&app).await;
    // SIGTERM while the receiver holds the request; then the receiver answers.
    let releaser = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        release.notify_one();
    });
    let (status, db, env, client_id, api_key) = app.terminate().await;
    releaser.await.unwrap();
    assert!(status.success(), "a clean exit: {status:?}");
    // The attempt finished and was recorded before the exit: the next process has nothing to
    // send again.
    let restarted = TestApp::start(db, env, client_id, api_key).await;
    let deliveries = admin_get(&restarted, "/admin/v1/webhook-deliveries").await;
    let d = deliveries
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ResourceId"] == s.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (d["State"].as_str(), d["Attempts"].as_i64()),
        (Some("delivered"), Some(1))
    );
    assert_eq!(rx.all().iter().filter(|r| r.resource() == s).count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_webhooks_verify_with_standard_webhooks() {
    let app = sandbox_app(&[]).await;
    let out = verity()
        .args(["clients", "webhook-secret", &app.client_id])
        .env("VERITY_DATABASE_URL", &app.db.url)
        .env("VERITY_DATA_DIR", app.db.data_dir.path())
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(secret.starts_with("whsec_"));
    let api = app.client().await;
    let rx = Receiver::ok().await;
    api.post(
        "/hooks",
        json!({"EventType": "IDENTITY_VERIFICATION_PENDING", "Url": rx.url}),
    )
    .await;
    let user = api.natural_owner().await;
    let s = id(&api.session(&user).await);
    let got = rx.expect("IDENTITY_VERIFICATION_PENDING", &s).await;
    let wh = standardwebhooks::Webhook::new(&secret).unwrap();
    let mut headers = got.headers.clone();
    wh.verify(got.query.as_bytes(), &headers)
        .expect("signature verifies over the query string");
    // A tampered payload does not.
    assert!(
        wh.verify(got.query.replace("PENDING", "VALIDATED").as_bytes(), &headers)
            .is_err()
    );
    headers.insert("webhook-signature", "v1,AAAA".parse().unwrap());
    assert!(wh.verify(got.query.as_bytes(), &headers).is_err());
}
