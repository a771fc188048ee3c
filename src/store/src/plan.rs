//! The chunk grid: which reported windows a run syncs (docs/sync.md).
//!
//! Windows are the cells of a fixed grid (`chunk` long, aligned to 00:00Z of 1970-01-01, so to
//! whole days for chunks of whole days) clipped to the run's range. A window already stored is
//! never split: a grid boundary that falls inside one is dropped and the range grows to cover
//! stored windows it cuts, so that every stored window ends up wholly inside one planned window
//! and is replaced as a whole.

use chrono::{DateTime, Duration, DurationRound, TimeZone, Utc};

use azs_usage_core::Granularity;

use crate::error::{Error, Result};
use crate::model::{Window, instant_text};

/// The last reported instant that is complete at `now`: the current hour (Hourly) or day (Daily)
/// is still being processed, so a run stops at its start.
pub(crate) fn last_complete(granularity: Granularity, now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(unit(granularity)).unwrap_or(now)
}

/// The query alignment of a granularity: whole hours, or 00:00Z.
pub(crate) fn unit(granularity: Granularity) -> Duration {
    match granularity {
        Granularity::Hourly => Duration::hours(1),
        Granularity::Daily => Duration::days(1),
    }
}

/// Checks that `t` is aligned for `granularity`; `what` names the option in the message.
pub(crate) fn check_aligned(granularity: Granularity, t: DateTime<Utc>, what: &str) -> Result<()> {
    if t.duration_trunc(unit(granularity)).ok() == Some(t) {
        return Ok(());
    }
    let rule = match granularity {
        Granularity::Hourly => "a whole hour (e.g. 2026-11-01T13:00:00Z)",
        Granularity::Daily => "00:00Z of a day (e.g. 2026-11-01)",
    };
    Err(Error::invalid_time_range(format!("{what} {} is not {rule}", instant_text(&t))))
}

/// Checks a chunk length: a positive number of hours (Hourly) or whole days (Daily).
pub(crate) fn check_chunk(granularity: Granularity, chunk: Duration) -> Result<()> {
    let u = unit(granularity);
    if chunk < u || chunk.num_seconds() % u.num_seconds() != 0 {
        let rule = match granularity {
            Granularity::Hourly => "a whole number of hours",
            Granularity::Daily => "a whole number of days (24, 48, ... hours)",
        };
        return Err(Error::invalid_argument(format!(
            "a chunk of {} hours is not {rule} for {granularity} data",
            chunk.num_hours()
        )));
    }
    Ok(())
}

/// The windows covering `[start, end)` on the grid of `chunk`, adjusted so that none cuts a
/// window of `stored` (sorted, disjoint). Empty when `start >= end`.
pub(crate) fn plan_windows(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    chunk: Duration,
    stored: &[Window],
) -> Vec<Window> {
    if start >= end {
        return Vec::new();
    }
    let (mut start, mut end) = (start, end);
    // Grow the range to whole stored windows at both ends.
    for w in stored {
        if w.start < start && start < w.end {
            start = w.start;
        }
        if w.start < end && end < w.end {
            end = w.end;
        }
    }
    let epoch = Utc.timestamp_opt(0, 0).single().unwrap_or(start);
    let step = chunk.num_seconds().max(1);
    let first_cell = (start - epoch).num_seconds().div_euclid(step);
    let mut bounds = vec![start];
    let mut cell = first_cell + 1;
    loop {
        let b = epoch + Duration::seconds(cell * step);
        if b >= end {
            break;
        }
        bounds.push(b);
        cell += 1;
    }
    bounds.push(end);
    // A boundary strictly inside a stored window would split it: drop it.
    bounds.retain(|b| *b == start || *b == end || !stored.iter().any(|w| w.start < *b && *b < w.end));
    bounds.windows(2).map(|p| Window { start: p[0], end: p[1] }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
    }
    fn w(a: DateTime<Utc>, b: DateTime<Utc>) -> Window {
        Window { start: a, end: b }
    }

    #[test]
    fn cells_are_aligned_and_clipped() {
        let got = plan_windows(t(1, 5), t(3, 7), Duration::days(1), &[]);
        assert_eq!(got, vec![w(t(1, 5), t(2, 0)), w(t(2, 0), t(3, 0)), w(t(3, 0), t(3, 7))]);
        assert!(plan_windows(t(3, 0), t(3, 0), Duration::days(1), &[]).is_empty());
        let hours = plan_windows(t(1, 0), t(1, 3), Duration::hours(1), &[]);
        assert_eq!(hours.len(), 3);
    }

    #[test]
    fn stored_windows_are_never_cut() {
        // A first run stopped at 21:00 stored [0:00, 21:00); an hourly run stored [21:00, 22:00).
        let stored = vec![w(t(1, 0), t(1, 21)), w(t(1, 21), t(1, 22))];
        // Re-syncing 10:00-12:00 re-pulls the whole stored window around it.
        assert_eq!(plan_windows(t(1, 10), t(1, 12), Duration::days(1), &stored), vec![w(t(1, 0), t(1, 21))]);
        // A range that covers both keeps them as separate windows or merges them, never cuts one.
        let got = plan_windows(t(1, 0), t(2, 6), Duration::days(1), &stored);
        assert_eq!(got, vec![w(t(1, 0), t(2, 0)), w(t(2, 0), t(2, 6))]);
        for s in &stored {
            assert!(got.iter().any(|p| p.start <= s.start && s.end <= p.end), "{s} inside one window");
        }
        // A range ending inside a stored window grows to its end.
        assert_eq!(plan_windows(t(1, 0), t(1, 5), Duration::hours(1), &stored).last().unwrap().end, t(1, 21));
    }

    #[test]
    fn alignment_and_chunks() {
        assert!(check_aligned(Granularity::Hourly, t(1, 5), "--since").is_ok());
        assert!(check_aligned(Granularity::Daily, t(1, 5), "--since").unwrap_err().message().contains("00:00Z"));
        assert!(check_chunk(Granularity::Daily, Duration::hours(36)).is_err());
        assert!(check_chunk(Granularity::Daily, Duration::hours(48)).is_ok());
        assert!(check_chunk(Granularity::Hourly, Duration::hours(0)).is_err());
        assert_eq!(last_complete(Granularity::Hourly, t(1, 5) + Duration::minutes(59)), t(1, 5));
    }
}
