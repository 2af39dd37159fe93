//! `decide`: runs the checks the user's type calls for and turns their outcomes into a status.

use super::age::age_check;
use super::business::{business_insights_match, business_name_match, registry_check};
use super::identity::{declared_person, identity_check, identity_data};
use super::inputs::Inputs;
use super::name::name_match_check;
use super::outcome::{Decision, Outcome, Verdict};
use super::psc::{psc_consistency_check, psc_role_check};
use crate::company::RegistryRecord;
use crate::matching::names_match;
use crate::psc::{PSC_CONSISTENCY_CHECK, PSC_ROLE_CHECK};
use crate::sandbox::{
    BUSINESS_INSIGHTS_MATCH, BUSINESS_NAME_MATCH, BUSINESS_VERIFICATION, IDENTITY_DOCUMENT_VERIFICATION, IDV_AGE_CHECK,
    IDV_NAME_MATCH_CHECK, check_types,
};
use crate::session::SessionStatus;
use crate::user::Person;

/// The checks of a PSC flow's main session: the company, and the declared people against the
/// registry and against each other (each person's identity is checked in their own session).
pub fn psc_main_check_types(user: &crate::user::User) -> &'static [&'static str] {
    match user.legal_person_type() {
        Some(crate::user::LegalPersonType::Soletrader) | None => check_types(user),
        Some(_) => &[BUSINESS_VERIFICATION, PSC_ROLE_CHECK, PSC_CONSISTENCY_CHECK],
    }
}

pub fn decide(inputs: &Inputs) -> Decision {
    let user = inputs.user;
    let kinds = if inputs.progress.psc_main {
        psc_main_check_types(user)
    } else {
        check_types(user)
    };
    let mut facts = None;
    let identity = identity_check(inputs, &mut facts);
    // Without a document to check (the PSC flow's main session), nothing about identity failed.
    let identity_passed =
        !kinds.contains(&IDENTITY_DOCUMENT_VERIFICATION) || !matches!(identity.outcome, Outcome::Refused(_));
    let (first, last, _) = declared_person(user);
    let names_agree = facts
        .as_ref()
        .is_some_and(|f| names_match(first, last, &f.first, &f.last));
    let mut checks = Vec::new();
    let mut registry_record = None;
    let mut business_passed = false;
    for &kind in kinds {
        match kind {
            IDENTITY_DOCUMENT_VERIFICATION => {
                let mut c = identity.clone();
                c.data = identity_data(user, facts.as_ref(), names_agree);
                checks.push(c);
            }
            IDV_NAME_MATCH_CHECK if identity_passed => {
                let f = facts.as_ref().expect("identity passed");
                checks.push(name_match_check(first, last, f, names_agree));
            }
            IDV_AGE_CHECK if identity_passed => {
                let f = facts.as_ref().expect("identity passed");
                checks.push(age_check(inputs, f));
            }
            BUSINESS_VERIFICATION => {
                let (check, record) = registry_check(inputs, user);
                business_passed = check.outcome == Outcome::Passed;
                registry_record = record;
                checks.push(check);
            }
            // Matches against the registry run once the company was verified there and the
            // document passed; otherwise a reviewer does them.
            BUSINESS_NAME_MATCH | BUSINESS_INSIGHTS_MATCH if identity_passed && business_passed => {
                let record = registry_record.clone().unwrap_or_else(|| RegistryRecord {
                    country: String::new(),
                    number: String::new(),
                    name: String::new(),
                    active: true,
                    officers: Vec::new(),
                    owners: Vec::new(),
                });
                let f = facts.as_ref().expect("identity passed");
                let holder = (f.first.as_str(), f.last.as_str());
                if kind == BUSINESS_NAME_MATCH {
                    checks.push(business_name_match(&record, holder));
                } else {
                    checks.push(business_insights_match(inputs, &record, holder));
                }
            }
            PSC_ROLE_CHECK => checks.push(psc_role_check(inputs.progress, registry_record.as_ref())),
            PSC_CONSISTENCY_CHECK => checks.push(psc_consistency_check(inputs.progress)),
            _ => {}
        }
    }
    let refused = checks.iter().any(|c| matches!(c.outcome, Outcome::Refused(_)));
    let inconclusive = checks.iter().any(|c| c.outcome == Outcome::Inconclusive)
        || (user.legal_person_type().is_some() && identity_passed && !business_passed);
    let natural = matches!(user.person, Person::Natural(_));
    let status = if refused {
        SessionStatus::Refused
    } else if inconclusive {
        if natural && !inputs.policy.natural_review {
            // Decision 12: without the client's opt-in, a natural user's session is never
            // sent to review; what a machine could not confirm is refused, with its evidence.
            SessionStatus::Refused
        } else {
            SessionStatus::Review
        }
    } else {
        SessionStatus::Validated
    };
    if status == SessionStatus::Refused && !refused {
        // Make the refusal explicit on the check that could not conclude.
        for c in checks.iter_mut().filter(|c| c.outcome == Outcome::Inconclusive) {
            // A face that could not be confirmed is a failed face match, not a bad document.
            let face_unsure = c.evidence.iter().any(|e| {
                matches!(e.rule, "face_match" | "liveness" | "active_liveness")
                    && matches!(e.verdict, Verdict::Inconclusive | Verdict::NotChecked)
            });
            c.outcome = Outcome::Refused(match c.kind {
                IDENTITY_DOCUMENT_VERIFICATION if face_unsure => "FACE_MATCH_FAIL",
                _ => "DOCUMENT_NOT_ACCEPTED",
            });
        }
    }
    Decision { status, checks }
}
