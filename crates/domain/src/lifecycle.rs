//! The session state machine and what each transition does to the session's user. This is the
//! only code that changes a session's status; every caller (API, sandbox, reviewers, sweepers)
//! goes through [`transition`].

use crate::UnixTime;
use crate::event::{self, Happened};
use crate::session::{Check, IdvSession, SessionFlow, SessionStatus, TypedValue};
use crate::user::{KycLevel, Person, User};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransitionError {
    /// The status machine has no such edge.
    NotAllowed { from: SessionStatus, to: SessionStatus },
    /// Natural users' sessions are decided automatically unless the client opted in to review.
    NaturalReview,
}

impl std::fmt::Display for TransitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransitionError::NotAllowed { from, to } => {
                write!(f, "The session is {} and cannot become {}.", from.as_str(), to.as_str())
            }
            TransitionError::NaturalReview => f.write_str("Sessions of natural users are never sent to review."),
        }
    }
}

/// What a decision says about a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub status: SessionStatus,
    /// New checks, or `None` to keep the current ones (a manual validation does not rewrite them).
    pub checks: Option<Vec<Check>>,
}

/// Moves `session` to `decision.status`, applying the consequences to `user`, and returns the
/// events to record. Nothing is changed when it fails.
pub fn transition(
    session: &mut IdvSession,
    user: &mut User,
    decision: Decision,
    natural_review_allowed: bool,
    now: UnixTime,
) -> Result<Vec<Happened>, TransitionError> {
    let (from, to) = (session.status, decision.status);
    if !from.can_become(to) {
        return Err(TransitionError::NotAllowed { from, to });
    }
    if to == SessionStatus::Review && matches!(user.person, Person::Natural(_)) && !natural_review_allowed {
        return Err(TransitionError::NaturalReview);
    }
    session.status = to;
    session.updated_at = Some(now);
    session.scripted = None;
    if let Some(checks) = decision.checks {
        session.checks = checks;
    }
    let mut events = Vec::new();
    // A PSC's own session speaks for the PSC, not for the user: what it does to the PSC and the
    // user is decided by `psc::session_decided`, with the PSC's events.
    let psc_session = matches!(session.flow, SessionFlow::Psc(_));
    match to {
        SessionStatus::Validated if psc_session => {}
        SessionStatus::Validated => {
            apply_verified_data(user, &session.checks);
            events.push(Happened::new(event::IDV_VALIDATED, &session.id));
            // In the PSC flow the user becomes REGULAR with the last PSC, not with this session.
            if session.flow == SessionFlow::Single && user.kyc_level != KycLevel::Regular {
                user.kyc_level = KycLevel::Regular;
                events.push(Happened::new(event::USER_KYC_REGULAR, &user.id));
            }
        }
        SessionStatus::Refused | SessionStatus::Review if psc_session => {}
        SessionStatus::Refused => events.push(Happened::new(event::IDV_FAILED, &session.id)),
        SessionStatus::Review => events.push(Happened::new(event::IDV_INCONCLUSIVE, &session.id)),
        SessionStatus::Expired => events.push(Happened::new(event::IDV_EXPIRED, &session.id)),
        SessionStatus::OutOfDate => events.push(Happened::new(event::IDV_OUTDATED, &session.id)),
        SessionStatus::Pending => {}
    }
    Ok(events)
}

/// Takes a REGULAR user back to LIGHT: every validated session of the user becomes OUT_OF_DATE.
/// Returns the events, or nothing when the user was not REGULAR.
pub fn downgrade(user: &mut User, validated: &mut [IdvSession], now: UnixTime) -> Vec<Happened> {
    if user.kyc_level != KycLevel::Regular {
        return Vec::new();
    }
    user.kyc_level = KycLevel::Light;
    let mut events = Vec::new();
    for session in validated.iter_mut().filter(|s| s.status == SessionStatus::Validated) {
        session.status = SessionStatus::OutOfDate;
        session.updated_at = Some(now);
        events.push(Happened::new(event::IDV_OUTDATED, &session.id));
    }
    events.push(Happened::new(event::USER_KYC_LIGHT, &user.id));
    events
}

