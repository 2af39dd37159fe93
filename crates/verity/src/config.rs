//! Configuration: built-in defaults, then a TOML file (`--config`), then `VERITY_*` environment
//! variables, the environment winning.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use verity_http::Window;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on (`VERITY_LISTEN`).
    #[serde(deserialize_with = "lenient_string")]
    pub listen: String,
    /// `sqlite://PATH` or `postgres://...` (`VERITY_DATABASE_URL`); default: SQLite in the data dir.
    #[serde(default, deserialize_with = "lenient_option")]
    pub database_url: Option<String>,
    /// Base of every `HostedUrl` and link (`VERITY_PUBLIC_URL`); default: `http://` + listen address.
    #[serde(default, deserialize_with = "lenient_option")]
    pub public_url: Option<String>,
    /// Where the SQLite database and blobs live (`VERITY_DATA_DIR`).
    pub data_dir: PathBuf,
    /// How long a session may stay PENDING before it expires (`VERITY_SESSION_TTL`), e.g. `7d`.
    #[serde(deserialize_with = "lenient_string")]
    pub session_ttl: String,
    /// How long a PSC's own session may stay PENDING (`VERITY_PSC_SESSION_TTL`), e.g. `7d`.
    #[serde(deserialize_with = "lenient_string")]
    pub psc_session_ttl: String,
    /// How long a PSC's session lasts once its liveness step started (`VERITY_PSC_LIVENESS_TTL`).
    #[serde(deserialize_with = "lenient_string")]
    pub psc_liveness_ttl: String,
    /// Lifetime of OAuth access tokens (`VERITY_TOKEN_TTL`), e.g. `1h`.
    #[serde(deserialize_with = "lenient_string")]
    pub token_ttl: String,
    /// Webhook retry delays after a failed delivery (`VERITY_WEBHOOK_RETRY_SCHEDULE`),
    /// comma-separated durations.
    #[serde(deserialize_with = "lenient_string")]
    pub webhook_retry_schedule: String,
    /// API rate-limit windows (`VERITY_RATE_LIMITS`), e.g. `15m=2300,30m=4500,1h=8800,24h=105600`.
    #[serde(deserialize_with = "lenient_string")]
    pub rate_limits: String,
    /// Failed token requests from one address before it is locked (`VERITY_LOGIN_MAX_FAILURES`).
    pub login_max_failures: u32,
    /// How long such a lock lasts (`VERITY_LOGIN_LOCK`), e.g. `15m`.
    #[serde(deserialize_with = "lenient_string")]
    pub login_lock: String,
    /// `text` or `json` (`VERITY_LOG_FORMAT`).
    #[serde(deserialize_with = "lenient_string")]
    pub log_format: String,
    /// Delay before a sandbox session with a `Tag` directive completes (`VERITY_SANDBOX_DELAY`).
    #[serde(deserialize_with = "lenient_string")]
    pub sandbox_delay: String,
    /// Time a webhook receiver has to answer (`VERITY_WEBHOOK_TIMEOUT`).
    #[serde(deserialize_with = "lenient_string")]
    pub webhook_timeout: String,
    /// Consecutive failed events after which a hook may become INVALID (`VERITY_WEBHOOK_INVALID_AFTER`).
    pub webhook_invalid_after: u32,
    /// And how long it must have been failing without a success (`VERITY_WEBHOOK_INVALID_AFTER_FAILING_FOR`).
    #[serde(deserialize_with = "lenient_string")]
    pub webhook_invalid_after_failing_for: String,
    /// Time a client has to send its request headers (`VERITY_HEADER_TIMEOUT`).
    #[serde(deserialize_with = "lenient_string")]
    pub header_timeout: String,
    /// Time a connection may stay silent, between requests or within one (`VERITY_IDLE_TIMEOUT`).
    #[serde(deserialize_with = "lenient_string")]
    pub idle_timeout: String,
    /// Time a request may take from its headers to its response (`VERITY_REQUEST_TIMEOUT`).
    #[serde(deserialize_with = "lenient_string")]
    pub request_timeout: String,
    /// Connections held at once (`VERITY_MAX_CONNECTIONS`); 0: as many as the open-file limit allows.
    pub max_connections: u32,
    /// File holding the master key (`VERITY_MASTER_KEY_FILE`); default `DATA_DIR/master.key`.
    pub master_key_file: Option<PathBuf>,
    /// Let production clients' webhooks reach private and loopback addresses (`VERITY_WEBHOOK_ALLOW_PRIVATE`).
    pub webhook_allow_private: bool,
    /// Run the check engine in this process (`VERITY_ENGINE`, default true); with several
    /// processes, keep it where the CPU is and turn it off on API-only ones.
    pub engine: bool,
    /// Bearer token of the admin API (`VERITY_ADMIN_TOKEN`); the admin API is off when unset.
    #[serde(default, deserialize_with = "lenient_option")]
    pub admin_token: Option<String>,
    /// Master key sealing personal data and documents, 32 bytes base64 (`VERITY_MASTER_KEY`).
    /// When unset, `DATA_DIR/master.key` is used, created on first start.
    #[serde(default, deserialize_with = "lenient_option")]
    pub master_key: Option<String>,
    /// Where documents are stored: `local` (DATA_DIR/blobs) or `s3` (`VERITY_BLOB_STORE`).
    #[serde(deserialize_with = "lenient_string")]
    pub blob_store: String,
    /// S3-compatible endpoint, e.g. `https://s3.eu-west-3.amazonaws.com` (`VERITY_S3_ENDPOINT`).
    #[serde(default, deserialize_with = "lenient_option")]
    pub s3_endpoint: Option<String>,
    /// Bucket (`VERITY_S3_BUCKET`).
    #[serde(default, deserialize_with = "lenient_option")]
    pub s3_bucket: Option<String>,
    /// Region (`VERITY_S3_REGION`).
    #[serde(deserialize_with = "lenient_string")]
    pub s3_region: String,
    /// Access key id (`VERITY_S3_ACCESS_KEY`).
    #[serde(default, deserialize_with = "lenient_option")]
    pub s3_access_key: Option<String>,
    /// Secret access key (`VERITY_S3_SECRET_KEY`).
    #[serde(default, deserialize_with = "lenient_option")]
    pub s3_secret_key: Option<String>,
    /// Prefix of object keys (`VERITY_S3_PREFIX`).
    #[serde(deserialize_with = "lenient_string")]
    pub s3_prefix: String,
    /// UK Companies House API key (`VERITY_COMPANIES_HOUSE_API_KEY`); GB lookups are off when unset.
    #[serde(default, deserialize_with = "lenient_option")]
    pub companies_house_api_key: Option<String>,
    /// Companies House API base (`VERITY_COMPANIES_HOUSE_URL`).
    #[serde(deserialize_with = "lenient_string")]
    pub companies_house_url: String,
    /// France's company search API base (`VERITY_RECHERCHE_ENTREPRISES_URL`), e.g.
    /// `https://recherche-entreprises.api.gouv.fr`; FR lookups are off when unset.
    #[serde(default, deserialize_with = "lenient_option")]
    pub recherche_entreprises_url: Option<String>,
    /// Face-match provider endpoint (`VERITY_PROVIDER_FACE_MATCH_URL`).
    #[serde(default, deserialize_with = "lenient_option")]
    pub provider_face_match_url: Option<String>,
    /// Document-authenticity provider endpoint (`VERITY_PROVIDER_DOCUMENT_AUTHENTICITY_URL`).
    #[serde(default, deserialize_with = "lenient_option")]
    pub provider_document_authenticity_url: Option<String>,
    /// Liveness provider endpoint (`VERITY_PROVIDER_LIVENESS_URL`).
    #[serde(default, deserialize_with = "lenient_option")]
    pub provider_liveness_url: Option<String>,
    /// Bearer token sent to providers (`VERITY_PROVIDER_TOKEN`).
    #[serde(default, deserialize_with = "lenient_option")]
    pub provider_token: Option<String>,
    /// Time a provider has to answer (`VERITY_PROVIDER_TIMEOUT`).
    #[serde(deserialize_with = "lenient_string")]
    pub provider_timeout: String,
    /// Retries of a failed provider call (`VERITY_PROVIDER_RETRIES`).
    pub provider_retries: u32,
    /// SMTP server for e-mails to end users (`VERITY_SMTP_URL`): `smtps://USER:PASSWORD@HOST`,
    /// `smtp://HOST:PORT?tls=required` (STARTTLS) or `smtp://HOST:PORT` (plain, local relays).
    #[serde(default, deserialize_with = "lenient_option")]
    pub smtp_url: Option<String>,
    /// Sender of those e-mails (`VERITY_MAIL_FROM`), e.g. `Verity <no-reply@example.com>`.
    #[serde(default, deserialize_with = "lenient_option")]
    pub mail_from: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            database_url: None,
            public_url: None,
            data_dir: PathBuf::from("./data"),
            session_ttl: "7d".into(),
            psc_session_ttl: "7d".into(),
            psc_liveness_ttl: "1h".into(),
            token_ttl: "1h".into(),
            // Mangopay's schedule: every 10 minutes for an hour, then every 8 hours for 3 days.
            webhook_retry_schedule: "10m,10m,10m,10m,10m,10m,8h,8h,8h,8h,8h,8h,8h,8h,8h".into(),
            rate_limits: "15m=2300,30m=4500,1h=8800,24h=105600".into(),
            login_max_failures: 10,
            login_lock: "15m".into(),
            log_format: "text".into(),
            sandbox_delay: "3s".into(),
            webhook_timeout: "2s".into(),
            webhook_invalid_after: 100,
            webhook_invalid_after_failing_for: "24h".into(),
            header_timeout: "30s".into(),
            idle_timeout: "60s".into(),
            request_timeout: "120s".into(),
            max_connections: 0,
            master_key_file: None,
            webhook_allow_private: false,
            engine: true,
            admin_token: None,
            master_key: None,
            blob_store: "local".into(),
            s3_endpoint: None,
            s3_bucket: None,
            s3_region: "us-east-1".into(),
            s3_access_key: None,
            s3_secret_key: None,
            s3_prefix: String::new(),
            companies_house_api_key: None,
            companies_house_url: "https://api.company-information.service.gov.uk".into(),
            recherche_entreprises_url: None,
            provider_face_match_url: None,
            provider_document_authenticity_url: None,
            provider_liveness_url: None,
            provider_token: None,
            provider_timeout: "10s".into(),
            provider_retries: 2,
            smtp_url: None,
            mail_from: None,
        }
    }
}

