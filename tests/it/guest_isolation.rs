//! The guest isolation matrix (issue 13, docs/guests.md): two guest organisations, each with its own
//! guest space holding its roster app (records, a file, members), and the host with a private space
//! (its own app) and a public app, × every channel a guest or host user can reach: the kintone API
//! (records, record, app, apps, fields, comments, spaces and members, bulkRequest, cursors), the
//! `/api` JSON the pages call (directory, users, search, history), file downloads, the pages (portal,
//! guest portal, record pages, search page) and app scripts run by a guest's save.
//!
//! The rule checked everywhere: no response of one side carries a record value, file content, space
//! name or member code of another side; and each organisation edits only its own rows. The roster
//! is one app per guest space (each organisation's space has its own roster app): guest spaces are
//! the wall between organisations, record permissions inside an app are not needed for it.

use base64::Engine as _;
use kumiki_tests::{Auth, TestApp};
use serde_json::{json, Value};

use crate::guests::{
    add_guests, as_guest, guest, guest_space, member, move_app, space_row, GUEST_PW,
};

const SPACE_A: i64 = 401;
const SPACE_B: i64 = 402;
const SPACE_H: i64 = 403;
const HOST_PW: &str = "host-password-1";

/// One side's app and what must not leak from it.
struct Side {
    app: i64,
    record: i64,
    /// The record's text, also the word searched for.
    secret: String,
    file_key: String,
    file_text: String,
    /// The space's name (None: the public host app) and member codes only this side has.
    space_name: Option<&'static str>,
    members: Vec<&'static str>,
}

impl Side {
    /// Strings whose appearance in another side's response is a leak.
    fn leaks(&self) -> Vec<String> {
        // Not the file key: a refusal echoes the key the caller sent ("file (id: …) not found").
        let mut v = vec![self.secret.clone(), self.file_text.clone()];
        if let Some(n) = self.space_name {
            v.push(n.to_owned());
        }
        v.extend(self.members.iter().map(|m| (*m).to_owned()));
        v
    }
}

fn fields() -> Value {
    json!({
        "Title": {"type": "SINGLE_LINE_TEXT", "code": "Title", "label": "氏名"},
        "Doc": {"type": "FILE", "code": "Doc", "label": "書類"},
        "Seen": {"type": "MULTI_LINE_TEXT", "code": "Seen", "label": "スクリプトが見たもの"},
    })
}

/// An app with one record holding a secret and a file, with `editors` allowed to view and edit its
/// records (Administrator manages it).
fn side_app(
    app: &TestApp,
    name: &str,
    tag: &str,
    editors: &[&str],
) -> (i64, i64, String, String, String) {
    let id = app.create_app(name, fields());
    let secret = format!("SECRET{tag}{}", uuid::Uuid::new_v4().simple());
    let file_text = format!("FILE{tag}{}", uuid::Uuid::new_v4().simple());
    let key = app.upload(
        &format!("{tag}.txt"),
        "text/plain",
        file_text.clone().into_bytes(),
    );
    let record = app.add_record(
        id,
        json!({"Title": {"value": secret}, "Doc": {"value": [{"fileKey": key}]}}),
    );
    let (_, r) = app.get(&format!("/k/v1/record.json?app={id}&id={record}"));
    let file_key = r["record"]["Doc"]["value"][0]["fileKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut rights = vec![
        json!({"entity": {"type": "USER", "code": "Administrator"}, "appEditable": true,
        "recordViewable": true, "recordAddable": true, "recordEditable": true, "recordDeletable": true}),
    ];
    for e in editors {
        rights.push(
            json!({"entity": {"type": "USER", "code": e}, "recordViewable": true,
            "recordAddable": true, "recordEditable": true}),
        );
    }
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": id, "rights": rights}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    (id, record, secret, file_key, file_text)
}

struct World {
    a: Side,
    b: Side,
    h: Side,
    p: Side,
}

