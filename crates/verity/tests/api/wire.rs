use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

both_backends!(paths_ignore_case_and_one_trailing_slash, |app| {
    let api = app.client().await;
    let user = api.natural_owner().await;
    for path in [
        format!("/Users/{user}/"),
        format!("/USERS/natural/{user}"),
        format!("/sca/Users/{user}/"),
    ] {
        let r = api.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert_eq!(r.json()["Id"], user.as_str());
    }
    // Identifiers keep their case: a lower-cased id is another id.
    assert_eq!(api.get(&format!("/users/{}", user.to_lowercase())).await.status, 404);
});

both_backends!(sdk_value_quirks_and_unknown_fields_are_accepted, |app| {
    let api = app.client().await;
    // Python: integer booleans, numbers as strings, read-only fields; Java: CreationDate 0;
    // plus fields no version of the API knows.
    let r = api
        .post(
            "/users/natural",
            json!({
                "PersonType": "NATURAL", "KYCLevel": "REGULAR", "Id": "user_m_forged", "CreationDate": 0,
                "FirstName": "John", "LastName": "Doe", "Email": "john.doe@sample.org",
                "Birthday": "188352000", "Nationality": "FR", "CountryOfResidence": "FR",
                "IncomeRange": "1", "TermsAndConditionsAccepted": 1, "UserCategory": "OWNER",
                "Birthplace": {"City": "Paris", "Country": "FR"}, "SomethingNew": [1, 2]
            }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let u = r.json();
    assert_eq!(u["KYCLevel"], "LIGHT", "read-only KYCLevel ignored");
    assert_ne!(u["Id"], "user_m_forged");
    assert!(u["CreationDate"].as_i64().unwrap() > 1_700_000_000);
    assert_eq!(u["Birthday"], 188352000);
    assert_eq!(u["TermsAndConditionsAccepted"], true);
    assert!(u.get("Birthplace").is_none());
    // Ruby sends `{}` bodies on GETs.
    let ruby = api
        .send(
            reqwest::Method::GET,
            &format!("/users/{}", u["Id"].as_str().unwrap()),
            Some(json!({})),
            &[],
        )
        .await;
    assert_eq!(ruby.status, 200);
    // A body that is not JSON is a param_error, not a 500.
    let bad = api
        .http
        .post(format!("{}/users/natural", api.prefix))
        .bearer_auth(&api.token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.json::<Value>().await.unwrap()["Type"], "param_error");
});

both_backends!(lists_paginate_with_headers_only_on_lists, |app| {
    let api = app.client().await;
    let user = api.natural_owner().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(api.session(&user).await["Id"].as_str().unwrap().to_owned());
    }
    let path = format!("/users/{user}/identity-verifications");
    let page2 = api.get(&format!("{path}?page=2&per_page=2&user_id={user}")).await;
    assert_eq!(page2.status, 200);
    assert_eq!(page2.header("x-number-of-pages"), Some("2"));
    assert_eq!(page2.header("x-number-of-items"), Some("3"));
    let link = page2.header("link").unwrap();
    assert!(link.contains("page=1&per_page=2>; rel=\"first\""), "{link}");
    assert!(link.contains("page=1&per_page=2>; rel=\"prev\""), "{link}");
    assert!(!link.contains("rel=\"next\""), "{link}");
    assert_eq!(page2.json().as_array().unwrap().len(), 1);
    assert_eq!(page2.json()[0]["Id"], ids[2].as_str());
    let desc = api.get(&format!("{path}?Sort=CreationDate:DESC")).await.json();
    let got: Vec<&str> = desc
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[2].as_str(), ids[1].as_str(), ids[0].as_str()]);
    // Single objects never carry list headers (Java and PHP would fail on them).
    let one = api.get(&format!("/identity-verifications/{}", ids[0])).await;
    assert!(one.header("x-number-of-pages").is_none());
    assert!(one.header("link").is_none());
    // Over the maximum page size: a clear param_error.
    assert_error(
        &api.get(&format!("{path}?per_page=101")).await,
        400,
        "One or several required parameters are missing or incorrect. An incorrect resource ID also raises this kind of error.",
        "param_error",
        json!({"per_page": "The per_page parameter must be an integer between 1 and 100."}),
    );
    let users = api.get("/users?per_page=100").await;
    assert_eq!(users.header("x-number-of-items"), Some("1"));
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_are_reported_per_window_and_enforced() {
    let app = TestApp::spawn(Backend::Sqlite, &[("VERITY_RATE_LIMITS", "1m=4,1h=100")]).await;
    let api = app.client().await;
    let first = api.get("/users").await;
    let made: Vec<&str> = first
        .headers
        .get_all("x-ratelimit")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let remaining: Vec<&str> = first
        .headers
        .get_all("x-ratelimit-remaining")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(made, ["1", "1"], "one header line per window");
    assert_eq!(remaining, ["3", "99"]);
    assert_eq!(first.headers.get_all("x-ratelimit-reset").iter().count(), 2);
    for _ in 0..3 {
        assert_eq!(api.get("/users").await.status, 200);
    }
    let limited = api.get("/users").await;
    assert_error(
        &limited,
        429,
        "Rate limit exceeded. Please contact support for more assistance",
        "rate_limit",
        Value::Null,
    );
    assert_eq!(
        limited.headers.get_all("x-ratelimit-remaining").iter().next().unwrap(),
        "0"
    );
    // Errors carry the headers too.
    assert!(api.get("/users/nope").await.headers.contains_key("x-ratelimit"));
}

/// Two server processes on one PostgreSQL database with rate limits `limits`, and an API client
/// of each holding the same token.
async fn two_processes_on_postgres(limits: &str) -> ((TestApp, TestApp), Api, Api) {
    let first = TestApp::spawn(Backend::Postgres, &[("VERITY_RATE_LIMITS", limits)]).await;
    let second = first.another().await;
    let token = first.token().await;
    let on = |app: &TestApp| Api {
        http: app.http.clone(),
        token: token.clone(),
        prefix: app.api(""),
    };
    let (a, b) = (on(&first), on(&second));
    ((first, second), a, b)
}

/// On PostgreSQL every process counts in the same counters: two processes allow what one
/// does, even when their calls race.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_are_shared_by_every_process_on_postgres() {
    if postgres_admin_url().is_none() {
        eprintln!("VERITY_TEST_DATABASE_URL=none: skipped");
        return;
    }
    let (_apps, a, b) = two_processes_on_postgres("1m=10,1h=100").await;
    // Alternating: the second process's answer counts the first's calls.
    assert_eq!(a.get("/users").await.header("x-ratelimit"), Some("1"));
    let r = b.get("/users").await;
    assert_eq!(r.headers.get_all("x-ratelimit").iter().collect::<Vec<_>>(), ["2", "2"]);
    assert_eq!(
        r.headers.get_all("x-ratelimit-remaining").iter().collect::<Vec<_>>(),
        ["8", "98"]
    );
    // 24 calls at once over both processes: exactly the 8 places left are taken.
    let mut set = tokio::task::JoinSet::new();
    for i in 0..24 {
        let api = if i % 2 == 0 { a.clone() } else { b.clone() };
        set.spawn(async move { api.get("/users").await.status });
    }
    let mut statuses = Vec::new();
    while let Some(s) = set.join_next().await {
        statuses.push(s.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 8, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 16, "{statuses:?}");
    let limited = b.get("/users").await;
    assert_error(
        &limited,
        429,
        "Rate limit exceeded. Please contact support for more assistance",
        "rate_limit",
        Value::Null,
    );
    assert_eq!(limited.header("x-ratelimit-remaining"), Some("0"));
}

/// Processes take calls from the shared counters in blocks (leases) under load, and give back
/// what a lease did not spend within a second: 80 calls at once over two processes, a pause
/// longer than a lease lives, then 480 more, against a limit of 300, let exactly 300 through,
/// and no answer reports more calls than the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_rate_limits_hold_exactly_under_load_on_postgres() {
    if postgres_admin_url().is_none() {
        eprintln!("VERITY_TEST_DATABASE_URL=none: skipped");
        return;
    }
    let (_apps, a, b) = two_processes_on_postgres("1h=300").await;
    let burst = |calls_each: usize| {
        let mut set = tokio::task::JoinSet::new();
        for worker in 0..16 {
            let api = if worker % 2 == 0 { a.clone() } else { b.clone() };
            set.spawn(async move {
                let mut answers = Vec::new();
                for _ in 0..calls_each {
                    let r = api.get("/users").await;
                    let made: u64 = r.header("x-ratelimit").unwrap().parse().unwrap();
                    answers.push((r.status, made));
                }
                answers
            });
        }
        set.join_all()
    };
    let mut answers: Vec<(u16, u64)> = burst(5).await.into_iter().flatten().collect();
    assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");
    // The leases taken so far go stale: their unspent calls are given back, once.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    answers.extend(burst(30).await.into_iter().flatten());
    let passed: Vec<u64> = answers.iter().filter(|(s, _)| *s == 200).map(|(_, m)| *m).collect();
    assert_eq!(passed.len(), 300, "calls let through of {}", answers.len());
    assert!(answers.iter().all(|(s, _)| *s == 200 || *s == 429), "{answers:?}");
    assert!(passed.iter().all(|m| (1..=300).contains(m)), "{passed:?}");
}

