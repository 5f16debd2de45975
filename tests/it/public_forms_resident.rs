//! Issue 15, the residents' side of public forms: a resident fills, confirms and submits a form
//! without signing in, and every kind of bad input gets its status and a Japanese message on the
//! page with nothing half-saved. The forms are set up through the engine (as the CLI would); the
//! residents' requests go to the real server over HTTP, as a browser without JavaScript sends them.

use kumiki_engine::acting::{ActingContext, Channel};
use kumiki_engine::apps::AppId;
use kumiki_engine::db::Database;
use kumiki_engine::public_forms::{self as pf, Form, FormSettings, FormUpdate, NewLink};
use kumiki_tests::{page_client, TestApp};
use reqwest::blocking::multipart;
use scraper::{Html, Selector};
use serde_json::{json, Value};

/// The app behind the forms: what residents answer.
fn fields() -> Value {
    json!({
        "氏名": {"type": "SINGLE_LINE_TEXT", "code": "氏名", "label": "氏名", "required": true, "maxLength": "20"},
        "人数": {"type": "NUMBER", "code": "人数", "label": "人数"},
        "メール": {"type": "LINK", "code": "メール", "label": "メール", "protocol": "MAIL"},
        "種別": {"type": "RADIO_BUTTON", "code": "種別", "label": "種別", "options": {
            "一般": {"label": "一般", "index": "0"}, "学生": {"label": "学生", "index": "1"}}},
        "添付": {"type": "FILE", "code": "添付", "label": "添付"},
        "備考": {"type": "MULTI_LINE_TEXT", "code": "備考", "label": "備考"},
        "内部メモ": {"type": "SINGLE_LINE_TEXT", "code": "内部メモ", "label": "内部メモ"}
    })
}

fn db(app: &TestApp) -> Database {
    Database::connect(&app.database_url, 1).unwrap()
}

fn system() -> ActingContext {
    ActingContext::system(Channel::Cli, chrono_tz::Asia::Tokyo)
}

/// A published form over a new app, with `extra` merged into its settings.
fn published_form(app: &TestApp, extra: Value) -> (i64, Form) {
    let app_id = app.create_app("講座申込", fields());
    let mut settings = json!({
        "fields": [
            {"code": "氏名", "label": {"ja": "お名前", "en": "Name", "easy": "なまえ"}},
            {"code": "人数", "required": true},
            {"code": "メール"},
            {"code": "種別"},
            {"code": "添付"},
            {"code": "備考"}
        ],
        "texts": {"title": {"ja": "市民講座の申込", "en": "Course sign-up"},
                  "done": {"ja": "お申し込みを受け付けました。"}},
        "languages": ["ja", "en", "easy"],
        "files": {"max_bytes": 2048, "types": ["image/png", "application/pdf"]}
    });
    if let (Some(s), Value::Object(extra)) = (settings.as_object_mut(), extra) {
        s.extend(extra);
    }
    let settings: FormSettings = serde_json::from_value(settings).unwrap();
    let db = db(app);
    let mut conn = db.conn().unwrap();
    let form = pf::create_form(&mut conn, &system(), AppId(app_id), "講座申込", settings).unwrap();
    let form = pf::update_form(
        &mut conn,
        &system(),
        form.id,
        FormUpdate {
            state: Some(pf::PUBLISHED.into()),
            ..FormUpdate::default()
        },
    )
    .unwrap();
    (app_id, form)
}

fn record_count(app: &TestApp, app_id: i64) -> i64 {
    let (s, b) = app.get(&format!("/k/v1/records.json?app={app_id}&totalCount=true"));
    assert_eq!(s, 200, "{b}");
    b["totalCount"].as_str().unwrap().parse().unwrap()
}

