//! `usage` and `subscriber-usage`: validate the query, stream pages from the core, write records
//! as they arrive, and on failure or interruption say exactly where to resume.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use azs_usage_core::{
    Api, ClientEvent, Error, Granularity, Page, Reason, SplitPlan, UsageClient, UsageQuery, parse_time,
};
use chrono::{DateTime, Duration as Span, DurationRound, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::PullArgs;
use crate::connection;
use crate::exit::{ExitCode, Failure};
use crate::output::RecordWriter;

/// Which API a pull uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Tenant,
    Provider,
}

/// Default reported window length when --start is omitted.
const DEFAULT_DAYS: i64 = 30;

pub async fn run(target: Target, args: PullArgs, verbose: u8) -> Result<(), Failure> {
    let provider = target == Target::Provider;
    if !provider && !args.subscriber.is_empty() {
        return Err(Failure::bad_input(
            "--subscriber is for subscriber-usage (the provider API); usage reads the one --subscription",
        ));
    }
    let granularity: Granularity = args.granularity.parse()?;
    let now = Utc::now();
    let end = match &args.end {
        Some(text) => parse_time(text).map_err(|e| Failure::new(e.reason, format!("--end: {e}")))?,
        None => latest_end(granularity, now),
    };
    let start = match &args.start {
        Some(text) => parse_time(text).map_err(|e| Failure::new(e.reason, format!("--start: {e}")))?,
        None => end - Span::days(DEFAULT_DAYS),
    };

    let mut conn = connection::resolve(&args.connection, provider)?;
    conn.options.retry.max_retries = args.max_retries;
    if verbose > 0 {
        conn.options.events = Some(Arc::new(|event: &ClientEvent| eprintln!("azs-usage: {}", describe(event))));
    }
    let client = UsageClient::connect(conn.options).await?;
    let subscription = match conn.subscription {
        Some(s) => s,
        None if provider => client.default_subscription().await?,
        None => {
            return Err(Failure::new(
                Reason::InvalidSubscriptionId,
                "no subscription: pass --subscription with the tenant subscription id",
            ));
        }
    };

    let api = if provider { Api::Provider } else { Api::Tenant };
    let mut query = UsageQuery::new(api, subscription, start, end);
    query.granularity = granularity;
    query.show_details = args.show_details;
    query.api_version = args.api_version.clone();
    query.continuation_token = args.continuation_token.clone();
    if args.subscriber.len() == 1 {
        query.subscriber_id = Some(args.subscriber[0].clone());
    }
    query.validate(now)?;

    // --continuation-token and --max-records need one sequential pull so the printed token is exact.
    let concurrency = if args.max_records.is_some() { 1 } else { usize::from(args.concurrency) };
    let mut plan = SplitPlan::for_query(&query, concurrency);
    if args.subscriber.len() > 1 {
        plan.subscribers = args.subscriber.clone();
    }
    let sequential = plan.is_trivial();
    let pages: BoxStream<'static, Result<Page, Error>> =
        if sequential { client.pages(query) } else { client.pages_split(query, plan) };

    let writer = RecordWriter::open(args.format, args.output.as_deref())
        .map_err(|e| Failure::bad_input(format!("cannot create the output file: {e}")))?;
    let progress = progress_bar(args.no_progress);
    drive(pages, writer, progress, args.max_records, sequential).await
}

