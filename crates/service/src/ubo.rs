//! UBO declarations' use cases: create, add and change UBOs, submit (the sandbox's magic names
//! through the sweep; in production the imported registry decides where it lists owners, else a
//! reviewer), view and list.

use verity_domain::company::normalise_company_number;
use verity_domain::ubo::{self, Ubo, UboDeclaration, UboError, UboInput, UboOutcome};
use verity_domain::user::Person;
use verity_domain::{Client, ClientId, Environment, UserId};
use verity_store::{Changeset, Page, PageRequest, StoreError, StoredResponse, Write};

use crate::{ServiceError, Services, new_id, now, record};

const MAX_ATTEMPTS: usize = 8;

fn ubo_error(e: UboError) -> ServiceError {
    ServiceError::Invalid(e.to_string())
}

/// A change of a declaration, given the time: its events, and what to answer.
type UboChange<'a, T> = dyn Fn(&mut UboDeclaration, i64) -> Result<(Vec<verity_domain::event::Happened>, T), ServiceError>
    + Send
    + Sync
    + 'a;

impl Services {
    pub async fn create_ubo_declaration(
        &self,
        client: &Client,
        user_id: &UserId,
        response: &(dyn Fn(&UboDeclaration) -> Option<StoredResponse> + Send + Sync),
    ) -> Result<UboDeclaration, ServiceError> {
        let user = self
            .store
            .user(&client.id, user_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("user", user_id))?;
        let now = now();
        let (declaration, happened) = UboDeclaration::create(new_id("ubodecl_"), &user, now).map_err(ubo_error)?;
        let mut changes = Changeset::new(client.id.clone());
        changes.response = response(&declaration);
        changes.events = record(&client.id, happened, now);
        changes.ubo_declarations.push(Write::Insert(declaration.clone()));
        self.store.commit(&changes).await?;
        Ok(declaration)
    }

    /// A declaration of the client, of `user` when given.
    pub async fn ubo_declaration(
        &self,
        client: &ClientId,
        id: &str,
        user: Option<&UserId>,
    ) -> Result<UboDeclaration, ServiceError> {
        match self.store.ubo_declaration(client, id).await? {
            Some(d) if user.is_none_or(|u| *u == d.user_id) => Ok(d),
            _ => Err(ServiceError::not_found("ubo declaration", id)),
        }
    }

    pub async fn ubo_declarations(
        &self,
        client: &ClientId,
        user: &UserId,
        page: PageRequest,
    ) -> Result<Page<UboDeclaration>, ServiceError> {
        if self.store.user(client, user).await?.is_none() {
            return Err(ServiceError::not_found("user", user));
        }
        Ok(self.store.ubo_declarations(client, user, page).await?)
    }