/// Host: Administrator, `hostuser` (member of the private host space), `kato` (no space). Guest
/// organisation A: a1, a2 in guest space A; organisation B: b1 in guest space B.
fn world(app: &TestApp) -> World {
    app.user("hostuser", HOST_PW);
    app.user("kato", HOST_PW);
    add_guests(
        app,
        vec![
            guest("a1@a.example", "A市 一郎", "A市"),
            guest("a2@a.example", "A市 二郎", "A市"),
            guest("b1@b.example", "B町 花子", "B町"),
        ],
    );
    let (a, ar, asec, akey, atext) = side_app(app, "A名簿", "A", &["a1@a.example", "a2@a.example"]);
    let (b, br, bsec, bkey, btext) = side_app(app, "B名簿", "B", &["b1@b.example"]);
    let (h, hr, hsec, hkey, htext) = side_app(app, "庁内秘", "H", &["hostuser"]);
    let (p, pr, psec, pkey, ptext) = side_app(app, "公開", "P", &["hostuser", "kato"]);
    guest_space(app, SPACE_A, "A市協議室", &[]);
    guest_space(app, SPACE_B, "B町協議室", &[]);
    space_row(app, SPACE_H, "庁内秘密室", false, true);
    member(app, SPACE_H, "Administrator", true);
    member(app, SPACE_H, "hostuser", false);
    for (space, guests) in [
        (SPACE_A, json!(["a1@a.example", "a2@a.example"])),
        (SPACE_B, json!(["b1@b.example"])),
    ] {
        let (s, b) = app.put(
            &format!("/k/guest/{space}/v1/space/guests.json"),
            json!({"id": space, "guests": guests}),
        );
        assert_eq!(s, 200, "{b}");
    }
    move_app(app, a, SPACE_A);
    move_app(app, b, SPACE_B);
    move_app(app, h, SPACE_H);
    app.wait_indexed(std::time::Duration::from_secs(30));
    World {
        a: Side {
            app: a,
            record: ar,
            secret: asec,
            file_key: akey,
            file_text: atext,
            space_name: Some("A市協議室"),
            members: vec!["a1@a.example", "a2@a.example"],
        },
        b: Side {
            app: b,
            record: br,
            secret: bsec,
            file_key: bkey,
            file_text: btext,
            space_name: Some("B町協議室"),
            members: vec!["b1@b.example"],
        },
        // hostuser is a host colleague: host users may know of each other.
        h: Side {
            app: h,
            record: hr,
            secret: hsec,
            file_key: hkey,
            file_text: htext,
            space_name: Some("庁内秘密室"),
            members: vec![],
        },
        p: Side {
            app: p,
            record: pr,
            secret: psec,
            file_key: pkey,
            file_text: ptext,
            space_name: None,
            members: vec![],
        },
    }
}

/// Every GET a caller can aim at any side, through every path (`own` first).
fn probe_paths(w: &World, paths: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for base in paths {
        let api = match base.strip_prefix("/k/guest/") {
            Some(rest) => format!("/api/guest/{}", rest.trim_end_matches("/v1")),
            None => "/api".to_owned(),
        };
        for s in [&w.a, &w.b, &w.h, &w.p] {
            let (app, rec) = (s.app, s.record);
            out.push(format!("{base}/records.json?app={app}"));
            out.push(format!(
                "{base}/records.json?app={app}&query=Title%20like%20%22SECRET%22"
            ));
            out.push(format!("{base}/record.json?app={app}&id={rec}"));
            out.push(format!("{base}/app.json?id={app}"));
            out.push(format!("{base}/app/form/fields.json?app={app}"));
            out.push(format!("{base}/app/views.json?app={app}"));
            out.push(format!(
                "{base}/record/comments.json?app={app}&record={rec}"
            ));
            out.push(format!("{base}/file.json?fileKey={}", s.file_key));
            out.push(format!("{api}/search.json?q={}", s.secret));
            out.push(format!("{api}/record/history.json?app={app}&id={rec}"));
        }
        for space in [SPACE_A, SPACE_B, SPACE_H] {
            out.push(format!("{base}/space.json?id={space}"));
            out.push(format!("{base}/space/members.json?id={space}"));
        }
        out.push(format!("{base}/apps.json"));
        out.push(format!("{api}/directory.json"));
        out.push(format!("{api}/users.json"));
        out.push(format!("{api}/search.json?q=SECRET"));
        out.push(format!("{api}/org/users.json"));
        out.push(format!("{api}/guests.json"));
    }
    out
}

