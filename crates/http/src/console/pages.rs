//! Console pages, server-rendered: sign-in, the review queue, a session with its evidence and
//! images, the decision, and the audit log.

use std::collections::HashMap;

use axum::Form;
use axum::Router;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::json;
use std::net::SocketAddr;
use verity_domain::hosted::{Progress, format_date};
use verity_domain::session::SessionStatus;
use verity_domain::user::Person;
use verity_domain::{ClientId, IdvSession, SessionId, User};
use verity_service::lifecycle::Verdict;

use super::{COOKIE, LOGIN_COOKIE, Staff, cookie_value, set_cookie, sign_in};
use crate::hosted::esc;
use crate::{AppState, now, random_token, sha256_hex};

/// How long a reviewer's claim on a session keeps others from deciding it.
const CLAIM_SECONDS: i64 = 15 * 60;

pub fn routes() -> axum::Router<AppState> {
    Router::new()
        .route("/console", get(|| async { Redirect::to("/console/reviews") }))
        .route("/console/login", get(login_page).post(login))
        .route("/console/logout", post(logout))
        .route("/console/reviews", get(queue))
        .route("/console/clients/{client}/sessions/{id}", get(session_page))
        .route("/console/clients/{client}/sessions/{id}/files/{slot}", get(file))
        .route("/console/clients/{client}/sessions/{id}/decide", post(decide))
        .route("/console/clients/{client}/sessions/{id}/redact", post(redact))
        .merge(super::platform::routes())
        .route("/console/audit", get(audit_page))
        .route("/console/audit.csv", get(audit_csv))
        .route(
            "/console/static/console.css",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
                    include_str!("../../static/console.css"),
                )
            }),
        )
        .layer(axum::middleware::from_fn(super::headers))
}

pub(super) fn layout(title: &str, staff: Option<&Staff>, body: &str) -> Html<String> {
    let nav = match staff {
        Some(s) => {
            let audit = if s.role.can_read_audit() {
                "<a href=\"/console/audit\">Audit log</a>"
            } else {
                ""
            };
            format!(
                "<nav aria-label=\"Console\"><a href=\"/console/reviews\">Review queue</a>{audit}\
                 <span class=\"who\">{} ({})</span>\
                 <form method=\"post\" action=\"/console/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">Sign out</button></form></nav>",
                esc(&s.record.display_name),
                s.role.as_str(),
                esc(&s.csrf)
            )
        }
        None => String::new(),
    };
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Verity console</title><link rel=\"stylesheet\" href=\"/console/static/console.css\"></head>\
         <body><header><p class=\"brand\">Verity console</p>{nav}</header><main id=\"main\"><h1>{}</h1>{body}</main></body></html>",
        esc(title),
        esc(title)
    ))
}

pub fn error_page(status: StatusCode, message: &str) -> Response {
    (
        status,
        layout(
            "Something went wrong",
            None,
            &format!("<p role=\"alert\">{}</p>", esc(message)),
        ),
    )
        .into_response()
}

pub(super) fn forbidden(staff: &Staff, message: &str) -> Response {
    (
        StatusCode::FORBIDDEN,
        layout(
            "Not allowed",
            Some(staff),
            &format!("<p role=\"alert\">{}</p>", esc(message)),
        ),
    )
        .into_response()
}

pub(super) fn unavailable(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "console storage error");
    error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "The console cannot reach its storage; try again.",
    )
}

pub(super) fn date(ts: i64) -> String {
    format_date(ts)
}

async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    login_form(&state, &headers, None)
}

