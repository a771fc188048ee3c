//! Every URL the client builds from the configured ARM endpoint, in one place: the usage APIs, the
//! subscription list and the metadata (login discovery) endpoint. The endpoint's own path prefix is
//! kept (`https://host/arm/` + `subscriptions/...`); its query and fragment are dropped.

use url::Url;

use crate::error::{Error, Reason, Result};
use crate::query::Api;

/// `api-version` of the ARM calls that are not usage queries (subscriptions, metadata).
const ARM_API_VERSION: &str = "2015-01-01";

/// Rejects what cannot be an ARM endpoint (not http(s), no host), before anything is sent.
pub(crate) fn check(endpoint: &Url) -> Result<()> {
    if matches!(endpoint.scheme(), "http" | "https") && endpoint.host_str().is_some() && !endpoint.cannot_be_a_base() {
        return Ok(());
    }
    Err(Error::new(
        Reason::InvalidEndpoint,
        format!(
            "endpoint '{endpoint}' is not an http(s) URL; use the stamp's ARM endpoint, e.g. \
             https://adminmanagement.local.azurestack.external"
        ),
    ))
}

/// The endpoint with `segments` appended to its path (each one percent-encoded as needed).
pub(crate) fn join(endpoint: &Url, segments: &[&str]) -> Url {
    let mut url = endpoint.clone();
    url.set_query(None);
    url.set_fragment(None);
    let hierarchical = match url.path_segments_mut() {
        Ok(mut path) => {
            path.pop_if_empty().extend(segments);
            true
        }
        Err(()) => false,
    };
    if hierarchical {
        return url;
    }
    // Not hierarchical (`check` rejects these up front): append textually rather than lose the path.
    let text = format!("{}/{}", endpoint.as_str().trim_end_matches('/'), segments.join("/"));
    Url::parse(&text).unwrap_or(url)
}

/// The usage API's collection for one subscription, without query parameters.
pub(crate) fn usage(endpoint: &Url, api: Api, subscription_id: &str) -> Url {
    let (namespace, resource) = match api {
        Api::Tenant => ("Microsoft.Commerce", "usageAggregates"),
        Api::Provider => ("Microsoft.Commerce.Admin", "subscriberUsageAggregates"),
    };
    join(endpoint, &["subscriptions", subscription_id.trim(), "providers", namespace, resource])
}

/// `GET /subscriptions` (the subscriptions the caller can see).
pub(crate) fn subscriptions(endpoint: &Url) -> Url {
    with_api_version(join(endpoint, &["subscriptions"]))
}

/// `GET /metadata/endpoints` (login endpoint and token audience).
pub(crate) fn metadata(endpoint: &Url) -> Url {
    with_api_version(join(endpoint, &["metadata", "endpoints"]))
}

/// `Microsoft.Subscriptions.Admin` collections (`subscriptions`, `offers`) of a provider
/// subscription: the tenant directory (billing.md §3).
pub(crate) fn subscriptions_admin(endpoint: &Url, provider_subscription: &str, collection: &str) -> Url {
    let mut url = join(
        endpoint,
        &["subscriptions", provider_subscription, "providers", "Microsoft.Subscriptions.Admin", collection],
    );
    url.query_pairs_mut().append_pair("api-version", SUBSCRIPTIONS_ADMIN_API_VERSION);
    url
}

/// `api-version` of `Microsoft.Subscriptions.Admin` (tenant subscriptions and offers).
pub(crate) const SUBSCRIPTIONS_ADMIN_API_VERSION: &str = "2015-11-01";

fn with_api_version(mut url: Url) -> Url {
    url.query_pairs_mut().append_pair("api-version", ARM_API_VERSION);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_keep_the_endpoint_prefix_and_drop_its_query() {
        let ep = Url::parse("https://arm.example/prefix/?x=1#f").unwrap();
        assert_eq!(
            usage(&ep, Api::Provider, " abc ").as_str(),
            "https://arm.example/prefix/subscriptions/abc/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates"
        );
        assert_eq!(subscriptions(&ep).as_str(), "https://arm.example/prefix/subscriptions?api-version=2015-01-01");
        let bare = Url::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(metadata(&bare).as_str(), "http://127.0.0.1:8080/metadata/endpoints?api-version=2015-01-01");
        assert_eq!(
            usage(&bare, Api::Tenant, "s").as_str(),
            "http://127.0.0.1:8080/subscriptions/s/providers/Microsoft.Commerce/usageAggregates"
        );
    }

    #[test]
    fn only_http_urls_with_a_host_are_endpoints() {
        for bad in ["ftp://x", "mailto:a@b", "file:///tmp/x"] {
            assert_eq!(check(&Url::parse(bad).unwrap()).unwrap_err().reason, Reason::InvalidEndpoint, "{bad}");
        }
        assert!(check(&Url::parse("https://adminmanagement.local.azurestack.external").unwrap()).is_ok());
    }
}