/// GETs every probe as `auth` and fails on any response that carries one of `forbidden`.
fn assert_no_leak(app: &TestApp, who: &str, auth: &str, paths: &[String], forbidden: &[String]) {
    for path in paths {
        let resp = app
            .client
            .get(app.url(path))
            .header("X-Cybozu-Authorization", auth)
            .send()
            .unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().unwrap();
        assert!(status < 500, "{who} {path}: {status} {text}");
        for f in forbidden {
            assert!(!text.contains(f.as_str()), "{who} {path} leaks {f}: {text}");
        }
    }
}

fn basic(login: &str, pw: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{login}:{pw}"))
}

fn paths_for(space: Option<i64>) -> Vec<String> {
    let mut bases = vec!["/k/v1".to_owned()];
    for s in [SPACE_A, SPACE_B, SPACE_H, 999] {
        bases.push(format!("/k/guest/{s}/v1"));
    }
    if let Some(s) = space {
        bases.retain(|b| *b != format!("/k/guest/{s}/v1"));
    }
    bases
}

#[test]
fn nothing_leaks_between_guest_organisations_and_the_host() {
    let app = TestApp::spawn();
    let w = world(&app);
    let leaks = |sides: &[&Side]| -> Vec<String> { sides.iter().flat_map(|s| s.leaks()).collect() };
    // Guests of A: through every path but their own, they see nothing at all; through their own,
    // nothing of B, the host's private space or the public app.
    for (who, own, others) in [
        ("a1@a.example", SPACE_A, leaks(&[&w.b, &w.h, &w.p])),
        ("a2@a.example", SPACE_A, leaks(&[&w.b, &w.h, &w.p])),
        ("b1@b.example", SPACE_B, leaks(&[&w.a, &w.h, &w.p])),
    ] {
        // Host colleagues outside the guest space are the host's business too.
        let mut others = others;
        others.extend(["hostuser".to_owned(), "kato".to_owned()]);
        let auth = basic(who, GUEST_PW);
        let mut all_own = leaks(&[&w.a, &w.b, &w.h, &w.p]);
        all_own.extend(["hostuser".to_owned(), "kato".to_owned()]);
        // Its own code is fine anywhere it appears (an error message names no one, but the
        // account's own name is its own business).
        all_own.retain(|s| s != who);
        assert_no_leak(
            &app,
            who,
            &auth,
            &probe_paths(&w, &paths_for(Some(own))),
            &all_own,
        );
        assert_no_leak(
            &app,
            who,
            &auth,
            &probe_paths(&w, &[format!("/k/guest/{own}/v1")]),
            &others,
        );
    }
    // Host users: kato (no space) sees nothing of either guest space or the private host space;
    // hostuser nothing of the guest spaces.
    let host_paths = probe_paths(&w, &paths_for(None));
    assert_no_leak(
        &app,
        "kato",
        &basic("kato", HOST_PW),
        &host_paths,
        &leaks(&[&w.a, &w.b, &w.h]),
    );
    assert_no_leak(
        &app,
        "hostuser",
        &basic("hostuser", HOST_PW),
        &host_paths,
        &leaks(&[&w.a, &w.b]),
    );
}

