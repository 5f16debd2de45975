//! Export (issue 16, item 2): `GET /api/records/export` writes the records of a query or list view
//! as XLSX (read back with calamine: numbers as numbers, dates as dates, one row per subtable row
//! with the record's cells repeated and 「レコードの開始行」 marked), CSV in UTF-8 with a BOM (formula
//! cells escaped) and Shift_JIS (a character it cannot hold is refused with the record, field and
//! character named, never written as "?"); a user with record and field rights gets only what the
//! user may see, a user without the export right nothing; every export is audited.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use kumiki_tests::{url_encode, Auth, TestApp};
use serde_json::{json, Value};

const PW: &str = "exports-pw-1";

fn fields() -> Value {
    json!({
        "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"},
        "金額": {"type": "NUMBER", "code": "金額", "label": "金額"},
        "受付日": {"type": "DATE", "code": "受付日", "label": "受付日"},
        "受付日時": {"type": "DATETIME", "code": "受付日時", "label": "受付日時"},
        "区分": {"type": "DROP_DOWN", "code": "区分", "label": "区分", "options": {
            "相談": {"label": "相談", "index": "0"}, "申請": {"label": "申請", "index": "1"}}},
        "明細": {"type": "SUBTABLE", "code": "明細", "label": "明細", "fields": {
            "品名": {"type": "SINGLE_LINE_TEXT", "code": "品名", "label": "品名"},
            "数量": {"type": "NUMBER", "code": "数量", "label": "数量"}}},
    })
}

/// 受付簿 with three records: 1 (two subtable rows), 2 (none, a formula-like title), 3 (small).
fn ledger(app: &TestApp) -> i64 {
    let id = app.create_app("受付簿", fields());
    let rows = |items: &[(&str, &str)]| -> Value {
        items
            .iter()
            .map(|(n, q)| json!({"value": {"品名": {"value": n}, "数量": {"value": q}}}))
            .collect()
    };
    app.add_record(
        id,
        json!({"件名": {"value": "備品購入"}, "金額": {"value": "1234.5"},
               "受付日": {"value": "2026-04-01"}, "受付日時": {"value": "2026-03-31T15:30:00Z"},
               "区分": {"value": "申請"}, "明細": {"value": rows(&[("机", "2"), ("椅子", "4")])}}),
    );
    app.add_record(
        id,
        json!({"件名": {"value": "=HYPERLINK(\"x\")"}, "金額": {"value": "20"},
               "受付日": {"value": "2026-05-10"}, "区分": {"value": "相談"}}),
    );
    app.add_record(
        id,
        json!({"件名": {"value": "少額"}, "金額": {"value": "3"}, "区分": {"value": "相談"}}),
    );
    id
}

/// `GET path` with `auth`: status, content type, bytes.
fn fetch(app: &TestApp, auth: &Auth, path: &str) -> (u16, String, Vec<u8>) {
    use base64::Engine as _;
    let mut rb = app.client.get(app.url(path));
    match auth {
        Auth::Password(u, p) => {
            rb = rb.header(
                "X-Cybozu-Authorization",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}")),
            );
        }
        Auth::Tokens(t) => rb = rb.header("X-Cybozu-API-Token", t),
        _ => {}
    }
    let resp = rb.send().unwrap();
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, ctype, resp.bytes().unwrap().to_vec())
}

fn admin() -> Auth {
    Auth::Password("Administrator".into(), kumiki_tests::ADMIN_PASSWORD.into())
}

fn export_path(app: i64, extra: &str) -> String {
    format!("/api/records/export?app={app}{extra}")
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn sheet_rows(bytes: Vec<u8>) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    sheet.rows().map(|r| r.to_vec()).collect()
}

/// Excel's serial number of a date (days since 1899-12-30).
fn serial(y: i32, m: u32, d: u32) -> f64 {
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
    (chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap() - base).num_days() as f64
}

