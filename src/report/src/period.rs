//! The period a report covers: a calendar month, a range, or everything in the input.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

/// Which rows a report keeps, by their charge period start (FOCUS `ChargePeriodStart`, the usage
/// start of unpriced records). Starts are inclusive, ends exclusive, as in FOCUS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Period {
    /// Every row of the input; the report shows the days the rows cover.
    #[default]
    All,
    /// Rows starting in `[start, end)`.
    Range {
        /// First instant kept.
        start: DateTime<Utc>,
        /// First instant no longer kept.
        end: DateTime<Utc>,
    },
}

impl Period {
    /// The calendar month (UTC) written `YYYY-MM`, or an error that says the expected form.
    pub fn month(text: &str) -> std::result::Result<Period, String> {
        let bad = || format!("'{text}' is not a month: write it as YYYY-MM, e.g. 2026-11");
        let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        let first = NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(bad)?;
        let next = if m == 12 { NaiveDate::from_ymd_opt(y + 1, 1, 1) } else { NaiveDate::from_ymd_opt(y, m + 1, 1) }
            .ok_or_else(bad)?;
        Ok(Period::Range { start: midnight(first), end: midnight(next) })
    }

    /// `[start, end)`, or an error when the range is empty.
    pub fn range(start: DateTime<Utc>, end: DateTime<Utc>) -> std::result::Result<Period, String> {
        if start >= end {
            return Err(format!(
                "the period is empty: --from {} is not before --to {}",
                start.format("%Y-%m-%dT%H:%M:%SZ"),
                end.format("%Y-%m-%dT%H:%M:%SZ")
            ));
        }
        Ok(Period::Range { start, end })
    }

    /// True when a row starting at `start` belongs to the period.
    pub fn contains(&self, start: DateTime<Utc>) -> bool {
        match self {
            Period::All => true,
            Period::Range { start: s, end: e } => *s <= start && start < *e,
        }
    }

    /// A name for titles: `2026-11` for a whole month, `2026-11-01 – 2026-11-15` for a range.
    pub(crate) fn label(&self, seen: Option<(DateTime<Utc>, DateTime<Utc>)>) -> String {
        let (start, end) = match (self, seen) {
            (Period::Range { start, end }, _) => (*start, *end),
            (Period::All, Some(seen)) => seen,
            (Period::All, None) => return "no data".to_string(),
        };
        let whole_month = start.day() == 1
            && start == midnight(start.date_naive())
            && end
                == midnight(start.date_naive().checked_add_months(chrono::Months::new(1)).unwrap_or(end.date_naive()));
        if whole_month {
            start.format("%Y-%m").to_string()
        } else {
            format!("{} – {}", format_instant_or_day(start), format_instant_or_day(end))
        }
    }

    /// The days a daily chart shows: the period's days (a range), or those the data covers.
    pub(crate) fn days(&self, seen: Option<(DateTime<Utc>, DateTime<Utc>)>) -> Vec<NaiveDate> {
        let (start, end) = match (self, seen) {
            (Period::Range { start, end }, _) => (*start, *end),
            (Period::All, Some(seen)) => seen,
            (Period::All, None) => return Vec::new(),
        };
        let first = start.date_naive();
        // The end is exclusive: a period ending at midnight does not show that day.
        let last = (end - chrono::Duration::nanoseconds(1)).date_naive();
        first.iter_days().take_while(|d| *d <= last).collect()
    }
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

fn format_instant_or_day(t: DateTime<Utc>) -> String {
    if t == midnight(t.date_naive()) {
        t.format("%Y-%m-%d").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%MZ").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_and_label() {
        let p = Period::month("2026-12").unwrap();
        let Period::Range { start, end } = p else { panic!() };
        assert_eq!(start.to_rfc3339(), "2026-12-01T00:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2027-01-01T00:00:00+00:00");
        assert_eq!(p.label(None), "2026-12");
        assert_eq!(p.days(None).len(), 31);
        assert!(p.contains(start) && !p.contains(end));
        for bad in ["2026-13", "2026", "26-01", "2026-1", "x"] {
            assert!(Period::month(bad).unwrap_err().contains("YYYY-MM"), "{bad}");
        }
    }

    #[test]
    fn ranges_label_with_days() {
        let s = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let e = Utc.with_ymd_and_hms(2026, 11, 3, 0, 0, 0).unwrap();
        let p = Period::range(s, e).unwrap();
        assert_eq!(p.label(None), "2026-11-01 – 2026-11-03");
        assert_eq!(p.days(None).len(), 2);
        assert!(Period::range(e, s).unwrap_err().contains("empty"));
        assert_eq!(Period::All.label(None), "no data");
        assert_eq!(Period::All.days(Some((s, e))).len(), 2);
    }
}
