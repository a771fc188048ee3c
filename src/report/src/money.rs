//! Numbers for people: amounts in their currency's minor units, thousands separators per culture,
//! and rounding that keeps shown totals equal to the sum of their shown parts.
//!
//! The mirror has no locale-data crate (no ICU decimal formatter, no `num-format`), so cultures
//! come from a small table here ([`Culture::KNOWN`]). Currencies are shown by their ISO 4217 code,
//! never a symbol (`$` is several currencies), with the code where the culture puts its symbol.

use std::fmt::Write as _;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

/// How a culture writes numbers: separators and where the currency code goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Culture {
    /// The culture's name (BCP 47), e.g. `de-DE`.
    pub name: &'static str,
    /// Between groups of three integer digits.
    pub group: &'static str,
    /// Between the integer and the fraction.
    pub decimal: &'static str,
    /// True when the currency code comes before the number (`USD 1,234.50`), false after
    /// (`1.234,50 USD`).
    pub code_first: bool,
}

const NBSP: &str = "\u{a0}";
const NNBSP: &str = "\u{202f}";

impl Culture {
    /// The cultures `--culture` accepts (matched ignoring case; a bare language such as `de` picks
    /// its first entry). Separators follow CLDR's defaults for each culture.
    pub const KNOWN: &'static [Culture] = &[
        Culture { name: "en-US", group: ",", decimal: ".", code_first: true },
        Culture { name: "en-GB", group: ",", decimal: ".", code_first: true },
        Culture { name: "en-AU", group: ",", decimal: ".", code_first: true },
        Culture { name: "en-CA", group: ",", decimal: ".", code_first: true },
        Culture { name: "de-DE", group: ".", decimal: ",", code_first: false },
        Culture { name: "de-AT", group: NBSP, decimal: ",", code_first: false },
        Culture { name: "de-CH", group: "\u{2019}", decimal: ".", code_first: true },
        Culture { name: "fr-FR", group: NNBSP, decimal: ",", code_first: false },
        Culture { name: "fr-CA", group: NBSP, decimal: ",", code_first: false },
        Culture { name: "fr-CH", group: NNBSP, decimal: ",", code_first: false },
        Culture { name: "es-ES", group: ".", decimal: ",", code_first: false },
        Culture { name: "es-MX", group: ",", decimal: ".", code_first: true },
        Culture { name: "it-IT", group: ".", decimal: ",", code_first: false },
        Culture { name: "nl-NL", group: ".", decimal: ",", code_first: true },
        Culture { name: "pt-BR", group: ".", decimal: ",", code_first: true },
        Culture { name: "pt-PT", group: NBSP, decimal: ",", code_first: false },
        Culture { name: "sv-SE", group: NBSP, decimal: ",", code_first: false },
        Culture { name: "nb-NO", group: NBSP, decimal: ",", code_first: false },
        Culture { name: "da-DK", group: ".", decimal: ",", code_first: false },
        Culture { name: "fi-FI", group: NBSP, decimal: ",", code_first: false },
        Culture { name: "pl-PL", group: NBSP, decimal: ",", code_first: false },
        Culture { name: "cs-CZ", group: NBSP, decimal: ",", code_first: false },
        Culture { name: "ja-JP", group: ",", decimal: ".", code_first: true },
        Culture { name: "zh-CN", group: ",", decimal: ".", code_first: true },
        Culture { name: "ko-KR", group: ",", decimal: ".", code_first: true },
        Culture { name: "invariant", group: ",", decimal: ".", code_first: true },
    ];

    /// The culture named `name` (any case; `de` finds `de-DE`), or an error listing the known ones.
    pub fn find(name: &str) -> std::result::Result<Culture, String> {
        let wanted = name.trim();
        let exact = Culture::KNOWN.iter().find(|c| c.name.eq_ignore_ascii_case(wanted));
        let language = || {
            Culture::KNOWN.iter().find(|c| {
                c.name.split('-').next().is_some_and(|lang| lang.eq_ignore_ascii_case(wanted)) && !wanted.contains('-')
            })
        };
        exact.or_else(language).copied().ok_or_else(|| {
            let names: Vec<&str> = Culture::KNOWN.iter().map(|c| c.name).collect();
            format!("unknown culture '{wanted}': use one of {}", names.join(", "))
        })
    }

    /// `value` rounded to `places` decimals (half away from zero), with separators.
    pub fn number(&self, value: Decimal, places: u32) -> String {
        let rounded = value.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
        let text = format!("{:.*}", places as usize, rounded.abs());
        let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
        let mut out = String::with_capacity(text.len() + text.len() / 3 + 2);
        if rounded.is_sign_negative() && !rounded.is_zero() {
            out.push('-');
        }
        self.push_grouped(&mut out, int);
        if !frac.is_empty() {
            out.push_str(self.decimal);
            out.push_str(frac);
        }
        out
    }

    /// A quantity: at most `max_places` decimals, trailing zeros dropped.
    pub fn quantity(&self, value: Decimal, max_places: u32) -> String {
        let rounded = value.round_dp_with_strategy(max_places, RoundingStrategy::MidpointAwayFromZero).normalize();
        self.number(rounded, rounded.scale())
    }

    /// A price exactly as it is (no rounding), with separators.
    pub fn exact(&self, value: Decimal) -> String {
        let value = value.normalize();
        self.number(value, value.scale())
    }

    /// An amount of `currency`, already rounded to its minor units by the caller (see [`apportion`]).
    /// An empty currency (a report with no cost rows) shows the number alone.
    pub fn money(&self, value: Decimal, currency: &str) -> String {
        let number = self.number(value, minor_units(currency));
        match (currency.is_empty(), self.code_first) {
            (true, _) => number,
            (false, true) => format!("{currency}{NBSP}{number}"),
            (false, false) => format!("{number}{NBSP}{currency}"),
        }
    }

    /// `part / whole` as a percentage with one decimal (`0` when `whole` is zero).
    pub fn percent(&self, part: Decimal, whole: Decimal) -> String {
        format!("{}{NBSP}%", self.number(share(part, whole) * Decimal::ONE_HUNDRED, 1))
    }

    fn push_grouped(&self, out: &mut String, digits: &str) {
        let len = digits.len();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (len - i).is_multiple_of(3) {
                out.push_str(self.group);
            }
            out.push(c);
        }
    }
}

