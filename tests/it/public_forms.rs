//! Issue 15, public forms — the staff side: the `/api/public-form*.json` calls (forms, settings
//! validation, rights, per-recipient links, results, CSV, templates) and the staff pages. Answers
//! are sent the residents' way (`POST /f/<slug>`: `step=confirm`, then `step=submit` with the
//! confirm page's hidden `files` and `sig`).

use kumiki_tests::{Auth, Client2, TestApp};
use serde_json::{json, Map, Value};

const PW: &str = "public-forms-pw-1";

fn as_user<'a>(app: &'a TestApp, login: &str) -> Client2<'a> {
    app.with_auth(Auth::Password(login.into(), PW.into()))
}

/// An election-day turnout app: station, hour, voters, age group, a remark, and a user field a
/// form may not show.
fn turnout_app(app: &TestApp) -> i64 {
    let hours: Map<String, Value> = ["09", "10", "11"]
        .iter()
        .enumerate()
        .map(|(i, h)| ((*h).to_owned(), json!({"label": h, "index": i.to_string()})))
        .collect();
    app.create_app(
        "投票率報告",
        json!({
            "投票所": {"type": "SINGLE_LINE_TEXT", "code": "投票所", "label": "投票所"},
            "時刻": {"type": "DROP_DOWN", "code": "時刻", "label": "時刻", "options": hours},
            "投票者数": {"type": "NUMBER", "code": "投票者数", "label": "投票者数", "required": true},
            "年代": {"type": "RADIO_BUTTON", "code": "年代", "label": "年代", "defaultValue": "若年", "options": {
                "若年": {"label": "若年", "index": "0"}, "中年": {"label": "中年", "index": "1"}, "高齢": {"label": "高齢", "index": "2"}}},
            "備考": {"type": "MULTI_LINE_TEXT", "code": "備考", "label": "備考"},
            "担当": {"type": "USER_SELECT", "code": "担当", "label": "担当"},
        }),
    )
}

fn settings() -> Value {
    json!({
        "fields": [
            {"code": "時刻", "required": true, "label": {"ja": "報告時刻", "en": "Hour"}},
            {"code": "投票者数", "help": {"ja": "その時刻までの累計"}},
            {"code": "年代"},
            {"code": "備考"},
            {"code": "投票所"},
        ],
        "texts": {"title": {"ja": "投票者数の報告", "en": "Turnout report"}, "done": {"ja": "受け付けました"}},
        "languages": ["ja", "en"],
        "results": {"pivot": {"rows": "_recipient", "columns": "時刻", "value": "投票者数"}},
    })
}

fn create_form(app: &TestApp, app_id: i64) -> (i64, String) {
    let (s, b) = app.post(
        "/api/public-form.json",
        json!({"app": app_id, "name": "投票率報告（12月）", "settings": settings()}),
    );
    assert_eq!(s, 200, "{b}");
    let id: i64 = b["id"].as_str().unwrap().parse().unwrap();
    let slug = b["slug"].as_str().unwrap().to_owned();
    assert_eq!(slug.len(), 22, "{b}");
    assert!(b["url"].as_str().unwrap().ends_with(&format!("/f/{slug}")));
    (id, slug)
}

fn publish(app: &TestApp, id: i64) {
    let (s, b) = app.put(
        "/api/public-form.json",
        json!({"id": id, "state": "published"}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state"], "published");
}

/// Undoes the HTML escaping of an attribute value.
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x3D;", "=")
        .replace("&#x60;", "`")
        .replace("&amp;", "&")
}

/// The value of the hidden input `name` in a page.
fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let at = html.find(&marker)?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let v = tag.find("value=\"")? + 7;
    let end = v + tag[v..].find('"')?;
    Some(unescape(&tag[v..end]))
}

