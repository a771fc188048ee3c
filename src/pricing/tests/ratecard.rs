//! Rate cards: every rule of the CSV card and the Azure RateCard JSON, and every validation error
//! with its file, line and column.

use std::path::{Path, PathBuf};

use azs_usage_pricing::{Problem, RateCard, RateCardOptions, Reason, Scope};
use rust_decimal::Decimal;

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().unwrap())
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

fn load(text: &str) -> Result<(RateCard, Vec<azs_usage_pricing::Warning>), azs_usage_pricing::Error> {
    let dir = Dir::new();
    RateCard::load(&dir.file("card.csv", text), &RateCardOptions::default())
}

fn problems(text: &str) -> Vec<Problem> {
    load(text).expect_err("the card is invalid").problems().to_vec()
}

/// (code, line, column) of each problem.
fn codes(text: &str) -> Vec<(&'static str, Option<u64>, Option<String>)> {
    problems(text).into_iter().map(|p| (p.code, p.line, p.column)).collect()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

const HEADER: &str =
    "MeterId,UnitPrice,Currency,BlockSize,IncludedQuantity,TierStart,EffectiveFrom,EffectiveTo,Scope\n";

#[test]
fn a_full_card_loads_with_defaults_and_normalised_rows() {
    let (card, warnings) = load(
        "# comment lines are skipped\n\
         meterid,UNITPRICE,currency,Unit,MeterName\n\
         fab6eb84-500b-4a09-a8ca-7358f8bbaea5,0.012,eur,Core-Hours,Base VM Size Hours\n\
         \n\
         {43DAF82B-4618-444A-B994-40C23F7CD438},1.5e-3,EUR,10000 Requests,\n",
    )
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(card.currency(), "EUR");
    let rows = card.rows();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].line, 3);
    assert_eq!((rows[0].block_size, rows[0].included_quantity, rows[0].tier_start), (d("1"), d("0"), d("0")));
    assert_eq!(rows[0].scope, Scope::All);
    assert_eq!(rows[0].currency, "EUR", "upper-cased");
    assert_eq!(rows[1].unit_price, d("0.0015"));
    assert_eq!(rows[1].line, 5);
}

#[test]
fn every_bad_value_is_reported_with_line_and_column() {
    let text = format!(
        "{HEADER}\
         m1,1,5,EUR,,,,,,\n\
         m2,-1,EUR,,,,,,\n\
         m3,1,EURO,,,,,,\n\
         m4,1,EUR,0,,,,,\n\
         m5,1,EUR,,-2,,,,\n\
         m6,1,EUR,,,-1,,,\n\
         m7,1,EUR,,,,2026-13-01,,\n\
         m8,1,EUR,,,,2026-12-01,2026-11-01,\n\
         m9,1,EUR,,,,,,tenant:x\n\
         ,1,EUR,,,,,,\n\
         m10,,EUR,,,,,,\n\
         m11,1,,,,,,,\n\
         m12,abc,EUR,,,,,,\n"
    );
    let got = codes(&text);
    let mut want: Vec<(&str, Option<u64>, Option<String>)> = vec![("FieldCount", Some(2), None)];
    let rest: Vec<(&str, u64, &str)> = vec![
        ("NegativePrice", 3, "UnitPrice"),
        ("UnknownCurrency", 4, "Currency"),
        ("BadBlockSize", 5, "BlockSize"),
        ("NegativeIncludedQuantity", 6, "IncludedQuantity"),
        ("NegativeTierStart", 7, "TierStart"),
        ("BadDate", 8, "EffectiveFrom"),
        ("EmptyEffectiveRange", 9, "EffectiveTo"),
        ("BadScope", 10, "Scope"),
        ("MissingMeterId", 11, "MeterId"),
        ("MissingPrice", 12, "UnitPrice"),
        ("MissingCurrency", 13, "Currency"),
        ("BadDecimal", 14, "UnitPrice"),
    ];
    // Line 2: an unquoted "1,5" makes one cell too many.
    want.extend(rest.into_iter().map(|(c, l, col)| (c, Some(l), Some(col.to_string()))));
    assert_eq!(got, want);
    let e = load(&text).unwrap_err();
    assert_eq!(e.reason(), Reason::RateCardInvalid);
    let shown = e.to_string();
    assert!(shown.contains("13 problems"), "{shown}");
    assert!(shown.contains("card.csv, line 14, column UnitPrice: 'abc' is not a decimal"), "{shown}");
}

