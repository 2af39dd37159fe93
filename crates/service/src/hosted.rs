//! The hosted flow's use cases: opening a link, saving a step, submitting.

use verity_domain::hosted::Progress;
use verity_domain::session::SessionFlow;
use verity_domain::{Client, Environment, IdvSession, SessionStatus, User};
use verity_store::{Conflict, StoreError};

use crate::{ServiceError, Services, now, now_millis};

/// What a hosted link opens.
#[derive(Clone, Debug)]
pub struct HostedSession {
    pub session: IdvSession,
    pub user: User,
    pub client: Client,
    /// Saved progress, or a new one prefilled from the user.
    pub progress: Progress,
    /// A PSC's own session: the company that declared the person.
    pub company: Option<String>,
}

/// Whether a submission was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Submission {
    Taken,
    /// Expired or decided a moment before.
    TooLate,
}

impl Services {
    /// The session behind a hosted link, or `None` for an unknown link.
    pub async fn open_hosted(&self, token: &str) -> Result<Option<HostedSession>, ServiceError> {
        let Some(session) = self.store.session_by_token(token).await? else {
            return Ok(None);
        };
        let Some(mut user) = self.store.user(&session.client_id, &session.user_id).await? else {
            return Ok(None);
        };
        let mut company = None;
        // A PSC's own session verifies the PSC: the pages see that person as a natural user.
        if let SessionFlow::Psc(id) = &session.flow {
            let Some(psc) = self.store.psc(&session.client_id, id).await? else {
                return Ok(None);
            };
            if let verity_domain::user::Person::Legal(l) = &user.person {
                company = Some(l.name.clone());
            }
            user = psc.as_subject(&user);
        }
        let Some(client) = self.store.client(&session.client_id).await? else {
            return Ok(None);
        };
        let progress = match self.store.progress(&session.id).await? {
            Some(p) => p,
            None => {
                let mut p = Progress::prefilled(&user);
                p.psc_main = session.flow == SessionFlow::PscMain;
                p
            }
        };
        Ok(Some(HostedSession {
            session,
            user,
            client: client.client,
            progress,
            company,
        }))
    }

    /// Saves a step; only a PENDING session takes changes.
    pub async fn save_progress(&self, session: &IdvSession, progress: &Progress) -> Result<(), ServiceError> {
        if session.status != SessionStatus::Pending {
            return Ok(());
        }
        Ok(self.store.save_progress(&session.id, progress, now()).await?)
    }

    /// Records the user's submission: the session no longer expires, and its checks are queued
    /// for the engine in the same transaction. A sandbox session is decided by the engine too
    /// (so a developer can try real documents), unless a `Tag` directive scripts its outcome:
    /// the script then decides, as the simulator and the test helpers do.
    pub async fn submit_hosted(
        &self,
        client: &Client,
        session: &IdvSession,
        progress: &Progress,
    ) -> Result<Submission, ServiceError> {
        let by_engine = client.environment == Environment::Production || session.scripted.is_none();
        let checks = by_engine.then(|| (&client.id, now_millis() as i64));
        match self.store.mark_submitted(&session.id, progress, now(), checks).await {
            Ok(()) => {
                self.checks.notify_one();
                Ok(Submission::Taken)
            }
            Err(StoreError::Conflict(Conflict::Stale)) => Ok(Submission::TooLate),
            Err(e) => Err(e.into()),
        }
    }
}
