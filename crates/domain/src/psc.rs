//! Persons of Significant Control: the 2026 multi-session KYB flow. A legal user's main session
//! declares its legal representative and owners; once it is VALIDATED, each of them proves who
//! they are in a hosted session of their own (document, selfie, liveness), and the user becomes
//! REGULAR when the last one is validated. This module holds the PSC object, its one state
//! machine, and what each change of a PSC session does to the PSC and the user.

use serde::{Deserialize, Serialize};

use crate::event::{self, Happened};
use crate::hosted::{Control, Progress, parse_date};
use crate::session::{Check, IdvSession, SessionFlow, SessionStatus, TypedValue};
use crate::user::{KycLevel, NaturalData, Person, User};
use crate::{ClientId, SessionId, UnixTime, UserId};

/// A PSC session expires this long after it was created...
pub const PSC_SESSION_LIFETIME: i64 = 7 * 86_400;
/// ...or this long after its liveness step started, whichever comes first.
pub const PSC_LIVENESS_WINDOW: i64 = 3_600;

pub const PSC_ROLE_CHECK: &str = "PSC_ROLE_CHECK";
pub const PSC_CONSISTENCY_CHECK: &str = "PSC_CONSISTENCY_CHECK";

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PscId(String);

impl PscId {
    pub const PREFIX: &'static str = "psc_x_";

    pub fn generate(unix_millis: u64, random: u128) -> Self {
        PscId(format!(
            "{}{}",
            Self::PREFIX,
            ulid::Ulid::from_parts(unix_millis, random)
        ))
    }

