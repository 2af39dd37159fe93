//! The reviewer's workspace over HTTP, on SQLite and PostgreSQL: search (names, e-mail, company
//! and document numbers through keyed hashes, ids), filters, claims and assignment by a lead,
//! next in queue after a decision, internal notes and the timeline, staff management and the
//! audit entry of every action.

use verity_corpus::Date;

use super::setup::*;
use crate::engine::*;
use crate::helpers::*;

/// The sessions a queue page links to, in order.
fn listed(html: &str) -> Vec<String> {
    html.match_indices("/sessions/idnver_")
        .map(|(at, _)| html[at + "/sessions/".len()..].split('"').next().unwrap().to_owned())
        .collect()
}

fn count(html: &str) -> String {
    let at = html.find("class=\"count\">").expect("a count") + "class=\"count\">".len();
    html[at..].split('<').next().unwrap().to_owned()
}

async fn workspace(backend: Backend) {
    let numbers = [(110, "11111111"), (111, "22222222"), (112, "33333333")];
    let admin = "an operator's metrics token, long enough";
    let env = [("VERITY_ADMIN_TOKEN", admin)];
    let (app, api, client, _receiver, _face, sessions) = platform_with_reviews(backend, &env, &numbers).await;
    // The review backlog, for an operator's alerts.
    let metrics = app
        .http
        .get(format!("{}/metrics", app.base))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("\nverity_review_queue_sessions 3\n"), "{metrics}");
    let oldest: i64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("verity_review_oldest_waiting_seconds "))
        .expect("the oldest waiting session")
        .parse()
        .unwrap();
    assert!((0..600).contains(&oldest), "{oldest}");
    add_staff(&app, "rita", "Rita Reviewer", "reviewer", &[]).await;
    add_staff(&app, "rob", "Rob Reviewer", "reviewer", &[]).await;
    add_staff(&app, "lena", "Lena Lead", "lead", &[]).await;
    add_staff(&app, "olga", "Olga Operator", "operator", &[]).await;
    let rita = Browser::new(&app);
    rita.sign_in("rita", &password("rita"), "").await;
    let search = |q: &str| format!("/console/reviews?q={}", urlencoding(q));

    // Search by the representative's name (any case, accents aside), a company number, the
    // document number read from the passport, an e-mail changed after creation, and ids.
    let all = rita.get(&search("marie DUBOIS")).await.text();
    assert_eq!(listed(&all), sessions, "{all}");
    assert_eq!(count(&all), "3 sessions in review found");
    assert_eq!(
        listed(&rita.get(&search("22222222")).await.text()),
        [sessions[1].clone()]
    );
    let born = Date {
        year: 1985,
        month: 3,
        day: 12,
    };
    let document_number = identity(112, "DUBOIS", "MARIE", born, "FRA").document_number;
    assert_eq!(
        listed(&rita.get(&search(&document_number)).await.text()),
        [sessions[2].clone()],
        "document number {document_number}"
    );
    let user0 = user_of(&api, &sessions[0]).await;
    let changed = api
        .put(
            &format!("/users/legal/{user0}"),
            serde_json::json!({"Email": "compliance@acme.example"}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(
        listed(&rita.get(&search("Compliance@Acme.example")).await.text()),
        [sessions[0].clone()]
    );
    assert_eq!(listed(&rita.get(&search(&user0)).await.text()), [sessions[0].clone()]);
    assert_eq!(
        listed(&rita.get(&search(&sessions[2])).await.text()),
        [sessions[2].clone()]
    );
    let nobody = rita.get(&search("Zebulon Nobody")).await.text();
    assert!(listed(&nobody).is_empty() && count(&nobody) == "0 sessions in review found");
    // Parts of words find nothing: only keyed hashes of whole words are stored.
    assert!(listed(&rita.get(&search("Dubo")).await.text()).is_empty());

    // Filters.
    let ids = |path: &str| {
        let rita = rita.clone();
        let path = path.to_owned();
        async move { listed(&rita.get(&path).await.text()) }
    };
    let business = rita.get("/console/reviews?type=BUSINESS").await.text();
    assert_eq!(listed(&business), sessions, "{business}");
    assert!(ids("/console/reviews?type=NATURAL").await.is_empty());
    assert_eq!(ids("/console/reviews?env=production").await, sessions);
    assert!(ids("/console/reviews?env=sandbox").await.is_empty());
    assert_eq!(ids(&format!("/console/reviews?client={client}")).await, sessions);
    assert_eq!(
        ids("/console/reviews?check=BUSINESS_VERIFICATION%3AREVIEW").await,
        sessions
    );
    assert!(ids("/console/reviews?reason=FACE_MATCH_FAIL").await.is_empty());
    assert!(ids("/console/reviews?status=VALIDATED").await.is_empty());
    assert!(ids("/console/reviews?from=2099-01-01").await.is_empty());
    assert_eq!(ids("/console/reviews?from=2000-01-01&to=2099-12-31").await, sessions);
    let bad = rita.get("/console/reviews?from=yesterday").await;
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("yesterday is not a date: write it as YYYY-MM-DD."));

    // Opening a session claims it: "my claims" lists it, the queue names the holder.
    let url = |i: usize| format!("/console/clients/{client}/sessions/{}", sessions[i]);
    rita.get(&url(0)).await;
    assert_eq!(ids("/console/reviews?mine=1").await, [sessions[0].clone()]);
    assert!(
        rita.get("/console/reviews")
            .await
            .text()
            .contains("Rita Reviewer until ")
    );

    // A lead assigns the second session to Rob: Rita cannot decide it, Rob's next is it.
    let lena = Browser::new(&app);
    lena.sign_in("lena", &password("lena"), "").await;
    let lena_page = lena.get(&url(1)).await;
    let lena_csrf = lena_page.csrf();
    assert!(
        lena_page
            .text()
            .contains("<option value=\"rob\">Rob Reviewer (rob)</option>")
    );
    let assigned = lena
        .post(
            &format!("{}/assign", url(1)),
            &[("csrf", &lena_csrf), ("reviewer", "rob")],
        )
        .await;
    assert_eq!((assigned.status, assigned.location.as_str()), (303, url(1).as_str()));
    let nobody_there = lena
        .post(
            &format!("{}/assign", url(1)),
            &[("csrf", &lena_csrf), ("reviewer", "olga")],
        )
        .await;
    assert_eq!(
        nobody_there.status, 400,
        "operators do not decide, so they are not assignable"
    );
    let rita_csrf = rita.get(&url(0)).await.csrf();
    let not_lead = rita
        .post(
            &format!("{}/assign", url(2)),
            &[("csrf", &rita_csrf), ("reviewer", "rita")],
        )
        .await;
    assert_eq!(not_lead.status, 403);
    assert!(
        rita.get(&url(1))
            .await
            .text()
            .contains("Another reviewer is deciding this session.")
    );
    assert!(
        rita.get("/console/reviews")
            .await
            .text()
            .contains("Rob Reviewer until ")
    );
    assert!(rita.get("/console/reviews").await.text().contains("(assigned by lena)"));
    let rob = Browser::new(&app);
    rob.sign_in("rob", &password("rob"), "").await;
    let queue = rob.get("/console/reviews").await;
    let next = rob.post("/console/next", &[("csrf", &queue.csrf())]).await;
    assert_eq!((next.status, next.location.as_str()), (303, url(1).as_str()));

    // Notes: staff only, sealed, in the timeline with their author; never in the API.
    let note = "Called the company: the director is on leave, asked for a fresh extract.";
    let added = rita
        .post(&format!("{}/notes", url(0)), &[("csrf", &rita_csrf), ("note", note)])
        .await;
    assert_eq!(added.status, 303);
    let empty = rita
        .post(&format!("{}/notes", url(0)), &[("csrf", &rita_csrf), ("note", "  ")])
        .await;
    assert_eq!(empty.status, 400);
    let page = rita.get(&url(0)).await.text();
    let timeline = &page[page.find("id=\"timeline\"").expect("a timeline")..];
    assert!(timeline.contains(note), "{timeline}");
    assert!(
        timeline.contains("<td>rita</td><td>opened the session</td>"),
        "{timeline}"
    );
    assert!(
        timeline.contains("<td>Verity</td><td>inconclusive: sent to review (IDENTITY_VERIFICATION_INCONCLUSIVE)</td>")
    );
    assert!(timeline.contains(" UTC</td>"), "times of day");
    let from_api = api.get(&format!("/identity-verifications/{}", sessions[0])).await.text;
    assert!(!from_api.contains("director is on leave"));
    let lena_timeline = lena.get(&url(1)).await.text();
    assert!(lena_timeline.contains("<td>lena</td><td>assigned the session to rob</td>"));

    // The page is laid out for the decision: the conclusion first, declared beside read.
    let summary = page.find("What Verity concluded").unwrap();
    let decision = page.find("id=\"h-decision\"").unwrap();
    assert!(summary < page.find("id=\"h-compared\"").unwrap() && summary < decision);
    assert!(page.contains("Verity could not conclude"));
    assert!(page.contains("France (FRA)"), "country names, not codes");

    // PDFs are previewed inline, framed by the console only, and watermarked like images.
    assert!(page.contains("<iframe src=\"/console/clients/"), "a PDF preview");
    let pdf = rita.get(&format!("{}/files/articles_of_association", url(0))).await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    assert_eq!(pdf.headers["x-frame-options"], "SAMEORIGIN");
    assert!(pdf.body.starts_with(b"%PDF"));
    let marked = String::from_utf8_lossy(&pdf.body);
    assert!(
        marked.contains("Rita Reviewer") && marked.contains(" UTC"),
        "the viewer's name and the time on the PDF"
    );

    // Deciding leads to the next session, which says what was decided.
    let approved = rita
        .post(
            &format!("{}/decide", url(0)),
            &[("csrf", &rita_csrf), ("action", "approve")],
        )
        .await;
    assert_eq!(approved.status, 303);
    assert_eq!(approved.location, format!("{}?after={}", url(2), sessions[0]));
    let next_page = rita.get(&approved.location).await.text();
    assert!(next_page.contains(&format!("Session {} was decided.", sessions[0])));
    assert!(ids("/console/reviews?mine=1").await == [sessions[2].clone()]);

    // Staff management: operators only, every change audited.
    assert_eq!(rita.get("/console/staff").await.status, 403);
    let olga = Browser::new(&app);
    olga.sign_in("olga", &password("olga"), "").await;
    let staff_page = olga.get("/console/staff").await;
    assert_eq!(staff_page.status, 200);
    let csrf = staff_page.csrf();
    let form = |extra: &[(&'static str, &'static str)]| {
        let mut f = vec![("csrf", csrf.clone())];
        f.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        f
    };
    let post = |path: &'static str, fields: Vec<(&'static str, String)>| {
        let olga = olga.clone();
        async move {
            let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            olga.post(path, &borrowed).await
        }
    };
    let weak = post(
        "/console/staff",
        form(&[
            ("username", "nina"),
            ("name", "Nina New"),
            ("role", "reviewer"),
            ("password", "short"),
        ]),
    )
    .await;
    assert_eq!(weak.status, 400);
    assert!(weak.text().contains("at least 12 characters"));
    let added = post(
        "/console/staff",
        form(&[
            ("username", "nina"),
            ("name", "Nina New"),
            ("role", "reviewer"),
            ("password", "nina has a long password"),
        ]),
    )
    .await;
    assert_eq!(added.status, 303);
    assert_eq!(
        post("/console/staff/nina/role", form(&[("role", "lead")])).await.status,
        303
    );
    assert!(
        olga.get("/console/staff")
            .await
            .text()
            .contains("<td>nina</td><td>Nina New</td><td>lead</td>")
    );
    assert_eq!(post("/console/staff/nina/disable", form(&[])).await.status, 303);
    let nina = Browser::new(&app);
    assert_eq!(nina.sign_in("nina", "nina has a long password", "").await.status, 401);
    assert_eq!(post("/console/staff/nina/enable", form(&[])).await.status, 303);
    assert_eq!(
        post(
            "/console/staff/nina/password",
            form(&[("password", "nina has another password")])
        )
        .await
        .status,
        303
    );
    assert_eq!(nina.sign_in("nina", "nina has another password", "").await.status, 303);
    assert_eq!(
        post("/console/staff/olga/disable", form(&[])).await.status,
        400,
        "not oneself"
    );

    // Her own account: password change, then authenticator codes enrolled with the QR code.
    let account = nina.get("/console/account").await;
    let text = account.text();
    assert!(text.contains("data:image/svg+xml;base64,"), "a QR code");
    let secret_at = text.find("name=\"secret\" value=\"").unwrap() + "name=\"secret\" value=\"".len();
    let secret = text[secret_at..].split('"').next().unwrap().to_owned();
    let ncsrf = account.csrf();
    let wrong = nina
        .post(
            "/console/account/password",
            &[
                ("csrf", &ncsrf),
                ("current", "not my password at all"),
                ("new", "nina chose this password"),
                ("again", "nina chose this password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 400);
    let changed = nina
        .post(
            "/console/account/password",
            &[
                ("csrf", &ncsrf),
                ("current", "nina has another password"),
                ("new", "nina chose this password"),
                ("again", "nina chose this password"),
            ],
        )
        .await;
    assert_eq!(changed.status, 200);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let key = verity_common::totp::base32_decode(&secret).unwrap();
    let bad_code = nina
        .post(
            "/console/account/totp",
            &[("csrf", &ncsrf), ("secret", &secret), ("code", "000000")],
        )
        .await;
    assert!(bad_code.status == 400 || verity_common::totp::code_at(&key, now) == 0);
    let code = format!("{:06}", verity_common::totp::code_at(&key, now));
    let enrolled = nina
        .post(
            "/console/account/totp",
            &[("csrf", &ncsrf), ("secret", &secret), ("code", &code)],
        )
        .await;
    assert_eq!(enrolled.status, 303);
    let again = Browser::new(&app);
    assert_eq!(
        again.sign_in("nina", "nina chose this password", "").await.status,
        401,
        "a code is needed now"
    );
    let code = format!("{:06}", verity_common::totp::code_at(&key, now));
    assert_eq!(
        again.sign_in("nina", "nina chose this password", &code).await.status,
        303
    );

    // Every action is in the audit log, with its actor; searches name their kind, not the text.
    let csv = olga.get("/console/audit.csv").await.text();
    for action in [
        "search",
        "view_session",
        "assign",
        "note",
        "decide",
        "staff_add",
        "staff_role",
        "staff_disable",
        "staff_enable",
        "staff_password",
        "password_change",
        "totp_enrol",
    ] {
        assert!(csv.contains(&format!("\"{action}\"")), "{action} not audited:\n{csv}");
    }
    assert!(
        !csv.contains("Zebulon") && !csv.contains("director is on leave"),
        "no searched text or note in the log"
    );
}

fn urlencoding(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewers_work_the_queue_sqlite() {
    workspace(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewers_work_the_queue_postgres() {
    workspace(Backend::Postgres).await;
}
