//! The provider's tenant directory: the tenant subscriptions and offers of `Microsoft.Subscriptions.Admin`
//! (api-version 2015-11-01, billing.md §3).
//!
//! Fetched exactly like the usage APIs: the client's authenticated, retried GET, and `nextLink`s
//! followed only to the endpoint's own host. The directory is a provider-only API: a tenant identity
//! gets a 403, reported as [`Reason::PermissionDenied`] with what to do instead.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::client::UsageClient;
use crate::directory::{Offer, TenantSubscription};
use crate::endpoint;
use crate::error::{Error, Reason, Result};
use crate::parse::describe_body;

const PROVIDER: &str = "Microsoft.Subscriptions.Admin";

impl UsageClient {
    /// Every tenant subscription of the stamp as the provider sees it (deleted ones included, with
    /// their state), in service order. `offer_name` is filled from [`UsageClient::offers`]: the
    /// offer's display name when the offer is listed, else the last segment of `offer_id`. A
    /// delegated provider subscription equal to `provider_subscription` (how a stamp may mark a
    /// direct tenant) is reported empty, as for every other direct tenant.
    pub async fn tenant_subscriptions(&self, provider_subscription: &str) -> Result<Vec<TenantSubscription>> {
        let provider = provider_subscription_id(provider_subscription)?;
        let rows = self.list_admin(provider, "subscriptions", "tenant subscription list").await?;
        let offers = self.offers(provider).await?;
        rows.iter().enumerate().map(|(i, row)| tenant_subscription(i, row, provider, &offers)).collect()
    }

    /// Every offer of the provider subscription, across resource groups, in service order.
    pub async fn offers(&self, provider_subscription: &str) -> Result<Vec<Offer>> {
        let provider = provider_subscription_id(provider_subscription)?;
        let rows = self.list_admin(provider, "offers", "offer list").await?;
        rows.iter().enumerate().map(|(i, row)| offer(i, row)).collect()
    }

    /// `GET {endpoint}/subscriptions/{provider}/providers/Microsoft.Subscriptions.Admin/{collection}`,
    /// every page. Stops at a page without a `nextLink` or without entries.
    async fn list_admin(&self, provider: &str, collection: &str, what: &str) -> Result<Vec<Map<String, Value>>> {
        #[derive(Deserialize)]
        struct WireList {
            #[serde(default)]
            value: Option<Vec<Value>>,
            #[serde(rename = "nextLink", default)]
            next_link: Option<String>,
        }
        let mut url = endpoint::subscriptions_admin(self.endpoint(), provider, collection);
        let mut rows = Vec::new();
        let mut seen = HashSet::new();
        loop {
            let response = self.get_ok(&url).await.map_err(|e| refused(e, collection, what))?;
            let decode = |message: String| Error {
                status: Some(response.status),
                request_id: response.request_id.clone(),
                attempts: response.attempts,
                ..Error::new(Reason::InvalidResponse, message)
            };
            let list: WireList = serde_json::from_slice(&response.body).map_err(|e| {
                decode(format!(
                    "the {what} is not understood ({e}); {}",
                    describe_body(&response.body, response.content_type())
                ))
            })?;
            let page = list.value.unwrap_or_default();
            let empty = page.is_empty();
            for entry in page {
                match entry {
                    Value::Object(map) => rows.push(map),
                    other => {
                        // Every earlier entry was an object, so the count so far numbers this one.
                        return Err(decode(format!(
                            "entry {} of the {what} is not a JSON object (got {})",
                            rows.len() + 1,
                            kind_of(&other)
                        )));
                    }
                }
            }
            match list.next_link.filter(|l| !l.trim().is_empty()) {
                Some(link) if !empty => {
                    let next = self.check_next_link(&link)?;
                    if !seen.insert(next.as_str().to_string()) {
                        return Err(Error::new(
                            Reason::InvalidResponse,
                            format!(
                                "the service returned the same nextLink twice for the {what}; stopping to avoid an endless loop"
                            ),
                        ));
                    }
                    url = next;
                }
                _ => return Ok(rows),
            }
        }
    }
}

/// The provider subscription as a path segment: a GUID, checked before any request is made.
fn provider_subscription_id(text: &str) -> Result<&str> {
    let id = text.trim();
    if id.len() == 36 && uuid::Uuid::try_parse(id).is_ok() {
        return Ok(id);
    }
    Err(Error::new(
        Reason::InvalidSubscriptionId,
        format!(
            "provider subscription '{text}' is not a GUID (rule: the provider subscription must be a GUID such as \
         00000000-1111-2222-3333-444444444444; pass the Default Provider Subscription's id, not its name)"
        ),
    ))
}

