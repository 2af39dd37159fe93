//! The review queue: sessions waiting for a decision (or any session, searched), with filters,
//! counts and pages, how long each has waited against the SLA, who holds it, and "work next".

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use verity_domain::ClientId;
use verity_domain::hosted::parse_date;
use verity_service::Services;
use verity_store::{InvalidHook, QueueEntry, QueueFilter};

use super::view::{Frame, duration, render, time_of_day, unavailable};
use super::{CsrfForm, Staff};
use crate::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/reviews", get(queue))
        .route("/console/next", post(next))
}

/// Sessions a queue page lists.
const PER_PAGE: u32 = 50;
/// A session waiting longer than this is due soon (amber), in seconds.
pub(super) const SLA_DUE: i64 = 4 * 3600;
/// A session waiting longer than this is over the SLA (red), in seconds.
pub(super) const SLA_LATE: i64 = 24 * 3600;

const STATUSES: [&str; 7] = ["REVIEW", "", "PENDING", "VALIDATED", "REFUSED", "OUTDATED", "TIMEOUT"];
const USER_TYPES: [&str; 5] = ["", "NATURAL", "SOLETRADER", "BUSINESS", "ORGANIZATION"];
const ENVIRONMENTS: [&str; 3] = ["", "sandbox", "production"];

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct QueueQuery {
    q: String,
    status: Option<String>,
    client: String,
    env: String,
    #[serde(rename = "type")]
    user_type: String,
    check: String,
    reason: String,
    from: String,
    to: String,
    mine: String,
    page: Option<u32>,
}

impl QueueQuery {
    fn status(&self) -> &str {
        self.status.as_deref().unwrap_or("REVIEW")
    }

    /// The query string of this filter on another page.
    fn with_page(&self, page: u32) -> String {
        let pairs = [
            ("q", self.q.as_str()),
            ("status", self.status()),
            ("client", &self.client),
            ("env", &self.env),
            ("type", &self.user_type),
            ("check", &self.check),
            ("reason", &self.reason),
            ("from", &self.from),
            ("to", &self.to),
            ("mine", &self.mine),
        ];
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            if !v.is_empty() || k == "status" {
                out.append_pair(k, v);
            }
        }
        out.append_pair("page", &page.to_string());
        format!("?{}", out.finish())
    }
}

/// An option of a filter's `<select>`.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

fn choices(values: impl IntoIterator<Item = (String, String)>, current: &str) -> Vec<Choice> {
    values
        .into_iter()
        .map(|(value, label)| Choice {
            selected: value == current,
            value,
            label,
        })
        .collect()
}

/// The options of a fixed list whose empty value reads `all`.
fn fixed(values: &[&str], all: &str, current: &str) -> Vec<Choice> {
    choices(
        values.iter().map(|v| {
            let label = if v.is_empty() { all.to_owned() } else { (*v).to_owned() };
            ((*v).to_owned(), label)
        }),
        current,
    )
}

#[derive(Template)]
#[template(path = "console/queue.html", config = "templates/console/askama.toml")]
struct QueuePage {
    page: Frame,
    csrf: String,
    invalid_hooks: Vec<InvalidHook>,
    q: String,
    client: String,
    from: String,
    to: String,
    mine: bool,
    statuses: Vec<Choice>,
    types: Vec<Choice>,
    environments: Vec<Choice>,
    checks: Vec<Choice>,
    reasons: Vec<Choice>,
    /// "12 sessions in review", with the filter's words.
    summary: String,
    rows: Vec<QueueRow>,
    previous: Option<String>,
    next: Option<String>,
    /// "Page 2 of 7".
    position: String,
    /// A date the reviewer typed that is not one.
    problem: Option<String>,
}

pub(super) struct QueueRow {
    pub id: String,
    pub client: String,
    pub sandbox: bool,
    pub name: String,
    pub user_type: String,
    pub status: String,
    /// The checks that were not passed, as codes.
    pub open_checks: Vec<String>,
    pub waiting: String,
    /// `ok`, `due` or `late`.
    pub sla: &'static str,
    pub sla_words: &'static str,
    /// "Rita Reviewer until 14:05 UTC (assigned by lena)".
    pub claim: Option<String>,
}

