//! The `IDENTITY_DOCUMENT_VERIFICATION` check: its stages in order, and the data it reports.

use super::document::read_document;
use super::face::{active_liveness, face_match, faces_present, provider_verdicts};
use super::fraud::fraud_signals;
use super::inputs::Inputs;
use super::outcome::{CheckResult, Evidence, Outcome};
use crate::sandbox::IDENTITY_DOCUMENT_VERIFICATION;
use crate::session::TypedValue;
use crate::user::{Person, User};

/// The person whose identity document this is: the user, or the legal representative.
pub(super) fn declared_person(user: &User) -> (&str, &str, bool) {
    match &user.person {
        Person::Natural(n) => (&n.first_name, &n.last_name, false),
        Person::Legal(l) => (
            &l.legal_representative.first_name,
            &l.legal_representative.last_name,
            true,
        ),
    }
}

pub(super) struct IdentityFacts {
    pub(super) first: String,
    pub(super) last: String,
    pub(super) birth: Option<i64>,
}

/// The document, then the faces, the providers' verdicts, the face match and the fraud signals, in
/// that order; the first refusal ends the check. Once every stage passed, `facts` receives what the
/// document says of its holder.
pub(super) fn identity_check(inputs: &Inputs, facts: &mut Option<IdentityFacts>) -> CheckResult {
    let mut evidence = Vec::new();
    let outcome = match run_stages(inputs, &mut evidence) {
        Ok((found, outcome)) => {
            *facts = Some(found);
            outcome
        }
        Err(reason) => Outcome::Refused(reason),
    };
    CheckResult {
        kind: IDENTITY_DOCUMENT_VERIFICATION,
        outcome,
        data: Vec::new(),
        evidence,
    }
}

/// Runs the stages; `Err` is the refusal reason of the first stage that refused. The check is
/// inconclusive when any stage that can be unsure was.
fn run_stages(inputs: &Inputs, evidence: &mut Vec<Evidence>) -> Result<(IdentityFacts, Outcome), &'static str> {
    let found = read_document(inputs, evidence)?;
    faces_present(inputs, evidence)?;
    let stages = [
        provider_verdicts(inputs, evidence)?,
        face_match(inputs, evidence)?,
        active_liveness(inputs, evidence)?,
        fraud_signals(inputs, evidence)?,
    ];
    let outcome = if stages.contains(&Outcome::Inconclusive) {
        Outcome::Inconclusive
    } else {
        Outcome::Passed
    };
    Ok((found, outcome))
}

pub(super) fn identity_data(user: &User, facts: Option<&IdentityFacts>, names_agree: bool) -> Vec<TypedValue> {
    let (first, last, legal) = declared_person(user);
    let prefix = if legal { "LEGAL_REPRESENTATIVE_" } else { "" };
    let tv = |kind: &str, value: Option<String>| TypedValue {
        kind: format!("{prefix}{kind}"),
        value,
    };
    let Some(facts) = facts else {
        return vec![
            tv("FIRST_NAME", Some(String::new())),
            tv("LAST_NAME", Some(String::new())),
            tv("BIRTHDATE", None),
        ];
    };
    // Where the names agree, the declared spelling keeps the diacritics the MRZ cannot carry.
    let (first, last) = if names_agree {
        (first.to_uppercase(), last.to_uppercase())
    } else {
        (facts.first.clone(), facts.last.clone())
    };
    vec![
        tv("FIRST_NAME", Some(first)),
        tv("LAST_NAME", Some(last)),
        tv("BIRTHDATE", facts.birth.map(|b| b.to_string())),
    ]
}
