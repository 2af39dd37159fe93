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
