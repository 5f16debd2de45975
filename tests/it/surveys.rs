//! Issue 14, survey relay (調査照会): the API of drafts, the broadcast, the answer steps, the
//! dashboard, reminders and closing; the isolation of organisations (a guest through its guest
//! space's path sees only its own answer, never another organisation's answer, files or state).
//! Guest spaces are seeded straight into the database (the spaces part owns their API).

use kumiki_engine::db::{Database, DbConn};
use kumiki_tests::{Auth, Client2, TestApp};
use serde_json::{json, Value};

pub(crate) const PW: &str = "surveys-password-1";

pub(crate) fn db(app: &TestApp) -> (Database, DbConn) {
    let db = Database::connect(&app.database_url, 1).unwrap();
    let conn = db.conn().unwrap();
    (db, conn)
}

/// A guest space with USER members.
pub(crate) fn seed_guest_space(app: &TestApp, id: i64, name: &str, members: &[&str]) {
    let (_db, mut conn) = db(app);
    let mut b = conn.sql();
    b.push("INSERT INTO spaces (id, name, is_guest, is_private, created_at) VALUES (")
        .bind_int(id)
        .push(", ")
        .bind_text(name)
        .push(", TRUE, TRUE, 0)");
    conn.execute(&b).unwrap();
    for m in members {
        let mut b = conn.sql();
        b.push("INSERT INTO space_members (space_id, entity_type, code, is_admin, include_subs) VALUES (")
            .bind_int(id)
            .push(", 'USER', ")
            .bind_text(m)
            .push(", FALSE, FALSE)");
        conn.execute(&b).unwrap();
    }
}

pub(crate) fn guest(app: &TestApp, code: &str) {
    app.user(code, PW);
    let (_db, mut conn) = db(app);
    kumiki_engine::users::User::set_guest(&mut conn, code, true).unwrap();
}

pub(crate) fn as_user<'a>(app: &'a TestApp, login: &str) -> Client2<'a> {
    app.with_auth(Auth::Password(login.into(), PW.into()))
}

pub(crate) fn upload_as(app: &TestApp, user: &str, name: &str, bytes: Vec<u8>) -> String {
    upload_through(app, "/k/v1/file.json", user, name, bytes)
}

fn upload_through(app: &TestApp, path: &str, user: &str, name: &str, bytes: Vec<u8>) -> String {
    use base64::Engine as _;
    let part = reqwest::blocking::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str("text/plain")
        .unwrap();
    let form = reqwest::blocking::multipart::Form::new().part("file", part);
    let resp = app
        .client
        .post(app.url(path))
        .header(
            "X-Cybozu-Authorization",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{PW}")),
        )
        .multipart(form)
        .send()
        .unwrap();
    let body: Value = resp.json().unwrap();
    body["fileKey"].as_str().unwrap().to_owned()
}

pub(crate) fn download(app: &TestApp, user: &str, path: &str, key: &str) -> u16 {
    use base64::Engine as _;
    app.client
        .get(app.url(&format!("{path}?fileKey={key}")))
        .header(
            "X-Cybozu-Authorization",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{PW}")),
        )
        .send()
        .unwrap()
        .status()
        .as_u16()
}

fn notifications_of(app: &TestApp, user: &str) -> Vec<(String, String)> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        kind: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        source_key: String,
    }
    let (_db, mut conn) = db(app);
    let mut b = conn.sql();
    b.push("SELECT kind, source_key FROM notifications WHERE user_code = ")
        .bind_text(user)
        .push(" ORDER BY id");
    conn.load::<Row>(&b)
        .unwrap()
        .into_iter()
        .map(|r| (r.kind, r.source_key))
        .collect()
}

fn job_keys(app: &TestApp) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        dedupe_key: String,
    }
    let (_db, mut conn) = db(app);
    let mut b = conn.sql();
    b.push("SELECT dedupe_key FROM jobs WHERE kind = 'survey.remind' ORDER BY dedupe_key");
    conn.load::<Row>(&b)
        .unwrap()
        .into_iter()
        .map(|r| r.dedupe_key)
        .collect()
}

pub(crate) fn iso_in(seconds: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(seconds))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

pub(crate) fn refused(s: u16, b: &Value, key: &str) {
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["code"], "CB_VA01", "{b}");
    assert!(b["errors"].get(key).is_some(), "errors.{key}: {b}");
}

