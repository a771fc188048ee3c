//! Credentials and bearer-token acquisition (Azure AD and AD FS, client secret or certificate).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha1::{Digest, Sha1};
use url::Url;

use crate::endpoint;
use crate::error::{Error, Reason, Result};
use crate::http::{Body, Response, Sender, describe_status};
use crate::parse::describe_body;

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

/// How long before expiry a cached token is replaced.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// What the ARM metadata endpoint says about authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Discovery {
    pub(crate) login_endpoint: String,
    pub(crate) audience: String,
    pub(crate) adfs: bool,
}

/// AD FS when the login endpoint, trimmed of '/', ends with `/adfs` (usage-api.md §4.1).
pub(crate) fn is_adfs(login_endpoint: &str) -> bool {
    login_endpoint.trim_end_matches('/').to_ascii_lowercase().ends_with("/adfs")
}

impl Discovery {
    /// The token endpoint: `{login}/oauth2/token` for AD FS, `{login}{tenant}/oauth2/token` for Azure AD.
    pub(crate) fn token_url(&self, tenant: Option<&str>) -> Result<Url> {
        let base = self.login_endpoint.trim_end_matches('/');
        let text = if self.adfs {
            format!("{base}/oauth2/token")
        } else {
            let tenant = tenant.map(str::trim).filter(|t| !t.is_empty()).ok_or_else(|| {
                Error::new(
                    Reason::AuthenticationFailed,
                    format!(
                        "this stamp uses Azure AD (login endpoint {}), which needs a directory tenant: pass the tenant \
                         id or domain (e.g. contoso.onmicrosoft.com) with the credential",
                        self.login_endpoint
                    ),
                )
            })?;
            format!("{base}/{tenant}/oauth2/token")
        };
        Url::parse(&text).map_err(|e| {
            Error::new(Reason::AuthenticationFailed, format!("the login endpoint gives an invalid token URL {text}"))
                .with_source(e)
        })
    }
}

struct CachedToken {
    value: SecretString,
    refresh_at: Instant,
}

#[derive(Default)]
struct AuthState {
    discovery: Option<Discovery>,
    token: Option<CachedToken>,
}

/// Acquires and caches bearer tokens for one endpoint and credential.
pub(crate) struct Authenticator {
    credential: Credential,
    endpoint: Url,
    sender: Sender,
    // An async mutex: concurrent requests wait for one token fetch instead of all fetching.
    state: tokio::sync::Mutex<AuthState>,
}

impl Authenticator {
    pub(crate) fn new(credential: Credential, endpoint: Url, sender: Sender) -> Self {
        Authenticator { credential, endpoint, sender, state: Default::default() }
    }

    /// Whether a rejected token can be replaced by fetching a new one.
    pub(crate) fn can_refresh(&self) -> bool {
        matches!(self.credential, Credential::ClientSecret { .. } | Credential::Certificate { .. })
    }

    /// The bearer token to send, or `None` for anonymous access.
    pub(crate) async fn bearer(&self) -> Result<Option<SecretString>> {
        let (tenant, client_id) = match &self.credential {
            Credential::Anonymous => return Ok(None),
            Credential::Token(t) => return Ok(Some(t.clone())),
            Credential::ClientSecret { tenant, client_id, .. } | Credential::Certificate { tenant, client_id, .. } => {
                (tenant.clone(), client_id.clone())
            }
        };
        let mut state = self.state.lock().await;
        if let Some(t) = &state.token
            && Instant::now() < t.refresh_at
        {
            return Ok(Some(t.value.clone()));
        }
        if state.discovery.is_none() {
            state.discovery = Some(self.discover().await?);
        }
        let Some(discovery) = state.discovery.clone() else {
            return Err(Error::new(Reason::InternalError, "authentication discovery state lost"));
        };
        let token_url = discovery.token_url(tenant.as_deref())?;
        let fetched = self.fetch_token(&token_url, &client_id, &discovery.audience).await?;
        let value = fetched.value.clone();
        state.token = Some(fetched);
        Ok(Some(value))
    }

    /// Drops the cached token (after a 401), so the next call fetches a new one.
    pub(crate) async fn invalidate(&self) {
        self.state.lock().await.token = None;
    }

