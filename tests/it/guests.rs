//! Guest users (issue 13, docs/guests.md): kintone's `guests.json` (POST/DELETE, system
//! administrators only) and `space/guests.json` (PUT through the guest space's path, its space
//! administrators only), bad input, the guest-path errors, and what a guest may call at all (only
//! under the path of a guest space it belongs to).

use base64::Engine as _;
use kumiki_tests::{Auth, Client2, TestApp};
use serde_json::{json, Value};

pub(crate) const GUEST_PW: &str = "guest-password-1";

/// A guest entry as kintone's clients send it.
pub(crate) fn guest(code: &str, name: &str, company: &str) -> Value {
    json!({
        "code": code, "password": GUEST_PW, "timezone": "Asia/Tokyo", "locale": "ja",
        "name": name, "surName": name, "givenName": "", "surNameReading": "", "givenNameReading": "",
        "company": company, "division": "総務課", "phone": "03-0000-0000", "callto": ""
    })
}

/// Adds guests as Administrator; panics unless it works.
pub(crate) fn add_guests(app: &TestApp, guests: Vec<Value>) {
    let (s, b) = app.post("/k/v1/guests.json", json!({ "guests": guests }));
    assert_eq!((s, &b), (200, &json!({})), "add guests");
}

/// Creates guest space `id` named `name` directly in the database (the spaces API belongs to
/// another part), with Administrator as its space administrator and `hosts` as members.
pub(crate) fn guest_space(app: &TestApp, id: i64, name: &str, hosts: &[&str]) {
    space_row(app, id, name, true, false);
    member(app, id, "Administrator", true);
    for h in hosts {
        member(app, id, h, false);
    }
}

/// A space row (guest or not, private or not).
pub(crate) fn space_row(app: &TestApp, id: i64, name: &str, guest: bool, private: bool) {
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let mut b = conn.sql();
    b.push("INSERT INTO spaces (id, name, is_guest, is_private, created_at) VALUES (")
        .bind_int(id)
        .push(", ")
        .bind_text(name)
        .push(if guest { ", TRUE" } else { ", FALSE" })
        .push(if private { ", TRUE, 0)" } else { ", FALSE, 0)" });
    conn.execute(&b).unwrap();
}

/// A USER member entry of a space.
pub(crate) fn member(app: &TestApp, space: i64, code: &str, admin: bool) {
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let mut b = conn.sql();
    b.push(
        "INSERT INTO space_members (space_id, entity_type, code, is_admin, include_subs) VALUES (",
    )
    .bind_int(space)
    .push(", 'USER', ")
    .bind_text(code)
    .push(if admin {
        ", TRUE, FALSE)"
    } else {
        ", FALSE, FALSE)"
    });
    conn.execute(&b).unwrap();
}

/// Moves app `app` into space `space` directly in the database (`app/move.json` is another part's).
pub(crate) fn move_app(app: &TestApp, id: i64, space: i64) {
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let mut b = conn.sql();
    b.push("UPDATE apps SET space_id = ")
        .bind_int(space)
        .push(" WHERE id = ")
        .bind_int(id);
    conn.execute(&b).unwrap();
}

/// The USER member codes of a space, by code.
pub(crate) fn user_members(app: &TestApp, space: i64) -> Vec<String> {
    use diesel::prelude::*;
    use kumiki_engine::db::schema::space_members as m;
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let mut codes: Vec<String> = kumiki_engine::with_conn!(&mut conn, |c| m::table
        .filter(m::space_id.eq(space))
        .filter(m::entity_type.eq("USER"))
        .select(m::code)
        .load::<String>(c))
    .unwrap();
    codes.sort();
    codes
}

pub(crate) fn as_guest<'a>(app: &'a TestApp, code: &str) -> Client2<'a> {
    app.with_auth(Auth::Password(code.into(), GUEST_PW.into()))
}

fn code_of(b: &Value) -> Option<&str> {
    b["code"].as_str()
}

