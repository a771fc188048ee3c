//! The ARM-shaped HTTP surface: one router, manual case-insensitive dispatch, shared state.
//!
//! ARM paths are case-insensitive, which axum's router is not, so `app()` routes everything to one
//! dispatcher that matches lower-cased path segments. Handlers live in `usage`, `auth` and `control`.

pub(crate) mod auth;
pub(crate) mod control;
pub(crate) mod directory;
pub(crate) mod error;
pub(crate) mod usage;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use crate::config::{EmulatorConfig, IdentitySystem};
use crate::faults::{FaultConfig, FaultEngine, FaultKind, Scope};
use crate::store::{Identity, Store, SubscriptionInfo};
use error::{ApiError, json_response};
use usage::AggRow;

/// Shared state of the HTTP app (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<StateInner>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("audience", &self.inner.identity.audience).finish_non_exhaustive()
    }
}

type AggCache = Vec<((String, i64), Arc<Vec<AggRow>>)>;

pub(crate) struct StateInner {
    pub(crate) store: Arc<Store>,
    pub(crate) identity: Identity,
    pub(crate) identity_system: IdentitySystem,
    pub(crate) https: bool,
    pub(crate) page_size: usize,
    pub(crate) now: Option<DateTime<Utc>>,
    pub(crate) token_lifetime: Duration,
    pub(crate) jwt_key: Vec<u8>,
    pub(crate) cursor_key: Vec<u8>,
    pub(crate) seed: u64,
    pub(crate) faults: Mutex<FaultEngine>,
    pub(crate) agg_cache: Mutex<AggCache>,
    pub(crate) subs: RwLock<Vec<SubscriptionInfo>>,
    pub(crate) base: RwLock<Option<String>>,
    pub(crate) reads: AtomicU64,
}

impl AppState {
    /// Build the state over a seeded store.
    pub fn new(store: Arc<Store>, config: &EmulatorConfig) -> anyhow::Result<AppState> {
        let identity = store.identity()?;
        let cursor_key = store.meta("hmac_secret")?.unwrap_or_default().into_bytes();
        let subs = store.subscriptions()?;
        let jwt_key: [u8; 32] = rand::random();
        Ok(AppState {
            inner: Arc::new(StateInner {
                store,
                identity,
                identity_system: config.identity,
                https: config.https,
                page_size: config.page_size.clamp(1, 10_000),
                now: config.now,
                token_lifetime: config.token_lifetime,
                jwt_key: jwt_key.to_vec(),
                cursor_key,
                seed: config.seed,
                faults: Mutex::new(FaultEngine::new(config.faults.clone(), config.seed)),
                agg_cache: Mutex::new(Vec::new()),
                subs: RwLock::new(subs),
                base: RwLock::new(None),
                reads: AtomicU64::new(0),
            }),
        })
    }

    /// The store behind the app.
    pub fn store(&self) -> &Arc<Store> {
        &self.inner.store
    }

    /// The stamp's identities.
    pub fn identity(&self) -> &Identity {
        &self.inner.identity
    }

    /// Replace the fault rules (counters restart).
    pub fn set_faults(&self, faults: FaultConfig) {
        *self.inner.faults.lock().unwrap_or_else(|e| e.into_inner()) = FaultEngine::new(faults, self.inner.seed);
    }

    /// Issue an access token for a principal (tests): `admin` or a tenant name.
    pub fn token_for(&self, name: &str) -> Option<String> {
        let id = &self.inner.identity;
        let p = std::iter::once(&id.admin).chain(id.tenants.iter()).find(|p| p.name == name)?;
        Some(auth::issue_token(self, p, "emulator").0)
    }

    pub(crate) fn set_base(&self, base: String) {
        *self.inner.base.write().unwrap_or_else(|e| e.into_inner()) = Some(base);
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.inner.now.unwrap_or_else(Utc::now)
    }

