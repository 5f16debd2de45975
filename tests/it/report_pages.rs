//! Chart pages (issue 16, item 3): `/apps/{app}/reports/{id}` draws the chart as SVG with its data
//! table, `?format=csv` downloads the same numbers as the data API (UTF-8 with BOM), a user whose
//! record rights hide records sees smaller counts, unknown charts answer the not-found page (and
//! `GAIA_RP01` from the data API), and the record list links the app's charts.

use kumiki_tests::{page_client, Auth, TestApp, ADMIN_PASSWORD};
use serde_json::{json, Value};

use crate::guests::{guest_space, move_app};
use crate::reports::{cases, put_reports, report};

const PW: &str = "report-pages-pw-1";

/// Deploys the charts of `cases` and returns their ids by name.
fn charts(app: &TestApp, id: i64) -> Value {
    let mut stacked = report(
        "COLUMN",
        json!([{"code": "受付日", "per": "MONTH"}, {"code": "区分"}]),
        json!([{"type": "COUNT"}]),
    );
    stacked["chartMode"] = json!("PERCENTAGE");
    let (s, b) = put_reports(
        app,
        id,
        json!({
            "区分別": report("PIE", json!([{"code": "区分"}]), json!([{"type": "COUNT"}, {"type": "SUM", "code": "金額"}])),
            "月別": report("COLUMN", json!([{"code": "受付日", "per": "MONTH"}]), json!([{"type": "COUNT"}])),
            "月別区分": stacked,
            "区分と状態": report("PIVOT_TABLE", json!([{"code": "区分"}, {"code": "Status"}]), json!([{"type": "COUNT"}])),
            "一覧表": report("TABLE", json!([{"code": "区分"}]), json!([{"type": "AVERAGE", "code": "金額"}])),
            "推移": report("SPLINE_AREA", json!([{"code": "受付日", "per": "QUARTER"}]), json!([{"type": "SUM", "code": "数量"}])),
            "<script>alert(1)</script>": report("BAR", json!([{"code": "件名"}]), json!([{"type": "COUNT"}])),
        }),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    b["reports"].clone()
}

fn rid(ids: &Value, name: &str) -> String {
    ids[name]["id"].as_str().unwrap().to_owned()
}

/// A download's status and bytes, with a session cookie.
fn download(app: &TestApp, session: &str, path: &str) -> (u16, String, Vec<u8>) {
    let resp = page_client()
        .get(app.url(path))
        .header("Cookie", session)
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, resp.bytes().unwrap().to_vec())
}

/// The CSV's rows (header first) as cells, checked to start with a UTF-8 BOM.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    text.split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

/// The data API's rows as (keys, values) strings, formatted as the CSV writes them.
fn api_rows(get: &dyn Fn(&str) -> (u16, Value), id: i64, rid: &str) -> Vec<Vec<String>> {
    let (s, b) = get(&format!("/api/app/report/data.json?app={id}&id={rid}"));
    assert_eq!(s, 200, "{b}");
    b["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let keys = r["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap_or("（空白）").to_owned());
            let values = r["values"].as_array().unwrap().iter().map(|v| match v {
                Value::Null => String::new(),
                v => {
                    let f = v.as_f64().unwrap();
                    if f.fract() == 0.0 {
                        format!("{}", f as i64)
                    } else {
                        format!("{f}")
                    }
                }
            });
            keys.chain(values).collect()
        })
        .collect()
}

