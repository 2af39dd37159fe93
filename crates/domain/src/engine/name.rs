//! The `IDV_NAME_MATCH_CHECK`: the declared names against the names on the document.

use serde_json::json;

use super::identity::IdentityFacts;
use super::outcome::{CheckResult, Outcome, Verdict, ev};
use crate::sandbox::IDV_NAME_MATCH_CHECK;

/// The declared `first last` against the document's, whose agreement `decide` already settled.
pub(super) fn name_match_check(first: &str, last: &str, f: &IdentityFacts, names_agree: bool) -> CheckResult {
    CheckResult {
        kind: IDV_NAME_MATCH_CHECK,
        outcome: if names_agree {
            Outcome::Passed
        } else {
            Outcome::Refused("DOCUMENT_NOT_ACCEPTED")
        },
        data: Vec::new(),
        evidence: vec![ev(
            "names_match",
            if names_agree { Verdict::Pass } else { Verdict::Fail },
            json!({"declared": {"first": first, "last": last}, "document": {"first": f.first, "last": f.last},
                   "rule": "case, diacritics, ICAO transliteration, hyphens and extra given names ignored"}),
        )],
    }
}