fn login_form(state: &AppState, headers: &HeaderMap, error: Option<&str>) -> Response {
    // Double-submit token: the form's hidden field must match this cookie.
    let token = cookie_value(headers, LOGIN_COOKIE)
        .filter(|t| t.len() >= 32)
        .unwrap_or_else(random_token);
    let alert = error
        .map(|e| format!("<p role=\"alert\" class=\"error\">{}</p>", esc(e)))
        .unwrap_or_default();
    let body = format!(
        "{alert}<form method=\"post\" action=\"/console/login\" class=\"card\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{token}\">\
         <label for=\"username\">Username</label><input id=\"username\" name=\"username\" autocomplete=\"username\" required>\
         <label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
         <label for=\"code\">Authenticator code (if enabled)</label><input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\">\
         <button type=\"submit\">Sign in</button></form>"
    );
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let mut response = (status, layout("Sign in", None, &body)).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(state, LOGIN_COOKIE, &token, 3600));
    response
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let expected = cookie_value(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.len() < 32 || field("csrf") != expected {
        return login_form(&state, &headers, Some("The form expired; please sign in again."));
    }
    // Besides the per-account lock, an address that fails often is slowed down (its own
    // counter: the API's token endpoint keeps another).
    static GUARD: std::sync::OnceLock<crate::auth::LoginGuard> = std::sync::OnceLock::new();
    let guard = GUARD.get_or_init(|| crate::auth::LoginGuard::new(20, 15 * 60));
    let Some(attempt) = guard.begin(peer.ip(), now()) else {
        return login_form(
            &state,
            &headers,
            Some("Too many failed attempts from this address; wait a few minutes."),
        );
    };
    match sign_in(
        &state,
        field("username").trim(),
        field("password"),
        field("code"),
        Some(peer.ip().to_string()),
    )
    .await
    {
        Ok(response) => {
            attempt.succeeded();
            response
        }
        Err(message) => {
            attempt.failed(now());
            login_form(&state, &headers, Some(message))
        }
    }
}

async fn logout(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if form.get("csrf") != Some(&staff.csrf) {
        return forbidden(&staff, "The form is not valid (anti-forgery check failed).");
    }
    if let Some(token) = cookie_value(&headers, COOKIE) {
        let _ = state.store.delete_staff_session(&sha256_hex(&token)).await;
    }
    let _ = staff.audit(&state, "logout", None, None, json!({})).await;
    let mut response = Redirect::to("/console/login").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(&state, COOKIE, "", 0));
    response
}

fn user_kind(user: &User) -> &'static str {
    match &user.person {
        Person::Natural(_) => "NATURAL",
        Person::Legal(l) => l.legal_person_type.as_str(),
    }
}

async fn queue(State(state): State<AppState>, staff: Staff, Query(q): Query<HashMap<String, String>>) -> Response {
    let client = q
        .get("client")
        .filter(|c| !c.is_empty())
        .map(|c| ClientId::from_raw(c.clone()));
    let kind = q.get("type").filter(|t| !t.is_empty()).cloned();
    let sessions = match state.store.review_queue(client.as_ref(), 200).await {
        Ok(s) => s,
        Err(e) => return unavailable(e),
    };
    let mut rows = String::new();
    for s in sessions {
        let Ok(Some(user)) = state.store.user(&s.client_id, &s.user_id).await else {
            continue;
        };
        let k = user_kind(&user);
        if kind.as_deref().is_some_and(|want| want != k) {
            continue;
        }
        rows.push_str(&format!(
            "<tr><td><a href=\"/console/clients/{c}/sessions/{id}\">{id}</a></td><td>{c}</td><td>{k}</td><td>{}</td></tr>",
            date(s.updated_at.unwrap_or(s.created_at)),
            c = esc(s.client_id.as_str()),
            id = esc(s.id.as_str()),
        ));
    }
    let options = |current: Option<&str>| {
        ["", "NATURAL", "SOLETRADER", "BUSINESS", "ORGANIZATION"]
            .iter()
            .map(|t| {
                let selected = if current == Some(*t) || (current.is_none() && t.is_empty()) {
                    " selected"
                } else {
                    ""
                };
                format!(
                    "<option value=\"{t}\"{selected}>{}</option>",
                    if t.is_empty() { "All user types" } else { t }
                )
            })
            .collect::<String>()
    };
    let banner = super::invalid_hooks_banner(&state).await;
    let body = format!(
        "{banner}<form method=\"get\" class=\"filters\"><label for=\"client\">Client</label><input id=\"client\" name=\"client\" value=\"{}\">\
         <label for=\"type\">User type</label><select id=\"type\" name=\"type\">{}</select><button type=\"submit\">Filter</button></form>\
         {}",
        esc(client.as_ref().map_or("", |c| c.as_str())),
        options(kind.as_deref()),
        if rows.is_empty() {
            "<p>No session is waiting for review.</p>".to_owned()
        } else {
            format!(
                "<table><caption>Sessions in review, oldest first</caption><thead><tr><th scope=\"col\">Session</th><th scope=\"col\">Client</th><th scope=\"col\">User type</th><th scope=\"col\">Waiting since</th></tr></thead><tbody>{rows}</tbody></table>"
            )
        }
    );
    layout("Review queue", Some(&staff), &body).into_response()
}

