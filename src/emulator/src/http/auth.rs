//! Identity: `/metadata/endpoints`, the Azure AD / AD FS token endpoints, and bearer-token checks.
//!
//! Access tokens are HS256 JWTs signed with a key drawn at random when the emulator starts, so a
//! token from a previous run (or a forged one) is rejected. Client credentials: `client_secret`, or a
//! `client_assertion` (jwt-bearer). For an assertion I check that it is a well-formed JWT (three
//! base64url parts, JSON header with an RS256/PS256 `alg`), that `iss` and `sub` equal the client id of
//! a registered principal and that `exp` is in the future. I do **not** verify its signature: the
//! emulator has no registry of certificates (documented limitation).

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::error::{ApiError, json_response};
use super::{AppState, base_url};
use crate::config::IdentitySystem;
use crate::store::{Principal, Role};

/// Claims of the emulator's access tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub(crate) aud: String,
    pub(crate) iss: String,
    pub(crate) iat: i64,
    pub(crate) nbf: i64,
    pub(crate) exp: i64,
    pub(crate) appid: String,
    pub(crate) oid: String,
    pub(crate) tid: String,
    pub(crate) azs_role: String,
    pub(crate) azs_name: String,
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) role: Role,
    pub(crate) name: String,
    pub(crate) object_id: String,
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn sign(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("hmac accepts any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

pub(crate) fn issue_token(state: &AppState, p: &Principal, issuer: &str) -> (String, i64, i64) {
    let now = unix_now();
    let exp = now + state.inner.token_lifetime.as_secs().max(1) as i64;
    let claims = Claims {
        aud: state.inner.identity.audience.clone(),
        iss: issuer.to_string(),
        iat: now,
        nbf: now - 300,
        exp,
        appid: p.client_id.clone(),
        // The service principal's object id: stable per client id.
        oid: uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, p.client_id.as_bytes()).to_string(),
        tid: p.tenant_id.clone(),
        azs_role: if p.role == Role::Admin { "admin".into() } else { "tenant".into() },
        azs_name: p.name.clone(),
    };
    let header = B64.encode(br#"{"typ":"JWT","alg":"HS256"}"#);
    let body = B64.encode(serde_json::to_vec(&claims).unwrap_or_default());
    let signing_input = format!("{header}.{body}");
    let sig = B64.encode(sign(&state.inner.jwt_key, signing_input.as_bytes()));
    (format!("{signing_input}.{sig}"), now, exp)
}

fn unauthorized(state: &AppState, headers: &HeaderMap, code: &str, message: &str) -> ApiError {
    let login = login_endpoint(state, headers);
    let authority = match state.inner.identity_system {
        IdentitySystem::AzureAD => format!("{login}{}", state.inner.identity.admin.tenant_id),
        IdentitySystem::ADFS => login.trim_end_matches('/').to_string(),
    };
    let desc = message.replace('"', "'");
    ApiError::new(StatusCode::UNAUTHORIZED, code, message).with_header(
        header::WWW_AUTHENTICATE,
        format!(r#"Bearer authorization_uri="{authority}", error="invalid_token", error_description="{desc}""#),
    )
}

/// Check the bearer token of a request.
pub(crate) fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized(
            state,
            headers,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        ));
    };
    let text = value.to_str().unwrap_or("");
    let token = match text.split_once(' ') {
        Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim(),
        _ => {
            return Err(unauthorized(
                state,
                headers,
                "AuthenticationFailedInvalidHeader",
                "Authentication failed. The 'Authorization' header is provided in an invalid format.",
            ));
        }
    };
    let invalid = || unauthorized(state, headers, "InvalidAuthenticationToken", "The access token is invalid.");
    if token.len() > 8192 {
        return Err(invalid());
    }
    let mut parts = token.split('.');
    let (Some(h), Some(b), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    let given = B64.decode(s).map_err(|_| invalid())?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&state.inner.jwt_key).expect("hmac accepts any key length");
    mac.update(format!("{h}.{b}").as_bytes());
    if mac.verify_slice(&given).is_err() {
        return Err(invalid());
    }
    let claims: Claims =
        B64.decode(b).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).ok_or_else(invalid)?;
    let now = unix_now();
    if claims.exp <= now {
        let fmt = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .map(|d| d.format("%m/%d/%Y %H:%M:%S").to_string())
                .unwrap_or_default()
        };
        return Err(unauthorized(
            state,
            headers,
            "ExpiredAuthenticationToken",
            &format!(
                "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                fmt(claims.exp),
                fmt(now)
            ),
        ));
    }
    if claims.aud.trim_end_matches('/') != state.inner.identity.audience.trim_end_matches('/') {
        return Err(unauthorized(
            state,
            headers,
            "InvalidAuthenticationTokenAudience",
            "The access token has been obtained for wrong audience or resource.",
        ));
    }
    let role = if claims.azs_role == "admin" { Role::Admin } else { Role::Tenant };
    Ok(Caller { role, name: claims.azs_name, object_id: claims.oid })
}

