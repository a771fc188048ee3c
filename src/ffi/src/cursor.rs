//! The pull cursor: one query, pulled page by page on the caller's thread, cancellable from another.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use azs_usage_core::{Api, Granularity, Page, Reason, Result as CoreResult, SplitPlan, UsageQuery, parse_time};
use chrono::Utc;
use futures::StreamExt;
use futures::stream::BoxStream;
use interoptopus::ffi;
use interoptopus::wire::Wire;
use tokio_util::sync::CancellationToken;

use crate::convert::{error, error_of, opt, record};
use crate::dto::{ErrorDto, EventList, PageDto, QueryDto};
use crate::events::{Queue, drain};
use crate::session::{Runtime, Session};
use crate::{NativeStatus, guarded};

/// An open pull. Every method takes `&self` (the handle is shared), so `cancel` may run on another
/// thread (Ctrl+C, `PowerShell.Stop()`) while `next_page` blocks on the pipeline thread.
#[ffi(service)]
pub struct Cursor {
    runtime: Arc<Runtime>,
    stream: Mutex<Option<BoxStream<'static, CoreResult<Page>>>>,
    /// An error found when opening (bad query), reported by the first `next_page`.
    pending: Mutex<Option<ErrorDto>>,
    /// The token of the last page fully handed out (or the query's own token).
    last_token: Mutex<Option<String>>,
    cancel: CancellationToken,
    done: AtomicBool,
    events: Queue,
}

impl std::fmt::Debug for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cursor")
            .field("cancelled", &self.cancel.is_cancelled())
            .field("done", &self.done.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

#[ffi]
impl Cursor {
    /// Opens a pull on a connected session. Never fails for a bad query: the first `next_page`
    /// reports it (so the message crosses as text).
    pub fn open(session: &Session, mut query: Wire<QueryDto>) -> ffi::Result<Self, NativeStatus> {
        guarded(|| {
            let q = query.unwire();
            let events = session.hub.listen();
            let mut cursor = Cursor {
                runtime: Arc::clone(&session.runtime),
                stream: Mutex::new(None),
                pending: Mutex::new(None),
                last_token: Mutex::new(opt(&q.continuation_token)),
                cancel: CancellationToken::new(),
                done: AtomicBool::new(false),
                events,
            };
            match (session.client.get(), build_query(&q)) {
                (None, _) => {
                    *cursor.pending.get_mut().unwrap() =
                        Some(error_of(Reason::NotConnected, "The session is not connected."))
                }
                (_, Err(e)) => *cursor.pending.get_mut().unwrap() = Some(*e),
                (Some(client), Ok(uq)) => {
                    let plan = SplitPlan::for_query(&uq, q.throttle_limit as usize);
                    let stream = if plan.is_trivial() { client.pages(uq) } else { client.pages_split(uq, plan) };
                    *cursor.stream.get_mut().unwrap() = Some(stream);
                }
            }
            cursor
        })
    }

    /// The next page; `done = 1` with no records when the pull is over; `error` set when it
    /// failed (kind `Cancelled` after `cancel`). Blocks the calling thread.
    pub fn next_page(&self) -> ffi::Result<Wire<PageDto>, NativeStatus> {
        guarded(|| Wire::from(self.next_inner()))
    }

    /// Makes a blocked or later `next_page` return a `Cancelled` error promptly. Thread-safe.
    pub fn cancel(&self) -> ffi::Result<u32, NativeStatus> {
        guarded(|| {
            self.cancel.cancel();
            1
        })
    }

    /// Verbose events queued since the last drain.
    pub fn drain_events(&self) -> ffi::Result<Wire<EventList>, NativeStatus> {
        guarded(|| Wire::from(EventList { events: drain(&self.events) }))
    }
}

fn page_error(e: ErrorDto) -> PageDto {
    PageDto { error: vec![e], ..done_page() }
}

fn done_page() -> PageDto {
    PageDto {
        records: Vec::new(),
        continuation_token: String::new(),
        request_id: String::new(),
        duplicates: Vec::new(),
        done: 1,
        error: Vec::new(),
    }
}

impl Cursor {
    fn resume_token(&self) -> String {
        self.last_token.lock().ok().and_then(|g| g.clone()).unwrap_or_default()
    }

    fn cancelled(&self) -> PageDto {
        let mut e = error_of(Reason::OperationCancelled, "The operation was cancelled.");
        e.resume_token = self.resume_token();
        page_error(e)
    }

    fn next_inner(&self) -> PageDto {
        if let Some(e) = self.pending.lock().ok().and_then(|mut g| g.take()) {
            self.done.store(true, Ordering::SeqCst);
            return page_error(e);
        }
        if self.cancel.is_cancelled() {
            return self.cancelled();
        }
        if self.done.load(Ordering::SeqCst) {
            return done_page();
        }
        let mut guard = match self.stream.lock() {
            Ok(g) => g,
            Err(_) => return page_error(error_of(Reason::InternalError, "The cursor is in use by another thread.")),
        };
        let Some(stream) = guard.as_mut() else {
            self.done.store(true, Ordering::SeqCst);
            return done_page();
        };
        let cancel = self.cancel.clone();
        let next = self.runtime.get().block_on(async move {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => None,
                item = stream.next() => Some(item),
            }
        });
        match next {
            None => self.cancelled(),
            Some(None) => {
                self.done.store(true, Ordering::SeqCst);
                *guard = None;
                done_page()
            }
            Some(Some(Ok(page))) => {
                if let Ok(mut t) = self.last_token.lock() {
                    *t = page.continuation_token.clone();
                }
                PageDto {
                    records: page.records.iter().map(record).collect(),
                    continuation_token: page.continuation_token.unwrap_or_default(),
                    request_id: page.request_id.unwrap_or_default(),
                    duplicates: page.duplicates,
                    done: 0,
                    error: Vec::new(),
                }
            }
            Some(Some(Err(e))) => {
                self.done.store(true, Ordering::SeqCst);
                *guard = None;
                let mut dto = error(&e);
                if dto.resume_token.is_empty() {
                    dto.resume_token = self.resume_token();
                }
                page_error(dto)
            }
        }
    }
}

fn build_query(q: &QueryDto) -> Result<UsageQuery, Box<ErrorDto>> {
    let api = match q.api.to_ascii_lowercase().as_str() {
        "tenant" => Api::Tenant,
        "provider" => Api::Provider,
        other => {
            return Err(Box::new(error_of(
                Reason::InvalidArgument,
                format!("Unknown API '{other}' (expected Tenant or Provider)."),
            )));
        }
    };
    let start = parse_time(&q.start).map_err(|e| Box::new(error(&e)))?;
    let end = parse_time(&q.end).map_err(|e| Box::new(error(&e)))?;
    let mut uq = UsageQuery::new(api, q.subscription_id.trim(), start, end);
    if !q.granularity.trim().is_empty() {
        uq.granularity = q.granularity.trim().parse::<Granularity>().map_err(|e| Box::new(error(&e)))?;
    }
    uq.show_details = q.show_details != 0;
    uq.subscriber_id = opt(&q.subscriber_id);
    uq.continuation_token = opt(&q.continuation_token);
    uq.validate(Utc::now()).map_err(|e| Box::new(error(&e)))?;
    Ok(uq)
}
