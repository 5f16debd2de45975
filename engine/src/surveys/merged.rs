//! The merge of a survey for the upward report: the submitted and accepted answers as one table
//! (answer fields: one row per organisation, or per subtable row as kintone exports them) or as one
//! workbook of the answer sheets (organisation in the first column, a 「問題」 sheet with every cell
//! that did not fit its column), written as XLSX or CSV (UTF-8 with BOM or Shift_JIS).
//!
//! Owners only. The answers are read in pages of [`PAGE`] and handed to the writers one by one, so
//! merging 1,800 organisations × 50 rows holds one page in memory, never the whole merge
//! (docs/benchmarks.md "Surveys"). The caller gives a temporary file and sends it only on `Ok`: a
//! CSV that meets a character Shift_JIS cannot hold is an error listing the cells, never a file
//! with `?` in it.

use std::io::Write;
use std::path::Path;

use diesel::prelude::*;
use serde_json::Value;

use super::export::{self, CsvEncoding};
use super::sheet::{SheetAnswer, SheetSpec};
use super::{access, refused, SurveyRow, ACCEPTED, SUBMITTED};
use crate::acting::ActingContext;
use crate::db::schema::survey_answers;
use crate::db::DbConn;
use crate::error::{EngineError, EngineResult};
use crate::with_conn;

/// Answers read per statement.
const PAGE: i64 = 200;

/// What part of the answers to merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The answer fields.
    Fields,
    /// The uploaded answer sheets.
    Sheet,
}

/// The file format of a merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv(CsvEncoding),
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv(_) => "csv",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Csv(CsvEncoding::Utf8Bom) => "text/csv; charset=utf-8",
            Format::Csv(CsvEncoding::ShiftJis) => "text/csv; charset=Shift_JIS",
        }
    }
}

/// One answer as the merge reads it.
struct Merged {
    id: i64,
    org_name: String,
    values: String,
    sheet_rows: String,
    sheet_problems: String,
}

/// Reads the submitted and accepted answers of `survey` page by page, in organisation order. A
/// database error ends the iteration and is kept in `error` for the caller.
struct AnswerPages<'c> {
    conn: &'c mut DbConn,
    survey: i64,
    after: Option<(String, i64)>,
    buffer: std::vec::IntoIter<Merged>,
    done: bool,
    error: Option<EngineError>,
}

impl<'c> AnswerPages<'c> {
    fn new(conn: &'c mut DbConn, survey: i64) -> AnswerPages<'c> {
        AnswerPages {
            conn,
            survey,
            after: None,
            buffer: Vec::new().into_iter(),
            done: false,
            error: None,
        }
    }

    fn fetch(&mut self) -> EngineResult<Vec<Merged>> {
        let survey = self.survey;
        let after = self.after.clone();
        type Row = (String, i64, String, String, String);
        let rows: Vec<Row> = with_conn!(self.conn, |c| {
            let mut q = survey_answers::table
                .filter(survey_answers::survey_id.eq(survey))
                .filter(survey_answers::state.eq_any([SUBMITTED, ACCEPTED]))
                .select((
                    survey_answers::org_name,
                    survey_answers::id,
                    survey_answers::answer_values,
                    survey_answers::sheet_rows,
                    survey_answers::sheet_problems,
                ))
                .order((survey_answers::org_name.asc(), survey_answers::id.asc()))
                .limit(PAGE)
                .into_boxed();
            if let Some((name, id)) = after.clone() {
                // Keyset paging on (organisation name, id): every page costs the same.
                q = q.filter(
                    survey_answers::org_name
                        .gt(name.clone())
                        .or(survey_answers::org_name
                            .eq(name)
                            .and(survey_answers::id.gt(id))),
                );
            }
            q.load::<Row>(c)
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(org_name, id, values, sheet_rows, sheet_problems)| Merged {
                    id,
                    org_name,
                    values,
                    sheet_rows,
                    sheet_problems,
                },
            )
            .collect())
    }
}

impl Iterator for AnswerPages<'_> {
    type Item = Merged;

    fn next(&mut self) -> Option<Merged> {
        loop {
            if let Some(merged) = self.buffer.next() {
                self.after = Some((merged.org_name.clone(), merged.id));
                return Some(merged);
            }
            if self.done {
                return None;
            }
            match self.fetch() {
                Ok(page) => {
                    if (page.len() as i64) < PAGE {
                        self.done = true;
                    }
                    self.buffer = page.into_iter();
                }
                Err(e) => {
                    self.error = Some(e);
                    self.done = true;
                    return None;
                }
            }
        }
    }
}