/// The SLA colour and its words for a session that has waited `waited` seconds.
fn row_sla(waited: i64) -> (&'static str, &'static str) {
    if waited >= SLA_LATE {
        ("late", "over SLA")
    } else if waited >= SLA_DUE {
        ("due", "due soon")
    } else {
        ("ok", "within SLA")
    }
}

/// What a queue row shows of a session.
pub(super) fn row(e: &QueueEntry, now: i64) -> QueueRow {
    let since = e.session.updated_at.unwrap_or(e.session.created_at);
    let waited = now - since;
    let (sla, sla_words) = row_sla(waited);
    QueueRow {
        id: e.session.id.to_string(),
        client: e.session.client_id.to_string(),
        sandbox: e.environment == "sandbox",
        name: e.user.display_name(),
        user_type: e.user_type.clone(),
        status: e.session.status.as_str().to_owned(),
        open_checks: e
            .session
            .checks
            .iter()
            .filter(|c| c.status != "VALIDATED")
            .map(|c| format!("{} {}", c.kind, c.status))
            .collect(),
        waiting: duration(waited),
        sla,
        sla_words,
        claim: e.claim.as_ref().map(|c| {
            let by = c
                .assigned_by
                .as_ref()
                .map(|l| format!(" (assigned by {l})"))
                .unwrap_or_default();
            format!("{} until {}{by}", c.display_name, time_of_day(c.until, now))
        }),
    }
}

fn check_choices(current: &str) -> Vec<Choice> {
    let mut kinds: Vec<&str> = verity_domain::sandbox::REASONS.iter().map(|(k, _)| *k).collect();
    kinds.extend([
        verity_domain::psc::PSC_CONSISTENCY_CHECK,
        verity_domain::psc::PSC_ROLE_CHECK,
    ]);
    let mut values = vec![(String::new(), "Any check".to_owned())];
    for kind in kinds {
        values.push((format!("{kind}:REVIEW"), format!("{kind} to review")));
        values.push((format!("{kind}:REFUSED"), format!("{kind} refused")));
    }
    choices(values, current)
}

fn reason_choices(current: &str) -> Vec<Choice> {
    let mut reasons: Vec<&str> = verity_domain::sandbox::REASONS
        .iter()
        .flat_map(|(_, rs)| rs.iter().copied())
        .collect();
    reasons.sort();
    reasons.dedup();
    let mut values = vec![(String::new(), "Any reason".to_owned())];
    values.extend(
        reasons
            .into_iter()
            .map(|r| (r.to_owned(), format!("{r}: {}", verity_domain::explain::reason(r)))),
    );
    choices(values, current)
}

async fn queue(State(state): State<AppState>, staff: Staff, Query(q): Query<QueueQuery>) -> Response {
    let now = verity_service::now();
    let date = |raw: &str, end: bool| -> Result<Option<i64>, String> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        parse_date(raw)
            .map(|d| Some(if end { d + 86_400 } else { d }))
            .ok_or_else(|| format!("{raw} is not a date: write it as YYYY-MM-DD."))
    };
    let (since, before) = match (date(&q.from, false), date(&q.to, true)) {
        (Ok(s), Ok(b)) => (s, b),
        (Err(e), _) | (_, Err(e)) => return render_queue(&state, &staff, &q, Vec::new(), 0, 1, Some(e)).await,
    };
    let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let filter = QueueFilter {
        status: some(q.status()),
        client: some(&q.client).map(ClientId::from_raw),
        environment: some(&q.env),
        user_type: some(&q.user_type),
        codes: [some(&q.check), some(&q.reason)].into_iter().flatten().collect(),
        since,
        before,
        claimed_by: (!q.mine.is_empty()).then(|| staff.record.id.clone()),
        search: Services::search_query(&q.q),
    };
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let found = match state.services.workspace_queue(&staff, &filter, page, PER_PAGE).await {
        Ok(f) => f,
        Err(e) => return unavailable(e),
    };
    let rows = found.entries.iter().map(|e| row(e, now)).collect();
    render_queue(&state, &staff, &q, rows, found.total, page, None).await
}

