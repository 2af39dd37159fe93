use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

async fn token_request(app: &TestApp, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let r = app
        .http
        .post(app.url(path))
        .basic_auth(&app.client_id, Some(&app.api_key))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

both_backends!(token_accepts_every_sdk_variant, |app| {
    let multipart =
        b"--XyZ\r\nContent-Disposition: attachment; name=\"grant_type\"\r\n\r\nclient_credentials\r\n--XyZ--\r\n"
            .to_vec();
    let variants: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "/v2.01/oauth/token",
            "application/x-www-form-urlencoded",
            b"grant_type=client_credentials".to_vec(),
        ),
        // Python: JSON body under a form content type.
        (
            "/v2.01/oauth/token",
            "application/x-www-form-urlencoded",
            br#"{"grant_type": "client_credentials"}"#.to_vec(),
        ),
        // PHP: multipart body, trailing slash.
        (
            "/v2.01/oauth/token/",
            "application/x-www-form-urlencoded; boundary=XyZ",
            multipart,
        ),
        // Java >= 2.54: upper-case version segment.
        (
            "/V2_01/oauth/token",
            "application/x-www-form-urlencoded",
            b"grant_type=client_credentials".to_vec(),
        ),
        // Node <= 1.60.3: unexpanded template.
        (
            "/$%7BapiVersion%7D/oauth/token",
            "application/x-www-form-urlencoded",
            b"grant_type=client_credentials".to_vec(),
        ),
    ];
    for (path, ct, body) in variants {
        let (status, v) = token_request(&app, path, ct, body).await;
        assert_eq!(status, 200, "{path}: {v}");
        assert_eq!(v["token_type"], "Bearer");
        assert_eq!(v["expires_in"], 3600);
        let token = v["access_token"].as_str().unwrap();
        assert_eq!(token.len(), 32);
        let api = Api {
            http: app.http.clone(),
            token: token.to_owned(),
            prefix: app.api(""),
        };
        assert_eq!(api.get("/users").await.status, 200, "token from {path} works");
    }
});

both_backends!(wrong_credentials_get_the_documented_401, |app| {
    let r = app
        .http
        .post(app.url("/v2.01/oauth/token"))
        .basic_auth(&app.client_id, Some("wrong"))
        .send()
        .await
        .unwrap();
    let reply = Reply {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        text: r.text().await.unwrap(),
    };
    assert_error(
        &reply,
        401,
        "The authorization credentials are not valid",
        "invalid_credentials",
        Value::Null,
    );
    let api = Api {
        http: app.http.clone(),
        token: "0123456789abcdef0123456789abcdef".into(),
        prefix: app.api(""),
    };
    assert_error(
        &api.get("/users").await,
        401,
        "The authorization credentials are not valid",
        "invalid_credentials",
        Value::Null,
    );
    let no_header = app.http.get(app.api("/users")).send().await.unwrap();
    assert_eq!(no_header.status(), 401);
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_lock_the_client_from_the_address_until_the_lock_ends_or_is_lifted() {
    let app = TestApp::spawn(Backend::Sqlite, &[("VERITY_LOGIN_MAX_FAILURES", "3")]).await;
    let token = |id: &str, key: &str| {
        app.http
            .post(app.url("/v2.01/oauth/token"))
            .basic_auth(id, Some(key))
            .send()
    };
    for _ in 0..3 {
        assert_eq!(token(&app.client_id, "nope").await.unwrap().status(), 401);
    }
    // Locked, the right key included, with the time to wait.
    let r = token(&app.client_id, &app.api_key).await.unwrap();
    assert_eq!(r.status(), 400);
    let wait: i64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&wait), "Retry-After {wait}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": "unauthorized_client", "error_description": "This account has been temporarily locked for security reasons. Please try again later."})
    );
    // Another client on the same machine (another CI job) is not locked out.
    let (other, other_key) = create_client(&app.db, &app.env, "Other platform", &[]).await;
    assert_eq!(token(&other, &other_key).await.unwrap().status(), 200);
    // An operator lifts the lock; the right key works again at once.
    let out = verity()
        .args(["clients", "unlock", &app.client_id])
        .env("VERITY_DATABASE_URL", &app.db.url)
        .env("VERITY_DATA_DIR", app.db.data_dir.path())
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{}: lifted 1 lock(s) on token requests", app.client_id)
    );
    assert_eq!(token(&app.client_id, &app.api_key).await.unwrap().status(), 200);
}

