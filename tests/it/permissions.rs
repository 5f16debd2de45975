//! Permissions: the roster scenario (each municipality edits only its own rows), a hidden field with
//! a canary value that no route may return, and a matrix calling every route of the dispatch table
//! as users with different rights (security test plan A1–A3).

use kumiki_tests::{Auth, Client2, TestApp};
use serde_json::{json, Value};

const PW: &str = "permissions-pw-1";

fn as_user<'a>(app: &'a TestApp, login: &str) -> Client2<'a> {
    app.with_auth(Auth::Password(login.into(), PW.into()))
}

/// `k=v&a[0]=x` from a JSON object (GET parameters as kintone's clients send them).
fn query_string(params: &Value) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    }
    let scalar = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut parts = Vec::new();
    for (k, v) in params.as_object().into_iter().flatten() {
        match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    parts.push(format!("{}%5B{i}%5D={}", enc(k), enc(&scalar(item))));
                }
            }
            other => parts.push(format!("{}={}", enc(k), enc(&scalar(other)))),
        }
    }
    parts.join("&")
}

fn call(c: &Client2, method: &str, api: &str, params: &Value) -> (u16, Value) {
    // Downloads outside the dispatch table (`/api/<rest>`, a file rather than JSON): the body is
    // checked as text.
    if let Some(rest) = api.strip_prefix("download:") {
        return c.get(&format!("/api/{rest}?{}", query_string(params)));
    }
    let path = if let Some(rest) = api.strip_prefix("kumiki/") {
        format!("/api/{rest}.json")
    } else {
        format!("/k/v1/{api}.json")
    };
    match method {
        "GET" => c.get(&format!("{path}?{}", query_string(params))),
        "POST" => c.post(&path, params.clone()),
        "PUT" => c.put(&path, params.clone()),
        _ => c.delete(&path, params.clone()),
    }
}

struct Roster {
    app: i64,
    nagano_row: i64,
    matsumoto_row: i64,
    hidden_row: i64,
    canary: String,
}

