//! The usage APIs: provider `subscriberUsageAggregates` and tenant `usageAggregates`.
//!
//! Validation order (usage-api.md §8.2), after authentication (401), subscription existence (404
//! `SubscriptionNotFound`) and RBAC (403 `AuthorizationFailed`):
//! 1. `api-version` present (`NoApiVersion`) and supported (`NoRegisteredProviderFound`);
//! 2. `reportedStartTime`/`reportedEndTime`, when present, parse as ISO 8601 (400 `BadRequest` with the
//!    service's message `The reported date time '…' is not in ISO 8601 format(YYYY-MM-DDTHH:mm:ss.sssZ).`;
//!    an unescaped `+` arrives as a space and fails here, as on a real stamp);
//! 3. both present (`InvalidProperty` naming the property);
//! 4. `aggregationGranularity` is Daily/Hourly, any case (`InvalidAggregationGranularity`);
//! 5. **our choice, the real behaviour is an open question:** start < end, and both aligned to the hour
//!    (Hourly) or to 00:00Z (Daily), else `InvalidProperty` naming the property;
//! 6. end not after now (`RequestEndTimeIsInFuture`);
//! 7. provider `subscriberId` is a tenant subscription of the stamp, deleted ones included
//!    (`SubscriberIdIsNotDirectTenant`);
//! 8. `showDetails` is true/false, `continuationToken` is one of ours for this very query
//!    (`InvalidProperty` naming it).
//!
//! Repeated parameters are joined with ',' (what ASP.NET model binding does), so a repeated time
//! fails the ISO check. Parameter names are matched case-insensitively.
//!
//! Paging: Hourly pages are keyset pages over `(reported, id)` bounded by a snapshot row id taken on
//! the first page, so records ingested during a pull are neither seen nor able to shift pages. Daily
//! and `showDetails=false` results are aggregated once per (query, snapshot) and cached; their pages
//! are keyset pages over the aggregate key. The continuation token is base64url JSON
//! `{"f":fingerprint,"s":snapshot,"k":last key}` + '.' + an HMAC-SHA256 tag, so it is opaque and
//! tamper-evident. `showDetails=false` records carry no `instanceData` (as in public Azure, where the
//! aggregated line has no instance).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use hmac::{Hmac, Mac};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::auth::Caller;
use super::error::{ApiError, json_response};
use super::{AppState, base_url};
use crate::store::{HourlyRow, Role, Selection, SubKind, add_quantity, format_decimal};

/// The only api-version the usage APIs know.
pub const API_VERSION: &str = "2015-06-01-preview";

/// Which usage API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    Provider,
    Tenant,
}

/// Query parameters by lower-cased name; repeated values joined with ','.
pub(crate) fn query_params(uri: &Uri) -> BTreeMap<String, String> {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    if let Some(q) = uri.query() {
        for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
            map.entry(k.to_ascii_lowercase())
                .and_modify(|e| {
                    e.push(',');
                    e.push_str(&v)
                })
                .or_insert_with(|| v.into_owned());
        }
    }
    map
}

/// Parse an ISO 8601 date-time like .NET's DateTimeOffset would: `Z` or a numeric offset (or none =
/// UTC), up to 7 fractional digits, date-only = midnight UTC. The doc's odd `+00:00Z` is tolerated.
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if t.is_empty() || t.len() > 40 {
        return None;
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?));
    }
    let t = if t.len() > 6
        && (t.ends_with('Z') || t.ends_with('z'))
        && t[..t.len() - 1].rfind(['+', '-']).is_some_and(|i| i > 10)
    {
        &t[..t.len() - 1] // "+00:00Z"
    } else {
        t
    };
    if let Ok(d) = DateTime::<FixedOffset>::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M%:z", "%Y-%m-%dT%H:%M:%S%.f%z"] {
        if let Ok(d) = DateTime::parse_from_str(t, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t.trim_end_matches(['Z', 'z']), f) {
            return Some(Utc.from_utc_datetime(&d));
        }
    }
    None
}

