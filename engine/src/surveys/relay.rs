//! Copying a survey (next year's request starts from this year's) and relaying a received one
//! onwards (national → prefecture → city → departments: a member of an answering organisation
//! sends the same request to its own organisations, collects their answers and answers upward
//! with the merge).
//!
//! Both make a new draft through `store::create`, so every rule of a draft holds (recipients,
//! owners, fields, sheet layout); the files are duplicated as uploads of the actor, so each draft
//! owns its files. A relay links the two: `surveys.parent_answer_id` on the new survey and
//! `survey_answers.child_survey_id` on the answer it collects for (one relay per answer).
//! `merge_relay` fills the parent answer's draft from the child's submitted and accepted answers:
//! subtable rows and answer-sheet rows are concatenated, numbers summed; other single values are
//! left as they are for the person to fill (a merged text or date has no meaning).

use chrono::{Months, TimeZone};
use diesel::prelude::*;
use serde_json::{json, Map, Value};

use super::access;
use super::answers::{self, AnswerInput};
use super::sheet::{Cell, SheetMode, SheetSpec};
use super::store::{self, SheetInput, SurveyInput};
use super::{
    add_event, audit_action, refused, AnswerRow, Recipient, SurveyRow, ACCEPTED, ATTACHMENT, OPEN,
    SUBMITTED,
};
use crate::acting::ActingContext;
use crate::db::schema::{survey_answers, survey_files, surveys};
use crate::db::DbConn;
use crate::error::EngineResult;
use crate::records::FileStore;
use crate::with_conn;

/// The attachments of `survey`, in their order, duplicated as uploads of `user`.
fn duplicate_attachments(
    conn: &mut DbConn,
    files: &FileStore,
    survey: i64,
    user: &str,
) -> EngineResult<Vec<String>> {
    let keys: Vec<String> = with_conn!(conn, |c| survey_files::table
        .filter(survey_files::survey_id.eq(survey))
        .filter(survey_files::role.eq(ATTACHMENT))
        .order(survey_files::position.asc())
        .select(survey_files::file_key)
        .load::<String>(c))?;
    keys.iter()
        .map(|k| files.duplicate(conn, k, user))
        .collect()
}

/// The answer sheet of `survey` for a new draft: its template duplicated, the layout kept.
fn duplicate_sheet(
    conn: &mut DbConn,
    files: &FileStore,
    survey: &SurveyRow,
    user: &str,
) -> EngineResult<Option<SheetInput>> {
    let Some(Value::Object(mut spec)) = survey.sheet_json() else {
        return Ok(None);
    };
    let Some(template) = spec
        .get("templateFileKey")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return Ok(None);
    };
    spec.remove("templateFileKey");
    spec.remove("templateName");
    let file_key = files.duplicate(conn, &template, user)?;
    Ok(Some(SheetInput { file_key, spec }))
}

/// The draft input repeating `survey`'s request (title, body, fields, sheet, reminders).
fn repeat(
    conn: &mut DbConn,
    files: &FileStore,
    acting: &ActingContext,
    survey: &SurveyRow,
) -> EngineResult<SurveyInput> {
    let me = acting.user_code().to_owned();
    Ok(SurveyInput {
        title: Some(survey.title.clone()),
        body: Some(survey.body.clone()),
        due_at: None,
        attachments: Some(duplicate_attachments(conn, files, survey.id, &me)?),
        fields: Some(survey.fields_json()),
        sheet: Some(duplicate_sheet(conn, files, survey, &me)?),
        recipients: None,
        owners: None,
        reminders: Some(survey.reminder_days()),
    })
}

/// The same moment one year later in the actor's time zone (29 February becomes 28 February).
fn one_year_later(acting: &ActingContext, at: i64) -> i64 {
    let tz = acting.timezone();
    let Some(local) = tz.timestamp_opt(at, 0).single() else {
        return at + 365 * 86_400;
    };
    local
        .checked_add_months(Months::new(12))
        .map(|d| d.timestamp())
        .unwrap_or(at + 365 * 86_400)
}

