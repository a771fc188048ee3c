//! ARM `/subscriptions` listing and the emulator's own control endpoints.
//!
//! - `POST /_emulator/usage` — ingest hourly records (admin token). Body: a JSON array of
//!   `{"subscriptionId","meterId","usageStartTime","reportedTime"?,"quantity","resourceUri","location"?,
//!   "tags"?,"additionalInfo"?}` (`tags`/`additionalInfo` as the wire string, or any JSON value which is
//!   then serialised; `quantity` a number or decimal string >= 0; `usageEndTime` optional but must be
//!   start + 1 h; `reportedTime` defaults to max(now, usage end)). Records in the wire shape
//!   (`{"properties":{…,"instanceData":"…"}}`) are accepted too. Answer: `{"inserted":n,"duplicates":m}`;
//!   a record whose key (subscription, meter, resource, usage start) exists is a no-op.
//! - `GET /_emulator/stats[?reportedStartTime=&reportedEndTime=&subscriptionId=]` (admin token) —
//!   `{"records":n,"totals":[{"subscriptionId","meterId","records","quantity"}]}`, exact decimal sums.
//! - `GET|POST|DELETE /_emulator/faults` (admin token) — read, replace (body: the fault spec as text,
//!   or `{"spec":"…"}`) or clear the fault rules; see `crate::faults` for the syntax.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use chrono::{DateTime, DurationRound, TimeDelta, Timelike, Utc};
use serde_json::Value;

use super::auth::{self, Caller};
use super::error::{ApiError, json_response};
use super::usage::parse_time;
use super::{AppState, not_found};
use crate::faults::FaultConfig;
use crate::store::{NewRecord, Role, SubKind, parse_quantity};

fn require_admin(caller: &Caller) -> Result<(), ApiError> {
    if caller.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "AuthorizationFailed",
            "Only the operator (admin) principal may use the emulator control endpoints.",
        ))
    }
}

