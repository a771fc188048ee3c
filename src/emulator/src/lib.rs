//! A local emulator of the Azure Stack Hub usage service.
//!
//! It serves the provider (`subscriberUsageAggregates`) and tenant (`usageAggregates`) usage APIs from
//! a SQLite store seeded with deterministic, realistic data, plus the identity endpoints a client
//! needs (`/metadata/endpoints`, Azure AD or AD FS token endpoints), ingestion, stats and fault
//! injection for tests. See `docs/emulator.md`-style notes in each module:
//! [`http`] (routes and validation order), [`faults`] (fault syntax), [`store`] (data model).
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let emu = azs_usage_emulator::start(azs_usage_emulator::EmulatorConfig {
//!     database: azs_usage_emulator::StoreLocation::Memory,
//!     ..Default::default()
//! }).await?;
//! println!("{}", emu.url());
//! emu.shutdown().await;
//! # Ok(()) }
//! ```

#![warn(missing_docs, missing_debug_implementations)]

pub mod config;
pub mod directory;
pub mod faults;
pub mod http;
pub mod meters;
mod rng;
pub mod seed;
pub mod store;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use url::Url;

pub use config::{DEFAULT_APPROX_RECORDS, EmulatorConfig, IdentitySystem};
pub use faults::FaultConfig;
pub use http::{AppState, app};
pub use store::{Store, StoreLocation};

/// A principal in the ready file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReadyPrincipal {
    /// Directory tenant GUID.
    pub tenant_id: String,
    /// Client (application) id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: String,
}

/// A tenant in the ready file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReadyTenant {
    /// Tenant name (contoso, fabrikam, ...).
    pub name: String,
    /// Directory tenant GUID.
    pub tenant_id: String,
    /// Client id of the tenant's principal.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    /// Its active subscriptions.
    pub subscription_ids: Vec<String>,
    /// All its subscriptions (the deleted one included) as the admin directory lists them.
    #[serde(default)]
    pub subscriptions: Vec<ReadySubscription>,
}

/// A tenant subscription in the ready file, with its directory data (the admin directory API's view).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReadySubscription {
    /// Subscription GUID.
    pub subscription_id: String,
    /// Display name.
    pub display_name: String,
    /// Owner (UPN).
    pub owner: String,
    /// The offer's resource id.
    pub offer_id: String,
    /// The offer's display name (what a directory file's `OfferName` holds).
    pub offer_name: String,
    /// `Enabled` or `Deleted`.
    pub state: String,
}

/// An offer in the ready file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReadyOffer {
    /// Resource id (`/subscriptions/{provider}/resourceGroups/{rg}/providers/Microsoft.Subscriptions.Admin/offers/{name}`).
    pub id: String,
    /// Name (last segment of the id).
    pub name: String,
    /// Display name.
    pub display_name: String,
    /// `Public`, `Private` or `Decommissioned`.
    pub state: String,
}

/// The ready file (docs/CONTRACTS.md), written once the listener accepts connections.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReadyInfo {
    /// Base URL (`http://127.0.0.1:PORT`).
    pub endpoint: String,
    /// Admin ARM endpoint (same server).
    pub admin_endpoint: String,
    /// Tenant ARM endpoint (same server).
    pub tenant_endpoint: String,
    /// PEM of the CA that signed the HTTPS certificate (None for HTTP).
    pub ca_certificate_file: Option<String>,
    /// `AzureAD` or `ADFS`.
    pub identity_system: String,
    /// `authentication.loginEndpoint` of the metadata endpoint.
    pub login_endpoint: String,
    /// Token audience.
    pub audience: String,
    /// The Default Provider Subscription.
    pub provider_subscription_id: String,
    /// The operator principal.
    pub admin: ReadyPrincipal,
    /// One entry per tenant.
    pub tenants: Vec<ReadyTenant>,
    /// The provider's offers (admin directory).
    #[serde(default)]
    pub offers: Vec<ReadyOffer>,
    /// Database path (`:memory:` for an in-memory store).
    pub database: String,
    /// Hourly records in the store at start.
    pub records: u64,
}

