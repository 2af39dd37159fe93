//! The hosted verification flow: which steps a user goes through, what each step collects, and
//! when a session can be submitted. Pages render it; the rules live here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod document;

pub use document::{CARD_STATES, DocumentChoice, DocumentType, card_state_accepted};

use crate::UnixTime;
use crate::user::{LegalPersonType, Person, User};
use crate::validation::is_country_code;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    Welcome,
    Personal,
    Business,
    Owners,
    CompanyDocuments,
    Document,
    Front,
    Back,
    Selfie,
    Review,
}

impl Step {
    pub const ALL: [Step; 10] = [
        Step::Welcome,
        Step::Personal,
        Step::Business,
        Step::Owners,
        Step::CompanyDocuments,
        Step::Document,
        Step::Front,
        Step::Back,
        Step::Selfie,
        Step::Review,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Welcome => "welcome",
            Step::Personal => "personal",
            Step::Business => "business",
            Step::Owners => "owners",
            Step::CompanyDocuments => "company-documents",
            Step::Document => "document",
            Step::Front => "front",
            Step::Back => "back",
            Step::Selfie => "selfie",
            Step::Review => "review",
        }
    }

    pub fn parse(raw: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Steps that take a photo (offered on a phone by QR code from a desktop).
    pub fn is_capture(self) -> bool {
        matches!(self, Step::Front | Step::Back | Step::Selfie)
    }
}

/// What the person confirms about themselves (the user, or the legal representative).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalData {
    pub first_name: String,
    pub last_name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    pub nationality: String,
    /// Where a PSC session's link is sent (the PSC flow's legal representative).
    #[serde(default)]
    pub email: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessData {
    pub country: String,
    pub registration_number: String,
    pub name: String,
    pub address_line1: String,
    pub city: String,
    pub postal_code: String,
}

/// A beneficial owner (person of significant control) declared in the session.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub birth_date: String,
    pub nationality: String,
    /// Country of residence (ISO alpha-2); empty in sessions started before it was asked.
    #[serde(default)]
    pub residence: String,
    /// Where the person's own session link is sent (the PSC flow).
    #[serde(default)]
    pub email: String,
    /// How the person controls the company.
    #[serde(default)]
    pub control: Control,
    /// Percentage of shares or votes held: 25 to 100 for an owner, 0 to 100 for control by
    /// other means, 0 for a senior managing official.
    pub share: u8,
}

/// How a person of significant control controls the company (EU AML directive, art. 3(6)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Control {
    /// 25% or more of the shares or voting rights.
    #[default]
    Ownership,
    /// Control by other means (a shareholders' agreement, the power to appoint directors...).
    OtherMeans,
    /// No one owns or controls 25%: the senior managing official is declared instead.
    SeniorManagingOfficial,
}

impl Control {
    pub const ALL: [Control; 3] = [Control::Ownership, Control::OtherMeans, Control::SeniorManagingOfficial];

    pub fn as_str(self) -> &'static str {
        match self {
            Control::Ownership => "OWNERSHIP",
            Control::OtherMeans => "OTHER_MEANS",
            Control::SeniorManagingOfficial => "SENIOR_MANAGING_OFFICIAL",
        }
    }

    pub fn parse(raw: &str) -> Option<Control> {
        Control::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

/// An uploaded file, stored encrypted in the blob store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub blob_id: String,
    pub content_type: String,
    pub size: u64,
    /// Whether it is one of the sandbox's generated sample documents.
    #[serde(default)]
    pub sample: bool,
}

/// Upload slots.
pub const SLOT_FRONT: &str = "front";
pub const SLOT_BACK: &str = "back";
pub const SLOT_SELFIE: &str = "selfie";
pub const SLOT_REGISTRATION_PROOF: &str = "registration_proof";
pub const SLOT_ARTICLES: &str = "articles_of_association";

