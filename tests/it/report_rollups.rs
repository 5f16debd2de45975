//! Charts kept current on write (issue 16, speed: engine/src/reports/rollup.rs). A chart whose
//! numbers a rollup may hold (COUNT/SUM/AVERAGE, a filter without functions) must show, after every
//! kind of write, exactly what its twin shows — the same chart with a MAX added, which is always
//! computed by visiting the records. The writes: adds (one and bulk), updates of groups, numbers
//! and subtable rows, process actions, bulk updates by query, deletes, and a deploy that changes the
//! app. The rollup's tables must be in use, and a user with record-level rules must not read them.

use kumiki_tests::TestApp;
use serde_json::{json, Value};

fn fields() -> Value {
    json!({
        "区分": {"type": "DROP_DOWN", "code": "区分", "label": "区分", "options": {
            "相談": {"label": "相談", "index": "0"}, "申請": {"label": "申請", "index": "1"},
            "苦情": {"label": "苦情", "index": "2"}}},
        "対象": {"type": "CHECK_BOX", "code": "対象", "label": "対象", "options": {
            "市民": {"label": "市民", "index": "0"}, "事業者": {"label": "事業者", "index": "1"},
            "団体": {"label": "団体", "index": "2"}}},
        "受付日": {"type": "DATE", "code": "受付日", "label": "受付日"},
        "金額": {"type": "NUMBER", "code": "金額", "label": "金額"},
        "明細": {"type": "SUBTABLE", "code": "明細", "label": "明細", "fields": {
            "品目": {"type": "DROP_DOWN", "code": "品目", "label": "品目", "options": {
                "紙": {"label": "紙", "index": "0"}, "机": {"label": "机", "index": "1"}}},
            "数量": {"type": "NUMBER", "code": "数量", "label": "数量"}}},
    })
}

fn chart(groups: Value, aggregations: Value, filter: &str) -> Value {
    json!({"chartType": "TABLE", "chartMode": "NORMAL", "groups": groups,
           "aggregations": aggregations, "filterCond": filter,
           "sorts": [{"by": "GROUP1", "order": "ASC"}]})
}

/// (name, groups, aggregations, filter): each becomes a chart and its twin with a MAX added.
fn charts() -> Vec<(&'static str, Value, Value, &'static str)> {
    vec![
        (
            "区分別",
            json!([{"code": "区分"}]),
            json!([{"type": "COUNT"}, {"type": "SUM", "code": "金額"}, {"type": "AVERAGE", "code": "金額"}]),
            "",
        ),
        (
            "月と区分",
            json!([{"code": "受付日", "per": "MONTH"}, {"code": "区分"}]),
            json!([{"type": "COUNT"}, {"type": "SUM", "code": "数量"}]),
            "",
        ),
        (
            "対象別",
            json!([{"code": "対象"}]),
            json!([{"type": "COUNT"}, {"type": "AVERAGE", "code": "金額"}]),
            "金額 >= 10",
        ),
        (
            "状態別",
            json!([{"code": "Status"}]),
            json!([{"type": "COUNT"}]),
            "",
        ),
        (
            "品目別",
            json!([{"code": "品目"}, {"code": "受付日", "per": "QUARTER"}]),
            json!([{"type": "SUM", "code": "数量"}, {"type": "COUNT"}]),
            "区分 not in (\"苦情\")",
        ),
    ]
}

fn record(kind: &str, targets: &[&str], date: &str, amount: &str, rows: &[(&str, &str)]) -> Value {
    let table: Vec<Value> = rows
        .iter()
        .map(|(item, q)| json!({"value": {"品目": {"value": item}, "数量": {"value": q}}}))
        .collect();
    json!({"区分": {"value": kind}, "対象": {"value": targets}, "受付日": {"value": date},
           "金額": {"value": amount}, "明細": {"value": table}})
}

