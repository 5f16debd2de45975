//! The example apps load on an empty database, their records answer queries, and an export imports
//! back into an identical app.

use kumiki_tests::{Auth, TestApp};
use serde_json::json;

#[test]
fn examples_load_and_answer_queries() {
    let app = TestApp::spawn_with(|s| s.load_examples = true);
    let (s, b) = app.get("/k/v1/apps.json");
    assert_eq!(s, 200);
    let names: Vec<&str> = b["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "調査照会",
            "職員名簿",
            "文書書庫",
            "文書収受簿",
            "相談案件管理"
        ]
    );
    for app_id in 1..=5 {
        let (s, b) = app.get(&format!("/k/v1/records.json?app={app_id}&totalCount=true"));
        assert_eq!(s, 200, "{b}");
        let total: i64 = b["totalCount"].as_str().unwrap().parse().unwrap();
        assert!(total >= 40, "app {app_id} has sample records");
        let (_, views) = app.get(&format!("/k/v1/app/views.json?app={app_id}"));
        for (name, view) in views["views"].as_object().unwrap() {
            let mut q = view["filterCond"].as_str().unwrap_or_default().to_owned();
            if let Some(sort) = view["sort"].as_str().filter(|s| !s.is_empty()) {
                q = format!("{q} order by {sort}");
            }
            let encoded: String = q.bytes().map(|b| format!("%{b:02X}")).collect();
            let (s, b) = app.get(&format!("/k/v1/records.json?app={app_id}&query={encoded}"));
            assert_eq!(s, 200, "view {name} of app {app_id}: {b}");
        }
    }
    // The archive has attachments that download.
    let (_, b) = app.get("/k/v1/records.json?app=3&query=%E6%B7%BB%E4%BB%98%E3%83%95%E3%82%A1%E3%82%A4%E3%83%AB%20is%20not%20empty");
    let file = &b["records"][0]["添付ファイル"]["value"][0];
    let (s, _) = app.get(&format!(
        "/k/v1/file.json?fileKey={}",
        file["fileKey"].as_str().unwrap()
    ));
    assert_eq!(s, 200);
    example_survey(&app);
    case_requests(&app);
}

fn count(app: &TestApp, app_id: i64, query: &str) -> i64 {
    let encoded: String = format!("{query} limit 1")
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect();
    let (s, b) = app.get(&format!(
        "/k/v1/records.json?app={app_id}&query={encoded}&totalCount=true"
    ));
    assert_eq!(s, 200, "{query}: {b}");
    b["totalCount"].as_str().unwrap().parse().unwrap()
}

/// 相談案件管理 (scenario 4): 104 requests spread over the process states by the package's actions,
/// received over twelve months, with its three charts in the definition.
fn case_requests(app: &TestApp) {
    assert_eq!(count(app, 5, ""), 104);
    let mut total = 0;
    for state in ["受付", "対応中", "確認中", "完了", "見送り"] {
        let n = count(app, 5, &format!("Status in (\"{state}\")"));
        assert!(n > 0, "no request in {state}");
        total += n;
    }
    assert_eq!(total, 104);
    // Every month of the twelve before 2026-11-27 received requests.
    for month in 0..12 {
        let (y, m) = if month < 1 { (2025, 12) } else { (2026, month) };
        let next = if m == 12 {
            format!("{}-01-01", y + 1)
        } else {
            format!("{y}-{:02}-01", m + 1)
        };
        let q = format!("受付日 >= \"{y}-{m:02}-01\" and 受付日 < \"{next}\"");
        assert!(count(app, 5, &q) > 0, "{q}");
    }
    let (s, b) = app.get("/k/v1/app/status.json?app=5");
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["enable"], true);
    let reports = export_of(app, 5)["reports"].clone();
    let kinds: Vec<(&str, &str)> = reports
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, r)| (name.as_str(), r["chartType"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("状態別の件数", "PIE"),
            ("月別の受付件数", "COLUMN"),
            ("担当課×状態", "PIVOT_TABLE")
        ]
    );
    assert_eq!(reports["月別の受付件数"]["groups"][0]["per"], "MONTH");
}

fn export_of(app: &TestApp, app_id: i64) -> serde_json::Value {
    let db = kumiki_engine::db::Database::connect(&app.database_url, 2).unwrap();
    let files = kumiki_engine::records::FileStore::new(app.data_dir.path().join("files")).unwrap();
    let mut conn = db.conn().unwrap();
    let acting = kumiki_engine::acting::ActingContext::system(
        kumiki_engine::acting::Channel::Cli,
        chrono_tz_tokyo(),
    );
    conn.read_transaction(|c| {
        kumiki_engine::packages::export_package(
            c,
            &files,
            &acting,
            kumiki_engine::apps::AppId(app_id),
            false,
        )
    })
    .unwrap()
}

