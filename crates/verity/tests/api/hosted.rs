//! The hosted pages over plain HTTP: hostile uploads, forged forms, security headers, and what
//! ends up on disk. (Browser tests of the flows themselves are in tests/browser.)

use std::path::Path;

use serde_json::json;

use crate::helpers::*;

pub struct Hosted {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Hosted {
    pub async fn open(app: &TestApp, api: &Api, user: &str) -> Hosted {
        let session = api.session(user).await;
        let url = session["HostedUrl"].as_str().unwrap();
        let token = url
            .split("/verify/")
            .nth(1)
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        let _ = http_client();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Hosted {
            http,
            base: app.base.clone(),
            token,
        }
    }

    /// The hosted pages behind a `HostedUrl` (a PSC's own link, say).
    pub fn from_link(app: &TestApp, url: &str) -> Hosted {
        let token = url
            .split("/verify/")
            .nth(1)
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        Hosted {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.base.clone(),
            token,
        }
    }

    fn step_url(&self, step: &str) -> String {
        format!("{}/verify/{}/step/{step}", self.base, self.token)
    }

    async fn page(&self, step: &str) -> (u16, reqwest::header::HeaderMap, String) {
        let r = self.http.get(self.step_url(step)).send().await.unwrap();
        (r.status().as_u16(), r.headers().clone(), r.text().await.unwrap())
    }

    /// The link's token.
    pub fn token(&self) -> &str {
        &self.token
    }

    pub async fn csrf(&self) -> String {
        let (_, _, html) = self.page("welcome").await;
        let at = html.find("name=\"csrf\" value=\"").expect("csrf field") + "name=\"csrf\" value=\"".len();
        html[at..].split('"').next().unwrap().to_owned()
    }

    pub async fn post(&self, step: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let r = self.http.post(self.step_url(step)).form(fields).send().await.unwrap();
        let status = r.status().as_u16();
        let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
        (status, location.unwrap_or(r.text().await.unwrap()))
    }

    pub async fn upload(&self, step: &str, slot: &str, bytes: Vec<u8>, name: &str) -> (u16, String) {
        let csrf = self.csrf().await;
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf)
            .text("slot", slot.to_owned())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
            );
        let r = self
            .http
            .post(self.step_url(step))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
        (status, location.unwrap_or(r.text().await.unwrap()))
    }

    /// Asks for a liveness challenge, as the selfie step's script does.
    pub async fn liveness_challenge(&self) -> (u16, serde_json::Value) {
        let csrf = self.csrf().await;
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf)
            .text("action", "challenge");
        self.liveness(form).await
    }

    /// Sends the frames answering a challenge, captured at `captured` (milliseconds).
    pub async fn liveness_frames(
        &self,
        challenge: &str,
        captured: &[i64],
        frames: Vec<Vec<u8>>,
    ) -> (u16, serde_json::Value) {
        let csrf = self.csrf().await;
        let captured: Vec<String> = captured.iter().map(|c| c.to_string()).collect();
        let mut form = reqwest::multipart::Form::new()
            .text("csrf", csrf)
            .text("action", "frames")
            .text("challenge", challenge.to_owned())
            .text("captured", captured.join(","));
        for (i, frame) in frames.into_iter().enumerate() {
            form = form.part(
                "frame",
                reqwest::multipart::Part::bytes(frame).file_name(format!("frame{i}.jpg")),
            );
        }
        self.liveness(form).await
    }

    async fn liveness(&self, form: reqwest::multipart::Form) -> (u16, serde_json::Value) {
        let r = self
            .http
            .post(format!("{}/verify/{}/liveness", self.base, self.token))
            .header("accept", "application/json")
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap())
    }

    /// Walks a natural user to the photo steps.
    pub async fn to_photos(&self) {
        let csrf = self.csrf().await;
        assert_eq!(
            self.post("welcome", &[("csrf", &csrf), ("action", "continue")]).await.0,
            303
        );
        let personal = [
            ("csrf", csrf.as_str()),
            ("first_name", "Zebulon"),
            ("last_name", "Quixotefield"),
            ("birth_date", "1975-12-21"),
            ("nationality", "FR"),
        ];
        assert_eq!(self.post("personal", &personal).await.0, 303);
        assert_eq!(
            self.post(
                "document",
                &[("csrf", &csrf), ("kind", "IDENTITY_CARD"), ("country", "FR")]
            )
            .await
            .0,
            303
        );
    }
}