    pub(crate) fn subscriptions(&self) -> Vec<SubscriptionInfo> {
        self.inner.subs.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn refresh_subscriptions(&self) -> anyhow::Result<()> {
        let subs = self.inner.store.subscriptions()?;
        *self.inner.subs.write().unwrap_or_else(|e| e.into_inner()) = subs;
        Ok(())
    }

    pub(crate) fn cached(&self, fp: &str, snapshot: i64) -> Option<Arc<Vec<AggRow>>> {
        let c = self.inner.agg_cache.lock().unwrap_or_else(|e| e.into_inner());
        c.iter().find(|((f, s), _)| f == fp && *s == snapshot).map(|(_, v)| v.clone())
    }

    pub(crate) fn cache(&self, fp: String, snapshot: i64, rows: Arc<Vec<AggRow>>) {
        let mut c = self.inner.agg_cache.lock().unwrap_or_else(|e| e.into_inner());
        c.retain(|((f, s), _)| !(f == &fp && *s == snapshot));
        c.insert(0, ((fp, snapshot), rows));
        c.truncate(8);
    }
}

/// `scheme://host[:port]` as the client addressed us (Host header), else the bound address.
pub(crate) fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let scheme = if state.inner.https { "https" } else { "http" };
    if let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        let ok = !host.is_empty()
            && host.len() <= 255
            && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'));
        if ok {
            return format!("{scheme}://{host}");
        }
    }
    state
        .inner
        .base
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_else(|| format!("{scheme}://localhost"))
}

/// The application router (use with `oneshot` in tests, or serve it).
pub fn app(state: AppState) -> Router {
    Router::new().fallback(dispatch).with_state(state)
}

async fn dispatch(State(state): State<AppState>, req: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let correlation = req
        .headers()
        .get("x-ms-correlation-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && uuid::Uuid::parse_str(v).is_ok())
        .map(str::to_string)
        .unwrap_or_else(|| request_id.clone());
    let (parts, body) = req.into_parts();
    let lower = parts.uri.path().to_ascii_lowercase();
    let segs: Vec<&str> = lower.trim_matches('/').split('/').collect();
    let orig_path = parts.uri.path().to_string();
    let orig_segs: Vec<&str> = orig_path.trim_matches('/').split('/').collect();
    let m = parts.method.clone();
    let h = &parts.headers;
    let q = usage::query_params(&parts.uri);

    // Route.
    enum Route {
        Usage(usage::Api, String),
        Directory(String, directory::Collection),
        Auth,
        Other,
    }
    let route = match (m.clone(), segs.as_slice()) {
        (Method::GET, ["subscriptions", _, "providers", "microsoft.commerce.admin", "subscriberusageaggregates"])
        | (Method::GET, ["subscriptions", _, "providers", "microsoft.commerce", "subscriberusageaggregates"]) => {
            Route::Usage(usage::Api::Provider, orig_segs[1].to_string())
        }
        (Method::GET, ["subscriptions", _, "providers", "microsoft.commerce", "usageaggregates"]) => {
            Route::Usage(usage::Api::Tenant, orig_segs[1].to_string())
        }
        (Method::GET, ["subscriptions", _, "providers", "microsoft.subscriptions.admin", "subscriptions"]) => {
            Route::Directory(orig_segs[1].to_string(), directory::Collection::Subscriptions)
        }
        (Method::GET, ["subscriptions", _, "providers", "microsoft.subscriptions.admin", "offers"]) => {
            Route::Directory(orig_segs[1].to_string(), directory::Collection::Offers(None))
        }
        (
            Method::GET,
            ["subscriptions", _, "resourcegroups", _, "providers", "microsoft.subscriptions.admin", "offers"],
        ) => Route::Directory(orig_segs[1].to_string(), directory::Collection::Offers(Some(orig_segs[3].to_string()))),
        (_, ["metadata", "endpoints"]) | (_, ["login", ..]) | (_, ["adfs", ..]) => Route::Auth,
        _ => Route::Other,
    };

    // Faults.
    let scope = match route {
        // The directory is a data API like the usage APIs: the default fault scope covers both.
        Route::Usage(..) | Route::Directory(..) => Some(Scope::Usage),
        Route::Auth => Some(Scope::Auth),
        Route::Other => None,
    };
    let fault = scope.and_then(|s| state.inner.faults.lock().unwrap_or_else(|e| e.into_inner()).decide(s));
    let mut drop_body = false;
    let mut response = match fault {
        Some(FaultKind::TooManyRequests { retry_after }) => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            format!("The request is being throttled. Retry after {retry_after} seconds."),
        )
        .with_header(header::RETRY_AFTER, retry_after.to_string())
        .into_response(),
        Some(FaultKind::ServiceUnavailable { retry_after }) => {
            let mut e = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "The service is temporarily unavailable or busy. Please retry the request.",
            );
            if let Some(s) = retry_after {
                e = e.with_header(header::RETRY_AFTER, s.to_string());
            }
            e.into_response()
        }
        Some(FaultKind::GatewayTimeout) => ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "GatewayTimeout",
            "The gateway did not receive a response from 'Microsoft.Commerce.Admin' within the specified time period.",
        )
        .with_header(header::HeaderName::from_static("x-ms-failure-cause"), "service")
        .with_header(header::CONNECTION, "close")
        .into_response(),
        Some(FaultKind::InternalError) => {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError", "Injected fault.").into_response()
        }
        other => {
            if let Some(FaultKind::Delay(d)) = other {
                tokio::time::sleep(d).await;
            }
            drop_body = other == Some(FaultKind::Drop);
            let r: Result<Response, ApiError> = async {
                match route {
                    Route::Usage(api, sub) => {
                        let caller = auth::authenticate(&state, h)?;
                        let v = usage::validate(&state, api, &sub, &caller, &parts.uri)?;
                        usage::page(&state, v, &parts.uri, h).await
                    }
                    Route::Directory(sub, collection) => {
                        let caller = auth::authenticate(&state, h)?;
                        directory::list(&state, &caller, &sub, collection, &parts.uri, h, &q).await
                    }
                    Route::Auth => {
                        let body = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
                        Ok(auth_route(&state, &m, &segs, &orig_segs, h, &q, &body))
                    }
                    Route::Other => control::route(&state, &m, &segs, &orig_segs, h, &q, body).await,
                }
            }
            .await;
            r.unwrap_or_else(|e| e.into_response())
        }
    };

    let hm = response.headers_mut();
    let hv = |s: &str| HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static(""));
    hm.insert("x-ms-request-id", hv(&request_id));
    hm.insert("x-ms-correlation-request-id", hv(&correlation));
    hm.insert("x-ms-routing-request-id", hv(&format!("LOCAL:{}:{}", Utc::now().format("%Y%m%dT%H%M%SZ"), request_id)));
    if matches!(scope, Some(Scope::Usage)) || segs.first() == Some(&"subscriptions") {
        let n = state.inner.reads.fetch_add(1, Ordering::Relaxed);
        hm.insert("x-ms-ratelimit-remaining-subscription-reads", hv(&(14_999 - (n % 15_000)).to_string()));
    }
    hm.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    hm.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    hm.insert(header::EXPIRES, HeaderValue::from_static("-1"));
    hm.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    if drop_body {
        response = truncate(response).await;
    }
    response
}