/// Copies survey `id` (its owners) as a new draft of the actor: the same request, recipients and
/// owners, due `due_at` or one year after the original's due time. Returns the new id.
pub fn copy(
    conn: &mut DbConn,
    files: &FileStore,
    acting: &ActingContext,
    id: i64,
    due_at: Option<i64>,
) -> EngineResult<i64> {
    let survey = access::owned_survey(conn, acting, id)?;
    let mut input = repeat(conn, files, acting, &survey)?;
    input.due_at = Some(due_at.unwrap_or_else(|| one_year_later(acting, survey.due_at)));
    input.recipients = Some(survey.recipients_list());
    let me = acting.user_code();
    input.owners = Some(
        survey
            .owner_codes()
            .into_iter()
            .filter(|o| o != me)
            .collect(),
    );
    let new_id = store::create(conn, acting, &input)?;
    with_conn!(conn, |c| diesel::update(surveys::table.find(new_id))
        .set(surveys::copied_from.eq(Some(id)))
        .execute(c))?;
    acting.audit(
        conn,
        audit_action::COPY,
        &format!("survey:{new_id}"),
        json!({"from": id}),
    )?;
    Ok(new_id)
}

/// Relays the received answer `answer_id` onwards: a member of its organisation (not a guest)
/// sends the same request to `recipients`, due `due_at`. Returns the new draft's id; the member
/// owns it, and the parent answer records it (once: a second relay of the same answer is refused).
pub fn relay(
    conn: &mut DbConn,
    files: &FileStore,
    acting: &ActingContext,
    answer_id: i64,
    recipients: Vec<Recipient>,
    due_at: i64,
) -> EngineResult<i64> {
    let (survey, answer) = access::answering(conn, acting, answer_id)?;
    if survey.state != OPEN {
        return Err(super::closed_error().into());
    }
    if matches!(answer.state.as_str(), SUBMITTED | ACCEPTED) {
        return Err(super::wrong_state().into());
    }
    if let Some(child) = answer.child_survey_id {
        if SurveyRow::find(conn, child)?.is_some() {
            return Err(refused(
                "answer",
                "surveys.err.alreadyRelayed",
                "This request has already been relayed. Open the relayed request instead.",
            )
            .into());
        }
    }
    let mut input = repeat(conn, files, acting, &survey)?;
    input.due_at = Some(due_at);
    input.recipients = Some(recipients);
    input.owners = Some(Vec::new());
    let new_id = store::create(conn, acting, &input)?;
    with_conn!(conn, |c| diesel::update(surveys::table.find(new_id))
        .set(surveys::parent_answer_id.eq(Some(answer_id)))
        .execute(c))?;
    with_conn!(conn, |c| diesel::update(
        survey_answers::table.find(answer_id)
    )
    .set(survey_answers::child_survey_id.eq(Some(new_id)))
    .execute(c))?;
    let now = acting.now().timestamp();
    add_event(
        conn,
        answer_id,
        now,
        acting.user_code(),
        "relayed",
        &format!("survey:{new_id}"),
    )?;
    acting.audit(
        conn,
        audit_action::RELAY,
        &format!("survey:{new_id}"),
        json!({"answer": answer_id, "survey": survey.id}),
    )?;
    Ok(new_id)
}

/// The submitted and accepted answers of the relayed survey `child`.
fn collected(conn: &mut DbConn, child: i64) -> EngineResult<Vec<AnswerRow>> {
    Ok(AnswerRow::of_survey(conn, child)?
        .into_iter()
        .filter(|a| matches!(a.state.as_str(), SUBMITTED | ACCEPTED))
        .collect())
}

