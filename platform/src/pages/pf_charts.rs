//! Issue 15, public forms: the bar charts of the results page, rendered on the server as SVG so the
//! page needs no chart library and shows the same picture with scripts off. Pure functions from
//! labels and values to markup; every text is XML-escaped here, which is what lets the results
//! template insert the markup unescaped. Colours pass WCAG contrast against white (≥ 4.5:1 for text).

use std::fmt::Write as _;

/// Width of every chart's drawing (the SVG scales to its container).
const WIDTH: f64 = 640.0;
/// Horizontal bars: the label column, the bar area, the value column.
const LABEL_W: f64 = 200.0;
const VALUE_W: f64 = 70.0;
const BAR_H: f64 = 22.0;
const GAP: f64 = 8.0;
const PAD: f64 = 8.0;
/// Columns (answers by hour): the plot's height and the axis labels under it.
const PLOT_H: f64 = 160.0;
const AXIS_H: f64 = 22.0;
const TOP_H: f64 = 18.0;
/// The widest column, so a chart of one or two hours does not draw a wall.
const MAX_COL_W: f64 = 48.0;
/// Labels longer than this are cut with an ellipsis (the full text stays in the bar's `<title>`).
const MAX_LABEL_CHARS: usize = 16;

const BAR_FILL: &str = "#1d5fa8";
const TEXT_FILL: &str = "#1f2328";
const AXIS_STROKE: &str = "#6b7280";

/// Escapes text for SVG (XML) content and attribute values: the review diagram's escaping.
pub use kumiki_engine::review::diagram::escape;

/// A number as the charts and tables show it: whole numbers without decimals, others with up to two.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return "0".into();
    }
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

fn short(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL_CHARS {
        label.to_owned()
    } else {
        let mut s: String = label.chars().take(MAX_LABEL_CHARS - 1).collect();
        s.push('…');
        s
    }
}

/// The length of a bar of `value` when `max` fills `full`: never negative, 0 for an empty chart.
fn scaled(value: f64, max: f64, full: f64) -> f64 {
    if max <= 0.0 || !value.is_finite() || value <= 0.0 {
        0.0
    } else {
        (value / max * full).min(full)
    }
}

