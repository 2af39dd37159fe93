//! What the session page shows of a session's record, as plain values for its template: the
//! engine's conclusion, the faces compared, declared data beside the data read, each check with
//! its evidence in plain words, the company and its registry record, the files in reading
//! order, and the timeline.

use verity_domain::engine::biometrics::{BUILT_IN_THRESHOLDS, MatchVerdict, judge};
use verity_domain::engine::{CheckOutcome, EvidenceRecord};
use verity_domain::engine::{FaceMatch, RegistryLookup, Verdict};
use verity_domain::explain;
use verity_domain::hosted::{Progress, SLOT_BACK, SLOT_FACE_DOCUMENT, SLOT_FACE_SELFIE, SLOT_FRONT, SLOT_SELFIE};
use verity_domain::matching::readings;
use verity_domain::user::Person;
use verity_domain::{IdvSession, User};
use verity_service::back_office::{TimelineEntry, TimelineKind};

use super::view::{Fact, date, date_time, facts};
use crate::hosted::countries;

/// What was entered in the hosted pages.
pub(super) struct Entered {
    pub person: Option<Vec<Fact>>,
    pub company: Option<Vec<Fact>>,
    /// "First Last, born date, nationality, share%".
    pub owners: Vec<String>,
}

/// The declared beneficial owners and representative next to what the registry says.
pub(super) struct RegistryView {
    pub registry: String,
    pub declared_company: String,
    /// "Name (number, active|closed)", or "not found".
    pub registered: String,
    pub representative: String,
    pub officers: Vec<String>,
    pub declared_owners: Vec<String>,
    pub owners: Vec<String>,
}

