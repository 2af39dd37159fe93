//! The `verity` binary: the server and the operator's commands.

mod config;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use verity_domain::{Client, ClientId, Environment, SessionId, UserId};
use verity_http::{AppState, HttpConfig};
use verity_service::engine::Engine;
use verity_service::lifecycle::Verdict;
use verity_service::webhooks::Deliverer;
use verity_service::{ServiceConfig, Services};
use verity_store::{
    BlobStore, LocalBlobs, MasterKey, PageRequest, S3Blobs, Sealer, SortDirection, SqlStore, Store, StoreError,
};

use crate::config::{Config, Settings};

const ENV_HELP: &str = "\
Configuration (a TOML file given with --config, overridden by environment variables):
  VERITY_LISTEN                  address to listen on [default: 127.0.0.1:8080]
  VERITY_DATABASE_URL            sqlite://PATH or postgres://USER@HOST/DB [default: SQLite in the data dir]
  VERITY_PUBLIC_URL              base URL of every HostedUrl and link [default: http://LISTEN]
  VERITY_DATA_DIR                data folder (SQLite database, documents) [default: ./data]
  VERITY_SESSION_TTL             how long a session may stay PENDING [default: 7d]
  VERITY_TOKEN_TTL               OAuth access token lifetime [default: 1h]
  VERITY_WEBHOOK_RETRY_SCHEDULE  delays between webhook retries [default: 6x10m then 9x8h]
  VERITY_RATE_LIMITS             API rate-limit windows [default: 15m=2300,30m=4500,1h=8800,24h=105600]
  VERITY_LOGIN_MAX_FAILURES      failed token requests before an address is locked [default: 10]
  VERITY_LOGIN_LOCK              how long such a lock lasts [default: 15m]
  VERITY_SANDBOX_DELAY           delay before a Tag-scripted sandbox session completes [default: 3s]
  VERITY_WEBHOOK_TIMEOUT         time a webhook receiver has to answer [default: 2s]
  VERITY_WEBHOOK_INVALID_AFTER   consecutive failed events before a hook may turn INVALID [default: 100]
  VERITY_WEBHOOK_INVALID_AFTER_FAILING_FOR  ...and how long it must have failed without a success [default: 24h]
  VERITY_WEBHOOK_ALLOW_PRIVATE   let production webhooks reach private addresses [default: false]
  VERITY_ADMIN_TOKEN             bearer token of the /admin/v1 API (off when unset; 24+ chars)
  VERITY_BLOB_STORE              where documents go: local (DATA_DIR/blobs) or s3 [default: local]
  VERITY_S3_ENDPOINT, VERITY_S3_BUCKET, VERITY_S3_REGION [us-east-1], VERITY_S3_ACCESS_KEY,
  VERITY_S3_SECRET_KEY, VERITY_S3_PREFIX   the S3-compatible store (path-style requests, SigV4)
  VERITY_MASTER_KEY              32-byte base64 key sealing personal data [default: read from the key file;
                                 set it when several processes share a database]
  VERITY_MASTER_KEY_FILE         file holding the master key, created on first start [default: DATA_DIR/master.key;
                                 keep it outside the data folder in production, so a copy of one is not the other]
  VERITY_HEADER_TIMEOUT          time a client has to send its request headers [default: 10s]
  VERITY_IDLE_TIMEOUT            a connection silent this long is closed [default: 60s]
  VERITY_REQUEST_TIMEOUT         time a request may take, upload included [default: 120s]
  VERITY_MAX_CONNECTIONS         connections held at once; 0 derives it from the open-file limit [default: 0]
  VERITY_COMPANIES_HOUSE_API_KEY UK Companies House API key (GB registry lookups; off when unset)
  VERITY_COMPANIES_HOUSE_URL     its API base [default: https://api.company-information.service.gov.uk]
  VERITY_RECHERCHE_ENTREPRISES_URL  France's company search API, e.g. https://recherche-entreprises.api.gouv.fr
                                 (FR registry lookups; off when unset). Other countries: verity registry import
  VERITY_PROVIDER_FACE_MATCH_URL, VERITY_PROVIDER_DOCUMENT_AUTHENTICITY_URL, VERITY_PROVIDER_LIVENESS_URL
                                 external check providers (contract in docs/providers.md); without a
                                 face-match provider, natural users need manual review (clients set-natural-review)
  VERITY_PROVIDER_TOKEN          bearer token sent to providers
  VERITY_PROVIDER_TIMEOUT        time a provider has to answer [default: 10s]
  VERITY_PROVIDER_RETRIES        retries of a failed provider call [default: 2]
  VERITY_LOG_FORMAT              text or json [default: text]; RUST_LOG sets the level
Durations are written 45s, 10m, 8h or 7d. TOML keys are the same names in lower case
(listen, database_url, ...).";

#[derive(Parser)]
#[command(name = "verity", version, about = "Self-hostable identity verification, wire-compatible with Mangopay's hosted KYC/KYB API.", after_help = ENV_HELP)]
struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: API, hosted pages and background work.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage API clients (platforms).
    #[command(subcommand)]
    Clients(ClientsCommand),
    /// Decide sessions waiting in REVIEW.
    #[command(subcommand)]
    Review(ReviewCommand),
    /// Act on users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Inspect and replay webhook deliveries.
    #[command(subcommand)]
    Webhooks(WebhooksCommand),
    /// Print, as JSON, what the engine reads from document images: MRZ lines, parsed fields,
    /// check digits, quality findings, faces, perceptual hash and timings. Needs no database.
    InspectDocument {
        /// Image files (JPEG, PNG or WebP).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// The local company registry used by KYB checks.
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Explain sessions, redact their personal data, apply retention.
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// Staff accounts of the console (/console).
    #[command(subcommand)]
    Staff(StaffCommand),
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Add a staff member. The password is read from standard input (first line); without one,
    /// a random password is generated and printed once.
    Add {
        #[arg(long)]
        username: String,
        /// Name shown in the console and written on the images they view.
        #[arg(long)]
        name: String,
        /// reviewer (decides sessions), operator or auditor (read-only).
        #[arg(long)]
        role: String,
        /// Require an authenticator code at sign-in; prints the secret and its otpauth URI.
        #[arg(long)]
        totp: bool,
    },
    /// List staff members.
    List,
    /// Disable a staff member and end their console sessions.
    Disable { username: String },
    /// Set a new password (standard input, or generated and printed), unlock the account and end
    /// its sessions.
    ResetPassword { username: String },
}

#[derive(Subcommand)]
enum RegistryCommand {
    /// Import companies from a CSV file with the columns country,number,name,status,officers,owners
    /// (status active or closed; officers and owners are full names separated by `;`).
    /// All rows are checked before any is written.
    Import { file: PathBuf },
    /// Show the record of one company.
    Show { country: String, number: String },
}

#[derive(Subcommand)]
enum SessionsCommand {
    /// Print the engine's evidence for a session: every rule applied, the values compared.
    Evidence { session: String },
    /// Erase a session's personal data and images; its status, checks and audit trail stay.
    Redact {
        #[arg(long)]
        client: String,
        session: String,
        /// Delete the documents and selfie only.
        #[arg(long)]
        files_only: bool,
    },
    /// Redact now every session past its client's retention periods.
    PurgeExpiredData,
}

#[derive(Subcommand)]
enum ReviewCommand {
    /// Validate a session in REVIEW (its checks are kept as they are).
    Approve {
        #[arg(long)]
        client: String,
        session: String,
    },
    /// Refuse a session in REVIEW; the comment becomes the reason's Value.
    Refuse {
        #[arg(long)]
        client: String,
        session: String,
        /// Refusal reason type, e.g. DOCUMENT_NOT_ACCEPTED or BUSINESS_INSIGHTS_MATCH_FAILED.
        #[arg(long)]
        reason: String,
        /// The check refused (default: the first check that can give the reason).
        #[arg(long)]
        check: Option<String>,
        #[arg(long)]
        comment: String,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Downgrade a REGULAR user to LIGHT; its validated sessions become OUT_OF_DATE.
    Downgrade {
        #[arg(long)]
        client: String,
        user: String,
    },
}

#[derive(Subcommand)]
enum WebhooksCommand {
    /// List deliveries, newest first.
    List {
        #[arg(long)]
        client: Option<String>,
        /// pending, delivered, failed or cancelled.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Show the attempts of one delivery.
    Attempts {
        delivery: String,
        #[arg(long)]
        json: bool,
    },
    /// Queue a delivery again for an immediate attempt.
    Replay { delivery: String },
}

#[derive(Clone, Copy, ValueEnum)]
enum EnvArg {
    Sandbox,
    Production,
}

#[derive(Subcommand)]
enum ClientsCommand {
    /// Create a client and print its ClientId and API key (shown only once).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value = "sandbox")]
        environment: EnvArg,
        /// Choose the ClientId instead of deriving one from the name.
        #[arg(long)]
        id: Option<String>,
        /// Leave hosted IDV deactivated (session creation answers 403 until it is activated).
        #[arg(long)]
        idv_disabled: bool,
        /// Print {"ClientId": ..., "ApiKey": ...}.
        #[arg(long)]
        json: bool,
    },
    /// List clients.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Issue a new API key for a client; the old key and its tokens stop working at once.
    RotateKey {
        client_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Activate or deactivate hosted IDV for a client.
    SetIdv {
        client_id: String,
        #[arg(long, action = clap::ArgAction::Set)]
        enabled: bool,
    },
    /// Send natural users' unclear cases to manual review (Verity extension; off by default).
    SetNaturalReview {
        client_id: String,
        #[arg(long, action = clap::ArgAction::Set)]
        enabled: bool,
    },
    /// Brand the client's hosted pages: name, logo, colour, default language, embedding.
    Branding {
        client_id: String,
        /// Name shown to end users (default: the client's name).
        #[arg(long)]
        display_name: Option<String>,
        /// A PNG or SVG logo file (at most 256 KiB).
        #[arg(long, value_name = "FILE")]
        logo: Option<PathBuf>,
        /// Primary colour, #rrggbb.
        #[arg(long)]
        primary_color: Option<String>,
        /// Language used when the browser asks for none Verity has (en, fr, de, es, it, nl, pt, pl, ro, lt).
        #[arg(long)]
        default_language: Option<String>,
        /// Origin allowed to embed the hosted pages in a frame (repeat for several).
        #[arg(long = "frame-ancestor", value_name = "ORIGIN")]
        frame_ancestors: Vec<String>,
    },
    /// Engine policy: minimum age of IDV_AGE_CHECK, and where fraud signals (a document number
    /// used by another user, an image already submitted by another user) go.
    SetPolicy {
        client_id: String,
        #[arg(long)]
        minimum_age: Option<i64>,
        /// review or refuse.
        #[arg(long)]
        fraud: Option<String>,
        /// Days after a decision that documents and selfies are kept (`none`: kept).
        #[arg(long)]
        retention_files_days: Option<String>,
        /// Days after a decision that the session's personal data is kept (`none`: kept).
        #[arg(long)]
        retention_data_days: Option<String>,
    },
    /// Issue (and print) a new secret that signs the client's webhooks (Standard Webhooks).
    WebhookSecret {
        client_id: String,
        /// Stop signing instead.
        #[arg(long)]
        disable: bool,
    },
}

/// An operator-facing failure: printed as `error: ...`, exit status 1.
struct Failure(String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Config::load(cli.config.as_deref()).and_then(|c| c.settings()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&settings);
    // TLS for webhook deliveries uses ring: no C toolchain beyond cc is needed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if settings.json_logs {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn open_store(settings: &Settings) -> Result<SqlStore, Failure> {
    if settings.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&settings.data_dir)
            .map_err(|e| format!("cannot create the data folder {}: {e}", settings.data_dir.display()))?;
    }
    let store = SqlStore::connect(&settings.database_url, Sealer::new(&master_key(settings)?))
        .await
        .map_err(|e| {
            format!(
                "cannot open the database {}: {e}",
                verity_store::redact_url(&settings.database_url)
            )
        })?;
    let applied = store
        .migrate()
        .await
        .map_err(|e| format!("cannot migrate the database: {e}"))?;
    for m in applied {
        tracing::info!(migration = %m, "applied migration");
    }
    Ok(store)
}

/// Where the master key file is: `VERITY_MASTER_KEY_FILE`, else `DATA_DIR/master.key`.
fn master_key_path(settings: &Settings) -> PathBuf {
    settings
        .master_key_file
        .clone()
        .unwrap_or_else(|| settings.data_dir.join("master.key"))
}

/// The master key: from the configuration, else from its file, created (readable by its owner
/// only) on first use.
fn master_key(settings: &Settings) -> Result<MasterKey, Failure> {
    if let Some(text) = &settings.master_key {
        return MasterKey::from_base64(text).map_err(|e| Failure(format!("master_key: {e}")));
    }
    let path = master_key_path(settings);
    match std::fs::read_to_string(&path) {
        Ok(text) => MasterKey::from_base64(&text).map_err(|e| Failure(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(folder)
                    .map_err(|e| format!("cannot create the folder {}: {e}", folder.display()))?;
            }
            let key = MasterKey::generate();
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(&path) {
                Ok(mut f) => {
                    std::io::Write::write_all(&mut f, key.to_base64().as_bytes())
                        .and_then(|_| f.sync_all())
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                    tracing::info!(path = %path.display(), "created a master key");
                    Ok(key)
                }
                // Another process created it meanwhile: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => master_key(settings),
                Err(e) => Err(Failure(format!("cannot create {}: {e}", path.display()))),
            }
        }
        Err(e) => Err(Failure(format!("cannot read {}: {e}", path.display()))),
    }
}

/// Whether the master key file sits inside the data folder, where a copy or a backup of the
/// data would carry the key that opens it.
fn key_beside_data(settings: &Settings) -> bool {
    if settings.master_key.is_some() {
        return false;
    }
    let absolute = |p: &std::path::Path| {
        std::fs::canonicalize(p).unwrap_or_else(|_| std::env::current_dir().unwrap_or_default().join(p))
    };
    absolute(&master_key_path(settings)).starts_with(absolute(&settings.data_dir))
}

/// Raises the open-file limit to its hard maximum and derives how many connections the listener
/// may hold: each takes a descriptor, and the database, blobs and webhooks need some too.
fn connection_limit(configured: u32) -> usize {
    #[cfg(unix)]
    let files = {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
                if limit.rlim_cur < limit.rlim_max {
                    let raised = libc::rlimit {
                        rlim_cur: limit.rlim_max,
                        rlim_max: limit.rlim_max,
                    };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                        limit.rlim_cur = limit.rlim_max;
                    }
                }
                limit.rlim_cur as usize
            } else {
                1024
            }
        }
    };
    #[cfg(not(unix))]
    let files = 1024usize;
    let derived = files.saturating_sub(256).clamp(32, 16_384);
    match configured {
        0 => derived,
        n => (n as usize).min(derived.max(32)),
    }
}