/// A running emulator.
#[derive(Debug)]
pub struct RunningEmulator {
    info: ReadyInfo,
    state: AppState,
    handle: axum_server::Handle<SocketAddr>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    addr: SocketAddr,
}

impl RunningEmulator {
    /// What was written to the ready file.
    pub fn info(&self) -> &ReadyInfo {
        &self.info
    }
    /// Base URL.
    pub fn url(&self) -> Url {
        Url::parse(&self.info.endpoint).expect("endpoint is a valid URL")
    }
    /// The bound socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
    /// The shared state (store, faults, token helper for tests).
    pub fn state(&self) -> &AppState {
        &self.state
    }
    /// Graceful shutdown: stop accepting, let in-flight requests finish (at most 5 s).
    pub async fn shutdown(self) {
        self.handle.graceful_shutdown(Some(Duration::from_secs(5)));
        let _ = self.task.await;
    }
    /// Serve until the server stops (e.g. after `shutdown` from another handle, or an I/O error).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// Open (and seed if empty) the store described by a config.
pub fn open_store(config: &EmulatorConfig) -> anyhow::Result<Store> {
    let store = Store::open(&config.database)?;
    if !store.is_seeded()? {
        let opts = seed::SeedOptions {
            seed: config.seed,
            days: config.days,
            now: config.now.unwrap_or_else(Utc::now),
            approx_records: config.approx_records.unwrap_or(DEFAULT_APPROX_RECORDS),
            tenants: config.tenants,
            identity: config.identity,
        };
        let t = std::time::Instant::now();
        let n = seed::seed(&store, &opts)?;
        tracing::info!(records = n, elapsed_ms = t.elapsed().as_millis() as u64, "seeded the store");
    } else {
        store.ensure_directory()?;
    }
    Ok(store)
}

fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Generate a CA and a server certificate for localhost/127.0.0.1/the bind address.
fn make_certificates(bind: std::net::IpAddr) -> anyhow::Result<(String, String, String)> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name.push(DnType::CommonName, "AzsUsage emulator CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);
    let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
    let b = bind.to_string();
    if !names.contains(&b) && !bind.is_unspecified() {
        names.push(b);
    }
    let key = KeyPair::generate()?;
    let mut leaf = CertificateParams::new(names)?;
    leaf.distinguished_name.push(DnType::CommonName, "localhost");
    let cert = leaf.signed_by(&key, &issuer)?;
    Ok((ca_cert.pem(), cert.pem(), key.serialize_pem()))
}

fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}