/// The engine's conclusion, on top of the page.
pub(super) struct Summary {
    pub headline: String,
    /// The checks not passed: (check, what it establishes, status, reasons in words).
    pub open: Vec<(String, &'static str, String, String)>,
    pub decided: Option<String>,
}

/// The two faces compared, with the distance and thresholds, and the liveness frames.
pub(super) struct FacesView {
    pub document_chip: bool,
    pub selfie_chip: bool,
    /// "0.42 (same person below 0.50, different above 0.60)".
    pub distance: String,
    pub verdict: String,
    pub liveness_frames: Vec<String>,
}

/// One line of "declared and read".
pub(super) struct Compared {
    pub field: &'static str,
    pub declared: String,
    pub read: String,
    pub differs: bool,
}

pub(super) struct CheckView {
    pub kind: String,
    pub words: &'static str,
    pub status: String,
    /// (code, words).
    pub reasons: Vec<(String, &'static str)>,
    pub rules: Vec<RuleView>,
}

pub(super) struct RuleView {
    pub rule: String,
    pub words: &'static str,
    /// `pass`, `fail`, `inconclusive`, `not checked` or `info`.
    pub verdict: &'static str,
    /// The values the rule compared, as JSON.
    pub detail: String,
}

pub(super) struct FileView {
    pub slot: String,
    pub label: String,
    pub image: bool,
    pub pdf: bool,
}

pub(super) struct TimelineRow {
    pub at: String,
    pub actor: String,
    /// `event`, `staff` or `note`.
    pub kind: &'static str,
    pub text: String,
}

pub(super) fn entered(progress: Option<&Progress>) -> Option<Entered> {
    let p = progress?;
    Some(Entered {
        person: p.personal.as_ref().map(|person| {
            facts(vec![
                ("First name", person.first_name.clone()),
                ("Last name", person.last_name.clone()),
                ("Birth date", person.birth_date.clone()),
                ("Nationality", countries::label(&person.nationality)),
            ])
        }),
        company: p.business.as_ref().map(|b| {
            facts(vec![
                ("Country", countries::label(&b.country)),
                ("Registration number", b.registration_number.clone()),
                ("Name", b.name.clone()),
                ("Address", format!("{}, {} {}", b.address_line1, b.postal_code, b.city)),
            ])
        }),
        owners: p
            .owners
            .iter()
            .map(|o| {
                format!(
                    "{} {}, born {}, {}, {}%",
                    o.first_name,
                    o.last_name,
                    o.birth_date,
                    countries::label(&o.nationality),
                    o.share
                )
            })
            .collect(),
    })
}

pub(super) fn registry(
    progress: Option<&Progress>,
    user: &User,
    evidence: Option<&EvidenceRecord>,
) -> Option<RegistryView> {
    let lookup = evidence?.registry()?;
    let (registry, record) = match lookup {
        RegistryLookup::Found { registry, record } => (registry.clone(), Some(record)),
        RegistryLookup::NotFound { registry } | RegistryLookup::Unavailable { registry, .. } => {
            (registry.clone(), None)
        }
        RegistryLookup::InvalidNumber { .. } | RegistryLookup::NoRegistry => ("registry".to_owned(), None),
    };
    let registered = match (record, lookup) {
        (Some(r), _) => format!(
            "{} ({}, {})",
            r.name,
            r.number,
            if r.active { "active" } else { "closed" }
        ),
        (None, RegistryLookup::Unavailable { message, .. }) => {
            format!("not asked: the registry was unavailable ({message})")
        }
        (None, RegistryLookup::InvalidNumber { message }) => format!("not asked: {message}"),
        (None, RegistryLookup::NoRegistry) => "not asked: no registry for this country".to_owned(),
        (None, _) => "not found".to_owned(),
    };
    Some(RegistryView {
        registry,
        declared_company: progress
            .and_then(|p| p.business.as_ref())
            .map(|b| format!("{} ({})", b.name, b.registration_number))
            .unwrap_or_default(),
        registered,
        // As declared in the session (the PSC flow asks for it there), else as the platform gave it.
        representative: match (progress.and_then(|p| p.personal.as_ref()), &user.person) {
            (Some(p), Person::Legal(_)) if !p.first_name.is_empty() => format!("{} {}", p.first_name, p.last_name),
            (_, Person::Legal(l)) => format!(
                "{} {}",
                l.legal_representative.first_name, l.legal_representative.last_name
            ),
            (_, Person::Natural(_)) => String::new(),
        },
        officers: record.map(|r| r.officers.clone()).unwrap_or_default(),
        declared_owners: progress
            .map(|p| {
                p.owners
                    .iter()
                    .map(|o| format!("{} {} ({}%)", o.first_name, o.last_name, o.share))
                    .collect()
            })
            .unwrap_or_default(),
        owners: record.map(|r| r.owners.clone()).unwrap_or_default(),
    })
}

fn reason_words(session: &IdvSession, kind: &str) -> String {
    session
        .checks
        .iter()
        .filter(|c| c.kind == kind)
        .flat_map(|c| c.reasons.iter())
        .map(|r| {
            let words = explain::reason(&r.kind);
            if words.is_empty() {
                r.kind.clone()
            } else {
                format!("{words} ({})", r.kind)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub(super) fn summary(session: &IdvSession, evidence: Option<&EvidenceRecord>) -> Summary {
    let open: Vec<_> = session
        .checks
        .iter()
        .filter(|c| c.status != "VALIDATED")
        .map(|c| {
            (
                c.kind.clone(),
                explain::check(&c.kind),
                c.status.clone(),
                reason_words(session, &c.kind),
            )
        })
        .collect();
    let review = open.iter().filter(|(_, _, s, _)| s == "REVIEW").count();
    let refused = open.iter().filter(|(_, _, s, _)| s == "REFUSED").count();
    let headline = match (session.status.as_str(), evidence.is_some()) {
        (_, false) => "The automated checks have not run on this session (no evidence recorded).".to_owned(),
        ("REVIEW", true) => format!(
            "Verity could not conclude: {review} check{} need{} a reviewer, {refused} refused, {} passed.",
            if review == 1 { "" } else { "s" },
            if review == 1 { "s" } else { "" },
            session.checks.len() - open.len()
        ),
        (status, true) => format!(
            "Verity decided {status}: {refused} check{} refused, {} passed.",
            if refused == 1 { "" } else { "s" },
            session.checks.len() - open.len()
        ),
    };
    Summary {
        headline,
        open,
        decided: evidence.map(|e| format!("{} by {} in {} ms", date_time(e.decided_at), e.engine, e.took_ms)),
    }
}

pub(super) fn faces(progress: Option<&Progress>, evidence: Option<&EvidenceRecord>) -> Option<FacesView> {
    let derived = |slot: &str| progress.is_some_and(|p| p.derived.contains_key(slot));
    let liveness_frames: Vec<String> = progress
        .and_then(|p| p.liveness.as_ref())
        .map(|l| (0..l.frames.len()).map(|i| format!("liveness_{i}")).collect())
        .unwrap_or_default();
    let face_match = evidence.and_then(|e| e.inputs.as_ref()).map(|i| &i.face_match);
    let (distance, verdict) = match face_match {
        Some(FaceMatch::BuiltIn(c)) => {
            let t = BUILT_IN_THRESHOLDS;
            let distance = match c.distance {
                Some(d) => format!(
                    "{d:.2} (the same person below {:.2}, different people above {:.2}; {})",
                    t.pass_below, t.fail_above, c.matcher
                ),
                None => "not measured".to_owned(),
            };
            let verdict = match judge(c, &t) {
                MatchVerdict::Pass => "The same person, by the built-in matcher.".to_owned(),
                MatchVerdict::Fail => "Different people, by the built-in matcher.".to_owned(),
                MatchVerdict::Inconclusive(why) => format!("Inconclusive: {}.", why.explain()),
            };
            (distance, verdict)
        }
        Some(FaceMatch::Matched { provider, score }) => (
            format!("score {score:.2} from {provider}"),
            format!("The same person, by {provider}."),
        ),
        Some(FaceMatch::Mismatch { provider, score }) => (
            format!("score {score:.2} from {provider}"),
            format!("Different people, by {provider}."),
        ),
        Some(FaceMatch::Unavailable { provider, message }) => (
            "not measured".to_owned(),
            format!("Inconclusive: {provider} was unavailable ({message})."),
        ),
        Some(FaceMatch::NotConfigured) => (
            "not measured".to_owned(),
            "No face match was made: no matcher in this build and no provider.".to_owned(),
        ),
        None => ("not measured".to_owned(), "No face match recorded.".to_owned()),
    };
    let (document_chip, selfie_chip) = (derived(SLOT_FACE_DOCUMENT), derived(SLOT_FACE_SELFIE));
    if !document_chip && !selfie_chip && liveness_frames.is_empty() && face_match.is_none() {
        return None;
    }
    Some(FacesView {
        document_chip,
        selfie_chip,
        distance,
        verdict,
        liveness_frames,
    })
}

/// Words compared the way the name check compares them: case, accents and separators aside.
fn same_words(a: &str, b: &str) -> bool {
    let [a1, a2] = readings(a);
    let [b1, b2] = readings(b);
    a1 == b1 || a2 == b2 || a1.concat() == b1.concat()
}

pub(super) fn compared(progress: Option<&Progress>, evidence: Option<&EvidenceRecord>) -> Vec<Compared> {
    let Some(evidence) = evidence else {
        return Vec::new();
    };
    let personal = progress.and_then(|p| p.personal.as_ref());
    let names = evidence
        .checks
        .iter()
        .flat_map(|c| c.evidence.iter())
        .find(|r| r.rule == "names_match")
        .map(|r| r.detail.clone());
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
    let mut rows = Vec::new();
    let mut push = |field, declared: String, read: String, same: bool| {
        if !declared.is_empty() || !read.is_empty() {
            rows.push(Compared {
                field,
                differs: !declared.is_empty() && !read.is_empty() && !same,
                declared,
                read,
            });
        }
    };
    if let Some(n) = &names {
        let (df, dl) = (text(&n["declared"]["first"]), text(&n["declared"]["last"]));
        let (rf, rl) = (text(&n["document"]["first"]), text(&n["document"]["last"]));
        let first_same = same_words(&df, &rf) || readings(&rf)[0].starts_with(&readings(&df)[0]);
        push("First names", df, rf, first_same);
        let last_same = same_words(&dl, &rl);
        push("Last name", dl, rl, last_same);
    }
    let birth_read = evidence
        .checks
        .iter()
        .flat_map(|c| c.data.iter())
        .find(|d| d.kind.ends_with("BIRTHDATE"))
        .and_then(|d| d.value.as_deref())
        .and_then(|v| v.parse::<i64>().ok())
        .map(date)
        .unwrap_or_default();
    let birth_declared = personal.map(|p| p.birth_date.clone()).unwrap_or_default();
    let same_birth = birth_declared == birth_read;
    push("Birth date", birth_declared, birth_read, same_birth);
    if let Some(doc) = &evidence.document {
        let declared = personal.map(|p| p.nationality.clone()).unwrap_or_default();
        let read = doc.nationality.clone().unwrap_or_default();
        let same = countries::alpha2_of(&read).is_some_and(|a2| a2 == declared);
        push(
            "Nationality",
            countries::label(&declared),
            countries::label(&read),
            same,
        );
        push(
            "Document",
            format!("{} from {}", doc.document_type, countries::label(&doc.issuing_country)),
            doc.number_last_digits
                .as_ref()
                .map(|d| format!("number ending {d}"))
                .unwrap_or_default(),
            true,
        );
        if let Some(expiry) = doc.expiry_date {
            push("Expires", String::new(), date(expiry), true);
        }
    }
    rows
}

fn verdict_word(v: &Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::Inconclusive => "inconclusive",
        Verdict::NotChecked => "not checked",
        Verdict::Info => "info",
    }
}

/// Each check of the session with the rules the engine applied to it.
pub(super) fn checks(session: &IdvSession, evidence: Option<&EvidenceRecord>) -> Vec<CheckView> {
    session
        .checks
        .iter()
        .map(|c| {
            let recorded = evidence.and_then(|e| e.checks.iter().find(|r| r.kind == c.kind));
            CheckView {
                kind: c.kind.clone(),
                words: explain::check(&c.kind),
                status: c.status.clone(),
                reasons: c
                    .reasons
                    .iter()
                    .map(|r| (r.kind.clone(), explain::reason(&r.kind)))
                    .chain(recorded.and_then(|r| match &r.outcome {
                        CheckOutcome::Refused(code) if !c.reasons.iter().any(|x| &x.kind == code) => {
                            Some((code.clone(), explain::reason(code)))
                        }
                        _ => None,
                    }))
                    .collect(),
                rules: recorded
                    .map(|r| {
                        r.evidence
                            .iter()
                            .map(|e| RuleView {
                                rule: e.rule.clone(),
                                words: explain::rule(&e.rule),
                                verdict: verdict_word(&e.verdict),
                                detail: e.detail.to_string(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// The files in the order a reviewer reads them: the document's front and back, the selfie,
/// then the company documents; the face chips and liveness frames show with the faces.
pub(super) fn files(progress: Option<&Progress>) -> Vec<FileView> {
    let rank = |slot: &str| match slot {
        SLOT_FRONT => 0,
        SLOT_BACK => 1,
        SLOT_SELFIE => 2,
        _ => 3,
    };
    let mut files: Vec<FileView> = progress
        .iter()
        .flat_map(|p| p.reviewable_files())
        .filter(|(slot, _)| slot != SLOT_FACE_DOCUMENT && slot != SLOT_FACE_SELFIE && !slot.starts_with("liveness_"))
        .map(|(slot, file)| FileView {
            label: match slot.as_str() {
                SLOT_FRONT => "Document, front".to_owned(),
                SLOT_BACK => "Document, back".to_owned(),
                SLOT_SELFIE => "Selfie".to_owned(),
                other => {
                    let words = other.replace('_', " ");
                    let mut c = words.chars();
                    c.next()
                        .map(|f| f.to_uppercase().chain(c).collect())
                        .unwrap_or_default()
                }
            },
            image: file.content_type.starts_with("image/"),
            pdf: file.content_type == "application/pdf",
            slot,
        })
        .collect();
    files.sort_by_key(|f| (rank(&f.slot), f.slot.clone()));
    files
}

pub(super) fn timeline(entries: &[TimelineEntry]) -> Vec<TimelineRow> {
    entries
        .iter()
        .map(|e| TimelineRow {
            at: date_time(e.at),
            actor: e.actor.clone(),
            kind: match e.kind {
                TimelineKind::Event => "event",
                TimelineKind::Staff => "staff",
                TimelineKind::Note => "note",
            },
            text: e.text.clone(),
        })
        .collect()
}
