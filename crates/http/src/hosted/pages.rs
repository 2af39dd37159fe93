//! The hosted verification flow: one page per step, saved after every step, in the user's
//! language, working without JavaScript (the script only adds the live camera, photo
//! downscaling and following a phone's progress from a desktop).

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use verity_domain::hosted::{
    self, BusinessData, DocumentChoice, DocumentType, FileRef, FormErrors, Owner, PersonalData, Progress, Step,
};
use verity_domain::lifecycle::Decision;
use verity_domain::sandbox::{Directive, REASONS};
use verity_domain::user::{Person, User};
use verity_domain::{Client, Environment, IdvSession, SessionStatus};
use verity_store::BlobMeta;

use super::i18n::{self, LANGUAGES, Tr};
use super::upload::{self, Rejection};
use crate::wire::url_pairs;
use crate::{AppState, now, random_token};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/verify/{token}", get(entry))
        .route("/verify/{token}/progress.json", get(progress_json))
        .route("/verify/{token}/brand.css", get(brand_css))
        .route("/verify/{token}/logo", get(logo))
        .route("/verify/{token}/simulate", post(simulate))
        .route("/verify/{token}/samples", post(samples))
        .route(
            "/verify/{token}/step/{step}",
            get(show_step)
                .post(submit_step)
                .layer(DefaultBodyLimit::max(upload::MAX_UPLOAD + 256 * 1024)),
        )
        .route(
            "/static/hosted.css",
            get(|| async { asset("text/css; charset=utf-8", include_str!("../../static/hosted.css")) }),
        )
        .route(
            "/static/hosted.js",
            get(|| async { asset("text/javascript; charset=utf-8", include_str!("../../static/hosted.js")) }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    r.headers_mut()
        .insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    r
}

pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

// ---------------------------------------------------------------------------------------------
// Context of a request

struct Ctx {
    session: IdvSession,
    user: User,
    client: Client,
    progress: Progress,
    tr: Tr,
    token: String,
    /// The configured public URL, for links shown to be opened elsewhere (QR code).
    public_base: String,
    /// An owner whose form failed validation, shown again as typed.
    owner_draft: Option<Owner>,
}

impl Ctx {
    fn platform(&self) -> String {
        self.client
            .branding
            .display_name
            .clone()
            .unwrap_or_else(|| self.client.name.clone())
    }

    fn step_url(&self, step: Step) -> String {
        format!("/verify/{}/step/{}", self.token, step.as_str())
    }

    fn is_sandbox(&self) -> bool {
        self.client.environment == Environment::Sandbox
    }

    /// Whether the flow still accepts input.
    fn open(&self) -> bool {
        self.session.status == SessionStatus::Pending && self.progress.submitted_at.is_none()
    }
}

enum Failure {
    Invalid,
    Busy,
}

async fn load(state: &AppState, token: &str, query: Option<&str>, headers: &HeaderMap) -> Result<Ctx, Failure> {
    let busy = |e: verity_store::StoreError| {
        tracing::error!(error = %e, "hosted page lookup failed");
        Failure::Busy
    };
    let session = state
        .store
        .session_by_token(token)
        .await
        .map_err(busy)?
        .ok_or(Failure::Invalid)?;
    let user = state
        .store
        .user(&session.client_id, &session.user_id)
        .await
        .map_err(busy)?
        .ok_or(Failure::Invalid)?;
    let client = state
        .store
        .client(&session.client_id)
        .await
        .map_err(busy)?
        .ok_or(Failure::Invalid)?
        .client;
    let mut progress = match state.store.progress(&session.id).await.map_err(busy)? {
        Some(p) => p,
        None => Progress::prefilled(&user),
    };
    let mut changed = false;
    if progress.csrf.is_empty() {
        progress.csrf = random_token();
        changed = true;
    }
    // The language: chosen on the page (and remembered, so a phone continuing the flow gets
    // it too), else remembered, else the browser's, else the platform's default.
    let asked = url_pairs(query.unwrap_or(""))
        .into_iter()
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v);
    if let Some(lang) = asked.filter(|l| i18n::supported(l)) {
        if progress.lang.as_deref() != Some(lang.as_str()) {
            progress.lang = Some(lang);
            changed = true;
        }
    }
    let lang = progress
        .lang
        .clone()
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(i18n::negotiate)
                .map(str::to_owned)
        })
        .or_else(|| client.branding.default_language.clone())
        .unwrap_or_else(|| "en".into());
    if changed && session.status == SessionStatus::Pending {
        state
            .store
            .save_progress(&session.id, &progress, now())
            .await
            .map_err(busy)?;
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
    })
}

fn failure_page(state: &AppState, f: Failure, headers: &HeaderMap) -> Response {
    let tr = Tr::new(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(i18n::negotiate)
            .unwrap_or("en"),
    );
    let (status, title, body) = match f {
        Failure::Invalid => (
            StatusCode::NOT_FOUND,
            tr.t("invalid-title"),
            format!("<p>{}</p>", esc(&tr.t("invalid-body"))),
        ),
        Failure::Busy => (
            StatusCode::SERVICE_UNAVAILABLE,
            tr.t("app-title"),
            format!("<p>{}</p>", esc(&tr.t("error-busy"))),
        ),
    };
    render(state, None, tr, status, title, body, Vec::new(), None, None)
}

// ---------------------------------------------------------------------------------------------
// Rendering

struct ErrorView {
    field: String,
    message: String,
}

struct StepView {
    name: String,
    current: bool,
    done: bool,
}

struct NavView {
    label: String,
    steps: Vec<StepView>,
}

struct BrandView {
    name: String,
    logo_url: Option<String>,
}