fn iso_error(text: &str) -> ApiError {
    let shown: String = text.chars().take(100).collect();
    ApiError::bad_request(
        "BadRequest",
        format!("The reported date time '{shown}' is not in ISO 8601 format(YYYY-MM-DDTHH:mm:ss.sssZ)."),
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Granularity {
    Daily,
    Hourly,
}

/// A validated usage query.
#[derive(Debug, Clone)]
pub(crate) struct Validated {
    pub(crate) api: Api,
    pub(crate) caller_sub: String,
    pub(crate) sub_row: Option<i64>,
    pub(crate) start: DateTime<Utc>,
    pub(crate) end: DateTime<Utc>,
    pub(crate) granularity: Granularity,
    pub(crate) show_details: bool,
    pub(crate) subscriber: Option<String>,
    pub(crate) cursor: Option<Cursor>,
    pub(crate) page_size: usize,
}

impl Validated {
    fn fingerprint(&self) -> String {
        let text = format!(
            "{:?}|{}|{}|{}|{:?}|{}|{}",
            self.api,
            self.caller_sub,
            self.start.timestamp(),
            self.end.timestamp(),
            self.granularity,
            self.show_details,
            self.subscriber.as_deref().unwrap_or("")
        );
        let d = Sha256::digest(text.as_bytes());
        d[..12].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The decoded continuation token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Cursor {
    f: String,
    s: i64,
    k: serde_json::Value,
}

fn mac(key: &[u8], data: &[u8]) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("hmac accepts any key length");
    m.update(data);
    m
}

fn encode_cursor(key: &[u8], c: &Cursor) -> String {
    let payload = serde_json::to_vec(c).unwrap_or_default();
    let tag = mac(key, &payload).finalize().into_bytes();
    format!("{}.{}", B64.encode(&payload), B64.encode(&tag[..16]))
}

fn decode_cursor(key: &[u8], token: &str) -> Option<Cursor> {
    if token.len() > 4096 {
        return None;
    }
    let (p, t) = token.trim().split_once('.')?;
    let payload = B64.decode(p.trim_end_matches('=')).ok()?;
    let tag = B64.decode(t.trim_end_matches('=')).ok()?;
    let full = mac(key, &payload).finalize().into_bytes();
    if tag.len() != 16 || !constant_eq(&tag, &full[..16]) {
        return None;
    }
    serde_json::from_slice(&payload).ok()
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn bad_token() -> ApiError {
    ApiError::invalid_property(
        "continuationToken",
        "the continuation token is malformed or does not belong to this query.",
    )
}

/// Validate a usage request (after authentication).
pub(crate) fn validate(
    state: &AppState,
    api: Api,
    path_sub: &str,
    caller: &Caller,
    uri: &Uri,
) -> Result<Validated, ApiError> {
    let subs = state.subscriptions();
    let found = subs.iter().find(|s| s.subscription_id.eq_ignore_ascii_case(path_sub));
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "SubscriptionNotFound",
            format!("The subscription '{}' could not be found.", path_sub.chars().take(64).collect::<String>()),
        )
    };
    let forbidden = |action: &str| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "AuthorizationFailed",
            format!(
                "The client '{oid}' with object id '{oid}' does not have authorization to perform action '{action}' over scope '/subscriptions/{}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
                path_sub.chars().take(64).collect::<String>(),
                oid = caller.object_id
            ),
        )
    };
    let sub = found.ok_or_else(not_found)?;
    match api {
        Api::Provider => {
            if caller.role != Role::Admin {
                return Err(forbidden("Microsoft.Commerce.Admin/subscriberUsageAggregates/read"));
            }
            if sub.kind != SubKind::Provider {
                return Err(forbidden("Microsoft.Commerce.Admin/subscriberUsageAggregates/read"));
            }
        }
        Api::Tenant => {
            if sub.kind != SubKind::Tenant || sub.state != "Enabled" {
                return Err(not_found());
            }
            if caller.role != Role::Admin && sub.tenant.as_deref() != Some(caller.name.as_str()) {
                return Err(forbidden("Microsoft.Commerce/usageAggregates/read"));
            }
        }
    }
    let q = query_params(uri);
    // 1. api-version
    match q.get("api-version").map(String::as_str) {
        None | Some("") => {
            return Err(ApiError::bad_request(
                "NoApiVersion",
                "The api-version query parameter (?api-version=) is required for all requests.",
            ));
        }
        Some(v) if v != API_VERSION => {
            return Err(ApiError::bad_request(
                "NoRegisteredProviderFound",
                format!(
                    "No registered resource provider found for location 'local' and API version '{}'. The supported api-versions are '{API_VERSION}'.",
                    v.chars().take(64).collect::<String>()
                ),
            ));
        }
        _ => {}
    }
    // 2. ISO 8601
    let start_text = q.get("reportedstarttime").filter(|s| !s.is_empty());
    let end_text = q.get("reportedendtime").filter(|s| !s.is_empty());
    let start = start_text.map(|t| parse_time(t).ok_or_else(|| iso_error(t))).transpose()?;
    let end = end_text.map(|t| parse_time(t).ok_or_else(|| iso_error(t))).transpose()?;
    // 3. required
    let start = start.ok_or_else(|| ApiError::invalid_property("reportedStartTime", "the value is required."))?;
    let end = end.ok_or_else(|| ApiError::invalid_property("reportedEndTime", "the value is required."))?;
    // 4. granularity
    let granularity = match q.get("aggregationgranularity").map(|s| s.to_ascii_lowercase()) {
        None => Granularity::Daily,
        Some(g) if g == "daily" => Granularity::Daily,
        Some(g) if g == "hourly" => Granularity::Hourly,
        Some(g) => {
            return Err(ApiError::bad_request(
                "InvalidAggregationGranularity",
                format!(
                    "The aggregation granularity '{}' is not supported. Supported values are 'Daily' and 'Hourly'.",
                    g.chars().take(40).collect::<String>()
                ),
            ));
        }
    };
    // 5. range and alignment (our choice).
    if start >= end {
        return Err(ApiError::invalid_property("reportedEndTime", "it must be later than reportedStartTime."));
    }
    let aligned = |t: &DateTime<Utc>| {
        t.minute() == 0
            && t.second() == 0
            && t.nanosecond() == 0
            && (granularity == Granularity::Hourly || t.hour() == 0)
    };
    let unit = if granularity == Granularity::Hourly {
        "an hour (e.g. 13:00:00Z) for Hourly"
    } else {
        "a day (00:00:00Z) for Daily"
    };
    if !aligned(&start) {
        return Err(ApiError::invalid_property(
            "reportedStartTime",
            format!("the time must be rounded to {unit} granularity."),
        ));
    }
    if !aligned(&end) {
        return Err(ApiError::invalid_property(
            "reportedEndTime",
            format!("the time must be rounded to {unit} granularity."),
        ));
    }
    // 6. future
    let now = state.now();
    if end > now {
        return Err(ApiError::bad_request(
            "RequestEndTimeIsInFuture",
            format!("The reported end time '{}' is in the future.", end.format("%Y-%m-%dT%H:%M:%SZ")),
        ));
    }
    let _ = now.year();
    // 7. subscriberId
    let mut sub_row = if api == Api::Tenant { Some(sub.row) } else { None };
    let mut subscriber = None;
    if let (Api::Provider, Some(sid)) = (api, q.get("subscriberid").filter(|s| !s.is_empty())) {
        {
            let t = subs
                .iter()
                .find(|s| s.kind == SubKind::Tenant && s.subscription_id.eq_ignore_ascii_case(sid.trim()))
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "SubscriberIdIsNotDirectTenant",
                        format!(
                            "The subscriber '{}' is not a direct tenant of the provider.",
                            sid.chars().take(64).collect::<String>()
                        ),
                    )
                })?;
            sub_row = Some(t.row);
            subscriber = Some(t.subscription_id.clone());
        }
    }
    // 8. showDetails, page size, continuation token
    let show_details = match q.get("showdetails").map(|s| s.to_ascii_lowercase()) {
        None => true,
        Some(s) if s == "true" => true,
        Some(s) if s == "false" => false,
        Some(_) => {
            return Err(ApiError::invalid_property("showDetails", "expected 'true' or 'false'."));
        }
    };
    let page_size = match q.get("pagesize") {
        None => state.inner.page_size,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=10_000).contains(&n) => n,
            _ => {
                return Err(ApiError::invalid_property("pageSize", "expected an integer between 1 and 10000."));
            }
        },
    };
    let mut v = Validated {
        api,
        caller_sub: sub.subscription_id.clone(),
        sub_row,
        start,
        end,
        granularity,
        show_details,
        subscriber,
        cursor: None,
        page_size,
    };
    if let Some(tok) = q.get("continuationtoken").filter(|s| !s.is_empty()) {
        let c = decode_cursor(&state.inner.cursor_key, tok).ok_or_else(bad_token)?;
        if c.f != v.fingerprint() {
            return Err(bad_token());
        }
        v.cursor = Some(c);
    }
    Ok(v)
}

