//! Inline SVG charts drawn by `plotters` (SVG backend): horizontal bars, stacked daily bars and
//! daily lines. Every chart has a title, axis descriptions with units and currency, and an SVG
//! `<title>` for screen readers; the legend and the numbers are HTML beside the chart.
//!
//! Values arrive as `f64` only here, for pixel positions; every figure shown as text comes from the
//! exact decimals.

use chrono::NaiveDate;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};

use crate::error::{Error, Result};
use crate::money::Culture;

/// Series colours (Tableau 20 order: distinguishable, and readable in print).
pub(crate) const PALETTE: [(u8, u8, u8); 20] = [
    (0x4E, 0x79, 0xA7),
    (0xF2, 0x8E, 0x2B),
    (0xE1, 0x57, 0x59),
    (0x76, 0xB7, 0xB2),
    (0x59, 0xA1, 0x4F),
    (0xED, 0xC9, 0x48),
    (0xB0, 0x7A, 0xA1),
    (0xFF, 0x9D, 0xA7),
    (0x9C, 0x75, 0x5F),
    (0xBA, 0xB0, 0xAC),
    (0x1F, 0x77, 0xB4),
    (0xAE, 0xC7, 0xE8),
    (0xFF, 0x7F, 0x0E),
    (0x98, 0xDF, 0x8A),
    (0xD6, 0x27, 0x28),
    (0x94, 0x67, 0xBD),
    (0x8C, 0x56, 0x4B),
    (0xE3, 0x77, 0xC2),
    (0x7F, 0x7F, 0x7F),
    (0x17, 0xBE, 0xCF),
];

/// `#RRGGBB` of palette entry `i` (wrapping), as the SVG and the HTML legend write it.
pub(crate) fn color_hex(i: usize) -> String {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    format!("#{r:02X}{g:02X}{b:02X}")
}

fn color(i: usize) -> RGBColor {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    RGBColor(r, g, b)
}

const FONT: &str = "sans-serif";
const WIDTH: u32 = 760;

fn failed<E: std::fmt::Display>(chart: &str) -> impl Fn(E) -> Error + '_ {
    move |e| Error::report_failed(format!("drawing the chart '{chart}' failed: {e}"))
}

fn pixels(value: Decimal) -> f64 {
    value.to_f64().unwrap_or(0.0)
}

fn axis_top(max: f64) -> f64 {
    if max > 0.0 { max * 1.08 } else { 1.0 }
}

fn tick(culture: &Culture, value: f64) -> String {
    Decimal::from_f64(value).map(|d| culture.quantity(d, 2)).unwrap_or_default()
}

fn shorten(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

/// One bar of a bar chart.
#[derive(Debug, Clone)]
pub(crate) struct Bar {
    pub(crate) label: String,
    pub(crate) value: Decimal,
}

/// Horizontal bars, largest first from the top, all in palette colour `color_index`.
pub(crate) fn bars(
    id: &str,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    items: &[Bar],
    color_index: usize,
    culture: &Culture,
) -> Result<String> {
    let n = items.len();
    let height = 110 + 26 * n.max(1) as u32;
    let max = items.iter().map(|b| pixels(b.value)).fold(0.0, f64::max);
    let labels: Vec<String> = items.iter().map(|b| shorten(&b.label, 30)).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(failed(title))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 21))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(220)
            .build_cartesian_2d(0f64..axis_top(max), (0..n.max(1)).into_segmented())
            .map_err(failed(title))?;
        // Bars go bottom-up in plotters' coordinates: the first item sits at the top.
        let at_row = |row: usize| n.saturating_sub(1).saturating_sub(row);
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .y_labels(n.max(1))
            .x_labels(6)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 16))
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(row) if *row < n => labels[at_row(*row)].clone(),
                _ => String::new(),
            })
            .x_label_formatter(&|v| tick(culture, *v))
            .draw()
            .map_err(failed(title))?;
        chart
            .draw_series(items.iter().enumerate().map(|(i, bar)| {
                let row = at_row(i);
                let mut rect = Rectangle::new(
                    [(0.0, SegmentValue::Exact(row)), (pixels(bar.value), SegmentValue::Exact(row + 1))],
                    color(color_index).filled(),
                );
                rect.set_margin(4, 4, 0, 0);
                rect
            }))
            .map_err(failed(title))?;
        root.present().map_err(failed(title))?;
    }
    Ok(accessible(svg, id, title))
}

/// One series of a daily chart: a value per day of `days`.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub(crate) color_index: usize,
    pub(crate) values: Vec<Decimal>,
}

