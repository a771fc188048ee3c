//! Verbose events: the core's hook pushes them here; cursors (or the session) queue them until the
//! cmdlet drains them on the pipeline thread and writes them with `WriteVerbose`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};

use azs_usage_core::ClientEvent;

use crate::dto::EventDto;

/// At most this many events wait in one queue; older ones are dropped first.
const MAX_QUEUED: usize = 2000;

/// One queue of events.
pub(crate) type Queue = Arc<Mutex<VecDeque<EventDto>>>;

/// Routes the client's events: to every open cursor's queue, or to the session's own queue when
/// no cursor listens (connect, default subscription). With two pulls at once on one connection
/// both cursors see both pulls' events.
#[derive(Debug, Default)]
pub(crate) struct Hub {
    session: Queue,
    listeners: Mutex<Vec<Weak<Mutex<VecDeque<EventDto>>>>>,
}

impl Hub {
    /// A new queue that receives events until it is dropped.
    pub(crate) fn listen(&self) -> Queue {
        let q: Queue = Arc::default();
        if let Ok(mut l) = self.listeners.lock() {
            l.retain(|w| w.strong_count() > 0);
            l.push(Arc::downgrade(&q));
        }
        q
    }

    /// Queues one event.
    pub(crate) fn push(&self, e: &ClientEvent) {
        let dto = render(e);
        let live: Vec<Queue> = match self.listeners.lock() {
            Ok(l) => l.iter().filter_map(Weak::upgrade).collect(),
            Err(_) => Vec::new(),
        };
        if live.is_empty() {
            push_to(&self.session, dto);
        } else {
            for q in live {
                push_to(&q, dto.clone());
            }
        }
    }

    /// Takes the session's queued events.
    pub(crate) fn drain_session(&self) -> Vec<EventDto> {
        drain(&self.session)
    }
}

fn push_to(q: &Queue, e: EventDto) {
    if let Ok(mut g) = q.lock() {
        if g.len() >= MAX_QUEUED {
            g.pop_front();
        }
        g.push_back(e);
    }
}

/// Takes every queued event.
pub(crate) fn drain(q: &Queue) -> Vec<EventDto> {
    q.lock().map(|mut g| g.drain(..).collect()).unwrap_or_default()
}

/// Renders an event as one verbose line.
pub(crate) fn render(e: &ClientEvent) -> EventDto {
    let (kind, message) = match e {
        ClientEvent::Request { method, url } => ("Request", format!("{method} {url}")),
        ClientEvent::Response { status, request_id, elapsed } => (
            "Response",
            match request_id {
                Some(id) => format!("HTTP {status} in {} ms (x-ms-request-id {id})", elapsed.as_millis()),
                None => format!("HTTP {status} in {} ms", elapsed.as_millis()),
            },
        ),
        ClientEvent::RetryWait { attempt, delay, reason } => {
            ("RetryWait", format!("Attempt {attempt} failed ({reason}); retrying in {:.1} s", delay.as_secs_f64()))
        }
        ClientEvent::Duplicate { key } => {
            ("Duplicate", format!("Duplicate record key repeated from an earlier page: {key}"))
        }
    };
    EventDto { kind: kind.to_string(), message }
}