/// The configuration with every value checked and converted.
#[derive(Clone, Debug)]
pub struct Settings {
    pub listen: String,
    pub database_url: String,
    /// Whether the database URL was set, rather than derived from the data folder.
    pub database_url_configured: bool,
    pub public_url: Option<String>,
    pub data_dir: PathBuf,
    pub session_ttl: i64,
    pub psc_session_ttl: i64,
    pub psc_liveness_ttl: i64,
    pub token_ttl: i64,
    pub webhook_retry_schedule: Vec<i64>,
    pub rate_limits: Vec<Window>,
    pub login_max_failures: u32,
    pub login_lock: i64,
    pub json_logs: bool,
    pub sandbox_delay: i64,
    pub webhook_timeout: i64,
    pub webhook_invalid_after: u32,
    pub webhook_invalid_after_failing_for: i64,
    pub header_timeout: i64,
    pub idle_timeout: i64,
    pub request_timeout: i64,
    pub max_connections: u32,
    pub master_key_file: Option<PathBuf>,
    pub webhook_allow_private: bool,
    pub engine: bool,
    pub admin_token: Option<String>,
    pub master_key: Option<String>,
    /// `None` for the local folder.
    pub s3: Option<verity_store::S3Config>,
    pub companies_house_api_key: Option<String>,
    pub companies_house_url: String,
    pub recherche_entreprises_url: Option<String>,
    /// Check name and endpoint of each configured provider.
    pub providers: Vec<(String, String)>,
    pub provider_token: Option<String>,
    pub provider_timeout: i64,
    pub provider_retries: u32,
    /// The SMTP server and sender of e-mails to end users; `None`: no e-mail is sent.
    pub smtp: Option<verity_service::mail::SmtpSettings>,
}

