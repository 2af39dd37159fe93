//! `verity backup` while the server runs, `verity restore` into an empty folder, and a server on
//! the restored folder: every session reads back through the API and every document through the
//! console, decrypted with the master key the operator kept apart.

use std::sync::Arc;

use super::setup::*;
use crate::engine::*;
use crate::helpers::*;
use crate::receiver::Receiver;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_restores_every_session_and_document() {
    round_trip(Backend::Sqlite).await;
}

/// On PostgreSQL: `pg_dump` as `verity backup` says, `pg_restore` into a new database, then
/// `verity restore` brings the documents back and checks the key opens the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_backup_restores_with_pg_restore_and_verity_restore() {
    if postgres_admin_url().is_none() {
        eprintln!("VERITY_TEST_DATABASE_URL=none: skipped");
        return;
    }
    round_trip(Backend::Postgres).await;
}

async fn round_trip(backend: Backend) {
    let receiver = Receiver::ok().await;
    let env = [("VERITY_WEBHOOK_ALLOW_PRIVATE", "true")];
    let app = TestApp::spawn(backend, &env).await;
    let (client, secret, _, sessions) = live_platform_with_decided_sessions(&app, &receiver, &[3, 4]).await;

    // The backup, taken while the server serves; never over an existing folder; no key in it.
    let folder = tempfile::tempdir().unwrap();
    let to = folder.path().join("backup");
    let to_arg = to.to_string_lossy().into_owned();
    let (ok, out, err) = cli(&app, &["backup", "--to", &to_arg]).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("the master key is not in the backup"), "{out}");
    assert!(!to.join("master.key").exists());
    let pgdump = to.join("verity.pgdump");
    if backend == Backend::Sqlite {
        assert!(to.join("verity.db").is_file());
    } else {
        // The line it prints, run as an operator would.
        assert!(
            out.contains(&format!("pg_dump --format=custom --file={}", pgdump.display())),
            "{out}"
        );
        let dumped = std::process::Command::new("pg_dump")
            .args(["--format=custom", &format!("--file={}", pgdump.display()), &app.db.url])
            .output()
            .unwrap();
        assert!(dumped.status.success(), "{}", String::from_utf8_lossy(&dumped.stderr));
    }
    let (again, _, err) = cli(&app, &["backup", "--to", &to_arg]).await;
    assert!(!again && err.contains("already exists"), "{err}");

    // The restore: into an empty folder only, with the key kept apart.
    let key = app.db.data_dir.path().join("master.key");
    let restored_dir = tempfile::tempdir().unwrap();
    let restored_url = match backend {
        Backend::Sqlite => format!("sqlite://{}", restored_dir.path().join("verity.db").display()),
        Backend::Postgres => {
            let fresh = Database::new(Backend::Postgres).await;
            let out = std::process::Command::new("pg_restore")
                .args([
                    "--no-owner",
                    &format!("--dbname={}", fresh.url),
                    &pgdump.to_string_lossy(),
                ])
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            fresh.url.clone()
        }
    };
    let restore = |dir: &std::path::Path| {
        let mut c = verity();
        c.args(["restore", "--from", &to_arg])
            .env("VERITY_DATA_DIR", dir)
            .env("VERITY_MASTER_KEY_FILE", &key);
        if backend == Backend::Postgres {
            c.env("VERITY_DATABASE_URL", &restored_url);
        }
        c
    };
    let out = restore(restored_dir.path()).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let twice = restore(restored_dir.path()).output().await.unwrap();
    assert!(!twice.status.success());
    assert!(String::from_utf8_lossy(&twice.stderr).contains("restore only into an empty data folder"));

    // A server on the restored folder: the sessions as they were, the documents readable.
    let (client_id, api_key) = (app.client_id.clone(), app.api_key.clone());
    let key_env = key.to_string_lossy().into_owned();
    let restored_db = Arc::new(Database {
        url: restored_url.clone(),
        data_dir: restored_dir,
    });
    let restored_env = vec![
        ("VERITY_WEBHOOK_ALLOW_PRIVATE".to_owned(), "true".to_owned()),
        ("VERITY_MASTER_KEY_FILE".to_owned(), key_env),
    ];
    let restored = TestApp::start(restored_db, restored_env, client_id, api_key).await;
    let api = Api {
        http: restored.http.clone(),
        token: restored.token_for(&client, &secret).await,
        prefix: restored.url(&format!("/v2.01/{client}")),
    };
    for (id, decided) in &sessions {
        let read = api.get(&format!("/identity-verifications/{id}")).await.json();
        assert_eq!(
            (&read["Status"], &read["Checks"]),
            (&decided["Status"], &decided["Checks"])
        );
    }
    add_staff(&restored, "rita", "Rita Reviewer", "reviewer", &[]).await;
    let rita = Browser::new(&restored);
    rita.sign_in("rita", &password("rita"), "").await;
    for (id, decided) in &sessions {
        let url = format!("/console/clients/{client}/sessions/{id}");
        let page = rita.get(&url).await;
        assert_eq!(page.status, 200);
        assert!(page.text().contains(decided["Status"].as_str().unwrap()));
        for slot in ["front", "selfie"] {
            let file = rita.get(&format!("{url}/files/{slot}")).await;
            assert_eq!(file.status, 200, "{id} {slot}");
            assert!(image::load_from_memory(&file.body).is_ok(), "{id} {slot} decrypts");
        }
    }
}
