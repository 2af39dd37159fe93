//! The PSC flow's main-session checks. Mangopay names them without publishing their rules; ours
//! (docs/engine.md): `PSC_ROLE_CHECK`, the declared people against the registry (the legal
//! representative among the directors, the owners among the registered owners where the registry
//! lists owners); `PSC_CONSISTENCY_CHECK`, the declaration coherent on its own.

use serde_json::json;

use super::business::roles_in_registry;
use super::outcome::{CheckResult, Outcome, Verdict, ev};
use crate::company::RegistryRecord;
use crate::hosted::{Control, Progress, email_valid};
use crate::psc::{PSC_CONSISTENCY_CHECK, PSC_ROLE_CHECK};

fn full_name(first: &str, last: &str) -> String {
    format!("{} {}", first.trim(), last.trim())
}

/// `PSC_ROLE_CHECK`. Without a registry record nothing can be compared: a reviewer judges, with
/// the declared people shown next to what the registry holds. A person the registry does not list
/// is for a reviewer too (registries lag behind appointments), never refused by a machine.
pub(super) fn psc_role_check(progress: &Progress, record: Option<&RegistryRecord>) -> CheckResult {
    let rep = progress.personal.clone().unwrap_or_default();
    let owners: Vec<String> = progress
        .owners
        .iter()
        .filter(|o| o.control != Control::SeniorManagingOfficial)
        .map(|o| full_name(&o.first_name, &o.last_name))
        .collect();
    let Some(record) = record else {
        return CheckResult {
            kind: PSC_ROLE_CHECK,
            outcome: Outcome::Inconclusive,
            data: Vec::new(),
            evidence: vec![ev(
                "psc_roles_in_registry",
                Verdict::Inconclusive,
                json!({"reason": "the company was not found in a registry", "representative": full_name(&rep.first_name, &rep.last_name), "owners": owners}),
            )],
        };
    };
    roles_in_registry(
        PSC_ROLE_CHECK,
        ("representative_is_director", "representative"),
        "owners_registered",
        (&rep.first_name, &rep.last_name),
        &progress.owners,
        record,
    )
}

/// `PSC_CONSISTENCY_CHECK`: a legal representative, an e-mail for every person, no one declared
/// twice, owners' shares between 25 and 100 and together not above 100.
pub(super) fn psc_consistency_check(progress: &Progress) -> CheckResult {
    let mut problems: Vec<String> = Vec::new();
    let rep = progress.personal.clone().unwrap_or_default();
    if rep.first_name.trim().is_empty() || rep.last_name.trim().is_empty() {
        problems.push("no legal representative is declared".into());
    } else if !email_valid(&rep.email) {
        problems.push(format!(
            "the legal representative {} has no valid e-mail",
            full_name(&rep.first_name, &rep.last_name)
        ));
    }
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut total: u32 = 0;
    for o in &progress.owners {
        let name = full_name(&o.first_name, &o.last_name);
        if !email_valid(&o.email) {
            problems.push(format!("{name} has no valid e-mail"));
        }
        let key = (name.to_lowercase(), o.birth_date.trim().to_owned());
        if seen.contains(&key) {
            problems.push(format!("{name} is declared twice"));
        }
        seen.push(key);
        if o.control == Control::Ownership {
            if !(25..=100).contains(&o.share) {
                problems.push(format!("{name} is declared as an owner of {}%", o.share));
            }
            total += u32::from(o.share);
        }
    }
    if total > 100 {
        problems.push(format!("the declared shares add up to {total}%"));
    }
    CheckResult {
        kind: PSC_CONSISTENCY_CHECK,
        outcome: if problems.is_empty() {
            Outcome::Passed
        } else {
            Outcome::Refused("DOCUMENT_NOT_ACCEPTED")
        },
        data: Vec::new(),
        evidence: vec![ev(
            "psc_declaration_coherent",
            if problems.is_empty() {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            json!({"people": 1 + progress.owners.len(), "shares_total": total, "problems": problems}),
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosted::{Owner, PersonalData};

    fn declaration(owners: &[(&str, u8)]) -> Progress {
        Progress {
            personal: Some(PersonalData {
                first_name: "Marie".into(),
                last_name: "Dubois".into(),
                birth_date: "1980-01-02".into(),
                nationality: "FR".into(),
                email: "marie@example.com".into(),
            }),
            owners: owners
                .iter()
                .map(|(name, share)| Owner {
                    first_name: name.to_string(),
                    last_name: "Martin".into(),
                    birth_date: "1970-03-04".into(),
                    email: format!("{name}@example.com"),
                    share: *share,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    fn record(officers: &[&str], owners: &[&str]) -> RegistryRecord {
        RegistryRecord {
            country: "GB".into(),
            number: "1".into(),
            name: "ACME".into(),
            active: true,
            officers: officers.iter().map(|s| s.to_string()).collect(),
            owners: owners.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn roles_are_compared_with_the_registry() {
        let p = declaration(&[("Paul", 60)]);
        let ok = psc_role_check(&p, Some(&record(&["DUBOIS, Marie"], &["Paul Martin"])));
        assert_eq!(ok.outcome, Outcome::Passed);
        let not_director = psc_role_check(&p, Some(&record(&["SMITH, John"], &["Paul Martin"])));
        assert_eq!(not_director.outcome, Outcome::Inconclusive);
        let unknown_owner = psc_role_check(&p, Some(&record(&["Marie Dubois"], &["Jane Doe"])));
        assert_eq!(unknown_owner.outcome, Outcome::Inconclusive);
        // A registry that lists no owners cannot contradict the declared ones.
        assert_eq!(
            psc_role_check(&p, Some(&record(&["Marie Dubois"], &[]))).outcome,
            Outcome::Passed
        );
        assert_eq!(psc_role_check(&p, None).outcome, Outcome::Inconclusive);
    }

    #[test]
    fn an_incoherent_declaration_is_refused_with_its_reasons() {
        assert_eq!(
            psc_consistency_check(&declaration(&[("Paul", 60), ("Anne", 40)])).outcome,
            Outcome::Passed
        );
        let over = psc_consistency_check(&declaration(&[("Paul", 60), ("Anne", 50)]));
        assert_eq!(over.outcome, Outcome::Refused("DOCUMENT_NOT_ACCEPTED"));
        assert!(over.evidence[0].detail.to_string().contains("110%"));
        let twice = psc_consistency_check(&declaration(&[("Paul", 30), ("Paul", 30)]));
        assert!(twice.evidence[0].detail.to_string().contains("declared twice"));
        let mut no_mail = declaration(&[("Paul", 30)]);
        no_mail.owners[0].email.clear();
        assert!(
            psc_consistency_check(&no_mail).evidence[0]
                .detail
                .to_string()
                .contains("no valid e-mail")
        );
    }
}