async fn run(command: Command, settings: Settings) -> Result<(), Failure> {
    match command {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            open_store(&settings).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Clients(c) => clients(c, &open_store(&settings).await?).await,
        Command::Review(c) => review(c, services(&settings, open_store(&settings).await?)).await,
        Command::Users(c) => users(c, services(&settings, open_store(&settings).await?)).await,
        Command::Webhooks(c) => webhooks(c, &open_store(&settings).await?).await,
        Command::InspectDocument { files } => inspect_documents(&files),
        Command::Registry(c) => registry(c, &open_store(&settings).await?).await,
        Command::Staff(c) => staff(c, &open_store(&settings).await?).await,
        Command::Sessions(SessionsCommand::Redact {
            client,
            session,
            files_only,
        }) => {
            let blobs = blob_store(&settings)?;
            let services = services(&settings, open_store(&settings).await?);
            let client = ClientId::parse(&client).map_err(|e| format!("{client}: {e}"))?;
            let id = SessionId::from_raw(session.clone());
            if services.store.session(&client, &id).await?.is_none() {
                return Err(Failure(format!("no session {session} for client {client}")));
            }
            let scope = if files_only {
                verity_service::redaction::Scope::Files
            } else {
                verity_service::redaction::Scope::All
            };
            let done = services.redact(blobs.as_ref(), &client, &id, scope).await?;
            println!("{session} redacted ({} files deleted)", done.files);
            Ok(())
        }
        Command::Sessions(SessionsCommand::PurgeExpiredData) => {
            let blobs = blob_store(&settings)?;
            let services = services(&settings, open_store(&settings).await?);
            let n = services.purge_past_retention(blobs.as_ref()).await?;
            println!("{n} sessions redacted");
            Ok(())
        }
        Command::Sessions(SessionsCommand::Evidence { session }) => {
            let store = open_store(&settings).await?;
            let id = SessionId::from_raw(session.clone());
            match store.evidence(&id).await? {
                Some(evidence) => {
                    let value: serde_json::Value = serde_json::from_str(&evidence)?;
                    print_json(&value);
                    Ok(())
                }
                None => Err(Failure(format!("no engine evidence for session {session}"))),
            }
        }
    }
}

