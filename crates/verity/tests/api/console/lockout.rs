//! Sign-in lockout holds against a hundred parallel guesses.

use super::setup::*;
use crate::helpers::*;

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
