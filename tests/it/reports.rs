//! Graphs (issue 16, item 3): `app/reports.json` in kintone's wire format (pre-live → deploy → live,
//! the guest path), its checks, and `/api/app/report/data.json`, whose numbers must equal what the
//! records API counts — by month, by drop-down, by status, SUM/AVERAGE/MAX of a number and SUM of a
//! subtable number — and shrink for a user whose record-view rights hide records.

use kumiki_tests::{url_encode, Auth, TestApp};
use serde_json::{json, Value};

use crate::guests::{guest_space, move_app};

const PW: &str = "reports-pw-1";

fn fields() -> Value {
    json!({
        "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"},
        "区分": {"type": "DROP_DOWN", "code": "区分", "label": "区分", "options": {
            "相談": {"label": "相談", "index": "0"}, "申請": {"label": "申請", "index": "1"},
            "苦情": {"label": "苦情", "index": "2"}}},
        "受付日": {"type": "DATE", "code": "受付日", "label": "受付日"},
        "金額": {"type": "NUMBER", "code": "金額", "label": "金額"},
        "明細": {"type": "SUBTABLE", "code": "明細", "label": "明細", "fields": {
            "数量": {"type": "NUMBER", "code": "数量", "label": "数量"}}},
    })
}

/// (区分, 受付日, 金額, 数量 rows)
const RECORDS: [(&str, &str, Option<f64>, &[f64]); 9] = [
    ("相談", "2026-01-05", Some(100.0), &[1.0, 2.0]),
    ("相談", "2026-01-20", Some(250.0), &[3.0]),
    ("申請", "2026-01-31", None, &[]),
    ("申請", "2026-02-01", Some(40.5), &[4.0, 5.0, 6.0]),
    ("苦情", "2026-02-14", Some(10.0), &[]),
    ("相談", "2026-03-03", Some(7.0), &[0.5]),
    ("申請", "2026-03-31", Some(1000.0), &[2.0]),
    ("苦情", "", Some(5.0), &[]),
    ("相談", "2026-12-25", Some(3.0), &[1.0]),
];