fn service_config(settings: &Settings) -> ServiceConfig {
    ServiceConfig {
        session_ttl: settings.session_ttl,
        sandbox_delay: settings.sandbox_delay,
        retry_schedule: settings.webhook_retry_schedule.clone(),
        webhook_timeout: std::time::Duration::from_secs(settings.webhook_timeout as u64),
        invalidation: verity_store::InvalidationRule {
            failed_events: settings.webhook_invalid_after,
            failing_for: settings.webhook_invalid_after_failing_for,
        },
        allow_private_webhooks: settings.webhook_allow_private,
    }
}

/// `verity inspect-document`: one JSON object per file, on one line each; exit 1 if any failed.
fn inspect_documents(files: &[PathBuf]) -> Result<(), Failure> {
    let mut failed = 0;
    for path in files {
        let result = std::fs::read(path)
            .map_err(|e| format!("cannot read: {e}"))
            .and_then(|bytes| {
                let start = std::time::Instant::now();
                let gray = verity_reader::decode(&bytes).map_err(|e| e.to_string())?;
                let reading = verity_reader::read_gray(&gray);
                let faces_start = std::time::Instant::now();
                let faces = verity_reader::face::detect(&gray);
                Ok(serde_json::json!({
                    "file": path.display().to_string(),
                    "mrz": reading.mrz.as_ref().map(|m| serde_json::json!({
                        "lines": m.lines,
                        "format": m.fields.format,
                        "fields": {
                            "document_code": m.fields.document_code,
                            "issuing_state": m.fields.issuing_state,
                            "surname": m.fields.surname,
                            "given_names": m.fields.given_names,
                            "document_number": m.fields.document_number,
                            "nationality": m.fields.nationality,
                            "birth_date": m.fields.birth_date,
                            "sex": m.fields.sex.to_string(),
                            "expiry_date": m.fields.expiry_date,
                            "optional_data": m.fields.optional_data,
                        },
                        "check_digits": m.fields.check_digits.iter().map(|c| serde_json::json!({
                            "field": c.field, "printed": c.printed.to_string(), "computed": c.computed.to_string(), "ok": c.ok(),
                        })).collect::<Vec<_>>(),
                        "valid": m.fields.valid(),
                        "corrections": m.corrections,
                        "mean_score": m.mean_score,
                        "lowest_score": m.lowest_score,
                    })),
                    "quality": reading.quality,
                    "faces": faces,
                    "phash": reading.phash,
                    "timings_ms": {
                        "locate": reading.timings.locate_ms,
                        "read": reading.timings.read_ms,
                        "faces": faces_start.elapsed().as_secs_f64() * 1000.0,
                        "total": start.elapsed().as_secs_f64() * 1000.0,
                    },
                }))
            });
        match result {
            Ok(value) => println!("{value}"),
            Err(e) => {
                failed += 1;
                println!(
                    "{}",
                    serde_json::json!({"file": path.display().to_string(), "error": e})
                );
            }
        }
    }
    if failed > 0 {
        return Err(Failure(format!("{failed} of {} files could not be read", files.len())));
    }
    Ok(())
}

