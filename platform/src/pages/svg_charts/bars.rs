//! Bars (horizontal) and columns (vertical), side by side, stacked or stacked to 100%.

use std::fmt::Write as _;

use super::{
    colour, escape, legend, number, open, scaled, segments, short, Chart, ChartMode, AXIS_STROKE,
    PAD, TEXT_FILL, WIDTH,
};

/// Horizontal bars: the label column, the bar area, the value column.
pub(super) const LABEL_W: f64 = 200.0;
pub(super) const VALUE_W: f64 = 70.0;
const BAR_H: f64 = 22.0;
/// One series' bar when several stand side by side in a category.
const SUB_H: f64 = 14.0;
const GAP: f64 = 8.0;
/// Columns: the plot's height and the axis labels under it.
pub(super) const PLOT_H: f64 = 160.0;
pub(super) const AXIS_H: f64 = 22.0;
pub(super) const TOP_H: f64 = 18.0;
/// The widest column, so a chart of one or two categories does not draw a wall.
pub(super) const MAX_COL_W: f64 = 48.0;
/// Most category labels written under the axis; beyond, every n-th (the marks keep their titles).
pub(super) const MAX_AXIS_LABELS: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    /// kintone's BAR: categories down the side, bars to the right.
    Horizontal,
    /// kintone's COLUMN: categories along the bottom, columns up.
    Vertical,
}

/// `<title>` of one mark: the category, the series when there are several, the value.
pub(super) fn mark_title(chart: &Chart<'_>, c: usize, s: usize) -> String {
    let category = chart.categories.get(c).map_or("", String::as_str);
    let value = chart
        .series
        .get(s)
        .and_then(|x| x.values.get(c))
        .copied()
        .unwrap_or(0.0);
    if chart.series.len() > 1 {
        let name = chart.series.get(s).map_or("", |x| x.name.as_str());
        format!("{} / {}: {}", escape(category), escape(name), number(value))
    } else {
        format!("{}: {}", escape(category), number(value))
    }
}

/// A bar or column chart of `chart`'s series in its mode: one bar per category and series side by
/// side (`Normal`), or one stacked bar per category (`Stacked`, `Percentage`). Values are written
/// after a single series' bars and after stacked totals.
pub fn bar_chart(chart: &Chart<'_>, orientation: Orientation) -> String {
    match orientation {
        Orientation::Horizontal => horizontal(chart),
        Orientation::Vertical => vertical(chart),
    }
}

fn side_by_side(chart: &Chart<'_>) -> bool {
    chart.mode == ChartMode::Normal && chart.series.len() > 1
}

