//! Scripted outcomes for sandbox clients: the `Tag` directives and the test helpers produce the
//! same checks, reasons and data a real decision would, for each user type.

use serde::{Deserialize, Serialize};

use crate::UnixTime;
use crate::session::{Check, SessionStatus, TypedValue};
use crate::user::{LegalPersonType, Person, User};

pub const IDENTITY_DOCUMENT_VERIFICATION: &str = "IDENTITY_DOCUMENT_VERIFICATION";
pub const IDV_NAME_MATCH_CHECK: &str = "IDV_NAME_MATCH_CHECK";
pub const IDV_AGE_CHECK: &str = "IDV_AGE_CHECK";
pub const BUSINESS_VERIFICATION: &str = "BUSINESS_VERIFICATION";
pub const BUSINESS_NAME_MATCH: &str = "BUSINESS_NAME_MATCH";
pub const BUSINESS_INSIGHTS_MATCH: &str = "BUSINESS_INSIGHTS_MATCH";

/// Refusal reason types each check can give (Mangopay's refusal table).
pub const REASONS: &[(&str, &[&str])] = &[
    (
        IDENTITY_DOCUMENT_VERIFICATION,
        &[
            "DOCUMENT_NOT_ACCEPTED",
            "FACE_MATCH_FAIL",
            "DOCUMENT_FALSIFIED",
            "DOCUMENT_UNREADABLE",
            "DOCUMENT_HAS_EXPIRED",
        ],
    ),
    (
        BUSINESS_VERIFICATION,
        &[
            "DOCUMENT_NOT_ACCEPTED",
            "DOCUMENT_TYPE_NOT_SUPPORTED",
            "DOCUMENT_HAS_EXPIRED",
            "DOCUMENT_UNREADABLE",
            "DOCUMENT_INCOMPLETE",
        ],
    ),
    (
        BUSINESS_INSIGHTS_MATCH,
        &["BUSINESS_INSIGHTS_MATCH_FAILED", "DOCUMENT_NOT_ACCEPTED"],
    ),
    (BUSINESS_NAME_MATCH, &["BUSINESS_NAME_MATCH_FAILED"]),
    (IDV_NAME_MATCH_CHECK, &["DOCUMENT_NOT_ACCEPTED"]),
    (IDV_AGE_CHECK, &["DOCUMENT_NOT_ACCEPTED"]),
];

/// The preset text of an automatic refusal by `check`.
pub fn preset_reason_value(check: &str) -> &'static str {
    match check {
        IDENTITY_DOCUMENT_VERIFICATION => "Document IDV has been refused by the provider",
        IDV_NAME_MATCH_CHECK => "ID name mismatch with declared user data",
        IDV_AGE_CHECK => "The person on the ID is under 18",
        BUSINESS_VERIFICATION => "Document has been refused by the provider",
        crate::psc::PSC_CONSISTENCY_CHECK => "The declared persons of significant control are not consistent",
        crate::psc::PSC_ROLE_CHECK => "A declared person of significant control does not hold the declared role",
        _ => "Not OK",
    }
}

/// The checks a user type goes through, in the order they are reported.
pub fn check_types(user: &User) -> &'static [&'static str] {
    match user.legal_person_type() {
        None => &[IDENTITY_DOCUMENT_VERIFICATION, IDV_NAME_MATCH_CHECK, IDV_AGE_CHECK],
        Some(LegalPersonType::Soletrader) => &[
            BUSINESS_VERIFICATION,
            IDENTITY_DOCUMENT_VERIFICATION,
            IDV_NAME_MATCH_CHECK,
            IDV_AGE_CHECK,
            BUSINESS_NAME_MATCH,
        ],
        Some(LegalPersonType::Business) | Some(LegalPersonType::Partnership) => &[
            BUSINESS_VERIFICATION,
            IDENTITY_DOCUMENT_VERIFICATION,
            BUSINESS_INSIGHTS_MATCH,
            IDV_NAME_MATCH_CHECK,
            IDV_AGE_CHECK,
        ],
        Some(LegalPersonType::Organization) => &[
            BUSINESS_VERIFICATION,
            IDENTITY_DOCUMENT_VERIFICATION,
            IDV_NAME_MATCH_CHECK,
            IDV_AGE_CHECK,
        ],
    }
}