struct Loaded {
    session: IdvSession,
    user: User,
    progress: Option<Progress>,
}

async fn load(state: &AppState, client: &str, id: &str) -> Result<Option<Loaded>, Response> {
    let client = ClientId::from_raw(client.to_owned());
    let Some(session) = state
        .store
        .session(&client, &SessionId::from_raw(id.to_owned()))
        .await
        .map_err(unavailable)?
    else {
        return Ok(None);
    };
    let Some(user) = state.store.user(&client, &session.user_id).await.map_err(unavailable)? else {
        return Ok(None);
    };
    let progress = state.store.progress(&session.id).await.map_err(unavailable)?;
    Ok(Some(Loaded {
        session,
        user,
        progress,
    }))
}

fn dl(items: &[(&str, String)]) -> String {
    let rows: String = items
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("<dt>{}</dt><dd>{}</dd>", esc(k), esc(v)))
        .collect();
    format!("<dl>{rows}</dl>")
}

pub(super) fn user_section(user: &User) -> String {
    let birthday = |b: Option<i64>| b.map(date).unwrap_or_default();
    match &user.person {
        Person::Natural(n) => dl(&[
            ("Type", "Natural person".into()),
            ("First name", n.first_name.clone()),
            ("Last name", n.last_name.clone()),
            ("Birthday", birthday(n.birthday)),
            ("Nationality", n.nationality.clone().unwrap_or_default()),
            ("Email", n.email.clone()),
            ("KYC level", user.kyc_level.as_str().into()),
        ]),
        Person::Legal(l) => dl(&[
            ("Type", l.legal_person_type.as_str().into()),
            ("Name", l.name.clone()),
            ("Company number", l.company_number.clone().unwrap_or_default()),
            (
                "Legal representative",
                format!(
                    "{} {}",
                    l.legal_representative.first_name, l.legal_representative.last_name
                ),
            ),
            ("Representative's birthday", birthday(l.legal_representative.birthday)),
            ("Email", l.email.clone()),
            ("KYC level", user.kyc_level.as_str().into()),
        ]),
    }
}

fn progress_section(progress: Option<&Progress>) -> String {
    let Some(p) = progress else {
        return "<p>Nothing was entered in the hosted pages.</p>".into();
    };
    let mut out = String::new();
    if let Some(person) = &p.personal {
        out.push_str("<h3>Person</h3>");
        out.push_str(&dl(&[
            ("First name", person.first_name.clone()),
            ("Last name", person.last_name.clone()),
            ("Birth date", person.birth_date.clone()),
            ("Nationality", person.nationality.clone()),
        ]));
    }
    if let Some(b) = &p.business {
        out.push_str("<h3>Company</h3>");
        out.push_str(&dl(&[
            ("Country", b.country.clone()),
            ("Registration number", b.registration_number.clone()),
            ("Name", b.name.clone()),
            ("Address", format!("{}, {} {}", b.address_line1, b.postal_code, b.city)),
        ]));
    }
    if !p.owners.is_empty() {
        out.push_str("<h3>Declared beneficial owners</h3><ul>");
        for o in &p.owners {
            out.push_str(&format!(
                "<li>{} {}, born {}, {}, {}%</li>",
                esc(&o.first_name),
                esc(&o.last_name),
                esc(&o.birth_date),
                esc(&o.nationality),
                o.share
            ));
        }
        out.push_str("</ul>");
    }
    if let Some(d) = &p.document {
        out.push_str(&dl(&[(
            "Document",
            format!("{} issued in {}", d.kind.as_str(), d.country),
        )]));
    }
    out
}