#[test]
fn each_guest_organisation_sees_and_edits_only_its_own_roster() {
    let app = TestApp::spawn();
    let w = world(&app);
    let a1 = as_guest(&app, "a1@a.example");
    let a2 = as_guest(&app, "a2@a.example");
    let b1 = as_guest(&app, "b1@b.example");
    // Their own roster reads through their own path, with the file and a search hit.
    let (s, b) = a1.get(&format!(
        "/k/guest/{SPACE_A}/v1/records.json?app={}",
        w.a.app
    ));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["records"][0]["Title"]["value"], w.a.secret.as_str());
    let resp = app
        .client
        .get(app.url(&format!(
            "/k/guest/{SPACE_A}/v1/file.json?fileKey={}",
            w.a.file_key
        )))
        .header("X-Cybozu-Authorization", basic("a1@a.example", GUEST_PW))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.text().unwrap(), w.a.file_text);
    let (s, b) = a1.get(&format!(
        "/api/guest/{SPACE_A}/search.json?q={}",
        w.a.secret
    ));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["hits"].as_array().map(Vec::len), Some(1), "{b}");
    let (s, b) = a1.get(&format!("/k/guest/{SPACE_A}/v1/apps.json"));
    assert_eq!(s, 200, "{b}");
    let apps: Vec<&str> = b["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["appId"].as_str().unwrap())
        .collect();
    assert_eq!(apps, vec![w.a.app.to_string()], "{b}");
    // Directory: only the members of their own guest space, no departments or groups.
    let (_, b) = b1.get(&format!("/api/guest/{SPACE_B}/directory.json"));
    let users: Vec<&str> = b["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert_eq!(users, vec!["Administrator", "b1@b.example"], "{b}");
    // Each organisation edits its own rows, and both of its members may.
    for (who, c) in [("a1", &a1), ("a2", &a2)] {
        let (s, b) = c.put(
            &format!("/k/guest/{SPACE_A}/v1/record.json"),
            json!({"app": w.a.app, "id": w.a.record, "record": {"Title": {"value": format!("A edited by {who}")}}}),
        );
        assert_eq!(s, 200, "{b}");
    }
    let (s, b) = a1.post(
        &format!("/k/guest/{SPACE_A}/v1/record.json"),
        json!({"app": w.a.app, "record": {"Title": {"value": "A new row"}}}),
    );
    assert_eq!(s, 200, "{b}");
    // ... and never another's: not B's rows through either path, not the host's.
    let edit = |app_id: i64, rec: i64| json!({"app": app_id, "id": rec, "record": {"Title": {"value": "hijacked"}}});
    for (c, path, target) in [
        (&a1, format!("/k/guest/{SPACE_A}/v1"), (w.b.app, w.b.record)),
        (&a1, format!("/k/guest/{SPACE_B}/v1"), (w.b.app, w.b.record)),
        (&a1, "/k/v1".to_owned(), (w.b.app, w.b.record)),
        (&a1, "/k/v1".to_owned(), (w.p.app, w.p.record)),
        (&a1, format!("/k/guest/{SPACE_H}/v1"), (w.h.app, w.h.record)),
        (&b1, format!("/k/guest/{SPACE_B}/v1"), (w.a.app, w.a.record)),
        (&b1, format!("/k/guest/{SPACE_A}/v1"), (w.a.app, w.a.record)),
    ] {
        let (s, b) = c.put(&format!("{path}/record.json"), edit(target.0, target.1));
        assert_eq!(
            (s, b["code"].as_str()),
            (403, Some("CB_NO02")),
            "{path} {target:?}: {b}"
        );
        let (s, _) = c.post(
            &format!("{path}/bulkRequest.json"),
            json!({"requests": [{"method": "PUT", "api": format!("{path}/record.json"), "payload": edit(target.0, target.1)}]}),
        );
        assert_ne!(s, 200);
    }
    // The other rows are untouched.
    for side in [&w.b, &w.h, &w.p] {
        let path = match side.space_name {
            Some("B町協議室") => format!("/k/guest/{SPACE_B}/v1"),
            _ => "/k/v1".to_owned(),
        };
        let (_, b) = app.get(&format!(
            "{path}/record.json?app={}&id={}",
            side.app, side.record
        ));
        assert_eq!(b["record"]["Title"]["value"], side.secret.as_str(), "{b}");
    }
    // The host: a user of no space cannot read the guest roster; the app's errors follow kintone
    // (the normal path for a guest-space app is GAIA_IL23, another space's path CB_NO02).
    let kato = app.with_auth(Auth::Password("kato".into(), HOST_PW.into()));
    let (s, b) = kato.get(&format!(
        "/k/guest/{SPACE_A}/v1/records.json?app={}",
        w.a.app
    ));
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")), "{b}");
    let (s, b) = app.get(&format!("/k/v1/records.json?app={}", w.a.app));
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_IL23")), "{b}");
    let (s, b) = app.get(&format!(
        "/k/guest/{SPACE_B}/v1/records.json?app={}",
        w.a.app
    ));
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")), "{b}");
    let (s, b) = kato.get(&format!("/api/search.json?q={}", w.a.secret));
    assert_eq!((s, &b["hits"]), (200, &json!([])), "{b}");
}

#[test]
fn pages_show_a_guest_only_its_guest_space() {
    let app = TestApp::spawn();
    let w = world(&app);
    let session = app.sign_in_form("a1@a.example", GUEST_PW);
    // The portal sends a guest to the guest portal: its space and app, nothing else.
    let (s, html) = app.page(&session, "/");
    assert_eq!(s, 303, "{html}");
    let (s, html) = app.page(&session, "/guest");
    assert_eq!(s, 200);
    assert!(
        html.contains("A市協議室") && html.contains("A名簿"),
        "{html}"
    );
    assert!(
        html.contains(&format!("href=\"/apps/{}\"", w.a.app)),
        "{html}"
    );
    for other in ["B町協議室", "B名簿", "庁内秘", "公開", "/admin"] {
        assert!(!html.contains(other), "{other} in {html}");
    }
    // Its own app's pages open and tell the scripts to call the guest path; nobody else's do.
    let (s, html) = app.page(
        &session,
        &format!("/apps/{}/records/{}", w.a.app, w.a.record),
    );
    assert_eq!(s, 200);
    assert!(
        html.contains(&format!("\"guestSpace\":\"{SPACE_A}\"")),
        "{html}"
    );
    for side in [&w.b, &w.h, &w.p] {
        for path in [
            format!("/apps/{}", side.app),
            format!("/apps/{}/records/{}", side.app, side.record),
        ] {
            let (s, html) = app.page(&session, &path);
            assert_eq!(s, 404, "{path}");
            assert!(!html.contains(&side.secret));
        }
    }
    // The search page finds its own rows and none of the others'.
    let (_, html) = app.page(&session, &format!("/search?q={}", w.a.secret));
    assert!(
        html.contains(&format!("/apps/{}/records/{}", w.a.app, w.a.record)),
        "{html}"
    );
    for side in [&w.b, &w.h, &w.p] {
        let (_, html) = app.page(&session, &format!("/search?q={}", side.secret));
        assert!(
            !html.contains(&format!("/apps/{}/records/", side.app)),
            "{html}"
        );
    }
    // Administration pages are not there for a guest; the administrator sees the guest list.
    let (s, _) = app.page(&session, "/admin/guests");
    assert_eq!(s, 404);
    let admin = app.sign_in_form("Administrator", kumiki_tests::ADMIN_PASSWORD);
    let (s, html) = app.page(&admin, "/admin/guests");
    assert_eq!(s, 200);
    assert!(
        html.contains("a1@a.example") && html.contains("B町") && html.contains("A市協議室"),
        "{html}"
    );
}

/// Scripts: a save by a guest runs the app's script within the guest's rights through the app's own
/// path, so a script of A's roster that reads every app sees A's rows and nothing of B or the host.
#[test]
fn a_guests_save_runs_scripts_that_see_only_its_space() {
    let app = TestApp::spawn();
    let w = world(&app);
    let read = |other: i64| {
        format!(
            "try {{ for r in records({other}, \"\") {{ seen += r.Title + \" \"; }} }} catch (e) {{ seen += \"refused \"; }}"
        )
    };
    let source = format!(
        "let seen = \"\"; {} {} {} {} record.Seen = seen;",
        read(w.a.app),
        read(w.b.app),
        read(w.h.app),
        read(w.p.app)
    );
    let declared: Vec<Value> = [w.a.app, w.b.app, w.h.app, w.p.app]
        .iter()
        .map(|a| json!({"app": a, "access": "read"}))
        .collect();
    let (s, b) = app.put(
        &format!("/api/guest/{SPACE_A}/app/scripts.json"),
        json!({"app": w.a.app, "scripts": [{"name": "probe", "events": ["create.submit"], "source": source, "apps": declared}]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.post(
        &format!("/k/guest/{SPACE_A}/v1/preview/app/deploy.json"),
        json!({"apps": [{"app": w.a.app}]}),
    );
    assert_eq!(s, 200, "{b}");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let a1 = as_guest(&app, "a1@a.example");
    let (s, b) = a1.post(
        &format!("/k/guest/{SPACE_A}/v1/record.json"),
        json!({"app": w.a.app, "record": {"Title": {"value": "script probe"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let id = b["id"].as_str().unwrap();
    let (_, r) = a1.get(&format!(
        "/k/guest/{SPACE_A}/v1/record.json?app={}&id={id}",
        w.a.app
    ));
    let seen = r["record"]["Seen"]["value"].as_str().unwrap().to_owned();
    assert!(seen.contains(&w.a.secret), "{seen}");
    for side in [&w.b, &w.h, &w.p] {
        assert!(!seen.contains(&side.secret), "{seen}");
    }
    assert_eq!(seen.matches("refused").count(), 3, "{seen}");
}

/// The bell (notifications channel): a rule of A's roster names B's guest and a host user outside
/// space A, who were even given rights in the app by mistake; only A's members hear of A's record.
#[test]
fn the_bell_tells_no_one_outside_the_guest_space() {
    let app = TestApp::spawn();
    let w = world(&app);
    let mut db = kumiki_engine::db::Database::connect(&app.database_url, 1)
        .unwrap()
        .conn()
        .unwrap();
    // The world's own records are behind us before the rule exists (a rule applies to the changes
    // the consumer reads after it is deployed).
    crate::notify::wait_consumer(&mut db);
    let mut rights = vec![json!({"entity": {"type": "USER", "code": "Administrator"},
        "appEditable": true, "recordViewable": true, "recordAddable": true,
        "recordEditable": true, "recordDeletable": true})];
    for who in ["a1@a.example", "a2@a.example", "b1@b.example", "kato"] {
        rights.push(
            json!({"entity": {"type": "USER", "code": who}, "recordViewable": true,
            "recordAddable": true, "recordEditable": true}),
        );
    }
    let (s, b) = app.put(
        &format!("/k/guest/{SPACE_A}/v1/preview/app/acl.json"),
        json!({"app": w.a.app, "rights": rights}),
    );
    assert_eq!(s, 200, "{b}");
    let rule = |code: &str| json!({"entity": {"type": "USER", "code": code}, "recordAdded": true});
    let (s, b) = app.put(
        &format!("/k/guest/{SPACE_A}/v1/preview/app/notifications/general.json"),
        json!({"app": w.a.app, "notifications": [rule("a2@a.example"), rule("b1@b.example"), rule("kato")]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.post(
        &format!("/k/guest/{SPACE_A}/v1/preview/app/deploy.json"),
        json!({"apps": [{"app": w.a.app}]}),
    );
    assert_eq!(s, 200, "{b}");
    std::thread::sleep(std::time::Duration::from_millis(1500));

    let a1 = as_guest(&app, "a1@a.example");
    let (s, b) = a1.post(
        &format!("/k/guest/{SPACE_A}/v1/record.json"),
        json!({"app": w.a.app, "record": {"Title": {"value": "A市の新しい名簿行"}}}),
    );
    assert_eq!(s, 200, "{b}");
    crate::notify::wait_consumer(&mut db);

    let bell = |c: &kumiki_tests::Client2<'_>| {
        let (s, b) = c.get("/api/notifications.json");
        assert_eq!(s, 200, "{b}");
        b
    };
    let a2 = bell(&as_guest(&app, "a2@a.example"));
    assert_eq!(a2["unread"], "1", "{a2}");
    assert!(a2.to_string().contains("A市の新しい名簿行"), "{a2}");
    for (who, client) in [
        ("b1", as_guest(&app, "b1@b.example")),
        (
            "kato",
            app.with_auth(Auth::Password("kato".into(), HOST_PW.into())),
        ),
    ] {
        let got = bell(&client);
        assert_eq!(got["unread"], "0", "{who}: {got}");
        assert!(!got.to_string().contains("A市"), "{who}: {got}");
    }
}
