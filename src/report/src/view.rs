//! From the sums to the pages: orders and rounds what the templates show, draws the charts and
//! renders the report and the statements with `minijinja` (templates embedded in the binary).
//!
//! Rounding (documented in the report's footer): every amount is exact until shown, then rounded
//! to the currency's minor units by largest remainder ([`apportion_to`]) down a hierarchy, so each
//! shown total equals the sum of the shown parts below it: the billed total, then tenants (and the
//! statements' totals, which are the tenants' shown figures), then their subscriptions, then the
//! statement lines; likewise days then categories in the daily table, and tag values. The exact
//! value of every figure is in its `data-exact` attribute.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use minijinja::{Environment, context};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::aggregate::{Aggregate, Costs, Line, Resource, Tenant, UNTAGGED};
use crate::charts::{self, Bar, Series};
use crate::error::{Error, Result};
use crate::money::{Culture, apportion_to, minor_units, plain, round};
use crate::{ReportOptions, Statement, Summary};

/// Bars drawn in a bar chart before the rest are merged into one "Other" bar (tables list all).
const MAX_BARS: usize = 15;

const CSS: &str = include_str!("../templates/style.css");
const REPORT: &str = include_str!("../templates/report.html.j2");
const STATEMENT: &str = include_str!("../templates/statement.html.j2");

pub(crate) const ROUNDING_NOTE: &str = "Amounts are exact until shown, then rounded to the currency's minor units \
     so that every shown total equals the sum of the shown amounts above it (largest remainder: a part may differ from \
     its own rounding by one minor unit). Each figure's exact value is kept in the page (data-exact).";

#[derive(Debug, Serialize)]
struct Amount {
    shown: String,
    exact: String,
}

#[derive(Debug, Serialize)]
struct Figure {
    key: &'static str,
    label: &'static str,
    shown: String,
    exact: String,
    note: String,
}

struct Fmt<'a> {
    culture: &'a Culture,
    currency: String,
    places: u32,
}

impl Fmt<'_> {
    /// A shown (already rounded) amount with its exact value.
    fn money(&self, shown: Decimal, exact: Decimal) -> Amount {
        Amount { shown: self.culture.money(shown, &self.currency), exact: plain(exact) }
    }

    /// An amount shown on its own: rounded half away from zero.
    fn single(&self, exact: Decimal) -> Amount {
        self.money(round(exact, self.places), exact)
    }

    fn quantity(&self, exact: Decimal) -> Amount {
        Amount { shown: self.culture.quantity(exact, 4), exact: plain(exact) }
    }

    fn count(&self, n: u64) -> String {
        self.culture.number(Decimal::from(n), 0)
    }
}

fn template_failed(e: minijinja::Error) -> Error {
    let mut message = format!("rendering the page failed: {e}");
    if let Some(detail) = e.detail() {
        message.push_str(&format!(" ({detail})"));
    }
    Error::report_failed(message)
}

fn environment() -> Result<Environment<'static>> {
    let mut env = Environment::new();
    env.add_template("report.html", REPORT).map_err(template_failed)?;
    env.add_template("statement.html", STATEMENT).map_err(template_failed)?;
    Ok(env)
}

fn lang(culture: &Culture) -> &'static str {
    if culture.name == "invariant" { "en" } else { culture.name }
}

/// Tenants ordered by billed cost (largest first, then by label), with their shown billed cost.
pub(crate) struct RankedTenant<'a> {
    pub(crate) key: &'a str,
    pub(crate) tenant: &'a Tenant,
    pub(crate) label: String,
    pub(crate) billed_shown: Decimal,
}

pub(crate) fn rank_tenants(agg: &Aggregate, places: u32) -> Vec<RankedTenant<'_>> {
    let mut tenants: Vec<RankedTenant<'_>> = agg
        .tenants
        .iter()
        .map(|(key, tenant)| RankedTenant { key, tenant, label: tenant.label(), billed_shown: Decimal::ZERO })
        .collect();
    tenants.sort_by(|a, b| b.tenant.costs.billed.cmp(&a.tenant.costs.billed).then_with(|| a.label.cmp(&b.label)));
    let exact: Vec<Decimal> = tenants.iter().map(|t| t.tenant.costs.billed).collect();
    let shown = apportion_to(&exact, round(agg.totals.billed, places), places);
    for (t, s) in tenants.iter_mut().zip(shown) {
        t.billed_shown = s;
    }
    tenants
}