#[test]
fn a_quoted_decimal_comma_is_explained() {
    let p = problems(&format!("{HEADER}m1,\"1,5\",EUR,,,,,,\n"));
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].code, "BadDecimal");
    assert!(p[0].message.contains("with a point"), "{}", p[0].message);
}

#[test]
fn missing_and_duplicate_columns_and_unknown_ones() {
    assert_eq!(
        codes("MeterId,Price\nm1,1\n"),
        vec![("MissingColumn", Some(1), Some("UnitPrice".into())), ("MissingColumn", Some(1), Some("Currency".into()))]
    );
    assert_eq!(codes("MeterId,UnitPrice,Currency,unitprice\nm1,1,EUR,2\n")[0].0, "DuplicateColumn");
    let (_, warnings) = load("MeterId,UnitPrice,Currency,Colour\nm1,1,EUR,red\n").unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].code, "UnknownColumn");
    assert!(warnings[0].message.contains("Colour"));
    assert_eq!(codes("")[0].0, "EmptyRateCard");
    assert_eq!(codes("MeterId,UnitPrice,Currency\n")[0].0, "EmptyRateCard");
}

#[test]
fn two_currencies_conflict_on_every_other_row() {
    let e = load(&format!("{HEADER}m1,1,EUR,,,,,,\nm2,1,USD,,,,,,\nm3,1,USD,,,,,,\nm4,1,EUR,,,,,,\n")).unwrap_err();
    assert_eq!(e.reason(), Reason::RateCardConflict);
    let p = e.problems();
    assert_eq!(
        p.iter().map(|p| (p.code, p.line)).collect::<Vec<_>>(),
        vec![("TwoCurrencies", Some(3)), ("TwoCurrencies", Some(4))]
    );
    assert!(p[0].message.contains("USD differs from EUR (line 2)"), "{}", p[0].message);
}

#[test]
fn tiers_must_start_at_zero_be_unique_and_agree() {
    let got = codes(&format!(
        "{HEADER}\
         m1,1,EUR,,,100,,,\n\
         m1,2,EUR,,,500,,,\n\
         m2,1,EUR,,,0,,,\n\
         m2,2,EUR,,,0,,,\n\
         m3,1,EUR,10,5,0,,,\n\
         m3,2,EUR,1,5,100,,,\n\
         m3,3,EUR,10,7,200,,,\n"
    ));
    assert_eq!(
        got,
        vec![
            ("TierNotFromZero", Some(2), Some("TierStart".into())),
            ("DuplicateTier", Some(5), Some("TierStart".into())),
            ("TierMismatch", Some(7), Some("BlockSize".into())),
            ("TierMismatch", Some(8), Some("IncludedQuantity".into())),
        ]
    );
    // The same tier start written differently is still a duplicate.
    assert_eq!(codes(&format!("{HEADER}m1,1,EUR,,,0,,,\nm1,2,EUR,,,0.00,,,\n"))[0].0, "DuplicateTier");
    // Tiers of different scopes or periods are separate prices.
    load(&format!("{HEADER}m1,1,EUR,,,0,,,\nm1,2,EUR,,,0,,,offer:gold\nm1,3,EUR,,,0,,,subscription:s1\n")).unwrap();
}

#[test]
fn effective_ranges_of_one_meter_and_scope_must_not_overlap() {
    let got = codes(&format!(
        "{HEADER}\
         m1,1,EUR,,,,2026-01-01,2026-06-01,\n\
         m1,2,EUR,,,,2026-05-01,,\n\
         m2,1,EUR,,,,,2026-06-01,\n\
         m2,2,EUR,,,,2026-06-01,,\n\
         m3,1,EUR,,,,,,\n\
         m3,2,EUR,,,,2026-06-01,,\n\
         m4,1,EUR,,,,2026-01-01,,offer:gold\n\
         m4,2,EUR,,,,2026-01-01,,\n"
    ));
    assert_eq!(
        got,
        vec![
            ("OverlappingEffectiveRanges", Some(3), Some("EffectiveFrom".into())),
            ("OverlappingEffectiveRanges", Some(7), Some("EffectiveFrom".into())),
        ],
        "m2 ends where its next price starts (end exclusive); m4's two rows have different scopes"
    );
    let e = load(&format!("{HEADER}m1,1,EUR,,,,2026-01-01,2026-06-01,\nm1,2,EUR,,,,2026-05-01,,\n")).unwrap_err();
    assert_eq!(e.reason(), Reason::RateCardConflict);
    assert!(e.problems()[0].message.contains("line 2"), "{}", e.problems()[0].message);
}

