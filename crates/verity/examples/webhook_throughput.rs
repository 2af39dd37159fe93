//! Webhook delivery throughput and latency against a running Verity (bench/webhooks.sh starts one).
//!
//! A hook on IDENTITY_VERIFICATION_PENDING points at a receiver in this process; sessions are
//! created at a fixed rate (`--rate` per second for `--seconds`), so every create is a change
//! that must be delivered. The latency of a delivery runs from its session's creation (the
//! millisecond in the session Id's ULID, taken before the commit: a conservative start) to its
//! arrival at the receiver. Baseline in the same run: the same receiver answering plain GETs
//! from this process at full speed over keep-alive connections.
//!
//!   cargo run --release --example webhook_throughput -- --base URL --client ID --key KEY \
//!       [--rate 2000] [--seconds 10] [--label sqlite]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{Query, State};
use axum::routing::get;
use serde_json::{Value, json};

struct Args {
    base: String,
    client: String,
    key: String,
    rate: u64,
    seconds: u64,
    label: String,
}

fn args() -> Args {
    let mut a = Args {
        base: String::new(),
        client: String::new(),
        key: String::new(),
        rate: 2000,
        seconds: 10,
        label: String::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--base" => a.base = value,
            "--client" => a.client = value,
            "--key" => a.key = value,
            "--rate" => a.rate = value.parse().expect("--rate"),
            "--seconds" => a.seconds = value.parse().expect("--seconds"),
            "--label" => a.label = value,
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(
        !a.base.is_empty() && !a.client.is_empty() && !a.key.is_empty(),
        "--base, --client and --key are needed"
    );
    a
}

fn unix_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64() * 1000.0
}

/// The millisecond timestamp of a ULID (its first 10 Crockford base-32 digits).
fn ulid_ms(id: &str) -> Option<f64> {
    const DIGITS: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let ulid = id.rsplit('_').next()?;
    let mut ms: u64 = 0;
    for c in ulid.get(..10)?.chars() {
        ms = ms * 32 + DIGITS.find(c.to_ascii_uppercase())? as u64;
    }
    Some(ms as f64)
}

#[derive(Default)]
struct Arrivals {
    /// Resource id -> (arrival, latency ms) of its first delivery.
    first: HashMap<String, (f64, f64)>,
}

async fn receive(
    State(arrivals): State<Arc<Mutex<Arrivals>>>,
    Query(q): Query<HashMap<String, String>>,
) -> &'static str {
    let now = unix_ms();
    if let Some(id) = q.get("RessourceId")
        && let Some(created) = ulid_ms(id)
    {
        arrivals
            .lock()
            .unwrap()
            .first
            .entry(id.clone())
            .or_insert((now, now - created));
    }
    ""
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let a = args();
    let arrivals = Arc::new(Mutex::new(Arrivals::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/hook", get(receive))
        .with_state(arrivals.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap();
    let token: Value = http
        .post(format!("{}/v2.01/oauth/token", a.base))
        .basic_auth(&a.client, Some(&a.key))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().expect("a token").to_owned();
    let api = format!("{}/v2.01/{}", a.base, a.client);
    let post = |path: &str, body: Value| http.post(format!("{api}{path}")).bearer_auth(&token).json(&body).send();
    let hook = post(
        "/hooks",
        json!({"EventType": "IDENTITY_VERIFICATION_PENDING", "Url": hook_url}),
    )
    .await
    .unwrap();
    assert!(hook.status().is_success(), "hook: {}", hook.text().await.unwrap());
    let user: Value = post(
        "/users/natural",
        json!({"FirstName": "Bench", "LastName": "User", "Email": "bench@example.com", "Birthday": 188352000,
               "Nationality": "FR", "CountryOfResidence": "FR", "TermsAndConditionsAccepted": true, "UserCategory": "OWNER"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let sessions_path = format!("{api}/users/{}/identity-verifications", user["Id"].as_str().unwrap());

    // Baseline: the receiver alone, 32 keep-alive connections for one second.
    let baseline = {
        let started = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for c in 0..32 {
            let (http, url) = (http.clone(), hook_url.clone());
            set.spawn(async move {
                let mut n = 0u64;
                while started.elapsed() < Duration::from_secs(1) {
                    let r = http
                        .get(format!("{url}?RessourceId=baseline_{c}&EventType=BASELINE"))
                        .send()
                        .await;
                    if r.is_ok() {
                        n += 1;
                    }
                }
                n
            });
        }
        let mut n = 0;
        while let Some(c) = set.join_next().await {
            n += c.unwrap();
        }
        n as f64 / started.elapsed().as_secs_f64()
    };

    // The load: `rate` creates per second, started on a 10 ms tick.
    let total = a.rate * a.seconds;
    let started = Instant::now();
    let start_ms = unix_ms();
    let mut set = tokio::task::JoinSet::new();
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let mut sent = 0u64;
    while sent < total {
        tick.tick().await;
        let due = ((started.elapsed().as_secs_f64() * a.rate as f64) as u64).min(total);
        while sent < due {
            let (http, url, token) = (http.clone(), sessions_path.clone(), token.clone());
            set.spawn(async move {
                let r = http
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({"ReturnUrl": "https://example.com"}))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() => r
                        .json::<Value>()
                        .await
                        .ok()
                        .and_then(|v| v["Id"].as_str().map(str::to_owned)),
                    _ => None,
                }
            });
            sent += 1;
        }
    }
    let mut created = Vec::new();
    while let Some(done) = set.join_next().await {
        if let Some(id) = done.unwrap() {
            created.push(id);
        }
    }
    let create_seconds = started.elapsed().as_secs_f64();
    // Every created session's webhook, 60 s at most after the last create.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = {
            let arr = arrivals.lock().unwrap();
            created.iter().filter(|id| arr.first.contains_key(*id)).count()
        };
        if got == created.len() || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let arr = arrivals.lock().unwrap();
    let mut latencies: Vec<f64> = created
        .iter()
        .filter_map(|id| arr.first.get(id).map(|(_, l)| *l))
        .collect();
    let last = created
        .iter()
        .filter_map(|id| arr.first.get(id).map(|(t, _)| *t))
        .fold(start_ms, f64::max);
    latencies.sort_by(|x, y| x.total_cmp(y));
    let delivered = latencies.len();
    let delivery_rate = delivered as f64 / ((last - start_ms) / 1000.0);
    let l = &a.label;
    println!(
        "{l} creates asked {}/s for {} s: {} answered 200 ({:.0}/s), {} failed",
        a.rate,
        a.seconds,
        created.len(),
        created.len() as f64 / create_seconds,
        total as usize - created.len()
    );
    println!(
        "{l} webhooks delivered {delivered}/{} at {delivery_rate:.0}/s (receiver baseline {baseline:.0}/s, ratio {:.3})",
        created.len(),
        delivery_rate / baseline
    );
    println!(
        "{l} creation -> first delivery ms: p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    if delivered < created.len() {
        std::process::exit(1);
    }
}