/// A password from standard input's first line, or a generated one (printed by the caller).
fn password_from_stdin() -> Result<(String, bool), Failure> {
    use std::io::IsTerminal;
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin.read_line(&mut line)?;
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if !line.is_empty() {
            if let Some(problem) = verity_http::console::password_problem(&line) {
                return Err(Failure(problem.into()));
            }
            return Ok((line, false));
        }
    }
    Ok((verity_http::random_token(), true))
}

async fn staff(command: StaffCommand, store: &SqlStore) -> Result<(), Failure> {
    use verity_http::console::{Role, hash_password, totp};
    let find = |username: &str| {
        let username = username.to_owned();
        async move {
            store
                .staff_by_username(&username)
                .await?
                .ok_or_else(|| Failure(format!("no staff member {username}")))
        }
    };
    match command {
        StaffCommand::Add {
            username,
            name,
            role,
            totp: with_totp,
        } => {
            let role = Role::parse(&role).ok_or("--role must be reviewer, operator or auditor")?;
            if username.is_empty()
                || username.len() > 64
                || !username
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
            {
                return Err(Failure(
                    "--username takes 1 to 64 letters, digits, '.', '_', '-' or '@'".into(),
                ));
            }
            let (password, generated) = password_from_stdin()?;
            let secret = with_totp.then(totp::new_secret);
            let record = verity_store::StaffRecord {
                id: verity_service::new_id("staff_"),
                username: username.clone(),
                display_name: name,
                role: role.as_str().into(),
                password_hash: hash_password(&password)?,
                totp_secret: secret.clone(),
                failed_logins: 0,
                locked_until: 0,
                disabled: false,
                created_at: verity_http::now(),
            };
            match store.insert_staff(&record).await {
                Err(StoreError::Conflict(_)) => return Err(Failure(format!("the username {username} is taken"))),
                other => other?,
            }
            println!("added {username} ({})", role.as_str());
            if generated {
                println!("password: {password}");
            }
            if let Some(secret) = secret {
                println!("authenticator secret: {secret}");
                println!("{}", totp::uri(&secret, &username));
            }
        }
        StaffCommand::List => {
            for s in store.staff_list().await? {
                println!(
                    "{}\t{}\t{}\t{}{}",
                    s.username,
                    s.role,
                    s.display_name,
                    if s.disabled { "disabled" } else { "active" },
                    if s.totp_secret.is_some() { ", TOTP" } else { "" }
                );
            }
        }
        StaffCommand::Disable { username } => {
            let mut s = find(&username).await?;
            s.disabled = true;
            store.update_staff(&s).await?;
            store.delete_staff_sessions_of(&s.id).await?;
            println!("{username} is disabled and signed out");
        }
        StaffCommand::ResetPassword { username } => {
            let mut s = find(&username).await?;
            let (password, generated) = password_from_stdin()?;
            s.password_hash = hash_password(&password)?;
            s.failed_logins = 0;
            s.locked_until = 0;
            store.update_staff(&s).await?;
            store.delete_staff_sessions_of(&s.id).await?;
            println!("new password set for {username}; their sessions ended");
            if generated {
                println!("password: {password}");
            }
        }
    }
    Ok(())
}

