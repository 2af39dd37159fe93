//! The built-in face matcher end to end, with no face-match provider configured: a production
//! client's natural users, documents carrying a real portrait, and selfies of the same person, of
//! another person, and too poor to compare, through the hosted upload path; on SQLite and
//! PostgreSQL.

use std::path::Path;

use serde_json::Value;

use super::*;
use crate::helpers::*;
use crate::receiver::Receiver;

/// A public-domain photograph of another person (Grace Hopper; see crates/faces/assets/PROVENANCE.md).
fn another_person() -> image::RgbImage {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../faces/tests/fixtures/grace_hopper.png");
    image::open(path).unwrap().to_rgb8()
}

/// The bundled portrait's person in a small low-resolution selfie: the face is found, but with
/// about 13 pixels between the eyes it carries too little detail to compare.
fn far_away_selfie() -> Vec<u8> {
    let portrait = verity_corpus::portrait();
    let small = image::imageops::resize(&portrait, 60, 75, image::imageops::FilterType::Triangle);
    let mut canvas = image::RgbImage::from_pixel(160, 200, image::Rgb([180, 170, 160]));
    image::imageops::overlay(&mut canvas, &small, 50, 60);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&canvas)
        .unwrap();
    out
}

/// The evidence of one rule, from `verity sessions evidence`.
async fn rule_evidence(app: &TestApp, session: &str, rule: &str) -> Value {
    let (ok, out, err) = cli(app, &["sessions", "evidence", session]).await;
    assert!(ok, "{err}");
    let record: Value = serde_json::from_str(&out).unwrap();
    record["checks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["evidence"].as_array().unwrap().iter())
        .find(|e| e["rule"] == rule)
        .cloned()
        .unwrap_or_else(|| panic!("no {rule} evidence in {record}"))
}

async fn face_match_evidence(app: &TestApp, session: &str) -> Value {
    rule_evidence(app, session, "face_match").await
}

async fn liveness_evidence(app: &TestApp, session: &str) -> Value {
    rule_evidence(app, session, "active_liveness").await
}

async fn built_in_matcher(backend: Backend) {
    let receiver = Receiver::ok().await;
    let app = TestApp::spawn(backend, &[("VERITY_WEBHOOK_ALLOW_PRIVATE", "true")]).await;
    let (api, client) = live_client(&app, &receiver).await;
    let pages = alex_passport();

    // The same person: validated, and the evidence says by how much.
    let genuine =
        submit_natural_with_selfie(&app, &api, &ALEX, ("PASSPORT", "GB"), &pages, verity_corpus::selfie(3)).await;
    let v = decision(&api, &receiver, &genuine).await;
    expect_checks(
        &v,
        "VALIDATED",
        &[(IDV, "VALIDATED", ""), (NAME, "VALIDATED", ""), (AGE, "VALIDATED", "")],
    );
    let e = face_match_evidence(&app, &genuine).await;
    assert_eq!(e["verdict"], "pass", "{e}");
    assert_eq!(e["detail"]["matcher"], "verity-dlib-resnet-v1");
    let distance = e["detail"]["distance"].as_f64().unwrap();
    assert!(distance < e["detail"]["pass_below"].as_f64().unwrap(), "{e}");
    // The verified identity: the names, birth date and document as read, and the document's pages.
    let user = v["UserId"].as_str().unwrap();
    let r = api.get(&format!("/users/{user}/verified-identity")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let verified = r.json();
    assert_eq!(
        (
            verified["UserType"].as_str(),
            verified["FirstName"].as_str(),
            verified["LastName"].as_str()
        ),
        (Some("NATURAL"), Some("ALEX"), Some("SMITH")),
        "{verified:#}"
    );
    assert_eq!(verified["Birthdate"].as_i64(), Some(188_352_000));
    assert_eq!(verified["Nationality"], "GBR");
    let passport = &verified["Documents"][0];
    assert_eq!(
        (passport["Type"].as_str(), passport["IssuingCountry"].as_str()),
        (Some("PASSPORT"), Some("GB"))
    );
    assert!(passport["ExpiryDate"].as_i64().is_some(), "{passport:#}");
    assert!(verified["Pscs"].as_array().unwrap().is_empty());

    // Another person holding Alex's passport: refused for the face.
    let selfie = verity_corpus::selfie_of(&another_person(), 5);
    let impostor = submit_natural_with_selfie(&app, &api, &ALEX, ("PASSPORT", "GB"), &pages, selfie).await;
    let v = decision(&api, &receiver, &impostor).await;
    let e = face_match_evidence(&app, &impostor).await;
    assert_eq!(e["verdict"], "fail", "{e}");
    expect_checks(&v, "REFUSED", &[(IDV, "REFUSED", "FACE_MATCH_FAIL")]);
    assert!(e["detail"]["distance"].as_f64().unwrap() > e["detail"]["fail_above"].as_f64().unwrap());

    // A face too small to compare: nothing pretends it was compared. Without the client's
    // opt-in to manual review, a natural user's unsure face match is refused...
    let unsure = submit_natural_with_selfie(&app, &api, &ALEX, ("PASSPORT", "GB"), &pages, far_away_selfie()).await;
    let v = decision(&api, &receiver, &unsure).await;
    expect_checks(
        &v,
        "REFUSED",
        &[
            (IDV, "REFUSED", "FACE_MATCH_FAIL"),
            (NAME, "VALIDATED", ""),
            (AGE, "VALIDATED", ""),
        ],
    );
    let e = face_match_evidence(&app, &unsure).await;
    assert_eq!(e["verdict"], "inconclusive", "{e}");
    assert_eq!(e["detail"]["reason"], "selfie_face_too_small", "{e}");

    // ...and with it, a reviewer decides.
    let (ok, _, err) = cli(&app, &["clients", "set-natural-review", &client, "--enabled", "true"]).await;
    assert!(ok, "{err}");
    let unsure = submit_natural_with_selfie(&app, &api, &ALEX, ("PASSPORT", "GB"), &pages, far_away_selfie()).await;
    let v = decision(&api, &receiver, &unsure).await;
    expect_checks(
        &v,
        "REVIEW",
        &[(IDV, "REVIEW", ""), (NAME, "VALIDATED", ""), (AGE, "VALIDATED", "")],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn built_in_face_match_on_sqlite() {
    built_in_matcher(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn built_in_face_match_on_postgres() {
    built_in_matcher(Backend::Postgres).await;
}

/// The selfie step's liveness challenge answered by a still image: a photo of the holder held
/// up to the camera, or a bot posting at once. The server's rules refuse both. (No real
/// head-turn sequence of one person can be had from the registries, so a passing attempt is
/// covered by the rule's own tests on constructed measures, in verity-domain.)
async fn liveness_attempts(backend: Backend) {
    let receiver = Receiver::ok().await;
    let app = TestApp::spawn(backend, &[("VERITY_WEBHOOK_ALLOW_PRIVATE", "true")]).await;
    let (api, client) = live_client(&app, &receiver).await;
    let pages = alex_passport();
    let still = verity_corpus::selfie(3);

    // No attempt (no camera): by default the face match alone decides (first: later users of
    // the same passport and selfie raise fraud signals)...
    let plain = submit_natural_with_selfie(&app, &api, &ALEX, ("PASSPORT", "GB"), &pages, still.clone()).await;
    let v = decision(&api, &receiver, &plain).await;
    expect_checks(
        &v,
        "VALIDATED",
        &[(IDV, "VALIDATED", ""), (NAME, "VALIDATED", ""), (AGE, "VALIDATED", "")],
    );
    assert_eq!(liveness_evidence(&app, &plain).await["verdict"], "info");

    // A bot: the frames arrive the instant the challenge is issued.
    let flow = natural_flow_to_selfie(&app, &api, &ALEX, ("PASSPORT", "GB"), &pages).await;
    let (status, challenge) = flow.hosted.liveness_challenge().await;
    assert_eq!(status, 200, "{challenge}");
    let actions = challenge["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 3);
    assert_eq!(challenge["prompts"].as_array().unwrap().len(), 3);
    let id = challenge["challenge"].as_str().unwrap();
    // An answer of the wrong size is refused, and leaves the challenge open.
    let (status, body) = flow
        .hosted
        .liveness_frames(id, &[1, 2], vec![still.clone(), still.clone()])
        .await;
    assert_eq!(status, 400, "{body}");
    let captured = [1_000, 3_000, 5_000, 7_000];
    let (status, body) = flow.hosted.liveness_frames(id, &captured, vec![still.clone(); 4]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["next"].as_str().unwrap().ends_with("/step/review"), "{body}");
    // The challenge is spent.
    let (status, _) = flow.hosted.liveness_frames(id, &captured, vec![still.clone(); 4]).await;
    assert_eq!(status, 409);
    flow.submit().await;
    let v = decision(&api, &receiver, &flow.session).await;
    let e = liveness_evidence(&app, &flow.session).await;
    assert_eq!(e["verdict"], "fail", "{e}");
    assert_eq!(e["detail"]["reason"], "implausible_timing", "{e}");
    expect_checks(&v, "REFUSED", &[(IDV, "REFUSED", "FACE_MATCH_FAIL")]);

    // A still photo held up: sent at a person's pace, but the frames are copies of each other.
    let flow = natural_flow_to_selfie(&app, &api, &ALEX, ("PASSPORT", "GB"), &pages).await;
    let (_, challenge) = flow.hosted.liveness_challenge().await;
    let id = challenge["challenge"].as_str().unwrap();
    // The person's pace is the condition under test: no event to await, a second must pass.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let (status, body) = flow.hosted.liveness_frames(id, &captured, vec![still.clone(); 4]).await;
    assert_eq!(status, 200, "{body}");
    flow.submit().await;
    let v = decision(&api, &receiver, &flow.session).await;
    let e = liveness_evidence(&app, &flow.session).await;
    assert_eq!(e["verdict"], "fail", "{e}");
    assert_eq!(e["detail"]["reason"], "still_image", "{e}");
    assert_eq!(e["detail"]["frames"].as_array().unwrap().len(), 4);
    expect_checks(&v, "REFUSED", &[(IDV, "REFUSED", "FACE_MATCH_FAIL")]);

    // Where the client requires liveness, a selfie without it goes to a human (review opted in).
    let (ok, _, err) = cli(&app, &["clients", "set-policy", &client, "--liveness", "required"]).await;
    assert!(ok, "{err}");
    let (ok, _, err) = cli(&app, &["clients", "set-natural-review", &client, "--enabled", "true"]).await;
    assert!(ok, "{err}");
    let plain = submit_natural_with_selfie(&app, &api, &ALEX, ("PASSPORT", "GB"), &pages, still).await;
    let v = decision(&api, &receiver, &plain).await;
    expect_checks(
        &v,
        "REVIEW",
        &[(IDV, "REVIEW", ""), (NAME, "VALIDATED", ""), (AGE, "VALIDATED", "")],
    );
    let e = liveness_evidence(&app, &plain).await;
    assert_eq!(e["verdict"], "not_checked", "{e}");
    assert_eq!(e["detail"]["required"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liveness_on_sqlite() {
    liveness_attempts(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liveness_on_postgres() {
    liveness_attempts(Backend::Postgres).await;
}
