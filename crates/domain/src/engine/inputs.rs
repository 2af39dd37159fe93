//! What the pipeline is given: page readings, registry and provider answers, fraud signals, policy.

use serde::{Deserialize, Serialize};

use super::biometrics::FaceComparison;
use super::liveness::LivenessAttempt;
use crate::UnixTime;
use crate::company::RegistryRecord;
use crate::hosted::Progress;
use crate::mrz::Mrz;
use crate::user::User;

/// What the reader found on one uploaded document page.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PageReading {
    pub slot: String,
    pub mrz: Option<Mrz>,
    pub mrz_lines: Vec<String>,
    /// Mean character score of the MRZ (about 1.0 for clean print).
    pub mrz_score: f32,
    /// Characters the check digits settled between near-tied readings.
    pub corrections: usize,
    pub quality: Vec<String>,
    /// Faces found; `None` when no face detector is built in.
    pub faces: Option<usize>,
}

/// What the registry said about the company declared in the session.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum RegistryLookup {
    Found {
        registry: String,
        record: RegistryRecord,
    },
    NotFound {
        registry: String,
    },
    InvalidNumber {
        message: String,
    },
    Unavailable {
        registry: String,
        message: String,
    },
    /// No registry covers the country and the number has no offline rule.
    NoRegistry,
}

/// The face match between the selfie and the document portrait: from the built-in matcher, or
/// from a provider when one is configured (it replaces the built-in one).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum FaceMatch {
    BuiltIn(FaceComparison),
    Matched {
        provider: String,
        score: f32,
    },
    Mismatch {
        provider: String,
        score: f32,
    },
    /// No provider, and no built-in matcher in this build (or no image to compare).
    NotConfigured,
    Unavailable {
        provider: String,
        message: String,
    },
}

/// The built-in active liveness check's input.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub enum Liveness {
    /// The frames answering a challenge, measured.
    Attempted(LivenessAttempt),
    /// The selfie came without one (no camera, no script, permission refused).
    #[default]
    NotAttempted,
    /// No built-in matcher in this build to measure the frames.
    NotBuiltIn,
}

/// What an external provider (a vendor or an in-house model) answered for one check.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProviderVerdict {
    /// `document_authenticity` or `liveness`.
    pub check: String,
    pub provider: String,
    pub outcome: ProviderOutcome,
    pub score: Option<f32>,
    pub message: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderOutcome {
    Pass,
    Fail,
    Inconclusive,
    /// The provider could not be reached or answered nonsense, after retries.
    Unavailable,
}

/// Where a finding that needs a human goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Routing {
    Review,
    Refuse,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Policy {
    pub minimum_age: i64,
    /// Whether a natural user's selfie must come with a passed active liveness check (without
    /// one, the identity check is inconclusive); off by default.
    #[serde(default)]
    pub liveness_required: bool,
    /// Whether natural users' sessions may go to review (decision 12; off by default).
    pub natural_review: bool,
    /// Where a reused document number or a resubmitted image goes.
    pub fraud: Routing,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            minimum_age: 18,
            liveness_required: false,
            natural_review: false,
            fraud: Routing::Review,
        }
    }
}

/// Matches against earlier submissions of the same client.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FraudSignals {
    /// Other users of the client who submitted a document with the same number.
    pub document_number_used_by: Vec<String>,
    /// Other users' sessions with a near-identical image.
    pub image_seen_in: Vec<String>,
}

pub struct Inputs<'a> {
    pub user: &'a User,
    pub progress: &'a Progress,
    /// Document pages in upload order (front, then back).
    pub pages: Vec<PageReading>,
    pub selfie_faces: Option<usize>,
    pub face_match: FaceMatch,
    pub liveness: Liveness,
    /// Verdicts of the other configured providers.
    pub providers: Vec<ProviderVerdict>,
    pub registry: Option<RegistryLookup>,
    pub signals: FraudSignals,
    pub policy: Policy,
    pub now: UnixTime,
}
