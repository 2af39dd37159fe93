//! Sandbox sessions submitted through the hosted pages are decided by the real engine, so that a
//! developer can try real documents offline (a `Tag` directive or the simulator still decides
//! when used).

use super::*;
use crate::helpers::*;
use crate::receiver::Receiver;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_session_submitted_in_the_hosted_pages_is_decided_by_the_engine() {
    let receiver = Receiver::ok().await;
    let app = TestApp::spawn(Backend::Sqlite, &[]).await;
    let api = app.client().await;
    for event in DECIDED {
        let r = api
            .post("/hooks", json!({"EventType": event, "Url": receiver.url}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let pages = alex_passport();
    let session =
        submit_natural_with_selfie(&app, &api, &ALEX, ("PASSPORT", "GB"), &pages, verity_corpus::selfie(3)).await;
    let v = decision(&api, &receiver, &session).await;
    expect_checks(
        &v,
        "VALIDATED",
        &[(IDV, "VALIDATED", ""), (NAME, "VALIDATED", ""), (AGE, "VALIDATED", "")],
    );
}

/// `verity sample-documents` writes a passport and a selfie that a production client's engine
/// validates for the user they were made for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sample_documents_pass_the_production_engine() {
    let receiver = Receiver::ok().await;
    let app = TestApp::spawn(Backend::Sqlite, &[("VERITY_WEBHOOK_ALLOW_PRIVATE", "true")]).await;
    let (api, _) = live_client(&app, &receiver).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("samples");
    let (ok, stdout, stderr) = cli(
        &app,
        &[
            "sample-documents",
            "--out",
            out.to_str().unwrap(),
            "--first-name",
            "Ada",
            "--last-name",
            "Lovelace",
            "--birth-date",
            "1985-07-31",
            "--state",
            "FRA",
        ],
    )
    .await;
    assert!(ok, "{stderr}");
    assert_eq!(stdout.lines().count(), 4, "{stdout}");
    let passport = std::fs::read(out.join("passport.jpg")).unwrap();
    let selfie = std::fs::read(out.join("selfie.jpg")).unwrap();
    let ada = Person {
        first: "Ada",
        last: "Lovelace",
        birth: "1985-07-31",
    };
    let session =
        submit_natural_with_selfie(&app, &api, &ada, ("PASSPORT", "FR"), &[("front", passport)], selfie).await;
    let v = decision(&api, &receiver, &session).await;
    expect_checks(
        &v,
        "VALIDATED",
        &[(IDV, "VALIDATED", ""), (NAME, "VALIDATED", ""), (AGE, "VALIDATED", "")],
    );
    // A bad date is refused in plain words.
    let (ok, _, stderr) = cli(&app, &["sample-documents", "--birth-date", "31/07/1985"]).await;
    assert!(!ok);
    assert!(
        stderr.contains("--birth-date 31/07/1985 is not a date written YYYY-MM-DD"),
        "{stderr}"
    );
}
