//! The engine worker: decides submitted sessions off the request path. Jobs are rows queued in
//! the submission's own transaction and leased, so a crash or a restart runs them again; a run
//! is idempotent (evidence and fingerprints are replaced, and a session decided meanwhile ends
//! the job).

mod faces;

use std::sync::Arc;
use std::time::Duration;

use verity_domain::company::{has_rules, normalise_company_number};
use verity_domain::engine::{
    self, EvidenceRecord, FaceMatch, FraudSignals, Inputs, Outcome, PageReading, Policy, ProviderVerdict,
    RegistryLookup, Routing,
};
use verity_domain::hosted::{Progress, SLOT_BACK, SLOT_FRONT, SLOT_SELFIE};
use verity_domain::lifecycle::Decision;
use verity_domain::sandbox::preset_reason_value;
use verity_domain::session::{Check, SessionStatus, TypedValue};
use verity_domain::user::Person;
use verity_domain::{Client, IdvSession, SessionId, User};
use verity_store::{BlobStore, CheckJob, JobOutcome, Sealer};

use crate::biometrics;
use crate::providers::{self, Providers};
use crate::registry::Registries;
use crate::{LifecycleError, ServiceError, Services, new_id, now, now_millis};

/// Bits (of 256) within which two images count as the same photo: a re-encoded or resized copy
/// is a few bits away; different documents of one template, 20 or more.
const NEAR_DUPLICATE_BITS: u32 = 12;
/// Runs after which a session whose provider stays down goes ahead without it.
const MAX_ATTEMPTS: i64 = 5;
/// The fingerprint kind of a document number without its issuing state (the console's search).
pub const DOCUMENT_SEARCH: &str = "document_search";

pub struct Engine {
    services: Services,
    blobs: Arc<dyn BlobStore>,
    sealer: Sealer,
    registries: Registries,
    providers: Providers,
    /// How long a claimed job is ours.
    lease: Duration,
}

#[derive(Debug, thiserror::Error)]
enum RunError {
    /// Worth trying again later.
    #[error("{0}")]
    Transient(String),
    /// Needs an operator (a missing or undecryptable image, a corrupt record).
    #[error("{0}")]
    Permanent(String),
}

impl From<verity_store::StoreError> for RunError {
    fn from(e: verity_store::StoreError) -> Self {
        RunError::Transient(e.to_string())
    }
}

impl From<ServiceError> for RunError {
    fn from(e: ServiceError) -> Self {
        RunError::Transient(e.to_string())
    }
}

/// One uploaded image, decrypted and analysed.
struct Analysed {
    slot: String,
    bytes: Vec<u8>,
    content_type: String,
    reading: Option<verity_reader::Reading>,
    faces: Option<usize>,
    /// The built-in matcher's scan (front page and selfie, when it decides the face match).
    scanned: Option<biometrics::ScannedFaces>,
}

impl Engine {
    pub fn new(
        services: Services,
        blobs: Arc<dyn BlobStore>,
        sealer: Sealer,
        registries: Registries,
        providers: Providers,
    ) -> Engine {
        Engine {
            // The engine keeps files of its own too (the face chips), sealed like the uploads.
            services: services.with_files(blobs.clone(), sealer.clone()),
            blobs,
            sealer,
            registries,
            providers,
            lease: Duration::from_secs(120),
        }
    }

    /// Runs check jobs until `stop` is set: the job in progress then finishes, and jobs claimed
    /// but not started go back to the queue for the next process.
    pub async fn run(self: Arc<Self>, mut stop: crate::StopSignal) {
        while !*stop.borrow() {
            let done = self.round_until(Some(&stop)).await;
            if done == 0 {
                tokio::select! {
                    _ = self.services.checks.notified() => {}
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                    _ = crate::stopped(&mut stop) => {}
                }
            }
        }
        tracing::info!("engine worker stopped");
    }

    /// Claims and runs the due jobs; returns how many were claimed.
    pub async fn round(&self) -> usize {
        self.round_until(None).await
    }

