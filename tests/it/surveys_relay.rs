//! Issue 14, survey relay: the merge downloads (XLSX read back, CSV in UTF-8 and Shift_JIS, a
//! character Shift_JIS cannot hold refused with the cell named), copying a survey as next year's
//! draft (its own files, due one year later), and relaying a received request onwards
//! (prefecture → department → sub-department) with the collected answers merged upward.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use kumiki_tests::TestApp;
use serde_json::{json, Value};

use crate::surveys::{as_user, download, forbidden, iso_in, refused, sent_survey, world, PW};

/// `GET path` as `user`: status, content type and bytes.
fn fetch(app: &TestApp, user: &str, path: &str) -> (u16, String, Vec<u8>) {
    use base64::Engine as _;
    let resp = app
        .client
        .get(app.url(path))
        .header(
            "X-Cybozu-Authorization",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{PW}")),
        )
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, ctype, resp.bytes().unwrap().to_vec())
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

#[test]
fn surveys_merge_downloads_are_typed_and_never_lossy() {
    let app = TestApp::spawn();
    world(&app);
    let (id, answers, _) = sent_survey(&app);
    let ga = as_user(&app, "ga");
    let d1 = as_user(&app, "d1");
    let values = |n: &str, note: &str, rows: Value| json!({"人数": {"value": n}, "備考": {"value": note}, "内訳": {"value": rows}});
    let (s, b) = ga.post(
        "/api/guest/501/surveys/answer/submit.json",
        json!({"id": answers["A市"], "values": values("12", "A市の備考", json!([
            {"value": {"区分": {"value": "避難所"}, "件数": {"value": "3"}}},
            {"value": {"区分": {"value": "備蓄"}, "件数": {"value": "40"}}}
        ]))}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = d1.post(
        "/api/surveys/answer/submit.json",
        json!({"id": answers["企画課"], "values": values("7", "企画課", json!([]))}),
    );
    assert_eq!(s, 200, "{b}");

    // XLSX: the organisation first, one row per subtable row, numbers as numbers; B町 has not
    // answered and is not in the merge.
    let (s, ctype, bytes) = fetch(
        &app,
        "office",
        &format!("/api/surveys/export?id={id}&part=fields&format=xlsx"),
    );
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&bytes));
    assert!(ctype.contains("spreadsheetml"), "{ctype}");
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    let header: Vec<String> = rows[0].iter().map(cell_text).collect();
    assert_eq!(header[0], "組織", "{header:?}");
    let col = |name: &str| header.iter().position(|h| h.contains(name)).unwrap();
    assert_eq!(rows.len(), 1 + 2 + 1, "{rows:?}");
    assert_eq!(cell_text(&rows[1][0]), "A市");
    assert_eq!(rows[1][col("人数")], Data::Float(12.0));
    assert_eq!(cell_text(&rows[2][col("区分")]), "備蓄");
    assert_eq!(rows[2][col("件数")], Data::Float(40.0));
    assert_eq!(cell_text(&rows[3][0]), "企画課");
    assert!(!rows.iter().any(|r| cell_text(&r[0]) == "B町"));

    // CSV in UTF-8 with a BOM and in Shift_JIS (the same text, other bytes).
    let (s, ctype, utf8) = fetch(
        &app,
        "office",
        &format!("/api/surveys/export?id={id}&format=csv&encoding=utf-8"),
    );
    assert_eq!(s, 200);
    assert!(ctype.contains("utf-8"), "{ctype}");
    assert!(utf8.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(utf8[3..].to_vec()).unwrap();
    assert!(text.starts_with("組織,"), "{text}");
    assert!(text.contains("A市の備考"), "{text}");
    let (s, _, sjis) = fetch(
        &app,
        "office",
        &format!("/api/surveys/export?id={id}&format=csv&encoding=shift_jis"),
    );
    assert_eq!(s, 200);
    let (decoded, _, bad) = encoding_rs::SHIFT_JIS.decode(&sjis);
    assert!(!bad);
    assert_eq!(decoded, text);

    // A character Shift_JIS cannot hold: refused with the place named, never written as "?".
    let office = as_user(&app, "office");
    let (s, b) = office.post(
        "/api/surveys/answer/return.json",
        json!({"id": answers["企画課"], "comment": "備考を直してください"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = d1.post(
        "/api/surveys/answer/submit.json",
        json!({"id": answers["企画課"], "values": values("7", "𠮷野家", json!([]))}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, _, body) = fetch(
        &app,
        "office",
        &format!("/api/surveys/export?id={id}&format=csv&encoding=shift_jis"),
    );
    let b: Value = serde_json::from_slice(&body).unwrap();
    refused(s, &b, "encoding");
    assert!(b.to_string().contains("𠮷"), "{b}");

    // Bad options and other people.
    let (s, _, body) = fetch(
        &app,
        "office",
        &format!("/api/surveys/export?id={id}&part=sheet"),
    );
    refused(s, &serde_json::from_slice(&body).unwrap(), "part");
    let (s, _, body) = fetch(
        &app,
        "office",
        &format!("/api/surveys/export?id={id}&format=pdf"),
    );
    refused(s, &serde_json::from_slice(&body).unwrap(), "format");
    for user in ["ga", "d1", "outsider"] {
        let (s, _, body) = fetch(&app, user, &format!("/api/surveys/export?id={id}"));
        forbidden(s, &serde_json::from_slice(&body).unwrap());
    }
}

#[test]
fn surveys_copy_starts_next_years_draft_with_its_own_files() {
    let app = TestApp::spawn();
    world(&app);
    let (id, _, files) = sent_survey(&app);
    let office = as_user(&app, "office");
    let (_, before) = office.get(&format!("/api/surveys/survey.json?id={id}"));

    let (s, b) = office.post("/api/surveys/copy.json", json!({"id": id}));
    assert_eq!(s, 200, "{b}");
    let copy = b["id"].as_i64().unwrap();
    assert_ne!(copy, id);
    let (s, after) = office.get(&format!("/api/surveys/survey.json?id={copy}"));
    assert_eq!(s, 200, "{after}");
    let survey = |v: &Value| v.get("survey").cloned().unwrap_or_else(|| v.clone());
    let (before, after) = (survey(&before), survey(&after));
    assert_eq!(after["state"], "draft");
    assert_eq!(after["title"], before["title"]);
    assert_eq!(after["fields"], before["fields"]);
    assert_eq!(
        after["recipients"].as_array().map(Vec::len),
        before["recipients"].as_array().map(Vec::len)
    );
    let due = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v["dueAt"].as_str().unwrap())
            .unwrap()
            .timestamp()
    };
    let days = (due(&after) - due(&before)) / 86_400;
    assert!((365..=366).contains(&days), "{days}");
    // Its own files: new keys, downloadable by the office; the original's stay.
    let keys: Vec<String> = after["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fileKey"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys.len(), 2, "{after}");
    for k in &keys {
        assert!(!files.contains(k));
        assert_eq!(download(&app, "office", "/k/v1/file.json", k), 200);
    }
    let (s, b) = office.delete("/api/surveys/survey.json", json!({"id": copy}));
    assert_eq!(s, 200, "{b}");
    for k in &files {
        assert_eq!(download(&app, "office", "/k/v1/file.json", k), 200);
    }
    // Only owners copy.
    for user in ["d1", "outsider"] {
        let (s, b) = as_user(&app, user).post("/api/surveys/copy.json", json!({"id": id}));
        forbidden(s, &b);
    }
}

#[test]
fn surveys_relay_onwards_and_answer_upward_with_the_merge() {
    let app = TestApp::spawn();
    world(&app);
    // 企画課 has two sections, each with a member.
    for (code, name, user) in [
        ("kikaku-1", "企画一係", "s1"),
        ("kikaku-2", "企画二係", "s2"),
    ] {
        let (s, b) = app.post(
            "/api/org/departments.json",
            json!({"code": code, "name": name, "parentCode": "kikaku"}),
        );
        assert_eq!(s, 200, "{b}");
        app.user(user, PW);
        let (s, b) = app.put(
            "/api/org/memberships.json",
            json!({"user": user, "departments": [code]}),
        );
        assert_eq!(s, 200, "{b}");
    }
    let (_, answers, _) = sent_survey(&app);
    let parent = answers["企画課"];
    let d1 = as_user(&app, "d1");

    // Guests and outsiders cannot relay someone else's answer.
    let relay = json!({"answer": parent, "dueAt": iso_in(3 * 86_400), "recipients": [
        {"kind": "department", "code": "kikaku-1"},
        {"kind": "department", "code": "kikaku-2"}
    ]});
    for user in ["ga", "outsider"] {
        let (s, b) = as_user(&app, user).post("/api/surveys/relay.json", relay.clone());
        forbidden(s, &b);
    }
    let (s, b) = d1.post("/api/surveys/relay.json", relay.clone());
    assert_eq!(s, 200, "{b}");
    let child = b["id"].as_i64().unwrap();
    let (s, b) = d1.post("/api/surveys/relay.json", relay.clone());
    refused(s, &b, "answer");
    // Nothing collected yet.
    let (s, b) = d1.post(
        "/api/surveys/answer/merge_relay.json",
        json!({"id": parent}),
    );
    refused(s, &b, "id");

    // d1 owns the relayed draft: sends it, the sections answer.
    let (s, b) = d1.post("/api/surveys/send.json", json!({"id": child}));
    assert_eq!(s, 200, "{b}");
    let (s, b) = d1.get(&format!("/api/surveys/answers.json?id={child}"));
    assert_eq!(s, 200, "{b}");
    let child_answers: Vec<(String, i64)> = b["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["organisation"]["name"].as_str().unwrap().to_owned(),
                a["id"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(child_answers.len(), 2);
    for (name, answer) in &child_answers {
        let user = if name == "企画一係" { "s1" } else { "s2" };
        let n = if name == "企画一係" { "3" } else { "4" };
        let (s, b) = as_user(&app, user).post(
            "/api/surveys/answer/submit.json",
            json!({"id": answer, "values": {
                "人数": {"value": n},
                "内訳": {"value": [{"value": {"区分": {"value": name}, "件数": {"value": n}}}]}
            }}),
        );
        assert_eq!(s, 200, "{b}");
    }
    // A section never sees the parent answer.
    let (s, b) = as_user(&app, "s1").get(&format!("/api/surveys/answer.json?id={parent}"));
    forbidden(s, &b);

    // Upward: the parent answer's draft gets the sum and both rows; d1 then submits it.
    let (s, b) = d1.post(
        "/api/surveys/answer/merge_relay.json",
        json!({"id": parent}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["merged"], 2);
    let (s, b) = d1.get(&format!("/api/surveys/answer.json?id={parent}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["answer"]["state"], "draft", "{b}");
    assert_eq!(b["answer"]["values"]["人数"]["value"], "7", "{b}");
    let rows = b["answer"]["values"]["内訳"]["value"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{b}");
    let (s, b) = d1.post("/api/surveys/answer/submit.json", json!({"id": parent}));
    assert_eq!(s, 200, "{b}");
    // Submitted: no more relays of it.
    let (s, b) = d1.post(
        "/api/surveys/answer/merge_relay.json",
        json!({"id": parent}),
    );
    assert_eq!(s, 400, "{b}");
}