/// Send the headers and the first part of the body, then fail the body stream so hyper aborts the
/// connection mid-body.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let half = Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
    parts.headers.remove(header::CONTENT_LENGTH);
    // The pause lets hyper flush the headers and the first chunk before the stream fails.
    let stream = futures::stream::unfold(0u8, move |step| {
        let half = half.clone();
        async move {
            match step {
                0 => Some((Ok::<Bytes, std::io::Error>(half), 1)),
                1 => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Some((
                        Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "injected connection drop")),
                        2,
                    ))
                }
                _ => None,
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

fn auth_route(
    state: &AppState,
    m: &Method,
    segs: &[&str],
    orig: &[&str],
    h: &HeaderMap,
    q: &std::collections::BTreeMap<String, String>,
    body: &[u8],
) -> Response {
    use auth::TokenFlavor::*;
    match (m, segs) {
        (&Method::GET, ["metadata", "endpoints"]) => auth::metadata(state, h, q.get("api-version").map(String::as_str)),
        (&Method::GET, ["login", _, ".well-known", "openid-configuration"]) => {
            auth::openid_configuration(state, h, Some(orig[1]))
        }
        (&Method::GET, ["adfs", ".well-known", "openid-configuration"]) => auth::openid_configuration(state, h, None),
        (&Method::POST, ["login", _, "oauth2", "token"]) if state.inner.identity_system == IdentitySystem::AzureAD => {
            auth::token(state, h, Some(orig[1]), AadV1, body)
        }
        (&Method::POST, ["login", _, "oauth2", "v2.0", "token"])
            if state.inner.identity_system == IdentitySystem::AzureAD =>
        {
            auth::token(state, h, Some(orig[1]), AadV2, body)
        }
        (&Method::POST, ["adfs", "oauth2", "token"]) if state.inner.identity_system == IdentitySystem::ADFS => {
            auth::token(state, h, None, Adfs, body)
        }
        _ => not_found(),
    }
}

pub(crate) fn not_found() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        serde_json::json!({"error": {"code": "NotFound", "message": "The requested resource was not found."}})
            .to_string(),
    )
}