/// One aggregated record (Daily and/or showDetails=false).
#[derive(Debug, Clone)]
pub(crate) struct AggRow {
    key: (String, String, String, i64),
    bucket_len: i64,
    location: String,
    tags: String,
    info: String,
    quantity: Decimal,
}

fn ts(t: i64) -> String {
    let d = DateTime::from_timestamp(t, 0).unwrap_or_default();
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00", d.year(), d.month(), d.day(), d.hour(), d.minute(), d.second())
}

/// Append `s` as a JSON string literal.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn instance_data(uri: &str, location: &str, tags: &str, info: &str) -> String {
    let mut o = String::with_capacity(uri.len() + tags.len() + info.len() + 96);
    o.push_str("{\"Microsoft.Resources\":{\"resourceUri\":");
    push_json_str(&mut o, uri);
    o.push_str(",\"location\":");
    push_json_str(&mut o, location);
    o.push_str(",\"tags\":");
    push_json_str(&mut o, tags);
    o.push_str(",\"additionalInfo\":");
    push_json_str(&mut o, info);
    o.push_str("}}");
    o
}

#[allow(clippy::too_many_arguments)]
fn write_record(
    out: &mut String,
    caller_sub: &str,
    sub: &str,
    meter: &str,
    start: i64,
    end: i64,
    instance: Option<String>,
    quantity: &str,
) {
    let name = format!("{sub}-{meter}");
    let js = |s: &str| {
        let mut o = String::with_capacity(s.len() + 2);
        push_json_str(&mut o, s);
        o
    };
    out.push_str("{\"id\":");
    out.push_str(&js(&format!("/subscriptions/{caller_sub}/providers/Microsoft.Commerce/UsageAggregate/{name}")));
    out.push_str(",\"name\":");
    out.push_str(&js(&name));
    out.push_str(",\"type\":\"Microsoft.Commerce/UsageAggregate\",\"properties\":{\"subscriptionId\":");
    out.push_str(&js(sub));
    out.push_str(",\"usageStartTime\":\"");
    out.push_str(&ts(start));
    out.push_str("\",\"usageEndTime\":\"");
    out.push_str(&ts(end));
    out.push('"');
    if let Some(i) = instance {
        out.push_str(",\"instanceData\":");
        out.push_str(&js(&i));
    }
    out.push_str(",\"quantity\":");
    // Stored quantities are validated decimals: safe to write verbatim as a JSON number.
    out.push_str(quantity);
    out.push_str(",\"meterId\":");
    out.push_str(&js(meter));
    out.push_str(",\"name\":");
    out.push_str(&js(&name));
    out.push_str("}}");
}

