//! Sandbox outcomes forced on a session: by the API's test helpers and the hosted simulator, one
//! rule for both (the Tag's scripted outcomes apply through the sweep, in `lifecycle`).

use verity_domain::lifecycle::{Decision, TransitionError};
use verity_domain::sandbox::{Directive, session_check_types};
use verity_domain::session::Check;
use verity_domain::{Client, Environment, IdvSession, SessionId, SessionStatus};

use crate::{ServiceError, Services, new_id, now};

/// What a forced outcome carries: the checks a directive produces, or checks given explicitly.
#[derive(Clone, Debug)]
pub enum Forced {
    Directive(Directive),
    Checks {
        status: SessionStatus,
        checks: Vec<Check>,
    },
    /// Expiry: no checks.
    Expire,
}

impl Services {
    /// Decides a sandbox session now, as `forced` says. Production clients are refused.
    pub async fn force_outcome(
        &self,
        client: &Client,
        id: &SessionId,
        forced: Forced,
    ) -> Result<IdvSession, ServiceError> {
        if client.environment != Environment::Sandbox {
            return Err(ServiceError::SandboxOnly);
        }
        self.transition(client, id, &|session, user, client| {
            let status = match &forced {
                Forced::Expire => SessionStatus::Expired,
                Forced::Checks { status, .. } => *status,
                Forced::Directive(Directive::Accept) => SessionStatus::Validated,
                Forced::Directive(Directive::Review) => SessionStatus::Review,
                Forced::Directive(_) => SessionStatus::Refused,
            };
            if !session.status.can_become(status) {
                return Err(ServiceError::Transition(TransitionError::NotAllowed {
                    from: session.status,
                    to: status,
                }));
            }
            let checks = match &forced {
                Forced::Expire => None,
                Forced::Checks { checks, .. } => Some(checks.clone()),
                Forced::Directive(d) => {
                    let kinds = session_check_types(&session.flow, user);
                    d.applies_to_checks(kinds, user, client.natural_review)
                        .map_err(ServiceError::Invalid)?;
                    Some(d.outcome_of(kinds, user, now(), &mut || new_id("idnchc_")).1)
                }
            };
            Ok(Decision { status, checks })
        })
        .await
    }
}
