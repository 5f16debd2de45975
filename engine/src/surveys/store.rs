//! Drafts and the survey lists: create, update, get and delete a draft (owners only), the sent and
//! received boxes with a text search over title and body, and the choosable organisations.
//!
//! A draft keeps its recipients as entered (lists are expanded at send); attachments and the
//! answer-sheet template are uploads of the actor (`POST /k/v1/file.json`), attached by key.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use indexmap::IndexMap;
use serde_json::{json, Map, Value};

use super::access::{self, SurveyRole};
use super::{
    refused, AnswerRow, Recipient, SurveyRow, ANSWER_STATES, ATTACHMENT, DEPARTMENT, DRAFT,
    SHEET_TEMPLATE, SPACE,
};
use crate::acting::ActingContext;
use crate::apps::AppDefinition;
use crate::db::schema::{files, survey_answers, survey_files, survey_lists, surveys, users};
use crate::db::DbConn;
use crate::error::{EngineResult, FieldErrors, UserError};
use crate::fields::{FieldProperty, FieldType};
use crate::with_conn;

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 100_000;
pub const MAX_ATTACHMENTS: usize = 20;
pub const MAX_RECIPIENTS: usize = 5_000;
/// Reminders are planned at most this many days before the due time.
pub const MAX_REMINDER_DAYS: i64 = 365;

/// The answer-sheet part of a draft: the template's upload key and the spec members
/// (`mode`, `sheet`, `headerRow`, `columns`, `cells`) as the API sends them.
#[derive(Debug, Clone, Default)]
pub struct SheetInput {
    pub file_key: String,
    pub spec: Map<String, Value>,
}

/// What a draft says. On update, `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct SurveyInput {
    pub title: Option<String>,
    /// HTML (sanitised on write).
    pub body: Option<String>,
    pub due_at: Option<i64>,
    pub attachments: Option<Vec<String>>,
    /// The answer fields' properties (`{}`: none).
    pub fields: Option<Value>,
    /// `Some(None)`: no answer sheet.
    pub sheet: Option<Option<SheetInput>>,
    pub recipients: Option<Vec<Recipient>>,
    pub owners: Option<Vec<String>>,
    pub reminders: Option<Vec<i64>>,
}

fn refuse_guests_and_tokens(acting: &ActingContext) -> EngineResult<()> {
    let p = acting.principal();
    if p.is_token() {
        return Err(UserError::TokenNotPermitted.into());
    }
    if p.is_guest() || acting.guest_space().is_some() {
        // Guests never create or manage surveys; owners act outside guest paths.
        return Err(UserError::Forbidden.into());
    }
    Ok(())
}

/// The storage path of an upload of the actor that nothing holds yet (to inspect a template).
pub fn own_upload(conn: &mut DbConn, acting: &ActingContext, key: &str) -> EngineResult<String> {
    refuse_guests_and_tokens(acting)?;
    super::answers::fresh_upload(conn, acting.user_code(), key)
}

/// Creates a draft owned by the actor; returns its id.
pub fn create(conn: &mut DbConn, acting: &ActingContext, input: &SurveyInput) -> EngineResult<i64> {
    refuse_guests_and_tokens(acting)?;
    let now = acting.now().timestamp();
    let me = acting.user_code().to_owned();
    let title = input.title.clone().unwrap_or_default();
    let due_at = input.due_at.ok_or_else(|| {
        refused(
            "dueAt",
            "surveys.err.dueRequired",
            "Enter the due date and time.",
        )
    })?;
    let checked = check(conn, acting, &title, input, None)?;
    let id: i64 = with_conn!(conn, |c| diesel::insert_into(surveys::table)
        .values((
            surveys::title.eq(title.trim()),
            surveys::body.eq(&checked.body),
            surveys::due_at.eq(due_at),
            surveys::state.eq(DRAFT),
            surveys::fields.eq(&checked.fields),
            surveys::sheet.eq(&checked.sheet),
            surveys::reminders.eq(&checked.reminders),
            surveys::owners.eq(&checked.owners),
            surveys::recipients.eq(&checked.recipients),
            surveys::creator.eq(&me),
            surveys::created_at.eq(now),
            surveys::updated_at.eq(now),
            surveys::reminders_sent.eq(0_i64),
        ))
        .returning(surveys::id)
        .get_result(c))?;
    attach_files(conn, id, &checked.attachments, checked.template.as_deref())?;
    acting.audit(
        conn,
        super::audit_action::CREATE,
        &format!("survey:{id}"),
        json!({"title": title.trim()}),
    )?;
    Ok(id)
}