/// A response's status, headers and body.
struct Page {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Page {
    fn of(resp: reqwest::blocking::Response) -> Page {
        Page {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            body: resp.text().unwrap(),
        }
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Every `<input type=hidden>` of the page, in order.
    fn hidden(&self) -> Vec<(String, String)> {
        let html = Html::parse_document(&self.body);
        let sel = Selector::parse("input[type=hidden]").unwrap();
        html.select(&sel)
            .map(|e| {
                (
                    e.value().attr("name").unwrap_or("").to_owned(),
                    e.value().attr("value").unwrap_or("").to_owned(),
                )
            })
            .collect()
    }

    /// The text of the elements matching `css`.
    fn texts(&self, css: &str) -> Vec<String> {
        let html = Html::parse_document(&self.body);
        let sel = Selector::parse(css).unwrap();
        html.select(&sel)
            .map(|e| e.text().collect::<String>().trim().to_owned())
            .collect()
    }

    /// The value attribute of the element matching `css`.
    fn attr(&self, css: &str, name: &str) -> Option<String> {
        let html = Html::parse_document(&self.body);
        let sel = Selector::parse(css).unwrap();
        html.select(&sel)
            .next()
            .and_then(|e| e.value().attr(name).map(str::to_owned))
    }
}

fn get(app: &TestApp, path: &str) -> Page {
    Page::of(page_client().get(app.url(path)).send().unwrap())
}

/// A multipart post of the form page: the hidden inputs of `page`, then `values`, then files.
fn post_form(
    app: &TestApp,
    path: &str,
    page: &Page,
    values: &[(&str, &str)],
    files: Vec<(&str, &str, &str, Vec<u8>)>,
) -> Page {
    // Field names in raw UTF-8, as browsers send them.
    let mut form = multipart::Form::new().percent_encode_noop();
    for (name, value) in page.hidden() {
        form = form.text(name, value);
    }
    for (name, value) in values {
        form = form.text(name.to_string(), value.to_string());
    }
    for (field, name, mime, bytes) in files {
        let part = multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(mime)
            .unwrap();
        form = form.part(format!("file.{field}"), part);
    }
    Page::of(
        page_client()
            .post(app.url(path))
            .header("Origin", app.base_url.clone())
            .multipart(form)
            .send()
            .unwrap(),
    )
}

/// An url-encoded post (the confirmation page's), with `step` set.
fn post_pairs(app: &TestApp, path: &str, pairs: &[(String, String)], step: &str) -> Page {
    let mut pairs = pairs.to_vec();
    pairs.retain(|(n, _)| n != "step");
    pairs.push(("step".into(), step.into()));
    Page::of(
        page_client()
            .post(app.url(path))
            .header("Origin", app.base_url.clone())
            .form(&pairs)
            .send()
            .unwrap(),
    )
}

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

fn good_values() -> Vec<(&'static str, &'static str)> {
    vec![
        ("f.氏名", "山田 花子"),
        ("f.人数", "２"),
        ("f.メール", "hanako@example.jp"),
        ("f.種別", "学生"),
        ("f.備考", "車いすで参加します。\r\n駐車場を使います。"),
        ("step", "confirm"),
    ]
}

#[test]
fn a_resident_fills_confirms_and_submits_and_gets_a_receipt() {
    let app = TestApp::spawn();
    let (app_id, form) = published_form(&app, json!({}));
    let path = format!("/f/{}", form.slug);

    let page = get(&app, &path);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("市民講座の申込"));
    assert!(page.body.contains("お名前"), "the form's label");
    assert!(
        !page.body.contains("内部メモ"),
        "a field not on the form is not shown"
    );
    assert!(page
        .header("content-security-policy")
        .contains("default-src 'self'"));
    assert_eq!(page.header("x-frame-options"), "DENY");
    assert_eq!(page.header("referrer-policy"), "no-referrer");
    assert_eq!(page.header("cache-control"), "no-store");
    assert!(
        page.headers.get("set-cookie").is_none(),
        "no cookies for residents"
    );
    assert!(!page.body.contains("<script>"), "no inline script");

    let confirm = post_form(
        &app,
        &path,
        &page,
        &good_values(),
        vec![("添付", "map.png", "image/png", PNG.to_vec())],
    );
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let review = confirm.texts(".pf-row dd");
    assert!(review.iter().any(|t| t == "山田 花子"), "{review:?}");
    assert!(review.iter().any(|t| t.contains("map.png")), "{review:?}");
    assert_eq!(
        record_count(&app, app_id),
        0,
        "nothing saved before the submit"
    );

    // Back keeps everything, the file included.
    let back = post_pairs(&app, &path, &confirm.hidden(), "back");
    assert_eq!(back.status, 200);
    assert_eq!(
        back.attr("input[name='f.氏名']", "value").as_deref(),
        Some("山田 花子")
    );
    assert!(
        back.body.contains("map.png"),
        "the uploaded file is still attached"
    );

