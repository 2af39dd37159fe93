//! Client policies: fraud signals, minimum age (manual review of unsure faces: `biometrics`).

use serde_json::{Value, json};
use verity_corpus::{Date, Flaw, Kind};

use super::*;
use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fraud_signals_follow_the_client_policy() {
    let Live {
        app,
        api,
        client: id,
        receiver,
        face: _,
    } = live_platform(Backend::Sqlite, &[]).await;
    let marie = Person {
        first: "Marie",
        last: "Dubois",
        birth: "1985-03-12",
    };
    let pages = photos(
        Kind::Passport,
        identity(
            50,
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
        50,
    );
    let first = submit_natural(&app, &api, &marie, ("PASSPORT", "FR"), &pages, 50).await;
    expect_checks(
        &decision(&api, &receiver, &first).await,
        "VALIDATED",
        &[(IDV, "VALIDATED", ""), (NAME, "VALIDATED", ""), (AGE, "VALIDATED", "")],
    );
    // Another user sends the very same passport photo: refused by this client's policy.
    let (ok, _, err) = cli(&app, &["clients", "set-policy", &id, "--fraud", "refuse"]).await;
    assert!(ok, "{err}");
    let second = submit_natural(&app, &api, &marie, ("PASSPORT", "FR"), &pages, 51).await;
    expect_checks(
        &decision(&api, &receiver, &second).await,
        "REFUSED",
        &[(IDV, "REFUSED", "DOCUMENT_FALSIFIED")],
    );
    let (ok, evidence, err) = cli(&app, &["sessions", "evidence", &second]).await;
    assert!(ok, "{err}");
    let evidence: Value = serde_json::from_str(&evidence).unwrap();
    let signals = &evidence["inputs"]["signals"];
    assert_eq!(
        signals["document_number_used_by"].as_array().unwrap().len(),
        1,
        "{signals}"
    );
    assert_eq!(signals["image_seen_in"], json!([first]), "{signals}");
    // With manual review allowed and the policy at review, the next one goes to a reviewer.
    let (ok, _, err) = cli(
        &app,
        &["clients", "set-policy", &id, "--fraud", "review", "--minimum-age", "21"],
    )
    .await;
    assert!(ok, "{err}");
    let (ok, _, err) = cli(&app, &["clients", "set-natural-review", &id, "--enabled", "true"]).await;
    assert!(ok, "{err}");
    let third = submit_natural(&app, &api, &marie, ("PASSPORT", "FR"), &pages, 52).await;
    expect_checks(
        &decision(&api, &receiver, &third).await,
        "REVIEW",
        &[(IDV, "REVIEW", ""), (NAME, "VALIDATED", ""), (AGE, "VALIDATED", "")],
    );
    // The client's minimum age applies: 20 is under 21.
    let young = Person {
        first: "Lea",
        last: "Peeters",
        birth: "2006-01-15",
    };
    let pages = photos(
        Kind::Passport,
        identity(
            53,
            "PEETERS",
            "LEA",
            Date {
                year: 2006,
                month: 1,
                day: 15,
            },
            "BEL",
        ),
        Flaw::None,
        53,
    );
    let s = submit_natural(&app, &api, &young, ("PASSPORT", "BE"), &pages, 53).await;
    expect_checks(
        &decision(&api, &receiver, &s).await,
        "REFUSED",
        &[
            (IDV, "VALIDATED", ""),
            (NAME, "VALIDATED", ""),
            (AGE, "REFUSED", "DOCUMENT_NOT_ACCEPTED"),
        ],
    );
}