/// The checks a session goes through: its user's, or in the PSC flow's main session the company
/// and the declared people (each person's identity is checked in their own session).
pub fn session_check_types(flow: &crate::session::SessionFlow, user: &User) -> &'static [&'static str] {
    match flow {
        crate::session::SessionFlow::PscMain => crate::engine::psc_main_check_types(user),
        _ => check_types(user),
    }
}

/// Every `verity:<word>` of a Tag, with the word's name (before any `=`).
fn directive_words(tag: &str) -> impl Iterator<Item = (String, String)> + '_ {
    tag.match_indices("verity:").map(move |(at, _)| {
        let word: String = tag[at + "verity:".len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '=' | '@' | '-'))
            .collect();
        let name = word.split('=').next().unwrap_or_default().to_owned();
        (name, word)
    })
}

/// The outcomes a PSC-flow main session's Tag scripts for its PSCs' own sessions (sandbox):
/// `verity:psc=<outcome>` for every PSC, `verity:psc<N>=<outcome>` for the N-th declared one
/// (1-based; it wins over the former), `<outcome>` being `accept`, `review` or
/// `refuse=<REASON_TYPE>[@<CHECK_TYPE>]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PscScript {
    pub all: Option<Directive>,
    pub each: std::collections::BTreeMap<usize, Directive>,
}

impl PscScript {
    pub fn from_tag(tag: &str) -> Result<PscScript, String> {
        let mut script = PscScript::default();
        for (name, word) in directive_words(tag).filter(|(name, _)| name.starts_with("psc")) {
            let Some((_, outcome)) = word.split_once('=') else {
                return Err(format!(
                    "Verity directive 'verity:{word}' needs an outcome: verity:psc=accept, verity:psc2=refuse=DOCUMENT_NOT_ACCEPTED..."
                ));
            };
            let directive = Directive::parse(outcome)?.unwrap_or(Directive::Accept);
            match &name["psc".len()..] {
                "" => script.all = Some(directive),
                n => match n.parse::<usize>() {
                    Ok(i) if i >= 1 => {
                        script.each.insert(i, directive);
                    }
                    _ => {
                        return Err(format!(
                            "Unknown Verity directive 'verity:{word}': use verity:psc=... or verity:psc<N>=..."
                        ));
                    }
                },
            }
        }
        Ok(script)
    }

    /// The outcome scripted for the `index`-th (0-based) declared PSC, if any.
    pub fn for_psc(&self, index: usize) -> Option<&Directive> {
        self.each.get(&(index + 1)).or(self.all.as_ref())
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_none() && self.each.is_empty()
    }
}

/// What a sandbox session is scripted to end as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Directive {
    Accept,
    Review,
    Refuse { reason: String, check: String },
}

impl Directive {
    /// Finds a directive in a session `Tag`: `verity:accept`, `verity:review` or
    /// `verity:refuse=<REASON_TYPE>[@<CHECK_TYPE>]`, anywhere in the tag.
    pub fn from_tag(tag: &str) -> Result<Option<Directive>, String> {
        // `verity:psc...` directives script the PSCs' own sessions (see [`psc_directives`]).
        let Some((_, word)) = directive_words(tag).find(|(name, _)| !name.starts_with("psc")) else {
            return Ok(None);
        };
        Directive::parse(&word)
    }

    /// `accept`, `review` or `refuse=<REASON_TYPE>[@<CHECK_TYPE>]`.
    fn parse(word: &str) -> Result<Option<Directive>, String> {
        match word {
            "accept" => Ok(Some(Directive::Accept)),
            "review" => Ok(Some(Directive::Review)),
            _ => match word.strip_prefix("refuse=") {
                Some(spec) => {
                    let (reason, check) = match spec.split_once('@') {
                        Some((r, c)) => (r, Some(c)),
                        None => (spec, None),
                    };
                    Directive::refuse(reason, check).map(Some)
                }
                None => Err(format!(
                    "Unknown Verity directive 'verity:{word}': use verity:accept, verity:review or verity:refuse=<REASON_TYPE>[@<CHECK_TYPE>]."
                )),
            },
        }
    }

