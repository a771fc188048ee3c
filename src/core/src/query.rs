//! A usage query: which API, which subscription, which reported-time window, and how it is
//! validated and turned into a request URL.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use url::Url;
use uuid::Uuid;

use crate::endpoint;
use crate::error::{Error, Reason, Result};
use crate::record::format_instant;

/// The default `api-version` of both usage APIs.
pub const DEFAULT_API_VERSION: &str = "2015-06-01-preview";

/// Which usage API a query targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// `{arm}/subscriptions/{sub}/providers/Microsoft.Commerce/usageAggregates` (one subscription).
    Tenant,
    /// `{adminArm}/subscriptions/{providerSub}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates`.
    Provider,
}

/// Aggregation granularity. Parses any case (`hourly`, `HOURLY`); prints the canonical form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Granularity {
    /// One bucket per UTC day; times must be at 00:00Z.
    #[default]
    Daily,
    /// One bucket per UTC hour; times must be on the hour.
    Hourly,
}

/// A fully specified query. Build it, call [`UsageQuery::validate`], then hand it to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageQuery {
    /// Which API.
    pub api: Api,
    /// Tenant API: the subscription to read. Provider API: the provider subscription.
    pub subscription_id: String,
    /// Reported start (inclusive), normalised to UTC.
    pub start: DateTime<Utc>,
    /// Reported end (exclusive), normalised to UTC.
    pub end: DateTime<Utc>,
    /// Daily or Hourly.
    pub granularity: Granularity,
    /// `showDetails` (instance-level rows when true).
    pub show_details: bool,
    /// Provider API only: restrict to one tenant subscription.
    pub subscriber_id: Option<String>,
    /// Resume from this token (as handed out by a previous page), percent-decoded.
    pub continuation_token: Option<String>,
    /// `api-version` to send.
    pub api_version: String,
}

impl Granularity {
    /// The canonical wire form (`Daily` / `Hourly`).
    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Daily => "Daily",
            Granularity::Hourly => "Hourly",
        }
    }

    /// Length of one bucket.
    pub fn step(self) -> chrono::Duration {
        match self {
            Granularity::Daily => chrono::Duration::days(1),
            Granularity::Hourly => chrono::Duration::hours(1),
        }
    }
}

impl fmt::Display for Granularity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Granularity {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "daily" => Ok(Granularity::Daily),
            "hourly" => Ok(Granularity::Hourly),
            _ => Err(Error::new(
                Reason::InvalidGranularity,
                format!("invalid granularity '{}': valid values are Daily and Hourly (any case)", s.trim()),
            )),
        }
    }
}

/// Parses an ISO 8601 instant: `2024-05-01T13:00:00Z`, `2024-05-01T06:00:00.0000000-07:00`,
/// or a bare date `2024-05-01` (= 00:00Z). The result is UTC.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc));
    }
    // RFC 3339 forbids a space separator and a lower-case 'z'; ISO 8601 users type both.
    let alt = t.replacen(' ', "T", 1).replace('z', "Z");
    if let Ok(dt) = DateTime::parse_from_rfc3339(&alt) {
        return Ok(dt.with_timezone(&Utc));
    }
    // Offsets without a colon (+0200) are valid ISO 8601 too.
    if let Ok(dt) = DateTime::parse_from_str(&alt, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Ok(dt.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d.and_time(NaiveTime::MIN).and_utc());
    }
    let hint = if NaiveDateTime::parse_from_str(&alt, "%Y-%m-%dT%H:%M:%S%.f").is_ok() {
        " (it has no time zone: add 'Z' for UTC or an offset such as +02:00)"
    } else {
        ""
    };
    Err(Error::new(
        Reason::InvalidTimeRange,
        format!(
            "invalid time '{t}'{hint}: use ISO 8601 with 'Z' or an offset, e.g. 2024-05-01T13:00:00Z, \
         2024-05-01T06:00:00-07:00, or a date such as 2024-05-01 (= 00:00Z)"
        ),
    ))
}