/// Build the aggregated rows of a query (whole window at the snapshot), sorted by key.
fn aggregate(state: &AppState, v: &Validated, sel: &Selection) -> anyhow::Result<Vec<AggRow>> {
    let mut map: BTreeMap<(String, String, String, i64), (i64, AggRow)> = BTreeMap::new();
    let bucket_len = if v.granularity == Granularity::Daily { 86_400 } else { 3_600 };
    state.inner.store.for_each_row(sel, |r: HourlyRow| {
        let bucket = r.usage_start - r.usage_start.rem_euclid(bucket_len);
        let resource = if v.show_details { r.resource_uri.clone() } else { String::new() };
        let key = (r.subscription_id.clone(), r.meter_id.clone(), resource, bucket);
        let e = map.entry(key.clone()).or_insert_with(|| {
            (
                r.id,
                AggRow {
                    key,
                    bucket_len,
                    location: r.location.clone(),
                    tags: r.tags.clone(),
                    info: r.additional_info.clone(),
                    quantity: Decimal::ZERO,
                },
            )
        });
        add_quantity(&mut e.1.quantity, &r.quantity);
        if r.id > e.0 {
            // The instance data of the most recently reported hour wins (tags can change).
            e.0 = r.id;
            e.1.location = r.location;
            e.1.tags = r.tags;
            e.1.info = r.additional_info;
        }
    })?;
    Ok(map.into_values().map(|(_, a)| a).collect())
}

