//! The console driven in a real browser (Chromium through Playwright).

use super::setup::*;
use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_chromium() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "browser test packages missing: run tests/setup.sh first"
    );
    let (app, api, client, receiver, _face, sessions) = platform_with_reviews(
        Backend::Sqlite,
        &[],
        &[(100, "55555555"), (101, "55555555"), (102, "55555555")],
    )
    .await;
    for (user, role) in [("rita", "reviewer"), ("rob", "reviewer"), ("aude", "auditor")] {
        add_staff(&app, user, &format!("{user} of the console"), role, &[]).await;
    }
    let config = serde_json::json!({
        "client": client, "approve": sessions[0], "refuse": sessions[1], "race": sessions[2],
        "passwords": {"rita": password("rita"), "rob": password("rob"), "aude": password("aude")},
    });
    let out = tokio::process::Command::new("node")
        .args(["--test", "--test-concurrency=1", "console/console.mjs"])
        .current_dir(&dir)
        .env("VERITY_BASE_URL", &app.base)
        .env("VERITY_CONSOLE", config.to_string())
        .output()
        .await
        .expect("run node --test");
    assert!(
        out.status.success(),
        "console browser tests failed\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // What the platform saw: the right webhooks and bodies.
    receiver.expect("IDENTITY_VERIFICATION_VALIDATED", &sessions[0]).await;
    receiver.expect("IDENTITY_VERIFICATION_FAILED", &sessions[1]).await;
    receiver.expect("IDENTITY_VERIFICATION_VALIDATED", &sessions[2]).await;
    let refused = api
        .get(&format!("/identity-verifications/{}", sessions[1]))
        .await
        .json();
    let reason = refused["Checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["Type"] == "BUSINESS_INSIGHTS_MATCH")
        .map(|c| c["Reasons"][0]["Value"].clone());
    assert_eq!(
        reason,
        Some(serde_json::json!("Director not listed in the registry extract"))
    );
    let decided: Vec<_> = receiver
        .all()
        .into_iter()
        .filter(|r| r.resource() == sessions[2] && r.event() != "IDENTITY_VERIFICATION_INCONCLUSIVE")
        .collect();
    assert_eq!(decided.len(), 1, "one decision on the raced session");
}