/// Everything entered in the hosted flow so far: saved after every step, so the link can be
/// closed, reopened or forwarded and continues where it stopped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Anti-forgery token of this session's forms.
    #[serde(default)]
    pub csrf: String,
    pub lang: Option<String>,
    /// Steps the person confirmed (pre-filled data counts only once confirmed).
    pub confirmed: std::collections::BTreeSet<String>,
    pub personal: Option<PersonalData>,
    pub business: Option<BusinessData>,
    pub owners: Vec<Owner>,
    pub document: Option<DocumentChoice>,
    pub files: BTreeMap<String, FileRef>,
    pub submitted_at: Option<UnixTime>,
    /// The active liveness attempt of the selfie step, when the page had a camera.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness: Option<LivenessProgress>,
    /// Files the engine derived from the uploads for reviewers (the aligned face chips),
    /// sealed like them and redacted with them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub derived: BTreeMap<String, FileRef>,
    /// The main session of the PSC flow: it declares the company and its PSCs (with their
    /// e-mail), and each PSC proves who they are in a session of their own, so this one asks
    /// for no identity document and no selfie.
    #[serde(default)]
    pub psc_main: bool,
}

/// Slots of the engine's aligned face chips.
pub const SLOT_FACE_DOCUMENT: &str = "face_document";
pub const SLOT_FACE_SELFIE: &str = "face_selfie";

/// A liveness challenge issued on the selfie step and, once sent, the frames that answer it
/// (the first, facing the camera, is also the selfie).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LivenessProgress {
    pub challenge: crate::engine::liveness::Challenge,
    #[serde(default)]
    pub frames: Vec<LivenessFrame>,
    /// When the server received the frames.
    #[serde(default)]
    pub received_at_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LivenessFrame {
    pub file: FileRef,
    /// The browser's clock when the frame was captured.
    pub captured_ms: i64,
}

/// Form errors of a step: field name to a translation key.
pub type FormErrors = BTreeMap<&'static str, &'static str>;

fn is_legal(user: &User) -> Option<LegalPersonType> {
    match &user.person {
        Person::Legal(l) => Some(l.legal_person_type),
        Person::Natural(_) => None,
    }
}