impl Default for Culture {
    fn default() -> Culture {
        Culture::KNOWN[0]
    }
}

/// `part / whole`, zero when `whole` is zero.
pub(crate) fn share(part: Decimal, whole: Decimal) -> Decimal {
    if whole.is_zero() { Decimal::ZERO } else { part / whole }
}

/// ISO 4217 minor units (the number of decimals) of a currency code; 2 for codes not listed,
/// which is right for every other active currency.
pub fn minor_units(currency: &str) -> u32 {
    const ZERO: &[&str] = &[
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF",
        "XPF",
    ];
    const THREE: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
    const FOUR: &[&str] = &["CLF", "UYW"];
    let code = currency.trim().to_ascii_uppercase();
    if ZERO.contains(&code.as_str()) {
        0
    } else if THREE.contains(&code.as_str()) {
        3
    } else if FOUR.contains(&code.as_str()) {
        4
    } else {
        2
    }
}

/// Rounds `parts` to `places` decimals so that the rounded parts add up to the rounded exact sum
/// (largest remainder: each part is rounded down, then the units still missing go to the parts
/// with the largest remainders, earlier parts first on ties). Every rounded part is within one
/// unit of its exact value, and a shown total never disagrees with the lines above it.
pub fn apportion(parts: &[Decimal], places: u32) -> Vec<Decimal> {
    apportion_to(parts, round(parts.iter().sum(), places), places)
}

/// [`apportion`] to a given rounded `target` (the parent's shown value, which may differ from the
/// rounded sum of these parts by a unit when the parent was itself apportioned).
pub fn apportion_to(parts: &[Decimal], target: Decimal, places: u32) -> Vec<Decimal> {
    let mut rounded: Vec<Decimal> =
        parts.iter().map(|p| p.round_dp_with_strategy(places, RoundingStrategy::ToNegativeInfinity)).collect();
    if parts.is_empty() {
        return rounded;
    }
    let unit = Decimal::new(1, places);
    let missing = ((target - rounded.iter().sum::<Decimal>()) / unit).round().to_i64().unwrap_or(0);
    let mut order: Vec<usize> = (0..parts.len()).collect();
    // Largest remainder first; a negative `missing` takes units back from the smallest first.
    order.sort_by(|&a, &b| (parts[b] - rounded[b]).cmp(&(parts[a] - rounded[a])).then(a.cmp(&b)));
    if missing < 0 {
        order.reverse();
    }
    let step = if missing < 0 { -unit } else { unit };
    for i in 0..missing.unsigned_abs() as usize {
        rounded[order[i % order.len()]] += step;
    }
    rounded
}

