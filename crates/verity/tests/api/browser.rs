//! The hosted pages in a real browser: Debian's Chromium driven by playwright-core, with axe-core
//! on every step (tests/browser, run by node's test runner against a real server).

use std::path::PathBuf;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_flows_in_chromium() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "browser test packages missing: run tests/setup.sh first"
    );
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists(),
        "chromium missing: run tests/setup.sh first"
    );
    let app = TestApp::spawn(Backend::Sqlite, &[("VERITY_SANDBOX_DELAY", "0s")]).await;
    // A second sandbox client with the PSC flow on (psc.test.mjs); the first one keeps it off.
    let (psc_id, psc_key) = create_client(&app.db, &app.env, "PSC platform", &[]).await;
    let (ok, out, err) = crate::engine::cli(&app, &["clients", "set-policy", &psc_id, "--psc-flow", "on"]).await;
    assert!(ok && out.contains("PSC flow on"), "{out}{err}");
    let out = tokio::process::Command::new("node")
        .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
        .current_dir(&dir)
        .env("VERITY_BASE_URL", &app.base)
        .env("VERITY_CLIENT_ID", &app.client_id)
        .env("VERITY_API_KEY", &app.api_key)
        .env("VERITY_PSC_CLIENT_ID", &psc_id)
        .env("VERITY_PSC_API_KEY", &psc_key)
        .output()
        .await
        .expect("run node --test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        // The failures first and alone: CI shows the head and tail of long outputs, and the
        // server's log would push them out of both.
        let failures = stdout
            .find("failing tests:")
            .map_or(stdout.as_ref(), |at| &stdout[at..]);
        println!("browser tests failed\n{failures}\n--- stderr\n{stderr}");
        panic!("browser tests failed: see the failing tests above");
    }
    println!("{stdout}");
}
