//! The `verity` binary: the server and the operator's commands.

mod bootstrap;
mod cli;
mod commands;
mod config;
mod serve;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::commands::Failure;
use crate::config::{Config, Settings};

/// Fewer cycles per allocation than glibc's under many threads (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    match runtime.block_on(commands::run(cli.command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to standard error, as text or JSON; RUST_LOG sets the level (default: info).
fn init_logging(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    // Colour codes only for a person at a terminal, never into a file or a log collector.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if settings.json_logs {
        builder.json().init();
    } else {
        builder.init();
    }
}
