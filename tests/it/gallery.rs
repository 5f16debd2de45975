//! Issue 17 part 5, the template gallery: every shipped template creates a working app (its sample
//! records load, a record can be added and read back, its views list records, its charts answer);
//! the local gallery is managed by administrators only, and a broken upload is refused with a clear
//! error and writes nothing.

use kumiki_tests::{Auth, TestApp, ADMIN_PASSWORD};
use serde_json::{json, Map, Value};

const PW: &str = "gallery-pw-1";

fn enc(q: &str) -> String {
    q.bytes().map(|b| format!("%{b:02X}")).collect()
}

fn total(app: &TestApp, id: i64, query: &str) -> i64 {
    let (s, b) = app.get(&format!(
        "/k/v1/records.json?app={id}&totalCount=true&query={}",
        enc(query)
    ));
    assert_eq!(s, 200, "app {id} {query}: {b}");
    b["totalCount"].as_str().unwrap().parse().unwrap()
}

/// A copy of `record` fit to add again: no system or calculated fields, unique texts changed.
fn copy_of(record: &Value, fields: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    for (code, cell) in record.as_object().unwrap() {
        let Some(prop) = fields.get(code) else {
            continue;
        };
        let kind = prop["type"].as_str().unwrap();
        match kind {
            "RECORD_NUMBER" | "__ID__" | "__REVISION__" | "CREATOR" | "CREATED_TIME"
            | "MODIFIER" | "UPDATED_TIME" | "STATUS" | "STATUS_ASSIGNEE" | "CATEGORY" | "CALC" => {
                continue
            }
            _ => {}
        }
        let mut value = cell["value"].clone();
        if kind == "SUBTABLE" {
            // Rows without their ids and without calculated cells.
            let rows: Vec<Value> = value
                .as_array()
                .unwrap()
                .iter()
                .map(|row| {
                    let cells: Map<String, Value> = row["value"]
                        .as_object()
                        .unwrap()
                        .iter()
                        .filter(|(_, c)| c["type"] != "CALC")
                        .map(|(k, c)| (k.clone(), json!({"value": c["value"]})))
                        .collect();
                    json!({"value": cells})
                })
                .collect();
            value = Value::Array(rows);
        }
        if prop["unique"] == true {
            value = json!(format!("{}-追加", value.as_str().unwrap_or_default()));
        }
        out.insert(code.clone(), json!({ "value": value }));
    }
    out
}