#[test]
fn chart_pages_draw_svg_with_a_table_and_csv_equals_the_data_api() {
    let app = TestApp::spawn();
    let id = cases(&app);
    let ids = charts(&app, id);
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let get = |p: &str| app.get(p);
    for (name, svg) in [
        ("区分別", true),
        ("月別", true),
        ("月別区分", true),
        ("区分と状態", false),
        ("一覧表", false),
        ("推移", true),
    ] {
        let r = rid(&ids, name);
        let (s, html) = app.page(&session, &format!("/apps/{id}/reports/{r}"));
        assert_eq!(s, 200, "{name}: {html}");
        assert!(html.contains(&format!("<h1 data-testid=\"report-title\">{name}</h1>")));
        assert_eq!(html.contains("class=\"chart\""), svg, "{name}");
        if svg {
            assert!(html.contains("role=\"img\""), "{name}");
        }
        assert!(html.contains("data-testid=\"report-table\""), "{name}");
        assert!(html.contains("<caption>"), "{name}");
        assert!(
            html.contains(&format!("/apps/{id}/reports/{r}?format")),
            "a CSV link"
        );
        // Every chart of the app is linked from every chart page.
        for other in ["区分別", "月別", "一覧表"] {
            assert!(html.contains(&format!("/apps/{id}/reports/{}\"", rid(&ids, other))));
        }
        let (s, ct, bytes) = download(
            &app,
            &session,
            &format!("/apps/{id}/reports/{r}?format=csv"),
        );
        assert_eq!(s, 200, "{name}");
        assert!(ct.starts_with("text/csv"), "{ct}");
        let rows = csv_rows(&bytes);
        assert_eq!(rows[1..].to_vec(), api_rows(&get, id, &r), "{name}");
    }
    let (_, html) = app.page(
        &session,
        &format!("/apps/{id}/reports/{}", rid(&ids, "区分と状態")),
    );
    assert!(html.contains("data-testid=\"report-pivot\""));
    let (_, html) = app.page(
        &session,
        &format!("/apps/{id}/reports/{}", rid(&ids, "月別区分")),
    );
    assert!(html.contains("100% 積み上げ"), "the mode is named");
    // The pie's header names its aggregations.
    let (_, _, bytes) = download(
        &app,
        &session,
        &format!("/apps/{id}/reports/{}?format=csv", rid(&ids, "区分別")),
    );
    assert_eq!(csv_rows(&bytes)[0], ["区分", "レコード数", "合計（金額）"]);
    // A name written as markup is text everywhere on the page.
    let (s, html) = app.page(
        &session,
        &format!(
            "/apps/{id}/reports/{}",
            rid(&ids, "<script>alert(1)</script>")
        ),
    );
    assert_eq!(s, 200);
    assert!(!html.contains("<script>alert(1)"), "escaped");
    assert!(html.contains("&lt;script&gt;alert(1)"));
    // A chart with nothing to count says so instead of drawing an empty axis.
    let mut none = report(
        "COLUMN",
        json!([{"code": "区分"}]),
        json!([{"type": "COUNT"}]),
    );
    none["filterCond"] = json!("金額 > 1000000");
    let (_, all) = app.get(&format!("/k/v1/preview/app/reports.json?app={id}"));
    let mut reports = all["reports"].clone();
    reports["該当なし"] = none;
    let (s, b) = put_reports(&app, id, reports);
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let (s, html) = app.page(
        &session,
        &format!(
            "/apps/{id}/reports/{}",
            b["reports"]["該当なし"]["id"].as_str().unwrap()
        ),
    );
    assert_eq!(s, 200);
    assert!(html.contains("data-testid=\"report-empty\""));
    assert!(!html.contains("class=\"chart\""));
    // The record list links the charts.
    let (s, html) = app.page(&session, &format!("/apps/{id}"));
    assert_eq!(s, 200);
    assert!(html.contains("data-testid=\"report-links\""));
    assert!(html.contains(&format!("/apps/{id}/reports/{}\"", rid(&ids, "月別"))));
}

#[test]
fn a_user_with_hidden_records_sees_smaller_counts_on_the_page_and_in_the_csv() {
    let app = TestApp::spawn();
    app.user("clerk", PW);
    let id = cases(&app);
    let everyone = json!({"type": "GROUP", "code": "everyone"});
    let admin = json!({"type": "USER", "code": "Administrator"});
    let (s, b) = app.put(
        "/k/v1/preview/record/acl.json",
        json!({"app": id, "rights": [{"filterCond": "区分 in (\"苦情\")", "entities": [
            {"entity": admin, "viewable": true, "editable": true, "deletable": true},
            {"entity": everyone, "viewable": false, "editable": false, "deletable": false}]}]}),
    );
    assert_eq!(s, 200, "{b}");
    let ids = charts(&app, id);
    let r = rid(&ids, "区分別");
    let admin_session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let clerk_session = app.sign_in_form("clerk", PW);
    let path = format!("/apps/{id}/reports/{r}?format=csv");
    let total = |session: &str| -> (f64, Vec<String>) {
        let (s, _, bytes) = download(&app, session, &path);
        assert_eq!(s, 200);
        let rows = csv_rows(&bytes);
        let keys = rows[1..].iter().map(|r| r[0].clone()).collect();
        (
            rows[1..].iter().map(|r| r[1].parse::<f64>().unwrap()).sum(),
            keys,
        )
    };
    let (mine, my_keys) = total(&admin_session);
    let (theirs, their_keys) = total(&clerk_session);
    assert_eq!(mine, 9.0);
    assert_eq!(theirs, 7.0, "the clerk counts only what the clerk may view");
    assert!(my_keys.contains(&"苦情".to_owned()));
    assert!(!their_keys.contains(&"苦情".to_owned()), "{their_keys:?}");
    let clerk = app.with_auth(Auth::Password("clerk".into(), PW.into()));
    let clerk_get = |p: &str| clerk.get(p);
    let (_, _, bytes) = download(&app, &clerk_session, &path);
    assert_eq!(csv_rows(&bytes)[1..].to_vec(), api_rows(&clerk_get, id, &r));
    let (s, html) = app.page(&clerk_session, &format!("/apps/{id}/reports/{r}"));
    assert_eq!(s, 200);
    assert!(
        !html.contains("苦情"),
        "no group of hidden records on the page"
    );
    // The editor is for the app's managers only.
    let (s, _) = app.page(&clerk_session, &format!("/apps/{id}/charts"));
    assert_eq!(s, 404);
    let (s, html) = app.page(&admin_session, &format!("/apps/{id}/charts"));
    assert_eq!(s, 200, "{html}");
}

