//! Charts drawn on the server as SVG: the public-form results (issue 15) and the app charts
//! (issue 16, kintone's グラフ: bars, columns, lines, areas, splines, pies). Pure functions from
//! labels and numbers to markup, so pages need no chart library and show the same picture with
//! scripts off. Every text is XML-escaped here, which is what lets templates insert the markup
//! unescaped. Text is drawn in a colour of ≥ 4.5:1 against white and every series colour has
//! ≥ 3:1 (WCAG's contrast for graphics); each mark carries a `<title>` with its exact value.

mod bars;
mod lines;
mod pie;

use std::fmt::Write as _;

pub use bars::{bar_chart, Orientation};
pub use kumiki_engine::reports::ChartMode;
pub use lines::{line_chart, LineKind};
pub use pie::pie;

/// Width of every chart's drawing (the SVG scales to its container).
const WIDTH: f64 = 640.0;
const PAD: f64 = 8.0;
/// Labels longer than this are cut with an ellipsis (the full text stays in the mark's `<title>`).
const MAX_LABEL_CHARS: usize = 16;
/// One row of the legend above a chart of several series.
const LEGEND_ROW: f64 = 20.0;

const TEXT_FILL: &str = "#1f2328";
const AXIS_STROKE: &str = "#6b7280";
/// Series colours, each ≥ 3:1 against white, in an order where neighbours differ in hue and
/// lightness (so stacked parts stay apart for people who do not tell red from green).
const PALETTE: [&str; 12] = [
    "#1d5fa8", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0f766e", "#a16207", "#be185d",
    "#4b5563", "#1e3a8a", "#0e7490", "#9f1239",
];

/// Escapes text for SVG (XML) content and attribute values: the review diagram's escaping.
pub use kumiki_engine::review::diagram::escape;

/// One series of a chart: a name (the legend) and one value per category.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

/// What a bar, column or line chart draws: categories along one axis, one or more series.
#[derive(Debug, Clone, Copy)]
pub struct Chart<'a> {
    /// The accessible name (`<title>` of the SVG).
    pub title: &'a str,
    pub categories: &'a [String],
    pub series: &'a [Series],
    pub mode: ChartMode,
}

fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

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

/// A value as a chart draws it: negative and non-finite values as 0 (charts show counts and sums).
fn drawable(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 {
        v
    } else {
        0.0
    }
}

/// Where each series' part of each category lies on the value axis (`[category][series]` as
/// `(start, end)`), and the axis maximum: side by side from 0 (`Normal`), stacked (`Stacked`), or
/// stacked and scaled so every category with a value ends at exactly 100 (`Percentage`).
fn segments(categories: usize, series: &[Series], mode: ChartMode) -> (Vec<Vec<(f64, f64)>>, f64) {
    let value = |s: &Series, c: usize| drawable(s.values.get(c).copied().unwrap_or(0.0));
    let mut out = Vec::with_capacity(categories);
    let mut max: f64 = 0.0;
    for c in 0..categories {
        let total: f64 = series.iter().map(|s| value(s, c)).sum();
        let mut at = 0.0;
        let mut parts = Vec::with_capacity(series.len());
        for s in series {
            let v = value(s, c);
            match mode {
                ChartMode::Normal => {
                    parts.push((0.0, v));
                    max = max.max(v);
                }
                ChartMode::Stacked => {
                    parts.push((at, at + v));
                    at += v;
                }
                ChartMode::Percentage => {
                    let share = if total > 0.0 { v / total * 100.0 } else { 0.0 };
                    parts.push((at, at + share));
                    at += share;
                }
            }
        }
        match mode {
            ChartMode::Normal => {}
            ChartMode::Stacked => max = max.max(total),
            ChartMode::Percentage => max = 100.0,
        }
        out.push(parts);
    }
    (out, max)
}

/// Opens an SVG of `WIDTH` × `height`; see [`open_sized`].
fn open(svg: &mut String, title: &str, height: f64) {
    open_sized(svg, title, WIDTH, height);
}