/// The example survey (issue 14): 51 organisations of みどり県, answers in every state, late ones
/// and extensions, two attachments.
fn example_survey(app: &TestApp) {
    let (s, b) = app.get("/api/surveys.json?box=sent");
    assert_eq!(s, 200, "{b}");
    let surveys = b["surveys"].as_array().unwrap();
    assert_eq!(surveys.len(), 1, "{b}");
    assert_eq!(
        surveys[0]["title"],
        "令和8年度 地域防災体制に関する調査（架空省）"
    );
    let id = surveys[0]["id"].as_i64().unwrap();
    let (s, b) = app.get(&format!("/api/surveys/answers.json?id={id}"));
    assert_eq!(s, 200, "{b}");
    let counts = &b["counts"];
    let expected = [
        ("total", 51),
        ("unopened", 8),
        ("opened", 6),
        ("draft", 8),
        ("submitted", 12),
        ("returned", 5),
        ("accepted", 12),
    ];
    for (state, n) in expected {
        assert_eq!(counts[state], n, "{state}: {counts}");
    }
    let answers = b["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 51);
    let late = answers.iter().filter(|a| a["late"] == true).count();
    let extended = answers.iter().filter(|a| a["extended"] == true).count();
    // Not submitted/accepted and past the original due date, except the extended ones.
    assert_eq!(late, 8 + 6 + 8 + 5 - 3, "{counts}");
    assert_eq!(extended, 5);
    assert!(answers
        .iter()
        .filter(|a| a["state"] == "returned")
        .all(|a| !a["returnComment"].as_str().unwrap().is_empty()));
    assert_eq!(
        b["survey"]["attachments"].as_array().unwrap().len(),
        2,
        "{b}"
    );
    // An accepted answer carries its values and its history.
    let accepted = answers.iter().find(|a| a["state"] == "accepted").unwrap();
    let (s, b) = app.get(&format!("/api/surveys/answer.json?id={}", accepted["id"]));
    assert_eq!(s, 200, "{b}");
    assert!(
        b["answer"]["values"]["避難所一覧"]["value"]
            .as_array()
            .unwrap()
            .len()
            >= 3,
        "{b}"
    );
    let events: Vec<&str> = b["answer"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["opened", "saved", "submitted", "accepted"], "{b}");
    example_contacts_have_no_password(app);
}

/// The survey's contacts are made without a password: nothing signs one in (not even the stored
/// marker itself) until the administrator sets a password.
fn example_contacts_have_no_password(app: &TestApp) {
    let contact = "midori-01-tanto";
    for guess in ["", kumiki_engine::users::NO_PASSWORD, "midori-01-tanto"] {
        let (s, b) = app
            .with_auth(Auth::Password(contact.into(), guess.into()))
            .get("/k/v1/apps.json");
        assert_eq!(
            (s, b["code"].as_str()),
            (401, Some("CB_WA01")),
            "{guess:?}: {b}"
        );
    }
    let (s, b) = app.put(
        "/api/org/users.json",
        json!({"code": contact, "password": "contact-pass-123", "mustChangePassword": false}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app
        .with_auth(Auth::Password(contact.into(), "contact-pass-123".into()))
        .get("/api/surveys.json?box=received");
    assert_eq!(s, 200, "{b}");
}

#[test]
fn export_then_import_gives_the_same_app() {
    let app = TestApp::spawn_with(|s| s.load_examples = true);
    let db = kumiki_engine::db::Database::connect(&app.database_url, 2).unwrap();
    let files = kumiki_engine::records::FileStore::new(app.data_dir.path().join("files")).unwrap();
    let mut conn = db.conn().unwrap();
    let acting = kumiki_engine::acting::ActingContext::system(
        kumiki_engine::acting::Channel::Cli,
        chrono_tz_tokyo(),
    );
    let package = conn
        .read_transaction(|c| {
            kumiki_engine::packages::export_package(
                c,
                &files,
                &acting,
                kumiki_engine::apps::AppId(3),
                true,
            )
        })
        .unwrap();
    let new_id = conn
        .write_transaction(|c| {
            kumiki_engine::packages::import_package(
                c,
                &files,
                &package,
                &mut kumiki_engine::packages::NoFiles,
                &acting,
                true,
            )
        })
        .unwrap();
    let (_, a) = app.get("/k/v1/records.json?app=3&query=order%20by%20%24id%20asc%20limit%20500");
    let (_, b) = app.get(&format!(
        "/k/v1/records.json?app={}&query=order%20by%20%24id%20asc%20limit%20500",
        new_id.0
    ));
    let strip = |v: &serde_json::Value| -> Vec<serde_json::Value> {
        v["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let mut r = r.clone();
                let obj = r.as_object_mut().unwrap();
                for (_, field) in obj.iter_mut() {
                    // Keys of attachments and subtable rows are new in the copy.
                    if field["type"] == "FILE" {
                        for f in field["value"].as_array_mut().unwrap() {
                            f.as_object_mut().unwrap().remove("fileKey");
                        }
                    }
                    if field["type"] == "SUBTABLE" {
                        for row in field["value"].as_array_mut().unwrap() {
                            row.as_object_mut().unwrap().remove("id");
                        }
                    }
                }
                obj.remove("Updated_datetime");
                obj.remove("Updated_by");
                r
            })
            .collect()
    };
    assert_eq!(strip(&a), strip(&b));

    // The charts and print templates travel with the package.
    let cases = export_of(&app, 5);
    let copy = conn
        .write_transaction(|c| {
            kumiki_engine::packages::import_package(
                c,
                &files,
                &cases,
                &mut kumiki_engine::packages::NoFiles,
                &acting,
                false,
            )
        })
        .unwrap();
    let again = export_of(&app, copy.0);
    assert_eq!(again["reports"], cases["reports"]);
    assert_eq!(again["printTemplates"], cases["printTemplates"]);
}

fn chrono_tz_tokyo() -> chrono_tz::Tz {
    chrono_tz::Asia::Tokyo
}