    async fn round_until(&self, stop: Option<&crate::StopSignal>) -> usize {
        let now_ms = now_millis() as i64;
        let jobs = match self
            .services
            .store
            .claim_check_jobs(now_ms, now_ms + self.lease.as_millis() as i64, 4)
            .await
        {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::warn!(error = %e, "cannot claim check jobs");
                return 0;
            }
        };
        for job in &jobs {
            if stop.is_some_and(|s| *s.borrow()) {
                // Not started: back in the queue at once, for whichever process runs next.
                let release = JobOutcome::Retry {
                    error: "released at shutdown before it started",
                    at_ms: now_millis() as i64,
                };
                if let Err(e) = self.services.store.finish_check_job(&job.session, release).await {
                    tracing::warn!(session = %job.session, error = %e, "cannot release a check job; its lease will lapse");
                }
                continue;
            }
            let clock = std::time::Instant::now();
            let outcome = self.run_job(job).await;
            crate::metrics::ENGINE_JOB_SECONDS.observe(clock.elapsed().as_secs_f64());
            let finish = match &outcome {
                Ok(()) => JobOutcome::Done,
                Err(RunError::Transient(e)) if job.attempts < MAX_ATTEMPTS => JobOutcome::Retry {
                    error: e,
                    at_ms: now_millis() as i64 + 5_000 * job.attempts,
                },
                Err(RunError::Transient(e)) | Err(RunError::Permanent(e)) => JobOutcome::Failed { error: e },
            };
            if let Err(e) = &outcome {
                tracing::warn!(session = %job.session, attempt = job.attempts, error = %e, "session checks did not complete");
            }
            if let Err(e) = self.services.store.finish_check_job(&job.session, finish).await {
                tracing::warn!(session = %job.session, error = %e, "cannot record the check job's end");
            }
        }
        jobs.len()
    }

    async fn run_job(&self, job: &CheckJob) -> Result<(), RunError> {
        let store = &self.services.store;
        let client = store
            .client(&job.client)
            .await?
            .ok_or_else(|| RunError::Permanent("client not found".into()))?
            .client;
        let session = store
            .session(&client.id, &job.session)
            .await?
            .ok_or_else(|| RunError::Permanent("session not found".into()))?;
        if session.status != SessionStatus::Pending {
            return Ok(());
        }
        let mut user = store
            .user(&client.id, &session.user_id)
            .await?
            .ok_or_else(|| RunError::Permanent("user not found".into()))?;
        // A PSC's own session checks the PSC as the engine checks a natural user: the document
        // against the declared person, the face, the liveness, the age.
        let psc_session = session.flow.psc().is_some();
        if let Some(id) = session.flow.psc() {
            let psc = store
                .psc(&client.id, id)
                .await?
                .ok_or_else(|| RunError::Permanent("PSC not found".into()))?;
            user = psc.as_subject(&user);
        }
        let mut progress = store
            .progress(&session.id)
            .await?
            .ok_or_else(|| RunError::Permanent("nothing was submitted".into()))?;
        let started = std::time::Instant::now();
        let mut images = Vec::new();
        // The built-in matcher compares faces unless a provider is configured (it replaces it).
        let built_in_match = biometrics::BUILT_IN && !self.providers.configured(providers::FACE_MATCH);
        for slot in [SLOT_FRONT, SLOT_BACK, SLOT_SELFIE] {
            if let Some(file) = progress.files.get(slot) {
                let scan = built_in_match && slot != SLOT_BACK;
                images.push(self.analyse(slot, &file.blob_id, &file.content_type, scan).await?);
            }
        }
        let (pages, selfie): (Vec<&Analysed>, Vec<&Analysed>) = images.iter().partition(|a| a.slot != SLOT_SELFIE);
        let page_readings: Vec<PageReading> = pages.iter().map(|a| page_reading(a)).collect();

        // Fraud signals: the document number (keyed hash) and the images' perceptual hashes.
        let mut fingerprints = Vec::new();
        if let Some(mrz) = page_readings.iter().find_map(|p| p.mrz.as_ref().filter(|m| m.valid())) {
            let number = format!("{}:{}", mrz.issuing_state, mrz.document_number);
            fingerprints.push(("document_number".to_owned(), self.sealer.fingerprint(&number)));
            // Without the issuing state: what the console's search box looks a number up by.
            let term = verity_domain::search::document_number_term(&mrz.document_number);
            fingerprints.push((DOCUMENT_SEARCH.to_owned(), self.sealer.fingerprint(&term)));
        }
        let hashes: Vec<&str> = images
            .iter()
            .filter_map(|a| a.reading.as_ref().map(|r| r.phash256.as_str()))
            .collect();
        for hash in &hashes {
            // Eight bands index the hash: a near-duplicate (a few bits apart) keeps some band
            // intact, and candidates found by band are then compared bit by bit.
            for (i, band) in hash.as_bytes().chunks(8).enumerate() {
                fingerprints.push((format!("image_band{i}"), String::from_utf8_lossy(band).into_owned()));
            }
            fingerprints.push(("image".to_owned(), (*hash).to_owned()));
        }
        let matches = store
            .record_fingerprints(&client.id, &user.id, &session.id, &fingerprints, now())
            .await?;
        let mut signals = FraudSignals::default();
        let mut candidates: Vec<String> = Vec::new();
        for m in matches {
            if m.kind == DOCUMENT_SEARCH {
                continue;
            }
            if m.kind == "document_number" {
                if !signals.document_number_used_by.contains(&m.user) {
                    signals.document_number_used_by.push(m.user);
                }
            } else if !candidates.contains(&m.session) {
                candidates.push(m.session);
            }
        }
        for other in candidates {
            let theirs = store.fingerprint_values(&other, "image").await?;
            let near = theirs.iter().any(|t| {
                hashes
                    .iter()
                    .any(|h| verity_reader::phash::hex_distance(h, t) <= NEAR_DUPLICATE_BITS)
            });
            if near {
                signals.image_seen_in.push(other);
            }
        }

        // External providers.
        let selfie_image = selfie.first().map(|a| (a.content_type.as_str(), a.bytes.as_slice()));
        let front_image = pages.first().map(|a| (a.content_type.as_str(), a.bytes.as_slice()));
        let face_match = match (selfie_image, front_image) {
            (Some(s), Some(f)) if self.providers.configured(providers::FACE_MATCH) => {
                let images = [("selfie", s.0, s.1), ("document_front", f.0, f.1)];
                match self
                    .providers
                    .ask(providers::FACE_MATCH, session.id.as_str(), &images)
                    .await
                {
                    Some(a) => match a.outcome {
                        verity_domain::engine::ProviderOutcome::Pass => FaceMatch::Matched {
                            provider: a.provider,
                            score: a.score.unwrap_or(1.0),
                        },
                        verity_domain::engine::ProviderOutcome::Fail => FaceMatch::Mismatch {
                            provider: a.provider,
                            score: a.score.unwrap_or(0.0),
                        },
                        _ => FaceMatch::Unavailable {
                            provider: a.provider,
                            message: a.message.unwrap_or_else(|| "inconclusive".into()),
                        },
                    },
                    None => FaceMatch::NotConfigured,
                }
            }
            _ => match (
                selfie.first().and_then(|a| a.scanned.as_ref()),
                pages.first().and_then(|a| a.scanned.as_ref()),
            ) {
                (Some(s), Some(f)) => FaceMatch::BuiltIn(biometrics::compare(f, s)),
                _ => FaceMatch::NotConfigured,
            },
        };
        if matches!(face_match, FaceMatch::BuiltIn(_)) {
            self.keep_face_chips(&client.id, &session, &mut progress, &pages, &selfie)
                .await?;
        }
        let mut verdicts = Vec::new();
        for check in [providers::DOCUMENT_AUTHENTICITY, providers::LIVENESS] {
            let images: Vec<(&str, &str, &[u8])> = images
                .iter()
                .filter(|a| (check == providers::LIVENESS) == (a.slot == SLOT_SELFIE))
                .map(|a| (role(&a.slot), a.content_type.as_str(), a.bytes.as_slice()))
                .collect();
            if images.is_empty() {
                continue;
            }
            if let Some(a) = self.providers.ask(check, session.id.as_str(), &images).await {
                verdicts.push(ProviderVerdict {
                    check: check.to_owned(),
                    provider: a.provider,
                    outcome: a.outcome,
                    score: a.score,
                    message: a.message,
                });
            }
        }
        let provider_down = verdicts
            .iter()
            .any(|v| v.outcome == verity_domain::engine::ProviderOutcome::Unavailable)
            || matches!(face_match, FaceMatch::Unavailable { ref message, .. } if message != "inconclusive");
        // A provider outage is retried with the whole run; the last run goes ahead without it.
        if provider_down && job.attempts < MAX_ATTEMPTS {
            return Err(RunError::Transient("a check provider is unavailable".into()));
        }

        let registry = match &user.person {
            Person::Legal(_) => Some(self.registry_lookup(&user, &progress).await?),
            Person::Natural(_) => None,
        };
        let liveness = self.liveness(&progress).await?;
        let stored_policy = store.client_policy(&client.id).await?;
        let policy = Policy {
            minimum_age: stored_policy.minimum_age,
            liveness_required: stored_policy.liveness_required,
            // A PSC belongs to a legal user, whose unclear cases always go to a reviewer.
            natural_review: client.natural_review || psc_session,
            fraud: if stored_policy.fraud_routing == "refuse" {
                Routing::Refuse
            } else {
                Routing::Review
            },
        };
        let inputs = Inputs {
            user: &user,
            progress: &progress,
            pages: page_readings.clone(),
            selfie_faces: selfie.first().and_then(|a| a.faces),
            face_match,
            liveness,
            providers: verdicts,
            registry,
            signals,
            policy,
            now: now(),
        };
        let decision = engine::decide(&inputs);
        let evidence = EvidenceRecord::new(
            &decision,
            &inputs,
            concat!("verity ", env!("CARGO_PKG_VERSION")),
            now(),
            started.elapsed().as_millis() as u64,
        );
        self.services.save_evidence(&client.id, &session.id, &evidence).await?;
        let checks = to_checks(&decision.checks, now());
        let status = decision.status;
        let decided = self
            .services
            .transition(&client, &session.id, &|s: &IdvSession, _: &User, _: &Client| {
                if s.status != SessionStatus::Pending {
                    return Err(LifecycleError::Transition(
                        verity_domain::lifecycle::TransitionError::NotAllowed {
                            from: s.status,
                            to: status,
                        },
                    ));
                }
                Ok(Decision {
                    status,
                    checks: Some(checks.clone()),
                })
            })
            .await;
        match decided {
            Ok(_) => {
                tracing::info!(session = %session.id, status = ?status, took_ms = started.elapsed().as_millis() as u64, "session decided by the engine");
                Ok(())
            }
            // Decided meanwhile (expired, or by an operator): nothing left to do.
            Err(LifecycleError::Transition(_)) => Ok(()),
            Err(e) => Err(RunError::Transient(e.to_string())),
        }
    }

    /// A stored file's bytes, decrypted.
    async fn open_blob(&self, what: &str, blob_id: &str) -> Result<Vec<u8>, RunError> {
        let meta = self
            .services
            .store
            .blob(blob_id)
            .await?
            .ok_or_else(|| RunError::Permanent(format!("the {what}'s record is missing")))?;
        let sealed = self
            .blobs
            .get(blob_id)
            .await
            .map_err(|e| RunError::Transient(format!("blob store: {e}")))?
            .ok_or_else(|| RunError::Permanent(format!("the {what} is missing from the blob store")))?;
        self.sealer
            .open_blob(&sealed, &meta.wrapped_key, blob_id)
            .map_err(|_| RunError::Permanent(format!("the {what} cannot be decrypted")))
    }

    async fn analyse(&self, slot: &str, blob_id: &str, content_type: &str, scan: bool) -> Result<Analysed, RunError> {
        let bytes = self.open_blob(&format!("{slot} image"), blob_id).await?;
        let is_image = content_type.starts_with("image/");
        let is_selfie = slot == SLOT_SELFIE;
        // The bytes go to the reading thread and come back with what was read (no copy).
        let (bytes, reading, faces, scanned) = tokio::task::spawn_blocking(move || {
            let Some(image) = is_image.then(|| verity_reader::decode_image(&bytes).ok()).flatten() else {
                return (bytes, None, None, None);
            };
            let gray = verity_reader::Gray::from_image(&image);
            let reading = verity_reader::read_gray(&gray);
            let side = if is_selfie {
                biometrics::Side::Selfie
            } else {
                biometrics::Side::Document
            };
            let scanned = if scan { biometrics::scan(&image, side) } else { None };
            let faces = match &scanned {
                Some(s) => Some(s.detected),
                // Counted at the sizes the built-in matcher looks at: a face smaller than that
                // is no one's to compare (and a search for small faces costs quadratically more).
                None => {
                    let share = if is_selfie {
                        verity_reader::face::SELFIE_FACE_SHARE
                    } else {
                        verity_reader::face::DOCUMENT_FACE_SHARE
                    };
                    verity_reader::face::detect_large(&gray, share).map(|f| f.len())
                }
            };
            (bytes, Some(reading), faces, scanned)
        })
        .await
        .map_err(|e| RunError::Transient(format!("reader task: {e}")))?;
        Ok(Analysed {
            slot: slot.to_owned(),
            bytes,
            content_type: content_type.to_owned(),
            reading,
            faces,
            scanned,
        })
    }

    async fn registry_lookup(&self, user: &User, progress: &Progress) -> Result<RegistryLookup, RunError> {
        let business = progress.business.clone().unwrap_or_default();
        let number = match (&user.person, business.registration_number.is_empty()) {
            (Person::Legal(l), true) => l.company_number.clone().unwrap_or_default(),
            _ => business.registration_number.clone(),
        };
        let country = business.country.to_uppercase();
        let number = match normalise_company_number(&country, &number) {
            Ok(n) => n,
            Err(e) => return Ok(RegistryLookup::InvalidNumber { message: e.to_string() }),
        };
        if let Some(record) = self.services.store.registry_record(&country, &number).await? {
            return Ok(RegistryLookup::Found {
                registry: "local".into(),
                record,
            });
        }
        match self.registries.lookup(&country, &number).await {
            Some(found) => Ok(match found.result {
                Ok(Some(record)) => RegistryLookup::Found {
                    registry: found.registry.into(),
                    record,
                },
                Ok(None) => RegistryLookup::NotFound {
                    registry: found.registry.into(),
                },
                Err(e) => RegistryLookup::Unavailable {
                    registry: found.registry.into(),
                    message: e.to_string(),
                },
            }),
            None if has_rules(&country) => Ok(RegistryLookup::NotFound {
                registry: "local".into(),
            }),
            None => Ok(RegistryLookup::NoRegistry),
        }
    }
}

