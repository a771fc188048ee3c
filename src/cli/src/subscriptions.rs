//! `subscriptions`: the tenant directory (provider only) as CSV or JSON. The CSV's header is the core's
//! `DIRECTORY_FIELDS`, so the file is what `--directory` reads back wherever costs are computed.

use std::io::Write;
use std::sync::Arc;

use azs_usage_core::{
    ClientEvent, DIRECTORY_FIELDS, OutputKind, OutputTarget, Reason, TenantSubscription, UsageClient,
};

use crate::args::{DirectoryFormat, SubscriptionsArgs};
use crate::connection;
use crate::exit::Failure;

pub async fn run(args: SubscriptionsArgs, verbose: u8) -> Result<(), Failure> {
    // A bad output path (a folder, a missing folder) is refused before anything else happens.
    let target = match &args.output {
        Some(path) => OutputTarget::resolve(path)?,
        None => OutputTarget::stdout(),
    };
    // Created before the first request, so a target that cannot be written costs no request; dropped
    // (its temporary file removed) when anything fails.
    let mut file = target.create()?;
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
        _ = tokio::signal::ctrl_c() => return Err(Failure::new(Reason::OperationCancelled, "interrupted; nothing was written")),
    };
    let text = render(args.format, &subscriptions)
        .map_err(|e| Failure::internal(format!("cannot render the tenant directory: {e}")))?;
    // The core's output rules: a regular file appears under its name only once complete.
    file.write_all(&text).map_err(|e| target.write_error(e))?;
    file.commit()?;
    let deleted = subscriptions.iter().filter(|s| s.state.eq_ignore_ascii_case("Deleted")).count();
    let shown = if target.kind() == OutputKind::Stdout { String::new() } else { format!(" to {target}") };
    eprintln!("azs-usage: {} tenant subscriptions ({deleted} deleted){shown}", subscriptions.len());
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
