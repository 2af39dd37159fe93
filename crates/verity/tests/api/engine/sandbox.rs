//! Sandbox sessions submitted through the hosted pages are decided by the real engine, so that a
//! developer can try real documents offline (a `Tag` directive or the simulator still decides
//! when used).

use serde_json::json;
use verity_corpus::{Date, Flaw, Kind};

use super::*;
use crate::helpers::*;
use crate::receiver::Receiver;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_session_submitted_in_the_hosted_pages_is_decided_by_the_engine() {
    let receiver = Receiver::ok().await;
    let app = TestApp::spawn(Backend::Sqlite, &[]).await;
    let api = app.client().await;
    for event in DECIDED {
        let r = api.post("/hooks", json!({"EventType": event, "Url": receiver.url})).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let pages = photos(
        Kind::Passport,
        identity(
            40,
            "SMITH",
            "ALEX",
            Date {
                year: 1975,
                month: 12,
                day: 21,
            },
            "GBR",
        ),
        Flaw::None,
        40,
    );
    let alex = Person {
        first: "Alex",
        last: "Smith",
        birth: "1975-12-21",
    };
    let session = submit_natural_with_selfie(&app, &api, &alex, ("PASSPORT", "GB"), &pages, verity_corpus::selfie(3)).await;
    let v = decision(&api, &receiver, &session).await;
    expect_checks(
        &v,
        "VALIDATED",
        &[(IDV, "VALIDATED", ""), (NAME, "VALIDATED", ""), (AGE, "VALIDATED", "")],
    );
}