/// On PostgreSQL's shared counters, a window that is over starts again from the next call, and
/// a refused call is counted in no window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_rate_limit_windows_start_again_once_over() {
    if postgres_admin_url().is_none() {
        eprintln!("VERITY_TEST_DATABASE_URL=none: skipped");
        return;
    }
    let app = TestApp::spawn(Backend::Postgres, &[("VERITY_RATE_LIMITS", "2s=2,1h=100")]).await;
    let api = app.client().await;
    for _ in 0..2 {
        assert_eq!(api.get("/users").await.status, 200);
    }
    let refused = api.get("/users").await;
    assert_eq!(refused.status, 429);
    let resets: Vec<i64> = refused
        .headers
        .get_all("x-ratelimit-reset")
        .iter()
        .map(|v| v.to_str().unwrap().parse().unwrap())
        .collect();
    // The short window ends at a time the answer names: wait for that time.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    tokio::time::sleep(std::time::Duration::from_millis(
        (resets[0] * 1000 - now).max(0) as u64 + 50,
    ))
    .await;
    let again = api.get("/users").await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(
        again.headers.get_all("x-ratelimit").iter().collect::<Vec<_>>(),
        ["1", "3"],
        "the short window started again; the refused call counted nowhere"
    );
}

both_backends!(idempotency_keys_block_reuse_and_keep_the_response, |app| {
    let api = app.client().await;
    let user = api.natural_owner().await;
    let key = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let path = format!("/users/{user}/identity-verifications");
    let body = json!({"ReturnUrl": "https://example.com", "Tag": "idem"});
    let first = api
        .send(
            reqwest::Method::POST,
            &path,
            Some(body.clone()),
            &[("Idempotency-Key", key)],
        )
        .await;
    assert_eq!(first.status, 200);
    let again = api
        .send(
            reqwest::Method::POST,
            &path,
            Some(body.clone()),
            &[("Idempotency-Key", key)],
        )
        .await;
    assert_error(
        &again,
        409,
        "A resource has already been created with this Idempotency Key",
        "idempotent_creation_conflict",
        Value::Null,
    );
    let listed = api.get(&path).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1, "the retry created nothing");
    let stored = api.get(&format!("/responses/{key}")).await;
    assert_eq!(stored.status, 200);
    let s = stored.json();
    assert_eq!(s["StatusCode"], "200");
    assert_eq!(s["Resource"], first.json());
    assert!(
        s["RequestURL"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/users/{user}/identity-verifications"))
    );
    assert_eq!(s["ContentLength"], first.text.len().to_string());
    // A refused request also uses up its key, and its error is what is stored.
    let bad_key = "aaaaaaaaaaaaaaaa-bbbb";
    let refused = api
        .send(
            reqwest::Method::POST,
            &path,
            Some(json!({})),
            &[("Idempotency-Key", bad_key)],
        )
        .await;
    assert_eq!(refused.status, 400);
    let retry = api
        .send(
            reqwest::Method::POST,
            &path,
            Some(body),
            &[("Idempotency-Key", bad_key)],
        )
        .await;
    assert_eq!(retry.status, 409);
    assert_eq!(
        api.get(&format!("/responses/{bad_key}")).await.json()["StatusCode"],
        "400"
    );
    // Malformed keys are refused before anything happens.
    let short = api
        .send(
            reqwest::Method::POST,
            &path,
            Some(json!({"ReturnUrl": "https://e.com"})),
            &[("Idempotency-Key", "short")],
        )
        .await;
    assert_eq!(short.status, 400);
    assert!(short.json()["errors"]["Idempotency-Key"].is_string());
    assert_eq!(api.get(&path).await.json().as_array().unwrap().len(), 1);
    // Unknown keys are a 404 with the standard body.
    assert_eq!(api.get("/responses/ffffffffffffffffffff").await.status, 404);
});

