//! Permissions: `app/acl.json`, `record/acl.json`, `field/acl.json` (read live or pre-live, write
//! pre-live, deployed with the app; app managers only) and `records/acl/evaluate.json` (the caller's
//! rights on records). The model lives in `kumiki_engine::acl`; docs/api.md "Permissions".

use kumiki_engine::acl::settings::{self, EntityDirectory};
use kumiki_engine::acl::{AppAclEntry, AppRight, FieldAclRule, RecordAclRule};
use kumiki_engine::apps::AppDefinition;
use kumiki_engine::db::DbConn;
use kumiki_engine::fields::FieldType;
use kumiki_engine::query;
use kumiki_engine::records::{created_by_caller, get_record};
use kumiki_engine::users::User;
use kumiki_engine::{QueryErrorCode, UserError};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use super::call::Call;
use super::form::{change_preview, stage_definition};
use crate::error::ApiError;
use crate::params::Params;

const EVALUATE_LIMIT: usize = 100;

/// The organisation tables, for entity checks.
struct Directory<'a>(&'a mut DbConn);

impl EntityDirectory for Directory<'_> {
    fn user_exists(&mut self, code: &str) -> bool {
        matches!(User::find_by_code(self.0, code), Ok(Some(_)))
    }
    fn group_exists(&mut self, code: &str) -> bool {
        matches!(kumiki_engine::org::find_group(self.0, code), Ok(Some(_)))
    }
    fn department_exists(&mut self, code: &str) -> bool {
        matches!(
            kumiki_engine::org::find_department(self.0, code),
            Ok(Some(_))
        )
    }
}

/// Settings of either stage need the manage right (kintone: app management permission).
fn acl_stage(call: &mut Call, p: &Params, preview: bool) -> Result<(AppDefinition, i64), ApiError> {
    call.app_row(p.i64("app")?, AppRight::Manage)?;
    stage_definition(call, p, preview)
}

/// kintone accepts booleans as `"true"`/`"false"` strings.
fn booleans(v: &mut Value) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(booleans),
        Value::Object(m) => {
            for (_, x) in m.iter_mut() {
                match x {
                    Value::String(s) if s == "true" || s == "false" => {
                        *x = Value::Bool(s == "true")
                    }
                    other => booleans(other),
                }
            }
        }
        _ => {}
    }
}

fn parse_rights<T: DeserializeOwned>(p: &Params) -> Result<Vec<T>, ApiError> {
    let mut rights = p
        .get("rights")
        .cloned()
        .ok_or_else(|| ApiError::invalid("rights", "Required field."))?;
    if !rights.is_array() {
        return Err(ApiError::invalid("rights", "Enter a list."));
    }
    booleans(&mut rights);
    serde_json::from_value(rights).map_err(|e| ApiError::invalid("rights", &e.to_string()))
}

/// What an app without an app ACL means: everyone may do everything.
fn default_app_acl() -> Vec<AppAclEntry> {
    vec![AppAclEntry {
        entity: kumiki_engine::acl::Entity {
            kind: kumiki_engine::acl::EntityType::Group,
            code: Some(kumiki_engine::acl::EVERYONE.to_owned()),
        },
        include_subs: false,
        app_editable: true,
        record_viewable: true,
        record_addable: true,
        record_editable: true,
        record_deletable: true,
        record_importable: true,
        record_exportable: true,
    }]
}

/// Permission changes are audited in the same transaction as the change.
fn audit_permission_change(call: &mut Call, p: &Params, detail: Value) -> Result<(), ApiError> {
    let app = p.i64("app")?;
    call.audit(
        kumiki_engine::audit::action::PERMISSION_UPDATE,
        &format!("app:{app}"),
        detail,
    )
}

pub fn get_app_acl(call: &mut Call, p: &Params, preview: bool) -> Result<Value, ApiError> {
    let (def, revision) = acl_stage(call, p, preview)?;
    let rights = def.app_acl.unwrap_or_else(default_app_acl);
    Ok(json!({"rights": rights, "revision": revision.to_string()}))
}

pub fn update_app_acl(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let rights: Vec<AppAclEntry> = parse_rights(p)?;
    let (def, _) = acl_stage(call, p, true)?;
    settings::check_app_acl(&rights, &def, &mut Directory(call.conn))?;
    let detail = json!({"kind": "app", "rights": p.get("rights").cloned().unwrap_or(Value::Null)});
    let result = change_preview(call, p, move |d| {
        d.app_acl = Some(rights);
        Ok(())
    })?;
    audit_permission_change(call, p, detail)?;
    Ok(result)
}