async fn registry(command: RegistryCommand, store: &SqlStore) -> Result<(), Failure> {
    match command {
        RegistryCommand::Import { file } => {
            let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let records = verity_domain::company::parse_registry_csv(&text)
                .map_err(|e| format!("{}: {e}; nothing was imported", file.display()))?;
            let written = store.import_registry(&records, verity_http::now()).await?;
            println!("imported {written} companies from {}", file.display());
        }
        RegistryCommand::Show { country, number } => {
            let country = country.to_uppercase();
            let number = verity_domain::company::normalise_company_number(&country, &number)?;
            match store.registry_record(&country, &number).await? {
                Some(r) => print_json(&r),
                None => return Err(Failure(format!("no company {country} {number} in the local registry"))),
            }
        }
    }
    Ok(())
}

fn services(settings: &Settings, store: SqlStore) -> Services {
    Services::new(Arc::new(store), service_config(settings))
}

fn print_json(value: &impl serde::Serialize) {
    println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}

async fn client_of(store: &dyn Store, raw: &str) -> Result<Client, Failure> {
    let id = ClientId::parse(raw).map_err(|e| format!("{raw}: {e}"))?;
    Ok(store
        .client(&id)
        .await?
        .ok_or_else(|| format!("no client with id {id}"))?
        .client)
}

async fn review(command: ReviewCommand, services: Services) -> Result<(), Failure> {
    let (client, session, verdict) = match command {
        ReviewCommand::Approve { client, session } => (client, session, Verdict::Approve),
        ReviewCommand::Refuse {
            client,
            session,
            reason,
            check,
            comment,
        } => (client, session, Verdict::Refuse { reason, check, comment }),
    };
    let client = client_of(services.store.as_ref(), &client).await?;
    let decided = services
        .review(&client.id, &SessionId::from_raw(session), verdict)
        .await
        .map_err(|e| Failure(e.to_string()))?;
    println!("session {} is now {}", decided.id, decided.status.as_str());
    Ok(())
}

async fn users(command: UsersCommand, services: Services) -> Result<(), Failure> {
    match command {
        UsersCommand::Downgrade { client, user } => {
            let client = client_of(services.store.as_ref(), &client).await?;
            let user = services
                .downgrade_user(&client, &UserId::from_raw(user))
                .await
                .map_err(|e| Failure(e.to_string()))?;
            println!("user {} is now KYC {}", user.id, user.kyc_level.as_str());
        }
    }
    Ok(())
}