/// 相談受付 with process management (受付 → 完了), deployed, with RECORDS; the first three are 完了.
pub(crate) fn cases(app: &TestApp) -> i64 {
    let id = app.create_app("相談受付", fields());
    let (s, b) = app.put(
        "/k/v1/preview/app/status.json",
        json!({"app": id, "enable": true,
               "states": {"受付": {"name": "受付", "index": "0"}, "完了": {"name": "完了", "index": "1"}},
               "actions": [{"name": "完了にする", "from": "受付", "to": "完了"}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    for (i, (kind, date, amount, rows)) in RECORDS.iter().enumerate() {
        let table: Vec<Value> = rows
            .iter()
            .map(|q| json!({"value": {"数量": {"value": q.to_string()}}}))
            .collect();
        let rec = app.add_record(
            id,
            json!({"件名": {"value": format!("案件{i}")}, "区分": {"value": kind},
                   "受付日": {"value": date},
                   "金額": {"value": amount.map(|a| a.to_string()).unwrap_or_default()},
                   "明細": {"value": table}}),
        );
        if i < 3 {
            let (s, b) = app.put(
                "/k/v1/record/status.json",
                json!({"app": id, "id": rec, "action": "完了にする", "assignee": "Administrator"}),
            );
            assert_eq!(s, 200, "{b}");
        }
    }
    id
}

pub(crate) fn put_reports(app: &TestApp, id: i64, reports: Value) -> (u16, Value) {
    app.put(
        "/k/v1/preview/app/reports.json",
        json!({"app": id, "reports": reports}),
    )
}

pub(crate) fn report(chart: &str, groups: Value, aggregations: Value) -> Value {
    json!({"chartType": chart, "chartMode": "NORMAL", "groups": groups,
           "aggregations": aggregations, "filterCond": "", "sorts": [{"by": "GROUP1", "order": "ASC"}]})
}

/// The records API's count for a condition, as `who` sees it.
fn count(c: &dyn Fn(&str) -> (u16, Value), id: i64, condition: &str) -> f64 {
    let (s, b) = c(&format!(
        "/k/v1/records.json?app={id}&totalCount=true&query={}",
        url_encode(condition)
    ));
    assert_eq!(s, 200, "{b}");
    b["totalCount"].as_str().unwrap().parse().unwrap()
}

/// `{keys joined by '|': values}` of a report's data.
fn table(c: &dyn Fn(&str) -> (u16, Value), id: i64, report: &str) -> Vec<(String, Vec<Value>)> {
    let (s, b) = c(&format!("/api/app/report/data.json?app={id}&id={report}"));
    assert_eq!(s, 200, "{b}");
    b["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let keys: Vec<String> = r["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap_or("(none)").to_owned())
                .collect();
            (keys.join("|"), r["values"].as_array().unwrap().clone())
        })
        .collect()
}

#[test]
fn reports_round_trip_from_preview_to_live_in_kintone_format() {
    let app = TestApp::spawn();
    let id = cases(&app);
    let monthly = report(
        "COLUMN",
        json!([{"code": "受付日", "per": "MONTH"}]),
        json!([{"type": "COUNT"}]),
    );
    let pivot = report(
        "PIVOT_TABLE",
        json!([{"code": "区分"}, {"code": "Status"}]),
        json!([{"type": "SUM", "code": "金額"}, {"type": "COUNT"}]),
    );
    let (s, b) = put_reports(&app, id, json!({"月別件数": monthly, "区分と状態": pivot}));
    assert_eq!(s, 200, "{b}");
    let monthly_id = b["reports"]["月別件数"]["id"].as_str().unwrap().to_owned();
    assert!(b["reports"]["区分と状態"]["id"].is_string(), "{b}");
    assert!(b["revision"].is_string(), "{b}");
    // Not live before the deploy.
    let (_, live) = app.get(&format!("/k/v1/app/reports.json?app={id}"));
    assert_eq!(live["reports"], json!({}), "{live}");
    app.deploy(id);
    let (s, live) = app.get(&format!("/k/v1/app/reports.json?app={id}"));
    assert_eq!(s, 200, "{live}");
    let r = &live["reports"]["月別件数"];
    assert_eq!(r["id"], monthly_id.as_str());
    assert_eq!(r["name"], "月別件数");
    assert_eq!(r["index"], "0");
    assert_eq!(r["chartType"], "COLUMN");
    assert_eq!(r["groups"], json!([{"code": "受付日", "per": "MONTH"}]));
    assert_eq!(r["aggregations"], json!([{"type": "COUNT"}]));
    assert_eq!(r["sorts"], json!([{"by": "GROUP1", "order": "ASC"}]));
    assert_eq!(live["reports"]["区分と状態"]["index"], "1");
    // Renamed and sent with its id, a report keeps the id.
    let mut renamed = live["reports"]["月別件数"].clone();
    renamed["chartType"] = json!("LINE");
    let (s, b) = put_reports(&app, id, json!({"受付件数の推移": renamed}));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["reports"]["受付件数の推移"]["id"], monthly_id.as_str());
    let (_, preview) = app.get(&format!("/k/v1/preview/app/reports.json?app={id}"));
    assert_eq!(
        preview["reports"].as_object().unwrap().len(),
        1,
        "{preview}"
    );
    // Changing reports needs the app-management right.
    app.user("clerk", PW);
    let clerk = app.with_auth(Auth::Password("clerk".into(), PW.into()));
    let (s, b) = clerk.put(
        "/k/v1/preview/app/reports.json",
        json!({"app": id, "reports": {}}),
    );
    assert_eq!(s, 403, "{b}");
    let (s, b) = clerk.get(&format!("/k/v1/app/reports.json?app={id}"));
    assert_eq!(s, 200, "{b}");
}

#[test]
fn bad_reports_are_refused_with_the_member_named() {
    let app = TestApp::spawn();
    let id = cases(&app);
    let cases = [
        (
            report(
                "COLUMN",
                json!([{"code": "担当者"}]),
                json!([{"type": "COUNT"}]),
            ),
            "reports.g.groups[0].code",
            "担当者",
        ),
        (
            report(
                "COLUMN",
                json!([{"code": "金額"}]),
                json!([{"type": "COUNT"}]),
            ),
            "reports.g.groups[0].code",
            "cannot be used",
        ),
        (
            report(
                "COLUMN",
                json!([{"code": "区分", "per": "MONTH"}]),
                json!([{"type": "COUNT"}]),
            ),
            "reports.g.groups[0].per",
            "not a date",
        ),
        (
            report(
                "COLUMN",
                json!([{"code": "受付日", "per": "HOUR"}]),
                json!([{"type": "COUNT"}]),
            ),
            "reports.g.groups[0].per",
            "DAY",
        ),
        (
            report(
                "COLUMN",
                json!([{"code": "区分"}, {"code": "Status"}, {"code": "受付日"}, {"code": "件名"}]),
                json!([{"type": "COUNT"}]),
            ),
            "reports.g.groups",
            "1 to 3",
        ),
        (
            report(
                "COLUMN",
                json!([{"code": "区分"}]),
                json!([{"type": "SUM", "code": "件名"}]),
            ),
            "reports.g.aggregations[0].code",
            "not a number",
        ),
        (
            report(
                "COLUMN",
                json!([{"code": "区分"}]),
                json!([{"type": "MEDIAN", "code": "金額"}]),
            ),
            "reports.g.aggregations[0].type",
            "COUNT",
        ),
        (
            report(
                "DONUT",
                json!([{"code": "区分"}]),
                json!([{"type": "COUNT"}]),
            ),
            "reports.g.chartType",
            "BAR",
        ),
        (
            json!({"chartType": "PIE", "groups": [{"code": "区分"}], "aggregations": [{"type": "COUNT"}], "filterCond": "区分 in (\"不明\")"}),
            "reports.g.filterCond",
            "不明",
        ),
        (
            json!({"chartType": "PIE", "groups": [{"code": "区分"}], "aggregations": [{"type": "COUNT"}], "sorts": [{"by": "GROUP2", "order": "ASC"}]}),
            "reports.g.sorts[0].by",
            "group 2",
        ),
    ];
    let (_, before) = app.get(&format!("/k/v1/preview/app/reports.json?app={id}"));
    for (bad, key, words) in cases {
        let (s, b) = put_reports(&app, id, json!({"g": bad}));
        assert_eq!(s, 400, "{bad}: {b}");
        assert_eq!(b["code"], "CB_VA01", "{b}");
        let messages = b["errors"][key]["messages"].to_string();
        assert!(messages.contains(words), "{key} / {words}: {b}");
    }
    let (_, after) = app.get(&format!("/k/v1/preview/app/reports.json?app={id}"));
    assert_eq!(before["revision"], after["revision"], "nothing was written");
}

#[test]
fn report_numbers_equal_the_records_api_counts_and_sums() {
    let app = TestApp::spawn();
    let id = cases(&app);
    let (s, b) = put_reports(
        &app,
        id,
        json!({
            "月別": report("COLUMN", json!([{"code": "受付日", "per": "MONTH"}]), json!([{"type": "COUNT"}])),
            "区分別": report("PIE", json!([{"code": "区分"}]),
                json!([{"type": "COUNT"}, {"type": "SUM", "code": "金額"}, {"type": "AVERAGE", "code": "金額"},
                       {"type": "MAX", "code": "金額"}, {"type": "SUM", "code": "数量"}])),
            "状態別": report("BAR", json!([{"code": "Status"}]), json!([{"type": "COUNT"}])),
            "四半期": report("TABLE", json!([{"code": "受付日", "per": "QUARTER"}, {"code": "区分"}]), json!([{"type": "COUNT"}])),
        }),
    );
    assert_eq!(s, 200, "{b}");
    let ids: Vec<String> = ["月別", "区分別", "状態別", "四半期"]
        .iter()
        .map(|n| b["reports"][n]["id"].as_str().unwrap().to_owned())
        .collect();
    app.deploy(id);
    let get = |p: &str| app.get(p);

    let monthly = table(&get, id, &ids[0]);
    let months: Vec<&str> = monthly.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        months,
        ["2026-01", "2026-02", "2026-03", "2026-12", "(none)"]
    );
    for (month, values) in &monthly {
        let condition = match month.as_str() {
            "(none)" => "受付日 = \"\"".to_owned(),
            m => {
                let (y, mo) = (&m[..4], m[5..].parse::<u32>().unwrap());
                let next = if mo == 12 {
                    format!("{}-01-01", y.parse::<u32>().unwrap() + 1)
                } else {
                    format!("{y}-{:02}-01", mo + 1)
                };
                format!("受付日 >= \"{m}-01\" and 受付日 < \"{next}\"")
            }
        };
        assert_eq!(
            values[0].as_f64().unwrap(),
            count(&get, id, &condition),
            "{month}"
        );
    }

    let by_kind = table(&get, id, &ids[1]);
    assert_eq!(by_kind.len(), 3);
    for (kind, values) in &by_kind {
        assert_eq!(
            values[0].as_f64().unwrap(),
            count(&get, id, &format!("区分 in (\"{kind}\")"))
        );
        let mine: Vec<_> = RECORDS.iter().filter(|r| r.0 == kind).collect();
        let amounts: Vec<f64> = mine.iter().filter_map(|r| r.2).collect();
        let sum: f64 = amounts.iter().sum();
        assert!(
            (values[1].as_f64().unwrap() - sum).abs() < 1e-9,
            "{kind} SUM {values:?}"
        );
        let avg = sum / amounts.len() as f64;
        assert!(
            (values[2].as_f64().unwrap() - avg).abs() < 1e-9,
            "{kind} AVERAGE {values:?}"
        );
        let max = amounts.iter().cloned().fold(f64::MIN, f64::max);
        assert_eq!(values[3].as_f64().unwrap(), max, "{kind} MAX");
        let rows: f64 = mine.iter().flat_map(|r| r.3.iter()).sum();
        assert!(
            (values[4].as_f64().unwrap() - rows).abs() < 1e-9,
            "{kind} subtable SUM {values:?}"
        );
    }
    // The subtable sum also equals what the records API returns.
    let (_, all) = app.get(&format!("/k/v1/records.json?app={id}&query=limit%20500"));
    let api_rows: f64 = all["records"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["明細"]["value"].as_array().unwrap().clone())
        .map(|row| {
            row["value"]["数量"]["value"]
                .as_str()
                .unwrap()
                .parse::<f64>()
                .unwrap()
        })
        .sum();
    let total: f64 = by_kind.iter().map(|(_, v)| v[4].as_f64().unwrap()).sum();
    assert!((total - api_rows).abs() < 1e-9);

    let by_status = table(&get, id, &ids[2]);
    assert_eq!(by_status.len(), 2);
    for (status, values) in &by_status {
        assert_eq!(
            values[0].as_f64().unwrap(),
            count(&get, id, &format!("Status in (\"{status}\")")),
            "{status}"
        );
    }
    assert_eq!(
        by_status.iter().find(|(s, _)| s == "完了").unwrap().1[0],
        3.0
    );

    let quarters = table(&get, id, &ids[3]);
    let q1_consult = quarters.iter().find(|(k, _)| k == "2026-Q1|相談").unwrap();
    assert_eq!(
        q1_consult.1[0].as_f64().unwrap(),
        count(
            &get,
            id,
            "受付日 >= \"2026-01-01\" and 受付日 < \"2026-04-01\" and 区分 in (\"相談\")"
        )
    );
    assert!(
        quarters.iter().any(|(k, _)| k == "2026-Q4|相談"),
        "{quarters:?}"
    );
}

