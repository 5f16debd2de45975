//! The record app of the in-process benchmarks (export, charts): 8 fields, 1,000 records added
//! through `records::add_records`, then doubled by SQL up to the wanted count. The copies carry
//! their index rows (`record_values_*`) too, so queries, sorts and aggregations over them use the
//! same indexes as records written through the engine.

use anyhow::{Context, Result};

use crate::inproc::{deployed_app, engine, exec};
use kumiki_engine::acl::AppRight;
use kumiki_engine::acting::{ActingContext, Channel};
use kumiki_engine::apps::AppDefinition;
use kumiki_engine::db::DbConn;
use kumiki_engine::fields::FieldProperty;
use kumiki_engine::records::{add_records, Actor};
use kumiki_engine::EngineError;
use serde_json::{json, Map, Value};

pub const ADMIN: &str = "Administrator";
const SEED: usize = 1_000;

/// The benchmark app's definition, named `name` (a caller may add settings such as reports).
pub fn definition(name: &str) -> Result<AppDefinition> {
    let mut def = AppDefinition::new(name);
    let fields = [
        json!({"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"}),
        json!({"type": "NUMBER", "code": "金額", "label": "金額"}),
        json!({"type": "DATE", "code": "受付日", "label": "受付日"}),
        json!({"type": "DATETIME", "code": "受付日時", "label": "受付日時"}),
        json!({"type": "DROP_DOWN", "code": "区分", "label": "区分", "options": {
            "相談": {"label": "相談", "index": "0"}, "申請": {"label": "申請", "index": "1"}}}),
        json!({"type": "MULTI_LINE_TEXT", "code": "内容", "label": "内容"}),
        json!({"type": "CREATOR", "code": "作成者", "label": "作成者"}),
        json!({"type": "CREATED_TIME", "code": "作成日時", "label": "作成日時"}),
    ];
    for f in fields {
        let p: FieldProperty = serde_json::from_value(f).context("field")?;
        def.properties.insert(p.code.clone(), p);
    }
    Ok(def)
}

pub fn seed_record(i: usize) -> Map<String, Value> {
    let v = |x: Value| json!({ "value": x });
    let mut m = Map::new();
    m.insert("件名".into(), v(json!(format!("道路の補修の相談 第{i}号"))));
    m.insert("金額".into(), v(json!(format!("{}", (i * 7919) % 100_000))));
    m.insert(
        "受付日".into(),
        v(json!(format!("2026-{:02}-{:02}", 1 + i % 12, 1 + i % 28))),
    );
    m.insert(
        "受付日時".into(),
        v(json!(format!(
            "2026-{:02}-{:02}T{:02}:30:00Z",
            1 + i % 12,
            1 + i % 28,
            i % 24
        ))),
    );
    m.insert(
        "区分".into(),
        v(json!(if i.is_multiple_of(3) {
            "申請"
        } else {
            "相談"
        })),
    );
    m.insert(
        "内容".into(),
        v(json!(format!(
            "松本市中央 {i} 丁目の市道で舗装がはがれています。\n現地確認のうえ対応をお願いします。"
        ))),
    );
    m
}

/// The app `def` (from `definition`) with `records` records: SEED through the engine, the rest
/// copies by SQL, index rows included.
pub fn load(conn: &mut DbConn, def: AppDefinition, records: usize) -> Result<i64> {
    let id = deployed_app(conn, def, ADMIN)?;
    let system = ActingContext::system(Channel::Cli, chrono_tz::Asia::Tokyo);
    let live = engine(system.open_app(conn, id, AppRight::Add))?;
    let actor = Actor::new(ADMIN, ADMIN, chrono_tz::Asia::Tokyo);
    let inputs: Vec<Map<String, Value>> = (0..SEED.min(records)).map(seed_record).collect();
    engine(conn.write_transaction(|c| add_records(c, &live, &inputs, &actor, true)))?;
    let mut have = SEED.min(records);
    while have < records {
        let add = have.min(records - have);
        // Copies of the first `add` records after the last id (ids stay dense: 1..=have+add).
        let sql = format!(
            "INSERT INTO records (app_id, id, revision, creator, created_at, modifier, updated_at, data) \
             SELECT app_id, id + {have}, revision, creator, created_at, modifier, updated_at, data \
             FROM records WHERE id <= {add} AND app_id = "
        );
        engine(conn.write_transaction(|c| {
            let mut b = c.sql();
            b.push(&sql).bind_int(id.0);
            c.execute(&b)?;
            for table in [
                "record_values_num",
                "record_values_text",
                "record_values_long",
            ] {
                let copy = format!(
                    "INSERT INTO {table} (app_id, field_id, record_id, row_id, value{folded}) \
                     SELECT app_id, field_id, record_id + {have}, row_id, value{folded} \
                     FROM {table} WHERE record_id <= {add} AND app_id = ",
                    folded = if table == "record_values_num" {
                        ""
                    } else {
                        ", folded"
                    }
                );
                let mut b = c.sql();
                b.push(&copy).bind_int(id.0);
                c.execute(&b)?;
            }
            Ok::<_, EngineError>(())
        }))?;
        have += add;
    }
    exec(
        conn,
        &format!(
            "UPDATE apps SET next_record_id = {} WHERE id = {}",
            records + 1,
            id.0
        ),
    )?;
    // What autovacuum does a minute after a bulk load: without statistics PostgreSQL believes the
    // tables are tiny and joins them by nested loops (minutes instead of seconds at 1M records).
    if conn.dialect() == kumiki_engine::db::Dialect::Postgres {
        exec(conn, "ANALYZE records")?;
        exec(conn, "ANALYZE record_values_num")?;
        exec(conn, "ANALYZE record_values_text")?;
    }
    Ok(id.0)
}
