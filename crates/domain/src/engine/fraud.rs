//! Fraud signals: a document number or an image already seen with another user of the client.

use serde_json::json;

use super::inputs::{Inputs, Routing};
use super::outcome::{Evidence, Outcome, Verdict, ev};

/// Fraud signals, routed by the client's policy: refused, or left to a reviewer.
pub(super) fn fraud_signals(inputs: &Inputs, evidence: &mut Vec<Evidence>) -> Result<Outcome, &'static str> {
    let mut outcome = Outcome::Passed;
    if !inputs.signals.document_number_used_by.is_empty() || !inputs.signals.image_seen_in.is_empty() {
        evidence.push(ev(
            "fraud_signals",
            Verdict::Fail,
            json!({"document_number_used_by": inputs.signals.document_number_used_by, "image_seen_in": inputs.signals.image_seen_in, "routing": inputs.policy.fraud}),
        ));
        match inputs.policy.fraud {
            Routing::Refuse => return Err("DOCUMENT_FALSIFIED"),
            Routing::Review => outcome = Outcome::Inconclusive,
        }
    } else {
        evidence.push(ev("fraud_signals", Verdict::Pass, json!({})));
    }
    Ok(outcome)
}
