//! Issue 14: survey relay (調査照会). An office sends one request (a *survey*) to many organisations —
//! guest organisations (guest spaces) and departments of the own body — and tracks one *answer*
//! per organisation until every answer is in (docs/surveys.md).
//!
//! Guarantees:
//! - **One access rule** (`access.rs`): a survey is managed by its owners (the creator and the
//!   named owners); an answer is opened by its organisation's members or the survey's owners,
//!   nobody else (`Forbidden`, kintone `CB_NO02`, also for a guessed id). A guest reaches an answer
//!   only through the path of the answer's guest space.
//! - **One answer per organisation**: `(survey_id, org_kind, org_code)` is unique and the
//!   broadcast inserts with `ON CONFLICT DO NOTHING`, so a replayed or killed broadcast never makes
//!   a duplicate; the broadcast, its notices and its reminder jobs commit in one transaction.
//! - **State changes are conditional writes** (`UPDATE … WHERE state IN (…)`), so a second submit,
//!   a submit after closing or any other wrong step is refused with a keyed `CB_VA01` message and
//!   writes nothing.
//! - Every step writes an event row (the answer's history), an audit row and a bell notice to the
//!   other side (`notifications::kind::SURVEY`); e-mail follows from the bell rows.
//!
//! Every use case takes the caller's `ActingContext`; nothing here knows HTTP.

pub mod access;
pub mod answers;
pub mod broadcast;
pub mod export;
pub mod lists;
pub mod merged;
pub mod relay;
pub mod sheet;
pub mod store;

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::db::schema::{survey_answer_events, survey_answers, surveys, users};
use crate::db::DbConn;
use crate::error::{EngineResult, Message, UserError};
use crate::with_conn;

/// Survey states.
pub const DRAFT: &str = "draft";
pub const OPEN: &str = "open";
pub const CLOSED: &str = "closed";

/// Answer states (stored English keys; pages label them 未開封, 開封済, 回答中, 回答済, 差戻し, 確定).
pub const UNOPENED: &str = "unopened";
pub const OPENED: &str = "opened";
pub const ANSWERING: &str = "draft";
pub const SUBMITTED: &str = "submitted";
pub const RETURNED: &str = "returned";
pub const ACCEPTED: &str = "accepted";
/// Every answer state, in the order of the dashboard.
pub const ANSWER_STATES: [&str; 6] = [UNOPENED, OPENED, ANSWERING, SUBMITTED, RETURNED, ACCEPTED];

/// Organisation kinds.
pub const SPACE: &str = "space";
pub const DEPARTMENT: &str = "department";

/// File roles of `survey_files`.
pub const ATTACHMENT: &str = "attachment";
pub const SHEET_TEMPLATE: &str = "sheet_template";

/// The durable job that reminds the organisations that have not answered (`broadcast::run_reminder`).
pub const REMIND_JOB: &str = "survey.remind";

/// Audit actions.
pub mod audit_action {
    pub const CREATE: &str = "survey.create";
    pub const UPDATE: &str = "survey.update";
    pub const DELETE: &str = "survey.delete";
    pub const SEND: &str = "survey.send";
    pub const REMIND: &str = "survey.remind";
    pub const CLOSE: &str = "survey.close";
    pub const ANSWER_SAVE: &str = "survey.answer.save";
    pub const ANSWER_SUBMIT: &str = "survey.answer.submit";
    pub const ANSWER_RETURN: &str = "survey.answer.return";
    pub const ANSWER_ACCEPT: &str = "survey.answer.accept";
    pub const ANSWER_DEADLINE: &str = "survey.answer.deadline";
    pub const LIST_SAVE: &str = "survey.list.save";
    pub const LIST_DELETE: &str = "survey.list.delete";
    pub const EXPORT: &str = "survey.export";
    pub const COPY: &str = "survey.copy";
    pub const RELAY: &str = "survey.relay";
    pub const MERGE_RELAY: &str = "survey.answer.merge_relay";
}

/// One survey row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = surveys)]
pub struct SurveyRow {
    pub id: i64,
    pub title: String,
    /// Sanitised HTML.
    pub body: String,
    pub due_at: i64,
    pub state: String,
    /// JSON: the answer fields' properties (`{}`: none).
    pub fields: String,
    /// JSON `sheet::SheetSpec`, or `''`: no answer sheet.
    pub sheet: String,
    /// JSON array of days before the due time.
    pub reminders: String,
    /// JSON array of user codes.
    pub owners: String,
    /// JSON array of `Recipient` (what the draft will be sent to).
    pub recipients: String,
    pub creator: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub sent_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub merge_app_id: Option<i64>,
    pub parent_answer_id: Option<i64>,
    pub copied_from: Option<i64>,
    pub reminders_sent: i64,
}

