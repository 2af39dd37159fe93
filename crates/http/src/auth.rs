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
use verity_domain::{Client, UnixTime};

use crate::error::ApiError;
use crate::wire::json_response;
use crate::wire::refuse_unread;
use crate::{AppState, now};

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

/// Counts failed token requests per claimed client id and address, and locks a pair that fails
/// too often: one misconfigured job locks only its own client from its own machine, never the
/// other clients behind the same address. An attempt in flight holds a place against the limit
/// until its outcome is known, so parallel attempts cannot all be checked before their failures
/// are recorded. Locks are also written to the database (see `issue_token`), where an operator
/// can lift them.
pub struct LoginGuard {
    max_failures: u32,
    lock_seconds: i64,
    state: Mutex<HashMap<LoginKey, Attempts>>,
}

/// The client id as claimed in the request (checked or not) and the address it came from.
pub(crate) type LoginKey = (String, IpAddr);

#[derive(Clone, Copy, Debug)]
struct Attempts {
    /// When the failures began to count, or when the lock started.
    since: UnixTime,
    failures: u32,
    in_flight: u32,
    /// The lock is written to the database: from then on, its row going missing means an
    /// operator lifted it (before, it only means the write is not done yet).
    persisted: bool,
}

/// One attempt's place; dropped without an outcome (a storage error), it is given back.
pub(crate) struct LoginAttempt<'a> {
    guard: &'a LoginGuard,
    key: LoginKey,
    settled: bool,
}

impl LoginAttempt<'_> {
    /// Records a failure; `true` when it is the one that locks the pair.
    pub(crate) fn failed(mut self, now: UnixTime) -> bool {
        self.settled = true;
        self.guard.settle(&self.key, Some(now))
    }

    pub(crate) fn succeeded(mut self) {
        self.settled = true;
        self.guard.settle(&self.key, None);
    }
}

impl Drop for LoginAttempt<'_> {
    fn drop(&mut self) {
        if !self.settled {
            let mut state = self.guard.state.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(a) = state.get_mut(&self.key) {
                a.in_flight = a.in_flight.saturating_sub(1);
            }
        }
    }
}

impl LoginGuard {
    pub fn new(max_failures: u32, lock_seconds: i64) -> Self {
        LoginGuard {
            max_failures,
            lock_seconds,
            state: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn lock_seconds(&self) -> i64 {
        self.lock_seconds
    }

    /// Takes a place for one attempt; `None` when the pair is locked, or when its failures and
    /// the attempts in flight already reach the limit.
    pub(crate) fn begin(&self, key: &LoginKey, now: UnixTime) -> Option<LoginAttempt<'_>> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.len() > 100_000 {
            state.retain(|_, a| a.in_flight > 0 || now < a.since + self.lock_seconds);
        }
        let a = state.entry(key.clone()).or_insert(Attempts {
            since: now,
            failures: 0,
            in_flight: 0,
            persisted: false,
        });
        if now >= a.since + self.lock_seconds {
            a.since = now;
            a.failures = 0;
            a.persisted = false;
        }
        if a.failures + a.in_flight >= self.max_failures {
            return None;
        }
        a.in_flight += 1;
        Some(LoginAttempt {
            guard: self,
            key: key.clone(),
            settled: false,
        })
    }

    /// Records that the pair's lock is written to the database.
    pub(crate) fn persisted(&self, key: &LoginKey) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(a) = state.get_mut(key) {
            a.persisted = true;
        }
    }

    /// Whether the pair's lock is written to the database.
    pub(crate) fn is_persisted(&self, key: &LoginKey) -> bool {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.get(key).is_some_and(|a| a.persisted)
    }

    /// Forgets a pair whose written lock was lifted by an operator; `false` (nothing done) while
    /// the lock is not written yet or attempts are in flight.
    pub(crate) fn forget(&self, key: &LoginKey) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.get(key).is_some_and(|a| a.persisted && a.in_flight == 0) {
            state.remove(key);
            return true;
        }
        false
    }

    /// Ends an attempt: a failure at `now`, or a success (`None`); `true` when it locks the pair.
    fn settle(&self, key: &LoginKey, failed_at: Option<UnixTime>) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let Some(a) = state.get_mut(key) else { return false };
        a.in_flight = a.in_flight.saturating_sub(1);
        match failed_at {
            Some(now) => {
                a.failures += 1;
                // The lock runs from the failure that triggered it.
                if a.failures == self.max_failures {
                    a.since = now;
                    return true;
                }
                false
            }
            None => {
                a.failures = 0;
                if a.in_flight == 0 {
                    state.remove(key);
                }
                false
            }
        }
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
    let usage = state
        .limiter
        .hit_shared(&state.services, &format!("ip:{}", peer.ip()), now)
        .await;
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
    let credentials = basic_credentials(headers);
    let claimed = credentials.as_ref().map(|(id, _)| id.clone()).unwrap_or_default();
    let key: LoginKey = (claimed, ip);
    let address = ip.to_string();
    let attempt = match state.logins.begin(&key, now) {
        Some(a) => a,
        None => {
            // Locked here; an operator may have lifted it since (`verity clients unlock`).
            let locked = || ApiError::TemporarilyLocked {
                retry_after: state.logins.lock_seconds(),
            };
            // Only a lock known to be written before the database is read can be found lifted
            // there: a read that began before the write would not see it yet.
            let written = state.logins.is_persisted(&key);
            match state.services.login_lock(&key.0, &address).await? {
                Some(until) if until > now => {
                    return Err(ApiError::TemporarilyLocked {
                        retry_after: until - now,
                    });
                }
                _ if written && state.logins.forget(&key) => state.logins.begin(&key, now).ok_or_else(locked)?,
                _ => return Err(locked()),
            }
        }
    };
    let verified = match &credentials {
        Some((id, secret)) => state.services.authenticate_client(id, secret).await?,
        None => None,
    };
    let Some(client) = verified else {
        if attempt.failed(now) {
            verity_service::metrics::LOCKOUTS.add("api");
            let until = now + state.logins.lock_seconds();
            tracing::warn!(
                client = %key.0,
                address = %address,
                lock_seconds = state.logins.lock_seconds(),
                "token requests locked after repeated failures; `verity clients unlock CLIENT_ID` lifts the lock"
            );
            state.services.lock_logins(&key.0, &address, until).await?;
            state.logins.persisted(&key);
        }
        return Err(ApiError::InvalidCredentials);
    };
    attempt.succeeded();
    let ttl = state.config.token_ttl;
    let token = state.services.issue_token(&client.id, ttl).await?;
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
    let anonymous = format!("ip:{}", peer.ip());
    let (client, counted) = match bearer(req.headers()) {
        Some(token) => {
            let windows = state.limiter.spec();
            match state
                .services
                .authenticate_call(token, &path_client, &anonymous, now, &windows)
                .await
            {
                Ok(found) => found,
                Err(e) => return refuse_unread(req, ApiError::from(e).into_response()).await,
            }
        }
        None => match state
            .services
            .count_api_call(&anonymous, now, &state.limiter.spec())
            .await
        {
            Ok(counted) => (None, counted),
            Err(e) => return refuse_unread(req, ApiError::from(e).into_response()).await,
        },
    };
    let key = match &client {
        Some(c) => format!("client:{}", c.id),
        None => anonymous,
    };
    let usage = state.limiter.usage(counted, &key, now);
    let mut response = match client {
        _ if !usage.allowed => refuse_unread(req, ApiError::RateLimited.into_response()).await,
        None => refuse_unread(req, ApiError::InvalidCredentials.into_response()).await,
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