/// A one-page PDF that says `text`, with a correct cross-reference table.
pub fn pdf(text: &str) -> Vec<u8> {
    let content = format!("BT /F1 18 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

pub fn png(w: u32, h: u32) -> Vec<u8> {
    let mut img = image::RgbImage::new(w, h);
    for (x, y, p) in img.enumerate_pixels_mut() {
        *p = image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 256) as u8]);
    }
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn files_in(dir: &Path) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

pub async fn natural_user(api: &Api) -> String {
    let r = api
        .post(
            "/users/natural",
            json!({"FirstName": "Zebulon", "LastName": "Quixotefield", "Email": "zebulon.quixotefield@example.org", "Birthday": 188352000,
                   "Nationality": "FR", "CountryOfResidence": "FR", "TermsAndConditionsAccepted": true, "UserCategory": "OWNER"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["Id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_uploads_get_clear_errors_and_store_nothing() {
    let app = TestApp::spawn(Backend::Sqlite, &[]).await;
    let api = app.client().await;
    let user = natural_user(&api).await;
    let hosted = Hosted::open(&app, &api, &user).await;
    hosted.to_photos().await;
    let blobs = app.db.data_dir.path().join("blobs");
    let mut truncated = png(64, 64);
    truncated.truncate(truncated.len() / 2);
    let mut bomb = png(1, 1);
    bomb[16..20].copy_from_slice(&60_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&60_000u32.to_be_bytes());
    let mut photo = Vec::new();
    image::load_from_memory(&png(320, 240))
        .unwrap()
        .write_to(&mut std::io::Cursor::new(&mut photo), image::ImageFormat::Jpeg)
        .unwrap();
    let truncated_jpeg = photo[..photo.len() * 3 / 4].to_vec();
    let mut blank = Vec::new();
    image::DynamicImage::new_rgb8(640, 480)
        .write_to(&mut std::io::Cursor::new(&mut blank), image::ImageFormat::Png)
        .unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated JPEG", truncated_jpeg, "This file could not be read"),
        ("zero-filled image", blank, "This photo is blank"),
        (
            "text renamed to .jpg",
            b"this is not a photo".to_vec(),
            "This file type is not accepted",
        ),
        (
            "SVG with script",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(),
            "This file type is not accepted",
        ),
        ("truncated PNG", truncated, "This file could not be read"),
        ("decompression bomb", bomb, "This file could not be read"),
        (
            "PDF where a photo is needed",
            b"%PDF-1.7\nxref\n%%EOF".to_vec(),
            "Use a photo (JPEG, PNG or WebP)",
        ),
        ("oversized", vec![0xFF; 11 * 1024 * 1024], "The file is too large"),
        ("empty", Vec::new(), "Choose a photo or a file to upload"),
    ];
    for (what, bytes, message) in cases {
        let (status, html) = hosted.upload("front", "front", bytes, "photo.jpg").await;
        assert_eq!(status, 400, "{what}");
        assert!(
            html.contains("role=\"alert\"") && html.contains(message),
            "{what}: {message} not in the error summary"
        );
        assert!(files_in(&blobs).is_empty(), "{what}: nothing stored");
    }
    // A polyglot (PNG with a ZIP appended) is accepted as the picture it shows, re-encoded.
    let mut polyglot = png(300, 200);
    polyglot.extend_from_slice(b"PK\x03\x04zzz hidden archive");
    let (status, next) = hosted.upload("front", "front", polyglot, "photo.png").await;
    assert_eq!(status, 303, "{next}");
    assert!(next.ends_with("/step/back"), "{next}");
    assert_eq!(files_in(&blobs).len(), 1);
    // The server is still fine.
    assert_eq!(api.get(&format!("/users/{user}")).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_forms_are_refused_and_pages_carry_security_headers() {
    let app = TestApp::spawn(Backend::Sqlite, &[]).await;
    let api = app.client().await;
    let user = natural_user(&api).await;
    let hosted = Hosted::open(&app, &api, &user).await;
    let (status, headers, html) = hosted.page("welcome").await;
    assert_eq!(status, 200);
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(!html.contains("<script>"), "no inline script");
    // No token, a wrong token, or a cross-site post: refused, nothing saved.
    assert_eq!(hosted.post("welcome", &[("action", "continue")]).await.0, 400);
    assert_eq!(
        hosted
            .post("welcome", &[("csrf", "forged"), ("action", "continue")])
            .await
            .0,
        400
    );
    let csrf = hosted.csrf().await;
    let cross = hosted
        .http
        .post(hosted.step_url("welcome"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("csrf", csrf.as_str()), ("action", "continue")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 400);
    let resume = hosted
        .http
        .get(format!("{}/verify/{}", app.base, hosted.token))
        .send()
        .await
        .unwrap();
    assert!(
        resume.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("/step/welcome"),
        "still at the start"
    );
    // Knowing the session id gives nothing.
    let id = api.get(&format!("/users/{user}/identity-verifications")).await.json()[0]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        hosted
            .http
            .get(format!("{}/verify/{id}", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_and_personal_data_are_sealed_at_rest() {
    let app = TestApp::spawn(Backend::Sqlite, &[]).await;
    let api = app.client().await;
    let user = natural_user(&api).await;
    // A stored idempotent response holds the user's data too.
    api.send(
        reqwest::Method::POST,
        "/users/natural",
        Some(json!({"FirstName": "Zebulon", "LastName": "Quixotefield", "Email": "zebulon.quixotefield@example.org"})),
        &[("Idempotency-Key", "sealed-response-key-1")],
    )
    .await;
    let hosted = Hosted::open(&app, &api, &user).await;
    hosted.to_photos().await;
    let photo = png(800, 500);
    for (step, slot) in [("front", "front"), ("back", "back"), ("selfie", "selfie")] {
        let (status, next) = hosted.upload(step, slot, photo.clone(), "p.png").await;
        assert_eq!(status, 303, "{step}: {next}");
    }
    let blobs = files_in(&app.db.data_dir.path().join("blobs"));
    assert_eq!(blobs.len(), 3);
    let mut everything: Vec<(String, Vec<u8>)> = blobs
        .iter()
        .map(|p| (p.display().to_string(), std::fs::read(p).unwrap()))
        .collect();
    for f in files_in(app.db.data_dir.path()) {
        if f.is_file() && f.file_name().unwrap().to_str().unwrap().starts_with("verity.db") {
            everything.push((f.display().to_string(), std::fs::read(&f).unwrap()));
        }
    }
    // Image signatures of four bytes or more: a three-byte one (JPEG's FF D8 FF) turns up by
    // chance in this much ciphertext. The uploads are re-encoded JPEGs, which carry "JFIF".
    let needles: [&[u8]; 6] = [
        b"Zebulon",
        b"Quixotefield",
        b"zebulon.quixotefield",
        b"JFIF",
        b"\x89PNG",
        b"1975-12-21",
    ];
    for (path, bytes) in &everything {
        for needle in needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{path} contains {:?} in clear",
                String::from_utf8_lossy(needle)
            );
        }
    }
    // Yet everything reads back through the API.
    assert_eq!(api.get(&format!("/users/{user}")).await.json()["FirstName"], "Zebulon");
    assert_eq!(
        api.get("/responses/sealed-response-key-1").await.json()["Resource"]["LastName"],
        "Quixotefield"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submitted_sessions_never_expire() {
    let app = TestApp::spawn(Backend::Sqlite, &[("VERITY_SESSION_TTL", "3s")]).await;
    let api = app.client().await;
    let user = natural_user(&api).await;
    let submitted = Hosted::open(&app, &api, &user).await;
    let idle = api.session(&user).await["Id"].as_str().unwrap().to_owned();
    submitted.to_photos().await;
    for (step, slot) in [("front", "front"), ("back", "back"), ("selfie", "selfie")] {
        assert_eq!(submitted.upload(step, slot, png(400, 300), "p.png").await.0, 303);
    }
    let csrf = submitted.csrf().await;
    let (status, location) = submitted.post("review", &[("csrf", &csrf), ("action", "submit")]).await;
    assert_eq!(status, 303);
    assert_eq!(location, "https://example.com/back", "submission returns to ReturnUrl");
    // Wait for the untouched session to expire; the submitted one must not.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let s = api.get(&format!("/identity-verifications/{idle}")).await.json();
        if s["Status"] == "EXPIRED" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the idle session never expired");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let sessions = api.get(&format!("/users/{user}/identity-verifications")).await.json();
    let statuses: Vec<&str> = sessions
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Status"].as_str().unwrap())
        .collect();
    // The submitted one did not expire: still PENDING, or decided by the engine (sandbox
    // sessions are decided too; these blank photos are refused).
    assert_eq!(statuses.iter().filter(|s| **s == "EXPIRED").count(), 1, "{statuses:?}");
    assert!(
        statuses.iter().any(|s| matches!(*s, "PENDING" | "REFUSED")),
        "{statuses:?}"
    );
    // The link now says it was submitted and accepts nothing more.
    let (_, _, page) = submitted.page("welcome").await;
    // The engine decides sandbox sessions too: submitted, or already refused (no MRZ here).
    assert!(
        page.contains("Your information has been submitted and is being checked, usually within a few minutes.")
            || page.contains("This verification was not successful."),
        "{page}"
    );
}

/// The document step offers what the engine can verify: a card from a state whose cards it does
/// not accept, or a driving licence, is refused at once with a way forward.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_documents_the_engine_accepts_are_taken() {
    let app = TestApp::spawn(Backend::Sqlite, &[]).await;
    let api = app.client().await;
    let user = natural_user(&api).await;
    let hosted = Hosted::open(&app, &api, &user).await;
    let csrf = hosted.csrf().await;
    assert_eq!(
        hosted
            .post("welcome", &[("csrf", &csrf), ("action", "continue")])
            .await
            .0,
        303
    );
    let personal = [
        ("csrf", csrf.as_str()),
        ("first_name", "Ada"),
        ("last_name", "Lovelace"),
        ("birth_date", "1985-07-31"),
        ("nationality", "GB"),
    ];
    assert_eq!(hosted.post("personal", &personal).await.0, 303);
    let (_, _, page) = hosted.page("document").await;
    assert!(!page.contains("DRIVING_LICENCE"), "driving licences are not offered");
    for (kind, country) in [
        ("IDENTITY_CARD", "US"),
        ("RESIDENCE_PERMIT", "GB"),
        ("DRIVING_LICENCE", "FR"),
    ] {
        let (status, page) = hosted
            .post("document", &[("csrf", &csrf), ("kind", kind), ("country", country)])
            .await;
        assert_eq!(status, 400, "{kind} from {country}");
        assert!(
            page.contains("This document cannot be verified for the country chosen")
                && page.contains("Choose your passport"),
            "{kind} from {country}: {page}"
        );
    }
    for (kind, country) in [("PASSPORT", "US"), ("IDENTITY_CARD", "DE")] {
        let (status, _) = hosted
            .post("document", &[("csrf", &csrf), ("kind", kind), ("country", country)])
            .await;
        assert_eq!(status, 303, "{kind} from {country}");
    }
}

/// A person sees small copies of the photos they sent, while the session is open; nothing else
/// is served that way (no other slot, no full size, nothing once submitted).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thumbnails_of_sent_photos_only_while_open() {
    let app = TestApp::spawn(Backend::Sqlite, &[]).await;
    let api = app.client().await;
    let user = natural_user(&api).await;
    let hosted = Hosted::open(&app, &api, &user).await;
    hosted.to_photos().await;
    assert_eq!(hosted.upload("front", "front", png(1600, 1200), "p.png").await.0, 303);
    let thumb = |slot: &str| {
        app.http
            .get(format!("{}/verify/{}/photo/{slot}", app.base, hosted.token()))
            .send()
    };
    let r = thumb("front").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let small = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
    assert!(
        small.width() <= 320 && small.height() <= 320,
        "{}x{}",
        small.width(),
        small.height()
    );
    assert_eq!(thumb("back").await.unwrap().status(), 404, "nothing sent there yet");
    assert_eq!(thumb("../front").await.unwrap().status(), 404);
    let (_, _, page) = hosted.page("front").await;
    assert!(
        page.contains(&format!("/verify/{}/photo/front", hosted.token())),
        "the step shows it"
    );
    for (step, slot) in [("back", "back"), ("selfie", "selfie")] {
        assert_eq!(hosted.upload(step, slot, png(400, 300), "p.png").await.0, 303);
    }
    let csrf = hosted.csrf().await;
    assert_eq!(
        hosted.post("review", &[("csrf", &csrf), ("action", "submit")]).await.0,
        303
    );
    assert_eq!(thumb("front").await.unwrap().status(), 404, "not once submitted");
}
