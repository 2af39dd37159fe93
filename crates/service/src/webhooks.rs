//! Webhook delivery from the outbox: Mangopay's request (a GET with `EventType`, `RessourceId`
//! and `Date`), a short timeout, the retry schedule, and optional Standard Webhooks signatures.
//!
//! Deliveries are leased, not removed, while in flight: if the process dies mid-delivery the
//! lease runs out and the delivery is attempted again (at least once, never lost).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use hmac::{KeyInit, Mac};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use verity_domain::hook::is_public_ip;
use verity_store::{AttemptRecord, DeliveryJob, FinishedAttempt, NextStep};

use crate::{Services, metrics, now};

/// Deliveries claimed per query at most.
const BATCH: u32 = 64;
/// Attempts in flight at most (each holds a connection to a receiver).
const IN_FLIGHT: usize = 256;
/// Finished attempts recorded per transaction at most.
const RECORD_BATCH: usize = 256;
/// How often the worker looks for due deliveries when nothing woke it.
const POLL: Duration = Duration::from_millis(250);

/// Resolves names to public addresses only, for production clients' hooks: a hook cannot be
/// pointed at an internal service through DNS.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| is_public_ip(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{} resolves to no public address", name.as_str()).into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

pub struct Deliverer {
    services: Services,
    any_address: reqwest::Client,
    public_only: reqwest::Client,
}

impl Deliverer {
    pub fn new(services: Services) -> Result<Deliverer, reqwest::Error> {
        let timeout = services.config.webhook_timeout;
        let base = || {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(timeout)
                .connect_timeout(timeout)
                .user_agent(concat!("Verity-Webhooks/", env!("CARGO_PKG_VERSION")))
        };
        Ok(Deliverer {
            any_address: base().build()?,
            public_only: base().dns_resolver(Arc::new(PublicOnly)).build()?,
            services,
        })
    }