#[test]
fn a_user_with_hidden_records_counts_only_what_they_may_see() {
    let app = TestApp::spawn();
    app.user("clerk", PW);
    let id = cases(&app);
    let admin = json!({"type": "USER", "code": "Administrator"});
    let everyone = json!({"type": "GROUP", "code": "everyone"});
    let (s, b) = app.put(
        "/k/v1/preview/record/acl.json",
        json!({"app": id, "rights": [
            {"filterCond": "区分 in (\"苦情\")", "entities": [
                {"entity": admin, "viewable": true, "editable": true, "deletable": true},
                {"entity": everyone, "viewable": false, "editable": false, "deletable": false}]},
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = put_reports(
        &app,
        id,
        json!({"区分別": report("PIE", json!([{"code": "区分"}]), json!([{"type": "COUNT"}, {"type": "SUM", "code": "金額"}]))}),
    );
    assert_eq!(s, 200, "{b}");
    let rid = b["reports"]["区分別"]["id"].as_str().unwrap().to_owned();
    app.deploy(id);
    let clerk = app.with_auth(Auth::Password("clerk".into(), PW.into()));
    let admin_get = |p: &str| app.get(p);
    let clerk_get = |p: &str| clerk.get(p);
    let mine = table(&admin_get, id, &rid);
    let theirs = table(&clerk_get, id, &rid);
    assert_eq!(mine.len(), 3);
    assert_eq!(theirs.len(), 2, "the clerk sees no 苦情 group: {theirs:?}");
    assert!(!theirs.iter().any(|(k, _)| k == "苦情"));
    let sum =
        |t: &[(String, Vec<Value>)]| t.iter().map(|(_, v)| v[0].as_f64().unwrap()).sum::<f64>();
    assert_eq!(sum(&theirs), count(&clerk_get, id, ""));
    assert!(sum(&theirs) < sum(&mine));
    assert_eq!(sum(&mine), count(&admin_get, id, ""));
    let (_, b) = clerk.get(&format!("/api/app/report/data.json?app={id}&id={rid}"));
    assert_eq!(
        b["total"]["values"][1].as_f64().unwrap(),
        100.0 + 250.0 + 40.5 + 7.0 + 1000.0 + 3.0
    );
    // Someone without access to the app gets no numbers at all.
    app.user("outsider", PW);
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": id, "rights": [
            {"entity": admin, "appEditable": true, "recordViewable": true, "recordAddable": true, "recordEditable": true, "recordDeletable": true},
            {"entity": {"type": "USER", "code": "clerk"}, "recordViewable": true},
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let outsider = app.with_auth(Auth::Password("outsider".into(), PW.into()));
    let (s, b) = outsider.get(&format!("/api/app/report/data.json?app={id}&id={rid}"));
    // The app is hidden from them (404 GAIA_AP01, as for every app they may not see).
    assert!(s == 403 || s == 404, "{s} {b}");
    assert!(!b.to_string().contains("相談"), "{b}");
}

#[test]
fn reports_are_read_and_written_through_the_guest_space_path() {
    let app = TestApp::spawn();
    let id = cases(&app);
    guest_space(&app, 501, "相談窓口", &[]);
    move_app(&app, id, 501);
    let base = "/k/guest/501/v1";
    let (s, b) = app.put(
        &format!("{base}/preview/app/reports.json"),
        json!({"app": id, "reports": {"区分別": report("PIE", json!([{"code": "区分"}]), json!([{"type": "COUNT"}]))}}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.post(
        &format!("{base}/preview/app/deploy.json"),
        json!({"apps": [{"app": id}]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.get(&format!("{base}/app/reports.json?app={id}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["reports"]["区分別"]["chartType"], "PIE");
    // The app lives in a guest space: the normal path refuses it.
    let (s, _) = app.get(&format!("/k/v1/app/reports.json?app={id}"));
    assert_ne!(s, 200);
    let rid = b["reports"]["区分別"]["id"].as_str().unwrap().to_owned();
    let (s, b) = app.get(&format!(
        "/api/guest/501/app/report/data.json?app={id}&id={rid}"
    ));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["total"]["values"][0], 9.0);
}
