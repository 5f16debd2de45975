//! Issue 17 part 6, kintone app files (docs/packages.md "kintone からの移行"): a folder of JSON
//! answers of kintone's REST API (it/fixtures/kintone: a customer master, app 7, and
//! consultations, app 12, with a lookup into the master, a related-records table back, a
//! subtable, a process with an organization as assignee, app/record/field permissions naming an
//! organization, a group and a user, a notification rule, a report, and a customization that
//! cannot come along) becomes a bundle, is planned and imported with the roles mapped, and takes
//! records through /k/v1/record.json. Bad folders give clear refusals.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kumiki_engine::packages::kintone_read;
use kumiki_tests::TestApp;
use serde_json::{json, Map, Value};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("it/fixtures/kintone")
}

/// The fixture folder as the API's `apps` member.
fn fixture_apps() -> Value {
    let apps = kintone_read::read_folder(&fixture_dir()).expect("fixture folder");
    let map: Map<String, Value> = apps
        .into_iter()
        .map(|(id, files)| (id, Value::Object(files)))
        .collect();
    Value::Object(map)
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

fn local_entities(app: &TestApp) {
    let (s, b) = app.post(
        "/api/org/departments.json",
        json!({"code": "soudan-ka", "name": "相談課"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.post(
        "/api/org/groups.json",
        json!({"code": "kanri", "name": "管理者"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.post(
        "/api/org/users.json",
        json!({"code": "sato2", "name": "佐藤", "password": "long-enough-password-1"}),
    );
    assert_eq!(s, 200, "{b}");
}

#[test]
fn a_kintone_folder_becomes_working_apps_with_roles_mapped() {
    let app = TestApp::spawn();
    local_entities(&app);
    let (s, bundle) = app.post(
        "/api/packages/from-kintone.json",
        json!({"apps": fixture_apps()}),
    );
    assert_eq!(s, 200, "{bundle}");
    assert_eq!(bundle["format"], "kumiki-apps/1");
    let roles: Vec<(&str, &str, bool)> = bundle["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["role"].as_str().unwrap(),
                r["kind"].as_str().unwrap(),
                r["optional"].as_bool().unwrap(),
            )
        })
        .collect();
    // kintone's everyone stays everyone; suzuki only receives notifications (optional).
    assert_eq!(
        roles,
        [
            ("soudan", "department", false),
            ("kanri", "group", false),
            ("sato", "user", false),
            ("suzuki", "user", true),
        ],
        "{bundle}"
    );
    let warnings: Vec<&str> = bundle["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        warnings,
        ["kintone.warn.icon", "kintone.warn.customize"],
        "{bundle}"
    );

    let (s, plan) = app.post("/api/packages/plan.json", json!({"package": bundle}));
    assert_eq!(s, 200, "{plan}");
    assert_eq!(plan["problems"], json!([]), "{plan}");
    assert_eq!(plan["warnings"].as_array().unwrap().len(), 2, "{plan}");
    let planned: Vec<(&str, &str, i64)> = plan["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["key"].as_str().unwrap(),
                a["name"].as_str().unwrap(),
                a["fields"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        planned,
        [("12", "相談記録", 6), ("7", "顧客マスタ", 4)],
        "{plan}"
    );
    // The group kanri exists here with the same code: suggested.
    let kanri = plan["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == "kanri")
        .unwrap();
    assert_eq!(kanri["suggestions"][0]["code"], "kanri", "{plan}");

    // A required role left unmapped is refused, writing nothing.
    let (s, b) = app.post(
        "/api/packages/import.json",
        json!({"package": bundle, "mapping": {"kanri": "kanri", "sato": "sato2"}}),
    );
    assert_eq!(s, 400, "{b}");
    assert!(b.to_string().contains("soudan"), "{b}");

    let (s, created) = app.post(
        "/api/packages/import.json",
        json!({"package": bundle,
               "mapping": {"soudan": "soudan-ka", "kanri": "kanri", "sato": "sato2"}}),
    );
    assert_eq!(s, 200, "{created}");
    let (master, consult) = (app_of(&created, "7"), app_of(&created, "12"));

    // References point at the new apps, system field codes are Kumiki's.
    let (_, f) = app.get(&format!("/k/v1/app/form/fields.json?app={consult}"));
    let lookup = &f["properties"]["顧客"]["lookup"];
    assert_eq!(lookup["relatedApp"]["app"], master.to_string(), "{f}");
    assert_eq!(lookup["sort"], "Record_number desc", "{f}");
    assert_eq!(
        f["properties"]["種別"]["options"]["秘密"]["index"], "1",
        "{f}"
    );
    assert_eq!(
        f["properties"]["明細"]["fields"]["対応日"]["type"], "DATE",
        "{f}"
    );
    let (_, f) = app.get(&format!("/k/v1/app/form/fields.json?app={master}"));
    let table = &f["properties"]["相談一覧"]["referenceTable"];
    assert_eq!(table["relatedApp"]["app"], consult.to_string(), "{f}");
    assert_eq!(
        table["displayFields"],
        json!(["Record_number", "内容"]),
        "{f}"
    );

    let (_, v) = app.get(&format!("/k/v1/app/views.json?app={consult}"));
    let view = &v["views"]["受付一覧"];
    assert_eq!(
        view["fields"],
        json!(["Record_number", "顧客", "種別", "Status", "Assignee"]),
        "{v}"
    );
    assert_eq!(view["filterCond"], "Status not in (\"完了\")", "{v}");

    // Process, permissions and notifications name the mapped local entities.
    let (_, st) = app.get(&format!("/k/v1/app/status.json?app={consult}"));
    assert_eq!(st["enable"], true, "{st}");
    assert_eq!(
        st["states"]["対応中"]["assignee"]["entities"][0]["entity"],
        json!({"type": "ORGANIZATION", "code": "soudan-ka"}),
        "{st}"
    );
    assert_eq!(st["actions"][0]["name"], "対応開始", "{st}");
    let (_, acl) = app.get(&format!("/k/v1/app/acl.json?app={consult}"));
    let entities: Vec<Value> = acl["rights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["entity"].clone())
        .collect();
    assert!(
        entities.contains(&json!({"type": "GROUP", "code": "kanri"}))
            && entities.contains(&json!({"type": "USER", "code": "sato2"}))
            && entities.contains(&json!({"type": "ORGANIZATION", "code": "soudan-ka"})),
        "{acl}"
    );
    let (_, racl) = app.get(&format!("/k/v1/record/acl.json?app={consult}"));
    assert_eq!(
        racl["rights"][0]["entities"][0]["entity"]["code"], "soudan-ka",
        "{racl}"
    );
    let (_, facl) = app.get(&format!("/k/v1/field/acl.json?app={consult}"));
    assert_eq!(facl["rights"][0]["code"], "内容", "{facl}");
    let (_, n) = app.get(&format!(
        "/k/v1/app/notifications/general.json?app={consult}"
    ));
    // suzuki was left unmapped (optional): that recipient is dropped.
    assert_eq!(n["notifications"].as_array().unwrap().len(), 1, "{n}");
    let (_, settings) = app.get(&format!("/k/v1/app/settings.json?app={consult}"));
    assert_eq!(settings["titleField"]["code"], "顧客", "{settings}");
    assert_eq!(settings["description"], "<div>窓口での相談の記録</div>");
    let (_, reports) = app.get(&format!("/k/v1/app/reports.json?app={consult}"));
    assert!(
        reports["reports"]["種別ごとの件数"].is_object(),
        "{reports}"
    );

    // Records go in through kintone's API; the lookup fetches from the imported master.
    let (s, b) = app.post(
        "/k/v1/record.json",
        json!({"app": master, "record": {"顧客名": {"value": "山田"}, "電話": {"value": "03-1111"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.post(
        "/k/v1/record.json",
        json!({"app": consult, "record": {"顧客": {"value": "山田"}, "種別": {"value": "一般"},
               "明細": {"value": [{"value": {"対応": {"value": "電話で案内"}}}]}}}),
    );
    assert_eq!(s, 200, "{b}");
    let id = b["id"].as_str().unwrap().to_owned();
    let (s, r) = app.get(&format!("/k/v1/record.json?app={consult}&id={id}"));
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["record"]["電話"]["value"], "03-1111", "{r}");
    assert_eq!(r["record"]["Status"]["value"], "未処理", "{r}");
}

#[test]
fn bad_kintone_files_are_refused_clearly() {
    let app = TestApp::spawn();
    let apps = fixture_apps();

    // An app without form/fields.json.
    let mut missing = apps.clone();
    missing["12"]
        .as_object_mut()
        .unwrap()
        .remove("form/fields.json");
    let (s, b) = app.post("/api/packages/from-kintone.json", json!({"apps": missing}));
    assert_eq!(s, 400, "{b}");
    assert!(b.to_string().contains("form/fields.json"), "{b}");

    // A field type kintone never had.
    let mut unknown = apps.clone();
    unknown["7"]["form/fields.json"]["properties"]["地図"] =
        json!({"type": "MAP", "code": "地図", "label": "地図"});
    let (s, b) = app.post("/api/packages/from-kintone.json", json!({"apps": unknown}));
    assert_eq!(s, 400, "{b}");
    assert!(b.to_string().contains("MAP"), "{b}");

    // A lookup into an app that is not in the folder names the reference.
    let mut alone = apps.clone();
    alone.as_object_mut().unwrap().remove("7");
    let (s, b) = app.post("/api/packages/from-kintone.json", json!({"apps": alone}));
    assert_eq!(s, 400, "{b}");
    assert!(
        b.to_string().contains("顧客") && b.to_string().contains("app 7"),
        "{b}"
    );

    // The apps member is required and its apps are objects.
    let (s, b) = app.post("/api/packages/from-kintone.json", json!({}));
    assert_eq!(s, 400, "{b}");
    let (s, b) = app.post(
        "/api/packages/from-kintone.json",
        json!({"apps": {"12": "x"}}),
    );
    assert_eq!(s, 400, "{b}");
    let (_, list) = app.get("/k/v1/apps.json");
    assert_eq!(list["apps"], json!([]), "{list}");

    // A file of the folder that is not JSON.
    let dir = std::env::temp_dir().join(format!("kumiki-kintone-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("12/form")).unwrap();
    std::fs::write(dir.join("12/form/fields.json"), "{\"properties\": {").unwrap();
    let err = format!("{:?}", kintone_read::read_folder(&dir).unwrap_err());
    std::fs::remove_dir_all(&dir).ok();
    assert!(err.contains("form/fields.json is not JSON"), "{err}");
    let empty: BTreeMap<String, kumiki_engine::packages::kintone_files::AppFiles> = BTreeMap::new();
    assert!(kumiki_engine::packages::kintone_files::convert(&empty).is_err());
}

#[test]
fn the_import_page_previews_a_zip_of_the_folder() {
    use reqwest::blocking::multipart::{Form, Part};
    use std::io::Write;
    let app = TestApp::spawn();
    let session = app.sign_in_form("Administrator", kumiki_tests::ADMIN_PASSWORD);
    let mut buf = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut buf));
        let options = zip::write::SimpleFileOptions::default();
        let apps = kintone_read::read_folder(&fixture_dir()).unwrap();
        for (id, files) in apps {
            for (path, doc) in files {
                zip.start_file(format!("kintone-export/{id}/{path}"), options)
                    .unwrap();
                zip.write_all(doc.to_string().as_bytes()).unwrap();
            }
        }
        zip.finish().unwrap();
    }
    let (s, html) = app.page(&session, "/");
    assert_eq!(s, 200);
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let token = html[start..start + html[start..].find('"').unwrap()].to_owned();
    let form = Form::new()
        .text("_csrf", token.clone())
        .part("file", Part::bytes(buf).file_name("kintone.zip"));
    let resp = kumiki_tests::page_client()
        .post(app.url("/apps/import/preview"))
        .header("Cookie", &session)
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let html = resp.text().unwrap();
    assert!(
        html.contains("相談記録") && html.contains("顧客マスタ"),
        "{html}"
    );
    assert!(
        html.contains("data-testid=\"pkgimport-warnings\""),
        "{html}"
    );
    assert!(html.contains("JavaScript・CSS"), "{html}");
    assert!(html.contains("pkgimport-submit"), "{html}");

    // A zip whose app has a broken file: a Japanese message, no preview.
    let mut bad = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut bad));
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("12/form/fields.json", options).unwrap();
        zip.write_all(b"not json").unwrap();
        zip.finish().unwrap();
    }
    let form = Form::new()
        .text("_csrf", token)
        .part("file", Part::bytes(bad).file_name("kintone.zip"));
    let resp = kumiki_tests::page_client()
        .post(app.url("/apps/import/preview"))
        .header("Cookie", &session)
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let html = resp.text().unwrap();
    assert!(html.contains("JSON ではありません"), "{html}");
    assert!(!html.contains("pkgimport-submit"), "{html}");
}
