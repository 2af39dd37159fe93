//! `verity inspect-document`: what the engine reads from document images.

use std::path::{Path, PathBuf};

use super::Failure;

/// `verity inspect-document`: one JSON object per file, on one line each; exit 1 if any failed.
pub(super) fn inspect_documents(files: &[PathBuf]) -> Result<(), Failure> {
    let mut failed = 0;
    for path in files {
        let result = std::fs::read(path)
            .map_err(|e| format!("cannot read: {e}"))
            .and_then(|bytes| {
                let start = std::time::Instant::now();
                let gray = verity_reader::decode(&bytes).map_err(|e| e.to_string())?;
                let reading = verity_reader::read_gray(&gray);
                let faces_start = std::time::Instant::now();
                let faces = verity_reader::face::detect(&gray);
                Ok(serde_json::json!({
                    "file": path.display().to_string(),
                    "mrz": reading.mrz.as_ref().map(|m| serde_json::json!({
                        "lines": m.lines,
                        "format": m.fields.format,
                        "fields": {
                            "document_code": m.fields.document_code,
                            "issuing_state": m.fields.issuing_state,
                            "surname": m.fields.surname,
                            "given_names": m.fields.given_names,
                            "document_number": m.fields.document_number,
                            "nationality": m.fields.nationality,
                            "birth_date": m.fields.birth_date,
                            "sex": m.fields.sex.to_string(),
                            "expiry_date": m.fields.expiry_date,
                            "optional_data": m.fields.optional_data,
                        },
                        "check_digits": m.fields.check_digits.iter().map(|c| serde_json::json!({
                            "field": c.field, "printed": c.printed.to_string(), "computed": c.computed.to_string(), "ok": c.ok(),
                        })).collect::<Vec<_>>(),
                        "valid": m.fields.valid(),
                        "corrections": m.corrections,
                        "mean_score": m.mean_score,
                        "lowest_score": m.lowest_score,
                    })),
                    "quality": reading.quality,
                    "faces": faces,
                    "phash": reading.phash,
                    "timings_ms": {
                        "locate": reading.timings.locate_ms,
                        "read": reading.timings.read_ms,
                        "faces": faces_start.elapsed().as_secs_f64() * 1000.0,
                        "total": start.elapsed().as_secs_f64() * 1000.0,
                    },
                }))
            });
        match result {
            Ok(value) => println!("{value}"),
            Err(e) => {
                failed += 1;
                println!(
                    "{}",
                    serde_json::json!({"file": path.display().to_string(), "error": e})
                );
            }
        }
    }
    if failed > 0 {
        return Err(Failure(format!("{failed} of {} files could not be read", files.len())));
    }
    Ok(())
}

