//! Turns the connection flags (or an emulator's ready file) into core client options.

use std::path::Path;
use std::sync::Arc;

use azs_usage_core::{ClientOptions, Credential, MeterCatalog, Reason, TlsOptions};
use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use crate::args::ConnectionArgs;
use crate::exit::Failure;

/// What a pull needs to connect: the client options and the subscription, if one was given.
pub struct Connection {
    pub options: ClientOptions,
    pub subscription: Option<String>,
}

/// The parts of the emulator's ready file the CLI reads (the full shape is in docs/CONTRACTS.md).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReadyFile {
    admin_endpoint: String,
    tenant_endpoint: String,
    ca_certificate_file: Option<String>,
    provider_subscription_id: String,
    admin: Principal,
    tenants: Vec<TenantEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Principal {
    tenant_id: String,
    client_id: String,
    client_secret: String,
}

impl std::fmt::Debug for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Principal").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TenantEntry {
    name: String,
    #[serde(flatten)]
    principal: Principal,
    subscription_ids: Vec<String>,
}

/// Resolves flags into a connection. `provider` selects the admin endpoint of a ready file.
pub fn resolve(args: &ConnectionArgs, provider: bool) -> Result<Connection, Failure> {
    let mut catalog = MeterCatalog::builtin();
    if let Some(path) = &args.meters_file {
        catalog.load_file(path)?;
    }
    let tls = TlsOptions { extra_ca_file: args.ca_file.clone(), insecure: args.insecure };
    if args.insecure {
        eprintln!(
            "azs-usage: warning: --insecure: TLS certificates are not verified; anyone on the path can read the token and the data"
        );
    }

    let (endpoint, credential, subscription, tls) = match &args.emulator {
        Some(path) => from_ready_file(path, args, provider, tls)?,
        None => {
            let endpoint = args.endpoint.clone().ok_or_else(|| {
                Failure::new(
                    Reason::InvalidEndpoint,
                    "no endpoint: pass --endpoint https://management.{region}.{fqdn} (or --emulator READY_FILE)",
                )
            })?;
            (endpoint, credential_from_flags(args)?, args.subscription.clone(), tls)
        }
    };
    let endpoint = Url::parse(&endpoint)
        .map_err(|e| Failure::new(Reason::InvalidEndpoint, format!("--endpoint '{endpoint}' is not a URL ({e}); expected e.g. https://adminmanagement.local.azurestack.external")))?;
    let mut options = ClientOptions::new(endpoint, credential);
    options.tls = tls;
    options.catalog = Arc::new(catalog);
    Ok(Connection { options, subscription })
}

fn credential_from_flags(args: &ConnectionArgs) -> Result<Credential, Failure> {
    let secret = |s: &String| SecretString::from(s.clone());
    match (&args.token, &args.client_id, &args.client_secret, &args.certificate) {
        (Some(token), None, None, None) => Ok(Credential::Token(secret(token))),
        (None, Some(id), Some(s), None) => {
            Ok(Credential::ClientSecret { tenant: args.tenant.clone(), client_id: id.clone(), secret: secret(s) })
        }
        (None, Some(id), None, Some(pem)) => Ok(Credential::Certificate {
            tenant: args.tenant.clone(),
            client_id: id.clone(),
            pem_file: pem.clone(),
            password: args.certificate_password.as_ref().map(secret),
        }),
        (None, None, None, None) => Err(Failure::new(
            Reason::InvalidCredential,
            "no credential: pass --token (or AZS_USAGE_TOKEN), or --client-id with --client-secret or --certificate",
        )),
        _ => Err(Failure::new(
            Reason::InvalidCredential,
            "conflicting credentials: use either --token, or --client-id with exactly one of --client-secret and --certificate",
        )),
    }
}

type Resolved = (String, Credential, Option<String>, TlsOptions);

fn from_ready_file(
    path: &Path,
    args: &ConnectionArgs,
    provider: bool,
    mut tls: TlsOptions,
) -> Result<Resolved, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::bad_input(format!("cannot read the emulator ready file {}: {e}", path.display())))?;
    let ready: ReadyFile = serde_json::from_str(&text)
        .map_err(|e| Failure::bad_input(format!("{} is not an emulator ready file: {e}", path.display())))?;
    if tls.extra_ca_file.is_none() {
        tls.extra_ca_file = ready.ca_certificate_file.map(Into::into);
    }
    let credential = |p: &Principal| Credential::ClientSecret {
        tenant: Some(p.tenant_id.clone()),
        client_id: p.client_id.clone(),
        secret: SecretString::from(p.client_secret.clone()),
    };
    match &args.as_tenant {
        None => {
            let endpoint = if provider { ready.admin_endpoint } else { ready.tenant_endpoint };
            let subscription =
                args.subscription.clone().or_else(|| provider.then(|| ready.provider_subscription_id.clone()));
            Ok((endpoint, credential(&ready.admin), subscription, tls))
        }
        Some(name) => {
            let tenant = ready.tenants.iter().find(|t| t.name.eq_ignore_ascii_case(name)).ok_or_else(|| {
                let names: Vec<_> = ready.tenants.iter().map(|t| t.name.as_str()).collect();
                Failure::bad_input(format!("no tenant '{name}' in {}; tenants: {}", path.display(), names.join(", ")))
            })?;
            let subscription = args.subscription.clone().or_else(|| tenant.subscription_ids.first().cloned());
            Ok((ready.tenant_endpoint, credential(&tenant.principal), subscription, tls))
        }
    }
}