    let done = post_pairs(&app, &path, &confirm.hidden(), "submit");
    assert_eq!(done.status, 303, "{}", done.body);
    let location = done.header("location").to_owned();
    assert!(
        location.starts_with(&format!("/f/{}/done?r={}-", form.slug, form.id)),
        "{location}"
    );
    let receipt = location.split("r=").nth(1).unwrap().to_owned();
    let done = get(&app, &location);
    assert_eq!(done.status, 200);
    assert_eq!(
        done.texts("[data-testid=pf-receipt]"),
        vec![receipt.clone()]
    );
    assert!(done.body.contains("お申し込みを受け付けました。"));
    assert!(
        !done.body.contains("山田"),
        "the done page shows nothing of the answer"
    );

    let (s, b) = app.get(&format!("/k/v1/records.json?app={app_id}"));
    assert_eq!(s, 200);
    let records = b["records"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r["氏名"]["value"], "山田 花子");
    assert_eq!(r["人数"]["value"], "2");
    assert_eq!(r["種別"]["value"], "学生");
    assert_eq!(r["添付"]["value"][0]["name"], "map.png");
    assert_eq!(r["Created_by"]["value"]["code"], pf::PUBLIC_FORM_USER);

    // A receipt of another form, or none, is not echoed.
    assert_eq!(
        get(&app, &format!("/f/{}/done?r=<b>x</b>", form.slug)).status,
        404
    );
    assert_eq!(
        get(&app, &format!("/f/{}/done?r=999-000001-AAAA", form.slug)).status,
        404
    );
}

#[test]
fn invalid_input_is_422_with_the_message_beside_the_field_and_the_typing_kept() {
    let app = TestApp::spawn();
    let (app_id, form) = published_form(&app, json!({}));
    let path = format!("/f/{}", form.slug);
    let page = get(&app, &path);
    let resp = post_form(
        &app,
        &path,
        &page,
        &[
            ("f.氏名", ""),
            ("f.人数", "たくさん"),
            ("f.メール", "hanako@"),
            ("f.備考", "覚えておいてほしい文"),
            ("step", "confirm"),
        ],
        vec![],
    );
    assert_eq!(resp.status, 422, "{}", resp.body);
    // The summary on top, linking to each field.
    let summary = resp.texts("[data-testid=pf-summary] li");
    assert_eq!(summary.len(), 3, "{summary:?}");
    assert!(resp.body.contains("入力内容に 3 件の誤りがあります。"));
    // Each message beside its field, tied to it for screen readers.
    let errors = resp.texts(".pf-error");
    assert!(errors.contains(&"必須項目です。".to_owned()), "{errors:?}");
    assert!(
        errors.contains(&"数値を入力してください。".to_owned()),
        "{errors:?}"
    );
    assert!(
        errors.contains(&"メールアドレスの形式が正しくありません。".to_owned()),
        "{errors:?}"
    );
    let described = resp
        .attr("input[name='f.人数']", "aria-describedby")
        .unwrap();
    assert!(described.contains("error"), "{described}");
    assert_eq!(
        resp.attr("input[name='f.人数']", "aria-invalid").as_deref(),
        Some("true")
    );
    // What was typed stays.
    assert_eq!(
        resp.attr("input[name='f.人数']", "value").as_deref(),
        Some("たくさん")
    );
    assert_eq!(
        resp.attr("input[name='f.メール']", "value").as_deref(),
        Some("hanako@")
    );
    assert_eq!(
        resp.texts("textarea[name='f.備考']"),
        vec!["覚えておいてほしい文".to_owned()]
    );

    // Too long, in English and in easy Japanese.
    let long = "あ".repeat(21);
    let mut values = good_values();
    values[0] = ("f.氏名", &long);
    let english = get(&app, &format!("{path}?lang=en"));
    assert!(english.body.contains("Course sign-up"));
    let resp = post_form(&app, &path, &english, &values, vec![]);
    assert_eq!(resp.status, 422, "{}", resp.body);
    assert!(
        resp.body.contains("<html lang=\"en\">"),
        "the page stays in English"
    );
    assert_eq!(
        resp.attr("input[name='f.氏名']", "value").as_deref(),
        Some(long.as_str())
    );
    let easy = get(&app, &format!("{path}?lang=easy"));
    assert!(easy.body.contains("なまえ"), "the easy-Japanese label");
    let mut values = good_values();
    values[0] = ("f.氏名", "");
    let resp = post_form(&app, &path, &easy, &values, vec![]);
    assert_eq!(resp.status, 422);
    assert!(resp
        .texts(".pf-error")
        .contains(&"かならず かいて ください。".to_owned()));

    // Forged values on the confirmation page are checked again at the submit.
    let resp = post_pairs(
        &app,
        &path,
        &[
            ("f.氏名".into(), "x".into()),
            ("f.人数".into(), "1".into()),
            ("f.種別".into(), "存在しない".into()),
        ],
        "submit",
    );
    assert_eq!(resp.status, 422, "{}", resp.body);
    assert!(resp
        .texts(".pf-error")
        .contains(&"選択肢から選んでください。".to_owned()));
    assert_eq!(record_count(&app, app_id), 0, "nothing half-saved");
}

#[test]
fn files_of_a_wrong_type_or_too_large_are_refused_beside_the_field() {
    let app = TestApp::spawn();
    let (app_id, form) = published_form(&app, json!({}));
    let path = format!("/f/{}", form.slug);
    let page = get(&app, &path);
    let resp = post_form(
        &app,
        &path,
        &page,
        &good_values(),
        vec![(
            "添付",
            "run.html",
            "text/html",
            b"<script>x</script>".to_vec(),
        )],
    );
    assert_eq!(resp.status, 422, "{}", resp.body);
    assert!(
        resp.texts(".pf-error")
            .iter()
            .any(|e| e.starts_with("この種類のファイルは送れません")),
        "{}",
        resp.body
    );
    // Typing kept beside the refused file.
    assert_eq!(
        resp.attr("input[name='f.氏名']", "value").as_deref(),
        Some("山田 花子")
    );

    // A PNG whose bytes are not a PNG is refused too.
    let resp = post_form(
        &app,
        &path,
        &page,
        &good_values(),
        vec![("添付", "x.png", "image/png", b"MZ not an image".to_vec())],
    );
    assert_eq!(resp.status, 422);

    let mut big = PNG.to_vec();
    big.resize(4096, 0);
    let resp = post_form(
        &app,
        &path,
        &page,
        &good_values(),
        vec![("添付", "big.png", "image/png", big)],
    );
    assert_eq!(resp.status, 422, "{}", resp.body);
    assert!(
        resp.texts(".pf-error")
            .iter()
            .any(|e| e.contains("ファイルが大きすぎます")),
        "{}",
        resp.body
    );
    // A body far past every cap is refused before it is read.
    let huge = vec![0u8; 4 * 1024 * 1024];
    let resp = post_form(
        &app,
        &path,
        &page,
        &good_values(),
        vec![("添付", "huge.png", "image/png", huge)],
    );
    assert_eq!(resp.status, 413);
    assert!(resp.body.contains("送信内容が大きすぎます"));
    assert_eq!(record_count(&app, app_id), 0);
}

#[test]
fn honeypot_forged_signature_and_malformed_posts_are_refused() {
    let app = TestApp::spawn();
    let (app_id, form) = published_form(&app, json!({}));
    let path = format!("/f/{}", form.slug);
    let page = get(&app, &path);

    let mut values = good_values();
    values.push(("homepage", "http://spam.example"));
    let resp = post_form(&app, &path, &page, &values, vec![]);
    assert_eq!(resp.status, 403);
    assert!(resp.body.contains("送信できませんでした"));

    // Someone else's file key under a made-up signature.
    let other = app.upload("secret.pdf", "application/pdf", b"%PDF-1.4 secret".to_vec());
    let files = json!({"添付": [{"fileKey": other, "name": "secret.pdf", "size": 15}]}).to_string();
    let mut pairs: Vec<(String, String)> = good_values()
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    pairs.push(("files".into(), files.clone()));
    pairs.push(("sig".into(), "00".repeat(32)));
    let resp = post_pairs(&app, &path, &pairs, "submit");
    assert_eq!(resp.status, 400, "{}", resp.body);
    assert!(resp.body.contains("送信内容が正しくありません"));
    // A signature of this form's does not cover other files either.
    let sig = page.attr("input[name=sig]", "value").unwrap();
    pairs.pop();
    pairs.push(("sig".into(), sig));
    assert_eq!(post_pairs(&app, &path, &pairs, "submit").status, 400);

    // No step, or not a form post.
    assert_eq!(post_pairs(&app, &path, &[], "nonsense").status, 400);
    let resp = page_client()
        .post(app.url(&path))
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    // The pages send no referrer, so browsers post `Origin: null`: that is no refusal here (the
    // forms read no cookie; another site's post can do nothing a resident could not).
    let resp = post_form(&app, &path, &page, &good_values(), vec![]);
    assert_eq!(resp.status, 200);
    let resp = page_client()
        .post(app.url(&path))
        .header("Origin", "null")
        .form(&[("f.氏名", "x"), ("step", "back")])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(record_count(&app, app_id), 0);
}

#[test]
fn unknown_closed_and_full_forms() {
    let app = TestApp::spawn();
    assert_eq!(get(&app, "/f/no-such-form").status, 404);
    let (app_id, form) = published_form(&app, json!({}));
    let path = format!("/f/{}", form.slug);
    let page = get(&app, &path);
    let db = db(&app);
    let mut conn = db.conn().unwrap();
    pf::update_form(
        &mut conn,
        &system(),
        form.id,
        FormUpdate {
            state: Some(pf::CLOSED.into()),
            ..FormUpdate::default()
        },
    )
    .unwrap();
    let closed = get(&app, &path);
    assert_eq!(closed.status, 410);
    assert!(closed.body.contains("このフォームは受付を終了しました"));
    assert_eq!(
        post_form(&app, &path, &page, &good_values(), vec![]).status,
        410
    );

    // A form that fills up between the confirmation and the submit.
    pf::update_form(
        &mut conn,
        &system(),
        form.id,
        FormUpdate {
            state: Some(pf::PUBLISHED.into()),
            max_answers: Some(Some(1)),
            ..FormUpdate::default()
        },
    )
    .unwrap();
    let page = get(&app, &path);
    let confirm = post_form(&app, &path, &page, &good_values(), vec![]);
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let confirm2 = post_form(&app, &path, &page, &good_values(), vec![]);
    assert_eq!(
        post_pairs(&app, &path, &confirm.hidden(), "submit").status,
        303
    );
    let late = post_pairs(&app, &path, &confirm2.hidden(), "submit");
    assert_eq!(late.status, 410);
    assert_eq!(record_count(&app, app_id), 1, "no answer past the maximum");
}

#[test]
fn a_one_time_link_answers_once_with_its_prefill() {
    let app = TestApp::spawn();
    let (app_id, form) = published_form(&app, json!({}));
    let db = db(&app);
    let mut conn = db.conn().unwrap();
    let mut prefill = serde_json::Map::new();
    prefill.insert("備考".into(), json!("第3投票所"));
    let links = pf::create_links(
        &mut conn,
        &system(),
        form.id,
        &[NewLink {
            recipient: "第3投票所".into(),
            prefill,
            mode: pf::ONCE.into(),
            expires_at: None,
        }],
    )
    .unwrap();
    let path = format!("/f/{}/l/{}", form.slug, links[0].token);
    let page = get(&app, &path);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.texts("[data-testid=pf-recipient]")[0].contains("第3投票所"));
    assert!(
        page.body.contains("readonly"),
        "the prefilled field is read-only"
    );
    let mut values = good_values();
    values[4] = ("f.備考", "書き換えた");
    let confirm = post_form(&app, &path, &page, &values, vec![]);
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let done = post_pairs(&app, &path, &confirm.hidden(), "submit");
    assert_eq!(done.status, 303, "{}", done.body);
    let (_, b) = app.get(&format!("/k/v1/records.json?app={app_id}"));
    assert_eq!(
        b["records"][0]["備考"]["value"], "第3投票所",
        "the link's value wins"
    );

