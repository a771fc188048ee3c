//! The stamps file (`--config stamps.toml`): the stamps one run syncs into one database.
//!
//! ```toml
//! granularity = "Hourly"                 # default for every stamp (Hourly, Daily, or both as a list)
//!
//! [[stamp]]
//! name = "east"                          # the key of every row this stamp writes
//! endpoint = "https://adminmanagement.east.contoso.com"
//! tenant = "contoso.onmicrosoft.com"     # Azure AD only; AD FS is detected
//! client_id = "6e5b1c0a-..."
//! client_secret_env = "AZS_EAST_SECRET"  # the NAME of the variable holding the secret
//! ca_file = "/etc/azs/east-root.pem"
//!
//! [[stamp]]
//! name = "west"
//! endpoint = "https://adminmanagement.west.contoso.com"
//! client_id = "..."
//! certificate = "/etc/azs/west.pem"      # PEM with the key; its password (if any) in certificate_password_env
//! provider_subscription = "..."          # default: the Default Provider Subscription
//! ```
//!
//! A secret is never written in the file: `client_secret`, `password`, `token` and the like are
//! refused with the line that holds one, and every `*_env` value must be a variable's name.

use std::path::{Path, PathBuf};

use azs_usage_core::{Credential, Granularity, SecretString, TlsOptions};
use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Result};
use crate::sync::check_stamp_name;

/// One stamp of the file, with its credential read from the environment.
#[derive(Debug)]
pub struct StampConfig {
    /// The stamp's name.
    pub name: String,
    /// The admin ARM endpoint (or the emulator's).
    pub endpoint: url::Url,
    /// The credential (secrets from the environment; `Debug` redacts them).
    pub credential: Credential,
    /// The provider subscription, when the file names one.
    pub provider_subscription: Option<String>,
    /// TLS trust.
    pub tls: TlsOptions,
    /// Granularities to sync.
    pub granularities: Vec<Granularity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShape {
    #[serde(default)]
    granularity: Option<Spanned<GranularityList>>,
    #[serde(default)]
    stamp: Vec<StampShape>,
}

#[derive(Deserialize, Clone)]
#[serde(untagged)]
enum GranularityList {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StampShape {
    name: Spanned<String>,
    #[serde(default)]
    endpoint: Option<Spanned<String>>,
    #[serde(default)]
    emulator: Option<Spanned<String>>,
    #[serde(default)]
    tenant: Option<String>,
    #[serde(default)]
    client_id: Option<Spanned<String>>,
    #[serde(default)]
    client_secret_env: Option<Spanned<String>>,
    #[serde(default)]
    certificate: Option<Spanned<String>>,
    #[serde(default)]
    certificate_password_env: Option<Spanned<String>>,
    #[serde(default)]
    token_env: Option<Spanned<String>>,
    #[serde(default)]
    provider_subscription: Option<String>,
    #[serde(default)]
    ca_file: Option<String>,
    #[serde(default)]
    insecure: bool,
    #[serde(default)]
    granularity: Option<Spanned<GranularityList>>,
    // Secrets that people write by habit: present only to be refused with their line.
    #[serde(default)]
    client_secret: Option<Spanned<toml::Value>>,
    #[serde(default)]
    secret: Option<Spanned<toml::Value>>,
    #[serde(default)]
    password: Option<Spanned<toml::Value>>,
    #[serde(default)]
    certificate_password: Option<Spanned<toml::Value>>,
    #[serde(default)]
    token: Option<Spanned<toml::Value>>,
    #[serde(default)]
    access_token: Option<Spanned<toml::Value>>,
}

/// Reads and checks a stamps file, taking secrets from the process environment.
pub fn load_stamps(path: &Path) -> Result<Vec<StampConfig>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::stamp_config_invalid(format!("cannot read the stamps file {}: {e}", path.display())))?;
    parse_stamps(&text, path, |name| std::env::var(name).ok())
}

