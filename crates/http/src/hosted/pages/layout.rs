//! The frame shared by every hosted page (templates/hosted/layout.html): brand, language
//! switcher, progress through the steps, error summary, back link and sandbox simulator; and
//! the response around a rendered page, with its security headers and content security policy.

use askama::Template;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use verity_domain::hosted::{DocumentType, FormErrors, Step};
use verity_domain::user::Person;

use super::context::Ctx;
use super::sandbox::{self, SandboxPanel};
use crate::hosted::i18n::{LANGUAGES, Tr};
use crate::hosted::upload;

/// What the layout shows around a page's content: every page template has it as `page`.
pub(super) struct Layout {
    pub tr: Tr,
    pub languages: Vec<Language>,
    pub title: String,
    pub brand: Brand,
    /// The link's token, for its brand stylesheet.
    pub token: Option<String>,
    pub nav: Option<Nav>,
    pub errors: Vec<ErrorLink>,
    pub back_url: Option<String>,
    pub sandbox: Option<SandboxPanel>,
}

pub(super) struct Language {
    pub code: &'static str,
    pub name: String,
    pub selected: bool,
}

pub(super) struct Brand {
    pub name: String,
    pub logo_url: Option<String>,
}

/// Where the user is in the flow.
pub(super) struct Nav {
    pub label: String,
    pub steps: Vec<NavStep>,
}

pub(super) struct NavStep {
    pub name: String,
    pub current: bool,
    pub done: bool,
}

/// An entry of the error summary, linking to its field.
pub(super) struct ErrorLink {
    pub field: String,
    pub message: String,
}

impl Layout {
    /// The frame of a page of the link behind `ctx` (the platform's brand; the simulator while
    /// a sandbox session is open), without progress or back link.
    pub fn of(ctx: &Ctx, title: String) -> Layout {
        let mut layout = Layout::plain(ctx.tr, title);
        layout.brand = Brand {
            name: ctx.platform(),
            logo_url: ctx
                .client
                .branding
                .logo
                .as_ref()
                .map(|_| format!("/verify/{}/logo", ctx.token)),
        };
        layout.token = Some(ctx.token.clone());
        layout.sandbox = (ctx.is_sandbox() && ctx.open()).then(|| sandbox::panel(ctx));
        layout
    }

    /// The frame of a step: its title, progress, errors and back link.
    pub fn step(ctx: &Ctx, step: Step, errors: &FormErrors) -> Layout {
        let mut layout = Layout::of(ctx, title_of(ctx, step));
        layout.nav = Some(nav(ctx, step));
        layout.errors = error_links(&ctx.tr, errors);
        layout.back_url = ctx.progress.previous(&ctx.user, step).map(|s| ctx.step_url(s));
        layout
    }

    /// The frame of a page outside any link (Verity's name, no brand).
    pub fn plain(tr: Tr, title: String) -> Layout {
        Layout {
            tr,
            languages: LANGUAGES
                .iter()
                .map(|(code, _)| Language {
                    code,
                    name: Tr::name_of(code),
                    selected: *code == tr.lang,
                })
                .collect(),
            title,
            brand: Brand {
                name: tr.t("app-title"),
                logo_url: None,
            },
            token: None,
            nav: None,
            errors: Vec::new(),
            back_url: None,
            sandbox: None,
        }
    }
}

/// The text of an error key, with the upload limit filled in.
pub(super) fn error_message(tr: &Tr, key: &str) -> String {
    tr.f(key, &[("limit", &(upload::MAX_UPLOAD / 1024 / 1024).to_string())])
}

fn error_links(tr: &Tr, errors: &FormErrors) -> Vec<ErrorLink> {
    errors
        .iter()
        .map(|(field, key)| ErrorLink {
            field: (*field).to_owned(),
            message: error_message(tr, key),
        })
        .collect()
}

fn nav(ctx: &Ctx, current: Step) -> Nav {
    let steps = ctx.progress.steps(&ctx.user);
    let index = steps.iter().position(|s| *s == current).unwrap_or(0);
    Nav {
        label: ctx.tr.f(
            "step-of",
            &[
                ("current", &(index + 1).to_string()),
                ("total", &steps.len().to_string()),
            ],
        ),
        steps: steps
            .iter()
            .map(|s| NavStep {
                name: step_name(&ctx.tr, *s),
                current: *s == current,
                done: ctx.progress.is_done(&ctx.user, *s),
            })
            .collect(),
    }
}

/// The short name of a step, as in the progress list.
pub(super) fn step_name(tr: &Tr, step: Step) -> String {
    tr.t(&format!("step-{}", step.as_str()))
}

fn title_of(ctx: &Ctx, step: Step) -> String {
    let legal = matches!(ctx.user.person, Person::Legal(_));
    let passport = ctx
        .progress
        .document
        .as_ref()
        .is_some_and(|d| d.kind == DocumentType::Passport);
    let key = match step {
        Step::Welcome => "welcome-title",
        Step::Personal if legal => "personal-title-legal",
        Step::Personal => "personal-title",
        Step::Business => "business-title",
        Step::Owners => "owners-title",
        Step::CompanyDocuments => "company-docs-title",
        Step::Document => "document-title",
        Step::Front if passport => "front-title-passport",
        Step::Front => "front-title",
        Step::Back => "back-title",
        Step::Selfie => "selfie-title",
        Step::Review => "review-title",
    };
    ctx.tr.t(key)
}

/// A rendered page as a response: `status`, security headers, and a content security policy
/// that allows the platform's return URL as a form target and its frame ancestors.
pub(super) fn respond(ctx: Option<&Ctx>, status: StatusCode, page: &impl Template) -> Response {
    let html = match page.render() {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "page rendering failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response();
        }
    };
    let mut response = (status, Html(html)).into_response();
    crate::security_headers(response.headers_mut());
    let ancestors = ctx
        .map(|c| c.client.branding.frame_ancestors.clone())
        .unwrap_or_default();
    let frame_ancestors = if ancestors.is_empty() {
        "'none'".to_owned()
    } else {
        ancestors.join(" ")
    };
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: mediastream:; \
         connect-src 'self'; form-action 'self' {}; frame-ancestors {frame_ancestors}; base-uri 'none'",
        ctx.map(|c| form_action_origin(&c.session.return_url))
            .unwrap_or_default()
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        response.headers_mut().insert("content-security-policy", v);
    }
    if !ancestors.is_empty() {
        response.headers_mut().remove("x-frame-options");
    }
    response
}

/// The origin of the platform's return URL: forms may redirect there after submission.
fn form_action_origin(return_url: &str) -> String {
    url::Url::parse(return_url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}
