//! The steps of an answer: open (the first view by a member marks it opened, once), save a draft,
//! submit (full validation), return with a comment and accept (owners), extend the deadline of one
//! organisation (owners), and close the survey (owners).
//!
//! Answer values of a survey with answer fields are checked exactly like a record of an app with
//! those fields (`records::validate::normalize_record` on `store::answer_definition`); a draft is
//! checked for types but not for required fields. An answer sheet upload is read with
//! `sheet::read_answer`: structural problems refuse the save, cell problems are kept beside the
//! rows. Every state change is a conditional `UPDATE … WHERE state IN (…)`: a second submit, a
//! submit after closing or any other wrong step writes nothing and answers a keyed `CB_VA01`.

use std::collections::HashMap;

use diesel::prelude::*;
use serde_json::{json, Map, Value};

use super::access::{self, AnswerRole};
use super::broadcast::{notify_contacts, notify_owners};
use super::store::{self, person_json};
use super::{
    add_event, closed_error, events_of, lock_survey, refused, wrong_state, AnswerRow, SurveyRow,
    ACCEPTED, ANSWERING, CLOSED, OPEN, OPENED, RETURNED, SUBMITTED, UNOPENED,
};
use crate::acting::ActingContext;
use crate::db::schema::{files, survey_answer_files, survey_answers, surveys, users};
use crate::db::DbConn;
use crate::error::{EngineResult, UserError};
use crate::fields::FieldType;
use crate::records::validate::{normalize_record, Resolver, WriteContext, WriteMode};
use crate::records::FileStore;
use crate::with_conn;

/// The states an answer may be saved or submitted from.
const ANSWERABLE: [&str; 4] = [UNOPENED, OPENED, ANSWERING, RETURNED];
pub const MAX_COMMENT_CHARS: usize = 5_000;

/// What a member sends when saving or submitting.
#[derive(Debug, Clone, Default)]
pub struct AnswerInput {
    /// kintone record format `{code: {value}}`; None keeps the stored values.
    pub values: Option<Map<String, Value>>,
    /// A fresh upload of the filled answer sheet.
    pub sheet_file_key: Option<String>,
}

/// The answer with its request, for its owners or its organisation's members; a member's first
/// view marks it opened (who, when).
pub fn open(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<Value> {
    let (survey, mut answer, role) = access::open_answer(conn, acting, id)?;
    let now = acting.now().timestamp();
    let member = role == AnswerRole::Member || access::is_member(conn, acting, &answer)?;
    if member && answer.state == UNOPENED {
        let me = acting.user_code().to_owned();
        let n = with_conn!(conn, |c| diesel::update(
            survey_answers::table
                .filter(survey_answers::id.eq(id))
                .filter(survey_answers::state.eq(UNOPENED))
        )
        .set((
            survey_answers::state.eq(OPENED),
            survey_answers::opened_by.eq(Some(&me)),
            survey_answers::opened_at.eq(Some(now)),
        ))
        .execute(c))?;
        if n > 0 {
            add_event(conn, id, now, &me, "opened", "")?;
            answer.state = OPENED.to_owned();
            answer.opened_by = Some(me);
            answer.opened_at = Some(now);
        }
    }
    view(conn, acting, &survey, &answer, role)
}

fn view(
    conn: &mut DbConn,
    acting: &ActingContext,
    survey: &SurveyRow,
    answer: &AnswerRow,
    role: AnswerRole,
) -> EngineResult<Value> {
    let now = acting.now().timestamp();
    let events = events_of(conn, answer.id)?;
    let mut codes: Vec<String> = events.iter().map(|e| e.actor.clone()).collect();
    codes.extend(answer.contact_codes());
    codes.extend(
        [&answer.opened_by, &answer.submitted_by, &answer.saved_by]
            .into_iter()
            .flatten()
            .cloned(),
    );
    codes.sort();
    codes.dedup();
    let names = super::user_names(conn, &codes)?;
    let sheet = match &answer.sheet_file_key {
        Some(key) => {
            let meta: Option<(String, i64)> = with_conn!(conn, |c| files::table
                .find(key)
                .select((files::name, files::size))
                .first(c)
                .optional())?;
            json!({
                "fileKey": key,
                "name": meta.as_ref().map(|m| m.0.clone()).unwrap_or_default(),
                "size": meta.map(|m| m.1.to_string()).unwrap_or_default(),
                "rows": serde_json::from_str::<Value>(&answer.sheet_rows).unwrap_or(json!([])),
            })
        }
        None => Value::Null,
    };
    let events: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({
                "at": super::iso(e.at),
                "actor": if e.actor.is_empty() { Value::Null } else { person_json(&names, Some(&e.actor)) },
                "action": e.action,
                "comment": e.comment,
            })
        })
        .collect();
    let mut survey_json = store::request_json(conn, survey)?;
    survey_json["isOwner"] = json!(role == AnswerRole::Owner);
    Ok(json!({
        "answer": {
            "id": answer.id,
            "state": answer.state,
            "late": answer.is_late(survey, now),
            "dueAt": super::iso(answer.due(survey)),
            "organisation": answer.organisation(),
            "contacts": store::people_json(&names, &answer.contact_codes()),
            "values": serde_json::from_str::<Value>(&answer.answer_values).unwrap_or(json!({})),
            "sheet": sheet,
            "sheetProblems": serde_json::from_str::<Value>(&answer.sheet_problems).unwrap_or(json!([])),
            "returnComment": answer.return_comment,
            "openedAt": answer.opened_at.map(super::iso),
            "openedBy": person_json(&names, answer.opened_by.as_deref()),
            "savedAt": answer.saved_at.map(super::iso),
            "submittedAt": answer.submitted_at.map(super::iso),
            "submittedBy": person_json(&names, answer.submitted_by.as_deref()),
            "revision": answer.revision,
            "events": events,
        },
        "survey": survey_json,
    }))
}

