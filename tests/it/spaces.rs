//! Spaces (issue 13, spaces part): kintone's `space.json`, `space/body.json`, `space/members.json`,
//! `space/thread.json`, `template/space.json`, `app/move.json`, `apps.json?spaceIds=`, `app.json`'s
//! `spaceId`/`threadId`, `preview/app.json` with `space`/`thread`, and Kumiki's `/api/space.json`,
//! `/api/spaces.json`, `/api/space/template(s).json`, join and leave. Who may do what, and bad input.

use kumiki_tests::{Auth, Client2, TestApp};
use serde_json::{json, Value};

const PW: &str = "space-password-1";

fn as_user<'a>(app: &'a TestApp, login: &str) -> Client2<'a> {
    app.with_auth(Auth::Password(login.into(), PW.into()))
}

fn user(code: &str, admin: bool) -> Value {
    json!({"entity": {"type": "USER", "code": code}, "isAdmin": admin})
}

/// Users `owner` (space admin), `member`, `outsider`; department `soumu` with `deptuser`; group
/// `team` with `groupuser`.
fn people(app: &TestApp) {
    for u in ["owner", "member", "outsider", "deptuser", "groupuser"] {
        app.user(u, PW);
    }
    let (s, b) = app.post(
        "/api/org/departments.json",
        json!({"code": "soumu", "name": "総務部"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.post(
        "/api/org/groups.json",
        json!({"code": "team", "name": "班"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/api/org/memberships.json",
        json!({"user": "deptuser", "departments": ["soumu"], "primaryDepartment": "soumu"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/api/org/memberships.json",
        json!({"user": "groupuser", "groups": ["team"]}),
    );
    assert_eq!(s, 200, "{b}");
}

/// A space created by `owner` with `member`; returns its id.
fn space(app: &TestApp, name: &str, private: bool, multi: bool) -> i64 {
    let (s, b) = as_user(app, "owner").post(
        "/api/space.json",
        json!({"name": name, "isPrivate": private, "useMultiThread": multi,
               "members": [user("owner", true), user("member", false)]}),
    );
    assert_eq!(s, 200, "create space: {b}");
    b["id"].as_str().unwrap().parse().unwrap()
}

fn code(b: &Value) -> &str {
    b["code"].as_str().unwrap_or_default()
}

#[test]
fn a_space_reads_and_changes_as_kintone_describes_it() {
    let app = TestApp::spawn();
    people(&app);
    let id = space(&app, "広報室", false, true);
    let owner = as_user(&app, "owner");
    let (s, b) = owner.get(&format!("/k/v1/space.json?id={id}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["id"], id.to_string());
    assert_eq!(b["name"], "広報室");
    assert_eq!(b["isPrivate"], false);
    assert_eq!(b["useMultiThread"], true);
    assert_eq!(b["isGuest"], false);
    assert_eq!(b["creator"], json!({"code": "owner", "name": "owner"}));
    assert_eq!(b["memberCount"], "2");
    assert_eq!(b["permissions"], json!({"createApp": "EVERYONE"}));
    assert_eq!(b["showThreadList"], true);
    assert!(b["defaultThread"].as_str().is_some(), "{b}");
    assert_eq!(b["attachedApps"], json!([]));

    // Settings: name, private, fixed members, createApp, portal switches.
    let (s, b) = owner.put(
        "/k/v1/space.json",
        json!({"id": id, "name": "広報室2", "isPrivate": true, "fixedMember": true,
               "permissions": {"createApp": "ADMIN"}, "showAppList": false}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, b) = owner.get(&format!("/k/v1/space.json?id={id}"));
    assert_eq!(b["name"], "広報室2");
    assert_eq!(b["isPrivate"], true);
    assert_eq!(b["fixedMember"], true);
    assert_eq!(b["showAppList"], false);
    assert_eq!(b["permissions"]["createApp"], "ADMIN");

    // A single-thread space sends no portal switches.
    let single = space(&app, "一室", false, false);
    let (_, b) = owner.get(&format!("/k/v1/space.json?id={single}"));
    assert_eq!(b["showThreadList"], Value::Null, "{b}");

    // Body: sanitised.
    let (s, b) = owner.put(
        "/k/v1/space/body.json",
        json!({"id": id, "body": "<p onclick=\"x()\">ようこそ<script>alert(1)</script><img src=x onerror=alert(1)><a href=\"javascript:alert(1)\">l</a><b>太字</b></p>"}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, b) = owner.get(&format!("/k/v1/space.json?id={id}"));
    let body = b["body"].as_str().unwrap();
    assert!(
        body.contains("ようこそ") && body.contains("<b>太字</b>"),
        "{body}"
    );
    for bad in ["<script", "onerror", "onclick", "javascript:"] {
        assert!(!body.contains(bad), "{bad} left in {body}");
    }

    // Unknown space: 404 GAIA_SP01.
    let (s, b) = owner.get("/k/v1/space.json?id=99999");
    assert_eq!((s, code(&b)), (404, "GAIA_SP01"), "{b}");
}

#[test]
fn only_space_admins_change_a_space_and_private_spaces_hide() {
    let app = TestApp::spawn();
    people(&app);
    let public = space(&app, "公開", false, true);
    let private = space(&app, "非公開", true, true);
    let member = as_user(&app, "member");
    let outsider = as_user(&app, "outsider");

    // A member reads but may not change settings, body or members, nor delete.
    let (s, _) = member.get(&format!("/k/v1/space.json?id={private}"));
    assert_eq!(s, 200);
    let (s, b) = member.put("/k/v1/space.json", json!({"id": public, "name": "x"}));
    assert_eq!((s, code(&b)), (403, "CB_NO02"), "{b}");
    let (s, b) = member.put("/k/v1/space/body.json", json!({"id": public, "body": "x"}));
    assert_eq!((s, code(&b)), (403, "CB_NO02"), "{b}");
    let (s, b) = member.put(
        "/k/v1/space/members.json",
        json!({"id": public, "members": [user("member", true)]}),
    );
    assert_eq!((s, code(&b)), (403, "CB_NO02"), "{b}");
    let (s, b) = member.delete("/k/v1/space.json", json!({"id": public}));
    assert_eq!((s, code(&b)), (403, "CB_NO02"), "{b}");

    // An outsider sees the public space, not the private one (as if it did not exist).
    let (s, _) = outsider.get(&format!("/k/v1/space.json?id={public}"));
    assert_eq!(s, 200);
    let (s, b) = outsider.get(&format!("/k/v1/space.json?id={private}"));
    assert_eq!((s, code(&b)), (404, "GAIA_SP01"), "{b}");
    let (s, b) = outsider.get(&format!("/k/v1/space/members.json?id={private}"));
    assert_eq!((s, code(&b)), (404, "GAIA_SP01"), "{b}");
    let (_, b) = outsider.get("/api/spaces.json");
    let names: Vec<&str> = b["spaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["公開"]);
    // An outsider adds no thread (not a member) but may join the public space, then add one.
    let (s, b) = outsider.post(
        "/k/v1/space/thread.json",
        json!({"space": public, "name": "t"}),
    );
    assert_eq!((s, code(&b)), (403, "CB_NO02"), "{b}");
    let (s, b) = outsider.post("/api/space/join.json", json!({"id": public}));
    assert_eq!(s, 200, "{b}");
    let (s, b) = outsider.post(
        "/k/v1/space/thread.json",
        json!({"space": public, "name": "t"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = outsider.post("/api/space/leave.json", json!({"id": public}));
    assert_eq!(s, 200, "{b}");
    let (s, _) = outsider.post("/api/space/join.json", json!({"id": private}));
    assert_eq!(s, 404, "a private space is not joined by outsiders");

    // Fixed members: nobody joins or leaves by themselves.
    let (s, _) = as_user(&app, "owner").put(
        "/k/v1/space.json",
        json!({"id": public, "fixedMember": true}),
    );
    assert_eq!(s, 200);
    let (s, b) = outsider.post("/api/space/join.json", json!({"id": public}));
    assert_eq!((s, code(&b)), (400, "CB_VA01"), "{b}");
    let (s, b) = member.post("/api/space/leave.json", json!({"id": public}));
    assert_eq!((s, code(&b)), (400, "CB_VA01"), "{b}");

    // API tokens never reach spaces.
    let id = app.create_app("台帳", kumiki_tests::sample_fields());
    let token = app.with_auth(Auth::Tokens(app.token(id, "view")));
    let (s, b) = token.get(&format!("/k/v1/space.json?id={public}"));
    assert_eq!((s, code(&b)), (403, "GAIA_NO01"), "{b}");

    // The admin deletes the space: gone for everyone.
    let (s, b) = as_user(&app, "owner").delete("/k/v1/space.json", json!({"id": private}));
    assert_eq!(s, 200, "{b}");
    let (s, b) = as_user(&app, "owner").get(&format!("/k/v1/space.json?id={private}"));
    assert_eq!((s, code(&b)), (404, "GAIA_SP01"), "{b}");
}

#[test]
fn members_are_users_departments_and_groups_with_one_admin_at_least() {
    let app = TestApp::spawn();
    people(&app);
    let id = space(&app, "会議室", true, false);
    let owner = as_user(&app, "owner");
    let (s, b) = owner.put(
        "/k/v1/space/members.json",
        json!({"id": id, "members": [
            user("owner", true),
            {"entity": {"type": "ORGANIZATION", "code": "soumu"}, "includeSubs": true},
            {"entity": {"type": "GROUP", "code": "team"}},
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = owner.get(&format!("/k/v1/space/members.json?id={id}"));
    assert_eq!(s, 200, "{b}");
    let members = b["members"].as_array().unwrap();
    assert_eq!(members.len(), 3, "{b}");
    assert_eq!(members[0]["entity"]["type"], "USER");
    assert_eq!(members[0]["isAdmin"], true);
    assert_eq!(members[2]["entity"]["code"], "soumu");
    assert_eq!(members[2]["includeSubs"], true);
    // The department's and the group's people enter the private space; `member` no longer does.
    for u in ["deptuser", "groupuser"] {
        let (s, b) = as_user(&app, u).get(&format!("/k/v1/space.json?id={id}"));
        assert_eq!(s, 200, "{u}: {b}");
    }
    let (s, _) = as_user(&app, "member").get(&format!("/k/v1/space.json?id={id}"));
    assert_eq!(s, 404);
    let (_, b) = owner.get(&format!("/k/v1/space.json?id={id}"));
    assert_eq!(b["memberCount"], "3");

    // Bad input: an unknown code, no admin left, an unknown kind; nothing changes.
    let cases = [
        (
            json!([user("owner", true), user("nobody", false)]),
            "members[1].entity.code",
        ),
        (
            json!([{"entity": {"type": "GROUP", "code": "ghosts"}}, user("owner", true)]),
            "members[0].entity.code",
        ),
        (
            json!([user("owner", false), user("member", false)]),
            "members",
        ),
        (
            json!([{"entity": {"type": "ROBOT", "code": "x"}}]),
            "members[0].entity.type",
        ),
        (
            json!([user("owner", true), user("owner", false)]),
            "members[1].entity.code",
        ),
    ];
    for (members, key) in cases {
        let (s, b) = owner.put(
            "/k/v1/space/members.json",
            json!({"id": id, "members": members}),
        );
        assert_eq!((s, code(&b)), (400, "CB_VA01"), "{members}: {b}");
        assert!(b["errors"][key].is_object(), "{key} in {b}");
    }
    let (_, b) = owner.get(&format!("/k/v1/space/members.json?id={id}"));
    assert_eq!(b["members"].as_array().unwrap().len(), 3, "unchanged: {b}");
    let (s, b) = owner.put(
        "/k/v1/space/members.json",
        json!({"id": id, "members": [user("owner", true), user("nobody", false)]}),
    );
    assert!(
        b["errors"]["members[1].entity.code"]["messages"][0]
            .as_str()
            .unwrap()
            .contains("nobody"),
        "{s} {b}"
    );
}

#[test]
fn threads_are_added_and_changed_in_multi_thread_spaces() {
    let app = TestApp::spawn();
    people(&app);
    let multi = space(&app, "多", false, true);
    let single = space(&app, "単", false, false);
    let member = as_user(&app, "member");
    let (s, b) = member.post(
        "/k/v1/space/thread.json",
        json!({"space": multi, "name": "案件A"}),
    );
    assert_eq!(s, 200, "{b}");
    let thread: i64 = b["id"].as_str().unwrap().parse().unwrap();
    let thread_id = thread.to_string();
    let (s, b) = member.put(
        "/k/v1/space/thread.json",
        json!({"id": thread, "name": "案件A(済)", "body": "<p>要点<script>x</script></p>"}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, b) = member.get(&format!("/k/v1/space.json?id={multi}"));
    let t = b["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"].as_str() == Some(thread_id.as_str()))
        .unwrap()
        .clone();
    assert_eq!(t["name"], "案件A(済)");
    assert_eq!(t["body"], "<p>要点</p>");

    let (s, b) = member.post(
        "/k/v1/space/thread.json",
        json!({"space": single, "name": "x"}),
    );
    assert_eq!((s, code(&b)), (400, "CB_VA01"), "{b}");
    let (s, b) = member.post(
        "/k/v1/space/thread.json",
        json!({"space": multi, "name": ""}),
    );
    assert_eq!((s, code(&b)), (400, "CB_VA01"), "{b}");
    let (s, b) = member.put("/k/v1/space/thread.json", json!({"id": 99999, "name": "x"}));
    assert_eq!((s, code(&b)), (404, "GAIA_TH01"), "{b}");
    // A thread of a private space the caller is not in is "not found".
    let private = space(&app, "秘", true, true);
    let (_, b) = as_user(&app, "owner").get(&format!("/k/v1/space.json?id={private}"));
    let default: i64 = b["defaultThread"].as_str().unwrap().parse().unwrap();
    let (s, b) = as_user(&app, "outsider").put(
        "/k/v1/space/thread.json",
        json!({"id": default, "name": "x"}),
    );
    assert_eq!((s, code(&b)), (404, "GAIA_TH01"), "{b}");
}

#[test]
fn spaces_are_made_from_templates() {
    let app = TestApp::spawn();
    people(&app);
    let source = space(&app, "ひな形元", true, true);
    let owner = as_user(&app, "owner");
    let (s, _) = owner.post(
        "/k/v1/space/thread.json",
        json!({"space": source, "name": "議題"}),
    );
    assert_eq!(s, 200);
    let (s, _) = owner.put(
        "/k/v1/space/body.json",
        json!({"id": source, "body": "<p>定型文</p>"}),
    );
    assert_eq!(s, 200);
    let (s, b) = as_user(&app, "member").post(
        "/api/space/template.json",
        json!({"space": source, "name": "会議テンプレート"}),
    );
    assert_eq!(
        (s, code(&b)),
        (403, "CB_NO02"),
        "members do not save templates: {b}"
    );
    let (s, b) = owner.post(
        "/api/space/template.json",
        json!({"space": source, "name": "会議テンプレート"}),
    );
    assert_eq!(s, 200, "{b}");
    let template = b["id"].as_str().unwrap().to_owned();
    let (_, b) = as_user(&app, "outsider").get("/api/space/templates.json");
    assert_eq!(b["templates"][0]["name"], "会議テンプレート", "{b}");

    let (s, b) = as_user(&app, "outsider").post(
        "/k/v1/template/space.json",
        json!({"id": template, "name": "第2会議", "members": [user("outsider", true)], "isPrivate": false}),
    );
    assert_eq!(s, 200, "{b}");
    let new_id = b["id"].as_str().unwrap();
    let (s, b) = as_user(&app, "outsider").get(&format!("/k/v1/space.json?id={new_id}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["name"], "第2会議");
    assert_eq!(b["body"], "<p>定型文</p>");
    assert_eq!(b["isPrivate"], false);
    assert_eq!(b["useMultiThread"], true);
    let names: Vec<&str> = b["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["スレッド", "議題"]);
    assert_eq!(b["memberCount"], "1");

    let (s, b) = owner.post(
        "/k/v1/template/space.json",
        json!({"id": 99999, "name": "x", "members": [user("owner", true)]}),
    );
    assert_eq!((s, code(&b)), (400, "CB_VA01"), "{b}");
    let (s, b) = owner.post(
        "/k/v1/template/space.json",
        json!({"id": template, "name": "x", "members": [user("owner", false)]}),
    );
    assert_eq!((s, code(&b)), (400, "CB_VA01"), "an admin is required: {b}");
}

#[test]
fn apps_live_in_spaces_and_move_between_them() {
    let app = TestApp::spawn();
    app.allow_app_creation_by_everyone();
    people(&app);
    let room = space(&app, "部屋", true, true);
    let owner = as_user(&app, "owner");
    let member = as_user(&app, "member");
    let (_, b) = owner.get(&format!("/k/v1/space.json?id={room}"));
    let default_thread = b["defaultThread"].as_str().unwrap().to_owned();

    // preview/app.json with space: a member creates an app in the space (createApp EVERYONE).
    let (s, b) = member.post(
        "/k/v1/preview/app.json",
        json!({"name": "部屋の台帳", "space": room}),
    );
    assert_eq!(s, 200, "{b}");
    let in_room: i64 = b["app"].as_str().unwrap().parse().unwrap();
    let (s, b) = member.get(&format!("/k/v1/app.json?id={in_room}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["spaceId"], room.to_string());
    assert_eq!(b["threadId"], default_thread);
    // An outsider cannot create apps in the private space; with ADMIN only admins may.
    let (s, _) = as_user(&app, "outsider").post(
        "/k/v1/preview/app.json",
        json!({"name": "x", "space": room}),
    );
    assert_eq!(s, 404);
    let (s, _) = owner.put(
        "/k/v1/space.json",
        json!({"id": room, "permissions": {"createApp": "ADMIN"}}),
    );
    assert_eq!(s, 200);
    let (s, b) = member.post(
        "/k/v1/preview/app.json",
        json!({"name": "x", "space": room}),
    );
    assert_eq!((s, code(&b)), (403, "CB_NO02"), "{b}");
    let (s, b) = owner.post(
        "/k/v1/preview/app.json",
        json!({"name": "管理者の台帳", "space": room, "thread": default_thread}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = owner.post(
        "/k/v1/preview/app.json",
        json!({"name": "x", "space": room, "thread": 99999}),
    );
    assert_eq!((s, code(&b)), (404, "GAIA_TH01"), "{b}");

    // attachedApps and apps.json?spaceIds=.
    // attachedApps lists the apps the reader may see: a never-deployed app only its creator.
    let (_, b) = owner.get(&format!("/k/v1/space.json?id={room}"));
    assert_eq!(b["attachedApps"][0]["name"], "管理者の台帳", "{b}");
    let (_, b) = member.get(&format!("/k/v1/space.json?id={room}"));
    let attached = b["attachedApps"].as_array().unwrap();
    assert_eq!(attached.len(), 1, "{b}");
    assert_eq!(attached[0]["appId"], in_room.to_string());
    assert_eq!(attached[0]["name"], "部屋の台帳");
    assert_eq!(attached[0]["spaceId"], room.to_string());
    assert_eq!(attached[0]["creator"]["code"], "member");
    let outside = app.create_app("外の台帳", kumiki_tests::sample_fields());
    let (_, b) = app.get(&format!("/k/v1/apps.json?spaceIds[0]={room}"));
    let ids: Vec<&str> = b["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["appId"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&outside.to_string().as_str()), "{b}");

    // An app of a private space is the members' only.
    let (s, b) = member.post(
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": in_room}]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, _) = as_user(&app, "outsider").get(&format!("/k/v1/app.json?id={in_room}"));
    assert_ne!(s, 200);

    // app/move.json: the app's manager (Administrator) moves an app into the space; only after
    // joining the space may they (space rights), then out again.
    let (s, b) = app.post(
        "/k/v1/app/move.json",
        json!({"app": outside, "space": room}),
    );
    assert_eq!(
        s, 404,
        "Administrator is no member of the private room: {b}"
    );
    let (s, b) = owner.post(
        "/k/v1/app/move.json",
        json!({"app": outside, "space": room}),
    );
    assert_ne!(s, 200, "owner does not manage the app: {b}");
    let (s, _) = owner.put(
        "/k/v1/space/members.json",
        json!({"id": room, "members": [user("owner", true), user("member", false), user("Administrator", true)]}),
    );
    assert_eq!(s, 200);
    let (s, b) = app.post(
        "/k/v1/app/move.json",
        json!({"app": outside, "space": room}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, b) = app.get(&format!("/k/v1/app.json?id={outside}"));
    assert_eq!(b["spaceId"], room.to_string());
    assert_eq!(b["threadId"], default_thread);
    let (s, _) = as_user(&app, "outsider").get(&format!("/k/v1/app.json?id={outside}"));
    assert_ne!(s, 200, "now in the private space");
    let (s, b) = app.post(
        "/k/v1/app/move.json",
        json!({"app": outside, "space": null}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, b) = app.get(&format!("/k/v1/app.json?id={outside}"));
    assert_eq!(b["spaceId"], Value::Null);
    assert_eq!(b["threadId"], Value::Null);

    // Deleting the space deletes its apps, as kintone does.
    let (s, b) = owner.delete("/k/v1/space.json", json!({"id": room}));
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.get(&format!("/k/v1/app.json?id={in_room}"));
    assert_eq!((s, code(&b)), (404, "GAIA_AP01"), "{b}");
    let (s, _) = app.get(&format!("/k/v1/app.json?id={outside}"));
    assert_eq!(s, 200, "the moved-out app stays");
}

#[test]
fn guest_spaces_are_reached_through_their_path() {
    let app = TestApp::spawn();
    people(&app);
    let (s, b) = as_user(&app, "owner").post(
        "/api/space.json",
        json!({"name": "取引先", "isGuest": true, "members": [user("owner", true)]}),
    );
    assert_eq!(s, 200, "{b}");
    let id = b["id"].as_str().unwrap();
    let owner = as_user(&app, "owner");
    let (s, b) = owner.get(&format!("/k/guest/{id}/v1/space.json?id={id}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["isGuest"], true);
    assert_eq!(b["isPrivate"], true);
    let (s, b) = owner.get(&format!("/k/v1/space.json?id={id}"));
    assert_eq!((s, code(&b)), (400, "GAIA_IL23"), "{b}");
    let other = space(&app, "別", false, false);
    let (s, b) = owner.get(&format!("/k/guest/{other}/v1/space.json?id={id}"));
    assert_eq!((s, code(&b)), (403, "CB_NO02"), "{b}");
    let (s, b) = owner.put(
        &format!("/k/guest/{id}/v1/space/body.json"),
        json!({"id": id, "body": "<p>ゲスト向け</p>"}),
    );
    assert_eq!(s, 200, "{b}");
    // Apps are created in a guest space through its path, and not moved in or out.
    app.allow_app_creation_by_everyone();
    let (s, b) = owner.post(
        &format!("/k/guest/{id}/v1/preview/app.json"),
        json!({"name": "ゲストの台帳", "space": id}),
    );
    assert_eq!(s, 200, "{b}");
    let g = b["app"].as_str().unwrap().to_owned();
    let (s, b) = owner.get(&format!("/k/guest/{id}/v1/app.json?id={g}"));
    assert_eq!((s, b["spaceId"].as_str()), (200, Some(id)), "{b}");
    let (s, b) = owner.post(
        &format!("/k/guest/{id}/v1/app/move.json"),
        json!({"app": g, "space": null}),
    );
    assert_eq!((s, code(&b)), (400, "CB_VA01"), "{b}");
    let (s, b) = owner.post("/k/v1/preview/app.json", json!({"name": "a"}));
    assert_eq!(s, 200, "{b}");
    let a = b["app"].as_str().unwrap().to_owned();
    let (s, b) = owner.post("/k/v1/app/move.json", json!({"app": a, "space": id}));
    assert_eq!((s, code(&b)), (400, "GAIA_IL23"), "{b}");
}
