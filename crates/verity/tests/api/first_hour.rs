//! What a developer meets in the first hour: commands that name their database and never create
//! an empty one by mistake, configuration errors in plain words, a start banner and a home page
//! that say where things are, `serve --listen`, logs without colour codes when not a terminal.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncBufReadExt;

use crate::helpers::*;

/// Runs `verity ARGS` in `dir` with `env`; (status code, stdout, stderr).
async fn run_in(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = verity()
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .output()
        .await
        .expect("run verity");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn commands_other_than_serve_and_migrate_never_create_a_database() {
    let elsewhere = tempfile::tempdir().unwrap();
    for args in [
        &["staff", "list"][..],
        &["clients", "list"],
        &["clients", "create", "--name", "Acme"],
        &["sessions", "evidence", "idnver_01M8MAJ409AXDXN8S36WXPTZ5Z"],
    ] {
        let (code, stdout, stderr) = run_in(elsewhere.path(), args, &[]).await;
        assert_eq!(code, 1, "{args:?}: {stdout}{stderr}");
        assert!(
            stderr.contains("there is no Verity database at ./data/verity.db") && stderr.contains("verity migrate"),
            "{args:?}: {stderr}"
        );
        assert!(!elsewhere.path().join("data").exists(), "{args:?} created ./data");
    }
    // `migrate` creates it, says which, and then the other commands name it and work.
    let (code, stdout, stderr) = run_in(elsewhere.path(), &["migrate"], &[]).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim(), "database sqlite://./data/verity.db is up to date");
    let (code, stdout, stderr) = run_in(elsewhere.path(), &["clients", "list"], &[]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("database: sqlite://./data/verity.db"), "{stderr}");
    assert!(
        !stdout.contains("database:"),
        "the database line stays off standard output"
    );
    // A PostgreSQL database without Verity's tables is refused the same way, untouched.
    if postgres_admin_url().is_some() {
        let db = Database::new(Backend::Postgres).await;
        let (code, _, stderr) = run_in(
            elsewhere.path(),
            &["clients", "list"],
            &[("VERITY_DATABASE_URL", &db.url)],
        )
        .await;
        assert_eq!(code, 1, "{stderr}");
        assert!(stderr.contains("holds no Verity data"), "{stderr}");
    }
}

#[tokio::test]
async fn configuration_errors_say_what_is_wrong_in_plain_words() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run_in(dir.path(), &["migrate"], &[("VERITY_LISTEN", "8080")]).await;
    assert_eq!(code, 2);
    assert_eq!(
        stderr.trim(),
        "error: VERITY_LISTEN=8080 is a port alone: give an address and a port, such as 127.0.0.1:8080 (this machine only) or 0.0.0.0:8080 (every interface)"
    );
    let (code, _, stderr) = run_in(dir.path(), &["migrate"], &[("VERITY_WEBHOOK_INVALID_AFTER", "many")]).await;
    assert_eq!(code, 2);
    assert!(
        stderr.contains("VERITY_WEBHOOK_INVALID_AFTER must be") && !stderr.contains("for key"),
        "{stderr}"
    );
    let (code, _, stderr) = run_in(dir.path(), &["serve", "--listen", "localhost"], &[]).await;
    assert_eq!(code, 1);
    assert!(
        stderr.contains("--listen=localhost is not an address and a port"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_banner_and_the_home_page_say_where_things_are() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = verity()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let done = line.trim_start().starts_with("Stop");
            banner.push(line);
            if done {
                return;
            }
        }
        panic!("the server exited before its banner: {banner:?}");
    })
    .await
    .expect("banner within 60 s");
    let listening = banner
        .iter()
        .find_map(|l| l.strip_prefix("Verity listening on "))
        .unwrap()
        .to_owned();
    let text = banner.join("\n");
    for expected in [
        format!("{listening}/v2.01/{{ClientId}}"),
        format!("{listening}/openapi.json"),
        format!("{listening}/console"),
        "verity staff add".to_owned(),
        "sqlite://./data/verity.db".to_owned(),
    ] {
        assert!(text.contains(&expected), "banner lacks {expected}:\n{text}");
    }
    let home = http_client().get(format!("{listening}/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    assert!(
        home.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let page = home.text().await.unwrap();
    for link in ["href=\"/openapi.json\"", "href=\"/console\"", "verity staff add"] {
        assert!(page.contains(link), "home page lacks {link}");
    }
    child.start_kill().unwrap();
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("INFO"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no colour codes in logs that are not a terminal"
    );
}
