//! Business checks: the company in its registry, and the holder against its name, directors and owners.

use serde_json::json;

use super::inputs::{Inputs, RegistryLookup};
use super::outcome::{CheckResult, Outcome, Verdict, ev};
use crate::company::{RegistryRecord, company_names_match};
use crate::sandbox::{BUSINESS_INSIGHTS_MATCH, BUSINESS_NAME_MATCH, BUSINESS_VERIFICATION};
use crate::session::TypedValue;
use crate::user::{Person, User};

pub(super) fn registry_check(inputs: &Inputs, user: &User) -> (CheckResult, Option<RegistryRecord>) {
    let business = inputs.progress.business.clone().unwrap_or_default();
    let declared_number = match &user.person {
        Person::Legal(l) if business.registration_number.is_empty() => l.company_number.clone().unwrap_or_default(),
        _ => business.registration_number.clone(),
    };
    let declared_name = match &user.person {
        Person::Legal(l) if business.name.is_empty() => l.name.clone(),
        _ => business.name.clone(),
    };
    let mut evidence = vec![ev(
        "declared_company",
        Verdict::Info,
        json!({"country": business.country, "number": declared_number, "name": declared_name}),
    )];
    let data = |name: &str, number: &str| {
        vec![
            TypedValue {
                kind: "COMPANY_NAME".into(),
                value: Some(name.to_uppercase()),
            },
            TypedValue {
                kind: "COMPANY_NUMBER".into(),
                value: Some(number.to_owned()),
            },
        ]
    };
    let result = |outcome, data, evidence| CheckResult {
        kind: BUSINESS_VERIFICATION,
        outcome,
        data,
        evidence,
    };
    match inputs.registry.clone().unwrap_or(RegistryLookup::NoRegistry) {
        RegistryLookup::InvalidNumber { message } => {
            evidence.push(ev("company_number_valid", Verdict::Fail, json!({"message": message})));
            (
                result(
                    Outcome::Refused("DOCUMENT_NOT_ACCEPTED"),
                    data(&declared_name, &declared_number),
                    evidence,
                ),
                None,
            )
        }
        RegistryLookup::NoRegistry => {
            evidence.push(ev(
                "registry_lookup",
                Verdict::Inconclusive,
                json!({"reason": "no registry covers this country"}),
            ));
            (
                result(Outcome::Inconclusive, data(&declared_name, &declared_number), evidence),
                None,
            )
        }
        RegistryLookup::Unavailable { registry, message } => {
            evidence.push(ev(
                "registry_lookup",
                Verdict::Inconclusive,
                json!({"registry": registry, "error": message}),
            ));
            (
                result(Outcome::Inconclusive, data(&declared_name, &declared_number), evidence),
                None,
            )
        }
        RegistryLookup::NotFound { registry } => {
            evidence.push(ev(
                "registry_lookup",
                Verdict::Inconclusive,
                json!({"registry": registry, "found": false}),
            ));
            (
                result(Outcome::Inconclusive, data(&declared_name, &declared_number), evidence),
                None,
            )
        }
        RegistryLookup::Found { registry, record } => {
            evidence.push(ev(
                "registry_lookup",
                Verdict::Pass,
                json!({"registry": registry, "record": record}),
            ));
            if !record.active {
                evidence.push(ev("company_active", Verdict::Fail, json!({"active": false})));
                return (
                    result(
                        Outcome::Refused("DOCUMENT_NOT_ACCEPTED"),
                        data(&record.name, &record.number),
                        evidence,
                    ),
                    Some(record),
                );
            }
            let named = company_names_match(&declared_name, &record.name);
            evidence.push(ev(
                "company_name_match",
                if named { Verdict::Pass } else { Verdict::Inconclusive },
                json!({"declared": declared_name, "registered": record.name}),
            ));
            let outcome = if named { Outcome::Passed } else { Outcome::Inconclusive };
            (
                result(outcome, data(&record.name, &record.number), evidence),
                Some(record),
            )
        }
    }
}

