//! `subscriptions`: the tenant directory (provider only) as CSV or JSON. The CSV's header is the core's
//! `DIRECTORY_FIELDS`, so the file is what `--directory` reads back wherever costs are computed.

use std::sync::Arc;

use azs_usage_core::client::ClientEvent;
use azs_usage_core::{DIRECTORY_FIELDS, TenantSubscription, UsageClient};

use crate::args::{DirectoryFormat, SubscriptionsArgs};
use crate::connection;
use crate::exit::{ExitCode, Failure};
use crate::output;

pub async fn run(args: SubscriptionsArgs, verbose: u8) -> Result<(), Failure> {
    // A target that cannot be written is reported before any request is made.
    if let Some(path) = &args.output {
        output::check_target(path)?;
    }
    let mut conn = connection::resolve(&args.connection, true)?;
    conn.options.retry.max_retries = args.max_retries;
    if verbose > 0 {
        conn.options.events =
            Some(Arc::new(|event: &ClientEvent| eprintln!("azs-usage: {}", crate::pull::describe(event))));
    }
    let fetch = async {
        let client = UsageClient::connect(conn.options).await?;
        let provider = match conn.subscription {
            Some(s) => s,
            None => client.default_subscription().await?,
        };
        Ok::<_, Failure>(client.tenant_subscriptions(&provider).await?)
    };
    let subscriptions = tokio::select! {
        result = fetch => result?,
        _ = tokio::signal::ctrl_c() => return Err(Failure::new(ExitCode::Interrupted, "interrupted; nothing was written")),
    };
    let text = render(args.format, &subscriptions)
        .map_err(|e| Failure::internal(format!("cannot render the tenant directory: {e}")))?;
    output::write_whole(args.output.as_deref(), &text)?;
    let deleted = subscriptions.iter().filter(|s| s.state.eq_ignore_ascii_case("Deleted")).count();
    let target = args.output.as_ref().map(|p| format!(" to {}", p.display())).unwrap_or_default();
    eprintln!("azs-usage: {} tenant subscriptions ({deleted} deleted){target}", subscriptions.len());
    Ok(())
}

fn render(
    format: DirectoryFormat,
    subscriptions: &[TenantSubscription],
) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    match format {
        DirectoryFormat::Csv => {
            let mut csv = csv::Writer::from_writer(Vec::new());
            csv.write_record(DIRECTORY_FIELDS)?;
            for s in subscriptions {
                csv.write_record(s.text_fields())?;
            }
            Ok(csv.into_inner()?)
        }
        DirectoryFormat::Json => {
            let mut out = serde_json::to_vec_pretty(subscriptions)?;
            out.push(b'\n');
            Ok(out)
        }
    }
}