#[test]
fn administrators_add_list_and_delete_guests() {
    let app = TestApp::spawn();
    add_guests(
        &app,
        vec![
            guest("yamada@a.example.jp", "山田", "A社"),
            json!({"code": "lee@b.example.com", "password": GUEST_PW, "timezone": "UTC", "name": "Lee"}),
        ],
    );
    let (s, b) = app.get("/api/guests.json");
    assert_eq!(s, 200, "{b}");
    let list = b["guests"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{b}");
    assert_eq!(list[1]["code"], "yamada@a.example.jp");
    assert_eq!(list[1]["company"], "A社");
    assert_eq!(list[1]["division"], "総務課");
    assert_eq!(list[1]["isActive"], true);
    // A guest signs in with its e-mail address, but without a guest space it reaches nothing.
    let (s, b) = as_guest(&app, "yamada@a.example.jp").get("/k/v1/apps.json");
    assert_eq!((s, code_of(&b)), (403, Some("CB_NO02")), "{b}");
    // Guests are added to a guest space, then deleted: they leave it and cannot sign in again.
    guest_space(&app, 301, "協議会", &[]);
    let (s, b) = app.put(
        "/k/guest/301/v1/space/guests.json",
        json!({"id": 301, "guests": ["yamada@a.example.jp", "lee@b.example.com"]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = as_guest(&app, "yamada@a.example.jp").get("/k/guest/301/v1/apps.json");
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.delete(
        "/k/v1/guests.json",
        json!({"guests": ["yamada@a.example.jp"]}),
    );
    assert_eq!((s, &b), (200, &json!({})), "delete");
    assert_eq!(
        user_members(&app, 301),
        vec!["Administrator", "lee@b.example.com"]
    );
    let (s, b) = as_guest(&app, "yamada@a.example.jp").get("/k/guest/301/v1/apps.json");
    assert_eq!(s, 401, "a deleted guest is signed out for good: {b}");
    let (_, b) = app.get("/api/guests.json");
    assert_eq!(b["guests"][1]["isActive"], false, "{b}");
    // The same address can be added again (kintone allows it) with a new password.
    add_guests(&app, vec![guest("yamada@a.example.jp", "山田", "A社")]);
    let (s, b) = app.put(
        "/k/guest/301/v1/space/guests.json",
        json!({"id": 301, "guests": ["yamada@a.example.jp"]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = as_guest(&app, "yamada@a.example.jp").get("/k/guest/301/v1/apps.json");
    assert_eq!(s, 200, "{b}");
    // The official clients send DELETE parameters in the query string.
    let (s, b) = app.raw(
        reqwest::Method::DELETE,
        "/k/v1/guests.json?guests%5B0%5D=lee%40b.example.com",
        Vec::new(),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        user_members(&app, 301),
        vec!["Administrator", "yamada@a.example.jp"]
    );
}

#[test]
fn bad_guest_input_is_refused_whole() {
    let app = TestApp::spawn();
    app.user("sato", "sato-password-1");
    let cases = [
        (
            json!({"guests": [guest("not-an-address", "x", "")]}),
            "guests[0].code",
        ),
        (
            json!({"guests": [guest("a@b.example", "x", ""), guest("A@b.example", "y", "")]}),
            "guests[1].code",
        ),
        (
            json!({"guests": [guest("sato@x.example", "x", ""), {"code": "short@x.example", "password": "short", "timezone": "Asia/Tokyo", "name": "s"}]}),
            "guests[1].password",
        ),
        (
            json!({"guests": [{"code": "tz@x.example", "password": GUEST_PW, "timezone": "Mars/Base", "name": "t"}]}),
            "guests[0].timezone",
        ),
        (
            json!({"guests": [{"code": "nm@x.example", "password": GUEST_PW, "timezone": "UTC", "name": ""}]}),
            "guests[0].name",
        ),
        (
            json!({"guests": [{"code": "lc@x.example", "password": GUEST_PW, "timezone": "UTC", "name": "l", "locale": "fr"}]}),
            "guests[0].locale",
        ),
        (
            json!({"guests": [{"code": "co@x.example", "password": GUEST_PW, "timezone": "UTC", "name": "c", "company": "x".repeat(101)}]}),
            "guests[0].company",
        ),
        (json!({"guests": []}), "guests"),
        (json!({}), "guests"),
        (json!({"guests": ["nope"]}), "guests[0]"),
    ];
    for (body, key) in cases {
        let (s, b) = app.post("/k/v1/guests.json", body.clone());
        assert_eq!((s, code_of(&b)), (400, Some("CB_VA01")), "{body}: {b}");
        assert!(b["errors"].get(key).is_some(), "{key} in {b}");
    }
    // Nothing of a refused call was written (the good first entry of the third case included).
    let (_, b) = app.get("/api/guests.json");
    assert_eq!(b["guests"], json!([]), "{b}");
    // A login name in use (a host user) is a duplicate.
    app.user("taken@x.example", "taken-password-1");
    let (s, b) = app.post(
        "/k/v1/guests.json",
        json!({"guests": [guest("taken@x.example", "t", "")]}),
    );
    assert_eq!(s, 400, "{b}");
    assert!(b["errors"].get("guests[0].code").is_some(), "{b}");
    // An existing guest is a duplicate too.
    add_guests(&app, vec![guest("g@x.example", "g", "")]);
    let (s, b) = app.post(
        "/k/v1/guests.json",
        json!({"guests": [guest("g@x.example", "g", "")]}),
    );
    assert_eq!(s, 400, "{b}");
    // Deleting a host user through guests.json, or an unknown guest, is refused.
    let (s, b) = app.delete("/k/v1/guests.json", json!({"guests": ["sato"]}));
    assert_eq!((s, code_of(&b)), (400, Some("CB_VA01")), "{b}");
    let (s, _) = app.delete("/k/v1/guests.json", json!({"guests": ["who@x.example"]}));
    assert_eq!(s, 400);
    // Only system administrators add, delete or list guests; API tokens never.
    let sato = app.with_auth(Auth::Password("sato".into(), "sato-password-1".into()));
    let (s, b) = sato.post(
        "/k/v1/guests.json",
        json!({"guests": [guest("h@x.example", "h", "")]}),
    );
    assert_eq!((s, code_of(&b)), (403, Some("CB_NO02")), "{b}");
    let (s, b) = sato.delete("/k/v1/guests.json", json!({"guests": ["g@x.example"]}));
    assert_eq!((s, code_of(&b)), (403, Some("CB_NO02")), "{b}");
    let (s, _) = sato.get("/api/guests.json");
    assert_eq!(s, 403);
    let id = app.create_app("台帳", kumiki_tests::sample_fields());
    let token = app.token(id, "view,add,edit,delete,manage");
    let (s, _) = app.with_auth(Auth::Tokens(token)).post(
        "/k/v1/guests.json",
        json!({"guests": [guest("t@x.example", "t", "")]}),
    );
    assert_ne!(s, 200);
    // A guest cannot add guests either, even through its own space's path.
    guest_space(&app, 302, "協議会", &[]);
    app.put(
        "/k/guest/302/v1/space/guests.json",
        json!({"id": 302, "guests": ["g@x.example"]}),
    );
    let (s, b) = as_guest(&app, "g@x.example").post(
        "/k/guest/302/v1/guests.json",
        json!({"guests": [guest("u@x.example", "u", "")]}),
    );
    assert_eq!((s, code_of(&b)), (403, Some("CB_NO02")), "{b}");
    let (_, b) = app.get("/api/guests.json");
    assert_eq!(b["guests"].as_array().unwrap().len(), 1, "{b}");
    // The password policy's words reach the caller: a guest password equal to the login is refused.
    let (s, b) = app.post(
        "/k/v1/guests.json",
        json!({"guests": [{"code": "same@x.example", "password": "same@x.example", "timezone": "UTC", "name": "s"}]}),
    );
    assert_eq!(s, 400, "{b}");
    assert!(b["errors"].get("guests[0].password").is_some(), "{b}");
}

#[test]
fn space_guests_through_the_guest_path_by_space_admins() {
    let app = TestApp::spawn();
    app.user("kato", "kato-password-1");
    add_guests(
        &app,
        vec![
            guest("a1@a.example", "A1", "A"),
            guest("a2@a.example", "A2", "A"),
        ],
    );
    guest_space(&app, 310, "A協議", &["kato"]);
    guest_space(&app, 311, "B協議", &[]);
    let body = json!({"id": 310, "guests": ["a1@a.example", "a2@a.example"]});
    // The normal path is GAIA_IL23; another space's path is CB_NO02; the body's id must be the
    // path's space.
    let (s, b) = app.put("/k/v1/space/guests.json", body.clone());
    assert_eq!((s, code_of(&b)), (400, Some("GAIA_IL23")), "{b}");
    let (s, b) = app.put("/k/guest/311/v1/space/guests.json", body.clone());
    assert_eq!((s, code_of(&b)), (403, Some("CB_NO02")), "{b}");
    // A member who is not a space administrator may not.
    let kato = app.with_auth(Auth::Password("kato".into(), "kato-password-1".into()));
    let (s, b) = kato.put("/k/guest/310/v1/space/guests.json", body.clone());
    assert_eq!((s, code_of(&b)), (403, Some("CB_NO02")), "{b}");
    // A host user is not a guest; unknown codes are refused; nothing changed so far.
    let (s, b) = app.put(
        "/k/guest/310/v1/space/guests.json",
        json!({"id": 310, "guests": ["a1@a.example", "kato"]}),
    );
    assert_eq!((s, code_of(&b)), (400, Some("CB_VA01")), "{b}");
    assert!(b["errors"].get("guests[1]").is_some(), "{b}");
    assert_eq!(user_members(&app, 310), vec!["Administrator", "kato"]);
    let (s, b) = app.put("/k/guest/310/v1/space/guests.json", body);
    assert_eq!((s, &b), (200, &json!({})));
    assert_eq!(
        user_members(&app, 310),
        vec!["Administrator", "a1@a.example", "a2@a.example", "kato"]
    );
    // Setting the list again replaces the guests and keeps the host members.
    let (s, _) = app.put(
        "/k/guest/310/v1/space/guests.json",
        json!({"id": 310, "guests": ["a2@a.example"]}),
    );
    assert_eq!(s, 200);
    assert_eq!(
        user_members(&app, 310),
        vec!["Administrator", "a2@a.example", "kato"]
    );
    // A space that is not a guest space has no guest path.
    space_row(&app, 312, "庁内", false, false);
    member(&app, 312, "Administrator", true);
    let (s, b) = app.put(
        "/k/guest/312/v1/space/guests.json",
        json!({"id": 312, "guests": []}),
    );
    assert_eq!((s, code_of(&b)), (403, Some("CB_NO02")), "{b}");
    let (s, b) = app.put(
        "/k/v1/space/guests.json",
        json!({"id": 312, "guests": ["a2@a.example"]}),
    );
    assert_eq!((s, code_of(&b)), (400, Some("CB_VA01")), "{b}");
    // An unknown space.
    let (s, b) = app.put(
        "/k/guest/999/v1/space/guests.json",
        json!({"id": 999, "guests": []}),
    );
    assert!(s == 404 || s == 403, "{s} {b}");
}

#[test]
fn guests_call_only_their_guest_space_paths() {
    let app = TestApp::spawn();
    add_guests(&app, vec![guest("a1@a.example", "A1", "A")]);
    guest_space(&app, 320, "A協議", &[]);
    guest_space(&app, 321, "B協議", &[]);
    app.put(
        "/k/guest/320/v1/space/guests.json",
        json!({"id": 320, "guests": ["a1@a.example"]}),
    );
    let host_app = app.create_app("庁内台帳", kumiki_tests::sample_fields());
    let a = as_guest(&app, "a1@a.example");
    for path in [
        "/k/v1/apps.json".to_owned(),
        format!("/k/v1/app.json?id={host_app}"),
        format!("/k/v1/records.json?app={host_app}"),
        "/api/directory.json".to_owned(),
        "/api/users.json".to_owned(),
        "/api/search.json?q=x".to_owned(),
        "/api/org/users.json".to_owned(),
        "/k/guest/321/v1/apps.json".to_owned(),
        "/api/guest/321/directory.json".to_owned(),
        "/k/guest/abc/v1/apps.json".to_owned(),
    ] {
        let (s, b) = a.get(&path);
        assert_eq!((s, code_of(&b)), (403, Some("CB_NO02")), "{path}: {b}");
    }
    // Through its own space's path: the API answers, limited to that space.
    let (s, b) = a.get("/k/guest/320/v1/apps.json");
    assert_eq!((s, &b["apps"]), (200, &json!([])), "{b}");
    let (s, b) = a.get(&format!("/k/guest/320/v1/app.json?id={host_app}"));
    assert_eq!((s, code_of(&b)), (403, Some("CB_NO02")), "{b}");
    let (s, b) = a.get("/api/guest/320/directory.json");
    assert_eq!(s, 200, "{b}");
    let users: Vec<&str> = b["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert_eq!(users, vec!["Administrator", "a1@a.example"], "{b}");
    assert_eq!((&b["departments"], &b["groups"]), (&json!([]), &json!([])));
    // A file upload outside the path is refused before the body is read; inside, it works.
    for (path, ok) in [
        ("/k/v1/file.json", false),
        ("/k/guest/321/v1/file.json", false),
        ("/k/guest/320/v1/file.json", true),
    ] {
        let part = reqwest::blocking::multipart::Part::bytes(b"hello".to_vec())
            .file_name("a.txt")
            .mime_str("text/plain")
            .unwrap();
        let resp = app
            .client
            .post(app.url(path))
            .header(
                "X-Cybozu-Authorization",
                base64::engine::general_purpose::STANDARD
                    .encode(format!("a1@a.example:{GUEST_PW}")),
            )
            .multipart(reqwest::blocking::multipart::Form::new().part("file", part))
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16() == 200, ok, "{path}");
    }
}

#[test]
fn a_guest_reads_and_clears_its_own_bell_without_a_path() {
    let app = TestApp::spawn();
    add_guests(&app, vec![guest("b1@b.example", "B1", "B")]);
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let notice = kumiki_engine::notifications::Notice {
        kind: kumiki_engine::notifications::kind::MENTION,
        source_key: "post:1".into(),
        title: "B協議".into(),
        body: "確認お願いします".into(),
        link: "/spaces/1".into(),
        actor: "Administrator".into(),
        app_id: None,
        record_id: None,
        space_id: None,
        thread_id: None,
    };
    kumiki_engine::notifications::notify(&mut conn, &["b1@b.example".into()], &notice, 1).unwrap();
    let b = as_guest(&app, "b1@b.example");
    let (s, body) = b.get("/api/notifications.json");
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["unread"], "1", "{body}");
    let (s, body) = b.post("/api/notifications/read.json", json!({"all": true}));
    assert_eq!(s, 200, "{body}");
    let (_, body) = b.get("/api/notifications.json");
    assert_eq!(body["unread"], "0", "{body}");
    // Its bell is its own: other calls without a path stay refused.
    let (s, body) = b.get("/api/directory.json");
    assert_eq!((s, code_of(&body)), (403, Some("CB_NO02")), "{body}");
}
