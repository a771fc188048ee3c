//! The tenant directory as pricing sees it: who owns each subscription, in which directory
//! tenant and on which offer. Offer-scoped prices and the FOCUS `SubAccount*`, `x_TenantId`,
//! `x_Owner` and `x_OfferName` columns come from it.
//!
//! [`Directory::load_csv`] reads the file `azs-usage subscriptions` writes, and the
//! `Get-UsageSubscription | Export-Csv` form of the same objects: the [`DIRECTORY_FIELDS`]
//! headers in any case and order (quoted or not, with or without Windows PowerShell's `#TYPE`
//! line); only `SubscriptionId` is required.

use std::collections::HashMap;
use std::path::Path;

use azs_usage_core::{DIRECTORY_FIELDS, TenantSubscription};

use crate::error::{Error, Result, shown};

/// Tenant subscriptions indexed by subscription id (any case, braces ignored).
#[derive(Debug, Clone, Default)]
pub struct Directory {
    entries: Vec<TenantSubscription>,
    index: HashMap<String, usize>,
}

fn key(id: &str) -> String {
    id.trim().trim_matches(['{', '}']).to_ascii_lowercase()
}

impl Directory {
    /// An empty directory: costs are still computed, offer-scoped prices never apply, and the
    /// directory columns stay null.
    pub fn empty() -> Directory {
        Directory::default()
    }

    /// A directory from entries (e.g. the core's admin-directory pull). A later entry for the same
    /// subscription replaces an earlier one.
    pub fn from_entries(entries: Vec<TenantSubscription>) -> Directory {
        let mut d = Directory::default();
        for e in entries {
            d.insert(e);
        }
        d
    }

    fn insert(&mut self, entry: TenantSubscription) {
        let k = key(&entry.subscription_id);
        match self.index.get(&k) {
            Some(&i) => self.entries[i] = entry,
            None => {
                self.index.insert(k, self.entries.len());
                self.entries.push(entry);
            }
        }
    }

    /// Loads a directory CSV (see the module documentation). A subscription listed twice is an
    /// error naming both lines.
    pub fn load_csv(path: &Path) -> Result<Directory> {
        let name = shown(path);
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::directory_file(&name, None, None, format!("cannot read: {e}")))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        // Windows PowerShell's Export-Csv starts with a `#TYPE` line unless -NoTypeInformation.
        let body = if text.starts_with("#TYPE") { text.split_once('\n').map(|(_, b)| b).unwrap_or("") } else { text };
        let skipped = u64::from(body.len() != text.len());
        let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(body.as_bytes());
        let header =
            reader.headers().map_err(|e| Error::directory_file(&name, Some(1 + skipped), None, e.to_string()))?.clone();
        let position = |field: &str| header.iter().position(|h| h.eq_ignore_ascii_case(field));
        let columns: Vec<Option<usize>> = DIRECTORY_FIELDS.iter().map(|f| position(f)).collect();
        if columns[0].is_none() {
            return Err(Error::directory_file(
                &name,
                Some(1 + skipped),
                Some("SubscriptionId"),
                format!(
                    "the header has no SubscriptionId column; expected the columns of `azs-usage subscriptions`: {}",
                    DIRECTORY_FIELDS.join(",")
                ),
            ));
        }
        let mut directory = Directory::default();
        let mut lines: HashMap<String, u64> = HashMap::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                Error::directory_file(
                    &name,
                    e.position().map(|p| p.line() + skipped),
                    None,
                    format!("not readable as CSV: {e}"),
                )
            })?;
            if record.iter().all(str::is_empty) {
                continue;
            }
            // From the byte offset: the csv crate does not count blank lines.
            let byte = record.position().map(|p| p.byte()).unwrap_or(0);
            let line = crate::ratecard_csv::line_of_record(body, byte) + skipped;
            let get = |i: usize| columns[i].and_then(|c| record.get(c)).unwrap_or("").to_string();
            let entry = TenantSubscription {
                subscription_id: get(0),
                display_name: get(1),
                owner: get(2),
                tenant_id: get(3),
                offer_id: get(4),
                offer_name: get(5),
                state: get(6),
                delegated_provider_subscription_id: get(7),
                provider_subscription_id: get(8),
            };
            if entry.subscription_id.is_empty() {
                return Err(Error::directory_file(
                    &name,
                    Some(line),
                    Some("SubscriptionId"),
                    "the subscription id is empty",
                ));
            }
            if let Some(first) = lines.insert(key(&entry.subscription_id), line) {
                return Err(Error::directory_file(
                    &name,
                    Some(line),
                    Some("SubscriptionId"),
                    format!(
                        "subscription {} is listed twice (also on line {first}); keep one row per subscription",
                        entry.subscription_id
                    ),
                ));
            }
            directory.insert(entry);
        }
        Ok(directory)
    }

    /// The entry of a subscription (any case, braces ignored).
    pub fn get(&self, subscription_id: &str) -> Option<&TenantSubscription> {
        self.index.get(&key(subscription_id)).map(|&i| &self.entries[i])
    }

    /// Every entry, in load order.
    pub fn entries(&self) -> &[TenantSubscription] {
        &self.entries
    }

    /// Number of subscriptions.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the directory knows no subscription.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Reason;

    fn load(text: &str) -> Result<Directory> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("directory.csv");
        std::fs::write(&path, text).unwrap();
        Directory::load_csv(&path)
    }

    #[test]
    fn reads_the_cli_file() {
        let d = load(
            "SubscriptionId,DisplayName,Owner,TenantId,OfferId,OfferName,State,DelegatedProviderSubscriptionId,ProviderSubscriptionId\n\
             AAAA-1,Contoso prod,admin@contoso,t1,/offers/gold,gold,Enabled,,p1\n\
             bbbb-2,Fabrikam,admin@fabrikam,t2,/offers/silver,silver,Deleted,,p1\n",
        )
        .unwrap();
        assert_eq!(d.len(), 2);
        let a = d.get("{aaaa-1}").unwrap();
        assert_eq!(
            (a.display_name.as_str(), a.offer_name.as_str(), a.tenant_id.as_str()),
            ("Contoso prod", "gold", "t1")
        );
        assert_eq!(d.get("BBBB-2").unwrap().state, "Deleted");
        assert!(d.get("cccc").is_none());
    }

    #[test]
    fn reads_export_csv_with_a_type_line_any_case_and_order() {
        let d = load(
            "\u{feff}#TYPE AzsUsage.TenantSubscription\n\"offername\",\"SUBSCRIPTIONID\",\"Owner\"\n\"gold\",\"s1\",\"a@b\"\n",
        )
        .unwrap();
        let s = d.get("S1").unwrap();
        assert_eq!((s.offer_name.as_str(), s.owner.as_str(), s.display_name.as_str()), ("gold", "a@b", ""));
    }

    #[test]
    fn names_bad_files() {
        let e = load("Id,Name\n1,x\n").unwrap_err();
        assert_eq!(e.reason(), Reason::DirectoryFileInvalid);
        assert!(e.to_string().contains("SubscriptionId"), "{e}");
        let e = load("SubscriptionId,OfferName\ns1,a\nS1,b\n").unwrap_err();
        assert!(e.to_string().contains("line 3") && e.to_string().contains("line 2"), "{e}");
        let e = load("SubscriptionId,OfferName\n,a\n").unwrap_err();
        assert!(e.to_string().contains("line 2") && e.to_string().contains("empty"), "{e}");
    }
}