    pub fn from_raw(raw: impl Into<String>) -> Self {
        PscId(raw.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PscId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PscStatus {
    /// A link was generated; the person has not been validated yet.
    PendingValidation,
    Validated,
    /// A check failed, or the session expired.
    Rejected,
    /// Set aside by an operator (a duplicate, a person who left): no longer required.
    Abandoned,
}

impl PscStatus {
    pub const ALL: [PscStatus; 4] = [
        Self::PendingValidation,
        Self::Validated,
        Self::Rejected,
        Self::Abandoned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingValidation => "PENDING_VALIDATION",
            Self::Validated => "VALIDATED",
            Self::Rejected => "REJECTED",
            Self::Abandoned => "ABANDONED",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The only transitions that exist: decided, retried (back to pending with a new link), or
    /// abandoned while not validated. An abandoned PSC stays abandoned.
    pub fn can_become(self, next: PscStatus) -> bool {
        use PscStatus::*;
        matches!(
            (self, next),
            (PendingValidation, Validated | Rejected | Abandoned)
                | (Validated | Rejected, PendingValidation)
                | (Rejected, Abandoned)
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PscType {
    LegalRepresentative,
    /// A beneficial owner: 25% or more of the shares or votes, or control by other means.
    Ubo,
}

impl PscType {
    pub fn as_str(self) -> &'static str {
        match self {
            PscType::LegalRepresentative => "LEGAL_REPRESENTATIVE",
            PscType::Ubo => "UBO",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [PscType::LegalRepresentative, PscType::Ubo]
            .into_iter()
            .find(|t| t.as_str() == raw)
    }
}

/// Who the PSC is, as declared (and as corrected by a retry).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PscIdentity {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub birthday: Option<UnixTime>,
    /// Country of residence.
    pub country: Option<String>,
    pub nationality: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Psc {
    pub id: PscId,
    pub client_id: ClientId,
    pub user_id: UserId,
    /// The IDV session under which the PSC was declared.
    pub main_session_id: SessionId,
    /// The PSC's own hosted session (the latest one after a retry).
    pub session_id: SessionId,
    pub tag: Option<String>,
    pub identity: PscIdentity,
    pub kind: PscType,
    /// Shares or votes held, when declared.
    pub ownership: Option<u8>,
    pub status: PscStatus,
    pub validation_date: Option<UnixTime>,
    /// What the PSC's validated document says (`FIRST_NAME`, `LAST_NAME`, `BIRTHDATE`).
    pub verified: Vec<TypedValue>,
    pub created_at: UnixTime,
    pub last_update: UnixTime,
    pub version: i64,
}

impl Psc {
    /// `Data[]` on the wire: the declared share, then what validation read from the document.
    pub fn data(&self) -> Vec<TypedValue> {
        let mut data: Vec<TypedValue> = self
            .ownership
            .map(|share| TypedValue {
                kind: "OWNERSHIP_PERCENTAGE".into(),
                value: Some(share.to_string()),
            })
            .into_iter()
            .collect();
        data.extend(self.verified.iter().cloned());
        data
    }

    /// The person this PSC's session verifies, as a natural user: the hosted pages and the engine
    /// see the PSC exactly as they would see a natural user, so one flow and one set of rules
    /// serve both. Never stored.
    pub fn as_subject(&self, user: &User) -> User {
        let mut subject = user.clone();
        subject.person = Person::Natural(NaturalData {
            first_name: self.identity.first_name.clone(),
            last_name: self.identity.last_name.clone(),
            birthday: self.identity.birthday,
            nationality: self.identity.nationality.clone(),
            country_of_residence: self.identity.country.clone(),
            email: self.identity.email.clone(),
            ..Default::default()
        });
        subject
    }
}

/// A PSC session (created with its PSC) before storage gives it identity.
pub struct NewPscSession<'a> {
    pub session_id: SessionId,
    pub hosted_token: String,
    pub main: &'a IdvSession,
    /// How long the session may stay PENDING.
    pub lifetime: i64,
}

fn psc_session(psc: &PscId, new: NewPscSession<'_>, now: UnixTime) -> IdvSession {
    IdvSession {
        id: new.session_id,
        client_id: new.main.client_id.clone(),
        user_id: new.main.user_id.clone(),
        tag: None,
        return_url: new.main.return_url.clone(),
        hosted_token: new.hosted_token,
        status: SessionStatus::Pending,
        created_at: now,
        updated_at: None,
        checks: Vec::new(),
        expires_at: now + new.lifetime,
        scripted: None,
        flow: SessionFlow::Psc(psc.clone()),
        language: new.main.language,
        version: 0,
    }
}

fn same_person(a: (&str, &str, &str), b: (&str, &str, &str)) -> bool {
    let norm = |s: &str| s.trim().to_lowercase();
    norm(a.0) == norm(b.0) && norm(a.1) == norm(b.1) && a.2.trim() == b.2.trim()
}

/// The people a main session declared, as PSCs still to be created: the legal representative
/// (with the share they also hold, if they declared themselves as an owner too) and every other
/// declared owner. Ids and links come from `new_session`.
pub fn declared(progress: &Progress) -> Vec<(PscType, PscIdentity, Option<u8>)> {
    let mut out = Vec::new();
    let rep = progress.personal.clone().unwrap_or_default();
    let rep_key = (rep.first_name.as_str(), rep.last_name.as_str(), rep.birth_date.as_str());
    let mut rep_share = None;
    let mut owners = Vec::new();
    for o in &progress.owners {
        let share = match o.control {
            Control::Ownership | Control::OtherMeans => Some(o.share),
            Control::SeniorManagingOfficial => None,
        };
        if same_person((&o.first_name, &o.last_name, &o.birth_date), rep_key) {
            rep_share = share;
            continue;
        }
        owners.push((
            PscType::Ubo,
            PscIdentity {
                first_name: o.first_name.trim().to_owned(),
                last_name: o.last_name.trim().to_owned(),
                email: o.email.trim().to_owned(),
                birthday: parse_date(&o.birth_date),
                country: Some(o.residence.clone()).filter(|c| !c.is_empty()),
                nationality: Some(o.nationality.clone()).filter(|c| !c.is_empty()),
            },
            share,
        ));
    }
    if !rep.first_name.trim().is_empty() {
        out.push((
            PscType::LegalRepresentative,
            PscIdentity {
                first_name: rep.first_name.trim().to_owned(),
                last_name: rep.last_name.trim().to_owned(),
                email: rep.email.trim().to_owned(),
                birthday: parse_date(&rep.birth_date),
                country: None,
                nationality: Some(rep.nationality.clone()).filter(|c| !c.is_empty()),
            },
            rep_share,
        ));
    }
    out.extend(owners);
    out
}

/// What validating a main session of the PSC flow creates: one PSC and one hosted session per
/// declared person, and the events saying so. `ids` gives each PSC its id and session.
pub fn open_psc_sessions(
    main: &IdvSession,
    progress: &Progress,
    user: &User,
    now: UnixTime,
    lifetime: i64,
    ids: &mut dyn FnMut() -> (PscId, SessionId, String),
) -> (Vec<Psc>, Vec<IdvSession>, Vec<Happened>) {
    let mut pscs = Vec::new();
    let mut sessions = Vec::new();
    let mut events = Vec::new();
    for (kind, identity, ownership) in declared(progress) {
        let (id, session_id, hosted_token) = ids();
        let session = psc_session(
            &id,
            NewPscSession {
                session_id,
                hosted_token,
                main,
                lifetime,
            },
            now,
        );
        pscs.push(Psc {
            id,
            client_id: main.client_id.clone(),
            user_id: user.id.clone(),
            main_session_id: main.id.clone(),
            session_id: session.id.clone(),
            tag: None,
            identity,
            kind,
            ownership,
            status: PscStatus::PendingValidation,
            validation_date: None,
            verified: Vec::new(),
            created_at: now,
            last_update: now,
            version: 0,
        });
        sessions.push(session);
        events.push(Happened::new(event::PSC_PENDING, &main.id));
    }
    if !pscs.is_empty() && user.kyc_level != KycLevel::Regular {
        events.insert(0, Happened::new(event::IDV_PENDING_PSC_ACTION, &main.id));
    }
    (pscs, sessions, events)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PscError {
    /// The status machine has no such edge.
    NotAllowed { from: PscStatus, to: PscStatus },
}

impl std::fmt::Display for PscError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PscError::NotAllowed { from, to } => {
                write!(f, "The PSC is {} and cannot become {}.", from.as_str(), to.as_str())
            }
        }
    }
}

fn value<'a>(checks: &'a [Check], kind: &str) -> Option<&'a str> {
    checks
        .iter()
        .flat_map(|c| c.data.iter())
        .find(|d| d.kind == kind)
        .and_then(|d| d.value.as_deref())
        .filter(|v| !v.is_empty())
}

/// Whether every PSC still required (not abandoned) of the user's latest declaration is
/// validated, and there is at least one.
fn all_required_validated(pscs: &[Psc]) -> bool {
    let required: Vec<&Psc> = pscs.iter().filter(|p| p.status != PscStatus::Abandoned).collect();
    !required.is_empty() && required.iter().all(|p| p.status == PscStatus::Validated)
}

/// Moves `psc` to `to`, and applies the consequence to the user: REGULAR once the last required
/// PSC of the declaration (`siblings`: the other PSCs of the same main session) is validated.
fn set_status(
    psc: &mut Psc,
    siblings: &[Psc],
    user: &mut User,
    to: PscStatus,
    now: UnixTime,
) -> Result<Vec<Happened>, PscError> {
    if !psc.status.can_become(to) {
        return Err(PscError::NotAllowed { from: psc.status, to });
    }
    psc.status = to;
    psc.last_update = now;
    let mut events = vec![Happened::new(
        match to {
            PscStatus::PendingValidation => event::PSC_PENDING,
            PscStatus::Validated => event::PSC_VALIDATED,
            PscStatus::Rejected => event::PSC_REJECTED,
            PscStatus::Abandoned => event::PSC_ABANDONED,
        },
        &psc.main_session_id,
    )];
    if matches!(to, PscStatus::Validated | PscStatus::Abandoned) {
        let mut all: Vec<Psc> = siblings.iter().filter(|s| s.id != psc.id).cloned().collect();
        all.push(psc.clone());
        if all_required_validated(&all) && user.kyc_level != KycLevel::Regular {
            user.kyc_level = KycLevel::Regular;
            events.push(Happened::new(event::USER_KYC_REGULAR, &user.id));
        }
    }
    Ok(events)
}

/// What a decision on a PSC's own session does to the PSC: validated with the data read from
/// the document; refused or expired, rejected; sent to review, nothing yet.
pub fn session_decided(
    psc: &mut Psc,
    siblings: &[Psc],
    session: &IdvSession,
    user: &mut User,
    now: UnixTime,
) -> Result<Vec<Happened>, PscError> {
    if psc.session_id != session.id || psc.status != PscStatus::PendingValidation {
        // An older session of a retried PSC, or one set aside: it no longer speaks for the PSC.
        return Ok(Vec::new());
    }
    match session.status {
        SessionStatus::Validated => {
            psc.validation_date = Some(now);
            psc.verified = ["FIRST_NAME", "LAST_NAME", "BIRTHDATE"]
                .into_iter()
                .filter_map(|k| {
                    value(&session.checks, k).map(|v| TypedValue {
                        kind: k.to_owned(),
                        value: Some(v.to_owned()),
                    })
                })
                .collect();
            set_status(psc, siblings, user, PscStatus::Validated, now)
        }
        SessionStatus::Refused | SessionStatus::Expired => set_status(psc, siblings, user, PscStatus::Rejected, now),
        _ => Ok(Vec::new()),
    }
}

/// Corrected details sent with a retry; absent fields keep the declared ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PscCorrection {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub birthday: Option<UnixTime>,
}

/// What a retry asks storage to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Retry {
    /// Still pending: the existing link stands (with the corrected details).
    SameLink,
    /// A new session and link were made: store this session.
    NewLink(Box<IdvSession>),
}