impl Progress {
    /// Every file a reviewer may see, by slot: the uploads, the liveness frames
    /// (`liveness_0`, ...) and the engine's face chips.
    pub fn reviewable_files(&self) -> Vec<(String, FileRef)> {
        let mut all: Vec<(String, FileRef)> = self.files.iter().map(|(s, f)| (s.clone(), f.clone())).collect();
        if let Some(live) = &self.liveness {
            all.extend(
                live.frames
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (format!("liveness_{i}"), f.file.clone())),
            );
        }
        all.extend(self.derived.iter().map(|(s, f)| (s.clone(), f.clone())));
        all
    }

    /// Pre-fills what the platform already knows about the user.
    pub fn prefilled(user: &User) -> Progress {
        let date = |ts: Option<i64>| ts.map(format_date).unwrap_or_default();
        let mut p = Progress::default();
        match &user.person {
            Person::Natural(n) => {
                p.personal = Some(PersonalData {
                    first_name: n.first_name.clone(),
                    last_name: n.last_name.clone(),
                    birth_date: date(n.birthday),
                    nationality: n.nationality.clone().unwrap_or_default(),
                    email: n.email.clone(),
                });
            }
            Person::Legal(l) => {
                let r = &l.legal_representative;
                p.personal = Some(PersonalData {
                    first_name: r.first_name.clone(),
                    last_name: r.last_name.clone(),
                    birth_date: date(r.birthday),
                    nationality: r.nationality.clone().unwrap_or_default(),
                    email: r.email.clone().unwrap_or_default(),
                });
                let hq = l.headquarters_address.clone().unwrap_or_default();
                p.business = Some(BusinessData {
                    country: hq.country.clone().unwrap_or_default(),
                    registration_number: l.company_number.clone().unwrap_or_default(),
                    name: l.name.clone(),
                    address_line1: hq.address_line1.unwrap_or_default(),
                    city: hq.city.unwrap_or_default(),
                    postal_code: hq.postal_code.unwrap_or_default(),
                });
            }
        }
        // Pre-filled data still has to be confirmed by the person.
        p
    }

    /// The steps of this user's flow, in order.
    pub fn steps(&self, user: &User) -> Vec<Step> {
        let mut steps = vec![Step::Welcome];
        match is_legal(user) {
            None => steps.push(Step::Personal),
            Some(LegalPersonType::Business) | Some(LegalPersonType::Partnership) => {
                steps.extend([Step::Business, Step::Owners, Step::CompanyDocuments, Step::Personal])
            }
            Some(_) => steps.extend([Step::Business, Step::CompanyDocuments, Step::Personal]),
        }
        if self.psc_main {
            steps.push(Step::Review);
            return steps;
        }
        steps.extend([Step::Document, Step::Front]);
        if self.document.as_ref().is_none_or(|d| d.kind.two_sided()) {
            steps.push(Step::Back);
        }
        steps.extend([Step::Selfie, Step::Review]);
        steps
    }

    /// Uploads a company-documents step asks for.
    pub fn company_slots(user: &User) -> &'static [&'static str] {
        match is_legal(user) {
            Some(LegalPersonType::Soletrader) => &[SLOT_REGISTRATION_PROOF],
            Some(_) => &[SLOT_REGISTRATION_PROOF, SLOT_ARTICLES],
            None => &[],
        }
    }

    pub fn is_done(&self, user: &User, step: Step) -> bool {
        match step {
            Step::Welcome => self.confirmed.contains(step.as_str()),
            Step::Personal => {
                self.confirmed.contains(step.as_str())
                    && self
                        .personal
                        .as_ref()
                        .is_some_and(|p| validate_personal(p).is_empty() && (!self.psc_main || email_valid(&p.email)))
            }
            Step::Business => {
                self.confirmed.contains(step.as_str())
                    && self.business.as_ref().is_some_and(|b| validate_business(b).is_empty())
            }
            Step::Owners => {
                self.confirmed.contains(step.as_str())
                    && !self.owners.is_empty()
                    && (!self.psc_main || self.owners.iter().all(|o| email_valid(&o.email)))
            }
            Step::CompanyDocuments => Self::company_slots(user).iter().all(|s| self.files.contains_key(*s)),
            Step::Document => self.document.is_some(),
            Step::Front => self.files.contains_key(SLOT_FRONT),
            Step::Back => self.files.contains_key(SLOT_BACK),
            Step::Selfie => self.files.contains_key(SLOT_SELFIE),
            Step::Review => self.submitted_at.is_some(),
        }
    }

    /// The first step not done yet: where a reopened link continues.
    pub fn resume_at(&self, user: &User) -> Step {
        self.steps(user)
            .into_iter()
            .find(|s| !self.is_done(user, *s))
            .unwrap_or(Step::Review)
    }

    /// The step after `step` in this user's flow.
    pub fn next_after(&self, user: &User, step: Step) -> Step {
        let steps = self.steps(user);
        let i = steps.iter().position(|s| *s == step).unwrap_or(0);
        steps.get(i + 1).copied().unwrap_or(Step::Review)
    }

    /// The step before `step`, for the back link.
    pub fn previous(&self, user: &User, step: Step) -> Option<Step> {
        let steps = self.steps(user);
        let i = steps.iter().position(|s| *s == step)?;
        i.checked_sub(1).map(|j| steps[j])
    }

    /// Steps still missing before the session can be submitted.
    pub fn missing(&self, user: &User) -> Vec<Step> {
        self.steps(user)
            .into_iter()
            .filter(|s| *s != Step::Review && !self.is_done(user, *s))
            .collect()
    }
}

