//! Clients (platforms): creation, API keys and settings, the same for the CLI, the console and
//! the first start.

use verity_common::hashing::sha256_hex;
use verity_common::secrets::new_api_key;
use verity_domain::{Client, ClientId, Environment};

use crate::{ServiceError, Services, now};

/// A per-client switch an operator sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientSetting {
    /// Hosted IDV activated.
    Idv(bool),
    /// Natural users may be sent to manual review (needed without a face-match provider).
    NaturalReview(bool),
}

impl Services {
    /// Creates a client and returns its API key, shown once (only its hash is kept).
    pub async fn create_client(
        &self,
        id: ClientId,
        name: &str,
        environment: Environment,
        idv_enabled: bool,
    ) -> Result<String, ServiceError> {
        let key = new_api_key();
        let client = Client {
            id,
            name: name.to_owned(),
            environment,
            idv_enabled,
            natural_review: false,
            created_at: now(),
            branding: Default::default(),
        };
        self.store.insert_client(&client, &sha256_hex(&key)).await?;
        Ok(key)
    }

    /// Issues a new API key; the old key and every token issued with it stop working at once.
    pub async fn rotate_api_key(&self, id: &ClientId) -> Result<String, ServiceError> {
        let key = new_api_key();
        if !self.store.rotate_api_key(id, &sha256_hex(&key)).await? {
            return Err(ServiceError::not_found("client", id));
        }
        Ok(key)
    }

    pub async fn set_client(&self, id: &ClientId, setting: ClientSetting) -> Result<(), ServiceError> {
        let found = match setting {
            ClientSetting::Idv(on) => self.store.set_idv_enabled(id, on).await?,
            ClientSetting::NaturalReview(on) => self.store.set_natural_review(id, on).await?,
        };
        if found {
            Ok(())
        } else {
            Err(ServiceError::not_found("client", id))
        }
    }
}

impl Services {
    pub async fn client_policy(&self, id: &ClientId) -> Result<verity_store::ClientPolicy, ServiceError> {
        if self.store.client(id).await?.is_none() {
            return Err(ServiceError::not_found("client", id));
        }
        Ok(self.store.client_policy(id).await?)
    }

    pub async fn set_client_policy(
        &self,
        id: &ClientId,
        policy: &verity_store::ClientPolicy,
    ) -> Result<(), ServiceError> {
        Ok(self.store.set_client_policy(id, policy).await?)
    }

    pub async fn set_branding(&self, id: &ClientId, branding: &verity_domain::Branding) -> Result<(), ServiceError> {
        if self.store.set_branding(id, branding).await? {
            Ok(())
        } else {
            Err(ServiceError::not_found("client", id))
        }
    }

    /// Turns webhook signing on (a new `whsec_` secret, returned) or off.
    pub async fn set_webhook_signing(&self, id: &ClientId, on: bool) -> Result<Option<String>, ServiceError> {
        let secret = on.then(crate::webhooks::new_secret);
        if !self.store.set_webhook_secret(id, secret.as_deref()).await? {
            return Err(ServiceError::not_found("client", id));
        }
        Ok(secret)
    }
}
