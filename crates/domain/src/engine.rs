//! The check pipeline: from what was read off a session's images, what the registry said and
//! what the fraud indexes found, to `Checks[]` and the session's status. Pure: the service
//! gathers the inputs (image reading, registry calls, index lookups) and commits the decision.
//!
//! Every check keeps its evidence (rule, values compared, scores) for reviewers; evidence never
//! leaves Verity through the Mangopay-compatible API.

use serde::Serialize;
use serde_json::{Value, json};

use crate::UnixTime;
use crate::company::{RegistryRecord, company_names_match};
use crate::hosted::{DocumentType, Progress, format_date, parse_date};
use crate::matching::{age_at, names_match};
use crate::mrz::Mrz;
use crate::sandbox::{
    BUSINESS_INSIGHTS_MATCH, BUSINESS_NAME_MATCH, BUSINESS_VERIFICATION, IDENTITY_DOCUMENT_VERIFICATION, IDV_AGE_CHECK,
    IDV_NAME_MATCH_CHECK, check_types,
};
use crate::session::{SessionStatus, TypedValue};
use crate::user::{Person, User};

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
#[derive(Clone, Debug, Serialize)]
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

/// The face match between the selfie and the document portrait, from a provider.
#[derive(Clone, Debug, Serialize)]
pub enum FaceMatch {
    Matched { provider: String, score: f32 },
    Mismatch { provider: String, score: f32 },
    NotConfigured,
    Unavailable { provider: String, message: String },
}

/// What an external provider (a vendor or an in-house model) answered for one check.
#[derive(Clone, Debug, Serialize)]
pub struct ProviderVerdict {
    /// `document_authenticity` or `liveness`.
    pub check: String,
    pub provider: String,
    pub outcome: ProviderOutcome,
    pub score: Option<f32>,
    pub message: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderOutcome {
    Pass,
    Fail,
    Inconclusive,
    /// The provider could not be reached or answered nonsense, after retries.
    Unavailable,
}

/// Where a finding that needs a human goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Routing {
    Review,
    Refuse,
}

#[derive(Clone, Debug, Serialize)]
pub struct Policy {
    pub minimum_age: i64,
    /// Whether natural users' sessions may go to review (decision 12; off by default).
    pub natural_review: bool,
    /// Where a reused document number or a resubmitted image goes.
    pub fraud: Routing,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            minimum_age: 18,
            natural_review: false,
            fraud: Routing::Review,
        }
    }
}

