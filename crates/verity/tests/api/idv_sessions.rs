use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

both_backends!(create_view_and_list_a_session, |app| {
    let api = app.client().await;
    let user = api.natural_owner().await;
    let r = api.post(&format!("/users/{user}/identity-verifications"), json!({"ReturnUrl": "https://example.com/back?x=1", "Tag": "Created using the Mangopay API Postman collection"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let created = r.json();
    let keys: Vec<&str> = created.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["Id", "Tag", "CreationDate", "HostedUrl", "Status", "ReturnUrl"],
        "the seed's create shape"
    );
    assert_eq!(created["Status"], "PENDING");
    assert_eq!(created["ReturnUrl"], "https://example.com/back?x=1");
    let id = created["Id"].as_str().unwrap();
    assert!(id.starts_with("idnver_") && id.len() == 33);
    let hosted = created["HostedUrl"].as_str().unwrap();
    let prefix = format!("{}/verify/", app.base);
    assert!(hosted.starts_with(&prefix), "{hosted}");
    let (token, query) = hosted[prefix.len()..].split_once('?').unwrap();
    assert!(token.len() >= 43, "at least 256 bits of token: {token}");
    assert!(
        !token.contains(id) && !hosted.contains(&id[7..]),
        "the link does not reveal the session id"
    );
    assert_eq!(query, "redirectURL=https%3A%2F%2Fexample.com%2Fback%3Fx%3D1");
    // The page behind the link answers; a guessed link does not.
    assert_eq!(app.http.get(hosted).send().await.unwrap().status(), 200);
    assert_eq!(
        app.http.get(format!("{prefix}{id}")).send().await.unwrap().status(),
        404
    );

    let view = api.get(&format!("/identity-verifications/{id}")).await.json();
    assert_eq!(view["Id"], id);
    assert_eq!(view["UserId"], user.as_str());
    assert_eq!(view["HostedUrl"], hosted);
    assert_eq!(view["ReturnUrl"], created["ReturnUrl"]);
    assert_eq!(view["Checks"], json!([]));
    assert_eq!(view["LastUpdate"], view["CreationDate"]);
    let list = api.get(&format!("/users/{user}/identity-verifications")).await.json();
    assert_eq!(
        list,
        json!([{"Id": id, "Status": "PENDING", "CreationDate": created["CreationDate"], "LastUpdate": null}])
    );
    let beta = api.get(&format!("/identity-verifications/{id}/checks")).await.json();
    assert_eq!(beta["SessionId"], id);
    assert_eq!(beta["Checks"], json!([]));
    assert_error(
        &api.get("/identity-verifications/idnver_nope").await,
        404,
        "The ressource does not exist",
        "ressource_not_found",
        json!({"RessourceNotFound": "Cannot found the ressource IdentityVerification with the id=idnver_nope"}),
    );
});

both_backends!(seed_error_bodies, |app| {
    let api = app.client().await;
    let body = json!({"ReturnUrl": "https://example.com"});
    // 400 - User ID not valid.
    assert_error(
        &api.post(
            "/users/user_m_01JTG7NDTE52MZCCF50QHJ870A/identity-verifications",
            body.clone(),
        )
        .await,
        400,
        "Missing or incorrect required parameter",
        "param_error",
        json!({"UserId": "UserId is not valid"}),
    );
    // 400 - User must be OWNER.
    let payer = api
        .post(
            "/users/natural",
            json!({"FirstName": "P", "LastName": "Q", "Email": "p@q.org"}),
        )
        .await
        .json();
    assert_error(
        &api.post(
            &format!("/users/{}/identity-verifications", payer["Id"].as_str().unwrap()),
            body.clone(),
        )
        .await,
        400,
        "This feature is only available for users categorised as Owner.",
        "invalid_action",
        Value::Null,
    );
    // 400 - PARTNERSHIP, with the real ClientId and UserId.
    let partnership = api.post("/users/legal", legal_owner_body("PARTNERSHIP")).await;
    assert_eq!(partnership.status, 200, "{}", partnership.text);
    let pid = partnership.json()["Id"].as_str().unwrap().to_owned();
    assert_error(
        &api.post(&format!("/users/{pid}/identity-verifications"), body.clone())
            .await,
        400,
        &format!(
            "The LegalUserType PARTNERSHIP is not currently supported in the identity verification process. An event will be skipped. PartnerId: {}/ UserExternalId: {pid}",
            app.client_id
        ),
        "invalid_action",
        Value::Null,
    );
    // Every other legal type is supported.
    for kind in ["BUSINESS", "SOLETRADER", "ORGANIZATION"] {
        let u = api.post("/users/legal", legal_owner_body(kind)).await.json();
        let r = api
            .post(
                &format!("/users/{}/identity-verifications", u["Id"].as_str().unwrap()),
                body.clone(),
            )
            .await;
        assert_eq!(r.status, 200, "{kind}: {}", r.text);
    }
    // ReturnUrl and Tag rules.
    let owner = api.natural_owner().await;
    let path = format!("/users/{owner}/identity-verifications");
    let param = "One or several required parameters are missing or incorrect. An incorrect resource ID also raises this kind of error.";
    assert_error(
        &api.post(&path, json!({"Tag": "x"})).await,
        400,
        param,
        "param_error",
        json!({"ReturnUrl": "The ReturnUrl field is required."}),
    );
    assert_error(
        &api.post(&path, json!({"ReturnUrl": "example.com"})).await,
        400,
        param,
        "param_error",
        json!({"ReturnUrl": "The ReturnUrl field must be an absolute http or https URL."}),
    );
    let long = format!("https://example.com/{}", "a".repeat(481));
    assert_error(
        &api.post(&path, json!({"ReturnUrl": long})).await,
        400,
        param,
        "param_error",
        json!({"ReturnUrl": "The field ReturnUrl must be a string with a maximum length of 500."}),
    );
    let max = format!("https://example.com/{}", "a".repeat(480));
    assert_eq!(
        api.post(&path, json!({"ReturnUrl": max})).await.status,
        200,
        "500 characters are accepted"
    );
    assert_error(
        &api.post(
            &path,
            json!({"ReturnUrl": "https://example.com", "Tag": "t".repeat(256)}),
        )
        .await,
        400,
        param,
        "param_error",
        json!({"Tag": "The field Tag must be a string with a maximum length of 255."}),
    );
});

both_backends!(deactivated_clients_get_the_seed_403, |app| {
    let (id, key) = create_client(&app.db, &app.env, "Not activated", &["--idv-disabled"]).await;
    let token = app.token_for(&id, &key).await;
    let api = Api {
        http: app.http.clone(),
        token,
        prefix: app.url(&format!("/v2.01/{id}")),
    };
    let user = api.natural_owner().await;
    let r = api
        .post(
            &format!("/users/{user}/identity-verifications"),
            json!({"ReturnUrl": "https://example.com"}),
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/problem+json")
    );
    let v = r.json();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["type", "title", "status", "traceId"]);
    assert_eq!(v["type"], "https://tools.ietf.org/html/rfc7231#section-6.5.3");
    assert_eq!(v["title"], "Forbidden");
    assert_eq!(v["status"], 403);
    let trace = v["traceId"].as_str().unwrap();
    let parts: Vec<&str> = trace.split('-').collect();
    assert_eq!(
        (parts.len(), parts[0], parts[1].len(), parts[2].len(), parts[3]),
        (4, "00", 32, 16, "01"),
        "{trace}"
    );
    // Activation through the CLI takes effect at once.
    let out = verity()
        .args(["clients", "set-idv", &id, "--enabled", "true"])
        .env("VERITY_DATABASE_URL", &app.db.url)
        .env("VERITY_DATA_DIR", app.db.data_dir.path())
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    let r = api
        .post(
            &format!("/users/{user}/identity-verifications"),
            json!({"ReturnUrl": "https://example.com"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
});
