//! Issue 17, packages of several apps: three linked apps (a customer master, consultations with a
//! lookup into it, a history app with a related-records table of the consultations), with records
//! and permissions naming a department and a user, exported as one bundle and imported into a
//! fresh server (its own database) with the roles mapped to other local entities.

use kumiki_tests::TestApp;
use serde_json::{json, Value};

fn add_department(app: &TestApp, code: &str, name: &str) {
    let (s, b) = app.post(
        "/api/org/departments.json",
        json!({"code": code, "name": name}),
    );
    assert_eq!(s, 200, "{b}");
}

fn add_user(app: &TestApp, code: &str, name: &str) {
    let (s, b) = app.post(
        "/api/org/users.json",
        json!({"code": code, "name": name, "password": "long-enough-password-1"}),
    );
    assert_eq!(s, 200, "{b}");
}

fn set_code(app: &TestApp, id: i64, code: &str) {
    let (s, b) = app.put(
        "/k/v1/preview/app/settings.json",
        json!({"app": id, "code": code}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
}

fn text(code: &str) -> Value {
    json!({"type": "SINGLE_LINE_TEXT", "code": code, "label": code})
}

/// The source server's three apps; returns (master, consultations, history).
fn linked_apps(src: &TestApp) -> (i64, i64, i64) {
    add_department(src, "fukushi", "福祉課");
    add_user(src, "tanaka", "田中");
    let mut name = text("顧客名");
    name["unique"] = json!(true);
    name["required"] = json!(true);
    let master = src.create_app("顧客台帳", json!({"顧客名": name, "電話": text("電話")}));
    set_code(src, master, "CUST");
    let mut key = text("顧客");
    key["lookup"] = json!({
        "relatedApp": {"app": master.to_string()},
        "relatedKeyField": "顧客名",
        "fieldMappings": [{"field": "電話", "relatedField": "電話"}],
        "lookupPickerFields": ["顧客名"]
    });
    let consult = src.create_app(
        "相談記録",
        json!({"顧客": key, "電話": text("電話"), "内容": text("内容")}),
    );
    set_code(src, consult, "CONS");
    let history = src.create_app(
        "対応履歴",
        json!({
            "顧客名": text("顧客名"),
            "相談一覧": {"type": "REFERENCE_TABLE", "code": "相談一覧", "label": "相談一覧",
                "referenceTable": {
                    "relatedApp": {"app": consult.to_string()},
                    "condition": {"field": "顧客名", "relatedField": "顧客"},
                    "displayFields": ["内容"], "size": "5"}}
        }),
    );
    set_code(src, history, "HIST");
    let (s, b) = src.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": consult, "rights": [
            {"entity": {"type": "ORGANIZATION", "code": "fukushi"}, "includeSubs": true,
             "recordViewable": true, "recordAddable": true, "recordEditable": true},
            {"entity": {"type": "USER", "code": "tanaka"}, "recordViewable": true},
            {"entity": {"type": "CREATOR"}, "appEditable": true, "recordViewable": true,
             "recordAddable": true, "recordEditable": true, "recordDeletable": true,
             "recordImportable": true, "recordExportable": true}
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    src.deploy(consult);
    for (n, tel) in [("山田", "03-1111"), ("佐藤", "03-2222")] {
        src.add_record(
            master,
            json!({"顧客名": {"value": n}, "電話": {"value": tel}}),
        );
    }
    src.add_record(
        consult,
        json!({"顧客": {"value": "山田"}, "内容": {"value": "手当の相談"}}),
    );
    src.add_record(history, json!({"顧客名": {"value": "山田"}}));
    (master, consult, history)
}

fn app_of(created: &Value, key: &str) -> i64 {
    created["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == key)
        .unwrap_or_else(|| panic!("{key} in {created}"))["app"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn three_linked_apps_move_to_a_fresh_server_with_roles_mapped() {
    let src = TestApp::spawn();
    let (master, consult, history) = linked_apps(&src);

    // Only part of the set: the lookup names an app outside it.
    let (s, b) = src.post(
        "/api/packages/export.json",
        json!({"apps": [consult], "withRecords": false}),
    );
    assert_eq!(s, 400, "{b}");
    assert!(
        b["message"]
            .as_str()
            .unwrap_or_default()
            .contains("outside")
            || b.to_string().contains("outside"),
        "{b}"
    );

    let (s, bundle) = src.post(
        "/api/packages/export.json",
        json!({"apps": [master, consult, history], "withRecords": true}),
    );
    assert_eq!(s, 200, "{bundle}");
    assert_eq!(bundle["format"], "kumiki-apps/1");
    let roles: Vec<(&str, &str)> = bundle["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["role"].as_str().unwrap(), r["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        roles,
        [("福祉課", "department"), ("田中", "user")],
        "{bundle}"
    );
    // Permissions name roles, never the exporting body's user codes.
    assert!(!bundle.to_string().contains("tanaka"), "{bundle}");

    // The package's own server has apps with the same codes: the plan says so.
    let (s, plan) = src.post("/api/packages/plan.json", json!({"package": bundle}));
    assert_eq!(s, 200, "{plan}");
    assert_eq!(plan["conflicts"].as_array().unwrap().len(), 3, "{plan}");
    assert_eq!(
        plan["roles"][0]["suggestions"][0]["code"], "fukushi",
        "{plan}"
    );

    let dst = TestApp::spawn();
    add_department(&dst, "kosodate", "子育て支援課");
    add_user(&dst, "suzuki", "鈴木");
    let (s, plan) = dst.post("/api/packages/plan.json", json!({"package": bundle}));
    assert_eq!(s, 200, "{plan}");
    let planned: Vec<(&str, i64, i64)> = plan["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["key"].as_str().unwrap(),
                a["fields"].as_i64().unwrap(),
                a["records"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        planned,
        [("CUST", 2, 2), ("CONS", 3, 1), ("HIST", 2, 1)],
        "{plan}"
    );
    assert_eq!(plan["conflicts"], json!([]));
    assert_eq!(plan["reviewRequired"], false);
    assert_eq!(plan["roles"][0]["suggestions"], json!([]), "{plan}");

    // A role left unmapped: refused, and nothing is written.
    let (s, b) = dst.post(
        "/api/packages/import.json",
        json!({"package": bundle, "mapping": {"福祉課": "kosodate"}, "withRecords": true}),
    );
    assert_eq!(s, 400, "{b}");
    assert!(b.to_string().contains("田中"), "{b}");
    let (_, apps) = dst.get("/k/v1/apps.json");
    assert_eq!(apps["apps"], json!([]), "{apps}");

    let (s, created) = dst.post(
        "/api/packages/import.json",
        json!({"package": bundle, "mapping": {"福祉課": "kosodate", "田中": "suzuki"},
               "withRecords": true}),
    );
    assert_eq!(s, 200, "{created}");
    let (new_master, new_consult, new_history) = (
        app_of(&created, "CUST"),
        app_of(&created, "CONS"),
        app_of(&created, "HIST"),
    );

    // References point at the new apps.
    let (_, f) = dst.get(&format!("/k/v1/app/form/fields.json?app={new_consult}"));
    assert_eq!(
        f["properties"]["顧客"]["lookup"]["relatedApp"]["app"],
        new_master.to_string(),
        "{f}"
    );
    let (_, f) = dst.get(&format!("/k/v1/app/form/fields.json?app={new_history}"));
    assert_eq!(
        f["properties"]["相談一覧"]["referenceTable"]["relatedApp"]["app"],
        new_consult.to_string(),
        "{f}"
    );

    // The permissions name the mapped local entities.
    let (_, acl) = dst.get(&format!("/k/v1/app/acl.json?app={new_consult}"));
    let entities: Vec<Value> = acl["rights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["entity"].clone())
        .collect();
    assert!(
        entities.contains(&json!({"type": "ORGANIZATION", "code": "kosodate"})),
        "{acl}"
    );
    assert!(
        entities.contains(&json!({"type": "USER", "code": "suzuki"})),
        "{acl}"
    );

    // The records came along, and the lookup fetches from the new master.
    let (_, r) = dst.get(&format!("/k/v1/records.json?app={new_master}"));
    assert_eq!(r["records"].as_array().unwrap().len(), 2, "{r}");
    let (_, r) = dst.get(&format!("/k/v1/records.json?app={new_consult}"));
    assert_eq!(r["records"][0]["電話"]["value"], "03-1111", "{r}");
    let id = dst.add_record(new_consult, json!({"顧客": {"value": "佐藤"}}));
    let (_, r) = dst.get(&format!("/k/v1/record.json?app={new_consult}&id={id}"));
    assert_eq!(r["record"]["電話"]["value"], "03-2222", "{r}");
}

#[test]
fn a_single_app_package_is_planned_and_imported_like_a_bundle_of_one() {
    let src = TestApp::spawn();
    let master = src.create_app("名簿", json!({"氏名": text("氏名")}));
    let (s, bundle) = src.post("/api/packages/export.json", json!({"apps": [master]}));
    assert_eq!(s, 200, "{bundle}");
    let mut single = bundle["apps"][0].clone();
    single["format"] = json!("kumiki-app/1");
    single.as_object_mut().unwrap().remove("acl");
    let (s, plan) = src.post("/api/packages/plan.json", json!({"package": single}));
    assert_eq!(s, 200, "{plan}");
    assert_eq!(plan["apps"][0]["fields"], 1);
    let (s, created) = src.post(
        "/api/packages/import.json",
        json!({"package": single, "mapping": {}}),
    );
    assert_eq!(s, 200, "{created}");
    let (s, b) = src.post(
        "/api/packages/plan.json",
        json!({"package": {"format": "something-else"}}),
    );
    assert_eq!(s, 400, "{b}");
    // A package the import would refuse (a lookup into an app it does not carry, a field of an
    // unknown type): the plan lists the problems per app, and the import is refused.
    let mut broken = bundle.clone();
    broken["apps"][0]["properties"]["氏名"]["lookup"] = json!({
        "relatedApp": {"app": "", "appKey": "gone"}, "relatedKeyField": "x"});
    let (s, plan) = src.post("/api/packages/plan.json", json!({"package": broken}));
    assert_eq!(s, 200, "{plan}");
    assert!(plan["problems"][0].to_string().contains("gone"), "{plan}");
    let (s, b) = src.post(
        "/api/packages/import.json",
        json!({"package": broken, "mapping": {}}),
    );
    assert_eq!(s, 400, "{b}");
    let (_, plan) = src.post("/api/packages/plan.json", json!({"package": bundle}));
    assert_eq!(plan["problems"], json!([]), "{plan}");
}

#[test]
fn process_notifications_and_forms_travel_and_review_applies_as_to_any_import() {
    let src = TestApp::spawn();
    add_department(&src, "fukushi", "福祉課");
    add_user(&src, "tanaka", "田中");
    let id = src.create_app("申請受付", json!({"件名": text("件名")}));
    set_code(&src, id, "APPL");
    let (s, b) = src.put(
        "/k/v1/preview/app/status.json",
        json!({"app": id, "enable": true,
            "states": {
                "受付": {"name": "受付", "index": "0", "assignee": {"type": "ONE", "entities": []}},
                "審査中": {"name": "審査中", "index": "1", "assignee": {"type": "ONE", "entities": [
                    {"entity": {"type": "ORGANIZATION", "code": "fukushi"}, "includeSubs": false}]}}},
            "actions": [{"name": "審査へ", "from": "受付", "to": "審査中", "filterCond": ""}]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = src.put(
        "/k/v1/preview/app/notifications/general.json",
        json!({"app": id, "notifications": [
            {"entity": {"type": "USER", "code": "tanaka"}, "recordAdded": true}]}),
    );
    assert_eq!(s, 200, "{b}");
    src.deploy(id);
    let (s, b) = src.post(
        "/api/public-form.json",
        json!({"app": id, "name": "電子申請", "settings": {"fields": [{"code": "件名"}]}}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, bundle) = src.post("/api/packages/export.json", json!({"apps": [id]}));
    assert_eq!(s, 200, "{bundle}");
    // The department assigns work (required); the user is only told of new records (optional).
    let roles: Vec<(&str, bool)> = bundle["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["role"].as_str().unwrap(),
                r["optional"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(roles, [("福祉課", false), ("田中", true)], "{bundle}");
    assert_eq!(
        bundle["apps"][0]["publicForms"][0]["name"], "電子申請",
        "{bundle}"
    );

    let dst = TestApp::spawn();
    add_department(&dst, "shinsa", "審査課");
    let (s, b) = dst.put(
        "/api/review/policy.json",
        json!({"mode": "all", "departments": []}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, plan) = dst.post("/api/packages/plan.json", json!({"package": bundle}));
    assert_eq!(s, 200, "{plan}");
    assert_eq!(plan["reviewRequired"], true, "{plan}");
    assert_eq!(plan["apps"][0]["publicForms"], 1, "{plan}");
    let mapping = json!({"福祉課": "shinsa"});
    // Records cannot come along to an app that waits for review: refused, nothing written.
    let (s, b) = dst.post(
        "/api/packages/import.json",
        json!({"package": bundle, "mapping": mapping, "withRecords": true}),
    );
    assert_eq!((s, b["code"].as_str()), (409, Some("GAIA_RV01")), "{b}");
    let (_, apps) = dst.get("/k/v1/apps.json");
    assert_eq!(apps["apps"], json!([]), "{apps}");
    // A mapping to an entity that does not exist here is refused too.
    let (s, b) = dst.post(
        "/api/packages/import.json",
        json!({"package": bundle, "mapping": {"福祉課": "nowhere"}}),
    );
    assert_eq!(s, 400, "{b}");

    let (s, created) = dst.post(
        "/api/packages/import.json",
        json!({"package": bundle, "mapping": mapping}),
    );
    assert_eq!(s, 200, "{created}");
    let new = app_of(&created, "APPL");
    // Pre-live only, to be submitted for review like any other import.
    let (s, b) = dst.get(&format!("/k/v1/app/status.json?app={new}"));
    assert_ne!(s, 200, "{b}");
    let (_, status) = dst.get(&format!("/k/v1/preview/app/status.json?app={new}"));
    assert_eq!(
        status["states"]["審査中"]["assignee"]["entities"][0]["entity"],
        json!({"type": "ORGANIZATION", "code": "shinsa"}),
        "{status}"
    );
    let (_, n) = dst.get(&format!(
        "/k/v1/preview/app/notifications/general.json?app={new}"
    ));
    assert_eq!(n["notifications"], json!([]), "{n}");
    // Without the policy the same package goes live at once; its form arrives as a draft. (An
    // app code already in use is the plan's warning, not a refusal.)
    let (s, b) = dst.put(
        "/api/review/policy.json",
        json!({"mode": "off", "departments": []}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, plan) = dst.post("/api/packages/plan.json", json!({"package": bundle}));
    assert_eq!(plan["conflicts"][0]["app"], new.to_string(), "{plan}");
    let (s, created) = dst.post(
        "/api/packages/import.json",
        json!({"package": bundle, "mapping": mapping}),
    );
    assert_eq!(s, 200, "{created}");
    let live = app_of(&created, "APPL");
    let (s, b) = dst.get(&format!("/k/v1/app/status.json?app={live}"));
    assert_eq!(s, 200, "{b}");
    let (_, forms) = dst.get(&format!("/api/public-forms.json?app={live}"));
    assert_eq!(forms["forms"][0]["name"], "電子申請", "{forms}");
    assert_eq!(forms["forms"][0]["state"], "draft", "{forms}");
}

/// `kumiki app export --app … --app …` writes a bundle; `kumiki app import --map ROLE=CODE` reads
/// it, a role left out taking the local department with the same code.
#[test]
fn the_command_line_exports_and_imports_bundles() {
    let src = TestApp::spawn();
    let (master, consult, history) = linked_apps(&src);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("welfare.json");
    let run = |app: &TestApp, args: &[&str]| {
        let out = std::process::Command::new(kumiki_tests::kumiki_bin())
            .args(args)
            .arg("--data-dir")
            .arg(app.data_dir.path())
            .arg("--database-url")
            .arg(&app.database_url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let (m, c, h) = (master.to_string(), consult.to_string(), history.to_string());
    let path = file.to_str().unwrap();
    run(
        &src,
        &[
            "app", "export", "--app", &m, "--app", &c, "--app", &h, "--output", path,
        ],
    );
    let bundle: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(bundle["format"], "kumiki-apps/1");

    let dst = TestApp::spawn();
    add_department(&dst, "fukushi", "福祉課");
    add_user(&dst, "suzuki", "鈴木");
    let printed = run(&dst, &["app", "import", path, "--map", "田中=suzuki"]);
    let ids: Vec<(&str, &str)> = printed.lines().filter_map(|l| l.split_once(' ')).collect();
    assert_eq!(ids.len(), 3, "{printed}");
    let new_consult = ids.iter().find(|(k, _)| *k == "CONS").unwrap().1;
    let (_, acl) = dst.get(&format!("/k/v1/app/acl.json?app={new_consult}"));
    let text = acl.to_string();
    assert!(
        text.contains("\"fukushi\"") && text.contains("\"suzuki\""),
        "{acl}"
    );
    let (_, r) = dst.get(&format!("/k/v1/records.json?app={new_consult}"));
    assert_eq!(r["records"][0]["電話"]["value"], "03-1111", "{r}");
}

#[test]
fn a_signed_bundle_shows_its_signer_and_a_tampered_one_is_refused_with_nothing_written() {
    let src = TestApp::spawn();
    let (master, consult, history) = linked_apps(&src);
    let (s, b) = src.put(
        "/api/packages/key.json",
        json!({"name": "みどり市 情報政策課"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, bundle) = src.post(
        "/api/packages/export.json",
        json!({"apps": [master, consult, history], "sign": true}),
    );
    assert_eq!(s, 200, "{bundle}");
    assert_eq!(
        bundle["signature"]["signer"], "みどり市 情報政策課",
        "{}",
        bundle["signature"]
    );

    let dst = TestApp::spawn();
    let (s, plan) = dst.post("/api/packages/plan.json", json!({"package": bundle}));
    assert_eq!(s, 200, "{plan}");
    assert_eq!(plan["signature"]["status"], "unknown", "{plan}");
    assert_eq!(plan["signature"]["signer"], "みどり市 情報政策課");

    // One label changed on the way: the plan says so and the import writes nothing.
    let text = serde_json::to_string(&bundle).unwrap();
    let tampered: Value =
        serde_json::from_str(&text.replacen("\"顧客名\"", "\"顧客各\"", 1)).unwrap();
    assert_ne!(tampered, bundle, "the test changed something");
    let (s, plan) = dst.post("/api/packages/plan.json", json!({"package": tampered}));
    assert_eq!(s, 200, "{plan}");
    assert_eq!(plan["signature"]["status"], "invalid", "{plan}");
    let (_, before) = dst.get("/k/v1/apps.json");
    let (s, b) = dst.post(
        "/api/packages/import.json",
        json!({"package": tampered, "mapping": {}}),
    );
    assert_eq!(s, 400, "{b}");
    let (_, after) = dst.get("/k/v1/apps.json");
    assert_eq!(before["apps"], after["apps"], "nothing written");
}
