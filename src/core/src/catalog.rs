//! The meter catalog: names, units and categories of the meters the usage APIs report.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;

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

impl MeterCatalog {
    /// The built-in catalog.
    pub fn builtin() -> MeterCatalog {
        todo!()
    }

    /// The meter with this id (case and dashes ignored).
    pub fn lookup(&self, meter_id: &str) -> Option<&Meter> {
        let _ = meter_id;
        todo!()
    }

    /// Adds or overrides meters from a JSON or CSV file; returns how many rows were read.
    pub fn load_file(&mut self, path: &Path) -> Result<usize> {
        let _ = path;
        todo!()
    }

    /// All meters in a stable order.
    pub fn meters(&self) -> impl Iterator<Item = &Meter> {
        self.meters.iter()
    }
}
