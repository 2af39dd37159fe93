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