/// `verity compare-faces`: one JSON object; exit 1 when an image cannot be read or no matcher is
/// built in.
pub(super) fn compare_faces(document: &Path, selfies: &[PathBuf]) -> Result<(), Failure> {
    use verity_domain::engine::biometrics::{BUILT_IN_THRESHOLDS, MatchVerdict, judge};
    use verity_service::biometrics;

    if !biometrics::BUILT_IN {
        return Err(Failure(
            "this build of verity has no face matcher (it was built without the `biometrics` feature)".into(),
        ));
    }
    let scan = |path: &Path, side: biometrics::Side| -> Result<(biometrics::ScannedFaces, f64), Failure> {
        let bytes = std::fs::read(path).map_err(|e| Failure(format!("cannot read {}: {e}", path.display())))?;
        let start = std::time::Instant::now();
        let image = verity_reader::decode_image(&bytes).map_err(|e| Failure(format!("{}: {e}", path.display())))?;
        let found = biometrics::scan(&image, side).ok_or_else(|| Failure("no face detector is built in".into()))?;
        Ok((found, start.elapsed().as_secs_f64() * 1000.0))
    };
    let faces_json = |path: &Path, s: &biometrics::ScannedFaces, ms: f64| {
        serde_json::json!({
            "file": path.display().to_string(),
            "detected": s.detected,
            "faces": s.measures.iter().zip(&s.boxes).zip(&s.landmarks).map(|((m, b), l)| serde_json::json!({
                "box": {"left": b[0], "top": b[1], "right": b[2], "bottom": b[3]},
                "landmarks": l,
                "eye_distance": m.eye_distance,
                "sharpness": m.sharpness,
                "yaw": m.yaw,
            })).collect::<Vec<_>>(),
            "ms": (ms * 10.0).round() / 10.0,
        })
    };
    let (doc, doc_ms) = scan(document, biometrics::Side::Document)?;
    let thresholds = BUILT_IN_THRESHOLDS;
    let mut comparisons = Vec::new();
    let mut verdicts = Vec::new();
    for path in selfies {
        let (selfie, ms) = scan(path, biometrics::Side::Selfie)?;
        let comparison = biometrics::compare(&doc, &selfie);
        let verdict = judge(&comparison, &thresholds);
        verdicts.push(verdict);
        comparisons.push(serde_json::json!({
            "selfie": faces_json(path, &selfie, ms),
            "distance": comparison.distance,
            "outcome": verdict_name(verdict),
            "reason": match verdict { MatchVerdict::Inconclusive(u) => Some(u.code()), _ => None },
            "explanation": match verdict { MatchVerdict::Inconclusive(u) => Some(u.explain()), _ => None },
        }));
    }
    // One failed selfie fails the whole; any unsure one leaves it unsure.
    let overall = if verdicts.contains(&MatchVerdict::Fail) {
        "fail"
    } else if verdicts.iter().all(|v| *v == MatchVerdict::Pass) {
        "pass"
    } else {
        "inconclusive"
    };
    println!(
        "{}",
        serde_json::json!({
            "matcher": verity_domain::engine::biometrics::BUILT_IN_MATCHER,
            "document": faces_json(document, &doc, doc_ms),
            "comparisons": comparisons,
            "thresholds": thresholds,
            "outcome": overall,
        })
    );
    Ok(())
}

fn verdict_name(v: verity_domain::engine::biometrics::MatchVerdict) -> &'static str {
    use verity_domain::engine::biometrics::MatchVerdict;
    match v {
        MatchVerdict::Pass => "pass",
        MatchVerdict::Fail => "fail",
        MatchVerdict::Inconclusive(_) => "inconclusive",
    }
}

/// `verity sample-documents`: writes the files and lists them.
pub(super) fn sample_documents(out: &Path, first: &str, last: &str, birth: &str, state: &str) -> Result<(), Failure> {
    use verity_service::samples;
    let parts: Vec<&str> = birth.split('-').collect();
    let date = match parts[..] {
        [y, m, d] => match (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>()) {
            (Ok(y), Ok(m), Ok(d)) if (1900..=2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d) => {
                (y, m, d)
            }
            _ => {
                return Err(Failure(format!(
                    "--birth-date {birth} is not a date written YYYY-MM-DD"
                )));
            }
        },
        _ => {
            return Err(Failure(format!(
                "--birth-date {birth} is not a date written YYYY-MM-DD"
            )));
        }
    };
    if state.len() != 3 || !state.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(Failure(format!(
            "--state {state} is not a three-letter ICAO code such as GBR"
        )));
    }
    if first.trim().is_empty() || last.trim().is_empty() {
        return Err(Failure("--first-name and --last-name cannot be empty".into()));
    }
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let today = {
        let text = verity_domain::hosted::format_date(verity_common::clock::now());
        let p: Vec<u32> = text.split('-').filter_map(|v| v.parse().ok()).collect();
        (p[0] as i32, p[1], p[2])
    };
    let files = [
        ("passport.jpg", samples::passport_for(last, first, date, state, today)),
        ("selfie.jpg", samples::selfie()),
        ("specimen-id-card-front.jpg", samples::document(0)),
        ("specimen-id-card-back.jpg", samples::document(1)),
    ];
    for (name, bytes) in files {
        let path = out.join(name);
        std::fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("{}", path.display());
    }
    eprintln!(
        "passport.jpg and selfie.jpg pass the production engine for {first} {last}, born {birth}; the SPECIMEN card (state UTO) is for the sandbox simulator and is refused by the engine"
    );
    Ok(())
}