    /// A refusal with `reason`, by `check` or by the first check that can give that reason.
    pub fn refuse(reason: &str, check: Option<&str>) -> Result<Directive, String> {
        let fits = |c: &str| REASONS.iter().any(|(ct, rs)| *ct == c && rs.contains(&reason));
        let check = match check {
            Some(c) if REASONS.iter().any(|(ct, _)| *ct == c) => {
                if !fits(c) {
                    return Err(format!("The check {c} cannot be refused with {reason}."));
                }
                c.to_owned()
            }
            Some(c) => return Err(format!("Unknown check type {c}.")),
            None => match REASONS.iter().find(|(_, rs)| rs.contains(&reason)) {
                Some((c, _)) => (*c).to_owned(),
                None => return Err(format!("Unknown refusal reason type {reason}.")),
            },
        };
        Ok(Directive::Refuse {
            reason: reason.to_owned(),
            check,
        })
    }

    /// Whether the directive can apply to this user (checks and review exist per user type).
    pub fn applies_to(&self, user: &User, natural_review_allowed: bool) -> Result<(), String> {
        self.applies_to_checks(check_types(user), user, natural_review_allowed)
    }

    /// [`Directive::applies_to`] for a session going through `kinds`.
    pub fn applies_to_checks(&self, kinds: &[&str], user: &User, natural_review_allowed: bool) -> Result<(), String> {
        match self {
            Directive::Accept => Ok(()),
            Directive::Review if matches!(user.person, Person::Natural(_)) && !natural_review_allowed => {
                Err("Sessions of natural users are never sent to review.".into())
            }
            Directive::Review => Ok(()),
            Directive::Refuse { check, .. } if !kinds.contains(&check.as_str()) => {
                Err(format!("Users of this type do not go through {check}."))
            }
            Directive::Refuse { .. } => Ok(()),
        }
    }

    /// The status and checks this directive gives `user`'s session.
    pub fn outcome(
        &self,
        user: &User,
        now: UnixTime,
        new_id: &mut dyn FnMut() -> String,
    ) -> (SessionStatus, Vec<Check>) {
        self.outcome_of(check_types(user), user, now, new_id)
    }

    /// [`Directive::outcome`] for a session going through `kinds`.
    pub fn outcome_of(
        &self,
        kinds: &[&str],
        user: &User,
        now: UnixTime,
        new_id: &mut dyn FnMut() -> String,
    ) -> (SessionStatus, Vec<Check>) {
        let mut checks = Vec::new();
        let refused_id_check =
            matches!(self, Directive::Refuse { check, .. } if check == IDENTITY_DOCUMENT_VERIFICATION);
        for &kind in kinds {
            // These checks run only once the identity document passed; business matches are
            // left to the reviewer when a case goes to review.
            let dependent = matches!(
                kind,
                IDV_NAME_MATCH_CHECK | IDV_AGE_CHECK | BUSINESS_NAME_MATCH | BUSINESS_INSIGHTS_MATCH
            );
            if dependent && refused_id_check {
                continue;
            }
            if matches!(self, Directive::Review) && matches!(kind, BUSINESS_NAME_MATCH | BUSINESS_INSIGHTS_MATCH) {
                continue;
            }
            let refused_reason = match self {
                Directive::Refuse { reason, check } if check == kind => Some(reason.clone()),
                Directive::Review if kind == BUSINESS_VERIFICATION => Some("DOCUMENT_NOT_ACCEPTED".to_owned()),
                _ => None,
            };
            let data = if kind == IDENTITY_DOCUMENT_VERIFICATION && refused_reason.is_some() {
                // Nothing could be read from a refused document.
                identity_data(user)
                    .into_iter()
                    .map(|t| TypedValue {
                        value: if t.kind.ends_with("BIRTHDATE") {
                            None
                        } else {
                            Some(String::new())
                        },
                        ..t
                    })
                    .collect()
            } else {
                verified_data(user, kind)
            };
            checks.push(Check {
                id: new_id(),
                kind: kind.to_owned(),
                status: if refused_reason.is_some() {
                    "REFUSED"
                } else {
                    "VALIDATED"
                }
                .to_owned(),
                reasons: refused_reason
                    .map(|r| {
                        vec![TypedValue {
                            kind: r,
                            value: Some(preset_reason_value(kind).to_owned()),
                        }]
                    })
                    .unwrap_or_default(),
                data,
                created_at: now,
                updated_at: now,
            });
        }
        let status = match self {
            Directive::Accept => SessionStatus::Validated,
            Directive::Review => SessionStatus::Review,
            Directive::Refuse { .. } => SessionStatus::Refused,
        };
        (status, checks)
    }
}

