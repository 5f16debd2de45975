//! Staff use cases on forms: create, list, read, change and delete. Creating and changing need the
//! manage right on the form's app (`ActingContext::open_for_settings`), reading the view right;
//! a form of an app the caller may not view answers `FormNotFound`, exactly like a missing one.
//! Callers hold the write transaction (`DbConn::write_transaction`), as for every engine use case.

use std::collections::HashSet;

use diesel::prelude::*;
use serde_json::json;

use super::{
    audit_action, random_token, Form, FormSettings, FormUpdate, CLOSED, DRAFT, FORM_FIELD_TYPES,
    LANGS, PIVOT_HOUR, PIVOT_RECIPIENT, PUBLISHED,
};
use crate::acl::AppRight;
use crate::acting::ActingContext;
use crate::apps::{AppDefinition, AppId, LiveApp};
use crate::db::schema::public_forms;
use crate::db::DbConn;
use crate::error::{EngineError, EngineResult, FieldErrors, Message, UserError};
use crate::fields::FieldType;
use crate::with_conn;

/// Longest form name.
pub const MAX_NAME_CHARS: usize = 200;
/// Most fields on one form.
pub const MAX_FIELDS: usize = 200;

/// One `public_forms` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = public_forms)]
pub struct FormRow {
    pub id: i64,
    pub app_id: i64,
    pub slug: String,
    pub name: String,
    pub state: String,
    pub settings: String,
    pub opens_at: Option<i64>,
    pub closes_at: Option<i64>,
    pub max_answers: Option<i64>,
    pub answer_count: i64,
    pub next_seq: i64,
    pub secret: String,
    pub creator: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl FormRow {
    pub fn find(conn: &mut DbConn, id: i64) -> EngineResult<Option<FormRow>> {
        Ok(with_conn!(conn, |c| public_forms::table
            .find(id)
            .select(FormRow::as_select())
            .first(c)
            .optional())?)
    }

    pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> EngineResult<Option<FormRow>> {
        Ok(with_conn!(conn, |c| public_forms::table
            .filter(public_forms::slug.eq(slug))
            .select(FormRow::as_select())
            .first(c)
            .optional())?)
    }

    /// The form as callers see it (a stored settings text that no longer parses reads as the
    /// defaults: the form then shows no fields rather than failing every page).
    pub fn to_form(&self) -> Form {
        Form {
            id: self.id,
            app: self.app_id,
            slug: self.slug.clone(),
            name: self.name.clone(),
            state: self.state.clone(),
            settings: serde_json::from_str(&self.settings).unwrap_or_default(),
            opens_at: self.opens_at,
            closes_at: self.closes_at,
            max_answers: self.max_answers,
            answer_count: self.answer_count,
            creator: self.creator.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// The form row for a staff member with `right` on its app (`Manage`: through
/// `open_for_settings`). Returns the row and the opened app.
pub(crate) fn staff_form(
    conn: &mut DbConn,
    ctx: &ActingContext,
    id: i64,
    right: AppRight,
) -> EngineResult<(FormRow, LiveApp)> {
    let row = FormRow::find(conn, id)?.ok_or(UserError::FormNotFound)?;
    let app = AppId(row.app_id);
    let opened = if right == AppRight::Manage {
        ctx.open_for_settings(conn, app)
    } else {
        ctx.open_app(conn, app, right)
    };
    match opened {
        Ok(live) => Ok((row, live)),
        // The form of an app the caller may not see does not exist for them.
        Err(EngineError::User(UserError::AppNotFound(_))) => Err(UserError::FormNotFound.into()),
        Err(e) => Err(e),
    }
}

fn refused(key: &str, message: Message) -> UserError {
    UserError::invalid(key, message)
}

fn name_checked(name: &str) -> Result<String, UserError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(refused(
            "name",
            Message::keyed(
                "public_forms.err.name",
                "Enter the form's name (200 characters or fewer).",
            ),
        ));
    }
    Ok(name.to_owned())
}

/// 32 random bytes in hex: the form's HMAC key.
fn new_secret() -> String {
    use rand::RngCore as _;
    let mut bytes = [0_u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates a draft form on `app` (manage right). Settings are checked against the app's fields
/// (`CB_VA01` with `settings.*` keys).
pub fn create_form(
    conn: &mut DbConn,
    ctx: &ActingContext,
    app: AppId,
    name: &str,
    settings: FormSettings,
) -> EngineResult<Form> {
    let live = ctx.open_for_settings(conn, app)?;
    let name = name_checked(name)?;
    check_settings(&live.definition, &settings)?;
    let now = ctx.now().timestamp();
    let settings_text = serde_json::to_string(&settings)?;
    let slug = random_token(16);
    let id: i64 = with_conn!(conn, |c| diesel::insert_into(public_forms::table)
        .values((
            public_forms::app_id.eq(app.0),
            public_forms::slug.eq(&slug),
            public_forms::name.eq(&name),
            public_forms::state.eq(DRAFT),
            public_forms::settings.eq(&settings_text),
            public_forms::answer_count.eq(0_i64),
            public_forms::next_seq.eq(0_i64),
            public_forms::secret.eq(new_secret()),
            public_forms::creator.eq(ctx.user_code()),
            public_forms::created_at.eq(now),
            public_forms::updated_at.eq(now),
        ))
        .returning(public_forms::id)
        .get_result(c))?;
    ctx.audit(
        conn,
        audit_action::CREATE,
        &format!("public_form:{id}"),
        json!({"app": app.0, "name": name}),
    )?;
    let row = FormRow::find(conn, id)?.ok_or(UserError::FormNotFound)?;
    Ok(row.to_form())
}

/// The forms of `app` (view right), newest first.
pub fn list_forms(conn: &mut DbConn, ctx: &ActingContext, app: AppId) -> EngineResult<Vec<Form>> {
    ctx.open_app(conn, app, AppRight::View)?;
    let rows: Vec<FormRow> = with_conn!(conn, |c| public_forms::table
        .filter(public_forms::app_id.eq(app.0))
        .order(public_forms::id.desc())
        .select(FormRow::as_select())
        .load(c))?;
    Ok(rows.iter().map(FormRow::to_form).collect())
}

/// One form (view right on its app; otherwise `FormNotFound`).
pub fn get_form(conn: &mut DbConn, ctx: &ActingContext, id: i64) -> EngineResult<Form> {
    let (row, _) = staff_form(conn, ctx, id, AppRight::View)?;
    Ok(row.to_form())
}

/// Changes a form (manage right). New settings are checked against the app's fields; a state is
/// one of `draft`, `published`, `closed`.
pub fn update_form(
    conn: &mut DbConn,
    ctx: &ActingContext,
    id: i64,
    update: FormUpdate,
) -> EngineResult<Form> {
    let (row, live) = staff_form(conn, ctx, id, AppRight::Manage)?;
    let name = match &update.name {
        Some(n) => name_checked(n)?,
        None => row.name.clone(),
    };
    let settings = match update.settings {
        Some(s) => {
            check_settings(&live.definition, &s)?;
            serde_json::to_string(&s)?
        }
        None => row.settings.clone(),
    };
    let state = update.state.unwrap_or_else(|| row.state.clone());
    if ![DRAFT, PUBLISHED, CLOSED].contains(&state.as_str()) {
        return Err(refused(
            "state",
            Message::keyed(
                "public_forms.err.state",
                "The state is draft, published or closed.",
            ),
        )
        .into());
    }
    let opens_at = update.opens_at.unwrap_or(row.opens_at);
    let closes_at = update.closes_at.unwrap_or(row.closes_at);
    if let (Some(o), Some(c)) = (opens_at, closes_at) {
        if c <= o {
            return Err(refused(
                "closesAt",
                Message::keyed(
                    "public_forms.err.times",
                    "The closing time must be after the opening time.",
                ),
            )
            .into());
        }
    }
    let max_answers = update.max_answers.unwrap_or(row.max_answers);
    if max_answers.is_some_and(|m| m < 1) {
        return Err(refused(
            "maxAnswers",
            Message::keyed(
                "public_forms.err.max_answers",
                "The maximum number of answers must be a whole number of 1 or more.",
            ),
        )
        .into());
    }
    let now = ctx.now().timestamp();
    with_conn!(conn, |c| diesel::update(public_forms::table.find(id))
        .set((
            public_forms::name.eq(&name),
            public_forms::settings.eq(&settings),
            public_forms::state.eq(&state),
            public_forms::opens_at.eq(opens_at),
            public_forms::closes_at.eq(closes_at),
            public_forms::max_answers.eq(max_answers),
            public_forms::updated_at.eq(now),
        ))
        .execute(c))?;
    ctx.audit(
        conn,
        audit_action::UPDATE,
        &format!("public_form:{id}"),
        json!({"app": row.app_id, "name": name, "state": state}),
    )?;
    let row = FormRow::find(conn, id)?.ok_or(UserError::FormNotFound)?;
    Ok(row.to_form())
}

/// Deletes a form with its links, answer rows and tallies (manage right). The records its answers
/// made stay in the app.
pub fn delete_form(conn: &mut DbConn, ctx: &ActingContext, id: i64) -> EngineResult<()> {
    let (row, _) = staff_form(conn, ctx, id, AppRight::Manage)?;
    // The child tables cascade on PostgreSQL and on SQLite with foreign keys on; deleting them
    // explicitly keeps a connection without `foreign_keys=ON` (tests, tools) consistent too.
    use crate::db::schema::{public_form_answers, public_form_links, public_form_tallies};
    with_conn!(conn, |c| {
        diesel::delete(public_form_tallies::table.filter(public_form_tallies::form_id.eq(id)))
            .execute(c)?;
        diesel::delete(public_form_answers::table.filter(public_form_answers::form_id.eq(id)))
            .execute(c)?;
        diesel::delete(public_form_links::table.filter(public_form_links::form_id.eq(id)))
            .execute(c)?;
        diesel::delete(public_forms::table.find(id)).execute(c)
    })?;
    ctx.audit(
        conn,
        audit_action::DELETE,
        &format!("public_form:{id}"),
        json!({"app": row.app_id, "name": row.name}),
    )
}

/// The form's HMAC key (hex), for the platform to sign what it hands to residents' browsers.
/// Not a use case: it checks nothing and is never shown.
pub fn secret(conn: &mut DbConn, form_id: i64) -> EngineResult<String> {
    let s: Option<String> = with_conn!(conn, |c| public_forms::table
        .find(form_id)
        .select(public_forms::secret)
        .first(c)
        .optional())?;
    Ok(s.ok_or(UserError::FormNotFound)?)
}

fn is_mail_field(def: &AppDefinition, code: &str) -> bool {
    def.properties.get(code).is_some_and(|p| {
        p.field_type == FieldType::SingleLineText
            || (p.field_type == FieldType::Link && p.protocol.as_deref() == Some("MAIL"))
    })
}

/// Checks settings against the app's fields: every form field a top-level field of an allowed
/// type, once; languages among `LANGS`; the copy-mail field and the pivot keys among the form's
/// fields. All problems at once, keyed `settings.<path>`.
pub fn check_settings(def: &AppDefinition, settings: &FormSettings) -> Result<(), UserError> {
    let mut errors = FieldErrors::new();
    let mut add = |key: String, m: Message| errors.entry(key).or_default().push(m);
    if settings.fields.len() > MAX_FIELDS {
        add(
            "settings.fields".into(),
            Message::from(format!("A form has at most {MAX_FIELDS} fields.")),
        );
    }
    let mut seen = HashSet::new();
    for (i, f) in settings.fields.iter().enumerate() {
        let key = format!("settings.fields[{i}].code");
        let Some(p) = def.properties.get(&f.code) else {
            add(
                key,
                Message::keyed("public_forms.err.no_field", "The app has no such field.")
                    .arg("code", f.code.clone()),
            );
            continue;
        };
        if !FORM_FIELD_TYPES.contains(&p.field_type.name()) {
            add(
                key.clone(),
                Message::keyed(
                    "public_forms.err.field_type",
                    "Fields of this type cannot be used in a public form.",
                )
                .arg("type", p.field_type.name()),
            );
        }
        if !seen.insert(f.code.as_str()) {
            add(
                key,
                Message::keyed(
                    "public_forms.err.duplicate_field",
                    "The same field is chosen twice.",
                ),
            );
        }
    }
    for (i, l) in settings.languages.iter().enumerate() {
        if !LANGS.contains(&l.as_str()) {
            add(
                format!("settings.languages[{i}]"),
                Message::keyed(
                    "public_forms.err.language",
                    "The languages are ja, en and easy.",
                ),
            );
        }
    }
    if let Some(code) = &settings.email_copy_field {
        if !seen.contains(code.as_str()) || !is_mail_field(def, code) {
            add(
                "settings.email_copy_field".into(),
                Message::keyed(
                    "public_forms.err.email_copy_field",
                    "Choose an e-mail (link) or single-line text field for the copy address.",
                ),
            );
        }
    }
    if let Some(pivot) = &settings.results.pivot {
        let key_ok = |k: &str| k == PIVOT_RECIPIENT || k == PIVOT_HOUR || seen.contains(k);
        let value_ok = pivot.value.as_deref().is_none_or(|v| {
            seen.contains(v)
                && def
                    .properties
                    .get(v)
                    .is_some_and(|p| p.field_type == FieldType::Number)
        });
        if !key_ok(&pivot.rows) || !key_ok(&pivot.columns) || !value_ok {
            add(
                "settings.results.pivot".into(),
                Message::keyed(
                    "public_forms.err.pivot",
                    "Check the row, column and value fields of the pivot table.",
                ),
            );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(UserError::Validation(errors))
    }
}
