//! The evidence record: what the engine keeps of a decision for reviewers and operators (never
//! sent to platforms). The engine writes it, the console shows it, the CLI prints it, redaction
//! trims it: one type for all of them, stored as JSON. Rows written before `version` existed read
//! as version 1, which has the same shape.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Decision, FaceMatch, FraudSignals, Inputs, Outcome, Policy, ProviderVerdict, RegistryLookup, Verdict};
use crate::UnixTime;
use crate::session::{SessionStatus, TypedValue};

/// The shape written now.
pub const EVIDENCE_VERSION: u32 = 1;

fn first_version() -> u32 {
    1
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EvidenceRecord {
    #[serde(default = "first_version")]
    pub version: u32,
    /// `verity <version>`.
    pub engine: String,
    pub decided_at: UnixTime,
    pub took_ms: u64,
    pub status: SessionStatus,
    pub checks: Vec<CheckEvidence>,
    /// What the decision was given; gone once the session's data is redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<EvidenceInputs>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub redacted: bool,
    /// The identity document as read (what `verified-identity` reports once validated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<VerifiedDocument>,
}

/// What was read off the identity document of a session: enough to name it, never the whole
/// number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedDocument {
    /// `PASSPORT`, `IDENTITY_CARD`, `DRIVING_LICENCE` or `RESIDENCE_PERMIT`, as chosen.
    pub document_type: String,
    /// As chosen on the page (ISO 3166-1 alpha-2).
    pub issuing_country: String,
    /// The document number's last four characters, from the machine-readable zone.
    pub number_last_digits: Option<String>,
    pub expiry_date: Option<UnixTime>,
    /// ISO 3166-1 alpha-3, as the machine-readable zone writes it.
    pub nationality: Option<String>,
}

impl VerifiedDocument {
    fn of(inputs: &Inputs<'_>) -> Option<VerifiedDocument> {
        let choice = inputs.progress.document.as_ref()?;
        let mrz = inputs.pages.iter().find_map(|p| p.mrz.as_ref().filter(|m| m.valid()));
        let number = mrz.map(|m| m.document_number.trim_end_matches('<').to_owned());
        Some(VerifiedDocument {
            document_type: choice.kind.as_str().to_owned(),
            issuing_country: choice.country.clone(),
            number_last_digits: number.map(|n| n.chars().skip(n.chars().count().saturating_sub(4)).collect()),
            expiry_date: mrz.and_then(|m| super::document::mrz_date(&m.expiry_date, false, inputs.now)),
            nationality: mrz.map(|m| m.nationality.clone()).filter(|n| !n.is_empty()),
        })
    }
}

/// One check's outcome and the rules it applied.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckEvidence {
    pub kind: String,
    pub outcome: CheckOutcome,
    pub data: Vec<TypedValue>,
    pub evidence: Vec<RuleEvidence>,
}

/// [`Outcome`], owned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckOutcome {
    Passed,
    Refused(String),
    Inconclusive,
}

/// One rule applied, with the values it compared (`"redacted"` once the data is erased).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RuleEvidence {
    pub rule: String,
    pub verdict: Verdict,
    pub detail: Value,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EvidenceInputs {
    pub registry: Option<RegistryLookup>,
    pub signals: FraudSignals,
    pub policy: Policy,
    pub face_match: FaceMatch,
    pub providers: Vec<ProviderVerdict>,
}

impl EvidenceRecord {
    /// The record of `decision`, taken from `inputs`.
    pub fn new(decision: &Decision, inputs: &Inputs<'_>, engine: &str, decided_at: UnixTime, took_ms: u64) -> Self {
        EvidenceRecord {
            version: EVIDENCE_VERSION,
            engine: engine.to_owned(),
            decided_at,
            took_ms,
            status: decision.status,
            checks: decision
                .checks
                .iter()
                .map(|c| CheckEvidence {
                    kind: c.kind.to_owned(),
                    outcome: match c.outcome {
                        Outcome::Passed => CheckOutcome::Passed,
                        Outcome::Refused(reason) => CheckOutcome::Refused(reason.to_owned()),
                        Outcome::Inconclusive => CheckOutcome::Inconclusive,
                    },
                    data: c.data.clone(),
                    evidence: c
                        .evidence
                        .iter()
                        .map(|e| RuleEvidence {
                            rule: e.rule.to_owned(),
                            verdict: e.verdict.clone(),
                            detail: e.detail.clone(),
                        })
                        .collect(),
                })
                .collect(),
            inputs: Some(EvidenceInputs {
                registry: inputs.registry.clone(),
                signals: inputs.signals.clone(),
                policy: inputs.policy.clone(),
                face_match: inputs.face_match.clone(),
                providers: inputs.providers.clone(),
            }),
            redacted: false,
            document: VerifiedDocument::of(inputs),
        }
    }

    /// Keeps each check, rule and verdict; drops the values compared, the data read and the
    /// inputs.
    pub fn redact(&mut self) {
        self.inputs = None;
        self.document = None;
        self.redacted = true;
        for check in &mut self.checks {
            check.data.clear();
            for rule in &mut check.evidence {
                rule.detail = Value::String("redacted".into());
            }
        }
    }

    /// The registry's answer, when the engine asked one.
    pub fn registry(&self) -> Option<&RegistryLookup> {
        self.inputs.as_ref().and_then(|i| i.registry.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row as the engine wrote it before the record had a type (and a version).
    const STORED_BEFORE: &str = r#"{"engine":"verity 0.1.0","decided_at":1790000000,"took_ms":412,"status":"REVIEW",
        "checks":[{"kind":"BUSINESS_VERIFICATION","outcome":"Inconclusive","data":[{"Type":"NAME","Value":"Acme"}],
                   "evidence":[{"rule":"registry_lookup","verdict":"inconclusive","detail":{"number":"123"}}]},
                  {"kind":"IDV_AGE_CHECK","outcome":{"Refused":"UNDERAGE_PERSON"},"data":[],"evidence":[]}],
        "inputs":{"registry":{"Found":{"registry":"local","record":{"country":"FR","number":"123","name":"Acme",
                  "active":true,"officers":["Marie Dubois"],"owners":[]}}},
                  "signals":{"document_number_used_by":[],"image_seen_in":[]},
                  "policy":{"minimum_age":18,"natural_review":false,"fraud":"Review"},
                  "face_match":"NotConfigured","providers":[]}}"#;

    #[test]
    fn rows_written_before_versions_read_as_version_one() {
        let record: EvidenceRecord = serde_json::from_str(STORED_BEFORE).unwrap();
        assert_eq!(record.version, 1);
        assert_eq!(record.status, SessionStatus::Review);
        assert_eq!(
            record.checks[1].outcome,
            CheckOutcome::Refused("UNDERAGE_PERSON".into())
        );
        match record.registry() {
            Some(RegistryLookup::Found { record, .. }) => assert_eq!(record.officers, ["Marie Dubois"]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn redaction_keeps_rules_and_verdicts_only() {
        let mut record: EvidenceRecord = serde_json::from_str(STORED_BEFORE).unwrap();
        record.redact();
        let text = serde_json::to_string(&record).unwrap();
        assert!(
            !text.contains("Acme") && !text.contains("Marie") && !text.contains("123"),
            "{text}"
        );
        assert!(text.contains("registry_lookup") && text.contains("\"redacted\":true"));
        let again: EvidenceRecord = serde_json::from_str(&text).unwrap();
        assert!(again.redacted && again.inputs.is_none());
        assert_eq!(again.checks[0].evidence[0].verdict, Verdict::Inconclusive);
    }
}
