//! Operators manage platforms: users, sessions, deliveries, hooks, settings and API keys.

use verity_corpus::{Date, Flaw, Kind};

use super::setup::*;
use crate::engine::*;
use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_manage_platforms_in_the_console() {
    let Live {
        app,
        api,
        client,
        receiver,
        face: _,
    } = live_platform(Backend::Sqlite, &[]).await;
    let hooks = api
        .post(
            "/hooks",
            serde_json::json!({"EventType": "USER_KYC_LIGHT", "Url": receiver.url}),
        )
        .await;
    assert_eq!(hooks.status, 200, "{}", hooks.text);
    // A verified natural user.
    let marie = Person {
        first: "Marie",
        last: "Dubois",
        birth: "1985-03-12",
    };
    let pages = photos(
        Kind::Passport,
        identity(
            110,
            "DUBOIS",
            "MARIE",
            Date {
                year: 1985,
                month: 3,
                day: 12,
            },
            "FRA",
        ),
        Flaw::None,
        110,
    );
    let s = crate::engine::submit_natural_pub(&app, &api, &marie, ("PASSPORT", "FR"), &pages, 110).await;
    let v = decision(&api, &receiver, &s).await;
    assert_eq!(v["Status"], "VALIDATED");
    let user = v["UserId"].as_str().unwrap().to_owned();

    add_staff(&app, "otto", "Otto Operator", "operator", &[]).await;
    add_staff(&app, "ada", "Ada Auditor", "auditor", &[]).await;
    let otto = Browser::new(&app);
    otto.sign_in("otto", &password("otto"), "").await;
    let platforms = otto.get("/console/clients").await.text();
    assert!(
        platforms.contains(&client) && platforms.contains("production"),
        "{platforms}"
    );
    let overview = otto.get(&format!("/console/clients/{client}")).await;
    let text = overview.text();
    assert!(
        text.contains(&user) && text.contains("IDENTITY_VERIFICATION_VALIDATED") && text.contains(&receiver.url),
        "{text}"
    );
    let csrf = overview.csrf();

    // The user's page: sessions with their status; downgrade; a new session link.
    let found = otto
        .get(&format!("/console/clients/{client}/find-user?id={user}"))
        .await;
    assert_eq!(found.location, format!("/console/clients/{client}/users/{user}"));
    let user_page = otto.get(&found.location).await.text();
    assert!(
        user_page.contains(&s) && user_page.contains("VALIDATED") && user_page.contains("REGULAR"),
        "{user_page}"
    );
    let downgraded = otto
        .post(
            &format!("/console/clients/{client}/users/{user}/downgrade"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(downgraded.status, 303);
    receiver.expect("USER_KYC_LIGHT", &user).await;
    assert_eq!(
        api.get(&format!("/identity-verifications/{s}")).await.json()["Status"],
        "OUT_OF_DATE"
    );
    let link = otto
        .post(
            &format!("/console/clients/{client}/users/{user}/sessions"),
            &[("csrf", &csrf), ("return_url", "https://platform.example/kyc-done")],
        )
        .await
        .text();
    assert!(
        link.contains("/verify/") && link.contains("redirectURL=https%3A%2F%2Fplatform.example%2Fkyc-done"),
        "{link}"
    );
    let listed = api.get(&format!("/users/{user}/identity-verifications")).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 2);

    // A session's history, and a delivery's attempts.
    let history = otto
        .get(&format!("/console/clients/{client}/sessions/{s}"))
        .await
        .text();
    let at = history.find("id=\"timeline\"").expect("a timeline section");
    assert!(
        history[at..].contains("IDENTITY_VERIFICATION_PENDING")
            && history[at..].contains("IDENTITY_VERIFICATION_OUTDATED"),
        "{history}"
    );
    let delivery = text
        .split("href=\"")
        .filter_map(|p| p.split('"').next())
        .find(|h| h.contains("/deliveries/whdlv_"))
        .expect("a delivery link")
        .to_owned();
    let attempts = otto.get(&delivery).await.text();
    assert!(
        attempts.contains("Attempts") && attempts.contains("<td>200</td>"),
        "{attempts}"
    );

    // Hooks: an operator disables one; the platform sees it.
    let hook = api.get("/hooks").await.json()[0]["Id"].as_str().unwrap().to_owned();
    let disabled = otto
        .post(
            &format!("/console/clients/{client}/hooks/{hook}"),
            &[("csrf", &csrf), ("action", "disable")],
        )
        .await;
    assert_eq!(disabled.status, 303);
    assert_eq!(api.get(&format!("/hooks/{hook}")).await.json()["Status"], "DISABLED");
    assert_eq!(
        otto.post(
            &format!("/console/clients/{client}/hooks/{hook}"),
            &[("csrf", &csrf), ("action", "enable")]
        )
        .await
        .status,
        303
    );

    // Replaying a delivery sends it again.
    let replay = text
        .split("action=\"")
        .filter_map(|p| p.split('"').next())
        .find(|a| a.ends_with("/replay"))
        .expect("a replay button")
        .to_owned();
    let before = receiver.all().len();
    assert_eq!(otto.post(&replay, &[("csrf", &csrf)]).await.status, 303);
    receiver
        .wait_for(before + 1, std::time::Duration::from_secs(20), |_| true)
        .await;

    // Activation, and a new API key that retires the old one.
    let settings = format!("/console/clients/{client}/settings");
    assert_eq!(
        otto.post(&settings, &[("csrf", &csrf), ("action", "idv_off")])
            .await
            .status,
        303
    );
    let off = api
        .post(
            &format!("/users/{user}/identity-verifications"),
            serde_json::json!({"ReturnUrl": "https://example.com"}),
        )
        .await;
    assert_eq!(off.status, 403);
    assert_eq!(
        otto.post(&settings, &[("csrf", &csrf), ("action", "idv_on")])
            .await
            .status,
        303
    );
    let rotated = otto
        .post(&settings, &[("csrf", &csrf), ("action", "rotate_key")])
        .await
        .text();
    let key = rotated
        .split("<code id=\"api-key\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let fresh = app.token_for(&client, &key).await;
    assert!(!fresh.is_empty());
    let old_key = app
        .http
        .post(app.url("/v2.01/oauth/token"))
        .basic_auth(&client, Some("not-the-key"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(old_key.status().as_u16(), 401);

    // An auditor sees the platform but changes nothing.
    let ada = Browser::new(&app);
    ada.sign_in("ada", &password("ada"), "").await;
    let ada_page = ada.get(&format!("/console/clients/{client}")).await;
    assert!(!ada_page.text().contains("Issue a new API key"));
    let refused = ada
        .post(&settings, &[("csrf", &ada_page.csrf()), ("action", "idv_off")])
        .await;
    assert_eq!(refused.status, 403);
    let log = otto.get("/console/audit?q=client_").await.text();
    assert!(
        log.contains("client_idv_off") && log.contains("client_rotate_key"),
        "{log}"
    );
}
