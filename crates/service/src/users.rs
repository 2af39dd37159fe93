//! Users: creation and what the API reads of them and their sessions. Changes to existing users
//! go through [`Services::update_user`] (lifecycle), which downgrades them when it must.

use verity_domain::user::{PersonType, User, UserContext, UserPatch};
use verity_domain::{ClientId, IdvSession, UserId};
use verity_store::{Changeset, EventFilter, Page, PageRequest, StoredResponse, Write};

use crate::{ServiceError, Services, now_millis};

impl Services {
    /// Creates a user from the API's fields; the idempotent response (rendered from the new
    /// user by `response`) commits with it.
    pub async fn create_user(
        &self,
        client: &ClientId,
        person_type: PersonType,
        patch: &UserPatch,
        context: &UserContext,
        response: &(dyn Fn(&User) -> Option<StoredResponse> + Send + Sync),
    ) -> Result<User, ServiceError> {
        let id = UserId::generate(now_millis(), rand::random());
        let user = User::create(id, client.clone(), person_type, patch, context).map_err(ServiceError::Rule)?;
        let mut changes = Changeset::new(client.clone());
        changes.response = response(&user);
        changes.users.push(Write::Insert(user.clone()));
        self.store.commit(&changes).await?;
        Ok(user)
    }

    pub async fn user(&self, client: &ClientId, id: &UserId) -> Result<User, ServiceError> {
        self.store
            .user(client, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("user", id))
    }

    pub async fn users(&self, client: &ClientId, page: PageRequest) -> Result<Page<User>, ServiceError> {
        Ok(self.store.users(client, page).await?)
    }

    pub async fn session(&self, client: &ClientId, id: &verity_domain::SessionId) -> Result<IdvSession, ServiceError> {
        self.store
            .session(client, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("session", id))
    }

    /// A user's sessions; the user must exist.
    pub async fn sessions_of_user(
        &self,
        client: &ClientId,
        user: &UserId,
        page: PageRequest,
    ) -> Result<Page<IdvSession>, ServiceError> {
        self.user(client, user).await?;
        Ok(self.store.sessions_of_user(client, user, page).await?)
    }

    pub async fn events(
        &self,
        client: &ClientId,
        filter: &EventFilter,
        page: PageRequest,
    ) -> Result<Page<verity_domain::event::Event>, ServiceError> {
        Ok(self.store.events(client, filter, page).await?)
    }
}

/// What an SCA enrolment link finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enrolment {
    Completed,
    UnknownLink,
}

impl Services {
    /// Whether an SCA enrolment link is live.
    pub async fn sca_link_is_live(&self, token: &str) -> Result<bool, ServiceError> {
        Ok(self.store.user_by_sca_token(token).await?.is_some())
    }

    /// Completes the SCA enrolment a link stands for.
    pub async fn complete_sca_enrolment(&self, token: &str) -> Result<Enrolment, ServiceError> {
        let Some(user) = self.store.user_by_sca_token(token).await? else {
            return Ok(Enrolment::UnknownLink);
        };
        let client = self
            .store
            .client(&user.client_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("client", &user.client_id))?
            .client;
        self.change_user(
            &client,
            &user.id,
            &|u| {
                u.complete_enrollment();
                Ok(())
            },
            &|_| None,
        )
        .await?;
        Ok(Enrolment::Completed)
    }
}