/// Matches against earlier submissions of the same client.
#[derive(Clone, Debug, Default, Serialize)]
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
    /// Verdicts of the other configured providers.
    pub providers: Vec<ProviderVerdict>,
    pub registry: Option<RegistryLookup>,
    pub signals: FraudSignals,
    pub policy: Policy,
    pub now: UnixTime,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Outcome {
    Passed,
    Refused(&'static str),
    /// A human must decide (legal users; natural users only where the client opted in).
    Inconclusive,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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

/// Issuing states (ICAO codes) whose national identity cards and residence permits are accepted.
const ID_CARD_STATES: &[&str] = &[
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "EST", "FIN", "FRA", "D", "DEU", "GRC", "HUN", "ITA", "LVA", "LTU",
    "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE", "ISL", "LIE", "NOR", "CHE", "IRL",
];
/// ICAO's fictional state, used on specimens: never a real person's document.
const SPECIMEN_STATE: &str = "UTO";

fn ev(rule: &'static str, verdict: Verdict, detail: Value) -> Evidence {
    Evidence { rule, verdict, detail }
}

/// `YYMMDD` to a date, choosing the century: birth dates are in the past, expiry dates near.
fn mrz_date(yymmdd: &str, birth: bool, now: UnixTime) -> Option<i64> {
    if yymmdd.len() != 6 || !yymmdd.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let yy: i64 = yymmdd[0..2].parse().ok()?;
    let this_year: i64 = format_date(now)[0..4].parse().ok()?;
    let century = if birth {
        if 2000 + yy > this_year { 1900 } else { 2000 }
    } else if yy >= 70 {
        1900
    } else {
        2000
    };
    parse_date(&format!("{}-{}-{}", century + yy, &yymmdd[2..4], &yymmdd[4..6]))
}

/// The person whose identity document this is: the user, or the legal representative.
fn declared_person(user: &User) -> (&str, &str, bool) {
    match &user.person {
        Person::Natural(n) => (&n.first_name, &n.last_name, false),
        Person::Legal(l) => (
            &l.legal_representative.first_name,
            &l.legal_representative.last_name,
            true,
        ),
    }
}

struct IdentityFacts {
    first: String,
    last: String,
    birth: Option<i64>,
}

fn identity_check(inputs: &Inputs, facts: &mut Option<IdentityFacts>) -> CheckResult {
    let mut evidence = Vec::new();
    let finish = |outcome, evidence| CheckResult {
        kind: IDENTITY_DOCUMENT_VERIFICATION,
        outcome,
        data: Vec::new(),
        evidence,
    };
    let declared = inputs.progress.document.as_ref();
    if let Some(choice) = declared {
        evidence.push(ev(
            "declared_document",
            Verdict::Info,
            json!({"type": choice.kind.as_str(), "country": choice.country}),
        ));
        if choice.kind == DocumentType::DrivingLicence {
            evidence.push(ev(
                "document_type_accepted",
                Verdict::Fail,
                json!({"reason": "driving licences carry no machine-readable zone and are not accepted for automatic verification"}),
            ));
            return finish(Outcome::Refused("DOCUMENT_NOT_ACCEPTED"), evidence);
        }
    }
    for page in &inputs.pages {
        evidence.push(ev(
            "page_read",
            Verdict::Info,
            json!({"slot": page.slot, "mrz_lines": page.mrz_lines, "mrz_score": page.mrz_score,
                   "corrections": page.corrections, "quality": page.quality, "faces": page.faces}),
        ));
    }
    // The page whose zone read best carries the document's data.
    let Some(page) = inputs
        .pages
        .iter()
        .filter(|p| p.mrz.is_some() && p.mrz_score >= 0.45)
        .max_by(|a, b| a.mrz_score.total_cmp(&b.mrz_score))
    else {
        let quality: Vec<&String> = inputs.pages.iter().flat_map(|p| &p.quality).collect();
        evidence.push(ev("mrz_readable", Verdict::Fail, json!({"quality_findings": quality})));
        return finish(Outcome::Refused("DOCUMENT_UNREADABLE"), evidence);
    };
    let mrz = page.mrz.as_ref().expect("filtered on mrz");
    evidence.push(ev(
        "mrz_readable",
        Verdict::Pass,
        json!({"slot": page.slot, "format": mrz.format}),
    ));

    // Accepted document type for its issuing state.
    let code = mrz.document_code.chars().next().unwrap_or('?');
    let state = mrz.issuing_state.as_str();
    let accepted = match code {
        'P' => state != SPECIMEN_STATE,
        'I' | 'A' | 'C' => ID_CARD_STATES.contains(&state),
        _ => false,
    };
    evidence.push(ev(
        "document_type_accepted",
        if accepted { Verdict::Pass } else { Verdict::Fail },
        json!({"document_code": mrz.document_code, "issuing_state": state}),
    ));
    if !accepted {
        return finish(Outcome::Refused("DOCUMENT_NOT_ACCEPTED"), evidence);
    }

    // Check digits: a digit that does not verify is a finding.
    let failed: Vec<&str> = mrz.check_digits.iter().filter(|c| !c.ok()).map(|c| c.field).collect();
    evidence.push(ev(
        "check_digits",
        if failed.is_empty() { Verdict::Pass } else { Verdict::Fail },
        json!({"digits": mrz.check_digits.iter().map(|c| json!({"field": c.field, "printed": c.printed.to_string(), "computed": c.computed.to_string()})).collect::<Vec<_>>(),
               "failed": failed}),
    ));
    let birth = mrz_date(&mrz.birth_date, true, inputs.now);
    let expiry = mrz_date(&mrz.expiry_date, false, inputs.now);
    let consistent = birth.is_some()
        && expiry.is_some()
        && birth < expiry
        && birth.is_some_and(|b| b <= inputs.now)
        && matches!(mrz.sex, 'M' | 'F' | 'X' | '<')
        && !mrz.surname.is_empty()
        && mrz.nationality.len() >= 1;
    evidence.push(ev(
        "field_consistency",
        if consistent { Verdict::Pass } else { Verdict::Fail },
        json!({"birth_date": mrz.birth_date, "expiry_date": mrz.expiry_date, "sex": mrz.sex.to_string(), "nationality": mrz.nationality}),
    ));
    // Both sides of a card must be the same document.
    let zones: Vec<&Vec<String>> = inputs
        .pages
        .iter()
        .filter(|p| p.mrz.is_some() && p.mrz_score >= 0.45)
        .map(|p| &p.mrz_lines)
        .collect();
    let sides_agree = zones.windows(2).all(|w| w[0] == w[1]);
    if zones.len() > 1 {
        evidence.push(ev(
            "sides_consistent",
            if sides_agree { Verdict::Pass } else { Verdict::Fail },
            json!({"zones": zones}),
        ));
    }
    if !failed.is_empty() || !consistent || !sides_agree {
        return finish(Outcome::Refused("DOCUMENT_FALSIFIED"), evidence);
    }
    if let Some(choice) = declared
        && choice.country.len() == 2
    {
        evidence.push(ev(
            "declared_country",
            Verdict::Info,
            json!({"declared": choice.country, "issuing_state": state}),
        ));
    }
    let expired = expiry.is_some_and(|e| e < inputs.now);
    evidence.push(ev(
        "not_expired",
        if expired { Verdict::Fail } else { Verdict::Pass },
        json!({"expiry": expiry.map(format_date)}),
    ));
    if expired {
        return finish(Outcome::Refused("DOCUMENT_HAS_EXPIRED"), evidence);
    }

    // Faces: on the document and in the selfie.
    let document_faces: Option<usize> = inputs
        .pages
        .iter()
        .map(|p| p.faces)
        .try_fold(0, |acc, f| f.map(|n| acc + n));
    match document_faces {
        None => evidence.push(ev(
            "document_face_present",
            Verdict::NotChecked,
            json!({"reason": "no face detector built in"}),
        )),
        Some(0) => {
            evidence.push(ev("document_face_present", Verdict::Fail, json!({"faces": 0})));
            return finish(Outcome::Refused("DOCUMENT_UNREADABLE"), evidence);
        }
        Some(n) => evidence.push(ev("document_face_present", Verdict::Pass, json!({"faces": n}))),
    }
    match inputs.selfie_faces {
        None => evidence.push(ev(
            "selfie_face_present",
            Verdict::NotChecked,
            json!({"reason": "no face detector built in"}),
        )),
        Some(1) => evidence.push(ev("selfie_face_present", Verdict::Pass, json!({"faces": 1}))),
        Some(n) => {
            evidence.push(ev(
                "selfie_face_present",
                Verdict::Fail,
                json!({"faces": n, "expected": 1}),
            ));
            return finish(Outcome::Refused("FACE_MATCH_FAIL"), evidence);
        }
    }
    let mut outcome = Outcome::Passed;
    for verdict in &inputs.providers {
        let rule = if verdict.check == "liveness" {
            "liveness"
        } else {
            "document_authenticity"
        };
        let detail = json!({"provider": verdict.provider, "score": verdict.score, "message": verdict.message});
        match verdict.outcome {
            ProviderOutcome::Pass => evidence.push(ev(rule, Verdict::Pass, detail)),
            ProviderOutcome::Fail => {
                evidence.push(ev(rule, Verdict::Fail, detail));
                let reason = if rule == "liveness" {
                    "FACE_MATCH_FAIL"
                } else {
                    "DOCUMENT_FALSIFIED"
                };
                return finish(Outcome::Refused(reason), evidence);
            }
            ProviderOutcome::Inconclusive | ProviderOutcome::Unavailable => {
                evidence.push(ev(rule, Verdict::Inconclusive, detail));
                outcome = Outcome::Inconclusive;
            }
        }
    }
    match &inputs.face_match {
        FaceMatch::Matched { provider, score } => evidence.push(ev(
            "face_match",
            Verdict::Pass,
            json!({"provider": provider, "score": score}),
        )),
        FaceMatch::Mismatch { provider, score } => {
            evidence.push(ev(
                "face_match",
                Verdict::Fail,
                json!({"provider": provider, "score": score}),
            ));
            return finish(Outcome::Refused("FACE_MATCH_FAIL"), evidence);
        }
        // Never pretend a match was checked: a human compares the faces.
        FaceMatch::NotConfigured => {
            evidence.push(ev(
                "face_match",
                Verdict::NotChecked,
                json!({"reason": "no face-match provider is configured"}),
            ));
            outcome = Outcome::Inconclusive;
        }
        FaceMatch::Unavailable { provider, message } => {
            evidence.push(ev(
                "face_match",
                Verdict::Inconclusive,
                json!({"provider": provider, "error": message}),
            ));
            outcome = Outcome::Inconclusive;
        }
    }

    // Fraud signals.
    if !inputs.signals.document_number_used_by.is_empty() || !inputs.signals.image_seen_in.is_empty() {
        evidence.push(ev(
            "fraud_signals",
            Verdict::Fail,
            json!({"document_number_used_by": inputs.signals.document_number_used_by, "image_seen_in": inputs.signals.image_seen_in, "routing": inputs.policy.fraud}),
        ));
        match inputs.policy.fraud {
            Routing::Refuse => return finish(Outcome::Refused("DOCUMENT_FALSIFIED"), evidence),
            Routing::Review => outcome = Outcome::Inconclusive,
        }
    } else {
        evidence.push(ev("fraud_signals", Verdict::Pass, json!({})));
    }
    *facts = Some(IdentityFacts {
        first: mrz.given_names.clone(),
        last: mrz.surname.clone(),
        birth,
    });
    finish(outcome, evidence)
}

fn identity_data(user: &User, facts: Option<&IdentityFacts>, names_agree: bool) -> Vec<TypedValue> {
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

fn registry_check(inputs: &Inputs, user: &User) -> (CheckResult, Option<RegistryRecord>) {
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

/// Whether `first last` is one of `people` (full names as the registry gives them).
fn among(first: &str, last: &str, people: &[String]) -> bool {
    people.iter().any(|p| {
        let words: Vec<&str> = p.split_whitespace().collect();
        // Registries differ in order ("Given Surname" or "SURNAME Given"): try every split.
        (1..words.len()).any(|i| {
            let (a, b) = (words[..i].join(" "), words[i..].join(" "));
            names_match(first, last, &a, &b) || names_match(first, last, &b, &a)
        })
    })
}

pub fn decide(inputs: &Inputs) -> Decision {
    let user = inputs.user;
    let kinds = check_types(user);
    let mut facts = None;
    let identity = identity_check(inputs, &mut facts);
    let identity_passed = !matches!(identity.outcome, Outcome::Refused(_));
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
                checks.push(CheckResult {
                    kind,
                    outcome: if names_agree { Outcome::Passed } else { Outcome::Refused("DOCUMENT_NOT_ACCEPTED") },
                    data: Vec::new(),
                    evidence: vec![ev(
                        "names_match",
                        if names_agree { Verdict::Pass } else { Verdict::Fail },
                        json!({"declared": {"first": first, "last": last}, "document": {"first": f.first, "last": f.last},
                               "rule": "case, diacritics, ICAO transliteration, hyphens and extra given names ignored"}),
                    )],
                });
            }
            IDV_AGE_CHECK if identity_passed => {
                let f = facts.as_ref().expect("identity passed");
                let age = f.birth.map(|b| age_at(b, inputs.now));
                let adult = age.is_some_and(|a| a >= inputs.policy.minimum_age);
                checks.push(CheckResult {
                    kind,
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
                });
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
                    let registered = record.name.clone();
                    let in_name = among(holder.0, holder.1, &[registered.clone()])
                        || among(holder.0, holder.1, &record.officers)
                        || crate::matching::readings(&registered)
                            .iter()
                            .flatten()
                            .any(|w| crate::matching::readings(holder.1).iter().flatten().any(|l| l == w));
                    checks.push(CheckResult {
                        kind,
                        outcome: if in_name { Outcome::Passed } else { Outcome::Refused("BUSINESS_NAME_MATCH_FAILED") },
                        data: Vec::new(),
                        evidence: vec![ev(
                            "holder_in_registered_name",
                            if in_name { Verdict::Pass } else { Verdict::Fail },
                            json!({"holder": {"first": holder.0, "last": holder.1}, "registered_name": registered, "officers": record.officers}),
                        )],
                    });
                } else {
                    let director = among(holder.0, holder.1, &record.officers);
                    let declared: Vec<String> = inputs
                        .progress
                        .owners
                        .iter()
                        .map(|o| format!("{} {}", o.first_name, o.last_name))
                        .collect();
                    let unknown_owners: Vec<&String> = inputs
                        .progress
                        .owners
                        .iter()
                        .zip(&declared)
                        .filter(|(o, _)| {
                            !record.owners.is_empty() && !among(&o.first_name, &o.last_name, &record.owners)
                        })
                        .map(|(_, name)| name)
                        .collect();
                    let coherent = director && unknown_owners.is_empty();
                    checks.push(CheckResult {
                        kind,
                        outcome: if coherent { Outcome::Passed } else { Outcome::Inconclusive },
                        data: Vec::new(),
                        evidence: vec![
                            ev(
                                "holder_is_director",
                                if director { Verdict::Pass } else { Verdict::Inconclusive },
                                json!({"holder": {"first": holder.0, "last": holder.1}, "directors": record.officers}),
                            ),
                            ev(
                                "owners_coherent",
                                if record.owners.is_empty() {
                                    Verdict::NotChecked
                                } else if unknown_owners.is_empty() {
                                    Verdict::Pass
                                } else {
                                    Verdict::Inconclusive
                                },
                                json!({"declared": declared, "registered": record.owners, "not_registered": unknown_owners}),
                            ),
                        ],
                    });
                }
            }
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
            c.outcome = Outcome::Refused(match c.kind {
                IDENTITY_DOCUMENT_VERIFICATION => "DOCUMENT_NOT_ACCEPTED",
                _ => "DOCUMENT_NOT_ACCEPTED",
            });
        }
    }
    Decision { status, checks }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mrz_dates_pick_their_century() {
        let now = parse_date("2026-11-25").unwrap();
        assert_eq!(
            mrz_date("850312", true, now).map(format_date).as_deref(),
            Some("1985-03-12")
        );
        assert_eq!(
            mrz_date("100101", true, now).map(format_date).as_deref(),
            Some("2010-01-01")
        );
        assert_eq!(
            mrz_date("300101", false, now).map(format_date).as_deref(),
            Some("2030-01-01")
        );
        assert_eq!(mrz_date("991301", false, now), None);
        assert_eq!(mrz_date("85O312", true, now), None);
    }

    #[test]
    fn registry_names_in_either_order() {
        assert!(among("Jean", "Dupont", &["DUPONT Jean Pierre".into()]));
        assert!(among("Anna", "Müller", &["Anna Mueller".into()]));
        assert!(!among("Anna", "Schmidt", &["Anna Mueller".into()]));
    }
}
