//! The PSC flow in the console: a main session lists its Persons of Significant Control with
//! their own sessions, links and e-mails; operators send a link again (a real SMTP server gets
//! it) or set a person aside (the platform's webhook follows); a PSC's own session says whom it
//! verifies; reviewers cannot act on PSCs.

use std::time::Duration;

use super::setup::*;
use crate::engine::psc::{MARIE, declare_company, psc_platform};
use crate::engine::psc_timers::psc_links;
use crate::engine::*;
use crate::helpers::*;
use crate::smtp::SmtpServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_see_and_act_on_pscs() {
    let smtp = SmtpServer::start().await;
    let (app, api, receiver, client) = psc_platform(
        Backend::Sqlite,
        &[
            ("VERITY_SMTP_URL", smtp.url.as_str()),
            ("VERITY_MAIL_FROM", "verity@verity.test"),
        ],
    )
    .await;
    let (_, main) = declare_company(&app, &api, &[&MARIE]).await;
    assert_eq!(decision(&api, &receiver, &main).await["Status"], "VALIDATED");
    let links = psc_links(&api, &main).await;
    smtp.wait_for(2, Duration::from_secs(30), |m| m.subject.contains("ACME SAS"))
        .await;
    let v = api.get(&format!("/identity-verifications/{main}")).await.json();
    let (alex, marie) = (&v["PSCs"][0], &v["PSCs"][1]);
    let marie_id = marie["Id"].as_str().unwrap();

    add_staff(&app, "olga", "Olga Operator", "operator", &[]).await;
    add_staff(&app, "rita", "Rita Reviewer", "reviewer", &[]).await;
    let olga = Browser::new(&app);
    assert_eq!(olga.sign_in("olga", &password("olga"), "").await.status, 303);
    let main_page = format!("/console/clients/{client}/sessions/{main}");
    let page = olga.get(&main_page).await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("Persons of significant control"), "{html}");
    for (email, link) in &links {
        assert!(html.contains(email.as_str()), "{email} missing: {html}");
        assert!(html.contains(&link.replace('&', "&amp;")), "{link} missing: {html}");
    }
    assert!(html.contains("link sent"), "{html}");
    // The declared representative next to the registry's directors.
    assert!(html.contains("Alex Smith"), "{html}");

    // Sending Marie's link again: a second message reaches her.
    let csrf = page.csrf();
    let resent = olga
        .post(
            &format!("/console/clients/{client}/pscs/{marie_id}/resend"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!((resent.status, resent.location.as_str()), (303, main_page.as_str()));
    smtp.wait_for(2, Duration::from_secs(30), |m| {
        m.to == "marie@example.org" && !m.subject.starts_with("Reminder")
    })
    .await;

    // A reviewer may read but not act.
    let rita = Browser::new(&app);
    assert_eq!(rita.sign_in("rita", &password("rita"), "").await.status, 303);
    let rita_csrf = rita.get(&main_page).await.csrf();
    let refused = rita
        .post(
            &format!("/console/clients/{client}/pscs/{marie_id}/abandon"),
            &[("csrf", &rita_csrf)],
        )
        .await;
    assert_eq!(refused.status, 403);

    // Setting Marie aside: ABANDONED, and the platform hears of it.
    let abandoned = olga
        .post(
            &format!("/console/clients/{client}/pscs/{marie_id}/abandon"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(abandoned.status, 303, "{}", abandoned.text());
    receiver.expect("IDENTITY_VERIFICATION_PSC_ABANDONED", &main).await;
    let v = api.get(&format!("/identity-verifications/{main}")).await.json();
    assert_eq!(v["PSCs"][1]["Status"], "ABANDONED");
    let html = olga.get(&main_page).await.text();
    assert!(html.contains("ABANDONED"), "{html}");

    // The platform's page switches the flow and the e-mails, like the CLI.
    let platform_page = format!("/console/clients/{client}");
    let html = olga.get(&platform_page).await.text();
    assert!(html.contains("Stop the PSC flow for new sessions"), "{html}");
    let switched = olga
        .post(
            &format!("{platform_page}/settings"),
            &[("csrf", &csrf), ("action", "psc_emails_off")],
        )
        .await;
    assert_eq!(switched.status, 303);
    let (ok, out, err) = cli(&app, &["clients", "set-policy", &client]).await;
    assert!(
        ok && out.contains("PSC flow on, PSC e-mails sent by the platform"),
        "{out}{err}"
    );

    // Alex's own session says whom it verifies and links back.
    let alex_session = alex["SessionId"].as_str().unwrap();
    let html = olga
        .get(&format!("/console/clients/{client}/sessions/{alex_session}"))
        .await
        .text();
    assert!(
        html.contains("This session verifies <strong>Alex Smith</strong>") && html.contains(&main_page),
        "{html}"
    );
}
