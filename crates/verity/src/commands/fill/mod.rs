//! `verity fill`: a benchmarking tool that writes made-up users and IDV sessions through the
//! store, sealed and indexed exactly as production writes them (search terms, user types, review
//! codes), so that the console's queue, search and session pages can be measured at scale
//! (`bench/console/run.sh`).
//!
//! Safety rule: it runs only on a database whose clients are all sandbox clients (a database
//! with no client counts as one), unless `--yes-fill-this-database` is given.
//!
//! Everything but the identifiers is derived from the row's number, so a run is reproducible in
//! shape: user `j` is the same person every time, session `i` belongs to user `i % users`, and
//! exactly `--review` sessions, spread evenly, wait in REVIEW.

mod probe;
mod words;

pub(crate) use probe::probe;

use words::*;

use std::time::Instant;

use verity_domain::event::{self, Event};
use verity_domain::sandbox::{Directive, IDENTITY_DOCUMENT_VERIFICATION, check_types};
use verity_domain::search::document_number_term;
use verity_domain::session::{Check, SessionFlow};
use verity_domain::user::{
    Address, KycLevel, LegalData, LegalPersonType, LegalRepresentative, NaturalData, Person, UserCategory, UserStatus,
};
use verity_domain::{Client, ClientId, Environment, IdvSession, SessionId, SessionStatus, User, UserId};
use verity_store::{Changeset, PageRequest, SortDirection, Write};

use super::Failure;
use crate::bootstrap::{Opening, open_store, services};
use crate::config::Settings;

/// The rule, printed by every run.
const RULE: &str = "verity fill writes made-up users and sessions; it runs only on a database whose clients are all \
                    sandbox clients, unless --yes-fill-this-database is given";

const DAY: i64 = 86_400;

/// What `verity fill` was asked for.
pub(crate) struct FillArgs {
    pub(crate) sessions: u64,
    pub(crate) review: u64,
    pub(crate) users: Option<u64>,
    pub(crate) client: String,
    pub(crate) batch: u64,
    pub(crate) yes: bool,
}