/// `YYYY-MM-DD` of a Unix time (UTC).
pub fn format_date(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Unix time (UTC midnight) of a `YYYY-MM-DD` date, if valid.
pub fn parse_date(raw: &str) -> Option<i64> {
    let mut parts = raw.trim().split('-');
    let (y, m, d) = (
        parts.next()?.parse::<i64>().ok()?,
        parts.next()?.parse::<u32>().ok()?,
        parts.next()?.parse::<u32>().ok()?,
    );
    if parts.next().is_some()
        || !(1900..=2100).contains(&y)
        || !(1..=12).contains(&m)
        || d == 0
        || d > days_in_month(y, m)
    {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

// Howard Hinnant's civil calendar algorithms.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn required(errors: &mut FormErrors, field: &'static str, value: &str) {
    if value.trim().is_empty() {
        errors.insert(field, "error-required");
    }
}

/// A plausible e-mail address: one `@` with something on each side and a dot in the domain, no
/// spaces. Delivery is what proves an address; this only catches typing slips.
pub fn email_valid(raw: &str) -> bool {
    let raw = raw.trim();
    match raw.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && raw.len() <= 254
                && !raw.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// The e-mail field of a person declared in the PSC flow.
pub fn validate_psc_email(errors: &mut FormErrors, email: &str) {
    if email.trim().is_empty() {
        errors.insert("email", "error-required");
    } else if !email_valid(email) {
        errors.insert("email", "error-email");
    }
}

pub fn validate_personal(p: &PersonalData) -> FormErrors {
    let mut e = FormErrors::new();
    required(&mut e, "first_name", &p.first_name);
    required(&mut e, "last_name", &p.last_name);
    if parse_date(&p.birth_date).is_none() {
        e.insert("birth_date", "error-date");
    }
    if !is_country_code(&p.nationality) {
        e.insert("nationality", "error-country");
    }
    e
}

pub fn validate_business(b: &BusinessData) -> FormErrors {
    let mut e = FormErrors::new();
    if !is_country_code(&b.country) {
        e.insert("country", "error-country");
    }
    required(&mut e, "name", &b.name);
    required(&mut e, "address_line1", &b.address_line1);
    required(&mut e, "city", &b.city);
    required(&mut e, "postal_code", &b.postal_code);
    e
}

pub fn validate_owner(o: &Owner) -> FormErrors {
    let mut e = FormErrors::new();
    required(&mut e, "first_name", &o.first_name);
    required(&mut e, "last_name", &o.last_name);
    if parse_date(&o.birth_date).is_none() {
        e.insert("birth_date", "error-date");
    }
    if !is_country_code(&o.nationality) {
        e.insert("nationality", "error-country");
    }
    if !is_country_code(&o.residence) {
        e.insert("residence", "error-country");
    }
    let share_ok = match o.control {
        Control::Ownership => (25..=100).contains(&o.share),
        Control::OtherMeans => o.share <= 100,
        Control::SeniorManagingOfficial => o.share == 0,
    };
    if !share_ok {
        e.insert(
            "share",
            if o.control == Control::SeniorManagingOfficial {
                "error-share-official"
            } else {
                "error-share"
            },
        );
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_follow_the_kind_of_control() {
        let owner = |control, share| Owner {
            id: "psc_1".into(),
            first_name: "Claire".into(),
            last_name: "Petit".into(),
            birth_date: "1975-05-06".into(),
            nationality: "FR".into(),
            residence: "BE".into(),
            email: String::new(),
            control,
            share,
        };
        assert!(validate_owner(&owner(Control::Ownership, 25)).is_empty());
        assert_eq!(
            validate_owner(&owner(Control::Ownership, 10)).get("share"),
            Some(&"error-share")
        );
        assert!(validate_owner(&owner(Control::OtherMeans, 10)).is_empty());
        assert!(validate_owner(&owner(Control::SeniorManagingOfficial, 0)).is_empty());
        assert_eq!(
            validate_owner(&owner(Control::SeniorManagingOfficial, 30)).get("share"),
            Some(&"error-share-official")
        );
        let mut nowhere = owner(Control::Ownership, 40);
        nowhere.residence.clear();
        assert_eq!(validate_owner(&nowhere).get("residence"), Some(&"error-country"));
    }

    #[test]
    fn the_psc_main_session_asks_for_no_document_and_needs_every_email() {
        let mut p = Progress {
            psc_main: true,
            ..Default::default()
        };
        let user = crate::psc::tests_support::legal_business();
        assert_eq!(
            p.steps(&user),
            [
                Step::Welcome,
                Step::Business,
                Step::Owners,
                Step::CompanyDocuments,
                Step::Personal,
                Step::Review
            ]
        );
        p.confirmed.insert("owners".into());
        p.owners.push(Owner {
            first_name: "A".into(),
            email: "a@example".into(),
            ..Default::default()
        });
        assert!(!p.is_done(&user, Step::Owners));
        p.owners[0].email = "a@example.com".into();
        assert!(p.is_done(&user, Step::Owners));
        assert!(email_valid("x.y+z@sub.example.org"));
        for bad in ["", "a", "a@b", "@b.com", "a@.com", "a b@c.com", "a@b.com."] {
            assert!(!email_valid(bad), "{bad}");
        }
    }

    #[test]
    fn dates_round_trip() {
        assert_eq!(format_date(188_352_000), "1975-12-21");
        assert_eq!(parse_date("1975-12-21"), Some(188_352_000));
        assert_eq!(parse_date("2000-02-29"), Some(951_782_400));
        assert_eq!(parse_date("2001-02-29"), None);
        assert_eq!(parse_date("20-01-01"), None);
        assert_eq!(parse_date("1990-13-01"), None);
    }
}