/// Answer values merged from the child answers: subtables concatenated (row ids dropped, new rows
/// for the parent), numbers summed; other fields keep the parent's value.
fn merge_values(fields: &Value, parent: &Value, children: &[AnswerRow]) -> Map<String, Value> {
    let mut out = Map::new();
    let Some(props) = fields.as_object() else {
        return out;
    };
    let child_values: Vec<Value> = children
        .iter()
        .map(|a| serde_json::from_str(&a.answer_values).unwrap_or(Value::Null))
        .collect();
    for (code, prop) in props {
        let kind = prop.get("type").and_then(Value::as_str).unwrap_or("");
        let values = child_values
            .iter()
            .filter_map(|v| v.get(code)?.get("value"));
        match kind {
            "SUBTABLE" => {
                let rows: Vec<Value> = values
                    .filter_map(Value::as_array)
                    .flatten()
                    .map(|row| json!({"value": row.get("value").cloned().unwrap_or(json!({}))}))
                    .collect();
                out.insert(code.clone(), json!({"value": rows}));
            }
            "NUMBER" => {
                let mut any = false;
                let sum: rust_decimal::Decimal = values
                    .filter_map(|v| {
                        v.as_str()
                            .map(str::to_owned)
                            .or_else(|| v.as_f64().map(|f| f.to_string()))
                    })
                    .filter_map(|s| s.trim().parse::<rust_decimal::Decimal>().ok())
                    .inspect(|_| any = true)
                    .sum();
                if any {
                    out.insert(code.clone(), json!({"value": sum.normalize().to_string()}));
                }
            }
            _ => {
                if let Some(v) = parent.get(code) {
                    out.insert(code.clone(), v.clone());
                }
            }
        }
    }
    out
}

/// The rows of the child answers' sheets, concatenated (Table layouts; a Cells layout has one value
/// per name, which a merge cannot choose).
fn merged_sheet_rows(children: &[AnswerRow]) -> Vec<Vec<Cell>> {
    children
        .iter()
        .flat_map(|a| serde_json::from_str::<Vec<Vec<Cell>>>(&a.sheet_rows).unwrap_or_default())
        .collect()
}

/// Writes `rows` in the template's table layout (sheet name, header row, headers) as a workbook:
/// the parent answer's sheet, read back through `sheet::read_answer` like any upload.
fn table_workbook(spec: &SheetSpec, rows: &[Vec<Cell>]) -> EngineResult<Vec<u8>> {
    let SheetMode::Table {
        sheet,
        header_row,
        columns,
    } = &spec.mode
    else {
        return Err(refused(
            "answer",
            "surveys.err.mergeCells",
            "A sheet of named cells cannot be merged; fill it in from the collected answers.",
        )
        .into());
    };
    let internal =
        |e: rust_xlsxwriter::XlsxError| crate::EngineError::Internal(format!("merged sheet: {e}"));
    let mut book = rust_xlsxwriter::Workbook::new();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(internal)?;
    let head = header_row.saturating_sub(1);
    for (c, col) in columns.iter().enumerate() {
        ws.write_string(head, c as u16, &col.header)
            .map_err(internal)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let at = head + 1 + r as u32;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(t) => {
                    ws.write_string(at, c, t).map_err(internal)?;
                }
                Cell::Number(n) => {
                    ws.write_number(at, c, *n).map_err(internal)?;
                }
                Cell::Date(day) => {
                    use chrono::Datelike;
                    let excel = rust_xlsxwriter::ExcelDateTime::from_ymd(
                        u16::try_from(day.year()).unwrap_or(1900),
                        day.month() as u8,
                        day.day() as u8,
                    )
                    .map_err(internal)?;
                    ws.write_datetime_with_format(at, c, &excel, &date)
                        .map_err(internal)?;
                }
                Cell::DateTime(moment) => {
                    // Sheets read for relays hold no date-times; written as text if one appears.
                    ws.write_string(at, c, moment.format("%Y-%m-%d %H:%M").to_string())
                        .map_err(internal)?;
                }
                Cell::Empty => {}
            }
        }
    }
    book.save_to_buffer().map_err(internal)
}

