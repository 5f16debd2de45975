//! Issue 17 part 3, upgrades of a set of linked apps: 備品 (equipment), 貸出記録 (loans) and 申請
//! (requests, with a lookup into 備品 and a related-records table of 貸出記録), plus a standalone
//! 旧様式 (old form) that version 2 drops. Version 1 is exported with an identity, imported on
//! another server and used there; version 2 adds a field to 備品, changes a view of 貸出記録 and
//! adds a fourth app, 返却記録 (returns, with a lookup into 備品). The upgrade keeps the installed
//! apps' ids and records, rewires references to them, creates and links the fourth app, and keeps
//! the dropped one. The helpers here also serve `package_upgrade_review`.

use kumiki_tests::TestApp;
use serde_json::{json, Value};

pub(crate) fn text(code: &str) -> Value {
    json!({"type": "SINGLE_LINE_TEXT", "code": code, "label": code})
}

/// A lookup field `code` into 備品 (`bihin`) by 品名, copying 保管場所.
pub(crate) fn lookup_to_bihin(code: &str, bihin: i64) -> Value {
    let mut f = text(code);
    f["lookup"] = json!({
        "relatedApp": {"app": bihin.to_string()},
        "relatedKeyField": "品名",
        "fieldMappings": [{"field": "保管場所", "relatedField": "保管場所"}],
        "lookupPickerFields": ["品名"]
    });
    f
}

