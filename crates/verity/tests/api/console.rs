//! The back-office console over HTTP: sign-in with lockout and TOTP, pages and images only with a
//! staff session, CSRF, roles, review claims and racing decisions, the platform's webhooks, the
//! audit log (every image view recorded, append-only, exportable).

use std::collections::HashMap;
use std::sync::Arc;

use verity_corpus::{Date, Flaw, Kind};

use crate::engine::*;
use crate::helpers::*;
use crate::receiver::Receiver;

/// A browser-like client of the console: keeps its cookies, follows nothing.
#[derive(Clone)]
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: Arc<std::sync::Mutex<HashMap<String, String>>>,
}

struct Page {
    status: u16,
    location: String,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Page {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The value of the first hidden `csrf` field.
    fn csrf(&self) -> String {
        let text = self.text();
        let at = text.find("name=\"csrf\" value=\"").expect("a csrf field") + "name=\"csrf\" value=\"".len();
        text[at..].split('"').next().unwrap().to_owned()
    }
}

impl Browser {
    fn new(app: &TestApp) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.base.clone(),
            cookies: Arc::default(),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Page {
        let cookie: String = self
            .cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let r = request.header("cookie", cookie).send().await.unwrap();
        for set in r.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (kv, _) = set.split_once(';').unwrap_or((set, ""));
            let (k, v) = kv.split_once('=').unwrap();
            let mut jar = self.cookies.lock().unwrap();
            if v.is_empty() || set.contains("Max-Age=0") {
                jar.remove(k);
            } else {
                jar.insert(k.to_owned(), v.to_owned());
            }
        }
        Page {
            status: r.status().as_u16(),
            location: r
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned())
                .unwrap_or_default(),
            headers: r.headers().clone(),
            body: r.bytes().await.unwrap().to_vec(),
        }
    }

    async fn get(&self, path: &str) -> Page {
        self.send(self.http.get(format!("{}{path}", self.base))).await
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(self.http.post(format!("{}{path}", self.base)).form(form))
            .await
    }

    async fn sign_in(&self, username: &str, password: &str, code: &str) -> Page {
        let form = self.get("/console/login").await;
        let csrf = form.csrf();
        self.post(
            "/console/login",
            &[
                ("csrf", &csrf),
                ("username", username),
                ("password", password),
                ("code", code),
            ],
        )
        .await
    }
}