fn role(slot: &str) -> &'static str {
    match slot {
        SLOT_FRONT => "document_front",
        SLOT_BACK => "document_back",
        _ => "selfie",
    }
}

fn page_reading(a: &Analysed) -> PageReading {
    let Some(r) = &a.reading else {
        return PageReading {
            slot: a.slot.clone(),
            quality: vec!["NOT_AN_IMAGE".into()],
            ..Default::default()
        };
    };
    PageReading {
        slot: a.slot.clone(),
        mrz: r.mrz.as_ref().map(|m| m.fields.clone()),
        mrz_lines: r.mrz.as_ref().map(|m| m.lines.clone()).unwrap_or_default(),
        mrz_score: r.mrz.as_ref().map_or(0.0, |m| m.mean_score),
        corrections: r.mrz.as_ref().map_or(0, |m| m.corrections.len()),
        quality: r.quality.findings.iter().map(|f| f.to_string()).collect(),
        faces: a.faces,
    }
}

/// The Mangopay shape of the engine's checks.
pub fn to_checks(results: &[engine::CheckResult], now: i64) -> Vec<Check> {
    results
        .iter()
        .map(|c| {
            let (status, reasons) = match c.outcome {
                Outcome::Passed => ("VALIDATED", Vec::new()),
                Outcome::Refused(reason) => (
                    "REFUSED",
                    vec![TypedValue {
                        kind: reason.to_owned(),
                        value: Some(preset_reason_value(c.kind).to_owned()),
                    }],
                ),
                Outcome::Inconclusive => ("REVIEW", Vec::new()),
            };
            Check {
                id: new_id("idnchc_"),
                kind: c.kind.to_owned(),
                status: status.to_owned(),
                reasons,
                data: c.data.clone(),
                created_at: now,
                updated_at: now,
            }
        })
        .collect()
}