pub(super) use crate::matching::among;

/// `BUSINESS_NAME_MATCH`: the document holder in the registered name or among the officers.
pub(super) fn business_name_match(record: &RegistryRecord, holder: (&str, &str)) -> CheckResult {
    let registered = record.name.clone();
    let in_name = among(holder.0, holder.1, std::slice::from_ref(&registered))
        || among(holder.0, holder.1, &record.officers)
        || crate::matching::readings(&registered)
            .iter()
            .flatten()
            .any(|w| crate::matching::readings(holder.1).iter().flatten().any(|l| l == w));
    CheckResult {
        kind: BUSINESS_NAME_MATCH,
        outcome: if in_name {
            Outcome::Passed
        } else {
            Outcome::Refused("BUSINESS_NAME_MATCH_FAILED")
        },
        data: Vec::new(),
        evidence: vec![ev(
            "holder_in_registered_name",
            if in_name { Verdict::Pass } else { Verdict::Fail },
            json!({"holder": {"first": holder.0, "last": holder.1}, "registered_name": registered, "officers": record.officers}),
        )],
    }
}

/// `BUSINESS_INSIGHTS_MATCH`: the holder among the directors, the declared owners among the
/// registered ones.
pub(super) fn business_insights_match(inputs: &Inputs, record: &RegistryRecord, holder: (&str, &str)) -> CheckResult {
    roles_in_registry(
        BUSINESS_INSIGHTS_MATCH,
        ("holder_is_director", "holder"),
        "owners_coherent",
        holder,
        &inputs.progress.owners,
        record,
    )
}

/// One person among the registry's directors, and the declared owners (but a senior managing
/// official, declared because no owner holds 25%) among its owners where it lists owners; a
/// mismatch is for a reviewer. `director` names the rule and the person's role in the evidence.
pub(super) fn roles_in_registry(
    kind: &'static str,
    director: (&'static str, &str),
    owners_rule: &'static str,
    person: (&str, &str),
    owners: &[crate::hosted::Owner],
    record: &RegistryRecord,
) -> CheckResult {
    let is_director = among(person.0, person.1, &record.officers);
    let named = |o: &crate::hosted::Owner| format!("{} {}", o.first_name.trim(), o.last_name.trim());
    let counted: Vec<&crate::hosted::Owner> = owners
        .iter()
        .filter(|o| o.control != crate::hosted::Control::SeniorManagingOfficial)
        .collect();
    let unregistered: Vec<String> = counted
        .iter()
        .filter(|o| !record.owners.is_empty() && !among(&o.first_name, &o.last_name, &record.owners))
        .map(|o| named(o))
        .collect();
    let declared: Vec<String> = owners.iter().map(named).collect();
    let coherent = is_director && unregistered.is_empty();
    CheckResult {
        kind,
        outcome: if coherent {
            Outcome::Passed
        } else {
            Outcome::Inconclusive
        },
        data: Vec::new(),
        evidence: vec![
            ev(
                director.0,
                if is_director {
                    Verdict::Pass
                } else {
                    Verdict::Inconclusive
                },
                json!({director.1: {"first": person.0, "last": person.1}, "directors": record.officers}),
            ),
            ev(
                owners_rule,
                if record.owners.is_empty() {
                    Verdict::NotChecked
                } else if unregistered.is_empty() {
                    Verdict::Pass
                } else {
                    Verdict::Inconclusive
                },
                json!({"declared": declared, "registered": record.owners, "not_registered": unregistered}),
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_names_in_either_order() {
        assert!(among("Jean", "Dupont", &["DUPONT Jean Pierre".into()]));
        assert!(among("Anna", "Müller", &["Anna Mueller".into()]));
        assert!(!among("Anna", "Schmidt", &["Anna Mueller".into()]));
    }
}