fn tv(kind: &str, value: Option<String>) -> TypedValue {
    TypedValue {
        kind: kind.to_owned(),
        value,
    }
}

/// What a document of this user would show: names in capitals, as on an MRZ.
fn identity_data(user: &User) -> Vec<TypedValue> {
    match &user.person {
        Person::Natural(n) => vec![
            tv("FIRST_NAME", Some(n.first_name.to_uppercase())),
            tv("LAST_NAME", Some(n.last_name.to_uppercase())),
            tv("BIRTHDATE", n.birthday.map(|b| b.to_string())),
        ],
        Person::Legal(l) => {
            let r = &l.legal_representative;
            vec![
                tv("LEGAL_REPRESENTATIVE_FIRST_NAME", Some(r.first_name.to_uppercase())),
                tv("LEGAL_REPRESENTATIVE_LAST_NAME", Some(r.last_name.to_uppercase())),
                tv("LEGAL_REPRESENTATIVE_BIRTHDATE", r.birthday.map(|b| b.to_string())),
            ]
        }
    }
}

fn verified_data(user: &User, check: &str) -> Vec<TypedValue> {
    match (check, &user.person) {
        (IDENTITY_DOCUMENT_VERIFICATION, _) => identity_data(user),
        (BUSINESS_VERIFICATION, Person::Legal(l)) => {
            vec![
                tv("COMPANY_NAME", Some(l.name.to_uppercase())),
                tv("COMPANY_NUMBER", l.company_number.clone()),
            ]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod psc_script_tests {
    use super::*;

    #[test]
    fn psc_directives_beside_the_session_directive() {
        let tag = "order 7 verity:accept verity:psc=accept verity:psc2=refuse=DOCUMENT_NOT_ACCEPTED";
        assert_eq!(Directive::from_tag(tag), Ok(Some(Directive::Accept)));
        let script = PscScript::from_tag(tag).unwrap();
        assert_eq!(script.for_psc(0), Some(&Directive::Accept));
        assert!(
            matches!(script.for_psc(1), Some(Directive::Refuse { reason, .. }) if reason == "DOCUMENT_NOT_ACCEPTED")
        );
        assert_eq!(script.for_psc(2), Some(&Directive::Accept));
        assert_eq!(Directive::from_tag("verity:psc=accept"), Ok(None));
        assert!(PscScript::from_tag("verity:psc").is_err());
        assert!(PscScript::from_tag("verity:pscX=accept").is_err());
        assert!(PscScript::from_tag("verity:psc=maybe").is_err());
        assert!(PscScript::from_tag("no directive").unwrap().is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_in_tags() {
        assert_eq!(Directive::from_tag("plain tag"), Ok(None));
        assert_eq!(
            Directive::from_tag("ci run 42 verity:accept"),
            Ok(Some(Directive::Accept))
        );
        assert_eq!(Directive::from_tag("verity:review"), Ok(Some(Directive::Review)));
        assert_eq!(
            Directive::from_tag("verity:refuse=DOCUMENT_FALSIFIED"),
            Ok(Some(Directive::Refuse {
                reason: "DOCUMENT_FALSIFIED".into(),
                check: IDENTITY_DOCUMENT_VERIFICATION.into()
            }))
        );
        assert_eq!(
            Directive::from_tag("verity:refuse=DOCUMENT_NOT_ACCEPTED@IDV_AGE_CHECK"),
            Ok(Some(Directive::Refuse {
                reason: "DOCUMENT_NOT_ACCEPTED".into(),
                check: IDV_AGE_CHECK.into()
            }))
        );
        assert_eq!(
            Directive::from_tag("verity:refuse=BUSINESS_NAME_MATCH_FAILED"),
            Ok(Some(Directive::Refuse {
                reason: "BUSINESS_NAME_MATCH_FAILED".into(),
                check: BUSINESS_NAME_MATCH.into()
            }))
        );
        assert!(Directive::from_tag("verity:refuse=NOPE").is_err());
        assert!(Directive::from_tag("verity:refuse=FACE_MATCH_FAIL@IDV_AGE_CHECK").is_err());
        assert!(Directive::from_tag("verity:maybe").is_err());
    }
}