/// Stacked vertical bars per day: one rectangle per series and day with a positive value.
pub(crate) fn stacked_days(
    id: &str,
    title: &str,
    y_desc: &str,
    days: &[NaiveDate],
    series: &[Series],
    culture: &Culture,
) -> Result<String> {
    let n = days.len();
    let totals: Vec<f64> =
        (0..n).map(|d| series.iter().map(|s| pixels(s.values[d].max(Decimal::ZERO))).sum::<f64>()).collect();
    let max = totals.iter().copied().fold(0.0, f64::max);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 380)).into_drawing_area();
        root.fill(&WHITE).map_err(failed(title))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 21))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(80)
            .build_cartesian_2d((0..n.max(1)).into_segmented(), 0f64..axis_top(max))
            .map_err(failed(title))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("Day (UTC)")
            .y_desc(y_desc)
            .x_labels(n.clamp(1, 16))
            .y_labels(6)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 16))
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(d) if *d < n => days[*d].format("%m-%d").to_string(),
                _ => String::new(),
            })
            .y_label_formatter(&|v| tick(culture, *v))
            .draw()
            .map_err(failed(title))?;
        let mut base = vec![0.0f64; n];
        for s in series {
            let mut bars = Vec::new();
            for (d, value) in s.values.iter().enumerate() {
                if *value > Decimal::ZERO {
                    let top = base[d] + pixels(*value);
                    let mut rect = Rectangle::new(
                        [(SegmentValue::Exact(d), base[d]), (SegmentValue::Exact(d + 1), top)],
                        color(s.color_index).filled(),
                    );
                    rect.set_margin(0, 0, 2, 2);
                    bars.push(rect);
                    base[d] = top;
                }
            }
            chart.draw_series(bars).map_err(failed(title))?;
        }
        root.present().map_err(failed(title))?;
    }
    Ok(accessible(svg, id, title))
}

/// A daily line of one series (a zero on days without a value), in palette colour `color_index`.
pub(crate) fn daily_line(
    id: &str,
    title: &str,
    y_desc: &str,
    days: &[NaiveDate],
    values: &[Decimal],
    color_index: usize,
    culture: &Culture,
) -> Result<String> {
    let n = days.len();
    let max = values.iter().map(|v| pixels(*v)).fold(0.0, f64::max);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (370, 240)).into_drawing_area();
        root.fill(&WHITE).map_err(failed(title))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 17))
            .margin(10)
            .x_label_area_size(38)
            .y_label_area_size(70)
            .build_cartesian_2d(0..(n.max(2) - 1), 0f64..axis_top(max))
            .map_err(failed(title))?;
        chart
            .configure_mesh()
            .x_desc("Day (UTC)")
            .y_desc(y_desc)
            .x_labels(6)
            .y_labels(5)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .x_label_formatter(&|d| days.get(*d).map(|d| d.format("%m-%d").to_string()).unwrap_or_default())
            .y_label_formatter(&|v| tick(culture, *v))
            .draw()
            .map_err(failed(title))?;
        chart
            .draw_series(LineSeries::new(
                values.iter().enumerate().map(|(d, v)| (d, pixels(*v))),
                color(color_index).stroke_width(2),
            ))
            .map_err(failed(title))?;
        root.present().map_err(failed(title))?;
    }
    Ok(accessible(svg, id, title))
}

/// Gives the SVG an id, `role="img"` and a `<title>`, so assistive technology names the chart.
fn accessible(svg: String, id: &str, title: &str) -> String {
    let Some(open_end) = svg.find('>') else { return svg };
    let (open, rest) = svg.split_at(open_end);
    let open = open.replacen("<svg ", &format!("<svg id=\"{id}\" role=\"img\" aria-labelledby=\"{id}-title\" "), 1);
    format!("{open}><title id=\"{id}-title\">{}</title>{}", escape(title), &rest[1..])
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn count(svg: &str, needle: &str) -> usize {
        svg.matches(needle).count()
    }

    #[test]
    fn one_bar_per_item_in_its_colour() {
        let items: Vec<Bar> =
            (0..5).map(|i| Bar { label: format!("tenant <{i}>"), value: d("10.5") * Decimal::from(i) }).collect();
        let svg =
            bars("c1", "Cost by tenant (USD)", "Billed cost (USD)", "Tenant", &items, 0, &Culture::default()).unwrap();
        assert_eq!(count(&svg, &format!("fill=\"{}\"", color_hex(0))), 5, "{svg}");
        assert!(svg.contains("<title id=\"c1-title\">Cost by tenant (USD)</title>"));
        assert!(svg.contains("tenant &lt;4&gt;"), "labels are escaped");
        assert!(svg.contains("\nBilled cost (USD)\n") && svg.contains("\nTenant\n"));
        let empty = bars("c2", "t", "x", "y", &[], 0, &Culture::default()).unwrap();
        assert_eq!(count(&empty, &format!("fill=\"{}\"", color_hex(0))), 0);
    }

    #[test]
    fn stacked_bars_skip_zero_days_and_lines_have_one_polyline() {
        let days: Vec<NaiveDate> = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap().iter_days().take(3).collect();
        let series = vec![
            Series { color_index: 1, values: vec![d("1"), d("0"), d("2")] },
            Series { color_index: 2, values: vec![d("3"), d("4"), d("0")] },
        ];
        let svg = stacked_days("s", "Cost per day", "Billed cost (USD)", &days, &series, &Culture::default()).unwrap();
        assert_eq!(count(&svg, &format!("fill=\"{}\"", color_hex(1))), 2);
        assert_eq!(count(&svg, &format!("fill=\"{}\"", color_hex(2))), 2);
        let line = daily_line("l", "Storage", "GB", &days, &[d("1"), d("2"), d("0")], 3, &Culture::default()).unwrap();
        // Axes are black polylines too; the data line is the one in the series colour.
        assert_eq!(count(&line, &format!("stroke=\"{}\"", color_hex(3))), 1);
    }
}
