//! TLS set-up for the HTTP client: rustls (ring), OS trust store plus an optional extra CA.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::error::{Error, Reason, Result};

/// TLS trust options. Default: the OS trust store only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// A PEM file with extra CA certificates to trust (e.g. the stamp's internal root CA).
    pub extra_ca_file: Option<PathBuf>,
    /// Accept any server certificate. For labs only; a warning is logged.
    pub insecure: bool,
}

/// Builds the HTTP client: rustls with the ring provider, the OS trust store plus `extra_ca_file`,
/// or (insecure) no certificate checks at all.
pub(crate) fn build_http_client(tls: &TlsOptions, timeout: Duration) -> Result<reqwest::Client> {
    // The process-wide default may already be installed (by us or by the host): that is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(Reason::InternalError, format!("TLS set-up failed: {e}")).with_source(e))?;
    let mut config = if tls.insecure {
        tracing::warn!(
            "TLS certificate verification is DISABLED (insecure): anyone on the network path can read and alter \
             usage data and capture tokens; use an extra CA file instead"
        );
        builder.dangerous().with_custom_certificate_verifier(Arc::new(AcceptAny(provider))).with_no_client_auth()
    } else {
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        let (added, _) = roots.add_parsable_certificates(native.certs);
        if let Some(path) = &tls.extra_ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| ca_error(format!("cannot read CA file {}: {e}", path.display())).with_source(e))?;
            let certs: Vec<_> = rustls_pemfile::certs(&mut pem.as_slice())
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| ca_error(format!("CA file {} is not valid PEM: {e}", path.display())).with_source(e))?;
            if certs.is_empty() {
                return Err(ca_error(format!(
                    "CA file {} holds no certificate (expected PEM blocks '-----BEGIN CERTIFICATE-----')",
                    path.display()
                )));
            }
            let (ok, bad) = roots.add_parsable_certificates(certs);
            if ok == 0 {
                return Err(ca_error(format!(
                    "CA file {}: none of its {bad} certificate(s) could be used as a trust anchor",
                    path.display()
                )));
            }
        } else if added == 0 {
            tracing::warn!("no OS trust anchors found; HTTPS endpoints will fail unless an extra CA file is given");
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(30)))
        .user_agent(concat!("AzsUsage/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::new(Reason::TlsFailed, "cannot build the HTTP client with this TLS set-up").with_source(e))
}

fn ca_error(message: String) -> Error {
    Error::new(Reason::CaFileInvalid, message)
}

/// Accepts any certificate (insecure mode). Handshake signatures are still checked so that the
/// connection is at least internally consistent.
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_clients_and_checks_ca_file() {
        build_http_client(&TlsOptions::default(), Duration::from_secs(5)).unwrap();
        build_http_client(&TlsOptions { insecure: true, ..Default::default() }, Duration::from_secs(5)).unwrap();
        let missing = TlsOptions { extra_ca_file: Some("/nonexistent/ca.pem".into()), insecure: false };
        assert!(
            build_http_client(&missing, Duration::from_secs(5)).unwrap_err().message.contains("cannot read CA file")
        );
        let dir = std::env::temp_dir().join(format!("azs-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("empty.pem");
        std::fs::write(&f, "not a certificate").unwrap();
        let e = build_http_client(&TlsOptions { extra_ca_file: Some(f), insecure: false }, Duration::from_secs(5))
            .unwrap_err();
        assert!(e.message.contains("no certificate"), "{}", e.message);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
