//! Schemathesis (installed from PyPI by `tests/setup.sh`) fuzzes every operation of the served
//! OpenAPI document against a real server with real ids: no server error, and every response
//! as the document describes it.

use std::path::PathBuf;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_the_server() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = root.join("tests/schemathesis/run.sh");
    assert!(
        root.join("tests/schemathesis/.venv/bin/schemathesis").exists(),
        "schemathesis missing: run tests/setup.sh first"
    );
    let out = tokio::process::Command::new("bash")
        .arg(&script)
        .current_dir(&root)
        .env("VERITY_BIN", env!("CARGO_BIN_EXE_verity"))
        .output()
        .await
        .expect("run tests/schemathesis/run.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("PASSED"),
        "schemathesis found disagreements\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    println!("{stdout}");
}