fn value<'a>(data: &'a [TypedValue], kind: &str) -> Option<&'a str> {
    data.iter()
        .find(|d| d.kind == kind)
        .and_then(|d| d.value.as_deref())
        .filter(|v| !v.is_empty())
}

/// On validation the verified data replaces what the user declared (Mangopay's mapping; the
/// verified company name goes to the legal user's `Name`).
fn apply_verified_data(user: &mut User, checks: &[Check]) {
    let data: Vec<TypedValue> = checks.iter().flat_map(|c| c.data.iter().cloned()).collect();
    let date = |k: &str| value(&data, k).and_then(|v| v.parse::<UnixTime>().ok());
    match &mut user.person {
        Person::Natural(n) => {
            if let Some(v) = value(&data, "FIRST_NAME") {
                n.first_name = v.to_owned();
            }
            if let Some(v) = value(&data, "LAST_NAME") {
                n.last_name = v.to_owned();
            }
            if let Some(v) = date("BIRTHDATE") {
                n.birthday = Some(v);
            }
        }
        Person::Legal(l) => {
            let r = &mut l.legal_representative;
            if let Some(v) = value(&data, "LEGAL_REPRESENTATIVE_FIRST_NAME") {
                r.first_name = v.to_owned();
            }
            if let Some(v) = value(&data, "LEGAL_REPRESENTATIVE_LAST_NAME") {
                r.last_name = v.to_owned();
            }
            if let Some(v) = date("LEGAL_REPRESENTATIVE_BIRTHDATE") {
                r.birthday = Some(v);
            }
            if let Some(v) = value(&data, "COMPANY_NAME") {
                l.name = v.to_owned();
            }
            if let Some(v) = value(&data, "COMPANY_NUMBER") {
                l.company_number = Some(v.to_owned());
            }
        }
    }
}

