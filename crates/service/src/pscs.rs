//! The PSC flow's use cases besides deciding sessions (see `lifecycle`): listing PSCs, a
//! platform's retry, an operator's abandon, and the liveness step's shorter expiry.

use verity_domain::psc::{self, NewPscSession, Psc, PscCorrection, PscId, Retry};
use verity_domain::session::SessionFlow;
use verity_domain::{Client, ClientId, IdvSession, SessionId, SessionStatus, UserId};
use verity_store::{Changeset, Page, PageRequest, StoreError, Write};

use crate::{ServiceError, Services, now, now_millis, record};

const MAX_ATTEMPTS: usize = 8;

impl Services {
    /// The PSCs a session declared (none outside the PSC flow).
    pub async fn pscs_of_session(&self, client: &Client, session: &SessionId) -> Result<Vec<Psc>, ServiceError> {
        self.pscs_declared_in(&client.id, session).await
    }

    /// The PSCs a session of a client declared.
    pub async fn pscs_declared_in(&self, client: &ClientId, session: &SessionId) -> Result<Vec<Psc>, ServiceError> {
        Ok(self.store.pscs_of_session(client, session).await?)
    }

    /// A session of a client, or `None`.
    pub async fn find_session(&self, client: &ClientId, id: &SessionId) -> Result<Option<IdvSession>, ServiceError> {
        Ok(self.store.session(client, id).await?)
    }

    /// Every PSC declared for a user, across its sessions.
    pub async fn pscs_of_user(
        &self,
        client: &Client,
        user: &UserId,
        page: PageRequest,
    ) -> Result<Page<Psc>, ServiceError> {
        if self.store.user(&client.id, user).await?.is_none() {
            return Err(ServiceError::not_found("user", user));
        }
        Ok(self.store.pscs_of_user(&client.id, user, page).await?)
    }

    /// The PSC `psc` declared under `main`, or not found.
    async fn psc_under(&self, client: &Client, main: &SessionId, id: &PscId) -> Result<Psc, ServiceError> {
        match self.store.psc(&client.id, id).await? {
            Some(p) if &p.main_session_id == main => Ok(p),
            _ => Err(ServiceError::not_found("psc", id)),
        }
    }

