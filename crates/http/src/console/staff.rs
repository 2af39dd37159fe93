//! Staff in the console: operators add staff, give roles, disable and enable accounts and reset
//! passwords; every staff member changes their own password and turns on authenticator codes
//! with a QR code. Every change is written to the audit log before it is made.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use base64::Engine as _;
use serde::Deserialize;
use verity_common::totp;
use verity_service::ServiceError;
use verity_service::back_office::{NewStaff, PasswordChange, Role};

use super::Staff;
use super::view::{Frame, date, forbidden, message, render, unavailable};
use crate::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/staff", get(staff_page).post(add))
        .route("/console/staff/{username}/{action}", post(change))
        .route("/console/account", get(account_page))
        .route("/console/account/password", post(change_password))
        .route("/console/account/totp", post(enrol_totp))
}

struct StaffRow {
    username: String,
    name: String,
    role: String,
    totp: bool,
    disabled: bool,
    since: String,
}

#[derive(Template)]
#[template(path = "console/staff.html", config = "templates/console/askama.toml")]
struct StaffPage {
    page: Frame,
    csrf: String,
    rows: Vec<StaffRow>,
    /// (role, what it may do).
    roles: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
}

async fn staff_page(State(state): State<AppState>, staff: Staff) -> Response {
    render_staff(&state, &staff, StatusCode::OK, None).await
}

