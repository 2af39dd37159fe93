//! The S3-compatible blob store against a real S3 protocol server (moto, from PyPI): documents go
//! to the bucket, sealed, and nothing to the local folder.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use verity_store::{BlobStore, S3Blobs, S3Config};

use crate::helpers::*;
use crate::hosted::{Hosted, natural_user, png};

/// The running moto server, killed when dropped.
pub(crate) struct Moto {
    _server: tokio::process::Child,
}

pub(crate) async fn start_moto() -> (Moto, String) {
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/s3/.venv/bin/moto_server");
    assert!(bin.exists(), "moto missing: run tests/setup.sh first");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = tokio::process::Command::new(bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start moto_server");
    let endpoint = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(Instant::now() < deadline, "moto did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (Moto { _server: child }, endpoint)
}

/// A store on moto's `verity-docs` bucket under `prefix`, the bucket created.
async fn bucket(endpoint: &str, prefix: &str) -> S3Blobs {
    let config = S3Config {
        endpoint: endpoint.to_owned(),
        bucket: "verity-docs".into(),
        region: "us-east-1".into(),
        access_key: "test-access".into(),
        secret_key: "test-secret".into(),
        prefix: prefix.into(),
    };
    let _ = http_client();
    let s3 = S3Blobs::new(config).unwrap();
    let created = s3
        .signed(reqwest::Method::PUT, "/verity-docs", Vec::new(), now())
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success(), "create bucket: {}", created.status());
    s3
}

/// Moto with an empty bucket, and the settings of a server storing its documents there.
pub(crate) async fn moto_bucket() -> (Moto, Vec<(String, String)>) {
    let (moto, endpoint) = start_moto().await;
    bucket(&endpoint, "").await;
    let env = [
        ("VERITY_BLOB_STORE", "s3"),
        ("VERITY_S3_ENDPOINT", endpoint.as_str()),
        ("VERITY_S3_BUCKET", "verity-docs"),
        ("VERITY_S3_ACCESS_KEY", "test-access"),
        ("VERITY_S3_SECRET_KEY", "test-secret"),
    ];
    (moto, env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_go_to_the_s3_bucket_sealed() {
    let (_moto, endpoint) = start_moto().await;
    let s3 = bucket(&endpoint, "tenant-a/").await;
    // The store on its own: put, get, delete.
    s3.put("blob_probe", b"sealed bytes".to_vec()).await.unwrap();
    assert_eq!(
        s3.get("blob_probe").await.unwrap().as_deref(),
        Some(&b"sealed bytes"[..])
    );
    s3.delete("blob_probe").await.unwrap();
    assert_eq!(s3.get("blob_probe").await.unwrap(), None);
    // The server storing uploads there.
    let env = [
        ("VERITY_BLOB_STORE", "s3"),
        ("VERITY_S3_ENDPOINT", endpoint.as_str()),
        ("VERITY_S3_BUCKET", "verity-docs"),
        ("VERITY_S3_ACCESS_KEY", "test-access"),
        ("VERITY_S3_SECRET_KEY", "test-secret"),
        ("VERITY_S3_PREFIX", "tenant-a/"),
    ];
    let app = TestApp::spawn(Backend::Sqlite, &env).await;
    let api = app.client().await;
    let user = natural_user(&api).await;
    let hosted = Hosted::open(&app, &api, &user).await;
    hosted.to_photos().await;
    let (status, next) = hosted.upload("front", "front", png(640, 400), "front.png").await;
    assert_eq!(status, 303, "{next}");
    assert!(
        !app.db.data_dir.path().join("blobs").exists()
            || std::fs::read_dir(app.db.data_dir.path().join("blobs"))
                .unwrap()
                .next()
                .is_none()
    );
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.db.url)
        .await
        .unwrap();
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM blobs")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);
    let stored = s3.get(&ids[0]).await.unwrap().expect("object in the bucket");
    assert!(stored.len() > 1000);
    // The JPEG's signature and JFIF header are not there. (A three-byte pattern alone would turn
    // up by chance in random ciphertext about once in two hundred runs.)
    assert!(
        !stored.starts_with(&[0xFF, 0xD8, 0xFF]) && !stored.windows(4).any(|w| w == b"JFIF"),
        "the object is sealed, not a JPEG"
    );
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
