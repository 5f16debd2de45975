//! Width and case folding shared by `like` and the full-text index: the ONE implementation.
//!
//! kintone's `like` does not tell half-width from full-width (ﾃﾚﾜｰｸ finds テレワーク, ｄｘ finds DX), and
//! neither does Kumiki's search index. Both fold text the same way, per original char:
//! NFKC (ｶﾀｶﾅ → カタカナ, ＡＢＣ → ABC, ２０２５ → 2025, ㍿ → 株式会社, ① → 1), a combining or half-width
//! (semi-)voiced mark composed into the char before it (ﾃﾞｰﾀ → データ, か + U+3099 → が, か゛ → が),
//! lower case. Each folded char remembers the byte range of the original char it came from, so the
//! search index can highlight the text as written ([`fold_chars`]); [`fold`] is the plain string.
//!
//! In SQL, a `like` compares the folded pattern with the folded value, which the pivot rows store
//! (`record_values_text` / `record_values_long`, column `folded`, see [`stored`]) when it differs from
//! the value by more than ASCII case: `COALESCE(folded, value) LIKE` (SQLite, ASCII case-insensitive)
//! or `ILIKE` (PostgreSQL). Folding at write time costs a `like` nothing per probed row on either
//! database, and both use this one Rust implementation (docs/benchmarks.md, "like with width
//! folding", has the figures of the alternatives).

use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;

use crate::db::{DbConn, Dialect, IntRow};
use crate::error::EngineResult;
use unicode_normalization::char::{compose, is_combining_mark};
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// One folded char and the byte range `start..end` of the original text it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoldedChar {
    pub ch: char,
    pub start: usize,
    pub end: usize,
}

/// Folds `text` into `out` (cleared first): NFKC per char, combining marks composed into the char
/// before them (or dropped when they do not compose), lower case. A char whose NFKC form has several
/// chars (㍿ → 株式会社) gives several folded chars with the same original range.
pub fn fold_chars(text: &str, out: &mut Vec<FoldedChar>) {
    out.clear();
    let mut scratch = String::new();
    for (start, original) in text.char_indices() {
        let end = start + original.len_utf8();
        if let Some(ch) = unchanged(original)
            .then_some(original)
            .or_else(|| full_width_ascii(original).map(|c| c.to_ascii_lowercase()))
        {
            out.push(FoldedChar { ch, start, end });
            continue;
        }
        nfkc_char(original, &mut scratch);
        for folded in scratch.chars() {
            if is_combining_mark(folded) {
                attach_mark(out, folded, end);
                continue;
            }
            for lower in folded.to_lowercase() {
                if is_combining_mark(lower) {
                    // İ lower-cases to i + U+0307: keep the dot out of the token.
                    attach_mark(out, lower, end);
                } else {
                    out.push(FoldedChar {
                        ch: lower,
                        start,
                        end,
                    });
                }
            }
        }
    }
}

/// `text` folded (see the module doc), whitespace kept. `fold(haystack).contains(&fold(needle))` is
/// what `like` tests and the "substring truth" search results are compared with.
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        // The common case in SQL probes (codes, numbers, English): NFKC leaves ASCII alone.
        return text.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    let mut scratch = String::new();
    for original in text.chars() {
        if unchanged(original) {
            // Most of a Japanese text: no table lookups (a following mark still composes into it).
            out.push(original);
            continue;
        }
        if let Some(ascii) = full_width_ascii(original) {
            out.push(ascii.to_ascii_lowercase());
            continue;
        }
        nfkc_char(original, &mut scratch);
        for folded in scratch.chars() {
            if is_combining_mark(folded) {
                attach_mark_str(&mut out, folded);
                continue;
            }
            for lower in folded.to_lowercase() {
                if is_combining_mark(lower) {
                    attach_mark_str(&mut out, lower);
                } else {
                    out.push(lower);
                }
            }
        }
    }
    out
}

/// Chars that fold to themselves, checked without table lookups: lower-case ASCII letters, digits and
/// common punctuation, hiragana, full-width katakana with ー, CJK unified ideographs, 、。「」・ and 々.
/// (None of them is a combining mark, has an NFKC decomposition or an upper-case form.)
fn unchanged(ch: char) -> bool {
    matches!(ch,
        ' '..='@' | '['..='~'
        | '\u{3001}'..='\u{3002}' | '\u{3005}' | '\u{300C}'..='\u{300D}'
        | '\u{3041}'..='\u{3096}'
        | '\u{30A1}'..='\u{30FA}' | '\u{30FB}'..='\u{30FC}'
        | '\u{4E00}'..='\u{9FFF}')
}

