//! TLS set-up for the HTTP client: rustls (ring), OS trust store plus an optional extra CA.

use std::path::PathBuf;

/// TLS trust options. Default: the OS trust store only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// A PEM file with extra CA certificates to trust (e.g. the stamp's internal root CA).
    pub extra_ca_file: Option<PathBuf>,
    /// Accept any server certificate. For labs only; a warning is logged.
    pub insecure: bool,
}
