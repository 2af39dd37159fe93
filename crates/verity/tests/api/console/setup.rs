//! Shared set-up: a browser-like client, staff accounts, and a platform with sessions in review.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use serde_json::json;
use verity_corpus::{Date, Flaw, Kind};

use crate::engine::*;
use crate::helpers::*;
use crate::hosted::png;
use crate::receiver::Receiver;

/// A browser-like client of the console: keeps its cookies, follows nothing.
#[derive(Clone)]
pub(super) struct Browser {
    pub(super) http: reqwest::Client,
    base: String,
    cookies: Arc<std::sync::Mutex<HashMap<String, String>>>,
}

pub(super) struct Page {
    pub(super) status: u16,
    pub(super) location: String,
    pub(super) headers: reqwest::header::HeaderMap,
    pub(super) body: Vec<u8>,
}

impl Page {
    pub(super) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The value of the first hidden `csrf` field.
    pub(super) fn csrf(&self) -> String {
        let text = self.text();
        let at = text.find("name=\"csrf\" value=\"").expect("a csrf field") + "name=\"csrf\" value=\"".len();
        text[at..].split('"').next().unwrap().to_owned()
    }
}

impl Browser {
    pub(super) fn new(app: &TestApp) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.base.clone(),
            cookies: Arc::default(),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Page {
        let cookie: String = self
            .cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let r = request.header("cookie", cookie).send().await.unwrap();
        for set in r.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (kv, _) = set.split_once(';').unwrap_or((set, ""));
            let (k, v) = kv.split_once('=').unwrap();
            let mut jar = self.cookies.lock().unwrap();
            if v.is_empty() || set.contains("Max-Age=0") {
                jar.remove(k);
            } else {
                jar.insert(k.to_owned(), v.to_owned());
            }
        }
        Page {
            status: r.status().as_u16(),
            location: r
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned())
                .unwrap_or_default(),
            headers: r.headers().clone(),
            body: r.bytes().await.unwrap().to_vec(),
        }
    }

    pub(super) async fn get(&self, path: &str) -> Page {
        self.send(self.http.get(format!("{}{path}", self.base))).await
    }

    pub(super) async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(self.http.post(format!("{}{path}", self.base)).form(form))
            .await
    }

    pub(super) async fn sign_in(&self, username: &str, password: &str, code: &str) -> Page {
        let form = self.get("/console/login").await;
        let csrf = form.csrf();
        self.post(
            "/console/login",
            &[
                ("csrf", &csrf),
                ("username", username),
                ("password", password),
                ("code", code),
            ],
        )
        .await
    }
}

pub(super) async fn add_staff(app: &TestApp, username: &str, name: &str, role: &str, extra: &[&str]) -> String {
    use tokio::io::AsyncWriteExt;
    let mut child = verity()
        .args(["staff", "add", "--username", username, "--name", name, "--role", role])
        .args(extra)
        .env("VERITY_DATABASE_URL", &app.db.url)
        .env("VERITY_DATA_DIR", app.db.data_dir.path())
        .envs(app.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{username} has a long password\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A live platform whose legal users' companies no registry knows, so their sessions wait in
/// REVIEW with their images: one per `(seed, company number)`.
pub(super) async fn platform_with_reviews(
    backend: Backend,
    env: &[(&str, &str)],
    cases: &[(u64, &str)],
) -> (TestApp, Api, String, Receiver, FaceProvider, Vec<String>) {
    let Live {
        app,
        api,
        client,
        receiver,
        face,
    } = live_platform(backend, env).await;
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
    let mut sessions = Vec::new();
    for &(seed, number) in cases {
        let company = Company {
            kind: "BUSINESS",
            country: "GB",
            number,
            name: "Unlisted Trading Ltd",
        };
        let pages = photos(
            Kind::Passport,
            identity(seed, "DUBOIS", "MARIE", born, "FRA"),
            Flaw::None,
            seed,
        );
        let s = submit_legal(
            &app,
            &api,
            &company,
            &marie,
            &[("Marie", "Dubois")],
            ("PASSPORT", "FR"),
            &pages,
            seed,
        )
        .await;
        assert_eq!(decision(&api, &receiver, &s).await["Status"], "REVIEW");
        sessions.push(s);
    }
    (app, api, client, receiver, face, sessions)
}

pub(super) fn password(username: &str) -> String {
    format!("{username} has a long password")
}

/// A KYC document and a UBO declaration of `user`, submitted, waiting for a reviewer.
pub(super) async fn documents_for_review(api: &Api, user: &str) -> (String, String) {
    let doc = api
        .post(
            &format!("/users/{user}/kyc/documents"),
            json!({"Type": "REGISTRATION_PROOF"}),
        )
        .await
        .json()["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = base64::engine::general_purpose::STANDARD.encode(png(600, 800));
    let added = api
        .post(
            &format!("/users/{user}/kyc/documents/{doc}/pages"),
            json!({"File": page}),
        )
        .await;
    assert_eq!(added.status, 204);
    let submitted = api
        .put(
            &format!("/users/{user}/kyc/documents/{doc}"),
            json!({"Status": "VALIDATION_ASKED"}),
        )
        .await;
    assert_eq!(submitted.json()["Status"], "VALIDATION_ASKED");
    let decl = api
        .post(&format!("/users/{user}/kyc/ubodeclarations"), json!({}))
        .await
        .json()["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ubo = json!({
        "FirstName": "Zoe", "LastName": "Unlisted",
        "Address": {"AddressLine1": "1 rue de la Paix", "City": "Paris", "PostalCode": "75002", "Country": "FR"},
        "Nationality": "FR", "Birthday": 188_301_600, "Birthplace": {"City": "Paris", "Country": "FR"}
    });
    let added = api
        .post(&format!("/users/{user}/kyc/ubodeclarations/{decl}/ubos"), ubo)
        .await;
    assert_eq!(added.status, 200);
    api.put(
        &format!("/users/{user}/kyc/ubodeclarations/{decl}"),
        json!({"Status": "VALIDATION_ASKED"}),
    )
    .await;
    (doc, decl)
}

/// The id of the user a session verifies.
pub(super) async fn user_of(api: &Api, session: &str) -> String {
    api.get(&format!("/identity-verifications/{session}")).await.json()["UserId"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A live platform on `app` with hooks for the decisions to `receiver`, and one decided natural
/// session with photos (passport and selfie) per selfie seed: `(client, secret, api, sessions
/// with their decided view)`.
pub(super) async fn live_platform_with_decided_sessions(
    app: &TestApp,
    receiver: &Receiver,
    seeds: &[u64],
) -> (String, String, Api, Vec<(String, serde_json::Value)>) {
    let (client, secret) = create_client(&app.db, &app.env, "Live platform", &["--environment", "production"]).await;
    let api = Api {
        http: app.http.clone(),
        token: app.token_for(&client, &secret).await,
        prefix: app.url(&format!("/v2.01/{client}")),
    };
    for event in DECIDED {
        let hook = api
            .post("/hooks", serde_json::json!({"EventType": event, "Url": receiver.url}))
            .await;
        assert_eq!(hook.status, 200, "{}", hook.text);
    }
    let mut sessions = Vec::new();
    for &seed in seeds {
        let s = submit_natural_with_selfie(
            app,
            &api,
            &ALEX,
            ("PASSPORT", "GB"),
            &alex_passport(),
            verity_corpus::selfie(seed),
        )
        .await;
        let decided = decision(&api, receiver, &s).await;
        sessions.push((s, decided));
    }
    (client, secret, api, sessions)
}