/// Changes a draft (owners only; a sent survey is refused).
pub fn update(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
    input: &SurveyInput,
) -> EngineResult<()> {
    refuse_guests_and_tokens(acting)?;
    let survey = access::owned_survey(conn, acting, id)?;
    if survey.state != DRAFT {
        return Err(not_a_draft().into());
    }
    let now = acting.now().timestamp();
    let title = input.title.clone().unwrap_or_else(|| survey.title.clone());
    let checked = check(conn, acting, &title, input, Some(&survey))?;
    let due_at = input.due_at.unwrap_or(survey.due_at);
    let n = with_conn!(conn, |c| diesel::update(
        surveys::table
            .filter(surveys::id.eq(id))
            .filter(surveys::state.eq(DRAFT))
    )
    .set((
        surveys::title.eq(title.trim()),
        surveys::body.eq(&checked.body),
        surveys::due_at.eq(due_at),
        surveys::fields.eq(&checked.fields),
        surveys::sheet.eq(&checked.sheet),
        surveys::reminders.eq(&checked.reminders),
        surveys::owners.eq(&checked.owners),
        surveys::recipients.eq(&checked.recipients),
        surveys::updated_at.eq(now),
    ))
    .execute(c))?;
    if n == 0 {
        return Err(not_a_draft().into());
    }
    with_conn!(conn, |c| diesel::delete(
        survey_files::table.filter(survey_files::survey_id.eq(id))
    )
    .execute(c))?;
    attach_files(conn, id, &checked.attachments, checked.template.as_deref())?;
    acting.audit(
        conn,
        super::audit_action::UPDATE,
        &format!("survey:{id}"),
        json!({"title": title.trim()}),
    )
}