    let again = get(&app, &path);
    assert_eq!(again.status, 409);
    assert!(again.body.contains("このリンクからは回答済みです"));
    assert_eq!(
        post_pairs(&app, &path, &confirm.hidden(), "submit").status,
        409
    );
    assert_eq!(
        get(&app, &format!("/f/{}/l/not-a-token", form.slug)).status,
        404
    );
    assert_eq!(record_count(&app, app_id), 1);
}

#[test]
fn a_flood_is_rate_limited() {
    let app = TestApp::spawn();
    let (app_id, form) = published_form(
        &app,
        json!({"limits": {"per_address_per_minute": 3, "per_form_per_minute": 100}}),
    );
    let path = format!("/f/{}", form.slug);
    let page = get(&app, &path);
    // The limits count per clock minute: start well inside one.
    let second = chrono::Utc::now().timestamp() % 60;
    if second >= 50 {
        std::thread::sleep(std::time::Duration::from_secs((61 - second) as u64));
    }
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(post_form(&app, &path, &page, &good_values(), vec![]).status);
    }
    assert_eq!(statuses, vec![200, 200, 200, 429, 429]);
    let limited = post_form(&app, &path, &page, &good_values(), vec![]);
    assert!(limited.body.contains("送信が集中しています"));
    assert_eq!(record_count(&app, app_id), 0);
}