fn horizontal(chart: &Chart<'_>) -> String {
    let n = chart.categories.len();
    let k = chart.series.len().max(1);
    let (seg, max) = segments(n, chart.series, chart.mode);
    let (legend_svg, legend_h) = legend(chart.series);
    let slot = if side_by_side(chart) {
        k as f64 * SUB_H
    } else {
        BAR_H
    };
    let rows = n.max(1) as f64;
    let height = legend_h + PAD * 2.0 + rows * slot + (rows - 1.0) * GAP;
    let area = WIDTH - LABEL_W - VALUE_W;
    let mut svg = String::new();
    open(&mut svg, chart.title, height);
    svg.push_str(&legend_svg);
    for (c, label) in chart.categories.iter().enumerate() {
        let y0 = legend_h + PAD + c as f64 * (slot + GAP);
        let mid = y0 + slot / 2.0;
        let _ = write!(
            svg,
            r#"<g class="chart-bar"><text x="{lx}" y="{mid}" text-anchor="end" dominant-baseline="middle" font-size="13" fill="{TEXT_FILL}">{l}</text>"#,
            lx = LABEL_W - 8.0,
            l = escape(&short(label)),
        );
        let parts = seg.get(c).map(Vec::as_slice).unwrap_or_default();
        let mut end_x = LABEL_W;
        for (s, (start, end)) in parts.iter().enumerate() {
            let (y, h) = if side_by_side(chart) {
                (y0 + s as f64 * SUB_H, SUB_H - 2.0)
            } else {
                (y0, BAR_H)
            };
            let x = LABEL_W + scaled(*start, max, area);
            let w = scaled(*end, max, area) - scaled(*start, max, area);
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{y}" width="{w:.1}" height="{h}" rx="3" fill="{f}"><title>{t}</title></rect>"#,
                f = colour(s),
                t = mark_title(chart, c, s),
            );
            if side_by_side(chart) {
                let _ = write!(
                    svg,
                    r#"<text x="{vx:.1}" y="{vy}" dominant-baseline="middle" font-size="11" fill="{TEXT_FILL}">{v}</text>"#,
                    vx = x + w + 4.0,
                    vy = y + h / 2.0,
                    v = number(chart.series[s].values.get(c).copied().unwrap_or(0.0)),
                );
            }
            end_x = end_x.max(x + w);
        }
        if !side_by_side(chart) && chart.mode != ChartMode::Percentage {
            let total: f64 = chart
                .series
                .iter()
                .map(|s| s.values.get(c).copied().unwrap_or(0.0))
                .sum();
            let _ = write!(
                svg,
                r#"<text x="{vx:.1}" y="{mid}" dominant-baseline="middle" font-size="13" fill="{TEXT_FILL}">{v}</text>"#,
                vx = end_x + 6.0,
                v = number(total),
            );
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}

/// The x of each category's slot centre, the slot width, and the axis line, for columns and lines.
pub(super) fn slots(n: usize) -> (Vec<f64>, f64) {
    let slot = (WIDTH - PAD * 2.0) / n.max(1) as f64;
    let centres = (0..n).map(|i| PAD + (i as f64 + 0.5) * slot).collect();
    (centres, slot)
}

/// The category labels under the axis at `base` (every n-th when there are many).
pub(super) fn axis_labels(svg: &mut String, categories: &[String], centres: &[f64], base: f64) {
    let _ = write!(
        svg,
        r#"<line x1="{PAD}" y1="{base}" x2="{x2}" y2="{base}" stroke="{AXIS_STROKE}" stroke-width="1"/>"#,
        x2 = WIDTH - PAD
    );
    let step = categories.len().div_ceil(MAX_AXIS_LABELS).max(1);
    for (i, (label, cx)) in categories.iter().zip(centres).enumerate() {
        if i % step != 0 {
            continue;
        }
        let _ = write!(
            svg,
            r#"<text x="{cx:.1}" y="{ly:.1}" text-anchor="middle" font-size="11" fill="{TEXT_FILL}">{l}</text>"#,
            ly = base + 15.0,
            l = escape(&short(label)),
        );
    }
}

fn vertical(chart: &Chart<'_>) -> String {
    let n = chart.categories.len();
    let k = chart.series.len().max(1);
    let (seg, max) = segments(n, chart.series, chart.mode);
    let (legend_svg, legend_h) = legend(chart.series);
    let height = legend_h + TOP_H + PLOT_H + AXIS_H;
    let (centres, slot) = slots(n);
    let per_group = if side_by_side(chart) { k as f64 } else { 1.0 };
    let group_w = (slot * 0.7).clamp(2.0, MAX_COL_W * per_group);
    let col_w = group_w / per_group;
    let base = legend_h + TOP_H + PLOT_H;
    let mut svg = String::new();
    open(&mut svg, chart.title, height);
    svg.push_str(&legend_svg);
    axis_labels(&mut svg, chart.categories, &centres, base);
    for (c, cx) in centres.iter().enumerate() {
        svg.push_str(r#"<g class="chart-col">"#);
        let parts = seg.get(c).map(Vec::as_slice).unwrap_or_default();
        let mut top = base;
        for (s, (start, end)) in parts.iter().enumerate() {
            let x = if side_by_side(chart) {
                cx - group_w / 2.0 + s as f64 * col_w
            } else {
                cx - col_w / 2.0
            };
            let y_end = base - scaled(*end, max, PLOT_H);
            let h = scaled(*end, max, PLOT_H) - scaled(*start, max, PLOT_H);
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{y_end:.1}" width="{col_w:.1}" height="{h:.1}" rx="2" fill="{f}"><title>{t}</title></rect>"#,
                f = colour(s),
                t = mark_title(chart, c, s),
            );
            top = top.min(y_end);
        }
        if !side_by_side(chart) && chart.mode != ChartMode::Percentage {
            let total: f64 = chart
                .series
                .iter()
                .map(|s| s.values.get(c).copied().unwrap_or(0.0))
                .sum();
            let _ = write!(
                svg,
                r#"<text x="{cx:.1}" y="{vy:.1}" text-anchor="middle" font-size="11" fill="{TEXT_FILL}">{v}</text>"#,
                vy = top - 4.0,
                v = number(total),
            );
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}