/// The JSON error of a refused export.
fn refused(status: u16, body: &[u8], key: &str) -> Value {
    let b: Value = serde_json::from_slice(body)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(body)));
    assert_eq!((status, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
    assert!(b["errors"][key]["messages"][0].is_string(), "{b}");
    b
}

#[test]
fn xlsx_keeps_types_and_subtable_rows_as_kintone_exports_them() {
    let app = TestApp::spawn();
    let id = ledger(&app);
    let q = url_encode("金額 >= 10 order by 金額 desc");
    let (s, ctype, bytes) = fetch(
        &app,
        &admin(),
        &export_path(
            id,
            &format!("&format=xlsx&query={q}&fields[0]=件名&fields[1]=金額&fields[2]=受付日&fields[3]=受付日時&fields[4]=明細"),
        ),
    );
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&bytes));
    assert!(ctype.contains("spreadsheetml"), "{ctype}");
    let rows = sheet_rows(bytes);
    let header: Vec<String> = rows[0].iter().map(cell_text).collect();
    assert_eq!(
        header,
        [
            "レコードの開始行",
            "件名",
            "金額",
            "受付日",
            "受付日時",
            "品名",
            "数量"
        ]
    );
    // 金額 desc: 備品購入 (two subtable rows), then the formula-like title (no rows); 少額 is out.
    assert_eq!(rows.len(), 1 + 2 + 1, "{rows:?}");
    assert_eq!(cell_text(&rows[1][0]), "*");
    assert_eq!(cell_text(&rows[1][1]), "備品購入");
    assert_eq!(rows[1][2], Data::Float(1234.5));
    match &rows[1][3] {
        Data::DateTime(d) => assert_eq!(d.as_f64(), serial(2026, 4, 1)),
        other => panic!("受付日 is not a date: {other:?}"),
    }
    // 15:30 UTC is 00:30 the next day in Tokyo (the administrator's zone).
    match &rows[1][4] {
        Data::DateTime(d) => {
            let expected = serial(2026, 4, 1) + 30.0 / (24.0 * 60.0);
            assert!((d.as_f64() - expected).abs() < 1e-6, "{}", d.as_f64());
        }
        other => panic!("受付日時 is not a date-time: {other:?}"),
    }
    assert_eq!(cell_text(&rows[1][5]), "机");
    assert_eq!(rows[1][6], Data::Float(2.0));
    // The second subtable row: no mark, the record's cells repeated.
    assert_eq!(rows[2][0], Data::Empty);
    assert_eq!(cell_text(&rows[2][1]), "備品購入");
    assert_eq!(rows[2][2], Data::Float(1234.5));
    assert_eq!(cell_text(&rows[2][5]), "椅子");
    assert_eq!(rows[2][6], Data::Float(4.0));
    // A text cell stays text in XLSX (never a formula).
    assert_eq!(cell_text(&rows[3][0]), "*");
    assert_eq!(cell_text(&rows[3][1]), "=HYPERLINK(\"x\")");
    assert_eq!(rows[3][2], Data::Float(20.0));

    // A shared list view stands in for query and columns.
    let (s, b) = app.put(
        "/k/v1/preview/app/views.json",
        json!({"app": id, "views": {"相談だけ": {"type": "LIST", "index": "0", "name": "相談だけ",
            "fields": ["件名", "区分"], "filterCond": "区分 in (\"相談\")", "sort": "金額 asc"}}}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let (s, _, bytes) = fetch(
        &app,
        &admin(),
        &export_path(id, &format!("&format=xlsx&view={}", url_encode("相談だけ"))),
    );
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&bytes));
    let rows = sheet_rows(bytes);
    let text: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(cell_text).collect())
        .collect();
    assert_eq!(
        text,
        [
            vec!["件名", "区分"],
            vec!["少額", "相談"],
            vec!["=HYPERLINK(\"x\")", "相談"]
        ]
    );
}