    async fn discover(&self) -> Result<Discovery> {
        let url = endpoint::metadata(&self.endpoint);
        let r = self.sender.send(Method::GET, &url, None, Body::None).await?;
        if !r.is_success() {
            return Err(auth_failure(
                &r,
                format!(
                    "cannot discover the login endpoint from {}: {}; check that the endpoint is the stamp's ARM \
                     endpoint (e.g. https://adminmanagement.local.azurestack.external)",
                    url.path(),
                    describe_status(&r)
                ),
            ));
        }
        parse_metadata(&r.body).map_err(|why| {
            auth_failure(
                &r,
                format!(
                    "the metadata endpoint {} answered without {why}; {}",
                    url.path(),
                    describe_body(&r.body, r.content_type())
                ),
            )
        })
    }

    async fn fetch_token(&self, token_url: &Url, client_id: &str, audience: &str) -> Result<CachedToken> {
        let mut form: Vec<(&str, &str)> =
            vec![("grant_type", "client_credentials"), ("client_id", client_id), ("resource", audience)];
        let assertion;
        let secret_text: Option<&str> = match &self.credential {
            Credential::ClientSecret { secret, .. } => {
                form.push(("client_secret", secret.expose_secret()));
                Some(secret.expose_secret())
            }
            Credential::Certificate { pem_file, password, .. } => {
                assertion = client_assertion(pem_file, password.is_some(), client_id, token_url.as_str())?;
                form.push(("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"));
                form.push(("client_assertion", assertion.expose_secret()));
                None
            }
            _ => None,
        };
        let started = SystemTime::now();
        let r = self.sender.send(Method::POST, token_url, None, Body::Form(&form)).await.map_err(|e| {
            let message = redact(&format!("the token request to {token_url} failed: {}", e.message), secret_text);
            Error { attempts: e.attempts, ..Error::new(Reason::AuthenticationFailed, message).with_source(e) }
        })?;
        if !r.is_success() {
            let detail = token_error_text(&r.body).unwrap_or_else(|| describe_status(&r));
            return Err(auth_failure(
                &r,
                redact(
                    &format!(
                        "the token endpoint {token_url} refused client {client_id} (HTTP {}): {detail}; check the \
                         client id, secret or certificate, and the tenant",
                        r.status
                    ),
                    secret_text,
                ),
            ));
        }
        let t: TokenResponse = serde_json::from_slice(&r.body).map_err(|_| {
            auth_failure(
                &r,
                format!(
                    "the token endpoint {token_url} answered without an access_token (content-type {})",
                    r.content_type().unwrap_or("(none)")
                ),
            )
        })?;
        let lifetime = t.lifetime(started).unwrap_or(Duration::from_secs(3600));
        Ok(CachedToken {
            value: SecretString::from(t.access_token),
            refresh_at: Instant::now() + lifetime.saturating_sub(REFRESH_MARGIN),
        })
    }
}

fn parse_metadata(body: &[u8]) -> std::result::Result<Discovery, &'static str> {
    let v: Value = serde_json::from_slice(body).map_err(|_| "valid JSON")?;
    // api-version 2019-10-01 answers with an array; 2015-01-01 with an object.
    let v = match v {
        Value::Array(mut a) if !a.is_empty() => a.swap_remove(0),
        other => other,
    };
    let auth = v.get("authentication").ok_or("an 'authentication' section")?;
    let login = auth
        .get("loginEndpoint")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or("authentication.loginEndpoint")?;
    let audience = auth
        .get("audiences")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or("authentication.audiences[0]")?;
    Ok(Discovery { login_endpoint: login.to_string(), audience: audience.to_string(), adfs: is_adfs(login) })
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<Value>,
    #[serde(default)]
    expires_on: Option<Value>,
}

impl TokenResponse {
    fn lifetime(&self, issued: SystemTime) -> Option<Duration> {
        let num = |v: &Option<Value>| -> Option<u64> {
            match v.as_ref()? {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }
        };
        if let Some(secs) = num(&self.expires_in) {
            return Some(Duration::from_secs(secs));
        }
        let on = num(&self.expires_on)?;
        let now = issued.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs();
        Some(Duration::from_secs(on.saturating_sub(now)))
    }
}

