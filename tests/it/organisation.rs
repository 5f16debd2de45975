//! Organisation and audit: admin-only APIs and pages, the department tree, memberships in the principal
//! that permission checks see, per-user and per-app tokens, audit rows for sign-ins (with the peer),
//! token changes, deploys and deletions, the CSV export, and the append-only audit table.

use kumiki_tests::{Auth, TestApp, ADMIN_PASSWORD};
use reqwest::blocking::Client;
use reqwest::redirect::Policy;
use serde_json::{json, Value};

fn client() -> Client {
    Client::builder().redirect(Policy::none()).build().unwrap()
}

fn cookie_value(resp: &reqwest::blocking::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// Signs in through the form; the session cookie, or the page shown instead.
fn sign_in(app: &TestApp, login: &str, password: &str) -> Result<String, String> {
    let c = client();
    let page = c.get(app.url("/login")).send().unwrap();
    let login_cookie = cookie_value(&page, "__Host-kumiki_login_csrf").unwrap();
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
    if resp.status().as_u16() == 303 {
        Ok(cookie_value(&resp, "__Host-kumiki_session").unwrap())
    } else {
        Err(resp.text().unwrap())
    }
}

fn basic(login: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"))
}

fn page(app: &TestApp, session: &str, path: &str) -> (u16, String) {
    let resp = client()
        .get(app.url(path))
        .header("Cookie", session)
        .send()
        .unwrap();
    (resp.status().as_u16(), resp.text().unwrap())
}

fn audit(app: &TestApp, query: &str) -> Vec<Value> {
    let (s, b) = app.get(&format!("/api/audit.json?{query}"));
    assert_eq!(s, 200, "{b}");
    b["entries"].as_array().unwrap().clone()
}

fn clerk(app: &TestApp) -> Auth {
    app.user("clerk", "clerk-password-1");
    Auth::Password("clerk".into(), "clerk-password-1".into())
}

#[test]
fn administration_is_for_administrators_only() {
    let app = TestApp::spawn();
    let id = app.create_app("台帳", kumiki_tests::sample_fields());
    let clerk_auth = clerk(&app);
    let as_clerk = app.with_auth(clerk_auth);
    let token = app.token(id, "view,add,edit,delete,manage");
    let as_token = app.with_auth(Auth::Tokens(token));
    for path in [
        "/api/org/users.json",
        "/api/org/departments.json",
        "/api/org/groups.json",
        "/api/tokens/user.json",
        &format!("/api/tokens/app.json?app={id}"),
        "/api/audit.json",
    ] {
        let (s, b) = as_clerk.get(path);
        assert_eq!(
            (s, b["code"].as_str()),
            (403, Some("CB_NO02")),
            "{path}: {b}"
        );
        let (s, b) = as_token.get(path);
        assert_eq!(
            (s, b["code"].as_str()),
            (403, Some("CB_NO02")),
            "{path}: {b}"
        );
        let (s, b) = app.get(path);
        assert_eq!(s, 200, "{path}: {b}");
    }
    let (s, _) = as_clerk.post(
        "/api/org/departments.json",
        json!({"code": "x", "name": "x"}),
    );
    assert_eq!(s, 403);
    let (s, _) = as_clerk.post(
        "/api/org/users.json",
        json!({"code": "x", "password": "long-enough-1"}),
    );
    assert_eq!(s, 403);
    let (s, _) = as_token.post(
        "/api/tokens/app.json",
        json!({"app": id, "rights": {"view": true}}),
    );
    assert_eq!(s, 403);
    let resp = client()
        .get(app.url("/api/audit.csv"))
        .header("X-Cybozu-Authorization", basic("clerk", "clerk-password-1"))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403, "the clerk may not export");

    // Pages: the clerk sees "not found" and no admin link; the administrator sees every page.
    let clerk_session = sign_in(&app, "clerk", "clerk-password-1").unwrap();
    let (s, html) = page(&app, &clerk_session, "/admin/users");
    assert_eq!(s, 404);
    assert!(!html.contains("data-testid=\"nav-admin\""));
    let admin_session = sign_in(&app, "Administrator", ADMIN_PASSWORD).unwrap();
    for (path, marker) in [
        ("/admin", "admin-links"),
        ("/admin/users", "admin-users"),
        ("/admin/departments", "department-add"),
        ("/admin/groups", "group-add"),
        (&format!("/admin/tokens?app={id}") as &str, "app-token-add"),
        ("/admin/audit?actor=clerk", "audit-filter"),
    ] {
        let (s, html) = page(&app, &admin_session, path);
        assert_eq!(s, 200, "{path}: {html}");
        assert!(html.contains(marker), "{path}");
        assert!(html.contains("data-testid=\"nav-admin\""), "{path}");
    }
    let (_, html) = page(&app, &admin_session, "/admin/audit?outcome=success");
    assert!(html.contains("app.deploy"), "the deploy is listed");
}