/// Checks that the survey takes answers and the answer may be saved or submitted.
fn check_answerable(survey: &SurveyRow, answer: &AnswerRow) -> EngineResult<()> {
    if survey.state == CLOSED {
        return Err(closed_error().into());
    }
    if survey.state != OPEN {
        return Err(wrong_state().into());
    }
    match answer.state.as_str() {
        SUBMITTED => Err(refused(
            "id",
            "surveys.err.alreadySubmitted",
            "This answer has already been submitted. Ask the sender to return it for corrections.",
        )
        .into()),
        ACCEPTED => Err(refused(
            "id",
            "surveys.err.alreadyAccepted",
            "This answer has been accepted and can no longer be changed.",
        )
        .into()),
        _ => Ok(()),
    }
}

/// Saves a draft of the answer (its organisation's members); returns the new revision.
pub fn save(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
    input: &AnswerInput,
    files: &FileStore,
) -> EngineResult<i64> {
    write(conn, acting, id, input, files, false)
}

/// Submits the answer (its organisation's members): every required field and the answer sheet
/// (when the survey has one) must be there. Returns the new revision.
pub fn submit(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
    input: &AnswerInput,
    files: &FileStore,
) -> EngineResult<i64> {
    write(conn, acting, id, input, files, true)
}

fn write(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
    input: &AnswerInput,
    files: &FileStore,
    submitting: bool,
) -> EngineResult<i64> {
    let (survey, answer) = access::answering(conn, acting, id)?;
    lock_survey(conn, survey.id)?;
    // Read again under the lock: a close or another submit may have committed meanwhile.
    let survey = SurveyRow::find(conn, survey.id)?.ok_or(UserError::Forbidden)?;
    let answer = AnswerRow::find(conn, answer.id)?.ok_or(UserError::Forbidden)?;
    check_answerable(&survey, &answer)?;
    let now = acting.now().timestamp();
    let me = acting.user_code().to_owned();
    // Values: checked against the answer fields like a record.
    let values = if survey.has_fields() {
        let stored: Map<String, Value> =
            serde_json::from_str(&answer.answer_values).unwrap_or_default();
        let given = input.values.clone().unwrap_or_else(|| strip_types(&stored));
        let normalized = check_values(conn, acting, &survey, &given, submitting)?;
        serde_json::to_string(&normalized)?
    } else {
        "{}".to_owned()
    };
    // The answer sheet: a fresh upload is read against the spec.
    let mut sheet_key = answer.sheet_file_key.clone();
    let mut sheet_rows = answer.sheet_rows.clone();
    let mut sheet_problems = answer.sheet_problems.clone();
    if let Some(key) = &input.sheet_file_key {
        let Some(spec_json) = survey.sheet_json() else {
            return Err(refused(
                "sheetFileKey",
                "surveys.err.noSheet",
                "This survey has no answer sheet.",
            )
            .into());
        };
        let spec: super::sheet::SheetSpec = serde_json::from_value(spec_json)
            .map_err(|e| crate::error::EngineError::Internal(format!("survey sheet spec: {e}")))?;
        let storage = fresh_upload(conn, &me, key)?;
        let local = files.open_local(conn, &storage)?;
        let read = super::sheet::read_answer(&spec, local.path())?;
        sheet_rows = serde_json::to_string(&read.rows)?;
        sheet_problems = serde_json::to_string(&read.problems)?;
        if let Some(old) = &answer.sheet_file_key {
            with_conn!(conn, |c| diesel::delete(
                survey_answer_files::table.find(old)
            )
            .execute(c))?;
        }
        with_conn!(conn, |c| diesel::insert_into(survey_answer_files::table)
            .values((
                survey_answer_files::file_key.eq(key),
                survey_answer_files::answer_id.eq(id),
            ))
            .execute(c))?;
        sheet_key = Some(key.clone());
    }
    if submitting && survey.sheet_json().is_some() && sheet_key.is_none() {
        return Err(refused(
            "sheetFileKey",
            "surveys.err.sheetRequired",
            "Upload the filled answer sheet before submitting.",
        )
        .into());
    }
    let revision = answer.revision + 1;
    let state = if submitting { SUBMITTED } else { ANSWERING };
    let opened_by = answer.opened_by.clone().unwrap_or_else(|| me.clone());
    let opened_at = answer.opened_at.unwrap_or(now);
    let n = with_conn!(conn, |c| diesel::update(
        survey_answers::table
            .filter(survey_answers::id.eq(id))
            .filter(survey_answers::revision.eq(answer.revision))
            .filter(survey_answers::state.eq_any(ANSWERABLE))
    )
    .set((
        survey_answers::state.eq(state),
        survey_answers::opened_by.eq(Some(&opened_by)),
        survey_answers::opened_at.eq(Some(opened_at)),
        survey_answers::saved_by.eq(Some(&me)),
        survey_answers::saved_at.eq(Some(now)),
        survey_answers::answer_values.eq(&values),
        survey_answers::sheet_file_key.eq(&sheet_key),
        survey_answers::sheet_rows.eq(&sheet_rows),
        survey_answers::sheet_problems.eq(&sheet_problems),
        survey_answers::revision.eq(revision),
    ))
    .execute(c))?;
    if n == 0 {
        return Err(wrong_state().into());
    }
    if submitting {
        with_conn!(conn, |c| diesel::update(survey_answers::table.find(id))
            .set((
                survey_answers::submitted_by.eq(Some(&me)),
                survey_answers::submitted_at.eq(Some(now)),
            ))
            .execute(c))?;
    }
    if answer.opened_at.is_none() {
        add_event(conn, id, now, &me, "opened", "")?;
    }
    let action = if submitting { "submitted" } else { "saved" };
    add_event(conn, id, now, &me, action, "")?;
    if submitting {
        notify_owners(
            conn,
            acting,
            &survey,
            &answer,
            &format!("survey:{}:answer:{id}:submitted:{revision}", survey.id),
            "",
            now,
        )?;
    }
    acting.audit(
        conn,
        if submitting {
            super::audit_action::ANSWER_SUBMIT
        } else {
            super::audit_action::ANSWER_SAVE
        },
        &format!("survey_answer:{id}"),
        json!({"survey": survey.id, "organisation": answer.org_name, "revision": revision}),
    )?;
    Ok(revision)
}

