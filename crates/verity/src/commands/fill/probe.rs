//! `verity probe`: times the store's queries that no HTTP request exposes but that must stay
//! flat as the data grows: the engine's fraud-fingerprint lookup (and record) and the retention
//! scan of the housekeeping job. `bench/scale/run.sh` runs it on an empty and a full database.
//! Like `verity fill`, it runs only on a sandbox-only database (it rewrites one session's
//! fingerprints).

use std::path::Path;
use std::time::Instant;

use verity_domain::{ClientId, Environment, SessionId, UserId};

use super::super::Failure;
use crate::bootstrap::{Opening, open_store, services};
use crate::config::Settings;

pub(crate) async fn probe(n: u32, samples: &Path, settings: &Settings) -> Result<(), Failure> {
    let text = std::fs::read_to_string(samples).map_err(|e| format!("cannot read {}: {e}", samples.display()))?;
    let samples: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", samples.display()))?;
    let strings = |key: &str| -> Vec<String> {
        samples[key]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    let (client, review, probe) = (
        samples["client"].as_str().unwrap_or("sandbox"),
        strings("review_sessions"),
        strings("probe"),
    );
    let [probe_user, probe_session] = probe.as_slice() else {
        return Err(Failure("the samples need \"probe\": [user id, session id]".into()));
    };
    let store = open_store(settings, Opening::Existing).await?;
    let services = services(settings, store);
    if services
        .platforms()
        .await?
        .iter()
        .any(|c| c.environment != Environment::Sandbox)
    {
        return Err(Failure("refusing to probe a database with production clients".into()));
    }
    let store = &services.store;
    let client = ClientId::parse(client).map_err(|e| format!("client: {e}"))?;
    let mut values = Vec::new();
    for session in &review {
        values.extend(store.fingerprint_values(session, "document_search").await?);
    }
    if values.is_empty() {
        return Err(Failure(
            "no document_search fingerprint in the sampled sessions (fill with --review)".into(),
        ));
    }
    let (user, session) = (
        UserId::from_raw(probe_user.clone()),
        SessionId::from_raw(probe_session.clone()),
    );
    let now = verity_common::clock::now();
    let (mut lookup, mut retention) = (Vec::new(), Vec::new());
    let (mut found, mut due) = (0, 0);
    for k in 0..n as usize {
        let fingerprint = [("document_search".to_owned(), values[k % values.len()].clone())];
        let clock = Instant::now();
        found += store
            .record_fingerprints(&client, &user, &session, &fingerprint, now)
            .await?
            .len();
        lookup.push(clock.elapsed().as_secs_f64() * 1000.0);
        let clock = Instant::now();
        // Five: the same work on any database where five are due, small or large.
        due = store.sessions_past_retention(now, 5).await?.len();
        retention.push(clock.elapsed().as_secs_f64() * 1000.0);
    }
    let out = serde_json::json!({
        "fingerprint": {"what": "the engine's fraud-fingerprint lookup and record (one write transaction)", "ms": lookup, "found": format!("{found} matches in {n} lookups")},
        "retention": {"what": "the retention scan (the 5 oldest sessions past their client's retention)", "ms": retention, "found": due},
    });
    println!("{out}");
    Ok(())
}
