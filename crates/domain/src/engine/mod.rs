//! The check pipeline: from what was read off a session's images, what the registry said and
//! what the fraud indexes found, to `Checks[]` and the session's status. Pure: the service
//! gathers the inputs (image reading, registry calls, index lookups) and commits the decision.
//!
//! Every check keeps its evidence (rule, values compared, scores) for reviewers; evidence never
//! leaves Verity through the Mangopay-compatible API.

mod age;
pub mod biometrics;
mod business;
mod decision;
mod document;
mod face;
mod fraud;
mod identity;
mod inputs;
pub mod liveness;
mod name;
mod outcome;
mod psc;
mod record;

pub use decision::{decide, psc_main_check_types};
pub(crate) use document::mrz_date;
pub use inputs::{
    FaceMatch, FraudSignals, Inputs, Liveness, PageReading, Policy, ProviderOutcome, ProviderVerdict, RegistryLookup,
    Routing,
};
pub use outcome::{CheckResult, Decision, Evidence, Outcome, Verdict};
pub use record::{
    CheckEvidence, CheckOutcome, EVIDENCE_VERSION, EvidenceInputs, EvidenceRecord, RuleEvidence, VerifiedDocument,
};