    /// Reads, changes and commits a declaration with its events; again when it moved meanwhile.
    async fn change_ubo_declaration<T: Send>(
        &self,
        client: &ClientId,
        id: &str,
        user: Option<&UserId>,
        change: &UboChange<'_, T>,
    ) -> Result<(UboDeclaration, T), ServiceError> {
        for _ in 0..MAX_ATTEMPTS {
            let mut declaration = self.ubo_declaration(client, id, user).await?;
            let now = now();
            let (happened, answer) = change(&mut declaration, now)?;
            let mut changes = Changeset::new(client.clone());
            changes.events = record(client, happened, now);
            changes.ubo_declarations.push(Write::Update(declaration.clone()));
            match self.store.commit(&changes).await {
                Ok(()) => {
                    declaration.version += 1;
                    return Ok((declaration, answer));
                }
                Err(StoreError::Conflict(verity_store::Conflict::Stale)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Busy)
    }

    pub async fn add_ubo(
        &self,
        client: &Client,
        user: &UserId,
        declaration: &str,
        input: &UboInput,
    ) -> Result<Ubo, ServiceError> {
        let id = new_id("ubo_");
        let (_, ubo) = self
            .change_ubo_declaration(&client.id, declaration, Some(user), &|d, now| {
                let ubo = d.add_ubo(id.clone(), input, now).map_err(ubo_error)??;
                Ok((Vec::new(), ubo))
            })
            .await?;
        Ok(ubo)
    }

    pub async fn update_ubo(
        &self,
        client: &Client,
        user: &UserId,
        declaration: &str,
        ubo_id: &str,
        input: &UboInput,
    ) -> Result<Ubo, ServiceError> {
        let (_, ubo) = self
            .change_ubo_declaration(&client.id, declaration, Some(user), &|d, _| {
                let ubo = d
                    .update_ubo(ubo_id, input)
                    .map_err(ubo_error)?
                    .ok_or_else(|| ServiceError::not_found("ubo", ubo_id))??;
                Ok((Vec::new(), ubo))
            })
            .await?;
        Ok(ubo)
    }

    /// Submits a declaration (`Status: VALIDATION_ASKED`). In production the imported registry
    /// decides at once where it lists the company's owners; otherwise a reviewer decides.
    pub async fn submit_ubo_declaration(
        &self,
        client: &Client,
        user: &UserId,
        id: &str,
        status: Option<&str>,
    ) -> Result<UboDeclaration, ServiceError> {
        match status {
            Some("VALIDATION_ASKED") => {}
            Some(other) => {
                return Err(ServiceError::param(
                    "Status",
                    format!("The value {other} is not valid for Status: only VALIDATION_ASKED can be asked."),
                ));
            }
            None => return Err(ServiceError::param("Status", "The Status field is required.")),
        }
        let sandbox = client.environment == Environment::Sandbox;
        let delay = sandbox.then_some(self.config.sandbox_delay);
        let (declaration, ()) = self
            .change_ubo_declaration(&client.id, id, Some(user), &|d, now| {
                Ok((d.submit(delay, now).map_err(ubo_error)?, ()))
            })
            .await?;
        if sandbox {
            return Ok(declaration);
        }
        let Some(outcome) = self.registry_view(&client.id, &declaration).await? else {
            return Ok(declaration);
        };
        self.decide_ubo_declaration(&client.id, id, &outcome).await
    }

    /// The imported registry's view of a declaration, where the company is in it.
    async fn registry_view(
        &self,
        client: &ClientId,
        declaration: &UboDeclaration,
    ) -> Result<Option<UboOutcome>, ServiceError> {
        let record = self.registry_record_of(client, &declaration.user_id).await?;
        Ok(record.and_then(|r| ubo::registry_outcome(declaration, &r)))
    }

    /// The owners the imported registry lists for a legal user's company, when it has the company.
    pub async fn registered_owners(
        &self,
        client: &ClientId,
        user: &UserId,
    ) -> Result<Option<Vec<String>>, ServiceError> {
        Ok(self.registry_record_of(client, user).await?.map(|r| r.owners))
    }

    async fn registry_record_of(
        &self,
        client: &ClientId,
        user: &UserId,
    ) -> Result<Option<verity_domain::company::RegistryRecord>, ServiceError> {
        let Some(user) = self.store.user(client, user).await? else {
            return Ok(None);
        };
        let Person::Legal(legal) = &user.person else {
            return Ok(None);
        };
        let country = legal
            .headquarters_address
            .as_ref()
            .and_then(|a| a.country.clone())
            .unwrap_or_default();
        let Some(number) = legal
            .company_number
            .as_deref()
            .and_then(|n| normalise_company_number(&country, n).ok())
        else {
            return Ok(None);
        };
        Ok(self
            .store
            .registry_record(&country.to_ascii_uppercase(), &number)
            .await?)
    }

    /// A reviewer's (or the sandbox script's, or the registry's) decision.
    pub async fn decide_ubo_declaration(
        &self,
        client: &ClientId,
        id: &str,
        outcome: &UboOutcome,
    ) -> Result<UboDeclaration, ServiceError> {
        if let UboOutcome::Refuse { reason, .. } | UboOutcome::Incomplete { reason, .. } = outcome
            && !ubo::REASONS.contains(&reason.as_str())
        {
            return Err(ServiceError::Invalid(format!("Unknown reason {reason}.")));
        }
        let (declaration, ()) = self
            .change_ubo_declaration(client, id, None, &|d, now| {
                Ok((d.decide(outcome, now).map_err(ubo_error)?, ()))
            })
            .await?;
        Ok(declaration)
    }

    /// Applies the sandbox outcomes that are due.
    pub async fn sweep_due_ubo_declarations(&self) -> Result<usize, ServiceError> {
        let mut done = 0;
        for (client, id) in self.store.due_ubo_declarations(now(), 200).await? {
            let Some(d) = self.store.ubo_declaration(&client, &id).await? else {
                continue;
            };
            let Some((outcome, _)) = d.scripted else {
                continue;
            };
            match self.decide_ubo_declaration(&client, &id, &outcome).await {
                Ok(_) => done += 1,
                Err(ServiceError::Invalid(_)) | Err(ServiceError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }
}
