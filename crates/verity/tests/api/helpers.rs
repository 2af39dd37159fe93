use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// PostgreSQL server used for tests; `none` skips the PostgreSQL variants explicitly.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("VERITY_TEST_DATABASE_URL") {
        Ok(v) if v == "none" => None,
        Ok(v) => Some(v),
        Err(_) => Some("postgres://postgres@127.0.0.1:5432/postgres".into()),
    }
}

/// A server on a fresh PostgreSQL database, for a test about PostgreSQL alone; `None` (said on
/// stderr) when `VERITY_TEST_DATABASE_URL=none`.
pub async fn postgres_app(env: &[(&str, &str)]) -> Option<TestApp> {
    if postgres_admin_url().is_none() {
        eprintln!("VERITY_TEST_DATABASE_URL=none: skipped");
        return None;
    }
    Some(TestApp::spawn(Backend::Postgres, env).await)
}

/// Runs `$body` (an async block using `app`) once per backend, as two tests.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, |$app:ident| $body:block) => {
        $crate::both_backends!($name, env = [], |$app| $body);
    };
    ($name:ident, env = [$(($k:expr, $v:expr)),* $(,)?], |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite, &[$(($k, $v)),*]).await;
                $body
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::helpers::postgres_admin_url().is_none() {
                    eprintln!("VERITY_TEST_DATABASE_URL=none: PostgreSQL variant skipped");
                    return;
                }
                let $app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres, &[$(($k, $v)),*]).await;
                $body
            }
        }
    };
}

pub struct Database {
    pub url: String,
    pub data_dir: tempfile::TempDir,
}

impl Database {
    pub async fn new(backend: Backend) -> Database {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let url = match backend {
            Backend::Sqlite => format!("sqlite://{}", data_dir.path().join("verity.db").display()),
            Backend::Postgres => {
                let admin = postgres_admin_url().expect("PostgreSQL URL");
                let name = format!("verity_test_{:016x}", rand_u64());
                sqlx::any::install_default_drivers();
                let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .unwrap_or_else(|e| {
                        panic!("cannot reach PostgreSQL at {admin} ({e}); set VERITY_TEST_DATABASE_URL")
                    });
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create database");
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
                format!("{base}/{name}")
            }
        };
        Database { url, data_dir }
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish()
}

pub fn verity() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_verity"));
    c.env_remove("RUST_LOG").env("VERITY_LOG_FORMAT", "text");
    for (k, _) in std::env::vars() {
        if k.starts_with("VERITY_") && k != "VERITY_TEST_DATABASE_URL" {
            c.env_remove(k);
        }
    }
    c
}

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub base: String,
    pub client_id: String,
    pub api_key: String,
    pub http: reqwest::Client,
    pub db: std::sync::Arc<Database>,
    pub env: Vec<(String, String)>,
    child: Child,
}

impl TestApp {
    /// Starts a server on a fresh database with an extra environment, and creates a sandbox
    /// client through the CLI.
    pub async fn spawn(backend: Backend, env: &[(&str, &str)]) -> TestApp {
        let db = std::sync::Arc::new(Database::new(backend).await);
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        // As an operator would: create the database, then the platform's client, then serve.
        migrate(&db, &env).await;
        let (client_id, api_key) = create_client(&db, &env, "Test platform", &[]).await;
        Self::start(db, env, client_id, api_key).await
    }

    /// Starts another server process on the same database.
    pub async fn start(
        db: std::sync::Arc<Database>,
        env: Vec<(String, String)>,
        client_id: String,
        api_key: String,
    ) -> TestApp {
        let mut cmd = verity();
        cmd.arg("serve")
            .env("VERITY_LISTEN", "127.0.0.1:0")
            .env("VERITY_DATABASE_URL", &db.url)
            .env("VERITY_DATA_DIR", db.data_dir.path())
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("start verity serve");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let base = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.expect("read stdout") {
                if let Some(addr) = line.strip_prefix("Verity listening on ") {
                    return addr.to_owned();
                }
            }
            panic!("verity serve exited before listening");
        })
        .await
        .expect("server did not start within 60 s");
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        TestApp {
            base,
            client_id,
            api_key,
            http: http_client(),
            db,
            env,
            child,
        }
    }

    /// Another server process on the same database, with the same settings.
    pub async fn another(&self) -> TestApp {
        Self::start(
            self.db.clone(),
            self.env.clone(),
            self.client_id.clone(),
            self.api_key.clone(),
        )
        .await
    }

    pub async fn stop(mut self) -> (std::sync::Arc<Database>, Vec<(String, String)>, String, String) {
        let _ = self.child.kill().await;
        let _ = self.child.wait().await;
        (
            self.db.clone(),
            self.env.clone(),
            self.client_id.clone(),
            self.api_key.clone(),
        )
    }

    /// Sends SIGTERM and waits for the process to exit (60 s at most).
    pub async fn terminate(
        mut self,
    ) -> (
        std::process::ExitStatus,
        std::sync::Arc<Database>,
        Vec<(String, String)>,
        String,
        String,
    ) {
        let pid = self.pid().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -TERM {pid}");
        let status = tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .expect("the server exits within 60 s of SIGTERM")
            .unwrap();
        (
            status,
            self.db.clone(),
            self.env.clone(),
            self.client_id.clone(),
            self.api_key.clone(),
        )
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("the server is running")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// `/v2.01/{ClientId}` + `path`.
    pub fn api(&self, path: &str) -> String {
        format!("{}/v2.01/{}{}", self.base, self.client_id, path)
    }

    pub async fn token_for(&self, client_id: &str, api_key: &str) -> String {
        let r = self
            .http
            .post(self.url("/v2.01/oauth/token"))
            .basic_auth(client_id, Some(api_key))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "token request failed");
        r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn token(&self) -> String {
        self.token_for(&self.client_id, &self.api_key).await
    }

    /// An API client with a fresh token of this app's client.
    pub async fn client(&self) -> Api {
        Api {
            http: self.http.clone(),
            token: self.token().await,
            prefix: self.api(""),
        }
    }
}

