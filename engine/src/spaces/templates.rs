//! Space templates (kintone's スペーステンプレート): a space's settings, body, members and threads
//! saved under a name, from which new spaces are made (`template/space.json`). kintone's templates
//! also carry the space's apps; Kumiki's do not (docs/spaces.md, gaps).

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::store::{self, MemberEntry, NewSpace};
use super::{member_entries, Thread};
use crate::acl::Principal;
use crate::acting::ActingContext;
use crate::db::schema::space_templates;
use crate::db::DbConn;
use crate::error::{EngineResult, UserError};
use crate::with_conn;

/// What a template keeps of its space.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateSettings {
    pub body: String,
    pub is_private: bool,
    pub is_guest: bool,
    pub use_multi_thread: bool,
    pub fixed_member: bool,
    pub create_app: String,
    pub members: Vec<MemberEntry>,
    /// Threads in order (name, body); the first becomes the new space's default thread.
    pub threads: Vec<TemplateThread>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TemplateThread {
    pub name: String,
    pub body: String,
}

/// One template row.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = space_templates)]
pub struct SpaceTemplate {
    pub id: i64,
    pub name: String,
    pub settings: String,
    pub creator: String,
    pub created_at: i64,
}

impl SpaceTemplate {
    pub fn settings(&self) -> EngineResult<TemplateSettings> {
        Ok(serde_json::from_str(&self.settings)?)
    }
}

fn check_user(acting: &ActingContext) -> EngineResult<()> {
    match acting.principal() {
        Principal::System | Principal::User { guest: false, .. } => Ok(()),
        Principal::Tokens(_) => Err(UserError::TokenNotPermitted.into()),
        Principal::User { .. } | Principal::PublicForm { .. } => Err(UserError::Forbidden.into()),
    }
}

/// Every template, by name (every signed-in user who is not a guest may create spaces from them).
pub fn list_templates(
    conn: &mut DbConn,
    acting: &ActingContext,
) -> EngineResult<Vec<SpaceTemplate>> {
    check_user(acting)?;
    Ok(with_conn!(conn, |c| space_templates::table
        .order((space_templates::name.asc(), space_templates::id.asc()))
        .select(SpaceTemplate::as_select())
        .load(c))?)
}

fn template_not_found(id: i64) -> UserError {
    UserError::invalid(
        "id",
        crate::error::Message::keyed(
            "spaces.err.template",
            format!("The space template (ID: {id}) does not exist."),
        )
        .arg("id", id.to_string()),
    )
}

/// Saves `space` as a template named `name` (its admins only); returns the template's id.
pub fn create_template(
    conn: &mut DbConn,
    acting: &ActingContext,
    space: i64,
    name: &str,
) -> EngineResult<i64> {
    check_user(acting)?;
    let row = store::enter_as_admin(conn, acting, space)?;
    let name = store::check_name("name", name)?;
    let members = member_entries(conn, space)?
        .into_iter()
        .filter(|m| {
            !crate::users::is_guest(conn, &m.code).unwrap_or(false) || m.entity_type != super::USER
        })
        .map(MemberEntry::from)
        .collect();
    let threads = Thread::of_space(conn, space)?
        .into_iter()
        .map(|t| TemplateThread {
            name: t.name,
            body: t.body,
        })
        .collect();
    let settings = TemplateSettings {
        body: row.body,
        is_private: row.is_private,
        is_guest: row.is_guest,
        use_multi_thread: row.use_multi_thread,
        fixed_member: row.fixed_member,
        create_app: row.create_app,
        members,
        threads,
    };
    let json = serde_json::to_string(&settings)?;
    let now = acting.now().timestamp();
    let id: i64 = with_conn!(conn, |c| diesel::insert_into(space_templates::table)
        .values((
            space_templates::name.eq(&name),
            space_templates::settings.eq(&json),
            space_templates::creator.eq(acting.user_code()),
            space_templates::created_at.eq(now),
        ))
        .returning(space_templates::id)
        .get_result(c))?;
    acting.audit(
        conn,
        "space.template.create",
        &format!("space:{space}"),
        serde_json::json!({"template": id, "name": name}),
    )?;
    Ok(id)
}

/// kintone's `template/space.json`: what the caller may override.
#[derive(Debug, Clone, Default)]
pub struct FromTemplate {
    pub name: String,
    /// Required by kintone; replaces the template's members.
    pub members: Vec<MemberEntry>,
    pub is_private: Option<bool>,
    pub is_guest: Option<bool>,
    pub fixed_member: Option<bool>,
}

/// Creates a space from template `id`; returns the new space's id.
pub fn create_from_template(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
    input: FromTemplate,
) -> EngineResult<i64> {
    check_user(acting)?;
    let row: Option<SpaceTemplate> = with_conn!(conn, |c| space_templates::table
        .find(id)
        .select(SpaceTemplate::as_select())
        .first(c)
        .optional())?;
    let template = row.ok_or_else(|| template_not_found(id))?;
    let settings = template.settings()?;
    let mut threads = settings.threads.into_iter().map(|t| (t.name, t.body));
    let first_thread = threads.next();
    store::create_space(
        conn,
        acting,
        NewSpace {
            name: input.name,
            members: input.members,
            is_private: input.is_private.unwrap_or(settings.is_private),
            is_guest: input.is_guest.unwrap_or(settings.is_guest),
            fixed_member: input.fixed_member.unwrap_or(settings.fixed_member),
            use_multi_thread: settings.use_multi_thread,
            create_app: Some(settings.create_app).filter(|c| !c.is_empty()),
            body: settings.body,
            threads: threads.collect(),
            first_thread,
        },
    )
}
