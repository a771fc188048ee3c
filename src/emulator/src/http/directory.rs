//! The admin directory API (`Microsoft.Subscriptions.Admin`, api-version 2015-11-01):
//! `GET /subscriptions/{provider}/providers/Microsoft.Subscriptions.Admin/subscriptions`,
//! `GET /subscriptions/{provider}/providers/Microsoft.Subscriptions.Admin/offers` (every resource group) and
//! `GET /subscriptions/{provider}/resourceGroups/{rg}/providers/Microsoft.Subscriptions.Admin/offers`.
//!
//! Validation order, as for the provider usage API: authentication (401), the path subscription exists
//! (404 `SubscriptionNotFound`), the caller is the operator and the path subscription a provider
//! subscription (403 `AuthorizationFailed`), `api-version` present (`MissingApiVersionParameter`) and
//! supported (`NoRegisteredProviderFound`), the resource group exists (404 `ResourceGroupNotFound`),
//! then the test parameter `pageSize` and `$skipToken` (`InvalidProperty` naming it).
//!
//! Subscriptions are flat ARM objects, offers carry their fields in `properties` (as the real API).
//! Pages hold `pageSize` entries (default: the emulator's page size); `nextLink` repeats the request
//! with `$skipToken={offset}`. Rows are only ever appended (ingestion can add subscriptions), so an
//! offset resumes without loss or repetition.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::auth::Caller;
use super::error::{ApiError, json_response};
use super::{AppState, base_url};
use crate::directory::{DirectoryEntry, OfferInfo};
use crate::store::{Role, SubKind};

/// The only api-version of `Microsoft.Subscriptions.Admin` the emulator knows.
pub const API_VERSION: &str = "2015-11-01";

const PROVIDER: &str = "Microsoft.Subscriptions.Admin";

/// Which list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Collection {
    Subscriptions,
    /// Offers of one resource group, or of all.
    Offers(Option<String>),
}

/// Serve one page of a directory list.
pub(crate) async fn list(
    state: &AppState,
    caller: &Caller,
    path_sub: &str,
    collection: Collection,
    uri: &Uri,
    headers: &HeaderMap,
    q: &BTreeMap<String, String>,
) -> Result<Response, ApiError> {
    let shown: String = path_sub.chars().take(64).collect();
    let sub = state.subscriptions().into_iter().find(|s| s.subscription_id.eq_ignore_ascii_case(path_sub)).ok_or_else(
        || {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "SubscriptionNotFound",
                format!("The subscription '{shown}' could not be found."),
            )
        },
    )?;
    if caller.role != Role::Admin || sub.kind != SubKind::Provider {
        let action = match collection {
            Collection::Subscriptions => "subscriptions/read",
            Collection::Offers(_) => "offers/read",
        };
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "AuthorizationFailed",
            format!(
                "The client '{oid}' with object id '{oid}' does not have authorization to perform action '{PROVIDER}/{action}' over scope '/subscriptions/{shown}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
                oid = caller.object_id
            ),
        ));
    }
    match q.get("api-version").map(String::as_str) {
        None | Some("") => {
            return Err(ApiError::bad_request(
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            ));
        }
        Some(v) if v != API_VERSION => {
            return Err(ApiError::bad_request(
                "NoRegisteredProviderFound",
                format!(
                    "No registered resource provider found for location 'local' and API version '{}' for type '{}'. The supported api-versions are '{API_VERSION}'.",
                    v.chars().take(64).collect::<String>(),
                    match collection {
                        Collection::Subscriptions => "subscriptions",
                        Collection::Offers(_) => "offers",
                    }
                ),
            ));
        }
        _ => {}
    }

    let provider = sub.subscription_id.clone();
    let store = state.inner.store.clone();
    let entries: Vec<Value> = match &collection {
        Collection::Subscriptions => {
            let rows =
                tokio::task::spawn_blocking(move || store.directory()).await.map_err(|e| anyhow::anyhow!(e))??;
            rows.iter().map(|e| subscription_json(&provider, e)).collect()
        }
        Collection::Offers(group) => {
            let offers =
                tokio::task::spawn_blocking(move || store.offers()).await.map_err(|e| anyhow::anyhow!(e))??;
            if let Some(g) = group
                && !offers.iter().any(|o| o.resource_group.eq_ignore_ascii_case(g))
            {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "ResourceGroupNotFound",
                    format!("Resource group '{}' could not be found.", g.chars().take(90).collect::<String>()),
                ));
            }
            offers
                .iter()
                .filter(|o| group.as_ref().is_none_or(|g| o.resource_group.eq_ignore_ascii_case(g)))
                .map(|o| offer_json(&provider, o))
                .collect()
        }
    };

    let page_size = match q.get("pagesize") {
        None => state.inner.page_size,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=10_000).contains(&n) => n,
            _ => return Err(ApiError::invalid_property("pageSize", "expected an integer between 1 and 10000.")),
        },
    };
    let from = match q.get("$skiptoken") {
        None => 0,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if n <= entries.len() => n,
            _ => {
                return Err(ApiError::invalid_property(
                    "$skipToken",
                    "the skip token is malformed or points past the end of the list.",
                ));
            }
        },
    };
    let to = (from + page_size).min(entries.len());
    let mut body = json!({ "value": entries[from..to] });
    if to < entries.len() {
        body["nextLink"] = Value::String(next_link(state, uri, headers, to));
    }
    Ok(json_response(StatusCode::OK, body.to_string()))
}

