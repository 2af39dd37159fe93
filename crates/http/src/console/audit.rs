//! The audit log for operators and auditors: searched on a page (the latest thousand matches)
//! or exported whole as CSV; every reading is itself recorded.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use verity_store::AuditEntry;

use super::Staff;
use super::view::{Frame, date, forbidden, render, unavailable};
use crate::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/audit", get(audit_page))
        .route("/console/audit.csv", get(audit_csv))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AuditQuery {
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "console/audit.html", config = "templates/console/askama.toml")]
struct AuditPage {
    page: Frame,
    query: String,
    query_encoded: String,
    entries: Vec<Row>,
}

struct Row {
    /// "date (unix time)".
    when: String,
    entry: AuditEntry,
}

/// The entries matching the search, once the reading is recorded.
async fn audit_rows(state: &AppState, staff: &Staff, q: &AuditQuery, limit: u32) -> Result<Vec<AuditEntry>, Response> {
    if !staff.role.can_read_audit() {
        return Err(forbidden(staff, "Your role cannot read the audit log."));
    }
    let text = q.q.as_deref();
    let entries = state.services.audit_entries(text, limit).await.map_err(unavailable)?;
    staff
        .audit(state, "read_audit_log", None, None, serde_json::json!({"q": text}))
        .await?;
    Ok(entries)
}

async fn audit_page(State(state): State<AppState>, staff: Staff, Query(q): Query<AuditQuery>) -> Response {
    // The page shows the latest thousand; the export has every match.
    let entries = match audit_rows(&state, &staff, &q, 1000).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    let query = q.q.unwrap_or_default();
    let page = AuditPage {
        page: Frame::of(&staff, "Audit log"),
        query_encoded: percent_encoding::utf8_percent_encode(&query, percent_encoding::NON_ALPHANUMERIC).to_string(),
        query,
        entries: entries
            .into_iter()
            .map(|entry| Row {
                when: format!("{} ({})", date(entry.at), entry.at),
                entry,
            })
            .collect(),
    };
    render(StatusCode::OK, &page)
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

async fn audit_csv(State(state): State<AppState>, staff: Staff, Query(q): Query<AuditQuery>) -> Response {
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
