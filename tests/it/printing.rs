//! Printing (issue 16, item 5): the print view of a record (`/apps/{app}/records/{rid}/print`) and of
//! a list (`/apps/{app}/print?view=&query=`) show what the user may see and nothing else (a field
//! hidden by field rights is absent, a record hidden by record rights is not found), have no site
//! navigation, and answer a wrong query with a readable message instead of a 500.

use kumiki_tests::{url_encode, TestApp, ADMIN_PASSWORD};
use serde_json::{json, Value};

const PW: &str = "printing-pw-1";

fn fields() -> Value {
    json!({
        "文書番号": {"type": "SINGLE_LINE_TEXT", "code": "文書番号", "label": "文書番号"},
        "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"},
        "金額": {"type": "NUMBER", "code": "金額", "label": "金額"},
        "受付日": {"type": "DATE", "code": "受付日", "label": "受付日"},
        "区分": {"type": "DROP_DOWN", "code": "区分", "label": "区分", "options": {
            "相談": {"label": "相談", "index": "0"}, "申請": {"label": "申請", "index": "1"}}},
        "明細": {"type": "SUBTABLE", "code": "明細", "label": "明細", "fields": {
            "品名": {"type": "SINGLE_LINE_TEXT", "code": "品名", "label": "品名"},
            "数量": {"type": "NUMBER", "code": "数量", "label": "数量"}}},
    })
}

/// 収受簿 with two records: 1 (申請, two subtable rows, a value with HTML), 2 (相談).
pub fn ledger(app: &TestApp) -> (i64, i64, i64) {
    let id = app.create_app("収受簿", fields());
    let rows = json!([
        {"value": {"品名": {"value": "机"}, "数量": {"value": "2"}}},
        {"value": {"品名": {"value": "椅子"}, "数量": {"value": "4"}}},
    ]);
    let first = app.add_record(
        id,
        json!({"文書番号": {"value": "K-001"}, "件名": {"value": "<b>備品</b>購入"},
               "金額": {"value": "98765"}, "受付日": {"value": "2026-04-01"},
               "区分": {"value": "申請"}, "明細": {"value": rows}}),
    );
    let second = app.add_record(
        id,
        json!({"文書番号": {"value": "K-002"}, "件名": {"value": "相談記録"},
               "金額": {"value": "3"}, "区分": {"value": "相談"}}),
    );
    (id, first, second)
}

