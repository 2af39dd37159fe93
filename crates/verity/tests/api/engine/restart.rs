//! Checks survive a server restart and wait out a provider outage.

use std::time::Duration;

use verity_corpus::{Date, Flaw, Kind};

use super::*;
use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_survive_a_restart_and_wait_out_a_provider_outage() {
    let Live {
        app,
        api,
        client: id,
        receiver,
        face,
    } = live_platform(Backend::Sqlite, &[("VERITY_PROVIDER_RETRIES", "0")]).await;
    face.set("down");
    let marie = Person {
        first: "Marie",
        last: "Dubois",
        birth: "1985-03-12",
    };
    let pages = photos(
        Kind::Passport,
        identity(
            60,
            "DUBOIS",
            "MARIE",
            Date {
                year: 1985,
                month: 3,
                day: 12,
            },
            "FRA",
        ),
        Flaw::None,
        60,
    );
    let s = submit_natural(&app, &api, &marie, ("PASSPORT", "FR"), &pages, 60).await;
    // The provider was asked and failed: the session waits, PENDING, for another run.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while face.requests.lock().unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the provider was never called");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        api.get(&format!("/identity-verifications/{s}")).await.json()["Status"],
        "PENDING"
    );
    // The server stops; the provider comes back; a new server process finishes the job.
    let (db, env, client_id, api_key) = app.stop().await;
    face.set("pass");
    let app = TestApp::start(db, env, client_id, api_key).await;
    let api = Api {
        http: app.http.clone(),
        token: api.token.clone(),
        prefix: app.url(&format!("/v2.01/{id}")),
    };
    let v = decision(&api, &receiver, &s).await;
    expect_checks(
        &v,
        "VALIDATED",
        &[(IDV, "VALIDATED", ""), (NAME, "VALIDATED", ""), (AGE, "VALIDATED", "")],
    );
    let (ok, evidence, err) = cli(&app, &["sessions", "evidence", &s]).await;
    assert!(ok, "{err}");
    assert!(evidence.contains("\"face_match\""), "{evidence}");
}