fn is_guid(s: &str) -> bool {
    // Hyphenated 8-4-4-4-12 only: that is the form ARM puts in paths.
    s.len() == 36 && Uuid::try_parse(s).is_ok()
}

impl UsageQuery {
    /// A query with the defaults: `Daily`, `showDetails=true`, no subscriber filter, no token,
    /// [`DEFAULT_API_VERSION`].
    pub fn new(api: Api, subscription_id: impl Into<String>, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        UsageQuery {
            api,
            subscription_id: subscription_id.into(),
            start,
            end,
            granularity: Granularity::Daily,
            show_details: true,
            subscriber_id: None,
            continuation_token: None,
            api_version: DEFAULT_API_VERSION.to_string(),
        }
    }

    /// Checks the query before it is sent, so mistakes surface with a fix instead of a terse 400.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<()> {
        if !is_guid(self.subscription_id.trim()) {
            return Err(Error::new(
                Reason::InvalidSubscriptionId,
                format!(
                    "subscription id '{}' is not a GUID (rule: subscription id must be a GUID such as \
                 00000000-1111-2222-3333-444444444444; pass the subscription's id, not its name)",
                    self.subscription_id
                ),
            ));
        }
        if let Some(sub) = &self.subscriber_id {
            if self.api == Api::Tenant {
                return Err(Error::new(
                    Reason::InvalidSubscriptionId,
                    "a subscriber id only applies to the provider API (rule: subscriberId is provider-only); \
                     drop it or query the provider API",
                ));
            }
            if !is_guid(sub.trim()) {
                return Err(Error::new(
                    Reason::InvalidSubscriptionId,
                    format!(
                        "subscriber id '{sub}' is not a GUID (rule: subscriber id must be a tenant subscription GUID \
                     such as 00000000-1111-2222-3333-444444444444)"
                    ),
                ));
            }
        }
        if self.start >= self.end {
            return Err(Error::new(
                Reason::InvalidTimeRange,
                format!(
                    "start {} is not before end {} (rule: start < end; the end is exclusive, so pick an end after the start)",
                    format_instant(&self.start),
                    format_instant(&self.end)
                ),
            ));
        }
        if self.end > now {
            return Err(Error::new(
                Reason::InvalidTimeRange,
                format!(
                    "end {} is in the future (rule: end must not be after now, {}); pick an earlier end",
                    format_instant(&self.end),
                    format_instant(&now)
                ),
            ));
        }
        for (what, t) in [("start", self.start), ("end", self.end)] {
            let on_hour = t.minute() == 0 && t.second() == 0 && t.nanosecond() == 0;
            match self.granularity {
                Granularity::Hourly if !on_hour => {
                    return Err(Error::new(
                        Reason::InvalidTimeRange,
                        format!(
                            "{what} {} is not on the hour (rule: Hourly queries need times on the hour, e.g. {})",
                            format_instant(&t),
                            format_instant(&floor_to(t, Granularity::Hourly))
                        ),
                    ));
                }
                Granularity::Daily if !(on_hour && t.hour() == 0) => {
                    return Err(Error::new(
                        Reason::InvalidTimeRange,
                        format!(
                            "{what} {} is not at 00:00Z (rule: Daily queries need times at UTC midnight, e.g. {}; \
                         or use Hourly granularity)",
                            format_instant(&t),
                            format_instant(&floor_to(t, Granularity::Daily))
                        ),
                    ));
                }
                _ => {}
            }
        }
        if self.api_version.trim().is_empty() {
            return Err(Error::new(
                Reason::InvalidApiVersion,
                format!("api-version is empty (rule: an api-version is required; use {DEFAULT_API_VERSION})"),
            ));
        }
        Ok(())
    }

    /// The URL of the first page (or of the page after `continuation_token`). The endpoint's own
    /// path prefix is kept; its query and fragment are dropped.
    pub fn url(&self, endpoint: &Url) -> Url {
        let mut url = endpoint::usage(endpoint, self.api, &self.subscription_id);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("api-version", &self.api_version);
            q.append_pair("reportedStartTime", &wire_time(&self.start));
            q.append_pair("reportedEndTime", &wire_time(&self.end));
            q.append_pair("aggregationGranularity", self.granularity.as_str());
            q.append_pair("showDetails", if self.show_details { "true" } else { "false" });
            if self.api == Api::Provider
                && let Some(s) = &self.subscriber_id
            {
                q.append_pair("subscriberId", s.trim());
            }
            if let Some(t) = &self.continuation_token {
                q.append_pair("continuationToken", t);
            }
        }
        url
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`: whole seconds, UTC, the form every server version accepts.
fn wire_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Floors `t` to the start of its hour or UTC day.
pub(crate) fn floor_to(t: DateTime<Utc>, g: Granularity) -> DateTime<Utc> {
    let hour = if g == Granularity::Daily { 0 } else { t.hour() };
    t.date_naive().and_hms_opt(hour, 0, 0).map(|n| n.and_utc()).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        parse_time(s).expect(s)
    }
    const SUB: &str = "42274f77-d385-4df0-b47f-a7822e095571";

    #[test]
    fn validation_errors_name_their_reason() {
        let now = t("2026-11-02T12:00:00Z");
        let q = |a: &str, b: &str| UsageQuery::new(Api::Tenant, SUB, t(a), t(b));
        let reason = |r: Result<()>| r.expect_err("invalid").reason;
        assert_eq!(reason(q("2026-10-02", "2026-10-01").validate(now)), Reason::InvalidTimeRange);
        assert_eq!(reason(q("2026-10-01T01:00:00Z", "2026-10-02").validate(now)), Reason::InvalidTimeRange);
        assert_eq!(reason(q("2026-10-01", "2026-11-03").validate(now)), Reason::InvalidTimeRange);
        let mut bad = q("2026-10-01", "2026-10-02");
        bad.subscription_id = "contoso".into();
        assert_eq!(reason(bad.validate(now)), Reason::InvalidSubscriptionId);
        let mut bad = q("2026-10-01", "2026-10-02");
        bad.subscriber_id = Some(SUB.into());
        assert_eq!(reason(bad.validate(now)), Reason::InvalidSubscriptionId, "subscriberId on the tenant API");
        let mut bad = q("2026-10-01", "2026-10-02");
        bad.api_version = " ".into();
        assert_eq!(reason(bad.validate(now)), Reason::InvalidApiVersion);
        assert_eq!(parse_time("yesterday").expect_err("bad").reason, Reason::InvalidTimeRange);
        assert_eq!("weekly".parse::<Granularity>().expect_err("bad").reason, Reason::InvalidGranularity);
        assert_eq!(parse_time("yesterday").expect_err("bad").code, None, "code is the service's only");
    }

    #[test]
    fn granularity_parses_any_case() {
        assert_eq!("hourly".parse::<Granularity>().unwrap(), Granularity::Hourly);
        assert_eq!("DAILY".parse::<Granularity>().unwrap(), Granularity::Daily);
        assert_eq!(" Hourly ".parse::<Granularity>().unwrap(), Granularity::Hourly);
        let e = "weekly".parse::<Granularity>().unwrap_err();
        assert!(e.message.contains("weekly") && e.message.contains("Daily") && e.message.contains("Hourly"));
        assert_eq!(Granularity::Hourly.to_string(), "Hourly");
    }

    #[test]
    fn parse_time_forms() {
        assert_eq!(t("2019-12-10T11:00:00.0000000-08:00"), t("2019-12-10T19:00:00Z"));
        assert_eq!(t("2024-05-01"), t("2024-05-01T00:00:00Z"));
        assert_eq!(t("2024-05-01T02:00:00+02:00"), t("2024-05-01T00:00:00Z"));
        assert_eq!(t("2024-05-01 00:00:00z"), t("2024-05-01T00:00:00Z"));
        assert_eq!(t("2024-05-01T02:00:00+0200"), t("2024-05-01T00:00:00Z"));
        assert_eq!(t("2024-05-01T00:00:00.1234567Z").nanosecond(), 123_456_700);
        let e = parse_time("yesterday").unwrap_err();
        assert_eq!(e.reason, Reason::InvalidTimeRange);
        assert!(e.message.contains("'yesterday'") && e.message.contains("2024-05-01T13:00:00Z"));
        let e = parse_time("2024-05-01T00:00:00").unwrap_err();
        assert!(e.message.contains("no time zone"), "{}", e.message);
    }

    #[test]
    fn validation_rules() {
        let now = t("2024-06-01T12:30:00Z");
        let ok = UsageQuery::new(Api::Tenant, SUB, t("2024-05-01"), t("2024-05-02"));
        ok.validate(now).unwrap();

        let mut q = ok.clone();
        q.end = q.start;
        assert!(q.validate(now).unwrap_err().message.contains("start < end"));

        let mut q = ok.clone();
        q.end = t("2024-06-02");
        assert!(q.validate(now).unwrap_err().message.contains("in the future"));

        let mut q = ok.clone();
        q.start = t("2024-05-01T13:00:00Z");
        let e = q.validate(now).unwrap_err();
        assert!(e.message.contains("00:00Z") && e.message.contains("Daily"), "{}", e.message);
        q.granularity = Granularity::Hourly;
        q.validate(now).unwrap();
        q.start = t("2024-05-01T13:30:00Z");
        assert!(q.validate(now).unwrap_err().message.contains("on the hour"));

        let mut q = ok.clone();
        q.subscription_id = "my-subscription".into();
        assert!(q.validate(now).unwrap_err().message.contains("GUID"));

        let mut q = ok.clone();
        q.api = Api::Provider;
        q.subscriber_id = Some("nope".into());
        assert!(q.validate(now).unwrap_err().message.contains("subscriber id"));
        q.subscriber_id = Some(SUB.into());
        q.validate(now).unwrap();
        q.api = Api::Tenant;
        assert!(q.validate(now).unwrap_err().message.contains("provider"));
    }

    #[test]
    fn url_building() {
        let ep = Url::parse("https://adminmanagement.local.azurestack.external/prefix/").unwrap();
        let mut q = UsageQuery::new(Api::Provider, SUB, t("2024-05-01T01:00:00+01:00"), t("2024-05-02"));
        q.subscriber_id = Some(SUB.into());
        q.continuation_token = Some("eyJyIjoi+/=".into());
        let u = q.url(&ep);
        assert_eq!(
            u.as_str(),
            format!(
                "https://adminmanagement.local.azurestack.external/prefix/subscriptions/{SUB}/providers/\
                 Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version=2015-06-01-preview\
                 &reportedStartTime=2024-05-01T00%3A00%3A00Z&reportedEndTime=2024-05-02T00%3A00%3A00Z\
                 &aggregationGranularity=Daily&showDetails=true&subscriberId={SUB}\
                 &continuationToken=eyJyIjoi%2B%2F%3D"
            )
        );
        let ep = Url::parse("http://127.0.0.1:8080").unwrap();
        let mut q = UsageQuery::new(Api::Tenant, SUB, t("2024-05-01"), t("2024-05-02"));
        q.subscriber_id = Some(SUB.into()); // ignored by the tenant API
        let u = q.url(&ep);
        assert_eq!(u.path(), format!("/subscriptions/{SUB}/providers/Microsoft.Commerce/usageAggregates"));
        assert!(!u.as_str().contains("subscriberId") && !u.as_str().contains("continuationToken"));
    }
}