pub(crate) fn login_endpoint(state: &AppState, headers: &HeaderMap) -> String {
    let base = base_url(state, headers);
    match state.inner.identity_system {
        IdentitySystem::AzureAD => format!("{base}/login/"),
        IdentitySystem::ADFS => format!("{base}/adfs/"),
    }
}

/// `GET /metadata/endpoints` (anonymous). `2019-10-01` gets the newer array shape.
pub(crate) fn metadata(state: &AppState, headers: &HeaderMap, api_version: Option<&str>) -> Response {
    let base = base_url(state, headers);
    let login = login_endpoint(state, headers);
    let aud = &state.inner.identity.audience;
    let body = if api_version == Some("2019-10-01") {
        serde_json::json!([{
            "portal": format!("{base}/portal/"),
            "authentication": { "loginEndpoint": login, "audiences": [aud], "tenant": if state.inner.identity_system == IdentitySystem::ADFS { "adfs" } else { "common" }, "identityProvider": if state.inner.identity_system == IdentitySystem::ADFS { "ADFS" } else { "AAD" } },
            "media": format!("{base}/media/"),
            "graphAudience": format!("{base}/graph/"),
            "graph": format!("{base}/graph/"),
            "name": "AzureStack-User",
            "suffixes": { "keyVaultDns": "vault.local.azurestack.external", "storage": "local.azurestack.external" },
            "batch": "", "resourceManager": base, "vmImageAliasDoc": "", "activeDirectoryDataLake": "", "sqlManagement": "", "gallery": format!("{base}/gallery/")
        }])
    } else {
        serde_json::json!({
            "galleryEndpoint": format!("{base}/gallery/"),
            "graphEndpoint": format!("{base}/graph/"),
            "portalEndpoint": format!("{base}/portal/"),
            "authentication": { "loginEndpoint": login, "audiences": [aud] }
        })
    };
    json_response(StatusCode::OK, body.to_string())
}

/// `GET {login}{tenant}/.well-known/openid-configuration`.
pub(crate) fn openid_configuration(state: &AppState, headers: &HeaderMap, tenant: Option<&str>) -> Response {
    let login = login_endpoint(state, headers);
    let (issuer, token) = match (state.inner.identity_system, tenant) {
        (IdentitySystem::AzureAD, Some(t)) => {
            let tid = resolve_tenant(state, t).unwrap_or_else(|| t.to_string());
            (format!("{login}{tid}/"), format!("{login}{tid}/oauth2/token"))
        }
        _ => (login.trim_end_matches('/').to_string(), format!("{login}oauth2/token")),
    };
    json_response(
        StatusCode::OK,
        serde_json::json!({ "issuer": issuer, "token_endpoint": token, "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"] }).to_string(),
    )
}

fn resolve_tenant(state: &AppState, t: &str) -> Option<String> {
    let id = &state.inner.identity;
    std::iter::once(&id.admin).chain(id.tenants.iter()).find_map(|p| {
        let dom = format!("{}.onmicrosoft.com", p.name);
        (p.tenant_id.eq_ignore_ascii_case(t) || dom.eq_ignore_ascii_case(t) || p.name.eq_ignore_ascii_case(t))
            .then(|| p.tenant_id.clone())
    })
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(status, serde_json::json!({ "error": error, "error_description": description }).to_string())
}

/// Which token endpoint flavour was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenFlavor {
    AadV1,
    AadV2,
    Adfs,
}

