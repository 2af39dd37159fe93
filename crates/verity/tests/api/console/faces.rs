//! What the built-in matcher compared is there for reviewers: the two aligned face chips, sealed
//! like the uploads, listed on the session page and served (watermarked) only to staff.

use super::setup::*;
use crate::engine::*;
use crate::helpers::*;
use crate::receiver::Receiver;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewers_see_the_face_chips_the_matcher_compared() {
    let receiver = Receiver::ok().await;
    let app = TestApp::spawn(Backend::Sqlite, &[("VERITY_WEBHOOK_ALLOW_PRIVATE", "true")]).await;
    let (api, client) = live_client(&app, &receiver).await;
    let pages = alex_passport();
    let session =
        submit_natural_with_selfie(&app, &api, &ALEX, ("PASSPORT", "GB"), &pages, verity_corpus::selfie(3)).await;
    decision(&api, &receiver, &session).await;
    let url = format!("/console/clients/{client}/sessions/{session}");
    // Not without a staff session.
    let anonymous = Browser::new(&app).get(&format!("{url}/files/face_document")).await;
    assert_eq!((anonymous.status, anonymous.body.len()), (303, 0));
    add_staff(&app, "rita", "Rita Reviewer", "reviewer", &[]).await;
    let rita = Browser::new(&app);
    rita.sign_in("rita", &password("rita"), "").await;
    let page = rita.get(&url).await.text();
    for slot in ["files/face_document", "files/face_selfie"] {
        assert!(page.contains(slot), "{slot} not listed");
    }
    for slot in ["face_document", "face_selfie"] {
        let image = rita.get(&format!("{url}/files/{slot}")).await;
        assert_eq!(image.status, 200, "{slot}");
        let chip = image::load_from_memory(&image.body).unwrap();
        assert_eq!(
            (chip.width(), chip.height()),
            (150, 150),
            "{slot}: the matcher's aligned chip"
        );
    }
}
