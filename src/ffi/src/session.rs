//! The connection service: owns a Tokio runtime and a `UsageClient`.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use azs_usage_core::{ClientOptions, Credential, Reason, SecretString, TlsOptions, Url, UsageClient};
use interoptopus::ffi;
use interoptopus::wire::Wire;

use crate::convert::{error, error_of, opt, tenant_subscription};
use crate::dto::{ConnectOptionsDto, DirectoryOutcome, EventList, TextOutcome};
use crate::events::Hub;
use crate::{NativeStatus, guarded};

/// A Tokio runtime that shuts down in the background when the last owner drops it, so that a
/// `Dispose()` on the pipeline thread never blocks on in-flight requests.
#[derive(Debug)]
pub(crate) struct Runtime(Option<tokio::runtime::Runtime>);

impl Runtime {
    pub(crate) fn get(&self) -> &tokio::runtime::Runtime {
        self.0.as_ref().expect("runtime present until drop")
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// A connection to one ARM endpoint. Create it, `connect` it, open cursors on it.
#[ffi(service)]
#[derive(Debug)]
pub struct Session {
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) client: OnceLock<UsageClient>,
    pub(crate) hub: Arc<Hub>,
}

#[ffi]
impl Session {
    /// A new, unconnected session with its own (two-worker) Tokio runtime.
    pub fn create() -> ffi::Result<Self, NativeStatus> {
        guarded(|| {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("azs-usage")
                .enable_all()
                .build()
                .expect("tokio runtime");
            Session { runtime: Arc::new(Runtime(Some(rt))), client: OnceLock::new(), hub: Arc::default() }
        })
    }

    /// Builds the client (HTTP/TLS). Authentication happens lazily, on the first request; call
    /// `default_subscription` (or `check`) to prove the credential. Value: the endpoint, or error.
    pub fn connect(&self, mut options: Wire<ConnectOptionsDto>) -> ffi::Result<Wire<TextOutcome>, NativeStatus> {
        guarded(|| {
            let o = options.unwire();
            Wire::from(self.connect_inner(o))
        })
    }

    /// The connection's default subscription: the "Default Provider Subscription" by name, else
    /// the first one the credential can see. Proves the credential.
    pub fn default_subscription(&self) -> ffi::Result<Wire<TextOutcome>, NativeStatus> {
        guarded(|| {
            let out = match self.client.get() {
                None => failed(error_of(Reason::NotConnected, "The session is not connected.")),
                Some(c) => match self.runtime.get().block_on(c.default_subscription()) {
                    Ok(id) => TextOutcome { text: id, error: Vec::new() },
                    Err(e) => failed(error(&e)),
                },
            };
            Wire::from(out)
        })
    }

    /// The provider's tenant directory: every tenant subscription with its owner, directory tenant, offer and
    /// state. `provider_subscription` empty: the connection's default subscription. Provider only: a tenant
    /// identity gets a `PermissionDenied` error saying so.
    pub fn tenant_subscriptions(
        &self,
        mut provider_subscription: Wire<String>,
    ) -> ffi::Result<Wire<DirectoryOutcome>, NativeStatus> {
        guarded(|| {
            let provider = provider_subscription.unwire();
            let failed = |e| DirectoryOutcome { subscriptions: Vec::new(), error: vec![e] };
            let out = match self.client.get() {
                None => failed(error_of(Reason::NotConnected, "The session is not connected.")),
                Some(c) => {
                    let listed = self.runtime.get().block_on(async {
                        let provider = match opt(&provider) {
                            Some(p) => p,
                            None => c.default_subscription().await?,
                        };
                        c.tenant_subscriptions(&provider).await
                    });
                    match listed {
                        Ok(subs) => DirectoryOutcome {
                            subscriptions: subs.iter().map(tenant_subscription).collect(),
                            error: Vec::new(),
                        },
                        Err(e) => failed(error(&e)),
                    }
                }
            };
            Wire::from(out)
        })
    }

    /// Events that happened while no cursor was open (connect, default subscription, directory).
    pub fn drain_events(&self) -> ffi::Result<Wire<EventList>, NativeStatus> {
        guarded(|| Wire::from(EventList { events: self.hub.drain_session() }))
    }
}

fn failed(e: crate::dto::ErrorDto) -> TextOutcome {
    TextOutcome { text: String::new(), error: vec![e] }
}

impl Session {
    fn connect_inner(&self, o: ConnectOptionsDto) -> TextOutcome {
        if self.client.get().is_some() {
            return failed(error_of(Reason::AlreadyConnected, "The session is already connected."));
        }
        let endpoint = match Url::parse(o.endpoint.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u,
            Ok(_) => {
                return failed(error_of(
                    Reason::InvalidEndpoint,
                    format!("The endpoint '{}' is not an http(s) URL.", o.endpoint),
                ));
            }
            Err(e) => {
                return failed(error_of(
                    Reason::InvalidEndpoint,
                    format!("The endpoint '{}' is not a valid URL: {e}.", o.endpoint),
                ));
            }
        };
        let tenant = opt(&o.tenant);
        let credential = match o.credential_kind.as_str() {
            "Anonymous" | "" => Credential::Anonymous,
            "Token" => Credential::Token(SecretString::from(o.secret)),
            "ClientSecret" => {
                Credential::ClientSecret { tenant, client_id: o.client_id, secret: SecretString::from(o.secret) }
            }
            "Certificate" => Credential::Certificate {
                tenant,
                client_id: o.client_id,
                pem_file: PathBuf::from(o.certificate_path),
                password: opt(&o.certificate_password).map(SecretString::from),
            },
            other => {
                return failed(error_of(Reason::InvalidCredential, format!("Unknown credential kind '{other}'.")));
            }
        };
        let mut options = ClientOptions::new(endpoint.clone(), credential);
        options.tls = TlsOptions { extra_ca_file: opt(&o.ca_file).map(PathBuf::from), insecure: o.insecure != 0 };
        if o.timeout_seconds > 0 {
            options.request_timeout = Duration::from_secs(u64::from(o.timeout_seconds));
        }
        if let Ok(n) = u32::try_from(o.max_retries) {
            options.retry.max_retries = n;
        }
        let hub = Arc::clone(&self.hub);
        options.events = Some(Arc::new(move |e| hub.push(e)));
        // The cmdlets pull one page per `next_page` call: `-First` and `Select-Object -First`
        // must not cause a request beyond the page that satisfied them.
        options.prefetch = false;
        match self.runtime.get().block_on(UsageClient::connect(options)) {
            Ok(client) => {
                let _ = self.client.set(client);
                TextOutcome { text: endpoint.to_string(), error: Vec::new() }
            }
            Err(e) => failed(error(&e)),
        }
    }
}