/// A platform's retry: corrected details, and a new link unless the PSC is still pending.
pub fn retry(
    psc: &mut Psc,
    correction: &PscCorrection,
    new_session: NewPscSession<'_>,
    now: UnixTime,
) -> Result<(Retry, Vec<Happened>), PscError> {
    if psc.status == PscStatus::Abandoned {
        return Err(PscError::NotAllowed {
            from: psc.status,
            to: PscStatus::PendingValidation,
        });
    }
    let i = &mut psc.identity;
    if let Some(v) = &correction.first_name {
        i.first_name = v.trim().to_owned();
    }
    if let Some(v) = &correction.last_name {
        i.last_name = v.trim().to_owned();
    }
    if let Some(v) = &correction.email {
        i.email = v.trim().to_owned();
    }
    if let Some(v) = correction.birthday {
        i.birthday = Some(v);
    }
    psc.last_update = now;
    if psc.status == PscStatus::PendingValidation {
        return Ok((Retry::SameLink, Vec::new()));
    }
    let session = psc_session(&psc.id, new_session, now);
    psc.session_id = session.id.clone();
    psc.validation_date = None;
    psc.verified.clear();
    psc.status = PscStatus::PendingValidation;
    let events = vec![Happened::new(event::PSC_PENDING, &psc.main_session_id)];
    Ok((Retry::NewLink(Box::new(session)), events))
}

