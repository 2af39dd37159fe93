//! What a main session of the PSC flow declared, and the PSCs and sessions its validation opens.

use super::{Psc, PscId, PscIdentity, PscStatus, PscType};
use crate::event::{self, Happened};
use crate::hosted::{Control, Progress, parse_date};
use crate::session::{IdvSession, SessionFlow, SessionStatus};
use crate::user::{KycLevel, User};
use crate::{SessionId, UnixTime};

/// A PSC session (created with its PSC) before storage gives it identity.
pub struct NewPscSession<'a> {
    pub session_id: SessionId,
    pub hosted_token: String,
    pub main: &'a IdvSession,
    /// How long the session may stay PENDING.
    pub lifetime: i64,
}

pub(super) fn psc_session(psc: &PscId, new: NewPscSession<'_>, now: UnixTime) -> IdvSession {
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
