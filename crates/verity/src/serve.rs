//! The `serve` command: the listener, background workers, their drain and the shutdown signal.

use std::sync::Arc;

use verity_domain::{ClientId, Environment};
use verity_http::{AppState, HttpConfig};
use verity_service::webhooks::Deliverer;
use verity_service::{ServiceError, Services};
use verity_store::{BlobStore, StoreError};

use crate::bootstrap::{
    Opening, blob_store, connection_limit, engine, key_beside_data, master_key_path, open_store, services,
};
use crate::commands::Failure;
use crate::commands::clients::print_credentials;
use crate::config::Settings;

/// Runs the server until SIGTERM or Ctrl-C, then lets background work finish (30 s at most).
pub(crate) async fn serve(settings: Settings) -> Result<(), Failure> {
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
    let address = listener.local_addr()?;
    let store = open_store(&settings, Opening::CreateIfMissing).await?;
    let sealer = store.sealer().clone();
    let services = services(&settings, store);
    if services.platforms().await?.is_empty() {
        let id = ClientId::parse("sandbox")?;
        match services
            .create_client(id.clone(), "Sandbox", Environment::Sandbox, true)
            .await
        {
            Ok(key) => {
                println!("First start: created a sandbox client.");
                print_credentials(&id, &key, false);
            }
            // Another process starting on the same database created it first.
            Err(ServiceError::Store(StoreError::Conflict(_))) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let indexed = services.index_users_for_search().await?;
    if indexed > 0 {
        tracing::info!(users = indexed, "indexed users written before search existed");
    }
    let production = services
        .platforms()
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
    };
    let blobs = blob_store(&settings)?;
    let deliverer =
        Arc::new(Deliverer::new(services.clone()).map_err(|e| format!("cannot build the webhook client: {e}"))?);
    // Background work stops taking new work on SIGTERM, finishes what it holds, and is waited for.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut workers = tokio::task::JoinSet::new();
    workers.spawn(deliverer.run(stopping.clone()));
    workers.spawn(sweep_sessions(services.clone(), stopping.clone()));
    workers.spawn(housekeeping(services.clone(), blobs.clone(), stopping.clone()));
    workers.spawn(watch_keyring(services.clone(), stopping.clone()));
    let engine = Arc::new(engine(&settings, services.clone(), blobs.clone(), sealer.clone())?);
    if let Some(smtp) = &settings.smtp {
        let mailer = verity_service::mail::Mailer::new(
            services.clone(),
            smtp,
            Arc::new(verity_http::mail::Composer),
            &public_url,
        )
        .map_err(|e| format!("cannot set up e-mail: {e}"))?;
        tracing::info!(smtp = %verity_store::redact_url(&smtp.url), from = %smtp.from, "e-mails to end users are on");
        workers.spawn(Arc::new(mailer).run(stopping.clone()));
    }
    if settings.engine {
        workers.spawn(engine.clone().run(stopping));
    } else {
        tracing::info!("the check engine is off in this process (VERITY_ENGINE=false)");
    }
    let state = AppState::new(services.with_files(blobs, sealer), config);
    let limits = verity_http::ListenerLimits {
        header_timeout: std::time::Duration::from_secs(settings.header_timeout as u64),
        idle_timeout: std::time::Duration::from_secs(settings.idle_timeout as u64),
        request_timeout: std::time::Duration::from_secs(settings.request_timeout as u64),
        max_connections: connection_limit(settings.max_connections),
    };
    tracing::info!(%address, %public_url, session_ttl = settings.session_ttl, max_connections = limits.max_connections, "server starting");
    // Scripts and tests wait for this line; it is printed once the port accepts connections.
    println!("Verity listening on http://{address}");
    let base = public_url.trim_end_matches('/');
    println!("  API          {base}/v2.01/{{ClientId}}/... (tokens: POST {base}/v2.01/oauth/token)");
    println!("  OpenAPI      {base}/openapi.json");
    println!(
        "  Console      {base}/console (add a staff account: verity staff add --username NAME --name \"FULL NAME\" --role reviewer)"
    );
    println!("  Database     {}", verity_store::redact_url(&settings.database_url));
    println!("  Stop         Ctrl-C (work in flight is finished first)");
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

/// Applies due sandbox outcomes (sessions and KYC documents) and expires sessions left PENDING,
/// every second.
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
        if let Err(e) = services.sweep_due_kyc_documents().await {
            tracing::warn!(error = %e, "KYC document sweep failed");
        }
        if let Err(e) = services.sweep_due_ubo_declarations().await {
            tracing::warn!(error = %e, "UBO declaration sweep failed");
        }
    }
}

/// Purges expired access tokens and idempotency responses, and rolls up the hours of events
/// that are over (for the events' totals), every ten minutes.
async fn housekeeping(services: Services, blobs: Arc<dyn BlobStore>, mut stop: verity_service::StopSignal) {
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
        if let Err(e) = services.purge_expired_access().await {
            tracing::warn!(error = %e, "token and idempotency purge failed");
        }
        if let Err(e) = services.roll_up_events().await {
            tracing::warn!(error = %e, "rolling up event counts failed");
        }
    }
}

/// Loads the database keyring every second, so a master key rotation reaches this process at
/// once, and records which version it holds: the rotation waits for every running process.
async fn watch_keyring(services: Services, mut stop: verity_service::StopSignal) {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let holder = format!("{}:{}:{:04x}", host.trim(), std::process::id(), rand::random::<u16>());
    let mut tick = tokio::time::interval(verity_service::keys::KEYRING_REFRESH);
    let mut said = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = verity_service::stopped(&mut stop) => return,
        }
        match services.keep_keyring_fresh(&holder, said).await {
            Ok(now_said) => said = Some(now_said),
            Err(e) => tracing::error!(error = %e, "cannot load the master keyring"),
        }
    }
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM.
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
