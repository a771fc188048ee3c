//! `azs-usage`: pull Azure Stack Hub usage through the tenant or provider API into CSV/JSON,
//! list the meter catalog, run the local emulator, sync usage into a database and export it, and turn FOCUS
//! cost rows into the chargeback report. Thin: parsing lives in `args`, the work in the core, pricing, store,
//! report and emulator crates, and the exit code in `exit`.

mod args;
mod completions;
mod connection;
mod database;
mod emulator;
mod exit;
mod meters;
mod output;
mod price;
mod pull;
mod report;
mod subscriptions;
mod sync;

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
        Err(e) => Failure::internal(format!("cannot start the async runtime: {e}")).exit(cli.verbose > 0),
    };
    let verbose = cli.verbose > 0;
    let result = runtime.block_on(async {
        match cli.command {
            Command::Usage(a) => pull::run(pull::Target::Tenant, a, cli.verbose).await,
            Command::SubscriberUsage(a) => pull::run(pull::Target::Provider, a, cli.verbose).await,
            Command::Subscriptions(a) => subscriptions::run(a, cli.verbose).await,
            Command::Price(a) => price::run_price(a, cli.verbose).await,
            Command::Cost(a) => price::run_cost(a, cli.verbose).await,
            Command::Meters(a) => meters::run(a),
            Command::Emulator(a) => emulator::run(a).await,
            Command::Sync(a) => sync::run(*a, cli.verbose).await,
            Command::Db(args::DbCommand::Migrate(a)) => database::migrate(a).await,
            Command::Export(a) => database::export(a).await,
            Command::Completions(a) => completions::run(a),
            Command::Report(a) => report::run(a).await,
        }
    });
    if let Err(failure) = result {
        failure.exit(verbose);
    }
}
