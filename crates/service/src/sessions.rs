//! Opening an IDV session: the API's create and the console's "new link".

use verity_domain::event::{self, Happened};
use verity_domain::sandbox::Directive;
use verity_domain::session::{NewSession, SessionFlow, SessionRefusal, check_user_eligible};
use verity_domain::user::{LegalPersonType, Person};
use verity_domain::{Client, Environment, IdvSession, SessionId, SessionStatus, UserId};
use verity_store::{Changeset, StoredResponse, Write};

use crate::{ServiceError, Services, now, now_millis, record};

impl Services {
    /// Opens a session for a user: the Tag's sandbox directive, the user's eligibility and the
    /// face-match rule are checked, then the session, its PENDING event and (from `response`)
    /// the idempotent response commit together.
    pub async fn open_session(
        &self,
        client: &Client,
        user_id: &UserId,
        new: NewSession,
        response: &(dyn Fn(&IdvSession) -> Option<StoredResponse> + Send + Sync),
    ) -> Result<IdvSession, ServiceError> {
        let directive = new
            .tag
            .as_deref()
            .map(Directive::from_tag)
            .transpose()
            .map_err(|message| ServiceError::param("Tag", message))?
            .flatten();
        if directive.is_some() && client.environment != Environment::Sandbox {
            return Err(ServiceError::SandboxOnly);
        }
        let user = self
            .store
            .user(&client.id, user_id)
            .await?
            .ok_or(ServiceError::Refused(SessionRefusal::UserNotValid))?;
        check_user_eligible(&user).map_err(|refusal| match refusal {
            SessionRefusal::UnsupportedLegalType(t) => ServiceError::Invalid(format!(
                "The LegalUserType {} is not currently supported in the identity verification process. An event will be skipped. PartnerId: {}/ UserExternalId: {}",
                t.as_str(),
                client.id,
                user.id
            )),
            other => ServiceError::Refused(other),
        })?;
        // Never pretend a face match was checked: without a matcher (built without the built-in
        // one, and no provider), a production client's natural users can only be verified by a
        // human, which the client must opt in to.
        if client.environment == Environment::Production
            && matches!(user.person, Person::Natural(_))
            && !crate::biometrics::BUILT_IN
            && !self.config.face_match_configured
            && !client.natural_review
        {
            return Err(ServiceError::Invalid(
                "Live checks are not available for natural users of this platform: this build has no face matcher, no face-match provider is configured (VERITY_PROVIDER_FACE_MATCH_URL) and manual review of natural users is off (verity clients set-natural-review).".into(),
            ));
        }
        let psc_script = verity_domain::sandbox::PscScript::from_tag(new.tag.as_deref().unwrap_or(""))
            .map_err(|message| ServiceError::param("Tag", message))?;
        if !psc_script.is_empty() && client.environment != Environment::Sandbox {
            return Err(ServiceError::SandboxOnly);
        }
        // Business and Organization users of a client that activated it go through the PSC flow.
        let psc_flow = matches!(
            user.legal_person_type(),
            Some(LegalPersonType::Business | LegalPersonType::Organization)
        ) && self.store.client_policy(&client.id).await?.psc_flow;
        let flow = if psc_flow {
            SessionFlow::PscMain
        } else {
            SessionFlow::Single
        };
        if let Some(d) = &directive {
            let kinds = verity_domain::sandbox::session_check_types(&flow, &user);
            d.applies_to_checks(kinds, &user, client.natural_review)
                .map_err(|m| ServiceError::param("Tag", m))?;
        }
        let now = now();
        let session = IdvSession {
            id: SessionId::generate(now_millis(), rand::random()),
            client_id: client.id.clone(),
            user_id: user.id.clone(),
            tag: new.tag,
            return_url: new.return_url,
            hosted_token: verity_common::secrets::random_token(),
            status: SessionStatus::Pending,
            created_at: now,
            updated_at: None,
            checks: Vec::new(),
            expires_at: now + self.config.session_ttl,
            scripted: directive.map(|d| (d, now + self.config.sandbox_delay)),
            flow: if psc_flow {
                SessionFlow::PscMain
            } else {
                SessionFlow::Single
            },
            language: new.language,
            version: 0,
        };
        let mut changes = Changeset::new(client.id.clone());
        changes.response = response(&session);
        changes.events = record(&client.id, vec![Happened::new(event::IDV_PENDING, &session.id)], now);
        changes.sessions.push(Write::Insert(session.clone()));
        self.store.commit(&changes).await?;
        if session.scripted.as_ref().is_some_and(|(_, at)| *at <= now) {
            // A scripted outcome due at once: apply it now rather than at the next sweep.
            let services = self.clone();
            tokio::spawn(async move {
                if let Err(e) = services.sweep_due_sessions().await {
                    tracing::warn!(error = %e, "sandbox outcome sweep failed");
                }
            });
        }
        Ok(session)
    }
}