fn set_code(app: &TestApp, id: i64, code: &str) {
    let (s, b) = app.put(
        "/k/v1/preview/app/settings.json",
        json!({"app": id, "code": code}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
}

/// The source server's linked apps (version 1).
pub(crate) struct Source {
    pub(crate) bihin: i64,
    pub(crate) kashidashi: i64,
    pub(crate) shinsei: i64,
}

pub(crate) fn linked_source(src: &TestApp) -> Source {
    let mut name = text("品名");
    name["unique"] = json!(true);
    name["required"] = json!(true);
    let bihin = src.create_app("備品", json!({"品名": name, "保管場所": text("保管場所")}));
    set_code(src, bihin, "BIHIN");
    let kashidashi = src.create_app(
        "貸出記録",
        json!({"品名": text("品名"), "貸出日": text("貸出日")}),
    );
    let (s, b) = src.put(
        "/k/v1/preview/app/views.json",
        json!({"app": kashidashi, "views": {
            "貸出一覧": {"type": "LIST", "index": "0", "fields": ["品名"]}}}),
    );
    assert_eq!(s, 200, "{b}");
    set_code(src, kashidashi, "KASHIDASHI");
    let shinsei = src.create_app(
        "申請",
        json!({
            "備品": lookup_to_bihin("備品", bihin),
            "保管場所": text("保管場所"),
            "申請者": text("申請者"),
            "貸出履歴": {"type": "REFERENCE_TABLE", "code": "貸出履歴", "label": "貸出履歴",
                "referenceTable": {
                    "relatedApp": {"app": kashidashi.to_string()},
                    "condition": {"field": "備品", "relatedField": "品名"},
                    "displayFields": ["貸出日"], "size": "5"}}
        }),
    );
    set_code(src, shinsei, "SHINSEI");
    Source {
        bihin,
        kashidashi,
        shinsei,
    }
}

/// Adds field `code` (single-line text) to `app` and deploys it.
pub(crate) fn add_field(app: &TestApp, id: i64, code: &str) {
    let (s, b) = app.post(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": id, "properties": {code: text(code)}}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
}

/// The bundle of `apps` as version `version` of package `bihin-kashidashi`.
pub(crate) fn export(src: &TestApp, apps: &[i64], version: &str) -> Value {
    let (s, b) = src.post(
        "/api/packages/export.json",
        json!({"apps": apps, "packageId": "bihin-kashidashi", "version": version}),
    );
    assert_eq!(s, 200, "{b}");
    b
}

/// The app id an import answer gives entry `key`.
pub(crate) fn app_of(answer: &Value, key: &str) -> i64 {
    answer["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == key)
        .unwrap_or_else(|| panic!("{key} in {answer}"))["app"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn records(app: &TestApp, id: i64) -> Vec<Value> {
    let (s, b) = app.get(&format!(
        "/k/v1/records.json?app={id}&query=order by $id asc"
    ));
    assert_eq!(s, 200, "{b}");
    b["records"].as_array().unwrap().clone()
}

fn fields(app: &TestApp, id: i64) -> Value {
    let (s, b) = app.get(&format!("/k/v1/app/form/fields.json?app={id}"));
    assert_eq!(s, 200, "{b}");
    b["properties"].clone()
}

#[test]
fn three_linked_apps_upgrade_in_place_with_a_fourth_created_and_a_dropped_one_kept() {
    let src = TestApp::spawn();
    let source = linked_source(&src);
    let old_form = src.create_app("旧様式", json!({"件名": text("件名")}));
    let v1 = export(
        &src,
        &[source.bihin, source.kashidashi, source.shinsei, old_form],
        "1.0",
    );

    let dst = TestApp::spawn();
    let (s, installed) = dst.post("/api/packages/import.json", json!({"package": v1}));
    assert_eq!(s, 200, "{installed}");
    let bihin = app_of(&installed, "BIHIN");
    let kashidashi = app_of(&installed, "KASHIDASHI");
    let shinsei = app_of(&installed, "SHINSEI");
    let kept = app_of(&installed, "app4");
    // Used here: equipment, a loan, and requests whose lookup copies the storage place.
    dst.add_record(
        bihin,
        json!({"品名": {"value": "プロジェクター"}, "保管場所": {"value": "3階倉庫"}}),
    );
    dst.add_record(
        bihin,
        json!({"品名": {"value": "脚立"}, "保管場所": {"value": "1階"}}),
    );
    dst.add_record(
        kashidashi,
        json!({"品名": {"value": "プロジェクター"}, "貸出日": {"value": "12/1"}}),
    );
    dst.add_record(
        shinsei,
        json!({"備品": {"value": "プロジェクター"}, "申請者": {"value": "佐藤"}}),
    );
    dst.add_record(kept, json!({"件名": {"value": "古い申請"}}));

    // Version 2 at the source: a new field in 備品, 貸出記録's view changed, a fourth app.
    add_field(&src, source.bihin, "購入日");
    let (s, b) = src.put(
        "/k/v1/preview/app/views.json",
        json!({"app": source.kashidashi, "views": {
            "貸出一覧": {"type": "LIST", "index": "0", "fields": ["品名", "貸出日"],
                         "sort": "貸出日 desc"}}}),
    );
    assert_eq!(s, 200, "{b}");
    src.deploy(source.kashidashi);
    let henkyaku = src.create_app(
        "返却記録",
        json!({"備品": lookup_to_bihin("備品", source.bihin), "保管場所": text("保管場所")}),
    );
    set_code(&src, henkyaku, "HENKYAKU");
    let v2 = export(
        &src,
        &[source.bihin, source.kashidashi, source.shinsei, henkyaku],
        "2.0",
    );

    let (s, plan) = dst.post("/api/packages/plan.json", json!({"package": v2}));
    assert_eq!(s, 200, "{plan}");
    let up = &plan["upgrade"];
    assert_eq!(
        (
            up["from"].as_str(),
            up["to"].as_str(),
            up["status"].as_str()
        ),
        (Some("1.0"), Some("2.0"), Some("newer")),
        "{plan}"
    );
    let upgraded: Vec<&str> = up["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(upgraded, ["備品", "貸出記録", "申請"], "{plan}");
    assert_eq!(
        up["created"],
        json!([{"key": "HENKYAKU", "name": "返却記録"}])
    );
    assert_eq!(
        up["kept"],
        json!([{"key": "app4", "app": kept.to_string(), "name": "旧様式"}])
    );
    // The upgraded apps' own codes are no conflict; nothing blocks the import.
    assert_eq!(plan["conflicts"], json!([]), "{plan}");
    assert_eq!(plan["problems"], json!([]), "{plan}");
    // Unchanged 申請 says so; the others name what changes.
    let diff_of = |name: &str| {
        up["apps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap()["statements"]
            .to_string()
    };
    assert!(diff_of("備品").contains("購入日"), "{plan}");
    assert!(diff_of("貸出記録").contains("貸出一覧"), "{plan}");
    assert_eq!(diff_of("申請"), "[]", "{plan}");

    let (s, done) = dst.post("/api/packages/import.json", json!({"package": v2}));
    assert_eq!(s, 200, "{done}");
    assert_eq!(
        (
            app_of(&done, "BIHIN"),
            app_of(&done, "KASHIDASHI"),
            app_of(&done, "SHINSEI")
        ),
        (bihin, kashidashi, shinsei),
        "the installed apps keep their ids: {done}"
    );
    let new_app = app_of(&done, "HENKYAKU");
    // The deploys of the upgrade are in the audit log, as deploys through the API are (申請 is
    // unchanged: no deploy).
    let (_, audit) = dst.get("/api/audit.json?action=app.deploy");
    let mut deployed: Vec<String> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["detail"]["version"] == "2.0")
        .map(|e| e["target"].as_str().unwrap().to_owned())
        .collect();
    deployed.sort();
    let mut expected = vec![
        format!("app:{bihin}"),
        format!("app:{kashidashi}"),
        format!("app:{new_app}"),
    ];
    expected.sort();
    assert_eq!(deployed, expected, "the changed and the new apps: {audit}");
    assert!(![bihin, kashidashi, shinsei, kept].contains(&new_app));
    assert_eq!(done["upgrade"]["to"], "2.0", "{done}");

    // Records stay, with their values.
    let names: Vec<Value> = records(&dst, bihin)
        .iter()
        .map(|r| r["品名"]["value"].clone())
        .collect();
    assert_eq!(names, [json!("プロジェクター"), json!("脚立")]);
    assert_eq!(records(&dst, kashidashi).len(), 1);
    let requests = records(&dst, shinsei);
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["保管場所"]["value"], "3階倉庫");
    assert_eq!(records(&dst, kept)[0]["件名"]["value"], "古い申請");

    // The new version is live: 備品's field, 貸出記録's view.
    assert_eq!(fields(&dst, bihin)["購入日"]["type"], "SINGLE_LINE_TEXT");
    let (_, views) = dst.get(&format!("/k/v1/app/views.json?app={kashidashi}"));
    assert_eq!(
        views["views"]["貸出一覧"]["fields"],
        json!(["品名", "貸出日"]),
        "{views}"
    );
    assert_eq!(views["views"]["貸出一覧"]["sort"], "貸出日 desc", "{views}");

    // References point at the installed apps, not at the source's ids.
    let shinsei_fields = fields(&dst, shinsei);
    assert_eq!(
        shinsei_fields["備品"]["lookup"]["relatedApp"]["app"],
        bihin.to_string()
    );
    assert_eq!(
        shinsei_fields["貸出履歴"]["referenceTable"]["relatedApp"]["app"],
        kashidashi.to_string()
    );
    assert_eq!(
        fields(&dst, new_app)["備品"]["lookup"]["relatedApp"]["app"],
        bihin.to_string()
    );
    // ... and work: lookups copy from the local equipment records.
    let id = dst.add_record(new_app, json!({"備品": {"value": "脚立"}}));
    let (_, r) = dst.get(&format!("/k/v1/record.json?app={new_app}&id={id}"));
    assert_eq!(r["record"]["保管場所"]["value"], "1階", "{r}");
    let id = dst.add_record(
        shinsei,
        json!({"備品": {"value": "脚立"}, "申請者": {"value": "鈴木"}}),
    );
    let (_, r) = dst.get(&format!("/k/v1/record.json?app={shinsei}&id={id}"));
    assert_eq!(r["record"]["保管場所"]["value"], "1階", "{r}");
    let (s, _) = dst.get(&format!("/k/v1/app.json?id={kept}"));
    assert_eq!(s, 200, "the dropped app stays");

    // The installed version is now 2.0: importing it again is refused.
    let (s, b) = dst.post("/api/packages/import.json", json!({"package": v2}));
    assert_eq!(s, 400, "{b}");
    let (_, plan) = dst.post("/api/packages/plan.json", json!({"package": v2}));
    assert_eq!(plan["upgrade"]["status"], "same", "{plan}");
    // The fourth app is part of the package now: a later version upgrades it too.
    assert!(
        plan["upgrade"]["apps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["app"].as_str() == Some(new_app.to_string().as_str())),
        "{plan}"
    );
}