fn sheet_answer(m: &Merged) -> SheetAnswer {
    SheetAnswer {
        rows: serde_json::from_str(&m.sheet_rows).unwrap_or_default(),
        problems: serde_json::from_str(&m.sheet_problems).unwrap_or_default(),
    }
}

/// Writes the merge of survey `id` (owners only) to `out`; returns the file name to offer, e.g.
/// `令和8年度…調査_回答.xlsx`.
pub fn write_merge(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
    part: Part,
    format: Format,
    out: &Path,
) -> EngineResult<String> {
    let survey = access::owned_survey(conn, acting, id)?;
    let name = match part {
        Part::Fields => {
            if !survey.has_fields() {
                return Err(refused(
                    "part",
                    "surveys.err.noFields",
                    "This survey has no answer fields.",
                )
                .into());
            }
            write_fields(conn, &survey, format, out)?;
            "回答"
        }
        Part::Sheet => {
            let spec: SheetSpec = survey
                .sheet_json()
                .and_then(|v| serde_json::from_value(v).ok())
                .ok_or_else(|| {
                    refused(
                        "part",
                        "surveys.err.noSheet",
                        "This survey has no answer sheet.",
                    )
                })?;
            write_sheets(conn, &survey, &spec, format, out)?;
            "回答シート"
        }
    };
    acting.audit(
        conn,
        super::audit_action::EXPORT,
        &format!("survey:{id}"),
        serde_json::json!({
            "part": match part { Part::Fields => "fields", Part::Sheet => "sheet" },
            "format": format.extension(),
        }),
    )?;
    Ok(format!(
        "{}_{name}.{}",
        file_stem(&survey.title),
        format.extension()
    ))
}

fn write_fields(
    conn: &mut DbConn,
    survey: &SurveyRow,
    format: Format,
    out: &Path,
) -> EngineResult<()> {
    let fields = survey.fields_json();
    let columns = export::answer_columns(&fields);
    let mut pages = AnswerPages::new(conn, survey.id);
    let rows = (&mut pages).flat_map(|m| {
        let values: Value = serde_json::from_str(&m.values).unwrap_or(Value::Null);
        export::answer_rows(&fields, &m.org_name, &values)
    });
    write_table(&columns, rows, format, out)?;
    match pages.error.take() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn write_sheets(
    conn: &mut DbConn,
    survey: &SurveyRow,
    spec: &SheetSpec,
    format: Format,
    out: &Path,
) -> EngineResult<()> {
    let mut pages = AnswerPages::new(conn, survey.id);
    match format {
        Format::Xlsx => {
            let answers = (&mut pages).map(|m| (m.org_name.clone(), sheet_answer(&m)));
            super::sheet::write_merged_sheet(spec, answers, out)?;
        }
        Format::Csv(_) => {
            let columns = export::sheet_columns(spec);
            let rows = (&mut pages).flat_map(|m| {
                let answer = sheet_answer(&m);
                export::sheet_rows(&m.org_name, &answer).collect::<Vec<_>>()
            });
            write_table(&columns, rows, format, out)?;
        }
    }
    match pages.error.take() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn write_table<I>(
    columns: &[export::ExportColumn],
    rows: I,
    format: Format,
    out: &Path,
) -> EngineResult<()>
where
    I: IntoIterator<Item = Vec<super::sheet::Cell>>,
{
    match format {
        Format::Xlsx => export::write_xlsx(columns, rows, out),
        Format::Csv(encoding) => {
            let file = std::fs::File::create(out)?;
            let mut writer = std::io::BufWriter::new(file);
            export::write_csv(columns, rows, encoding, &mut writer)?;
            writer.flush()?;
            Ok(())
        }
    }
}

/// A title as a file name: characters that file systems refuse become `_`, at most 80 characters.
fn file_stem(title: &str) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .take(80)
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() {
        "survey".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn titles_become_safe_file_names() {
        assert_eq!(file_stem("令和8年度 調査/回答"), "令和8年度 調査_回答");
        assert_eq!(file_stem("  "), "survey");
        assert_eq!(file_stem(&"あ".repeat(100)).chars().count(), 80);
    }
}
