//! The engine's throughput (issue #17): natural sessions decided per second, from their stored
//! images to the committed decision. A benchmark, not a test: `bash bench/engine.sh` runs it
//! (`--ignored`); the default test run skips it.
//!
//! N natural sessions (valid passports of different people, a selfie each) are submitted through
//! the hosted flow to a server whose engine is off (`VERITY_ENGINE=false`); then a second server
//! with the engine on starts on the same database and decides them all. Reported: wall time from
//! its start to the last decision webhook, the server's CPU time over that span (from
//! /proc/PID/stat), and the engine's own per-job durations (`verity_engine_job_seconds`).

use std::time::Instant;

use verity_corpus::{Date, Flaw, Kind};

use super::*;
use crate::helpers::*;

/// User and system CPU seconds of a process so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    // Fields after the command name (which may hold spaces), from field 3 on.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    // USER_HZ is 100 on Linux.
    ticks / 100.0
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: bash bench/engine.sh runs it"]
async fn engine_throughput() {
    let n: u64 = std::env::var("VERITY_BENCH_SESSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let backend = match std::env::var("VERITY_BENCH_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    let Live {
        app,
        api,
        client,
        receiver,
        face: _face,
    } = live_platform(
        backend,
        &[
            ("VERITY_ENGINE", "false"),
            ("VERITY_ADMIN_TOKEN", crate::lifecycle::ADMIN_TOKEN),
        ],
    )
    .await;
    let surnames = [
        ("DUBOIS", "Dubois"),
        ("MARTIN", "Martin"),
        ("BERNARD", "Bernard"),
        ("THOMAS", "Thomas"),
        ("PETIT", "Petit"),
        ("ROBERT", "Robert"),
    ];
    let mut sessions = Vec::new();
    let submitting = Instant::now();
    for i in 0..n {
        let (upper, last) = surnames[i as usize % surnames.len()];
        let born = Date {
            year: 1960 + (i % 40) as i32,
            month: 1 + (i % 12) as u32,
            day: 1 + (i % 28) as u32,
        };
        let birth = format!("{:04}-{:02}-{:02}", born.year, born.month, born.day);
        let person = Person {
            first: "Marie",
            last,
            birth: &birth,
        };
        let pages = photos(
            Kind::Passport,
            identity(100 + i, upper, "MARIE", born, "FRA"),
            Flaw::None,
            100 + i,
        );
        sessions.push(submit_natural(&app, &api, &person, ("PASSPORT", "FR"), &pages, i + 1).await);
    }
    let submitted_in = submitting.elapsed().as_secs_f64();

    let (db, mut env, client_id, api_key) = app.stop().await;
    env.retain(|(k, _)| k != "VERITY_ENGINE");
    let engine = TestApp::start(db, env, client_id, api_key).await;
    let api = Api {
        http: engine.http.clone(),
        token: api.token.clone(),
        prefix: engine.url(&format!("/v2.01/{client}")),
    };
    let started = Instant::now();
    let cpu_before = cpu_seconds(engine.pid());
    let mut statuses = std::collections::BTreeMap::<String, u32>::new();
    for s in &sessions {
        let v = decision(&api, &receiver, s).await;
        *statuses.entry(v["Status"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds(engine.pid()) - cpu_before;
    let metrics = engine
        .http
        .get(engine.url("/metrics"))
        .bearer_auth(crate::lifecycle::ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let jobs = metric(&metrics, "verity_engine_job_seconds_count");
    let job_seconds = metric(&metrics, "verity_engine_job_seconds_sum");
    println!(
        "engine throughput ({backend:?}): {n} natural sessions (passport + selfie), submitted in {submitted_in:.1} s with the engine off"
    );
    println!("  decided: {statuses:?}");
    println!(
        "  wall: {wall:.2} s from the engine's start to the last decision = {:.2} sessions/s",
        n as f64 / wall
    );
    println!(
        "  server CPU over that span: {cpu:.2} s = {:.2} sessions per CPU-second (per core)",
        n as f64 / cpu
    );
    println!(
        "  engine jobs: {jobs} in {job_seconds:.2} s, {:.0} ms each = {:.2} sessions/s for the engine's one job at a time",
        1000.0 * job_seconds / jobs,
        jobs / job_seconds
    );
    assert_eq!(jobs as u64, n, "one job per session");
}
