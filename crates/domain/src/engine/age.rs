//! The `IDV_AGE_CHECK`: the document holder's age against the client's minimum.

use serde_json::json;

use super::identity::IdentityFacts;
use super::inputs::Inputs;
use super::outcome::{CheckResult, Outcome, Verdict, ev};
use crate::matching::age_at;
use crate::sandbox::IDV_AGE_CHECK;

/// The holder's age on the document's birth date, at least the policy's minimum.
pub(super) fn age_check(inputs: &Inputs, f: &IdentityFacts) -> CheckResult {
    let age = f.birth.map(|b| age_at(b, inputs.now));
    let adult = age.is_some_and(|a| a >= inputs.policy.minimum_age);
    CheckResult {
        kind: IDV_AGE_CHECK,
        outcome: if adult {
            Outcome::Passed
        } else {
            Outcome::Refused("DOCUMENT_NOT_ACCEPTED")
        },
        data: Vec::new(),
        evidence: vec![ev(
            "minimum_age",
            if adult { Verdict::Pass } else { Verdict::Fail },
            json!({"age": age, "minimum": inputs.policy.minimum_age}),
        )],
    }
}