/// The declared beneficial owners and representative next to what the registry says.
fn registry_section(progress: Option<&Progress>, user: &User, evidence: Option<&serde_json::Value>) -> String {
    let record = evidence.and_then(|e| e["inputs"]["registry"]["Found"]["record"].as_object());
    let registry = evidence
        .and_then(|e| e["inputs"]["registry"].as_object())
        .and_then(|r| r.keys().next().cloned());
    let Some(registry) = registry else {
        return String::new();
    };
    let list = |items: Vec<String>| -> String {
        if items.is_empty() {
            "<p>None</p>".to_owned()
        } else {
            format!(
                "<ul>{}</ul>",
                items.iter().map(|i| format!("<li>{}</li>", esc(i))).collect::<String>()
            )
        }
    };
    let names = |key: &str| -> Vec<String> {
        record
            .and_then(|r| r.get(key))
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    let declared_owners: Vec<String> = progress
        .map(|p| {
            p.owners
                .iter()
                .map(|o| format!("{} {} ({}%)", o.first_name, o.last_name, o.share))
                .collect()
        })
        .unwrap_or_default();
    let representative = match &user.person {
        Person::Legal(l) => format!(
            "{} {}",
            l.legal_representative.first_name, l.legal_representative.last_name
        ),
        Person::Natural(_) => String::new(),
    };
    let registered = record.map_or("not found".to_owned(), |r| {
        format!(
            "{} ({}, {})",
            r.get("name").and_then(|v| v.as_str()).unwrap_or(""),
            r.get("number").and_then(|v| v.as_str()).unwrap_or(""),
            if r.get("active").and_then(|v| v.as_bool()).unwrap_or(false) {
                "active"
            } else {
                "closed"
            }
        )
    });
    format!(
        "<table><caption>Declared and registered ({})</caption><thead><tr><th scope=\"col\"></th><th scope=\"col\">Declared in the session</th><th scope=\"col\">Registry</th></tr></thead><tbody>\
         <tr><th scope=\"row\">Company</th><td>{}</td><td>{}</td></tr>\
         <tr><th scope=\"row\">Representative / directors</th><td>{}</td><td>{}</td></tr>\
         <tr><th scope=\"row\">Beneficial owners</th><td>{}</td><td>{}</td></tr></tbody></table>",
        esc(&registry),
        esc(&progress
            .and_then(|p| p.business.as_ref())
            .map(|b| format!("{} ({})", b.name, b.registration_number))
            .unwrap_or_default()),
        esc(&registered),
        esc(&representative),
        list(names("officers")),
        list(declared_owners),
        list(names("owners")),
    )
}

fn checks_section(session: &IdvSession, evidence: Option<&serde_json::Value>) -> String {
    let mut out = String::from(
        "<table><caption>Checks</caption><thead><tr><th scope=\"col\">Check</th><th scope=\"col\">Status</th><th scope=\"col\">Reasons</th></tr></thead><tbody>",
    );
    for c in &session.checks {
        let reasons: Vec<String> = c
            .reasons
            .iter()
            .map(|r| format!("{}: {}", r.kind, r.value.clone().unwrap_or_default()))
            .collect();
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.kind),
            esc(&c.status),
            esc(&reasons.join("; "))
        ));
    }
    out.push_str("</tbody></table>");
    if let Some(ev) = evidence {
        out.push_str("<h3>Evidence</h3>");
        for check in ev["checks"].as_array().into_iter().flatten() {
            let mut rules = String::new();
            for e in check["evidence"].as_array().into_iter().flatten() {
                rules.push_str(&format!(
                    "<tr><td>{}</td><td class=\"verdict-{}\">{}</td><td><code>{}</code></td></tr>",
                    esc(e["rule"].as_str().unwrap_or("")),
                    esc(e["verdict"].as_str().unwrap_or("")),
                    esc(e["verdict"].as_str().unwrap_or("")),
                    esc(&e["detail"].to_string())
                ));
            }
            out.push_str(&format!(
                "<details open><summary>{}</summary><table><thead><tr><th scope=\"col\">Rule</th><th scope=\"col\">Verdict</th><th scope=\"col\">Values</th></tr></thead><tbody>{rules}</tbody></table></details>",
                esc(check["kind"].as_str().unwrap_or(""))
            ));
        }
    }
    out
}

