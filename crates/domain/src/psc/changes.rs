//! What happens to a PSC after it was opened: its own session decided, a platform's retry, an
//! operator's abandon; each through the one state machine, with the user made REGULAR when the
//! last required PSC is validated.

use super::declaration::{NewPscSession, psc_session};
use super::{Psc, PscStatus};
use crate::UnixTime;
use crate::event::{self, Happened};
use crate::session::{Check, IdvSession, SessionStatus, TypedValue};
use crate::user::{KycLevel, User};

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
