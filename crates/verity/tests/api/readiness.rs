//! `/readyz` for a load balancer: ready while the database answers with this binary's schema and
//! the blob store answers; not ready (503, saying which) when either cannot be reached, and
//! ready again once they can. `/healthz` (the process is alive) stays 200 throughout.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;

async fn probe(app: &TestApp, path: &str) -> (u16, Value) {
    let r = reqwest::get(format!("{}{path}", app.base)).await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Polls until `/readyz` answers `status` (a pool reconnects on its own schedule), or panics.
async fn until(app: &TestApp, status: u16) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (s, body) = probe(app, "/readyz").await;
        if s == status {
            return body;
        }
        assert!(tokio::time::Instant::now() < deadline, "/readyz stayed {s}: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn all_ok() -> Value {
    json!({"status": "ready", "checks": {"database": "ok", "schema": "ok", "blobs": "ok"}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_blob_store() {
    let app = TestApp::spawn(Backend::Sqlite, &[]).await;
    assert_eq!(probe(&app, "/readyz").await, (200, all_ok()));
    // The blob folder replaced by a file: the store cannot be read.
    let blobs = app.db.data_dir.path().join("blobs");
    let aside = app.db.data_dir.path().join("blobs-aside");
    std::fs::rename(&blobs, &aside).unwrap();
    std::fs::write(&blobs, b"not a folder").unwrap();
    let body = until(&app, 503).await;
    assert_eq!(body["status"], "not ready");
    assert_eq!(body["checks"]["blobs"], "unreachable");
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(
        reqwest::get(format!("{}/healthz", app.base)).await.unwrap().status(),
        200
    );
    std::fs::remove_file(&blobs).unwrap();
    std::fs::rename(&aside, &blobs).unwrap();
    assert_eq!(until(&app, 200).await, all_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_while_the_database_is_down() {
    let Some(admin) = postgres_admin_url() else {
        return;
    };
    let app = TestApp::spawn(Backend::Postgres, &[]).await;
    assert_eq!(probe(&app, "/readyz").await, (200, all_ok()));
    let name = app.db.url.rsplit('/').next().unwrap().to_owned();
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
        .await
        .unwrap();
    let run = |sql: String| sqlx::raw_sql(sqlx::AssertSqlSafe(sql));
    // The database refuses connections and drops the server's: as good as down for Verity.
    run(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .execute(&mut conn)
        .await
        .unwrap();
    run(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    let body = until(&app, 503).await;
    assert_eq!(body["checks"]["database"], "unreachable", "{body}");
    assert_eq!(body["checks"]["blobs"], "ok");
    assert_eq!(
        reqwest::get(format!("{}/healthz", app.base)).await.unwrap().status(),
        200
    );
    run(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(until(&app, 200).await, all_ok());
}

/// Every answer names its request (`X-Request-Id`, in the logs' `request_id` too): a platform's
/// own plain id is kept so it can follow its call; anything else is replaced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_names_its_request() {
    let app = TestApp::spawn(Backend::Sqlite, &[]).await;
    let id_of = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let plain = app.http.get(format!("{}/healthz", app.base)).send().await.unwrap();
    let first = id_of(&plain);
    assert!(first.starts_with("req_") && first.len() == 30, "{first}");
    let again = id_of(&app.http.get(format!("{}/healthz", app.base)).send().await.unwrap());
    assert_ne!(first, again, "each request its own id");
    let kept = app
        .http
        .get(format!("{}/v2.01/nobody/users/nothing", app.base))
        .header("x-request-id", "platform-call-42")
        .send()
        .await
        .unwrap();
    assert_eq!(id_of(&kept), "platform-call-42");
    for hostile in ["a".repeat(65), "two words".to_owned(), "{\"json\":1}".to_owned()] {
        let r = app
            .http
            .get(format!("{}/healthz", app.base))
            .header("x-request-id", hostile.as_str())
            .send()
            .await
            .unwrap();
        assert!(id_of(&r).starts_with("req_"), "{hostile} replaced");
    }
}