/// Bars for the largest `MAX_BARS` groups and one "Other (N …)" bar for the rest.
fn top_bars(groups: &[(String, Decimal)], what: &str) -> (Vec<Bar>, String) {
    let mut bars: Vec<Bar> =
        groups.iter().take(MAX_BARS).map(|(label, value)| Bar { label: label.clone(), value: *value }).collect();
    if groups.len() > MAX_BARS {
        let rest = &groups[MAX_BARS..];
        bars.push(Bar { label: format!("Other ({} {what})", rest.len()), value: rest.iter().map(|(_, v)| *v).sum() });
        (bars, format!("The {MAX_BARS} largest {what} and one bar for the other {} (the table lists all).", rest.len()))
    } else {
        (bars, format!("One bar per {}.", what.trim_end_matches('s')))
    }
}

/// What every section of the report page needs: the sums, the options, and how to show amounts.
struct Page<'a> {
    agg: &'a Aggregate,
    options: &'a ReportOptions,
    culture: &'a Culture,
    f: Fmt<'a>,
    currency: String,
    places: u32,
    days: Vec<NaiveDate>,
    billed_shown: Decimal,
    /// ` (USD)` for titles and axes; empty without a currency.
    cur: String,
    /// What the tag coverage counts: `tag CostCenter`, or `at least one tag`.
    coverage_what: String,
}

pub(crate) fn render_report(
    agg: &Aggregate,
    options: &ReportOptions,
    generated: DateTime<Utc>,
    statements: usize,
) -> Result<(String, Summary)> {
    let currency = agg.currency.clone().unwrap_or_default();
    let places = minor_units(&currency);
    let culture = &options.culture;
    let page = Page {
        agg,
        options,
        culture,
        f: Fmt { culture, currency: currency.clone(), places },
        cur: if currency.is_empty() { String::new() } else { format!(" ({currency})") },
        currency: currency.clone(),
        places,
        days: agg.period().days(agg.seen),
        billed_shown: round(agg.totals.billed, places),
        coverage_what: match agg.tag_key() {
            Some(key) => format!("tag {key}"),
            None => "at least one tag".to_string(),
        },
    };
    let period = agg.period().label(agg.seen);
    let unpriced = agg.unpriced_records();
    let tenants = rank_tenants(agg, places);
    let f = &page.f;
    let totals = context! {
        rows => f.count(agg.totals.rows), rows_exact => agg.totals.rows,
        list => f.money(round(agg.totals.list, places), agg.totals.list),
        contracted => f.money(round(agg.totals.contracted, places), agg.totals.contracted),
        billed => f.money(page.billed_shown, agg.totals.billed),
        share => culture.percent(agg.totals.billed, agg.totals.billed),
    };
    let (resources, quality) = page.resources_and_quality(&tenants);
    let (tenant_section, daily, usage, tags) = (page.tenants(&tenants)?, page.daily()?, page.usage()?, page.tags()?);
    let env = environment()?;
    let html = env
        .get_template("report.html")
        .and_then(|t| {
            t.render(context! {
                lang => lang(culture), version => env!("CARGO_PKG_VERSION"), css => CSS,
                title => options.title, period => period, currency => currency, source => options.source,
                generated => generated.format("%Y-%m-%d %H:%M UTC").to_string(), culture => culture.name,
                headline => page.headline(), has_rows => agg.totals.rows > 0, unpriced_records => f.count(unpriced),
                totals => totals,
                tenants => tenant_section, daily => daily, usage => usage, tags => tags,
                top_n => options.top_resources, resources => resources.0, resources_note => resources.1,
                quality => quality,
                rounding_note => ROUNDING_NOTE, statements => statements,
            })
        })
        .map_err(template_failed)?;
    let summary = Summary {
        period,
        currency,
        billed: agg.totals.billed,
        billed_shown: page.billed_shown,
        list: agg.totals.list,
        contracted: agg.totals.contracted,
        rows: agg.totals.rows,
        unpriced_records: unpriced,
        tenants: agg.tenants.len(),
        rows_read: agg.rows_read,
        unpriced_read: agg.unpriced_read,
    };
    Ok((html, summary))
}

