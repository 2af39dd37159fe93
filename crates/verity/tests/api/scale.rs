//! What speed must never cost: cached tokens that stop working at once when access changes (on
//! every process), group commit that never acknowledges a write a crash then loses, and
//! `Idempotency-Key`s that stay exactly-once when many requests race.

use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinSet;

use crate::both_backends;
use crate::helpers::*;

async fn cli(app: &TestApp, args: &[&str]) -> Vec<u8> {
    let out = verity()
        .args(args)
        .env("VERITY_DATABASE_URL", &app.db.url)
        .env("VERITY_DATA_DIR", app.db.data_dir.path())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// PostgreSQL: waits until `n` processes hold a lease on cached tokens (so the requests that
/// follow are served from memory with no epoch read: the path under test). SQLite: nothing.
async fn leases_held(app: &TestApp, n: i64) {
    if !app.db.url.starts_with("postgres") {
        return;
    }
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.db.url)
        .await
        .unwrap();
    let mut changes = 0;
    loop {
        let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM access_holders WHERE expires_at > clock_timestamp()")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        if held >= n {
            return;
        }
        // Registration is a few milliseconds after start; a lease is renewed twice a second.
        changes += 1;
        assert!(changes < 500, "{held} of {n} processes hold a lease after 5 s");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// A second server on `first`'s database, one token used twice on each (so each has it cached,
/// under a lease on PostgreSQL): the second, the token on each, and a user to read.
async fn a_second_process_with_the_token_cached(first: &TestApp) -> (TestApp, Api, Api, String) {
    let second = first.another().await;
    let token = first.token().await;
    let (a, b) = (on(first, &token), on(&second, &token));
    let user = a.natural_owner().await;
    leases_held(first, 2).await;
    for api in [&a, &b, &a, &b] {
        assert_eq!(api.get(&format!("/users/{user}")).await.status, 200);
    }
    (second, a, b, user)
}

fn on(app: &TestApp, token: &str) -> Api {
    Api {
        http: app.http.clone(),
        token: token.to_owned(),
        prefix: app.api(""),
    }
}

both_backends!(
    access_changes_reach_every_process_at_once,
    env = [("VERITY_RATE_LIMITS", "1h=1000000000")],
    |first| {
        let (second, a, b, user) = a_second_process_with_the_token_cached(&first).await;

        // A client change made by a third process (the CLI) is seen by both at once: with hosted
        // IDV deactivated, a create is refused with Mangopay's 403; activated again, it passes.
        for (enabled, status) in [("false", 403), ("true", 200)] {
            cli(&first, &["clients", "set-idv", &first.client_id, "--enabled", enabled]).await;
            for api in [&a, &b] {
                let r = api
                    .post(
                        &format!("/users/{user}/identity-verifications"),
                        json!({"ReturnUrl": "https://example.com"}),
                    )
                    .await;
                assert_eq!(r.status, status, "a cached client missed set-idv {enabled}: {}", r.text);
            }
        }

        // Rotating the key revokes the token on both processes before the command has returned.
        let out = cli(&first, &["clients", "rotate-key", &first.client_id, "--json"]).await;
        for api in [&a, &b] {
            let r = api.get(&format!("/users/{user}")).await;
            assert_eq!(r.status, 401, "a revoked token still worked: {}", r.text);
        }
        let new_key = serde_json::from_slice::<Value>(&out).unwrap()["ApiKey"]
            .as_str()
            .unwrap()
            .to_owned();
        let fresh = second.token_for(&second.client_id, &new_key).await;
        assert_eq!(on(&first, &fresh).get(&format!("/users/{user}")).await.status, 200);
    }
);

/// A process that cannot acknowledge a change (stopped with SIGSTOP) holds the change up only
/// until its lease runs out, and, resumed, no longer uses what it cached: the revoked token is
/// refused there too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_process_never_serves_a_token_revoked_meanwhile() {
    let Some(first) = postgres_app(&[("VERITY_RATE_LIMITS", "1h=1000000000")]).await else {
        return;
    };
    let (second, a, b, user) = a_second_process_with_the_token_cached(&first).await;
    let token = a.token.clone();
    let signal = |name: &str, pid: u32| {
        let status = std::process::Command::new("kill")
            .args([name, &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    };
    signal("-STOP", second.pid());
    cli(&first, &["clients", "rotate-key", &first.client_id]).await;
    // Requests already waiting in its socket when it resumes, racing its news of the change.
    let url = url::Url::parse(&b.prefix).unwrap();
    let mut waiting = Vec::new();
    for _ in 0..8 {
        let mut stream = tokio::net::TcpStream::connect((url.host_str().unwrap(), url.port().unwrap()))
            .await
            .unwrap();
        let request = format!(
            "GET {}/users/{user} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n",
            url.path(),
            url.authority()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        waiting.push(stream);
    }
    signal("-CONT", second.pid());
    for mut stream in waiting {
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 401"),
            "a revoked token still worked: {answer}"
        );
    }
    let r = a.get(&format!("/users/{user}")).await;
    assert_eq!(r.status, 401, "a revoked token still worked: {}", r.text);
}

/// Without a lease (the database refuses it: here its table is gone) a process still refuses a
/// revoked token at once, reading the epoch with each request, and the change still returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_lease_a_revoked_token_is_still_refused_at_once() {
    let Some(first) = postgres_app(&[("VERITY_RATE_LIMITS", "1h=1000000000")]).await else {
        return;
    };
    let (_second, a, b, user) = a_second_process_with_the_token_cached(&first).await;
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&first.db.url)
        .await
        .unwrap();
    sqlx::raw_sql("DROP TABLE access_holders")
        .execute(&mut conn)
        .await
        .unwrap();
    // Each process loses its lease at its next renewal: used again, the token is cached anew
    // under an epoch confirmed per request.
    for api in [&a, &b, &a, &b] {
        assert_eq!(api.get(&format!("/users/{user}")).await.status, 200);
    }
    cli(&first, &["clients", "rotate-key", &first.client_id]).await;
    for api in [&a, &b] {
        let r = api.get(&format!("/users/{user}")).await;
        assert_eq!(r.status, 401, "a revoked token still worked: {}", r.text);
    }
}