#[test]
fn unknown_charts_are_not_found_on_the_page_and_in_the_api() {
    let app = TestApp::spawn();
    app.user("outsider", PW);
    let id = cases(&app);
    let ids = charts(&app, id);
    let r = rid(&ids, "区分別");
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    for path in [
        format!("/apps/{id}/reports/999"),
        format!("/apps/{id}/reports/abc"),
        format!("/apps/{id}/reports/{r}?format=xlsx"),
        format!("/apps/99999/reports/{r}"),
    ] {
        let (s, html) = app.page(&session, &path);
        assert_eq!(s, 404, "{path}");
        assert!(html.contains("lang=\"ja\""), "{path}");
        assert!(!html.contains("panicked"), "{path}");
    }
    let (s, b) = app.get(&format!("/api/app/report/data.json?app={id}&id=999"));
    assert_eq!((s, b["code"].as_str()), (404, Some("GAIA_RP01")), "{b}");
    // Someone without access to the app gets the not-found page, not the numbers.
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": id, "rights": [{"entity": {"type": "USER", "code": "Administrator"},
            "appEditable": true, "recordViewable": true, "recordAddable": true, "recordEditable": true, "recordDeletable": true}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let outsider = app.sign_in_form("outsider", PW);
    for path in [
        format!("/apps/{id}/reports/{r}"),
        format!("/apps/{id}/reports/{r}?format=csv"),
    ] {
        let (s, html) = app.page(&outsider, &path);
        assert_eq!(s, 404, "{path}");
        assert!(!html.contains("相談"), "{path}");
    }
    // A chart whose field was deleted since says so instead of failing.
    let (s, b) = app.delete(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": id, "fields": ["金額"]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let (s, html) = app.page(&session, &format!("/apps/{id}/reports/{r}"));
    assert_eq!(s, 400, "{html}");
    assert!(html.contains("このグラフは表示できません"));
}

#[test]
fn a_chart_of_a_guest_space_app_opens_for_its_members() {
    let app = TestApp::spawn();
    let id = cases(&app);
    guest_space(&app, 601, "相談窓口", &[]);
    move_app(&app, id, 601);
    let (s, b) = app.put(
        "/k/guest/601/v1/preview/app/reports.json",
        json!({"app": id, "reports": {"区分別": report("PIE", json!([{"code": "区分"}]), json!([{"type": "COUNT"}]))}}),
    );
    assert_eq!(s, 200, "{b}");
    let r = b["reports"]["区分別"]["id"].as_str().unwrap().to_owned();
    let (s, b) = app.post(
        "/k/guest/601/v1/preview/app/deploy.json",
        json!({"apps": [{"app": id}]}),
    );
    assert_eq!(s, 200, "{b}");
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let (s, html) = app.page(&session, &format!("/apps/{id}/reports/{r}"));
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("class=\"chart\""));
}