async fn webhooks(command: WebhooksCommand, store: &SqlStore) -> Result<(), Failure> {
    match command {
        WebhooksCommand::List {
            client,
            state,
            limit,
            json,
        } => {
            let client = client.map(ClientId::from_raw);
            let page = PageRequest {
                page: 1,
                per_page: limit.clamp(1, 1000),
                direction: SortDirection::Desc,
            };
            let found = store.deliveries(client.as_ref(), state.as_deref(), page).await?;
            if json {
                let rows: Vec<_> = found.items.iter().map(|d| serde_json::json!({
                    "Id": d.id, "ClientId": d.client_id.as_str(), "HookId": d.hook_id, "EventType": d.event_type,
                    "ResourceId": d.resource_id, "State": d.state, "Attempts": d.attempts,
                    "NextAttemptDate": d.next_attempt_at, "CreationDate": d.created_at,
                })).collect();
                print_json(&rows);
            } else {
                for d in found.items {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\tattempts={}",
                        d.id, d.client_id, d.event_type, d.resource_id, d.state, d.attempts
                    );
                }
            }
        }
        WebhooksCommand::Attempts { delivery, json } => {
            let attempts = store.attempts(&delivery).await?;
            if json {
                let rows: Vec<_> = attempts
                    .iter()
                    .map(|a| {
                        serde_json::json!({
                            "Attempt": a.attempt, "Date": a.started_at, "DurationMs": a.duration_ms,
                            "StatusCode": a.http_status, "Error": a.error,
                        })
                    })
                    .collect();
                print_json(&rows);
            } else {
                for a in attempts {
                    let outcome = a
                        .error
                        .unwrap_or_else(|| format!("HTTP {}", a.http_status.unwrap_or(0)));
                    println!("#{}\t{}\t{} ms\t{}", a.attempt, a.started_at, a.duration_ms, outcome);
                }
            }
        }
        WebhooksCommand::Replay { delivery } => {
            if !store.replay_delivery(&delivery, verity_http::now()).await? {
                return Err(Failure(format!("no delivery with id {delivery}")));
            }
            println!("delivery {delivery} queued for an immediate attempt");
        }
    }
    Ok(())
}

fn client_id_from_name(name: &str) -> Result<ClientId, Failure> {
    let mut slug: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while slug.contains("--") {
        slug = slug.replace("--", "-");
    }
    let slug = slug.trim_matches('-');
    let slug = if slug.is_empty() {
        "client"
    } else {
        &slug[..slug.len().min(40)]
    };
    let suffix: String = (0..6).map(|_| (b'a' + rand::random::<u8>() % 26) as char).collect();
    Ok(ClientId::parse(&format!("{}-{suffix}", slug.trim_end_matches('-')))?)
}

async fn create_client(
    store: &SqlStore,
    id: ClientId,
    name: &str,
    environment: Environment,
    idv_enabled: bool,
) -> Result<String, StoreError> {
    let key = verity_http::new_api_key();
    let client = Client {
        id,
        name: name.to_owned(),
        environment,
        idv_enabled,
        natural_review: false,
        created_at: verity_http::now(),
        branding: Default::default(),
    };
    store.insert_client(&client, &verity_http::sha256_hex(&key)).await?;
    Ok(key)
}

fn print_credentials(id: &ClientId, key: &str, json: bool) {
    if json {
        println!("{}", serde_json::json!({"ClientId": id.as_str(), "ApiKey": key}));
    } else {
        println!(
            "ClientId: {id}\nApiKey:   {key}\n(the API key is shown only once; `verity clients rotate-key` issues a new one)"
        );
    }
}