pub(super) async fn fill(args: FillArgs, settings: &Settings) -> Result<(), Failure> {
    if args.review > args.sessions {
        return Err(Failure("--review cannot exceed --sessions".into()));
    }
    if args.batch == 0 {
        return Err(Failure("--batch must be at least 1".into()));
    }
    let store = open_store(settings, Opening::Existing).await?;
    eprintln!("database: {}", verity_store::redact_url(&settings.database_url));
    let sealer = store.sealer().clone();
    let rollups = store.clone();
    let services = services(settings, store);
    let client_id = ClientId::parse(&args.client).map_err(|e| format!("--client {}: {e}", args.client))?;

    let clients = services.platforms().await?;
    let production: Vec<&Client> = clients
        .iter()
        .filter(|c| c.environment != Environment::Sandbox)
        .collect();
    println!("rule: {RULE}.");
    if !production.is_empty() && !args.yes {
        let names: Vec<&str> = production.iter().map(|c| c.id.as_str()).collect();
        return Err(Failure(format!(
            "refusing to fill: this database has production clients ({}); add --yes-fill-this-database if it is a copy made for benchmarking",
            names.join(", ")
        )));
    }
    if !clients.iter().any(|c| c.id == client_id) {
        let key = services
            .create_client(client_id.clone(), "Benchmark", Environment::Sandbox, true)
            .await?;
        println!("created the sandbox client {client_id}");
        super::clients::print_credentials(&client_id, &key, false);
    }

    let users = args.users.unwrap_or_else(|| default_users(args.sessions));
    if users == 0 && args.sessions > 0 {
        return Err(Failure("--users must be at least 1".into()));
    }
    // Numbers continue from the users already there, so a second run's e-mails and company
    // numbers differ from the first's.
    let first_page = PageRequest {
        page: 1,
        per_page: 1,
        direction: SortDirection::Asc,
    };
    let existing = services.store.users(&client_id, first_page).await?.total_items;
    let plan = Plan {
        client: client_id.clone(),
        sessions: args.sessions,
        review: args.review,
        users,
        offset: existing,
        seed: rand::random(),
        now: verity_common::clock::now(),
    };
    println!(
        "filling client {client_id}: {} users, {} sessions ({} in REVIEW), {} per transaction",
        plan.users, plan.sessions, plan.review, args.batch
    );

    let started = Instant::now();
    let mut tally = Tally::default();
    let mut samples = Samples::default();
    let total = plan.sessions.max(plan.users);
    let mut next = 0u64;
    let mut last_report = Instant::now();
    while next < total {
        let end = (next + args.batch).min(total);
        let mut changes = Changeset::new(plan.client.clone());
        let mut to_fingerprint = Vec::new();
        for i in next..end {
            // Users come first in a commit, so a new user and its first session share one.
            if i < plan.users {
                let user = plan.user(i);
                tally.count_user(&user);
                changes.users.push(Write::Insert(user));
            }
            if i < plan.sessions {
                let user = plan.user(i % plan.users);
                let (session, events) = plan.session(i, &user);
                tally.count_session(&session, events.len());
                if session.status == SessionStatus::Review {
                    let number = plan.document_number(i);
                    samples.observe(&user, &session, &number);
                    to_fingerprint.push((user.id.clone(), session.id.clone(), number));
                }
                changes.events.extend(events);
                changes.sessions.push(Write::Insert(session));
            }
        }
        services.store.commit(&changes).await?;
        // The document number the engine would have read, as the search box finds it.
        for (user, session, number) in to_fingerprint {
            let value = sealer.fingerprint(&document_number_term(&number));
            services
                .store
                .record_fingerprints(
                    &plan.client,
                    &user,
                    &session,
                    &[("document_search".to_owned(), value)],
                    plan.now,
                )
                .await?;
            tally.fingerprints += 1;
        }
        next = end;
        if last_report.elapsed().as_secs() >= 5 {
            last_report = Instant::now();
            eprintln!(
                "  {next}/{total} rows ({:.0}/s)",
                next as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    // The events were dated in the past, in hours that may be rolled up already: count again.
    rollups.reset_event_rollups().await?;
    let hours = services.roll_up_events().await?;
    eprintln!("  event counts rolled up over {hours} hours");
    let took = started.elapsed().as_secs_f64();
    tally.print(took);
    samples.print();
    Ok(())
}

/// Users for a number of sessions when `--users` is not given: four in five users have one
/// session, the others retried.
fn default_users(sessions: u64) -> u64 {
    (sessions * 4).div_ceil(5).max(1)
}

/// Everything a row is derived from.
struct Plan {
    client: ClientId,
    sessions: u64,
    review: u64,
    users: u64,
    /// Users already in the client: this run's numbers start after them.
    offset: u64,
    /// This run's identifiers' random part comes from it.
    seed: u64,
    now: i64,
}

/// SplitMix64: a well-mixed number from a row's number.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<'a>(list: &[&'a str], h: u64) -> &'a str {
    list[(h % list.len() as u64) as usize]
}

/// A number in `0..n` from `h`.
fn below(h: u64, n: i64) -> i64 {
    if n <= 0 { 0 } else { (h % n as u64) as i64 }
}

impl Plan {
    fn hash(&self, kind: u64, i: u64) -> u64 {
        mix(mix(i ^ kind.rotate_left(32)) ^ 0x5EED)
    }

    /// A stable random part of an identifier, different in every run.
    fn id_random(&self, kind: u64, i: u64) -> u128 {
        (u128::from(mix(self.seed ^ kind)) << 64) | u128::from(mix(self.seed ^ i ^ (kind << 48)))
    }

    /// Whether session `i` is one of the `review` sessions, spread evenly over the run.
    fn in_review(&self, i: u64) -> bool {
        let (n, m) = (u128::from(self.sessions), u128::from(self.review));
        let i = u128::from(i);
        (i * m) / n != ((i + 1) * m) / n
    }

    fn status(&self, i: u64) -> SessionStatus {
        if self.in_review(i) {
            return SessionStatus::Review;
        }
        match self.hash(1, i) % 100 {
            0..70 => SessionStatus::Validated,
            70..82 => SessionStatus::Refused,
            82..90 => SessionStatus::Pending,
            90..96 => SessionStatus::Expired,
            _ => SessionStatus::OutOfDate,
        }
    }

    /// Users are created evenly over the year before yesterday.
    fn user_created(&self, j: u64) -> i64 {
        self.now - 366 * DAY + (j as i64) * 365 * DAY / (self.users.max(1) as i64)
    }

    fn user(&self, j: u64) -> User {
        let n = self.offset + j;
        let h = self.hash(2, n);
        let created_at = self.user_created(j);
        let first = pick(FIRST_NAMES, h >> 8);
        let last = pick(LAST_NAMES, h >> 20);
        let country = pick(COUNTRIES, h >> 32);
        let city = pick(CITIES, h >> 40);
        let birthday = Some(-631_152_000 + below(h >> 12, 54 * 365 * DAY));
        let address = Some(Address {
            address_line1: Some(format!("{} {}", 1 + (h >> 44) % 180, pick(STREETS, h >> 50))),
            address_line2: None,
            city: Some(city.to_owned()),
            region: None,
            postal_code: Some(format!("{:05}", (h >> 24) % 100_000)),
            country: Some(country.to_owned()),
        });
        let personal_email = format!("{}.{}.{n}@example.com", first.to_lowercase(), last.to_lowercase());
        let person = match h % 100 {
            0..70 => Person::Natural(NaturalData {
                first_name: first.to_owned(),
                last_name: last.to_owned(),
                birthday,
                nationality: Some(country.to_owned()),
                country_of_residence: Some(country.to_owned()),
                occupation: None,
                income_range: None,
                email: personal_email,
                phone_number: Some(format!("6{:08}", (h >> 16) % 100_000_000)),
                phone_number_country: Some(country.to_owned()),
                address,
                proof_of_identity: None,
                proof_of_address: None,
            }),
            kind => {
                let legal_person_type = match kind {
                    70..90 => LegalPersonType::Business,
                    90..95 => LegalPersonType::Organization,
                    _ => LegalPersonType::Soletrader,
                };
                let word = pick(COMPANY_WORDS, h >> 36);
                let trade = pick(COMPANY_TRADES, h >> 46);
                let name = match legal_person_type {
                    LegalPersonType::Soletrader => format!("{first} {last} {trade}"),
                    LegalPersonType::Organization => format!("{word} {trade} Association"),
                    _ => format!("{word} {trade} {}", pick(COMPANY_SUFFIXES, h >> 56)),
                };
                Person::Legal(LegalData {
                    name,
                    legal_person_type,
                    email: format!("contact.{n}@{}-{}.example", word.to_lowercase(), trade.to_lowercase()),
                    company_number: Some(company_number(n)),
                    legal_representative: LegalRepresentative {
                        first_name: first.to_owned(),
                        last_name: last.to_owned(),
                        birthday,
                        nationality: Some(country.to_owned()),
                        country_of_residence: Some(country.to_owned()),
                        email: Some(personal_email),
                        phone_number: None,
                        phone_number_country: None,
                        proof_of_identity: None,
                    },
                    headquarters_address: address.clone(),
                    legal_representative_address: address,
                    proof_of_registration: None,
                    shareholder_declaration: None,
                    statute: None,
                })
            }
        };
        // A user with a validated session is REGULAR.
        let regular = (j..self.sessions)
            .step_by(self.users.max(1) as usize)
            .any(|i| matches!(self.status(i), SessionStatus::Validated | SessionStatus::OutOfDate));
        User {
            id: UserId::generate(created_at as u64 * 1000, self.id_random(2, j)),
            client_id: self.client.clone(),
            tag: h.is_multiple_of(3).then(|| format!("customer-{n}")),
            created_at,
            person,
            kyc_level: if regular { KycLevel::Regular } else { KycLevel::Light },
            category: UserCategory::Owner,
            status: UserStatus::Active,
            terms_accepted: true,
            terms_accepted_at: Some(created_at),
            pending_sca_token: None,
            version: 0,
        }
    }

    /// Session `i` of `user`, with its events.
    fn session(&self, i: u64, user: &User) -> (IdvSession, Vec<Event>) {
        let h = self.hash(3, i);
        let status = self.status(i);
        // The user's k-th session (0 for the first).
        let k = (i / self.users.max(1)) as i64;
        let earliest = user.created_at + 60;
        let latest = self.now - 60;
        let (created_at, updated_at) = match status {
            // Waiting up to 7 days: some within the SLA, some due soon, some late.
            SessionStatus::Review => {
                let updated = (self.now - below(h >> 8, 7 * DAY)).max(earliest + 600).min(latest);
                let created = (updated - 300 - below(h >> 24, 7200)).max(earliest);
                (created, Some(updated))
            }
            // Still open: created in the last 6 days (PENDING lasts 7).
            SessionStatus::Pending => ((self.now - below(h >> 8, 6 * DAY)).max(earliest).min(latest), None),
            _ => {
                let created = (earliest + k * 30 * DAY + below(h >> 8, 30 * DAY)).min(latest - 3 * 3600);
                let decided = match status {
                    SessionStatus::Expired => created + 7 * DAY,
                    SessionStatus::OutOfDate => created + 60 * DAY + below(h >> 24, 90 * DAY),
                    _ => created + 180 + below(h >> 24, 3 * 3600),
                };
                (created, Some(decided.min(latest)))
            }
        };
        let id = SessionId::generate(created_at as u64 * 1000, self.id_random(3, i));
        let decided_at = updated_at.unwrap_or(created_at);
        let mut new_check = || verity_service::new_id("idnchc_");
        let kinds = check_types(user);
        let checks = match status {
            SessionStatus::Pending | SessionStatus::Expired => Vec::new(),
            SessionStatus::Validated | SessionStatus::OutOfDate => {
                Directive::Accept.outcome_of(kinds, user, decided_at, &mut new_check).1
            }
            SessionStatus::Refused => {
                let reason = pick(REFUSALS, h >> 40).to_owned();
                let refuse = Directive::Refuse {
                    reason,
                    check: IDENTITY_DOCUMENT_VERIFICATION.to_owned(),
                };
                refuse.outcome_of(kinds, user, decided_at, &mut new_check).1
            }
            SessionStatus::Review => {
                let mut checks = Directive::Review.outcome_of(kinds, user, decided_at, &mut new_check).1;
                mark_for_review(&mut checks);
                checks
            }
        };
        let session = IdvSession {
            id: id.clone(),
            client_id: self.client.clone(),
            user_id: user.id.clone(),
            tag: h.is_multiple_of(4).then(|| format!("order-{}", self.offset + i)),
            return_url: format!("https://shop.example.com/kyc/return?session={}", self.offset + i),
            hosted_token: verity_common::secrets::random_token(),
            status,
            created_at,
            updated_at,
            checks,
            expires_at: created_at + 7 * DAY,
            scripted: None,
            flow: SessionFlow::Single,
            language: None,
            version: 0,
        };
        let mut happened = vec![(event::IDV_PENDING, created_at)];
        match status {
            SessionStatus::Pending => {}
            SessionStatus::Review => happened.push((event::IDV_INCONCLUSIVE, decided_at)),
            SessionStatus::Validated => happened.push((event::IDV_VALIDATED, decided_at)),
            SessionStatus::Refused => happened.push((event::IDV_FAILED, decided_at)),
            SessionStatus::Expired => happened.push((event::IDV_EXPIRED, decided_at)),
            SessionStatus::OutOfDate => {
                happened.push((event::IDV_VALIDATED, created_at + 180));
                happened.push((event::IDV_OUTDATED, decided_at));
            }
        }
        let events = happened
            .into_iter()
            .map(|(event_type, date)| Event {
                id: verity_service::new_id("evt_"),
                client_id: self.client.clone(),
                event_type,
                resource_id: id.to_string(),
                date,
            })
            .collect();
        (session, events)
    }

    /// The identity document number read in session `i`: two letters and seven digits.
    fn document_number(&self, i: u64) -> String {
        let h = self.hash(4, i);
        let letter = |x: u64| char::from(b'A' + (x % 26) as u8);
        format!("{}{}{:07}", letter(h), letter(h >> 8), (self.offset + i) % 10_000_000)
    }
}

/// Eight digits, as a Companies House number: unique per user number.
fn company_number(n: u64) -> String {
    format!("{:08}", 10_000_000 + n % 90_000_000)
}

/// The engine left the identity document inconclusive: that check waits for a reviewer.
fn mark_for_review(checks: &mut [Check]) {
    let at = checks
        .iter()
        .position(|c| c.kind == IDENTITY_DOCUMENT_VERIFICATION)
        .unwrap_or(0);
    if let Some(c) = checks.get_mut(at) {
        c.status = "REVIEW".into();
        c.reasons.clear();
    }
}

#[derive(Default)]
struct Tally {
    natural: u64,
    legal: u64,
    by_status: std::collections::BTreeMap<&'static str, u64>,
    events: u64,
    fingerprints: u64,
}

impl Tally {
    fn count_user(&mut self, user: &User) {
        match user.person {
            Person::Natural(_) => self.natural += 1,
            Person::Legal(_) => self.legal += 1,
        }
    }

    fn count_session(&mut self, session: &IdvSession, events: usize) {
        *self.by_status.entry(session.status.as_str()).or_default() += 1;
        self.events += events as u64;
    }

    fn print(&self, seconds: f64) {
        let sessions: u64 = self.by_status.values().sum();
        let statuses: Vec<String> = self.by_status.iter().map(|(s, n)| format!("{s} {n}")).collect();
        println!(
            "wrote {} users ({} natural, {} legal), {sessions} sessions ({}), {} events, {} document_search fingerprints",
            self.natural + self.legal,
            self.natural,
            self.legal,
            statuses.join(", "),
            self.events,
            self.fingerprints
        );
        println!(
            "took {seconds:.1} s ({:.0} sessions/s)",
            sessions as f64 / seconds.max(0.001)
        );
    }
}

/// Values that exist, to search for (printed for `bench/console/run.sh`).
#[derive(Default)]
struct Samples {
    name: Option<String>,
    surname: Option<String>,
    company_number: Option<String>,
    email: Option<String>,
    document_number: Option<String>,
    session: Option<String>,
}

impl Samples {
    fn observe(&mut self, user: &User, session: &IdvSession, number: &str) {
        match &user.person {
            Person::Natural(n) => {
                self.name
                    .get_or_insert_with(|| format!("{} {}", n.first_name, n.last_name));
                self.surname.get_or_insert_with(|| n.last_name.clone());
                self.email.get_or_insert_with(|| n.email.clone());
            }
            Person::Legal(l) => {
                if let Some(c) = &l.company_number {
                    self.company_number.get_or_insert_with(|| c.clone());
                }
            }
        }
        self.document_number.get_or_insert_with(|| number.to_owned());
        self.session
            .get_or_insert_with(|| format!("{}/{}", session.client_id, session.id));
    }

    fn print(&self) {
        println!("in REVIEW, to search for:");
        let rows = [
            ("name", &self.name),
            ("surname", &self.surname),
            ("email", &self.email),
            ("company number", &self.company_number),
            ("document number", &self.document_number),
            ("session", &self.session),
        ];
        for (label, value) in rows {
            if let Some(v) = value {
                println!("  sample {label}: {v}");
            }
        }
    }
}

#[rustfmt::skip]
#[cfg(test)]
mod tests {
    use super::*;

    fn plan(sessions: u64, review: u64, users: u64) -> Plan {
        Plan {
            client: ClientId::from_raw("sandbox"),
            sessions,
            review,
            users,
            offset: 0,
            seed: 7,
            now: 1_800_000_000,
        }
    }

    #[test]
    fn exactly_the_review_count_waits_in_review() {
        for (n, m) in [(100_000, 1_000), (20, 10), (7, 7), (10, 0), (3, 1)] {
            let p = plan(n, m, n);
            assert_eq!(
                (0..n).filter(|&i| p.in_review(i)).count() as u64,
                m,
                "{n} sessions, {m} in review"
            );
        }
    }

    #[test]
    fn sessions_follow_their_users_and_pending_ones_have_not_expired() {
        let p = plan(2_000, 100, 1_600);
        for i in 0..2_000 {
            let user = p.user(i % 1_600);
            let (s, events) = p.session(i, &user);
            assert!(s.created_at >= user.created_at, "session {i}");
            assert!(
                s.updated_at.is_none_or(|u| u >= s.created_at && u <= p.now),
                "session {i}"
            );
            assert!(!events.is_empty());
            if s.status == SessionStatus::Pending {
                assert!(s.expires_at > p.now, "session {i}");
            }
            if s.status == SessionStatus::Review {
                assert_eq!(s.checks.iter().filter(|c| c.status == "REVIEW").count(), 1);
            }
        }
        assert_eq!(p.user(5).id, p.user(5).id);
    }
}
