//! OAuth2 client credentials and the guard in front of every API route.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Router};
use base64::Engine;
use serde::Serialize;
use verity_domain::{Client, ClientId, UnixTime};

use crate::error::ApiError;
use crate::wire::json_response;
use crate::{AppState, now, sha256_hex};

/// The authenticated client of an API request.
#[derive(Clone, Debug)]
pub struct Authed(pub Client);

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
}

pub fn token_routes() -> Router<AppState> {
    // Any version segment: `/v2.01`, Java's `/V2_01` (normalised), or old Node's unexpanded
    // `/${apiVersion}`.
    Router::new().route("/{version}/oauth/token", post(token))
}

/// Counts failed logins per address and locks addresses that fail too often.
pub struct LoginGuard {
    max_failures: u32,
    lock_seconds: i64,
    state: Mutex<HashMap<IpAddr, (UnixTime, u32)>>,
}

impl LoginGuard {
    pub fn new(max_failures: u32, lock_seconds: i64) -> Self {
        LoginGuard {
            max_failures,
            lock_seconds,
            state: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn is_locked(&self, ip: IpAddr, now: UnixTime) -> bool {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state
            .get(&ip)
            .is_some_and(|(since, n)| *n >= self.max_failures && now < since + self.lock_seconds)
    }

    pub(crate) fn failed(&self, ip: IpAddr, now: UnixTime) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.len() > 100_000 {
            state.retain(|_, (since, _)| now < *since + self.lock_seconds);
        }
        let entry = state.entry(ip).or_insert((now, 0));
        if now >= entry.0 + self.lock_seconds {
            *entry = (now, 0);
        }
        entry.1 += 1;
        // The lock runs from the failure that triggered it.
        if entry.1 == self.max_failures {
            entry.0 = now;
        }
    }

    fn succeeded(&self, ip: IpAddr) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).remove(&ip);
    }
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, key) = text.split_once(':')?;
    Some((id.to_owned(), key.to_owned()))
}

/// Compares two equal-length secrets' hashes without an early exit.
fn same_hash(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `POST /{version}/oauth/token`. Credentials come from the `Basic` header only: SDKs send the
/// `grant_type` as a form, as JSON or as multipart, so the body is not needed and not parsed.
#[utoipa::path(
    post, path = "/v2.01/oauth/token", tag = "OAuth",
    security(("basic" = [])),
    responses(
        (status = 200, description = "Access token", body = TokenResponse),
        (status = 401, description = "invalid_credentials", body = crate::openapi::ErrorBody),
        (status = 400, description = "Temporarily locked after repeated failures", body = crate::openapi::OAuthErrorBody),
    )
)]
pub async fn token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let now = now();
    let usage = state.limiter.hit(&format!("ip:{}", peer.ip()), now);
    let mut response = if !usage.allowed {
        ApiError::RateLimited.into_response()
    } else {
        issue_token(&state, peer.ip(), &headers, now)
            .await
            .unwrap_or_else(IntoResponse::into_response)
    };
    usage.write_headers(response.headers_mut());
    response
}

async fn issue_token(state: &AppState, ip: IpAddr, headers: &HeaderMap, now: UnixTime) -> Result<Response, ApiError> {
    if state.logins.is_locked(ip, now) {
        return Err(ApiError::TemporarilyLocked);
    }
    let verified = match basic_credentials(headers) {
        Some((id, key)) => match ClientId::parse(&id) {
            Ok(id) => state
                .store
                .client(&id)
                .await?
                .filter(|c| same_hash(&c.api_key_hash, &sha256_hex(&key))),
            Err(_) => None,
        },
        None => None,
    };
    let Some(credentials) = verified else {
        state.logins.failed(ip, now);
        return Err(ApiError::InvalidCredentials);
    };
    state.logins.succeeded(ip);
    // 128 bits, shown as 32 hex digits like Mangopay's tokens.
    let token = format!("{:032x}", rand::random::<u128>());
    let ttl = state.config.token_ttl;
    state
        .store
        .insert_token(&sha256_hex(&token), &credentials.client.id, now + ttl)
        .await?;
    Ok(json_response(
        StatusCode::OK,
        &TokenResponse {
            access_token: token,
            token_type: "Bearer",
            expires_in: ttl,
        },
    ))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

/// In front of every `/v2.01/{ClientId}/...` route: checks the bearer token, checks that the
/// path's `ClientId` is the token's client (so no client can reach another's objects), counts
/// the call against the client's rate limits and reports them on the response.
pub async fn api_guard(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: Request,
    next: Next,
) -> Response {
    let now = now();
    let path_client = req.uri().path().split('/').nth(2).unwrap_or("").to_owned();
    let client = match bearer(req.headers()) {
        Some(token) => match state.store.client_for_token(&sha256_hex(token), now).await {
            Ok(found) => found.filter(|c| c.id.as_str() == path_client),
            Err(e) => return ApiError::from(e).into_response(),
        },
        None => None,
    };
    let key = match &client {
        Some(c) => format!("client:{}", c.id),
        None => format!("ip:{}", peer.ip()),
    };
    let usage = state.limiter.hit(&key, now);
    let mut response = match client {
        _ if !usage.allowed => ApiError::RateLimited.into_response(),
        None => ApiError::InvalidCredentials.into_response(),
        Some(client) => {
            req.extensions_mut().insert(Authed(client));
            next.run(req).await
        }
    };
    usage.write_headers(response.headers_mut());
    response
}

/// Lets handlers take the client the guard authenticated.
pub type AuthedClient = Extension<Authed>;