/// Fills the draft of answer `answer_id` (a member of its organisation) from the answers collected
/// by its relayed survey; returns how many answers were merged. The parent answer stays a draft
/// for the person to check and submit.
pub fn merge_relay(
    conn: &mut DbConn,
    files: &FileStore,
    acting: &ActingContext,
    answer_id: i64,
) -> EngineResult<usize> {
    let (survey, answer) = access::answering(conn, acting, answer_id)?;
    let Some(child) = answer.child_survey_id else {
        return Err(refused(
            "id",
            "surveys.err.notRelayed",
            "This request has not been relayed.",
        )
        .into());
    };
    let children = collected(conn, child)?;
    if children.is_empty() {
        return Err(refused(
            "id",
            "surveys.err.nothingCollected",
            "No organisation has submitted an answer to the relayed request yet.",
        )
        .into());
    }
    let mut input = AnswerInput::default();
    if survey.has_fields() {
        let parent: Value = serde_json::from_str(&answer.answer_values).unwrap_or(Value::Null);
        input.values = Some(merge_values(&survey.fields_json(), &parent, &children));
    }
    let spec: Option<SheetSpec> = survey
        .sheet_json()
        .and_then(|v| serde_json::from_value(v).ok());
    if let Some(spec) = spec {
        let rows = merged_sheet_rows(&children);
        let bytes = table_workbook(&spec, &rows)?;
        let name = format!(
            "{}_merged.xlsx",
            spec.template_name.trim_end_matches(".xlsx")
        );
        input.sheet_file_key = Some(files.upload(
            conn,
            &name,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &bytes,
            acting.user_code(),
        )?);
    }
    answers::save(conn, acting, answer_id, &input, files)?;
    let now = acting.now().timestamp();
    add_event(
        conn,
        answer_id,
        now,
        acting.user_code(),
        "merged",
        &format!("{} / survey:{child}", children.len()),
    )?;
    acting.audit(
        conn,
        audit_action::MERGE_RELAY,
        &format!("survey_answer:{answer_id}"),
        json!({"from": child, "answers": children.len()}),
    )?;
    Ok(children.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(values: Value, rows: &str) -> AnswerRow {
        AnswerRow {
            state: SUBMITTED.into(),
            answer_values: values.to_string(),
            sheet_rows: rows.into(),
            ..AnswerRow::example()
        }
    }

    #[test]
    fn relayed_answers_merge_subtables_and_sum_numbers() {
        let fields = json!({
            "shelters": {"type": "NUMBER"},
            "note": {"type": "SINGLE_LINE_TEXT"},
            "list": {"type": "SUBTABLE", "fields": {"name": {"type": "SINGLE_LINE_TEXT"}}},
        });
        let a = answer(
            json!({"shelters": {"value": "3"}, "note": {"value": "a"},
                   "list": {"value": [{"id": "7", "value": {"name": {"value": "X"}}}]}}),
            r#"[[{"type":"TEXT","value":"r1"}]]"#,
        );
        let b = answer(
            json!({"shelters": {"value": "4.5"}, "note": {"value": "b"},
                   "list": {"value": [{"id": "9", "value": {"name": {"value": "Y"}}}]}}),
            r#"[[{"type":"TEXT","value":"r2"}]]"#,
        );
        let parent = json!({"note": {"value": "ours"}});
        let merged = merge_values(&fields, &parent, &[a.clone(), b.clone()]);
        assert_eq!(merged["shelters"]["value"], json!("7.5"));
        assert_eq!(merged["note"]["value"], json!("ours"));
        let rows = merged["list"]["value"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].get("id").is_none());
        assert_eq!(rows[1]["value"]["name"]["value"], json!("Y"));
        assert_eq!(merged_sheet_rows(&[a, b]).len(), 2);
    }
}