/// Serve one page of a validated query.
pub(crate) async fn page(state: &AppState, v: Validated, uri: &Uri, headers: &HeaderMap) -> Result<Response, ApiError> {
    let snapshot = match &v.cursor {
        Some(c) => c.s,
        None => {
            let st = state.inner.store.clone();
            tokio::task::spawn_blocking(move || st.snapshot()).await.map_err(|e| anyhow::anyhow!(e))??
        }
    };
    let sel = Selection { sub: v.sub_row, start: v.start.timestamp(), end: v.end.timestamp(), snapshot };
    let limit = v.page_size;
    let mut body = String::with_capacity(limit * 900 + 256);
    body.push_str("{\"value\":[");
    let next_key: Option<serde_json::Value>;
    if v.granularity == Granularity::Hourly && v.show_details {
        let after = match &v.cursor {
            Some(c) => Some(serde_json::from_value::<(i64, i64)>(c.k.clone()).map_err(|_| bad_token())?),
            None => None,
        };
        let st = state.inner.store.clone();
        let mut rows = tokio::task::spawn_blocking(move || st.hourly_page(&sel, after, limit + 1))
            .await
            .map_err(|e| anyhow::anyhow!(e))??;
        let more = rows.len() > limit;
        rows.truncate(limit);
        for (i, r) in rows.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            let inst = instance_data(&r.resource_uri, &r.location, &r.tags, &r.additional_info);
            write_record(
                &mut body,
                &v.caller_sub,
                &r.subscription_id,
                &r.meter_id,
                r.usage_start,
                r.usage_start + 3600,
                Some(inst),
                &r.quantity,
            );
        }
        next_key = if more { rows.last().map(|r| serde_json::json!([r.reported, r.id])) } else { None };
    } else {
        let fp = v.fingerprint();
        let rows = match state.cached(&fp, snapshot) {
            Some(rows) => rows,
            None => {
                let st2 = state.clone();
                let v2 = v.clone();
                let rows = tokio::task::spawn_blocking(move || aggregate(&st2, &v2, &sel))
                    .await
                    .map_err(|e| anyhow::anyhow!(e))??;
                let rows = Arc::new(rows);
                state.cache(fp, snapshot, rows.clone());
                rows
            }
        };
        let from = match &v.cursor {
            Some(c) => {
                let k: (String, String, String, i64) = serde_json::from_value(c.k.clone()).map_err(|_| bad_token())?;
                rows.partition_point(|r| r.key <= k)
            }
            None => 0,
        };
        let to = (from + limit).min(rows.len());
        for (i, r) in rows[from..to].iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            let inst = v.show_details.then(|| instance_data(&r.key.2, &r.location, &r.tags, &r.info));
            let q = format_decimal(&r.quantity);
            write_record(&mut body, &v.caller_sub, &r.key.0, &r.key.1, r.key.3, r.key.3 + r.bucket_len, inst, &q);
        }
        next_key = if to < rows.len() && to > from { Some(serde_json::json!(rows[to - 1].key)) } else { None };
    }
    body.push(']');
    if let Some(k) = next_key {
        let token = encode_cursor(&state.inner.cursor_key, &Cursor { f: v.fingerprint(), s: snapshot, k });
        body.push_str(",\"nextLink\":");
        body.push_str(&serde_json::to_string(&next_link(state, uri, headers, &token)).unwrap_or_default());
    }
    body.push('}');
    Ok(json_response(StatusCode::OK, body))
}