/// Departments 長野市 (nagano) and 松本市 (matsumoto), one user each plus an outsider; a roster app
/// whose rows each department edits only for itself; a field only administrators see.
fn roster(app: &TestApp) -> Roster {
    for (code, name) in [("nagano", "長野市"), ("matsumoto", "松本市")] {
        let (s, b) = app.post(
            "/api/org/departments.json",
            json!({"code": code, "name": name}),
        );
        assert_eq!(s, 200, "{b}");
    }
    for (user, dept) in [
        ("n1", Some("nagano")),
        ("m1", Some("matsumoto")),
        ("outsider", None),
    ] {
        app.user(user, PW);
        if let Some(dept) = dept {
            let (s, b) = app.put(
                "/api/org/memberships.json",
                json!({"user": user, "departments": [dept]}),
            );
            assert_eq!(s, 200, "{b}");
        }
    }
    let id = app.create_app(
        "名簿",
        json!({
            "氏名": {"type": "SINGLE_LINE_TEXT", "code": "氏名", "label": "氏名"},
            "所属": {"type": "DROP_DOWN", "code": "所属", "label": "所属", "options": {
                "長野市": {"label": "長野市", "index": "0"},
                "松本市": {"label": "松本市", "index": "1"},
                "非公開": {"label": "非公開", "index": "2"}}},
            "秘密": {"type": "SINGLE_LINE_TEXT", "code": "秘密", "label": "秘密"},
            "添付": {"type": "FILE", "code": "添付", "label": "添付"},
        }),
    );
    let canary = format!("CANARY-{}", uuid::Uuid::new_v4());
    let add = |dept: &str| {
        app.add_record(
            id,
            json!({"氏名": {"value": format!("{dept}の職員")}, "所属": {"value": dept}, "秘密": {"value": canary}}),
        )
    };
    let nagano_row = add("長野市");
    let matsumoto_row = add("松本市");
    let hidden_row = add("非公開");
    let org = |code: &str| json!({"type": "ORGANIZATION", "code": code});
    let everyone = json!({"type": "GROUP", "code": "everyone"});
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": id, "rights": [
            {"entity": org("nagano"), "recordViewable": true, "recordAddable": true, "recordEditable": true, "recordDeletable": true},
            {"entity": org("matsumoto"), "recordViewable": true, "recordAddable": true, "recordEditable": true, "recordDeletable": "true"},
            {"entity": {"type": "USER", "code": "Administrator"}, "appEditable": true, "recordViewable": true, "recordAddable": true, "recordEditable": true, "recordDeletable": true},
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/k/v1/preview/record/acl.json",
        json!({"app": id, "rights": [
            {"filterCond": "所属 in (\"長野市\")", "entities": [
                {"entity": everyone, "viewable": true},
                {"entity": org("nagano"), "viewable": true, "editable": true, "deletable": true}]},
            {"filterCond": "所属 in (\"松本市\")", "entities": [
                {"entity": org("matsumoto"), "viewable": true, "editable": true, "deletable": true},
                {"entity": everyone, "viewable": true}]},
            {"filterCond": "所属 in (\"非公開\")", "entities": [
                {"entity": {"type": "USER", "code": "Administrator"}, "viewable": true, "editable": true}]},
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/k/v1/preview/field/acl.json",
        json!({"app": id, "rights": [{"code": "秘密", "entities": [
            {"accessibility": "NONE", "entity": everyone},
            {"accessibility": "WRITE", "entity": {"type": "USER", "code": "Administrator"}}]}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    Roster {
        app: id,
        nagano_row,
        matsumoto_row,
        hidden_row,
        canary,
    }
}

#[test]
fn each_department_edits_only_its_own_rows() {
    let app = TestApp::spawn();
    let r = roster(&app);
    let (n1, m1, outsider) = (
        as_user(&app, "n1"),
        as_user(&app, "m1"),
        as_user(&app, "outsider"),
    );
    let update = |c: &Client2, id: i64| {
        c.put(
            "/k/v1/record.json",
            json!({"app": r.app, "id": id, "record": {"氏名": {"value": "更新"}}}),
        )
    };
    assert_eq!(update(&n1, r.nagano_row).0, 200);
    let (s, b) = update(&n1, r.matsumoto_row);
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")), "{b}");
    assert_eq!(update(&m1, r.matsumoto_row).0, 200);
    let (s, b) = update(&m1, r.nagano_row);
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")), "{b}");
    // Both read the merged roster (their own and the other's rows), never the hidden row.
    for c in [&n1, &m1] {
        let (s, b) = c.get(&format!("/k/v1/records.json?app={}&totalCount=true", r.app));
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["totalCount"], "2", "{b}");
        let ids: Vec<&str> = b["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["$id"]["value"].as_str().unwrap())
            .collect();
        assert!(!ids.contains(&r.hidden_row.to_string().as_str()));
        // A hidden record answers exactly like a missing one.
        let (s1, b1) = c.get(&format!(
            "/k/v1/record.json?app={}&id={}",
            r.app, r.hidden_row
        ));
        let (s2, b2) = c.get(&format!("/k/v1/record.json?app={}&id=9999", r.app));
        assert_eq!((s1, b1["code"].clone()), (s2, b2["code"].clone()));
        assert_eq!(s1, 404);
        let (s, b) = c.get(&format!(
            "/k/v1/records/acl/evaluate.json?app={}&ids[0]={}",
            r.app, r.nagano_row
        ));
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["rights"][0]["fields"]["秘密"]["viewable"], false);
    }
    // Deleting the other's row is refused; own rows can be deleted.
    let (s, _) = m1.delete(
        "/k/v1/records.json",
        json!({"app": r.app, "ids": [r.nagano_row]}),
    );
    assert_eq!(s, 403);
    // Queries on the hidden field are "unknown field"; writes to it are refused.
    let (s, b) = n1.get(&format!(
        "/k/v1/records.json?app={}&query={}",
        r.app,
        query_string(&json!({"q": "秘密 = \"x\""})).trim_start_matches("q=")
    ));
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_IQ11")), "{b}");
    let (s, b) = n1.put(
        "/k/v1/record.json",
        json!({"app": r.app, "id": r.nagano_row, "record": {"秘密": {"value": "x"}}}),
    );
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")), "{b}");
    // Someone outside both departments cannot see the app at all.
    let (s, b) = outsider.get(&format!("/k/v1/records.json?app={}", r.app));
    assert_eq!((s, b["code"].as_str()), (404, Some("GAIA_AP01")), "{b}");
    // The administrator still sees everything, including the canary.
    let (s, b) = app.get(&format!(
        "/k/v1/record.json?app={}&id={}",
        r.app, r.hidden_row
    ));
    assert_eq!(s, 200);
    assert_eq!(b["record"]["秘密"]["value"], r.canary.as_str());
}

/// Every (method, api) of `platform/src/routes/mod.rs`, with sample parameters (`{app}`, `{row}`
/// and `{hidden}` are filled in). The test fails when the dispatch table gains a route not listed.
fn matrix(r: &Roster) -> Vec<(&'static str, &'static str, Value)> {
    let (app, row, hidden) = (r.app, r.nagano_row, r.hidden_row);
    vec![
        ("GET", "record", json!({"app": app, "id": row})),
        (
            "POST",
            "record",
            json!({"app": app, "record": {"秘密": {"value": "x"}}}),
        ),
        (
            "PUT",
            "record",
            json!({"app": app, "id": hidden, "record": {"氏名": {"value": "x"}}}),
        ),
        ("GET", "records", json!({"app": app, "totalCount": true})),
        (
            "POST",
            "records",
            json!({"app": app, "records": [{"秘密": {"value": "x"}}]}),
        ),
        (
            "PUT",
            "records",
            json!({"app": app, "records": [{"id": row, "record": {"秘密": {"value": "x"}}}]}),
        ),
        ("DELETE", "records", json!({"app": app, "ids": [hidden]})),
        ("POST", "records/cursor", json!({"app": app})),
        ("GET", "records/cursor", json!({"id": "missing"})),
        ("DELETE", "records/cursor", json!({"id": "missing"})),
        (
            "GET",
            "record/comments",
            json!({"app": app, "record": hidden}),
        ),
        (
            "POST",
            "record/comment",
            json!({"app": app, "record": hidden, "comment": {"text": "x"}}),
        ),
        (
            "DELETE",
            "record/comment",
            json!({"app": app, "record": hidden, "comment": 1}),
        ),
        ("GET", "app", json!({"id": app})),
        ("GET", "apps", json!({})),
        ("POST", "preview/app", json!({"name": "x"})),
        (
            "POST",
            "preview/app/deploy",
            json!({"apps": [{"app": app}]}),
        ),
        ("GET", "preview/app/deploy", json!({"apps": [app]})),
        ("GET", "app/form/fields", json!({"app": app})),
        (
            "POST",
            "preview/app/form/fields",
            json!({"app": app, "properties": {}}),
        ),
        (
            "PUT",
            "preview/app/form/fields",
            json!({"app": app, "properties": {}}),
        ),
        (
            "DELETE",
            "preview/app/form/fields",
            json!({"app": app, "fields": ["秘密"]}),
        ),
        ("GET", "app/form/layout", json!({"app": app})),
        (
            "PUT",
            "preview/app/form/layout",
            json!({"app": app, "layout": []}),
        ),
        ("GET", "app/views", json!({"app": app})),
        ("PUT", "preview/app/views", json!({"app": app, "views": {}})),
        // Issue 16, charts: report "1" groups by the hidden field (see `report_on_the_hidden_field`).
        ("GET", "app/reports", json!({"app": app})),
        (
            "PUT",
            "preview/app/reports",
            json!({"app": app, "reports": {}}),
        ),
        // Issue 16, printing: the app's print templates (pre-live writes need app management).
        ("GET", "app/printTemplates", json!({"app": app})),
        (
            "PUT",
            "preview/app/printTemplates",
            json!({"app": app, "printTemplates": []}),
        ),
        (
            "GET",
            "kumiki/app/report/data",
            json!({"app": app, "id": "1"}),
        ),
        // Issue 16, periodic reports: the snapshots of report "1" (its chart checked for the caller).
        (
            "GET",
            "kumiki/app/report/snapshots",
            json!({"app": app, "id": "1", "snapshot": "1"}),
        ),
        // Issue 16, dashboards: pin 1 is the administrator's list pin on the shared portal (see
        // `no_route_returns_or_changes_what_the_caller_may_not_see`).
        ("GET", "kumiki/dashboard/pins", json!({"scope": "PORTAL"})),
        (
            "POST",
            "kumiki/dashboard/pins",
            json!({"scope": "PORTAL", "kind": "CHART", "app": app, "item": "1"}),
        ),
        ("PUT", "kumiki/dashboard/pins", json!({"id": 1, "index": 0})),
        ("DELETE", "kumiki/dashboard/pins", json!({"id": 1})),
        // Issue 17 part 4: packages (Manage, Export with records) and the trust list (admins).
        (
            "GET",
            "kumiki/app/package",
            json!({"app": app, "withRecords": true, "sign": true}),
        ),
        (
            "POST",
            "kumiki/packages/verify",
            json!({"package": {"format": "kumiki-app/1"}}),
        ),
        ("GET", "kumiki/packages/trust", json!({})),
        (
            "POST",
            "kumiki/packages/trust",
            json!({"name": "x", "publicKey": "ed25519:O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik="}),
        ),
        (
            "DELETE",
            "kumiki/packages/trust",
            json!({"fingerprint": "0000"}),
        ),
        ("PUT", "kumiki/packages/key", json!({"name": "乗っ取り"})),
        // Issue 17 part 5, the template gallery: anyone signed in sees the templates; creating an
        // app needs the right to create apps; the local gallery is the administrators'.
        ("GET", "kumiki/gallery/templates", json!({})),
        ("GET", "kumiki/gallery/template", json!({"key": "events"})),
        ("POST", "kumiki/gallery/apps", json!({"template": "events"})),
        (
            "POST",
            "kumiki/gallery/packages",
            json!({"package": {"format": "kumiki-app/1", "app": {"name": "x"}}}),
        ),
        ("DELETE", "kumiki/gallery/packages", json!({"id": 1})),
        ("GET", "app/settings", json!({"app": app})),
        (
            "PUT",
            "preview/app/settings",
            json!({"app": app, "name": "x"}),
        ),
        ("GET", "app/status", json!({"app": app})),
        (
            "PUT",
            "preview/app/status",
            json!({"app": app, "enable": false}),
        ),
        (
            "PUT",
            "record/status",
            json!({"app": app, "id": hidden, "action": "x"}),
        ),
        (
            "PUT",
            "records/status",
            json!({"app": app, "records": [{"id": hidden, "action": "x"}]}),
        ),
        (
            "PUT",
            "record/assignees",
            json!({"app": app, "id": hidden, "assignees": []}),
        ),
        ("GET", "app/acl", json!({"app": app})),
        ("PUT", "preview/app/acl", json!({"app": app, "rights": []})),
        ("GET", "record/acl", json!({"app": app})),
        (
            "PUT",
            "preview/record/acl",
            json!({"app": app, "rights": []}),
        ),
        ("GET", "field/acl", json!({"app": app})),
        (
            "PUT",
            "preview/field/acl",
            json!({"app": app, "rights": []}),
        ),
        (
            "GET",
            "records/acl/evaluate",
            json!({"app": app, "ids": [row]}),
        ),
        (
            "GET",
            "kumiki/process/actions",
            json!({"app": app, "id": hidden}),
        ),
        ("GET", "kumiki/process/assigned", json!({})),
        (
            "POST",
            "kumiki/app/formula/check",
            json!({"app": app, "formula": "秘密"}),
        ),
        ("GET", "kumiki/users", json!({})),
        ("GET", "kumiki/app/views/private", json!({"app": app})),
        (
            "PUT",
            "kumiki/app/views/private",
            json!({"app": app, "view": {"name": "秘密で絞る", "filterCond": "秘密 like \"x\""}}),
        ),
        (
            "DELETE",
            "kumiki/app/views/private",
            json!({"app": app, "id": 1}),
        ),
        ("GET", "kumiki/directory", json!({})),
        ("GET", "kumiki/admin/app-creation", json!({})),
        (
            "PUT",
            "kumiki/admin/app-creation",
            json!({"mode": "everyone"}),
        ),
        // Issue 17: packages of several apps (export needs app management on each app; plan and
        // import need app creation).
        (
            "POST",
            "kumiki/packages/export",
            json!({"apps": [app], "withRecords": true}),
        ),
        (
            "POST",
            "kumiki/packages/plan",
            json!({"package": {"format": "kumiki-app/1", "app": {"name": "x"}}}),
        ),
        (
            "POST",
            "kumiki/packages/import",
            json!({"package": {"format": "kumiki-app/1", "app": {"name": "x"}}, "mapping": {}}),
        ),
        (
            "POST",
            "kumiki/packages/from-kintone",
            json!({"apps": {"12": {"form/fields.json": {"properties": {}}}}}),
        ),
        ("POST", "kumiki/app/visit", json!({"app": app})),
        ("GET", "kumiki/security/allowlist", json!({})),
        (
            "PUT",
            "kumiki/security/allowlist",
            json!({"enabled": false, "entries": ["10.0.0.0/8"]}),
        ),
        ("GET", "kumiki/review/policy", json!({})),
        (
            "PUT",
            "kumiki/review/policy",
            json!({"mode": "all", "departments": []}),
        ),
        ("GET", "kumiki/review/queue", json!({})),
        (
            "POST",
            "kumiki/record/calc",
            json!({"app": app, "record": {}}),
        ),
        ("GET", "kumiki/app/scripts", json!({"app": app})),
        (
            "PUT",
            "kumiki/app/scripts",
            json!({"app": app, "scripts": []}),
        ),
        ("GET", "kumiki/app/script/logs", json!({"app": app})),
        (
            "POST",
            "kumiki/app/script/test",
            json!({"app": app, "id": hidden, "event": "edit.submit",
                   "script": {"name": "t", "source": "log(record);"}}),
        ),
        (
            "GET",
            "kumiki/record/script/change",
            json!({"app": app, "field": "氏名"}),
        ),
        (
            "POST",
            "kumiki/record/script/change",
            json!({"app": app, "field": "氏名", "record": {}}),
        ),
        (
            "GET",
            "kumiki/record/history",
            json!({"app": app, "id": row}),
        ),
        ("GET", "kumiki/org/users", json!({})),
        (
            "POST",
            "kumiki/org/users",
            json!({"code": "x", "password": "long-enough-1"}),
        ),
        (
            "PUT",
            "kumiki/org/users",
            json!({"code": "n1", "isAdmin": true}),
        ),
        (
            "POST",
            "kumiki/org/users/disable",
            json!({"code": "Administrator"}),
        ),
        ("POST", "kumiki/org/users/enable", json!({"code": "n1"})),
        ("POST", "kumiki/org/users/signout", json!({"code": "n1"})),
        ("GET", "kumiki/org/departments", json!({})),
        (
            "POST",
            "kumiki/org/departments",
            json!({"code": "x", "name": "x"}),
        ),
        (
            "PUT",
            "kumiki/org/departments",
            json!({"code": "nagano", "name": "x"}),
        ),
        (
            "DELETE",
            "kumiki/org/departments",
            json!({"code": "nagano"}),
        ),
        ("GET", "kumiki/org/groups", json!({})),
        (
            "POST",
            "kumiki/org/groups",
            json!({"code": "x", "name": "x"}),
        ),
        (
            "PUT",
            "kumiki/org/groups",
            json!({"code": "x", "name": "x"}),
        ),
        ("DELETE", "kumiki/org/groups", json!({"code": "x"})),
        ("GET", "kumiki/org/memberships", json!({"user": "n1"})),
        (
            "PUT",
            "kumiki/org/memberships",
            json!({"user": "m1", "departments": ["nagano"]}),
        ),
        ("GET", "kumiki/tokens/user", json!({"user": "n1"})),
        (
            "POST",
            "kumiki/tokens/user",
            json!({"user": "Administrator", "name": "x"}),
        ),
        ("DELETE", "kumiki/tokens/user", json!({"id": 1})),
        ("GET", "kumiki/tokens/app", json!({"app": app})),
        (
            "POST",
            "kumiki/tokens/app",
            json!({"app": app, "rights": {"view": true}}),
        ),
        (
            "DELETE",
            "kumiki/tokens/app",
            json!({"app": app, "id": "x"}),
        ),
        ("GET", "kumiki/audit", json!({})),
        ("GET", "kumiki/search", json!({"q": r.canary.clone()})),
        ("GET", "kumiki/search/status", json!({})),
        ("POST", "kumiki/app/review/submit", json!({"app": app})),
        ("GET", "kumiki/app/review/submissions", json!({"app": app})),
        ("GET", "kumiki/app/review/submission", json!({"id": 1})),
        (
            "POST",
            "kumiki/app/review/decide",
            json!({"id": 1, "decision": "APPROVE"}),
        ),
        ("GET", "kumiki/app/diff", json!({"app": app})),
        ("GET", "kumiki/app/versions", json!({"app": app})),
        (
            "POST",
            "kumiki/app/rollback",
            json!({"app": app, "version": 1}),
        ),
        (
            "POST",
            "kumiki/record/restore",
            json!({"app": app, "id": hidden, "revision": 1}),
        ),
        (
            "GET",
            "kumiki/records/bulk_check",
            json!({"app": app, "kind": "update", "query": ""}),
        ),
        (
            "POST",
            "kumiki/records/bulk_update",
            json!({"app": app, "query": "", "record": {"秘密": {"value": "x"}, "氏名": {"value": "x"}}}),
        ),
        (
            "POST",
            "kumiki/records/bulk_delete",
            json!({"app": app, "query": ""}),
        ),
        // Issue 16, imports: the importer's own upload only; the write goes through the app's rights.
        (
            "POST",
            "kumiki/records/import",
            json!({"app": app, "fileKey": "nope"}),
        ),
        ("PUT", "kumiki/records/import", json!({"id": 1})),
        ("GET", "kumiki/records/import", json!({"id": 1})),
        ("POST", "kumiki/records/import/run", json!({"id": 1})),
        // Issue 13, guests: administrators (and space admins for space/guests) only.
        (
            "POST",
            "guests",
            json!({"guests": [{"code": "g@x.example", "password": "long-enough-1", "timezone": "UTC", "name": "g"}]}),
        ),
        ("DELETE", "guests", json!({"guests": ["n1"]})),
        ("PUT", "space/guests", json!({"id": 1, "guests": []})),
        ("GET", "kumiki/guests", json!({})),
        (
            "POST",
            "kumiki/guests",
            json!({"code": "h@x.example", "password": "long-enough-1", "name": "h"}),
        ),
        ("DELETE", "kumiki/guests", json!({"code": "n1"})),
        // Issue 13, notify: the bell is one's own; the app's notification settings are for its
        // managers.
        ("GET", "kumiki/notifications", json!({})),
        ("POST", "kumiki/notifications/read", json!({"all": true})),
        ("GET", "app/notifications/general", json!({"app": app})),
        (
            "PUT",
            "preview/app/notifications/general",
            json!({"app": app, "notifications": []}),
        ),
        ("GET", "app/notifications/perRecord", json!({"app": app})),
        (
            "PUT",
            "preview/app/notifications/perRecord",
            json!({"app": app, "notifications": []}),
        ),
        ("GET", "app/notifications/reminder", json!({"app": app})),
        (
            "PUT",
            "preview/app/notifications/reminder",
            json!({"app": app, "notifications": []}),
        ),
        // Issue 13, webhooks: for the app's managers only.
        ("GET", "kumiki/app/webhooks", json!({"app": app})),
        (
            "PUT",
            "kumiki/app/webhooks",
            json!({"app": app, "webhooks": [{"name": "x", "url": "http://10.0.0.9/", "enabled": true, "events": ["ADD_RECORD"]}]}),
        ),
        (
            "POST",
            "kumiki/app/webhook/secret",
            json!({"app": app, "id": 1}),
        ),
        ("GET", "kumiki/app/webhook/deliveries", json!({"app": app})),
        (
            "POST",
            "kumiki/app/webhook/test",
            json!({"app": app, "id": 1}),
        ),
        // Issue 13, spaces and threads: none of them reaches the roster's records.
        ("GET", "space", json!({"id": 1})),
        ("PUT", "space", json!({"id": 1, "name": "x"})),
        ("DELETE", "space", json!({"id": 1})),
        ("PUT", "space/body", json!({"id": 1, "body": "x"})),
        ("GET", "space/members", json!({"id": 1})),
        (
            "PUT",
            "space/members",
            json!({"id": 1, "members": [{"entity": {"type": "USER", "code": "m1"}, "isAdmin": true}]}),
        ),
        ("POST", "space/thread", json!({"space": 1, "name": "x"})),
        ("PUT", "space/thread", json!({"id": 1, "name": "x"})),
        (
            "POST",
            "template/space",
            json!({"id": 1, "name": "x", "members": []}),
        ),
        ("POST", "app/move", json!({"app": app, "space": 1})),
        ("GET", "kumiki/spaces", json!({})),
        ("POST", "kumiki/space", json!({"name": "x"})),
        ("GET", "kumiki/space/templates", json!({})),
        (
            "POST",
            "kumiki/space/template",
            json!({"space": 1, "name": "x"}),
        ),
        ("POST", "kumiki/space/join", json!({"id": 1})),
        ("POST", "kumiki/space/leave", json!({"id": 1})),
        (
            "POST",
            "space/thread/comment",
            json!({"space": 1, "thread": 1, "comment": {"text": "x"}}),
        ),
        (
            "POST",
            "kumiki/space/thread/comment",
            json!({"space": 1, "thread": 1, "comment": {"text": "x"}}),
        ),
        (
            "PUT",
            "kumiki/space/thread/comment",
            json!({"id": 1, "comment": {"text": "x"}}),
        ),
        ("DELETE", "kumiki/space/thread/comment", json!({"id": 1})),
        (
            "GET",
            "kumiki/space/thread/comments",
            json!({"space": 1, "thread": 1}),
        ),
        (
            "POST",
            "kumiki/space/thread/read",
            json!({"space": 1, "thread": 1, "post": 1}),
        ),
        ("GET", "kumiki/space/thread/readers", json!({"post": 1})),
        ("GET", "kumiki/spaces/unread", json!({})),
        // Issue 13, mail: one's own choice; the server's mail for administrators.
        ("GET", "kumiki/account/notifications", json!({})),
        (
            "PUT",
            "kumiki/account/notifications",
            json!({"mode": "none"}),
        ),
        ("GET", "kumiki/admin/mail", json!({})),
        (
            "PUT",
            "kumiki/admin/mail/address",
            json!({"code": "m1", "email": "m1@example.jp"}),
        ),
        // Issue 14, surveys: owners manage, organisation members answer; nothing reaches records.
        ("GET", "kumiki/surveys", json!({"box": "received"})),
        (
            "POST",
            "kumiki/surveys/survey",
            json!({"title": "x", "dueAt": "2099-01-01T00:00:00Z"}),
        ),
        (
            "PUT",
            "kumiki/surveys/survey",
            json!({"id": 1, "title": "y"}),
        ),
        ("GET", "kumiki/surveys/survey", json!({"id": 1})),
        ("DELETE", "kumiki/surveys/survey", json!({"id": 1})),
        (
            "POST",
            "kumiki/surveys/sheet/inspect",
            json!({"fileKey": "nope"}),
        ),
        ("POST", "kumiki/surveys/send", json!({"id": 1})),
        ("GET", "kumiki/surveys/answers", json!({"id": 1})),
        ("GET", "kumiki/surveys/answer", json!({"id": 1})),
        (
            "PUT",
            "kumiki/surveys/answer",
            json!({"id": 1, "values": {}}),
        ),
        ("POST", "kumiki/surveys/answer/submit", json!({"id": 1})),
        (
            "POST",
            "kumiki/surveys/answer/return",
            json!({"id": 1, "comment": "x"}),
        ),
        ("POST", "kumiki/surveys/answer/accept", json!({"id": 1})),
        (
            "PUT",
            "kumiki/surveys/answer/deadline",
            json!({"id": 1, "dueAt": "2099-01-01T00:00:00Z"}),
        ),
        ("POST", "kumiki/surveys/remind", json!({"id": 1})),
        ("POST", "kumiki/surveys/close", json!({"id": 1})),
        ("GET", "kumiki/surveys/organisations", json!({})),
        ("GET", "kumiki/surveys/lists", json!({})),
        (
            "POST",
            "kumiki/surveys/lists",
            json!({"name": "x", "entries": []}),
        ),
        ("PUT", "kumiki/surveys/lists", json!({"id": 1, "name": "y"})),
        ("DELETE", "kumiki/surveys/lists", json!({"id": 1})),
        ("POST", "kumiki/surveys/copy", json!({"id": 1})),
        (
            "POST",
            "kumiki/surveys/relay",
            json!({"answer": 1, "recipients": [], "dueAt": "2030-01-01T00:00:00Z"}),
        ),
        (
            "POST",
            "kumiki/surveys/answer/merge_relay",
            json!({"id": 1}),
        ),
        // Issue 16, export: a CSV of the roster (also naming the hidden field) never holds the canary.
        (
            "GET",
            "download:records/export",
            json!({"app": app, "format": "csv"}),
        ),
        (
            "GET",
            "download:records/export",
            json!({"app": app, "format": "csv", "encoding": "sjis", "fields": ["秘密", "氏名"]}),
        ),
        // Issue 15, public forms: the roster's managers only change forms; nothing reaches records.
        ("GET", "kumiki/public-forms", json!({"app": app})),
        (
            "POST",
            "kumiki/public-form",
            json!({"app": app, "name": "x", "settings": {"fields": [{"code": "秘密"}]}}),
        ),
        ("GET", "kumiki/public-form", json!({"id": 1})),
        (
            "PUT",
            "kumiki/public-form",
            json!({"id": 1, "state": "published"}),
        ),
        ("DELETE", "kumiki/public-form", json!({"id": 1})),
        ("GET", "kumiki/public-form/links", json!({"form": 1})),
        (
            "POST",
            "kumiki/public-form/links",
            json!({"form": 1, "links": [{"recipient": "x", "prefill": {"秘密": "x"}}]}),
        ),
        (
            "DELETE",
            "kumiki/public-form/links",
            json!({"form": 1, "ids": [1]}),
        ),
        ("GET", "kumiki/public-form/results", json!({"form": 1})),
        ("GET", "kumiki/public-form/templates", json!({})),
        (
            "POST",
            "kumiki/public-form/template",
            json!({"template": "event"}),
        ),
    ]
}

/// `(METHOD, api)` of every dispatch entry in `platform/src/routes/mod.rs`.
fn dispatch_table() -> Vec<(String, String)> {
    let src = include_str!("../../platform/src/routes/mod.rs");
    let mut out = Vec::new();
    for line in src.lines() {
        let t = line.trim();
        let Some(rest) = t.strip_prefix("(\"") else {
            continue;
        };
        let parts: Vec<&str> = rest.splitn(2, "\") =>").collect();
        let Some(head) = parts.first().filter(|_| parts.len() == 2) else {
            continue;
        };
        let fields: Vec<&str> = head.split(", ").collect();
        if fields.len() != 3 {
            continue;
        }
        let method = fields[0].trim_matches('"').to_owned();
        let api = fields[2].trim_matches('"').to_owned();
        let preview = fields[1];
        for p in match preview {
            "true" => vec![true],
            "false" => vec![false],
            _ => vec![false, true],
        } {
            out.push((
                method.clone(),
                if p {
                    format!("preview/{api}")
                } else {
                    api.clone()
                },
            ));
        }
    }
    out
}

/// A live chart that groups by the field only administrators see: its numbers must not carry the
/// canary to anyone else.
fn report_on_the_hidden_field(app: &TestApp, id: i64) {
    let report = json!({"chartType": "TABLE", "chartMode": "NORMAL", "index": "0",
        "groups": [{"code": "秘密"}], "aggregations": [{"type": "COUNT"}], "filterCond": "", "sorts": []});
    let (s, b) = app.put(
        "/k/v1/preview/app/reports.json",
        json!({"app": id, "reports": {"秘密別": report}}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["reports"]["秘密別"]["id"], "1", "{b}");
    app.deploy(id);
    let (s, b) = app.get(&format!("/api/app/report/data.json?app={id}&id=1"));
    assert_eq!(s, 200, "{b}");
    assert!(
        b.to_string().contains("CANARY-"),
        "the administrator sees the groups: {b}"
    );
}

#[test]
fn no_route_returns_or_changes_what_the_caller_may_not_see() {
    let app = TestApp::spawn();
    let r = roster(&app);
    report_on_the_hidden_field(&app, r.app);
    // Issue 16, dashboards: a list of every record (the hidden field among its columns) pinned to
    // the shared portal, which m1 and the outsider see.
    let (s, b) = app.post(
        "/api/dashboard/pins.json",
        json!({"scope": "PORTAL", "kind": "LIST", "app": r.app, "item": "", "rows": 20}),
    );
    assert_eq!((s, b["id"].as_str()), (200, Some("1")), "{b}");
    let routes = matrix(&r);
    for (method, api) in dispatch_table() {
        // `[preview/]` GETs are listed once, live or preview, which both reach the same handler.
        let bare = api.trim_start_matches("preview/");
        assert!(
            routes
                .iter()
                .any(|(m, a, _)| *m == method && a.trim_start_matches("preview/") == bare),
            "the permission matrix does not list {method} {api}"
        );
    }
    let snapshot = |app: &TestApp| {
        let (_, b) = app.get(&format!(
            "/k/v1/records.json?app={}&query=order%20by%20%24id%20asc",
            r.app
        ));
        b["records"].clone()
    };
    let before = snapshot(&app);
    let mut calls = 0;
    for user in ["m1", "outsider"] {
        let c = as_user(&app, user);
        for (method, api, params) in &routes {
            let (s, b) = call(&c, method, api, params);
            let text = b.to_string();
            assert!(
                !text.contains(&r.canary),
                "{user} {method} {api}: canary in {text}"
            );
            if api.contains("acl") && !api.contains("evaluate") {
                assert!(
                    s >= 400,
                    "{user} {method} {api} is for app managers: {s} {text}"
                );
            }
            calls += 1;
        }
        // Bulk sub-requests go through the same table.
        let (_, b) = c.post(
            "/k/v1/bulkRequest.json",
            json!({"requests": [{"method": "PUT", "api": "/k/v1/record.json", "payload": {"app": r.app, "id": r.hidden_row, "record": {}}}]}),
        );
        assert!(!b.to_string().contains(&r.canary));
        // A cursor reads only visible records, without the hidden field.
        let (s, b) = c.post("/k/v1/records/cursor.json", json!({"app": r.app}));
        if s == 200 {
            let (_, page) = c.get(&format!(
                "/k/v1/records/cursor.json?id={}",
                b["id"].as_str().unwrap()
            ));
            assert!(!page.to_string().contains(&r.canary));
            assert_eq!(b["totalCount"], "2");
        }
    }
    assert!(calls > 100);
    // Issue 16: the chart page and its CSV (page routes, through the same `open_report`) show no
    // group of the hidden field either: m1 may not see the field (the chart cannot be shown), the
    // outsider not the app.
    for user in ["m1", "outsider"] {
        let session = app.sign_in_form(user, PW);
        // The portal shows the pinned list without the hidden field.
        let (s, html) = app.page(&session, "/");
        assert_eq!(s, 200, "{user}");
        assert!(!html.contains(&r.canary), "{user} portal: canary");
        for path in [
            format!("/apps/{}/reports/1", r.app),
            format!("/apps/{}/reports/1?format=csv", r.app),
        ] {
            let (s, html) = app.page(&session, &path);
            assert!(s >= 400, "{user} {path}: {s}");
            assert!(!html.contains(&r.canary), "{user} {path}: canary");
        }
    }
    // Issue 16, printing: the print views (page routes, through the same acting context) never
    // show the hidden field or the hidden record.
    for user in ["m1", "outsider"] {
        let session = app.sign_in_form(user, PW);
        for path in [
            format!("/apps/{}/records/{}/print", r.app, r.hidden_row),
            format!("/apps/{}/records/{}/print", r.app, r.nagano_row),
            format!("/apps/{}/print", r.app),
        ] {
            let (s, html) = app.page(&session, &path);
            assert!(s == 200 || s == 404, "{user} {path}: {s}");
            assert!(!html.contains(&r.canary), "{user} {path}: canary");
        }
    }
    // Issue 17 part 2, the package import page: its two posts show no preview and import nothing
    // for a user who may not create apps (pages/package_import.rs; package_import_page.rs tests
    // them in full).
    for user in ["m1", "outsider"] {
        let session = app.sign_in_form(user, PW);
        for path in ["/apps/import/preview", "/apps/import/confirm"] {
            let form = reqwest::blocking::multipart::Form::new()
                .text("_csrf", "forged")
                .text("package", "{}");
            let resp = kumiki_tests::page_client()
                .post(app.url(path))
                .header("Cookie", &session)
                .multipart(form)
                .send()
                .unwrap();
            assert_eq!(resp.status().as_u16(), 200, "{user} {path}");
            assert!(
                !resp.text().unwrap().contains("pkgimport-roles"),
                "{user} {path}"
            );
        }
    }
    let after = snapshot(&app);
    let strip = |v: &Value| -> Vec<Value> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|rec| json!([rec["$id"], rec["$revision"], rec["秘密"], rec["氏名"]]))
            .collect()
    };
    assert_eq!(
        strip(&before),
        strip(&after),
        "a forbidden call changed a record"
    );
}

#[test]
fn permission_changes_are_audited() {
    let app = kumiki_tests::TestApp::spawn();
    let id = app.create_app("監査", kumiki_tests::sample_fields());
    let (s, b) = app.put(
        "/k/v1/preview/record/acl.json",
        serde_json::json!({"app": id, "rights": [{"filterCond": "Number > 10", "entities": [
            {"entity": {"type": "GROUP", "code": "everyone"}, "viewable": true, "editable": false, "deletable": false}
        ]}]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.get("/api/audit.json?action=permission.update");
    assert_eq!(s, 200, "{b}");
    let entries = b["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{b}");
    assert_eq!(entries[0]["target"], format!("app:{id}"));
    assert_eq!(entries[0]["actor"], "Administrator");
}