/// An HTTP client for tests (reqwest's TLS needs a crypto provider chosen once per process).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// `verity migrate` on the test's database (creating it).
pub async fn migrate(db: &Database, env: &[(String, String)]) {
    let out = verity()
        .arg("migrate")
        .env("VERITY_DATABASE_URL", &db.url)
        .env("VERITY_DATA_DIR", db.data_dir.path())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .await
        .expect("run verity migrate");
    assert!(
        out.status.success(),
        "migrate failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub async fn create_client(db: &Database, env: &[(String, String)], name: &str, extra: &[&str]) -> (String, String) {
    let out = verity()
        .args(["clients", "create", "--name", name, "--json"])
        .args(extra)
        .env("VERITY_DATABASE_URL", &db.url)
        .env("VERITY_DATA_DIR", db.data_dir.path())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .await
        .expect("run verity clients create");
    assert!(
        out.status.success(),
        "clients create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON credentials");
    (
        v["ClientId"].as_str().unwrap().to_owned(),
        v["ApiKey"].as_str().unwrap().to_owned(),
    )
}

/// Authenticated calls under `/v2.01/{ClientId}`.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub token: String,
    pub prefix: String,
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Api {
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.prefix, path))
            .bearer_auth(&self.token);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b.to_string());
        }
        let r = req.send().await.expect("request");
        Reply {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            text: r.text().await.unwrap(),
        }
    }
    pub async fn get(&self, path: &str) -> Reply {
        self.send(reqwest::Method::GET, path, None, &[]).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::POST, path, Some(body), &[]).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::PUT, path, Some(body), &[]).await
    }

    /// Creates a natural OWNER user through the legacy endpoint and returns its id.
    pub async fn natural_owner(&self) -> String {
        let r = self.post("/users/natural", natural_owner_body()).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()["Id"].as_str().unwrap().to_owned()
    }

    pub async fn session(&self, user_id: &str) -> Value {
        let r = self
            .post(
                &format!("/users/{user_id}/identity-verifications"),
                serde_json::json!({"ReturnUrl": "https://example.com/back", "Tag": "t"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()
    }
}

pub fn natural_owner_body() -> Value {
    serde_json::json!({
        "FirstName": "Alex", "LastName": "Smith", "Email": "alex.smith@example.com",
        "Birthday": 188352000, "Nationality": "FR", "CountryOfResidence": "FR",
        "TermsAndConditionsAccepted": true, "UserCategory": "OWNER"
    })
}

pub fn legal_owner_body(kind: &str) -> Value {
    serde_json::json!({
        "Name": "Alex Smith Services", "LegalPersonType": kind, "Email": "contact@example.com",
        "CompanyNumber": "123456789",
        "HeadquartersAddress": {"AddressLine1": "1 rue de la Paix", "City": "Paris", "PostalCode": "75002", "Country": "FR"},
        "LegalRepresentativeFirstName": "Alex", "LegalRepresentativeLastName": "Smith",
        "LegalRepresentativeEmail": "alex.smith@example.com", "LegalRepresentativeBirthday": 188352000,
        "LegalRepresentativeNationality": "FR", "LegalRepresentativeCountryOfResidence": "FR",
        "TermsAndConditionsAccepted": true, "UserCategory": "OWNER"
    })
}

pub const PARAM: &str = "One or several required parameters are missing or incorrect. An incorrect resource ID also raises this kind of error.";

/// Asserts a Mangopay error body: the given fields exactly, keys in Mangopay's order, a random
/// `Id`, and `Date` as a recent Unix time written as a float.
pub fn assert_error(reply: &Reply, status: u16, message: &str, kind: &str, errors: Value) {
    assert_eq!(reply.status, status, "{}", reply.text);
    let v = reply.json();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["Message", "Type", "Id", "Date", "errors"], "{}", reply.text);
    assert_eq!(v["Message"], message, "{}", reply.text);
    assert_eq!(v["Type"], kind);
    assert_eq!(v["errors"], errors, "{}", reply.text);
    let id = v["Id"].as_str().unwrap();
    assert_eq!(id.len(), 36, "error Id is a UUID: {id}");
    let date = v["Date"].as_f64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - date).abs() < 120.0, "Date {date} is not now");
    assert!(
        reply.text.contains(&format!("\"Date\":{}.0", date as i64)),
        "Date is written as a float: {}",
        reply.text
    );
}
