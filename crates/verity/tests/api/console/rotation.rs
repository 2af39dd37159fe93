//! `verity keys rotate` while servers run: killed half-way, every process still reads
//! everything (either key opens it); resumed, it ends with every value sealed under the new key,
//! the key file replaced, the documents still decrypting, and the old key refused.

use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};

use tokio::io::{AsyncBufReadExt, BufReader};

use super::setup::*;
use crate::engine::*;
use crate::helpers::*;
use crate::receiver::Receiver;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_killed_half_way_resumes_and_retires_the_old_key_on_sqlite() {
    rotation(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_killed_half_way_resumes_and_retires_the_old_key_on_postgres() {
    if postgres_admin_url().is_none() {
        eprintln!("VERITY_TEST_DATABASE_URL=none: skipped");
        return;
    }
    rotation(Backend::Postgres).await;
}

/// What the API and the console show of everything sealed: users, sessions (their checks) and
/// the documents' bytes.
async fn everything(app: &TestApp, api: &Api, users: &[String], sessions: &[String], client: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for user in users {
        let r = api.get(&format!("/users/{user}")).await;
        assert_eq!(r.status, 200, "user {user}: {}", r.text);
        seen.push(r.text);
    }
    static READERS: AtomicU32 = AtomicU32::new(0);
    let name = format!("reader{}", READERS.fetch_add(1, Ordering::Relaxed));
    add_staff(app, &name, "Rita Reviewer", "reviewer", &[]).await;
    let rita = Browser::new(app);
    rita.sign_in(&name, &password(&name), "").await;
    for id in sessions {
        let r = api.get(&format!("/identity-verifications/{id}")).await;
        assert_eq!(r.status, 200, "session {id}: {}", r.text);
        seen.push(r.json()["Checks"].to_string());
        let url = format!("/console/clients/{client}/sessions/{id}");
        for slot in ["front", "selfie"] {
            let file = rita.get(&format!("{url}/files/{slot}")).await;
            assert_eq!(file.status, 200, "{id} {slot}");
            // Served with the viewer's watermark: the same picture, not the same bytes.
            let picture = image::load_from_memory(&file.body).unwrap_or_else(|e| panic!("{id} {slot}: {e}"));
            seen.push(format!("{slot}:{}x{}", picture.width(), picture.height()));
        }
    }
    seen
}

async fn status(app: &TestApp) -> String {
    let (ok, out, err) = cli(app, &["keys", "status"]).await;
    assert!(ok, "{err}");
    out
}

async fn rotation(backend: Backend) {
    let receiver = Receiver::ok().await;
    let env = [("VERITY_WEBHOOK_ALLOW_PRIVATE", "true")];
    let app = TestApp::spawn(backend, &env).await;
    // Sessions with photos (blob keys, evidence, checks), a TOTP secret, and enough users for
    // the sweep to take many batches.
    let (client, _, api, decided) = live_platform_with_decided_sessions(&app, &receiver, &[3, 4]).await;
    let sessions: Vec<String> = decided.into_iter().map(|(id, _)| id).collect();
    add_staff(&app, "tom", "Tom Twofactor", "reviewer", &["--totp"]).await;
    let mut users = Vec::new();
    for _ in 0..20 {
        users.push(api.natural_owner().await);
    }
    let (ok, _, err) = cli(
        &app,
        &[
            "fill",
            "--sessions",
            "600",
            "--users",
            "300",
            "--client",
            "sandbox",
            "--yes-fill-this-database",
        ],
    )
    .await;
    assert!(ok, "{err}");
    let before = everything(&app, &api, &users, &sessions, &client).await;
    let key_file = app.db.data_dir.path().join("master.key");
    let old_key = std::fs::read_to_string(&key_file).unwrap();
    let old_id = status(&app)
        .await
        .lines()
        .next()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_owned();

    // A second server, so the rotation has two processes to wait for.
    let second = app.another().await;

    // The rotation, killed once it has re-sealed its first batch.
    let mut rotate = verity()
        .args(["keys", "rotate", "--batch", "5"])
        .env("VERITY_DATABASE_URL", &app.db.url)
        .env("VERITY_DATA_DIR", app.db.data_dir.path())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(rotate.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        printed.push(line.clone());
        if line.contains("re-sealed") {
            rotate.start_kill().unwrap();
            break;
        }
    }
    rotate.wait().await.unwrap();
    assert!(
        printed
            .iter()
            .any(|l| l.contains("loaded by every running process (2)")),
        "the rotation waited for both servers: {printed:?}"
    );
    let halfway = status(&app).await;
    assert!(halfway.contains("rotation in progress    to"), "{halfway}");
    let left: u64 = halfway
        .lines()
        .find_map(|l| l.strip_prefix("values under other keys "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(left > 0, "killed before the sweep ended: {halfway}");
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap(),
        old_key,
        "the key file is replaced only at the end"
    );

    // Half-way, both servers read everything, and so does a new one started with the old key.
    let third = app.another().await;
    for server in [&app, &second, &third] {
        assert_eq!(
            everything(server, &api_on(server, &api, &client), &users, &sessions, &client).await,
            before
        );
    }
    let written_halfway = api.natural_owner().await;

    // Resumed: it ends.
    let (ok, out, err) = cli(&app, &["keys", "rotate", "--batch", "50"]).await;
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("rotated: every value is sealed under the master key"),
        "{out}"
    );
    let new_key = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(new_key, old_key);
    assert!(!app.db.data_dir.path().join("master.key.next").exists());
    let done = status(&app).await;
    assert!(done.contains("rotation in progress    none"), "{done}");
    assert!(done.contains("values under other keys 0"), "{done}");
    assert!(!done.contains(&old_id), "{done}");

    // The running servers carry on; restarted, they read the new key file.
    assert_eq!(
        everything(&second, &api_on(&second, &api, &client), &users, &sessions, &client).await,
        before
    );
    drop(third);
    drop(second);
    let (db, env, client_id, api_key) = app.stop().await;
    let restarted = TestApp::start(db.clone(), env.clone(), client_id.clone(), api_key.clone()).await;
    let on = api_on(&restarted, &api, &client);
    assert_eq!(everything(&restarted, &on, &users, &sessions, &client).await, before);
    assert_eq!(on.get(&format!("/users/{written_halfway}")).await.status, 200);

    // The old key opens nothing any more: refused with words that say why.
    let refused = verity()
        .args(["migrate"])
        .env("VERITY_DATABASE_URL", &db.url)
        .env("VERITY_DATA_DIR", db.data_dir.path())
        .env("VERITY_MASTER_KEY", old_key.trim())
        .output()
        .await
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("after a rotation, use the new key"), "{said}");
}

fn api_on(server: &TestApp, api: &Api, client: &str) -> Api {
    Api {
        http: server.http.clone(),
        token: api.token.clone(),
        prefix: server.url(&format!("/v2.01/{client}")),
    }
}

/// With the key in VERITY_MASTER_KEY, the command cannot replace a file: it asks where to write
/// the new key, and then says how to configure it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_key_in_the_environment_the_new_key_goes_to_a_named_file() {
    let key = "Zm9yIHRoZSB0ZXN0IG9ubHk6IG5vdCBhIHJlYWwhISE=";
    let app = TestApp::spawn(Backend::Sqlite, &[("VERITY_MASTER_KEY", key)]).await;
    let user = app.client().await.natural_owner().await;
    let (ok, out, err) = cli(&app, &["keys", "rotate"]).await;
    assert!(!ok, "{out}");
    assert!(err.contains("give --new-key-file FILE"), "{err}");

    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("new.key");
    let (ok, out, err) = cli(&app, &["keys", "rotate", "--new-key-file", &file.to_string_lossy()]).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("set VERITY_MASTER_KEY to the key in"), "{out}");
    let new_key = std::fs::read_to_string(&file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the new key is readable by its owner only");
    }

    // The running server carries on; restarted with the new key it reads the user; the old key
    // is refused.
    let api = app.client().await;
    assert_eq!(api.get(&format!("/users/{user}")).await.status, 200);
    let (db, mut env, client_id, api_key) = app.stop().await;
    let (ok, _, err) = cli_with(&db, &env, &["clients", "list"]).await;
    assert!(!ok && err.contains("after a rotation, use the new key"), "{err}");
    env.retain(|(k, _)| k != "VERITY_MASTER_KEY");
    env.push(("VERITY_MASTER_KEY".into(), new_key.trim().to_owned()));
    let restarted = TestApp::start(db, env, client_id, api_key).await;
    assert_eq!(
        restarted.client().await.get(&format!("/users/{user}")).await.status,
        200
    );
}