/// A stored value map as a request (`{code: {value}}` without `type`), to check it again.
fn strip_types(stored: &Map<String, Value>) -> Map<String, Value> {
    stored
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                json!({"value": v.get("value").cloned().unwrap_or(Value::Null)}),
            )
        })
        .collect()
}

/// The upload `key` of `me` that nothing else holds; returns its storage path.
pub(crate) fn fresh_upload(conn: &mut DbConn, me: &str, key: &str) -> EngineResult<String> {
    let meta: Option<(String, Option<i64>, String)> = with_conn!(conn, |c| files::table
        .find(key)
        .select((files::storage_path, files::app_id, files::uploaded_by))
        .first(c)
        .optional())?;
    let Some((storage, app, uploader)) = meta else {
        return Err(UserError::FileNotFound(key.to_owned()).into());
    };
    if app.is_some() || uploader != me || super::attached_elsewhere(conn, key)? {
        return Err(UserError::FileNotFound(key.to_owned()).into());
    }
    Ok(storage)
}

/// Resolves users and subtable row ids for the record validation of answers. Answers have no
/// file fields (`store::answer_type_allowed`).
struct AnswerResolver<'c> {
    conn: &'c mut DbConn,
    next_row: i64,
    names: HashMap<String, Option<String>>,
}

