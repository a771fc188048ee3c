//! `usage` and `subscriber-usage`: validate the query, stream pages from the core, write records
//! as they arrive, and on failure or interruption say exactly where to resume.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use azs_usage_core::client::ClientEvent;
use azs_usage_core::query::parse_time;
use azs_usage_core::{Api, Error, Granularity, OutputKind, OutputTarget, Page, SplitPlan, UsageClient, UsageQuery};
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
    // A bad output path (a folder, a missing folder) is refused before anything else happens.
    let output = match &args.output {
        Some(path) => OutputTarget::resolve(path)?,
        None => OutputTarget::stdout(),
    };
    let granularity: Granularity = args.granularity.parse()?;
    let now = Utc::now();
    let end = match &args.end {
        Some(text) => parse_time(text).map_err(|e| Failure::bad_input(format!("--end: {e}")))?,
        None => latest_end(granularity, now),
    };
    let start = match &args.start {
        Some(text) => parse_time(text).map_err(|e| Failure::bad_input(format!("--start: {e}")))?,
        None => end - Span::days(DEFAULT_DAYS),
    };

    let mut conn = connection::resolve(&args.connection, provider)?;
    conn.options.retry.max_retries = args.max_retries;
    if verbose > 0 {
        conn.options.events = Some(Arc::new(|event: &ClientEvent| eprintln!("azs-usage: {}", describe(event))));
    }
    // Created before the first request, so a target that cannot be written costs no request
    // (opening a FIFO waits here for its reader).
    let output = output.create()?;
    let client = UsageClient::connect(conn.options).await?;
    let subscription = match conn.subscription {
        Some(s) => s,
        None if provider => client.default_subscription().await?,
        None => return Err(Failure::bad_input("no subscription: pass --subscription with the tenant subscription id")),
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

    let writer = RecordWriter::new(args.format, output);
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
            _ = &mut interrupt => break Some(Failure::new(ExitCode::Interrupted, "interrupted")),
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
                    break Some(Failure::from(writer.target().write_error(e)));
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
    let target = writer.target().clone();
    let elapsed = started.elapsed();
    match failure {
        None => {
            writer.finish()?;
            let to = if target.kind() == OutputKind::Stdout { String::new() } else { format!(" to {target}") };
            eprintln!(
                "azs-usage: {} records in {page_count} {}{to} ({})",
                thousands(written),
                if page_count == 1 { "page" } else { "pages" },
                rate(written, elapsed)
            );
            if duplicates > 0 {
                eprintln!(
                    "azs-usage: warning: {duplicates} records repeated a (subscription, meter, resource, start, end) key seen earlier; kept as sent (run with -v for the keys)"
                );
            }
            // A pull that reached its last page is complete, limit or not: nothing to continue.
            if let (Some(max), Some(token)) = (max_records, resume.as_ref()) {
                eprintln!(
                    "azs-usage: {} records: the limit of {} was reached {}; continue with --continuation-token '{token}'",
                    thousands(written),
                    thousands(max),
                    where_limit_reached(written, max, page_count)
                );
            }
            Ok(())
        }
        Some(mut failure) => {
            match writer.abandon() {
                Ok(Some(partial)) => failure.message.push_str(&format!(
                    "\n{} records fetched before the failure are in {}",
                    thousands(written),
                    partial.display()
                )),
                Ok(None) if written > 0 => failure.message.push_str(&format!(
                    "\n{} records fetched before the failure were written to {target}",
                    thousands(written)
                )),
                Ok(None) => {}
                // After a write failure, failing to end the output again says nothing new.
                Err(e) if failure.code != ExitCode::Internal => failure.message.push_str(&format!("\n{e}")),
                Err(_) => {}
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

/// Where --max-records stopped the pull: pages are kept whole, so usually past the limit.
fn where_limit_reached(written: u64, max: u64, pages: u64) -> String {
    match (written == max, pages) {
        (true, 1) => "at the end of the first page".to_string(),
        (true, n) => format!("at the end of page {n}"),
        (false, 1) => "within the first page".to_string(),
        (false, n) => format!("within page {n}"),
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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