impl SurveyRow {
    pub fn find(conn: &mut DbConn, id: i64) -> EngineResult<Option<SurveyRow>> {
        Ok(with_conn!(conn, |c| surveys::table
            .find(id)
            .select(SurveyRow::as_select())
            .first(c)
            .optional())?)
    }

    /// The owners: the creator first, then the named owners, each once.
    pub fn owner_codes(&self) -> Vec<String> {
        let mut out = vec![self.creator.clone()];
        for o in json_strings(&self.owners) {
            if !out.contains(&o) {
                out.push(o);
            }
        }
        out
    }

    pub fn fields_json(&self) -> Value {
        serde_json::from_str(&self.fields).unwrap_or_else(|_| Value::Object(Default::default()))
    }

    /// Whether the survey asks for answer fields.
    pub fn has_fields(&self) -> bool {
        self.fields_json()
            .as_object()
            .is_some_and(|m| !m.is_empty())
    }

    /// The answer sheet's spec as stored (JSON), None when the survey has no sheet.
    pub fn sheet_json(&self) -> Option<Value> {
        if self.sheet.trim().is_empty() {
            return None;
        }
        serde_json::from_str(&self.sheet).ok()
    }

    pub fn recipients_list(&self) -> Vec<Recipient> {
        serde_json::from_str(&self.recipients).unwrap_or_default()
    }

    pub fn reminder_days(&self) -> Vec<i64> {
        serde_json::from_str(&self.reminders).unwrap_or_default()
    }
}

/// One answer row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = survey_answers)]
pub struct AnswerRow {
    pub id: i64,
    pub survey_id: i64,
    pub org_kind: String,
    pub org_code: String,
    pub org_name: String,
    /// JSON array of user codes.
    pub contacts: String,
    pub state: String,
    pub due_at: Option<i64>,
    pub opened_by: Option<String>,
    pub opened_at: Option<i64>,
    pub saved_by: Option<String>,
    pub saved_at: Option<i64>,
    pub submitted_by: Option<String>,
    pub submitted_at: Option<i64>,
    pub returned_by: Option<String>,
    pub returned_at: Option<i64>,
    pub return_comment: String,
    pub accepted_by: Option<String>,
    pub accepted_at: Option<i64>,
    pub answer_values: String,
    pub sheet_file_key: Option<String>,
    pub sheet_rows: String,
    pub sheet_problems: String,
    pub merge_record_id: Option<i64>,
    pub child_survey_id: Option<i64>,
    pub revision: i64,
}

impl AnswerRow {
    /// An unopened answer of organisation space 1 「A」 with nothing in it, for unit tests.
    #[cfg(test)]
    pub(crate) fn example() -> AnswerRow {
        AnswerRow {
            id: 1,
            survey_id: 1,
            org_kind: SPACE.into(),
            org_code: "1".into(),
            org_name: "A".into(),
            contacts: "[]".into(),
            state: UNOPENED.into(),
            due_at: None,
            opened_by: None,
            opened_at: None,
            saved_by: None,
            saved_at: None,
            submitted_by: None,
            submitted_at: None,
            returned_by: None,
            returned_at: None,
            return_comment: String::new(),
            accepted_by: None,
            accepted_at: None,
            answer_values: "{}".into(),
            sheet_file_key: None,
            sheet_rows: "[]".into(),
            sheet_problems: "[]".into(),
            merge_record_id: None,
            child_survey_id: None,
            revision: 1,
        }
    }

    pub fn find(conn: &mut DbConn, id: i64) -> EngineResult<Option<AnswerRow>> {
        Ok(with_conn!(conn, |c| survey_answers::table
            .find(id)
            .select(AnswerRow::as_select())
            .first(c)
            .optional())?)
    }

    /// The answers of a survey, by id.
    pub fn of_survey(conn: &mut DbConn, survey: i64) -> EngineResult<Vec<AnswerRow>> {
        Ok(with_conn!(conn, |c| survey_answers::table
            .filter(survey_answers::survey_id.eq(survey))
            .order(survey_answers::id.asc())
            .select(AnswerRow::as_select())
            .load(c))?)
    }

    pub fn contact_codes(&self) -> Vec<String> {
        json_strings(&self.contacts)
    }

    /// The due time of this answer: its own extension, else the survey's.
    pub fn due(&self, survey: &SurveyRow) -> i64 {
        self.due_at.unwrap_or(survey.due_at)
    }