/// An operator sets a PSC aside; if every other required PSC is validated, the user becomes
/// REGULAR. Its pending session, if any, is closed (EXPIRED) by the caller.
pub fn abandon(psc: &mut Psc, siblings: &[Psc], user: &mut User, now: UnixTime) -> Result<Vec<Happened>, PscError> {
    set_status(psc, siblings, user, PscStatus::Abandoned, now)
}

/// Fixtures shared by the domain's tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use crate::user::{Flavour, PersonType, User, UserContext, UserPatch};
    use crate::{ClientId, Environment, UserId};

    pub(crate) fn legal_business() -> User {
        let patch = UserPatch {
            name: Some("Acme".into()),
            email: Some("office@example.com".into()),
            terms_accepted: Some(true),
            legal_person_type: Some(crate::user::LegalPersonType::Business),
            legal_representative: crate::user::LegalRepresentativePatch {
                first_name: Some("Sanne".into()),
                last_name: Some("Jansen".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let ctx = UserContext {
            flavour: Flavour::Legacy,
            environment: Environment::Sandbox,
            now: 1,
            sca_token: "t".into(),
            sca_context: None,
        };
        User::create(
            UserId::from_raw("user_m_1"),
            ClientId::from_raw("c"),
            PersonType::Legal,
            &patch,
            &ctx,
        )
        .unwrap_or_else(|e| panic!("{e:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::legal_business as legal_user;
    use super::*;
    use crate::hosted::{Owner, PersonalData};

    fn main_session() -> IdvSession {
        IdvSession {
            id: SessionId::from_raw("idnver_main"),
            client_id: ClientId::from_raw("c"),
            user_id: UserId::from_raw("user_m_1"),
            tag: None,
            return_url: "https://example.com".into(),
            hosted_token: "tok".into(),
            status: SessionStatus::Validated,
            created_at: 0,
            updated_at: Some(10),
            checks: vec![],
            expires_at: 0,
            scripted: None,
            flow: SessionFlow::PscMain,
            language: None,
            version: 1,
        }
    }

    fn declaration() -> Progress {
        let owner = |first: &str, last: &str, share| Owner {
            id: format!("o_{first}"),
            first_name: first.into(),
            last_name: last.into(),
            birth_date: "1980-01-02".into(),
            nationality: "NL".into(),
            residence: "NL".into(),
            email: format!("{first}@example.com"),
            control: Control::Ownership,
            share,
        };
        Progress {
            personal: Some(PersonalData {
                first_name: "Sanne".into(),
                last_name: "Jansen".into(),
                birth_date: "1980-01-02".into(),
                nationality: "NL".into(),
                email: "sanne@example.com".into(),
            }),
            // The representative also owns 60%: declared once, with the share.
            owners: vec![owner("sanne", "JANSEN", 60), owner("Piet", "Bakker", 40)],
            ..Default::default()
        }
    }

    fn opened() -> (Vec<Psc>, Vec<IdvSession>, Vec<Happened>) {
        let mut n = 0;
        open_psc_sessions(
            &main_session(),
            &declaration(),
            &legal_user(),
            100,
            PSC_SESSION_LIFETIME,
            &mut || {
                n += 1;
                (
                    PscId::from_raw(format!("psc_x_{n}")),
                    SessionId::from_raw(format!("idnver_psc{n}")),
                    format!("token{n}"),
                )
            },
        )
    }

    #[test]
    fn only_documented_transitions_exist() {
        use PscStatus::*;
        let allowed = [
            (PendingValidation, Validated),
            (PendingValidation, Rejected),
            (PendingValidation, Abandoned),
            (Validated, PendingValidation),
            (Rejected, PendingValidation),
            (Rejected, Abandoned),
        ];
        for from in PscStatus::ALL {
            for to in PscStatus::ALL {
                assert_eq!(from.can_become(to), allowed.contains(&(from, to)), "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn a_representative_who_owns_is_declared_once_with_the_share() {
        let (pscs, sessions, events) = opened();
        assert_eq!(pscs.len(), 2);
        assert_eq!(pscs[0].kind, PscType::LegalRepresentative);
        assert_eq!(pscs[0].ownership, Some(60));
        assert_eq!(pscs[0].data()[0].value.as_deref(), Some("60"));
        assert_eq!(pscs[1].kind, PscType::Ubo);
        assert_eq!(pscs[1].identity.email, "Piet@example.com");
        assert_eq!(sessions[1].flow, SessionFlow::Psc(pscs[1].id.clone()));
        assert_eq!(sessions[1].expires_at, 100 + PSC_SESSION_LIFETIME);
        let names: Vec<&str> = events.iter().map(|e| e.event_type).collect();
        assert_eq!(
            names,
            [event::IDV_PENDING_PSC_ACTION, event::PSC_PENDING, event::PSC_PENDING]
        );
        assert!(events.iter().all(|e| e.resource_id == "idnver_main"));
    }

    fn decided(session: &IdvSession, status: SessionStatus) -> IdvSession {
        let mut s = session.clone();
        s.status = status;
        s.checks = vec![Check {
            id: "c".into(),
            kind: "IDENTITY_DOCUMENT_VERIFICATION".into(),
            status: "VALIDATED".into(),
            reasons: vec![],
            data: vec![TypedValue {
                kind: "FIRST_NAME".into(),
                value: Some("SANNE".into()),
            }],
            created_at: 0,
            updated_at: 0,
        }];
        s
    }

    #[test]
    fn the_user_is_regular_only_after_the_last_psc() {
        let (mut pscs, sessions, _) = opened();
        let mut user = legal_user();
        let siblings = pscs.clone();
        let first = session_decided(
            &mut pscs[0],
            &siblings,
            &decided(&sessions[0], SessionStatus::Validated),
            &mut user,
            200,
        )
        .unwrap();
        assert_eq!(first, vec![Happened::new(event::PSC_VALIDATED, "idnver_main")]);
        assert_eq!(pscs[0].verified[0].value.as_deref(), Some("SANNE"));
        assert_ne!(user.kyc_level, KycLevel::Regular);
        let siblings = pscs.clone();
        let second = session_decided(
            &mut pscs[1],
            &siblings,
            &decided(&sessions[1], SessionStatus::Validated),
            &mut user,
            300,
        )
        .unwrap();
        assert_eq!(
            second.iter().map(|e| e.event_type).collect::<Vec<_>>(),
            [event::PSC_VALIDATED, event::USER_KYC_REGULAR]
        );
        assert_eq!(user.kyc_level, KycLevel::Regular);
    }

    #[test]
    fn rejected_then_retried_gets_a_new_link_and_abandoned_cannot_be_retried() {
        let (mut pscs, sessions, _) = opened();
        let mut user = legal_user();
        let siblings = pscs.clone();
        let events = session_decided(
            &mut pscs[1],
            &siblings,
            &decided(&sessions[1], SessionStatus::Expired),
            &mut user,
            200,
        )
        .unwrap();
        assert_eq!(events, vec![Happened::new(event::PSC_REJECTED, "idnver_main")]);
        let main = main_session();
        let correction = PscCorrection {
            last_name: Some("Bakker-de Vries".into()),
            ..Default::default()
        };
        let new = |n: &str| NewPscSession {
            session_id: SessionId::from_raw(n),
            hosted_token: format!("t{n}"),
            main: &main,
            lifetime: PSC_SESSION_LIFETIME,
        };
        let (retried, events) = retry(&mut pscs[1], &correction, new("idnver_again"), 300).unwrap();
        let Retry::NewLink(session) = retried else {
            panic!("a rejected PSC gets a new link")
        };
        assert_eq!(session.id.as_str(), "idnver_again");
        assert_eq!(pscs[1].session_id.as_str(), "idnver_again");
        assert_eq!(pscs[1].status, PscStatus::PendingValidation);
        assert_eq!(pscs[1].identity.last_name, "Bakker-de Vries");
        assert_eq!(events, vec![Happened::new(event::PSC_PENDING, "idnver_main")]);
        // The old session deciding late changes nothing.
        let siblings = pscs.clone();
        assert!(
            session_decided(
                &mut pscs[1],
                &siblings,
                &decided(&sessions[1], SessionStatus::Validated),
                &mut user,
                310
            )
            .unwrap()
            .is_empty()
        );
        // Still pending: the same link.
        let (again, events) = retry(&mut pscs[1], &PscCorrection::default(), new("x"), 320).unwrap();
        assert_eq!(again, Retry::SameLink);
        assert!(events.is_empty());
        // Abandoned: no retry; the other PSC validated then makes the user REGULAR.
        let siblings = pscs.clone();
        abandon(&mut pscs[1], &siblings, &mut user, 330).unwrap();
        assert!(retry(&mut pscs[1], &PscCorrection::default(), new("y"), 340).is_err());
        let siblings = pscs.clone();
        let events = session_decided(
            &mut pscs[0],
            &siblings,
            &decided(&sessions[0], SessionStatus::Validated),
            &mut user,
            350,
        )
        .unwrap();
        assert_eq!(events.last().unwrap().event_type, event::USER_KYC_REGULAR);
    }
}
