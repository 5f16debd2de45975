//! The typed cell every tabular writer takes, and the number formatting they share.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// The kind of value a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ColumnKind {
    Text,
    Number,
    Date,
}

impl ColumnKind {
    /// The kind's name in Japanese (the merged survey workbook's 「問題」 sheet).
    pub fn label_ja(self) -> &'static str {
        match self {
            ColumnKind::Text => "文字列",
            ColumnKind::Number => "数値",
            ColumnKind::Date => "日付",
        }
    }
}

/// One value of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "UPPERCASE")]
pub enum Cell {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    /// A date and time already in the reader's time zone (Excel has no time zones).
    DateTime(NaiveDateTime),
    Empty,
}

/// `1,234`, `１２３４`, ` -5.5 `, `−3` → a number; anything else (`abc`, `1.2.3`, `inf`) → None.
pub fn parse_number_text(text: &str) -> Option<f64> {
    let folded: String = text
        .nfkc()
        .filter(|c| *c != ',' && !c.is_whitespace())
        .map(|c| if c == '−' { '-' } else { c })
        .collect();
    let plain = !folded.is_empty()
        && folded
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
        && folded.chars().any(|c| c.is_ascii_digit());
    if !plain {
        return None;
    }
    folded.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A number as text: integers without `.0`, others in the shortest form that reads back the same.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}