async fn clients(command: ClientsCommand, store: &SqlStore) -> Result<(), Failure> {
    match command {
        ClientsCommand::Create {
            name,
            environment,
            id,
            idv_disabled,
            json,
        } => {
            let id = match id {
                Some(raw) => ClientId::parse(&raw).map_err(|e| format!("--id {raw}: {e}"))?,
                None => client_id_from_name(&name)?,
            };
            let environment = match environment {
                EnvArg::Sandbox => Environment::Sandbox,
                EnvArg::Production => Environment::Production,
            };
            let key = match create_client(store, id.clone(), &name, environment, !idv_disabled).await {
                Err(StoreError::Conflict(_)) => {
                    return Err(Failure(format!("a client with id {id} already exists")));
                }
                other => other?,
            };
            print_credentials(&id, &key, json);
        }
        ClientsCommand::List { json } => {
            let all = store.clients().await?;
            if json {
                let rows: Vec<_> = all
                    .iter()
                    .map(|c| serde_json::json!({"ClientId": c.id.as_str(), "Name": c.name, "Environment": c.environment.as_str(), "IdvEnabled": c.idv_enabled, "CreationDate": c.created_at}))
                    .collect();
                println!("{}", serde_json::Value::Array(rows));
            } else {
                for c in all {
                    let idv = if c.idv_enabled { "idv on" } else { "idv off" };
                    println!("{}\t{}\t{}\t{}", c.id, c.environment.as_str(), idv, c.name);
                }
            }
        }
        ClientsCommand::RotateKey { client_id, json } => {
            let id = ClientId::parse(&client_id).map_err(|e| format!("{client_id}: {e}"))?;
            let key = verity_http::new_api_key();
            if !store.rotate_api_key(&id, &verity_http::sha256_hex(&key)).await? {
                return Err(Failure(format!("no client with id {id}")));
            }
            print_credentials(&id, &key, json);
        }
        ClientsCommand::SetIdv { client_id, enabled } => {
            let id = ClientId::parse(&client_id).map_err(|e| format!("{client_id}: {e}"))?;
            if !store.set_idv_enabled(&id, enabled).await? {
                return Err(Failure(format!("no client with id {id}")));
            }
            println!(
                "hosted IDV {} for {id}",
                if enabled { "activated" } else { "deactivated" }
            );
        }
        ClientsCommand::SetPolicy {
            client_id,
            minimum_age,
            fraud,
            retention_files_days,
            retention_data_days,
        } => {
            let id = ClientId::parse(&client_id).map_err(|e| format!("{client_id}: {e}"))?;
            if store.client(&id).await?.is_none() {
                return Err(Failure(format!("no client with id {id}")));
            }
            let mut policy = store.client_policy(&id).await?;
            if let Some(age) = minimum_age {
                if !(16..=25).contains(&age) {
                    return Err(Failure("--minimum-age must be between 16 and 25".into()));
                }
                policy.minimum_age = age;
            }
            if let Some(fraud) = fraud {
                if !matches!(fraud.as_str(), "review" | "refuse") {
                    return Err(Failure("--fraud must be review or refuse".into()));
                }
                policy.fraud_routing = fraud;
            }
            let days = |raw: &str, name: &str| -> Result<Option<i64>, Failure> {
                match raw {
                    "none" => Ok(None),
                    n => match n.parse::<i64>() {
                        Ok(d) if d >= 0 => Ok(Some(d)),
                        _ => Err(Failure(format!("--{name} takes a number of days or none"))),
                    },
                }
            };
            if let Some(raw) = retention_files_days {
                policy.retention_files_days = days(&raw, "retention-files-days")?;
            }
            if let Some(raw) = retention_data_days {
                policy.retention_data_days = days(&raw, "retention-data-days")?;
            }
            store.set_client_policy(&id, &policy).await?;
            let shown = |d: Option<i64>| d.map_or("kept".to_owned(), |d| format!("{d} days"));
            println!(
                "{id}: minimum age {}, fraud signals go to {}, files {}, data {}",
                policy.minimum_age,
                policy.fraud_routing,
                shown(policy.retention_files_days),
                shown(policy.retention_data_days)
            );
        }
        ClientsCommand::SetNaturalReview { client_id, enabled } => {
            let id = ClientId::parse(&client_id).map_err(|e| format!("{client_id}: {e}"))?;
            if !store.set_natural_review(&id, enabled).await? {
                return Err(Failure(format!("no client with id {id}")));
            }
            println!(
                "manual review of natural users {} for {id}",
                if enabled { "on" } else { "off" }
            );
        }
        ClientsCommand::Branding {
            client_id,
            display_name,
            logo,
            primary_color,
            default_language,
            frame_ancestors,
        } => {
            let mut client = client_of(store, &client_id).await?;
            let b = &mut client.branding;
            if let Some(name) = display_name {
                b.display_name = Some(name).filter(|n| !n.trim().is_empty());
            }
            if let Some(path) = logo {
                let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                if bytes.len() > 256 * 1024 {
                    return Err(Failure(format!("{} is larger than 256 KiB", path.display())));
                }
                let kind = if bytes.starts_with(b"\x89PNG") {
                    "image/png"
                } else if String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).contains("<svg") {
                    "image/svg+xml"
                } else {
                    return Err(Failure(format!("{} is neither a PNG nor an SVG file", path.display())));
                };
                use base64::Engine;
                b.logo = Some(format!(
                    "data:{kind};base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(bytes)
                ));
            }
            if let Some(colour) = primary_color {
                let ok =
                    colour.len() == 7 && colour.starts_with('#') && colour[1..].bytes().all(|c| c.is_ascii_hexdigit());
                if !ok {
                    return Err(Failure(format!("--primary-color {colour}: use #rrggbb")));
                }
                b.primary_color = Some(colour);
            }
            if let Some(lang) = default_language {
                if !verity_http::hosted::i18n::supported(&lang) {
                    return Err(Failure(format!(
                        "--default-language {lang}: use one of en, fr, de, es, it, nl, pt, pl, ro, lt"
                    )));
                }
                b.default_language = Some(lang);
            }
            if !frame_ancestors.is_empty() {
                for origin in &frame_ancestors {
                    let ok = url::Url::parse(origin)
                        .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.path() == "/")
                        && !origin.contains([';', ' ', '\'']);
                    if !ok {
                        return Err(Failure(format!(
                            "--frame-ancestor {origin}: use an origin such as https://app.example.com"
                        )));
                    }
                }
                b.frame_ancestors = frame_ancestors
                    .iter()
                    .map(|o| o.trim_end_matches('/').to_owned())
                    .collect();
            }
            store.set_branding(&client.id, &client.branding).await?;
            println!("branding of {} saved", client.id);
        }
        ClientsCommand::WebhookSecret { client_id, disable } => {
            let id = ClientId::parse(&client_id).map_err(|e| format!("{client_id}: {e}"))?;
            let secret = (!disable).then(verity_service::webhooks::new_secret);
            if !store.set_webhook_secret(&id, secret.as_deref()).await? {
                return Err(Failure(format!("no client with id {id}")));
            }
            match secret {
                Some(s) => println!("{s}"),
                None => println!("webhooks of {id} are no longer signed"),
            }
        }
    }
    Ok(())
}

