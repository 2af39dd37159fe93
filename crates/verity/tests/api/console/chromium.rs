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
        &[
            (100, "55555555"),
            (101, "55555556"),
            (102, "55555557"),
            (103, "55555558"),
            (104, "55555559"),
        ],
    )
    .await;
    let staff = [
        ("rita", "reviewer"),
        ("rob", "reviewer"),
        ("lena", "lead"),
        ("olga", "operator"),
        ("aude", "auditor"),
    ];
    let mut passwords = serde_json::Map::new();
    for (user, role) in staff {
        add_staff(&app, user, &format!("{user} of the console"), role, &[]).await;
        passwords.insert(user.into(), password(user).into());
    }
    let user = user_of(&api, &sessions[0]).await;
    let (kyc, ubo) = documents_for_review(&api, &user).await;
    // Rob and Rita race on one session first; then Rita works three others from the queue with
    // the keyboard alone: approve, refuse, approve. Lena holds the fifth, where a refusal is
    // sent without its confirmation.
    let config = serde_json::json!({
        "client": client, "work": [sessions[0], sessions[1], sessions[2]], "race": sessions[3],
        "confirm": sessions[4], "kyc": kyc, "ubo": ubo,
        "passwords": passwords,
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
    // What the platform saw: two of the three worked sessions validated, one refused with the
    // reviewer's reason and comment (the queue chose the order), and the raced one validated once.
    let mut refused = Vec::new();
    for s in &sessions[..3] {
        let body = api.get(&format!("/identity-verifications/{s}")).await.json();
        match body["Status"].as_str() {
            Some("VALIDATED") => {
                receiver.expect("IDENTITY_VERIFICATION_VALIDATED", s).await;
            }
            Some("REFUSED") => {
                receiver.expect("IDENTITY_VERIFICATION_FAILED", s).await;
                refused.push(body);
            }
            other => panic!("{s} is {other:?}"),
        }
    }
    receiver.expect("IDENTITY_VERIFICATION_VALIDATED", &sessions[3]).await;
    assert_eq!(refused.len(), 1);
    let reason = refused[0]["Checks"]
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
        .filter(|r| r.resource() == sessions[3] && r.event() != "IDENTITY_VERIFICATION_INCONCLUSIVE")
        .collect();
    assert_eq!(decided.len(), 1, "one decision on the raced session");
}
