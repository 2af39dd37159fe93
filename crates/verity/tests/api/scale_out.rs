//! Several `verity serve` processes on one PostgreSQL and one S3-compatible store (moto), one of
//! them killed mid-load and restarted: no acknowledged write is lost, the engine decides a
//! session once, every session's webhook arrives at least once, every session expires once.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{Value, json};
use verity_corpus::{Date, Flaw, Kind};

use crate::engine::*;
use crate::helpers::*;
use crate::receiver::Receiver;
use crate::s3::moto_bucket;

/// Every event of a type, through the API (newest first, page by page): resource id -> count.
async fn events_of(api: &Api, event_type: &str) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for page in 1.. {
        let r = api
            .get(&format!("/events?EventType={event_type}&per_page=100&page={page}"))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let items = r.json();
        let items = items.as_array().unwrap();
        for e in items {
            *seen.entry(e["ResourceId"].as_str().unwrap().to_owned()).or_default() += 1;
        }
        if items.len() < 100 {
            break;
        }
    }
    seen
}

/// Waits until an `event` webhook arrived for each of `ids` (duplicates count once).
async fn until_each(receiver: &Receiver, event: &str, ids: &BTreeSet<String>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let arrived = receiver.all();
        let seen: BTreeSet<&str> = arrived
            .iter()
            .filter(|r| r.event() == event)
            .map(|r| r.resource())
            .collect();
        let missing = ids.iter().filter(|id| !seen.contains(id.as_str())).count();
        if missing == 0 {
            return;
        }
        let now = tokio::time::Instant::now();
        assert!(now < deadline, "{missing} {event} webhooks never arrived");
        // The next arrival of this event, whichever session it is for.
        let so_far = arrived.iter().filter(|r| r.event() == event).count();
        receiver
            .wait_for(so_far + 1, deadline - now, |r| r.event() == event)
            .await;
    }
}

/// Creates sessions for `user` through `api` until `stop`, sending each acknowledged Id.
fn load(
    api: Api,
    user: String,
    acknowledged: tokio::sync::mpsc::UnboundedSender<String>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !*stop.borrow() {
            let sent = api
                .http
                .post(format!("{}/users/{user}/identity-verifications", api.prefix))
                .bearer_auth(&api.token)
                .json(&json!({"ReturnUrl": "https://example.com/back"}))
                .send()
                .await;
            // A request cut by the crash was never acknowledged.
            let Ok(r) = sent else { continue };
            if r.status() == 200
                && let Ok(body) = r.json::<Value>().await
            {
                let _ = acknowledged.send(body["Id"].as_str().unwrap().to_owned());
            }
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_on_one_postgres_and_s3_survive_a_crash() {
    if postgres_admin_url().is_none() {
        eprintln!("VERITY_TEST_DATABASE_URL=none: skipped");
        return;
    }
    let (_moto, s3) = moto_bucket().await;
    let mut env: Vec<(&str, &str)> = s3.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.extend([("VERITY_SESSION_TTL", "10s"), ("VERITY_RATE_LIMITS", "1h=1000000000")]);
    let Live {
        app: first,
        api,
        client,
        receiver,
        face: _face,
    } = live_platform(Backend::Postgres, &env).await;
    let (second, third) = (first.another().await, first.another().await);
    let on = |app: &TestApp| Api {
        http: app.http.clone(),
        token: api.token.clone(),
        prefix: app.url(&format!("/v2.01/{client}")),
    };
    for event in ["IDENTITY_VERIFICATION_PENDING", "IDENTITY_VERIFICATION_EXPIRED"] {
        let r = api
            .post("/hooks", json!({"EventType": event, "Url": receiver.url}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }

    // A natural session walked through the second process (its photos go to S3): whichever
    // process's engine takes the job, it is decided once.
    let born = Date {
        year: 1985,
        month: 3,
        day: 12,
    };
    let person = Person {
        first: "Marie",
        last: "Dubois",
        birth: "1985-03-12",
    };
    let pages = photos(
        Kind::Passport,
        identity(7, "DUBOIS", "MARIE", born, "FRA"),
        Flaw::None,
        7,
    );
    let decided = submit_natural_pub(&second, &on(&second), &person, ("PASSPORT", "FR"), &pages, 3).await;
    let v = decision(&on(&third), &receiver, &decided).await;
    assert_eq!(v["Status"], "VALIDATED", "{v:#}");

    // Creates spread over the three processes; the second is killed (SIGKILL) mid-load.
    let user = api.natural_owner().await;
    let (sender, mut answers) = tokio::sync::mpsc::unbounded_channel();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut loads = Vec::new();
    for app in [&first, &second, &third, &first, &second, &third] {
        loads.push(load(on(app), user.clone(), sender.clone(), stopped.clone()));
    }
    let mut acknowledged = BTreeSet::new();
    while acknowledged.len() < 150 {
        acknowledged.insert(answers.recv().await.unwrap());
    }
    let (db, env, client_id, api_key) = second.stop().await;
    let restarted = TestApp::start(db, env, client_id, api_key).await;
    for _ in 0..2 {
        loads.push(load(on(&restarted), user.clone(), sender.clone(), stopped.clone()));
    }
    while acknowledged.len() < 300 {
        acknowledged.insert(answers.recv().await.unwrap());
    }
    stop.send(true).unwrap();
    drop(sender);
    for l in loads {
        l.await.unwrap();
    }
    while let Some(id) = answers.recv().await {
        acknowledged.insert(id);
    }

    // Nothing acknowledged is lost.
    let via_third = on(&third);
    for id in &acknowledged {
        assert_eq!(
            via_third.get(&format!("/identity-verifications/{id}")).await.status,
            200,
            "{id} lost"
        );
    }
    // Every session's webhook arrives at least once, whichever process queued or sent it (some
    // twice: the killed process's leased deliveries are sent again when their lease lapses).
    until_each(&receiver, "IDENTITY_VERIFICATION_PENDING", &acknowledged).await;
    // Every session left PENDING expires (10 s), once, although three processes sweep.
    until_each(&receiver, "IDENTITY_VERIFICATION_EXPIRED", &acknowledged).await;
    let expired = events_of(&via_third, "IDENTITY_VERIFICATION_EXPIRED").await;
    for id in &acknowledged {
        assert_eq!(expired.get(id), Some(&1), "{id} expired {:?} times", expired.get(id));
    }
    // And the decided session has one decision, though three engines could have taken it.
    let mut decisions = 0;
    for event in DECIDED {
        decisions += events_of(&via_third, event).await.get(&decided).copied().unwrap_or(0);
    }
    assert_eq!(decisions, 1, "the engine decided {decided} {decisions} times");
}
