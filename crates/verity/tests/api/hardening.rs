//! Hostile clients and a hostile network, each defect of the hardening review reproduced:
//! decompression bombs uploaded in parallel, parallel password guessing, slow and idle
//! connections, and where the master key lives.

use std::io::Write as _;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;
use crate::hosted::{Hosted, natural_user};

/// A PNG of `side` x `side` RGBA16 pixels, all zero, with its real compressed pixel data:
/// 1.15 GB of pixels in about a megabyte.
fn png_bomb(side: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[16, 6, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    let row = vec![0u8; 1 + side as usize * 8];
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..side {
        z.write_all(&row).unwrap();
    }
    chunk(&mut out, b"IDAT", &z.finish().unwrap());
    chunk(&mut out, b"IEND", &[]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A small real JPEG whose frame header claims `side` x `side` pixels.
fn jpeg_bomb(side: u16) -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 4) as u8, (y * 5) as u8, 90]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Jpeg)
        .unwrap();
    let sof = out.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    out[sof + 5..sof + 7].copy_from_slice(&side.to_be_bytes());
    out[sof + 7..sof + 9].copy_from_slice(&side.to_be_bytes());
    out
}

/// The most memory the process ever had resident, in MB.
fn peak_rss_mb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status");
    kb / 1024
}

fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_decompression_bombs_keep_memory_bounded() {
    let app = TestApp::spawn(Backend::Sqlite, &[]).await;
    let api = app.client().await;
    let png = tokio::task::spawn_blocking(|| png_bomb(11_999)).await.unwrap();
    assert!(png.len() < 2 * 1024 * 1024, "a {} byte bomb", png.len());
    let jpeg = jpeg_bomb(11_999);
    // One hosted link per bomb: each link may only clean two uploads at once.
    let mut links = Vec::new();
    for _ in 0..4 {
        let user = natural_user(&api).await;
        let hosted = Hosted::open(&app, &api, &user).await;
        hosted.to_photos().await;
        links.push(hosted);
    }
    let before = peak_rss_mb(app.pid());
    let uploads = links.iter().enumerate().map(|(i, hosted)| {
        let bytes = if i % 2 == 0 { png.clone() } else { jpeg.clone() };
        async move { hosted.upload("front", "front", bytes, "photo.png").await }
    });
    for (status, html) in futures_join_all(uploads).await {
        assert_eq!(status, 400);
        assert!(html.contains("This file could not be read"), "{html}");
    }
    let peak = peak_rss_mb(app.pid());
    println!("peak resident memory: {before} MB before four bombs, {peak} MB after");
    assert!(
        peak < 600,
        "peak resident memory {peak} MB (before the uploads: {before} MB)"
    );
    // Still answering.
    assert_eq!(api.get("/users").await.status, 200);
}

/// Runs futures concurrently and returns their outputs in order.
pub async fn futures_join_all<F: std::future::Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F::Output: Send,
{
    let futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    let mut pending: Vec<(usize, std::pin::Pin<Box<F>>)> = futures.into_iter().enumerate().collect();
    std::future::poll_fn(|cx| {
        pending.retain_mut(|(i, f)| match f.as_mut().poll(cx) {
            std::task::Poll::Ready(out) => {
                outputs[*i] = Some(out);
                false
            }
            std::task::Poll::Pending => true,
        });
        if pending.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    outputs.into_iter().map(Option::unwrap).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_wrong_api_keys_lock_the_address() {
    let app = TestApp::spawn(Backend::Sqlite, &[("VERITY_LOGIN_MAX_FAILURES", "10")]).await;
    let attempts = (0..100).map(|_| {
        app.http
            .post(app.url("/v2.01/oauth/token"))
            .basic_auth(&app.client_id, Some("not-the-key"))
            .send()
    });
    let statuses: Vec<u16> = futures_join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(checked <= 10, "{checked} wrong keys were checked; the limit is 10");
    assert_eq!(statuses.iter().filter(|s| **s == 400).count(), 100 - checked);
    // The address is locked now, even for the right key.
    let right = app
        .http
        .post(app.url("/v2.01/oauth/token"))
        .basic_auth(&app.client_id, Some(&app.api_key))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 400);
}

/// Reads from a raw connection until the server closes it; panics if it stays open `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Duration {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at((started + within).into(), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => continue,
            Err(_) => panic!("the server kept the connection open for {within:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_connections_are_closed_and_limited() {
    let app = TestApp::spawn(
        Backend::Sqlite,
        &[
            ("VERITY_HEADER_TIMEOUT", "1s"),
            ("VERITY_IDLE_TIMEOUT", "2s"),
            ("VERITY_MAX_CONNECTIONS", "40"),
        ],
    )
    .await;
    let address = app.base.trim_start_matches("http://").to_owned();
    // Slow headers: half a request line and nothing more.
    let mut slow = TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let took = closed_within(&mut slow, Duration::from_secs(10)).await;
    assert!(took >= Duration::from_millis(900), "closed after {took:?}");
    // Idle after a complete request: closed too.
    let mut idle = TcpStream::connect(&address).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    closed_within(&mut idle, Duration::from_secs(10)).await;
    // A hundred silent connections: the server holds at most 40, keeps answering, and frees
    // the places when they time out.
    let mut silent = Vec::new();
    for _ in 0..100 {
        silent.push(TcpStream::connect(&address).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let files = open_files(app.pid());
    assert!(files < 40 + 40, "{files} descriptors open with 100 silent clients");
    let answered = tokio::time::timeout(Duration::from_secs(15), app.http.get(app.url("/healthz")).send())
        .await
        .expect("the server answers once idle connections are closed")
        .unwrap();
    assert_eq!(answered.status(), 200);
    drop(silent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_master_key_can_live_outside_the_data_folder() {
    let db = Database::new(Backend::Sqlite).await;
    let keys = tempfile::tempdir().unwrap();
    let key_file = keys.path().join("verity").join("master.key");
    let env = vec![("VERITY_MASTER_KEY_FILE".to_owned(), key_file.display().to_string())];
    migrate(&db, &env).await;
    create_client(&db, &env, "Live platform", &["--environment", "production"]).await;
    assert!(key_file.exists(), "the key is created where it was asked");
    assert!(
        !db.data_dir.path().join("master.key").exists(),
        "not in the data folder"
    );
    // With the key beside the data of a production platform, the server warns at start.
    let beside = Database::new(Backend::Sqlite).await;
    migrate(&beside, &[]).await;
    create_client(&beside, &[], "Live platform", &["--environment", "production"]).await;
    let warned = start_and_read_stderr(&beside, &[]).await;
    assert!(warned.contains("master key file is inside the data folder"), "{warned}");
    let quiet = start_and_read_stderr(&db, &env).await;
    assert!(!quiet.contains("master key file is inside the data folder"), "{quiet}");
}

/// Starts a server, waits until it listens, stops it and returns what it logged.
async fn start_and_read_stderr(db: &Database, env: &[(String, String)]) -> String {
    use tokio::io::AsyncBufReadExt;
    let mut child = verity()
        .arg("serve")
        .env("VERITY_LISTEN", "127.0.0.1:0")
        .env("VERITY_DATABASE_URL", &db.url)
        .env("VERITY_DATA_DIR", db.data_dir.path())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.starts_with("Verity listening on ") {
                return;
            }
        }
        panic!("the server exited before listening");
    })
    .await
    .expect("listening within 60 s");
    child.start_kill().unwrap();
    let out = child.wait_with_output().await.unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}
