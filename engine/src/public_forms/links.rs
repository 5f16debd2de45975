//! Per-recipient links (`/f/<slug>/l/<token>`): a one-time link answers once; an editable link
//! may change its answer (the same record) until it expires or is revoked. A link may prefill
//! fields (shown read-only), and its recipient is a pivot key of the results (`_recipient`).
//! Creating and revoking need the manage right on the form's app, listing the view right.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::store::staff_form;
use super::{audit_action, random_token, EDITABLE, ONCE};
use crate::acl::AppRight;
use crate::acting::ActingContext;
use crate::db::schema::{public_form_answers, public_form_links};
use crate::db::DbConn;
use crate::error::{EngineResult, FieldErrors, Message, UserError};
use crate::with_conn;

/// Most links one call creates.
pub const MAX_LINKS_PER_CALL: usize = 5_000;
/// Longest recipient text.
pub const MAX_RECIPIENT_CHARS: usize = 200;

/// A link to create.
#[derive(Debug, Clone)]
pub struct NewLink {
    pub recipient: String,
    /// Field code → value (a string, or a list of strings for multi-choice fields).
    pub prefill: Map<String, Value>,
    /// `once` | `editable`.
    pub mode: String,
    pub expires_at: Option<i64>,
}

/// A link as staff see it.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub id: i64,
    pub form: i64,
    pub token: String,
    pub recipient: String,
    pub prefill: Map<String, Value>,
    pub mode: String,
    pub expires_at: Option<i64>,
    pub revoked: bool,
    pub record_id: Option<i64>,
    pub answered_at: Option<i64>,
    /// The receipt of the link's answer, once answered.
    pub receipt: Option<String>,
}

/// One `public_form_links` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = public_form_links)]
pub struct LinkRow {
    pub id: i64,
    pub form_id: i64,
    pub token: String,
    pub recipient: String,
    pub prefill: String,
    pub mode: String,
    pub expires_at: Option<i64>,
    pub revoked: i64,
    pub record_id: Option<i64>,
    pub answer_id: Option<i64>,
    pub answered_at: Option<i64>,
    pub created_at: i64,
}

impl LinkRow {
    pub fn find_by_token(conn: &mut DbConn, token: &str) -> EngineResult<Option<LinkRow>> {
        Ok(with_conn!(conn, |c| public_form_links::table
            .filter(public_form_links::token.eq(token))
            .select(LinkRow::as_select())
            .first(c)
            .optional())?)
    }

    pub fn find(conn: &mut DbConn, id: i64) -> EngineResult<Option<LinkRow>> {
        Ok(with_conn!(conn, |c| public_form_links::table
            .find(id)
            .select(LinkRow::as_select())
            .first(c)
            .optional())?)
    }

    pub fn prefill_map(&self) -> Map<String, Value> {
        match serde_json::from_str(&self.prefill) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        }
    }

    pub fn to_link(&self, receipt: Option<String>) -> Link {
        Link {
            id: self.id,
            form: self.form_id,
            token: self.token.clone(),
            recipient: self.recipient.clone(),
            prefill: self.prefill_map(),
            mode: self.mode.clone(),
            expires_at: self.expires_at,
            revoked: self.revoked != 0,
            record_id: self.record_id,
            answered_at: self.answered_at,
            receipt,
        }
    }
}

/// The receipt of each answer id.
fn receipts(conn: &mut DbConn, answer_ids: &[i64]) -> EngineResult<HashMap<i64, String>> {
    let mut out = HashMap::new();
    for chunk in answer_ids.chunks(500) {
        let rows: Vec<(i64, String)> = with_conn!(conn, |c| public_form_answers::table
            .filter(public_form_answers::id.eq_any(chunk))
            .select((public_form_answers::id, public_form_answers::receipt))
            .load(c))?;
        out.extend(rows);
    }
    Ok(out)
}

fn with_receipts(conn: &mut DbConn, rows: Vec<LinkRow>) -> EngineResult<Vec<Link>> {
    let ids: Vec<i64> = rows.iter().filter_map(|r| r.answer_id).collect();
    let receipts = receipts(conn, &ids)?;
    Ok(rows
        .iter()
        .map(|r| r.to_link(r.answer_id.and_then(|a| receipts.get(&a).cloned())))
        .collect())
}