/// `error` / `error_description` of an OAuth error answer (never contains the secret).
fn token_error_text(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let err = v.get("error").and_then(Value::as_str);
    let desc = v.get("error_description").and_then(Value::as_str);
    match (err, desc) {
        (None, None) => None,
        (e, d) => Some(format!(
            "{}{}{}",
            e.unwrap_or(""),
            if e.is_some() && d.is_some() { ": " } else { "" },
            d.unwrap_or("")
        )),
    }
}

/// Belt and braces: never let a secret's text through in a message.
fn redact(message: &str, secret: Option<&str>) -> String {
    match secret {
        Some(s) if s.len() >= 4 => message.replace(s, "[REDACTED]"),
        _ => message.to_string(),
    }
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: i64,
    iat: i64,
    exp: i64,
}

/// The signed JWT client assertion for certificate credentials (RS256, `x5t` = base64url SHA-1
/// thumbprint of the certificate, `aud` = the token URL).
fn client_assertion(pem_file: &Path, has_password: bool, client_id: &str, token_url: &str) -> Result<SecretString> {
    let bad = |m: String| Error::new(Reason::AuthenticationFailed, m);
    let text = std::fs::read_to_string(pem_file)
        .map_err(|e| bad(format!("cannot read certificate file {}: {e}", pem_file.display())))?;
    if text.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") || has_password {
        return Err(bad(format!(
            "certificate file {}: password-protected private keys are not supported; convert it with \
             `openssl pkcs8 -in key.pem -out key-plain.pem` (or `openssl pkcs12 -in cert.pfx -nodes -out cert.pem`) \
             and protect the file itself",
            pem_file.display()
        )));
    }
    let cert = rustls_pemfile::certs(&mut text.as_bytes()).next().and_then(|c| c.ok()).ok_or_else(|| {
        bad(format!("certificate file {} holds no '-----BEGIN CERTIFICATE-----' block", pem_file.display()))
    })?;
    let key_pem = ["PRIVATE KEY", "RSA PRIVATE KEY"]
        .iter()
        .find_map(|label| {
            let begin = format!("-----BEGIN {label}-----");
            let end = format!("-----END {label}-----");
            let s = text.find(&begin)?;
            let e = text[s..].find(&end)? + s + end.len();
            Some(&text[s..e])
        })
        .ok_or_else(|| bad(format!("certificate file {} holds no RSA private key block", pem_file.display())))?;
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(key_pem.as_bytes()).map_err(|e| {
        bad(format!("certificate file {}: the private key is not a usable RSA key ({e})", pem_file.display()))
    })?;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.x5t = Some(URL_SAFE_NO_PAD.encode(Sha1::digest(cert.as_ref())));
    let now = chrono::Utc::now().timestamp();
    let claims = AssertionClaims {
        aud: token_url,
        iss: client_id,
        sub: client_id,
        jti: uuid::Uuid::new_v4().to_string(),
        nbf: now - 60,
        iat: now,
        exp: now + 600,
    };
    let jwt = jsonwebtoken::encode(&header, &claims, &key)
        .map_err(|e| bad(format!("cannot sign the client assertion: {e}")))?;
    Ok(SecretString::from(jwt))
}

