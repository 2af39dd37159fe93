//! The PSC flow's rules, case by case.

/// Fixtures shared by the domain's tests.
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

mod cases {
    use super::super::*;
    use super::tests_support::legal_business as legal_user;
    use crate::event::{self, Happened};
    use crate::hosted::{Control, Owner, PersonalData, Progress};
    use crate::session::{Check, IdvSession, SessionFlow, SessionStatus, TypedValue};
    use crate::user::KycLevel;
    use crate::{ClientId, SessionId, UserId};

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
