//! The FOCUS columns as data: one typed cell per column of [`FocusRow`], in [`FOCUS_COLUMNS`]
//! order, so the CSV and Parquet writers and readers share one mapping (a test checks it against
//! the column list).

use azs_usage_core::StringMap;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::focus::{FOCUS_COLUMNS, FocusRow};

/// The value type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An exact decimal, never null.
    Dec,
    /// Text; an empty string is a null cell (FOCUS forbids empty strings standing for null).
    Str,
    /// Text that may be null (`ChargeClass`).
    OptStr,
    /// A UTC instant, never null.
    Time,
    /// A tag map, written as a JSON object.
    Tags,
}

/// One cell of a row, borrowed from it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cell<'a> {
    Dec(Decimal),
    /// `None` (or an empty string) is null.
    Str(Option<&'a str>),
    Time(DateTime<Utc>),
    Tags(&'a StringMap),
}

/// One cell read back from a file.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Dec(Decimal),
    Str(Option<String>),
    Time(DateTime<Utc>),
    Tags(StringMap),
}

fn non_empty(s: &str) -> Option<&str> {
    if s.is_empty() { None } else { Some(s) }
}

macro_rules! columns {
    ($($field:ident: $kind:ident,)*) => {
        /// The kind of every column, in file order.
        pub(crate) const KINDS: [Kind; FOCUS_COLUMNS.len()] = [$(Kind::$kind,)*];

        /// The field names, in file order (checked against [`FOCUS_COLUMNS`] by a test).
        #[cfg(test)]
        pub(crate) const FIELDS: [&str; FOCUS_COLUMNS.len()] = [$(stringify!($field),)*];

        /// The row's cells, in file order.
        pub(crate) fn cells(row: &FocusRow) -> [Cell<'_>; FOCUS_COLUMNS.len()] {
            [$(columns!(@cell row, $field, $kind),)*]
        }

        /// A row from its cells, in file order. A cell of the wrong kind is a bug of the reader.
        pub(crate) fn from_values(values: Vec<Value>) -> Option<FocusRow> {
            let mut it = values.into_iter();
            Some(FocusRow { $($field: columns!(@take it, $kind),)* })
        }
    };
    (@cell $row:ident, $field:ident, Dec) => { Cell::Dec($row.$field) };
    (@cell $row:ident, $field:ident, Str) => { Cell::Str(non_empty(&$row.$field)) };
    (@cell $row:ident, $field:ident, OptStr) => { Cell::Str($row.$field.as_deref().and_then(non_empty)) };
    (@cell $row:ident, $field:ident, Time) => { Cell::Time($row.$field) };
    (@cell $row:ident, $field:ident, Tags) => { Cell::Tags(&$row.$field) };
    (@take $it:ident, Dec) => { match $it.next()? { Value::Dec(d) => d, _ => return None } };
    (@take $it:ident, Str) => { match $it.next()? { Value::Str(s) => s.unwrap_or_default(), _ => return None } };
    (@take $it:ident, OptStr) => { match $it.next()? { Value::Str(s) => s, _ => return None } };
    (@take $it:ident, Time) => { match $it.next()? { Value::Time(t) => t, _ => return None } };
    (@take $it:ident, Tags) => { match $it.next()? { Value::Tags(m) => m, _ => return None } };
}

columns! {
    billed_cost: Dec,
    billing_account_id: Str,
    billing_account_name: Str,
    billing_currency: Str,
    billing_period_end: Time,
    billing_period_start: Time,
    charge_category: Str,
    charge_class: OptStr,
    charge_description: Str,
    charge_period_end: Time,
    charge_period_start: Time,
    contracted_cost: Dec,
    effective_cost: Dec,
    invoice_issuer_name: Str,
    list_cost: Dec,
    pricing_quantity: Dec,
    pricing_unit: Str,
    provider_name: Str,
    publisher_name: Str,
    service_category: Str,
    service_name: Str,
    charge_frequency: Str,
    consumed_quantity: Dec,
    consumed_unit: Str,
    contracted_unit_price: Dec,
    list_unit_price: Dec,
    pricing_category: Str,
    region_id: Str,
    region_name: Str,
    resource_id: Str,
    resource_name: Str,
    resource_type: Str,
    service_subcategory: Str,
    sku_id: Str,
    sku_meter: Str,
    sku_price_details: Str,
    sku_price_id: Str,
    sub_account_id: Str,
    sub_account_name: Str,
    sub_account_type: Str,
    tags: Tags,
    x_meter_id: Str,
    x_meter_category: Str,
    x_resource_group: Str,
    x_tenant_id: Str,
    x_owner: Str,
    x_offer_name: Str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_follow_the_column_list() {
        for (field, column) in FIELDS.iter().zip(FOCUS_COLUMNS) {
            let snake: String = column
                .trim_start_matches("x_")
                .chars()
                .enumerate()
                .flat_map(|(i, c)| {
                    let lower = c.to_ascii_lowercase();
                    if c.is_ascii_uppercase() && i > 0 { vec!['_', lower] } else { vec![lower] }
                })
                .collect();
            let expected = if column.starts_with("x_") { format!("x_{snake}") } else { snake };
            assert_eq!(*field, expected, "column {column}");
        }
    }
}