/// staff may view only 相談 records and never 金額.
pub fn restrict_staff(app: &TestApp, id: i64) {
    app.user("staff", PW);
    let user = |code: &str| json!({"type": "USER", "code": code});
    let (s, b) = app.put(
        "/k/v1/preview/record/acl.json",
        json!({"app": id, "rights": [
            {"filterCond": "区分 in (\"相談\")", "entities": [{"entity": user("staff"), "viewable": true},
                {"entity": user("Administrator"), "viewable": true, "editable": true, "deletable": true}]},
            {"filterCond": "", "entities": [{"entity": user("Administrator"), "viewable": true, "editable": true, "deletable": true}]},
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/k/v1/preview/field/acl.json",
        json!({"app": id, "rights": [{"code": "金額", "entities": [
            {"accessibility": "NONE", "entity": user("staff")},
            {"accessibility": "WRITE", "entity": user("Administrator")}]}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
}

#[test]
fn a_record_prints_every_field_with_its_subtable_and_no_navigation() {
    let app = TestApp::spawn();
    let (id, first, _) = ledger(&app);
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let (s, html) = app.page(&session, &format!("/apps/{id}/records/{first}/print"));
    assert_eq!(s, 200, "{html}");
    for text in [
        "K-001",
        "98765",
        "2026-04-01",
        "申請",
        "机",
        "椅子",
        "品名",
        "数量",
    ] {
        assert!(html.contains(text), "{text} missing: {html}");
    }
    // Escaped, never raw HTML from a value.
    assert!(html.contains("&lt;b&gt;備品&lt;/b&gt;購入"), "{html}");
    assert!(!html.contains("<b>備品"), "{html}");
    // A4 print CSS, the print button by script, no site navigation.
    assert!(html.contains("/static/print.css") && html.contains("/static/print.js"));
    assert!(html.contains("data-testid=\"print-now\""));
    assert!(!html.contains("class=\"topnav\""), "{html}");
    assert!(html.contains("<thead>"), "subtable header: {html}");
    let (s, css) = app.page(&session, "/static/print.css");
    assert_eq!(s, 200);
    assert!(css.contains("size: A4") && css.contains("Noto Sans CJK JP"));
    assert!(css.contains("table-header-group") && css.contains("break-inside: avoid"));
    // The record page links its print.
    let (_, page) = app.page(&session, &format!("/apps/{id}/records/{first}"));
    assert!(
        page.contains(&format!("/apps/{id}/records/{first}/print")),
        "{page}"
    );
    let (_, list) = app.page(&session, &format!("/apps/{id}"));
    assert!(list.contains(&format!("/apps/{id}/print")), "{list}");
}

#[test]
fn a_list_prints_its_records_and_a_query_narrows_it() {
    let app = TestApp::spawn();
    let (id, _, _) = ledger(&app);
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let (s, html) = app.page(&session, &format!("/apps/{id}/print"));
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("K-001") && html.contains("K-002"), "{html}");
    assert!(html.contains("data-testid=\"print-list\""));
    assert!(!html.contains("print-truncated"));
    let q = url_encode("区分 in (\"相談\")");
    let (s, html) = app.page(&session, &format!("/apps/{id}/print?query={q}"));
    assert_eq!(s, 200, "{html}");
    assert!(!html.contains("K-001") && html.contains("K-002"), "{html}");
    // A broken query: a readable Japanese message, not a 500.
    let q = url_encode("件名 like");
    let (s, html) = app.page(&session, &format!("/apps/{id}/print?query={q}"));
    assert_eq!(s, 400, "{html}");
    assert!(html.contains("data-testid=\"print-error\""), "{html}");
}

#[test]
fn prints_show_only_what_the_user_may_see() {
    let app = TestApp::spawn();
    let (id, first, second) = ledger(&app);
    restrict_staff(&app, id);
    let staff = app.sign_in_form("staff", PW);
    // The record staff may view: printed without 金額.
    let (s, html) = app.page(&staff, &format!("/apps/{id}/records/{second}/print"));
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("K-002"), "{html}");
    assert!(!html.contains("金額") && !html.contains(">3<"), "{html}");
    // The record staff may not view: not found, as its page.
    let (s, html) = app.page(&staff, &format!("/apps/{id}/records/{first}/print"));
    assert_eq!(s, 404, "{html}");
    assert!(!html.contains("K-001"));
    // The list: only 相談, no 金額 column.
    let (s, html) = app.page(&staff, &format!("/apps/{id}/print"));
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("K-002") && !html.contains("K-001"), "{html}");
    assert!(!html.contains("金額") && !html.contains("98765"), "{html}");
    // Malformed and unknown ids: not found.
    for path in [
        format!("/apps/{id}/records/abc/print"),
        format!("/apps/{id}/records/999/print"),
        "/apps/0/print".to_owned(),
        "/apps/99999/print".to_owned(),
    ] {
        let (s, _) = app.page(&staff, &path);
        assert_eq!(s, 404, "{path}");
    }
}

/// Saves `templates` pre-live and deploys; the answer's stored list.
fn save_templates(app: &TestApp, id: i64, templates: Value) -> Value {
    let (s, b) = app.put(
        "/k/v1/preview/app/printTemplates.json",
        json!({"app": id, "printTemplates": templates}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    b["printTemplates"].clone()
}

const LEDGER_TEMPLATE: &str = "<h1>{{app.name}} 収受票</h1>\n<p>文書番号 {{文書番号}} / {{fields.件名.label}}: {{fields.件名.value}}</p>\n<p>金額 [{{金額}}]</p>\n<table>{{#each fields.明細.rows}}<tr><td>{{品名}}</td><td>{{数量}}</td></tr>{{/each}}</table>\n<p>{{printedAtWareki}}</p>";

#[test]
fn templates_are_checked_saved_and_print_only_what_the_user_may_see() {
    let app = TestApp::spawn();
    let (id, first, second) = ledger(&app);
    // A syntax error: refused with its line, nothing stored.
    let (s, b) = app.put(
        "/k/v1/preview/app/printTemplates.json",
        json!({"app": id, "printTemplates": [
            {"name": "壊れた", "target": "record", "source": "ok\n{{#if 件名}}\nno end"}]}),
    );
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["code"], "CB_VA01", "{b}");
    let text = b.to_string();
    assert!(text.contains("printTemplates[0].source"), "{text}");
    assert!(
        text.contains("行目付近") || text.contains("near line"),
        "a message with the line: {text}"
    );
    // Partials and raw output are refused; an unknown target too.
    for (source, target) in [
        ("{{> x}}", "record"),
        ("{{{件名}}}", "record"),
        ("x", "page"),
    ] {
        let (s, b) = app.put(
            "/k/v1/preview/app/printTemplates.json",
            json!({"app": id, "printTemplates": [{"name": "n", "target": target, "source": source}]}),
        );
        assert_eq!(s, 400, "{source}: {b}");
    }
    let stored = save_templates(
        &app,
        id,
        json!([
            {"name": "収受票", "target": "record", "source": LEDGER_TEMPLATE},
            {"name": "文書収受簿", "target": "list",
             "source": "<table>{{#each records}}<tr><td>{{文書番号}}</td><td>{{件名}}</td><td>{{金額}}</td></tr>{{/each}}</table>{{#if truncated}}cut{{/if}}"},
        ]),
    );
    let (rec_t, list_t) = (
        stored[0]["id"].as_str().unwrap().to_owned(),
        stored[1]["id"].as_str().unwrap().to_owned(),
    );
    let (s, b) = app.get(&format!("/k/v1/app/printTemplates.json?app={id}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["printTemplates"].as_array().unwrap().len(), 2);
    let admin = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let (s, html) = app.page(
        &admin,
        &format!("/apps/{id}/records/{first}/print?template={rec_t}"),
    );
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains("収受簿 収受票") && html.contains("文書番号 K-001"),
        "{html}"
    );
    assert!(
        html.contains("件名: &lt;b&gt;備品&lt;/b&gt;購入"),
        "escaped: {html}"
    );
    assert!(html.contains("<td>机</td><td>2</td>"), "{html}");
    assert!(
        html.contains("金額 [98765]") && html.contains("令和"),
        "{html}"
    );
    let (s, html) = app.page(&admin, &format!("/apps/{id}/print?template={list_t}"));
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains("<td>K-001</td>") && html.contains("<td>K-002</td>"),
        "{html}"
    );
    // A list template does not print a record; an unknown template is not found.
    let (s, _) = app.page(
        &admin,
        &format!("/apps/{id}/records/{first}/print?template={list_t}"),
    );
    assert_eq!(s, 404);
    let (s, _) = app.page(&admin, &format!("/apps/{id}/print?template=999"));
    assert_eq!(s, 404);
    // staff: the hidden 金額 is empty in the template, the hidden record not found.
    restrict_staff(&app, id);
    let staff = app.sign_in_form("staff", PW);
    let (s, html) = app.page(
        &staff,
        &format!("/apps/{id}/records/{second}/print?template={rec_t}"),
    );
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains("文書番号 K-002") && html.contains("金額 []"),
        "{html}"
    );
    let (s, _) = app.page(
        &staff,
        &format!("/apps/{id}/records/{first}/print?template={rec_t}"),
    );
    assert_eq!(s, 404);
    let (s, html) = app.page(&staff, &format!("/apps/{id}/print?template={list_t}"));
    assert_eq!(s, 200, "{html}");
    assert!(!html.contains("K-001") && !html.contains("98765"), "{html}");
    // staff does not manage the app: no pre-live preview, no saving.
    let (s, _) = app.page(
        &staff,
        &format!("/apps/{id}/records/{second}/print?template={rec_t}&preview=1"),
    );
    assert_eq!(s, 404);
    let (s, _) = app
        .with_auth(kumiki_tests::Auth::Password("staff".into(), PW.into()))
        .put(
            "/k/v1/preview/app/printTemplates.json",
            json!({"app": id, "printTemplates": []}),
        );
    assert_eq!(s, 403);
    // Deleting: saving the list without it.
    let kept = save_templates(&app, id, json!([stored[1].clone()]));
    assert_eq!(kept[0]["id"], list_t.as_str());
    let (s, _) = app.page(
        &admin,
        &format!("/apps/{id}/records/{first}/print?template={rec_t}"),
    );
    assert_eq!(s, 404);
}

#[test]
fn a_template_that_names_a_missing_field_shows_a_readable_error() {
    let app = TestApp::spawn();
    let (id, first, _) = ledger(&app);
    let stored = save_templates(
        &app,
        id,
        json!([{"name": "誤字", "target": "record", "source": "<p>\n{{存在しない}}</p>"}]),
    );
    let t = stored[0]["id"].as_str().unwrap();
    let admin = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let (s, html) = app.page(
        &admin,
        &format!("/apps/{id}/records/{first}/print?template={t}"),
    );
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("data-testid=\"print-error\""), "{html}");
    assert!(html.contains("テンプレートを表示できません"), "{html}");
}

#[test]
fn the_document_register_example_prints_its_ledger_and_slip() {
    let app = TestApp::spawn_with(|s| s.load_examples = true);
    let (_, apps) = app.get("/k/v1/apps.json");
    let id: i64 = apps["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "文書収受簿")
        .and_then(|a| a["appId"].as_str())
        .unwrap()
        .parse()
        .unwrap();
    let admin = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let (s, html) = app.page(&admin, &format!("/apps/{id}/print?template=1"));
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains("<h1 class=\"pt-center pt-spaced\">文書収受簿</h1>"),
        "{html}"
    );
    assert!(html.contains("令和") && html.contains("R7-"), "{html}");
    assert!(!html.contains("print-error"), "{html}");
    // The ledger is wide: it prints on A4 landscape.
    assert!(
        html.contains("/static/print-landscape.css"),
        "landscape: {html}"
    );
    let (s, html) = app.page(&admin, &format!("/apps/{id}/records/1/print?template=2"));
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains("収受票") && html.contains("文書番号 R7-"),
        "{html}"
    );
    // The toolbar offers the templates of each kind.
    assert!(
        html.contains("data-testid=\"print-template-link\""),
        "{html}"
    );
    // The settings tab.
    let (s, html) = app.page(&admin, &format!("/apps/{id}/print-templates"));
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains("data-testid=\"tab-print\"") && html.contains("/static/print_settings.js")
    );
}

/// A page's links as the browser reads them (the pages' templates escape `=` and `&`).
fn unescaped(html: &str) -> String {
    html.replace("&#x3D;", "=").replace("&amp;", "&")
}

/// Where `text` first appears in `html` (the test fails when it is missing).
fn position(html: &str, text: &str) -> usize {
    html.find(text)
        .unwrap_or_else(|| panic!("{text} missing: {html}"))
}

#[test]
fn a_sort_chosen_on_the_list_replaces_the_views_sort_and_is_checked_like_the_list() {
    let app = TestApp::spawn();
    let (id, _, _) = ledger(&app);
    let (s, b) = app.put(
        "/k/v1/preview/app/views.json",
        json!({"app": id, "views": {"番号降順": {"type": "LIST", "name": "番号降順", "index": "0",
            "fields": ["文書番号", "件名", "金額"], "filterCond": "", "sort": "文書番号 desc"}}}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let admin = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let view = url_encode("番号降順");
    // The view's own sort.
    let (s, html) = app.page(&admin, &format!("/apps/{id}/print?view={view}"));
    assert_eq!(s, 200, "{html}");
    assert!(
        position(&html, "K-002") < position(&html, "K-001"),
        "{html}"
    );
    // A header click's sort replaces it, on a view and on the default list alike.
    for (sort, first, second) in [
        ("文書番号 asc", "K-001", "K-002"),
        ("金額 asc", "K-002", "K-001"),
        ("金額 desc", "K-001", "K-002"),
    ] {
        let sort = url_encode(sort);
        for path in [
            format!("/apps/{id}/print?view={view}&sort={sort}"),
            format!("/apps/{id}/print?sort={sort}"),
        ] {
            let (s, html) = app.page(&admin, &path);
            assert_eq!(s, 200, "{path}: {html}");
            assert!(
                position(&html, first) < position(&html, second),
                "{path}: {html}"
            );
        }
    }
    // The toolbar's links print the same selection, sort included.
    let sort = url_encode("文書番号 asc");
    let (_, html) = app.page(&admin, &format!("/apps/{id}/print?view={view}&sort={sort}"));
    let html = unescaped(&html);
    let landscape = position(&html, "data-testid=\"print-orientation-landscape\"");
    let link = &html[html[..landscape].rfind("href=").unwrap_or(0)..landscape];
    assert!(
        link.contains("sort=") && link.contains("view=") && link.contains("orientation=landscape"),
        "{link}"
    );
    // An unknown field, a field that cannot be sorted, something other than sort keys: the
    // readable 400 page of a broken query, as the list shows the query's error.
    for bad in [
        "存在しない asc",
        "品名 asc",
        "文書番号 asc limit 1",
        "文書番号 sideways",
    ] {
        let (s, html) = app.page(
            &admin,
            &format!("/apps/{id}/print?sort={}", url_encode(bad)),
        );
        assert_eq!(s, 400, "{bad}: {html}");
        assert!(
            html.contains("data-testid=\"print-error\""),
            "{bad}: {html}"
        );
        assert!(!html.contains("K-00"), "{bad}: {html}");
    }
    // A field the user may not view is unknown to the sort, on the list's API and on the print.
    restrict_staff(&app, id);
    let staff = app.sign_in_form("staff", PW);
    let (s, b) = app
        .with_auth(kumiki_tests::Auth::Password("staff".into(), PW.into()))
        .get(&format!(
            "/k/v1/records.json?app={id}&query={}",
            url_encode("order by 金額 asc")
        ));
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["code"], "GAIA_IQ11", "{b}");
    let (s, html) = app.page(
        &staff,
        &format!("/apps/{id}/print?sort={}", url_encode("金額 asc")),
    );
    assert_eq!(s, 400, "{html}");
    assert!(html.contains("data-testid=\"print-error\""), "{html}");
    assert!(!html.contains("98765") && !html.contains("K-002"), "{html}");
    let (s, html) = app.page(
        &staff,
        &format!("/apps/{id}/print?sort={}", url_encode("文書番号 asc")),
    );
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("K-002") && !html.contains("K-001"), "{html}");
}

/// The print page is laid out landscape: its stylesheet and its marker.
fn is_landscape(html: &str) -> bool {
    let linked = html.contains("/static/print-landscape.css");
    assert_eq!(
        linked,
        html.contains("data-orientation=\"landscape\""),
        "{html}"
    );
    linked
}

#[test]
fn standard_prints_choose_portrait_or_landscape_on_the_toolbar() {
    let app = TestApp::spawn();
    let (id, first, _) = ledger(&app);
    let admin = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    for path in [
        format!("/apps/{id}/print"),
        format!("/apps/{id}/records/{first}/print"),
    ] {
        let (s, html) = app.page(&admin, &path);
        assert_eq!(s, 200, "{html}");
        assert!(!is_landscape(&html), "portrait by default: {path}");
        assert!(html.contains("data-testid=\"print-orientation-portrait\""));
        assert!(
            html.contains(">縦</a>") && html.contains(">横</a>"),
            "{html}"
        );
        let sep = if path.contains('?') { '&' } else { '?' };
        let (s, html) = app.page(&admin, &format!("{path}{sep}orientation=landscape"));
        assert_eq!(s, 200, "{html}");
        assert!(is_landscape(&html), "{path}");
        assert!(html.contains("K-001"), "{html}");
        let (s, html) = app.page(&admin, &format!("{path}{sep}orientation=portrait"));
        assert_eq!(s, 200, "{html}");
        assert!(!is_landscape(&html), "{path}");
        // A value that is neither: a clear message, no print.
        let (s, html) = app.page(&admin, &format!("{path}{sep}orientation=sideways"));
        assert_eq!(s, 400, "{html}");
        assert!(html.contains("data-testid=\"print-error\""), "{html}");
        assert!(html.contains("landscape（横）"), "{html}");
        assert!(!html.contains("K-001"), "{html}");
    }
    let (s, css) = app.page(&admin, "/static/print-landscape.css");
    assert_eq!(s, 200);
    assert!(
        css.contains("size: A4 landscape") && css.contains("width: 297mm"),
        "{css}"
    );
}

#[test]
fn a_template_keeps_its_orientation_in_the_api_the_print_and_a_package() {
    let app = TestApp::spawn();
    let (id, first, _) = ledger(&app);
    let list_source = "<table>{{#each records}}<tr><td>{{文書番号}}</td></tr>{{/each}}</table>";
    // Neither portrait nor landscape: refused, keyed by the template.
    let (s, b) = app.put(
        "/k/v1/preview/app/printTemplates.json",
        json!({"app": id, "printTemplates": [
            {"name": "台帳", "target": "list", "orientation": "diagonal", "source": list_source}]}),
    );
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["code"], "CB_VA01", "{b}");
    assert!(
        b["errors"]["printTemplates[0].orientation"].is_object(),
        "{b}"
    );
    let stored = save_templates(
        &app,
        id,
        json!([
            {"name": "台帳", "target": "list", "orientation": "landscape", "source": list_source},
            {"name": "票", "target": "record", "source": "<p>{{文書番号}}</p>"},
        ]),
    );
    assert_eq!(stored[0]["orientation"], "landscape", "{stored}");
    assert_eq!(
        stored[1]["orientation"], "portrait",
        "the default: {stored}"
    );
    let (s, b) = app.get(&format!("/k/v1/app/printTemplates.json?app={id}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["printTemplates"][0]["orientation"], "landscape", "{b}");
    assert_eq!(b["printTemplates"][1]["orientation"], "portrait", "{b}");
    let (list_t, record_t) = (
        stored[0]["id"].as_str().unwrap_or_default().to_owned(),
        stored[1]["id"].as_str().unwrap_or_default().to_owned(),
    );
    let admin = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    // The template decides; the standard print's 縦/横 is not offered beside it.
    let (s, html) = app.page(&admin, &format!("/apps/{id}/print?template={list_t}"));
    assert_eq!(s, 200, "{html}");
    assert!(
        is_landscape(&html) && html.contains("<td>K-001</td>"),
        "{html}"
    );
    assert!(!html.contains("print-orientation-portrait"), "{html}");
    let (s, html) = app.page(
        &admin,
        &format!("/apps/{id}/records/{first}/print?template={record_t}&orientation=landscape"),
    );
    assert_eq!(s, 200, "{html}");
    assert!(!is_landscape(&html), "{html}");
    // The toolbar of the standard print links the template without an orientation of its own.
    let (_, html) = app.page(&admin, &format!("/apps/{id}/print?orientation=landscape"));
    assert!(
        unescaped(&html).contains(&format!("href=\"/apps/{id}/print?template={list_t}\"")),
        "{html}"
    );
    // The orientation travels in a package and comes back on import; a wrong one is refused.
    let (s, package) = app.post("/api/packages/export.json", json!({"apps": [id]}));
    assert_eq!(s, 200, "{package}");
    let text = package.to_string();
    assert!(text.contains("\"orientation\":\"landscape\""), "{text}");
    let (s, b) = app.post("/api/packages/import.json", json!({"package": package}));
    assert_eq!(s, 200, "{b}");
    let copy = b["apps"][0]["app"].as_str().unwrap_or_default().to_owned();
    let (s, b) = app.get(&format!("/k/v1/app/printTemplates.json?app={copy}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["printTemplates"][0]["orientation"], "landscape", "{b}");
    let broken: Value = serde_json::from_str(&text.replace(
        "\"orientation\":\"landscape\"",
        "\"orientation\":\"diagonal\"",
    ))
    .unwrap_or_default();
    let (s, b) = app.post("/api/packages/import.json", json!({"package": broken}));
    assert_eq!(s, 400, "{b}");
    assert!(b.to_string().contains("orientation"), "{b}");
}