/// Parses a stamps file's text; `env` reads environment variables; relative paths in the file
/// are relative to its directory.
pub fn parse_stamps(text: &str, path: &Path, env: impl Fn(&str) -> Option<String>) -> Result<Vec<StampConfig>> {
    let file = path.display().to_string();
    let at = |span: std::ops::Range<usize>| -> String {
        let before = &text[..span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("{file}:{line}:{col}")
    };
    let shape: FileShape = toml::from_str(text).map_err(|e| {
        let place = e.span().map(&at).unwrap_or_else(|| file.clone());
        Error::stamp_config_invalid(format!("{place}: {}", e.message().trim()))
    })?;
    if shape.stamp.is_empty() {
        return Err(Error::stamp_config_invalid(format!(
            "{file} lists no stamp: add a [[stamp]] table with name, endpoint and a credential"
        )));
    }
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let resolve = |p: &str| -> PathBuf {
        let p = PathBuf::from(p);
        if p.is_absolute() { p } else { base.join(p) }
    };
    let default_granularity = match &shape.granularity {
        Some(g) => {
            granularities(g.get_ref()).map_err(|m| Error::stamp_config_invalid(format!("{}: {m}", at(g.span()))))?
        }
        None => vec![Granularity::Hourly],
    };
    let mut names = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for s in shape.stamp {
        let name = s.name.get_ref().clone();
        let here = at(s.name.span());
        check_stamp_name(&name).map_err(|e| Error::stamp_config_invalid(format!("{here}: {}", e.message())))?;
        if !names.insert(name.clone()) {
            return Err(Error::stamp_config_invalid(format!("{here}: stamp '{name}' is listed twice")));
        }
        let stamp_err = |place: String, m: String| Error::stamp_config_invalid(format!("{place}: stamp '{name}': {m}"));
        for (key, value, instead) in [
            ("client_secret", &s.client_secret, "client_secret_env"),
            ("secret", &s.secret, "client_secret_env"),
            ("password", &s.password, "certificate_password_env"),
            ("certificate_password", &s.certificate_password, "certificate_password_env"),
            ("token", &s.token, "token_env"),
            ("access_token", &s.access_token, "token_env"),
        ] {
            if let Some(v) = value {
                return Err(stamp_err(
                    at(v.span()),
                    format!(
                        "'{key}' holds a secret, and secrets never go in the stamps file: put it in an environment variable and name that variable with {instead} = \"VARIABLE_NAME\""
                    ),
                ));
            }
        }
        let var = |field: &Option<Spanned<String>>, key: &str| -> Result<Option<SecretString>> {
            let Some(v) = field else { return Ok(None) };
            let var_name = v.get_ref();
            let looks_like_name = !var_name.is_empty()
                && var_name.len() <= 128
                && var_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !var_name.starts_with(|c: char| c.is_ascii_digit());
            if !looks_like_name {
                return Err(stamp_err(
                    at(v.span()),
                    format!(
                        "{key} must be the name of an environment variable (letters, digits and '_'), not the secret itself"
                    ),
                ));
            }
            match env(var_name) {
                Some(value) if !value.is_empty() => Ok(Some(SecretString::from(value))),
                _ => Err(stamp_err(
                    at(v.span()),
                    format!("the environment variable {var_name} ({key}) is not set; set it before the run"),
                )),
            }
        };
        let granularities = match &s.granularity {
            Some(g) => granularities(g.get_ref()).map_err(|m| stamp_err(at(g.span()), m))?,
            None => default_granularity.clone(),
        };
        let tls = TlsOptions { extra_ca_file: s.ca_file.as_deref().map(&resolve), insecure: s.insecure };

        if let Some(ready) = &s.emulator {
            // Development and tests: the endpoint and the admin credentials from an emulator's ready file.
            let ready_path = resolve(ready.get_ref());
            let (endpoint, credential, provider, ca) =
                read_ready_file(&ready_path).map_err(|m| stamp_err(at(ready.span()), m))?;
            let tls = TlsOptions { extra_ca_file: tls.extra_ca_file.or(ca), insecure: tls.insecure };
            out.push(StampConfig {
                name,
                endpoint,
                credential,
                provider_subscription: s.provider_subscription.or(Some(provider)),
                tls,
                granularities,
            });
            continue;
        }
        let endpoint_field = s.endpoint.as_ref().ok_or_else(|| {
            stamp_err(here.clone(), "no endpoint (endpoint = \"https://adminmanagement.{region}.{fqdn}\")".into())
        })?;
        let endpoint = url::Url::parse(endpoint_field.get_ref())
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http"))
            .ok_or_else(|| {
                stamp_err(at(endpoint_field.span()), format!("'{}' is not an http(s) URL", endpoint_field.get_ref()))
            })?;
        let client_id = s.client_id.as_ref().map(|c| c.get_ref().clone());
        let secret = var(&s.client_secret_env, "client_secret_env")?;
        let token = var(&s.token_env, "token_env")?;
        let cert_password = var(&s.certificate_password_env, "certificate_password_env")?;
        let credential = match (token, client_id, secret, &s.certificate) {
            (Some(token), None, None, None) => Credential::Token(token),
            (None, Some(client_id), Some(secret), None) => {
                Credential::ClientSecret { tenant: s.tenant.clone(), client_id, secret }
            }
            (None, Some(client_id), None, Some(cert)) => Credential::Certificate {
                tenant: s.tenant.clone(),
                client_id,
                pem_file: resolve(cert.get_ref()),
                password: cert_password,
            },
            _ => {
                return Err(stamp_err(
                    here,
                    "needs exactly one credential: token_env, or client_id with client_secret_env, or client_id with certificate"
                        .into(),
                ));
            }
        };
        out.push(StampConfig {
            name,
            endpoint,
            credential,
            provider_subscription: s.provider_subscription,
            tls,
            granularities,
        });
    }
    Ok(out)
}

fn granularities(list: &GranularityList) -> std::result::Result<Vec<Granularity>, String> {
    let names = match list {
        GranularityList::One(s) => vec![s.clone()],
        GranularityList::Many(v) => v.clone(),
    };
    let mut out = Vec::new();
    for n in names {
        let g: Granularity = n.parse().map_err(|_| format!("granularity '{n}' is neither Hourly nor Daily"))?;
        if !out.contains(&g) {
            out.push(g);
        }
    }
    if out.is_empty() {
        return Err("granularity lists nothing (use \"Hourly\", \"Daily\" or both)".into());
    }
    Ok(out)
}

type Ready = (url::Url, Credential, String, Option<PathBuf>);

fn read_ready_file(path: &Path) -> std::result::Result<Ready, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the emulator ready file {}: {e}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not an emulator ready file: {e}", path.display()))?;
    let s = |p: &str| v.pointer(p).and_then(|x| x.as_str()).map(str::to_string);
    let missing = || format!("{} is not an emulator ready file (fields missing)", path.display());
    let endpoint = s("/adminEndpoint").and_then(|e| url::Url::parse(&e).ok()).ok_or_else(missing)?;
    let credential = Credential::ClientSecret {
        tenant: s("/admin/tenantId"),
        client_id: s("/admin/clientId").ok_or_else(missing)?,
        secret: SecretString::from(s("/admin/clientSecret").ok_or_else(missing)?),
    };
    Ok((
        endpoint,
        credential,
        s("/providerSubscriptionId").ok_or_else(missing)?,
        s("/caCertificateFile").map(PathBuf::from),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Reason;

    fn parse(text: &str, vars: &[(&str, &str)]) -> Result<Vec<StampConfig>> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        parse_stamps(text, Path::new("/etc/azs/stamps.toml"), move |k| {
            vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    const GOOD: &str = r#"
granularity = ["Hourly", "Daily"]

[[stamp]]
name = "east"
endpoint = "https://adminmanagement.east.contoso.com"
tenant = "contoso.onmicrosoft.com"
client_id = "6e5b1c0a-0000-4000-8000-000000000001"
client_secret_env = "AZS_EAST_SECRET"
ca_file = "east-root.pem"

[[stamp]]
name = "west"
endpoint = "https://adminmanagement.west.contoso.com"
client_id = "6e5b1c0a-0000-4000-8000-000000000002"
certificate = "/etc/azs/west.pem"
granularity = "Hourly"
"#;

    #[test]
    fn reads_stamps_with_secrets_from_the_environment() {
        let stamps = parse(GOOD, &[("AZS_EAST_SECRET", "s3cr3t-value")]).unwrap();
        assert_eq!(stamps.len(), 2);
        assert_eq!(stamps[0].name, "east");
        assert_eq!(stamps[0].granularities, vec![Granularity::Hourly, Granularity::Daily]);
        assert_eq!(stamps[0].tls.extra_ca_file.as_deref(), Some(Path::new("/etc/azs/east-root.pem")));
        assert_eq!(stamps[1].granularities, vec![Granularity::Hourly]);
        assert!(matches!(stamps[1].credential, Credential::Certificate { .. }));
        assert!(!format!("{stamps:?}").contains("s3cr3t-value"));
    }

    #[test]
    fn a_secret_in_the_file_is_refused_with_its_line() {
        let text = GOOD.replace("client_secret_env = \"AZS_EAST_SECRET\"", "client_secret = \"p@ssw0rd~value\"");
        let e = parse(&text, &[]).unwrap_err();
        assert_eq!(e.reason(), Reason::StampConfigInvalid);
        assert!(e.message().contains("/etc/azs/stamps.toml:9:17"), "{e}");
        assert!(e.message().contains("client_secret_env"), "{e}");
        assert!(!e.message().contains("p@ssw0rd"), "{e}");

        let text = GOOD.replace("client_secret_env = \"AZS_EAST_SECRET\"", "client_secret_env = \"p@ssw0rd~value\"");
        let e = parse(&text, &[]).unwrap_err();
        assert!(e.message().contains("not the secret itself"), "{e}");
        assert!(!e.message().contains("p@ssw0rd"), "{e}");
    }

    #[test]
    fn a_missing_variable_is_named() {
        let e = parse(GOOD, &[]).unwrap_err();
        assert_eq!(e.reason(), Reason::StampConfigInvalid);
        assert!(e.message().contains("AZS_EAST_SECRET") && e.message().contains("not set"), "{e}");
        assert!(e.message().contains("stamps.toml:9:"), "{e}");
    }

    #[test]
    fn syntax_and_shape_errors_have_places() {
        for (text, expect) in [
            ("[[stamp]\nname = 1", "stamps.toml:1:"),
            ("[[stamp]]\nname = \"a\"\nendpont = \"x\"", "endpont"),
            ("", "lists no stamp"),
            ("[[stamp]]\nname = \"bad name\"\nendpoint = \"https://x\"", "not usable"),
            ("[[stamp]]\nname = \"a\"\nendpoint = \"ftp://x\"\ntoken_env = \"T\"", "not an http(s) URL"),
            ("[[stamp]]\nname = \"a\"\nendpoint = \"https://x\"", "exactly one credential"),
            ("granularity = \"Weekly\"\n[[stamp]]\nname = \"a\"", "neither Hourly nor Daily"),
        ] {
            let e = parse(text, &[("T", "tok")]).unwrap_err();
            assert_eq!(e.reason(), Reason::StampConfigInvalid, "{text}");
            assert!(e.message().contains(expect), "{text}: {e}");
        }
    }
}