both_backends!(concurrent_requests_with_one_key_create_once, |app| {
    let api = app.client().await;
    let user = api.natural_owner().await;
    let path = format!("/users/{user}/identity-verifications");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (api, path) = (api.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            api.send(
                reqwest::Method::POST,
                &path,
                Some(json!({"ReturnUrl": "https://example.com"})),
                &[("Idempotency-Key", "race-race-race-race-1")],
            )
            .await
            .status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{statuses:?}");
    assert_eq!(api.get(&path).await.json().as_array().unwrap().len(), 1);
});

both_backends!(openapi_document_covers_the_api, |app| {
    let doc: Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/v2.01/oauth/token",
        "/v2.01/{ClientId}/users",
        "/v2.01/{ClientId}/users/natural",
        "/v2.01/{ClientId}/sca/users/legal/{UserId}/category",
        "/v2.01/{ClientId}/users/{UserId}/identity-verifications",
        "/v2.01/{ClientId}/identity-verifications/{IdvSessionId}",
        "/v2.01/{ClientId}/identity-verifications/{IdvSessionId}/checks",
        "/v2.01/{ClientId}/responses/{IdempotencyKey}",
        "/v2.01/{ClientId}/hooks",
        "/v2.01/{ClientId}/hooks/{HookId}",
        "/v2.01/{ClientId}/events",
        "/v2.01/{ClientId}/sandbox/identity-verifications/{IdvSessionId}/outcome",
        "/v2.01/{ClientId}/sandbox/identity-verifications/{IdvSessionId}/expire",
        "/v2.01/{ClientId}/sandbox/users/{UserId}/downgrade",
        "/admin/v1/clients/{ClientId}/identity-verifications/{IdvSessionId}/refuse",
        "/admin/v1/webhook-deliveries/{DeliveryId}/replay",
    ] {
        assert!(paths.contains_key(p), "missing {p}");
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for s in [
        "ErrorBody",
        "ProblemBody",
        "SessionView",
        "CreatedSessionView",
        "NaturalUserView",
        "LegalUserScaView",
    ] {
        assert!(schemas.contains_key(s), "missing schema {s}");
    }
});

both_backends!(unknown_routes_and_methods_answer_with_error_bodies, |app| {
    let api = app.client().await;
    let r = api.get("/no-such-thing").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["Type"], "ressource_not_found");
    let m = api.send(reqwest::Method::DELETE, "/users", None, &[]).await;
    assert_eq!(m.status, 405);
    assert_eq!(m.json()["Type"], "method_not_allowed");
});