/// `POST {login}{tenant}/oauth2/token`, `.../oauth2/v2.0/token` or `/adfs/oauth2/token`.
pub(crate) fn token(
    state: &AppState,
    headers: &HeaderMap,
    tenant: Option<&str>,
    flavor: TokenFlavor,
    body: &[u8],
) -> Response {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    let get = |k: &str| form.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)).map(|(_, v)| v.as_str());
    let id = &state.inner.identity;
    if get("grant_type") != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "AADSTS70003: The app requested an unsupported grant type. Only 'client_credentials' is supported by the emulator.",
        );
    }
    let assertion_iss = get("client_assertion")
        .and_then(|a| a.split('.').nth(1))
        .and_then(decode_part)
        .and_then(|c| c.get("iss").and_then(|v| v.as_str()).map(str::to_string));
    let Some(client_id) = get("client_id").map(str::to_string).or(assertion_iss) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "AADSTS900144: The request body must contain the following parameter: 'client_id'.",
        );
    };
    let Some(p) =
        std::iter::once(&id.admin).chain(id.tenants.iter()).find(|p| p.client_id.eq_ignore_ascii_case(&client_id))
    else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            &format!(
                "AADSTS700016: Application with identifier '{}' was not found in the directory.",
                client_id.chars().take(64).collect::<String>()
            ),
        );
    };
    if let (true, Some(t)) = (flavor != TokenFlavor::Adfs, tenant) {
        let ok = resolve_tenant(state, t).is_some_and(|tid| tid == p.tenant_id)
            || ["common", "organizations"].iter().any(|x| x.eq_ignore_ascii_case(t));
        if !ok {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                &format!(
                    "AADSTS700016: Application with identifier '{}' was not found in the directory '{}'.",
                    p.client_id,
                    t.chars().take(64).collect::<String>()
                ),
            );
        }
    }
    // Credential.
    if let Some(secret) = get("client_secret") {
        let a = secret.as_bytes();
        let b = p.client_secret.as_bytes();
        let same = a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0;
        if !same {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "AADSTS7000215: Invalid client secret provided.",
            );
        }
    } else if let Some(assertion) = get("client_assertion") {
        if get("client_assertion_type") != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "AADSTS50027: Invalid client_assertion_type.",
            );
        }
        if let Err(why) = check_assertion(assertion, &p.client_id) {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                &format!("AADSTS700027: Client assertion failed validation: {why}."),
            );
        }
    } else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
    }
    // Resource / scope.
    let aud = id.audience.trim_end_matches('/');
    let resource_ok = match flavor {
        TokenFlavor::AadV2 => get("scope")
            .is_some_and(|s| s.split(' ').any(|s| s.trim_end_matches("/.default").trim_end_matches('/') == aud)),
        _ => get("resource").is_some_and(|r| r.trim_end_matches('/') == aud),
    };
    if !resource_ok {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            &format!("AADSTS500011: The resource principal named was not found. The resource must be '{aud}'."),
        );
    }
    let issuer = match flavor {
        TokenFlavor::Adfs => login_endpoint(state, headers).trim_end_matches('/').to_string(),
        _ => format!("{}{}/", login_endpoint(state, headers), p.tenant_id),
    };
    let (access_token, now, exp) = issue_token(state, p, &issuer);
    let lifetime = exp - now;
    let body = match flavor {
        // Azure AD v1 answers numbers as strings.
        TokenFlavor::AadV1 => serde_json::json!({
            "token_type": "Bearer", "expires_in": lifetime.to_string(), "ext_expires_in": lifetime.to_string(),
            "expires_on": exp.to_string(), "not_before": (now - 300).to_string(), "resource": id.audience,
            "access_token": access_token
        }),
        TokenFlavor::AadV2 => serde_json::json!({
            "token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": access_token
        }),
        TokenFlavor::Adfs => serde_json::json!({
            "access_token": access_token, "token_type": "bearer", "expires_in": lifetime, "resource": id.audience
        }),
    };
    let mut r = json_response(StatusCode::OK, body.to_string());
    r.headers_mut().insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store, no-cache"));
    r
}

fn decode_part(part: &str) -> Option<serde_json::Value> {
    if part.len() > 16384 {
        return None;
    }
    let bytes = B64.decode(part.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn check_assertion(assertion: &str, client_id: &str) -> Result<(), String> {
    let parts: Vec<&str> = assertion.split('.').collect();
    if parts.len() != 3 || parts[2].is_empty() {
        return Err("not a signed JWT".into());
    }
    let header = decode_part(parts[0]).ok_or("unreadable JWT header")?;
    let alg = header.get("alg").and_then(|v| v.as_str()).unwrap_or("");
    if !matches!(alg, "RS256" | "PS256" | "RS384" | "RS512" | "ES256") {
        return Err(format!("unsupported alg '{}'", alg.chars().take(16).collect::<String>()));
    }
    let claims = decode_part(parts[1]).ok_or("unreadable JWT claims")?;
    let s = |k: &str| claims.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    if !s("iss").eq_ignore_ascii_case(client_id) || !s("sub").eq_ignore_ascii_case(client_id) {
        return Err("iss and sub must be the client id".into());
    }
    let exp = claims.get("exp").and_then(|v| v.as_i64()).ok_or("missing exp")?;
    if exp <= unix_now() {
        return Err("the assertion has expired".into());
    }
    if s("aud").is_empty() {
        return Err("missing aud".into());
    }
    Ok(())
}
