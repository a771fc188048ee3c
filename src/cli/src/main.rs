//! `azs-usage`: pull Azure Stack Hub usage through the tenant or provider API into CSV/JSON,
//! list the meter catalog, run the local emulator, or turn FOCUS cost rows into the chargeback report. Thin: parsing lives in `args`, the work in
//! the core and emulator crates, and the exit code in `exit`.

mod args;
mod connection;
mod emulator;
mod exit;
mod meters;
mod output;
mod pull;
mod report;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::exit::Failure;

fn main() {
    let cli = Cli::parse();
    let filter = match cli.verbose {
        0 => "warn",
        1 => "info,azs_usage_core=debug",
        _ => "debug",
    };
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();

    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => Failure::internal(format!("cannot start the async runtime: {e}")).exit(),
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Usage(a) => pull::run(pull::Target::Tenant, a, cli.verbose).await,
            Command::SubscriberUsage(a) => pull::run(pull::Target::Provider, a, cli.verbose).await,
            Command::Meters(a) => meters::run(a),
            Command::Emulator(a) => emulator::run(a).await,
            Command::Report(a) => report::run(a),
        }
    });
    if let Err(failure) = result {
        failure.exit();
    }
}
