//! `/metrics` for an operator on call: requests by route pattern and status with latency
//! histograms, the webhook outbox and the engine's backlog, uploads refused, lockouts.

use serde_json::json;

use crate::both_backends;
use crate::helpers::*;
use crate::lifecycle::ADMIN_TOKEN;

/// The text of `GET /metrics`, asked with the admin token (answered 200).
pub(crate) async fn metrics(app: &TestApp) -> String {
    let r = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

fn has(text: &str, line: &str) {
    assert!(text.lines().any(|l| l == line), "no line `{line}` in:\n{text}");
}

both_backends!(
    metrics_tell_an_operator_what_happens,
    env = [
        ("VERITY_ADMIN_TOKEN", ADMIN_TOKEN),
        ("VERITY_LOGIN_MAX_FAILURES", "2"),
        ("VERITY_WEBHOOK_RETRY_SCHEDULE", "1h")
    ],
    |app| {
        let api = app.client().await;
        let user = api.natural_owner().await;
        // A hook nobody answers: its delivery fails and waits an hour for its retry.
        let r = api
            .post(
                "/hooks",
                json!({"EventType": "IDENTITY_VERIFICATION_PENDING", "Url": "http://127.0.0.1:9/nobody"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        api.session(&user).await;
        // An upload that is not an image or a PDF.
        let doc = api
            .post(
                &format!("/users/{user}/kyc/documents"),
                json!({"Type": "IDENTITY_PROOF"}),
            )
            .await
            .json();
        let page = api
            .post(
                &format!("/users/{user}/kyc/documents/{}/pages", doc["Id"].as_str().unwrap()),
                json!({"File": "bm90IGFuIGltYWdlIGF0IGFsbA=="}),
            )
            .await;
        assert_eq!(page.status, 415, "{}", page.text);
        // Two wrong keys from this address lock the client's token requests.
        for _ in 0..2 {
            let r = app
                .http
                .post(app.url("/v2.01/oauth/token"))
                .basic_auth(&app.client_id, Some("not-the-key"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401);
        }
        assert_eq!(
            app.http.get(app.url("/no/such/page")).send().await.unwrap().status(),
            404
        );

        let text = metrics(&app).await;
        // By the route's pattern, never the raw path (which holds ids).
        has(
            &text,
            r#"verity_http_request_duration_seconds_count{route="/v2.01/{client_id}/users/natural",method="POST",status="200"} 1"#,
        );
        has(
            &text,
            r#"verity_http_request_duration_seconds_bucket{route="/v2.01/{client_id}/users/{user_id}/identity-verifications",method="POST",status="200",le="+Inf"} 1"#,
        );
        has(
            &text,
            r#"verity_http_request_duration_seconds_count{route="/{version}/oauth/token",method="POST",status="401"} 2"#,
        );
        has(
            &text,
            r#"verity_http_request_duration_seconds_count{route="unmatched",method="GET",status="404"} 1"#,
        );
        assert!(!text.contains(&user), "a user id leaked into the metrics");
        has(&text, r#"verity_uploads_refused_total{reason="unsupported_type"} 1"#);
        has(&text, r#"verity_login_lockouts_total{kind="api"} 1"#);
        has(&text, "verity_webhook_deliveries_pending 1");
        has(&text, "verity_engine_jobs_pending 0");
        assert!(text.contains("# TYPE verity_engine_job_seconds histogram"), "{text}");
    }
);
