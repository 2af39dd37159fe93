//! Reviewers decide sessions: sign-in, lockout and TOTP, claims and racing decisions, the audit log.

use super::setup::*;
use crate::engine::*;
use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewers_decide_sessions_in_the_console_sqlite() {
    console_flow(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewers_decide_sessions_in_the_console_postgres() {
    if postgres_admin_url().is_none() {
        return;
    }
    console_flow(Backend::Postgres).await;
}

async fn console_flow(backend: Backend) {
    let (app, api, client, receiver, _face, sessions) =
        platform_with_reviews(backend, &[], &[(80, "11111111"), (81, "22222222"), (82, "33333333")]).await;
    let session_url = |s: &str| format!("/console/clients/{client}/sessions/{s}");

    add_staff(&app, "rita", "Rita Reviewer", "reviewer", &[]).await;
    add_staff(&app, "rob", "Rob Reviewer", "reviewer", &[]).await;
    add_staff(&app, "aude", "Aude Auditor", "auditor", &[]).await;
    add_staff(&app, "lena", "Lena Locked", "reviewer", &[]).await;
    let totp_out = add_staff(&app, "tom", "Tom Twofactor", "reviewer", &["--totp"]).await;

    // Nothing without a staff session: pages and images redirect to sign-in, with no content.
    let anonymous = Browser::new(&app);
    for path in [
        "/console/reviews".to_owned(),
        session_url(&sessions[0]),
        format!("{}/files/front", session_url(&sessions[0])),
        "/console/audit.csv".to_owned(),
    ] {
        let page = anonymous.get(&path).await;
        assert_eq!((page.status, page.location.as_str()), (303, "/console/login"), "{path}");
        assert!(page.body.is_empty(), "{path} leaked {} bytes", page.body.len());
    }

    // Five wrong passwords lock the account, even against the right one.
    let lena = Browser::new(&app);
    for _ in 0..5 {
        assert_eq!(lena.sign_in("lena", "wrong password here", "").await.status, 401);
    }
    let locked = lena.sign_in("lena", &password("lena"), "").await;
    assert!(
        locked.status == 401 && locked.text().contains("locked for 15 minutes"),
        "{}",
        locked.text()
    );
    // A sign-in form without its anti-forgery token is refused.
    let forged = Browser::new(&app)
        .post(
            "/console/login",
            &[("csrf", "x"), ("username", "rita"), ("password", &password("rita"))],
        )
        .await;
    assert!(forged.status == 401 && forged.text().contains("The form expired"));

    // TOTP: the password alone is not enough.
    let secret = totp_out
        .lines()
        .find_map(|l| l.strip_prefix("authenticator secret: "))
        .unwrap()
        .trim()
        .to_owned();
    let tom = Browser::new(&app);
    assert_eq!(tom.sign_in("tom", &password("tom"), "").await.status, 401);
    let code = verity_http::console::totp::code_at(
        &verity_http::console::totp::base32_decode(&secret).unwrap(),
        verity_http::now(),
    );
    assert_eq!(
        tom.sign_in("tom", &password("tom"), &format!("{code:06}")).await.status,
        303
    );

    // Rita reviews: the queue, oldest first; a session with its data, evidence and images.
    let rita = Browser::new(&app);
    let signed = rita.sign_in("rita", &password("rita"), "").await;
    assert_eq!((signed.status, signed.location.as_str()), (303, "/console/reviews"));
    let queue = rita.get("/console/reviews?type=BUSINESS").await.text();
    let positions: Vec<usize> = sessions
        .iter()
        .map(|s| queue.find(s.as_str()).expect("in the queue"))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "oldest first");
    assert!(
        !rita
            .get("/console/reviews?type=NATURAL")
            .await
            .text()
            .contains(sessions[0].as_str())
    );
    let page = rita.get(&session_url(&sessions[0])).await;
    let html = page.text();
    assert_eq!(page.headers["cache-control"], "no-store, private");
    for expected in [
        "Declared and registered",
        "Unlisted Trading Ltd",
        "Marie Dubois",
        "BUSINESS_VERIFICATION",
        "registry_lookup",
        "files/front",
        "files/selfie",
        "Approve",
    ] {
        assert!(html.contains(expected), "{expected} missing");
    }
    let image = rita.get(&format!("{}/files/front", session_url(&sessions[0]))).await;
    assert_eq!(
        (image.status, image.headers["content-type"].to_str().unwrap()),
        (200, "image/jpeg")
    );
    assert!(image.headers["cache-control"].to_str().unwrap().contains("no-store"));
    assert!(image::load_from_memory(&image.body).is_ok());

    // Another reviewer sees the claim and cannot decide; an auditor cannot decide at all.
    let rob = Browser::new(&app);
    rob.sign_in("rob", &password("rob"), "").await;
    let rob_page = rob.get(&session_url(&sessions[0])).await;
    assert!(rob_page.text().contains("Another reviewer is deciding this session."));
    let rob_csrf = rob_page.csrf();
    let refused = rob
        .post(
            &format!("{}/decide", session_url(&sessions[0])),
            &[("csrf", &rob_csrf), ("action", "approve")],
        )
        .await;
    assert_eq!(refused.status, 409);
    let aude = Browser::new(&app);
    aude.sign_in("aude", &password("aude"), "").await;
    let aude_page = aude.get(&session_url(&sessions[1])).await;
    let denied = aude
        .post(
            &format!("{}/decide", session_url(&sessions[1])),
            &[("csrf", &aude_page.csrf()), ("action", "approve")],
        )
        .await;
    assert!(denied.status == 403 && denied.text().contains("Your role cannot decide sessions."));
    // A forged decision (wrong CSRF token) changes nothing.
    let forged = rita
        .post(
            &format!("{}/decide", session_url(&sessions[0])),
            &[("csrf", "forged"), ("action", "approve")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(
        api.get(&format!("/identity-verifications/{}", sessions[0]))
            .await
            .json()["Status"],
        "REVIEW"
    );

    // Rita approves one and refuses another; the platform gets the webhooks and the bodies.
    let csrf = page.csrf();
    let approved = rita
        .post(
            &format!("{}/decide", session_url(&sessions[0])),
            &[("csrf", &csrf), ("action", "approve")],
        )
        .await;
    assert_eq!(approved.status, 303, "{}", approved.text());
    receiver.expect("IDENTITY_VERIFICATION_VALIDATED", &sessions[0]).await;
    assert_eq!(
        api.get(&format!("/identity-verifications/{}", sessions[0]))
            .await
            .json()["Status"],
        "VALIDATED"
    );
    rita.get(&session_url(&sessions[1])).await;
    let mut refusal = vec![
        ("csrf", csrf.as_str()),
        ("action", "refuse"),
        ("reason", "BUSINESS_INSIGHTS_MATCH_FAILED@BUSINESS_INSIGHTS_MATCH"),
        ("comment", "The representative is not a director of record"),
    ];
    // Without its confirmation a refusal only shows what the platform will see.
    let unconfirmed = rita
        .post(&format!("{}/decide", session_url(&sessions[1])), &refusal)
        .await;
    assert_eq!(unconfirmed.status, 200);
    assert!(unconfirmed.text().contains("The platform will see this refusal"));
    assert!(
        unconfirmed
            .text()
            .contains("The representative or owners are not those the registry lists")
    );
    assert_eq!(
        api.get(&format!("/identity-verifications/{}", sessions[1]))
            .await
            .json()["Status"],
        "REVIEW"
    );
    refusal.push(("confirm", "yes"));
    assert_eq!(
        rita.post(&format!("{}/decide", session_url(&sessions[1])), &refusal)
            .await
            .status,
        303
    );
    receiver.expect("IDENTITY_VERIFICATION_FAILED", &sessions[1]).await;
    let body = api
        .get(&format!("/identity-verifications/{}", sessions[1]))
        .await
        .json();
    let reason = body["Checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["Type"] == "BUSINESS_INSIGHTS_MATCH")
        .map(|c| c["Reasons"][0].clone())
        .unwrap();
    assert_eq!(
        (body["Status"].as_str(), reason),
        (
            Some("REFUSED"),
            serde_json::json!({"Type": "BUSINESS_INSIGHTS_MATCH_FAILED", "Value": "The representative is not a director of record"})
        )
    );

    // Two decisions racing on one session: exactly one wins, one webhook leaves.
    let third = session_url(&sessions[2]);
    let csrf = rita.get(&third).await.csrf();
    let target = format!("{third}/decide");
    let approve = [("csrf", csrf.as_str()), ("action", "approve")];
    let refuse = [
        ("csrf", csrf.as_str()),
        ("action", "refuse"),
        ("reason", "DOCUMENT_NOT_ACCEPTED@BUSINESS_VERIFICATION"),
        ("comment", "Extract too old"),
        ("confirm", "yes"),
    ];
    let (a, b) = tokio::join!(rita.post(&target, &approve), rita.post(&target, &refuse));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [303, 409]);
    let decided = receiver
        .wait_for(1, std::time::Duration::from_secs(20), |r| {
            r.resource() == sessions[2] && r.event() != "IDENTITY_VERIFICATION_INCONCLUSIVE"
        })
        .await;
    assert_eq!(decided.len(), 1);

    // The audit log has every view of personal data, is searchable, exportable, and append-only.
    let log = aude.get("/console/audit?q=view_file").await.text();
    assert!(
        log.contains("rita") && log.contains(&sessions[0]) && log.contains("front"),
        "{log}"
    );
    let csv = aude.get("/console/audit.csv").await;
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text();
    for action in [
        "login_failed",
        "login",
        "view_session",
        "view_file",
        "decide",
        "decision_refused",
        "forged_request",
    ] {
        assert!(
            csv.contains(&format!("\"{action}\"")),
            "{action} missing from the export"
        );
    }
    assert_eq!(
        rita.get("/console/audit").await.status,
        403,
        "reviewers do not read the audit log"
    );
    let (update, delete) = if backend == Backend::Sqlite {
        let pool = sqlx::SqlitePool::connect(&app.db.url).await.unwrap();
        (
            sqlx::query("UPDATE audit_log SET username = 'nobody'")
                .execute(&pool)
                .await
                .map(|_| ()),
            sqlx::query("DELETE FROM audit_log").execute(&pool).await.map(|_| ()),
        )
    } else {
        let pool = sqlx::PgPool::connect(&app.db.url).await.unwrap();
        (
            sqlx::query("UPDATE audit_log SET username = 'nobody'")
                .execute(&pool)
                .await
                .map(|_| ()),
            sqlx::query("DELETE FROM audit_log").execute(&pool).await.map(|_| ()),
        )
    };
    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(delete.unwrap_err().to_string().contains("append-only"));

    // Disabling a staff member ends their sessions at once.
    let (ok, _, err) = cli(&app, &["staff", "disable", "rita"]).await;
    assert!(ok, "{err}");
    assert_eq!(rita.get("/console/reviews").await.location, "/console/login");
}
