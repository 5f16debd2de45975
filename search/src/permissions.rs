//! Which parts a searcher may see, through the engine's one permission path (`acl::Access`):
//! - apps: the app right `view` (API tokens: their app's view right) on the apps reachable through
//!   the searcher's path (`ActingContext::visible_apps`);
//! - fields: `Access::field_level` (inner subtable fields take their subtable's rule), turned into
//!   query clauses that drop the hidden parts inside tantivy, so counts stay exact; a rule that
//!   depends on whether the searcher created the record uses the part's stored creator;
//! - records: an app with record rules needs a check per candidate record
//!   (`acl::sql::records_rights`), done after the tantivy search.

use kumiki_engine::acl::{check_app_access, Access, Accessibility, AppRight};
use kumiki_engine::acting::ActingContext;
use kumiki_engine::apps::{AppDefinition, LiveApp};
use kumiki_engine::db::DbConn;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

use crate::error::SearchError;
use crate::schema::Fields;

/// An app the searcher may view.
pub struct VisibleApp {
    /// The live app with the searcher's rights attached.
    pub app: LiveApp,
}

impl VisibleApp {
    /// The searcher's rights in this app.
    pub fn access(&self) -> &Access {
        &self.app.access
    }

    /// Whether record rules may hide some records (a check per record is needed).
    pub fn needs_record_check(&self) -> bool {
        self.access().has_record_rules() || !self.access().rights.view
    }

    pub fn name(&self) -> &str {
        &self.app.definition.name
    }
}

/// The deployed apps among `wanted` (all apps when empty) that the searcher may view through their
/// path (`ActingContext::visible_apps`, the one list of what someone may see).
pub fn visible_apps(
    conn: &mut DbConn,
    who: &ActingContext,
    wanted: &[i64],
) -> Result<Vec<VisibleApp>, SearchError> {
    let found = if wanted.is_empty() {
        who.visible_apps(conn)?
    } else {
        let mut w = wanted.to_vec();
        w.sort_unstable();
        w.dedup();
        who.visible_apps_among(conn, &w)?
    };
    // Apps this searcher may only manage (not view), or never deployed, are simply not searched.
    Ok(found
        .into_iter()
        .filter(|v| check_app_access(&v.access, AppRight::View).is_ok())
        .filter_map(|v| v.into_live())
        .map(|app| VisibleApp { app })
        .collect())
}

fn term(field: tantivy::schema::Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

fn app_term(fields: &Fields, app: i64) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_u64(fields.app_id, u64::try_from(app).unwrap_or(0)),
        IndexRecordOption::Basic,
    ))
}

/// Whether a field is readable for a record the searcher created / did not create.
pub fn field_readable(access: &Access, def: &AppDefinition, code: &str, is_creator: bool) -> bool {
    access.field_level(def, code, is_creator) >= Accessibility::Read
}

/// Query clauses (to be `MustNot`) matching the parts of `v`'s app the searcher may not see.
pub fn hidden_parts(fields: &Fields, v: &VisibleApp) -> Vec<Box<dyn Query>> {
    let access = v.access();
    if access.fields.is_empty() {
        return Vec::new();
    }
    let def = &v.app.definition;
    let mut out: Vec<Box<dyn Query>> = Vec::new();
    for code in def.field_ids.keys() {
        let as_creator = field_readable(access, def, code, true);
        let as_other = field_readable(access, def, code, false);
        let mut clauses = vec![
            (Occur::Must, app_term(fields, v.app.row.id)),
            (Occur::Must, term(fields.field_code, code)),
        ];
        match (as_creator, as_other) {
            (true, true) => continue,
            (false, false) => {}
            // Visible only on records the searcher created: hide where the creator is someone else.
            (true, false) => clauses.push((Occur::MustNot, term(fields.creator, &access.user))),
            (false, true) => clauses.push((Occur::Must, term(fields.creator, &access.user))),
        }
        out.push(Box::new(BooleanQuery::new(clauses)));
    }
    out
}

/// A query matching the parts of any of these apps.
pub fn any_app(fields: &Fields, apps: &[VisibleApp]) -> Box<dyn Query> {
    let clauses = apps
        .iter()
        .map(|v| (Occur::Should, app_term(fields, v.app.row.id)))
        .collect();
    Box::new(BooleanQuery::new(clauses))
}
