//! The server packaging (packaging/): the sample configuration is one Verity accepts, and the
//! systemd unit is one systemd accepts.

use crate::helpers::*;

fn packaging(file: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../packaging")
        .join(file)
}

#[tokio::test]
async fn the_sample_configuration_runs_verity() {
    let dir = tempfile::tempdir().unwrap();
    // Its paths are a server's; the environment points them here (the environment wins).
    let out = verity()
        .arg("--config")
        .arg(packaging("verity.toml"))
        .arg("migrate")
        .env("VERITY_DATA_DIR", dir.path())
        .env("VERITY_MASTER_KEY_FILE", dir.path().join("master.key"))
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("verity.db").exists());
}

#[tokio::test]
async fn systemd_accepts_the_unit() {
    let unit = std::fs::read_to_string(packaging("verity.service")).unwrap();
    for option in [
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "ReadWritePaths=/var/lib/verity",
        "KillSignal=SIGTERM",
    ] {
        assert!(unit.contains(option), "the unit lacks {option}");
    }
    let Ok(version) = std::process::Command::new("systemd-analyze").arg("--version").output() else {
        panic!("systemd-analyze is needed (Debian's systemd package; tests/setup.sh installs it)");
    };
    assert!(version.status.success());
    // The unit as installed, with ExecStart on this build's binary.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("verity.service");
    std::fs::write(
        &path,
        unit.replace("/usr/local/bin/verity", env!("CARGO_BIN_EXE_verity")),
    )
    .unwrap();
    let out = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !said.contains("Unknown"),
        "systemd-analyze verify: {said}"
    );
}