impl Services {
    /// A session's evidence record, as the engine (or a redaction) left it.
    pub async fn evidence(&self, session: &SessionId) -> Result<Option<EvidenceRecord>, ServiceError> {
        match self.store.evidence(session).await? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
                ServiceError::Store(verity_store::StoreError::Corrupt(format!("evidence of {session}: {e}")))
            }),
        }
    }

    pub async fn save_evidence(
        &self,
        client: &verity_domain::ClientId,
        session: &SessionId,
        evidence: &EvidenceRecord,
    ) -> Result<(), ServiceError> {
        let text = serde_json::to_string(evidence)
            .map_err(|e| ServiceError::Store(verity_store::StoreError::Corrupt(format!("evidence: {e}"))))?;
        Ok(self.store.save_evidence(client, session, &text, now()).await?)
    }
}

/// The local company registry, imported by operators.
impl Services {
    /// Adds or replaces companies of the local registry; returns how many were written.
    pub async fn import_registry(
        &self,
        records: &[verity_domain::company::RegistryRecord],
    ) -> Result<u64, crate::ServiceError> {
        Ok(self.store.import_registry(records, crate::now()).await?)
    }

    /// A company of the local registry.
    pub async fn registry_record(
        &self,
        country: &str,
        number: &str,
    ) -> Result<Option<verity_domain::company::RegistryRecord>, crate::ServiceError> {
        Ok(self.store.registry_record(country, number).await?)
    }
}
