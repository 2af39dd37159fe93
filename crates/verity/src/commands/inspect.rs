//! `verity inspect-document`: what the engine reads from document images.

use std::path::PathBuf;

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
