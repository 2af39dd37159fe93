//! What operators see of platforms, users, hooks and webhook deliveries, and what they do there.

use super::*;

impl Services {
    /// Hooks turned INVALID, of every platform: their deliveries wait for a re-validation.
    pub async fn invalid_hooks(&self) -> Result<Vec<InvalidHook>, ServiceError> {
        Ok(self.store.invalid_hooks(None).await?)
    }

    /// Every platform.
    pub async fn platforms(&self) -> Result<Vec<Client>, ServiceError> {
        Ok(self.store.clients().await?)
    }

    /// One platform.
    pub async fn platform(&self, id: &ClientId) -> Result<Client, ServiceError> {
        self.store
            .client(id)
            .await?
            .map(|c| c.client)
            .ok_or_else(|| ServiceError::not_found("client", id))
    }

    /// A platform with its 50 latest users and deliveries and its hooks.
    pub async fn platform_overview(&self, id: &ClientId) -> Result<PlatformOverview, ServiceError> {
        let client = self.platform(id).await?;
        let users = self.store.users(id, first(50, Desc)).await?.items;
        let deliveries = self.store.deliveries(Some(id), None, first(50, Desc)).await?.items;
        let hooks = self.store.hooks(id, first(100, Desc)).await?.items;
        Ok(PlatformOverview {
            client,
            users,
            deliveries,
            hooks,
        })
    }

    /// A platform's user with their 100 latest sessions; `None` when there is no such user.
    pub async fn user_record(&self, client: &ClientId, id: &UserId) -> Result<Option<UserRecord>, ServiceError> {
        let Some(user) = self.store.user(client, id).await? else {
            return Ok(None);
        };
        let sessions = self.store.sessions_of_user(client, id, first(100, Desc)).await?.items;
        Ok(Some(UserRecord { user, sessions }))
    }

    /// Webhook deliveries, optionally of one client and in one state.
    pub async fn webhook_deliveries(
        &self,
        client: Option<&ClientId>,
        state: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<DeliverySummary>, ServiceError> {
        Ok(self.store.deliveries(client, state, page).await?)
    }

    /// The attempts of one delivery.
    pub async fn delivery_attempts(&self, delivery: &str) -> Result<Vec<AttemptRecord>, ServiceError> {
        Ok(self.store.attempts(delivery).await?)
    }

    /// Queues a delivery again for an immediate attempt and wakes the deliverer; `false` when
    /// there is no such delivery (or it is pending already).
    pub async fn replay_delivery(&self, delivery: &str) -> Result<bool, ServiceError> {
        let queued = self.store.replay_delivery(delivery, now()).await?;
        if queued {
            self.outbox.notify_one();
        }
        Ok(queued)
    }

    /// The Prometheus exposition of `GET /metrics`.
    pub async fn metrics_text(&self) -> Result<String, ServiceError> {
        Ok(crate::metrics::render(self.store.as_ref()).await?)
    }
}
