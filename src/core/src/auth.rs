//! Credentials and bearer-token acquisition (Azure AD and AD FS, client secret or certificate).

use std::fmt;
use std::path::PathBuf;

use secrecy::SecretString;

/// How the client authenticates. `Debug` never shows a secret.
#[derive(Clone)]
pub enum Credential {
    /// No `Authorization` header (emulators, tests).
    Anonymous,
    /// A static bearer token obtained elsewhere.
    Token(SecretString),
    /// Service principal with a client secret. `tenant` is required for Azure AD, ignored for AD FS.
    ClientSecret {
        /// Directory tenant (GUID or domain); `None` for AD FS.
        tenant: Option<String>,
        /// Application (client) id.
        client_id: String,
        /// Client secret.
        secret: SecretString,
    },
    /// Service principal with a certificate (PEM file holding the certificate and its private key).
    Certificate {
        /// Directory tenant (GUID or domain); `None` for AD FS.
        tenant: Option<String>,
        /// Application (client) id.
        client_id: String,
        /// PEM file with the certificate and its RSA private key.
        pem_file: PathBuf,
        /// Password of an encrypted private key (not supported: see the error it produces).
        password: Option<SecretString>,
    },
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Anonymous => f.write_str("Anonymous"),
            Credential::Token(_) => f.write_str("Token([REDACTED])"),
            Credential::ClientSecret { tenant, client_id, .. } => f
                .debug_struct("ClientSecret")
                .field("tenant", tenant)
                .field("client_id", client_id)
                .field("secret", &"[REDACTED]")
                .finish(),
            Credential::Certificate { tenant, client_id, pem_file, password } => f
                .debug_struct("Certificate")
                .field("tenant", tenant)
                .field("client_id", client_id)
                .field("pem_file", pem_file)
                .field("password", &password.as_ref().map(|_| "[REDACTED]"))
                .finish(),
        }
    }
}