async fn add_staff(app: &TestApp, username: &str, name: &str, role: &str, extra: &[&str]) -> String {
    use tokio::io::AsyncWriteExt;
    let mut child = verity()
        .args(["staff", "add", "--username", username, "--name", name, "--role", role])
        .args(extra)
        .env("VERITY_DATABASE_URL", &app.db.url)
        .env("VERITY_DATA_DIR", app.db.data_dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{username} has a long password\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A live platform whose legal users' companies no registry knows, so their sessions wait in
/// REVIEW with their images: one per `(seed, company number)`.
async fn platform_with_reviews(
    backend: Backend,
    env: &[(&str, &str)],
    cases: &[(u64, &str)],
) -> (TestApp, Api, String, Receiver, FaceProvider, Vec<String>) {
    let Live {
        app,
        api,
        client,
        receiver,
        face,
    } = live_platform(backend, env).await;
    let marie = Person {
        first: "Marie",
        last: "Dubois",
        birth: "1985-03-12",
    };
    let born = Date {
        year: 1985,
        month: 3,
        day: 12,
    };
    let mut sessions = Vec::new();
    for &(seed, number) in cases {
        let company = Company {
            kind: "BUSINESS",
            country: "GB",
            number,
            name: "Unlisted Trading Ltd",
        };
        let pages = photos(
            Kind::Passport,
            identity(seed, "DUBOIS", "MARIE", born, "FRA"),
            Flaw::None,
            seed,
        );
        let s = submit_legal(
            &app,
            &api,
            &company,
            &marie,
            &[("Marie", "Dubois")],
            ("PASSPORT", "FR"),
            &pages,
            seed,
        )
        .await;
        assert_eq!(decision(&api, &receiver, &s).await["Status"], "REVIEW");
        sessions.push(s);
    }
    (app, api, client, receiver, face, sessions)
}

fn password(username: &str) -> String {
    format!("{username} has a long password")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewers_decide_sessions_in_the_console_sqlite() {
    console_flow(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewers_decide_sessions_in_the_console_postgres() {
    if postgres_admin_url().is_none() {
        return;
    }
    console_flow(Backend::Postgres).await;
}

async fn console_flow(backend: Backend) {
    let (app, api, client, receiver, _face, sessions) =
        platform_with_reviews(backend, &[], &[(80, "11111111"), (81, "22222222"), (82, "33333333")]).await;
    let session_url = |s: &str| format!("/console/clients/{client}/sessions/{s}");

    add_staff(&app, "rita", "Rita Reviewer", "reviewer", &[]).await;
    add_staff(&app, "rob", "Rob Reviewer", "reviewer", &[]).await;
    add_staff(&app, "aude", "Aude Auditor", "auditor", &[]).await;
    add_staff(&app, "lena", "Lena Locked", "reviewer", &[]).await;
    let totp_out = add_staff(&app, "tom", "Tom Twofactor", "reviewer", &["--totp"]).await;

    // Nothing without a staff session: pages and images redirect to sign-in, with no content.
    let anonymous = Browser::new(&app);
    for path in [
        "/console/reviews".to_owned(),
        session_url(&sessions[0]),
        format!("{}/files/front", session_url(&sessions[0])),
        "/console/audit.csv".to_owned(),
    ] {
        let page = anonymous.get(&path).await;
        assert_eq!((page.status, page.location.as_str()), (303, "/console/login"), "{path}");
        assert!(page.body.is_empty(), "{path} leaked {} bytes", page.body.len());
    }

    // Five wrong passwords lock the account, even against the right one.
    let lena = Browser::new(&app);
    for _ in 0..5 {
        assert_eq!(lena.sign_in("lena", "wrong password here", "").await.status, 401);
    }
    let locked = lena.sign_in("lena", &password("lena"), "").await;
    assert!(
        locked.status == 401 && locked.text().contains("locked for 15 minutes"),
        "{}",
        locked.text()
    );
    // A sign-in form without its anti-forgery token is refused.
    let forged = Browser::new(&app)
        .post(
            "/console/login",
            &[("csrf", "x"), ("username", "rita"), ("password", &password("rita"))],
        )
        .await;
    assert!(forged.status == 401 && forged.text().contains("The form expired"));

    // TOTP: the password alone is not enough.
    let secret = totp_out
        .lines()
        .find_map(|l| l.strip_prefix("authenticator secret: "))
        .unwrap()
        .trim()
        .to_owned();
    let tom = Browser::new(&app);
    assert_eq!(tom.sign_in("tom", &password("tom"), "").await.status, 401);
    let code = verity_http::console::totp::code_at(
        &verity_http::console::totp::base32_decode(&secret).unwrap(),
        verity_http::now(),
    );
    assert_eq!(
        tom.sign_in("tom", &password("tom"), &format!("{code:06}")).await.status,
        303
    );

    // Rita reviews: the queue, oldest first; a session with its data, evidence and images.
    let rita = Browser::new(&app);
    let signed = rita.sign_in("rita", &password("rita"), "").await;
    assert_eq!((signed.status, signed.location.as_str()), (303, "/console/reviews"));
    let queue = rita.get("/console/reviews?type=BUSINESS").await.text();
    let positions: Vec<usize> = sessions
        .iter()
        .map(|s| queue.find(s.as_str()).expect("in the queue"))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "oldest first");
    assert!(
        !rita
            .get("/console/reviews?type=NATURAL")
            .await
            .text()
            .contains(sessions[0].as_str())
    );
    let page = rita.get(&session_url(&sessions[0])).await;
    let html = page.text();
    assert_eq!(page.headers["cache-control"], "no-store, private");
    for expected in [
        "Declared and registered",
        "Unlisted Trading Ltd",
        "Marie Dubois",
        "BUSINESS_VERIFICATION",
        "registry_lookup",
        "files/front",
        "files/selfie",
        "Approve",
    ] {
        assert!(html.contains(expected), "{expected} missing");
    }
    let image = rita.get(&format!("{}/files/front", session_url(&sessions[0]))).await;
    assert_eq!(
        (image.status, image.headers["content-type"].to_str().unwrap()),
        (200, "image/jpeg")
    );
    assert!(image.headers["cache-control"].to_str().unwrap().contains("no-store"));
    assert!(image::load_from_memory(&image.body).is_ok());

    // Another reviewer sees the claim and cannot decide; an auditor cannot decide at all.
    let rob = Browser::new(&app);
    rob.sign_in("rob", &password("rob"), "").await;
    let rob_page = rob.get(&session_url(&sessions[0])).await;
    assert!(rob_page.text().contains("Another reviewer is deciding this session."));
    let rob_csrf = rob_page.csrf();
    let refused = rob
        .post(
            &format!("{}/decide", session_url(&sessions[0])),
            &[("csrf", &rob_csrf), ("action", "approve")],
        )
        .await;
    assert_eq!(refused.status, 409);
    let aude = Browser::new(&app);
    aude.sign_in("aude", &password("aude"), "").await;
    let aude_page = aude.get(&session_url(&sessions[1])).await;
    let denied = aude
        .post(
            &format!("{}/decide", session_url(&sessions[1])),
            &[("csrf", &aude_page.csrf()), ("action", "approve")],
        )
        .await;
    assert!(denied.status == 403 && denied.text().contains("Your role cannot decide sessions."));
    // A forged decision (wrong CSRF token) changes nothing.
    let forged = rita
        .post(
            &format!("{}/decide", session_url(&sessions[0])),
            &[("csrf", "forged"), ("action", "approve")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(
        api.get(&format!("/identity-verifications/{}", sessions[0]))
            .await
            .json()["Status"],
        "REVIEW"
    );

    // Rita approves one and refuses another; the platform gets the webhooks and the bodies.
    let csrf = page.csrf();
    let approved = rita
        .post(
            &format!("{}/decide", session_url(&sessions[0])),
            &[("csrf", &csrf), ("action", "approve")],
        )
        .await;
    assert_eq!(approved.status, 303, "{}", approved.text());
    receiver.expect("IDENTITY_VERIFICATION_VALIDATED", &sessions[0]).await;
    assert_eq!(
        api.get(&format!("/identity-verifications/{}", sessions[0]))
            .await
            .json()["Status"],
        "VALIDATED"
    );
    rita.get(&session_url(&sessions[1])).await;
    let refusal = [
        ("csrf", csrf.as_str()),
        ("action", "refuse"),
        ("reason", "BUSINESS_INSIGHTS_MATCH_FAILED@BUSINESS_INSIGHTS_MATCH"),
        ("comment", "The representative is not a director of record"),
    ];
    assert_eq!(
        rita.post(&format!("{}/decide", session_url(&sessions[1])), &refusal)
            .await
            .status,
        303
    );
    receiver.expect("IDENTITY_VERIFICATION_FAILED", &sessions[1]).await;
    let body = api
        .get(&format!("/identity-verifications/{}", sessions[1]))
        .await
        .json();
    let reason = body["Checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["Type"] == "BUSINESS_INSIGHTS_MATCH")
        .map(|c| c["Reasons"][0].clone())
        .unwrap();
    assert_eq!(
        (body["Status"].as_str(), reason),
        (
            Some("REFUSED"),
            serde_json::json!({"Type": "BUSINESS_INSIGHTS_MATCH_FAILED", "Value": "The representative is not a director of record"})
        )
    );

    // Two decisions racing on one session: exactly one wins, one webhook leaves.
    let third = session_url(&sessions[2]);
    let csrf = rita.get(&third).await.csrf();
    let target = format!("{third}/decide");
    let approve = [("csrf", csrf.as_str()), ("action", "approve")];
    let refuse = [
        ("csrf", csrf.as_str()),
        ("action", "refuse"),
        ("reason", "DOCUMENT_NOT_ACCEPTED@BUSINESS_VERIFICATION"),
        ("comment", "Extract too old"),
    ];
    let (a, b) = tokio::join!(rita.post(&target, &approve), rita.post(&target, &refuse));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [303, 409]);
    let decided = receiver
        .wait_for(1, std::time::Duration::from_secs(20), |r| {
            r.resource() == sessions[2] && r.event() != "IDENTITY_VERIFICATION_INCONCLUSIVE"
        })
        .await;
    assert_eq!(decided.len(), 1);

    // The audit log has every view of personal data, is searchable, exportable, and append-only.
    let log = aude.get("/console/audit?q=view_file").await.text();
    assert!(
        log.contains("rita") && log.contains(&sessions[0]) && log.contains("front"),
        "{log}"
    );
    let csv = aude.get("/console/audit.csv").await;
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text();
    for action in [
        "login_failed",
        "login",
        "view_session",
        "view_file",
        "decide",
        "decision_refused",
        "forged_request",
    ] {
        assert!(
            csv.contains(&format!("\"{action}\"")),
            "{action} missing from the export"
        );
    }
    assert_eq!(
        rita.get("/console/audit").await.status,
        403,
        "reviewers do not read the audit log"
    );
    let (update, delete) = if backend == Backend::Sqlite {
        let pool = sqlx::SqlitePool::connect(&app.db.url).await.unwrap();
        (
            sqlx::query("UPDATE audit_log SET username = 'nobody'")
                .execute(&pool)
                .await
                .map(|_| ()),
            sqlx::query("DELETE FROM audit_log").execute(&pool).await.map(|_| ()),
        )
    } else {
        let pool = sqlx::PgPool::connect(&app.db.url).await.unwrap();
        (
            sqlx::query("UPDATE audit_log SET username = 'nobody'")
                .execute(&pool)
                .await
                .map(|_| ()),
            sqlx::query("DELETE FROM audit_log").execute(&pool).await.map(|_| ()),
        )
    };
    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(delete.unwrap_err().to_string().contains("append-only"));

    // Disabling a staff member ends their sessions at once.
    let (ok, _, err) = cli(&app, &["staff", "disable", "rita"]).await;
    assert!(ok, "{err}");
    assert_eq!(rita.get("/console/reviews").await.location, "/console/login");
}

fn blob_files(app: &TestApp) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| if e.path().is_dir() { count(&e.path()) } else { 1 })
                    .sum()
            })
            .unwrap_or(0)
    }
    count(&app.db.data_dir.path().join("blobs"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redaction_erases_personal_data_and_images_but_keeps_the_record() {
    const ADMIN: &str = "an-admin-token-of-32-characters!!";
    let (app, api, client, _receiver, _face, sessions) = platform_with_reviews(
        Backend::Sqlite,
        &[("VERITY_ADMIN_TOKEN", ADMIN)],
        &[(90, "44444444"), (91, "44444444"), (92, "44444444")],
    )
    .await;
    // Each session stored a passport photo, a selfie and two company documents.
    assert_eq!(blob_files(&app), 12);

    // An operator redacts the first one in the console.
    add_staff(&app, "olga", "Olga Operator", "operator", &[]).await;
    add_staff(&app, "rex", "Rex Reviewer", "reviewer", &[]).await;
    let olga = Browser::new(&app);
    olga.sign_in("olga", &password("olga"), "").await;
    let url = format!("/console/clients/{client}/sessions/{}", sessions[0]);
    let page = olga.get(&url).await;
    assert!(page.text().contains("Redact personal data"));
    let rex = Browser::new(&app);
    rex.sign_in("rex", &password("rex"), "").await;
    let rex_csrf = rex.get(&url).await.csrf();
    assert_eq!(
        rex.post(&format!("{url}/redact"), &[("csrf", &rex_csrf)]).await.status,
        403,
        "reviewers do not redact"
    );
    assert_eq!(
        olga.post(&format!("{url}/redact"), &[("csrf", &page.csrf())])
            .await
            .status,
        303
    );
    assert_eq!(
        blob_files(&app),
        8,
        "the first session's four files are gone from the blob store"
    );
    let after = olga.get(&url).await.text();
    // What was entered in the session is gone (the platform's own user record is not the session's).
    assert!(
        after.contains("No file was uploaded.")
            && !after.contains("1 High Street")
            && after.contains("BUSINESS_VERIFICATION"),
        "{after}"
    );
    assert!(
        after.contains("&quot;redacted&quot;") && !after.contains("DUBOIS"),
        "evidence details are gone"
    );
    assert_eq!(olga.get(&format!("{url}/files/front")).await.status, 404);
    // The platform still sees the session's status and checks, without the values read.
    let body = api
        .get(&format!("/identity-verifications/{}", sessions[0]))
        .await
        .json();
    assert_eq!(body["Status"], "REVIEW");
    let idv = body["Checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["Type"] == "IDENTITY_DOCUMENT_VERIFICATION")
        .unwrap()
        .clone();
    assert_eq!(idv["CheckStatus"], "VALIDATED");
    assert!(
        idv["Data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["Value"].as_str().is_none_or(str::is_empty)),
        "{idv}"
    );

    // The admin API does the same.
    let r = app
        .http
        .post(app.url(&format!(
            "/admin/v1/clients/{client}/identity-verifications/{}/redact",
            sessions[1]
        )))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["FilesDeleted"], 4);
    assert_eq!(blob_files(&app), 4);

    // Retention: decided sessions' files older than zero days go when the purge runs (a session
    // waiting for review keeps them); the audit trail stays.
    let approved = app
        .http
        .post(app.url(&format!(
            "/admin/v1/clients/{client}/identity-verifications/{}/approve",
            sessions[2]
        )))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status().as_u16(), 200);
    let (ok, _, err) = cli(&app, &["clients", "set-policy", &client, "--retention-files-days", "0"]).await;
    assert!(ok, "{err}");
    let (ok, out, err) = cli(&app, &["sessions", "purge-expired-data"]).await;
    assert!(ok, "{err}");
    assert!(out.contains("sessions redacted"), "{out}");
    assert_eq!(blob_files(&app), 0);
    let log = olga.get("/console/audit?q=redact").await.text();
    assert!(log.contains(&sessions[0]) && log.contains("olga"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_chromium() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "browser test packages missing: run tests/setup.sh first"
    );
    let (app, api, client, receiver, _face, sessions) = platform_with_reviews(
        Backend::Sqlite,
        &[],
        &[(100, "55555555"), (101, "55555555"), (102, "55555555")],
    )
    .await;
    for (user, role) in [("rita", "reviewer"), ("rob", "reviewer"), ("aude", "auditor")] {
        add_staff(&app, user, &format!("{user} of the console"), role, &[]).await;
    }
    let config = serde_json::json!({
        "client": client, "approve": sessions[0], "refuse": sessions[1], "race": sessions[2],
        "passwords": {"rita": password("rita"), "rob": password("rob"), "aude": password("aude")},
    });
    let out = tokio::process::Command::new("node")
        .args(["--test", "--test-concurrency=1", "console/console.mjs"])
        .current_dir(&dir)
        .env("VERITY_BASE_URL", &app.base)
        .env("VERITY_CONSOLE", config.to_string())
        .output()
        .await
        .expect("run node --test");
    assert!(
        out.status.success(),
        "console browser tests failed\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // What the platform saw: the right webhooks and bodies.
    receiver.expect("IDENTITY_VERIFICATION_VALIDATED", &sessions[0]).await;
    receiver.expect("IDENTITY_VERIFICATION_FAILED", &sessions[1]).await;
    receiver.expect("IDENTITY_VERIFICATION_VALIDATED", &sessions[2]).await;
    let refused = api
        .get(&format!("/identity-verifications/{}", sessions[1]))
        .await
        .json();
    let reason = refused["Checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["Type"] == "BUSINESS_INSIGHTS_MATCH")
        .map(|c| c["Reasons"][0]["Value"].clone());
    assert_eq!(
        reason,
        Some(serde_json::json!("Director not listed in the registry extract"))
    );
    let decided: Vec<_> = receiver
        .all()
        .into_iter()
        .filter(|r| r.resource() == sessions[2] && r.event() != "IDENTITY_VERIFICATION_INCONCLUSIVE")
        .collect();
    assert_eq!(decided.len(), 1, "one decision on the raced session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_manage_platforms_in_the_console() {
    let Live {
        app,
        api,
        client,
        receiver,
        face: _,
    } = live_platform(Backend::Sqlite, &[]).await;
    let hooks = api
        .post(
            "/hooks",
            serde_json::json!({"EventType": "USER_KYC_LIGHT", "Url": receiver.url}),
        )
        .await;
    assert_eq!(hooks.status, 200, "{}", hooks.text);
    // A verified natural user.
    let marie = Person {
        first: "Marie",
        last: "Dubois",
        birth: "1985-03-12",
    };
    let pages = photos(
        Kind::Passport,
        identity(
            110,
            "DUBOIS",
            "MARIE",
            Date {
                year: 1985,
                month: 3,
                day: 12,
            },
            "FRA",
        ),
        Flaw::None,
        110,
    );
    let s = crate::engine::submit_natural_pub(&app, &api, &marie, ("PASSPORT", "FR"), &pages, 110).await;
    let v = decision(&api, &receiver, &s).await;
    assert_eq!(v["Status"], "VALIDATED");
    let user = v["UserId"].as_str().unwrap().to_owned();

    add_staff(&app, "otto", "Otto Operator", "operator", &[]).await;
    add_staff(&app, "ada", "Ada Auditor", "auditor", &[]).await;
    let otto = Browser::new(&app);
    otto.sign_in("otto", &password("otto"), "").await;
    let platforms = otto.get("/console/clients").await.text();
    assert!(
        platforms.contains(&client) && platforms.contains("production"),
        "{platforms}"
    );
    let overview = otto.get(&format!("/console/clients/{client}")).await;
    let text = overview.text();
    assert!(
        text.contains(&user) && text.contains("IDENTITY_VERIFICATION_VALIDATED") && text.contains(&receiver.url),
        "{text}"
    );
    let csrf = overview.csrf();

    // The user's page: sessions with their status; downgrade; a new session link.
    let found = otto
        .get(&format!("/console/clients/{client}/find-user?id={user}"))
        .await;
    assert_eq!(found.location, format!("/console/clients/{client}/users/{user}"));
    let user_page = otto.get(&found.location).await.text();
    assert!(
        user_page.contains(&s) && user_page.contains("VALIDATED") && user_page.contains("REGULAR"),
        "{user_page}"
    );
    let downgraded = otto
        .post(
            &format!("/console/clients/{client}/users/{user}/downgrade"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(downgraded.status, 303);
    receiver.expect("USER_KYC_LIGHT", &user).await;
    assert_eq!(
        api.get(&format!("/identity-verifications/{s}")).await.json()["Status"],
        "OUT_OF_DATE"
    );
    let link = otto
        .post(
            &format!("/console/clients/{client}/users/{user}/sessions"),
            &[("csrf", &csrf), ("return_url", "https://platform.example/kyc-done")],
        )
        .await
        .text();
    assert!(
        link.contains("/verify/") && link.contains("redirectURL=https%3A%2F%2Fplatform.example%2Fkyc-done"),
        "{link}"
    );
    let listed = api.get(&format!("/users/{user}/identity-verifications")).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 2);

    // A session's history, and a delivery's attempts.
    let history = otto
        .get(&format!("/console/clients/{client}/sessions/{s}"))
        .await
        .text();
    let at = history.find("id=\"h-history\"").expect("a history section");
    assert!(
        history[at..].contains("IDENTITY_VERIFICATION_PENDING")
            && history[at..].contains("IDENTITY_VERIFICATION_OUTDATED"),
        "{history}"
    );
    let delivery = text
        .split("href=\"")
        .filter_map(|p| p.split('"').next())
        .find(|h| h.contains("/deliveries/whdlv_"))
        .expect("a delivery link")
        .to_owned();
    let attempts = otto.get(&delivery).await.text();
    assert!(
        attempts.contains("Attempts") && attempts.contains("<td>200</td>"),
        "{attempts}"
    );

    // Hooks: an operator disables one; the platform sees it.
    let hook = api.get("/hooks").await.json()[0]["Id"].as_str().unwrap().to_owned();
    let disabled = otto
        .post(
            &format!("/console/clients/{client}/hooks/{hook}"),
            &[("csrf", &csrf), ("action", "disable")],
        )
        .await;
    assert_eq!(disabled.status, 303);
    assert_eq!(api.get(&format!("/hooks/{hook}")).await.json()["Status"], "DISABLED");
    assert_eq!(
        otto.post(
            &format!("/console/clients/{client}/hooks/{hook}"),
            &[("csrf", &csrf), ("action", "enable")]
        )
        .await
        .status,
        303
    );

    // Replaying a delivery sends it again.
    let replay = text
        .split("action=\"")
        .filter_map(|p| p.split('"').next())
        .find(|a| a.ends_with("/replay"))
        .expect("a replay button")
        .to_owned();
    let before = receiver.all().len();
    assert_eq!(otto.post(&replay, &[("csrf", &csrf)]).await.status, 303);
    receiver
        .wait_for(before + 1, std::time::Duration::from_secs(20), |_| true)
        .await;

    // Activation, and a new API key that retires the old one.
    let settings = format!("/console/clients/{client}/settings");
    assert_eq!(
        otto.post(&settings, &[("csrf", &csrf), ("action", "idv_off")])
            .await
            .status,
        303
    );
    let off = api
        .post(
            &format!("/users/{user}/identity-verifications"),
            serde_json::json!({"ReturnUrl": "https://example.com"}),
        )
        .await;
    assert_eq!(off.status, 403);
    assert_eq!(
        otto.post(&settings, &[("csrf", &csrf), ("action", "idv_on")])
            .await
            .status,
        303
    );
    let rotated = otto
        .post(&settings, &[("csrf", &csrf), ("action", "rotate_key")])
        .await
        .text();
    let key = rotated
        .split("<code id=\"api-key\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let fresh = app.token_for(&client, &key).await;
    assert!(!fresh.is_empty());
    let old_key = app
        .http
        .post(app.url("/v2.01/oauth/token"))
        .basic_auth(&client, Some("not-the-key"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(old_key.status().as_u16(), 401);

    // An auditor sees the platform but changes nothing.
    let ada = Browser::new(&app);
    ada.sign_in("ada", &password("ada"), "").await;
    let ada_page = ada.get(&format!("/console/clients/{client}")).await;
    assert!(!ada_page.text().contains("Issue a new API key"));
    let refused = ada
        .post(&settings, &[("csrf", &ada_page.csrf()), ("action", "idv_off")])
        .await;
    assert_eq!(refused.status, 403);
    let log = otto.get("/console/audit?q=client_").await.text();
    assert!(
        log.contains("client_idv_off") && log.contains("client_rotate_key"),
        "{log}"
    );
}

/// A hundred wrong passwords at once: only as many are checked as the lock allows, and the
/// account ends locked (the counter used to be read and written back unguarded).
async fn parallel_guesses_lock_the_account(backend: Backend) {
    let app = TestApp::spawn(backend, &[]).await;
    add_staff(&app, "rita", "Rita Reviewer", "reviewer", &[]).await;
    let browser = Browser::new(&app);
    let csrf = browser.get("/console/login").await.csrf();
    let guesses = (0..100).map(|i| {
        let (browser, csrf) = (browser.clone(), csrf.clone());
        async move {
            let guess = format!("guess number {i} of many");
            browser
                .post(
                    "/console/login",
                    &[
                        ("csrf", &csrf),
                        ("username", "rita"),
                        ("password", &guess),
                        ("code", ""),
                    ],
                )
                .await
        }
    });
    let pages = crate::hardening::futures_join_all(guesses).await;
    assert!(pages.iter().all(|p| p.status == 401));
    sqlx::any::install_default_drivers();
    let mut db = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.db.url)
        .await
        .unwrap();
    let checked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed'")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert!(
        (1..=5).contains(&checked),
        "{checked} passwords were checked; the lock allows 5"
    );
    let locked_until: i64 = sqlx::query_scalar("SELECT locked_until FROM staff WHERE username = 'rita'")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert!(locked_until > verity_http::now(), "the account is locked");
    // From another address (this one is locked too) the right password is refused as well.
    let mut elsewhere = Browser::new(&app);
    elsewhere.http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let page = elsewhere.sign_in("rita", &password("rita"), "").await;
    assert!(page.text().contains("locked for 15 minutes"), "{}", page.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_lock_the_account_sqlite() {
    parallel_guesses_lock_the_account(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_lock_the_account_postgres() {
    if postgres_admin_url().is_none() {
        return;
    }
    parallel_guesses_lock_the_account(Backend::Postgres).await;
}
