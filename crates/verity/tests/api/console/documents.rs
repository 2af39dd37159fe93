//! KYC documents and UBO declarations a production client submits wait for a reviewer in the
//! console: the queue lists them, a document's pages are shown (watermarked, each view audited),
//! a declaration's UBOs are shown, and a reviewer's decision reaches the platform by webhook;
//! a read-only role cannot decide.

use serde_json::json;

use super::setup::*;
use crate::engine::cli;
use crate::helpers::*;
use crate::receiver::Receiver;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewers_decide_kyc_documents_and_ubo_declarations() {
    let receiver = Receiver::ok().await;
    let app = TestApp::spawn(Backend::Sqlite, &[("VERITY_WEBHOOK_ALLOW_PRIVATE", "true")]).await;
    let (client, key) = create_client(&app.db, &app.env, "Live documents", &["--environment", "production"]).await;
    let api = Api {
        http: app.http.clone(),
        token: app.token_for(&client, &key).await,
        prefix: app.url(&format!("/v2.01/{client}")),
    };
    for event in ["KYC_FAILED", "UBO_DECLARATION_INCOMPLETE"] {
        let r = api
            .post("/hooks", json!({"EventType": event, "Url": receiver.url}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = api.post("/users/legal", legal_owner_body("BUSINESS")).await;
    let user = r.json()["Id"].as_str().unwrap().to_owned();
    let (doc, decl) = documents_for_review(&api, &user).await;

    // The operator's view from the command line.
    let (ok, out, err) = cli(&app, &["review", "documents"]).await;
    assert!(ok && out.contains(&doc) && out.contains(&decl), "{out}{err}");

    add_staff(&app, "rita", "Rita Reviewer", "reviewer", &[]).await;
    add_staff(&app, "aude", "Aude Auditor", "auditor", &[]).await;
    let rita = Browser::new(&app);
    assert_eq!(rita.sign_in("rita", &password("rita"), "").await.status, 303);
    let queue = rita.get("/console/documents").await.text();
    assert!(queue.contains(&doc) && queue.contains(&decl), "{queue}");

    // The document with its page, watermarked; the view is audited.
    let doc_page = format!("/console/clients/{client}/kyc/{doc}");
    let html = rita.get(&doc_page).await;
    assert_eq!(html.status, 200);
    assert!(
        html.text().contains("REGISTRATION_PROOF") && html.text().contains("/pages/1"),
        "{}",
        html.text()
    );
    let image = rita.get(&format!("{doc_page}/pages/1")).await;
    assert_eq!(image.status, 200);
    assert_eq!(image.headers["content-type"], "image/jpeg");

    // An auditor reads but cannot decide.
    let aude = Browser::new(&app);
    assert_eq!(aude.sign_in("aude", &password("aude"), "").await.status, 303);
    let aude_csrf = aude.get(&doc_page).await.csrf();
    let refused = aude
        .post(
            &format!("{doc_page}/decide"),
            &[("csrf", &aude_csrf), ("action", "validate")],
        )
        .await;
    assert_eq!(refused.status, 403);

    // The reviewer refuses the document with a reason and message.
    let csrf = html.csrf();
    let r = rita
        .post(
            &format!("{doc_page}/decide"),
            &[
                ("csrf", &csrf),
                ("action", "refuse"),
                ("reason", "DOCUMENT_UNREADABLE"),
                ("message", "The scan is cut at the bottom."),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    receiver.expect("KYC_FAILED", &doc).await;
    let v = api.get(&format!("/kyc/documents/{doc}")).await.json();
    assert_eq!(
        (v["RefusedReasonType"].as_str(), v["RefusedReasonMessage"].as_str()),
        (Some("DOCUMENT_UNREADABLE"), Some("The scan is cut at the bottom."))
    );

    // The declaration: its UBO shown, sent back as incomplete.
    let decl_page = format!("/console/clients/{client}/ubo/{decl}");
    let html = rita.get(&decl_page).await.text();
    assert!(html.contains("Zoe Unlisted"), "{html}");
    let r = rita
        .post(
            &format!("{decl_page}/decide"),
            &[
                ("csrf", &csrf),
                ("action", "incomplete"),
                ("reason", "MISSING_UBO"),
                ("message", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    receiver.expect("UBO_DECLARATION_INCOMPLETE", &decl).await;
    let queue = rita.get("/console/documents").await.text();
    assert!(
        !queue.contains(&doc) && !queue.contains(&decl),
        "decided ones leave the queue: {queue}"
    );
}