/// `value` rounded to `places` (half away from zero): a total shown on its own.
pub(crate) fn round(value: Decimal, places: u32) -> Decimal {
    value.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero)
}

/// The exact value as plain text (no separators), for `data-exact` attributes and copying.
pub(crate) fn plain(value: Decimal) -> String {
    let mut s = String::new();
    let _ = write!(s, "{}", value.normalize());
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn amounts_use_the_currency_minor_units_and_the_culture_separators() {
        let en = Culture::find("en-US").unwrap();
        let de = Culture::find("de").unwrap();
        let fr = Culture::find("FR-fr").unwrap();
        assert_eq!(en.money(d("1234567.5"), "USD"), "USD\u{a0}1,234,567.50");
        assert_eq!(en.money(d("1234567.5"), "JPY"), "JPY\u{a0}1,234,568");
        assert_eq!(en.money(d("1234.5675"), "KWD"), "KWD\u{a0}1,234.568");
        assert_eq!(de.money(d("1234567.5"), "EUR"), "1.234.567,50\u{a0}EUR");
        assert_eq!(fr.money(d("-999.995"), "EUR"), "-1\u{202f}000,00\u{a0}EUR");
        assert_eq!(en.money(d("0"), ""), "0.00");
        assert_eq!(en.number(d("-0.001"), 2), "0.00");
        assert_eq!(en.number(d("100"), 0), "100");
        assert_eq!(en.number(d("1000"), 0), "1,000");
    }

    #[test]
    fn quantities_and_prices() {
        let en = Culture::default();
        assert_eq!(en.quantity(d("12345.678951"), 4), "12,345.679");
        assert_eq!(en.quantity(d("2.00000"), 4), "2");
        assert_eq!(en.exact(d("0.000125000")), "0.000125");
        assert_eq!(en.percent(d("1"), d("3")), "33.3\u{a0}%");
        assert_eq!(en.percent(d("1"), d("0")), "0.0\u{a0}%");
    }

    #[test]
    fn unknown_culture_lists_the_known_ones() {
        let e = Culture::find("xx-YY").unwrap_err();
        assert!(e.contains("en-US") && e.contains("de-DE"), "{e}");
    }

    #[test]
    fn apportioned_parts_add_up_to_the_rounded_total() {
        // Three thirds: 0.33 + 0.33 + 0.34 = 1.00, not 0.99.
        let parts = [d("0.333333"), d("0.333333"), d("0.333334")];
        let shown = apportion(&parts, 2);
        assert_eq!(shown, vec![d("0.33"), d("0.33"), d("0.34")]);
        // Many tiny parts that round to zero each still add up to their rounded sum.
        let parts = vec![d("0.004"); 10];
        let shown = apportion(&parts, 2);
        assert_eq!(shown.iter().sum::<Decimal>(), d("0.04"));
        assert!(shown.iter().zip(&parts).all(|(s, p)| (*s - *p).abs() < d("0.01")));
        // Negative parts (credits) too.
        let parts = [d("-1.005"), d("2.333"), d("0.001")];
        let shown = apportion(&parts, 2);
        assert_eq!(shown.iter().sum::<Decimal>(), round(parts.iter().sum(), 2));
        assert_eq!(apportion(&[], 2), Vec::<Decimal>::new());
        // To a parent's shown value one unit away from the parts' own rounded sum.
        let parts = [d("0.335"), d("0.335")];
        assert_eq!(apportion_to(&parts, d("0.66"), 2).iter().sum::<Decimal>(), d("0.66"));
        assert_eq!(apportion_to(&parts, d("0.68"), 2).iter().sum::<Decimal>(), d("0.68"));
        assert_eq!(minor_units("jpy"), 0);
        assert_eq!(minor_units("USD"), 2);
        assert_eq!(minor_units("KWD"), 3);
    }
}