/// A 403 from the directory means the caller is not the operator: say so, and what to use instead.
fn refused(e: Error, collection: &str, what: &str) -> Error {
    if e.reason != Reason::PermissionDenied {
        return e;
    }
    Error {
        message: format!(
            "the {what} was refused: the tenant directory ({PROVIDER}/{collection}) is a provider-only API, which a \
             tenant identity cannot read; connect to the admin ARM endpoint (https://adminmanagement.{{region}}.{{fqdn}}) \
             with the operator's identity. The service said: {}",
            e.message
        ),
        ..e
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A text field of an ARM resource: top level first, then inside `properties` (offers nest their
/// fields there, subscriptions do not); names compared without case; null and absent are empty.
fn field(row: &Map<String, Value>, name: &str) -> String {
    let find = |m: &Map<String, Value>| {
        m.iter().find(|(k, v)| k.eq_ignore_ascii_case(name) && !v.is_null()).map(|(_, v)| v.clone())
    };
    let nested = || find(row.iter().find(|(k, _)| k.eq_ignore_ascii_case("properties"))?.1.as_object()?);
    match find(row).or_else(nested) {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// The last non-empty segment of a resource id (`…/offers/basic` → `basic`).
fn last_segment(id: &str) -> &str {
    id.trim().trim_end_matches('/').rsplit('/').next().unwrap_or("")
}

fn tenant_subscription(
    index: usize,
    row: &Map<String, Value>,
    provider: &str,
    offers: &[Offer],
) -> Result<TenantSubscription> {
    let mut subscription_id = field(row, "subscriptionId");
    if subscription_id.is_empty() {
        subscription_id = last_segment(&field(row, "id")).to_string();
    }
    if subscription_id.is_empty() {
        return Err(Error::new(
            Reason::InvalidResponse,
            format!("entry {} of the tenant subscription list has no subscriptionId (and no id)", index + 1),
        ));
    }
    let offer_id = field(row, "offerId");
    let mut delegated = field(row, "delegatedProviderSubscriptionId");
    if delegated.eq_ignore_ascii_case(provider) {
        delegated.clear();
    }
    Ok(TenantSubscription {
        subscription_id,
        display_name: field(row, "displayName"),
        owner: field(row, "owner"),
        tenant_id: field(row, "tenantId"),
        offer_name: offer_name(&offer_id, offers),
        offer_id,
        state: field(row, "state"),
        delegated_provider_subscription_id: delegated,
        provider_subscription_id: provider.to_string(),
    })
}

/// The offer's display name (else its name) when `offer_id` names a listed offer, by resource id or,
/// when the id has another form (`/delegatedProviders/default/offers/x`), by a unique name; else the
/// id's last segment.
fn offer_name(offer_id: &str, offers: &[Offer]) -> String {
    if offer_id.is_empty() {
        return String::new();
    }
    let name = last_segment(offer_id);
    let by_id = offers.iter().find(|o| o.id.eq_ignore_ascii_case(offer_id));
    let by_name = || {
        let mut same = offers.iter().filter(|o| o.name.eq_ignore_ascii_case(name));
        match (same.next(), same.next()) {
            (Some(o), None) => Some(o),
            _ => None,
        }
    };
    match by_id.or_else(by_name) {
        Some(o) if !o.display_name.is_empty() => o.display_name.clone(),
        Some(o) if !o.name.is_empty() => o.name.clone(),
        _ => name.to_string(),
    }
}

fn offer(index: usize, row: &Map<String, Value>) -> Result<Offer> {
    let id = field(row, "id");
    let mut name = field(row, "name");
    if name.is_empty() {
        name = last_segment(&id).to_string();
    }
    if name.is_empty() {
        return Err(Error::new(
            Reason::InvalidResponse,
            format!("entry {} of the offer list has no name (and no id)", index + 1),
        ));
    }
    Ok(Offer { id, name, display_name: field(row, "displayName"), state: field(row, "state") })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;
    use crate::auth::Credential;
    use crate::client::ClientOptions;
    use crate::events::ClientEvent;
    use crate::retry::RetryPolicy;
    use crate::testserver::{Canned, TestServer};
    use secrecy::SecretString;

    const PROVIDER_SUB: &str = "0af9c33b-f7ac-4161-add5-17b2f0b6a669";
    const SUB_A: &str = "42274f77-d385-4df0-b47f-a7822e095571";
    const SUB_B: &str = "7c1d2b63-2f0e-4a59-9a36-0d2a5c1f8e11";
    const SUB_C: &str = "b8e3f9a2-6c4d-4e1f-8a7b-3d5c2e1f0a99";

    async fn connect(server: &TestServer) -> (UsageClient, Arc<Mutex<Vec<ClientEvent>>>) {
        let events: Arc<Mutex<Vec<ClientEvent>>> = Arc::default();
        let ev = events.clone();
        let mut o = ClientOptions::new(server.url(), Credential::Token(SecretString::from("static-token")));
        o.retry = RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            max_elapsed: Duration::from_secs(30),
        };
        o.events = Some(Arc::new(move |e: &ClientEvent| ev.lock().unwrap().push(e.clone())));
        (UsageClient::connect(o).await.unwrap(), events)
    }

    fn offer_json(rg: &str, name: &str, display: &str, state: &str) -> String {
        format!(
            r#"{{"id":"/subscriptions/{PROVIDER_SUB}/resourceGroups/{rg}/providers/Microsoft.Subscriptions.Admin/offers/{name}","name":"{name}","type":"Microsoft.Subscriptions.Admin/offers","location":"local","properties":{{"name":"{name}","displayName":"{display}","description":"","state":"{state}","subscriptionCount":1,"basePlanIds":[]}}}}"#
        )
    }

    fn subscription_json(sub: &str, owner: &str, offer: &str, state: &str, delegated: &str) -> String {
        format!(
            r#"{{"id":"/subscriptions/{PROVIDER_SUB}/providers/Microsoft.Subscriptions.Admin/subscriptions/{sub}","subscriptionId":"{sub}","displayName":"name of {sub}","owner":"{owner}","tenantId":"tenant-of-{owner}","offerId":"{offer}","state":"{state}","delegatedProviderSubscriptionId":"{delegated}","externalReferenceId":"","routingResourceManagerType":"Default"}}"#
        )
    }

    fn offer_id(rg: &str, name: &str) -> String {
        format!(
            "/subscriptions/{PROVIDER_SUB}/resourceGroups/{rg}/providers/Microsoft.Subscriptions.Admin/offers/{name}"
        )
    }

    /// Subscriptions on two pages (the second through a nextLink), offers on two pages across
    /// resource groups: every field parsed, offer names filled, both lists paged.
    fn directory_server_answers(req: &crate::testserver::Req) -> Canned {
        let base_path = format!("/subscriptions/{PROVIDER_SUB}/providers/Microsoft.Subscriptions.Admin");
        let page2 = req.param("page").is_some();
        if req.path == format!("{base_path}/subscriptions") && !page2 {
            let a = subscription_json(SUB_A, "ops@contoso.onmicrosoft.com", &offer_id("plans", "basic"), "Enabled", "");
            let b = subscription_json(
                SUB_B,
                "dev@fabrikam.onmicrosoft.com",
                &offer_id("reseller-plans", "premium"),
                "Enabled",
                "d3d3d3d3-1111-2222-3333-444444444444",
            );
            Canned::json(
                200,
                format!(
                    r#"{{"value":[{a},{b}],"nextLink":"{{base}}{base_path}/subscriptions?api-version=2015-11-01&page=2"}}"#
                ),
            )
        } else if req.path == format!("{base_path}/subscriptions") {
            // A deleted subscription keeps its row; this one's delegated provider is the provider itself.
            let c = subscription_json(
                SUB_C,
                "ops@contoso.onmicrosoft.com",
                &offer_id("plans", "legacy"),
                "Deleted",
                PROVIDER_SUB,
            );
            Canned::json(200, format!(r#"{{"value":[{c}],"nextLink":null}}"#))
        } else if req.path == format!("{base_path}/offers") && !page2 {
            let basic = offer_json("plans", "basic", "Basic", "Public");
            Canned::json(
                200,
                format!(
                    r#"{{"value":[{basic}],"nextLink":"{{base}}{base_path}/offers?api-version=2015-11-01&page=2"}}"#
                ),
            )
        } else if req.path == format!("{base_path}/offers") {
            let premium = offer_json("reseller-plans", "premium", "Premium (resold)", "Private");
            Canned::json(200, format!(r#"{{"value":[{premium}]}}"#))
        } else {
            Canned::json(404, r#"{"error":{"code":"NotFound","message":"no"}}"#)
        }
    }

    #[tokio::test]
    async fn tenant_subscriptions_parse_every_field_follow_pages_and_fill_offer_names() {
        let server = TestServer::start(directory_server_answers).await;
        let (client, events) = connect(&server).await;
        let subs = client.tenant_subscriptions(PROVIDER_SUB).await.expect("directory");
        assert_eq!(subs.len(), 3);
        assert_eq!(
            subs[0],
            TenantSubscription {
                subscription_id: SUB_A.into(),
                display_name: format!("name of {SUB_A}"),
                owner: "ops@contoso.onmicrosoft.com".into(),
                tenant_id: "tenant-of-ops@contoso.onmicrosoft.com".into(),
                offer_id: offer_id("plans", "basic"),
                offer_name: "Basic".into(),
                state: "Enabled".into(),
                delegated_provider_subscription_id: String::new(),
                provider_subscription_id: PROVIDER_SUB.into(),
            }
        );
        assert_eq!(subs[1].offer_name, "Premium (resold)", "an offer from the second page and another resource group");
        assert_eq!(subs[1].delegated_provider_subscription_id, "d3d3d3d3-1111-2222-3333-444444444444");
        // Not in the offers list: the id's last segment.
        assert_eq!((subs[2].state.as_str(), subs[2].offer_name.as_str()), ("Deleted", "legacy"));
        assert_eq!(subs[2].delegated_provider_subscription_id, "", "the provider itself is a direct tenant");

        let reqs = server.requests();
        let paths: Vec<(&str, &str)> = reqs.iter().map(|r| (r.path.as_str(), r.query.as_str())).collect();
        let base = format!("/subscriptions/{PROVIDER_SUB}/providers/Microsoft.Subscriptions.Admin");
        assert_eq!(
            paths,
            [
                (format!("{base}/subscriptions").as_str(), "api-version=2015-11-01"),
                (format!("{base}/subscriptions").as_str(), "api-version=2015-11-01&page=2"),
                (format!("{base}/offers").as_str(), "api-version=2015-11-01"),
                (format!("{base}/offers").as_str(), "api-version=2015-11-01&page=2"),
            ]
        );
        assert!(
            reqs.iter()
                .all(|r| r.headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer static-token"))
        );
        let ev = events.lock().unwrap();
        assert_eq!(ev.iter().filter(|e| matches!(e, ClientEvent::Request { .. })).count(), 4);
        assert!(!format!("{ev:?}").contains("static-token"));
    }

    #[tokio::test]
    async fn offers_are_listed_across_resource_groups() {
        let server = TestServer::start(directory_server_answers).await;
        let (client, _) = connect(&server).await;
        let offers = client.offers(&format!(" {PROVIDER_SUB} ")).await.expect("offers");
        assert_eq!(
            offers,
            [
                Offer {
                    id: offer_id("plans", "basic"),
                    name: "basic".into(),
                    display_name: "Basic".into(),
                    state: "Public".into()
                },
                Offer {
                    id: offer_id("reseller-plans", "premium"),
                    name: "premium".into(),
                    display_name: "Premium (resold)".into(),
                    state: "Private".into()
                },
            ]
        );
    }

    #[tokio::test]
    async fn a_tenant_identity_gets_a_clear_provider_only_error() {
        let server = TestServer::start(|_| {
            Canned::json(
                403,
                r#"{"error":{"code":"AuthorizationFailed","message":"The client 'x' does not have authorization to perform action 'Microsoft.Subscriptions.Admin/subscriptions/read'."}}"#,
            )
            .header("x-ms-request-id", "rid-403")
        })
        .await;
        let (client, _) = connect(&server).await;
        let e = client.tenant_subscriptions(PROVIDER_SUB).await.unwrap_err();
        assert_eq!(e.reason, Reason::PermissionDenied);
        assert_eq!(
            (e.status, e.code.as_deref(), e.request_id.as_deref()),
            (Some(403), Some("AuthorizationFailed"), Some("rid-403"))
        );
        assert!(
            e.message.contains("provider-only")
                && e.message.contains("adminmanagement")
                && e.message.contains("operator")
                && e.message.contains("does not have authorization"),
            "{}",
            e.message
        );
        assert_eq!(server.requests().len(), 1, "a 403 is not retried");
        let e = client.offers(PROVIDER_SUB).await.unwrap_err();
        assert!(e.message.contains("offer list") && e.message.contains("provider-only"), "{}", e.message);
    }

    #[tokio::test]
    async fn transient_failures_are_retried_like_the_usage_apis() {
        let server = TestServer::queue(vec![
            Canned::json(503, r#"{"error":{"code":"ServiceUnavailable","message":"busy"}}"#),
            Canned::json(429, "").header("retry-after", "0"),
            Canned::json(200, format!(r#"{{"value":[{}]}}"#, subscription_json(SUB_A, "o@x", "", "Enabled", ""))),
            Canned::json(200, r#"{"value":[]}"#),
        ])
        .await;
        let (client, events) = connect(&server).await;
        let subs = client.tenant_subscriptions(PROVIDER_SUB).await.expect("retried");
        assert_eq!(subs.len(), 1);
        assert_eq!(subs[0].offer_name, "", "no offer id, no offer name");
        let waits = events.lock().unwrap().iter().filter(|e| matches!(e, ClientEvent::RetryWait { .. })).count();
        assert_eq!(waits, 2);
        assert_eq!(server.requests().len(), 4);
    }

    #[tokio::test]
    async fn next_links_to_other_hosts_or_in_a_loop_are_not_followed() {
        let page = |link: &str| {
            Canned::json(
                200,
                format!(r#"{{"value":[{}],"nextLink":"{link}"}}"#, subscription_json(SUB_A, "o@x", "", "Enabled", "")),
            )
        };
        let server = TestServer::queue(vec![page("https://evil.example.com/subscriptions?x=1")]).await;
        let (client, _) = connect(&server).await;
        let e = client.tenant_subscriptions(PROVIDER_SUB).await.unwrap_err();
        assert!(e.message.contains("evil.example.com") && !e.message.contains("static-token"), "{}", e.message);
        assert_eq!(server.requests().len(), 1, "the token never goes to the foreign host");

        let server = TestServer::queue(vec![page("{base}/again?x=1"), page("{base}/again?x=1")]).await;
        let (client, _) = connect(&server).await;
        let e = client.tenant_subscriptions(PROVIDER_SUB).await.unwrap_err();
        assert!(e.message.contains("same nextLink twice"), "{}", e.message);
    }

    #[tokio::test]
    async fn bad_input_and_bad_answers_are_named() {
        let server = TestServer::queue(vec![
            Canned::json(200, "<html>proxy login</html>").header("content-type", "text/html"),
            Canned::json(200, r#"{"value":[{"displayName":"no id at all"}]}"#),
            Canned::json(200, r#"{"value":[]}"#), // the offers
            Canned::json(200, r#"{"value":[{"id":"x/y"}, 42]}"#),
        ])
        .await;
        let (client, _) = connect(&server).await;
        let e = client.tenant_subscriptions("Default Provider Subscription").await.unwrap_err();
        assert_eq!(e.reason, Reason::InvalidSubscriptionId);
        assert!(e.message.contains("not a GUID"), "{}", e.message);
        assert!(server.requests().is_empty(), "bad input is caught before any request");

        let e = client.tenant_subscriptions(PROVIDER_SUB).await.unwrap_err();
        assert_eq!(e.reason, Reason::InvalidResponse);
        assert!(e.message.contains("tenant subscription list") && e.message.contains("proxy login"), "{}", e.message);
        let e = client.tenant_subscriptions(PROVIDER_SUB).await.unwrap_err();
        assert!(e.message.contains("entry 1") && e.message.contains("no subscriptionId"), "{}", e.message);
        let e = client.tenant_subscriptions(PROVIDER_SUB).await.unwrap_err();
        assert!(e.message.contains("entry 2") && e.message.contains("a number"), "{}", e.message);
    }

    #[test]
    fn offer_names_resolve_by_id_then_by_unique_name() {
        let offers = vec![
            Offer {
                id: offer_id("a", "basic"),
                name: "basic".into(),
                display_name: "Basic".into(),
                state: String::new(),
            },
            Offer { id: offer_id("b", "gold"), name: "gold".into(), display_name: String::new(), state: String::new() },
            Offer {
                id: offer_id("c", "twin"),
                name: "twin".into(),
                display_name: "Twin C".into(),
                state: String::new(),
            },
            Offer {
                id: offer_id("d", "twin"),
                name: "twin".into(),
                display_name: "Twin D".into(),
                state: String::new(),
            },
        ];
        assert_eq!(offer_name(&offer_id("A", "BASIC"), &offers), "Basic", "ids compare without case");
        assert_eq!(offer_name("/delegatedProviders/default/offers/basic", &offers), "Basic");
        assert_eq!(offer_name(&offer_id("b", "gold"), &offers), "gold", "no display name: the name");
        assert_eq!(offer_name(&offer_id("d", "twin"), &offers), "Twin D");
        assert_eq!(offer_name("/delegatedProviders/default/offers/twin", &offers), "twin", "ambiguous name");
        assert_eq!(offer_name("/x/offers/unknown/", &offers), "unknown");
        assert_eq!(offer_name("", &offers), "");
    }
}