both_backends!(tokens_survive_a_restart_and_work_on_every_process, |app| {
    let token = app.token().await;
    let (db, env, client_id, api_key) = app.stop().await;
    let first = TestApp::start(db.clone(), env.clone(), client_id.clone(), api_key.clone()).await;
    let second = TestApp::start(db, env, client_id, api_key).await;
    for server in [&first, &second] {
        let api = Api {
            http: server.http.clone(),
            token: token.clone(),
            prefix: server.api(""),
        };
        assert_eq!(api.get("/users").await.status, 200, "token accepted by {}", server.base);
    }
    // A user created through one process is visible through the other.
    let a = Api {
        http: first.http.clone(),
        token: token.clone(),
        prefix: first.api(""),
    };
    let b = Api {
        http: second.http.clone(),
        token,
        prefix: second.api(""),
    };
    let id = a.natural_owner().await;
    assert_eq!(b.get(&format!("/users/{id}")).await.status, 200);
});

both_backends!(rotating_the_key_revokes_old_key_and_tokens, |app| {
    let api = app.client().await;
    let out = verity()
        .args(["clients", "rotate-key", &app.client_id, "--json"])
        .env("VERITY_DATABASE_URL", &app.db.url)
        .env("VERITY_DATA_DIR", app.db.data_dir.path())
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    let new_key = serde_json::from_slice::<Value>(&out.stdout).unwrap()["ApiKey"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(api.get("/users").await.status, 401, "old token revoked");
    let old = app
        .http
        .post(app.url("/v2.01/oauth/token"))
        .basic_auth(&app.client_id, Some(&app.api_key))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401, "old key refused");
    let fresh = app.token_for(&app.client_id, &new_key).await;
    let api = Api {
        http: app.http.clone(),
        token: fresh,
        prefix: app.api(""),
    };
    assert_eq!(api.get("/users").await.status, 200);
});

both_backends!(clients_cannot_reach_each_other, |app| {
    let (other_id, other_key) = create_client(&app.db, &app.env, "Other platform", &[]).await;
    let mine = app.client().await;
    let user = mine.natural_owner().await;
    let session = mine.session(&user).await["Id"].as_str().unwrap().to_owned();
    let theirs_token = app.token_for(&other_id, &other_key).await;
    // Their token on my ClientId path is refused outright.
    let on_my_path = Api {
        http: app.http.clone(),
        token: theirs_token.clone(),
        prefix: app.api(""),
    };
    assert_eq!(on_my_path.get(&format!("/users/{user}")).await.status, 401);
    // On their own path, my objects do not exist.
    let theirs = Api {
        http: app.http.clone(),
        token: theirs_token,
        prefix: app.url(&format!("/v2.01/{other_id}")),
    };
    assert_eq!(theirs.get(&format!("/users/{user}")).await.status, 404);
    assert_eq!(
        theirs.get(&format!("/identity-verifications/{session}")).await.status,
        404
    );
    assert_eq!(
        theirs
            .get(&format!("/users/{user}/identity-verifications"))
            .await
            .status,
        404
    );
    assert_eq!(
        theirs
            .put(&format!("/users/natural/{user}"), json!({"Tag": "x"}))
            .await
            .status,
        404
    );
    let create = theirs
        .post(
            &format!("/users/{user}/identity-verifications"),
            json!({"ReturnUrl": "https://example.com"}),
        )
        .await;
    assert_eq!(create.status, 400, "another client's user is not a valid UserId");
    assert_eq!(theirs.get("/users").await.json(), json!([]));
});