/// A horizontal bar chart, one bar per `(label, value)` in the given order, with the values written
/// after the bars. `title` names the chart for screen readers: the `<title>` child of an SVG with
/// `role="img"` is its accessible name (kept out of attributes, where user text has no business).
pub fn bars(title: &str, items: &[(String, f64)]) -> String {
    let n = items.len().max(1) as f64;
    let height = PAD * 2.0 + n * BAR_H + (n - 1.0) * GAP;
    let area = WIDTH - LABEL_W - VALUE_W;
    let max = items.iter().map(|(_, v)| *v).fold(0.0, f64::max);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="pf-chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img"><title>{t}</title>"#,
        t = escape(title)
    );
    for (i, (label, value)) in items.iter().enumerate() {
        let y = PAD + i as f64 * (BAR_H + GAP);
        let w = scaled(*value, max, area);
        let mid = y + BAR_H / 2.0;
        let _ = write!(
            svg,
            r#"<g class="pf-bar"><title>{full}: {v}</title><text x="{lx}" y="{mid}" text-anchor="end" dominant-baseline="middle" font-size="13" fill="{TEXT_FILL}">{l}</text><rect x="{LABEL_W}" y="{y}" width="{w:.1}" height="{BAR_H}" rx="3" fill="{BAR_FILL}"/><text x="{vx:.1}" y="{mid}" dominant-baseline="middle" font-size="13" fill="{TEXT_FILL}">{v}</text></g>"#,
            full = escape(label),
            l = escape(&short(label)),
            lx = LABEL_W - 8.0,
            v = number(*value),
            vx = LABEL_W + w + 6.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A column chart (answers by hour): one column per `(label, value)`, labels under the axis, values
/// above the columns.
pub fn columns(title: &str, items: &[(String, f64)]) -> String {
    let n = items.len().max(1) as f64;
    let height = TOP_H + PLOT_H + AXIS_H;
    let slot = (WIDTH - PAD * 2.0) / n;
    let col_w = (slot * 0.7).clamp(2.0, MAX_COL_W);
    let max = items.iter().map(|(_, v)| *v).fold(0.0, f64::max);
    let base = TOP_H + PLOT_H;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="pf-chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img"><title>{t}</title>"#,
        t = escape(title)
    );
    let _ = write!(
        svg,
        r#"<line x1="{PAD}" y1="{base}" x2="{x2}" y2="{base}" stroke="{AXIS_STROKE}" stroke-width="1"/>"#,
        x2 = WIDTH - PAD
    );
    for (i, (label, value)) in items.iter().enumerate() {
        let h = scaled(*value, max, PLOT_H);
        let x = PAD + i as f64 * slot + (slot - col_w) / 2.0;
        let cx = x + col_w / 2.0;
        let _ = write!(
            svg,
            r#"<g class="pf-col"><title>{full}: {v}</title><rect x="{x:.1}" y="{y:.1}" width="{col_w:.1}" height="{h:.1}" rx="2" fill="{BAR_FILL}"/><text x="{cx:.1}" y="{vy:.1}" text-anchor="middle" font-size="11" fill="{TEXT_FILL}">{v}</text><text x="{cx:.1}" y="{ly:.1}" text-anchor="middle" font-size="11" fill="{TEXT_FILL}">{l}</text></g>"#,
            full = escape(label),
            l = escape(&short(label)),
            y = base - h,
            vy = base - h - 4.0,
            ly = base + 15.0,
            v = number(*value),
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widths(svg: &str) -> Vec<f64> {
        svg.split("<rect ")
            .skip(1)
            .filter_map(|r| {
                let start = r.find("width=\"")? + 7;
                let end = start + r[start..].find('"')?;
                r[start..end].parse().ok()
            })
            .collect()
    }

    #[test]
    fn bars_are_proportional_to_the_largest_value() {
        let svg = bars(
            "投票者数",
            &[
                ("第1投票所".into(), 100.0),
                ("第2投票所".into(), 50.0),
                ("第3".into(), 0.0),
            ],
        );
        let w = widths(&svg);
        assert_eq!(w.len(), 3);
        let area = WIDTH - LABEL_W - VALUE_W;
        assert!((w[0] - area).abs() < 0.2, "{w:?}");
        assert!((w[1] - area / 2.0).abs() < 0.2, "{w:?}");
        assert_eq!(w[2], 0.0);
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#) && svg.contains("<title>投票者数</title>"));
    }

    #[test]
    fn an_empty_or_all_zero_chart_draws_no_bar_and_no_nan() {
        let svg = bars("空", &[]);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        let svg = bars("零", &[("a".into(), 0.0), ("b".into(), 0.0)]);
        assert_eq!(widths(&svg), vec![0.0, 0.0]);
        let svg = columns("零", &[("09".into(), 0.0)]);
        assert!(!svg.contains("NaN"));
        let svg = bars("負", &[("a".into(), -5.0), ("b".into(), f64::NAN)]);
        assert_eq!(widths(&svg), vec![0.0, 0.0]);
    }

    #[test]
    fn labels_and_titles_are_escaped() {
        let svg = bars(
            "<script>alert(1)</script>",
            &[("\"><img src=x onerror=alert(1)>&".into(), 1.0)],
        );
        assert!(!svg.contains("<script>"));
        assert!(!svg.contains("<img"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("&quot;&gt;&lt;img"));
        let svg = columns("c", &[("<b>".into(), 2.0)]);
        assert!(!svg.contains("<b>") && svg.contains("&lt;b&gt;"));
    }

    #[test]
    fn long_labels_are_shortened_but_kept_whole_in_the_title() {
        let long = "とても長い選択肢のラベルがここに入ります";
        let svg = bars("t", &[(long.into(), 3.0)]);
        assert!(svg.contains(&format!("<title>{long}: 3</title>")));
        assert!(svg.contains('…'));
    }

    #[test]
    fn columns_rise_from_the_axis() {
        let svg = columns(
            "時間帯別",
            &[
                ("09".into(), 10.0),
                ("10".into(), 40.0),
                ("11".into(), 20.0),
            ],
        );
        let h: Vec<f64> = svg
            .split("<rect ")
            .skip(1)
            .filter_map(|r| {
                let start = r.find("height=\"")? + 8;
                let end = start + r[start..].find('"')?;
                r[start..end].parse().ok()
            })
            .collect();
        assert_eq!(h.len(), 3);
        assert!(
            (h[1] - PLOT_H).abs() < 0.2 && (h[0] - PLOT_H / 4.0).abs() < 0.2,
            "{h:?}"
        );
    }

    #[test]
    fn a_single_column_stays_narrow() {
        let svg = columns("時間帯別", &[("14".into(), 6.0)]);
        assert_eq!(widths(&svg), vec![MAX_COL_W]);
    }

    #[test]
    fn numbers_show_without_needless_decimals() {
        assert_eq!(number(12.0), "12");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(1.0 / 3.0), "0.33");
        assert_eq!(number(f64::NAN), "0");
    }
}