/// Deletes a draft (owners only).
pub fn delete(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<()> {
    refuse_guests_and_tokens(acting)?;
    let survey = access::owned_survey(conn, acting, id)?;
    if survey.state != DRAFT {
        return Err(not_a_draft().into());
    }
    with_conn!(conn, |c| diesel::delete(
        survey_files::table.filter(survey_files::survey_id.eq(id))
    )
    .execute(c))?;
    with_conn!(conn, |c| diesel::delete(surveys::table.find(id)).execute(c))?;
    acting.audit(
        conn,
        super::audit_action::DELETE,
        &format!("survey:{id}"),
        json!({"title": survey.title}),
    )
}

fn not_a_draft() -> UserError {
    refused(
        "id",
        "surveys.err.notDraft",
        "The survey has been sent and can no longer be changed.",
    )
}

/// The checked and normalised parts of a draft, ready to store.
struct Checked {
    body: String,
    fields: String,
    sheet: String,
    template: Option<String>,
    attachments: Vec<String>,
    reminders: String,
    owners: String,
    recipients: String,
}

fn check(
    conn: &mut DbConn,
    acting: &ActingContext,
    title: &str,
    input: &SurveyInput,
    stored: Option<&SurveyRow>,
) -> EngineResult<Checked> {
    let title = title.trim();
    if title.is_empty() {
        return Err(refused("title", "surveys.err.titleRequired", "Enter a title.").into());
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(refused(
            "title",
            "surveys.err.titleTooLong",
            "Enter a title of 200 characters or less.",
        )
        .into());
    }
    let body = match &input.body {
        Some(b) => {
            if b.chars().count() > MAX_BODY_CHARS {
                return Err(
                    refused("body", "surveys.err.bodyTooLong", "The body is too long.").into(),
                );
            }
            crate::spaces::html::sanitize(b)
        }
        None => stored.map(|s| s.body.clone()).unwrap_or_default(),
    };
    let fields = match &input.fields {
        Some(f) => check_fields(f)?,
        None => stored
            .map(|s| s.fields.clone())
            .unwrap_or_else(|| "{}".into()),
    };
    let me = acting.user_code();
    let own_files: Vec<(String, String)> = match stored {
        Some(s) => with_conn!(conn, |c| survey_files::table
            .filter(survey_files::survey_id.eq(s.id))
            .select((survey_files::file_key, survey_files::role))
            .load(c))?,
        None => Vec::new(),
    };
    let attachments = match &input.attachments {
        Some(keys) => {
            if keys.len() > MAX_ATTACHMENTS {
                return Err(refused(
                    "attachments",
                    "surveys.err.tooManyFiles",
                    "A maximum of 20 files can be attached.",
                )
                .into());
            }
            let mut seen = HashSet::new();
            for (i, k) in keys.iter().enumerate() {
                if !seen.insert(k.clone()) {
                    return Err(UserError::FileNotFound(k.clone()).into());
                }
                check_upload(
                    conn,
                    me,
                    k,
                    &own_files,
                    &format!("attachments[{i}].fileKey"),
                )?;
            }
            keys.clone()
        }
        None => own_files
            .iter()
            .filter(|(_, role)| role == ATTACHMENT)
            .map(|(k, _)| k.clone())
            .collect(),
    };
    let (sheet, template) = match &input.sheet {
        Some(None) => (String::new(), None),
        Some(Some(s)) => {
            if attachments.contains(&s.file_key) {
                return Err(UserError::FileNotFound(s.file_key.clone()).into());
            }
            let name = check_upload(conn, me, &s.file_key, &own_files, "sheet.fileKey")?;
            let mut spec = s.spec.clone();
            spec.remove("fileKey");
            spec.insert("templateFileKey".into(), json!(s.file_key));
            spec.insert("templateName".into(), json!(name));
            let value = Value::Object(spec);
            match serde_json::from_value::<super::sheet::SheetSpec>(value.clone()) {
                Ok(parsed) => super::sheet::check_mode(&parsed.mode)?,
                Err(e) => {
                    return Err(refused(
                        "sheet",
                        "surveys.err.sheetSpec",
                        &format!("The answer sheet settings are not complete: {e}"),
                    )
                    .into())
                }
            }
            (serde_json::to_string(&value)?, Some(s.file_key.clone()))
        }
        None => {
            let template = own_files
                .iter()
                .find(|(_, role)| role == SHEET_TEMPLATE)
                .map(|(k, _)| k.clone());
            (
                stored.map(|s| s.sheet.clone()).unwrap_or_default(),
                template,
            )
        }
    };
    let reminders = match &input.reminders {
        Some(days) => {
            let mut days = days.clone();
            if days.iter().any(|d| !(0..=MAX_REMINDER_DAYS).contains(d)) {
                return Err(refused(
                    "reminders",
                    "surveys.err.reminders",
                    "Enter reminder days from 0 to 365.",
                )
                .into());
            }
            days.sort_unstable_by(|a, b| b.cmp(a));
            days.dedup();
            serde_json::to_string(&days)?
        }
        None => stored
            .map(|s| s.reminders.clone())
            .unwrap_or_else(|| "[3,0]".into()),
    };
    let owners = match &input.owners {
        Some(codes) => {
            let mut out: Vec<String> = Vec::new();
            for (i, code) in codes.iter().enumerate() {
                let ok = crate::users::User::find_by_code(conn, code)?
                    .is_some_and(|u| u.is_active && !u.is_guest);
                if !ok {
                    return Err(refused(
                        &format!("owners[{i}]"),
                        "surveys.err.unknownUser",
                        &format!("The user (code: {code}) does not exist or cannot own surveys."),
                    )
                    .into());
                }
                if !out.contains(code) {
                    out.push(code.clone());
                }
            }
            serde_json::to_string(&out)?
        }
        None => stored
            .map(|s| s.owners.clone())
            .unwrap_or_else(|| "[]".into()),
    };
    let recipients = match &input.recipients {
        Some(list) => {
            check_recipients(conn, acting, list)?;
            serde_json::to_string(list)?
        }
        None => stored
            .map(|s| s.recipients.clone())
            .unwrap_or_else(|| "[]".into()),
    };
    Ok(Checked {
        body,
        fields,
        sheet,
        template,
        attachments,
        reminders,
        owners,
        recipients,
    })
}

/// An upload of `me` that nothing else holds (or a file of this draft already); returns its name.
fn check_upload(
    conn: &mut DbConn,
    me: &str,
    key: &str,
    own: &[(String, String)],
    _error_key: &str,
) -> EngineResult<String> {
    let meta: Option<(String, Option<i64>, String)> = with_conn!(conn, |c| files::table
        .find(key)
        .select((files::name, files::app_id, files::uploaded_by))
        .first(c)
        .optional())?;
    let Some((name, app, uploader)) = meta else {
        return Err(UserError::FileNotFound(key.to_owned()).into());
    };
    if own.iter().any(|(k, _)| k == key) {
        return Ok(name);
    }
    if app.is_some() || uploader != me || super::attached_elsewhere(conn, key)? {
        // Someone else's upload, or a file attached elsewhere: as if it did not exist.
        return Err(UserError::FileNotFound(key.to_owned()).into());
    }
    Ok(name)
}

fn attach_files(
    conn: &mut DbConn,
    survey: i64,
    attachments: &[String],
    template: Option<&str>,
) -> EngineResult<()> {
    let mut rows: Vec<_> = attachments
        .iter()
        .enumerate()
        .map(|(i, k)| {
            (
                survey_files::file_key.eq(k.clone()),
                survey_files::survey_id.eq(survey),
                survey_files::role.eq(ATTACHMENT),
                survey_files::position.eq(i as i64),
            )
        })
        .collect();
    if let Some(t) = template {
        rows.push((
            survey_files::file_key.eq(t.to_owned()),
            survey_files::survey_id.eq(survey),
            survey_files::role.eq(SHEET_TEMPLATE),
            survey_files::position.eq(0),
        ));
    }
    if !rows.is_empty() {
        with_conn!(conn, |c| diesel::insert_into(survey_files::table)
            .values(&rows)
            .execute(c))?;
    }
    Ok(())
}

/// The field types an answer may have: what a person types or picks. Files, lookups, related
/// records, calculations and system fields are not part of an answer.
fn answer_type_allowed(t: FieldType) -> bool {
    matches!(
        t,
        FieldType::SingleLineText
            | FieldType::MultiLineText
            | FieldType::RichText
            | FieldType::Number
            | FieldType::RadioButton
            | FieldType::CheckBox
            | FieldType::MultiSelect
            | FieldType::DropDown
            | FieldType::Date
            | FieldType::Time
            | FieldType::Datetime
            | FieldType::Link
            | FieldType::Subtable
    )
}

/// The answer fields as an app definition: the record validation of apps checks answers against
/// it (`records::validate::normalize_record`), so an answer obeys the same rules as a record.
pub fn answer_definition(fields: &Value) -> EngineResult<AppDefinition> {
    let properties: IndexMap<String, FieldProperty> = serde_json::from_value(fields.clone())
        .map_err(|e| {
            refused(
                "fields",
                "surveys.err.fields",
                &format!("The answer fields are not valid: {e}"),
            )
        })?;
    let mut def = AppDefinition::new("survey");
    def.properties = properties;
    def.assign_field_ids();
    Ok(def)
}

/// Checks the answer fields like an app's fields (`apps::check::check_definition`) and keeps
/// only the types an answer may have; returns the stored JSON.
fn check_fields(fields: &Value) -> EngineResult<String> {
    let fields = match fields {
        Value::Null => return Ok("{}".into()),
        Value::Object(m) => match m.get("properties") {
            Some(p @ Value::Object(_)) => p.clone(),
            _ => fields.clone(),
        },
        _ => {
            return Err(refused(
                "fields",
                "surveys.err.fields",
                "The answer fields are not valid.",
            )
            .into())
        }
    };
    let def = answer_definition(&fields)?;
    let mut errors = FieldErrors::new();
    for (code, p) in &def.properties {
        let inner = p
            .fields
            .iter()
            .flat_map(|f| f.iter().map(|(c, q)| (c, q, true)));
        for (c, q, nested) in std::iter::once((code, p, false)).chain(inner) {
            let t = q.field_type;
            if !answer_type_allowed(t) || (nested && t == FieldType::Subtable) || q.lookup.is_some()
            {
                errors.insert(
                    format!("fields.{c}.type"),
                    vec![crate::error::Message::keyed(
                        "surveys.err.fieldType",
                        "This field type cannot be used in an answer.",
                    )],
                );
            }
        }
    }
    if !errors.is_empty() {
        return Err(UserError::Validation(errors).into());
    }
    if let Err(UserError::Validation(e)) = crate::apps::check_definition(&def) {
        let errors: FieldErrors = e
            .into_iter()
            .map(|(k, v)| (k.replacen("properties.", "fields.", 1), v))
            .collect();
        return Err(UserError::Validation(errors).into());
    }
    Ok(serde_json::to_string(&def.properties)?)
}

/// Checks the recipients of a draft: organisations that exist (guest spaces, departments), the
/// actor's own saved lists, contacts who are members of their organisation.
fn check_recipients(
    conn: &mut DbConn,
    acting: &ActingContext,
    list: &[Recipient],
) -> EngineResult<()> {
    if list.len() > MAX_RECIPIENTS {
        return Err(refused(
            "recipients",
            "surveys.err.tooManyRecipients",
            "Too many recipients.",
        )
        .into());
    }
    for (i, r) in list.iter().enumerate() {
        let key = format!("recipients[{i}]");
        let unknown = || {
            refused(
                &format!("{key}.code"),
                "surveys.err.unknownOrganisation",
                &format!("The organisation ({}: {}) does not exist.", r.kind, r.code),
            )
        };
        match r.kind.as_str() {
            SPACE | DEPARTMENT => {
                let Some((_, members)) = organisation(conn, &r.kind, &r.code)? else {
                    return Err(unknown().into());
                };
                for c in r.contacts.iter().flatten() {
                    if !members.contains(c) {
                        return Err(refused(
                            &format!("{key}.contacts"),
                            "surveys.err.contactNotMember",
                            &format!("The user (code: {c}) is not a member of the organisation."),
                        )
                        .into());
                    }
                }
            }
            "list" => {
                let Ok(id) = r.code.parse::<i64>() else {
                    return Err(unknown().into());
                };
                let owner: Option<String> = with_conn!(conn, |c| survey_lists::table
                    .find(id)
                    .select(survey_lists::owner)
                    .first(c)
                    .optional())?;
                if owner.as_deref() != Some(acting.user_code()) {
                    return Err(unknown().into());
                }
            }
            _ => return Err(unknown().into()),
        }
    }
    Ok(())
}

/// An organisation's name and its members' user codes (active users), None when it does not
/// exist (a space that is not a guest space is no organisation).
pub fn organisation(
    conn: &mut DbConn,
    kind: &str,
    code: &str,
) -> EngineResult<Option<(String, Vec<String>)>> {
    let members = match kind {
        SPACE => {
            let Ok(id) = code.parse::<i64>() else {
                return Ok(None);
            };
            match crate::spaces::Space::find(conn, id)? {
                Some(s) if s.is_guest => (s.name, crate::spaces::member_user_codes(conn, id)?),
                _ => return Ok(None),
            }
        }
        DEPARTMENT => match crate::org::find_department(conn, code)? {
            Some(d) => (d.name, crate::org::members_of_department(conn, code)?),
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    let (name, codes) = members;
    let mut active: Vec<(String, bool)> = Vec::new();
    for chunk in codes.chunks(500) {
        let rows: Vec<(String, bool)> = with_conn!(conn, |c| users::table
            .filter(users::code.eq_any(chunk))
            .filter(users::is_active.eq(true))
            .select((users::code, users::is_guest))
            .load(c))?;
        active.extend(rows);
    }
    active.sort();
    Ok(Some((name, active.into_iter().map(|(c, _)| c).collect())))
}

/// Many organisations at once, in a handful of queries whatever their number (the broadcast to
/// 1,800): for each `(kind, code)`, its name, its active members and the guests among them, or
/// None when it does not exist. Spaces whose member entries name groups or departments, and
/// departments, are expanded one by one.
#[allow(clippy::type_complexity)]
pub fn organisations_of(
    conn: &mut DbConn,
    orgs: &[(String, String)],
) -> EngineResult<Vec<Option<(String, Vec<String>, Vec<String>)>>> {
    use crate::db::schema::{space_members, spaces};
    let space_ids: Vec<i64> = orgs
        .iter()
        .filter(|(k, _)| k == SPACE)
        .filter_map(|(_, c)| c.parse::<i64>().ok())
        .collect();
    let mut names: HashMap<i64, String> = HashMap::new();
    let mut entries: HashMap<i64, Vec<(String, String)>> = HashMap::new();
    for chunk in space_ids.chunks(500) {
        let rows: Vec<(i64, String)> = with_conn!(conn, |c| spaces::table
            .filter(spaces::id.eq_any(chunk))
            .filter(spaces::is_guest.eq(true))
            .select((spaces::id, spaces::name))
            .load(c))?;
        names.extend(rows);
        let rows: Vec<(i64, String, String)> = with_conn!(conn, |c| space_members::table
            .filter(space_members::space_id.eq_any(chunk))
            .select((
                space_members::space_id,
                space_members::entity_type,
                space_members::code,
            ))
            .load(c))?;
        for (space, kind, code) in rows {
            entries.entry(space).or_default().push((kind, code));
        }
    }
    let departments: HashMap<String, String> = crate::org::list_departments(conn)?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect();
    // Members of each organisation (before the active/guest filter).
    let mut members: Vec<Option<(String, Vec<String>)>> = Vec::with_capacity(orgs.len());
    for (kind, code) in orgs {
        let found = match kind.as_str() {
            SPACE => match code
                .parse::<i64>()
                .ok()
                .and_then(|id| names.get(&id).map(|n| (id, n.clone())))
            {
                Some((id, name)) => {
                    let list = entries.get(&id).cloned().unwrap_or_default();
                    let codes = if list.iter().all(|(k, _)| k == crate::spaces::USER) {
                        let mut c: Vec<String> = list.into_iter().map(|(_, c)| c).collect();
                        c.sort();
                        c.dedup();
                        c
                    } else {
                        crate::spaces::member_user_codes(conn, id)?
                    };
                    Some((name, codes))
                }
                None => None,
            },
            DEPARTMENT => match departments.get(code) {
                Some(name) => Some((name.clone(), crate::org::members_of_department(conn, code)?)),
                None => None,
            },
            _ => None,
        };
        members.push(found);
    }
    let mut all: Vec<String> = members
        .iter()
        .flatten()
        .flat_map(|(_, m)| m.iter().cloned())
        .collect();
    all.sort();
    all.dedup();
    let mut people: HashMap<String, bool> = HashMap::new();
    for chunk in all.chunks(500) {
        let rows: Vec<(String, bool)> = with_conn!(conn, |c| users::table
            .filter(users::code.eq_any(chunk))
            .filter(users::is_active.eq(true))
            .select((users::code, users::is_guest))
            .load(c))?;
        people.extend(rows);
    }
    Ok(members
        .into_iter()
        .map(|m| {
            m.map(|(name, codes)| {
                let active: Vec<String> = codes
                    .into_iter()
                    .filter(|c| people.contains_key(c))
                    .collect();
                let guests = active
                    .iter()
                    .filter(|c| people.get(*c) == Some(&true))
                    .cloned()
                    .collect();
                (name, active, guests)
            })
        })
        .collect())
}

/// Every organisation a survey may be sent to (guest spaces, then departments) with its default
/// contacts. Not for guests.
pub fn organisations(conn: &mut DbConn, acting: &ActingContext) -> EngineResult<Value> {
    refuse_guests_and_tokens(acting)?;
    let mut out = Vec::new();
    let spaces: Vec<(i64, String)> = with_conn!(conn, |c| crate::db::schema::spaces::table
        .filter(crate::db::schema::spaces::is_guest.eq(true))
        .order(crate::db::schema::spaces::id.asc())
        .select((
            crate::db::schema::spaces::id,
            crate::db::schema::spaces::name
        ))
        .load(c))?;
    let mut orgs: Vec<(String, String)> = spaces
        .iter()
        .map(|(id, _)| (SPACE.to_owned(), id.to_string()))
        .collect();
    let departments = crate::org::list_departments(conn)?;
    orgs.extend(
        departments
            .iter()
            .map(|d| (DEPARTMENT.to_owned(), d.code.clone())),
    );
    let resolved = organisations_of(conn, &orgs)?;
    let mut people: Vec<(String, String, String, Vec<String>)> = Vec::new();
    let mut all_codes: Vec<String> = Vec::new();
    for ((kind, code), found) in orgs.into_iter().zip(resolved) {
        if let Some((name, members, guests)) = found {
            let contacts = if kind == SPACE && !guests.is_empty() {
                guests
            } else {
                members
            };
            all_codes.extend(contacts.iter().cloned());
            people.push((code, kind, name, contacts));
        }
    }
    all_codes.sort();
    all_codes.dedup();
    let names = super::user_names(conn, &all_codes)?;
    for (code, kind, name, contacts) in people {
        out.push(json!({
            "kind": kind,
            "code": code,
            "name": name,
            "contacts": people_json(&names, &contacts),
        }));
    }
    Ok(json!({ "organisations": out }))
}

/// `[{code, name}]` of user codes.
pub fn people_json(names: &HashMap<String, String>, codes: &[String]) -> Value {
    Value::Array(
        codes
            .iter()
            .map(|c| json!({"code": c, "name": names.get(c).cloned().unwrap_or_else(|| c.clone())}))
            .collect(),
    )
}

/// `{code, name}` of one user code (None: null).
pub fn person_json(names: &HashMap<String, String>, code: Option<&str>) -> Value {
    match code {
        Some(c) => {
            json!({"code": c, "name": names.get(c).cloned().unwrap_or_else(|| c.to_owned())})
        }
        None => Value::Null,
    }
}

/// The files of a survey with a role, in order: `[{fileKey, name, contentType, size}]`.
pub fn files_json(conn: &mut DbConn, survey: i64, role: &str) -> EngineResult<Value> {
    let rows: Vec<(String, String, String, i64)> = with_conn!(conn, |c| survey_files::table
        .inner_join(files::table.on(files::file_key.eq(survey_files::file_key)))
        .filter(survey_files::survey_id.eq(survey))
        .filter(survey_files::role.eq(role))
        .order(survey_files::position.asc())
        .select((
            files::file_key,
            files::name,
            files::content_type,
            files::size
        ))
        .load(c))?;
    Ok(Value::Array(
        rows.into_iter()
            .map(|(k, n, t, s)| json!({"fileKey": k, "name": n, "contentType": t, "size": s.to_string()}))
            .collect(),
    ))
}

/// The survey as the API shows it: owners see everything (recipients, owners, reminders); the
/// members of its organisations see the request and their own answers.
pub fn get(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<Value> {
    let (survey, role) = access::open_survey(conn, acting, id)?;
    let mut v = request_json(conn, &survey)?;
    match role {
        SurveyRole::Owner => {
            let mut codes = survey.owner_codes();
            let recipients = survey.recipients_list();
            for r in &recipients {
                codes.extend(r.contacts.iter().flatten().cloned());
            }
            codes.sort();
            codes.dedup();
            let names = super::user_names(conn, &codes)?;
            let mut list = Vec::new();
            for r in recipients {
                let name = recipient_name(conn, acting, &r)?;
                let contacts = r.contacts.as_deref().map(|c| people_json(&names, c));
                list.push(
                    json!({"kind": r.kind, "code": r.code, "name": name, "contacts": contacts}),
                );
            }
            v["recipients"] = Value::Array(list);
            v["owners"] = people_json(&names, &super::json_strings(&survey.owners));
            v["creator"] = person_json(&names, Some(&survey.creator));
            v["reminders"] = json!(survey.reminder_days());
            v["createdAt"] = json!(super::iso(survey.created_at));
            v["updatedAt"] = json!(super::iso(survey.updated_at));
            v["isOwner"] = json!(true);
        }
        SurveyRole::Member(ids) => {
            v["myAnswers"] = my_answers_json(conn, &survey, &ids, acting.now().timestamp())?;
            v["isOwner"] = json!(false);
        }
    }
    Ok(v)
}

fn recipient_name(
    conn: &mut DbConn,
    acting: &ActingContext,
    r: &Recipient,
) -> EngineResult<String> {
    if r.kind == "list" {
        let Ok(id) = r.code.parse::<i64>() else {
            return Ok(r.code.clone());
        };
        let row: Option<(String, String)> = with_conn!(conn, |c| survey_lists::table
            .find(id)
            .select((survey_lists::name, survey_lists::owner))
            .first(c)
            .optional())?;
        return Ok(match row {
            Some((name, owner)) if owner == acting.user_code() => name,
            _ => r.code.clone(),
        });
    }
    Ok(organisation(conn, &r.kind, &r.code)?
        .map(|(n, _)| n)
        .unwrap_or_else(|| r.code.clone()))
}

/// The request part of a survey (what every reader sees).
pub fn request_json(conn: &mut DbConn, survey: &SurveyRow) -> EngineResult<Value> {
    let sheet = match survey.sheet_json() {
        Some(mut s) => {
            s["template"] = files_json(conn, survey.id, SHEET_TEMPLATE)?
                .get(0)
                .cloned()
                .unwrap_or(Value::Null);
            s
        }
        None => Value::Null,
    };
    Ok(json!({
        "id": survey.id,
        "title": survey.title,
        "body": survey.body,
        "dueAt": super::iso(survey.due_at),
        "state": survey.state,
        "sentAt": survey.sent_at.map(super::iso),
        "closedAt": survey.closed_at.map(super::iso),
        "attachments": files_json(conn, survey.id, ATTACHMENT)?,
        "fields": {"properties": survey.fields_json()},
        "sheet": sheet,
        "parentAnswer": survey.parent_answer_id,
        "copiedFrom": survey.copied_from,
    }))
}

fn my_answers_json(
    conn: &mut DbConn,
    survey: &SurveyRow,
    ids: &[i64],
    now: i64,
) -> EngineResult<Value> {
    let rows: Vec<AnswerRow> = with_conn!(conn, |c| survey_answers::table
        .filter(survey_answers::id.eq_any(ids))
        .order(survey_answers::id.asc())
        .select(AnswerRow::as_select())
        .load(c))?;
    Ok(Value::Array(
        rows.iter()
            .map(|a| {
                json!({
                    "id": a.id,
                    "organisation": a.organisation(),
                    "state": a.state,
                    "late": a.is_late(survey, now),
                    "dueAt": super::iso(a.due(survey)),
                })
            })
            .collect(),
    ))
}

/// Which surveys a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Box {
    /// The surveys the actor owns (drafts included).
    Sent,
    /// The sent surveys to organisations the actor is a member of.
    Received,
}

/// The sent or received box, newest first, `q` searched in title and body:
/// `{surveys: [{id, title, state, dueAt, sentAt, closedAt, creator, counts, myAnswers}], totalCount}`.
/// `counts` only for owners, `myAnswers` only in the received box.
pub fn list(
    conn: &mut DbConn,
    acting: &ActingContext,
    which: Box,
    q: Option<&str>,
    offset: i64,
    limit: i64,
) -> EngineResult<Value> {
    if acting.principal().is_token() {
        return Err(UserError::TokenNotPermitted.into());
    }
    let q = q.map(str::trim).filter(|s| !s.is_empty());
    let pattern = q.map(|q| {
        let escaped = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    });
    let now = acting.now().timestamp();
    let me = acting.user_code().to_owned();
    let mut member_answers: HashMap<i64, Vec<i64>> = HashMap::new();
    let ids: Vec<i64> = match which {
        Box::Sent => {
            if acting.principal().is_guest() || acting.guest_space().is_some() {
                Vec::new()
            } else {
                let owner_like = format!(
                    "%\"{}\"%",
                    me.replace('\\', "\\\\")
                        .replace('%', "\\%")
                        .replace('_', "\\_")
                );
                let rows: Vec<(i64, String, String)> = with_conn!(conn, |c| {
                    let mut query = surveys::table
                        .select((surveys::id, surveys::creator, surveys::owners))
                        .filter(
                            surveys::creator
                                .eq(me.clone())
                                .or(surveys::owners.like(owner_like.clone()).escape('\\')),
                        )
                        .order(surveys::id.desc())
                        .into_boxed();
                    if let Some(p) = &pattern {
                        query = query.filter(
                            surveys::title
                                .like(p.clone())
                                .escape('\\')
                                .or(surveys::body.like(p.clone()).escape('\\')),
                        );
                    }
                    query.load(c)
                })?;
                rows.into_iter()
                    .filter(|(_, creator, owners)| {
                        *creator == me || super::json_strings(owners).contains(&me)
                    })
                    .map(|(id, ..)| id)
                    .collect()
            }
        }
        Box::Received => {
            let (spaces, departments) = access::member_organisations(conn, acting)?;
            let space_codes: Vec<String> = spaces.iter().map(i64::to_string).collect();
            let mut answers: Vec<(i64, i64)> = Vec::new();
            if !space_codes.is_empty() {
                answers.extend(with_conn!(conn, |c| survey_answers::table
                    .filter(survey_answers::org_kind.eq(SPACE))
                    .filter(survey_answers::org_code.eq_any(&space_codes))
                    .select((survey_answers::survey_id, survey_answers::id))
                    .load::<(i64, i64)>(c))?);
            }
            if !departments.is_empty() {
                answers.extend(with_conn!(conn, |c| survey_answers::table
                    .filter(survey_answers::org_kind.eq(DEPARTMENT))
                    .filter(survey_answers::org_code.eq_any(&departments))
                    .select((survey_answers::survey_id, survey_answers::id))
                    .load::<(i64, i64)>(c))?);
            }
            for (s, a) in answers {
                member_answers.entry(s).or_default().push(a);
            }
            if member_answers.is_empty() {
                Vec::new()
            } else {
                let wanted: Vec<i64> = member_answers.keys().copied().collect();
                let mut ids = Vec::new();
                for chunk in wanted.chunks(500) {
                    let rows: Vec<i64> = with_conn!(conn, |c| {
                        let mut q = surveys::table
                            .filter(surveys::id.eq_any(chunk))
                            .filter(surveys::state.ne(DRAFT))
                            .select(surveys::id)
                            .into_boxed();
                        if let Some(p) = &pattern {
                            q = q.filter(
                                surveys::title
                                    .like(p.clone())
                                    .escape('\\')
                                    .or(surveys::body.like(p.clone()).escape('\\')),
                            );
                        }
                        q.load(c)
                    })?;
                    ids.extend(rows);
                }
                ids.sort_unstable_by(|a, b| b.cmp(a));
                ids
            }
        }
    };
    let total = ids.len();
    let page: Vec<i64> = ids
        .into_iter()
        .skip(usize::try_from(offset.max(0)).unwrap_or(0))
        .take(usize::try_from(limit.max(0)).unwrap_or(0))
        .collect();
    let rows: Vec<SurveyRow> = with_conn!(conn, |c| surveys::table
        .filter(surveys::id.eq_any(&page))
        .order(surveys::id.desc())
        .select(SurveyRow::as_select())
        .load(c))?;
    let creators: Vec<String> = rows.iter().map(|r| r.creator.clone()).collect();
    let names = super::user_names(conn, &creators)?;
    let mut out = Vec::with_capacity(rows.len());
    for s in rows {
        let mut v = json!({
            "id": s.id,
            "title": s.title,
            "state": s.state,
            "dueAt": super::iso(s.due_at),
            "sentAt": s.sent_at.map(super::iso),
            "closedAt": s.closed_at.map(super::iso),
            "creator": person_json(&names, Some(&s.creator)),
        });
        if access::is_owner(acting, &s) {
            v["counts"] = counts_json(&AnswerRow::of_survey(conn, s.id)?, &s, now);
        }
        if which == Box::Received {
            let mine = member_answers.get(&s.id).cloned().unwrap_or_default();
            v["myAnswers"] = my_answers_json(conn, &s, &mine, now)?;
        }
        out.push(v);
    }
    Ok(json!({"surveys": out, "totalCount": total}))
}

/// `{unopened, opened, draft, submitted, returned, accepted, late, total}` of some answers.
pub fn counts_json(answers: &[AnswerRow], survey: &SurveyRow, now: i64) -> Value {
    let mut counts: Map<String, Value> = ANSWER_STATES
        .iter()
        .map(|s| ((*s).to_owned(), json!(0)))
        .collect();
    let mut late = 0;
    for a in answers {
        if let Some(Value::Number(n)) = counts.get(&a.state) {
            let n = n.as_i64().unwrap_or(0) + 1;
            counts.insert(a.state.clone(), json!(n));
        }
        if a.is_late(survey, now) {
            late += 1;
        }
    }
    counts.insert("late".into(), json!(late));
    counts.insert("total".into(), json!(answers.len()));
    Value::Object(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_fields_are_checked_like_app_fields() -> Result<(), String> {
        let ok = json!({"properties": {
            "n": {"type": "NUMBER", "code": "n", "label": "n", "required": true},
            "t": {"type": "SUBTABLE", "code": "t", "label": "t", "fields": {
                "x": {"type": "SINGLE_LINE_TEXT", "code": "x", "label": "x"}}}
        }});
        let stored = check_fields(&ok).map_err(|e| e.to_string())?;
        assert!(stored.contains("\"required\":true"), "{stored}");
        // Files, calculations and system fields are no answer; inner fields are checked too.
        for (bad, key) in [
            (
                json!({"f": {"type": "FILE", "code": "f", "label": "f"}}),
                "fields.f.type",
            ),
            (
                json!({"c": {"type": "CALC", "code": "c", "label": "c", "expression": "1"}}),
                "fields.c.type",
            ),
            (
                json!({"t": {"type": "SUBTABLE", "code": "t", "label": "t", "fields": {
                "u": {"type": "CREATOR", "code": "u", "label": "u"}}}}),
                "fields.u.type",
            ),
        ] {
            match check_fields(&bad) {
                Err(crate::error::EngineError::User(UserError::Validation(e))) => {
                    assert!(e.contains_key(key), "{key}: {e:?}");
                }
                other => return Err(format!("{bad}: {other:?}")),
            }
        }
        // A code that does not match its key is the app check's error, under `fields.`.
        match check_fields(&json!({"a": {"type": "NUMBER", "code": "b", "label": "a"}})) {
            Err(crate::error::EngineError::User(UserError::Validation(e))) => {
                assert!(e.keys().all(|k| k.starts_with("fields.")), "{e:?}");
            }
            other => return Err(format!("{other:?}")),
        }
        Ok(())
    }

    #[test]
    fn lateness_and_counts() {
        let survey = SurveyRow {
            id: 1,
            title: String::new(),
            body: String::new(),
            due_at: 100,
            state: super::super::OPEN.into(),
            fields: "{}".into(),
            sheet: String::new(),
            reminders: "[3,0]".into(),
            owners: "[]".into(),
            recipients: "[]".into(),
            creator: "o".into(),
            created_at: 0,
            updated_at: 0,
            sent_at: Some(0),
            closed_at: None,
            merge_app_id: None,
            parent_answer_id: None,
            copied_from: None,
            reminders_sent: 0,
        };
        let answer = |state: &str, due: Option<i64>| AnswerRow {
            state: state.into(),
            due_at: due,
            ..AnswerRow::example()
        };
        let list = [
            answer(super::super::UNOPENED, None),
            answer(super::super::SUBMITTED, None),
            answer(super::super::RETURNED, Some(200)),
        ];
        assert!(list[0].is_late(&survey, 101));
        assert!(!list[0].is_late(&survey, 100));
        assert!(!list[1].is_late(&survey, 101), "submitted is never late");
        assert!(!list[2].is_late(&survey, 101), "its own extension counts");
        let counts = counts_json(&list, &survey, 101);
        assert_eq!(counts["unopened"], 1);
        assert_eq!(counts["submitted"], 1);
        assert_eq!(counts["returned"], 1);
        assert_eq!(counts["late"], 1);
        assert_eq!(counts["total"], 3);
    }
}