pub(crate) async fn route(
    state: &AppState,
    m: &Method,
    segs: &[&str],
    orig: &[&str],
    h: &HeaderMap,
    q: &BTreeMap<String, String>,
    body: Body,
) -> Result<Response, ApiError> {
    match (m, segs) {
        (&Method::GET, ["subscriptions"]) => {
            let caller = auth::authenticate(state, h)?;
            need_api_version(q)?;
            let list: Vec<Value> = visible_subscriptions(state, &caller).into_iter().map(sub_json).collect();
            Ok(json_response(StatusCode::OK, serde_json::json!({ "value": list }).to_string()))
        }
        (&Method::GET, ["subscriptions", _]) => {
            let caller = auth::authenticate(state, h)?;
            need_api_version(q)?;
            visible_subscriptions(state, &caller)
                .into_iter()
                .find(|s| s.subscription_id.eq_ignore_ascii_case(orig[1]))
                .map(|s| json_response(StatusCode::OK, sub_json(s).to_string()))
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::NOT_FOUND,
                        "SubscriptionNotFound",
                        format!(
                            "The subscription '{}' could not be found.",
                            orig[1].chars().take(64).collect::<String>()
                        ),
                    )
                })
        }
        (&Method::POST, ["_emulator", "usage"]) => {
            let caller = auth::authenticate(state, h)?;
            require_admin(&caller)?;
            let bytes = axum::body::to_bytes(body, 256 << 20).await.map_err(|_| {
                ApiError::bad_request("InvalidRequestContent", "The request body is too large or unreadable.")
            })?;
            let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
                ApiError::bad_request("InvalidRequestContent", format!("The request body is not valid JSON: {e}"))
            })?;
            let items = match value {
                Value::Array(a) => a,
                Value::Object(mut o) if o.contains_key("value") => match o.remove("value") {
                    Some(Value::Array(a)) => a,
                    _ => {
                        return Err(ApiError::bad_request("InvalidRequestContent", "'value' must be an array."));
                    }
                },
                _ => {
                    return Err(ApiError::bad_request("InvalidRequestContent", "Expected a JSON array of records."));
                }
            };
            let now = state.now();
            let records = items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    parse_record(v, now).map_err(|e| ApiError::invalid_property(&format!("records[{i}].{}", e.0), e.1))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let store = state.inner.store.clone();
            let out = tokio::task::spawn_blocking(move || store.insert_records(&records))
                .await
                .map_err(|e| anyhow::anyhow!(e))??;
            state.refresh_subscriptions()?;
            Ok(json_response(StatusCode::OK, serde_json::to_string(&out).unwrap_or_default()))
        }
        (&Method::GET, ["_emulator", "stats"]) => {
            let caller = auth::authenticate(state, h)?;
            require_admin(&caller)?;
            let t = |k: &str| -> Result<Option<DateTime<Utc>>, ApiError> {
                q.get(k)
                    .filter(|s| !s.is_empty())
                    .map(|s| parse_time(s).ok_or_else(|| ApiError::invalid_property(k, "not an ISO 8601 date-time.")))
                    .transpose()
            };
            let window = match (t("reportedstarttime")?, t("reportedendtime")?) {
                (None, None) => None,
                (a, b) => Some((a.unwrap_or(DateTime::<Utc>::MIN_UTC), b.unwrap_or(DateTime::<Utc>::MAX_UTC))),
            };
            let sub = q.get("subscriptionid").cloned();
            let store = state.inner.store.clone();
            let totals = tokio::task::spawn_blocking(move || store.totals(window, sub.as_deref()))
                .await
                .map_err(|e| anyhow::anyhow!(e))??;
            Ok(json_response(StatusCode::OK, serde_json::to_string(&totals).unwrap_or_default()))
        }
        (method, ["_emulator", "faults"]) => {
            let caller = auth::authenticate(state, h)?;
            require_admin(&caller)?;
            match *method {
                Method::GET => {}
                Method::DELETE => state.set_faults(FaultConfig::default()),
                Method::POST | Method::PUT => {
                    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
                    let text = String::from_utf8_lossy(&bytes).to_string();
                    let spec = match serde_json::from_str::<Value>(&text) {
                        Ok(Value::Object(o)) => {
                            o.get("spec").or(o.get("faults")).and_then(Value::as_str).unwrap_or("").to_string()
                        }
                        Ok(Value::String(s)) => s,
                        _ => text,
                    };
                    let cfg: FaultConfig =
                        spec.parse().map_err(|e: anyhow::Error| ApiError::invalid_property("spec", e))?;
                    state.set_faults(cfg);
                }
                _ => return Ok(not_found()),
            }
            let f = state.inner.faults.lock().unwrap_or_else(|e| e.into_inner());
            let body = serde_json::json!({
                "spec": f.config().to_string(),
                "usageRequests": f.usage_requests,
                "authRequests": f.auth_requests,
                "fired": f.fired,
            });
            Ok(json_response(StatusCode::OK, body.to_string()))
        }
        _ => Ok(not_found()),
    }
}

fn need_api_version(q: &BTreeMap<String, String>) -> Result<(), ApiError> {
    if q.get("api-version").is_none_or(|v| v.is_empty()) {
        return Err(ApiError::bad_request(
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ));
    }
    Ok(())
}

fn visible_subscriptions(state: &AppState, caller: &Caller) -> Vec<crate::store::SubscriptionInfo> {
    let subs = state.subscriptions();
    match caller.role {
        // The admin ARM lists the operator's subscriptions, the Default Provider Subscription first.
        Role::Admin => subs.into_iter().filter(|s| s.kind == SubKind::Provider).collect(),
        Role::Tenant => subs
            .into_iter()
            .filter(|s| {
                s.kind == SubKind::Tenant && s.state == "Enabled" && s.tenant.as_deref() == Some(caller.name.as_str())
            })
            .collect(),
    }
}

