//! `GET /events`: what happened, filtered by type and date.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use verity_domain::{FieldErrors, UnixTime};
use verity_store::EventFilter;

use crate::auth::{Authed, AuthedClient};
use crate::error::ApiError;
use crate::wire::{ListQuery, json_response, url_pairs};
use crate::{AppState, now};

/// Events older than this cannot be searched.
const SEARCH_WINDOW: i64 = 45 * 86_400;

pub fn routes() -> Router<AppState> {
    Router::new().route("/v2.01/{client_id}/events", get(list_events))
}

/// The Event object.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct EventView {
    pub resource_id: String,
    pub event_type: String,
    pub date: UnixTime,
}

/// Filters of List all Events.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct EventQuery {
    #[param(rename = "EventType")]
    event_type: Option<String>,
    /// Unix time; events at or before it.
    #[param(rename = "BeforeDate")]
    before_date: Option<i64>,
    /// Unix time; events at or after it (at most 45 days ago).
    #[param(rename = "AfterDate")]
    after_date: Option<i64>,
    /// 1-based page number (default 1).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_i64)]
    page: Option<u32>,
    /// Items per page (default 10).
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<u32>,
    /// `Date:ASC` (default) or `Date:DESC`; the name and direction are read without regard to
    /// case, and `Date` alone means `Date:ASC`.
    #[param(rename = "Sort", inline)]
    sort: Option<DateSort>,
}

/// Sort orders of List all Events.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub enum DateSort {
    #[serde(rename = "Date:ASC")]
    Asc,
    #[serde(rename = "Date:DESC")]
    Desc,
}

/// List all Events of the last 45 days.
#[utoipa::path(get, path = "/v2.01/{ClientId}/events", tag = "Events",
    params(("ClientId" = String, Path), EventQuery), security(("bearer" = [])),
    responses((status = 200, description = "Events, with pagination headers", body = Vec<EventView>),
              (status = 400, description = "param_error, including dates older than 45 days", body = crate::openapi::ErrorBody)))]
pub async fn list_events(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let list = ListQuery::parse_sorted_by(query.as_deref(), "Date")?;
    let mut filter = EventFilter::default();
    let mut errors = FieldErrors::new();
    let oldest = now() - SEARCH_WINDOW;
    for (k, v) in url_pairs(query.as_deref().unwrap_or("")) {
        match k.as_str() {
            "EventType" if !v.is_empty() => filter.event_type = Some(v),
            "BeforeDate" | "AfterDate" => match v.parse::<i64>() {
                Ok(date) if date < oldest => errors.add(k.clone(), "Events older than 45 days can not be searched"),
                Ok(date) if k == "BeforeDate" => filter.before = Some(date),
                Ok(date) => filter.after = Some(date),
                Err(_) => errors.add(k.clone(), format!("The value {v} is not valid for {k}.")),
            },
            _ => {}
        }
    }
    errors.into_result()?;
    filter.after = Some(filter.after.unwrap_or(oldest));
    let page = state.services.events(&client.id, &filter, list.page).await?;
    let items: Vec<_> = page
        .items
        .iter()
        .map(|e| EventView {
            resource_id: e.resource_id.clone(),
            event_type: e.event_type.to_owned(),
            date: e.date,
        })
        .collect();
    let mut response = json_response(StatusCode::OK, &items);
    response.headers_mut().extend(list.headers(
        page.total_items,
        &format!("{}/v2.01/{}/events", state.public_url(), client.id),
    ));
    Ok(response)
}
