//! View settings (issue 10, item 2): shared views through `preview/app/views.json` with system,
//! Status and Assignee columns and clear errors for bad columns, filters and sorts; private views
//! (`/api/app/views/private.json`) that only their owner sees, checked like shared views and removed
//! with their app.

use kumiki_engine::apps::AppId;
use kumiki_tests::{url_encode, Auth, Client2, TestApp};
use serde_json::{json, Value};

const PW: &str = "views-settings-pw-1";
const PRIVATE: &str = "/api/app/views/private.json";

fn as_user<'a>(app: &'a TestApp, login: &str) -> Client2<'a> {
    app.with_auth(Auth::Password(login.into(), PW.into()))
}

/// 備品貸出管理 with process management on (貸出中 → 返却済), deployed, with one record.
fn lending(app: &TestApp) -> i64 {
    let id = app.create_app(
        "備品貸出管理",
        json!({
            "備品名": {"type": "SINGLE_LINE_TEXT", "code": "備品名", "label": "備品名"},
            "貸出日": {"type": "DATE", "code": "貸出日", "label": "貸出日"},
            "明細": {"type": "SUBTABLE", "code": "明細", "label": "明細", "fields": {
                "付属品": {"type": "SINGLE_LINE_TEXT", "code": "付属品", "label": "付属品"}}},
        }),
    );
    let (s, b) = app.put(
        "/k/v1/preview/app/status.json",
        json!({"app": id, "enable": true,
               "states": {"貸出中": {"name": "貸出中", "index": "0"}, "返却済": {"name": "返却済", "index": "1"}},
               "actions": [{"name": "返却する", "from": "貸出中", "to": "返却済"}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    app.add_record(
        id,
        json!({"備品名": {"value": "ノートPC"}, "貸出日": {"value": "2026-12-01"}}),
    );
    id
}

fn revision(app: &TestApp, id: i64) -> String {
    let (_, b) = app.get(&format!("/k/v1/preview/app/views.json?app={id}"));
    b["revision"].as_str().unwrap().to_owned()
}

#[test]
fn views_keep_system_status_and_assignee_columns_in_order() {
    let app = TestApp::spawn();
    let id = lending(&app);
    let columns = json!([
        "Record_number",
        "備品名",
        "Status",
        "Assignee",
        "Created_by",
        "Updated_datetime"
    ]);
    let (s, b) = app.put(
        "/k/v1/preview/app/views.json",
        json!({"app": id, "views": {
            "貸出中一覧": {"type": "LIST", "index": "0", "fields": columns,
                       "filterCond": "Status in (\"貸出中\")", "sort": "貸出日 desc, Record_number asc"},
            "貸出カレンダー": {"type": "CALENDAR", "index": "1", "date": "貸出日", "title": "備品名"},
        }}),
    );
    assert_eq!(s, 200, "{b}");
    let first_id = b["views"]["貸出中一覧"]["id"].as_str().unwrap().to_owned();
    app.deploy(id);
    let (_, b) = app.get(&format!("/k/v1/app/views.json?app={id}"));
    let view = &b["views"]["貸出中一覧"];
    assert_eq!(view["fields"], columns);
    assert_eq!(view["sort"], "貸出日 desc, Record_number asc");
    assert_eq!(b["views"]["貸出カレンダー"]["date"], "貸出日");
    // The list reads exactly those columns; Status and Assignee carry the status and who works on it.
    let (s, b) = app.get(&format!(
        "/k/v1/records.json?app={id}&query={}&fields[0]=Status&fields[1]=Assignee&fields[2]=Record_number",
        url_encode(view["filterCond"].as_str().unwrap())
    ));
    assert_eq!(s, 200, "{b}");
    let record = &b["records"][0];
    assert_eq!(record["Status"]["value"], "貸出中");
    assert_eq!(record["Assignee"]["value"][0]["code"], "Administrator");
    assert!(record["Assignee"]["value"][0]["name"].is_string());
    // A renamed view sent with its id keeps it (the default view names views by id).
    let (s, b) = app.put(
        "/k/v1/preview/app/views.json",
        json!({"app": id, "views": {
            "貸出中の備品": {"id": first_id, "type": "LIST", "index": "0", "fields": ["備品名", "Status"]},
        }}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["views"]["貸出中の備品"]["id"], first_id.as_str());
    let (_, b) = app.get(&format!("/k/v1/preview/app/views.json?app={id}"));
    assert_eq!(b["views"].as_object().unwrap().len(), 1, "{b}");
}

#[test]
fn bad_columns_filters_and_sorts_are_refused_with_their_view_named() {
    let app = TestApp::spawn();
    let id = lending(&app);
    let before = revision(&app, id);
    let cases = [
        (
            json!({"type": "LIST", "fields": ["備品名", "返却予定日"]}),
            "views.一覧.fields",
            "返却予定日",
        ),
        (
            json!({"type": "LIST", "fields": ["付属品"]}),
            "views.一覧.fields",
            "付属品",
        ),
        (
            json!({"type": "LIST", "fields": ["備品名", "備品名"]}),
            "views.一覧.fields",
            "twice",
        ),
        (
            json!({"type": "LIST", "filterCond": "貸出日 > \"2026-01-01\" order by 貸出日 asc"}),
            "views.一覧.filterCond",
            "order by",
        ),
        (
            json!({"type": "LIST", "filterCond": "存在しない = \"x\""}),
            "views.一覧.filterCond",
            "存在しない",
        ),
        (
            json!({"type": "LIST", "sort": "備品名 sideways"}),
            "views.一覧.sort",
            "",
        ),
        (
            json!({"type": "CALENDAR", "date": "備品名"}),
            "views.一覧.date",
            "備品名",
        ),
        (json!({"type": "GANTT"}), "views.一覧.type", "LIST"),
    ];
    for (view, key, word) in cases {
        let (s, b) = app.put(
            "/k/v1/preview/app/views.json",
            json!({"app": id, "views": {"一覧": view}}),
        );
        assert_eq!(s, 400, "{view}: {b}");
        assert_eq!(b["code"], "CB_VA01", "{b}");
        let messages = b["errors"][key]["messages"].to_string();
        assert!(messages.contains(word), "{view}: {key} {b}");
    }
    assert_eq!(revision(&app, id), before, "nothing was written");
}

#[test]
fn private_views_belong_to_their_owner() {
    let app = TestApp::spawn();
    let id = lending(&app);
    app.user("sato", PW);
    app.user("suzuki", PW);
    let sato = as_user(&app, "sato");
    let suzuki = as_user(&app, "suzuki");
    let list = |c: &Client2| -> Vec<Value> {
        let (s, b) = c.get(&format!("{PRIVATE}?app={id}"));
        assert_eq!(s, 200, "{b}");
        b["views"].as_array().unwrap().clone()
    };
    assert!(list(&sato).is_empty());

    let (s, b) = sato.put(
        PRIVATE,
        json!({"app": id, "view": {"name": "自分の貸出", "fields": ["Record_number", "備品名", "Status", "Assignee"],
                                    "filterCond": "Created_by in (LOGINUSER())", "sort": "Record_number desc"}}),
    );
    assert_eq!(s, 200, "{b}");
    let first = b["id"].as_str().unwrap().to_owned();
    let (s, b) = sato.put(
        PRIVATE,
        json!({"app": id, "view": {"name": "日付順", "sort": "貸出日 asc"}}),
    );
    assert_eq!(s, 200, "{b}");
    let second = b["id"].as_str().unwrap().to_owned();
    let views = list(&sato);
    assert_eq!(views.len(), 2);
    assert_eq!(views[0]["name"], "自分の貸出");
    assert_eq!(views[0]["id"], first.as_str());
    assert_eq!(views[0]["type"], "LIST");
    assert_eq!(
        views[0]["fields"],
        json!(["Record_number", "備品名", "Status", "Assignee"])
    );
    assert_eq!(views[1]["fields"], json!([]));

    // Only the owner sees, changes or deletes them.
    assert!(list(&suzuki).is_empty());
    let (_, b) = app.get(&format!("{PRIVATE}?app={id}"));
    assert_eq!(
        b["views"],
        json!([]),
        "the administrator sees none of sato's"
    );
    let (s, b) = suzuki.delete(PRIVATE, json!({"app": id, "id": first}));
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
    let (s, b) = suzuki.put(
        PRIVATE,
        json!({"app": id, "view": {"id": first, "name": "乗っ取り"}}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");

    // Rename in place; a name already used is refused.
    let (s, b) = sato.put(
        PRIVATE,
        json!({"app": id, "view": {"id": first, "name": "自分が借りた備品", "fields": ["備品名"]}}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["id"], first.as_str());
    let (s, b) = sato.put(
        PRIVATE,
        json!({"app": id, "view": {"id": second, "name": "自分が借りた備品"}}),
    );
    assert_eq!(s, 400, "{b}");
    assert!(b["errors"]["views[0].name"].is_object(), "{b}");

    // Bad views are refused kintone-style and nothing changes.
    for (view, key) in [
        (
            json!({"name": "壊れた条件", "filterCond": "備品名 = "}),
            "views[0].filterCond",
        ),
        (
            json!({"name": "無い列", "fields": ["返却予定日"]}),
            "views[0].fields",
        ),
        (
            json!({"name": "無い並び", "sort": "返却予定日 asc"}),
            "views[0].sort",
        ),
        (
            json!({"name": "カレンダー", "type": "CALENDAR", "date": "貸出日"}),
            "views[0].type",
        ),
        (json!({"name": ""}), "views[0].name"),
    ] {
        let (s, b) = sato.put(PRIVATE, json!({"app": id, "view": view}));
        assert_eq!(s, 400, "{view}: {b}");
        assert_eq!(b["code"], "CB_VA01", "{b}");
        assert!(b["errors"][key]["messages"].is_array(), "{key}: {b}");
    }
    assert_eq!(list(&sato).len(), 2);

    // Replacing all reorders (ids kept) and drops the views left out.
    let (s, b) = sato.put(
        PRIVATE,
        json!({"app": id, "views": [{"id": second, "name": "日付順", "sort": "貸出日 asc"},
                                    {"id": first, "name": "自分が借りた備品", "fields": ["備品名"]}]}),
    );
    assert_eq!(s, 200, "{b}");
    let views = list(&sato);
    assert_eq!(
        views.iter().map(|v| v["id"].clone()).collect::<Vec<_>>(),
        vec![json!(second), json!(first)]
    );
    let (s, b) = sato.delete(PRIVATE, json!({"app": id, "id": second}));
    assert_eq!(s, 200, "{b}");
    let views = list(&sato);
    assert_eq!(views.len(), 1);
    assert_eq!(views[0]["name"], "自分が借りた備品");

    // API tokens act for no user and keep no private views.
    let token = app.token(id, "view");
    let (s, b) = app
        .with_auth(Auth::Tokens(token))
        .get(&format!("{PRIVATE}?app={id}"));
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")), "{b}");
}

#[test]
fn private_views_need_the_view_right_and_obey_field_rights() {
    let app = TestApp::spawn();
    let id = lending(&app);
    app.user("sato", PW);
    app.user("outsider", PW);
    // sato views the app but not 貸出日; outsider may not view the app.
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": id, "rights": [
            {"entity": {"type": "USER", "code": "Administrator"}, "appEditable": true, "recordViewable": true,
             "recordAddable": true, "recordEditable": true, "recordDeletable": true, "recordImportable": true, "recordExportable": true},
            {"entity": {"type": "USER", "code": "sato"}, "recordViewable": true},
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/k/v1/preview/field/acl.json",
        json!({"app": id, "rights": [{"code": "貸出日", "entities": [
            {"accessibility": "WRITE", "entity": {"type": "USER", "code": "Administrator"}},
            {"accessibility": "NONE", "entity": {"type": "USER", "code": "sato"}}]}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let (s, b) = as_user(&app, "outsider").get(&format!("{PRIVATE}?app={id}"));
    // An app the caller may not view answers as a missing one.
    assert_eq!((s, b["code"].as_str()), (404, Some("GAIA_AP01")), "{b}");
    let (s, b) = as_user(&app, "outsider").put(PRIVATE, json!({"app": id, "view": {"name": "x"}}));
    assert_eq!(s, 404, "{b}");
    let sato = as_user(&app, "sato");
    let (s, b) = sato.put(
        PRIVATE,
        json!({"app": id, "view": {"name": "貸出日で", "filterCond": "貸出日 > \"2026-01-01\""}}),
    );
    assert_eq!(s, 400, "{b}");
    assert!(b["errors"]["views[0].filterCond"].is_object(), "{b}");
    // A column sato may not see can be kept; the list never returns its values.
    let (s, b) = sato.put(
        PRIVATE,
        json!({"app": id, "view": {"name": "全部", "fields": ["備品名", "貸出日"]}}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, b) = sato.get(&format!(
        "/k/v1/records.json?app={id}&fields[0]=備品名&fields[1]=貸出日"
    ));
    assert!(b["records"][0]["貸出日"].is_null(), "{b}");
}

#[test]
fn deleting_an_app_removes_its_private_views() {
    let app = TestApp::spawn();
    let id = lending(&app);
    app.user("sato", PW);
    let (s, b) = as_user(&app, "sato").put(PRIVATE, json!({"app": id, "view": {"name": "自分用"}}));
    assert_eq!(s, 200, "{b}");
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let count = |conn: &mut kumiki_engine::db::DbConn| -> i64 {
        let mut q = conn.sql();
        q.push("SELECT COUNT(*) AS n FROM private_views WHERE app_id = ")
            .bind_int(id);
        let rows: Vec<kumiki_engine::db::IntRow> = conn.load(&q).unwrap();
        rows[0].n
    };
    assert_eq!(count(&mut conn), 1);
    kumiki_engine::apps::delete_app(&mut conn, AppId(id)).unwrap();
    assert_eq!(count(&mut conn), 0);
}
