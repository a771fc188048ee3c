//! The CSV rate card: one row per price, headers in any case (see `RateCard::load`).

use azs_usage_core::query::parse_time;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::error::{Problem, Reason};
use crate::ratecard::{PriceRow, Scope, Warning, check_currency, check_one_currency, check_row_values};

/// The columns a CSV card may have, in their canonical spelling.
pub(crate) const RATE_CARD_COLUMNS: [&str; 12] = [
    "MeterId",
    "UnitPrice",
    "Currency",
    "BlockSize",
    "IncludedQuantity",
    "TierStart",
    "EffectiveFrom",
    "EffectiveTo",
    "Scope",
    "MeterName",
    "Unit",
    "Description",
];

const REQUIRED: [&str; 3] = ["MeterId", "UnitPrice", "Currency"];

/// Parses the rows; every problem goes to `problems` (the rows that have one are left out).
pub(crate) fn parse(text: &str, file: &str, problems: &mut Vec<Problem>, warnings: &mut Vec<Warning>) -> Vec<PriceRow> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    // The csv crate does not count blank lines, and a record's byte offset is where its reading
    // began (before skipped blank and comment lines): lines come from the offset, past those.
    let line_at = |byte: u64| line_of_record(text, byte);
    let invalid = |code, line, column: Option<&str>, message: String| {
        Problem::new(Reason::RateCardInvalid, code, file, line, column, message)
    };

    // The header: the first record that is not a comment.
    let header = match records.next() {
        None => {
            problems.push(invalid(
                "EmptyRateCard",
                None,
                None,
                format!("the file is empty; a rate card starts with a header line such as {}", REQUIRED.join(",")),
            ));
            return Vec::new();
        }
        Some(Err(e)) => {
            problems.push(invalid(
                "BadCsv",
                e.position().map(|p| line_at(p.byte())),
                None,
                format!("not readable as CSV: {e}"),
            ));
            return Vec::new();
        }
        Some(Ok(h)) => h,
    };
    let header_line = header.position().map(|p| line_at(p.byte()));
    // Column index of each known column.
    let mut index: [Option<usize>; RATE_CARD_COLUMNS.len()] = [None; RATE_CARD_COLUMNS.len()];
    for (i, name) in header.iter().enumerate() {
        match RATE_CARD_COLUMNS.iter().position(|c| c.eq_ignore_ascii_case(name)) {
            Some(k) if index[k].is_some() => problems.push(invalid(
                "DuplicateColumn",
                header_line,
                Some(name),
                format!("the column {} appears twice in the header", RATE_CARD_COLUMNS[k]),
            )),
            Some(k) => index[k] = Some(i),
            None if name.is_empty() => {}
            None => warnings.push(Warning {
                code: "UnknownColumn",
                file: file.to_string(),
                line: header_line,
                message: format!(
                    "the column '{name}' is not a rate-card column and is ignored (columns: {})",
                    RATE_CARD_COLUMNS.join(", ")
                ),
            }),
        }
    }
    let col = |name: &str| index[RATE_CARD_COLUMNS.iter().position(|c| *c == name).unwrap_or(0)];
    let mut missing = false;
    for name in REQUIRED {
        if col(name).is_none() {
            missing = true;
            problems.push(invalid(
                "MissingColumn",
                header_line,
                Some(name),
                format!("the header has no {name} column (required: {}; names in any case)", REQUIRED.join(", ")),
            ));
        }
    }
    if missing {
        return Vec::new();
    }

    let mut rows = Vec::new();
    let mut currencies = Vec::new();
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(invalid(
                    "BadCsv",
                    e.position().map(|p| line_at(p.byte())),
                    None,
                    format!("not readable as CSV: {e}"),
                ));
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let line = record.position().map(|p| line_at(p.byte())).unwrap_or(0);
        if record.len() > header.len() {
            problems.push(invalid(
                "FieldCount",
                Some(line),
                None,
                format!(
                    "the row has {} cells and the header {}: quote a value that contains a comma, and write decimals with a point",
                    record.len(),
                    header.len()
                ),
            ));
            continue;
        }
        let before = problems.len();
        let cell = |name: &str| col(name).and_then(|i| record.get(i)).unwrap_or("");
        let mut bad = |column: &str, code: &'static str, message: String| {
            problems.push(invalid(code, Some(line), Some(column), message));
        };

        let decimal = |name: &str, default: Decimal, bad: &mut dyn FnMut(&str, &'static str, String)| {
            let text = cell(name);
            if text.is_empty() {
                return default;
            }
            parse_card_decimal(text).unwrap_or_else(|m| {
                bad(name, "BadDecimal", m);
                default
            })
        };
        let unit_price = if cell("UnitPrice").is_empty() {
            bad("UnitPrice", "MissingPrice", "the price is empty; write a decimal such as 0.05 (0 for free)".into());
            Decimal::ZERO
        } else {
            decimal("UnitPrice", Decimal::ZERO, &mut bad)
        };
        let block_size = decimal("BlockSize", Decimal::ONE, &mut bad);
        let included_quantity = decimal("IncludedQuantity", Decimal::ZERO, &mut bad);
        let tier_start = decimal("TierStart", Decimal::ZERO, &mut bad);
        let mut date = |name: &str| -> Option<DateTime<Utc>> {
            let text = cell(name);
            if text.is_empty() {
                return None;
            }
            match parse_time(text) {
                Ok(t) => Some(t),
                Err(e) => {
                    bad(name, "BadDate", e.message.clone());
                    None
                }
            }
        };
        let effective_from = date("EffectiveFrom");
        let effective_to = date("EffectiveTo");
        let scope = Scope::parse(cell("Scope")).unwrap_or_else(|m| {
            bad("Scope", "BadScope", m);
            Scope::All
        });
        let currency = cell("Currency").to_string();
        currencies.push((line, currency.to_ascii_uppercase()));
        let row = PriceRow {
            meter_id: cell("MeterId").to_string(),
            unit_price,
            currency: currency.to_ascii_uppercase(),
            block_size,
            included_quantity,
            tier_start,
            effective_from,
            effective_to,
            scope,
            meter_name: cell("MeterName").to_string(),
            unit: cell("Unit").to_string(),
            description: cell("Description").to_string(),
            line,
        };
        check_row_values(&row, file, problems);
        check_currency(&row.currency, file, Some(line), "Currency", problems);
        if problems.len() == before {
            rows.push(row);
        }
    }
    check_one_currency(&currencies, file, problems);
    rows
}

