//! External check providers: the HTTP contract through which an operator plugs a vendor or an
//! in-house model into the engine, for face match, document authenticity and liveness.
//!
//! Verity sends `POST {url}` with `Content-Type: application/json` (and `Authorization: Bearer
//! {token}` when a token is configured):
//!
//! ```json
//! {"check": "face_match", "session_id": "idnver_...",
//!  "images": [{"role": "selfie", "content_type": "image/jpeg", "data": "<base64>"},
//!             {"role": "document_front", "content_type": "image/jpeg", "data": "<base64>"}]}
//! ```
//!
//! and expects `200` with `{"outcome": "pass" | "fail" | "inconclusive", "score": 0.97,
//! "message": "optional text for the reviewer"}`. Timeouts, connection errors, `429`, `5xx` and
//! unparsable answers are retried (`retries` times, one second apart); after that the check is
//! `Unavailable` and the engine retries the whole session later, then hands it to a reviewer.

use std::time::Duration;

use base64::Engine as _;
use serde::Deserialize;
use verity_domain::engine::ProviderOutcome;

pub const FACE_MATCH: &str = "face_match";
pub const DOCUMENT_AUTHENTICITY: &str = "document_authenticity";
pub const LIVENESS: &str = "liveness";

#[derive(Clone, Debug, Default)]
pub struct ProviderConfig {
    /// Check name to endpoint URL.
    pub endpoints: Vec<(String, String)>,
    pub token: Option<String>,
    pub timeout: Duration,
    pub retries: u32,
}

#[derive(Clone)]
pub struct Providers {
    client: reqwest::Client,
    config: ProviderConfig,
}

/// A provider's answer, or why there is none.
#[derive(Clone, Debug)]
pub struct Answer {
    pub provider: String,
    pub outcome: ProviderOutcome,
    pub score: Option<f32>,
    pub message: Option<String>,
}

#[derive(Deserialize)]
struct Body {
    outcome: String,
    score: Option<f32>,
    message: Option<String>,
}

impl Providers {
    pub fn new(config: ProviderConfig) -> Result<Providers, reqwest::Error> {
        let timeout = if config.timeout.is_zero() {
            Duration::from_secs(10)
        } else {
            config.timeout
        };
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Verity-Engine/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Providers { client, config })
    }

    pub fn configured(&self, check: &str) -> bool {
        self.endpoint(check).is_some()
    }

    fn endpoint(&self, check: &str) -> Option<&str> {
        self.config
            .endpoints
            .iter()
            .find(|(c, _)| c == check)
            .map(|(_, u)| u.as_str())
    }

    /// Asks the provider configured for `check`; `None` when there is none.
    pub async fn ask(&self, check: &str, session_id: &str, images: &[(&str, &str, &[u8])]) -> Option<Answer> {
        let url = self.endpoint(check)?;
        let provider = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let body = serde_json::json!({
            "check": check,
            "session_id": session_id,
            "images": images.iter().map(|(role, content_type, bytes)| serde_json::json!({
                "role": role,
                "content_type": content_type,
                "data": base64::engine::general_purpose::STANDARD.encode(bytes),
            })).collect::<Vec<_>>(),
        });
        let mut last_error = String::new();
        for attempt in 0..=self.config.retries {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            let mut request = self
                .client
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
            if let Some(token) = &self.config.token {
                request = request.bearer_auth(token);
            }
            match request.send().await {
                Ok(response) if response.status().is_success() => match response
                    .bytes()
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|b| serde_json::from_slice::<Body>(&b).map_err(|e| e.to_string()))
                {
                    Ok(answer) => {
                        let outcome = match answer.outcome.as_str() {
                            "pass" => ProviderOutcome::Pass,
                            "fail" => ProviderOutcome::Fail,
                            "inconclusive" => ProviderOutcome::Inconclusive,
                            other => {
                                last_error = format!("unknown outcome {other:?}");
                                continue;
                            }
                        };
                        return Some(Answer {
                            provider,
                            outcome,
                            score: answer.score,
                            message: answer.message,
                        });
                    }
                    Err(e) => last_error = format!("unreadable answer: {e}"),
                },
                Ok(response) => last_error = format!("HTTP {}", response.status().as_u16()),
                Err(e) if e.is_timeout() => last_error = "timed out".into(),
                Err(_) => last_error = "cannot connect".into(),
            }
            tracing::warn!(check, provider = %provider, attempt, error = %last_error, "check provider failed");
        }
        Some(Answer {
            provider,
            outcome: ProviderOutcome::Unavailable,
            score: None,
            message: Some(last_error),
        })
    }
}