impl Resolver for AnswerResolver<'_> {
    fn user_name(&mut self, code: &str) -> Option<String> {
        if let Some(n) = self.names.get(code) {
            return n.clone();
        }
        let conn = &mut *self.conn;
        let found: Option<String> = with_conn!(conn, |c| users::table
            .filter(users::code.eq(code))
            .select(users::name)
            .first::<String>(c)
            .optional())
        .ok()
        .flatten();
        self.names.insert(code.to_owned(), found.clone());
        found
    }

    fn entity_name(&mut self, _kind: FieldType, code: &str) -> Option<String> {
        Some(code.to_owned())
    }

    fn file(&mut self, _file_key: &str) -> Option<Value> {
        None
    }

    fn next_row_id(&mut self) -> i64 {
        self.next_row += 1;
        self.next_row
    }
}

/// Checks answer values like a record of an app with the survey's fields; a draft (`full` false)
/// is not held to required fields.
fn check_values(
    conn: &mut DbConn,
    acting: &ActingContext,
    survey: &SurveyRow,
    given: &Map<String, Value>,
    full: bool,
) -> EngineResult<Map<String, Value>> {
    let mut def = store::answer_definition(&survey.fields_json())?;
    if !full {
        for p in def.properties.values_mut() {
            p.required = None;
            if let Some(inner) = p.fields.as_mut() {
                for q in inner.values_mut() {
                    q.required = None;
                }
            }
        }
    }
    let ctx = WriteContext {
        definition: &def,
        mode: WriteMode::Add,
        now: acting.now(),
        user_code: acting.user_code(),
        user_name: acting.user_code(),
        timezone: acting.timezone(),
        error_prefix: "values.".into(),
    };
    let mut resolver = AnswerResolver {
        conn,
        next_row: acting.now().timestamp_millis(),
        names: HashMap::new(),
    };
    let values = normalize_record(&ctx, given, None, &mut resolver).map_err(|errors| {
        let errors = errors
            .into_iter()
            .map(|(k, v)| (k.replacen("values.record", "values", 1), v))
            .collect();
        crate::error::EngineError::from(UserError::Validation(errors))
    })?;
    // Stored in kintone's record format: `{code: {type, value}}`.
    Ok(values
        .into_iter()
        .map(|(code, value)| {
            let kind = def
                .properties
                .get(&code)
                .map(|p| json!(p.field_type))
                .unwrap_or(Value::Null);
            (code, json!({"type": kind, "value": value}))
        })
        .collect())
}

/// Returns a submitted answer for corrections with a comment (owners); its contacts are told.
pub fn return_answer(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
    comment: &str,
) -> EngineResult<()> {
    let comment = comment.trim();
    if comment.is_empty() {
        return Err(refused("comment", "surveys.err.commentRequired", "Enter a comment.").into());
    }
    if comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(refused(
            "comment",
            "surveys.err.commentTooLong",
            "Enter a comment of 5000 characters or less.",
        )
        .into());
    }
    decide(conn, acting, id, RETURNED, comment)
}

