//! The acting-context matrix: one normal app and one app in a (test) guest space × every channel
//! (API, bulkRequest, files, apps.json, search, pages, script host, schedule) × a user with rights
//! and one without. Nothing leaks: an app is seen only by whoever has the right, and a guest-space
//! app only through its own guest-space path. The channels are tied to the engine's
//! `acting::Channel` by an exhaustive match, so a new channel fails to compile here until it has
//! its entries.

use base64::Engine as _;
use kumiki_engine::acting::Channel;
use kumiki_tests::{Auth, Client2, TestApp};
use serde_json::{json, Value};

const PW: &str = "matrix-password-1";
const SPACE: i64 = 7;

/// What a probe saw: the normal app, the guest app through the normal path, the guest app through
/// its guest-space path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    normal: bool,
    guest_plain_path: bool,
    guest_own_path: bool,
}

const ALL: Seen = Seen {
    normal: true,
    guest_plain_path: false,
    guest_own_path: true,
};
const NOTHING: Seen = Seen {
    normal: false,
    guest_plain_path: false,
    guest_own_path: false,
};
/// Channels that have no guest-space path yet (search, scripts of a normal app): the guest
/// app is out of reach for everyone.
const NORMAL_ONLY: Seen = Seen {
    normal: true,
    guest_plain_path: false,
    guest_own_path: false,
};
/// Pages (issue 13, guests): page URLs carry no guest-space path, so a page reaches an app through
/// the app's own path; a member of the guest space sees its app, a stranger nothing.
const PAGES_OWN_PATH: Seen = Seen {
    normal: true,
    guest_plain_path: true,
    guest_own_path: false,
};

/// The probes that cover each engine channel. Exhaustive on purpose (see the module comment).
fn probes_of(channel: Channel) -> &'static [&'static str] {
    match channel {
        Channel::Api => &[
            "record.json",
            "records.json",
            "apps.json",
            "bulkRequest",
            "file.json",
            "search.json",
        ],
        Channel::Page => &["record pages", "portal", "search page"],
        Channel::Script => &["script host"],
        Channel::Schedule => &["schedule"],
        // The command line and the server's own work act as `ActingContext::system`, for no user:
        // there is no caller whose rights could leak.
        Channel::Cli | Channel::System => &[],
        // Issue 15: residents act as `Principal::PublicForm`, which reaches the form's own app
        // only and sees no app list, no record but an editable link's own, and no people
        // (engine `public_forms::tests`, `the_public_form_principal_reaches_only_its_own_app`).
        Channel::PublicForm => &[],
    }
}

const CHANNELS: [Channel; 7] = [
    Channel::Api,
    Channel::Page,
    Channel::Script,
    Channel::Schedule,
    Channel::Cli,
    Channel::System,
    Channel::PublicForm,
];

struct Env {
    normal: i64,
    guest: i64,
    normal_secret: String,
    guest_secret: String,
    normal_file: String,
    guest_file: String,
    normal_record: i64,
    guest_record: i64,
}

fn fields() -> Value {
    json!({
        "Title": {"type": "SINGLE_LINE_TEXT", "code": "Title", "label": "件名"},
        "Doc": {"type": "FILE", "code": "Doc", "label": "文書"},
    })
}

fn basic(login: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{login}:{PW}"))
}