#[derive(Template)]
#[template(path = "page.html")]
struct PageTemplate {
    tr: Tr,
    languages: Vec<(&'static str, String, bool)>,
    title: String,
    brand: BrandView,
    token: Option<String>,
    nav: Option<NavView>,
    errors: Vec<ErrorView>,
    body: String,
    back_url: Option<String>,
    sandbox: String,
}

#[allow(clippy::too_many_arguments)]
fn render(
    _state: &AppState,
    ctx: Option<&Ctx>,
    tr: Tr,
    status: StatusCode,
    title: String,
    body: String,
    errors: Vec<ErrorView>,
    nav: Option<NavView>,
    back_url: Option<String>,
) -> Response {
    let brand = match ctx {
        Some(c) => BrandView {
            name: c.platform(),
            logo_url: c
                .client
                .branding
                .logo
                .as_ref()
                .map(|_| format!("/verify/{}/logo", c.token)),
        },
        None => BrandView {
            name: tr.t("app-title"),
            logo_url: None,
        },
    };
    let sandbox = match ctx {
        Some(c) if c.is_sandbox() && c.open() => sandbox_panel(c),
        _ => String::new(),
    };
    let page = PageTemplate {
        tr,
        languages: LANGUAGES
            .iter()
            .map(|(code, _)| (*code, Tr::name_of(code), *code == tr.lang))
            .collect(),
        title,
        brand,
        token: ctx.map(|c| c.token.clone()),
        nav,
        errors,
        body,
        back_url,
        sandbox,
    };
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

fn nav(ctx: &Ctx, current: Step) -> NavView {
    let steps = ctx.progress.steps(&ctx.user);
    let index = steps.iter().position(|s| *s == current).unwrap_or(0);
    NavView {
        label: ctx.tr.f(
            "step-of",
            &[
                ("current", &(index + 1).to_string()),
                ("total", &steps.len().to_string()),
            ],
        ),
        steps: steps
            .iter()
            .map(|s| StepView {
                name: ctx.tr.t(&format!("step-{}", s.as_str())),
                current: *s == current,
                done: ctx.progress.is_done(&ctx.user, *s),
            })
            .collect(),
    }
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

fn hidden_csrf(ctx: &Ctx) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(&ctx.progress.csrf)
    )
}

fn text_field(
    ctx: &Ctx,
    name: &'static str,
    label_key: &str,
    value: &str,
    errors: &FormErrors,
    hint: Option<&str>,
    extra: &str,
) -> String {
    let mut described = Vec::new();
    let hint_html = match hint {
        Some(h) => {
            described.push(format!("{name}-hint"));
            format!("<p class=\"hint\" id=\"{name}-hint\">{}</p>", esc(&ctx.tr.t(h)))
        }
        None => String::new(),
    };
    let error_html = match errors.get(name) {
        Some(key) => {
            described.push(format!("{name}-error"));
            format!(
                "<p class=\"field-error\" id=\"{name}-error\">{}</p>",
                esc(&ctx.tr.t(key))
            )
        }
        None => String::new(),
    };
    let aria = if described.is_empty() {
        String::new()
    } else {
        format!(" aria-describedby=\"{}\"", described.join(" "))
    };
    let invalid = if errors.contains_key(name) {
        " aria-invalid=\"true\""
    } else {
        ""
    };
    format!(
        "<label for=\"{name}\">{label}</label>{hint_html}{error_html}<input type=\"text\" id=\"{name}\" name=\"{name}\" value=\"{value}\"{aria}{invalid}{extra}>",
        label = esc(&ctx.tr.t(label_key)),
        value = esc(value)
    )
}

fn country_select(ctx: &Ctx, name: &'static str, label_key: &str, value: &str, errors: &FormErrors) -> String {
    let mut countries: Vec<(String, String)> = i18n::parse(LANGUAGES[0].1)
        .into_iter()
        .filter_map(|(k, _)| k.strip_prefix("country-").map(|c| (c.to_owned(), ctx.tr.t(&k))))
        .collect();
    countries.sort_by(|a, b| a.1.cmp(&b.1));
    let options: String = countries
        .iter()
        .map(|(code, name)| {
            format!(
                "<option value=\"{code}\"{}>{}</option>",
                if code == value { " selected" } else { "" },
                esc(name)
            )
        })
        .collect();
    let error_html = errors
        .get(name)
        .map(|k| format!("<p class=\"field-error\" id=\"{name}-error\">{}</p>", esc(&ctx.tr.t(k))))
        .unwrap_or_default();
    let aria = if errors.contains_key(name) {
        format!(" aria-invalid=\"true\" aria-describedby=\"{name}-error\"")
    } else {
        String::new()
    };
    format!(
        "<label for=\"{name}\">{}</label>{error_html}<select id=\"{name}\" name=\"{name}\"{aria}><option value=\"\"></option>{options}</select>",
        esc(&ctx.tr.t(label_key))
    )
}

fn error_views(ctx: &Ctx, errors: &FormErrors) -> Vec<ErrorView> {
    errors
        .iter()
        .map(|(f, k)| ErrorView {
            field: (*f).to_owned(),
            message: ctx
                .tr
                .f(k, &[("limit", &(upload::MAX_UPLOAD / 1024 / 1024).to_string())]),
        })
        .collect()
}

fn upload_form(
    ctx: &Ctx,
    step: Step,
    slot: &str,
    label: &str,
    accept: &str,
    capture: Option<&str>,
    done: bool,
) -> String {
    let capture_attr = capture.map(|c| format!(" capture=\"{c}\"")).unwrap_or_default();
    let state = if done {
        format!("<p class=\"ok\">✓ {}</p>", esc(&ctx.tr.t("upload-done")))
    } else {
        String::new()
    };
    let button = if done {
        ctx.tr.t("upload-replace")
    } else {
        ctx.tr.t("upload-send")
    };
    format!(
        "<form method=\"post\" action=\"{action}\" enctype=\"multipart/form-data\" class=\"card upload\" data-upload data-uploading=\"{uploading}\">\
         {csrf}<input type=\"hidden\" name=\"slot\" value=\"{slot}\">\
         <label for=\"file-{slot}\">{label}</label>{state}\
         <input type=\"file\" id=\"file-{slot}\" name=\"file\" accept=\"{accept}\"{capture_attr}>\
         <button type=\"submit\" class=\"secondary\">{button}</button></form>",
        action = ctx.step_url(step),
        csrf = hidden_csrf(ctx),
        label = esc(label),
        button = esc(&button),
        uploading = esc(&ctx.tr.t("capture-uploading")),
    )
}

fn continue_form(ctx: &Ctx, step: Step, label_key: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}\">{}<input type=\"hidden\" name=\"action\" value=\"continue\"><button type=\"submit\">{}</button></form>",
        ctx.step_url(step),
        hidden_csrf(ctx),
        esc(&ctx.tr.t(label_key))
    )
}

