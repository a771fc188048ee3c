//! The meter catalog: names, units and categories of the meters the usage APIs report.
//!
//! The built-in rows live in `data/meters.csv` (every row of usage-api.md §5 and §5.1), so the
//! table can be reviewed and diffed as data rather than as Rust literals.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Reason, Result};

const BUILTIN_CSV: &str = include_str!("../data/meters.csv");

/// One meter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Meter {
    /// Meter id as published (casing and missing dashes kept); empty for per-tier meters.
    #[serde(alias = "id", alias = "MeterId", alias = "meterId")]
    pub id: String,
    /// Meter name.
    #[serde(alias = "name", alias = "MeterName", alias = "meterName")]
    pub name: String,
    /// Unit of the quantity.
    #[serde(alias = "unit", default)]
    pub unit: String,
    /// Category (Network, Storage, Compute, Managed Disks, ...).
    #[serde(alias = "category", alias = "MeterCategory", alias = "meterCategory", default)]
    pub category: String,
    /// Superseded meter still recognised in old data.
    #[serde(alias = "deprecated", default)]
    pub deprecated: bool,
    /// Short description.
    #[serde(alias = "notes", default)]
    pub notes: String,
}

/// A set of meters with lookup by id (ignoring case and dashes).
#[derive(Debug, Clone, Default)]
pub struct MeterCatalog {
    meters: Vec<Meter>,
    index: HashMap<String, usize>,
}

/// The lookup key of a meter id: lower-case, no dashes, no braces, no surrounding spaces.
pub(crate) fn meter_key(id: &str) -> String {
    id.trim().chars().filter(|c| !matches!(c, '-' | '{' | '}')).map(|c| c.to_ascii_lowercase()).collect()
}

impl MeterCatalog {
    /// The built-in catalog: every row of usage-api.md §5 (70, including the id-less
    /// "Custom Worker Tiers") and §5.1 (15).
    pub fn builtin() -> MeterCatalog {
        let mut c = MeterCatalog::default();
        // The embedded file is covered by tests; a failure here would be a build-time data bug,
        // so fall back to an empty catalog rather than panic.
        match parse_csv(BUILTIN_CSV, "built-in meters.csv") {
            Ok(meters) => meters.into_iter().for_each(|m| c.insert(m)),
            Err(e) => tracing::error!("built-in meter table is invalid: {e}"),
        }
        c
    }

    /// The meter with this id (case, dashes and braces ignored). Id-less rows are never matched.
    pub fn lookup(&self, meter_id: &str) -> Option<&Meter> {
        // Called once per record: build the key on the stack for GUID-sized ids.
        let mut buf = [0u8; 64];
        let mut n = 0;
        for b in meter_id.trim().bytes() {
            if matches!(b, b'-' | b'{' | b'}') {
                continue;
            }
            if n == buf.len() || !b.is_ascii() {
                let key = meter_key(meter_id);
                return self.index.get(&key).and_then(|&i| self.meters.get(i));
            }
            buf[n] = b.to_ascii_lowercase();
            n += 1;
        }
        let key = std::str::from_utf8(&buf[..n]).ok()?;
        if key.is_empty() {
            return None;
        }
        self.index.get(key).and_then(|&i| self.meters.get(i))
    }

    /// Adds or overrides meters from a file: a JSON array of meters
    /// (`[{"Id":…,"Name":…,"Unit":…,"Category":…}]`) or CSV with the header
    /// `Id,Name,Unit,Category[,Deprecated,Notes]`. Returns how many meters were read. On error
    /// the catalog is unchanged.
    pub fn load_file(&mut self, path: &Path) -> Result<usize> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| meter_error(format!("cannot read meter file {}: {e}", path.display())).with_source(e))?;
        let name = path.display().to_string();
        let meters =
            if text.trim_start().starts_with('[') { parse_json(&text, &name)? } else { parse_csv(&text, &name)? };
        let n = meters.len();
        meters.into_iter().for_each(|m| self.insert(m));
        Ok(n)
    }

    /// All meters in a stable order (built-in order, then added meters in file order).
    pub fn meters(&self) -> impl Iterator<Item = &Meter> {
        self.meters.iter()
    }

    fn insert(&mut self, meter: Meter) {
        let key = meter_key(&meter.id);
        if key.is_empty() {
            self.meters.push(meter);
            return;
        }
        match self.index.get(&key) {
            Some(&i) => self.meters[i] = meter,
            None => {
                self.index.insert(key, self.meters.len());
                self.meters.push(meter);
            }
        }
    }
}

fn meter_error(message: String) -> Error {
    Error::new(Reason::MeterFileInvalid, message)
}

fn parse_json(text: &str, name: &str) -> Result<Vec<Meter>> {
    serde_json::from_str::<Vec<Meter>>(text).map_err(|e| {
        meter_error(format!(
            "meter file {name}, line {}: {e}; expected a JSON array of objects with Id, Name, Unit, Category",
            e.line()
        ))
    })
}