/// Accepts a submitted answer (owners); its contacts are told.
pub fn accept(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<()> {
    decide(conn, acting, id, ACCEPTED, "")
}

fn decide(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
    to: &str,
    comment: &str,
) -> EngineResult<()> {
    let (survey, answer) = access::owned_answer(conn, acting, id)?;
    lock_survey(conn, survey.id)?;
    let survey = SurveyRow::find(conn, survey.id)?.ok_or(UserError::Forbidden)?;
    if survey.state == CLOSED && to == RETURNED {
        return Err(closed_error().into());
    }
    let now = acting.now().timestamp();
    let me = acting.user_code().to_owned();
    let revision = answer.revision + 1;
    let n = if to == RETURNED {
        with_conn!(conn, |c| diesel::update(
            survey_answers::table
                .filter(survey_answers::id.eq(id))
                .filter(survey_answers::state.eq(SUBMITTED))
        )
        .set((
            survey_answers::state.eq(RETURNED),
            survey_answers::returned_by.eq(Some(&me)),
            survey_answers::returned_at.eq(Some(now)),
            survey_answers::return_comment.eq(comment),
            survey_answers::revision.eq(revision),
        ))
        .execute(c))?
    } else {
        with_conn!(conn, |c| diesel::update(
            survey_answers::table
                .filter(survey_answers::id.eq(id))
                .filter(survey_answers::state.eq(SUBMITTED))
        )
        .set((
            survey_answers::state.eq(ACCEPTED),
            survey_answers::accepted_by.eq(Some(&me)),
            survey_answers::accepted_at.eq(Some(now)),
            survey_answers::revision.eq(revision),
        ))
        .execute(c))?
    };
    if n == 0 {
        return Err(refused(
            "id",
            "surveys.err.notSubmitted",
            "Only a submitted answer can be returned or accepted.",
        )
        .into());
    }
    add_event(conn, id, now, &me, to, comment)?;
    notify_contacts(
        conn,
        acting,
        &survey,
        &answer,
        &format!("survey:{}:answer:{id}:{to}:{revision}", survey.id),
        comment,
        now,
    )?;
    acting.audit(
        conn,
        if to == RETURNED {
            super::audit_action::ANSWER_RETURN
        } else {
            super::audit_action::ANSWER_ACCEPT
        },
        &format!("survey_answer:{id}"),
        json!({"survey": survey.id, "organisation": answer.org_name}),
    )
}

/// Gives one organisation its own due time (owners; `None` goes back to the survey's).
pub fn set_deadline(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
    due_at: Option<i64>,
) -> EngineResult<()> {
    let (survey, answer) = access::owned_answer(conn, acting, id)?;
    if survey.state == CLOSED {
        return Err(closed_error().into());
    }
    let now = acting.now().timestamp();
    let me = acting.user_code().to_owned();
    let revision = answer.revision + 1;
    with_conn!(conn, |c| diesel::update(survey_answers::table.find(id))
        .set((
            survey_answers::due_at.eq(due_at),
            survey_answers::revision.eq(revision),
        ))
        .execute(c))?;
    let due = due_at.unwrap_or(survey.due_at);
    add_event(conn, id, now, &me, "deadline", &super::iso(due))?;
    notify_contacts(
        conn,
        acting,
        &survey,
        &answer,
        &format!("survey:{}:answer:{id}:deadline:{revision}", survey.id),
        &super::iso(due),
        now,
    )?;
    acting.audit(
        conn,
        super::audit_action::ANSWER_DEADLINE,
        &format!("survey_answer:{id}"),
        json!({"survey": survey.id, "organisation": answer.org_name, "dueAt": super::iso(due)}),
    )
}

/// Closes the survey (owners): no more saves or submits. The organisations that had not answered
/// are told.
pub fn close(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<()> {
    let survey = access::owned_survey(conn, acting, id)?;
    lock_survey(conn, id)?;
    let now = acting.now().timestamp();
    let n = with_conn!(conn, |c| diesel::update(
        surveys::table
            .filter(surveys::id.eq(id))
            .filter(surveys::state.eq(OPEN))
    )
    .set((
        surveys::state.eq(CLOSED),
        surveys::closed_at.eq(Some(now)),
        surveys::updated_at.eq(now),
    ))
    .execute(c))?;
    if n == 0 {
        return Err(if survey.state == CLOSED {
            refused(
                "id",
                "surveys.err.alreadyClosed",
                "The survey is already closed.",
            )
        } else {
            refused(
                "id",
                "surveys.err.notSent",
                "The survey has not been sent yet.",
            )
        }
        .into());
    }
    for a in AnswerRow::of_survey(conn, id)?
        .iter()
        .filter(|a| !matches!(a.state.as_str(), SUBMITTED | ACCEPTED))
    {
        notify_contacts(
            conn,
            acting,
            &survey,
            a,
            &format!("survey:{id}:closed"),
            "",
            now,
        )?;
    }
    acting.audit(
        conn,
        super::audit_action::CLOSE,
        &format!("survey:{id}"),
        json!({"title": survey.title}),
    )
}

/// The sender's dashboard (owners): counts and one row per organisation, sorted by `sort`
/// (`state`, `organisation`, `openedAt`, `submittedAt`; else by id) in `order` (`asc`/`desc`).
pub fn dashboard(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
    sort: Option<&str>,
    descending: bool,
) -> EngineResult<Value> {
    let survey = access::owned_survey(conn, acting, id)?;
    let now = acting.now().timestamp();
    let mut answers = AnswerRow::of_survey(conn, id)?;
    let rank = |s: &str| {
        super::ANSWER_STATES
            .iter()
            .position(|x| *x == s)
            .unwrap_or(99)
    };
    match sort {
        Some("state") => answers.sort_by_key(|a| (rank(&a.state), a.id)),
        Some("organisation") => {
            answers.sort_by(|a, b| (&a.org_name, a.id).cmp(&(&b.org_name, b.id)))
        }
        // Not yet opened/submitted last in ascending order.
        Some("openedAt") => answers.sort_by_key(|a| (a.opened_at.unwrap_or(i64::MAX), a.id)),
        Some("submittedAt") => answers.sort_by_key(|a| (a.submitted_at.unwrap_or(i64::MAX), a.id)),
        _ => {}
    }
    if descending {
        answers.reverse();
    }
    let mut codes: Vec<String> = Vec::new();
    for a in &answers {
        codes.extend(a.contact_codes());
        codes.extend(
            [&a.opened_by, &a.submitted_by]
                .into_iter()
                .flatten()
                .cloned(),
        );
    }
    codes.sort();
    codes.dedup();
    let names = super::user_names(conn, &codes)?;
    let rows: Vec<Value> = answers
        .iter()
        .map(|a| {
            let problems = serde_json::from_str::<Vec<Value>>(&a.sheet_problems)
                .map(|p| p.len())
                .unwrap_or(0);
            json!({
                "id": a.id,
                "organisation": a.organisation(),
                "contacts": store::people_json(&names, &a.contact_codes()),
                "state": a.state,
                "late": a.is_late(&survey, now),
                "dueAt": super::iso(a.due(&survey)),
                "extended": a.due_at.is_some(),
                "openedAt": a.opened_at.map(super::iso),
                "openedBy": person_json(&names, a.opened_by.as_deref()),
                "submittedAt": a.submitted_at.map(super::iso),
                "submittedBy": person_json(&names, a.submitted_by.as_deref()),
                "returnComment": a.return_comment,
                "problems": problems,
            })
        })
        .collect();
    let mut survey_json = store::request_json(conn, &survey)?;
    survey_json["reminders"] = json!(survey.reminder_days());
    survey_json["remindersSent"] = json!(survey.reminders_sent);
    Ok(json!({
        "survey": survey_json,
        "counts": store::counts_json(&answers, &survey, now),
        "answers": rows,
    }))
}