async fn session_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, id)): Path<(String, String)>,
) -> Response {
    let loaded = match load(&state, &client, &id).await {
        Ok(Some(l)) => l,
        Ok(None) => return error_page(StatusCode::NOT_FOUND, "No such session."),
        Err(r) => return r,
    };
    if let Err(r) = staff
        .audit(&state, "view_session", Some(&client), Some(&id), json!({}))
        .await
    {
        return r;
    }
    let evidence = match state.store.evidence(&loaded.session.id).await {
        Ok(e) => e.and_then(|e| serde_json::from_str::<serde_json::Value>(&e).ok()),
        Err(e) => return unavailable(e),
    };
    let base = format!("/console/clients/{}/sessions/{}", esc(&client), esc(&id));
    let filter = verity_store::EventFilter {
        resource: Some(id.clone()),
        ..Default::default()
    };
    let page = verity_store::PageRequest {
        page: 1,
        per_page: 100,
        direction: verity_store::SortDirection::Asc,
    };
    let history: String = match state.store.events(&loaded.session.client_id, &filter, page).await {
        Ok(events) => events
            .items
            .iter()
            .map(|e| format!("<li>{} {}</li>", date(e.date), esc(&e.event_type)))
            .collect(),
        Err(e) => return unavailable(e),
    };
    let mut files = String::new();
    for (slot, file) in loaded.progress.iter().flat_map(|p| p.files.iter()) {
        if file.content_type.starts_with("image/") {
            files.push_str(&format!(
                "<figure><img src=\"{base}/files/{s}\" alt=\"{s} uploaded by the user\" width=\"480\"><figcaption>{s}</figcaption></figure>",
                s = esc(slot)
            ));
        } else {
            files.push_str(&format!(
                "<p><a href=\"{base}/files/{s}\">{s} ({})</a></p>",
                esc(&file.content_type),
                s = esc(slot)
            ));
        }
    }
    let decision = if loaded.session.status != SessionStatus::Review {
        format!(
            "<p>This session is {}; there is nothing to decide.</p>",
            loaded.session.status.as_str()
        )
    } else if !staff.role.can_decide() {
        "<p>Your role can read this session but not decide it.</p>".to_owned()
    } else {
        let holder = match state
            .store
            .claim_review(&loaded.session.id, &staff.record.id, now(), now() - CLAIM_SECONDS)
            .await
        {
            Ok(h) => h,
            Err(e) => return unavailable(e),
        };
        if holder != staff.record.id {
            "<p role=\"status\">Another reviewer is deciding this session.</p>".to_owned()
        } else {
            let reasons: String = verity_domain::sandbox::REASONS
                .iter()
                .flat_map(|(check, rs)| rs.iter().map(move |r| (*check, *r)))
                .map(|(check, r)| format!("<option value=\"{r}@{check}\">{r} ({check})</option>"))
                .collect();
            format!(
                "<div class=\"decide\"><form method=\"post\" action=\"{base}/decide\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <input type=\"hidden\" name=\"action\" value=\"approve\"><input type=\"hidden\" name=\"version\" value=\"{v}\"><button type=\"submit\">Approve</button></form>\
                 <form method=\"post\" action=\"{base}/decide\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"action\" value=\"refuse\">\
                 <input type=\"hidden\" name=\"version\" value=\"{v}\">\
                 <label for=\"reason\">Refusal reason</label><select id=\"reason\" name=\"reason\">{reasons}</select>\
                 <label for=\"comment\">Comment (the platform sees it)</label><textarea id=\"comment\" name=\"comment\" required maxlength=\"255\"></textarea>\
                 <button type=\"submit\" class=\"danger\">Refuse</button></form></div>",
                csrf = esc(&staff.csrf),
                v = loaded.session.version,
            )
        }
    };
    let redaction = if staff.role == super::Role::Operator {
        format!(
            "<section aria-labelledby=\"h-redact\"><h2 id=\"h-redact\">Redaction</h2>\
             <form method=\"post\" action=\"{base}/redact\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <p>Erases the entered data, the documents and selfie, and the values read from them. The status, the checks and the audit trail stay.</p>\
             <button type=\"submit\" class=\"danger\">Redact personal data</button></form></section>",
            esc(&staff.csrf)
        )
    } else {
        String::new()
    };
    let (client_e, user_e) = (esc(&client), esc(loaded.user.id.as_str()));
    let body = format!(
        "<p>Status <strong>{}</strong> · client <a href=\"/console/clients/{client_e}\">{client_e}</a> · user <a href=\"/console/clients/{client_e}/users/{user_e}\">{user_e}</a></p>\
         <section aria-labelledby=\"h-decision\"><h2 id=\"h-decision\">Decision</h2>{decision}</section>{redaction}\
         <section aria-labelledby=\"h-user\"><h2 id=\"h-user\">User</h2>{}</section>\
         <section aria-labelledby=\"h-entered\"><h2 id=\"h-entered\">Entered in the session</h2>{}</section>\
         <section aria-labelledby=\"h-checks\"><h2 id=\"h-checks\">Checks</h2>{}</section>\
         <section aria-labelledby=\"h-history\"><h2 id=\"h-history\">History</h2><ul>{history}</ul></section>\
         <section aria-labelledby=\"h-files\"><h2 id=\"h-files\">Documents and selfie</h2>{}</section>",
        loaded.session.status.as_str(),
        user_section(&loaded.user),
        progress_section(loaded.progress.as_ref()),
        format!(
            "{}{}",
            registry_section(loaded.progress.as_ref(), &loaded.user, evidence.as_ref()),
            checks_section(&loaded.session, evidence.as_ref())
        ),
        if files.is_empty() {
            "<p>No file was uploaded.</p>".to_owned()
        } else {
            files
        },
    );
    layout(&format!("Session {id}"), Some(&staff), &body).into_response()
}

