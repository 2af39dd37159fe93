//! Checks survive a server restart and wait out a provider outage.

use std::time::Duration;

use verity_corpus::{Date, Flaw, Kind};

use super::*;
use crate::helpers::*;

/// Marie Dubois and the photos of a valid French passport of hers (`seed` varies the images).
fn marie_dubois_passport(seed: u64) -> (Person<'static>, Vec<(&'static str, Vec<u8>)>) {
    let born = Date {
        year: 1985,
        month: 3,
        day: 12,
    };
    let marie = Person {
        first: "Marie",
        last: "Dubois",
        birth: "1985-03-12",
    };
    let pages = photos(
        Kind::Passport,
        identity(seed, "DUBOIS", "MARIE", born, "FRA"),
        Flaw::None,
        seed,
    );
    (marie, pages)
}

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
    let (marie, pages) = marie_dubois_passport(60);
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
    // The first process may have been killed while it still held the job (after the provider
    // call, before giving the job back): the job then waits out its two-minute lease.
    let v = decision_within(&api, &receiver, &s, Duration::from_secs(300)).await;
    expect_checks(
        &v,
        "VALIDATED",
        &[(IDV, "VALIDATED", ""), (NAME, "VALIDATED", ""), (AGE, "VALIDATED", "")],
    );
    let (ok, evidence, err) = cli(&app, &["sessions", "evidence", &s]).await;
    assert!(ok, "{err}");
    assert!(evidence.contains("\"face_match\""), "{evidence}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_engine_job_in_progress_finish_once() {
    let Live {
        app,
        api,
        client: id,
        receiver,
        face,
    } = live_platform(Backend::Sqlite, &[]).await;
    face.set("hold");
    let (marie, pages) = marie_dubois_passport(61);
    let s = submit_natural(&app, &api, &marie, ("PASSPORT", "FR"), &pages, 61).await;
    // The engine is inside the job, waiting for the provider; SIGTERM arrives, then the answer.
    face.next_request().await;
    let face = std::sync::Arc::new(face);
    let answering = face.clone();
    let releaser = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        answering.release();
    });
    let (status, db, env, client_id, api_key) = app.terminate().await;
    releaser.await.unwrap();
    assert!(status.success(), "a clean exit: {status:?}");
    // The job finished before the exit: the next process finds the session decided and never
    // runs the job again (its lease would otherwise hold it for two minutes, then repeat it).
    face.set("pass");
    let app = TestApp::start(db, env, client_id, api_key).await;
    let api = Api {
        http: app.http.clone(),
        token: api.token.clone(),
        prefix: app.url(&format!("/v2.01/{id}")),
    };
    assert_eq!(
        api.get(&format!("/identity-verifications/{s}")).await.json()["Status"],
        "VALIDATED"
    );
    decision(&api, &receiver, &s).await;
    assert_eq!(face.requests.lock().unwrap().len(), 1, "the provider was asked once");
    let events = api
        .get("/events?EventType=IDENTITY_VERIFICATION_VALIDATED&per_page=100")
        .await
        .json();
    let about_s = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ResourceId"] == s.as_str())
        .count();
    assert_eq!(about_s, 1, "one decision, one event");
}