async fn serve(settings: Settings) -> Result<(), Failure> {
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
    let address = listener.local_addr()?;
    let store = open_store(&settings).await?;
    if store.clients().await?.is_empty() {
        let id = ClientId::parse("sandbox")?;
        match create_client(&store, id.clone(), "Sandbox", Environment::Sandbox, true).await {
            Ok(key) => {
                println!("First start: created a sandbox client.");
                print_credentials(&id, &key, false);
            }
            // Another process starting on the same database created it first.
            Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let production = store
        .clients()
        .await?
        .iter()
        .any(|c| c.environment == Environment::Production);
    if production && key_beside_data(&settings) {
        tracing::warn!(
            key = %master_key_path(&settings).display(),
            data = %settings.data_dir.display(),
            "the master key file is inside the data folder: a copy or backup of the data carries the key that opens it; \
             move it elsewhere and set VERITY_MASTER_KEY_FILE (or VERITY_MASTER_KEY)"
        );
    }
    let public_url = settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{address}"));
    let config = HttpConfig {
        public_url: public_url.clone(),
        token_ttl: settings.token_ttl,
        rate_limits: settings.rate_limits.clone(),
        login_max_failures: settings.login_max_failures,
        login_lock_seconds: settings.login_lock,
        admin_token: settings.admin_token.clone(),
        face_match_configured: settings.providers.iter().any(|(check, _)| check == "face_match"),
    };
    let sealer = store.sealer().clone();
    let blobs = blob_store(&settings)?;
    let services = services(&settings, store);
    let deliverer =
        Arc::new(Deliverer::new(services.clone()).map_err(|e| format!("cannot build the webhook client: {e}"))?);
    // Background work stops taking new work on SIGTERM, finishes what it holds, and is waited for.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut workers = tokio::task::JoinSet::new();
    workers.spawn(deliverer.run(stopping.clone()));
    workers.spawn(sweep_sessions(services.clone(), stopping.clone()));
    workers.spawn(housekeeping(services.clone(), blobs.clone(), stopping.clone()));
    let engine = Arc::new(engine(&settings, services.clone(), blobs.clone(), sealer.clone())?);
    workers.spawn(engine.clone().run(stopping));
    let state = AppState::new(services, blobs, sealer, config);
    let limits = verity_http::ListenerLimits {
        header_timeout: std::time::Duration::from_secs(settings.header_timeout as u64),
        idle_timeout: std::time::Duration::from_secs(settings.idle_timeout as u64),
        request_timeout: std::time::Duration::from_secs(settings.request_timeout as u64),
        max_connections: connection_limit(settings.max_connections),
    };
    tracing::info!(%address, %public_url, session_ttl = settings.session_ttl, max_connections = limits.max_connections, "server starting");
    // Scripts and tests wait for this line; it is printed once the port accepts connections.
    println!("Verity listening on http://{address}");
    let signal = async move {
        shutdown_signal().await;
        tracing::info!("shutting down: no new work is taken; finishing what is in flight");
        let _ = stop.send(true);
    };
    verity_http::serve(listener, state, limits, signal).await?;
    let drained = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while workers.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        // Leases make it safe: whatever was held is taken up again by the next process.
        tracing::warn!("background work still running after 30 s was abandoned; it resumes when the leases lapse");
    }
    tracing::info!("server stopped");
    Ok(())
}

/// The verification engine with the registries and providers the configuration names.
fn engine(
    settings: &Settings,
    services: Services,
    blobs: Arc<dyn BlobStore>,
    sealer: Sealer,
) -> Result<Engine, Failure> {
    let timeout = std::time::Duration::from_secs(5);
    let mut registries: Vec<Arc<dyn verity_service::registry::Registry>> = Vec::new();
    if let Some(key) = &settings.companies_house_api_key {
        registries.push(Arc::new(
            verity_service::registry::CompaniesHouse::with_base_url(
                &settings.companies_house_url,
                key.clone(),
                timeout,
            )
            .map_err(|e| format!("Companies House client: {e}"))?,
        ));
    }
    if let Some(url) = &settings.recherche_entreprises_url {
        registries.push(Arc::new(
            verity_service::registry::RechercheEntreprises::with_base_url(url, timeout)
                .map_err(|e| format!("company search client: {e}"))?,
        ));
    }
    let providers = verity_service::providers::Providers::new(verity_service::providers::ProviderConfig {
        endpoints: settings.providers.clone(),
        token: settings.provider_token.clone(),
        timeout: std::time::Duration::from_secs(settings.provider_timeout as u64),
        retries: settings.provider_retries,
    })
    .map_err(|e| format!("check provider client: {e}"))?;
    Ok(Engine::new(
        services,
        blobs,
        sealer,
        verity_service::registry::Registries::new(registries),
        providers,
    ))
}

/// Applies due sandbox outcomes and expires sessions left PENDING, every second.
async fn sweep_sessions(services: Services, mut stop: verity_service::StopSignal) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = verity_service::stopped(&mut stop) => return,
        }
        if let Err(e) = services.sweep_due_sessions().await {
            tracing::warn!(error = %e, "session sweep failed");
        }
    }
}

/// Purges expired access tokens and idempotency responses every ten minutes.
/// The configured blob store.
fn blob_store(settings: &Settings) -> Result<Arc<dyn BlobStore>, Failure> {
    Ok(match &settings.s3 {
        Some(s3) => Arc::new(S3Blobs::new(s3.clone()).map_err(|e| format!("S3 blob store: {e}"))?),
        None => {
            let dir = settings.data_dir.join("blobs");
            Arc::new(
                LocalBlobs::new(&dir).map_err(|e| format!("cannot create the blob folder {}: {e}", dir.display()))?,
            )
        }
    })
}

async fn housekeeping(services: Services, blobs: Arc<dyn BlobStore>, mut stop: verity_service::StopSignal) {
    let store = services.store.clone();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = verity_service::stopped(&mut stop) => return,
        }
        match services.purge_past_retention(blobs.as_ref()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "redacted sessions past their retention period"),
            Err(e) => tracing::warn!(error = %e, "retention purge failed"),
        }
        let now = verity_http::now();
        if let Err(e) = store.purge_expired_tokens(now).await {
            tracing::warn!(error = %e, "token purge failed");
        }
        if let Err(e) = store
            .purge_stored_responses(now - verity_http::idempotency::KEY_LIFETIME_SECONDS)
            .await
        {
            tracing::warn!(error = %e, "idempotency purge failed");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