/// Answers a form as a resident would; returns the receipt, or the HTTP status that refused it.
fn answer(
    app: &TestApp,
    slug: &str,
    token: Option<&str>,
    values: &[(&str, &str)],
) -> Result<String, u16> {
    let path = match token {
        Some(t) => format!("/f/{slug}/l/{t}"),
        None => format!("/f/{slug}"),
    };
    let client = kumiki_tests::page_client();
    let mut form: Vec<(String, String)> = values
        .iter()
        .map(|(k, v)| (format!("f.{k}"), (*v).to_owned()))
        .collect();
    form.push(("lang".into(), "ja".into()));
    form.push(("homepage".into(), String::new()));
    let mut confirm = form.clone();
    confirm.push(("step".into(), "confirm".into()));
    let resp = client.post(app.url(&path)).form(&confirm).send().unwrap();
    let status = resp.status().as_u16();
    let html = resp.text().unwrap();
    if status != 200 {
        return Err(status);
    }
    let mut submit = form;
    submit.push(("step".into(), "submit".into()));
    for name in ["files", "sig", "challenge", "pow"] {
        if let Some(v) = hidden(&html, name) {
            submit.push((name.into(), v));
        }
    }
    let resp = client.post(app.url(&path)).form(&submit).send().unwrap();
    let status = resp.status().as_u16();
    if status != 303 {
        return Err(status);
    }
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let receipt = location.split("r=").nth(1).unwrap_or_default();
    Ok(receipt.to_owned())
}

/// Sets the app's rights: everyone views and adds records; `manager` (and Administrator) manage.
fn rights(app: &TestApp, app_id: i64, manager: &str) {
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": app_id, "rights": [
            {"entity": {"type": "USER", "code": manager}, "appEditable": true, "recordViewable": true, "recordAddable": true, "recordEditable": true, "recordDeletable": true, "recordImportable": true, "recordExportable": true},
            {"entity": {"type": "USER", "code": "Administrator"}, "appEditable": true, "recordViewable": true, "recordAddable": true, "recordEditable": true, "recordDeletable": true, "recordImportable": true, "recordExportable": true},
            {"entity": {"type": "USER", "code": "viewer"}, "recordViewable": true, "recordAddable": true},
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(app_id);
}