/// Creates sessions for `user` from `workers` loops until `stop`, sending every acknowledged Id.
fn create_until_stopped(
    api: &Api,
    user: &str,
    workers: usize,
    acknowledged: &tokio::sync::mpsc::UnboundedSender<String>,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> JoinSet<()> {
    let mut set = JoinSet::new();
    for _ in 0..workers {
        let (api, user, acknowledged, stop) = (api.clone(), user.to_owned(), acknowledged.clone(), stop.clone());
        set.spawn(async move {
            while !*stop.borrow() {
                let sent = api
                    .http
                    .post(format!("{}/users/{user}/identity-verifications", api.prefix))
                    .bearer_auth(&api.token)
                    .header("content-type", "application/json")
                    .body(r#"{"ReturnUrl":"https://example.com/back"}"#)
                    .send()
                    .await;
                // A request cut by the crash was never acknowledged.
                let Ok(r) = sent else { return };
                if r.status() != 200 {
                    return;
                }
                let Ok(body) = r.json::<Value>().await else { return };
                let _ = acknowledged.send(body["Id"].as_str().unwrap().to_owned());
            }
        });
    }
    set
}

both_backends!(
    a_crash_under_load_loses_no_acknowledged_create,
    env = [("VERITY_RATE_LIMITS", "1h=1000000000")],
    |app| {
        let api = app.client().await;
        let user = api.natural_owner().await;
        let (sender, mut answers) = tokio::sync::mpsc::unbounded_channel();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mut load = create_until_stopped(&api, &user, 24, &sender, &stopped);
        drop(sender);
        // Let the load build up, then kill the server (SIGKILL: no shutdown, no flush) mid-load.
        let mut acknowledged = Vec::new();
        while acknowledged.len() < 300 {
            acknowledged.push(answers.recv().await.expect("the load runs"));
        }
        let (db, env, client_id, api_key) = app.stop().await;
        stop.send(true).unwrap();
        while load.join_next().await.is_some() {}
        while let Some(id) = answers.recv().await {
            acknowledged.push(id);
        }

        let restarted = TestApp::start(db, env, client_id, api_key).await;
        let api = restarted.client().await;
        let mut missing = Vec::new();
        for id in &acknowledged {
            let r = api.get(&format!("/identity-verifications/{id}")).await;
            if r.status != 200 {
                missing.push(id.clone());
            }
        }
        assert!(
            missing.is_empty(),
            "{} of {} acknowledged sessions lost: {missing:?}",
            missing.len(),
            acknowledged.len()
        );
    }
);

both_backends!(
    idempotency_keys_stay_exactly_once_under_load,
    env = [("VERITY_RATE_LIMITS", "1h=1000000000")],
    |app| {
        let api = app.client().await;
        let user = api.natural_owner().await;
        // 20 keys, each sent by 12 requests at once: 240 concurrent creates.
        let keys: Vec<String> = (0..20).map(|i| format!("exactly-once-key-{i:04}")).collect();
        let mut set = JoinSet::new();
        for round in 0..12 {
            for key in &keys {
                let (api, user, key) = (api.clone(), user.clone(), key.clone());
                set.spawn(async move {
                    let r = api
                        .send(
                            reqwest::Method::POST,
                            &format!("/users/{user}/identity-verifications"),
                            Some(json!({"ReturnUrl": "https://example.com/back", "Tag": format!("round {round}")})),
                            &[("Idempotency-Key", &key)],
                        )
                        .await;
                    (key, r.status, r.text)
                });
            }
        }
        let mut created: BTreeMap<String, Vec<String>> = BTreeMap::new();
        while let Some(done) = set.join_next().await {
            let (key, status, text) = done.unwrap();
            match status {
                200 => created.entry(key).or_default().push(
                    serde_json::from_str::<Value>(&text).unwrap()["Id"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                ),
                409 => {}
                other => panic!("unexpected {other}: {text}"),
            }
        }
        assert_eq!(created.len(), keys.len(), "every key created its session once");
        for (key, ids) in &created {
            assert_eq!(ids.len(), 1, "{key} created {ids:?}");
            // The stored response is the one that was answered.
            let stored = api.get(&format!("/responses/{key}")).await;
            assert_eq!(stored.status, 200);
            assert_eq!(stored.json()["Resource"]["Id"], ids[0].as_str());
        }
        // And the user has exactly those sessions.
        let listed = api
            .get(&format!("/users/{user}/identity-verifications?per_page=100"))
            .await
            .json();
        let listed: BTreeSet<String> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["Id"].as_str().unwrap().to_owned())
            .collect();
        let answered: BTreeSet<String> = created.values().flatten().cloned().collect();
        assert_eq!(listed, answered);
    }
);

/// Every event matching `query` (paging through them all), and the total the first page claims.
async fn listed_and_claimed(api: &Api, query: &str) -> (usize, usize) {
    let mut listed = 0;
    let mut claimed = None;
    for page in 1.. {
        let r = api.get(&format!("/events?{query}&Per_Page=100&Page={page}")).await;
        assert_eq!(r.status, 200, "{query}: {}", r.text);
        claimed.get_or_insert_with(|| r.header("x-number-of-items").unwrap().parse::<usize>().unwrap());
        let n = r.json().as_array().unwrap().len();
        listed += n;
        if n < 100 {
            break;
        }
    }
    (listed, claimed.unwrap())
}

both_backends!(event_totals_from_hourly_rollups_match_the_events_listed, |app| {
    // Events dated over the past weeks (rolled up by the fill), and some of this hour.
    let out = verity()
        .args(["fill", "--sessions", "1500", "--client", &app.client_id])
        .env("VERITY_DATABASE_URL", &app.db.url)
        .env("VERITY_DATA_DIR", app.db.data_dir.path())
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stderr);
    let hours: u64 = said
        .lines()
        .find_map(|l| l.trim().strip_prefix("event counts rolled up over "))
        .and_then(|l| l.split(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(hours > 24 * 30, "{said}");
    let api = app.client().await;
    let user = api.natural_owner().await;
    for _ in 0..3 {
        api.session(&user).await;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let day = 86_400;
    let midnight = now - now % day;
    let queries = [
        // Whole days, ragged ranges, open ends, this hour, one type.
        format!("AfterDate={}&BeforeDate={}", midnight - 3 * day, midnight - 2 * day - 1),
        format!("AfterDate={}&BeforeDate={}", now - 20 * day + 1234, now - 2 * day - 777),
        format!("AfterDate={}", now - 44 * day + 59),
        format!("BeforeDate={}", now - 3 * day - 1),
        format!("AfterDate={}", now - 1800),
        format!(
            "AfterDate={}&EventType=IDENTITY_VERIFICATION_PENDING",
            now - 30 * day + 3599
        ),
        format!(
            "AfterDate={}&BeforeDate={}&EventType=IDENTITY_VERIFICATION_VALIDATED",
            now - 40 * day,
            now
        ),
    ];
    let mut seen = 0;
    for query in &queries {
        let (listed, claimed) = listed_and_claimed(&api, query).await;
        assert_eq!(claimed, listed, "X-Number-Of-Items for {query}");
        seen += listed;
    }
    assert!(seen > 500, "the ranges hold events ({seen})");
});