#[test]
fn report_check_messages_are_japanese_for_japanese_callers() {
    let app = TestApp::spawn();
    let id = cases(&app);
    let bad = json!({"app": id, "reports": {"g": report("COLUMN", json!([{"code": "金額"}]), json!([{"type": "SUM", "code": "件名"}]))}});
    let put = |lang: &str| -> Value {
        let resp = page_client()
            .put(app.url("/k/v1/preview/app/reports.json"))
            .header(
                "X-Cybozu-Authorization",
                base64_auth("Administrator", ADMIN_PASSWORD),
            )
            .header("Accept-Language", lang)
            .json(&bad)
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400);
        resp.json().unwrap()
    };
    let ja = put("ja");
    assert_eq!(ja["code"], "CB_VA01");
    let group = ja["errors"]["reports.g.groups[0].code"]["messages"][0].to_string();
    assert!(group.contains("分類できません"), "{ja}");
    let agg = ja["errors"]["reports.g.aggregations[0].code"]["messages"][0].to_string();
    assert!(agg.contains("数値または計算"), "{ja}");
    let en = put("en");
    let group = en["errors"]["reports.g.groups[0].code"]["messages"][0].to_string();
    assert!(group.contains("cannot be used to group"), "{en}");
}

fn base64_auth(login: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"))
}

#[test]
fn groups_by_user_fields_show_names_on_the_page() {
    let app = TestApp::spawn();
    let (s, b) = app.post(
        "/api/org/users.json",
        json!({"code": "sato", "name": "佐藤 一郎", "password": PW, "mustChangePassword": false}),
    );
    assert_eq!(s, 200, "{b}");
    let id = app.create_app(
        "担当者別",
        json!({"担当者": {"type": "USER_SELECT", "code": "担当者", "label": "担当者"}}),
    );
    for _ in 0..2 {
        app.add_record(id, json!({"担当者": {"value": [{"code": "sato"}]}}));
    }
    let (s, b) = put_reports(
        &app,
        id,
        json!({"担当者別": report("BAR", json!([{"code": "担当者"}]), json!([{"type": "COUNT"}]))}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let r = rid(&b["reports"], "担当者別");
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let (s, html) = app.page(&session, &format!("/apps/{id}/reports/{r}"));
    assert_eq!(s, 200);
    assert!(
        html.contains("佐藤 一郎: 2"),
        "the bar's title names the person"
    );
    assert!(html.contains("<th scope=\"row\">佐藤 一郎</th>"));
}

#[test]
fn groups_by_department_and_group_fields_show_their_names_on_the_page_and_in_the_csv() {
    let app = TestApp::spawn();
    for (path, code, name) in [
        ("/api/org/departments.json", "soumu", "総務課"),
        ("/api/org/departments.json", "zeimu", "税務課"),
        ("/api/org/groups.json", "dx-team", "DX推進チーム"),
    ] {
        let (s, b) = app.post(path, json!({"code": code, "name": name}));
        assert_eq!(s, 200, "{path} {b}");
    }
    let id = app.create_app(
        "担当課別",
        json!({
            "担当課": {"type": "ORGANIZATION_SELECT", "code": "担当課", "label": "担当課"},
            "チーム": {"type": "GROUP_SELECT", "code": "チーム", "label": "チーム"},
        }),
    );
    for (dept, team) in [("soumu", "dx-team"), ("soumu", ""), ("zeimu", "dx-team")] {
        let teams: Vec<Value> = [team]
            .iter()
            .filter(|t| !t.is_empty())
            .map(|t| json!({"code": t}))
            .collect();
        app.add_record(
            id,
            json!({"担当課": {"value": [{"code": dept}]}, "チーム": {"value": teams}}),
        );
    }
    let (s, b) = put_reports(
        &app,
        id,
        json!({"課とチーム": report("TABLE", json!([{"code": "担当課"}, {"code": "チーム"}]), json!([{"type": "COUNT"}]))}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let r = rid(&b["reports"], "課とチーム");
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let (s, _, bytes) = download(
        &app,
        &session,
        &format!("/apps/{id}/reports/{r}?format=csv"),
    );
    assert_eq!(s, 200);
    let rows = csv_rows(&bytes);
    let text = format!("{rows:?}");
    assert!(text.contains("総務課") && text.contains("税務課"), "{text}");
    assert!(text.contains("DX推進チーム"), "{text}");
    assert!(
        !text.contains("soumu") && !text.contains("dx-team"),
        "names, not codes: {text}"
    );
    let (s, _, page) = download(&app, &session, &format!("/apps/{id}/reports/{r}"));
    assert_eq!(s, 200);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("総務課") && page.contains("DX推進チーム"));
}
