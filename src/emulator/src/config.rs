//! Emulator configuration (the CLI maps its flags onto this struct).

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::faults::FaultConfig;
use crate::store::StoreLocation;

/// Which identity system the stamp pretends to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum IdentitySystem {
    /// Azure AD / Entra ID: `loginEndpoint` = `{base}/login/`, token at `{login}{tenant}/oauth2/token`.
    #[default]
    AzureAD,
    /// AD FS: `loginEndpoint` = `{base}/adfs/`, token at `/adfs/oauth2/token`, tenant `adfs`.
    ADFS,
}

impl std::str::FromStr for IdentitySystem {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "azuread" | "aad" | "entra" | "entraid" => Ok(IdentitySystem::AzureAD),
            "adfs" => Ok(IdentitySystem::ADFS),
            _ => anyhow::bail!("unknown identity system '{s}' (expected AzureAD or ADFS)"),
        }
    }
}

impl std::fmt::Display for IdentitySystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IdentitySystem::AzureAD => "AzureAD",
            IdentitySystem::ADFS => "ADFS",
        })
    }
}

/// Default approximate record count of a freshly seeded store (a modest data set).
pub const DEFAULT_APPROX_RECORDS: u64 = 40_000;

/// Everything `start()` needs.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Address to bind (default 127.0.0.1).
    pub bind: IpAddr,
    /// Port (0 = pick a free port).
    pub port: u16,
    /// Serve HTTPS with a generated self-signed CA + server certificate.
    pub https: bool,
    /// SQLite file or in-memory store.
    pub database: StoreLocation,
    /// Seed of the simulated data (and fault RNG unless the fault spec sets its own).
    pub seed: u64,
    /// Days of history to seed, up to the current hour.
    pub days: u32,
    /// Approximate number of hourly records to seed (None = [`DEFAULT_APPROX_RECORDS`]).
    pub approx_records: Option<u64>,
    /// Number of tenants (each gets 1-3 subscriptions and a service principal).
    pub tenants: usize,
    /// Records per page (the real service uses 1000).
    pub page_size: usize,
    /// Azure AD or AD FS flavoured identity endpoints.
    pub identity: IdentitySystem,
    /// Faults to inject from the start.
    pub faults: FaultConfig,
    /// Where to write the ready file (JSON, see docs/CONTRACTS.md).
    pub ready_file: Option<PathBuf>,
    /// Clock override (tests): the emulator's "now" for seeding and for `RequestEndTimeIsInFuture`.
    pub now: Option<DateTime<Utc>>,
    /// Lifetime of issued access tokens.
    pub token_lifetime: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            https: false,
            database: StoreLocation::default(),
            seed: 42,
            days: 30,
            approx_records: None,
            tenants: 3,
            page_size: 1000,
            identity: IdentitySystem::AzureAD,
            faults: FaultConfig::default(),
            ready_file: None,
            now: None,
            token_lifetime: Duration::from_secs(3600),
        }
    }
}