/// Reads one HTTP/1.1 answer from `stream` (status line, headers and a body of
/// `Content-Length` bytes); `None` when the server closed the connection instead.
async fn answer(stream: &mut tokio::net::TcpStream) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if got.len() >= end + 4 + length {
                return Some(text);
            }
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        got.extend_from_slice(&chunk[..n]);
    }
}

// A request refused before its handler (an `Idempotency-Key` in use, a bad token) leaves the
// connection usable even when its body arrives after its headers (urllib3 sends them apart): the
// SDKs send their next request on it, and the Python SDK failed with "connection closed without
// response" while the server answered before the body came and then closed the connection.
both_backends!(a_request_refused_before_its_body_keeps_the_connection_open, |app| {
    use tokio::io::AsyncWriteExt;
    let api = app.client().await;
    let user = api.natural_owner().await;
    let key = "8c5f2a57-31d4-4f0e-9a43-5d1f0c2b7e11";
    let path = format!("/users/{user}/identity-verifications");
    let first = api
        .send(
            reqwest::Method::POST,
            &path,
            Some(json!({"ReturnUrl": "https://example.com"})),
            &[("Idempotency-Key", key)],
        )
        .await;
    assert_eq!(first.status, 200);
    let url = url::Url::parse(&api.prefix).unwrap();
    let mut stream = tokio::net::TcpStream::connect((url.host_str().unwrap(), url.port().unwrap()))
        .await
        .unwrap();
    let body = r#"{"ReturnUrl":"https://example.com"}"#;
    let head = |method: &str, path: &str, extra: &str| {
        format!(
            "{method} {}{path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n{extra}\r\n",
            url.path(),
            url.authority(),
            api.token
        )
    };
    let sized = format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len());
    // Refused for its key, then for a bad token (the guard's refusals read the body too).
    let retry = head("POST", &path, &format!("Idempotency-Key: {key}\r\n{sized}"));
    let forged = retry.replace(&format!("Bearer {}", api.token), "Bearer forged-token");
    for (headers, status) in [(retry, "409"), (forged, "401")] {
        stream.write_all(headers.as_bytes()).await.unwrap();
        // The body, a slow network later.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let _ = stream.write_all(body.as_bytes()).await;
        let refused = answer(&mut stream).await.expect("an answer to the refused request");
        assert!(refused.starts_with(&format!("HTTP/1.1 {status}")), "{refused}");
    }
    let _ = stream
        .write_all(head("GET", &format!("/responses/{key}"), "").as_bytes())
        .await;
    let next = answer(&mut stream).await.expect("the connection closed after the 409");
    assert!(next.starts_with("HTTP/1.1 200"), "{next}");
});
