//! Hooks: a platform's subscriptions, created and changed by the API and by operators in the
//! console through the same rules.

use verity_domain::event::hook_event_type;
use verity_domain::hook::{Hook, check_url};
use verity_domain::ids::HookId;
use verity_domain::{Client, ClientId, Environment, FieldErrors};
use verity_store::{Conflict, Page, PageRequest, StoreError, StoredResponse};

use crate::{ServiceError, Services, now, now_millis};

/// A new hook as asked. `invalid` holds what was already wrong with the request (types, unknown
/// values), reported together with the rules' own findings.
#[derive(Clone, Debug, Default)]
pub struct NewHook {
    pub event_type: Option<String>,
    pub url: Option<String>,
    pub tag: Option<String>,
    pub invalid: FieldErrors,
}

/// A change to a hook; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct HookChange {
    pub url: Option<String>,
    pub tag: Option<String>,
    pub enabled: Option<bool>,
    /// Makes an INVALID hook VALID again: its failures are forgotten and its paused deliveries
    /// resume.
    pub revalidate: bool,
    pub invalid: FieldErrors,
}

impl Services {
    /// Production clients' hooks may only reach public addresses, unless the operator allows
    /// private ones (on-premises receivers).
    fn hooks_public_only(&self, client: &Client) -> bool {
        client.environment == Environment::Production && !self.config.allow_private_webhooks
    }

    fn check_hook_fields(&self, client: &Client, url: Option<&str>, tag: Option<&str>, errors: &mut FieldErrors) {
        if let Some(u) = url
            && let Err(e) = check_url(u, self.hooks_public_only(client))
        {
            errors.merge(e);
        }
        if tag.is_some_and(|t| t.chars().count() > 255) {
            errors.max_len("Tag", 255);
        }
    }

    /// Creates a hook: one per event type and client.
    pub async fn create_hook(&self, client: &Client, new: NewHook) -> Result<Hook, ServiceError> {
        let mut errors = new.invalid;
        let event_type = match new.event_type.as_deref() {
            None => {
                errors.required("EventType");
                None
            }
            Some(raw) => hook_event_type(raw).or_else(|| {
                errors.add("EventType", format!("The value {raw} is not valid for EventType."));
                None
            }),
        };
        if new.url.is_none() {
            errors.required("Url");
        }
        self.check_hook_fields(client, new.url.as_deref(), new.tag.as_deref(), &mut errors);
        errors.into_result()?;
        let hook = Hook {
            id: HookId::generate(now_millis(), rand::random()),
            client_id: client.id.clone(),
            event_type: event_type.unwrap_or_default().to_owned(),
            url: new.url.unwrap_or_default(),
            enabled: true,
            valid: true,
            tag: new.tag,
            created_at: now(),
        };
        match self.store.insert_hook(&hook).await {
            Err(StoreError::Conflict(Conflict::HookEventType)) => Err(ServiceError::param(
                "EventType",
                "A hook has already been registered for this EventType",
            )),
            other => other.map(|()| hook).map_err(Into::into),
        }
    }

    pub async fn hook(&self, client: &ClientId, id: &str) -> Result<Hook, ServiceError> {
        self.store
            .hook(client, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("hook", id))
    }

    /// Rolls up the hours of events that are over, so totals over long ranges stay fast; returns
    /// how many hours were added.
    pub async fn roll_up_events(&self) -> Result<i64, ServiceError> {
        Ok(self.store.roll_up_events(crate::now()).await?)
    }

    pub async fn hooks(&self, client: &ClientId, page: PageRequest) -> Result<Page<Hook>, ServiceError> {
        Ok(self.store.hooks(client, page).await?)
    }

    /// Keeps a response for its `Idempotency-Key` when it could not commit with its object.
    pub async fn keep_response(&self, client: &ClientId, response: &StoredResponse) -> Result<(), ServiceError> {
        Ok(self.store.insert_stored_response(client, response).await?)
    }

    /// Changes a hook (the API's update, an operator's enable, disable or re-validate).
    pub async fn change_hook(&self, client: &Client, id: &str, change: HookChange) -> Result<Hook, ServiceError> {
        let mut hook = self.hook(&client.id, id).await?;
        let mut errors = change.invalid;
        self.check_hook_fields(client, change.url.as_deref(), change.tag.as_deref(), &mut errors);
        errors.into_result()?;
        if let Some(url) = change.url {
            hook.url = url;
        }
        if change.tag.is_some() {
            hook.tag = change.tag;
        }
        if let Some(enabled) = change.enabled {
            hook.enabled = enabled;
        }
        if change.revalidate {
            hook.valid = true;
        }
        self.store.update_hook(&hook).await?;
        if change.revalidate {
            self.outbox.notify_one();
        }
        Ok(hook)
    }
}