/// The app with process management (受付 → 対応中 → 完了) and every chart and its twin deployed.
/// Returns the app id and (chart id, twin id) pairs.
fn setup(app: &TestApp) -> (i64, Vec<(String, String)>) {
    let id = app.create_app("ロールアップ", fields());
    let (s, b) = app.put(
        "/k/v1/preview/app/status.json",
        json!({"app": id, "enable": true,
               "states": {"受付": {"name": "受付", "index": "0"}, "対応中": {"name": "対応中", "index": "1"},
                          "完了": {"name": "完了", "index": "2"}},
               "actions": [{"name": "着手", "from": "受付", "to": "対応中"},
                           {"name": "完了にする", "from": "対応中", "to": "完了"}]}),
    );
    assert_eq!(s, 200, "{b}");
    let mut reports = serde_json::Map::new();
    for (name, groups, aggs, filter) in charts() {
        reports.insert(name.into(), chart(groups.clone(), aggs.clone(), filter));
        let mut with_max = aggs.as_array().unwrap().clone();
        let number = if name == "品目別" {
            "数量"
        } else {
            "金額"
        };
        with_max.push(json!({"type": "MAX", "code": number}));
        reports.insert(
            format!("{name}（比較）"),
            chart(groups, Value::Array(with_max), filter),
        );
    }
    let (s, b) = app.put(
        "/k/v1/preview/app/reports.json",
        json!({"app": id, "reports": reports}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let pairs = charts()
        .iter()
        .map(|(name, ..)| {
            (
                b["reports"][*name]["id"].as_str().unwrap().to_owned(),
                b["reports"][format!("{name}（比較）")]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    (id, pairs)
}

/// A chart's rows as (keys, values) with the totals last.
fn data(app: &TestApp, id: i64, report: &str) -> Vec<(Value, Vec<f64>)> {
    let (s, b) = app.get(&format!("/api/app/report/data.json?app={id}&id={report}"));
    assert_eq!(s, 200, "{b}");
    let row = |r: &Value| {
        let values = r["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap_or(f64::NAN))
            .collect();
        (r["keys"].clone(), values)
    };
    let mut rows: Vec<_> = b["rows"].as_array().unwrap().iter().map(row).collect();
    rows.push(row(&b["total"]));
    rows
}

/// Every chart equals its twin (all but the twin's last value, the MAX).
fn assert_charts_agree(app: &TestApp, id: i64, pairs: &[(String, String)], step: &str) {
    for (chart, twin) in pairs {
        let kept = data(app, id, chart);
        let direct = data(app, id, twin);
        assert_eq!(
            kept.len(),
            direct.len(),
            "{step}: chart {chart} {kept:?} vs {direct:?}"
        );
        for ((keys, values), (twin_keys, twin_values)) in kept.iter().zip(&direct) {
            assert_eq!(keys, twin_keys, "{step}: chart {chart}");
            for (a, b) in values.iter().zip(twin_values) {
                let same = (a.is_nan() && b.is_nan()) || (a - b).abs() < 1e-9;
                assert!(
                    same,
                    "{step}: chart {chart} {keys}: {values:?} vs {twin_values:?}"
                );
            }
        }
    }
}

fn rollup_rows(app: &TestApp, id: i64) -> (i64, i64) {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let mut count = |table: &str| {
        let mut b = conn.sql();
        b.push(&format!(
            "SELECT COUNT(*) AS n FROM {table} WHERE app_id = "
        ))
        .bind_int(id);
        conn.load::<N>(&b).unwrap()[0].n
    };
    (count("report_rollup_states"), count("report_rollups"))
}

#[test]
fn kept_charts_equal_charts_computed_from_the_records_after_every_kind_of_write() {
    let app = TestApp::spawn();
    let (id, pairs) = setup(&app);
    let first = [
        record(
            "相談",
            &["市民"],
            "2026-01-05",
            "100",
            &[("紙", "2"), ("机", "1")],
        ),
        record("申請", &["市民", "事業者"], "2026-01-31", "", &[]),
        record("苦情", &[], "2026-02-14", "10", &[("紙", "5")]),
    ];
    let mut ids: Vec<i64> = first
        .iter()
        .map(|r| app.add_record(id, r.clone()))
        .collect();
    // Opening the charts builds their rollups: five states, the twins (MAX) have none.
    assert_charts_agree(&app, id, &pairs, "first open");
    assert_eq!(rollup_rows(&app, id).0, 5);

    let one = app.add_record(id, record("相談", &["団体"], "", "7.5", &[("机", "3")]));
    ids.push(one);
    let (s, b) = app.post(
        "/k/v1/records.json",
        json!({"app": id, "records": [
            record("申請", &["事業者"], "2026-03-01", "40.5", &[("紙", "1"), ("紙", "1")]),
            record("相談", &["市民", "団体"], "2026-03-31", "1000", &[]),
            record("苦情", &["事業者"], "2026-12-25", "3", &[("机", "2")]),
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    ids.extend(
        b["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().parse::<i64>().unwrap()),
    );
    assert_charts_agree(&app, id, &pairs, "adds");

    // Updates: a group, a date, a number, check boxes, subtable rows.
    let (s, b) = app.put(
        "/k/v1/record.json",
        json!({"app": id, "id": ids[0], "record": {"区分": {"value": "申請"}, "受付日": {"value": "2026-02-01"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/k/v1/records.json",
        json!({"app": id, "records": [
            {"id": ids[1], "record": {"金額": {"value": "55"}, "対象": {"value": ["団体"]}}},
            {"id": ids[2], "record": {"明細": {"value": [{"value": {"品目": {"value": "机"}, "数量": {"value": "9"}}}]}}},
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    assert_charts_agree(&app, id, &pairs, "updates");

    // Process actions move records between states.
    for (rid, action) in [(ids[0], "着手"), (ids[0], "完了にする"), (ids[3], "着手")] {
        let (s, b) = app.put(
            "/k/v1/record/status.json",
            json!({"app": id, "id": rid, "action": action, "assignee": "Administrator"}),
        );
        assert_eq!(s, 200, "{b}");
    }
    let (s, b) = app.put(
        "/k/v1/records/status.json",
        json!({"app": id, "records": [{"id": ids[4], "action": "着手", "assignee": "Administrator"}]}),
    );
    assert_eq!(s, 200, "{b}");
    assert_charts_agree(&app, id, &pairs, "process actions");

    // Deletes.
    let (s, b) = app.delete(
        "/k/v1/records.json",
        json!({"app": id, "ids": [ids[1], ids[5]]}),
    );
    assert_eq!(s, 200, "{b}");
    assert_charts_agree(&app, id, &pairs, "deletes");
    let (states, rows) = rollup_rows(&app, id);
    assert_eq!(states, 5);
    assert!(rows > 10, "the writes were kept as signed rows: {rows}");

    // A deploy that changes the app drops the rollups; the next open builds them again.
    let (s, b) = app.post(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": id, "properties": {"備考": {"type": "SINGLE_LINE_TEXT", "code": "備考", "label": "備考"}}}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    assert_eq!(rollup_rows(&app, id), (0, 0));
    assert_charts_agree(&app, id, &pairs, "after a deploy");
    assert_eq!(rollup_rows(&app, id).0, 5);
    let (s, b) = app.delete(
        "/k/v1/records.json",
        json!({"app": id, "ids": ids.iter().filter(|r| **r != ids[1] && **r != ids[5]).collect::<Vec<_>>()}),
    );
    assert_eq!(s, 200, "{b}");
    assert_charts_agree(&app, id, &pairs, "every record deleted");
}