fn parse_csv(text: &str, name: &str) -> Result<Vec<Meter>> {
    let mut rdr =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    // Column positions, from the header when there is one, else the documented order.
    let mut cols = [Some(0), Some(1), Some(2), Some(3), Some(4), Some(5)];
    let mut out = Vec::new();
    for (i, row) in rdr.records().enumerate() {
        let row = row.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            meter_error(format!("meter file {name}, line {line}: {e}"))
        })?;
        let line = row.position().map(|p| p.line()).unwrap_or(i as u64 + 1);
        if row.iter().all(|f| f.is_empty()) {
            continue;
        }
        if i == 0 && row.get(0).is_some_and(|f| matches!(f.to_ascii_lowercase().as_str(), "id" | "meterid")) {
            let find = |names: &[&str]| row.iter().position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)));
            cols = [
                find(&["Id", "MeterId"]),
                find(&["Name", "MeterName"]),
                find(&["Unit"]),
                find(&["Category", "MeterCategory"]),
                find(&["Deprecated"]),
                find(&["Notes"]),
            ];
            if cols[1].is_none() {
                return Err(meter_error(format!(
                    "meter file {name}, line {line}: header has no Name column; expected Id,Name,Unit,Category"
                )));
            }
            continue;
        }
        let get = |c: Option<usize>| c.and_then(|c| row.get(c)).unwrap_or("").to_string();
        let meter = Meter {
            id: get(cols[0]),
            name: get(cols[1]),
            unit: get(cols[2]),
            category: get(cols[3]),
            deprecated: match get(cols[4]).to_ascii_lowercase().as_str() {
                "" | "false" | "no" | "0" | "current" => false,
                "true" | "yes" | "1" | "deprecated" => true,
                other => {
                    return Err(meter_error(format!(
                        "meter file {name}, line {line}: Deprecated is '{other}'; use true or false"
                    )));
                }
            },
            notes: get(cols[5]),
        };
        if row.len() < 2 || meter.name.is_empty() {
            return Err(meter_error(format!(
                "meter file {name}, line {line}: expected Id,Name,Unit,Category but found {} field(s) / no name",
                row.len()
            )));
        }
        out.push(meter);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_every_row() {
        let c = MeterCatalog::builtin();
        assert_eq!(c.meters().count(), 85);
        assert_eq!(c.meters().filter(|m| !m.id.is_empty()).count(), 84);
        assert_eq!(c.index.len(), 84, "ids must be unique");
        // Every GUID of §5 and §5.1 in the doc is findable (checked against the doc when present).
        if let Ok(doc) =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/docs/usage-api.md"))
        {
            let start = doc.find("## 5. Meter table").unwrap_or(0);
            let end = doc.find("#### 5.2").unwrap_or(doc.len());
            let mut found = 0;
            for piece in doc[start..end].split('`').skip(1).step_by(2) {
                if piece.len() >= 32 && piece.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
                    assert!(c.lookup(piece).is_some(), "{piece} missing");
                    found += 1;
                }
            }
            assert_eq!(found, 84);
        }
        let cats: std::collections::BTreeSet<_> = c.meters().map(|m| m.category.as_str()).collect();
        assert_eq!(cats.len(), 9, "{cats:?}");
        assert_eq!(c.meters().filter(|m| m.category == "Managed Disks" && m.deprecated).count(), 22);
        assert!(c.meters().any(|m| m.name == "Custom Worker Tiers" && m.id.is_empty()));
    }

    #[test]
    fn lookup_ignores_case_and_dashes() {
        let c = MeterCatalog::builtin();
        let vm = c.lookup("6dab500f-a4fd-49c4-956d-229bb9c8c793").unwrap();
        assert_eq!(
            (vm.name.as_str(), vm.unit.as_str(), vm.category.as_str()),
            ("VM size hours", "VM hours", "Compute")
        );
        assert_eq!(c.lookup("6DAB500FA4FD49C4956D229BB9C8C793"), Some(vm));
        assert_eq!(c.lookup("{6DAB500F-A4FD-49C4-956D-229BB9C8C793}"), Some(vm));
        let ip = c.lookup("f271a8a3-88c4-4d93-956a-063e1d2fa80b").unwrap();
        assert_eq!(ip.name, "Static IP Address Usage");
        assert!(c.lookup("").is_none());
        assert!(c.lookup("not-a-meter").is_none());
        assert!(c.lookup("5d76e09f-4567-452a-94cc-7d1f097761f0").unwrap().deprecated);
    }

    #[test]
    fn override_files() {
        let dir = std::env::temp_dir().join(format!("azs-cat-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let csv = dir.join("m.csv");
        std::fs::write(&csv, "Id,Name,Unit,Category\n6DAB500F-A4FD-49C4-956D-229BB9C8C793,VM hours (custom),h,Compute\nabc,\"My, meter\",u,Custom\n").unwrap();
        let mut c = MeterCatalog::builtin();
        assert_eq!(c.load_file(&csv).unwrap(), 2);
        assert_eq!(c.lookup("6dab500fa4fd49c4956d229bb9c8c793").unwrap().name, "VM hours (custom)");
        assert_eq!(c.lookup("ABC").unwrap().name, "My, meter");
        assert_eq!(c.meters().count(), 86);

        let json = dir.join("m.json");
        std::fs::write(&json, r#"[{"Id":"xyz","Name":"J","Unit":"u","Category":"C"}]"#).unwrap();
        assert_eq!(c.load_file(&json).unwrap(), 1);
        assert_eq!(c.lookup("XYZ").unwrap().name, "J");

        std::fs::write(&json, "[\n{\"Id\":\"a\",\"Name\":\"b\"},\n{\"Id\": 5}\n]").unwrap();
        let e = c.load_file(&json).unwrap_err();
        assert!(e.message.contains("line 3"), "{}", e.message);
        std::fs::write(&csv, "Id,Name,Unit,Category\na,b,c,d\nonlyid\n").unwrap();
        let e = c.load_file(&csv).unwrap_err();
        assert!(e.message.contains("line 3"), "{}", e.message);
        assert!(c.load_file(&dir.join("missing.csv")).unwrap_err().message.contains("cannot read"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
