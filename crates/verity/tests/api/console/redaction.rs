//! Redaction and retention erase personal data and images but keep the record.

use super::setup::*;
use crate::engine::*;
use crate::helpers::*;

fn blob_files(app: &TestApp) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| if e.path().is_dir() { count(&e.path()) } else { 1 })
                    .sum()
            })
            .unwrap_or(0)
    }
    count(&app.db.data_dir.path().join("blobs"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redaction_erases_personal_data_and_images_but_keeps_the_record() {
    const ADMIN: &str = "an-admin-token-of-32-characters!!";
    let (app, api, client, _receiver, _face, sessions) = platform_with_reviews(
        Backend::Sqlite,
        &[("VERITY_ADMIN_TOKEN", ADMIN)],
        &[(90, "44444444"), (91, "44444444"), (92, "44444444")],
    )
    .await;
    // Each session stored a passport photo, a selfie and two company documents.
    assert_eq!(blob_files(&app), 12);

    // An operator redacts the first one in the console.
    add_staff(&app, "olga", "Olga Operator", "operator", &[]).await;
    add_staff(&app, "rex", "Rex Reviewer", "reviewer", &[]).await;
    let olga = Browser::new(&app);
    olga.sign_in("olga", &password("olga"), "").await;
    let url = format!("/console/clients/{client}/sessions/{}", sessions[0]);
    let page = olga.get(&url).await;
    assert!(page.text().contains("Redact personal data"));
    let rex = Browser::new(&app);
    rex.sign_in("rex", &password("rex"), "").await;
    let rex_csrf = rex.get(&url).await.csrf();
    assert_eq!(
        rex.post(&format!("{url}/redact"), &[("csrf", &rex_csrf)]).await.status,
        403,
        "reviewers do not redact"
    );
    assert_eq!(
        olga.post(&format!("{url}/redact"), &[("csrf", &page.csrf())])
            .await
            .status,
        303
    );
    assert_eq!(
        blob_files(&app),
        8,
        "the first session's four files are gone from the blob store"
    );
    let after = olga.get(&url).await.text();
    // What was entered in the session is gone (the platform's own user record is not the session's).
    assert!(
        after.contains("No file was uploaded.")
            && !after.contains("1 High Street")
            && after.contains("BUSINESS_VERIFICATION"),
        "{after}"
    );
    assert!(
        after.contains("&quot;redacted&quot;") && !after.contains("DUBOIS"),
        "evidence details are gone"
    );
    assert_eq!(olga.get(&format!("{url}/files/front")).await.status, 404);
    // The platform still sees the session's status and checks, without the values read.
    let body = api
        .get(&format!("/identity-verifications/{}", sessions[0]))
        .await
        .json();
    assert_eq!(body["Status"], "REVIEW");
    let idv = body["Checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["Type"] == "IDENTITY_DOCUMENT_VERIFICATION")
        .unwrap()
        .clone();
    assert_eq!(idv["CheckStatus"], "VALIDATED");
    assert!(
        idv["Data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["Value"].as_str().is_none_or(str::is_empty)),
        "{idv}"
    );

    // The admin API does the same.
    let r = app
        .http
        .post(app.url(&format!(
            "/admin/v1/clients/{client}/identity-verifications/{}/redact",
            sessions[1]
        )))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["FilesDeleted"], 4);
    assert_eq!(blob_files(&app), 4);

    // Retention: decided sessions' files older than zero days go when the purge runs (a session
    // waiting for review keeps them); the audit trail stays.
    let approved = app
        .http
        .post(app.url(&format!(
            "/admin/v1/clients/{client}/identity-verifications/{}/approve",
            sessions[2]
        )))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status().as_u16(), 200);
    let (ok, _, err) = cli(&app, &["clients", "set-policy", &client, "--retention-files-days", "0"]).await;
    assert!(ok, "{err}");
    let (ok, out, err) = cli(&app, &["sessions", "purge-expired-data"]).await;
    assert!(ok, "{err}");
    assert!(out.contains("sessions redacted"), "{out}");
    assert_eq!(blob_files(&app), 0);
    let log = olga.get("/console/audit?q=redact").await.text();
    assert!(log.contains(&sessions[0]) && log.contains("olga"), "{log}");
}