/// Two apps readable and editable by `reader` only (and Administrator); the second is moved into
/// guest space 7 directly in the database, with the reader and the administrator as its members.
fn setup(app: &TestApp) -> Env {
    app.user("reader", PW);
    app.user("stranger", PW);
    let mut made = Vec::new();
    for kind in ["N", "G"] {
        let id = app.create_app(&format!("行列{kind}"), fields());
        let secret = format!("SECRET{kind}{}", uuid::Uuid::new_v4().simple());
        let key = app.upload(
            &format!("{kind}.txt"),
            "text/plain",
            secret.clone().into_bytes(),
        );
        let record = app.add_record(
            id,
            json!({"Title": {"value": secret}, "Doc": {"value": [{"fileKey": key}]}}),
        );
        let (_, r) = app.get(&format!("/k/v1/record.json?app={id}&id={record}"));
        let file = r["record"]["Doc"]["value"][0]["fileKey"]
            .as_str()
            .unwrap()
            .to_owned();
        let (s, b) = app.put(
            "/k/v1/preview/app/acl.json",
            json!({"app": id, "rights": [
                {"entity": {"type": "USER", "code": "Administrator"}, "appEditable": true, "recordViewable": true,
                 "recordAddable": true, "recordEditable": true, "recordDeletable": true},
                {"entity": {"type": "USER", "code": "reader"}, "recordViewable": true, "recordEditable": true},
            ]}),
        );
        assert_eq!(s, 200, "{b}");
        app.deploy(id);
        made.push((id, secret, file, record));
    }
    let guest = made[1].0;
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let mut b = conn.sql();
    b.push("INSERT INTO spaces (id, name, is_guest, created_at) VALUES (")
        .bind_int(SPACE)
        .push(", 'ゲスト', TRUE, 0)");
    conn.execute(&b).unwrap();
    // Apps of a guest space are for its members (issue 13): the reader and the administrator are.
    for member in ["reader", "Administrator"] {
        let mut b = conn.sql();
        b.push("INSERT INTO space_members (space_id, entity_type, code, is_admin, include_subs) VALUES (")
            .bind_int(SPACE)
            .push(", 'USER', ")
            .bind_text(member)
            .push(", FALSE, FALSE)");
        conn.execute(&b).unwrap();
    }
    let mut b = conn.sql();
    b.push("UPDATE apps SET space_id = ")
        .bind_int(SPACE)
        .push(" WHERE id = ")
        .bind_int(guest);
    conn.execute(&b).unwrap();
    let [(normal, normal_secret, normal_file, normal_record), (guest, guest_secret, guest_file, guest_record)] =
        <[_; 2]>::try_from(made).ok().unwrap();
    Env {
        normal,
        guest,
        normal_secret,
        guest_secret,
        normal_file,
        guest_file,
        normal_record,
        guest_record,
    }
}

fn unix_now() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(since.as_secs()).unwrap()
}

fn as_user<'a>(app: &'a TestApp, login: &str) -> Client2<'a> {
    app.with_auth(Auth::Password(login.into(), PW.into()))
}

fn prefix(guest_path: bool) -> String {
    if guest_path {
        format!("/k/guest/{SPACE}/v1")
    } else {
        "/k/v1".to_owned()
    }
}

/// Runs `probe` for the three ways of reaching the apps.
fn seen(mut probe: impl FnMut(bool, bool) -> bool) -> Seen {
    Seen {
        normal: probe(false, false),
        guest_plain_path: probe(true, false),
        guest_own_path: probe(true, true),
    }
}

fn api_probe(app: &TestApp, env: &Env, login: &str, name: &str) -> Seen {
    let c = as_user(app, login);
    seen(|guest, guest_path| {
        let (id, record, secret, file) = if guest {
            (
                env.guest,
                env.guest_record,
                &env.guest_secret,
                &env.guest_file,
            )
        } else {
            (
                env.normal,
                env.normal_record,
                &env.normal_secret,
                &env.normal_file,
            )
        };
        let p = prefix(guest_path);
        match name {
            "record.json" => {
                let (s, b) = c.get(&format!("{p}/record.json?app={id}&id={record}"));
                let ok = s == 200 && b.to_string().contains(secret.as_str());
                assert!(ok || s >= 400, "{name}: {s} {b}");
                ok
            }
            "records.json" => {
                let (s, b) = c.get(&format!("{p}/records.json?app={id}&totalCount=true"));
                s == 200 && b.to_string().contains(secret.as_str())
            }
            "apps.json" => {
                let (s, b) = c.get(&format!("{p}/apps.json"));
                assert_eq!(s, 200, "{b}");
                b["apps"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a["appId"].as_str() == Some(id.to_string().as_str()))
            }
            "bulkRequest" => {
                let (s, b) = c.post(
                    &format!("{p}/bulkRequest.json"),
                    json!({"requests": [{"method": "PUT", "api": format!("{p}/record.json"),
                        "payload": {"app": id, "id": record, "record": {"Title": {"value": secret}}}}]}),
                );
                s == 200 && b["results"][0]["revision"].is_string()
            }
            "file.json" => {
                let resp = app
                    .client
                    .get(app.url(&format!("{p}/file.json?fileKey={file}")))
                    .header("X-Cybozu-Authorization", basic(login))
                    .send()
                    .unwrap();
                resp.status().as_u16() == 200 && resp.text().unwrap() == *secret
            }
            "search.json" => {
                // Search has no guest-space path yet: only the normal path is asked.
                if guest_path {
                    return false;
                }
                let (s, b) = c.get(&format!("/api/search.json?q={secret}"));
                assert_eq!(s, 200, "{b}");
                b["hits"].as_array().is_some_and(|h| !h.is_empty())
            }
            other => panic!("no API probe {other}"),
        }
    })
}