fn offer_id(provider: &str, o: &OfferInfo) -> String {
    format!("/subscriptions/{provider}/resourceGroups/{}/providers/{PROVIDER}/offers/{}", o.resource_group, o.name)
}

fn subscription_json(provider: &str, e: &DirectoryEntry) -> Value {
    json!({
        "id": format!("/subscriptions/{provider}/providers/{PROVIDER}/subscriptions/{}", e.subscription_id),
        "name": e.subscription_id,
        "type": format!("{PROVIDER}/subscriptions"),
        "location": "local",
        "subscriptionId": e.subscription_id,
        "displayName": e.display_name,
        "owner": e.owner,
        "tenantId": e.directory_tenant_id,
        "offerId": e.offer.as_ref().map(|o| offer_id(provider, o)).unwrap_or_default(),
        "state": e.state,
        "delegatedProviderSubscriptionId": e.delegated_provider_subscription_id,
        "externalReferenceId": "",
        "routingResourceManagerType": "Default",
    })
}

fn offer_json(provider: &str, o: &OfferInfo) -> Value {
    json!({
        "id": offer_id(provider, o),
        "name": o.name,
        "type": format!("{PROVIDER}/offers"),
        "location": "local",
        "properties": {
            "name": o.name,
            "displayName": o.display_name,
            "description": "",
            "externalReferenceId": "",
            "state": o.state,
            "subscriptionCount": o.subscription_count,
            "maxSubscriptionsPerAccount": 0,
            "basePlanIds": [format!("/subscriptions/{provider}/resourceGroups/{}/providers/{PROVIDER}/plans/{}-plan", o.resource_group, o.name)],
            "addonPlans": [],
        },
    })
}

/// The request's absolute URL with its query, minus any old `$skipToken`, plus the new offset.
fn next_link(state: &AppState, uri: &Uri, headers: &HeaderMap, offset: usize) -> String {
    let mut parts: Vec<String> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let name = p.split('=').next().unwrap_or("");
            let decoded = url::form_urlencoded::parse(name.as_bytes()).next().map(|(k, _)| k.into_owned());
            !decoded.unwrap_or_default().eq_ignore_ascii_case("$skipToken")
        })
        .map(str::to_string)
        .collect();
    parts.push(format!("$skipToken={offset}"));
    format!("{}{}?{}", base_url(state, headers), uri.path(), parts.join("&"))
}