#[test]
fn proof_of_work_is_checked_and_spent_once() {
    use sha2::{Digest, Sha256};
    let app = TestApp::spawn();
    let (app_id, form) = published_form(&app, json!({"pow": {"enabled": true, "bits": 8}}));
    let path = format!("/f/{}", form.slug);
    let page = get(&app, &path);
    let challenge = page.attr("input[name=challenge]", "value").unwrap();
    // Without the work: 403, the form again with the typing.
    let resp = post_form(&app, &path, &page, &good_values(), vec![]);
    assert_eq!(resp.status, 403, "{}", resp.body);
    assert_eq!(
        resp.attr("input[name='f.氏名']", "value").as_deref(),
        Some("山田 花子")
    );
    let answer = (0u64..)
        .find(|n| {
            let d = Sha256::digest(format!("{challenge}:{n}").as_bytes());
            d[0] == 0
        })
        .unwrap()
        .to_string();
    let mut solved = page;
    solved.body = solved.body.replace(
        "name=\"pow\" value=\"\"",
        &format!("name=\"pow\" value=\"{answer}\""),
    );
    let confirm = post_form(&app, &path, &solved, &good_values(), vec![]);
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert_eq!(
        post_pairs(&app, &path, &confirm.hidden(), "submit").status,
        303
    );
    // The same work again is refused.
    assert_eq!(
        post_pairs(&app, &path, &confirm.hidden(), "submit").status,
        403
    );
    assert_eq!(record_count(&app, app_id), 1);
}

