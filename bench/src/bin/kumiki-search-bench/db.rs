//! The database side: the archive apps (created and deployed through the engine, as the API does)
//! and, for the DB-backed sample, records added through `records::add_records` so that every one
//! writes its change-log row in the same transaction.

use anyhow::{Context, Result};
use kumiki_bench::inproc::{deployed_app, engine};
use kumiki_engine::acl::{AppRight, Principal};
use kumiki_engine::acting::{ActingContext, Channel};
use kumiki_engine::apps::{load_definition, AppDefinition, AppId, LIVE};
use kumiki_engine::db::{Database, DbConn};
use kumiki_engine::fields::FieldProperty;
use kumiki_engine::records::{add_records, Actor};
use serde_json::json;

use crate::corpus::{self, BODY, DEPARTMENT, TITLE};

pub const ADMIN: &str = "Administrator";
/// The drop-down the record rules of the restricted app look at.
pub const CLASS: &str = "区分";
pub const PUBLIC: &str = "公開";
/// A user who is neither admin nor named in the restricted app's catch-all rule.
pub const STAFF: &str = "tanaka";

pub fn open(url: &str) -> Result<Database> {
    let db = Database::connect(url, 4).map_err(|e| anyhow::anyhow!("{e}"))?;
    db.migrate().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(db)
}

fn property(v: serde_json::Value) -> Result<FieldProperty> {
    serde_json::from_value(v).context("field property")
}

/// The definition of archive app `n`; `restricted` adds record rules: everyone sees the records
/// whose 区分 is 公開, only Administrator the others.
fn definition(n: usize, restricted: bool) -> Result<AppDefinition> {
    let mut def = AppDefinition::new(&format!("文書アーカイブ{:02}", n + 1));
    for (code, kind) in [
        (TITLE, "SINGLE_LINE_TEXT"),
        (BODY, "MULTI_LINE_TEXT"),
        (DEPARTMENT, "SINGLE_LINE_TEXT"),
    ] {
        let p = property(json!({"type": kind, "code": code, "label": code}))?;
        def.properties.insert(code.to_owned(), p);
    }
    let class = property(json!({
        "type": "DROP_DOWN", "code": CLASS, "label": CLASS,
        "options": {
            PUBLIC: {"label": PUBLIC, "index": "0"},
            "内部": {"label": "内部", "index": "1"}
        }
    }))?;
    def.properties.insert(CLASS.to_owned(), class);
    if restricted {
        def.record_acl = serde_json::from_value(json!([
            {"filterCond": format!("{CLASS} in (\"{PUBLIC}\")"),
             "entities": [{"entity": {"type": "GROUP", "code": "everyone"}, "viewable": true}]},
            {"filterCond": "",
             "entities": [{"entity": {"type": "USER", "code": ADMIN},
                           "viewable": true, "editable": true, "deletable": true}]}
        ]))
        .context("record rules")?;
    }
    Ok(def)
}

/// Creates and deploys `count` archive apps; the first is restricted when `restrict_first`.
/// Returns their ids (index i = corpus app i).
pub fn create_apps(conn: &mut DbConn, count: usize, restrict_first: bool) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let def = definition(n, restrict_first && n == 0)?;
        let id = deployed_app(conn, def, ADMIN)?;
        ids.push(id.0);
    }
    Ok(ids)
}

/// The live definitions of these apps, in order.
pub fn definitions(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<AppDefinition>> {
    ids.iter()
        .map(|id| {
            engine(load_definition(conn, AppId(*id), LIVE))?
                .map(|(d, _)| d)
                .with_context(|| format!("app {id} is not deployed"))
        })
        .collect()
}

/// Adds corpus records `0..count` to the apps (record i to app `i % apps.len()`) in transactions
/// of `batch` records per app, as a bulk API call would. Half the records of each app are 公開.
pub fn add_corpus(conn: &mut DbConn, apps: &[i64], count: u64, batch: usize) -> Result<()> {
    let actor = Actor::new(ADMIN, ADMIN, chrono_tz::Asia::Tokyo);
    let mut pending: Vec<Vec<serde_json::Map<String, serde_json::Value>>> =
        vec![Vec::new(); apps.len()];
    // The bench loads its corpus as the server's own work (no user, every right).
    let system = ActingContext::system(Channel::Cli, chrono_tz::Asia::Tokyo);
    let live: Vec<_> = apps
        .iter()
        .map(|id| engine(system.open_app(conn, AppId(*id), AppRight::Add)))
        .collect::<Result<_>>()?;
    let flush = |conn: &mut DbConn, k: usize, inputs: &mut Vec<_>| -> Result<()> {
        if inputs.is_empty() {
            return Ok(());
        }
        engine(conn.write_transaction(|c| add_records(c, &live[k], inputs, &actor, true)))?;
        inputs.clear();
        Ok(())
    };
    for i in 0..count {
        let r = corpus::record(i);
        let k = (i % apps.len() as u64) as usize;
        let mut input = r.input();
        // Alternate within each app (not with `i`, which would tie the class to the app).
        let class = if (i / apps.len() as u64) & 1 == 0 {
            PUBLIC
        } else {
            "内部"
        };
        input.insert(CLASS.to_owned(), json!({ "value": class }));
        pending[k].push(input);
        if pending[k].len() >= batch {
            flush(conn, k, &mut pending[k])?;
        }
    }
    for (k, inputs) in pending.iter_mut().enumerate() {
        flush(conn, k, inputs)?;
    }
    Ok(())
}

/// A signed-in user; `admin` makes them a system administrator.
pub fn user(code: &str, admin: bool) -> Principal {
    Principal::User {
        code: code.to_owned(),
        name: code.to_owned(),
        is_admin: admin,
        departments: Vec::new(),
        own_departments: Vec::new(),
        groups: Vec::new(),
        primary_department: None,
        guest: false,
    }
}