async fn render_queue(
    state: &AppState,
    staff: &Staff,
    q: &QueueQuery,
    rows: Vec<QueueRow>,
    total: u64,
    page: u32,
    problem: Option<String>,
) -> Response {
    let pages = total.div_ceil(u64::from(PER_PAGE)).max(1) as u32;
    let status = q.status();
    let noun = if total == 1 { "session" } else { "sessions" };
    let what = match status {
        "" => noun.to_owned(),
        "REVIEW" => format!("{noun} in review"),
        other => format!("{noun} {other}"),
    };
    let summary = if q.q.trim().is_empty() {
        format!("{total} {what}")
    } else {
        format!("{total} {what} found")
    };
    let title = if status == "REVIEW" { "Review queue" } else { "Sessions" };
    let view = QueuePage {
        page: Frame::of(staff, title),
        csrf: staff.csrf.clone(),
        // The banner is a warning: without it the queue still works.
        invalid_hooks: state.services.invalid_hooks().await.unwrap_or_default(),
        q: q.q.clone(),
        client: q.client.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
        mine: !q.mine.is_empty(),
        statuses: fixed(&STATUSES, "Any status", status),
        types: fixed(&USER_TYPES, "All user types", &q.user_type),
        environments: fixed(&ENVIRONMENTS, "Both environments", &q.env),
        checks: check_choices(&q.check),
        reasons: reason_choices(&q.reason),
        summary,
        rows,
        previous: (page > 1).then(|| q.with_page(page - 1)),
        next: (page < pages).then(|| q.with_page(page + 1)),
        position: format!("Page {page} of {pages}"),
        problem,
    };
    let status = if view.problem.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(status, &view)
}

/// "Work next": the reviewer's own claims first, then the oldest unclaimed session.
async fn next(State(state): State<AppState>, staff: Staff, axum::Form(form): axum::Form<CsrfForm>) -> Response {
    if !staff.sent(&form.csrf) {
        return staff.forged(&state, "next", "", "").await;
    }
    match state.services.next_in_queue(&staff, None).await {
        Ok(Some((client, id))) => Redirect::to(&format!("/console/clients/{client}/sessions/{id}")).into_response(),
        Ok(None) => Redirect::to("/console/reviews?empty=1").into_response(),
        Err(e) => unavailable(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stored values are escaped, in text and attributes: a name, a search, a client id.
    #[test]
    fn the_queue_escapes_what_it_shows() {
        let nasty = "<b>\"x\" & 'y'</b>";
        let row = QueueRow {
            id: "idnver_1".into(),
            client: nasty.into(),
            sandbox: true,
            name: nasty.into(),
            user_type: "NATURAL".into(),
            status: "REVIEW".into(),
            open_checks: vec![nasty.into()],
            waiting: "5 min".into(),
            sla: "ok",
            sla_words: "within SLA",
            claim: Some(nasty.into()),
        };
        let page = QueuePage {
            page: Frame::anonymous(nasty),
            csrf: "t".into(),
            invalid_hooks: Vec::new(),
            q: nasty.into(),
            client: nasty.into(),
            from: String::new(),
            to: String::new(),
            mine: false,
            statuses: Vec::new(),
            types: Vec::new(),
            environments: Vec::new(),
            checks: Vec::new(),
            reasons: Vec::new(),
            summary: "1 session in review".into(),
            rows: vec![row],
            previous: None,
            next: Some("?page=2".into()),
            position: "Page 1 of 2".into(),
            problem: Some(nasty.into()),
        };
        let html = page.render().unwrap();
        let escaped = "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;";
        assert!(!html.contains(nasty), "{html}");
        assert!(html.contains(&format!("value=\"{escaped}\"")));
        assert!(html.contains(&format!("<td>{escaped}</td>")));
        assert!(html.contains("<span class=\"badge sandbox\">Sandbox</span>"));
        assert!(html.contains("href=\"/console/reviews?page=2\" rel=\"next\""));
    }

    #[test]
    fn waiting_time_gets_its_sla_colour_and_words() {
        assert_eq!(row_sla(60), ("ok", "within SLA"));
        assert_eq!(row_sla(SLA_DUE - 1), ("ok", "within SLA"));
        assert_eq!(row_sla(SLA_DUE), ("due", "due soon"));
        assert_eq!(row_sla(SLA_LATE + 1), ("late", "over SLA"));
    }
}