/// Parses `90`, `45s`, `10m`, `8h`, `7d` into seconds.
pub fn parse_duration(raw: &str) -> Result<i64, String> {
    let raw = raw.trim();
    let (number, unit) = match raw.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => raw.split_at(i),
        None => (raw, "s"),
    };
    let n: i64 = number
        .parse()
        .map_err(|_| format!("'{raw}' is not a duration (examples: 45s, 10m, 8h, 7d)"))?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("'{raw}' has an unknown unit (use s, m, h or d)")),
    };
    Ok(n * unit)
}

fn parse_windows(raw: &str) -> Result<Vec<Window>, String> {
    raw.split(',')
        .map(|part| {
            let (len, limit) = part
                .split_once('=')
                .ok_or_else(|| format!("rate limit window '{part}' must look like 15m=2300"))?;
            let seconds = parse_duration(len)?;
            let limit = limit
                .trim()
                .parse()
                .map_err(|_| format!("rate limit '{limit}' is not a number"))?;
            if seconds <= 0 || limit == 0 {
                return Err(format!(
                    "rate limit window '{part}' must have a positive length and limit"
                ));
            }
            Ok(Window { seconds, limit })
        })
        .collect()
}

/// A configuration error in words an operator recognises: the variable or key as they wrote it,
/// what was expected, what was found.
fn plain(errors: figment::Error) -> String {
    errors
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let from_env = e.metadata.as_ref().is_some_and(|m| m.name.contains("environment"));
            let name = if from_env {
                format!("VERITY_{}", key.to_uppercase())
            } else if key.is_empty() {
                "the configuration".to_owned()
            } else {
                format!("`{key}` in the configuration file")
            };
            match &e.kind {
                figment::error::Kind::InvalidType(found, expected) => {
                    format!("{name} must be {expected}, not {found}")
                }
                figment::error::Kind::UnknownField(field, _) => format!("unknown setting `{field}`"),
                other => format!("{name}: {other}"),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Reads `value` as an address and port, saying plainly what is wrong with it.
pub(crate) fn listen_address(name: &str, value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.parse::<u16>().is_ok() {
        return Err(format!(
            "{name}={value} is a port alone: give an address and a port, such as 127.0.0.1:{value} (this machine only) or 0.0.0.0:{value} (every interface)"
        ));
    }
    match value.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => Ok(value.to_owned()),
        _ => Err(format!(
            "{name}={value} is not an address and a port, such as 127.0.0.1:8080 or 0.0.0.0:8080"
        )),
    }
}

/// Accepts a number where a string is expected (`VERITY_LISTEN=8080` arrives as a number), so
/// that the value's own check can say what is wrong with it.
fn lenient_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Text(String),
        Int(i64),
        Float(f64),
        Bool(bool),
    }
    Ok(match Scalar::deserialize(d)? {
        Scalar::Text(s) => s,
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => f.to_string(),
        Scalar::Bool(b) => b.to_string(),
    })
}

