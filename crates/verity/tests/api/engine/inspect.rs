//! The `inspect-document` command prints what the engine reads of a photo.

use serde_json::{Value, json};
use verity_corpus::{Flaw, Kind, Level, Painter, Specimen};

use super::TODAY;
use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_document_prints_what_the_engine_reads() {
    let dir = tempfile::tempdir().unwrap();
    let painter = Painter::new();
    let specimen = Specimen::generate(&painter, 70, Kind::IdCard, TODAY, Flaw::TamperedBirthDate, None);
    let (jpeg, _) = specimen.photograph(Level::Light, 70);
    let card = dir.path().join("card.jpg");
    std::fs::write(&card, jpeg).unwrap();
    let junk = dir.path().join("junk.jpg");
    std::fs::write(&junk, b"not an image").unwrap();
    let out = verity()
        .args(["inspect-document", card.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["mrz"]["lines"], json!(specimen.mrz));
    assert_eq!(v["mrz"]["format"], "Td1");
    let failed: Vec<&str> = v["mrz"]["check_digits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["birth_date", "composite"], "{v:#}");
    assert!(v["timings_ms"]["total"].as_f64().unwrap() > 0.0);
    let out = verity()
        .args(["inspect-document", junk.to_str().unwrap(), card.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines[0]["error"].as_str().unwrap().contains("not an image"),
        "{lines:?}"
    );
    assert!(lines[1]["mrz"].is_object());
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 of 2 files could not be read"));
}

/// `verity compare-faces` decides as the engine does, and explains itself, without a database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_faces_explains_the_face_match() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: Vec<String>| async move {
        let out = crate::helpers::verity().args(&args).output().await.unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let samples = dir.path().join("samples");
    let (code, _, err) = run(vec![
        "sample-documents".into(),
        "--out".into(),
        samples.display().to_string(),
    ])
    .await;
    assert_eq!(code, 0, "{err}");
    let passport = samples.join("passport.jpg").display().to_string();
    let selfie = samples.join("selfie.jpg").display().to_string();
    let other = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../faces/tests/fixtures/grace_hopper.png")
        .display()
        .to_string();
    let (code, out, err) = run(vec![
        "compare-faces".into(),
        passport.clone(),
        selfie.clone(),
        other.clone(),
    ])
    .await;
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["matcher"], "verity-dlib-resnet-v1");
    assert_eq!(v["document"]["faces"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["document"]["faces"][0]["landmarks"].as_array().unwrap().len(), 5);
    let comparisons = v["comparisons"].as_array().unwrap();
    assert_eq!(comparisons[0]["outcome"], "pass", "{v}");
    assert!(comparisons[0]["distance"].as_f64().unwrap() < v["thresholds"]["pass_below"].as_f64().unwrap());
    assert_eq!(comparisons[1]["outcome"], "fail", "{v}");
    assert!(comparisons[1]["distance"].as_f64().unwrap() > v["thresholds"]["fail_above"].as_f64().unwrap());
    // One selfie of someone else fails the whole.
    assert_eq!(v["outcome"], "fail");
    // Not an image: a plain error and a non-zero exit.
    let text = dir.path().join("notes.jpg");
    std::fs::write(&text, "not a photo").unwrap();
    let (code, _, err) = run(vec!["compare-faces".into(), passport, text.display().to_string()]).await;
    assert_eq!(code, 1);
    assert!(err.starts_with("error: ") && err.contains("notes.jpg"), "{err}");
}