/// A rate-card decimal: plain notation or an exponent, `.` as the separator.
pub(crate) fn parse_card_decimal(text: &str) -> Result<Decimal, String> {
    let t = text.trim();
    if t.contains(',') {
        return Err(format!("'{t}' is not a decimal: write it with a point and no thousands separators (e.g. 1234.5)"));
    }
    let parsed = if t.contains(['e', 'E']) { Decimal::from_scientific(t) } else { Decimal::from_str_exact(t) };
    parsed.map_err(|_| format!("'{t}' is not a decimal (e.g. 0.05, 12, 1.5e-3)"))
}

/// The 1-based line of the record whose reading began at `byte`: past blank and `#` lines.
pub(crate) fn line_of_record(text: &str, byte: u64) -> u64 {
    let bytes = text.as_bytes();
    let mut b = (byte as usize).min(bytes.len());
    loop {
        match bytes.get(b) {
            Some(b'\r' | b'\n') => b += 1,
            Some(b'#') if b == 0 || bytes[b - 1] == b'\n' => {
                b = bytes[b..].iter().position(|c| *c == b'\n').map_or(bytes.len(), |p| b + p + 1);
            }
            _ => break,
        }
    }
    bytes[..b].iter().filter(|c| **c == b'\n').count() as u64 + 1
}