/// The body of a step page.
fn step_body(ctx: &Ctx, step: Step, errors: &FormErrors, query: &[(String, String)]) -> String {
    let tr = &ctx.tr;
    let platform = ctx.platform();
    match step {
        Step::Welcome => {
            let legal = ctx.user.legal_person_type();
            let mut needs = vec![tr.t("welcome-need-id"), tr.t("welcome-need-phone")];
            if legal.is_some() {
                needs.insert(0, tr.t("welcome-need-company"));
            }
            if ctx.progress.steps(&ctx.user).contains(&Step::Owners) {
                needs.push(tr.t("welcome-need-owners"));
            }
            if Progress::company_slots(&ctx.user).contains(&hosted::SLOT_ARTICLES) {
                needs.push(tr.t("welcome-need-articles"));
            }
            let intro = if legal.is_some() {
                "welcome-intro-legal"
            } else {
                "welcome-intro-natural"
            };
            let items: String = needs.iter().map(|n| format!("<li>{}</li>", esc(n))).collect();
            let started = ctx.progress.is_done(&ctx.user, Step::Welcome);
            format!(
                "<p>{}</p><p>{}</p><ul>{items}</ul><p class=\"hint\">{}</p>{}",
                esc(&tr.f(intro, &[("platform", &platform)])),
                esc(&tr.t("welcome-need")),
                esc(&tr.t("welcome-privacy")),
                continue_form(ctx, step, if started { "welcome-resume" } else { "welcome-start" })
            )
        }
        Step::Personal => {
            let p = ctx.progress.personal.clone().unwrap_or_default();
            format!(
                "<p>{}</p><form method=\"post\" action=\"{}\" novalidate>{}{}{}{}{}<button type=\"submit\">{}</button></form>",
                esc(&tr.t("personal-intro")),
                ctx.step_url(step),
                hidden_csrf(ctx),
                text_field(
                    ctx,
                    "first_name",
                    "field-first-name",
                    &p.first_name,
                    errors,
                    None,
                    " autocomplete=\"given-name\""
                ),
                text_field(
                    ctx,
                    "last_name",
                    "field-last-name",
                    &p.last_name,
                    errors,
                    None,
                    " autocomplete=\"family-name\""
                ),
                text_field(
                    ctx,
                    "birth_date",
                    "field-birth-date",
                    &p.birth_date,
                    errors,
                    Some("field-birth-date-hint"),
                    " inputmode=\"numeric\" autocomplete=\"bday\""
                ),
                country_select(ctx, "nationality", "field-nationality", &p.nationality, errors),
                esc(&tr.t("continue"))
            )
        }
        Step::Business => {
            let b = ctx.progress.business.clone().unwrap_or_default();
            format!(
                "<form method=\"post\" action=\"{}\" novalidate>{}{}{}{}{}{}{}<button type=\"submit\">{}</button></form>",
                ctx.step_url(step),
                hidden_csrf(ctx),
                country_select(ctx, "country", "field-country-registration", &b.country, errors),
                text_field(
                    ctx,
                    "registration_number",
                    "field-registration-number",
                    &b.registration_number,
                    errors,
                    None,
                    ""
                ),
                text_field(
                    ctx,
                    "name",
                    "field-company-name",
                    &b.name,
                    errors,
                    None,
                    " autocomplete=\"organization\""
                ),
                text_field(
                    ctx,
                    "address_line1",
                    "field-address",
                    &b.address_line1,
                    errors,
                    None,
                    " autocomplete=\"address-line1\""
                ),
                text_field(
                    ctx,
                    "city",
                    "field-city",
                    &b.city,
                    errors,
                    None,
                    " autocomplete=\"address-level2\""
                ),
                text_field(
                    ctx,
                    "postal_code",
                    "field-postal-code",
                    &b.postal_code,
                    errors,
                    None,
                    " autocomplete=\"postal-code\""
                ),
                esc(&tr.t("continue"))
            )
        }
        Step::Owners => owners_body(ctx, errors, query),
        Step::CompanyDocuments => {
            let forms: String = Progress::company_slots(&ctx.user)
                .iter()
                .map(|slot| {
                    let label = tr.t(&format!("doc-{slot}"));
                    upload_form(
                        ctx,
                        step,
                        slot,
                        &label,
                        "image/jpeg,image/png,image/webp,application/pdf",
                        None,
                        ctx.progress.files.contains_key(*slot),
                    )
                })
                .collect();
            let next = if ctx.progress.is_done(&ctx.user, step) {
                continue_form(ctx, step, "continue")
            } else {
                String::new()
            };
            format!("<p>{}</p>{forms}{next}", esc(&tr.t("company-docs-intro")))
        }
        Step::Document => {
            let chosen = ctx.progress.document.clone();
            let radios: String = DocumentType::ALL
                .iter()
                .map(|d| {
                    let checked = chosen.as_ref().is_some_and(|c| c.kind == *d);
                    format!(
                        "<div class=\"choice\"><input type=\"radio\" id=\"doc-{v}\" name=\"kind\" value=\"{v}\"{c}><label for=\"doc-{v}\">{l}</label></div>",
                        v = d.as_str(),
                        c = if checked { " checked" } else { "" },
                        l = esc(&tr.t(&format!("doc-type-{}", d.as_str())))
                    )
                })
                .collect();
            let kind_error = errors
                .get("kind")
                .map(|k| format!("<p class=\"field-error\" id=\"kind-error\">{}</p>", esc(&tr.t(k))))
                .unwrap_or_default();
            format!(
                "<form method=\"post\" action=\"{}\" novalidate>{}<fieldset id=\"kind\"><legend>{}</legend>{kind_error}{radios}</fieldset>{}<button type=\"submit\">{}</button></form>",
                ctx.step_url(step),
                hidden_csrf(ctx),
                esc(&tr.t("field-document-type")),
                country_select(
                    ctx,
                    "country",
                    "field-document-country",
                    chosen.as_ref().map_or("", |c| c.country.as_str()),
                    errors
                ),
                esc(&tr.t("continue"))
            )
        }
        Step::Front | Step::Back | Step::Selfie => capture_body(ctx, step),
        Step::Review => review_body(ctx),
    }
}

