//! The built-in face matcher end to end, with no face-match provider configured: a production
//! client's natural users, documents carrying a real portrait, and selfies of the same person, of
//! another person, and too poor to compare, through the hosted upload path; on SQLite and
//! PostgreSQL.

use std::path::Path;

use serde_json::Value;
use verity_corpus::{Date, Flaw, Kind};

use super::*;
use crate::helpers::*;
use crate::receiver::Receiver;

/// A public-domain photograph of another person (Grace Hopper; see crates/faces/assets/PROVENANCE.md).
fn another_person() -> image::RgbImage {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../faces/tests/fixtures/grace_hopper.png");
    image::open(path).unwrap().to_rgb8()
}

/// The bundled portrait's person, so small in the frame that the face cannot be compared.
fn far_away_selfie() -> Vec<u8> {
    let portrait = verity_corpus::portrait();
    let small = image::imageops::resize(&portrait, 40, 50, image::imageops::FilterType::Triangle);
    let mut canvas = image::RgbImage::from_pixel(600, 800, image::Rgb([180, 170, 160]));
    image::imageops::overlay(&mut canvas, &small, 280, 300);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&canvas)
        .unwrap();
    out
}

fn alex_passport() -> Vec<(&'static str, Vec<u8>)> {
    photos(
        Kind::Passport,
        identity(
            40,
            "SMITH",
            "ALEX",
            Date {
                year: 1975,
                month: 12,
                day: 21,
            },
            "GBR",
        ),
        Flaw::None,
        40,
    )
}

const ALEX: Person = Person {
    first: "Alex",
    last: "Smith",
    birth: "1975-12-21",
};

/// The face-match rule's evidence, from `verity sessions evidence`.
async fn face_match_evidence(app: &TestApp, session: &str) -> Value {
    let (ok, out, err) = cli(app, &["sessions", "evidence", session]).await;
    assert!(ok, "{err}");
    let record: Value = serde_json::from_str(&out).unwrap();
    record["checks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["evidence"].as_array().unwrap().iter())
        .find(|e| e["rule"] == "face_match")
        .cloned()
        .unwrap_or_else(|| panic!("no face_match evidence in {record}"))
}

async fn built_in_matcher(backend: Backend) {
    let receiver = Receiver::ok().await;
    let app = TestApp::spawn(backend, &[("VERITY_WEBHOOK_ALLOW_PRIVATE", "true")]).await;
    let (api, client) = live_client(&app, &receiver).await;
    let pages = alex_passport();

    // The same person: validated, and the evidence says by how much.
    let genuine = submit_natural_with_selfie(&app, &api, &ALEX, ("PASSPORT", "GB"), &pages, verity_corpus::selfie(3)).await;
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
        &[(IDV, "REFUSED", "FACE_MATCH_FAIL"), (NAME, "VALIDATED", ""), (AGE, "VALIDATED", "")],
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