#[test]
fn assets_are_served_and_the_form_pages_work_without_a_session() {
    let app = TestApp::spawn();
    let js = page_client()
        .get(app.url("/f-assets/pf_form.js"))
        .send()
        .unwrap();
    assert_eq!(js.status().as_u16(), 200);
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert_eq!(get(&app, "/f-assets/app.css").status, 404);
    assert_eq!(get(&app, "/f-assets/pf_form.js.map").status, 404);
}

#[test]
fn a_resident_gets_a_copy_by_mail_when_they_ask_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let sink = crate::mail::Sink::start_on(crate::mail::free_port(), dir.path(), 0.0);
    let smtp = sink.port;
    let app = TestApp::spawn_with(move |s| {
        s.smtp_url = Some(format!("smtp://127.0.0.1:{smtp}"));
        s.smtp_from = Some(crate::mail::FROM.into());
        s.smtp_timeout = std::time::Duration::from_secs(2);
    });
    let (_, form) = published_form(&app, json!({"email_copy_field": "メール"}));
    let path = format!("/f/{}", form.slug);
    let page = get(&app, &path);
    assert!(page.body.contains("name=\"copy\""), "the copy is offered");
    let mut values = good_values();
    values.push(("copy", "1"));
    let confirm = post_form(&app, &path, &page, &values, vec![]);
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(confirm.body.contains("控えの送り先：hanako@example.jp"));
    let done = post_pairs(&app, &path, &confirm.hidden(), "submit");
    assert_eq!(done.status, 303);
    let receipt = done
        .header("location")
        .split("r=")
        .nth(1)
        .unwrap()
        .to_owned();
    let mails = sink.wait_until("the copy", std::time::Duration::from_secs(30), |m| {
        !m.is_empty()
    });
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["rcpt"], json!(["hanako@example.jp"]));
    assert!(mails[0]["subject"].as_str().unwrap().contains(&receipt));
    assert!(mails[0]["body"].as_str().unwrap().contains("山田 花子"));
    assert!(mails[0]["messageId"]
        .as_str()
        .unwrap()
        .starts_with("<kumiki-pf-copy-"));

    // Without the tick, no mail.
    let page = get(&app, &path);
    let confirm = post_form(&app, &path, &page, &good_values(), vec![]);
    assert!(!confirm.body.contains("控えの送り先"));
    assert_eq!(
        post_pairs(&app, &path, &confirm.hidden(), "submit").status,
        303
    );
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_eq!(sink.messages().len(), 1);
}

#[test]
fn without_smtp_no_copy_is_offered() {
    let app = TestApp::spawn();
    let (_, form) = published_form(&app, json!({"email_copy_field": "メール"}));
    let page = get(&app, &format!("/f/{}", form.slug));
    assert!(!page.body.contains("name=\"copy\""));
}