fn owners_body(ctx: &Ctx, errors: &FormErrors, query: &[(String, String)]) -> String {
    let tr = &ctx.tr;
    let editing = query.iter().find(|(k, _)| k == "edit").map(|(_, v)| v.clone());
    let list: String = if ctx.progress.owners.is_empty() {
        format!("<p>{}</p>", esc(&tr.t("owners-none")))
    } else {
        ctx.progress
            .owners
            .iter()
            .map(|o| {
                format!(
                    "<div class=\"card\"><p><strong>{} {}</strong> · {}</p>\
                     <a href=\"{}?edit={}\">{}</a> \
                     <form method=\"post\" action=\"{}\" class=\"inline\">{}<input type=\"hidden\" name=\"action\" value=\"remove\"><input type=\"hidden\" name=\"owner_id\" value=\"{}\">\
                     <button type=\"submit\" class=\"link\">{} <span class=\"visually-hidden\">{} {}</span></button></form></div>",
                    esc(&o.first_name),
                    esc(&o.last_name),
                    esc(&tr.f("owners-share-of", &[("share", &o.share.to_string())])),
                    ctx.step_url(Step::Owners),
                    esc(&o.id),
                    esc(&tr.t("owners-edit")),
                    ctx.step_url(Step::Owners),
                    hidden_csrf(ctx),
                    esc(&o.id),
                    esc(&tr.t("owners-remove")),
                    esc(&o.first_name),
                    esc(&o.last_name),
                )
            })
            .collect()
    };
    let current = match &ctx.owner_draft {
        Some(draft) => draft.clone(),
        None => editing
            .as_ref()
            .and_then(|id| ctx.progress.owners.iter().find(|o| &o.id == id))
            .cloned()
            .unwrap_or_default(),
    };
    let editing = editing.or_else(|| {
        ctx.owner_draft
            .as_ref()
            .map(|d| d.id.clone())
            .filter(|id| ctx.progress.owners.iter().any(|o| &o.id == id))
    });
    let share = if current.share == 0 {
        String::new()
    } else {
        current.share.to_string()
    };
    let form = format!(
        "<form method=\"post\" action=\"{}\" novalidate class=\"card\"><h2>{}</h2>{}<input type=\"hidden\" name=\"action\" value=\"save\"><input type=\"hidden\" name=\"owner_id\" value=\"{}\">{}{}{}{}{}<button type=\"submit\" class=\"secondary\">{}</button></form>",
        ctx.step_url(Step::Owners),
        esc(&tr.t(if editing.is_some() { "owners-edit" } else { "owners-add" })),
        hidden_csrf(ctx),
        esc(&current.id),
        text_field(
            ctx,
            "first_name",
            "field-first-name",
            &current.first_name,
            errors,
            None,
            ""
        ),
        text_field(
            ctx,
            "last_name",
            "field-last-name",
            &current.last_name,
            errors,
            None,
            ""
        ),
        text_field(
            ctx,
            "birth_date",
            "field-birth-date",
            &current.birth_date,
            errors,
            Some("field-birth-date-hint"),
            " inputmode=\"numeric\""
        ),
        country_select(ctx, "nationality", "field-nationality", &current.nationality, errors),
        text_field(
            ctx,
            "share",
            "field-share",
            &share,
            errors,
            None,
            " inputmode=\"numeric\""
        ),
        esc(&tr.t("owners-save")),
    );
    let confirm = if ctx.progress.owners.is_empty() {
        String::new()
    } else {
        format!(
            "<form method=\"post\" action=\"{}\">{}<input type=\"hidden\" name=\"action\" value=\"confirm\"><button type=\"submit\">{}</button></form>",
            ctx.step_url(Step::Owners),
            hidden_csrf(ctx),
            esc(&tr.t("owners-confirm"))
        )
    };
    format!("<p>{}</p>{list}{form}{confirm}", esc(&tr.t("owners-intro")))
}

fn capture_body(ctx: &Ctx, step: Step) -> String {
    let tr = &ctx.tr;
    let (slot, tips, capture, face) = match step {
        Step::Selfie => (hosted::SLOT_SELFIE, "selfie-tips", "user", true),
        Step::Back => (hosted::SLOT_BACK, "capture-tips", "environment", false),
        _ => (hosted::SLOT_FRONT, "capture-tips", "environment", false),
    };
    let done = ctx.progress.files.contains_key(slot);
    let current = if done {
        format!(
            "<p class=\"ok\" role=\"status\">✓ {}</p>",
            esc(&tr.t("capture-current"))
        )
    } else {
        String::new()
    };
    let link = format!("{}/verify/{}/step/{}", ctx.public_base, ctx.token, step.as_str());
    let qr = qrcode::QrCode::new(link.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .build()
        })
        .unwrap_or_default();
    let next = if done {
        continue_form(ctx, step, "continue")
    } else {
        String::new()
    };
    format!(
        "<p>{tips}</p>{current}\
         <div class=\"camera hidden\" data-camera data-facing=\"{capture}\">\
           <video playsinline muted aria-label=\"{title}\"></video><div class=\"guide{face}\"></div>\
           <img alt=\"\" class=\"hidden\" data-preview>\
           <p data-camera-status role=\"status\" aria-live=\"polite\"></p>\
           <button type=\"button\" data-take>{take}</button> <button type=\"button\" class=\"secondary hidden\" data-retake>{retake}</button> \
           <button type=\"button\" class=\"hidden\" data-use>{use_}</button>\
         </div>\
         <button type=\"button\" class=\"secondary hidden\" data-start-camera>{start}</button>\
         <p class=\"field-error hidden\" data-camera-denied role=\"alert\">{denied}</p>\
         <p class=\"upload-error hidden\" data-upload-error role=\"alert\" tabindex=\"-1\"></p>\
         {form}{next}\
         <details class=\"card handoff\" data-handoff data-step=\"{step}\" data-progress=\"/verify/{token}/progress.json\"><summary>{handoff_title}</summary>\
           <p>{handoff_intro}</p><div class=\"qr\" aria-hidden=\"true\">{qr}</div><p>{handoff_link}<br><a href=\"{link}\">{link_text}</a></p>\
           <p class=\"hint\" role=\"status\">{waiting}</p></details>",
        tips = esc(&tr.t(tips)),
        title = esc(&title_of(ctx, step)),
        face = if face { " face" } else { "" },
        take = esc(&tr.t("capture-take")),
        retake = esc(&tr.t("capture-retake")),
        use_ = esc(&tr.t("capture-use")),
        start = esc(&tr.t("capture-start-camera")),
        denied = esc(&tr.t("capture-camera-denied")),
        form = upload_form(
            ctx,
            step,
            slot,
            &tr.t("capture-file"),
            "image/jpeg,image/png,image/webp",
            Some(capture),
            done
        ),
        step = step.as_str(),
        token = ctx.token,
        handoff_title = esc(&tr.t("handoff-title")),
        handoff_intro = esc(&tr.t("handoff-intro")),
        handoff_link = esc(&tr.t("handoff-link")),
        link = esc(&link),
        link_text = esc(&link),
        waiting = esc(&tr.t("handoff-waiting")),
    )
}