#[test]
fn conflicts_and_bad_values_together_are_invalid_with_every_problem() {
    let e = load(&format!("{HEADER}m1,x,EUR,,,,,,\nm2,1,USD,,,,,,\n")).unwrap_err();
    assert_eq!(e.reason(), Reason::RateCardInvalid);
    assert_eq!(e.problems().len(), 2);
}

#[test]
fn double_billing_of_vm_hours_is_a_warning() {
    let card = "MeterId,UnitPrice,Currency\n\
                6DAB500F-A4FD-49C4-956D-229BB9C8C793,0.05,EUR\n\
                fab6eb84500b4a09a8ca7358f8bbaea5,0.01,EUR\n";
    let (_, warnings) = load(card).unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].code, "DoubleBilling");
    assert_eq!(warnings[0].line, Some(2));
    assert!(
        warnings[0].message.contains("billed twice") && warnings[0].message.contains("line 3"),
        "{}",
        warnings[0].message
    );
    // Several VM rows: every line is named.
    let (_, warnings) =
        load("MeterId,UnitPrice,Currency\n6DAB500F-A4FD-49C4-956D-229BB9C8C793,0.05,EUR\n9CD92D4C-BAFD-4492-B278-BEDC2DE8232A,0.01,EUR\n")
            .unwrap();
    assert_eq!(warnings[0].code, "DoubleBilling");
    // Priced at zero, VM size hours bills nothing twice.
    let (_, warnings) =
        load("MeterId,UnitPrice,Currency\n6DAB500F-A4FD-49C4-956D-229BB9C8C793,0,EUR\nfab6eb84500b4a09a8ca7358f8bbaea5,0.01,EUR\n").unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let (_, warnings) = load("MeterId,UnitPrice,Currency\n6DAB500F-A4FD-49C4-956D-229BB9C8C793,0.05,EUR\n").unwrap();
    assert!(warnings.is_empty());
}

#[test]
fn inexact_block_sizes_warn() {
    let (_, warnings) = load("MeterId,UnitPrice,Currency,BlockSize\nm1,1,EUR,3\nm2,1,EUR,1024\n").unwrap();
    assert_eq!(warnings.iter().map(|w| (w.code, w.line)).collect::<Vec<_>>(), vec![("InexactBlockSize", Some(2))]);
}

#[test]
fn unreadable_files_fail_at_once() {
    let dir = Dir::new();
    let e = RateCard::load(&dir.0.path().join("nope.csv"), &RateCardOptions::default()).unwrap_err();
    assert_eq!(e.reason(), Reason::RateCardInvalid);
    assert!(e.to_string().contains("nope.csv"));
    let latin1 = dir.0.path().join("latin1.csv");
    std::fs::write(&latin1, b"MeterId,UnitPrice,Currency\nm\xe9,1,EUR\n").unwrap();
    let e = RateCard::load(&latin1, &RateCardOptions::default()).unwrap_err();
    assert!(e.to_string().contains("UTF-8"), "{e}");
}

const AZURE: &str = r#"{
  "OfferTerms": [],
  "Meters": [
    {
      "EffectiveDate": "2014-06-01T00:00:00Z",
      "IncludedQuantity": 0.0,
      "MeterCategory": "Virtual Machines",
      "MeterId": "AZURE-WINDOWS-ID",
      "MeterName": "Windows VM",
      "MeterRates": { "0": 0.0460000000000000001, "1000": 0.04 },
      "MeterRegion": "Azure Stack",
      "MeterSubCategory": "Windows",
      "MeterTags": [],
      "Unit": "1 Hour"
    },
    {
      "EffectiveDate": "2026-11-15T00:00:00Z",
      "IncludedQuantity": 5,
      "MeterId": "AZURE-WINDOWS-ID",
      "MeterRates": { "0": 0.05 },
      "Unit": "1 Hour"
    },
    {
      "IncludedQuantity": 0,
      "MeterId": "88039D51-A206-3A89-E9DE-C5117E2D10A6",
      "MeterName": "Small Standard App Service Hours",
      "MeterRates": { "0": 0.1 },
      "Unit": "1 Hour"
    }
  ],
  "Currency": "USD",
  "Locale": "en-US",
  "IsTaxIncluded": false
}"#;

