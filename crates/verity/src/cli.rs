//! The command line: the clap `Cli`, its subcommands and the configuration help text.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

const ENV_HELP: &str = "\
Configuration (a TOML file given with --config, overridden by environment variables):
  VERITY_LISTEN                  address to listen on [default: 127.0.0.1:8080]
  VERITY_DATABASE_URL            sqlite://PATH or postgres://USER@HOST/DB [default: SQLite in the data dir]
  VERITY_PUBLIC_URL              base URL of every HostedUrl and link [default: http://LISTEN]
  VERITY_DATA_DIR                data folder (SQLite database, documents) [default: ./data]
  VERITY_SESSION_TTL             how long a session may stay PENDING [default: 7d]
  VERITY_PSC_SESSION_TTL         how long a PSC's own session may stay PENDING [default: 7d]
  VERITY_PSC_LIVENESS_TTL        ...and once its liveness step started [default: 1h]
  VERITY_SMTP_URL                SMTP server of e-mails to end users (PSC links): smtps://USER:PASSWORD@HOST,
                                 smtp://HOST:587?tls=required (STARTTLS) or smtp://HOST:PORT [default: no e-mail]
  VERITY_MAIL_FROM               their sender, e.g. \"Verity <no-reply@example.com>\" (required with VERITY_SMTP_URL)
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
  VERITY_ENGINE                  run the check engine in this process [default: true]
  VERITY_ADMIN_TOKEN             bearer token of the /admin/v1 API (off when unset; 24+ chars)
  VERITY_BLOB_STORE              where documents go: local (DATA_DIR/blobs) or s3 [default: local]
  VERITY_S3_ENDPOINT, VERITY_S3_BUCKET, VERITY_S3_REGION [us-east-1], VERITY_S3_ACCESS_KEY,
  VERITY_S3_SECRET_KEY, VERITY_S3_PREFIX   the S3-compatible store (path-style requests, SigV4)
  VERITY_MASTER_KEY              32-byte base64 key sealing personal data [default: read from the key file;
                                 set it when several processes share a database]
  VERITY_MASTER_KEY_FILE         file holding the master key, created on first start [default: DATA_DIR/master.key;
                                 keep it outside the data folder in production, so a copy of one is not the other]
  VERITY_HEADER_TIMEOUT          time a client has to send its request headers [default: 30s]
  VERITY_IDLE_TIMEOUT            a connection silent this long is closed [default: 60s]
  VERITY_REQUEST_TIMEOUT         time a request may take, upload included [default: 120s]
  VERITY_MAX_CONNECTIONS         connections held at once; 0 derives it from the open-file limit [default: 0]
  VERITY_COMPANIES_HOUSE_API_KEY UK Companies House API key (GB registry lookups; off when unset)
  VERITY_COMPANIES_HOUSE_URL     its API base [default: https://api.company-information.service.gov.uk]
  VERITY_RECHERCHE_ENTREPRISES_URL  France's company search API, e.g. https://recherche-entreprises.api.gouv.fr
                                 (FR registry lookups; off when unset). Other countries: verity registry import
  VERITY_PROVIDER_FACE_MATCH_URL, VERITY_PROVIDER_DOCUMENT_AUTHENTICITY_URL, VERITY_PROVIDER_LIVENESS_URL
                                 external check providers (contract in docs/providers.md); a face-match
                                 provider replaces the built-in face matcher
  VERITY_PROVIDER_TOKEN          bearer token sent to providers
  VERITY_PROVIDER_TIMEOUT        time a provider has to answer [default: 10s]
  VERITY_PROVIDER_RETRIES        retries of a failed provider call [default: 2]
  VERITY_LOG_FORMAT              text or json [default: text]; RUST_LOG sets the level
Durations are written 45s, 10m, 8h or 7d. TOML keys are the same names in lower case
(listen, database_url, ...).";

#[derive(Parser)]
#[command(name = "verity", version, about = "Self-hostable identity verification, wire-compatible with Mangopay's hosted KYC/KYB API.", after_help = ENV_HELP)]
pub(crate) struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Run the server: API, hosted pages and background work.
    Serve {
        /// Address and port to listen on (overrides VERITY_LISTEN), e.g. 0.0.0.0:8080.
        #[arg(long, value_name = "ADDRESS:PORT")]
        listen: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Copy the database (SQLite: an online, consistent snapshot) and the blob folder into a new
    /// folder, while Verity runs. The master key is not copied: keep it apart.
    Backup {
        /// A folder that does not exist yet.
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Put a backup made by `verity backup` into an empty data folder (VERITY_DATA_DIR); the
    /// master key that sealed it must be configured.
    Restore {
        #[arg(long)]
        from: std::path::PathBuf,
    },
    /// Rotate the master key, or see where a rotation stands.
    #[command(subcommand)]
    Keys(KeysCommand),
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
    /// Print, as JSON, how the built-in face matcher compares a document's portrait with one or
    /// more selfies, exactly as the engine decides: the faces found in each image (box,
    /// landmarks, size, sharpness, turn), each distance, the thresholds and the outcome (`pass`,
    /// `fail`, or `inconclusive` with its reason). Needs no database.
    CompareFaces {
        /// The document photo (its largest face is the portrait).
        document: PathBuf,
        /// One or more selfies.
        #[arg(required = true)]
        selfies: Vec<PathBuf>,
    },
    /// Write sample documents to try the hosted flow with: a passport that the production
    /// engine validates for the user you give (its holder is a real, public-domain portrait), a
    /// selfie of the same person, and the sandbox's SPECIMEN identity card (front and back).
    /// Needs no database.
    SampleDocuments {
        /// Folder to write them to (created if missing).
        #[arg(long, default_value = "sample-documents")]
        out: PathBuf,
        #[arg(long, default_value = "Alex")]
        first_name: String,
        #[arg(long, default_value = "Smith")]
        last_name: String,
        /// YYYY-MM-DD, as the user's Birthday.
        #[arg(long, default_value = "1985-07-31")]
        birth_date: String,
        /// Issuing state and nationality, ICAO code (GBR, FRA, DEU, ...).
        #[arg(long, default_value = "GBR")]
        state: String,
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
    /// Benchmarking tool: write made-up users and IDV sessions, sealed and indexed as production
    /// writes them (bench/console/run.sh measures the console on them). Runs only on a database
    /// whose clients are all sandbox clients, unless --yes-fill-this-database is given.
    Fill {
        /// Sessions to write.
        #[arg(long)]
        sessions: u64,
        /// How many of them wait in REVIEW (spread evenly; the rest are VALIDATED, REFUSED,
        /// PENDING, EXPIRED or OUT_OF_DATE).
        #[arg(long, default_value_t = 0)]
        review: u64,
        /// Users to spread the sessions over [default: four in five sessions have their own user].
        #[arg(long)]
        users: Option<u64>,
        /// The client to fill (created as a sandbox client if missing).
        #[arg(long, default_value = "sandbox")]
        client: String,
        /// Users and sessions written per transaction.
        #[arg(long, default_value_t = 500)]
        batch: u64,
        /// Fill even though the database has production clients.
        #[arg(long)]
        yes_fill_this_database: bool,
    },
    /// Benchmarking tool: times the fraud-fingerprint lookup and the retention scan N times on a
    /// sandbox-only database and prints the milliseconds as JSON (bench/scale/run.sh).
    Probe {
        /// Times each query is run.
        #[arg(long, default_value_t = 200)]
        n: u32,
        /// JSON file: {"client", "review_sessions": [ids], "probe": [user id, session id]}.
        #[arg(long)]
        samples: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
pub(crate) enum StaffCommand {
    /// Add a staff member. The password is read from standard input (first line); without one,
    /// a random password is generated and printed once.
    Add {
        #[arg(long)]
        username: String,
        /// Name shown in the console and written on the images they view.
        #[arg(long)]
        name: String,
        /// reviewer (decides sessions), lead (decides and assigns), operator or auditor (read-only).
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
pub(crate) enum RegistryCommand {
    /// Import companies from a CSV file with the columns country,number,name,status,officers,owners
    /// (status active or closed; officers and owners are full names separated by `;`).
    /// All rows are checked before any is written.
    Import { file: PathBuf },
    /// Show the record of one company.
    Show { country: String, number: String },
}

#[derive(Subcommand)]
pub(crate) enum SessionsCommand {
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
    /// List the Persons of Significant Control a session declared, with their links.
    Pscs {
        #[arg(long)]
        client: String,
        session: String,
    },
    /// Set a PSC aside (a duplicate, a person who left): ABANDONED, no longer required.
    AbandonPsc {
        #[arg(long)]
        client: String,
        psc: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum ReviewCommand {
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
    /// List the KYC documents and UBO declarations waiting for a reviewer.
    Documents {
        #[arg(long)]
        client: Option<String>,
    },
    /// Decide a KYC document waiting for a reviewer: validate, or refuse with a reason type
    /// (DOCUMENT_UNREADABLE, DOCUMENT_NOT_ACCEPTED, ...) and a message the platform sees.
    Document {
        #[arg(long)]
        client: String,
        document: String,
        /// validate or refuse.
        #[arg(long)]
        outcome: String,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        message: Option<String>,
    },
    /// Decide a UBO declaration waiting for a reviewer: validate, refuse, or send back as
    /// incomplete, with a reason (MISSING_UBO, WRONG_UBO_INFORMATION, ...) and a message.
    Declaration {
        #[arg(long)]
        client: String,
        declaration: String,
        /// validate, refuse or incomplete.
        #[arg(long)]
        outcome: String,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        message: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum KeysCommand {
    /// Re-seal everything under a new master key while Verity runs; resumes an interrupted
    /// rotation. With a key file, the file is replaced by the new key at the end; with
    /// VERITY_MASTER_KEY, the new key is written to --new-key-file for you to configure.
    Rotate {
        /// Where the new key is written first (default: the key file's name with `.next`).
        #[arg(long, value_name = "FILE")]
        new_key_file: Option<std::path::PathBuf>,
        /// Values re-sealed per transaction.
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        batch: u32,
    },
    /// The master key's id, any rotation in progress, the running processes' keyrings and how
    /// many values are sealed under another key.
    Status,
}

#[derive(Subcommand)]
pub(crate) enum UsersCommand {
    /// Downgrade a REGULAR user to LIGHT; its validated sessions become OUT_OF_DATE.
    Downgrade {
        #[arg(long)]
        client: String,
        user: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum WebhooksCommand {
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
pub(crate) enum EnvArg {
    Sandbox,
    Production,
}

#[derive(Subcommand)]
pub(crate) enum ClientsCommand {
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
        /// Language used when the browser asks for none Verity has (en, fr, de, es, it, nl, pt, pl, ro, lt, zh).
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
        /// required or optional: whether natural users' selfies must pass the camera's active
        /// liveness check (without it, the session goes to review or is refused).
        #[arg(long)]
        liveness: Option<String>,
        /// on or off: whether Business and Organization users go through the PSC flow (every
        /// legal representative and owner verified in a session of their own).
        #[arg(long)]
        psc_flow: Option<String>,
        /// on or off: whether Verity e-mails each PSC their link and a reminder (needs
        /// VERITY_SMTP_URL), or the platform sends the links itself.
        #[arg(long)]
        psc_emails: Option<String>,
    },
    /// Lift the lock on a client's token requests (set after repeated failures, for 15 minutes
    /// by default), from every address or from one.
    Unlock {
        client_id: String,
        /// Only the lock on this address (as logged when the lock was set).
        #[arg(long)]
        address: Option<String>,
    },
    /// Issue (and print) a new secret that signs the client's webhooks (Standard Webhooks).
    WebhookSecret {
        client_id: String,
        /// Stop signing instead.
        #[arg(long)]
        disable: bool,
    },
}
