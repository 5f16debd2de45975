//! The example scripts of `apps-examples/document-intake` (文書収受簿) on both databases: document
//! numbers per department and fiscal year, the due date skipping weekends, postal code and phone
//! checks with field-level errors, approved documents copied into the archive; and the page APIs
//! around scripts: a test run that saves nothing and the live field change of the record form.

use kumiki_tests::{Auth, TestApp};
use serde_json::{json, Value};

/// App ids of the examples, in load order.
const ARCHIVE: i64 = 3;
const INTAKE: i64 = 4;

fn examples() -> TestApp {
    TestApp::spawn_with(|s| s.load_examples = true)
}

/// A complete intake record; `extra` overrides fields.
fn intake(dept: &str, received: &str, extra: Value) -> Value {
    let mut r = json!({
        "担当課": {"value": dept},
        "受付日": {"value": received},
        "件名": {"value": "システム標準化に係る調査について"},
        "発出元": {"value": "総務省"},
        "文書種別": {"value": "通知"},
        "発出日": {"value": "2026-11-20"},
        "決裁": {"value": "未決"},
    });
    for (k, v) in extra.as_object().unwrap() {
        r[k] = json!({ "value": v });
    }
    r
}

fn add(app: &TestApp, record: Value) -> Value {
    let (s, b) = app.post(
        "/k/v1/record.json",
        json!({"app": INTAKE, "record": record}),
    );
    assert_eq!(s, 200, "add intake record: {b}");
    let (s, b) = app.get(&format!(
        "/k/v1/record.json?app={INTAKE}&id={}",
        b["id"].as_str().unwrap()
    ));
    assert_eq!(s, 200, "{b}");
    b["record"].clone()
}

fn count(app: &TestApp, app_id: i64, query: &str) -> i64 {
    let encoded: String = query.bytes().map(|b| format!("%{b:02X}")).collect();
    let (s, b) = app.get(&format!(
        "/k/v1/records.json?app={app_id}&totalCount=true&query={encoded}"
    ));
    assert_eq!(s, 200, "{b}");
    b["totalCount"].as_str().unwrap().parse().unwrap()
}

#[test]
fn document_numbers_count_per_department_and_fiscal_year() {
    let app = examples();
    let number = |dept: &str, day: &str| {
        add(&app, intake(dept, day, json!({})))["文書番号"]["value"].clone()
    };
    // 令和8年度 (2026-04-01 .. 2027-03-31) has no sample records.
    assert_eq!(number("総務", "2026-11-27"), "R8-総務-0001");
    assert_eq!(number("総務", "2027-03-31"), "R8-総務-0002");
    assert_eq!(number("企画", "2026-12-01"), "R8-企画-0001");
    // April 1st starts the next fiscal year at 1 again.
    assert_eq!(number("総務", "2027-04-01"), "R9-総務-0001");
    assert_eq!(number("総務", "2027-03-01"), "R8-総務-0003");
    // 令和7年度 has sample records: a new number never repeats one of them.
    let held = count(&app, INTAKE, "文書番号 like \"R7-財政-\"");
    let next = number("財政", "2026-03-31");
    assert_eq!(next, format!("R7-財政-{:04}", held + 1));
    assert_eq!(
        count(
            &app,
            INTAKE,
            &format!("文書番号 = \"{}\"", next.as_str().unwrap())
        ),
        1
    );
}

