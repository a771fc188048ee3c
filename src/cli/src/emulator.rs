//! `emulator`: runs the local usage service until Ctrl+C (or SIGTERM), with sample data.

use std::time::Duration;

use azs_usage_emulator::store::StoreLocation;
use azs_usage_emulator::{EmulatorConfig, IdentitySystem};

use crate::args::EmulatorArgs;
use crate::exit::Failure;

pub async fn run(args: EmulatorArgs) -> Result<(), Failure> {
    let mut config = EmulatorConfig {
        bind: args.bind,
        port: args.port,
        https: args.https,
        database: if args.memory { StoreLocation::Memory } else { StoreLocation::File(args.database) },
        seed: args.seed,
        days: args.days,
        approx_records: args.records,
        identity: if args.adfs { IdentitySystem::ADFS } else { IdentitySystem::AzureAD },
        ready_file: args.ready_file,
        ..EmulatorConfig::default()
    };
    if let Some(tenants) = args.tenants {
        config.tenants = tenants;
    }
    if let Some(size) = args.page_size {
        config.page_size = size;
    }
    if let Some(secs) = args.token_lifetime {
        config.token_lifetime = Duration::from_secs(secs);
    }
    if let Some(spec) = &args.faults {
        config.faults = spec.parse().map_err(|e| Failure::bad_input(format!("--faults '{spec}': {e}")))?;
    }

    let running = azs_usage_emulator::start(config)
        .await
        .map_err(|e| Failure::bad_input(format!("cannot start the emulator: {e:#}")))?;
    eprintln!(
        "azs-usage: emulator listening on {} ({} records); Ctrl+C stops it",
        running.url(),
        running.info().records
    );
    shutdown_signal().await;
    running.shutdown().await;
    Ok(())
}

/// Ctrl+C everywhere; SIGTERM too on Unix (how test harnesses and Stop-AzsUsageEmulator stop it).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