pub(crate) fn forbidden(s: u16, b: &Value) {
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")), "{b}");
}

/// The office, two guest organisations (A市: space 501 with guest ga; B町: space 502 with guest
/// gb) and a department (企画課: member d1); `outsider` belongs to none.
pub(crate) fn world(app: &TestApp) {
    for u in ["office", "d1", "outsider"] {
        app.user(u, PW);
    }
    guest(app, "ga");
    guest(app, "gb");
    seed_guest_space(app, 501, "A市", &["ga", "office"]);
    seed_guest_space(app, 502, "B町", &["gb"]);
    let (s, b) = app.post(
        "/api/org/departments.json",
        json!({"code": "kikaku", "name": "企画課"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/api/org/memberships.json",
        json!({"user": "d1", "departments": ["kikaku"]}),
    );
    assert_eq!(s, 200, "{b}");
}

pub(crate) fn fields() -> Value {
    json!({"properties": {
        "人数": {"type": "NUMBER", "code": "人数", "label": "人数", "required": true},
        "備考": {"type": "SINGLE_LINE_TEXT", "code": "備考", "label": "備考"},
        "内訳": {"type": "SUBTABLE", "code": "内訳", "label": "内訳", "fields": {
            "区分": {"type": "SINGLE_LINE_TEXT", "code": "区分", "label": "区分"},
            "件数": {"type": "NUMBER", "code": "件数", "label": "件数"}
        }}
    }})
}

/// A sent survey to A市, B町 and 企画課; returns (survey id, answer ids by organisation name).
pub(crate) fn sent_survey(
    app: &TestApp,
) -> (i64, std::collections::HashMap<String, i64>, Vec<String>) {
    let office = as_user(app, "office");
    let files = vec![
        upload_as(app, "office", "通知.txt", b"notice".to_vec()),
        upload_as(app, "office", "要領.txt", b"outline".to_vec()),
    ];
    let (s, b) = office.post(
        "/api/surveys/survey.json",
        json!({
            "title": "令和8年度 防災体制調査",
            "body": "<p>回答をお願いします。<script>x()</script></p>",
            "dueAt": iso_in(7 * 86_400),
            "attachments": files.iter().map(|k| json!({"fileKey": k})).collect::<Vec<_>>(),
            "fields": fields(),
            "recipients": [
                {"kind": "space", "code": "501"},
                {"kind": "space", "code": "502"},
                {"kind": "department", "code": "kikaku"}
            ],
            "reminders": [3, 0]
        }),
    );
    assert_eq!(s, 200, "{b}");
    let id = b["id"].as_i64().unwrap();
    let (s, b) = office.post("/api/surveys/send.json", json!({"id": id}));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["answers"], 3);
    let (s, b) = office.get(&format!("/api/surveys/answers.json?id={id}"));
    assert_eq!(s, 200, "{b}");
    let answers = b["answers"]
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
    (id, answers, files)
}

#[test]
fn surveys_draft_send_answer_return_accept_remind_close() {
    let app = TestApp::spawn();
    world(&app);
    let office = as_user(&app, "office");
    let ga = as_user(&app, "ga");
    let gb = as_user(&app, "gb");
    let d1 = as_user(&app, "d1");

    // A draft: bad input is refused with keyed messages and writes nothing.
    let (s, b) = office.post(
        "/api/surveys/survey.json",
        json!({"title": " ", "dueAt": iso_in(3600)}),
    );
    refused(s, &b, "title");
    let (s, b) = office.post(
        "/api/surveys/survey.json",
        json!({"title": "x", "dueAt": iso_in(3600), "fields": {"properties": {"f": {"type": "FILE", "code": "f", "label": "f"}}}}),
    );
    refused(s, &b, "fields.f.type");
    let (s, b) = office.post(
        "/api/surveys/survey.json",
        json!({"title": "x", "dueAt": iso_in(3600), "recipients": [{"kind": "space", "code": "999"}]}),
    );
    refused(s, &b, "recipients[0].code");
    let (s, b) = office.get("/api/surveys.json?box=sent");
    assert_eq!((s, b["totalCount"].as_i64()), (200, Some(0)), "{b}");

    let (id, answers, files) = sent_survey(&app);
    let (a, bb, c) = (answers["A市"], answers["B町"], answers["企画課"]);

    // The owner sees everything, sanitised; the draft's recipients kept.
    let (s, b) = office.get(&format!("/api/surveys/survey.json?id={id}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state"], "open");
    assert_eq!(b["attachments"].as_array().unwrap().len(), 2, "{b}");
    assert_eq!(b["recipients"].as_array().unwrap().len(), 3, "{b}");
    assert!(!b["body"].as_str().unwrap().contains("script"), "{b}");
    assert_eq!(
        b["fields"]["properties"]["内訳"]["fields"]["件数"]["type"],
        "NUMBER"
    );
    // A sent survey is no longer a draft; a second send is refused.
    let (s, b) = office.put(
        "/api/surveys/survey.json",
        json!({"id": id, "title": "変更"}),
    );
    refused(s, &b, "id");
    let (s, b) = office.post("/api/surveys/send.json", json!({"id": id}));
    refused(s, &b, "id");

    // Bell notices to each organisation's contacts; the reminder jobs are planned.
    let sent = ("survey".to_owned(), format!("survey:{id}:sent"));
    for u in ["ga", "gb", "d1"] {
        assert!(
            notifications_of(&app, u).contains(&sent),
            "{u}: {:?}",
            notifications_of(&app, u)
        );
    }
    assert!(notifications_of(&app, "office").is_empty());
    assert!(notifications_of(&app, "outsider").is_empty());
    assert_eq!(
        job_keys(&app),
        vec![
            format!("survey.remind:{id}:0"),
            format!("survey.remind:{id}:3")
        ]
    );

    // The received box of a guest (through its path) holds only its own answer.
    let (s, b) = ga.get("/api/guest/501/surveys.json?box=received");
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["totalCount"], 1, "{b}");
    let mine = b["surveys"][0]["myAnswers"].as_array().unwrap();
    assert_eq!(mine.len(), 1, "{b}");
    assert_eq!(mine[0]["id"], a);
    assert!(b["surveys"][0].get("counts").is_none(), "{b}");

    // A opens it: opened, by whom and when; the dashboard shows it.
    let (s, b) = ga.get(&format!("/api/guest/501/surveys/answer.json?id={a}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["answer"]["state"], "opened");
    assert_eq!(b["survey"]["attachments"].as_array().unwrap().len(), 2);
    assert!(b["survey"].get("recipients").is_none(), "{b}");
    let (_, dash) = office.get(&format!("/api/surveys/answers.json?id={id}&sort=state"));
    let row = dash["answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == a)
        .unwrap()
        .clone();
    assert_eq!(row["state"], "opened");
    assert_eq!(row["openedBy"]["code"], "ga");
    assert!(row["openedAt"].is_string());
    assert_eq!(dash["counts"]["unopened"], 2, "{dash}");
    assert_eq!(dash["counts"]["opened"], 1, "{dash}");
    assert_eq!(dash["counts"]["total"], 3);

    // Save: values are checked like a record (types always; required only on submit).
    let path = "/api/guest/501/surveys/answer.json";
    let (s, b) = ga.put(path, json!({"id": a, "values": {"人数": {"value": "abc"}}}));
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["code"], "CB_VA01");
    let (s, b) = ga.put(
        path,
        json!({"id": a, "values": {"備考": {"value": "途中"}}}),
    );
    assert_eq!(s, 200, "{b}");
    assert!(b["revision"].as_i64().unwrap() > 1);
    let submit = "/api/guest/501/surveys/answer/submit.json";
    let (s, b) = ga.post(submit, json!({"id": a}));
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
    let (_, b) = ga.get(&format!("{path}?id={a}"));
    assert_eq!(b["answer"]["state"], "draft");
    assert_eq!(b["answer"]["values"]["備考"]["value"], "途中", "{b}");

    let values = json!({
        "人数": {"value": "12"},
        "備考": {"value": "提出"},
        "内訳": {"value": [
            {"value": {"区分": {"value": "職員"}, "件数": {"value": "10"}}},
            {"value": {"区分": {"value": "臨時"}, "件数": {"value": "2"}}}
        ]}
    });
    let (s, b) = ga.post(submit, json!({"id": a, "values": values}));
    assert_eq!(s, 200, "{b}");
    let (_, b) = ga.get(&format!("{path}?id={a}"));
    assert_eq!(b["answer"]["state"], "submitted");
    assert_eq!(
        b["answer"]["values"]["内訳"]["value"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(notifications_of(&app, "office")
        .iter()
        .any(|(k, key)| k == "survey"
            && key.starts_with(&format!("survey:{id}:answer:{a}:submitted"))));
    // A second submit and a save after submitting are refused; nothing changes.
    let (s, b) = ga.post(submit, json!({"id": a, "values": values}));
    refused(s, &b, "id");
    let (s, b) = ga.put(path, json!({"id": a, "values": values}));
    refused(s, &b, "id");

    // Return with a comment: the contacts are told; A corrects and submits again.
    let (s, b) = office.post(
        "/api/surveys/answer/return.json",
        json!({"id": a, "comment": "人数を確認してください"}),
    );
    assert_eq!(s, 200, "{b}");
    assert!(notifications_of(&app, "ga")
        .iter()
        .any(|(_, key)| key.starts_with(&format!("survey:{id}:answer:{a}:returned"))));
    let (_, b) = ga.get(&format!("{path}?id={a}"));
    assert_eq!(b["answer"]["state"], "returned");
    assert_eq!(b["answer"]["returnComment"], "人数を確認してください");
    let actions: Vec<&str> = b["answer"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["opened", "saved", "submitted", "returned"]);
    let mut corrected = values.clone();
    corrected["人数"]["value"] = json!("13");
    let (s, b) = ga.put(path, json!({"id": a, "values": corrected}));
    assert_eq!(s, 200, "{b}");
    let (_, b) = ga.get(&format!("{path}?id={a}"));
    assert_eq!(b["answer"]["state"], "draft");
    let (s, b) = ga.post(submit, json!({"id": a}));
    assert_eq!(s, 200, "{b}");
    // Accept: only a submitted answer.
    let (s, b) = office.post("/api/surveys/answer/accept.json", json!({"id": a}));
    assert_eq!(s, 200, "{b}");
    let (s, b) = office.post("/api/surveys/answer/accept.json", json!({"id": a}));
    refused(s, &b, "id");
    let (s, b) = office.post(
        "/api/surveys/answer/return.json",
        json!({"id": c, "comment": "x"}),
    );
    refused(s, &b, "id");

    // Deadlines: B's passed (late), 企画課 extended; remind counts only the unanswered.
    let (s, b) = office.put(
        "/api/surveys/answer/deadline.json",
        json!({"id": bb, "dueAt": iso_in(-3600)}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = office.put(
        "/api/surveys/answer/deadline.json",
        json!({"id": c, "dueAt": iso_in(30 * 86_400)}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, dash) = office.get(&format!("/api/surveys/answers.json?id={id}"));
    let late: Vec<i64> = dash["answers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["late"] == true)
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(late, vec![bb], "{dash}");
    assert_eq!(dash["counts"]["late"], 1);
    assert_eq!(dash["counts"]["accepted"], 1);
    let (_, b) = gb.get(&format!("/api/guest/502/surveys/answer.json?id={bb}"));
    assert_eq!(b["answer"]["late"], true, "{b}");

    let (s, b) = office.post("/api/surveys/remind.json", json!({"id": id}));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["reminded"], 2, "{b}");
    let remind = ("survey".to_owned(), format!("survey:{id}:remind:1"));
    assert!(notifications_of(&app, "gb").contains(&remind));
    assert!(notifications_of(&app, "d1").contains(&remind));
    assert!(!notifications_of(&app, "ga").contains(&remind));
    let (s, b) = office.post(
        "/api/surveys/remind.json",
        json!({"id": id, "answers": [c]}),
    );
    assert_eq!((s, b["reminded"].as_i64()), (200, Some(1)), "{b}");

    // The department member answers through the normal path.
    let (s, b) = d1.get(&format!("/api/surveys/answer.json?id={c}"));
    assert_eq!(s, 200, "{b}");
    let (s, b) = d1.put(
        "/api/surveys/answer.json",
        json!({"id": c, "values": {"人数": {"value": "3"}}}),
    );
    assert_eq!(s, 200, "{b}");

    // Dashboard sorting.
    let (_, dash) = office.get(&format!("/api/surveys/answers.json?id={id}&sort=state"));
    let states: Vec<&str> = dash["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["opened", "draft", "accepted"], "{dash}");
    let (_, dash) = office.get(&format!(
        "/api/surveys/answers.json?id={id}&sort=organisation&order=desc"
    ));
    let names: Vec<&str> = dash["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["organisation"]["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(names, sorted);

    // Close: no more saves or submits, a clear error; closing twice is refused.
    let (s, b) = office.post("/api/surveys/close.json", json!({"id": id}));
    assert_eq!(s, 200, "{b}");
    let (s, b) = gb.put(
        "/api/guest/502/surveys/answer.json",
        json!({"id": bb, "values": {"人数": {"value": "1"}}}),
    );
    refused(s, &b, "id");
    let (s, b) = d1.post("/api/surveys/answer/submit.json", json!({"id": c}));
    refused(s, &b, "id");
    let (s, b) = office.post("/api/surveys/close.json", json!({"id": id}));
    refused(s, &b, "id");

    // The sent box with its counts and the text search.
    let (s, b) = office.get("/api/surveys.json?box=sent&q=防災");
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["totalCount"], 1, "{b}");
    assert_eq!(b["surveys"][0]["state"], "closed");
    assert_eq!(b["surveys"][0]["counts"]["total"], 3);
    let (_, b) =
        office.get("/api/surveys.json?box=sent&q=%E5%AD%98%E5%9C%A8%E3%81%97%E3%81%AA%E3%81%84");
    assert_eq!(b["totalCount"], 0, "{b}");
    let _ = files;
}

#[test]
fn surveys_isolate_organisations() {
    let app = TestApp::spawn();
    world(&app);
    let office = as_user(&app, "office");
    let ga = as_user(&app, "ga");
    let gb = as_user(&app, "gb");
    let d1 = as_user(&app, "d1");
    let outsider = as_user(&app, "outsider");

    // A draft is the owners' only: its files too.
    let draft_file = upload_as(&app, "office", "下書き.txt", b"draft".to_vec());
    let (s, b) = office.post(
        "/api/surveys/survey.json",
        json!({"title": "下書き", "dueAt": iso_in(86_400), "attachments": [{"fileKey": draft_file}],
               "recipients": [{"kind": "space", "code": "501"}]}),
    );
    assert_eq!(s, 200, "{b}");
    let draft = b["id"].as_i64().unwrap();
    let (s, b) = ga.get(&format!("/api/guest/501/surveys/survey.json?id={draft}"));
    forbidden(s, &b);
    assert_eq!(
        download(&app, "ga", "/k/guest/501/v1/file.json", &draft_file),
        404
    );
    assert_eq!(
        download(&app, "office", "/k/v1/file.json", &draft_file),
        200
    );

    let (id, answers, files) = sent_survey(&app);
    let (a, bb, c) = (answers["A市"], answers["B町"], answers["企画課"]);

    // Guest A through its path: its own answer only; B's answer is 403 like a missing one.
    let (s, _) = ga.get(&format!("/api/guest/501/surveys/answer.json?id={a}"));
    assert_eq!(s, 200);
    for other in [bb, c, 999_999] {
        let (s, b) = ga.get(&format!("/api/guest/501/surveys/answer.json?id={other}"));
        forbidden(s, &b);
        let (s, b) = ga.put(
            "/api/guest/501/surveys/answer.json",
            json!({"id": other, "values": {}}),
        );
        forbidden(s, &b);
        let (s, b) = ga.post(
            "/api/guest/501/surveys/answer/submit.json",
            json!({"id": other}),
        );
        forbidden(s, &b);
    }
    // Not through another space's path, nor without a path.
    let (s, b) = ga.get(&format!("/api/guest/502/surveys/answer.json?id={bb}"));
    forbidden(s, &b);
    let (s, b) = ga.get(&format!("/api/surveys/answer.json?id={a}"));
    forbidden(s, &b);
    // No owner call.
    for (method, api, body) in [
        ("GET", format!("surveys/answers.json?id={id}"), Value::Null),
        ("POST", "surveys/remind.json".to_owned(), json!({"id": id})),
        ("POST", "surveys/close.json".to_owned(), json!({"id": id})),
        (
            "POST",
            "surveys/answer/accept.json".to_owned(),
            json!({"id": a}),
        ),
        (
            "POST",
            "surveys/answer/return.json".to_owned(),
            json!({"id": bb, "comment": "x"}),
        ),
        (
            "PUT",
            "surveys/answer/deadline.json".to_owned(),
            json!({"id": a, "dueAt": iso_in(99_999)}),
        ),
        (
            "PUT",
            "surveys/survey.json".to_owned(),
            json!({"id": id, "title": "x"}),
        ),
        (
            "DELETE",
            "surveys/survey.json".to_owned(),
            json!({"id": id}),
        ),
        ("GET", "surveys/organisations.json".to_owned(), Value::Null),
        ("GET", "surveys/lists.json".to_owned(), Value::Null),
    ] {
        let path = format!("/api/guest/501/{api}");
        let (s, b) = match method {
            "GET" => ga.get(&path),
            "POST" => ga.post(&path, body),
            "PUT" => ga.put(&path, body),
            _ => ga.delete(&path, body),
        };
        forbidden(s, &b);
    }
    let (s, b) = ga.post(
        "/api/guest/501/surveys/survey.json",
        json!({"title": "x", "dueAt": iso_in(3600)}),
    );
    forbidden(s, &b);
    // The member's view of the survey: the request and its own answer, never the others.
    let (s, b) = ga.get(&format!("/api/guest/501/surveys/survey.json?id={id}"));
    assert_eq!(s, 200, "{b}");
    assert!(b.get("recipients").is_none(), "{b}");
    let text = b.to_string();
    assert!(!text.contains("B町") && !text.contains("企画課"), "{text}");
    // The received box: nothing of the others; the sent box of a guest is its received box.
    let (_, b) = ga.get("/api/guest/501/surveys.json?box=sent");
    let text = b.to_string();
    assert!(!text.contains("B町") && !text.contains("企画課"), "{text}");
    assert!(b["surveys"][0].get("counts").is_none(), "{b}");

    // Files: the attachments reach the members once sent; B's answer sheet only B and owners.
    assert_eq!(
        download(&app, "ga", "/k/guest/501/v1/file.json", &files[0]),
        200
    );
    assert_eq!(
        download(&app, "outsider", "/k/v1/file.json", &files[0]),
        404
    );
    assert_eq!(download(&app, "d1", "/k/v1/file.json", &files[1]), 200);
    let sheet = upload_through(
        &app,
        "/k/guest/502/v1/file.json",
        "gb",
        "回答.txt",
        b"B's answer".to_vec(),
    );
    {
        let (_db, mut conn) = db(&app);
        let mut q = conn.sql();
        q.push("INSERT INTO survey_answer_files (file_key, answer_id) VALUES (")
            .bind_text(&sheet)
            .push(", ")
            .bind_int(bb)
            .push(")");
        conn.execute(&q).unwrap();
    }
    assert_eq!(
        download(&app, "ga", "/k/guest/501/v1/file.json", &sheet),
        404
    );
    assert_eq!(
        download(&app, "ga", "/k/guest/502/v1/file.json", &sheet),
        403
    );
    assert_eq!(download(&app, "d1", "/k/v1/file.json", &sheet), 404);
    assert_eq!(
        download(&app, "gb", "/k/guest/502/v1/file.json", &sheet),
        200
    );
    assert_eq!(download(&app, "office", "/k/v1/file.json", &sheet), 200);

    // Departments: a member answers; someone outside the department gets 403.
    let (s, _) = d1.get(&format!("/api/surveys/answer.json?id={c}"));
    assert_eq!(s, 200);
    let (s, b) = d1.get(&format!("/api/surveys/answer.json?id={a}"));
    forbidden(s, &b);
    let (s, b) = outsider.get(&format!("/api/surveys/answer.json?id={c}"));
    forbidden(s, &b);
    let (s, b) = outsider.get(&format!("/api/surveys/survey.json?id={id}"));
    forbidden(s, &b);
    let (_, b) = outsider.get("/api/surveys.json?box=received");
    assert_eq!(b["totalCount"], 0, "{b}");
    let (_, b) = d1.get("/api/surveys.json?box=received");
    assert_eq!(b["totalCount"], 1, "{b}");
    assert_eq!(b["surveys"][0]["myAnswers"][0]["id"], c);
    // Nobody but A's members opened A's answer: the others' attempts left no trace.
    let (_, dash) = office.get(&format!("/api/surveys/answers.json?id={id}"));
    for r in dash["answers"].as_array().unwrap() {
        if r["id"] == bb {
            assert_eq!(r["state"], "unopened", "{dash}");
        }
    }
    let _ = gb;
}

#[test]
fn surveys_recipient_lists_and_organisations() {
    let app = TestApp::spawn();
    world(&app);
    let office = as_user(&app, "office");
    let (s, b) = office.get("/api/surveys/organisations.json");
    assert_eq!(s, 200, "{b}");
    let orgs = b["organisations"].as_array().unwrap();
    let a = orgs.iter().find(|o| o["name"] == "A市").unwrap();
    // A guest space's default contacts are its guests.
    assert_eq!(a["contacts"], json!([{"code": "ga", "name": "ga"}]));
    let k = orgs.iter().find(|o| o["code"] == "kikaku").unwrap();
    assert_eq!(k["kind"], "department");
    assert_eq!(k["contacts"][0]["code"], "d1");

    let (s, b) = office.post(
        "/api/surveys/lists.json",
        json!({"name": "県内2市町", "entries": [{"kind": "space", "code": "501"}, {"kind": "space", "code": "502"}]}),
    );
    assert_eq!(s, 200, "{b}");
    let list = b["id"].as_i64().unwrap();
    let (_, b) = office.get("/api/surveys/lists.json");
    assert_eq!(b["lists"][0]["entries"][1]["name"], "B町", "{b}");
    // Another user does not see or change it.
    let d1 = as_user(&app, "d1");
    let (_, b) = d1.get("/api/surveys/lists.json");
    assert_eq!(b["lists"], json!([]));
    let (s, b) = d1.delete("/api/surveys/lists.json", json!({"id": list}));
    forbidden(s, &b);

    // A list as a recipient expands at send, each organisation once.
    let (s, b) = office.post(
        "/api/surveys/survey.json",
        json!({"title": "リスト宛て", "dueAt": iso_in(86_400),
               "recipients": [{"kind": "list", "code": list.to_string()}, {"kind": "space", "code": "501"}]}),
    );
    assert_eq!(s, 200, "{b}");
    let id = b["id"].as_i64().unwrap();
    let (s, b) = office.post("/api/surveys/send.json", json!({"id": id}));
    assert_eq!((s, b["answers"].as_i64()), (200, Some(2)), "{b}");
    let (s, b) = office.put(
        "/api/surveys/lists.json",
        json!({"id": list, "name": "改名"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = office.delete("/api/surveys/lists.json", json!({"id": list}));
    assert_eq!(s, 200, "{b}");
    // Deleting a draft: only drafts.
    let (s, b) = office.delete("/api/surveys/survey.json", json!({"id": id}));
    refused(s, &b, "id");
}

#[test]
fn surveys_reminder_job_notifies_the_unanswered_once() {
    let app = TestApp::spawn();
    world(&app);
    let office = as_user(&app, "office");
    let ga = as_user(&app, "ga");
    // Due in a few seconds, reminded on the due time: the job runs then.
    let (s, b) = office.post(
        "/api/surveys/survey.json",
        json!({"title": "急ぎ", "dueAt": iso_in(4), "reminders": [0],
               "recipients": [{"kind": "space", "code": "501"}, {"kind": "space", "code": "502"}]}),
    );
    assert_eq!(s, 200, "{b}");
    let id = b["id"].as_i64().unwrap();
    let (s, b) = office.post("/api/surveys/send.json", json!({"id": id}));
    assert_eq!(s, 200, "{b}");
    let (_, b) = ga.get("/api/guest/501/surveys.json?box=received");
    let a = b["surveys"][0]["myAnswers"][0]["id"].as_i64().unwrap();
    let (s, b) = ga.post(
        "/api/guest/501/surveys/answer/submit.json",
        json!({"id": a}),
    );
    assert_eq!(s, 200, "{b}");
    let key = format!("survey:{id}:remind:survey.remind:{id}:0");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !notifications_of(&app, "gb").iter().any(|(_, k)| *k == key) {
        assert!(
            std::time::Instant::now() < deadline,
            "no reminder: {:?}",
            notifications_of(&app, "gb")
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    // A submitted its answer: not reminded.
    assert!(!notifications_of(&app, "ga").iter().any(|(_, k)| *k == key));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (_, b) = office.get(&format!("/api/surveys/answers.json?id={id}"));
    assert_eq!(b["counts"]["late"], 1, "{b}");
}