#[test]
fn azure_ratecard_json_reads_exactly_with_a_meter_map() {
    let dir = Dir::new();
    let card = dir.file("ratecard.json", AZURE);
    let map = dir.file("map.csv", "AzureMeterId,MeterId\nazure-windows-id,9CD92D4C-BAFD-4492-B278-BEDC2DE8232A\n");
    let (card, warnings) = RateCard::load(&card, &RateCardOptions { meter_map: Some(map) }).unwrap();
    assert!(warnings.is_empty());
    assert_eq!(card.currency(), "USD");
    let rows = card.rows();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].meter_id, "9CD92D4C-BAFD-4492-B278-BEDC2DE8232A", "mapped");
    assert_eq!(rows[0].unit_price, d("0.0460000000000000001"), "JSON numbers are read exactly");
    assert_eq!((rows[1].tier_start, rows[1].unit_price), (d("1000"), d("0.04")));
    assert_eq!(rows[0].line, 4, "the meter's line");
    // Two entries of one meter: the first ends where the second begins.
    assert_eq!(rows[0].effective_to, rows[2].effective_from);
    assert_eq!(rows[2].included_quantity, d("5"));
    assert_eq!(rows[3].meter_id, "88039D51-A206-3A89-E9DE-C5117E2D10A6", "unmapped ids stay");
    assert_eq!(rows[3].unit, "1 Hour");
}

#[test]
fn azure_json_problems_name_the_meter_line_and_path() {
    let dir = Dir::new();
    let bad = AZURE
        .replace("\"0\": 0.05", "\"100\": 0.05")
        .replace("\"Currency\": \"USD\"", "\"Currency\": \"XYZ\"")
        .replace("0.1 }", "-0.1 }");
    let e = RateCard::load(&dir.file("bad.json", &bad), &RateCardOptions::default()).unwrap_err();
    let got: Vec<(&str, Option<u64>, Option<String>)> =
        e.problems().iter().map(|p| (p.code, p.line, p.column.clone())).collect();
    assert_eq!(
        got,
        vec![
            ("UnknownCurrency", Some(1), Some("Currency".into())),
            ("TierNotFromZero", Some(16), Some("TierStart".into())),
            ("NegativePrice", Some(23), Some("UnitPrice".into())),
        ]
    );
    let e = RateCard::load(&dir.file("junk.json", "{\"Meters\": [1,}"), &RateCardOptions::default()).unwrap_err();
    assert!(e.to_string().contains("line 1"), "{e}");
    let e =
        RateCard::load(&dir.file("nometers.json", "{\"Currency\":\"USD\"}"), &RateCardOptions::default()).unwrap_err();
    assert_eq!(e.problems()[0].code, "MissingMeters");
    let e = RateCard::load(
        &dir.file("norates.json", "{\"Currency\":\"USD\",\"Meters\":[{\"MeterId\":\"x\"},{\"MeterRates\":{\"0\":1}}]}"),
        &RateCardOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.problems().iter().map(|p| p.code).collect::<Vec<_>>(), vec!["MissingRates", "MissingMeterId"]);
}

#[test]
fn meter_map_problems_are_reported() {
    let dir = Dir::new();
    let card = dir.file("ratecard.json", AZURE);
    let map = dir.file("map.csv", "AzureMeterId,MeterId\na,b\nA,c\nd,\n");
    let e = RateCard::load(&card, &RateCardOptions { meter_map: Some(map.clone()) }).unwrap_err();
    let lines: Vec<Option<u64>> = e.problems().iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![Some(3), Some(4)]);
    assert!(e.problems().iter().all(|p| p.file.ends_with("map.csv")));
    let e = RateCard::load(&card, &RateCardOptions { meter_map: Some(dir.file("m2.csv", "From,To\n")) }).unwrap_err();
    assert!(e.problems()[0].message.contains("AzureMeterId and MeterId"));
    // A mapping beside a CSV card does nothing and says so.
    let csv = dir.file("card.csv", "MeterId,UnitPrice,Currency\nm,1,EUR\n");
    let (_, w) = RateCard::load(&csv, &RateCardOptions { meter_map: Some(map) }).unwrap();
    assert_eq!(w[0].code, "MeterMapIgnored");
}

#[test]
fn from_rows_validates_like_a_file() {
    use azs_usage_pricing::PriceRow;
    let ok = vec![PriceRow::new("m1", d("1"), "EUR")];
    assert_eq!(RateCard::from_rows("table", ok).unwrap().0.rows().len(), 1);
    let bad = vec![PriceRow::new("m1", d("-1"), "EUR"), PriceRow::new("m2", d("1"), "usd")];
    let e = RateCard::from_rows("table", bad).unwrap_err();
    assert_eq!(e.problems().iter().map(|p| p.code).collect::<Vec<_>>(), vec!["NegativePrice", "UnknownCurrency"]);
    let _ = Path::new("");
}
