//! Issue 17 part 3, upgrades: a bundle exported with a package id and version 1, imported on
//! another server, used there (records, a local label change), then version 2 of the same package
//! (a changed label and a new field) is planned (diff + the overwritten local change) and imported
//! as an upgrade that keeps the records; the same through `kumiki app import`. Several linked
//! apps: `package_upgrade_linked`; review and refused changes: `package_upgrade_review`; the import
//! page: `package_upgrade_page`.

use kumiki_tests::TestApp;
use serde_json::{json, Value};

fn text(code: &str) -> Value {
    json!({"type": "SINGLE_LINE_TEXT", "code": code, "label": code})
}

fn relabel(app: &TestApp, id: i64, code: &str, label: &str) {
    let (s, b) = app.put(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": id, "properties": {code: {"type": "SINGLE_LINE_TEXT", "code": code, "label": label}}}),
    );
    assert_eq!(s, 200, "{b}");
}

#[test]
fn a_newer_version_shows_the_diff_and_keeps_records() {
    let src = TestApp::spawn();
    let app = src.create_app(
        "備品台帳",
        json!({"品名": text("品名"), "場所": text("場所")}),
    );
    let (s, v1) = src.post(
        "/api/packages/export.json",
        json!({"apps": [app], "packageId": "bihin", "version": "1"}),
    );
    assert_eq!(s, 200, "{v1}");
    assert_eq!(v1["package"], json!({"id": "bihin", "version": "1"}));

    let dst = TestApp::spawn();
    let (s, b) = dst.post("/api/packages/import.json", json!({"package": v1}));
    assert_eq!(s, 200, "{b}");
    assert!(b.get("upgrade").is_none(), "{b}");
    let installed: i64 = b["apps"][0]["app"].as_str().unwrap().parse().unwrap();
    dst.add_record(
        installed,
        json!({"品名": {"value": "机"}, "場所": {"value": "2階"}}),
    );
    dst.add_record(installed, json!({"品名": {"value": "椅子"}}));
    // A local change that version 2 overwrites, and one it leaves alone.
    relabel(&dst, installed, "場所", "保管場所");
    dst.deploy(installed);

    // Version 2 at the source: the same field relabelled differently, and a new field.
    relabel(&src, app, "場所", "設置場所");
    let (s, b) = src.post(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": app, "properties": {"備考": text("備考")}}),
    );
    assert_eq!(s, 200, "{b}");
    src.deploy(app);
    let (s, v2) = src.post(
        "/api/packages/export.json",
        json!({"apps": [app], "packageId": "bihin", "version": "2"}),
    );
    assert_eq!(s, 200, "{v2}");

    let (s, plan) = dst.post("/api/packages/plan.json", json!({"package": v2}));
    assert_eq!(s, 200, "{plan}");
    let up = &plan["upgrade"];
    assert_eq!(up["from"], "1", "{plan}");
    assert_eq!(up["to"], "2", "{plan}");
    assert_eq!(up["status"], "newer", "{plan}");
    assert!(plan["conflicts"].as_array().unwrap().is_empty(), "{plan}");
    assert!(plan["problems"].as_array().unwrap().is_empty(), "{plan}");
    let upgraded = &up["apps"][0];
    assert_eq!(upgraded["app"], installed.to_string(), "{plan}");
    let diff = upgraded["statements"].to_string();
    assert!(
        diff.contains("備考"),
        "the new field is in the diff: {diff}"
    );
    assert!(
        diff.contains("設置場所"),
        "the new label is in the diff: {diff}"
    );
    assert_eq!(
        upgraded["localChanges"],
        json!([{"part": "field", "key": "場所", "label": "保管場所"}]),
        "{plan}"
    );

    let (s, b) = dst.post("/api/packages/import.json", json!({"package": v2}));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["apps"][0]["app"], installed.to_string(), "{b}");
    assert_eq!(b["upgrade"]["from"], "1", "{b}");
    let (_, r) = dst.get(&format!("/k/v1/records.json?app={installed}"));
    assert_eq!(r["records"].as_array().unwrap().len(), 2, "{r}");
    assert!(r.to_string().contains("机"), "{r}");
    let (_, f) = dst.get(&format!("/k/v1/app/form/fields.json?app={installed}"));
    assert_eq!(f["properties"]["場所"]["label"], "設置場所", "{f}");
    assert!(f["properties"].get("備考").is_some(), "{f}");
    // The upgraded app takes new records with the new field.
    dst.add_record(
        installed,
        json!({"品名": {"value": "棚"}, "備考": {"value": "新"}}),
    );

    // The same version again is refused, and so is an older one; nothing is written.
    let (s, b) = dst.post("/api/packages/import.json", json!({"package": v2}));
    assert_eq!(s, 400, "{b}");
    let (s, b) = dst.post("/api/packages/import.json", json!({"package": v1}));
    assert_eq!(s, 400, "{b}");
    let (s, plan) = dst.post("/api/packages/plan.json", json!({"package": v1}));
    assert_eq!(s, 200, "{plan}");
    assert_eq!(plan["upgrade"]["status"], "older", "{plan}");
    assert_eq!(plan["problems"].as_array().unwrap().len(), 1, "{plan}");
}