/// An authentication failure that keeps what is known of the answer (status, request id, attempts).
fn auth_failure(r: &Response, message: String) -> Error {
    r.annotate(Error::new(Reason::AuthenticationFailed, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let creds = [
            Credential::Token(SecretString::from("tok-SECRET-1")),
            Credential::ClientSecret {
                tenant: Some("t".into()),
                client_id: "app".into(),
                secret: SecretString::from("tok-SECRET-2"),
            },
            Credential::Certificate {
                tenant: None,
                client_id: "app".into(),
                pem_file: "/x.pem".into(),
                password: Some(SecretString::from("tok-SECRET-3")),
            },
        ];
        for c in creds {
            let d = format!("{c:?}");
            assert!(!d.contains("SECRET") && d.contains("REDACTED"), "{d}");
        }
    }

    #[test]
    fn adfs_detection_and_token_urls() {
        assert!(is_adfs("https://adfs.local.azurestack.external/adfs/"));
        assert!(is_adfs("https://adfs.local.azurestack.external/ADFS"));
        assert!(!is_adfs("https://login.microsoftonline.com/"));
        assert!(!is_adfs("https://adfs.example.com/"));
        let adfs = Discovery { login_endpoint: "https://adfs.x/adfs/".into(), audience: "a".into(), adfs: true };
        assert_eq!(adfs.token_url(None).unwrap().as_str(), "https://adfs.x/adfs/oauth2/token");
        let aad = Discovery { login_endpoint: "https://login.windows.net/".into(), audience: "a".into(), adfs: false };
        assert_eq!(
            aad.token_url(Some("contoso.onmicrosoft.com")).unwrap().as_str(),
            "https://login.windows.net/contoso.onmicrosoft.com/oauth2/token"
        );
        let e = aad.token_url(None).unwrap_err();
        assert_eq!(e.reason, Reason::AuthenticationFailed);
        assert!(e.message.contains("tenant"), "{}", e.message);
    }

    #[test]
    fn metadata_shapes() {
        let obj = br#"{"galleryEndpoint":"g","authentication":{"loginEndpoint":"https://adfs.x/adfs/","audiences":["https://management.adfs.azurestack.local/abc"]}}"#;
        let d = parse_metadata(obj).unwrap();
        assert!(d.adfs);
        assert_eq!(d.audience, "https://management.adfs.azurestack.local/abc");
        let arr = br#"[{"authentication":{"loginEndpoint":"https://login.windows.net/","audiences":["aud"]}}]"#;
        assert!(!parse_metadata(arr).unwrap().adfs);
        assert_eq!(parse_metadata(br#"{"authentication":{}}"#).unwrap_err(), "authentication.loginEndpoint");
    }

    #[test]
    fn token_lifetimes() {
        let issued = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let t: TokenResponse = serde_json::from_str(r#"{"access_token":"a","expires_in":"3599"}"#).unwrap();
        assert_eq!(t.lifetime(issued), Some(Duration::from_secs(3599)));
        let t: TokenResponse = serde_json::from_str(r#"{"access_token":"a","expires_on":1600}"#).unwrap();
        assert_eq!(t.lifetime(issued), Some(Duration::from_secs(600)));
        let t: TokenResponse = serde_json::from_str(r#"{"access_token":"a"}"#).unwrap();
        assert_eq!(t.lifetime(issued), None);
    }

    #[test]
    fn certificate_assertion_is_signed_with_thumbprint() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
        let pem = Path::new(dir).join("client-cert.pem");
        let jwt = client_assertion(&pem, false, "app-id", "https://adfs.x/adfs/oauth2/token").unwrap();
        let jwt = jwt.expose_secret();
        let header = jsonwebtoken::decode_header(jwt).unwrap();
        assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
        // Computed independently with `openssl x509 -fingerprint -sha1`.
        assert_eq!(header.x5t.as_deref(), Some("wYTzbi_jY0c67nL4DbS0JUPgHbo"));
        let public = std::fs::read(Path::new(dir).join("client-cert.pub.pem")).unwrap();
        let key = jsonwebtoken::DecodingKey::from_rsa_pem(&public).unwrap();
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        v.set_audience(&["https://adfs.x/adfs/oauth2/token"]);
        v.set_issuer(&["app-id"]);
        let data = jsonwebtoken::decode::<Value>(jwt, &key, &v).unwrap();
        assert_eq!(data.claims["sub"], "app-id");
        assert!(data.claims["jti"].as_str().is_some_and(|j| j.len() == 36));
        assert!(data.claims["nbf"].as_i64().unwrap() < data.claims["exp"].as_i64().unwrap());
        let e = client_assertion(&pem, true, "app-id", "https://t").unwrap_err();
        assert!(e.message.contains("not supported"), "{}", e.message);
    }

    #[test]
    fn encrypted_keys_are_refused_clearly() {
        let dir = std::env::temp_dir().join(format!("azs-auth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("enc.pem");
        std::fs::write(&f, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n")
            .unwrap();
        let e = client_assertion(&f, false, "app", "https://t/oauth2/token").unwrap_err();
        assert!(e.message.contains("not supported") && e.message.contains("openssl"), "{}", e.message);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