fn sub_json(s: crate::store::SubscriptionInfo) -> Value {
    serde_json::json!({
        "id": format!("/subscriptions/{}", s.subscription_id),
        "subscriptionId": s.subscription_id,
        "displayName": s.display_name,
        "state": s.state,
        "subscriptionPolicies": { "locationPlacementId": "AzureStack", "quotaId": "Default", "spendingLimit": "Off" },
    })
}

type FieldError = (String, String);

fn parse_record(v: &Value, now: DateTime<Utc>) -> Result<NewRecord, FieldError> {
    let err = |f: &str, m: &str| (f.to_string(), m.to_string());
    let obj = v.as_object().ok_or_else(|| err("", "each record must be a JSON object"))?;
    // Wire shape: {"properties": {..., "instanceData": "..."}}
    let (p, inst): (&serde_json::Map<String, Value>, Option<Value>) =
        match obj.get("properties").and_then(Value::as_object) {
            Some(props) => {
                let inst = props
                    .get("instanceData")
                    .and_then(Value::as_str)
                    .and_then(|s| serde_json::from_str::<Value>(s).ok())
                    .and_then(|v| v.get("Microsoft.Resources").cloned());
                (props, inst)
            }
            None => (obj, None),
        };
    let field = |k: &str| -> Option<&Value> {
        p.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)).map(|(_, v)| v).or_else(|| {
            inst.as_ref()
                .and_then(|i| i.as_object())
                .and_then(|o| o.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)).map(|(_, v)| v))
        })
    };
    let text = |k: &str| field(k).and_then(Value::as_str).map(str::to_string);
    let sub = text("subscriptionId").ok_or_else(|| err("subscriptionId", "required"))?;
    let sub = uuid::Uuid::parse_str(sub.trim()).map_err(|_| err("subscriptionId", "not a GUID"))?.to_string();
    let meter = text("meterId")
        .filter(|m| !m.trim().is_empty() && m.len() <= 128)
        .ok_or_else(|| err("meterId", "required (a string of at most 128 characters)"))?;
    let start_text = text("usageStartTime").ok_or_else(|| err("usageStartTime", "required"))?;
    let start = parse_time(&start_text).ok_or_else(|| err("usageStartTime", "not an ISO 8601 date-time"))?;
    if start.minute() != 0 || start.second() != 0 || start.nanosecond() != 0 {
        return Err(err("usageStartTime", "must be aligned to the hour"));
    }
    if let Some(e) = text("usageEndTime") {
        let e = parse_time(&e).ok_or_else(|| err("usageEndTime", "not an ISO 8601 date-time"))?;
        if e != start + TimeDelta::hours(1) {
            return Err(err("usageEndTime", "must be usageStartTime + 1 hour (records are hourly)"));
        }
    }
    let end = start + TimeDelta::hours(1);
    let reported = match text("reportedTime") {
        Some(r) => parse_time(&r).ok_or_else(|| err("reportedTime", "not an ISO 8601 date-time"))?,
        None => now.duration_trunc(TimeDelta::seconds(1)).unwrap_or(now).max(end),
    };
    if reported < end {
        return Err(err("reportedTime", "must not be before the end of the usage hour"));
    }
    let quantity = match field("quantity") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => return Err(err("quantity", "required (a number)")),
    };
    let d = parse_quantity(&quantity).ok_or_else(|| err("quantity", "must be a decimal number >= 0"))?;
    let quantity = if quantity.contains(['e', 'E']) { crate::store::format_decimal(&d) } else { d.to_string() };
    let uri = text("resourceUri")
        .filter(|u| !u.is_empty() && u.len() <= 2048)
        .ok_or_else(|| err("resourceUri", "required"))?;
    let location = text("location").unwrap_or_else(|| "local".to_string());
    let as_wire = |k: &str| -> String {
        match field(k) {
            None | Some(Value::Null) => "null".to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        }
    };
    Ok(NewRecord {
        subscription_id: sub,
        meter_id: meter.trim().to_string(),
        resource_uri: uri,
        location,
        tags: as_wire("tags"),
        additional_info: as_wire("additionalInfo"),
        usage_start: start,
        reported,
        quantity,
    })
}