/// The request's absolute URL with its original query, minus any old token, plus the new one.
fn next_link(state: &AppState, uri: &Uri, headers: &HeaderMap, token: &str) -> String {
    let base = base_url(state, headers);
    let mut parts: Vec<&str> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let name = p.split('=').next().unwrap_or("");
            let decoded = percent_decode(name);
            !decoded.eq_ignore_ascii_case("continuationToken")
        })
        .collect();
    let tok = format!("continuationToken={token}");
    parts.push(&tok);
    format!("{base}{}?{}", uri.path(), parts.join("&"))
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("{s}=").as_bytes()).next().map(|(k, _)| k.into_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_service_time_formats() {
        let z = |s| parse_time(s).map(|d| d.to_rfc3339());
        assert_eq!(z("2019-12-10T11:00:00.0000000-08:00").unwrap(), "2019-12-10T19:00:00+00:00");
        assert_eq!(z("2019-12-10T19:00:00Z").unwrap(), "2019-12-10T19:00:00+00:00");
        assert_eq!(z("2015-06-16T18:53:11+00:00Z").unwrap(), "2015-06-16T18:53:11+00:00");
        assert_eq!(z("2019-12-10").unwrap(), "2019-12-10T00:00:00+00:00");
        assert!(parse_time("2021-05-20T00:00:00.0000000 00:00").is_none());
        assert!(parse_time("9/1/2016").is_none());
        assert!(parse_time("' OR 1=1 --").is_none());
    }

    #[test]
    fn json_escaping_matches_serde() {
        for t in ["", "plain", "q\"uote", "back\\slash", "ctl\u{1}\n\t", "Büro-Ä1 東京", r#"{"a":"b \"c\""}"#] {
            let mut o = String::new();
            push_json_str(&mut o, t);
            assert_eq!(serde_json::from_str::<String>(&o).unwrap(), t);
        }
        let i = instance_data("/x", "local", r#"{"k":"v"}"#, "");
        let v: serde_json::Value = serde_json::from_str(&i).unwrap();
        assert_eq!(v["Microsoft.Resources"]["tags"], r#"{"k":"v"}"#);
    }

    #[test]
    fn cursor_is_tamper_evident() {
        let key = b"k1";
        let c = Cursor { f: "abc".into(), s: 5, k: serde_json::json!([1, 2]) };
        let t = encode_cursor(key, &c);
        assert!(decode_cursor(key, &t).is_some());
        assert!(decode_cursor(b"other", &t).is_none());
        let (p, m) = t.split_once('.').unwrap();
        let forged_payload = B64.encode(br#"{"f":"abc","s":99,"k":[1,2]}"#);
        assert!(decode_cursor(key, &format!("{forged_payload}.{m}")).is_none());
        assert!(decode_cursor(key, p).is_none());
        assert!(decode_cursor(key, "").is_none());
    }
}