#[test]
fn the_department_tree_refuses_cycles() {
    let app = TestApp::spawn();
    for (code, name, parent, sort) in [
        ("city", "市役所", "", 0),
        ("kikaku", "企画課", "city", 2),
        ("soumu", "総務部", "city", 1),
        ("jinji", "人事課", "soumu", 0),
    ] {
        let (s, b) = app.post(
            "/api/org/departments.json",
            json!({"code": code, "name": name, "parentCode": parent, "sort": sort}),
        );
        assert_eq!(s, 200, "{b}");
    }
    let (_, b) = app.get("/api/org/departments.json");
    let order: Vec<(String, String)> = b["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["depth"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("city", "0"),
        ("soumu", "1"),
        ("jinji", "2"),
        ("kikaku", "1"),
    ];
    assert_eq!(order, expected.map(|(c, d)| (c.to_owned(), d.to_owned())));

    let (s, b) = app.put(
        "/api/org/departments.json",
        json!({"code": "city", "parentCode": "jinji"}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
    assert!(b["errors"]["parentCode"].is_object(), "{b}");
    let (s, b) = app.delete("/api/org/departments.json", json!({"code": "soumu"}));
    assert_eq!(s, 400, "a department with sub-departments stays: {b}");
    let (s, b) = app.post(
        "/api/org/departments.json",
        json!({"code": "city", "name": "again"}),
    );
    assert_eq!(s, 400, "codes are unique: {b}");

    let (s, b) = app.put(
        "/api/org/departments.json",
        json!({"code": "jinji", "parentCode": null, "name": "人事課（新）"}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, b) = app.get("/api/org/departments.json");
    let jinji = b["departments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "jinji")
        .unwrap()
        .clone();
    assert_eq!(jinji["depth"], "0");
    assert_eq!(jinji["name"], "人事課（新）");
    let (s, _) = app.delete("/api/org/departments.json", json!({"code": "soumu"}));
    assert_eq!(s, 200);
    let actions: Vec<String> = audit(&app, "target=department:jinji")
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["department.update", "department.add"]);
}

#[test]
fn memberships_reach_the_principal() {
    let app = TestApp::spawn();
    app.user("tanaka", "tanaka-password-1");
    for (code, parent) in [
        ("city", ""),
        ("soumu", "city"),
        ("jinji", "soumu"),
        ("kikaku", "city"),
    ] {
        let (s, b) = app.post(
            "/api/org/departments.json",
            json!({"code": code, "name": code, "parentCode": parent}),
        );
        assert_eq!(s, 200, "{b}");
    }
    let (s, _) = app.post(
        "/api/org/groups.json",
        json!({"code": "approvers", "name": "承認者"}),
    );
    assert_eq!(s, 200);
    let (s, b) = app.put(
        "/api/org/memberships.json",
        json!({"user": "tanaka", "departments": ["kikaku", "jinji"], "primaryDepartment": "jinji", "groups": ["approvers"]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/api/org/memberships.json",
        json!({"user": "tanaka", "departments": ["kikaku"], "primaryDepartment": "jinji"}),
    );
    assert_eq!(s, 400, "the primary department must be one of them: {b}");
    let (s, b) = app.put(
        "/api/org/memberships.json",
        json!({"user": "tanaka", "groups": ["nobody"]}),
    );
    assert_eq!(s, 400, "{b}");
    assert!(b["errors"]["groups[0]"].is_object(), "{b}");

    let (_, b) = app.get("/api/org/memberships.json?user=tanaka");
    assert_eq!(
        b["departments"],
        json!([{"code": "jinji", "isPrimary": true}, {"code": "kikaku", "isPrimary": false}])
    );
    assert_eq!(b["groups"], json!(["approvers"]));
    let (_, b) = app.get("/api/org/memberships.json?group=approvers");
    assert_eq!(b["users"], json!(["tanaka"]));
    let (_, b) = app.get("/api/org/users.json");
    let tanaka = b["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == "tanaka")
        .unwrap()
        .clone();
    assert_eq!(tanaka["primaryDepartment"], "jinji");

    // The principal every API call is checked with: own departments, then all ancestors.
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let user = kumiki_engine::users::User::find_by_code(&mut conn, "tanaka")
        .unwrap()
        .unwrap();
    match kumiki_platform::auth::user_principal(&mut conn, &user).unwrap() {
        kumiki_engine::acl::Principal::User {
            departments,
            groups,
            ..
        } => {
            assert_eq!(departments, ["jinji", "kikaku", "soumu", "city"]);
            assert_eq!(groups, ["approvers"]);
        }
        other => panic!("not a user principal: {other:?}"),
    }
    let entries = audit(&app, "action=membership.update");
    assert_eq!(entries.len(), 1, "refused changes leave no row");
    assert_eq!(entries[0]["target"], "user:tanaka");
    assert_eq!(entries[0]["detail"]["groups"]["new"], json!(["approvers"]));
}

#[test]
fn sign_ins_are_audited_with_the_peer_address() {
    let app = TestApp::spawn();
    let wrong = app.with_auth(Auth::Password(
        "Administrator".into(),
        "not-the-password".into(),
    ));
    let (s, _) = wrong.get("/api/org/users.json");
    assert_eq!(s, 401);
    let (s, _) = app.with_auth(Auth::None).post(
        "/api/auth/token",
        json!({"login": "Administrator", "password": ADMIN_PASSWORD}),
    );
    assert_eq!(s, 200);
    let (s, _) = app.with_auth(Auth::None).post(
        "/api/auth/token",
        json!({"login": "ghost", "password": "whatever-1"}),
    );
    assert_eq!(s, 401);
    sign_in(&app, "Administrator", ADMIN_PASSWORD).unwrap();
    sign_in(&app, "Administrator", "wrong-again").unwrap_err();

    let entries = audit(&app, "action=auth.signIn");
    let seen: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| {
            let peer = e["peer"].as_str().unwrap();
            assert!(
                peer == "127.0.0.1" || peer == "::1",
                "the peer address is kept: {e}"
            );
            (
                e["actor"].as_str().unwrap().to_owned(),
                e["detail"]["method"].as_str().unwrap().to_owned(),
                e["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // An unknown login may be a password typed into the wrong box: it is kept masked (issue 12).
    let ghost = kumiki_engine::sessions::masked_login("ghost");
    let expected = [
        ("Administrator", "form", "failure"),
        ("Administrator", "form", "success"),
        (ghost.as_str(), "authToken", "failure"),
        ("Administrator", "authToken", "success"),
        ("Administrator", "passwordHeader", "failure"),
    ];
    assert_eq!(
        seen,
        expected.map(|(a, m, o)| (a.to_owned(), m.to_owned(), o.to_owned()))
    );
    assert_eq!(
        audit(
            &app,
            &format!("outcome=failure&actor={}", ghost.replace('?', "%3F"))
        )
        .len(),
        1
    );
    assert!(audit(&app, "actor=ghost").is_empty());
    assert_eq!(audit(&app, "action=auth.signIn&limit=2").len(), 2);
    let (s, b) = app.get("/api/audit.json?from=2000-01-01&to=2000-01-02");
    assert_eq!((s, b["entries"].as_array().map(Vec::len)), (200, Some(0)));
    let (s, _) = app.get("/api/audit.json?from=yesterday");
    assert_eq!(s, 400);
}

#[test]
fn users_can_be_added_changed_and_disabled() {
    let app = TestApp::spawn();
    let (s, b) = app.post(
        "/api/org/users.json",
        json!({"code": "sato", "name": "佐藤", "password": "sato-password-1"}),
    );
    assert_eq!(s, 200, "{b}");
    let sato = app.with_auth(Auth::Password("sato".into(), "sato-password-1".into()));
    assert_eq!(sato.get("/k/v1/apps.json").0, 200);
    let (s, _) = app.put(
        "/api/org/users.json",
        json!({"code": "sato", "name": "佐藤 花子", "isAdmin": true}),
    );
    assert_eq!(s, 200);
    assert_eq!(
        sato.get("/api/org/users.json").0,
        200,
        "now an administrator"
    );
    let (s, _) = app.post("/api/org/users/disable.json", json!({"code": "sato"}));
    assert_eq!(s, 200);
    let (s, b) = sato.get("/k/v1/apps.json");
    assert_eq!(
        (s, b["code"].as_str()),
        (401, Some("CB_WA01")),
        "a disabled user cannot sign in"
    );
    sign_in(&app, "sato", "sato-password-1").unwrap_err();
    let (s, _) = app.post("/api/org/users/enable.json", json!({"code": "sato"}));
    assert_eq!(s, 200);
    assert_eq!(sato.get("/k/v1/apps.json").0, 200);
    let (s, _) = app.post(
        "/api/org/users/disable.json",
        json!({"code": "Administrator"}),
    );
    assert_eq!(s, 400, "nobody disables themselves");
    let (s, _) = app.put(
        "/api/org/users.json",
        json!({"code": "Administrator", "isAdmin": false}),
    );
    assert_eq!(s, 400, "nor takes away their own administrator right");
    let actions: Vec<String> = audit(&app, "target=user:sato")
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    // The disabled user's two attempts (header and form) are recorded as failed sign-ins.
    let expected = [
        "user.enable",
        "auth.signIn",
        "auth.signIn",
        "user.disable",
        "user.update",
        "user.add",
    ];
    assert_eq!(actions, expected);
    let entry = &audit(&app, "action=user.update")[0];
    assert_eq!(
        entry["detail"]["isAdmin"],
        json!({"old": false, "new": true})
    );
}

#[test]
fn tokens_deploys_and_deletions_are_audited() {
    let app = TestApp::spawn();
    let id = app.create_app("台帳", kumiki_tests::sample_fields());
    let r1 = app.add_record(id, json!({"Text": {"value": "a"}}));
    let r2 = app.add_record(id, json!({"Text": {"value": "b"}}));
    app.user("sato", "sato-password-1");

    // A per-user token acts as that user, is listed without its secret, and stops when revoked.
    let (s, b) = app.post(
        "/api/tokens/user.json",
        json!({"user": "sato", "name": "集計", "expiresInDays": 30}),
    );
    assert_eq!(s, 200, "{b}");
    let user_token = b["token"].as_str().unwrap().to_owned();
    let user_token_id = b["id"].as_str().unwrap().to_owned();
    assert!(user_token.starts_with("kmk_"));
    let as_sato = app.with_auth(Auth::Bearer(user_token.clone()));
    let (s, b) = as_sato.get(&format!("/k/v1/records.json?app={id}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        as_sato.get("/api/org/users.json").0,
        403,
        "sato is no administrator"
    );
    let (_, b) = app.get("/api/tokens/user.json?user=sato");
    assert_eq!(b["tokens"][0]["id"], user_token_id.as_str());
    assert!(
        !b.to_string().contains(&user_token),
        "the secret is never listed"
    );
    assert!(b["tokens"][0]["expiresAt"].is_string());

    // A per-app token works on its app and stops when revoked.
    let (s, b) = app.post(
        "/api/tokens/app.json",
        json!({"app": id, "rights": {"view": true, "delete": true}}),
    );
    assert_eq!(s, 200, "{b}");
    let app_token = b["token"].as_str().unwrap().to_owned();
    let app_token_id = b["id"].as_str().unwrap().to_owned();
    let as_app = app.with_auth(Auth::Tokens(app_token.clone()));
    assert_eq!(as_app.get(&format!("/k/v1/records.json?app={id}")).0, 200);
    let (_, b) = app.get(&format!("/api/tokens/app.json?app={id}"));
    assert_eq!(b["tokens"][0]["id"], app_token_id.as_str());
    assert_eq!(b["tokens"][0]["rights"]["delete"], true);
    assert!(!b.to_string().contains(&app_token));

    // Deletions are recorded with the ids, and with how the caller authenticated.
    let (s, b) = as_app.delete("/k/v1/records.json", json!({"app": id, "ids": [r1, r2]}));
    assert_eq!(s, 200, "{b}");

    let (s, _) = app.delete("/api/tokens/user.json", json!({"id": user_token_id}));
    assert_eq!(s, 200);
    assert_eq!(as_sato.get(&format!("/k/v1/records.json?app={id}")).0, 401);
    let (s, _) = app.delete(
        "/api/tokens/app.json",
        json!({"app": id, "id": app_token_id}),
    );
    assert_eq!(s, 200);
    let (s, b) = as_app.get(&format!("/k/v1/records.json?app={id}"));
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_IA02")));
    let (s, _) = app.delete(
        "/api/tokens/app.json",
        json!({"app": id, "id": app_token_id}),
    );
    assert_eq!(s, 400, "already gone");

    let target = format!("app:{id}");
    let entries = audit(&app, &format!("target={target}"));
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "token.revoke",
            "records.delete",
            "token.create",
            "app.deploy"
        ]
    );
    let delete = &entries[1];
    assert_eq!(delete["detail"]["ids"], json!([r1, r2]));
    assert_eq!(delete["detail"]["via"], "apiToken");
    assert_eq!(entries[3]["actor"], "Administrator");
    let user_entries = audit(&app, "target=user:sato");
    let actions: Vec<&str> = user_entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["token.revoke", "token.create"]);
    assert_eq!(user_entries[1]["detail"]["name"], "集計");
}

#[test]
fn the_audit_log_exports_as_csv_and_cannot_be_changed() {
    let app = TestApp::spawn();
    // A login name made to become a spreadsheet formula (an existing user: unknown logins are
    // masked in the log).
    app.user("=HYPERLINK(\"x\",\"a,b\")", "long-enough-1");
    let evil = app.with_auth(Auth::Password(
        "=HYPERLINK(\"x\",\"a,b\")".into(),
        "pw".into(),
    ));
    assert_eq!(evil.get("/k/v1/apps.json").0, 401);
    app.create_app("台帳", kumiki_tests::sample_fields());

    let resp = client()
        .get(app.url("/api/audit.csv?outcome=failure"))
        .header(
            "X-Cybozu-Authorization",
            basic("Administrator", ADMIN_PASSWORD),
        )
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    let csv = resp.text().unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "\u{feff}id,at,actor,peer,action,target,outcome,detail"
    );
    assert_eq!(lines.len(), 2, "only the failure: {csv}");
    assert!(
        lines[1].contains(",\"'=HYPERLINK(\"\"x\"\",\"\"a,b\"\")\","),
        "quoted, with the formula defused: {}",
        lines[1]
    );
    assert!(lines[1].contains(",auth.signIn,"));
    assert!(
        lines[1].contains("+09:00"),
        "times in the caller's time zone"
    );

    let exports = audit(&app, "action=audit.export");
    assert_eq!(exports.len(), 1, "the download is audited");
    assert_eq!(exports[0]["detail"]["rows"], 1);

    // Append-only, whatever SQL reaches the database through the application's account.
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    assert!(conn
        .batch_execute("UPDATE audit_log SET actor = 'nobody'")
        .is_err());
    assert!(conn.batch_execute("DELETE FROM audit_log").is_err());
    let (_, b) = app.get("/api/audit.json");
    assert!(b["entries"].as_array().unwrap().len() >= 3);
}
