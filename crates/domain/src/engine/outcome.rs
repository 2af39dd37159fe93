//! What the pipeline produces: per-check outcomes and evidence, and the session's decision.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::session::{SessionStatus, TypedValue};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Outcome {
    Passed,
    Refused(&'static str),
    /// A human must decide (legal users; natural users only where the client opted in).
    Inconclusive,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    Inconclusive,
    NotChecked,
    Info,
}

/// One rule applied, with the values it compared.
#[derive(Clone, Debug, Serialize)]
pub struct Evidence {
    pub rule: &'static str,
    pub verdict: Verdict,
    pub detail: Value,
}

#[derive(Clone, Debug, Serialize)]
pub struct CheckResult {
    pub kind: &'static str,
    pub outcome: Outcome,
    pub data: Vec<TypedValue>,
    pub evidence: Vec<Evidence>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Decision {
    pub status: SessionStatus,
    pub checks: Vec<CheckResult>,
}

pub(super) fn ev(rule: &'static str, verdict: Verdict, detail: Value) -> Evidence {
    Evidence { rule, verdict, detail }
}
