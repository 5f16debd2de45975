//! Lines, areas and their smooth variants (kintone's LINE, AREA, SPLINE, SPLINE_AREA) over the same
//! frame as the columns: one point per category at its slot's centre.

use std::fmt::Write as _;

use super::bars::AXIS_H;
use super::bars::{axis_labels, mark_title, slots, PLOT_H, TOP_H};
use super::{colour, legend, number, open, scaled, segments, Chart, ChartMode, TEXT_FILL};

/// Most points that get their value written beside them (more would overlap; titles keep them).
const MAX_VALUE_LABELS: usize = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Line,
    Area,
    Spline,
    SplineArea,
}

impl LineKind {
    fn filled(self) -> bool {
        matches!(self, LineKind::Area | LineKind::SplineArea)
    }
    fn smooth(self) -> bool {
        matches!(self, LineKind::Spline | LineKind::SplineArea)
    }
}

/// Path commands through `points` (after an initial `M`/`L` by the caller): straight segments, or
/// a Catmull-Rom curve as cubic Béziers whose control points are kept between `top` and `bottom`
/// so a smooth line never dips below the axis.
fn through(points: &[(f64, f64)], smooth: bool, top: f64, bottom: f64) -> String {
    let mut d = String::new();
    for i in 1..points.len() {
        let p1 = points[i - 1];
        let p2 = points[i];
        if !smooth {
            let _ = write!(d, " L{:.1},{:.1}", p2.0, p2.1);
            continue;
        }
        let p0 = if i >= 2 { points[i - 2] } else { p1 };
        let p3 = points.get(i + 1).copied().unwrap_or(p2);
        let clamp = |y: f64| y.clamp(top, bottom);
        let c1 = (
            p1.0 + (p2.0 - p0.0) / 6.0,
            clamp(p1.1 + (p2.1 - p0.1) / 6.0),
        );
        let c2 = (
            p2.0 - (p3.0 - p1.0) / 6.0,
            clamp(p2.1 - (p3.1 - p1.1) / 6.0),
        );
        let _ = write!(
            d,
            " C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
            c1.0, c1.1, c2.0, c2.1, p2.0, p2.1
        );
    }
    d
}