    /// A platform's retry: corrected details, and a new link unless the PSC is still pending.
    pub async fn retry_psc(
        &self,
        client: &Client,
        main: &SessionId,
        id: &PscId,
        correction: &PscCorrection,
    ) -> Result<(Psc, IdvSession), ServiceError> {
        for _ in 0..MAX_ATTEMPTS {
            let main_session = self
                .store
                .session(&client.id, main)
                .await?
                .ok_or_else(|| ServiceError::not_found("session", main))?;
            let mut psc = self.psc_under(client, main, id).await?;
            let now = now();
            let new = NewPscSession {
                session_id: SessionId::generate(now_millis(), rand::random()),
                hosted_token: verity_common::secrets::random_token(),
                main: &main_session,
                lifetime: self.config.psc_session_ttl,
            };
            let (retry, happened) = psc::retry(&mut psc, correction, new, now).map_err(|e| {
                ServiceError::Invalid(format!(
                    "{e} An abandoned person of significant control cannot be retried."
                ))
            })?;
            let mut changes = Changeset::new(client.id.clone());
            let session = match retry {
                Retry::SameLink => self
                    .store
                    .session(&client.id, &psc.session_id)
                    .await?
                    .ok_or_else(|| ServiceError::not_found("session", &psc.session_id))?,
                Retry::NewLink(mut session) => {
                    if client.environment == verity_domain::Environment::Sandbox {
                        let siblings = self.store.pscs_of_session(&client.id, main).await?;
                        let index = siblings.iter().position(|p| p.id == psc.id).unwrap_or(0);
                        self.script_psc_sessions(&main_session, std::slice::from_mut(&mut *session), index, now);
                    }
                    let policy = self.store.client_policy(&client.id).await?;
                    changes.mails = self.psc_mails(&policy, &psc, &session, now);
                    changes.sessions.push(Write::Insert((*session).clone()));
                    *session
                }
            };
            changes.pscs.push(Write::Update(psc.clone()));
            changes.events = record(&client.id, happened, now);
            match self.store.commit(&changes).await {
                Ok(()) => {
                    self.mail.notify_one();
                    psc.version += 1;
                    return Ok((psc, session));
                }
                Err(StoreError::Conflict(verity_store::Conflict::Stale)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Busy)
    }

    /// An operator sets a PSC aside: ABANDONED, its pending session closed (EXPIRED, without a
    /// webhook of its own), and the user REGULAR if every other required PSC is validated.
    pub async fn abandon_psc(&self, client: &Client, id: &PscId) -> Result<Psc, ServiceError> {
        for _ in 0..MAX_ATTEMPTS {
            let mut psc = self
                .store
                .psc(&client.id, id)
                .await?
                .ok_or_else(|| ServiceError::not_found("psc", id))?;
            let mut user = self
                .store
                .user(&client.id, &psc.user_id)
                .await?
                .ok_or_else(|| ServiceError::not_found("user", &psc.user_id))?;
            let siblings = self.store.pscs_of_session(&client.id, &psc.main_session_id).await?;
            let before = user.clone();
            let now = now();
            let happened =
                psc::abandon(&mut psc, &siblings, &mut user, now).map_err(|e| ServiceError::Invalid(e.to_string()))?;
            let mut changes = Changeset::new(client.id.clone());
            if let Some(mut session) = self.store.session(&client.id, &psc.session_id).await?
                && session.status == SessionStatus::Pending
            {
                session.status = SessionStatus::Expired;
                session.updated_at = Some(now);
                changes.sessions.push(Write::Update(session));
            }
            if user != before {
                changes.users.push(Write::Update(user));
            }
            changes.pscs.push(Write::Update(psc.clone()));
            changes.events = record(&client.id, happened, now);
            match self.store.commit(&changes).await {
                Ok(()) => {
                    psc.version += 1;
                    return Ok(psc);
                }
                Err(StoreError::Conflict(verity_store::Conflict::Stale)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Busy)
    }

    /// The PSCs a session declared, each with its current session and the e-mails queued about it
    /// (for the console).
    pub async fn pscs_with_sessions(
        &self,
        client: &verity_domain::ClientId,
        main: &SessionId,
    ) -> Result<Vec<(Psc, Option<IdvSession>, Vec<verity_store::MailRecord>)>, ServiceError> {
        let mut rows = Vec::new();
        for psc in self.store.pscs_of_session(client, main).await? {
            let session = self.store.session(client, &psc.session_id).await?;
            let mails = self.store.mails_of_psc(client, &psc.id).await?;
            rows.push((psc, session, mails));
        }
        Ok(rows)
    }

    /// The PSC a session verifies, when it is a PSC's own session.
    pub async fn psc_of_session(&self, session: &IdvSession) -> Result<Option<Psc>, ServiceError> {
        match session.flow.psc() {
            Some(id) => Ok(self.store.psc(&session.client_id, id).await?),
            None => Ok(None),
        }
    }

    /// An operator sends a PSC their link again. `Ok(false)`: nothing can be sent (no SMTP
    /// server, the platform sends the links itself, or no pending session to link to).
    pub async fn resend_psc_link(&self, client: &verity_domain::ClientId, id: &PscId) -> Result<bool, ServiceError> {
        let psc = self
            .store
            .psc(client, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("psc", id))?;
        let Some(session) = self.store.session(client, &psc.session_id).await? else {
            return Ok(false);
        };
        if psc.status != verity_domain::psc::PscStatus::PendingValidation || session.status != SessionStatus::Pending {
            return Ok(false);
        }
        let policy = self.store.client_policy(client).await?;
        let mut mails = self.psc_mails(&policy, &psc, &session, now());
        // The link only: the reminder queued with the session still stands.
        mails.truncate(1);
        if mails.is_empty() {
            return Ok(false);
        }
        let mut changes = Changeset::new(client.clone());
        changes.mails = mails;
        self.store.commit(&changes).await?;
        self.mail.notify_one();
        Ok(true)
    }

    /// The liveness step of a PSC's session started: the session now expires within the hour
    /// (Mangopay's rule), unless it expires sooner anyway.
    pub async fn liveness_started(&self, session: &IdvSession) -> Result<(), ServiceError> {
        if !matches!(session.flow, SessionFlow::Psc(_)) || session.status != SessionStatus::Pending {
            return Ok(());
        }
        let deadline = now() + self.config.psc_liveness_ttl;
        if session.expires_at <= deadline {
            return Ok(());
        }
        let mut shortened = session.clone();
        shortened.expires_at = deadline;
        let mut changes = Changeset::new(session.client_id.clone());
        changes.sessions.push(Write::Update(shortened));
        match self.store.commit(&changes).await {
            // Changed meanwhile (submitted, decided): the next challenge shortens it again.
            Ok(()) | Err(StoreError::Conflict(verity_store::Conflict::Stale)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