#[test]
fn csv_is_utf8_with_bom_or_shift_jis_and_never_lossy() {
    let app = TestApp::spawn();
    let id = ledger(&app);
    let cols = "&fields[0]=件名&fields[1]=金額&fields[2]=受付日&fields[3]=明細";
    let order = url_encode("order by $id asc");
    let (s, ctype, utf8) = fetch(
        &app,
        &admin(),
        &export_path(id, &format!("&format=csv&query={order}{cols}")),
    );
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&utf8));
    assert!(ctype.contains("utf-8"), "{ctype}");
    assert!(utf8.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(utf8[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(
        lines,
        [
            "レコードの開始行,件名,金額,受付日,品名,数量",
            "*,備品購入,1234.5,2026-04-01,机,2",
            ",備品購入,1234.5,2026-04-01,椅子,4",
            // The formula is escaped against CSV injection (and quoted for its quotes).
            "*,\"'=HYPERLINK(\"\"x\"\")\",20,2026-05-10,,",
            "*,少額,3,,,",
            ""
        ]
    );

    // Shift_JIS: the same text in other bytes.
    let (s, ctype, sjis) = fetch(
        &app,
        &admin(),
        &export_path(
            id,
            &format!("&format=csv&encoding=sjis&query={order}{cols}"),
        ),
    );
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&sjis));
    assert!(ctype.to_ascii_lowercase().contains("shift_jis"), "{ctype}");
    let (decoded, _, bad) = encoding_rs::SHIFT_JIS.decode(&sjis);
    assert!(!bad);
    assert_eq!(decoded, text);

    // A character Shift_JIS cannot hold: refused, naming the record, field and character.
    let (s, b) = app.put(
        "/k/v1/record.json",
        json!({"app": id, "id": 3, "record": {"件名": {"value": "𠮷野さん"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, _, body) = fetch(
        &app,
        &admin(),
        &export_path(id, &format!("&format=csv&encoding=sjis{cols}")),
    );
    let b = refused(s, &body, "encoding");
    let message = b["errors"]["encoding"]["messages"][0].as_str().unwrap();
    assert!(
        message.contains("𠮷") && message.contains("#3") && message.contains("件名"),
        "{message}"
    );
    // In Japanese for a Japanese client.
    let resp = app
        .client
        .get(app.url(&export_path(id, "&format=csv&encoding=sjis")))
        .header("Accept-Language", "ja")
        .header(
            "X-Cybozu-Authorization",
            base64_login("Administrator", kumiki_tests::ADMIN_PASSWORD),
        )
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let b: Value = resp.json().unwrap();
    assert!(b.to_string().contains("𠮷"), "{b}");
    // UTF-8 holds it.
    let (s, _, utf8) = fetch(&app, &admin(), &export_path(id, "&format=csv"));
    assert_eq!(s, 200);
    assert!(String::from_utf8_lossy(&utf8).contains("𠮷野さん"));
}

fn base64_login(user: &str, pw: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"))
}

#[test]
fn bad_requests_are_kintone_errors_and_exports_are_audited() {
    let app = TestApp::spawn();
    let id = ledger(&app);
    let (s, _, body) = fetch(&app, &admin(), &export_path(id, "&format=pdf"));
    refused(s, &body, "format");
    let (s, _, body) = fetch(&app, &admin(), &export_path(id, "&encoding=ebcdic"));
    refused(s, &body, "encoding");
    let (s, _, body) = fetch(&app, &admin(), &export_path(id, "&fields[0]=無い"));
    refused(s, &body, "fields");
    let (s, _, body) = fetch(&app, &admin(), &export_path(id, "&view=無い"));
    refused(s, &body, "view");
    let q = url_encode("order by $id asc limit 1");
    let (s, _, body) = fetch(&app, &admin(), &export_path(id, &format!("&query={q}")));
    refused(s, &body, "query");
    let q = url_encode("無い = 1");
    let (s, _, body) = fetch(&app, &admin(), &export_path(id, &format!("&query={q}")));
    let b: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_IQ11")), "{b}");
    let (s, _, body) = fetch(&app, &admin(), "/api/records/export?app=99999");
    let b: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((s, b["code"].as_str()), (404, Some("GAIA_AP01")), "{b}");
    let (s, _, _) = fetch(&app, &Auth::None, &export_path(id, ""));
    assert_eq!(s, 401);

    let (s, _, _) = fetch(&app, &admin(), &export_path(id, "&format=xlsx"));
    assert_eq!(s, 200);
    let (s, b) = app.get("/api/audit.json?action=records.export");
    assert_eq!(s, 200, "{b}");
    let entries = b["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "only the export that succeeded: {b}");
    assert_eq!(entries[0]["target"], format!("app:{id}"));
    assert_eq!(entries[0]["actor"], "Administrator");
}

#[test]
fn a_restricted_user_exports_only_what_the_user_may_see() {
    let app = TestApp::spawn();
    let id = ledger(&app);
    app.user("staff", PW);
    app.user("viewer", PW);
    let user = |code: &str| json!({"type": "USER", "code": code});
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": id, "rights": [
            {"entity": user("Administrator"), "appEditable": true, "recordViewable": true, "recordAddable": true,
             "recordEditable": true, "recordDeletable": true, "recordImportable": true, "recordExportable": true},
            {"entity": user("staff"), "recordViewable": true, "recordExportable": true},
            {"entity": user("viewer"), "recordViewable": true, "recordExportable": false},
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    // staff sees only 相談 records, and never 金額.
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

    let staff = Auth::Password("staff".into(), PW.into());
    let (s, _, bytes) = fetch(&app, &staff, &export_path(id, "&format=csv"));
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&bytes));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let header = text.lines().next().unwrap();
    assert!(!header.contains("金額"), "{header}");
    assert!(header.contains("件名"), "{header}");
    assert!(
        !text.contains("備品購入"),
        "the 申請 record is hidden: {text}"
    );
    assert!(!text.contains("1234.5") && !text.contains(",20,"), "{text}");
    assert!(text.contains("少額"), "{text}");
    // A view's column the user may not see is left out, as the record list leaves it out.
    let (s, _, bytes) = fetch(
        &app,
        &staff,
        &export_path(id, "&format=xlsx&fields[0]=金額&fields[1]=件名"),
    );
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&bytes));
    let rows = sheet_rows(bytes);
    let text: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(cell_text).collect())
        .collect();
    assert_eq!(text[0], ["件名"], "{text:?}");
    assert_eq!(text.len(), 3, "two 相談 records: {text:?}");
    let q = url_encode("金額 > 0");
    let (s, _, body) = fetch(&app, &staff, &export_path(id, &format!("&query={q}")));
    let b: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_IQ11")), "{b}");
    // Viewing without the export right: refused.
    let viewer = Auth::Password("viewer".into(), PW.into());
    let (s, _, body) = fetch(&app, &viewer, &export_path(id, "&format=csv"));
    let b: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")), "{b}");
    let (s, _) = app
        .with_auth(viewer)
        .get(&format!("/k/v1/records.json?app={id}"));
    assert_eq!(s, 200, "the viewer still reads the list");
}

#[test]
fn an_app_in_a_guest_space_exports_through_the_space_path_only() {
    let app = TestApp::spawn();
    let id = ledger(&app);
    crate::guests::guest_space(&app, 501, "相談窓口", &[]);
    crate::guests::move_app(&app, id, 501);
    let (s, _, body) = fetch(&app, &admin(), &export_path(id, "&format=csv"));
    assert_ne!(s, 200, "{}", String::from_utf8_lossy(&body));
    for base in ["/api/guest/501", "/k/guest/501/api"] {
        let (s, _, bytes) = fetch(
            &app,
            &admin(),
            &format!("{base}/records/export?app={id}&format=csv"),
        );
        assert_eq!(s, 200, "{base}: {}", String::from_utf8_lossy(&bytes));
        assert!(String::from_utf8_lossy(&bytes).contains("備品購入"));
    }
    // Another space's path does not reach it.
    crate::guests::guest_space(&app, 502, "別の窓口", &[]);
    let (s, _, _) = fetch(
        &app,
        &admin(),
        &format!("/api/guest/502/records/export?app={id}&format=csv"),
    );
    assert_ne!(s, 200);
}