/// Seed if needed, bind, serve in the background, and write the ready file once accepting.
pub async fn start(config: EmulatorConfig) -> anyhow::Result<RunningEmulator> {
    let cfg = config.clone();
    let store = tokio::task::spawn_blocking(move || open_store(&cfg)).await??;
    let store = Arc::new(store);
    let state = AppState::new(store.clone(), &config)?;
    let listener = std::net::TcpListener::bind(SocketAddr::new(config.bind, config.port))
        .with_context(|| format!("binding {}:{}", config.bind, config.port))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let scheme = if config.https { "https" } else { "http" };
    let host = match addr.ip() {
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip if ip.is_unspecified() => "127.0.0.1".to_string(),
        ip => ip.to_string(),
    };
    let endpoint = format!("{scheme}://{host}:{}", addr.port());
    state.set_base(endpoint.clone());

    let handle = axum_server::Handle::new();
    let router = app(state.clone());
    let mut ca_file = None;
    let task = if config.https {
        install_crypto_provider();
        let (ca_pem, cert_pem, key_pem) = make_certificates(config.bind)?;
        let dir: PathBuf = config
            .ready_file
            .as_ref()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .or_else(|| match &config.database {
                StoreLocation::File(p) => p.parent().map(Path::to_path_buf),
                StoreLocation::Memory => None,
            })
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or_else(|| std::env::temp_dir().join(format!("azs-usage-emulator-{}", addr.port())));
        let stem = config
            .ready_file
            .as_ref()
            .and_then(|p| p.file_stem())
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "emulator".into());
        let ca_path = dir.join(format!("{stem}.ca.pem"));
        write_atomic(&ca_path, ca_pem.as_bytes())?;
        let abs = std::path::absolute(&ca_path).unwrap_or(ca_path);
        ca_file = Some(abs.to_string_lossy().to_string());
        let tls = axum_server::tls_rustls::RustlsConfig::from_pem(cert_pem.into_bytes(), key_pem.into_bytes()).await?;
        let server = axum_server::from_tcp_rustls(listener, tls)?.handle(handle.clone());
        tokio::spawn(server.serve(router.into_make_service()))
    } else {
        let server = axum_server::from_tcp(listener)?.handle(handle.clone());
        tokio::spawn(server.serve(router.into_make_service()))
    };
    if handle.listening().await.is_none() {
        let res = task.await;
        anyhow::bail!("the emulator failed to start: {res:?}");
    }

    let identity = state.identity().clone();
    let login_endpoint = match config.identity {
        IdentitySystem::AzureAD => format!("{endpoint}/login/"),
        IdentitySystem::ADFS => format!("{endpoint}/adfs/"),
    };
    let (records, directory, offers) = {
        let s = store.clone();
        tokio::task::spawn_blocking(move || anyhow::Ok((s.record_count()?, s.directory()?, s.offers()?))).await??
    };
    let provider = &identity.provider_subscription_id;
    let offer_id = |o: &directory::OfferInfo| {
        format!(
            "/subscriptions/{provider}/resourceGroups/{}/providers/Microsoft.Subscriptions.Admin/offers/{}",
            o.resource_group, o.name
        )
    };
    let info = ReadyInfo {
        endpoint: endpoint.clone(),
        admin_endpoint: endpoint.clone(),
        tenant_endpoint: endpoint.clone(),
        ca_certificate_file: ca_file,
        identity_system: config.identity.to_string(),
        login_endpoint,
        audience: identity.audience.clone(),
        provider_subscription_id: identity.provider_subscription_id.clone(),
        admin: ReadyPrincipal {
            tenant_id: identity.admin.tenant_id.clone(),
            client_id: identity.admin.client_id.clone(),
            client_secret: identity.admin.client_secret.clone(),
        },
        tenants: identity
            .tenants
            .iter()
            .map(|t| ReadyTenant {
                name: t.name.clone(),
                tenant_id: t.tenant_id.clone(),
                client_id: t.client_id.clone(),
                client_secret: t.client_secret.clone(),
                subscription_ids: t.subscription_ids.clone(),
                subscriptions: directory
                    .iter()
                    .filter(|e| e.tenant.as_deref() == Some(t.name.as_str()))
                    .map(|e| ReadySubscription {
                        subscription_id: e.subscription_id.clone(),
                        display_name: e.display_name.clone(),
                        owner: e.owner.clone(),
                        offer_id: e.offer.as_ref().map(offer_id).unwrap_or_default(),
                        offer_name: e.offer.as_ref().map(|o| o.display_name.clone()).unwrap_or_default(),
                        state: e.state.clone(),
                    })
                    .collect(),
            })
            .collect(),
        offers: offers
            .iter()
            .map(|o| ReadyOffer {
                id: offer_id(o),
                name: o.name.clone(),
                display_name: o.display_name.clone(),
                state: o.state.clone(),
            })
            .collect(),
        database: match &config.database {
            StoreLocation::File(p) => std::path::absolute(p).unwrap_or(p.clone()).to_string_lossy().to_string(),
            StoreLocation::Memory => ":memory:".to_string(),
        },
        records,
    };
    if let Some(path) = &config.ready_file {
        write_atomic(path, serde_json::to_string_pretty(&info)?.as_bytes())?;
    }
    tracing::info!(endpoint = %endpoint, records, "emulator ready");
    Ok(RunningEmulator { info, state, handle, task, addr })
}
