//! Pies (kintone's PIE): one slice per category, a legend with values and shares beside it.

use std::fmt::Write as _;

use super::{
    colour, drawable, escape, number, open_sized, short, text_width, PAD, TEXT_FILL, WIDTH,
};

const R: f64 = 110.0;
const CX: f64 = PAD + R + 4.0;
const LEGEND_X: f64 = CX + R + 28.0;
const LEGEND_ROW: f64 = 22.0;
/// Slices are parted by a white line, so neighbours stay apart whatever their colours.
const WHITE: &str = "#ffffff";

/// The slices of a pie as (start, end) angles in degrees from 12 o'clock, clockwise, in the order
/// of `values`: proportional to the values (negative and non-finite ones count as 0), ending at
/// exactly 360 when anything is positive; empty when nothing is.
pub(super) fn pie_angles(values: &[f64]) -> Vec<(f64, f64)> {
    let total: f64 = values.iter().copied().map(drawable).sum();
    if total <= 0.0 {
        return Vec::new();
    }
    let mut at = 0.0;
    let mut out: Vec<(f64, f64)> = values
        .iter()
        .map(|v| {
            let start = at;
            at += drawable(*v) / total * 360.0;
            (start, at)
        })
        .collect();
    // Rounding must not leave a hairline gap at 12 o'clock.
    if let Some(last) = out.last_mut() {
        last.1 = 360.0;
    }
    out
}

fn point(deg: f64) -> (f64, f64) {
    let rad = (deg - 90.0).to_radians();
    (CX + R * rad.cos(), PAD + R + R * rad.sin())
}

/// A pie of `(label, value)` slices in the given order, with a legend of labels, values and
/// shares. Slices of 0 are in the legend but draw nothing.
pub fn pie(title: &str, items: &[(String, f64)]) -> String {
    let values: Vec<f64> = items.iter().map(|(_, v)| *v).collect();
    let angles = pie_angles(&values);
    let total: f64 = values.iter().copied().map(drawable).sum();
    let height = (PAD * 2.0 + R * 2.0).max(PAD * 2.0 + items.len() as f64 * LEGEND_ROW);
    let legend_text = |label: &str, value: f64, share: f64| {
        format!("{} {} ({}%)", short(label), number(value), number(share))
    };
    let share_of = |value: f64| {
        if total > 0.0 {
            drawable(value) / total * 100.0
        } else {
            0.0
        }
    };
    // As wide as the longest legend line needs (a pie of short labels stays compact on a phone).
    let widest = items
        .iter()
        .map(|(l, v)| text_width(&legend_text(l, *v, share_of(*v)), 12.0))
        .fold(0.0, f64::max);
    let width = (LEGEND_X + 18.0 + widest + PAD * 2.0).min(WIDTH);
    let mut svg = String::new();
    open_sized(&mut svg, title, width, height);
    let cy = PAD + R;
    for (i, ((label, value), (start, end))) in items.iter().zip(&angles).enumerate() {
        let share = share_of(*value);
        let t = format!("{}: {} ({}%)", escape(label), number(*value), number(share));
        if end - start <= 0.0 {
            continue;
        }
        if end - start >= 359.999 {
            let _ = write!(
                svg,
                r#"<circle class="chart-slice" cx="{CX:.1}" cy="{cy:.1}" r="{R}" fill="{f}"><title>{t}</title></circle>"#,
                f = colour(i),
            );
            continue;
        }
        let (x1, y1) = point(*start);
        let (x2, y2) = point(*end);
        let large = i32::from(end - start > 180.0);
        let _ = write!(
            svg,
            r#"<path class="chart-slice" d="M{CX:.1},{cy:.1} L{x1:.2},{y1:.2} A{R},{R} 0 {large} 1 {x2:.2},{y2:.2} Z" fill="{f}" stroke="{WHITE}" stroke-width="1.5"><title>{t}</title></path>"#,
            f = colour(i),
        );
    }
    svg.push_str(r#"<g class="chart-legend">"#);
    for (i, (label, value)) in items.iter().enumerate() {
        let y = PAD + i as f64 * LEGEND_ROW;
        let _ = write!(
            svg,
            r#"<rect x="{LEGEND_X}" y="{y:.1}" width="12" height="12" rx="2" fill="{f}"/><text x="{tx}" y="{ty:.1}" font-size="12" fill="{TEXT_FILL}">{l}</text>"#,
            f = colour(i),
            tx = LEGEND_X + 18.0,
            ty = y + 10.5,
            l = escape(&legend_text(label, *value, share_of(*value))),
        );
    }
    svg.push_str("</g></svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_cover_exactly_360_degrees_in_proportion() {
        let a = pie_angles(&[1.0, 2.0, 0.0, 1.0]);
        assert_eq!(a.len(), 4);
        let sum: f64 = a.iter().map(|(s, e)| e - s).sum();
        assert!((sum - 360.0).abs() < 1e-9, "{a:?}");
        assert_eq!(a[0], (0.0, 90.0));
        assert_eq!(a[1], (90.0, 270.0));
        assert_eq!(a[2].1 - a[2].0, 0.0);
        assert_eq!(a[3].1, 360.0);
        for w in a.windows(2) {
            assert_eq!(w[0].1, w[1].0, "slices touch");
        }
        let thirds = pie_angles(&[1.0, 1.0, 1.0]);
        let sum: f64 = thirds.iter().map(|(s, e)| e - s).sum();
        assert!((sum - 360.0).abs() < 1e-9);
        assert!(pie_angles(&[0.0, -1.0, f64::NAN]).is_empty());
        assert!(pie_angles(&[]).is_empty());
    }

    #[test]
    fn one_slice_is_a_whole_circle_and_an_empty_pie_draws_none() {
        let svg = pie("状態別", &[("受付".into(), 7.0), ("完了".into(), 0.0)]);
        assert_eq!(svg.matches("<circle ").count(), 1);
        assert!(!svg.contains("<path "));
        assert!(svg.contains("受付 7 (100%)") && svg.contains("完了 0 (0%)"));
        let svg = pie("空", &[("a".into(), 0.0)]);
        assert!(!svg.contains("<circle ") && !svg.contains("<path ") && !svg.contains("NaN"));
        let svg = pie("二つ", &[("a".into(), 3.0), ("b".into(), 1.0)]);
        assert_eq!(svg.matches("<path ").count(), 2);
        // The larger slice takes the large-arc flag.
        assert!(svg.contains(" 0 1 1 "), "{svg}");
    }
}