impl Page<'_> {
    /// The headline figures.
    fn headline(&self) -> Vec<Figure> {
        let Page { agg, culture, f, places, billed_shown, coverage_what, .. } = self;
        let (currency, places, billed_shown) = (&self.currency, *places, *billed_shown);
        let unpriced = agg.unpriced_records();
        let all_records = agg.totals.rows + unpriced;
        let subscriptions: usize = agg.tenants.values().map(|t| t.subscriptions.len()).sum();
        vec![
            Figure {
                key: "billed",
                label: "Billed cost",
                shown: culture.money(billed_shown, currency),
                exact: plain(agg.totals.billed),
                note: String::new(),
            },
            Figure {
                key: "list",
                label: "List cost",
                shown: culture.money(round(agg.totals.list, places), currency),
                exact: plain(agg.totals.list),
                note: String::new(),
            },
            Figure {
                key: "contracted",
                label: "Contracted cost",
                shown: culture.money(round(agg.totals.contracted, places), currency),
                exact: plain(agg.totals.contracted),
                note: if agg.totals.list > agg.totals.contracted {
                    format!(
                        "{} below list",
                        culture.money(round(agg.totals.list - agg.totals.contracted, places), currency)
                    )
                } else {
                    String::new()
                },
            },
            Figure {
                key: "records",
                label: "Cost rows",
                shown: f.count(agg.totals.rows),
                exact: agg.totals.rows.to_string(),
                note: format!("{} usage records in all", f.count(all_records)),
            },
            Figure {
                key: "tenants",
                label: "Tenants",
                shown: f.count(agg.tenants.len() as u64),
                exact: agg.tenants.len().to_string(),
                note: format!("{} subscriptions", f.count(subscriptions as u64)),
            },
            Figure {
                key: "unpriced",
                label: "Unpriced records",
                shown: f.count(unpriced),
                exact: unpriced.to_string(),
                note: format!(
                    "{} of all records",
                    culture.percent(Decimal::from(unpriced), Decimal::from(all_records.max(1)))
                ),
            },
            Figure {
                key: "tag-coverage",
                label: "Tag coverage",
                shown: culture.percent(agg.tagged.billed, agg.totals.billed),
                exact: plain(crate::money::share(agg.tagged.billed, agg.totals.billed)),
                note: format!("of billed cost carries {coverage_what}"),
            },
        ]
    }

    /// Cost by tenant: the bars and the table.
    fn tenants(&self, tenants: &[RankedTenant<'_>]) -> Result<minijinja::Value> {
        let Page { agg, culture, f, places, cur, .. } = self;
        let places = *places;
        let subscriptions: usize = agg.tenants.values().map(|t| t.subscriptions.len()).sum();
        let list_shown = apportion_to(
            &tenants.iter().map(|t| t.tenant.costs.list).collect::<Vec<_>>(),
            round(agg.totals.list, places),
            places,
        );
        let contracted_shown = apportion_to(
            &tenants.iter().map(|t| t.tenant.costs.contracted).collect::<Vec<_>>(),
            round(agg.totals.contracted, places),
            places,
        );
        let tenant_rows: Vec<_> = tenants
            .iter()
            .zip(list_shown.iter().zip(&contracted_shown))
            .map(|(t, (list, contracted))| {
                let c = &t.tenant.costs;
                context! {
                    key => t.key,
                    label => t.label,
                    id => t.tenant.tenant_id,
                    subscriptions => t.tenant.subscriptions.len(),
                    rows => f.count(c.rows),
                    rows_exact => c.rows,
                    list => f.money(*list, c.list),
                    contracted => f.money(*contracted, c.contracted),
                    billed => f.money(t.billed_shown, c.billed),
                    share => culture.percent(c.billed, agg.totals.billed),
                }
            })
            .collect();
        let groups: Vec<(String, Decimal)> = tenants.iter().map(|t| (t.label.clone(), t.tenant.costs.billed)).collect();
        let (bars, tenant_caption) = top_bars(&groups, "tenants");
        let tenant_svg = charts::bars(
            "chart-tenants",
            &format!("Billed cost by tenant{cur}"),
            &format!("Billed cost{cur}"),
            "Tenant",
            &bars,
            0,
            culture,
        )?;

        Ok(context! {
            svg => tenant_svg, caption => tenant_caption, rows => tenant_rows, color => charts::color_hex(0),
            bars => bars.len(), total_subscriptions => subscriptions,
        })
    }

    /// Cost by service category per day: the stacked bars, the legend and the table.
    fn daily(&self) -> Result<minijinja::Value> {
        let Page { agg, culture, f, places, cur, days, billed_shown, .. } = self;
        let (places, billed_shown) = (*places, *billed_shown);
        let mut order: Vec<usize> = (0..agg.service_categories.len()).collect();
        let category_total =
            |i: usize| -> Decimal { agg.days.values().map(|v| v.get(i).copied().unwrap_or_default()).sum() };
        let category_totals: Vec<Decimal> = (0..agg.service_categories.len()).map(category_total).collect();
        order.sort_by(|&a, &b| {
            category_totals[b]
                .cmp(&category_totals[a])
                .then_with(|| agg.service_categories[a].cmp(&agg.service_categories[b]))
        });
        let cell = |day: &NaiveDate, i: usize| agg.days.get(day).and_then(|v| v.get(i)).copied().unwrap_or_default();
        let series: Vec<Series> = order
            .iter()
            .enumerate()
            .map(|(rank, &i)| Series { color_index: rank, values: days.iter().map(|d| cell(d, i)).collect() })
            .collect();
        let legend: Vec<_> = order
            .iter()
            .enumerate()
            .map(|(rank, &i)| {
                context! {
                    label => agg.service_categories[i],
                    color => charts::color_hex(rank),
                    marks => series[rank].values.iter().filter(|v| **v > Decimal::ZERO).count(),
                }
            })
            .collect();
        let daily_svg = charts::stacked_days(
            "chart-daily",
            &format!("Billed cost per day by service category{cur}"),
            &format!("Billed cost{cur}"),
            days,
            &series,
            culture,
        )?;
        let day_totals: Vec<Decimal> = days.iter().map(|d| order.iter().map(|&i| cell(d, i)).sum()).collect();
        let day_shown = apportion_to(&day_totals, billed_shown, places);
        let daily_rows: Vec<_> = days
            .iter()
            .enumerate()
            .map(|(n, day)| {
                let exact: Vec<Decimal> = order.iter().map(|&i| cell(day, i)).collect();
                let shown = apportion_to(&exact, day_shown[n], places);
                context! {
                    day => day.format("%Y-%m-%d").to_string(),
                    cells => exact.iter().zip(&shown).map(|(e, s)| f.money(*s, *e)).collect::<Vec<_>>(),
                    total => f.money(day_shown[n], day_totals[n]),
                }
            })
            .collect();
        let ordered_totals: Vec<Decimal> = order.iter().map(|&i| category_totals[i]).collect();
        let daily_totals: Vec<Amount> = ordered_totals
            .iter()
            .zip(apportion_to(&ordered_totals, billed_shown, places))
            .map(|(e, s)| f.money(s, *e))
            .collect();

        Ok(context! {
            svg => daily_svg, legend => legend,
            columns => order.iter().map(|&i| &agg.service_categories[i]).collect::<Vec<_>>(),
            rows => daily_rows, totals => daily_totals,
        })
    }

    /// Daily usage: one line chart per meter category and unit, and the table.
    fn usage(&self) -> Result<minijinja::Value> {
        let Page { agg, culture, f, days, .. } = self;
        let mut usage_order: Vec<usize> = (0..agg.usage_series.len()).collect();
        usage_order.sort_by(|&a, &b| agg.usage_series[a].cmp(&agg.usage_series[b]));
        let mut panels = Vec::new();
        for (n, &i) in usage_order.iter().enumerate() {
            let (category, unit) = &agg.usage_series[i];
            let values: Vec<Decimal> = days.iter().map(|d| agg.usage[i].get(d).copied().unwrap_or_default()).collect();
            let svg = charts::daily_line(
                &format!("chart-usage-{n}"),
                &format!("{category} ({unit})"),
                unit,
                days,
                &values,
                n,
                culture,
            )?;
            panels.push(context! {
                category => category, unit => unit, svg => svg, color => charts::color_hex(n), points => values.len(),
            });
        }
        let usage_rows: Vec<_> = days
            .iter()
            .map(|day| {
                context! {
                    day => day.format("%Y-%m-%d").to_string(),
                    cells => usage_order.iter().map(|&i| f.quantity(agg.usage[i].get(day).copied().unwrap_or_default())).collect::<Vec<_>>(),
                }
            })
            .collect();
        let usage_totals: Vec<Amount> = usage_order.iter().map(|&i| f.quantity(agg.usage[i].values().sum())).collect();

        Ok(context! { panels => panels, rows => usage_rows, totals => usage_totals })
    }

    /// Cost by the chosen tag key (or the keys found, when none is chosen).
    fn tags(&self) -> Result<minijinja::Value> {
        let Page { agg, culture, f, places, cur, billed_shown, coverage_what, .. } = self;
        let (places, billed_shown) = (*places, *billed_shown);
        let coverage = format!(
            "Tag coverage: {} of the billed cost ({} of {} rows) carries {coverage_what}.",
            culture.percent(agg.tagged.billed, agg.totals.billed),
            f.count(agg.tagged.rows),
            f.count(agg.totals.rows),
        );
        let mut tag_groups: Vec<(&String, &Costs)> = agg.tag_values.iter().filter(|(v, _)| *v != UNTAGGED).collect();
        tag_groups.sort_by(|a, b| b.1.billed.cmp(&a.1.billed).then_with(|| a.0.cmp(b.0)));
        if let Some(untagged) = agg.tag_values.get_key_value(UNTAGGED) {
            tag_groups.push(untagged);
        }
        let tag_shown =
            apportion_to(&tag_groups.iter().map(|(_, c)| c.billed).collect::<Vec<_>>(), billed_shown, places);
        let tag_rows: Vec<_> = tag_groups
            .iter()
            .zip(&tag_shown)
            .map(|((value, c), shown)| {
                context! {
                    label => value, rows => f.count(c.rows), billed => f.money(*shown, c.billed),
                    share => culture.percent(c.billed, agg.totals.billed),
                }
            })
            .collect();
        let (tag_svg, tag_bars, tag_caption) = match agg.tag_key() {
            Some(key) => {
                let mut groups: Vec<(String, Decimal)> =
                    tag_groups.iter().filter(|(v, _)| *v != UNTAGGED).map(|(v, c)| ((*v).clone(), c.billed)).collect();
                let untagged = agg.tag_values.get(UNTAGGED).map(|c| c.billed);
                let (mut bars, caption) = top_bars(&groups, "values");
                if let Some(u) = untagged {
                    bars.push(Bar { label: UNTAGGED.to_string(), value: u });
                }
                groups.clear();
                let svg = charts::bars(
                    "chart-tags",
                    &format!("Billed cost by {key}{cur}"),
                    &format!("Billed cost{cur}"),
                    key,
                    &bars,
                    4,
                    culture,
                )?;
                (svg, bars.len(), format!("{caption} Rows without the key are {UNTAGGED}."))
            }
            None => (String::new(), 0, String::new()),
        };
        let mut keys: BTreeMap<String, (String, Decimal, u64)> = BTreeMap::new();
        for (k, t) in &agg.tag_keys {
            let e = keys.entry(k.to_lowercase()).or_insert_with(|| (k.clone(), Decimal::ZERO, 0));
            e.1 += t.billed;
            e.2 += t.rows;
        }
        let mut keys: Vec<_> = keys.into_values().collect();
        keys.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let tag_keys: Vec<_> = keys
            .iter()
            .map(|(label, billed, rows)| {
                context! { label => label, rows => f.count(*rows), billed => f.single(*billed), share => culture.percent(*billed, agg.totals.billed) }
            })
            .collect();

        Ok(context! {
            key => agg.tag_key(), coverage => coverage, svg => tag_svg, bars => tag_bars, caption => tag_caption,
            color => charts::color_hex(4), rows => tag_rows, keys => tag_keys,
        })
    }

    /// The top resources (rows and a note) and the data-quality section.
    fn resources_and_quality(
        &self,
        tenants: &[RankedTenant<'_>],
    ) -> ((Vec<minijinja::Value>, String), minijinja::Value) {
        let Page { agg, options, culture, f, .. } = self;
        let unpriced = agg.unpriced_records();
        let all_records = agg.totals.rows + unpriced;
        let labels: BTreeMap<&str, String> = tenants.iter().map(|t| (t.key, t.label.clone())).collect();
        let mut resources: Vec<(&String, &Resource)> = agg.resources.iter().collect();
        resources.sort_by(|a, b| b.1.billed.cmp(&a.1.billed).then_with(|| a.0.cmp(b.0)));
        let resource_view = |(rank, (id, r)): (usize, &(&String, &Resource))| {
            context! {
                rank => rank + 1, id => id, name => if r.name.is_empty() { id.as_str() } else { r.name.as_str() },
                resource_type => r.resource_type, tenant => labels.get(r.tenant_key.as_str()).cloned().unwrap_or_default(),
                rows => f.count(r.rows), billed => f.single(r.billed), share => culture.percent(r.billed, agg.totals.billed),
            }
        };
        let top: Vec<_> = resources.iter().take(options.top_resources).enumerate().map(resource_view).collect();
        let top_billed: Decimal = resources.iter().take(options.top_resources).map(|(_, r)| r.billed).sum();
        let resources_note = format!(
            "{} resources have cost in this period; the {} shown hold {} of the billed cost. Amounts are each rounded on their own.",
            f.count(resources.len() as u64),
            top.len(),
            culture.percent(top_billed, agg.totals.billed),
        );

        let mut unpriced_meters: Vec<_> = agg.unpriced.values().collect();
        unpriced_meters.sort_by(|a, b| b.records.cmp(&a.records).then_with(|| a.meter_id.cmp(&b.meter_id)));
        let unpriced_rows: Vec<_> = unpriced_meters
            .iter()
            .map(|m| {
                context! {
                    meter_id => m.meter_id, name => if m.name.is_empty() { "(unknown meter)" } else { m.name.as_str() },
                    category => m.category, records => f.count(m.records), quantity => f.quantity(m.quantity),
                    unit => m.unit, subscriptions => m.subscriptions.len(),
                }
            })
            .collect();
        let unpriced_summary = if unpriced == 0 {
            "Every usage record of the period has a price.".to_string()
        } else {
            format!(
                "{} of {} usage records ({}) have no price and are not in any cost above: add prices for these meters to the rate card.",
                f.count(unpriced),
                f.count(all_records),
                culture.percent(Decimal::from(unpriced), Decimal::from(all_records)),
            )
        };
        let untagged: Vec<(&String, &Resource)> = resources.iter().filter(|(_, r)| !r.tagged).copied().collect();
        let untagged_billed: Decimal = untagged.iter().map(|(_, r)| r.billed).sum();
        let untagged_summary = format!(
            "{} of {} resources ({} of the billed cost) carry no {}{}.",
            f.count(untagged.len() as u64),
            f.count(resources.len() as u64),
            culture.percent(untagged_billed, agg.totals.billed),
            agg.tag_key().map(|k| format!("tag {k}")).unwrap_or_else(|| "tag".to_string()),
            if untagged.len() > options.top_resources {
                format!("; the {} most expensive are listed", options.top_resources)
            } else {
                String::new()
            }
        );
        let untagged_rows: Vec<_> =
            untagged.iter().take(options.top_resources).enumerate().map(resource_view).collect();
        let mut unknown: BTreeMap<String, (String, String, u64, Decimal, u64)> = BTreeMap::new();
        for m in agg.unknown_meters.values() {
            let key = m.meter_id.trim().to_ascii_lowercase().replace(['-', '{', '}'], "");
            let e = unknown.entry(key).or_insert_with(|| (m.meter_id.clone(), m.name.clone(), 0, Decimal::ZERO, 0));
            e.2 += m.priced_rows;
            e.3 += m.billed;
            e.4 += m.unpriced_records;
        }
        let unknown_rows: Vec<_> = unknown
            .values()
            .map(|(id, name, priced, billed, unpriced)| {
                context! { meter_id => id, name => name, priced_rows => f.count(*priced), billed => f.single(*billed), unpriced_records => f.count(*unpriced) }
            })
            .collect();

        (
            (top, resources_note),
            context! {
                unpriced => unpriced_rows, unpriced_summary => unpriced_summary,
                untagged => untagged_rows, untagged_summary => untagged_summary, unknown => unknown_rows,
            },
        )
    }
}

/// One statement per tenant, in the report's tenant order.
pub(crate) fn render_statements(
    agg: &Aggregate,
    options: &ReportOptions,
    generated: DateTime<Utc>,
) -> Result<Vec<Statement>> {
    let currency = agg.currency.clone().unwrap_or_default();
    let places = minor_units(&currency);
    let culture = &options.culture;
    let f = Fmt { culture, currency: currency.clone(), places };
    let period = agg.period().label(agg.seen);
    let provider = options
        .provider_name
        .clone()
        .or_else(|| agg.invoice_issuer.clone())
        .unwrap_or_else(|| "Azure Stack Hub operator".to_string());
    let env = environment()?;
    let template = env.get_template("statement.html").map_err(template_failed)?;
    let mut names = std::collections::HashSet::new();
    let mut out = Vec::new();
    for t in rank_tenants(agg, places) {
        let mut subs: Vec<_> = t.tenant.subscriptions.iter().collect();
        subs.sort_by(|a, b| a.1.name.cmp(&b.1.name).then_with(|| a.0.cmp(b.0)));
        let sub_shown =
            apportion_to(&subs.iter().map(|(_, s)| s.costs.billed).collect::<Vec<_>>(), t.billed_shown, places);
        let subscriptions: Vec<_> = subs
            .iter()
            .zip(&sub_shown)
            .map(|((id, s), shown)| {
                let mut lines: Vec<&Line> = s.lines.values().collect();
                lines.sort_by(|a, b| {
                    a.meter_name.cmp(&b.meter_name).then_with(|| a.meter_id.cmp(&b.meter_id)).then(b.costs.billed.cmp(&a.costs.billed))
                });
                let line_shown =
                    apportion_to(&lines.iter().map(|l| l.costs.billed).collect::<Vec<_>>(), *shown, places);
                let lines: Vec<_> = lines
                    .iter()
                    .zip(line_shown)
                    .map(|(l, cost)| {
                        context! {
                            meter => if l.meter_name.is_empty() { l.meter_id.as_str() } else { l.meter_name.as_str() },
                            meter_id => l.meter_id, quantity => f.quantity(l.pricing_quantity), unit => l.pricing_unit,
                            unit_price => Amount { shown: culture.exact(l.contracted_unit_price), exact: plain(l.contracted_unit_price) },
                            details => price_details(l, culture), cost => f.money(cost, l.costs.billed),
                        }
                    })
                    .collect();
                context! { id => id, name => s.name, owner => s.owner, offer => s.offer, total => f.money(*shown, s.costs.billed), lines => lines }
            })
            .collect();
        let label = t.label.clone();
        let html = template
            .render(context! {
                lang => lang(culture), version => env!("CARGO_PKG_VERSION"), css => CSS,
                provider => provider, tenant => label, tenant_key => t.key, tenant_id => t.tenant.tenant_id, period => period,
                currency => currency, generated => generated.format("%Y-%m-%d %H:%M UTC").to_string(),
                subscriptions => subscriptions, total => f.money(t.billed_shown, t.tenant.costs.billed),
                rounding_note => ROUNDING_NOTE,
            })
            .map_err(template_failed)?;
        out.push(Statement {
            file_stem: unique_stem(&label, &mut names),
            tenant: label,
            tenant_key: t.key.to_string(),
            billed: t.tenant.costs.billed,
            billed_shown: t.billed_shown,
            html,
        });
    }
    Ok(out)
}

/// What the price applied says about included quantity, tiers, blocks and scope (FOCUS
/// `SkuPriceDetails`, the JSON object the pricing engine writes: `x_IncludedQuantity`,
/// `x_BlockSize`, `x_Tiers` as `start:price;...`, `x_Scope`; keys are matched without the `x_`
/// prefix and ignoring case, tiers may also be an array, and unknown keys are ignored).
fn price_details(line: &Line, culture: &Culture) -> String {
    let map = match serde_json::from_str::<serde_json::Value>(&line.price_details) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let key = |k: &str| k.strip_prefix("x_").unwrap_or(k).to_ascii_lowercase();
    let get = |name: &str| map.iter().find(|(k, _)| key(k) == name).map(|(_, v)| v);
    let number = |v: &serde_json::Value| -> Option<Decimal> {
        match v {
            serde_json::Value::String(s) => s.trim().parse().ok(),
            serde_json::Value::Number(n) => n.to_string().parse().ok(),
            _ => None,
        }
    };
    let mut parts = Vec::new();
    if line.list_unit_price != line.contracted_unit_price {
        parts.push(format!("list price {}", culture.exact(line.list_unit_price)));
    }
    if let Some(q) = get("includedquantity").and_then(number)
        && !q.is_zero()
    {
        parts.push(format!("{} {} included per month", culture.quantity(q, 4), line.consumed_unit));
    }
    if let Some(b) = get("blocksize").and_then(number)
        && b != Decimal::ONE
    {
        parts.push(format!("priced per {} {}", culture.quantity(b, 4), line.consumed_unit));
    }
    let tiers: Vec<(Decimal, Decimal)> = match get("tiers") {
        Some(serde_json::Value::String(text)) => text
            .split(';')
            .filter_map(|t| t.split_once(':'))
            .filter_map(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
            .collect(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|t| {
                let t = t.as_object()?;
                let field = |names: &[&str]| {
                    t.iter().find(|(k, _)| names.contains(&key(k).as_str())).and_then(|(_, v)| number(v))
                };
                Some((field(&["tierstart", "start", "from"])?, field(&["unitprice", "price"])?))
            })
            .collect(),
        _ => Vec::new(),
    };
    if tiers.len() > 1 {
        let tiers: Vec<String> = tiers
            .iter()
            .map(|(start, price)| format!("from {}: {}", culture.quantity(*start, 4), culture.exact(*price)))
            .collect();
        parts.push(format!("tiers {}", tiers.join("; ")));
    }
    if let Some(serde_json::Value::String(scope)) = get("scope")
        && !scope.is_empty()
        && scope != "*"
    {
        parts.push(format!("price for {}", scope.replacen(':', " ", 1)));
    }
    parts.join(" · ")
}

/// A file name stem for a tenant's statement: `statement-` and the label's letters, digits, dots
/// and dashes, made unique with a counter.
fn unique_stem(label: &str, taken: &mut std::collections::HashSet<String>) -> String {
    let mut slug: String = label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c.to_ascii_lowercase() } else { '-' })
        .collect();
    slug = slug.trim_matches(['-', '.']).chars().take(80).collect();
    if slug.is_empty() {
        slug = "tenant".to_string();
    }
    let mut stem = format!("statement-{slug}");
    let mut n = 2;
    while !taken.insert(stem.clone()) {
        stem = format!("statement-{slug}-{n}");
        n += 1;
    }
    stem
}