#[test]
fn staff_create_read_update_and_delete_a_form() {
    let app = TestApp::spawn();
    let app_id = turnout_app(&app);
    let (id, slug) = create_form(&app, app_id);

    let (s, b) = app.get(&format!("/api/public-forms.json?app={app_id}"));
    assert_eq!(s, 200, "{b}");
    let forms = b["forms"].as_array().unwrap();
    assert_eq!(forms.len(), 1, "{b}");
    assert_eq!(forms[0]["slug"], slug.as_str());
    assert_eq!(forms[0]["state"], "draft");
    assert_eq!(forms[0]["answerCount"], "0");

    let (s, b) = app.get(&format!("/api/public-form.json?id={id}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["name"], "投票率報告（12月）");
    assert_eq!(b["settings"]["fields"][0]["code"], "時刻");
    assert_eq!(b["settings"]["fields"][0]["label"]["en"], "Hour");
    assert_eq!(b["settings"]["results"]["pivot"]["value"], "投票者数");
    assert_eq!(b["opensAt"], Value::Null);

    let (s, b) = app.put(
        "/api/public-form.json",
        json!({"id": id, "name": "投票率報告", "opensAt": "2026-12-13T07:00:00+09:00",
               "closesAt": "2026-12-13T20:00:00Z", "maxAnswers": 500, "state": "published"}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["name"], "投票率報告");
    assert_eq!(b["opensAt"], "2026-12-12T22:00:00Z");
    assert_eq!(b["closesAt"], "2026-12-13T20:00:00Z");
    assert_eq!(b["maxAnswers"], "500");
    assert_eq!(b["state"], "published");
    // Settings untouched by a call that does not name them.
    assert_eq!(b["settings"]["fields"].as_array().unwrap().len(), 5);

    // Clearing times and the limit.
    let (s, b) = app.put(
        "/api/public-form.json",
        json!({"id": id, "opensAt": null, "closesAt": "", "maxAnswers": null, "state": "closed"}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["opensAt"], Value::Null);
    assert_eq!(b["closesAt"], Value::Null);
    assert_eq!(b["maxAnswers"], Value::Null);
    assert_eq!(b["state"], "closed");

    let (s, b) = app.delete("/api/public-form.json", json!({"id": id}));
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.get(&format!("/api/public-form.json?id={id}"));
    assert_eq!(s, 404, "{b}");
    let (s, b) = app.get(&format!("/api/public-forms.json?app={app_id}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["forms"], json!([]));
}

#[test]
fn settings_and_parameters_are_validated() {
    let app = TestApp::spawn();
    let app_id = turnout_app(&app);
    let (id, _) = create_form(&app, app_id);
    let bad = |body: Value| {
        let (s, b) = app.put("/api/public-form.json", body.clone());
        assert!((400..500).contains(&s), "{body} → {s} {b}");
        assert!(b["code"].is_string(), "{b}");
        assert!(b["message"].is_string(), "{b}");
        b
    };
    // A field the app does not have, and one of a type a form cannot show.
    bad(json!({"id": id, "settings": {"fields": [{"code": "無い項目"}]}}));
    bad(json!({"id": id, "settings": {"fields": [{"code": "担当"}]}}));
    // A pivot value that is not a number field.
    bad(json!({"id": id, "settings": {"fields": [{"code": "時刻"}],
        "results": {"pivot": {"rows": "_recipient", "columns": "時刻", "value": "備考"}}}}));
    bad(json!({"id": id, "settings": "not an object"}));
    bad(json!({"id": id, "state": "open"}));
    bad(json!({"id": id, "opensAt": "tomorrow"}));
    bad(json!({"id": id, "maxAnswers": 0}));
    bad(json!({"id": id, "name": "  "}));
    let (s, b) = app.post("/api/public-form.json", json!({"app": app_id}));
    assert_eq!(s, 400, "{b}");
    let (s, b) = app.post(
        "/api/public-form.json",
        json!({"app": 999_999, "name": "x"}),
    );
    assert!((400..500).contains(&s), "{b}");
    // Nothing was changed by the refused calls.
    let (_, b) = app.get(&format!("/api/public-form.json?id={id}"));
    assert_eq!(b["settings"]["fields"].as_array().unwrap().len(), 5, "{b}");
    assert_eq!(b["state"], "draft");
}

#[test]
fn a_user_without_manage_reads_but_cannot_change_forms() {
    let app = TestApp::spawn();
    app.user("manager", PW);
    app.user("viewer", PW);
    app.user("outsider", PW);
    let app_id = turnout_app(&app);
    rights(&app, app_id, "manager");
    let manager = as_user(&app, "manager");
    let (s, b) = manager.post(
        "/api/public-form.json",
        json!({"app": app_id, "name": "担当者が作る", "settings": settings()}),
    );
    assert_eq!(s, 200, "{b}");
    let id: i64 = b["id"].as_str().unwrap().parse().unwrap();

    let viewer = as_user(&app, "viewer");
    let (s, b) = viewer.get(&format!("/api/public-forms.json?app={app_id}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["forms"].as_array().unwrap().len(), 1);
    let (s, _) = viewer.get(&format!("/api/public-form/results.json?form={id}"));
    assert_eq!(s, 200);
    for (method, path, body) in [
        (
            "POST",
            "/api/public-form.json",
            json!({"app": app_id, "name": "x"}),
        ),
        (
            "PUT",
            "/api/public-form.json",
            json!({"id": id, "name": "x"}),
        ),
        (
            "PUT",
            "/api/public-form.json",
            json!({"id": id, "state": "published"}),
        ),
        ("DELETE", "/api/public-form.json", json!({"id": id})),
        (
            "POST",
            "/api/public-form/links.json",
            json!({"form": id, "links": [{"recipient": "x"}]}),
        ),
        (
            "DELETE",
            "/api/public-form/links.json",
            json!({"form": id, "ids": [1]}),
        ),
    ] {
        let (s, b) = match method {
            "POST" => viewer.post(path, body),
            "PUT" => viewer.put(path, body),
            _ => viewer.delete(path, body),
        };
        assert!((400..500).contains(&s), "viewer {method} {path}: {s} {b}");
        assert!(b["code"].is_string(), "{b}");
    }
    // Someone who may not even see the app learns nothing of its forms.
    let outsider = as_user(&app, "outsider");
    for path in [
        format!("/api/public-forms.json?app={app_id}"),
        format!("/api/public-form.json?id={id}"),
        format!("/api/public-form/links.json?form={id}"),
        format!("/api/public-form/results.json?form={id}"),
    ] {
        let (s, b) = outsider.get(&path);
        assert!((400..500).contains(&s), "outsider {path}: {s} {b}");
        assert!(!b.to_string().contains("担当者が作る"), "{b}");
    }
    let (_, b) = app.get(&format!("/api/public-form.json?id={id}"));
    assert_eq!(b["name"], "担当者が作る");
    assert_eq!(b["state"], "draft");
}

#[test]
fn links_are_created_listed_and_revoked() {
    let app = TestApp::spawn();
    let app_id = turnout_app(&app);
    let (id, slug) = create_form(&app, app_id);
    let (s, b) = app.post(
        "/api/public-form/links.json",
        json!({"form": id, "links": [
            {"recipient": "第1投票所", "prefill": {"投票所": "第1投票所"}},
            {"recipient": "第2投票所", "prefill": {"投票所": "第2投票所"}, "mode": "editable", "expiresAt": "2030-01-01T00:00:00Z"},
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    let created = b["links"].as_array().unwrap();
    assert_eq!(created.len(), 2);
    let token = created[0]["token"].as_str().unwrap();
    assert_eq!(token.len(), 22);
    assert!(created[0]["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/f/{slug}/l/{token}")));
    assert_eq!(created[0]["mode"], "once");
    assert_eq!(created[1]["mode"], "editable");
    assert_eq!(created[1]["expiresAt"], "2030-01-01T00:00:00Z");

    let (s, b) = app.get(&format!("/api/public-form/links.json?form={id}"));
    assert_eq!(s, 200, "{b}");
    let list = b["links"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list
        .iter()
        .all(|l| l["revoked"] == false && l["answeredAt"].is_null()));
    assert_eq!(list[0]["prefill"]["投票所"], "第1投票所");

    let second = list[1]["id"].clone();
    let (s, b) = app.delete(
        "/api/public-form/links.json",
        json!({"form": id, "ids": [second]}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, b) = app.get(&format!("/api/public-form/links.json?form={id}"));
    let list = b["links"].as_array().unwrap();
    assert_eq!(list[0]["revoked"], false);
    assert_eq!(list[1]["revoked"], true);

    for bad in [
        json!({"form": id, "links": []}),
        json!({"form": id, "links": [{"recipient": ""}]}),
        json!({"form": id, "links": [{"recipient": "x", "mode": "twice"}]}),
        json!({"form": id, "links": [{"recipient": "x", "expiresAt": "soon"}]}),
        json!({"form": id, "links": [{"recipient": "x", "prefill": "投票所"}]}),
    ] {
        let (s, b) = app.post("/api/public-form/links.json", bad.clone());
        assert_eq!(s, 400, "{bad}: {b}");
    }
    let (_, b) = app.get(&format!("/api/public-form/links.json?form={id}"));
    assert_eq!(b["links"].as_array().unwrap().len(), 2);
}

#[test]
fn results_pivot_and_csv_after_answers_through_links() {
    let app = TestApp::spawn();
    app.user("outsider", PW);
    let app_id = turnout_app(&app);
    let (id, slug) = create_form(&app, app_id);
    publish(&app, id);
    let (s, b) = app.post(
        "/api/public-form/links.json",
        json!({"form": id, "links": [
            {"recipient": "第1投票所"}, {"recipient": "第2投票所"}, {"recipient": "第1投票所 10時"},
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    let tokens: Vec<String> = b["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["token"].as_str().unwrap().to_owned())
        .collect();
    let first = answer(
        &app,
        &slug,
        Some(&tokens[0]),
        &[
            ("時刻", "09"),
            ("投票者数", "120"),
            ("年代", "高齢"),
            ("備考", "混雑なし"),
        ],
    )
    .expect("first answer");
    assert!(first.starts_with(&format!("{id}-")), "{first}");
    answer(
        &app,
        &slug,
        Some(&tokens[1]),
        &[("時刻", "09"), ("投票者数", "80"), ("年代", "若年")],
    )
    .expect("second answer");
    answer(
        &app,
        &slug,
        Some(&tokens[2]),
        &[("時刻", "10"), ("投票者数", "45"), ("年代", "高齢")],
    )
    .expect("third answer");
    // The one-time link answers once.
    let again = answer(
        &app,
        &slug,
        Some(&tokens[0]),
        &[("時刻", "10"), ("投票者数", "1")],
    );
    assert!(matches!(again, Err(409) | Err(410)), "{again:?}");

    let (s, r) = app.get(&format!("/api/public-form/results.json?form={id}"));
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["answers"], 3, "{r}");
    let age = r["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["code"] == "年代")
        .unwrap();
    assert_eq!(
        age["counts"],
        json!([["若年", 1], ["中年", 0], ["高齢", 2]]),
        "{age}"
    );
    let voters = r["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["code"] == "投票者数")
        .unwrap();
    assert_eq!(voters["number"]["sum"].as_f64(), Some(245.0), "{voters}");
    let pivot = &r["pivot"];
    assert_eq!(pivot["total"].as_f64(), Some(245.0), "{pivot}");
    let rows: Vec<&str> = pivot["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(rows.len(), 3, "{pivot}");
    let by_hour: i64 = r["by_hour"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_i64().unwrap())
        .sum();
    assert_eq!(by_hour, 3, "{r}");

    // The answers are records of the app.
    let (_, recs) = app.get(&format!("/k/v1/records.json?app={app_id}&totalCount=true"));
    assert_eq!(recs["totalCount"], "3", "{recs}");

    // The links show who answered, with the receipt.
    let (_, b) = app.get(&format!("/api/public-form/links.json?form={id}"));
    let answered = &b["links"][0];
    assert!(answered["answeredAt"].is_string(), "{b}");
    assert_eq!(answered["receipt"], first.as_str());
    assert!(b["links"][1]["answeredAt"].is_string());

    // CSV: UTF-8 with a BOM, one row per answer.
    let resp = app
        .client
        .get(app.url(&format!("/api/public-form/answers.csv?form={id}")))
        .header("X-Cybozu-Authorization", admin_auth())
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let bytes = resp.bytes().unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "no BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.contains(&first), "{text}");
    assert!(text.contains("混雑なし"), "{text}");
    assert!(text.contains("第2投票所"), "{text}");
    assert_eq!(
        text.lines().filter(|l| !l.trim().is_empty()).count(),
        4,
        "{text}"
    );
    // Someone without the app gets kintone's JSON error, not the answers.
    let (s, b) = as_user(&app, "outsider").get(&format!("/api/public-form/answers.csv?form={id}"));
    assert!((400..500).contains(&s), "{s} {b}");
    assert!(!b.to_string().contains("混雑なし"));
    let (s, _) = app
        .with_auth(Auth::None)
        .get(&format!("/api/public-form/answers.csv?form={id}"));
    assert!((400..500).contains(&s));
}

fn admin_auth() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .encode(format!("Administrator:{}", kumiki_tests::ADMIN_PASSWORD))
}

const TEMPLATE_KEYS: [&str; 10] = [
    "event",
    "survey",
    "bulky_waste",
    "staff_training",
    "turnout",
    "facility",
    "consultation",
    "certificate_mail",
    "childcare",
    "disaster_mail",
];

#[test]
fn every_template_creates_its_app_and_form() {
    let app = TestApp::spawn();
    let (s, b) = app.get("/api/public-form/templates.json");
    assert_eq!(s, 200, "{b}");
    let list = b["templates"].as_array().unwrap();
    assert!(list.len() >= 10, "{b}");
    for key in TEMPLATE_KEYS {
        let t = list
            .iter()
            .find(|t| t["key"] == key)
            .unwrap_or_else(|| panic!("{key}: {b}"));
        assert!(t["name"].as_str().is_some_and(|n| !n.is_empty()));
        assert!(t["fields"].as_u64().unwrap() > 0);
    }
    for key in TEMPLATE_KEYS {
        let (s, b) = app.post("/api/public-form/template.json", json!({"template": key}));
        assert_eq!(s, 200, "{key}: {b}");
        let app_id = b["app"].as_str().unwrap();
        let form = b["form"].as_str().unwrap();
        let (s, f) = app.get(&format!("/api/public-form.json?id={form}"));
        assert_eq!(s, 200, "{key}: {f}");
        assert_eq!(f["app"], app_id);
        assert_eq!(f["state"], "draft");
        assert_eq!(f["slug"], b["slug"]);
        let fields = f["settings"]["fields"].as_array().unwrap();
        assert!(!fields.is_empty(), "{key}: {f}");
        assert!(
            f["settings"]["texts"]["title"]["ja"].is_string(),
            "{key}: {f}"
        );
        // The app is live: its fields answer through kintone's API.
        let (s, props) = app.get(&format!("/k/v1/app/form/fields.json?app={app_id}"));
        assert_eq!(s, 200, "{key}: {props}");
        for field in fields {
            let code = field["code"].as_str().unwrap();
            assert!(
                props["properties"][code].is_object(),
                "{key}: {code} missing"
            );
        }
    }
    let (s, b) = app.post(
        "/api/public-form/template.json",
        json!({"template": "turnout", "name": "参議院選挙 投票率報告"}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, a) = app.get(&format!("/k/v1/app.json?id={}", b["app"].as_str().unwrap()));
    assert_eq!(a["name"], "参議院選挙 投票率報告", "{a}");
    let (s, b) = app.post(
        "/api/public-form/template.json",
        json!({"template": "no_such_template"}),
    );
    assert!((400..500).contains(&s), "{b}");
}

#[test]
fn the_staff_pages_show_forms_links_results_and_templates() {
    let app = TestApp::spawn();
    app.user("viewer", PW);
    app.user("manager", PW);
    let app_id = turnout_app(&app);
    rights(&app, app_id, "manager");
    let (id, slug) = create_form(&app, app_id);
    publish(&app, id);
    let (_, b) = app.post(
        "/api/public-form/links.json",
        json!({"form": id, "links": [{"recipient": "第1投票所"}, {"recipient": "第2投票所"}]}),
    );
    let token = b["links"][0]["token"].as_str().unwrap().to_owned();
    answer(
        &app,
        &slug,
        Some(&token),
        &[
            ("時刻", "09"),
            ("投票者数", "120"),
            ("年代", "高齢"),
            ("備考", "<b>太字</b>"),
        ],
    )
    .expect("answer");

    let admin = app.sign_in_form("Administrator", kumiki_tests::ADMIN_PASSWORD);
    let (s, html) = app.page(&admin, &format!("/apps/{app_id}/forms"));
    assert_eq!(s, 200);
    assert!(html.contains("投票率報告（12月）") && html.contains(&format!("/f/{slug}")));
    assert!(html.contains(&format!("/forms/{id}/edit")));
    let (s, html) = app.page(&admin, &format!("/apps/{app_id}"));
    assert_eq!(s, 200);
    assert!(
        html.contains(&format!("/apps/{app_id}/forms")),
        "records page links the forms"
    );
    for page in ["edit", "links"] {
        let (s, html) = app.page(&admin, &format!("/forms/{id}/{page}"));
        assert_eq!(s, 200, "{page}");
        assert!(html.contains("pf_staff.js"), "{page}");
    }
    let (s, html) = app.page(&admin, &format!("/forms/{id}/results"));
    assert_eq!(s, 200);
    assert!(html.contains("<svg"), "a chart");
    assert!(html.contains("data-testid=\"pf-pivot-table\""), "the pivot");
    assert!(html.contains("http-equiv=\"refresh\" content=\"30\""));
    assert!(
        html.contains("&lt;b&gt;太字&lt;/b&gt;"),
        "free text escaped"
    );
    assert!(!html.contains("<b>太字</b>"));
    let (s, part) = app.page(&admin, &format!("/forms/{id}/results?part=results"));
    assert_eq!(s, 200);
    assert!(part.contains("pf-pivot-table") && !part.contains("<html"));
    let (s, html) = app.page(&admin, "/forms/templates");
    assert_eq!(s, 200);
    for key in TEMPLATE_KEYS {
        assert!(html.contains(&format!("pf-template-use-{key}")), "{key}");
    }
    let (_, html) = app.page(&admin, "/");
    assert!(
        html.contains("/forms/templates"),
        "the portal links the gallery"
    );

    // A viewer reads the list and the results; the editor and links are not theirs.
    let viewer = app.sign_in_form("viewer", PW);
    let (s, html) = app.page(&viewer, &format!("/apps/{app_id}/forms"));
    assert_eq!(s, 200);
    assert!(!html.contains(&format!("/forms/{id}/edit")));
    let (s, _) = app.page(&viewer, &format!("/forms/{id}/results"));
    assert_eq!(s, 200);
    for page in ["edit", "links"] {
        let (s, _) = app.page(&viewer, &format!("/forms/{id}/{page}"));
        assert_eq!(s, 404, "{page}");
    }
    let manager = app.sign_in_form("manager", PW);
    let (s, _) = app.page(&manager, &format!("/forms/{id}/edit"));
    assert_eq!(s, 200);
    // Missing and malformed ids are simply not found; signed out goes to the sign-in page.
    for path in [
        "/forms/999999/results",
        "/forms/abc/edit",
        "/apps/999999/forms",
    ] {
        let (s, _) = app.page(&admin, path);
        assert_eq!(s, 404, "{path}");
    }
    let (s, _) = app.page("", &format!("/forms/{id}/results"));
    assert_eq!(s, 303);
}