/// Creates links for `form` (manage right on its app), all or nothing. Each needs a recipient,
/// a mode `once` or `editable`, and prefill only of the form's fields (`CB_VA01`,
/// `links[<i>].<member>` keys).
pub fn create_links(
    conn: &mut DbConn,
    ctx: &ActingContext,
    form: i64,
    links: &[NewLink],
) -> EngineResult<Vec<Link>> {
    let (row, _) = staff_form(conn, ctx, form, AppRight::Manage)?;
    let settings = row.to_form().settings;
    if links.len() > MAX_LINKS_PER_CALL {
        return Err(UserError::invalid(
            "links",
            Message::keyed(
                "public_forms.err.too_many_links",
                "You can create up to 5000 links at a time.",
            )
            .arg("max", MAX_LINKS_PER_CALL.to_string()),
        )
        .into());
    }
    let mut errors = FieldErrors::new();
    for (i, l) in links.iter().enumerate() {
        let recipient = l.recipient.trim();
        if recipient.is_empty() || recipient.chars().count() > MAX_RECIPIENT_CHARS {
            errors
                .entry(format!("links[{i}].recipient"))
                .or_default()
                .push(Message::keyed(
                    "public_forms.err.recipient",
                    "Enter the recipient (200 characters or fewer).",
                ));
        }
        if l.mode != ONCE && l.mode != EDITABLE {
            errors
                .entry(format!("links[{i}].mode"))
                .or_default()
                .push(Message::keyed(
                    "public_forms.err.mode",
                    "The link mode is once or editable.",
                ));
        }
        for code in l.prefill.keys() {
            if !settings.fields.iter().any(|f| &f.code == code) {
                errors
                    .entry(format!("links[{i}].prefill.{code}"))
                    .or_default()
                    .push(Message::keyed(
                        "public_forms.err.unknown_field",
                        "This field is not on the form.",
                    ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(UserError::Validation(errors).into());
    }
    let now = ctx.now().timestamp();
    let mut ids = Vec::with_capacity(links.len());
    for l in links {
        let prefill = serde_json::to_string(&l.prefill)?;
        let id: i64 = with_conn!(conn, |c| diesel::insert_into(public_form_links::table)
            .values((
                public_form_links::form_id.eq(form),
                public_form_links::token.eq(random_token(16)),
                public_form_links::recipient.eq(l.recipient.trim()),
                public_form_links::prefill.eq(&prefill),
                public_form_links::mode.eq(&l.mode),
                public_form_links::expires_at.eq(l.expires_at),
                public_form_links::revoked.eq(0_i64),
                public_form_links::created_at.eq(now),
            ))
            .returning(public_form_links::id)
            .get_result(c))?;
        ids.push(id);
    }
    ctx.audit(
        conn,
        audit_action::LINKS_CREATE,
        &format!("public_form:{form}"),
        json!({"app": row.app_id, "count": ids.len()}),
    )?;
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let part: Vec<LinkRow> = with_conn!(conn, |c| public_form_links::table
            .filter(public_form_links::id.eq_any(chunk))
            .order(public_form_links::id)
            .select(LinkRow::as_select())
            .load(c))?;
        rows.extend(part);
    }
    with_receipts(conn, rows)
}

/// The links of `form` in creation order (view right on its app).
pub fn list_links(conn: &mut DbConn, ctx: &ActingContext, form: i64) -> EngineResult<Vec<Link>> {
    staff_form(conn, ctx, form, AppRight::View)?;
    let rows: Vec<LinkRow> = with_conn!(conn, |c| public_form_links::table
        .filter(public_form_links::form_id.eq(form))
        .order(public_form_links::id)
        .select(LinkRow::as_select())
        .load(c))?;
    with_receipts(conn, rows)
}

/// Revokes links of `form` (manage right): they open nothing any more. Ids of other forms are
/// ignored.
pub fn revoke_links(
    conn: &mut DbConn,
    ctx: &ActingContext,
    form: i64,
    ids: &[i64],
) -> EngineResult<()> {
    let (row, _) = staff_form(conn, ctx, form, AppRight::Manage)?;
    let mut revoked = 0;
    for chunk in ids.chunks(500) {
        revoked += with_conn!(conn, |c| diesel::update(
            public_form_links::table
                .filter(public_form_links::form_id.eq(form))
                .filter(public_form_links::id.eq_any(chunk))
        )
        .set(public_form_links::revoked.eq(1_i64))
        .execute(c))?;
    }
    ctx.audit(
        conn,
        audit_action::LINKS_REVOKE,
        &format!("public_form:{form}"),
        json!({"app": row.app_id, "ids": ids, "revoked": revoked}),
    )
}