/// The local department and group the templates' roles are mapped to.
fn local_entities(app: &TestApp) {
    let (s, b) = app.post(
        "/api/org/departments.json",
        json!({"code": "kanzai", "name": "管財課"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.post(
        "/api/org/groups.json",
        json!({"code": "madoguchi", "name": "窓口担当"}),
    );
    assert_eq!(s, 200, "{b}");
}

/// A mapping of every role of template `t` to the local entity of its kind.
fn mapping_for(t: &Value) -> Value {
    let mut m = Map::new();
    for role in t["roles"].as_array().unwrap() {
        let role = role.as_str().unwrap();
        let code = match role {
            "管財担当" => "kanzai",
            "問い合わせ担当" => "madoguchi",
            other => panic!("a template role this test does not know: {other}"),
        };
        m.insert(role.to_owned(), json!(code));
    }
    Value::Object(m)
}

fn check_template(app: &TestApp, t: &Value) {
    let key = t["key"].as_str().unwrap();
    let (s, b) = app.post(
        "/api/gallery/apps.json",
        json!({"template": key, "withRecords": true, "mapping": mapping_for(t)}),
    );
    assert_eq!(s, 200, "{key}: {b}");
    assert_eq!(b["live"], true, "{key}");
    let id: i64 = b["app"].as_str().unwrap().parse().unwrap();
    let records = t["records"].as_u64().unwrap() as i64;
    assert!(records >= 15, "{key} has sample records");
    assert_eq!(
        total(app, id, ""),
        records,
        "{key}: every sample record loaded"
    );
    // The app's name and field count are what the card says.
    let (_, a) = app.get(&format!("/k/v1/app.json?id={id}"));
    assert_eq!(a["name"], t["name"], "{key}");
    // A record added through the kintone API reads back.
    let (_, fields) = app.get(&format!("/k/v1/app/form/fields.json?app={id}"));
    let fields = &fields["properties"];
    let (_, first) = app.get(&format!("/k/v1/records.json?app={id}&query=limit%201"));
    let record = copy_of(&first["records"][0], fields);
    let (s, b) = app.post("/k/v1/record.json", json!({"app": id, "record": record}));
    assert_eq!(s, 200, "{key}: add a record: {b}");
    let rid = b["id"].as_str().unwrap();
    let (s, back) = app.get(&format!("/k/v1/record.json?app={id}&id={rid}"));
    assert_eq!(s, 200, "{key}: {back}");
    let (code, cell) = record.iter().next().unwrap();
    assert_eq!(
        back["record"][code]["value"], cell["value"],
        "{key}: {code}"
    );
    assert_eq!(total(app, id, ""), records + 1, "{key}");
    // Every view lists records.
    let (_, views) = app.get(&format!("/k/v1/app/views.json?app={id}"));
    let views = views["views"].as_object().unwrap();
    assert!(!views.is_empty(), "{key} has views");
    for (name, view) in views {
        let mut q = view["filterCond"].as_str().unwrap_or_default().to_owned();
        if let Some(sort) = view["sort"].as_str().filter(|s| !s.is_empty()) {
            q = format!("{q} order by {sort}");
        }
        let (s, b) = app.get(&format!("/k/v1/records.json?app={id}&query={}", enc(&q)));
        assert_eq!(s, 200, "{key}, view {name}: {b}");
        if view["filterCond"].as_str().unwrap_or_default().is_empty() {
            assert!(!b["records"].as_array().unwrap().is_empty(), "{key} {name}");
        }
    }
    // Every chart answers.
    let (_, reports) = app.get(&format!("/k/v1/app/reports.json?app={id}"));
    for (name, report) in reports["reports"].as_object().unwrap() {
        let rid = report["id"].as_str().unwrap();
        let (s, b) = app.get(&format!("/api/app/report/data.json?app={id}&id={rid}"));
        assert_eq!(s, 200, "{key}, chart {name}: {b}");
        assert!(
            !b["rows"].as_array().unwrap().is_empty(),
            "{key}, chart {name}"
        );
    }
}

#[test]
fn every_template_creates_a_working_app() {
    let app = TestApp::spawn();
    local_entities(&app);
    let (s, b) = app.get("/api/gallery/templates.json");
    assert_eq!(s, 200, "{b}");
    let list = b["templates"].as_array().unwrap();
    assert!(list.len() >= 15, "at least 15 templates");
    for name in [
        "相談案件管理",
        "備品貸出",
        "会議室予約",
        "文書収受簿",
        "職員名簿",
        "研修申込",
        "問い合わせ管理",
        "議事録",
        "工事台帳",
        "補助金申請",
        "セキュリティ自己点検",
        "公用車運行記録",
        "窓口来庁者記録",
        "イベント管理",
        "災害時職員参集",
    ] {
        assert!(
            list.iter().any(|t| t["name"] == name),
            "{name} in the gallery"
        );
    }
    for t in list {
        assert!(!t["description"].as_str().unwrap().is_empty());
        let picture = t["picture"].as_str().unwrap();
        let resp = reqwest::blocking::get(app.url(picture)).unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{picture}");
        assert!(resp.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=31536000"));
        assert!(resp.text().unwrap().starts_with("<svg"));
        check_template(&app, t);
    }
    // A preview names the fields, the process and a few sample rows.
    let (s, d) = app.get("/api/gallery/template.json?key=subsidy-applications");
    assert_eq!(s, 200, "{d}");
    assert!(d["states"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == "交付決定"));
    assert_eq!(d["rows"].as_array().unwrap().len(), 5);
    // Templates with roles say which; without a mapping they are refused naming them.
    let roles = |key: &str| {
        list.iter().find(|t| t["key"] == key).unwrap()["roles"]
            .as_array()
            .unwrap()
            .clone()
    };
    assert_eq!(roles("inquiries"), [json!("問い合わせ担当")]);
    assert_eq!(roles("equipment-loans"), [json!("管財担当")]);
    assert!(roles("events").is_empty());
    let (s, b) = app.post(
        "/api/gallery/apps.json",
        json!({"template": "inquiries", "withRecords": true}),
    );
    assert_eq!((s, b["code"].as_str().unwrap()), (400, "CB_VA01"), "{b}");
    assert!(b.to_string().contains("問い合わせ担当"), "{b}");
    let (s, b) = app.post(
        "/api/gallery/apps.json",
        json!({"template": "inquiries", "mapping": {"問い合わせ担当": "no-such-group"}}),
    );
    assert_eq!((s, b["code"].as_str().unwrap()), (400, "CB_VA01"), "{b}");
    let (s, b) = app.get("/api/gallery/template.json?key=no-such");
    assert_eq!((s, b["code"].as_str().unwrap()), (400, "CB_VA01"));
    let (s, b) = app.post(
        "/api/gallery/apps.json",
        json!({"template": "../case-requests"}),
    );
    assert_eq!((s, b["code"].as_str().unwrap()), (400, "CB_VA01"), "{b}");
}

fn small_package() -> Value {
    json!({
        "format": "kumiki-app/1",
        "app": {"name": "除雪車出動記録", "description": "ある町から共有された除雪の記録"},
        "properties": {
            "出動日": {"type": "DATE", "code": "出動日", "label": "出動日"},
            "路線": {"type": "SINGLE_LINE_TEXT", "code": "路線", "label": "路線"}
        },
        "records": [{"出動日": {"value": "2026-01-10"}, "路線": {"value": "町道1号線"}}]
    })
}

#[test]
fn administrators_manage_the_local_gallery() {
    let app = TestApp::spawn();
    app.user("clerk", PW);
    let clerk = app.with_auth(Auth::Password("clerk".into(), PW.into()));
    let count = |app: &TestApp| {
        let (_, b) = app.get("/api/gallery/templates.json");
        b["templates"].as_array().unwrap().len()
    };
    let before = count(&app);
    // A non-administrator cannot add to the local gallery.
    let (s, b) = clerk.post(
        "/api/gallery/packages.json",
        json!({"package": small_package()}),
    );
    assert_eq!((s, b["code"].as_str().unwrap()), (403, "CB_NO02"), "{b}");
    // A broken upload gets a clear error and writes nothing.
    let mut broken = small_package();
    broken["format"] = json!("something-else/9");
    let (s, b) = app.post("/api/gallery/packages.json", json!({"package": broken}));
    assert_eq!((s, b["code"].as_str().unwrap()), (400, "CB_VA01"), "{b}");
    assert!(b.to_string().contains("kumiki-app/1"), "{b}");
    let (s, b) = app.post(
        "/api/gallery/packages.json",
        json!({"package": "{not json"}),
    );
    assert_eq!(s, 400, "{b}");
    let mut bad_field = small_package();
    bad_field["properties"]["路線"]["type"] = json!("NO_SUCH_TYPE");
    let (s, b) = app.post("/api/gallery/packages.json", json!({"package": bad_field}));
    assert_eq!(s, 400, "{b}");
    assert_eq!(count(&app), before, "nothing written");
    // An administrator adds one; everyone who may create apps sees it and creates from it.
    let (s, b) = app.post(
        "/api/gallery/packages.json",
        json!({"package": small_package(), "description": "除雪の出動を記録します。"}),
    );
    assert_eq!(s, 200, "{b}");
    let key = b["key"].as_str().unwrap().to_owned();
    let pid = b["id"].as_str().unwrap().to_owned();
    let (_, list) = clerk.get("/api/gallery/templates.json");
    let local = list["templates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == key.as_str())
        .unwrap()
        .clone();
    assert_eq!(local["name"], "除雪車出動記録");
    assert_eq!(local["description"], "除雪の出動を記録します。");
    assert_eq!(local["local"], true);
    // Creating apps needs the right to create apps (administrators only by default).
    let (s, b) = clerk.post(
        "/api/gallery/apps.json",
        json!({"template": key, "withRecords": true}),
    );
    assert_eq!(s, 403, "{b}");
    app.allow_app_creation_by_everyone();
    let (s, b) = clerk.post(
        "/api/gallery/apps.json",
        json!({"template": key, "withRecords": true}),
    );
    assert_eq!(s, 200, "{b}");
    let id: i64 = b["app"].as_str().unwrap().parse().unwrap();
    assert_eq!(total(&app, id, ""), 1);
    // Only administrators remove; the app made from it stays.
    let (s, _) = clerk.delete("/api/gallery/packages.json", json!({"id": pid}));
    assert_eq!(s, 403);
    let (s, b) = app.delete("/api/gallery/packages.json", json!({"id": pid}));
    assert_eq!(s, 200, "{b}");
    assert_eq!(count(&app), before);
    assert_eq!(total(&app, id, ""), 1);
    let (s, _) = app.delete("/api/gallery/packages.json", json!({"id": pid}));
    assert_eq!(s, 400);
    // API tokens have no gallery.
    let token = app.token(id, "view");
    let (s, _) = app
        .with_auth(Auth::Tokens(token))
        .get("/api/gallery/templates.json");
    assert_eq!(s, 403);
    let _ = ADMIN_PASSWORD;
}

#[test]
fn the_gallery_pages_render_and_create() {
    let app = TestApp::spawn();
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let (s, html) = app.page(&session, "/gallery");
    assert_eq!(s, 200);
    assert!(html.contains("補助金申請") && html.contains("gallery-card-events"));
    let (s, html) = app.page(&session, "/gallery/security-self-check");
    assert_eq!(s, 200);
    assert!(
        html.contains("A1 情報セキュリティ責任者を定めている"),
        "the self-check's items"
    );
    let (s, _) = app.page(&session, "/gallery/no-such");
    assert_eq!(s, 404);
    let (s, html) = app.page(&session, "/");
    assert_eq!(s, 200);
    assert!(
        html.contains("href=\"/gallery\""),
        "the portal links to the gallery"
    );
}

/// A template's role decides who handles its records: the group it is mapped to edits them and is
/// the process assignee; everyone else views and adds only.
#[test]
fn a_template_role_mapped_to_a_local_group_handles_the_records() {
    let app = TestApp::spawn();
    local_entities(&app);
    app.user("desk", PW);
    app.user("clerk", PW);
    let (s, b) = app.put(
        "/api/org/memberships.json",
        json!({"user": "desk", "groups": ["madoguchi"]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.post(
        "/api/gallery/apps.json",
        json!({"template": "inquiries", "withRecords": true,
               "mapping": {"問い合わせ担当": "madoguchi"}}),
    );
    assert_eq!(s, 200, "{b}");
    let id: i64 = b["app"].as_str().unwrap().parse().unwrap();
    let (_, acl) = app.get(&format!("/k/v1/app/acl.json?app={id}"));
    assert!(
        acl["rights"].as_array().unwrap().iter().any(|r| r["entity"]
            == json!({"type": "GROUP", "code": "madoguchi"})
            && r["recordEditable"] == true),
        "{acl}"
    );
    let (_, status) = app.get(&format!("/k/v1/app/status.json?app={id}"));
    let entities = &status["states"]["対応中"]["assignee"]["entities"];
    assert_eq!(
        entities[0]["entity"],
        json!({"type": "GROUP", "code": "madoguchi"}),
        "{status}"
    );
    let desk = app.with_auth(Auth::Password("desk".into(), PW.into()));
    let clerk = app.with_auth(Auth::Password("clerk".into(), PW.into()));
    let record = json!({"受付番号": {"value": "Q-9001"}, "受付日時": {"value": "2026-12-01T00:00:00Z"},
                        "受付方法": {"value": "電話"}, "分類": {"value": "防災"},
                        "担当課": {"value": "危機管理課"}, "件名": {"value": "避難所"},
                        "内容": {"value": "場所を知りたい"}});
    let (s, b) = clerk.post("/k/v1/record.json", json!({"app": id, "record": record}));
    assert_eq!(s, 200, "everyone may add: {b}");
    let rid = b["id"].as_str().unwrap().to_owned();
    let change = json!({"app": id, "id": rid, "record": {"回答内容": {"value": "案内しました"}}});
    let (s, b) = clerk.put("/k/v1/record.json", change.clone());
    assert_eq!(
        (s, b["code"].as_str().unwrap_or_default()),
        (403, "CB_NO02"),
        "{b}"
    );
    let (s, b) = desk.put("/k/v1/record.json", change);
    assert_eq!(s, 200, "the mapped group edits: {b}");
    // Only the group's members take the first step; the record then waits on the group.
    let start = json!({"app": id, "id": rid, "action": "対応を始める"});
    let (s, b) = clerk.put("/k/v1/record/status.json", start.clone());
    assert!(
        (400..500).contains(&s),
        "the clerk may not start handling: {s} {b}"
    );
    let (s, b) = desk.put("/k/v1/record/status.json", start);
    assert_eq!(s, 200, "{b}");
    let (_, b) = desk.get(&format!("/k/v1/record.json?app={id}&id={rid}"));
    assert_eq!(
        b["record"]["ステータス"]["value"]
            .as_str()
            .or(b["record"]["Status"]["value"].as_str()),
        Some("対応中"),
        "{b}"
    );
}

/// On the pages a template with roles goes through the import preview, where the role is mapped.
#[test]
fn a_template_with_roles_opens_the_import_preview() {
    let app = TestApp::spawn();
    local_entities(&app);
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let (s, html) = app.page(&session, "/gallery/inquiries");
    assert_eq!(s, 200);
    assert!(
        html.contains("gallery-roles") && html.contains("問い合わせ担当"),
        "the detail page names the role"
    );
    assert!(html.contains("href=\"/gallery/inquiries/import\""));
    let (s, html) = app.page(&session, "/gallery/inquiries/import");
    assert_eq!(s, 200);
    assert!(
        html.contains("pkgimport-roles") && html.contains("窓口担当"),
        "the preview offers the local group: {html}"
    );
    assert!(html.contains("action=\"/apps/import/confirm\""));
    // The card's one-click create leads there too instead of creating an app with nobody mapped.
    let marker = "name=\"_csrf\" value=\"";
    let (_, gallery) = app.page(&session, "/gallery");
    let start = gallery.find(marker).unwrap() + marker.len();
    let token = &gallery[start..start + gallery[start..].find('"').unwrap()];
    let resp = kumiki_tests::page_client()
        .post(app.url("/gallery/create"))
        .header("Cookie", &session)
        .form(&[
            ("_csrf", token),
            ("template", "inquiries"),
            ("with_records", "1"),
        ])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(resp.headers()["location"], "/gallery/inquiries/import");
    let (_, apps) = app.get("/k/v1/apps.json");
    assert!(
        apps["apps"].as_array().unwrap().is_empty(),
        "nothing created"
    );
    let (s, _) = app.page(&session, "/gallery/no-such/import");
    assert_eq!(s, 404);
}
