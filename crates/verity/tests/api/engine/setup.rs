//! Shared set-up: the fake face-match provider, the live platform, the CLI, and decisions.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use serde_json::{Value, json};
use verity_corpus::Date;

use crate::helpers::*;
use crate::receiver::Receiver;

pub const TODAY: Date = Date {
    year: 2026,
    month: 11,
    day: 25,
};
pub const DECIDED: [&str; 3] = [
    "IDENTITY_VERIFICATION_VALIDATED",
    "IDENTITY_VERIFICATION_FAILED",
    "IDENTITY_VERIFICATION_INCONCLUSIVE",
];

/// A face-match provider on loopback answering `pass`, `fail`, HTTP 503 (`down`), or `hold`:
/// a pass once [`FaceProvider::release`] is called.
pub struct FaceProvider {
    pub url: String,
    mode: Arc<Mutex<&'static str>>,
    pub(super) requests: Arc<Mutex<Vec<Value>>>,
    arrived: Arc<tokio::sync::Notify>,
    released: Arc<tokio::sync::Notify>,
}

impl FaceProvider {
    pub async fn start() -> FaceProvider {
        let mode = Arc::new(Mutex::new("pass"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(tokio::sync::Notify::new());
        let released = Arc::new(tokio::sync::Notify::new());
        let (m, r, a, rel) = (mode.clone(), requests.clone(), arrived.clone(), released.clone());
        let app = Router::new().route(
            "/face-match",
            post(move |body: axum::Json<Value>| {
                let (m, r, a, rel) = (m.clone(), r.clone(), a.clone(), rel.clone());
                async move {
                    r.lock().unwrap().push(body.0);
                    a.notify_one();
                    let mode = *m.lock().unwrap();
                    if mode == "hold" {
                        rel.notified().await;
                    }
                    match mode {
                        "hold" => (
                            axum::http::StatusCode::OK,
                            axum::Json(json!({"outcome": "pass", "score": 0.97})),
                        ),
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
        FaceProvider {
            url,
            mode,
            requests,
            arrived,
            released,
        }
    }

    /// Waits for the next request to arrive.
    pub(super) async fn next_request(&self) {
        tokio::time::timeout(Duration::from_secs(120), self.arrived.notified())
            .await
            .expect("the provider was called within 120 s");
    }

    /// Answers a held request.
    pub(super) fn release(&self) {
        self.released.notify_one();
    }

    pub(super) fn set(&self, mode: &'static str) {
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
    cli_with(&app.db, &app.env, args).await
}

/// Runs a `verity` command on a database with an environment: (success, stdout, stderr).
pub async fn cli_with(db: &Database, env: &[(String, String)], args: &[&str]) -> (bool, String, String) {
    let out = verity()
        .args(args)
        .env("VERITY_DATABASE_URL", &db.url)
        .env("VERITY_DATA_DIR", db.data_dir.path())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Waits for the engine's decision webhook, then returns the session as the API shows it.
pub async fn decision(api: &Api, receiver: &Receiver, session: &str) -> Value {
    decision_within(api, receiver, session, Duration::from_secs(120)).await
}

/// [`decision`], waiting up to `within`.
pub async fn decision_within(api: &Api, receiver: &Receiver, session: &str, within: Duration) -> Value {
    receiver
        .wait_for(1, within, |r| r.resource() == session && DECIDED.contains(&r.event()))
        .await;
    api.get(&format!("/identity-verifications/{session}")).await.json()
}

/// `[(Type, CheckStatus, first reason Type)]` of a session body.
pub(super) fn checks(session: &Value) -> Vec<(String, String, String)> {
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

pub(super) fn expect_checks(session: &Value, status: &str, expected: &[(&str, &str, &str)]) {
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

pub(super) const IDV: &str = "IDENTITY_DOCUMENT_VERIFICATION";
pub(super) const NAME: &str = "IDV_NAME_MATCH_CHECK";
pub(super) const AGE: &str = "IDV_AGE_CHECK";