/// `kumiki app import` upgrades as the API does: it says so on standard error, refuses the same
/// version, and takes an older one only with `--allow-downgrade`.
#[test]
fn the_command_line_upgrades_and_downgrades_only_when_asked() {
    let src = TestApp::spawn();
    let app = src.create_app("備品台帳", json!({"品名": text("品名")}));
    let dir = tempfile::tempdir().unwrap();
    let write = |version: &str| {
        let (s, b) = src.post(
            "/api/packages/export.json",
            json!({"apps": [app], "packageId": "bihin", "version": version}),
        );
        assert_eq!(s, 200, "{b}");
        let path = dir.path().join(format!("bihin-{version}.json"));
        std::fs::write(&path, b.to_string()).unwrap();
        path
    };
    let v1 = write("1");
    let (s, b) = src.post(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": app, "properties": {"備考": text("備考")}}),
    );
    assert_eq!(s, 200, "{b}");
    src.deploy(app);
    let v2 = write("2");

    let dst = TestApp::spawn();
    let run = |args: &[&str], file: &std::path::Path| {
        std::process::Command::new(kumiki_tests::kumiki_bin())
            .args(["app", "import"])
            .arg(file)
            .args(args)
            .arg("--data-dir")
            .arg(dst.data_dir.path())
            .arg("--database-url")
            .arg(&dst.database_url)
            .output()
            .unwrap()
    };
    let out = run(&[], &v1);
    assert!(out.status.success(), "{out:?}");
    let installed = String::from_utf8(out.stdout).unwrap();
    let id: i64 = installed
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    dst.add_record(id, json!({"品名": {"value": "机"}}));

    let out = run(&[], &v2);
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8(out.stderr).unwrap();
    assert!(
        said.contains("upgraded package bihin from 1 to 2: app1"),
        "{said}"
    );
    let (_, f) = dst.get(&format!("/k/v1/app/form/fields.json?app={id}"));
    assert!(f["properties"].get("備考").is_some(), "{f}");

    let out = run(&[], &v2);
    assert!(!out.status.success(), "the same version is refused");
    let out = run(&[], &v1);
    assert!(
        !out.status.success(),
        "an older version needs --allow-downgrade"
    );
    let (_, f) = dst.get(&format!("/k/v1/app/form/fields.json?app={id}"));
    assert!(
        f["properties"].get("備考").is_some(),
        "still version 2: {f}"
    );
    let out = run(&["--allow-downgrade"], &v1);
    assert!(out.status.success(), "{out:?}");
    let (_, f) = dst.get(&format!("/k/v1/app/form/fields.json?app={id}"));
    assert!(
        f["properties"].get("備考").is_none(),
        "back to version 1: {f}"
    );
    let (_, r) = dst.get(&format!("/k/v1/records.json?app={id}"));
    assert_eq!(r["records"].as_array().unwrap().len(), 1, "{r}");
    let (_, apps) = dst.get("/k/v1/apps.json");
    assert_eq!(apps["apps"].as_array().unwrap().len(), 1, "{apps}");
}
