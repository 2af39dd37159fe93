//! What every hosted request starts from: the session behind the link, its user, platform and
//! saved progress, and the language to answer in.

use axum::http::{HeaderMap, header};
use axum::response::Response;
use verity_domain::hosted::{Owner, Progress, Step};
use verity_domain::user::User;
use verity_domain::{Client, Environment, IdvSession, SessionStatus};

use super::status::failure_page;
use crate::hosted::i18n::{self, Tr};
use crate::wire::url_pairs;
use crate::{AppState, random_token};

/// The context of a request on a hosted link.
pub(super) struct Ctx {
    pub session: IdvSession,
    pub user: User,
    pub client: Client,
    pub progress: Progress,
    pub tr: Tr,
    pub token: String,
    /// The configured public URL, for links shown to be opened elsewhere (QR code).
    pub public_base: String,
    /// An owner whose form failed validation, shown again as typed.
    pub owner_draft: Option<Owner>,
    /// A PSC's own session: the company that declared the person.
    pub company: Option<String>,
}

impl Ctx {
    /// The platform's name as shown to the user.
    pub fn platform(&self) -> String {
        self.client
            .branding
            .display_name
            .clone()
            .unwrap_or_else(|| self.client.name.clone())
    }

    pub fn step_url(&self, step: Step) -> String {
        format!("/verify/{}/step/{}", self.token, step.as_str())
    }

    pub fn is_sandbox(&self) -> bool {
        self.client.environment == Environment::Sandbox
    }

    /// Whether the flow still accepts input.
    pub fn open(&self) -> bool {
        self.session.status == SessionStatus::Pending && self.progress.submitted_at.is_none()
    }

    /// Whether `step` is one of this user's steps.
    pub fn has_step(&self, step: Step) -> bool {
        self.progress.steps(&self.user).contains(&step)
    }

    /// The step the user should be on.
    pub fn resume_url(&self) -> String {
        self.step_url(self.progress.resume_at(&self.user))
    }
}

/// Why a link cannot be served.
pub(super) enum Failure {
    /// Unknown or deleted.
    Invalid,
    /// The store failed.
    Busy,
}

/// The language of a page shown without a session: the browser's, else English.
pub(super) fn browser_language(headers: &HeaderMap) -> Option<&'static str> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(i18n::negotiate)
}

pub(super) async fn load(
    state: &AppState,
    token: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Ctx, Failure> {
    let busy = |e: verity_service::ServiceError| {
        tracing::error!(error = %e, "hosted page lookup failed");
        Failure::Busy
    };
    let verity_service::hosted::HostedSession {
        session,
        user,
        client,
        mut progress,
        company,
    } = state
        .services
        .open_hosted(token)
        .await
        .map_err(busy)?
        .ok_or(Failure::Invalid)?;
    let mut changed = false;
    if progress.csrf.is_empty() {
        progress.csrf = random_token();
        changed = true;
    }
    // The language: chosen on the page (and remembered, so a phone continuing the flow gets
    // it too), else remembered, else the browser's, else the platform's default.
    let asked = url_pairs(query.unwrap_or(""))
        .into_iter()
        // `lng` is what Mangopay's links carry (`SessionLanguage`); `lang` is the switcher's.
        .find(|(k, _)| k == "lang" || k == "lng")
        .map(|(_, v)| v);
    if let Some(lang) = asked.filter(|l| i18n::supported(l))
        && progress.lang.as_deref() != Some(lang.as_str())
    {
        progress.lang = Some(lang);
        changed = true;
    }
    let lang = progress
        .lang
        .clone()
        .or_else(|| browser_language(headers).map(str::to_owned))
        .or_else(|| client.branding.default_language.clone())
        .unwrap_or_else(|| "en".into());
    if changed {
        state.services.save_progress(&session, &progress).await.map_err(busy)?;
    }
    Ok(Ctx {
        tr: Tr::new(&lang),
        session,
        user,
        client,
        progress,
        token: token.to_owned(),
        public_base: state.public_url().to_owned(),
        owner_draft: None,
        company,
    })
}

/// The context, or the page that says why there is none.
pub(super) async fn context(
    state: &AppState,
    token: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Ctx, Response> {
    load(state, token, query, headers)
        .await
        .map_err(|f| failure_page(f, headers))
}