#[test]
fn the_due_date_is_fourteen_weekdays_after_receipt() {
    let app = examples();
    // Friday 2026-11-27 + 14 weekdays (two weekends skipped) = Thursday 2026-12-17.
    let friday = add(&app, intake("福祉", "2026-11-27", json!({})));
    assert_eq!(friday["回答期限"]["value"], "2026-12-17");
    // Received on a Saturday: counting starts on Monday.
    let saturday = add(&app, intake("福祉", "2026-11-28", json!({})));
    assert_eq!(saturday["回答期限"]["value"], "2026-12-17");
    let monday = add(&app, intake("福祉", "2026-11-30", json!({})));
    assert_eq!(monday["回答期限"]["value"], "2026-12-18");
    // An edit of the receipt date computes the due date again.
    let id = monday["$id"]["value"].as_str().unwrap();
    let (s, b) = app.put(
        "/k/v1/record.json",
        json!({"app": INTAKE, "id": id, "record": {"受付日": {"value": "2026-12-01"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, b) = app.get(&format!("/k/v1/record.json?app={INTAKE}&id={id}"));
    assert_eq!(b["record"]["回答期限"]["value"], "2026-12-21");
}

#[test]
fn postal_codes_and_phone_numbers_are_checked_and_normalised() {
    let app = examples();
    let ok = add(
        &app,
        intake(
            "建設",
            "2026-11-27",
            json!({"連絡先郵便番号": "〒３８０－８５７０", "連絡先電話番号": "０２６－２３５－７１１１"}),
        ),
    );
    assert_eq!(ok["連絡先郵便番号"]["value"], "380-8570");
    assert_eq!(ok["連絡先電話番号"]["value"], "026-235-7111");
    let plain = add(
        &app,
        intake(
            "建設",
            "2026-11-27",
            json!({"連絡先郵便番号": "3808570", "連絡先電話番号": "09012345678"}),
        ),
    );
    assert_eq!(plain["連絡先郵便番号"]["value"], "380-8570");
    assert_eq!(plain["連絡先電話番号"]["value"], "09012345678");

    let before = count(&app, INTAKE, "");
    for (zip, tel, bad) in [
        ("38-08570", "026-235-7111", vec!["連絡先郵便番号"]),
        ("380-857", "026-235-7111", vec!["連絡先郵便番号"]),
        ("380-8570", "26-235-7111", vec!["連絡先電話番号"]),
        ("380-8570", "026-235-71111-1", vec!["連絡先電話番号"]),
        ("abc", "電話", vec!["連絡先郵便番号", "連絡先電話番号"]),
    ] {
        let (s, b) = app.post(
            "/k/v1/record.json",
            json!({"app": INTAKE, "record": intake("建設", "2026-11-27", json!({"連絡先郵便番号": zip, "連絡先電話番号": tel}))}),
        );
        assert_eq!(s, 400, "{zip} {tel}: {b}");
        assert_eq!(b["code"], "CB_VA01", "{b}");
        let keys: Vec<&String> = b["errors"].as_object().unwrap().keys().collect();
        for field in &bad {
            let key = format!("record.{field}.value");
            assert!(keys.contains(&&key), "{zip} {tel}: {key} in {b}");
            assert!(!b["errors"][&key]["messages"][0]
                .as_str()
                .unwrap()
                .is_empty());
        }
        assert_eq!(keys.len(), bad.len(), "{b}");
    }
    assert_eq!(
        count(&app, INTAKE, ""),
        before,
        "a record with errors is not saved"
    );
}

#[test]
fn an_approved_document_is_copied_into_the_archive_once() {
    let app = examples();
    let archived = |number: &str| count(&app, ARCHIVE, &format!("管理番号 = \"{number}\""));
    // Approved on creation.
    let rec = add(
        &app,
        intake(
            "総務",
            "2026-11-27",
            json!({"決裁": "承認", "先方文書番号": "総行情第77号"}),
        ),
    );
    let number = rec["文書番号"]["value"].as_str().unwrap().to_owned();
    assert_eq!(archived(&number), 1);
    let (_, b) = app.get(&format!(
        "/k/v1/records.json?app={ARCHIVE}&query={}",
        format!("管理番号 = \"{number}\"")
            .bytes()
            .map(|b| format!("%{b:02X}"))
            .collect::<String>()
    ));
    let copy = &b["records"][0];
    assert_eq!(copy["表題"]["value"], "システム標準化に係る調査について");
    assert_eq!(copy["文書番号"]["value"], "総行情第77号");
    assert_eq!(copy["発出元"]["value"], "総務省");
    assert_eq!(copy["発出日"]["value"], "2026-11-20");

    // Pending first, approved by an edit; saving again does not copy twice.
    let rec = add(&app, intake("企画", "2026-11-27", json!({})));
    let number = rec["文書番号"]["value"].as_str().unwrap().to_owned();
    let id = rec["$id"]["value"].as_str().unwrap().to_owned();
    assert_eq!(archived(&number), 0);
    for _ in 0..2 {
        let (s, b) = app.put(
            "/k/v1/record.json",
            json!({"app": INTAKE, "id": id, "record": {"決裁": {"value": "承認"}}}),
        );
        assert_eq!(s, 200, "{b}");
    }
    assert_eq!(archived(&number), 1);
}

#[test]
fn a_test_run_shows_the_result_and_saves_nothing() {
    let app = examples();
    let before = count(&app, INTAKE, "");
    let run = |body: Value| {
        let (s, b) = app.post("/api/app/script/test.json", body);
        assert_eq!(s, 200, "{b}");
        b
    };
    let body = json!({"app": INTAKE, "name": "文書番号の採番", "event": "create.submit",
                      "record": intake("総務", "2026-11-27", json!({}))});
    let first = run(body.clone());
    assert!(first["failure"].is_null(), "{first}");
    assert_eq!(first["record"]["文書番号"]["value"], "R8-総務-0001");
    let change = first["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "文書番号")
        .unwrap();
    assert_eq!(change["after"], "R8-総務-0001");
    assert!(
        first["logs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().contains("R8-総務-0001")),
        "{first}"
    );
    // The counter moved only inside the rolled-back run: the same number again, and on a real save.
    assert_eq!(run(body)["record"]["文書番号"]["value"], "R8-総務-0001");
    assert_eq!(count(&app, INTAKE, ""), before);
    assert_eq!(
        add(&app, intake("総務", "2026-11-27", json!({})))["文書番号"]["value"],
        "R8-総務-0001"
    );

    // An edited (unsaved) script against a stored record: field errors and the failure come back.
    let pending = count(&app, INTAKE, "決裁 in (\"未決\")");
    assert!(pending > 0);
    let contact = run(json!({"app": INTAKE, "event": "edit.submit", "id": "1",
        "script": {"name": "試し", "events": ["edit.submit"], "source": "error(\"件名\", \"だめ\"); log(\"x\");"}}));
    assert_eq!(
        contact["errors"]["record.件名.value"]["messages"][0], "だめ",
        "{contact}"
    );
    let broken = run(json!({"app": INTAKE, "event": "create.submit",
        "script": {"name": "壊れた", "events": ["create.submit"], "source": "let a = 1;\nlet b = ;\n"}}));
    assert_eq!(broken["failure"]["script"], "壊れた", "{broken}");
    assert_eq!(broken["failure"]["line"], 2, "{broken}");

    // The archive script in a test run writes nothing to the archive.
    let archive_before = count(&app, ARCHIVE, "");
    let archived = run(
        json!({"app": INTAKE, "name": "承認文書を書庫へ登録", "event": "save.after",
        "record": intake("総務", "2026-11-27", json!({"決裁": "承認", "文書番号": "R8-総務-0999"}))}),
    );
    assert!(archived["failure"].is_null(), "{archived}");
    assert_eq!(count(&app, ARCHIVE, ""), archive_before);

    // Before its first deploy an app is tried against its pre-live form.
    let (s, b) = app.post("/k/v1/preview/app.json", json!({"name": "下書き"}));
    assert_eq!(s, 200, "{b}");
    let draft = run(json!({"app": b["app"], "event": "create.submit",
        "script": {"name": "下書き", "source": "log(\"draft \" + event);"}}));
    assert_eq!(draft["logs"][0], "draft create.submit", "{draft}");

    // Only app managers may run tests (apps without an ACL let every user manage them; a token
    // with the view right only may not).
    let viewer = app.with_auth(Auth::Tokens(app.token(INTAKE, "view")));
    let (s, b) = viewer.post(
        "/api/app/script/test.json",
        json!({"app": INTAKE, "name": "文書番号の採番"}),
    );
    assert!(s == 403 || s == 404, "{s} {b}");
}

#[test]
fn a_field_change_computes_values_and_errors_live() {
    let app = examples();
    let before = count(&app, INTAKE, "");
    let (s, b) = app.post(
        "/api/record/script/change.json",
        json!({"app": INTAKE, "field": "受付日", "record": {
            "受付日": {"value": "2026-11-27"}, "連絡先郵便番号": {"value": "１２３４５６７"}, "連絡先電話番号": {"value": "12"}}}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["record"]["回答期限"]["value"], "2026-12-17", "{b}");
    assert_eq!(b["record"]["連絡先郵便番号"]["value"], "123-4567", "{b}");
    assert!(
        b["errors"]["record.連絡先電話番号.value"]["messages"][0].is_string(),
        "{b}"
    );
    // Field change scripts do not number (that script is bound to create.submit only).
    assert!(
        b["record"]["文書番号"]["value"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{b}"
    );
    assert_eq!(count(&app, INTAKE, ""), before);
    let (s, b) = app.post(
        "/api/record/script/change.json",
        json!({"app": INTAKE, "field": "無い", "record": {}}),
    );
    assert_eq!(s, 400, "{b}");
}

/// Signs `login` in through the form; returns the session cookie.
fn session(app: &TestApp, login: &str, password: &str) -> String {
    let c = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = |resp: &reqwest::blocking::Response, name: &str| {
        resp.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(|v| v.split(';').next().unwrap_or_default().to_owned())
            .unwrap()
    };
    let page = c.get(app.url("/login")).send().unwrap();
    let login_cookie = cookie(&page, "__Host-kumiki_login_csrf");
    let html = page.text().unwrap();
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let csrf = &html[start..start + html[start..].find('"').unwrap()];
    let resp = c
        .post(app.url("/login"))
        .header("Cookie", login_cookie)
        .form(&[
            ("login", login),
            ("password", password),
            ("_csrf", csrf),
            ("next", "/"),
        ])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303, "sign-in of {login}");
    cookie(&resp, "__Host-kumiki_session")
}

#[test]
fn the_scripts_page_is_for_app_managers_only() {
    let app = examples();
    app.user("clerk", "clerk-password-1");
    // Everyone uses the intake register; only Administrator manages it.
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": INTAKE, "rights": [
            {"entity": {"type": "USER", "code": "Administrator"}, "appEditable": true, "recordViewable": true,
             "recordAddable": true, "recordEditable": true, "recordDeletable": true},
            {"entity": {"type": "GROUP", "code": "everyone"}, "recordViewable": true, "recordAddable": true,
             "recordEditable": true}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(INTAKE);
    let page = |cookie: &str, path: &str| {
        let resp = reqwest::blocking::Client::new()
            .get(app.url(path))
            .header("Cookie", cookie)
            .send()
            .unwrap();
        (resp.status().as_u16(), resp.text().unwrap())
    };
    let admin = session(&app, "Administrator", kumiki_tests::ADMIN_PASSWORD);
    let (s, html) = page(&admin, &format!("/apps/{INTAKE}/scripts"));
    assert_eq!(s, 200);
    assert!(html.contains("data-testid=\"scripts\"") && html.contains("script_editor.js"));
    assert_eq!(page(&admin, "/apps/999/scripts").0, 404);
    // The form of an app with field.change scripts loads the live field-change script.
    let (_, form) = page(&admin, &format!("/apps/{INTAKE}/records/new"));
    assert!(form.contains("records_script_change.js") && form.contains("\"fieldChange\":true"));
    let (_, other) = page(&admin, &format!("/apps/{ARCHIVE}/records/new"));
    assert!(!other.contains("records_script_change.js"));

    let clerk = session(&app, "clerk", "clerk-password-1");
    assert_eq!(page(&clerk, &format!("/apps/{INTAKE}/scripts")).0, 404);
    assert_eq!(page(&clerk, &format!("/apps/{INTAKE}/records/new")).0, 200);
    let clerk_api = app.with_auth(Auth::Password("clerk".into(), "clerk-password-1".into()));
    let (s, b) = clerk_api.post(
        "/api/app/script/test.json",
        json!({"app": INTAKE, "name": "文書番号の採番"}),
    );
    assert_eq!(s, 403, "{b}");
    // Field changes are for everyone who uses the form.
    let (s, b) = clerk_api.post(
        "/api/record/script/change.json",
        json!({"app": INTAKE, "field": "受付日", "record": {"受付日": {"value": "2026-11-30"}}}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["record"]["回答期限"]["value"], "2026-12-18");
}