/// The NFKC form of the full-width ASCII forms U+FF01–U+FF5E （ＡＢＣ０１２（）％…）: the ASCII char.
fn full_width_ascii(ch: char) -> Option<char> {
    match ch {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(ch) - 0xFEE0),
        _ => None,
    }
}

/// The NFKC form of one char into `scratch` (cleared first), with ゛/゜ as combining marks.
fn nfkc_char(original: char, scratch: &mut String) {
    scratch.clear();
    if original.is_ascii() {
        scratch.push(original);
    } else if let Some(mark) = spacing_sound_mark(original) {
        // ゛/゜ typed after a kana mean the same as the combining marks; NFKC would turn them
        // into a space plus the mark, which would break the word.
        scratch.push(mark);
    } else if is_nfkc_quick(std::iter::once(original)) == IsNormalized::Yes {
        scratch.push(original);
    } else {
        scratch.extend(std::iter::once(original).nfkc());
    }
}

/// Composes `mark` into the last folded char when Unicode has a composed form; either way the
/// mark's original bytes join that char's range. A mark at the very start is dropped.
fn attach_mark(out: &mut [FoldedChar], mark: char, mark_end: usize) {
    if let Some(last) = out.last_mut() {
        if let Some(composed) = compose(last.ch, mark) {
            last.ch = composed;
        }
        last.end = last.end.max(mark_end);
    }
}

/// [`attach_mark`] on a plain string: the mark is composed into the last char, or dropped.
fn attach_mark_str(out: &mut String, mark: char) {
    if let Some(composed) = out.chars().next_back().and_then(|last| compose(last, mark)) {
        out.pop();
        out.push(composed);
    }
}

/// The combining form of the spacing (full-width) voiced and semi-voiced sound marks.
fn spacing_sound_mark(ch: char) -> Option<char> {
    match ch {
        '\u{309B}' => Some('\u{3099}'),
        '\u{309C}' => Some('\u{309A}'),
        _ => None,
    }
}

/// What the pivot rows keep beside `value` in `folded`: [`fold`]`(value)` when it differs from the value
/// by more than ASCII case, else `None` (NULL: the value itself serves, as SQLite's `LIKE` and
/// PostgreSQL's `ILIKE` ignore ASCII case). Pure ASCII values (dates, codes, numbers) never need it.
pub fn stored(value: &str) -> Option<String> {
    if value.is_ascii() {
        return None;
    }
    let folded = fold(value);
    (folded != value.to_ascii_lowercase()).then_some(folded)
}

/// The folded form of the pivot value `column` (`<alias>.value`) for `like`: `COALESCE(<alias>.folded,
/// <alias>.value)`, compared with a folded pattern.
pub(crate) fn sql(column: &str) -> String {
    let alias = column.strip_suffix(".value").unwrap_or(column);
    format!("COALESCE({alias}.folded, {column})")
}

/// One pivot row to fold.
#[derive(QueryableByName)]
struct PivotRow {
    #[diesel(sql_type = BigInt)]
    field_id: i64,
    #[diesel(sql_type = BigInt)]
    record_id: i64,
    #[diesel(sql_type = BigInt)]
    row_id: i64,
    #[diesel(sql_type = Text)]
    value: String,
}

/// Records per backfill transaction.
const BACKFILL_RECORDS: i64 = 2_000;