async fn file(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, id, slot)): Path<(String, String, String)>,
) -> Response {
    let loaded = match load(&state, &client, &id).await {
        Ok(Some(l)) => l,
        Ok(None) => return error_page(StatusCode::NOT_FOUND, "No such session."),
        Err(r) => return r,
    };
    let Some(file) = loaded.progress.as_ref().and_then(|p| p.files.get(&slot)).cloned() else {
        return error_page(StatusCode::NOT_FOUND, "No such file.");
    };
    // Audited before anything is decrypted: no view without its record.
    if let Err(r) = staff
        .audit(&state, "view_file", Some(&client), Some(&id), json!({"slot": slot}))
        .await
    {
        return r;
    }
    let meta = match state.store.blob(&file.blob_id).await {
        Ok(Some(m)) => m,
        Ok(None) => return error_page(StatusCode::NOT_FOUND, "The file is gone (redacted or purged)."),
        Err(e) => return unavailable(e),
    };
    let sealed = match state.blobs.get(&file.blob_id).await {
        Ok(Some(b)) => b,
        Ok(None) => return error_page(StatusCode::NOT_FOUND, "The file is gone (redacted or purged)."),
        Err(e) => return unavailable(e),
    };
    let Ok(bytes) = state.sealer.open_blob(&sealed, &meta.wrapped_key, &file.blob_id) else {
        return error_page(StatusCode::INTERNAL_SERVER_ERROR, "The file cannot be decrypted.");
    };
    let (body, content_type) = if file.content_type.starts_with("image/") {
        let mark = format!("{} · {} · {}", staff.record.display_name, verity_service::now(), id);
        match tokio::task::spawn_blocking(move || watermark(&bytes, &mark)).await {
            Ok(Some(jpeg)) => (jpeg, "image/jpeg".to_owned()),
            _ => return error_page(StatusCode::INTERNAL_SERVER_ERROR, "The image cannot be shown."),
        }
    } else {
        (bytes, file.content_type.clone())
    };
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
    response
}