/// A reviewer's refusal: the check that gives `reason` is refused with the reviewer's comment
/// as the reason's `Value` (added if the case never reached that check).
pub fn manual_refusal(
    session: &IdvSession,
    reason: &str,
    check: &str,
    comment: &str,
    now: UnixTime,
    new_id: &mut dyn FnMut() -> String,
) -> Vec<Check> {
    let mut checks = session.checks.clone();
    let reason = TypedValue {
        kind: reason.to_owned(),
        value: Some(comment.to_owned()),
    };
    match checks.iter_mut().find(|c| c.kind == check) {
        Some(c) => {
            c.status = "REFUSED".into();
            c.reasons = vec![reason];
            c.updated_at = now;
        }
        None => checks.push(Check {
            id: new_id(),
            kind: check.to_owned(),
            status: "REFUSED".into(),
            reasons: vec![reason],
            data: Vec::new(),
            created_at: now,
            updated_at: now,
        }),
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::Directive;
    use crate::user::{Flavour, PersonType, UserContext, UserPatch};
    use crate::{ClientId, Environment, SessionId, UserId};

    fn user(person: PersonType) -> User {
        let patch = UserPatch {
            first_name: Some("Alex".into()),
            last_name: Some("Smith".into()),
            email: Some("alex@example.com".into()),
            birthday: Some(188_352_000),
            nationality: Some("FR".into()),
            country_of_residence: Some("FR".into()),
            terms_accepted: Some(true),
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
            person,
            &patch,
            &ctx,
        )
        .unwrap()
    }

    fn session() -> IdvSession {
        IdvSession {
            id: SessionId::from_raw("idnver_1"),
            client_id: ClientId::from_raw("c"),
            user_id: UserId::from_raw("user_m_1"),
            tag: None,
            return_url: "https://e.com".into(),
            hosted_token: "t".into(),
            status: SessionStatus::Pending,
            created_at: 1,
            updated_at: None,
            checks: vec![],
            expires_at: 100,
            scripted: None,
            flow: SessionFlow::Single,
            language: None,
            version: 0,
        }
    }

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("idnchc_{n}")
        }
    }

    #[test]
    fn validation_overwrites_user_and_raises_kyc_level_once() {
        let (mut s, mut u) = (session(), user(PersonType::Natural));
        let (status, checks) = Directive::Accept.outcome(&u, 5, &mut ids());
        let events = transition(
            &mut s,
            &mut u,
            Decision {
                status,
                checks: Some(checks),
            },
            false,
            5,
        )
        .unwrap();
        assert_eq!(
            events,
            vec![
                Happened::new(event::IDV_VALIDATED, "idnver_1"),
                Happened::new(event::USER_KYC_REGULAR, "user_m_1")
            ]
        );
        assert_eq!(u.kyc_level, KycLevel::Regular);
        match &u.person {
            Person::Natural(n) => assert_eq!((n.first_name.as_str(), n.last_name.as_str()), ("ALEX", "SMITH")),
            _ => unreachable!(),
        }
        assert_eq!(s.updated_at, Some(5));
        // A second validated session of an already REGULAR user raises no user event.
        let mut s2 = session();
        let events = transition(
            &mut s2,
            &mut u,
            Decision {
                status: SessionStatus::Validated,
                checks: None,
            },
            false,
            6,
        )
        .unwrap();
        assert_eq!(events.len(), 1);
    }

    #[test]
    fn forbidden_transitions_change_nothing() {
        let (mut s, mut u) = (session(), user(PersonType::Natural));
        s.status = SessionStatus::Refused;
        let before = (s.clone(), u.clone());
        let err = transition(
            &mut s,
            &mut u,
            Decision {
                status: SessionStatus::Validated,
                checks: Some(vec![]),
            },
            false,
            9,
        )
        .unwrap_err();
        assert_eq!(
            err,
            TransitionError::NotAllowed {
                from: SessionStatus::Refused,
                to: SessionStatus::Validated
            }
        );
        assert_eq!((s, u), before);
    }

    #[test]
    fn natural_users_never_go_to_review_by_default() {
        let (mut s, mut u) = (session(), user(PersonType::Natural));
        let d = Decision {
            status: SessionStatus::Review,
            checks: None,
        };
        assert_eq!(
            transition(&mut s, &mut u, d.clone(), false, 2),
            Err(TransitionError::NaturalReview)
        );
        assert!(transition(&mut s, &mut u, d, true, 2).is_ok());
    }

    #[test]
    fn refusal_at_the_document_check_drops_dependent_checks() {
        let u = user(PersonType::Natural);
        let d = Directive::refuse("FACE_MATCH_FAIL", None).unwrap();
        let (status, checks) = d.outcome(&u, 3, &mut ids());
        assert_eq!(status, SessionStatus::Refused);
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].reasons[0].kind, "FACE_MATCH_FAIL");
        assert_eq!(checks[0].data[2].value, None);
    }

    #[test]
    fn downgrade_outdates_validated_sessions() {
        let (mut s, mut u) = (session(), user(PersonType::Natural));
        transition(
            &mut s,
            &mut u,
            Decision {
                status: SessionStatus::Validated,
                checks: None,
            },
            false,
            2,
        )
        .unwrap();
        let mut sessions = vec![s];
        let events = downgrade(&mut u, &mut sessions, 3);
        assert_eq!(u.kyc_level, KycLevel::Light);
        assert_eq!(sessions[0].status, SessionStatus::OutOfDate);
        assert_eq!(
            events,
            vec![
                Happened::new(event::IDV_OUTDATED, "idnver_1"),
                Happened::new(event::USER_KYC_LIGHT, "user_m_1")
            ]
        );
        assert!(
            downgrade(&mut u, &mut sessions, 4).is_empty(),
            "a LIGHT user has nothing to downgrade"
        );
    }
}