fn lenient_option<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "lenient_string")] String);
    Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
}

fn http_url(name: &str, url: &str) -> Result<String, String> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url.trim_end_matches('/').to_owned())
    } else {
        Err(format!("{name} '{url}' must start with http:// or https://"))
    }
}

impl Config {
    pub fn load(file: Option<&Path>) -> Result<Config, String> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(format!("configuration file {} does not exist", path.display()));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(Env::prefixed("VERITY_").only(&[
            "listen",
            "database_url",
            "public_url",
            "data_dir",
            "session_ttl",
            "psc_session_ttl",
            "psc_liveness_ttl",
            "token_ttl",
            "webhook_retry_schedule",
            "rate_limits",
            "login_max_failures",
            "login_lock",
            "log_format",
            "sandbox_delay",
            "webhook_timeout",
            "webhook_invalid_after",
            "webhook_invalid_after_failing_for",
            "header_timeout",
            "idle_timeout",
            "request_timeout",
            "max_connections",
            "master_key_file",
            "webhook_allow_private",
            "engine",
            "admin_token",
            "master_key",
            "blob_store",
            "s3_endpoint",
            "s3_bucket",
            "s3_region",
            "s3_access_key",
            "s3_secret_key",
            "s3_prefix",
            "companies_house_api_key",
            "companies_house_url",
            "recherche_entreprises_url",
            "provider_face_match_url",
            "provider_document_authenticity_url",
            "provider_liveness_url",
            "provider_token",
            "provider_timeout",
            "provider_retries",
            "smtp_url",
            "mail_from",
        ]));
        figment.extract().map_err(plain)
    }

    pub fn settings(&self) -> Result<Settings, String> {
        let field = |name: &str, r: Result<i64, String>| r.map_err(|e| format!("{name}: {e}"));
        let positive = |name: &str, text: &str| match field(name, parse_duration(text))? {
            t if t >= 1 => Ok(t),
            _ => Err(format!("{name} must be at least 1s")),
        };
        let database_url = match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("verity.db").display()),
        };
        if verity_store::Dialect::from_url(&database_url).is_none() {
            return Err("database_url must start with sqlite:// or postgres://".into());
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(format!("public_url '{url}' must start with http:// or https://"));
        }
        let json_logs = match self.log_format.as_str() {
            "text" => false,
            "json" => true,
            other => return Err(format!("log_format '{other}' must be text or json")),
        };
        let session_ttl = field("session_ttl", parse_duration(&self.session_ttl))?;
        let psc_session_ttl = positive("psc_session_ttl", &self.psc_session_ttl)?;
        let psc_liveness_ttl = positive("psc_liveness_ttl", &self.psc_liveness_ttl)?;
        let token_ttl = field("token_ttl", parse_duration(&self.token_ttl))?;
        if token_ttl < 120 {
            // SDKs refresh about a minute before expiry; shorter tokens make them fetch one per call.
            return Err("token_ttl must be at least 2m".into());
        }
        let listen = listen_address("VERITY_LISTEN", &self.listen)?;
        Ok(Settings {
            listen,
            database_url_configured: self.database_url.is_some(),
            database_url,
            public_url: self.public_url.as_ref().map(|u| u.trim_end_matches('/').to_owned()),
            data_dir: self.data_dir.clone(),
            session_ttl,
            psc_session_ttl,
            psc_liveness_ttl,
            token_ttl,
            webhook_retry_schedule: self
                .webhook_retry_schedule
                .split(',')
                .map(|d| field("webhook_retry_schedule", parse_duration(d)))
                .collect::<Result<_, _>>()?,
            rate_limits: parse_windows(&self.rate_limits).map_err(|e| format!("rate_limits: {e}"))?,
            login_max_failures: self.login_max_failures.max(1),
            login_lock: field("login_lock", parse_duration(&self.login_lock))?,
            json_logs,
            sandbox_delay: field("sandbox_delay", parse_duration(&self.sandbox_delay))?,
            webhook_timeout: match field("webhook_timeout", parse_duration(&self.webhook_timeout))? {
                t if t >= 1 => t,
                _ => return Err("webhook_timeout must be at least 1s".into()),
            },
            webhook_invalid_after: self.webhook_invalid_after.max(1),
            webhook_invalid_after_failing_for: field(
                "webhook_invalid_after_failing_for",
                parse_duration(&self.webhook_invalid_after_failing_for),
            )?,
            header_timeout: positive("header_timeout", &self.header_timeout)?,
            idle_timeout: positive("idle_timeout", &self.idle_timeout)?,
            request_timeout: positive("request_timeout", &self.request_timeout)?,
            max_connections: self.max_connections,
            master_key_file: self.master_key_file.clone(),
            webhook_allow_private: self.webhook_allow_private,
            engine: self.engine,
            admin_token: match &self.admin_token {
                Some(t) if t.len() < 24 => {
                    return Err("admin_token must be at least 24 characters".into());
                }
                other => other.clone(),
            },
            master_key: self.master_key.clone(),
            s3: match self.blob_store.as_str() {
                "local" => None,
                "s3" => {
                    let need = |v: &Option<String>, name: &str| {
                        v.clone()
                            .filter(|s| !s.is_empty())
                            .ok_or(format!("blob_store s3 needs {name}"))
                    };
                    Some(verity_store::S3Config {
                        endpoint: need(&self.s3_endpoint, "s3_endpoint")?,
                        bucket: need(&self.s3_bucket, "s3_bucket")?,
                        region: self.s3_region.clone(),
                        access_key: need(&self.s3_access_key, "s3_access_key")?,
                        secret_key: need(&self.s3_secret_key, "s3_secret_key")?,
                        prefix: self.s3_prefix.clone(),
                    })
                }
                other => return Err(format!("blob_store '{other}' must be local or s3")),
            },
            companies_house_api_key: self.companies_house_api_key.clone().filter(|k| !k.is_empty()),
            companies_house_url: http_url("companies_house_url", &self.companies_house_url)?,
            recherche_entreprises_url: self
                .recherche_entreprises_url
                .as_deref()
                .map(|u| http_url("recherche_entreprises_url", u))
                .transpose()?,
            providers: [
                ("face_match", &self.provider_face_match_url, "provider_face_match_url"),
                (
                    "document_authenticity",
                    &self.provider_document_authenticity_url,
                    "provider_document_authenticity_url",
                ),
                ("liveness", &self.provider_liveness_url, "provider_liveness_url"),
            ]
            .into_iter()
            .filter_map(|(check, url, name)| url.as_deref().map(|u| http_url(name, u).map(|u| (check.to_owned(), u))))
            .collect::<Result<_, _>>()?,
            provider_token: self.provider_token.clone().filter(|t| !t.is_empty()),
            provider_timeout: match field("provider_timeout", parse_duration(&self.provider_timeout))? {
                t if t >= 1 => t,
                _ => return Err("provider_timeout must be at least 1s".into()),
            },
            provider_retries: self.provider_retries.min(10),
            smtp: match (&self.smtp_url, &self.mail_from) {
                (None, _) => None,
                (Some(url), Some(from)) => {
                    if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                        return Err(format!(
                            "smtp_url must start with smtp:// or smtps:// (got '{}')",
                            verity_store::redact_url(url)
                        ));
                    }
                    if !verity_service::mail::is_sender(from) {
                        return Err(format!(
                            "mail_from '{from}' is not an address: use name@example.com or \"Name <name@example.com>\""
                        ));
                    }
                    Some(verity_service::mail::SmtpSettings {
                        url: url.clone(),
                        from: from.clone(),
                    })
                }
                (Some(_), None) => {
                    return Err(
                        "smtp_url is set but mail_from is not: set VERITY_MAIL_FROM to the sender's address".into(),
                    );
                }
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("7d"), Ok(604_800));
        assert_eq!(parse_duration("90"), Ok(90));
        assert_eq!(parse_duration("10m"), Ok(600));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5y").is_err());
    }

    #[test]
    fn defaults_are_valid() {
        let s = Config::default().settings().unwrap();
        assert_eq!(s.rate_limits.len(), 4);
        assert_eq!(s.webhook_retry_schedule.len(), 15);
        assert!(s.database_url.starts_with("sqlite://"));
    }
}