/// Fills `folded` of the text pivot rows written before it existed (the migration `like_fold` leaves a
/// row in `like_fold_backfill`; [`crate::db::Database::migrate`] calls this after every migration
/// run). Works in transactions of [`BACKFILL_RECORDS`] records, then removes the marker; a crash
/// midway leaves the marker and the next start does it again (recomputing a row is harmless).
/// Returns the number of rows given a folded form.
pub fn backfill(conn: &mut DbConn) -> EngineResult<usize> {
    let pending = conn.load::<IntRow>(
        conn.sql()
            .push("SELECT count(*) AS n FROM like_fold_backfill"),
    )?;
    if pending.first().map_or(0, |r| r.n) == 0 {
        return Ok(0);
    }
    let apps = conn.load::<IntRow>(
        conn.sql()
            .push("SELECT DISTINCT app_id AS n FROM records ORDER BY app_id"),
    )?;
    let non_ascii = match conn.dialect() {
        Dialect::Sqlite => "length(CAST(value AS BLOB)) <> length(value)",
        Dialect::Postgres => "octet_length(value) <> char_length(value)",
    };
    let mut updated = 0;
    for app in apps.iter().map(|r| r.n) {
        let last = conn.load::<IntRow>(
            conn.sql()
                .push("SELECT COALESCE(max(id), 0) AS n FROM records WHERE app_id = ")
                .bind_int(app),
        )?;
        let last = last.first().map_or(0, |r| r.n);
        let mut from = 0;
        while from < last {
            let to = from.saturating_add(BACKFILL_RECORDS);
            updated += conn.write_transaction(|conn| -> EngineResult<usize> {
                let mut n = 0;
                for table in ["record_values_text", "record_values_long"] {
                    let mut b = conn.sql();
                    b.push(&format!(
                        "SELECT CAST(field_id AS BIGINT) AS field_id, record_id, row_id, value FROM {table} WHERE app_id = "
                    ))
                    .bind_int(app)
                    .push(" AND record_id > ")
                    .bind_int(from)
                    .push(" AND record_id <= ")
                    .bind_int(to)
                    .push(&format!(" AND {non_ascii}"));
                    for row in conn.load::<PivotRow>(&b)? {
                        let Some(folded) = stored(&row.value) else {
                            continue;
                        };
                        let mut u = conn.sql();
                        u.push(&format!("UPDATE {table} SET folded = "))
                            .bind_text(&folded)
                            .push(" WHERE app_id = ")
                            .bind_int(app)
                            .push(" AND field_id = ")
                            .bind_int(row.field_id)
                            .push(" AND record_id = ")
                            .bind_int(row.record_id)
                            .push(" AND row_id = ")
                            .bind_int(row.row_id)
                            .push(" AND value = ")
                            .bind_text(&row.value);
                        n += conn.execute(&u)?;
                    }
                }
                Ok(n)
            })?;
            from = to;
        }
    }
    conn.batch_execute("DELETE FROM like_fold_backfill")?;
    if updated > 0 {
        tracing::info!(rows = updated, "folded existing text values for like");
    }
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars_of(text: &str) -> String {
        let mut out = Vec::new();
        fold_chars(text, &mut out);
        out.iter().map(|c| c.ch).collect()
    }

    #[test]
    fn widths_and_case_fold() {
        for (text, want) in [
            ("ﾃﾚﾜｰｸ", "テレワーク"),
            ("ﾃﾞｰﾀ", "データ"),
            ("ﾊﾟｿｺﾝ", "パソコン"),
            ("か゛", "が"),
            ("か\u{3099}", "が"),
            ("ｄｘ推進", "dx推進"),
            ("ＤＸ", "dx"),
            ("DX", "dx"),
            ("０１２", "012"),
            ("１００％", "100%"),
            ("㍿", "株式会社"),
            ("①", "1"),
            ("駒ヶ根", "駒ヶ根"),
            ("テレワーク", "テレワーク"),
            ("a\u{3000}b", "a b"),
            ("\u{3099}x", "x"),
        ] {
            assert_eq!(fold(text), want, "{text}");
            assert_eq!(chars_of(text), want, "{text}");
        }
    }

    #[test]
    fn the_fast_path_agrees_with_the_tables() {
        let mut scratch = String::new();
        for ch in (' '..='~')
            .chain('\u{3000}'..='\u{30FF}')
            .chain('\u{4E00}'..='\u{9FFF}')
        {
            if unchanged(ch) {
                nfkc_char(ch, &mut scratch);
                let folded: String = scratch.chars().flat_map(char::to_lowercase).collect();
                assert_eq!(folded, ch.to_string(), "{ch:?}");
                assert!(!is_combining_mark(ch), "{ch:?}");
            }
        }
        for ch in '\u{FF00}'..='\u{FFEF}' {
            if let Some(ascii) = full_width_ascii(ch) {
                nfkc_char(ch, &mut scratch);
                assert_eq!(scratch, ascii.to_string(), "{ch:?}");
            }
        }
    }

    #[test]
    fn ranges_point_at_the_original() {
        let mut out = Vec::new();
        fold_chars("ﾃﾞｰﾀ", &mut out);
        let ranges: Vec<(char, usize, usize)> =
            out.iter().map(|c| (c.ch, c.start, c.end)).collect();
        assert_eq!(ranges, [('デ', 0, 6), ('ー', 6, 9), ('タ', 9, 12)]);
    }

    /// The cost of the folding: 100,000 long-text values (Japanese, ~90 chars) folded as a write does,
    /// and a SQLite `like` over them, the plain `value LIKE` against `COALESCE(folded, value) LIKE`.
    /// Figures in docs/benchmarks.md; run with
    /// `cargo test -p kumiki-engine --release --lib query::fold::tests::like_cost -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn like_cost() -> Result<(), Box<dyn std::error::Error>> {
        use diesel::connection::SimpleConnection;
        use diesel::sql_types::Nullable;
        use diesel::{Connection, RunQueryDsl, SqliteConnection};
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let values: Vec<String> = (0..100_000)
            .map(|i| {
                let kana = if i % 7 == 0 { "ﾃﾚﾜｰｸ" } else { "テレワーク" };
                let latin = if i % 11 == 0 { "ＤＸ" } else { "DX" };
                format!(
                    "令和7年度 第{i}号 {kana}の実施状況について（{latin}推進室）。長野県総務部より各課へ照会し、回答を取りまとめて報告します。"
                )
            })
            .collect();
        let start = std::time::Instant::now();
        let folded: Vec<Option<String>> = values.iter().map(|v| stored(v)).collect();
        println!(
            "stored(): 100000 values in {:.1} ms",
            start.elapsed().as_secs_f64() * 1000.0
        );
        let mut conn = SqliteConnection::establish(":memory:")?;
        conn.batch_execute(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, value TEXT NOT NULL, folded TEXT)",
        )?;
        conn.batch_execute("BEGIN")?;
        for (i, (value, folded)) in values.iter().zip(&folded).enumerate() {
            diesel::sql_query("INSERT INTO t (id, value, folded) VALUES (?, ?, ?)")
                .bind::<BigInt, _>(i64::try_from(i)?)
                .bind::<Text, _>(value)
                .bind::<Nullable<Text>, _>(folded)
                .execute(&mut conn)?;
        }
        conn.batch_execute("COMMIT")?;
        for (label, sql, pattern) in [
            ("plain LIKE '%dx%'", "value LIKE ?", "%dx%"),
            (
                "folded LIKE '%dx%'",
                "COALESCE(folded, value) LIKE ?",
                "%dx%",
            ),
            ("plain LIKE '%テレワーク%'", "value LIKE ?", "%テレワーク%"),
            (
                "folded LIKE '%テレワーク%'",
                "COALESCE(folded, value) LIKE ?",
                "%テレワーク%",
            ),
        ] {
            let query = format!("SELECT count(*) AS n FROM t WHERE {sql}");
            let mut best = std::time::Duration::MAX;
            let mut n = 0;
            for _ in 0..5 {
                let start = std::time::Instant::now();
                let rows: Vec<Count> = diesel::sql_query(&query)
                    .bind::<Text, _>(pattern)
                    .load(&mut conn)?;
                best = best.min(start.elapsed());
                n = rows.first().map_or(0, |r| r.n);
            }
            println!(
                "{label}: {n} rows, best of 5 {:.1} ms",
                best.as_secs_f64() * 1000.0
            );
        }
        Ok(())
    }

    #[test]
    fn only_values_that_fold_differently_are_stored() {
        assert_eq!(stored("2026-12-03"), None);
        assert_eq!(stored("DX Report"), None, "ASCII case is LIKE's job");
        assert_eq!(stored("テレワーク"), None);
        assert_eq!(stored("ﾃﾚﾜｰｸ"), Some("テレワーク".to_owned()));
        assert_eq!(stored("ＤＸ推進"), Some("dx推進".to_owned()));
        assert_eq!(stored("Ärger"), Some("ärger".to_owned()));
    }
}