fn page_probe(app: &TestApp, env: &Env, login: &str, name: &str) -> Seen {
    let session = app.sign_in_form(login, PW);
    seen(|guest, guest_path| {
        // Page URLs have no guest-space path: the guest app is asked for at its plain page URL.
        if guest_path {
            return false;
        }
        let (id, record, secret) = if guest {
            (env.guest, env.guest_record, &env.guest_secret)
        } else {
            (env.normal, env.normal_record, &env.normal_secret)
        };
        match name {
            "record pages" => {
                let (list, _) = app.page(&session, &format!("/apps/{id}"));
                let (one, _) = app.page(&session, &format!("/apps/{id}/records/{record}"));
                assert_eq!(list, one, "list and record page agree");
                list == 200
            }
            "portal" => {
                let (s, html) = app.page(&session, "/");
                assert_eq!(s, 200);
                html.contains(&format!("href=\"/apps/{id}\""))
            }
            "search page" => {
                // The query is echoed in the search box: a hit is a link to the record.
                let (s, html) = app.page(&session, &format!("/search?q={secret}"));
                assert_eq!(s, 200);
                html.contains(&format!("/apps/{id}/records/{record}"))
            }
            other => panic!("no page probe {other}"),
        }
    })
}

/// A save in a third (normal) app runs a `create.submit` script that reads both apps as the saver.
fn script_probe(app: &TestApp, env: &Env, scripts_app: i64, login: &str) -> Seen {
    let c = as_user(app, login);
    let (s, b) = c.post(
        "/k/v1/record.json",
        json!({"app": scripts_app, "record": {"Title": {"value": "probe"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let id = b["id"].as_str().unwrap();
    let (_, r) = app.get(&format!("/k/v1/record.json?app={scripts_app}&id={id}"));
    let seen_text = r["record"]["Seen"]["value"].as_str().unwrap().to_owned();
    let found = |secret: &str| seen_text.contains(secret);
    Seen {
        normal: found(&env.normal_secret),
        guest_plain_path: found(&env.guest_secret),
        guest_own_path: false,
    }
}

fn scripts_app(app: &TestApp, env: &Env) -> i64 {
    let id = app.create_app(
        "行列スクリプト",
        json!({
            "Title": {"type": "SINGLE_LINE_TEXT", "code": "Title", "label": "件名"},
            "Seen": {"type": "MULTI_LINE_TEXT", "code": "Seen", "label": "見えたもの"},
        }),
    );
    let read = |other: i64| {
        format!(
            "try {{ for r in records({other}, \"\") {{ seen += r.Title + \" \"; }} }} catch (e) {{ seen += \"refused \"; }}"
        )
    };
    let source = format!(
        "let seen = \"\"; {} {} record.Seen = seen;",
        read(env.normal),
        read(env.guest)
    );
    let (s, b) = app.put(
        "/api/app/scripts.json",
        json!({"app": id, "scripts": [{"name": "probe", "events": ["create.submit"], "source": source,
            "apps": [{"app": env.normal, "access": "read"}, {"app": env.guest, "access": "read"}]}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    id
}

/// `login` creates an app whose `schedule.hourly` script reads both apps and records what it saw in
/// its own app; its planned job is made due (as if the hour had come) and the server runs it as the
/// app's creator.
fn schedule_probe(app: &TestApp, env: &Env, login: &str) -> Seen {
    // Colleagues build apps here: the server's default lets only administrators.
    app.allow_app_creation_by_everyone();
    let c = as_user(app, login);
    let (s, b) = c.post(
        "/k/v1/preview/app.json",
        json!({"name": format!("行列予定{login}")}),
    );
    assert_eq!(s, 200, "{b}");
    let own: i64 = b["app"].as_str().unwrap().parse().unwrap();
    let (s, b) = c.post(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": own, "properties": {"Seen": {"type": "MULTI_LINE_TEXT", "code": "Seen", "label": "見えたもの"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let read = |other: i64| {
        format!(
            "try {{ for r in records({other}, \"\") {{ seen += r.Title + \" \"; }} }} catch (e) {{ seen += \"refused \"; }}"
        )
    };
    let source = format!(
        "let seen = \"\"; {} {} add_record(app_id(), #{{Seen: seen}});",
        read(env.normal),
        read(env.guest)
    );
    let (s, b) = c.put(
        "/api/app/scripts.json",
        json!({"app": own, "scripts": [{"name": "probe", "events": ["schedule.hourly"], "source": source,
            "apps": [{"app": env.normal, "access": "read"}, {"app": env.guest, "access": "read"}]}]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = c.post(
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": own}]}),
    );
    assert_eq!(s, 200, "{b}");
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let started = std::time::Instant::now();
    let job = loop {
        let all = kumiki_engine::jobs::list(&mut db.conn().unwrap(), None, 10_000).unwrap();
        if let Some(j) = all.into_iter().find(|j| {
            j.kind == "script.schedule.hourly"
                && j.payload["app"] == own
                && j.state == kumiki_engine::jobs::JobState::Queued
        }) {
            break j;
        }
        assert!(
            started.elapsed().as_secs() < 30,
            "the hourly run was never planned"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let mut conn = db.conn().unwrap();
    let mut b = conn.sql();
    b.push("UPDATE jobs SET run_at = ")
        .bind_int(unix_now() - 60)
        .push(" WHERE id = ")
        .bind_int(job.id);
    assert_eq!(conn.execute(&b).unwrap(), 1);
    let seen_text = loop {
        let (s, b) = app.get(&format!("/k/v1/records.json?app={own}"));
        assert_eq!(s, 200, "{b}");
        if let Some(r) = b["records"].as_array().and_then(|r| r.first()) {
            break r["Seen"]["value"].as_str().unwrap().to_owned();
        }
        assert!(
            started.elapsed().as_secs() < 60,
            "the scheduled run never ran"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    Seen {
        normal: seen_text.contains(env.normal_secret.as_str()),
        guest_plain_path: seen_text.contains(env.guest_secret.as_str()),
        guest_own_path: false,
    }
}

#[test]
fn nothing_leaks_through_any_channel() {
    let app = TestApp::spawn();
    let env = setup(&app);
    let scripts = scripts_app(&app, &env);
    app.wait_indexed(std::time::Duration::from_secs(30));
    let mut ran = Vec::new();
    for channel in CHANNELS {
        for &probe in probes_of(channel) {
            for (login, expected_api, expected_elsewhere) in
                [("reader", ALL, NORMAL_ONLY), ("stranger", NOTHING, NOTHING)]
            {
                let got = match channel {
                    Channel::Api => api_probe(&app, &env, login, probe),
                    Channel::Page => page_probe(&app, &env, login, probe),
                    Channel::Script => script_probe(&app, &env, scripts, login),
                    Channel::Schedule => schedule_probe(&app, &env, login),
                    Channel::Cli | Channel::System | Channel::PublicForm => {
                        unreachable!("no probes")
                    }
                };
                let expected = if channel == Channel::Api && probe != "search.json" {
                    expected_api
                } else if channel == Channel::Page && login == "reader" {
                    PAGES_OWN_PATH
                } else {
                    expected_elsewhere
                };
                assert_eq!(got, expected, "{channel:?} / {probe} as {login}");
            }
            ran.push(probe);
        }
    }
    assert_eq!(ran.len(), 11, "{ran:?}");
}

/// The guest-space rule's answers: a guest-space app without its path is GAIA_IL23; a normal app
/// through a guest path, or a guest app through another space's path, is refused.
#[test]
fn wrong_paths_get_kintone_errors() {
    let app = TestApp::spawn();
    let env = setup(&app);
    let (s, b) = app.get(&format!(
        "/k/v1/record.json?app={}&id={}",
        env.guest, env.guest_record
    ));
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_IL23")), "{b}");
    let (s, b) = app.get(&format!(
        "/k/guest/{SPACE}/v1/record.json?app={}&id={}",
        env.normal, env.normal_record
    ));
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")), "{b}");
    let (s, b) = app.get(&format!(
        "/k/guest/8/v1/record.json?app={}&id={}",
        env.guest, env.guest_record
    ));
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")), "{b}");
    // Through its own path the guest app answers as any app.
    let (s, b) = app.get(&format!(
        "/k/guest/{SPACE}/v1/record.json?app={}&id={}",
        env.guest, env.guest_record
    ));
    assert_eq!(s, 200, "{b}");
}