pub fn get_record_acl(call: &mut Call, p: &Params, preview: bool) -> Result<Value, ApiError> {
    let (def, revision) = acl_stage(call, p, preview)?;
    Ok(json!({"rights": def.record_acl, "revision": revision.to_string()}))
}

/// Checks a record rule's condition against the definition: a valid query without `order by`,
/// `limit` or `offset`.
pub fn check_filter_cond(
    def: &AppDefinition,
    cond: &str,
    tz: chrono_tz::Tz,
) -> Result<(), UserError> {
    let ctx = kumiki_engine::acting::check_query_context(def, tz);
    let q = query::prepare(cond, &ctx)?;
    if !q.order_by.is_empty() || q.limit.is_some() || q.offset.is_some() {
        return Err(UserError::query(
            QueryErrorCode::Syntax,
            "order by, limit and offset cannot be used in a permission condition.",
        ));
    }
    Ok(())
}

pub fn update_record_acl(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let rights: Vec<RecordAclRule> = parse_rights(p)?;
    let (def, _) = acl_stage(call, p, true)?;
    let tz = call.caller.timezone;
    settings::check_record_acl(&rights, &def, &mut Directory(call.conn), &mut |c| {
        check_filter_cond(&def, c, tz)
    })?;
    let detail =
        json!({"kind": "record", "rights": p.get("rights").cloned().unwrap_or(Value::Null)});
    let result = change_preview(call, p, move |d| {
        d.record_acl = rights;
        Ok(())
    })?;
    audit_permission_change(call, p, detail)?;
    Ok(result)
}

pub fn get_field_acl(call: &mut Call, p: &Params, preview: bool) -> Result<Value, ApiError> {
    let (def, revision) = acl_stage(call, p, preview)?;
    Ok(json!({"rights": def.field_acl, "revision": revision.to_string()}))
}

pub fn update_field_acl(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let rights: Vec<FieldAclRule> = parse_rights(p)?;
    let (def, _) = acl_stage(call, p, true)?;
    settings::check_field_acl(&rights, &def, &mut Directory(call.conn))?;
    let detail =
        json!({"kind": "field", "rights": p.get("rights").cloned().unwrap_or(Value::Null)});
    let result = change_preview(call, p, move |d| {
        d.field_acl = rights;
        Ok(())
    })?;
    audit_permission_change(call, p, detail)?;
    Ok(result)
}

/// `GET records/acl/evaluate.json?app&ids[]` → `{rights:[{id, record:{viewable,editable,deletable},
/// fields:{code:{viewable,editable}}}]}`. A record the caller may not view answers `GAIA_RE01`
/// exactly like a missing one.
pub fn evaluate(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = call.live_app(p.i64("app")?, AppRight::View)?;
    let ids: Vec<i64> = p
        .opt_i64_list("ids")?
        .ok_or_else(|| ApiError::invalid("ids", "Required field."))?
        .into_iter()
        .map(|id| id.ok_or_else(|| ApiError::invalid("ids", "Enter integer values.")))
        .collect::<Result<_, _>>()?;
    if ids.len() > EVALUATE_LIMIT {
        return Err(ApiError::invalid(
            "ids",
            "A maximum of 100 records can be evaluated at one time.",
        ));
    }
    let access = app.access.clone();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let record = get_record(call.conn, &app, id)?;
        let rights = kumiki_engine::records::record_rights(call.conn, &app, &access, id)?;
        let is_creator = created_by_caller(&app, &record);
        let mut fields = Map::new();
        for (code, property) in &app.definition.properties {
            let t = property.field_type;
            if t.is_layout_only() || matches!(t, FieldType::Category) {
                continue;
            }
            let level = access.field_level(&app.definition, code, is_creator);
            let viewable = rights.view && level >= kumiki_engine::acl::Accessibility::Read;
            let editable = rights.edit && level == kumiki_engine::acl::Accessibility::Write;
            fields.insert(
                code.clone(),
                json!({"viewable": viewable, "editable": editable}),
            );
        }
        out.push(json!({
            "id": id.to_string(),
            "record": {"viewable": rights.view, "editable": rights.edit, "deletable": rights.delete},
            "fields": fields,
        }));
    }
    Ok(json!({ "rights": out }))
}