fn review_body(ctx: &Ctx) -> String {
    let tr = &ctx.tr;
    let change = |step: Step| {
        format!(
            " <a href=\"{}\">{}</a>",
            ctx.step_url(step),
            esc(&tr.t("review-change"))
        )
    };
    let mut out = format!("<p>{}</p><dl class=\"summary\">", esc(&tr.t("review-intro")));
    if let Some(b) = &ctx.progress.business {
        out += &format!(
            "<dt>{}{}</dt><dd>{}, {} · {}</dd>",
            esc(&tr.t("review-business")),
            change(Step::Business),
            esc(&b.name),
            esc(&b.registration_number),
            esc(&tr.t(&format!("country-{}", b.country)))
        );
    }
    if ctx.progress.steps(&ctx.user).contains(&Step::Owners) {
        let owners: Vec<String> = ctx
            .progress
            .owners
            .iter()
            .map(|o| format!("{} {} ({}%)", o.first_name, o.last_name, o.share))
            .collect();
        out += &format!(
            "<dt>{}{}</dt><dd>{}</dd>",
            esc(&tr.t("review-owners")),
            change(Step::Owners),
            esc(&owners.join(", "))
        );
    }
    if let Some(p) = &ctx.progress.personal {
        out += &format!(
            "<dt>{}{}</dt><dd>{} {} · {}</dd>",
            esc(&tr.t("review-personal")),
            change(Step::Personal),
            esc(&p.first_name),
            esc(&p.last_name),
            esc(&p.birth_date)
        );
    }
    if let Some(d) = &ctx.progress.document {
        out += &format!(
            "<dt>{}{}</dt><dd>{} · {}</dd>",
            esc(&tr.t("review-document")),
            change(Step::Document),
            esc(&tr.t(&format!("doc-type-{}", d.kind.as_str()))),
            esc(&tr.t(&format!("country-{}", d.country)))
        );
    }
    let photos = [Step::Front, Step::Back, Step::Selfie]
        .iter()
        .filter(|s| ctx.progress.steps(&ctx.user).contains(s))
        .map(|s| {
            format!(
                "{} {}",
                if ctx.progress.is_done(&ctx.user, *s) {
                    "✓"
                } else {
                    "✗"
                },
                tr.t(&format!("step-{}", s.as_str()))
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    out += &format!("<dt>{}</dt><dd>{}</dd></dl>", esc(&tr.t("review-photos")), esc(&photos));
    let missing = ctx.progress.missing(&ctx.user);
    if missing.is_empty() {
        out += &format!(
            "<form method=\"post\" action=\"{}\">{}<input type=\"hidden\" name=\"action\" value=\"submit\"><button type=\"submit\">{}</button></form>",
            ctx.step_url(Step::Review),
            hidden_csrf(ctx),
            esc(&tr.t("review-submit"))
        );
    } else {
        let items: String = missing
            .iter()
            .map(|s| {
                format!(
                    "<li><a href=\"{}\">{}</a></li>",
                    ctx.step_url(*s),
                    esc(&tr.t(&format!("step-{}", s.as_str())))
                )
            })
            .collect();
        out += &format!(
            "<div class=\"card\" role=\"status\"><p>{}</p><ul>{items}</ul></div>",
            esc(&tr.t("review-missing"))
        );
    }
    out
}

fn sandbox_panel(ctx: &Ctx) -> String {
    let tr = &ctx.tr;
    let mut reasons: Vec<(&str, &str)> = REASONS
        .iter()
        .flat_map(|(check, rs)| rs.iter().map(move |r| (*r, *check)))
        .collect();
    reasons.retain(|(_, check)| verity_domain::sandbox::check_types(&ctx.user).contains(check));
    let options: String = reasons
        .iter()
        .map(|(r, c)| format!("<option value=\"{r}@{c}\">{r} ({c})</option>"))
        .collect();
    let review = if matches!(ctx.user.person, Person::Legal(_)) || ctx.client.natural_review {
        format!(
            "<div class=\"choice\"><input type=\"radio\" id=\"sim-review\" name=\"outcome\" value=\"review\"><label for=\"sim-review\">{}</label></div>",
            esc(&tr.t("sandbox-review"))
        )
    } else {
        String::new()
    };
    format!(
        "<section class=\"sandbox\" aria-labelledby=\"sandbox-title\"><h2 id=\"sandbox-title\">{title}</h2><p>{intro}</p>\
         <form method=\"post\" action=\"/verify/{token}/simulate\">{csrf}<fieldset><legend>{outcome}</legend>\
         <div class=\"choice\"><input type=\"radio\" id=\"sim-validated\" name=\"outcome\" value=\"validated\" checked><label for=\"sim-validated\">{validated}</label></div>\
         <div class=\"choice\"><input type=\"radio\" id=\"sim-refused\" name=\"outcome\" value=\"refused\"><label for=\"sim-refused\">{refused}</label></div>{review}</fieldset>\
         <label for=\"sim-reason\">{reason}</label><select id=\"sim-reason\" name=\"reason\">{options}</select>\
         <button type=\"submit\">{complete}</button></form>\
         <form method=\"post\" action=\"/verify/{token}/samples\">{csrf}<button type=\"submit\" class=\"secondary\">{samples}</button></form></section>",
        title = esc(&tr.t("sandbox-title")),
        intro = esc(&tr.t("sandbox-intro")),
        token = ctx.token,
        csrf = hidden_csrf(ctx),
        outcome = esc(&tr.t("sandbox-outcome")),
        validated = esc(&tr.t("sandbox-validated")),
        refused = esc(&tr.t("sandbox-refused")),
        reason = esc(&tr.t("sandbox-reason")),
        complete = esc(&tr.t("sandbox-complete")),
        samples = esc(&tr.t("sandbox-samples")),
    )
}

/// The page of a closed session: it says why and accepts nothing.
fn closed_page(state: &AppState, ctx: &Ctx) -> Response {
    let key = if ctx.session.status == SessionStatus::Pending {
        "status-SUBMITTED".to_owned()
    } else {
        format!("status-{}", ctx.session.status.as_str())
    };
    let body = format!(
        "<p class=\"status\" role=\"status\">{}</p><p><a class=\"button secondary\" href=\"{}\">{}</a></p>",
        esc(&ctx.tr.f(&key, &[("platform", &ctx.platform())])),
        esc(&ctx.session.return_url),
        esc(&ctx.tr.f("done-return", &[("platform", &ctx.platform())]))
    );
    render(
        state,
        Some(ctx),
        ctx.tr,
        StatusCode::OK,
        ctx.tr.t("status-title"),
        body,
        Vec::new(),
        None,
        None,
    )
}

fn step_page(state: &AppState, ctx: &Ctx, step: Step, errors: &FormErrors, query: &[(String, String)]) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let body = step_body(ctx, step, errors, query);
    let back = ctx.progress.previous(&ctx.user, step).map(|s| ctx.step_url(s));
    render(
        state,
        Some(ctx),
        ctx.tr,
        status,
        title_of(ctx, step),
        body,
        error_views(ctx, errors),
        Some(nav(ctx, step)),
        back,
    )
}

// ---------------------------------------------------------------------------------------------
// Handlers

async fn context(state: &AppState, token: &str, query: Option<&str>, headers: &HeaderMap) -> Result<Ctx, Response> {
    load(state, token, query, headers)
        .await
        .map_err(|f| failure_page(state, f, headers))
}

async fn entry(
    State(state): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let ctx = match context(&state, &token, query.as_deref(), &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !ctx.open() {
        return closed_page(&state, &ctx);
    }
    Redirect::to(&ctx.step_url(ctx.progress.resume_at(&ctx.user))).into_response()
}

async fn show_step(
    State(state): State<AppState>,
    Path((token, step)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let ctx = match context(&state, &token, query.as_deref(), &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !ctx.open() {
        return closed_page(&state, &ctx);
    }
    let Some(step) = Step::parse(&step).filter(|s| ctx.progress.steps(&ctx.user).contains(s)) else {
        return Redirect::to(&ctx.step_url(ctx.progress.resume_at(&ctx.user))).into_response();
    };
    step_page(
        &state,
        &ctx,
        step,
        &FormErrors::new(),
        &url_pairs(query.as_deref().unwrap_or("")),
    )
}

/// A posted form: its fields, and a file when it was a multipart upload.
struct Posted {
    fields: Vec<(String, String)>,
    file: Option<Result<Bytes, Rejection>>,
    wants_json: bool,
}

impl Posted {
    fn get(&self, name: &str) -> String {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }
}

async fn read_posted(state: &AppState, req: Request) -> Result<Posted, Response> {
    let wants_json = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !is_multipart {
        let bytes = axum::body::to_bytes(req.into_body(), 64 * 1024)
            .await
            .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE.into_response())?;
        return Ok(Posted {
            fields: url_pairs(&String::from_utf8_lossy(&bytes)),
            file: None,
            wants_json,
        });
    }
    let mut multipart = Multipart::from_request(req, state)
        .await
        .map_err(|_| StatusCode::BAD_REQUEST.into_response())?;
    let mut fields = Vec::new();
    let mut file = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            // The body exceeded the limit or was cut off.
            Err(_) => {
                file = Some(Err(Rejection::TooLarge));
                break;
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" {
            let mut field = field;
            let mut buf = Vec::new();
            let mut result = Ok(());
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        if buf.len() + chunk.len() > upload::MAX_UPLOAD {
                            result = Err(Rejection::TooLarge);
                            break;
                        }
                        buf.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(_) => {
                        result = Err(Rejection::TooLarge);
                        break;
                    }
                }
            }
            file = Some(result.map(|()| Bytes::from(buf)));
        } else if let Ok(text) = field.text().await {
            fields.push((name, text));
        }
    }
    Ok(Posted {
        fields,
        file,
        wants_json,
    })
}

/// Forms are only posted from these pages: the token in the form must match, and browsers
/// must not report a cross-site request.
fn forged(ctx: &Ctx, posted: &Posted, headers: &HeaderMap) -> bool {
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site");
    let token = posted.get("csrf");
    cross_site || token.is_empty() || token.len() != ctx.progress.csrf.len() || token != ctx.progress.csrf
}

/// Where to go next: a redirect for forms, JSON for the script's uploads.
fn done_response(posted: &Posted, next: String) -> Response {
    if posted.wants_json {
        return axum::Json(serde_json::json!({"ok": true, "next": next})).into_response();
    }
    Redirect::to(&next).into_response()
}

async fn submit_step(
    State(state): State<AppState>,
    Path((token, step)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    req: Request,
) -> Response {
    let mut ctx = match context(&state, &token, query.as_deref(), &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !ctx.open() {
        return closed_page(&state, &ctx);
    }
    let Some(step) = Step::parse(&step).filter(|s| ctx.progress.steps(&ctx.user).contains(s)) else {
        return Redirect::to(&ctx.step_url(ctx.progress.resume_at(&ctx.user))).into_response();
    };
    let posted = match read_posted(&state, req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if forged(&ctx, &posted, &headers) {
        let mut e = FormErrors::new();
        e.insert("csrf", "error-csrf");
        return step_page(&state, &ctx, step, &e, &[]);
    }
    let action = posted.get("action");
    let mut errors = FormErrors::new();
    let mut stay = false;
    match step {
        Step::Welcome => {
            ctx.progress.confirmed.insert(step.as_str().to_owned());
        }
        Step::Personal => {
            let p = PersonalData {
                first_name: posted.get("first_name"),
                last_name: posted.get("last_name"),
                birth_date: posted.get("birth_date"),
                nationality: posted.get("nationality"),
            };
            errors = hosted::validate_personal(&p);
            ctx.progress.personal = Some(p);
            if errors.is_empty() {
                ctx.progress.confirmed.insert(step.as_str().to_owned());
            }
        }
        Step::Business => {
            let b = BusinessData {
                country: posted.get("country"),
                registration_number: posted.get("registration_number"),
                name: posted.get("name"),
                address_line1: posted.get("address_line1"),
                city: posted.get("city"),
                postal_code: posted.get("postal_code"),
            };
            errors = hosted::validate_business(&b);
            ctx.progress.business = Some(b);
            if errors.is_empty() {
                ctx.progress.confirmed.insert(step.as_str().to_owned());
            }
        }
        Step::Owners => match action.as_str() {
            "remove" => {
                let id = posted.get("owner_id");
                ctx.progress.owners.retain(|o| o.id != id);
                ctx.progress.confirmed.remove(step.as_str());
                stay = true;
            }
            "confirm" if !ctx.progress.owners.is_empty() => {
                ctx.progress.confirmed.insert(step.as_str().to_owned());
            }
            _ => {
                let id = posted.get("owner_id");
                let owner = Owner {
                    id: if id.is_empty() {
                        verity_service::new_id("psc_")
                    } else {
                        id
                    },
                    first_name: posted.get("first_name"),
                    last_name: posted.get("last_name"),
                    birth_date: posted.get("birth_date"),
                    nationality: posted.get("nationality"),
                    share: posted.get("share").trim_end_matches('%').parse().unwrap_or(0),
                };
                errors = hosted::validate_owner(&owner);
                if errors.is_empty() {
                    match ctx.progress.owners.iter_mut().find(|o| o.id == owner.id) {
                        Some(existing) => *existing = owner,
                        None => ctx.progress.owners.push(owner),
                    }
                    ctx.progress.confirmed.remove(step.as_str());
                } else {
                    ctx.owner_draft = Some(owner);
                }
                stay = true;
            }
        },
        Step::Document => {
            let kind = DocumentType::parse(&posted.get("kind"));
            let country = posted.get("country");
            if kind.is_none() {
                errors.insert("kind", "error-required");
            }
            if !verity_domain::validation::is_country_code(&country) {
                errors.insert("country", "error-country");
            }
            if let (Some(kind), true) = (kind, errors.is_empty()) {
                // A passport has no back: a back photo taken for a card is dropped.
                if !kind.two_sided() {
                    ctx.progress.files.remove(hosted::SLOT_BACK);
                }
                ctx.progress.document = Some(DocumentChoice { kind, country });
            }
        }
        Step::CompanyDocuments | Step::Front | Step::Back | Step::Selfie => {
            if action == "continue" && ctx.progress.is_done(&ctx.user, step) {
                // Nothing to save: move on.
            } else {
                let slot = posted.get("slot");
                let allowed: Vec<&str> = match step {
                    Step::CompanyDocuments => Progress::company_slots(&ctx.user).to_vec(),
                    Step::Front => vec![hosted::SLOT_FRONT],
                    Step::Back => vec![hosted::SLOT_BACK],
                    _ => vec![hosted::SLOT_SELFIE],
                };
                let Some(slot) = allowed.into_iter().find(|s| *s == slot) else {
                    return step_page(&state, &ctx, step, &FormErrors::new(), &[]);
                };
                if !state
                    .upload_limiter
                    .hit(&format!("upload:{}", ctx.session.id), now())
                    .allowed
                {
                    errors.insert(file_field(slot), "error-too-many");
                } else {
                    match store_upload(&state, &ctx, slot, step == Step::CompanyDocuments, posted.file.as_ref()).await {
                        Ok(file) => {
                            ctx.progress.files.insert(slot.to_owned(), file);
                        }
                        Err(key) => {
                            errors.insert(file_field(slot), key);
                        }
                    }
                }
                stay = step == Step::CompanyDocuments;
            }
        }
        Step::Review => {
            if action == "submit" && ctx.progress.missing(&ctx.user).is_empty() {
                ctx.progress.submitted_at = Some(now());
                // Production sessions are decided by the engine; sandbox ones by their script,
                // the simulator or the test helpers.
                let checks = (ctx.client.environment == verity_domain::Environment::Production)
                    .then(|| (&ctx.client.id, verity_service::now_millis() as i64));
                match state
                    .store
                    .mark_submitted(&ctx.session.id, &ctx.progress, now(), checks)
                    .await
                {
                    Ok(()) => {}
                    // Expired or decided a moment ago: say so.
                    Err(verity_store::StoreError::Conflict(_)) => {
                        return match load(&state, &token, None, &headers).await {
                            Ok(fresh) => closed_page(&state, &fresh),
                            Err(f) => failure_page(&state, f, &headers),
                        };
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot save submission");
                        return failure_page(&state, Failure::Busy, &headers);
                    }
                }
                state.services.checks.notify_one();
                tracing::info!(session = %ctx.session.id, "hosted session submitted");
                return done_response(&posted, ctx.session.return_url.clone());
            }
            return step_page(&state, &ctx, step, &FormErrors::new(), &[]);
        }
    }
    if let Err(e) = state.store.save_progress(&ctx.session.id, &ctx.progress, now()).await {
        tracing::error!(error = %e, "cannot save hosted progress");
        return failure_page(&state, Failure::Busy, &headers);
    }
    if !errors.is_empty() {
        if posted.wants_json {
            let message = errors.values().next().map(|k| {
                ctx.tr
                    .f(k, &[("limit", &(upload::MAX_UPLOAD / 1024 / 1024).to_string())])
            });
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(serde_json::json!({"ok": false, "error": message})),
            )
                .into_response();
        }
        return step_page(&state, &ctx, step, &errors, &[]);
    }
    let next = if stay {
        ctx.step_url(step)
    } else {
        ctx.step_url(ctx.progress.next_after(&ctx.user, step))
    };
    done_response(&posted, next)
}

/// The id of a slot's file input, which error summaries link to.
fn file_field(slot: &str) -> &'static str {
    match slot {
        hosted::SLOT_BACK => "file-back",
        hosted::SLOT_SELFIE => "file-selfie",
        hosted::SLOT_REGISTRATION_PROOF => "file-registration_proof",
        hosted::SLOT_ARTICLES => "file-articles_of_association",
        _ => "file-front",
    }
}

/// Cleans, seals and stores an upload; returns its reference or a translation key.
async fn store_upload(
    state: &AppState,
    ctx: &Ctx,
    slot: &str,
    allow_pdf: bool,
    file: Option<&Result<Bytes, Rejection>>,
) -> Result<FileRef, &'static str> {
    let bytes = match file {
        None => return Err("error-file-missing"),
        Some(Err(r)) => return Err(r.message_key()),
        Some(Ok(b)) if b.is_empty() => return Err("error-file-missing"),
        Some(Ok(b)) => b.clone(),
    };
    let started = std::time::Instant::now();
    let _place = upload::InFlight::take(ctx.session.id.as_str()).ok_or("error-busy")?;
    let cleaned = upload::clean_async(bytes, allow_pdf)
        .await
        .map_err(Rejection::message_key)?;
    let file = put_blob(state, ctx, slot, cleaned.bytes, cleaned.content_type, false)
        .await
        .map_err(|_| "error-busy")?;
    tracing::info!(session = %ctx.session.id, slot, size = file.size, elapsed_ms = started.elapsed().as_millis() as u64, "upload stored");
    Ok(file)
}

async fn put_blob(
    state: &AppState,
    ctx: &Ctx,
    slot: &str,
    bytes: Vec<u8>,
    content_type: &str,
    sample: bool,
) -> Result<FileRef, ()> {
    let id = verity_service::new_id("blob_");
    let size = bytes.len() as u64;
    let (wrapped_key, sealed) = state.sealer.seal_blob(&bytes, &id);
    // The blob is durable before the record that points to it.
    state
        .blobs
        .put(&id, sealed)
        .await
        .map_err(|e| tracing::error!(error = %e, "blob write failed"))?;
    let meta = BlobMeta {
        id: id.clone(),
        client_id: ctx.client.id.clone(),
        session_id: ctx.session.id.clone(),
        slot: slot.to_owned(),
        content_type: content_type.to_owned(),
        size,
        wrapped_key,
        created_at: now(),
    };
    state
        .store
        .insert_blob(&meta)
        .await
        .map_err(|e| tracing::error!(error = %e, "blob record failed"))?;
    Ok(FileRef {
        blob_id: id,
        content_type: content_type.to_owned(),
        size,
        sample,
    })
}

async fn progress_json(State(state): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let ctx = match load(&state, &token, None, &headers).await {
        Ok(c) => c,
        Err(f) => return failure_page(&state, f, &headers),
    };
    let done: Vec<&str> = ctx
        .progress
        .steps(&ctx.user)
        .into_iter()
        .filter(|s| ctx.progress.is_done(&ctx.user, *s))
        .map(Step::as_str)
        .collect();
    let mut r = axum::Json(serde_json::json!({
        "status": ctx.session.status.as_str(),
        "submitted": ctx.progress.submitted_at.is_some(),
        "done": done,
        "next": ctx.progress.resume_at(&ctx.user).as_str(),
    }))
    .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Brand colours as CSS custom properties (no inline styles, so the CSP stays strict).
async fn brand_css(State(state): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let colour = match load(&state, &token, None, &headers).await {
        Ok(ctx) => ctx.client.branding.primary_color.filter(|c| is_hex_colour(c)),
        Err(_) => None,
    };
    let css = match colour {
        Some(c) => format!(":root {{ --primary: {c}; --on-primary: {}; }}\n", readable_on(&c)),
        None => String::new(),
    };
    let mut r = css.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    r
}

fn is_hex_colour(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Black or white, whichever contrasts more with the brand colour (WCAG relative luminance).
fn readable_on(hex: &str) -> &'static str {
    let channel = |i: usize| {
        let v = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0)) / 255.0;
        if v <= 0.039_28 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    if (l + 0.05) / 0.05 > 1.05 / (l + 0.05) {
        "#000000"
    } else {
        "#ffffff"
    }
}

async fn logo(State(state): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let Ok(ctx) = load(&state, &token, None, &headers).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(data) = ctx.client.branding.logo.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some((meta, b64)) = data.strip_prefix("data:").and_then(|d| d.split_once(";base64,")) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    use base64::Engine;
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let content_type = if meta == "image/svg+xml" {
        "image/svg+xml"
    } else {
        "image/png"
    };
    let mut r = bytes.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // An SVG logo may not run scripts.
    r.headers_mut().insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    r.headers_mut()
        .insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    r
}

/// The common gate of the sandbox simulator's forms: a sandbox session still open, and a form
/// posted from its own page.
async fn sandbox_form(
    state: &AppState,
    token: &str,
    headers: &HeaderMap,
    req: Request,
) -> Result<(Ctx, Posted), Response> {
    let ctx = context(state, token, None, headers).await?;
    if !ctx.is_sandbox() {
        return Err(failure_page(state, Failure::Invalid, headers));
    }
    if !ctx.open() {
        return Err(closed_page(state, &ctx));
    }
    let posted = read_posted(state, req).await?;
    if forged(&ctx, &posted, headers) {
        return Err(failure_page(state, Failure::Invalid, headers));
    }
    Ok((ctx, posted))
}

async fn simulate(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    req: Request,
) -> Response {
    let (mut ctx, posted) = match sandbox_form(&state, &token, &headers, req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let directive = match posted.get("outcome").as_str() {
        "review" => Directive::Review,
        "refused" => {
            let reason = posted.get("reason");
            let (reason, check) = reason
                .split_once('@')
                .map_or((reason.as_str(), None), |(r, c)| (r, Some(c)));
            match Directive::refuse(reason, check) {
                Ok(d) => d,
                Err(_) => return failure_page(&state, Failure::Invalid, &headers),
            }
        }
        _ => Directive::Accept,
    };
    let result = state
        .services
        .transition(&ctx.client, &ctx.session.id, &|_, user, client| {
            directive
                .applies_to(user, client.natural_review)
                .map_err(verity_service::LifecycleError::Invalid)?;
            let (status, checks) = directive.outcome(user, now(), &mut || verity_service::new_id("idnchc_"));
            Ok(Decision {
                status,
                checks: Some(checks),
            })
        })
        .await;
    if let Err(e) = result {
        tracing::info!(error = %e, "sandbox simulation refused");
        return closed_page(&state, &ctx);
    }
    ctx.progress.submitted_at = Some(now());
    if let Err(e) = state.store.save_progress(&ctx.session.id, &ctx.progress, now()).await {
        tracing::warn!(error = %e, "cannot record the simulated submission");
    }
    Redirect::to(&ctx.session.return_url).into_response()
}

async fn samples(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    req: Request,
) -> Response {
    let (mut ctx, _) = match sandbox_form(&state, &token, &headers, req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if ctx.progress.document.is_none() {
        let country = ctx
            .progress
            .personal
            .as_ref()
            .map(|p| p.nationality.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "FR".into());
        ctx.progress.document = Some(DocumentChoice {
            kind: DocumentType::IdentityCard,
            country,
        });
    }
    let mut slots: Vec<(&str, Vec<u8>)> = vec![
        (hosted::SLOT_FRONT, samples_doc(0)),
        (hosted::SLOT_BACK, samples_doc(1)),
        (hosted::SLOT_SELFIE, super::samples::selfie()),
    ];
    for slot in Progress::company_slots(&ctx.user) {
        slots.push((slot, samples_doc(1)));
    }
    for (slot, png) in slots {
        let cleaned = match upload::clean_async(png.into(), false).await {
            Ok(c) => c,
            _ => return failure_page(&state, Failure::Busy, &headers),
        };
        match put_blob(&state, &ctx, slot, cleaned.bytes, cleaned.content_type, true).await {
            Ok(file) => {
                ctx.progress.files.insert(slot.to_owned(), file);
            }
            Err(()) => return failure_page(&state, Failure::Busy, &headers),
        }
    }
    if let Err(e) = state.store.save_progress(&ctx.session.id, &ctx.progress, now()).await {
        tracing::error!(error = %e, "cannot save sample documents");
        return failure_page(&state, Failure::Busy, &headers);
    }
    Redirect::to(&ctx.step_url(ctx.progress.resume_at(&ctx.user))).into_response()
}

fn samples_doc(side: u8) -> Vec<u8> {
    super::samples::document(side)
}