/// Reads pages until the end, a failure, Ctrl+C or --max-records, writing each page whole.
async fn drive(
    mut pages: BoxStream<'static, Result<Page, Error>>,
    mut writer: RecordWriter,
    progress: ProgressBar,
    max_records: Option<u64>,
    resumable: bool,
) -> Result<(), Failure> {
    let started = Instant::now();
    let (mut page_count, mut duplicates) = (0u64, 0usize);
    // The token that resumes right after the last page written; None = from the beginning.
    let mut resume: Option<String> = None;
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);

    let failure = loop {
        let next = tokio::select! {
            next = pages.next() => next,
            _ = &mut interrupt => break Some(Failure::new(Reason::OperationCancelled, "interrupted")),
        };
        match next {
            None => break None,
            Some(Err(e)) => {
                if e.resume_token.is_some() {
                    resume = e.resume_token.clone();
                }
                break Some(Failure::from(e));
            }
            Some(Ok(page)) => {
                if let Err(e) = page.records.iter().try_for_each(|r| writer.write(r)) {
                    break Some(Failure::internal(format!("cannot write the output: {e}")));
                }
                page_count += 1;
                duplicates += page.duplicates.len();
                resume = page.continuation_token.clone();
                progress.set_message(format!("{} records, {page_count} pages", writer.written()));
                if max_records.is_some_and(|max| writer.written() >= max) {
                    break None;
                }
            }
        }
    };
    progress.finish_and_clear();

    let written = writer.written();
    let elapsed = started.elapsed();
    match failure {
        None => {
            let path = writer.finish().map_err(|e| Failure::internal(format!("cannot complete the output: {e}")))?;
            let target = path.map(|p| format!(" to {}", p.display())).unwrap_or_default();
            eprintln!("azs-usage: {written} records in {page_count} pages{target} ({})", rate(written, elapsed));
            if duplicates > 0 {
                eprintln!(
                    "azs-usage: warning: {duplicates} records repeated a (subscription, meter, resource, start, end) key seen earlier; kept as sent (run with -v for the keys)"
                );
            }
            if let (Some(_), Some(token)) = (max_records, resume.as_ref()) {
                eprintln!("azs-usage: stopped at --max-records; continue with --continuation-token '{token}'");
            }
            Ok(())
        }
        Some(mut failure) => {
            let partial = writer.abandon().ok().flatten();
            if let Some(p) = partial {
                failure
                    .message
                    .push_str(&format!("\n{written} records fetched before the failure are in {}", p.display()));
            }
            // Only a pull that got somewhere, or that may succeed when rerun, has a place to resume.
            let worth_resuming = written > 0 || matches!(failure.code, ExitCode::Service | ExitCode::Interrupted);
            if !worth_resuming {
                return Err(failure);
            }
            if resumable {
                match resume {
                    Some(token) => failure.message.push_str(&format!("\nresume with: --continuation-token '{token}'")),
                    None => failure.message.push_str("\nno page was completed: rerun the same command to resume"),
                }
            } else {
                failure.message.push_str("\nrerun the same command (or with --concurrency 1 to get a resumable token)");
            }
            Err(failure)
        }
    }
}

/// The latest reported end the service accepts: the current hour (Hourly) or today 00:00Z (Daily).
fn latest_end(granularity: Granularity, now: DateTime<Utc>) -> DateTime<Utc> {
    let unit = match granularity {
        Granularity::Hourly => Span::hours(1),
        Granularity::Daily => Span::days(1),
    };
    now.duration_trunc(unit).unwrap_or(now)
}

fn progress_bar(disabled: bool) -> ProgressBar {
    if disabled || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed} {msg}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// One line of `-v` output per client event (the core never puts secrets in events).
fn describe(event: &ClientEvent) -> String {
    match event {
        ClientEvent::Request { method, url } => format!("{method} {url}"),
        ClientEvent::Response { status, request_id, elapsed } => {
            format!("HTTP {status} in {} ms (request id {})", elapsed.as_millis(), request_id.as_deref().unwrap_or("-"))
        }
        ClientEvent::RetryWait { attempt, delay, reason } => {
            format!("attempt {attempt} failed ({reason}); retrying in {:.1}s", delay.as_secs_f64())
        }
        ClientEvent::Duplicate { key } => format!("repeated record key {key}"),
    }
}

fn rate(records: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(1e-3);
    format!("{:.1}s, {:.0} records/s", secs, records as f64 / secs)
}