/// The image with the viewer's name and the time written across it, as JPEG.
fn watermark(bytes: &[u8], mark: &str) -> Option<Vec<u8>> {
    let mut image = image::load_from_memory(bytes).ok()?.to_rgb8();
    // The font is parsed once, not on every image view.
    static PAINTER: std::sync::OnceLock<verity_corpus::Painter> = std::sync::OnceLock::new();
    let painter = PAINTER.get_or_init(verity_corpus::Painter::new);
    let (w, h) = (image.width() as f32, image.height() as f32);
    let size = (h / 28.0).max(10.0);
    for row in 1..4 {
        let y = h * row as f32 / 4.0;
        painter.text(&mut image, mark, w * 0.04, y, size, [220, 40, 40], None);
    }
    Some(verity_corpus::photo::jpeg(&image, 88))
}

async fn decide(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, id)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    if field("csrf") != staff.csrf {
        let _ = staff
            .audit(
                &state,
                "forged_request",
                Some(&client),
                Some(&id),
                json!({"form": "decide"}),
            )
            .await;
        return forbidden(
            &staff,
            "The form is not valid (anti-forgery check failed). Nothing was done.",
        );
    }
    if !staff.role.can_decide() {
        let _ = staff
            .audit(
                &state,
                "decision_refused",
                Some(&client),
                Some(&id),
                json!({"role": staff.role.as_str()}),
            )
            .await;
        return forbidden(&staff, "Your role cannot decide sessions.");
    }
    let session_id = SessionId::from_raw(id.clone());
    let holder = match state
        .store
        .claim_review(&session_id, &staff.record.id, now(), now() - CLAIM_SECONDS)
        .await
    {
        Ok(h) => h,
        Err(e) => return unavailable(e),
    };
    if holder != staff.record.id {
        return (
            StatusCode::CONFLICT,
            layout(
                "Not decided",
                Some(&staff),
                "<p role=\"alert\">Another reviewer is deciding this session. Nothing was done.</p>",
            ),
        )
            .into_response();
    }
    let verdict = match field("action") {
        "approve" => Verdict::Approve,
        "refuse" => {
            let (reason, check) = field("reason").split_once('@').unwrap_or((field("reason"), ""));
            let comment = field("comment").trim();
            if comment.is_empty() {
                return (
                    StatusCode::BAD_REQUEST,
                    layout(
                        "Not decided",
                        Some(&staff),
                        "<p role=\"alert\">A refusal needs a comment: the platform sees it as the reason's value.</p>",
                    ),
                )
                    .into_response();
            }
            Verdict::Refuse {
                reason: reason.to_owned(),
                check: (!check.is_empty()).then(|| check.to_owned()),
                comment: comment.chars().take(255).collect(),
            }
        }
        _ => return error_page(StatusCode::BAD_REQUEST, "Unknown action."),
    };
    let detail = match &verdict {
        Verdict::Approve => json!({"verdict": "approve"}),
        Verdict::Refuse { reason, check, comment } => {
            json!({"verdict": "refuse", "reason": reason, "check": check, "comment": comment})
        }
    };
    match state
        .services
        .review(&ClientId::from_raw(client.clone()), &session_id, verdict)
        .await
    {
        Ok(session) => {
            if let Err(r) = staff.audit(&state, "decide", Some(&client), Some(&id), detail).await {
                return r;
            }
            tracing::info!(session = %id, status = session.status.as_str(), reviewer = %staff.record.username, "session decided in the console");
            Redirect::to(&format!("/console/clients/{client}/sessions/{id}")).into_response()
        }
        Err(e) => (
            StatusCode::CONFLICT,
            layout(
                "Not decided",
                Some(&staff),
                &format!("<p role=\"alert\">{}</p>", esc(&e.to_string())),
            ),
        )
            .into_response(),
    }
}