/// A line or area chart of `chart`'s series: lines from 0 (`Normal`) or stacked on each other
/// (`Stacked`, `Percentage`); areas fill down to the series below (or the axis).
pub fn line_chart(chart: &Chart<'_>, kind: LineKind) -> String {
    let n = chart.categories.len();
    let (seg, max) = segments(n, chart.series, chart.mode);
    let (legend_svg, legend_h) = legend(chart.series);
    let height = legend_h + TOP_H + PLOT_H + AXIS_H;
    let (centres, _) = slots(n);
    let base = legend_h + TOP_H + PLOT_H;
    let top = legend_h + TOP_H;
    let y = |v: f64| base - scaled(v, max, PLOT_H);
    let mut svg = String::new();
    open(&mut svg, chart.title, height);
    svg.push_str(&legend_svg);
    axis_labels(&mut svg, chart.categories, &centres, base);
    let ends = |s: usize| -> Vec<(f64, f64)> {
        centres
            .iter()
            .enumerate()
            .map(|(c, x)| (*x, y(seg[c].get(s).map_or(0.0, |p| p.1))))
            .collect()
    };
    let starts = |s: usize| -> Vec<(f64, f64)> {
        centres
            .iter()
            .enumerate()
            .map(|(c, x)| (*x, y(seg[c].get(s).map_or(0.0, |p| p.0))))
            .collect()
    };
    // Areas first, so every line and point is drawn over them.
    if kind.filled() && n > 0 {
        let opacity = if chart.mode == ChartMode::Normal {
            0.3
        } else {
            0.75
        };
        for s in 0..chart.series.len() {
            let upper = ends(s);
            let mut lower = starts(s);
            lower.reverse();
            let (ux, uy) = upper[0];
            let (lx, ly) = lower[0];
            let _ = write!(
                svg,
                r#"<path d="M{ux:.1},{uy:.1}{a} L{lx:.1},{ly:.1}{b} Z" fill="{f}" fill-opacity="{opacity}" stroke="none"/>"#,
                a = through(&upper, kind.smooth(), top, base),
                b = through(&lower, kind.smooth(), top, base),
                f = colour(s),
            );
        }
    }
    for s in 0..chart.series.len() {
        let points = ends(s);
        let Some(&(x0, y0)) = points.first() else {
            continue;
        };
        let _ = write!(
            svg,
            r#"<g class="chart-line"><path d="M{x0:.1},{y0:.1}{d}" fill="none" stroke="{f}" stroke-width="2"/>"#,
            d = through(&points, kind.smooth(), top, base),
            f = colour(s),
        );
        for (c, (x, py)) in points.iter().enumerate() {
            let _ = write!(
                svg,
                r#"<circle cx="{x:.1}" cy="{py:.1}" r="3.5" fill="{f}"><title>{t}</title></circle>"#,
                f = colour(s),
                t = mark_title(chart, c, s),
            );
            if chart.series.len() == 1 && n <= MAX_VALUE_LABELS {
                let _ = write!(
                    svg,
                    r#"<text x="{x:.1}" y="{vy:.1}" text-anchor="middle" font-size="11" fill="{TEXT_FILL}">{v}</text>"#,
                    vy = py - 7.0,
                    v = number(chart.series[s].values.get(c).copied().unwrap_or(0.0)),
                );
            }
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::super::Series;
    use super::*;

    #[test]
    fn every_kind_draws_one_point_per_category_and_no_nan() {
        let cats: Vec<String> = ["1月", "2月", "3月"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let s = vec![
            Series {
                name: "相談".into(),
                values: vec![3.0, 0.0, 5.0],
            },
            Series {
                name: "申請".into(),
                values: vec![1.0, 2.0, f64::NAN],
            },
        ];
        for kind in [
            LineKind::Line,
            LineKind::Area,
            LineKind::Spline,
            LineKind::SplineArea,
        ] {
            for mode in [ChartMode::Normal, ChartMode::Stacked, ChartMode::Percentage] {
                let chart = Chart {
                    title: "推移",
                    categories: &cats,
                    series: &s,
                    mode,
                };
                let svg = line_chart(&chart, kind);
                assert_eq!(svg.matches("<circle ").count(), 6, "{kind:?} {mode:?}");
                assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
                assert_eq!(
                    svg.contains("fill-opacity"),
                    kind.filled(),
                    "{kind:?} {mode:?}"
                );
                assert_eq!(svg.contains(" C"), kind.smooth(), "{kind:?}");
            }
        }
        let empty = line_chart(
            &Chart {
                title: "空",
                categories: &[],
                series: &[],
                mode: ChartMode::Normal,
            },
            LineKind::Area,
        );
        assert!(empty.ends_with("</svg>") && !empty.contains("NaN"));
    }

    #[test]
    fn a_smooth_line_stays_inside_the_plot() -> Result<(), Box<dyn std::error::Error>> {
        let cats: Vec<String> = (0..5).map(|i| i.to_string()).collect();
        let s = vec![Series {
            name: "x".into(),
            values: vec![0.0, 10.0, 0.0, 10.0, 0.0],
        }];
        let svg = line_chart(
            &Chart {
                title: "t",
                categories: &cats,
                series: &s,
                mode: ChartMode::Normal,
            },
            LineKind::Spline,
        );
        let d_start = svg.find("<path d=\"M").ok_or("no path")?;
        let d = &svg[d_start..];
        let d = &d[..d.find("\" ").unwrap_or(d.len())];
        let mut checked = 0;
        for pair in d.split([' ', 'C', 'M']).filter(|p| p.contains(',')) {
            let y: f64 = pair.split(',').nth(1).ok_or("no y")?.parse()?;
            assert!((TOP_H - 0.1..=TOP_H + PLOT_H + 0.1).contains(&y), "{pair}");
            checked += 1;
        }
        assert!(checked >= 13, "{d}");
        Ok(())
    }
}
