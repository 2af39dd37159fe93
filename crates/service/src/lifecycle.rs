//! Orchestration of session transitions and user changes, with optimistic concurrency: read,
//! decide in the domain, commit if nothing moved meanwhile, otherwise read again and re-decide.

use verity_domain::lifecycle::{self, Decision};
use verity_domain::psc::{self, PscId};
use verity_domain::sandbox::{Directive, PscScript, session_check_types};
use verity_domain::session::SessionFlow;
use verity_domain::user::UserRuleError;
use verity_domain::{Client, ClientId, IdvSession, SessionId, SessionStatus, User, UserId};
use verity_store::{Changeset, StoreError, StoredResponse, Write};

use crate::{LifecycleError, Services, new_id, now, now_millis, record};

/// Attempts at a read-decide-commit cycle before giving up under contention.
const MAX_ATTEMPTS: usize = 8;

/// What to do with a session, decided from its current state and its user.
pub type Decide<'a> = dyn Fn(&IdvSession, &User, &Client) -> Result<Decision, LifecycleError> + Send + Sync + 'a;

impl Services {
    /// Moves a session through the state machine. Two racing calls on one session end with
    /// exactly one winner; the other sees the new state and gets the state machine's refusal.
    pub async fn transition(
        &self,
        client: &Client,
        id: &SessionId,
        decide: &Decide<'_>,
    ) -> Result<IdvSession, LifecycleError> {
        for _ in 0..MAX_ATTEMPTS {
            let mut session = self
                .store
                .session(&client.id, id)
                .await?
                .ok_or_else(|| LifecycleError::not_found("session", id))?;
            let mut user = self
                .store
                .user(&client.id, &session.user_id)
                .await?
                .ok_or_else(|| LifecycleError::not_found("user", &session.user_id))?;
            // A PSC's own session is decided about the PSC, a person of a legal user: seen as a
            // natural user whose unclear cases go to a reviewer.
            let decision = match session.flow.psc() {
                Some(psc_id) => {
                    let psc = self
                        .store
                        .psc(&client.id, psc_id)
                        .await?
                        .ok_or_else(|| LifecycleError::not_found("psc", psc_id))?;
                    let reviewable = Client {
                        natural_review: true,
                        ..client.clone()
                    };
                    decide(&session, &psc.as_subject(&user), &reviewable)?
                }
                None => decide(&session, &user, client)?,
            };
            let now = now();
            let user_before = user.clone();
            let mut happened = lifecycle::transition(&mut session, &mut user, decision, client.natural_review, now)
                .map_err(LifecycleError::Transition)?;
            let mut changes = Changeset::new(client.id.clone());
            // The PSC flow's consequences commit with the transition that causes them.
            match session.flow.clone() {
                SessionFlow::PscMain if session.status == SessionStatus::Validated => {
                    // A session scripted without its pages being walked declares what the platform gave:
                    // the legal representative.
                    let progress = match self.store.progress(&session.id).await? {
                        Some(p) => p,
                        None => verity_domain::hosted::Progress::prefilled(&user),
                    };
                    let base = now_millis();
                    let mut n = 0;
                    let (pscs, sessions, events) = psc::open_psc_sessions(
                        &session,
                        &progress,
                        &user,
                        now,
                        self.config.psc_session_ttl,
                        &mut || {
                            n += 1;
                            // Consecutive milliseconds keep the declaration's order in the ids.
                            (
                                PscId::generate(base + n, rand::random()),
                                SessionId::generate(base + n, rand::random()),
                                verity_common::secrets::random_token(),
                            )
                        },
                    );
                    happened.extend(events);
                    let mut sessions = sessions;
                    if client.environment == verity_domain::Environment::Sandbox {
                        self.script_psc_sessions(&session, &mut sessions, 0, now);
                    }
                    let policy = self.store.client_policy(&client.id).await?;
                    for (psc, psc_session) in pscs.iter().zip(&sessions) {
                        changes.mails.extend(self.psc_mails(&policy, psc, psc_session, now));
                    }
                    changes.pscs = pscs.into_iter().map(Write::Insert).collect();
                    changes.sessions = sessions.into_iter().map(Write::Insert).collect();
                }
                SessionFlow::Psc(psc_id) => {
                    let mut psc = self
                        .store
                        .psc(&client.id, &psc_id)
                        .await?
                        .ok_or_else(|| LifecycleError::not_found("psc", &psc_id))?;
                    let siblings = self.store.pscs_of_session(&client.id, &psc.main_session_id).await?;
                    let before = psc.clone();
                    let events = psc::session_decided(&mut psc, &siblings, &session, &mut user, now)
                        .map_err(|e| LifecycleError::Invalid(e.to_string()))?;
                    happened.extend(events);
                    if psc != before {
                        changes.pscs.push(Write::Update(psc));
                    }
                }
                _ => {}
            }
            if user != user_before {
                changes.users.push(Write::Update(user));
            }
            changes.sessions.push(Write::Update(session.clone()));
            changes.events = record(&client.id, happened, now);
            match self.store.commit(&changes).await {
                Ok(()) => {
                    if !changes.mails.is_empty() {
                        self.mail.notify_one();
                    }
                    session.version += 1;
                    return Ok(session);
                }
                Err(StoreError::Conflict(verity_store::Conflict::Stale)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(LifecycleError::Busy)
    }

    /// Changes a user with `change`. When a REGULAR user's verified fields change, the user is
    /// downgraded in the same commit: LIGHT again, validated sessions OUT_OF_DATE, events sent.
    pub async fn change_user(
        &self,
        client: &Client,
        id: &UserId,
        change: &(dyn Fn(&mut User) -> Result<(), UserRuleError> + Send + Sync),
        response: &(dyn Fn(&User) -> Option<StoredResponse> + Send + Sync),
    ) -> Result<User, LifecycleError> {
        for _ in 0..MAX_ATTEMPTS {
            let before = self
                .store
                .user(&client.id, id)
                .await?
                .ok_or_else(|| LifecycleError::not_found("user", id))?;
            let mut user = before.clone();
            change(&mut user).map_err(LifecycleError::Rule)?;
            let mut changes = Changeset::new(client.id.clone());
            let now = now();
            if before.protected_fields_differ(&user) {
                let mut sessions = self.store.validated_sessions(&client.id, id).await?;
                let mut happened = lifecycle::downgrade(&mut user, &mut sessions, now);
                if !happened.is_empty() {
                    happened.extend(self.outdate_kyc_documents(&client.id, id, now, &mut changes).await?);
                }
                changes.sessions = sessions.into_iter().map(Write::Update).collect();
                changes.events = record(&client.id, happened, now);
            }
            changes.response = response(&user);
            changes.users.push(Write::Update(user.clone()));
            match self.store.commit(&changes).await {
                Ok(()) => {
                    user.version += 1;
                    return Ok(user);
                }
                Err(StoreError::Conflict(verity_store::Conflict::Stale)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(LifecycleError::Busy)
    }

    /// An operator's downgrade: LIGHT again, validated sessions OUT_OF_DATE.
    pub async fn downgrade_user(&self, client: &Client, id: &UserId) -> Result<User, LifecycleError> {
        for _ in 0..MAX_ATTEMPTS {
            let mut user = self
                .store
                .user(&client.id, id)
                .await?
                .ok_or_else(|| LifecycleError::not_found("user", id))?;
            let mut sessions = self.store.validated_sessions(&client.id, id).await?;
            let now = now();
            let mut happened = lifecycle::downgrade(&mut user, &mut sessions, now);
            if happened.is_empty() {
                return Err(LifecycleError::Invalid(
                    "The user is not KYC REGULAR: there is nothing to downgrade.".into(),
                ));
            }
            let mut changes = Changeset::new(client.id.clone());
            happened.extend(self.outdate_kyc_documents(&client.id, id, now, &mut changes).await?);
            changes.sessions = sessions.into_iter().map(Write::Update).collect();
            changes.users.push(Write::Update(user.clone()));
            changes.events = record(&client.id, happened, now);
            match self.store.commit(&changes).await {
                Ok(()) => {
                    return Ok(user);
                }
                Err(StoreError::Conflict(verity_store::Conflict::Stale)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(LifecycleError::Busy)
    }

    /// Applies what is due: scripted sandbox outcomes, then expiry of sessions left PENDING.
    /// Safe with several processes: a session handled elsewhere meanwhile is simply skipped.
    pub async fn sweep_due_sessions(&self) -> Result<usize, LifecycleError> {
        let mut done = 0;
        for (client_id, session_id) in self.store.due_sessions(now(), 200).await? {
            let Some(client) = self.store.client(&client_id).await?.map(|c| c.client) else {
                continue;
            };
            let result = self
                .transition(&client, &session_id, &|session, user, _| {
                    let now = now();
                    match &session.scripted {
                        Some((directive, at)) if *at <= now => {
                            let kinds = session_check_types(&session.flow, user);
                            let (status, checks) = directive.outcome_of(kinds, user, now, &mut || new_id("idnchc_"));
                            Ok(Decision {
                                status,
                                checks: Some(checks),
                            })
                        }
                        _ if session.expires_at <= now => Ok(Decision {
                            status: SessionStatus::Expired,
                            checks: None,
                        }),
                        _ => Err(LifecycleError::Invalid("not due".into())),
                    }
                })
                .await;
            match result {
                Ok(_) => done += 1,
                // Decided by someone else meanwhile, or no longer due.
                Err(LifecycleError::Transition(_))
                | Err(LifecycleError::Invalid(_))
                | Err(LifecycleError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    /// A reviewer's decision on a session in REVIEW: approve, or refuse with a reason type and a
    /// comment that becomes the reason's `Value`.
    pub async fn review(
        &self,
        client_id: &ClientId,
        id: &SessionId,
        verdict: Verdict,
    ) -> Result<IdvSession, LifecycleError> {
        let client = self
            .store
            .client(client_id)
            .await?
            .ok_or_else(|| LifecycleError::not_found("client", client_id))?
            .client;
        let refusal = match &verdict {
            Verdict::Approve => None,
            Verdict::Refuse { reason, check, comment } => {
                let directive = Directive::refuse(reason, check.as_deref()).map_err(LifecycleError::Invalid)?;
                let Directive::Refuse { check, .. } = directive else {
                    unreachable!("refuse builds a refusal")
                };
                Some((reason.clone(), check, comment.clone()))
            }
        };
        self.transition(&client, id, &|session, _, _| {
            if session.status != SessionStatus::Review {
                return Err(LifecycleError::Invalid(format!(
                    "The session is {}, not in REVIEW.",
                    session.status.as_str()
                )));
            }
            Ok(match &refusal {
                None => Decision {
                    status: SessionStatus::Validated,
                    checks: None,
                },
                Some((reason, check, comment)) => Decision {
                    status: SessionStatus::Refused,
                    checks: Some(lifecycle::manual_refusal(
                        session,
                        reason,
                        check,
                        comment,
                        now(),
                        &mut || new_id("idnchc_"),
                    )),
                },
            })
        })
        .await
    }
}

impl Services {
    /// A downgrade's effect on the user's KYC documents: validated ones (and identity proofs
    /// awaiting their decision) become OUT_OF_DATE, written into `changes`; their events returned.
    async fn outdate_kyc_documents(
        &self,
        client: &ClientId,
        user: &UserId,
        now: verity_domain::UnixTime,
        changes: &mut Changeset,
    ) -> Result<Vec<verity_domain::event::Happened>, LifecycleError> {
        let mut happened = Vec::new();
        for mut doc in self.store.kyc_documents_to_outdate(client, user).await? {
            if let Some(event) = doc.outdate(now) {
                happened.push(event);
                changes.kyc_documents.push(Write::Update(doc));
            }
        }
        Ok(happened)
    }

    /// Scripts sandbox PSC sessions as their main session's Tag says (`verity:psc=...`);
    /// `first` is the declaration index of `sessions[0]`.
    pub(crate) fn script_psc_sessions(
        &self,
        main: &IdvSession,
        sessions: &mut [IdvSession],
        first: usize,
        now: verity_domain::UnixTime,
    ) {
        let Ok(script) = PscScript::from_tag(main.tag.as_deref().unwrap_or("")) else {
            return;
        };
        for (i, session) in sessions.iter_mut().enumerate() {
            if let Some(d) = script.for_psc(first + i) {
                session.scripted = Some((d.clone(), now + self.config.sandbox_delay));
            }
        }
    }
}

/// A reviewer's verdict.
#[derive(Clone, Debug)]
pub enum Verdict {
    Approve,
    Refuse {
        reason: String,
        check: Option<String>,
        comment: String,
    },
}
