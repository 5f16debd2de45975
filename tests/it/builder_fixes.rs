//! The server side of issue 10's bug fixes: the picker's partial matching, an unknown user refused by
//! the kintone API, the process panel's answer for an app without process management, syntax errors
//! as catalog messages, test runs with typed values, Japanese comments in the example scripts, and the
//! language cookie set at sign-in.

use kumiki_tests::{cookie_value, page_client, url_encode, TestApp};
use serde_json::{json, Value};

fn add_user(app: &TestApp, code: &str, name: &str) {
    let (s, b) = app.post(
        "/api/org/users.json",
        json!({"code": code, "name": name, "password": format!("pass-{code}-12345"), "mustChangePassword": false}),
    );
    assert_eq!(s, 200, "{b}");
}

fn codes(b: &Value) -> Vec<String> {
    let mut out: Vec<String> = b["users"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|u| u["code"].as_str())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn the_user_list_matches_part_of_a_name_or_login_across_widths() {
    let app = TestApp::spawn();
    add_user(&app, "tanaka", "田中 花子");
    add_user(&app, "tanaka2", "田中 一郎");
    add_user(&app, "sato", "佐藤 一郎");
    let q = |text: &str| {
        let (s, b) = app.get(&format!("/api/users.json?q={}", url_encode(text)));
        assert_eq!(s, 200, "{b}");
        b
    };
    assert_eq!(codes(&q("田中")), ["tanaka", "tanaka2"]);
    assert_eq!(codes(&q("一郎")), ["sato", "tanaka2"]);
    assert_eq!(codes(&q("ｓａｔｏ")), ["sato"]);
    assert_eq!(codes(&q("佐藤一郎")), ["sato"]);
    assert!(codes(&q("山田")).is_empty());
    // An exact login comes first, before names that merely contain it.
    let b = q("tanaka");
    assert_eq!(b["users"][0]["code"], "tanaka", "{b}");
    // Without q, everyone.
    let (_, all) = app.get("/api/users.json");
    assert!(codes(&all).len() >= 4, "{all}");
}

#[test]
fn the_kintone_api_refuses_an_unknown_user_code_and_writes_nothing() {
    let app = TestApp::spawn();
    add_user(&app, "sato", "佐藤 一郎");
    let id = app.create_app(
        "貸出記録",
        json!({"借りた人": {"type": "USER_SELECT", "code": "借りた人", "label": "借りた人"}}),
    );
    app.deploy(id);
    let (s, b) = app.post(
        "/k/v1/record.json",
        json!({"app": id, "record": {"借りた人": {"value": [{"code": "sato"}, {"code": "田中"}]}}}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
    // kintone's key for a value inside an entity list.
    let messages = &b["errors"]["record.借りた人.values.value"]["messages"];
    assert!(
        messages[0].as_str().is_some_and(|m| m.contains("田中")),
        "the message names the code: {b}"
    );
    let (_, list) = app.get(&format!("/k/v1/records.json?app={id}"));
    assert_eq!(list["records"].as_array().map(Vec::len), Some(0), "{list}");
    let (s, b) = app.post(
        "/k/v1/record.json",
        json!({"app": id, "record": {"借りた人": {"value": [{"code": "sato"}]}}}),
    );
    assert_eq!(s, 200, "{b}");
}

#[test]
fn the_process_panel_of_an_app_without_process_management_is_a_normal_answer() {
    let app = TestApp::spawn();
    let id = app.create_app(
        "プロセスなし",
        json!({"件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"}}),
    );
    app.deploy(id);
    let rid = app.add_record(id, json!({"件名": {"value": "一件目"}}));
    let (s, b) = app.get(&format!("/api/process/actions.json?app={id}&id={rid}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["enabled"], json!(false), "{b}");
    assert_eq!(b["actions"], json!([]), "{b}");
    assert!(b["revision"].is_string(), "{b}");
    // A record that does not exist is still an error.
    let (s, b) = app.get(&format!("/api/process/actions.json?app={id}&id=999"));
    assert_eq!((s, b["code"].as_str()), (404, Some("GAIA_RE01")), "{b}");
}

#[test]
fn a_syntax_error_carries_its_catalog_message_and_keeps_the_api_code() {
    let app = TestApp::spawn();
    let id = app.create_app(
        "構文",
        json!({"件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"}}),
    );
    let (s, b) = app.put(
        "/api/app/scripts.json",
        json!({"app": id, "scripts": [{"name": "壊れた", "events": ["create.submit"],
               "source": "let a = 1;\nlet b = ;\n"}]}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_SC01")), "{b}");
    let script = &b["script"];
    assert_eq!(script["name"], "壊れた", "{b}");
    assert_eq!(script["line"], 2, "{b}");
    assert_eq!(script["messageKey"], "scripts.syntax.unexpected", "{b}");
    assert_eq!(script["messageArgs"]["token"], ";", "{b}");

    // The test run reports the same, and an unclosed block has its own message.
    let (s, b) = app.post(
        "/api/app/script/test.json",
        json!({"app": id, "event": "create.submit",
               "script": {"name": "閉じていない", "events": ["create.submit"], "source": "if true {\n  log(\"x\");\n"}}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["failure"]["messageKey"], "scripts.syntax.missing_close",
        "{b}"
    );
    assert_eq!(b["failure"]["messageArgs"]["token"], "}", "{b}");
}

#[test]
fn every_syntax_message_key_is_in_both_catalogs() {
    let ja: Value = serde_json::from_str(include_str!("../../platform/i18n/scripts.ja.json"))
        .expect("ja catalog");
    let en: Value = serde_json::from_str(include_str!("../../platform/i18n/scripts.en.json"))
        .expect("en catalog");
    let source = include_str!("../../scripting/src/syntax.rs");
    let mut keys = 0;
    for part in source.split("msg(\"").skip(1) {
        let key = part.split('"').next().unwrap_or_default();
        if key.is_empty() || key.contains(' ') {
            continue;
        }
        let full = format!("scripts.syntax.{key}");
        assert!(ja[&full].is_string(), "{full} missing in ja");
        assert!(en[&full].is_string(), "{full} missing in en");
        keys += 1;
    }
    assert!(keys > 20, "found {keys} keys");
}

#[test]
fn a_test_run_takes_typed_values_over_the_chosen_record() {
    let app = TestApp::spawn();
    let id = app.create_app(
        "試す",
        json!({
            "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"},
            "担当": {"type": "SINGLE_LINE_TEXT", "code": "担当", "label": "担当"},
            "結果": {"type": "SINGLE_LINE_TEXT", "code": "結果", "label": "結果"}
        }),
    );
    app.deploy(id);
    let rid = app.add_record(
        id,
        json!({"件名": {"value": "保存済み"}, "担当": {"value": "総務"}}),
    );
    let source = "record[\"結果\"] = record[\"件名\"] + \"/\" + record[\"担当\"];";
    let (s, b) = app.post(
        "/api/app/script/test.json",
        json!({"app": id, "event": "edit.submit", "id": rid.to_string(),
               "record": {"件名": {"value": "入力した件名"}},
               "script": {"name": "t", "events": ["edit.submit"], "source": source}}),
    );
    assert_eq!(s, 200, "{b}");
    assert!(b["failure"].is_null(), "{b}");
    // The typed 件名 replaced the stored one; 担当 kept the record's value.
    assert_eq!(b["record"]["結果"]["value"], "入力した件名/総務", "{b}");
    // Nothing was saved.
    let (_, stored) = app.get(&format!("/k/v1/record.json?app={id}&id={rid}"));
    assert_eq!(stored["record"]["件名"]["value"], "保存済み");
    assert_eq!(stored["record"]["結果"]["value"], "");
}

#[test]
fn the_example_scripts_are_commented_in_japanese_and_match_their_sources() {
    let app_json: Value =
        serde_json::from_str(include_str!("../../apps-examples/document-intake/app.json"))
            .expect("app.json");
    let scripts = app_json["scripts"].as_array().expect("scripts");
    assert_eq!(scripts.len(), 4);
    let files = [
        include_str!("../../apps-examples/tools/scripts/intake_number.rhai"),
        include_str!("../../apps-examples/tools/scripts/intake_due_date.rhai"),
        include_str!("../../apps-examples/tools/scripts/intake_contact.rhai"),
        include_str!("../../apps-examples/tools/scripts/intake_archive.rhai"),
    ];
    for script in scripts {
        let source = script["source"].as_str().expect("source");
        assert!(
            files.contains(&source),
            "{} is generated from its .rhai",
            script["name"]
        );
        for line in source
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("//"))
        {
            let japanese = line.chars().any(|c| ('\u{3040}'..='\u{30ff}').contains(&c));
            assert!(japanese, "a comment in Japanese: {line}");
            // No English sentence: at most a few ASCII words (event names, function names).
            let english_words = line
                .split(|c: char| !c.is_ascii_alphabetic())
                .filter(|w| w.len() > 3 && !w.contains("submit") && !w.contains("change"))
                .filter(|w| !["save", "after", "next_number", "field"].contains(w))
                .count();
            assert!(english_words <= 2, "English in: {line}");
        }
    }
}

#[test]
fn signing_in_sets_the_language_cookie_to_the_users_language() {
    let app = TestApp::spawn();
    add_user(&app, "emma", "Emma");
    // Emma chose English (through the API every page uses).
    let session = app.sign_in_form("emma", "pass-emma-12345");
    let c = page_client();
    let page = c
        .get(app.url("/settings"))
        .header("Cookie", session.clone())
        .send()
        .expect("settings page");
    let html = page.text().expect("html");
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).expect("csrf") + marker.len();
    let csrf = &html[start..start + html[start..].find('"').expect("end")];
    let resp = c
        .post(app.url("/lang"))
        .header("Cookie", session)
        .form(&[("_csrf", csrf), ("lang", "en")])
        .send()
        .expect("switch");
    let cookie = cookie_value(&resp, "kumiki_lang").expect("language cookie");
    assert_eq!(cookie, "kumiki_lang=en");
    let max_age = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("kumiki_lang="))
        .map(|v| v.to_ascii_lowercase().contains("max-age="));
    assert_eq!(
        max_age,
        Some(true),
        "the cookie outlives the browser session"
    );

    // A later sign-in (another browser) gets the cookie from Emma's setting.
    let login = c.get(app.url("/login")).send().expect("login page");
    let login_cookie = cookie_value(&login, "__Host-kumiki_login_csrf").expect("login cookie");
    let html = login.text().expect("login html");
    let start = html.find(marker).expect("csrf") + marker.len();
    let csrf = html[start..start + html[start..].find('"').expect("end")].to_owned();
    let resp = c
        .post(app.url("/login"))
        .header("Cookie", login_cookie)
        .header("Accept-Language", "ja")
        .form(&[
            ("login", "emma"),
            ("password", "pass-emma-12345"),
            ("_csrf", csrf.as_str()),
            ("next", "/"),
        ])
        .send()
        .expect("sign in");
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(
        cookie_value(&resp, "kumiki_lang").as_deref(),
        Some("kumiki_lang=en")
    );
    // The sign-in page follows the cookie, not the browser's Accept-Language.
    let (s, html) = {
        let r = c
            .get(app.url("/login"))
            .header("Cookie", "kumiki_lang=en")
            .header("Accept-Language", "ja")
            .send()
            .expect("login page");
        (r.status().as_u16(), r.text().expect("html"))
    };
    assert_eq!(s, 200);
    assert!(html.contains("<html lang=\"en\""), "{html}");
}