/// Opens an SVG whose accessible name is `title`: the `<title>` child of an SVG with `role="img"`
/// (kept out of attributes, where user text has no business). It is drawn at its own size and
/// shrinks with a narrower container (`max-width: 100%` in the style sheet), so text never grows
/// past its size on a wide screen.
fn open_sized(svg: &mut String, title: &str, width: f64, height: f64) {
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width:.0} {height}" width="{width:.0}" role="img"><title>{t}</title>"#,
        t = escape(title)
    );
}

/// Estimated width of a legend or axis text in pixels at `size`: full-width characters take the
/// font size, others a little over half.
fn text_width(s: &str, size: f64) -> f64 {
    s.chars()
        .map(|c| if c.is_ascii() { size * 0.6 } else { size })
        .sum()
}

/// The legend of a chart with several series, wrapped into rows from the top: its markup and
/// height. One series needs no legend (the title names it): empty and 0.
fn legend(series: &[Series]) -> (String, f64) {
    if series.len() < 2 {
        return (String::new(), 0.0);
    }
    let mut svg = String::from(r#"<g class="chart-legend">"#);
    let (mut x, mut row) = (PAD, 0.0);
    for (i, s) in series.iter().enumerate() {
        let label = short(&s.name);
        let w = 14.0 + 6.0 + text_width(&label, 12.0) + 16.0;
        if x + w > WIDTH - PAD && x > PAD {
            x = PAD;
            row += 1.0;
        }
        let y = PAD + row * LEGEND_ROW;
        let _ = write!(
            svg,
            r#"<rect x="{x:.1}" y="{y:.1}" width="12" height="12" rx="2" fill="{c}"/><text x="{tx:.1}" y="{ty:.1}" font-size="12" fill="{TEXT_FILL}">{l}</text>"#,
            c = colour(i),
            tx = x + 18.0,
            ty = y + 10.5,
            l = escape(&label),
        );
        x += w;
    }
    svg.push_str("</g>");
    (svg, PAD + (row + 1.0) * LEGEND_ROW)
}

/// A horizontal bar chart of one series, one bar per `(label, value)` in the given order, with the
/// values written after the bars (the public-form results).
pub fn bars(title: &str, items: &[(String, f64)]) -> String {
    single(title, items, Orientation::Horizontal)
}

/// A column chart of one series (answers by hour): labels under the axis, values above the columns.
pub fn columns(title: &str, items: &[(String, f64)]) -> String {
    single(title, items, Orientation::Vertical)
}

fn single(title: &str, items: &[(String, f64)], orientation: Orientation) -> String {
    let categories: Vec<String> = items.iter().map(|(l, _)| l.clone()).collect();
    let series = [Series {
        name: title.to_owned(),
        values: items.iter().map(|(_, v)| *v).collect(),
    }];
    bar_chart(
        &Chart {
            title,
            categories: &categories,
            series: &series,
            mode: ChartMode::Normal,
        },
        orientation,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `name="..."` numbers of every `<tag ` in `svg`.
    pub(super) fn attrs(svg: &str, tag: &str, name: &str) -> Vec<f64> {
        let needle = format!("{name}=\"");
        svg.split(&format!("<{tag} "))
            .skip(1)
            .filter_map(|r| {
                let start = r.find(&needle)? + needle.len();
                let end = start + r[start..].find('"')?;
                r[start..end].parse().ok()
            })
            .collect()
    }

    fn series(values: &[&[f64]]) -> Vec<Series> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Series {
                name: format!("s{i}"),
                values: v.to_vec(),
            })
            .collect()
    }

    #[test]
    fn percentage_mode_stacks_every_category_to_100() {
        let s = series(&[&[1.0, 0.0, 3.0], &[1.0, 0.0, 1.0], &[2.0, 0.0, 0.0]]);
        let (seg, max) = segments(3, &s, ChartMode::Percentage);
        assert_eq!(max, 100.0);
        for (c, parts) in seg.iter().enumerate() {
            let sum: f64 = parts.iter().map(|(a, b)| b - a).sum();
            if c == 1 {
                assert_eq!(sum, 0.0, "a category without values draws nothing");
            } else {
                assert!((sum - 100.0).abs() < 1e-9, "{c}: {parts:?}");
                assert!((parts.last().map_or(0.0, |p| p.1) - 100.0).abs() < 1e-9);
            }
        }
        assert_eq!(seg[0][0], (0.0, 25.0));
        assert_eq!(seg[0][1], (25.0, 50.0));
    }

    #[test]
    fn stacked_mode_ends_at_the_totals_and_normal_mode_starts_at_zero() {
        let s = series(&[&[1.0, 5.0], &[2.0, -3.0]]);
        let (seg, max) = segments(2, &s, ChartMode::Stacked);
        assert_eq!(seg[0], vec![(0.0, 1.0), (1.0, 3.0)]);
        assert_eq!(
            seg[1],
            vec![(0.0, 5.0), (5.0, 5.0)],
            "negative values count as 0"
        );
        assert_eq!(max, 5.0);
        let (seg, max) = segments(2, &s, ChartMode::Normal);
        assert_eq!(seg[0], vec![(0.0, 1.0), (0.0, 2.0)]);
        assert_eq!(max, 5.0);
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
        let w = attrs(&svg, "rect", "width");
        assert_eq!(w.len(), 3);
        let area = WIDTH - bars::LABEL_W - bars::VALUE_W;
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
        assert_eq!(attrs(&svg, "rect", "width"), vec![0.0, 0.0]);
        let svg = columns("零", &[("09".into(), 0.0)]);
        assert!(!svg.contains("NaN"));
        let svg = bars("負", &[("a".into(), -5.0), ("b".into(), f64::NAN)]);
        assert_eq!(attrs(&svg, "rect", "width"), vec![0.0, 0.0]);
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
        // Series names in legends, every chart kind.
        let cats = vec!["<i>".to_owned()];
        let s = vec![
            Series {
                name: "<svg onload=x>".into(),
                values: vec![1.0],
            },
            Series {
                name: "&".into(),
                values: vec![2.0],
            },
        ];
        let chart = Chart {
            title: "t",
            categories: &cats,
            series: &s,
            mode: ChartMode::Stacked,
        };
        for svg in [
            bar_chart(&chart, Orientation::Horizontal),
            bar_chart(&chart, Orientation::Vertical),
            line_chart(&chart, LineKind::SplineArea),
            pie("t", &[("<i>".into(), 1.0), ("\"'".into(), 2.0)]),
        ] {
            assert!(
                !svg.contains("<i>") && !svg.contains("<svg onload"),
                "{svg}"
            );
            assert_eq!(svg.matches("<svg ").count(), 1);
        }
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
        let h = attrs(&svg, "rect", "height");
        assert_eq!(h.len(), 3);
        assert!(
            (h[1] - bars::PLOT_H).abs() < 0.2 && (h[0] - bars::PLOT_H / 4.0).abs() < 0.2,
            "{h:?}"
        );
    }

    #[test]
    fn a_single_column_stays_narrow() {
        let svg = columns("時間帯別", &[("14".into(), 6.0)]);
        assert_eq!(attrs(&svg, "rect", "width"), vec![bars::MAX_COL_W]);
    }

    #[test]
    fn several_series_get_a_legend_and_a_colour_each() {
        let cats = vec!["1月".to_owned(), "2月".to_owned()];
        let s = series(&[&[1.0, 2.0], &[3.0, 4.0]]);
        let chart = Chart {
            title: "月別",
            categories: &cats,
            series: &s,
            mode: ChartMode::Normal,
        };
        let svg = bar_chart(&chart, Orientation::Vertical);
        assert!(svg.contains("chart-legend") && svg.contains(">s0<") && svg.contains(">s1<"));
        assert!(svg.contains(PALETTE[0]) && svg.contains(PALETTE[1]));
        // 2 legend squares + 2 × 2 columns.
        assert_eq!(attrs(&svg, "rect", "width").len(), 6);
    }

    #[test]
    fn numbers_show_without_needless_decimals() {
        assert_eq!(number(12.0), "12");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(1.0 / 3.0), "0.33");
        assert_eq!(number(f64::NAN), "0");
    }
}
