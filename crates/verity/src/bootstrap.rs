//! Start-up pieces shared by the server and the commands: store, master key, blobs, services, engine.

use std::path::PathBuf;
use std::sync::Arc;

use verity_service::engine::Engine;
use verity_service::{ServiceConfig, Services};
use verity_store::{BlobStore, LocalBlobs, MasterKey, S3Blobs, Sealer, SqlStore};

use crate::commands::Failure;
use crate::config::Settings;

/// Connects to the configured database (creating the data folder for SQLite) and migrates it.
pub(crate) async fn open_store(settings: &Settings, opening: Opening) -> Result<SqlStore, Failure> {
    let shown = verity_store::redact_url(&settings.database_url);
    if opening == Opening::Existing {
        // An operator's command run from the wrong folder must not quietly start a new, empty
        // database (with a new master key) and report nothing found.
        if let Some(path) = sqlite_file(&settings.database_url).filter(|p| !p.exists()) {
            return Err(Failure(format!(
                "there is no Verity database at {} (from {}): run this command with the settings `verity serve` uses (VERITY_DATA_DIR, VERITY_DATABASE_URL or --config), or create one with `verity migrate`",
                path.display(),
                if settings.database_url_configured {
                    "VERITY_DATABASE_URL"
                } else {
                    "VERITY_DATA_DIR, default ./data"
                },
            )));
        }
        if settings.master_key.is_none() && !master_key_path(settings).exists() {
            return Err(Failure(format!(
                "there is no master key at {}: it is created with the database; set VERITY_MASTER_KEY_FILE if it is elsewhere",
                master_key_path(settings).display()
            )));
        }
    }
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
    if opening == Opening::Existing {
        let version = store
            .schema_version()
            .await
            .map_err(|e| format!("cannot read the database {shown}: {e}"))?;
        if version.is_none() {
            return Err(Failure(format!(
                "the database {shown} holds no Verity data: create it with `verity migrate` (or `verity serve`)"
            )));
        }
    }
    let applied = store
        .migrate()
        .await
        .map_err(|e| format!("cannot migrate the database: {e}"))?;
    for m in applied {
        tracing::info!(migration = %m, "applied migration");
    }
    Ok(store)
}

/// Whether opening the store may create the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Opening {
    /// `serve` and `migrate`: create it (and its master key) on first start.
    CreateIfMissing,
    /// Every other command: the database must already be there.
    Existing,
}

/// The file of a `sqlite://PATH[?...]` URL (`None` for PostgreSQL or an in-memory database).
pub(crate) fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path))
}

/// Where the master key file is: `VERITY_MASTER_KEY_FILE`, else `DATA_DIR/master.key`.
pub(crate) fn master_key_path(settings: &Settings) -> PathBuf {
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
            match write_key_file(&path, &key) {
                Ok(()) => {
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

/// Writes a new key file, readable by its owner only, and makes it durable (file and folder)
/// before returning: data is sealed under the key only after this.
pub(crate) fn write_key_file(path: &std::path::Path, key: &MasterKey) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    std::io::Write::write_all(&mut file, key.to_base64().as_bytes())?;
    file.sync_all()?;
    sync_folder_of(path)
}

/// Makes a file's creation or renaming in its folder durable.
pub(crate) fn sync_folder_of(path: &std::path::Path) -> std::io::Result<()> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(folder) => std::fs::File::open(folder)?.sync_all(),
        None => std::fs::File::open(".")?.sync_all(),
    }
}

/// Reads a key file.
pub(crate) fn read_key_file(path: &std::path::Path) -> Result<MasterKey, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    MasterKey::from_base64(&text).map_err(|e| Failure(format!("{}: {e}", path.display())))
}

/// Whether the master key file sits inside the data folder, where a copy or a backup of the
/// data would carry the key that opens it.
pub(crate) fn key_beside_data(settings: &Settings) -> bool {
    if settings.master_key.is_some() {
        return false;
    }
    let absolute = |p: &std::path::Path| {
        std::fs::canonicalize(p).unwrap_or_else(|_| std::env::current_dir().unwrap_or_default().join(p))
    };
    absolute(&master_key_path(settings)).starts_with(absolute(&settings.data_dir))
}

/// The configured blob store.
pub(crate) fn blob_store(settings: &Settings) -> Result<Arc<dyn BlobStore>, Failure> {
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

/// The service configuration derived from the settings.
fn service_config(settings: &Settings) -> ServiceConfig {
    ServiceConfig {
        session_ttl: settings.session_ttl,
        psc_session_ttl: settings.psc_session_ttl,
        psc_liveness_ttl: settings.psc_liveness_ttl,
        mail_enabled: settings.smtp.is_some(),
        psc_reminder_before: ServiceConfig::default().psc_reminder_before,
        sandbox_delay: settings.sandbox_delay,
        retry_schedule: settings.webhook_retry_schedule.clone(),
        webhook_timeout: std::time::Duration::from_secs(settings.webhook_timeout as u64),
        invalidation: verity_store::InvalidationRule {
            failed_events: settings.webhook_invalid_after,
            failing_for: settings.webhook_invalid_after_failing_for,
        },
        allow_private_webhooks: settings.webhook_allow_private,
        face_match_configured: settings.providers.iter().any(|(check, _)| check == "face_match"),
    }
}

/// The services over the given store.
pub(crate) fn services(settings: &Settings, store: SqlStore) -> Services {
    Services::new(Arc::new(store), service_config(settings))
}

/// The verification engine with the registries and providers the configuration names.
pub(crate) fn engine(
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

/// Raises the open-file limit to its hard maximum and derives how many connections the listener
/// may hold: each takes a descriptor, and the database, blobs and webhooks need some too.
pub(crate) fn connection_limit(configured: u32) -> usize {
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