async fn render_staff(state: &AppState, staff: &Staff, status: StatusCode, notice: Option<String>) -> Response {
    if !staff.role.can_operate() {
        return forbidden(staff, "Only operators manage staff.");
    }
    let list = match state.services.staff_list().await {
        Ok(l) => l,
        Err(e) => return unavailable(e),
    };
    let page = StaffPage {
        page: Frame::of(staff, "Staff"),
        csrf: staff.csrf.clone(),
        rows: list
            .into_iter()
            .map(|s| StaffRow {
                totp: s.totp_secret.is_some(),
                since: date(s.created_at),
                username: s.username,
                name: s.display_name,
                role: s.role,
                disabled: s.disabled,
            })
            .collect(),
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.describe())).collect(),
        notice,
    };
    render(status, &page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AddForm {
    csrf: String,
    username: String,
    name: String,
    role: String,
    password: String,
}

async fn add(State(state): State<AppState>, staff: Staff, Form(form): Form<AddForm>) -> Response {
    if !staff.sent(&form.csrf) {
        return staff.forged(&state, "staff_add", "", &form.username).await;
    }
    if !staff.role.can_operate() {
        return forbidden(&staff, "Only operators manage staff.");
    }
    let Some(role) = Role::parse(&form.role) else {
        return render_staff(&state, &staff, StatusCode::BAD_REQUEST, Some("Choose a role.".into())).await;
    };
    if form.name.trim().is_empty() {
        return render_staff(
            &state,
            &staff,
            StatusCode::BAD_REQUEST,
            Some("Give the person's name.".into()),
        )
        .await;
    }
    if let Some(problem) = verity_common::secrets::password_problem(&form.password) {
        return render_staff(
            &state,
            &staff,
            StatusCode::BAD_REQUEST,
            Some(format!("Not added: {problem}.")),
        )
        .await;
    }
    let detail = serde_json::json!({ "username": form.username, "role": role.as_str() });
    if let Err(r) = staff
        .audit(&state, "staff_add", None, Some(&form.username), detail)
        .await
    {
        return r;
    }
    let added = state
        .services
        .add_staff(NewStaff {
            username: form.username.trim().to_owned(),
            display_name: form.name.trim().to_owned(),
            role,
            password: form.password,
            totp: false,
        })
        .await;
    match added {
        Ok(_) => Redirect::to("/console/staff").into_response(),
        Err(ServiceError::Invalid(why)) => {
            render_staff(
                &state,
                &staff,
                StatusCode::BAD_REQUEST,
                Some(format!("Not added: {why}.")),
            )
            .await
        }
        Err(e) => unavailable(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChangeForm {
    csrf: String,
    role: String,
    password: String,
}

/// `disable`, `enable`, `role` or `password` (a reset) on another account.
async fn change(
    State(state): State<AppState>,
    staff: Staff,
    Path((username, action)): Path<(String, String)>,
    Form(form): Form<ChangeForm>,
) -> Response {
    if !staff.sent(&form.csrf) {
        return staff.forged(&state, "staff_change", "", &username).await;
    }
    if !staff.role.can_operate() {
        return forbidden(&staff, "Only operators manage staff.");
    }
    if username == staff.record.username && action != "password" {
        return render_staff(
            &state,
            &staff,
            StatusCode::BAD_REQUEST,
            Some("You cannot disable your own account or change your own role.".into()),
        )
        .await;
    }
    let role = Role::parse(&form.role);
    let detail = match action.as_str() {
        "disable" | "enable" => serde_json::json!({}),
        "role" if role.is_some() => serde_json::json!({ "role": form.role }),
        "password" => match verity_common::secrets::password_problem(&form.password) {
            None => serde_json::json!({}),
            Some(problem) => {
                return render_staff(
                    &state,
                    &staff,
                    StatusCode::BAD_REQUEST,
                    Some(format!("Not reset: {problem}.")),
                )
                .await;
            }
        },
        _ => return message(StatusCode::BAD_REQUEST, Some(&staff), "Not changed", "Unknown change."),
    };
    if let Err(r) = staff
        .audit(&state, &format!("staff_{action}"), None, Some(&username), detail)
        .await
    {
        return r;
    }
    let services = &state.services;
    let done = match (action.as_str(), role) {
        ("disable", _) => services.disable_staff(&username).await,
        ("enable", _) => services.enable_staff(&username).await,
        ("role", Some(role)) => services.set_staff_role(&username, role).await,
        _ => services.reset_staff_password(&username, &form.password).await,
    };
    match done {
        Ok(()) => Redirect::to("/console/staff").into_response(),
        Err(ServiceError::NotFound { .. }) => {
            render_staff(
                &state,
                &staff,
                StatusCode::NOT_FOUND,
                Some(format!("No staff member {username}.")),
            )
            .await
        }
        Err(e) => unavailable(e),
    }
}

#[derive(Template)]
#[template(path = "console/account.html", config = "templates/console/askama.toml")]
struct AccountPage {
    page: Frame,
    csrf: String,
    username: String,
    role: &'static str,
    totp_on: bool,
    /// A new secret to enrol, its QR code as a data: URI, and its text for typing.
    secret: String,
    qr: String,
    notice: Option<String>,
}

async fn account_page(State(state): State<AppState>, staff: Staff) -> Response {
    render_account(&state, &staff, StatusCode::OK, None)
}

fn render_account(_state: &AppState, staff: &Staff, status: StatusCode, notice: Option<String>) -> Response {
    let secret = totp::new_secret();
    let uri = totp::uri(&secret, &staff.record.username);
    // The QR code as an SVG image from the code's modules: no markup from input reaches the page.
    let svg = qrcode::QrCode::new(uri.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .build()
        })
        .unwrap_or_default();
    let qr = format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    );
    let page = AccountPage {
        page: Frame::of(staff, "Your account"),
        csrf: staff.csrf.clone(),
        username: staff.record.username.clone(),
        role: staff.role.as_str(),
        totp_on: staff.record.totp_secret.is_some(),
        secret,
        qr,
        notice,
    };
    render(status, &page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    again: String,
}

async fn change_password(State(state): State<AppState>, staff: Staff, Form(form): Form<PasswordForm>) -> Response {
    if !staff.sent(&form.csrf) {
        return staff
            .forged(&state, "password_change", "", &staff.record.username)
            .await;
    }
    if form.new != form.again {
        let notice = "The two new passwords differ. Nothing was changed.".to_owned();
        return render_account(&state, &staff, StatusCode::BAD_REQUEST, Some(notice));
    }
    match state
        .services
        .change_own_password(&staff, &form.current, &form.new)
        .await
    {
        Ok(PasswordChange::Done) => {
            let me = staff.record.username.clone();
            if let Err(r) = staff
                .audit(&state, "password_change", None, Some(&me), serde_json::json!({}))
                .await
            {
                return r;
            }
            render_account(
                &state,
                &staff,
                StatusCode::OK,
                Some("Your password was changed.".into()),
            )
        }
        Ok(PasswordChange::WrongPassword) => {
            let notice = "The current password is wrong. Nothing was changed.".to_owned();
            render_account(&state, &staff, StatusCode::BAD_REQUEST, Some(notice))
        }
        Ok(PasswordChange::Weak(why)) => render_account(
            &state,
            &staff,
            StatusCode::BAD_REQUEST,
            Some(format!("Not changed: {why}.")),
        ),
        Err(e) => unavailable(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TotpForm {
    csrf: String,
    secret: String,
    code: String,
}

async fn enrol_totp(State(state): State<AppState>, staff: Staff, Form(form): Form<TotpForm>) -> Response {
    if !staff.sent(&form.csrf) {
        return staff.forged(&state, "totp_enrol", "", &staff.record.username).await;
    }
    match state.services.enrol_totp(&staff, &form.secret, form.code.trim()).await {
        Ok(true) => {
            let me = staff.record.username.clone();
            if let Err(r) = staff
                .audit(&state, "totp_enrol", None, Some(&me), serde_json::json!({}))
                .await
            {
                return r;
            }
            Redirect::to("/console/account?enrolled=1").into_response()
        }
        Ok(false) => {
            let notice = "That code is not the one your app shows for this secret. Scan the new code and try again.";
            render_account(&state, &staff, StatusCode::BAD_REQUEST, Some(notice.into()))
        }
        Err(e) => unavailable(e),
    }
}
