//! The server-wide review policy (off / every app / apps of chosen departments) gating deploys, the
//! reviewers' queue and header count, the diff in sentences with people's names, and the workflow
//! diagram naming every assignee in full.

use kumiki_tests::{Auth, Client2, TestApp};
use serde_json::{json, Value};

const PW: &str = "policy-password-1";

fn as_user<'a>(app: &'a TestApp, login: &str) -> Client2<'a> {
    app.with_auth(Auth::Password(login.into(), PW.into()))
}

/// A user with a display name and, optionally, a primary department.
fn person(app: &TestApp, code: &str, name: &str, department: Option<&str>) {
    let (s, b) = app.post(
        "/api/org/users.json",
        json!({"code": code, "name": name, "password": PW, "mustChangePassword": false}),
    );
    assert_eq!(s, 200, "{b}");
    if let Some(d) = department {
        let (s, b) = app.put(
            "/api/org/memberships.json",
            json!({"user": code, "departments": [d], "primaryDepartment": d}),
        );
        assert_eq!(s, 200, "{b}");
    }
}

fn department(app: &TestApp, code: &str, name: &str, parent: Option<&str>) {
    let (s, b) = app.post(
        "/api/org/departments.json",
        json!({"code": code, "name": name, "parentCode": parent}),
    );
    assert_eq!(s, 200, "{b}");
}