    /// Claims due deliveries and attempts them concurrently (up to [`IN_FLIGHT`] at once) until
    /// `stop` is set, recording finished attempts in batches. On stop, the attempts in flight
    /// finish (each is bounded by the webhook timeout) and are recorded before it returns.
    pub async fn run(self: Arc<Self>, mut stop: crate::StopSignal) {
        let (finished, to_record) = mpsc::channel(IN_FLIGHT);
        let recorder = tokio::spawn(self.clone().record(to_record));
        let slots = Arc::new(Semaphore::new(IN_FLIGHT));
        let mut attempts = JoinSet::new();
        let elsewhere = self.services.store.outbox_wakeup();
        while !*stop.borrow() {
            while attempts.try_join_next().is_some() {}
            let free = slots.available_permits().min(BATCH as usize) as u32;
            let jobs = if free == 0 { Vec::new() } else { self.claim(free).await };
            let more = jobs.len() as u32 == free && free > 0;
            for job in jobs {
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    break;
                };
                let (me, finished) = (self.clone(), finished.clone());
                attempts.spawn(async move {
                    let _ = finished.send(me.attempt(job).await).await;
                    drop(slot);
                });
            }
            if more {
                continue;
            }
            tokio::select! {
                _ = self.services.outbox.notified(), if free > 0 => {}
                _ = elsewhere.notified(), if free > 0 => {}
                _ = slots.acquire(), if free == 0 => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = crate::stopped(&mut stop) => {}
            }
        }
        while attempts.join_next().await.is_some() {}
        drop(finished);
        let _ = recorder.await;
        tracing::info!("webhook worker stopped");
    }

    /// Claims up to `limit` due deliveries.
    async fn claim(&self, limit: u32) -> Vec<DeliveryJob> {
        let now = crate::now_millis() as i64;
        // The lease outlives the longest attempt (the timeout bounds the whole request) and its
        // recording, so a live worker never loses its claim, while a dead worker's soon lapses.
        let lease = now + 2 * self.services.config.webhook_timeout.as_millis() as i64 + 1000;
        match self.services.store.claim_deliveries(now, lease, limit).await {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::warn!(error = %e, "cannot claim webhook deliveries");
                tokio::time::sleep(POLL).await;
                Vec::new()
            }
        }
    }

    /// Records finished attempts, everything waiting in one transaction.
    async fn record(self: Arc<Self>, mut finished: mpsc::Receiver<FinishedAttempt>) {
        let rule = self.services.config.invalidation;
        while let Some(first) = finished.recv().await {
            let mut batch = vec![first];
            while batch.len() < RECORD_BATCH {
                match finished.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            match self.services.store.finish_attempts(&batch, rule).await {
                Ok(turned_invalid) => {
                    for (f, _) in batch.iter().zip(turned_invalid).filter(|(_, turned)| *turned) {
                        metrics::HOOKS_INVALIDATED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        // Operators must hear of this: the platform gets nothing more until it acts.
                        tracing::error!(
                            hook = %f.job.hook_id,
                            client = %f.job.client_id,
                            event_type = %f.job.event_type,
                            failed_events = rule.failed_events,
                            failing_for_seconds = rule.failing_for,
                            "webhook hook turned INVALID: its deliveries are paused, not dropped, until it is re-validated (PUT /hooks/{{Id}} with Validity VALID, or the console)"
                        );
                    }
                }
                // Their leases will lapse and the deliveries will be attempted again.
                Err(e) => tracing::warn!(attempts = batch.len(), error = %e, "cannot record webhook attempts"),
            }
        }
    }

    /// One attempt of a claimed delivery, and what follows from it.
    async fn attempt(&self, job: DeliveryJob) -> FinishedAttempt {
        let config = &self.services.config;
        if !job.hook_valid {
            // The hook turned INVALID after this delivery was claimed: hand it back untried.
            let record = AttemptRecord {
                delivery_id: job.id.clone(),
                attempt: job.attempt,
                started_at: now(),
                duration_ms: 0,
                http_status: None,
                error: None,
            };
            return FinishedAttempt {
                job,
                record,
                next: NextStep::Pause,
            };
        }
        let started_at = now();
        let clock = Instant::now();
        let outcome = if job.hook_enabled {
            self.send(&job).await
        } else {
            Err("hook disabled".to_owned())
        };
        let duration_ms = clock.elapsed().as_millis() as u64;
        let (http_status, error) = match &outcome {
            Ok(status) if (200..300).contains(status) => (Some(*status), None),
            Ok(status) => (Some(*status), Some(format!("receiver answered HTTP {status}"))),
            Err(e) => (None, Some(e.clone())),
        };
        let next = if !job.hook_enabled {
            NextStep::Cancel
        } else if error.is_none() {
            NextStep::Delivered
        } else {
            match config.retry_schedule.get(job.attempt as usize - 1) {
                Some(delay) => NextStep::RetryAt(crate::now_millis() as i64 + delay * 1000),
                None => NextStep::GiveUp,
            }
        };
        tracing::info!(delivery = %job.id, event = %job.event_type, attempt = job.attempt, status = ?http_status, duration_ms, ?next, "webhook attempt");
        let record = AttemptRecord {
            delivery_id: job.id.clone(),
            attempt: job.attempt,
            started_at,
            duration_ms,
            http_status,
            error,
        };
        FinishedAttempt { job, record, next }
    }

    async fn send(&self, job: &DeliveryJob) -> Result<u16, String> {
        let mut url = url::Url::parse(&job.url).map_err(|e| format!("invalid hook URL: {e}"))?;
        url.query_pairs_mut()
            .append_pair("EventType", &job.event_type)
            .append_pair("RessourceId", &job.resource_id)
            .append_pair("Date", &job.date.to_string());
        let public_only = job.public_only && !self.services.config.allow_private_webhooks;
        if public_only {
            let literal_internal = match url.host() {
                Some(url::Host::Ipv4(ip)) => !is_public_ip(ip.into()),
                Some(url::Host::Ipv6(ip)) => !is_public_ip(ip.into()),
                _ => false,
            };
            if literal_internal {
                return Err("the hook URL points to a non-public address".into());
            }
        }
        let client = if public_only {
            &self.public_only
        } else {
            &self.any_address
        };
        let mut request = client.get(url.clone());
        if let Some(secret) = &job.secret {
            let timestamp = now();
            let payload = url.query().unwrap_or_default();
            request = request
                .header("webhook-id", &job.id)
                .header("webhook-timestamp", timestamp.to_string())
                .header("webhook-signature", sign(secret, &job.id, timestamp, payload)?);
        }
        match request.send().await {
            Ok(response) => Ok(response.status().as_u16()),
            Err(e) if e.is_timeout() => Err("timed out".into()),
            Err(e) => Err(format!("request failed: {}", error_chain(&e))),
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A Standard Webhooks signature (`v1,<base64 HMAC-SHA256>` of `id.timestamp.payload`) with a
/// `whsec_<base64>` secret. Verity's GET webhooks have no body: the payload signed is the
/// request's query string.
pub fn sign(secret: &str, id: &str, timestamp: i64, payload: &str) -> Result<String, String> {
    let engine = base64::engine::general_purpose::STANDARD;
    let key = engine
        .decode(secret.trim_start_matches("whsec_"))
        .map_err(|_| "the webhook secret is not valid base64".to_owned())?;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).map_err(|_| "unusable webhook secret".to_owned())?;
    mac.update(format!("{id}.{timestamp}.{payload}").as_bytes());
    Ok(format!("v1,{}", engine.encode(mac.finalize().into_bytes())))
}

/// A fresh `whsec_` secret of 256 bits.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let sig = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