    /// Late: past due and not submitted or accepted.
    pub fn is_late(&self, survey: &SurveyRow, now: i64) -> bool {
        now > self.due(survey) && !matches!(self.state.as_str(), SUBMITTED | ACCEPTED)
    }

    pub fn organisation(&self) -> Organisation {
        Organisation {
            kind: self.org_kind.clone(),
            code: self.org_code.clone(),
            name: self.org_name.clone(),
        }
    }
}

/// An organisation (回答組織): a guest space (`code` = the space id) or a department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub kind: String,
    pub code: String,
    #[serde(default)]
    pub name: String,
}

/// A recipient of a draft: an organisation (or a saved list, expanded at send) and, when named,
/// its contacts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// `space`, `department` or `list`.
    pub kind: String,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Vec<String>>,
}

/// One event of an answer's history.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = survey_answer_events)]
pub struct EventRow {
    pub id: i64,
    pub answer_id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub comment: String,
}

/// Writes one event of an answer's history.
pub fn add_event(
    conn: &mut DbConn,
    answer: i64,
    at: i64,
    actor: &str,
    action: &str,
    comment: &str,
) -> EngineResult<()> {
    with_conn!(conn, |c| diesel::insert_into(survey_answer_events::table)
        .values((
            survey_answer_events::answer_id.eq(answer),
            survey_answer_events::at.eq(at),
            survey_answer_events::actor.eq(actor),
            survey_answer_events::action.eq(action),
            survey_answer_events::comment.eq(comment),
        ))
        .execute(c))?;
    Ok(())
}

/// Whether the upload `key` is already held by a survey, an answer or a thread post (an upload is
/// attached to one thing only).
pub(crate) fn attached_elsewhere(conn: &mut DbConn, key: &str) -> EngineResult<bool> {
    use crate::db::schema::{survey_answer_files, survey_files, thread_post_files};
    let held = with_conn!(conn, |c| survey_files::table
        .find(key)
        .count()
        .get_result::<i64>(c))?
        + with_conn!(conn, |c| survey_answer_files::table
            .find(key)
            .count()
            .get_result::<i64>(c))?
        + with_conn!(conn, |c| thread_post_files::table
            .find(key)
            .count()
            .get_result::<i64>(c))?;
    Ok(held > 0)
}

/// The history of an answer, oldest first.
pub fn events_of(conn: &mut DbConn, answer: i64) -> EngineResult<Vec<EventRow>> {
    Ok(with_conn!(conn, |c| survey_answer_events::table
        .filter(survey_answer_events::answer_id.eq(answer))
        .order(survey_answer_events::id.asc())
        .select(EventRow::as_select())
        .load(c))?)
}

/// A JSON array of strings (anything else reads as empty).
pub fn json_strings(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// The display names of `codes` (unknown codes are left out).
pub fn user_names(conn: &mut DbConn, codes: &[String]) -> EngineResult<HashMap<String, String>> {
    let mut out = HashMap::new();
    for chunk in codes.chunks(500) {
        let rows: Vec<(String, String)> = with_conn!(conn, |c| users::table
            .filter(users::code.eq_any(chunk))
            .select((users::code, users::name))
            .load(c))?;
        out.extend(rows);
    }
    Ok(out)
}

/// A keyed `CB_VA01` error of the surveys (`platform/i18n/surveys_api.*.json`).
pub fn refused(key: &str, catalog: &'static str, text: &str) -> UserError {
    UserError::invalid(key, Message::keyed(catalog, text))
}

/// The error of a step that the answer's or the survey's state does not allow.
pub fn wrong_state() -> UserError {
    refused(
        "id",
        "surveys.err.state",
        "This step is not possible in the current state of the answer or the survey. Reload and try again.",
    )
}

/// Serialises the survey's answers on PostgreSQL for the rest of the transaction (SQLite has one
/// writer already), so that closing and answering never interleave.
pub(crate) fn lock_survey(conn: &mut DbConn, survey: i64) -> EngineResult<()> {
    if conn.dialect() == crate::db::Dialect::Postgres {
        let mut b = conn.sql();
        b.push("SELECT id AS n FROM surveys WHERE id = ")
            .bind_int(survey)
            .push(" FOR UPDATE");
        let _: Vec<crate::db::IntRow> = conn.load(&b)?;
    }
    Ok(())
}

/// RFC 3339 (UTC, seconds) of epoch seconds.
pub fn iso(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// The error of an answer step after the survey was closed.
pub fn closed_error() -> UserError {
    refused(
        "id",
        "surveys.err.closed",
        "The survey is closed. Answers can no longer be saved or submitted.",
    )
}