async fn redact(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, id)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if form.get("csrf") != Some(&staff.csrf) {
        let _ = staff
            .audit(
                &state,
                "forged_request",
                Some(&client),
                Some(&id),
                json!({"form": "redact"}),
            )
            .await;
        return forbidden(
            &staff,
            "The form is not valid (anti-forgery check failed). Nothing was done.",
        );
    }
    if staff.role != super::Role::Operator {
        return forbidden(&staff, "Only operators redact sessions.");
    }
    if let Err(r) = staff
        .audit(&state, "redact", Some(&client), Some(&id), json!({"scope": "all"}))
        .await
    {
        return r;
    }
    let client_id = ClientId::from_raw(client.clone());
    match state
        .services
        .redact(
            state.blobs.as_ref(),
            &client_id,
            &SessionId::from_raw(id.clone()),
            verity_service::redaction::Scope::All,
        )
        .await
    {
        Ok(_) => Redirect::to(&format!("/console/clients/{client}/sessions/{id}")).into_response(),
        Err(e) => unavailable(e),
    }
}

async fn audit_rows(
    state: &AppState,
    staff: &Staff,
    q: &HashMap<String, String>,
    limit: u32,
) -> Result<Vec<verity_store::AuditEntry>, Response> {
    if !staff.role.can_read_audit() {
        return Err(forbidden(staff, "Your role cannot read the audit log."));
    }
    let text = q.get("q").map(String::as_str);
    let entries = state.store.audit_entries(text, limit).await.map_err(unavailable)?;
    staff
        .audit(state, "read_audit_log", None, None, json!({"q": text}))
        .await?;
    Ok(entries)
}

async fn audit_page(State(state): State<AppState>, staff: Staff, Query(q): Query<HashMap<String, String>>) -> Response {
    // The page shows the latest thousand; the export has every match.
    let entries = match audit_rows(&state, &staff, &q, 1000).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    let rows: String = entries
        .iter()
        .map(|e| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                esc(&format!("{} ({})", date(e.at), e.at)),
                esc(&e.username),
                esc(&e.action),
                esc(e.client_id.as_deref().unwrap_or("")),
                esc(e.target.as_deref().unwrap_or("")),
                esc(&e.detail)
            )
        })
        .collect();
    let query = q.get("q").cloned().unwrap_or_default();
    let body = format!(
        "<form method=\"get\" class=\"filters\"><label for=\"q\">Search</label><input id=\"q\" name=\"q\" value=\"{}\"><button type=\"submit\">Search</button>\
         <a href=\"/console/audit.csv?q={}\">Export CSV</a></form>\
         <table><caption>Audit log, newest first</caption><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Who</th><th scope=\"col\">Action</th><th scope=\"col\">Client</th><th scope=\"col\">Target</th><th scope=\"col\">Detail</th></tr></thead><tbody>{rows}</tbody></table>",
        esc(&query),
        percent_encoding::utf8_percent_encode(&query, percent_encoding::NON_ALPHANUMERIC)
    );
    layout("Audit log", Some(&staff), &body).into_response()
}

fn csv_field(v: &str) -> String {
    // Quoted, and never read as a formula by a spreadsheet.
    let v = if v.starts_with(['=', '+', '-', '@']) {
        format!("'{v}")
    } else {
        v.to_owned()
    };
    format!("\"{}\"", v.replace('"', "\"\""))
}

async fn audit_csv(State(state): State<AppState>, staff: Staff, Query(q): Query<HashMap<String, String>>) -> Response {
    let entries = match audit_rows(&state, &staff, &q, u32::MAX).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    let mut out = String::from("id,at,username,action,client_id,target,detail,address\r\n");
    for e in entries {
        let line = [
            e.id,
            e.at.to_string(),
            e.username,
            e.action,
            e.client_id.unwrap_or_default(),
            e.target.unwrap_or_default(),
            e.detail,
            e.address.unwrap_or_default(),
        ]
        .iter()
        .map(|v| csv_field(v))
        .collect::<Vec<_>>()
        .join(",");
        out.push_str(&line);
        out.push_str("\r\n");
    }
    let mut response = out.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"verity-audit.csv\""),
    );
    response
}
