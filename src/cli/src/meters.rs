//! `meters`: the meter catalog, filtered, as CSV or JSON.

use std::io::Write;

use azs_usage_core::{Meter, MeterCatalog, Reason};
use serde::Serialize;

use crate::args::{Format, MetersArgs};
use crate::exit::Failure;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MeterRow<'a> {
    id: &'a str,
    name: &'a str,
    unit: &'a str,
    category: &'a str,
    deprecated: bool,
    notes: &'a str,
}

impl<'a> From<&'a Meter> for MeterRow<'a> {
    fn from(m: &'a Meter) -> Self {
        MeterRow {
            id: &m.id,
            name: &m.name,
            unit: &m.unit,
            category: &m.category,
            deprecated: m.deprecated,
            notes: &m.notes,
        }
    }
}

pub fn run(args: MetersArgs) -> Result<(), Failure> {
    let mut catalog = MeterCatalog::builtin();
    if let Some(path) = &args.meters_file {
        catalog.load_file(path)?;
    }
    let wanted_id = args.id.as_deref().map(normalise_id);
    let name = args.name.as_deref().map(str::to_lowercase);
    let rows: Vec<MeterRow> = catalog
        .meters()
        .filter(|m| wanted_id.as_ref().is_none_or(|id| normalise_id(&m.id) == *id))
        .filter(|m| name.as_ref().is_none_or(|n| m.name.to_lowercase().contains(n.as_str())))
        .filter(|m| args.category.as_ref().is_none_or(|c| m.category.eq_ignore_ascii_case(c)))
        .map(MeterRow::from)
        .collect();

    let mut out = std::io::stdout().lock();
    let result = match args.format {
        Format::Csv => write_csv(&mut out, &rows),
        Format::Json => serde_json::to_writer_pretty(&mut out, &rows).map_err(Into::into).and_then(|_| writeln!(out)),
        Format::Ndjson => rows.iter().try_for_each(|r| {
            serde_json::to_writer(&mut out, r)?;
            writeln!(out)
        }),
    };
    result.map_err(|e| Failure::new(Reason::OutputWriteFailed, format!("cannot write the meter list: {e}")))
}

fn write_csv(out: impl Write, rows: &[MeterRow]) -> std::io::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    for row in rows {
        csv.serialize(row)?;
    }
    csv.flush()
}

fn normalise_id(id: &str) -> String {
    id.chars().filter(|c| *c != '-').flat_map(char::to_lowercase).collect()
}
