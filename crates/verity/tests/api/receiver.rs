//! A real webhook receiver on loopback, recording every request it gets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use tokio::sync::Notify;

#[derive(Clone, Debug)]
pub struct Received {
    pub query: String,
    pub params: HashMap<String, String>,
    pub headers: HeaderMap,
    pub at: Instant,
}

impl Received {
    pub fn event(&self) -> &str {
        self.params.get("EventType").map(String::as_str).unwrap_or("")
    }
    pub fn resource(&self) -> &str {
        self.params.get("RessourceId").map(String::as_str).unwrap_or("")
    }
}

/// How the receiver answers its n-th request (0-based).
pub type Behaviour = Arc<dyn Fn(usize) -> Answer + Send + Sync>;

#[derive(Clone)]
pub enum Answer {
    Status(u16),
    /// Hold the request until `release` is notified, then answer 200.
    HoldUntil(Arc<Notify>),
}

#[derive(Clone)]
struct Shared {
    log: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<Notify>,
    behaviour: Behaviour,
}

pub struct Receiver {
    pub url: String,
    shared: Shared,
}

async fn handle(State(s): State<Shared>, RawQuery(query): RawQuery, headers: HeaderMap) -> StatusCode {
    let query = query.unwrap_or_default();
    let params = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let n = {
        let mut log = s.log.lock().unwrap();
        log.push(Received {
            query,
            params,
            headers,
            at: Instant::now(),
        });
        log.len() - 1
    };
    s.arrived.notify_waiters();
    match (s.behaviour)(n) {
        Answer::Status(code) => StatusCode::from_u16(code).unwrap(),
        Answer::HoldUntil(release) => {
            release.notified().await;
            StatusCode::OK
        }
    }
}

impl Receiver {
    pub async fn start(behaviour: Behaviour) -> Receiver {
        let shared = Shared {
            log: Arc::default(),
            arrived: Arc::new(Notify::new()),
            behaviour,
        };
        let app = Router::new().route("/hook", get(handle)).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, shared }
    }

    pub async fn ok() -> Receiver {
        Self::start(Arc::new(|_| Answer::Status(200))).await
    }

    pub fn all(&self) -> Vec<Received> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Waits until `count` requests matching `pred` have arrived; panics after `within`.
    pub async fn wait_for(&self, count: usize, within: Duration, pred: impl Fn(&Received) -> bool) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let notified = self.shared.arrived.notified();
            let matching: Vec<Received> = self.all().into_iter().filter(|r| pred(r)).collect();
            if matching.len() >= count {
                return matching;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || tokio::time::timeout(left, notified).await.is_err() {
                let seen: Vec<String> = self.all().iter().map(|r| r.query.clone()).collect();
                panic!("expected {count} matching webhooks within {within:?}; received: {seen:#?}");
            }
        }
    }

    /// Waits for one webhook of `event` about `resource`.
    pub async fn expect(&self, event: &str, resource: &str) -> Received {
        self.wait_for(1, Duration::from_secs(20), |r| {
            r.event() == event && r.resource() == resource
        })
        .await
        .remove(0)
    }
}
