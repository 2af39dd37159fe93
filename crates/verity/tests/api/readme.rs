//! README.md's Node and Python snippets, extracted and run as pasted against a live server with
//! the official SDKs from npm and PyPI (installed by tests/sdk/setup.sh), so that they cannot rot.

use std::path::{Path, PathBuf};

use crate::helpers::*;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The first fenced block of `language` after the line starting with `marker`.
fn snippet(marker: &str, language: &str) -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let after = &readme[readme.find(marker).unwrap_or_else(|| panic!("README has no {marker}"))..];
    let fence = format!("```{language}\n");
    let start = after.find(&fence).unwrap() + fence.len();
    let end = start + after[start..].find("\n```").unwrap();
    after[start..end].to_owned() + "\n"
}

async fn run(program: &Path, file: &Path, app: &TestApp) -> String {
    let out = tokio::process::Command::new(program)
        .arg(file)
        .env("VERITY_URL", &app.base)
        .env("VERITY_CLIENT_ID", &app.client_id)
        .env("VERITY_API_KEY", &app.api_key)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(std::time::Duration::from_secs(120), out)
        .await
        .expect("the snippet finished within 120 s")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{} failed\n--- stdout\n{stdout}\n--- stderr\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// What both programs print: the HostedUrl, then the outcome their receiver got.
fn assert_quickstart(stdout: &str, app: &TestApp) {
    let hosted = stdout
        .lines()
        .find_map(|l| l.strip_prefix("HostedUrl: "))
        .unwrap_or_else(|| panic!("no HostedUrl printed:\n{stdout}"));
    assert!(hosted.starts_with(&format!("{}/verify/", app.base)), "{hosted}");
    assert!(
        stdout.contains("webhook: IDENTITY_VERIFICATION_VALIDATED idnver_"),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with("outcome: IDENTITY_VERIFICATION_VALIDATED"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_snippet_runs_as_pasted() {
    let node_dir = repo().join("tests/sdk/node");
    assert!(
        node_dir.join("node_modules/mangopay4-nodejs-sdk").exists(),
        "Node SDKs missing: run tests/setup.sh first"
    );
    let app = TestApp::spawn(Backend::Sqlite, &[("VERITY_SANDBOX_DELAY", "1s")]).await;
    // Beside the installed SDK, as a developer's project would have it.
    let dir = tempfile::tempdir_in(&node_dir).unwrap();
    let file = dir.path().join("quickstart.js");
    std::fs::write(&file, snippet("**Node**", "js")).unwrap();
    let stdout = run(Path::new("node"), &file, &app).await;
    assert_quickstart(&stdout, &app);
    // Run again, as a developer would: the hooks are pointed anew, not duplicated.
    let again = run(Path::new("node"), &file, &app).await;
    assert_quickstart(&again, &app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_snippet_runs_as_pasted() {
    let python = repo().join("tests/sdk/python/.venv4/bin/python");
    assert!(python.exists(), "Python SDK missing: run tests/setup.sh first");
    let app = TestApp::spawn(Backend::Sqlite, &[("VERITY_SANDBOX_DELAY", "1s")]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("quickstart.py");
    std::fs::write(&file, snippet("**Python**", "python")).unwrap();
    let stdout = run(&python, &file, &app).await;
    assert_quickstart(&stdout, &app);
    let again = run(&python, &file, &app).await;
    assert_quickstart(&again, &app);
}
