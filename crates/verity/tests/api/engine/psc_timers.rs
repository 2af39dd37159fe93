//! The PSC flow's timers and e-mails, on SQLite and PostgreSQL: PSC sessions expiring by both
//! timers and an operator's abandon; each PSC's link and reminder e-mailed through a real SMTP
//! server in the session's language. Set-up shared with `psc.rs`.

use std::time::Duration;

use serde_json::json;

use super::psc::*;
use super::*;
use crate::helpers::*;
use crate::hosted::Hosted;
use crate::smtp::SmtpServer;

/// PSC sessions expire 7 days after creation or 1 hour after their liveness step started
/// (here 30 s and 1 s), and an operator can set a PSC aside.
async fn expiry_and_abandon(backend: Backend) {
    let (app, api, receiver, client) = psc_platform(
        backend,
        &[("VERITY_PSC_SESSION_TTL", "30s"), ("VERITY_PSC_LIVENESS_TTL", "1s")],
    )
    .await;
    let (user, main) = declare_company(&app, &api, &[&MARIE, &PAUL]).await;
    let v = decision(&api, &receiver, &main).await;
    assert_eq!(v["Status"], "VALIDATED", "{v:#}");
    let declared = pscs(&v);
    assert_eq!(declared.len(), 3);
    let (alex, marie, paul) = (&declared[0], &declared[1], &declared[2]);

    // The operator sets Paul aside.
    let paul_id = paul["Id"].as_str().unwrap();
    let (ok, out, err) = cli(&app, &["sessions", "abandon-psc", "--client", &client, paul_id]).await;
    assert!(ok && out.contains("ABANDONED"), "{out}{err}");
    receiver.expect(PSC_ABANDONED, &main).await;
    let (ok, _, err) = cli(&app, &["sessions", "abandon-psc", "--client", &client, paul_id]).await;
    assert!(!ok && err.contains("ABANDONED"), "abandoned twice: {err}");
    let again = api
        .put(
            &format!("/identity-verifications/{main}/pscs/{paul_id}/retry"),
            json!({}),
        )
        .await;
    assert_eq!(again.status, 400, "an abandoned PSC cannot be retried: {}", again.text);

    // Marie starts her liveness step: her session now ends within the (shortened) hour, long
    // before the (shortened) week that ends Alex's.
    let hosted = Hosted::from_link(&app, marie["HostedUrl"].as_str().unwrap());
    hosted.to_photos().await;
    let (status, challenge) = hosted.liveness_challenge().await;
    assert_eq!(status, 200, "{challenge}");
    let marie_rejected = receiver
        .wait_for(1, Duration::from_secs(30), |r| {
            r.event() == PSC_REJECTED && r.resource() == main
        })
        .await;
    let v = api.get(&format!("/identity-verifications/{main}")).await.json();
    assert_eq!(pscs(&v)[1]["Status"], "REJECTED", "{v:#}");
    assert_eq!(
        pscs(&v)[0]["Status"],
        "PENDING_VALIDATION",
        "Alex's week is not over: {v:#}"
    );
    receiver.expect(EXPIRED, marie["SessionId"].as_str().unwrap()).await;
    // Then Alex's session reaches its end of life.
    receiver
        .wait_for(2, Duration::from_secs(60), |r| {
            r.event() == PSC_REJECTED && r.resource() == main
        })
        .await;
    assert!(marie_rejected[0].at < receiver.all().last().unwrap().at);
    let v = api.get(&format!("/identity-verifications/{main}")).await.json();
    assert_eq!(pscs(&v)[0]["Status"], "REJECTED", "{v:#}");
    assert_eq!(pscs(&v)[2]["Status"], "ABANDONED");
    assert_eq!(kyc_level(&api, &user).await, "LIGHT");
    assert_eq!(alex["Status"], "PENDING_VALIDATION");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psc_expiry_and_abandon_on_sqlite() {
    expiry_and_abandon(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psc_expiry_and_abandon_on_postgres() {
    expiry_and_abandon(Backend::Postgres).await;
}

/// `(Email, HostedUrl)` of each PSC of a session.
pub async fn psc_links(api: &Api, main: &str) -> Vec<(String, String)> {
    let v = api.get(&format!("/identity-verifications/{main}")).await.json();
    pscs(&v)
        .iter()
        .map(|p| {
            (
                p["Email"].as_str().unwrap().to_owned(),
                p["HostedUrl"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Each PSC gets their link by e-mail through a real SMTP server, in the session's language, and
/// a reminder before the session ends; the links in the messages open the PSC's pages.
async fn emails(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let (app, api, receiver, _) = psc_platform(
        backend,
        &[
            ("VERITY_SMTP_URL", smtp.url.as_str()),
            ("VERITY_MAIL_FROM", "Verity <no-reply@verity.test>"),
            ("VERITY_PSC_SESSION_TTL", "20s"),
        ],
    )
    .await;
    let (_, french) = declare_company_in(&app, &api, &[&MARIE], Some("fr-FR")).await;
    let (_, english) = declare_company_in(&app, &api, &[&MARIE], None).await;
    for main in [&french, &english] {
        let v = decision(&api, &receiver, main).await;
        assert_eq!(v["Status"], "VALIDATED", "{v:#}");
    }
    let (french_links, english_links) = (psc_links(&api, &french).await, psc_links(&api, &english).await);
    assert!(
        french_links.iter().all(|(_, l)| l.ends_with("&lng=fr")),
        "{french_links:?}"
    );

    // One message per PSC, to the declared address, with the PSC's own link, in the language.
    let sent = smtp
        .wait_for(4, Duration::from_secs(30), |m| m.subject.contains("ACME SAS"))
        .await;
    for (email, link) in &french_links {
        let m = sent
            .iter()
            .find(|m| m.text.contains(link.as_str()))
            .unwrap_or_else(|| panic!("no e-mail with {link}: {sent:#?}"));
        assert_eq!(m.to, *email);
        assert_eq!(m.from, "Verity <no-reply@verity.test>");
        assert_eq!(m.subject, "ACME SAS : merci de vérifier votre identité");
        assert!(
            m.html.contains("<html lang=\"fr\">") && m.html.contains("Vérifier mon identité"),
            "{}",
            m.html
        );
        // The link works and opens the pages in French.
        let page = app.http.get(link.as_str()).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("<html lang=\"fr\">"));
    }
    for (email, link) in &english_links {
        let m = sent.iter().find(|m| m.text.contains(link.as_str())).unwrap();
        assert_eq!(m.to, *email);
        assert_eq!(m.subject, "ACME SAS: please verify your identity");
        assert!(m.text.starts_with("Hello "), "{}", m.text);
    }

    // Half-way through their (here 20-second) life, the PSCs still pending are reminded.
    let reminders = smtp
        .wait_for(4, Duration::from_secs(60), |m| {
            m.subject.starts_with("Rappel") || m.subject.starts_with("Reminder")
        })
        .await;
    assert_eq!(
        reminders
            .iter()
            .filter(|m| m.subject.starts_with("Rappel : ACME SAS"))
            .count(),
        2,
        "{reminders:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psc_emails_on_sqlite() {
    emails(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psc_emails_on_postgres() {
    emails(Backend::Postgres).await;
}