/// The organisation of the scenarios: 総務部 › 総務課, and 企画課; sato builds in 総務課, kato in 企画課.
fn organisation(app: &TestApp) {
    department(app, "somu-bu", "総務部", None);
    department(app, "somu", "総務課", Some("somu-bu"));
    department(app, "kikaku", "企画課", None);
    person(app, "sato", "佐藤 一郎", Some("somu"));
    person(app, "kato", "加藤 次郎", Some("kikaku"));
    person(app, "ito", "伊藤 三郎", None);
    let (s, b) = app.post(
        "/api/org/groups.json",
        json!({"code": "it-reviewers", "name": "情報政策課"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/api/org/memberships.json",
        json!({"user": "ito", "groups": ["it-reviewers"]}),
    );
    assert_eq!(s, 200, "{b}");
}

/// An app created (and first deployed, with no policy yet) by `login`, then changed pre-live.
fn app_of(app: &TestApp, login: &str, name: &str) -> i64 {
    // Department users build apps here: the server's default lets only administrators.
    app.allow_app_creation_by_everyone();
    let c = as_user(app, login);
    let (s, b) = c.post("/k/v1/preview/app.json", json!({"name": name}));
    assert_eq!(s, 200, "{b}");
    let id: i64 = b["app"].as_str().unwrap().parse().unwrap();
    let (s, b) = c.post(
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": id}]}),
    );
    assert_eq!(s, 200, "{b}");
    change(app, login, id, "備考");
    id
}

fn change(app: &TestApp, login: &str, id: i64, code: &str) {
    let (s, b) = as_user(app, login).post(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": id, "properties": {code: {"type": "SINGLE_LINE_TEXT", "code": code, "label": code}}}),
    );
    assert_eq!(s, 200, "{b}");
}

fn deploy(app: &TestApp, login: &str, id: i64) -> (u16, Value) {
    as_user(app, login).post(
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": id}]}),
    )
}

fn set_policy(app: &TestApp, body: Value) -> Value {
    let (s, b) = app.put("/api/review/policy.json", body);
    assert_eq!(s, 200, "{b}");
    b
}

#[test]
fn the_policy_gates_deploys_of_exactly_the_apps_it_covers() {
    let app = TestApp::spawn();
    organisation(&app);
    let somu_app = app_of(&app, "sato", "備品貸出管理");
    let kikaku_app = app_of(&app, "kato", "イベント申込");

    // Off (the default): nothing waits.
    let (s, b) = app.get("/api/review/policy.json");
    assert_eq!((s, b["mode"].as_str()), (200, Some("off")), "{b}");
    assert_eq!(deploy(&app, "sato", somu_app).0, 200);
    change(&app, "sato", somu_app, "貸出日");

    // Apps of 総務部 (which covers 総務課, sato's primary department).
    let b = set_policy(
        &app,
        json!({"mode": "departments", "departments": ["somu-bu"]}),
    );
    assert_eq!(
        b["departments"],
        json!([{"code": "somu-bu", "name": "総務部"}])
    );
    let (s, b) = deploy(&app, "sato", somu_app);
    assert_eq!((s, b["code"].as_str()), (409, Some("GAIA_RV01")), "{b}");
    let (s, b) = deploy(&app, "kato", kikaku_app);
    assert_eq!(s, 200, "企画課 is not chosen: {b}");
    // The review page says why.
    let (_, b) =
        as_user(&app, "sato").get(&format!("/api/app/review/submissions.json?app={somu_app}"));
    assert_eq!(b["requireReview"], true, "{b}");
    assert_eq!(b["requiredBy"], "policy", "{b}");

    // Every app.
    set_policy(&app, json!({"mode": "all"}));
    change(&app, "kato", kikaku_app, "会場");
    let (s, b) = deploy(&app, "kato", kikaku_app);
    assert_eq!((s, b["code"].as_str()), (409, Some("GAIA_RV01")), "{b}");
    // Rolled back with the rest of the call: nothing went live.
    let (_, b) = app.get(&format!("/k/v1/app/form/fields.json?app={kikaku_app}"));
    assert!(b["properties"].get("会場").is_none(), "{b}");

    // Approval lets the builder deploy.
    let (s, b) = as_user(&app, "kato").post(
        "/api/app/review/submit.json",
        json!({"app": kikaku_app, "comment": "会場を追加"}),
    );
    assert_eq!(s, 200, "{b}");
    let submission = b["submission"]["id"].as_str().unwrap().to_owned();
    let (s, b) = as_user(&app, "ito").post(
        "/api/app/review/decide.json",
        json!({"app": kikaku_app, "submission": submission, "approve": true, "comment": "OK"}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(deploy(&app, "kato", kikaku_app).0, 200);

    // Off again: sato deploys without review.
    set_policy(&app, json!({"mode": "off"}));
    assert_eq!(deploy(&app, "sato", somu_app).0, 200);
}

#[test]
fn only_administrators_change_the_policy_and_bad_input_is_refused() {
    let app = TestApp::spawn();
    organisation(&app);
    let body = json!({"mode": "all"});
    for login in ["sato", "ito"] {
        let (s, b) = as_user(&app, login).put("/api/review/policy.json", body.clone());
        assert_eq!(
            (s, b["code"].as_str()),
            (403, Some("CB_NO02")),
            "{login}: {b}"
        );
    }
    let (s, b) = as_user(&app, "sato").get("/api/review/policy.json");
    assert_eq!((s, b["mode"].as_str()), (200, Some("off")), "{b}");

    let (s, b) = app.put("/api/review/policy.json", json!({"mode": "some"}));
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
    assert!(b["errors"]["mode"].is_object(), "{b}");
    let (s, b) = app.put(
        "/api/review/policy.json",
        json!({"mode": "departments", "departments": ["somu", "nowhere"]}),
    );
    assert_eq!(s, 400, "{b}");
    assert!(b["errors"]["departments[1]"].is_object(), "{b}");
    let (s, b) = app.put(
        "/api/review/policy.json",
        json!({"mode": "departments", "departments": []}),
    );
    assert_eq!(s, 400, "{b}");
    assert!(b["errors"]["departments"].is_object(), "{b}");
    // Nothing was stored by the refused calls.
    let (_, b) = app.get("/api/review/policy.json");
    assert_eq!(b["mode"], "off");

    set_policy(
        &app,
        json!({"mode": "departments", "departments": ["kikaku"]}),
    );
    let (s, b) = app.get("/api/audit.json?action=review.policy.update");
    assert_eq!(s, 200, "{b}");
    let entries = b["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{b}");
    let detail = entries[0]["detail"].to_string();
    assert!(
        detail.contains("kikaku") && detail.contains("off"),
        "{detail}"
    );
}

#[test]
fn the_queue_lists_pending_submissions_to_reviewers_only() {
    let app = TestApp::spawn();
    organisation(&app);
    set_policy(&app, json!({"mode": "all"}));
    let first = app_of_under_policy(&app, "sato", "備品貸出管理");
    let second = app_of_under_policy(&app, "kato", "イベント申込");
    let decided = app_of_under_policy(&app, "kato", "会議室予約");
    for (id, login) in [(first, "sato"), (second, "kato"), (decided, "kato")] {
        let (s, b) = as_user(&app, login).post(
            "/api/app/review/submit.json",
            json!({"app": id, "comment": "お願いします"}),
        );
        assert_eq!(s, 200, "{b}");
        if id == decided {
            let sub = b["submission"]["id"].as_str().unwrap().to_owned();
            let (s, b) = as_user(&app, "ito").post(
                "/api/app/review/decide.json",
                json!({"app": id, "submission": sub, "approve": false, "comment": "項目名を見直してください"}),
            );
            assert_eq!(s, 200, "{b}");
        }
    }
    let (s, b) = as_user(&app, "sato").get("/api/review/queue.json");
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")), "{b}");

    for reviewer in ["ito", "Administrator"] {
        let (s, b) = if reviewer == "Administrator" {
            app.get("/api/review/queue.json")
        } else {
            as_user(&app, reviewer).get("/api/review/queue.json")
        };
        assert_eq!(s, 200, "{b}");
        let list = b["submissions"].as_array().unwrap();
        let apps: Vec<&str> = list.iter().map(|s| s["app"].as_str().unwrap()).collect();
        assert_eq!(
            apps,
            vec![first.to_string(), second.to_string()],
            "pending only, oldest first: {b}"
        );
        assert_eq!(list[0]["appName"], "備品貸出管理");
        assert_eq!(list[0]["submitter"]["name"], "佐藤 一郎");
        assert_eq!(list[0]["current"], true);
        // A never-live app shows its first field and its default permission list (issue 12: a
        // new app starts with CREATOR and everyone's record rights) for review.
        assert_eq!(
            list[0]["summary"],
            json!([{"section": "fields", "count": 1}, {"section": "permissions", "count": 3}])
        );
    }

    // The header of a reviewer's pages counts them; a department user sees no count.
    let ito = app.sign_in_form("ito", PW);
    let (s, html) = app.page(&ito, "/review");
    assert_eq!(s, 200);
    assert!(html.contains("data-testid=\"review-count\""), "{html}");
    assert!(html.contains(">2</span>"), "{html}");
    assert!(
        html.contains("備品貸出管理") && html.contains("佐藤 一郎"),
        "{html}"
    );
    let sato = app.sign_in_form("sato", PW);
    let (s, html) = app.page(&sato, "/");
    assert_eq!(s, 200);
    assert!(!html.contains("data-testid=\"review-count\""), "{html}");
    let (s, _) = app.page(&sato, "/review");
    assert_eq!(s, 404, "the queue is for reviewers");

    // Once approved, an app leaves the queue.
    let (_, b) = app.get("/api/review/queue.json");
    let sub = b["submissions"][0]["id"].as_str().unwrap().to_owned();
    let (s, b) = app.post(
        "/api/app/review/decide.json",
        json!({"app": first, "submission": sub, "approve": true, "comment": ""}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, b) = app.get("/api/review/queue.json");
    assert_eq!(b["submissions"].as_array().unwrap().len(), 1, "{b}");
}

/// An app created while the policy is on: it has never gone live, and its first fields wait.
fn app_of_under_policy(app: &TestApp, login: &str, name: &str) -> i64 {
    app.allow_app_creation_by_everyone();
    let c = as_user(app, login);
    let (s, b) = c.post("/k/v1/preview/app.json", json!({"name": name}));
    assert_eq!(s, 200, "{b}");
    let id: i64 = b["app"].as_str().unwrap().parse().unwrap();
    change(app, login, id, "備考");
    let (s, b) = deploy(app, login, id);
    assert_eq!((s, b["code"].as_str()), (409, Some("GAIA_RV01")), "{b}");
    id
}

#[test]
fn the_diff_says_who_was_added_and_the_diagram_names_every_assignee() {
    let app = TestApp::spawn();
    organisation(&app);
    for (code, name) in [
        ("suzuki", "鈴木 花子"),
        ("takahashi", "高橋 健太郎"),
        ("tanaka", "田中 美咲"),
        ("watanabe", "渡辺 大輔"),
    ] {
        person(&app, code, name, Some("somu"));
    }
    let id = app_of(&app, "sato", "備品貸出管理");
    let states = |approvers: Value| {
        json!({
            "申請中": {"name": "申請中", "index": "0", "assignee": {"type": "ONE", "entities": []}},
            "承認待ち": {"name": "承認待ち", "index": "1", "assignee": {"type": "ALL", "entities": approvers}},
            "貸出中": {"name": "貸出中", "index": "2", "assignee": {"type": "ONE", "entities": []}}
        })
    };
    let actions = json!([
        {"name": "申請する", "from": "申請中", "to": "承認待ち"},
        {"name": "承認する", "from": "承認待ち", "to": "貸出中"}
    ]);
    let (s, b) = as_user(&app, "sato").put(
        "/k/v1/preview/app/status.json",
        json!({"app": id, "enable": true, "states": states(json!([])), "actions": actions}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(deploy(&app, "sato", id).0, 200);

    let people = ["sato", "suzuki", "takahashi", "tanaka", "watanabe"];
    let entities: Vec<Value> = people
        .iter()
        .map(|c| json!({"entity": {"type": "USER", "code": c}}))
        .collect();
    let (s, b) = as_user(&app, "sato").put(
        "/k/v1/preview/app/status.json",
        json!({"app": id, "states": states(Value::Array(entities)), "actions": actions}),
    );
    assert_eq!(s, 200, "{b}");

    let (s, b) = as_user(&app, "sato").get(&format!("/api/app/diff.json?app={id}"));
    assert_eq!(s, 200, "{b}");
    let process = b["statements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["section"] == "process")
        .unwrap_or_else(|| panic!("process section: {b}"));
    let added = &process["statements"][0];
    assert_eq!(added["key"], "review.say.assignee_added", "{b}");
    assert_eq!(added["args"]["state"], "承認待ち");
    let who: Vec<&str> = added["args"]["who"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        who,
        vec![
            "佐藤 一郎",
            "鈴木 花子",
            "高橋 健太郎",
            "田中 美咲",
            "渡辺 大輔"
        ]
    );
    // The path-by-path detail stays available.
    assert!(b["text"].as_str().unwrap().contains("USER:sato"), "{b}");

    let resp = reqwest::blocking::Client::new()
        .get(app.url(&format!(
            "/api/app/diagram.svg?app={id}&stage=preview&lang=ja"
        )))
        .header("X-Cybozu-Authorization", b64("sato", PW))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let svg = resp.text().unwrap();
    for name in [
        "佐藤 一郎",
        "鈴木 花子",
        "高橋 健太郎",
        "田中 美咲",
        "渡辺 大輔",
    ] {
        let on_a_line = svg
            .split("<text class=\"assignee\"")
            .skip(1)
            .any(|t| t.split("</text>").next().unwrap_or_default().contains(name));
        assert!(on_a_line, "{name} whole on one line of its box: {svg}");
    }
    assert!(!svg.contains('…'), "nothing truncated: {svg}");
    assert!(!svg.contains(">sato<") && !svg.contains(" sato"), "{svg}");
}

fn b64(login: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"))
}

/// Creating an app from a template under a policy that covers the builder: without its example
/// records the app is created pre-live, to be reviewed like any change; with them the portal says why
/// that cannot be done, and nothing is created.
#[test]
fn templates_under_the_policy_wait_for_review() {
    let app = TestApp::spawn_with(|s| s.load_examples = false);
    organisation(&app);
    set_policy(&app, json!({"mode": "all"}));
    app.allow_app_creation_by_everyone();
    let session = app.sign_in_form("sato", PW);
    let (s, html) = app.page(&session, "/");
    assert_eq!(s, 200);
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let csrf = html[start..start + html[start..].find('"').unwrap()].to_owned();
    let post = |with_records: bool| {
        let mut form = vec![("_csrf", csrf.as_str()), ("template", "survey-requests")];
        if with_records {
            form.push(("with_records", "on"));
        }
        kumiki_tests::page_client()
            .post(app.url("/apps/new"))
            .header("Cookie", &session)
            .form(&form)
            .send()
            .unwrap()
    };
    let apps_now = || {
        let (s, b) = app.get("/k/v1/apps.json");
        assert_eq!(s, 200, "{b}");
        b["apps"].as_array().unwrap().len()
    };
    let before = apps_now();

    let refused = post(true);
    assert_eq!(refused.status().as_u16(), 200);
    assert!(refused.text().unwrap().contains("審査が必要なため"));
    assert_eq!(apps_now(), before, "nothing was created");

    let created = post(false);
    assert_eq!(created.status().as_u16(), 303);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let id: i64 = location
        .trim_start_matches("/apps/")
        .trim_end_matches("/settings")
        .parse()
        .unwrap();
    // Pre-live only: not deployable without an approved review.
    let (s, b) = as_user(&app, "sato").post(
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": id}]}),
    );
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["code"], "GAIA_RV01");
}
