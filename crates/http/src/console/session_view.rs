//! What the session page shows of a session's record, as plain values for its template: what
//! was entered, the declared company next to the registry's record, the checks and the engine's
//! evidence, the history and the files.

use verity_domain::hosted::Progress;
use verity_domain::user::Person;
use verity_domain::{IdvSession, User};
use verity_service::back_office::SessionRecord;

use super::view::{Fact, date, facts};

/// What was entered in the hosted pages.
pub(super) struct Entered {
    pub person: Option<Vec<Fact>>,
    pub company: Option<Vec<Fact>>,
    /// "First Last, born date, nationality, share%".
    pub owners: Vec<String>,
    pub document: Option<Vec<Fact>>,
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

pub(super) struct CheckRow {
    pub kind: String,
    pub status: String,
    /// "TYPE: value; …".
    pub reasons: String,
}

/// One check of the engine's evidence, with the rules it applied.
pub(super) struct EvidenceCheck {
    pub kind: String,
    pub rules: Vec<RuleRow>,
}

pub(super) struct RuleRow {
    pub rule: String,
    pub verdict: String,
    /// The values the rule compared, as JSON.
    pub detail: String,
}

pub(super) struct FileLink {
    pub slot: String,
    pub content_type: String,
    pub image: bool,
}

pub(super) fn entered(progress: Option<&Progress>) -> Option<Entered> {
    let p = progress?;
    Some(Entered {
        person: p.personal.as_ref().map(|person| {
            facts(vec![
                ("First name", person.first_name.clone()),
                ("Last name", person.last_name.clone()),
                ("Birth date", person.birth_date.clone()),
                ("Nationality", person.nationality.clone()),
            ])
        }),
        company: p.business.as_ref().map(|b| {
            facts(vec![
                ("Country", b.country.clone()),
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
                    o.first_name, o.last_name, o.birth_date, o.nationality, o.share
                )
            })
            .collect(),
        document: p.document.as_ref().map(|d| {
            facts(vec![(
                "Document",
                format!("{} issued in {}", d.kind.as_str(), d.country),
            )])
        }),
    })
}

pub(super) fn registry(
    progress: Option<&Progress>,
    user: &User,
    evidence: Option<&serde_json::Value>,
) -> Option<RegistryView> {
    let record = evidence.and_then(|e| e["inputs"]["registry"]["Found"]["record"].as_object());
    let registry = evidence
        .and_then(|e| e["inputs"]["registry"].as_object())
        .and_then(|r| r.keys().next().cloned())?;
    let names = |key: &str| -> Vec<String> {
        record
            .and_then(|r| r.get(key))
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    let text = |r: &serde_json::Map<String, serde_json::Value>, key: &str| {
        r.get(key).and_then(|v| v.as_str()).unwrap_or("").to_owned()
    };
    let registered = record.map_or("not found".to_owned(), |r| {
        let active = r.get("active").and_then(|v| v.as_bool()).unwrap_or(false);
        format!(
            "{} ({}, {})",
            text(r, "name"),
            text(r, "number"),
            if active { "active" } else { "closed" }
        )
    });
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
        officers: names("officers"),
        declared_owners: progress
            .map(|p| {
                p.owners
                    .iter()
                    .map(|o| format!("{} {} ({}%)", o.first_name, o.last_name, o.share))
                    .collect()
            })
            .unwrap_or_default(),
        owners: names("owners"),
    })
}

pub(super) fn checks(session: &IdvSession) -> Vec<CheckRow> {
    session
        .checks
        .iter()
        .map(|c| CheckRow {
            kind: c.kind.clone(),
            status: c.status.clone(),
            reasons: c
                .reasons
                .iter()
                .map(|r| format!("{}: {}", r.kind, r.value.clone().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join("; "),
        })
        .collect()
}

pub(super) fn evidence(evidence: Option<&serde_json::Value>) -> Option<Vec<EvidenceCheck>> {
    let ev = evidence?;
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
    Some(
        ev["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|check| EvidenceCheck {
                kind: text(&check["kind"]),
                rules: check["evidence"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|e| RuleRow {
                        rule: text(&e["rule"]),
                        verdict: text(&e["verdict"]),
                        detail: e["detail"].to_string(),
                    })
                    .collect(),
            })
            .collect(),
    )
}

/// The session's events: date and type, oldest first.
pub(super) fn history(record: &SessionRecord) -> Vec<(String, String)> {
    record
        .history
        .iter()
        .map(|e| (date(e.date), e.event_type.to_string()))
        .collect()
}

pub(super) fn files(progress: Option<&Progress>) -> Vec<FileLink> {
    progress
        .iter()
        .flat_map(|p| p.reviewable_files())
        .map(|(slot, file)| FileLink {
            slot,
            content_type: file.content_type.clone(),
            image: file.content_type.starts_with("image/"),
        })
        .collect()
}
